//! Training: features, vocabulary pruning, linfa-bayes fitting on
//! per-class sums, semi-supervised EM over unlabelled tweets, and the choice of
//! smoothing by cross-validation.
//!
//! Training data comes in named sources (the hand-written corpus, the real
//! labelled tweets, a user's examples), each with a weight: a weight scales
//! every count its tweets contribute. Unlabelled tweets can join through EM
//! (Nigam et al., 2000): the model labels them softly, and they add their
//! counts in proportion to those soft labels, scaled down by `em_weight`.

use std::sync::Mutex;

use linfa::DatasetView;
use linfa::prelude::ParamGuard;
use linfa::traits::FitWith;
use linfa_bayes::{MultinomialNb, MultinomialNbParams, MultinomialNbValidParams};
use ndarray::{Array1, Array2};
use rustc_hash::FxHashMap;
use serde::Deserialize;

use super::ModelError;
use super::metrics::Metrics;
use super::scorer::{ClassWeights, Scorer};
use super::stats::{Priors, Statistics};
use crate::Label;
use crate::corpus::LabelledTweet;
use crate::text::{Scratch, Tokenizer, TokenizerSettings};

/// The smoothing range a model file may hold: beyond it log-probabilities
/// stop meaning anything (or overflow the file's checks).
pub(crate) const MIN_ALPHA: f64 = 1e-6;
pub(crate) const MAX_ALPHA: f64 = 1e6;

/// Training hyper-parameters, checked by [`TrainParams::check`] before use
/// (the linfa `Params` / `ValidParams` split).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    alphas: Vec<f64>,
    folds: usize,
    min_df: u32,
    max_features: usize,
    tokenizer: TokenizerSettings,
    priors: Priors,
    em_weight: f64,
    em_iterations: u32,
    length_norm: bool,
    tune_priors: bool,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            alphas: vec![0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0],
            folds: 5,
            min_df: 2,
            max_features: 200_000,
            tokenizer: TokenizerSettings { prefix: 5, ..TokenizerSettings::default() },
            priors: Priors::Uniform,
            em_weight: 0.2,
            em_iterations: 2,
            length_norm: true,
            tune_priors: false,
        }
    }
}

impl TrainParams {
    /// Candidate additive-smoothing values; cross-validation picks one.
    pub fn alphas(mut self, alphas: Vec<f64>) -> Self {
        self.alphas = alphas;
        self
    }

    /// Number of cross-validation folds (at least 2).
    pub fn folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }

    /// Features seen in fewer training tweets than this are dropped.
    pub fn min_df(mut self, min_df: u32) -> Self {
        self.min_df = min_df;
        self
    }

    /// Upper bound on the vocabulary; the most frequent features are kept.
    pub fn max_features(mut self, max_features: usize) -> Self {
        self.max_features = max_features;
        self
    }

    /// Tokenizer options stored with the model.
    pub fn tokenizer(mut self, tokenizer: TokenizerSettings) -> Self {
        self.tokenizer = tokenizer;
        self
    }

    /// How class priors are set.
    pub fn priors(mut self, priors: Priors) -> Self {
        self.priors = priors;
        self
    }

    /// Weight of an unlabelled tweet relative to a labelled one in EM (0 turns
    /// EM off).
    pub fn em_weight(mut self, weight: f64) -> Self {
        self.em_weight = weight;
        self
    }

    /// Rounds of EM over the unlabelled tweets.
    pub fn em_iterations(mut self, iterations: u32) -> Self {
        self.em_iterations = iterations;
        self
    }

    /// Scale each document's counts to unit Euclidean length before they are
    /// added (Rennie et al., 2003), so that long posts do not outweigh tweets.
    pub fn length_norm(mut self, on: bool) -> Self {
        self.length_norm = on;
        self
    }

    /// Shift the class priors to what maximises the cross-validated macro-F1
    /// (needs more than one smoothing candidate).
    pub fn tune_priors(mut self, on: bool) -> Self {
        self.tune_priors = on;
        self
    }

    /// Validates the parameters.
    pub fn check(self) -> Result<ValidTrainParams, ModelError> {
        let bad = |why: &str| Err(ModelError::InvalidParams(why.to_owned()));
        if self.alphas.is_empty() || self.alphas.iter().any(|a| !(MIN_ALPHA..=MAX_ALPHA).contains(a)) {
            return bad("smoothing candidates must be between 1e-6 and 1e6");
        }
        if self.folds < 2 {
            return bad("cross-validation needs at least 2 folds");
        }
        if self.min_df == 0 || self.max_features == 0 {
            return bad("min_df and max_features must be positive");
        }
        if !self.em_weight.is_finite() || self.em_weight < 0.0 {
            return bad("the EM weight must be finite and not negative");
        }
        let tokenizer = Tokenizer::new(self.tokenizer.clone())?;
        Ok(ValidTrainParams { params: self, tokenizer })
    }
}

