//! Operating TTS: `/v1/tts/stats` and retry of failed items.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::db::items::ItemFilter;
use crate::domain::status::ItemTtsStatus;
use crate::error::{during, ApiError, ErrorDetail, InternalError, ValidationFailed};
use crate::http::extract::{path_id, QueryFields, RawQuery};
use crate::http::items::ItemResponse;
use crate::http::wire::{TaskStatus, Timestamp};
use crate::services::items::{self, ITEM_NOT_FOUND};
use crate::services::tasks::{self, AudioRefresh, DeviceStats, TaskStats};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tts/stats", get(stats))
        .route("/v1/items/tts/retry", post(retry_failed))
        .route("/v1/items/{item_id}/tts/retry", post(retry_one))
        .route("/v1/items/{item_id}/audio/refresh", post(refresh_audio))
}

// Also what `last-whisper tasks stats --json` prints.
/// `GET /v1/tts/stats` (`services::tasks::TaskStats`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TaskStats)]
pub struct TaskStatsResponse {
    total: i64,
    /// Tasks per status: every known status (0 when none), then any other.
    // A JSON map keeps that order (serde_json's `preserve_order`).
    #[schema(value_type = BTreeMap<String, i64>)]
    by_status: serde_json::Map<String, serde_json::Value>,
    by_device: Vec<DeviceStatsResponse>,
    #[schema(required = true)]
    avg_synthesis_seconds: Option<f64>,
    #[schema(required = true)]
    avg_real_time_factor: Option<f64>,
    #[schema(required = true)]
    avg_file_size: Option<f64>,
    /// Texts synthesised once but used by several items.
    shared_texts: i64,
    /// Items served by those shared texts.
    items_sharing_audio: i64,
    /// Syntheses the dedupe saved.
    syntheses_saved: i64,
    /// Tasks waiting for a worker now.
    queue_depth: i64,
}

impl From<TaskStats> for TaskStatsResponse {
    fn from(stats: TaskStats) -> Self {
        TaskStatsResponse {
            total: stats.total,
            by_status: stats
                .by_status
                .into_iter()
                .map(|(status, n)| (status, n.into()))
                .collect(),
            by_device: stats.by_device.into_iter().map(Into::into).collect(),
            avg_synthesis_seconds: stats.avg_synthesis_seconds,
            avg_real_time_factor: stats.avg_real_time_factor,
            avg_file_size: stats.avg_file_size,
            shared_texts: stats.shared_texts,
            items_sharing_audio: stats.items_sharing_audio,
            syntheses_saved: stats.syntheses_saved,
            queue_depth: stats.queue_depth,
        }
    }
}

/// Task counts and timings of one engine/device (`services::tasks::DeviceStats`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DeviceStats)]
pub struct DeviceStatsResponse {
    #[schema(required = true)]
    device: Option<String>,
    tasks: i64,
    finished: i64,
    failed: i64,
    #[schema(required = true)]
    avg_synthesis_seconds: Option<f64>,
    #[schema(required = true)]
    avg_real_time_factor: Option<f64>,
    #[schema(required = true)]
    avg_file_size: Option<f64>,
}

impl From<DeviceStats> for DeviceStatsResponse {
    fn from(d: DeviceStats) -> Self {
        DeviceStatsResponse {
            device: d.device,
            tasks: d.tasks,
            finished: d.finished,
            failed: d.failed,
            avg_synthesis_seconds: d.avg_synthesis_seconds,
            avg_real_time_factor: d.avg_real_time_factor,
            avg_file_size: d.avg_file_size,
        }
    }
}

/// `POST /v1/items/tts/retry` → 202.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetryQueued {
    requeued: usize,
    item_ids: Vec<i64>,
}

/// `AudioRefreshResponse` (addendum §4).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AudioRefreshResponse {
    item_id: i64,
    /// The new task's id; a new one on every refresh.
    task_id: String,
    /// Always `queued`.
    status: TaskStatus,
    /// Always `pending`.
    tts_status: ItemTtsStatus,
    /// Where the item's audio is written on the server.
    #[schema(required = true)]
    audio_path: Option<String>,
    /// The configured engine (`TTS_PROVIDER`).
    provider: String,
    /// The voice the new audio is made in; `null` = the engine's default.
    #[schema(required = true)]
    voice: Option<String>,
    /// Always `false`: a refresh never reuses audio.
    cached: bool,
    #[schema(required = true)]
    created_at: Option<Timestamp>,
    #[schema(required = true)]
    updated_at: Option<Timestamp>,
    /// Always `null`.
    #[schema(value_type = Option<Object>, required = true)]
    metadata: Option<()>,
}

