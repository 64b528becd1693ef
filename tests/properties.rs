//! Property tests of the invariants the library promises, on generated
//! tweet-like text rather than plain random strings: French and English words
//! with accents and elisions, CamelCase hashtags, mentions, links, emoji
//! sequences, prices and percents, retweet prefixes, and the Unicode corner
//! cases that real timelines carry (combining marks, right-to-left text,
//! zero-width characters), up to the 25,000-character limit.
//!
//! Cases per property are kept low enough for the whole file to run in a few
//! seconds in a debug build; `PROPTEST_CASES=10000 cargo test --release --test
//! properties` runs a deeper search.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;
use tweetguide::Label;
use tweetguide::audit::{
    AuditOptions, GuidelineId, Profile, Report, Status, Thresholds, Timeline, TimelineTweet, TweetKind, audit,
};
use tweetguide::corpus::{Lang, MAX_TEXT_CHARS};
use tweetguide::model::{Model, ScoreScratch};
use tweetguide::proto::{report_from_proto, report_to_proto};
use tweetguide::text::{Scratch, Tokenizer, TokenizerSettings, fold};

static MODEL: LazyLock<Model> = LazyLock::new(|| Model::embedded_default().expect("the embedded default model loads"));

/// `PROPTEST_CASES` when set (for deeper runs), else `default`.
fn cases(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    // Failures are reported with their minimal input; nothing is written
    // next to the sources.
    Config { failure_persistence: None, ..Config::with_cases(cases) }
}

// ---------------------------------------------------------------------------
// Tweet-like text
// ---------------------------------------------------------------------------

/// Lowercase, letters-only words: usable on their own and as hashtag parts.
#[rustfmt::skip]
const PLAIN_WORDS: &[&str] = &[
    // French
    "réforme", "grève", "retraites", "équipe", "été", "français", "boulangerie", "nouveauté", "soldes", "merci",
    "découvrez", "élection", "gouvernement", "manifestation", "déçu", "œuvre", "cœur", "naïve", "noël", "ça",
    "où", "très", "fête", "chômage", "député", "à", "île", "façade", "pâtisserie", "forêt", "aïoli", "ex",
    "vœux", "cæsium",
    // English
    "new", "menu", "book", "now", "vote", "election", "thanks", "great", "thread", "launch", "sale", "off",
    "today", "shop", "policy", "congress", "tax", "read", "worth", "check", "out", "our", "team", "strike",
    "coffee", "huge", "is", "a", "i",
    // Other Latin
    "straße", "niño", "smørrebrød",
];

/// Words with apostrophes, elisions or capitals, as people type them.
#[rustfmt::skip]
const TYPED_WORDS: &[&str] = &[
    "l'équipe", "qu’on", "aujourd'hui", "aujourd’hui", "jusqu'à", "d'été", "l’offre", "c'est", "n'importe",
    "j'aime", "s'il", "don't", "we're", "it's", "rock'n'roll", "Réforme", "RÉFORME", "Grève", "ÉTÉ", "Noël",
    "L'Équipe", "IVG", "NASA", "McDonald's", "iPhone", "Œuvre", "ÇA", "Île-de-France", "week-end", "e-mail",
    "x-ray", "l`avis", "dʼaccord",
];

#[rustfmt::skip]
const EMOJI: &[&str] = &[
    "👏", "👏🏽", "🎉", "❤️", "❤", "🇫🇷", "🇬🇧", "👩‍💻", "👨‍👩‍👧", "✊", "✊🏿", "☕", "🙌", "🔥", "💯", "⭐", "➡️", "🤝", "😂",
    "🥐", "🗳️", "📢", "👇", "✅", "❌", "⚡", "🏳️‍🌈", "1️⃣", "#️⃣", "©️",
];

#[rustfmt::skip]
const NUMBERS: &[&str] = &[
    "1 000", "29,90 €", "29,90€", "-20%", "-20 %", "15 %", "$49", "£12.50", "15€90", "3.5", "2024",
    "1\u{202f}000", "100\u{a0}€", "€5", "¥1000", "0", "00", "1.2.3", "99,99 $", "+33 6 12 34 56 78", "50%",
    "x2", "3e5", "١٢٣",
];

const URLS: &[&str] = &[
    "https://t.co/Xy7pQ2",
    "http://example.com/a?b=c#d",
    "www.boulangerie-lea.fr",
    "HTTPS://T.CO/ABC",
    "https://fr.wikipedia.org/wiki/R%C3%A9forme_des_retraites",
    "https://example.org/é/🎉?q=#tag",
    "http://",
    "www.",
];

