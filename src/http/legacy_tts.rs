//! The legacy task API under `/api/v1/tts` (contract §7.5), kept for
//! clients of the original's local-engine era.

use std::path::Path as FsPath;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use crate::db::tts_tasks::TaskRow;
use crate::domain::limits::MAX_TEXT_LENGTH;
use crate::error::{
    during, ApiError, ErrorDetail, InternalError, PayloadTooLarge, ValidationErrorBody,
    ValidationFailed,
};
use crate::files::store::AudioStore;
use crate::http::audio_response::Binary;
use crate::http::extract::{object_fields, path_text, Fields, JsonBody, QueryFields, RawQuery};
use crate::http::wire::{TaskStatus, Timestamp};
use crate::services::tts::Submitted;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tts", get(list))
        .route("/api/v1/tts/convert", post(convert))
        .route("/api/v1/tts/convert-multiple", post(convert_multiple))
        .route("/api/v1/tts/supported-languages", get(supported_languages))
        .route("/api/v1/tts/{conversion_id}", get(get_one))
        .route("/api/v1/tts/{conversion_id}/download", get(download))
}

/// `TTSTaskResponse` (contract §2.4).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TTSTaskResponse)]
struct TaskResponse {
    conversion_id: String,
    text: String,
    status: TaskStatus,
    #[schema(required = true)]
    output_file_path: Option<String>,
    #[schema(required = true)]
    custom_filename: Option<String>,
    #[schema(required = true)]
    submitted_at: Option<Timestamp>,
    #[schema(required = true)]
    started_at: Option<Timestamp>,
    #[schema(required = true)]
    completed_at: Option<Timestamp>,
    #[schema(required = true)]
    failed_at: Option<Timestamp>,
    #[schema(required = true)]
    file_size: Option<i64>,
    #[schema(required = true)]
    sampling_rate: Option<i64>,
    /// Seconds; only for finished tasks whose file exists.
    #[schema(required = true)]
    duration: Option<f64>,
    #[schema(required = true)]
    device: Option<String>,
    #[schema(required = true)]
    error_message: Option<String>,
}

/// Duration only for finished tasks whose file exists: the engine's value,
/// else the 16-bit size estimate the original used.
async fn duration(store: &dyn AudioStore, task: &TaskRow) -> Option<f64> {
    if !task.is_finished() {
        return None;
    }
    let path = task.output_file_path.as_deref()?;
    if !store.exists(FsPath::new(path)).await {
        return None;
    }
    let reported = task
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .and_then(|m| m.get("duration").and_then(Value::as_f64));
    reported.or_else(|| match (task.file_size, task.sampling_rate) {
        (Some(size), Some(rate)) if rate > 0 => Some(size as f64 / (rate as f64 * 2.0)),
        _ => None,
    })
}

async fn task_response(store: &dyn AudioStore, task: TaskRow) -> TaskResponse {
    let duration = duration(store, &task).await;
    let ts = |v: Option<String>| v.as_deref().map(Timestamp::from_db);
    TaskResponse {
        duration,
        conversion_id: task.task_id,
        text: task.original_text,
        status: task.status,
        output_file_path: task.output_file_path,
        custom_filename: task.custom_filename,
        submitted_at: ts(task.submitted_at),
        started_at: ts(task.started_at),
        completed_at: ts(task.completed_at),
        failed_at: ts(task.failed_at),
        file_size: task.file_size,
        sampling_rate: task.sampling_rate,
        device: task.device,
        error_message: task.error_message,
    }
}

/// A file name without path parts (§9.9); the extension is dropped.
fn custom_filename(fields: &mut Fields<'_, '_>) -> Option<String> {
    let name = fields.string("custom_filename", false, 0, 255)?;
    let trimmed = name.trim();
    if trimmed.contains('/')
        || trimmed.contains('\\')
        || trimmed.contains("..")
        || trimmed.contains('\0')
    {
        fields.value_error(
            "custom_filename",
            "custom_filename must be a plain file name without '/', '\\\\' or '..'",
        );
        return None;
    }
    let stem = trimmed.strip_suffix(".wav").unwrap_or(trimmed);
    (!stem.is_empty()).then(|| stem.to_string())
}

