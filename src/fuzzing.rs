//! Entry points shared by the fuzz targets in `fuzz/` and by the tests that
//! replay what they found (`tests/fuzz_regressions.rs`).
//!
//! Each function feeds arbitrary bytes to one parser the service exposes to
//! the outside world and panics if an invariant breaks, which is how
//! libFuzzer learns about a bug. Not part of the stable API.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::Label;
use crate::audit::{AuditOptions, Report, audit};
use crate::client::timeline::{TimelineFormat, parse_timeline};
use crate::corpus::Lang;
use crate::model::{Model, Prediction};
use crate::text::{Tokenizer, TokenizerSettings};

pub use crate::server::fuzz_request as grpc_request;

/// The committed default model, loaded once per process.
pub(crate) fn default_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::embedded_default().expect("the embedded default model loads"))
}

/// Probabilities are finite, within [0, 1], sum to 1, and the label is the most probable.
pub(crate) fn check_prediction(prediction: &Prediction) {
    let p = prediction.probabilities;
    assert!(p.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)), "bad probabilities {p:?}");
    let sum: f64 = p.iter().sum();
    assert!((sum - 1.0).abs() < 1e-9, "probabilities {p:?} sum to {sum}");
    let best = p[prediction.label.index()];
    assert!(p.iter().all(|v| *v <= best), "label {:?} is not the most probable in {p:?}", prediction.label);
    assert!(prediction.top_features.iter().all(|f| f.weight.is_finite()), "non-finite top feature weight");
}

/// Label counts match the tweet count and shares add up to 1.
pub(crate) fn check_report(report: &Report, tweets: usize) {
    let stats = &report.stats;
    assert_eq!(stats.tweets as usize, tweets);
    assert_eq!(report.tweets.len(), tweets);
    assert_eq!(stats.by_label.values().sum::<u64>(), stats.tweets);
    assert_eq!(stats.by_kind.values().sum::<u64>(), stats.tweets);
    for shares in
        [stats.label_shares.values().copied().collect::<Vec<_>>(), stats.kind_shares.values().copied().collect()]
    {
        assert!(shares.iter().all(|s| s.is_finite() && (0.0..=1.0).contains(s)), "bad shares {shares:?}");
        let sum: f64 = shares.iter().sum();
        let expected = if tweets == 0 { 0.0 } else { 1.0 };
        assert!((sum - expected).abs() < 1e-9, "shares {shares:?} sum to {sum}");
    }
    let weekly: u64 = stats.weekly.iter().flat_map(|w| w.by_label.values()).sum();
    assert!(weekly <= stats.tweets - stats.undated, "weekly buckets hold {weekly} tweets");
    assert!(report.overall_score <= 100);
    assert_eq!(report.guidelines.len(), 5);
    assert!(stats.tweets_per_week.is_finite() && stats.tweets_per_week >= 0.0);
}

/// The tokenizer never panics, is deterministic, emits no empty feature, and
/// the default model scores whatever it makes of the text.
pub fn tokenizer(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for bigrams in [true, false] {
        let tokenizer = Tokenizer::new(TokenizerSettings { bigrams, ..TokenizerSettings::default() })
            .expect("this build's own tokenizer settings");
        let features = tokenizer.features(&text);
        assert_eq!(features, tokenizer.features(&text), "the tokenizer is not deterministic");
        assert!(features.iter().all(|f| !f.is_empty()), "empty feature in {features:?}");
    }
    check_prediction(&default_model().predict(&text));
}

/// A fixed evaluation time, so that a finding replays identically.
pub(crate) fn as_of() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_000_000, 0).unwrap_or_default()
}

/// A timeline reader never panics; what it accepts can be audited, and the
/// report's figures add up.
pub fn timeline(data: &[u8], format: TimelineFormat) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(timeline) = parse_timeline(text, format) else { return };
    // Audit only what the server would accept: it caps timelines at 3,200 tweets.
    if timeline.tweets.len() > crate::server::MAX_TIMELINE_TWEETS {
        return;
    }
    for lang in [Lang::En, Lang::Fr] {
        let report = audit(default_model(), &timeline, &AuditOptions::new(as_of(), lang));
        check_report(&report, timeline.tweets.len());
        for tweet in &report.tweets {
            let p: Vec<f64> =
                Label::ALL.iter().map(|l| tweet.probabilities.get(l).copied().unwrap_or(f64::NAN)).collect();
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "tweet probabilities {p:?}");
        }
    }
}

/// The model loader refuses what it cannot use and never panics; a model it
/// accepts scores text into proper probabilities and saves back to the same bytes.
///
/// With an even first byte, the rest is taken as the payload and wrapped in a
/// valid header and checksum, so that the fuzzer reaches the payload decoder
/// instead of stopping at the checksum.
pub fn model_file(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let bytes = if mode % 2 == 0 { seal(rest) } else { rest.to_vec() };
    let Ok(model) = Model::from_bytes(&bytes) else { return };
    for text in
        ["Découvrez notre nouvelle offre -20% #promo", "Great thread by @someone, worth a read https://t.co/x", "Vote!"]
    {
        check_prediction(&model.predict(text));
    }
    let saved = model.to_bytes().expect("an accepted model can be saved");
    let reloaded = Model::from_bytes(&saved).expect("a saved model loads");
    assert_eq!(reloaded.id(), Model::from_bytes(&reloaded.to_bytes().expect("saves twice")).expect("loads twice").id());
}

/// Wraps a payload in the model file's header and checksum.
pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut bytes = b"tweetguide-model\n".to_vec();
    bytes.extend_from_slice(&crate::model::FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes.extend_from_slice(&Sha256::digest(payload));
    bytes
}
