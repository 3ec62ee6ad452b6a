//! Shared state handed to every handler.
//!
//! Axum clones the state for every extractor and every `from_fn_with_state` layer of every
//! request, so it is one `Arc`: a clone is a single reference-count increment instead of one per
//! field (the per-field version cost ~3 % of CPU and a fifth of cache-hit throughput once the
//! production layers arrived).

use std::ops::Deref;
use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::timestamp::Clock;
use crate::services::attempt_writer::AttemptWriter;
use crate::services::metadata::MetadataService;
use crate::services::translations::TranslationService;
use crate::services::tts::TtsService;
use crate::services::word_stats::MissedWordsMemo;
use crate::speech::SpeechService;

#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares; reached through `Deref`, so handlers write `state.db`.
#[derive(Debug)]
pub struct Shared {
    pub settings: Settings,
    pub db: Db,
    /// Strictly increasing local timestamps for every row written.
    pub clock: Arc<Clock>,
    pub tts: TtsService,
    /// Stores attempts, committing those that arrive together at once.
    pub attempts: AttemptWriter,
    /// Speech on demand: cache, streaming and sessions (issue 6).
    pub speech: SpeechService,
    /// Item translations and their provider (issue 23).
    pub translations: TranslationService,
    /// `GET /metadata`: process start and the cached static sections.
    pub metadata: MetadataService,
    /// `GET /v1/stats/words`: counts kept per version of the data.
    pub missed_words: MissedWordsMemo,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
