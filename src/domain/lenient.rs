//! The learner-facing assessment of an attempt: one alignment that credits
//! what was heard, and the score read off it.
//!
//! A learner who heard "kahdeksan" may type "8" or "kahdeksan", and both
//! are right; "8.30" typed as "kahdeksan kolmekymmentä" is one correct unit.
//! The legacy score of contract §5 (`percentage`, `wer`, `words_*`) is
//! untouched; `percentage_spoken`, the alignment shown to the learner and
//! the missed-word statistics all come from [`assess`], so they agree.

use crate::domain::alignment::{self, Alignment};
use crate::domain::spoken::to_spoken;

/// Align `attempt` against the item's `text`. When the item was spoken from
/// a reading of its own (`heard`, a custom `spoken_text` that is neither
/// the text nor its derived spoken form), the attempt is also aligned
/// against that reading and the better of the two is kept: the learner is
/// credited for typing what the audio said.
pub fn assess(text: &str, heard: Option<&str>, attempt: &str) -> Alignment {
    let by_text = alignment::align(text, attempt);
    match heard {
        Some(heard) if heard != text && by_text.edits > 0 && heard != to_spoken(text) => {
            let by_heard = alignment::align(heard, attempt);
            if by_heard.percentage() > by_text.percentage() {
                by_heard
            } else {
                by_text
            }
        }
        _ => by_text,
    }
}

/// The learner-facing percentage (stored as `percentage_spoken`).
pub fn percentage_spoken(text: &str, heard: Option<&str>, attempt: &str) -> i64 {
    assess(text, heard, attempt).percentage()
}
