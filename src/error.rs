//! The API's error type: it decides status, body shape (contract §1.5) and
//! logging. Internal causes are logged once and shown only in development.
//!
//! The bodies are typed ([`ErrorDetail`], [`ValidationErrorBody`],
//! [`UncaughtError`]) and the shared OpenAPI responses ([`ValidationFailed`],
//! [`InternalError`], [`PayloadTooLarge`]) are the values these errors turn
//! into, so the document describes what is really sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::{ToResponse, ToSchema};

use crate::services::ServiceError;

/// Error shape A: `{"detail": "<message>"}` — deliberate 4xx answers,
/// router 404/405, and handled 500s (`Failed to <action>`; the cause is
/// appended in development only).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"detail": "Item not found"}))]
pub struct ErrorDetail {
    detail: String,
}

impl ErrorDetail {
    pub fn new(detail: impl Into<String>) -> Self {
        ErrorDetail {
            detail: detail.into(),
        }
    }

    /// This body with `status`.
    pub fn with_status(self, status: StatusCode) -> Response {
        (status, Json(self)).into_response()
    }
}

/// Where a validation problem is: `["body", "<field>"]`,
/// `["body", "items", <index>, "<field>"]`, `["body", <char offset>]`,
/// `["query", "<name>"]` or `["path", "<name>"]`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LocPart {
    Name(String),
    Index(i64),
}

impl From<Value> for LocPart {
    /// Locations are built as JSON names and indices; anything else (never
    /// built) is kept as its JSON text.
    fn from(value: Value) -> Self {
        match value {
            Value::String(name) => LocPart::Name(name),
            Value::Number(n) => match n.as_i64() {
                Some(i) => LocPart::Index(i),
                None => LocPart::Name(n.to_string()),
            },
            other => LocPart::Name(other.to_string()),
        }
    }
}

/// One entry of a 422 validation list (contract §1.5.1).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ValidationIssue)]
pub struct FieldError {
    /// pydantic's error type, e.g. `missing`, `string_too_short`,
    /// `int_parsing`, `value_error`, `json_invalid`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(min_items = 1)]
    pub loc: Vec<LocPart>,
    pub msg: String,
    /// The offending input.
    #[schema(value_type = Value)]
    pub input: Value,
    /// Bounds or reasons, e.g. `{"min_length": 2}`; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub ctx: Option<Value>,
}

impl FieldError {
    pub fn new(kind: &'static str, loc: Vec<Value>, msg: impl Into<String>, input: Value) -> Self {
        FieldError {
            kind,
            loc: loc.into_iter().map(LocPart::from).collect(),
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

/// Error shape B: status 422 with every problem of the request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"detail": [{"type": "missing", "loc": ["body", "text"], "msg": "Field required", "input": {}}]}))]
pub struct ValidationErrorBody {
    #[schema(min_items = 1)]
    detail: Vec<FieldError>,
}

/// Error shape C: an uncaught failure (a panic). `detail` is the panic text
/// in development and `null` in production.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UncaughtError {
    #[schema(example = "Internal server error")]
    error: &'static str,
    #[schema(required = true)]
    detail: Option<String>,
}

impl UncaughtError {
    /// `detail`: the panic text, shown in development only.
    pub fn new(detail: Option<String>) -> Self {
        UncaughtError {
            error: "Internal server error",
            detail,
        }
    }
}

/// A 500: shape A for handled internal errors, shape C for uncaught ones.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum InternalErrorBody {
    Handled(ErrorDetail),
    Uncaught(UncaughtError),
}

/// The request did not validate (error shape B).
#[derive(Debug, ToResponse)]
#[response(description = "Validation failed: error shape B, one entry per problem")]
pub struct ValidationFailed(#[to_schema] ValidationErrorBody);

impl IntoResponse for ValidationFailed {
    fn into_response(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, Json(self.0)).into_response()
    }
}

/// An internal failure (shape A, or shape C when uncaught).
#[derive(Debug, ToResponse)]
#[response(
    description = "Internal error: shape A `Failed to <action>` (cause appended in development), or shape C for an uncaught failure"
)]
pub struct InternalError(#[to_schema] InternalErrorBody);

impl InternalError {
    /// Shape A: `Failed to <action>`, plus the cause in development.
    pub fn handled(detail: impl Into<String>) -> Self {
        InternalError(InternalErrorBody::Handled(ErrorDetail::new(detail)))
    }

    /// Shape C: a panic, with its text in development only.
    pub fn uncaught(detail: Option<String>) -> Self {
        InternalError(InternalErrorBody::Uncaught(UncaughtError::new(detail)))
    }
}

impl IntoResponse for InternalError {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, Json(self.0)).into_response()
    }
}

/// The body exceeds the 8 MiB request limit (shape A).
#[derive(Debug, ToResponse)]
#[response(description = "Request body larger than 8 MiB (shape A)")]
pub struct PayloadTooLarge(#[to_schema] ErrorDetail);

impl IntoResponse for PayloadTooLarge {
    fn into_response(self) -> Response {
        self.0.with_status(StatusCode::PAYLOAD_TOO_LARGE)
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
        let detail = |status: StatusCode, msg: String| ErrorDetail::new(msg).with_status(status);
        match self {
            ApiError::NotFound(msg) => detail(StatusCode::NOT_FOUND, msg),
            ApiError::BadRequest(msg) => detail(StatusCode::BAD_REQUEST, msg),
            ApiError::Conflict(msg) => detail(StatusCode::CONFLICT, msg),
            ApiError::UnprocessableDetail(msg) => detail(StatusCode::UNPROCESSABLE_ENTITY, msg),
            ApiError::Unavailable(msg) => detail(StatusCode::SERVICE_UNAVAILABLE, msg),
            ApiError::BadGateway(msg) => detail(StatusCode::BAD_GATEWAY, msg),
            ApiError::PayloadTooLarge(msg) => {
                PayloadTooLarge(ErrorDetail::new(msg)).into_response()
            }
            ApiError::Validation(errors) => {
                ValidationFailed(ValidationErrorBody { detail: errors }).into_response()
            }
            ApiError::Internal { action, cause } => {
                let mut response =
                    InternalError::handled(format!("Failed to {action}")).into_response();
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
