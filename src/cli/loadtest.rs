//! `tweetguide loadtest`: closed-loop load against a running server.
//!
//! Each caller sends a request, waits for the answer and only then sends the
//! next one. The offered load therefore follows the server's pace: the figures
//! say what throughput N patient clients get and at what latency, which is
//! what capacity planning needs, rather than how a server degrades when
//! flooded past its capacity (an open-loop test's question).
//!
//! Only calls that start after the warmup and finish before the end are
//! counted, so the figures cover exactly `--duration` seconds of steady state;
//! a call still running at the end is cut off and counted nowhere.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use futures_util::future::try_join_all;
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout_at};
use tonic::Streaming;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tweetguide::client::{self, Client, ClientError};
use tweetguide::corpus::MAX_TEXT_CHARS;
use tweetguide::proto::v1::{ClassifyRequest, ClassifyResponse, Tweet};
use tweetguide::server::MAX_TWEETS_PER_MESSAGE;

/// Longest warmup or measured phase, in seconds: a typo such as `--duration
/// 36000` must not tie a machine up for ten hours.
const MAX_SECONDS: f64 = 3600.0;

/// Most concurrent callers: each has its own connection by default, and a
/// thousand sockets is already past what one loopback client can drive.
const MAX_CONCURRENCY: i64 = 1024;

/// Tweets per `classify` call unless `--batch` says otherwise: one tweet per
/// call is the interactive case, where the round trip dominates.
const DEFAULT_CLASSIFY_BATCH: u32 = 1;

/// Tweets per stream chunk unless `--batch` says otherwise: the chunk size
/// `tweetguide classify --addr` uses for files.
const DEFAULT_STREAM_BATCH: u32 = 1000;

/// Texts read from the test set at most: enough variety for a fair mix of
/// lengths and languages, bounded whatever the file's size.
const MAX_POOL: usize = 10_000;

/// Where the pool of texts comes from when the command runs at the root of
/// the repository.
const TEST_SET: &str = "training-data/test.jsonl";

/// Largest latency the histograms hold, in microseconds. No call can last
/// longer than the warmup plus the measured phase; longer values saturate.
const HISTOGRAM_MAX_US: u64 = 2 * 3_600 * 1_000_000;

/// Pause after a failed call. Without it a caller facing a dead server would
/// spin on instant failures, burning CPU and counting millions of errors that
/// say nothing more than the first few.
const ERROR_PAUSE: Duration = Duration::from_millis(10);

/// Texts used when no test set is at hand: French and English tweets of the
/// three categories, short and long, like those the service sees.
const BUILT_IN_TEXTS: &[&str] = &[
    "Nouvelle collection printemps disponible en boutique et sur notre site ! -20% ce week-end avec le code PRINTEMPS",
    "Nous recrutons ! Rejoignez notre équipe de développeurs à Lyon, CDI, télétravail possible. Postulez sur notre site.",
    "Merci à tous pour votre fidélité : nous avons franchi la barre des 10 000 clients ce mois-ci 🎉",
    "Retrouvez-nous au salon VivaTech du 12 au 15 juin, stand B42, pour découvrir notre nouvelle application.",
    "Très bon article de @LesEchos sur la transition énergétique des PME, à lire absolument",
    "Bravo à @boulangerie_martin pour son prix du meilleur croissant de la région, bien mérité !",
    "Une belle initiative de la mairie : des jardins partagés ouverts à tous les habitants du quartier",
    "Cette réforme des retraites est une honte, le gouvernement doit retirer son texte. Tous dans la rue jeudi !",
    "Votez contre ce budget qui sacrifie les services publics et l'hôpital. #grève #manif",
    "La gauche caviar qui nous explique la vie depuis son 200 m² à Paris, vraiment pas envie",
    "Our new espresso machine is here! Order today and get free shipping on all orders over $50.",
    "We're hiring! Join our growing team of engineers in Austin. Competitive salary and full remote options.",
    "Proud to announce we won the 2024 Small Business of the Year award. Thank you to our amazing customers!",
    "Don't miss our webinar next Tuesday at 2pm: how to cut your cloud bill by 40%. Register now, seats are limited.",
    "Great thread by @sarahdev on writing maintainable tests, worth a read for every team",
    "Congrats to our friends at @localbakery on opening their second shop downtown!",
    "This report from the city library on reading habits among teens is fascinating https://example.org/report",
    "Vote them out. This budget is a disgrace and every working family will pay for it.",
    "Minimum wage rise while the central bank is still fighting inflation. Stop fuelling the fire.",
    "Reform is the only party actually talking about cutting tax for people who get up and go to work.",
];

