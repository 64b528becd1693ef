//! The admin token that guards the `Trainer` service.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use subtle::ConstantTimeEq;
use tonic::{Request, Status};

/// Name of the token file in the data directory.
pub const TOKEN_FILE: &str = "admin-token";

const BEARER: &[u8] = b"Bearer";

/// Fewest characters an operator's token may have: the Trainer changes what
/// every caller is answered, and a short token can be guessed over the network.
pub const MIN_TOKEN_CHARS: usize = 16;

/// An operator's token too short to be a secret.
#[derive(Debug, thiserror::Error)]
#[error(
    "too short: an admin token needs at least {MIN_TOKEN_CHARS} characters, this one has {chars} (e.g. `openssl rand -hex 32` makes a good one)"
)]
pub struct TokenTooShort {
    chars: usize,
}

/// The secret a `Trainer` caller must present as `authorization: Bearer <token>`.
#[derive(Clone)]
pub struct AdminToken(Arc<[u8]>);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret, not even in debug logs.
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// A token given by the operator, without its surrounding whitespace (a
    /// file's final newline is not part of it).
    pub fn new(token: &str) -> Result<Self, TokenTooShort> {
        let token = token.trim();
        let chars = token.chars().count();
        if chars < MIN_TOKEN_CHARS {
            return Err(TokenTooShort { chars });
        }
        Ok(AdminToken(token.as_bytes().into()))
    }

    /// A fresh random token (256 bits, 64 hex characters).
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(AdminToken(crate::corpus::hex(&bytes).as_bytes().into()))
    }

    /// Writes the token to `dir/admin-token`, readable by its owner only,
    /// replacing any older one atomically.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(TOKEN_FILE);
        let mut file = tempfile::Builder::new().prefix(".admin-token").tempfile_in(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(&self.0)?;
        file.write_all(b"\n")?;
        file.as_file().sync_all()?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    /// Checks a request's `authorization` metadata, in constant time.
    #[allow(clippy::result_large_err)]
    pub fn check(&self, request: Request<()>) -> Result<Request<()>, Status> {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| Status::unauthenticated("missing `authorization: Bearer <token>` metadata"))?;
        // The scheme is case-insensitive (RFC 9110 §11.1) and one or more
        // spaces separate it from the token; the token is compared exactly.
        let presented = match header.as_bytes().split_at_checked(BEARER.len()) {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case(BEARER) && rest.starts_with(b" ") => {
                rest.trim_ascii_start()
            }
            _ => &[],
        };
        if bool::from(presented.ct_eq(&self.0)) && !self.0.is_empty() {
            Ok(request)
        } else {
            Err(Status::unauthenticated("invalid admin token"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::metadata::MetadataValue;

    fn request(value: Option<&str>) -> Request<()> {
        let mut request = Request::new(());
        if let Some(value) = value {
            request.metadata_mut().insert("authorization", MetadataValue::try_from(value).expect("ascii"));
        }
        request
    }

    const SECRET: &str = "s3cret-of-16-chars";

    #[test]
    fn accepts_only_the_exact_token_after_a_bearer_scheme_in_any_case() {
        let token = AdminToken::new(&format!(" {SECRET}\n")).expect("long enough");
        for good in ["Bearer", "bearer", "BEARER", "Bearer  "] {
            let value = format!("{good} {SECRET}");
            assert!(token.check(request(Some(&value))).is_ok(), "{value:?}");
        }
        let bad = [
            None,
            Some("Bearer s3cret-of-16-char".to_owned()),
            Some(format!("Bearer {SECRET}2")),
            Some(format!("Bearer {}", SECRET.to_uppercase())),
            Some(format!("Bearer{SECRET}")),
            Some(format!("Bearerr {SECRET}")),
            Some(SECRET.to_owned()),
            Some(format!("Basic {SECRET}")),
            Some("Bearer".to_owned()),
            Some("Bearer ".to_owned()),
        ];
        for value in bad {
            let status = token.check(request(value.as_deref())).expect_err("refused");
            assert_eq!(status.code(), tonic::Code::Unauthenticated, "{value:?}");
        }
        assert!(!format!("{token:?}").contains(SECRET));
    }

    #[test]
    fn refuses_tokens_shorter_than_16_characters() {
        for short in ["", "x", "  fifteen-chars15  ", "ééééééééééééééé"] {
            let error = AdminToken::new(short).expect_err(short);
            assert!(error.to_string().contains("at least 16 characters"), "{error}");
        }
        assert!(AdminToken::new("sixteen-chars-16").is_ok());
        assert!(AdminToken::new("éééééééééééééééé").is_ok(), "characters, not bytes");
    }

    #[cfg(unix)]
    #[test]
    fn token_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let token = AdminToken::generate().expect("random");
        let path = token.write_to(dir.path()).expect("write");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
        let read = std::fs::read_to_string(&path).expect("read");
        assert_eq!(read.trim().len(), 64);
        let reread = AdminToken::new(&read).expect("a generated token is long enough");
        assert!(reread.check(request(Some(&format!("Bearer {}", read.trim())))).is_ok());
    }
}
