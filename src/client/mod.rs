//! Client stub: connect to a tweetguide server and classify tweets, one batch
//! at a time or as a stream of chunks spread over several servers.

pub mod input;
mod output;
pub mod timeline;

pub use output::{AtomicFile, FeatureRecord, PredictionRecord, Probabilities};

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Status, Streaming};

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

/// How long the constructors without a timeout of their own wait to connect.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a connection may take to open, however long calls may take:
/// a server that has not completed the handshake by then will not.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Attempts of a call that is safe to repeat, when the server answers UNAVAILABLE.
const ATTEMPTS: u32 = 4;

/// The pause before the first retry; it doubles before each next one.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address is not a valid URI.
    #[error("invalid server address {addr:?}: {reason}")]
    Address { addr: String, reason: String },
    /// The server could not be reached; why is the source.
    #[error("cannot connect to {addr}")]
    Connect { addr: String, source: tonic::transport::Error },
    /// The server did not answer in time (it may accept connections and never
    /// answer: another service on the port, a hung process).
    #[error("no answer from {addr} within {timeout:?}")]
    Timeout { addr: String, timeout: Duration },
    /// The server answered with an error. Not a source: the message already
    /// says all a `Status` holds, which tonic would print again, worse.
    #[error("server error ({}): {}", .0.code(), .0.message())]
    Status(Status),
    /// Reading the input failed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The server ended a stream before answering every chunk.
    #[error("the server closed the stream after {answered} of {sent} chunks")]
    Truncated { answered: u64, sent: u64 },
    /// Servers of one batch answered with different model versions, which
    /// would make one output of two models' predictions.
    #[error("{first_addr} answers with model {first} but {other_addr} with model {other}")]
    MixedVersions { first_addr: String, first: String, other_addr: String, other: String },
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

impl From<Status> for ClientError {
    fn from(status: Status) -> Self {
        ClientError::Status(status)
    }
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
    connect_admin_within(addr, token, tls, DEFAULT_CONNECT_TIMEOUT).await
}

/// [`connect_admin_with`], waiting at most `timeout` (and never more than
/// 10 s) to connect. Calls are then bounded with a [`Patience`] of `addr`.
pub async fn connect_admin_within(
    addr: &str,
    token: &str,
    tls: Option<&ClientTlsConfig>,
    timeout: Duration,
) -> Result<AdminClient, ClientError> {
    let value = format!("Bearer {}", token.trim()).parse().map_err(|_| ClientError::Address {
        addr: addr.to_owned(),
        reason: "the token is not printable ASCII".to_owned(),
    })?;
    let channel = connect_channel_within(addr, tls, timeout.min(MAX_CONNECT_TIMEOUT)).await?;
    Ok(TrainerClient::with_interceptor(channel, BearerToken(value)).max_decoding_message_size(MAX_RESPONSE_BYTES))
}

/// How long calls to one server may take, and what to do when it is briefly
/// unavailable. Without one, a server that accepts the connection and never
/// answers keeps the caller waiting forever.
#[derive(Debug, Clone)]
pub struct Patience {
    addr: String,
    timeout: Duration,
}

impl Patience {
    /// Calls to `addr` (named in the errors) get `timeout` each, retries included.
    pub fn new(addr: &str, timeout: Duration) -> Patience {
        Patience { addr: addr.to_owned(), timeout }
    }

    fn timed_out(&self) -> ClientError {
        ClientError::Timeout { addr: self.addr.clone(), timeout: self.timeout }
    }

    /// One attempt, given up after the timeout: for calls that must not be
    /// repeated unasked (a retrain makes a new model version each time).
    pub async fn once<T>(
        &self,
        call: impl Future<Output = Result<tonic::Response<T>, Status>>,
    ) -> Result<T, ClientError> {
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(self.timed_out()),
            Ok(answer) => Ok(answer?.into_inner()),
        }
    }

    /// Calls until answered, retrying UNAVAILABLE (a server restarting, a
    /// connection dropped) with a doubling pause, all within the timeout.
    /// Only for calls that are safe to repeat: reads, and writes that leave
    /// the same state when done twice.
    pub async fn retrying<T, Fut>(&self, mut call: impl FnMut() -> Fut) -> Result<T, ClientError>
    where
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let deadline = Instant::now() + self.timeout;
        let mut pause = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let status = match tokio::time::timeout_at(deadline, call()).await {
                Err(_) => return Err(self.timed_out()),
                Ok(Ok(answer)) => return Ok(answer.into_inner()),
                Ok(Err(status)) => status,
            };
            if status.code() != Code::Unavailable || attempt == ATTEMPTS || Instant::now() + pause >= deadline {
                return Err(status.into());
            }
            tracing::warn!(addr = %self.addr, attempt, "server unavailable ({}), trying again in {pause:?}", status.message());
            tokio::time::sleep(pause).await;
            pause *= 2;
            attempt += 1;
        }
    }
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
    connect_channel_within(addr, tls, DEFAULT_CONNECT_TIMEOUT).await
}

