//! The message budget: bounds the memory that callers, with or without a
//! token, can make the server hold.
//!
//! Three things held memory without bound before this layer:
//! - a request made of millions of empty entries was decoded (80 bytes per
//!   2-byte entry) before its length was checked;
//! - a request body announced but never finished was buffered until the
//!   call's deadline;
//! - an answer the client never read stayed queued as long as the
//!   connection answered pings.
//!
//! So every request body and every answer passes through here: the bytes
//! received but not yet decoded, and the bytes of answers not yet handed to
//! the connection, are counted against a per-connection share and a
//! server-wide total; past either, the call gets `RESOURCE_EXHAUSTED`. Request
//! bodies are scanned as they arrive, and a message with more entries than
//! the method allows is refused after the first entry too many. Answers are
//! handed over in slices as the client reads them, so the rest stays here,
//! where it is dropped when the call's deadline passes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use http_body::Frame;
use tokio::time::Instant;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::codegen::{Bytes, http::HeaderMap};
use tonic::transport::server::TlsConnectInfo;
use tower::{Layer, Service};

use super::auditor::MAX_TIMELINE_TWEETS;
use super::connections::{ConnectionInfo, ConnectionUsage};
use super::deadline::CallDeadline;

/// Answers are handed to the connection in slices of this size, so that what
/// a slow reader has not taken yet stays countable and droppable here.
const ANSWER_SLICE: usize = 64 * 1024;

const MIB: usize = 1024 * 1024;

/// A decoded request takes about this many times its size on the wire
/// (each tweet's strings get an allocation and a 100-byte struct), and the
/// decoded form is what a call holds while it waits for a core; so each
/// request byte counts this many times.
const DECODED_WEIGHT: usize = 3;

/// The bytes held for calls, server-wide and per connection.
#[derive(Debug)]
pub(crate) struct MessageBudget {
    held: AtomicUsize,
    limit: usize,
    per_connection: usize,
}

impl MessageBudget {
    pub(crate) fn new(limit: usize, per_connection: usize) -> Self {
        MessageBudget { held: AtomicUsize::new(0), limit, per_connection }
    }

    /// Refuses a new call while its connection or the server is already over its share.
    fn admits(&self, connection: &ConnectionUsage) -> Result<(), Refusal> {
        let on_connection = connection.held_bytes.load(Ordering::Acquire);
        if on_connection >= self.per_connection {
            return Err(Refusal::Connection { held: on_connection, limit: self.per_connection });
        }
        let held = self.held.load(Ordering::Acquire);
        if held >= self.limit {
            return Err(Refusal::Server { held, limit: self.limit });
        }
        Ok(())
    }
}

/// Why a call, or its next bytes, did not fit in the budget.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Connection { held: usize, limit: usize },
    Server { held: usize, limit: usize },
}

impl Refusal {
    fn status(self, what: &str) -> Status {
        let mib = |bytes: usize| bytes.div_ceil(MIB);
        match self {
            Refusal::Connection { held, limit } => Status::resource_exhausted(format!(
                "{what}: this connection's calls hold {} MiB of messages not yet read, over its share of {} MiB; \
                 read the answers of earlier calls or let them finish first",
                mib(held),
                mib(limit)
            )),
            Refusal::Server { held, limit } => Status::resource_exhausted(format!(
                "{what}: the server holds {} MiB of messages in flight, its limit of {} MiB; retry shortly",
                mib(held),
                mib(limit)
            )),
        }
    }
}

/// Bytes one call holds; given back when released or dropped.
#[derive(Debug)]
struct Held {
    budget: Arc<MessageBudget>,
    connection: Arc<ConnectionUsage>,
    bytes: usize,
}

impl Held {
    fn new(budget: Arc<MessageBudget>, connection: Arc<ConnectionUsage>) -> Self {
        Held { budget, connection, bytes: 0 }
    }

    /// Takes `n` more bytes. A call is refused only when others hold bytes
    /// too: alone on its connection (or on the server), one message of any
    /// accepted size always goes through, so no share can block every call.
    fn take(&mut self, n: usize) -> Result<(), Refusal> {
        let on_connection = self.connection.held_bytes.fetch_add(n, Ordering::AcqRel);
        if on_connection > self.bytes && on_connection + n > self.budget.per_connection {
            self.connection.held_bytes.fetch_sub(n, Ordering::AcqRel);
            return Err(Refusal::Connection { held: on_connection, limit: self.budget.per_connection });
        }
        let held = self.budget.held.fetch_add(n, Ordering::AcqRel);
        if held > self.bytes && held + n > self.budget.limit {
            self.budget.held.fetch_sub(n, Ordering::AcqRel);
            self.connection.held_bytes.fetch_sub(n, Ordering::AcqRel);
            return Err(Refusal::Server { held, limit: self.budget.limit });
        }
        self.bytes += n;
        Ok(())
    }

