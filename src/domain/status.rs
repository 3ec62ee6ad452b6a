//! Item TTS states and their database spelling.

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