/// Parameters that passed [`TrainParams::check`].
#[derive(Debug, Clone)]
pub struct ValidTrainParams {
    params: TrainParams,
    tokenizer: Tokenizer,
}

impl ValidTrainParams {
    pub(crate) fn min_df(&self) -> u32 {
        self.params.min_df
    }

    pub(crate) fn folds(&self) -> usize {
        self.params.folds
    }

    pub(crate) fn priors(&self) -> Priors {
        self.params.priors
    }

    pub(crate) fn em_weight(&self) -> f64 {
        self.params.em_weight
    }

    pub(crate) fn em_iterations(&self) -> u32 {
        self.params.em_iterations
    }

    pub(crate) fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    pub(crate) fn length_norm(&self) -> bool {
        self.params.length_norm
    }
}

/// One named set of labelled tweets and the weight of each of its tweets.
#[derive(Debug, Clone, Copy)]
pub struct LabelledSource<'a> {
    /// Its name in the model's training summary (`hand-written`, `real`, ...).
    pub name: &'a str,
    /// The tweets.
    pub tweets: &'a [LabelledTweet],
    /// How much each tweet counts (1 for a plain count).
    pub weight: f64,
    /// Whether cross-validation measures candidates on this source's tweets.
    /// When no source says so, it measures on all of them.
    pub validates: bool,
    /// Whether this source's out-of-fold predictions calibrate the model's
    /// probabilities and measure its confusion rates (see
    /// [`super::calibration`]): only real tweets should, since the
    /// calibration is for the tweets users have. Needs `validates`.
    pub calibrates: bool,
}

/// Everything a model is trained on.
#[derive(Debug, Clone, Default)]
pub struct TrainingData<'a> {
    /// Labelled tweets, by source.
    pub sources: Vec<LabelledSource<'a>>,
    /// Unlabelled tweets for EM (ignored when the EM weight is 0).
    pub unlabelled: &'a [String],
}

impl<'a> TrainingData<'a> {
    /// One source of equally weighted tweets, no unlabelled ones.
    pub fn single(name: &'a str, tweets: &'a [LabelledTweet]) -> Self {
        TrainingData {
            sources: vec![LabelledSource { name, tweets, weight: 1.0, validates: false, calibrates: false }],
            unlabelled: &[],
        }
    }

    pub(crate) fn labelled(&self) -> impl Iterator<Item = &'a LabelledTweet> + '_ {
        self.sources.iter().flat_map(|s| s.tweets.iter())
    }
}

/// A row of the encoded corpus: what a document brings to training.
#[derive(Debug, Clone, Copy)]
struct RowInfo {
    label: Option<Label>,
    /// The source's weight: what the document adds to its class's documents.
    weight: f64,
    /// What each of its counts is multiplied by (the weight, times the
    /// length normalisation when it is on).
    scale: f64,
    validates: bool,
    calibrates: bool,
}

/// Tweets turned into interned feature counts once, so that
/// cross-validation and EM never tokenize twice.
pub(crate) struct EncodedCorpus {
    names: Vec<Box<str>>,
    docs: Vec<Vec<(u32, u32)>>,
    rows: Vec<RowInfo>,
}

