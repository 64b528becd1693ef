//! The client commands never lose or invent data (#14): outputs are replaced
//! whole or not at all, files that are not timelines are refused, unknown
//! avatars are not judged, silent servers time out, and answers from
//! different model versions are not mixed unasked. The real binary, real
//! files, real servers on loopback.

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::process::ServerProcess;

/// What a previous run left in an output file, which a failed run must keep.
const PREVIOUS: &str = "{\"id\":\"1\",\"label\":\"sharing\"}\n";

fn tweetguide(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(args)
        .env_remove("TWEETGUIDE_SERVER")
        .output()
        .expect("binary runs")
}

/// The binary with files limited to `bytes`: a write past it fails (EFBIG),
/// as on a full disk, half-way through.
fn tweetguide_with_file_limit(args: &[&str], bytes: u64) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetguide"));
    command.args(args).env_remove("TWEETGUIDE_SERVER");
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    command.output().expect("binary runs")
}

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `dir/name` holding what a previous run wrote.
fn previous_output(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, PREVIOUS).expect("write previous output");
    path
}

fn assert_kept(path: &Path, output: &Output) {
    assert!(!output.status.success(), "the run should fail: {}", stderr(output));
    let now = std::fs::read_to_string(path).expect("the previous output is still there");
    assert_eq!(now, PREVIOUS, "the previous output is untouched; stderr: {}", stderr(output));
}

/// `n` JSONL tweets, all valid.
fn tweets_jsonl(n: usize) -> String {
    (0..n).map(|i| format!("{{\"id\": \"t{i}\", \"text\": \"Nouvelle collection en boutique, jour {i}\"}}\n")).collect()
}

// --- item 8: outputs are replaced whole or not at all ---------------------------

#[test]
fn classify_keeps_the_output_when_the_input_cannot_be_read() {
    let dir = tempfile::tempdir().expect("dir");
    let keep = previous_output(dir.path(), "keep.jsonl");
    let missing = dir.path().join("nonexistent.jsonl");
    let out = tweetguide(&["classify", "--input", text(&missing), "--output", text(&keep)]);
    assert_kept(&keep, &out);
    assert!(stderr(&out).contains("nonexistent.jsonl"), "{}", stderr(&out));
}

#[test]
fn classify_keeps_the_output_when_the_input_breaks_half_way() {
    let dir = tempfile::tempdir().expect("dir");
    let keep = previous_output(dir.path(), "keep.jsonl");
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, format!("{}{{\"id\": \"x\"}}\n", tweets_jsonl(50))).expect("write input");
    let out = tweetguide(&["classify", "--input", text(&input), "--output", text(&keep)]);
    assert_kept(&keep, &out);
    assert!(stderr(&out).contains("in.jsonl:51"), "{}", stderr(&out));
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "no temporary file left behind: {left:?}");
}

#[test]
fn classify_through_a_server_keeps_the_output_when_the_input_cannot_be_read() {
    let server = ServerProcess::start(&[], &[]);
    let dir = tempfile::tempdir().expect("dir");
    let keep = previous_output(dir.path(), "keep.jsonl");
    let missing = dir.path().join("nonexistent.jsonl");
    let out = tweetguide(&["classify", "--addr", &server.addr, "--input", text(&missing), "--output", text(&keep)]);
    assert_kept(&keep, &out);
    assert!(stderr(&out).contains("nonexistent.jsonl"), "{}", stderr(&out));
}

#[test]
fn classify_keeps_the_output_when_the_disk_fills_up() {
    let dir = tempfile::tempdir().expect("dir");
    let keep = previous_output(dir.path(), "keep.jsonl");
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, tweets_jsonl(2_000)).expect("write input");
    // The predictions take several hundred KB, the input less than the limit.
    let out = tweetguide_with_file_limit(&["classify", "--input", text(&input), "--output", text(&keep)], 200_000);
    assert_kept(&keep, &out);

    // Without the limit the same run replaces the file whole.
    let out = tweetguide(&["classify", "--input", text(&input), "--output", text(&keep)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(&keep).expect("output");
    assert_eq!(written.lines().count(), 2_000);
    assert!(!written.contains("\"label\":\"sharing\"}\n{\"id\":\"t0\""), "replaced, not appended");
}

#[test]
fn score_keeps_the_html_report_when_the_disk_fills_up() {
    let dir = tempfile::tempdir().expect("dir");
    let keep = previous_output(dir.path(), "report.html");
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guidelines/g4_warn_en.json");
    let args = ["score", "--input", text(&input), "--as-of", "2026-03-02T12:00:00Z", "--html", text(&keep)];
    // A page is tens of KB; the limit lets the process start and read its input.
    let out = tweetguide_with_file_limit(&args, 4_096);
    assert_kept(&keep, &out);
    let out = tweetguide(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&keep).expect("report").contains("<svg"));
}

