//! The checks behind `GET /health` (contract addendum §3.1): the database,
//! the audio directory, the speech engine and its task workers, each an
//! object `{"status", "detail"?}`, plus the service's identity. Failures
//! are logged with their cause; the answer says only what failed unless
//! `expose_errors` (development) asks for the engine's own words.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::Db;
use crate::services::tts::TtsService;

/// What the checks look at.
#[derive(Debug, Clone, Copy)]
pub struct HealthSources<'a> {
    pub settings: &'a Settings,
    pub db: &'a Db,
    pub tts: &'a TtsService,
    /// Put the engine's failure text into `detail` (development only).
    pub expose_errors: bool,
}

/// `GET /health`: always 200, whatever the checks say.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `healthy` when the four checks are; else `unhealthy`.
    pub status: OverallStatus,
    pub checks: HealthChecks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OverallStatus {
    Healthy,
    Unhealthy,
}

/// One object per check. `tts_device` is additive.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthChecks {
    /// Both pools answer, the SQLite file is the one opened, a write could start.
    pub database: Check,
    /// A probe file can be written in `AUDIO_DIR`, with `AUDIO_MIN_FREE_BYTES` free.
    pub audio_directory: Check,
    /// An engine is loaded and healthy (`detail` `not initialized` without one).
    pub tts_service: Check,
    /// The task workers are running (`detail` `not initialized` without an engine).
    pub task_manager: Check,
    /// Where the engine runs; absent without an engine (additive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tts_device: Option<DeviceInfo>,
    pub service_info: ServiceInfo,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Check {
    pub status: CheckStatus,
    /// What failed, in general words (the cause is in the log).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    fn healthy() -> Self {
        Check {
            status: CheckStatus::Healthy,
            detail: None,
        }
    }

    fn unhealthy(detail: Option<String>) -> Self {
        Check {
            status: CheckStatus::Unhealthy,
            detail,
        }
    }

    fn is_healthy(&self) -> bool {
        self.status == CheckStatus::Healthy
    }
}

/// `error` is the original's value for a check that could not run at
/// all; every check here returns an outcome, so it reports `unhealthy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Healthy,
    Unhealthy,
    Error,
}

/// Entries that inform rather than pass or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Informational {
    Informational,
}

/// The service's identity and the time of the answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceInfo {
    pub status: Informational,
    /// `APP_NAME` (` (Development)` appended in development at the default name).
    pub name: String,
    pub version: String,
    /// Now, UTC with an explicit `+00:00` offset (unlike other timestamps).
    pub timestamp: String,
}

/// The loaded engine's device label, e.g. `cpu`, `cuda:0`, `google-tts-api`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceInfo {
    pub status: Informational,
    pub device: String,
}

/// Run every check.
pub async fn health(sources: HealthSources<'_>) -> HealthResponse {
    let database = match sources.db.ping().await {
        Ok(()) => Check::healthy(),
        Err(e) => {
            tracing::error!(error = %e, "health: database check failed");
            Check::unhealthy(None)
        }
    };
    let audio_directory = match probe_audio_dir(sources.settings).await {
        Ok(()) => Check::healthy(),
        Err(e) => {
            tracing::error!(error = %e, "health: audio directory check failed");
            let detail = if e.kind() == std::io::ErrorKind::StorageFull {
                "free space below AUDIO_MIN_FREE_BYTES"
            } else {
                "cannot write to the audio directory"
            };
            Check::unhealthy(Some(detail.into()))
        }
    };
    let (tts, workers) = sources.tts.health().await;
    let expose = sources.expose_errors;
    let tts_service = engine_check(&tts, "the speech engine reports a failure", expose);
    let task_manager = engine_check(&workers, "the task workers have stopped", expose);
    let healthy = [&database, &audio_directory, &tts_service, &task_manager]
        .iter()
        .all(|c| c.is_healthy());
    HealthResponse {
        status: if healthy {
            OverallStatus::Healthy
        } else {
            OverallStatus::Unhealthy
        },
        checks: HealthChecks {
            database,
            audio_directory,
            tts_service,
            task_manager,
            tts_device: sources.tts.runs_on().map(|device| DeviceInfo {
                status: Informational::Informational,
                device,
            }),
            service_info: ServiceInfo {
                status: Informational::Informational,
                name: sources.settings.app_name.clone(),
                version: sources.settings.app_version.clone(),
                timestamp: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false),
            },
        },
    }
}

/// `healthy`, `not_initialized` or `error: <text>` (from [`TtsService::health`])
/// as a check; the text goes to the log, and to `detail` only when exposed.
fn engine_check(outcome: &str, failure: &str, expose: bool) -> Check {
    match outcome {
        "healthy" => Check::healthy(),
        "not_initialized" => Check::unhealthy(Some("not initialized".into())),
        other => {
            let cause = other.strip_prefix("error: ").unwrap_or(other);
            tracing::warn!(cause, "health: {failure}");
            Check::unhealthy(Some(if expose {
                cause.to_string()
            } else {
                failure.to_string()
            }))
        }
    }
}

/// Distinct probe names, so concurrent health checks do not race.
static PROBE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Write and remove a probe file, proving the directory is usable.
async fn probe_audio_dir(settings: &Settings) -> std::io::Result<()> {
    let probe = settings.audio_dir.join(format!(
        ".health_probe_{}_{}",
        std::process::id(),
        PROBE_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    tokio::fs::create_dir_all(&settings.audio_dir).await?;
    tokio::fs::write(&probe, b"ok").await?;
    tokio::fs::remove_file(&probe).await?;
    let min_free = settings.audio_min_free_bytes;
    if min_free > 0 {
        let free = free_bytes(&settings.audio_dir)?;
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
fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    let stats = rustix::fs::statvfs(dir).map_err(std::io::Error::from)?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_outcomes_become_checks() {
        assert_eq!(engine_check("healthy", "x", false), Check::healthy());
        assert_eq!(
            engine_check("not_initialized", "x", false),
            Check::unhealthy(Some("not initialized".into()))
        );
        let secret = "error: https://internal.example/v1 answered 500";
        assert_eq!(
            engine_check(secret, "the speech engine reports a failure", false),
            Check::unhealthy(Some("the speech engine reports a failure".into()))
        );
        assert_eq!(
            engine_check(secret, "the speech engine reports a failure", true),
            Check::unhealthy(Some("https://internal.example/v1 answered 500".into()))
        );
    }

    #[test]
    fn checks_serialise_as_objects() {
        assert_eq!(
            serde_json::to_value(Check::unhealthy(None)).unwrap(),
            serde_json::json!({ "status": "unhealthy" })
        );
        assert_eq!(
            serde_json::to_value(Check::healthy()).unwrap(),
            serde_json::json!({ "status": "healthy" })
        );
    }
}
