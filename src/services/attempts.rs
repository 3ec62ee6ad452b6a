//! Scoring and storing attempts.

use crate::db::attempts::{self as attempts_db, AttemptRow, Window};
use crate::db::items::{self as items_db, ItemRow};
use crate::db::Db;
use crate::domain::alignment::{Alignment, Pair};
use crate::domain::lenient;
use crate::domain::scoring;
use crate::services::attempt_writer::{AttemptWriter, Judged};
use crate::services::items::ITEM_NOT_FOUND;
use crate::services::ServiceError;

/// A stored attempt with its word alignment against the item text.
#[derive(Debug, Clone)]
pub struct AlignedAttempt {
    pub row: AttemptRow,
    pub alignment: Vec<Pair>,
}

/// Score `text` against the item's current text and store the attempt
/// (through the group-committing writer).
pub async fn create(
    db: &Db,
    writer: &AttemptWriter,
    item_id: i64,
    text: &str,
) -> Result<AlignedAttempt, ServiceError> {
    // Scoring and aligning long texts is CPU work (up to a few hundred ms
    // for 10,000 characters without spaces): done on a blocking thread and
    // before the write, so it neither stalls other requests nor holds the
    // single SQLite writer. The writer reads the item again inside its
    // transaction; if it changed meanwhile, the attempt is judged again.
    let item = items_db::find(&db.reader, item_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(ITEM_NOT_FOUND.to_string()))?;
    let (score, assessed) = judge(&item, text).await?;
    let percentage = score.percentage;
    let (row, alignment) = writer
        .write(Judged {
            item_id,
            text: text.to_string(),
            reference: (item.text, item.spoken_text),
            score,
            assessed,
        })
        .await?;
    tracing::info!(
        attempt_id = row.id,
        item_id,
        text_len = text.chars().count(),
        percentage,
        percentage_spoken = row.percentage_spoken,
        "attempt scored"
    );
    Ok(AlignedAttempt { row, alignment })
}

/// Texts up to this many bytes together (item text, spoken text and attempt: a short sentence
/// each) are judged on the calling task. Measured on the release build (2 cores): 12 µs for 31
/// bytes, 60 µs for 105, 229 µs for 303, growing faster than the length; up to here it stays
/// under the ~100 µs a task may run between awaits, and saves the two thread switches of a trip
/// to the blocking pool. Longer texts, up to a few hundred milliseconds at the 10,000-character
/// limits, go to the blocking pool.
const INLINE_JUDGE_BYTES: usize = 160;

/// The contract's score and the learner-facing assessment of `text`.
pub(crate) async fn judge(
    item: &ItemRow,
    text: &str,
) -> Result<(scoring::Score, Alignment), ServiceError> {
    let size = item.text.len() + item.spoken_text.as_ref().map_or(0, String::len) + text.len();
    if size <= INLINE_JUDGE_BYTES {
        return Ok((
            scoring::score(&item.text, text),
            lenient::assess(&item.text, item.spoken_text.as_deref(), text),
        ));
    }
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
    let (rows, total) = attempts_db::list(&db.reader, item_id, window, limit, offset).await?;
    let total = match total {
        Some(total) => total,
        // A page past the end carries no total.
        None => attempts_db::count(&db.reader, item_id, window).await?,
    };
    Ok((rows, total))
}
