//! Splits a raw tweet into typed pieces: words, hashtags, mentions, URLs,
//! emojis, numbers. It never allocates; each token borrows from the tweet.

use unicode_normalization::char::is_combining_mark;

/// One piece of a tweet, as the lexer sees it (before any case folding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A run of letters and digits. French elisions ("l'", "qu’") are already
    /// cut off; other apostrophes are kept inside and dropped when folding.
    Word(&'a str),
    /// `#Tag` without its `#`.
    Hashtag(&'a str),
    /// `@handle` without its `@`.
    Mention(&'a str),
    /// A link, whatever its shape after the scheme.
    Url,
    /// A single pictographic character.
    Emoji(char),
    /// A number with no unit attached.
    Number,
    /// A number with a currency symbol before or after it.
    Price,
    /// A number followed by `%`.
    Percent,
    /// The `RT @user:` prefix of an old-style retweet.
    Retweet,
}

/// French words that elide their vowel before another word: "l'équipe",
/// "qu’on", "jusqu'à". The part before the apostrophe carries no meaning of its
/// own, so it is dropped.
const ELISIONS: [&str; 13] = ["l", "d", "j", "n", "c", "s", "m", "t", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"];

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`')
}

/// Letters, digits, and the combining marks that follow them: decomposed
/// text (NFD, as some keyboards and copy-pastes give it) writes "é" as "e"
/// plus U+0301, which must stay one word for folding to meet "é". U+02BC is
/// a letter to Unicode but an apostrophe to the people typing it.
fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() && c != 'ʼ') || is_combining_mark(c)
}

fn is_currency(c: char) -> bool {
    matches!(c, '€' | '$' | '£' | '¥')
}

fn is_handle_char(c: char) -> bool {
    is_word_char(c) || c == '_'
}

/// Pictographs, dingbats and symbols that people use as emojis. Modifiers
/// (skin tones, variation selectors, joiners) are not emojis on their own.
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F300..=0x1F3FA | 0x1F400..=0x1F64F | 0x1F680..=0x1F6FF | 0x1F900..=0x1F9FF
        | 0x1FA70..=0x1FAFF | 0x1F1E6..=0x1F1FF | 0x2600..=0x27BF | 0x2B50 | 0x2B55
        | 0x2190..=0x21FF | 0x1F004 | 0x1F0CF | 0x1F170..=0x1F251)
}

/// The symbol a precomposed one is drawn on: "↚" (U+219A) is "←" with a
/// stroke, which text in decomposed form writes as "←" plus a combining
/// mark the lexer skips; both give "←".
fn base_symbol(c: char) -> char {
    let mut base = c;
    let mut first = true;
    unicode_normalization::char::decompose_canonical(c, |part| {
        if first {
            base = part;
            first = false;
        }
    });
    base
}

/// The lexer: an iterator of tokens over one tweet.
pub(crate) struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    at_start: bool,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lexer { text, pos: 0, at_start: true }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    /// Advances while `keep` holds and returns the consumed slice.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        let len = self.rest().char_indices().find(|&(_, c)| !keep(c)).map_or(self.rest().len(), |(i, _)| i);
        self.pos += len;
        &self.text[start..self.pos]
    }

    fn starts_with_ignore_case(&self, prefix: &str) -> bool {
        self.rest().get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    }

    /// Consumes "RT @x:" at the start of a tweet; only the marker is kept, the
    /// mention that follows is lexed as usual.
    fn retweet_prefix(&mut self) -> bool {
        let rest = self.rest();
        if rest.starts_with("RT @") || rest.starts_with("RT:") || rest.starts_with("RT ") {
            self.pos += 2;
            return true;
        }
        false
    }

    /// Digits with inner separators ("1 000", "29,90", "3.5"), then a unit.
    fn number(&mut self, after_currency: bool) -> Token<'a> {
        loop {
            self.take_while(|c| c.is_ascii_digit());
            let sep = self.peek();
            let next = self.peek_second();
            if matches!(sep, Some(',' | '.' | '\u{202f}' | '\u{a0}')) && next.is_some_and(|c| c.is_ascii_digit()) {
                self.pos += sep.map_or(0, char::len_utf8);
            } else {
                break;
            }
        }
        if after_currency {
            return Token::Price;
        }
        // A unit may follow after a space: "29,90 €", "15 %".
        let save = self.pos;
        self.take_while(|c| c == ' ' || c == '\u{a0}' || c == '\u{202f}');
        match self.peek() {
            Some('%') => {
                self.pos += 1;
                Token::Percent
            }
            Some(c) if is_currency(c) => {
                self.pos += c.len_utf8();
                // "29€90": the cents belong to the same price.
                self.take_while(|c| c.is_ascii_digit());
                Token::Price
            }
            _ => {
                self.pos = save;
                Token::Number
            }
        }
    }

    /// Letters and digits, cutting French elisions and keeping other
    /// apostrophes inside the word ("don't", "aujourd'hui").
    fn word(&mut self) -> Token<'a> {
        let mut start = self.pos;
        loop {
            self.take_while(is_word_char);
            match (self.peek(), self.peek_second()) {
                (Some(a), Some(next)) if is_apostrophe(a) && next.is_alphabetic() && !is_apostrophe(next) => {
                    let head = &self.text[start..self.pos];
                    self.pos += a.len_utf8();
                    // Folded, so that an accented head elides like its
                    // plain spelling ("ç'a" like "c'a").
                    let folded = super::normalize::fold(head);
                    if ELISIONS.contains(&folded.as_str()) {
                        start = self.pos;
                    }
                }
                _ => break,
            }
        }
        Token::Word(&self.text[start..self.pos])
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let c = self.peek()?;
            if self.at_start {
                self.at_start = false;
                self.take_while(char::is_whitespace);
                if self.retweet_prefix() {
                    return Some(Token::Retweet);
                }
                continue;
            }
            if self.starts_with_ignore_case("http://")
                || self.starts_with_ignore_case("https://")
                || self.starts_with_ignore_case("www.")
            {
                self.take_while(|c| !c.is_whitespace());
                return Some(Token::Url);
            }
            let next_is_handle = self.peek_second().is_some_and(is_handle_char);
            match c {
                '@' | '＠' if next_is_handle => {
                    self.pos += c.len_utf8();
                    return Some(Token::Mention(self.take_while(is_handle_char)));
                }
                '#' | '＃' if next_is_handle => {
                    self.pos += c.len_utf8();
                    return Some(Token::Hashtag(self.take_while(is_handle_char)));
                }
                c if is_currency(c) && self.peek_second().is_some_and(|d| d.is_ascii_digit()) => {
                    self.pos += c.len_utf8();
                    return Some(self.number(true));
                }
                c if c.is_ascii_digit() => return Some(self.number(false)),
                c if is_word_char(c) && !is_combining_mark(c) => return Some(self.word()),
                c if is_emoji(c) => {
                    self.pos += c.len_utf8();
                    return Some(Token::Emoji(base_symbol(c)));
                }
                c => self.pos += c.len_utf8(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Token::*;
    use super::*;

    fn lex(text: &str) -> Vec<Token<'_>> {
        Lexer::new(text).collect()
    }

    #[test]
    fn decomposed_accents_and_modifier_apostrophes_stay_in_their_word() {
        assert_eq!(lex("re\u{301}forme"), [Word("re\u{301}forme")]);
        assert_eq!(lex("dʼaccord"), [Word("accord")]);
        assert_eq!(lex("a`ʼb"), [Word("a"), Word("b")]);
        assert_eq!(lex("\u{301}x"), [Word("x")]);
    }

    #[test]
    fn french_elisions_with_both_apostrophes() {
        assert_eq!(
            lex("L'équipe qu’on aime, jusqu'à aujourd'hui"),
            vec![Word("équipe"), Word("on"), Word("aime"), Word("à"), Word("aujourd'hui")]
        );
    }

    /// Found by the property test: an accented head did not elide.
    #[test]
    fn accented_elisions_elide_like_plain_ones() {
        assert_eq!(lex("ç'a été"), vec![Word("a"), Word("été")]);
        assert_eq!(lex("Ç`a"), lex("C`a"));
    }

    /// Found by the property test: NFC and NFD arrows gave different tokens.
    #[test]
    fn precomposed_symbols_lex_like_their_decomposed_form() {
        assert_eq!(lex("\u{219A}"), vec![Emoji('←')]);
        assert_eq!(lex("\u{2190}\u{0338}"), vec![Emoji('←')]);
        assert_eq!(lex("\u{2190}"), vec![Emoji('←')]);
    }

    #[test]
    fn english_contractions_stay_whole() {
        assert_eq!(lex("We don't ship"), vec![Word("We"), Word("don't"), Word("ship")]);
    }

    #[test]
    fn retweet_mentions_hashtags_and_urls() {
        assert_eq!(
            lex("RT @Boulangerie_Lea: #RéformeDesRetraites lisez https://t.co/Xy7pQ2 !"),
            vec![Retweet, Mention("Boulangerie_Lea"), Hashtag("RéformeDesRetraites"), Word("lisez"), Url]
        );
        // "RT" in the middle of a sentence is just a word.
        assert_eq!(lex("merci pour le RT"), vec![Word("merci"), Word("pour"), Word("le"), Word("RT")]);
    }

    #[test]
    fn prices_percents_and_numbers() {
        assert_eq!(lex("29,90 €"), vec![Price]);
        assert_eq!(lex("$49 or £12.50"), vec![Price, Word("or"), Price]);
        assert_eq!(lex("-20% ce week-end"), vec![Percent, Word("ce"), Word("week"), Word("end")]);
        assert_eq!(lex("1 000 clients"), vec![Number, Number, Word("clients")]);
        assert_eq!(lex("15€90"), vec![Price]);
    }

    #[test]
    fn emojis_are_tokens_and_modifiers_are_not() {
        assert_eq!(lex("Bravo 👏🏽🎉"), vec![Word("Bravo"), Emoji('👏'), Emoji('🎉')]);
        assert_eq!(lex("❤️"), vec![Emoji('❤')]);
    }

    #[test]
    fn lone_symbols_are_skipped() {
        assert_eq!(lex("« @ # € »"), Vec::<Token<'_>>::new());
    }
}
