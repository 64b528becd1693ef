//! The audit: an account's profile and timeline held against the five
//! guidelines of the source article.

mod report;
mod timeline;

pub use report::{GuidelineId, GuidelineResult, Report, Status, Threshold, TimelineStats, TweetResult, WeekBucket};
pub use timeline::{Profile, Timeline, TimelineTweet, TweetKind};
