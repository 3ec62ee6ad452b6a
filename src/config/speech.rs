//! Speech on demand: the clip cache's bounds, the batch API's token and
//! how long a stalled streaming reader is waited for.

use std::fmt;
use std::time::Duration;

use super::{parse_bounded, parse_seconds, redacted, Raw, SettingsError};

/// Speech on demand (issue 6).
#[derive(Clone, PartialEq)]
pub struct SpeechSettings {
    /// Total size of `AUDIO_DIR/cache/` before least-recently-used eviction (`AUDIO_CACHE_MAX_BYTES`).
    pub cache_max_bytes: u64,
    /// Entries unused this long are evicted (`AUDIO_CACHE_MAX_AGE_DAYS`).
    pub cache_max_age: Duration,
    /// `SYNTHESIZE_USER_TOKEN` (secret): when set, `POST /synthesizeSpeech` needs it in `user-token`.
    pub user_token: Option<String>,
    /// `SPEECH_SLOW_READER_SECONDS`: a streaming reader that leaves audio
    /// untaken this long is cut off, so it never holds up a production
    /// others wait for.
    pub slow_reader: Duration,
}

impl fmt::Debug for SpeechSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpeechSettings")
            .field("cache_max_bytes", &self.cache_max_bytes)
            .field("cache_max_age", &self.cache_max_age)
            .field("slow_reader", &self.slow_reader)
            .field("user_token", &redacted(&self.user_token))
            .finish()
    }
}

pub(super) fn parse_speech(raw: &Raw) -> Result<SpeechSettings, SettingsError> {
    let days = parse_bounded(raw, "audio_cache_max_age_days", 1, 36_500)?;
    Ok(SpeechSettings {
        cache_max_bytes: parse_bounded(raw, "audio_cache_max_bytes", 0, u64::MAX)?,
        cache_max_age: Duration::from_secs(days.saturating_mul(86_400)),
        user_token: raw
            .optional("synthesize_user_token")
            .map(|t| t.trim().to_string()),
        slow_reader: parse_seconds(raw, "speech_slow_reader_seconds", 3_600.0)?,
    })
}
