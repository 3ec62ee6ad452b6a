//! Every statement touching `tts_tasks` (the synthesis job records).

use super::{Conn, Dialect, Pool};
use crate::domain::status::{FailureClass, TaskKind, TaskStatus};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub task_id: String,
    pub original_text: String,
    pub text_hash: String,
    #[sqlx(try_from = "String")]
    pub status: TaskStatus,
    pub output_file_path: Option<String>,
    pub custom_filename: Option<String>,
    pub language: String,
    pub created_at: String,
    pub submitted_at: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub failed_at: Option<String>,
    pub error_message: Option<String>,
    /// Why it failed, as a class (`tts_error`); `None` unless failed.
    pub error_class: Option<String>,
    pub file_size: Option<i64>,
    pub sampling_rate: Option<i64>,
    pub device: Option<String>,
    pub metadata: Option<String>,
    /// The text given to the engine, when it differs from `original_text`.
    pub spoken_text: Option<String>,
    /// Voice requested for this task; `None` = the engine's default.
    pub voice: Option<String>,
    /// How often a worker claimed the task (more than 1 only after a
    /// takeover from an instance that died).
    pub claims: i64,
    /// `generate` or `regenerate` (an audio refresh).
    #[sqlx(try_from = "String")]
    pub task_kind: TaskKind,
}

impl TaskRow {
    /// `completed` and `done` both count as finished (contract §7.3).
    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
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
    pub kind: TaskKind,
    pub now: &'a str,
}

const COLUMNS: &str = "task_id, original_text, text_hash, status, output_file_path, \
     custom_filename, language, created_at, submitted_at, started_at, completed_at, failed_at, \
     error_message, error_class, file_size, sampling_rate, device, metadata, spoken_text, voice, \
     claims, task_kind";

#[tracing::instrument(skip_all, fields(task_id = task.task_id))]
pub async fn insert(conn: &mut Conn, task: &NewTask<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tts_tasks (task_id, original_text, text_hash, status, output_file_path, \
         custom_filename, language, spoken_text, voice, created_at, submitted_at, task_kind) \
         VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, $11)",
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
    .bind(task.kind.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

#[tracing::instrument(skip(conn))]
pub async fn exists(conn: &mut Conn, task_id: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tts_tasks WHERE task_id = $1")
        .bind(task_id)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

#[tracing::instrument(skip(conn))]
pub async fn get(conn: &mut Conn, task_id: &str) -> sqlx::Result<Option<TaskRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tts_tasks WHERE task_id = $1"
    ))
    .bind(task_id)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip(pool))]
pub async fn find(pool: &Pool, task_id: &str) -> sqlx::Result<Option<TaskRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tts_tasks WHERE task_id = $1"
    ))
    .bind(task_id)
    .fetch_optional(pool)
    .await
}

/// Serialise, until the transaction ends, every submission of one text:
/// without it two transactions (two instances, or two submission workers)
/// could both find no task for the text and both create one. PostgreSQL
/// takes a transaction-scoped advisory lock on the hash; SQLite's single
/// writer already runs these transactions one after another.
#[tracing::instrument(skip(conn))]
pub async fn lock_text(conn: &mut Conn, text_hash: &str) -> sqlx::Result<()> {
    if Dialect::of_conn(conn) == Dialect::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(text_hash)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The newest task with this text that has not failed (dedupe, §7.4).
/// On PostgreSQL the row stays locked until the caller's transaction ends,
/// so a monitor finishing that task waits for (and then sees) an item the
/// caller links to it, or the caller waits and sees the task finished.
/// SQLite's single writer serialises these transactions anyway.
#[tracing::instrument(skip(conn))]
pub async fn find_reusable(conn: &mut Conn, text_hash: &str) -> sqlx::Result<Option<TaskRow>> {
    let lock = match Dialect::of_conn(conn) {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    };
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tts_tasks WHERE text_hash = $1 AND status != 'failed' \
         ORDER BY id DESC LIMIT 1{lock}"
    ))
    .bind(text_hash)
    .fetch_optional(conn)
    .await
}

