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
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

use crate::audio::AudioFormat;
use crate::error::ApiError;
use crate::http::audio_response::speech_response;
use crate::http::openapi::schemas as api;
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

/// OpenAI's error body.
fn openai_error(
    status: StatusCode,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    (
        status,
        Json(
            json!({ "error": { "message": message, "type": kind, "param": param, "code": code } }),
        ),
    )
        .into_response()
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
        SpeechError::NoEngine | SpeechError::Abandoned => openai_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &e.to_string(),
            "server_error",
            None,
            Some("engine_unavailable"),
        ),
        SpeechError::Unavailable(m) => openai_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &m,
            "server_error",
            None,
            Some("engine_unavailable"),
        ),
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

/// Parse the OpenAI request body; every problem is a 400 in OpenAI's shape.
fn openai_request(state: &AppState, body: &[u8]) -> Result<SpeechRequest, Box<Response>> {
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
    openai_model(obj)?;
    let input = openai_input(obj)?;
    let voice = openai_voice(obj)?;
    let format = openai_format(obj)?;
    let speed = speed_field(obj.get("speed")).ok_or_else(|| {
        invalid(
            "'speed' must be a number from 0.25 to 4.0.",
            "speed",
            "invalid_value",
        )
    })?;
    let language = language_of(state, obj).map_err(|m| invalid(&m, "language", "invalid_value"))?;
    Ok(SpeechRequest {
        text: input,
        language,
        voice,
        speed,
        format,
        sample_rate: OPENAI_RATE,
    })
}

