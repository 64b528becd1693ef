//! Every row of the guideline table, with predictions fixed by hand so that
//! each verdict is tested independently of the classifier.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::Label;
use crate::corpus::Lang;
use crate::model::{Prediction, Quantifier};

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).single().expect("valid date")
}

fn prediction(label: Label, confidence: f64) -> Prediction {
    let rest = (1.0 - confidence) / 2.0;
    let mut probabilities = [rest; Label::COUNT];
    probabilities[label.index()] = confidence;
    Prediction { label, probabilities, top_features: Vec::new() }
}

/// A timeline of `labels.len()` tweets, one every `every_days` days back from
/// `as_of - newest_days_ago`.
fn timeline(labels: &[Label], every_days: i64, newest_days_ago: i64) -> (Timeline, Vec<Prediction>) {
    let tweets = labels
        .iter()
        .enumerate()
        .map(|(i, _)| TimelineTweet {
            id: format!("t{i}"),
            text: format!("tweet {i}"),
            created_at: Some(as_of() - Duration::days(newest_days_ago + i as i64 * every_days)),
            kind: TweetKind::Original,
        })
        .collect();
    let profile = Profile {
        handle: "boulangerie_lea".into(),
        profile_image_url: Some("https://pbs.twimg.com/profile_images/1/lea.jpg".into()),
        followers: Some(150),
        ..Profile::default()
    };
    let predictions = labels.iter().enumerate().map(|(i, &l)| prediction(l, 0.6 + 0.01 * i as f64)).collect();
    (Timeline { profile, tweets }, predictions)
}

fn mix(self_promotion: usize, sharing: usize, political: usize) -> Vec<Label> {
    std::iter::repeat_n(Label::SelfPromotion, self_promotion)
        .chain(std::iter::repeat_n(Label::Sharing, sharing))
        .chain(std::iter::repeat_n(Label::Political, political))
        .collect()
}

fn run(timeline: &Timeline, predictions: &[Prediction], options: &AuditOptions) -> Report {
    audit_predictions(timeline, predictions, "test-model", &Quantifier::counting(), options)
}

fn verdict(report: &Report, id: GuidelineId) -> &GuidelineResult {
    report.guidelines.iter().find(|g| g.id == id).expect("all five guidelines")
}

fn healthy() -> (Timeline, Vec<Prediction>) {
    // 40 tweets, one every day: 7 a week, 20% self-promotion, 5% political.
    timeline(&mix(8, 30, 2), 1, 1)
}

#[test]
fn a_healthy_account_passes_everything() {
    let (tl, preds) = healthy();
    let report = run(&tl, &preds, &AuditOptions::new(as_of(), Lang::En));
    for g in &report.guidelines {
        assert_eq!(g.status, Status::Pass, "{:?}: {}", g.id, g.advice);
    }
    assert_eq!(report.overall_score, 100);
    assert_eq!(report.tweets.len(), 40);
    assert!(report.notes.is_empty());
    assert_eq!(report.model_version, "test-model");
}

#[test]
fn g1_default_avatar_fails() {
    let (mut tl, preds) = healthy();
    let options = AuditOptions::new(as_of(), Lang::En);
    tl.profile.profile_image_url =
        Some("https://abs.twimg.com/sticky/default_profile_images/default_profile.png".into());
    assert_eq!(verdict(&run(&tl, &preds, &options), GuidelineId::G1).status, Status::Fail);
    tl.profile.profile_image_url = Some(String::new());
    assert_eq!(verdict(&run(&tl, &preds, &options), GuidelineId::G1).status, Status::Fail, "no picture");
    tl.profile.default_avatar = Some(false);
    assert_eq!(verdict(&run(&tl, &preds, &options), GuidelineId::G1).status, Status::Pass);
}

