//! Faults of the disk and of other processes, against the real server binary:
//! damaged model files and manifest, a full disk, a locked or read-only
//! example database, and SIGKILL in the middle of a retrain.

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::process::{ServerProcess, serve_until_exit};
use common::{tiny_model_file, tweet};
use tonic::Code;
use tweetguide::client::{self, AdminClient, Client};
use tweetguide::model::Model;
use tweetguide::proto::v1::{AddExamplesRequest, Category, LabelledTweet, ListModelsRequest, RetrainRequest};

const TOKEN: &str = "faults-admin-token-3b9e";

/// Below the size of a model file (about 430 KB), above everything else the
/// server writes when idle.
const FILE_SIZE_LIMIT: u64 = 256 * 1024;

fn serve_args(dir: &Path) -> Vec<&str> {
    vec!["--data-dir", dir.to_str().expect("utf-8 path")]
}

fn start(dir: &Path) -> ServerProcess {
    ServerProcess::start(&serve_args(dir), &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)])
}

fn start_with_model(dir: &Path, model: &Path) -> ServerProcess {
    let mut args = serve_args(dir);
    args.extend(["--model", model.to_str().expect("utf-8 path")]);
    ServerProcess::start(&args, &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)])
}

/// A server whose files cannot grow past `bytes`: what a full disk looks like
/// to the process, without root or a special mount.
fn start_with_file_size_limit(dir: &Path, bytes: u64) -> ServerProcess {
    ServerProcess::start_with(&serve_args(dir), &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)], move |command| {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(move || {
                let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // A write past the limit then fails with EFBIG instead of
                // killing the process (the ignored disposition survives exec).
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
    })
}

/// The unprivileged user the read-only test runs the server as, when the
/// tests run as root (which ignores file permissions).
const NOBODY: u32 = 65534;

fn running_as_root() -> bool {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() == 0 }
}

fn start_as_nobody(dir: &Path) -> ServerProcess {
    ServerProcess::start_with(&serve_args(dir), &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)], |command| {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(NOBODY) != 0 || libc::setuid(NOBODY) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    })
}

fn chown_tree(path: &Path, uid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).expect("chown");
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("read dir") {
            chown_tree(&entry.expect("entry").path(), uid);
        }
    }
}

fn labelled(id: usize, text: &str, label: Category) -> LabelledTweet {
    LabelledTweet { tweet: Some(tweet(id.to_string(), text)), label: label as i32, lang: "en".into() }
}

/// `count` distinct examples whose texts start with `tag`, each `chars` long
/// or so.
fn batch(tag: &str, count: usize, chars: usize) -> Vec<LabelledTweet> {
    let labels = [Category::SelfPromotion, Category::Sharing, Category::Political];
    (0..count)
        .map(|i| {
            let mut text = format!("{tag} example {i}: our corner shop on Zorblax street");
            while text.len() < chars {
                text.push_str(&format!(" word{}", text.len() * 7 + i));
            }
            labelled(i, &text, labels[i % 3])
        })
        .collect()
}

fn texts(examples: &[LabelledTweet]) -> BTreeSet<String> {
    examples.iter().map(|e| e.tweet.as_ref().expect("tweet").text.clone()).collect()
}

async fn admin(server: &ServerProcess) -> AdminClient {
    client::connect_admin(&server.addr, TOKEN).await.expect("admin client")
}

async fn add(server: &ServerProcess, examples: &[LabelledTweet]) -> Result<u64, tonic::Status> {
    let response = admin(server).await.add_examples(AddExamplesRequest { examples: examples.to_vec() }).await?;
    Ok(response.into_inner().added)
}

/// The version that answers Classify.
async fn serving(server: &ServerProcess) -> String {
    let mut client = Client::connect(&server.addr).await.expect("client");
    client.classify(vec![tweet("q", "Zorblax must be scrapped")], Some(0)).await.expect("classify").model_version
}

