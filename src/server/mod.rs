//! The gRPC server: a thin tonic layer over the library.
//!
//! It serves the `tweetguide.v1` services, standard health checking
//! (`grpc.health.v1.Health`) and server reflection (v1 and v1alpha), so that
//! generic tools such as grpcurl work without the proto file.

mod auditor;
mod auth;
mod budget;
mod classifier;
pub mod codec;
mod connections;
mod deadline;
mod fuzz;
mod metrics;
mod state;
mod trainer;
pub(crate) mod validate;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tonic::codegen::http;
use tonic::transport::Server;
use tower::util::MapResponseLayer;
use tracing::{info, warn};

pub use auditor::{AuditorService, MAX_TIMELINE_TWEETS};
pub use auth::{AdminToken, TOKEN_FILE};
pub use classifier::ClassifierService;
#[doc(hidden)]
pub use fuzz::fuzz_request;
pub use metrics::install_exporter;
pub use state::ActiveModel;
pub use trainer::{DEFAULT_TOLERANCE, RetrainBase, TrainerService, TrainerState};
pub use validate::{MAX_ID_BYTES, MAX_TOP_FEATURES, MAX_TWEETS_PER_MESSAGE};

use crate::proto::FILE_DESCRIPTOR_SET;
use crate::proto::v1::auditor_server::AuditorServer;
use crate::proto::v1::classifier_server::ClassifierServer;
use crate::proto::v1::trainer_server::TrainerServer;

/// Default bound on one request message: 10,000 tweets of 280 characters
/// are under 12 MiB even with 4-byte characters and every optional field.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// How the server runs, and the limits that keep one caller from starving the others.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Largest request message accepted, in bytes (larger: `INVALID_ARGUMENT`).
    pub max_message_bytes: usize,
    /// Most tweets in one Classify request, one ClassifyStream message or one
    /// AddExamples request (more: `INVALID_ARGUMENT`).
    pub max_tweets_per_message: usize,
    /// HTTP/2 streams (calls) one connection may have open at once; a client
    /// queues the calls beyond it until one finishes.
    pub max_streams_per_connection: u32,
    /// Calls of one connection being worked on at once; the others wait in
    /// arrival order, so one busy connection cannot take every thread.
    pub max_requests_per_connection: usize,
    /// The longest any call may run. A caller's own deadline (`grpc-timeout`)
    /// is honoured when shorter; calls past it end with `DEADLINE_EXCEEDED`.
    /// For streams it bounds the whole stream.
    pub max_deadline: Duration,
    /// How often an idle connection is pinged; `None` never pings.
    pub keepalive_interval: Option<Duration>,
    /// How long a ping may go unanswered before the connection is closed and
    /// everything its calls held is freed.
    pub keepalive_timeout: Duration,
    /// Serve TLS (and, when it names client CAs, mutual TLS) instead of plain HTTP/2.
    pub tls: Option<tonic::transport::ServerTlsConfig>,
    /// After a shutdown signal, how long in-flight calls may take to finish.
    pub shutdown_grace: Duration,
    /// Connections open at once; a connection beyond it is closed at once,
    /// after closing the oldest one that has not sent a request yet, if any.
    pub max_connections: usize,
    /// How long a new connection may take to send its HTTP/2 preface (or
    /// finish its TLS handshake) before it is closed.
    pub handshake_timeout: Duration,
    /// Bytes of messages the server holds at once for all calls: requests
    /// until their answer is ready (counted three times: their decoded
    /// size), answers until their client has read them. Calls beyond it get
    /// `RESOURCE_EXHAUSTED`.
    pub max_held_bytes: usize,
    /// The share of `max_held_bytes` one connection's calls may hold. A call
    /// alone on its connection is never refused by it, so a full-size
    /// message always goes through on its own.
    pub max_held_bytes_per_connection: usize,
}