/// [`connect_channel_with`], giving up after `timeout`, the TLS handshake
/// included (the transport's own connect timeout covers only TCP).
pub async fn connect_channel_within(
    addr: &str,
    tls: Option<&ClientTlsConfig>,
    timeout: Duration,
) -> Result<Channel, ClientError> {
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
        .connect_timeout(timeout)
        .tcp_nodelay(true);
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls.clone()).map_err(|e| bad_address(e.to_string()))?;
    }
    match tokio::time::timeout(timeout, endpoint.connect()).await {
        Err(_) => Err(ClientError::Timeout { addr: uri, timeout }),
        Ok(connected) => connected.map_err(|source| ClientError::Connect { addr: uri, source }),
    }
}

/// A connection to a tweetguide server's `Classifier` and `Auditor` services.
#[derive(Debug, Clone)]
pub struct Client {
    /// The address it was connected to, for messages.
    addr: String,
    classifier: ClassifierClient<Channel>,
    auditor: AuditorClient<Channel>,
    /// Set by [`Client::connect_within`]; otherwise calls wait as long as the
    /// server takes, and are never repeated.
    patience: Option<Patience>,
}

impl Client {
    /// Connects to `addr` (`http://127.0.0.1:50051` or `127.0.0.1:50051`).
    pub async fn connect(addr: &str) -> Result<Client, ClientError> {
        Ok(Client::from_channel(connect_channel(addr).await?))
    }

    /// Connects over TLS when `tls` is given (see [`connect_channel_with`]).
    pub async fn connect_with(addr: &str, tls: Option<&ClientTlsConfig>) -> Result<Client, ClientError> {
        Ok(Client { addr: addr.to_owned(), ..Client::from_channel(connect_channel_with(addr, tls).await?) })
    }

    /// [`Client::connect_with`], where every call may take `timeout` (and
    /// connecting at most 10 s of it): a silent server is an error naming
    /// `addr`, not a wait without end. `Classify` and `ScoreTimeline`, which
    /// change nothing, are retried when the server is briefly unavailable; in
    /// a `ClassifyStream` each chunk must be answered within `timeout` of
    /// being sent.
    pub async fn connect_within(
        addr: &str,
        tls: Option<&ClientTlsConfig>,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        let channel = connect_channel_within(addr, tls, timeout.min(MAX_CONNECT_TIMEOUT)).await?;
        Ok(Client {
            addr: addr.to_owned(),
            patience: Some(Patience::new(addr, timeout)),
            ..Client::from_channel(channel)
        })
    }

    /// Uses an existing channel.
    pub fn from_channel(channel: Channel) -> Client {
        Client {
            addr: "a server".to_owned(),
            classifier: ClassifierClient::new(channel.clone()).max_decoding_message_size(MAX_RESPONSE_BYTES),
            auditor: AuditorClient::new(channel).max_decoding_message_size(MAX_RESPONSE_BYTES),
            patience: None,
        }
    }

    /// Classifies one batch (at most 10,000 tweets).
    pub async fn classify(
        &mut self,
        tweets: Vec<Tweet>,
        top_features: Option<u32>,
    ) -> Result<ClassifyResponse, ClientError> {
        let request = ClassifyRequest { tweets, top_features };
        let Some(patience) = &self.patience else { return Ok(self.classifier.classify(request).await?.into_inner()) };
        let classifier = &self.classifier;
        patience
            .retrying(|| {
                let (mut classifier, request) = (classifier.clone(), request.clone());
                async move { classifier.classify(request).await }
            })
            .await
    }

    /// Audits one account on the server; the report comes back in the
    /// library's own type, with tweet texts filled in from `timeline`.
    pub async fn score_timeline(&mut self, timeline: &Timeline, options: &AuditOptions) -> Result<Report, ClientError> {
        let request = crate::proto::timeline_request(timeline, options);
        let message = match &self.patience {
            None => self.auditor.score_timeline(request).await?.into_inner(),
            Some(patience) => {
                let auditor = &self.auditor;
                patience
                    .retrying(|| {
                        let (mut auditor, request) = (auditor.clone(), request.clone());
                        async move { auditor.score_timeline(request).await }
                    })
                    .await?
            }
        };
        Ok(crate::proto::report_from_proto(message, timeline)?)
    }