#[test]
fn g1_is_not_judged_when_nothing_says_which_picture() {
    let (mut tl, preds) = healthy();
    tl.profile.profile_image_url = None;
    tl.profile.default_avatar = None;
    let report = run(&tl, &preds, &AuditOptions::new(as_of(), Lang::En));
    let g1 = verdict(&report, GuidelineId::G1);
    assert_eq!(g1.status, Status::InsufficientData);
    assert_eq!(g1.value, None);
    assert!(g1.advice.contains("does not show the profile picture"), "{}", g1.advice);
    assert_eq!(report.overall_score, 100, "left out of the score, not counted as a failure");
}

#[test]
fn g2_protected_account_fails() {
    let (mut tl, preds) = healthy();
    tl.profile.protected = true;
    let report = run(&tl, &preds, &AuditOptions::new(as_of(), Lang::Fr));
    let g2 = verdict(&report, GuidelineId::G2);
    assert_eq!(g2.status, Status::Fail);
    assert_eq!(g2.value, Some(1.0));
    assert!(g2.advice.contains("protég"), "French advice: {}", g2.advice);
    assert_eq!(report.overall_score, 80);
}

#[test]
fn g3_rhythm_and_silence() {
    let options = AuditOptions::new(as_of(), Lang::En);
    // 2 tweets a week for 8 weeks: warn.
    let (tl, preds) = timeline(&mix(2, 14, 0), 3, 1);
    let g3 = verdict(&run(&tl, &preds, &options), GuidelineId::G3).clone();
    assert_eq!(g3.status, Status::Warn, "{}", g3.advice);
    assert_eq!(g3.value, Some(16.0 / 8.0), "16 tweets, all within the 8 weeks");
    assert_eq!(g3.evidence, ["t0"], "the newest tweet");
    // Exactly 3 a week is enough.
    let (tl, preds) = timeline(&mix(0, 24, 0), 2, 0);
    let report = run(&tl, &preds, &options);
    assert!(report.stats.tweets_per_week >= 3.0);
    assert_eq!(verdict(&report, GuidelineId::G3).status, Status::Pass);
    // Newest tweet 31 days ago: fail, whatever the rhythm before.
    let (tl, preds) = timeline(&mix(0, 50, 0), 1, 31);
    let g3 = verdict(&run(&tl, &preds, &options), GuidelineId::G3).clone();
    assert_eq!(g3.status, Status::Fail);
    assert!(g3.advice.contains("31 days"), "{}", g3.advice);
    // 30 days is still not "more than 30 days".
    let (tl, preds) = timeline(&mix(0, 50, 0), 1, 30);
    assert_ne!(verdict(&run(&tl, &preds, &options), GuidelineId::G3).status, Status::Fail);
}

#[test]
fn g4_self_promotion_share_bands() {
    let options = AuditOptions::new(as_of(), Lang::En);
    let cases = [
        (mix(3, 7, 0), Status::Pass),
        (mix(4, 6, 0), Status::Warn),
        (mix(5, 5, 0), Status::Warn),
        (mix(6, 4, 0), Status::Fail),
    ];
    for (labels, expected) in cases {
        let (tl, preds) = timeline(&labels, 1, 0);
        let g4 = verdict(&run(&tl, &preds, &options), GuidelineId::G4).clone();
        assert_eq!(g4.status, expected, "{:?}", g4.value);
        assert_eq!(g4.threshold, Threshold { warn: Some(0.30), fail: 0.50 });
    }
    // Evidence: self-promotion tweets, most confident first.
    let (tl, preds) = timeline(&mix(6, 4, 0), 1, 0);
    let g4 = verdict(&run(&tl, &preds, &options), GuidelineId::G4).clone();
    assert_eq!(g4.evidence, ["t5", "t4", "t3", "t2", "t1"]);
}

