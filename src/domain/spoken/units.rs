//! Units, currencies and the percent sign written after a number.
//!
//! Finnish puts the noun after a numeral in the partitive singular except
//! after exactly one ("1 km" → "yksi kilometri", "5 km" → "viisi
//! kilometriä", "1,5 km" → "yksi pilkku viisi kilometriä"), so each unit
//! carries both forms.

use super::scan::{at_word_end, char_at, colon_ending_at};

/// A sub-unit of a currency (cents), with its two forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Subunit {
    pub one: &'static str,
    pub many: &'static str,
}

/// A unit as written, and its spoken forms after one / after other numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Unit {
    pub written: &'static str,
    pub one: &'static str,
    pub many: &'static str,
    /// Set for currencies: "12,50 €" is read as euros and cents.
    pub subunit: Option<Subunit>,
    /// Only after a whole number: "300 s." is pages, "10,5 s." seconds.
    pub integer_only: bool,
}

const CENT: Subunit = Subunit {
    one: "sentti",
    many: "senttiä",
};
const PENNY: Subunit = Subunit {
    one: "penny",
    many: "pennyä",
};

const fn unit(written: &'static str, one: &'static str, many: &'static str) -> Unit {
    Unit {
        written,
        one,
        many,
        subunit: None,
        integer_only: false,
    }
}

const fn money(written: &'static str, one: &'static str, many: &'static str, sub: Subunit) -> Unit {
    Unit {
        written,
        one,
        many,
        subunit: Some(sub),
        integer_only: false,
    }
}

/// Written after a number. Case-sensitive ("W" is watt, "MB" megabyte).
const UNITS: &[Unit] = &[
    money("€", "euro", "euroa", CENT),
    money("EUR", "euro", "euroa", CENT),
    money("e", "euro", "euroa", CENT),
    money("$", "dollari", "dollaria", CENT),
    money("USD", "dollari", "dollaria", CENT),
    money("£", "punta", "puntaa", PENNY),
    money("GBP", "punta", "puntaa", PENNY),
    unit("snt", "sentti", "senttiä"),
    unit("%", "prosentti", "prosenttia"),
    unit("‰", "promille", "promillea"),
    unit("°C", "celsiusaste", "celsiusastetta"),
    unit("° C", "celsiusaste", "celsiusastetta"),
    unit("℃", "celsiusaste", "celsiusastetta"),
    unit("°", "aste", "astetta"),
    unit("km/h", "kilometri tunnissa", "kilometriä tunnissa"),
    unit("m/s", "metri sekunnissa", "metriä sekunnissa"),
    unit("km²", "neliökilometri", "neliökilometriä"),
    unit("m²", "neliömetri", "neliömetriä"),
    unit("m2", "neliömetri", "neliömetriä"),
    unit("m³", "kuutiometri", "kuutiometriä"),
    unit("m3", "kuutiometri", "kuutiometriä"),
    unit("km", "kilometri", "kilometriä"),
    unit("cm", "senttimetri", "senttimetriä"),
    unit("mm", "millimetri", "millimetriä"),
    unit("m", "metri", "metriä"),
    unit("kg", "kilogramma", "kilogrammaa"),
    unit("mg", "milligramma", "milligrammaa"),
    unit("g", "gramma", "grammaa"),
    unit("dl", "desilitra", "desilitraa"),
    unit("cl", "senttilitra", "senttilitraa"),
    unit("ml", "millilitra", "millilitraa"),
    unit("l", "litra", "litraa"),
    unit("vrk", "vuorokausi", "vuorokautta"),
    unit("h", "tunti", "tuntia"),
    unit("min", "minuutti", "minuuttia"),
    unit("ms", "millisekunti", "millisekuntia"),
    unit("s", "sekunti", "sekuntia"),
    // "s." (with the period, unlike SI symbols) abbreviates "sivua".
    Unit {
        written: "s.",
        one: "sivu",
        many: "sivua",
        subunit: None,
        integer_only: true,
    },
    unit("kWh", "kilowattitunti", "kilowattituntia"),
    unit("kW", "kilowatti", "kilowattia"),
    unit("W", "watti", "wattia"),
    unit("V", "voltti", "volttia"),
    unit("GHz", "gigahertsi", "gigahertsiä"),
    unit("MHz", "megahertsi", "megahertsiä"),
    unit("kHz", "kilohertsi", "kilohertsiä"),
    unit("Hz", "hertsi", "hertsiä"),
    unit("GB", "gigatavu", "gigatavua"),
    unit("MB", "megatavu", "megatavua"),
    unit("ha", "hehtaari", "hehtaaria"),
    unit("kpl", "kappale", "kappaletta"),
];

/// Currency symbols that may also stand before the amount ("€12", "$ 5").
const PREFIX_CURRENCIES: &[&str] = &["€", "$", "£"];

/// The unit written at `pos` (longest match, ending at a word boundary)
/// after a number, `integer` if that number is whole.
pub(super) fn unit_at(text: &str, pos: usize, integer: bool) -> Option<&'static Unit> {
    let rest = text.get(pos..)?;
    UNITS
        .iter()
        .filter(|u| integer || !u.integer_only)
        .filter(|u| rest.starts_with(u.written))
        .filter(|u| unit_ends(text, pos + u.written.len()))
        .max_by_key(|u| u.written.len())
}

/// A unit ends a token: no letter, digit or hyphen follows ("5 e-kirjaa" is
/// not euros).
fn unit_ends(text: &str, end: usize) -> bool {
    at_word_end(text, end) && char_at(text, end) != Some('-') && !colon_ending_at(text, end)
}

/// A currency symbol written before an amount, at `pos`.
pub(super) fn prefix_currency_at(text: &str, pos: usize) -> Option<&'static Unit> {
    let symbol = PREFIX_CURRENCIES
        .iter()
        .find(|s| text.get(pos..).is_some_and(|rest| rest.starts_with(**s)))?;
    UNITS.iter().find(|u| u.written == *symbol)
}

/// `true` if `pos` starts a symbol that can only be a currency before a
/// number, so the scanner knows to try an amount there.
pub(super) fn starts_prefix_currency(text: &str, pos: usize) -> bool {
    char_at(text, pos).is_some_and(|c| matches!(c, '€' | '$' | '£'))
}

impl Unit {
    /// The noun for `count_is_one` (exactly one) or any other amount.
    pub(super) fn form(&self, count_is_one: bool) -> &'static str {
        if count_is_one {
            self.one
        } else {
            self.many
        }
    }
}
