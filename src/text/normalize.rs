//! Character-level normalisation: lowercase and strip accents, so that
//! "Réforme", "REFORME" and "reforme" become the same feature.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Appends `word` to `out`, lowercased and with diacritics removed.
///
/// Apostrophes inside a word are dropped ("don't" → "dont", "aujourd’hui" →
/// "aujourdhui"), whichever apostrophe the keyboard produced.
///
/// Ligatures that canonical decomposition keeps (œ, æ, ß) are spelled out, since
/// French tweets write "coeur" and "cœur" interchangeably.
pub(crate) fn push_folded(word: &str, out: &mut String) {
    for c in word.chars() {
        if matches!(c, '\'' | '’' | 'ʼ' | '`') {
            continue;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        for lower in c.to_lowercase() {
            // The ligatures are spelled out after decomposition, so that
            // "ǣ" (æ with a macron) folds like "æ": to "ae".
            decompose_canonical(lower, |part| match part {
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                'ß' => out.push_str("ss"),
                _ if is_combining_mark(part) => {}
                _ => out.push(part),
            });
        }
    }
}

/// `push_folded` into a fresh string, for tests and one-off callers.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    push_folded(word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_case_accents_and_ligatures() {
        assert_eq!(fold("Réforme"), "reforme");
        assert_eq!(fold("RÉFORME"), "reforme");
        assert_eq!(fold("Grève"), "greve");
        assert_eq!(fold("français"), "francais");
        assert_eq!(fold("Cœur"), "coeur");
        assert_eq!(fold("naïve"), "naive");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("already plain"), "already plain");
        assert_eq!(fold("Aujourd’hui"), fold("aujourd'hui"));
        assert_eq!(fold("don't"), "dont");
    }

    /// Found by the property test: a ligature with a diacritic folded to the
    /// bare ligature, which then folded again to its spelling.
    #[test]
    fn ligatures_with_diacritics_fold_like_the_bare_ones() {
        for word in ["Ǣ", "ǣ", "Ǽ", "ǽ", "ẞ"] {
            let once = fold(word);
            assert!(once == "ae" || once == "ss", "{word}: {once}");
            assert_eq!(fold(&once), once, "{word}");
        }
    }
}
