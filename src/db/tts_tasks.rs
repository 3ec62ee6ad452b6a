//! Every statement touching `tts_tasks` (the synthesis job records).

use sqlx::{SqliteConnection, SqlitePool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub task_id: String,
    pub original_text: String,
    pub text_hash: String,
    pub status: String,
    pub output_file_path: Option<String>,
    pub custom_filename: Option<String>,
    pub language: String,
    pub created_at: String,
    pub submitted_at: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub failed_at: Option<String>,
    pub error_message: Option<String>,
    pub file_size: Option<i64>,
    pub sampling_rate: Option<i64>,
    pub device: Option<String>,
    pub metadata: Option<String>,
    /// The text given to the engine, when it differs from `original_text`.
    pub spoken_text: Option<String>,
    /// Voice requested for this task; `None` = the engine's default.
    pub voice: Option<String>,
}

impl TaskRow {
    /// `completed` and `done` both count as finished (contract §7.3).
    pub fn is_finished(&self) -> bool {
        self.status == "completed" || self.status == "done"
    }
}

/// Values of a new `queued` task.
#[derive(Debug, Clone)]
pub struct NewTask<'a> {
    pub task_id: &'a str,
    pub text: &'a str,
    pub text_hash: &'a str,
    pub output_file_path: &'a str,
    pub custom_filename: Option<&'a str>,
    pub language: &'a str,
    pub spoken_text: &'a str,
    pub voice: Option<&'a str>,
    pub now: &'a str,
}

const SELECT: &str = "SELECT task_id, original_text, text_hash, status, output_file_path, \
     custom_filename, language, created_at, submitted_at, started_at, completed_at, failed_at, \
     error_message, file_size, sampling_rate, device, metadata, spoken_text, voice FROM tts_tasks";

#[tracing::instrument(skip_all, fields(task_id = task.task_id))]
pub async fn insert(conn: &mut SqliteConnection, task: &NewTask<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tts_tasks (task_id, original_text, text_hash, status, output_file_path, \
         custom_filename, language, spoken_text, voice, created_at, submitted_at) \
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(task.task_id)
    .bind(task.text)
    .bind(task.text_hash)
    .bind(task.output_file_path)
    .bind(task.custom_filename)
    .bind(task.language)
    .bind(task.spoken_text)
    .bind(task.voice)
    .bind(task.now)
    .bind(task.now)
    .execute(conn)
    .await?;
    Ok(())
}

#[tracing::instrument(skip(conn))]
pub async fn exists(conn: &mut SqliteConnection, task_id: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tts_tasks WHERE task_id = ?)")
        .bind(task_id)
        .fetch_one(conn)
        .await
}

#[tracing::instrument(skip(conn))]
pub async fn get(conn: &mut SqliteConnection, task_id: &str) -> sqlx::Result<Option<TaskRow>> {
    sqlx::query_as(&format!("{SELECT} WHERE task_id = ?"))
        .bind(task_id)
        .fetch_optional(conn)
        .await
}

#[tracing::instrument(skip(pool))]
pub async fn find(pool: &SqlitePool, task_id: &str) -> sqlx::Result<Option<TaskRow>> {
    sqlx::query_as(&format!("{SELECT} WHERE task_id = ?"))
        .bind(task_id)
        .fetch_optional(pool)
        .await
}

/// The newest task with this text that has not failed (dedupe, §7.4).
#[tracing::instrument(skip(conn))]
pub async fn find_reusable(
    conn: &mut SqliteConnection,
    text_hash: &str,
) -> sqlx::Result<Option<TaskRow>> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE text_hash = ? AND status != 'failed' ORDER BY id DESC LIMIT 1"
    ))
    .bind(text_hash)
    .fetch_optional(conn)
    .await
}

/// Newest first, optionally one status only.
#[tracing::instrument(skip(pool))]
pub async fn list(
    pool: &SqlitePool,
    status: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<TaskRow>> {
    let sql = match status {
        Some(_) => format!("{SELECT} WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?"),
        None => format!("{SELECT} ORDER BY created_at DESC, id DESC LIMIT ?"),
    };
    let mut query = sqlx::query_as(&sql);
    if let Some(status) = status {
        query = query.bind(status);
    }
    query.bind(limit).fetch_all(pool).await
}

/// Tasks a previous run left unfinished, oldest first.
#[tracing::instrument(skip_all)]
pub async fn unfinished(pool: &SqlitePool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT task_id FROM tts_tasks WHERE status IN ('queued', 'processing') ORDER BY id",
    )
    .fetch_all(pool)
    .await
}

