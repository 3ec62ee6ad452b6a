//! Lenient scoring for texts with numbers and abbreviations: a learner who
//! heard "kahdeksan" may type "8" or "kahdeksan", and both are right. The
//! legacy score of contract §5 is untouched; this is a second score.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::domain::alignment::{self, Pair, Word};
use crate::domain::scoring::{self, tokenize};
use crate::domain::spoken::to_spoken;

/// Percentage over spoken words: both sides are turned into their spoken
/// form first, so digits and number words (or `esim.` and `esimerkiksi`)
/// count the same.
pub fn percentage_spoken(reference: &str, attempt: &str) -> i64 {
    scoring::score(&to_spoken(reference), &to_spoken(attempt)).percentage
}

/// Word alignment in which a word also matches its one-word spoken form
/// (`8` / `kahdeksan`); words are still shown as written.
pub fn align(reference: &str, attempt: &str) -> Vec<Pair> {
    let cache: RefCell<HashMap<String, Vec<String>>> = RefCell::new(HashMap::new());
    let spoken_tokens = |w: &Word| -> Vec<String> {
        cache
            .borrow_mut()
            .entry(w.written.clone())
            .or_insert_with(|| tokenize(&to_spoken(&w.written)))
            .clone()
    };
    alignment::align_with(reference, attempt, |r, h| {
        r.token == h.token
            || spoken_tokens(r) == [h.token.clone()]
            || spoken_tokens(h) == [r.token.clone()]
    })
}
