//! What a model knows about itself: where it came from and how good it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::calibration::Calibration;
use super::metrics::Metrics;
use super::stats::Priors;
use crate::Label;
use crate::text::TokenizerSettings;

/// Metadata stored in every model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The classes, in index order (always `Label::ALL`).
    pub labels: Vec<Label>,
    /// The tokenizer the model expects.
    pub tokenizer: TokenizerSettings,
    /// The data and settings it was trained with.
    pub training: TrainingSummary,
    /// Its figures on the hand-written held-out file, when one was given.
    pub held_out: Option<Metrics>,
    /// Its figures on the real held-out split, when one was given.
    pub real_held_out: Option<Metrics>,
    /// How its probabilities are calibrated, and how well.
    pub calibration: CalibrationSummary,
}

/// The calibration of a model's probabilities (see `model/calibration.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationSummary {
    /// How raw log-probabilities are turned into calibrated probabilities.
    pub calibration: Calibration,
    /// Number of held-apart predictions it was fitted on (0: none, the
    /// probabilities are uncalibrated).
    pub fitted_on: u64,
    /// Before and after, on the real held-out split, when one was given.
    pub real_held_out: Option<CalibrationFigures>,
}

/// Calibration measured on labelled tweets, before and after.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFigures {
    /// Tweets measured.
    pub tweets: u64,
    /// Expected calibration error (10 bins) of the raw probabilities.
    pub ece_raw: f64,
    /// The same, calibrated.
    pub ece: f64,
    /// Log-loss of the raw probabilities.
    pub log_loss_raw: f64,
    /// The same, calibrated.
    pub log_loss: f64,
}

/// The data a model saw and the hyper-parameters it was fitted with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// SHA-256 of the training examples' content (see `corpus::content_hash`).
    pub data_sha256: String,
    /// SHA-256 of the hand-written held-out examples' content, empty when
    /// there were none.
    pub held_out_sha256: String,
    /// SHA-256 of the real held-out examples' content, empty when there were none.
    pub real_held_out_sha256: String,
    /// SHA-256 of the unlabelled texts EM read, empty when EM was off.
    pub unlabelled_sha256: String,
    /// Number of labelled training examples, every source together.
    pub examples: u64,
    /// The labelled sources, with their size and weight.
    pub sources: Vec<SourceSummary>,
    /// Number of unlabelled tweets EM added (0 when EM was off).
    pub unlabelled: u64,
    /// Weight of an unlabelled tweet in EM.
    pub em_weight: f64,
    /// How the class priors were set.
    pub priors: Priors,
    /// Whether each tweet's counts were scaled to unit length; examples a
    /// retrain adds are scaled the same way.
    pub length_norm: bool,
    /// Training examples per label.
    pub examples_per_label: BTreeMap<Label, u64>,
    /// Additive smoothing chosen by cross-validation.
    pub alpha: f64,
    /// Cross-validation folds used to choose `alpha`.
    pub folds: u32,
    /// Out-of-fold macro-F1 of each candidate `alpha`, as `(alpha, macro_f1)`.
    pub cross_validation: Vec<(f64, f64)>,
    /// Minimum number of training tweets a feature had to appear in.
    pub min_df: u32,
    /// Number of features kept.
    pub vocabulary_size: u64,
}

/// One labelled source a model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    /// `hand-written`, `real`, `examples`...
    pub name: String,
    /// Its number of tweets.
    pub examples: u64,
    /// The weight of each of its tweets.
    pub weight: f64,
}