// --- item 9: JSON that is not a timeline is refused, not scored empty ----------

const AS_OF: &str = "2026-03-02T12:00:00Z";

fn guideline_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guidelines").join(name)
}

/// The message names the file and every format `score` reads.
fn assert_refused_as_not_a_timeline(message: &str, file: &str) {
    assert!(message.contains(file), "names the file: {message}");
    for format in ["X API v2", "archive", "JSONL", "CSV"] {
        assert!(message.contains(format), "says what was expected ({format}): {message}");
    }
}

#[test]
fn score_refuses_json_that_is_not_a_timeline() {
    let dir = tempfile::tempdir().expect("dir");
    let foo = dir.path().join("foo.json");
    std::fs::write(&foo, "{\"foo\": 1}\n").expect("write");
    let out = tweetguide(&["score", "--input", text(&foo), "--as-of", AS_OF, "--json"]);
    assert_eq!(out.status.code(), Some(1), "refused: {}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "no report: {}", String::from_utf8_lossy(&out.stdout));
    assert_refused_as_not_a_timeline(&stderr(&out), "foo.json");

    // A bare array of tweets is no API response either.
    let tweets = dir.path().join("tweets.json");
    std::fs::write(&tweets, "[{\"id\": \"1\", \"text\": \"Nouvelle collection en boutique\"}]").expect("write");
    let out = tweetguide(&["score", "--input", text(&tweets), "--as-of", AS_OF]);
    assert_eq!(out.status.code(), Some(1));
    assert_refused_as_not_a_timeline(&stderr(&out), "tweets.json");
}

#[test]
fn score_refuses_json_that_is_not_a_timeline_in_a_folder_too() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::copy(guideline_fixture("g4_warn_en.json"), dir.path().join("g4_warn_en.json")).expect("copy");
    std::fs::write(dir.path().join("foo.json"), "{\"foo\": 1}").expect("write");
    let out = tweetguide(&["score", "--input", text(dir.path()), "--as-of", AS_OF, "--json"]);
    assert_eq!(out.status.code(), Some(2), "one account failed: {}", stderr(&out));
    let reports: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json report")).collect();
    assert_eq!(reports.len(), 1, "only the real account is reported");
    assert_eq!(reports[0]["handle"], "g4_warn_en");
    assert_refused_as_not_a_timeline(&stderr(&out), "foo.json");
}

// --- item 11: classify reads a timeline file's tweets, not its lines -----------

fn timeline_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/timelines").join(name)
}

/// The ids of the predictions `classify` printed, one JSON line each.
fn prediction_ids(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{}", stderr(output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            let record: serde_json::Value = serde_json::from_str(l).expect("json line");
            assert!(record["label"].is_string(), "{record}");
            record["id"].as_str().expect("id").to_owned()
        })
        .collect()
}

#[test]
fn classify_reads_timeline_files_and_archives_tweet_by_tweet() {
    use tweetguide::client::timeline::{ProfileOverrides, TimelineFormat, read_timeline};
    // A pretty-printed API response, an archive folder, an archive tweets file.
    for name in ["v2_single_page.json", "v2_two_pages.json", "archive_basic", "archive_basic/data/tweets.js"] {
        let path = timeline_fixture(name);
        let timeline = read_timeline(&path, TimelineFormat::Auto, &ProfileOverrides::default()).expect("fixture");
        let expected: Vec<String> = timeline.tweets.iter().map(|t| t.id.clone()).collect();
        assert!(!expected.is_empty(), "{name}");
        let out = tweetguide(&["classify", "--input", text(&path), "--top", "0"]);
        assert_eq!(prediction_ids(&out), expected, "{name}: one prediction per tweet, in order");
    }
}

