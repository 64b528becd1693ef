//! `tweetguide score` end to end: fixture accounts through a live server.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::process::ServerProcess;
use serde_json::Value;

const AS_OF: &str = "2026-03-02T12:00:00Z";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guidelines")
}

fn score(server: &ServerProcess, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(["score", "--addr", &server.addr, "--as-of", AS_OF])
        .args(extra)
        .output()
        .expect("binary runs")
}

fn json_reports(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).expect("json report")).collect()
}

fn guideline<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["guidelines"].as_array().and_then(|g| g.iter().find(|g| g["id"] == id)).expect("guideline present")
}

#[test]
fn every_guideline_state_in_both_formats_and_languages() {
    let server = ServerProcess::start(&[], &[]);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).expect("manifest"))
            .expect("json");
    let cases = expected.as_object().expect("object");
    assert_eq!(cases.len(), 52);
    for (file, want) in cases {
        let path = fixtures().join(file);
        let lang = want["lang"].as_str().expect("lang");
        let out = score(&server, &["--input", path.to_str().expect("utf-8"), "--lang", lang, "--json"]);
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        let reports = json_reports(&out);
        assert_eq!(reports.len(), 1, "{file}");
        let verdict = guideline(&reports[0], want["guideline"].as_str().expect("id"));
        match want["share"].as_f64() {
            // A share verdict: the right status, or a borderline one whose
            // interval holds the true share.
            Some(truth) if verdict["borderline"] == true => {
                let (low, high) = (verdict["interval"]["low"].as_f64(), verdict["interval"]["high"].as_f64());
                assert!(
                    low.zip(high).is_some_and(|(low, high)| low <= truth && truth <= high),
                    "{file}: borderline, but the interval misses {truth}: {verdict}"
                );
            }
            Some(_) => {
                assert_eq!(verdict["status"], want["status"], "{file}: {verdict}");
                assert!(verdict["interval"].is_object(), "{file}: a share comes with its interval: {verdict}");
            }
            None => assert_eq!(verdict["status"], want["status"], "{file}: {verdict}"),
        }
        assert!(verdict["advice"].as_str().is_some_and(|a| !a.is_empty()));
        let report = &reports[0];
        assert!(report["overall_score"].as_u64().is_some_and(|s| s <= 100));
        for tweet in report["tweets"].as_array().expect("tweets") {
            assert!(tweet["id"].is_string() && tweet["label"].is_string() && tweet["probabilities"].is_object());
        }
    }
}

