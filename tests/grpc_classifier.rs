//! The Classifier service through a real server and real gRPC clients.

mod common;

use common::{TestServer, tweet};
use prost::Message;
use tokio::sync::mpsc;
use tonic::Code;
use tweetguide::client::{self, BatchOptions, Client, input::InputTweet};
use tweetguide::proto::v1::{Category, ClassifyRequest, ClassifyResponse, classifier_client::ClassifierClient};
use tweetguide::server::{MAX_TWEETS_PER_MESSAGE, ServerOptions};

#[tokio::test]
async fn classifies_french_and_english_tweets_in_order() {
    let server = TestServer::start().await;
    let mut client = Client::connect(&server.url()).await.expect("connect");
    let tweets = vec![
        tweet("fr-pol", "Retrait de la réforme des retraites ! Tous en grève jeudi ✊ #49dot3"),
        tweet("en-promo", "Big news: our online shop is open, 15% off everything this weekend with code HELLO15"),
        tweet("fr-share", "Très bon article de @lea_compta sur la trésorerie des TPE, merci pour le partage 🙏"),
        tweet("en-pol", "This government's tax raid on small firms is a disgrace. Vote them out."),
    ];
    let response = client.classify(tweets, None).await.expect("classify");
    let ids: Vec<&str> = response.predictions.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["fr-pol", "en-promo", "fr-share", "en-pol"]);
    let labels: Vec<Category> = response.predictions.iter().map(|p| p.label()).collect();
    assert_eq!(labels, [Category::Political, Category::SelfPromotion, Category::Sharing, Category::Political]);
    let expected_version = tweetguide::model::Model::embedded_default().expect("model").id().to_owned();
    assert_eq!(response.model_version, expected_version);
    for p in &response.predictions {
        let probabilities = p.probabilities.expect("probabilities");
        let sum = probabilities.self_promotion + probabilities.sharing + probabilities.political;
        assert!((sum - 1.0).abs() < 1e-9);
        assert!(!p.top_features.is_empty() && p.top_features.len() <= 5);
    }
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn streams_twenty_thousand_tweets_back_in_order() {
    let server = TestServer::start().await;
    let client = Client::connect(&server.url()).await.expect("connect");
    let texts = [
        "Nouvelle collection en boutique dès samedi !",
        "Thanks @ana for the tip, great thread",
        "Stop the pension reform",
    ];
    let input =
        (0..20_000).map(move |i| Ok(InputTweet { id: format!("t{i}"), text: format!("{} #{i}", texts[i % 3]) }));
    let mut seen = Vec::with_capacity(20_000);
    let count = client::classify_batch(
        vec![client],
        input,
        BatchOptions { chunk_size: 700, top_features: Some(0), ..BatchOptions::default() },
        |p, version| {
            assert!(!version.is_empty());
            seen.push(p.id);
            Ok(())
        },
    )
    .await
    .expect("stream");
    assert_eq!(count, 20_000);
    let expected: Vec<String> = (0..20_000).map(|i| format!("t{i}")).collect();
    assert_eq!(seen, expected, "every prediction, once, in input order");
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn spreads_a_batch_over_several_servers() {
    let (a, b) = (TestServer::start().await, TestServer::start().await);
    let clients = vec![Client::connect(&a.url()).await.expect("a"), Client::connect(&b.url()).await.expect("b")];
    let input = (0..2_500).map(|i| Ok(InputTweet { id: i.to_string(), text: format!("tweet {i}") }));
    let mut ids = Vec::new();
    let count = client::classify_batch(
        clients,
        input,
        BatchOptions { chunk_size: 100, top_features: Some(0), ..BatchOptions::default() },
        |p, _| {
            ids.push(p.id.parse::<usize>().expect("numeric id"));
            Ok(())
        },
    )
    .await
    .expect("two servers");
    assert_eq!(count, 2_500);
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
    a.shutdown().await.expect("a stops");
    b.shutdown().await.expect("b stops");
}

async fn classify_error(server: &TestServer, request: ClassifyRequest) -> tonic::Status {
    let mut client = ClassifierClient::new(server.channel().await);
    client.classify(request).await.expect_err("must be refused")
}

fn request(tweets: Vec<tweetguide::proto::v1::Tweet>) -> ClassifyRequest {
    ClassifyRequest { tweets, top_features: None }
}

#[tokio::test]
async fn limits_give_invalid_argument_naming_field_and_index() {
    let server = TestServer::start().await;
    let cases = vec![
        (request(vec![tweet("a", "ok"), tweet("b", "   ")]), "tweets[1].text: empty text"),
        (request(vec![tweet("a", "é".repeat(25_001))]), "tweets[0].text: 25001 characters"),
        (request(vec![tweet("x".repeat(300), "ok")]), "tweets[0].id"),
        (
            request((0..=MAX_TWEETS_PER_MESSAGE).map(|i| tweet(i.to_string(), "hi")).collect()),
            "tweets: more than 10000",
        ),
        (request(vec![]), "tweets: no tweet given"),
        (ClassifyRequest { tweets: vec![tweet("a", "ok")], top_features: Some(21) }, "top_features"),
    ];
    for (request, expected) in cases {
        let status = classify_error(&server, request).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{expected}: {status:?}");
        assert!(status.message().contains(expected), "expected {expected:?} in {:?}", status.message());
    }
    // A text of exactly the limit is fine.
    let mut client = Client::connect(&server.url()).await.expect("connect");
    let ok = client.classify(vec![tweet("max", "a".repeat(25_000))], None).await.expect("limit is inclusive");
    assert_eq!(ok.predictions.len(), 1);
    server.shutdown().await.expect("still healthy after bad requests");
}

/// The wire shape of a ClassifyRequest, but with `text` as raw bytes so that
/// the test can send what a well-behaved client never would.
#[derive(Clone, PartialEq, Message)]
struct RawTweet {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(bytes = "vec", tag = "2")]
    text: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
struct RawRequest {
    #[prost(message, repeated, tag = "1")]
    tweets: Vec<RawTweet>,
}

#[tokio::test]
async fn invalid_utf8_is_refused_before_the_scorer() {
    let server = TestServer::start().await;
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    grpc.ready().await.expect("ready");
    let raw = RawRequest {
        tweets: vec![
            RawTweet { id: "ok".into(), text: b"fine".to_vec() },
            RawTweet { id: "ok2".into(), text: b"also fine".to_vec() },
            RawTweet { id: "bad".into(), text: vec![b'h', 0xff, 0xfe, b'!'] },
        ],
    };
    let path = tonic::codegen::http::uri::PathAndQuery::from_static("/tweetguide.v1.Classifier/Classify");
    let codec = tonic_prost::ProstCodec::<RawRequest, ClassifyResponse>::default();
    let status = grpc.unary(tonic::Request::new(raw), path, codec).await.expect_err("invalid UTF-8");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().starts_with("tweets[2].text"), "{:?}", status.message());
    server.shutdown().await.expect("server survives");
}

