//! Turning [`Speech`] into an HTTP response. Cached audio gets `ETag` (the cache key),
//! `Cache-Control`, `If-None-Match` → 304 and single-range `Range` → 206/416; audio still being
//! produced is sent with chunked transfer as each sentence is encoded.
//!
//! Stored files (an item's audio, contract addendum §3.5) go through [`file_response`]: the
//! same range and `If-None-Match` handling, with `Last-Modified` and an `ETag` made from the
//! file's size and modification time, streamed from the open file.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use utoipa::{ToResponse, ToSchema};

use crate::audio::AudioFormat;
use crate::speech::cache::{CachedAudio, SpeechCache, HOT_MAX_ITEM};
use crate::speech::{Speech, SpeechError};

/// Content-addressed, so a given ETag's bytes never change; a day is a conservative lifetime.
const CACHE_CONTROL: &str = "public, max-age=86400";

fn etag(key: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{key}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

/// The ETag of audio being produced whose stored copy will differ (a WAV's header says "to the
/// end" where the stored copy says the true sizes): weak, the same audio, not the same bytes.
fn weak_etag(key: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("W/\"{key}\"")).unwrap_or(HeaderValue::from_static("W/\"\""))
}

/// Whether `If-None-Match` names this key (or `*`).
pub fn not_modified(headers: &HeaderMap, key: &str) -> bool {
    let Some(value) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == key)
}

/// A 304 for `key`.
pub fn not_modified_response(key: &str) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    r.headers_mut().insert(header::ETAG, etag(key));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    r
}

/// A `Range` that no byte of the body satisfies (416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// The byte range a `Range` header asks for: `Ok(None)` = whole body.
pub fn parse_range(value: &str, size: u64) -> Result<Option<(u64, u64)>, Unsatisfiable> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // multiple ranges: serve the whole body (allowed by RFC 9110).
    }
    let (start, end) = spec.split_once('-').ok_or(Unsatisfiable)?;
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let n: u64 = end.parse().map_err(|_| Unsatisfiable)?;
        if n == 0 || size == 0 {
            return Err(Unsatisfiable);
        }
        (size.saturating_sub(n), size - 1)
    } else {
        let s: u64 = start.parse().map_err(|_| Unsatisfiable)?;
        let e: u64 = if end.is_empty() {
            size.saturating_sub(1)
        } else {
            end.parse::<u64>()
                .map_err(|_| Unsatisfiable)?
                .min(size.saturating_sub(1))
        };
        if s >= size || e < s {
            return Err(Unsatisfiable);
        }
        (s, e)
    };
    Ok(Some(range))
}

/// Where a cached clip's bytes come from.
enum Source {
    Memory(Bytes),
    File,
}

/// `len` bytes of an open file from `start`, read in 64 KiB pieces as the
/// client takes them.
async fn file_body(mut file: tokio::fs::File, start: u64, len: u64) -> std::io::Result<Body> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    file.seek(std::io::SeekFrom::Start(start)).await?;
    Ok(Body::from_stream(
        tokio_util::io::ReaderStream::with_capacity(file.take(len), 64 * 1024),
    ))
}

/// `len` bytes of the clip from `start`: a slice of memory, or the file
/// read in 64 KiB pieces as the client takes them.
async fn body_of(
    source: &Source,
    audio: &CachedAudio,
    start: u64,
    len: u64,
) -> Result<Body, SpeechError> {
    match source {
        Source::Memory(bytes) => {
            let (from, to) = (start as usize, (start + len) as usize);
            Ok(Body::from(
                bytes.slice(from.min(bytes.len())..to.min(bytes.len())),
            ))
        }
        Source::File => {
            let failed =
                |e: std::io::Error| SpeechError::Failed(format!("cannot read cached audio: {e}"));
            let file = tokio::fs::File::open(&audio.path).await.map_err(failed)?;
            file_body(file, start, len).await.map_err(failed)
        }
    }
}

