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
    let kind = error_kind(error);
    metrics::counter!(TTS_PROVIDER_ERRORS, "provider" => provider, "kind" => kind).increment(1);
}

/// Every `kind` label of [`TTS_PROVIDER_ERRORS`], one per [`ProviderError`] variant.
pub const ERROR_KINDS: [&str; 5] = [
    "invalid_input",
    "unknown_voice",
    "unavailable",
    "timeout",
    "engine",
];

/// The `kind` label of an error (one of [`ERROR_KINDS`]).
fn error_kind(error: &ProviderError) -> &'static str {
    match error {
        ProviderError::InvalidInput(_) => ERROR_KINDS[0],
        ProviderError::UnknownVoice(_) => ERROR_KINDS[1],
        ProviderError::Unavailable(_) => ERROR_KINDS[2],
        ProviderError::TimedOut(_) => ERROR_KINDS[3],
        ProviderError::Engine(_) => ERROR_KINDS[4],
    }
}

/// Create `provider`'s synthesis series at 0 (no observation), so they are
/// scraped from the start rather than after the first synthesis or error.
/// Registering an existing series is a lookup; it changes no value.
pub fn register_provider(provider: &'static str) {
    // The handle is dropped at once: the series stays in the recorder.
    let _ = metrics::histogram!(TTS_SYNTHESIS_SECONDS, "provider" => provider);
    let _ = metrics::histogram!(TTS_REAL_TIME_FACTOR, "provider" => provider);
    for kind in ERROR_KINDS {
        metrics::counter!(TTS_PROVIDER_ERRORS, "provider" => provider, "kind" => kind).increment(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_listed_kind() {
        let errors = [
            ProviderError::InvalidInput(String::new()),
            ProviderError::UnknownVoice(String::new()),
            ProviderError::Unavailable(String::new()),
            ProviderError::TimedOut(String::new()),
            ProviderError::Engine(String::new()),
        ];
        let kinds: Vec<&str> = errors.iter().map(error_kind).collect();
        assert_eq!(kinds, ERROR_KINDS);
    }
}
