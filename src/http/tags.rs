//! `/v1/tags`: the preset tag list.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use crate::db::tags::TagRow;
use crate::error::{
    during, ApiError, ErrorDetail, InternalError, PayloadTooLarge, ValidationFailed,
};
use crate::http::extract::{object_fields, path_id, JsonBody, QueryFields, RawQuery};
use crate::http::wire::Timestamp;
use crate::services::tags;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tags", post(create).get(list))
        .route("/v1/tags/{tag_id}", delete(remove))
}

/// `TagResponse` (contract §2.3).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TagResponse {
    id: i64,
    name: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// `GET /v1/tags`: ordered by name (code-point order).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TagList {
    tags: Vec<TagResponse>,
    /// All preset tags.
    total: i64,
}

impl From<TagRow> for TagResponse {
    fn from(row: TagRow) -> Self {
        TagResponse {
            id: row.id,
            name: row.name,
            created_at: Timestamp::from_db(&row.created_at),
            updated_at: Timestamp::from_db(&row.updated_at),
        }
    }
}

/// `POST /v1/tags`: the name is trimmed and must not be blank.
#[derive(Debug, utoipa::ToSchema)]
pub struct TagCreate {
    #[schema(min_length = 1, max_length = 50, pattern = r"\S", example = "matkailu")]
    name: String,
}

#[utoipa::path(
    post,
    path = "/v1/tags",
    operation_id = "create_tag",
    summary = "Create a preset tag",
    tag = "tags",
    request_body = TagCreate,
    responses(
        (status = 201, description = "Created (the name is stored trimmed)", body = TagResponse),
        (status = 400, description = "`Tag with name '<name>' already exists`", body = ErrorDetail),
        (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<TagResponse>), ApiError> {
    let mut errors = Vec::new();
    let request = object_fields(&body, vec![json!("body")], &mut errors).and_then(|mut f| {
        let name = f.string("name", true, 1, 50)?;
        let trimmed = name.trim().to_string();
        if trimmed.is_empty() {
            f.value_error("name", "Tag name cannot be empty");
            return None;
        }
        Some(TagCreate { name: trimmed })
    });
    let request = match request {
        Some(request) if errors.is_empty() => request,
        _ => return Err(ApiError::validation(errors)),
    };
    let row = tags::create(&state.db, &state.clock, &request.name)
        .await
        .map_err(during("create tag"))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(
    get,
    path = "/v1/tags",
    operation_id = "list_tags",
    summary = "List preset tags",
    tag = "tags",
    params(crate::http::openapi::params::TagListQuery),
    responses(
        (status = 200, description = "Preset tags by name", body = TagList),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn list(State(state): State<AppState>, query: RawQuery) -> Result<Json<TagList>, ApiError> {
    let mut q = QueryFields::new(&query);
    let limit = q.int_or("limit", 100, 1, 1000);
    let offset = q.int_or("offset", 0, 0, i64::MAX);
    q.finish()?;
    let (rows, total) = tags::list(&state.db, limit, offset)
        .await
        .map_err(during("get tags"))?;
    let tags: Vec<TagResponse> = rows.into_iter().map(Into::into).collect();
    Ok(Json(TagList { tags, total }))
}

#[utoipa::path(
    delete,
    path = "/v1/tags/{tag_id}",
    operation_id = "delete_tag",
    summary = "Delete a preset tag",
    tag = "tags",
    params(("tag_id" = i64, Path, description = "Tag id")),
    responses(
        (status = 204, description = "Deleted (items keep their tags); empty body"),
        (status = 404, description = "`Tag with ID <id> not found`", body = ErrorDetail),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn remove(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(
        &raw,
        "tag_id",
        &format!("Tag with ID {} not found", raw.trim()),
    )?;
    tags::delete(&state.db, id)
        .await
        .map_err(during("delete tag"))?;
    Ok(StatusCode::NO_CONTENT)
}
