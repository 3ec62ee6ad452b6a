//! Numerals and their words: parsing a written number (sign, thousands
//! groups, decimals, fractions), its cardinal reading, and the
//! [`Expansion`] every reader returns. The leaf the number, date and money
//! readers share, so none of them needs another.

use super::scan::{char_at, digits_end, is_inline_space, previous_word};
use super::words::{self, Case};

/// Where a recognised written token ends in the input, and what is said for
/// it (the caller knows where it starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Expansion {
    pub end: usize,
    pub spoken: String,
}

impl Expansion {
    pub(super) fn new(end: usize, spoken: String) -> Self {
        Expansion { end, spoken }
    }
}

/// Words after which "H.MM" and "H." are clock times, never dates.
pub(super) const TIME_CONTEXT: &[&str] = &["klo", "kello", "kellonaikaan"];

/// The digits after a decimal or time separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fraction {
    pub separator: char,
    pub digits: String,
}

/// A number as written: sign, integer digits (group spaces removed) and an
/// optional fraction; `end` is where it stops in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Numeral {
    pub negative: bool,
    pub int: String,
    pub grouped: bool,
    pub fraction: Option<Fraction>,
    pub end: usize,
}

impl Numeral {
    pub(super) fn is_plain_integer(&self) -> bool {
        self.fraction.is_none()
    }

    /// Exactly one: the noun after it stays in the nominative.
    pub(super) fn is_one(&self) -> bool {
        self.fraction.is_none() && self.int == "1"
    }

    pub(super) fn sign_word(&self) -> &'static str {
        if self.negative {
            "miinus "
        } else {
            ""
        }
    }
}

pub(super) fn parse_numeral(text: &str, start: usize) -> Option<Numeral> {
    let (negative, digits_start) = match char_at(text, start)? {
        c @ ('-' | '−') => (true, start + c.len_utf8()),
        _ => (false, start),
    };
    let first_end = digits_end(text, digits_start);
    if first_end == digits_start {
        return None;
    }
    let mut int = text[digits_start..first_end].to_string();
    let mut end = first_end;
    let mut grouped = false;
    if int.len() <= 3 && !int.starts_with('0') {
        while let Some(group_end) = thousands_group(text, end) {
            int.push_str(&text[group_end - 3..group_end]);
            end = group_end;
            grouped = true;
        }
    }
    let fraction = fraction_at(text, end);
    if let Some((_, fraction_end)) = &fraction {
        end = *fraction_end;
    }
    Some(Numeral {
        negative,
        int,
        grouped,
        fraction: fraction.map(|(f, _)| f),
        end,
    })
}

/// A space followed by exactly three digits ("10 000"): returns its end.
fn thousands_group(text: &str, pos: usize) -> Option<usize> {
    let space = char_at(text, pos).filter(|c| is_inline_space(*c))?;
    let group_start = pos + space.len_utf8();
    let group_end = digits_end(text, group_start);
    (group_end - group_start == 3).then_some(group_end)
}

/// ",5", ".30" or ":30" after an integer. A colon needs exactly two digits
/// (times); otherwise it starts a case ending ("5:ssä").
pub(super) fn fraction_at(text: &str, pos: usize) -> Option<(Fraction, usize)> {
    let separator = char_at(text, pos).filter(|c| matches!(c, ',' | '.' | ':'))?;
    let digits_start = pos + 1;
    let end = digits_end(text, digits_start);
    let len = end - digits_start;
    if len == 0 || (separator == ':' && len != 2) {
        return None;
    }
    let fraction = Fraction {
        separator,
        digits: text[digits_start..end].to_string(),
    };
    Some((fraction, end))
}

pub(super) fn strip_leading_zeros(digits: &str) -> &str {
    let stripped = digits.trim_start_matches('0');
    if stripped.is_empty() {
        "0"
    } else {
        stripped
    }
}

pub(super) fn in_time_context(text: &str, start: usize) -> bool {
    previous_word(text, start).is_some_and(|w| TIME_CONTEXT.contains(&w.to_lowercase().as_str()))
}

/// A number in the nominative: "miinus kolme pilkku viisi".
pub(super) fn number_words(numeral: &Numeral) -> Option<String> {
    let mut spoken = format!(
        "{}{}",
        numeral.sign_word(),
        words::integer(&numeral.int, Case::Nominative)?
    );
    if let Some(fraction) = &numeral.fraction {
        spoken.push_str(" pilkku ");
        spoken.push_str(&words::fraction(&fraction.digits)?);
    }
    Some(spoken)
}
