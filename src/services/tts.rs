//! The one entry point through which items get their audio. Handlers and
//! the item service call [`TtsService::submit_items`]; what happens behind it
//! (refusal, or the task pipeline of an engine) is decided here only.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use crate::db::items as items_db;
use crate::db::Db;
use crate::domain::status::ItemTtsStatus;
use crate::domain::timestamp::{to_db, Clock};
use crate::error::ServiceError;

/// What an item needs to be spoken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemToSpeak {
    pub item_id: i64,
    pub locale: String,
    pub text: String,
}

/// Why a submission was refused before reaching an engine (contract §7.4 order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BlankText,
    NoEngine,
    UnsupportedLanguage,
}

impl Refusal {
    fn reason(self) -> &'static str {
        match self {
            Refusal::BlankText => "text is blank",
            Refusal::NoEngine => "TTS service not initialized",
            Refusal::UnsupportedLanguage => "language not supported",
        }
    }
}

/// Decide whether an item can be submitted at all.
pub fn check_submission(
    item: &ItemToSpeak,
    engine_ready: bool,
    supported_languages: &[String],
) -> Option<Refusal> {
    if item.text.trim().is_empty() {
        Some(Refusal::BlankText)
    } else if !engine_ready {
        Some(Refusal::NoEngine)
    } else if !supported_languages.contains(&item.locale) {
        Some(Refusal::UnsupportedLanguage)
    } else {
        None
    }
}

/// Cheap-to-clone handle to the TTS submission machinery.
#[derive(Debug, Clone)]
pub struct TtsService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    clock: Arc<Clock>,
    supported_languages: Vec<String>,
    /// Bounds concurrent submissions (`TTS_SUBMISSION_WORKERS`).
    permits: Arc<Semaphore>,
    tracker: TaskTracker,
}

impl TtsService {
    /// A service without an engine: every submission is refused and the item
    /// marked `failed`, as the original did when its TTS service was missing.
    pub fn without_engine(
        db: Db,
        clock: Arc<Clock>,
        supported_languages: Vec<String>,
        workers: usize,
        tracker: TaskTracker,
    ) -> Self {
        TtsService {
            inner: Arc::new(Inner {
                db,
                clock,
                supported_languages,
                permits: Arc::new(Semaphore::new(workers.max(1))),
                tracker,
            }),
        }
    }

    /// `/health` values: (`tts_service`, `task_manager`).
    pub fn health(&self) -> (&'static str, &'static str) {
        ("not_initialized", "not_initialized")
    }

    /// Queue items for synthesis in the background; never waits.
    pub fn submit_items(&self, items: Vec<ItemToSpeak>) {
        for item in items {
            let service = self.clone();
            self.inner.tracker.spawn(async move {
                let Ok(_permit) = service.inner.permits.clone().acquire_owned().await else {
                    return;
                };
                let item_id = item.item_id;
                if let Err(e) = service.submit(item).await {
                    tracing::error!(item_id, error = %e, "TTS submission failed");
                }
            });
        }
    }

    async fn submit(&self, item: ItemToSpeak) -> Result<(), ServiceError> {
        let refusal = check_submission(&item, false, &self.inner.supported_languages)
            .unwrap_or(Refusal::NoEngine);
        tracing::warn!(
            item_id = item.item_id,
            reason = refusal.reason(),
            "TTS submission refused"
        );
        self.mark(item.item_id, ItemTtsStatus::Failed).await
    }

    async fn mark(&self, item_id: i64, status: ItemTtsStatus) -> Result<(), ServiceError> {
        let mut conn = self.inner.db.writer.acquire().await?;
        let now = to_db(self.inner.clock.now());
        items_db::set_tts_status_from_pending(&mut conn, item_id, status.as_str(), &now).await?;
        Ok(())
    }

    /// Re-submit items left `pending` by a previous run (e.g. a crash).
    pub async fn resume_pending(&self) -> Result<usize, ServiceError> {
        let ids = items_db::pending_ids(&self.inner.db.reader).await?;
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = items_db::find(&self.inner.db.reader, id).await? {
                items.push(ItemToSpeak {
                    item_id: row.id,
                    locale: row.locale,
                    text: row.text,
                });
            }
        }
        let n = items.len();
        self.submit_items(items);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(locale: &str, text: &str) -> ItemToSpeak {
        ItemToSpeak {
            item_id: 1,
            locale: locale.into(),
            text: text.into(),
        }
    }

    #[test]
    fn refusals_follow_the_contract_order() {
        let fi = vec!["fi".to_string()];
        assert_eq!(
            check_submission(&item("en", "  "), false, &fi),
            Some(Refusal::BlankText)
        );
        assert_eq!(
            check_submission(&item("en", "hei"), false, &fi),
            Some(Refusal::NoEngine)
        );
        assert_eq!(
            check_submission(&item("fi-FI", "hei"), true, &fi),
            Some(Refusal::UnsupportedLanguage)
        );
        assert_eq!(check_submission(&item("fi", "hei"), true, &fi), None);
    }
}
