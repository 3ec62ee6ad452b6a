//! Shared, cheaply cloneable state handed to every handler.

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::timestamp::Clock;
use crate::services::speech::SpeechService;
use crate::services::tts::TtsService;

#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    /// Strictly increasing local timestamps for every row written.
    pub clock: Arc<Clock>,
    pub tts: TtsService,
    /// Speech on demand: cache, streaming and sessions (issue 6).
    pub speech: SpeechService,
}