fn stored_texts(dir: &Path) -> BTreeSet<String> {
    let db = rusqlite::Connection::open(dir.join("examples.sqlite")).expect("open examples");
    let mut query = db.prepare("SELECT text FROM examples").expect("query");
    query.query_map([], |row| row.get(0)).expect("rows").map(|t| t.expect("text")).collect()
}

fn models_dir(dir: &Path) -> PathBuf {
    dir.join("models")
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(models_dir(dir).join("manifest.json")).expect("manifest"))
        .expect("manifest.json parses")
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect()
}

/// Stops a server with SIGTERM and checks it exits cleanly. A call first:
/// the server installs its SIGTERM handler only once it serves, and a signal
/// sent earlier kills it outright.
async fn stop(server: ServerProcess) {
    serving(&server).await;
    let log = std::sync::Arc::clone(&server.log);
    let status = server.signal_and_wait("TERM");
    assert!(status.success(), "{status}: {:?}", log.lock().expect("log"));
}

fn log_of(server: &ServerProcess) -> String {
    server.log.lock().expect("log").join("\n")
}

/// Three versions in a data folder, oldest first: built-in, `first`, and
/// `second`, the active one.
struct ThreeVersions {
    builtin: String,
    first: String,
    second: String,
    /// The model file `second` was registered from, kept for as long as this lives.
    second_file: PathBuf,
    _files: tempfile::TempDir,
}

async fn three_versions(dir: &Path) -> ThreeVersions {
    let files = tempfile::tempdir().expect("model files");
    let (first_file, first) = tiny_model_file(files.path(), "first");
    let (second_file, second) = tiny_model_file(files.path(), "second");
    let server = start(dir);
    let builtin = serving(&server).await;
    stop(server).await;
    stop(start_with_model(dir, &first_file)).await;
    let server = start_with_model(dir, &second_file);
    assert_eq!(serving(&server).await, second);
    stop(server).await;
    ThreeVersions { builtin, first, second, second_file, _files: files }
}

