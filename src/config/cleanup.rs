//! `TASKS_CLEANUP_*`: the scheduled cleanup of old TTS tasks.

use super::{invalid, parse_bool, Raw, SettingsError};

/// Scheduled maintenance of TTS tasks (off by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupSettings {
    /// Run every N hours; 0 = never (`TASKS_CLEANUP_INTERVAL_HOURS`).
    pub interval_hours: u64,
    /// Delete failed tasks older than this many days.
    pub failed_older_than_days: u32,
    /// Also delete finished tasks no item references.
    pub orphans: bool,
}

pub(super) fn parse_cleanup(raw: &Raw) -> Result<CleanupSettings, SettingsError> {
    let interval_hours = raw
        .get("tasks_cleanup_interval_hours")?
        .trim()
        .parse::<u64>()
        .map_err(|_| {
            invalid(
                "tasks_cleanup_interval_hours",
                "expected whole hours, 0 = off",
            )
        })?;
    let failed_older_than_days = raw
        .get("tasks_cleanup_failed_older_than_days")?
        .trim()
        .parse::<u32>()
        .map_err(|_| {
            invalid(
                "tasks_cleanup_failed_older_than_days",
                "expected whole days",
            )
        })?;
    let orphans = parse_bool(&raw.get("tasks_cleanup_orphans")?)
        .ok_or_else(|| invalid("tasks_cleanup_orphans", "expected true or false"))?;
    Ok(CleanupSettings {
        interval_hours,
        failed_older_than_days,
        orphans,
    })
}
