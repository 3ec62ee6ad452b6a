//! The one entry point through which items and legacy clients get audio.
//! Submissions are checked (contract §7.4 order), deduplicated by the MD5 of
//! the text, written as a `queued` task in the same transaction as the item
//! and its link (an item is never committed without its task, so nothing
//! has to repair orphans), and only then put on the bounded queue the
//! workers read.
//!
//! Two things are deduplicated, each in one place. *Tasks* here: the
//! contract (§7.4) makes task reuse visible — a second item of the same
//! text gets the first one's `tts_task_id`, and is `ready` at once when
//! that task is done — so it stays, as bookkeeping of which task an item
//! waits for. *Synthesis* only in the speech cache (`speech::cache`, single
//! flight): a worker asks it for every clip, so a text already spoken by a
//! task, an item or `/v1/audio/speech` costs no engine call; a refresh asks
//! it for a fresh clip.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use md5::{Digest, Md5};
use tokio_util::task::TaskTracker;

use crate::db::items::{self as items_db, ItemRow};
use crate::db::tts_tasks::{self, NewTask, TaskRow};
use crate::db::{Conn, Db};
use crate::domain::spoken;
use crate::domain::status::{FailureClass, ItemTtsStatus, TaskKind, TaskStatus};
use crate::domain::timestamp::unix_now;
use crate::domain::timestamp::{to_db, Clock};
use crate::files::store::AudioStore;
use crate::pipeline::queue::{Offer, TaskQueue};
use crate::services::ServiceError;
use crate::tts::provider::{EngineStatus, TtsProvider, VoiceInfo};

/// What an item needs to be spoken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemToSpeak {
    pub item_id: i64,
    pub locale: String,
    /// The written text (what the learner is scored against).
    pub text: String,
    /// What the engine says (normalised for local engines, or overridden).
    pub spoken: String,
    /// Voice chosen for the item; `None` = the engine's default.
    pub voice: Option<String>,
}

impl ItemToSpeak {
    fn speech(&self) -> Speech<'_> {
        Speech {
            spoken: &self.spoken,
            voice: self.voice.as_deref(),
        }
    }
}

impl From<&ItemRow> for ItemToSpeak {
    fn from(row: &ItemRow) -> Self {
        ItemToSpeak {
            item_id: row.id,
            locale: row.locale.clone(),
            text: row.text.clone(),
            spoken: row.spoken_text.clone().unwrap_or_else(|| row.text.clone()),
            voice: row.voice.clone(),
        }
    }
}

/// Why a submission was refused before reaching an engine (contract §7.4 order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BlankText,
    NoEngine,
    UnsupportedLanguage,
}

impl Refusal {
    /// The failure class an item refused this way reports (`tts_error`).
    pub fn class(self) -> FailureClass {
        match self {
            Refusal::BlankText => FailureClass::BlankText,
            Refusal::NoEngine => FailureClass::EngineUnavailable,
            Refusal::UnsupportedLanguage => FailureClass::UnsupportedLocale,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Refusal::BlankText => "text is blank",
            Refusal::NoEngine => "TTS service not initialized",
            Refusal::UnsupportedLanguage => "language not supported",
        }
    }
}

/// Decide whether a text can be submitted at all.
pub fn check_submission(
    text: &str,
    language: &str,
    engine_ready: bool,
    supported_languages: &[String],
) -> Option<Refusal> {
    if text.trim().is_empty() {
        Some(Refusal::BlankText)
    } else if !engine_ready {
        Some(Refusal::NoEngine)
    } else if !supported_languages.iter().any(|l| l == language) {
        Some(Refusal::UnsupportedLanguage)
    } else {
        None
    }
}

