//! The request half of [`crate::fuzzing`]: bytes as they would arrive in a
//! gRPC message, through the same decoding, checks and conversions as the
//! handlers, then the same scoring.

use prost::bytes::Bytes;
use tonic::{Code, Status};

use super::classifier::score_now;
use super::codec::decode_message;
use super::trainer::examples_from_request;
use super::{MAX_TIMELINE_TWEETS, validate};
use crate::audit::audit;
use crate::fuzzing::{as_of, check_prediction, check_report, default_model};
use crate::proto::audit::{report_to_proto, timeline_from_request};
use crate::proto::v1::{
    ActivateModelRequest, AddExamplesRequest, ClassifyRequest, GetModelRequest, RetrainRequest, ScoreTimelineRequest,
};

/// A rejected request must be the caller's fault and say which field.
fn check_refusal(status: &Status) {
    assert_eq!(status.code(), Code::InvalidArgument, "unexpected status {status:?}");
    assert!(!status.message().is_empty(), "refusal without a message");
}

/// The first byte picks the message type; the rest is its encoded body.
pub fn fuzz_request(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else { return };
    let body = Bytes::copy_from_slice(body);
    let outcome = match kind % 6 {
        0 => decode_message::<ClassifyRequest>(body).and_then(classify),
        1 => decode_message::<ScoreTimelineRequest>(body).and_then(score_timeline),
        2 => decode_message::<AddExamplesRequest>(body)
            .and_then(|r| examples_from_request(r, validate::MAX_TWEETS_PER_MESSAGE).map(drop)),
        3 => decode_message::<RetrainRequest>(body).map(drop),
        4 => decode_message::<GetModelRequest>(body).map(drop),
        _ => decode_message::<ActivateModelRequest>(body).map(drop),
    };
    if let Err(status) = outcome {
        check_refusal(&status);
    }
}

fn classify(request: ClassifyRequest) -> Result<(), Status> {
    let top = validate::classify_request(&request, validate::MAX_TWEETS_PER_MESSAGE)?;
    let ids: Vec<String> = request.tweets.iter().map(|t| t.id.clone()).collect();
    let response = score_now(default_model(), request.tweets, top);
    assert_eq!(response.predictions.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), ids, "answers out of order");
    for prediction in &response.predictions {
        let p = prediction.probabilities.unwrap_or_default();
        let sum = p.self_promotion + p.sharing + p.political;
        assert!((sum - 1.0).abs() < 1e-9, "probabilities {p:?} sum to {sum}");
        assert!(prediction.top_features.len() <= top);
    }
    Ok(())
}

fn score_timeline(request: ScoreTimelineRequest) -> Result<(), Status> {
    validate::timeline_request(&request, MAX_TIMELINE_TWEETS)?;
    let (timeline, options) =
        timeline_from_request(request, as_of()).map_err(|(field, reason)| validate::invalid(field, reason))?;
    let report = audit(default_model(), &timeline, &options);
    check_report(&report, timeline.tweets.len());
    for tweet in &timeline.tweets {
        check_prediction(&default_model().predict(&tweet.text));
    }
    let message = report_to_proto(&report);
    assert_eq!(message.tweets.len(), timeline.tweets.len());
    Ok(())
}
