//! Operating the TTS tasks: statistics, retry of failed items, cleanup.
//! Functions take the database directly so the CLI can use them without a
//! running server.

use std::path::Path;

use chrono::Duration;
use serde::Serialize;

use crate::db::items::{self as items_db, ItemFilter, ItemRow};
use crate::db::tts_tasks::{self, CleanupCandidate, TaskRow};
use crate::db::Db;
use crate::domain::rounding::py_round;
use crate::domain::status::{ItemTtsStatus, TaskStatus};
use crate::domain::timestamp::{to_db, Clock};
use crate::files::store::AudioStore;
use crate::services::items::ITEM_NOT_FOUND;
use crate::services::tts::{ItemSubmission, Refusal, Resubmitted, TtsService};
use crate::services::ServiceError;

/// `GET /v1/tts/stats` and `last-whisper tasks stats` (whose wire shape is
/// `http::tasks::TaskStatsResponse`).
#[derive(Debug, Clone)]
pub struct TaskStats {
    pub total: i64,
    /// Tasks per status, in [`count_by_status`]'s order.
    pub by_status: Vec<(String, i64)>,
    pub by_device: Vec<DeviceStats>,
    pub avg_synthesis_seconds: Option<f64>,
    pub avg_real_time_factor: Option<f64>,
    pub avg_file_size: Option<f64>,
    /// Texts synthesised once but used by several items.
    pub shared_texts: i64,
    /// Items served by those shared texts.
    pub items_sharing_audio: i64,
    /// Syntheses the dedupe saved (`items_sharing_audio - shared_texts`).
    pub syntheses_saved: i64,
    /// Tasks waiting for a worker right now.
    pub queue_depth: i64,
}

/// Task counts and timings of one engine/device.
#[derive(Debug, Clone)]
pub struct DeviceStats {
    pub device: Option<String>,
    pub tasks: i64,
    pub finished: i64,
    pub failed: i64,
    pub avg_synthesis_seconds: Option<f64>,
    pub avg_real_time_factor: Option<f64>,
    pub avg_file_size: Option<f64>,
}

fn round4(x: Option<f64>) -> Option<f64> {
    x.map(|v| py_round(v, 4))
}

/// Weighted mean of per-device means (weights = finished tasks).
fn overall(rows: &[DeviceStats], pick: impl Fn(&DeviceStats) -> Option<f64>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0i64);
    for r in rows {
        if let Some(v) = pick(r) {
            sum += v * r.finished as f64;
            n += r.finished;
        }
    }
    (n > 0).then(|| py_round(sum / n as f64, 4))
}

/// Tasks per status: the known statuses first (0 when none), then any other
/// status found in the table. Used by [`stats`] and `/metrics`.
pub async fn count_by_status(db: &Db) -> Result<Vec<(String, i64)>, ServiceError> {
    // Every known status is reported, with 0 when no task has it.
    let mut counts: Vec<(String, i64)> = TaskStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for (status, n) in tts_tasks::count_by_status(&db.reader).await? {
        match counts.iter_mut().find(|(known, _)| *known == status) {
            Some(entry) => entry.1 = n,
            None => counts.push((status, n)),
        }
    }
    Ok(counts)
}

pub async fn stats(db: &Db) -> Result<TaskStats, ServiceError> {
    let mut by_status = Vec::new();
    let mut total = 0;
    let mut queue_depth = 0;
    for (status, n) in count_by_status(db).await? {
        total += n;
        if status == TaskStatus::Queued.as_str() {
            queue_depth = n;
        }
        by_status.push((status, n));
    }
    let by_device: Vec<DeviceStats> = tts_tasks::stats_by_device(&db.reader)
        .await?
        .into_iter()
        .map(|r| DeviceStats {
            device: r.device,
            tasks: r.tasks,
            finished: r.finished,
            failed: r.failed,
            avg_synthesis_seconds: round4(r.avg_synthesis_seconds),
            avg_real_time_factor: round4(r.avg_real_time_factor),
            avg_file_size: r.avg_file_size.map(|v| py_round(v, 1)),
        })
        .collect();
    let (shared_texts, items_sharing_audio) = tts_tasks::shared_task_counts(&db.reader).await?;
    Ok(TaskStats {
        total,
        by_status,
        avg_synthesis_seconds: overall(&by_device, |d| d.avg_synthesis_seconds),
        avg_real_time_factor: overall(&by_device, |d| d.avg_real_time_factor),
        avg_file_size: overall(&by_device, |d| d.avg_file_size).map(|v| py_round(v, 1)),
        by_device,
        shared_texts,
        items_sharing_audio,
        syntheses_saved: items_sharing_audio - shared_texts,
        queue_depth,
    })
}