    fn release(&mut self, n: usize) {
        let n = n.min(self.bytes);
        self.bytes -= n;
        self.connection.held_bytes.fetch_sub(n, Ordering::AcqRel);
        self.budget.held.fetch_sub(n, Ordering::AcqRel);
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.release(self.bytes);
    }
}

/// Puts every call of the services inside it under the budget.
#[derive(Debug, Clone)]
pub(crate) struct BudgetLayer {
    pub(crate) budget: Arc<MessageBudget>,
    /// The operator's `--max-tweets-per-message`.
    pub(crate) max_entries_per_message: usize,
}

impl<S> Layer<S> for BudgetLayer {
    type Service = Budgeted<S>;

    fn layer(&self, inner: S) -> Budgeted<S> {
        Budgeted { inner, layer: self.clone() }
    }
}

/// See [`BudgetLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Budgeted<S> {
    inner: S,
    layer: BudgetLayer,
}

/// The connection a request came on; a request from elsewhere (an in-process
/// caller) gets a share of its own.
fn connection_of(extensions: &http::Extensions) -> (Option<std::net::SocketAddr>, Arc<ConnectionUsage>) {
    extensions
        .get::<ConnectionInfo>()
        .or_else(|| extensions.get::<TlsConnectInfo<ConnectionInfo>>().map(TlsConnectInfo::get_ref))
        .map_or_else(Default::default, |info| (Some(info.remote), Arc::clone(&info.usage)))
}

impl<S> Service<http::Request<Body>> for Budgeted<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let budget = Arc::clone(&self.layer.budget);
        let (remote, connection) = connection_of(request.extensions());
        if let Err(refusal) = budget.admits(&connection) {
            let status = refusal.status("call refused");
            tracing::debug!(?remote, path = request.uri().path(), reason = status.message(), "call refused");
            return Box::pin(std::future::ready(Ok(status.into_http())));
        }
        let deadline = request.extensions().get::<CallDeadline>().map(|d| d.0);
        let scanner = EntryCounter::for_method(request.uri().path(), self.layer.max_entries_per_message);
        // The request's bytes stay counted until its answer is ready: they
        // stand for the decoded request the handler holds meanwhile.
        let received = Arc::new(Mutex::new(Held::new(Arc::clone(&budget), Arc::clone(&connection))));
        let held = Arc::clone(&received);
        let request =
            request.map(|inner| Body::new(MeteredRequest { inner, held, scanner, consumed: 0, refused: None }));
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await;
            drop(received);
            let response = response?;
            let held = Held::new(budget, connection);
            Ok(response.map(|body| Body::new(MeteredAnswer::new(body, held, deadline))))
        })
    }
}

/// A request body whose bytes are counted until decoded.
struct MeteredRequest {
    inner: Body,
    held: Arc<Mutex<Held>>,
    scanner: Option<EntryCounter>,
    /// Bytes of messages already complete: tonic has decoded them by the
    /// time it asks for more, so they are given back then.
    consumed: usize,
    /// A message refused after the ones before it were passed on.
    refused: Option<Status>,
}

