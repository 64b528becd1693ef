//! The committed corpus and the committed default model, checked together.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tweetguide::Label;
use tweetguide::corpus::{LabelledTweet, Lang, Rules, dedup_key, read_jsonl};
use tweetguide::model::{self, Model, TrainParams};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data").join(name)
}

fn load(name: &str) -> Vec<LabelledTweet> {
    read_jsonl(&data(name), Rules::CORPUS).unwrap_or_else(|e| panic!("{name} is invalid: {e}"))
}

#[test]
fn corpus_is_large_balanced_and_bilingual() {
    let all: Vec<LabelledTweet> = load("train.jsonl").into_iter().chain(load("test.jsonl")).collect();
    assert!(all.len() >= 3000, "{} tweets", all.len());
    for label in Label::ALL {
        let of_label: Vec<&LabelledTweet> = all.iter().filter(|t| t.label == label).collect();
        assert!(of_label.len() >= 1000, "{label}: {}", of_label.len());
        let french = of_label.iter().filter(|t| t.lang == Some(Lang::Fr)).count() as f64;
        let share = french / of_label.len() as f64;
        assert!((0.4..=0.6).contains(&share), "{label}: {share:.2} French");
    }
}

#[test]
fn held_out_file_is_disjoint_and_stratified() {
    let train = load("train.jsonl");
    let test = load("test.jsonl");
    let train_keys: HashSet<String> = train.iter().map(|t| dedup_key(&t.text)).collect();
    for tweet in &test {
        assert!(!train_keys.contains(&dedup_key(&tweet.text)), "held-out tweet also in training: {:?}", tweet.text);
    }
    let count = |tweets: &[LabelledTweet]| {
        let mut by: HashMap<(Label, Option<Lang>), usize> = HashMap::new();
        for t in tweets {
            *by.entry((t.label, t.lang)).or_default() += 1;
        }
        by
    };
    let (train_by, test_by) = (count(&train), count(&test));
    for (group, &n_test) in &test_by {
        let share = n_test as f64 / (n_test + train_by[group]) as f64;
        assert!((0.12..=0.18).contains(&share), "{group:?}: {share:.3} held out");
    }
    assert_eq!(test_by.len(), 6, "every label x language is held out");
}

#[test]
fn committed_model_is_reproduced_byte_for_byte_from_the_corpus() {
    let params = TrainParams::default().check().expect("default params are valid");
    let trained = model::train(&load("train.jsonl"), &load("test.jsonl"), &params).expect("training");
    let committed =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default.model")).expect("committed model");
    assert!(
        trained.to_bytes().expect("encode") == committed,
        "models/default.model does not match training-data/: run `cargo run --release -- train`"
    );
    let embedded = Model::embedded_default().expect("embedded model");
    assert_eq!(embedded.id(), trained.id());
}

#[test]
fn default_model_meets_the_quality_bar_on_the_held_out_file() {
    let model = Model::embedded_default().expect("embedded model");
    let metrics = model.evaluate(&load("test.jsonl"));
    assert!(metrics.macro_f1 >= 0.85, "macro-F1 {:.4}", metrics.macro_f1);
    assert_eq!(Some(&metrics), model.info().held_out.as_ref(), "stored figures are the real ones");
}

#[test]
fn default_model_reads_both_languages() {
    let model = Model::embedded_default().expect("embedded model");
    let cases = [
        ("Non au 49.3 ! Ce gouvernement méprise les travailleurs, tous en grève jeudi ✊", Label::Political),
        ("Nouveau chez nous : le pain aux noix est de retour, 3,20 € la pièce 🥖", Label::SelfPromotion),
        ("Super thread de @claire_ux sur l'accessibilité, à lire absolument 👇", Label::Sharing),
        ("Scrap the tax hikes now, this government is killing small business #ToriesOut", Label::Political),
        ("We're hiring! Join our team as a junior designer, apply via the link in bio", Label::SelfPromotion),
        ("Happy Friday everyone, what are you reading this weekend? ☕", Label::Sharing),
    ];
    for (text, expected) in cases {
        let p = model.predict(text);
        assert_eq!(p.label, expected, "{text:?}: {p:?}");
        assert!(!p.top_features.is_empty());
    }
}