fn corrupt(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read model");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(path, bytes).expect("write model");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_active_model_falls_back_and_nothing_loadable_refuses_to_start() {
    let dir = tempfile::tempdir().expect("dir");
    let ThreeVersions { builtin, first, second, second_file, _files } = three_versions(dir.path()).await;

    // The active file is damaged: the newest other version serves.
    let model_path = |id: &str| models_dir(dir.path()).join(format!("{id}.model"));
    corrupt(&model_path(&second));
    let server = start(dir.path());
    assert_eq!(serving(&server).await, first, "the newest kept version that loads");
    let log = log_of(&server);
    let warning = log
        .lines()
        .find(|l| l.contains("WARN") && l.contains(&second) && l.contains(&first))
        .unwrap_or_else(|| panic!("no fallback warning in {log}"));
    assert!(warning.contains("checksum mismatch"), "the warning says why: {warning}");
    assert_eq!(manifest(dir.path())["active"], first.as_str(), "the fallback is recorded");
    let list = admin(&server).await.list_models(ListModelsRequest {}).await.expect("list").into_inner();
    assert_eq!(list.active, first);
    stop(server).await;

    // Nothing loads: refuse to start, say what was found and what to do.
    corrupt(&model_path(&first));
    std::fs::remove_file(model_path(&builtin)).expect("remove built-in copy");
    let manifest_before = std::fs::read(models_dir(dir.path()).join("manifest.json")).expect("manifest");
    let (status, stderr) = serve_until_exit(&serve_args(dir.path()), &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)]);
    assert!(!status.success(), "{stderr}");
    for id in [&builtin, &first, &second] {
        assert!(stderr.contains(id.as_str()), "{id} not named in {stderr}");
    }
    assert!(stderr.contains("No such file or directory") && stderr.contains("checksum mismatch"), "{stderr}");
    assert!(stderr.contains("--model FILE") && stderr.contains("aside"), "{stderr}");
    assert!(!stderr.contains(" addr="), "never served: {stderr}");
    let manifest_after = std::fs::read(models_dir(dir.path()).join("manifest.json")).expect("manifest");
    assert_eq!(manifest_before, manifest_after);

    // The advice works.
    let server = start_with_model(dir.path(), &second_file);
    assert_eq!(serving(&server).await, second);
    stop(server).await;

    // An unparseable manifest: refuse to start, and leave it alone.
    let manifest_path = models_dir(dir.path()).join("manifest.json");
    std::fs::write(&manifest_path, b"{\"active\": \"").expect("damage manifest");
    let (status, stderr) = serve_until_exit(&serve_args(dir.path()), &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)]);
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("manifest.json") && stderr.contains("refusing to start"), "{stderr}");
    assert_eq!(std::fs::read(&manifest_path).expect("manifest"), b"{\"active\": \"", "never silently reset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrain_that_cannot_write_its_model_fails_cleanly_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    // The first start writes the initial model: give it room.
    stop(start(dir.path())).await;

    let server = start_with_file_size_limit(dir.path(), FILE_SIZE_LIMIT);
    let active = serving(&server).await;
    let manifest_before = std::fs::read(models_dir(dir.path()).join("manifest.json")).expect("manifest");
    let files_before = file_names(&models_dir(dir.path()));
    let mut admin = admin(&server).await;
    let list_before = admin.list_models(ListModelsRequest {}).await.expect("list").into_inner();

    let error =
        admin.retrain(RetrainRequest { force: true, tolerance: None }).await.expect_err("no room for the model");
    assert_eq!(error.code(), Code::ResourceExhausted, "{error:?}");
    assert!(error.message().contains("disk is full"), "{}", error.message());
    assert!(error.message().contains("active model is unchanged"), "{}", error.message());

    assert_eq!(serving(&server).await, active, "still serving, the same model");
    let manifest_after = std::fs::read(models_dir(dir.path()).join("manifest.json")).expect("manifest");
    assert_eq!(manifest_before, manifest_after);
    assert_eq!(file_names(&models_dir(dir.path())), files_before, "no new or temporary file");
    assert_eq!(admin.list_models(ListModelsRequest {}).await.expect("list").into_inner(), list_before);
    stop(server).await;

    let server = start(dir.path());
    assert_eq!(serving(&server).await, active, "the same version after a restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_too_big_for_the_disk_is_refused_and_what_was_acknowledged_survives() {
    let dir = tempfile::tempdir().expect("dir");
    let before = batch("Before the limit", 20, 120);
    let server = start(dir.path());
    assert_eq!(add(&server, &before).await.expect("add before"), 20);
    stop(server).await;

    let server = start_with_file_size_limit(dir.path(), FILE_SIZE_LIMIT);
    let small = batch("Under the limit", 20, 120);
    assert_eq!(add(&server, &small).await.expect("a small batch fits"), 20);
    // About 1.2 MB of text, twice over (the text and its key).
    let big = batch("Too big", 2_000, 600);
    let error = add(&server, &big).await.expect_err("no room for the batch");
    assert_eq!(error.code(), Code::ResourceExhausted, "{error:?}");
    assert!(error.message().contains("disk is full"), "{}", error.message());
    assert!(error.message().contains("nothing was stored"), "{}", error.message());
    assert!(!serving(&server).await.is_empty(), "still classifying");
    let after = batch("After the failure", 5, 80);
    assert_eq!(add(&server, &after).await.expect("small batches still fit"), 5);
    server.signal_and_wait("KILL");

    let server = start(dir.path());
    let mut expected = texts(&before);
    expected.extend(texts(&small));
    expected.extend(texts(&after));
    assert_eq!(stored_texts(dir.path()), expected, "every acknowledged example, nothing of the refused batch");
    assert_eq!(add(&server, &before).await.expect("replay"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_example_database_answers_unavailable_and_the_retry_succeeds() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    let first = batch("First", 10, 80);
    assert_eq!(add(&server, &first).await.expect("add"), 10);

    // Another process takes the write lock and keeps it.
    let other = rusqlite::Connection::open(dir.path().join("examples.sqlite")).expect("open examples");
    other.pragma_update(None, "journal_mode", "WAL").expect("wal");
    other.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let second = batch("Second", 10, 80);
    let started = Instant::now();
    let error = add(&server, &second).await.expect_err("locked");
    assert!(started.elapsed() >= tweetguide::store::BUSY_TIMEOUT, "waited {:?} only", started.elapsed());
    assert_eq!(error.code(), Code::Unavailable, "{error:?}");
    assert!(error.message().contains("locked by another process"), "{}", error.message());
    assert!(error.message().contains("can be retried") && error.message().contains("nothing was stored"));
    assert!(!serving(&server).await.is_empty(), "classification does not need the database");

    other.execute_batch("ROLLBACK").expect("unlock");
    assert_eq!(add(&server, &second).await.expect("retry"), 10);

    // A lock released within the busy timeout is simply waited for.
    other.execute_batch("BEGIN IMMEDIATE").expect("lock again");
    let third = batch("Third", 10, 80);
    let call = {
        let addr = server.addr.clone();
        let third = third.clone();
        tokio::spawn(async move {
            let mut admin = client::connect_admin(&addr, TOKEN).await.expect("admin");
            admin.add_examples(AddExamplesRequest { examples: third }).await
        })
    };
    tokio::time::sleep(tweetguide::store::BUSY_TIMEOUT / 3).await;
    other.execute_batch("ROLLBACK").expect("unlock");
    assert_eq!(call.await.expect("call task").expect("waited for the lock").into_inner().added, 10);

    let mut expected = texts(&first);
    expected.extend(texts(&second));
    expected.extend(texts(&third));
    assert_eq!(stored_texts(dir.path()), expected, "nothing lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_example_database_still_classifies_and_retrains() {
    let dir = tempfile::tempdir().expect("dir");
    let stored = batch("Stored before", 25, 80);
    let server = start(dir.path());
    assert_eq!(add(&server, &stored).await.expect("add"), 25);
    stop(server).await;

    let db = dir.path().join("examples.sqlite");
    let read_only = std::fs::Permissions::from_mode(0o444);
    std::fs::set_permissions(&db, read_only).expect("chmod");
    let server = if running_as_root() {
        chown_tree(dir.path(), NOBODY);
        start_as_nobody(dir.path())
    } else {
        start(dir.path())
    };
    let log = log_of(&server);
    assert!(log.lines().any(|l| l.contains("WARN") && l.contains("read-only")), "no warning in {log}");

    let before = serving(&server).await;
    let error = add(&server, &batch("Refused", 3, 80)).await.expect_err("read-only");
    assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
    assert!(error.message().contains("read-only") && error.message().contains("nothing was stored"));

    let mut admin = admin(&server).await;
    let retrain = admin.retrain(RetrainRequest { force: true, tolerance: None }).await.expect("retrain").into_inner();
    let candidate = retrain.candidate.expect("candidate");
    assert_eq!(candidate.added_examples, 25, "trained on the stored examples");
    assert!(retrain.activated, "{}", retrain.reason);
    assert_ne!(candidate.id, before);
    assert_eq!(serving(&server).await, candidate.id);
    server.signal_and_wait("KILL");
    assert_eq!(stored_texts(dir.path()), texts(&stored));
}

/// Checks a data directory after a crash: a manifest that parses, whose
/// versions all exist and load, and whose active one is `allowed`.
fn check_versions(dir: &Path, allowed: impl Fn(&str) -> bool) -> (String, BTreeSet<String>) {
    let manifest = manifest(dir);
    let active = manifest["active"].as_str().expect("active id").to_owned();
    let versions: BTreeSet<String> = manifest["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(versions.contains(&active), "active {active} is not a kept version");
    for id in &versions {
        let model = Model::load(&models_dir(dir).join(format!("{id}.model")))
            .unwrap_or_else(|e| panic!("kept version {id} does not load: {e}"));
        assert_eq!(model.id(), id);
    }
    assert!(allowed(&active), "active version {active} is neither the previous one nor a complete new one");
    let names = file_names(&models_dir(dir));
    assert!(!names.iter().any(|n| n.starts_with(".tmp")), "temporary files left: {names:?}");
    (active, versions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_retrain_never_leaves_a_broken_active_model() {
    let dir = tempfile::tempdir().expect("dir");
    let mut server = start(dir.path());
    let mut acked = batch("Acknowledged", 25, 80);
    add(&server, &acked).await.expect("add");

    // One full retrain, to learn how long one takes here; updated by every
    // retrain that finishes before its kill, as the machine's load changes.
    let started = Instant::now();
    let retrain = admin(&server).await.retrain(RetrainRequest { force: true, tolerance: None }).await;
    let mut full = started.elapsed();
    assert!(retrain.expect("retrain").into_inner().activated);

    let mut cut = 0;
    for (round, fraction) in [0.3, 0.6, 0.9, 1.0, 1.1, 1.3].into_iter().enumerate() {
        let (previous, known) = check_versions(dir.path(), |_| true);
        // New data, so each retrain makes a new model.
        let more = batch(&format!("Round {round}"), 3, 80);
        assert_eq!(add(&server, &more).await.expect("add"), 3);
        acked.extend(more);

        let addr = server.addr.clone();
        let started = Instant::now();
        let call = tokio::spawn(async move {
            let mut admin = client::connect_admin(&addr, TOKEN).await.expect("admin");
            let answer = admin.retrain(RetrainRequest { force: true, tolerance: None }).await;
            (answer, Instant::now())
        });
        let delay = full.mul_f64(fraction);
        tokio::time::sleep(delay).await;
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
        let (answer, answered_at) = call.await.expect("call task");
        eprintln!("round {round}: killed after {delay:?} (a retrain took {full:?}); answered: {}", answer.is_ok());
        if answer.is_ok() {
            full = answered_at - started;
        } else {
            cut += 1;
        }

        server = start(dir.path());
        let log = log_of(&server);
        assert!(!log.contains("cannot be used"), "round {round}: the active model broke: {log}");
        let (active, _) = check_versions(dir.path(), |id| id == previous || !known.contains(id));
        assert_eq!(serving(&server).await, active, "round {round}");
        assert_eq!(stored_texts(dir.path()), texts(&acked), "round {round}: acknowledged examples");
    }
    assert!(cut >= 1, "no retrain was interrupted: the kills came too late");
}

/// Health of one service of `server`.
async fn health_of(server: &ServerProcess, service: &str) -> tonic_health::pb::health_check_response::ServingStatus {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let channel =
        tonic::transport::Channel::from_shared(server.addr.clone()).expect("uri").connect().await.expect("connect");
    let request = HealthCheckRequest { service: service.into() };
    HealthClient::new(channel).check(request).await.expect("health").into_inner().status()
}

/// A server whose data directory cannot be used still classifies and audits
/// with its model, says why in its log, and reports the Trainer NOT_SERVING
/// (#14: it used to refuse to start).
async fn check_serves_without_trainer(server: ServerProcess, reason: &str) {
    use tonic_health::pb::health_check_response::ServingStatus;
    let log = log_of(&server);
    assert!(
        log.lines().any(|l| l.contains("WARN") && l.contains("data directory cannot be used") && l.contains(reason)),
        "no warning naming {reason:?} in {log}"
    );
    let builtin = Model::embedded_default().expect("built-in model");
    assert_eq!(serving(&server).await, builtin.id());
    let mut client = Client::connect(&server.addr).await.expect("client");
    let timeline = tweetguide::audit::Timeline {
        profile: tweetguide::audit::Profile { handle: "boulangerie".into(), ..Default::default() },
        tweets: (0..6)
            .map(|i| tweetguide::audit::TimelineTweet {
                id: i.to_string(),
                text: format!("Notre pain numéro {i} sort du four, venez le goûter"),
                created_at: None,
                kind: tweetguide::audit::TweetKind::Original,
            })
            .collect(),
    };
    let options = tweetguide::audit::AuditOptions::new(chrono::Utc::now(), tweetguide::corpus::Lang::Fr);
    let report = client.score_timeline(&timeline, &options).await.expect("audit");
    assert_eq!(report.guidelines.len(), 5);
    assert_eq!(health_of(&server, "tweetguide.v1.Classifier").await, ServingStatus::Serving);
    assert_eq!(health_of(&server, "tweetguide.v1.Auditor").await, ServingStatus::Serving);
    assert_eq!(health_of(&server, "tweetguide.v1.Trainer").await, ServingStatus::NotServing);
    let refused = add(&server, &batch("Nowhere to store", 2, 80)).await.expect_err("no Trainer");
    assert_eq!(refused.code(), Code::Unimplemented, "{refused:?}");
    assert!(server.signal_and_wait("TERM").success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_data_directory_still_classifies_and_audits() {
    // A corrupt example database: left as it is, for whoever repairs it.
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("examples.sqlite");
    let garbage = b"not a database: these bytes were never written by SQLite, and they never will be".repeat(64);
    std::fs::write(&db, &garbage).expect("write");
    check_serves_without_trainer(start(dir.path()), "example database").await;
    assert_eq!(std::fs::read(&db).expect("read"), garbage, "the damaged file is untouched");

    // A data directory path that is a file.
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").expect("write");
    check_serves_without_trainer(start(&file), "cannot create data directory").await;

    // A read-only data directory (as nobody when running as root, who could
    // write anyway): not even its lock file can be created.
    let read_only = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(read_only.path(), std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let server = if running_as_root() {
        chown_tree(read_only.path(), NOBODY);
        start_as_nobody(read_only.path())
    } else {
        start(read_only.path())
    };
    check_serves_without_trainer(server, "cannot lock data directory").await;

    // A full disk: the first start cannot write the built-in model's file.
    let full = tempfile::tempdir().expect("dir");
    check_serves_without_trainer(start_with_file_size_limit(full.path(), 64 * 1024), "disk is full").await;
}

/// Sets a file's modification time to `ago` before now.
fn age(path: &Path, ago: std::time::Duration) {
    let file = std::fs::OpenOptions::new().write(true).open(path).expect("open");
    file.set_modified(std::time::SystemTime::now() - ago).expect("set mtime");
}

/// #14 item c: a deleted `manifest.json` used to start the folder afresh,
/// forgetting every kept version. It is rebuilt from the model files (each
/// carries its id, checked against its checksum), the newest file becomes
/// active, the log says so; a damaged file is left out and left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_manifest_is_rebuilt_from_the_model_files_and_the_newest_is_served() {
    let dir = tempfile::tempdir().expect("dir");
    let ThreeVersions { builtin, first, second, _files, .. } = three_versions(dir.path()).await;

    // The newest file wins, whichever version was active: make it `first`.
    let model_path = |id: &str| models_dir(dir.path()).join(format!("{id}.model"));
    let hour = std::time::Duration::from_secs(3600);
    age(&model_path(&builtin), 3 * hour);
    age(&model_path(&second), 2 * hour);
    age(&model_path(&first), hour);
    let damaged = model_path("0123456789abcdef");
    std::fs::write(&damaged, b"tweetguide-model\n not really").expect("damaged file");
    std::fs::remove_file(models_dir(dir.path()).join("manifest.json")).expect("delete the manifest");

    let server = start(dir.path());
    assert_eq!(serving(&server).await, first, "the newest model file is served");
    let log = log_of(&server);
    let rebuilt = log
        .lines()
        .find(|l| l.contains("WARN") && l.contains("manifest.json") && l.contains("rebuilt"))
        .unwrap_or_else(|| panic!("no rebuild warning in {log}"));
    assert!(rebuilt.contains(&first), "the warning names the version made active: {rebuilt}");
    assert!(
        log.lines().any(|l| l.contains("WARN") && l.contains("0123456789abcdef.model")),
        "the damaged file is reported: {log}"
    );
    assert!(damaged.exists(), "and left alone");

    let list = admin(&server).await.list_models(ListModelsRequest {}).await.expect("list").into_inner();
    assert_eq!(list.active, first);
    let kept: BTreeSet<&str> = list.models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(kept, BTreeSet::from([builtin.as_str(), first.as_str(), second.as_str()]), "every version kept");
    let origin = |id: &str| list.models.iter().find(|m| m.id == id).map(|m| m.origin.clone()).expect("listed");
    assert_eq!((origin(&builtin), origin(&first), origin(&second)), ("builtin".into(), "file".into(), "file".into()));
    assert_eq!(manifest(dir.path())["active"], first.as_str(), "the rebuilt manifest is written");
    stop(server).await;

    // The next start reads it: nothing to rebuild, the same version served.
    let server = start(dir.path());
    assert_eq!(serving(&server).await, first);
    assert!(!log_of(&server).contains("rebuilt"), "{}", log_of(&server));
}

/// #14 item 12 (g): a second server on the same data folder used to replace
/// the first one's admin token before failing on its address. The folder is
/// locked for a server's whole life: a second server says who holds it and
/// exits without touching anything, whatever its address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_data_folder_exits_without_touching_it() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("utf-8 path");
    // A generated token, as in the issue: the one a second server would replace.
    let first = ServerProcess::start(&["--data-dir", data], &[("TWEETGUIDE_ADMIN_TOKEN", "")]);
    let token = std::fs::read_to_string(dir.path().join("admin-token")).expect("token file");
    let mut admin = client::connect_admin(&first.addr, &token).await.expect("admin");
    admin.add_examples(AddExamplesRequest { examples: batch("Stored", 5, 80) }).await.expect("add");
    let snapshot = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        for folder in [dir.to_owned(), models_dir(dir)] {
            for name in file_names(&folder) {
                let path = folder.join(&name);
                if path.is_file() && !name.starts_with("examples.sqlite") {
                    files.push((name, std::fs::read(&path).expect("read")));
                }
            }
        }
        files
    };
    let before = snapshot(dir.path());

    let first_addr = first.addr.trim_start_matches("http://").to_owned();
    let free = "127.0.0.1:0".to_owned();
    for addr in [first_addr, free] {
        let (status, stderr) =
            serve_until_exit(&["--data-dir", data, "--addr", &addr], &[("TWEETGUIDE_ADMIN_TOKEN", "")]);
        assert!(!status.success(), "{addr}: {stderr}");
        assert!(stderr.contains(data), "{addr}: the folder is named: {stderr}");
        assert!(stderr.contains("another tweetguide server"), "{addr}: {stderr}");
        assert!(stderr.contains(&format!("pid {}", first.child.id())), "{addr}: the holder is named: {stderr}");
        assert!(!stderr.contains(" addr="), "{addr}: never served: {stderr}");
        assert_eq!(snapshot(dir.path()), before, "{addr}: nothing in the folder changed");
        admin.list_models(ListModelsRequest {}).await.expect("the first server's token still works");
    }
    assert_eq!(stored_texts(dir.path()).len(), 5);

    // Killed, the first server lets go of the folder at once.
    drop(admin);
    first.signal_and_wait("KILL");
    let server = start(dir.path());
    assert_eq!(add(&server, &batch("Stored", 5, 80)).await.expect("add"), 0, "same folder, same examples");
}
