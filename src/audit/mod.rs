//! The audit: an account's profile and timeline held against the five
//! guidelines of the source article.

mod advice;
mod engine;
pub mod html;
mod report;
mod simulation;
mod text;
mod timeline;

#[cfg(test)]
mod tests;

pub use engine::{AuditOptions, Thresholds, audit, audit_predictions};
pub use report::{
    GuidelineId, GuidelineResult, Interval, Report, Status, Threshold, TimelineStats, TweetResult, WeekBucket,
};
pub(crate) use simulation::Estimators;
pub use simulation::{
    SimulationFigures, SimulationOptions, SimulationReport, simulate_source_shift, simulate_timelines,
};
pub use text::{render_summary, render_text};
pub use timeline::{Profile, Timeline, TimelineTweet, TweetKind};
