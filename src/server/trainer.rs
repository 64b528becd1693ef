//! The `tweetguide.v1.Trainer` service: examples in, evaluated models out,
//! hot-swapped without stopping the other services.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Response, Status};
use tracing::{info, warn};

use super::state::ActiveModel;
use super::validate;
use crate::Label;
use crate::corpus::{self, LabelledTweet, dedup_key};
use crate::model::{HeldOut, Metrics, Model};
use crate::proto::audit::timestamp;
use crate::proto::v1::trainer_server::Trainer;
use crate::proto::v1::{self, ActivateModelRequest, ActivateModelResponse, AddExamplesRequest, AddExamplesResponse};
use crate::proto::v1::{GetModelRequest, ListModelsRequest, ListModelsResponse, ModelVersion};
use crate::proto::v1::{RetrainRequest, RetrainResponse};
use crate::store::{DataFolder, ExampleStore, ModelRegistry, StoreError, VersionInfo};

/// How much lower a retrained model's held-out macro-F1 may be than the
/// active model's and still be activated, unless the request says otherwise.
pub const DEFAULT_TOLERANCE: f64 = 0.01;

/// What a retrain starts from: the model whose statistics the stored
/// examples are added to (the built-in default, or the `--model` file), and
/// the hand-written held-out file new models are compared on.
#[derive(Debug, Clone)]
pub struct RetrainBase {
    /// The model a retrain adds the examples to; never the active model, so
    /// that examples are counted once however many retrains there were.
    pub model: Arc<Model>,
    /// Held-out tweets; never trained on, used to compare models.
    pub held_out: Vec<LabelledTweet>,
}

impl RetrainBase {
    /// `model` plus the held-out file committed in `training-data/`, built
    /// into the binary so that a clone without the real tweets retrains too.
    pub fn new(model: Arc<Model>) -> Result<RetrainBase, String> {
        let held_out = include_str!("../../training-data/test.jsonl")
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                corpus::parse_line(l, corpus::Rules::CORPUS).map_err(|e| format!("test.jsonl:{}: {e}", i + 1))
            })
            .collect::<Result<_, _>>()?;
        Ok(RetrainBase { model, held_out })
    }
}

/// Everything retraining needs, shared by the Trainer's handlers.
pub struct TrainerState {
    pub(crate) model: Arc<ActiveModel>,
    pub(crate) store: Arc<dyn ExampleStore>,
    pub(crate) registry: Arc<ModelRegistry>,
    pub(crate) base: Arc<RetrainBase>,
    /// Held for a whole retrain: a second one is refused, not queued, since
    /// it would train on the same examples.
    retraining: Arc<tokio::sync::Mutex<()>>,
    /// Held while the active version changes (an activation, the end of a
    /// retrain): changes wait for each other, briefly, and a retrain compares
    /// its model with the version that is active when it decides.
    switching: Arc<tokio::sync::Mutex<()>>,
    /// The data folder's lock, held as long as the Trainer may write there.
    _folder: DataFolder,
}

impl std::fmt::Debug for TrainerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainerState").field("registry", &self.registry).finish_non_exhaustive()
    }
}

impl TrainerState {
    /// Ties the store, the registry and the active model together, and keeps
    /// the data folder they live in locked until the state is dropped.
    pub fn new(
        model: Arc<ActiveModel>,
        store: Arc<dyn ExampleStore>,
        registry: Arc<ModelRegistry>,
        base: RetrainBase,
        folder: DataFolder,
    ) -> Self {
        TrainerState {
            model,
            store,
            registry,
            base: Arc::new(base),
            retraining: Arc::default(),
            switching: Arc::default(),
            _folder: folder,
        }
    }
}

/// Answers the Trainer RPCs.
#[derive(Debug, Clone)]
pub struct TrainerService {
    state: Arc<TrainerState>,
    max_examples: usize,
}

impl TrainerService {
    /// `max_examples`: most examples one AddExamples call may carry.
    pub(crate) fn new(state: Arc<TrainerState>, max_examples: usize) -> Self {
        TrainerService { state, max_examples }
    }
}

/// What a failed Trainer call left behind, for the error message: every store
/// operation either completes or changes nothing.
const NOTHING_CHANGED: &str = "nothing was changed";
const NOTHING_STORED: &str = "nothing was stored";

/// The caller's id, clipped: it may be megabytes long.
fn unknown_version(id: &str) -> Status {
    Status::not_found(format!("no kept model version {}", validate::quote(id)))
}

fn store_status(error: StoreError) -> Status {
    store_status_after(error, NOTHING_CHANGED)
}

