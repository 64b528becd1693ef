//! `tweetguide serve`: the gRPC server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use clap::builder::TypedValueParser;
use tracing::{info, warn};
use tweetguide::server::{self, ActiveModel, AdminToken, RetrainBase, ServerOptions, Services, TrainerState};
use tweetguide::store::{DataFolder, FolderError, ModelRegistry, SqliteStore, StoreError};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TWEETGUIDE_ADDR", default_value = "127.0.0.1:50051")]
    addr: SocketAddr,
    /// Model file to serve (registered and activated as a version); the data
    /// directory's active version, or the built-in model, when absent.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Where examples, model versions and the admin token live.
    #[arg(long, env = "TWEETGUIDE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// How many model versions to keep (the active one is always kept).
    #[arg(long, default_value_t = 10)]
    keep_models: usize,
    /// Serve Prometheus metrics on this address (`/metrics`); off when absent.
    #[arg(long, env = "TWEETGUIDE_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Seconds in-flight calls get to finish after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 30)]
    shutdown_grace: u64,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    tls: super::tls::ServerTlsArgs,
}

/// What one caller may use; every limit is per call or per connection.
#[derive(Debug, Args)]
struct LimitArgs {
    /// Largest request message accepted, in bytes.
    #[arg(help_heading = "Limits", long, default_value_t = server::DEFAULT_MAX_MESSAGE_BYTES, value_parser = clap::value_parser!(u32).range(1024..).map(|v| v as usize))]
    max_message_bytes: usize,
    /// Most tweets in one Classify request, ClassifyStream message or AddExamples request.
    #[arg(help_heading = "Limits", long, default_value_t = server::DEFAULT_MAX_TWEETS_PER_MESSAGE, value_parser = clap::value_parser!(u32).range(1..=1_000_000).map(|v| v as usize))]
    max_tweets_per_message: usize,
    /// Calls one connection may have open at once (HTTP/2 streams); clients queue the others.
    #[arg(help_heading = "Limits", long, default_value_t = server::DEFAULT_MAX_STREAMS_PER_CONNECTION, value_parser = clap::value_parser!(u32).range(1..))]
    max_streams_per_connection: u32,
    /// Calls of one connection worked on at once; the others wait their turn.
    #[arg(help_heading = "Limits", long, default_value_t = server::DEFAULT_MAX_REQUESTS_PER_CONNECTION, value_parser = clap::value_parser!(u32).range(1..).map(|v| v as usize))]
    max_requests_per_connection: usize,
    /// Longest a call (or a whole stream) may run, e.g. `300s` or `5m`; a
    /// caller's shorter `grpc-timeout` is honoured.
    #[arg(help_heading = "Limits", long, default_value = "5m", value_parser = parse_duration)]
    max_deadline: Duration,
    /// Ping idle connections this often (`off` never pings); a peer that does
    /// not answer within --keepalive-timeout is disconnected and its calls freed.
    #[arg(help_heading = "Limits", long, default_value = "60s", value_parser = parse_keepalive)]
    keepalive_interval: Keepalive,
    /// How long a keepalive ping may go unanswered.
    #[arg(help_heading = "Limits", long, default_value = "20s", value_parser = parse_duration)]
    keepalive_timeout: Duration,
    /// Connections open at once (keep it under `ulimit -n`). At the limit the
    /// oldest connection that has not sent a request yet makes room; if none
    /// has, the new one is closed.
    #[arg(help_heading = "Limits", long, default_value_t = server::DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..).map(|v| v as usize))]
    max_connections: usize,
    /// How long a new connection may take to start speaking HTTP/2 (or to
    /// finish its TLS handshake) before it is closed.
    #[arg(help_heading = "Limits", long, default_value = "10s", value_parser = parse_duration)]
    handshake_timeout: Duration,
    /// MiB of messages held for all calls at once: requests not yet decoded,
    /// answers not yet read. Calls beyond it get RESOURCE_EXHAUSTED.
    #[arg(help_heading = "Limits", long, default_value_t = (server::DEFAULT_MAX_HELD_BYTES >> 20) as u32, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    max_held_mib: u32,
    /// The share of --max-held-mib one connection's calls may hold.
    #[arg(help_heading = "Limits", long, default_value_t = (server::DEFAULT_MAX_HELD_BYTES_PER_CONNECTION >> 20) as u32, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    max_held_mib_per_connection: u32,
}

