//! The Auditor service through a real server and a generated client.

mod common;

use common::{TestServer, tweet};
use prost_types::Timestamp;
use tonic::Code;
use tweetguide::proto::v1::auditor_client::AuditorClient;
use tweetguide::proto::v1::{GuidelineId, GuidelineStatus, Profile, ScoreTimelineRequest, Thresholds, TweetKind};

const AS_OF: i64 = 1_772_452_800; // 2026-03-02T12:00:00Z

fn dated(id: usize, text: &str, days_ago: i64) -> tweetguide::proto::v1::Tweet {
    let mut t = tweet(id.to_string(), text);
    t.created_at = Some(Timestamp { seconds: AS_OF - days_ago * 86_400, nanos: 0 });
    t.kind = TweetKind::Original as i32;
    t
}

fn request(tweets: Vec<tweetguide::proto::v1::Tweet>) -> ScoreTimelineRequest {
    ScoreTimelineRequest {
        profile: Some(Profile {
            handle: "fleurs_de_lila".into(),
            profile_image_url: "https://pbs.twimg.com/profile_images/9/lila.jpg".into(),
            followers_count: Some(15),
            ..Default::default()
        }),
        tweets,
        as_of: Some(Timestamp { seconds: AS_OF, nanos: 0 }),
        locale: "fr-FR".into(),
        thresholds: None,
        political_content_intended: false,
    }
}

#[tokio::test]
async fn scores_a_timeline_given_out_of_date_order() {
    let server = TestServer::start().await;
    let mut client = AuditorClient::new(server.channel().await);
    let texts = [
        "Nouveau bouquet de saison en boutique, 25 € 💐 commandez en DM",
        "Merci @marche_local pour l'accueil samedi, super ambiance !",
        "Très bon article sur la gestion des stocks en fleuristerie, à lire",
        "Bon dimanche à tous, il pleut mais on garde le sourire ☔",
        "Vous préférez les pivoines ou les renoncules ? Sondage 👇",
        "Bravo à @atelier_kim pour sa nouvelle boutique, allez-y !",
    ];
    // Days ago, deliberately not sorted.
    let ages = [3, 20, 1, 9, 14, 5];
    let tweets = texts.iter().zip(ages).enumerate().map(|(i, (t, d))| dated(i, t, d)).collect();
    let report = client.score_timeline(request(tweets)).await.expect("report").into_inner();
    assert_eq!(report.handle, "fleurs_de_lila");
    assert_eq!(report.locale, "fr");
    assert_eq!(report.tweets.len(), 6);
    let ids: Vec<String> =
        report.tweets.iter().map(|t| t.prediction.as_ref().expect("prediction").id.clone()).collect();
    assert_eq!(ids, ["0", "1", "2", "3", "4", "5"], "tweets reported in request order");
    let stats = report.stats.expect("stats");
    assert_eq!(stats.newest.expect("newest").seconds, AS_OF - 86_400);
    assert_eq!(stats.days_since_newest, Some(1.0));
    assert_eq!(report.guidelines.len(), 5);
    let g3 = &report.guidelines[2];
    assert_eq!(g3.id(), GuidelineId::G3Activity);
    assert_eq!(g3.status(), GuidelineStatus::Warn, "6 tweets in 8 weeks: {}", g3.advice);
    assert!(report.notes.iter().any(|n| n.contains("20 abonnés")), "{:?}", report.notes);
    assert!(!report.model_version.is_empty());
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn invalid_requests_name_the_field() {
    let server = TestServer::start().await;
    let mut client = AuditorClient::new(server.channel().await);
    let mut too_many = request((0..3_201).map(|i| dated(i, "un tweet", 1)).collect());
    too_many.locale = "en".into();
    let mut bad_threshold = request(vec![dated(0, "ok", 1)]);
    bad_threshold.thresholds =
        Some(Thresholds { political_warn: Some(0.5), political_fail: Some(0.3), ..Default::default() });
    let mut bad_locale = request(vec![dated(0, "ok", 1)]);
    bad_locale.locale = "de".into();
    let mut bad_date = request(vec![dated(0, "ok", 1)]);
    bad_date.tweets[0].created_at = Some(Timestamp { seconds: 0, nanos: -5 });
    // Year 262,000: beyond the range of a protobuf Timestamp.
    let mut far_future = request(vec![dated(0, "ok", 1)]);
    far_future.as_of = Some(Timestamp { seconds: 8_200_000_000_000, nanos: 0 });
    let mut far_past = request(vec![dated(0, "ok", 1)]);
    far_past.tweets[0].created_at = Some(Timestamp { seconds: -8_200_000_000_000, nanos: 0 });
    let cases = [
        (far_future, "as_of: not a valid timestamp"),
        (far_past, "tweets[0].created_at: not a valid timestamp"),
        (too_many, "tweets: more than 3200 in one message"),
        (request(vec![dated(0, "ok", 1), dated(1, "", 2)]), "tweets[1].text: empty text"),
        (bad_threshold, "thresholds.political_warn"),
        (bad_locale, "locale"),
        (bad_date, "tweets[0].created_at"),
    ];
    for (request, expected) in cases {
        let status = client.score_timeline(request).await.expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{expected}: {status:?}");
        assert!(status.message().contains(expected), "{expected:?} not in {:?}", status.message());
    }
    // An empty timeline is a result, not an error.
    let report = client.score_timeline(request(vec![])).await.expect("empty timeline").into_inner();
    assert_eq!(report.guidelines[3].status(), GuidelineStatus::InsufficientData);
    assert_eq!(report.guidelines[2].status(), GuidelineStatus::Fail);
    server.shutdown().await.expect("clean shutdown");
}

/// #14 item d: `locale` is bounded (35 bytes, the practical maximum of a
/// BCP 47 tag) and what is echoed of it is clipped: an 8 MB locale used to
/// come back whole in `grpc-message`.
#[tokio::test]
async fn a_long_locale_is_refused_with_a_short_message() {
    let server = TestServer::start().await;
    let mut client = AuditorClient::new(server.channel().await);
    let longest = format!("fr-{}", "x".repeat(32));
    assert_eq!(longest.len(), 35);
    let mut fits = request(vec![dated(0, "ok", 1)]);
    fits.locale = longest.clone();
    let report = client.score_timeline(fits).await.expect("35 bytes are accepted").into_inner();
    assert_eq!(report.locale, "fr");

    for locale in [format!("de-{}", "é".repeat(4 * 1024 * 1024)), format!("{longest}x")] {
        let mut refused = request(vec![dated(0, "ok", 1)]);
        refused.locale = locale.clone();
        let status = client.score_timeline(refused).await.expect_err("too long");
        assert_eq!(status.code(), Code::InvalidArgument, "{:.200}", status.message());
        assert!(status.message().len() < 200, "{} bytes: {:.200}", status.message().len(), status.message());
        assert!(
            status.message().starts_with("locale: ") && status.message().contains("over the limit of 35"),
            "{}",
            status.message()
        );
        assert!(status.message().contains(&locale.len().to_string()), "{}", status.message());
    }
    server.shutdown().await.expect("clean shutdown");
}
