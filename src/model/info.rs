//! What a model knows about itself: where it came from and how good it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::metrics::Metrics;
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
    /// Its figures on the held-out file, when one was given.
    pub held_out: Option<Metrics>,
}

/// The data a model saw and the hyper-parameters it was fitted with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// SHA-256 of the training examples' content (see `corpus::content_hash`).
    pub data_sha256: String,
    /// SHA-256 of the held-out examples' content, empty when there were none.
    pub held_out_sha256: String,
    /// Number of training examples.
    pub examples: u64,
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
