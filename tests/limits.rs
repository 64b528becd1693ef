//! The limits an operator sets on `serve`: tweets per message, deadlines
//! (the caller's and the server's cap, for calls and for whole streams),
//! calls per connection, HTTP/2 keepalive, and the resources of a client
//! that goes away mid-stream.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::process::ServerProcess;
use common::{TestServer, tweet};
use prost::Message;
use prost::bytes::Bytes;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic::codegen::http;
use tweetguide::proto::v1::classifier_client::ClassifierClient;
use tweetguide::proto::v1::{ClassifyRequest, ClassifyResponse, Tweet};
use tweetguide::server::ServerOptions;

fn tweets(n: usize) -> Vec<Tweet> {
    (0..n)
        .map(|i| tweet(i.to_string(), format!("Tweet {i}: nouvelle offre -20% ce week-end, réservez vite #promo")))
        .collect()
}

fn request(tweets: Vec<Tweet>) -> ClassifyRequest {
    ClassifyRequest { tweets, top_features: None }
}

async fn classifier(server: &TestServer) -> ClassifierClient<tonic::transport::Channel> {
    ClassifierClient::new(server.channel().await).max_decoding_message_size(64 << 20)
}

/// Opens a ClassifyStream, sends one chunk and waits for its answer; the
/// stream stays open while the returned sender lives.
async fn open_stream(
    client: &mut ClassifierClient<tonic::transport::Channel>,
    timeout: Option<Duration>,
) -> (mpsc::Sender<ClassifyRequest>, tonic::Streaming<ClassifyResponse>) {
    let (sender, receiver) = mpsc::channel(4);
    sender.send(request(tweets(2))).await.expect("queue chunk");
    let mut call = tonic::Request::new(ReceiverStream::new(receiver));
    if let Some(timeout) = timeout {
        call.set_timeout(timeout);
    }
    let mut answers = client.classify_stream(call).await.expect("stream opens").into_inner();
    let first = answers.message().await.expect("first answer").expect("an answer");
    assert_eq!(first.predictions.len(), 2);
    (sender, answers)
}

#[tokio::test]
async fn tweets_per_message_follow_the_operators_limit() {
    let server = TestServer::start_with(ServerOptions { max_tweets_per_message: 5, ..Default::default() }).await;
    let mut client = classifier(&server).await;
    client.classify(request(tweets(5))).await.expect("at the limit");
    let status = client.classify(request(tweets(6))).await.expect_err("over the limit");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "tweets: more than 5 in one message, over the limit of 5 per message");

    let chunks = vec![request(tweets(5)), request(tweets(6))];
    let mut answers = client.classify_stream(tokio_stream::iter(chunks)).await.expect("stream").into_inner();
    assert_eq!(answers.message().await.expect("first chunk").expect("answer").predictions.len(), 5);
    let status = answers.message().await.expect_err("second chunk is over the limit");
    assert_eq!(status.message(), "chunk 1: tweets: more than 5 in one message, over the limit of 5 per message");
}

#[tokio::test]
async fn the_callers_deadline_is_honoured() {
    let server = TestServer::start().await;
    let mut client = classifier(&server).await;
    client.classify(request(tweets(10_000))).await.expect("no deadline: answered");
    // tonic's client gives up at its own deadline too, so the server's side
    // is checked on a raw connection that only sends `grpc-timeout`.
    let mut send = raw_connection(server.addr).await;
    let mut headers = classify_headers(server.addr);
    headers.headers_mut().insert("grpc-timeout", http::HeaderValue::from_static("1m"));
    let (answer, mut body) = send.send_request(headers, false).expect("send");
    body.send_data(grpc_frame(&request(tweets(10_000))), true).expect("body");
    let answer = tokio::time::timeout(Duration::from_secs(30), answer).await.expect("answered").expect("response");
    assert_eq!(grpc_status(answer).await, "4", "DEADLINE_EXCEEDED after 1 ms");

    // A stream is bounded as a whole by its caller's deadline.
    let started = Instant::now();
    let (_keep_open, mut answers) = open_stream(&mut client, Some(Duration::from_millis(300))).await;
    let status = answers.message().await.expect_err("the stream outlived its deadline");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "ended after {:?}", started.elapsed());
}

