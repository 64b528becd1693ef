//! Training cost: one fit on the committed corpus, one fit on a 100,000-tweet
//! corpus resampled from it, the default cross-validated training, and a
//! retrain that adds 1,000 examples to a fitted model's statistics.
//!
//! Run with `cargo bench --bench train` (about a minute on two cores). The
//! 100,000-tweet fit only runs when the environment has
//! `TWEETGUIDE_BENCH_LARGE=1`:
//! `TWEETGUIDE_BENCH_LARGE=1 cargo bench --bench train -- resampled`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tweetguide::corpus::{LabelledTweet, Rules, read_jsonl};
use tweetguide::model::{HeldOut, Model, TrainParams, TrainingData, ValidTrainParams, train};

const RESAMPLED_SIZE: usize = 100_000;
const LARGE_ENV: &str = "TWEETGUIDE_BENCH_LARGE";

fn data(name: &str) -> Vec<LabelledTweet> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data").join(name);
    read_jsonl(&path, Rules::CORPUS).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[path = "../tests/common/rng.rs"]
mod rng;
use rng::SplitMix64;

/// `size` tweets drawn from `tweets` with replacement, in memory (duplicates
/// are fine: only `read_jsonl` refuses them).
fn resample(tweets: &[LabelledTweet], size: usize, seed: u64) -> Vec<LabelledTweet> {
    let mut rng = SplitMix64(seed);
    (0..size).map(|_| tweets[rng.below(tweets.len())].clone()).collect()
}

fn fit(tweets: &[LabelledTweet], held_out: &[LabelledTweet], params: &ValidTrainParams) -> Model {
    let held_out = HeldOut { hand_written: held_out, real: &[] };
    train(&TrainingData::single("bench", tweets), held_out, params).expect("training")
}

fn bench_train(c: &mut Criterion) {
    let committed = data("train.jsonl");
    let held_out = data("test.jsonl");
    let single = TrainParams::default().alphas(vec![0.3]).check().expect("valid params");
    let cross_validated = TrainParams::default().check().expect("valid params");
    let large = std::env::var(LARGE_ENV).is_ok_and(|v| v == "1");
    let resampled = if large { resample(&committed, RESAMPLED_SIZE, 0x7EE7_6D1D) } else { Vec::new() };

    let mut group = c.benchmark_group("train_single_fit");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(committed.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("alpha_0.3", format!("committed_{}", committed.len())),
        &committed,
        |b, corpus| b.iter(|| fit(black_box(corpus), &held_out, &single)),
    );
    if large {
        // Ten iterations are the least Criterion takes; ask for no more.
        group.measurement_time(Duration::from_secs(60));
        group.throughput(Throughput::Elements(resampled.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("alpha_0.3", format!("resampled_{}", resampled.len())),
            &resampled,
            |b, corpus| b.iter(|| fit(black_box(corpus), &held_out, &single)),
        );
    } else {
        eprintln!("skipping train_single_fit/alpha_0.3/resampled_{RESAMPLED_SIZE}: set {LARGE_ENV}=1 to run it");
    }
    group.finish();

    let mut group = c.benchmark_group("train_cross_validated");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(committed.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("default_8_alphas_5_folds", format!("committed_{}", committed.len())),
        &committed,
        |b, corpus| b.iter(|| fit(black_box(corpus), &held_out, &cross_validated)),
    );
    group.finish();

    // A retrain adds the stored examples to the statistics a model carries:
    // its cost follows the number of examples, not the corpus behind the model.
    let (base_tweets, examples) = committed.split_at(committed.len() - 1_000);
    let base = fit(base_tweets, &held_out, &single);
    let mut group = c.benchmark_group("retrain_from_statistics");
    group.sample_size(10).warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(examples.len() as u64));
    group.bench_function(BenchmarkId::new("add_examples", examples.len()), |b| {
        b.iter(|| {
            base.with_examples(black_box(examples), HeldOut { hand_written: &held_out, real: &[] }).expect("retrain")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_train);
criterion_main!(benches);
