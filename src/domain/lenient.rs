//! Lenient scoring for texts with numbers and abbreviations: a learner who
//! heard "kahdeksan" may type "8" or "kahdeksan", and both are right. The
//! legacy score of contract §5 is untouched; this is a second score.

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
    // One normaliser call per distinct written word, not one per table cell.
    let mut spoken: HashMap<String, Option<String>> = HashMap::new();
    for word in alignment::words(reference)
        .into_iter()
        .chain(alignment::words(attempt))
    {
        spoken.entry(word.written.clone()).or_insert_with(|| {
            let mut tokens = tokenize(&to_spoken(&word.written));
            (tokens.len() == 1).then(|| tokens.remove(0))
        });
    }
    let one_word = |w: &Word| spoken.get(&w.written).and_then(Option::as_deref);
    alignment::align_with(reference, attempt, |r, h| {
        r.token == h.token
            || one_word(r) == Some(h.token.as_str())
            || one_word(h) == Some(r.token.as_str())
    })
}