/// Maps a store failure to the code that tells the caller what to do: retry
/// later (locked), have the operator fix the server's disk or permissions
/// (full, read-only), or report a fault (anything else).
fn store_status_after(error: StoreError, unchanged: &str) -> Status {
    match error {
        StoreError::UnknownVersion(id) => unknown_version(&id),
        StoreError::Locked { .. } => {
            warn!(error = %error, "example database locked");
            Status::unavailable(format!("{error}; {unchanged}"))
        }
        StoreError::ReadOnly { .. } => {
            warn!(error = %error, "example database read-only");
            Status::failed_precondition(format!("{error}; {unchanged}"))
        }
        StoreError::Full { .. } => {
            warn!(error = %error, "disk full");
            Status::resource_exhausted(format!("{error}; {unchanged}"))
        }
        other => {
            warn!(error = %other, "storage failure");
            Status::internal(format!("storage failure, {unchanged}: {other}"))
        }
    }
}

fn metrics_to_proto(m: &Metrics) -> v1::Metrics {
    v1::Metrics {
        count: m.count,
        accuracy: m.accuracy,
        macro_f1: m.macro_f1,
        per_class: m
            .per_class
            .iter()
            .map(|(&label, c)| v1::ClassMetrics {
                label: v1::Category::from(label) as i32,
                precision: c.precision,
                recall: c.recall,
                f1: c.f1,
                support: c.support,
            })
            .collect(),
        confusion: m.confusion.iter().flatten().copied().collect(),
    }
}

fn version_to_proto(info: &VersionInfo, active: &str, model: Option<&Model>) -> ModelVersion {
    let held_out = match model.and_then(|m| m.info().held_out.as_ref()) {
        Some(metrics) => metrics_to_proto(metrics),
        None => v1::Metrics { accuracy: info.accuracy, macro_f1: info.macro_f1, ..Default::default() },
    };
    ModelVersion {
        id: info.id.clone(),
        parent: info.parent.clone().unwrap_or_default(),
        created_at: Some(timestamp(info.created_at)),
        active: info.id == active,
        origin: info.origin.clone(),
        training_examples: info.training_examples,
        added_examples: info.added_examples,
        data_sha256: info.data_sha256.clone(),
        vocabulary_size: info.vocabulary_size,
        alpha: info.alpha,
        held_out: Some(held_out),
    }
}

/// Checks an AddExamples request and turns it into labelled tweets.
pub(crate) fn examples_from_request(request: AddExamplesRequest, max: usize) -> Result<Vec<LabelledTweet>, Status> {
    if request.examples.is_empty() {
        return Err(validate::invalid("examples", "no example given"));
    }
    if request.examples.len() > max {
        return Err(validate::invalid(
            "examples",
            format!("{} examples, over the limit of {max}", request.examples.len()),
        ));
    }
    request
        .examples
        .into_iter()
        .enumerate()
        .map(|(i, example)| {
            let tweet = example.tweet.ok_or_else(|| validate::invalid(format!("examples[{i}].tweet"), "missing"))?;
            validate::tweet(validate::At { field: "examples", index: i, inner: ".tweet" }, &tweet)?;
            let label = Label::from_wire(example.label).ok_or_else(|| {
                validate::invalid(format!("examples[{i}].label"), "must be SELF_PROMOTION, SHARING or POLITICAL")
            })?;
            let lang = match example.lang.as_str() {
                "" => None,
                code => Some(code.parse().map_err(|_| {
                    validate::invalid(format!("examples[{i}].lang"), "must be \"fr\", \"en\" or empty")
                })?),
            };
            Ok(LabelledTweet { text: tweet.text, label, lang })
        })
        .collect()
}

/// What a retrain did.
struct RetrainOutcome {
    candidate: (Model, VersionInfo),
    previous: (Arc<Model>, Option<VersionInfo>),
    activated: bool,
    reason: String,
    seconds: f64,
    held_out_overlap: u64,
}

