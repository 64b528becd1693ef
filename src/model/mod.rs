//! The classifier: training with linfa-bayes, the compiled scorer that serves
//! predictions, the model file, and evaluation metrics.

mod artifact;
mod info;
mod metrics;
mod scorer;
mod train;

#[cfg(test)]
mod tests;

use std::path::Path;

use crate::Label;
use crate::corpus::{LabelledTweet, content_hash};

pub use artifact::{FORMAT_VERSION, ModelFileError, write_atomically};
pub use info::{ModelInfo, TrainingSummary};
pub use metrics::{ClassMetrics, Metrics};
pub use scorer::{FeatureWeight, Prediction, ScoreScratch};
pub use train::{CrossValidationScore, TrainParams, ValidTrainParams};

use scorer::Scorer;

/// The model committed in `models/`, built into the binary so that every
/// command works straight after `git clone`, from any directory.
static DEFAULT_MODEL: &[u8] = include_bytes!("../../models/default.model");

/// Number of top features a prediction carries unless asked otherwise.
pub const DEFAULT_TOP_FEATURES: usize = 5;

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Hyper-parameters out of range.
    #[error("invalid training parameters: {0}")]
    InvalidParams(String),
    /// A label has no training example.
    #[error("the training data has no example labelled {0}")]
    MissingClass(Label),
    /// Nothing to train on.
    #[error("the training data is empty")]
    EmptyTrainingSet,
    /// linfa-bayes refused the data or the parameters.
    #[error("linfa-bayes: {0}")]
    Linfa(#[from] linfa_bayes::NaiveBayesError),
    /// The tokenizer settings are not supported by this build.
    #[error(transparent)]
    Tokenizer(#[from] crate::text::UnsupportedTokenizer),
    /// Serialising the model failed.
    #[error(transparent)]
    File(#[from] ModelFileError),
    /// A bug: the fitted model did not have the expected shape.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A trained classifier, ready to predict.
#[derive(Debug, Clone)]
pub struct Model {
    id: String,
    info: ModelInfo,
    scorer: Scorer,
}

impl Model {
    /// The default model shipped with tweetguide.
    pub fn embedded_default() -> Result<Model, ModelFileError> {
        Model::from_bytes(DEFAULT_MODEL)
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Model, ModelFileError> {
        Model::from_bytes(&artifact::read(path)?)
    }

    /// Parses model bytes, refusing anything corrupt, truncated or from an
    /// incompatible version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelFileError> {
        let (info, scorer, id) = artifact::decode(bytes)?;
        Ok(Model { id, info, scorer })
    }

    /// The model file's bytes (deterministic for a given model).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelFileError> {
        Ok(artifact::encode(&self.info, &self.scorer)?.0)
    }

    /// Writes the model file atomically.
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        let bytes = self.to_bytes()?;
        write_atomically(path, &bytes).map_err(|source| ModelFileError::Io { path: path.to_owned(), source })
    }

    /// Content-derived identity: two models with the same id are the same model.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where the model comes from and how good it is.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Number of features the model knows.
    pub fn vocabulary_size(&self) -> usize {
        self.scorer.names().len()
    }

    /// Predicts one text with the default number of top features. Allocates
    /// its buffers; loops should use [`Model::predict_with`].
    pub fn predict(&self, text: &str) -> Prediction {
        self.predict_with(text, &mut ScoreScratch::default(), DEFAULT_TOP_FEATURES)
    }

    /// Predicts one text, reusing `scratch`, with up to `top_k` top features.
    pub fn predict_with(&self, text: &str, scratch: &mut ScoreScratch, top_k: usize) -> Prediction {
        self.scorer.predict(text, scratch, top_k)
    }

    /// The label alone, the cheapest prediction.
    pub fn label_with(&self, text: &str, scratch: &mut ScoreScratch) -> Label {
        self.scorer.label(text, scratch)
    }

    /// Scores labelled tweets.
    pub fn evaluate<'a>(&self, tweets: impl IntoIterator<Item = &'a LabelledTweet>) -> Metrics {
        let mut scratch = ScoreScratch::default();
        Metrics::from_pairs(tweets.into_iter().map(|t| (t.label, self.label_with(&t.text, &mut scratch))))
    }
}

/// Trains a model on `train`, choosing smoothing by cross-validation, and
/// records its figures on `held_out` (which training never sees).
pub fn train(
    train: &[LabelledTweet],
    held_out: &[LabelledTweet],
    params: &ValidTrainParams,
) -> Result<Model, ModelError> {
    if train.is_empty() {
        return Err(ModelError::EmptyTrainingSet);
    }
    let fitted = train::fit(train, params)?;
    let examples_per_label =
        Label::ALL.into_iter().map(|label| (label, train.iter().filter(|t| t.label == label).count() as u64)).collect();
    let training = TrainingSummary {
        data_sha256: content_hash(train),
        held_out_sha256: if held_out.is_empty() { String::new() } else { content_hash(held_out) },
        examples: train.len() as u64,
        examples_per_label,
        alpha: fitted.alpha,
        folds: params.folds() as u32,
        cross_validation: fitted.cross_validation.iter().map(|cv| (cv.alpha, cv.macro_f1)).collect(),
        min_df: params.min_df(),
        vocabulary_size: fitted.scorer.names().len() as u64,
    };
    let mut info = ModelInfo {
        labels: Label::ALL.to_vec(),
        tokenizer: fitted.scorer.tokenizer().settings().clone(),
        training,
        held_out: None,
    };
    let mut model = Model { id: String::new(), info: info.clone(), scorer: fitted.scorer };
    if !held_out.is_empty() {
        info.held_out = Some(model.evaluate(held_out));
    }
    let (_, checksum) = artifact::encode(&info, &model.scorer)?;
    model.info = info;
    model.id = artifact::model_id(&checksum);
    Ok(model)
}