#[test]
fn g5_political_share_bands_and_intended_flag() {
    let mut options = AuditOptions::new(as_of(), Lang::En);
    let cases = [
        (mix(0, 18, 2), Status::Pass),
        (mix(0, 17, 3), Status::Warn),
        (mix(0, 15, 5), Status::Warn),
        (mix(0, 14, 6), Status::Fail),
    ];
    for (labels, expected) in cases {
        let (tl, preds) = timeline(&labels, 1, 0);
        assert_eq!(verdict(&run(&tl, &preds, &options), GuidelineId::G5).status, expected);
    }
    options.political_intended = true;
    let (tl, preds) = timeline(&mix(0, 10, 10), 1, 0);
    let g5 = verdict(&run(&tl, &preds, &options), GuidelineId::G5).clone();
    assert_eq!(g5.status, Status::Pass);
    assert_eq!(g5.value, Some(0.5), "figures are still reported");
    assert!(g5.note.is_some_and(|n| n.contains("intended")));
}

#[test]
fn fewer_than_five_tweets_is_insufficient_data_for_shares_only() {
    let (tl, preds) = timeline(&mix(4, 0, 0), 1, 0);
    let report = run(&tl, &preds, &AuditOptions::new(as_of(), Lang::En));
    for id in [GuidelineId::G4, GuidelineId::G5] {
        assert_eq!(verdict(&report, id).status, Status::InsufficientData);
        assert_eq!(verdict(&report, id).value, None);
    }
    assert_eq!(verdict(&report, GuidelineId::G3).status, Status::Warn);
    // Only G1-G3 are judged: pass, pass, warn.
    assert_eq!(report.overall_score, 83);
}

#[test]
fn empty_timeline_is_a_report_not_an_error() {
    let (mut tl, _) = healthy();
    tl.tweets.clear();
    tl.profile.followers = Some(12);
    let report = run(&tl, &[], &AuditOptions::new(as_of(), Lang::Fr));
    assert_eq!(verdict(&report, GuidelineId::G3).status, Status::Fail);
    assert_eq!(verdict(&report, GuidelineId::G4).status, Status::InsufficientData);
    assert_eq!(report.stats.tweets, 0);
    assert!(report.stats.weekly.is_empty());
    assert!(report.notes.iter().any(|n| n.contains("20 abonnés")), "{:?}", report.notes);
}

#[test]
fn threshold_overrides_change_the_verdicts() {
    let (tl, preds) = timeline(&mix(4, 6, 0), 1, 0);
    let mut options = AuditOptions::new(as_of(), Lang::En);
    assert_eq!(verdict(&run(&tl, &preds, &options), GuidelineId::G4).status, Status::Warn);
    options.thresholds.self_promotion_warn = 0.45;
    options.thresholds.self_promotion_fail = 0.6;
    assert_eq!(verdict(&run(&tl, &preds, &options), GuidelineId::G4).status, Status::Pass);
    options.thresholds.min_tweets = 20;
    assert_eq!(verdict(&run(&tl, &preds, &options), GuidelineId::G4).status, Status::InsufficientData);
    options.thresholds.min_tweets_per_week = 10.0;
    assert_eq!(verdict(&run(&tl, &preds, &options), GuidelineId::G3).status, Status::Warn);

    let bad = Thresholds { political_warn: 0.5, political_fail: 0.2, ..Thresholds::default() };
    assert_eq!(bad.validate().map_err(|(field, _)| field), Err("political_warn"));
    assert!(Thresholds::default().validate().is_ok());
}

#[test]
fn tweet_order_does_not_matter() {
    let (tl, preds) = healthy();
    let mut reversed_tl = tl.clone();
    reversed_tl.tweets.reverse();
    let reversed_preds: Vec<Prediction> = preds.iter().rev().cloned().collect();
    let options = AuditOptions::new(as_of(), Lang::En);
    let a = run(&tl, &preds, &options);
    let b = run(&reversed_tl, &reversed_preds, &options);
    assert_eq!(a.stats, b.stats);
    for (x, y) in a.guidelines.iter().zip(&b.guidelines) {
        assert_eq!((x.status, x.value), (y.status, y.value));
    }
}