#[tracing::instrument(skip(conn))]
pub async fn mark_processing(
    conn: &mut SqliteConnection,
    task_id: &str,
    device: &str,
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tts_tasks SET status = 'processing', started_at = ?, device = ? \
         WHERE task_id = ? AND status IN ('queued', 'processing')",
    )
    .bind(now)
    .bind(device)
    .bind(task_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Outcome of a successful synthesis.
#[derive(Debug, Clone)]
pub struct Completion<'a> {
    pub file_size: i64,
    pub sampling_rate: i64,
    pub device: &'a str,
    pub metadata: &'a str,
    pub now: &'a str,
}

/// `completed` then the terminal `done` (the original sent both).
#[tracing::instrument(skip(conn, done))]
pub async fn mark_done(
    conn: &mut SqliteConnection,
    task_id: &str,
    done: &Completion<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tts_tasks SET status = 'done', completed_at = ?, file_size = ?, \
         sampling_rate = ?, device = ?, metadata = ?, error_message = NULL WHERE task_id = ?",
    )
    .bind(done.now)
    .bind(done.file_size)
    .bind(done.sampling_rate)
    .bind(done.device)
    .bind(done.metadata)
    .bind(task_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[tracing::instrument(skip(conn, error))]
pub async fn mark_failed(
    conn: &mut SqliteConnection,
    task_id: &str,
    error: &str,
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tts_tasks SET status = 'failed', failed_at = ?, error_message = ? WHERE task_id = ?",
    )
    .bind(now)
    .bind(error)
    .bind(task_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Count of tasks per status.
#[tracing::instrument(skip_all)]
pub async fn count_by_status(pool: &SqlitePool) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT status, COUNT(*) FROM tts_tasks GROUP BY status ORDER BY status")
        .fetch_all(pool)
        .await
}

/// Finished-task figures per device/engine label.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceStatsRow {
    pub device: Option<String>,
    pub tasks: i64,
    pub finished: i64,
    pub failed: i64,
    /// Mean of `completed_at - started_at` over finished tasks.
    pub avg_synthesis_seconds: Option<f64>,
    /// Mean of synthesis time / audio duration over finished tasks.
    pub avg_real_time_factor: Option<f64>,
    pub avg_file_size: Option<f64>,
}

const SYNTH_SECONDS: &str = "(julianday(completed_at) - julianday(started_at)) * 86400.0";

#[tracing::instrument(skip_all)]
pub async fn stats_by_device(pool: &SqlitePool) -> sqlx::Result<Vec<DeviceStatsRow>> {
    sqlx::query_as(&format!(
        "SELECT device, COUNT(*) AS tasks, \
         SUM(status IN ('completed', 'done')) AS finished, SUM(status = 'failed') AS failed, \
         AVG(CASE WHEN status IN ('completed', 'done') THEN {SYNTH_SECONDS} END) AS avg_synthesis_seconds, \
         AVG(CASE WHEN status IN ('completed', 'done') AND json_extract(metadata, '$.duration') > 0 \
             THEN {SYNTH_SECONDS} / json_extract(metadata, '$.duration') END) AS avg_real_time_factor, \
         AVG(CASE WHEN status IN ('completed', 'done') THEN file_size END) AS avg_file_size \
         FROM tts_tasks GROUP BY device ORDER BY device"
    ))
    .fetch_all(pool)
    .await
}

/// Dedupe savings: tasks whose audio serves more than one item, and how
/// many items they serve.
#[tracing::instrument(skip_all)]
pub async fn shared_task_counts(pool: &SqlitePool) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM \
         (SELECT COUNT(*) AS n FROM items WHERE task_id IS NOT NULL GROUP BY task_id HAVING n > 1)",
    )
    .fetch_one(pool)
    .await
}

/// A task picked for deletion by maintenance.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CleanupCandidate {
    pub task_id: String,
    pub status: String,
    pub output_file_path: Option<String>,
}

/// Failed tasks that failed before `cutoff`.
#[tracing::instrument(skip(pool))]
pub async fn failed_before(pool: &SqlitePool, cutoff: &str) -> sqlx::Result<Vec<CleanupCandidate>> {
    sqlx::query_as(
        "SELECT task_id, status, output_file_path FROM tts_tasks \
         WHERE status = 'failed' AND COALESCE(failed_at, created_at) < ? ORDER BY id",
    )
    .bind(cutoff)
    .fetch_all(pool)
    .await
}

/// Finished tasks that no item references.
#[tracing::instrument(skip_all)]
pub async fn unreferenced_finished(pool: &SqlitePool) -> sqlx::Result<Vec<CleanupCandidate>> {
    sqlx::query_as(
        "SELECT t.task_id, t.status, t.output_file_path FROM tts_tasks t \
         WHERE t.status IN ('completed', 'done') \
         AND NOT EXISTS (SELECT 1 FROM items i WHERE i.task_id = t.task_id) ORDER BY t.id",
    )
    .fetch_all(pool)
    .await
}

#[tracing::instrument(skip(conn))]
pub async fn delete(conn: &mut SqliteConnection, task_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM tts_tasks WHERE task_id = ?")
        .bind(task_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
