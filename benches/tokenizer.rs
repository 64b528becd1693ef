//! Feature extraction throughput on real held-out tweets (short, typical and
//! 25,000-character texts, French and English).
//!
//! Run with `cargo bench --bench tokenizer`.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tweetguide::corpus::{LabelledTweet, Lang, MAX_TEXT_CHARS, Rules, read_jsonl};
use tweetguide::text::{Scratch, Tokenizer};

fn held_out() -> Vec<LabelledTweet> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data/test.jsonl");
    read_jsonl(&path, Rules::CORPUS).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Short (10th percentile by length), typical (median) and long (held-out
/// tweets of the language joined up to exactly `MAX_TEXT_CHARS` characters).
fn samples(tweets: &[LabelledTweet], lang: Lang) -> Vec<(String, String)> {
    let mut texts: Vec<&str> = tweets.iter().filter(|t| t.lang == Some(lang)).map(|t| t.text.as_str()).collect();
    assert!(!texts.is_empty(), "no {lang} tweet in test.jsonl");
    texts.sort_by_key(|t| (t.chars().count(), *t));
    let short = texts[texts.len() / 10].to_owned();
    let typical = texts[texts.len() / 2].to_owned();
    let long: String = texts.iter().cycle().flat_map(|t| t.chars().chain(['\n'])).take(MAX_TEXT_CHARS).collect();
    vec![(format!("short_{lang}"), short), (format!("typical_{lang}"), typical), (format!("long_{lang}"), long)]
}

fn count_features(tokenizer: &Tokenizer, text: &str, scratch: &mut Scratch) -> usize {
    let mut n = 0usize;
    tokenizer.for_each_feature(text, scratch, |f| {
        black_box(f);
        n += 1;
    });
    n
}

fn bench_tokenizer(c: &mut Criterion) {
    let tweets = held_out();
    let tokenizer = Tokenizer::default();
    let cases: Vec<(String, String)> = [Lang::Fr, Lang::En].into_iter().flat_map(|l| samples(&tweets, l)).collect();

    let mut group = c.benchmark_group("tokenizer");
    for (name, text) in &cases {
        let mut scratch = Scratch::default();
        let features = count_features(&tokenizer, text, &mut scratch);
        eprintln!("{name}: {} chars, {} bytes, {features} features", text.chars().count(), text.len());
        group.throughput(Throughput::Bytes(text.len() as u64));
        // Warm scratch: the steady state of a server or a training loop.
        group.bench_with_input(BenchmarkId::new("for_each_feature", name), text, |b, text| {
            b.iter(|| count_features(&tokenizer, black_box(text), &mut scratch))
        });
    }
    // Cold scratch: what a one-off call pays for its buffers.
    for (name, text) in cases.iter().filter(|(name, _)| name.starts_with("typical")) {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("for_each_feature_fresh_scratch", name), text, |b, text| {
            b.iter(|| count_features(&tokenizer, black_box(text), &mut Scratch::default()))
        });
    }
    group.finish();

    // Every held-out tweet once, as in an evaluation pass.
    let mut group = c.benchmark_group("tokenizer_held_out");
    group.throughput(Throughput::Elements(tweets.len() as u64));
    let mut scratch = Scratch::default();
    group.bench_function(BenchmarkId::new("for_each_feature", format!("{}_tweets", tweets.len())), |b| {
        b.iter(|| tweets.iter().map(|t| count_features(&tokenizer, black_box(&t.text), &mut scratch)).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, bench_tokenizer);
criterion_main!(benches);
