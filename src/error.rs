//! The API's error type: it decides status, body shape (contract §1.5) and
//! logging. Internal causes are logged once and shown only in development.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use crate::services::ServiceError;

/// One entry of a 422 validation list (shape B).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<Value>,
    pub msg: String,
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl FieldError {
    pub fn new(kind: &'static str, loc: Vec<Value>, msg: impl Into<String>, input: Value) -> Self {
        FieldError {
            kind,
            loc,
            msg: msg.into(),
            input,
            ctx: None,
        }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }
}

/// Everything a handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404 `{"detail": msg}`.
    #[error("{0}")]
    NotFound(String),
    /// 400 `{"detail": msg}`.
    #[error("{0}")]
    BadRequest(String),
    /// 409 `{"detail": msg}`.
    #[error("{0}")]
    Conflict(String),
    /// 422 `{"detail": msg}` (legacy endpoints use this shape for range errors).
    #[error("{0}")]
    UnprocessableDetail(String),
    /// 413 `{"detail": msg}`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 503 `{"detail": msg}`.
    #[error("{0}")]
    Unavailable(String),
    /// 502 `{"detail": msg}`: a service this one relies on (an engine's
    /// queue, a translation provider) refused or failed the request.
    #[error("{0}")]
    BadGateway(String),
    /// 422 `{"detail": [FieldError, …]}`.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 500 `{"detail": "Failed to <action>"}`; the cause is logged, and shown
    /// in development only.
    #[error("Failed to {action}: {cause}")]
    Internal { action: &'static str, cause: String },
}

/// Attached to 500 responses so the error middleware can log the cause once
/// (inside the request span) and add it to the body in development.
#[derive(Debug, Clone)]
pub struct InternalCause {
    pub action: &'static str,
    pub cause: String,
}

impl ApiError {
    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError::Validation(errors)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = |status: StatusCode, msg: String| {
            (status, Json(json!({ "detail": msg }))).into_response()
        };
        match self {
            ApiError::NotFound(msg) => detail(StatusCode::NOT_FOUND, msg),
            ApiError::BadRequest(msg) => detail(StatusCode::BAD_REQUEST, msg),
            ApiError::Conflict(msg) => detail(StatusCode::CONFLICT, msg),
            ApiError::UnprocessableDetail(msg) => detail(StatusCode::UNPROCESSABLE_ENTITY, msg),
            ApiError::Unavailable(msg) => detail(StatusCode::SERVICE_UNAVAILABLE, msg),
            ApiError::BadGateway(msg) => detail(StatusCode::BAD_GATEWAY, msg),
            ApiError::PayloadTooLarge(msg) => detail(StatusCode::PAYLOAD_TOO_LARGE, msg),
            ApiError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "detail": errors })),
            )
                .into_response(),
            ApiError::Internal { action, cause } => {
                let mut response = detail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Failed to {action}"),
                );
                response
                    .extensions_mut()
                    .insert(InternalCause { action, cause });
                response
            }
        }
    }
}

/// `result.map_err(during("create item"))` turns service errors into API
/// errors with the contract's `Failed to <action>` message for internal ones.
pub fn during(action: &'static str) -> impl FnOnce(ServiceError) -> ApiError {
    move |err| match err {
        ServiceError::NotFound(msg) => ApiError::NotFound(msg),
        ServiceError::BadRequest(msg) => ApiError::BadRequest(msg),
        ServiceError::Conflict(msg) => ApiError::Conflict(msg),
        ServiceError::Unavailable(msg) => ApiError::Unavailable(msg),
        ServiceError::Upstream(msg) => ApiError::BadGateway(msg),
        // The store cannot take the request now: a 503 the client may retry
        // (nothing of it was stored: every write is one transaction), logged
        // once here at WARN with its cause.
        ServiceError::Database(e) if crate::db::faults::is_unavailable(&e) => {
            tracing::warn!(action, cause = %e, "database unavailable");
            ApiError::Unavailable(format!(
                "Database unavailable: could not {action}; try again later"
            ))
        }
        ServiceError::Io(e) if storage_unavailable(&e) => {
            tracing::warn!(action, cause = %e, "storage unavailable");
            ApiError::Unavailable(format!(
                "Storage unavailable: could not {action}; try again later"
            ))
        }
        other => ApiError::Internal {
            action,
            cause: other.to_string(),
        },
    }
}

/// File errors that mean the disk cannot take the request now: out of
/// space or quota, mounted read-only, or not writable by the service.
fn storage_unavailable(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(13 | 28 | 30 | 122))
        || matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::ReadOnlyFilesystem
        )
}
