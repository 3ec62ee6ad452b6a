//! Streaming sessions, the gateway API: `POST /v1/tts/sessions` stores the request,
//! `GET /v1/tts/sessions/{id}` reports it, and the WebSocket `GET /v1/tts/sessions/{id}/stream`
//! sends `{"type":"audio","seq":N,"data":"<base64>"}` messages with gap-free increasing `seq`,
//! then `{"type":"eos",…totals}` and a normal close; on failure `{"type":"error",…}` and a close
//! code (4400 bad input, 1013 engine unavailable, 1011 internal).
//!
//! Chunks are fixed-size slices of the encoded byte stream, so chunk N is the same bytes whether
//! the audio is being synthesised or comes from the cache — which is what makes
//! `?from_seq=N` (resume after a dropped connection) exact. Sending awaits the socket, so a slow
//! reader stalls the loop, which stalls the producer's bounded channel (backpressure).

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::audio::AudioFormat;
use crate::domain::limits::MAX_TEXT_LENGTH;
use crate::error::{ApiError, ErrorDetail, InternalError, PayloadTooLarge, ValidationFailed};
use crate::http::auth;
use crate::http::extract::{object_fields, Fields, JsonBody, QueryFields, RawQuery};
use crate::http::speech::{default_language, speed_value};
use crate::http::wire::{AudioFormatName, SessionStatus};
use crate::speech::{Speech, SpeechError, SpeechRequest};
use crate::state::AppState;

/// Bytes of encoded audio per WebSocket message.
pub const CHUNK_BYTES: usize = 8_192;
const MAX_TEXT_CHARS: usize = MAX_TEXT_LENGTH;
const SESSION_NOT_FOUND: &str = "Session not found";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tts/sessions", post(create))
        .route("/v1/tts/sessions/{session_id}", get(get_one))
        .route("/v1/tts/sessions/{session_id}/stream", get(stream))
}

fn provider_name(state: &AppState) -> String {
    format!("{:?}", state.settings.tts.provider).to_lowercase()
}

/// Store what to say; then open `stream_url` as a WebSocket. Sessions are
/// kept in memory for an hour.
#[utoipa::path(
    post,
    path = "/v1/tts/sessions",
    operation_id = "create_session",
    summary = "Create a streaming session",
    tag = "sessions",
    request_body = SessionCreate,
    responses(
        (status = 201, description = "Created", body = SessionCreated),
        (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (request, provider) = session_request(&state, &body)?.into_speech(&state);
    let info = SessionInfo::from(state.speech.sessions().create(request, provider));
    let stream_url = format!("/v1/tts/sessions/{}/stream", info.session_id);
    Ok((
        StatusCode::CREATED,
        Json(SessionCreated { info, stream_url }),
    )
        .into_response())
}

// As `session_request` reads it.
/// `POST /v1/tts/sessions`.
#[derive(Debug, ToSchema)]
pub struct SessionCreate {
    /// 1..10,000 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"\S",
        example = "Hyvää huomenta!"
    )]
    text: String,
    #[schema(value_type = AudioFormatName)]
    target_format: AudioFormat,
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

impl SessionCreate {
    /// The speech request and the provider name to store, with the
    /// defaults: this server's provider, the first supported language,
    /// speed 1.
    fn into_speech(self, state: &AppState) -> (SpeechRequest, String) {
        let request = SpeechRequest {
            text: self.text,
            language: self
                .language
                .unwrap_or_else(|| default_language(state.tts.supported_languages())),
            voice: self.voice,
            speed: self.speed.map_or(1.0, |s| s as f32),
            format: self.target_format,
            // Checked to be 1..=MAX_SAMPLE_RATE.
            sample_rate: u32::try_from(self.sample_rate_hz).unwrap_or(u32::MAX),
        };
        let provider = self.provider.unwrap_or_else(|| provider_name(state));
        (request, provider)
    }
}

/// What a client sees of a session (never the text itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    session_id: String,
    /// `created`, `streaming`, `completed` or `failed`.
    status: SessionStatus,
    provider: String,
    #[schema(required = true)]
    voice: Option<String>,
    language: String,
    /// Canonical format name (`wav`, `pcm16`, `mulaw`, `opus`, `mp3`).
    target_format: String,
    sample_rate_hz: u32,
    text_length: usize,
    chunks_sent: u64,
    bytes_sent: u64,
    #[schema(required = true)]
    error: Option<String>,
}

