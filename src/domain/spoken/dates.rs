//! Clock times ("8.30", "20:45"), ranges ("5–10 km", "klo 8–16") and dates
//! ("24.12.2025", "6.12.").

use super::money::unit_after;
use super::numeral::{
    fraction_at, in_time_context, parse_numeral, strip_leading_zeros, Expansion, Numeral,
};
use super::ordinals::{is_day_of, month_index, MONTHS_PARTITIVE};
use super::scan::{at_word_end, char_at, digits_end, ends_sentence, is_range_dash};
use super::words::{self, Case};

/// Hours, minutes and optional seconds of a clock time written "H.MM",
/// "H:MM" or "H:MM:SS".
#[derive(Debug, Clone, PartialEq, Eq)]
struct Clock {
    hours: String,
    minutes: String,
    seconds: Option<String>,
    end: usize,
}

fn clock(text: &str, numeral: &Numeral) -> Option<Clock> {
    let fraction = numeral.fraction.as_ref()?;
    let shape_ok = !numeral.negative
        && !numeral.grouped
        && numeral.int.len() <= 2
        && matches!(fraction.separator, '.' | ':')
        && fraction.digits.len() == 2;
    let hours: u8 = numeral.int.parse().ok()?;
    let minutes: u8 = fraction.digits.parse().ok()?;
    if !shape_ok || hours > 24 || minutes > 59 {
        return None;
    }
    let seconds = (fraction.separator == ':')
        .then(|| fraction_at(text, numeral.end))
        .flatten()
        .filter(|(f, _)| f.separator == ':');
    Some(Clock {
        hours: numeral.int.clone(),
        minutes: fraction.digits.clone(),
        seconds: seconds.as_ref().map(|(f, _)| f.digits.clone()),
        end: seconds.map_or(numeral.end, |(_, end)| end),
    })
}

/// "05" → "nolla viisi", "30" → "kolmekymmentä" (in `case`).
fn two_digit_words(digits: &str, case: Case) -> Option<String> {
    match digits.strip_prefix('0') {
        Some(unit) => Some(format!("nolla {}", words::cardinal(unit, case)?)),
        None => words::cardinal(digits, case),
    }
}

/// "8.30" → "kahdeksan kolmekymmentä"; whole hours drop the zeros
/// ("9.00" → "yhdeksän").
fn clock_words(clock: &Clock, case: Case) -> Option<String> {
    let mut spoken = words::cardinal(strip_leading_zeros(&clock.hours), case)?;
    if clock.minutes != "00" || clock.seconds.is_some() {
        spoken.push(' ');
        spoken.push_str(&two_digit_words(&clock.minutes, case)?);
    }
    if let Some(seconds) = &clock.seconds {
        spoken.push(' ');
        spoken.push_str(&two_digit_words(seconds, case)?);
    }
    Some(spoken)
}

pub(super) fn time_reading(text: &str, numeral: &Numeral) -> Option<Expansion> {
    let clock = clock(text, numeral)?;
    Some(Expansion::new(
        clock.end,
        clock_words(&clock, Case::Nominative)?,
    ))
}

/// "5–10 km" → "viidestä kymmeneen kilometriä", "klo 8.30–9.15" →
/// "kahdeksasta kolmestakymmenestä yhdeksään viiteentoista".
pub(super) fn range_reading(text: &str, left: &Numeral) -> Option<Expansion> {
    let dash = char_at(text, left.end).filter(|c| is_range_dash(*c))?;
    let right_start = left.end + dash.len_utf8();
    if !char_at(text, right_start).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let right = parse_numeral(text, right_start)?;
    let (mut spoken, mut end) =
        integer_range(left, &right).or_else(|| clock_range(text, left, &right))?;
    if let Some((unit, unit_end)) = unit_after(text, end, right.is_plain_integer()) {
        spoken = format!("{spoken} {}", unit.many);
        end = unit_end;
    }
    Some(Expansion::new(end, spoken))
}

fn integer_range(left: &Numeral, right: &Numeral) -> Option<(String, usize)> {
    let plain = |n: &Numeral| n.is_plain_integer() && !n.int.starts_with('0');
    if !(plain(left) && plain(right)) {
        return None;
    }
    let from = words::cardinal(&left.int, Case::Elative)?;
    let to = words::cardinal(&right.int, Case::Illative)?;
    Some((format!("{}{from} {to}", left.sign_word()), right.end))
}

fn clock_range(text: &str, left: &Numeral, right: &Numeral) -> Option<(String, usize)> {
    let from = clock(text, left)?;
    if from.end != left.end {
        return None;
    }
    let to = clock(text, right)?;
    let spoken = format!(
        "{} {}",
        clock_words(&from, Case::Elative)?,
        clock_words(&to, Case::Illative)?
    );
    Some((spoken, to.end))
}

/// "24.12.2025", "24.12.25" and "24.12." (the final period is part of a
/// date without a year). Read as ordinal day + month in the partitive +
/// year: "kahdeskymmenesneljäs joulukuuta kaksituhattakaksikymmentäviisi".
pub(super) fn date(text: &str, start: usize) -> Option<Expansion> {
    let (day, month, month_end) = day_and_month(text, start)?;
    let month_index = month_index(month)?;
    if !is_day_of(day, month_index) {
        return None;
    }
    let month_name = MONTHS_PARTITIVE.get(month_index)?;
    let day_words = words::ordinal(strip_leading_zeros(day), Case::Nominative)?;
    let day_and_month_words = format!("{day_words} {month_name}");
    let year_start = month_end + 1;
    let year_end = digits_end(text, year_start);
    match year_end - year_start {
        0 => date_without_year(text, start, year_start, month, day_and_month_words),
        2 | 4 if !followed_by_number(text, year_end) => {
            let year = words::year(&text[year_start..year_end])?;
            let spoken = format!("{day_and_month_words} {year}");
            Some(Expansion::new(year_end, spoken))
        }
        _ => None,
    }
}

/// The digits of "D.M." at `start`, and where the month ends (at the second
/// period).
fn day_and_month(text: &str, start: usize) -> Option<(&str, &str, usize)> {
    let day_end = digits_end(text, start);
    if char_at(text, day_end) != Some('.') {
        return None;
    }
    let month_start = day_end + 1;
    let month_end = digits_end(text, month_start);
    let month = text.get(month_start..month_end)?;
    if month.len() > 2 || char_at(text, month_end) != Some('.') {
        return None;
    }
    Some((text.get(start..day_end)?, month, month_end))
}

/// "24.12." — unless a clock word precedes it ("klo 12.10." is a time and a
/// sentence end) or the month has a leading zero ("7.05." is a time: dates
/// without a year are written "7.5."). If the period also ends the
/// sentence, the spoken form keeps a period there.
fn date_without_year(
    text: &str,
    start: usize,
    end: usize,
    month: &str,
    mut spoken: String,
) -> Option<Expansion> {
    if in_time_context(text, start) || month.starts_with('0') || !at_word_end(text, end) {
        return None;
    }
    if ends_sentence(text, end) {
        spoken.push('.');
    }
    Some(Expansion::new(end, spoken))
}

/// "1.2.2025.5" or "24.12.2025,5" are not dates.
fn followed_by_number(text: &str, pos: usize) -> bool {
    let separator = char_at(text, pos).is_some_and(|c| matches!(c, '.' | ',' | ':'));
    let digit = char_at(text, pos + 1).is_some_and(|c| c.is_ascii_digit());
    (separator && digit) || char_at(text, pos).is_some_and(char::is_alphanumeric)
}
