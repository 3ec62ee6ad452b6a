//! `GET /health`: always 200, with per-component checks as objects
//! (contract addendum §3.1); the checks are [`crate::services::health`],
//! the answer's shape is this module's.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::SecondsFormat;
use serde::Serialize;
use utoipa::ToSchema;

use crate::services::health::{self, HealthSources};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

/// `GET /health`: always 200, whatever the checks say.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `healthy` when the four checks are; else `unhealthy`.
    status: OverallStatus,
    checks: HealthChecks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OverallStatus {
    Healthy,
    Unhealthy,
}

/// One object per check. `tts_device` is additive.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthChecks {
    /// Both pools answer, the SQLite file is the one opened, a write could start.
    database: Check,
    /// A probe file can be written in `AUDIO_DIR`, with `AUDIO_MIN_FREE_BYTES` free.
    audio_directory: Check,
    /// An engine is loaded and healthy (`detail` `not initialized` without one).
    tts_service: Check,
    /// The task workers are running (`detail` `not initialized` without an engine).
    task_manager: Check,
    /// Where the engine runs; absent without an engine (additive).
    #[serde(skip_serializing_if = "Option::is_none")]
    tts_device: Option<DeviceInfo>,
    /// Each speech engine by its `TTS_PROVIDER` name (`local`, `piper`,
    /// `azure`, `gcp`): those loaded side by side and those configured but
    /// not loaded; absent without an engine (additive, informs only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tts_engines: BTreeMap<String, EngineInfo>,
    service_info: ServiceInfo,
}

/// One speech engine's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct EngineInfo {
    status: CheckStatus,
    /// What failed (the cause is in the log; its own words in development).
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    /// The `TTS_PROVIDER` engine: requests naming no voice of another
    /// engine, in no language another engine speaks first, go to it.
    default: bool,
    /// Where it runs; absent when it did not load.
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<String>,
    /// How many voices it owns.
    voices: usize,
    /// Primary language subtags it speaks (`fi`, `en`).
    languages: Vec<String>,
}

impl From<health::EngineReport> for EngineInfo {
    fn from(report: health::EngineReport) -> Self {
        let Check { status, detail } = report.check.into();
        EngineInfo {
            status,
            detail,
            default: report.default,
            device: report.device,
            voices: report.voices,
            languages: report.languages,
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    status: CheckStatus,
    /// What failed, in general words (the cause is in the log).
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
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
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceInfo {
    status: Informational,
    /// `APP_NAME` (` (Development)` appended in development at the default name).
    name: String,
    version: String,
    /// Now, UTC with an explicit `+00:00` offset (unlike other timestamps).
    timestamp: String,
}

/// The loaded engine's device label, e.g. `cpu`, `cuda:0`, `google-tts-api`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceInfo {
    status: Informational,
    device: String,
}

impl From<health::Health> for HealthResponse {
    fn from(h: health::Health) -> Self {
        let status = if h.is_healthy() {
            OverallStatus::Healthy
        } else {
            OverallStatus::Unhealthy
        };
        HealthResponse {
            status,
            checks: HealthChecks {
                database: h.database.into(),
                audio_directory: h.audio_directory.into(),
                tts_service: h.tts_service.into(),
                task_manager: h.task_manager.into(),
                tts_device: h.tts_device.map(|device| DeviceInfo {
                    status: Informational::Informational,
                    device,
                }),
                tts_engines: h
                    .tts_engines
                    .into_iter()
                    .map(|e| (e.name.clone(), e.into()))
                    .collect(),
                service_info: ServiceInfo {
                    status: Informational::Informational,
                    name: h.name,
                    version: h.version,
                    timestamp: h.checked_at.to_rfc3339_opts(SecondsFormat::Micros, false),
                },
            },
        }
    }
}

impl From<health::Check> for Check {
    fn from(check: health::Check) -> Self {
        match check {
            health::Check::Healthy => Check {
                status: CheckStatus::Healthy,
                detail: None,
            },
            health::Check::Unhealthy(detail) => Check {
                status: CheckStatus::Unhealthy,
                detail,
            },
        }
    }
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
    let outcome = health::health(HealthSources {
        settings: &state.settings,
        db: &state.db,
        tts: &state.tts,
        expose_errors: state.settings.is_development(),
    })
    .await;
    Json(outcome.into())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn checks_serialise_as_objects() {
        let json = |check| serde_json::to_value(Check::from(check)).unwrap();
        assert_eq!(
            json(health::Check::Unhealthy(None)),
            serde_json::json!({ "status": "unhealthy" })
        );
        assert_eq!(
            json(health::Check::Unhealthy(Some("gone".into()))),
            serde_json::json!({ "status": "unhealthy", "detail": "gone" })
        );
        assert_eq!(
            json(health::Check::Healthy),
            serde_json::json!({ "status": "healthy" })
        );
    }

    #[test]
    fn the_answer_nests_checks_and_identity() {
        let outcome = health::Health {
            database: health::Check::Healthy,
            audio_directory: health::Check::Healthy,
            tts_service: health::Check::Unhealthy(Some("not initialized".into())),
            task_manager: health::Check::Healthy,
            tts_device: None,
            tts_engines: Vec::new(),
            name: "n".into(),
            version: "1".into(),
            checked_at: Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap(),
        };
        assert_eq!(
            serde_json::to_string(&HealthResponse::from(outcome)).unwrap(),
            concat!(
                r#"{"status":"unhealthy","checks":{"database":{"status":"healthy"},"#,
                r#""audio_directory":{"status":"healthy"},"#,
                r#""tts_service":{"status":"unhealthy","detail":"not initialized"},"#,
                r#""task_manager":{"status":"healthy"},"service_info":{"status":"informational","#,
                r#""name":"n","version":"1","timestamp":"2025-01-02T03:04:05.000000+00:00"}}}"#
            )
        );
    }
}
