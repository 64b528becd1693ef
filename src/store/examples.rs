//! Labelled examples in an embedded SQLite database.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, MAIN_DB, OptionalExtension, TransactionBehavior, params};
use tracing::{info, warn};

use super::StoreError;
use crate::Label;
use crate::corpus::{LabelledTweet, Lang, dedup_key};

/// How long a write waits for another process to release the example
/// database before giving up with [`StoreError::Locked`]: long enough to ride
/// out someone else's short transaction, short enough that the caller gets an
/// answer it can retry instead of a hung call.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(3);

/// A text submitted again with another label; the later label wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relabelled {
    /// Position of the example in the submitted batch.
    pub index: usize,
    /// The label it had.
    pub previous: Label,
    /// The label it has now.
    pub label: Label,
}

/// What adding a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddOutcome {
    /// Texts never seen before.
    pub added: u64,
    /// Texts already stored with another label, now relabelled.
    pub updated: u64,
    /// Texts already stored with the same label (after normalisation).
    pub duplicates: u64,
    /// The relabelled examples, in batch order.
    pub relabelled: Vec<Relabelled>,
    /// Examples stored after the batch.
    pub total: u64,
}

/// Where submitted examples live. A trait, so that a shared database can
/// replace the embedded one without touching the server.
pub trait ExampleStore: Send + Sync {
    /// Stores a batch atomically: when this returns `Ok`, every example is
    /// durable (it survives a crash or `kill -9`); on `Err`, none was stored.
    fn add(&self, examples: &[LabelledTweet]) -> Result<AddOutcome, StoreError>;
    /// Every stored example, oldest first.
    fn all(&self) -> Result<Vec<LabelledTweet>, StoreError>;
    /// Number of stored examples.
    fn count(&self) -> Result<u64, StoreError>;
}

/// The embedded store: one SQLite file, written in WAL mode with full
/// synchronisation, so an acknowledged batch is on disk.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`. A database this process
    /// cannot write is opened anyway, with a warning: its examples still serve
    /// retraining, and only adding more fails.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        create_private(path);
        let connection = connect(path).map_err(|e| classify(path, e))?;
        if connection.is_readonly(MAIN_DB)? {
            warn!(
                path = %path.display(),
                "the example database is read-only: AddExamples fails until it is writable; \
                 classification and retraining from the stored examples still work"
            );
        }
        Ok(SqliteStore { path: path.to_owned(), connection: Mutex::new(connection) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (transactions roll back), so a poisoned lock is safe to reuse.
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Creates a missing database file readable by its owner only: SQLite would
/// make it 0644, and gives its -wal, -shm and -journal files the database's
/// mode. Best effort: when this fails, SQLite's own open says why.
fn create_private(path: &Path) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let _ = options.open(path);
}

/// Opens and configures a connection. SQLite silently falls back to
/// read-only when the file cannot be written; the schema is then left alone.
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    if !connection.is_readonly(MAIN_DB)? {
        connection.pragma_update(None, "journal_mode", "WAL")?;
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS examples (
             key        TEXT PRIMARY KEY,
             text       TEXT NOT NULL,
             label      TEXT NOT NULL,
             lang       TEXT,
             added_at   INTEGER NOT NULL,
             updated_at INTEGER NOT NULL
         );",
    )?;
    Ok(connection)
}

/// Names the failures a caller can act on. Must run right after the failed
/// call: SQLite reports a full disk or file size limit as a generic write
/// error, and only `errno` still says which.
fn classify(path: &Path, error: rusqlite::Error) -> StoreError {
    let os_error = std::io::Error::last_os_error();
    let full = matches!(
        os_error.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::FileTooLarge | std::io::ErrorKind::QuotaExceeded
    );
    let path = path.to_owned();
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked { path },
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
        Some(ErrorCode::DiskFull) => {
            StoreError::Full { path, source: if full { os_error } else { std::io::ErrorKind::StorageFull.into() } }
        }
        Some(ErrorCode::SystemIoFailure) if full => StoreError::Full { path, source: os_error },
        _ => StoreError::Database(error),
    }
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Stores a batch in one transaction, taken for writing up front: a wait for
/// another writer then happens under the busy timeout, and the rows read to
/// spot duplicates cannot change before they are written.
fn insert_batch(connection: &mut Connection, examples: &[LabelledTweet]) -> rusqlite::Result<AddOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcome = AddOutcome::default();
    {
        let mut find = tx.prepare_cached("SELECT label FROM examples WHERE key = ?1")?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO examples (key, text, label, lang, added_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )?;
        let mut relabel =
            tx.prepare_cached("UPDATE examples SET label = ?2, text = ?3, lang = ?4, updated_at = ?5 WHERE key = ?1")?;
        let now = now_millis();
        for (index, example) in examples.iter().enumerate() {
            let key = dedup_key(&example.text);
            let lang = example.lang.map(Lang::as_str);
            let stored: Option<String> = find.query_row(params![key], |row| row.get(0)).optional()?;
            match stored.map(|s| s.parse::<Label>()) {
                None => {
                    insert.execute(params![key, example.text, example.label.as_str(), lang, now])?;
                    outcome.added += 1;
                }
                Some(Ok(previous)) if previous == example.label => outcome.duplicates += 1,
                Some(previous) => {
                    relabel.execute(params![key, example.label.as_str(), example.text, lang, now])?;
                    outcome.updated += 1;
                    if let Ok(previous) = previous {
                        outcome.relabelled.push(Relabelled { index, previous, label: example.label });
                    }
                }
            }
        }
    }
    outcome.total = tx.query_row("SELECT COUNT(*) FROM examples", [], |row| row.get::<_, i64>(0))? as u64;
    tx.commit()?;
    Ok(outcome)
}

