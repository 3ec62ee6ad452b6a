//! Every statement touching `items`.

use super::page::{self, Counted};
use super::sql::Sql;
use super::{Conn, Dialect, Pool};
use crate::domain::status::ItemTtsStatus;

/// An `items` row plus the derived `practiced` flag.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub locale: String,
    pub text: String,
    pub difficulty: Option<i64>,
    pub tags_json: Option<String>,
    #[sqlx(try_from = "String")]
    pub tts_status: ItemTtsStatus,
    pub task_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// 1 when the item has attempts (an integer: SQLite has no booleans).
    pub practiced: i64,
    /// What the engine speaks (a teacher's override or the normalised text).
    pub spoken_text: Option<String>,
    /// Voice chosen for this item; `None` = the engine's default.
    pub voice: Option<String>,
}

/// Values of a new row (already validated).
#[derive(Debug, Clone)]
pub struct NewItemRow<'a> {
    pub locale: &'a str,
    pub text: &'a str,
    pub difficulty: i64,
    pub tags_json: &'a str,
    pub spoken_text: &'a str,
    pub voice: Option<&'a str>,
    pub created_at: &'a str,
}

/// How to order a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSort {
    CreatedAsc,
    CreatedDesc,
    DifficultyAsc,
    DifficultyDesc,
}

impl ItemSort {
    fn order_by(self) -> &'static str {
        match self {
            ItemSort::CreatedAsc => " ORDER BY i.created_at ASC, i.id ASC",
            ItemSort::CreatedDesc => " ORDER BY i.created_at DESC, i.id DESC",
            ItemSort::DifficultyAsc => {
                " ORDER BY i.difficulty IS NULL, i.difficulty ASC, i.created_at DESC"
            }
            ItemSort::DifficultyDesc => {
                " ORDER BY i.difficulty IS NULL, i.difficulty DESC, i.created_at DESC"
            }
        }
    }
}

/// Filters of `GET /v1/items`; all combine with AND.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub locale: Option<String>,
    /// The item must carry every one of these tags (exact element match).
    pub tags: Vec<String>,
    /// Inclusive difficulty range.
    pub difficulty: Option<(i64, i64)>,
    pub practiced: Option<bool>,
    pub tts_status: Option<ItemTtsStatus>,
}

impl ItemFilter {
    /// Only the `practiced` filter, if any: the kept attempt totals count
    /// those items exactly.
    pub fn only_practiced(&self) -> bool {
        self.locale.is_none()
            && self.tags.is_empty()
            && self.difficulty.is_none()
            && self.tts_status.is_none()
    }
}

const SELECT: &str = "SELECT i.id, i.locale, i.text, i.difficulty, i.tags_json, i.tts_status, \
     i.task_id, i.created_at, i.updated_at, i.spoken_text, i.voice, \
     CASE WHEN EXISTS (SELECT 1 FROM item_attempt_stats s WHERE s.item_id = i.id) THEN 1 ELSE 0 END \
     AS practiced";

