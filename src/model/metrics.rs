//! Classification quality: accuracy, per-class precision/recall/F1, macro-F1
//! and the confusion matrix.
//!
//! Computed here in f64 with a fixed label order, because the figures are
//! stored in model files that must be byte-for-byte reproducible; a test checks
//! them against linfa's own `ConfusionMatrix`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Label;

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Share of the tweets predicted as this class that really are.
    pub precision: f64,
    /// Share of this class's tweets that were found.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Number of tweets of this class in the evaluated set.
    pub support: u64,
}

/// How well a model did on a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Number of tweets evaluated.
    pub count: u64,
    /// Share of tweets whose predicted label is the true one.
    pub accuracy: f64,
    /// Unweighted mean of the three classes' F1.
    pub macro_f1: f64,
    /// Per-class figures, keyed by label.
    pub per_class: BTreeMap<Label, ClassMetrics>,
    /// `confusion[true][predicted]`, in `Label::ALL` order.
    pub confusion: [[u64; Label::COUNT]; Label::COUNT],
}

impl Metrics {
    /// Metrics of `(truth, predicted)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Label, Label)>) -> Metrics {
        let mut confusion = [[0u64; Label::COUNT]; Label::COUNT];
        for (truth, predicted) in pairs {
            confusion[truth.index()][predicted.index()] += 1;
        }
        Metrics::from_confusion(confusion)
    }

    /// Metrics of a confusion matrix (`[true][predicted]`).
    pub fn from_confusion(confusion: [[u64; Label::COUNT]; Label::COUNT]) -> Metrics {
        let ratio = |num: u64, den: u64| {
            if den == 0 { 0.0 } else { num as f64 / den as f64 }
        };
        let count: u64 = confusion.iter().flatten().sum();
        let correct: u64 = (0..Label::COUNT).map(|i| confusion[i][i]).sum();
        let per_class: BTreeMap<Label, ClassMetrics> = Label::ALL
            .into_iter()
            .map(|label| {
                let i = label.index();
                let support: u64 = confusion[i].iter().sum();
                let predicted: u64 = confusion.iter().map(|row| row[i]).sum();
                let precision = ratio(confusion[i][i], predicted);
                let recall = ratio(confusion[i][i], support);
                let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
                (label, ClassMetrics { precision, recall, f1, support })
            })
            .collect();
        let macro_f1 = per_class.values().map(|m| m.f1).sum::<f64>() / Label::COUNT as f64;
        Metrics { count, accuracy: ratio(correct, count), macro_f1, per_class, confusion }
    }

    /// A short human-readable table.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "tweets: {}   accuracy: {:.4}   macro-F1: {:.4}\n\n{:<16}{:>10}{:>10}{:>10}{:>10}\n",
            self.count, self.accuracy, self.macro_f1, "label", "precision", "recall", "f1", "support"
        );
        for (label, m) in &self.per_class {
            out += &format!(
                "{:<16}{:>10.4}{:>10.4}{:>10.4}{:>10}\n",
                label.as_str(),
                m.precision,
                m.recall,
                m.f1,
                m.support
            );
        }
        out += &format!("\nconfusion (rows: true, columns: predicted)\n{:<16}", "");
        for label in Label::ALL {
            out += &format!("{:>16}", label.as_str());
        }
        for label in Label::ALL {
            out += &format!("\n{:<16}", label.as_str());
            for cell in self.confusion[label.index()] {
                out += &format!("{cell:>16}");
            }
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::prelude::ToConfusionMatrix;
    use ndarray::Array1;

    #[test]
    fn agrees_with_linfa_confusion_matrix() {
        use Label::*;
        let truth = [
            SelfPromotion,
            SelfPromotion,
            Sharing,
            Sharing,
            Sharing,
            Political,
            Political,
            Political,
            SelfPromotion,
            Sharing,
        ];
        let predicted = [
            SelfPromotion,
            Sharing,
            Sharing,
            Sharing,
            Political,
            Political,
            Political,
            SelfPromotion,
            SelfPromotion,
            Sharing,
        ];
        let ours = Metrics::from_pairs(truth.into_iter().zip(predicted));

        let to_index = |labels: &[Label]| labels.iter().map(|l| l.index()).collect::<Array1<usize>>();
        let cm = to_index(&predicted).confusion_matrix(to_index(&truth)).expect("same length");
        assert!((ours.accuracy - f64::from(cm.accuracy())).abs() < 1e-6);
        // linfa's one-vs-all split comes in sorted class order, as does Label::ALL.
        for (label, binary) in Label::ALL.into_iter().zip(cm.split_one_vs_all()) {
            let m = ours.per_class[&label];
            assert!((m.precision - f64::from(binary.precision())).abs() < 1e-6, "{label} precision");
            assert!((m.recall - f64::from(binary.recall())).abs() < 1e-6, "{label} recall");
            assert!((m.f1 - f64::from(binary.f1_score())).abs() < 1e-6, "{label} f1");
        }
        assert_eq!(ours.count, 10);
        assert_eq!(ours.confusion[Political.index()][SelfPromotion.index()], 1);
    }

    #[test]
    fn empty_classes_score_zero_not_nan() {
        let m = Metrics::from_pairs([(Label::Sharing, Label::Sharing)]);
        assert_eq!(m.per_class[&Label::Political].f1, 0.0);
        assert!(m.macro_f1.is_finite());
    }
}