/// A new synthesis of the item's current text, bypassing deduplication
/// (addendum §4). The retry route above is the same mechanism for failed
/// items only, with deduplication.
#[utoipa::path(
    post,
    path = "/v1/items/{item_id}/audio/refresh",
    operation_id = "refresh_item_audio",
    summary = "Make an item's audio again",
    tag = "items",
    params(("item_id" = i64, Path, description = "Item id")),
    responses(
        (status = 202, description = "A new task is queued; the item is `pending` until it completes", body = AudioRefreshResponse),
        (status = 404, description = "`Item not found`", body = ErrorDetail),
        (status = 422, response = ValidationFailed),
        (status = 502, description = "`Unable to enqueue audio refresh`: the engine would refuse the text (blank, unsupported language, no engine); the item is unchanged", body = ErrorDetail),
        (status = 500, response = InternalError),
    )
)]
async fn refresh_audio(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<(StatusCode, Json<AudioRefreshResponse>), ApiError> {
    let id = path_id(&raw, "item_id", ITEM_NOT_FOUND)?;
    let refreshed = tasks::refresh_item_audio(&state.db, &state.tts, id)
        .await
        .map_err(during("refresh audio"))?;
    let (item, task) = match refreshed {
        AudioRefresh::Queued { item, task } => (item, task),
        AudioRefresh::Refused(_) => {
            return Err(ApiError::BadGateway(
                "Unable to enqueue audio refresh".to_string(),
            ))
        }
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(AudioRefreshResponse {
            item_id: item.id,
            task_id: task.task_id,
            status: TaskStatus::Queued,
            tts_status: ItemTtsStatus::Pending,
            audio_path: Some(state.tts.store().item_path(item.id).display().to_string()),
            provider: crate::tts::provider_label(state.settings.tts.provider).to_string(),
            voice: task.voice,
            cached: false,
            created_at: Some(Timestamp::from_db(&item.created_at)),
            updated_at: Some(Timestamp::from_db(&item.updated_at)),
            metadata: None,
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/v1/tts/stats",
    operation_id = "tts_stats",
    summary = "Task statistics",
    tag = "tts",
    responses(
        (status = 200, description = "Task counts by status and device, timings, dedupe savings, queue depth", body = TaskStatsResponse),
        (status = 500, response = InternalError),
    )
)]
async fn stats(State(state): State<AppState>) -> Result<Json<TaskStatsResponse>, ApiError> {
    let stats = tasks::stats(&state.db)
        .await
        .map_err(during("get TTS stats"))?;
    Ok(Json(stats.into()))
}

#[utoipa::path(
    post,
    path = "/v1/items/{item_id}/tts/retry",
    operation_id = "retry_item_tts",
    summary = "Retry an item's failed speech",
    tag = "tts",
    params(("item_id" = i64, Path, description = "Item id")),
    responses(
        (status = 202, description = "Queued again; the item is `pending`", body = crate::http::items::ItemResponse),
        (status = 404, description = "`Item not found`", body = ErrorDetail),
        (status = 409, description = "The item's speech has not failed", body = ErrorDetail),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn retry_one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<(StatusCode, Json<ItemResponse>), ApiError> {
    let id = path_id(&raw, "item_id", ITEM_NOT_FOUND)?;
    tasks::retry_item(&state.db, &state.tts, id)
        .await
        .map_err(during("retry TTS"))?;
    let row = items::get(&state.db, id)
        .await
        .map_err(during("retry TTS"))?;
    Ok((StatusCode::ACCEPTED, Json(row.into())))
}

/// Retry every failed item, optionally only those of a locale and carrying
/// every given `tag` (the same filters as `GET /v1/items`).
#[utoipa::path(
    post,
    path = "/v1/items/tts/retry",
    operation_id = "retry_failed_tts",
    summary = "Retry all failed items",
    tag = "tts",
    params(crate::http::openapi::params::RetryFilter),
    responses(
        (status = 202, description = "How many failed items were queued again", body = RetryQueued),
        (status = 500, response = InternalError),
    )
)]
async fn retry_failed(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<(StatusCode, Json<RetryQueued>), ApiError> {
    let q = QueryFields::new(&query);
    let filter = ItemFilter {
        locale: q
            .string("locale")
            .filter(|l| !l.is_empty())
            .map(str::to_string),
        tags: q.strings("tag"),
        ..ItemFilter::default()
    };
    q.finish()?;
    let ids = tasks::retry_failed(&state.db, &state.tts, filter)
        .await
        .map_err(during("retry TTS"))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RetryQueued {
            requeued: ids.len(),
            item_ids: ids,
        }),
    ))
}
