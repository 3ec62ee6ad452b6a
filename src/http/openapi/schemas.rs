//! Schema-only types for the OpenAPI document: what is left of the shadow
//! schema, for the speech and session endpoints only.
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

// Re-exported while the speech and session code still names them through
// this module: the error bodies and shared responses (`crate::error`) and
// `SessionStatus` (`crate::http::wire`, named by `speech::sessions`).
pub use crate::error::{ErrorDetail, InternalError, PayloadTooLarge, ValidationFailed};
pub use crate::http::wire::SessionStatus;
// The speech audio responses (`crate::http::audio_response`) and the format
// names (`crate::http::wire`).
pub use crate::http::audio_response::{SpeechAudio, SpeechAudioRange};
use crate::http::wire::AudioFormatName;

// The legacy API's non-blank text, also a voice name in `OpenAiVoice`.
use crate::http::legacy_tts::NonBlankText;

// ------------------------------------------------------------ OpenAI errors

/// OpenAI's error object (used by `POST /v1/audio/speech` only).
#[derive(ToSchema)]
pub struct OpenAiError {
    message: String,
    /// `invalid_request_error` (400) or `server_error` (5xx).
    #[schema(rename = "type")]
    kind: String,
    /// The request field at fault, e.g. `input`.
    #[schema(required = true)]
    param: Option<String>,
    /// e.g. `missing_required_parameter`, `invalid_value`, `engine_unavailable`.
    #[schema(required = true)]
    code: Option<String>,
}

/// OpenAI's error body: `{"error": {message, type, param, code}}`.
#[derive(ToSchema)]
#[schema(example = json!({"error": {"message": "you must provide an input parameter", "type": "invalid_request_error", "param": "input", "code": "missing_required_parameter"}}))]
pub struct OpenAiErrorBody {
    error: OpenAiError,
}

// ------------------------------------------------------------ TTS operations

/// `GET /v1/tts/cache`: speech-cache counters since start and its size.
#[derive(ToSchema)]
pub struct CacheStats {
    hits: i64,
    misses: i64,
    coalesced: i64,
    evictions: i64,
    engine_calls: i64,
    entries: i64,
    bytes: i64,
    max_bytes: i64,
    max_age_days: i64,
}

// ------------------------------------------------------------ speech

/// OpenAI's `response_format` values this server encodes (`aac` and
/// `flac` are refused with 400 `unsupported_value`).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum OpenAiFormat {
    Mp3,
    Opus,
    Wav,
    Pcm,
}

/// A voice given as an object (`{"id": "..."}`), as newer OpenAI SDKs send.
#[derive(ToSchema)]
pub struct VoiceRef {
    id: String,
}

/// `voice`: a name, or `{"id": name}`. OpenAI's names (`alloy`, `nova`, …)
/// select the engine's default voice.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum OpenAiVoice {
    Name(NonBlankText),
    Object(VoiceRef),
}

/// `POST /v1/audio/speech` (OpenAI's request). Errors are 400 in OpenAI's shape.
#[derive(ToSchema)]
pub struct OpenAiSpeechRequest {
    /// Any non-empty name (`tts-1`, `gpt-4o-mini-tts`, …); the server's
    /// engine speaks regardless.
    #[schema(min_length = 1, pattern = r"\S", example = "tts-1")]
    model: String,
    /// Text to speak, not blank.
    #[schema(
        min_length = 1,
        max_length = 4096,
        pattern = r"\S",
        example = "Hyvää huomenta!"
    )]
    input: String,
    voice: OpenAiVoice,
    /// Default `mp3`.
    response_format: Option<OpenAiFormat>,
    /// 0.25..4.0, default 1.0.
    #[schema(minimum = 0.25, maximum = 4.0, default = 1.0)]
    speed: Option<f64>,
    /// Extension: one of `TTS_SUPPORTED_LANGUAGES` (default: the first).
    language: Option<String>,
}

/// `POST /synthesizeSpeech` (the batch API).
#[derive(ToSchema)]
pub struct BatchSpeechRequest {
    /// 1..10,000 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"\S",
        example = "Hyvää huomenta!"
    )]
    text: String,
    /// Voice name; empty or `default` = the engine's default.
    voice: Option<String>,
    /// Default `wav`.
    format: Option<AudioFormatName>,
    /// Output rate in Hz, default 22050 (1..192000; mp3 allows only its
    /// standard rates, opus is always 48000).
    #[schema(minimum = 1, maximum = 192000, default = 22050)]
    sample_rate: Option<i64>,
    /// 0.25..4.0, default 1.0.
    #[schema(minimum = 0.25, maximum = 4.0, default = 1.0)]
    speed: Option<f64>,
    /// One of `TTS_SUPPORTED_LANGUAGES` (default: the first).
    language: Option<String>,
}

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
