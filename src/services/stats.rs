//! Practice statistics (contract §3.4). Averages use SQL `AVG`/sums in
//! float64 like the original, then Python rounding.

use crate::db::Db;
use chrono::{Duration, Local, NaiveDateTime, NaiveTime};

use crate::db::attempt_stats::{self, PracticedItem};
use crate::db::attempts::{self as attempts_db, PracticeLogRow, Window};
use crate::db::items as items_db;
use crate::domain::rounding::{mean, py_round};
use crate::domain::timestamp::to_db;
use crate::services::items::{decode_tags, ITEM_NOT_FOUND};
use crate::services::ServiceError;

/// A validated `since`/`until` window. Both present and `since >= until` is a 400.
pub fn window(
    since: Option<NaiveDateTime>,
    until: Option<NaiveDateTime>,
) -> Result<Window, ServiceError> {
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(ServiceError::BadRequest(
                "'since' must be before 'until'".to_string(),
            ));
        }
    }
    Ok(Window {
        since: since.map(to_db),
        until: until.map(to_db),
    })
}

/// `GET /v1/stats/summary` (contract §3.4); all zeros without attempts.
#[derive(Debug, Clone)]
pub struct Summary {
    pub total_attempts: i64,
    pub unique_items_practiced: i64,
    pub average_score: f64,
    pub best_score: i64,
    pub worst_score: i64,
    pub total_practice_time_minutes: f64,
}

