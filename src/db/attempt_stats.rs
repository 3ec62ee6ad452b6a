//! Every statement touching the attempt aggregates (`item_attempt_stats`,
//! `daily_attempt_stats`, `attempt_totals`; migration 0009). Why they exist:
//! the statistics used to be recomputed from every attempt on each call, so
//! they slowed down as a learner's history grew (39 ms for the practice log
//! at 47,000 attempts). Attempts are only added, or removed with their item,
//! so each write keeps these rows in its own transaction and the unwindowed
//! statistics read a row or an index instead of the whole history.
//!
//! Counts and percentage sums are exact integers. WER sums are floats summed
//! in a different order than SQL's `AVG` over the rows, so an average may
//! differ in its last bits (never in the four decimals the API shows, short
//! of a tie on the rounding boundary); a day touched by a delete is summed
//! from its rows again rather than by subtraction, so errors never build up.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::Row;

use super::attempts::NewAttemptRow;
use super::page::{self, Counted};
use super::sql::Sql;
use super::{Conn, Dialect, Pool};

/// The first ten characters of a stored timestamp: its local calendar day.
fn day_of(created_at: &str) -> &str {
    created_at.get(..10).unwrap_or(created_at)
}

/// What new attempts add to the per-item, per-day and overall aggregates. Why not one update
/// per attempt: the group commit ([`crate::services::attempt_writer`]) stores many attempts in
/// one transaction, and they fall on few items and mostly on one day, so each of those rows is
/// written once per batch instead of once per attempt (three statements of six per attempt
/// before).
#[derive(Debug, Default)]
pub struct Tally {
    items: BTreeMap<i64, ItemTally>,
    /// Per day: attempts, percentage sum, lenient percentage sum, WER sum.
    days: BTreeMap<String, (i64, i64, i64, f64)>,
    attempts: i64,
    percentage_sum: i64,
}

/// One item's part of a [`Tally`], in the columns of `item_attempt_stats`.
#[derive(Debug)]
struct ItemTally {
    attempts: i64,
    percentage_sum: i64,
    best_percentage: i64,
    worst_percentage: i64,
    wer_sum: f64,
    best_wer: f64,
    worst_wer: f64,
    first_attempt_at: String,
    last_attempt_at: String,
}

impl Tally {
    /// Count `row`.
    pub fn add(&mut self, row: &NewAttemptRow<'_>) {
        let at = row.created_at;
        self.items
            .entry(row.item_id)
            .and_modify(|item| {
                item.attempts += 1;
                item.percentage_sum += row.percentage;
                item.best_percentage = item.best_percentage.max(row.percentage);
                item.worst_percentage = item.worst_percentage.min(row.percentage);
                item.wer_sum += row.wer;
                item.best_wer = item.best_wer.min(row.wer);
                item.worst_wer = item.worst_wer.max(row.wer);
                if at < item.first_attempt_at.as_str() {
                    at.clone_into(&mut item.first_attempt_at);
                }
                if at > item.last_attempt_at.as_str() {
                    at.clone_into(&mut item.last_attempt_at);
                }
            })
            .or_insert_with(|| ItemTally {
                attempts: 1,
                percentage_sum: row.percentage,
                best_percentage: row.percentage,
                worst_percentage: row.percentage,
                wer_sum: row.wer,
                best_wer: row.wer,
                worst_wer: row.wer,
                first_attempt_at: at.to_owned(),
                last_attempt_at: at.to_owned(),
            });
        let day = self.days.entry(day_of(at).to_owned()).or_default();
        day.0 += 1;
        day.1 += row.percentage;
        day.2 += row.percentage_spoken;
        day.3 += row.wer;
        self.attempts += 1;
        self.percentage_sum += row.percentage;
    }
}