fn read_all(connection: &Connection) -> rusqlite::Result<Vec<LabelledTweet>> {
    let mut query = connection.prepare("SELECT text, label, lang FROM examples ORDER BY added_at, key")?;
    let rows = query.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<String>>(2)?))
    })?;
    let mut examples = Vec::new();
    for row in rows {
        let (text, label, lang) = row?;
        // Rows are only ever written from validated labels; skip any that
        // were edited by hand into something unreadable.
        let Ok(label) = label.parse::<Label>() else { continue };
        examples.push(LabelledTweet { text, label, lang: lang.and_then(|l| l.parse().ok()) });
    }
    Ok(examples)
}

impl ExampleStore for SqliteStore {
    fn add(&self, examples: &[LabelledTweet]) -> Result<AddOutcome, StoreError> {
        let mut connection = self.lock();
        if connection.is_readonly(MAIN_DB)? {
            // The file may have been made writable since it was opened: try
            // again rather than require a restart.
            match connect(&self.path) {
                Ok(fresh) if !fresh.is_readonly(MAIN_DB)? => {
                    info!(path = %self.path.display(), "the example database is writable again");
                    *connection = fresh;
                }
                _ => return Err(StoreError::ReadOnly { path: self.path.clone() }),
            }
        }
        insert_batch(&mut connection, examples).map_err(|e| classify(&self.path, e))
    }

    fn all(&self) -> Result<Vec<LabelledTweet>, StoreError> {
        read_all(&self.lock()).map_err(|e| classify(&self.path, e))
    }

    fn count(&self) -> Result<u64, StoreError> {
        let count = self.lock().query_row("SELECT COUNT(*) FROM examples", [], |row| row.get::<_, i64>(0));
        Ok(count.map_err(|e| classify(&self.path, e))? as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tweet(text: &str, label: Label) -> LabelledTweet {
        LabelledTweet { text: text.into(), label, lang: Some(Lang::Fr) }
    }

    #[test]
    fn counts_new_duplicate_and_relabelled_examples() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(&dir.path().join("examples.sqlite")).expect("open");
        let first = store
            .add(&[
                tweet("Grève demain, soutien total !", Label::Political),
                tweet("Nos croissants sont là", Label::SelfPromotion),
            ])
            .expect("add");
        assert_eq!((first.added, first.updated, first.duplicates, first.total), (2, 0, 0, 2));
        let second = store
            .add(&[
                tweet("greve demain : SOUTIEN total", Label::Political),
                tweet("Nos croissants sont là !", Label::Sharing),
                tweet("Nouveau", Label::SelfPromotion),
            ])
            .expect("add");
        assert_eq!((second.added, second.updated, second.duplicates, second.total), (1, 1, 1, 3));
        assert_eq!(second.relabelled, [Relabelled { index: 1, previous: Label::SelfPromotion, label: Label::Sharing }]);
        let all = store.all().expect("all");
        assert_eq!(all.len(), 3);
        assert!(all.iter().any(|t| t.text == "Nos croissants sont là !" && t.label == Label::Sharing));
    }

    #[test]
    fn examples_survive_reopening() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("examples.sqlite");
        SqliteStore::open(&path).expect("open").add(&[tweet("Vote for change", Label::Political)]).expect("add");
        let reopened = SqliteStore::open(&path).expect("reopen");
        assert_eq!(reopened.count().expect("count"), 1);
    }

    #[test]
    fn a_write_lock_held_elsewhere_is_waited_for_then_reported_as_locked() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("examples.sqlite");
        let store = SqliteStore::open(&path).expect("open");
        store.add(&[tweet("Avant", Label::Sharing)]).expect("add");
        let other = Connection::open(&path).expect("other connection");
        other.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");

        let started = std::time::Instant::now();
        let error = store.add(&[tweet("Pendant", Label::Sharing)]).expect_err("locked");
        assert!(started.elapsed() >= BUSY_TIMEOUT, "gave up after {:?}", started.elapsed());
        assert!(matches!(error, StoreError::Locked { .. }), "{error:?}");
        assert!(error.to_string().contains("locked by another process"), "{error}");
        // Reads are not blocked by a writer in WAL mode.
        assert_eq!(store.count().expect("count while locked"), 1);

        // Released while a write waits: the write goes through.
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(BUSY_TIMEOUT / 4);
            other.execute_batch("ROLLBACK").expect("release");
        });
        let outcome = store.add(&[tweet("Pendant", Label::Sharing)]).expect("add once released");
        releaser.join().expect("releaser");
        assert_eq!((outcome.added, outcome.total), (1, 2));
    }
}