impl From<crate::speech::sessions::SessionInfo> for SessionInfo {
    fn from(info: crate::speech::sessions::SessionInfo) -> Self {
        SessionInfo {
            session_id: info.session_id,
            status: info.status,
            provider: info.provider,
            voice: info.voice,
            language: info.language,
            target_format: info.target_format,
            sample_rate_hz: info.sample_rate_hz,
            text_length: info.text_length,
            chunks_sent: info.chunks_sent,
            bytes_sent: info.bytes_sent,
            error: info.error,
        }
    }
}

/// `POST /v1/tts/sessions` → 201: the session plus where to stream it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCreated {
    #[serde(flatten)]
    info: SessionInfo,
    /// `/v1/tts/sessions/{session_id}/stream` (a WebSocket).
    stream_url: String,
}

/// Parse a session's body; every problem is one entry of a 422.
fn session_request(state: &AppState, body: &Value) -> Result<SessionCreate, ApiError> {
    let mut errors = Vec::new();
    let mut request = None;
    if let Some(mut f) = object_fields(body, vec![json!("body")], &mut errors) {
        let text = f.string("text", true, 1, MAX_TEXT_CHARS);
        if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
            f.value_error("text", "text is blank");
        }
        let provider = session_provider(&mut f, &provider_name(state));
        let voice = f.string("voice", false, 1, 200);
        let (rate, format) = session_rate_and_format(&mut f);
        let language = session_language(state, &mut f);
        let speed = speed_value(f.get("speed")).ok();
        if speed.is_none() {
            f.value_error("speed", "expected a number from 0.25 to 4.0");
        }
        if let (Some(text), Some(rate), Some(format), Some(language), Some(speed)) =
            (text, rate, format, language, speed)
        {
            request = Some(SessionCreate {
                text,
                target_format: format,
                sample_rate_hz: rate,
                provider,
                voice,
                language,
                speed,
            });
        }
    }
    match request {
        Some(r) if errors.is_empty() => Ok(r),
        _ => Err(ApiError::validation(errors)),
    }
}

/// The optional `provider`: this server's own name or `default`; another
/// name is an error.
fn session_provider(f: &mut Fields, provider: &str) -> Option<String> {
    let p = f.string("provider", false, 1, 100)?;
    if p != provider && p != "default" {
        f.value_error(
            "provider",
            &format!("unknown provider; this server runs `{provider}`"),
        );
        return None;
    }
    Some(p)
}

/// The required `sample_rate_hz` and `target_format`, and whether the format
/// can be encoded at that rate.
fn session_rate_and_format(f: &mut Fields) -> (Option<i64>, Option<AudioFormat>) {
    let rate = f.int(
        "sample_rate_hz",
        true,
        1,
        i64::from(crate::audio::MAX_SAMPLE_RATE),
    );
    let format_name = f.string("target_format", true, 1, 20);
    let format = format_name.as_deref().and_then(|n| {
        let parsed = AudioFormat::parse(n);
        if parsed.is_none() {
            f.value_error(
                "target_format",
                "expected one of pcm16, mulaw, opus, mp3, wav",
            );
        }
        parsed
    });
    if let (Some(format), Some(rate)) = (format, rate) {
        if let Err(e) = format.output_rate(rate as u32) {
            f.value_error("sample_rate_hz", &e.to_string());
        }
    }
    (rate, format)
}

/// The optional `language`, one of the supported ones: `Some(None)` when
/// absent, `None` when wrong.
fn session_language(state: &AppState, f: &mut Fields) -> Option<Option<String>> {
    let supported = state.tts.supported_languages();
    match f.string("language", false, 1, 20) {
        Some(l) if supported.contains(&l) => Some(Some(l)),
        Some(_) => {
            f.value_error("language", "language not supported");
            None
        }
        None => Some(None),
    }
}