    /// Opens a `ClassifyStream` fed by `requests`; one answer per request, in order.
    pub async fn classify_stream(
        &mut self,
        requests: mpsc::Receiver<ClassifyRequest>,
    ) -> Result<Streaming<ClassifyResponse>, ClientError> {
        let call = self.classifier.classify_stream(ReceiverStream::new(requests));
        match &self.patience {
            None => Ok(call.await?.into_inner()),
            Some(patience) => patience.once(call).await,
        }
    }
}

/// Options of [`classify_batch`].
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// Tweets per stream message (1 to 10,000).
    pub chunk_size: usize,
    /// Top features per prediction (`None`: the server's default).
    pub top_features: Option<u32>,
    /// Go on, with a warning, when servers answer with different model
    /// versions; otherwise the batch stops with [`ClientError::MixedVersions`].
    pub allow_mixed_versions: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions { chunk_size: 1000, top_features: None, allow_mixed_versions: false }
    }
}

/// The model version of a batch's first answer, against which every other
/// answer is held.
struct Versions {
    addrs: Vec<String>,
    allow_mixed: bool,
    /// The first answer's server and version.
    reference: Option<(usize, String)>,
    /// Versions already warned about.
    warned: std::collections::HashSet<String>,
}

impl Versions {
    fn check(&mut self, server: usize, version: &str) -> Result<(), ClientError> {
        let Some((first, expected)) = &self.reference else {
            self.reference = Some((server, version.to_owned()));
            return Ok(());
        };
        if version == expected {
            return Ok(());
        }
        let mixed = ClientError::MixedVersions {
            first_addr: self.addrs[*first].clone(),
            first: expected.clone(),
            other_addr: self.addrs[server].clone(),
            other: version.to_owned(),
        };
        if !self.allow_mixed {
            return Err(mixed);
        }
        if self.warned.insert(version.to_owned()) {
            tracing::warn!("{mixed}: going on as asked; each prediction carries the version of its model");
        }
        Ok(())
    }
}

/// Streams every tweet of `tweets` through `ClassifyStream`, spreading chunks
/// round-robin over `clients`, and hands each prediction to `sink` in input
/// order together with the version of the model that made it. Memory stays
/// flat whatever the input size. Returns the number of tweets classified.
///
/// Every answer must come from the model version of the first one, unless
/// `options.allow_mixed_versions`. The first answer of each server is held
/// back until all have answered once, so that servers serving different
/// models are refused before `sink` sees anything.
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
    let mut patience = Vec::with_capacity(servers);
    let mut versions = Versions {
        addrs: clients.iter().map(|c| c.addr.clone()).collect(),
        allow_mixed: options.allow_mixed_versions,
        reference: None,
        warned: std::collections::HashSet::new(),
    };
    // When each chunk was handed to its stream, in order, per server: a
    // chunk's answer is due within the timeout of that, since waiting for
    // input (a slow pipe on stdin) is no fault of the server's.
    let (mut handed_over, mut sent_at) = (Vec::with_capacity(servers), Vec::with_capacity(servers));
    for mut client in clients {
        let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        answers.push(client.classify_stream(rx).await?);
        senders.push(tx);
        patience.push(client.patience);
        let (tx, rx) = mpsc::unbounded_channel::<std::time::Instant>();
        handed_over.push(tx);
        sent_at.push(rx);
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
            let handed = senders[server].blocking_send(ClassifyRequest { tweets: chunk, top_features }).is_ok();
            if handed {
                let _ = handed_over[server].send(std::time::Instant::now());
            }
            handed
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
    let mut held = Vec::with_capacity(servers);
    let mut deliver = |response: ClassifyResponse| {
        let version = response.model_version;
        response.predictions.into_iter().try_for_each(|p| sink(p, &version)).map_err(ClientError::Output)
    };
    let failure = loop {
        let server = (answered % servers as u64) as usize;
        // No chunk left for this server's turn: the reader is done.
        let Some(sent) = sent_at[server].recv().await else { break None };
        let answer = answers[server].message();
        let answer = match &patience[server] {
            None => answer.await,
            Some(patience) => {
                let due = Instant::from_std(sent) + patience.timeout;
                match tokio::time::timeout_at(due, answer).await {
                    Ok(answer) => answer,
                    Err(_) => break Some(patience.timed_out()),
                }
            }
        };
        match answer {
            Ok(Some(response)) => {
                answered += 1;
                classified += response.predictions.len() as u64;
                if let Err(mixed) = versions.check(server, &response.model_version) {
                    break Some(mixed);
                }
                held.push(response);
                if answered >= servers as u64
                    && let Err(error) = held.drain(..).try_for_each(&mut deliver)
                {
                    break Some(error);
                }
            }
            Ok(None) => break None,
            Err(status) => break Some(ClientError::Status(status)),
        }
    };
    // Fewer chunks than servers: what was held back goes out now.
    let failure = match failure {
        None => held.drain(..).try_for_each(&mut deliver).err(),
        failure => failure,
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
