//! The gRPC server: a thin tonic layer over the library.
//!
//! It serves the `tweetguide.v1` services, standard health checking
//! (`grpc.health.v1.Health`) and server reflection (v1 and v1alpha), so that
//! generic tools such as grpcurl work without the proto file.

mod auditor;
mod auth;
mod classifier;
pub mod codec;
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
use tonic::transport::server::TcpIncoming;
use tower::util::MapResponseLayer;
use tracing::{info, warn};

pub use auditor::{AuditorService, MAX_TIMELINE_TWEETS};
pub use auth::{AdminToken, TOKEN_FILE};
pub use classifier::ClassifierService;
pub use metrics::install_exporter;
pub use state::ActiveModel;
pub use trainer::{BaseCorpus, DEFAULT_TOLERANCE, TrainerService, TrainerState};
pub use validate::{MAX_ID_BYTES, MAX_TOP_FEATURES, MAX_TWEETS_PER_MESSAGE};

use crate::proto::FILE_DESCRIPTOR_SET;
use crate::proto::v1::auditor_server::AuditorServer;
use crate::proto::v1::classifier_server::ClassifierServer;
use crate::proto::v1::trainer_server::TrainerServer;

/// Default bound on one request message: 10,000 tweets of 280 characters
/// are under 12 MiB even with 4-byte characters and every optional field.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Largest request message accepted, in bytes (larger: `INVALID_ARGUMENT`).
    pub max_message_bytes: usize,
    /// After a shutdown signal, how long in-flight calls may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions { max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES, shutdown_grace: Duration::from_secs(30) }
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
/// runs; the fault is the caller's, so the status becomes INVALID_ARGUMENT.
/// Such refusals are "trailers-only" responses: the status is in the headers.
fn oversize_is_invalid_argument<B>(mut response: http::Response<B>) -> http::Response<B> {
    let headers = response.headers_mut();
    let too_large = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .is_some_and(|m| m.contains("message%20length%20too%20large") || m.contains("message length too large"));
    if too_large && headers.get("grpc-status").is_some_and(|s| s == "11") {
        headers.insert("grpc-status", http::HeaderValue::from_static("3"));
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
    let classifier = ClassifierServer::new(ClassifierService::new(Arc::clone(&model)))
        .max_decoding_message_size(options.max_message_bytes);
    let auditor = AuditorServer::new(AuditorService::new(model)).max_decoding_message_size(options.max_message_bytes);

    let draining = Arc::new(Notify::new());
    let signal = {
        let draining = Arc::clone(&draining);
        let health = health.clone();
        async move {
            shutdown.await;
            info!("shutting down: no new calls, finishing the ones in flight");
            health.set_not_serving::<ClassifierServer<ClassifierService>>().await;
            health.set_not_serving::<AuditorServer<AuditorService>>().await;
            health.set_not_serving::<TrainerServer<TrainerService>>().await;
            draining.notify_one();
        }
    };
    let trainer = trainer.map(|(state, token)| {
        tonic::service::interceptor::InterceptedService::new(
            TrainerServer::new(TrainerService::new(state)).max_decoding_message_size(options.max_message_bytes),
            move |request| token.check(request),
        )
    });
    if trainer.is_some() {
        health.set_serving::<TrainerServer<TrainerService>>().await;
    }
    // Without TCP_NODELAY, a multi-frame answer waits ~40 ms for the
    // client's delayed ACK (Nagle): every batch call would take 44 ms.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = Server::builder()
        .layer(MapResponseLayer::new(oversize_is_invalid_argument))
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