/// Rebuild the attempt aggregates when they no longer count what the
/// attempts table holds (rows written around the service); run at start.
pub async fn check_aggregates(db: &Db) -> Result<(), ServiceError> {
    if !items_db::total_matches(&db.reader).await? {
        tracing::warn!("the kept item total disagrees with the items table; recounting");
        let mut tx = db.begin_write().await?;
        items_db::recount(&mut tx).await?;
        tx.commit().await?;
    }
    if attempt_stats::matches_attempts(&db.reader).await? {
        return Ok(());
    }
    tracing::warn!("attempt aggregates disagree with the attempts table; rebuilding them");
    let mut tx = db.begin_write().await?;
    attempt_stats::rebuild(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn summary(db: &Db, window: &Window) -> Result<Summary, ServiceError> {
    if window.is_unbounded() {
        let t = attempt_stats::totals(&db.reader).await?;
        return Ok(Summary::of(
            t.attempts,
            t.items,
            t.percentage_sum as f64,
            t.best,
            t.worst,
        ));
    }
    let row = attempts_db::summary(&db.reader, window).await?;
    Ok(Summary::of(
        row.total_attempts,
        row.unique_items,
        row.percentage_sum.unwrap_or(0.0),
        row.best,
        row.worst,
    ))
}

impl Summary {
    fn of(
        total_attempts: i64,
        unique_items: i64,
        percentage_sum: f64,
        best: Option<i64>,
        worst: Option<i64>,
    ) -> Self {
        Summary {
            total_attempts,
            unique_items_practiced: unique_items,
            average_score: py_round(mean(percentage_sum, total_attempts), 2),
            best_score: best.unwrap_or(0),
            worst_score: worst.unwrap_or(0),
            total_practice_time_minutes: py_round(total_attempts as f64 * 0.5, 1),
        }
    }
}

/// One practised item of `GET /v1/stats/practice-log`, over the window's attempts.
#[derive(Debug, Clone)]
pub struct PracticeLogEntry {
    pub item_id: i64,
    pub text: String,
    pub locale: String,
    pub difficulty: Option<i64>,
    pub tags: Vec<String>,
    pub attempt_count: i64,
    /// As stored.
    pub first_attempt_at: String,
    /// As stored.
    pub last_practiced_at: String,
    pub average_score: f64,
    pub best_score: i64,
    pub worst_score: i64,
    pub avg_wer: f64,
}

pub async fn practice_log(
    db: &Db,
    window: &Window,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PracticeLogEntry>, i64), ServiceError> {
    if window.is_unbounded() {
        let (rows, total) = attempt_stats::practiced_items(&db.reader, limit, offset).await?;
        let total = match total {
            Some(total) => total,
            // A page past the end carries no total.
            None => attempt_stats::totals(&db.reader).await?.items,
        };
        return Ok((
            rows.into_iter().map(PracticeLogEntry::from).collect(),
            total,
        ));
    }
    let rows = attempts_db::practice_log(&db.reader, window, limit, offset).await?;
    let total = attempts_db::practiced_item_count(&db.reader, window).await?;
    Ok((
        rows.into_iter().map(PracticeLogEntry::from).collect(),
        total,
    ))
}

impl From<PracticeLogRow> for PracticeLogEntry {
    fn from(r: PracticeLogRow) -> Self {
        PracticeLogEntry {
            item_id: r.item_id,
            text: r.text,
            locale: r.locale,
            difficulty: r.difficulty,
            tags: decode_tags(r.tags_json.as_deref()),
            attempt_count: r.attempt_count,
            first_attempt_at: r.first_attempt_at,
            last_practiced_at: r.last_practiced_at,
            average_score: py_round(mean(r.percentage_sum, r.attempt_count), 2),
            best_score: r.best_score,
            worst_score: r.worst_score,
            avg_wer: py_round(r.wer_avg, 4),
        }
    }
}

impl From<PracticedItem> for PracticeLogEntry {
    fn from(r: PracticedItem) -> Self {
        let s = r.stats;
        PracticeLogEntry {
            item_id: s.item_id,
            text: r.text,
            locale: r.locale,
            difficulty: r.difficulty,
            tags: decode_tags(r.tags_json.as_deref()),
            attempt_count: s.attempts,
            first_attempt_at: s.first_attempt_at,
            last_practiced_at: s.last_attempt_at,
            average_score: py_round(mean(s.percentage_sum as f64, s.attempts), 2),
            best_score: s.best_percentage,
            worst_score: s.worst_percentage,
            avg_wer: py_round(mean(s.wer_sum, s.attempts), 4),
        }
    }
}

/// `GET /v1/stats/items/{item_id}`: all-time stats of one item.
#[derive(Debug, Clone)]
pub struct ItemStats {
    pub item_id: i64,
    pub text: String,
    pub attempts_count: i64,
    /// As stored.
    pub first_attempt_at: Option<String>,
    /// As stored.
    pub last_attempt_at: Option<String>,
    pub avg_percentage: f64,
    pub best_percentage: i64,
    pub worst_percentage: i64,
    pub avg_wer: f64,
    pub best_wer: f64,
    pub worst_wer: f64,
}

pub async fn item_stats(db: &Db, item_id: i64) -> Result<ItemStats, ServiceError> {
    let item = attempt_stats::item(&db.reader, item_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(ITEM_NOT_FOUND.to_string()))?;
    Ok(match item.stats {
        None => ItemStats {
            item_id,
            text: item.text,
            attempts_count: 0,
            first_attempt_at: None,
            last_attempt_at: None,
            avg_percentage: 0.0,
            best_percentage: 0,
            worst_percentage: 0,
            avg_wer: 0.0,
            best_wer: 0.0,
            worst_wer: 0.0,
        },
        Some(s) => ItemStats {
            item_id,
            text: item.text,
            attempts_count: s.attempts,
            first_attempt_at: Some(s.first_attempt_at),
            last_attempt_at: Some(s.last_attempt_at),
            avg_percentage: py_round(mean(s.percentage_sum as f64, s.attempts), 2),
            best_percentage: s.best_percentage,
            worst_percentage: s.worst_percentage,
            avg_wer: py_round(mean(s.wer_sum, s.attempts), 4),
            best_wer: s.best_wer,
            worst_wer: s.worst_wer,
        },
    })
}

/// Attempts of one server-local day.
#[derive(Debug, Clone)]
pub struct ProgressDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub attempts: i64,
    pub avg_percentage: f64,
    pub avg_wer: f64,
    /// Mean learner-facing score (`percentage_spoken`; `percentage` for
    /// attempts stored before it existed). Only with `spoken=true`.
    pub avg_percentage_spoken: Option<f64>,
}

/// Per local day from `today - (days - 1)` on; days without attempts omitted.
pub async fn progress(
    db: &Db,
    item_id: Option<i64>,
    days: i64,
    spoken: bool,
) -> Result<Vec<ProgressDay>, ServiceError> {
    let today = Local::now().date_naive();
    let first_day = today - Duration::days(days - 1);
    let day = |date: String, attempts: i64, pct: f64, wer_avg: f64, spoken_sum: f64| ProgressDay {
        date,
        attempts,
        avg_percentage: py_round(mean(pct, attempts), 2),
        avg_wer: py_round(wer_avg, 4),
        avg_percentage_spoken: spoken.then(|| py_round(mean(spoken_sum, attempts), 2)),
    };
    if item_id.is_none() {
        let first = first_day.format("%Y-%m-%d").to_string();
        let rows = attempt_stats::days_since(&db.reader, &first).await?;
        return Ok(rows
            .into_iter()
            .map(|r| {
                let wer_avg = mean(r.wer_sum, r.attempts);
                let (pct, spoken_sum) = (r.percentage_sum as f64, r.percentage_spoken_sum as f64);
                day(r.day, r.attempts, pct, wer_avg, spoken_sum)
            })
            .collect());
    }
    let since = to_db(first_day.and_time(NaiveTime::MIN));
    let rows = attempts_db::progress_by_day(&db.reader, item_id, &since).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            day(
                r.day,
                r.attempts,
                r.percentage_sum,
                r.wer_avg,
                r.percentage_spoken_sum,
            )
        })
        .collect())
}