#[derive(Debug, Args)]
pub struct LoadtestArgs {
    /// Server to load (`http://127.0.0.1:50051` or `127.0.0.1:50051`).
    #[arg(long, value_name = "URL")]
    addr: String,
    #[command(flatten)]
    tls: super::tls::ClientTlsArgs,
    /// Call to repeat: `classify` (unary, `--batch` tweets per call),
    /// `stream` (one ClassifyStream per caller, `--batch` tweets per chunk) or
    /// `health` (grpc.health.v1 Check: a round trip that does no work, the floor).
    #[arg(long, value_enum)]
    rpc: Rpc,
    /// Concurrent callers, each waiting for its answer before sending again.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=MAX_CONCURRENCY))]
    concurrency: u32,
    /// Seconds measured, after the warmup (at most 3600).
    #[arg(long, default_value_t = 10.0, value_parser = positive_seconds)]
    duration: f64,
    /// Seconds of load before measuring, to get connections, caches and
    /// thread pools warm (at most 3600; 0 for none).
    #[arg(long, default_value_t = 1.0, value_parser = seconds)]
    warmup: f64,
    /// Tweets per call for `classify` (default 1) or per chunk for `stream`
    /// (default 1000); 1 to 10,000.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_TWEETS_PER_MESSAGE as i64))]
    batch: Option<u32>,
    /// Connections shared by the callers, round-robin (default: one per
    /// caller, so load spreads like independent clients).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_CONCURRENCY))]
    connections: Option<u32>,
    /// Top features per prediction (0 to 20; the server's default when absent).
    #[arg(long)]
    top: Option<u32>,
    /// One JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// The call each caller repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
enum Rpc {
    Classify,
    Stream,
    Health,
}

impl Rpc {
    fn as_str(self) -> &'static str {
        match self {
            Rpc::Classify => "classify",
            Rpc::Stream => "stream",
            Rpc::Health => "health",
        }
    }
}

/// A number of seconds from 0 to [`MAX_SECONDS`].
fn seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text.trim().parse().map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("{text:?} is not a number of seconds"));
    }
    if value > MAX_SECONDS {
        return Err(format!("at most {MAX_SECONDS} seconds"));
    }
    Ok(value)
}

/// Like [`seconds`], but not zero: throughputs are divided by it.
fn positive_seconds(text: &str) -> Result<f64, String> {
    let value = seconds(text)?;
    if value < 0.001 {
        return Err("must be at least 0.001 seconds".to_owned());
    }
    Ok(value)
}

/// When measuring starts and when everything stops.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    measure_from: Instant,
    end: Instant,
}

/// What one caller saw; merged into one at the end.
struct Tally {
    /// Latency of measured successful calls, in microseconds.
    latency: Histogram<u64>,
    calls: u64,
    tweets: u64,
    /// Measured failures by gRPC code (or a name for failures without one).
    errors: BTreeMap<String, u64>,
    /// Failures during the warmup: not part of the figures, but worth a
    /// warning since they usually mean the test is misconfigured.
    warmup_errors: u64,
    progress: ProgressBar,
}

impl Tally {
    fn new(template: &Histogram<u64>, progress: ProgressBar) -> Tally {
        Tally { latency: template.clone(), calls: 0, tweets: 0, errors: BTreeMap::new(), warmup_errors: 0, progress }
    }

    fn success(&mut self, schedule: &Schedule, started: Instant, tweets: u64) {
        if started < schedule.measure_from {
            return;
        }
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        // The histogram's lowest bucket is 1 µs; a loopback call never takes less.
        self.latency.saturating_record(micros.max(1));
        self.calls += 1;
        self.tweets += tweets;
        self.progress.inc(1);
    }

    fn failure(&mut self, schedule: &Schedule, started: Instant, kind: String) {
        if started < schedule.measure_from {
            self.warmup_errors += 1;
        } else {
            *self.errors.entry(kind).or_default() += 1;
        }
    }

    fn merge(&mut self, other: Tally) -> anyhow::Result<()> {
        self.latency.add(&other.latency).context("cannot merge latency histograms")?;
        self.calls += other.calls;
        self.tweets += other.tweets;
        for (kind, count) in other.errors {
            *self.errors.entry(kind).or_default() += count;
        }
        self.warmup_errors += other.warmup_errors;
        Ok(())
    }
}

/// A failure's name in the error counts: the gRPC code when there is one.
fn status_kind(status: &tonic::Status) -> String {
    format!("{:?}", status.code())
}

