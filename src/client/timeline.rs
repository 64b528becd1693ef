//! Reading one account — its profile and recent tweets — for `tweetguide score`,
//! from whatever a business has at hand: an X API v2 response, an unzipped
//! X/Twitter data archive, or a hand-made JSONL or CSV file.
//!
//! The readers are strict on purpose: a file that is not what it claims to be
//! is an error naming the file and the place in it, because a half-read
//! timeline would produce a confident but wrong audit. They are lenient only
//! where real exports vary (numbers as strings, `null` for absent fields,
//! optional dates and kinds).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::audit::{Profile, Timeline, TimelineTweet, TweetKind};

/// Layout of an account file or folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimelineFormat {
    /// From the path: a folder is an archive; then `.csv`, `.jsonl`/`.ndjson`,
    /// `.js` (one archive `tweets.js`), `.json` (API v2); any other file is
    /// recognised by its first characters.
    Auto,
    /// One or more JSON responses of the X API v2 `GET /2/users/:id/tweets`
    /// (an array of pages, or pages one after the other).
    TwitterV2,
    /// An unzipped X/Twitter data archive (its root or its `data/` folder),
    /// or a single `window.YTD.tweets.partN = [...]` file.
    Archive,
    /// One JSON object per line: tweets, and at most one `{"profile": {...}}` line.
    Jsonl,
    /// Comma-separated, with a header row naming a `text` column and
    /// optionally `id`, `created_at` and `kind`.
    Csv,
}

impl TimelineFormat {
    /// The name used on the command line.
    fn name(self) -> &'static str {
        match self {
            TimelineFormat::Auto => "auto",
            TimelineFormat::TwitterV2 => "twitter-v2",
            TimelineFormat::Archive => "archive",
            TimelineFormat::Jsonl => "jsonl",
            TimelineFormat::Csv => "csv",
        }
    }
}

/// Facts the files may not hold, given on the command line; they override what the file says.
#[derive(Debug, Clone, Default)]
pub struct ProfileOverrides {
    /// The @handle (a leading `@` is dropped).
    pub handle: Option<String>,
    /// Whether the account is protected; archives and CSV files cannot tell.
    pub protected: Option<bool>,
    /// Whether the account shows the default picture.
    pub default_avatar: Option<bool>,
    /// The number of followers.
    pub followers: Option<u64>,
}

/// Why an account could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    /// The file or folder cannot be opened or read (the cause is the
    /// source: printers walk the chain, so the message does not repeat it).
    #[error("cannot read {path}")]
    Io { path: PathBuf, source: io::Error },
    /// The content is not what the format says; `reason` says what and where.
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
}

fn format_error(path: &Path, reason: impl Into<String>) -> TimelineError {
    TimelineError::Format { path: path.to_owned(), reason: reason.into() }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> TimelineError + '_ {
    move |source| TimelineError::Io { path: path.to_owned(), source }
}

/// Reads the account at `path` (a file, or an archive folder) in `format`, then
/// applies `overrides`.
///
/// What the file does not say stays at its default: no handle becomes the
/// file stem (or the archive folder's name), `protected` is false, follower
/// counts and dates are `None`, and the display name is empty. CSV files and
/// lone archive `tweets.js` files hold no profile at all.
pub fn read_timeline(
    path: &Path,
    format: TimelineFormat,
    overrides: &ProfileOverrides,
) -> Result<Timeline, TimelineError> {
    let purpose = Purpose::Audit { avatar_given: overrides.default_avatar.is_some() };
    let (timeline, root) = read_account(path, format, purpose)?;
    let is_dir = path.is_dir();
    Ok(finish(timeline, overrides, || name_of(&root, !is_dir)))
}

/// The tweets of an account file or archive folder, read as [`read_timeline`]
/// reads them, for classifying them: what only an audit needs (which user is
/// the account, its picture) is neither read nor required.
pub fn read_tweets(path: &Path, format: TimelineFormat) -> Result<Vec<TimelineTweet>, TimelineError> {
    Ok(read_account(path, format, Purpose::Classify)?.0.tweets)
}

/// [`read_tweets`] of text already in memory (standard input); the error says
/// what is wrong and where, as [`parse_timeline`]'s does.
pub fn parse_tweets(text: &str, format: TimelineFormat) -> Result<Vec<TimelineTweet>, String> {
    Ok(parse_with(text, format, Purpose::Classify)?.tweets)
}

/// What the caller reads an account for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// An audit, which needs the profile; `avatar_given` when the command
    /// line says which picture the account shows, so the file need not.
    Audit { avatar_given: bool },
    /// Classifying the tweets, which needs nothing else.
    Classify,
}

/// The account at `path` and the path its default handle comes from (the
/// archive's root for a folder).
fn read_account(path: &Path, format: TimelineFormat, purpose: Purpose) -> Result<(Timeline, PathBuf), TimelineError> {
    if path.is_dir() {
        return match format {
            TimelineFormat::Auto | TimelineFormat::Archive => read_archive_dir(path, purpose),
            other => Err(format_error(path, format!("is a folder, but the {} format reads a file", other.name()))),
        };
    }
    let text = read_text(path)?;
    let layout = match format {
        TimelineFormat::Auto => auto_layout(path, &text)
            .ok_or_else(|| format_error(path, "the file is empty, so its format cannot be told"))?,
        TimelineFormat::TwitterV2 => Layout::TwitterV2,
        TimelineFormat::Archive => Layout::ArchiveFile,
        TimelineFormat::Jsonl => Layout::Jsonl,
        TimelineFormat::Csv => Layout::Csv,
    };
    let timeline = parse_layout(layout, &text, purpose).map_err(|reason| format_error(path, reason))?;
    Ok((timeline, path.to_owned()))
}

/// Reads an account from text already in memory (a file's content, or
/// standard input). `Auto` tells the format from the first characters; an
/// archive folder cannot be given this way. The error says what is wrong and
/// where (line, page or element).
pub fn parse_timeline(text: &str, format: TimelineFormat) -> Result<Timeline, String> {
    parse_with(text, format, Purpose::Audit { avatar_given: false })
}

fn parse_with(text: &str, format: TimelineFormat, purpose: Purpose) -> Result<Timeline, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let layout = match format {
        TimelineFormat::Auto => sniff(text).ok_or("the text is empty, so its format cannot be told")?,
        TimelineFormat::TwitterV2 => Layout::TwitterV2,
        TimelineFormat::Archive => Layout::ArchiveFile,
        TimelineFormat::Jsonl => Layout::Jsonl,
        TimelineFormat::Csv => Layout::Csv,
    };
    parse_layout(layout, text, purpose)
}

fn parse_layout(layout: Layout, text: &str, purpose: Purpose) -> Result<Timeline, String> {
    match layout {
        Layout::TwitterV2 => parse_v2(text, purpose),
        Layout::ArchiveFile => parse_archive_tweets(text).map(|tweets| Timeline { tweets, ..Timeline::default() }),
        Layout::Jsonl => parse_jsonl(text),
        Layout::Csv => parse_csv(text).map(|tweets| Timeline { tweets, ..Timeline::default() }),
    }
}

/// The accounts in a folder: each file (.json, .jsonl, .ndjson, .csv, .js) or
/// sub-folder that is an unzipped archive (has data/tweets.js or
/// data/account.js) is one account; sorted by name; hidden files skipped.
///
/// Other files (a README, notes) and other folders are left out silently, so
/// that a folder of exports can hold them too.
pub fn list_accounts(dir: &Path) -> Result<Vec<PathBuf>, TimelineError> {
    let mut accounts = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if path.file_name().is_none_or(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        let account = if path.is_dir() {
            is_archive(&path)
        } else {
            matches!(extension(&path).as_deref(), Some("json" | "jsonl" | "ndjson" | "csv" | "js"))
        };
        if account {
            accounts.push(path);
        }
    }
    accounts.sort();
    Ok(accounts)
}

/// True if `path` is a folder that is itself an archive (so `score` should not treat it as a folder of accounts).
///
/// That is: it holds `data/tweets.js` (or the older `data/tweet.js`) or
/// `data/account.js`, or it is such a `data/` folder itself.
pub fn is_archive(path: &Path) -> bool {
    path.is_dir() && archive_dirs(path).is_some()
}

