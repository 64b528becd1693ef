//! Commands that work on files and models directly: train, evaluate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use tweetguide::audit::{SimulationOptions, SimulationReport, simulate_source_shift, simulate_timelines};
use tweetguide::corpus::real::{RealCorpus, RealTweet};
use tweetguide::corpus::{self, DefaultCorpus, LabelledTweet, Lang, Rules};
use tweetguide::model::{CalibrationFigures, Metrics, Model, Priors, Recipe};

/// Where the real labelled tweets are: the labels in the repository, the
/// texts in the shared data set beside it.
#[derive(Debug, Args)]
pub struct RealTweetsArgs {
    /// The real labelled tweets: ids, labels and splits.
    #[arg(long, default_value = "training-data/real/labels.jsonl")]
    real_labels: PathBuf,
    /// Folder of the real tweets' texts (the shared data set the labels point into).
    #[arg(long, default_value = "../shared/data/real-tweets")]
    real_tweets: PathBuf,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Folder of the hand-written corpus: `train.jsonl` and `everyday.jsonl`
    /// for training, `test.jsonl` held out.
    #[arg(long, default_value = "training-data")]
    data: PathBuf,
    #[command(flatten)]
    real: RealTweetsArgs,
    /// Train on the hand-written corpus alone (no real tweets, no EM).
    #[arg(long)]
    no_real: bool,
    /// Where to write the model file.
    #[arg(long, default_value = "models/default.model")]
    out: PathBuf,
    /// Print the held-out figures as JSON.
    #[arg(long)]
    json: bool,
    /// Use this additive smoothing: one fit, no cross-validation, so neither
    /// the smoothing nor the class priors are tuned.
    #[arg(long)]
    alpha: Option<f64>,
    /// Weight of a hand-written tweet relative to a real one.
    #[arg(long)]
    hand_written_weight: Option<f64>,
    /// Weight of an unlabelled real tweet in EM (0 turns EM off).
    #[arg(long)]
    em_weight: Option<f64>,
    /// Rounds of EM over the unlabelled real tweets.
    #[arg(long)]
    em_iterations: Option<u32>,
    /// Class priors: uniform, or from the training label mix.
    #[arg(long, value_enum)]
    priors: Option<PriorsArg>,
    /// Minimum number of training tweets a feature must appear in.
    #[arg(long)]
    min_df: Option<u32>,
    /// Scale each training tweet to unit length (true or false).
    #[arg(long)]
    length_norm: Option<bool>,
    /// Give every label the same weight in each language among real tweets (true or false).
    #[arg(long)]
    balance_languages: Option<bool>,
    /// Word-prefix features of this many letters (0: none).
    #[arg(long)]
    prefix: Option<u8>,
    /// Tune the class priors by cross-validation (true or false).
    #[arg(long)]
    tune_priors: Option<bool>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PriorsArg {
    Uniform,
    Empirical,
}

impl From<PriorsArg> for Priors {
    fn from(arg: PriorsArg) -> Priors {
        match arg {
            PriorsArg::Uniform => Priors::Uniform,
            PriorsArg::Empirical => Priors::Empirical,
        }
    }
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Labelled JSONL file (`text`, `label`, optional `lang`; other fields
    /// such as `id` or `source` are ignored). Without it: both held-out sets.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Model file; the built-in default model when absent.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Folder holding the hand-written held-out `test.jsonl` (without `--data`).
    #[arg(long, default_value = "training-data")]
    corpus: PathBuf,
    // The real tweets, read only without `--data`.
    #[command(flatten)]
    real: RealTweetsArgs,
    /// The hand-written held-out set only (without `--data`).
    #[arg(long)]
    no_real: bool,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
    /// Timelines of known shares drawn from each set to measure the G4/G5
    /// share estimates (0: none; at most 1,000,000).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    timelines: u32,
    /// Seed of that draw: the same seed draws the same timelines.
    #[arg(long, default_value_t = SimulationOptions::default().seed)]
    seed: u64,
}

/// Says what is missing and what to do when the real tweets' texts are not there.
fn check_real_texts(labels: &Path, texts: &Path) -> anyhow::Result<()> {
    if !texts.is_dir() {
        bail!(
            "{} is not a folder: the real labelled tweets are ids in {}, and their texts live in the shared \
             data set (../shared/data/real-tweets beside the repository). Pass --real-tweets DIR, or --no-real \
             to train on the hand-written corpus alone",
            texts.display(),
            labels.display()
        );
    }
    Ok(())
}

/// The real corpus, or a message that says what is missing and what to do.
fn load_real(labels: &Path, texts: &Path) -> anyhow::Result<RealCorpus> {
    check_real_texts(labels, texts)?;
    RealCorpus::load(labels, texts)
        .with_context(|| format!("cannot join {} with {}", labels.display(), texts.display()))
}

pub fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    if !args.no_real {
        check_real_texts(&args.real.real_labels, &args.real.real_tweets)?;
    }
    let real = (!args.no_real).then_some((args.real.real_labels.as_path(), args.real.real_tweets.as_path()));
    let corpus = DefaultCorpus::load(&args.data, real)?;
    // Each flag given replaces the default recipe's value.
    let defaults = Recipe::default();
    let recipe = Recipe {
        alphas: args.alpha.map_or(defaults.alphas, |alpha| vec![alpha]),
        hand_written_weight: args.hand_written_weight.unwrap_or(defaults.hand_written_weight),
        em_weight: args.em_weight.unwrap_or(defaults.em_weight),
        em_iterations: args.em_iterations.unwrap_or(defaults.em_iterations),
        priors: args.priors.map_or(defaults.priors, Priors::from),
        min_df: args.min_df.unwrap_or(defaults.min_df),
        length_norm: args.length_norm.unwrap_or(defaults.length_norm),
        balance_languages: args.balance_languages.unwrap_or(defaults.balance_languages),
        prefix: args.prefix.unwrap_or(defaults.prefix),
        tune_priors: args.tune_priors.unwrap_or(defaults.tune_priors),
    };
    let started = Instant::now();
    let model = recipe.train_corpus(&corpus)?;
    let elapsed = started.elapsed();
    model.save(&args.out)?;
    let real_test = corpus.real.as_ref().map(|r| RealCorpus::tweets(&r.test)).unwrap_or_default();
    let sets =
        [("hand-written held-out", corpus.hand_written_test.as_slice()), ("real held-out", real_test.as_slice())];
    let report = EvaluationReport::new(&model, &sets, SimulationOptions::default());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        let info = model.info();
        let real_train = corpus.real.as_ref().map_or(0, |r| r.train.len());
        println!(
            "trained model {} on {} labelled tweets ({} hand-written at weight {}, {} real) and {} unlabelled \
             (EM weight {}) in {:.2}s: alpha {}, {} features; wrote {}\n",
            model.id(),
            info.training.examples,
            corpus.hand_written.len(),
            recipe.hand_written_weight,
            real_train,
            info.training.unlabelled,
            info.training.em_weight,
            elapsed.as_secs_f64(),
            info.training.alpha,
            info.training.vocabulary_size,
            args.out.display()
        );
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn evaluate(args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let model = super::load_model(args.model.as_ref())?;
    let simulation = SimulationOptions { timelines: args.timelines as usize, seed: args.seed };
    let report = match &args.data {
        Some(path) => {
            let tweets = corpus::read_jsonl(path, Rules::EVALUATION)?;
            if tweets.is_empty() {
                bail!("{} holds no labelled tweet", path.display());
            }
            EvaluationReport::new(&model, &[(&path.display().to_string(), &tweets)], simulation)
        }
        None => {
            let hand_written =
                corpus::read_jsonl(&args.corpus.join(corpus::HAND_WRITTEN_HELD_OUT_FILE), Rules::CORPUS)?;
            let real = if args.no_real {
                Vec::new()
            } else if !args.real.real_tweets.is_dir() {
                eprintln!(
                    "note: {} is not a folder, so the real held-out split is skipped: its texts live in the \
                     shared data set (../shared/data/real-tweets beside the repository); pass --real-tweets DIR",
                    args.real.real_tweets.display()
                );
                Vec::new()
            } else {
                load_real(&args.real.real_labels, &args.real.real_tweets)?.test
            };
            let real_test = RealCorpus::tweets(&real);
            EvaluationReport::new(
                &model,
                &[("hand-written held-out", &hand_written), ("real held-out", &real_test)],
                simulation,
            )
            .with_sources(&model, &real, simulation)
        }
    };
    if args.json {
        // One file: its figures alone, as one object; both held-out sets: an
        // object keyed by set name.
        let json = report.to_json();
        let json = match (&args.data, json) {
            (Some(_), serde_json::Value::Object(sets)) => {
                sets.into_iter().next().map_or(serde_json::Value::Null, |(_, v)| v)
            }
            (_, json) => json,
        };
        println!("{}", serde_json::to_string(&json)?);
    } else {
        println!("model {}\n", model.id());
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// Sources of the real held-out split kept apart from the rates in the
/// source-shift simulation.
const SOURCES_LEFT_OUT: usize = 3;

/// A model's figures on one named set.
struct SetFigures {
    name: String,
    all: Metrics,
    by_lang: BTreeMap<Lang, Metrics>,
    calibration: CalibrationFigures,
    /// Simulated timelines drawn from the set (when it has every label).
    shares: Option<SimulationReport>,
}

/// A model's figures on named sets, overall and per language.
struct EvaluationReport {
    sets: Vec<SetFigures>,
    /// Share estimates on timelines drawn from one source of the real
    /// held-out split at a time: the closest this data gets to accounts
    /// written by one author.
    by_source: Vec<(String, SimulationReport)>,
    /// Share estimates whose rates are measured on some sources of the real
    /// held-out split and the timelines drawn from the others.
    source_shift: Option<SimulationReport>,
    /// Sources of the real held-out split.
    sources: usize,
}

impl EvaluationReport {
    fn new(model: &Model, sets: &[(&str, &[LabelledTweet])], simulation: SimulationOptions) -> EvaluationReport {
        let sets = sets
            .iter()
            .filter(|(_, tweets)| !tweets.is_empty())
            .map(|(name, tweets)| {
                let by_lang = [Lang::Fr, Lang::En]
                    .into_iter()
                    .filter_map(|lang| {
                        let of_lang: Vec<&LabelledTweet> = tweets.iter().filter(|t| t.lang == Some(lang)).collect();
                        (!of_lang.is_empty()).then(|| (lang, model.evaluate(of_lang)))
                    })
                    .collect();
                SetFigures {
                    name: (*name).to_owned(),
                    all: model.evaluate(tweets.iter()),
                    by_lang,
                    calibration: model.calibration_on(tweets.iter()),
                    shares: (simulation.timelines > 0).then(|| simulate_timelines(model, tweets, simulation)).flatten(),
                }
            })
            .collect();
        EvaluationReport { sets, by_source: Vec::new(), source_shift: None, sources: 0 }
    }

    /// Adds the per-source simulation of `real` (the real held-out split).
    fn with_sources(mut self, model: &Model, real: &[RealTweet], simulation: SimulationOptions) -> EvaluationReport {
        if simulation.timelines == 0 {
            return self;
        }
        let mut sources: BTreeMap<&str, Vec<LabelledTweet>> = BTreeMap::new();
        for tweet in real {
            sources.entry(tweet.label.source()).or_default().push(tweet.tweet.clone());
        }
        let per_source = SimulationOptions { timelines: simulation.timelines / 4, ..simulation };
        self.by_source = sources
            .iter()
            .filter_map(|(source, tweets)| {
                simulate_timelines(model, tweets, per_source).map(|report| ((*source).to_owned(), report))
            })
            .collect();
        let sources: Vec<(String, Vec<LabelledTweet>)> =
            sources.into_iter().map(|(source, tweets)| (source.to_owned(), tweets)).collect();
        let per_split = SimulationOptions { timelines: simulation.timelines / 10, ..simulation };
        self.sources = sources.len();
        self.source_shift = simulate_source_shift(model, &sources, SOURCES_LEFT_OUT, per_split);
        self
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        for SetFigures { name, all, by_lang, calibration: c, shares } in &self.sets {
            out.push_str(&format!("{name}:\n{}\n", all.to_table()));
            for (lang, metrics) in by_lang {
                out.push_str(&format!(
                    "  {lang}: {} tweets, accuracy {:.4}, macro-F1 {:.4}\n",
                    metrics.count, metrics.accuracy, metrics.macro_f1
                ));
            }
            out.push_str(&format!(
                "\n  probabilities: ECE (10 bins) {:.4} calibrated, {:.4} raw; log-loss {:.4} calibrated, {:.4} raw\n",
                c.ece, c.ece_raw, c.log_loss, c.log_loss_raw
            ));
            if let Some(shares) = shares {
                out.push_str(&format!(
                    "\n  G4/G5 shares on {} simulated timelines drawn from this set (seed {}):\n",
                    shares.all.timelines, shares.seed
                ));
                for line in shares.to_table().lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            out.push('\n');
        }
        if !self.by_source.is_empty() {
            out.push_str("G4/G5 shares on timelines drawn from one source of the real held-out split at a time:\n");
            out.push_str(
                "  source               timelines  MAE counted  MAE PACC  MAE audit  90% coverage  verdicts right (counted)\n",
            );
            for (source, report) in &self.by_source {
                let f = report.all;
                out.push_str(&format!(
                    "  {source:<20} {:>9}  {:>11.4}  {:>8.4}  {:>9.4}  {:>12.3}  {:>14.3} ({:.3})\n",
                    f.timelines,
                    f.mae_counted,
                    f.mae_probabilistic_adjusted,
                    f.mae,
                    f.coverage,
                    f.verdicts_right,
                    f.verdicts_right_counted
                ));
            }
            out.push('\n');
        }
        if let Some(shift) = &self.source_shift {
            out.push_str(&format!(
                "G4/G5 shares when the rates are measured on the real held-out tweets of {} sources and the \
                 timelines drawn from the other {SOURCES_LEFT_OUT}'s (every such split, pooled):\n",
                self.sources - SOURCES_LEFT_OUT
            ));
            for line in shift.to_table().lines() {
                out.push_str(&format!("  {line}\n"));
            }
            out.push('\n');
        }
        out
    }

    fn to_json(&self) -> serde_json::Value {
        let sets: serde_json::Map<String, serde_json::Value> = self
            .sets
            .iter()
            .map(|set| {
                let mut value = serde_json::json!(set.all);
                value["by_language"] = serde_json::json!(set.by_lang);
                value["calibration"] = serde_json::json!(set.calibration);
                value["shares"] = serde_json::json!(set.shares);
                (set.name.clone(), value)
            })
            .collect();
        let mut json = serde_json::Value::Object(sets);
        if let Some(shift) = &self.source_shift {
            json["shares under source shift"] = serde_json::json!(shift);
        }
        if !self.by_source.is_empty() {
            json["shares by real source"] =
                serde_json::json!(self.by_source.iter().cloned().collect::<BTreeMap<_, _>>());
        }
        json
    }
}