fn client_error_kind(error: &ClientError) -> String {
    match error {
        ClientError::Status(status) => status_kind(status),
        ClientError::Truncated { .. } => "stream_closed".to_owned(),
        _ => "other".to_owned(),
    }
}

/// A caller's endless supply of tweets: the shared pool, cycled from the
/// caller's own starting point so that callers do not send the same texts in
/// lockstep.
struct Feed {
    pool: Arc<[Tweet]>,
    next: usize,
}

impl Feed {
    fn new(pool: Arc<[Tweet]>, start: usize) -> Feed {
        let next = start % pool.len().max(1);
        Feed { pool, next }
    }

    fn take(&mut self, count: usize) -> Vec<Tweet> {
        let mut tweets = Vec::with_capacity(count);
        while tweets.len() < count {
            let Some(tweet) = self.pool.get(self.next) else {
                // An empty pool: the caller sends empty batches, which the
                // server refuses and the error counts show.
                break;
            };
            tweets.push(tweet.clone());
            self.next = (self.next + 1) % self.pool.len();
        }
        tweets
    }
}

/// The texts to send: the test set's when it is in the current directory,
/// else the built-in ones.
fn tweet_pool() -> Arc<[Tweet]> {
    let path = Path::new(TEST_SET);
    let texts = match read_texts(path) {
        Ok(texts) if !texts.is_empty() => {
            tracing::debug!(count = texts.len(), path = %path.display(), "texts from the test set");
            texts
        }
        Ok(_) => {
            tracing::warn!(path = %path.display(), "no usable text in the test set; using the built-in texts");
            builtin_texts()
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => builtin_texts(),
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "cannot read the test set; using the built-in texts");
            builtin_texts()
        }
    };
    texts.into_iter().enumerate().map(|(i, text)| Tweet { id: format!("t{i}"), text, ..Default::default() }).collect()
}

fn builtin_texts() -> Vec<String> {
    BUILT_IN_TEXTS.iter().map(|&text| text.to_owned()).collect()
}

/// The `text` of each JSON line of `path`, skipping lines that are not JSON
/// objects with a text the server would accept.
fn read_texts(path: &Path) -> io::Result<Vec<String>> {
    let mut texts = Vec::new();
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        let Ok(serde_json::Value::Object(mut record)) = serde_json::from_str(&line) else {
            continue;
        };
        if let Some(serde_json::Value::String(text)) = record.remove("text")
            && !text.trim().is_empty()
            && text.len() <= MAX_TEXT_CHARS
        {
            texts.push(text);
            if texts.len() == MAX_POOL {
                break;
            }
        }
    }
    Ok(texts)
}

/// One kind of call, repeated by a caller. Each call prepares its request,
/// notes when it sends it, and returns that instant with the number of tweets
/// classified or the failure's name, so that preparing the request is left out
/// of the latency.
trait Call {
    fn call(&mut self) -> impl Future<Output = (Instant, Result<u64, String>)> + Send;
}

/// Repeats `call` until the end of the schedule.
async fn closed_loop(schedule: Schedule, mut tally: Tally, mut call: impl Call) -> Tally {
    while Instant::now() < schedule.end {
        match timeout_at(schedule.end, call.call()).await {
            // Cut off at the end: neither a success nor a failure.
            Err(_) => break,
            Ok((started, Ok(tweets))) => tally.success(&schedule, started, tweets),
            Ok((started, Err(kind))) => {
                tally.failure(&schedule, started, kind);
                tokio::time::sleep_until(schedule.end.min(Instant::now() + ERROR_PAUSE)).await;
            }
        }
    }
    tally
}

/// Unary `Classify` with a batch of tweets.
struct ClassifyCall {
    client: Client,
    feed: Feed,
    batch: usize,
    top: Option<u32>,
}

impl Call for ClassifyCall {
    async fn call(&mut self) -> (Instant, Result<u64, String>) {
        let tweets = self.feed.take(self.batch);
        let started = Instant::now();
        let answer = self.client.classify(tweets, self.top).await;
        (started, answer.map(|r| r.predictions.len() as u64).map_err(|e| client_error_kind(&e)))
    }
}

/// `grpc.health.v1.Health/Check` for the whole server (service "").
struct HealthCall {
    client: HealthClient<Channel>,
}

impl Call for HealthCall {
    async fn call(&mut self) -> (Instant, Result<u64, String>) {
        let started = Instant::now();
        let answer = match self.client.check(HealthCheckRequest { service: String::new() }).await {
            Ok(response) if response.get_ref().status == ServingStatus::Serving as i32 => Ok(0),
            Ok(_) => Err("not_serving".to_owned()),
            Err(status) => Err(status_kind(&status)),
        };
        (started, answer)
    }
}