/// Text that has broken tokenizers before: combining marks with and without a
/// base, bidi controls, zero-width characters, other scripts, odd case
/// mappings and ligatures, control characters.
#[rustfmt::skip]
const WEIRD: &[&str] = &[
    "e\u{301}", "\u{301}", "\u{301}\u{302}\u{303}", "Z\u{337}\u{322}a\u{335}l\u{336}g\u{338}o\u{334}",
    "\u{200b}", "\u{200c}", "\u{200d}", "\u{2060}", "\u{feff}", "\u{200e}", "\u{200f}",
    "\u{202e}gnirts desrever\u{202c}", "\u{2067}مرحبا\u{2069}", "مرحبا بالعالم", "שָׁלוֹם עולם", "東京タワー",
    "नमस्ते दुनिया", "สวัสดีครับ", "Привет мир", "Ελληνικά ς", "İstanbul", "ǅemal", "ﬁnance", "①②③", "x²",
    "ＡＢＣ ＃ｔａｇ ＠ｕｓｅｒ", "\t", "\r\n", "\u{0}", "\u{fffd}", "\u{1f3fb}", "\u{fe0f}", "'", "’’", "@", "#", "@_",
    "#_", "…", "«\u{a0}»", "RT", "rt @",
];

const SEPARATORS: &[&str] = &[" ", " ", " ", " ", "  ", "\n", ", ", ". ", "! ", " — ", "\u{a0}", "", "", " : ", "?"];

/// One piece of a tweet.
#[derive(Debug, Clone)]
enum Piece {
    Word(String),
    Hashtag(String),
    Mention(String),
    Url(String),
    Emoji(String),
    Number(String),
    Retweet(String),
    Weird(String),
}

impl Piece {
    fn render(&self) -> String {
        match self {
            Piece::Word(s) | Piece::Url(s) | Piece::Emoji(s) | Piece::Number(s) | Piece::Weird(s) => s.clone(),
            Piece::Hashtag(s) => format!("#{s}"),
            Piece::Mention(s) => format!("@{s}"),
            Piece::Retweet(s) => format!("RT @{s}:"),
        }
    }
}

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool).prop_map(str::to_owned)
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A hashtag body as `(body, words it should split into)`: CamelCase
/// (`RéformeDesRetraites`), snake_case (`stop_mercosur`), or with a number
/// (`JO2024`).
fn camel_hashtag() -> impl Strategy<Value = (String, Vec<String>)> {
    // Single letters are left out: `#AI` cannot tell "a i" from "ai".
    let word = pick(PLAIN_WORDS).prop_filter("two letters or more", |w| w.chars().count() > 1);
    (vec(word, 1..5), prop::option::of(0u32..100_000), any::<bool>()).prop_map(|(words, number, snake)| {
        let mut parts: Vec<String> = words;
        if let Some(n) = number {
            parts.push(n.to_string());
        }
        let body = if snake {
            parts.join("_")
        } else {
            // Digits glue to any neighbour: the split on letter/digit
            // boundaries is the lexer's, not the capital's.
            parts.iter().map(|p| capitalise(p)).collect::<String>()
        };
        (body, parts)
    })
}

fn handle() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_]{1,15}",
        pick(&["Boulangerie_Lea", "sam_builds", "CafeDuPort", "élysée", "ＦＲ", "_", "__init__", "x"]),
    ]
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        6 => prop_oneof![pick(PLAIN_WORDS), pick(TYPED_WORDS)].prop_map(Piece::Word),
        2 => prop_oneof![camel_hashtag().prop_map(|(body, _)| body), "[a-zA-Z0-9_]{1,12}", pick(PLAIN_WORDS)]
            .prop_map(Piece::Hashtag),
        1 => handle().prop_map(Piece::Mention),
        1 => prop_oneof![pick(URLS), "https://t\\.co/[A-Za-z0-9]{1,10}"].prop_map(Piece::Url),
        1 => pick(EMOJI).prop_map(Piece::Emoji),
        1 => prop_oneof![
            pick(NUMBERS),
            (0u32..1_000_000).prop_map(|n| n.to_string()),
            (0u32..1000, 0u32..100).prop_map(|(e, c)| format!("{e},{c:02} €")),
            (0u32..100).prop_map(|p| format!("-{p}%")),
        ]
        .prop_map(Piece::Number),
        1 => handle().prop_map(Piece::Retweet),
        1 => prop_oneof![pick(WEIRD), vec(any::<char>(), 1..8).prop_map(String::from_iter)].prop_map(Piece::Weird),
    ]
}

