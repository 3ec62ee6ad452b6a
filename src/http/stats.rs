//! `/v1/stats`: summary, practice log, per-item stats, daily progress.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::{during, ApiError};
use crate::http::extract::{path_id, Page, QueryFields, RawQuery};
use crate::services::items::ITEM_NOT_FOUND;
use crate::services::stats::{self, ItemStats, Summary};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/stats/summary", get(summary))
        .route("/v1/stats/practice-log", get(practice_log))
        .route("/v1/stats/items/{item_id}", get(item_stats))
        .route("/v1/stats/progress", get(progress))
        .route("/v1/stats/words", get(words))
}

async fn summary(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<Summary>, ApiError> {
    let mut q = QueryFields::new(&query);
    let since = q.datetime("since");
    let until = q.datetime("until");
    q.finish()?;
    let window = stats::window(since, until).map_err(during("get summary stats"))?;
    let summary = stats::summary(&state, &window)
        .await
        .map_err(during("get summary stats"))?;
    Ok(Json(summary))
}

async fn practice_log(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<Value>, ApiError> {
    let mut q = QueryFields::new(&query);
    let since = q.datetime("since");
    let until = q.datetime("until");
    let page = Page::read(&mut q);
    q.finish()?;
    let window = stats::window(since, until).map_err(during("get practice log"))?;
    let (entries, total) = stats::practice_log(&state, &window, page.per_page, page.offset())
        .await
        .map_err(during("get practice log"))?;
    Ok(Json(json!({
        "practice_log": entries,
        "total": total,
        "page": page.page,
        "per_page": page.per_page,
        "total_pages": page.total_pages(total),
    })))
}

async fn item_stats(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<ItemStats>, ApiError> {
    let id = path_id(&raw, "item_id", ITEM_NOT_FOUND)?;
    let stats = stats::item_stats(&state, id)
        .await
        .map_err(during("get item stats"))?;
    Ok(Json(stats))
}

async fn progress(State(state): State<AppState>, query: RawQuery) -> Result<Json<Value>, ApiError> {
    let mut q = QueryFields::new(&query);
    let item_id = q.int("item_id", i64::MIN, i64::MAX).filter(|id| *id != 0);
    let days = q.int_or("days", 30, 1, 365);
    q.finish()?;
    let progress = stats::progress(&state, item_id, days)
        .await
        .map_err(during("get progress data"))?;
    Ok(Json(json!({ "progress": progress })))
}

/// `GET /v1/stats/words?item_id=&limit=20`: the most-missed words over the
/// newest 2,000 attempts.
async fn words(State(state): State<AppState>, query: RawQuery) -> Result<Json<Value>, ApiError> {
    let mut q = QueryFields::new(&query);
    let item_id = q.int("item_id", i64::MIN, i64::MAX).filter(|id| *id != 0);
    let limit = q.int_or("limit", 20, 1, 200);
    q.finish()?;
    let (words, considered) = stats::missed_words(&state, item_id, limit as usize, 2_000)
        .await
        .map_err(during("get word stats"))?;
    Ok(Json(
        json!({ "words": words, "attempts_considered": considered }),
    ))
}