#[test]
fn classify_refuses_json_that_is_not_a_timeline() {
    let dir = tempfile::tempdir().expect("dir");
    let foo = dir.path().join("foo.json");
    std::fs::write(&foo, "{\n  \"foo\": 1\n}\n").expect("write");
    let out = tweetguide(&["classify", "--input", text(&foo)]);
    assert_eq!(out.status.code(), Some(1), "refused: {}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty());
    let message = stderr(&out);
    assert!(message.contains("foo.json") && message.contains("X API v2"), "{message}");
    assert!(message.contains("--input-format"), "says how to read it otherwise: {message}");
}

// --- item 10: without profile information, G1 is not judged ---------------------

/// Six recent tweets and no word about the profile.
const CSV_ACCOUNT: &str = "id,text,created_at
1,Nouvelle collection en boutique dès samedi,2026-03-01T09:00:00Z
2,Merci à @jules pour ce très bon article,2026-02-28T09:00:00Z
3,Great thread by @ana on pricing worth a read,2026-02-27T09:00:00Z
4,Our spring menu is live book your table now,2026-02-26T09:00:00Z
5,Belle initiative de la mairie pour les jardins partagés,2026-02-25T09:00:00Z
6,Congrats to our friends at @localbakery on the new shop,2026-02-24T09:00:00Z
";

fn g1_of(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one json report");
    report["guidelines"].as_array().and_then(|g| g.iter().find(|g| g["id"] == "G1")).cloned().expect("G1")
}

#[test]
fn g1_is_insufficient_data_without_profile_information_unless_the_flag_says() {
    let dir = tempfile::tempdir().expect("dir");
    let csv = dir.path().join("shop.csv");
    std::fs::write(&csv, CSV_ACCOUNT).expect("write");
    let jsonl = dir.path().join("shop.jsonl");
    let lines: String = CSV_ACCOUNT
        .lines()
        .skip(1)
        .map(|l| {
            let mut cells = l.splitn(2, ',');
            let id = cells.next().unwrap_or_default();
            let rest = cells.next().unwrap_or_default();
            let (text, date) = rest.rsplit_once(',').unwrap_or_default();
            format!("{}\n", serde_json::json!({"id": id, "text": text, "created_at": date}))
        })
        .collect();
    std::fs::write(&jsonl, lines).expect("write");

    for input in [&csv, &jsonl] {
        let base = ["score", "--input", text(input), "--as-of", AS_OF, "--json"];
        let g1 = g1_of(&tweetguide(&base));
        assert_eq!(g1["status"], "insufficient_data", "{}: nothing says which picture: {g1}", text(input));
        assert!(g1["value"].is_null(), "{g1}");

        for (flag, status) in [
            (&["--default-avatar=false"][..], "pass"),
            (&["--default-avatar", "false"][..], "pass"),
            (&["--default-avatar", "true"][..], "fail"),
            (&["--default-avatar"][..], "fail"),
        ] {
            let args: Vec<&str> = base.iter().copied().chain(flag.iter().copied()).collect();
            assert_eq!(g1_of(&tweetguide(&args))["status"], status, "{flag:?}");
        }
    }

    // The same through a server: the client says the picture is unknown.
    let server = ServerProcess::start(&[], &[]);
    let remote = tweetguide(&["score", "--addr", &server.addr, "--input", text(&csv), "--as-of", AS_OF, "--json"]);
    assert_eq!(g1_of(&remote)["status"], "insufficient_data");
    let local = tweetguide(&["score", "--input", text(&csv), "--as-of", AS_OF, "--json"]);
    let report = |o: &Output| serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json");
    assert_eq!(report(&remote), report(&local), "the server and the in-process audit agree");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_timeline_without_a_profile_does_not_judge_the_avatar() {
    use prost_types::Timestamp;
    use tweetguide::proto::v1::auditor_client::AuditorClient;
    use tweetguide::proto::v1::{GuidelineId, GuidelineStatus, Profile, ScoreTimelineRequest};

    let server = common::TestServer::start().await;
    let mut client = AuditorClient::new(server.channel().await);
    let as_of = Timestamp { seconds: 1_772_452_800, nanos: 0 };
    let request = |profile: Option<Profile>| ScoreTimelineRequest {
        profile,
        tweets: vec![common::tweet("1", "Nouvelle collection en boutique dès samedi")],
        as_of: Some(as_of),
        ..Default::default()
    };
    let g1 = |report: &tweetguide::proto::v1::TimelineReport| {
        report.guidelines.iter().find(|g| g.id == GuidelineId::G1Avatar as i32).cloned().expect("G1")
    };

    let none = client.score_timeline(request(None)).await.expect("report").into_inner();
    assert_eq!(g1(&none).status, GuidelineStatus::InsufficientData as i32, "{:?}", g1(&none));
    assert_eq!(g1(&none).value, None);

    let unknown = Profile { handle: "shop".into(), avatar_unknown: true, ..Default::default() };
    let report = client.score_timeline(request(Some(unknown.clone()))).await.expect("report").into_inner();
    assert_eq!(g1(&report).status, GuidelineStatus::InsufficientData as i32);
    assert_eq!(report.handle, "shop");

    let told = Profile { default_avatar: Some(false), ..unknown };
    let report = client.score_timeline(request(Some(told))).await.expect("report").into_inner();
    assert_eq!(g1(&report).status, GuidelineStatus::Pass as i32, "default_avatar decides");

    // As before: a profile with an empty picture URL shows the default avatar.
    let empty = Profile { handle: "shop".into(), ..Default::default() };
    let report = client.score_timeline(request(Some(empty))).await.expect("report").into_inner();
    assert_eq!(g1(&report).status, GuidelineStatus::Fail as i32);
}

// --- item 13: a silent server costs a timeout, not forever ---------------------

/// A peer that accepts connections and never answers: TCP up, no HTTP/2.
struct SilentPeer {
    addr: std::net::SocketAddr,
}

impl SilentPeer {
    fn start() -> SilentPeer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                // Kept open and unread until the test process ends.
                held.extend(stream.ok());
            }
        });
        SilentPeer { addr }
    }
}

