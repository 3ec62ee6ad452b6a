//! Thin wrapper over `num2words2-core`'s Finnish converter.
//!
//! Every number word the normaliser emits comes from here, so the rest of the
//! module only deals with *which* reading a token gets (cardinal, ordinal,
//! year, grammatical case), never with spelling Finnish numerals by hand.
//! A failure of the crate (overflow, unsupported case) yields `None`, and the
//! caller then leaves the written token untouched rather than guessing.

use num2words2_core::strnum::python_int_parse;
use num2words2_core::{get_lang_by_key, KwVal, Kwargs, Lang};

/// Longest digit string read as one number; longer runs (account numbers,
/// IDs) are read digit by digit, which is also how people say them.
const MAX_CARDINAL_DIGITS: usize = 15;

/// The Finnish grammatical cases the normaliser asks the crate for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Case {
    Nominative,
    Genitive,
    Partitive,
    Inessive,
    Elative,
    Illative,
    Adessive,
    Ablative,
    Allative,
    Essive,
    Translative,
    Abessive,
}

impl Case {
    /// The case name `num2words2-core` expects in its `case` keyword.
    fn crate_name(self) -> &'static str {
        match self {
            Case::Nominative => "nominative",
            Case::Genitive => "genitive",
            Case::Partitive => "partitive",
            Case::Inessive => "inessive",
            Case::Elative => "elative",
            Case::Illative => "illative",
            Case::Adessive => "adessive",
            Case::Ablative => "ablative",
            Case::Allative => "allative",
            Case::Essive => "essive",
            Case::Translative => "translative",
            Case::Abessive => "abessive",
        }
    }

    fn kwargs(self) -> Kwargs {
        Kwargs(vec![(
            "case".to_string(),
            KwVal::Str(self.crate_name().to_string()),
        )])
    }
}

fn finnish() -> Option<&'static (dyn Lang + Sync)> {
    get_lang_by_key("fi")
}

fn is_ascii_digits(digits: &str) -> bool {
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Cardinal of an ASCII digit string ("23" → "kaksikymmentäkolme").
pub(super) fn cardinal(digits: &str, case: Case) -> Option<String> {
    if !is_ascii_digits(digits) || digits.len() > MAX_CARDINAL_DIGITS {
        return None;
    }
    let value = python_int_parse(digits)?;
    let lang = finnish()?;
    let words = match case {
        Case::Nominative => lang.to_cardinal(&value),
        _ => lang.to_cardinal_kw(&value, &case.kwargs()),
    };
    words.ok()
}

/// Ordinal of an ASCII digit string ("3" → "kolmas").
pub(super) fn ordinal(digits: &str, case: Case) -> Option<String> {
    if !is_ascii_digits(digits) || digits.len() > MAX_CARDINAL_DIGITS {
        return None;
    }
    let value = python_int_parse(digits)?;
    let lang = finnish()?;
    let words = match case {
        Case::Nominative => lang.to_ordinal(&value),
        _ => lang.to_ordinal_kw(&value, &case.kwargs()),
    };
    words.ok()
}

/// A year, written as one word the way Finnish spells years out
/// ("2025" → "kaksituhattakaksikymmentäviisi").
pub(super) fn year(digits: &str) -> Option<String> {
    if !is_ascii_digits(digits) || digits.len() > 4 {
        return None;
    }
    let value = python_int_parse(digits)?;
    finnish()?.to_year(&value).ok()
}

/// Each digit on its own ("040" → "nolla neljä nolla").
pub(super) fn digit_by_digit(digits: &str) -> Option<String> {
    if !is_ascii_digits(digits) {
        return None;
    }
    let words = digits
        .chars()
        .map(|d| cardinal(d.encode_utf8(&mut [0; 4]), Case::Nominative))
        .collect::<Option<Vec<_>>>()?;
    Some(words.join(" "))
}

/// An integer as people say it: a leading zero ("040", "00100") or a very
/// long run means an identifier read digit by digit, anything else a cardinal.
pub(super) fn integer(digits: &str, case: Case) -> Option<String> {
    let identifier = digits.len() > 1 && digits.starts_with('0');
    if identifier || digits.len() > MAX_CARDINAL_DIGITS {
        return digit_by_digit(digits);
    }
    cardinal(digits, case)
}

/// The digits after a decimal separator: one or two digits without a leading
/// zero are read as a number ("3,75" → "seitsemänkymmentäviisi"), anything
/// else digit by digit ("0,05" → "nolla viisi", "3,141" → "yksi neljä yksi").
pub(super) fn fraction(digits: &str) -> Option<String> {
    if digits.len() <= 2 && !digits.starts_with('0') {
        return cardinal(digits, Case::Nominative);
    }
    digit_by_digit(digits)
}
