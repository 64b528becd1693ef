//! Accepting connections: how many, how long they may stay silent, and what
//! happens when the process runs out of file descriptors.
//!
//! tonic's own accept loop has no connection limit, keeps a connection that
//! never sends its HTTP/2 preface for ever, and retries a failing `accept`
//! (`EMFILE`) at once and in silence, spinning a core. This loop bounds the
//! first, times out the second, and backs off (with a log line) on the third.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tonic::transport::server::Connected;
use tracing::{debug, warn};

/// Bytes a client sends before anything can be served: the HTTP/2 preface
/// (24 bytes) and the frame header of its first SETTINGS frame (9 bytes).
/// Over TLS the handshake's own records come first, so the count is reached
/// sooner; tonic's TLS handshake timeout covers that case.
const HANDSHAKE_BYTES: usize = 24 + 9;

/// Longest pause between two `accept` attempts that keep failing.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// How often at most the "connection limit reached" warning is logged.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// How long a new connection waits for the slot of a silent connection that
/// was just closed to make room for it.
const EVICTION_WAIT: Duration = Duration::from_millis(500);

/// Memory one connection's calls hold, for the per-connection share of the
/// message budget (see `budget.rs`).
#[derive(Debug, Default)]
pub(crate) struct ConnectionUsage {
    pub(crate) held_bytes: AtomicUsize,
}

/// What the server knows about a connection; tonic puts it in every
/// request's extensions.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionInfo {
    pub(crate) remote: SocketAddr,
    pub(crate) usage: Arc<ConnectionUsage>,
}

/// A connection's life as the accept loop sees it.
#[derive(Debug, Default)]
struct Lifecycle {
    /// The client has sent its preface: it is a real client.
    spoke: AtomicBool,
    /// Set to close a connection that has not spoken yet.
    closing: AtomicBool,
    waker: AtomicWaker,
}

impl Lifecycle {
    fn close_if_silent(&self) -> bool {
        if self.spoke.load(Ordering::Acquire) {
            return false;
        }
        self.closing.store(true, Ordering::Release);
        self.waker.wake();
        true
    }
}

/// The connections that have not spoken yet, oldest first: the ones closed
/// to make room for a new one, and at shutdown.
#[derive(Debug, Default)]
pub(crate) struct SilentConnections(Mutex<VecDeque<Weak<Lifecycle>>>);

impl SilentConnections {
    fn track(&self, lifecycle: &Arc<Lifecycle>) {
        let mut list = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        list.retain(|weak| weak.upgrade().is_some_and(|l| !l.spoke.load(Ordering::Acquire)));
        list.push_back(Arc::downgrade(lifecycle));
    }

    /// Closes the oldest connection still silent; false when there is none.
    fn close_oldest(&self) -> bool {
        let mut list = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(oldest) = list.pop_front() {
            if oldest.upgrade().is_some_and(|lifecycle| lifecycle.close_if_silent()) {
                return true;
            }
        }
        false
    }

    /// Closes every connection that has not spoken: at shutdown they have
    /// no call to finish, and waiting for them would take the whole grace period.
    pub(crate) fn close_all(&self) {
        let list = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        for lifecycle in list.iter().filter_map(Weak::upgrade) {
            lifecycle.close_if_silent();
        }
    }
}

/// The accept loop's settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AcceptOptions {
    pub(crate) max_connections: usize,
    pub(crate) handshake_timeout: Duration,
}

/// The stream of accepted connections handed to tonic.
pub(crate) fn accept(
    listener: TcpListener,
    options: AcceptOptions,
    silent: Arc<SilentConnections>,
) -> impl Stream<Item = io::Result<Connection>> {
    let acceptor = Acceptor {
        listener,
        slots: Arc::new(Semaphore::new(options.max_connections)),
        options,
        silent,
        backoff: None,
        refused: 0,
        last_refusal_log: None,
    };
    futures_util::stream::unfold(acceptor, |mut acceptor| async move {
        let connection = acceptor.next().await;
        Some((Ok(connection), acceptor))
    })
}

struct Acceptor {
    listener: TcpListener,
    slots: Arc<Semaphore>,
    options: AcceptOptions,
    silent: Arc<SilentConnections>,
    backoff: Option<Duration>,
    refused: u64,
    last_refusal_log: Option<Instant>,
}

