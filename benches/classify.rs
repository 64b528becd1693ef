//! In-process classification with the embedded default model: one tweet, and
//! every held-out tweet.
//!
//! Run with `cargo bench --bench classify`.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tweetguide::corpus::{LabelledTweet, Lang, MAX_TEXT_CHARS, Rules, read_jsonl};
use tweetguide::model::{DEFAULT_TOP_FEATURES, Model, ScoreScratch};

fn held_out() -> Vec<LabelledTweet> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data/test.jsonl");
    read_jsonl(&path, Rules::CORPUS).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The held-out tweet of median length in a language.
fn typical(tweets: &[LabelledTweet], lang: Lang) -> &str {
    let mut texts: Vec<&str> = tweets.iter().filter(|t| t.lang == Some(lang)).map(|t| t.text.as_str()).collect();
    assert!(!texts.is_empty(), "no {lang} tweet in test.jsonl");
    texts.sort_by_key(|t| (t.chars().count(), *t));
    texts[texts.len() / 2]
}

fn bench_classify(c: &mut Criterion) {
    let model = Model::embedded_default().expect("embedded default model");
    let tweets = held_out();
    eprintln!("model {} ({} features), {} held-out tweets", model.id(), model.vocabulary_size(), tweets.len());

    let long: String = tweets.iter().cycle().flat_map(|t| t.text.chars().chain(['\n'])).take(MAX_TEXT_CHARS).collect();
    let singles = [
        ("typical_fr".to_owned(), typical(&tweets, Lang::Fr).to_owned()),
        ("typical_en".to_owned(), typical(&tweets, Lang::En).to_owned()),
        ("long_mixed_25000_chars".to_owned(), long),
    ];

    let mut group = c.benchmark_group("classify_one");
    group.throughput(Throughput::Elements(1));
    for (name, text) in &singles {
        let mut scratch = ScoreScratch::default();
        group.bench_with_input(BenchmarkId::new("predict_with_top5", name), text, |b, text| {
            b.iter(|| model.predict_with(black_box(text), &mut scratch, DEFAULT_TOP_FEATURES))
        });
        group.bench_with_input(BenchmarkId::new("label_with", name), text, |b, text| {
            b.iter(|| model.label_with(black_box(text), &mut scratch))
        });
    }
    // `Model::predict` allocates its scratch each call.
    let (name, text) = &singles[1];
    group.bench_with_input(BenchmarkId::new("predict_fresh_scratch", name), text, |b, text| {
        b.iter(|| model.predict(black_box(text)))
    });
    group.finish();

    let mut group = c.benchmark_group("classify_held_out");
    group.throughput(Throughput::Elements(tweets.len() as u64));
    let batch = format!("{}_tweets", tweets.len());
    let mut scratch = ScoreScratch::default();
    group.bench_function(BenchmarkId::new("predict_with_top5", &batch), |b| {
        b.iter(|| {
            for t in &tweets {
                black_box(model.predict_with(black_box(&t.text), &mut scratch, DEFAULT_TOP_FEATURES));
            }
        })
    });
    group.bench_function(BenchmarkId::new("label_with", &batch), |b| {
        b.iter(|| {
            for t in &tweets {
                black_box(model.label_with(black_box(&t.text), &mut scratch));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_classify);
criterion_main!(benches);