impl EncodedCorpus {
    pub(crate) fn encode(tokenizer: &Tokenizer, data: &TrainingData<'_>, length_norm: bool) -> EncodedCorpus {
        let mut encoder = Encoder::default();
        let any_validates = data.sources.iter().any(|s| s.validates);
        let mut rows = Vec::new();
        let mut docs = Vec::new();
        for source in &data.sources {
            for tweet in source.tweets {
                let doc = encoder.encode(tokenizer, &tweet.text);
                rows.push(RowInfo {
                    label: Some(tweet.label),
                    weight: source.weight,
                    scale: source.weight * norm(&doc, length_norm),
                    validates: source.validates || !any_validates,
                    calibrates: source.calibrates && (source.validates || !any_validates),
                });
                docs.push(doc);
            }
        }
        for text in data.unlabelled {
            let doc = encoder.encode(tokenizer, text);
            rows.push(RowInfo {
                label: None,
                weight: 0.0,
                scale: norm(&doc, length_norm),
                validates: false,
                calibrates: false,
            });
            docs.push(doc);
        }
        EncodedCorpus { names: encoder.names, docs, rows }
    }

    /// Labelled tweets of one source with weight 1, for tests and retraining.
    pub(crate) fn new(tokenizer: &Tokenizer, tweets: &[LabelledTweet], length_norm: bool) -> EncodedCorpus {
        EncodedCorpus::encode(tokenizer, &TrainingData::single("examples", tweets), length_norm)
    }

    pub(crate) fn labelled_rows(&self) -> Vec<usize> {
        (0..self.rows.len()).filter(|&r| self.rows[r].label.is_some()).collect()
    }

    fn unlabelled_rows(&self) -> Vec<usize> {
        (0..self.rows.len()).filter(|&r| self.rows[r].label.is_none()).collect()
    }

    /// The label of a labelled row (callers only pass rows from
    /// [`EncodedCorpus::labelled_rows`]).
    fn label(&self, row: usize) -> Label {
        debug_assert!(self.rows[row].label.is_some(), "row {row} is unlabelled");
        self.rows[row].label.unwrap_or(Label::Sharing)
    }
}

/// The factor that gives a document unit Euclidean length, or 1.
fn norm(doc: &[(u32, u32)], on: bool) -> f64 {
    let squares: u64 = doc.iter().map(|&(_, c)| u64::from(c) * u64::from(c)).sum();
    if on && squares > 0 { 1.0 / (squares as f64).sqrt() } else { 1.0 }
}

#[derive(Default)]
struct Encoder {
    ids: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    scratch: Scratch,
    hits: Vec<u32>,
}

impl Encoder {
    fn encode(&mut self, tokenizer: &Tokenizer, text: &str) -> Vec<(u32, u32)> {
        let Encoder { ids, names, scratch, hits } = self;
        hits.clear();
        tokenizer.for_each_feature(text, scratch, |feature| {
            let id = match ids.get(feature) {
                Some(&id) => id,
                None => {
                    let id = names.len() as u32;
                    names.push(feature.into());
                    ids.insert(feature.into(), id);
                    id
                }
            };
            hits.push(id);
        });
        hits.sort_unstable();
        hits.chunk_by(|a, b| a == b).map(|run| (run[0], run.len() as u32)).collect()
    }
}

/// The columns of a pruned vocabulary, sorted by feature text so that the
/// model file does not depend on corpus order.
pub(crate) struct Vocabulary {
    /// Interned feature id -> column, `u32::MAX` when pruned.
    column_of: Vec<u32>,
    names: Vec<Box<str>>,
}

