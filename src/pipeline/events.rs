//! Lifecycle events sent by workers to the single monitor task. The step
//! to `processing` is not an event: a worker claims the task in the
//! database itself, because the claim must be atomic across instances.

use crate::domain::status::FailureClass;

/// The end of a task's life (contract §7.3).
#[derive(Debug, Clone, PartialEq)]
pub enum TaskEvent {
    /// Audio was written to the task's output file; the figures are what
    /// the engine produced (nothing is read back).
    Completed {
        task_id: String,
        file_size: i64,
        sampling_rate: i64,
        duration: f64,
        /// Where it ran (`cpu`, `cuda`, a cloud engine): the task's `device`.
        ran_on: String,
    },
    /// Synthesis or writing failed.
    Failed {
        task_id: String,
        failure: TaskFailure,
    },
}

/// Why a task failed: the class an item reports (`tts_error`) and the
/// engine's or store's own words (the task's `error_message`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TaskFailure {
    pub class: FailureClass,
    pub message: String,
}

impl TaskFailure {
    pub fn new(class: FailureClass, message: impl Into<String>) -> Self {
        TaskFailure {
            class,
            message: message.into(),
        }
    }
}

impl From<crate::speech::SpeechError> for TaskFailure {
    fn from(e: crate::speech::SpeechError) -> Self {
        TaskFailure::new(e.failure_class(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speech::SpeechError;

    #[test]
    fn a_failure_keeps_the_class_of_its_typed_error() {
        let class = |e: SpeechError| TaskFailure::from(e).class;
        assert_eq!(
            class(SpeechError::UnknownVoice("no".into())),
            FailureClass::UnsupportedVoice
        );
        assert_eq!(
            class(SpeechError::TimedOut("slow".into())),
            FailureClass::EngineTimeout
        );
        assert_eq!(
            class(SpeechError::StorageFull("full".into())),
            FailureClass::DiskFull
        );
        assert_eq!(
            class(SpeechError::BadRequest("nothing".into())),
            FailureClass::UnspeakableText
        );
        assert_eq!(
            class(SpeechError::NoEngine),
            FailureClass::EngineUnavailable
        );
        let failure = TaskFailure::from(SpeechError::Failed("engine said no".into()));
        assert_eq!(
            (failure.class, failure.to_string().as_str()),
            (FailureClass::EngineFailed, "engine said no")
        );
    }
}