/// Put one failed item back through the pipeline; its attempts stay.
pub async fn retry_item(db: &Db, tts: &TtsService, item_id: i64) -> Result<(), ServiceError> {
    let item = items_db::find(&db.reader, item_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(ITEM_NOT_FOUND.to_string()))?;
    let conflict = |status: &str| {
        ServiceError::Conflict(format!(
            "Only items whose TTS failed can be retried. Current status: {status}"
        ))
    };
    if item.tts_status != ItemTtsStatus::Failed {
        return Err(conflict(item.tts_status.as_str()));
    }
    tracing::info!(item_id, "TTS retry requested");
    match tts.resubmit(&item, ItemSubmission::Retry).await? {
        // A refused retry leaves the item failed, as its first try did.
        Resubmitted::Task(_) | Resubmitted::Refused(_) => Ok(()),
        Resubmitted::Skipped => Err(conflict("changed meanwhile")),
    }
}

/// Retry every failed item matching the filter; returns their ids.
pub async fn retry_failed(
    db: &Db,
    tts: &TtsService,
    mut filter: ItemFilter,
) -> Result<Vec<i64>, ServiceError> {
    filter.tts_status = Some(ItemTtsStatus::Failed);
    let ids = items_db::ids(&db.reader, &filter).await?;
    let mut retried = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(item) = items_db::find(&db.reader, id).await? else {
            continue;
        };
        match tts.resubmit(&item, ItemSubmission::Retry).await? {
            Resubmitted::Task(_) | Resubmitted::Refused(_) => retried.push(id),
            Resubmitted::Skipped => {}
        }
    }
    tracing::info!(count = retried.len(), "bulk TTS retry requested");
    Ok(retried)
}

/// An audio refresh (addendum §4): a new synthesis of the item's current
/// text, bypassing deduplication, with a new task id every time; the item
/// is `pending` until it completes.
pub async fn refresh_item_audio(
    db: &Db,
    tts: &TtsService,
    item_id: i64,
) -> Result<AudioRefresh, ServiceError> {
    let item = items_db::find(&db.reader, item_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(ITEM_NOT_FOUND.to_string()))?;
    let task = match tts.resubmit(&item, ItemSubmission::Refresh).await? {
        Resubmitted::Task(task) => task,
        Resubmitted::Refused(refusal) => return Ok(AudioRefresh::Refused(refusal)),
        Resubmitted::Skipped => return Err(ServiceError::NotFound(ITEM_NOT_FOUND.to_string())),
    };
    let item = items_db::find(&db.reader, item_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(ITEM_NOT_FOUND.to_string()))?;
    tracing::info!(item_id, task_id = %task.task_id, "audio refresh queued");
    Ok(AudioRefresh::Queued {
        item: Box::new(item),
        task,
    })
}

/// What an audio refresh did.
#[derive(Debug)]
pub enum AudioRefresh {
    /// The item is `pending`, linked to this new task.
    Queued {
        item: Box<ItemRow>,
        task: Box<TaskRow>,
    },
    /// The engine would refuse the text; the item is unchanged.
    Refused(Refusal),
}

/// What a cleanup removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupPlan {
    /// Failed tasks that failed more than this long ago; `None` = keep them.
    pub failed_older_than: Option<Duration>,
    /// Finished tasks no item references.
    pub orphans: bool,
}

/// One task removed (or, in a dry run, to be removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CleanedTask {
    pub task_id: String,
    pub status: TaskStatus,
    pub reason: &'static str,
    /// The audio file removed with it, if any.
    pub file: Option<String>,
}

