//! When a number written with a period ("3.") is an ordinal, and in which
//! case, and how Finnish case endings after a colon ("5:ssä") are read.
//!
//! Finnish marks ordinals with a period, but the same period also ends
//! sentences ("raiteelta 5."), and the ordinal agrees in case with its noun
//! ("3. kerroksessa" → "kolmannessa kerroksessa"). Guessing the case of an
//! arbitrary noun is not possible without a morphological analyser, so the
//! ordinal is only produced where the grammar is unambiguous: before a month
//! in the partitive ("24. joulukuuta") and before the nouns of [`HEAD_NOUNS`],
//! whose case is known. Everything else keeps the cardinal (issue 10).

use super::words::Case;

/// Month names in the partitive, as in "24. joulukuuta"; index 0 is January.
pub(super) const MONTHS_PARTITIVE: [&str; 12] = [
    "tammikuuta",
    "helmikuuta",
    "maaliskuuta",
    "huhtikuuta",
    "toukokuuta",
    "kesäkuuta",
    "heinäkuuta",
    "elokuuta",
    "syyskuuta",
    "lokakuuta",
    "marraskuuta",
    "joulukuuta",
];

/// Nouns that commonly follow a written ordinal, each in the inflected forms
/// whose case is unambiguous. Lower case.
const HEAD_NOUNS: &[(&str, Case)] = &[
    ("kerta", Case::Nominative),
    ("kerran", Case::Genitive),
    ("kertaa", Case::Partitive),
    ("kerralla", Case::Adessive),
    ("kerros", Case::Nominative),
    ("kerroksen", Case::Genitive),
    ("kerroksessa", Case::Inessive),
    ("kerroksesta", Case::Elative),
    ("kerrokseen", Case::Illative),
    ("luokka", Case::Nominative),
    ("luokan", Case::Genitive),
    ("luokkaa", Case::Partitive),
    ("luokalla", Case::Adessive),
    ("luokalle", Case::Allative),
    ("luokalta", Case::Ablative),
    ("sija", Case::Nominative),
    ("sijan", Case::Genitive),
    ("sijalla", Case::Adessive),
    ("sijalle", Case::Allative),
    ("sijalta", Case::Ablative),
    ("päivä", Case::Nominative),
    ("päivän", Case::Genitive),
    ("päivänä", Case::Essive),
    ("vuosisata", Case::Nominative),
    ("vuosisadan", Case::Genitive),
    ("vuosisadalla", Case::Adessive),
    ("vuosisadalta", Case::Ablative),
    ("painos", Case::Nominative),
    ("painoksen", Case::Genitive),
    ("painoksessa", Case::Inessive),
    ("kierros", Case::Nominative),
    ("kierroksen", Case::Genitive),
    ("kierroksella", Case::Adessive),
    ("kierrokselle", Case::Allative),
    ("luku", Case::Nominative),
    ("luvun", Case::Genitive),
    ("luvussa", Case::Inessive),
    ("luvusta", Case::Elative),
    ("osa", Case::Nominative),
    ("osan", Case::Genitive),
    ("osassa", Case::Inessive),
    ("osasta", Case::Elative),
    ("kohta", Case::Nominative),
    ("kohdan", Case::Genitive),
    ("kohdassa", Case::Inessive),
    ("kohdasta", Case::Elative),
    ("sivu", Case::Nominative),
    ("sivun", Case::Genitive),
    ("sivulla", Case::Adessive),
    ("sivulle", Case::Allative),
    ("rivi", Case::Nominative),
    ("rivin", Case::Genitive),
    ("rivillä", Case::Adessive),
    ("viikko", Case::Nominative),
    ("viikon", Case::Genitive),
    ("viikolla", Case::Adessive),
    ("kausi", Case::Nominative),
    ("kauden", Case::Genitive),
    ("kaudella", Case::Adessive),
    ("aste", Case::Nominative),
    ("asteen", Case::Genitive),
    ("maailmansota", Case::Nominative),
    ("maailmansodan", Case::Genitive),
    ("maailmansodassa", Case::Inessive),
    ("vuosi", Case::Nominative),
    ("vuoden", Case::Genitive),
    ("vuonna", Case::Essive),
    ("vuotta", Case::Partitive),
];