#[tokio::test]
async fn the_server_caps_every_deadline() {
    let capped = ServerOptions { max_deadline: Duration::from_millis(300), ..Default::default() };
    let server = TestServer::start_with(capped).await;
    let mut client = classifier(&server).await;
    client.classify(request(tweets(3))).await.expect("a quick call is answered");
    // The caller asks for an hour; the server allows 300 ms.
    let started = Instant::now();
    let (_keep_open, mut answers) = open_stream(&mut client, Some(Duration::from_secs(3600))).await;
    let status = answers.message().await.expect_err("the stream outlived the server's cap");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(status.message().contains("deadline"), "{status:?}");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(10), "ended after {elapsed:?}");

    let tight = ServerOptions { max_deadline: Duration::from_millis(1), ..Default::default() };
    let server = TestServer::start_with(tight).await;
    let status = classifier(&server).await.classify(request(tweets(10_000))).await.expect_err("over the 1 ms cap");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
}

#[tokio::test]
async fn open_calls_per_connection_are_bounded() {
    let server = TestServer::start_with(ServerOptions { max_streams_per_connection: 2, ..Default::default() }).await;
    let mut client = classifier(&server).await;
    let (first, _answers_1) = open_stream(&mut client, None).await;
    let (_second, _answers_2) = open_stream(&mut client, None).await;
    // A third call on the same connection waits for a free stream.
    let mut waiting = client.clone();
    let third = tokio::spawn(async move { waiting.classify(request(tweets(1))).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!third.is_finished(), "a third call ran while two streams were open");
    drop(first);
    drop(_answers_1);
    let answer = tokio::time::timeout(Duration::from_secs(10), third).await.expect("runs once a stream closes");
    answer.expect("task").expect("classified");

    // Another connection is not held back by this one.
    let mut other = classifier(&server).await;
    other.classify(request(tweets(1))).await.expect("other connection");
}

/// A raw HTTP/2 connection, to hold a call half-sent, which no gRPC client does on purpose.
async fn raw_connection(addr: std::net::SocketAddr) -> h2::client::SendRequest<Bytes> {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (send, connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
    tokio::spawn(connection);
    send.ready().await.expect("ready")
}

fn classify_headers(addr: std::net::SocketAddr) -> http::Request<()> {
    http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}/tweetguide.v1.Classifier/Classify"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("request")
}

/// gRPC framing: not compressed, length, message.
fn grpc_frame(message: &impl Message) -> Bytes {
    let body = message.encode_to_vec();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(body.len() as u32).to_be_bytes());
    framed.extend_from_slice(&body);
    Bytes::from(framed)
}

/// The `grpc-status` of a raw response, from its headers or its trailers.
async fn grpc_status(response: http::Response<h2::RecvStream>) -> String {
    let status = |headers: &http::HeaderMap| headers.get("grpc-status").map(|s| s.to_str().unwrap_or("?").to_owned());
    if let Some(code) = status(response.headers()) {
        return code;
    }
    let mut body = response.into_body();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.expect("body");
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    body.trailers().await.expect("trailers").and_then(|t| status(&t)).unwrap_or_default()
}

/// With `limit` calls worked on per connection, holds one call half-sent and
/// reports whether a second call on the same connection is answered meanwhile.
async fn answered_beside_a_stalled_call(limit: usize) -> bool {
    let options = ServerOptions { max_requests_per_connection: limit, ..Default::default() };
    let server = TestServer::start_with(options).await;
    let mut send = raw_connection(server.addr).await;
    let (_stalled_answer, mut stalled) = send.send_request(classify_headers(server.addr), false).expect("send");
    // A frame header announcing 1,000 bytes, then only 10 of them.
    let mut partial = vec![0u8, 0, 0, 3, 232];
    partial.extend_from_slice(&[0x0a; 10]);
    stalled.send_data(Bytes::from(partial), false).expect("partial body");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut send = send.ready().await.expect("ready");
    let (answer, mut body) = send.send_request(classify_headers(server.addr), false).expect("second call");
    body.send_data(grpc_frame(&request(tweets(1))), true).expect("body");
    let answered = tokio::time::timeout(Duration::from_millis(1500), answer).await.is_ok();
    if !answered {
        // Abandoning the stalled call frees its place: the second is answered.
        stalled.send_reset(h2::Reason::CANCEL);
    }
    answered
}

