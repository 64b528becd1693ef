//! The admin token that guards the `Trainer` service.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use subtle::ConstantTimeEq;
use tonic::{Request, Status};

/// Name of the token file in the data directory.
pub const TOKEN_FILE: &str = "admin-token";

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
    /// A token given by the operator.
    pub fn new(token: &str) -> Self {
        AdminToken(token.trim().as_bytes().into())
    }

    /// A fresh random token (256 bits, hex).
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(AdminToken::new(&crate::corpus::hex(&bytes)))
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
        let presented = header.as_bytes().strip_prefix(b"Bearer ").unwrap_or_default();
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

    #[test]
    fn accepts_only_the_exact_bearer_token() {
        let token = AdminToken::new("s3cret");
        assert!(token.check(request(Some("Bearer s3cret"))).is_ok());
        for bad in [None, Some("Bearer s3cre"), Some("Bearer s3cret2"), Some("s3cret"), Some("Basic s3cret")] {
            let status = token.check(request(bad)).expect_err("refused");
            assert_eq!(status.code(), tonic::Code::Unauthenticated, "{bad:?}");
        }
        assert!(!format!("{token:?}").contains("s3cret"));
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
        assert!(AdminToken::new(&read).check(request(Some(&format!("Bearer {}", read.trim())))).is_ok());
    }
}