/// The voice after `current` among `voices` of `locale`'s language (in
/// the engine's order, wrapping round), so a refresh is heard in another
/// voice; `current` itself when the engine has fewer than two such voices.
/// Without a current voice the engine's default is the first one, so the
/// second is next.
pub fn next_voice(voices: &[VoiceInfo], locale: &str, current: Option<&str>) -> Option<String> {
    let primary = |code: &str| {
        code.split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let language = primary(locale);
    let names: Vec<&str> = voices
        .iter()
        .filter(|v| primary(&v.language) == language)
        .map(|v| v.name.as_str())
        .collect();
    if names.len() < 2 {
        return current.map(str::to_string);
    }
    let next = current
        .and_then(|c| names.iter().position(|v| *v == c))
        .map_or(1, |i| (i + 1) % names.len());
    names.get(next).map(|v| v.to_string())
}

/// Lowercase hex MD5 of the UTF-8 text: the dedupe key (§7.1).
pub fn text_hash(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Outcome of a legacy submission.
#[derive(Debug)]
pub enum Submitted {
    Task(Box<TaskRow>),
    Refused(Refusal),
}

/// An engine and the queue its workers read.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    pub provider: Arc<dyn TtsProvider>,
    pub queue: TaskQueue,
}

/// Cheap-to-clone handle to the TTS submission machinery.
#[derive(Debug, Clone)]
pub struct TtsService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    clock: Arc<Clock>,
    store: Arc<dyn AudioStore>,
    supported_languages: Vec<String>,
    tracker: TaskTracker,
    engine: Option<EngineHandle>,
    /// Whether engines get the Finnish spoken form (local engines with
    /// `TTS_NORMALIZE`); cloud engines normalise text themselves.
    normalize: bool,
}

/// How submissions behave, from settings.
#[derive(Debug, Clone)]
pub struct SubmissionOptions {
    /// Where item and task audio is written.
    pub store: Arc<dyn AudioStore>,
    pub supported_languages: Vec<String>,
    /// Give the engine the Finnish spoken form (local engines).
    pub normalize: bool,
}

/// What an engine is asked to say, and in which voice.
struct Speech<'a> {
    spoken: &'a str,
    voice: Option<&'a str>,
}

impl Speech<'_> {
    /// The dedupe key: what is heard. Two texts that sound the same share
    /// audio; without a voice the key is the MD5 of the text, as §7.4 says.
    fn key(&self) -> String {
        match self.voice {
            None => text_hash(self.spoken),
            Some(voice) => text_hash(&format!("{}\u{0}{voice}", self.spoken)),
        }
    }
}

/// How an item reaches a task: one mechanism, three paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSubmission {
    /// A new (or re-spoken) item waiting for its first task; deduplicated.
    New,
    /// A failed item sent back (`…/tts/retry`); deduplicated like a new one.
    Retry,
    /// An audio refresh (addendum §4): always a new `regenerate` task,
    /// whatever the item's state, never shared with another text.
    Refresh,
}

/// What [`TtsService::resubmit`] did.
#[derive(Debug)]
pub enum Resubmitted {
    /// The item is `pending` and linked to this task, in one transaction.
    Task(Box<TaskRow>),
    /// Refused before any engine (blank text, no engine, language); the
    /// item is unchanged.
    Refused(Refusal),
    /// The item is gone, or (retry) no longer `failed`.
    Skipped,
}

/// What [`TtsService::attach_in`] did in the caller's transaction.
#[derive(Default)]
struct Attached {
    /// The task that makes (or made) the audio.
    task: Option<TaskRow>,
    /// A new task, to queue once the transaction has committed.
    enqueue: Option<String>,
}

impl Attached {
    fn existing(task: TaskRow) -> Self {
        Attached {
            task: Some(task),
            enqueue: None,
        }
    }
}

/// Who the audio is for.
enum Target<'a> {
    Item { id: i64, how: ItemSubmission },
    Standalone { custom_filename: Option<&'a str> },
}