fn render(pieces: &[(Piece, &str)]) -> String {
    let mut text = String::new();
    for (piece, separator) in pieces {
        text.push_str(&piece.render());
        text.push_str(separator);
    }
    text
}

fn pieces(max: usize) -> impl Strategy<Value = Vec<(Piece, &'static str)>> {
    vec((piece(), prop::sample::select(SEPARATORS)), 0..max)
}

/// Cuts `text` to at most `max` characters.
fn truncate_chars(mut text: String, max: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(max) {
        text.truncate(at);
    }
    text
}

/// A tweet-like text of at most `MAX_TEXT_CHARS` characters: mostly built
/// from pieces, sometimes arbitrary Unicode, sometimes a long thread pasted
/// as one text (repeated pieces up to the limit).
fn tweet_text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => pieces(40).prop_map(|p| render(&p)),
        2 => any::<String>(),
        1 => "\\PC{0,300}",
        1 => (pieces(30), 1000usize..=MAX_TEXT_CHARS).prop_map(|(p, len)| {
            let unit = render(&p);
            let unit = if unit.is_empty() { "Grève générale 🔥 #JO2024 ".to_owned() } else { unit };
            truncate_chars(unit.repeat(len / unit.chars().count().max(1) + 1), len)
        }),
        1 => Just("a".repeat(MAX_TEXT_CHARS)),
        1 => Just("🔥".repeat(MAX_TEXT_CHARS)),
        1 => Just("\u{301}".repeat(MAX_TEXT_CHARS)),
    ]
}

/// A short tweet, for timelines.
fn short_tweet() -> impl Strategy<Value = String> {
    prop_oneof![8 => pieces(20).prop_map(|p| render(&p)), 1 => "\\PC{0,60}"]
}

// ---------------------------------------------------------------------------
// (a) The default model's predictions
// ---------------------------------------------------------------------------

fn check_probabilities(p: &[f64; Label::COUNT], label: Label, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(p.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)), "{what}: bad probabilities {p:?}");
    let sum: f64 = p.iter().sum();
    prop_assert!((sum - 1.0).abs() < 1e-9, "{what}: probabilities {p:?} sum to {sum}");
    let best = p[label.index()];
    prop_assert!(p.iter().all(|v| *v <= best), "{what}: label {label:?} is not the arg-max of {p:?}");
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn predictions_are_finite_probabilities_with_the_label_as_arg_max(text in tweet_text()) {
        let prediction = MODEL.predict(&text);
        check_probabilities(&prediction.probabilities, prediction.label, "predict")?;
        prop_assert!(prediction.top_features.len() <= tweetguide::model::DEFAULT_TOP_FEATURES);
        for f in &prediction.top_features {
            prop_assert!(f.weight.is_finite() && f.weight > 0.0, "top feature {f:?}");
            prop_assert!(!f.feature.is_empty());
        }
        prop_assert!(
            prediction.top_features.windows(2).all(|w| w[0].weight >= w[1].weight),
            "top features not strongest first: {:?}", prediction.top_features
        );

        // The cheaper paths agree with the full prediction, and a scratch that
        // has seen other text changes nothing.
        let mut scratch = ScoreScratch::default();
        let _ = MODEL.predict_with("Tous en grève ✊ #RéformeDesRetraites @elysee", &mut scratch, 20);
        let again = MODEL.predict_with(&text, &mut scratch, 0);
        prop_assert_eq!(again.probabilities, prediction.probabilities);
        prop_assert_eq!(again.label, prediction.label);
        prop_assert!(again.top_features.is_empty());
        prop_assert_eq!(MODEL.label_with(&text, &mut scratch), prediction.label);
    }
}

// ---------------------------------------------------------------------------
// (b) The tokenizer
// ---------------------------------------------------------------------------

fn with_bigrams(bigrams: bool) -> Tokenizer {
    Tokenizer::new(TokenizerSettings { bigrams, ..TokenizerSettings::default() }).expect("this build's settings")
}

fn features(text: &str) -> Vec<String> {
    Tokenizer::default().features(text)
}

