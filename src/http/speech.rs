//! Synchronous speech: OpenAI's `POST /v1/audio/speech` (so Open WebUI, Home Assistant and the
//! `openai` SDKs work unchanged; errors in OpenAI's shape) and the seed's batch API
//! `POST /synthesizeSpeech` (optional `user-token`). Both go through the speech cache.
//! `GET /v1/tts/cache` reports the cache counters.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::audio::AudioFormat;
use crate::error::{ApiError, ErrorDetail, InternalError};
use crate::http::audio_response::{speech_response, SpeechAudio, SpeechAudioRange};
use crate::http::legacy_tts::NonBlankText;
use crate::http::speech_sse::{sse_response, OpenAiSpeechAudio};
use crate::http::wire::AudioFormatName;
use crate::speech::{SpeechError, SpeechRequest};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/audio/speech", post(openai_speech))
        .route("/synthesizeSpeech", post(synthesize_speech))
        .route("/v1/tts/cache", get(cache_stats))
}

/// OpenAI's limit on `input`.
const MAX_INPUT_CHARS: usize = 4096;
/// OpenAI's rate for pcm/wav/mp3 output.
const OPENAI_RATE: u32 = 24_000;
/// The batch API's default rate (Piper's usual 22.05 kHz).
const BATCH_DEFAULT_RATE: u32 = 22_050;
/// Longest text the batch API takes.
const BATCH_MAX_CHARS: usize = 10_000;
/// OpenAI's voice names: they select this engine's default voice.
const OPENAI_VOICES: [&str; 13] = [
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
    "marin", "cedar",
];

// ------------------------------------------------------------------ OpenAI

/// OpenAI's error object (used by `POST /v1/audio/speech` only).
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAiError {
    message: String,
    /// `invalid_request_error` (400) or `server_error` (5xx).
    #[serde(rename = "type")]
    kind: String,
    /// The request field at fault, e.g. `input`.
    #[schema(required = true)]
    param: Option<String>,
    /// e.g. `missing_required_parameter`, `invalid_value`, `engine_unavailable`.
    #[schema(required = true)]
    code: Option<String>,
}

/// OpenAI's error body: `{"error": {message, type, param, code}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"message": "you must provide an input parameter", "type": "invalid_request_error", "param": "input", "code": "missing_required_parameter"}}))]
pub struct OpenAiErrorBody {
    error: OpenAiError,
}

/// OpenAI's error body with `status`.
fn openai_error(
    status: StatusCode,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    let error = OpenAiError {
        message: message.to_string(),
        kind: kind.to_string(),
        param: param.map(str::to_string),
        code: code.map(str::to_string),
    };
    (status, Json(OpenAiErrorBody { error })).into_response()
}

fn invalid(message: &str, param: &str, code: &str) -> Box<Response> {
    Box::new(invalid_response(message, param, code))
}

fn invalid_response(message: &str, param: &str, code: &str) -> Response {
    openai_error(
        StatusCode::BAD_REQUEST,
        message,
        "invalid_request_error",
        Some(param),
        Some(code),
    )
}

fn openai_speech_error(e: SpeechError) -> Response {
    match e {
        SpeechError::BadRequest(m) => openai_error(
            StatusCode::BAD_REQUEST,
            &m,
            "invalid_request_error",
            Some("input"),
            None,
        ),
        SpeechError::UnknownVoice(m) => openai_error(
            StatusCode::BAD_REQUEST,
            &m,
            "invalid_request_error",
            Some("voice"),
            None,
        ),
        SpeechError::NoEngine | SpeechError::Abandoned => openai_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &e.to_string(),
            "server_error",
            None,
            Some("engine_unavailable"),
        ),
        SpeechError::Unavailable(m) | SpeechError::TimedOut(m) | SpeechError::StorageFull(m) => {
            openai_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &m,
                "server_error",
                None,
                Some("engine_unavailable"),
            )
        }
        SpeechError::Failed(m) => {
            tracing::error!(error = %m, "speech request failed");
            openai_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "speech synthesis failed",
                "server_error",
                None,
                None,
            )
        }
    }
}