/// What [`read_timeline`] reads once the format is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    TwitterV2,
    ArchiveFile,
    Jsonl,
    Csv,
}

fn extension(path: &Path) -> Option<String> {
    path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase)
}

/// The layout of a file given as `auto`: by extension, else by content.
fn auto_layout(path: &Path, text: &str) -> Option<Layout> {
    match extension(path).as_deref() {
        Some("csv") => Some(Layout::Csv),
        Some("jsonl" | "ndjson") => Some(Layout::Jsonl),
        Some("js") => Some(Layout::ArchiveFile),
        Some("json") => Some(Layout::TwitterV2),
        _ => sniff(text),
    }
}

/// Keys only an API v2 response has at its top level.
const V2_KEYS: [&str; 4] = ["data", "includes", "meta", "errors"];

/// Guesses the layout from the first characters: `window.` is an archive
/// file, `[` an array of API pages (or of archive entries), `{` an API
/// response unless its first line is a whole object without API keys (JSONL);
/// anything else is taken for a CSV header. `None` for a blank file.
fn sniff(text: &str) -> Option<Layout> {
    let start = text.trim_start();
    let first = start.chars().next()?;
    Some(match first {
        '[' => {
            let first_value = serde_json::Deserializer::from_str(start).into_iter::<Value>().next();
            match first_value {
                Some(Ok(Value::Array(items))) if items.first().is_some_and(|i| i.get("tweet").is_some()) => {
                    Layout::ArchiveFile
                }
                _ => Layout::TwitterV2,
            }
        }
        '{' => match serde_json::from_str::<Value>(start.lines().next().unwrap_or_default()) {
            Ok(Value::Object(map)) if !V2_KEYS.iter().any(|k| map.contains_key(*k)) => Layout::Jsonl,
            // A whole response on one line, or a pretty-printed one.
            _ => Layout::TwitterV2,
        },
        _ if start.starts_with("window.") => Layout::ArchiveFile,
        _ => Layout::Csv,
    })
}

/// The whole file as text, without a byte-order mark.
fn read_text(path: &Path) -> Result<String, TimelineError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        format_error(path, format!("line {line}: not UTF-8 text"))
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// A file's stem (`stem`) or name, falling back on the real name of `.` and the like.
fn name_of(path: &Path, stem: bool) -> String {
    let name = |p: &Path| if stem { p.file_stem() } else { p.file_name() }.map(|n| n.to_string_lossy().into_owned());
    name(path).filter(|n| !n.is_empty()).or_else(|| name(&fs::canonicalize(path).ok()?)).unwrap_or_default()
}

/// A handle as the audit wants it: trimmed, without its `@`.
fn normalise_handle(handle: &str) -> String {
    handle.trim().trim_start_matches('@').to_owned()
}

/// Applies the overrides, then the default handle if there is still none.
fn finish(mut timeline: Timeline, overrides: &ProfileOverrides, default_handle: impl FnOnce() -> String) -> Timeline {
    let profile = &mut timeline.profile;
    if let Some(handle) = &overrides.handle {
        profile.handle = normalise_handle(handle);
    }
    if profile.handle.is_empty() {
        profile.handle = default_handle();
    }
    if let Some(protected) = overrides.protected {
        profile.protected = protected;
    }
    if let Some(default_avatar) = overrides.default_avatar {
        profile.default_avatar = Some(default_avatar);
    }
    if let Some(followers) = overrides.followers {
        profile.followers = Some(followers);
    }
    timeline
}

// ---------------------------------------------------------------------------
// Shared field readers
// ---------------------------------------------------------------------------

const RFC3339: &str = "an RFC 3339 date";
const ARCHIVE_DATE: &str = "a date like \"Sat Feb 18 12:33:11 +0000 2023\"";

fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim()).ok().map(|d| d.with_timezone(&Utc))
}

fn parse_archive_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text.trim(), "%a %b %d %H:%M:%S %z %Y").ok().map(|d| d.with_timezone(&Utc))
}

/// A value as shown in an error: scalars as JSON (cut short), containers by kind.
fn shown(value: &Value) -> String {
    match value {
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => {
            let json = other.to_string();
            if json.chars().count() > 40 { format!("{}…", json.chars().take(40).collect::<String>()) } else { json }
        }
    }
}

/// serde_json's message without its " at line L column C" tail, which callers
/// replace with a position that means something in the file.
fn json_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let tail = format!(" at line {} column {}", error.line(), error.column());
    message.strip_suffix(&tail).map_or_else(|| message.clone(), str::to_owned)
}

/// A JSON object being read, with where it sits (`at`) for error messages.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    at: String,
}

impl<'a> Fields<'a> {
    fn new(map: &'a Map<String, Value>, at: impl Into<String>) -> Self {
        Fields { map, at: at.into() }
    }

    /// A field's value; `null` counts as absent, as the APIs use both.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn wrong(&self, key: &str, value: &Value, expected: &str) -> String {
        format!("{}: {key} is {}, not {expected}", self.at, shown(value))
    }

    fn missing(&self, key: &str) -> String {
        format!("{} has no {key}", self.at)
    }

    fn str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(key, other, "a string")),
        }
    }

    /// An id: a non-empty string or an integer (hand-made files use both).
    fn id(&self, key: &str) -> Result<Option<String>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
            Some(other) => Err(self.wrong(key, other, "a string or an integer")),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(key, other, "true or false")),
        }
    }

    fn count(&self, key: &str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => value.as_u64().map(Some).ok_or_else(|| self.wrong(key, value, "a whole number")),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields::new(map, format!("{}.{key}", self.at)))),
            Some(other) => Err(self.wrong(key, other, "an object")),
        }
    }

    fn date(
        &self,
        key: &str,
        parse: fn(&str) -> Option<DateTime<Utc>>,
        expected: &str,
    ) -> Result<Option<DateTime<Utc>>, String> {
        match self.str(key)? {
            None => Ok(None),
            Some(text) => parse(text).map(Some).ok_or_else(|| format!("{}: {key} {text:?} is not {expected}", self.at)),
        }
    }
}

/// `original`, `retweet`, `quote` or `reply`, in any case.
fn parse_kind(text: &str) -> Result<TweetKind, String> {
    let text = text.trim();
    TweetKind::ALL
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(text))
        .ok_or_else(|| format!("unknown kind {text:?} (expected original, retweet, quote or reply)"))
}

/// The kind of a tweet whose source does not say: only retweets can be told
/// from the text alone.
fn kind_from_text(text: &str) -> TweetKind {
    if text.starts_with("RT @") { TweetKind::Retweet } else { TweetKind::Original }
}

/// Replies outrank quotes: a reply that quotes a tweet is part of a
/// conversation first. Retweets can carry nothing else.
fn rank(kind: TweetKind) -> u8 {
    match kind {
        TweetKind::Original => 0,
        TweetKind::Quote => 1,
        TweetKind::Reply => 2,
        TweetKind::Retweet => 3,
    }
}

// ---------------------------------------------------------------------------
// X API v2
// ---------------------------------------------------------------------------

/// A tweet of `data`, with what is needed to finish it once every page's
/// `includes` is known.
struct V2Tweet {
    tweet: TimelineTweet,
    retweeted: Option<String>,
    author: Option<String>,
}

/// A user of `includes.users`.
struct V2User<'a> {
    at: String,
    id: Option<String>,
    map: &'a Map<String, Value>,
}

/// Every page in the file: one response, an array of responses, or several
/// responses one after the other (as `--paginate` tools write them).
fn v2_pages(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    let mut values = Vec::new();
    for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match value.map_err(|e| format!("invalid JSON: {e}"))? {
            Value::Array(items) => values.extend(items),
            other => values.push(other),
        }
    }
    if values.is_empty() {
        return Err("the file is empty: it holds no API response".to_owned());
    }
    let several = values.len() > 1;
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| match value {
            // Any other JSON object would read as an account without tweets,
            // and be scored as one: an audit of nothing.
            Value::Object(map) if !V2_KEYS.iter().any(|k| map.contains_key(*k)) => {
                let what = if several { format!("page {}", i + 1) } else { "the JSON object".to_owned() };
                Err(format!("not a timeline: {what} has {}; {RECOGNISED}", keys_of(&map)))
            }
            Value::Object(map) => Ok(map),
            other if several => Err(format!("page {} is {}, not a JSON object", i + 1, shown(&other))),
            other => Err(format!("the response is {}, not a JSON object", shown(&other))),
        })
        .collect()
}