#[utoipa::path(
    get,
    path = "/v1/tts/sessions/{session_id}",
    operation_id = "get_session",
    summary = "Get a session",
    tag = "sessions",
    params(("session_id" = String, Path, description = "Session id from `POST /v1/tts/sessions`")),
    responses(
        (status = 200, description = "The session's state and totals", body = SessionInfo),
        (status = 404, description = "`Session not found` (unknown or expired)", body = ErrorDetail), (status = 500, response = InternalError),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (_, info) = state
        .speech
        .sessions()
        .get(&id)
        .ok_or_else(|| ApiError::NotFound(SESSION_NOT_FOUND.into()))?;
    Ok(Json(SessionInfo::from(info)).into_response())
}

/// WebSocket upgrade (`Connection: Upgrade`, `Upgrade: websocket`). The
/// server sends text messages `{"type":"audio","seq":N,"data":"<base64>"}`
/// (`seq` from 0, gap-free, 8,192 encoded bytes each), then
/// `{"type":"eos","session_id","chunks","bytes","format","sample_rate_hz","cache"}`
/// and a normal close (1000). On failure: `{"type":"error","code","message"}`
/// and close code 4400 (bad input), 1013 (engine unavailable) or 1011
/// (internal). `?from_seq=N` resumes after a dropped connection.
#[utoipa::path(
    get,
    path = "/v1/tts/sessions/{session_id}/stream",
    operation_id = "stream_session",
    summary = "Stream a session (WebSocket)",
    tag = "sessions",
    params(("session_id" = String, Path, description = "Session id from `POST /v1/tts/sessions`"), crate::http::openapi::params::StreamQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request (`WebSocket upgrade required: …`)", body = ErrorDetail),
        (status = 404, description = "`Session not found` (unknown or expired)", body = ErrorDetail), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let (request, _) = state
        .speech
        .sessions()
        .get(&id)
        .ok_or_else(|| ApiError::NotFound(SESSION_NOT_FOUND.into()))?;
    let mut q = QueryFields::new(&query);
    let from_seq = q.int("from_seq", 0, i64::MAX).unwrap_or(0) as u64;
    q.finish()?;
    let ws = ws.map_err(|e| ApiError::BadRequest(format!("WebSocket upgrade required: {e}")))?;
    // Select our protocol when the client offered one (a browser that sent
    // its key as a subprotocol fails the handshake unless one is chosen).
    let ws = ws.protocols([auth::WEBSOCKET_PROTOCOL]);
    Ok(ws.on_upgrade(move |socket| async move {
        let mut streamer = Streamer {
            socket,
            state,
            id,
            from_seq,
            seq: 0,
            bytes: 0,
        };
        streamer.run(request).await;
    }))
}

/// The socket was closed by the client (or broke).
struct Gone;

struct Streamer {
    socket: WebSocket,
    state: AppState,
    id: String,
    from_seq: u64,
    /// Next sequence number.
    seq: u64,
    bytes: u64,
}

impl Streamer {
    async fn run(&mut self, request: SpeechRequest) {
        let sessions = self.state.speech.sessions().clone();
        sessions.update(&self.id, |i| i.status = SessionStatus::Streaming);
        let result = self.produce(&request).await;
        let (chunks, bytes) = (self.seq, self.bytes);
        match result {
            Ok(Ok(cache)) => {
                if self.from_seq > chunks {
                    let e = SpeechError::BadRequest(format!(
                        "from_seq {} is beyond the last chunk ({chunks})",
                        self.from_seq
                    ));
                    self.fail(&sessions, e).await;
                    return;
                }
                let rate = request
                    .format
                    .output_rate(request.sample_rate)
                    .unwrap_or(request.sample_rate);
                let eos = json!({
                    "type": "eos",
                    "session_id": self.id,
                    "chunks": chunks,
                    "bytes": bytes,
                    "format": request.format.as_str(),
                    "sample_rate_hz": rate,
                    "cache": cache,
                });
                sessions.update(&self.id, |i| {
                    i.status = SessionStatus::Completed;
                    i.chunks_sent = chunks;
                    i.bytes_sent = bytes;
                });
                if self.send_json(&eos).await.is_ok() {
                    let _ = self.close(1000, "eos").await;
                }
            }
            Ok(Err(e)) => self.fail(&sessions, e).await,
            Err(Gone) => {
                tracing::info!("streaming client went away");
                sessions.update(&self.id, |i| i.status = SessionStatus::Failed);
            }
        }
    }

