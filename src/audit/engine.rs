//! From a timeline and its predictions to the five verdicts.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::advice::{self, Activity};
use super::report::{
    GuidelineId, GuidelineResult, Interval, Report, Status, Threshold, TimelineStats, TweetResult, WeekBucket,
};
use super::timeline::{Timeline, TweetKind};
use crate::Label;
use crate::corpus::Lang;
use crate::model::{Model, Prediction, Quantifier, ScoreScratch};

/// The article's "20-follower ceiling".
const FOLLOWER_CEILING: u64 = 20;
/// Most weeks drawn in the weekly series.
const MAX_WEEKS: usize = 104;
/// Evidence tweets listed per guideline.
const MAX_EVIDENCE: usize = 5;

/// The limits each guideline is held against; every one can be overridden
/// per request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// G3: fewer tweets a week than this over the window is a warning.
    pub min_tweets_per_week: f64,
    /// G3: the window, in weeks before the evaluation time.
    pub activity_window_weeks: u32,
    /// G3: a newest tweet older than this many days is a failure.
    pub max_silence_days: f64,
    /// G4: a self-promotion share above this is a warning.
    pub self_promotion_warn: f64,
    /// G4: a self-promotion share above this is a failure.
    pub self_promotion_fail: f64,
    /// G5: a political share above this is a warning.
    pub political_warn: f64,
    /// G5: a political share above this is a failure.
    pub political_fail: f64,
    /// G4 and G5 need at least this many tweets to be judged.
    pub min_tweets: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_tweets_per_week: 3.0,
            activity_window_weeks: 8,
            max_silence_days: 30.0,
            self_promotion_warn: 0.30,
            self_promotion_fail: 0.50,
            political_warn: 0.10,
            political_fail: 0.25,
            min_tweets: 5,
        }
    }
}

impl Thresholds {
    /// Checks that the limits make sense; `Err` names the first one that does not.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let share = |name: &'static str, v: f64| {
            if (0.0..=1.0).contains(&v) { Ok(()) } else { Err((name, format!("{v} is not a share between 0 and 1"))) }
        };
        share("self_promotion_warn", self.self_promotion_warn)?;
        share("self_promotion_fail", self.self_promotion_fail)?;
        share("political_warn", self.political_warn)?;
        share("political_fail", self.political_fail)?;
        if self.self_promotion_warn > self.self_promotion_fail {
            return Err(("self_promotion_warn", "must not be above self_promotion_fail".to_owned()));
        }
        if self.political_warn > self.political_fail {
            return Err(("political_warn", "must not be above political_fail".to_owned()));
        }
        if !(self.min_tweets_per_week.is_finite() && self.min_tweets_per_week >= 0.0) {
            return Err(("min_tweets_per_week", format!("{} is not a non-negative number", self.min_tweets_per_week)));
        }
        if !(1..=520).contains(&self.activity_window_weeks) {
            return Err(("activity_window_weeks", format!("{} is not between 1 and 520", self.activity_window_weeks)));
        }
        if !(self.max_silence_days.is_finite() && self.max_silence_days > 0.0) {
            return Err(("max_silence_days", format!("{} is not a positive number", self.max_silence_days)));
        }
        if self.min_tweets == 0 {
            return Err(("min_tweets", "must be at least 1".to_owned()));
        }
        Ok(())
    }
}

/// How to run an audit.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditOptions {
    /// The evaluation time.
    pub as_of: DateTime<Utc>,
    /// The language of titles, advice and notes.
    pub lang: Lang,
    /// The limits of each guideline.
    pub thresholds: Thresholds,
    /// The owner says political content is deliberate: G5 reports its figures
    /// with status pass.
    pub political_intended: bool,
}

impl AuditOptions {
    /// Default thresholds, in `lang`, as of `as_of`.
    pub fn new(as_of: DateTime<Utc>, lang: Lang) -> Self {
        AuditOptions { as_of, lang, thresholds: Thresholds::default(), political_intended: false }
    }
}