/// What `score` reads, for messages about a file it cannot.
const RECOGNISED: &str = "expected an X API v2 response of GET /2/users/:id/tweets (an object with data, meta, \
     includes or errors, or an array of them), an X/Twitter archive (its folder or a tweets.js file), JSONL (one tweet \
     object with a text field per line, plus an optional {\"profile\": ...} line) or CSV (a header row with a text \
     column)";

/// "no key" or "the keys a, b, c" (the first few), for an object that is not an API response.
fn keys_of(map: &Map<String, Value>) -> String {
    const SHOWN: usize = 5;
    let mut keys: Vec<&str> = map.keys().take(SHOWN).map(String::as_str).collect();
    if keys.is_empty() {
        return "no key".to_owned();
    }
    if map.len() > SHOWN {
        keys.push("...");
    }
    format!("the keys {} but none of data, meta, includes or errors", keys.join(", "))
}

/// The array at `path` in a page (empty when absent), e.g. `includes.users`.
fn page_array<'a>(page: &'a Map<String, Value>, path: &[&str], label: &str) -> Result<&'a [Value], String> {
    let mut current = page;
    for (depth, key) in path.iter().enumerate() {
        let Some(value) = current.get(*key).filter(|v| !v.is_null()) else { return Ok(&[]) };
        let name = path[..=depth].join(".");
        if depth + 1 == path.len() {
            return value
                .as_array()
                .map(Vec::as_slice)
                .ok_or_else(|| format!("{label}{name} is {}, not an array", shown(value)));
        }
        current = value.as_object().ok_or_else(|| format!("{label}{name} is {}, not an object", shown(value)))?;
    }
    Ok(&[])
}

/// `errors` of a response, summed up: the first one's title and detail.
fn describe_api_errors(errors: &Value) -> String {
    let list = errors.as_array().map(Vec::as_slice).unwrap_or_default();
    let Some(first) = list.first() else { return format!("errors is {}", shown(errors)) };
    let field = |key: &str| first.get(key).and_then(Value::as_str);
    let mut text = match (field("title"), field("detail").or_else(|| field("message"))) {
        (Some(title), Some(detail)) => format!("{title}: {detail}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => shown(first),
    };
    if list.len() > 1 {
        text.push_str(&format!(" (and {} more)", list.len() - 1));
    }
    text
}

fn parse_v2(text: &str, purpose: Purpose) -> Result<Timeline, String> {
    let pages = v2_pages(text)?;
    let several = pages.len() > 1;
    // "page 2: " before page-level messages, "page 2, " before element paths.
    let label = |n: usize, sep: &str| if several { format!("page {}{sep}", n + 1) } else { String::new() };

    let mut users: Vec<V2User> = Vec::new();
    let mut user_ids = HashSet::new();
    let mut full_texts: HashMap<String, String> = HashMap::new();
    let mut tweets: Vec<V2Tweet> = Vec::new();
    let mut tweet_ids = HashSet::new();
    let mut any_data = false;
    let mut api_error = None;

    for (n, page) in pages.iter().enumerate() {
        for (i, user) in page_array(page, &["includes", "users"], &label(n, ": "))?.iter().enumerate() {
            let at = format!("{}includes.users[{i}]", label(n, ", "));
            let map = user.as_object().ok_or_else(|| format!("{at} is {}, not an object", shown(user)))?;
            let id = Fields::new(map, at.as_str()).id("id")?;
            if id.as_ref().is_none_or(|id| user_ids.insert(id.clone())) {
                users.push(V2User { at, id, map });
            }
        }
        for (i, tweet) in page_array(page, &["includes", "tweets"], &label(n, ": "))?.iter().enumerate() {
            let at = format!("{}includes.tweets[{i}]", label(n, ", "));
            let map = tweet.as_object().ok_or_else(|| format!("{at} is {}, not an object", shown(tweet)))?;
            let fields = Fields::new(map, at);
            if let (Some(id), Some(text)) = (fields.id("id")?, v2_text(&fields)?) {
                full_texts.entry(id).or_insert(text);
            }
        }
        let data = match page.get("data").filter(|d| !d.is_null()) {
            None => {
                if let Some(errors) = page.get("errors") {
                    api_error.get_or_insert_with(|| format!("{}{}", label(n, ": "), describe_api_errors(errors)));
                }
                continue;
            }
            Some(Value::Array(items)) => items.as_slice(),
            // A single-tweet lookup answers with one object.
            Some(one @ Value::Object(_)) => std::slice::from_ref(one),
            Some(other) => return Err(format!("{}data is {}, not an array", label(n, ": "), shown(other))),
        };
        any_data = true;
        for (i, value) in data.iter().enumerate() {
            let tweet = v2_tweet(format!("{}tweet {}", label(n, ", "), i + 1), value)?;
            if tweet_ids.insert(tweet.tweet.id.clone()) {
                tweets.push(tweet);
            }
        }
    }
    if !any_data && let Some(error) = api_error {
        return Err(format!("the API answered with an error and no data: {error}"));
    }

    let profile = match purpose {
        Purpose::Classify => Profile::default(),
        Purpose::Audit { avatar_given } => match v2_account(&users, &tweets)? {
            None => Profile::default(),
            Some(user) => v2_profile(user, avatar_given)?,
        },
    };
    let tweets = tweets
        .into_iter()
        .map(|V2Tweet { mut tweet, retweeted, .. }| {
            if let Some(full) = retweeted.and_then(|id| full_texts.get(&id)) {
                tweet.text = retweet_text(&tweet.text, full);
            }
            tweet
        })
        .collect();
    Ok(Timeline { profile, tweets })
}

/// The user whose timeline this is: the author of the tweets, or the only
/// user when the tweets do not name their author. `None` only for a
/// timeline with neither tweets nor users.
fn v2_account<'u, 'a>(users: &'u [V2User<'a>], tweets: &[V2Tweet]) -> Result<Option<&'u V2User<'a>>, String> {
    if users.is_empty() {
        return if tweets.is_empty() {
            Ok(None)
        } else {
            Err("no user in includes.users (ask the API for expansions=author_id)".to_owned())
        };
    }
    let authors: BTreeSet<&str> = tweets.iter().filter_map(|t| t.author.as_deref()).collect();
    match (authors.len(), authors.first(), users) {
        (0, _, [only]) => Ok(Some(only)),
        (0, _, _) => Err(format!(
            "includes.users holds {} users and the tweets have no author_id to tell which one is the account",
            users.len()
        )),
        (1, Some(author), _) => users
            .iter()
            .find(|u| u.id.as_deref() == Some(*author))
            .map(Some)
            .ok_or_else(|| format!("no user with id {author} (the tweets' author_id) in includes.users")),
        _ => Err(format!(
            "the tweets come from {} accounts (author_id {}): one file must hold one account's timeline",
            authors.len(),
            authors.iter().copied().collect::<Vec<_>>().join(", ")
        )),
    }
}

fn v2_profile(user: &V2User, avatar_given: bool) -> Result<Profile, String> {
    let fields = Fields::new(user.map, user.at.as_str());
    let metrics = fields.object("public_metrics")?;
    let count = |key| metrics.as_ref().map(|m| m.count(key)).transpose().map(Option::flatten);
    let url = fields.str("profile_image_url")?;
    // A null picture is no picture: the default one.
    let profile_image_url = fields.map.contains_key("profile_image_url").then(|| url.unwrap_or_default().to_owned());
    // Without the field the picture is unknown: refused rather than left
    // unjudged, since a request that merely forgot a user.field is easily fixed.
    if profile_image_url.is_none() && !avatar_given {
        return Err(format!(
            "{} has no profile_image_url (ask the API for user.fields=profile_image_url, or say on the command \
             line whether the account has the default picture)",
            user.at
        ));
    }
    Ok(Profile {
        handle: fields.str("username")?.map(normalise_handle).unwrap_or_default(),
        display_name: fields.str("name")?.unwrap_or_default().to_owned(),
        profile_image_url,
        default_avatar: None,
        protected: fields.bool("protected")?.unwrap_or(false),
        followers: count("followers_count")?,
        following: count("following_count")?,
        created_at: fields.date("created_at", parse_rfc3339, RFC3339)?,
    })
}