/// One chunk's round trip on the caller's `ClassifyStream`.
struct StreamCall {
    client: Client,
    feed: Feed,
    batch: usize,
    top: Option<u32>,
    open: Option<OpenStream>,
}

impl Call for StreamCall {
    async fn call(&mut self) -> (Instant, Result<u64, String>) {
        // A failed stream is dropped and a new one opened on the next call,
        // so one error does not silence the caller for the rest of the run.
        let mut stream = match self.open.take() {
            Some(stream) => stream,
            None => match OpenStream::open(&mut self.client).await {
                Ok(stream) => stream,
                Err(error) => return (Instant::now(), Err(client_error_kind(&error))),
            },
        };
        let request = ClassifyRequest { tweets: self.feed.take(self.batch), top_features: self.top };
        let started = Instant::now();
        let answer = stream.round_trip(request).await;
        if answer.is_ok() {
            self.open = Some(stream);
        }
        (started, answer)
    }
}

/// What every caller needs; cloned into each.
#[derive(Clone)]
struct CallerSetup {
    rpc: Rpc,
    batch: usize,
    top: Option<u32>,
    schedule: Schedule,
    histogram: Histogram<u64>,
    progress: ProgressBar,
}

async fn caller(setup: CallerSetup, channel: Channel, feed: Feed) -> Tally {
    let CallerSetup { rpc, batch, top, schedule, histogram, progress } = setup;
    let tally = Tally::new(&histogram, progress);
    match rpc {
        Rpc::Classify => {
            let call = ClassifyCall { client: Client::from_channel(channel), feed, batch, top };
            closed_loop(schedule, tally, call).await
        }
        Rpc::Health => closed_loop(schedule, tally, HealthCall { client: HealthClient::new(channel) }).await,
        Rpc::Stream => {
            let call = StreamCall { client: Client::from_channel(channel), feed, batch, top, open: None };
            closed_loop(schedule, tally, call).await
        }
    }
}

/// One `ClassifyStream` with a single chunk in flight: the caller sends the
/// next chunk when the previous answer arrives, so the measured round trip is
/// one chunk's and the queue between caller and stream never holds more than
/// one message.
struct OpenStream {
    requests: mpsc::Sender<ClassifyRequest>,
    answers: Streaming<ClassifyResponse>,
}

impl OpenStream {
    async fn open(client: &mut Client) -> Result<OpenStream, ClientError> {
        let (requests, receiver) = mpsc::channel(1);
        let answers = client.classify_stream(receiver).await?;
        Ok(OpenStream { requests, answers })
    }

    async fn round_trip(&mut self, request: ClassifyRequest) -> Result<u64, String> {
        if self.requests.send(request).await.is_err() {
            return Err("stream_closed".to_owned());
        }
        match self.answers.message().await {
            Ok(Some(response)) => Ok(response.predictions.len() as u64),
            Ok(None) => Err("stream_closed".to_owned()),
            Err(status) => Err(status_kind(&status)),
        }
    }
}

/// The run's figures, as printed.
#[derive(Debug, Serialize)]
struct Summary {
    rpc: Rpc,
    concurrency: u32,
    connections: u32,
    batch: u32,
    duration_s: f64,
    warmup_s: f64,
    calls: u64,
    tweets: u64,
    errors: u64,
    errors_by_code: BTreeMap<String, u64>,
    calls_per_s: f64,
    tweets_per_s: f64,
    latency_ms: Latency,
}