impl Target<'_> {
    fn kind(&self) -> TaskKind {
        match self {
            Target::Item {
                how: ItemSubmission::Refresh,
                ..
            } => TaskKind::Regenerate,
            _ => TaskKind::Generate,
        }
    }

    fn item_id(&self) -> Option<i64> {
        match self {
            Target::Item { id, .. } => Some(*id),
            Target::Standalone { .. } => None,
        }
    }
}

impl TtsService {
    /// Without an engine every submission is refused and items end
    /// `failed`, as the original did when its TTS service was missing.
    pub fn new(
        db: Db,
        clock: Arc<Clock>,
        options: SubmissionOptions,
        tracker: TaskTracker,
        engine: Option<EngineHandle>,
    ) -> Self {
        TtsService {
            inner: Arc::new(Inner {
                db,
                clock,
                store: options.store,
                supported_languages: options.supported_languages,
                tracker,
                engine,
                normalize: options.normalize,
            }),
        }
    }

    /// What the engine should say for a written text in `language`. The
    /// normaliser is Finnish, so other languages (e.g. an English Piper
    /// voice) get their text unchanged.
    pub fn spoken_form(&self, text: &str, language: &str) -> String {
        let finnish =
            language == "fi" || language.starts_with("fi-") || language.starts_with("fi_");
        if self.inner.normalize && finnish {
            spoken::to_spoken(text)
        } else {
            text.to_string()
        }
    }

    pub fn supported_languages(&self) -> &[String] {
        &self.inner.supported_languages
    }

    /// `/health` values: (`tts_service`, `task_manager`).
    pub async fn health(&self) -> (String, String) {
        let Some(engine) = &self.inner.engine else {
            return ("not_initialized".into(), "not_initialized".into());
        };
        let tts = match engine.provider.health().await {
            Ok(()) => "healthy".to_string(),
            Err(e) => format!("error: {e}"),
        };
        let manager = if engine.queue.is_closed() {
            "error: task workers stopped".to_string()
        } else {
            "healthy".to_string()
        };
        (tts, manager)
    }

    /// Each engine loaded side by side (and each configured one that did
    /// not load), for `/health`; empty without an engine.
    pub async fn engine_statuses(&self) -> Vec<EngineStatus> {
        match &self.inner.engine {
            Some(engine) => engine.provider.engine_statuses().await,
            None => Vec::new(),
        }
    }

    /// The engine, for callers that synthesise outside the task queue (speech on demand).
    pub fn provider(&self) -> Option<Arc<dyn TtsProvider>> {
        self.inner.engine.as_ref().map(|e| e.provider.clone())
    }

    /// Voices of the engine (`GET /v1/voices`); empty without an engine.
    pub fn voices(&self) -> Vec<VoiceInfo> {
        self.inner
            .engine
            .as_ref()
            .map(|e| e.provider.voices())
            .unwrap_or_default()
    }

    /// Task ids waiting in this instance's queue, when an engine is loaded.
    pub fn queue_depth(&self) -> Option<usize> {
        self.inner.engine.as_ref().map(|e| e.queue.depth())
    }

    /// Where the engine runs (`cpu`, `cuda`, or a cloud engine's name),
    /// when one is loaded.
    pub fn runs_on(&self) -> Option<String> {
        self.inner.engine.as_ref().map(|e| e.provider.runs_on())
    }