fn language(fields: &mut Fields<'_, '_>) -> Option<String> {
    fields.string("language", false, 2, 10)
}

/// The language of a request that names none (the original's default).
fn language_or_default(language: Option<&str>) -> &str {
    language.unwrap_or("fi")
}

// As `convert` reads it.
/// `POST /api/v1/tts/convert`.
#[derive(Debug, utoipa::ToSchema)]
pub struct ConvertRequest {
    #[schema(min_length = 1, max_length = 10000, example = "Hyvää huomenta!")]
    text: String,
    /// A plain file name (no `/`, `\`, `..` or NUL); `.wav` is dropped.
    #[schema(
        max_length = 255,
        pattern = r"^(?!.*\.\.)[^/\\\u0000]*$",
        example = "tervehdys"
    )]
    custom_filename: Option<String>,
    /// Must be one of `TTS_SUPPORTED_LANGUAGES`, else 503.
    #[schema(min_length = 2, max_length = 10, default = "fi")]
    language: Option<String>,
}

// Checked by `texts_of`.
/// A non-blank text to synthesise.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, pattern = r"\S")]
pub struct NonBlankText(String);

impl NonBlankText {
    /// `text`, which the caller has checked is not blank.
    pub(crate) fn new(text: String) -> Self {
        NonBlankText(text)
    }

    pub(crate) fn into_inner(self) -> String {
        self.0
    }
}

