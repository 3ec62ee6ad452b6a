//! Item TTS states, task states and kinds, and their database spelling.

/// An enum stored and sent as lowercase words: its variants, their
/// spellings, `ALL`, `as_str`, `parse`, `Display`, `Serialize` and
/// `TryFrom<String>` (so `sqlx::FromRow` reads a column straight into it
/// with `#[sqlx(try_from = "String")]`).
macro_rules! spelled {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value a stored spelling names; `None` for anything else.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::status::UnknownSpelling;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                $name::parse(&text).ok_or($crate::domain::status::UnknownSpelling {
                    what: stringify!($name),
                    text,
                })
            }
        }
    };
}
pub(crate) use spelled;

/// A stored word that names no value of the enum read into (a row written
/// by something else than this service).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} cannot be {text:?}")]
pub struct UnknownSpelling {
    pub what: &'static str,
    pub text: String,
}

spelled! {
    /// An item's audio state (contract §6.1).
    ItemTtsStatus {
        Pending => "pending",
        Ready => "ready",
        Failed => "failed",
    }
}

spelled! {
    /// Why a TTS task exists (addendum §7): made for a new text (`generate`,
    /// deduplicated) or by an audio refresh (`regenerate`, never deduplicated).
    TaskKind {
        Generate => "generate",
        Regenerate => "regenerate",
    }
}

spelled! {
    /// A TTS task's state (contract §7.3). `completed` and `done` both mean
    /// finished (the original wrote either).
    TaskStatus {
        Queued => "queued",
        Processing => "processing",
        Completed => "completed",
        Done => "done",
        Failed => "failed",
    }
}

spelled! {
    /// A stored translation's state (addendum §5): rows are written
    /// `completed`; the other two are the original's column vocabulary.
    TranslationStatus {
        Pending => "pending",
        Completed => "completed",
        Failed => "failed",
    }
}

spelled! {
    /// Why an item's speech failed, as a class a page can explain
    /// (`tts_error`); the engine's own words stay in the task's
    /// `error_message`. Stored with a failed task (`tts_tasks.error_class`).
    FailureClass {
        /// The item's language is not one the engine speaks.
        UnsupportedLocale => "unsupported_locale",
        /// No engine, an open circuit, an outage.
        EngineUnavailable => "engine_unavailable",
        BlankText => "blank_text",
        /// Nothing the engine can read (no letters of its alphabet, too long).
        UnspeakableText => "unspeakable_text",
        /// The item's voice is not installed.
        UnsupportedVoice => "unsupported_voice",
        EngineTimeout => "engine_timeout",
        /// No room for the audio.
        DiskFull => "disk_full",
        /// Anything else the engine or the store reported.
        EngineFailed => "engine_failed",
    }
}

impl TaskStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_statuses_round_trip_their_spelling() {
        for &status in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                TaskStatus::try_from(status.as_str().to_string()),
                Ok(status)
            );
        }
        assert_eq!(TaskStatus::parse("Queued"), None);
        assert!(ItemTtsStatus::try_from("Ready".to_string()).is_err());
        assert_eq!(
            serde_json::to_string(&ItemTtsStatus::Ready).ok().as_deref(),
            Some("\"ready\"")
        );
        assert!(TaskStatus::Done.is_finished() && TaskStatus::Completed.is_finished());
        assert!(!TaskStatus::Failed.is_finished());
    }
}