impl Vocabulary {
    /// Keeps the features found in at least `min_df` of `rows`, or in
    /// `always` (a vocabulary that is being extended).
    pub(crate) fn build(
        corpus: &EncodedCorpus,
        rows: &[usize],
        min_df: u32,
        max_features: usize,
        always: impl Fn(&str) -> bool,
    ) -> Vocabulary {
        let mut df = vec![0u32; corpus.names.len()];
        for &row in rows {
            for &(id, _) in &corpus.docs[row] {
                df[id as usize] += 1;
            }
        }
        let mut kept: Vec<u32> = (0..df.len() as u32)
            .filter(|&id| {
                let df = df[id as usize];
                df >= min_df || (df > 0 && always(&corpus.names[id as usize]))
            })
            .collect();
        if kept.len() > max_features {
            kept.sort_by(|&a, &b| {
                df[b as usize].cmp(&df[a as usize]).then(corpus.names[a as usize].cmp(&corpus.names[b as usize]))
            });
            kept.truncate(max_features);
        }
        kept.sort_by(|&a, &b| corpus.names[a as usize].cmp(&corpus.names[b as usize]));
        let mut column_of = vec![u32::MAX; corpus.names.len()];
        for (column, &id) in kept.iter().enumerate() {
            column_of[id as usize] = column as u32;
        }
        let names = kept.iter().map(|&id| corpus.names[id as usize].clone()).collect();
        Vocabulary { column_of, names }
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    fn cells<'c>(&'c self, doc: &'c [(u32, u32)]) -> impl Iterator<Item = (usize, u32)> + 'c {
        doc.iter().filter_map(|&(id, count)| {
            let column = self.column_of[id as usize];
            (column != u32::MAX).then_some((column as usize, count))
        })
    }
}

/// linfa-bayes 0.8 leaves a `dbg!` in `MultinomialNb::fit_with` that prints
/// every class histogram (whole vocabulary, twice) to stderr on each call.
/// Training silences stderr while linfa runs; the lock keeps concurrent
/// trainings from fighting over the redirection.
static STDERR_MUTE: Mutex<()> = Mutex::new(());

type LinfaModel = MultinomialNb<f64, usize>;

fn linfa_params(alpha: f64) -> Result<MultinomialNbValidParams<f64, usize>, ModelError> {
    Ok(MultinomialNbParams::new().alpha(alpha).check()?)
}

/// Hands linfa-bayes one aggregated row per class and reads back the
/// per-class feature counts it accumulates.
///
/// A multinomial model's counts are sums over documents, so one row holding a
/// class's summed (weighted) counts gives linfa the same sums as one row per
/// document, without a dense `documents x vocabulary` matrix and with one
/// `fit_with` call instead of one per mini-batch (`model/tests.rs` checks
/// the result against a dense per-document fit). Class priors are kept
/// beside, in [`Statistics::documents`]: linfa would count one document per row.
fn fit_aggregated(per_class: &Array2<f64>) -> Result<Vec<ClassWeights>, ModelError> {
    let vocabulary_len = per_class.ncols();
    let targets: Array1<usize> = Label::ALL.iter().map(|l| l.index()).collect();
    let model = {
        let _lock = STDERR_MUTE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let _mute = gag::Gag::stderr().ok();
        // linfa's smoothing does not touch the counts it accumulates: any
        // value does here, the scorer applies the chosen one.
        linfa_params(1.0)?.fit_with(None, &DatasetView::new(per_class.view(), targets.view()))?
    };
    Ok(FittedMirror::of(&model, vocabulary_len)?.counts(vocabulary_len))
}

/// Fits linfa-bayes's `MultinomialNb` the textbook way, one dense row per
/// document: the reference the aggregated fit is checked against.
#[cfg(test)]
pub(crate) fn fit_dense(
    corpus: &EncodedCorpus,
    rows: &[usize],
    vocabulary: &Vocabulary,
    alpha: f64,
) -> Result<LinfaModel, ModelError> {
    let mut records = Array2::<f64>::zeros((rows.len(), vocabulary.len()));
    for (r, &row) in rows.iter().enumerate() {
        for (column, count) in vocabulary.cells(&corpus.docs[row]) {
            records[[r, column]] = corpus.rows[row].scale * f64::from(count);
        }
    }
    let targets: Array1<usize> = rows.iter().map(|&row| corpus.label(row).index()).collect();
    let _lock = STDERR_MUTE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _mute = gag::Gag::stderr().ok();
    Ok(linfa_params(alpha)?.fit_with(None, &DatasetView::new(records.view(), targets.view()))?)
}

/// The parts of a fitted `MultinomialNb` training needs. linfa keeps them
/// private, but serialises them; this mirrors that serialised form.
#[derive(Deserialize)]
pub(crate) struct FittedMirror {
    class_info: FxHashMap<usize, ClassMirror>,
}

#[derive(Deserialize)]
struct ClassMirror {
    feature_count: Array1<f64>,
}

impl FittedMirror {
    pub(crate) fn of(model: &LinfaModel, vocabulary_len: usize) -> Result<FittedMirror, ModelError> {
        let value =
            serde_json::to_value(model).map_err(|e| ModelError::Internal(format!("cannot read fitted model: {e}")))?;
        let fitted: FittedMirror = serde_json::from_value(value)
            .map_err(|e| ModelError::Internal(format!("unexpected fitted model layout: {e}")))?;
        for class in fitted.class_info.values() {
            if class.feature_count.len() != vocabulary_len {
                return Err(ModelError::Internal("fitted model and vocabulary disagree on size".to_owned()));
            }
        }
        Ok(fitted)
    }

