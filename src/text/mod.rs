//! Turns a tweet into the bag of features the model counts.
//!
//! The pipeline is small and fixed: a [`lexer`] cuts the tweet into typed
//! tokens (words, hashtags, mentions, links, emojis, numbers), then each token
//! becomes one or more features:
//!
//! | token | features |
//! |---|---|
//! | word | the word, lowercased and accent-folded |
//! | `#RéformeDesRetraites` | `#reformedesretraites`, plus `reforme`, `des`, `retraites` as words |
//! | `@handle` | `@handle` and the marker `<mention>` |
//! | link | `<url>` |
//! | `RT @x:` prefix | `<rt>` |
//! | `29,90 €`, `-20%`, `1000` | `<price>`, `<percent>`, `<num>` |
//! | emoji | the emoji itself |
//!
//! With bigrams on, consecutive words (hashtag parts and number markers
//! included) also form `"first second"` features; links, mentions and emojis
//! break the chain. Folding makes "Réforme", "reforme" and "#RéformeDesRetraites"
//! meet on the same feature.

mod lexer;
mod normalize;

use serde::{Deserialize, Serialize};

pub(crate) use lexer::is_emoji;
use lexer::{Lexer, Token};
pub use normalize::fold;
use normalize::push_folded;
use unicode_normalization::char::is_combining_mark;

/// Bumped whenever the features produced for a given text change, so that a
/// model trained with other features is refused instead of silently misread.
pub const TOKENIZER_VERSION: u32 = 2;

/// Tokenizer options. They are stored in the model file: a model is only
/// valid with the tokenizer it was trained with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerSettings {
    /// Version of the feature extraction rules (see [`TOKENIZER_VERSION`]).
    pub version: u32,
    /// Whether consecutive words also form bigram features.
    pub bigrams: bool,
    /// When not 0, words at least two letters longer than this also give the
    /// feature `~` plus their first `prefix` letters, so that "réformes", "réformer"
    /// and "reformist" share evidence with "réforme" as a crude stemmer would.
    pub prefix: u8,
}

impl Default for TokenizerSettings {
    fn default() -> Self {
        TokenizerSettings { version: TOKENIZER_VERSION, bigrams: true, prefix: 0 }
    }
}

/// Error for settings this build cannot reproduce.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the model was made with tokenizer version {found}, this build has version {TOKENIZER_VERSION}: retrain it with `tweetguide train`"
)]
pub struct UnsupportedTokenizer {
    found: u32,
}

/// Reusable buffers, so that extracting features allocates nothing once warm.
#[derive(Debug, Default)]
pub struct Scratch {
    word: String,
    previous: String,
    pair: String,
    tag: String,
    unescaped: String,
}

/// Extracts features from tweets; cheap to clone and share between threads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tokenizer {
    settings: TokenizerSettings,
}

impl Tokenizer {
    /// A tokenizer with the given settings, if this build supports them.
    pub fn new(settings: TokenizerSettings) -> Result<Self, UnsupportedTokenizer> {
        if settings.version != TOKENIZER_VERSION {
            return Err(UnsupportedTokenizer { found: settings.version });
        }
        Ok(Tokenizer { settings })
    }

    /// The settings to store beside a model trained with this tokenizer.
    pub fn settings(&self) -> &TokenizerSettings {
        &self.settings
    }

    /// Calls `emit` once per feature occurrence, in text order.
    pub fn for_each_feature(&self, text: &str, scratch: &mut Scratch, mut emit: impl FnMut(&str)) {
        let Scratch { word, previous, pair, tag, unescaped } = scratch;
        let text = if text.contains('&') {
            unescape_html(text, unescaped);
            unescaped.as_str()
        } else {
            text
        };
        previous.clear();
        let prefix = usize::from(self.settings.prefix);
        let mut chain = WordChain { bigrams: self.settings.bigrams, prefix, word, previous, pair };
        for token in Lexer::new(text) {
            match token {
                Token::Word(raw) => chain.push(raw, &mut emit),
                Token::Hashtag(raw) => {
                    tag.clear();
                    tag.push('#');
                    push_folded(raw, tag);
                    emit(tag);
                    for part in camel_case_parts(raw) {
                        chain.push(part, &mut emit);
                    }
                }
                Token::Mention(raw) => {
                    tag.clear();
                    tag.push('@');
                    push_folded(raw, tag);
                    emit(tag);
                    emit("<mention>");
                    chain.break_chain();
                }
                Token::Url => {
                    emit("<url>");
                    chain.break_chain();
                }
                Token::Retweet => emit("<rt>"),
                Token::Emoji(c) => {
                    let mut buf = [0u8; 4];
                    emit(c.encode_utf8(&mut buf));
                    chain.break_chain();
                }
                Token::Number => chain.push_marker("<num>", &mut emit),
                Token::Price => chain.push_marker("<price>", &mut emit),
                Token::Percent => chain.push_marker("<percent>", &mut emit),
            }
        }
    }

