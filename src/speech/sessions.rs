//! Streaming sessions: `POST /v1/tts/sessions` stores what to say, the WebSocket streams it.
//! Kept in memory (a session is short-lived and its audio is in the cache anyway), bounded in
//! number and age so a client creating sessions it never opens cannot grow memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::speech::SpeechRequest;

/// Sessions kept at most; the oldest is dropped beyond this.
const MAX_SESSIONS: usize = 10_000;
/// A session is forgotten this long after creation.
const SESSION_TTL: Duration = Duration::from_secs(3600);
/// Memory the stored sessions may take in all (their texts and names plus
/// a fixed overhead each); the oldest are dropped beyond it. Ten thousand
/// sessions of 10,000 emoji held 463 MB before this bound.
pub const MAX_SESSION_BYTES: usize = 16 * 1024 * 1024;
/// Bookkeeping counted per session besides its strings.
const SESSION_OVERHEAD: usize = 256;

crate::domain::status::spelled! {
    /// Where a streaming session stands.
    SessionStatus {
        Created => "created",
        Streaming => "streaming",
        Completed => "completed",
        Failed => "failed",
    }
}

/// A session's public state (never the text itself); the http layer
/// answers it as its own response type.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    pub session_id: String,
    pub status: SessionStatus,
    pub provider: String,
    pub voice: Option<String>,
    pub language: String,
    /// Canonical format name (`wav`, `pcm16`, `mulaw`, `opus`, `mp3`).
    pub target_format: String,
    pub sample_rate_hz: u32,
    pub text_length: usize,
    pub chunks_sent: u64,
    pub bytes_sent: u64,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
struct Entry {
    created: Instant,
    request: SpeechRequest,
    info: SessionInfo,
}

/// The session store.
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    inner: Arc<Mutex<HashMap<String, Entry>>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Store a new session; returns its public view.
    pub fn create(&self, request: SpeechRequest, provider: String) -> SessionInfo {
        let id = format!("{:032x}", fastrand::u128(..));
        let info = SessionInfo {
            session_id: id.clone(),
            status: SessionStatus::Created,
            provider,
            voice: request.voice.clone(),
            language: request.language.clone(),
            target_format: request.format.as_str().into(),
            sample_rate_hz: request.sample_rate,
            text_length: request.text.chars().count(),
            chunks_sent: 0,
            bytes_sent: 0,
            error: None,
        };
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, e| now.duration_since(e.created) < SESSION_TTL);
        let size = entry_bytes(&request);
        let mut total: usize = map.values().map(|e| entry_bytes(&e.request)).sum();
        if map.len() >= MAX_SESSIONS || total + size > MAX_SESSION_BYTES {
            let mut by_age: Vec<(Instant, String, usize)> = map
                .iter()
                .map(|(k, e)| (e.created, k.clone(), entry_bytes(&e.request)))
                .collect();
            by_age.sort_unstable_by_key(|(created, _, _)| *created);
            for (_, key, bytes) in by_age {
                if map.len() < MAX_SESSIONS && total + size <= MAX_SESSION_BYTES {
                    break;
                }
                map.remove(&key);
                total -= bytes;
            }
        }
        map.insert(
            id,
            Entry {
                created: now,
                request,
                info: info.clone(),
            },
        );
        info
    }

    /// Bytes the stored sessions are counted as (see [`MAX_SESSION_BYTES`]).
    pub fn stored_bytes(&self) -> usize {
        self.lock().values().map(|e| entry_bytes(&e.request)).sum()
    }

    pub fn get(&self, id: &str) -> Option<(SpeechRequest, SessionInfo)> {
        let map = self.lock();
        map.get(id)
            .filter(|e| e.created.elapsed() < SESSION_TTL)
            .map(|e| (e.request.clone(), e.info.clone()))
    }

    /// Change a session's public state.
    pub fn update(&self, id: &str, f: impl FnOnce(&mut SessionInfo)) {
        if let Some(e) = self.lock().get_mut(id) {
            f(&mut e.info);
        }
    }
}

/// What one stored session is counted as.
fn entry_bytes(request: &SpeechRequest) -> usize {
    request.text.len()
        + request.language.len()
        + request.voice.as_ref().map_or(0, String::len)
        + SESSION_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::AudioFormat;

    fn request(text: String) -> SpeechRequest {
        SpeechRequest {
            text,
            language: "fi".into(),
            voice: None,
            speed: 1.0,
            format: AudioFormat::Pcm16,
            sample_rate: 16_000,
        }
    }

    #[test]
    fn stored_sessions_are_bounded_in_bytes_oldest_first() {
        let sessions = Sessions::default();
        // 10,000 emoji = 40,000 bytes each: far fewer fit than the count cap.
        let big = "😀".repeat(10_000);
        let mut ids = Vec::new();
        for _ in 0..2_000 {
            ids.push(
                sessions
                    .create(request(big.clone()), "local".into())
                    .session_id,
            );
        }
        assert!(sessions.stored_bytes() <= MAX_SESSION_BYTES);
        assert!(sessions.get(&ids[1_999]).is_some(), "the newest is kept");
        assert!(sessions.get(&ids[0]).is_none(), "the oldest went first");
        // Small sessions are still bounded by count.
        let small = Sessions::default();
        for _ in 0..(MAX_SESSIONS + 10) {
            small.create(request("hei".into()), "local".into());
        }
        assert_eq!(small.lock().len(), MAX_SESSIONS);
    }
}
