//! Black-box tests of the HTTP API through the real server (one binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod aggregates;
mod attempts;
mod cloud_tts;
mod engines;
mod feedback;
mod fuzz_regressions;
mod hardening;
mod health;
mod items;
mod later_contract;
mod metadata;
mod metrics;
mod openapi;
mod piper;
mod readme;
mod router;
mod security;
mod speech;
mod spoken;
mod stats;
mod tags;
mod task_audio_cache;
mod tasks;
mod translations;
mod tts;
