//! Reading tweets to classify from files: JSONL with a `text` field, CSV with
//! a `text` column, plain text with one tweet per line, or an account's
//! timeline (an X API v2 response, an X/Twitter archive) as `score` reads it.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::timeline::{self, TimelineError, TimelineFormat};

/// How an input file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// From the file name: `.jsonl`/`.ndjson` → JSONL, `.csv` → CSV, `.json`
    /// → X API v2, `.js` or a folder → archive, else text.
    Auto,
    /// One JSON object per line, with a `text` field and an optional `id`.
    Jsonl,
    /// Comma-separated with a header row naming a `text` column (and optionally `id`).
    Csv,
    /// One tweet per line.
    Text,
    /// The tweets of an X API v2 timeline response (`GET /2/users/:id/tweets`).
    TwitterV2,
    /// The tweets of an unzipped X/Twitter archive (its folder), or of one of
    /// its `tweets.js` files.
    Archive,
}

impl InputFormat {
    /// How the timeline readers name this format, for those it hands over to them.
    fn timeline(self) -> Option<TimelineFormat> {
        match self {
            InputFormat::TwitterV2 => Some(TimelineFormat::TwitterV2),
            InputFormat::Archive => Some(TimelineFormat::Archive),
            _ => None,
        }
    }

    fn resolve(self, path: &Path) -> InputFormat {
        if self != InputFormat::Auto {
            return self;
        }
        // Read line by line, a pretty-printed timeline would give one
        // "tweet" per line of JSON.
        if path.is_dir() {
            return InputFormat::Archive;
        }
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("jsonl" | "ndjson") => InputFormat::Jsonl,
            Some("csv") => InputFormat::Csv,
            Some("json") => InputFormat::TwitterV2,
            Some("js") => InputFormat::Archive,
            _ => InputFormat::Text,
        }
    }
}

/// One tweet read from input: its id (given, or the line/record number) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputTweet {
    /// The `id` field or column if present, else the 1-based record number.
    pub id: String,
    /// The text to classify.
    pub text: String,
}

/// A problem in an input file, with its position.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file cannot be opened or read (the cause is the source: printers
    /// walk the chain, so the message does not repeat it).
    #[error("cannot read {path}")]
    Io { path: PathBuf, source: io::Error },
    /// A record is not what the format says.
    #[error("{path}:{line}: {reason}")]
    Record { path: PathBuf, line: u64, reason: String },
    /// A timeline file or archive that cannot be read as one.
    #[error("{0} (--input-format jsonl, csv or text reads the file another way)")]
    Timeline(TimelineError),
}

/// Iterates over the tweets of a file (or stdin for `-`), in order.
pub struct TweetReader {
    path: PathBuf,
    inner: Inner,
}

enum Inner {
    /// A timeline, read whole (as `score` reads it: at most a few thousand tweets).
    Tweets(std::vec::IntoIter<crate::audit::TimelineTweet>),
    Lines {
        reader: Box<dyn BufRead + Send>,
        line: u64,
        json: bool,
        buf: String,
    },
    Csv {
        records: csv::StringRecordsIntoIter<Box<dyn Read + Send>>,
        text: usize,
        id: Option<usize>,
        count: u64,
    },
}

impl TweetReader {
    /// Opens `path` (`-` is stdin) in `format`.
    pub fn open(path: &Path, format: InputFormat) -> Result<TweetReader, InputError> {
        let io_err = |source| InputError::Io { path: path.to_owned(), source };
        let format = format.resolve(path);
        if let Some(timeline_format) = format.timeline() {
            let tweets = if path == Path::new("-") {
                let mut text = String::new();
                io::stdin().read_to_string(&mut text).map_err(io_err)?;
                timeline::parse_tweets(&text, timeline_format).map_err(|reason| {
                    InputError::Timeline(TimelineError::Format { path: PathBuf::from("<stdin>"), reason })
                })?
            } else {
                timeline::read_tweets(path, timeline_format).map_err(InputError::Timeline)?
            };
            return Ok(TweetReader { path: path.to_owned(), inner: Inner::Tweets(tweets.into_iter()) });
        }
        let raw: Box<dyn Read + Send> =
            if path == Path::new("-") { Box::new(io::stdin()) } else { Box::new(File::open(path).map_err(io_err)?) };
        let inner = match format {
            InputFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(raw);
                let headers = reader
                    .headers()
                    .map_err(|e| InputError::Record { path: path.to_owned(), line: 1, reason: e.to_string() })?
                    .clone();
                let text = headers.iter().position(|h| h.trim() == "text").ok_or_else(|| InputError::Record {
                    path: path.to_owned(),
                    line: 1,
                    reason: "no `text` column in the header".to_owned(),
                })?;
                let id = headers.iter().position(|h| h.trim() == "id");
                Inner::Csv { records: reader.into_records(), text, id, count: 0 }
            }
            format => Inner::Lines {
                reader: Box::new(BufReader::with_capacity(1 << 16, raw)),
                line: 0,
                json: format == InputFormat::Jsonl,
                buf: String::new(),
            },
        };
        Ok(TweetReader { path: path.to_owned(), inner })
    }

    fn record_error(&self, line: u64, reason: impl Into<String>) -> InputError {
        InputError::Record { path: self.path.clone(), line, reason: reason.into() }
    }
}

