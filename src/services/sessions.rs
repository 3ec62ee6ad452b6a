//! Streaming sessions: `POST /v1/tts/sessions` stores what to say, the WebSocket streams it.
//! Kept in memory (a session is short-lived and its audio is in the cache anyway), bounded in
//! number and age so a client creating sessions it never opens cannot grow memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::services::speech::SpeechRequest;

/// Sessions kept at most; the oldest is dropped beyond this.
const MAX_SESSIONS: usize = 10_000;
/// A session is forgotten this long after creation.
const SESSION_TTL: Duration = Duration::from_secs(3600);

/// What a client sees of a session (never the text itself).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub session_id: String,
    /// `created`, `streaming`, `completed` or `failed`.
    #[schema(value_type = crate::http::openapi::schemas::SessionStatus)]
    pub status: String,
    pub provider: String,
    #[schema(required = true)]
    pub voice: Option<String>,
    pub language: String,
    /// Canonical format name (`wav`, `pcm16`, `mulaw`, `opus`, `mp3`).
    pub target_format: String,
    pub sample_rate_hz: u32,
    pub text_length: usize,
    pub chunks_sent: u64,
    pub bytes_sent: u64,
    #[schema(required = true)]
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
            status: "created".into(),
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
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, e)| e.created)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
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
