//! `/v1/items`: create (single and bulk), list, read, change, delete, audio.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use crate::db::items::{ItemFilter, ItemRow, ItemSort};
use crate::domain::limits::{
    MAX_ITEMS_PER_BULK_REQUEST, MAX_TAGS_PER_ITEM, MAX_TAG_LENGTH, MAX_TEXT_LENGTH,
};
use crate::error::{
    during, ApiError, ErrorDetail, FieldError, InternalError, PayloadTooLarge, ValidationFailed,
};
use crate::http::audio_response::{file_response, Binary, StoredFile};
use crate::http::extract::{object_fields, path_id, Fields, JsonBody, Page, QueryFields, RawQuery};
use crate::http::wire::{FailureClass, ItemTtsStatus, Timestamp};
use crate::services::items::{self, decode_tags, NewItem, ITEM_NOT_FOUND};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/items", post(create).get(list))
        .route("/v1/items/bulk", post(create_bulk))
        .route("/v1/items/{item_id}", get(get_one).delete(delete))
        .route("/v1/items/{item_id}/tts-status", get(tts_status))
        .route("/v1/items/{item_id}/tags", patch(update_tags))
        .route("/v1/items/{item_id}/difficulty", patch(update_difficulty))
        .route("/v1/items/{item_id}/spoken-text", patch(update_spoken_text))
        .route("/v1/items/{item_id}/audio", get(audio))
}

/// `ItemResponse` (contract §2.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemResponse {
    id: i64,
    locale: String,
    text: String,
    /// 1..10 (inferred when not given).
    #[schema(required = true)]
    difficulty: Option<i64>,
    tags: Vec<String>,
    tts_status: ItemTtsStatus,
    created_at: Timestamp,
    updated_at: Timestamp,
    practiced: bool,
    /// What the engine speaks (additive; see the README).
    spoken_text: String,
    /// The item's voice, `null` = the engine's default (additive).
    #[schema(required = true)]
    voice: Option<String>,
}

impl From<ItemRow> for ItemResponse {
    fn from(row: ItemRow) -> Self {
        ItemResponse {
            id: row.id,
            tags: decode_tags(row.tags_json.as_deref()),
            spoken_text: row.spoken_text.clone().unwrap_or_else(|| row.text.clone()),
            voice: row.voice.clone(),
            locale: row.locale,
            text: row.text,
            difficulty: row.difficulty,
            tts_status: row.tts_status,
            created_at: Timestamp::from_db(&row.created_at),
            updated_at: Timestamp::from_db(&row.updated_at),
            practiced: row.practiced != 0,
        }
    }
}

/// `GET /v1/items`: one page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemPage {
    items: Vec<ItemResponse>,
    /// All matching items.
    total: i64,
    page: i64,
    per_page: i64,
    /// `ceil(total / per_page)`; 0 when there are none.
    total_pages: i64,
}

/// `POST /v1/items/bulk` → 202.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkCreated {
    total_created: usize,
    /// In request order, ids increasing.
    created_items: Vec<ItemResponse>,
    /// Entries that could not be stored: always empty here (one invalid
    /// entry rejects the whole request with 422).
    #[schema(value_type = Vec<Object>)]
    failed_items: Vec<serde_json::Value>,
    total_failed: usize,
    submitted_at: Timestamp,
}

/// `GET /v1/items/{item_id}/tts-status`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemTtsStatusResponse {
    item_id: i64,
    /// The text, cut to 100 characters plus `...` when longer.
    text: String,
    spoken_text: String,
    tts_status: ItemTtsStatus,
    /// Why the speech failed, `null` unless `tts_status` is `failed`:
    /// `unsupported_locale`, `engine_unavailable`, `blank_text`,
    /// `unspeakable_text` (nothing the engine can read), `unsupported_voice`, `engine_timeout`, `disk_full` or
    /// `engine_failed`. Retry with `POST /v1/items/{item_id}/tts/retry`.
    #[schema(required = true)]
    tts_error: Option<FailureClass>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// `PATCH /v1/items/{item_id}/tags` → 200.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TagsChanged {
    item_id: i64,
    /// Always `replace`.
    #[schema(example = "replace")]
    operation: &'static str,
    previous_tags: Vec<String>,
    current_tags: Vec<String>,
    updated_at: Timestamp,
    #[schema(example = "Replaced all tags with: arki")]
    message: String,
}

