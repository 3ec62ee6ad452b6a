//! `/v1/stats`: summary, practice log, per-item stats, daily progress.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::error::{during, ApiError, ErrorDetail, InternalError, ValidationFailed};
use crate::http::extract::{path_id, Page, QueryFields, RawQuery};
use crate::services::items::ITEM_NOT_FOUND;
use crate::services::stats::{self, ItemStats, MissedWord, PracticeLogEntry, ProgressDay, Summary};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/stats/summary", get(summary))
        .route("/v1/stats/practice-log", get(practice_log))
        .route("/v1/stats/items/{item_id}", get(item_stats))
        .route("/v1/stats/progress", get(progress))
        .route("/v1/stats/words", get(words))
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
    Ok(Json(summary))
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
        practice_log: entries,
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
    Ok(Json(stats))
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
    Ok(Json(ProgressResponse { progress }))
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
    let limit = q.int_or("limit", 20, 1, 200);
    q.finish()?;
    let (words, considered) = stats::missed_words(&state.db, item_id, limit as usize, 2_000)
        .await
        .map_err(during("get word stats"))?;
    Ok(Json(MissedWords {
        words,
        attempts_considered: considered,
    }))
}
