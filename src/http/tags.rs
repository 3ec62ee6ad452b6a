//! `/v1/tags`: the preset tag list.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use crate::db::tags::TagRow;
use crate::domain::timestamp::db_to_api;
use crate::error::{during, ApiError};
use crate::http::extract::{object_fields, path_id, JsonBody, QueryFields, RawQuery};
use crate::services::tags;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tags", post(create).get(list))
        .route("/v1/tags/{tag_id}", delete(remove))
}

/// `TagResponse` (contract §2.3).
#[derive(Debug, Serialize)]
pub struct TagResponse {
    id: i64,
    name: String,
    created_at: String,
    updated_at: String,
}

impl From<TagRow> for TagResponse {
    fn from(row: TagRow) -> Self {
        TagResponse {
            id: row.id,
            name: row.name,
            created_at: db_to_api(&row.created_at),
            updated_at: db_to_api(&row.updated_at),
        }
    }
}

async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<TagResponse>), ApiError> {
    let mut errors = Vec::new();
    let name = object_fields(&body, vec![json!("body")], &mut errors).and_then(|mut f| {
        let name = f.string("name", true, 1, 50)?;
        let trimmed = name.trim().to_string();
        if trimmed.is_empty() {
            f.value_error("name", "Tag name cannot be empty");
            return None;
        }
        Some(trimmed)
    });
    let name = match name {
        Some(name) if errors.is_empty() => name,
        _ => return Err(ApiError::validation(errors)),
    };
    let row = tags::create(&state, &name)
        .await
        .map_err(during("create tag"))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

async fn list(State(state): State<AppState>, query: RawQuery) -> Result<Json<Value>, ApiError> {
    let mut q = QueryFields::new(&query);
    let limit = q.int_or("limit", 100, 1, 1000);
    let offset = q.int_or("offset", 0, 0, i64::MAX);
    q.finish()?;
    let (rows, total) = tags::list(&state, limit, offset)
        .await
        .map_err(during("get tags"))?;
    let tags: Vec<TagResponse> = rows.into_iter().map(Into::into).collect();
    Ok(Json(json!({ "tags": tags, "total": total })))
}

async fn remove(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(
        &raw,
        "tag_id",
        &format!("Tag with ID {} not found", raw.trim()),
    )?;
    tags::delete(&state, id)
        .await
        .map_err(during("delete tag"))?;
    Ok(StatusCode::NO_CONTENT)
}
