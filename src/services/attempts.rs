//! Scoring and storing attempts.

use crate::db::attempt_stats;
use crate::db::attempts::{self as attempts_db, AttemptRow, NewAttemptRow, Window};
use crate::db::items::{self as items_db, ItemRow};
use crate::db::Db;
use crate::domain::alignment::{Alignment, Pair};
use crate::domain::lenient;
use crate::domain::scoring;
use crate::domain::timestamp::to_db;
use crate::domain::timestamp::Clock;
use crate::services::items::ITEM_NOT_FOUND;
use crate::services::ServiceError;

/// A stored attempt with its word alignment against the item text.
#[derive(Debug, Clone)]
pub struct AlignedAttempt {
    pub row: AttemptRow,
    pub alignment: Vec<Pair>,
}

/// Score `text` against the item's current text and store the attempt.
pub async fn create(
    db: &Db,
    clock: &Clock,
    item_id: i64,
    text: &str,
) -> Result<AlignedAttempt, ServiceError> {
    // Scoring and aligning long texts is CPU work (up to a few hundred ms
    // for 10,000 characters without spaces): done on a blocking thread and
    // before the write transaction, so it neither stalls other requests nor
    // holds the single SQLite writer. The item is read again inside the
    // transaction; if it changed meanwhile, the attempt is judged again.
    let item = items_db::find(&db.reader, item_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(ITEM_NOT_FOUND.to_string()))?;
    let judged = judge(&item, text).await?;
    let mut tx = db.begin_write().await?;
    let current = items_db::get(&mut tx, item_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(ITEM_NOT_FOUND.to_string()))?;
    let (score, assessed) = if current.text == item.text && current.spoken_text == item.spoken_text
    {
        judged
    } else {
        judge(&current, text).await?
    };
    let percentage_spoken = assessed.percentage();
    let now = to_db(clock.now());
    let row = NewAttemptRow {
        item_id,
        text,
        percentage: score.percentage,
        wer: score.wer,
        words_ref: score.words_ref,
        words_correct: score.words_correct,
        percentage_spoken,
        created_at: &now,
    };
    let id = attempts_db::insert(&mut tx, &row).await?;
    attempt_stats::record(&mut tx, &row).await?;
    let stored = attempts_db::get(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::Other(format!("attempt {id} vanished after insert")))?;
    tx.commit().await?;
    let alignment = assessed.pairs;
    tracing::info!(
        attempt_id = id,
        item_id,
        text_len = text.chars().count(),
        percentage = score.percentage,
        percentage_spoken,
        "attempt scored"
    );
    Ok(AlignedAttempt {
        row: stored,
        alignment,
    })
}

/// The contract's score and the learner-facing assessment of `text`.
async fn judge(item: &ItemRow, text: &str) -> Result<(scoring::Score, Alignment), ServiceError> {
    let (reference, heard, text) = (
        item.text.clone(),
        item.spoken_text.clone(),
        text.to_string(),
    );
    tokio::task::spawn_blocking(move || {
        (
            scoring::score(&reference, &text),
            lenient::assess(&reference, heard.as_deref(), &text),
        )
    })
    .await
    .map_err(|e| ServiceError::Other(format!("scoring task: {e}")))
}

/// One attempt, aligned against its item's text.
pub async fn get(db: &Db, id: i64) -> Result<AlignedAttempt, ServiceError> {
    let row = attempts_db::find(&db.reader, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound("Attempt not found".to_string()))?;
    let item = items_db::find(&db.reader, row.item_id).await?;
    let (text, heard) = item
        .map(|item| (item.text, item.spoken_text))
        .unwrap_or_default();
    let attempt = row.text.clone();
    let alignment = tokio::task::spawn_blocking(move || {
        lenient::assess(&text, heard.as_deref(), &attempt).pairs
    })
    .await
    .map_err(|e| ServiceError::Other(format!("alignment task: {e}")))?;
    Ok(AlignedAttempt { row, alignment })
}

pub async fn list(
    db: &Db,
    item_id: Option<i64>,
    window: &Window,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AttemptRow>, i64), ServiceError> {
    let rows = attempts_db::list(&db.reader, item_id, window, limit, offset).await?;
    // The kept aggregates count all of history (or an item's) exactly; only
    // a time window needs a count, a range of the created_at index.
    let total = match (window.is_unbounded(), item_id) {
        (true, None) => attempt_stats::totals(&db.reader).await?.attempts,
        (true, Some(item)) => attempt_stats::item(&db.reader, item)
            .await?
            .map_or(0, |s| s.attempts),
        (false, _) => attempts_db::count(&db.reader, item_id, window).await?,
    };
    Ok((rows, total))
}