/// `--keepalive-interval`: a duration, or `off`.
#[derive(Debug, Clone, Copy)]
struct Keepalive(Option<Duration>);

fn parse_keepalive(text: &str) -> Result<Keepalive, String> {
    if text.eq_ignore_ascii_case("off") {
        Ok(Keepalive(None))
    } else {
        parse_duration(text).map(|d| Keepalive(Some(d)))
    }
}

/// `250ms`, `30s`, `5m`, `1h`; a bare number is seconds. Zero is refused:
/// every limit it could set would stop the server from working.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits.parse().map_err(|_| format!("{text:?} is not a duration like 500ms, 30s, 5m or 1h"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(amount),
        "" | "s" => Duration::from_secs(amount),
        "m" => Duration::from_secs(amount.saturating_mul(60)),
        "h" => Duration::from_secs(amount.saturating_mul(3600)),
        _ => return Err(format!("unknown unit {unit:?} in {text:?}: use ms, s, m or h")),
    };
    if duration.is_zero() {
        return Err("must be more than zero".to_owned());
    }
    Ok(duration)
}

/// The data directory: the flag, `TWEETGUIDE_DATA_DIR`, or the user's data folder.
pub(crate) fn data_dir(given: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    match given {
        Some(dir) => Ok(dir.clone()),
        None => dirs::data_dir()
            .map(|d| d.join("tweetguide"))
            .context("no data directory for this user: pass --data-dir or set TWEETGUIDE_DATA_DIR"),
    }
}