/// Classifies every tweet of `timeline` with `model` and audits the account.
pub fn audit(model: &Model, timeline: &Timeline, options: &AuditOptions) -> Report {
    let mut scratch = ScoreScratch::default();
    let predictions: Vec<Prediction> =
        timeline.tweets.iter().map(|t| model.predict_with(&t.text, &mut scratch, 0)).collect();
    audit_predictions(timeline, &predictions, model.id(), model.quantifier(), options)
}

/// Audits an account whose tweets are already classified: `predictions[i]`
/// is the prediction for `timeline.tweets[i]`, made by the model whose id is
/// `model_version` and whose errors `quantifier` corrects for.
pub fn audit_predictions(
    timeline: &Timeline,
    predictions: &[Prediction],
    model_version: &str,
    quantifier: &Quantifier,
    options: &AuditOptions,
) -> Report {
    let lang = options.lang;
    let tweets: Vec<TweetResult> = timeline
        .tweets
        .iter()
        .zip(predictions)
        .map(|(tweet, p)| TweetResult {
            id: tweet.id.clone(),
            label: p.label,
            probabilities: Label::ALL.into_iter().map(|l| (l, p.probability(l))).collect(),
            kind: tweet.kind,
            created_at: tweet.created_at,
            text: tweet.text.clone(),
        })
        .collect();
    let (stats, future) = statistics(&tweets, quantifier, options);

    let profile = &timeline.profile;
    let default_avatar = profile.has_default_avatar();
    // A source without the profile (a CSV export) says nothing of the
    // picture: judging it the default egg would invent a failure.
    let g1_status = match default_avatar {
        None => Status::InsufficientData,
        Some(true) => Status::Fail,
        Some(false) => Status::Pass,
    };
    let g2_status = if profile.protected { Status::Fail } else { Status::Pass };
    let binary = |id, status, problem: Option<bool>, advice: String| GuidelineResult {
        id,
        title: advice::title(id, lang).to_owned(),
        status,
        value: problem.map(|problem| if problem { 1.0 } else { 0.0 }),
        threshold: Threshold { warn: None, fail: 1.0 },
        advice,
        evidence: Vec::new(),
        note: None,
        interval: None,
        borderline: false,
    };
    let guidelines = vec![
        binary(GuidelineId::G1, g1_status, default_avatar, advice::avatar(g1_status, lang)),
        binary(GuidelineId::G2, g2_status, Some(profile.protected), advice::open_account(g2_status, lang)),
        activity(&tweets, &stats, options, future),
        share_guideline(GuidelineId::G4, Label::SelfPromotion, &tweets, &stats, options),
        share_guideline(GuidelineId::G5, Label::Political, &tweets, &stats, options),
    ];

    let judged: Vec<f64> = guidelines
        .iter()
        .filter_map(|g| match g.status {
            Status::Pass => Some(1.0),
            Status::Warn => Some(0.5),
            Status::Fail => Some(0.0),
            Status::InsufficientData => None,
        })
        .collect();
    let overall_score =
        if judged.is_empty() { 0 } else { (100.0 * judged.iter().sum::<f64>() / judged.len() as f64).round() as u8 };

    let mut notes = Vec::new();
    if let Some(followers) = profile.followers.filter(|&f| f < FOLLOWER_CEILING) {
        notes.push(advice::follower_ceiling(followers, lang));
    }
    if future > 0 {
        notes.push(advice::future_tweets_note(future, lang));
    }

    Report {
        handle: profile.handle.clone(),
        lang,
        as_of: options.as_of,
        overall_score,
        guidelines,
        stats,
        followers: profile.followers,
        notes,
        tweets,
        model_version: model_version.to_owned(),
    }
}

