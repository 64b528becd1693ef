//! Conversions between the audit library's types and `tweetguide.v1` messages,
//! used by the server (report out) and the client (request out, report in).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use prost_types::Timestamp;

use super::v1;
use crate::Label;
use crate::audit::{
    AuditOptions, GuidelineId, GuidelineResult, Interval, Profile, Report, Status, Threshold, Thresholds, Timeline,
    TimelineStats, TimelineTweet, TweetKind, TweetResult, WeekBucket,
};
use crate::corpus::Lang;
use crate::model::ShareEstimate;

pub(crate) fn timestamp(date: DateTime<Utc>) -> Timestamp {
    Timestamp { seconds: date.timestamp(), nanos: date.timestamp_subsec_nanos() as i32 }
}

/// `None` for a timestamp chrono cannot represent.
/// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range of
/// protobuf's `Timestamp`, outside of which date arithmetic stops making sense.
const TIMESTAMP_SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

pub(crate) fn datetime(ts: &Timestamp) -> Option<DateTime<Utc>> {
    if !TIMESTAMP_SECONDS.contains(&ts.seconds) {
        return None;
    }
    DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).ok()?)
}

impl From<TweetKind> for v1::TweetKind {
    fn from(kind: TweetKind) -> Self {
        match kind {
            TweetKind::Original => v1::TweetKind::Original,
            TweetKind::Retweet => v1::TweetKind::Retweet,
            TweetKind::Quote => v1::TweetKind::Quote,
            TweetKind::Reply => v1::TweetKind::Reply,
        }
    }
}

impl From<v1::TweetKind> for TweetKind {
    fn from(kind: v1::TweetKind) -> Self {
        match kind {
            v1::TweetKind::Unspecified | v1::TweetKind::Original => TweetKind::Original,
            v1::TweetKind::Retweet => TweetKind::Retweet,
            v1::TweetKind::Quote => TweetKind::Quote,
            v1::TweetKind::Reply => TweetKind::Reply,
        }
    }
}

impl From<GuidelineId> for v1::GuidelineId {
    fn from(id: GuidelineId) -> Self {
        match id {
            GuidelineId::G1 => v1::GuidelineId::G1Avatar,
            GuidelineId::G2 => v1::GuidelineId::G2OpenAccount,
            GuidelineId::G3 => v1::GuidelineId::G3Activity,
            GuidelineId::G4 => v1::GuidelineId::G4NotEgocentric,
            GuidelineId::G5 => v1::GuidelineId::G5Convictions,
        }
    }
}

impl From<Status> for v1::GuidelineStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Pass => v1::GuidelineStatus::Pass,
            Status::Warn => v1::GuidelineStatus::Warn,
            Status::Fail => v1::GuidelineStatus::Fail,
            Status::InsufficientData => v1::GuidelineStatus::InsufficientData,
        }
    }
}

/// The request a client sends to audit `timeline`.
pub fn timeline_request(timeline: &Timeline, options: &AuditOptions) -> v1::ScoreTimelineRequest {
    let p = &timeline.profile;
    let t = &options.thresholds;
    v1::ScoreTimelineRequest {
        profile: Some(v1::Profile {
            handle: p.handle.clone(),
            display_name: p.display_name.clone(),
            profile_image_url: p.profile_image_url.clone().unwrap_or_default(),
            default_avatar: p.default_avatar,
            avatar_unknown: p.has_default_avatar().is_none(),
            protected: p.protected,
            followers_count: p.followers,
            following_count: p.following,
            created_at: p.created_at.map(timestamp),
        }),
        tweets: timeline
            .tweets
            .iter()
            .map(|tw| v1::Tweet {
                id: tw.id.clone(),
                text: tw.text.clone(),
                created_at: tw.created_at.map(timestamp),
                kind: v1::TweetKind::from(tw.kind) as i32,
            })
            .collect(),
        as_of: Some(timestamp(options.as_of)),
        locale: options.lang.as_str().to_owned(),
        thresholds: Some(v1::Thresholds {
            min_tweets_per_week: Some(t.min_tweets_per_week),
            activity_window_weeks: Some(t.activity_window_weeks),
            max_silence_days: Some(t.max_silence_days),
            self_promotion_warn: Some(t.self_promotion_warn),
            self_promotion_fail: Some(t.self_promotion_fail),
            political_warn: Some(t.political_warn),
            political_fail: Some(t.political_fail),
            min_tweets: Some(t.min_tweets),
        }),
        political_content_intended: options.political_intended,
    }
}