/// Send a cached file, honouring `If-None-Match` and `Range`.
pub async fn cached_response(
    cache: &SpeechCache,
    headers: &HeaderMap,
    audio: &CachedAudio,
    format: AudioFormat,
) -> Result<Response, SpeechError> {
    if not_modified(headers, &audio.key) {
        return Ok(not_modified_response(&audio.key));
    }
    // A clip too large for the memory tier is streamed from its file, so a
    // 250 MB clip never sits in memory once per request.
    let source = match cache.in_memory(audio) {
        Some(bytes) => Source::Memory(bytes),
        None if audio.size as usize > HOT_MAX_ITEM => Source::File,
        None => Source::Memory(
            cache
                .read(audio)
                .await
                .map_err(|e| SpeechError::Failed(format!("cannot read cached audio: {e}")))?,
        ),
    };
    let size = match &source {
        Source::Memory(bytes) => bytes.len() as u64,
        Source::File => audio.size,
    };
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| parse_range(v, size))
        .unwrap_or(Ok(None));
    let mut response = match range {
        Ok(None) => (StatusCode::OK, body_of(&source, audio, 0, size).await?).into_response(),
        Ok(Some((start, end))) => {
            let body = body_of(&source, audio, start, end + 1 - start).await?;
            let mut r = (StatusCode::PARTIAL_CONTENT, body).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        Err(Unsatisfiable) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag(&audio.key));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert("x-cache", HeaderValue::from_static("hit"));
    Ok(response)
}

/// How to present a stored file.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub size: u64,
    pub modified: Option<std::time::SystemTime>,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    /// `Content-Disposition` value, e.g. `attachment; filename="item_7.wav"`.
    pub disposition: String,
}

impl StoredFile {
    /// Hex MD5 of modification time and size: cheap, and it changes
    /// whenever the file is rewritten.
    pub fn etag_key(&self) -> String {
        use md5::{Digest, Md5};
        let nanos = self
            .modified
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let digest = Md5::digest(format!("{nanos}-{}", self.size).as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
fn http_date(time: std::time::SystemTime) -> Option<HeaderValue> {
    let utc: chrono::DateTime<chrono::Utc> = time.into();
    HeaderValue::from_str(&utc.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
}

/// Send an open file whole (200), one range of it (206), nothing of it
/// (416 with `Content-Range: bytes */size`) or a 304 for a matching
/// `If-None-Match`. The body is streamed, never read whole into memory.
pub async fn file_response(
    headers: &HeaderMap,
    file: tokio::fs::File,
    stored: &StoredFile,
) -> std::io::Result<Response> {
    let key = stored.etag_key();
    let size = stored.size;
    let mut response = if not_modified(headers, &key) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let range = headers
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .map(|v| parse_range(v, size))
            .unwrap_or(Ok(None));
        let (status, start, end) = match range {
            Ok(None) => (StatusCode::OK, 0, size),
            Ok(Some((start, last))) => (StatusCode::PARTIAL_CONTENT, start, last + 1),
            Err(Unsatisfiable) => {
                let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                r.headers_mut()
                    .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
                return Ok(r);
            }
        };
        let mut r = (status, file_body(file, start, end - start).await?).into_response();
        let h = r.headers_mut();
        if status == StatusCode::PARTIAL_CONTENT {
            let last = end - 1;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{last}/{size}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
        }
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(stored.content_type),
        );
        if let Ok(v) = HeaderValue::from_str(&stored.disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag(&key));
    if let Some(v) = stored.modified.and_then(http_date) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(stored.cache_control),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    Ok(response)
}

/// Respond with [`Speech`]: a cached file, or the chunks as they are produced. The first chunk
/// is awaited before answering so an engine failure on the first sentence is a proper error
/// status rather than a truncated 200.
pub async fn speech_response(
    cache: &SpeechCache,
    headers: &HeaderMap,
    speech: Speech,
    format: AudioFormat,
) -> Result<Response, SpeechError> {
    match speech {
        Speech::Cached(audio) => cached_response(cache, headers, &audio, format).await,
        Speech::Stream { key, chunks } => {
            let body = Body::from_stream(first_awaited(chunks).await?);
            let mut response = (StatusCode::OK, body).into_response();
            let h = response.headers_mut();
            let tag = if format.streams_stored_bytes() {
                etag(&key)
            } else {
                weak_etag(&key)
            };
            h.insert(header::ETAG, tag);
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_CONTROL),
            );
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            );
            h.insert("x-cache", HeaderValue::from_static("miss"));
            Ok(response)
        }
    }
}

