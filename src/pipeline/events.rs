//! Lifecycle events sent by workers to the single monitor task. The step
//! to `processing` is not an event: a worker claims the task in the
//! database itself, because the claim must be atomic across instances.

/// The end of a task's life (contract §7.3).
#[derive(Debug, Clone, PartialEq)]
pub enum TaskEvent {
    /// Audio was written to the task's output file.
    Completed {
        task_id: String,
        file_size: i64,
        sampling_rate: i64,
        duration: f64,
        device: String,
    },
    /// Synthesis or writing failed.
    Failed { task_id: String, error: String },
}
