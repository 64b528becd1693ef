//! The offline commands, run as a user would: the real binary, real files.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn tweetguide(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tweetguide")).args(args).output().expect("binary runs")
}

fn stdout_of(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

fn held_out() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data/test.jsonl").display().to_string()
}

#[test]
fn classify_texts_as_json() {
    let out = stdout_of(&tweetguide(&[
        "classify",
        "--json",
        "Tous dans la rue contre la réforme des retraites !",
        "Our spring menu is live, book your table now 🌸",
    ]));
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["label"], "political");
    assert_eq!(lines[1]["label"], "self_promotion");
    for line in &lines {
        let p = &line["probabilities"];
        let sum: f64 = ["self_promotion", "sharing", "political"].iter().map(|k| p[k].as_f64().expect("number")).sum();
        assert!((sum - 1.0).abs() < 1e-9);
        assert!(line["top_features"].as_array().is_some_and(|f| !f.is_empty()));
    }
}

#[test]
fn classify_streams_stdin_line_by_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(["classify", "--json", "--top", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let input: String = (0..2000).map(|i| format!("tweet number {i} about our new shop opening\n")).collect();
    // Feed stdin from another thread: the child answers line by line, so its
    // stdout must be drained while we write.
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread").expect("write stdin");
    let text = stdout_of(&out);
    assert_eq!(text.lines().count(), 2000);
    let first: Value = serde_json::from_str(text.lines().next().expect("a line")).expect("json");
    assert_eq!(first["top_features"].as_array().map(Vec::len), Some(0));
}

#[test]
fn evaluate_reports_the_documented_json() {
    let out = stdout_of(&tweetguide(&["evaluate", "--data", &held_out(), "--json"]));
    let report: Value = serde_json::from_str(&out).expect("one json object");
    assert!(report["macro_f1"].as_f64().expect("macro_f1") >= 0.85);
    assert!(report["accuracy"].as_f64().is_some());
    assert!(report["count"].as_u64().expect("count") > 500);
    for label in ["self_promotion", "sharing", "political"] {
        for key in ["precision", "recall", "f1", "support"] {
            assert!(report["per_class"][label][key].is_number(), "{label}.{key}");
        }
    }
    assert_eq!(report["confusion"].as_array().map(Vec::len), Some(3));
}

#[test]
fn train_writes_a_model_that_classify_can_use() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data");
    // A small corpus: the first 150 lines of each file.
    for name in ["train.jsonl", "test.jsonl"] {
        let text = std::fs::read_to_string(corpus.join(name)).expect("read corpus");
        let head: Vec<&str> = text.lines().take(150).collect();
        std::fs::write(data.join(name), head.join("\n")).expect("write");
    }
    let model = dir.path().join("out/small.model");
    let out = stdout_of(&tweetguide(&[
        "train",
        "--data",
        data.to_str().expect("utf-8"),
        "--out",
        model.to_str().expect("utf-8"),
    ]));
    assert!(out.contains("macro-F1"), "{out}");
    let out = stdout_of(&tweetguide(&["classify", "--model", model.to_str().expect("utf-8"), "--json", "hello"]));
    assert!(out.contains("\"label\""));
}

#[test]
fn bad_inputs_fail_with_a_message_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": \"ok\", \"label\": \"opinion\"}\n").expect("write");
    let out = tweetguide(&["evaluate", "--data", bad.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:1") && err.contains("unknown label"), "{err}");

    let out = tweetguide(&["classify", "--model", bad.to_str().expect("utf-8"), "x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a tweetguide model"));
}