/// Replaces characters one for one (or one for several).
fn map_chars(text: &str, f: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        out.push_str(f(c).unwrap_or_else(|| c.encode_utf8(&mut buf)));
    }
    out
}

/// Precomposed French (and a few other Latin) letters and their base letter,
/// same case.
#[rustfmt::skip]
const ACCENTED: &[(char, &str)] = &[
    ('à', "a"), ('â', "a"), ('ä', "a"), ('á', "a"), ('ç', "c"), ('é', "e"), ('è', "e"), ('ê', "e"), ('ë', "e"),
    ('î', "i"), ('ï', "i"), ('í', "i"), ('ô', "o"), ('ö', "o"), ('ó', "o"), ('ù', "u"), ('û', "u"), ('ü', "u"),
    ('ú', "u"), ('ÿ', "y"), ('ñ', "n"), ('À', "A"), ('Â', "A"), ('Ä', "A"), ('Ç', "C"), ('É', "E"), ('È', "E"),
    ('Ê', "E"), ('Ë', "E"), ('Î', "I"), ('Ï', "I"), ('Ô', "O"), ('Ö', "O"), ('Ù', "U"), ('Û', "U"), ('Ü', "U"),
    ('Ÿ', "Y"), ('Ñ', "N"),
];

/// Letter pairs (lower, upper) whose case the case-flip property may change.
#[rustfmt::skip]
const CASE_PAIRS: &[(char, char)] = &[
    ('à', 'À'), ('â', 'Â'), ('ä', 'Ä'), ('ç', 'Ç'), ('é', 'É'), ('è', 'È'), ('ê', 'Ê'), ('ë', 'Ë'), ('î', 'Î'),
    ('ï', 'Ï'), ('ô', 'Ô'), ('ö', 'Ö'), ('ù', 'Ù'), ('û', 'Û'), ('ü', 'Ü'), ('ÿ', 'Ÿ'), ('æ', 'Æ'), ('œ', 'Œ'),
    ('ñ', 'Ñ'),
];

fn flip_case(c: char) -> char {
    if c.is_ascii_alphabetic() {
        return if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
    }
    CASE_PAIRS
        .iter()
        .find_map(|&(lower, upper)| {
            if c == lower {
                Some(upper)
            } else if c == upper {
                Some(lower)
            } else {
                None
            }
        })
        .unwrap_or(c)
}

/// A word as the lexer hands it to `fold`: letters, digits, apostrophes.
fn lexer_word() -> impl Strategy<Value = String> {
    prop_oneof![pick(PLAIN_WORDS), pick(TYPED_WORDS), "\\PC{0,20}"]
        .prop_map(|w| w.chars().filter(|c| c.is_alphanumeric() || matches!(c, '\'' | '’' | 'ʼ' | '`')).collect())
}