#[tokio::test]
async fn oversize_messages_are_refused_and_the_server_carries_on() {
    let server = TestServer::start_with(ServerOptions { max_message_bytes: 256 * 1024, ..Default::default() }).await;
    let big = request((0..2_000).map(|i| tweet(i.to_string(), "x".repeat(200))).collect());
    assert!(big.encoded_len() > 256 * 1024);
    let status = classify_error(&server, big.clone()).await;
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("too large"), "{:?}", status.message());

    // Streams get the same answer, naming the chunk.
    let mut client = Client::connect(&server.url()).await.expect("connect");
    let (tx, rx) = mpsc::channel(2);
    tx.send(request(vec![tweet("small", "hello")])).await.expect("send");
    tx.send(big).await.expect("send");
    drop(tx);
    let mut answers = client.classify_stream(rx).await.expect("open stream");
    assert_eq!(answers.message().await.expect("first chunk").expect("answer").predictions.len(), 1);
    let status = answers.message().await.expect_err("second chunk too big");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().starts_with("chunk 1:"), "{:?}", status.message());

    let ok = client.classify(vec![tweet("after", "still here?")], None).await.expect("server carries on");
    assert_eq!(ok.predictions[0].id, "after");
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_bad_chunk_ends_the_stream_after_the_good_ones() {
    let server = TestServer::start().await;
    let mut client = Client::connect(&server.url()).await.expect("connect");
    let (tx, rx) = mpsc::channel(8);
    for chunk in 0..4 {
        let text = if chunk == 2 { String::new() } else { format!("chunk {chunk}") };
        tx.send(request(vec![tweet("a", "fine"), tweet("b", text)])).await.expect("send");
    }
    drop(tx);
    let mut answers = client.classify_stream(rx).await.expect("open");
    for _ in 0..2 {
        assert_eq!(answers.message().await.expect("answer").expect("some").predictions.len(), 2);
    }
    let status = answers.message().await.expect_err("chunk 2 is bad");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "chunk 2: tweets[1].text: empty text");
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn graceful_shutdown_finishes_a_stream_in_flight() {
    let mut server = TestServer::start().await;
    let mut client = Client::connect(&server.url()).await.expect("connect");
    let (tx, rx) = mpsc::channel(4);
    let mut answers = client.classify_stream(rx).await.expect("open");
    let chunk =
        |n: usize| request((0..500).map(|i| tweet(format!("{n}-{i}"), format!("tweet {i} of chunk {n}"))).collect());
    for n in 0..3 {
        tx.send(chunk(n)).await.expect("send");
    }
    let first = answers.message().await.expect("answer").expect("some");
    assert_eq!(first.predictions[0].id, "0-0");

    server.begin_shutdown();
    // New connections are refused once the server stops accepting...
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(Client::connect(&server.url()).await.is_err(), "listener closed");
    // ...but the stream in flight keeps going until the client ends it.
    for n in 3..6 {
        tx.send(chunk(n)).await.expect("send after shutdown signal");
    }
    drop(tx);
    let mut ids = first.predictions.into_iter().map(|p| p.id).collect::<Vec<_>>();
    while let Some(answer) = answers.message().await.expect("no error") {
        ids.extend(answer.predictions.into_iter().map(|p| p.id));
    }
    let expected: Vec<String> = (0..6).flat_map(|n| (0..500).map(move |i| format!("{n}-{i}"))).collect();
    assert_eq!(ids, expected, "nothing lost or duplicated");
    server.shutdown().await.expect("exits cleanly");
}
