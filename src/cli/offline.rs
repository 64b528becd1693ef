//! Commands that need no server: train, evaluate, classify.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use tweetguide::Label;
use tweetguide::corpus::{self, Rules};
use tweetguide::model::{self, Prediction, ScoreScratch, TrainParams};

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

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Texts to classify; with none, one tweet per line is read from stdin.
    texts: Vec<String>,
    /// Model file; the built-in default model when absent.
    #[arg(long)]
    model: Option<PathBuf>,
    /// One JSON object per line instead of a readable line.
    #[arg(long)]
    json: bool,
    /// How many top features to show per prediction.
    #[arg(long, default_value_t = model::DEFAULT_TOP_FEATURES)]
    top: usize,
}

pub fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let train_path = args.data.join("train.jsonl");
    let test_path = args.data.join("test.jsonl");
    let train = corpus::read_jsonl(&train_path, Rules::CORPUS)?;
    let held_out = corpus::read_jsonl(&test_path, Rules::CORPUS)?;
    let params = TrainParams::default().check()?;
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
        println!(
            "held-out figures ({}):\n{}",
            test_path.display(),
            metrics.to_table()
        );
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
        println!(
            "model {} on {}:\n{}",
            model.id(),
            args.data.display(),
            metrics.to_table()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON line printed for each prediction.
#[derive(Serialize)]
pub(crate) struct PredictionJson<'a> {
    label: Label,
    probabilities: Probabilities,
    top_features: Vec<FeatureJson<'a>>,
}

#[derive(Serialize)]
struct Probabilities {
    self_promotion: f64,
    sharing: f64,
    political: f64,
}

#[derive(Serialize)]
struct FeatureJson<'a> {
    feature: &'a str,
    weight: f64,
}

impl<'a> From<&'a Prediction> for PredictionJson<'a> {
    fn from(p: &'a Prediction) -> Self {
        PredictionJson {
            label: p.label,
            probabilities: Probabilities {
                self_promotion: p.probability(Label::SelfPromotion),
                sharing: p.probability(Label::Sharing),
                political: p.probability(Label::Political),
            },
            top_features: p
                .top_features
                .iter()
                .map(|f| FeatureJson {
                    feature: &f.feature,
                    weight: f.weight,
                })
                .collect(),
        }
    }
}

/// One readable line: label, the three probabilities, the top features.
pub(crate) fn human_line(p: &Prediction) -> String {
    let features: Vec<&str> = p.top_features.iter().map(|f| f.feature.as_str()).collect();
    format!(
        "{:<15} self_promotion {:.3}  sharing {:.3}  political {:.3}  [{}]",
        p.label.as_str(),
        p.probability(Label::SelfPromotion),
        p.probability(Label::Sharing),
        p.probability(Label::Political),
        features.join(", ")
    )
}

fn write_prediction(out: &mut impl Write, p: &Prediction, json: bool) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, &PredictionJson::from(p))?;
        out.write_all(b"\n")?;
    } else {
        writeln!(out, "{}", human_line(p))?;
    }
    Ok(())
}

pub fn classify(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let model = super::load_model(args.model.as_ref())?;
    let mut scratch = ScoreScratch::default();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if !args.texts.is_empty() {
        for text in &args.texts {
            write_prediction(
                &mut out,
                &model.predict_with(text, &mut scratch, args.top),
                args.json,
            )?;
        }
    } else {
        // Streams: one line in, one prediction out, in constant memory.
        let mut input = io::stdin().lock();
        let mut line = String::new();
        loop {
            line.clear();
            if input.read_line(&mut line).context("cannot read stdin")? == 0 {
                break;
            }
            let text = line.trim_end_matches(['\n', '\r']);
            write_prediction(
                &mut out,
                &model.predict_with(text, &mut scratch, args.top),
                args.json,
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
