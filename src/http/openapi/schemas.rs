//! Schema-only types for the OpenAPI document: what is left of the shadow
//! schema, for the session endpoints only.
//!
//! Why they exist: those handlers read their body as a `serde_json::Value`
//! through [`crate::http::extract::Fields`] (to report every problem with the
//! original's `loc`) and answer audio or OpenAI-shaped errors. These types
//! describe those wire shapes; they are never (de)serialised. Their bounds
//! repeat the ones the handlers check, so a schema-driven fuzzer generates
//! input the server accepts; `tests/api/openapi.rs` checks the handlers and
//! these schemas against each other by calling the running server. Every
//! other handler's request and response bodies are the real types it parses
//! and returns (declared beside it), the error bodies live in
//! [`crate::error`] and the wire scalars in [`crate::http::wire`].

#![allow(dead_code)]

use utoipa::ToSchema;

// Re-exported while the session code still names them through
// this module: the error bodies and shared responses (`crate::error`) and
// `SessionStatus` (`crate::http::wire`, named by `speech::sessions`).
pub use crate::error::{ErrorDetail, InternalError, PayloadTooLarge, ValidationFailed};
pub use crate::http::wire::SessionStatus;
// The format names (`crate::http::wire`).
use crate::http::wire::AudioFormatName;

// ------------------------------------------------------------ sessions

/// `POST /v1/tts/sessions`.
#[derive(ToSchema)]
pub struct SessionCreate {
    /// 1..10,000 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"\S",
        example = "Hyvää huomenta!"
    )]
    text: String,
    target_format: AudioFormatName,
    /// 1..192000 Hz; mp3 allows only its standard rates (8000, 11025,
    /// 12000, 16000, 22050, 24000, 32000, 44100, 48000), opus sends 48000.
    #[schema(minimum = 1, maximum = 192000, example = 24000)]
    sample_rate_hz: i64,
    /// The server's `TTS_PROVIDER` name or `default`.
    #[schema(min_length = 1, max_length = 100)]
    provider: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    voice: Option<String>,
    /// One of `TTS_SUPPORTED_LANGUAGES` (default: the first).
    #[schema(min_length = 1, max_length = 20)]
    language: Option<String>,
    /// 0.25..4.0, default 1.0.
    #[schema(minimum = 0.25, maximum = 4.0, default = 1.0)]
    speed: Option<f64>,
}

/// `POST /v1/tts/sessions` → 201: the session plus where to stream it.
#[derive(ToSchema)]
pub struct SessionCreated {
    #[serde(flatten)]
    info: crate::speech::sessions::SessionInfo,
    /// `/v1/tts/sessions/{session_id}/stream` (a WebSocket).
    stream_url: String,
}