/// Checks a timeline and its options as the server's `ScoreTimeline` does, so
/// that an in-process audit accepts exactly what a server accepts. `Err` is
/// the server's message, naming the field (`tweets[3].text: empty text`).
pub fn check_timeline(timeline: &Timeline, options: &AuditOptions) -> Result<(), String> {
    let request = timeline_request(timeline, options);
    crate::server::validate::timeline_request(&request, crate::server::MAX_TIMELINE_TWEETS)
        .map_err(|status| status.message().to_owned())?;
    timeline_from_request(request, options.as_of).map(|_| ()).map_err(|(field, reason)| format!("{field}: {reason}"))
}

/// What the server makes of a (validated) request.
pub(crate) fn timeline_from_request(
    request: v1::ScoreTimelineRequest,
    now: DateTime<Utc>,
) -> Result<(Timeline, AuditOptions), (String, String)> {
    let bad = |field: &str, reason: &str| (field.to_owned(), reason.to_owned());
    // No profile at all says no more of the picture than `avatar_unknown`.
    let profile = request.profile.unwrap_or(v1::Profile { avatar_unknown: true, ..v1::Profile::default() });
    let created_at = match &profile.created_at {
        Some(ts) => {
            Some(datetime(ts).ok_or_else(|| bad("profile.created_at", "not a valid timestamp (years 1 to 9999)"))?)
        }
        None => None,
    };
    let as_of = match &request.as_of {
        Some(ts) => datetime(ts).ok_or_else(|| bad("as_of", "not a valid timestamp (years 1 to 9999)"))?,
        None => now,
    };
    let max_locale = crate::server::validate::MAX_LOCALE_BYTES;
    if request.locale.len() > max_locale {
        return Err(bad("locale", &format!("{} bytes, over the limit of {max_locale}", request.locale.len())));
    }
    let lang = match request.locale.to_ascii_lowercase().split(['-', '_']).next().unwrap_or_default() {
        "" | "en" => Lang::En,
        "fr" => Lang::Fr,
        _ => {
            let quoted = crate::server::validate::quote(&request.locale);
            return Err(bad("locale", &format!("{quoted} is not supported: use \"fr\" or \"en\"")));
        }
    };
    let defaults = Thresholds::default();
    let o = request.thresholds.unwrap_or_default();
    let thresholds = Thresholds {
        min_tweets_per_week: o.min_tweets_per_week.unwrap_or(defaults.min_tweets_per_week),
        activity_window_weeks: o.activity_window_weeks.unwrap_or(defaults.activity_window_weeks),
        max_silence_days: o.max_silence_days.unwrap_or(defaults.max_silence_days),
        self_promotion_warn: o.self_promotion_warn.unwrap_or(defaults.self_promotion_warn),
        self_promotion_fail: o.self_promotion_fail.unwrap_or(defaults.self_promotion_fail),
        political_warn: o.political_warn.unwrap_or(defaults.political_warn),
        political_fail: o.political_fail.unwrap_or(defaults.political_fail),
        min_tweets: o.min_tweets.unwrap_or(defaults.min_tweets),
    };
    thresholds.validate().map_err(|(field, reason)| (format!("thresholds.{field}"), reason))?;
    let mut tweets = Vec::with_capacity(request.tweets.len());
    for (i, tweet) in request.tweets.into_iter().enumerate() {
        let created_at =
            match &tweet.created_at {
                Some(ts) => Some(datetime(ts).ok_or_else(|| {
                    bad(&format!("tweets[{i}].created_at"), "not a valid timestamp (years 1 to 9999)")
                })?),
                None => None,
            };
        let kind = v1::TweetKind::try_from(tweet.kind).map(TweetKind::from).unwrap_or_default();
        tweets.push(TimelineTweet { id: tweet.id, text: tweet.text, created_at, kind });
    }
    let timeline = Timeline {
        profile: Profile {
            handle: profile.handle,
            display_name: profile.display_name,
            // An empty URL means "no picture", the default one, unless the
            // client says the source did not show it.
            profile_image_url: Some(profile.profile_image_url)
                .filter(|url| !(url.is_empty() && profile.avatar_unknown)),
            default_avatar: profile.default_avatar,
            protected: profile.protected,
            followers: profile.followers_count,
            following: profile.following_count,
            created_at,
        },
        tweets,
    };
    let options = AuditOptions { as_of, lang, thresholds, political_intended: request.political_content_intended };
    Ok((timeline, options))
}

fn probabilities(p: &BTreeMap<Label, f64>) -> v1::CategoryProbabilities {
    let get = |l| p.get(&l).copied().unwrap_or(0.0);
    v1::CategoryProbabilities {
        self_promotion: get(Label::SelfPromotion),
        sharing: get(Label::Sharing),
        political: get(Label::Political),
    }
}

