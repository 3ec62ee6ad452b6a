//! The HTTP surface: resource routers merged in one place, with the
//! middleware stack and the contract's router-level error bodies.

pub mod attempts;
pub mod audio_response;
pub mod auth;
pub mod cors;
pub mod extract;
pub mod guard;
pub mod health;
pub mod items;
pub mod legacy_tts;
pub mod listener;
pub mod metadata;
pub mod metrics;
pub mod openapi;
pub mod page;
pub mod rate_limit;
pub mod sessions;
pub mod speech;
pub mod speech_sse;
pub mod stats;
pub mod tags;
pub mod tasks;
pub mod timeout;
pub mod translations;
pub mod voices;
pub mod wire;

use std::any::Any;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::error::{ErrorDetail, InternalCause, InternalError};
use crate::observability;
use crate::state::AppState;
use crate::telemetry;

/// The complete application service. Trailing slashes are trimmed before
/// routing, so `/v1/items/` reaches `/v1/items` (contract §1.6).
pub fn app(state: AppState) -> NormalizePath<Router> {
    let expose_errors = state.settings.is_development();
    let cors_policy = cors::Cors::new(state.settings.cors.clone());
    let metrics_enabled = state.settings.metrics_enabled;
    let guard = guard::Guard::from_settings(&state.settings);
    auth::log_startup(&state.settings);
    let router = resource_routes(&state)
        .route_layer(middleware::from_fn(record_route))
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT_BYTES))
        .fallback(not_found)
        .with_state(state);
    let router = with_error_bodies(router, expose_errors);
    // Inside CORS and the request id, so refusals carry both.
    let router = match guard {
        Some(guard) => router.layer(middleware::from_fn_with_state(guard, guard::guard)),
        None => router,
    };
    let router =
        with_request_tracing(router.layer(middleware::from_fn_with_state(cors_policy, cors::cors)));
    // Outermost: counts every request with its final status. As a
    // `Router::layer` it runs after routing, so it sees the route template.
    // Without `/metrics` nobody reads the counts, so no layer.
    let router = if metrics_enabled {
        router.layer(observability::http::TrackRequestsLayer::default())
    } else {
        router
    };
    NormalizePathLayer::trim_trailing_slash().layer(router)
}

/// Every resource router, merged.
fn resource_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(metadata::router())
        .merge(items::router())
        .merge(attempts::router())
        .merge(stats::router())
        .merge(tags::router())
        .merge(legacy_tts::router())
        .merge(tasks::router())
        .merge(translations::router())
        .merge(voices::router())
        .merge(speech::router())
        .merge(sessions::router())
        .merge(page::router())
        .merge(metrics::router(state.settings.metrics_enabled))
        .merge(openapi::router(&state.settings))
}

/// The contract's bodies for a wrong method, an internal error and a panic.
fn with_error_bodies(router: Router, expose_errors: bool) -> Router {
    router
        .layer(middleware::from_fn(method_not_allowed_body))
        .layer(middleware::from_fn_with_state(
            expose_errors,
            internal_error_details,
        ))
        .layer(CatchPanicLayer::custom(move |panic| {
            panic_response(panic, expose_errors)
        }))
}

/// The request id (set, then propagated to the response) and the request
/// span with its response and failure logs.
fn with_request_tracing(router: Router) -> Router {
    router
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .on_response(|response: &Response, latency, _: &tracing::Span| {
                    telemetry::log_response(response.status(), latency)
                })
                // A 503 is a documented refusal (request timed out, database
                // or disk unavailable, connection caps): WARN. Other 5xx are
                // faults: ERROR (their cause is logged once by
                // `internal_error_details`).
                .on_failure(
                    |failure: ServerErrorsFailureClass, latency: Duration, _: &tracing::Span| {
                        let ms = latency.as_millis();
                        match failure {
                            ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE) => {
                                tracing::warn!(latency_ms = ms, "service unavailable (503)")
                            }
                            other => tracing::error!(latency_ms = ms, classification = %other, "response failed"),
                        }
                    },
                )
                .make_span_with(|request: &Request<Body>| {
                    let request_id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        route = tracing::field::Empty,
                        path = %request.uri().path(),
                        request_id,
                    )
                }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Put the matched route template (e.g. `/v1/items/{item_id}`) on the
/// request span, so logs group by endpoint rather than by URL.
async fn record_route(request: Request<Body>, next: Next) -> Response {
    if let Some(route) = request.extensions().get::<MatchedPath>() {
        tracing::Span::current().record("route", route.as_str());
    }
    next.run(request).await
}

async fn not_found() -> Response {
    ErrorDetail::new("Not Found").with_status(StatusCode::NOT_FOUND)
}

/// axum answers a wrong method with an empty 405 and an `Allow` header
/// listing every method of the path; add the contract's body.
async fn method_not_allowed_body(request: Request<Body>, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = Body::from(r#"{"detail":"Method Not Allowed"}"#);
    Response::from_parts(parts, body)
}

/// Log each internal error once, inside the request span, and add its cause
/// to the body in development only.
async fn internal_error_details(
    State(expose): State<bool>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let Some(cause) = response.extensions().get::<InternalCause>().cloned() else {
        return response;
    };
    tracing::error!(action = cause.action, cause = %cause.cause, "internal error");
    if !expose {
        return response;
    }
    InternalError::handled(format!("Failed to {}: {}", cause.action, cause.cause)).into_response()
}

/// A panic becomes the contract's shape C instead of a dropped connection.
fn panic_response(panic: Box<dyn Any + Send + 'static>, expose: bool) -> Response {
    let text = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".to_string());
    tracing::error!(panic = %text, "handler panicked");
    InternalError::uncaught(expose.then_some(text)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_panic_is_shape_c_with_its_text_in_development_only() {
        let response = panic_response(Box::new("boom"), true);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body_of(response).await,
            r#"{"error":"Internal server error","detail":"boom"}"#
        );
        let response = panic_response(Box::new(String::from("boom")), false);
        assert_eq!(
            body_of(response).await,
            r#"{"error":"Internal server error","detail":null}"#
        );
    }

    #[tokio::test]
    async fn errors_keep_their_shapes() {
        let internal = crate::error::ApiError::Internal {
            action: "create item",
            cause: "disk".into(),
        };
        let response = internal.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body_of(response).await,
            r#"{"detail":"Failed to create item"}"#
        );
        assert_eq!(
            body_of(not_found().await).await,
            r#"{"detail":"Not Found"}"#
        );
    }
}