/// Most tweets per message unless the operator says otherwise.
pub const DEFAULT_MAX_TWEETS_PER_MESSAGE: usize = MAX_TWEETS_PER_MESSAGE;
/// Most open calls per connection: enough for a client multiplexing a busy
/// pipeline, far below what would exhaust memory.
pub const DEFAULT_MAX_STREAMS_PER_CONNECTION: u32 = 128;
/// Most calls of one connection worked on at once.
pub const DEFAULT_MAX_REQUESTS_PER_CONNECTION: usize = 64;
/// Cap on call deadlines: a retrain on a large example set takes about a minute.
pub const DEFAULT_MAX_DEADLINE: Duration = Duration::from_secs(300);
/// Connections open at once: below the usual 1,024 file descriptors.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Time for a new connection to start speaking HTTP/2.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages held for all calls: with the model and the runtime, the server
/// stays under 256 MiB whatever its callers do.
pub const DEFAULT_MAX_HELD_BYTES: usize = 160 * 1024 * 1024;
/// One connection's share: a full-size request and its answer, with room.
pub const DEFAULT_MAX_HELD_BYTES_PER_CONNECTION: usize = 24 * 1024 * 1024;
/// HTTP/2 keepalive ping interval.
pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
/// How long a keepalive ping may go unanswered.
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_tweets_per_message: DEFAULT_MAX_TWEETS_PER_MESSAGE,
            max_streams_per_connection: DEFAULT_MAX_STREAMS_PER_CONNECTION,
            max_requests_per_connection: DEFAULT_MAX_REQUESTS_PER_CONNECTION,
            max_deadline: DEFAULT_MAX_DEADLINE,
            keepalive_interval: Some(DEFAULT_KEEPALIVE_INTERVAL),
            keepalive_timeout: DEFAULT_KEEPALIVE_TIMEOUT,
            tls: None,
            shutdown_grace: Duration::from_secs(30),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            max_held_bytes: DEFAULT_MAX_HELD_BYTES,
            max_held_bytes_per_connection: DEFAULT_MAX_HELD_BYTES_PER_CONNECTION,
        }
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Building the reflection service failed (a broken descriptor set).
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("gRPC transport error: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// tonic refuses an over-size request with OUT_OF_RANGE before any handler
/// runs; gRPC's own implementations, and the proto's error table, say
/// RESOURCE_EXHAUSTED. Such refusals are "trailers-only" responses: the
/// status is in the headers.
fn oversize_is_resource_exhausted<B>(mut response: http::Response<B>) -> http::Response<B> {
    let headers = response.headers_mut();
    let too_large = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .is_some_and(|m| m.contains("message%20length%20too%20large") || m.contains("message length too large"));
    if too_large && headers.get("grpc-status").is_some_and(|s| s == "11") {
        headers.insert("grpc-status", http::HeaderValue::from_static("8"));
    }
    response
}

/// What a server serves.
#[derive(Debug, Clone)]
pub struct Services {
    /// The model answering Classify and ScoreTimeline.
    pub model: Arc<ActiveModel>,
    /// The Trainer service and its token; `None` serves no Trainer.
    pub trainer: Option<(Arc<TrainerState>, AdminToken)>,
}

impl Services {
    /// Classification and audit only, with a fixed model.
    pub fn read_only(model: crate::model::Model) -> Self {
        Services { model: Arc::new(ActiveModel::new(model)), trainer: None }
    }
}

/// Serves on `listener` until `shutdown` resolves, then stops accepting,
/// lets in-flight calls finish (up to `shutdown_grace`) and returns.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<ClassifierServer<ClassifierService>>().await;
    health.set_serving::<AuditorServer<AuditorService>>().await;

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let Services { model, trainer } = services;
    metrics::active_model(model.snapshot().id(), None);
    let classifier = ClassifierServer::new(ClassifierService::new(Arc::clone(&model), options.max_tweets_per_message))
        .max_decoding_message_size(options.max_message_bytes);
    let auditor = AuditorServer::new(AuditorService::new(model)).max_decoding_message_size(options.max_message_bytes);

    let silent = Arc::new(connections::SilentConnections::default());
    let draining = Arc::new(Notify::new());
    let signal = {
        let draining = Arc::clone(&draining);
        let health = health.clone();
        let silent = Arc::clone(&silent);
        async move {
            shutdown.await;
            info!("shutting down: no new calls, finishing the ones in flight");
            silent.close_all();
            health.set_not_serving::<ClassifierServer<ClassifierService>>().await;
            health.set_not_serving::<AuditorServer<AuditorService>>().await;
            health.set_not_serving::<TrainerServer<TrainerService>>().await;
            draining.notify_one();
        }
    };
    let trainer = trainer.map(|(state, token)| {
        tonic::service::interceptor::InterceptedService::new(
            TrainerServer::new(TrainerService::new(state, options.max_tweets_per_message))
                .max_decoding_message_size(options.max_message_bytes),
            move |request| token.check(request),
        )
    });
    if trainer.is_some() {
        health.set_serving::<TrainerServer<TrainerService>>().await;
    } else {
        health.set_not_serving::<TrainerServer<TrainerService>>().await;
    }
    let incoming = connections::accept(
        listener,
        connections::AcceptOptions {
            max_connections: options.max_connections,
            handshake_timeout: options.handshake_timeout,
        },
        silent,
    );
    let budget = budget::BudgetLayer {
        budget: Arc::new(budget::MessageBudget::new(options.max_held_bytes, options.max_held_bytes_per_connection)),
        max_entries_per_message: options.max_tweets_per_message,
    };
    let mut builder = Server::builder()
        .max_concurrent_streams(options.max_streams_per_connection)
        .concurrency_limit_per_connection(options.max_requests_per_connection)
        .http2_keepalive_interval(options.keepalive_interval)
        .http2_keepalive_timeout(Some(options.keepalive_timeout));
    if let Some(tls) = options.tls {
        builder = builder.tls_config(tls.timeout(options.handshake_timeout))?;
    }
    let server = builder
        .layer(metrics::CallMetricsLayer)
        .layer(MapResponseLayer::new(oversize_is_resource_exhausted))
        .layer(deadline::DeadlineLayer { cap: options.max_deadline })
        .layer(budget)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(classifier)
        .add_service(auditor)
        .add_optional_service(trainer)
        .serve_with_incoming_shutdown(incoming, signal);

    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return Ok(result?),
        () = draining.notified() => {}
    }
    match tokio::time::timeout(options.shutdown_grace, server).await {
        Ok(result) => Ok(result?),
        Err(_) => {
            warn!(grace = ?options.shutdown_grace, "calls still in flight after the grace period; stopping anyway");
            Ok(())
        }
    }
}
