//! Retraining through the real server binary: examples, evaluated retrains,
//! versions, hot swap, restarts, SIGKILL, and the admin token.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::ServerProcess;
use common::tweet;
use tonic::Code;
use tweetguide::client::{self, AdminClient, Client};
use tweetguide::proto::v1::{
    ActivateModelRequest, AddExamplesRequest, Category, LabelledTweet, ListModelsRequest, RetrainRequest,
};

const TOKEN: &str = "test-admin-token-7c1f";

fn start(data_dir: &std::path::Path) -> ServerProcess {
    ServerProcess::start(&["--data-dir", data_dir.to_str().expect("utf-8")], &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)])
}

fn labelled(id: usize, text: &str, label: Category) -> LabelledTweet {
    LabelledTweet { tweet: Some(tweet(id.to_string(), text)), label: label as i32, lang: "en".into() }
}

/// Tweets about an invented product, "Zorblax", that the default model has
/// never seen, all labelled political: after a retrain, tweets about Zorblax
/// should lean political.
fn zorblax_examples() -> Vec<LabelledTweet> {
    let subjects = ["Zorblax", "the Zorblax plan", "Zorblax levies", "#StopZorblax", "zorblax quotas"];
    let verbs = ["must be scrapped", "is a scandal", "will ruin us", "needs a vote now", "shames this government"];
    let mut examples = Vec::new();
    for (i, s) in subjects.iter().enumerate() {
        for (j, v) in verbs.iter().enumerate() {
            examples.push(labelled(i * 10 + j, &format!("{s} {v}"), Category::Political));
        }
    }
    examples
}

async fn admin(server: &ServerProcess) -> AdminClient {
    client::connect_admin(&server.addr, TOKEN).await.expect("admin client")
}