/// The pieces of a production as a body stream, its first piece awaited: an engine failure on
/// the first sentence is still an error status. A later failure ends the stream early (the
/// status line is long gone), so the client sees a truncated body.
pub(crate) async fn first_awaited(
    mut chunks: tokio::sync::mpsc::Receiver<Result<Bytes, SpeechError>>,
) -> Result<AudioPieces, SpeechError> {
    let first = match chunks.recv().await {
        Some(Ok(bytes)) => bytes,
        Some(Err(e)) => return Err(e),
        None => return Err(SpeechError::Failed("synthesis ended without audio".into())),
    };
    let rest = stream::unfold(chunks, |mut rx| async move {
        match rx.recv().await {
            Some(Ok(b)) => Some((Ok(b), rx)),
            Some(Err(e)) => Some((Err(std::io::Error::other(e.to_string())), rx)),
            None => None,
        }
    });
    Ok(Box::pin(futures_util::StreamExt::chain(
        stream::once(async move { Ok(first) }),
        rest,
    )))
}

/// Pieces of encoded audio on their way to a client.
pub(crate) type AudioPieces =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=50-500", 100), Ok(Some((50, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=9-1", 100), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=x-1", 100), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(parse_range("items=0-1", 100), Ok(None));
    }

    #[test]
    fn stored_file_validators() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        let stored = StoredFile {
            size: 10,
            modified: Some(at),
            content_type: "audio/wav",
            cache_control: "public, max-age=3600",
            disposition: String::new(),
        };
        assert_eq!(
            http_date(at).unwrap(),
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        let key = stored.etag_key();
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        let grown = StoredFile {
            size: 11,
            ..stored.clone()
        };
        assert_ne!(grown.etag_key(), key);
    }

    #[test]
    fn etags() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"abc\""),
        );
        assert!(not_modified(&h, "abc"));
        assert!(!not_modified(&h, "ab"));
    }
}

// ------------------------------------------------------------ OpenAPI

// The bodies are streamed, never held in one value: this names them in the
// OpenAPI document.
/// A binary body (audio, whose type the response's content type names).
#[allow(dead_code)] // A schema, never built.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(Vec<u8>);

/// Declares a response of speech audio in any of the five formats; the
/// speech endpoints share these instead of repeating the content list.
macro_rules! speech_audio_response {
    ($(#[$meta:meta])* $name:ident) => {
        #[allow(dead_code)] // A response description, never built.
        #[derive(ToResponse)]
        $(#[$meta])*
        pub enum $name {
            Mp3(#[content("audio/mpeg")] Binary),
            Ogg(#[content("audio/ogg")] Binary),
            Wav(#[content("audio/wav")] Binary),
            Pcm16(#[content("audio/L16")] Binary),
            Mulaw(#[content("audio/basic")] Binary),
        }
    };
}

speech_audio_response!(
    /// 200 of the speech endpoints.
    #[response(
        description = "The audio. Cached audio carries `ETag`, `Cache-Control` and `Accept-Ranges: bytes`; audio still being made is sent chunked as it is encoded",
        headers(("etag" = String, description = "Cache key of the audio"))
    )]
    SpeechAudio
);

speech_audio_response!(
    /// 206 of the speech endpoints.
    #[response(description = "The requested byte range of cached audio (single `Range`)")]
    SpeechAudioRange
);
