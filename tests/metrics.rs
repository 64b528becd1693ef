//! Prometheus metrics scraped from a live server.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use common::process::ServerProcess;
use common::tweet;
use tweetguide::client::Client;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn scrape(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("metrics port");
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

#[tokio::test]
async fn metrics_count_requests_tweets_and_the_active_model() {
    let port = free_port();
    let data = tempfile::tempdir().expect("dir");
    let server = ServerProcess::start(
        &["--metrics-addr", &format!("127.0.0.1:{port}"), "--data-dir", data.path().to_str().expect("utf-8")],
        &[("TWEETGUIDE_ADMIN_TOKEN", "metrics-test-token")],
    );
    let mut client = Client::connect(&server.addr).await.expect("client");
    let response = client
        .classify(vec![tweet("1", "Tous en grève contre la réforme !"), tweet("2", "New menu, book now")], None)
        .await
        .expect("classify");
    client.classify(vec![tweet("bad", "")], None).await.expect_err("empty text");
    let mut admin = tweetguide::client::connect_admin(&server.addr, "metrics-test-token").await.expect("admin");
    admin.list_models(tweetguide::proto::v1::ListModelsRequest {}).await.expect("list models");
    // A stream is counted by how it ended, not by how it began: one whole,
    // one ended by its second chunk's error.
    let mut classifier = tweetguide::proto::v1::classifier_client::ClassifierClient::connect(server.addr.clone())
        .await
        .expect("connect");
    let chunk =
        |text: &str| tweetguide::proto::v1::ClassifyRequest { tweets: vec![tweet("s", text)], top_features: None };
    for chunks in [vec![chunk("Bonjour"), chunk("Hello")], vec![chunk("Bonjour"), chunk("")]] {
        let mut answers = classifier.classify_stream(tokio_stream::iter(chunks)).await.expect("stream").into_inner();
        while let Ok(Some(_)) = answers.message().await {}
    }
    let mut unauthenticated =
        tweetguide::client::connect_admin(&server.addr, "not-the-right-token-at-all").await.expect("admin");
    unauthenticated.list_models(tweetguide::proto::v1::ListModelsRequest {}).await.expect_err("wrong token");

    let text = scrape(port);
    let has = |needle: &str| text.lines().any(|l| l.starts_with(needle) || l.contains(needle));
    assert!(has(r#"tweetguide_requests_total{rpc="Classify",code="OK"} 1"#), "{text}");
    assert!(has(r#"tweetguide_requests_total{rpc="Classify",code="InvalidArgument"} 1"#), "{text}");
    assert!(has(r#"tweetguide_tweets_classified_total{label="political"}"#), "{text}");
    assert!(has("tweetguide_request_duration_seconds_bucket"), "{text}");
    assert!(has(r#"tweetguide_requests_total{rpc="ListModels",code="OK"} 1"#), "{text}");
    assert!(has(r#"tweetguide_requests_total{rpc="ClassifyStream",code="OK"} 1"#), "{text}");
    assert!(has(r#"tweetguide_requests_total{rpc="ClassifyStream",code="InvalidArgument"} 1"#), "{text}");
    assert!(has(r#"tweetguide_requests_total{rpc="ListModels",code="Unauthenticated"} 1"#), "{text}");
    assert!(has(&format!(r#"tweetguide_active_model{{version="{}"}} 1"#, response.model_version)), "{text}");
}