#[test]
fn future_and_undated_tweets_are_kept_out_of_activity() {
    let (mut tl, mut preds) = healthy();
    tl.tweets.push(TimelineTweet {
        id: "future".into(),
        text: "x".into(),
        created_at: Some(as_of() + Duration::days(3)),
        kind: TweetKind::Reply,
    });
    tl.tweets.push(TimelineTweet {
        id: "undated".into(),
        text: "y".into(),
        created_at: None,
        kind: TweetKind::Retweet,
    });
    preds.push(prediction(Label::Sharing, 0.9));
    preds.push(prediction(Label::Sharing, 0.9));
    let report = run(&tl, &preds, &AuditOptions::new(as_of(), Lang::En));
    assert_eq!(report.stats.tweets, 42);
    assert_eq!(report.stats.undated, 1);
    assert_eq!(report.stats.by_kind[&TweetKind::Retweet], 1);
    assert!(report.stats.newest.is_some_and(|d| d <= as_of()));
    assert!(verdict(&report, GuidelineId::G3).note.is_some());
    let shares: f64 = report.stats.label_shares.values().sum();
    assert!((shares - 1.0).abs() < 1e-12);
    let weekly_total: u64 = report.stats.weekly.iter().flat_map(|w| w.by_label.values()).sum();
    assert_eq!(weekly_total, 40, "dated tweets up to as_of, each in one week");
}

#[test]
fn borderline_verdicts_keep_their_status_and_say_so() {
    let options = AuditOptions::new(as_of(), Lang::En);
    // 3 of 10: exactly at the warn limit, with a wide interval around it.
    let (tl, preds) = timeline(&mix(3, 7, 0), 1, 0);
    let g4 = verdict(&run(&tl, &preds, &options), GuidelineId::G4).clone();
    assert_eq!(g4.status, Status::Pass, "the status follows the estimate");
    assert!(g4.borderline);
    let interval = g4.interval.expect("an interval");
    assert!(interval.low < 0.30 && interval.high > 0.30, "{interval:?}");
    assert!(g4.advice.starts_with("About 30% ("), "{}", g4.advice);
    assert!(g4.advice.contains("the interval reaches the 30% mark"), "{}", g4.advice);
    assert!(g4.note.as_deref().is_some_and(|n| n.contains("Borderline")), "{:?}", g4.note);

    // 200 of 400: at the fail limit, a narrow interval still across it.
    let (tl, preds) = timeline(&mix(200, 200, 0), 1, 0);
    let g4 = verdict(&run(&tl, &preds, &options), GuidelineId::G4).clone();
    assert_eq!(g4.status, Status::Warn);
    assert!(g4.borderline && g4.advice.contains("50% mark"), "{}", g4.advice);

    // Clear cases are not borderline, and their advice is the plain one.
    for (labels, status) in [(mix(0, 400, 0), Status::Pass), (mix(300, 100, 0), Status::Fail)] {
        let (tl, preds) = timeline(&labels, 1, 0);
        let g4 = verdict(&run(&tl, &preds, &options), GuidelineId::G4).clone();
        assert_eq!(g4.status, status);
        assert!(!g4.borderline, "{:?}", g4.interval);
        assert!(!g4.advice.starts_with("About"), "{}", g4.advice);
        assert!(g4.note.is_none());
    }

    // In French, and for political shares.
    let (tl, preds) = timeline(&mix(0, 9, 1), 1, 0);
    let g5 = verdict(&run(&tl, &preds, &AuditOptions::new(as_of(), Lang::Fr)), GuidelineId::G5).clone();
    assert!(g5.borderline);
    assert!(g5.advice.starts_with("Environ 10 % ("), "{}", g5.advice);

    // Declared political intent: reported, never held against the account,
    // so never borderline.
    let intended = AuditOptions { political_intended: true, ..AuditOptions::new(as_of(), Lang::En) };
    let g5 = verdict(&run(&tl, &preds, &intended), GuidelineId::G5).clone();
    assert_eq!(g5.status, Status::Pass);
    assert!(!g5.borderline && g5.interval.is_some());

    // Too few tweets: no interval, no borderline.
    let (tl, preds) = timeline(&mix(2, 1, 0), 1, 0);
    let g4 = verdict(&run(&tl, &preds, &options), GuidelineId::G4).clone();
    assert_eq!(g4.status, Status::InsufficientData);
    assert!(g4.interval.is_none() && !g4.borderline);
}

