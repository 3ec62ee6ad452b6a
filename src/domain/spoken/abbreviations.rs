//! Common Finnish abbreviations and the few symbols a local engine would
//! otherwise drop (MMS keeps only the letters of its vocabulary).
//!
//! Abbreviations are matched as whole tokens, lower case or with a capital
//! first letter at the start of a sentence ("Esim."), except those marked
//! `exact` ("eKr.", "Oy"). Expansions are lower case. One-letter
//! abbreviations are ambiguous with initials ("Matti N."), so each has a
//! context rule.

use super::numeral::Expansion;
use super::scan::{
    at_word_end, at_word_start, char_at, colon_ending_at, ends_sentence, next_word, prev_char,
};

/// When an abbreviation is expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Always.
    Anywhere,
    /// Closes a list ("jne."): its period may also end the sentence, and the
    /// spoken form then keeps one.
    ListEnd,
    /// Only directly before a number ("s. 15", "v. 1918").
    BeforeNumber,
    /// "n." = "noin": before a number or a lower-case word ("n. 50", "n.
    /// kaksi"), never an initial.
    Approximately,
    /// "t." = "terveisin": at the start of a line or after a sentence, before
    /// a name ("Kiitos! T. Liisa").
    Closing,
}

#[derive(Debug, Clone, Copy)]
struct Abbreviation {
    written: &'static str,
    spoken: &'static str,
    rule: Rule,
    exact: bool,
}

const fn abbr(written: &'static str, spoken: &'static str, rule: Rule) -> Abbreviation {
    Abbreviation {
        written,
        spoken,
        rule,
        exact: false,
    }
}

const fn exact(written: &'static str, spoken: &'static str) -> Abbreviation {
    Abbreviation {
        written,
        spoken,
        rule: Rule::Anywhere,
        exact: true,
    }
}

const ABBREVIATIONS: &[Abbreviation] = &[
    abbr("esim.", "esimerkiksi", Rule::Anywhere),
    abbr("esim", "esimerkiksi", Rule::Anywhere),
    abbr("jne.", "ja niin edelleen", Rule::ListEnd),
    abbr("jne", "ja niin edelleen", Rule::ListEnd),
    abbr("yms.", "ynnä muuta sellaista", Rule::ListEnd),
    abbr("yms", "ynnä muuta sellaista", Rule::ListEnd),
    abbr("ym.", "ynnä muut", Rule::ListEnd),
    abbr("tms.", "tai muuta sellaista", Rule::ListEnd),
    abbr("tms", "tai muuta sellaista", Rule::ListEnd),
    abbr("jms.", "ja muuta sellaista", Rule::ListEnd),
    abbr("ks.", "katso", Rule::Anywhere),
    abbr("kts.", "katso", Rule::Anywhere),
    abbr("vrt.", "vertaa", Rule::Anywhere),
    abbr("mm.", "muun muassa", Rule::Anywhere),
    abbr("ns.", "niin sanottu", Rule::Anywhere),
    abbr("ts.", "toisin sanoen", Rule::Anywhere),
    abbr("em.", "edellä mainittu", Rule::Anywhere),
    abbr("ko.", "kyseinen", Rule::Anywhere),
    abbr("huom.", "huomaa", Rule::Anywhere),
    abbr("klo.", "kello", Rule::Anywhere),
    abbr("klo", "kello", Rule::Anywhere),
    abbr("nro.", "numero", Rule::Anywhere),
    abbr("nro", "numero", Rule::Anywhere),
    abbr("n:o", "numero", Rule::Anywhere),
    abbr("puh.", "puhelin", Rule::Anywhere),
    abbr("milj.", "miljoonaa", Rule::Anywhere),
    abbr("mrd.", "miljardia", Rule::Anywhere),
    abbr("prof.", "professori", Rule::Anywhere),
    abbr("tri", "tohtori", Rule::Anywhere),
    abbr("s.", "sivu", Rule::BeforeNumber),
    abbr("v.", "vuonna", Rule::BeforeNumber),
    abbr("n.", "noin", Rule::Approximately),
    abbr("t.", "terveisin", Rule::Closing),
    exact("eKr.", "ennen kristusta"),
    exact("jKr.", "jälkeen kristuksen"),
    exact("ry", "rekisteröity yhdistys"),
    exact("Oyj", "julkinen osakeyhtiö"),
    exact("Oy", "osakeyhtiö"),
];

