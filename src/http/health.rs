//! `GET /health`: always 200, with per-component checks as objects
//! (contract addendum §3.1); the checks are [`crate::services::health`].

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::services::health::{self, HealthResponse, HealthSources};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

/// Per-component checks; always 200 (contract addendum §3.1).
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    summary = "Health check",
    tag = "health",
    responses((status = 200, description = "Health, also when unhealthy", body = HealthResponse))
)]
async fn health(State(state): State<AppState>) -> Json<HealthResponse> {
    Json(
        health::health(HealthSources {
            settings: &state.settings,
            db: &state.db,
            tts: &state.tts,
            expose_errors: state.settings.is_development(),
        })
        .await,
    )
}
