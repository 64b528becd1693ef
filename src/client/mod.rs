//! Client stub: connect to a tweetguide server and classify tweets, one batch
//! at a time or as a stream of chunks spread over several servers.

pub mod input;
mod output;
pub mod timeline;

pub use output::{AtomicFile, FeatureRecord, PredictionRecord, Probabilities};

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tonic::{Status, Streaming};

use crate::audit::{AuditOptions, Report, Timeline};
use crate::proto::v1::auditor_client::AuditorClient;
use crate::proto::v1::classifier_client::ClassifierClient;
use crate::proto::v1::trainer_client::TrainerClient;
use crate::proto::v1::{ClassifyRequest, ClassifyResponse, Prediction, Tweet};
use input::{InputError, InputTweet};

/// Largest response a client accepts; a full 10,000-tweet answer with 20
/// features per tweet stays well below it.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Chunks each server may have queued ahead of its answers: enough to keep
/// the pipe full, few enough to keep memory flat on a million-line file.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address is not a valid URI.
    #[error("invalid server address {addr:?}: {reason}")]
    Address { addr: String, reason: String },
    /// The server could not be reached.
    #[error("cannot connect to {addr}: {}", causes(source))]
    Connect { addr: String, source: tonic::transport::Error },
    /// The server answered with an error.
    #[error("server error ({}): {}", .0.code(), .0.message())]
    Status(#[from] Status),
    /// Reading the input failed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The server ended a stream before answering every chunk.
    #[error("the server closed the stream after {answered} of {sent} chunks")]
    Truncated { answered: u64, sent: u64 },
    /// The server's report could not be read.
    #[error(transparent)]
    Report(#[from] crate::proto::audit::ReportError),
    /// Writing the predictions failed.
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    /// The reader thread died.
    #[error("input reader failed: {0}")]
    Reader(String),
}

/// An error and its causes on one line: tonic's own message is only
/// "transport error", the useful part (refused, bad certificate...) is below it.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Adds `authorization: Bearer <token>` to every call, for the Trainer service.
#[derive(Clone)]
pub struct BearerToken(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl tonic::service::Interceptor for BearerToken {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A Trainer client that sends the admin token with each call.
pub type AdminClient = TrainerClient<tonic::service::interceptor::InterceptedService<Channel, BearerToken>>;

/// Connects to the Trainer service of `addr` with the admin `token`.
pub async fn connect_admin(addr: &str, token: &str) -> Result<AdminClient, ClientError> {
    connect_admin_with(addr, token, None).await
}

/// [`connect_admin`] over TLS when `tls` is given. The token is still sent:
/// TLS protects it on the wire, it does not replace it.
pub async fn connect_admin_with(
    addr: &str,
    token: &str,
    tls: Option<&ClientTlsConfig>,
) -> Result<AdminClient, ClientError> {
    let value = format!("Bearer {}", token.trim()).parse().map_err(|_| ClientError::Address {
        addr: addr.to_owned(),
        reason: "the token is not printable ASCII".to_owned(),
    })?;
    let channel = connect_channel_with(addr, tls).await?;
    Ok(TrainerClient::with_interceptor(channel, BearerToken(value)).max_decoding_message_size(MAX_RESPONSE_BYTES))
}

/// Accepts `host:port` as well as `http://host:port` or `https://host:port`.
pub fn normalise_address(addr: &str) -> String {
    if addr.contains("://") { addr.to_owned() } else { format!("http://{addr}") }
}

/// Opens a channel to a tweetguide server.
pub async fn connect_channel(addr: &str) -> Result<Channel, ClientError> {
    connect_channel_with(addr, None).await
}

/// Opens a channel, over TLS when `tls` is given (a bare `host:port` then
/// means `https://host:port`).
pub async fn connect_channel_with(addr: &str, tls: Option<&ClientTlsConfig>) -> Result<Channel, ClientError> {
    let uri = match tls {
        Some(_) if !addr.contains("://") => format!("https://{addr}"),
        _ => normalise_address(addr),
    };
    let bad_address = |reason: String| ClientError::Address { addr: addr.to_owned(), reason };
    if tls.is_some() && uri.starts_with("http://") {
        return Err(bad_address("TLS options were given for an http:// address: use https://".to_owned()));
    }
    let mut endpoint = Endpoint::from_shared(uri.clone())
        .map_err(|e| bad_address(e.to_string()))?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true);
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls.clone()).map_err(|e| bad_address(e.to_string()))?;
    }
    endpoint.connect().await.map_err(|source| ClientError::Connect { addr: uri, source })
}

/// A connection to a tweetguide server's `Classifier` and `Auditor` services.
#[derive(Debug, Clone)]
pub struct Client {
    classifier: ClassifierClient<Channel>,
    auditor: AuditorClient<Channel>,
}

impl Client {
    /// Connects to `addr` (`http://127.0.0.1:50051` or `127.0.0.1:50051`).
    pub async fn connect(addr: &str) -> Result<Client, ClientError> {
        Ok(Client::from_channel(connect_channel(addr).await?))
    }