fn retrain_blocking(state: &TrainerState, force: bool, tolerance: f64) -> Result<RetrainOutcome, Status> {
    let started = Instant::now();
    let examples = state.store.all().map_err(store_status)?;
    let held_out = &state.base.held_out;
    let held_out_keys: HashSet<String> = held_out.iter().map(|t| dedup_key(&t.text)).collect();
    // The same text stored twice counts once, with its latest label; texts of
    // the held-out file are never trained on.
    let mut by_key = indexmap_lite::OrderedMap::default();
    let mut overlap = 0u64;
    for tweet in examples {
        let key = dedup_key(&tweet.text);
        if held_out_keys.contains(&key) {
            overlap += 1;
            continue;
        }
        by_key.insert(key, tweet);
    }
    let examples = by_key.into_values();
    let added = examples.len() as u64;
    let base = &state.base.model;
    let candidate = if examples.is_empty() {
        Model::clone(base)
    } else {
        base.with_examples(&examples, HeldOut { hand_written: held_out, real: &[] })
            .map_err(|e| Status::internal(format!("training failed: {e}")))?
    };

    // Training took long; deciding and activating are quick, and no
    // activation may change the active version in the middle of them.
    let _switching = state.switching.blocking_lock();
    let previous = state.model.snapshot();
    let previous_info = state.registry.get(previous.id());
    let previous_f1 = previous.evaluate(held_out).macro_f1;
    let candidate_f1 = candidate.info().held_out.as_ref().map_or(0.0, |m| m.macro_f1);
    let info = state
        .registry
        .register(&candidate, Some(previous.id()), added, "retrain")
        .map_err(|e| store_status_after(e, "the new model was not kept and the active model is unchanged"))?;
    let good_enough = candidate_f1 >= previous_f1 - tolerance;
    let (activated, reason) = if candidate.id() == previous.id() {
        (false, "the new model is identical to the active one".to_owned())
    } else if good_enough || force {
        let (loaded, _) = state.registry.activate(candidate.id()).map_err(|e| {
            store_status_after(e, "the new model is kept but not active; the active model is unchanged")
        })?;
        state.model.replace(Arc::new(loaded));
        super::metrics::active_model(candidate.id(), Some(previous.id()));
        let why = if good_enough {
            format!("held-out macro-F1 {candidate_f1:.4} vs {previous_f1:.4} (tolerance {tolerance})")
        } else {
            format!("forced, although held-out macro-F1 {candidate_f1:.4} < {previous_f1:.4} - {tolerance}")
        };
        (true, why)
    } else {
        (
            false,
            format!(
                "held-out macro-F1 {candidate_f1:.4} is below {previous_f1:.4} - {tolerance}; use force to activate"
            ),
        )
    };
    Ok(RetrainOutcome {
        candidate: (candidate, info),
        previous: (previous, previous_info),
        activated,
        reason,
        seconds: started.elapsed().as_secs_f64(),
        held_out_overlap: overlap,
    })
}

/// A tiny insertion-ordered map: training data order must not depend on hash
/// order, or retraining the same data would give different models.
mod indexmap_lite {
    use std::collections::HashMap;

    use crate::corpus::LabelledTweet;

    #[derive(Default)]
    pub(super) struct OrderedMap {
        index: HashMap<String, usize>,
        values: Vec<LabelledTweet>,
    }

    impl OrderedMap {
        pub(super) fn insert(&mut self, key: String, value: LabelledTweet) {
            match self.index.get(&key) {
                Some(&i) => self.values[i] = value,
                None => {
                    self.index.insert(key, self.values.len());
                    self.values.push(value);
                }
            }
        }

        pub(super) fn into_values(self) -> Vec<LabelledTweet> {
            self.values
        }
    }
}

/// The handlers proper; the `Trainer` impl below adds metrics around them.
impl TrainerService {
    async fn handle_add_examples(
        &self,
        request: Request<AddExamplesRequest>,
    ) -> Result<Response<AddExamplesResponse>, Status> {
        let examples = examples_from_request(request.into_inner(), self.max_examples)?;
        let store = Arc::clone(&self.state.store);
        let outcome = tokio::task::spawn_blocking(move || store.add(&examples))
            .await
            .map_err(|e| Status::internal(format!("storage task failed: {e}")))?
            .map_err(|e| store_status_after(e, NOTHING_STORED))?;
        info!(added = outcome.added, updated = outcome.updated, duplicates = outcome.duplicates, "examples stored");
        Ok(Response::new(AddExamplesResponse {
            added: outcome.added,
            updated: outcome.updated,
            duplicates: outcome.duplicates,
            relabelled: outcome
                .relabelled
                .iter()
                .map(|r| v1::Relabelled {
                    index: r.index as u32,
                    previous_label: v1::Category::from(r.previous) as i32,
                    label: v1::Category::from(r.label) as i32,
                })
                .collect(),
            total_examples: outcome.total,
        }))
    }

