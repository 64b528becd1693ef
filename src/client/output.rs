//! The JSON line written for each prediction, by the offline and the remote
//! `classify` alike, so that downstream tools see one format; and the file
//! it goes to, which a failed run must not damage.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Label;
use crate::model::Prediction;
use crate::proto::v1;

/// One prediction as a JSON object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionRecord {
    /// The input's id, when the input had ids (files do; bare texts do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The predicted label.
    pub label: Label,
    /// Probability of each label.
    pub probabilities: Probabilities,
    /// Strongest features behind the label.
    pub top_features: Vec<FeatureRecord>,
    /// Id of the model that made the prediction.
    pub model_version: String,
}

/// Probability of each label, as named JSON fields.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probabilities {
    pub self_promotion: f64,
    pub sharing: f64,
    pub political: f64,
}

/// A feature and its weight towards the predicted label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureRecord {
    pub feature: String,
    pub weight: f64,
}

impl PredictionRecord {
    /// From an in-process prediction.
    pub fn from_local(id: Option<String>, p: &Prediction, model_version: &str) -> Self {
        PredictionRecord {
            id,
            label: p.label,
            probabilities: Probabilities {
                self_promotion: p.probability(Label::SelfPromotion),
                sharing: p.probability(Label::Sharing),
                political: p.probability(Label::Political),
            },
            top_features: p
                .top_features
                .iter()
                .map(|f| FeatureRecord { feature: f.feature.clone(), weight: f.weight })
                .collect(),
            model_version: model_version.to_owned(),
        }
    }

    /// From a server's answer; `None` if the server sent no usable label.
    pub fn from_remote(p: v1::Prediction, model_version: &str, with_id: bool) -> Option<Self> {
        let label = Label::from_wire(p.label)?;
        let probabilities = p.probabilities.unwrap_or_default();
        Some(PredictionRecord {
            id: with_id.then_some(p.id),
            label,
            probabilities: Probabilities {
                self_promotion: probabilities.self_promotion,
                sharing: probabilities.sharing,
                political: probabilities.political,
            },
            top_features: p
                .top_features
                .into_iter()
                .map(|f| FeatureRecord { feature: f.feature, weight: f.weight })
                .collect(),
            model_version: model_version.to_owned(),
        })
    }

    /// One readable line: label, the three probabilities, the top features.
    pub fn to_human_line(&self) -> String {
        let features: Vec<&str> = self.top_features.iter().map(|f| f.feature.as_str()).collect();
        let id = self.id.as_ref().map(|id| format!("{id}\t")).unwrap_or_default();
        format!(
            "{id}{:<15} self_promotion {:.3}  sharing {:.3}  political {:.3}  [{}]",
            self.label.as_str(),
            self.probabilities.self_promotion,
            self.probabilities.sharing,
            self.probabilities.political,
            features.join(", ")
        )
    }
}

/// An output file that is replaced whole or not at all: written to a
/// temporary file in the same folder, synced, then renamed over the target.
/// A run that fails half-way (unreadable input, a server error, a full disk)
/// leaves the previous file as it was instead of a truncated one, and the
/// temporary file is removed when an `AtomicFile` is dropped uncommitted.
///
/// Something other than a regular file (`/dev/null`, a named pipe) cannot be
/// replaced, and holds nothing to lose: it is written in place.
pub struct AtomicFile {
    target: PathBuf,
    inner: Inner,
}

enum Inner {
    Temporary(BufWriter<tempfile::NamedTempFile>),
    InPlace(BufWriter<File>),
}

impl AtomicFile {
    /// Prepares to replace `path`; nothing is visible there until [`commit`](Self::commit).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let existing = fs::metadata(path).ok();
        if existing.as_ref().is_some_and(|m| !m.is_file()) {
            let file = fs::OpenOptions::new().write(true).truncate(true).open(path)?;
            return Ok(AtomicFile { target: path.to_owned(), inner: Inner::InPlace(BufWriter::new(file)) });
        }
        // Through a symbolic link, the file it points to is what gets replaced.
        let target = if existing.is_some() { fs::canonicalize(path)? } else { path.to_owned() };
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let prefix = format!(".{}.", target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            // The replacement keeps the permissions of the file it replaces, and
            // a new file gets those `File::create` would give it (umask applies).
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(existing.map_or_else(|| fs::Permissions::from_mode(0o666), |m| m.permissions()));
        }
        let file = builder.tempfile_in(dir)?;
        Ok(AtomicFile { target, inner: Inner::Temporary(BufWriter::with_capacity(1 << 16, file)) })
    }

    /// Makes the file appear under its name, durably: data synced, renamed,
    /// then the folder synced so that the rename survives a crash.
    pub fn commit(self) -> io::Result<()> {
        match self.inner {
            Inner::InPlace(mut writer) => writer.flush(),
            Inner::Temporary(writer) => {
                let file = writer.into_inner().map_err(io::IntoInnerError::into_error)?;
                file.as_file().sync_all()?;
                file.persist(&self.target).map_err(|e| e.error)?;
                match self.target.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
                    _ => File::open(".")?.sync_all(),
                }
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Temporary(writer) => writer.write(buf),
            Inner::InPlace(writer) => writer.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::Temporary(writer) => writer.write_all(buf),
            Inner::InPlace(writer) => writer.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Temporary(writer) => writer.flush(),
            Inner::InPlace(writer) => writer.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_changes_until_commit_and_nothing_is_left_behind() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("out.jsonl");
        fs::write(&path, "old\n").expect("write");
        let mut file = AtomicFile::create(&path).expect("create");
        file.write_all(b"new\n").expect("write");
        file.flush().expect("flush");
        assert_eq!(fs::read_to_string(&path).expect("read"), "old\n");
        drop(file);
        assert_eq!(fs::read_to_string(&path).expect("read"), "old\n", "dropped uncommitted");
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1, "the temporary file is gone");

        let mut file = AtomicFile::create(&path).expect("create");
        file.write_all(b"new\n").expect("write");
        file.commit().expect("commit");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new\n");
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_devices_written_in_place() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let real = dir.path().join("real.html");
        fs::write(&real, "old").expect("write");
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).expect("chmod");
        let link = dir.path().join("link.html");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let mut file = AtomicFile::create(&link).expect("create");
        file.write_all(b"new").expect("write");
        file.commit().expect("commit");
        assert!(fs::symlink_metadata(&link).expect("link").file_type().is_symlink(), "the link stays a link");
        assert_eq!(fs::read_to_string(&real).expect("read"), "new");
        assert_eq!(fs::metadata(&real).expect("meta").permissions().mode() & 0o777, 0o640);

        let mut null = AtomicFile::create(Path::new("/dev/null")).expect("/dev/null");
        null.write_all(b"discarded").expect("write");
        null.commit().expect("commit");
    }
}
