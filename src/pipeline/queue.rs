//! The bounded local queue between submissions and workers. It remembers
//! which task ids are waiting in it, so the takeover sweep (which re-offers
//! claimable tasks from the database) never queues the same id twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

/// The sending side, shared by submissions and the takeover sweep.
#[derive(Debug, Clone)]
pub struct TaskQueue {
    tx: mpsc::Sender<String>,
    waiting: Arc<Mutex<HashSet<String>>>,
}

/// The receiving side, shared by the workers.
#[derive(Debug)]
pub struct TaskReceiver {
    rx: mpsc::Receiver<String>,
    waiting: Arc<Mutex<HashSet<String>>>,
}

/// What became of an offered id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    Queued,
    /// Already waiting in this queue.
    AlreadyWaiting,
    /// The queue is full; the id stays in the database for a later sweep.
    Full,
    /// The workers are gone (shutting down).
    Closed,
}

/// A queue holding at most `capacity` ids.
pub fn channel(capacity: usize) -> (TaskQueue, TaskReceiver) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let waiting = Arc::new(Mutex::new(HashSet::new()));
    (
        TaskQueue {
            tx,
            waiting: waiting.clone(),
        },
        TaskReceiver { rx, waiting },
    )
}

fn lock(set: &Mutex<HashSet<String>>) -> std::sync::MutexGuard<'_, HashSet<String>> {
    // The set holds plain ids; a panic elsewhere cannot leave it inconsistent.
    set.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TaskQueue {
    /// Queue `task_id` unless it is already waiting; never blocks.
    pub fn offer(&self, task_id: String) -> Offer {
        let mut waiting = lock(&self.waiting);
        if waiting.contains(&task_id) {
            return Offer::AlreadyWaiting;
        }
        match self.tx.try_send(task_id.clone()) {
            Ok(()) => {
                waiting.insert(task_id);
                Offer::Queued
            }
            Err(mpsc::error::TrySendError::Full(_)) => Offer::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Offer::Closed,
        }
    }

    /// Queue `task_id`, waiting for room when the queue is full.
    pub async fn send(&self, task_id: String) -> Offer {
        if !lock(&self.waiting).insert(task_id.clone()) {
            return Offer::AlreadyWaiting;
        }
        match self.tx.send(task_id.clone()).await {
            Ok(()) => Offer::Queued,
            Err(_) => {
                lock(&self.waiting).remove(&task_id);
                Offer::Closed
            }
        }
    }

    /// Ids waiting for a worker.
    pub fn depth(&self) -> usize {
        lock(&self.waiting).len()
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl TaskReceiver {
    /// The next id, or `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<String> {
        let task_id = self.rx.recv().await?;
        lock(&self.waiting).remove(&task_id);
        Some(task_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_id_waits_once_and_can_be_offered_again_after_it_left() {
        let (queue, mut rx) = channel(4);
        assert_eq!(queue.offer("a".into()), Offer::Queued);
        assert_eq!(queue.offer("a".into()), Offer::AlreadyWaiting);
        assert_eq!(queue.send("a".into()).await, Offer::AlreadyWaiting);
        assert_eq!(queue.depth(), 1);
        assert_eq!(rx.recv().await.as_deref(), Some("a"));
        assert_eq!(queue.depth(), 0);
        assert_eq!(queue.offer("a".into()), Offer::Queued);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_without_remembering() {
        let (queue, mut rx) = channel(1);
        assert_eq!(queue.offer("a".into()), Offer::Queued);
        assert_eq!(queue.offer("b".into()), Offer::Full);
        assert_eq!(rx.recv().await.as_deref(), Some("a"));
        assert_eq!(queue.offer("b".into()), Offer::Queued);
        drop(rx);
        assert_eq!(queue.offer("c".into()), Offer::Closed);
    }
}
