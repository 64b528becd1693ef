//! Labelled tweets on disk: the JSONL format of `training-data/`, and the
//! checks every labelled file goes through before it may train a model.

pub mod real;

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Label;
use crate::text::{fold, is_emoji};

/// Longest text accepted anywhere in tweetguide, in characters. Tweets are at
/// most 280 characters, but long-form posts and threads pasted as one text are
/// real inputs; anything beyond this is almost certainly not a tweet.
pub const MAX_TEXT_CHARS: usize = 25_000;

/// The languages the classifier is trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// French.
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The ISO 639-1 code used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lang {
    type Err = CorpusError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            other => Err(CorpusError::UnknownLang(other.to_owned())),
        }
    }
}

/// One labelled tweet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledTweet {
    /// The tweet as posted.
    pub text: String,
    /// Its category under `training-data/LABELING.md`.
    pub label: Label,
    /// Its language, when known. Required in `training-data/`, optional for
    /// examples submitted later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
}

/// Why a labelled file or line was refused.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A line is not a valid labelled tweet.
    #[error("{path}:{line}: {reason}")]
    Line { path: PathBuf, line: usize, reason: String },
    /// Language code other than `fr` or `en`.
    #[error("unknown language {0:?}: expected fr or en")]
    UnknownLang(String),
    /// A labelled id whose text the shared data does not hold.
    #[error("no text for the labelled tweet {0:?} in the real tweets folder: labels and data are out of step")]
    MissingText(String),
}

/// The fields a JSONL line may carry; unknown fields are refused so that a
/// typo ("lable") is caught instead of silently dropped.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    text: String,
    label: String,
    lang: Option<String>,
    #[allow(dead_code)]
    #[serde(default)]
    is_retweet: Option<bool>,
}

/// The same fields, among any others: users' evaluation files carry ids,
/// sources and dates beside the text and the label.
#[derive(Deserialize)]
struct LenientLine {
    text: String,
    label: String,
    lang: Option<String>,
}

/// What makes a line acceptable, beyond being well-formed JSON.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Refuse lines without a `lang` field.
    pub require_lang: bool,
    /// Longest text accepted, in characters.
    pub max_chars: usize,
    /// Accept fields other than `text`, `label`, `lang` and `is_retweet`.
    pub extra_fields: bool,
}

impl Rules {
    /// The rules for the committed corpus: tweets of at most 280 characters,
    /// each with its language.
    pub const CORPUS: Rules = Rules { require_lang: true, max_chars: 280, extra_fields: false };
    /// The rules for examples users add: any length the service accepts.
    pub const EXAMPLES: Rules = Rules { require_lang: false, max_chars: MAX_TEXT_CHARS, extra_fields: false };
    /// The rules for files a model is evaluated on: examples that may carry
    /// other fields (`id`, `source`, ...), which are ignored.
    pub const EVALUATION: Rules = Rules { extra_fields: true, ..Rules::EXAMPLES };
}

/// Key under which two texts count as the same tweet: case, accents,
/// punctuation, spacing and the exact link do not make a tweet new.
pub fn dedup_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let word = if word.starts_with("http://") || word.starts_with("https://") { "<url>" } else { word };
        let folded = fold(word);
        let kept = folded.trim_matches(|c: char| !c.is_alphanumeric() && !is_emoji(c) && c != '<' && c != '>');
        if kept.is_empty() {
            continue;
        }
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(kept);
    }
    key
}