/// The message the server sends for a report.
pub fn report_to_proto(report: &Report) -> v1::TimelineReport {
    let s = &report.stats;
    let count = |l| s.by_label.get(&l).copied().unwrap_or(0);
    let kinds = |k| s.by_kind.get(&k).copied().unwrap_or(0);
    v1::TimelineReport {
        handle: report.handle.clone(),
        overall_score: u32::from(report.overall_score),
        guidelines: report
            .guidelines
            .iter()
            .map(|g| v1::GuidelineResult {
                id: v1::GuidelineId::from(g.id) as i32,
                title: g.title.clone(),
                status: v1::GuidelineStatus::from(g.status) as i32,
                value: g.value,
                threshold: Some(v1::Threshold { warn: g.threshold.warn, fail: g.threshold.fail }),
                advice: g.advice.clone(),
                evidence: g.evidence.clone(),
                note: g.note.clone().unwrap_or_default(),
                interval: g.interval.map(|i| v1::ShareInterval { low: i.low, high: i.high }),
                borderline: g.borderline,
            })
            .collect(),
        stats: Some(v1::TimelineStats {
            tweets: s.tweets,
            self_promotion: count(Label::SelfPromotion),
            sharing: count(Label::Sharing),
            political: count(Label::Political),
            originals: kinds(TweetKind::Original),
            retweets: kinds(TweetKind::Retweet),
            quotes: kinds(TweetKind::Quote),
            replies: kinds(TweetKind::Reply),
            newest: s.newest.map(timestamp),
            oldest: s.oldest.map(timestamp),
            days_since_newest: s.days_since_newest,
            tweets_per_week: s.tweets_per_week,
            activity_window_weeks: s.activity_window_weeks,
            longest_gap_days: s.longest_gap_days,
            undated: s.undated,
            weekly: s
                .weekly
                .iter()
                .map(|w| {
                    let get = |l| w.by_label.get(&l).copied().unwrap_or(0);
                    v1::WeekBucket {
                        week_start: w.week_start.format("%Y-%m-%d").to_string(),
                        self_promotion: get(Label::SelfPromotion),
                        sharing: get(Label::Sharing),
                        political: get(Label::Political),
                    }
                })
                .collect(),
            self_promotion_share: share_estimate(s, Label::SelfPromotion),
            sharing_share: share_estimate(s, Label::Sharing),
            political_share: share_estimate(s, Label::Political),
            share_method: s.share_method.clone(),
        }),
        notes: report.notes.clone(),
        tweets: report
            .tweets
            .iter()
            .map(|t| v1::TweetResult {
                prediction: Some(v1::Prediction {
                    id: t.id.clone(),
                    label: v1::Category::from(t.label) as i32,
                    probabilities: Some(probabilities(&t.probabilities)),
                    top_features: Vec::new(),
                }),
                kind: v1::TweetKind::from(t.kind) as i32,
                created_at: t.created_at.map(timestamp),
            })
            .collect(),
        model_version: report.model_version.clone(),
        as_of: Some(timestamp(report.as_of)),
        locale: report.lang.as_str().to_owned(),
        followers_count: report.followers,
    }
}

fn share_estimate(stats: &TimelineStats, label: Label) -> Option<v1::ShareEstimate> {
    stats.estimated_shares.get(&label).map(|e| v1::ShareEstimate {
        share: e.share,
        interval: Some(v1::ShareInterval { low: e.low, high: e.high }),
        counted: e.counted,
    })
}

fn shares<K: Ord + Copy>(counts: &BTreeMap<K, u64>, total: u64) -> BTreeMap<K, f64> {
    counts.iter().map(|(&k, &c)| (k, if total == 0 { 0.0 } else { c as f64 / total as f64 })).collect()
}

/// Why a server's report could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("unreadable report from the server: {0}")]
pub struct ReportError(String);