proptest! {
    #![proptest_config(cases(256))]

    /// Never panics, deterministic across calls, clones and scratch buffers,
    /// and never emits an empty feature.
    #[test]
    fn tokenizer_is_deterministic_and_emits_no_empty_feature(text in tweet_text(), other in short_tweet()) {
        for bigrams in [true, false] {
            let tokenizer = with_bigrams(bigrams);
            let first = tokenizer.features(&text);
            prop_assert!(first.iter().all(|f| !f.is_empty()), "empty feature in {first:?}");
            prop_assert_eq!(&first, &tokenizer.features(&text));
            prop_assert_eq!(&first, &tokenizer.clone().features(&text));

            // A scratch that just held another text gives the same features.
            let mut scratch = Scratch::default();
            tokenizer.for_each_feature(&other, &mut scratch, |_| {});
            let mut reused = Vec::new();
            tokenizer.for_each_feature(&text, &mut scratch, |f| reused.push(f.to_owned()));
            prop_assert_eq!(&first, &reused);
            let mut fresh = Vec::new();
            tokenizer.for_each_feature(&text, &mut Scratch::default(), |f| fresh.push(f.to_owned()));
            prop_assert_eq!(&first, &fresh);
        }
    }

    /// Bigrams only add features: dropping every two-word feature gives the
    /// unigram tokenizer's output, and each bigram joins two neighbouring
    /// unigrams.
    #[test]
    fn bigrams_are_pairs_of_adjacent_unigrams(text in tweet_text()) {
        let unigrams = with_bigrams(false).features(&text);
        let all = with_bigrams(true).features(&text);
        prop_assert!(unigrams.iter().all(|f| !f.contains(' ')), "a unigram with a space in {unigrams:?}");
        let kept: Vec<&String> = all.iter().filter(|f| !f.contains(' ')).collect();
        prop_assert_eq!(kept, unigrams.iter().collect::<Vec<_>>());
        for (i, f) in all.iter().enumerate() {
            if let Some((left, right)) = f.split_once(' ') {
                prop_assert!(i >= 2 && all[i - 1] == right, "bigram {f:?} does not follow its second word in {all:?}");
                prop_assert!(all[..i - 1].iter().rev().any(|g| g == left), "bigram {f:?} without its first word");
            }
        }
    }

    /// Apostrophes are folded whichever keyboard typed them (', ’ or `);
    /// full-width `＠` and `＃` are mentions and hashtags like `@` and `#`.
    #[test]
    fn apostrophe_and_full_width_variants_give_the_same_features(
        text in tweet_text(),
        apostrophe in prop::sample::select(&["'", "’", "`"][..]),
        full_width in any::<bool>(),
    ) {
        let variant = map_chars(&text, |c| match c {
            '\'' | '’' | '`' => Some(apostrophe),
            '@' if full_width => Some("＠"),
            '#' if full_width => Some("＃"),
            '＠' if !full_width => Some("@"),
            '＃' if !full_width => Some("#"),
            _ => None,
        });
        prop_assert_eq!(features(&text), features(&variant), "{:?} vs {:?}", text, variant);
    }

    /// Accents are folded: stripping them from precomposed letters (keeping
    /// the case, so that hashtags split the same) changes nothing; nor does
    /// spelling out the ligatures œ, æ and ß.
    #[test]
    fn accents_and_ligatures_are_folded(text in tweet_text()) {
        let stripped = map_chars(&text, |c| ACCENTED.iter().find(|(a, _)| *a == c).map(|(_, base)| *base));
        prop_assert_eq!(features(&text), features(&stripped));
        let spelled = map_chars(&text, |c| match c {
            'œ' => Some("oe"),
            'æ' => Some("ae"),
            'ß' => Some("ss"),
            _ => None,
        });
        prop_assert_eq!(features(&text), features(&spelled));
    }

    /// Case is folded. Two places are case-sensitive on purpose and are kept
    /// out: hashtags split on capitals (`#RéformeDesRetraites`), and only a
    /// capitalised `RT` starts a retweet; so the text has no `#` and starts
    /// with a word.
    #[test]
    fn case_is_folded_outside_hashtags(text in tweet_text(), flips in vec(any::<bool>(), 64)) {
        let base = format!("x {}", map_chars(&text, |c| matches!(c, '#' | '＃').then_some(" ")));
        let flipped: String = base
            .chars()
            .enumerate()
            .map(|(i, c)| if flips[i % flips.len()] { flip_case(c) } else { c })
            .collect();
        prop_assert_eq!(features(&base), features(&flipped), "{:?} vs {:?}", base, flipped);
    }

    /// Runs of spaces count as one.
    #[test]
    fn repeated_spaces_change_nothing(text in tweet_text()) {
        let mut single = String::with_capacity(text.len());
        for c in text.chars() {
            if !(c == ' ' && single.ends_with(' ')) {
                single.push(c);
            }
        }
        prop_assert_eq!(features(&text), features(&single));
    }

    /// A CamelCase, snake_case or numbered hashtag gives the tag itself and
    /// then exactly the words it glues together, each folded.
    #[test]
    fn hashtags_split_into_their_words(
        (body, parts) in camel_hashtag(),
        prefix in pick(&["", "Non à la ", "RT @x: "]),
    ) {
        let got = with_bigrams(false).features(&format!("{prefix}#{body}"));
        let prefix_features = with_bigrams(false).features(&prefix);
        let mut expected = prefix_features;
        expected.push(format!("#{}", fold(&body)));
        expected.extend(parts.iter().map(|p| fold(p)));
        prop_assert_eq!(got, expected);
    }

    /// `fold` strips diacritics whether they come precomposed (NFC) or as
    /// combining marks (NFD), and a folded word folds to itself. (Words as
    /// the lexer hands them over: letters, digits and apostrophes. U+1FEF,
    /// a Greek accent that decomposes to a backtick, would fold to "`" and
    /// then to "", but the lexer never puts it in a word.)
    #[test]
    fn fold_is_normalisation_insensitive_and_idempotent(word in lexer_word()) {
        use unicode_normalization::UnicodeNormalization;
        let nfc: String = word.nfc().collect();
        let nfd: String = word.nfd().collect();
        prop_assert_eq!(fold(&nfc), fold(&nfd));
        let once = fold(&word);
        prop_assert_eq!(fold(&once), once.clone());
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// U+02BC (ʼ) is an apostrophe to the people typing it, though Unicode
    /// calls it a letter: "dʼaccord" must give `accord` like "d'accord".
    /// Found by this property: the lexer once took it for part of the word.
    #[test]
    fn modifier_letter_apostrophe_is_an_apostrophe(text in tweet_text()) {
        let variant = map_chars(&text, |c| (c == '\'').then_some("ʼ"));
        prop_assert_eq!(features(&text), features(&variant), "{:?} vs {:?}", text, variant);
    }

    /// The same text in NFC and NFD (as macOS keyboards and some copy-pastes
    /// produce it) gives the same features. Found by this property: the
    /// lexer once cut "re\u{301}forme" into `re` and `forme`.
    #[test]
    fn nfc_and_nfd_give_the_same_features(text in tweet_text()) {
        use unicode_normalization::UnicodeNormalization;
        let nfc: String = text.nfc().collect();
        let nfd: String = text.nfd().collect();
        prop_assert_eq!(features(&nfc), features(&nfd));
    }
}

// ---------------------------------------------------------------------------
// (c) Audits of generated timelines, and (d) the proto round trip
// ---------------------------------------------------------------------------

const WEEK_SECONDS: i64 = 7 * 86_400;

fn date_between(from: i64, to: i64) -> impl Strategy<Value = DateTime<Utc>> {
    (from..to, 0u32..1_000_000_000)
        .prop_map(|(seconds, nanos)| DateTime::from_timestamp(seconds, nanos).expect("in chrono's range"))
}

fn share() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 1 => Just(1.0), 6 => 0.0..=1.0f64]
}