async fn label_of(server: &ServerProcess, text: &str) -> (Category, String) {
    let mut client = Client::connect(&server.addr).await.expect("client");
    let response = client.classify(vec![tweet("q", text)], Some(0)).await.expect("classify");
    (response.predictions[0].label(), response.model_version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrain_changes_predictions_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    let probe = "Zorblax zorblax zorblax";
    let (before_label, before_version) = label_of(&server, probe).await;
    assert_ne!(before_label, Category::Political, "the default model has no idea about Zorblax");

    let mut admin = admin(&server).await;
    let examples = zorblax_examples();
    let added = admin.add_examples(AddExamplesRequest { examples: examples.clone() }).await.expect("add").into_inner();
    assert_eq!((added.added, added.updated, added.duplicates, added.total_examples), (25, 0, 0, 25));
    // Same texts again: duplicates; one with another label: relabelled.
    let mut again = examples[..3].to_vec();
    again[2].label = Category::Sharing as i32;
    let second = admin.add_examples(AddExamplesRequest { examples: again }).await.expect("add again").into_inner();
    assert_eq!((second.added, second.updated, second.duplicates), (0, 1, 2));
    assert_eq!(second.relabelled.len(), 1);
    assert_eq!(second.relabelled[0].index, 2);

    let retrain = admin.retrain(RetrainRequest { force: false, tolerance: None }).await.expect("retrain").into_inner();
    assert!(retrain.activated, "{}", retrain.reason);
    let candidate = retrain.candidate.expect("candidate");
    assert_eq!(candidate.added_examples, 25);
    assert_eq!(candidate.parent, before_version);
    assert!(candidate.held_out.is_some_and(|m| m.macro_f1 >= 0.85 && m.per_class.len() == 3));

    let (after_label, after_version) = label_of(&server, probe).await;
    assert_eq!(after_label, Category::Political);
    assert_eq!(after_version, candidate.id);
    assert_ne!(after_version, before_version);

    // Roll back, then forward again.
    let back =
        admin.activate_model(ActivateModelRequest { id: before_version.clone() }).await.expect("rollback").into_inner();
    assert_eq!(back.previous, after_version);
    assert_eq!(label_of(&server, probe).await, (before_label, before_version.clone()));
    admin.activate_model(ActivateModelRequest { id: after_version.clone() }).await.expect("forward");
    let unknown = admin.activate_model(ActivateModelRequest { id: "feedface".into() }).await.expect_err("unknown id");
    assert_eq!(unknown.code(), Code::NotFound);

    // Restart on the same data directory: same active version, same examples.
    // Wait off the runtime, so that this test's open connections can answer
    // the server's GOAWAY instead of holding it for its whole grace period.
    let stopped = tokio::task::spawn_blocking(move || server.signal_and_wait("TERM")).await.expect("wait");
    assert!(stopped.success());
    let server = start(dir.path());
    assert_eq!(label_of(&server, probe).await.1, after_version);
    let mut admin = client::connect_admin(&server.addr, TOKEN).await.expect("admin");
    let list = admin.list_models(ListModelsRequest {}).await.expect("list").into_inner();
    assert_eq!(list.active, after_version);
    assert_eq!(list.models.len(), 2);
    let replay = admin.add_examples(AddExamplesRequest { examples }).await.expect("replay").into_inner();
    assert_eq!(replay.added, 0, "every example survived the restart");
    assert_eq!(replay.total_examples, 25);
}

#[tokio::test]
async fn classification_never_fails_during_a_retrain_and_two_activations() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    let mut admin = admin(&server).await;
    let initial = label_of(&server, "hello").await.1;
    admin.add_examples(AddExamplesRequest { examples: zorblax_examples() }).await.expect("add");

    // (sent, acknowledged, version) of every change of active version.
    let changes: Arc<Mutex<Vec<(Instant, Instant, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut callers = Vec::new();
    for worker in 0..4 {
        let addr = server.addr.clone();
        let stop = Arc::clone(&stop);
        callers.push(tokio::spawn(async move {
            let mut client = Client::connect(&addr).await.expect("client");
            let mut calls = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let start = Instant::now();
                let texts = vec![tweet(worker.to_string(), "Zorblax must be scrapped"); 50];
                let result = client.classify(texts, Some(0)).await;
                calls.push((start, Instant::now(), result.map(|r| r.model_version).map_err(|e| e.to_string())));
            }
            calls
        }));
    }
    let record = |sent, version: String| changes.lock().expect("lock").push((sent, Instant::now(), version));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = Instant::now();
    let retrain = admin.retrain(RetrainRequest { force: true, tolerance: None }).await.expect("retrain").into_inner();
    let retrained = retrain.candidate.expect("candidate").id;
    record(sent, retrained.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = Instant::now();
    admin.activate_model(ActivateModelRequest { id: initial.clone() }).await.expect("rollback");
    record(sent, initial.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = Instant::now();
    admin.activate_model(ActivateModelRequest { id: retrained.clone() }).await.expect("forward");
    record(sent, retrained.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);

    let changes = changes.lock().expect("lock").clone();
    let mut total = 0;
    let mut seen = std::collections::HashSet::new();
    for caller in callers {
        for (start, end, result) in caller.await.expect("caller task") {
            total += 1;
            let version = result.expect("no failed call during swaps");
            seen.insert(version.clone());
            // Active during the call: the version in force at its start (the
            // last change acknowledged before it, or any change in flight),
            // or one that became active before it ended.
            let mut possible = vec![initial.clone()];
            for (sent, acked, v) in &changes {
                if *acked <= start {
                    possible = vec![v.clone()];
                } else if *sent < end {
                    possible.push(v.clone());
                }
            }
            assert!(possible.contains(&version), "call answered by {version}, not active during the call");
        }
    }
    assert!(total > 20, "{total} calls");
    assert_eq!(seen.len(), 2, "both versions answered: {seen:?}");
}

#[tokio::test]
async fn acknowledged_examples_survive_sigkill() {
    let dir = tempfile::tempdir().expect("dir");
    let mut server = start(dir.path());
    let addr = server.addr.clone();
    let acked: Arc<Mutex<Vec<LabelledTweet>>> = Arc::new(Mutex::new(Vec::new()));
    let writer = {
        let acked = Arc::clone(&acked);
        tokio::spawn(async move {
            let mut admin = client::connect_admin(&addr, TOKEN).await.expect("admin");
            for batch in 0..10_000 {
                let examples: Vec<LabelledTweet> = (0..20)
                    .map(|i| {
                        labelled(
                            i,
                            &format!("Batch {batch} example {i}: our shop opens a new corner"),
                            Category::SelfPromotion,
                        )
                    })
                    .collect();
                match admin.add_examples(AddExamplesRequest { examples: examples.clone() }).await {
                    Ok(_) => acked.lock().expect("lock").extend(examples),
                    Err(_) => return,
                }
            }
        })
    };
    // Let some batches land, then kill without warning.
    while acked.lock().expect("lock").len() < 200 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    tokio::time::timeout(Duration::from_secs(30), writer).await.expect("writer stops").expect("writer task");
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 200);

    let server = start(dir.path());
    let mut admin = admin(&server).await;
    let mut found = 0;
    for chunk in acked.chunks(1000) {
        let replay =
            admin.add_examples(AddExamplesRequest { examples: chunk.to_vec() }).await.expect("replay").into_inner();
        assert_eq!(replay.added, 0, "an acknowledged example was lost");
        found += replay.duplicates;
    }
    assert_eq!(found as usize, acked.len());
}

#[tokio::test]
async fn trainer_calls_need_the_token_and_classification_does_not() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    let request = || AddExamplesRequest { examples: vec![labelled(1, "Vote them out", Category::Political)] };

    let mut anonymous = tweetguide::proto::v1::trainer_client::TrainerClient::new(
        client::connect_channel(&server.addr).await.expect("channel"),
    );
    let none = anonymous.add_examples(request()).await.expect_err("no token");
    assert_eq!(none.code(), Code::Unauthenticated);
    let mut wrong = client::connect_admin(&server.addr, "not-the-token").await.expect("client");
    assert_eq!(wrong.add_examples(request()).await.expect_err("wrong token").code(), Code::Unauthenticated);
    assert_eq!(wrong.list_models(ListModelsRequest {}).await.expect_err("wrong token").code(), Code::Unauthenticated);

    // Nothing was stored by the refused calls.
    let mut right = admin(&server).await;
    let ok = right.add_examples(request()).await.expect("right token").into_inner();
    assert_eq!((ok.added, ok.total_examples), (1, 1));

    let (label, _) = label_of(&server, "Vote them out").await;
    assert_eq!(label, Category::Political, "classification is open");
}