    async fn fail(&mut self, sessions: &crate::speech::sessions::Sessions, e: SpeechError) {
        let (code, kind) = match &e {
            SpeechError::BadRequest(_) | SpeechError::UnknownVoice(_) => (4400, "invalid_request"),
            SpeechError::NoEngine
            | SpeechError::Unavailable(_)
            | SpeechError::TimedOut(_)
            | SpeechError::StorageFull(_)
            | SpeechError::Abandoned => (1013, "unavailable"),
            SpeechError::Failed(_) => (1011, "internal"),
        };
        let message = match &e {
            SpeechError::Failed(m) => {
                tracing::error!(error = %m, "streaming session failed");
                "speech synthesis failed".to_string()
            }
            other => other.to_string(),
        };
        sessions.update(&self.id, |i| {
            i.status = SessionStatus::Failed;
            i.error = Some(message.clone());
        });
        let body = json!({ "type": "error", "code": kind, "message": message });
        if self.send_json(&body).await.is_ok() {
            let _ = self.close(code, kind).await;
        }
    }

    /// Stream every chunk; returns whether it was a cache hit.
    async fn produce(
        &mut self,
        request: &SpeechRequest,
    ) -> Result<Result<&'static str, SpeechError>, Gone> {
        let speech = match self.state.speech.speak(request.clone()).await {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let mut pending: Vec<u8> = Vec::with_capacity(CHUNK_BYTES * 2);
        let cache = match speech {
            Speech::Cached(audio) => {
                // Read in pieces as they are sent: a large cached clip is
                // never held whole in memory by a session.
                let failed = |e: std::io::Error| {
                    SpeechError::Failed(format!("cannot read cached audio: {e}"))
                };
                if let Some(bytes) = self.state.speech.cache().in_memory(&audio) {
                    pending.extend_from_slice(&bytes);
                } else {
                    use tokio::io::AsyncReadExt;
                    let mut file = match tokio::fs::File::open(&audio.path).await {
                        Ok(file) => file,
                        Err(e) => return Ok(Err(failed(e))),
                    };
                    let mut piece = vec![0u8; CHUNK_BYTES * 16];
                    loop {
                        let n = match file.read(&mut piece).await {
                            Ok(n) => n,
                            Err(e) => return Ok(Err(failed(e))),
                        };
                        if n == 0 {
                            break;
                        }
                        pending.extend_from_slice(&piece[..n]);
                        self.send_full(&mut pending).await?;
                    }
                }
                "hit"
            }
            Speech::Stream { mut chunks, .. } => {
                while let Some(item) = chunks.recv().await {
                    match item {
                        Ok(bytes) => {
                            pending.extend_from_slice(&bytes);
                            self.send_full(&mut pending).await?;
                        }
                        Err(e) => return Ok(Err(e)),
                    }
                }
                "miss"
            }
        };
        self.send_full(&mut pending).await?;
        if !pending.is_empty() {
            let last = std::mem::take(&mut pending);
            self.send_chunk(&last).await?;
        }
        Ok(Ok(cache))
    }

    /// Send every whole chunk in `pending`, keeping the remainder.
    async fn send_full(&mut self, pending: &mut Vec<u8>) -> Result<(), Gone> {
        let whole = pending.len() / CHUNK_BYTES * CHUNK_BYTES;
        if whole == 0 {
            return Ok(());
        }
        let ready: Vec<u8> = pending.drain(..whole).collect();
        for chunk in ready.chunks(CHUNK_BYTES) {
            self.send_chunk(chunk).await?;
        }
        Ok(())
    }

    async fn send_chunk(&mut self, chunk: &[u8]) -> Result<(), Gone> {
        let seq = self.seq;
        self.seq += 1;
        self.bytes += chunk.len() as u64;
        if seq < self.from_seq {
            return Ok(()); // already delivered before the resume
        }
        let data = base64::engine::general_purpose::STANDARD.encode(chunk);
        self.send_json(&json!({ "type": "audio", "seq": seq, "data": data }))
            .await
    }

    async fn send_json(&mut self, value: &Value) -> Result<(), Gone> {
        self.socket
            .send(Message::Text(value.to_string().into()))
            .await
            .map_err(|_| Gone)
    }

    async fn close(&mut self, code: u16, reason: &'static str) -> Result<(), Gone> {
        self.socket
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await
            .map_err(|_| Gone)
    }
}
