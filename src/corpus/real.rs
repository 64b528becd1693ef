//! Real tweets labelled by hand, kept as ids and labels only.
//!
//! The tweets themselves come from public datasets whose licences are not ours
//! to re-license, so the repository holds `training-data/real/labels.jsonl`
//! (an id, a label, a split) and training joins it with the texts in the
//! shared data folder (`../shared/data/real-tweets/` by default). A clone
//! without that folder still builds, serves and retrains from the statistics
//! stored in the model file; only training the default model from scratch
//! needs the texts.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CorpusError, LabelledTweet, Lang, dedup_key};
use crate::Label;

/// Which side of the real held-out split a labelled tweet is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Trained on.
    Train,
    /// Held out: never trained on, used for every published figure.
    Test,
}

/// One line of `labels.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealLabel {
    /// `<source file>:<id in that file>`, as in the shared data.
    pub id: String,
    /// The label both annotators gave, or the adjudicated one.
    pub label: Label,
    /// The tweet's language.
    pub lang: Lang,
    /// Train or held-out.
    pub split: Split,
    /// The two independent annotators' labels, in annotator order.
    pub annotators: [Label; 2],
}

impl RealLabel {
    /// The source file the tweet comes from (`fr_deputies`, `uk_mps`, ...).
    pub fn source(&self) -> &str {
        self.id.split_once(':').map_or(self.id.as_str(), |(source, _)| source)
    }
}

/// A real tweet joined with its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealTweet {
    /// Its label line.
    pub label: RealLabel,
    /// The labelled tweet, text included.
    pub tweet: LabelledTweet,
}

/// The texts of the shared data folder, by id.
#[derive(Debug, Default)]
pub struct RealTexts {
    texts: HashMap<String, (String, Lang)>,
    order: Vec<String>,
}

#[derive(Deserialize)]
struct SharedLine {
    id: String,
    text: String,
    lang: Lang,
}

/// Where the shared real tweets are looked for when no path is given:
/// `../shared/data/real-tweets` beside the repository.
pub fn default_texts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/real-tweets")
}

/// Where the committed real labels are.
pub fn default_labels_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data/real/labels.jsonl")
}

