//! `/v1/stats`: summary, practice log, per-item stats, daily progress.
//!
//! The response types are converted from the service's results, so the
//! services know nothing of JSON, OpenAPI or the API's timestamp format.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::error::{during, ApiError, ErrorDetail, InternalError, ValidationFailed};
use crate::http::extract::{path_id, Page, QueryFields, RawQuery};
use crate::http::wire::Timestamp;
use crate::services::items::ITEM_NOT_FOUND;
use crate::services::{stats, word_stats};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/stats/summary", get(summary))
        .route("/v1/stats/practice-log", get(practice_log))
        .route("/v1/stats/items/{item_id}", get(item_stats))
        .route("/v1/stats/progress", get(progress))
        .route("/v1/stats/words", get(words))
}

/// `GET /v1/stats/summary` (contract §3.4); all zeros without attempts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Summary {
    total_attempts: i64,
    unique_items_practiced: i64,
    average_score: f64,
    best_score: i64,
    worst_score: i64,
    total_practice_time_minutes: f64,
}

impl From<stats::Summary> for Summary {
    fn from(s: stats::Summary) -> Self {
        Summary {
            total_attempts: s.total_attempts,
            unique_items_practiced: s.unique_items_practiced,
            average_score: s.average_score,
            best_score: s.best_score,
            worst_score: s.worst_score,
            total_practice_time_minutes: s.total_practice_time_minutes,
        }
    }
}

/// One practised item of `GET /v1/stats/practice-log`, over the window's attempts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PracticeLogEntry {
    item_id: i64,
    text: String,
    locale: String,
    #[schema(required = true)]
    difficulty: Option<i64>,
    tags: Vec<String>,
    attempt_count: i64,
    first_attempt_at: Timestamp,
    last_practiced_at: Timestamp,
    average_score: f64,
    best_score: i64,
    worst_score: i64,
    avg_wer: f64,
}

impl From<stats::PracticeLogEntry> for PracticeLogEntry {
    fn from(e: stats::PracticeLogEntry) -> Self {
        PracticeLogEntry {
            item_id: e.item_id,
            text: e.text,
            locale: e.locale,
            difficulty: e.difficulty,
            tags: e.tags,
            attempt_count: e.attempt_count,
            first_attempt_at: Timestamp::from_db(&e.first_attempt_at),
            last_practiced_at: Timestamp::from_db(&e.last_practiced_at),
            average_score: e.average_score,
            best_score: e.best_score,
            worst_score: e.worst_score,
            avg_wer: e.avg_wer,
        }
    }
}

/// `GET /v1/stats/items/{item_id}`: all-time stats of one item.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemStats {
    item_id: i64,
    text: String,
    attempts_count: i64,
    #[schema(required = true)]
    first_attempt_at: Option<Timestamp>,
    #[schema(required = true)]
    last_attempt_at: Option<Timestamp>,
    avg_percentage: f64,
    best_percentage: i64,
    worst_percentage: i64,
    avg_wer: f64,
    best_wer: f64,
    worst_wer: f64,
}

impl From<stats::ItemStats> for ItemStats {
    fn from(s: stats::ItemStats) -> Self {
        ItemStats {
            item_id: s.item_id,
            text: s.text,
            attempts_count: s.attempts_count,
            first_attempt_at: s.first_attempt_at.as_deref().map(Timestamp::from_db),
            last_attempt_at: s.last_attempt_at.as_deref().map(Timestamp::from_db),
            avg_percentage: s.avg_percentage,
            best_percentage: s.best_percentage,
            worst_percentage: s.worst_percentage,
            avg_wer: s.avg_wer,
            best_wer: s.best_wer,
            worst_wer: s.worst_wer,
        }
    }
}

/// Attempts of one server-local day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProgressDay {
    #[schema(format = Date, example = "2025-11-20")]
    date: String,
    attempts: i64,
    avg_percentage: f64,
    avg_wer: f64,
    /// Mean learner-facing score (`percentage_spoken`; `percentage` for
    /// attempts stored before it existed). Only with `spoken=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    avg_percentage_spoken: Option<f64>,
}

impl From<stats::ProgressDay> for ProgressDay {
    fn from(d: stats::ProgressDay) -> Self {
        ProgressDay {
            date: d.date,
            attempts: d.attempts,
            avg_percentage: d.avg_percentage,
            avg_wer: d.avg_wer,
            avg_percentage_spoken: d.avg_percentage_spoken,
        }
    }
}

/// A reference word and how often learners missed it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MissedWord {
    /// The word as most recently written in an item (punctuation trimmed).
    word: String,
    /// Attempts that substituted or left out this word.
    missed: i64,
    /// Attempts whose reference contains the word.
    seen: i64,
}

impl From<word_stats::MissedWord> for MissedWord {
    fn from(w: word_stats::MissedWord) -> Self {
        MissedWord {
            word: w.word,
            missed: w.missed,
            seen: w.seen,
        }
    }
}