/// Rebuilds a report from the server's message. Tweet texts are not sent
/// back, so they are taken from `timeline` (by id) for evidence display.
pub fn report_from_proto(message: v1::TimelineReport, timeline: &Timeline) -> Result<Report, ReportError> {
    let err = |what: &str| ReportError(what.to_owned());
    let texts: HashMap<&str, &str> = timeline.tweets.iter().map(|t| (t.id.as_str(), t.text.as_str())).collect();
    let label_of = |category: i32| Label::from_wire(category).ok_or_else(|| err("unknown category"));
    let lang = if message.locale == "fr" { Lang::Fr } else { Lang::En };
    let stats = message.stats.ok_or_else(|| err("no statistics"))?;
    let by_label: BTreeMap<Label, u64> = [
        (Label::SelfPromotion, stats.self_promotion),
        (Label::Sharing, stats.sharing),
        (Label::Political, stats.political),
    ]
    .into();
    let by_kind: BTreeMap<TweetKind, u64> = [
        (TweetKind::Original, stats.originals),
        (TweetKind::Retweet, stats.retweets),
        (TweetKind::Quote, stats.quotes),
        (TweetKind::Reply, stats.replies),
    ]
    .into();
    let mut weekly = Vec::with_capacity(stats.weekly.len());
    for w in &stats.weekly {
        let week_start = NaiveDate::parse_from_str(&w.week_start, "%Y-%m-%d").map_err(|_| err("bad week date"))?;
        let by_label =
            [(Label::SelfPromotion, w.self_promotion), (Label::Sharing, w.sharing), (Label::Political, w.political)]
                .into();
        weekly.push(WeekBucket { week_start, by_label });
    }
    let mut guidelines = Vec::with_capacity(message.guidelines.len());
    for g in message.guidelines {
        let id = match v1::GuidelineId::try_from(g.id) {
            Ok(v1::GuidelineId::G1Avatar) => GuidelineId::G1,
            Ok(v1::GuidelineId::G2OpenAccount) => GuidelineId::G2,
            Ok(v1::GuidelineId::G3Activity) => GuidelineId::G3,
            Ok(v1::GuidelineId::G4NotEgocentric) => GuidelineId::G4,
            Ok(v1::GuidelineId::G5Convictions) => GuidelineId::G5,
            _ => return Err(err("unknown guideline")),
        };
        let status = match v1::GuidelineStatus::try_from(g.status) {
            Ok(v1::GuidelineStatus::Pass) => Status::Pass,
            Ok(v1::GuidelineStatus::Warn) => Status::Warn,
            Ok(v1::GuidelineStatus::Fail) => Status::Fail,
            Ok(v1::GuidelineStatus::InsufficientData) => Status::InsufficientData,
            _ => return Err(err("unknown status")),
        };
        let threshold = g.threshold.ok_or_else(|| err("guideline without threshold"))?;
        guidelines.push(GuidelineResult {
            id,
            title: g.title,
            status,
            value: g.value,
            threshold: Threshold { warn: threshold.warn, fail: threshold.fail },
            advice: g.advice,
            evidence: g.evidence,
            note: Some(g.note).filter(|n| !n.is_empty()),
            interval: g.interval.map(|i| Interval { low: i.low, high: i.high }),
            borderline: g.borderline,
        });
    }
    let mut tweets = Vec::with_capacity(message.tweets.len());
    for t in message.tweets {
        let p = t.prediction.ok_or_else(|| err("tweet without prediction"))?;
        let probs = p.probabilities.unwrap_or_default();
        tweets.push(TweetResult {
            text: texts.get(p.id.as_str()).map(|s| (*s).to_owned()).unwrap_or_default(),
            label: label_of(p.label)?,
            probabilities: [
                (Label::SelfPromotion, probs.self_promotion),
                (Label::Sharing, probs.sharing),
                (Label::Political, probs.political),
            ]
            .into(),
            id: p.id,
            kind: v1::TweetKind::try_from(t.kind).map(TweetKind::from).unwrap_or_default(),
            created_at: t.created_at.as_ref().and_then(datetime),
        });
    }
    Ok(Report {
        handle: message.handle,
        lang,
        as_of: message.as_of.as_ref().and_then(datetime).ok_or_else(|| err("no evaluation time"))?,
        overall_score: u8::try_from(message.overall_score.min(100)).unwrap_or(100),
        guidelines,
        stats: TimelineStats {
            tweets: stats.tweets,
            label_shares: shares(&by_label, stats.tweets),
            estimated_shares: [
                (Label::SelfPromotion, &stats.self_promotion_share),
                (Label::Sharing, &stats.sharing_share),
                (Label::Political, &stats.political_share),
            ]
            .into_iter()
            .filter_map(|(label, e)| {
                let e = e.as_ref()?;
                let interval = e.interval.unwrap_or(v1::ShareInterval { low: e.share, high: e.share });
                Some((
                    label,
                    ShareEstimate { share: e.share, low: interval.low, high: interval.high, counted: e.counted },
                ))
            })
            .collect(),
            share_method: stats.share_method.clone(),
            kind_shares: shares(&by_kind, stats.tweets),
            by_label,
            by_kind,
            newest: stats.newest.as_ref().and_then(datetime),
            oldest: stats.oldest.as_ref().and_then(datetime),
            days_since_newest: stats.days_since_newest,
            tweets_per_week: stats.tweets_per_week,
            activity_window_weeks: stats.activity_window_weeks,
            longest_gap_days: stats.longest_gap_days,
            undated: stats.undated,
            weekly,
        },
        followers: message.followers_count,
        notes: message.notes,
        tweets,
        model_version: message.model_version,
    })
}