/// Checks that `model` is a non-empty string (any model name is accepted).
fn openai_model(obj: &Map<String, Value>) -> Result<(), Box<Response>> {
    match obj.get("model") {
        Some(Value::String(m)) if !m.trim().is_empty() => Ok(()),
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

/// The `voice` (a name, or an object with an `id`); one of OpenAI's voice
/// names is `None`, this engine's default voice.
fn openai_voice(obj: &Map<String, Value>) -> Result<Option<String>, Box<Response>> {
    let voice = match obj.get("voice") {
        Some(Value::String(v)) if !v.trim().is_empty() => v.trim().to_string(),
        Some(Value::Object(o)) => match o.get("id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => {
                return Err(invalid(
                    "'voice' must be a string.",
                    "voice",
                    "invalid_type",
                ))
            }
        },
        Some(_) => {
            return Err(invalid(
                "'voice' must be a non-empty string.",
                "voice",
                "invalid_type",
            ))
        }
        None => {
            return Err(invalid(
                "you must provide a voice parameter",
                "voice",
                "missing_required_parameter",
            ))
        }
    };
    Ok((!OPENAI_VOICES.contains(&voice.to_ascii_lowercase().as_str())).then_some(voice))
}

/// The `response_format` (mp3 when absent); aac and flac are refused as unsupported.
fn openai_format(obj: &Map<String, Value>) -> Result<AudioFormat, Box<Response>> {
    match obj.get("response_format") {
        None | Some(Value::Null) => Ok(AudioFormat::Mp3),
        Some(Value::String(f)) => match f.as_str() {
            "mp3" => Ok(AudioFormat::Mp3),
            "opus" => Ok(AudioFormat::Opus),
            "wav" => Ok(AudioFormat::Wav),
            "pcm" => Ok(AudioFormat::Pcm16),
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

/// The optional `speed` field of all three speech requests: 1.0 when absent
/// or null, `None` unless a number from 0.25 to 4.0.
pub(crate) fn speed_field(value: Option<&Value>) -> Option<f32> {
    match value {
        None | Some(Value::Null) => Some(1.0),
        Some(v) => v
            .as_f64()
            .filter(|s| (0.25..=4.0).contains(s))
            .map(|s| s as f32),
    }
}

/// The language a speech request gets when it names none: the engine's
/// first supported language, else Finnish.
pub(crate) fn default_language(supported: &[String]) -> String {
    supported.first().cloned().unwrap_or_else(|| "fi".into())
}

/// Optional `language` extension field, checked against the supported list.
fn language_of(state: &AppState, obj: &Map<String, Value>) -> Result<String, String> {
    let supported = state.tts.supported_languages();
    match obj.get("language") {
        None | Some(Value::Null) => Ok(default_language(supported)),
        Some(Value::String(l)) if supported.iter().any(|s| s == l) => Ok(l.clone()),
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
    request_body = api::OpenAiSpeechRequest,
    responses(
        (status = 200, response = api::SpeechAudio),
        (status = 206, response = api::SpeechAudioRange),
        (status = 304, description = "`If-None-Match` names this audio's ETag"),
        (status = 416, description = "No byte of the audio satisfies `Range`"),
        (status = 400, description = "Invalid request (OpenAI's error shape)", body = api::OpenAiErrorBody),
        (status = 500, description = "Synthesis failed (OpenAI's error shape)", body = api::OpenAiErrorBody),
        (status = 503, description = "No engine, or it is unavailable (OpenAI's error shape, code `engine_unavailable`)", body = api::OpenAiErrorBody),
    )
)]
async fn openai_speech(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let req = match openai_request(&state, &body) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let format = req.format;
    let speech = match state.speech.speak(req).await {
        Ok(s) => s,
        Err(e) => return openai_speech_error(e),
    };
    speech_response(state.speech.cache(), &headers, speech, format)
        .await
        .unwrap_or_else(openai_speech_error)
}

// ------------------------------------------------------------------ batch API

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(json!({ "detail": "Invalid or missing user-token" })),
    )
        .into_response()
}

/// Map speech errors to the contract's `{"detail": …}` shape.
pub fn api_speech_error(e: SpeechError) -> Response {
    match e {
        SpeechError::BadRequest(m) => ApiError::BadRequest(m).into_response(),
        SpeechError::NoEngine | SpeechError::Abandoned => {
            ApiError::Unavailable(e.to_string()).into_response()
        }
        SpeechError::Unavailable(m) => ApiError::Unavailable(m).into_response(),
        SpeechError::Failed(m) => ApiError::Internal {
            action: "synthesize speech",
            cause: m,
        }
        .into_response(),
    }
}

/// `{"text", "voice"?, "language"?, "format"? (wav), "sample_rate"? (22050), "speed"? (1.0)}`.
fn batch_request(state: &AppState, body: &[u8]) -> Result<SpeechRequest, Box<Response>> {
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
        Some(Value::String(v)) if v.trim().is_empty() || v == "default" => None,
        Some(Value::String(v)) => Some(v.clone()),
        Some(_) => return Err(bad("'voice' must be a string")),
    };
    let format = match obj.get("format") {
        None | Some(Value::Null) => AudioFormat::Wav,
        Some(Value::String(f)) => AudioFormat::parse(f)
            .ok_or_else(|| bad("'format' must be one of wav, pcm16, mulaw, opus, mp3"))?,
        Some(_) => return Err(bad("'format' must be a string")),
    };
    let sample_rate = match obj.get("sample_rate") {
        None | Some(Value::Null) => BATCH_DEFAULT_RATE,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| bad("'sample_rate' must be a positive integer"))?,
    };
    let speed = speed_field(obj.get("speed"))
        .ok_or_else(|| bad("'speed' must be a number from 0.25 to 4.0"))?;
    let language = language_of(state, obj).map_err(|m| bad(&m))?;
    Ok(SpeechRequest {
        text: text.to_string(),
        language,
        voice,
        speed,
        format,
        sample_rate,
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
    request_body = api::BatchSpeechRequest,
    responses(
        (status = 200, response = api::SpeechAudio),
        (status = 206, response = api::SpeechAudioRange),
        (status = 304, description = "`If-None-Match` names this audio's ETag"),
        (status = 416, description = "No byte of the audio satisfies `Range`"),
        (status = 400, description = "The engine refused the input", body = api::ErrorDetail),
        (status = 403, description = "`Invalid or missing user-token`", body = api::ErrorDetail),
        (status = 422, description = "Invalid body (shape A: one message)", body = api::ErrorDetail),
        (status = 500, response = api::InternalError),
        (status = 503, description = "No engine, or it is unavailable", body = api::ErrorDetail),
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
        Ok(r) => r,
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
        (status = 200, description = "Speech-cache counters since start, its size and limits", body = api::CacheStats),
        (status = 500, response = api::InternalError),
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
    Json(json!({
        "hits": counters.hits,
        "misses": counters.misses,
        "coalesced": counters.coalesced,
        "evictions": counters.evictions,
        "engine_calls": state.speech.engine_calls(),
        "entries": entries,
        "bytes": bytes,
        "max_bytes": state.settings.speech.cache_max_bytes,
        "max_age_days": state.settings.speech.cache_max_age.as_secs() / 86_400,
    }))
    .into_response()
}
