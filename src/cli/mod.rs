//! Command definitions (clap) and their dispatch.

mod admin;
mod classify;
mod health;
mod loadtest;
mod offline;
mod score;
mod serve;
mod tls;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Checks a business Twitter/X account against five guidelines, with a
/// bilingual naive-Bayes tweet classifier.
#[derive(Debug, Parser)]
#[command(name = "tweetguide", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rebuild the default model (hand-written corpus, real tweets) and print its held-out figures.
    Train(offline::TrainArgs),
    /// A model's figures on both held-out sets, or on a labelled JSONL file.
    Evaluate(offline::EvaluateArgs),
    /// Classify tweets: arguments, a file, or stdin; in-process or through servers.
    Classify(classify::ClassifyArgs),
    /// Run the gRPC server.
    Serve(serve::ServeArgs),
    /// Audit accounts against the five guidelines, through a server.
    Score(score::ScoreArgs),
    /// Labelled examples on a server (needs the admin token).
    #[command(subcommand)]
    Examples(admin::ExamplesCommand),
    /// Retrain the server's model: add the stored examples to its base model's counts.
    Retrain(admin::RetrainArgs),
    /// The server's model versions (needs the admin token).
    #[command(subcommand)]
    Models(admin::ModelsCommand),
    /// Load a server with concurrent closed-loop callers and report throughput and latency.
    Loadtest(loadtest::LoadtestArgs),
    /// Ask a server whether it is serving (grpc.health.v1); exit 0 if so, 1 if not.
    Health(health::HealthArgs),
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour).init();
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Train(args) => offline::train(args),
        Command::Evaluate(args) => offline::evaluate(args),
        Command::Classify(args) => classify::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Score(args) => score::run(args),
        Command::Examples(command) => admin::examples(command),
        Command::Retrain(args) => admin::retrain(args),
        Command::Models(command) => admin::models(command),
        Command::Loadtest(args) => loadtest::run(args),
        Command::Health(args) => health::run(args),
    }
}

/// The model given with `--model`, or the default one built into the binary.
pub(crate) fn load_model(path: Option<&PathBuf>) -> anyhow::Result<tweetguide::model::Model> {
    use anyhow::Context;
    match path {
        Some(path) => {
            tweetguide::model::Model::load(path).with_context(|| format!("cannot load model {}", path.display()))
        }
        None => tweetguide::model::Model::embedded_default()
            .context("the built-in default model is unreadable; run `tweetguide train`"),
    }
}

/// The error and its causes on one line, each said once: a cause whose
/// message its parent already carries (a path, an OS error, tonic's
/// "transport error" layers) is not repeated.
pub(crate) fn report(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if message.is_empty() || text.contains(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    text
}
