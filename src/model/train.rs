//! Training: features, vocabulary pruning, linfa-bayes fitting in
//! mini-batches, and the choice of smoothing by cross-validation.

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
use super::scorer::{ClassWeights, ScoreScratch, Scorer};
use crate::Label;
use crate::corpus::LabelledTweet;
use crate::text::{Scratch, Tokenizer, TokenizerSettings};

/// Training hyper-parameters, checked by [`TrainParams::check`] before use
/// (the linfa `Params` / `ValidParams` split).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    alphas: Vec<f64>,
    folds: usize,
    min_df: u32,
    max_features: usize,
    batch_size: usize,
    tokenizer: TokenizerSettings,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            alphas: vec![0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0],
            folds: 5,
            min_df: 2,
            max_features: 50_000,
            batch_size: 512,
            tokenizer: TokenizerSettings::default(),
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

    /// Rows per dense mini-batch handed to linfa.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Tokenizer options stored with the model.
    pub fn tokenizer(mut self, tokenizer: TokenizerSettings) -> Self {
        self.tokenizer = tokenizer;
        self
    }

    /// Validates the parameters.
    pub fn check(self) -> Result<ValidTrainParams, ModelError> {
        let bad = |why: &str| Err(ModelError::InvalidParams(why.to_owned()));
        if self.alphas.is_empty() || self.alphas.iter().any(|a| !a.is_finite() || *a <= 0.0) {
            return bad("smoothing candidates must be finite and positive");
        }
        if self.folds < 2 {
            return bad("cross-validation needs at least 2 folds");
        }
        if self.min_df == 0 || self.max_features == 0 || self.batch_size == 0 {
            return bad("min_df, max_features and batch_size must be positive");
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
}

/// Training tweets turned into interned feature counts once, so that
/// cross-validation never tokenizes twice.
pub(crate) struct EncodedCorpus {
    names: Vec<Box<str>>,
    docs: Vec<Vec<(u32, u32)>>,
    labels: Vec<Label>,
}

impl EncodedCorpus {
    pub(crate) fn new(tokenizer: &Tokenizer, tweets: &[LabelledTweet]) -> EncodedCorpus {
        let mut ids: FxHashMap<Box<str>, u32> = FxHashMap::default();
        let mut names: Vec<Box<str>> = Vec::new();
        let mut scratch = Scratch::default();
        let mut hits: Vec<u32> = Vec::new();
        let docs = tweets
            .iter()
            .map(|tweet| {
                hits.clear();
                tokenizer.for_each_feature(&tweet.text, &mut scratch, |feature| {
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
            })
            .collect();
        EncodedCorpus { names, docs, labels: tweets.iter().map(|t| t.label).collect() }
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
    pub(crate) fn build(corpus: &EncodedCorpus, rows: &[usize], min_df: u32, max_features: usize) -> Vocabulary {
        let mut df = vec![0u32; corpus.names.len()];
        for &row in rows {
            for &(id, _) in &corpus.docs[row] {
                df[id as usize] += 1;
            }
        }
        let mut kept: Vec<u32> = (0..df.len() as u32).filter(|&id| df[id as usize] >= min_df).collect();
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
}

/// linfa-bayes 0.8 leaves a `dbg!` in `MultinomialNb::fit_with` that prints
/// every class histogram (whole vocabulary, twice) to stderr on each call.
/// Training silences stderr while linfa runs; the lock keeps concurrent
/// trainings from fighting over the redirection.
static STDERR_MUTE: Mutex<()> = Mutex::new(());

/// Fits linfa-bayes's `MultinomialNb` on `rows` of `corpus`, in dense
/// mini-batches of at most `batch_size` rows, through `fit_with`.
pub(crate) fn fit_multinomial(
    corpus: &EncodedCorpus,
    rows: &[usize],
    vocabulary: &Vocabulary,
    alpha: f64,
    batch_size: usize,
) -> Result<MultinomialNb<f64, usize>, ModelError> {
    let params: MultinomialNbValidParams<f64, usize> = MultinomialNbParams::new().alpha(alpha).check()?;
    let _lock = STDERR_MUTE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _mute = gag::Gag::stderr().ok();
    // One class per batch: linfa's stray `dbg!` then formats one histogram per
    // batch instead of three. Counts are whole numbers, so the fitted model is
    // bit-for-bit the same whatever the batching.
    let mut rows = rows.to_vec();
    rows.sort_by_key(|&row| corpus.labels[row]);
    let batches = rows
        .chunk_by(|&a, &b| corpus.labels[a] == corpus.labels[b])
        .flat_map(|class_rows| class_rows.chunks(batch_size));
    // One dense buffer for every batch: allocating (and page-faulting) a
    // fresh `batch x vocabulary` matrix per batch dominated large trainings.
    // After each batch only the cells that were set are cleared again.
    let mut records = Array2::<f64>::zeros((batch_size.min(rows.len()).max(1), vocabulary.len()));
    let mut model = None;
    for batch in batches {
        let cells = |row: usize| {
            corpus.docs[row].iter().filter_map(|&(id, count)| {
                let column = vocabulary.column_of[id as usize];
                (column != u32::MAX).then_some((column as usize, count))
            })
        };
        for (r, &row) in batch.iter().enumerate() {
            for (column, count) in cells(row) {
                records[[r, column]] = f64::from(count);
            }
        }
        let targets: Array1<usize> = batch.iter().map(|&row| corpus.labels[row].index()).collect();
        let view = records.slice(ndarray::s![..batch.len(), ..]);
        let dataset = DatasetView::new(view, targets.view());
        model = Some(params.fit_with(model, &dataset)?);
        for (r, &row) in batch.iter().enumerate() {
            for (column, _) in cells(row) {
                records[[r, column]] = 0.0;
            }
        }
    }
    model.ok_or(ModelError::EmptyTrainingSet)
}

/// The parts of a fitted `MultinomialNb` the scorer needs. linfa keeps them
/// private, but serialises them; this mirrors that serialised form.
#[derive(Deserialize)]
pub(crate) struct FittedMirror {
    class_info: FxHashMap<usize, ClassMirror>,
}

#[derive(Deserialize)]
struct ClassMirror {
    class_count: usize,
    prior: f64,
    feature_count: Array1<f64>,
    feature_log_prob: Array1<f64>,
}

impl FittedMirror {
    pub(crate) fn of(model: &MultinomialNb<f64, usize>, vocabulary: &Vocabulary) -> Result<FittedMirror, ModelError> {
        let value =
            serde_json::to_value(model).map_err(|e| ModelError::Internal(format!("cannot read fitted model: {e}")))?;
        let fitted: FittedMirror = serde_json::from_value(value)
            .map_err(|e| ModelError::Internal(format!("unexpected fitted model layout: {e}")))?;
        for label in Label::ALL {
            let class = fitted.class_info.get(&label.index()).ok_or(ModelError::MissingClass(label))?;
            if class.feature_log_prob.len() != vocabulary.len() || class.feature_count.len() != vocabulary.len() {
                return Err(ModelError::Internal("fitted model and vocabulary disagree on size".to_owned()));
            }
        }
        Ok(fitted)
    }

    fn class(&self, label: Label) -> &ClassMirror {
        // `of` checked that every class is present.
        &self.class_info[&label.index()]
    }

    /// The scorer with linfa's own log-probabilities: what gets served.
    fn scorer(&self, vocabulary: &Vocabulary, tokenizer: &Tokenizer) -> Scorer {
        self.scorer_from(vocabulary, tokenizer, |class| (class.prior.ln(), class.feature_log_prob.to_vec()))
    }

    /// The scorer this fit would give with another smoothing. Counts do not
    /// depend on smoothing, so cross-validation fits linfa once per fold and
    /// re-smooths here with the formula linfa uses (a test checks they agree).
    pub(crate) fn resmoothed(&self, alpha: f64, vocabulary: &Vocabulary, tokenizer: &Tokenizer) -> Scorer {
        let total: usize = self.class_info.values().map(|c| c.class_count).sum();
        self.scorer_from(vocabulary, tokenizer, |class| {
            let smoothed_total: f64 = class.feature_count.iter().map(|c| c + alpha).sum();
            let log_probs = class.feature_count.iter().map(|c| (c + alpha).ln() - smoothed_total.ln()).collect();
            ((class.class_count as f64 / total as f64).ln(), log_probs)
        })
    }

    fn scorer_from(
        &self,
        vocabulary: &Vocabulary,
        tokenizer: &Tokenizer,
        parts: impl Fn(&ClassMirror) -> (f64, Vec<f64>),
    ) -> Scorer {
        let mut log_priors = [0.0; Label::COUNT];
        let mut weights: Vec<ClassWeights> = vec![[0.0; Label::COUNT]; vocabulary.len()];
        for label in Label::ALL {
            let (log_prior, log_probs) = parts(self.class(label));
            log_priors[label.index()] = log_prior;
            for (w, lp) in weights.iter_mut().zip(log_probs) {
                w[label.index()] = lp;
            }
        }
        Scorer::new(tokenizer.clone(), vocabulary.names.clone(), weights, log_priors)
    }
}

/// Compiles a fitted linfa model into a sparse [`Scorer`].
pub(crate) fn compile(
    model: &MultinomialNb<f64, usize>,
    vocabulary: &Vocabulary,
    tokenizer: &Tokenizer,
) -> Result<Scorer, ModelError> {
    Ok(FittedMirror::of(model, vocabulary)?.scorer(vocabulary, tokenizer))
}

/// Out-of-fold macro-F1 of one smoothing value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossValidationScore {
    /// The additive smoothing tried.
    pub alpha: f64,
    /// Macro-F1 of the out-of-fold predictions.
    pub macro_f1: f64,
}

/// A trained scorer and how it was chosen.
pub(crate) struct Fitted {
    pub(crate) scorer: Scorer,
    pub(crate) alpha: f64,
    pub(crate) cross_validation: Vec<CrossValidationScore>,
}

/// Deterministic stratified folds: within each label, tweets are dealt to
/// folds in corpus order.
fn fold_of_rows(labels: &[Label], folds: usize) -> Vec<usize> {
    let mut seen = [0usize; Label::COUNT];
    labels
        .iter()
        .map(|label| {
            let fold = seen[label.index()] % folds;
            seen[label.index()] += 1;
            fold
        })
        .collect()
}

/// Chooses the smoothing by k-fold cross-validation, then fits on all of
/// `tweets` with it.
pub(crate) fn fit(tweets: &[LabelledTweet], params: &ValidTrainParams) -> Result<Fitted, ModelError> {
    for label in Label::ALL {
        if !tweets.iter().any(|t| t.label == label) {
            return Err(ModelError::MissingClass(label));
        }
    }
    let p = &params.params;
    let corpus = EncodedCorpus::new(&params.tokenizer, tweets);

    // With a single candidate there is nothing to choose: no cross-validation.
    let cross_validation = if p.alphas.len() == 1 {
        Vec::new()
    } else {
        let fold_of = fold_of_rows(&corpus.labels, p.folds);
        let mut pairs_by_alpha: Vec<Vec<(Label, Label)>> = vec![Vec::with_capacity(tweets.len()); p.alphas.len()];
        let mut scratch = ScoreScratch::default();
        for fold in 0..p.folds {
            let (held, kept): (Vec<usize>, Vec<usize>) = (0..tweets.len()).partition(|&row| fold_of[row] == fold);
            let vocabulary = Vocabulary::build(&corpus, &kept, p.min_df, p.max_features);
            let model = fit_multinomial(&corpus, &kept, &vocabulary, p.alphas[0], p.batch_size)?;
            let fitted = FittedMirror::of(&model, &vocabulary)?;
            for (pairs, &alpha) in pairs_by_alpha.iter_mut().zip(&p.alphas) {
                let scorer = fitted.resmoothed(alpha, &vocabulary, &params.tokenizer);
                pairs
                    .extend(held.iter().map(|&row| (tweets[row].label, scorer.label(&tweets[row].text, &mut scratch))));
            }
        }
        p.alphas
            .iter()
            .zip(pairs_by_alpha)
            .map(|(&alpha, pairs)| CrossValidationScore { alpha, macro_f1: Metrics::from_pairs(pairs).macro_f1 })
            .collect()
    };
    // The first (smallest listed) alpha wins ties, so the choice is stable.
    let alpha = cross_validation
        .iter()
        .copied()
        .reduce(|best, next| if next.macro_f1 > best.macro_f1 { next } else { best })
        .map_or(p.alphas[0], |best| best.alpha);

    let all: Vec<usize> = (0..tweets.len()).collect();
    let vocabulary = Vocabulary::build(&corpus, &all, p.min_df, p.max_features);
    let model = fit_multinomial(&corpus, &all, &vocabulary, alpha, p.batch_size)?;
    let scorer = compile(&model, &vocabulary, &params.tokenizer)?;
    Ok(Fitted { scorer, alpha, cross_validation })
}
