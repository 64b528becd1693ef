//! The compiled scorer against linfa-bayes itself, on the committed corpus.

use std::path::Path;

use linfa_bayes::{MultinomialNb, NaiveBayes};
use ndarray::Array2;

use super::scorer::{ScoreScratch, Scorer};
use super::train::{EncodedCorpus, FittedMirror, Vocabulary, compile, fit_multinomial};
use crate::Label;
use crate::corpus::{LabelledTweet, Rules, read_jsonl};
use crate::text::{Scratch, Tokenizer};

fn corpus_file(name: &str) -> Vec<LabelledTweet> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data").join(name);
    read_jsonl(&path, Rules::CORPUS).expect("committed corpus is valid")
}

struct Fit {
    vocabulary: Vocabulary,
    linfa: MultinomialNb<f64, usize>,
    scorer: Scorer,
    tokenizer: Tokenizer,
}

fn fit_on_training_split(alpha: f64) -> Fit {
    let train = corpus_file("train.jsonl");
    let tokenizer = Tokenizer::default();
    let corpus = EncodedCorpus::new(&tokenizer, &train);
    let rows: Vec<usize> = (0..train.len()).collect();
    let vocabulary = Vocabulary::build(&corpus, &rows, 2, 50_000);
    let linfa = fit_multinomial(&corpus, &rows, &vocabulary, alpha, 512).expect("fit");
    let scorer = compile(&linfa, &vocabulary, &tokenizer).expect("compile");
    Fit { vocabulary, linfa, scorer, tokenizer }
}

/// The dense row linfa expects: feature counts over the vocabulary columns.
fn dense_rows(fit: &Fit, texts: &[&str]) -> Array2<f64> {
    let column: std::collections::HashMap<&str, usize> =
        fit.vocabulary_names().iter().enumerate().map(|(i, n)| (&**n, i)).collect();
    let mut rows = Array2::zeros((texts.len(), column.len()));
    let mut scratch = Scratch::default();
    for (r, text) in texts.iter().enumerate() {
        fit.tokenizer.for_each_feature(text, &mut scratch, |f| {
            if let Some(&c) = column.get(f) {
                rows[[r, c]] += 1.0;
            }
        });
    }
    rows
}

impl Fit {
    fn vocabulary_names(&self) -> &[Box<str>] {
        self.scorer.names()
    }
}

#[test]
fn scorer_matches_linfa_on_the_held_out_file() {
    let fit = fit_on_training_split(0.3);
    assert_eq!(fit.vocabulary.len(), fit.scorer.names().len());
    let held_out = corpus_file("test.jsonl");
    let texts: Vec<&str> = held_out.iter().map(|t| t.text.as_str()).collect();
    let x = dense_rows(&fit, &texts);
    let (log_proba, classes) = fit.linfa.predict_log_proba(x.view());
    let classes: Vec<usize> = classes.into_iter().copied().collect();
    assert_eq!(classes, [0, 1, 2], "linfa sorts its classes");
    let mut scratch = ScoreScratch::default();
    let mut compared = 0;
    for (r, text) in texts.iter().enumerate() {
        let ours = fit.scorer.predict(text, &mut scratch, 0);
        let theirs = log_proba.row(r);
        for label in Label::ALL {
            let p_theirs = theirs[label.index()].exp();
            assert!(
                (ours.probability(label) - p_theirs).abs() < 1e-9,
                "{text:?}: {label} {} vs linfa {p_theirs}",
                ours.probability(label)
            );
        }
        // linfa's own label is its argmax; it is only ambiguous on exact ties.
        let best = (0..3).max_by(|&a, &b| theirs[a].total_cmp(&theirs[b])).expect("3 classes");
        let tied = (0..3).filter(|&c| theirs[c] == theirs[best]).count() > 1;
        if !tied {
            assert_eq!(ours.label.index(), best, "{text:?}");
            compared += 1;
        }
    }
    assert!(compared > held_out.len() * 9 / 10);
}

#[test]
fn long_texts_stay_finite_where_linfa_underflows() {
    let fit = fit_on_training_split(0.3);
    let tweet = "Grève générale contre la #RéformeDesRetraites ✊ le gouvernement doit reculer ! https://t.co/x ";
    let text: String = tweet.chars().cycle().take(25_000).collect();
    let (linfa_log_proba, _) = fit.linfa.predict_log_proba(dense_rows(&fit, &[&text]).view());
    // Every exp() underflows to 0, the log of the sum is -inf, and linfa's
    // "log-probabilities" come out infinite (NaN once exponentiated or compared).
    assert!(
        linfa_log_proba.iter().all(|v| !v.is_finite()),
        "linfa's plain exp-sum was expected to underflow: {linfa_log_proba:?}"
    );
    let ours = fit.scorer.predict(&text, &mut ScoreScratch::default(), 5);
    assert!(ours.probabilities.iter().all(|p| p.is_finite()));
    assert!((ours.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert_eq!(ours.label, Label::Political);
}

#[test]
fn resmoothing_reproduces_a_linfa_fit_at_that_alpha() {
    let base = fit_on_training_split(0.3);
    let other = fit_on_training_split(1.0);
    let mirror = FittedMirror::of(&base.linfa, &base.vocabulary).expect("mirror");
    let resmoothed = mirror.resmoothed(1.0, &base.vocabulary, &base.tokenizer);
    for (a, b) in resmoothed.weights().iter().zip(other.scorer.weights()) {
        for c in 0..Label::COUNT {
            assert!((a[c] - b[c]).abs() < 1e-12);
        }
    }
    for c in 0..Label::COUNT {
        assert!((resmoothed.log_priors()[c] - other.scorer.log_priors()[c]).abs() < 1e-12);
    }
}