/// Add a [`Tally`] to the per-item, per-day and overall aggregates (in the transaction that
/// inserts its attempts).
#[tracing::instrument(skip_all, fields(attempts = tally.attempts, items = tally.items.len(), days = tally.days.len()))]
pub async fn add_tally(conn: &mut Conn, tally: &Tally) -> sqlx::Result<()> {
    if tally.attempts == 0 {
        return Ok(());
    }
    // Items that got their first attempts.
    let mut first_practised = 0;
    for (item_id, item) in &tally.items {
        let attempts: i64 = sqlx::query_scalar(
            "INSERT INTO item_attempt_stats (item_id, attempts, percentage_sum, best_percentage, \
             worst_percentage, wer_sum, best_wer, worst_wer, first_attempt_at, last_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (item_id) DO UPDATE SET \
             attempts = item_attempt_stats.attempts + excluded.attempts, \
             percentage_sum = item_attempt_stats.percentage_sum + excluded.percentage_sum, \
             best_percentage = CASE WHEN excluded.best_percentage > item_attempt_stats.best_percentage \
                 THEN excluded.best_percentage ELSE item_attempt_stats.best_percentage END, \
             worst_percentage = CASE WHEN excluded.worst_percentage < item_attempt_stats.worst_percentage \
                 THEN excluded.worst_percentage ELSE item_attempt_stats.worst_percentage END, \
             wer_sum = item_attempt_stats.wer_sum + excluded.wer_sum, \
             best_wer = CASE WHEN excluded.best_wer < item_attempt_stats.best_wer \
                 THEN excluded.best_wer ELSE item_attempt_stats.best_wer END, \
             worst_wer = CASE WHEN excluded.worst_wer > item_attempt_stats.worst_wer \
                 THEN excluded.worst_wer ELSE item_attempt_stats.worst_wer END, \
             first_attempt_at = CASE WHEN excluded.first_attempt_at < item_attempt_stats.first_attempt_at \
                 THEN excluded.first_attempt_at ELSE item_attempt_stats.first_attempt_at END, \
             last_attempt_at = CASE WHEN excluded.last_attempt_at > item_attempt_stats.last_attempt_at \
                 THEN excluded.last_attempt_at ELSE item_attempt_stats.last_attempt_at END \
             RETURNING attempts",
        )
        .bind(*item_id)
        .bind(item.attempts)
        .bind(item.percentage_sum)
        .bind(item.best_percentage)
        .bind(item.worst_percentage)
        .bind(item.wer_sum)
        .bind(item.best_wer)
        .bind(item.worst_wer)
        .bind(item.first_attempt_at.clone())
        .bind(item.last_attempt_at.clone())
        .fetch_one(&mut *conn)
        .await?;
        first_practised += i64::from(attempts == item.attempts);
    }
    for (day, &(attempts, percentage_sum, percentage_spoken_sum, wer_sum)) in &tally.days {
        sqlx::query(
            "INSERT INTO daily_attempt_stats (day, attempts, percentage_sum, percentage_spoken_sum, \
             wer_sum) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (day) DO UPDATE SET attempts = daily_attempt_stats.attempts + excluded.attempts, \
             percentage_sum = daily_attempt_stats.percentage_sum + excluded.percentage_sum, \
             percentage_spoken_sum = daily_attempt_stats.percentage_spoken_sum \
                 + excluded.percentage_spoken_sum, \
             wer_sum = daily_attempt_stats.wer_sum + excluded.wer_sum",
        )
        .bind(day.clone())
        .bind(attempts)
        .bind(percentage_sum)
        .bind(percentage_spoken_sum)
        .bind(wer_sum)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "UPDATE attempt_totals SET attempts = attempts + $1, items = items + $2, \
         percentage_sum = percentage_sum + $3 WHERE id = 1",
    )
    .bind(tally.attempts)
    .bind(first_practised)
    .bind(tally.percentage_sum)
    .execute(conn)
    .await?;
    Ok(())
}

/// Take an item's attempts out of the totals, before the item is deleted
/// (its own row goes with it by the foreign key). Returns the days its
/// attempts fell on, for [`resum_days`] once they are gone.
#[tracing::instrument(skip(conn))]
pub async fn forget_item(conn: &mut Conn, item_id: i64) -> sqlx::Result<Vec<String>> {
    let days: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT substr(created_at, 1, 10) FROM attempts WHERE item_id = $1",
    )
    .bind(item_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE attempt_totals SET \
         attempts = attempts - COALESCE((SELECT s.attempts FROM item_attempt_stats s \
             WHERE s.item_id = $1), 0), \
         percentage_sum = percentage_sum - COALESCE((SELECT s.percentage_sum \
             FROM item_attempt_stats s WHERE s.item_id = $1), 0), \
         items = items - (SELECT COUNT(*) FROM item_attempt_stats s WHERE s.item_id = $1) \
         WHERE id = 1",
    )
    .bind(item_id)
    .execute(conn)
    .await?;
    Ok(days)
}

