//! Durable state of a server: the labelled examples users submit, and the
//! model versions trained from them.

mod examples;
mod folder;
mod registry;

use std::path::PathBuf;

pub use examples::{AddOutcome, BUSY_TIMEOUT, ExampleStore, Relabelled, SqliteStore};
pub use folder::{DataFolder, FolderError, LOCK_FILE};
pub use registry::{Initial, ModelRegistry, VersionInfo};

/// Why the store failed. The variants a caller can act on (retry, free disk
/// space, fix permissions, pick another model) are kept apart from the rest.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The example database failed in a way no other variant describes.
    #[error("example database: {0}")]
    Database(#[from] rusqlite::Error),
    /// Another process holds the example database's write lock.
    #[error(
        "the example database {path} is locked by another process (waited {:.1} s for it); the call can be retried",
        BUSY_TIMEOUT.as_secs_f64()
    )]
    Locked { path: PathBuf },
    /// The example database cannot be written (file mode, owner, read-only mount).
    #[error("the example database {path} is read-only")]
    ReadOnly { path: PathBuf },
    /// The disk, a quota or the file size limit is full.
    #[error("the disk is full: cannot write {path} ({source})")]
    Full { path: PathBuf, source: std::io::Error },
    /// A file of the data directory could not be read or written.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A model file could not be used.
    #[error("model {id}: {source}")]
    Model { id: String, source: crate::model::ModelFileError },
    /// The version manifest is unreadable. Starting afresh would forget every
    /// kept version, so this stops the server instead.
    #[error(
        "{path} is unreadable ({reason}); refusing to start rather than forget the kept model versions: restore the file, or move the folder {} aside to start again from the built-in model",
        folder(.path).display()
    )]
    Manifest { path: PathBuf, reason: String },
    /// Neither the active version nor any other kept one loads.
    #[error(
        "no kept model version in {dir} can be loaded ({found}); pass --model FILE to serve a model file, or move the folder {dir} aside to start again from the built-in model"
    )]
    NoUsableVersion { dir: PathBuf, found: String },
    /// No kept version has this id.
    #[error("no model version {0:?}")]
    UnknownVersion(String),
}

/// The folder holding `path`, to name in advice.
fn folder(path: &std::path::Path) -> &std::path::Path {
    path.parent().unwrap_or(path)
}

impl StoreError {
    /// Sorts an I/O failure: a full disk is worth telling apart, because
    /// freeing space fixes it.
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> StoreError {
        use std::io::ErrorKind;
        let path = path.to_owned();
        match source.kind() {
            ErrorKind::StorageFull | ErrorKind::FileTooLarge | ErrorKind::QuotaExceeded => {
                StoreError::Full { path, source }
            }
            _ => StoreError::Io { path, source },
        }
    }
}