fn thresholds() -> impl Strategy<Value = Thresholds> {
    let custom = (
        (share(), share(), share(), share()),
        prop_oneof![Just(0.0), 0.0..30.0f64],
        prop_oneof![Just(1u32), Just(520u32), 1u32..=60],
        prop_oneof![Just(f64::MIN_POSITIVE), 0.01..400.0f64],
        prop_oneof![Just(1u32), 1u32..=40],
    )
        .prop_map(|((a, b, c, d), per_week, window, silence, min_tweets)| Thresholds {
            min_tweets_per_week: per_week,
            activity_window_weeks: window,
            max_silence_days: silence,
            self_promotion_warn: a.min(b),
            self_promotion_fail: a.max(b),
            political_warn: c.min(d),
            political_fail: c.max(d),
            min_tweets,
        });
    prop_oneof![1 => Just(Thresholds::default()), 3 => custom]
}

fn profile() -> impl Strategy<Value = Profile> {
    (
        "[A-Za-z0-9_]{0,15}",
        "\\PC{0,20}",
        prop::option::of(pick(&[
            "https://pbs.twimg.com/profile_images/1/logo_normal.jpg",
            "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
            "",
            "  ",
        ])),
        prop::option::of(any::<bool>()),
        any::<bool>(),
        prop::option::of(0u64..100_000),
        prop::option::of(0u64..5_000),
    )
        .prop_map(|(handle, display_name, url, default_avatar, protected, followers, following)| Profile {
            handle,
            display_name,
            profile_image_url: url,
            default_avatar,
            protected,
            followers,
            following,
            created_at: None,
        })
}

/// A timeline with its evaluation options: tweets of every kind, most dated
/// (some in the future of `as_of`, some more than two years old), some not.
fn audit_case(max_tweets: usize) -> impl Strategy<Value = (Timeline, AuditOptions)> {
    // 2015-01-01 to 2030-01-01.
    date_between(1_420_070_400, 1_893_456_000).prop_flat_map(move |as_of| {
        let t = as_of.timestamp();
        let date = prop_oneof![
            1 => Just(None),
            6 => date_between(t - 20 * WEEK_SECONDS, t + 1).prop_map(Some),
            2 => date_between(t - 3 * 52 * WEEK_SECONDS, t + 1).prop_map(Some),
            1 => date_between(t + 1, t + 30 * 86_400).prop_map(Some),
            1 => Just(Some(as_of)),
        ];
        let kind = prop::sample::select(&TweetKind::ALL[..]);
        let tweets = vec((short_tweet(), date, kind), 0..=max_tweets);
        (profile(), tweets, thresholds(), any::<bool>(), any::<bool>()).prop_map(
            move |(profile, tweets, thresholds, french, political_intended)| {
                let tweets = tweets
                    .into_iter()
                    .enumerate()
                    .map(|(i, (text, created_at, kind))| TimelineTweet { id: format!("t{i}"), text, created_at, kind })
                    .collect();
                let lang = if french { Lang::Fr } else { Lang::En };
                let options = AuditOptions { as_of, lang, thresholds, political_intended };
                (Timeline { profile, tweets }, options)
            },
        )
    })
}