/// Runs the binary, killing it (and failing) if it outlives `limit`.
fn tweetguide_within(args: &[&str], limit: std::time::Duration) -> (Output, std::time::Duration) {
    use std::process::Stdio;
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(args)
        .env_remove("TWEETGUIDE_SERVER")
        .env_remove("TWEETGUIDE_ADMIN_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    loop {
        if child.try_wait().expect("wait").is_some() {
            return (child.wait_with_output().expect("output"), started.elapsed());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!("`tweetguide {}` still waiting after {limit:?}: {}", args.join(" "), stderr(&output));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn every_client_command_gives_up_on_a_silent_server_and_names_it() {
    let peer = SilentPeer::start();
    let addr = format!("http://{}", peer.addr);
    let dir = tempfile::tempdir().expect("dir");
    let tweets = dir.path().join("tweets.jsonl");
    std::fs::write(&tweets, tweets_jsonl(3)).expect("write");
    let examples = dir.path().join("examples.jsonl");
    std::fs::write(&examples, "{\"text\": \"Vote them out\", \"label\": \"political\"}\n").expect("write");
    let account = guideline_fixture("g4_warn_en.json");
    let admin = ["--addr", &addr, "--token", "t0ken", "--timeout", "1s"];
    let commands: Vec<Vec<&str>> = vec![
        vec!["classify", "--addr", &addr, "--timeout", "1s", "hello"],
        vec!["classify", "--addr", &addr, "--timeout", "1s", "--input", text(&tweets)],
        vec!["score", "--addr", &addr, "--timeout", "1s", "--input", text(&account)],
        [&["examples", "add", "--input", text(&examples)][..], &admin].concat(),
        [&["retrain"][..], &admin].concat(),
        [&["models", "list"][..], &admin].concat(),
        [&["models", "show", "abc"][..], &admin].concat(),
        [&["models", "activate", "abc"][..], &admin].concat(),
        vec!["health", "--addr", &addr, "--timeout", "1s"],
    ];
    for args in commands {
        let (output, took) = tweetguide_within(&args, std::time::Duration::from_secs(20));
        let message = stderr(&output);
        assert!(!output.status.success(), "{args:?} failed");
        assert!(message.contains(&peer.addr.to_string()), "{args:?}: names the address: {message}");
        assert!(took < std::time::Duration::from_secs(8), "{args:?} took {took:?}: {message}");
    }
}

/// A Trainer that answers UNAVAILABLE to the first `AddExamples` and to every
/// `Retrain`, and counts the calls.
#[derive(Default, Clone)]
struct FlakyTrainer {
    add_calls: std::sync::Arc<std::sync::atomic::AtomicU32>,
    retrain_calls: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

#[tonic::async_trait]
impl tweetguide::proto::v1::trainer_server::Trainer for FlakyTrainer {
    async fn add_examples(
        &self,
        request: tonic::Request<tweetguide::proto::v1::AddExamplesRequest>,
    ) -> Result<tonic::Response<tweetguide::proto::v1::AddExamplesResponse>, tonic::Status> {
        use std::sync::atomic::Ordering;
        if self.add_calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(tonic::Status::unavailable("restarting"));
        }
        let added = request.into_inner().examples.len() as u64;
        Ok(tonic::Response::new(tweetguide::proto::v1::AddExamplesResponse {
            added,
            total_examples: added,
            ..Default::default()
        }))
    }

    async fn retrain(
        &self,
        _: tonic::Request<tweetguide::proto::v1::RetrainRequest>,
    ) -> Result<tonic::Response<tweetguide::proto::v1::RetrainResponse>, tonic::Status> {
        self.retrain_calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(tonic::Status::unavailable("restarting"))
    }

    async fn list_models(
        &self,
        _: tonic::Request<tweetguide::proto::v1::ListModelsRequest>,
    ) -> Result<tonic::Response<tweetguide::proto::v1::ListModelsResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("not in this test"))
    }

    async fn get_model(
        &self,
        _: tonic::Request<tweetguide::proto::v1::GetModelRequest>,
    ) -> Result<tonic::Response<tweetguide::proto::v1::ModelVersion>, tonic::Status> {
        Err(tonic::Status::unimplemented("not in this test"))
    }

    async fn activate_model(
        &self,
        _: tonic::Request<tweetguide::proto::v1::ActivateModelRequest>,
    ) -> Result<tonic::Response<tweetguide::proto::v1::ActivateModelResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("not in this test"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_is_retried_where_a_retry_is_safe_only() {
    use std::sync::atomic::Ordering;
    let trainer = FlakyTrainer::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let service = tweetguide::proto::v1::trainer_server::TrainerServer::new(trainer.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    let dir = tempfile::tempdir().expect("dir");
    let examples = dir.path().join("examples.jsonl");
    std::fs::write(&examples, "{\"text\": \"Vote them out\", \"label\": \"political\"}\n").expect("write");
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            tweetguide_within(&args, std::time::Duration::from_secs(30)).0
        })
    };
    let admin = |command: &[&str]| -> Vec<String> {
        command.iter().copied().chain(["--addr", &addr, "--token", "t0ken"]).map(str::to_owned).collect()
    };

    // Storing examples twice stores them once: a retry is safe.
    let out = run(admin(&["examples", "add", "--input", text(&examples)])).await.expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 added"));
    assert_eq!(trainer.add_calls.load(Ordering::SeqCst), 2, "retried once");

    // A second retrain is another model version: never repeated unasked.
    let out = run(admin(&["retrain"])).await.expect("run");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("restarting"), "{}", stderr(&out));
    assert_eq!(trainer.retrain_calls.load(Ordering::SeqCst), 1, "not retried");
}

