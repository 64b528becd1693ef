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