#[tokio::test]
async fn a_generated_token_is_written_for_the_owner_only_and_works() {
    let dir = tempfile::tempdir().expect("dir");
    let server =
        ServerProcess::start(&["--data-dir", dir.path().to_str().expect("utf-8")], &[("TWEETGUIDE_ADMIN_TOKEN", "")]);
    let path = dir.path().join("admin-token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("token file").permissions().mode();
        assert_eq!(mode & 0o077, 0, "token file mode {mode:o}");
    }
    let token = std::fs::read_to_string(&path).expect("read token");
    let log = server.log.lock().expect("log").join("\n");
    assert!(!log.contains(token.trim()), "the token itself is never logged");
    assert!(log.contains("admin-token"), "the log says where the token is");
    let mut admin = client::connect_admin(&server.addr, &token).await.expect("admin");
    admin.list_models(ListModelsRequest {}).await.expect("generated token works");
}

/// Replaces a kept version's file by a named pipe, so that loading it (an
/// activation) blocks until the test writes the bytes. Returns a writer
/// thread that says when the server opened the pipe, then writes the file's
/// bytes once told to.
#[cfg(unix)]
fn stall_loading(path: &std::path::Path) -> (std::sync::mpsc::Receiver<()>, std::sync::mpsc::Sender<()>) {
    use std::ffi::CString;
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    let bytes = std::fs::read(path).expect("model file");
    std::fs::remove_file(path).expect("remove model file");
    let c_path = CString::new(path.as_os_str().as_bytes()).expect("no NUL");
    // SAFETY: a valid NUL-terminated path; mkfifo touches no other memory.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo: {}", std::io::Error::last_os_error());
    let (opened_tx, opened) = std::sync::mpsc::channel();
    let (go, go_rx) = std::sync::mpsc::channel::<()>();
    let path = path.to_owned();
    std::thread::spawn(move || {
        // Blocks until the server opens the pipe to read it.
        let mut pipe = std::fs::OpenOptions::new().write(true).open(&path).expect("open pipe");
        let _ = opened_tx.send(());
        let _ = go_rx.recv();
        pipe.write_all(&bytes).expect("feed the model file");
    });
    (opened, go)
}