// As `openai_request` reads it.
/// `POST /v1/audio/speech` (OpenAI's request). Errors are 400 in OpenAI's shape.
#[derive(Debug, ToSchema)]
pub struct OpenAiSpeechRequest {
    /// Any non-empty name (`tts-1`, `gpt-4o-mini-tts`, …); the server's
    /// engine speaks regardless.
    #[schema(min_length = 1, pattern = r"\S", example = "tts-1")]
    #[allow(dead_code)] // Checked, then ignored: any model name speaks.
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
    /// `audio` (default): the audio file, sent as it is encoded. `sse`: server-sent events,
    /// `speech.audio.delta` (base64 audio) then `speech.audio.done`.
    stream_format: Option<StreamFormat>,
    /// Extension: one of `TTS_SUPPORTED_LANGUAGES` (default: the first).
    language: Option<String>,
}

/// How `POST /v1/audio/speech` sends its audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum StreamFormat {
    Audio,
    Sse,
}

/// A voice given as an object (`{"id": "..."}`), as newer OpenAI SDKs send.
#[derive(Debug, ToSchema)]
pub struct VoiceRef {
    id: String,
}

/// `voice`: a name, or `{"id": name}`. OpenAI's names (`alloy`, `nova`, …)
/// select the engine's default voice.
#[derive(Debug, ToSchema)]
#[serde(untagged)]
pub enum OpenAiVoice {
    Name(NonBlankText),
    Object(VoiceRef),
}

impl OpenAiVoice {
    /// The voice to ask the engine for: `None` (its default) for one of
    /// OpenAI's names.
    fn engine_voice(self) -> Option<String> {
        let voice = match self {
            OpenAiVoice::Name(name) => name.into_inner(),
            OpenAiVoice::Object(VoiceRef { id }) => id,
        };
        (!OPENAI_VOICES.contains(&voice.to_ascii_lowercase().as_str())).then_some(voice)
    }
}

/// OpenAI's `response_format` values this server encodes (`aac` and
/// `flac` are refused with 400 `unsupported_value`).
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum OpenAiFormat {
    Mp3,
    Opus,
    Wav,
    Pcm,
}

impl From<OpenAiFormat> for AudioFormat {
    fn from(format: OpenAiFormat) -> Self {
        match format {
            OpenAiFormat::Mp3 => AudioFormat::Mp3,
            OpenAiFormat::Opus => AudioFormat::Opus,
            OpenAiFormat::Wav => AudioFormat::Wav,
            OpenAiFormat::Pcm => AudioFormat::Pcm16,
        }
    }
}

impl OpenAiSpeechRequest {
    /// The service request, with OpenAI's defaults (mp3, speed 1, 24 kHz)
    /// and the first of `supported` as the default language.
    fn into_speech(self, supported: &[String]) -> SpeechRequest {
        SpeechRequest {
            text: self.input,
            language: self.language.unwrap_or_else(|| default_language(supported)),
            voice: self.voice.engine_voice(),
            speed: self.speed.map_or(1.0, |s| s as f32),
            format: self.response_format.map_or(AudioFormat::Mp3, Into::into),
            sample_rate: OPENAI_RATE,
        }
    }
}

/// Parse the OpenAI request body; every problem is a 400 in OpenAI's shape.
fn openai_request(state: &AppState, body: &[u8]) -> Result<OpenAiSpeechRequest, Box<Response>> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        invalid(
            "We could not parse the JSON body of your request.",
            "body",
            "invalid_json",
        )
    })?;
    let Some(obj) = value.as_object() else {
        return Err(invalid(
            "The request body must be a JSON object.",
            "body",
            "invalid_type",
        ));
    };
    let model = openai_model(obj)?;
    let input = openai_input(obj)?;
    let voice = openai_voice(obj)?;
    let response_format = openai_format(obj)?;
    let speed = speed_value(obj.get("speed")).map_err(|()| {
        invalid(
            "'speed' must be a number from 0.25 to 4.0.",
            "speed",
            "invalid_value",
        )
    })?;
    let stream_format = openai_stream_format(obj)?;
    let language = language_of(state, obj).map_err(|m| invalid(&m, "language", "invalid_value"))?;
    Ok(OpenAiSpeechRequest {
        model,
        input,
        voice,
        response_format,
        speed,
        stream_format,
        language,
    })
}