/// `PATCH /v1/items/{item_id}/difficulty` → 200.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DifficultyChanged {
    item_id: i64,
    #[schema(required = true)]
    previous_difficulty: Option<i64>,
    current_difficulty: i64,
    updated_at: Timestamp,
    #[schema(example = "Updated difficulty from 1 to 2")]
    message: String,
}

// As `parse_new_item` reads it.
/// `ItemCreate`: one item to create (contract §3.2). Unknown fields are ignored.
#[derive(Debug, utoipa::ToSchema)]
pub struct ItemCreate {
    /// Language tag; it must be one of `TTS_SUPPORTED_LANGUAGES` for the
    /// item to get audio (otherwise it is created and turns `failed`).
    #[schema(min_length = 2, max_length = 10, example = "fi")]
    locale: String,
    /// Stored verbatim; whitespace-only is accepted.
    #[schema(min_length = 1, max_length = 10000, example = "Minä asun Helsingissä.")]
    text: String,
    /// 1..10; inferred from the text (1..5) when absent or null.
    #[schema(minimum = 1, maximum = 10)]
    difficulty: Option<i64>,
    /// At most 20 tags; each must contain a non-blank character and have at
    /// most 50 characters. Stored as given.
    #[schema(max_items = 20)]
    tags: Option<Vec<ItemTag>>,
    /// What the engine speaks instead of `text` (default: derived from it).
    #[schema(min_length = 1, max_length = 10000)]
    spoken_text: Option<String>,
    /// Voice name (see `GET /v1/voices`); null = the engine's default.
    #[schema(min_length = 1, max_length = 200)]
    voice: Option<String>,
}

// Checked by `validate_item_tags`.
/// A tag given when creating an item.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, max_length = 50, pattern = r"\S", example = "arki")]
pub struct ItemTag(String);

impl From<ItemCreate> for NewItem {
    fn from(item: ItemCreate) -> Self {
        NewItem {
            locale: item.locale,
            text: item.text,
            difficulty: item.difficulty,
            tags: item
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|ItemTag(tag)| tag)
                .collect(),
            spoken_text: item.spoken_text,
            voice: item.voice,
        }
    }
}

/// `POST /v1/items/bulk`: 1..100 items, each validated like `POST /v1/items`;
/// one invalid entry rejects the whole request.
#[derive(Debug, utoipa::ToSchema)]
pub struct BulkItemCreate {
    #[schema(min_items = 1, max_items = 100)]
    items: Vec<ItemCreate>,
}

/// Read one `ItemCreate` object; problems go to `errors`.
fn parse_new_item(fields: &mut Fields<'_, '_>) -> Option<ItemCreate> {
    let locale = fields.string("locale", true, 2, 10);
    let text = fields.string("text", true, 1, MAX_TEXT_LENGTH);
    let difficulty = fields.int("difficulty", false, 1, 10);
    let tags = fields.string_list("tags", false);
    let spoken_text = fields.string("spoken_text", false, 1, MAX_TEXT_LENGTH);
    let voice = fields.string("voice", false, 1, 200);
    if let Some(tags) = &tags {
        validate_item_tags(fields, tags);
    }
    // Every problem is in `errors`; callers refuse the request when it is
    // not empty, so an invalid optional field never reaches here as `None`.
    Some(ItemCreate {
        locale: locale?,
        text: text?,
        difficulty,
        tags: tags.map(|tags| tags.into_iter().map(ItemTag).collect()),
        spoken_text,
        voice,
    })
}

fn fields_has_value(fields: &Fields<'_, '_>, name: &str) -> bool {
    fields.get(name).is_some_and(|v| !v.is_null())
}

/// The creation-time tag rules (not applied by PATCH, contract §9.8).
fn validate_item_tags(fields: &mut Fields<'_, '_>, tags: &[String]) {
    // Checked tag by tag, in order, like the original's validator.
    let reason = if tags.len() > MAX_TAGS_PER_ITEM {
        Some("Maximum 20 tags allowed")
    } else {
        tags.iter().find_map(|t| {
            if t.trim().is_empty() {
                Some("Tags cannot be empty")
            } else if t.chars().count() > MAX_TAG_LENGTH {
                Some("Tag length cannot exceed 50 characters")
            } else {
                None
            }
        })
    };
    if let Some(reason) = reason {
        fields.value_error("tags", reason);
    }
}

