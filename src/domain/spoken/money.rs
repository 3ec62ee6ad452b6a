//! Numbers followed by a unit, a percent sign or a currency ("5 km",
//! "50 %", "12,50 €"), and amounts with the currency first ("€2,40").

use super::numeral::{number_words, parse_numeral, strip_leading_zeros, Expansion, Numeral};
use super::scan::{char_at, ends_sentence, skip_inline_space};
use super::units::{prefix_currency_at, unit_at, Subunit, Unit};
use super::words::{self, Case};

/// The unit after an optional space at `pos`, and where it ends.
pub(super) fn unit_after(text: &str, pos: usize, integer: bool) -> Option<(&'static Unit, usize)> {
    let unit_start = skip_inline_space(text, pos);
    let unit = unit_at(text, unit_start, integer)?;
    Some((unit, unit_start + unit.written.len()))
}

/// "5 km" → "viisi kilometriä", "12,50 €" → "kaksitoista euroa viisikymmentä
/// senttiä", "12,- €" → "kaksitoista euroa".
pub(super) fn unit_reading(text: &str, numeral: &Numeral) -> Option<Expansion> {
    if let Some(expansion) = whole_amount_reading(text, numeral) {
        return Some(expansion);
    }
    let (unit, end) = unit_after(text, numeral.end, numeral.is_plain_integer())?;
    let mut spoken = match unit.subunit {
        Some(subunit) => money_words(numeral, unit, subunit)?,
        None => format!("{} {}", number_words(numeral)?, unit.form(numeral.is_one())),
    };
    if unit.written.ends_with('.') && ends_sentence(text, end) {
        spoken.push('.');
    }
    Some(Expansion::new(end, spoken))
}

/// "12,-" / "12,– €": whole euros written with a dash for the cents.
fn whole_amount_reading(text: &str, numeral: &Numeral) -> Option<Expansion> {
    if numeral.fraction.is_some() {
        return None;
    }
    let rest = text.get(numeral.end..)?;
    let dash_len = [",-", ",–"]
        .iter()
        .find(|d| rest.starts_with(**d))
        .map(|d| d.len())?;
    let after_dash = numeral.end + dash_len;
    let (unit, end) = match unit_after(text, after_dash, true) {
        Some((unit, end)) if unit.subunit.is_some() => (unit, end),
        _ => return None,
    };
    let spoken = format!(
        "{}{} {}",
        numeral.sign_word(),
        words::integer(&numeral.int, Case::Nominative)?,
        unit.form(numeral.is_one())
    );
    Some(Expansion::new(end, spoken))
}

/// Euros and cents. More than two decimals is not an amount of cents, so
/// it is read as a decimal number of euros.
fn money_words(numeral: &Numeral, unit: &Unit, subunit: Subunit) -> Option<String> {
    let cents = match &numeral.fraction {
        None => None,
        Some(f) if f.digits.len() <= 2 => Some(format!("{:0<2}", f.digits)),
        Some(_) => return Some(format!("{} {}", number_words(numeral)?, unit.many)),
    };
    let cents = cents.filter(|c| c != "00");
    let mut parts = Vec::new();
    let whole_is_zero = numeral.int.bytes().all(|b| b == b'0');
    if !whole_is_zero || cents.is_none() {
        let whole = words::integer(&numeral.int, Case::Nominative)?;
        parts.push(format!("{whole} {}", unit.form(numeral.int == "1")));
    }
    if let Some(cents) = cents {
        let count = strip_leading_zeros(&cents);
        let cents_words = words::cardinal(count, Case::Nominative)?;
        parts.push(format!(
            "{cents_words} {}",
            if count == "1" {
                subunit.one
            } else {
                subunit.many
            }
        ));
    }
    Some(format!("{}{}", numeral.sign_word(), parts.join(" ")))
}

/// "€12", "$ 5": a currency symbol before the amount.
pub(super) fn prefixed_money(text: &str, start: usize) -> Option<Expansion> {
    let unit = prefix_currency_at(text, start)?;
    let subunit = unit.subunit?;
    let number_start = skip_inline_space(text, start + unit.written.len());
    if !char_at(text, number_start).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let numeral = parse_numeral(text, number_start)?;
    let spoken = money_words(&numeral, unit, subunit)?;
    Some(Expansion::new(numeral.end, spoken))
}
