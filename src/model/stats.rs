//! Sufficient statistics of a multinomial naive-Bayes model.
//!
//! Everything a fitted model knows is in two sums per class: how often each
//! feature occurred (weighted) and how many documents (weighted) it saw. They
//! are additive, so the model file stores them and a retrain adds the new
//! examples' sums instead of re-reading a corpus (the semantics of linfa's
//! `fit_with` and scikit-learn's `partial_fit`). The served log-probabilities
//! are derived from them with linfa-bayes's own formula.

use serde::{Deserialize, Serialize};

use super::scorer::{ClassWeights, Scorer};
use crate::Label;
use crate::text::Tokenizer;

/// How the scorer's class priors are set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priors {
    /// From the (weighted) number of training documents of each class.
    Empirical,
    /// Every class equally likely before the text is read: the training mix
    /// of labels says nothing about the accounts the audit will read.
    Uniform,
    /// These log-priors, in `Label::ALL` order, chosen by cross-validation
    /// (see `TrainParams::tune_priors`).
    Tuned([f64; Label::COUNT]),
}

/// Per-class sums over a sorted vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Statistics {
    /// Feature names, sorted and unique.
    pub(crate) features: Vec<Box<str>>,
    /// Weighted occurrences of each feature in each class.
    pub(crate) counts: Vec<ClassWeights>,
    /// Weighted number of documents of each class.
    pub(crate) documents: ClassWeights,
}

impl Statistics {
    /// The serving form at smoothing `alpha`, with linfa-bayes's formula:
    /// `log P(f|c) = ln(count + alpha) - ln(sum over the vocabulary of (count + alpha))`.
    pub(crate) fn scorer(&self, alpha: f64, priors: Priors, tokenizer: &Tokenizer) -> Scorer {
        let vocabulary = self.features.len() as f64;
        let mut totals = [0.0; Label::COUNT];
        for counts in &self.counts {
            for (total, count) in totals.iter_mut().zip(counts) {
                *total += count;
            }
        }
        let log_totals = totals.map(|total| (total + alpha * vocabulary).ln());
        let weights = self
            .counts
            .iter()
            .map(|counts| std::array::from_fn(|c| (counts[c] + alpha).ln() - log_totals[c]))
            .collect();
        Scorer::new(tokenizer.clone(), self.features.clone(), weights, self.log_priors(priors))
    }

    /// The log-priors the scorer uses with `priors`.
    pub(crate) fn log_priors(&self, priors: Priors) -> ClassWeights {
        match priors {
            Priors::Uniform => [(1.0 / Label::COUNT as f64).ln(); Label::COUNT],
            Priors::Tuned(log_priors) => log_priors,
            Priors::Empirical => {
                let total: f64 = self.documents.iter().sum();
                self.documents.map(|d| (d / total).ln())
            }
        }
    }

    /// The sums of both, over the union of their vocabularies.
    pub(crate) fn merged(&self, other: &Statistics) -> Statistics {
        let mut features = Vec::with_capacity(self.features.len() + other.features.len());
        let mut counts = Vec::with_capacity(features.capacity());
        let (mut i, mut j) = (0, 0);
        while i < self.features.len() || j < other.features.len() {
            let take_left =
                j >= other.features.len() || (i < self.features.len() && self.features[i] <= other.features[j]);
            let take_right =
                i >= self.features.len() || (j < other.features.len() && other.features[j] <= self.features[i]);
            let mut sum = [0.0; Label::COUNT];
            let name = if take_left { self.features[i].clone() } else { other.features[j].clone() };
            if take_left {
                add(&mut sum, &self.counts[i]);
                i += 1;
            }
            if take_right {
                add(&mut sum, &other.counts[j]);
                j += 1;
            }
            features.push(name);
            counts.push(sum);
        }
        let mut documents = self.documents;
        add(&mut documents, &other.documents);
        Statistics { features, counts, documents }
    }

    /// What makes statistics usable: sorted unique names, one row of finite,
    /// non-negative sums per name, and at least one document of every class.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.features.len() != self.counts.len() {
            return Err("feature names and counts differ in number".to_owned());
        }
        if !self.features.windows(2).all(|w| w[0] < w[1]) {
            return Err("feature names are not sorted and unique".to_owned());
        }
        let plausible = |v: &f64| v.is_finite() && *v >= 0.0 && *v < 1e15;
        if !self.counts.iter().flatten().all(plausible) {
            return Err("feature counts must be finite, non-negative and below 1e15".to_owned());
        }
        if !self.documents.iter().all(|d| plausible(d) && *d > 0.0) {
            return Err("every class needs a positive, finite document count".to_owned());
        }
        Ok(())
    }
}

fn add(sum: &mut ClassWeights, other: &ClassWeights) {
    for (s, o) in sum.iter_mut().zip(other) {
        *s += o;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(features: &[&str], counts: &[ClassWeights], documents: ClassWeights) -> Statistics {
        Statistics { features: features.iter().map(|&f| f.into()).collect(), counts: counts.to_vec(), documents }
    }

    #[test]
    fn merging_adds_counts_over_the_union_of_vocabularies() {
        let a = stats(&["b", "d"], &[[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]], [1.0, 2.0, 3.0]);
        let b = stats(&["a", "b", "e"], &[[5.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.5]], [1.0, 0.0, 0.0]);
        let m = a.merged(&b);
        let names: Vec<&str> = m.features.iter().map(|f| &**f).collect();
        assert_eq!(names, ["a", "b", "d", "e"]);
        assert_eq!(m.counts, [[5.0, 0.0, 0.0], [2.0, 1.0, 3.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.5]]);
        assert_eq!(m.documents, [2.0, 2.0, 3.0]);
        assert_eq!(a.merged(&b), b.merged(&a), "merging is symmetric");
        m.check().expect("valid");
    }

    #[test]
    fn check_refuses_what_no_training_gives() {
        let good = stats(&["a", "b"], &[[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]], [1.0, 1.0, 1.0]);
        good.check().expect("valid");
        let unsorted = stats(&["b", "a"], &good.counts, good.documents);
        assert!(unsorted.check().is_err());
        let negative = stats(&["a", "b"], &[[-1.0, 0.0, 0.0], [0.0, 1.0, 1.0]], [1.0, 1.0, 1.0]);
        assert!(negative.check().is_err());
        let empty_class = stats(&["a", "b"], &good.counts, [1.0, 0.0, 1.0]);
        assert!(empty_class.check().is_err());
    }

    #[test]
    fn uniform_priors_ignore_the_label_mix() {
        let s = stats(&["a"], &[[1.0, 1.0, 1.0]], [8.0, 1.0, 1.0]);
        let tokenizer = Tokenizer::default();
        let uniform = s.scorer(1.0, Priors::Uniform, &tokenizer);
        assert!(uniform.log_priors().iter().all(|p| (p - (1.0f64 / 3.0).ln()).abs() < 1e-15));
        let empirical = s.scorer(1.0, Priors::Empirical, &tokenizer);
        assert!((empirical.log_priors()[0] - 0.8f64.ln()).abs() < 1e-15);
    }
}
