//! The statistics, the scorer and retraining against linfa-bayes itself, on
//! the committed hand-written corpus.

use std::path::Path;

use linfa_bayes::{MultinomialNb, NaiveBayes};
use ndarray::Array2;

use super::scorer::ScoreScratch;
use super::stats::{Priors, Statistics};
use super::train::{EncodedCorpus, FittedMirror, Vocabulary, fit_dense, labelled_statistics};
use super::{Calibration, HeldOut, LabelledSource, Model, TrainParams, TrainingData};
use crate::Label;
use crate::corpus::{LabelledTweet, Rules, read_jsonl};
use crate::text::{Scratch, Tokenizer};

fn corpus_file(name: &str) -> Vec<LabelledTweet> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data").join(name);
    read_jsonl(&path, Rules::CORPUS).expect("committed corpus is valid")
}

/// A dense linfa fit and our statistics over the same rows and vocabulary.
struct Fit {
    vocabulary: Vocabulary,
    linfa: MultinomialNb<f64, usize>,
    statistics: Statistics,
    tokenizer: Tokenizer,
}

fn fit(alpha: f64, corpus: &EncodedCorpus) -> Fit {
    let tokenizer = Tokenizer::default();
    let rows = corpus.labelled_rows();
    let vocabulary = Vocabulary::build(corpus, &rows, 2, 50_000, |_| false);
    let linfa = fit_dense(corpus, &rows, &vocabulary, alpha).expect("dense fit");
    let statistics = labelled_statistics(corpus, &rows, &vocabulary).expect("aggregated fit");
    Fit { vocabulary, linfa, statistics, tokenizer }
}

fn plain_corpus() -> EncodedCorpus {
    EncodedCorpus::new(&Tokenizer::default(), &corpus_file("train.jsonl"), false)
}