impl http_body::Body for MeteredRequest {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        if let Some(status) = this.refused.take() {
            return Poll::Ready(Some(Err(status)));
        }
        let consumed = std::mem::take(&mut this.consumed);
        this.held.lock().unwrap_or_else(PoisonError::into_inner).release(consumed * DECODED_WEIGHT);
        let frame = match std::task::ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            other => return Poll::Ready(other),
        };
        if let Some(data) = frame.data_ref() {
            let weight = data.len() * DECODED_WEIGHT;
            if let Err(refusal) = this.held.lock().unwrap_or_else(PoisonError::into_inner).take(weight) {
                return Poll::Ready(Some(Err(refusal.status("request refused"))));
            }
            match this.scanner.as_mut().map(|scanner| scanner.feed(data)) {
                Some(Ok(completed)) => this.consumed = completed,
                None => this.consumed = 0,
                Some(Err(TooMany { status, sound })) => {
                    if sound == 0 {
                        return Poll::Ready(Some(Err(status)));
                    }
                    // The messages before the refused one are answered first.
                    let before = data.slice(..sound);
                    this.refused = Some(status);
                    this.consumed = 0;
                    return Poll::Ready(Some(Ok(Frame::data(before))));
                }
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// An answer's state, shared with the timer that drops it at the deadline.
struct Answer {
    /// tonic's encoder for the answer. Dropped as soon as the answer ends
    /// early: the slices handed out share its buffer, which lives as long as it does.
    inner: Option<Body>,
    /// What the client has not been handed yet.
    unsent: Bytes,
    held: Held,
    /// The call's deadline passed with part of the answer still here.
    expired: bool,
}

impl Answer {
    fn abandon(&mut self) {
        self.inner = None;
        let left = self.unsent.len();
        self.unsent = Bytes::new();
        self.held.release(left);
    }
}

/// An answer handed over slice by slice, counted until handed over, and
/// dropped if the client has not read it by the call's deadline.
struct MeteredAnswer {
    answer: Arc<Mutex<Answer>>,
    deadline: Option<Instant>,
    expiry: Option<tokio::task::JoinHandle<()>>,
    done: bool,
}

impl MeteredAnswer {
    fn new(inner: Body, held: Held, deadline: Option<Instant>) -> Self {
        let answer = Answer { inner: Some(inner), unsent: Bytes::new(), held, expired: false };
        MeteredAnswer { answer: Arc::new(Mutex::new(answer)), deadline, expiry: None, done: false }
    }

    /// Frees what is left of the answer at the deadline, even though the
    /// connection, waiting for the client to read, no longer asks for more.
    fn arm_expiry(&mut self) {
        let (Some(deadline), None) = (self.deadline, &self.expiry) else {
            return;
        };
        let answer = Arc::downgrade(&self.answer);
        self.expiry = Some(tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            if let Some(answer) = answer.upgrade() {
                let mut answer = answer.lock().unwrap_or_else(PoisonError::into_inner);
                if !answer.unsent.is_empty() {
                    answer.abandon();
                    answer.expired = true;
                }
            }
        }));
    }

    /// Ends the answer with `status` in its trailers.
    fn end(&mut self, status: &Status) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        self.done = true;
        let mut headers = HeaderMap::new();
        if status.add_header(&mut headers).is_err() {
            headers.insert("grpc-status", http::HeaderValue::from(status.code() as i32));
        }
        Poll::Ready(Some(Ok(Frame::trailers(headers))))
    }
}

impl Drop for MeteredAnswer {
    fn drop(&mut self) {
        if let Some(expiry) = self.expiry.take() {
            expiry.abort();
        }
    }
}

impl http_body::Body for MeteredAnswer {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        let shared = Arc::clone(&this.answer);
        let mut answer = shared.lock().unwrap_or_else(PoisonError::into_inner);
        if answer.expired {
            drop(answer);
            return this.end(&Status::deadline_exceeded("the answer was not read before the call's deadline"));
        }
        if !answer.unsent.is_empty() {
            let take = ANSWER_SLICE.min(answer.unsent.len());
            let slice = answer.unsent.split_to(take);
            answer.held.release(slice.len());
            return Poll::Ready(Some(Ok(Frame::data(slice))));
        }
        let Some(inner) = answer.inner.as_mut() else {
            this.done = true;
            return Poll::Ready(None);
        };
        let frame = match std::task::ready!(Pin::new(inner).poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            other => {
                answer.inner = None;
                return Poll::Ready(other);
            }
        };
        let mut data = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => return Poll::Ready(Some(Ok(frame))),
        };
        if let Err(refusal) = answer.held.take(data.len()) {
            answer.abandon();
            drop(answer);
            return this.end(&refusal.status("answer dropped"));
        }
        answer.unsent = if data.len() > ANSWER_SLICE { data.split_off(ANSWER_SLICE) } else { Bytes::new() };
        answer.held.release(data.len());
        let more = !answer.unsent.is_empty();
        drop(answer);
        if more {
            this.arm_expiry();
        }
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

/// Counts the entries of one repeated top-level field in each message of a
/// gRPC request body, as the bytes arrive, so that a message of millions of
/// empty entries is refused long before it is decoded.
#[derive(Debug)]
pub(crate) struct EntryCounter {
    field: u32,
    name: &'static str,
    max: usize,
    /// The 5-byte gRPC frame header being read (flag, big-endian length).
    header: [u8; 5],
    header_read: usize,
    /// Bytes of the current message still to come.
    message_left: usize,
    /// Bytes of the current message seen so far, header included.
    message_seen: usize,
    /// Compressed or malformed: left to the decoder, which refuses it.
    opaque: bool,
    entries: usize,
    state: Wire,
}

