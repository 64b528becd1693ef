//! Model versions on disk: one file per trained model, and a manifest that
//! says which one is active.
//!
//! Files are written atomically (temporary file, then rename) and the manifest
//! is written last, so a crash at any point leaves the previous active model
//! in place: a half-written model can never become active.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{Model, write_atomically};

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

/// The kept model versions of one data directory.
#[derive(Debug)]
pub struct ModelRegistry {
    dir: PathBuf,
    keep: usize,
    manifest: Mutex<Manifest>,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_owned(), source }
}

impl ModelRegistry {
    /// Opens the registry in `dir` and loads the active model. A new folder
    /// starts with `initial` (the built-in model, or a `--model` file) active.
    pub fn open(dir: &Path, keep: usize, initial: &Model, origin: &str) -> Result<(ModelRegistry, Model), StoreError> {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let manifest_path = dir.join("manifest.json");
        let registry = match std::fs::read(&manifest_path) {
            Ok(bytes) => {
                let manifest: Manifest = serde_json::from_slice(&bytes)
                    .map_err(|e| StoreError::Manifest { path: manifest_path.clone(), reason: e.to_string() })?;
                ModelRegistry { dir: dir.to_owned(), keep: keep.max(1), manifest: Mutex::new(manifest) }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let info = version_info(initial, None, 0, origin);
                let manifest = Manifest { active: info.id.clone(), versions: Vec::new() };
                let registry = ModelRegistry { dir: dir.to_owned(), keep: keep.max(1), manifest: Mutex::new(manifest) };
                registry.write_model(initial)?;
                registry.update(|m| m.versions.push(info))?;
                registry
            }
            Err(e) => return Err(io_error(&manifest_path)(e)),
        };
        let active = registry.active_id();
        let model = registry.load_version(&active)?;
        Ok((registry, model))
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
        let path = self.dir.join("manifest.json");
        let bytes = serde_json::to_vec_pretty(&next)
            .map_err(|e| StoreError::Manifest { path: path.clone(), reason: e.to_string() })?;
        write_atomically(&path, &bytes).map_err(io_error(&path))?;
        *manifest = next;
        Ok(())
    }

    /// Loads a kept version from disk.
    pub fn load_version(&self, id: &str) -> Result<Model, StoreError> {
        let model = Model::load(&self.path_of(id)).map_err(|source| StoreError::Model { id: id.to_owned(), source })?;
        if model.id() != id {
            return Err(StoreError::Manifest {
                path: self.path_of(id),
                reason: format!("file holds model {}, not {id}", model.id()),
            });
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
        self.write_model(model)?;
        let info = version_info(model, parent, added_examples, origin);
        let mut dropped = Vec::new();
        let keep = self.keep;
        self.update(|m| {
            m.versions.retain(|v| v.id != info.id);
            m.versions.push(info.clone());
            while m.versions.len() > keep {
                let Some(oldest) = m.versions.iter().position(|v| v.id != m.active) else { break };
                dropped.push(m.versions.remove(oldest).id);
            }
        })?;
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