/// The full text of an API v2 tweet: tweets longer than 280 characters keep
/// it in `note_tweet.text`, `text` then being cut short.
fn v2_text(fields: &Fields) -> Result<Option<String>, String> {
    if let Some(note) = fields.object("note_tweet")?
        && let Some(text) = note.str("text")?
    {
        return Ok(Some(text.to_owned()));
    }
    Ok(fields.str("text")?.map(str::to_owned))
}

fn v2_tweet(at: String, value: &Value) -> Result<V2Tweet, String> {
    let map = value.as_object().ok_or_else(|| format!("{at} is {}, not an object", shown(value)))?;
    let fields = Fields::new(map, at);
    let id = fields.id("id")?.ok_or_else(|| fields.missing("id"))?;
    let fields = Fields::new(map, format!("{} (id {id})", fields.at));
    let text = v2_text(&fields)?.ok_or_else(|| fields.missing("text"))?;
    let created_at = fields.date("created_at", parse_rfc3339, RFC3339)?;
    let (kind, retweeted) = v2_kind(&fields)?;
    let author = fields.id("author_id")?;
    Ok(V2Tweet { tweet: TimelineTweet { id, text, created_at, kind }, retweeted, author })
}

/// The kind from `referenced_tweets`, and the id of the retweeted tweet.
fn v2_kind(fields: &Fields) -> Result<(TweetKind, Option<String>), String> {
    let Some(references) = fields.get("referenced_tweets") else { return Ok((TweetKind::Original, None)) };
    let references = references.as_array().ok_or_else(|| fields.wrong("referenced_tweets", references, "an array"))?;
    let mut kind = TweetKind::Original;
    let mut retweeted = None;
    for (i, reference) in references.iter().enumerate() {
        let at = format!("{}: referenced_tweets[{i}]", fields.at);
        let map = reference.as_object().ok_or_else(|| format!("{at} is {}, not an object", shown(reference)))?;
        let reference = Fields::new(map, at);
        let this = match reference.str("type")?.ok_or_else(|| reference.missing("type"))? {
            "retweeted" => TweetKind::Retweet,
            "quoted" => TweetKind::Quote,
            "replied_to" => TweetKind::Reply,
            other => {
                return Err(format!(
                    "{}: unknown type {other:?} (expected retweeted, quoted or replied_to)",
                    reference.at
                ));
            }
        };
        if this == TweetKind::Retweet {
            retweeted = reference.id("id")?;
        }
        if rank(this) > rank(kind) {
            kind = this;
        }
    }
    Ok((kind, retweeted))
}

