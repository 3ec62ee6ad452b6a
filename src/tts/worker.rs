//! Synthesis workers: take a task id from the bounded queue, run the engine
//! (which keeps CPU work off the async runtime), write the WAV atomically,
//! and report each step to the monitor. A worker finishes its current job
//! before honouring shutdown.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, Mutex};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::db::tts_tasks;
use crate::db::Db;
use crate::tts::events::TaskEvent;
use crate::tts::provider::{SynthesisRequest, TtsProvider};
use crate::tts::storage::write_atomic;
use crate::tts::wav::encode_wav_pcm16;

/// What one worker needs.
#[derive(Debug, Clone)]
pub struct Worker {
    pub db: Db,
    pub provider: Arc<dyn TtsProvider>,
    pub events: mpsc::Sender<TaskEvent>,
}

impl Worker {
    /// Run one task to its end and return the final event it sent
    /// (`None` when the task was unknown or already finished).
    pub async fn process_one(&self, task_id: &str) -> Option<TaskEvent> {
        let task = match tts_tasks::find(&self.db.reader, task_id).await {
            Ok(Some(task)) => task,
            Ok(None) => {
                tracing::warn!(task_id, "queued task not found");
                return None;
            }
            Err(e) => {
                tracing::error!(task_id, error = %e, "cannot read queued task");
                return None;
            }
        };
        if task.status != "queued" && task.status != "processing" {
            return None;
        }
        let device = self.provider.device();
        self.send(TaskEvent::Processing {
            task_id: task_id.to_string(),
            device: device.clone(),
        })
        .await;
        let started = std::time::Instant::now();
        let outcome = self.synthesize_to_file(&task).await;
        let event = match outcome {
            Ok((file_size, sampling_rate, duration, spoken_by)) => {
                tracing::info!(
                    task_id,
                    text_len = task.original_text.chars().count(),
                    audio_seconds = duration,
                    compute_seconds = started.elapsed().as_secs_f64(),
                    "synthesis done"
                );
                TaskEvent::Completed {
                    task_id: task_id.to_string(),
                    file_size,
                    sampling_rate,
                    duration,
                    // A fallback chain reports which engine actually spoke.
                    device: spoken_by.unwrap_or(device),
                }
            }
            Err(error) => {
                tracing::warn!(task_id, error = %error, "synthesis failed");
                TaskEvent::Failed {
                    task_id: task_id.to_string(),
                    error,
                }
            }
        };
        self.send(event.clone()).await;
        Some(event)
    }

    async fn synthesize_to_file(
        &self,
        task: &tts_tasks::TaskRow,
    ) -> Result<(i64, i64, f64, Option<String>), String> {
        let output = task
            .output_file_path
            .as_deref()
            .map(PathBuf::from)
            .ok_or_else(|| "task has no output file".to_string())?;
        let request = SynthesisRequest {
            text: task
                .spoken_text
                .clone()
                .unwrap_or_else(|| task.original_text.clone()),
            language: task.language.clone(),
            voice: task.voice.clone(),
            speed: 1.0,
        };
        let audio = self
            .provider
            .synthesize(&request)
            .await
            .map_err(|e| e.to_string())?;
        let wav = encode_wav_pcm16(&audio.samples, audio.sample_rate).map_err(|e| e.to_string())?;
        write_atomic(&output, &wav).await.map_err(|e| {
            tracing::error!(path = %output.display(), error = %e, "cannot write audio");
            "could not write the audio file".to_string()
        })?;
        let duration = audio.samples.len() as f64 / f64::from(audio.sample_rate);
        Ok((
            wav.len() as i64,
            i64::from(audio.sample_rate),
            duration,
            audio.device,
        ))
    }

    async fn send(&self, event: TaskEvent) {
        if self.events.send(event).await.is_err() {
            tracing::error!("task monitor is gone; event dropped");
        }
    }
}

/// Start `count` workers sharing one queue receiver.
pub fn spawn_workers(
    count: usize,
    queue: mpsc::Receiver<String>,
    worker: Worker,
    tracker: &TaskTracker,
    shutdown: CancellationToken,
) {
    let queue = Arc::new(Mutex::new(queue));
    for n in 0..count.max(1) {
        let queue = queue.clone();
        let worker = worker.clone();
        let shutdown = shutdown.clone();
        tracker.spawn(async move {
            loop {
                let next = {
                    let mut rx = queue.lock().await;
                    tokio::select! {
                        () = shutdown.cancelled() => None,
                        task = rx.recv() => task,
                    }
                };
                let Some(task_id) = next else { break };
                worker.process_one(&task_id).await;
            }
            tracing::debug!(worker = n, "TTS worker stopped");
        });
    }
}