/// Newest first, optionally one status only.
#[tracing::instrument(skip(pool))]
pub async fn list(
    pool: &Pool,
    status: Option<TaskStatus>,
    limit: i64,
) -> sqlx::Result<Vec<TaskRow>> {
    let sql = match status {
        Some(_) => format!("SELECT {COLUMNS} FROM tts_tasks WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT $2"),
        None => format!("SELECT {COLUMNS} FROM tts_tasks ORDER BY created_at DESC, id DESC LIMIT $1"),
    };
    let mut query = sqlx::query_as(&sql);
    if let Some(status) = status {
        query = query.bind(status.as_str());
    }
    query.bind(limit).fetch_all(pool).await
}

/// Tasks a previous run left unfinished, oldest first.
#[tracing::instrument(skip_all)]
pub async fn unfinished(pool: &Pool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT task_id FROM tts_tasks WHERE status IN ('queued', 'processing') ORDER BY id",
    )
    .fetch_all(pool)
    .await
}

/// Who claims a task, until when, and what it reports.
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    /// This instance's id.
    pub owner: &'a str,
    /// The engine label shown in `device`.
    pub device: &'a str,
    /// Local wall-clock time for `started_at`.
    pub now: &'a str,
    /// Unix seconds now; leases ending before this have expired.
    pub now_secs: i64,
    /// Unix seconds until which the claim holds unless renewed.
    pub lease_until: i64,
}

/// Atomically take a task for synthesis: only a `queued` task or one whose
/// owner's lease expired. Exactly one of several concurrent callers (in
/// this process or another instance on the same database) gets the row;
/// PostgreSQL re-checks the condition after waiting on the row lock.
#[tracing::instrument(skip(conn, claim), fields(owner = claim.owner))]
pub async fn claim(
    conn: &mut Conn,
    task_id: &str,
    claim: &Claim<'_>,
) -> sqlx::Result<Option<TaskRow>> {
    sqlx::query_as(&format!(
        "UPDATE tts_tasks SET status = 'processing', started_at = $1, device = $2, \
         claimed_by = $3, lease_until = $4, claims = claims + 1 \
         WHERE task_id = $5 AND (status = 'queued' OR (status = 'processing' \
         AND (lease_until IS NULL OR lease_until < $6))) RETURNING {COLUMNS}"
    ))
    .bind(claim.now)
    .bind(claim.device)
    .bind(claim.owner)
    .bind(claim.lease_until)
    .bind(task_id)
    .bind(claim.now_secs)
    .fetch_optional(conn)
    .await
}

/// Extend a lease this owner still holds; false when it was lost.
#[tracing::instrument(skip(pool))]
pub async fn renew_lease(
    pool: &Pool,
    task_id: &str,
    owner: &str,
    lease_until: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE tts_tasks SET lease_until = $1 \
         WHERE task_id = $2 AND claimed_by = $3 AND status = 'processing'",
    )
    .bind(lease_until)
    .bind(task_id)
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Tasks another worker may take over: queued since before `queued_before`
/// (their instance should have started them by then) or processing under an
/// expired lease. Oldest first, at most `limit`.
#[tracing::instrument(skip(pool))]
pub async fn claimable(
    pool: &Pool,
    queued_before: &str,
    now_secs: i64,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT task_id FROM tts_tasks WHERE (status = 'queued' AND submitted_at < $1) \
         OR (status = 'processing' AND (lease_until IS NULL OR lease_until < $2)) \
         ORDER BY id LIMIT $3",
    )
    .bind(queued_before)
    .bind(now_secs)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Forget every lease (SQLite at start-up: no other instance can hold one,
/// so work a crashed run left `processing` is taken again at once).
#[tracing::instrument(skip_all)]
pub async fn release_all_leases(pool: &Pool) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE tts_tasks SET lease_until = NULL WHERE status = 'processing' \
         AND lease_until IS NOT NULL",
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
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

/// Why a task failed: its class and the engine's words.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    pub class: FailureClass,
    pub message: &'a str,
}