/// The dense rows linfa predicts from: feature counts over the vocabulary.
fn dense_rows(fit: &Fit, texts: &[&str]) -> Array2<f64> {
    let column: std::collections::HashMap<&str, usize> =
        fit.statistics.features.iter().enumerate().map(|(i, n)| (&**n, i)).collect();
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

#[test]
fn aggregated_statistics_equal_a_dense_per_tweet_linfa_fit() {
    // Weighted sources and unit-length tweets: every scaling training uses.
    let tokenizer = Tokenizer::default();
    let train = corpus_file("train.jsonl");
    let (first, second) = train.split_at(train.len() / 2);
    let data = TrainingData {
        sources: vec![
            LabelledSource { name: "a", tweets: first, weight: 1.5, validates: true, calibrates: false },
            LabelledSource { name: "b", tweets: second, weight: 0.25, validates: true, calibrates: false },
        ],
        unlabelled: &[],
    };
    let corpus = EncodedCorpus::encode(&tokenizer, &data, true);
    let fit = fit(0.3, &corpus);
    assert_eq!(fit.vocabulary.len(), fit.statistics.features.len());
    let dense = FittedMirror::of(&fit.linfa, fit.vocabulary.len()).expect("mirror").counts(fit.vocabulary.len());
    let mut compared = 0;
    for (ours, theirs) in fit.statistics.counts.iter().zip(&dense) {
        for c in 0..Label::COUNT {
            assert!((ours[c] - theirs[c]).abs() <= 1e-9 * theirs[c].abs().max(1.0), "{ours:?} vs {theirs:?}");
            compared += 1;
        }
    }
    assert!(compared > 10_000, "{compared} counts compared");
}

#[test]
fn scorer_matches_linfa_on_the_held_out_file() {
    let corpus = plain_corpus();
    for alpha in [0.3, 1.0] {
        let fit = fit(alpha, &corpus);
        // Empirical priors are linfa's (documents per class, all weights 1).
        let scorer = fit.statistics.scorer(alpha, Priors::Empirical, &fit.tokenizer);
        let held_out = corpus_file("test.jsonl");
        let texts: Vec<&str> = held_out.iter().map(|t| t.text.as_str()).collect();
        let x = dense_rows(&fit, &texts);
        let (log_proba, classes) = fit.linfa.predict_log_proba(x.view());
        let classes: Vec<usize> = classes.into_iter().copied().collect();
        assert_eq!(classes, [0, 1, 2], "linfa sorts its classes");
        let mut scratch = ScoreScratch::default();
        let mut compared = 0;
        for (r, text) in texts.iter().enumerate() {
            let ours = scorer.predict(text, &mut scratch, 0);
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
}

#[test]
fn long_texts_stay_finite_where_linfa_underflows() {
    let fit = fit(0.3, &plain_corpus());
    let scorer = fit.statistics.scorer(0.3, Priors::Empirical, &fit.tokenizer);
    let tweet = "Grève générale contre la #RéformeDesRetraites ✊ le gouvernement doit reculer ! https://t.co/x ";
    let text: String = tweet.chars().cycle().take(25_000).collect();
    let (linfa_log_proba, _) = fit.linfa.predict_log_proba(dense_rows(&fit, &[&text]).view());
    // Every exp() underflows to 0, the log of the sum is -inf, and linfa's
    // "log-probabilities" come out infinite (NaN once exponentiated or compared).
    assert!(
        linfa_log_proba.iter().all(|v| !v.is_finite()),
        "linfa's plain exp-sum was expected to underflow: {linfa_log_proba:?}"
    );
    let ours = scorer.predict(&text, &mut ScoreScratch::default(), 5);
    assert!(ours.probabilities.iter().all(|p| p.is_finite()));
    assert!((ours.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert_eq!(ours.label, Label::Political);
}

/// One smoothing value, no EM, every feature kept: a model whose
/// statistics are exactly the sums over its tweets.
fn exact_params() -> super::ValidTrainParams {
    TrainParams::default().alphas(vec![0.3]).min_df(1).em_weight(0.0).priors(Priors::Empirical).check().expect("valid")
}

#[test]
fn adding_examples_equals_training_on_everything() {
    let train = corpus_file("train.jsonl");
    let (base_tweets, examples) = train.split_at(train.len() - 400);
    let params = exact_params();
    let held_out = corpus_file("test.jsonl");
    let held = HeldOut { hand_written: &held_out, real: &[] };
    let base = super::train(&TrainingData::single("base", base_tweets), held, &params).expect("base");
    let everything = super::train(&TrainingData::single("all", &train), held, &params).expect("all");
    let retrained = base.with_examples(examples, held).expect("retrain");

    assert_eq!(retrained.statistics.features, everything.statistics.features);
    for (a, b) in retrained.statistics.counts.iter().zip(&everything.statistics.counts) {
        for c in 0..Label::COUNT {
            assert!((a[c] - b[c]).abs() <= 1e-9 * b[c].max(1.0));
        }
    }
    assert_eq!(retrained.statistics.documents, everything.statistics.documents);
    let mut scratch = ScoreScratch::default();
    for tweet in &held_out {
        let a = retrained.predict_with(&tweet.text, &mut scratch, 0);
        let b = everything.predict_with(&tweet.text, &mut scratch, 0);
        assert_eq!(a.label, b.label, "{:?}", tweet.text);
    }
    assert_eq!(retrained.info().training.examples, train.len() as u64);
    assert_eq!(retrained.info().training.sources.last().map(|s| s.examples), Some(examples.len() as u64));
    // Saved and loaded, the retrained model is the same model.
    let reloaded = Model::from_bytes(&retrained.to_bytes().expect("encode")).expect("decode");
    assert_eq!(reloaded.id(), retrained.id());
}

#[test]
fn new_words_join_the_vocabulary_only_when_enough_examples_use_them() {
    let train = corpus_file("train.jsonl");
    let params = TrainParams::default().alphas(vec![0.3]).em_weight(0.0).check().expect("valid");
    let base = super::train(&TrainingData::single("base", &train), HeldOut::default(), &params).expect("base");
    let example = |text: &str| LabelledTweet { text: text.to_owned(), label: Label::SelfPromotion, lang: None };
    let examples = [
        example("Zorbliquette en promo chez nous"),
        example("La zorbliquette revient samedi"),
        example("Une quixotrande unique"),
    ];
    let retrained = base.with_examples(&examples, HeldOut::default()).expect("retrain");
    let knows = |m: &Model, f: &str| m.statistics.features.iter().any(|x| &**x == f);
    assert!(!knows(&base, "zorbliquette"));
    assert!(knows(&retrained, "zorbliquette"), "two examples use it (min_df 2)");
    assert!(!knows(&retrained, "quixotrande"), "one example only");
    assert!(
        retrained.predict("zorbliquette").probability(Label::SelfPromotion)
            > base.predict("zorbliquette").probability(Label::SelfPromotion)
    );
}

#[test]
fn em_adds_each_unlabelled_tweet_once_at_its_weight() {
    let train = corpus_file("train.jsonl");
    let unlabelled: Vec<String> = corpus_file("test.jsonl").into_iter().map(|t| t.text).collect();
    let params = TrainParams::default().alphas(vec![0.3]).em_weight(0.25).em_iterations(3).check().expect("valid");
    let data = TrainingData {
        sources: vec![LabelledSource { name: "a", tweets: &train, weight: 2.0, validates: true, calibrates: false }],
        unlabelled: &unlabelled,
    };
    let model = super::train(&data, HeldOut::default(), &params).expect("train");
    let documents: f64 = model.statistics.documents.iter().sum();
    // Labelled documents at weight 2, plus each unlabelled one spread over the
    // classes by its probabilities, at weight 0.25, once (not once per round).
    let expected = 2.0 * train.len() as f64 + 0.25 * unlabelled.len() as f64;
    assert!((documents - expected).abs() < 1e-6, "{documents} vs {expected}");
    assert_eq!(model.info().training.unlabelled, unlabelled.len() as u64);
    let without =
        super::train(&TrainingData { unlabelled: &[], ..data.clone() }, HeldOut::default(), &params).expect("train");
    assert_ne!(model.statistics.counts, without.statistics.counts, "EM changed the counts");
}

#[test]
fn tuned_priors_start_from_the_priors_the_scores_were_computed_with() {
    let train = corpus_file("train.jsonl");
    let data = TrainingData::single("a", &train);
    for priors in [Priors::Empirical, Priors::Uniform] {
        let params = TrainParams::default().em_weight(0.0).priors(priors).tune_priors(true).check().expect("valid");
        let model = super::train(&data, HeldOut::default(), &params).expect("train");
        let Priors::Tuned(tuned) = model.info().training.priors else { panic!("priors were not tuned: {priors:?}") };
        let base = model.statistics.log_priors(priors);
        // What tuning adds is a shift from the grid, political staying put,
        // once the result is normalised.
        let shift: Vec<f64> = (0..Label::COUNT).map(|c| (tuned[c] - base[c]) - (tuned[2] - base[2])).collect();
        for s in &shift[..2] {
            assert!(((s * 2.0).round() - s * 2.0).abs() < 1e-9, "{priors:?}: shift {shift:?} is not on the 0.5 grid");
        }
        assert!((tuned.iter().map(|p| p.exp()).sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn training_refuses_weights_and_settings_a_model_file_would_refuse() {
    let train = corpus_file("train.jsonl");
    let params = exact_params();
    for weight in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let data = TrainingData {
            sources: vec![LabelledSource { name: "a", tweets: &train, weight, validates: true, calibrates: false }],
            unlabelled: &[],
        };
        let err = super::train(&data, HeldOut::default(), &params).expect_err("bad weight");
        assert!(err.to_string().contains("weight"), "{err}");
    }
    assert!(TrainParams::default().alphas(vec![1e-7]).check().is_err());
}

#[test]
fn model_files_with_unusable_priors_are_refused() {
    let train = corpus_file("train.jsonl");
    let model = super::train(&TrainingData::single("a", &train), HeldOut::default(), &exact_params()).expect("train");
    for bad in [[f64::NAN, -1.0, -1.0], [0.5, -1.0, -1.0], [-1e7, -1.0, -1.0]] {
        let mut info = model.info.clone();
        info.training.priors = Priors::Tuned(bad);
        let (bytes, _) = super::artifact::encode(&info, &model.statistics, &model.held_apart).expect("encode");
        let err = Model::from_bytes(&bytes).expect_err("bad priors");
        assert!(err.to_string().contains("log-priors"), "{err}");
    }
}

#[test]
fn calibration_is_fitted_on_held_apart_predictions_and_refitted_by_a_retrain() {
    let train = corpus_file("train.jsonl");
    let (base_tweets, examples) = train.split_at(train.len() - 300);
    let params = TrainParams::default().alphas(vec![0.1, 0.3]).em_weight(0.0).check().expect("valid");
    let source =
        |calibrates| LabelledSource { name: "a", tweets: base_tweets, weight: 1.0, validates: true, calibrates };
    let data = TrainingData { sources: vec![source(true)], unlabelled: &[] };
    let base = super::train(&data, HeldOut::default(), &params).expect("base");
    let fitted = &base.info().calibration;
    assert_eq!(fitted.fitted_on, base_tweets.len() as u64, "every tweet was predicted out of fold");
    assert_ne!(fitted.calibration, Calibration::NONE);
    assert_eq!(base.quantifier().method(), "adjusted");
    // Calibration moves probabilities, never labels.
    let mut scratch = ScoreScratch::default();
    for tweet in corpus_file("test.jsonl").iter().take(200) {
        let p = base.predict_with(&tweet.text, &mut scratch, 0);
        let best = Label::ALL.into_iter().max_by(|a, b| p.probability(*a).total_cmp(&p.probability(*b)));
        assert_eq!(Some(p.label), best, "{:?}", p.probabilities);
        assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    let retrained = base.with_examples(examples, HeldOut::default()).expect("retrain");
    let refitted = &retrained.info().calibration;
    assert_eq!(refitted.fitted_on, fitted.fitted_on + examples.len() as u64, "the examples, out of fold, join");
    assert_ne!(refitted.calibration, fitted.calibration, "refitted");
    // The refit is the better fit of the predictions it was given.
    let loss =
        |c: Calibration| super::log_loss(retrained.held_apart.triples().map(|(label, lp, n)| (label, c.apply(&lp, n))));
    assert!(loss(refitted.calibration) < loss(fitted.calibration), "refit does better than the base calibration");
    assert!(loss(refitted.calibration) < loss(Calibration::NONE), "and better than none");
    let reloaded = Model::from_bytes(&retrained.to_bytes().expect("encode")).expect("decode");
    assert_eq!(reloaded.info().calibration, *refitted);
    assert_eq!(reloaded.quantifier(), retrained.quantifier());

    // Without a calibrating source, probabilities stay as naive Bayes gives them.
    let data = TrainingData { sources: vec![source(false)], unlabelled: &[] };
    let raw = super::train(&data, HeldOut::default(), &params).expect("raw");
    assert_eq!(raw.info().calibration.fitted_on, 0);
    assert_eq!(raw.info().calibration.calibration, Calibration::NONE);
    assert_eq!(raw.quantifier().method(), "counted");
}

#[test]
fn model_files_with_an_unusable_calibration_are_refused() {
    let train = corpus_file("train.jsonl");
    let model = super::train(&TrainingData::single("a", &train), HeldOut::default(), &exact_params()).expect("train");
    for bad in [
        Calibration { log_scale: 50.0, exponent: 0.0 },
        Calibration { log_scale: 0.0, exponent: 5.0 },
        Calibration { log_scale: f64::NAN, exponent: 0.0 },
    ] {
        let mut info = model.info.clone();
        info.calibration.calibration = bad;
        let (bytes, _) = super::artifact::encode(&info, &model.statistics, &model.held_apart).expect("encode");
        let err = Model::from_bytes(&bytes).expect_err("bad calibration");
        assert!(err.to_string().contains("calibration"), "{err}");
    }
}
