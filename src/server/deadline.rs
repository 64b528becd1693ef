//! Call deadlines: the caller's `grpc-timeout`, capped by the operator's
//! `--max-deadline`.
//!
//! tonic enforces `grpc-timeout` itself but answers CANCELLED where the gRPC
//! spec says DEADLINE_EXCEEDED, and it cannot bound a stream, whose handler
//! returns at once. This layer, inside tonic's, fires first with the right
//! code, and hands the deadline to stream handlers in the request extensions.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::http;
use tower::{Layer, Service};

/// When the call must be over, from the moment it arrived.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallDeadline(pub(crate) Instant);

/// tonic's own timer starts a moment before ours; firing this much earlier
/// makes sure our DEADLINE_EXCEEDED, not its CANCELLED, is what the caller gets.
const MARGIN: Duration = Duration::from_millis(1);

/// The caller's `grpc-timeout` (`<up to 8 digits><unit>`, units H M S m u n).
fn caller_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Bounds every call by the caller's deadline and `cap`, whichever is sooner.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeadlineLayer {
    pub(crate) cap: Duration,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadlined<S>;

    fn layer(&self, inner: S) -> Deadlined<S> {
        Deadlined { inner, cap: self.cap }
    }
}

/// See [`DeadlineLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Deadlined<S> {
    inner: S,
    cap: Duration,
}

impl<S, B> Service<http::Request<B>> for Deadlined<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let allowed = match caller_timeout(request.headers()) {
            Some(asked) if asked <= self.cap => asked.saturating_sub(MARGIN),
            _ => self.cap,
        };
        let deadline = Instant::now() + allowed;
        request.extensions_mut().insert(CallDeadline(deadline));
        let call = self.inner.call(request);
        Box::pin(async move {
            match tokio::time::timeout_at(deadline, call).await {
                Ok(response) => response,
                Err(_) => Ok(Status::deadline_exceeded(format!("deadline exceeded after {allowed:?}")).into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout(value: &'static str) -> Option<Duration> {
        let mut headers = http::HeaderMap::new();
        headers.insert("grpc-timeout", http::HeaderValue::from_static(value));
        caller_timeout(&headers)
    }

    #[test]
    fn reads_every_unit_and_refuses_malformed_values() {
        assert_eq!(timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(timeout("3M"), Some(Duration::from_secs(180)));
        assert_eq!(timeout("10S"), Some(Duration::from_secs(10)));
        assert_eq!(timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(timeout("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in ["", "S", "123456789S", "10s", "-1S", "1.5S", "10"] {
            assert_eq!(timeout(bad), None, "{bad:?}");
        }
    }
}