/// Latency of successful measured calls, in milliseconds (0 when none).
#[derive(Debug, Serialize)]
struct Latency {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

impl Latency {
    fn from_histogram(histogram: &Histogram<u64>) -> Latency {
        let ms = |micros: u64| micros as f64 / 1000.0;
        Latency {
            p50: ms(histogram.value_at_quantile(0.50)),
            p90: ms(histogram.value_at_quantile(0.90)),
            p99: ms(histogram.value_at_quantile(0.99)),
            max: ms(histogram.max()),
            mean: histogram.mean() / 1000.0,
        }
    }
}

/// The arguments, checked and with defaults filled in.
struct Plan {
    batch: u32,
    connections: u32,
}

impl Plan {
    fn new(args: &LoadtestArgs) -> anyhow::Result<Plan> {
        let batch = match (args.rpc, args.batch) {
            (Rpc::Health, Some(_)) => bail!("--batch does not apply to --rpc health"),
            (Rpc::Health, None) => 0,
            (Rpc::Classify, batch) => batch.unwrap_or(DEFAULT_CLASSIFY_BATCH),
            (Rpc::Stream, batch) => batch.unwrap_or(DEFAULT_STREAM_BATCH),
        };
        if args.rpc == Rpc::Health && args.top.is_some() {
            bail!("--top does not apply to --rpc health");
        }
        let connections = args.connections.unwrap_or(args.concurrency);
        if connections > args.concurrency {
            bail!(
                "--connections ({connections}) is more than --concurrency ({}): some would stay idle",
                args.concurrency
            );
        }
        Ok(Plan { batch, connections })
    }
}

pub fn run(args: LoadtestArgs) -> anyhow::Result<ExitCode> {
    let plan = Plan::new(&args)?;
    let pool = tweet_pool();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let summary = runtime.block_on(load(&args, &plan, pool))?;
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        write_table(&mut out, &summary)?;
    }
    out.flush()?;
    // Nothing measured means nothing to report on: say so in the exit code,
    // so that scripts do not take an empty run for a result.
    Ok(if summary.calls > 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn load(args: &LoadtestArgs, plan: &Plan, pool: Arc<[Tweet]>) -> anyhow::Result<Summary> {
    // Connections are made before the clock starts: connecting is not what
    // is measured, and a wrong address fails here rather than as errors.
    let tls = args.tls.config(&args.addr)?;
    let channels = try_join_all((0..plan.connections).map(|_| client::connect_channel_with(&args.addr, tls.as_ref())))
        .await
        .with_context(|| format!("cannot reach {}", args.addr))?;
    let histogram = Histogram::<u64>::new_with_bounds(1, HISTOGRAM_MAX_US, 3).context("cannot create a histogram")?;
    let progress = super::classify::progress_bar("calls measured (warming up)");

    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let schedule = Schedule { measure_from, end: measure_from + Duration::from_secs_f64(args.duration) };
    let setup = CallerSetup {
        rpc: args.rpc,
        batch: plan.batch as usize,
        top: args.top,
        schedule,
        histogram: histogram.clone(),
        progress: progress.clone(),
    };
    let stride = pool.len() / args.concurrency as usize + 1;
    let mut callers = JoinSet::new();
    for (index, channel) in channels.iter().cycle().take(args.concurrency as usize).enumerate() {
        let feed = Feed::new(Arc::clone(&pool), index * stride);
        callers.spawn(caller(setup.clone(), channel.clone(), feed));
    }
    tokio::time::sleep_until(measure_from).await;
    progress.set_message("calls measured");

    let mut total = Tally::new(&histogram, progress.clone());
    while let Some(tally) = callers.join_next().await {
        total.merge(tally.context("a caller failed")?)?;
    }
    progress.finish_and_clear();
    if total.warmup_errors > 0 {
        tracing::warn!(errors = total.warmup_errors, "calls failed during the warmup (not counted)");
    }
    let errors = total.errors.values().sum();
    Ok(Summary {
        rpc: args.rpc,
        concurrency: args.concurrency,
        connections: plan.connections,
        batch: plan.batch,
        duration_s: args.duration,
        warmup_s: args.warmup,
        calls: total.calls,
        tweets: total.tweets,
        errors,
        errors_by_code: total.errors,
        calls_per_s: total.calls as f64 / args.duration,
        tweets_per_s: total.tweets as f64 / args.duration,
        latency_ms: Latency::from_histogram(&total.latency),
    })
}

fn write_table(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    writeln!(
        out,
        "{:<8} {:>11} {:>5} {:>9} {:>10} {:>6} {:>10} {:>11} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "rpc",
        "concurrency",
        "batch",
        "calls",
        "tweets",
        "errors",
        "calls/s",
        "tweets/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "mean ms"
    )?;
    let l = &s.latency_ms;
    writeln!(
        out,
        "{:<8} {:>11} {:>5} {:>9} {:>10} {:>6} {:>10.1} {:>11.1} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3}",
        s.rpc.as_str(),
        s.concurrency,
        s.batch,
        s.calls,
        s.tweets,
        s.errors,
        s.calls_per_s,
        s.tweets_per_s,
        l.p50,
        l.p90,
        l.p99,
        l.max,
        l.mean
    )?;
    writeln!(out, "{} s measured after {} s of warmup, {} connection(s)", s.duration_s, s.warmup_s, s.connections)?;
    if !s.errors_by_code.is_empty() {
        let codes: Vec<String> = s.errors_by_code.iter().map(|(code, count)| format!("{code} {count}")).collect();
        writeln!(out, "errors: {}", codes.join(", "))?;
    }
    Ok(())
}
