//! Durable state of a server: the labelled examples users submit, and the
//! model versions trained from them.

mod examples;
mod registry;

pub use examples::{AddOutcome, ExampleStore, Relabelled, SqliteStore};
pub use registry::{ModelRegistry, VersionInfo};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The example database failed (locked, read-only, disk full, corrupt...).
    #[error("example database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A file of the data directory could not be read or written.
    #[error("{path}: {source}")]
    Io { path: std::path::PathBuf, source: std::io::Error },
    /// A model file could not be used.
    #[error("model {id}: {source}")]
    Model { id: String, source: crate::model::ModelFileError },
    /// The version manifest is unreadable.
    #[error("{path}: unreadable manifest: {reason}")]
    Manifest { path: std::path::PathBuf, reason: String },
    /// No kept version has this id.
    #[error("no model version {0:?}")]
    UnknownVersion(String),
}
