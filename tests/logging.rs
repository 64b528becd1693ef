//! What the server logs at its default level must never carry a secret or
//! what users sent: no admin token (right or wrong), no tweet text.
//!
//! The real binary runs with its default logging (no `RUST_LOG`), both its
//! stdout and stderr captured byte for byte. Every RPC that handles tweets is
//! called, successfully and with refusals (wrong token, validation errors
//! with the bad tweet next to long unique ones, an error mid-stream), each
//! tweet carrying a unique marker; after SIGTERM, neither output may contain
//! a token, a marker or a tweet text.

mod common;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use prost_types::Timestamp;
use tonic::Code;
use tweetguide::client::{self, Client};
use tweetguide::proto::v1::auditor_client::AuditorClient;
use tweetguide::proto::v1::trainer_client::TrainerClient;
use tweetguide::proto::v1::{
    ActivateModelRequest, AddExamplesRequest, Category, ClassifyRequest, GetModelRequest, LabelledTweet,
    ListModelsRequest, Profile, RetrainRequest, ScoreTimelineRequest, Thresholds, Tweet,
};

/// The server binary with default logging and both outputs captured.
struct Server {
    child: Child,
    addr: String,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

/// Copies everything `source` writes into `sink`; with `addr`, also sends the
/// address the server logs once it listens.
fn capture(
    mut source: impl Read + Send + 'static,
    sink: Arc<Mutex<Vec<u8>>>,
    addr: Option<mpsc::Sender<String>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let mut sent = false;
        loop {
            match source.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let mut all = sink.lock().expect("capture lock");
                    all.extend_from_slice(&buf[..n]);
                    if let (Some(tx), false) = (&addr, sent) {
                        let text = String::from_utf8_lossy(&all);
                        if let Some(line) = text.lines().find(|l| l.contains(" addr=") && l.contains("serving")) {
                            let at = line.split(" addr=").nth(1).and_then(|r| r.split_whitespace().next());
                            if let Some(at) = at {
                                sent = tx.send(at.to_owned()).is_ok();
                            }
                        }
                    }
                }
            }
        }
    })
}

