//! `tweetguide serve`: the gRPC server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tracing::{info, warn};
use tweetguide::model::TrainParams;
use tweetguide::server::{self, ActiveModel, AdminToken, BaseCorpus, ServerOptions, Services, TrainerState};
use tweetguide::store::{ModelRegistry, SqliteStore};

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
    /// Largest request message accepted, in bytes.
    #[arg(long, default_value_t = server::DEFAULT_MAX_MESSAGE_BYTES)]
    max_message_bytes: usize,
    /// Serve Prometheus metrics on this address (`/metrics`); off when absent.
    #[arg(long, env = "TWEETGUIDE_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Seconds in-flight calls get to finish after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 30)]
    shutdown_grace: u64,
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

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Opens the data directory: examples, versions, token.
fn open_state(args: &ServeArgs) -> anyhow::Result<Services> {
    let dir = data_dir(args.data_dir.as_ref())?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create data directory {}", dir.display()))?;
    let (initial, origin) = match &args.model {
        Some(path) => (super::load_model(Some(path))?, "file"),
        None => (super::load_model(None)?, "builtin"),
    };
    let (registry, mut active) = ModelRegistry::open(&dir.join("models"), args.keep_models, &initial, origin)
        .with_context(|| format!("cannot open model versions in {}", dir.display()))?;
    if args.model.is_some() && active.id() != initial.id() {
        registry.register(&initial, Some(active.id()), 0, origin)?;
        active = registry.activate(initial.id())?.0;
    }
    let store = SqliteStore::open(&dir.join("examples.sqlite"))
        .with_context(|| format!("cannot open the example database in {}", dir.display()))?;
    let token = match std::env::var("TWEETGUIDE_ADMIN_TOKEN") {
        Ok(token) if !token.trim().is_empty() => {
            info!("Trainer token taken from TWEETGUIDE_ADMIN_TOKEN");
            AdminToken::new(&token)
        }
        _ => {
            let token = AdminToken::generate().context("cannot generate an admin token")?;
            let path = token.write_to(&dir).context("cannot write the admin token file")?;
            info!(path = %path.display(), "Trainer token generated (readable by this user only)");
            token
        }
    };
    let model = Arc::new(ActiveModel::new(active));
    let corpus = BaseCorpus::committed().map_err(anyhow::Error::msg)?;
    let trainer =
        TrainerState::new(Arc::clone(&model), Arc::new(store), Arc::new(registry), corpus, TrainParams::default());
    info!(data_dir = %dir.display(), "data directory ready");
    Ok(Services { model, trainer: Some((Arc::new(trainer), token)) })
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let services = open_state(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
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
            "tweetguide serving tweetguide.v1 (health and reflection on)"
        );
        let options = ServerOptions {
            max_message_bytes: args.max_message_bytes,
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
        };
        server::serve(listener, services, options, shutdown_signal()).await?;
        info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
