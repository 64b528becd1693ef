//! `tweetguide serve`: the gRPC server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tracing::info;
use tweetguide::server::{self, ActiveModel, ServerOptions};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TWEETGUIDE_ADDR", default_value = "127.0.0.1:50051")]
    addr: SocketAddr,
    /// Model file to serve; the built-in default model when absent.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Largest request message accepted, in bytes.
    #[arg(long, default_value_t = server::DEFAULT_MAX_MESSAGE_BYTES)]
    max_message_bytes: usize,
    /// Seconds in-flight calls get to finish after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 30)]
    shutdown_grace: u64,
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server");
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

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let model = super::load_model(args.model.as_ref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let local = listener.local_addr()?;
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
        server::serve(listener, Arc::new(ActiveModel::new(model)), options, shutdown_signal()).await?;
        info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