#[test]
fn shares_are_estimated_by_the_model_quantifier() {
    // The default model's quantifier corrects the counted shares: the report
    // carries both, and G4 is judged on the estimate.
    let model = crate::model::Model::embedded_default().expect("embedded model");
    let (tl, preds) = timeline(&mix(8, 30, 2), 1, 1);
    let report = audit_predictions(&tl, &preds, model.id(), model.quantifier(), &AuditOptions::new(as_of(), Lang::En));
    assert_eq!(report.stats.share_method, "adjusted");
    let estimate = report.stats.estimated_shares[&Label::SelfPromotion];
    assert_eq!(estimate.counted, 0.2);
    assert_ne!(estimate.share, estimate.counted, "the estimate corrects the count");
    assert!(estimate.low <= estimate.share && estimate.share <= estimate.high);
    let g4 = verdict(&report, GuidelineId::G4);
    assert_eq!(g4.value, Some(estimate.share));
    let total: f64 = report.stats.estimated_shares.values().map(|e| e.share).sum();
    assert!((total - 1.0).abs() < 1e-9, "shares sum to 1: {total}");
}

#[test]
fn borderline_follows_the_interval_of_the_model_estimate() {
    // The default model's estimator on 40-tweet timelines from 0 to 40
    // self-promotion tweets: borderline exactly when the interval crosses a
    // G4 limit, the status always that of the estimate, and both kinds met.
    let model = crate::model::Model::embedded_default().expect("embedded model");
    let options = AuditOptions::new(as_of(), Lang::En);
    let (mut borderline, mut clear) = (0, 0);
    for promotion in 0..=40 {
        let (tl, preds) = timeline(&mix(promotion, 40 - promotion, 0), 1, 0);
        let report = audit_predictions(&tl, &preds, model.id(), model.quantifier(), &options);
        let g4 = verdict(&report, GuidelineId::G4);
        let estimate = report.stats.estimated_shares[&Label::SelfPromotion];
        assert_eq!(g4.value, Some(estimate.share));
        assert_eq!(g4.interval, Some(Interval { low: estimate.low, high: estimate.high }));
        assert_eq!(g4.borderline, estimate.straddles(0.30) || estimate.straddles(0.50), "{promotion}: {g4:?}");
        let expected = match estimate.share {
            s if s > 0.50 => Status::Fail,
            s if s > 0.30 => Status::Warn,
            _ => Status::Pass,
        };
        assert_eq!(g4.status, expected, "{promotion}");
        assert_eq!(g4.advice.starts_with("About"), g4.borderline, "{}", g4.advice);
        if g4.borderline { borderline += 1 } else { clear += 1 }
    }
    assert!(borderline > 0 && clear > 0, "{borderline} borderline, {clear} clear");
}

#[test]
fn dates_at_the_edges_of_the_calendar_do_not_panic() {
    // The audit's week and window arithmetic near chrono's first and last
    // representable instants (the server refuses such dates before; a library
    // caller may not).
    let edges = [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, as_of()];
    for now in edges {
        for created in edges {
            let (mut tl, preds) = timeline(&mix(3, 3, 0), 1, 0);
            for tweet in &mut tl.tweets {
                tweet.created_at = Some(created);
            }
            let report = run(&tl, &preds, &AuditOptions::new(now, Lang::En));
            assert_eq!(report.guidelines.len(), 5);
            // Tweets of the last 104 weeks are drawn week by week.
            let weekly: u64 = report.stats.weekly.iter().flat_map(|w| w.by_label.values()).sum();
            assert_eq!(weekly, if created == now { 6 } else { 0 }, "{now} {created}");
        }
    }
}