/// The `model`: a non-empty string (any model name is accepted).
fn openai_model(obj: &Map<String, Value>) -> Result<String, Box<Response>> {
    match obj.get("model") {
        Some(Value::String(m)) if !m.trim().is_empty() => Ok(m.clone()),
        Some(_) => Err(invalid(
            "'model' must be a non-empty string.",
            "model",
            "invalid_type",
        )),
        None => Err(invalid(
            "you must provide a model parameter",
            "model",
            "missing_required_parameter",
        )),
    }
}

/// The `input` text: a non-blank string of at most [`MAX_INPUT_CHARS`].
fn openai_input(obj: &Map<String, Value>) -> Result<String, Box<Response>> {
    let input = match obj.get("input") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(invalid(
                "'input' must be a string.",
                "input",
                "invalid_type",
            ))
        }
        None => {
            return Err(invalid(
                "you must provide an input parameter",
                "input",
                "missing_required_parameter",
            ))
        }
    };
    let len = input.chars().count();
    if input.trim().is_empty() {
        return Err(invalid(
            "'input' must not be empty.",
            "input",
            "invalid_value",
        ));
    }
    if len > MAX_INPUT_CHARS {
        return Err(invalid(
            &format!("'input' is too long: {len} characters, maximum {MAX_INPUT_CHARS}."),
            "input",
            "string_above_max_length",
        ));
    }
    Ok(input)
}

/// The `voice`: a name (trimmed), or an object with an `id`.
fn openai_voice(obj: &Map<String, Value>) -> Result<OpenAiVoice, Box<Response>> {
    match obj.get("voice") {
        Some(Value::String(v)) if !v.trim().is_empty() => {
            Ok(OpenAiVoice::Name(NonBlankText::new(v.trim().to_string())))
        }
        Some(Value::Object(o)) => match o.get("id").and_then(Value::as_str) {
            Some(id) => Ok(OpenAiVoice::Object(VoiceRef { id: id.to_string() })),
            None => Err(invalid(
                "'voice' must be a string.",
                "voice",
                "invalid_type",
            )),
        },
        Some(_) => Err(invalid(
            "'voice' must be a non-empty string.",
            "voice",
            "invalid_type",
        )),
        None => Err(invalid(
            "you must provide a voice parameter",
            "voice",
            "missing_required_parameter",
        )),
    }
}

/// The `response_format` (mp3 when absent); aac and flac are refused as unsupported.
fn openai_format(obj: &Map<String, Value>) -> Result<Option<OpenAiFormat>, Box<Response>> {
    match obj.get("response_format") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(f)) => match f.as_str() {
            "mp3" => Ok(Some(OpenAiFormat::Mp3)),
            "opus" => Ok(Some(OpenAiFormat::Opus)),
            "wav" => Ok(Some(OpenAiFormat::Wav)),
            "pcm" => Ok(Some(OpenAiFormat::Pcm)),
            "aac" | "flac" => Err(invalid(
                &format!("response_format '{f}' is not supported by this server; use mp3, opus, wav or pcm."),
                "response_format",
                "unsupported_value",
            )),
            _ => Err(invalid(
                "'response_format' must be one of mp3, opus, aac, flac, wav, pcm.",
                "response_format",
                "invalid_value",
            )),
        },
        Some(_) => Err(invalid("'response_format' must be a string.", "response_format", "invalid_type")),
    }
}

