//! Tokens that start with a digit (or a minus sign or currency symbol before
//! one). This file reads plain numbers: integers, decimals, identifiers,
//! years, ordinals and numbers with a case ending; [`numeral`] parses them,
//! [`money`] reads units and amounts, [`dates`] times, ranges and dates.
//!
//! The entry point [`expand_number`] tries the readings from the most to the
//! least specific; the first that applies wins.
//!
//! [`numeral`]: super::numeral
//! [`money`]: super::money
//! [`dates`]: super::dates

use super::dates::{date, range_reading, time_reading};
use super::money::{prefixed_money, unit_reading};
use super::numeral::{
    fraction_at, in_time_context, number_words, parse_numeral, strip_leading_zeros, Expansion,
    Numeral,
};
use super::ordinals::{colon_suffix, ordinal_case_before};
use super::scan::{
    at_word_end, char_at, digits_end, is_inline_space, letters_end, next_word, prev_char,
    previous_word,
};
use super::units::starts_prefix_currency;
use super::words::{self, Case};

/// Words after which a four-digit number is a year ("vuonna 1918").
const YEAR_CONTEXT: &[&str] = &[
    "vuonna", "vuosi", "vuoden", "vuodesta", "vuoteen", "vuodelle", "vuodelta", "vuodeksi",
    "vuosina", "vuosien", "v",
];

/// Whether a number token (digit, minus sign or currency symbol) starts at
/// `pos`.
pub(super) fn starts_number(text: &str, pos: usize) -> bool {
    let Some(c) = char_at(text, pos) else {
        return false;
    };
    if c.is_ascii_digit() {
        return !prev_char(text, pos).is_some_and(|p| p.is_ascii_digit());
    }
    if c == '-' || c == '−' {
        return starts_negative(text, pos);
    }
    starts_prefix_currency(text, pos)
}

/// A minus sign: at the start of a word, directly followed by a digit.
fn starts_negative(text: &str, pos: usize) -> bool {
    let sign_position = prev_char(text, pos).is_none_or(|p| p.is_whitespace() || p == '(');
    let next_digit = text
        .get(pos..)
        .and_then(|rest| rest.chars().nth(1))
        .is_some_and(|c| c.is_ascii_digit());
    sign_position && next_digit
}

