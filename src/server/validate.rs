//! Request checks. Every error names the field and, in repeated fields, the
//! index, so a caller can find the bad tweet in a batch of ten thousand.

use tonic::Status;

use crate::corpus::MAX_TEXT_CHARS;
use crate::model::DEFAULT_TOP_FEATURES;
use crate::proto::v1::{ClassifyRequest, ScoreTimelineRequest, Tweet, TweetKind};

/// Most tweets accepted in one request message, unless the operator sets
/// another limit (`serve --max-tweets-per-message`).
pub const MAX_TWEETS_PER_MESSAGE: usize = 10_000;
/// Longest tweet id accepted, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Most top features a prediction may carry.
pub const MAX_TOP_FEATURES: u32 = 20;
/// Longest `locale` accepted, in bytes: the practical maximum of a BCP 47
/// language tag (RFC 5646 §4.4.1).
pub(crate) const MAX_LOCALE_BYTES: usize = 35;
/// Most characters of a caller's text an error message repeats: enough to
/// recognise it, never so many that the answer grows with the request.
const QUOTED_CHARS: usize = 64;

/// A caller's text as an error message repeats it: quoted (escaped), clipped
/// on a character boundary to [`QUOTED_CHARS`] characters with an ellipsis
/// and its whole size when longer.
pub(crate) fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        None => format!("{text:?}"),
        Some((end, _)) => {
            let clipped = format!("{}…", &text[..end]);
            format!("{clipped:?} ({} bytes)", text.len())
        }
    }
}

/// A request error, before it becomes a gRPC status.
pub(crate) fn invalid(field: impl std::fmt::Display, reason: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("{field}: {reason}"))
}

/// Where a tweet sits in a request: `tweets[3]`, or `examples[3].tweet`.
/// Formatted only when there is an error to report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'a> {
    /// The repeated field.
    pub(crate) field: &'a str,
    /// The element's index.
    pub(crate) index: usize,
    /// The path inside the element to the tweet, e.g. `.tweet`; empty when
    /// the element is the tweet.
    pub(crate) inner: &'a str,
}

/// Checks one tweet.
pub(crate) fn tweet(location: At<'_>, tweet: &Tweet) -> Result<(), Status> {
    let At { field, index, inner } = location;
    let at = |name: &str| format!("{field}[{index}]{inner}.{name}");
    if tweet.text.trim().is_empty() {
        return Err(invalid(at("text"), "empty text"));
    }
    // Cheap bound first: a text of at most MAX_TEXT_CHARS bytes cannot have
    // more characters than that.
    if tweet.text.len() > MAX_TEXT_CHARS {
        let chars = tweet.text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(invalid(at("text"), format!("{chars} characters, over the limit of {MAX_TEXT_CHARS}")));
        }
    }
    if tweet.id.len() > MAX_ID_BYTES {
        return Err(invalid(at("id"), format!("{} bytes, over the limit of {MAX_ID_BYTES}", tweet.id.len())));
    }
    if TweetKind::try_from(tweet.kind).is_err() {
        return Err(invalid(at("kind"), format!("unknown tweet kind {}", tweet.kind)));
    }
    if let Some(created_at) = &tweet.created_at
        && !(0..1_000_000_000).contains(&created_at.nanos)
    {
        return Err(invalid(at("created_at"), "nanos must be within 0..1e9"));
    }
    Ok(())
}

/// Checks a batch of tweets: count, then each tweet.
pub(crate) fn tweets(field: &str, tweets: &[Tweet], max: usize) -> Result<(), Status> {
    if tweets.is_empty() {
        return Err(invalid(field, "no tweet given"));
    }
    if tweets.len() > max {
        return Err(invalid(field, format!("{} tweets, over the limit of {max} per message", tweets.len())));
    }
    tweets.iter().enumerate().try_for_each(|(index, t)| tweet(At { field, index, inner: "" }, t))
}

/// Checks a `ClassifyRequest` of at most `max_tweets`; returns the number of top features wanted.
pub(crate) fn classify_request(request: &ClassifyRequest, max_tweets: usize) -> Result<usize, Status> {
    let top = request.top_features.unwrap_or(DEFAULT_TOP_FEATURES as u32);
    if top > MAX_TOP_FEATURES {
        return Err(invalid("top_features", format!("{top} is over the maximum of {MAX_TOP_FEATURES}")));
    }
    tweets("tweets", &request.tweets, max_tweets)?;
    Ok(top as usize)
}

/// Checks the parts of a `ScoreTimelineRequest` that need no conversion;
/// dates, locale and thresholds are checked while converting.
pub(crate) fn timeline_request(request: &ScoreTimelineRequest, max_tweets: usize) -> Result<(), Status> {
    if let Some(profile) = &request.profile {
        for (field, value) in [("profile.handle", &profile.handle), ("profile.display_name", &profile.display_name)] {
            if value.len() > MAX_ID_BYTES {
                return Err(invalid(field, format!("{} bytes, over the limit of {MAX_ID_BYTES}", value.len())));
            }
        }
        if profile.profile_image_url.len() > 2048 {
            return Err(invalid("profile.profile_image_url", "longer than 2048 bytes"));
        }
    }
    if request.tweets.len() > max_tweets {
        return Err(invalid("tweets", format!("{} tweets, over the limit of {max_tweets}", request.tweets.len())));
    }
    request.tweets.iter().enumerate().try_for_each(|(index, t)| tweet(At { field: "tweets", index, inner: "" }, t))
}

/// Prefixes a status message with where it happened, keeping its code.
pub(crate) fn within(prefix: &str, status: Status) -> Status {
    Status::new(status.code(), format!("{prefix}: {}", status.message()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_clips_long_text_on_a_character_boundary() {
        assert_eq!(quote("fr-\"CA\""), r#""fr-\"CA\"""#);
        let exact = "é".repeat(QUOTED_CHARS);
        assert_eq!(quote(&exact), format!("{exact:?}"), "64 characters are quoted whole");
        let long = format!("{exact}ü{}", "x".repeat(8 << 20));
        let quoted = quote(&long);
        assert_eq!(quoted, format!("\"{exact}…\" ({} bytes)", long.len()));
    }
}