/// The `stream_format`: `audio` (the default) or `sse`.
fn openai_stream_format(obj: &Map<String, Value>) -> Result<Option<StreamFormat>, Box<Response>> {
    match obj.get("stream_format") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(f)) if f == "audio" => Ok(Some(StreamFormat::Audio)),
        Some(Value::String(f)) if f == "sse" => Ok(Some(StreamFormat::Sse)),
        Some(_) => Err(invalid(
            "'stream_format' must be one of 'audio', 'sse'.",
            "stream_format",
            "invalid_value",
        )),
    }
}

/// The optional `speed` field of all three speech requests: `None` when
/// absent or null, an error unless a number from 0.25 to 4.0.
pub(crate) fn speed_value(value: Option<&Value>) -> Result<Option<f64>, ()> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|s| (0.25..=4.0).contains(s))
            .map(Some)
            .ok_or(()),
    }
}

/// The language a speech request gets when it names none: the engine's
/// first supported language, else Finnish.
pub(crate) fn default_language(supported: &[String]) -> String {
    supported.first().cloned().unwrap_or_else(|| "fi".into())
}

/// Optional `language` extension field, checked against the supported list.
fn language_of(state: &AppState, obj: &Map<String, Value>) -> Result<Option<String>, String> {
    let supported = state.tts.supported_languages();
    match obj.get("language") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(l)) if supported.iter().any(|s| s == l) => Ok(Some(l.clone())),
        Some(_) => Err(format!("'language' must be one of {supported:?}.")),
    }
}

/// OpenAI's text-to-speech endpoint: same request, answer and error shapes,
/// so OpenAI clients work unchanged. PCM is 16-bit little-endian mono at 24 kHz.
#[utoipa::path(
    post,
    path = "/v1/audio/speech",
    operation_id = "openai_speech",
    summary = "Speak (OpenAI-compatible)",
    tag = "speech",
    params(crate::http::openapi::params::CachedAudioHeaders),
    request_body = OpenAiSpeechRequest,
    responses(
        (status = 200, response = OpenAiSpeechAudio),
        (status = 206, response = SpeechAudioRange),
        (status = 304, description = "`If-None-Match` names this audio's ETag"),
        (status = 416, description = "No byte of the audio satisfies `Range`"),
        (status = 400, description = "Invalid request (OpenAI's error shape; `param` names the field)", body = OpenAiErrorBody),
        (status = 500, description = "Synthesis failed (OpenAI's error shape)", body = OpenAiErrorBody),
        (status = 503, description = "No engine, or it is unavailable (OpenAI's error shape, code `engine_unavailable`)", body = OpenAiErrorBody),
    )
)]
async fn openai_speech(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (req, sse) = match openai_request(&state, &body) {
        Ok(r) => {
            let sse = r.stream_format == Some(StreamFormat::Sse);
            (r.into_speech(state.tts.supported_languages()), sse)
        }
        Err(response) => return *response,
    };
    let format = req.format;
    // What `usage.input_tokens` of the SSE `speech.audio.done` event counts.
    let input_chars = req.text.chars().count();
    let speech = match state.speech.speak(req).await {
        Ok(s) => s,
        Err(e) => return openai_speech_error(e),
    };
    let response = if sse {
        sse_response(state.speech.cache(), speech, format, input_chars).await
    } else {
        speech_response(state.speech.cache(), &headers, speech, format).await
    };
    response.unwrap_or_else(openai_speech_error)
}

/// Whether `path` is one of OpenAI's routes (`/v1/audio/…`): its refusals by the guard (401,
/// 429) are in OpenAI's error shape too, so the `openai` SDKs raise `AuthenticationError` and
/// `RateLimitError`.
pub fn speaks_openai(path: &str) -> bool {
    path.starts_with("/v1/audio/")
}

/// OpenAI's 401 for a missing or wrong key (OpenAI never answers 403 here).
pub fn openai_unauthorized(missing: bool) -> Response {
    let message = if missing {
        "You didn't provide an API key. Send it in an Authorization header (Bearer auth) or in the API key header."
    } else {
        "Incorrect API key provided."
    };
    let mut response = openai_error(
        StatusCode::UNAUTHORIZED,
        message,
        "invalid_request_error",
        None,
        Some("invalid_api_key"),
    );
    response.headers_mut().insert(
        axum::http::header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer realm=\"api\""),
    );
    response
}