    /// Per-feature counts of each class (zero for a class linfa never saw).
    pub(crate) fn counts(&self, vocabulary_len: usize) -> Vec<ClassWeights> {
        let mut counts = vec![[0.0; Label::COUNT]; vocabulary_len];
        for label in Label::ALL {
            if let Some(class) = self.class_info.get(&label.index()) {
                for (row, &count) in counts.iter_mut().zip(class.feature_count.iter()) {
                    row[label.index()] = count;
                }
            }
        }
        counts
    }
}

/// The sufficient statistics of the labelled `rows`, each scaled by its
/// source's weight.
pub(crate) fn labelled_statistics(
    corpus: &EncodedCorpus,
    rows: &[usize],
    vocabulary: &Vocabulary,
) -> Result<Statistics, ModelError> {
    let mut documents = [0.0; Label::COUNT];
    let mut per_class = Array2::<f64>::zeros((Label::COUNT, vocabulary.len()));
    for &row in rows {
        let class = corpus.label(row).index();
        documents[class] += corpus.rows[row].weight;
        let scale = corpus.rows[row].scale;
        for (column, count) in vocabulary.cells(&corpus.docs[row]) {
            per_class[[class, column]] += scale * f64::from(count);
        }
    }
    let counts = fit_aggregated(&per_class)?;
    Ok(Statistics { features: vocabulary.names.clone(), counts, documents })
}

/// Adds the unlabelled rows to `labelled` by EM at smoothing `alpha`: each
/// round labels them softly with the current model, then adds each one's
/// counts to every class in proportion to its probability, times `weight`.
/// The soft counts go through linfa as one aggregated row per class.
fn expectation_maximisation(
    corpus: &EncodedCorpus,
    unlabelled: &[usize],
    vocabulary: &Vocabulary,
    labelled: &Statistics,
    alpha: f64,
    params: &ValidTrainParams,
) -> Result<Statistics, ModelError> {
    let weight = params.em_weight();
    if weight == 0.0 || unlabelled.is_empty() || params.em_iterations() == 0 {
        return Ok(labelled.clone());
    }
    let mut current = labelled.clone();
    for _ in 0..params.em_iterations() {
        let scorer = current.scorer(alpha, params.priors(), params.tokenizer());
        let mut soft = Array2::<f64>::zeros((Label::COUNT, vocabulary.len()));
        let mut documents = [0.0; Label::COUNT];
        for &row in unlabelled {
            let doc = &corpus.docs[row];
            let jll = doc_log_likelihood(&scorer, vocabulary, doc);
            let posterior = Scorer::log_proba(&jll).map(f64::exp);
            let scale = corpus.rows[row].scale;
            for c in 0..Label::COUNT {
                let share = weight * posterior[c];
                documents[c] += share;
                for (column, count) in vocabulary.cells(doc) {
                    soft[[c, column]] += share * scale * f64::from(count);
                }
            }
        }
        let counts = fit_aggregated(&soft)?;
        let added = Statistics { features: vocabulary.names.clone(), counts, documents };
        current = labelled.merged(&added);
    }
    Ok(current)
}

/// Out-of-fold macro-F1 of one smoothing value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossValidationScore {
    /// The additive smoothing tried.
    pub alpha: f64,
    /// Macro-F1 of the out-of-fold predictions.
    pub macro_f1: f64,
}

/// Fitted statistics and how the smoothing was chosen.
pub(crate) struct Fitted {
    pub(crate) statistics: Statistics,
    pub(crate) alpha: f64,
    /// The priors the model scores with (tuned when asked for).
    pub(crate) priors: Priors,
    pub(crate) cross_validation: Vec<CrossValidationScore>,
    /// Out-of-fold log-probabilities of the calibrating tweets, at the chosen
    /// smoothing and priors, with their true labels and their known feature
    /// occurrences (empty without cross-validation).
    pub(crate) out_of_fold: Vec<(Label, ClassWeights, u32)>,
}

