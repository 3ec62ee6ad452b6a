//! Black-box tests of the HTTP API through the real server (one binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod attempts;
mod cloud_tts;
mod feedback;
mod health;
mod items;
mod piper;
mod router;
mod speech;
mod spoken;
mod stats;
mod tags;
mod tasks;
mod tts;
