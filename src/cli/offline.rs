//! Commands that work on files and models directly: train, evaluate.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use tweetguide::corpus::{self, Rules};
use tweetguide::model::{self, TrainParams};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Folder holding `train.jsonl` and the held-out `test.jsonl`.
    #[arg(long, default_value = "training-data")]
    data: PathBuf,
    /// Where to write the model file.
    #[arg(long, default_value = "models/default.model")]
    out: PathBuf,
    /// Print the held-out figures as JSON.
    #[arg(long)]
    json: bool,
    /// Use this additive smoothing instead of choosing it by cross-validation
    /// (one fit instead of six: for quick experiments and benchmarks).
    #[arg(long)]
    alpha: Option<f64>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Labelled JSONL file (`text`, `label`, optional `lang`).
    #[arg(long)]
    data: PathBuf,
    /// Model file; the built-in default model when absent.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let train_path = args.data.join("train.jsonl");
    let test_path = args.data.join("test.jsonl");
    let train = corpus::read_jsonl(&train_path, Rules::CORPUS)?;
    let held_out = corpus::read_jsonl(&test_path, Rules::CORPUS)?;
    let mut params = TrainParams::default();
    if let Some(alpha) = args.alpha {
        params = params.alphas(vec![alpha]);
    }
    let params = params.check()?;
    let started = Instant::now();
    let model = model::train(&train, &held_out, &params)?;
    let elapsed = started.elapsed();
    model.save(&args.out)?;
    let info = model.info();
    let metrics = info.held_out.as_ref().context("held-out metrics missing")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(metrics)?);
    } else {
        println!(
            "trained model {} on {} tweets in {:.2}s (alpha {}, {} features); wrote {}\n",
            model.id(),
            train.len(),
            elapsed.as_secs_f64(),
            info.training.alpha,
            info.training.vocabulary_size,
            args.out.display()
        );
        println!("held-out figures ({}):\n{}", test_path.display(), metrics.to_table());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn evaluate(args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let model = super::load_model(args.model.as_ref())?;
    let tweets = corpus::read_jsonl(&args.data, Rules::EXAMPLES)?;
    if tweets.is_empty() {
        bail!("{} holds no labelled tweet", args.data.display());
    }
    let metrics = model.evaluate(&tweets);
    if args.json {
        println!("{}", serde_json::to_string(&metrics)?);
    } else {
        println!("model {} on {}:\n{}", model.id(), args.data.display(), metrics.to_table());
    }
    Ok(ExitCode::SUCCESS)
}
