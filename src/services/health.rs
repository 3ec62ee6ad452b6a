//! The checks behind `GET /health` (contract addendum §3.1): the database,
//! the audio directory, the speech engine and its task workers, plus the
//! service's identity. Failures are logged with their cause; the outcome
//! says only what failed unless `expose_errors` (development) asks for the
//! engine's own words. The answer's JSON is `http::health`'s.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::db::Db;
use crate::services::tts::TtsService;

/// What the checks look at.
#[derive(Debug, Clone, Copy)]
pub struct HealthSources<'a> {
    pub settings: &'a Settings,
    pub db: &'a Db,
    pub tts: &'a TtsService,
    /// Put the engine's failure text into the check's detail (development only).
    pub expose_errors: bool,
}

/// What the checks found, and who answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// Both pools answer, the SQLite file is the one opened, a write could start.
    pub database: Check,
    /// A probe file can be written in `AUDIO_DIR`, with `AUDIO_MIN_FREE_BYTES` free.
    pub audio_directory: Check,
    /// An engine is loaded and healthy.
    pub tts_service: Check,
    /// The task workers are running.
    pub task_manager: Check,
    /// Where the loaded engine runs (`cpu`, `cuda:0`, …); `None` without one.
    pub tts_device: Option<String>,
    /// Each engine loaded side by side, and each configured one that did
    /// not load; empty without an engine. Informs: the overall status
    /// follows the four checks above.
    pub tts_engines: Vec<EngineReport>,
    /// `APP_NAME` as configured.
    pub name: String,
    pub version: String,
    /// When the checks ran.
    pub checked_at: DateTime<Utc>,
}

impl Health {
    /// Whether all four checks passed.
    pub fn is_healthy(&self) -> bool {
        [
            &self.database,
            &self.audio_directory,
            &self.tts_service,
            &self.task_manager,
        ]
        .iter()
        .all(|check| **check == Check::Healthy)
    }
}

/// One engine under `tts_engines`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineReport {
    /// `TTS_PROVIDER` name: `local`, `piper`, `azure` or `gcp`.
    pub name: String,
    pub check: Check,
    /// Whether it is the configured default (`TTS_PROVIDER`).
    pub default: bool,
    /// Where it runs; `None` when it did not load.
    pub device: Option<String>,
    /// How many voices it owns.
    pub voices: usize,
    /// Primary language subtags it speaks.
    pub languages: Vec<String>,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Healthy,
    /// What failed, in general words (the cause is in the log).
    Unhealthy(Option<String>),
}

/// Run every check.
pub async fn health(sources: HealthSources<'_>) -> Health {
    let database = match sources.db.ping().await {
        Ok(()) => Check::Healthy,
        Err(e) => {
            tracing::error!(error = %e, "health: database check failed");
            Check::Unhealthy(None)
        }
    };
    let audio_directory = match probe_audio_dir(sources.settings).await {
        Ok(()) => Check::Healthy,
        Err(e) => {
            tracing::error!(error = %e, "health: audio directory check failed");
            let detail = if e.kind() == std::io::ErrorKind::StorageFull {
                "free space below AUDIO_MIN_FREE_BYTES"
            } else {
                "cannot write to the audio directory"
            };
            Check::Unhealthy(Some(detail.into()))
        }
    };
    let (tts, workers) = sources.tts.health().await;
    let expose = sources.expose_errors;
    Health {
        database,
        audio_directory,
        tts_service: engine_check(&tts, "the speech engine reports a failure", expose),
        task_manager: engine_check(&workers, "the task workers have stopped", expose),
        tts_device: sources.tts.runs_on(),
        tts_engines: engine_reports(sources.tts, expose).await,
        name: sources.settings.app_name.clone(),
        version: sources.settings.app_version.clone(),
        checked_at: Utc::now(),
    }
}

/// `healthy`, `not_initialized` or `error: <text>` (from [`TtsService::health`])
/// as a check; the text goes to the log, and to `detail` only when exposed.
fn engine_check(outcome: &str, failure: &str, expose: bool) -> Check {
    match outcome {
        "healthy" => Check::Healthy,
        "not_initialized" => Check::Unhealthy(Some("not initialized".into())),
        other => {
            let cause = other.strip_prefix("error: ").unwrap_or(other);
            tracing::warn!(cause, "health: {failure}");
            Check::Unhealthy(Some(if expose {
                cause.to_string()
            } else {
                failure.to_string()
            }))
        }
    }
}

/// Each engine's status; a failure's text goes to the log, and to `detail`
/// only when exposed.
async fn engine_reports(tts: &TtsService, expose: bool) -> Vec<EngineReport> {
    tts.engine_statuses()
        .await
        .into_iter()
        .map(|status| {
            let check = match status.health {
                Ok(()) => Check::Healthy,
                Err(cause) => {
                    tracing::warn!(engine = status.name, cause, "health: TTS engine not usable");
                    let general = if status.device.is_some() {
                        "the engine reports a failure"
                    } else {
                        "configured but not loaded (see the log)"
                    };
                    Check::Unhealthy(Some(if expose { cause } else { general.to_string() }))
                }
            };
            EngineReport {
                name: status.name.to_string(),
                check,
                default: status.default,
                device: status.device,
                voices: status.voices,
                languages: status.languages,
            }
        })
        .collect()
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
        assert_eq!(engine_check("healthy", "x", false), Check::Healthy);
        assert_eq!(
            engine_check("not_initialized", "x", false),
            Check::Unhealthy(Some("not initialized".into()))
        );
        let secret = "error: https://internal.example/v1 answered 500";
        assert_eq!(
            engine_check(secret, "the speech engine reports a failure", false),
            Check::Unhealthy(Some("the speech engine reports a failure".into()))
        );
        assert_eq!(
            engine_check(secret, "the speech engine reports a failure", true),
            Check::Unhealthy(Some("https://internal.example/v1 answered 500".into()))
        );
    }
}
