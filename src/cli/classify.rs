//! `tweetguide classify`: in-process with a model file, or through one or
//! more servers with `--addr`. Both print the same JSON lines.

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tweetguide::client::input::{InputFormat, TweetReader};
use tweetguide::client::{self, AtomicFile, BatchOptions, Client, PredictionRecord};
use tweetguide::model::{self, ScoreScratch};
use tweetguide::proto::v1::Tweet;

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Texts to classify. With none and no `--input`, one tweet per line is
    /// read from stdin.
    texts: Vec<String>,
    /// Classify through these servers instead of in-process (repeat the flag
    /// to spread a batch over several servers).
    #[arg(long = "addr", value_name = "URL")]
    addrs: Vec<String>,
    #[command(flatten)]
    tls: super::tls::ClientTlsArgs,
    /// File of tweets to classify (`-` for stdin); predictions are written as
    /// JSON lines, in input order.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Layout of `--input`.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    input_format: InputFormat,
    /// Where to write predictions (default: stdout).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Model file for in-process classification; the built-in model when absent.
    #[arg(long, conflicts_with = "addrs")]
    model: Option<PathBuf>,
    /// One JSON object per line instead of a readable line.
    #[arg(long)]
    json: bool,
    /// Only the label, one per line: the cheapest output, for bulk labelling.
    #[arg(long, conflicts_with = "json")]
    labels: bool,
    /// How many top features to show per prediction.
    #[arg(long, default_value_t = model::DEFAULT_TOP_FEATURES as u32)]
    top: u32,
    /// Tweets per stream message when classifying a file through servers.
    #[arg(long, default_value_t = 1000)]
    chunk_size: usize,
    /// With `--addr`: how long a server may take to answer a call, or a chunk
    /// of a file once sent (connecting takes at most 10 s of it), e.g. `500ms`,
    /// `30s`, `5m`.
    #[arg(long, default_value = "30s", value_parser = super::serve::parse_duration)]
    timeout: std::time::Duration,
    /// With several `--addr`: go on when they serve different model versions
    /// (each JSON line names its own); without it such a batch is refused.
    /// Not with `--labels`, which could not say which model gave each label.
    #[arg(long, conflicts_with = "labels")]
    allow_mixed_versions: bool,
}

/// Where predictions go: stdout as they come, or a file that replaces the
/// previous one only once every prediction is written, so that a run that
/// fails keeps the last good output.
enum Output {
    Stdout(BufWriter<io::Stdout>),
    File { path: PathBuf, file: AtomicFile },
}

impl Output {
    fn open(path: Option<&PathBuf>) -> anyhow::Result<Output> {
        Ok(match path {
            Some(path) => Output::File {
                path: path.clone(),
                file: AtomicFile::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            },
            None => Output::Stdout(BufWriter::new(io::stdout())),
        })
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Output::Stdout(mut out) => Ok(out.flush()?),
            Output::File { path, file } => file.commit().with_context(|| format!("cannot write {}", path.display())),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::File { file, .. } => file.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.write_all(buf),
            Output::File { file, .. } => file.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::File { file, .. } => file.flush(),
        }
    }
}

/// How each prediction is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Human,
    Json,
    Label,
}

impl ClassifyArgs {
    fn style(&self, file_output: bool) -> Style {
        match (self.labels, self.json || file_output) {
            (true, _) => Style::Label,
            (false, true) => Style::Json,
            (false, false) => Style::Human,
        }
    }
}

fn write_record(out: &mut dyn Write, record: &PredictionRecord, style: Style) -> io::Result<()> {
    if style == Style::Label {
        out.write_all(record.label.as_str().as_bytes())?;
        return out.write_all(b"\n");
    }
    if style == Style::Json {
        serde_json::to_writer(&mut *out, record)?;
        out.write_all(b"\n")
    } else {
        writeln!(out, "{}", record.to_human_line())
    }
}

/// A progress bar on stderr, only when a person is watching.
pub(crate) fn progress_bar(what: &str) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} {msg} ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    if !args.texts.is_empty() && args.input.is_some() {
        bail!("give texts or --input, not both");
    }
    if args.addrs.is_empty() { local(args) } else { remote(args) }
}

fn local(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let model = super::load_model(args.model.as_ref())?;
    // The input is opened before the output is created: a missing input must
    // not cost the previous output anything.
    let reader = args.input.as_ref().map(|path| TweetReader::open(path, args.input_format)).transpose()?;
    let mut scratch = ScoreScratch::default();
    let mut out = Output::open(args.output.as_ref())?;
    let top = args.top as usize;
    let style = args.style(args.input.is_some());
    let emit = |id: Option<String>, text: &str, out: &mut dyn Write, scratch: &mut ScoreScratch| {
        if style == Style::Label {
            out.write_all(model.label_with(text, scratch).as_str().as_bytes())?;
            return out.write_all(b"\n");
        }
        let prediction = model.predict_with(text, scratch, top);
        write_record(out, &PredictionRecord::from_local(id, &prediction, model.id()), style)
    };
    if let Some(reader) = reader {
        let bar = progress_bar("tweets classified");
        for tweet in reader {
            let tweet = tweet?;
            emit(Some(tweet.id), &tweet.text, &mut out, &mut scratch)?;
            bar.inc(1);
        }
        bar.finish_and_clear();
    } else if !args.texts.is_empty() {
        for text in &args.texts {
            emit(None, text, &mut out, &mut scratch)?;
        }
    } else {
        // Streams stdin: one line in, one prediction out, in constant memory.
        let mut input = io::stdin().lock();
        let mut line = String::new();
        while input.read_line(&mut line).context("cannot read stdin")? > 0 {
            emit(None, line.trim_end_matches(['\n', '\r']), &mut out, &mut scratch)?;
            line.clear();
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn remote(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let reader = if args.texts.is_empty() {
            Some(TweetReader::open(args.input.as_deref().unwrap_or(Path::new("-")), args.input_format)?)
        } else {
            None
        };
        let mut clients = Vec::with_capacity(args.addrs.len());
        for addr in &args.addrs {
            clients.push(Client::connect_within(addr, args.tls.config(addr)?.as_ref(), args.timeout).await?);
        }
        let mut out = Output::open(args.output.as_ref())?;
        if let Some(reader) = reader {
            let bar = progress_bar("tweets classified");
            let options = BatchOptions {
                chunk_size: args.chunk_size,
                top_features: Some(args.top),
                allow_mixed_versions: args.allow_mixed_versions,
            };
            let style = args.style(true);
            let count = client::classify_batch(clients, reader, options, |p, version| {
                let record = PredictionRecord::from_remote(p, version, true)
                    .ok_or_else(|| io::Error::other("server sent an unknown label"))?;
                bar.inc(1);
                write_record(&mut out, &record, style)
            })
            .await
            .map_err(|error| {
                let mixed = matches!(error, client::ClientError::MixedVersions { .. });
                let error = anyhow::Error::from(error);
                if mixed {
                    error.context("refusing to mix two model versions in one batch (--allow-mixed-versions accepts it)")
                } else {
                    error
                }
            })?;
            bar.finish_and_clear();
            tracing::debug!(count, "classified through the server");
        } else {
            let tweets = args.texts.iter().map(|t| Tweet { text: t.clone(), ..Default::default() }).collect();
            let response = clients[0].classify(tweets, Some(args.top)).await?;
            for p in response.predictions {
                let record = PredictionRecord::from_remote(p, &response.model_version, false)
                    .context("server sent an unknown label")?;
                write_record(&mut out, &record, args.style(false))?;
            }
        }
        out.finish()?;
        Ok(ExitCode::SUCCESS)
    })
}
