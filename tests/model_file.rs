//! Loading model files: every damaged file gives a clear error, never a panic.

use tweetguide::model::{FORMAT_VERSION, Model, ModelFileError};

fn default_bytes() -> Vec<u8> {
    Model::embedded_default().expect("embedded model").to_bytes().expect("encode")
}

fn load_error(bytes: &[u8]) -> ModelFileError {
    Model::from_bytes(bytes).expect_err("must be refused")
}

#[test]
fn round_trips_through_disk_atomically() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested/model.bin");
    let model = Model::embedded_default().expect("embedded model");
    model.save(&path).expect("save");
    let loaded = Model::load(&path).expect("load");
    assert_eq!(loaded.id(), model.id());
    assert_eq!(std::fs::read(&path).expect("read"), default_bytes());
    let leftovers = std::fs::read_dir(path.parent().expect("parent")).expect("list").count();
    assert_eq!(leftovers, 1, "no temporary file left behind");
}

#[test]
fn truncated_files_are_refused() {
    let bytes = default_bytes();
    for len in [0, 5, 20, bytes.len() / 2, bytes.len() - 1] {
        let err = load_error(&bytes[..len]);
        assert!(matches!(err, ModelFileError::NotAModel | ModelFileError::Corrupt(_)), "length {len}: {err}");
    }
}

#[test]
fn altered_bytes_fail_the_checksum() {
    let mut bytes = default_bytes();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    let err = load_error(&bytes);
    assert!(err.to_string().contains("checksum"), "{err}");
}

#[test]
fn other_formats_and_versions_are_refused_with_advice() {
    let err = load_error(b"{\"not\": \"a model\"}");
    assert!(matches!(err, ModelFileError::NotAModel), "{err}");

    let mut bytes = default_bytes();
    let header = b"tweetguide-model\n".len();
    bytes[header..header + 4].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = load_error(&bytes);
    assert!(matches!(err, ModelFileError::Incompatible { .. }), "{err}");
    assert!(err.to_string().contains("tweetguide train"), "{err}");
}

#[test]
fn missing_files_name_the_path() {
    let err = Model::load(std::path::Path::new("/nonexistent/tweetguide.model")).expect_err("missing");
    assert!(err.to_string().contains("/nonexistent/tweetguide.model"), "{err}");
}
