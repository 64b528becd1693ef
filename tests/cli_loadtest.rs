//! `tweetguide loadtest` against the real server binary: each kind of call
//! runs, succeeds and reports consistent figures. No speed is asserted: the
//! machine running the tests may be loaded by anything.

mod common;

use std::process::Command;

use common::process::ServerProcess;
use serde_json::Value;

/// Runs a one-second loadtest with two callers and returns its JSON summary.
fn loadtest(addr: &str, extra: &[&str]) -> Value {
    let mut args = vec!["loadtest", "--addr", addr, "--duration", "1", "--warmup", "0", "--concurrency", "2", "--json"];
    args.extend_from_slice(extra);
    let run = Command::new(env!("CARGO_BIN_EXE_tweetguide")).args(&args).output().expect("binary runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    serde_json::from_slice(&run.stdout).expect("one JSON object")
}

fn number(summary: &Value, pointer: &str) -> f64 {
    summary.pointer(pointer).and_then(Value::as_f64).unwrap_or_else(|| panic!("{pointer} missing in {summary}"))
}

fn assert_sound(summary: &Value, rpc: &str, batch: u64) {
    assert_eq!(summary["rpc"], rpc, "{summary}");
    assert_eq!(summary["concurrency"], 2, "{summary}");
    assert_eq!(summary["batch"], batch, "{summary}");
    assert_eq!(summary["errors"], 0, "{summary}");
    let calls = number(summary, "/calls");
    assert!(calls > 0.0, "{summary}");
    assert_eq!(number(summary, "/tweets"), calls * batch as f64, "every call answers each tweet: {summary}");
    assert!(number(summary, "/calls_per_s") > 0.0, "{summary}");
    let [p50, p90, p99, max] = ["p50", "p90", "p99", "max"].map(|p| number(summary, &format!("/latency_ms/{p}")));
    assert!(0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max, "{summary}");
    let mean = number(summary, "/latency_ms/mean");
    assert!(0.0 < mean && mean <= max, "{summary}");
}

#[test]
fn loadtest_each_rpc_against_the_server() {
    let server = ServerProcess::start(&[], &[]);

    let classify = loadtest(&server.addr, &["--rpc", "classify"]);
    assert_sound(&classify, "classify", 1);

    let health = loadtest(&server.addr, &["--rpc", "health"]);
    assert_sound(&health, "health", 0);

    let stream = loadtest(&server.addr, &["--rpc", "stream", "--batch", "100"]);
    assert_sound(&stream, "stream", 100);

    assert!(server.signal_and_wait("TERM").success(), "SIGTERM exits 0");
}

#[test]
fn loadtest_refuses_a_batch_for_health() {
    let run = Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(["loadtest", "--addr", "127.0.0.1:1", "--rpc", "health", "--batch", "5"])
        .output()
        .expect("binary runs");
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("--batch"), "{}", String::from_utf8_lossy(&run.stderr));
}