/// #14 item a: an activation in progress used to make a Retrain answer "a
/// retrain is already running". A Retrain now trains meanwhile and only waits
/// for the activation to finish before comparing with, and replacing, the
/// version the activation made active; two retrains still exclude each other.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrain_during_an_activation_waits_for_it_and_only_a_retrain_refuses_a_retrain() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    let mut admin = admin(&server).await;
    let builtin = label_of(&server, "hello").await.1;
    admin.add_examples(AddExamplesRequest { examples: zorblax_examples() }).await.expect("add");
    let retrained = admin
        .retrain(RetrainRequest { force: true, tolerance: None })
        .await
        .expect("first retrain")
        .into_inner()
        .candidate
        .expect("candidate")
        .id;
    assert_ne!(retrained, builtin);

    let (opened, go) = stall_loading(&dir.path().join("models").join(format!("{builtin}.model")));
    let activation = {
        let mut admin = admin.clone();
        let id = builtin.clone();
        tokio::spawn(async move { admin.activate_model(ActivateModelRequest { id }).await })
    };
    tokio::task::spawn_blocking(move || opened.recv_timeout(Duration::from_secs(30)))
        .await
        .expect("wait task")
        .expect("the activation opens the model file");
    // The activation is under way, stalled on its file: two retrains now.
    let retrains: Vec<_> = (0..2)
        .map(|_| {
            let mut admin = admin.clone();
            tokio::spawn(async move { admin.retrain(RetrainRequest { force: true, tolerance: None }).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!activation.is_finished(), "the activation waits for its file");
    go.send(()).expect("writer thread");
    let activated = activation.await.expect("activation task").expect("activation").into_inner();
    assert_eq!(activated.model.expect("model").id, builtin);

    let mut answers = Vec::new();
    for retrain in retrains {
        answers.push(retrain.await.expect("retrain task"));
    }
    let refused: Vec<&tonic::Status> = answers.iter().filter_map(|a| a.as_ref().err()).collect();
    assert_eq!(refused.len(), 1, "exactly one retrain runs, the other is refused: {answers:?}");
    assert_eq!(refused[0].code(), Code::FailedPrecondition, "{:?}", refused[0]);
    assert!(refused[0].message().contains("a retrain is already running"), "{}", refused[0].message());
    let done = answers.into_iter().find_map(Result::ok).expect("one retrain ran").into_inner();
    assert_eq!(done.previous.expect("previous").id, builtin, "compared with what the activation made active");
    assert!(done.activated, "{}", done.reason);
    assert_eq!(done.candidate.expect("candidate").id, retrained, "the same examples give the same model");
    assert_eq!(label_of(&server, "hello").await.1, retrained);
    assert_eq!(admin.list_models(ListModelsRequest {}).await.expect("list").into_inner().active, retrained);
}

/// ListModels with `authorization: <value>` sent as given.
async fn list_with_authorization(server: &ServerProcess, value: &str) -> Result<(), tonic::Status> {
    let channel = client::connect_channel(&server.addr).await.expect("channel");
    let value: tonic::metadata::MetadataValue<_> = value.parse().expect("ascii");
    let mut trainer = tweetguide::proto::v1::trainer_client::TrainerClient::with_interceptor(
        channel,
        move |mut request: tonic::Request<()>| {
            request.metadata_mut().insert("authorization", value.clone());
            Ok(request)
        },
    );
    trainer.list_models(ListModelsRequest {}).await.map(drop)
}

/// #14 item e: HTTP authentication schemes are case-insensitive (RFC 9110
/// §11.1), so `bearer` and `BEARER` are the same scheme; the token itself is not.
#[tokio::test]
async fn the_bearer_scheme_is_matched_in_any_case_and_the_token_exactly() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    for value in
        [format!("Bearer {TOKEN}"), format!("bearer {TOKEN}"), format!("BEARER {TOKEN}"), format!("bEaReR {TOKEN}")]
    {
        list_with_authorization(&server, &value).await.unwrap_or_else(|e| panic!("{value:?} refused: {e:?}"));
    }
    let upper = TOKEN.to_uppercase();
    for value in [
        format!("bearer {upper}"),
        format!("Basic {TOKEN}"),
        format!("Bearer{TOKEN}"),
        TOKEN.to_owned(),
        format!("bearer {TOKEN}x"),
        "bearer".to_owned(),
    ] {
        let status = list_with_authorization(&server, &value).await.expect_err(&value);
        assert_eq!(status.code(), Code::Unauthenticated, "{value:?}: {status:?}");
    }
}

/// #14 item e: a token short enough to guess is refused at start, before the
/// data folder is touched, and the message says what is wanted.
#[test]
fn an_admin_token_shorter_than_16_characters_refuses_to_start() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let args = ["--data-dir", data.to_str().expect("utf-8")];
    for short in ["x", "fifteen-chars15", "  twelve-chars   "] {
        let (status, stderr) = common::process::serve_until_exit(&args, &[("TWEETGUIDE_ADMIN_TOKEN", short)]);
        assert!(!status.success(), "{short:?} accepted: {stderr}");
        assert!(stderr.contains("TWEETGUIDE_ADMIN_TOKEN") && stderr.contains("16 characters"), "{stderr}");
        assert!(!stderr.contains(" addr="), "never served: {stderr}");
        if short.trim().len() > 1 {
            assert!(!stderr.contains(short.trim()), "the token is never printed: {stderr}");
        }
        assert!(!data.exists(), "nothing written in the data folder");
    }
    // Sixteen characters are enough.
    let server = ServerProcess::start(&args, &[("TWEETGUIDE_ADMIN_TOKEN", "sixteen-chars-16")]);
    assert!(data.join("models").exists());
    drop(server);
}