/// `refused` (the guard's 429, with `Retry-After` and `X-RateLimit-*`) with OpenAI's body.
pub fn openai_rate_limited(refused: Response) -> Response {
    let mut response = openai_error(
        StatusCode::TOO_MANY_REQUESTS,
        "Rate limit reached for requests. Try again after the number of seconds in Retry-After.",
        "requests",
        None,
        Some("rate_limit_exceeded"),
    );
    for (name, value) in refused.headers() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

// ------------------------------------------------------------------ batch API

fn forbidden() -> Response {
    ErrorDetail::new("Invalid or missing user-token").with_status(StatusCode::FORBIDDEN)
}

/// Map speech errors to the contract's `{"detail": …}` shape.
pub fn api_speech_error(e: SpeechError) -> Response {
    match e {
        SpeechError::BadRequest(m) | SpeechError::UnknownVoice(m) => {
            ApiError::BadRequest(m).into_response()
        }
        SpeechError::NoEngine | SpeechError::Abandoned => {
            ApiError::Unavailable(e.to_string()).into_response()
        }
        SpeechError::Unavailable(m) | SpeechError::TimedOut(m) | SpeechError::StorageFull(m) => {
            ApiError::Unavailable(m).into_response()
        }
        SpeechError::Failed(m) => ApiError::Internal {
            action: "synthesize speech",
            cause: m,
        }
        .into_response(),
    }
}

// As `batch_request` reads it.
/// `POST /synthesizeSpeech` (the batch API).
#[derive(Debug, ToSchema)]
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
    #[schema(value_type = Option<AudioFormatName>)]
    format: Option<AudioFormat>,
    /// Output rate in Hz, default 22050 (1..192000; mp3 allows only its
    /// standard rates, opus is always 48000).
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 192000, default = 22050)]
    sample_rate: Option<u32>,
    /// 0.25..4.0, default 1.0.
    #[schema(minimum = 0.25, maximum = 4.0, default = 1.0)]
    speed: Option<f64>,
    /// One of `TTS_SUPPORTED_LANGUAGES` (default: the first).
    language: Option<String>,
}

impl BatchSpeechRequest {
    /// The service request, with the batch API's defaults (wav, 22.05 kHz,
    /// speed 1) and the first of `supported` as the default language; an
    /// empty voice or `default` is the engine's default voice.
    fn into_speech(self, supported: &[String]) -> SpeechRequest {
        SpeechRequest {
            text: self.text,
            language: self.language.unwrap_or_else(|| default_language(supported)),
            voice: self
                .voice
                .filter(|v| !v.trim().is_empty() && v != "default"),
            speed: self.speed.map_or(1.0, |s| s as f32),
            format: self.format.unwrap_or(AudioFormat::Wav),
            sample_rate: self.sample_rate.unwrap_or(BATCH_DEFAULT_RATE),
        }
    }
}

/// `{"text", "voice"?, "language"?, "format"? (wav), "sample_rate"? (22050), "speed"? (1.0)}`.
fn batch_request(state: &AppState, body: &[u8]) -> Result<BatchSpeechRequest, Box<Response>> {
    let bad = |m: &str| Box::new(ApiError::UnprocessableDetail(m.to_string()).into_response());
    let value: Value =
        serde_json::from_slice(body).map_err(|_| bad("body must be a JSON object"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| bad("body must be a JSON object"))?;
    let text = obj
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("'text' is required"))?;
    if text.trim().is_empty() || text.chars().count() > BATCH_MAX_CHARS {
        return Err(bad(&format!(
            "'text' must have 1 to {BATCH_MAX_CHARS} characters"
        )));
    }
    let voice = match obj.get("voice") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) => Some(v.clone()),
        Some(_) => return Err(bad("'voice' must be a string")),
    };
    let format = match obj.get("format") {
        None | Some(Value::Null) => None,
        Some(Value::String(f)) => Some(
            AudioFormat::parse(f)
                .ok_or_else(|| bad("'format' must be one of wav, pcm16, mulaw, opus, mp3"))?,
        ),
        Some(_) => return Err(bad("'format' must be a string")),
    };
    let sample_rate = match obj.get("sample_rate") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| bad("'sample_rate' must be a positive integer"))?,
        ),
    };
    let speed = speed_value(obj.get("speed"))
        .map_err(|()| bad("'speed' must be a number from 0.25 to 4.0"))?;
    let language = language_of(state, obj).map_err(|m| bad(&m))?;
    Ok(BatchSpeechRequest {
        text: text.to_string(),
        voice,
        format,
        sample_rate,
        speed,
        language,
    })
}

