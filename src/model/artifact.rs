//! The model file: what a trained model is on disk.
//!
//! Layout: the magic line `tweetguide-model\n`, the format version as a
//! little-endian `u32`, a postcard payload, then the SHA-256 of the payload.
//! The payload holds the model's sufficient statistics (per-class counts),
//! not its log-probabilities: they are derived at load, and a retrain can
//! add to them. It also holds the held-apart predictions its probabilities
//! are calibrated on, so that a retrain can refit the calibration.
//! The checksum catches truncation and bit rot before any field is trusted,
//! and doubles as the model's identity. Nothing time-dependent is stored, so
//! training the same data twice gives the same bytes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::calibration::HeldApartSample;
use super::info::ModelInfo;
use super::scorer::Scorer;
use super::stats::{Priors, Statistics};
use super::train::{MAX_ALPHA, MIN_ALPHA};
use crate::Label;
use crate::corpus::hex;
use crate::text::{Tokenizer, UnsupportedTokenizer};

const MAGIC: &[u8] = b"tweetguide-model\n";
/// Version of the layout below; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 4;
const CHECKSUM_LEN: usize = 32;

/// Why a model file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file does not start like a tweetguide model.
    #[error("not a tweetguide model file (bad magic header)")]
    NotAModel,
    /// Written by another version of tweetguide.
    #[error(
        "model format version {found} is not supported (this build reads version {FORMAT_VERSION}): written by another release of tweetguide: retrain it with `tweetguide train`"
    )]
    Incompatible { found: u32 },
    /// Truncated, altered or otherwise unreadable.
    #[error("corrupt model file: {0}")]
    Corrupt(String),
    /// Made with a tokenizer this build does not have.
    #[error(transparent)]
    Tokenizer(#[from] UnsupportedTokenizer),
}

/// The payload as written; borrows from the model to avoid copying it.
#[derive(Serialize)]
struct PayloadRef<'a> {
    info: &'a ModelInfo,
    statistics: &'a Statistics,
    held_apart: &'a HeldApartSample,
}

/// The payload as read back; same fields, same order.
#[derive(Deserialize)]
struct Payload {
    info: ModelInfo,
    statistics: Statistics,
    held_apart: HeldApartSample,
}

/// A model file's parts, checked.
pub(crate) struct Decoded {
    pub(crate) info: ModelInfo,
    pub(crate) statistics: Statistics,
    pub(crate) held_apart: HeldApartSample,
    pub(crate) scorer: Scorer,
    pub(crate) id: String,
}

/// Serialises a model; returns the bytes and the payload checksum.
pub(crate) fn encode(
    info: &ModelInfo,
    statistics: &Statistics,
    held_apart: &HeldApartSample,
) -> Result<(Vec<u8>, [u8; CHECKSUM_LEN]), ModelFileError> {
    let body = postcard::to_stdvec(&PayloadRef { info, statistics, held_apart })
        .map_err(|e| ModelFileError::Corrupt(format!("cannot encode model: {e}")))?;
    let checksum: [u8; CHECKSUM_LEN] = Sha256::digest(&body).into();
    let mut bytes = Vec::with_capacity(MAGIC.len() + 4 + body.len() + CHECKSUM_LEN);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(&checksum);
    Ok((bytes, checksum))
}

/// Parses and validates model bytes; returns the parts and the model id.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded, ModelFileError> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(ModelFileError::NotAModel)?;
    let (version, rest) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| ModelFileError::Corrupt("file ends inside the header".to_owned()))?;
    let found = u32::from_le_bytes(*version);
    if found != FORMAT_VERSION {
        return Err(ModelFileError::Incompatible { found });
    }
    let (body, checksum) = rest
        .split_last_chunk::<CHECKSUM_LEN>()
        .ok_or_else(|| ModelFileError::Corrupt("file too short for its checksum".to_owned()))?;
    let actual: [u8; CHECKSUM_LEN] = Sha256::digest(body).into();
    if &actual != checksum {
        return Err(ModelFileError::Corrupt("checksum mismatch (truncated or altered file)".to_owned()));
    }
    let (payload, trailing): (Payload, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| ModelFileError::Corrupt(format!("undecodable payload: {e}")))?;
    if !trailing.is_empty() {
        return Err(ModelFileError::Corrupt(format!("{} unexpected bytes after the payload", trailing.len())));
    }
    validate(&payload)?;
    let tokenizer = Tokenizer::new(payload.info.tokenizer.clone())?;
    let training = &payload.info.training;
    let scorer = payload
        .statistics
        .scorer(training.alpha, training.priors, &tokenizer)
        .with_calibration(payload.info.calibration.calibration);
    Ok(Decoded {
        info: payload.info,
        statistics: payload.statistics,
        held_apart: payload.held_apart,
        scorer,
        id: model_id(&actual),
    })
}

/// Checks what the checksum cannot: that the content makes sense.
fn validate(payload: &Payload) -> Result<(), ModelFileError> {
    let bad = |why: &str| Err(ModelFileError::Corrupt(why.to_owned()));
    if payload.info.labels != Label::ALL {
        return bad("labels differ from self_promotion, sharing, political");
    }
    // Smoothing keeps every log-probability finite; one far outside what
    // training chooses would make them meaningless.
    let training = &payload.info.training;
    if !(MIN_ALPHA..=MAX_ALPHA).contains(&training.alpha) {
        return bad("the smoothing must be between 1e-6 and 1e6");
    }
    if training.min_df == 0 {
        return bad("min_df must be at least 1");
    }
    // Tuned log-priors are probabilities' logs: finite, at most 0, and far
    // from the -1e300 that would make a 25,000-character text's sum lose them.
    if let Priors::Tuned(log_priors) = training.priors
        && !log_priors.iter().all(|p| (-1e6..=0.0).contains(p))
    {
        return bad("tuned log-priors must be between -1e6 and 0");
    }
    if !payload.info.calibration.calibration.is_usable() {
        return bad("the calibration's factor must stay between 1e-6 and 100");
    }
    payload.held_apart.check().map_err(ModelFileError::Corrupt)?;
    payload.statistics.check().map_err(ModelFileError::Corrupt)
}

/// Short, stable identity of a model: the start of its checksum.
pub(crate) fn model_id(checksum: &[u8; CHECKSUM_LEN]) -> String {
    hex(&checksum[..8])
}

/// Writes `bytes` to `path` so that readers see the old file or the new one,
/// never a mix: a temporary file in the same folder, flushed, then renamed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), std::io::Error> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable.
    fs::File::open(dir)?.sync_all()
}

/// Reads a model file from disk.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, ModelFileError> {
    fs::read(path).map_err(|source| ModelFileError::Io { path: path.to_owned(), source })
}
