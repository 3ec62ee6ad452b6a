//! The most-missed words (`GET /v1/stats/words`): counted over the newest
//! 2,000 attempts from the per-word outcomes stored with each attempt
//! (`domain::word_outcomes`).
//!
//! Why a memo: even with stored outcomes, one count reads 2,000 rows with
//! their items' texts and decodes some 40,000 word results (10–30 ms of CPU),
//! and a page asks for it on every visit. The answer changes only when an
//! attempt is added or removed or an item's text changes, so a count is kept
//! under the version of the data it was made from ([`WordsVersion`]: the
//! attempt totals, the newest attempt id and the newest item change, one
//! indexed read) and answered again while that version stands. The version
//! is read before the rows, so a write landing in between only makes the
//! next call count again; it never keeps an answer older than its version.
//! Concurrent requests for the same version wait for one count.

use std::collections::HashMap;
use std::sync::Arc;

use quick_cache::sync::Cache;

use crate::db::attempt_stats::{self, WordsVersion};
use crate::db::attempts::{self as attempts_db, RecentOutcome, WithReference};
use crate::db::Db;
use crate::domain::lenient;
use crate::domain::word_outcomes::{fingerprint, WordOutcomes};
use crate::services::ServiceError;

/// The newest attempts a count looks at.
pub const WINDOW: i64 = 2_000;
/// The most words one answer lists (the route's `limit` maximum).
pub const MAX_LIMIT: usize = 200;
/// Counts kept (per item filter and data version); each holds at most
/// [`MAX_LIMIT`] words.
const KEPT_COUNTS: usize = 256;

/// A reference word and how often learners missed it.
#[derive(Debug, Clone)]
pub struct MissedWord {
    /// The word as most recently written in an item (punctuation trimmed).
    pub word: String,
    /// Attempts that substituted or left out this word.
    pub missed: i64,
    /// Attempts whose reference contains the word.
    pub seen: i64,
}

/// One count: the most-missed words first, and how many attempts it read.
#[derive(Debug)]
struct Counted {
    words: Vec<MissedWord>,
    considered: usize,
}

/// Counts kept under the data version they were made from.
pub struct MissedWordsMemo {
    counts: Cache<(Option<i64>, WordsVersion), Arc<Counted>>,
}

impl std::fmt::Debug for MissedWordsMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MissedWordsMemo")
            .field("kept", &self.counts.len())
            .finish()
    }
}

impl Default for MissedWordsMemo {
    fn default() -> Self {
        Self {
            counts: Cache::new(KEPT_COUNTS),
        }
    }
}

impl MissedWordsMemo {
    /// The `limit` words missed most often over the newest [`WINDOW`]
    /// attempts (of one item when `item_id` is given), and how many
    /// attempts were read.
    pub async fn missed_words(
        &self,
        db: &Db,
        item_id: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<MissedWord>, usize), ServiceError> {
        let version = attempt_stats::words_version(&db.reader).await?;
        let counted = match self
            .counts
            .get_value_or_guard_async(&(item_id, version))
            .await
        {
            Ok(counted) => counted,
            Err(guard) => {
                let counted = Arc::new(count(db, item_id).await?);
                // Another count of the same version may have been kept in
                // the meantime; either is the same answer.
                let _ = guard.insert(counted.clone());
                counted
            }
        };
        let words = counted.words.iter().take(limit).cloned().collect();
        Ok((words, counted.considered))
    }
}

async fn count(db: &Db, item_id: Option<i64>) -> Result<Counted, ServiceError> {
    let rows = attempts_db::recent_outcomes(&db.reader, item_id, WINDOW).await?;
    let (mut outcomes, stale) = tokio::task::spawn_blocking(move || stored_outcomes(rows))
        .await
        .map_err(blocking_failed)?;
    // Attempts stored before outcomes were, or made against an item text
    // changed since: aligned now, from their own text, in their place (the
    // newest spelling of a word is the one shown).
    let ids: Vec<i64> = stale.iter().map(|(_, id)| *id).collect();
    let stale_rows = if ids.is_empty() {
        Vec::new()
    } else {
        attempts_db::with_reference(&db.reader, &ids).await?
    };
    tokio::task::spawn_blocking(move || {
        let mut aligned: HashMap<i64, WordOutcomes> = stale_rows
            .iter()
            .map(|row| (row.id, aligned_outcomes(row)))
            .collect();
        for (slot, id) in stale {
            outcomes[slot] = aligned.remove(&id);
        }
        tally(outcomes.iter().flatten())
    })
    .await
    .map_err(blocking_failed)
}

