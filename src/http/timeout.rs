//! `REQUEST_TIMEOUT_SECONDS`: a handler that has not produced its response
//! head in time is dropped and the client gets 503 `Request timed out`.
//! Only the head is timed: a streamed body (`/v1/audio/speech` sends audio
//! sentence by sentence) and a WebSocket session (served after the 101 head,
//! on its own task) run as long as they need.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Middleware: `limit` is `None` when the timeout is off.
pub async fn limit_head(
    State(limit): State<Option<Duration>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let Some(limit) = limit else {
        return next.run(request).await;
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_ms = limit.as_millis() as u64, "request timed out");
            timed_out()
        }
    }
}

fn timed_out() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "detail": "Request timed out" })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    /// `/slow` answers after `delay`.
    fn app(limit: Option<Duration>, delay: Duration) -> Router {
        Router::new()
            .route(
                "/slow",
                get(move || async move {
                    tokio::time::sleep(delay).await;
                    "done"
                }),
            )
            .route("/fast", get(|| async { "done" }))
            .layer(from_fn_with_state(limit, limit_head))
    }

    async fn call(app: Router, path: &str) -> (StatusCode, String) {
        let request = Request::builder().uri(path).body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_slow_head_is_cut_with_503() {
        let app = app(Some(Duration::from_millis(50)), Duration::from_secs(600));
        let (status, body) = call(app, "/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, r#"{"detail":"Request timed out"}"#);
    }

    #[tokio::test]
    async fn fast_heads_and_disabled_timeouts_pass() {
        let app_on = app(Some(Duration::from_secs(600)), Duration::ZERO);
        let (status, body) = call(app_on, "/fast").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "done"));
        let app_off = app(None, Duration::from_millis(200));
        let (status, body) = call(app_off, "/slow").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "done"));
    }
}