/// `completed` then the terminal `done` (the original sent both).
#[tracing::instrument(skip(conn, done))]
pub async fn mark_done(conn: &mut Conn, task_id: &str, done: &Completion<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tts_tasks SET status = 'done', completed_at = $1, file_size = $2, \
         sampling_rate = $3, device = $4, metadata = $5, error_message = NULL WHERE task_id = $6",
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

#[tracing::instrument(skip(conn, failure))]
pub async fn mark_failed(
    conn: &mut Conn,
    task_id: &str,
    failure: &Failure<'_>,
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE tts_tasks SET status = 'failed', failed_at = $1, error_message = $2, \
         error_class = $3 WHERE task_id = $4",
    )
    .bind(now)
    .bind(failure.message)
    .bind(failure.class.as_str())
    .bind(task_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Count of tasks per status.
#[tracing::instrument(skip_all)]
pub async fn count_by_status(pool: &Pool) -> sqlx::Result<Vec<(String, i64)>> {
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

#[tracing::instrument(skip_all)]
pub async fn stats_by_device(pool: &Pool) -> sqlx::Result<Vec<DeviceStatsRow>> {
    // Timestamps are stored as text; each backend has its own date arithmetic
    // and JSON accessor.
    let (seconds, duration) = match Dialect::of_pool(pool) {
        Dialect::Sqlite => (
            "(julianday(completed_at) - julianday(started_at)) * 86400.0",
            "json_extract(metadata, '$.duration')",
        ),
        Dialect::Postgres => (
            "EXTRACT(EPOCH FROM (CAST(completed_at AS TIMESTAMP) - CAST(started_at AS TIMESTAMP)))::float8",
            "(metadata::jsonb ->> 'duration')::float8",
        ),
    };
    let finished = "status IN ('completed', 'done')";
    sqlx::query_as(&format!(
        "SELECT device, COUNT(*) AS tasks, \
         SUM(CASE WHEN {finished} THEN 1 ELSE 0 END) AS finished, \
         SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, \
         CAST(AVG(CASE WHEN {finished} THEN {seconds} END) AS DOUBLE PRECISION) AS avg_synthesis_seconds, \
         CAST(AVG(CASE WHEN {finished} AND {duration} > 0 THEN {seconds} / {duration} END) \
             AS DOUBLE PRECISION) AS avg_real_time_factor, \
         CAST(AVG(CASE WHEN {finished} THEN file_size END) AS DOUBLE PRECISION) AS avg_file_size \
         FROM tts_tasks GROUP BY device ORDER BY device"
    ))
    .fetch_all(pool)
    .await
}

/// Dedupe savings: tasks whose audio serves more than one item, and how
/// many items they serve.
#[tracing::instrument(skip_all)]
pub async fn shared_task_counts(pool: &Pool) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM \
         (SELECT COUNT(*) AS n FROM items WHERE task_id IS NOT NULL GROUP BY task_id \
          HAVING COUNT(*) > 1) AS shared",
    )
    .fetch_one(pool)
    .await
}

/// A task picked for deletion by maintenance.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CleanupCandidate {
    pub task_id: String,
    #[sqlx(try_from = "String")]
    pub status: TaskStatus,
    pub output_file_path: Option<String>,
}

/// Failed tasks that failed before `cutoff`.
#[tracing::instrument(skip(pool))]
pub async fn failed_before(pool: &Pool, cutoff: &str) -> sqlx::Result<Vec<CleanupCandidate>> {
    sqlx::query_as(
        "SELECT task_id, status, output_file_path FROM tts_tasks \
         WHERE status = 'failed' AND COALESCE(failed_at, created_at) < $1 ORDER BY id",
    )
    .bind(cutoff)
    .fetch_all(pool)
    .await
}

/// Finished tasks that no item references.
#[tracing::instrument(skip_all)]
pub async fn unreferenced_finished(pool: &Pool) -> sqlx::Result<Vec<CleanupCandidate>> {
    sqlx::query_as(
        "SELECT t.task_id, t.status, t.output_file_path FROM tts_tasks t \
         WHERE t.status IN ('completed', 'done') \
         AND NOT EXISTS (SELECT 1 FROM items i WHERE i.task_id = t.task_id) ORDER BY t.id",
    )
    .fetch_all(pool)
    .await
}

#[tracing::instrument(skip(conn))]
pub async fn delete(conn: &mut Conn, task_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM tts_tasks WHERE task_id = $1")
        .bind(task_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