fn parse_json_line(line: &str, number: u64) -> Result<InputTweet, String> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let text = value.get("text").and_then(|t| t.as_str()).ok_or("no string field `text`")?;
    let id = match value.get("id") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => number.to_string(),
    };
    Ok(InputTweet { id, text: text.to_owned() })
}

impl Iterator for TweetReader {
    type Item = Result<InputTweet, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Tweets(tweets) => tweets.next().map(|t| Ok(InputTweet { id: t.id, text: t.text })),
            Inner::Lines { reader, line, json, buf } => loop {
                buf.clear();
                match reader.read_line(buf) {
                    Ok(0) => return None,
                    Ok(_) => {}
                    Err(source) => {
                        return Some(Err(InputError::Io { path: self.path.clone(), source }));
                    }
                }
                *line += 1;
                let text = buf.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() {
                    continue;
                }
                if !*json {
                    return Some(Ok(InputTweet { id: line.to_string(), text: text.to_owned() }));
                }
                let number = *line;
                return Some(parse_json_line(text, number).map_err(|reason| self.record_error(number, reason)));
            },
            Inner::Csv { records, text, id, count } => {
                let record = records.next()?;
                *count += 1;
                let (text, id, number) = (*text, *id, *count);
                Some(match record {
                    Err(e) => {
                        let line = e.position().map_or(number + 1, |p| p.line());
                        Err(self.record_error(line, e.to_string()))
                    }
                    Ok(record) => {
                        let line = record.position().map_or(number + 1, |p| p.line());
                        match record.get(text) {
                            None => Err(self.record_error(line, "record has no `text` value")),
                            Some(t) => Ok(InputTweet {
                                id: id.and_then(|i| record.get(i)).map_or_else(|| number.to_string(), str::to_owned),
                                text: t.to_owned(),
                            }),
                        }
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, content: &str, format: InputFormat) -> Vec<Result<InputTweet, String>> {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        TweetReader::open(&path, format).expect("open").map(|r| r.map_err(|e| e.to_string())).collect()
    }

    #[test]
    fn reads_the_three_formats() {
        let jsonl =
            read("a.jsonl", "{\"id\": \"t1\", \"text\": \"bonjour\"}\n\n{\"text\": \"hello\"}\n", InputFormat::Auto);
        assert_eq!(jsonl[0].as_ref().expect("ok").id, "t1");
        assert_eq!(jsonl[1].as_ref().expect("ok"), &InputTweet { id: "3".into(), text: "hello".into() });

        let csv = read("a.csv", "id,text,other\n7,\"Vive la grève, vraiment\",x\n", InputFormat::Auto);
        assert_eq!(
            csv[0].as_ref().expect("ok"),
            &InputTweet { id: "7".into(), text: "Vive la grève, vraiment".into() }
        );

        let text = read("a.txt", "one\r\ntwo\n", InputFormat::Auto);
        assert_eq!(text.len(), 2);
        assert_eq!(text[1].as_ref().expect("ok").text, "two");
    }

    #[test]
    fn timelines_give_their_tweets_without_needing_the_account() {
        // No includes.users, no profile picture: an audit needs them, classifying does not.
        let v2 = "{\n  \"data\": [\n    {\"id\": \"11\", \"text\": \"Soldes !\"},\n    {\"id\": \"12\", \"text\": \"Merci\"}\n  ]\n}\n";
        let tweets = read("timeline.json", v2, InputFormat::Auto);
        let ids: Vec<&str> = tweets.iter().map(|t| t.as_ref().expect("ok").id.as_str()).collect();
        assert_eq!(ids, ["11", "12"]);

        let archive = "window.YTD.tweets.part0 = [{\"tweet\": {\"id_str\": \"7\", \"full_text\": \"Bonjour\"}}]";
        let tweets = read("tweets.js", archive, InputFormat::Auto);
        assert_eq!(tweets[0].as_ref().expect("ok"), &InputTweet { id: "7".into(), text: "Bonjour".into() });

        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("other.json");
        std::fs::write(&path, "{\"foo\": 1}").expect("write");
        let err = TweetReader::open(&path, InputFormat::Auto).err().expect("not a timeline").to_string();
        assert!(
            err.contains("other.json") && err.contains("not a timeline") && err.contains("--input-format"),
            "{err}"
        );
    }

    #[test]
    fn bad_records_name_file_and_line() {
        let out = read("b.jsonl", "{\"text\": \"ok\"}\n{\"txt\": 1}\n", InputFormat::Auto);
        let err = out[1].as_ref().expect_err("bad line");
        assert!(err.contains("b.jsonl:2") && err.contains("`text`"), "{err}");

        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("c.csv");
        std::fs::write(&path, "body\nhello\n").expect("write");
        let err = TweetReader::open(&path, InputFormat::Auto).err().expect("no text column").to_string();
        assert!(err.contains("c.csv:1") && err.contains("text"), "{err}");
    }
}