#[tokio::test]
async fn calls_worked_on_per_connection_are_bounded() {
    assert!(answered_beside_a_stalled_call(2).await, "with room for two calls, the second is answered");
    assert!(!answered_beside_a_stalled_call(1).await, "with room for one call, the second waits");
}

/// Opens a raw connection, says hello, then never answers anything, like a
/// peer that vanished without closing; returns how long until the server hangs up.
fn silent_peer_lifetime(addr: &str, give_up: Duration) -> Option<Duration> {
    let addr = addr.trim_start_matches("http://");
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").expect("preface and settings");
    tcp.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < give_up {
        match tcp.read(&mut buffer) {
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return Some(started.elapsed()),
        }
    }
    None
}

#[tokio::test]
async fn keepalive_drops_peers_that_stopped_answering() {
    let data = tempfile::tempdir().expect("dir");
    let dir = data.path().to_str().expect("utf-8");
    let server = ServerProcess::start(
        &["--data-dir", dir, "--keepalive-interval", "200ms", "--keepalive-timeout", "200ms"],
        &[("TWEETGUIDE_ADMIN_TOKEN", "limits-admin-token")],
    );
    let lifetime = silent_peer_lifetime(&server.addr, Duration::from_secs(10));
    assert!(lifetime.is_some_and(|d| d < Duration::from_secs(5)), "silent peer kept for {lifetime:?}");
    drop(server);

    let data = tempfile::tempdir().expect("dir");
    let dir = data.path().to_str().expect("utf-8");
    let server = ServerProcess::start(
        &["--data-dir", dir, "--keepalive-interval", "off"],
        &[("TWEETGUIDE_ADMIN_TOKEN", "limits-admin-token")],
    );
    assert_eq!(silent_peer_lifetime(&server.addr, Duration::from_secs(2)), None, "without keepalive it stays");
}

fn scrape(port: u16) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("metrics port");
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

fn open_streams(port: u16) -> Option<f64> {
    scrape(port).lines().find_map(|l| l.strip_prefix("tweetguide_streams_open ")?.trim().parse().ok())
}