fn validation_result<T>(value: Option<T>, errors: Vec<FieldError>) -> Result<T, ApiError> {
    match value {
        Some(v) if errors.is_empty() => Ok(v),
        _ => Err(ApiError::validation(errors)),
    }
}

#[utoipa::path(
    post,
    path = "/v1/items",
    operation_id = "create_item",
    summary = "Create an item",
    tag = "items",
    request_body = ItemCreate,
    responses(
        (status = 202, description = "Created; speech is synthesised in the background (`tts_status` `pending`)", body = ItemResponse),
        (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<ItemResponse>), ApiError> {
    let mut errors = Vec::new();
    let item = object_fields(&body, vec![json!("body")], &mut errors)
        .and_then(|mut f| parse_new_item(&mut f));
    let item = NewItem::from(validation_result(item, errors)?);
    let mut rows = items::create_many(
        &state.db,
        &state.clock,
        &state.tts,
        std::slice::from_ref(&item),
    )
    .await
    .map_err(during("create item"))?;
    let row = rows.pop().ok_or_else(|| ApiError::Internal {
        action: "create item",
        cause: "no row returned".into(),
    })?;
    Ok((StatusCode::ACCEPTED, Json(row.into())))
}

#[utoipa::path(
    post,
    path = "/v1/items/bulk",
    operation_id = "create_items_bulk",
    summary = "Create several items",
    tag = "items",
    request_body = BulkItemCreate,
    responses(
        (status = 202, description = "All created (one invalid entry rejects the whole request with 422)", body = BulkCreated),
        (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn create_bulk(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<BulkCreated>), ApiError> {
    let mut errors = Vec::new();
    let mut request = BulkItemCreate { items: Vec::new() };
    let entries = object_fields(&body, vec![json!("body")], &mut errors)
        .and_then(|mut top| top.list("items", 1, MAX_ITEMS_PER_BULK_REQUEST));
    for (i, entry) in entries.into_iter().flatten().enumerate() {
        let loc = vec![json!("body"), json!("items"), json!(i)];
        if let Some(mut f) = object_fields(entry, loc, &mut errors) {
            if let Some(item) = parse_new_item(&mut f) {
                request.items.push(item);
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let parsed: Vec<NewItem> = request.items.into_iter().map(Into::into).collect();
    let rows = items::create_many(&state.db, &state.clock, &state.tts, &parsed)
        .await
        .map_err(during("create items"))?;
    let created: Vec<ItemResponse> = rows.into_iter().map(Into::into).collect();
    Ok((
        StatusCode::ACCEPTED,
        Json(BulkCreated {
            total_created: created.len(),
            created_items: created,
            failed_items: Vec::new(),
            total_failed: 0,
            submitted_at: Timestamp::from_time(state.clock.now()),
        }),
    ))
}

const SORT_ERROR: &str = "Invalid sort parameter. Must be one of: created_at.asc, created_at.desc, difficulty.asc, difficulty.desc";

/// `"N"` or `"A..B"`; anything else is ignored (contract §3.2, §9.13).
fn parse_difficulty_filter(raw: &str) -> Option<(i64, i64)> {
    let parse = |s: &str| s.trim().parse::<i64>().ok();
    match raw.split_once("..") {
        Some((a, b)) if !b.contains("..") => Some((parse(a)?, parse(b)?)),
        Some(_) => None,
        None => parse(raw).map(|n| (n, n)),
    }
}

#[utoipa::path(
    get,
    path = "/v1/items",
    operation_id = "list_items",
    summary = "List items",
    tag = "items",
    params(crate::http::openapi::params::ItemListQuery),
    responses(
        (status = 200, description = "One page of items; filters combine with AND", body = ItemPage),
        (status = 400, description = "Invalid `sort`", body = ErrorDetail),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn list(State(state): State<AppState>, query: RawQuery) -> Result<Json<ItemPage>, ApiError> {
    let mut q = QueryFields::new(&query);
    let page = Page::read(&mut q);
    let practiced = q.bool("practiced");
    let tts_status = q
        .one_of("tts_status", &["pending", "ready", "failed"])
        .and_then(|s| ItemTtsStatus::parse(&s));
    let sort_raw = q.string("sort").unwrap_or("created_at.desc").to_string();
    let filter = ItemFilter {
        locale: q
            .string("locale")
            .filter(|l| !l.is_empty())
            .map(str::to_string),
        tags: q.strings("tag"),
        difficulty: q.string("difficulty").and_then(parse_difficulty_filter),
        practiced,
        tts_status,
    };
    q.finish()?;
    let sort = match sort_raw.as_str() {
        "created_at.asc" => ItemSort::CreatedAsc,
        "created_at.desc" => ItemSort::CreatedDesc,
        "difficulty.asc" => ItemSort::DifficultyAsc,
        "difficulty.desc" => ItemSort::DifficultyDesc,
        _ => return Err(ApiError::BadRequest(SORT_ERROR.to_string())),
    };
    let (rows, total) = items::list(&state.db, &filter, sort, page.per_page, page.offset())
        .await
        .map_err(during("list items"))?;
    let items: Vec<ItemResponse> = rows.into_iter().map(Into::into).collect();
    Ok(Json(ItemPage {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
        total_pages: page.total_pages(total),
    }))
}

fn item_id(raw: &str) -> Result<i64, ApiError> {
    path_id(raw, "item_id", ITEM_NOT_FOUND)
}

#[utoipa::path(
    get,
    path = "/v1/items/{item_id}",
    operation_id = "get_item",
    summary = "Get an item",
    tag = "items",
    params(("item_id" = i64, Path, description = "Item id (not an integer → 422; beyond 64 bits → 404)")),
    responses(
        (status = 200, description = "The item", body = ItemResponse),
        (status = 404, description = "`Item not found`", body = ErrorDetail), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<ItemResponse>, ApiError> {
    let id = item_id(&raw)?;
    let row = items::get(&state.db, id)
        .await
        .map_err(during("retrieve item"))?;
    Ok(Json(row.into()))
}

#[utoipa::path(
    get,
    path = "/v1/items/{item_id}/tts-status",
    operation_id = "get_item_tts_status",
    summary = "Get an item's speech status",
    tag = "items",
    params(("item_id" = i64, Path, description = "Item id (not an integer → 422; beyond 64 bits → 404)")),
    responses(
        (status = 200, description = "The item's speech status", body = ItemTtsStatusResponse),
        (status = 404, description = "`Item not found`", body = ErrorDetail), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn tts_status(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<ItemTtsStatusResponse>, ApiError> {
    let id = item_id(&raw)?;
    let row = items::get(&state.db, id)
        .await
        .map_err(during("retrieve TTS status"))?;
    let tts_error = items::tts_failure(&state.db, &state.tts, &row)
        .await
        .map_err(during("retrieve TTS status"))?;
    let spoken_text = row.spoken_text.clone().unwrap_or_else(|| row.text.clone());
    let text = if row.text.chars().count() > 100 {
        format!("{}...", row.text.chars().take(100).collect::<String>())
    } else {
        row.text
    };
    Ok(Json(ItemTtsStatusResponse {
        item_id: row.id,
        text,
        spoken_text,
        tts_status: row.tts_status,
        tts_error,
        created_at: Timestamp::from_db(&row.created_at),
        updated_at: Timestamp::from_db(&row.updated_at),
    }))
}

#[utoipa::path(
    delete,
    path = "/v1/items/{item_id}",
    operation_id = "delete_item",
    summary = "Delete an item",
    tag = "items",
    params(("item_id" = i64, Path, description = "Item id (not an integer → 422; beyond 64 bits → 404)")),
    responses(
        (status = 204, description = "Deleted with its attempts and audio; empty body"),
        (status = 404, description = "`Item not found`", body = ErrorDetail), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = item_id(&raw)?;
    items::delete(&state.db, &state.tts, id)
        .await
        .map_err(during("delete item"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PATCH /v1/items/{item_id}/tags`: the new tag list (replaces the old one;
/// absent or null clears it). Not validated per tag (contract §9.8).
#[derive(Debug, utoipa::ToSchema)]
pub struct TagsUpdate {
    tags: Option<Vec<String>>,
}

#[utoipa::path(
    patch,
    path = "/v1/items/{item_id}/tags",
    operation_id = "replace_item_tags",
    summary = "Replace an item's tags",
    tag = "items",
    params(("item_id" = i64, Path, description = "Item id (not an integer → 422; beyond 64 bits → 404)")),
    request_body = TagsUpdate,
    responses(
        (status = 200, description = "Tags replaced", body = TagsChanged),
        (status = 404, description = "`Item not found`", body = ErrorDetail), (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn update_tags(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<TagsChanged>, ApiError> {
    let id = item_id(&raw);
    let mut errors = Vec::new();
    let update = object_fields(&body, vec![json!("body")], &mut errors).and_then(|mut f| {
        let has_value = fields_has_value(&f, "tags");
        match (f.string_list("tags", false), has_value) {
            (Some(tags), _) => Some(TagsUpdate { tags: Some(tags) }),
            (None, false) => Some(TagsUpdate { tags: None }),
            (None, true) => None,
        }
    });
    let id = merge_path_and_body(id, &mut errors)?;
    let update = validation_result(update, errors)?;
    let tags = update.tags.unwrap_or_default();
    let change = items::replace_tags(&state.db, &state.clock, id, tags)
        .await
        .map_err(during("update tags"))?;
    let message = if change.current.is_empty() {
        "Replaced all tags with: none".to_string()
    } else {
        format!("Replaced all tags with: {}", change.current.join(", "))
    };
    Ok(Json(TagsChanged {
        item_id: id,
        operation: "replace",
        previous_tags: change.previous,
        current_tags: change.current,
        updated_at: Timestamp::from_time(change.updated_at),
        message,
    }))
}

/// Path errors are reported together with body errors, like the original.
fn merge_path_and_body(
    id: Result<i64, ApiError>,
    errors: &mut Vec<FieldError>,
) -> Result<i64, ApiError> {
    match id {
        Ok(id) => Ok(id),
        Err(ApiError::Validation(mut path_errors)) => {
            path_errors.append(errors);
            Err(ApiError::validation(path_errors))
        }
        Err(other) if errors.is_empty() => Err(other),
        Err(_) => Err(ApiError::validation(std::mem::take(errors))),
    }
}

/// `PATCH /v1/items/{item_id}/difficulty`: 1..5 (narrower than creation).
#[derive(Debug, utoipa::ToSchema)]
pub struct DifficultyUpdate {
    #[schema(minimum = 1, maximum = 5)]
    difficulty: i64,
}

#[utoipa::path(
    patch,
    path = "/v1/items/{item_id}/difficulty",
    operation_id = "set_item_difficulty",
    summary = "Set an item's difficulty",
    tag = "items",
    params(("item_id" = i64, Path, description = "Item id (not an integer → 422; beyond 64 bits → 404)")),
    request_body = DifficultyUpdate,
    responses(
        (status = 200, description = "Difficulty changed", body = DifficultyChanged),
        (status = 404, description = "`Item not found`", body = ErrorDetail), (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn update_difficulty(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<DifficultyChanged>, ApiError> {
    let id = item_id(&raw);
    let mut errors = Vec::new();
    let update = object_fields(&body, vec![json!("body")], &mut errors)
        .and_then(|mut f| f.int("difficulty", true, 1, 5))
        .map(|difficulty| DifficultyUpdate { difficulty });
    let id = merge_path_and_body(id, &mut errors)?;
    let update = validation_result(update, errors)?;
    let change = items::set_difficulty(&state.db, &state.clock, id, update.difficulty)
        .await
        .map_err(during("update difficulty"))?;
    let message = match change.previous {
        Some(prev) => format!("Updated difficulty from {prev} to {}", change.current),
        None => format!("Set difficulty to {}", change.current),
    };
    Ok(Json(DifficultyChanged {
        item_id: id,
        previous_difficulty: change.previous,
        current_difficulty: change.current,
        updated_at: Timestamp::from_time(change.updated_at),
        message,
    }))
}

/// `PATCH /v1/items/{item_id}/spoken-text`: the key is required; `null`
/// derives the spoken form from the text again.
#[derive(Debug, utoipa::ToSchema)]
pub struct SpokenTextUpdate {
    #[schema(required = true, min_length = 1, max_length = 10000)]
    spoken_text: Option<String>,
}

/// `PATCH /v1/items/{id}/spoken-text` `{"spoken_text": "…" | null}`: a
/// teacher's reading (null = derive it from the text again). The audio is
/// re-synthesised, so the item goes back to `pending`.
#[utoipa::path(
    patch,
    path = "/v1/items/{item_id}/spoken-text",
    operation_id = "set_item_spoken_text",
    summary = "Set what the engine speaks for an item",
    tag = "items",
    params(("item_id" = i64, Path, description = "Item id (not an integer → 422; beyond 64 bits → 404)")),
    request_body = SpokenTextUpdate,
    responses(
        (status = 200, description = "Changed; the audio is made again (`tts_status` `pending`)", body = ItemResponse),
        (status = 404, description = "`Item not found`", body = ErrorDetail), (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn update_spoken_text(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<ItemResponse>, ApiError> {
    let id = item_id(&raw);
    let mut errors = Vec::new();
    // The key is required; its value may be null (= derive from the text).
    let spoken = object_fields(&body, vec![json!("body")], &mut errors).and_then(|mut f| {
        let required = f.get("spoken_text").is_none();
        let value = f.string("spoken_text", required, 1, MAX_TEXT_LENGTH);
        let invalid = f.get("spoken_text").is_some_and(|v| !v.is_null()) && value.is_none();
        (!required && !invalid).then_some(SpokenTextUpdate { spoken_text: value })
    });
    let id = merge_path_and_body(id, &mut errors)?;
    let update = validation_result(spoken, errors)?;
    let row = items::set_spoken_text(&state.db, &state.clock, &state.tts, id, update.spoken_text)
        .await
        .map_err(during("update spoken text"))?;
    Ok(Json(row.into()))
}

/// The item's audio, streamed from its file (contract addendum §3.5):
/// `Content-Disposition: attachment; filename="item_{id}.wav"`,
/// `Cache-Control: public, max-age=3600`, `ETag`, `Last-Modified`,
/// `Accept-Ranges: bytes`. A single `Range` (`bytes=a-b`, `a-`, `-n`) → 206
/// with `Content-Range`; an unsatisfiable one → 416 with an empty body and
/// `Content-Range: bytes */<size>`; several ranges → the whole file.
/// `If-None-Match` with the current `ETag` → 304.
#[utoipa::path(
    get,
    path = "/v1/items/{item_id}/audio",
    operation_id = "get_item_audio",
    summary = "Get an item's audio",
    tag = "items",
    params(("item_id" = i64, Path, description = "Item id (not an integer → 422; beyond 64 bits → 404)")),
    responses(
        (status = 200, description = "16-bit PCM mono WAV", content_type = "audio/wav", body = Binary),
        (status = 206, description = "The requested byte range (`Content-Range: bytes a-b/size`)", content_type = "audio/wav", body = Binary),
        (status = 304, description = "`If-None-Match` names the current `ETag`"),
        (status = 416, description = "Range not satisfiable (`Content-Range: bytes */size`); empty body"),
        (status = 400, description = "`Audio not ready. Current status: <pending|failed>`", body = ErrorDetail),
        (status = 404, description = "`Item not found` or `Audio file not found`", body = ErrorDetail),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn audio(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = item_id(&raw)?;
    let audio = items::audio(&state.db, &state.tts, id)
        .await
        .map_err(during("get audio"))?;
    let stored = StoredFile {
        size: audio.size,
        modified: audio.modified,
        content_type: "audio/wav",
        cache_control: "public, max-age=3600",
        disposition: format!("attachment; filename=\"item_{id}.wav\""),
    };
    file_response(&headers, audio.file, &stored)
        .await
        .map_err(|e| during("get audio")(e.into()))
}

#[cfg(test)]
mod tests {
    use super::parse_difficulty_filter;

    #[test]
    fn difficulty_filters() {
        assert_eq!(parse_difficulty_filter("3"), Some((3, 3)));
        assert_eq!(parse_difficulty_filter("2..4"), Some((2, 4)));
        assert_eq!(parse_difficulty_filter("4..2"), Some((4, 2)));
        for junk in ["abc", "1..x", "..3", "1..2..3", ""] {
            assert_eq!(parse_difficulty_filter(junk), None, "{junk}");
        }
    }
}