/// Starts listening for SIGINT (Ctrl-C) and SIGTERM at once, not when first
/// polled, so a signal sent as soon as the address is logged is not missed;
/// the future resolves on the first of them. Must run inside the runtime.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listeners = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()));
        async move {
            match listeners {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                (Err(error), _) | (_, Err(error)) => {
                    warn!(%error, "cannot listen for SIGINT or SIGTERM: the server stops only when killed");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Loads the model and opens the data directory: examples, versions,
/// token. An unreadable model, damaged model versions, or a data directory
/// another server holds stop the server; a data directory that cannot be
/// written (read-only, full) or a corrupt example database leave Classify and
/// ScoreTimeline served, without the Trainer, and the log says why.
fn open_state(args: &ServeArgs) -> anyhow::Result<Services> {
    // A token too short to be a secret is a mistake to stop on, before the
    // data directory is touched; a blank one asks for a generated token.
    let given_token = match std::env::var("TWEETGUIDE_ADMIN_TOKEN") {
        Ok(token) if !token.trim().is_empty() => {
            Some(AdminToken::new(&token).context("TWEETGUIDE_ADMIN_TOKEN is refused")?)
        }
        _ => None,
    };
    let model = super::load_model(args.model.as_ref())?;
    let base = RetrainBase::new(Arc::new(model.clone())).map_err(anyhow::Error::msg)?;
    // Locked before anything in it is read or written: a second server on
    // the same folder would replace the first one's token and versions.
    let folder = match data_dir(args.data_dir.as_ref()).map(|dir| DataFolder::open(&dir)) {
        Ok(Ok(folder)) => folder,
        Ok(Err(error @ FolderError::InUse { .. })) => return Err(error.into()),
        Ok(Err(error)) => return Ok(without_trainer(model, &error.into())),
        Err(error) => return Ok(without_trainer(model, &error)),
    };
    let dir = folder.path().to_owned();
    let initial = match args.model {
        Some(_) => tweetguide::store::Initial::File(&model),
        None => tweetguide::store::Initial::Builtin(&model),
    };
    let (registry, active) = match ModelRegistry::open(&folder.models(), args.keep_models, initial) {
        Ok(opened) => opened,
        Err(error) => {
            // Damaged versions stop the server: serving the built-in model in
            // their place would change every answer without anyone asking. A
            // folder that cannot be written (read-only, full) is served without.
            let damaged = matches!(
                error,
                StoreError::Manifest { .. }
                    | StoreError::NoUsableVersion { .. }
                    | StoreError::Model { .. }
                    | StoreError::UnknownVersion(_)
            );
            let error = anyhow::Error::new(error).context(format!("cannot open model versions in {}", dir.display()));
            return if damaged { Err(error) } else { Ok(without_trainer(model, &error)) };
        }
    };
    // From here on the registry's active version is what is served.
    let store = match SqliteStore::open(&folder.examples())
        .with_context(|| format!("cannot open the example database in {}", dir.display()))
    {
        Ok(store) => store,
        Err(error) => return Ok(without_trainer(active, &error)),
    };
    let token = match given_token {
        Some(token) => {
            info!("Trainer token taken from TWEETGUIDE_ADMIN_TOKEN");
            token
        }
        None => {
            let written = AdminToken::generate()
                .context("cannot generate an admin token")
                .and_then(|token| Ok((token.write_to(&dir).context("cannot write the admin token file")?, token)));
            match written {
                Ok((path, token)) => {
                    info!(path = %path.display(), "Trainer token generated (readable by this user only)");
                    token
                }
                Err(error) => return Ok(without_trainer(active, &error)),
            }
        }
    };
    let model = Arc::new(ActiveModel::new(active));
    let trainer = TrainerState::new(Arc::clone(&model), Arc::new(store), Arc::new(registry), base, folder);
    info!(data_dir = %dir.display(), "data directory ready");
    Ok(Services { model, trainer: Some((Arc::new(trainer), token)) })
}

/// Classification and audits with `model`, no Trainer: what a server can
/// still do when its data directory cannot be used. The reason is logged;
/// health reports the Trainer service as NOT_SERVING.
fn without_trainer(model: tweetguide::model::Model, error: &anyhow::Error) -> Services {
    warn!(
        error = format!("{error:#}"),
        model = model.id(),
        "the data directory cannot be used: serving Classify and ScoreTimeline without the Trainer"
    );
    Services::read_only(model)
}

/// glibc serves an allocation above its mmap threshold (128 KiB) from a
/// mapping of its own and unmaps it when freed, but each such free raises the
/// threshold to the freed size, up to 32 MiB. Request and answer buffers of a
/// few MiB then come from the heap arenas, which keep their peak size: after a
/// burst of big calls the server's memory would stay at the burst's peak.
/// Pinning the threshold keeps big buffers out of the arenas (the `siege`
/// example, 3 x 128 unread 10,000-tweet answers: peak 266 MiB before, 154 after).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn pin_mmap_threshold() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // the runtime starts its threads.
    if unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) } != 1 {
        warn!("cannot pin the allocator's mmap threshold: memory may stay at past peaks");
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pin_mmap_threshold();
    let tls = args.tls.config()?;
    let services = open_state(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let shutdown = shutdown_signal();
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let local = listener.local_addr()?;
        if let Some(addr) = args.metrics_addr {
            server::install_exporter(addr).map_err(|e| anyhow::anyhow!("cannot serve metrics on {addr}: {e}"))?;
            info!(metrics_addr = %addr, "Prometheus metrics on /metrics");
        }
        let model = services.model.snapshot();
        info!(
            addr = %local,
            model = model.id(),
            features = model.vocabulary_size(),
            tls = args.tls.mode(),
            "tweetguide serving tweetguide.v1 (health and reflection on)"
        );
        let limits = &args.limits;
        let options = ServerOptions {
            max_message_bytes: limits.max_message_bytes,
            max_tweets_per_message: limits.max_tweets_per_message,
            max_streams_per_connection: limits.max_streams_per_connection,
            max_requests_per_connection: limits.max_requests_per_connection,
            max_deadline: limits.max_deadline,
            keepalive_interval: limits.keepalive_interval.0,
            keepalive_timeout: limits.keepalive_timeout,
            tls,
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
            max_connections: limits.max_connections,
            handshake_timeout: limits.handshake_timeout,
            max_held_bytes: (limits.max_held_mib as usize) << 20,
            max_held_bytes_per_connection: (limits.max_held_mib_per_connection as usize) << 20,
        };
        server::serve(listener, services, options, shutdown).await?;
        info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