/// A retweet's text with the original's full text, keeping the `RT @handle: `
/// head so that it reads like retweets from other sources (and the corpus).
fn retweet_text(truncated: &str, full: &str) -> String {
    let head =
        truncated.strip_prefix("RT @").and_then(|rest| rest.find(": ")).map(|i| &truncated[..i + "RT @: ".len()]);
    match head {
        Some(head) => format!("{head}{full}"),
        None => full.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// X/Twitter archive
// ---------------------------------------------------------------------------

/// Files that mark an archive's `data/` folder. Archives made before 2022
/// call the tweets file `tweet.js`.
const ARCHIVE_MARKERS: [&str; 3] = ["tweets.js", "tweet.js", "account.js"];

/// The `data/` folder of the archive at `dir` and the archive's root (whose
/// name is the default handle), whether `dir` is the root or `data/` itself.
fn archive_dirs(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let holds_marker = |d: &Path| ARCHIVE_MARKERS.iter().any(|m| d.join(m).is_file());
    let data = dir.join("data");
    if holds_marker(&data) {
        return Some((data, dir.to_owned()));
    }
    if !holds_marker(dir) {
        return None;
    }
    let root = if dir.file_name().is_some_and(|n| n == "data") {
        dir.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .or_else(|| fs::canonicalize(dir).ok()?.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| dir.to_owned())
    } else {
        dir.to_owned()
    };
    Some((dir.to_owned(), root))
}

/// The part number of a tweets file: `tweets.js` is 0, `tweets-part2.js` is 2
/// (and the same for `tweet.js`); `None` for other files such as
/// `tweet-headers.js` or `tweetdeck.js`.
fn tweets_part(name: &str) -> Option<u32> {
    let stem = name.strip_suffix(".js")?;
    let rest = stem.strip_prefix("tweets").or_else(|| stem.strip_prefix("tweet"))?;
    if rest.is_empty() { Some(0) } else { rest.strip_prefix("-part")?.parse().ok() }
}

/// Reads an archive folder (its profile only for an audit); returns the
/// timeline and the archive's root.
fn read_archive_dir(dir: &Path, purpose: Purpose) -> Result<(Timeline, PathBuf), TimelineError> {
    let (data, root) = archive_dirs(dir).ok_or_else(|| {
        format_error(dir, "not an unzipped X/Twitter archive: found neither data/tweets.js nor data/account.js")
    })?;
    let mut parts = Vec::new();
    for entry in fs::read_dir(&data).map_err(io_error(&data))? {
        let path = entry.map_err(io_error(&data))?.path();
        if let Some(part) = path.file_name().and_then(|n| n.to_str()).and_then(tweets_part)
            && path.is_file()
        {
            parts.push((part, path));
        }
    }
    if parts.is_empty() {
        let shown = if data == dir { "tweets.js" } else { "data/tweets.js" };
        return Err(format_error(dir, format!("no {shown} (nor tweets-partN.js): the archive holds no tweets file")));
    }
    parts.sort();

    let mut tweets = Vec::new();
    let mut seen = HashSet::new();
    for (_, path) in &parts {
        let text = read_text(path)?;
        for tweet in parse_archive_tweets(&text).map_err(|reason| format_error(path, reason))? {
            if seen.insert(tweet.id.clone()) {
                tweets.push(tweet);
            }
        }
    }

    let mut profile = Profile::default();
    if purpose == Purpose::Classify {
        return Ok((Timeline { profile, tweets }, root));
    }
    let path = data.join("account.js");
    if let Some(account) = read_ytd_object(&path, "account")? {
        archive_account(&Fields::new(&account, "account"), &mut profile)
            .map_err(|reason| format_error(&path, reason))?;
    }
    let path = data.join("profile.js");
    if let Some(archived) = read_ytd_object(&path, "profile")? {
        let fields = Fields::new(&archived, "profile");
        let avatar = fields.str("avatarMediaUrl").map_err(|reason| format_error(&path, reason))?;
        let avatar = avatar.map(str::trim).filter(|url| !url.is_empty());
        profile.profile_image_url = avatar.map(str::to_owned);
        profile.default_avatar = Some(avatar.is_none_or(|url| url.contains("default_profile_images")));
    }
    // follower.js and following.js list every account, so their length is the count.
    profile.followers = count_ytd_entries(&data.join("follower.js"))?;
    profile.following = count_ytd_entries(&data.join("following.js"))?;
    Ok((Timeline { profile, tweets }, root))
}

/// The handle, display name and creation date from `account.js`.
fn archive_account(fields: &Fields, profile: &mut Profile) -> Result<(), String> {
    profile.handle = fields.str("username")?.map(normalise_handle).unwrap_or_default();
    profile.display_name = fields.str("accountDisplayName")?.unwrap_or_default().to_owned();
    profile.created_at = fields.date("createdAt", parse_rfc3339, RFC3339)?;
    Ok(())
}

/// The entries of a `window.YTD.<name>.partN = [...]` file. A bare JSON
/// array is accepted too.
fn parse_ytd(text: &str) -> Result<Vec<Value>, String> {
    let json = if text.trim_start().starts_with('[') {
        text.to_owned()
    } else {
        let equals = text.find('=').ok_or("not a `window.YTD.<name>.partN = [...]` file: no `=` found")?;
        // Blank out the assignment rather than cut it, so that serde_json's
        // line and column numbers are those of the file.
        let head: String = text[..=equals].chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
        head + text[equals + 1..].trim_end().trim_end_matches(';')
    };
    match serde_json::from_str(&json) {
        Ok(Value::Array(entries)) => Ok(entries),
        Ok(other) => Err(format!("the assigned value is {}, not an array", shown(&other))),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// The `key` object of the first entry of an optional archive file.
fn read_ytd_object(path: &Path, key: &str) -> Result<Option<Map<String, Value>>, TimelineError> {
    if !path.is_file() {
        return Ok(None);
    }
    let entries = parse_ytd(&read_text(path)?).map_err(|reason| format_error(path, reason))?;
    let Some(first) = entries.into_iter().next() else { return Ok(None) };
    match first {
        Value::Object(mut entry) => match entry.remove(key) {
            Some(Value::Object(map)) => Ok(Some(map)),
            _ => Err(format_error(path, format!("the first entry has no {key:?} object"))),
        },
        other => Err(format_error(path, format!("the first entry is {}, not an object", shown(&other)))),
    }
}

fn count_ytd_entries(path: &Path) -> Result<Option<u64>, TimelineError> {
    if !path.is_file() {
        return Ok(None);
    }
    let entries = parse_ytd(&read_text(path)?).map_err(|reason| format_error(path, reason))?;
    Ok(Some(entries.len() as u64))
}

/// The tweets of one archive tweets file, without duplicates.
fn parse_archive_tweets(text: &str) -> Result<Vec<TimelineTweet>, String> {
    let mut seen = HashSet::new();
    let mut tweets = Vec::new();
    for (i, entry) in parse_ytd(text)?.iter().enumerate() {
        let tweet = archive_tweet(format!("tweet {}", i + 1), entry)?;
        if seen.insert(tweet.id.clone()) {
            tweets.push(tweet);
        }
    }
    Ok(tweets)
}

fn archive_tweet(at: String, entry: &Value) -> Result<TimelineTweet, String> {
    let entry = entry.as_object().ok_or_else(|| format!("{at} is {}, not an object", shown(entry)))?;
    // Entries are `{"tweet": {...}}`; the oldest archives hold the tweet itself.
    let map = match entry.get("tweet") {
        None => entry,
        Some(Value::Object(tweet)) => tweet,
        Some(other) => return Err(format!("{at}: tweet is {}, not an object", shown(other))),
    };
    let fields = Fields::new(map, at);
    let id = fields.id("id_str")?.or(fields.id("id")?).ok_or_else(|| fields.missing("id_str"))?;
    let fields = Fields::new(map, format!("{} (id {id})", fields.at));
    let text = fields.str("full_text")?.or(fields.str("text")?).ok_or_else(|| fields.missing("full_text"))?;
    let created_at = fields.date("created_at", parse_archive_date, ARCHIVE_DATE)?;
    let replies = fields.id("in_reply_to_status_id_str")?.is_some() || fields.id("in_reply_to_user_id_str")?.is_some();
    let kind = if text.starts_with("RT @") {
        TweetKind::Retweet
    } else if replies {
        TweetKind::Reply
    } else if quotes_a_tweet(map) {
        TweetKind::Quote
    } else {
        TweetKind::Original
    };
    Ok(TimelineTweet { id, text: text.to_owned(), created_at, kind })
}

/// Archives do not mark quotes; a quote is a tweet carrying a link to a
/// tweet (which also catches the rare plain link to a tweet).
fn quotes_a_tweet(tweet: &Map<String, Value>) -> bool {
    let quoted_id = tweet.get("quoted_status_id_str").and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let urls = tweet.get("entities").and_then(|e| e.get("urls")).and_then(Value::as_array);
    quoted_id
        || urls.is_some_and(|urls| {
            urls.iter().any(|u| u.get("expanded_url").and_then(Value::as_str).is_some_and(is_tweet_url))
        })
}

/// `https://twitter.com/<user>/status/<id>` and its x.com, www. and mobile. forms.
fn is_tweet_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").or_else(|| host.strip_prefix("mobile.")).unwrap_or(&host);
    matches!(host, "twitter.com" | "x.com") && path.contains("/status/")
}

// ---------------------------------------------------------------------------
// JSONL
// ---------------------------------------------------------------------------

fn parse_jsonl(text: &str) -> Result<Timeline, String> {
    let mut profile: Option<(usize, Profile)> = None;
    let mut tweets = Vec::new();
    let mut line_of_id: HashMap<String, usize> = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line)
            .map_err(|e| format!("line {number}, column {}: invalid JSON: {}", e.column(), json_message(&e)))?;
        let map = match &value {
            Value::Object(map) => map,
            other => return Err(format!("line {number} is {}, not a JSON object", shown(other))),
        };
        if let Some(found) = map.get("profile") {
            if let Some((first, _)) = &profile {
                return Err(format!("line {number}: a second profile line (the first is line {first})"));
            }
            let found = found
                .as_object()
                .ok_or_else(|| format!("line {number}: profile is {}, not an object", shown(found)))?;
            profile = Some((number, jsonl_profile(&Fields::new(found, format!("line {number}: profile")))?));
            continue;
        }
        let tweet = jsonl_tweet(map, number)?;
        if let Some(first) = line_of_id.insert(tweet.id.clone(), number) {
            return Err(format!("line {number}: id {} is already the id of line {first}", tweet.id));
        }
        tweets.push(tweet);
    }
    Ok(Timeline { profile: profile.map(|(_, p)| p).unwrap_or_default(), tweets })
}

fn jsonl_profile(fields: &Fields) -> Result<Profile, String> {
    Ok(Profile {
        handle: fields.str("handle")?.map(normalise_handle).unwrap_or_default(),
        display_name: fields.str("display_name")?.unwrap_or_default().to_owned(),
        profile_image_url: fields.str("profile_image_url")?.map(str::to_owned),
        default_avatar: fields.bool("default_avatar")?,
        protected: fields.bool("protected")?.unwrap_or(false),
        followers: fields.count("followers")?,
        following: fields.count("following")?,
        created_at: fields.date("created_at", parse_rfc3339, RFC3339)?,
    })
}

fn jsonl_tweet(map: &Map<String, Value>, number: usize) -> Result<TimelineTweet, String> {
    let id = Fields::new(map, format!("line {number}: tweet")).id("id")?.unwrap_or_else(|| number.to_string());
    let fields = Fields::new(map, format!("line {number}: tweet {id}"));
    let text = fields.str("text")?.ok_or_else(|| fields.missing("text"))?.to_owned();
    let created_at = fields.date("created_at", parse_rfc3339, RFC3339)?;
    let kind = match fields.str("kind")? {
        Some(kind) => parse_kind(kind).map_err(|reason| format!("{}: {reason}", fields.at))?,
        None => kind_from_text(&text),
    };
    Ok(TimelineTweet { id, text, created_at, kind })
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

fn parse_csv(text: &str) -> Result<Vec<TimelineTweet>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("line 1: {e}"))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let Some(text_column) = column("text") else {
        return Err(if headers.iter().all(|h| h.trim().is_empty()) {
            "no header row (the file is empty)".to_owned()
        } else {
            format!("line 1: no text column in the header (columns: {})", headers.iter().collect::<Vec<_>>().join(", "))
        });
    };
    let (id_column, date_column, kind_column) = (column("id"), column("created_at"), column("kind"));

    let mut tweets = Vec::new();
    let mut line_of_id: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| match e.position() {
            Some(position) => format!("line {}: {e}", position.line()),
            None => e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |column: Option<usize>| column.and_then(|c| record.get(c)).map(str::trim).filter(|s| !s.is_empty());
        let id = cell(id_column).map_or_else(|| line.to_string(), str::to_owned);
        let at = format!("line {line}: tweet {id}");
        // CSV has no null: a blank cell is a missing text.
        let text =
            record.get(text_column).filter(|t| !t.trim().is_empty()).ok_or_else(|| format!("{at} has no text"))?;
        let created_at = match cell(date_column) {
            None => None,
            Some(date) => {
                Some(parse_rfc3339(date).ok_or_else(|| format!("{at}: created_at {date:?} is not {RFC3339}"))?)
            }
        };
        let kind = match cell(kind_column) {
            Some(kind) => parse_kind(kind).map_err(|reason| format!("{at}: {reason}"))?,
            None => kind_from_text(text),
        };
        if let Some(first) = line_of_id.insert(id.clone(), line) {
            return Err(format!("line {line}: id {id} is already the id of line {first}"));
        }
        tweets.push(TimelineTweet { id, text: text.to_owned(), created_at, kind });
    }
    Ok(tweets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/timelines").join(name)
    }

    fn read(name: &str) -> Timeline {
        read_with(name, TimelineFormat::Auto, &ProfileOverrides::default())
    }

    fn read_with(name: &str, format: TimelineFormat, overrides: &ProfileOverrides) -> Timeline {
        read_timeline(&fixture(name), format, overrides).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The message of the error reading `path`, checked to name the file.
    fn error_at(path: &Path, format: TimelineFormat) -> String {
        let error = read_timeline(path, format, &ProfileOverrides::default()).expect_err("an error");
        let message = error.to_string();
        let name = path.file_name().and_then(|n| n.to_str()).expect("file name");
        assert!(message.contains(name), "the message names the file: {message}");
        message
    }

    fn error(name: &str) -> String {
        error_at(&fixture(name), TimelineFormat::Auto)
    }

    /// Writes `content` as `name` in a fresh folder, for one-line variants not
    /// worth a fixture.
    fn scratch(name: &str, content: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(name);
        fs::write(&path, content).expect("write");
        (dir, path)
    }

    fn scratch_error(name: &str, content: &str) -> String {
        let (_dir, path) = scratch(name, content);
        error_at(&path, TimelineFormat::Auto)
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<DateTime<Utc>> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single()
    }

    fn kinds(timeline: &Timeline) -> Vec<TweetKind> {
        timeline.tweets.iter().map(|t| t.kind).collect()
    }

    fn tweet<'t>(timeline: &'t Timeline, id: &str) -> &'t TimelineTweet {
        timeline.tweets.iter().find(|t| t.id == id).unwrap_or_else(|| panic!("no tweet {id}"))
    }

    // --- X API v2 ---------------------------------------------------------

    #[test]
    fn v2_single_page_gives_profile_kinds_and_the_retweets_full_text() {
        let timeline = read("v2_single_page.json");
        let profile = &timeline.profile;
        assert_eq!(profile.handle, "CafeDesCanuts", "the tweets' author, not the other user");
        assert_eq!(profile.display_name, "Café des Canuts ☕");
        assert_eq!(profile.followers, Some(1284));
        assert_eq!(profile.following, Some(356));
        assert!(!profile.protected);
        assert_eq!(profile.has_default_avatar(), Some(false));
        assert_eq!(profile.created_at, utc(2021, 2, 11, 9, 30, 12));

        use TweetKind::*;
        assert_eq!(kinds(&timeline), [Original, Reply, Retweet, Quote]);
        assert_eq!(timeline.tweets[0].created_at, utc(2025, 2, 10, 8, 15, 2));
        let retweet = tweet(&timeline, "1888745566778899001");
        assert!(retweet.text.starts_with("RT @LyonCityGuide: Les 10 cafés"), "{}", retweet.text);
        assert!(retweet.text.ends_with("pas encore 👀 https://t.co/Xk3pLm9QaZ"), "{}", retweet.text);
        assert!(!retweet.text.contains('…'));
    }

    #[test]
    fn v2_pages_are_merged_without_duplicates() {
        let timeline = read("v2_two_pages.json");
        let ids: Vec<&str> = timeline.tweets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            ["1896210000000000101", "1895500000000000102", "1895100000000000103", "1894300000000000104"],
            "the tweet on both pages counts once"
        );
        use TweetKind::*;
        assert_eq!(kinds(&timeline), [Original, Retweet, Original, Reply]);
        let retweet = &timeline.tweets[1];
        assert!(retweet.text.starts_with("RT @ConsoNantes: Chauffe-eau"));
        assert!(retweet.text.contains("guide gratuit") && !retweet.text.contains('…'), "{}", retweet.text);
        assert_eq!(timeline.profile.handle, "DupontPlomberie");
        assert_eq!(timeline.profile.has_default_avatar(), Some(true), "default_profile_images URL");
        assert_eq!(timeline.profile.followers, Some(57));
    }

    #[test]
    fn v2_pages_may_follow_one_another() {
        let timeline = read("v2_concatenated.json");
        assert_eq!(timeline.tweets.len(), 3);
        assert_eq!(timeline.tweets[2].kind, TweetKind::Quote);
        assert_eq!(timeline.profile.handle, "FleursDeLaComedie");
        assert_eq!(timeline.profile.followers, Some(930), "the first page's user");
    }

    #[test]
    fn v2_without_data_is_an_empty_timeline_named_after_the_file() {
        let timeline = read("v2_empty.json");
        assert!(timeline.tweets.is_empty());
        assert_eq!(timeline.profile.handle, "v2_empty");
    }

    #[test]
    fn v2_api_errors_are_reported_unless_another_page_has_data() {
        let message = error("v2_errors.json");
        assert!(message.contains("Not Found Error: Could not find user with id: [1999999999999999999]."), "{message}");

        let errors = fs::read_to_string(fixture("v2_errors.json")).expect("fixture");
        let page = r#"{"data": [{"id": "1", "author_id": "9", "text": "Bonjour !"}],
            "includes": {"users": [{"id": "9", "username": "x", "profile_image_url": "https://pbs.twimg.com/a.jpg"}]}}"#;
        let (_dir, path) = scratch("pages.json", &format!("[{page}, {errors}]"));
        let timeline = read_timeline(&path, TimelineFormat::Auto, &ProfileOverrides::default()).expect("data wins");
        assert_eq!(timeline.tweets.len(), 1);
    }

    #[test]
    fn broken_json_gives_line_and_column() {
        let message = error("broken_json.json");
        assert!(message.contains("invalid JSON") && message.contains("line 14 column"), "{message}");
    }

    #[test]
    fn v2_tweets_without_a_user_are_an_error() {
        let message = error("v2_no_user.json");
        assert!(message.contains("no user in includes.users"), "{message}");
    }

    #[test]
    fn v2_tweet_without_text_is_named() {
        let message = error("v2_no_text.json");
        assert!(message.ends_with("tweet 2 (id 1902900000000000402) has no text"), "{message}");
    }

    #[test]
    fn v2_bad_date_is_quoted() {
        let message = error("v2_bad_date.json");
        assert!(
            message
                .contains(r#"tweet 1 (id 1904000000000000501): created_at "18/02/2025 09:30" is not an RFC 3339 date"#),
            "{message}"
        );
    }

    #[test]
    fn v2_structural_errors_say_where() {
        let user = r#"{"id": "9", "username": "x", "profile_image_url": "https://pbs.twimg.com/a.jpg"}"#;
        let cases = [
            (r#"[{"data": []}, 3]"#.to_owned(), "page 2 is 3, not a JSON object"),
            (r#"{"data": "none"}"#.to_owned(), "data is \"none\", not an array"),
            (
                format!(r#"{{"data": [{{"id": "1", "text": "a", "referenced_tweets": [{{"type": "liked", "id": "2"}}]}}], "includes": {{"users": [{user}]}}}}"#),
                r#"tweet 1 (id 1): referenced_tweets[0]: unknown type "liked""#,
            ),
            (
                format!(r#"{{"data": [{{"id": "1", "author_id": "9", "text": "a"}}, {{"id": "2", "author_id": "8", "text": "b"}}], "includes": {{"users": [{user}]}}}}"#),
                "the tweets come from 2 accounts (author_id 8, 9)",
            ),
            (
                r#"{"data": [{"id": "1", "author_id": "7", "text": "a"}], "includes": {"users": [{"id": "9", "username": "x"}]}}"#.to_owned(),
                "no user with id 7 (the tweets' author_id) in includes.users",
            ),
            (
                format!(r#"{{"data": [{{"id": "1", "text": "a"}}], "includes": {{"users": [{user}, {{"id": "8", "username": "y"}}]}}}}"#),
                "includes.users holds 2 users and the tweets have no author_id",
            ),
            (
                r#"{"data": [{"id": "1", "text": "a"}], "includes": {"users": [{"id": "9", "username": "x"}]}}"#.to_owned(),
                "includes.users[0] has no profile_image_url",
            ),
            (
                r#"{"data": [], "includes": {"users": [{"id": "9", "username": "x", "profile_image_url": null, "public_metrics": {"followers_count": "12"}}]}}"#.to_owned(),
                r#"includes.users[0].public_metrics: followers_count is "12", not a whole number"#,
            ),
            ("  \n".to_owned(), "the file is empty"),
            (r#"{"foo": 1}"#.to_owned(), "not a timeline: the JSON object has the keys foo but none of data"),
            ("{}".to_owned(), "not a timeline: the JSON object has no key; expected an X API v2 response"),
            (r#"[{"meta": {}}, {"id": "1", "text": "a"}]"#.to_owned(), "not a timeline: page 2 has the keys id, text"),
        ];
        for (content, expected) in cases {
            let message = scratch_error("account.json", &content);
            assert!(message.contains(expected), "{content}\n=> {message}");
        }
    }

    #[test]
    fn v2_missing_avatar_is_fine_when_given_on_the_command_line() {
        let (_dir, path) = scratch(
            "a.json",
            r#"{"data": [{"id": "1", "text": "a"}], "includes": {"users": [{"id": "9", "username": "x"}]}}"#,
        );
        let overrides = ProfileOverrides { default_avatar: Some(false), ..ProfileOverrides::default() };
        let timeline = read_timeline(&path, TimelineFormat::Auto, &overrides).expect("avatar given");
        assert_eq!(timeline.profile.has_default_avatar(), Some(false));
    }

    #[test]
    fn v2_long_tweets_use_note_tweet() {
        let (_dir, path) = scratch(
            "a.json",
            r#"{"data": [{"id": "1", "text": "Début…", "note_tweet": {"text": "Début et fin."}}],
                "includes": {"users": [{"id": "9", "username": "x", "profile_image_url": ""}]}}"#,
        );
        let timeline = read_timeline(&path, TimelineFormat::Auto, &ProfileOverrides::default()).expect("ok");
        assert_eq!(timeline.tweets[0].text, "Début et fin.");
    }

    #[test]
    fn overrides_win_over_the_file() {
        let overrides = ProfileOverrides {
            handle: Some("@cafe_canuts".into()),
            protected: Some(true),
            default_avatar: Some(true),
            followers: Some(5),
        };
        let profile = read_with("v2_single_page.json", TimelineFormat::TwitterV2, &overrides).profile;
        assert_eq!(profile.handle, "cafe_canuts");
        assert!(profile.protected);
        assert_eq!(profile.has_default_avatar(), Some(true));
        assert_eq!(profile.followers, Some(5));
        assert_eq!(profile.following, Some(356), "what is not overridden stays");
    }

    // --- archive ------------------------------------------------------------

    #[test]
    fn archive_reads_every_part_account_and_profile() {
        let timeline = read("archive_basic");
        use TweetKind::*;
        assert_eq!(kinds(&timeline), [Original, Retweet, Reply, Quote, Original]);
        assert_eq!(timeline.tweets[1].created_at, utc(2023, 2, 18, 12, 33, 11));
        assert!(timeline.tweets[1].text.starts_with("RT @BordeauxMetropole: "));
        assert_eq!(timeline.tweets[4].id, "1632289900112233445", "a link to a website is no quote");

        let profile = &timeline.profile;
        assert_eq!(profile.handle, "BoulangerieMartin");
        assert_eq!(profile.display_name, "Boulangerie Martin 🥖");
        assert_eq!(profile.created_at, utc(2014, 10, 7, 9, 14, 27));
        assert_eq!(profile.default_avatar, Some(true));
        assert!(!profile.protected, "archives do not say: open unless told");
        assert_eq!(profile.followers, None, "no follower.js");
    }

    #[test]
    fn archive_can_be_given_by_its_data_folder_or_a_tweets_file() {
        let root = read("archive_basic");
        assert_eq!(read("archive_basic/data"), root);
        assert!(is_archive(&fixture("archive_basic")) && is_archive(&fixture("archive_basic/data")));
        assert!(!is_archive(&fixture("")) && !is_archive(&fixture("simple.csv")));

        let part = read("archive_basic/data/tweets-part1.js");
        assert_eq!(part.tweets, root.tweets[3..]);
        assert_eq!(part.profile.handle, "tweets-part1", "a lone file only has its name");
    }

    #[test]
    fn archive_old_layout_and_follower_lists() {
        let timeline = read("archive_old_layout");
        assert_eq!(kinds(&timeline), [TweetKind::Original, TweetKind::Retweet]);
        let profile = &timeline.profile;
        assert_eq!(profile.handle, "GreenwichBikeFix");
        assert_eq!((profile.followers, profile.following), (Some(3), Some(2)));
        assert_eq!(profile.default_avatar, None, "no profile.js: the picture is unknown");
        assert_eq!(profile.has_default_avatar(), None);
    }

    #[test]
    fn archive_without_tweets_is_an_error() {
        let message = error("archive_no_tweets");
        assert!(
            message.ends_with("no data/tweets.js (nor tweets-partN.js): the archive holds no tweets file"),
            "{message}"
        );
    }

    #[test]
    fn archive_bad_date_names_the_expected_layout() {
        let message = error("archive_bad_date.js");
        assert!(
            message
                .contains(r#"tweet 2 (id 1640100000000000702): created_at "2023-03-23T16:45:00Z" is not a date like"#),
            "{message}"
        );
    }

    #[test]
    fn archive_errors_name_the_file_inside_the_folder() {
        let dir = tempfile::tempdir().expect("dir");
        let data = dir.path().join("data");
        fs::create_dir(&data).expect("mkdir");
        fs::write(data.join("tweets.js"), "window.YTD.tweets.part0 = [ {\"tweet\": {\"id_str\": \"1\"}} ]").expect("w");
        let message = error_at(dir.path(), TimelineFormat::Auto);
        assert!(message.contains("tweets.js: tweet 1 (id 1) has no full_text"), "{message}");

        fs::write(data.join("tweets.js"), "window.YTD.tweets.part0 = []").expect("w");
        fs::write(data.join("account.js"), "window.YTD.account.part0 = [ {\"account\": {\"createdAt\": 5}} ]")
            .expect("w");
        let message = error_at(dir.path(), TimelineFormat::Auto);
        assert!(message.contains("account.js: account: createdAt is 5, not a string"), "{message}");

        let message = scratch_error("old.js", "[{\"tweet\": {\"id_str\": \"1\", \"full_text\": \"a\"}}");
        assert!(message.contains("invalid JSON") && message.contains("line 1 column"), "{message}");
        let message = scratch_error("tweets.js", "window.YTD.tweets.part0 {}");
        assert!(message.contains("no `=` found"), "{message}");
    }

    #[test]
    fn folders_that_are_not_archives_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let message = error_at(dir.path(), TimelineFormat::Archive);
        assert!(message.contains("not an unzipped X/Twitter archive"), "{message}");
        let message = error_at(&fixture("archive_basic"), TimelineFormat::Csv);
        assert!(message.contains("is a folder, but the csv format reads a file"), "{message}");
    }

    // --- JSONL --------------------------------------------------------------

    #[test]
    fn jsonl_reads_tweets_and_a_profile_line_anywhere() {
        let timeline = read("simple.jsonl");
        let ids: Vec<&str> = timeline.tweets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["1790001", "1790002", "5", "1790004", "1790005"], "line number without an id");
        use TweetKind::*;
        assert_eq!(kinds(&timeline), [Original, Reply, Retweet, Original, Quote], "RT @ without a kind");
        assert_eq!(timeline.tweets[1].created_at, utc(2025, 4, 2, 13, 21, 9), "offsets become UTC");
        assert_eq!(timeline.tweets[3].created_at, None);

        let profile = &timeline.profile;
        assert_eq!(profile.handle, "AtelierCuirParis", "without its @");
        assert_eq!(profile.display_name, "Atelier Cuir Paris");
        assert_eq!((profile.followers, profile.following), (Some(612), Some(198)));
        assert_eq!(profile.has_default_avatar(), Some(false));
        assert_eq!(profile.created_at, utc(2019, 6, 14, 8, 0, 0));
    }

    #[test]
    fn jsonl_bad_date_gives_the_line() {
        let message = error("bad_date.jsonl");
        assert!(
            message.ends_with(r#"line 2: tweet 1791002: created_at "yesterday" is not an RFC 3339 date"#),
            "{message}"
        );
    }

    #[test]
    fn jsonl_unknown_kind_and_bad_json() {
        let message = error("jsonl_bad_kind.jsonl");
        assert!(message.contains(r#"line 2: tweet 1792002: unknown kind "repost" (expected original"#), "{message}");
        let message = error("jsonl_bad_json.jsonl");
        assert!(message.contains("line 2, column") && message.contains("invalid JSON: trailing comma"), "{message}");
        assert!(!message.contains("line 1 column"), "serde's own position is dropped: {message}");
    }

    #[test]
    fn jsonl_structural_errors_say_where() {
        let cases = [
            ("{\"profile\": {}}\n{\"profile\": {}}\n", "line 2: a second profile line (the first is line 1)"),
            (
                "{\"id\": \"1\", \"text\": \"a\"}\n\n{\"id\": 1, \"text\": \"b\"}\n",
                "line 3: id 1 is already the id of line 1",
            ),
            ("[1, 2]\n", "line 1 is an array, not a JSON object"),
            ("{\"profile\": {\"followers\": -3}}\n", "line 1: profile: followers is -3, not a whole number"),
            ("{\"profile\": {\"protected\": \"no\"}}\n", "line 1: profile: protected is \"no\", not true or false"),
            ("{\"id\": \"7\"}\n", "line 1: tweet 7 has no text"),
            ("{\"id\": 1.5, \"text\": \"a\"}\n", "line 1: tweet: id is 1.5, not a string or an integer"),
        ];
        for (content, expected) in cases {
            let message = scratch_error("account.jsonl", content);
            assert!(message.ends_with(expected), "{content}\n=> {message}");
        }
    }

    #[test]
    fn empty_jsonl_is_an_empty_timeline() {
        let (_dir, path) = scratch("quiet.ndjson", "\n\n");
        let timeline = read_timeline(&path, TimelineFormat::Auto, &ProfileOverrides::default()).expect("ok");
        assert!(timeline.tweets.is_empty());
        assert_eq!(timeline.profile.handle, "quiet");
    }

    // --- CSV ----------------------------------------------------------------

    #[test]
    fn csv_reads_columns_in_any_order() {
        let overrides = ProfileOverrides { followers: Some(300), ..ProfileOverrides::default() };
        let timeline = read_with("simple.csv", TimelineFormat::Auto, &overrides);
        let ids: Vec<&str> = timeline.tweets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["1880001", "1880002", "1880003", "1880004", "7"], "a record's first line without an id");
        use TweetKind::*;
        assert_eq!(kinds(&timeline), [Original, Reply, Retweet, Quote, Original]);
        assert_eq!(timeline.tweets[1].created_at, utc(2025, 1, 16, 13, 30, 0));
        assert_eq!(timeline.tweets[2].created_at, None);
        assert!(timeline.tweets[3].text.contains("makers,\nand still"), "quoted newline kept");

        let profile = &timeline.profile;
        assert_eq!(profile.handle, "simple", "the file stem");
        assert_eq!(profile.followers, Some(300));
        assert!(!profile.protected);
        assert_eq!(profile.has_default_avatar(), None, "a CSV file does not show the picture");
    }

    #[test]
    fn csv_blank_text_is_missing() {
        let message = error("no_text.csv");
        assert!(message.ends_with("line 4: tweet 1881003 has no text"), "{message}");
    }

    #[test]
    fn csv_errors_say_where() {
        let cases = [
            ("id,body\n1,hello\n", "line 1: no text column in the header (columns: id, body)"),
            (
                "text,created_at\nhello,2025-13-01\n",
                "line 2: tweet 2: created_at \"2025-13-01\" is not an RFC 3339 date",
            ),
            ("text,kind\nhello,boost\n", "line 2: tweet 2: unknown kind \"boost\""),
            ("id,text,kind\n4,a,original\n4,b,reply\n", "line 3: id 4 is already the id of line 2"),
            ("id,kind,text\n4,original\n", "line 2: tweet 4 has no text"),
            ("", "no header row (the file is empty)"),
        ];
        for (content, expected) in cases {
            let message = scratch_error("account.csv", content);
            assert!(message.contains(expected), "{content:?}\n=> {message}");
        }
    }

    // --- detection, files and folders ----------------------------------------

    #[test]
    fn auto_detection_sniffs_unknown_extensions() {
        let v2 = fs::read_to_string(fixture("v2_single_page.json")).expect("fixture");
        let jsonl = fs::read_to_string(fixture("simple.jsonl")).expect("fixture");
        let csv = fs::read_to_string(fixture("simple.csv")).expect("fixture");
        let js = fs::read_to_string(fixture("archive_basic/data/tweets.js")).expect("fixture");
        let bare_js = js.split_once('=').map(|(_, json)| json.to_owned()).expect("assignment");
        let pages = fs::read_to_string(fixture("v2_concatenated.json")).expect("fixture");
        for (content, tweets) in [(v2, 4), (jsonl, 5), (csv, 5), (js, 3), (bare_js, 3), (pages, 3)] {
            let (_dir, path) = scratch("export.txt", &content);
            let timeline = read_timeline(&path, TimelineFormat::Auto, &ProfileOverrides::default())
                .unwrap_or_else(|e| panic!("{e}\n{content}"));
            assert_eq!(timeline.tweets.len(), tweets, "{content}");
        }
        assert!(scratch_error("export.txt", " \n").contains("the file is empty"));
    }

    #[test]
    fn unreadable_files_are_io_or_format_errors() {
        let missing = fixture("no_such_account.json");
        let error = read_timeline(&missing, TimelineFormat::Auto, &ProfileOverrides::default()).err();
        assert!(matches!(error, Some(TimelineError::Io { .. })), "{error:?}");

        let (_dir, path) = scratch("latin1.jsonl", "");
        fs::write(&path, b"{\"text\": \"ok\"}\n{\"text\": \"caf\xe9\"}\n").expect("write");
        let message = error_at(&path, TimelineFormat::Auto);
        assert!(message.ends_with("line 2: not UTF-8 text"), "{message}");
    }

    #[test]
    fn list_accounts_keeps_account_files_and_archives_only() {
        let dir = tempfile::tempdir().expect("dir");
        for name in ["b.csv", "a.json", "c.JSONL", "d.ndjson", "e.js", ".hidden.json", "notes.txt"] {
            fs::write(dir.path().join(name), "").expect("write");
        }
        fs::create_dir_all(dir.path().join("f_archive/data")).expect("mkdir");
        fs::write(dir.path().join("f_archive/data/account.js"), "").expect("write");
        fs::create_dir(dir.path().join("g_misc")).expect("mkdir");
        let names: Vec<String> = list_accounts(dir.path())
            .expect("list")
            .iter()
            .map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
            .collect();
        assert_eq!(names, ["a.json", "b.csv", "c.JSONL", "d.ndjson", "e.js", "f_archive"]);
        assert!(!is_archive(dir.path()));

        let missing = dir.path().join("nowhere");
        assert!(matches!(list_accounts(&missing), Err(TimelineError::Io { .. })));
    }

    #[test]
    fn tweets_parts_are_told_from_other_files() {
        assert_eq!(tweets_part("tweets.js"), Some(0));
        assert_eq!(tweets_part("tweets-part12.js"), Some(12));
        assert_eq!(tweets_part("tweet-part1.js"), Some(1));
        for other in ["tweet-headers.js", "tweetdeck.js", "tweets.json", "deleted-tweets.js"] {
            assert_eq!(tweets_part(other), None, "{other}");
        }
        assert!(is_tweet_url("https://x.com/acme/status/1"));
        assert!(is_tweet_url("http://mobile.twitter.com/acme/status/1?s=20"));
        assert!(!is_tweet_url("https://example.com/twitter.com/status/1"));
    }
}