#[tokio::test]
async fn a_client_that_goes_away_frees_its_stream() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let data = tempfile::tempdir().expect("dir");
    let server = ServerProcess::start(
        &["--data-dir", data.path().to_str().expect("utf-8"), "--metrics-addr", &format!("127.0.0.1:{port}")],
        &[("TWEETGUIDE_ADMIN_TOKEN", "limits-admin-token")],
    );
    let channel = tweetguide::client::connect_channel(&server.addr).await.expect("connect");
    let mut client = ClassifierClient::new(channel);
    let (sender, answers) = open_stream(&mut client, None).await;
    let (sender_2, answers_2) = open_stream(&mut client, None).await;
    assert_eq!(open_streams(port), Some(2.0));
    // The client vanishes mid-stream: no end of stream, no further chunk.
    drop((sender, answers, sender_2, answers_2, client));
    let deadline = Instant::now() + Duration::from_secs(10);
    while open_streams(port) != Some(0.0) {
        assert!(Instant::now() < deadline, "streams still open: {:?}", open_streams(port));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_retrain_outlives_its_callers_deadline_and_stays_alone() {
    let data = tempfile::tempdir().expect("dir");
    let data_dir = data.path().to_str().expect("utf-8");
    let token = [("TWEETGUIDE_ADMIN_TOKEN", "limits-admin-token")];
    // A retrain adds the examples' counts to the model's, in time that
    // follows their number: store many (on a server without the tight cap),
    // so that the retrain outlasts a 50 ms deadline by a wide margin.
    let loader = ServerProcess::start(&["--data-dir", data_dir], &token);
    let mut admin = tweetguide::client::connect_admin(&loader.addr, "limits-admin-token").await.expect("admin");
    let topics = ["logistique", "boulangerie", "vélo", "jardin", "réforme", "concert", "marché", "podcast"];
    for batch in 0..2 {
        let examples = (0..2_000)
            .map(|i| {
                let n = batch * 2_000 + i;
                tweetguide::proto::v1::LabelledTweet {
                    tweet: Some(tweet(
                        format!("e{n}"),
                        format!(
                            "Lisez le fil {n} de @marie{} sur {} et {}",
                            n % 97,
                            topics[n % 8],
                            topics[(n / 8) % 8]
                        ),
                    )),
                    label: tweetguide::proto::v1::Category::Sharing as i32,
                    lang: "fr".to_owned(),
                }
            })
            .collect();
        admin.add_examples(tweetguide::proto::v1::AddExamplesRequest { examples }).await.expect("add");
    }
    // Acknowledged examples are on disk: no need to wait for a graceful stop.
    drop(admin);
    loader.signal_and_wait("KILL");

    let server = ServerProcess::start(&["--data-dir", data_dir, "--max-deadline", "50ms"], &token);
    let mut admin = tweetguide::client::connect_admin(&server.addr, "limits-admin-token").await.expect("admin");
    let retrain = tweetguide::proto::v1::RetrainRequest { force: true, tolerance: None };
    let status = admin.retrain(retrain).await.expect_err("a retrain of 4,000 examples takes longer than 50 ms");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    let status = admin.retrain(retrain).await.expect_err("the first one is still running");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    // The abandoned retrain still finishes and registers its model.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let models = admin.list_models(tweetguide::proto::v1::ListModelsRequest {}).await.expect("list");
        if models.into_inner().models.len() == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the retrain never finished");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// What a caller without a token could make the server hold, before the
// message budget and the accept loop bounded it (issue "hardening, round 2").
// Each attack runs against the real binary; its memory is read from /proc.

#[path = "../examples/siege/attacks.rs"]
mod attacks;

const TOKEN: (&str, &str) = ("TWEETGUIDE_ADMIN_TOKEN", "limits-test-admin-token");

fn pid_and_addr(server: &ServerProcess) -> (u32, std::net::SocketAddr) {
    let addr = server.addr.trim_start_matches("http://").parse().expect("socket address");
    (server.child.id(), addr)
}

/// Before: each of these calls was decoded into 8 million `Tweet`s, 668 MiB.
#[tokio::test]
async fn a_message_of_millions_of_empty_entries_is_refused_before_it_is_decoded() {
    let server = ServerProcess::start(&[], &[TOKEN]);
    let (pid, addr) = pid_and_addr(&server);
    let outcomes = attacks::empty_entries(addr, 4).await;
    for (code, message) in &outcomes {
        assert_eq!(code, "3", "{message}");
        assert_eq!(message, "tweets: more than 10000 in one message, over the limit of 10000 per message");
    }
    let peak = attacks::peak_rss_mib(pid);
    assert!(peak < 200.0, "peak memory {peak:.0} MiB");
    let polite = attacks::polite_caller(addr, 10, Duration::from_millis(200)).await;
    assert!(polite.errors.is_empty() && !polite.latencies.is_empty(), "{:?}", polite.errors);
}

/// Before: 2 x 16 streams of nearly 16 MiB, all buffered until the deadline (512 MiB).
#[tokio::test]
async fn partial_uploads_hold_no_more_than_a_connections_share() {
    let server = ServerProcess::start(&[], &[TOKEN]);
    let (pid, addr) = pid_and_addr(&server);
    let held = attacks::partial_uploads(addr, 2, 16).await;
    assert!(!held.refused.is_empty(), "no call was refused");
    for (code, message) in &held.refused {
        assert_eq!(code, "8", "{message}");
        assert!(message.contains("this connection's calls hold"), "{message}");
    }
    let polite = attacks::polite_caller(addr, 10, Duration::from_millis(300)).await;
    assert!(polite.errors.is_empty(), "{:?}", polite.errors);
    let peak = attacks::peak_rss_mib(pid);
    assert!(peak < 160.0, "peak memory {peak:.0} MiB");
    drop(held);
}

/// Before: unread answers stayed in memory as long as the connection lived.
#[tokio::test]
async fn unread_answers_are_bounded_and_dropped_at_the_deadline() {
    let server = ServerProcess::start(&[], &[TOKEN]);
    let (pid, addr) = pid_and_addr(&server);
    let mut held = attacks::unread_answers(addr, 1, 48, 10_000, Some("3S")).await;
    let (send, answers) = held.pop().expect("one connection");
    // While the answers sit unread, the connection's share is full: its new
    // calls are refused, others' are not.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let polite = attacks::polite_caller(addr, 10, Duration::from_millis(300)).await;
    assert!(polite.errors.is_empty(), "{:?}", polite.errors);
    let peak = attacks::peak_rss_mib(pid);
    assert!(peak < 160.0, "peak memory {peak:.0} MiB");
    // Past the deadline, whatever the client had not read is gone: reading
    // now gets the first slices, then DEADLINE_EXCEEDED (or the refusal).
    tokio::time::sleep(Duration::from_secs(3)).await;
    // All at once: they share the connection's receive window.
    let outcomes = futures_util::future::join_all(answers.into_iter().map(|answer| async move {
        match answer.await {
            Ok(response) => attacks::grpc_outcome(response).await,
            Err(error) => ("reset".to_owned(), error.to_string()),
        }
    }))
    .await;
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for (code, _) in outcomes {
        *codes.entry(code).or_default() += 1;
    }
    assert_eq!(codes.get("0"), None, "{codes:?}");
    assert!(codes.get("4").is_some_and(|&n| n >= 1), "{codes:?}");
    assert_eq!(codes.values().sum::<usize>(), 48, "{codes:?}");
    // The share is free again: the same connection is served.
    let mut send = send.ready().await.expect("ready");
    let message = attacks::grpc_frame(&attacks::classify_request(3).encode_to_vec());
    let (answer, mut body) = send.send_request(attacks::call_headers(addr, "Classify", None), false).expect("send");
    body.send_data(message, true).expect("body");
    let (code, message) = attacks::grpc_outcome(answer.await.expect("answer")).await;
    assert_eq!(code, "0", "{message}");
}

/// Before: silent connections were never closed; at the descriptor limit
/// they locked every new client out, and the accept loop spun silently.
#[tokio::test]
async fn silent_connections_make_room_time_out_and_do_not_delay_shutdown() {
    let server = ServerProcess::start(&["--max-connections", "20", "--handshake-timeout", "2s"], &[TOKEN]);
    let (_, addr) = pid_and_addr(&server);
    let mut silent = attacks::silent_connections(addr, 60).await;
    assert_eq!(silent.len(), 60);
    // A real client still gets in: the oldest silent connection makes room.
    let polite = attacks::polite_caller(addr, 10, Duration::from_millis(200)).await;
    assert!(polite.errors.is_empty() && !polite.latencies.is_empty(), "{:?}", polite.errors);
    // The silent ones are closed, by eviction or by the handshake timeout.
    let started = Instant::now();
    for socket in &mut silent {
        // The server's own SETTINGS may come first; then the end.
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            let mut buffer = [0u8; 1024];
            while let Ok(n) = tokio::io::AsyncReadExt::read(socket, &mut buffer).await {
                if n == 0 {
                    break;
                }
            }
        });
        assert!(closed.await.is_ok(), "a silent connection is still open");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "closed after {:?}", started.elapsed());
    let log = server.log.lock().expect("log").join("\n");
    assert!(log.contains("connection limit reached"), "{log}");

    // Silent connections do not hold a shutdown for the grace period.
    let _more = attacks::silent_connections(addr, 10).await;
    let stopping = Instant::now();
    let status = server.signal_and_wait("TERM");
    assert!(status.success(), "{status}");
    assert!(stopping.elapsed() < Duration::from_secs(5), "stopped after {:?}", stopping.elapsed());
}

/// Before: with no descriptor left, `accept` failed in a tight loop, at 60%
/// of a core, with nothing in the log.
#[tokio::test]
async fn accept_errors_back_off_and_are_logged() {
    let server = ServerProcess::start_with(&["--handshake-timeout", "3s"], &[TOKEN], |command| {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit { rlim_cur: 64, rlim_max: 64 };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    });
    let (pid, addr) = pid_and_addr(&server);
    let cpu_before = cpu_seconds(pid);
    let silent = attacks::silent_connections(addr, 100).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let busy = cpu_seconds(pid) - cpu_before;
    assert!(busy < 0.5, "the server used {busy:.2} s of CPU in 2 s while out of descriptors");
    let log = server.log.lock().expect("log").join("\n");
    assert!(log.contains("cannot accept connections; retrying after a pause"), "{log}");
    // Once the silent connections time out, clients are served again.
    drop(silent);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let polite = attacks::polite_caller(addr, 10, Duration::from_millis(200)).await;
    assert!(polite.errors.is_empty() && !polite.latencies.is_empty(), "{:?}", polite.errors);
}

/// User and system CPU time of a process so far, from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum());
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}
