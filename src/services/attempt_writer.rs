//! Group commit for attempts. Why: an attempt is the one write a learner
//! makes many times a minute, and on SQLite every transaction is paid for
//! in full (the single writer's lock, the WAL frames of every page it
//! touched — the attempt, its item's aggregates, the day's and the totals'
//! rows). One writer task takes every attempt that arrived while the
//! previous commit ran and stores them in one transaction; each request is
//! answered only after that commit, so an answered attempt is as durable as
//! one committed alone. No request waits for a timer: a lone attempt is
//! committed at once, batches form only under load.

use std::collections::hash_map::{Entry, HashMap};

use tokio::sync::{mpsc, oneshot};

use crate::db::attempt_stats;
use crate::db::attempts::{self as attempts_db, AttemptRow, NewAttemptRow};
use crate::db::items::{self as items_db, ItemRow};
use crate::db::{Conn, Db};
use crate::domain::alignment::{Alignment, Pair};
use crate::domain::scoring::Score;
use crate::domain::timestamp::{to_db, Clock};
use crate::domain::word_outcomes::WordOutcomes;
use crate::services::attempts::judge;
use crate::services::items::ITEM_NOT_FOUND;
use crate::services::ServiceError;

/// Attempts committed together at most.
const MAX_BATCH: usize = 128;
/// Attempts waiting for the writer at most; more wait for room.
const QUEUE: usize = 1024;

/// An attempt scored against the item as it was read before the write.
#[derive(Debug)]
pub struct Judged {
    pub item_id: i64,
    pub text: String,
    /// The item's text and spoken text the score was computed from.
    pub reference: (String, Option<String>),
    pub score: Score,
    pub assessed: Alignment,
}

/// The stored row and its alignment.
pub type Written = (AttemptRow, Vec<Pair>);

struct Job {
    attempt: Judged,
    reply: oneshot::Sender<Result<Written, ServiceError>>,
}

/// Cheap-to-clone handle of the writer task.
#[derive(Debug, Clone)]
pub struct AttemptWriter {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("item_id", &self.attempt.item_id)
            .finish_non_exhaustive()
    }
}

impl AttemptWriter {
    /// Start the writer; it stops when the last handle is dropped, after
    /// answering every attempt already handed to it.
    pub fn spawn(db: Db, clock: std::sync::Arc<Clock>) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, clock, rx));
        AttemptWriter { jobs }
    }

    /// Store one attempt; returns once its transaction has committed.
    pub async fn write(&self, attempt: Judged) -> Result<Written, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { attempt, reply })
            .await
            .map_err(|_| ServiceError::Unavailable("the attempt writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| ServiceError::Other("the attempt writer dropped an attempt".into()))?
    }
}

async fn run(db: Db, clock: std::sync::Arc<Clock>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&db, &clock, batch).await;
    }
    tracing::debug!("attempt writer stopped");
}

/// Store a batch in one transaction and answer each request. An attempt
/// whose item is gone is answered 404 without touching the others; a
/// database error fails the whole batch (nothing of it is stored).
async fn commit(db: &Db, clock: &Clock, batch: Vec<Job>) {
    let size = batch.len();
    let mut outcomes = Vec::with_capacity(size);
    let stored = async {
        let mut tx = db.begin_write().await?;
        let mut tally = attempt_stats::Tally::default();
        let mut items = HashMap::new();
        for job in &batch {
            outcomes.push(write_one(&mut tx, clock, &job.attempt, &mut items, &mut tally).await?);
        }
        attempt_stats::add_tally(&mut tx, &tally).await?;
        tx.commit().await?;
        Ok::<_, ServiceError>(())
    }
    .await;
    if size > 1 {
        tracing::debug!(size, "attempts committed together");
    }
    match stored {
        Ok(()) => {
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(outcome);
            }
        }
        Err(e) => {
            tracing::warn!(size, error = %e, "attempt batch not stored");
            for job in batch {
                let _ = job.reply.send(Err(copy(&e)));
            }
        }
    }
}

/// The batch's error for each of its requests (a database that cannot
/// write stays a 503 the client may retry).
fn copy(e: &ServiceError) -> ServiceError {
    match e {
        ServiceError::Database(db) if crate::db::faults::is_unavailable(db) => {
            ServiceError::Unavailable(
                "Database unavailable: could not create attempt; try again later".into(),
            )
        }
        ServiceError::Unavailable(m) => ServiceError::Unavailable(m.clone()),
        other => ServiceError::Other(other.to_string()),
    }
}

/// One attempt inside the batch's transaction, counted in `tally` for the batch's aggregates.
/// `items`: the batch's items, each read once in this transaction (every attempt of a batch is
/// judged against its item as the batch first read it). `Ok(Err(_))`: refused (its item is
/// gone) with nothing written; `Err(_)`: the database failed.
async fn write_one(
    tx: &mut Conn,
    clock: &Clock,
    attempt: &Judged,
    items: &mut HashMap<i64, Option<ItemRow>>,
    tally: &mut attempt_stats::Tally,
) -> Result<Result<Written, ServiceError>, ServiceError> {
    let current = match items.entry(attempt.item_id) {
        Entry::Occupied(read) => read.into_mut(),
        Entry::Vacant(slot) => slot.insert(items_db::get(tx, attempt.item_id).await?),
    };
    let Some(current) = current.as_ref() else {
        return Ok(Err(ServiceError::NotFound(ITEM_NOT_FOUND.to_string())));
    };
    // The item changed since the attempt was scored: judge it again.
    let rejudged;
    let (score, assessed) =
        if (&current.text, &current.spoken_text) == (&attempt.reference.0, &attempt.reference.1) {
            (&attempt.score, &attempt.assessed)
        } else {
            rejudged = judge(current, &attempt.text).await?;
            (&rejudged.0, &rejudged.1)
        };
    let now = to_db(clock.now());
    let outcomes =
        WordOutcomes::of(assessed, &current.text, current.spoken_text.as_deref()).encode();
    let row = NewAttemptRow {
        item_id: attempt.item_id,
        text: &attempt.text,
        percentage: score.percentage,
        wer: score.wer,
        words_ref: score.words_ref,
        words_correct: score.words_correct,
        percentage_spoken: assessed.percentage(),
        created_at: &now,
        word_outcomes: Some(&outcomes),
    };
    let id = attempts_db::insert(tx, &row).await?;
    tally.add(&row);
    // The row as stored: every value is bound as is (the id comes back from the insert).
    let stored = AttemptRow {
        id,
        item_id: row.item_id,
        text: attempt.text.clone(),
        percentage: row.percentage,
        wer: row.wer,
        words_ref: row.words_ref,
        words_correct: row.words_correct,
        created_at: now.clone(),
        percentage_spoken: Some(row.percentage_spoken),
    };
    Ok(Ok((stored, assessed.pairs.clone())))
}