    /// All features of a text, in order. Allocates: meant for tests, tools and
    /// explanations, not for the scoring path.
    pub fn features(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_feature(text, &mut Scratch::default(), |f| out.push(f.to_owned()));
        out
    }
}

/// The X API and many exports escape `&`, `<` and `>` in tweet texts
/// (`&amp;`, `&lt;`, `&gt;`); the other common entities are decoded too, so
/// that "Fish &amp; chips" gives the features of "Fish & chips".
fn unescape_html(text: &str, out: &mut String) {
    const ENTITIES: [(&str, char); 6] =
        [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#39;", '\''), ("&apos;", '\'')];
    out.clear();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match ENTITIES.iter().find(|(entity, _)| rest.starts_with(entity)) {
            Some((entity, c)) => {
                out.push(*c);
                rest = &rest[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// Emits words and the bigrams they form with the word before them.
struct WordChain<'s> {
    bigrams: bool,
    prefix: usize,
    word: &'s mut String,
    previous: &'s mut String,
    pair: &'s mut String,
}

impl WordChain<'_> {
    fn push(&mut self, raw: &str, emit: &mut impl FnMut(&str)) {
        self.word.clear();
        push_folded(raw, self.word);
        if self.word.is_empty() {
            // Only apostrophes or combining marks with no base letter (stray
            // diacritics, or U+FFFD debris around them): no word to count, and
            // no bigram may span it.
            self.break_chain();
            return;
        }
        // A prefix only for words at least two letters longer than it: a
        // word one letter longer is already nearly its own prefix.
        if self.prefix > 0
            && !self.word.starts_with('<')
            && let Some((cut, _)) = self.word.char_indices().nth(self.prefix)
            && self.word[cut..].chars().nth(1).is_some()
        {
            self.pair.clear();
            self.pair.push('~');
            self.pair.push_str(&self.word[..cut]);
            emit(self.pair);
        }
        self.emit_current(emit);
    }

    fn push_marker(&mut self, marker: &str, emit: &mut impl FnMut(&str)) {
        self.word.clear();
        self.word.push_str(marker);
        self.emit_current(emit);
    }

    fn emit_current(&mut self, emit: &mut impl FnMut(&str)) {
        emit(self.word);
        if self.bigrams && !self.previous.is_empty() {
            self.pair.clear();
            self.pair.push_str(self.previous);
            self.pair.push(' ');
            self.pair.push_str(self.word);
            emit(self.pair);
        }
        std::mem::swap(self.previous, self.word);
    }

    fn break_chain(&mut self) {
        self.previous.clear();
    }
}

/// Splits a hashtag body into the words it glues together:
/// `RéformeDesRetraites` → `Réforme`, `Des`, `Retraites`; `JO2024` → `JO`,
/// `2024`; `stop_mercosur` → `stop`, `mercosur`; `IVG` stays whole.
fn camel_case_parts(tag: &str) -> impl Iterator<Item = &str> {
    // Combining marks (decomposed accents) belong to the letter before them:
    // they are neither cut before nor looked at as a neighbour.
    let chars: Vec<(usize, char)> = tag.char_indices().filter(|&(_, c)| !is_combining_mark(c)).collect();
    let mut cuts = vec![0];
    for w in 1..chars.len() {
        let (i, c) = chars[w];
        let (_, before) = chars[w - 1];
        let after = chars.get(w + 1).map(|&(_, a)| a);
        let boundary = (before.is_lowercase() && c.is_uppercase())
            || (before.is_alphabetic() && c.is_ascii_digit())
            || (before.is_ascii_digit() && c.is_alphabetic())
            || (before.is_uppercase() && c.is_uppercase() && after.is_some_and(char::is_lowercase))
            || before == '_'
            || c == '_';
        if boundary {
            cuts.push(i);
        }
    }
    cuts.push(tag.len());
    let parts: Vec<&str> = cuts.windows(2).map(|w| &tag[w[0]..w[1]]).collect();
    parts.into_iter().map(|p| p.trim_matches('_')).filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str) -> Vec<String> {
        Tokenizer::default().features(text)
    }

    fn has(features: &[String], wanted: &str) -> bool {
        features.iter().any(|f| f == wanted)
    }

    #[test]
    fn hashtags_are_kept_and_split_on_case() {
        let f = features("Non à la #RéformeDesRetraites !");
        for wanted in ["#reformedesretraites", "reforme", "des", "retraites", "reforme des"] {
            assert!(has(&f, wanted), "missing {wanted:?} in {f:?}");
        }
        let parts: Vec<&str> = camel_case_parts("ABCCorp_launch2024").collect();
        assert_eq!(parts, ["ABC", "Corp", "launch", "2024"]);
        assert_eq!(camel_case_parts("IVG").collect::<Vec<_>>(), ["IVG"]);
    }

    #[test]
    fn accents_and_case_meet_on_one_feature() {
        let a = features("La réforme passe");
        let b = features("la REFORME passe");
        let c = features("la reforme passe");
        assert_eq!(a, b);
        assert_eq!(b, c);
    }

    #[test]
    fn french_retweet_with_elisions_and_price() {
        let f = features("RT @CafeDuPort: l’offre d'été : 2 cafés achetés = 1 offert, 3,50 € ☕ https://t.co/abc");
        assert_eq!(f[0], "<rt>");
        for wanted in ["@cafeduport", "<mention>", "offre", "ete", "offre ete", "<price>", "☕", "<url>", "cafes"] {
            assert!(has(&f, wanted), "missing {wanted:?} in {f:?}");
        }
        assert!(!has(&f, "l"), "elided article leaked: {f:?}");
        assert!(!has(&f, "d"), "elided article leaked: {f:?}");
    }

    #[test]
    fn english_tweet_with_mentions_percent_and_emoji() {
        let f = features("Huge thanks to @sam_builds for the shoutout 🙌 20% off all week, don't miss it!");
        for wanted in
            ["@sam_builds", "<mention>", "🙌", "<percent>", "<percent> off", "dont", "dont miss", "huge thanks"]
        {
            assert!(has(&f, wanted), "missing {wanted:?} in {f:?}");
        }
        // A mention breaks the bigram chain.
        assert!(!has(&f, "to for"));
    }

    #[test]
    fn bigrams_can_be_turned_off() {
        let tokenizer = Tokenizer::new(TokenizerSettings { bigrams: false, ..Default::default() }).expect("supported");
        assert_eq!(tokenizer.features("vote today"), ["vote", "today"]);
    }

    #[test]
    fn other_tokenizer_versions_are_refused() {
        let err = Tokenizer::new(TokenizerSettings { version: TOKENIZER_VERSION + 1, ..Default::default() })
            .expect_err("future version");
        assert!(err.to_string().contains("retrain"));
    }

    #[test]
    fn scratch_reuse_gives_identical_features() {
        let tokenizer = Tokenizer::default();
        let mut scratch = Scratch::default();
        let mut first = Vec::new();
        tokenizer.for_each_feature("Grève demain ✊ #JO2024", &mut scratch, |f| first.push(f.to_owned()));
        let mut second = Vec::new();
        tokenizer.for_each_feature("Grève demain ✊ #JO2024", &mut scratch, |f| second.push(f.to_owned()));
        assert_eq!(first, second);
        assert!(has(&first, "2024") && has(&first, "jo"));
    }

    #[test]
    fn html_entities_are_read_as_their_characters() {
        assert_eq!(features("Fish &amp; chips &lt;3"), features("Fish & chips <3"));
        // Only whole entities: a bare "&amp" or an unknown "&foo;" stays text.
        assert_eq!(features("R&amp;D &amp &foo;"), features("R&D &amp &foo;"));
        assert!(has(&features("&amp"), "amp"));
    }

    #[test]
    fn prefixes_let_word_forms_meet() {
        let tokenizer =
            Tokenizer::new(TokenizerSettings { prefix: 5, bigrams: false, ..Default::default() }).expect("supported");
        let a = tokenizer.features("réformes");
        let b = tokenizer.features("reformer");
        assert_eq!(a, ["~refor", "reformes"]);
        assert_eq!(b, ["~refor", "reformer"]);
        // Words at most one letter longer than the prefix give none.
        assert_eq!(tokenizer.features("forme reform"), ["forme", "reform"]);
    }

    #[test]
    fn empty_and_symbol_only_texts_have_no_features() {
        assert!(features("").is_empty());
        assert!(features(" … !!! ").is_empty());
    }
}
