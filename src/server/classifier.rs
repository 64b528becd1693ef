//! The `tweetguide.v1.Classifier` service.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::{Stream, StreamExt, future};
use tonic::{Code, Request, Response, Status, Streaming};

use super::deadline::CallDeadline;
use super::metrics::{self, OpenStream};
use super::state::ActiveModel;
use super::validate;
use crate::Label;
use crate::model::{Model, Prediction, ScoreScratch};
use crate::proto::v1::classifier_server::Classifier;
use crate::proto::v1::{self, ClassifyRequest, ClassifyResponse, Tweet};

/// Batches up to this size are scored on the async thread: scoring a tweet
/// takes microseconds, less than a hop to the blocking pool. Larger batches go
/// to the blocking pool so they never stall other callers' requests.
const INLINE_BATCH: usize = 32;

/// Chunks of one stream scored at the same time (answers still go out in order).
const STREAM_PIPELINE: usize = 2;

/// Answers `Classify` and `ClassifyStream` with the active model.
#[derive(Debug, Clone)]
pub struct ClassifierService {
    model: Arc<ActiveModel>,
    max_tweets: usize,
}

impl ClassifierService {
    /// `max_tweets` bounds each message.
    pub(crate) fn new(model: Arc<ActiveModel>, max_tweets: usize) -> Self {
        ClassifierService { model, max_tweets }
    }
}

/// Ends `answers` with `DEADLINE_EXCEEDED` once `deadline` passes.
fn until_deadline(answers: ResponseStream, deadline: Option<CallDeadline>, open: OpenStream) -> ResponseStream {
    // Without a deadline (a server built without the deadline layer) the
    // stream still carries its `OpenStream` guard until it ends.
    let expiry: Pin<Box<dyn std::future::Future<Output = ()> + Send>> = match deadline {
        Some(CallDeadline(deadline)) => Box::pin(tokio::time::sleep_until(deadline)),
        None => Box::pin(std::future::pending()),
    };
    Box::pin(futures_util::stream::unfold(Some((answers, expiry, open)), move |state| async move {
        let (mut answers, mut expiry, open) = state?;
        tokio::select! {
            biased;
            answer = answers.next() => answer.map(|answer| (answer, Some((answers, expiry, open)))),
            () = &mut expiry => Some((
                Err(Status::deadline_exceeded("deadline exceeded: the stream was still open")),
                None,
            )),
        }
    }))
}

pub(crate) fn to_proto(id: String, p: &Prediction) -> v1::Prediction {
    v1::Prediction {
        id,
        label: v1::Category::from(p.label) as i32,
        probabilities: Some(v1::CategoryProbabilities {
            self_promotion: p.probability(Label::SelfPromotion),
            sharing: p.probability(Label::Sharing),
            political: p.probability(Label::Political),
        }),
        top_features: p
            .top_features
            .iter()
            .map(|f| v1::FeatureWeight { feature: f.feature.clone(), weight: f.weight })
            .collect(),
    }
}

pub(crate) fn score_now(model: &Model, tweets: Vec<Tweet>, top_k: usize) -> ClassifyResponse {
    thread_local! {
        static SCRATCH: std::cell::RefCell<ScoreScratch> = std::cell::RefCell::new(ScoreScratch::default());
    }
    let mut counts = [0u64; Label::COUNT];
    let response = SCRATCH.with_borrow_mut(|scratch| ClassifyResponse {
        predictions: tweets
            .into_iter()
            .map(|t| {
                let prediction = model.predict_with(&t.text, scratch, top_k);
                counts[prediction.label.index()] += 1;
                to_proto(t.id, &prediction)
            })
            .collect(),
        model_version: model.id().to_owned(),
    });
    metrics::tweets_classified(counts);
    response
}

/// Scores a validated batch with one model snapshot.
pub(crate) async fn score(model: Arc<Model>, tweets: Vec<Tweet>, top_k: usize) -> Result<ClassifyResponse, Status> {
    if tweets.len() <= INLINE_BATCH {
        return Ok(score_now(&model, tweets, top_k));
    }
    run_batch("scoring", move || score_now(&model, tweets, top_k)).await
}

/// One batch job per core at a time. Without it, every call's batch runs on
/// a thread of its own (the blocking pool has 512), so a burst of big calls
/// holds all their decoded tweets at once and leaves the small calls,
/// scored inline on the async threads, a sliver of the CPU.
static BATCH_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
});

/// Runs `job` off the async threads once a core is free for it.
pub(crate) async fn run_batch<T: Send + 'static>(
    what: &str,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Status> {
    let _slot = BATCH_SLOTS.acquire().await.map_err(|_| Status::unavailable("shutting down"))?;
    tokio::task::spawn_blocking(job).await.map_err(|e| Status::internal(format!("{what} task failed: {e}")))
}

/// tonic reports a message over the size limit as OUT_OF_RANGE; gRPC's own
/// implementations, and the proto's error table, say RESOURCE_EXHAUSTED.
pub(crate) fn caller_error(status: Status) -> Status {
    if status.code() == Code::OutOfRange { Status::resource_exhausted(status.message().to_owned()) } else { status }
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<ClassifyResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Classifier for ClassifierService {
    async fn classify(&self, request: Request<ClassifyRequest>) -> Result<Response<ClassifyResponse>, Status> {
        let request = request.into_inner();
        let top_k = validate::classify_request(&request, self.max_tweets)?;
        score(self.model.snapshot(), request.tweets, top_k).await.map(Response::new)
    }

    type ClassifyStreamStream = ResponseStream;

    async fn classify_stream(
        &self,
        request: Request<Streaming<ClassifyRequest>>,
    ) -> Result<Response<ResponseStream>, Status> {
        let active = Arc::clone(&self.model);
        let max_tweets = self.max_tweets;
        let deadline = request.extensions().get::<CallDeadline>().copied();
        let open = OpenStream::new();
        let answers = request
            .into_inner()
            .enumerate()
            .map(move |(chunk, message)| {
                let active = Arc::clone(&active);
                async move {
                    let request = message.map_err(|s| validate::within(&format!("chunk {chunk}"), caller_error(s)))?;
                    let top_k = validate::classify_request(&request, max_tweets)
                        .map_err(|s| validate::within(&format!("chunk {chunk}"), s))?;
                    score(active.snapshot(), request.tweets, top_k).await
                }
            })
            .buffered(STREAM_PIPELINE)
            // The first error ends the stream; answers already sent stay valid.
            .scan(false, |failed, answer| {
                if *failed {
                    return future::ready(None);
                }
                *failed = answer.is_err();
                future::ready(Some(answer))
            });
        let answers = until_deadline(Box::pin(answers), deadline, open);
        Ok(Response::new(answers))
    }
}
