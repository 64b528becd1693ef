//! What a caller without a token can try against a tweetguide server, each
//! attack from the hardening issue reproduced on purpose, and a well-behaved
//! caller to measure what the others are left with.
//!
//! Shared by the `siege` example (all four at once, with figures) and the
//! limit tests (each alone, at a smaller scale, with assertions).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use prost::Message;
use prost::bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tonic::codegen::http;
use tweetguide::proto::v1::classifier_client::ClassifierClient;
use tweetguide::proto::v1::{ClassifyRequest, Tweet};

/// The server's default message size limit.
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// The peak resident memory of a process (`VmHWM`), in MiB.
pub fn peak_rss_mib(pid: u32) -> f64 {
    rss_field(pid, "VmHWM:")
}

/// The resident memory of a process now (`VmRSS`), in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    rss_field(pid, "VmRSS:")
}

fn rss_field(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

/// gRPC framing: not compressed, big-endian length, message.
pub fn grpc_frame(message: &[u8]) -> Bytes {
    let mut framed = Vec::with_capacity(message.len() + 5);
    framed.push(0);
    framed.extend_from_slice(&u32::try_from(message.len()).unwrap_or(u32::MAX).to_be_bytes());
    framed.extend_from_slice(message);
    Bytes::from(framed)
}

/// A raw HTTP/2 connection: to send what no gRPC client sends on purpose.
pub async fn raw_connection(addr: SocketAddr, window: u32) -> h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let (send, connection) = h2::client::Builder::new()
        .initial_window_size(window)
        .initial_connection_window_size(window.max(65_535))
        .max_send_buffer_size(4 * 1024 * 1024)
        .handshake(tcp)
        .await
        .expect("h2 handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    send.ready().await.expect("ready")
}

pub fn call_headers(addr: SocketAddr, method: &str, timeout: Option<&str>) -> http::Request<()> {
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}/tweetguide.v1.Classifier/{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(timeout) = timeout {
        request = request.header("grpc-timeout", timeout);
    }
    request.body(()).expect("request")
}

/// The `grpc-status` and `grpc-message` of a raw response, from its headers
/// or its trailers, reading (and discarding) its body.
pub async fn grpc_outcome(response: http::Response<h2::RecvStream>) -> (String, String) {
    let pick = |headers: &http::HeaderMap| {
        let status = headers.get("grpc-status")?.to_str().ok()?.to_owned();
        let message = headers.get("grpc-message").and_then(|m| m.to_str().ok()).unwrap_or_default();
        Some((status, percent_decode(message)))
    };
    if let Some(outcome) = pick(response.headers()) {
        return outcome;
    }
    let mut body = response.into_body();
    while let Some(chunk) = body.data().await {
        let Ok(chunk) = chunk else { return ("reset".to_owned(), String::new()) };
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    match body.trailers().await {
        Ok(Some(trailers)) => pick(&trailers).unwrap_or_default(),
        _ => ("reset".to_owned(), String::new()),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Attack 1: a message of about 16 MB made of 8 million empty `Tweet`
/// entries, each two bytes on the wire and about 80 once decoded. Returns
/// each call's outcome.
pub async fn empty_entries(addr: SocketAddr, calls: usize) -> Vec<(String, String)> {
    let entries = (MAX_MESSAGE - 64) / 2;
    let message = grpc_frame(&[0x0a, 0x00].repeat(entries));
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let message = message.clone();
            tokio::spawn(async move {
                let mut send = raw_connection(addr, 65_535).await;
                send = send.ready().await.expect("ready");
                let (answer, mut body) = send.send_request(call_headers(addr, "Classify", None), false).expect("send");
                let _ = body.send_data(message, true);
                match answer.await {
                    Ok(response) => grpc_outcome(response).await,
                    Err(error) => ("reset".to_owned(), error.to_string()),
                }
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("attack task"));
    }
    outcomes
}

/// What an attack keeps open; dropping it ends the attack.
pub struct Held {
    _connections: Vec<h2::client::SendRequest<Bytes>>,
    _streams: Vec<h2::SendStream<Bytes>>,
    _answers: Vec<h2::client::ResponseFuture>,
    _sockets: Vec<TcpStream>,
    /// Outcomes of the calls that the server already ended.
    pub refused: Vec<(String, String)>,
}

/// Attack 2: on each connection, `streams` calls that announce a message of
/// nearly 16 MiB and send all of it but the last byte.
pub async fn partial_uploads(addr: SocketAddr, connections: usize, streams: usize) -> Held {
    // One tweet whose text fills the message; all but its last byte is sent.
    let length = MAX_MESSAGE - 16;
    let mut message = vec![0x0a];
    let inner = length - 1 - 4;
    prost::encoding::encode_varint(inner as u64, &mut message);
    message.resize(length, b'x');
    let framed = grpc_frame(&message);
    let partial = framed.slice(..framed.len() - 1);
    let mut held = Held { _connections: vec![], _streams: vec![], _answers: vec![], _sockets: vec![], refused: vec![] };
    let mut answers = Vec::new();
    for _ in 0..connections {
        let mut send = raw_connection(addr, 65_535).await;
        for _ in 0..streams {
            send = send.ready().await.expect("ready");
            let (answer, mut body) = send.send_request(call_headers(addr, "Classify", None), false).expect("send");
            let _ = body.send_data(partial.clone(), false);
            held._streams.push(body);
            answers.push(answer);
        }
        held._connections.push(send);
    }
    // Give the bytes time to reach the server, then collect the calls it ended.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for mut answer in answers {
        match tokio::time::timeout(Duration::from_millis(1), &mut answer).await {
            Ok(Ok(response)) => held.refused.push(grpc_outcome(response).await),
            Ok(Err(error)) => held.refused.push(("reset".to_owned(), error.to_string())),
            Err(_) => held._answers.push(answer),
        }
    }
    held
}

/// A `ClassifyRequest` of `n` tweets of a typical length.
pub fn classify_request(n: usize) -> ClassifyRequest {
    let tweets = (0..n)
        .map(|i| Tweet {
            id: i.to_string(),
            text: format!("Tweet {i} : nouvelle offre -20% ce week-end sur toute la boutique, réservez vite #promo"),
            ..Tweet::default()
        })
        .collect();
    ClassifyRequest { tweets, top_features: None }
}

/// Attack 3: on each connection, `calls` Classify calls of `tweets` tweets
/// each, whose answers are never read (the connection's receive window is
/// never released). Each call carries `timeout` as its deadline.
pub async fn unread_answers(
    addr: SocketAddr,
    connections: usize,
    calls: usize,
    tweets: usize,
    timeout: Option<&str>,
) -> Vec<(h2::client::SendRequest<Bytes>, Vec<h2::client::ResponseFuture>)> {
    let message = grpc_frame(&classify_request(tweets).encode_to_vec());
    let mut held = Vec::new();
    for _ in 0..connections {
        let mut send = raw_connection(addr, 65_535).await;
        let mut answers = Vec::new();
        for _ in 0..calls {
            send = send.ready().await.expect("ready");
            let (answer, mut body) = send.send_request(call_headers(addr, "Classify", timeout), false).expect("send");
            let _ = body.send_data(message.clone(), true);
            answers.push(answer);
        }
        held.push((send, answers));
    }
    held
}

/// Attack 4: `n` TCP connections that never speak HTTP/2; every other one
/// sends half of the preface first.
pub async fn silent_connections(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut sockets = Vec::new();
    for i in 0..n {
        let Ok(mut tcp) = TcpStream::connect(addr).await else { break };
        if i % 2 == 1 {
            let _ = tcp.write_all(b"PRI * HTTP/2.0\r\n").await;
        }
        sockets.push(tcp);
    }
    sockets
}

/// Latencies of a well-behaved caller: Classify calls of `tweets` tweets,
/// one after the other, on a connection of its own, for `duration`.
pub struct Polite {
    pub latencies: Vec<Duration>,
    pub errors: Vec<String>,
}

impl Polite {
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

pub async fn polite_caller(addr: SocketAddr, tweets: usize, duration: Duration) -> Polite {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("polite caller connects");
    let mut client = ClassifierClient::new(channel);
    let request = classify_request(tweets);
    let mut polite = Polite { latencies: Vec::new(), errors: Vec::new() };
    let started = Instant::now();
    while started.elapsed() < duration {
        let call = Instant::now();
        match client.classify(request.clone()).await {
            Ok(_) => polite.latencies.push(call.elapsed()),
            Err(status) => polite.errors.push(format!("{:?}: {}", status.code(), status.message())),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    polite
}
