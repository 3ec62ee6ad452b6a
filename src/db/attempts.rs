//! Every statement touching `attempts`, including the statistics aggregates.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: i64,
    pub item_id: i64,
    pub text: String,
    pub percentage: i64,
    pub wer: f64,
    pub words_ref: i64,
    pub words_correct: i64,
    pub created_at: String,
    /// Lenient score accepting written or spoken forms (NULL on old rows).
    pub percentage_spoken: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewAttemptRow<'a> {
    pub item_id: i64,
    pub text: &'a str,
    pub percentage: i64,
    pub wer: f64,
    pub words_ref: i64,
    pub words_correct: i64,
    pub percentage_spoken: i64,
    pub created_at: &'a str,
}

/// A time window on `created_at` (inclusive bounds, storage format).
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub since: Option<String>,
    pub until: Option<String>,
}

const SELECT: &str =
    "SELECT id, item_id, text, percentage, wer, words_ref, words_correct, created_at, \
     percentage_spoken FROM attempts";

#[tracing::instrument(skip_all, fields(item_id = row.item_id))]
pub async fn insert(conn: &mut SqliteConnection, row: &NewAttemptRow<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO attempts (item_id, text, percentage, wer, words_ref, words_correct, \
         percentage_spoken, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(row.item_id)
    .bind(row.text)
    .bind(row.percentage)
    .bind(row.wer)
    .bind(row.words_ref)
    .bind(row.words_correct)
    .bind(row.percentage_spoken)
    .bind(row.created_at)
    .fetch_one(conn)
    .await
}

#[tracing::instrument(skip(conn))]
pub async fn get(conn: &mut SqliteConnection, id: i64) -> sqlx::Result<Option<AttemptRow>> {
    sqlx::query_as(&format!("{SELECT} WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

#[tracing::instrument(skip(pool))]
pub async fn find(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<AttemptRow>> {
    sqlx::query_as(&format!("{SELECT} WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

fn push_window(qb: &mut QueryBuilder<'_, Sqlite>, column: &str, window: &Window) {
    if let Some(since) = &window.since {
        qb.push(format!(" AND {column} >= "))
            .push_bind(since.clone());
    }
    if let Some(until) = &window.until {
        qb.push(format!(" AND {column} <= "))
            .push_bind(until.clone());
    }
}

fn push_list_filter(qb: &mut QueryBuilder<'_, Sqlite>, item_id: Option<i64>, window: &Window) {
    qb.push(" WHERE 1 = 1");
    if let Some(item_id) = item_id {
        qb.push(" AND item_id = ").push_bind(item_id);
    }
    push_window(qb, "created_at", window);
}

#[tracing::instrument(skip_all)]
pub async fn list(
    pool: &SqlitePool,
    item_id: Option<i64>,
    window: &Window,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<AttemptRow>> {
    let mut qb = QueryBuilder::new(SELECT);
    push_list_filter(&mut qb, item_id, window);
    qb.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    qb.build_query_as().fetch_all(pool).await
}

#[tracing::instrument(skip_all)]
pub async fn count(pool: &SqlitePool, item_id: Option<i64>, window: &Window) -> sqlx::Result<i64> {
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM attempts");
    push_list_filter(&mut qb, item_id, window);
    qb.build_query_scalar().fetch_one(pool).await
}

/// Aggregates over the attempts of a window.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SummaryRow {
    pub total_attempts: i64,
    pub unique_items: i64,
    pub percentage_sum: Option<f64>,
    pub best: Option<i64>,
    pub worst: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub async fn summary(pool: &SqlitePool, window: &Window) -> sqlx::Result<SummaryRow> {
    let mut qb = QueryBuilder::new(
        "SELECT COUNT(*) AS total_attempts, COUNT(DISTINCT item_id) AS unique_items, \
         CAST(SUM(percentage) AS REAL) AS percentage_sum, MAX(percentage) AS best, \
         MIN(percentage) AS worst FROM attempts WHERE 1 = 1",
    );
    push_window(&mut qb, "created_at", window);
    qb.build_query_as().fetch_one(pool).await
}

/// One item's aggregates over the attempts of a window.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PracticeLogRow {
    pub item_id: i64,
    pub text: String,
    pub locale: String,
    pub difficulty: Option<i64>,
    pub tags_json: Option<String>,
    pub attempt_count: i64,
    pub first_attempt_at: String,
    pub last_practiced_at: String,
    pub percentage_sum: f64,
    pub best_score: i64,
    pub worst_score: i64,
    pub wer_avg: f64,
}

#[tracing::instrument(skip_all)]
pub async fn practice_log(
    pool: &SqlitePool,
    window: &Window,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<PracticeLogRow>> {
    let mut qb = QueryBuilder::new(
        "SELECT i.id AS item_id, i.text, i.locale, i.difficulty, i.tags_json, \
         COUNT(a.id) AS attempt_count, MIN(a.created_at) AS first_attempt_at, \
         MAX(a.created_at) AS last_practiced_at, CAST(SUM(a.percentage) AS REAL) AS percentage_sum, \
         MAX(a.percentage) AS best_score, MIN(a.percentage) AS worst_score, AVG(a.wer) AS wer_avg \
         FROM attempts a JOIN items i ON i.id = a.item_id WHERE 1 = 1",
    );
    push_window(&mut qb, "a.created_at", window);
    qb.push(" GROUP BY i.id ORDER BY last_practiced_at DESC, i.id DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    qb.build_query_as().fetch_all(pool).await
}

#[tracing::instrument(skip_all)]
pub async fn practiced_item_count(pool: &SqlitePool, window: &Window) -> sqlx::Result<i64> {
    let mut qb = QueryBuilder::new("SELECT COUNT(DISTINCT item_id) FROM attempts WHERE 1 = 1");
    push_window(&mut qb, "created_at", window);
    qb.build_query_scalar().fetch_one(pool).await
}

/// All-time aggregates of one item's attempts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemStatsRow {
    pub attempts_count: i64,
    pub first_attempt_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub percentage_sum: Option<f64>,
    pub best_percentage: Option<i64>,
    pub worst_percentage: Option<i64>,
    pub wer_avg: Option<f64>,
    pub best_wer: Option<f64>,
    pub worst_wer: Option<f64>,
}

#[tracing::instrument(skip(pool))]
pub async fn item_stats(pool: &SqlitePool, item_id: i64) -> sqlx::Result<ItemStatsRow> {
    sqlx::query_as(
        "SELECT COUNT(*) AS attempts_count, MIN(created_at) AS first_attempt_at, \
         MAX(created_at) AS last_attempt_at, CAST(SUM(percentage) AS REAL) AS percentage_sum, \
         MAX(percentage) AS best_percentage, MIN(percentage) AS worst_percentage, \
         AVG(wer) AS wer_avg, MIN(wer) AS best_wer, MAX(wer) AS worst_wer \
         FROM attempts WHERE item_id = ?",
    )
    .bind(item_id)
    .fetch_one(pool)
    .await
}

/// Attempts per local calendar day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayRow {
    pub day: String,
    pub attempts: i64,
    pub percentage_sum: f64,
    pub wer_avg: f64,
}

#[tracing::instrument(skip(pool))]
pub async fn progress_by_day(
    pool: &SqlitePool,
    item_id: Option<i64>,
    since: &str,
) -> sqlx::Result<Vec<DayRow>> {
    let mut qb = QueryBuilder::new(
        "SELECT substr(created_at, 1, 10) AS day, COUNT(*) AS attempts, \
         CAST(SUM(percentage) AS REAL) AS percentage_sum, AVG(wer) AS wer_avg \
         FROM attempts WHERE created_at >= ",
    );
    qb.push_bind(since.to_string());
    if let Some(item_id) = item_id {
        qb.push(" AND item_id = ").push_bind(item_id);
    }
    qb.push(" GROUP BY day ORDER BY day ASC");
    qb.build_query_as().fetch_all(pool).await
}

/// The newest attempts with their item's text, for word statistics.
#[tracing::instrument(skip(pool))]
pub async fn recent_with_reference(
    pool: &SqlitePool,
    item_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    let mut qb = QueryBuilder::new(
        "SELECT i.text, a.text FROM attempts a JOIN items i ON i.id = a.item_id WHERE 1 = 1",
    );
    if let Some(item_id) = item_id {
        qb.push(" AND a.item_id = ").push_bind(item_id);
    }
    qb.push(" ORDER BY a.created_at DESC, a.id DESC LIMIT ")
        .push_bind(limit);
    qb.build_query_as().fetch_all(pool).await
}