impl Server {
    fn start(data_dir: &std::path::Path, token: &str) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tweetguide"));
        command
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            // The default level: whatever the environment of the test says.
            .env_remove("RUST_LOG")
            .env_remove("TWEETGUIDE_ADDR")
            .env_remove("TWEETGUIDE_METRICS_ADDR")
            .env("TWEETGUIDE_ADMIN_TOKEN", token)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn server");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let readers = vec![
            capture(child.stdout.take().expect("stdout"), Arc::clone(&stdout), None),
            capture(child.stderr.take().expect("stderr"), Arc::clone(&stderr), Some(tx)),
        ];
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            if let Ok(addr) = rx.recv_timeout(Duration::from_millis(100)) {
                break addr;
            }
            let output = || String::from_utf8_lossy(&stderr.lock().expect("stderr")).into_owned();
            if let Ok(Some(status)) = child.try_wait() {
                panic!("server exited early with {status}: {}", output());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("server did not start: {}", output());
            }
        };
        Server { child, addr: format!("http://{addr}"), stdout, stderr, readers }
    }

    /// SIGTERM, then everything the server wrote: (exit status, stdout, stderr).
    fn stop(mut self) -> (std::process::ExitStatus, Vec<u8>, Vec<u8>) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-s", "TERM", &pid]).status().expect("kill");
        let status = self.child.wait().expect("wait");
        for reader in self.readers.drain(..) {
            reader.join().expect("reader thread");
        }
        let stdout = std::mem::take(&mut *self.stdout.lock().expect("stdout"));
        let stderr = std::mem::take(&mut *self.stderr.lock().expect("stderr"));
        (status, stdout, stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Unique, lowercase-alphanumeric markers (so that a folded or lowercased
/// copy in a log, e.g. as a feature name, is found too).
struct Markers {
    run: String,
    made: Vec<String>,
    texts: Vec<String>,
}

impl Markers {
    fn new() -> Markers {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos();
        Markers {
            run: format!("{:x}{:x}", nanos % 0xffff_ffff, std::process::id()),
            made: Vec::new(),
            texts: Vec::new(),
        }
    }

    /// A tweet text with a new marker; `long` texts fill a few thousand characters.
    fn text(&mut self, long: bool) -> String {
        let marker = format!("qzm{}n{}", self.run, self.made.len());
        let body = if long {
            format!(
                "{marker} Grève générale demain, rejoignez la #ManifDuJeudi ✊ https://t.co/x1 {} fin {marker}",
                "les retraites ne sont pas à vendre, votez contre la réforme ".repeat(60)
            )
        } else {
            format!("Nouvelle carte {marker} au café, -20% ce week-end 🥐 @Boulangerie_Lea #{marker}")
        };
        self.made.push(marker);
        self.texts.push(body.clone());
        body
    }

    fn tweet(&mut self, long: bool) -> Tweet {
        let id = format!("id{}", self.made.len());
        common::tweet(id, self.text(long))
    }
}

const AS_OF: i64 = 1_772_452_800; // 2026-03-02T12:00:00Z

fn dated(mut tweet: Tweet, days_ago: i64) -> Tweet {
    tweet.created_at = Some(Timestamp { seconds: AS_OF - days_ago * 86_400, nanos: 0 });
    tweet
}

fn labelled(tweet: Tweet, label: Category) -> LabelledTweet {
    LabelledTweet { tweet: Some(tweet), label: label as i32, lang: "fr".into() }
}

fn timeline_request(tweets: Vec<Tweet>, handle: &str) -> ScoreTimelineRequest {
    ScoreTimelineRequest {
        profile: Some(Profile { handle: handle.into(), ..Default::default() }),
        tweets,
        as_of: Some(Timestamp { seconds: AS_OF, nanos: 0 }),
        locale: "fr".into(),
        thresholds: None,
        political_content_intended: false,
    }
}

#[tokio::test]
async fn default_logs_carry_no_token_and_no_tweet_text() {
    let mut m = Markers::new();
    let token = format!("logtest-right-token-{}", m.run);
    let wrong_token = format!("logtest-wrong-token-{}", m.run);
    let data = tempfile::tempdir().expect("data dir");
    let server = Server::start(data.path(), &token);
    let addr = server.addr.clone();

    // Classify: a good batch with explanations, then refusals where a bad
    // tweet sits between long unique ones.
    let mut client = Client::connect(&addr).await.expect("client");
    let good = vec![m.tweet(false), m.tweet(true), m.tweet(false)];
    client.classify(good, Some(20)).await.expect("classify");
    for bad in [
        common::tweet("empty", ""),
        common::tweet("blank", " \u{a0}\n "),
        common::tweet("huge", format!("{} {}", m.text(false), "x".repeat(25_001))),
    ] {
        let batch = vec![m.tweet(true), bad, m.tweet(true)];
        let error = client.classify(batch, None).await.expect_err("refused");
        assert!(matches!(error, client::ClientError::Status(ref s) if s.code() == Code::InvalidArgument), "{error}");
    }
    let too_many_features = client.classify(vec![m.tweet(false)], Some(21)).await.expect_err("top_features");
    assert!(matches!(too_many_features, client::ClientError::Status(ref s) if s.code() == Code::InvalidArgument));
    let long_id = Tweet { id: format!("{}-{}", m.text(false), "i".repeat(300)), ..m.tweet(false) };
    let error = client.classify(vec![long_id], None).await.expect_err("id too long");
    assert!(matches!(error, client::ClientError::Status(ref s) if s.code() == Code::InvalidArgument), "{error}");

    // ClassifyStream: a stream that succeeds, then one that fails at its
    // second chunk.
    for fail in [false, true] {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut chunks = vec![vec![m.tweet(false), m.tweet(true)], vec![m.tweet(true)]];
        if fail {
            chunks[1].push(common::tweet("bad", ""));
        }
        for tweets in chunks {
            tx.send(ClassifyRequest { tweets, top_features: Some(5) }).await.expect("queue chunk");
        }
        drop(tx);
        let mut answers = client.classify_stream(rx).await.expect("stream");
        let first = answers.message().await.expect("first chunk").expect("an answer");
        assert_eq!(first.predictions.len(), 2);
        let second = answers.message().await;
        if fail {
            assert_eq!(second.expect_err("second chunk refused").code(), Code::InvalidArgument);
        } else {
            second.expect("second chunk").expect("an answer");
            assert!(answers.message().await.expect("end").is_none());
        }
    }

    // ScoreTimeline: a good timeline, and refusals (an empty tweet among
    // good ones, bad thresholds, an unknown locale).
    let mut auditor = AuditorClient::new(client::connect_channel(&addr).await.expect("channel"));
    let timeline: Vec<Tweet> = (0..12).map(|i| dated(m.tweet(i % 3 == 0), i)).collect();
    auditor.score_timeline(timeline_request(timeline, "fleurs_de_lila")).await.expect("report");
    let mut with_empty: Vec<Tweet> = (0..4).map(|i| dated(m.tweet(true), i)).collect();
    with_empty.insert(2, dated(common::tweet("empty", ""), 1));
    let refused = auditor.score_timeline(timeline_request(with_empty, "x")).await.expect_err("empty tweet");
    assert_eq!(refused.code(), Code::InvalidArgument);
    let mut bad_thresholds = timeline_request(vec![dated(m.tweet(true), 1)], "x");
    bad_thresholds.thresholds =
        Some(Thresholds { political_warn: Some(0.9), political_fail: Some(0.1), ..Default::default() });
    assert_eq!(auditor.score_timeline(bad_thresholds).await.expect_err("thresholds").code(), Code::InvalidArgument);
    let mut bad_locale = timeline_request(vec![dated(m.tweet(false), 1)], "x");
    bad_locale.locale = m.text(false);
    assert_eq!(auditor.score_timeline(bad_locale).await.expect_err("locale").code(), Code::InvalidArgument);

    // Trainer: the right token adds examples (new, repeated and relabelled)
    // and retrains; the wrong token and no token are refused; bad examples
    // and unknown versions are refused.
    let mut admin = client::connect_admin(&addr, &token).await.expect("admin");
    let examples: Vec<LabelledTweet> =
        (0..6).map(|i| labelled(m.tweet(i % 2 == 0), [Category::Political, Category::Sharing][i % 2])).collect();
    admin.add_examples(AddExamplesRequest { examples: examples.clone() }).await.expect("add examples");
    let mut relabelled = examples.clone();
    relabelled[0].label = Category::SelfPromotion as i32;
    admin.add_examples(AddExamplesRequest { examples: relabelled }).await.expect("relabel");
    let mut bad_examples =
        vec![labelled(m.tweet(true), Category::Political), labelled(m.tweet(true), Category::Unspecified)];
    bad_examples.push(labelled(common::tweet("empty", ""), Category::Sharing));
    let refused = admin.add_examples(AddExamplesRequest { examples: bad_examples }).await.expect_err("bad examples");
    assert_eq!(refused.code(), Code::InvalidArgument);
    let retrain = admin.retrain(RetrainRequest { force: false, tolerance: Some(1.0) }).await.expect("retrain");
    assert!(retrain.into_inner().candidate.is_some());
    let unknown = m.text(false);
    let missing = admin.activate_model(ActivateModelRequest { id: unknown.clone() }).await.expect_err("unknown");
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(admin.get_model(GetModelRequest { id: unknown }).await.expect_err("unknown").code(), Code::NotFound);

    let mut wrong = client::connect_admin(&addr, &wrong_token).await.expect("wrong-token client");
    let examples = vec![labelled(m.tweet(true), Category::Political)];
    let refused = wrong.add_examples(AddExamplesRequest { examples }).await.expect_err("wrong token");
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(wrong.list_models(ListModelsRequest {}).await.expect_err("wrong").code(), Code::Unauthenticated);
    let mut anonymous = TrainerClient::new(client::connect_channel(&addr).await.expect("channel"));
    let examples = vec![labelled(m.tweet(false), Category::Sharing)];
    let refused = anonymous.add_examples(AddExamplesRequest { examples }).await.expect_err("no token");
    assert_eq!(refused.code(), Code::Unauthenticated);

    drop((client, auditor, admin, wrong, anonymous));
    // Stopping blocks: off the runtime, so that the clients' connections can
    // still answer the server's GOAWAY and close.
    let (status, stdout, stderr) = tokio::task::spawn_blocking(move || server.stop()).await.expect("stop");
    assert!(status.success(), "server exit status {status}");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();

    // The capture works: default-level lines about this run's calls are there.
    for expected in ["tweetguide serving", "examples stored", "retrain finished", "stopped"] {
        assert!(stderr.contains(expected), "no {expected:?} in the log:\n{stderr}");
    }

    let outputs = [("stdout", stdout.to_lowercase()), ("stderr", stderr.to_lowercase())];
    for (name, output) in &outputs {
        for secret in [&token, &wrong_token] {
            assert!(!output.contains(&secret.to_lowercase()), "{name} contains a token:\n{output}");
        }
        // The run id alone is in every token and marker: nothing of them may show.
        assert!(!output.contains(&m.run), "{name} contains part of a token or marker:\n{output}");
        for marker in &m.made {
            assert!(!output.contains(marker.as_str()), "{name} contains tweet marker {marker}:\n{output}");
        }
        for text in &m.texts {
            assert!(!output.contains(&text.to_lowercase()), "{name} contains a tweet text:\n{output}");
        }
    }
    assert!(m.made.len() > 40, "only {} marked tweets were sent", m.made.len());
    println!("{} marked tweets sent; server log at the default level:\n{stderr}", m.made.len());
}
