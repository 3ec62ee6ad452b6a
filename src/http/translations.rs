//! Item translations (addendum §5): translate an item's text into a target
//! language, read the cached translation, and refresh it.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::{during, ApiError, ErrorDetail, InternalError, ValidationFailed};
use crate::http::extract::{object_fields, path_id, JsonBody, QueryFields, RawQuery};
use crate::http::wire::{Timestamp, TranslationStatus};
use crate::services::translations::{
    TranslationView, CACHED_NOT_FOUND, INVALID_REQUEST, TRANSLATION_NOT_FOUND,
};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/items/{item_id}/translations",
            post(translate).get(cached),
        )
        .route("/v1/translations/{translation_id}/refresh", post(refresh))
}

/// Body of `POST /v1/items/{item_id}/translations`, as read by the handler.
#[derive(Debug, utoipa::ToSchema)]
pub struct TranslationCreate {
    /// Target language, one of `TRANSLATION_SUPPORTED_LANGUAGES` (exact).
    #[schema(min_length = 2, max_length = 10, example = "en")]
    target_lang: String,
    /// Ask the provider even when a current translation is cached
    /// (lax booleans such as `"true"` are accepted).
    #[schema(default = false)]
    force_refresh: bool,
}

/// `TranslationResponse` (addendum §5.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TranslationResponse {
    /// Stable for an (item, target language) pair.
    translation_id: i64,
    item_id: i64,
    /// The item's current text.
    text: String,
    source_lang: String,
    target_lang: String,
    #[schema(required = true)]
    translated_text: Option<String>,
    /// The provider that made the translation (`google`, `libretranslate`).
    provider: String,
    /// True when served from the cache without calling the provider.
    cached: bool,
    /// Always `completed`.
    status: TranslationStatus,
    created_at: Timestamp,
    updated_at: Timestamp,
    #[schema(required = true)]
    last_refreshed_at: Option<Timestamp>,
    /// `{"detected_source_language": …, "model": …}`; `{}` if unreadable.
    #[schema(value_type = Option<Object>, required = true)]
    metadata: Option<Map<String, Value>>,
}

impl From<TranslationView> for TranslationResponse {
    fn from(view: TranslationView) -> Self {
        let row = view.row;
        TranslationResponse {
            translation_id: row.id,
            item_id: row.item_id,
            text: view.text,
            source_lang: row.source_lang,
            target_lang: row.target_lang,
            translated_text: row.translated_text,
            provider: row.provider,
            cached: view.cached,
            status: row.status,
            created_at: Timestamp::from_db(&row.created_at),
            updated_at: Timestamp::from_db(&row.updated_at),
            last_refreshed_at: row.last_refreshed_at.as_deref().map(Timestamp::from_db),
            metadata: row
                .metadata
                .map(|m| serde_json::from_str(&m).unwrap_or_default()),
        }
    }
}

#[utoipa::path(
    post,
    path = "/v1/items/{item_id}/translations",
    operation_id = "translate_item",
    summary = "Translate an item's text (cached)",
    description = "Answers the cached translation when it was made from the item's current text \
        (and `force_refresh` is false); otherwise asks the provider and stores its answer.",
    tag = "translations",
    params(("item_id" = i64, Path, description = "Item id")),
    request_body = TranslationCreate,
    responses(
        (status = 200, description = "The translation", body = TranslationResponse),
        (status = 400, description = "`Invalid translation request (item missing, unsupported language, or source-target identical)`", body = ErrorDetail),
        (status = 422, response = ValidationFailed),
        (status = 502, description = "The provider refused or failed (`Translation failed: …`); nothing is stored", body = ErrorDetail),
        (status = 503, description = "`Translation is not configured`, or the provider is failing fast; nothing is stored", body = ErrorDetail),
        (status = 500, response = InternalError),
    )
)]
async fn translate(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<TranslationResponse>, ApiError> {
    let id = path_id(&raw, "item_id", INVALID_REQUEST);
    let mut errors = Vec::new();
    let request = object_fields(&body, vec![json!("body")], &mut errors).and_then(|mut f| {
        let target_lang = f.string("target_lang", true, 2, 10);
        let force_refresh = f.bool("force_refresh", false).unwrap_or(false);
        Some(TranslationCreate {
            target_lang: target_lang?,
            force_refresh,
        })
    });
    let id = match id {
        Ok(id) => id,
        // An id beyond i64 names no item: the route's 400.
        Err(ApiError::NotFound(msg)) => return Err(ApiError::BadRequest(msg)),
        Err(e) => return Err(e),
    };
    let request = match request {
        Some(request) if errors.is_empty() => request,
        _ => return Err(ApiError::validation(errors)),
    };
    let view = state
        .translations
        .translate(id, &request.target_lang, request.force_refresh)
        .await
        .map_err(during("translate item"))?;
    Ok(Json(view.into()))
}

#[utoipa::path(
    get,
    path = "/v1/items/{item_id}/translations",
    operation_id = "get_item_translation",
    summary = "The cached translation of an item",
    description = "Never calls the provider. After the item's text changed the stored row is \
        returned as it is; `POST` makes a new one.",
    tag = "translations",
    params(
        ("item_id" = i64, Path, description = "Item id"),
        ("target_lang" = String, Query, description = "Target language (2–10 characters)", min_length = 2, max_length = 10),
    ),
    responses(
        (status = 200, description = "The cached translation (`cached: true`)", body = TranslationResponse),
        (status = 404, description = "`Cached translation not found`", body = ErrorDetail),
        (status = 422, response = ValidationFailed),
        (status = 500, response = InternalError),
    )
)]
async fn cached(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    query: RawQuery,
) -> Result<Json<TranslationResponse>, ApiError> {
    let id = path_id(&raw, "item_id", CACHED_NOT_FOUND);
    let mut q = QueryFields::new(&query);
    let target = q.required_string("target_lang", 2, 10).map(str::to_string);
    let id = id?;
    q.finish()?;
    let target = target.ok_or_else(|| ApiError::validation(Vec::new()))?;
    let view = state
        .translations
        .cached(id, &target)
        .await
        .map_err(during("get translation"))?;
    Ok(Json(view.into()))
}

#[utoipa::path(
    post,
    path = "/v1/translations/{translation_id}/refresh",
    operation_id = "refresh_translation",
    summary = "Translate again",
    description = "Translates the item's current text again with the stored languages.",
    tag = "translations",
    params(("translation_id" = i64, Path, description = "Translation id")),
    responses(
        (status = 200, description = "The new translation (`cached: false`)", body = TranslationResponse),
        (status = 404, description = "`Translation not found`", body = ErrorDetail),
        (status = 422, response = ValidationFailed),
        (status = 502, description = "The provider refused or failed; the stored row is unchanged", body = ErrorDetail),
        (status = 503, description = "`Translation is not configured`, or the provider is failing fast", body = ErrorDetail),
        (status = 500, response = InternalError),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<TranslationResponse>, ApiError> {
    let id = path_id(&raw, "translation_id", TRANSLATION_NOT_FOUND)?;
    let view = state
        .translations
        .refresh(id)
        .await
        .map_err(during("refresh translation"))?;
    Ok(Json(view.into()))
}