/// The abbreviation starting at `pos`, expanded.
pub(super) fn expand_abbreviation(text: &str, pos: usize) -> Option<Expansion> {
    if !at_word_start(text, pos) {
        return None;
    }
    let rest = text.get(pos..)?;
    let (entry, len) = ABBREVIATIONS
        .iter()
        .filter_map(|a| written_len(a, rest).map(|len| (a, len)))
        .filter(|(a, len)| fits(a, text, pos, pos + len))
        .max_by_key(|(_, len)| *len)?;
    let end = pos + len;
    let mut spoken = entry.spoken.to_string();
    if entry.written.ends_with('.') && keeps_sentence_end(entry.rule, text, end) {
        spoken.push('.');
    }
    Some(Expansion { end, spoken })
}

/// Length of `a` as written at the start of `rest`: in lower case or
/// (unless exact or a one-letter abbreviation, which could be an initial)
/// capitalised or in capitals ("Esim.", "KLO").
fn written_len(a: &Abbreviation, rest: &str) -> Option<usize> {
    if rest.starts_with(a.written) {
        return Some(a.written.len());
    }
    if a.exact || a.rule == Rule::Approximately || a.rule == Rule::BeforeNumber {
        return None;
    }
    [capitalise(a.written), a.written.to_uppercase()]
        .into_iter()
        .find(|variant| rest.starts_with(variant.as_str()))
        .map(|variant| variant.len())
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The token ends at `end` and the rule's context holds.
fn fits(a: &Abbreviation, text: &str, start: usize, end: usize) -> bool {
    let boundary =
        at_word_end(text, end) && char_at(text, end) != Some('-') && !colon_ending_at(text, end);
    boundary && context_holds(a.rule, text, start, end)
}

fn context_holds(rule: Rule, text: &str, start: usize, end: usize) -> bool {
    match rule {
        Rule::Anywhere | Rule::ListEnd => true,
        Rule::BeforeNumber => number_follows(text, end),
        Rule::Approximately => number_follows(text, end) || lower_case_word_follows(text, end),
        Rule::Closing => starts_line_or_sentence(text, start) && name_follows(text, end),
    }
}

fn first_after_space(text: &str, end: usize) -> Option<char> {
    let rest = text.get(end..)?;
    let trimmed = rest.trim_start();
    (trimmed.len() < rest.len()).then(|| trimmed.chars().next())?
}

fn number_follows(text: &str, end: usize) -> bool {
    first_after_space(text, end).is_some_and(|c| c.is_ascii_digit())
}

fn lower_case_word_follows(text: &str, end: usize) -> bool {
    next_word(text, end).is_some_and(|w| w.chars().next().is_some_and(char::is_lowercase))
}

fn name_follows(text: &str, end: usize) -> bool {
    next_word(text, end).is_some_and(|w| w.chars().next().is_some_and(char::is_uppercase))
}

/// Start of the text, of a line, or after ". ", "! ", "? ", ", ".
fn starts_line_or_sentence(text: &str, start: usize) -> bool {
    let before = text.get(..start).unwrap_or("");
    let trimmed = before.trim_end();
    if trimmed.is_empty() || before[trimmed.len()..].contains('\n') {
        return true;
    }
    prev_char(trimmed, trimmed.len()).is_some_and(|c| matches!(c, '.' | '!' | '?' | ','))
        && trimmed.len() < before.len()
}

/// A list-closing abbreviation keeps the period when it also ends the
/// sentence; any other keeps it only at the very end of the text.
fn keeps_sentence_end(rule: Rule, text: &str, end: usize) -> bool {
    match rule {
        Rule::ListEnd => ends_sentence(text, end),
        _ => text.get(end..).is_some_and(|rest| rest.trim().is_empty()),
    }
}

/// Symbols that a local engine would drop: "&" between words, "§", "€" on
/// its own, and "+", "=", "×"/"x" between numbers.
pub(super) fn expand_symbol(text: &str, pos: usize) -> Option<Expansion> {
    let c = char_at(text, pos)?;
    let end = pos + c.len_utf8();
    let spoken = match c {
        '&' if spaced(text, pos, end) => "ja",
        '§' => "pykälä",
        '€' => "euroa",
        '+' if between_numbers(text, pos, end) => "plus",
        '=' if between_numbers(text, pos, end) => "on",
        '×' | 'x' if between_numbers(text, pos, end) && spaced(text, pos, end) => "kertaa",
        _ => return None,
    };
    Some(Expansion {
        end,
        spoken: spoken.to_string(),
    })
}

fn spaced(text: &str, start: usize, end: usize) -> bool {
    prev_char(text, start).is_some_and(char::is_whitespace)
        && char_at(text, end).is_some_and(char::is_whitespace)
}

fn between_numbers(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).unwrap_or("").trim_end();
    let after = text.get(end..).unwrap_or("").trim_start();
    let digit_before = before
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_digit());
    let digit_after = after
        .chars()
        .find(|c| !matches!(c, '-' | '−'))
        .is_some_and(|c| c.is_ascii_digit());
    digit_before && digit_after
}
