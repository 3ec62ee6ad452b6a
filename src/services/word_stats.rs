//! The most-missed words (`GET /v1/stats/words`): counted over the newest
//! 2,000 attempts from the per-word outcomes stored with each attempt
//! (`domain::word_outcomes`).
//!
//! Why a kept count: even with stored outcomes, one count reads 2,000 rows
//! with their items' texts and decodes some 40,000 word results (10–30 ms of
//! CPU), and a page asks for it on every visit. The answer changes only when
//! an attempt is added or removed or an item's spoken text changes; the
//! version of the data ([`WordsVersion`]: the attempt totals, the newest
//! attempt id and the count of text changes, one indexed read) says whether
//! any did, and while it stands the kept answer is given again.
//!
//! Why the count over all items slides: under steady practice an attempt
//! lands every few milliseconds, so the version rarely stands, and counting
//! again on every call cost 170–200 ms per call in the 10-minute soak of
//! issue 17 (11,000 calls, CPU the speech engine lacked). The count over all
//! items is therefore kept with the window it was made from and moved on:
//! the attempts added since are read (one statement, which also reads the
//! version of its own snapshot), counted in, and the oldest counted out. It
//! is counted again from scratch whenever that would not give the same
//! answer: attempts removed (the totals disagree with the rows read), a
//! spoken text changed, an added attempt older than the window's newest, or
//! more added than the window holds. Counts of one item are small and kept
//! per version as before. Concurrent requests wait for one count.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use quick_cache::sync::Cache;
use tokio::sync::Mutex;

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
/// Counts of one item kept (per item and data version); each holds at most
/// [`MAX_LIMIT`] words.
const KEPT_COUNTS: usize = 256;
/// Outcomes decoded on the request's task up to this many attempts (a few
/// microseconds each); more go to the blocking pool.
const INLINE_ATTEMPTS: usize = 16;

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

/// Kept counts: the sliding one over all items, and counts of one item under
/// the data version they were made from.
pub struct MissedWordsMemo {
    all: Mutex<Option<Sliding>>,
    per_item: Cache<(i64, WordsVersion), Arc<Counted>>,
}

impl std::fmt::Debug for MissedWordsMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MissedWordsMemo")
            .field("per_item", &self.per_item.len())
            .finish()
    }
}

