//! The `tweetguide.v1.Auditor` service.

use std::sync::Arc;

use chrono::Utc;
use tonic::{Request, Response, Status};

use super::state::ActiveModel;
use super::validate;
use crate::audit;
use crate::proto::audit::timeline_from_request;
use crate::proto::report_to_proto;
use crate::proto::v1::auditor_server::Auditor;
use crate::proto::v1::{ScoreTimelineRequest, TimelineReport};

/// The most tweets one timeline may carry: what the platform's API returns
/// for one account's timeline.
pub const MAX_TIMELINE_TWEETS: usize = 3_200;

/// Answers `ScoreTimeline` with the active model.
#[derive(Debug, Clone)]
pub struct AuditorService {
    model: Arc<ActiveModel>,
}

impl AuditorService {
    pub(crate) fn new(model: Arc<ActiveModel>) -> Self {
        AuditorService { model }
    }
}

#[tonic::async_trait]
impl Auditor for AuditorService {
    async fn score_timeline(&self, request: Request<ScoreTimelineRequest>) -> Result<Response<TimelineReport>, Status> {
        self.score(request.into_inner()).await
    }
}

impl AuditorService {
    async fn score(&self, request: ScoreTimelineRequest) -> Result<Response<TimelineReport>, Status> {
        validate::timeline_request(&request, MAX_TIMELINE_TWEETS)?;
        let (timeline, options) =
            timeline_from_request(request, Utc::now()).map_err(|(field, reason)| validate::invalid(field, reason))?;
        let model = self.model.snapshot();
        // Up to 3,200 tweets to score: off the async threads.
        let report = super::classifier::run_batch("audit", move || audit::audit(&model, &timeline, &options)).await?;
        Ok(Response::new(report_to_proto(&report)))
    }
}
