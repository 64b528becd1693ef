//! The data folder itself: used by one server at a time, and readable by its
//! owner only.
//!
//! A second server on the same folder would replace the first one's admin
//! token and write model versions behind its back, so the folder is locked
//! (an advisory lock on a file in it, which the system releases when the
//! process ends, however it ends) before anything in it is touched. The
//! folder holds the tweets users sent: it is made 0700 and the files the
//! server keeps there 0600; a folder an older release left readable by others
//! is tightened at start, never loosened.

use std::fs::{File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use tracing::warn;

/// The lock file, in the data folder. Never deleted: removing it while
/// another process opens it would let two servers hold two different locks.
pub const LOCK_FILE: &str = "serve.lock";

/// The example database, in the data folder.
const EXAMPLES_FILE: &str = "examples.sqlite";

/// Where model versions live, in the data folder.
const MODELS_DIR: &str = "models";

/// The files the server keeps in the data folder, besides the model versions'
/// folder: the only ones whose permissions it changes (the folder may hold
/// other things, or be a home directory). SQLite names its companion files
/// after the database.
const KEPT_FILES: &[&str] = &[
    EXAMPLES_FILE,
    "examples.sqlite-wal",
    "examples.sqlite-shm",
    "examples.sqlite-journal",
    crate::server::TOKEN_FILE,
    LOCK_FILE,
];

/// Why the data folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// Creating the folder failed (a file in its place, no permission...).
    #[error("cannot create data directory {}: {source}", dir.display())]
    Create { dir: PathBuf, source: std::io::Error },
    /// The lock file cannot be opened, or the system cannot lock it.
    #[error("cannot lock data directory {} ({}): {source}", dir.display(), LOCK_FILE)]
    Lock { dir: PathBuf, source: std::io::Error },
    /// Another process holds the folder.
    #[error(
        "the data directory {} is in use by another tweetguide server{}: stop it, or give this one another --data-dir",
        dir.display(),
        pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    InUse { dir: PathBuf, pid: Option<u32> },
}

/// A data folder this process holds until it drops the value.
#[derive(Debug)]
pub struct DataFolder {
    dir: PathBuf,
    _lock: File,
}

impl DataFolder {
    /// Creates the folder if needed (0700), locks it, then tightens the
    /// permissions of what an older release left readable by others.
    pub fn open(dir: &Path) -> Result<DataFolder, FolderError> {
        create_private_dir(dir).map_err(|source| FolderError::Create { dir: dir.to_owned(), source })?;
        let lock = lock(dir)?;
        make_private(dir);
        Ok(DataFolder { dir: dir.to_owned(), _lock: lock })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The example database.
    pub fn examples(&self) -> PathBuf {
        self.dir.join(EXAMPLES_FILE)
    }

    /// The folder of model versions.
    pub fn models(&self) -> PathBuf {
        self.dir.join(MODELS_DIR)
    }
}

/// Creates `dir` and its missing parents readable by their owner only.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Takes the folder's lock, and writes this process's id in the lock file for
/// the message another server gives.
fn lock(dir: &Path) -> Result<File, FolderError> {
    let path = dir.join(LOCK_FILE);
    let locking = |source| FolderError::Lock { dir: dir.to_owned(), source };
    let mut options = std::fs::OpenOptions::new();
    // Not truncated on open: the file belongs to the holder until locked.
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = match options.open(&path) {
        Ok(file) => file,
        // A folder this process may not write: a lock on the existing file
        // still keeps a second server out; the writes themselves will fail,
        // and the server says so.
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            File::open(&path).map_err(|_| locking(error))?
        }
        Err(error) => return Err(locking(error)),
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let pid = std::fs::read_to_string(&path).ok().and_then(|text| text.trim().parse().ok());
            return Err(FolderError::InUse { dir: dir.to_owned(), pid });
        }
        Err(TryLockError::Error(error)) => return Err(locking(error)),
    }
    // Best effort: the pid only makes the other server's message clearer.
    let _ = file.set_len(0).and_then(|()| writeln!(&file, "{}", std::process::id()));
    Ok(file)
}

/// Takes the group's and others' permission bits off the folder, its models
/// folder and the files the server keeps in them, and logs what changed.
/// Failures are logged, not fatal: the folder may belong to another user.
#[cfg(unix)]
fn make_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let models = dir.join(MODELS_DIR);
    let mut paths = vec![dir.to_owned(), models.clone()];
    paths.extend(KEPT_FILES.iter().map(|name| dir.join(name)));
    if let Ok(entries) = std::fs::read_dir(&models) {
        paths.extend(entries.flatten().map(|entry| entry.path()));
    }
    let mut tightened = Vec::new();
    for path in paths {
        // Never through a symbolic link: its target is not the server's.
        let Ok(metadata) = std::fs::symlink_metadata(&path) else { continue };
        let mode = metadata.permissions().mode() & 0o7777;
        if metadata.is_symlink() || mode & 0o077 == 0 {
            continue;
        }
        let private = mode & 0o700;
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(private)) {
            Ok(()) => tightened.push(format!("{} {mode:o} -> {private:o}", path.display())),
            Err(error) => warn!(
                path = %path.display(),
                %error,
                "cannot make this file of the data directory private: other users may read it"
            ),
        }
    }
    if !tightened.is_empty() {
        warn!(
            dir = %dir.display(),
            changed = %tightened.join(", "),
            "other users could read the data directory {}: its permissions are now for its owner only",
            dir.display()
        );
    }
}

#[cfg(not(unix))]
fn make_private(_dir: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_the_folder() {
        let root = tempfile::tempdir().expect("dir");
        let dir = root.path().join("data");
        let first = DataFolder::open(&dir).expect("first");
        let error = DataFolder::open(&dir).expect_err("held");
        assert!(matches!(error, FolderError::InUse { pid: Some(pid), .. } if pid == std::process::id()), "{error:?}");
        let message = error.to_string();
        assert!(message.contains(dir.to_str().expect("utf-8")) && message.contains("another tweetguide server"));
        drop(first);
        DataFolder::open(&dir).expect("free again once dropped");
    }

    #[cfg(unix)]
    #[test]
    fn tightening_only_takes_bits_away_and_leaves_other_files_alone() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).expect("stat").permissions().mode() & 0o777;
        let chmod = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        };
        let root = tempfile::tempdir().expect("dir");
        let dir = root.path();
        std::fs::create_dir(dir.join(MODELS_DIR)).expect("models");
        for (name, loose) in [("examples.sqlite", 0o644), ("examples.sqlite-wal", 0o664), ("notes.txt", 0o644)] {
            std::fs::write(dir.join(name), "x").expect("write");
            chmod(&dir.join(name), loose);
        }
        std::fs::write(dir.join(MODELS_DIR).join("abc.model"), "x").expect("write");
        chmod(&dir.join(MODELS_DIR).join("abc.model"), 0o444);
        chmod(&dir.join(MODELS_DIR), 0o755);
        chmod(dir, 0o555);

        make_private(dir);
        assert_eq!(mode(dir), 0o500, "a read-only folder stays read-only");
        assert_eq!(mode(&dir.join(MODELS_DIR)), 0o700);
        assert_eq!(mode(&dir.join("examples.sqlite")), 0o600);
        assert_eq!(mode(&dir.join("examples.sqlite-wal")), 0o600);
        assert_eq!(mode(&dir.join(MODELS_DIR).join("abc.model")), 0o400);
        assert_eq!(mode(&dir.join("notes.txt")), 0o644, "not the server's file");
        chmod(dir, 0o700);
    }
}