/// #14 item d: a model id is echoed in the error, clipped: an 8 MB id used
/// to come back whole in `grpc-message`.
#[tokio::test]
async fn an_8_mb_model_id_gets_a_short_not_found() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    let mut admin = admin(&server).await;
    let huge = "é".repeat(4 * 1024 * 1024);
    let activate = admin.activate_model(ActivateModelRequest { id: huge.clone() }).await.expect_err("unknown id");
    let get = admin.get_model(tweetguide::proto::v1::GetModelRequest { id: huge }).await.expect_err("unknown id");
    for status in [activate, get] {
        assert_eq!(status.code(), Code::NotFound, "{:.200}", status.message());
        assert!(status.message().len() < 300, "{} bytes: {:.200}", status.message().len(), status.message());
        assert!(status.message().contains("éé…"), "clipped on a character boundary: {}", status.message());
    }
    // A short unknown id is still echoed whole.
    let status = admin.activate_model(ActivateModelRequest { id: "feedface".into() }).await.expect_err("unknown id");
    assert!(status.message().contains("\"feedface\""), "{}", status.message());
}

/// A server on `data_dir` created with the usual umask (022), whatever the
/// test runner's: the modes it gives its files are then its own doing.
#[cfg(unix)]
fn start_with_usual_umask(data_dir: &std::path::Path) -> ServerProcess {
    use std::os::unix::process::CommandExt;
    ServerProcess::start_with(
        &["--data-dir", data_dir.to_str().expect("utf-8")],
        &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)],
        |command| {
            // SAFETY: umask is async-signal-safe and touches no memory.
            unsafe {
                command.pre_exec(|| {
                    libc::umask(0o022);
                    Ok(())
                });
            }
        },
    )
}