/// The reading of the number token at `start`, if there is one.
pub(super) fn expand_number(text: &str, start: usize) -> Option<Expansion> {
    if starts_prefix_currency(text, start) {
        return prefixed_money(text, start);
    }
    if let Some(date) = date(text, start) {
        return Some(date);
    }
    if let Some(identifier) = identifier_reading(text, start) {
        return Some(identifier);
    }
    let numeral = parse_numeral(text, start)?;
    unit_reading(text, &numeral)
        .or_else(|| range_reading(text, &numeral))
        .or_else(|| time_reading(text, &numeral))
        .or_else(|| integer_reading(text, start, &numeral))
        .or_else(|| number_words(&numeral).map(|s| Expansion::new(numeral.end, s)))
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Plain numbers
// ---------------------------------------------------------------------------

fn integer_reading(text: &str, start: usize, numeral: &Numeral) -> Option<Expansion> {
    if !numeral.is_plain_integer() {
        return None;
    }
    colon_case_reading(text, numeral)
        .or_else(|| compound_reading(text, numeral))
        .or_else(|| ordinal_reading(text, start, numeral))
        .or_else(|| year_reading(text, start, numeral))
}

/// "2025:n" → "kahdentuhannen kahdenkymmenenviiden", "3:nnen" → "kolmannen".
fn colon_case_reading(text: &str, numeral: &Numeral) -> Option<Expansion> {
    if numeral.negative || char_at(text, numeral.end) != Some(':') {
        return None;
    }
    let suffix_start = numeral.end + 1;
    let suffix_end = letters_end(text, suffix_start);
    let suffix = text.get(suffix_start..suffix_end)?;
    if suffix.is_empty() || !at_word_end(text, suffix_end) {
        return None;
    }
    let (ordinal, case) = colon_suffix(&suffix.to_lowercase())?;
    let digits = strip_leading_zeros(&numeral.int);
    let spoken = if ordinal {
        words::ordinal(digits, case)?
    } else {
        words::cardinal(digits, case)?
    };
    Some(Expansion::new(suffix_end, spoken))
}

/// "5-vuotias" → "viisivuotias", "1990-luvulla" → year + "luvulla".
fn compound_reading(text: &str, numeral: &Numeral) -> Option<Expansion> {
    if numeral.negative || !matches!(char_at(text, numeral.end), Some('-' | '‐')) {
        return None;
    }
    let suffix_start = numeral.end + 1;
    let suffix_end = letters_end(text, suffix_start);
    let suffix = text.get(suffix_start..suffix_end)?;
    if suffix.is_empty() {
        return None;
    }
    let lower = suffix.to_lowercase();
    let decade = lower.starts_with("luku") || lower.starts_with("luvu");
    let number = if decade && numeral.int.len() == 4 {
        words::year(&numeral.int)?
    } else {
        words::integer(&numeral.int, Case::Nominative)?
    };
    Some(Expansion::new(suffix_end, format!("{number}{suffix}")))
}

/// "3. kerroksessa" → "kolmannessa kerroksessa"; "24. joulukuuta" →
/// "kahdeskymmenesneljäs joulukuuta". The period is part of the token.
fn ordinal_reading(text: &str, start: usize, numeral: &Numeral) -> Option<Expansion> {
    if numeral.negative || numeral.grouped || char_at(text, numeral.end) != Some('.') {
        return None;
    }
    let after_period = numeral.end + 1;
    let word = next_word(text, after_period)?;
    if let Some(case) = ordinal_case_before(word) {
        let spoken = words::ordinal(strip_leading_zeros(&numeral.int), case)?;
        return Some(Expansion::new(after_period, spoken));
    }
    // An ordinal whose case we cannot tell ("2. maaliin"): the issue asks for
    // the cardinal. The period is not a sentence end (a lower-case word
    // follows), so it is consumed rather than spoken as a pause.
    let continues = word.chars().next().is_some_and(char::is_lowercase);
    if continues && !in_time_context(text, start) {
        let spoken = number_words(numeral)?;
        return Some(Expansion::new(after_period, spoken));
    }
    None
}

/// "vuonna 1918" → "tuhatyhdeksänsataakahdeksantoista".
fn year_reading(text: &str, start: usize, numeral: &Numeral) -> Option<Expansion> {
    let year_like = !numeral.negative && !numeral.grouped && numeral.int.len() == 4;
    let context = previous_word(text, start)
        .is_some_and(|w| YEAR_CONTEXT.contains(&w.to_lowercase().as_str()));
    if !(year_like && context) {
        return None;
    }
    Some(Expansion::new(numeral.end, words::year(&numeral.int)?))
}

/// A number with a leading zero ("040 123 4567", "09-123 456") is a phone
/// or other identifier: it and the digit groups that follow it after a space
/// or hyphen are read digit by digit.
fn identifier_reading(text: &str, start: usize) -> Option<Expansion> {
    let first_end = digits_end(text, start);
    let leading_zero = first_end - start >= 2 && char_at(text, start) == Some('0');
    // "09.30", "08:15" and "klo 08" are clock times, "0,50" a decimal.
    let number_follows = fraction_at(text, first_end).is_some();
    if !leading_zero || number_follows || in_time_context(text, start) {
        return None;
    }
    let mut groups = vec![words::digit_by_digit(&text[start..first_end])?];
    let mut end = first_end;
    while let Some(group_end) = identifier_group(text, end) {
        let group = text[end..group_end].trim_start_matches(|c: char| !c.is_ascii_digit());
        groups.push(words::digit_by_digit(group)?);
        end = group_end;
    }
    Some(Expansion::new(end, groups.join(" ")))
}

/// " 123" or "-4567" after an identifier: returns its end.
fn identifier_group(text: &str, pos: usize) -> Option<usize> {
    let separator = char_at(text, pos).filter(|c| is_inline_space(*c) || *c == '-')?;
    let group_start = pos + separator.len_utf8();
    let group_end = digits_end(text, group_start);
    let whole = group_end > group_start && at_word_end(text, group_end);
    let not_decimal = !matches!(char_at(text, group_end), Some(',' | ':'));
    (whole && not_decimal).then_some(group_end)
}
