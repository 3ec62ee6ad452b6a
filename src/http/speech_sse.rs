//! `POST /v1/audio/speech` with `stream_format: "sse"`: the audio as OpenAI streams it, in
//! server-sent events: `speech.audio.delta` events, each with a piece of the encoded audio in
//! base64, then one `speech.audio.done` with `usage`.
//!
//! Why its own module: the audio body of [`super::audio_response`] answers ranges and
//! validators of cached files; an event stream has none of that (every request gets every
//! event), only the pieces as they come from the cache or the encoder.
//!
//! `usage.input_tokens` counts the characters of `input` (this server has no tokenizer of
//! OpenAI's; the local engines read text one character at a time); `output_tokens` is 0.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use futures_util::{stream, StreamExt};
use serde::Serialize;
use utoipa::{ToResponse, ToSchema};

use crate::audio::AudioFormat;
use crate::http::audio_response::{first_awaited, AudioPieces, Binary};
use crate::speech::cache::SpeechCache;
use crate::speech::{Speech, SpeechError};

/// Bytes of audio per event when the audio is already whole (48 KiB: 64 KiB of base64).
const PIECE: usize = 48 * 1024;

/// `speech.audio.delta`: a piece of the encoded audio.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpeechAudioDeltaEvent {
    #[serde(rename = "type")]
    kind: DeltaType,
    /// The piece, base64 (standard alphabet, padded); the pieces in order are the audio file.
    audio: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub enum DeltaType {
    #[serde(rename = "speech.audio.delta")]
    Delta,
}

/// `speech.audio.done`: the last event.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpeechAudioDoneEvent {
    #[serde(rename = "type")]
    kind: DoneType,
    usage: SpeechUsage,
}

#[derive(Debug, Serialize, ToSchema)]
pub enum DoneType {
    #[serde(rename = "speech.audio.done")]
    Done,
}

/// `input_tokens`: characters of `input`; `output_tokens`: 0.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpeechUsage {
    input_tokens: u64,
    output_tokens: u64,
    total_tokens: u64,
}

/// One event of `stream_format: "sse"` (the JSON of one `data:` line).
#[allow(dead_code)] // A schema: the events are built as their own types.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum SpeechStreamEvent {
    Delta(SpeechAudioDeltaEvent),
    Done(SpeechAudioDoneEvent),
}

/// One `data:` event.
fn event(value: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(value).unwrap_or_default();
    Bytes::from(format!("data: {json}\n\n"))
}

fn delta(audio: &[u8]) -> Bytes {
    event(&SpeechAudioDeltaEvent {
        kind: DeltaType::Delta,
        audio: base64::engine::general_purpose::STANDARD.encode(audio),
    })
}

fn done(input_tokens: usize) -> Bytes {
    let input_tokens = input_tokens as u64;
    event(&SpeechAudioDoneEvent {
        kind: DoneType::Done,
        usage: SpeechUsage {
            input_tokens,
            output_tokens: 0,
            total_tokens: input_tokens,
        },
    })
}

/// The pieces of a cached clip: from memory, else read from its file as the client takes them.
async fn cached_pieces(
    cache: &SpeechCache,
    audio: &crate::speech::cache::CachedAudio,
) -> Result<AudioPieces, SpeechError> {
    if let Some(bytes) = cache.in_memory(audio) {
        let pieces: Vec<Result<Bytes, std::io::Error>> = (0..bytes.len())
            .step_by(PIECE)
            .map(|at| Ok(bytes.slice(at..(at + PIECE).min(bytes.len()))))
            .collect();
        return Ok(Box::pin(stream::iter(pieces)));
    }
    let file = tokio::fs::File::open(&audio.path)
        .await
        .map_err(|e| SpeechError::Failed(format!("cannot read cached audio: {e}")))?;
    Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
        file, PIECE,
    )))
}

/// The event stream for `speech`: a delta per piece of audio, then `done`.
pub async fn sse_response(
    cache: &SpeechCache,
    speech: Speech,
    format: AudioFormat,
    input_chars: usize,
) -> Result<Response, SpeechError> {
    let (pieces, hit) = match speech {
        Speech::Cached(audio) => (cached_pieces(cache, &audio).await?, "hit"),
        Speech::Stream { chunks, .. } => (first_awaited(chunks).await?, "miss"),
    };
    let deltas = pieces.map(|piece| piece.map(|bytes| delta(&bytes)));
    let events = deltas.chain(stream::once(async move { Ok(done(input_chars)) }));
    let mut response = (StatusCode::OK, Body::from_stream(events)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-cache", HeaderValue::from_static(hit));
    // The encoding of the audio inside the events (they carry no content type of their own).
    h.insert(
        "x-audio-content-type",
        HeaderValue::from_static(format.content_type()),
    );
    Ok(response)
}

// ------------------------------------------------------------ OpenAPI

/// The 200 of `POST /v1/audio/speech`: the audio in the requested format, or its events.
#[allow(dead_code)] // A response description, never built.
#[derive(ToResponse)]
#[response(
    description = "The audio (`stream_format` `audio`, the default): cached audio carries `ETag`, `Cache-Control` and `Accept-Ranges: bytes`; audio still being made is sent chunked as it is encoded. With `stream_format: \"sse\"`: `text/event-stream`, one `data:` line per event, `speech.audio.delta` events then `speech.audio.done` (header `X-Audio-Content-Type` names the audio's type)",
    headers(("etag" = String, description = "Cache key of the audio (not with `sse`)"))
)]
pub enum OpenAiSpeechAudio {
    Mp3(#[content("audio/mpeg")] Binary),
    Ogg(#[content("audio/ogg")] Binary),
    Wav(#[content("audio/wav")] Binary),
    Pcm16(#[content("audio/L16")] Binary),
    Events(#[content("text/event-stream")] SpeechStreamEvent),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_openais() {
        assert_eq!(
            delta(b"abc"),
            Bytes::from("data: {\"type\":\"speech.audio.delta\",\"audio\":\"YWJj\"}\n\n")
        );
        assert_eq!(
            done(7),
            Bytes::from(
                "data: {\"type\":\"speech.audio.done\",\"usage\":{\"input_tokens\":7,\"output_tokens\":0,\"total_tokens\":7}}\n\n"
            )
        );
    }
}