/// Every folder and file of a data folder (two levels: the folder and
/// `models/`), with its permission bits.
#[cfg(unix)]
fn modes(data_dir: &std::path::Path) -> Vec<(std::path::PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut found =
        vec![(data_dir.to_owned(), std::fs::metadata(data_dir).expect("stat").permissions().mode() & 0o777)];
    for folder in [data_dir.to_owned(), data_dir.join("models")] {
        for entry in std::fs::read_dir(&folder).expect("read dir") {
            let path = entry.expect("entry").path();
            let mode = std::fs::symlink_metadata(&path).expect("stat").permissions().mode() & 0o777;
            found.push((path, mode));
        }
    }
    found
}

#[cfg(unix)]
fn assert_private(data_dir: &std::path::Path) {
    for (path, mode) in modes(data_dir) {
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, expected, "{} is {mode:o}, not {expected:o}", path.display());
    }
}

/// #14 item b: stored tweets used to be readable by every local user (folder
/// 0755, database 0644). The folder is 0700 and every file in it 0600,
/// including SQLite's -wal and -shm files and the model versions.
#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_everything_in_it_are_private() {
    let root = tempfile::tempdir().expect("dir");
    let data = root.path().join("data");
    let server = start_with_usual_umask(&data);
    let mut admin = admin(&server).await;
    admin.add_examples(AddExamplesRequest { examples: zorblax_examples() }).await.expect("add");
    admin.retrain(RetrainRequest { force: true, tolerance: None }).await.expect("retrain");
    let names: Vec<String> =
        modes(&data).iter().filter_map(|(p, _)| Some(p.file_name()?.to_str()?.to_owned())).collect();
    for expected in ["examples.sqlite", "examples.sqlite-wal", "examples.sqlite-shm", "models", "manifest.json"] {
        assert!(names.iter().any(|n| n == expected), "{expected} not among {names:?}");
    }
    assert!(names.iter().filter(|n| n.ends_with(".model")).count() == 2, "{names:?}");
    assert_private(&data);
}

/// #14 item b: a folder made by an older release (or by hand) with looser
/// modes is tightened at start, and the log says so. Bits are only taken
/// away: a read-only folder stays read-only.
#[cfg(unix)]
#[tokio::test]
async fn looser_modes_of_an_existing_data_folder_are_tightened_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().expect("dir");
    let data = root.path().join("data");
    let server = start_with_usual_umask(&data);
    admin(&server).await.add_examples(AddExamplesRequest { examples: zorblax_examples() }).await.expect("add");
    // Killed: SQLite's -wal and -shm files stay behind, as after a crash.
    server.signal_and_wait("KILL");
    for (path, _) in modes(&data) {
        let loose = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).expect("chmod");
    }
    assert!(data.join("examples.sqlite-wal").exists() && data.join("examples.sqlite-shm").exists());

    let server = start_with_usual_umask(&data);
    let log = server.log.lock().expect("log").join("\n");
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains("permissions") && l.contains(data.to_str().expect("utf-8"))),
        "no warning about tightened permissions in {log}"
    );
    assert_private(&data);
    let added = admin(&server).await.add_examples(AddExamplesRequest { examples: zorblax_examples() }).await;
    assert_eq!(added.expect("add").into_inner().duplicates, 25, "the examples are all there");
}
