//! Speech synthesis: the engine contract, the task pipeline (bounded queue
//! → workers → monitor) and audio files.

pub mod events;
pub mod monitor;
pub mod provider;
pub mod storage;
pub mod wav;
pub mod worker;

use std::sync::Arc;

use crate::config::Settings;
use provider::TtsProvider;

/// Build the configured engine once at start-up. `None` (with one log line
/// saying how to fix it) when it cannot be used; the service still starts
/// and reports `tts_service: "not_initialized"`.
pub fn build_provider(settings: &Settings) -> Option<Arc<dyn TtsProvider>> {
    tracing::warn!(
        provider = ?settings.tts.provider,
        "this TTS provider is not available in this build; items will be marked failed"
    );
    None
}