#[tracing::instrument(skip_all)]
pub async fn insert(conn: &mut Conn, row: &NewItemRow<'_>) -> sqlx::Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO items (locale, text, difficulty, tags_json, spoken_text, voice, tts_status, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING id",
    )
    .bind(row.locale)
    .bind(row.text)
    .bind(row.difficulty)
    .bind(row.tags_json)
    .bind(row.spoken_text)
    .bind(row.voice)
    .bind(row.created_at)
    .bind(row.created_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[tracing::instrument(skip(conn))]
pub async fn get(conn: &mut Conn, id: i64) -> sqlx::Result<Option<ItemRow>> {
    sqlx::query_as(&format!("{SELECT} FROM items i WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

#[tracing::instrument(skip(pool))]
pub async fn find(pool: &Pool, id: i64) -> sqlx::Result<Option<ItemRow>> {
    sqlx::query_as(&format!("{SELECT} FROM items i WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

fn push_filter(sql: &mut Sql, dialect: Dialect, filter: &ItemFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(locale) = &filter.locale {
        sql.push(" AND i.locale = ").bind(locale.clone());
    }
    // Exact, case-sensitive element match of the JSON tag list (contract §9.1).
    let tag_elements = match dialect {
        Dialect::Sqlite => {
            " AND EXISTS (SELECT 1 FROM json_each(COALESCE(i.tags_json, '[]')) j \
             WHERE j.type = 'text' AND j.value = "
        }
        Dialect::Postgres => {
            " AND EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(i.tags_json, '[]')::jsonb) j \
             WHERE jsonb_typeof(j) = 'string' AND j #>> '{}' = "
        }
    };
    for tag in &filter.tags {
        sql.push(tag_elements).bind(tag.clone()).push(")");
    }
    if let Some((lo, hi)) = filter.difficulty {
        sql.push(" AND i.difficulty >= ")
            .bind(lo)
            .push(" AND i.difficulty <= ")
            .bind(hi);
    }
    // An item has attempts exactly when it has a kept aggregate row (one
    // primary-key probe instead of a probe of the attempts index).
    match filter.practiced {
        Some(true) => {
            sql.push(" AND EXISTS (SELECT 1 FROM item_attempt_stats s WHERE s.item_id = i.id)");
        }
        Some(false) => {
            sql.push(" AND NOT EXISTS (SELECT 1 FROM item_attempt_stats s WHERE s.item_id = i.id)");
        }
        None => {}
    }
    if let Some(status) = &filter.tts_status {
        sql.push(" AND i.tts_status = ")
            .bind(status.as_str().to_string());
    }
}

/// One page and the number of items matching `filter` ([`page`]); the total is `None` when the
/// page is empty.
#[tracing::instrument(skip_all)]
pub async fn list(
    pool: &Pool,
    filter: &ItemFilter,
    sort: ItemSort,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ItemRow>, Option<i64>)> {
    // The page is chosen first and only its rows look `practiced` up. With the lookup in the
    // SELECT that holds the LIMIT, PostgreSQL plans it for every row of the table and hashes
    // all of item_attempt_stats on each call: 205 ms p50 at 100k practised items, against
    // 20 index probes this way (scripts/bench-growth.sh --postgres, 1M attempts).
    let dialect = Dialect::of_pool(pool);
    let mut sql = Sql::new(SELECT);
    sql.push(", ");
    push_total(&mut sql, dialect, filter);
    sql.push(" AS ").push(page::TOTAL);
    sql.push(" FROM (SELECT * FROM items i");
    push_filter(&mut sql, dialect, filter);
    sql.push(sort.order_by());
    sql.push_page(dialect, limit, offset);
    sql.push(") i");
    sql.push(sort.order_by());
    let (text, args) = sql.build()?;
    let rows: Vec<Counted<ItemRow>> = sqlx::query_as_with(&text, args).fetch_all(pool).await?;
    Ok(page::split(rows))
}

/// The number of items matching `filter` as a scalar subquery: a kept total where one counts
/// exactly that (no filter, or only `practiced`: a scan cost 2.4 ms on SQLite to 8 ms on
/// PostgreSQL at 100,000 items, an EXISTS scan for `practiced` 75 ms at 1M attempts), else a
/// count.
fn push_total(sql: &mut Sql, dialect: Dialect, filter: &ItemFilter) {
    const ITEMS: &str = "(SELECT items FROM item_totals WHERE id = 1)";
    const PRACTISED: &str = "(SELECT items FROM attempt_totals WHERE id = 1)";
    if !filter.only_practiced() {
        sql.push("(SELECT COUNT(*) FROM items i");
        push_filter(sql, dialect, filter);
        sql.push(")");
        return;
    }
    match filter.practiced {
        None => sql.push(ITEMS),
        Some(true) => sql.push(PRACTISED),
        Some(false) => sql.push(&format!("({ITEMS} - {PRACTISED})")),
    };
}

/// The number of items matching `filter` (what [`list`] reads with its page), for a page that
/// has no row to carry it.
#[tracing::instrument(skip_all)]
pub async fn count(pool: &Pool, filter: &ItemFilter) -> sqlx::Result<i64> {
    let mut sql = Sql::new("SELECT ");
    push_total(&mut sql, Dialect::of_pool(pool), filter);
    let (text, args) = sql.build()?;
    sqlx::query_scalar_with(&text, args).fetch_one(pool).await
}

/// Add `n` (negative: remove) to the kept item total, in the transaction
/// that inserts or deletes the items.
#[tracing::instrument(skip(conn))]
pub async fn add_to_total(conn: &mut Conn, n: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE item_totals SET items = items + $1 WHERE id = 1")
        .bind(n)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the kept total still counts the table (checked at start).
#[tracing::instrument(skip(pool))]
pub async fn total_matches(pool: &Pool) -> sqlx::Result<bool> {
    let (kept, stored): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT items FROM item_totals WHERE id = 1), (SELECT COUNT(*) FROM items)",
    )
    .fetch_one(pool)
    .await?;
    Ok(kept == stored)
}

/// Count the table again into the kept total.
#[tracing::instrument(skip(conn))]
pub async fn recount(conn: &mut Conn) -> sqlx::Result<()> {
    sqlx::query("UPDATE item_totals SET items = (SELECT COUNT(*) FROM items) WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// Delete one item (its attempts go by cascade). Returns whether it existed.
#[tracing::instrument(skip(conn))]
pub async fn delete(conn: &mut Conn, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM items WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

#[tracing::instrument(skip(conn, tags_json))]
pub async fn update_tags(
    conn: &mut Conn,
    id: i64,
    tags_json: &str,
    updated_at: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE items SET tags_json = $1, updated_at = $2 WHERE id = $3")
        .bind(tags_json)
        .bind(updated_at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip(conn))]
pub async fn update_difficulty(
    conn: &mut Conn,
    id: i64,
    difficulty: i64,
    updated_at: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE items SET difficulty = $1, updated_at = $2 WHERE id = $3")
        .bind(difficulty)
        .bind(updated_at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Move an item's TTS state, only from `pending` (no transitions out of
/// `ready`/`failed`). Returns whether the row changed.
#[tracing::instrument(skip(conn))]
pub async fn set_tts_status_from_pending(
    conn: &mut Conn,
    id: i64,
    status: ItemTtsStatus,
    updated_at: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE items SET tts_status = $1, updated_at = $2 WHERE id = $3 AND tts_status = 'pending'",
    )
    .bind(status.as_str())
    .bind(updated_at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Lock a `pending` item that has no task yet, for the transaction that
/// gives it one. False when it already has a task (or is no longer
/// pending): then another submission — perhaps on another instance — got
/// there first. PostgreSQL makes a concurrent caller wait for the first
/// transaction and then see its link; SQLite has one writer anyway.
#[tracing::instrument(skip(conn))]
pub async fn lock_unlinked_pending(conn: &mut Conn, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE items SET updated_at = updated_at \
         WHERE id = $1 AND task_id IS NULL AND tts_status = 'pending'",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Point an item at the task that makes (or made) its audio.
#[tracing::instrument(skip(conn))]
pub async fn link_task(conn: &mut Conn, id: i64, task_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE items SET task_id = $1 WHERE id = $2")
        .bind(task_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Items linked to a task, with their TTS state.
#[tracing::instrument(skip(conn))]
pub async fn linked_to_task(
    conn: &mut Conn,
    task_id: &str,
) -> sqlx::Result<Vec<(i64, ItemTtsStatus)>> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, tts_status FROM items WHERE task_id = $1 ORDER BY id")
            .bind(task_id)
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|(id, status)| {
            let status =
                ItemTtsStatus::try_from(status).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            Ok((id, status))
        })
        .collect()
}

/// Whether an item with this id exists.
#[tracing::instrument(skip(pool))]
pub async fn exists(pool: &Pool, id: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// Put a `failed` item back to `pending` and drop its task link, so the
/// next submission starts afresh. Returns whether the item was failed.
#[tracing::instrument(skip(conn))]
pub async fn reset_failed(conn: &mut Conn, id: i64, now: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE items SET tts_status = 'pending', task_id = NULL, updated_at = $1 \
         WHERE id = $2 AND tts_status = 'failed'",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Put an item back to `pending` whatever its state, with the voice its
/// next audio is made in and a fresh `updated_at` (an audio refresh,
/// addendum §4). The caller links the new task in the same transaction.
/// Returns whether the item exists.
#[tracing::instrument(skip(conn, voice))]
pub async fn reset_for_refresh(
    conn: &mut Conn,
    id: i64,
    voice: Option<&str>,
    now: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE items SET tts_status = 'pending', task_id = NULL, voice = $1, updated_at = $2 \
         WHERE id = $3",
    )
    .bind(voice)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Ids of every item matching `filter`, oldest first.
#[tracing::instrument(skip_all)]
pub async fn ids(pool: &Pool, filter: &ItemFilter) -> sqlx::Result<Vec<i64>> {
    let mut sql = Sql::new("SELECT i.id FROM items i");
    push_filter(&mut sql, Dialect::of_pool(pool), filter);
    sql.push(" ORDER BY i.id");
    let (text, args) = sql.build()?;
    sqlx::query_scalar_with(&text, args).fetch_all(pool).await
}

/// Change what the engine speaks for an item and send it back to
/// `pending` (its audio is stale), counting the change in `item_totals`
/// (the most-missed words follow it); returns whether the item exists.
#[tracing::instrument(skip(conn, spoken_text))]
pub async fn set_spoken_text(
    conn: &mut Conn,
    id: i64,
    spoken_text: &str,
    now: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE items SET spoken_text = $1, tts_status = 'pending', task_id = NULL, updated_at = $2 \
         WHERE id = $3",
    )
    .bind(spoken_text)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE item_totals SET text_changes = text_changes + 1 WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(true)
}
