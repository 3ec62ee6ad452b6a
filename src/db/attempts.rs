//! Every statement touching `attempts`, including the statistics aggregates.

use super::attempt_stats::{WordsVersion, WORDS_VERSION};
use super::page::{self, Counted};
use super::sql::Sql;
use super::{Conn, Dialect, Pool};

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
    /// [`crate::domain::word_outcomes::WordOutcomes`], encoded.
    pub word_outcomes: Option<&'a str>,
}

/// A time window on `created_at` (inclusive bounds, storage format).
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub since: Option<String>,
    pub until: Option<String>,
}

impl Window {
    /// All of history: the aggregates answer without reading attempts.
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }
}

const COLUMNS: &str =
    "SELECT id, item_id, text, percentage, wer, words_ref, words_correct, created_at, \
     percentage_spoken";

#[tracing::instrument(skip_all, fields(item_id = row.item_id))]
pub async fn insert(conn: &mut Conn, row: &NewAttemptRow<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO attempts (item_id, text, percentage, wer, words_ref, words_correct, \
         percentage_spoken, created_at, word_outcomes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(row.item_id)
    .bind(row.text)
    .bind(row.percentage)
    .bind(row.wer)
    .bind(row.words_ref)
    .bind(row.words_correct)
    .bind(row.percentage_spoken)
    .bind(row.created_at)
    .bind(row.word_outcomes)
    .fetch_one(conn)
    .await
}

#[tracing::instrument(skip(pool))]
pub async fn find(pool: &Pool, id: i64) -> sqlx::Result<Option<AttemptRow>> {
    sqlx::query_as(&format!("{COLUMNS} FROM attempts WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

fn push_window(sql: &mut Sql, column: &str, window: &Window) {
    if let Some(since) = &window.since {
        sql.push(&format!(" AND {column} >= ")).bind(since.clone());
    }
    if let Some(until) = &window.until {
        sql.push(&format!(" AND {column} <= ")).bind(until.clone());
    }
}

fn push_list_filter(sql: &mut Sql, item_id: Option<i64>, window: &Window) {
    sql.push(" WHERE 1 = 1");
    if let Some(item_id) = item_id {
        sql.push(" AND item_id = ").bind(item_id);
    }
    push_window(sql, "created_at", window);
}

/// One page, newest first, and the number of attempts matching ([`page`]); the total is `None`
/// when the page is empty.
#[tracing::instrument(skip_all)]
pub async fn list(
    pool: &Pool,
    item_id: Option<i64>,
    window: &Window,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AttemptRow>, Option<i64>)> {
    let mut sql = Sql::new(COLUMNS);
    sql.push(", ");
    push_total(&mut sql, item_id, window);
    sql.push(" AS ").push(page::TOTAL).push(" FROM attempts");
    push_list_filter(&mut sql, item_id, window);
    sql.push(" ORDER BY created_at DESC, id DESC")
        .push_page(Dialect::of_pool(pool), limit, offset);
    let (text, args) = sql.build()?;
    let rows: Vec<Counted<AttemptRow>> = sqlx::query_as_with(&text, args).fetch_all(pool).await?;
    Ok(page::split(rows))
}

/// The number of attempts matching as a scalar subquery. All of history (or an item's) is
/// counted by the kept aggregates; only a time window needs a count, a range of the
/// created_at index.
fn push_total(sql: &mut Sql, item_id: Option<i64>, window: &Window) {
    match (window.is_unbounded(), item_id) {
        (true, None) => sql.push("(SELECT attempts FROM attempt_totals WHERE id = 1)"),
        (true, Some(item)) => sql
            .push("COALESCE((SELECT attempts FROM item_attempt_stats WHERE item_id = ")
            .bind(item)
            .push("), 0)"),
        (false, _) => {
            sql.push("(SELECT COUNT(*) FROM attempts");
            push_list_filter(sql, item_id, window);
            sql.push(")")
        }
    };
}

/// The number of attempts matching (what [`list`] reads with its page), for a page that has no
/// row to carry it.
#[tracing::instrument(skip_all)]
pub async fn count(pool: &Pool, item_id: Option<i64>, window: &Window) -> sqlx::Result<i64> {
    let mut sql = Sql::new("SELECT ");
    push_total(&mut sql, item_id, window);
    let (text, args) = sql.build()?;
    sqlx::query_scalar_with(&text, args).fetch_one(pool).await
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
pub async fn summary(pool: &Pool, window: &Window) -> sqlx::Result<SummaryRow> {
    let mut sql = Sql::new(
        "SELECT COUNT(*) AS total_attempts, COUNT(DISTINCT item_id) AS unique_items, \
         CAST(SUM(percentage) AS DOUBLE PRECISION) AS percentage_sum, MAX(percentage) AS best, \
         MIN(percentage) AS worst FROM attempts WHERE 1 = 1",
    );
    push_window(&mut sql, "created_at", window);
    let (text, args) = sql.build()?;
    sqlx::query_as_with(&text, args).fetch_one(pool).await
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
    pool: &Pool,
    window: &Window,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<PracticeLogRow>> {
    let mut sql = Sql::new(
        "SELECT i.id AS item_id, i.text, i.locale, i.difficulty, i.tags_json, \
         COUNT(a.id) AS attempt_count, MIN(a.created_at) AS first_attempt_at, \
         MAX(a.created_at) AS last_practiced_at, CAST(SUM(a.percentage) AS DOUBLE PRECISION) AS percentage_sum, \
         MAX(a.percentage) AS best_score, MIN(a.percentage) AS worst_score, CAST(AVG(a.wer) AS DOUBLE PRECISION) AS wer_avg \
         FROM attempts a JOIN items i ON i.id = a.item_id WHERE 1 = 1",
    );
    push_window(&mut sql, "a.created_at", window);
    sql.push(" GROUP BY i.id ORDER BY last_practiced_at DESC, i.id DESC")
        .push_page(Dialect::of_pool(pool), limit, offset);
    let (text, args) = sql.build()?;
    sqlx::query_as_with(&text, args).fetch_all(pool).await
}

#[tracing::instrument(skip_all)]
pub async fn practiced_item_count(pool: &Pool, window: &Window) -> sqlx::Result<i64> {
    let mut sql = Sql::new("SELECT COUNT(DISTINCT item_id) FROM attempts WHERE 1 = 1");
    push_window(&mut sql, "created_at", window);
    let (text, args) = sql.build()?;
    sqlx::query_scalar_with(&text, args).fetch_one(pool).await
}

/// Attempts per local calendar day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayRow {
    pub day: String,
    pub attempts: i64,
    pub percentage_sum: f64,
    pub wer_avg: f64,
    pub percentage_spoken_sum: f64,
}

#[tracing::instrument(skip(pool))]
pub async fn progress_by_day(
    pool: &Pool,
    item_id: Option<i64>,
    since: &str,
) -> sqlx::Result<Vec<DayRow>> {
    let mut sql = Sql::new(
        "SELECT substr(created_at, 1, 10) AS day, COUNT(*) AS attempts, \
         CAST(SUM(percentage) AS DOUBLE PRECISION) AS percentage_sum, CAST(AVG(wer) AS DOUBLE PRECISION) AS wer_avg, \
         CAST(SUM(COALESCE(percentage_spoken, percentage)) AS DOUBLE PRECISION) AS percentage_spoken_sum \
         FROM attempts WHERE created_at >= ",
    );
    sql.bind(since.to_string());
    if let Some(item_id) = item_id {
        sql.push(" AND item_id = ").bind(item_id);
    }
    sql.push(" GROUP BY day ORDER BY day ASC");
    let (text, args) = sql.build()?;
    sqlx::query_as_with(&text, args).fetch_all(pool).await
}

/// An attempt with its item's current text, for word statistics.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WithReference {
    pub id: i64,
    pub item_text: String,
    pub item_spoken_text: Option<String>,
    pub text: String,
    pub word_outcomes: Option<String>,
}

const WITH_REFERENCE: &str =
    "SELECT a.id, i.text AS item_text, i.spoken_text AS item_spoken_text, \
     a.text, a.word_outcomes FROM attempts a JOIN items i ON i.id = a.item_id";

/// One of the newest attempts, with what word statistics need: its stored
/// outcomes, the item text they must have been made against, and the
/// version of the data the statement read (the same on every row: one
/// statement reads one snapshot, so the rows are exactly that version's).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecentOutcome {
    pub id: i64,
    pub item_id: i64,
    pub item_text: String,
    pub item_spoken_text: Option<String>,
    pub word_outcomes: Option<String>,
    pub created_at: String,
    #[sqlx(flatten)]
    pub version: WordsVersion,
}

fn recent_outcomes_sql() -> Sql {
    Sql::new(&format!(
        "SELECT a.id, a.item_id, i.text AS item_text, i.spoken_text AS item_spoken_text, \
         a.word_outcomes, a.created_at, {WORDS_VERSION} \
         FROM attempts a JOIN items i ON i.id = a.item_id CROSS JOIN attempt_totals t \
         WHERE t.id = 1"
    ))
}

/// The newest `limit` attempts (of one item when given), newest first,
/// without their own text (needed only where the outcomes are not usable).
#[tracing::instrument(skip(pool))]
pub async fn recent_outcomes(
    pool: &Pool,
    item_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<RecentOutcome>> {
    let mut sql = recent_outcomes_sql();
    if let Some(item_id) = item_id {
        sql.push(" AND a.item_id = ").bind(item_id);
    }
    sql.push(" ORDER BY a.created_at DESC, a.id DESC LIMIT ")
        .bind(limit);
    let (text, args) = sql.build()?;
    sqlx::query_as_with(&text, args).fetch_all(pool).await
}

/// The `limit` highest-numbered attempts above `after`, like
/// [`recent_outcomes`] and in its order (newest first). Why the statement
/// orders by id and Rust by time: ordered by `created_at`, SQLite walks that
/// index from the newest attempt down through the whole table looking for
/// ids above `after` (the few added since a count); by id it reads just them.
#[tracing::instrument(skip(pool))]
pub async fn outcomes_after(
    pool: &Pool,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<RecentOutcome>> {
    let mut sql = recent_outcomes_sql();
    sql.push(" AND a.id > ").bind(after);
    sql.push(" ORDER BY a.id DESC LIMIT ").bind(limit);
    let (text, args) = sql.build()?;
    let mut rows: Vec<RecentOutcome> = sqlx::query_as_with(&text, args).fetch_all(pool).await?;
    rows.sort_unstable_by(|a, b| (&b.created_at, b.id).cmp(&(&a.created_at, a.id)));
    Ok(rows)
}

/// These attempts with their item's current text.
#[tracing::instrument(skip_all, fields(attempts = ids.len()))]
pub async fn with_reference(pool: &Pool, ids: &[i64]) -> sqlx::Result<Vec<WithReference>> {
    let mut rows = Vec::with_capacity(ids.len());
    // Bound the statement's parameters (SQLite allows 32,766).
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(WITH_REFERENCE);
        sql.push(" WHERE a.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        let (text, args) = sql.build()?;
        rows.extend(
            sqlx::query_as_with::<_, WithReference, _>(&text, args)
                .fetch_all(pool)
                .await?,
        );
    }
    Ok(rows)
}

/// Attempts below `before_id` stored without word outcomes, newest first.
#[tracing::instrument(skip(pool))]
pub async fn without_outcomes(
    pool: &Pool,
    before_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<WithReference>> {
    sqlx::query_as(&format!(
        "{WITH_REFERENCE} WHERE a.id < $1 AND a.word_outcomes IS NULL ORDER BY a.id DESC LIMIT $2"
    ))
    .bind(before_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Store an attempt's word outcomes (only where none are stored yet).
#[tracing::instrument(skip(conn, outcomes))]
pub async fn set_outcomes(conn: &mut Conn, id: i64, outcomes: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE attempts SET word_outcomes = $1 WHERE id = $2 AND word_outcomes IS NULL")
        .bind(outcomes)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
