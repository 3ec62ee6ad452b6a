//! The single writer of task lifecycle changes: it applies each
//! [`TaskEvent`] to the task row and to the linked items' `tts_status` in
//! one transaction, so workers never race on the same rows.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use crate::db::tts_tasks::{self, Completion, Failure};
use crate::db::{items, Db};
use crate::domain::status::ItemTtsStatus;
use crate::domain::timestamp::{to_db, Clock};
use crate::files::store::AudioStore;
use crate::pipeline::events::TaskEvent;

/// First and longest pause between attempts to apply an event.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Applies events until every sender is gone.
#[derive(Debug)]
pub struct Monitor {
    pub db: Db,
    pub clock: Arc<Clock>,
    pub store: Arc<dyn AudioStore>,
}

impl Monitor {
    pub async fn run(self, mut events: mpsc::Receiver<TaskEvent>) {
        while let Some(event) = events.recv().await {
            self.apply_until_done(&event).await;
        }
        tracing::debug!("task monitor stopped");
    }

    /// Apply one event, retrying while the database is unavailable (locked,
    /// busy, out of space) with a back-off up to 5 s: a finished synthesis
    /// is never dropped for a passing fault (it used to be, and was then
    /// synthesised again after its lease ran out). Other errors are bugs and
    /// are logged once.
    async fn apply_until_done(&self, event: &TaskEvent) {
        let mut delay = RETRY_FIRST;
        for attempt in 1u32.. {
            match self.apply(event).await {
                Ok(()) => {
                    if attempt > 1 {
                        tracing::info!(attempt, "task event applied after retries");
                    }
                    return;
                }
                Err(e) if crate::db::faults::is_unavailable(&e) => {
                    tracing::warn!(attempt, error = %e, ?event, "database unavailable; retrying the task event");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RETRY_MAX);
                }
                Err(e) => {
                    tracing::error!(error = %e, ?event, "could not apply task event");
                    return;
                }
            }
        }
    }

    /// Apply one event (public so tests can drive the monitor step by step).
    pub async fn apply(&self, event: &TaskEvent) -> Result<(), sqlx::Error> {
        let now = to_db(self.clock.now());
        let mut tx = self.db.begin_write().await?;
        match event {
            TaskEvent::Completed {
                task_id,
                file_size,
                sampling_rate,
                duration,
                ran_on,
            } => {
                let metadata = json!({ "duration": duration }).to_string();
                let done = Completion {
                    file_size: *file_size,
                    sampling_rate: *sampling_rate,
                    device: ran_on,
                    metadata: &metadata,
                    now: &now,
                };
                tts_tasks::mark_done(&mut tx, task_id, &done).await?;
                let output = tts_tasks::get(&mut tx, task_id)
                    .await?
                    .and_then(|t| t.output_file_path)
                    .map(PathBuf::from);
                for (item_id, status) in items::linked_to_task(&mut tx, task_id).await? {
                    if status != ItemTtsStatus::Pending {
                        continue;
                    }
                    let outcome = self.place_item_audio(output.as_deref(), item_id).await;
                    items::set_tts_status_from_pending(&mut tx, item_id, outcome, &now).await?;
                }
            }
            TaskEvent::Failed { task_id, failure } => {
                let failure = Failure {
                    class: failure.class,
                    message: &failure.message,
                };
                tts_tasks::mark_failed(&mut tx, task_id, &failure, &now).await?;
                for (item_id, status) in items::linked_to_task(&mut tx, task_id).await? {
                    if status == ItemTtsStatus::Pending {
                        items::set_tts_status_from_pending(
                            &mut tx,
                            item_id,
                            ItemTtsStatus::Failed,
                            &now,
                        )
                        .await?;
                    }
                }
            }
        }
        tx.commit().await
    }

    /// Copy the task's audio to `item_{id}.wav` (unless it was written there).
    async fn place_item_audio(&self, output: Option<&Path>, item_id: i64) -> ItemTtsStatus {
        let target = self.store.item_path(item_id);
        let Some(source) = output else {
            return ItemTtsStatus::Failed;
        };
        match self.store.put_file(source, &target).await {
            Ok(()) => ItemTtsStatus::Ready,
            Err(e) => {
                tracing::error!(item_id, error = %e, "could not copy task audio to item");
                ItemTtsStatus::Failed
            }
        }
    }
}