/// Parses one JSONL line; `Err` is the reason, without position.
pub fn parse_line(line: &str, rules: Rules) -> Result<LabelledTweet, String> {
    let not_labelled = |e: serde_json::Error| format!("not a labelled tweet: {e}");
    let raw = if rules.extra_fields {
        let lenient: LenientLine = serde_json::from_str(line).map_err(not_labelled)?;
        RawLine { text: lenient.text, label: lenient.label, lang: lenient.lang, is_retweet: None }
    } else {
        serde_json::from_str::<RawLine>(line).map_err(not_labelled)?
    };
    let label = raw.label.parse::<Label>().map_err(|e| e.to_string())?;
    let lang = match raw.lang {
        Some(code) => Some(code.parse::<Lang>().map_err(|e| e.to_string())?),
        None if rules.require_lang => return Err("missing field `lang`".to_owned()),
        None => None,
    };
    let chars = raw.text.chars().count();
    if raw.text.trim().is_empty() {
        return Err("`text` is empty".to_owned());
    }
    if chars > rules.max_chars {
        return Err(format!("`text` has {chars} characters, more than the {} allowed", rules.max_chars));
    }
    Ok(LabelledTweet { text: raw.text, label, lang })
}

/// Reads a labelled JSONL file, refusing the whole file at its first bad line
/// or at the first text that repeats an earlier one after normalisation.
pub fn read_jsonl(path: &Path, rules: Rules) -> Result<Vec<LabelledTweet>, CorpusError> {
    let io_err = |source| CorpusError::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io_err)?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut tweets = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line_no = index + 1;
        let bad = |reason: String| CorpusError::Line { path: path.to_owned(), line: line_no, reason };
        let line = line.map_err(|e| bad(format!("unreadable line: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let tweet = parse_line(&line, rules).map_err(bad)?;
        if let Some(first) = seen.insert(dedup_key(&tweet.text), line_no) {
            return Err(bad(format!("duplicate of line {first} after normalisation")));
        }
        tweets.push(tweet);
    }
    Ok(tweets)
}

/// The hand-written files the default model trains on, in `training-data/`:
/// the original corpus and the everyday voices added beside it. Only the
/// first is required in a folder given to `tweetguide train --data`.
pub const HAND_WRITTEN_TRAINING_FILES: [&str; 2] = ["train.jsonl", "everyday.jsonl"];

/// The hand-written held-out file, in `training-data/`.
pub const HAND_WRITTEN_HELD_OUT_FILE: &str = "test.jsonl";

/// Everything the default model is trained and measured on.
#[derive(Debug)]
pub struct DefaultCorpus {
    /// Hand-written training tweets, every file of
    /// [`HAND_WRITTEN_TRAINING_FILES`] in order.
    pub hand_written: Vec<LabelledTweet>,
    /// The hand-written held-out file.
    pub hand_written_test: Vec<LabelledTweet>,
    /// The real labelled tweets joined with their texts, when asked for.
    pub real: Option<real::RealCorpus>,
}

impl DefaultCorpus {
    /// Reads the hand-written files of `data_dir` and, with `real` =
    /// `(labels, texts folder)`, joins the real labels with their texts.
    /// A text that appears in two hand-written files is refused like a
    /// duplicate inside one file.
    pub fn load(data_dir: &Path, real: Option<(&Path, &Path)>) -> Result<DefaultCorpus, CorpusError> {
        let mut hand_written = Vec::new();
        let mut seen: HashMap<String, PathBuf> = HashMap::new();
        for (i, name) in HAND_WRITTEN_TRAINING_FILES.into_iter().enumerate() {
            let path = data_dir.join(name);
            if i > 0 && !path.exists() {
                continue;
            }
            for (index, tweet) in read_jsonl(&path, Rules::CORPUS)?.into_iter().enumerate() {
                if let Some(first) = seen.insert(dedup_key(&tweet.text), path.clone()) {
                    return Err(CorpusError::Line {
                        path,
                        line: index + 1,
                        reason: format!("duplicate of a tweet in {} after normalisation", first.display()),
                    });
                }
                hand_written.push(tweet);
            }
        }
        let hand_written_test = read_jsonl(&data_dir.join(HAND_WRITTEN_HELD_OUT_FILE), Rules::CORPUS)?;
        let real = match real {
            Some((labels, texts)) => Some(real::RealCorpus::load(labels, texts)?),
            None => None,
        };
        Ok(DefaultCorpus { hand_written, hand_written_test, real })
    }
}

/// A hash of the examples' content (not of the file's formatting), stored in
/// models so that a model can be traced back to the data it saw.
pub fn content_hash<'a>(tweets: impl IntoIterator<Item = &'a LabelledTweet>) -> String {
    let mut hasher = Sha256::new();
    for tweet in tweets {
        hasher.update(tweet.label.as_str());
        hasher.update([0]);
        hasher.update(tweet.lang.map_or("", Lang::as_str));
        hasher.update([0]);
        hasher.update(tweet.text.as_bytes());
        hasher.update([b'\n']);
    }
    hex(&hasher.finalize())
}