impl RealTexts {
    /// Reads every `*.jsonl` file of `dir`, in name order.
    pub fn load(dir: &Path) -> Result<RealTexts, CorpusError> {
        let io_err = |path: &Path, source| CorpusError::Io { path: path.to_owned(), source };
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(|e| io_err(dir, e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
            .collect();
        files.sort();
        let mut real = RealTexts::default();
        for path in files {
            let file = File::open(&path).map_err(|e| io_err(&path, e))?;
            for (index, line) in BufReader::new(file).lines().enumerate() {
                let bad = |reason: String| CorpusError::Line { path: path.clone(), line: index + 1, reason };
                let line = line.map_err(|e| bad(format!("unreadable line: {e}")))?;
                if line.trim().is_empty() {
                    continue;
                }
                let item: SharedLine = serde_json::from_str(&line).map_err(|e| bad(format!("not a tweet: {e}")))?;
                let text = clean_text(&item.text);
                if real.texts.insert(item.id.clone(), (text, item.lang)).is_some() {
                    return Err(bad(format!("id {:?} appears twice", item.id)));
                }
                real.order.push(item.id);
            }
        }
        Ok(real)
    }

    /// Number of texts read.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether no text was read.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The text and language of an id.
    pub fn get(&self, id: &str) -> Option<(&str, Lang)> {
        self.texts.get(id).map(|(text, lang)| (text.as_str(), *lang))
    }

    /// Joins labels with their texts; an id missing from the shared data is
    /// an error that names it (the labels and the data are out of step).
    pub fn join(&self, labels: &[RealLabel]) -> Result<Vec<RealTweet>, CorpusError> {
        labels
            .iter()
            .map(|label| {
                let (text, lang) = self.get(&label.id).ok_or_else(|| CorpusError::MissingText(label.id.clone()))?;
                Ok(RealTweet {
                    label: label.clone(),
                    tweet: LabelledTweet { text: text.to_owned(), label: label.label, lang: Some(lang) },
                })
            })
            .collect()
    }

    /// The texts nobody labelled, in file order, without those that repeat a
    /// labelled tweet once normalised: unlabelled material for
    /// semi-supervised training that can never leak a held-out tweet, nor
    /// give a cross-validation fold the twin of a tweet it is scored on.
    pub fn unlabelled(&self, labels: &[RealLabel]) -> Vec<&str> {
        let labelled: HashSet<&str> = labels.iter().map(|l| l.id.as_str()).collect();
        let mut seen: HashSet<String> =
            labels.iter().filter_map(|l| self.get(&l.id).map(|(text, _)| dedup_key(text))).collect();
        self.order
            .iter()
            .filter(|id| !labelled.contains(id.as_str()))
            .filter_map(|id| self.get(id).map(|(text, _)| text))
            .filter(|text| seen.insert(dedup_key(text)))
            .collect()
    }
}

/// Windows line ends, which the shared files keep inside texts. HTML
/// entities (`&amp;`) stay: the tokenizer reads them, as it must for the X
/// API's texts.
fn clean_text(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Reads `labels.jsonl`, refusing a malformed line, an id given twice, or a
/// label that overrides two annotators who agreed (after a disagreement the
/// adjudicator may choose any label).
pub fn read_labels(path: &Path) -> Result<Vec<RealLabel>, CorpusError> {
    let file = File::open(path).map_err(|source| CorpusError::Io { path: path.to_owned(), source })?;
    let mut seen = HashSet::new();
    let mut labels = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let bad = |reason: String| CorpusError::Line { path: path.to_owned(), line: index + 1, reason };
        let line = line.map_err(|e| bad(format!("unreadable line: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let label: RealLabel = serde_json::from_str(&line).map_err(|e| bad(format!("not a real label: {e}")))?;
        if !label.annotators.contains(&label.label) && label.annotators[0] == label.annotators[1] {
            return Err(bad(format!("{}: the label overrides two annotators who agreed", label.id)));
        }
        if !seen.insert(label.id.clone()) {
            return Err(bad(format!("{} is labelled twice", label.id)));
        }
        labels.push(label);
    }
    Ok(labels)
}

/// The committed labels joined with the shared texts, split in two.
#[derive(Debug)]
pub struct RealCorpus {
    /// Labelled tweets trained on.
    pub train: Vec<RealTweet>,
    /// The real held-out split.
    pub test: Vec<RealTweet>,
    /// Unlabelled texts (see [`RealTexts::unlabelled`]).
    pub unlabelled: Vec<String>,
}

impl RealCorpus {
    /// Loads `labels` and joins them with the texts in `texts_dir`.
    pub fn load(labels: &Path, texts_dir: &Path) -> Result<RealCorpus, CorpusError> {
        let labels = read_labels(labels)?;
        let texts = RealTexts::load(texts_dir)?;
        let joined = texts.join(&labels)?;
        let unlabelled = texts.unlabelled(&labels).into_iter().map(str::to_owned).collect();
        let (train, test) = joined.into_iter().partition(|t| t.label.split == Split::Train);
        Ok(RealCorpus { train, test, unlabelled })
    }

    /// The labelled tweets of one split, without their label lines.
    pub fn tweets(tweets: &[RealTweet]) -> Vec<LabelledTweet> {
        tweets.iter().map(|t| t.tweet.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, lines: &[&str]) -> PathBuf {
        let path = dir.join(name);
        let mut file = File::create(&path).expect("create");
        for line in lines {
            writeln!(file, "{line}").expect("write");
        }
        path
    }

    #[test]
    fn joins_labels_with_texts_and_keeps_held_out_texts_out_of_the_unlabelled_pool() {
        let dir = tempfile::tempdir().expect("temp dir");
        let texts = dir.path().join("texts");
        fs::create_dir(&texts).expect("texts folder");
        write(
            &texts,
            "a.jsonl",
            &[
                r#"{"id": "a:1", "text": "Fish &amp; chips\r\ntonight", "lang": "en"}"#,
                r#"{"id": "a:2", "text": "Votez contre la réforme", "lang": "fr", "source_label": "x"}"#,
                r#"{"id": "a:3", "text": "votez CONTRE la réforme !", "lang": "fr"}"#,
                r#"{"id": "a:4", "text": "Nothing to see", "lang": "en"}"#,
                r#"{"id": "a:5", "text": "FISH &amp; chips tonight!!", "lang": "en"}"#,
            ],
        );
        let labels = write(
            dir.path(),
            "labels.jsonl",
            &[
                r#"{"id": "a:1", "label": "sharing", "lang": "en", "split": "train", "annotators": ["sharing", "sharing"]}"#,
                r#"{"id": "a:2", "label": "political", "lang": "fr", "split": "test", "annotators": ["political", "sharing"]}"#,
            ],
        );
        let corpus = RealCorpus::load(&labels, &texts).expect("load");
        assert_eq!(corpus.train.len(), 1);
        assert_eq!(corpus.train[0].tweet.text, "Fish &amp; chips\ntonight");
        assert_eq!(corpus.test[0].tweet.label, Label::Political);
        assert_eq!(corpus.test[0].label.source(), "a");
        // a:3 repeats the held-out a:2 and a:5 the labelled a:1 once
        // normalised: neither is offered to training as unlabelled.
        assert_eq!(corpus.unlabelled, ["Nothing to see"]);
    }

    #[test]
    fn refuses_missing_texts_duplicates_and_overridden_agreement() {
        let dir = tempfile::tempdir().expect("temp dir");
        let texts = dir.path().join("texts");
        fs::create_dir(&texts).expect("texts folder");
        write(&texts, "a.jsonl", &[r#"{"id": "a:1", "text": "hello", "lang": "en"}"#]);
        let missing = write(
            dir.path(),
            "missing.jsonl",
            &[
                r#"{"id": "a:9", "label": "sharing", "lang": "en", "split": "train", "annotators": ["sharing", "sharing"]}"#,
            ],
        );
        let err = RealCorpus::load(&missing, &texts).expect_err("missing text");
        assert!(err.to_string().contains("a:9"), "{err}");

        let twice = write(
            dir.path(),
            "twice.jsonl",
            &[
                r#"{"id": "a:1", "label": "sharing", "lang": "en", "split": "train", "annotators": ["sharing", "sharing"]}"#,
                r#"{"id": "a:1", "label": "sharing", "lang": "en", "split": "test", "annotators": ["sharing", "sharing"]}"#,
            ],
        );
        assert!(read_labels(&twice).expect_err("twice").to_string().contains(":2:"));

        let overridden = write(
            dir.path(),
            "overridden.jsonl",
            &[
                r#"{"id": "a:1", "label": "political", "lang": "en", "split": "train", "annotators": ["sharing", "sharing"]}"#,
            ],
        );
        assert!(read_labels(&overridden).expect_err("overridden").to_string().contains("agreed"));
    }
}