// As `convert_multiple` reads it.
/// `POST /api/v1/tts/convert-multiple`.
#[derive(Debug, utoipa::ToSchema)]
pub struct ConvertMultipleRequest {
    /// 1..100 texts, none blank.
    #[schema(min_items = 1, max_items = 100)]
    texts: Vec<NonBlankText>,
    #[schema(min_length = 2, max_length = 10, default = "fi")]
    language: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/tts/convert",
    operation_id = "legacy_convert",
    summary = "Queue a text for synthesis",
    tag = "legacy-tts",
    request_body = ConvertRequest,
    responses(
        (status = 201, description = "Queued, or the existing task for the same text", body = Converted),
        (status = 503, description = "`Failed to submit TTS task` (blank text, unsupported language, no engine)", body = ErrorDetail),
        (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn convert(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Converted>), ApiError> {
    let mut errors = Vec::new();
    let parsed = object_fields(&body, vec![json!("body")], &mut errors).and_then(|mut f| {
        let text = f.string("text", true, 1, MAX_TEXT_LENGTH);
        let custom_filename = custom_filename(&mut f);
        let language = language(&mut f);
        Some(ConvertRequest {
            text: text?,
            custom_filename,
            language,
        })
    });
    let request = match parsed {
        Some(request) if errors.is_empty() => request,
        _ => return Err(ApiError::validation(errors)),
    };
    let language = language_or_default(request.language.as_deref());
    let submitted = state
        .tts
        .submit_text(&request.text, language, request.custom_filename.as_deref())
        .await
        .map_err(during("process TTS request"))?;
    let task = match submitted {
        Submitted::Task(task) => task,
        Submitted::Refused(refusal) => {
            tracing::warn!(reason = refusal.reason(), "legacy TTS request refused");
            return Err(ApiError::Unavailable("Failed to submit TTS task".into()));
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(Converted {
            conversion_id: task.task_id,
            text: request.text,
            status: task.status,
            submitted_at: task.submitted_at.as_deref().map(Timestamp::from_db),
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/tts/convert-multiple",
    operation_id = "legacy_convert_multiple",
    summary = "Queue several texts",
    tag = "legacy-tts",
    request_body = ConvertMultipleRequest,
    responses(
        (status = 201, description = "Queued; refused texts are skipped", body = ConvertedMultiple),
        (status = 503, description = "`Failed to submit TTS tasks` (all refused)", body = ErrorDetail),
        (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn convert_multiple(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<ConvertedMultiple>), ApiError> {
    let mut errors = Vec::new();
    let parsed = object_fields(&body, vec![json!("body")], &mut errors).and_then(|mut f| {
        let texts = f.list("texts", 1, 100).cloned();
        let language = language(&mut f);
        let texts = texts.and_then(|values| texts_of(&mut f, &values));
        Some(ConvertMultipleRequest {
            texts: texts?,
            language,
        })
    });
    let request = match parsed {
        Some(request) if errors.is_empty() => request,
        _ => return Err(ApiError::validation(errors)),
    };
    let language = language_or_default(request.language.as_deref());
    let texts: Vec<String> = request.texts.into_iter().map(|NonBlankText(t)| t).collect();
    let mut ids = Vec::new();
    let mut first_submitted = None;
    for text in &texts {
        let submitted = state
            .tts
            .submit_text(text, language, None)
            .await
            .map_err(during("process multiple TTS requests"))?;
        if let Submitted::Task(task) = submitted {
            if first_submitted.is_none() {
                first_submitted = task.submitted_at.as_deref().map(Timestamp::from_db);
            }
            ids.push(task.task_id);
        }
    }
    if ids.is_empty() {
        return Err(ApiError::Unavailable("Failed to submit TTS tasks".into()));
    }
    Ok((
        StatusCode::CREATED,
        Json(ConvertedMultiple {
            conversion_ids: ids,
            texts,
            status: "queued",
            submitted_at: first_submitted,
        }),
    ))
}

/// `POST /api/v1/tts/convert` → 201.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Converted {
    conversion_id: String,
    text: String,
    status: TaskStatus,
    #[schema(required = true)]
    submitted_at: Option<Timestamp>,
}

/// `POST /api/v1/tts/convert-multiple` → 201.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConvertedMultiple {
    conversion_ids: Vec<String>,
    /// The request's texts, echoed.
    texts: Vec<String>,
    /// Always `queued`.
    #[schema(example = "queued")]
    status: &'static str,
    #[schema(required = true)]
    submitted_at: Option<Timestamp>,
}

/// Strings only, none blank (`Text item at index <i> cannot be empty`).
fn texts_of(fields: &mut Fields<'_, '_>, values: &[Value]) -> Option<Vec<NonBlankText>> {
    let mut texts = Vec::with_capacity(values.len());
    for value in values {
        match value.as_str() {
            Some(s) => texts.push(s.to_string()),
            None => {
                fields.value_error("texts", "Input should be a valid list of strings");
                return None;
            }
        }
    }
    if let Some(i) = texts.iter().position(|t| t.trim().is_empty()) {
        fields.value_error("texts", &format!("Text item at index {i} cannot be empty"));
        return None;
    }
    Some(texts.into_iter().map(NonBlankText).collect())
}

#[utoipa::path(
    get,
    path = "/api/v1/tts/supported-languages",
    operation_id = "legacy_supported_languages",
    summary = "Supported languages",
    tag = "legacy-tts",
    responses(
        (status = 200, description = "`TTS_SUPPORTED_LANGUAGES`", body = Vec<String>, example = json!(["fi"])),
    )
)]
async fn supported_languages(State(state): State<AppState>) -> Json<Vec<String>> {
    Json(state.tts.supported_languages().to_vec())
}

fn task_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Task with ID '{id}' not found"))
}

#[utoipa::path(
    get,
    path = "/api/v1/tts/{conversion_id}",
    operation_id = "legacy_get_task",
    summary = "Get a task",
    tag = "legacy-tts",
    params(("conversion_id" = String, Path, description = "Task id (`conversion_id`)")),
    responses(
        (status = 200, description = "The task", body = TaskResponse),
        (status = 404, description = "`Task with ID '<id>' not found`", body = ErrorDetail), (status = 500, response = InternalError),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TaskResponse>, ApiError> {
    let id = path_text(id, "conversion_id")?;
    let task = state
        .tts
        .get_task(&id)
        .await
        .map_err(during("retrieve task status"))?
        .ok_or_else(|| task_not_found(&id))?;
    Ok(Json(task_response(state.tts.store().as_ref(), task).await))
}

/// `GET /api/v1/tts` 422: shape A for the original's range messages, shape B
/// for a value that is not an integer.
// Names the two bodies `list` answers 422 with (`ApiError::UnprocessableDetail`
// and `ApiError::Validation` build them); never built as itself.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
pub enum LegacyListError {
    Range(ErrorDetail),
    Invalid(ValidationErrorBody),
}

#[utoipa::path(
    get,
    path = "/api/v1/tts",
    operation_id = "legacy_list_tasks",
    summary = "List tasks",
    tag = "legacy-tts",
    params(crate::http::openapi::params::LegacyListQuery),
    responses(
        (status = 200, description = "Newest first", body = Vec<TaskResponse>),
        (status = 422, description = "Shape A for an unknown `status` or `limit` out of 1..1000; shape B for a non-integer `limit`", body = LegacyListError),
        (status = 500, response = InternalError),
    )
)]
async fn list(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<Vec<TaskResponse>>, ApiError> {
    let mut q = QueryFields::new(&query);
    let status = q.string("status").map(str::to_string);
    let limit = q.int("limit", i64::MIN, i64::MAX);
    q.finish()?;
    let status = match status.as_deref().map(TaskStatus::parse) {
        None => None,
        Some(Some(status)) => Some(status),
        Some(None) => {
            return Err(ApiError::UnprocessableDetail(
                "Invalid status. Must be one of: queued, processing, completed, failed, done"
                    .into(),
            ))
        }
    };
    let limit = limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::UnprocessableDetail(
            "Limit must be between 1 and 1000".into(),
        ));
    }
    let tasks = state
        .tts
        .list_tasks(status, limit)
        .await
        .map_err(during("list tasks"))?;
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task_response(state.tts.store().as_ref(), task).await);
    }
    Ok(Json(out))
}

/// `Content-Disposition: attachment` for a download name (RFC 6266): a
/// name of token characters as it is (`filename=tervehdys.wav`), other
/// printable ASCII as a quoted string with `"` and `\` escaped (so `a;
/// filename=evil.exe` stays one name), anything else percent-encoded as
/// `filename*=UTF-8''…`.
fn content_disposition(name: &str) -> String {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if !name.is_empty() && name.bytes().all(token) {
        return format!("attachment; filename={name}");
    }
    if name.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        return format!("attachment; filename=\"{quoted}\"");
    }
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename*=UTF-8''{encoded}")
}

