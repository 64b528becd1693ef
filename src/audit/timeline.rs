//! An account as the audit sees it: a profile and its recent tweets, whatever
//! file or API they came from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a tweet came to be on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TweetKind {
    /// Written by the account.
    #[default]
    Original,
    /// Someone else's tweet reposted as is.
    Retweet,
    /// Someone else's tweet reposted with a comment.
    Quote,
    /// An answer to another tweet.
    Reply,
}

impl TweetKind {
    /// Every kind, in a stable order.
    pub const ALL: [TweetKind; 4] = [TweetKind::Original, TweetKind::Retweet, TweetKind::Quote, TweetKind::Reply];

    /// The snake_case name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TweetKind::Original => "original",
            TweetKind::Retweet => "retweet",
            TweetKind::Quote => "quote",
            TweetKind::Reply => "reply",
        }
    }
}

/// What the audit needs to know about the account itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Profile {
    /// The @handle, without the `@`.
    pub handle: String,
    /// The display name.
    pub display_name: String,
    /// URL of the profile picture, if the source says: empty when it says
    /// the account has none, `None` when it does not say (a CSV export).
    pub profile_image_url: Option<String>,
    /// Whether the account still has the default ("egg") picture. When `None`,
    /// it is deduced from `profile_image_url` (a `default_profile_images` URL,
    /// or an empty one, means the default picture); with neither, nobody
    /// knows, and guideline 1 is not judged.
    pub default_avatar: Option<bool>,
    /// Whether only approved followers can see the tweets.
    pub protected: bool,
    /// Number of followers, if known.
    pub followers: Option<u64>,
    /// Number of accounts followed, if known.
    pub following: Option<u64>,
    /// When the account was created, if known.
    pub created_at: Option<DateTime<Utc>>,
}

impl Profile {
    /// Whether the account shows the platform's default picture (guideline
    /// 1); `None` when neither the flag nor the URL says.
    pub fn has_default_avatar(&self) -> Option<bool> {
        self.default_avatar.or_else(|| {
            let url = self.profile_image_url.as_ref()?;
            Some(url.trim().is_empty() || url.contains("default_profile_images"))
        })
    }
}

/// One tweet of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineTweet {
    /// The tweet's id (any string; unique within the timeline).
    pub id: String,
    /// The text to classify. For a retweet, the original tweet's full text
    /// when the source has it.
    pub text: String,
    /// When it was posted; tweets without a date still count for the label
    /// mix (guidelines 4 and 5) but not for activity (guideline 3).
    pub created_at: Option<DateTime<Utc>>,
    /// Original, retweet, quote or reply.
    pub kind: TweetKind,
}

/// A profile and its tweets, in any order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Timeline {
    /// The account.
    pub profile: Profile,
    /// Its recent tweets.
    pub tweets: Vec<TimelineTweet>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_avatar_is_deduced_from_the_url_unless_given() {
        let mut profile = Profile::default();
        assert_eq!(profile.has_default_avatar(), None, "nothing says");
        profile.profile_image_url = Some(" ".into());
        assert_eq!(profile.has_default_avatar(), Some(true), "no picture at all");
        profile.profile_image_url =
            Some("https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png".into());
        assert_eq!(profile.has_default_avatar(), Some(true));
        profile.profile_image_url = Some("https://pbs.twimg.com/profile_images/1/logo_normal.jpg".into());
        assert_eq!(profile.has_default_avatar(), Some(false));
        profile.default_avatar = Some(true);
        assert_eq!(profile.has_default_avatar(), Some(true), "an explicit flag wins");
        profile.profile_image_url = None;
        assert_eq!(profile.has_default_avatar(), Some(true), "the flag alone is enough");
    }
}
