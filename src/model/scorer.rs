//! The compiled scorer: a fitted naive-Bayes model laid out for serving.
//!
//! linfa-bayes predicts with a dense `tweets x vocabulary` matrix product. A
//! tweet has a few dozen features out of thousands, so the scorer instead
//! looks each feature up in a hash map and adds its three log-probabilities:
//! the cost of a tweet is proportional to its length, not to the vocabulary.

use rustc_hash::FxHashMap;

use super::calibration::Calibration;
use crate::Label;
use crate::text::{Scratch, Tokenizer};

/// Per-class log-probabilities, in `Label::ALL` order.
pub(crate) type ClassWeights = [f64; Label::COUNT];

/// A feature that pushed a tweet towards its predicted label.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureWeight {
    /// The feature as the tokenizer produced it (`"reforme"`, `"<url>"`, `"#greve"`).
    pub feature: String,
    /// How much it favours the predicted label over the runner-up class, in
    /// nats, counting every occurrence: `count * (log P(f|label) - max log P(f|other))`.
    pub weight: f64,
}

/// The classifier's answer for one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The most probable label; exact ties go to the label with the highest
    /// precedence in `training-data/LABELING.md` (political, then self-promotion, then sharing).
    pub label: Label,
    /// Calibrated probability of each label, in `Label::ALL` order; finite
    /// and summing to 1 whatever the length of the text. Calibration keeps
    /// the order of the labels: `label` always has the highest.
    pub probabilities: [f64; Label::COUNT],
    /// The strongest features behind `label`, strongest first.
    pub top_features: Vec<FeatureWeight>,
}

impl Prediction {
    /// Probability of one label.
    pub fn probability(&self, label: Label) -> f64 {
        self.probabilities[label.index()]
    }
}

/// Buffers reused across predictions, one per thread.
#[derive(Debug, Default)]
pub struct ScoreScratch {
    text: Scratch,
    hits: Vec<u32>,
}

/// The serving form of a fitted multinomial naive-Bayes model.
#[derive(Debug, Clone)]
pub(crate) struct Scorer {
    tokenizer: Tokenizer,
    index: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    weights: Vec<ClassWeights>,
    log_priors: ClassWeights,
    calibration: Calibration,
}

impl Scorer {
    /// Builds a scorer; `names[i]` has weights `weights[i]`.
    pub(crate) fn new(
        tokenizer: Tokenizer,
        names: Vec<Box<str>>,
        weights: Vec<ClassWeights>,
        log_priors: ClassWeights,
    ) -> Scorer {
        let index = names.iter().enumerate().map(|(i, name)| (name.clone(), i as u32)).collect();
        Scorer { tokenizer, index, names, weights, log_priors, calibration: Calibration::NONE }
    }

    /// This scorer, its probabilities calibrated.
    pub(crate) fn with_calibration(mut self, calibration: Calibration) -> Scorer {
        self.calibration = calibration;
        self
    }

    pub(crate) fn names(&self) -> &[Box<str>] {
        &self.names
    }

    pub(crate) fn weights(&self) -> &[ClassWeights] {
        &self.weights
    }

    pub(crate) fn log_priors(&self) -> &ClassWeights {
        &self.log_priors
    }

    /// Unnormalised log-posterior of each class (log prior plus the summed
    /// log-probabilities of every known feature occurrence). Features outside
    /// the vocabulary are ignored, exactly as in the dense model.
    /// Also returns the number of known feature occurrences.
    fn joint_log_likelihood(&self, text: &str, scratch: &mut ScoreScratch, keep_hits: bool) -> (ClassWeights, u32) {
        let mut jll = self.log_priors;
        let mut evidence = 0u32;
        let ScoreScratch { text: text_scratch, hits } = scratch;
        hits.clear();
        self.tokenizer.for_each_feature(text, text_scratch, |feature| {
            if let Some(&id) = self.index.get(feature) {
                let w = &self.weights[id as usize];
                for (total, wc) in jll.iter_mut().zip(w) {
                    *total += wc;
                }
                evidence = evidence.saturating_add(1);
                if keep_hits {
                    hits.push(id);
                }
            }
        });
        (jll, evidence)
    }

    /// Log-probabilities normalised with log-sum-exp, so a long text whose
    /// log-likelihoods are all far below -745 still gives finite values.
    pub(crate) fn log_proba(jll: &ClassWeights) -> ClassWeights {
        let max = jll.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // Shift first, then subtract the log of the sum: `v - (max + ln sum)`
        // would lose the `ln sum` term entirely once |max| is beyond 1e16.
        let ln_sum = jll.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        jll.map(|v| (v - max) - ln_sum)
    }

