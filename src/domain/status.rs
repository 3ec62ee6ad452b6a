//! Item TTS states, task states and kinds, and their database spelling.

use std::fmt;

/// An item's audio state (contract §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemTtsStatus {
    Pending,
    Ready,
    Failed,
}

impl ItemTtsStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemTtsStatus::Pending => "pending",
            ItemTtsStatus::Ready => "ready",
            ItemTtsStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for ItemTtsStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a TTS task exists (addendum §7): made for a new text (`generate`,
/// deduplicated) or by an audio refresh (`regenerate`, never deduplicated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Generate,
    Regenerate,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Generate => "generate",
            TaskKind::Regenerate => "regenerate",
        }
    }
}

/// A TTS task's state (contract §7.3). `completed` and `done` both mean
/// finished (the original wrote either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Queued,
    Processing,
    Completed,
    Done,
    Failed,
}

impl TaskStatus {
    /// Every state, in the order reports list them.
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Queued,
        TaskStatus::Processing,
        TaskStatus::Completed,
        TaskStatus::Done,
        TaskStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Queued => "queued",
            TaskStatus::Processing => "processing",
            TaskStatus::Completed => "completed",
            TaskStatus::Done => "done",
            TaskStatus::Failed => "failed",
        }
    }

    /// The state a stored spelling names; `None` for anything else.
    pub fn parse(text: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Done)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_statuses_round_trip_their_spelling() {
        for status in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(TaskStatus::parse("Queued"), None);
        assert!(TaskStatus::Done.is_finished() && TaskStatus::Completed.is_finished());
        assert!(!TaskStatus::Failed.is_finished());
    }
}
