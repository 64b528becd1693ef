//! Model versions on disk: one file per trained model, and a manifest that
//! says which one is active.
//!
//! Files are written atomically (temporary file, flushed, then renamed) and a
//! model file is complete on disk before the manifest names it, so a crash at
//! any point leaves the previous active model in place: a half-written model
//! can never become active. Opening still checks the active model, because a
//! disk or a person can damage a file afterwards, and falls back to the newest
//! kept version that loads. A manifest that was deleted is rebuilt from the
//! model files, which carry their own checksum (their id) and metadata.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::StoreError;
use crate::model::{Model, ModelFileError, write_atomically};

const MANIFEST: &str = "manifest.json";

/// Prefix of the temporary files [`write_atomically`] renames into place.
const TEMPORARY_PREFIX: &str = ".tmp";

/// What the registry remembers about a model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The model's id (derived from its content).
    pub id: String,
    /// The version that was active when this one was trained.
    pub parent: Option<String>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// Where it came from: `builtin`, `file` or `retrain`.
    pub origin: String,
    /// Training examples (corpus plus added examples).
    pub training_examples: u64,
    /// Of which, examples added through the API.
    pub added_examples: u64,
    /// SHA-256 of the training examples.
    pub data_sha256: String,
    /// Features in its vocabulary.
    pub vocabulary_size: u64,
    /// Held-out accuracy.
    pub accuracy: f64,
    /// Held-out macro-F1.
    pub macro_f1: f64,
    /// Smoothing it was fitted with.
    pub alpha: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    active: String,
    versions: Vec<VersionInfo>,
}

