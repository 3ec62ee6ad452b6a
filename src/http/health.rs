//! `GET /health`: always 200, with per-component checks (contract §3.1).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::domain::timestamp::to_api;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

/// Per-component checks; always 200 (contract §3.1).
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    summary = "Health check",
    tag = "health",
    responses((status = 200, description = "Health, also when unhealthy", body = crate::http::openapi::schemas::Health))
)]
async fn health(State(state): State<AppState>) -> Json<Value> {
    let database = match state.db.ping().await {
        Ok(()) => "healthy".to_string(),
        Err(e) => {
            tracing::error!(error = %e, "health: database check failed");
            "unhealthy".to_string()
        }
    };
    let audio_directory = match probe_audio_dir(&state).await {
        Ok(()) => "healthy".to_string(),
        Err(e) => {
            tracing::error!(error = %e, "health: audio directory check failed");
            "unhealthy".to_string()
        }
    };
    let (tts_service, task_manager) = state.tts.health().await;
    let healthy = database == "healthy"
        && audio_directory == "healthy"
        && !tts_service.starts_with("error")
        && !task_manager.starts_with("error");
    Json(json!({
        "status": if healthy { "healthy" } else { "unhealthy" },
        "checks": {
            "database": database,
            "audio_directory": audio_directory,
            "tts_service": tts_service,
            "task_manager": task_manager,
            "tts_device": state.tts.device(),
            "service": state.settings.app_name,
            "version": state.settings.app_version,
            "timestamp": to_api(state.clock.now()),
        }
    }))
}

/// Distinct probe names, so concurrent health checks do not race.
static PROBE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Write and remove a probe file, proving the directory is usable.
async fn probe_audio_dir(state: &AppState) -> std::io::Result<()> {
    let probe = state.settings.audio_dir.join(format!(
        ".health_probe_{}_{}",
        std::process::id(),
        PROBE_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    tokio::fs::create_dir_all(&state.settings.audio_dir).await?;
    tokio::fs::write(&probe, b"ok").await?;
    tokio::fs::remove_file(&probe).await?;
    let min_free = state.settings.audio_min_free_bytes;
    if min_free > 0 {
        let free = free_bytes(&state.settings.audio_dir)?;
        if free < min_free {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                format!("{free} bytes free, below AUDIO_MIN_FREE_BYTES={min_free}"),
            ));
        }
    }
    Ok(())
}

/// Bytes an unprivileged writer can still use on the directory's filesystem.
fn free_bytes(dir: &std::path::Path) -> std::io::Result<u64> {
    let stats = rustix::fs::statvfs(dir).map_err(std::io::Error::from)?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}
