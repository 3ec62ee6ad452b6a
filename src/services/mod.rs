//! Use cases: each function opens and commits its own transaction and
//! returns domain results; handlers only translate HTTP to these calls.

pub mod attempt_writer;
pub mod attempts;
mod error;
pub mod health;
pub mod items;
pub mod metadata;
pub mod stats;
pub mod tags;
pub mod tasks;
pub mod translations;
pub mod tts;
pub mod word_stats;

pub use error::ServiceError;
