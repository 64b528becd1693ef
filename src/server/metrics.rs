//! Prometheus metrics. Recording goes through the `metrics` facade, which
//! costs next to nothing when no exporter is installed (`serve` installs one
//! only with `--metrics-addr`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::Frame;
use metrics::{counter, gauge, histogram};
use tonic::body::Body;
use tonic::codegen::http;
use tonic::{Code, Status};
use tower::{Layer, Service};

use crate::Label;

/// Counts classified tweets by predicted label.
pub(crate) fn tweets_classified(counts: [u64; Label::COUNT]) {
    for label in Label::ALL {
        let n = counts[label.index()];
        if n > 0 {
            counter!("tweetguide_tweets_classified_total", "label" => label.as_str()).increment(n);
        }
    }
}

/// Marks `version` as the active model (1) and `previous` as inactive (0).
pub(crate) fn active_model(version: &str, previous: Option<&str>) {
    if let Some(previous) = previous.filter(|p| *p != version) {
        gauge!("tweetguide_active_model", "version" => previous.to_owned()).set(0.0);
    }
    gauge!("tweetguide_active_model", "version" => version.to_owned()).set(1.0);
}

/// Counts a retrain by outcome and records how long it took.
pub(crate) fn retrain(outcome: &'static str, seconds: f64) {
    counter!("tweetguide_retrains_total", "outcome" => outcome).increment(1);
    histogram!("tweetguide_retrain_duration_seconds").record(seconds);
}

/// Counts an open ClassifyStream until dropped, however the stream ends:
/// finished, failed, past its deadline, or abandoned by a client that went away.
pub(crate) struct OpenStream(());

impl OpenStream {
    pub(crate) fn new() -> Self {
        gauge!("tweetguide_streams_open").increment(1.0);
        OpenStream(())
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        gauge!("tweetguide_streams_open").decrement(1.0);
    }
}

/// Installs the Prometheus exporter, serving `/metrics` on `addr`. Must run
/// inside the tokio runtime.
pub fn install_exporter(addr: std::net::SocketAddr) -> Result<(), String> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let latency = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
    let retrain = [0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(Matcher::Full("tweetguide_request_duration_seconds".into()), &latency)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full("tweetguide_retrain_duration_seconds".into()), &retrain))
        .map_err(|e| e.to_string())?
        .install()
        .map_err(|e| e.to_string())
}

/// Counts every call of the `tweetguide.v1` services by RPC and final
/// status, and records its latency, when the call is really over: a stream
/// when its trailers go out, a unary call when its answer does. Outermost,
/// it also sees the calls refused by the layers under it (deadline, budget,
/// token).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallMetricsLayer;

impl<S> Layer<S> for CallMetricsLayer {
    type Service = CallMetrics<S>;

    fn layer(&self, inner: S) -> CallMetrics<S> {
        CallMetrics { inner }
    }
}

/// See [`CallMetricsLayer`].
#[derive(Debug, Clone)]
pub(crate) struct CallMetrics<S> {
    inner: S,
}

impl<S> Service<http::Request<Body>> for CallMetrics<S>
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
        let rpc = request
            .uri()
            .path()
            .strip_prefix("/tweetguide.v1.")
            .and_then(|path| path.split_once('/'))
            .map(|(_, method)| method.to_owned());
        let call = self.inner.call(request);
        Box::pin(async move {
            let started = Instant::now();
            let response = call.await?;
            let Some(rpc) = rpc else { return Ok(response) };
            if let Some(code) = grpc_code(response.headers()) {
                record(&rpc, code, started);
                return Ok(response);
            }
            Ok(response.map(|inner| Body::new(ObservedBody { inner, rpc, started, recorded: false })))
        })
    }
}

/// The status code in a `grpc-status` header, if there is one.
fn grpc_code(headers: &http::HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(Code::from_i32(value))
}

fn record(rpc: &str, code: Code, started: Instant) {
    let code = match code {
        Code::Ok => "OK".to_owned(),
        other => format!("{other:?}"),
    };
    counter!("tweetguide_requests_total", "rpc" => rpc.to_owned(), "code" => code).increment(1);
    histogram!("tweetguide_request_duration_seconds", "rpc" => rpc.to_owned()).record(started.elapsed().as_secs_f64());
}

/// An answer that records its call's outcome when its trailers pass, or as
/// `Cancelled` if it is dropped before (the client went away).
struct ObservedBody {
    inner: Body,
    rpc: String,
    started: Instant,
    recorded: bool,
}

impl http_body::Body for ObservedBody {
    type Data = prost::bytes::Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<prost::bytes::Bytes>, Status>>> {
        let this = &mut *self;
        let frame = std::task::ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if !this.recorded {
            let code = match &frame {
                Some(Ok(frame)) => frame.trailers_ref().map(|t| grpc_code(t).unwrap_or(Code::Unknown)),
                Some(Err(status)) => Some(status.code()),
                None => Some(Code::Unknown),
            };
            if let Some(code) = code {
                record(&this.rpc, code, this.started);
                this.recorded = true;
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for ObservedBody {
    fn drop(&mut self) {
        if !self.recorded {
            record(&self.rpc, Code::Cancelled, self.started);
        }
    }
}
