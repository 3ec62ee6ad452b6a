//! `REQUEST_TIMEOUT_SECONDS`: a handler that has not produced its response
//! head in time is dropped and the client gets 503 `Request timed out`.
//! Only the head is timed: a streamed body (`/v1/audio/speech` sends audio
//! sentence by sentence) and a WebSocket session (served after the 101 head,
//! on its own task) run as long as they need.

use std::future::Future;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::ErrorDetail;

/// The response head of `head`, or 503 when it takes longer than `limit`
/// (`None` = no limit).
pub async fn within(limit: Option<Duration>, head: impl Future<Output = Response>) -> Response {
    let Some(limit) = limit else {
        return head.await;
    };
    match tokio::time::timeout(limit, head).await {
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
        Json(ErrorDetail::new("Request timed out")),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    /// A response head that is ready after `delay`.
    async fn answer(delay: Duration) -> Response {
        tokio::time::sleep(delay).await;
        "done".into_response()
    }

    async fn call(limit: Option<Duration>, delay: Duration) -> (StatusCode, String) {
        let response = within(limit, answer(delay)).await;
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_slow_head_is_cut_with_503() {
        let (status, body) = call(Some(Duration::from_millis(50)), Duration::from_secs(600)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, r#"{"detail":"Request timed out"}"#);
    }

    #[tokio::test]
    async fn fast_heads_and_disabled_timeouts_pass() {
        let on = call(Some(Duration::from_secs(600)), Duration::ZERO).await;
        assert_eq!((on.0, on.1.as_str()), (StatusCode::OK, "done"));
        let off = call(None, Duration::from_millis(200)).await;
        assert_eq!((off.0, off.1.as_str()), (StatusCode::OK, "done"));
    }
}
