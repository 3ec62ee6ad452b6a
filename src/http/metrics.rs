//! `GET /metrics`: Prometheus text exposition (`METRICS_ENABLED`, default on).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::observability::{recorder, scrape};
use crate::state::AppState;

/// The content type Prometheus expects for the text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `/metrics` route, or no route (so a 404) when disabled. Enabling
/// installs the process-wide recorder, so events are recorded from the
/// first request on.
pub fn router(enabled: bool) -> Router<AppState> {
    if !enabled {
        return Router::new();
    }
    recorder::install();
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>) -> Response {
    // This application's values first: reading them also creates its
    // engines' recorder series (at 0), which the recorder then renders.
    let own = scrape::render(&state).await;
    let mut body = recorder::render();
    body.push_str(&own);
    ([(header::CONTENT_TYPE, TEXT_FORMAT)], body).into_response()
}