/// A Classifier that opens every stream and then never answers a chunk, nor
/// reads one: a server hung half-way through a batch.
struct StalledClassifier;

#[tonic::async_trait]
impl tweetguide::proto::v1::classifier_server::Classifier for StalledClassifier {
    async fn classify(
        &self,
        _: tonic::Request<tweetguide::proto::v1::ClassifyRequest>,
    ) -> Result<tonic::Response<tweetguide::proto::v1::ClassifyResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("not in this test"))
    }

    type ClassifyStreamStream = std::pin::Pin<
        Box<dyn futures_util::Stream<Item = Result<tweetguide::proto::v1::ClassifyResponse, tonic::Status>> + Send>,
    >;

    async fn classify_stream(
        &self,
        request: tonic::Request<tonic::Streaming<tweetguide::proto::v1::ClassifyRequest>>,
    ) -> Result<tonic::Response<Self::ClassifyStreamStream>, tonic::Status> {
        // The request stream is kept, unread, for as long as the answer waits.
        let stream = futures_util::stream::unfold(request.into_inner(), |held| async move {
            std::future::pending::<()>().await;
            Some((Ok(tweetguide::proto::v1::ClassifyResponse::default()), held))
        });
        Ok(tonic::Response::new(Box::pin(stream)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_gives_up_on_a_server_that_stops_answering_half_way() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let service = tweetguide::proto::v1::classifier_server::ClassifierServer::new(StalledClassifier);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    let dir = tempfile::tempdir().expect("dir");
    let tweets = dir.path().join("tweets.jsonl");
    // Far more than the stream's flow-control window and the client's queue:
    // the reader ends up blocked on a server that reads nothing.
    std::fs::write(&tweets, tweets_jsonl(20_000)).expect("write");
    let args: Vec<String> = ["classify", "--addr", &format!("http://{addr}"), "--timeout", "1s", "--chunk-size", "100"]
        .into_iter()
        .map(str::to_owned)
        .chain(["--input".to_owned(), text(&tweets).to_owned()])
        .collect();
    let (out, took) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tweetguide_within(&args, std::time::Duration::from_secs(20))
    })
    .await
    .expect("run");
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&addr.to_string()) && stderr(&out).contains("no answer"), "{}", stderr(&out));
    assert!(took < std::time::Duration::from_secs(8), "took {took:?}");
}

