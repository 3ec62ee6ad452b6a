//! Use cases: each function opens and commits its own transaction and
//! returns domain results; handlers only translate HTTP to these calls.

pub mod attempts;
pub mod health;
pub mod items;
pub mod metadata;
pub mod sessions;
pub mod speech;
pub mod stats;
pub mod tags;
pub mod tasks;
pub mod tts;