/// The task's WAV file (`Content-Disposition: attachment; filename=<name>.wav`).
#[utoipa::path(
    get,
    path = "/api/v1/tts/{conversion_id}/download",
    operation_id = "legacy_download",
    summary = "Download a task's audio",
    tag = "legacy-tts",
    params(("conversion_id" = String, Path, description = "Task id (`conversion_id`)")),
    responses(
        (status = 200, description = "The WAV file", content_type = "audio/wav", body = Binary),
        (status = 400, description = "`Task is not completed. Current status: <status>`", body = ErrorDetail),
        (status = 404, description = "`Task with ID '<id>' not found` or `Audio file not found`", body = ErrorDetail),
        (status = 500, response = InternalError),
    )
)]
async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_text(id, "conversion_id")?;
    let task = state
        .tts
        .get_task(&id)
        .await
        .map_err(during("download audio file"))?
        .ok_or_else(|| task_not_found(&id))?;
    if !task.is_finished() {
        return Err(ApiError::BadRequest(format!(
            "Task is not completed. Current status: {}",
            task.status
        )));
    }
    let not_found = || ApiError::NotFound("Audio file not found".into());
    let path = task.output_file_path.clone().ok_or_else(not_found)?;
    let bytes = match state.tts.store().read(FsPath::new(&path)).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
        Err(e) => {
            return Err(ApiError::Internal {
                action: "download audio file",
                cause: e.to_string(),
            })
        }
    };
    let base = task
        .custom_filename
        .clone()
        .unwrap_or_else(|| format!("tts_{}", task.task_id));
    let name = if base.ends_with(".wav") {
        base
    } else {
        format!("{base}.wav")
    };
    Ok((
        [
            (header::CONTENT_TYPE, "audio/wav".to_string()),
            (header::CONTENT_DISPOSITION, content_disposition(&name)),
            (header::ACCEPT_RANGES, "bytes".to_string()),
        ],
        bytes,
    )
        .into_response())
}
