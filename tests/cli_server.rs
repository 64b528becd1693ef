//! The binary end to end: `serve` as a process, `classify --addr` against it.

mod common;

use std::process::Command;

use common::process::ServerProcess;
use serde_json::Value;

fn tweetguide(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tweetguide")).args(args).output().expect("binary runs")
}

#[test]
fn classify_a_file_through_the_server_in_order() {
    let server = ServerProcess::start(&[], &[]);
    let dir = tempfile::tempdir().expect("dir");
    let input = dir.path().join("tweets.jsonl");
    let lines: Vec<String> = (0..3_000)
        .map(|i| serde_json::json!({"id": format!("t{i}"), "text": format!("Soldes d'été : -30% sur tout le magasin, jour {i}")}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n")).expect("write input");
    let output = dir.path().join("out.jsonl");
    let run = tweetguide(&[
        "classify",
        "--addr",
        &server.addr,
        "--addr",
        &server.addr,
        "--chunk-size",
        "250",
        "--input",
        input.to_str().expect("utf-8"),
        "--output",
        output.to_str().expect("utf-8"),
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let written = std::fs::read_to_string(&output).expect("output");
    let records: Vec<Value> = written.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(records.len(), 3_000);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["id"], format!("t{i}"));
        assert_eq!(record["label"], "self_promotion");
        assert!(record["model_version"].as_str().is_some_and(|v| !v.is_empty()));
    }
    assert!(server.signal_and_wait("TERM").success(), "SIGTERM exits 0");
}

#[test]
fn classify_csv_from_stdin_and_texts_through_the_server() {
    let server = ServerProcess::start(&[], &[]);
    let run = tweetguide(&["classify", "--addr", &server.addr, "--json", "Vote them out, this budget is a disgrace"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let record: Value = serde_json::from_slice(&run.stdout).expect("json");
    assert_eq!(record["label"], "political");

    let dir = tempfile::tempdir().expect("dir");
    let csv = dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "id,text\na,\"Merci @jules pour ce thread, très utile\"\nb,Nous recrutons un boulanger H/F en CDI\n",
    )
    .expect("csv");
    let run = tweetguide(&["classify", "--addr", &server.addr, "--input", csv.to_str().expect("utf-8")]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let ids: Vec<String> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(server.signal_and_wait("INT").success(), "SIGINT exits 0");
}

#[test]
fn server_errors_reach_the_user_with_their_position() {
    let server = ServerProcess::start(&[], &[]);
    let dir = tempfile::tempdir().expect("dir");
    let input = dir.path().join("bad.jsonl");
    std::fs::write(&input, "{\"text\": \"fine\"}\n{\"text\": \"   \"}\n").expect("write");
    let run = tweetguide(&["classify", "--addr", &server.addr, "--input", input.to_str().expect("utf-8")]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("tweets[1].text: empty text"), "{stderr}");

    let run = tweetguide(&["classify", "--addr", "127.0.0.1:1", "hello"]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot connect"));
}

#[test]
fn health_exits_zero_only_when_the_server_serves() {
    let server = ServerProcess::start(&[], &[]);
    let ok = tweetguide(&["health", "--addr", &server.addr]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "server: SERVING");
    let service = tweetguide(&["health", "--addr", &server.addr, "--service", "tweetguide.v1.Classifier"]);
    assert!(service.status.success());
    assert_eq!(String::from_utf8_lossy(&service.stdout).trim(), "tweetguide.v1.Classifier: SERVING");

    let unknown = tweetguide(&["health", "--addr", &server.addr, "--service", "tweetguide.v1.Nothing"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not healthy"), "{unknown:?}");

    // A port nobody listens on: a clear failure, well within the timeout.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let started = std::time::Instant::now();
    let down = tweetguide(&["health", "--addr", &format!("http://127.0.0.1:{port}"), "--timeout", "3s"]);
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).contains(&port.to_string()), "{down:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

/// A refused token is named by where it was read, once, without tonic's
/// own rendering of the status after it.
#[test]
fn a_refused_admin_token_says_where_it_came_from() {
    let data = tempfile::tempdir().expect("dir");
    let dir = data.path().to_str().expect("utf-8");
    let server =
        ServerProcess::start(&["--data-dir", dir], &[("TWEETGUIDE_ADMIN_TOKEN", "the-right-token-0123456789")]);
    let output = Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(["models", "list", "--addr", &server.addr, "--token", "a-wrong-token-0123456789"])
        .env_remove("TWEETGUIDE_ADMIN_TOKEN")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains(&format!("{} refused the admin token read from --token", server.addr)), "{stderr}");
    assert_eq!(stderr.matches("invalid admin token").count(), 1, "{stderr}");

    // From the token file of another folder: the hint names the file.
    let other = tempfile::tempdir().expect("dir");
    std::fs::write(other.path().join("admin-token"), "a-stale-token-0123456789\n").expect("token file");
    let output = Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(["models", "list", "--addr", &server.addr, "--data-dir", other.path().to_str().expect("utf-8")])
        .env_remove("TWEETGUIDE_ADMIN_TOKEN")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&other.path().join("admin-token").display().to_string()), "{stderr}");
    assert!(stderr.contains("--data-dir"), "{stderr}");
}
