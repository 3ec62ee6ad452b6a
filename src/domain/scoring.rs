//! Word-error-rate scoring of a dictation attempt against the item text.
//!
//! Bit-compatible with the original Python service, quirks included: an
//! attempt with as many words as the reference is compared position by
//! position (so a reordering scores as all-wrong), any other length uses the
//! word-level Levenshtein distance, and the float arithmetic (truncations,
//! divide-then-multiply) follows the Python expressions exactly.

use super::transliterate::transliterate_char;
use unicode_normalization::UnicodeNormalization;

/// Result of scoring one attempt against a reference text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub percentage: i64,
    pub wer: f64,
    pub words_ref: i64,
    pub words_correct: i64,
}

/// Scores `attempt` (hypothesis) against `reference` (the item text).
pub fn score(reference: &str, attempt: &str) -> Score {
    score_tokens(&tokenize(reference), &tokenize(attempt))
}

/// Lower-cases, decomposes (NFD) and transliterates `text` to ASCII as
/// Unidecode 1.4 does, then turns every run of characters other than ASCII
/// letters, digits, `_` and `'` into a single space, trimmed at both ends.
///
/// Transliteration may emit capitals (e.g. for CJK); [`tokenize`] lowers them.
/// Lower-casing uses Rust's Unicode tables, so capitals newer than the
/// Python runtime's Unicode (U+A7CB, U+A7DC in Unicode 16) are lowered here
/// but were left alone (and dropped) by Python 3.11-3.13.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let lowered = text.to_lowercase();
    let ascii = lowered.nfd().flat_map(|c| transliterate_char(c).chars());
    for c in ascii {
        if !is_word_char(c) {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// The lower-cased words of [`normalize`]`(text)`.
pub fn tokenize(text: &str) -> Vec<String> {
    normalize(text)
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Characters kept by the Python `[^\w\s']` filter once the text is ASCII
/// (whitespace is dropped too, as it only ever separates words).
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '\''
}

/// Scores already tokenised reference and hypothesis words.
fn score_tokens(reference: &[String], hypothesis: &[String]) -> Score {
    let n = reference.len();
    if n == 0 {
        return empty_reference(hypothesis.is_empty());
    }
    let n_f = n as f64;
    let (wer_raw, words_correct) = if hypothesis.len() == n {
        let wer_raw = positional_errors(reference, hypothesis) as f64 / n_f;
        // Python: max(0, int(n * (1 - wer))); `as` truncates toward zero.
        (wer_raw, ((n_f * (1.0 - wer_raw)) as i64).max(0))
    } else {
        let errors = levenshtein(reference, hypothesis);
        (
            errors as f64 / n_f,
            to_i64(n).saturating_sub(to_i64(errors)).max(0),
        )
    };
    Score {
        percentage: percentage(words_correct, n_f),
        wer: wer_raw.clamp(0.0, 1.0),
        words_ref: to_i64(n),
        words_correct,
    }
}

/// Score when the reference has no words: perfect only for an empty attempt.
fn empty_reference(hypothesis_empty: bool) -> Score {
    let (percentage, wer) = if hypothesis_empty {
        (100, 0.0)
    } else {
        (0, 1.0)
    };
    Score {
        percentage,
        wer,
        words_ref: 0,
        words_correct: 0,
    }
}

/// Python: `int((words_correct / n) * 100)` clamped to 0..=100.
fn percentage(words_correct: i64, n: f64) -> i64 {
    ((words_correct as f64 / n * 100.0) as i64).clamp(0, 100)
}

/// Number of positions where two equally long word lists differ.
fn positional_errors(reference: &[String], hypothesis: &[String]) -> usize {
    reference
        .iter()
        .zip(hypothesis)
        .filter(|(r, h)| r != h)
        .count()
}

/// Word-level Levenshtein distance (unit costs), O(n*m) time and
/// O(min(n, m)) memory.
fn levenshtein<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let mut row: Vec<usize> = (0..=short.len()).collect();
    for (i, long_item) in long.iter().enumerate() {
        let mut diagonal = i;
        row[0] = i + 1;
        for (j, short_item) in short.iter().enumerate() {
            let substitution = diagonal + usize::from(long_item != short_item);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(diagonal + 1).min(row[j] + 1);
        }
    }
    row[short.len()]
}

/// A count as the API's integer type (saturating; counts never get near it).
fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    fn expect(reference: &str, attempt: &str, percentage: i64, wer: f64, n: i64, correct: i64) {
        let want = Score {
            percentage,
            wer,
            words_ref: n,
            words_correct: correct,
        };
        assert_eq!(
            score(reference, attempt),
            want,
            "{reference:?} vs {attempt:?}"
        );
    }

    #[test]
    fn worked_examples() {
        expect("Hyvää huomenta!", "hyvaa huomenta", 100, 0.0, 2, 2);
        expect(
            "Minä asun Helsingissä nyt.",
            "minä asun helsingissä",
            75,
            0.25,
            4,
            3,
        );
        expect(
            "Minä asun Helsingissä.",
            "Minä asun nyt Helsingissä.",
            66,
            0.333_333_333_333_333_3,
            3,
            2,
        );
        expect("yksi kaksi kolme", "kaksi kolme yksi", 0, 1.0, 3, 0);
        expect("Hei maailma", "", 0, 1.0, 2, 0);
        expect("?!", "", 100, 0.0, 0, 0);
        expect("kissa", "kissa koira hevonen lehmä", 0, 1.0, 1, 0);
    }

    #[test]
    fn empty_reference_with_words_in_attempt_is_zero() {
        expect("", "jotain", 0, 1.0, 0, 0);
        expect("", "", 100, 0.0, 0, 0);
        expect("...", "—", 100, 0.0, 0, 0);
    }

    #[test]
    fn equal_length_truncation_quirk_five_words_four_wrong() {
        // 5 * (1 - 0.8) == 0.9999999999999998, truncated to 0 (not 1).
        let got = score("a b c d e", "a x y z w");
        assert_eq!(got.words_correct, 0);
        assert_eq!(got.percentage, 0);
        assert_eq!(got.wer, 0.8);
        assert_eq!(got.words_ref, 5);
    }

    #[test]
    fn equal_length_truncation_quirk_twelve_words_five_wrong() {
        // 12 * (1 - 5/12) == 6.999999999999999 → 6 (not 7).
        let got = score("a b c d e f g h i j k l", "a b c d e f g x x x x x");
        assert_eq!(got.words_correct, 6);
        assert_eq!(got.percentage, 50);
        assert_eq!(got.wer, 5.0 / 12.0);
    }

    #[test]
    fn percentage_divides_before_multiplying() {
        // 50-word reference, attempt drops 21 words: 29 correct, 29/50*100 = 57.999...
        let reference: Vec<String> = (0..50).map(|i| format!("w{i}")).collect();
        let attempt = reference[..29].join(" ");
        let got = score(&reference.join(" "), &attempt);
        assert_eq!(got.words_correct, 29);
        assert_eq!(got.percentage, 57);
        assert_eq!(got.wer, 21.0 / 50.0);
        assert_eq!(percentage(2, 3.0), 66);
    }

    #[test]
    fn different_lengths_use_levenshtein() {
        expect("a b c d", "a c d", 75, 0.25, 4, 3);
        expect("a b c", "x a b c", 66, 1.0 / 3.0, 3, 2);
        expect("a b c", "c b", 33, 2.0 / 3.0, 3, 1);
    }

    #[test]
    fn wer_is_clamped_to_one() {
        let got = score("yksi", "kaksi kolme neljä");
        assert_eq!(got.wer, 1.0);
        assert_eq!(got.words_correct, 0);
    }

    #[test]
    fn levenshtein_distances() {
        assert_eq!(levenshtein(&words(""), &words("")), 0);
        assert_eq!(levenshtein(&words("a b c"), &words("")), 3);
        assert_eq!(levenshtein(&words(""), &words("a b")), 2);
        assert_eq!(levenshtein(&words("a b c"), &words("a b c")), 0);
        assert_eq!(levenshtein(&words("a b c"), &words("c a b")), 2);
        assert_eq!(
            levenshtein(&words("kitten sat"), &words("sitting sat on")),
            2
        );
        let (x, y) = (words("a b c d e f"), words("b x d f"));
        assert_eq!(levenshtein(&x, &y), 3);
        assert_eq!(levenshtein(&y, &x), 3);
    }

    #[test]
    fn normalize_basics() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("Hyvää huomenta!"), "hyvaa huomenta");
        assert_eq!(normalize("  Hei,\tmaailma\n\n"), "hei maailma");
        assert_eq!(normalize("hyvää-päivää"), "hyvaa paivaa");
        assert_eq!(normalize("don't dont"), "don't dont");
        assert_eq!(normalize("snake_case"), "snake_case");
        assert_eq!(normalize("?!"), "");
    }

    #[test]
    fn normalize_transliterates_like_unidecode() {
        assert_eq!(normalize("ÄÖÅ äöå"), "aoa aoa");
        assert_eq!(normalize("Straße ẞ"), "strasse ss");
        assert_eq!(normalize("Æble Ørsted Œuvre"), "aeble orsted oeuvre");
        assert_eq!(
            normalize("it\u{2019}s \u{201C}quoted\u{201D}"),
            "it's quoted"
        );
        assert_eq!(normalize("a\u{2013}b\u{2014}c\u{2026}d"), "a b c d");
        assert_eq!(normalize("kiva 😀👍🏽 juttu ❤\u{FE0F}"), "kiva juttu");
        assert_eq!(normalize("5€"), "5EUR");
        assert_eq!(tokenize("5€"), vec!["5eur"]);
    }

    #[test]
    fn normalize_keeps_transliterated_capitals_tokenize_lowers_them() {
        assert_eq!(normalize("北京"), "Bei Jing");
        assert_eq!(tokenize("北京"), vec!["bei", "jing"]);
    }

    #[test]
    fn unidecode_separators_and_spellings() {
        assert_eq!(tokenize("a\u{200B}b\u{3000}c"), vec!["a", "b", "c"]);
        assert_eq!(tokenize("ラーメン"), vec!["ra", "men"]);
        assert_eq!(tokenize("しんぶん"), vec!["shinhun"]);
    }

    #[test]
    fn ascii_control_characters_separate_words() {
        assert_eq!(tokenize("a\u{1}b\u{1F}c\u{7F}d"), vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn tokenize_splits_on_separators() {
        assert_eq!(tokenize("Don't  stop—now"), vec!["don't", "stop", "now"]);
        assert!(tokenize("  \t ").is_empty());
    }

    #[test]
    fn apostrophe_and_accents_matter_only_as_python_did() {
        expect("don't", "dont", 0, 1.0, 1, 0);
        expect("Hyvää päivää", "HYVAA PAIVAA", 100, 0.0, 2, 2);
        expect("hyvää-päivää", "hyvää päivää", 100, 0.0, 2, 2);
    }
}