fn blocking_failed(e: tokio::task::JoinError) -> ServiceError {
    ServiceError::Other(format!("word statistics task: {e}"))
}

/// Each attempt's stored outcomes where still valid, newest first; `None`
/// (and its slot and id in the second list) where they are missing or were
/// made against an older item text.
fn stored_outcomes(rows: Vec<RecentOutcome>) -> (Vec<Option<WordOutcomes>>, Vec<(usize, i64)>) {
    let mut fingerprints: HashMap<i64, String> = HashMap::new();
    let mut stale = Vec::new();
    let outcomes = rows
        .into_iter()
        .enumerate()
        .map(|(slot, row)| {
            let current = fingerprints
                .entry(row.item_id)
                .or_insert_with(|| fingerprint(&row.item_text, row.item_spoken_text.as_deref()));
            let kept = row
                .word_outcomes
                .as_deref()
                .and_then(|stored| WordOutcomes::decode_matching(stored, current));
            if kept.is_none() {
                stale.push((slot, row.id));
            }
            kept
        })
        .collect();
    (outcomes, stale)
}

/// Counts every word of every outcome; the most-missed first.
fn tally<'a>(outcomes: impl Iterator<Item = &'a WordOutcomes>) -> Counted {
    let mut counts: HashMap<&str, MissedWord> = HashMap::new();
    let mut considered = 0;
    for attempt in outcomes {
        considered += 1;
        for (key, written, got) in &attempt.words {
            let entry = counts.entry(key).or_insert_with(|| MissedWord {
                word: display(written),
                missed: 0,
                seen: 0,
            });
            entry.seen += 1;
            if !got {
                entry.missed += 1;
            }
        }
    }
    let mut words: Vec<MissedWord> = counts.into_values().filter(|w| w.missed > 0).collect();
    words.sort_by(|a, b| {
        b.missed
            .cmp(&a.missed)
            .then(b.seen.cmp(&a.seen))
            .then(a.word.cmp(&b.word))
    });
    words.truncate(MAX_LIMIT);
    Counted { words, considered }
}

/// The attempt's stored word outcomes when they were made against its
/// item's current text; otherwise aligned now.
fn outcomes_of(row: &WithReference) -> WordOutcomes {
    let spoken = row.item_spoken_text.as_deref();
    row.word_outcomes
        .as_deref()
        .and_then(|stored| WordOutcomes::decode_for(stored, &row.item_text, spoken))
        .unwrap_or_else(|| aligned_outcomes(row))
}

fn aligned_outcomes(row: &WithReference) -> WordOutcomes {
    let spoken = row.item_spoken_text.as_deref();
    let assessed = lenient::assess(&row.item_text, spoken, &row.text);
    WordOutcomes::of(&assessed, &row.item_text, spoken)
}

/// Give attempts stored without word outcomes (before they existed, or by
/// other tools) theirs, newest first, in batches on a blocking thread, so
/// `GET /v1/stats/words` soon reads them all. Runs once after start.
pub async fn backfill_word_outcomes(db: &Db) -> Result<u64, ServiceError> {
    const BATCH: i64 = 500;
    let mut before = i64::MAX;
    let mut done = 0u64;
    loop {
        let rows = attempts_db::without_outcomes(&db.reader, before, BATCH).await?;
        let Some(last) = rows.last() else {
            return Ok(done);
        };
        before = last.id;
        let encoded = tokio::task::spawn_blocking(move || {
            rows.iter()
                .map(|row| (row.id, outcomes_of(row).encode()))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| ServiceError::Other(format!("word outcomes task: {e}")))?;
        let mut tx = db.begin_write().await?;
        for (id, outcomes) in &encoded {
            attempts_db::set_outcomes(&mut tx, *id, outcomes).await?;
        }
        tx.commit().await?;
        done += encoded.len() as u64;
    }
}

fn display(written: &str) -> String {
    written
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}
