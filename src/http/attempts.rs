//! `/v1/attempts`: score an attempt, list and read attempts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use crate::db::attempts::{AttemptRow, Window};
use crate::domain::alignment::Pair;
use crate::domain::timestamp::{db_to_api, to_db};
use crate::error::{during, ApiError};
use crate::http::extract::{object_fields, path_id, JsonBody, Page, QueryFields, RawQuery};
use crate::http::openapi::schemas as api;
use crate::services::attempts::{self, AlignedAttempt};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/attempts", post(create).get(list))
        .route("/v1/attempts/{attempt_id}", get(get_one))
}

/// `AttemptResponse` (contract §2.2).
///
/// Two views of one attempt: `percentage`, `wer` and `words_*` are the
/// contract's exact-text score, bit-compatible with the original service;
/// `percentage_spoken` is the score to show a learner (it credits numbers,
/// dates and abbreviations typed as they were heard, and agrees with
/// `alignment`). Show `percentage` beside it only when the two differ.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptResponse {
    id: i64,
    item_id: i64,
    text: String,
    #[schema(minimum = 0, maximum = 100)]
    percentage: i64,
    #[schema(minimum = 0.0, maximum = 1.0)]
    wer: f64,
    words_ref: i64,
    words_correct: i64,
    #[schema(value_type = api::Timestamp)]
    created_at: String,
    /// The learner-facing score, the one a client should show: units
    /// right (written or spoken form) minus extra units, over the item's
    /// units (`null` on attempts stored before it existed).
    #[schema(required = true, minimum = 0, maximum = 100)]
    percentage_spoken: Option<i64>,
    /// Word-by-word feedback consistent with `percentage_spoken`
    /// (additive; only on create and single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<api::AlignmentPair>>)]
    alignment: Option<Vec<Pair>>,
}

impl From<AlignedAttempt> for AttemptResponse {
    fn from(attempt: AlignedAttempt) -> Self {
        let mut response = AttemptResponse::from(attempt.row);
        response.alignment = Some(attempt.alignment);
        response
    }
}

impl From<AttemptRow> for AttemptResponse {
    fn from(row: AttemptRow) -> Self {
        AttemptResponse {
            id: row.id,
            item_id: row.item_id,
            text: row.text,
            percentage: row.percentage,
            wer: row.wer,
            words_ref: row.words_ref,
            words_correct: row.words_correct,
            created_at: db_to_api(&row.created_at),
            percentage_spoken: row.percentage_spoken,
            alignment: None,
        }
    }
}

/// `POST /v1/attempts`: scored against the item's current text.
#[derive(Debug, utoipa::ToSchema)]
pub struct AttemptCreate {
    /// An existing item's id (404 otherwise).
    #[schema(example = 1)]
    item_id: i64,
    /// What the learner typed; may be empty.
    #[schema(min_length = 0, max_length = 10000, example = "minä asun helsingissä")]
    text: String,
}

#[utoipa::path(
    post,
    path = "/v1/attempts",
    operation_id = "create_attempt",
    summary = "Score an attempt",
    tag = "attempts",
    request_body = AttemptCreate,
    responses(
        (status = 201, description = "Scored (contract §5) and stored, with the word alignment", body = AttemptResponse),
        (status = 404, description = "`Item not found`", body = api::ErrorDetail),
        (status = 413, response = api::PayloadTooLarge), (status = 422, response = api::ValidationFailed), (status = 500, response = api::InternalError),
    )
)]
async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<AttemptResponse>), ApiError> {
    let mut errors = Vec::new();
    let parsed = object_fields(&body, vec![json!("body")], &mut errors).and_then(|mut f| {
        let item_id = f.int("item_id", true, i64::MIN, i64::MAX);
        let text = f.string("text", true, 0, 10_000);
        Some(AttemptCreate {
            item_id: item_id?,
            text: text?,
        })
    });
    let request = match parsed {
        Some(request) if errors.is_empty() => request,
        _ => return Err(ApiError::validation(errors)),
    };
    let row = attempts::create(&state.db, &state.clock, request.item_id, &request.text)
        .await
        .map_err(during("create attempt"))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// `GET /v1/attempts`: one page, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptPage {
    attempts: Vec<AttemptResponse>,
    total: i64,
    page: i64,
    per_page: i64,
    total_pages: i64,
}

#[utoipa::path(
    get,
    path = "/v1/attempts",
    operation_id = "list_attempts",
    summary = "List attempts",
    tag = "attempts",
    params(crate::http::openapi::params::AttemptListQuery),
    responses(
        (status = 200, description = "One page of attempts, newest first (without `alignment`)", body = AttemptPage),
        (status = 422, response = api::ValidationFailed), (status = 500, response = api::InternalError),
    )
)]
async fn list(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<AttemptPage>, ApiError> {
    let mut q = QueryFields::new(&query);
    let item_id = q.int("item_id", i64::MIN, i64::MAX).filter(|id| *id != 0);
    let since = q.datetime("since");
    let until = q.datetime("until");
    let page = Page::read(&mut q);
    q.finish()?;
    // since > until is not an error here (contract §9.12): it matches nothing.
    let window = Window {
        since: since.map(to_db),
        until: until.map(to_db),
    };
    let (rows, total) = attempts::list(&state.db, item_id, &window, page.per_page, page.offset())
        .await
        .map_err(during("list attempts"))?;
    let attempts: Vec<AttemptResponse> = rows.into_iter().map(Into::into).collect();
    Ok(Json(AttemptPage {
        attempts,
        total,
        page: page.page,
        per_page: page.per_page,
        total_pages: page.total_pages(total),
    }))
}

#[utoipa::path(
    get,
    path = "/v1/attempts/{attempt_id}",
    operation_id = "get_attempt",
    summary = "Get an attempt",
    tag = "attempts",
    params(("attempt_id" = i64, Path, description = "Attempt id")),
    responses(
        (status = 200, description = "The attempt with its word alignment", body = AttemptResponse),
        (status = 404, description = "`Attempt not found`", body = api::ErrorDetail),
        (status = 422, response = api::ValidationFailed), (status = 500, response = api::InternalError),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<AttemptResponse>, ApiError> {
    let id = path_id(&raw, "attempt_id", "Attempt not found")?;
    let row = attempts::get(&state.db, id)
        .await
        .map_err(during("retrieve attempt"))?;
    Ok(Json(row.into()))
}
