//! What an audit says: a status per guideline, with the figure measured, the
//! threshold it was held against, advice and evidence.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::timeline::TweetKind;
use crate::Label;
use crate::corpus::Lang;
use crate::model::ShareEstimate;

/// The five guidelines of the source article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GuidelineId {
    /// A real avatar, not the default egg.
    G1,
    /// An open (not protected) account.
    G2,
    /// An active account.
    G3,
    /// Not egocentric: share others' content.
    G4,
    /// Convictions versus business: few political tweets.
    G5,
}

impl GuidelineId {
    /// The five, in the article's order.
    pub const ALL: [GuidelineId; 5] =
        [GuidelineId::G1, GuidelineId::G2, GuidelineId::G3, GuidelineId::G4, GuidelineId::G5];

    /// `"G1"` … `"G5"`.
    pub fn as_str(self) -> &'static str {
        match self {
            GuidelineId::G1 => "G1",
            GuidelineId::G2 => "G2",
            GuidelineId::G3 => "G3",
            GuidelineId::G4 => "G4",
            GuidelineId::G5 => "G5",
        }
    }
}

/// How an account does on one guideline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Follows the guideline.
    Pass,
    /// Close to the line.
    Warn,
    /// Breaks the guideline.
    Fail,
    /// Too few tweets to judge (guidelines 4 and 5 need at least 5).
    InsufficientData,
}

impl Status {
    /// `"pass"`, `"warn"`, `"fail"` or `"insufficient_data"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::InsufficientData => "insufficient_data",
        }
    }
}

/// The limits a measured value was held against. Their meaning depends on the
/// guideline:
///
/// | guideline | value | `warn` | `fail` |
/// |---|---|---|---|
/// | G1 | 1 if the default avatar is shown, else 0 | – | 1 |
/// | G2 | 1 if the account is protected, else 0 | – | 1 |
/// | G3 | tweets per week over the activity window | fewer tweets a week than this | more days of silence than this |
/// | G4 | share of self-promotion (0–1) | above this share | above this share |
/// | G5 | share of political tweets (0–1) | above this share | above this share |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// Limit between pass and warn, if the guideline has a warn band.
    pub warn: Option<f64>,
    /// Limit of fail.
    pub fail: f64,
}

/// The verdict on one guideline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuidelineResult {
    /// Which guideline.
    pub id: GuidelineId,
    /// Its short title in the report's language.
    pub title: String,
    /// Pass, warn, fail or insufficient data.
    pub status: Status,
    /// The measured figure (see [`Threshold`] for its meaning per guideline);
    /// `None` when there was nothing to measure.
    pub value: Option<f64>,
    /// The limits the value was held against.
    pub threshold: Threshold,
    /// One sentence of advice, in the report's language.
    pub advice: String,
    /// Ids of the tweets that weigh most in the verdict, strongest first.
    pub evidence: Vec<String>,
    /// Anything the reader should know about how the verdict was reached.
    pub note: Option<String>,
    /// G4 and G5: the 90% interval of the estimated share (`value`).
    pub interval: Option<Interval>,
    /// The interval holds shares on both sides of a threshold: the status
    /// follows the point estimate, but the data cannot tell which side the
    /// account is on.
    pub borderline: bool,
}

/// The range a share lies in with 90% confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end, 0–1.
    pub low: f64,
    /// Upper end, 0–1.
    pub high: f64,
}

/// Tweets of one week, by label, for the activity and label-mix charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekBucket {
    /// Monday of the week (UTC).
    pub week_start: NaiveDate,
    /// Tweets of each label posted that week.
    pub by_label: BTreeMap<Label, u64>,
}

/// Figures about the timeline the verdicts are built on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineStats {
    /// Tweets in the request.
    pub tweets: u64,
    /// Tweets per predicted label.
    pub by_label: BTreeMap<Label, u64>,
    /// Tweets per kind (original, retweet, quote, reply).
    pub by_kind: BTreeMap<TweetKind, u64>,
    /// Share of each predicted label among all tweets (0 when there are
    /// none): plain counting, biased by the classifier's errors.
    pub label_shares: BTreeMap<Label, f64>,
    /// Each label's share estimated with the classifier's known errors, with
    /// its 90% interval (see `model/quantify.rs`); G4 and G5 are judged on these.
    pub estimated_shares: BTreeMap<Label, ShareEstimate>,
    /// How `estimated_shares` were computed: `adjusted` (halfway between
    /// counting and the probabilistic adjusted count), or `counted` for a
    /// model without held-apart predictions.
    pub share_method: String,
    /// Share of each kind among all tweets (0 when there are none).
    pub kind_shares: BTreeMap<TweetKind, f64>,
    /// Newest dated tweet.
    pub newest: Option<DateTime<Utc>>,
    /// Oldest dated tweet.
    pub oldest: Option<DateTime<Utc>>,
    /// Days between the newest tweet and `as_of`.
    pub days_since_newest: Option<f64>,
    /// Average tweets per week over the activity window before `as_of`.
    pub tweets_per_week: f64,
    /// Weeks in the activity window.
    pub activity_window_weeks: u32,
    /// Longest silence between two consecutive dated tweets, in days.
    pub longest_gap_days: Option<f64>,
    /// Tweets with no date (counted in label shares, not in activity).
    pub undated: u64,
    /// Weekly counts, oldest first, up to the week of `as_of` (at most 104 weeks).
    pub weekly: Vec<WeekBucket>,
}

/// One tweet's classification, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TweetResult {
    /// The tweet's id.
    pub id: String,
    /// Predicted label.
    pub label: Label,
    /// Probability of each label.
    pub probabilities: BTreeMap<Label, f64>,
    /// Original, retweet, quote or reply.
    pub kind: TweetKind,
    /// When it was posted.
    pub created_at: Option<DateTime<Utc>>,
    /// Its text, kept so that reports can show the evidence.
    pub text: String,
}

/// The audit of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The account's handle.
    pub handle: String,
    /// The language of titles and advice.
    pub lang: Lang,
    /// The evaluation time.
    pub as_of: DateTime<Utc>,
    /// 0–100: each judged guideline weighs the same; pass counts fully, warn
    /// half, fail nothing; guidelines with insufficient data are left out.
    pub overall_score: u8,
    /// The five verdicts, G1 to G5.
    pub guidelines: Vec<GuidelineResult>,
    /// The figures behind them.
    pub stats: TimelineStats,
    /// Followers, if known.
    pub followers: Option<u64>,
    /// Remarks in the report's language (e.g. the 20-follower ceiling).
    pub notes: Vec<String>,
    /// Every tweet's classification, in the order given.
    pub tweets: Vec<TweetResult>,
    /// Id of the model that classified the tweets.
    pub model_version: String,
}