fn check_audit(report: &Report, timeline: &Timeline, options: &AuditOptions) -> Result<(), TestCaseError> {
    let n = timeline.tweets.len();
    let stats = &report.stats;
    prop_assert_eq!(stats.tweets as usize, n);
    prop_assert_eq!(report.tweets.len(), n);

    // Counts add up, and match the tweets themselves.
    prop_assert_eq!(stats.by_label.values().sum::<u64>(), stats.tweets);
    prop_assert_eq!(stats.by_kind.values().sum::<u64>(), stats.tweets);
    for label in Label::ALL {
        let counted = report.tweets.iter().filter(|t| t.label == label).count() as u64;
        prop_assert_eq!(stats.by_label.get(&label).copied().unwrap_or(0), counted);
    }
    for kind in TweetKind::ALL {
        let counted = timeline.tweets.iter().filter(|t| t.kind == kind).count() as u64;
        prop_assert_eq!(stats.by_kind.get(&kind).copied().unwrap_or(0), counted);
    }
    let undated = timeline.tweets.iter().filter(|t| t.created_at.is_none()).count() as u64;
    prop_assert_eq!(stats.undated, undated);

    // Shares are within [0, 1] and add up to 1 (0 for an empty timeline).
    let expected = if n == 0 { 0.0 } else { 1.0 };
    for shares in
        [stats.label_shares.values().copied().collect::<Vec<f64>>(), stats.kind_shares.values().copied().collect()]
    {
        prop_assert!(shares.iter().all(|s| s.is_finite() && (0.0..=1.0).contains(s)), "bad shares {shares:?}");
        let sum: f64 = shares.iter().sum();
        prop_assert!((sum - expected).abs() < 1e-9, "shares {shares:?} sum to {sum}");
    }

    // Weekly buckets: never more than the dated tweets (future tweets and
    // those older than the 104 drawn weeks are left out), Mondays, one week
    // apart, ending with the week of `as_of`.
    let weekly: u64 = stats.weekly.iter().flat_map(|w| w.by_label.values()).sum();
    let dated_past = timeline.tweets.iter().filter(|t| t.created_at.is_some_and(|d| d <= options.as_of)).count();
    prop_assert!(weekly <= stats.tweets - stats.undated, "weekly buckets hold {weekly} tweets");
    prop_assert!(weekly as usize <= dated_past);
    prop_assert!(stats.weekly.len() <= 104);
    prop_assert!(stats.weekly.iter().all(|w| w.week_start.weekday() == Weekday::Mon));
    prop_assert!(stats.weekly.windows(2).all(|w| w[1].week_start - w[0].week_start == Duration::weeks(1)));
    if let Some(last) = stats.weekly.last() {
        let as_of_day = options.as_of.date_naive();
        prop_assert!(last.week_start <= as_of_day && as_of_day - last.week_start < Duration::weeks(1));
    }
    prop_assert_eq!(stats.weekly.is_empty(), dated_past == 0);

    prop_assert!(stats.tweets_per_week.is_finite() && stats.tweets_per_week >= 0.0);
    prop_assert!(stats.days_since_newest.is_none_or(|d| d.is_finite() && d >= 0.0));
    prop_assert!(stats.longest_gap_days.is_none_or(|d| d.is_finite() && d >= 0.0));
    prop_assert_eq!(stats.activity_window_weeks, options.thresholds.activity_window_weeks);

    // Five verdicts, G1 to G5; the score is their documented average.
    let ids: Vec<GuidelineId> = report.guidelines.iter().map(|g| g.id).collect();
    prop_assert_eq!(ids, GuidelineId::ALL.to_vec());
    prop_assert!(report.overall_score <= 100);
    let judged: Vec<f64> = report
        .guidelines
        .iter()
        .filter_map(|g| match g.status {
            Status::Pass => Some(1.0),
            Status::Warn => Some(0.5),
            Status::Fail => Some(0.0),
            Status::InsufficientData => None,
        })
        .collect();
    let score =
        if judged.is_empty() { 0.0 } else { (100.0 * judged.iter().sum::<f64>() / judged.len() as f64).round() };
    prop_assert_eq!(f64::from(report.overall_score), score);
    let enough = n as u64 >= u64::from(options.thresholds.min_tweets);
    for g in &report.guidelines[3..] {
        prop_assert_eq!(g.status == Status::InsufficientData, !enough, "{:?}", g);
        prop_assert!(g.evidence.len() <= 5);
    }
    let g1 = match timeline.profile.has_default_avatar() {
        None => Status::InsufficientData,
        Some(true) => Status::Fail,
        Some(false) => Status::Pass,
    };
    prop_assert_eq!(report.guidelines[0].status, g1);
    let g2 = if timeline.profile.protected { Status::Fail } else { Status::Pass };
    prop_assert_eq!(report.guidelines[1].status, g2);

    // Tweets come back in order, each with the model's own prediction.
    for (result, tweet) in report.tweets.iter().zip(&timeline.tweets) {
        prop_assert_eq!(&result.id, &tweet.id);
        prop_assert_eq!(result.kind, tweet.kind);
        prop_assert_eq!(result.created_at, tweet.created_at);
        let prediction = MODEL.predict(&tweet.text);
        prop_assert_eq!(result.label, prediction.label);
        let p = Label::ALL.map(|l| result.probabilities.get(&l).copied().unwrap_or(f64::NAN));
        check_probabilities(&p, result.label, "audit")?;
    }
    prop_assert_eq!(&report.model_version, MODEL.id());
    Ok(())
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn audit_reports_add_up((timeline, options) in audit_case(200)) {
        prop_assert!(options.thresholds.validate().is_ok(), "generated invalid thresholds {:?}", options.thresholds);
        let report = audit(&MODEL, &timeline, &options);
        check_audit(&report, &timeline, &options)?;
    }

    /// What the server sends is what the client rebuilds, through the bytes
    /// on the wire.
    #[test]
    fn reports_survive_the_proto_round_trip((timeline, options) in audit_case(60)) {
        use prost::Message;
        let report = audit(&MODEL, &timeline, &options);
        let message = report_to_proto(&report);
        let direct = report_from_proto(message.clone(), &timeline).expect("a report the server made reads back");
        prop_assert_eq!(&direct, &report);
        let decoded = tweetguide::proto::v1::TimelineReport::decode(message.encode_to_vec().as_slice())
            .expect("decodes");
        let through_bytes = report_from_proto(decoded, &timeline).expect("reads back after encoding");
        prop_assert_eq!(&through_bytes, &report);
    }
}

