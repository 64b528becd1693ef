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
    for lang in ["fr", "en"] {
        assert!(report["by_language"][lang]["macro_f1"].is_number(), "{lang}");
    }
}

#[test]
fn evaluate_reads_files_with_extra_fields() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mine.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"id": 17, "source": "export", "text": "Tous en grève jeudi contre la réforme !", "label": "political", "lang": "fr"}"#,
            "\n",
            r#"{"id": "18", "text": "Our spring menu is live, book your table now", "label": "self_promotion", "created_at": "2026-01-01"}"#,
            "\n",
        ),
    )
    .expect("write");
    let out = stdout_of(&tweetguide(&["evaluate", "--data", path.to_str().expect("utf-8"), "--json"]));
    let report: Value = serde_json::from_str(&out).expect("one json object");
    assert_eq!(report["count"], 2);
    assert_eq!(report["by_language"]["fr"]["count"], 1, "{report}");
    assert!(report["by_language"].get("en").is_none(), "no English line says its language: {report}");
}

/// A small hand-written corpus in `dir/data`: the first 150 lines of the
/// committed `train.jsonl` and `test.jsonl`.
fn small_corpus(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data");
    for name in ["train.jsonl", "test.jsonl"] {
        let text = std::fs::read_to_string(corpus.join(name)).expect("read corpus");
        let head: Vec<&str> = text.lines().take(150).collect();
        std::fs::write(data.join(name), head.join("\n")).expect("write");
    }
    data
}

#[test]
fn train_writes_a_model_that_classify_can_use() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = small_corpus(dir.path());
    let model = dir.path().join("out/small.model");
    let out = stdout_of(&tweetguide(&[
        "train",
        "--no-real",
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

/// A shared-data folder and labels in the layout of the real ones, with
/// tweets written for this test.
fn small_real_data(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let texts = dir.join("real-tweets");
    std::fs::create_dir(&texts).expect("mkdir");
    let tweets = [
        ("s:1", "Vote them out, this government is a disgrace", "political", "train"),
        ("s:2", "Our new bakery opens Saturday, come taste the croissants", "self_promotion", "train"),
        ("s:3", "Lovely sunset over the harbour tonight", "sharing", "train"),
        ("s:4", "Non à cette réforme injuste, tous dans la rue", "political", "train"),
        ("s:5", "Nouvelle collection en boutique dès demain, venez nombreux", "self_promotion", "train"),
        ("s:6", "Merci à tous pour vos messages, belle journée", "sharing", "train"),
        ("s:7", "This government must resign now", "political", "test"),
        ("s:8", "Come visit our shop this weekend", "self_promotion", "test"),
        ("s:9", "What a beautiful morning at the beach", "sharing", "test"),
    ];
    let mut shared = String::new();
    let mut labels = String::new();
    for (id, text, label, split) in tweets {
        let lang =
            if text.contains("réforme") || text.contains("Merci") || text.contains("Nouvelle") { "fr" } else { "en" };
        shared.push_str(&serde_json::json!({"id": id, "text": text, "lang": lang}).to_string());
        shared.push('\n');
        labels.push_str(
            &serde_json::json!({"id": id, "label": label, "lang": lang, "split": split, "annotators": [label, label]})
                .to_string(),
        );
        labels.push('\n');
    }
    shared.push_str(r#"{"id": "s:10", "text": "An unlabelled tweet about the harbour", "lang": "en"}"#);
    std::fs::write(texts.join("small.jsonl"), shared).expect("write texts");
    let labels_path = dir.join("labels.jsonl");
    std::fs::write(&labels_path, labels).expect("write labels");
    (labels_path, texts)
}

#[test]
fn train_joins_real_labels_with_their_texts_and_reports_both_held_out_sets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (labels, texts) = small_real_data(dir.path());
    let data = small_corpus(dir.path());
    let model = dir.path().join("real.model");
    let path = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let out = stdout_of(&tweetguide(&[
        "train",
        "--data",
        &path(&data),
        "--real-labels",
        &path(&labels),
        "--real-tweets",
        &path(&texts),
        "--out",
        &path(&model),
        "--json",
    ]));
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["hand-written held-out"]["count"], 150);
    assert_eq!(report["real held-out"]["count"], 3, "{report}");
    let out = stdout_of(&tweetguide(&[
        "evaluate",
        "--model",
        &path(&model),
        "--corpus",
        &path(&data),
        "--real-labels",
        &path(&labels),
        "--real-tweets",
        &path(&texts),
        "--json",
    ]));
    let again: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(again["real held-out"], report["real held-out"], "evaluate measures what train measured");
}

#[test]
fn train_without_the_real_texts_says_where_they_go() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nowhere");
    let out = tweetguide(&["train", "--real-tweets", missing.to_str().expect("utf-8"), "--out", "/dev/null"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nowhere") && err.contains("--no-real"), "{err}");
}

/// Options land under the heading they belong to: before, every option
/// declared after the TLS flags was listed under "TLS".
#[test]
fn help_lists_each_option_under_its_own_heading() {
    for (command, under_tls, elsewhere) in [
        (&["classify", "--help"][..], "--ca", "--output"),
        (&["score", "--help"][..], "--client-cert", "--html"),
        (&["serve", "--help"][..], "--tls-cert", "--max-connections"),
    ] {
        let help = stdout_of(&tweetguide(command));
        let tls = section(&help, "TLS");
        assert!(tls.contains(under_tls), "{command:?}: {under_tls} not under TLS:\n{help}");
        assert!(!tls.contains(elsewhere), "{command:?}: {elsewhere} listed under TLS:\n{help}");
        assert!(help.contains(elsewhere), "{command:?}: {elsewhere} missing:\n{help}");
    }
    let serve = stdout_of(&tweetguide(&["serve", "--help"]));
    let limits = section(&serve, "Limits");
    assert!(limits.contains("--max-connections") && !limits.contains("--tls-cert"), "{serve}");
}

/// The lines of a `--help` section: from its heading to the next one.
fn section(help: &str, heading: &str) -> String {
    let is_heading = |line: &str| line.ends_with(':') && line.starts_with(|c: char| c.is_ascii_uppercase());
    help.lines()
        .skip_while(|line| *line != format!("{heading}:"))
        .skip(1)
        .take_while(|line| !is_heading(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `classify ... | head -1`: the reader leaving early is not an error.
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(["classify", "--labels"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        for i in 0..200_000 {
            if writeln!(stdin, "Tweet numéro {i} : nouvelle offre ce week-end").is_err() {
                break;
            }
        }
    });
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    std::io::BufRead::read_line(&mut stdout, &mut first).expect("first line");
    assert!(!first.trim().is_empty());
    drop(stdout);
    let output = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    assert!(output.status.success(), "{:?}: {}", output.status, String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Each cause said once, and a hint where the fix is known.
#[test]
fn errors_say_each_cause_once_with_a_hint() {
    let missing = tweetguide(&["classify", "--input", "/nonexistent/tweets.txt"]);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success());
    assert_eq!(stderr.matches("/nonexistent/tweets.txt").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("No such file or directory").count(), 1, "{stderr}");

    // Port 1 on loopback: nothing listens there.
    let refused = tweetguide(&["classify", "--addr", "http://127.0.0.1:1", "--timeout", "5s", "bonjour"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert_eq!(stderr.matches("Connection refused").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("tcp connect error").count(), 1, "{stderr}");
    assert!(stderr.contains("hint: is `tweetguide serve` running at http://127.0.0.1:1?"), "{stderr}");
}
