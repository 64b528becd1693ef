//! Prometheus metrics. Recording goes through the `metrics` facade, which
//! costs next to nothing when no exporter is installed (`serve` installs one
//! only with `--metrics-addr`).

use std::time::Instant;

use metrics::{counter, gauge, histogram};
use tonic::Status;

use crate::Label;

/// Counts a finished call by RPC and status code, and its latency.
pub(crate) fn observe<T>(rpc: &'static str, started: Instant, result: Result<T, Status>) -> Result<T, Status> {
    let code = match &result {
        Ok(_) => "OK".to_owned(),
        Err(status) => format!("{:?}", status.code()),
    };
    counter!("tweetguide_requests_total", "rpc" => rpc, "code" => code).increment(1);
    histogram!("tweetguide_request_duration_seconds", "rpc" => rpc).record(started.elapsed().as_secs_f64());
    result
}

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