/// The generators do produce what the properties claim to cover.
#[test]
fn generators_cover_the_interesting_cases() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = tweet_text();
    let texts: Vec<String> = (0..2000).map(|_| strategy.new_tree(&mut runner).expect("value").current()).collect();
    let any = |p: &dyn Fn(&str) -> bool| texts.iter().any(|t| p(t));
    assert!(any(&|t| t.contains('#') && t.chars().any(char::is_uppercase)), "CamelCase hashtags");
    assert!(any(&|t| t.contains('@')), "mentions");
    assert!(any(&|t| t.contains("https://") || t.contains("www.")), "links");
    assert!(any(&|t| t.contains('€') || t.contains('%')), "prices and percents");
    assert!(any(&|t| t.starts_with("RT @")), "retweet prefixes");
    assert!(any(&|t| t.contains('\u{301}')), "combining marks");
    assert!(any(&|t| t.contains('\u{200b}') || t.contains('\u{200d}')), "zero-width characters");
    assert!(any(&|t| t.chars().any(|c| ('\u{590}'..='\u{6ff}').contains(&c))), "right-to-left scripts");
    assert!(any(&|t| t.chars().any(|c| c as u32 >= 0x1F300)), "emoji");
    assert!(any(&|t| t.chars().count() == MAX_TEXT_CHARS), "texts at the limit");
    assert!(texts.iter().all(|t| t.chars().count() <= MAX_TEXT_CHARS), "no text over the limit");
}
