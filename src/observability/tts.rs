//! Synthesis events, recorded by the metering layer every engine is wrapped
//! in (`crate::tts::metered`), so the workers need no metrics code.

use std::time::Duration;

use crate::tts::provider::ProviderError;

use super::{TTS_PROVIDER_ERRORS, TTS_REAL_TIME_FACTOR, TTS_SYNTHESIS_SECONDS};

/// A synthesis by `provider` took `elapsed` and produced `audio_seconds` of audio.
pub fn synthesis_succeeded(provider: &'static str, elapsed: Duration, audio_seconds: f64) {
    metrics::histogram!(TTS_SYNTHESIS_SECONDS, "provider" => provider).record(elapsed);
    if audio_seconds > 0.0 {
        metrics::histogram!(TTS_REAL_TIME_FACTOR, "provider" => provider)
            .record(elapsed.as_secs_f64() / audio_seconds);
    }
}

/// A synthesis by `provider` failed (including failing fast on an open circuit).
pub fn synthesis_failed(provider: &'static str, error: &ProviderError) {
    let kind = match error {
        ProviderError::InvalidInput(_) => "invalid_input",
        ProviderError::UnknownVoice(_) => "unknown_voice",
        ProviderError::Unavailable(_) => "unavailable",
        ProviderError::TimedOut(_) => "timeout",
        ProviderError::Engine(_) => "engine",
    };
    metrics::counter!(TTS_PROVIDER_ERRORS, "provider" => provider, "kind" => kind).increment(1);
}