    /// Give new (or re-spoken) items their tasks inside the caller's
    /// transaction, so an item is never committed without its task (or
    /// without its `failed` state when the engine would refuse it). Returns
    /// the ids of new tasks, to queue once the caller has committed
    /// ([`TtsService::enqueue_all`]).
    pub async fn submit_in(
        &self,
        tx: &mut Conn,
        items: &[ItemToSpeak],
    ) -> Result<Vec<String>, ServiceError> {
        // Every text's lock first, in one order: two transactions with
        // overlapping texts then cannot deadlock (PostgreSQL).
        let mut keys: Vec<String> = items.iter().map(|i| i.speech().key()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in &keys {
            tts_tasks::lock_text(tx, key).await?;
        }
        let mut queue = Vec::new();
        for item in items {
            if let Some(refusal) = self.refusal(&item.text, &item.locale) {
                tracing::warn!(
                    item_id = item.item_id,
                    reason = refusal.reason(),
                    "TTS submission refused"
                );
                let now = to_db(self.inner.clock.now());
                items_db::set_tts_status_from_pending(
                    tx,
                    item.item_id,
                    ItemTtsStatus::Failed,
                    &now,
                )
                .await?;
                continue;
            }
            let target = Target::Item {
                id: item.item_id,
                how: ItemSubmission::New,
            };
            let attached = self
                .attach_in(tx, &item.text, &item.speech(), &item.locale, target)
                .await?;
            queue.extend(attached.enqueue);
        }
        Ok(queue)
    }

    /// Queue tasks whose rows are committed.
    pub fn enqueue_all(&self, task_ids: Vec<String>) {
        for task_id in task_ids {
            self.enqueue(task_id);
        }
    }

    /// Send one item back to the engine now: its pending state, its task
    /// (new, or for a retry possibly one with the same text) and the link
    /// between them are written in one transaction, then the task is
    /// queued. A refresh speaks in the next voice of the item's language
    /// when the engine has several.
    pub async fn resubmit(
        &self,
        item: &ItemRow,
        how: ItemSubmission,
    ) -> Result<Resubmitted, ServiceError> {
        if let Some(refusal) = self.refusal(&item.text, &item.locale) {
            tracing::warn!(
                item_id = item.id,
                reason = refusal.reason(),
                "TTS resubmission refused"
            );
            return Ok(Resubmitted::Refused(refusal));
        }
        let mut to_speak = ItemToSpeak::from(item);
        if how == ItemSubmission::Refresh {
            to_speak.voice = self.next_voice(item);
        }
        let target = Target::Item { id: item.id, how };
        let task = self
            .attach(&to_speak.text, &to_speak.speech(), &to_speak.locale, target)
            .await?;
        Ok(match task {
            Some(task) => Resubmitted::Task(Box::new(task)),
            None => Resubmitted::Skipped,
        })
    }

    /// The voice a refresh of `item` speaks in (see [`next_voice`]).
    fn next_voice(&self, item: &ItemRow) -> Option<String> {
        next_voice(&self.voices(), &item.locale, item.voice.as_deref())
    }

    /// Legacy `/api/v1/tts/convert`: a standalone task.
    pub async fn submit_text(
        &self,
        text: &str,
        language: &str,
        custom_filename: Option<&str>,
    ) -> Result<Submitted, ServiceError> {
        if let Some(refusal) = self.refusal(text, language) {
            return Ok(Submitted::Refused(refusal));
        }
        let spoken = self.spoken_form(text, language);
        let task = self
            .attach(
                text,
                &Speech {
                    spoken: &spoken,
                    voice: None,
                },
                language,
                Target::Standalone { custom_filename },
            )
            .await?
            .ok_or_else(|| ServiceError::Other("standalone task was not created".into()))?;
        Ok(Submitted::Task(Box::new(task)))
    }

    /// Why a text in `language` would be refused before any engine runs.
    pub fn refusal(&self, text: &str, language: &str) -> Option<Refusal> {
        check_submission(
            text,
            language,
            self.inner.engine.is_some(),
            &self.inner.supported_languages,
        )
    }

    /// Where item and task audio lives.
    pub fn store(&self) -> &Arc<dyn AudioStore> {
        &self.inner.store
    }

    /// [`TtsService::attach_in`] in a transaction of its own, then queue
    /// the new task.
    async fn attach(
        &self,
        text: &str,
        speech: &Speech<'_>,
        language: &str,
        target: Target<'_>,
    ) -> Result<Option<TaskRow>, ServiceError> {
        let mut tx = self.inner.db.begin_write().await?;
        let attached = self
            .attach_in(&mut tx, text, speech, language, target)
            .await?;
        tx.commit().await?;
        if let Some(task_id) = attached.enqueue {
            self.enqueue(task_id);
        }
        Ok(attached.task)
    }

    /// Reuse a task with the same text or create one, and link the item,
    /// in the caller's transaction (the task's state is read under the
    /// same lock, so no completion is lost). `task: None`: the item is not
    /// in a state to submit (a concurrent submission got there first).
    async fn attach_in(
        &self,
        tx: &mut Conn,
        text: &str,
        speech: &Speech<'_>,
        language: &str,
        target: Target<'_>,
    ) -> Result<Attached, ServiceError> {
        let hash = speech.key();
        tts_tasks::lock_text(tx, &hash).await?;
        if !self.ready_item(tx, speech, &target).await? {
            return Ok(Attached::default());
        }
        if target.kind() == TaskKind::Generate {
            if let Some(task) = tts_tasks::find_reusable(tx, &hash).await? {
                if let Some(attached) = self.reuse(tx, task, &target).await? {
                    return Ok(attached);
                }
            }
        }
        self.create_task(tx, text, speech, language, &target, &hash)
            .await
    }

    /// Put the target item in the state its submission needs (still
    /// unlinked `pending`; `failed` → `pending` for a retry; anything →
    /// `pending` for a refresh). False: it is not in that state.
    async fn ready_item(
        &self,
        tx: &mut Conn,
        speech: &Speech<'_>,
        target: &Target<'_>,
    ) -> Result<bool, ServiceError> {
        let Target::Item { id, how } = *target else {
            return Ok(true);
        };
        let now = to_db(self.inner.clock.now());
        let ready = match how {
            ItemSubmission::New => items_db::lock_unlinked_pending(tx, id).await?,
            ItemSubmission::Retry => items_db::reset_failed(tx, id, &now).await?,
            ItemSubmission::Refresh => {
                items_db::reset_for_refresh(tx, id, speech.voice, &now).await?
            }
        };
        if !ready {
            tracing::debug!(item_id = id, ?how, "item not in a state to submit; skipped");
        }
        Ok(ready)
    }

    /// Join a running task with the same text, or reuse the audio of a
    /// finished one; `None` when a finished task's audio is gone.
    async fn reuse(
        &self,
        tx: &mut Conn,
        task: TaskRow,
        target: &Target<'_>,
    ) -> Result<Option<Attached>, ServiceError> {
        if !task.is_finished() {
            if let Some(item_id) = target.item_id() {
                items_db::link_task(tx, item_id, &task.task_id).await?;
            }
            tracing::info!(task_id = %task.task_id, "joined a running task with the same text");
            return Ok(Some(Attached::existing(task)));
        }
        let Some(source) = self.surviving_audio(&task).await else {
            tracing::info!(task_id = %task.task_id, "finished task lost its audio; synthesising again");
            return Ok(None);
        };
        if let Some(item_id) = target.item_id() {
            let store = &self.inner.store;
            store.put_file(&source, &store.item_path(item_id)).await?;
            items_db::link_task(tx, item_id, &task.task_id).await?;
            let now = to_db(self.inner.clock.now());
            items_db::set_tts_status_from_pending(tx, item_id, ItemTtsStatus::Ready, &now).await?;
        }
        tracing::info!(task_id = %task.task_id, "reused finished audio for the same text");
        Ok(Some(Attached::existing(task)))
    }

    /// A new `queued` task for the target, linked to its item.
    async fn create_task(
        &self,
        tx: &mut Conn,
        text: &str,
        speech: &Speech<'_>,
        language: &str,
        target: &Target<'_>,
        hash: &str,
    ) -> Result<Attached, ServiceError> {
        let now_ts = self.inner.clock.now();
        let now = to_db(now_ts);
        let task_id = self.unique_task_id(tx, now_ts, hash).await?;
        let (output, custom) = self.task_output(target, &task_id);
        let output_str = output.display().to_string();
        tts_tasks::insert(
            tx,
            &NewTask {
                task_id: &task_id,
                text,
                text_hash: hash,
                output_file_path: &output_str,
                custom_filename: custom.as_deref(),
                language,
                spoken_text: speech.spoken,
                voice: speech.voice,
                kind: target.kind(),
                now: &now,
            },
        )
        .await?;
        if let Some(item_id) = target.item_id() {
            items_db::link_task(tx, item_id, &task_id).await?;
        }
        let task = tts_tasks::get(tx, &task_id)
            .await?
            .ok_or_else(|| ServiceError::Other(format!("task {task_id} vanished")))?;
        Ok(Attached {
            task: Some(task),
            enqueue: Some(task_id),
        })
    }

    /// Where a new task writes its audio, and the name its download gets.
    fn task_output(&self, target: &Target<'_>, task_id: &str) -> (PathBuf, Option<String>) {
        let store = &self.inner.store;
        match target {
            // A refresh writes its own file, placed as the item's audio
            // when it completes: a task still running for the item's old
            // audio cannot overwrite the new one.
            Target::Item {
                id,
                how: ItemSubmission::Refresh,
            } => (
                store.named_path(&format!("tts_{task_id}")),
                Some(format!("item_{id}")),
            ),
            Target::Item { id, .. } => (store.item_path(*id), Some(format!("item_{id}"))),
            // A custom name only names the download: the file is kept
            // under the task's own unique id, so no request can overwrite an
            // item's audio (`item_8`) or another task's file.
            Target::Standalone {
                custom_filename: Some(name),
            } => (
                store.named_path(&format!("tts_{task_id}_{name}")),
                Some((*name).to_string()),
            ),
            Target::Standalone {
                custom_filename: None,
            } => (store.named_path(&format!("tts_{task_id}")), None),
        }
    }

    /// The output of a finished task, when it still exists on disk. When
    /// it is gone (§9.2: deleted with its item) the text is synthesised
    /// again — through the speech cache, which is the one place that
    /// dedupes synthesis, so a clip still cached costs no engine call.
    async fn surviving_audio(&self, task: &TaskRow) -> Option<PathBuf> {
        let path = Path::new(task.output_file_path.as_deref()?);
        self.inner
            .store
            .exists(path)
            .await
            .then(|| path.to_path_buf())
    }

    /// `YYYYmmdd_HHMMSS_<md5[..8]>` as the original, with a counter suffix
    /// when that id is taken (§9.11).
    async fn unique_task_id(
        &self,
        tx: &mut crate::db::Conn,
        now: chrono::NaiveDateTime,
        hash: &str,
    ) -> Result<String, ServiceError> {
        let base = format!("{}_{}", now.format("%Y%m%d_%H%M%S"), &hash[..8]);
        let mut candidate = base.clone();
        let mut n = 1;
        while tts_tasks::exists(tx, &candidate).await? {
            n += 1;
            candidate = format!("{base}_{n}");
        }
        Ok(candidate)
    }

    /// Put a committed task on the queue; waits in the background when full.
    fn enqueue(&self, task_id: String) {
        let Some(engine) = &self.inner.engine else {
            return;
        };
        match engine.queue.offer(task_id.clone()) {
            Offer::Queued | Offer::AlreadyWaiting => {}
            Offer::Full => {
                let queue = engine.queue.clone();
                self.inner.tracker.spawn(async move {
                    if queue.send(task_id).await == Offer::Closed {
                        tracing::warn!("TTS queue closed; task stays queued for a later run");
                    }
                });
            }
            Offer::Closed => {
                tracing::warn!("TTS queue closed; task stays queued for a later run");
            }
        }
    }

    /// Hand this instance the work nobody is doing: tasks queued for longer
    /// than a lease or processing under an expired lease (their instance
    /// died). Safe to run on every instance at once: claims make each task
    /// run once. Items need no repair: each is committed together with its
    /// task. Returns the tasks offered.
    pub async fn take_over(&self, lease: std::time::Duration) -> Result<usize, ServiceError> {
        let Some(engine) = &self.inner.engine else {
            return Ok(0);
        };
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
        let before = to_db(self.inner.clock.now() - lease);
        let mut offered = 0;
        for task_id in tts_tasks::claimable(&self.inner.db.reader, &before, unix_now(), 256).await?
        {
            match engine.queue.offer(task_id) {
                Offer::Queued => offered += 1,
                Offer::AlreadyWaiting => {}
                Offer::Full | Offer::Closed => break,
            }
        }
        Ok(offered)
    }

    /// After a restart: re-enqueue unfinished tasks (their items are
    /// `pending` and linked to them). Returns how many.
    pub async fn resume(&self) -> Result<usize, ServiceError> {
        if self.inner.engine.is_none() {
            return Ok(0);
        }
        let tasks = tts_tasks::unfinished(&self.inner.db.reader).await?;
        let count = tasks.len();
        self.enqueue_all(tasks);
        Ok(count)
    }

    pub async fn get_task(&self, task_id: &str) -> Result<Option<TaskRow>, ServiceError> {
        Ok(tts_tasks::find(&self.inner.db.reader, task_id).await?)
    }

    pub async fn list_tasks(
        &self,
        status: Option<TaskStatus>,
        limit: i64,
    ) -> Result<Vec<TaskRow>, ServiceError> {
        Ok(tts_tasks::list(&self.inner.db.reader, status, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_follow_the_contract_order() {
        let fi = vec!["fi".to_string()];
        assert_eq!(
            check_submission("  ", "en", false, &fi),
            Some(Refusal::BlankText)
        );
        assert_eq!(
            check_submission("hei", "en", false, &fi),
            Some(Refusal::NoEngine)
        );
        assert_eq!(
            check_submission("hei", "fi-FI", true, &fi),
            Some(Refusal::UnsupportedLanguage)
        );
        assert_eq!(check_submission("hei", "fi", true, &fi), None);
    }

    fn voice(name: &str, language: &str) -> VoiceInfo {
        VoiceInfo {
            name: name.to_string(),
            language: language.to_string(),
            sample_rate: 22_050,
            quality: None,
            licence: None,
            provider: "piper".to_string(),
        }
    }

    #[test]
    fn a_refresh_moves_to_the_next_voice_of_the_language() {
        let voices = [
            voice("fi_FI-harri-medium", "fi_FI"),
            voice("en_US-joe-medium", "en_US"),
            voice("fi_FI-asmo-medium", "fi_FI"),
        ];
        let next = |locale, current| next_voice(&voices, locale, current);
        assert_eq!(next("fi", None).as_deref(), Some("fi_FI-asmo-medium"));
        assert_eq!(
            next("fi", Some("fi_FI-harri-medium")).as_deref(),
            Some("fi_FI-asmo-medium")
        );
        assert_eq!(
            next("fi-FI", Some("fi_FI-asmo-medium")).as_deref(),
            Some("fi_FI-harri-medium")
        );
        // One English voice: nothing else to move to.
        assert_eq!(next("en", None), None);
        assert_eq!(
            next("en", Some("en_US-joe-medium")).as_deref(),
            Some("en_US-joe-medium")
        );
        // A voice the engine no longer has: the second of the language.
        assert_eq!(
            next("fi", Some("gone")).as_deref(),
            Some("fi_FI-asmo-medium")
        );
    }

    #[test]
    fn text_hash_is_lowercase_md5() {
        assert_eq!(text_hash(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(text_hash("Hyvää"), text_hash("Hyvää"));
        assert_ne!(text_hash("a"), text_hash("b"));
    }
}