impl Acceptor {
    async fn next(&mut self) -> Connection {
        loop {
            let (tcp, remote) = match self.listener.accept().await {
                Ok(accepted) => {
                    self.backoff = None;
                    accepted
                }
                Err(error) => {
                    self.back_off(&error).await;
                    continue;
                }
            };
            let Some(slot) = self.slot().await else {
                self.refuse(remote);
                continue;
            };
            // Without TCP_NODELAY, a multi-frame answer waits ~40 ms for the
            // client's delayed ACK (Nagle): every batch call would take 44 ms.
            if let Err(error) = tcp.set_nodelay(true) {
                debug!(%error, %remote, "cannot set TCP_NODELAY");
            }
            let lifecycle = Arc::new(Lifecycle::default());
            self.silent.track(&lifecycle);
            return Connection {
                tcp,
                remote,
                handshake: Some(Handshake {
                    deadline: Box::pin(tokio::time::sleep(self.options.handshake_timeout)),
                    bytes_needed: HANDSHAKE_BYTES,
                }),
                lifecycle,
                usage: Arc::new(ConnectionUsage::default()),
                _slot: slot,
            };
        }
    }

    /// A free slot, making room if needed by closing the oldest connection
    /// that has not spoken yet: a client that only opens sockets cannot lock
    /// out one that calls.
    async fn slot(&mut self) -> Option<OwnedSemaphorePermit> {
        if let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() {
            return Some(slot);
        }
        if !self.silent.close_oldest() {
            return None;
        }
        self.log_limit("connection limit reached: closing the oldest connection that has sent nothing, to make room");
        tokio::time::timeout(EVICTION_WAIT, Arc::clone(&self.slots).acquire_owned()).await.ok()?.ok()
    }

    fn refuse(&mut self, remote: SocketAddr) {
        self.refused += 1;
        debug!(%remote, "connection refused: at the connection limit");
        self.log_limit("connection limit reached: closing new connections until others end (see --max-connections)");
    }

    /// Says that the limit is reached, at most once per interval.
    fn log_limit(&mut self, what: &str) {
        let now = Instant::now();
        if self.last_refusal_log.is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_INTERVAL) {
            warn!(max_connections = self.options.max_connections, refused_so_far = self.refused, "{what}");
            self.last_refusal_log = Some(now);
        }
    }

    /// Errors that concern one connection (it was reset before being
    /// accepted) are skipped at once; the others (out of file descriptors,
    /// of memory) repeat until something is freed, so the loop waits,
    /// doubling the pause up to a second, and says so.
    async fn back_off(&mut self, error: &io::Error) {
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
        ) {
            debug!(%error, "a connection ended before it was accepted");
            return;
        }
        let pause = self.backoff.map_or(Duration::from_millis(5), |last| (last * 2).min(MAX_ACCEPT_BACKOFF));
        if self.backoff != Some(pause) {
            warn!(%error, pause = ?pause, "cannot accept connections; retrying after a pause");
        }
        self.backoff = Some(pause);
        tokio::time::sleep(pause).await;
    }
}

/// The time left to a new connection to say something.
struct Handshake {
    deadline: Pin<Box<Sleep>>,
    bytes_needed: usize,
}

/// An accepted TCP connection that holds one of the `--max-connections`
/// slots until it is dropped, and is closed if it stays silent past the
/// handshake timeout.
pub(crate) struct Connection {
    tcp: TcpStream,
    remote: SocketAddr,
    handshake: Option<Handshake>,
    lifecycle: Arc<Lifecycle>,
    usage: Arc<ConnectionUsage>,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    /// While the client has not spoken: an error once it is too late or the
    /// connection was chosen to make room.
    fn check_handshake(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let Some(handshake) = &mut self.handshake else {
            return Ok(());
        };
        self.lifecycle.waker.register(cx.waker());
        if self.lifecycle.closing.load(Ordering::Acquire) {
            debug!(remote = %self.remote, "closing a connection that has not spoken, to make room or to shut down");
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "closed before its first request"));
        }
        if handshake.deadline.as_mut().poll(cx).is_ready() {
            debug!(remote = %self.remote, "closing a connection that sent no HTTP/2 preface in time");
            return Err(io::Error::new(io::ErrorKind::TimedOut, "no HTTP/2 preface before the handshake timeout"));
        }
        Ok(())
    }
}

impl AsyncRead for Connection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Err(error) = this.check_handshake(cx) {
            return Poll::Ready(Err(error));
        }
        let before = buf.filled().len();
        let result = Pin::new(&mut this.tcp).poll_read(cx, buf);
        if let Some(handshake) = &mut this.handshake {
            let read = buf.filled().len() - before;
            handshake.bytes_needed = handshake.bytes_needed.saturating_sub(read);
            if handshake.bytes_needed == 0 {
                this.handshake = None;
                this.lifecycle.spoke.store(true, Ordering::Release);
            }
        }
        result
    }
}

impl AsyncWrite for Connection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

impl Connected for Connection {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> ConnectionInfo {
        ConnectionInfo { remote: self.remote, usage: Arc::clone(&self.usage) }
    }
}