impl Default for MissedWordsMemo {
    fn default() -> Self {
        Self {
            all: Mutex::new(None),
            per_item: Cache::new(KEPT_COUNTS),
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
        let counted = match item_id {
            None => self.all_items(db).await?,
            Some(item_id) => self.one_item(db, item_id).await?,
        };
        let words = counted.words.iter().take(limit).cloned().collect();
        Ok((words, counted.considered))
    }

    async fn all_items(&self, db: &Db) -> Result<Arc<Counted>, ServiceError> {
        // Unchanged data (the usual case between two attempts) is answered with the version read
        // before taking the count: held across a round trip to the database, the lock made every
        // call wait for the one before it (PostgreSQL, 16 connections: 4,000 calls/s, p99 10 ms).
        let seen = attempt_stats::words_version(&db.reader).await?;
        let mut kept = self.all.lock().await;
        if let Some(answer) = Sliding::answer_at(kept.as_ref(), &seen) {
            return Ok(answer);
        }
        // Changed: read again while holding the count. The version read before may be older
        // than a count another request moved meanwhile, which looks like a change with nothing
        // added (a removal) and counts from scratch.
        let version = attempt_stats::words_version(&db.reader).await?;
        if let Some(answer) = Sliding::answer_at(kept.as_ref(), &version) {
            return Ok(answer);
        }
        // Taken out while it moves: a failed read leaves nothing half moved,
        // and the next call counts from scratch.
        let sliding = match kept.take() {
            Some(mut sliding) => {
                let added =
                    attempts_db::outcomes_after(&db.reader, sliding.newest_id, WINDOW + 1).await?;
                let moves_to = sliding.moves_to(&added);
                tracing::debug!(
                    added = added.len(),
                    moved = moves_to.is_some(),
                    "most-missed words"
                );
                match moves_to {
                    Some(version) => {
                        sliding.take(version, outcomes(db, added).await?);
                        sliding
                    }
                    None => Sliding::count(db, WINDOW as usize).await?,
                }
            }
            None => Sliding::count(db, WINDOW as usize).await?,
        };
        let answer = sliding.answer.clone();
        *kept = Some(sliding);
        Ok(answer)
    }

    async fn one_item(&self, db: &Db, item_id: i64) -> Result<Arc<Counted>, ServiceError> {
        let version = attempt_stats::words_version(&db.reader).await?;
        match self
            .per_item
            .get_value_or_guard_async(&(item_id, version))
            .await
        {
            Ok(counted) => Ok(counted),
            Err(guard) => {
                let rows = attempts_db::recent_outcomes(&db.reader, Some(item_id), WINDOW).await?;
                let counted = Arc::new(Tallies::of(&outcomes(db, rows).await?).answer());
                // Another count of the same version may have been kept in
                // the meantime; either is the same answer.
                let _ = guard.insert(counted.clone());
                Ok(counted)
            }
        }
    }
}

/// Where an attempt stands among the newest: its `created_at`, then its id
/// (the order the count reads them in, newest last).
type Order = (Arc<str>, i64);

fn order_of(row: &RecentOutcome) -> Order {
    (Arc::from(row.created_at.as_str()), row.id)
}

/// The count over all items and the window it was made from.
struct Sliding {
    /// The version of the snapshot the window was last read from.
    version: WordsVersion,
    /// The highest attempt id when the window was last read (attempts above
    /// it were added since; one below it with an older time than the whole
    /// window, as imported history may have, is not read again).
    newest_id: i64,
    /// Newest first.
    window: VecDeque<Outcome>,
    size: usize,
    tallies: Tallies,
    answer: Arc<Counted>,
}

impl Sliding {
    /// Counted from scratch over the newest `size` attempts.
    async fn count(db: &Db, size: usize) -> Result<Self, ServiceError> {
        let rows = attempts_db::recent_outcomes(&db.reader, None, size as i64).await?;
        let version = match rows.first() {
            Some(row) => row.version.clone(),
            // No attempts: nothing read that could disagree with the version.
            None => attempt_stats::words_version(&db.reader).await?,
        };
        Ok(Self::of(version, outcomes(db, rows).await?, size))
    }

    /// The kept answer, when `kept` was counted at `version`.
    fn answer_at(kept: Option<&Self>, version: &WordsVersion) -> Option<Arc<Counted>> {
        kept.filter(|sliding| sliding.version == *version)
            .map(|sliding| sliding.answer.clone())
    }

    /// The count of the attempts of `window` (newest first).
    fn of(version: WordsVersion, window: Vec<Outcome>, size: usize) -> Self {
        let tallies = Tallies::of(&window);
        let window = VecDeque::from(window);
        Self {
            newest_id: version.newest_attempt.unwrap_or(0),
            version,
            window,
            size,
            answer: Arc::new(tallies.answer()),
            tallies,
        }
    }

    /// The version `added` (the attempts above [`Self::newest_id`]) moves the
    /// window to, the one they were read at, when they can move it: they are
    /// all the attempts added (the totals grew by exactly their number, so
    /// none was removed), no spoken text changed, and they do not fill a
    /// window on their own. An added attempt need not be the newest (a commit
    /// may land after a later one): it takes its place, and the oldest go.
    fn moves_to(&self, added: &[RecentOutcome]) -> Option<WordsVersion> {
        let read = &added.first()?.version;
        let moves = read.text_changes == self.version.text_changes
            && read.attempts - self.version.attempts == added.len() as i64
            && added.len() < self.size;
        moves.then(|| read.clone())
    }