/// The batch speech API. When `SYNTHESIZE_USER_TOKEN` is set, the
/// `user-token` header must carry it.
#[utoipa::path(
    post,
    path = "/synthesizeSpeech",
    operation_id = "synthesize_speech",
    summary = "Speak (batch API)",
    tag = "speech",
    params(
        ("user-token" = Option<String>, Header, description = "Required when the server sets `SYNTHESIZE_USER_TOKEN`"),
        crate::http::openapi::params::CachedAudioHeaders
    ),
    request_body = BatchSpeechRequest,
    responses(
        (status = 200, response = SpeechAudio),
        (status = 206, response = SpeechAudioRange),
        (status = 304, description = "`If-None-Match` names this audio's ETag"),
        (status = 416, description = "No byte of the audio satisfies `Range`"),
        (status = 400, description = "The engine refused the input", body = ErrorDetail),
        (status = 403, description = "`Invalid or missing user-token`", body = ErrorDetail),
        (status = 422, description = "Invalid body (shape A: one message)", body = ErrorDetail),
        (status = 500, response = InternalError),
        (status = 503, description = "No engine, or it is unavailable", body = ErrorDetail),
    )
)]
async fn synthesize_speech(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(token) = &state.settings.speech.user_token {
        let given = headers
            .get("user-token")
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        // Constant time (`subtle`), as the API keys are compared.
        if !bool::from(given.ct_eq(token.as_bytes())) {
            return forbidden();
        }
    }
    let req = match batch_request(&state, &body) {
        Ok(r) => r.into_speech(state.tts.supported_languages()),
        Err(response) => return *response,
    };
    let format = req.format;
    let speech = match state.speech.speak(req).await {
        Ok(s) => s,
        Err(e) => return api_speech_error(e),
    };
    speech_response(state.speech.cache(), &headers, speech, format)
        .await
        .unwrap_or_else(api_speech_error)
}

// ------------------------------------------------------------------ stats

#[utoipa::path(
    get,
    path = "/v1/tts/cache",
    operation_id = "speech_cache_stats",
    summary = "Speech-cache statistics",
    tag = "speech",
    responses(
        (status = 200, description = "Speech-cache counters since start, its size and limits", body = CacheStats),
        (status = 500, response = InternalError),
    )
)]
async fn cache_stats(State(state): State<AppState>) -> Response {
    let counters = state.speech.cache().counters();
    let (entries, bytes) = match state.speech.cache().totals().await {
        Ok(t) => t,
        Err(e) => {
            return ApiError::Internal {
                action: "read cache statistics",
                cause: e.to_string(),
            }
            .into_response()
        }
    };
    Json(CacheStats {
        hits: count(counters.hits),
        misses: count(counters.misses),
        coalesced: count(counters.coalesced),
        evictions: count(counters.evictions),
        engine_calls: count(state.speech.engine_calls()),
        entries,
        bytes,
        max_bytes: count(state.settings.speech.cache_max_bytes),
        max_age_days: count(state.settings.speech.cache_max_age.as_secs() / 86_400),
    })
    .into_response()
}

/// `GET /v1/tts/cache`: speech-cache counters since start and its size.
#[derive(Debug, Serialize, ToSchema)]
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

/// A counter as the API's integer (saturating; a count never nears it).
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