#[test]
fn terminal_report_in_french_and_english() {
    let server = ServerProcess::start(&[], &[]);
    let path = fixtures().join("g4_fail_fr.jsonl");
    let out = score(&server, &["--input", path.to_str().expect("utf-8"), "--lang", "fr"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("@g4_fail_fr") && text.contains("ÉCHEC") && text.contains("autopromotion"), "{text}");
    let path = fixtures().join("g3_warn_en.json");
    let out = score(&server, &["--input", path.to_str().expect("utf-8")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("WARN") && text.contains("tweets/week"), "{text}");
}

#[test]
fn overrides_and_political_intent_from_the_command_line() {
    let server = ServerProcess::start(&[], &[]);
    let path = fixtures().join("g5_fail_en.jsonl");
    let input = path.to_str().expect("utf-8");
    let base = json_reports(&score(&server, &["--input", input, "--json"]));
    assert_eq!(guideline(&base[0], "G5")["status"], "fail");

    let loose = json_reports(&score(
        &server,
        &["--input", input, "--json", "--threshold", "political_warn=0.4", "--threshold", "political_fail=0.6"],
    ));
    assert_eq!(guideline(&loose[0], "G5")["status"], "pass");

    let intended = json_reports(&score(&server, &["--input", input, "--json", "--political-intended"]));
    let g5 = guideline(&intended[0], "G5");
    assert_eq!(g5["status"], "pass");
    assert!(g5["value"].as_f64().is_some_and(|v| v > 0.25), "figures still reported: {g5}");

    let protected = json_reports(&score(&server, &["--input", input, "--json", "--protected", "--followers", "12"]));
    assert_eq!(guideline(&protected[0], "G2")["status"], "fail");
    assert!(
        protected[0]["notes"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n.as_str().is_some_and(|s| s.contains("20"))))
    );

    let bad = score(&server, &["--input", input, "--threshold", "political_warn=0.9"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("political_warn"));
}

#[test]
fn a_folder_is_scored_account_by_account_despite_a_broken_file() {
    let server = ServerProcess::start(&[], &[]);
    let dir = tempfile::tempdir().expect("dir");
    for file in ["g1_fail_en.json", "g4_warn_fr.jsonl", "g5_pass_en.json"] {
        std::fs::copy(fixtures().join(file), dir.path().join(file)).expect("copy");
    }
    std::fs::write(dir.path().join("broken.jsonl"), "{\"id\": \"1\", \"text\": \"ok\"}\n{not json\n").expect("write");
    let html = dir.path().join("html");
    let out =
        score(&server, &["--input", dir.path().to_str().expect("utf-8"), "--html", html.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2), "some accounts failed: {}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.jsonl"), "{stderr}");
    let table = String::from_utf8_lossy(&out.stdout);
    for handle in ["@g1_fail_en", "@g4_warn_fr", "@g5_pass_en"] {
        assert!(table.contains(handle), "{table}");
    }
    assert!(table.contains("broken.jsonl") && table.contains("error"), "{table}");
    for page in ["g1_fail_en.html", "g4_warn_fr.html", "g5_pass_en.html"] {
        let content = std::fs::read_to_string(html.join(page)).expect("html page written");
        assert!(content.contains("G5") && content.contains("<svg"), "{page}");
    }
}

#[test]
fn an_empty_timeline_is_reported_not_refused() {
    let server = ServerProcess::start(&[], &[]);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("quiet.jsonl");
    std::fs::write(&path, "{\"profile\": {\"handle\": \"quiet_shop\", \"followers\": 3}}\n").expect("write");
    let out = score(&server, &["--input", path.to_str().expect("utf-8"), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = &json_reports(&out)[0];
    assert_eq!(guideline(report, "G3")["status"], "fail");
    assert_eq!(guideline(report, "G4")["status"], "insufficient_data");
    assert_eq!(guideline(report, "G5")["status"], "insufficient_data");
}

fn score_in_process(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(["score", "--as-of", AS_OF])
        .args(extra)
        .env_remove("TWEETGUIDE_SERVER")
        .output()
        .expect("binary runs")
}

#[test]
fn in_process_audits_equal_the_server_s() {
    let server = ServerProcess::start(&[], &[]);
    for (file, lang) in [("g4_warn_en.json", "en"), ("g5_fail_fr.jsonl", "fr"), ("g3_warn_en.json", "fr")] {
        let path = fixtures().join(file);
        let args = ["--input", path.to_str().expect("utf-8"), "--json", "--lang", lang];
        let remote = score(&server, &args);
        let local = score_in_process(&args);
        assert!(local.status.success(), "{file}: {}", String::from_utf8_lossy(&local.stderr));
        let (local, remote) = (json_reports(&local), json_reports(&remote));
        assert_eq!(local.len(), 1);
        assert_eq!(local, remote, "{file}");
    }
}

#[test]
fn in_process_audits_refuse_what_a_server_refuses() {
    let dir = tempfile::tempdir().expect("dir");
    let long = dir.path().join("long.jsonl");
    let text = "a".repeat(25_001);
    std::fs::write(&long, format!("{{\"id\": \"1\", \"text\": \"ok\"}}\n{{\"id\": \"2\", \"text\": \"{text}\"}}\n"))
        .expect("write");
    let out = score_in_process(&["--input", long.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tweets[1].text") && stderr.contains("25000"), "{stderr}");

    let not_a_model = dir.path().join("model.bin");
    std::fs::write(&not_a_model, "hello").expect("write");
    let input = fixtures().join("g4_warn_en.json");
    let out =
        score_in_process(&["--input", input.to_str().expect("utf-8"), "--model", not_a_model.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("model.bin") && stderr.contains("not a tweetguide model"), "{stderr}");
}