    /// Counts `added` (read at `version`) in, each in its place, and the
    /// attempts they push out of the window out.
    fn take(&mut self, version: WordsVersion, added: Vec<Outcome>) {
        for (at, outcome) in added {
            if let Some(outcome) = &outcome {
                self.tallies.add(outcome, &at);
            }
            // Added attempts are mostly the newest: searched from the front.
            let place = self
                .window
                .iter()
                .position(|(other, _)| *other < at)
                .unwrap_or(self.window.len());
            self.window.insert(place, (at, outcome));
        }
        while self.window.len() > self.size {
            if let Some((_, Some(outcome))) = self.window.pop_back() {
                self.tallies.remove(&outcome);
            }
        }
        self.newest_id = version.newest_attempt.unwrap_or(self.newest_id);
        self.version = version;
        self.answer = Arc::new(self.tallies.answer());
    }
}

/// An attempt's place in the order and its word outcomes; none for an
/// attempt gone between two reads.
type Outcome = (Order, Option<WordOutcomes>);

/// Each of `rows` (in their order) with its outcomes: as stored where made
/// against the item's current text, else aligned now (attempts stored before
/// outcomes were, or made against a text changed since).
async fn outcomes(db: &Db, rows: Vec<RecentOutcome>) -> Result<Vec<Outcome>, ServiceError> {
    let order: Vec<Order> = rows.iter().map(order_of).collect();
    let (outcomes, stale) = if rows.len() <= INLINE_ATTEMPTS {
        stored_outcomes(&rows)
    } else {
        tokio::task::spawn_blocking(move || stored_outcomes(&rows))
            .await
            .map_err(blocking_failed)?
    };
    let outcomes = realign(db, outcomes, stale).await?;
    Ok(order.into_iter().zip(outcomes).collect())
}

/// `outcomes` with each stale slot aligned now from its attempt's text.
async fn realign(
    db: &Db,
    mut outcomes: Vec<Option<WordOutcomes>>,
    stale: Vec<(usize, i64)>,
) -> Result<Vec<Option<WordOutcomes>>, ServiceError> {
    if stale.is_empty() {
        return Ok(outcomes);
    }
    let ids: Vec<i64> = stale.iter().map(|(_, id)| *id).collect();
    let stale_rows = attempts_db::with_reference(&db.reader, &ids).await?;
    tokio::task::spawn_blocking(move || {
        let mut aligned: HashMap<i64, WordOutcomes> = stale_rows
            .iter()
            .map(|row| (row.id, aligned_outcomes(row)))
            .collect();
        for (slot, id) in stale {
            outcomes[slot] = aligned.remove(&id);
        }
        outcomes
    })
    .await
    .map_err(blocking_failed)
}

fn blocking_failed(e: tokio::task::JoinError) -> ServiceError {
    ServiceError::Other(format!("word statistics task: {e}"))
}

/// Each attempt's stored outcomes where still valid, in order; `None` (and
/// its slot and id in the second list) where they are missing or were made
/// against an older item text.
fn stored_outcomes(rows: &[RecentOutcome]) -> (Vec<Option<WordOutcomes>>, Vec<(usize, i64)>) {
    let mut fingerprints: HashMap<i64, String> = HashMap::new();
    let mut stale = Vec::new();
    let outcomes = rows
        .iter()
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

/// Per statistics key: the word as shown and how often it was seen and
/// missed.
#[derive(Debug, Default)]
struct Tallies {
    words: HashMap<String, Tally>,
    considered: usize,
}

#[derive(Debug)]
struct Tally {
    /// As written in the newest attempt that has the word (its first
    /// occurrence there), which is `shown_from`.
    word: String,
    shown_from: Order,
    missed: i64,
    seen: i64,
}

impl Tallies {
    /// The count of these attempts (those without outcomes count as nothing).
    fn of(attempts: &[Outcome]) -> Self {
        let mut tallies = Tallies::default();
        for (at, outcome) in attempts {
            if let Some(outcome) = outcome {
                tallies.add(outcome, at);
            }
        }
        tallies
    }

    /// Counts one attempt, at its place `at` in the order.
    fn add(&mut self, attempt: &WordOutcomes, at: &Order) {
        self.considered += 1;
        for (key, written, got) in &attempt.words {
            let entry = self.words.entry(key.clone()).or_insert_with(|| Tally {
                word: display(written),
                shown_from: at.clone(),
                missed: 0,
                seen: 0,
            });
            if entry.shown_from < *at {
                entry.word = display(written);
                entry.shown_from = at.clone();
            }
            entry.seen += 1;
            entry.missed += i64::from(!got);
        }
    }

    /// Counts out the oldest attempt counted: the spelling shown comes from
    /// a newer one, or the word goes.
    fn remove(&mut self, attempt: &WordOutcomes) {
        self.considered -= 1;
        for (key, _, got) in &attempt.words {
            if let Some(entry) = self.words.get_mut(key) {
                entry.seen -= 1;
                entry.missed -= i64::from(!got);
                if entry.seen <= 0 {
                    self.words.remove(key);
                }
            }
        }
    }

    /// The most-missed words first, at most [`MAX_LIMIT`].
    fn answer(&self) -> Counted {
        let order = |a: &&Tally, b: &&Tally| {
            b.missed
                .cmp(&a.missed)
                .then(b.seen.cmp(&a.seen))
                .then(a.word.cmp(&b.word))
        };
        let mut missed: Vec<&Tally> = self.words.values().filter(|w| w.missed > 0).collect();
        if missed.len() > MAX_LIMIT {
            missed.select_nth_unstable_by(MAX_LIMIT, order);
            missed.truncate(MAX_LIMIT);
        }
        missed.sort_by(order);
        Counted {
            words: missed
                .into_iter()
                .map(|t| MissedWord {
                    word: t.word.clone(),
                    missed: t.missed,
                    seen: t.seen,
                })
                .collect(),
            considered: self.considered,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `attempts` attempts, the highest id `newest`, no text changed.
    fn version(attempts: i64, newest: i64) -> WordsVersion {
        WordsVersion {
            attempts,
            percentage_sum: 0,
            newest_attempt: Some(newest),
            text_changes: 0,
        }
    }

    /// Rows without outcomes, as a window holds them.
    fn unread(rows: &[RecentOutcome]) -> Vec<Outcome> {
        rows.iter().map(|r| (order_of(r), None)).collect()
    }

    fn row(id: i64, second: i64, version: &WordsVersion) -> RecentOutcome {
        RecentOutcome {
            id,
            item_id: 1,
            item_text: String::new(),
            item_spoken_text: None,
            word_outcomes: None,
            created_at: format!("2026-01-01T00:00:{second:06}"),
            version: version.clone(),
        }
    }

    /// Each key is written two ways, so which spelling is shown is checked too.
    fn attempt(rng: &mut fastrand::Rng) -> WordOutcomes {
        let words = (0..rng.usize(1..6))
            .map(|_| {
                let key = rng.usize(..8);
                let spelling = rng.usize(..2);
                (format!("k{key}"), format!("w{key}-{spelling}"), rng.bool())
            })
            .collect();
        WordOutcomes {
            reference: String::new(),
            words,
        }
    }

    fn listed(counted: &Counted) -> Vec<(String, i64, i64)> {
        counted
            .words
            .iter()
            .map(|w| (w.word.clone(), w.missed, w.seen))
            .collect()
    }

    /// The count from scratch of the newest `size` of `history`, as
    /// `recent_outcomes` reads them (by created_at, then id), written as
    /// plainly as possible: newest first, a word shown as first met.
    fn scratch(history: &[(RecentOutcome, WordOutcomes)], size: usize) -> Counted {
        let mut newest: Vec<&(RecentOutcome, WordOutcomes)> = history.iter().collect();
        newest.sort_by(|(a, _), (b, _)| (&b.created_at, b.id).cmp(&(&a.created_at, a.id)));
        let mut words: HashMap<&str, MissedWord> = HashMap::new();
        let mut considered = 0;
        for (_, outcome) in newest.into_iter().take(size) {
            considered += 1;
            for (key, written, got) in &outcome.words {
                let entry = words.entry(key).or_insert_with(|| MissedWord {
                    word: display(written),
                    missed: 0,
                    seen: 0,
                });
                entry.seen += 1;
                entry.missed += i64::from(!got);
            }
        }
        let mut words: Vec<MissedWord> = words.into_values().filter(|w| w.missed > 0).collect();
        words.sort_by(|a, b| {
            b.missed
                .cmp(&a.missed)
                .then(b.seen.cmp(&a.seen))
                .then(a.word.cmp(&b.word))
        });
        words.truncate(MAX_LIMIT);
        Counted { words, considered }
    }

    /// Moved on by random runs of added attempts, some committed after later
    /// ones (an older `created_at` than the window's newest), a small window
    /// answers what counting from scratch answers, every time.
    #[test]
    fn a_moved_window_answers_what_a_count_from_scratch_does() {
        const SIZE: usize = 7;
        let mut rng = fastrand::Rng::with_seed(5);
        let mut version = version(3, 3);
        let mut clock = 0;
        let mut history: Vec<(RecentOutcome, WordOutcomes)> = Vec::new();
        let mut add = |history: &mut Vec<_>, version: &WordsVersion, rng: &mut fastrand::Rng| {
            clock += 10;
            let id = history.len() as i64 + 1;
            let at = clock - rng.i64(0..25);
            history.push((row(id, at, version), attempt(rng)));
        };
        for _ in 0..3 {
            add(&mut history, &version, &mut rng);
        }
        let mut first: Vec<_> = history.iter().collect();
        first.sort_by(|(a, _), (b, _)| (&b.created_at, b.id).cmp(&(&a.created_at, a.id)));
        let window = first
            .iter()
            .map(|(r, o)| (order_of(r), Some(o.clone())))
            .collect();
        let mut sliding = Sliding::of(version.clone(), window, SIZE);
        let mut out_of_order = 0;
        for _ in 0..300 {
            let n = rng.usize(1..SIZE);
            version.attempts += n as i64;
            version.newest_attempt = Some(history.len() as i64 + n as i64);
            for _ in 0..n {
                add(&mut history, &version, &mut rng);
            }
            let mut added: Vec<(RecentOutcome, WordOutcomes)> = history[history.len() - n..]
                .iter()
                .map(|(r, o)| {
                    let mut r = r.clone();
                    r.version = version.clone();
                    (r, o.clone())
                })
                .collect();
            added.sort_by(|(a, _), (b, _)| (&b.created_at, b.id).cmp(&(&a.created_at, a.id)));
            let newest_kept = sliding.window.front().map(|(at, _)| at.clone());
            out_of_order += added
                .iter()
                .filter(|(r, _)| newest_kept.as_ref().is_some_and(|k| order_of(r) < *k))
                .count();
            let rows: Vec<RecentOutcome> = added.iter().map(|(r, _)| r.clone()).collect();
            let moves_to = sliding.moves_to(&rows);
            assert_eq!(moves_to.as_ref(), Some(&version));
            let entries = added
                .into_iter()
                .map(|(r, o)| (order_of(&r), Some(o)))
                .collect();
            sliding.take(version.clone(), entries);

            let expected = scratch(&history, SIZE);
            assert_eq!(listed(&sliding.answer), listed(&expected));
            assert_eq!(sliding.answer.considered, expected.considered);
            assert_eq!(sliding.newest_id, history.len() as i64);
        }
        assert!(out_of_order > 50, "{out_of_order} added out of order");
    }

    /// What the window cannot take: removals, a changed text, nothing added,
    /// or a window's worth at once.
    #[test]
    fn a_window_is_counted_again_when_moving_it_would_not_answer_the_same() {
        let read = version(2, 2);
        let rows = vec![row(2, 2, &read), row(1, 1, &read)];
        let sliding = Sliding::of(read.clone(), unread(&rows), 3);
        let next = |attempts: i64, text_changes: i64| WordsVersion {
            text_changes,
            ..version(attempts, 3)
        };
        assert_eq!(
            sliding.moves_to(&[row(3, 3, &next(3, 0))]),
            Some(next(3, 0))
        );
        // Another attempt was removed meanwhile.
        assert_eq!(sliding.moves_to(&[row(3, 3, &next(2, 0))]), None);
        assert_eq!(sliding.moves_to(&[row(3, 3, &next(3, 1))]), None);
        assert_eq!(sliding.moves_to(&[]), None);
        let many: Vec<_> = (3..6).rev().map(|id| row(id, id, &next(5, 0))).collect();
        assert_eq!(sliding.moves_to(&many), None);
    }

    /// Imported history: the highest id may be older than the whole window.
    /// It is not read again as added, so the window still moves.
    #[test]
    fn an_old_attempt_with_the_highest_id_does_not_stop_the_window_moving() {
        let read = version(3, 3);
        // Id 3 was written with the oldest time; a window of 2 holds 2 and 1.
        let rows = vec![row(2, 20, &read), row(1, 10, &read)];
        let sliding = Sliding::of(read, unread(&rows), 2);
        assert_eq!(sliding.newest_id, 3);
        let next = version(4, 4);
        assert_eq!(sliding.moves_to(&[row(4, 30, &next)]), Some(next));
    }
}
