//! Pure rules of the dictation domain: no I/O, unit-tested next to the code.

pub mod alignment;
pub mod difficulty;
pub mod lenient;
pub mod limits;
pub mod rounding;
pub mod scoring;
pub mod spoken;
pub mod status;
pub mod timestamp;
pub mod transliterate;
pub mod word_outcomes;