/// Index (0 = January) of a month written as digits, if it is one.
pub(super) fn month_index(digits: &str) -> Option<usize> {
    let month: usize = digits.parse().ok()?;
    (1..=12).contains(&month).then(|| month - 1)
}

/// Longest month of each kind (February may have 29 days).
const DAYS_IN_MONTH: [u8; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// `true` for a day (1–2 digits) that exists in the month `month_index`.
pub(super) fn is_day_of(digits: &str, month_index: usize) -> bool {
    let max = DAYS_IN_MONTH.get(month_index).copied().unwrap_or(0);
    digits.len() <= 2 && digits.parse::<u8>().is_ok_and(|d| (1..=max).contains(&d))
}

/// The case of an ordinal followed by `word`, if the grammar fixes it.
pub(super) fn ordinal_case_before(word: &str) -> Option<Case> {
    let lower = word.to_lowercase();
    if MONTHS_PARTITIVE.contains(&lower.as_str()) {
        return Some(Case::Nominative);
    }
    HEAD_NOUNS
        .iter()
        .find(|(noun, _)| *noun == lower)
        .map(|(_, case)| *case)
}

/// Reading of a case ending written after a colon: `(ordinal, case)`.
///
/// "5:ssä" → cardinal inessive, "3:nnen" → ordinal genitive, "2025:een" →
/// cardinal illative. Unknown endings give `None`.
pub(super) fn colon_suffix(suffix: &str) -> Option<(bool, Case)> {
    let ordinal = ORDINAL_SUFFIXES.iter().find(|(s, _)| *s == suffix);
    if let Some((_, case)) = ordinal {
        return Some((true, *case));
    }
    let cardinal = CARDINAL_SUFFIXES.iter().find(|(s, _)| *s == suffix);
    if let Some((_, case)) = cardinal {
        return Some((false, *case));
    }
    // Illative endings vary with the stem (":een", ":in", ":hin", ":seen",
    // ":aan", ":ään"); all end in a vowel + "n" and nothing else above does.
    let illative = suffix.chars().count() >= 2 && suffix.ends_with('n');
    illative.then_some((false, Case::Illative))
}

const ORDINAL_SUFFIXES: &[(&str, Case)] = &[
    ("s", Case::Nominative),
    ("nen", Case::Nominative),
    ("nnen", Case::Genitive),
    ("nnessa", Case::Inessive),
    ("nnessä", Case::Inessive),
    ("nnesta", Case::Elative),
    ("nnestä", Case::Elative),
    ("nteen", Case::Illative),
    ("nnella", Case::Adessive),
    ("nnellä", Case::Adessive),
    ("nnelta", Case::Ablative),
    ("nneltä", Case::Ablative),
    ("nnelle", Case::Allative),
    ("ntena", Case::Essive),
    ("ntenä", Case::Essive),
    ("nneksi", Case::Translative),
];

const CARDINAL_SUFFIXES: &[(&str, Case)] = &[
    ("n", Case::Genitive),
    ("ssa", Case::Inessive),
    ("ssä", Case::Inessive),
    ("sta", Case::Elative),
    ("stä", Case::Elative),
    ("lla", Case::Adessive),
    ("llä", Case::Adessive),
    ("lta", Case::Ablative),
    ("ltä", Case::Ablative),
    ("lle", Case::Allative),
    ("na", Case::Essive),
    ("nä", Case::Essive),
    ("ksi", Case::Translative),
    ("tta", Case::Abessive),
    ("ttä", Case::Abessive),
    ("ta", Case::Partitive),
    ("tä", Case::Partitive),
    ("a", Case::Partitive),
    ("ä", Case::Partitive),
];