/// `GET /v1/stats/practice-log`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PracticeLogPage {
    practice_log: Vec<PracticeLogEntry>,
    /// Items with attempts in the window.
    total: i64,
    page: i64,
    per_page: i64,
    total_pages: i64,
}

/// `GET /v1/stats/progress`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProgressResponse {
    progress: Vec<ProgressDay>,
}

/// `GET /v1/stats/words`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MissedWords {
    words: Vec<MissedWord>,
    /// Attempts looked at (the newest 2,000 at most).
    attempts_considered: usize,
}

#[utoipa::path(
    get,
    path = "/v1/stats/summary",
    operation_id = "stats_summary",
    summary = "Summary statistics",
    tag = "stats",
    params(crate::http::openapi::params::StatsWindow),
    responses(
        (status = 200, description = "Totals over the attempts in the window", body = Summary),
        (status = 400, description = "`'since' must be before 'until'`", body = ErrorDetail), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn summary(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<Summary>, ApiError> {
    let mut q = QueryFields::new(&query);
    let since = q.datetime("since");
    let until = q.datetime("until");
    q.finish()?;
    let window = stats::window(since, until).map_err(during("get summary stats"))?;
    let summary = stats::summary(&state.db, &window)
        .await
        .map_err(during("get summary stats"))?;
    Ok(Json(summary.into()))
}

#[utoipa::path(
    get,
    path = "/v1/stats/practice-log",
    operation_id = "stats_practice_log",
    summary = "Practice log",
    tag = "stats",
    params(crate::http::openapi::params::PracticeLogQuery),
    responses(
        (status = 200, description = "Practised items, latest attempt first", body = PracticeLogPage),
        (status = 400, description = "`'since' must be before 'until'`", body = ErrorDetail), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn practice_log(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<PracticeLogPage>, ApiError> {
    let mut q = QueryFields::new(&query);
    let since = q.datetime("since");
    let until = q.datetime("until");
    let page = Page::read(&mut q);
    q.finish()?;
    let window = stats::window(since, until).map_err(during("get practice log"))?;
    let (entries, total) = stats::practice_log(&state.db, &window, page.per_page, page.offset())
        .await
        .map_err(during("get practice log"))?;
    Ok(Json(PracticeLogPage {
        practice_log: entries.into_iter().map(Into::into).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
        total_pages: page.total_pages(total),
    }))
}

#[utoipa::path(
    get,
    path = "/v1/stats/items/{item_id}",
    operation_id = "stats_item",
    summary = "One item's statistics",
    tag = "stats",
    params(("item_id" = i64, Path, description = "Item id")),
    responses(
        (status = 200, description = "All-time stats of the item", body = ItemStats),
        (status = 404, description = "`Item not found`", body = ErrorDetail),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn item_stats(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<ItemStats>, ApiError> {
    let id = path_id(&raw, "item_id", ITEM_NOT_FOUND)?;
    let stats = stats::item_stats(&state.db, id)
        .await
        .map_err(during("get item stats"))?;
    Ok(Json(stats.into()))
}

#[utoipa::path(
    get,
    path = "/v1/stats/progress",
    operation_id = "stats_progress",
    summary = "Daily progress",
    tag = "stats",
    params(crate::http::openapi::params::ProgressQuery),
    responses(
        (status = 200, description = "One row per local day with attempts, oldest first", body = ProgressResponse),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn progress(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<ProgressResponse>, ApiError> {
    let mut q = QueryFields::new(&query);
    let item_id = q.int("item_id", i64::MIN, i64::MAX).filter(|id| *id != 0);
    let days = q.int_or("days", 30, 1, 365);
    let spoken = q.bool("spoken").unwrap_or(false);
    q.finish()?;
    let progress = stats::progress(&state.db, item_id, days, spoken)
        .await
        .map_err(during("get progress data"))?;
    Ok(Json(ProgressResponse {
        progress: progress.into_iter().map(Into::into).collect(),
    }))
}

/// `GET /v1/stats/words?item_id=&limit=20`: the most-missed words over the
/// newest 2,000 attempts.
#[utoipa::path(
    get,
    path = "/v1/stats/words",
    operation_id = "stats_missed_words",
    summary = "Most-missed words",
    tag = "stats",
    params(crate::http::openapi::params::WordsQuery),
    responses(
        (status = 200, description = "Most-missed words first", body = MissedWords),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn words(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<MissedWords>, ApiError> {
    let mut q = QueryFields::new(&query);
    let item_id = q.int("item_id", i64::MIN, i64::MAX).filter(|id| *id != 0);
    let limit = q.int_or("limit", 20, 1, word_stats::MAX_LIMIT as i64);
    q.finish()?;
    let (words, considered) = state
        .missed_words
        .missed_words(&state.db, item_id, limit as usize)
        .await
        .map_err(during("get word stats"))?;
    Ok(Json(MissedWords {
        words: words.into_iter().map(Into::into).collect(),
        attempts_considered: considered,
    }))
}