/// G3: recent enough, and often enough.
fn activity(tweets: &[TweetResult], stats: &TimelineStats, options: &AuditOptions, future: u64) -> GuidelineResult {
    let t = &options.thresholds;
    let (status, why) = match stats.days_since_newest {
        None => (Status::Fail, Activity::NoTweets),
        Some(days) if days > t.max_silence_days => (Status::Fail, Activity::Silent { days }),
        Some(_) if stats.tweets_per_week < t.min_tweets_per_week => {
            (Status::Warn, Activity::Rhythm { per_week: stats.tweets_per_week, minimum: t.min_tweets_per_week })
        }
        Some(_) => (Status::Pass, Activity::Rhythm { per_week: stats.tweets_per_week, minimum: t.min_tweets_per_week }),
    };
    // The newest tweet is the evidence of (in)activity.
    let evidence = tweets
        .iter()
        .filter(|tw| tw.created_at.is_some_and(|d| d <= options.as_of))
        .max_by_key(|tw| tw.created_at)
        .map(|tw| vec![tw.id.clone()])
        .unwrap_or_default();
    let lang = options.lang;
    GuidelineResult {
        id: GuidelineId::G3,
        title: advice::title(GuidelineId::G3, lang).to_owned(),
        status,
        value: Some(stats.tweets_per_week),
        threshold: Threshold { warn: Some(t.min_tweets_per_week), fail: t.max_silence_days },
        advice: advice::activity(status, &why, lang),
        evidence,
        note: (future > 0).then(|| advice::future_tweets_note(future, lang)),
        interval: None,
        borderline: false,
    }
}

/// G4 and G5: the share of one label among all the tweets given, corrected
/// for the classifier's errors. The status follows the point estimate; an
/// interval across a threshold makes the verdict borderline.
fn share_guideline(
    id: GuidelineId,
    label: Label,
    tweets: &[TweetResult],
    stats: &TimelineStats,
    options: &AuditOptions,
) -> GuidelineResult {
    let t = &options.thresholds;
    let lang = options.lang;
    let (warn, fail) = match label {
        Label::Political => (t.political_warn, t.political_fail),
        _ => (t.self_promotion_warn, t.self_promotion_fail),
    };
    let estimate = stats.estimated_shares.get(&label).copied();
    let share = estimate.map_or(0.0, |e| e.share);
    let enough = stats.tweets >= u64::from(t.min_tweets);
    let intended = label == Label::Political && options.political_intended;
    let status = match () {
        () if !enough => Status::InsufficientData,
        () if intended => Status::Pass,
        () if share > fail => Status::Fail,
        () if share > warn => Status::Warn,
        () => Status::Pass,
    };
    let interval = estimate.filter(|_| enough).map(|e| Interval { low: e.low, high: e.high });
    let borderline = enough && !intended && estimate.is_some_and(|e| e.straddles(warn) || e.straddles(fail));
    // The straddled threshold nearest the estimate, for the advice.
    let near = [warn, fail]
        .into_iter()
        .filter(|&limit| borderline && estimate.is_some_and(|e| e.straddles(limit)))
        .min_by(|a, b| (a - share).abs().total_cmp(&(b - share).abs()));
    let share_words = advice::Share { share, interval, near };
    let advice = match (status, label) {
        (Status::InsufficientData, _) => advice::insufficient(t.min_tweets, lang),
        (_, Label::Political) => advice::convictions(status, &share_words, intended, lang),
        _ => advice::egocentric(status, &share_words, lang),
    };
    // The most clearly labelled tweets weigh most.
    let mut of_label: Vec<&TweetResult> = tweets.iter().filter(|tw| tw.label == label).collect();
    of_label.sort_by(|a, b| b.probabilities[&label].total_cmp(&a.probabilities[&label]).then_with(|| a.id.cmp(&b.id)));
    let note = match () {
        () if intended && enough => Some(advice::intended_note(lang)),
        () if borderline => Some(advice::borderline_note(lang)),
        () => None,
    };
    GuidelineResult {
        id,
        title: advice::title(id, lang).to_owned(),
        status,
        value: enough.then_some(share),
        threshold: Threshold { warn: Some(warn), fail },
        advice,
        evidence: of_label.into_iter().take(MAX_EVIDENCE).map(|tw| tw.id.clone()).collect(),
        note,
        interval,
        borderline,
    }
}

/// The Monday of `date`'s week; `date` itself at the very start of the
/// calendar, where that Monday cannot be written.
fn monday_of(date: NaiveDate) -> NaiveDate {
    date.checked_sub_signed(Duration::days(i64::from(date.weekday().num_days_from_monday()))).unwrap_or(date)
}