/// A message with too many entries: refused, after the `sound` bytes of the
/// chunk that belong to the messages before it, which are served.
#[derive(Debug)]
pub(crate) struct TooMany {
    pub(crate) status: Status,
    pub(crate) sound: usize,
}

/// Where the counter is within a protobuf field.
#[derive(Debug, Clone, Copy)]
enum Wire {
    Key { value: u64, shift: u32 },
    Varint,
    Length { field: u32, value: u64, shift: u32 },
    Skip(usize),
}

const FRESH_KEY: Wire = Wire::Key { value: 0, shift: 0 };

impl EntryCounter {
    /// The counter for a method's repeated field, if it has one.
    pub(crate) fn for_method(path: &str, max_per_message: usize) -> Option<Self> {
        let (field, name, max) = match path {
            "/tweetguide.v1.Classifier/Classify" | "/tweetguide.v1.Classifier/ClassifyStream" => {
                (1, "tweets", max_per_message)
            }
            "/tweetguide.v1.Auditor/ScoreTimeline" => (2, "tweets", MAX_TIMELINE_TWEETS),
            "/tweetguide.v1.Trainer/AddExamples" => (1, "examples", max_per_message),
            _ => return None,
        };
        Some(EntryCounter {
            field,
            name,
            max,
            header: [0; 5],
            header_read: 0,
            message_left: 0,
            message_seen: 0,
            opaque: false,
            entries: 0,
            state: FRESH_KEY,
        })
    }