    /// Connects over TLS when `tls` is given (see [`connect_channel_with`]).
    pub async fn connect_with(addr: &str, tls: Option<&ClientTlsConfig>) -> Result<Client, ClientError> {
        Ok(Client::from_channel(connect_channel_with(addr, tls).await?))
    }

    /// Uses an existing channel.
    pub fn from_channel(channel: Channel) -> Client {
        Client {
            classifier: ClassifierClient::new(channel.clone()).max_decoding_message_size(MAX_RESPONSE_BYTES),
            auditor: AuditorClient::new(channel).max_decoding_message_size(MAX_RESPONSE_BYTES),
        }
    }

    /// Classifies one batch (at most 10,000 tweets).
    pub async fn classify(
        &mut self,
        tweets: Vec<Tweet>,
        top_features: Option<u32>,
    ) -> Result<ClassifyResponse, ClientError> {
        Ok(self.classifier.classify(ClassifyRequest { tweets, top_features }).await?.into_inner())
    }

    /// Audits one account on the server; the report comes back in the
    /// library's own type, with tweet texts filled in from `timeline`.
    pub async fn score_timeline(&mut self, timeline: &Timeline, options: &AuditOptions) -> Result<Report, ClientError> {
        let request = crate::proto::timeline_request(timeline, options);
        let message = self.auditor.score_timeline(request).await?.into_inner();
        Ok(crate::proto::report_from_proto(message, timeline)?)
    }

    /// Opens a `ClassifyStream` fed by `requests`; one answer per request, in order.
    pub async fn classify_stream(
        &mut self,
        requests: mpsc::Receiver<ClassifyRequest>,
    ) -> Result<Streaming<ClassifyResponse>, ClientError> {
        Ok(self.classifier.classify_stream(ReceiverStream::new(requests)).await?.into_inner())
    }
}

/// Options of [`classify_batch`].
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// Tweets per stream message (1 to 10,000).
    pub chunk_size: usize,
    /// Top features per prediction (`None`: the server's default).
    pub top_features: Option<u32>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions { chunk_size: 1000, top_features: None }
    }
}

/// Streams every tweet of `tweets` through `ClassifyStream`, spreading chunks
/// round-robin over `clients`, and hands each prediction to `sink` in input
/// order together with the version of the model that made it. Memory stays
/// flat whatever the input size. Returns the number of tweets classified.
pub async fn classify_batch<I>(
    clients: Vec<Client>,
    tweets: I,
    options: BatchOptions,
    mut sink: impl FnMut(Prediction, &str) -> std::io::Result<()>,
) -> Result<u64, ClientError>
where
    I: Iterator<Item = Result<InputTweet, InputError>> + Send + 'static,
{
    let servers = clients.len().max(1);
    let mut senders = Vec::with_capacity(servers);
    let mut answers = Vec::with_capacity(servers);
    for mut client in clients {
        let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        answers.push(client.classify_stream(rx).await?);
        senders.push(tx);
    }
    if answers.is_empty() {
        return Ok(0);
    }
    let chunk_size = options.chunk_size.clamp(1, crate::server::MAX_TWEETS_PER_MESSAGE);
    let top_features = options.top_features;
    // Reading is blocking I/O: it runs on its own thread and feeds the streams.
    let reader = tokio::task::spawn_blocking(move || -> Result<u64, ClientError> {
        let mut sent = 0u64;
        let mut chunk = Vec::with_capacity(chunk_size);
        let send = |chunk: Vec<Tweet>, sent: &mut u64| {
            let server = (*sent % senders.len() as u64) as usize;
            *sent += 1;
            // A closed channel means the stream failed; the writer reports why.
            senders[server].blocking_send(ClassifyRequest { tweets: chunk, top_features }).is_ok()
        };
        for tweet in tweets {
            let InputTweet { id, text } = tweet?;
            chunk.push(Tweet { id, text, ..Default::default() });
            if chunk.len() == chunk_size
                && !send(std::mem::replace(&mut chunk, Vec::with_capacity(chunk_size)), &mut sent)
            {
                return Ok(sent);
            }
        }
        if !chunk.is_empty() {
            send(chunk, &mut sent);
        }
        Ok(sent)
    });

    let mut answered = 0u64;
    let mut classified = 0u64;
    let failure = loop {
        let server = (answered % servers as u64) as usize;
        match answers[server].message().await {
            Ok(Some(response)) => {
                answered += 1;
                classified += response.predictions.len() as u64;
                let version = response.model_version;
                if let Err(e) = response.predictions.into_iter().try_for_each(|p| sink(p, &version)) {
                    break Some(ClientError::Output(e));
                }
            }
            Ok(None) => break None,
            Err(status) => break Some(ClientError::Status(status)),
        }
    };
    drop(answers);
    let sent = reader.await.map_err(|e| ClientError::Reader(e.to_string()))??;
    if let Some(error) = failure {
        return Err(error);
    }
    if answered != sent {
        return Err(ClientError::Truncated { answered, sent });
    }
    Ok(classified)
}