fn days_between(later: DateTime<Utc>, earlier: DateTime<Utc>) -> f64 {
    later.signed_duration_since(earlier).num_seconds() as f64 / 86_400.0
}

/// The figures of a timeline; also returns how many tweets are dated after
/// `as_of` (left out of activity figures).
fn statistics(tweets: &[TweetResult], quantifier: &Quantifier, options: &AuditOptions) -> (TimelineStats, u64) {
    let as_of = options.as_of;
    let total = tweets.len() as u64;
    let share = |count: u64| if total == 0 { 0.0 } else { count as f64 / total as f64 };
    let by_label: BTreeMap<Label, u64> =
        Label::ALL.into_iter().map(|l| (l, tweets.iter().filter(|t| t.label == l).count() as u64)).collect();
    let by_kind: BTreeMap<TweetKind, u64> =
        TweetKind::ALL.into_iter().map(|k| (k, tweets.iter().filter(|t| t.kind == k).count() as u64)).collect();

    let mut dated: Vec<(DateTime<Utc>, Label)> =
        tweets.iter().filter_map(|t| t.created_at.map(|d| (d, t.label))).filter(|&(d, _)| d <= as_of).collect();
    dated.sort_by_key(|&(d, _)| d);
    let undated = tweets.iter().filter(|t| t.created_at.is_none()).count() as u64;
    let future = tweets.iter().filter(|t| t.created_at.is_some_and(|d| d > as_of)).count() as u64;

    let window = Duration::weeks(i64::from(options.thresholds.activity_window_weeks));
    // Near the start of the calendar the window reaches back past it: then
    // every dated tweet is in it.
    let window_start = as_of.checked_sub_signed(window);
    let in_window = dated.iter().filter(|&&(d, _)| window_start.is_none_or(|start| d > start)).count();
    let longest_gap_days = dated.windows(2).map(|w| days_between(w[1].0, w[0].0)).reduce(f64::max);

    let mut weekly: Vec<WeekBucket> = Vec::new();
    if let Some(&(oldest, _)) = dated.first() {
        let last_week = monday_of(as_of.date_naive());
        let earliest = last_week.checked_sub_signed(Duration::weeks(MAX_WEEKS as i64 - 1)).unwrap_or(NaiveDate::MIN);
        let first_week = monday_of(oldest.date_naive()).max(earliest);
        let mut week = Some(first_week);
        while let Some(start) = week.filter(|w| *w <= last_week) {
            weekly.push(WeekBucket { week_start: start, by_label: Label::ALL.into_iter().map(|l| (l, 0)).collect() });
            week = start.checked_add_signed(Duration::weeks(1));
        }
        for &(date, label) in &dated {
            let week = monday_of(date.date_naive());
            if week >= first_week {
                let index = ((week - first_week).num_days() / 7) as usize;
                if let Some(bucket) = weekly.get_mut(index) {
                    *bucket.by_label.entry(label).or_insert(0) += 1;
                }
            }
        }
    }

    let probabilities: Vec<(Label, [f64; Label::COUNT])> =
        tweets.iter().map(|t| (t.label, Label::ALL.map(|l| t.probabilities.get(&l).copied().unwrap_or(0.0)))).collect();
    let estimates = quantifier.estimate(probabilities.iter().map(|(label, p)| (*label, p)));
    let stats = TimelineStats {
        tweets: total,
        label_shares: by_label.iter().map(|(&l, &c)| (l, share(c))).collect(),
        estimated_shares: Label::ALL.into_iter().map(|l| (l, estimates[l.index()])).collect(),
        share_method: quantifier.method().to_owned(),
        kind_shares: by_kind.iter().map(|(&k, &c)| (k, share(c))).collect(),
        by_label,
        by_kind,
        newest: dated.last().map(|&(d, _)| d),
        oldest: dated.first().map(|&(d, _)| d),
        days_since_newest: dated.last().map(|&(d, _)| days_between(as_of, d)),
        tweets_per_week: in_window as f64 / f64::from(options.thresholds.activity_window_weeks),
        activity_window_weeks: options.thresholds.activity_window_weeks,
        longest_gap_days,
        undated,
        weekly,
    };
    (stats, future)
}