/// Lowercase hexadecimal of a byte string.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(lines: &[&str]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        for line in lines {
            writeln!(file, "{line}").expect("write");
        }
        file
    }

    fn error_of(lines: &[&str]) -> String {
        let file = file_with(lines);
        read_jsonl(file.path(), Rules::CORPUS).expect_err("must be refused").to_string()
    }

    const GOOD: &str =
        r#"{"text": "Nouveau : nos croissants au beurre AOP 🥐", "label": "self_promotion", "lang": "fr"}"#;

    #[test]
    fn reads_valid_lines_and_skips_blank_ones() {
        let file = file_with(&[
            GOOD,
            "",
            r#"{"text": "Vote for change!", "label": "political", "lang": "en", "is_retweet": false}"#,
        ]);
        let tweets = read_jsonl(file.path(), Rules::CORPUS).expect("valid");
        assert_eq!(tweets.len(), 2);
        assert_eq!(tweets[1].label, Label::Political);
        assert_eq!(tweets[1].lang, Some(Lang::En));
    }

    #[test]
    fn refuses_malformed_json_with_its_line_number() {
        let err = error_of(&[GOOD, r#"{"text": "oops", "label": "sharing""#]);
        assert!(err.contains(":2:"), "{err}");
    }

    #[test]
    fn refuses_unknown_labels_and_languages() {
        let err = error_of(&[r#"{"text": "x y", "label": "politics", "lang": "fr"}"#]);
        assert!(err.contains("unknown label"), "{err}");
        let err = error_of(&[r#"{"text": "x y", "label": "sharing", "lang": "de"}"#]);
        assert!(err.contains("unknown language"), "{err}");
        let err = error_of(&[r#"{"text": "x y", "label": "sharing"}"#]);
        assert!(err.contains("lang"), "{err}");
        let err = error_of(&[r#"{"text": "x y", "lable": "sharing", "lang": "fr"}"#]);
        assert!(err.contains("lable"), "{err}");
    }

    #[test]
    fn refuses_empty_and_overlong_texts() {
        let err = error_of(&[r#"{"text": "   ", "label": "sharing", "lang": "fr"}"#]);
        assert!(err.contains("empty"), "{err}");
        let long = format!(r#"{{"text": "{}", "label": "sharing", "lang": "en"}}"#, "a".repeat(281));
        assert!(error_of(&[&long]).contains("281 characters"));
    }

    #[test]
    fn refuses_duplicates_after_normalisation() {
        let err = error_of(&[
            GOOD,
            r#"{"text": "nouveau: nos CROISSANTS au beurre aop 🥐 !", "label": "sharing", "lang": "fr"}"#,
        ]);
        assert!(err.contains("duplicate of line 1"), "{err}");
    }

    #[test]
    fn dedup_key_ignores_case_accents_punctuation_and_links() {
        assert_eq!(dedup_key("Grève demain !! https://t.co/a"), dedup_key("greve   DEMAIN https://t.co/b"));
        assert_ne!(dedup_key("Grève demain"), dedup_key("Grève aujourd'hui"));
        assert_ne!(dedup_key("👏👏👏"), dedup_key("🔧🔥💪"));
    }

    #[test]
    fn content_hash_depends_on_content_only() {
        let a = LabelledTweet { text: "hello".into(), label: Label::Sharing, lang: Some(Lang::En) };
        let b = LabelledTweet { label: Label::Political, ..a.clone() };
        assert_eq!(content_hash([&a]), content_hash([&a.clone()]));
        assert_ne!(content_hash([&a]), content_hash([&b]));
    }
}