    /// Reads the next bytes of the body; returns how many bytes of messages
    /// were completed by them.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Result<usize, TooMany> {
        let mut completed = 0;
        let mut bytes = chunk;
        // Where the current message began in this chunk (0: in an earlier one).
        let mut message_start = 0;
        while !bytes.is_empty() {
            if self.header_read == 0 {
                message_start = chunk.len() - bytes.len();
            }
            if self.header_read < self.header.len() {
                let take = (self.header.len() - self.header_read).min(bytes.len());
                self.header[self.header_read..self.header_read + take].copy_from_slice(&bytes[..take]);
                self.header_read += take;
                self.message_seen += take;
                bytes = &bytes[take..];
                if self.header_read == self.header.len() {
                    let [flag, length @ ..] = self.header;
                    self.message_left = u32::from_be_bytes(length) as usize;
                    self.opaque = flag != 0;
                    self.entries = 0;
                    self.state = FRESH_KEY;
                }
            } else {
                let take = self.message_left.min(bytes.len());
                if !self.opaque {
                    self.scan(&bytes[..take]).map_err(|status| TooMany { status, sound: message_start })?;
                }
                self.message_left -= take;
                self.message_seen += take;
                bytes = &bytes[take..];
            }
            if self.header_read == self.header.len() && self.message_left == 0 {
                completed += std::mem::take(&mut self.message_seen);
                self.header_read = 0;
            }
        }
        Ok(completed)
    }

    /// Walks the top-level fields of part of a message.
    fn scan(&mut self, mut bytes: &[u8]) -> Result<(), Status> {
        while let Some((&byte, rest)) = bytes.split_first() {
            match &mut self.state {
                Wire::Skip(left) => {
                    let take = (*left).min(bytes.len());
                    *left -= take;
                    bytes = &bytes[take..];
                    if *left == 0 {
                        self.state = FRESH_KEY;
                    }
                    continue;
                }
                Wire::Key { value, shift } => {
                    *value |= u64::from(byte & 0x7f) << *shift;
                    *shift += 7;
                    if byte & 0x80 != 0 && *shift > 63 {
                        self.opaque = true;
                        return Ok(());
                    }
                    if byte & 0x80 == 0 {
                        let field = u32::try_from(*value >> 3).unwrap_or(u32::MAX);
                        self.state = match *value & 7 {
                            0 => Wire::Varint,
                            1 => Wire::Skip(8),
                            2 => Wire::Length { field, value: 0, shift: 0 },
                            5 => Wire::Skip(4),
                            _ => {
                                self.opaque = true;
                                return Ok(());
                            }
                        };
                    }
                }
                Wire::Varint => {
                    if byte & 0x80 == 0 {
                        self.state = FRESH_KEY;
                    }
                }
                Wire::Length { field, value, shift } => {
                    *value |= u64::from(byte & 0x7f) << *shift;
                    *shift += 7;
                    if byte & 0x80 != 0 && *shift > 63 {
                        self.opaque = true;
                        return Ok(());
                    }
                    if byte & 0x80 == 0 {
                        if *field == self.field {
                            self.entries += 1;
                            if self.entries > self.max {
                                return Err(Status::invalid_argument(format!(
                                    "{}: more than {max} in one message, over the limit of {max} per message",
                                    self.name,
                                    max = self.max
                                )));
                            }
                        }
                        let length = usize::try_from(*value).unwrap_or(usize::MAX);
                        self.state = if length == 0 { FRESH_KEY } else { Wire::Skip(length) };
                    }
                }
            }
            bytes = rest;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::proto::v1::{ClassifyRequest, Tweet};

    fn framed(message: &impl Message) -> Vec<u8> {
        let body = message.encode_to_vec();
        let mut framed = vec![0];
        framed.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
        framed.extend_from_slice(&body);
        framed
    }

    fn request(n: usize) -> ClassifyRequest {
        let tweets = (0..n).map(|i| Tweet { id: i.to_string(), text: "x".repeat(i % 300), ..Tweet::default() });
        ClassifyRequest { tweets: tweets.collect(), top_features: Some(3) }
    }

    fn counter(max: usize) -> EntryCounter {
        EntryCounter::for_method("/tweetguide.v1.Classifier/Classify", max).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn counts_entries_whatever_the_chunking() {
        let mut stream = framed(&request(40));
        stream.extend(framed(&request(7)));
        for chunk in [1, 2, 3, 5, 64, 1000, stream.len()] {
            let mut scanner = counter(40);
            let completed: usize = stream
                .chunks(chunk)
                .map(|c| scanner.feed(c).map_err(|e| e.status.to_string()))
                .sum::<Result<usize, _>>()
                .unwrap_or_default();
            assert_eq!(completed, stream.len(), "chunks of {chunk}");
            let mut scanner = counter(39);
            let refused = stream.chunks(chunk).map(|c| scanner.feed(c)).find_map(Result::err);
            let message = refused.as_ref().map(|e| e.status.message().to_owned()).unwrap_or_default();
            assert!(message.starts_with("tweets: more than 39"), "chunks of {chunk}: {message}");
            // The first message (40 entries) is over, the second (7) is not:
            // nothing before the first is sound.
            assert_eq!(refused.map(|e| e.sound), Some(0), "chunks of {chunk}");
        }
        // With the limit between the two, the first message passes whole.
        let first_len = framed(&request(40)).len();
        let mut reversed = framed(&request(7));
        reversed.extend(framed(&request(40)));
        let mut scanner = counter(20);
        match scanner.feed(&reversed) {
            Err(TooMany { sound, .. }) => assert_eq!(sound, reversed.len() - first_len),
            Ok(_) => unreachable!("the second message is over the limit"),
        }
    }

    #[test]
    fn refuses_a_flood_of_empty_entries_after_the_first_one_too_many() {
        let mut body = Vec::new();
        for _ in 0..100_000 {
            body.extend_from_slice(&[0x0a, 0x00]);
        }
        let mut stream = vec![0];
        stream.extend_from_slice(&u32::try_from(body.len()).unwrap_or(0).to_be_bytes());
        stream.extend_from_slice(&body);
        let mut scanner = counter(10_000);
        let mut fed = 0;
        for chunk in stream.chunks(16 * 1024) {
            fed += chunk.len();
            if scanner.feed(chunk).is_err() {
                break;
            }
        }
        assert!(fed <= 2 * 16 * 1024, "read {fed} bytes before refusing");
    }

    #[test]
    fn budget_shares_refuse_and_give_back() {
        let budget = Arc::new(MessageBudget::new(10, 6));
        let (a, b) = (Arc::new(ConnectionUsage::default()), Arc::new(ConnectionUsage::default()));
        let mut first = Held::new(Arc::clone(&budget), Arc::clone(&a));
        assert!(first.take(8).is_ok() && first.take(1).is_ok(), "a call alone is never refused");
        let mut beside = Held::new(Arc::clone(&budget), Arc::clone(&a));
        assert!(matches!(beside.take(1), Err(Refusal::Connection { .. })));
        let mut second = Held::new(Arc::clone(&budget), Arc::clone(&b));
        assert!(second.take(1).is_ok());
        assert!(matches!(second.take(1), Err(Refusal::Server { .. })));
        assert!(budget.admits(&a).is_err() && budget.admits(&b).is_err());
        drop((first, beside));
        assert_eq!(a.held_bytes.load(Ordering::Acquire), 0);
        assert!(budget.admits(&a).is_ok());
        second.release(1);
        assert_eq!(budget.held.load(Ordering::Acquire), 0);
    }
}