/// The model a server is started with.
#[derive(Debug, Clone, Copy)]
pub enum Initial<'a> {
    /// The built-in model: it starts a new folder; otherwise the folder's
    /// active version is served.
    Builtin(&'a Model),
    /// A model file the operator chose (`--model`): registered and made
    /// active whatever the folder held, so it also rescues a folder whose
    /// kept versions no longer load.
    File(&'a Model),
}

/// The kept model versions of one data directory. One server per directory
/// (`serve` locks the data folder): the manifest is read once, at start.
#[derive(Debug)]
pub struct ModelRegistry {
    dir: PathBuf,
    keep: usize,
    manifest: Mutex<Manifest>,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::io(path, source)
}

/// Why a version cannot be used, without repeating its id.
fn reason(error: &StoreError) -> String {
    match error {
        StoreError::Model { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// Deletes the temporary files of writes a crash interrupted. They can never
/// become active (only `<id>.model` files are named by the manifest); this
/// only gives their disk space back.
fn remove_unfinished_writes(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut removed = 0;
    for entry in entries.flatten() {
        let unfinished = entry.file_name().to_str().is_some_and(|name| name.starts_with(TEMPORARY_PREFIX))
            && entry.file_type().is_ok_and(|t| t.is_file());
        if unfinished && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        info!(dir = %dir.display(), removed, "removed temporary files left by an interrupted write");
    }
}

impl ModelRegistry {
    /// Opens the registry in `dir` and loads the model to serve.
    ///
    /// An active version that is missing, corrupt or holds another model is
    /// replaced by the newest kept version that loads, with a warning. When
    /// none loads, or the manifest itself is unreadable, this fails rather
    /// than serve something unexpected or forget the kept versions.
    ///
    /// A manifest missing beside model files was lost, not yet written: it is
    /// rebuilt from the files that load, with a warning, and the newest file
    /// is made active, as the likeliest to have been (a retrain activates
    /// what it writes, and a rollback is one ActivateModel away); with
    /// `Initial::File`, that file is, as always.
    pub fn open(dir: &Path, keep: usize, initial: Initial<'_>) -> Result<(ModelRegistry, Model), StoreError> {
        super::folder::create_private_dir(dir).map_err(io_error(dir))?;
        remove_unfinished_writes(dir);
        let manifest_path = dir.join(MANIFEST);
        let (model, origin) = match initial {
            Initial::Builtin(model) => (model, "builtin"),
            Initial::File(model) => (model, "file"),
        };
        let registry = match std::fs::read(&manifest_path) {
            Ok(bytes) => {
                let manifest: Manifest = serde_json::from_slice(&bytes)
                    .map_err(|e| StoreError::Manifest { path: manifest_path.clone(), reason: e.to_string() })?;
                ModelRegistry { dir: dir.to_owned(), keep: keep.max(1), manifest: Mutex::new(manifest) }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && has_model_files(dir) => {
                let builtin = match initial {
                    Initial::Builtin(builtin) => Some(builtin.id().to_owned()),
                    Initial::File(_) => Model::embedded_default().ok().map(|m| m.id().to_owned()),
                };
                let found = scan(dir, builtin.as_deref());
                if found.versions.is_empty() && matches!(initial, Initial::Builtin(_)) && !found.all_from_other_releases
                {
                    return Err(StoreError::NoUsableVersion { dir: dir.to_owned(), found: found.unusable.join("; ") });
                }
                let empty = Manifest { active: String::new(), versions: Vec::new() };
                let registry = ModelRegistry { dir: dir.to_owned(), keep: keep.max(1), manifest: Mutex::new(empty) };
                match found.versions.last() {
                    Some(newest) => {
                        let active = newest.id.clone();
                        let kept = found.versions.len();
                        registry.update(|m| *m = Manifest { active: active.clone(), versions: found.versions })?;
                        warn!(
                            path = %manifest_path.display(),
                            kept,
                            active = %active,
                            "{} was missing: rebuilt from the {kept} model files that load; {active}, the newest \
                             file, is active (ActivateModel picks another)",
                            manifest_path.display()
                        );
                    }
                    // Only versions of another release: start afresh as the
                    // release-change fallback does, leaving them in place.
                    None => {
                        registry.write_model(model)?;
                        registry.update(|m| {
                            m.active = model.id().to_owned();
                            m.versions.push(version_info(model, None, 0, origin));
                        })?;
                    }
                }
                registry
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let info = version_info(model, None, 0, origin);
                let manifest = Manifest { active: info.id.clone(), versions: Vec::new() };
                let registry = ModelRegistry { dir: dir.to_owned(), keep: keep.max(1), manifest: Mutex::new(manifest) };
                registry.write_model(model)?;
                registry.update(|m| m.versions.push(info))?;
                registry
            }
            Err(e) => return Err(io_error(&manifest_path)(e)),
        };
        let active = match initial {
            Initial::File(model) => registry.serve_file(model)?,
            Initial::Builtin(builtin) => match registry.load_active() {
                Err(StoreError::NoUsableVersion { found, .. }) if registry.all_from_other_releases() => {
                    // After an upgrade that changed the model format, every
                    // kept version is unreadable but none is damaged: serve
                    // the built-in model (the stored examples are untouched,
                    // and a retrain adds them to it again).
                    warn!(
                        kept = %found,
                        "the kept model versions were written by another release of tweetguide; serving the \
                         built-in model {} instead (run a retrain to add the stored examples to it)",
                        builtin.id()
                    );
                    registry.serve_builtin(builtin)?
                }
                other => other?,
            },
        };
        Ok((registry, active))
    }

    /// Makes an operator-chosen model the active version.
    fn serve_file(&self, model: &Model) -> Result<Model, StoreError> {
        let previous = self.active_id();
        if previous == model.id()
            && let Ok(loaded) = self.load_version(&previous)
        {
            return Ok(loaded);
        }
        let parent = (previous != model.id()).then_some(previous.as_str());
        self.register(model, parent, 0, "file")?;
        Ok(self.activate(model.id())?.0)
    }

    /// Whether every kept version fails to load only because another release
    /// of tweetguide wrote it (another model format or tokenizer version).
    fn all_from_other_releases(&self) -> bool {
        let manifest = self.lock().clone();
        !manifest.versions.is_empty()
            && manifest.versions.iter().all(|v| {
                matches!(
                    self.load_version(&v.id),
                    Err(StoreError::Model {
                        source: ModelFileError::Incompatible { .. } | ModelFileError::Tokenizer(_),
                        ..
                    })
                )
            })
    }

    /// Registers the built-in model (if needed) and makes it active.
    fn serve_builtin(&self, model: &Model) -> Result<Model, StoreError> {
        if self.get(model.id()).is_none() {
            self.register(model, None, 0, "builtin")?;
        }
        Ok(self.activate(model.id())?.0)
    }

    /// Loads the active version, or falls back to the newest kept one that
    /// loads. The fallback is recorded in the manifest, and failing to record
    /// it fails the start: otherwise ListModels, ActivateModel and the next
    /// start would disagree with the model being served.
    fn load_active(&self) -> Result<Model, StoreError> {
        let manifest = self.lock().clone();
        let active = &manifest.active;
        let unusable = if manifest.versions.iter().any(|v| &v.id == active) {
            match self.load_version(active) {
                Ok(model) => return Ok(model),
                Err(error) => reason(&error),
            }
        } else {
            "it is not listed among the kept versions".to_owned()
        };
        let mut found = vec![format!("active version {active}: {unusable}")];
        let mut others: Vec<&VersionInfo> = manifest.versions.iter().filter(|v| &v.id != active).collect();
        others.sort_by_key(|v| std::cmp::Reverse(v.created_at));
        for version in others {
            match self.load_version(&version.id) {
                Ok(model) => {
                    warn!(
                        unusable = %active,
                        using = %version.id,
                        "the active model version {active} cannot be used ({unusable}); serving {}, the newest kept \
                         version that loads, instead",
                        version.id
                    );
                    self.update(|m| m.active = version.id.clone())?;
                    return Ok(model);
                }
                Err(error) => {
                    let why = reason(&error);
                    warn!(version = %version.id, reason = %why, "kept model version {} cannot be loaded", version.id);
                    found.push(format!("version {}: {why}", version.id));
                }
            }
        }
        Err(StoreError::NoUsableVersion { dir: self.dir.clone(), found: found.join("; ") })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Manifest> {
        self.manifest.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.model"))
    }

    fn write_model(&self, model: &Model) -> Result<(), StoreError> {
        let path = self.path_of(model.id());
        let bytes = model.to_bytes().map_err(|source| StoreError::Model { id: model.id().to_owned(), source })?;
        write_atomically(&path, &bytes).map_err(io_error(&path))
    }

    /// Applies `change` to a copy of the manifest, writes it, and only then
    /// makes it the registry's state: a failed write changes nothing.
    fn update(&self, change: impl FnOnce(&mut Manifest)) -> Result<(), StoreError> {
        let mut manifest = self.lock();
        let mut next = manifest.clone();
        change(&mut next);
        let path = self.dir.join(MANIFEST);
        let bytes = serde_json::to_vec_pretty(&next).map_err(|e| StoreError::io(&path, std::io::Error::other(e)))?;
        write_atomically(&path, &bytes).map_err(io_error(&path))?;
        *manifest = next;
        Ok(())
    }

    /// Loads a kept version from disk, checking it is the model its name says.
    pub fn load_version(&self, id: &str) -> Result<Model, StoreError> {
        let model = Model::load(&self.path_of(id)).map_err(|source| StoreError::Model { id: id.to_owned(), source })?;
        if model.id() != id {
            let source = ModelFileError::Corrupt(format!("the file holds model {}", model.id()));
            return Err(StoreError::Model { id: id.to_owned(), source });
        }
        Ok(model)
    }

    /// Saves a new version (not active yet) and forgets the oldest ones
    /// beyond the number to keep (never the active one).
    pub fn register(
        &self,
        model: &Model,
        parent: Option<&str>,
        added_examples: u64,
        origin: &str,
    ) -> Result<VersionInfo, StoreError> {
        let already_kept = self.get(model.id()).is_some();
        self.write_model(model)?;
        let info = version_info(model, parent, added_examples, origin);
        let mut dropped = Vec::new();
        let keep = self.keep;
        let updated = self.update(|m| {
            m.versions.retain(|v| v.id != info.id);
            m.versions.push(info.clone());
            while m.versions.len() > keep {
                let Some(oldest) = m.versions.iter().position(|v| v.id != m.active) else { break };
                dropped.push(m.versions.remove(oldest).id);
            }
        });
        if let Err(error) = updated {
            if !already_kept {
                // Best effort: the manifest never named it, so it is an orphan.
                let _ = std::fs::remove_file(self.path_of(model.id()));
            }
            return Err(error);
        }
        for id in dropped {
            // Best effort: an orphan file costs disk space, nothing else.
            let _ = std::fs::remove_file(self.path_of(&id));
        }
        Ok(info)
    }

    /// Makes a kept version active (durably) and returns it, loaded.
    pub fn activate(&self, id: &str) -> Result<(Model, VersionInfo), StoreError> {
        let info = self.get(id).ok_or_else(|| StoreError::UnknownVersion(id.to_owned()))?;
        let model = self.load_version(id)?;
        self.update(|m| m.active = id.to_owned())?;
        Ok((model, info))
    }

    /// The id of the active version.
    pub fn active_id(&self) -> String {
        self.lock().active.clone()
    }

    /// Every kept version, oldest first.
    pub fn list(&self) -> Vec<VersionInfo> {
        self.lock().versions.clone()
    }

    /// One kept version.
    pub fn get(&self, id: &str) -> Option<VersionInfo> {
        self.lock().versions.iter().find(|v| v.id == id).cloned()
    }
}

/// Whether `dir` holds model files: a manifest missing beside them was lost,
/// not yet written.
fn has_model_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| entries.flatten().any(|entry| model_file_id(&entry.path()).is_some()))
}

/// The version id a model file's name gives, `<id>.model`.
fn model_file_id(path: &Path) -> Option<&str> {
    let id = path.file_name()?.to_str()?.strip_suffix(".model")?;
    (!id.is_empty() && !id.starts_with(TEMPORARY_PREFIX)).then_some(id)
}

/// The model files of a folder whose manifest was lost.
struct Scan {
    /// Versions that load and are the model their name says, oldest first.
    versions: Vec<VersionInfo>,
    /// The other files, and why each cannot be used.
    unusable: Vec<String>,
    /// Whether every unusable file only comes from another release.
    all_from_other_releases: bool,
}

/// Rebuilds what the manifest said of each model file. A file holds its
/// model's metadata, not when it was registered, from what, or how it came:
/// the file's modification time stands for the first (a version's file is
/// written once, when it is registered), the parent is unknown, and the
/// origin is `retrain` for a model with added examples, `builtin` for the
/// built-in model and `file` otherwise.
fn scan(dir: &Path, builtin: Option<&str>) -> Scan {
    let mut found = Scan { versions: Vec::new(), unusable: Vec::new(), all_from_other_releases: true };
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(id) = model_file_id(&path) else { continue };
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let loaded = Model::load(&path).and_then(|model| {
            if model.id() == id {
                Ok(model)
            } else {
                Err(ModelFileError::Corrupt(format!("the file holds model {}", model.id())))
            }
        });
        match loaded {
            Ok(model) => {
                // Added examples are the `examples` source of `Model::with_examples`.
                let added: u64 = model
                    .info()
                    .training
                    .sources
                    .iter()
                    .filter(|source| source.name == "examples")
                    .map(|source| source.examples)
                    .sum();
                let origin = if added > 0 {
                    "retrain"
                } else if builtin == Some(id) {
                    "builtin"
                } else {
                    "file"
                };
                let mut info = version_info(&model, None, added, origin);
                info.created_at =
                    entry.metadata().and_then(|m| m.modified()).map_or(DateTime::UNIX_EPOCH, DateTime::from);
                found.versions.push(info);
            }
            Err(error) => {
                found.all_from_other_releases &=
                    matches!(error, ModelFileError::Incompatible { .. } | ModelFileError::Tokenizer(_));
                warn!(
                    path = %path.display(),
                    reason = %error,
                    "model file {} cannot be used; left out of the rebuilt manifest, and left in place",
                    path.display()
                );
                found.unusable.push(format!("{}: {error}", path.display()));
            }
        }
    }
    found.versions.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
    found
}

fn version_info(model: &Model, parent: Option<&str>, added_examples: u64, origin: &str) -> VersionInfo {
    let info = model.info();
    let held_out = info.held_out.as_ref();
    VersionInfo {
        id: model.id().to_owned(),
        parent: parent.map(str::to_owned),
        created_at: Utc::now(),
        origin: origin.to_owned(),
        training_examples: info.training.examples,
        added_examples,
        data_sha256: info.training.data_sha256.clone(),
        vocabulary_size: model.vocabulary_size() as u64,
        accuracy: held_out.map_or(0.0, |m| m.accuracy),
        macro_f1: held_out.map_or(0.0, |m| m.macro_f1),
        alpha: info.training.alpha,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Label;
    use crate::corpus::LabelledTweet;
    use crate::model::TrainParams;

    /// A small model whose vocabulary (hence id) depends on `topic`.
    fn tiny_model(topic: &str) -> Model {
        let words = ["vote election minister", "shop discount order", "read article thread"];
        let tweets: Vec<LabelledTweet> = (0..18)
            .map(|i| LabelledTweet {
                text: format!("{topic} {} number{}", words[i % 3], i / 3),
                label: Label::ALL[i % 3],
                lang: None,
            })
            .collect();
        let params = TrainParams::default().alphas(vec![1.0]).folds(2).min_df(1).check().expect("params");
        let data = crate::model::TrainingData::single("tiny", &tweets);
        crate::model::train(&data, crate::model::HeldOut::default(), &params).expect("train")
    }

    fn manifest_of(dir: &Path) -> Manifest {
        serde_json::from_slice(&std::fs::read(dir.join(MANIFEST)).expect("manifest")).expect("parses")
    }

    /// A folder holding versions a (oldest), b and c (active), in that order.
    fn three_versions(dir: &Path) -> [Model; 3] {
        let [a, b, c] = [tiny_model("alpha"), tiny_model("bravo"), tiny_model("charlie")];
        let (registry, _) = ModelRegistry::open(dir, 10, Initial::Builtin(&a)).expect("open");
        registry.register(&b, Some(a.id()), 0, "retrain").expect("register b");
        registry.register(&c, Some(b.id()), 0, "retrain").expect("register c");
        registry.activate(c.id()).expect("activate c");
        [a, b, c]
    }

    fn corrupt(path: &Path) {
        let mut bytes = std::fs::read(path).expect("read");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(path, bytes).expect("write");
    }

    /// Rewrites a model file's format version, as another release would have.
    fn from_another_release(path: &Path) {
        let mut bytes = std::fs::read(path).expect("read");
        let header = b"tweetguide-model\n".len();
        bytes[header..header + 4].copy_from_slice(&(crate::model::FORMAT_VERSION - 1).to_le_bytes());
        std::fs::write(path, bytes).expect("write");
    }

    #[test]
    fn versions_written_by_another_release_give_way_to_the_built_in_model() {
        let dir = tempfile::tempdir().expect("dir");
        let [a, b, c] = three_versions(dir.path());
        for model in [&a, &b, &c] {
            from_another_release(&dir.path().join(format!("{}.model", model.id())));
        }
        // The built-in model of the new release is another model again.
        let builtin = tiny_model("delta");
        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&builtin)).expect("open");
        assert_eq!(model.id(), builtin.id());
        assert_eq!(manifest_of(dir.path()).active, builtin.id(), "recorded");
        assert!(registry.list().iter().any(|v| v.id == c.id()), "the old versions stay listed");
    }

    #[test]
    fn a_damaged_version_among_other_releases_still_refuses_to_start() {
        let dir = tempfile::tempdir().expect("dir");
        let [a, b, c] = three_versions(dir.path());
        from_another_release(&dir.path().join(format!("{}.model", a.id())));
        from_another_release(&dir.path().join(format!("{}.model", b.id())));
        corrupt(&dir.path().join(format!("{}.model", c.id())));
        let err = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&tiny_model("delta"))).expect_err("refused");
        assert!(matches!(err, StoreError::NoUsableVersion { .. }), "{err}");
    }

    #[test]
    fn a_corrupt_active_model_falls_back_to_the_newest_kept_version_that_loads() {
        let dir = tempfile::tempdir().expect("dir");
        let [a, b, c] = three_versions(dir.path());
        corrupt(&dir.path().join(format!("{}.model", c.id())));
        // List the versions newest first: the fallback goes by creation time,
        // not by position in the manifest.
        let mut manifest = manifest_of(dir.path());
        manifest.versions.reverse();
        std::fs::write(dir.path().join(MANIFEST), serde_json::to_vec(&manifest).expect("json")).expect("write");

        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&a)).expect("open");
        assert_eq!(model.id(), b.id());
        assert_eq!(registry.active_id(), b.id());
        assert_eq!(manifest_of(dir.path()).active, b.id(), "the fallback is recorded");
        assert_eq!(registry.list().len(), 3, "the unusable version is still listed, for inspection");
    }

    #[test]
    fn a_missing_active_file_or_one_holding_another_model_falls_back_too() {
        let dir = tempfile::tempdir().expect("dir");
        let [a, b, c] = three_versions(dir.path());
        std::fs::remove_file(dir.path().join(format!("{}.model", c.id()))).expect("remove c");
        let (_, model) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&a)).expect("open");
        assert_eq!(model.id(), b.id());

        // b's file now holds a: b is skipped as well.
        std::fs::copy(dir.path().join(format!("{}.model", a.id())), dir.path().join(format!("{}.model", b.id())))
            .expect("copy");
        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&c)).expect("open");
        assert_eq!(model.id(), a.id());
        assert_eq!(registry.active_id(), a.id());
        let error = registry.load_version(b.id()).expect_err("b holds a");
        assert!(error.to_string().contains(&format!("holds model {}", a.id())), "{error}");
    }

    #[test]
    fn no_loadable_version_refuses_to_open_and_says_what_to_do() {
        let dir = tempfile::tempdir().expect("dir");
        let [a, b, c] = three_versions(dir.path());
        for model in [&a, &b] {
            corrupt(&dir.path().join(format!("{}.model", model.id())));
        }
        std::fs::remove_file(dir.path().join(format!("{}.model", c.id()))).expect("remove c");
        let before = std::fs::read(dir.path().join(MANIFEST)).expect("manifest");

        let error = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&a)).expect_err("nothing loads");
        assert!(matches!(error, StoreError::NoUsableVersion { .. }), "{error:?}");
        let message = error.to_string();
        for model in [&a, &b, &c] {
            assert!(message.contains(model.id()), "{message}");
        }
        assert!(message.contains("checksum") && message.contains("No such file"), "{message}");
        assert!(message.contains("--model FILE") && message.contains("aside"), "{message}");
        assert_eq!(std::fs::read(dir.path().join(MANIFEST)).expect("manifest"), before, "nothing was rewritten");

        // The advice works: a model file given explicitly is served.
        let chosen = tiny_model("delta");
        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::File(&chosen)).expect("rescued");
        assert_eq!(model.id(), chosen.id());
        assert_eq!(manifest_of(dir.path()).active, chosen.id());
        assert_eq!(registry.get(chosen.id()).expect("kept").origin, "file");
    }

    #[test]
    fn an_unreadable_manifest_refuses_to_open_and_is_left_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let [a, _, c] = three_versions(dir.path());
        let path = dir.path().join(MANIFEST);
        let mut garbage = std::fs::read(&path).expect("manifest");
        garbage.truncate(garbage.len() / 2);
        std::fs::write(&path, &garbage).expect("truncate");
        for initial in [Initial::Builtin(&a), Initial::File(&c)] {
            let error = ModelRegistry::open(dir.path(), 10, initial).expect_err("unreadable manifest");
            assert!(matches!(error, StoreError::Manifest { .. }), "{error:?}");
            let message = error.to_string();
            assert!(message.contains("manifest.json") && message.contains("refusing to start"), "{message}");
            assert_eq!(std::fs::read(&path).expect("manifest"), garbage, "never silently reset");
        }
    }

    #[test]
    fn every_crash_point_of_a_registration_leaves_a_loadable_active_model() {
        let dir = tempfile::tempdir().expect("dir");
        let [a, b, c] = three_versions(dir.path());
        let d = tiny_model("delta");
        // Killed while writing the model: a temporary file is left behind.
        let partial = d.to_bytes().expect("bytes");
        std::fs::write(dir.path().join(".tmpXk2f9a"), &partial[..partial.len() / 3]).expect("partial");
        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&a)).expect("open");
        assert_eq!(model.id(), c.id());
        assert!(!dir.path().join(".tmpXk2f9a").exists(), "unfinished write cleaned up");
        // Killed after the model file, before the manifest: an orphan file.
        d.save(&dir.path().join(format!("{}.model", d.id()))).expect("orphan");
        drop(registry);
        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&a)).expect("open");
        assert_eq!(model.id(), c.id());
        assert!(registry.get(d.id()).is_none());
        // Killed after registering, before activating.
        registry.register(&d, Some(c.id()), 0, "retrain").expect("register");
        drop(registry);
        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&a)).expect("open");
        assert_eq!(model.id(), c.id());
        assert!(registry.get(d.id()).is_some() && registry.get(b.id()).is_some());
    }

    /// Sets the modification time of `model`'s file to `hours` ago.
    fn aged(dir: &Path, model: &Model, hours: u64) {
        let file = std::fs::File::options().write(true).open(dir.join(format!("{}.model", model.id()))).expect("open");
        let when = std::time::SystemTime::now() - std::time::Duration::from_secs(hours * 3600);
        file.set_modified(when).expect("set mtime");
    }

    #[test]
    fn a_lost_manifest_is_rebuilt_from_the_files_and_the_newest_file_is_active() {
        let dir = tempfile::tempdir().expect("dir");
        let [a, b, c] = three_versions(dir.path());
        // Registered a, b, c; the files say b is the newest.
        aged(dir.path(), &a, 3);
        aged(dir.path(), &c, 2);
        aged(dir.path(), &b, 1);
        std::fs::remove_file(dir.path().join(MANIFEST)).expect("remove manifest");

        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&a)).expect("open");
        assert_eq!(model.id(), b.id());
        let ids: Vec<String> = registry.list().into_iter().map(|v| v.id).collect();
        assert_eq!(ids, [a.id(), c.id(), b.id()], "oldest file first");
        assert_eq!(registry.get(a.id()).expect("a").origin, "builtin");
        assert_eq!(registry.get(c.id()).expect("c").origin, "file");
        assert_eq!(manifest_of(dir.path()).active, b.id(), "written");
        drop(registry);

        // Given a model file, that one is served; the others are kept.
        std::fs::remove_file(dir.path().join(MANIFEST)).expect("remove manifest");
        let d = tiny_model("delta");
        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::File(&d)).expect("open");
        assert_eq!(model.id(), d.id());
        assert_eq!(registry.list().len(), 4);
    }

    #[test]
    fn a_lost_manifest_beside_files_that_do_not_load_refuses_unless_given_a_model_file() {
        let dir = tempfile::tempdir().expect("dir");
        let [a, b, c] = three_versions(dir.path());
        for model in [&a, &b, &c] {
            corrupt(&dir.path().join(format!("{}.model", model.id())));
        }
        std::fs::remove_file(dir.path().join(MANIFEST)).expect("remove manifest");
        let error = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&a)).expect_err("nothing loads");
        assert!(matches!(error, StoreError::NoUsableVersion { .. }), "{error:?}");
        assert!(error.to_string().contains(&format!("{}.model", c.id())), "{error}");
        assert!(!dir.path().join(MANIFEST).exists(), "nothing written");

        let d = tiny_model("delta");
        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::File(&d)).expect("rescued");
        assert_eq!(model.id(), d.id());
        assert_eq!(registry.list().len(), 1);
        assert!(dir.path().join(format!("{}.model", a.id())).exists(), "the damaged files are left in place");
    }

    #[test]
    fn a_lost_manifest_beside_versions_of_another_release_starts_from_the_built_in_model() {
        let dir = tempfile::tempdir().expect("dir");
        for model in three_versions(dir.path()) {
            from_another_release(&dir.path().join(format!("{}.model", model.id())));
        }
        std::fs::remove_file(dir.path().join(MANIFEST)).expect("remove manifest");
        let builtin = tiny_model("delta");
        let (registry, model) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&builtin)).expect("open");
        assert_eq!(model.id(), builtin.id());
        assert_eq!(registry.list().len(), 1);
        assert_eq!(manifest_of(dir.path()).active, builtin.id());
    }

    #[test]
    fn a_failed_manifest_write_forgets_the_new_model_file() {
        let dir = tempfile::tempdir().expect("dir");
        let a = tiny_model("alpha");
        let (registry, _) = ModelRegistry::open(dir.path(), 10, Initial::Builtin(&a)).expect("open");
        // A directory in the manifest's place makes its rename fail.
        let path = dir.path().join(MANIFEST);
        let saved = std::fs::read(&path).expect("manifest");
        std::fs::remove_file(&path).expect("remove");
        std::fs::create_dir_all(path.join("blocker")).expect("blocking directory");
        let b = tiny_model("bravo");
        registry.register(&b, Some(a.id()), 0, "retrain").expect_err("manifest cannot be written");
        assert!(!dir.path().join(format!("{}.model", b.id())).exists(), "no orphan left");
        assert_eq!(registry.list().len(), 1);
        assert_eq!(registry.active_id(), a.id());
        std::fs::remove_dir_all(&path).expect("unblock");
        std::fs::write(&path, saved).expect("restore");
    }
}