    pub(crate) fn best(jll: &ClassWeights) -> Label {
        let mut best = Label::PRECEDENCE[0];
        for label in Label::PRECEDENCE {
            if jll[label.index()] > jll[best.index()] {
                best = label;
            }
        }
        best
    }

    /// Uncalibrated log-probabilities: what calibration is fitted on.
    /// Also returns the number of known feature occurrences.
    pub(crate) fn raw_log_probabilities(&self, text: &str, scratch: &mut ScoreScratch) -> (ClassWeights, u32) {
        let (jll, evidence) = self.joint_log_likelihood(text, scratch, false);
        (Self::log_proba(&jll), evidence)
    }

    /// The label alone: the cheapest path, for batch labelling.
    pub(crate) fn label(&self, text: &str, scratch: &mut ScoreScratch) -> Label {
        Self::best(&self.joint_log_likelihood(text, scratch, false).0)
    }

    /// Full prediction with the `top_k` strongest features (0 for none).
    pub(crate) fn predict(&self, text: &str, scratch: &mut ScoreScratch, top_k: usize) -> Prediction {
        let (jll, evidence) = self.joint_log_likelihood(text, scratch, top_k > 0);
        let label = Self::best(&jll);
        let probabilities = self.calibration.apply(&Self::log_proba(&jll), evidence);
        let top_features = if top_k > 0 { self.explain(label, &mut scratch.hits, top_k) } else { Vec::new() };
        Prediction { label, probabilities, top_features }
    }

    fn explain(&self, label: Label, hits: &mut [u32], top_k: usize) -> Vec<FeatureWeight> {
        hits.sort_unstable();
        let mut scored: Vec<(f64, u32)> = hits
            .chunk_by(|a, b| a == b)
            .map(|run| {
                let w = &self.weights[run[0] as usize];
                let own = w[label.index()];
                let rival = Label::ALL
                    .into_iter()
                    .filter(|&other| other != label)
                    .map(|other| w[other.index()])
                    .fold(f64::NEG_INFINITY, f64::max);
                (run.len() as f64 * (own - rival), run[0])
            })
            .filter(|&(weight, _)| weight > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(self.names[a.1 as usize].cmp(&self.names[b.1 as usize])));
        scored
            .into_iter()
            .take(top_k)
            .map(|(weight, id)| FeatureWeight { feature: self.names[id as usize].to_string(), weight })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_keeps_its_precision_far_below_zero() {
        // Found by fuzzing the model loader: `v - (max + ln sum)` rounds the
        // `ln 2` away here and gave probabilities [1, 1, 0].
        let p = Scorer::log_proba(&[-1e300, -1e300, -1e301]).map(f64::exp);
        assert_eq!(p, [0.5, 0.5, 0.0]);
        let p = Scorer::log_proba(&[-3e6, -3e6 - 2f64.ln(), -4e6]).map(f64::exp);
        assert!((p[0] - 2.0 / 3.0).abs() < 1e-9 && (p[1] - 1.0 / 3.0).abs() < 1e-9, "{p:?}");
    }

    fn toy() -> Scorer {
        // "grève" strongly political, "promo" strongly self-promotion.
        let names: Vec<Box<str>> = vec!["greve".into(), "promo".into()];
        let weights = vec![[-6.0, -6.0, -1.0], [-1.0, -6.0, -6.0]];
        Scorer::new(Tokenizer::default(), names, weights, [(1.0f64 / 3.0).ln(); 3])
    }

    #[test]
    fn long_texts_keep_finite_probabilities() {
        let scorer = toy();
        let text = "grève promo grève ".repeat(1400);
        let p = scorer.predict(&text, &mut ScoreScratch::default(), 3);
        assert!(p.probabilities.iter().all(|v| v.is_finite()));
        assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(p.label, Label::Political);
    }

    #[test]
    fn exact_ties_follow_label_precedence() {
        let scorer = toy();
        // No known feature: the equal priors tie all three classes.
        assert_eq!(scorer.label("bonjour", &mut ScoreScratch::default()), Label::Political);
        assert_eq!(Scorer::best(&[0.0, 0.0, -1.0]), Label::SelfPromotion);
    }

    #[test]
    fn top_features_explain_the_winner() {
        let p = toy().predict("promo promo grève", &mut ScoreScratch::default(), 5);
        assert_eq!(p.label, Label::SelfPromotion);
        assert_eq!(p.top_features.len(), 1);
        assert_eq!(p.top_features[0].feature, "promo");
        assert!((p.top_features[0].weight - 10.0).abs() < 1e-12);
    }
}