/// Sum each of `days` again from its remaining attempts (a range of the
/// `created_at` index); a day left without attempts loses its row.
#[tracing::instrument(skip_all, fields(days = days.len()))]
pub async fn resum_days(conn: &mut Conn, days: &[String]) -> sqlx::Result<()> {
    for day in days {
        sqlx::query("DELETE FROM daily_attempt_stats WHERE day = $1")
            .bind(day)
            .execute(&mut *conn)
            .await?;
        // `~` sorts after the space or `T` that follows the date.
        sqlx::query(
            "INSERT INTO daily_attempt_stats (day, attempts, percentage_sum, \
             percentage_spoken_sum, wer_sum) \
             SELECT $1, COUNT(*), SUM(percentage), SUM(COALESCE(percentage_spoken, percentage)), \
             SUM(wer) FROM attempts WHERE created_at >= $1 AND created_at < $2 \
             HAVING COUNT(*) > 0",
        )
        .bind(day)
        .bind(format!("{day}~"))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Recompute every aggregate from the attempts table (rows written by
/// other tools, or a check that the kept ones are right).
#[tracing::instrument(skip_all)]
pub async fn rebuild(conn: &mut Conn) -> sqlx::Result<()> {
    for statement in [
        "DELETE FROM item_attempt_stats",
        "DELETE FROM daily_attempt_stats",
        "INSERT INTO item_attempt_stats (item_id, attempts, percentage_sum, best_percentage, \
         worst_percentage, wer_sum, best_wer, worst_wer, first_attempt_at, last_attempt_at) \
         SELECT item_id, COUNT(*), SUM(percentage), MAX(percentage), MIN(percentage), SUM(wer), \
         MIN(wer), MAX(wer), MIN(created_at), MAX(created_at) FROM attempts GROUP BY item_id",
        "INSERT INTO daily_attempt_stats (day, attempts, percentage_sum, percentage_spoken_sum, \
         wer_sum) SELECT substr(created_at, 1, 10), COUNT(*), SUM(percentage), \
         SUM(COALESCE(percentage_spoken, percentage)), SUM(wer) FROM attempts \
         GROUP BY substr(created_at, 1, 10)",
        "UPDATE attempt_totals SET attempts = (SELECT COUNT(*) FROM attempts), \
         items = (SELECT COUNT(*) FROM item_attempt_stats), \
         percentage_sum = (SELECT COALESCE(SUM(percentage), 0) FROM attempts) WHERE id = 1",
    ] {
        sqlx::query(statement).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether the totals still count what the attempts table holds (checked
/// at start; a mismatch means rows were written around the service).
#[tracing::instrument(skip_all)]
pub async fn matches_attempts(pool: &Pool) -> sqlx::Result<bool> {
    let (kept, stored): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT attempts FROM attempt_totals WHERE id = 1), \
         (SELECT COUNT(*) FROM attempts)",
    )
    .fetch_one(pool)
    .await?;
    Ok(kept == stored)
}

/// All attempts at once.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Totals {
    pub attempts: i64,
    /// Items with at least one attempt.
    pub items: i64,
    pub percentage_sum: i64,
    pub best: Option<i64>,
    pub worst: Option<i64>,
}

/// One row, and best/worst from their indexes (separate subqueries, so
/// each is an index lookup on both backends).
#[tracing::instrument(skip_all)]
pub async fn totals(pool: &Pool) -> sqlx::Result<Totals> {
    sqlx::query_as(
        "SELECT t.attempts, t.items, t.percentage_sum, \
         (SELECT MAX(best_percentage) FROM item_attempt_stats) AS best, \
         (SELECT MIN(worst_percentage) FROM item_attempt_stats) AS worst \
         FROM attempt_totals t WHERE t.id = 1",
    )
    .fetch_one(pool)
    .await
}

/// What the most-missed words depend on, in one indexed read: any attempt
/// added or removed changes the totals or the newest id, and a change of an
/// item's spoken text the kept count of such changes (`item_totals`). Other
/// item updates (audio status, tags) change nothing the words are counted from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, sqlx::FromRow)]
pub struct WordsVersion {
    pub attempts: i64,
    pub percentage_sum: i64,
    pub newest_attempt: Option<i64>,
    pub text_changes: i64,
}

#[tracing::instrument(skip_all)]
pub async fn words_version(pool: &Pool) -> sqlx::Result<WordsVersion> {
    sqlx::query_as(&format!(
        "SELECT {WORDS_VERSION} FROM attempt_totals t WHERE t.id = 1"
    ))
    .fetch_one(pool)
    .await
}

/// The columns of a [`WordsVersion`], from `attempt_totals t`.
pub const WORDS_VERSION: &str = "t.attempts, t.percentage_sum, \
     (SELECT MAX(id) FROM attempts) AS newest_attempt, \
     (SELECT text_changes FROM item_totals WHERE id = 1) AS text_changes";

/// One item's kept aggregates.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemAggregate {
    pub item_id: i64,
    pub attempts: i64,
    pub percentage_sum: i64,
    pub best_percentage: i64,
    pub worst_percentage: i64,
    pub wer_sum: f64,
    pub best_wer: f64,
    pub worst_wer: f64,
    pub first_attempt_at: String,
    pub last_attempt_at: String,
}

const ITEM_COLUMNS: &str = "s.item_id, s.attempts, s.percentage_sum, s.best_percentage, \
     s.worst_percentage, s.wer_sum, s.best_wer, s.worst_wer, s.first_attempt_at, \
     s.last_attempt_at";

/// An item's text and its aggregates (`None` when it has no attempts), read by one statement:
/// as two, `GET /v1/stats/items/{id}` made two round trips, which cost PostgreSQL more than
/// reading the rows.
#[derive(Debug, Clone)]
pub struct ItemWithAggregate {
    pub text: String,
    pub stats: Option<ItemAggregate>,
}

impl<'r> sqlx::FromRow<'r, AnyRow> for ItemWithAggregate {
    fn from_row(row: &'r AnyRow) -> sqlx::Result<Self> {
        // The aggregate's key is NULL when the outer join found no row.
        let practised = row.try_get::<Option<i64>, _>("item_id")?.is_some();
        Ok(ItemWithAggregate {
            text: row.try_get("text")?,
            stats: if practised {
                Some(ItemAggregate::from_row(row)?)
            } else {
                None
            },
        })
    }
}

/// `None` when there is no such item.
#[tracing::instrument(skip(pool))]
pub async fn item(pool: &Pool, item_id: i64) -> sqlx::Result<Option<ItemWithAggregate>> {
    sqlx::query_as(&format!(
        "SELECT i.text, {ITEM_COLUMNS} FROM items i \
         LEFT JOIN item_attempt_stats s ON s.item_id = i.id WHERE i.id = $1"
    ))
    .bind(item_id)
    .fetch_optional(pool)
    .await
}

/// A practised item with its aggregates, newest practice first.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PracticedItem {
    #[sqlx(flatten)]
    pub stats: ItemAggregate,
    pub text: String,
    pub locale: String,
    pub difficulty: Option<i64>,
    pub tags_json: Option<String>,
}

/// One page of practised items by last practice (the index's order), and how many items are
/// practised ([`page`]; `None` when the page is empty).
#[tracing::instrument(skip(pool))]
pub async fn practiced_items(
    pool: &Pool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<PracticedItem>, Option<i64>)> {
    let mut sql = Sql::new(&format!(
        "SELECT {ITEM_COLUMNS}, i.text, i.locale, i.difficulty, i.tags_json, \
         (SELECT items FROM attempt_totals WHERE id = 1) AS {total} \
         FROM item_attempt_stats s JOIN items i ON i.id = s.item_id \
         ORDER BY s.last_attempt_at DESC, s.item_id DESC",
        total = page::TOTAL
    ));
    sql.push_page(Dialect::of_pool(pool), limit, offset);
    let (text, args) = sql.build()?;
    let rows: Vec<Counted<PracticedItem>> =
        sqlx::query_as_with(&text, args).fetch_all(pool).await?;
    Ok(page::split(rows))
}

/// Attempts of one local calendar day.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DayAggregate {
    pub day: String,
    pub attempts: i64,
    pub percentage_sum: i64,
    pub percentage_spoken_sum: i64,
    pub wer_sum: f64,
}

/// Days from `first_day` (`YYYY-MM-DD`) on, oldest first.
#[tracing::instrument(skip(pool))]
pub async fn days_since(pool: &Pool, first_day: &str) -> sqlx::Result<Vec<DayAggregate>> {
    sqlx::query_as(
        "SELECT day, attempts, percentage_sum, percentage_spoken_sum, wer_sum \
         FROM daily_attempt_stats WHERE day >= $1 ORDER BY day ASC",
    )
    .bind(first_day)
    .fetch_all(pool)
    .await
}
