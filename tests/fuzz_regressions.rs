//! Replays every input the fuzzers once crashed on (`tests/fuzz_regressions/<target>/`)
//! through the same entry point as its fuzz target, so a fixed bug stays fixed
//! without a nightly toolchain.

use std::path::Path;

use tweetguide::client::timeline::TimelineFormat;
use tweetguide::fuzzing;

/// Runs `check` on each file under the target's folder; returns how many ran.
fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return 0 };
    let mut ran = 0;
    for entry in entries {
        let path = entry.expect("readable folder").path();
        let data = std::fs::read(&path).expect("readable input");
        println!("replaying {}", path.display());
        check(&data);
        ran += 1;
    }
    ran
}

#[test]
fn tokenizer_findings() {
    assert!(replay("tokenizer", fuzzing::tokenizer) > 0, "the tokenizer finding is kept");
}

#[test]
fn timeline_findings() {
    for (target, format) in [
        ("timeline_v2", TimelineFormat::TwitterV2),
        ("timeline_archive", TimelineFormat::Archive),
        ("timeline_jsonl", TimelineFormat::Jsonl),
        ("timeline_csv", TimelineFormat::Csv),
    ] {
        replay(target, |data| fuzzing::timeline(data, format));
    }
}

#[test]
fn model_file_findings() {
    replay("model_file", fuzzing::model_file);
}

#[test]
fn grpc_request_findings() {
    replay("grpc_request", fuzzing::grpc_request);
}
