//! Last Whisper: a dictation-training backend (items, scored attempts,
//! statistics, TTS), wire-compatible with the original Python service.

/// In-process audio encoders (wav, pcm16, μ-law, Ogg/Opus, MP3) and resampling.
pub mod audio;
/// Typed settings loaded from defaults, `.env` and the environment.
pub mod config;
/// SQLite pools, migrations, and one module of SQL per table.
pub mod db;
/// Pure domain rules: scoring, difficulty, rounding, timestamps.
pub mod domain;
/// The API error type and its contract-shaped bodies.
pub mod error;
/// Audio files: the item/task audio store and atomic writes.
pub mod files;
/// Routers, handlers, extractors and middleware.
pub mod http;
/// `models fetch`: download and verify a TTS model.
pub mod models_fetch;
/// Prometheus metrics: the process-wide recorder and scrape-time values.
pub mod observability;
/// The task pipeline: queue, workers, monitor, events.
pub mod pipeline;
/// Use cases called by the handlers.
pub mod services;
/// Speech for every caller: the speech service, streaming sessions and the
/// content-addressed clip cache.
pub mod speech;
/// Building and running the server.
pub mod startup;
/// Shared handler state.
pub mod state;
/// Logging setup.
pub mod telemetry;
/// Translation providers (Google v2, LibreTranslate) for item translations.
pub mod translate;
/// Speech engines and the task pipeline.
pub mod tts;