// --- item 14: one batch, one model version, unless asked ------------------------

#[test]
fn a_batch_over_servers_of_different_models_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().expect("dir");
    let (tiny, tiny_version) = common::tiny_model_file(dir.path(), "tiny");
    let builtin_version = tweetguide::model::Model::embedded_default().expect("built-in model").id().to_owned();
    assert_ne!(tiny_version, builtin_version);
    let builtin = ServerProcess::start(&[], &[]);
    let other = ServerProcess::start(&["--model", text(&tiny)], &[]);
    let input = dir.path().join("tweets.jsonl");
    std::fs::write(&input, tweets_jsonl(60)).expect("write");
    let keep = previous_output(dir.path(), "keep.jsonl");
    let batch = ["classify", "--addr", &builtin.addr, "--addr", &other.addr, "--chunk-size", "10"];
    let with = |extra: &[&str]| -> Vec<String> { batch.iter().chain(extra).map(|a| (*a).to_owned()).collect() };
    let run = |args: Vec<String>| tweetguide(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let out = run(with(&["--input", text(&input), "--output", text(&keep)]));
    assert_kept(&keep, &out);
    let message = stderr(&out);
    for name in [&builtin.addr, &other.addr, &builtin_version, &tiny_version] {
        assert!(message.contains(name.as_str()), "names {name}: {message}");
    }
    assert!(message.contains("--allow-mixed-versions"), "says how to go ahead: {message}");

    // To stdout as well: refused before the first prediction is printed.
    let out = run(with(&["--input", text(&input)]));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing printed: {}", String::from_utf8_lossy(&out.stdout));

    // One chunk reaches one server only: nothing is mixed, and the answer held
    // back while the other server had not answered is not lost.
    let one = dir.path().join("one.jsonl");
    std::fs::write(&one, tweets_jsonl(1)).expect("write");
    let out = run(with(&["--input", text(&one)]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);

    let mixed = dir.path().join("mixed.jsonl");
    let out = run(with(&["--input", text(&input), "--output", text(&mixed), "--allow-mixed-versions"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains(&builtin_version) && message.contains(&tiny_version), "warns: {message}");
    let versions: Vec<String> = std::fs::read_to_string(&mixed)
        .expect("output")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["model_version"].to_string())
        .collect();
    assert_eq!(versions.len(), 60);
    for version in [&builtin_version, &tiny_version] {
        assert!(versions.contains(&format!("\"{version}\"")), "every answer names its version: {versions:?}");
    }
}