/// Find what the plan removes and, unless `dry_run`, remove it. A file an
/// existing item serves (`AUDIO_DIR/item_{id}.wav`) is never deleted.
pub async fn cleanup(
    db: &Db,
    clock: &Clock,
    store: &dyn AudioStore,
    plan: CleanupPlan,
    dry_run: bool,
) -> Result<Vec<CleanedTask>, ServiceError> {
    let mut picked: Vec<(CleanupCandidate, &'static str)> = Vec::new();
    if let Some(age) = plan.failed_older_than {
        let cutoff = to_db(clock.now() - age);
        for c in tts_tasks::failed_before(&db.reader, &cutoff).await? {
            picked.push((c, TaskStatus::Failed.as_str()));
        }
    }
    if plan.orphans {
        for c in tts_tasks::unreferenced_finished(&db.reader).await? {
            picked.push((c, "orphan"));
        }
    }
    let mut report = Vec::with_capacity(picked.len());
    for (candidate, reason) in picked {
        let file = match candidate.output_file_path.as_deref() {
            Some(path) if removable_file(db, store, Path::new(path)).await? => {
                Some(path.to_string())
            }
            _ => None,
        };
        if !dry_run {
            let mut conn = db.acquire_write().await?;
            tts_tasks::delete(&mut conn, &candidate.task_id).await?;
            drop(conn);
            if let Some(path) = &file {
                if let Err(e) = store.remove(Path::new(path)).await {
                    tracing::warn!(task_id = %candidate.task_id, error = %e, "could not remove task audio");
                }
            }
        }
        report.push(CleanedTask {
            task_id: candidate.task_id,
            status: candidate.status,
            reason,
            file,
        });
    }
    tracing::info!(count = report.len(), dry_run, "task cleanup");
    Ok(report)
}

/// An existing file that is not the audio of an existing item.
async fn removable_file(
    db: &Db,
    store: &dyn AudioStore,
    path: &Path,
) -> Result<bool, ServiceError> {
    if !store.exists(path).await {
        return Ok(false);
    }
    if let Some(id) = item_file_id(store, path) {
        return Ok(!items_db::exists(&db.reader, id).await?);
    }
    Ok(true)
}

/// The item whose audio `path` is, as the store names item files
/// (`AUDIO_DIR/item_{id}.wav`).
fn item_file_id(store: &dyn AudioStore, path: &Path) -> Option<i64> {
    let name = path.file_name()?.to_str()?;
    let id = name
        .strip_prefix("item_")?
        .strip_suffix(".wav")?
        .parse()
        .ok()?;
    (store.item_path(id) == path).then_some(id)
}

/// Parse `7d`, `12h`, `30m` or a plain number of days.
pub fn parse_age(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, "d"),
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("invalid age {text:?}; use e.g. 7d, 12h or 30m"))?;
    match unit {
        "d" => Ok(Duration::days(n)),
        "h" => Ok(Duration::hours(n)),
        "m" => Ok(Duration::minutes(n)),
        _ => Err(format!("invalid age unit in {text:?}; use d, h or m")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("7d"), Ok(Duration::days(7)));
        assert_eq!(parse_age("12h"), Ok(Duration::hours(12)));
        assert_eq!(parse_age("30m"), Ok(Duration::minutes(30)));
        assert_eq!(parse_age("3"), Ok(Duration::days(3)));
        assert!(parse_age("7w").is_err());
        assert!(parse_age("d").is_err());
    }

    #[test]
    fn item_files_are_recognised_only_in_the_audio_dir() {
        let store = crate::files::store::LocalDirStore::new("/srv/audio");
        let id = |p: &str| item_file_id(&store, Path::new(p));
        assert_eq!(id("/srv/audio/item_12.wav"), Some(12));
        assert_eq!(id("/srv/audio/tts_x.wav"), None);
        assert_eq!(id("/srv/audio/item_x.wav"), None);
        assert_eq!(id("/elsewhere/item_12.wav"), None);
    }
}