/// Deterministic stratified folds of the validating rows: within each label,
/// rows are dealt to folds in corpus order. Other rows are in no fold.
fn fold_of_rows(corpus: &EncodedCorpus, folds: usize) -> Vec<Option<usize>> {
    let mut seen = [0usize; Label::COUNT];
    corpus
        .rows
        .iter()
        .map(|row| match row.label {
            Some(label) if row.validates => {
                let fold = seen[label.index()] % folds;
                seen[label.index()] += 1;
                Some(fold)
            }
            _ => None,
        })
        .collect()
}

/// Statistics of `labelled` rows plus EM over `unlabelled` ones.
fn fit_rows(
    corpus: &EncodedCorpus,
    labelled: &[usize],
    unlabelled: &[usize],
    alpha: f64,
    params: &ValidTrainParams,
) -> Result<Statistics, ModelError> {
    let p = &params.params;
    let vocabulary = Vocabulary::build(corpus, labelled, p.min_df, p.max_features, |_| false);
    let statistics = labelled_statistics(corpus, labelled, &vocabulary)?;
    expectation_maximisation(corpus, unlabelled, &vocabulary, &statistics, alpha, params)
}

/// Chooses the smoothing by k-fold cross-validation over the validating
/// rows, then fits on all the data with it.
pub(crate) fn fit(data: &TrainingData<'_>, params: &ValidTrainParams) -> Result<Fitted, ModelError> {
    for label in Label::ALL {
        if !data.labelled().any(|t| t.label == label) {
            return Err(ModelError::MissingClass(label));
        }
    }
    let p = &params.params;
    let corpus = EncodedCorpus::encode(&params.tokenizer, data, p.length_norm);
    let labelled = corpus.labelled_rows();
    let unlabelled = corpus.unlabelled_rows();

    // With a single candidate there is nothing to choose: no cross-validation.
    // Out-of-fold log-likelihoods of every validating tweet, per candidate.
    let mut out_of_fold: Vec<Vec<(Label, ClassWeights)>> = vec![Vec::new(); p.alphas.len()];
    // The row of each out-of-fold score, in the same order for every candidate.
    let mut out_of_fold_rows: Vec<usize> = Vec::new();
    // Known feature occurrences in each of them, under its fold's vocabulary.
    let mut out_of_fold_evidence: Vec<u32> = Vec::new();
    if p.alphas.len() > 1 {
        let fold_of = fold_of_rows(&corpus, p.folds);
        for fold in 0..p.folds {
            let (held, kept): (Vec<usize>, Vec<usize>) = labelled.iter().partition(|&&row| fold_of[row] == Some(fold));
            out_of_fold_rows.extend(&held);
            let vocabulary = Vocabulary::build(&corpus, &kept, p.min_df, p.max_features, |_| false);
            out_of_fold_evidence.extend(
                held.iter().map(|&row| vocabulary.cells(&corpus.docs[row]).map(|(_, count)| count).sum::<u32>()),
            );
            let base = labelled_statistics(&corpus, &kept, &vocabulary)?;
            for (scores, &alpha) in out_of_fold.iter_mut().zip(&p.alphas) {
                let statistics = expectation_maximisation(&corpus, &unlabelled, &vocabulary, &base, alpha, params)?;
                let scorer = statistics.scorer(alpha, p.priors, &params.tokenizer);
                scores.extend(
                    held.iter()
                        .map(|&row| (corpus.label(row), doc_log_likelihood(&scorer, &vocabulary, &corpus.docs[row]))),
                );
            }
        }
    }
    let cross_validation: Vec<CrossValidationScore> = if p.alphas.len() == 1 {
        Vec::new()
    } else {
        p.alphas
            .iter()
            .zip(&out_of_fold)
            .map(|(&alpha, scores)| CrossValidationScore {
                alpha,
                macro_f1: macro_f1_with(scores, [0.0; Label::COUNT]),
            })
            .collect()
    };
    // The first (smallest listed) alpha wins ties, so the choice is stable.
    let best = (0..cross_validation.len()).reduce(|best, next| {
        if cross_validation[next].macro_f1 > cross_validation[best].macro_f1 { next } else { best }
    });
    let alpha = best.map_or(p.alphas[0], |i| p.alphas[i]);
    let statistics = fit_rows(&corpus, &labelled, &unlabelled, alpha, params)?;
    let base_log_priors = statistics.log_priors(p.priors);
    let priors = match best {
        Some(i) if p.tune_priors => tuned_priors(&out_of_fold[i], base_log_priors),
        _ => p.priors,
    };
    // The scores were computed with the base priors: swap in the chosen ones.
    let log_priors = statistics.log_priors(priors);
    let out_of_fold = best
        .map(|i| {
            out_of_fold_rows
                .iter()
                .zip(&out_of_fold_evidence)
                .zip(&out_of_fold[i])
                .filter(|((row, _), _)| corpus.rows[**row].calibrates)
                .map(|((_, &evidence), (label, jll))| {
                    let shifted: ClassWeights = std::array::from_fn(|c| jll[c] - base_log_priors[c] + log_priors[c]);
                    (*label, Scorer::log_proba(&shifted), evidence)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Fitted { statistics, alpha, priors, cross_validation, out_of_fold })
}

/// Macro-F1 of out-of-fold log-likelihoods once `offsets` are added.
fn macro_f1_with(scores: &[(Label, ClassWeights)], offsets: ClassWeights) -> f64 {
    Metrics::from_pairs(scores.iter().map(|(truth, jll)| {
        let shifted: ClassWeights = std::array::from_fn(|c| jll[c] + offsets[c]);
        (*truth, Scorer::best(&shifted))
    }))
    .macro_f1
}

/// Log-offsets tried for the self-promotion and sharing priors, political's
/// staying at 0: a grid from -2 to +4 nats.
const PRIOR_OFFSETS: [f64; 13] = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0];

/// Class priors that maximise the out-of-fold macro-F1: naive Bayes's
/// over-confident likelihoods favour the classes with the most distinctive
/// vocabulary, and shifting the priors is the one-number-per-class correction
/// that cross-validation can choose without touching the counts. `base` are
/// the log-priors the scores were computed with; the smallest shift (in total
/// nats) wins ties, so without a gain the priors stay `base`.
fn tuned_priors(scores: &[(Label, ClassWeights)], base: ClassWeights) -> Priors {
    let mut candidates: Vec<ClassWeights> = PRIOR_OFFSETS
        .iter()
        .flat_map(|&promotion| {
            PRIOR_OFFSETS.iter().map(move |&sharing| {
                let mut offsets = [0.0; Label::COUNT];
                offsets[Label::SelfPromotion.index()] = promotion;
                offsets[Label::Sharing.index()] = sharing;
                offsets
            })
        })
        .collect();
    candidates.sort_by(|a, b| a.iter().map(|x| x.abs()).sum::<f64>().total_cmp(&b.iter().map(|x| x.abs()).sum()));
    let mut best = ([0.0; Label::COUNT], f64::NEG_INFINITY);
    for offsets in candidates {
        let f1 = macro_f1_with(scores, offsets);
        if f1 > best.1 {
            best = (offsets, f1);
        }
    }
    let shifted: ClassWeights = std::array::from_fn(|c| base[c] + best.0[c]);
    Priors::Tuned(Scorer::log_proba(&shifted))
}

/// Unnormalised log-posterior of an encoded document (columns of `vocabulary`
/// are the scorer's features, in the same order).
fn doc_log_likelihood(scorer: &Scorer, vocabulary: &Vocabulary, doc: &[(u32, u32)]) -> ClassWeights {
    let mut jll = *scorer.log_priors();
    for (column, count) in vocabulary.cells(doc) {
        let w = &scorer.weights()[column];
        for c in 0..Label::COUNT {
            jll[c] += f64::from(count) * w[c];
        }
    }
    jll
}

/// The statistics `examples` add to a model that already knows `known`
/// features: counts over the features the examples contain, kept when the
/// model knows them or when at least `min_df` examples contain them. Its
/// cost follows the number of examples, not the model's corpus.
pub(crate) fn example_statistics(
    examples: &[LabelledTweet],
    known: impl Fn(&str) -> bool,
    params: &ValidTrainParams,
) -> Result<Statistics, ModelError> {
    let corpus = EncodedCorpus::new(&params.tokenizer, examples, params.params.length_norm);
    let rows = corpus.labelled_rows();
    let vocabulary = Vocabulary::build(&corpus, &rows, params.min_df(), usize::MAX, known);
    labelled_statistics(&corpus, &rows, &vocabulary)
}