    async fn handle_retrain(&self, request: Request<RetrainRequest>) -> Result<Response<RetrainResponse>, Status> {
        let request = request.into_inner();
        let tolerance = request.tolerance.unwrap_or(DEFAULT_TOLERANCE);
        if !(0.0..=1.0).contains(&tolerance) {
            return Err(validate::invalid("tolerance", format!("{tolerance} is not between 0 and 1")));
        }
        // The guard moves into the task: a caller that leaves (deadline,
        // disconnect) does not end the retrain, and no second one may start
        // until it has finished and logged its outcome.
        let guard = Arc::clone(&self.state.retraining)
            .try_lock_owned()
            .map_err(|_| Status::failed_precondition("a retrain is already running; try again when it ends"))?;
        let state = Arc::clone(&self.state);
        let force = request.force;
        let outcome = tokio::task::spawn_blocking(move || {
            let _guard = guard;
            let started = Instant::now();
            let outcome = retrain_blocking(&state, force, tolerance);
            let label = match &outcome {
                Ok(o) if o.activated => "activated",
                Ok(_) => "kept_previous",
                Err(_) => "failed",
            };
            super::metrics::retrain(label, started.elapsed().as_secs_f64());
            if let Ok(outcome) = &outcome {
                info!(
                    candidate = outcome.candidate.0.id(),
                    activated = outcome.activated,
                    seconds = outcome.seconds,
                    reason = %outcome.reason,
                    "retrain finished"
                );
            }
            outcome
        })
        .await
        .map_err(|e| Status::internal(format!("retrain task failed: {e}")))??;
        let active = self.state.registry.active_id();
        let previous = match &outcome.previous.1 {
            Some(info) => version_to_proto(info, &active, Some(&outcome.previous.0)),
            None => ModelVersion { id: outcome.previous.0.id().to_owned(), ..Default::default() },
        };
        Ok(Response::new(RetrainResponse {
            candidate: Some(version_to_proto(&outcome.candidate.1, &active, Some(&outcome.candidate.0))),
            previous: Some(previous),
            activated: outcome.activated,
            reason: outcome.reason,
            training_seconds: outcome.seconds,
            held_out_overlap: outcome.held_out_overlap,
        }))
    }

    async fn handle_list_models(
        &self,
        _request: Request<ListModelsRequest>,
    ) -> Result<Response<ListModelsResponse>, Status> {
        let active = self.state.registry.active_id();
        let models = self.state.registry.list().iter().map(|v| version_to_proto(v, &active, None)).collect();
        Ok(Response::new(ListModelsResponse { models, active }))
    }

    async fn handle_get_model(&self, request: Request<GetModelRequest>) -> Result<Response<ModelVersion>, Status> {
        let id = request.into_inner().id;
        let info = self.state.registry.get(&id).ok_or_else(|| unknown_version(&id))?;
        let registry = Arc::clone(&self.state.registry);
        let model = tokio::task::spawn_blocking(move || registry.load_version(&id))
            .await
            .map_err(|e| Status::internal(format!("load task failed: {e}")))?
            .map_err(store_status)?;
        Ok(Response::new(version_to_proto(&info, &self.state.registry.active_id(), Some(&model))))
    }

    async fn handle_activate_model(
        &self,
        request: Request<ActivateModelRequest>,
    ) -> Result<Response<ActivateModelResponse>, Status> {
        let id = request.into_inner().id;
        // Waits for another change of the active version (an activation, or
        // the end of a retrain), not for a whole retrain. The guard and the
        // swap move into the task: a caller that leaves cannot stop it between
        // the manifest naming a version and that version being served.
        let guard = Arc::clone(&self.state.switching).lock_owned().await;
        let state = Arc::clone(&self.state);
        let (version, previous) = tokio::task::spawn_blocking(move || {
            let _guard = guard;
            let previous = state.model.snapshot().id().to_owned();
            let (model, info) = state.registry.activate(&id).map_err(store_status)?;
            let version = version_to_proto(&info, model.id(), Some(&model));
            super::metrics::active_model(model.id(), Some(&previous));
            state.model.replace(Arc::new(model));
            info!(model = %version.id, %previous, "model activated");
            Ok::<_, Status>((version, previous))
        })
        .await
        .map_err(|e| Status::internal(format!("activation task failed: {e}")))??;
        Ok(Response::new(ActivateModelResponse { model: Some(version), previous }))
    }
}

#[tonic::async_trait]
impl Trainer for TrainerService {
    async fn add_examples(
        &self,
        request: Request<AddExamplesRequest>,
    ) -> Result<Response<AddExamplesResponse>, Status> {
        self.handle_add_examples(request).await
    }

    async fn retrain(&self, request: Request<RetrainRequest>) -> Result<Response<RetrainResponse>, Status> {
        self.handle_retrain(request).await
    }

    async fn list_models(&self, request: Request<ListModelsRequest>) -> Result<Response<ListModelsResponse>, Status> {
        self.handle_list_models(request).await
    }

    async fn get_model(&self, request: Request<GetModelRequest>) -> Result<Response<ModelVersion>, Status> {
        self.handle_get_model(request).await
    }

    async fn activate_model(
        &self,
        request: Request<ActivateModelRequest>,
    ) -> Result<Response<ActivateModelResponse>, Status> {
        self.handle_activate_model(request).await
    }
}
