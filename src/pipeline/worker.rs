//! Synthesis workers: take a task id from the bounded queue, claim the task
//! in the database (so no other worker or instance synthesises it), run the
//! engine (which keeps CPU work off the async runtime) while renewing the
//! claim's lease, write the WAV atomically, and report the outcome to the
//! monitor. A worker finishes its current job before honouring shutdown.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Mutex};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::audio::AudioFormat;
use crate::db::tts_tasks::{self, Claim, TaskRow};
use crate::db::Db;
use crate::domain::status::{FailureClass, TaskKind};
use crate::domain::timestamp::{to_db, unix_now, Clock};
use crate::files::is_storage_full;
use crate::files::store::AudioStore;
use crate::pipeline::events::{TaskEvent, TaskFailure};
use crate::pipeline::queue::TaskReceiver;
use crate::speech::cache::Reuse;
use crate::speech::{Clip, SpeechRequest, SpeechService};
use crate::tts::provider::TtsProvider;

/// What one worker needs.
#[derive(Debug, Clone)]
pub struct Worker {
    pub db: Db,
    pub clock: Arc<Clock>,
    pub provider: Arc<dyn TtsProvider>,
    /// Task audio comes through the speech cache, the one place where
    /// synthesis is deduplicated.
    pub speech: SpeechService,
    /// Where the task's output file goes.
    pub store: Arc<dyn AudioStore>,
    pub events: mpsc::Sender<TaskEvent>,
    /// This instance's id, recorded on the tasks it claims.
    pub owner: Arc<str>,
    /// How long a claim holds without renewal; renewed every third of it.
    pub lease: Duration,
}

impl Worker {
    /// Run one task to its end and return the final event it sent
    /// (`None` when the task was unknown, finished, or claimed elsewhere).
    pub async fn process_one(&self, task_id: &str) -> Option<TaskEvent> {
        let ran_on = self.provider.runs_on();
        let task = match self.claim(task_id, &ran_on).await {
            Ok(Some(task)) => task,
            Ok(None) => {
                tracing::debug!(
                    task_id,
                    "task not claimable (finished or claimed elsewhere)"
                );
                return None;
            }
            Err(e) => {
                tracing::error!(task_id, error = %e, "cannot claim task");
                return None;
            }
        };
        let started = std::time::Instant::now();
        let outcome = {
            let _renewal = self.keep_lease(task_id);
            self.synthesize_to_file(&task).await
        };
        let event = match outcome {
            Ok(clip) => {
                tracing::info!(
                    task_id,
                    text_len = task.original_text.chars().count(),
                    audio_seconds = clip.seconds,
                    compute_seconds = started.elapsed().as_secs_f64(),
                    "synthesis done"
                );
                TaskEvent::Completed {
                    task_id: task_id.to_string(),
                    file_size: i64::try_from(clip.audio.size).unwrap_or(i64::MAX),
                    sampling_rate: i64::from(clip.sample_rate),
                    duration: clip.seconds,
                    // A fallback chain reports which engine actually spoke.
                    ran_on: clip.ran_on.unwrap_or(ran_on),
                }
            }
            Err(failure) => {
                tracing::warn!(task_id, class = %failure.class, error = %failure, "synthesis failed");
                TaskEvent::Failed {
                    task_id: task_id.to_string(),
                    failure,
                }
            }
        };
        self.send(event.clone()).await;
        Some(event)
    }

    async fn claim(&self, task_id: &str, ran_on: &str) -> sqlx::Result<Option<TaskRow>> {
        let now_secs = unix_now();
        let claim = Claim {
            owner: &self.owner,
            device: ran_on,
            now: &to_db(self.clock.now()),
            now_secs,
            lease_until: now_secs + self.lease.as_secs() as i64,
        };
        let mut conn = self.db.acquire_write().await?;
        tts_tasks::claim(&mut conn, task_id, &claim).await
    }

    /// Renew the claim every third of the lease until the guard drops.
    fn keep_lease(&self, task_id: &str) -> AbortOnDrop {
        let (pool, owner, lease) = (self.db.writer.clone(), self.owner.clone(), self.lease);
        let task_id = task_id.to_string();
        AbortOnDrop(tokio::spawn(async move {
            let mut ticker = tokio::time::interval((lease / 3).max(Duration::from_millis(100)));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let until = unix_now() + lease.as_secs() as i64;
                match tts_tasks::renew_lease(&pool, &task_id, &owner, until).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(task_id, "lease lost to another worker");
                        break;
                    }
                    Err(e) => tracing::warn!(task_id, error = %e, "cannot renew lease"),
                }
            }
        }))
    }

    /// The task's clip from the speech cache (synthesised there on a miss),
    /// placed at the task's output path. The clip carries what production
    /// measured (rate, length, size, engine); nothing is read back.
    async fn synthesize_to_file(&self, task: &TaskRow) -> Result<Clip, TaskFailure> {
        let output = task
            .output_file_path
            .as_deref()
            .map(PathBuf::from)
            .ok_or_else(|| {
                TaskFailure::new(FailureClass::EngineFailed, "task has no output file")
            })?;
        let request = SpeechRequest {
            text: task
                .spoken_text
                .clone()
                .unwrap_or_else(|| task.original_text.clone()),
            language: task.language.clone(),
            voice: task.voice.clone(),
            speed: 1.0,
            format: AudioFormat::Wav,
            // The engine's own rate.
            sample_rate: 0,
        };
        // An audio refresh always synthesises anew (addendum §4); other
        // tasks take the cached clip of the same speech when there is one.
        let reuse = match task.task_kind {
            TaskKind::Regenerate => Reuse::Fresh,
            TaskKind::Generate => Reuse::Cached,
        };
        let mut clip = self.speech.clip(request.clone(), reuse).await?;
        if clip.reused {
            tracing::info!(task_id = %task.task_id, key = %clip.audio.key, "task audio served from the speech cache");
        }
        let mut placed = self.store.put_file(&clip.audio.path, &output).await;
        if matches!(&placed, Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
            // Another request's eviction removed the clip between its
            // production and this link: ask the cache once more.
            tracing::warn!(task_id = %task.task_id, key = %clip.audio.key, "cached clip evicted before it was linked; asking again");
            clip = self.speech.clip(request, reuse).await?;
            placed = self.store.put_file(&clip.audio.path, &output).await;
        }
        placed.map_err(|e| {
            tracing::error!(path = %output.display(), error = %e, "cannot write audio");
            let class = if is_storage_full(&e) {
                FailureClass::DiskFull
            } else {
                FailureClass::EngineFailed
            };
            TaskFailure::new(class, "could not write the audio file")
        })?;
        Ok(clip)
    }

    async fn send(&self, event: TaskEvent) {
        if self.events.send(event).await.is_err() {
            tracing::error!("task monitor is gone; event dropped");
        }
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Start `count` workers sharing one queue receiver.
pub fn spawn_workers(
    count: usize,
    queue: TaskReceiver,
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
