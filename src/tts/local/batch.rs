//! Layout-(a) graphs run in two halves: pieces of text that arrive while a run is being gathered
//! go through the graph's front (text → spectrogram) as one padded batch, then through the
//! vocoder one item at a time on that item's own frames, in windows ([`super::window`]).
//! With a batch of one (the CPU default) this is how the vocoder's memory is bounded.
//!
//! Why: on a GPU a run of the full-size MMS graph costs ~0.19 s whatever the sentence's length
//! (fixed per-run costs: shape ops on the CPU, host↔device copies), so texts queued together
//! should share one run. Why the vocoder is not batched too: it is not masked, so padding would
//! change the end of every shorter item (see [`super::graph_cut`]); per item it is exact, and it is
//! the cheap part on a GPU. Why threads with blocking channels: the callers are already on the
//! blocking pool, and one thread per session pair keeps `ort`'s `&mut Session` runs serial.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ort::session::{Session, SessionInputValue};
use ort::value::Tensor;

use super::model::{length_scales as length_scales_input, run_f32, tensor_i64, Inputs};
use super::window::Windows;
use crate::tts::provider::Urgency;

/// The tensor the graph is cut at, and the graph's output.
pub(crate) const CUT: &str = "spectrogram";
pub(crate) const OUTPUT: &str = "waveform";

type Reply = Result<Vec<f32>, String>;

struct Job {
    ids: Vec<i64>,
    /// The `length_scale` input for this item, when the graph has one.
    length_scale: Option<f32>,
    urgency: Urgency,
    interest: Interest,
    reply: SyncSender<Reply>,
    /// When its caller asked for it.
    queued_at: Instant,
}

/// Whether the caller of [`Batcher::infer`] still wants its pieces; [`Interest::abandon`] is
/// called when the caller's request is dropped (its listener left, or its response timed out).
/// Why: such a request's pieces used to stay queued, and under load the engine spent its time on
/// audio nobody would hear while the next listener's first piece waited behind it (the soak of
/// issue 17). Pieces already running finish; pieces still waiting are skipped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interest(Arc<AtomicBool>);

impl Interest {
    /// Nobody waits for these pieces any more.
    pub(crate) fn abandon(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn abandoned(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// While item pieces and stream pieces both wait, every this many runs one goes to an item
/// piece, so a backlog of item audio neither starves listeners nor is starved by them. Why not
/// by waiting time (an item piece that had waited 10 s longer went first, the first version):
/// under a steady backlog of new items every item piece had waited longer, streams only got the
/// engine between first pieces, and listeners' streams stalled for over a minute mid-sentence
/// (the soak of issue 17).
const STREAM_RUNS_PER_ITEM_RUN: u32 = 3;

/// How long the next piece of a playing stream waits behind first pieces before it goes ahead of
/// them, once (then a first piece again, while both wait). Why: first pieces went first always,
/// and while new requests kept coming, streams already playing waited: in each 10-minute soak
/// of issue 17, 14–20 listeners waited over a minute mid-stream for their next sentence. A stream
/// asks for its next piece as soon as its listener has the previous one, and that one lasts a few
/// seconds spoken (a first piece is up to 80 characters), so a next piece that starts within
/// this long can still come before the listener runs out. The price: a first piece waits for at
/// most one such stream piece more. In two soaks with this rule, 1 and 3 streams stalled (14–20
/// before) while 3 and 2 new requests got no audio within the 30 s timeout (0–1 before): when
/// the engine is over capacity something gives, and now far fewer listeners are failed.
const STREAM_PIECE_MAX_WAIT: Duration = Duration::from_secs(3);

/// The pieces waiting for a batch thread, one first-in-first-out lane per [`Urgency`]. Why not
/// one channel: in order of arrival, a listener's first sentence waited behind every item
/// piece queued before it, and under a steady stream of new items (the soak of issue 17) no
/// speech response got its first audio within the 30 s request timeout.
#[derive(Default)]
struct Queue {
    lanes: Mutex<Lanes>,
    ready: Condvar,
}

#[derive(Default)]
struct Lanes {
    /// Indexed by `Urgency as usize`.
    waiting: [VecDeque<Job>; 3],
    /// Stream pieces taken in a row while an item piece waited.
    streams_in_a_row: u32,
    /// The last piece taken was a stream's, taken ahead of waiting first pieces.
    stream_went_ahead: bool,
    closed: bool,
    /// Pieces dropped unrun because their caller had gone.
    skipped: u64,
}

impl Lanes {
    /// The next job at `now`. A first piece goes first: under load its response head waits for
    /// it, and every other piece's listener either has audio already or nobody listens; but a
    /// stream piece that has waited [`STREAM_PIECE_MAX_WAIT`] goes ahead of it, one at a time.
    /// Then streams, with one item piece after every [`STREAM_RUNS_PER_ITEM_RUN`] stream pieces
    /// while both wait. Each lane is first in, first out.
    fn pop(&mut self, now: Instant) -> Option<Job> {
        let [background, streaming, first] = &mut self.waiting;
        if !first.is_empty() {
            let overdue = streaming.front().is_some_and(|job| {
                now.saturating_duration_since(job.queued_at) >= STREAM_PIECE_MAX_WAIT
            });
            self.stream_went_ahead = overdue && !self.stream_went_ahead;
            return if self.stream_went_ahead {
                streaming.pop_front()
            } else {
                first.pop_front()
            };
        }
        self.stream_went_ahead = false;
        if background.is_empty() {
            return streaming.pop_front();
        }
        if streaming.is_empty() || self.streams_in_a_row >= STREAM_RUNS_PER_ITEM_RUN {
            self.streams_in_a_row = 0;
            return background.pop_front();
        }
        self.streams_in_a_row += 1;
        streaming.pop_front()
    }

    /// The next job whose caller still waits for it; the others are answered and dropped.
    fn next_wanted(&mut self) -> Option<Job> {
        loop {
            let job = self.pop(Instant::now())?;
            if !job.interest.abandoned() {
                return Some(job);
            }
            self.skipped += 1;
            let _ = job.reply.send(Err("abandoned by its caller".to_owned()));
        }
    }
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lanes = self.lock();
        f.debug_struct("Queue")
            .field("waiting", &lanes.waiting.each_ref().map(VecDeque::len))
            .field("closed", &lanes.closed)
            .finish()
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, Lanes> {
        // A panic while holding the lock leaves the lanes usable.
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, job: Job) -> Result<(), String> {
        let mut lanes = self.lock();
        if lanes.closed {
            return Err("the batch threads have stopped".to_owned());
        }
        lanes.waiting[job.urgency as usize].push_back(job);
        drop(lanes);
        self.ready.notify_one();
        Ok(())
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }
}

/// The front and vocoder sessions of one worker.
pub(crate) struct Pair {
    pub front: Session,
    pub vocoder: Session,
}

/// Hands pieces to the batch threads; dropping it stops them once their queue is empty.
#[derive(Debug)]
pub(crate) struct Batcher {
    queue: Arc<Queue>,
    max: usize,
    threads: usize,
    counts: Arc<Counts>,
}

/// Runs made, pieces they carried and vocoder runs (one per window), since start.
#[derive(Debug, Default)]
struct Counts {
    runs: AtomicU64,
    pieces: AtomicU64,
    vocoder_runs: AtomicU64,
}

impl Batcher {
    /// One thread per session pair; each gathers up to `max` pieces, waiting at most `wait`
    /// after the first.
    pub(crate) fn start(
        pairs: Vec<Pair>,
        max: usize,
        wait: Duration,
        scaled: bool,
        windows: Windows,
        nice: i32,
    ) -> Result<Self, String> {
        let queue = Arc::new(Queue::default());
        let threads = pairs.len();
        let counts = Arc::new(Counts::default());
        for (index, pair) in pairs.into_iter().enumerate() {
            let queue = Arc::clone(&queue);
            let counts = Arc::clone(&counts);
            std::thread::Builder::new()
                .name(format!("tts-batch-{index}"))
                .spawn(move || {
                    // This thread runs the graphs too (ONNX Runtime's caller thread).
                    super::model::lower_this_thread(nice);
                    let Pair {
                        mut front,
                        mut vocoder,
                    } = pair;
                    while let Some(batch) = gather(&queue, max, wait) {
                        counts.runs.fetch_add(1, Ordering::Relaxed);
                        counts
                            .pieces
                            .fetch_add(batch.len() as u64, Ordering::Relaxed);
                        run(&mut front, &mut vocoder, batch, scaled, windows, &counts);
                    }
                })
                .map_err(|e| format!("cannot start a batch thread: {e}"))?;
        }
        Ok(Self {
            queue,
            max,
            threads,
            counts,
        })
    }

    /// Most pieces in one run.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Runs made so far and the pieces of text they carried.
    pub(crate) fn runs(&self) -> (u64, u64) {
        (
            self.counts.runs.load(Ordering::Relaxed),
            self.counts.pieces.load(Ordering::Relaxed),
        )
    }

    /// Vocoder runs so far: one per window of every piece.
    pub(crate) fn vocoder_runs(&self) -> u64 {
        self.counts.vocoder_runs.load(Ordering::Relaxed)
    }

    /// Queued pieces skipped because their caller had gone ([`Interest`]).
    pub(crate) fn skipped(&self) -> u64 {
        self.queue.lock().skipped
    }

    /// Batches that can run at the same time.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// The waveform of each piece, in order. Blocks until all are done.
    /// `length_scale`: the value of the graph's `length_scale` input for these pieces, when it
    /// has one (items of one batch may each have their own).
    /// `urgency` orders them among the pieces of other callers ([`Queue`]); those still queued
    /// when `interest` is abandoned are not run (their result is an error).
    pub(crate) fn infer(
        &self,
        pieces: &[Vec<i64>],
        length_scale: Option<f32>,
        urgency: Urgency,
        interest: &Interest,
    ) -> Result<Vec<Vec<f32>>, String> {
        let mut replies = Vec::with_capacity(pieces.len());
        for ids in pieces {
            let (reply, receiver) = mpsc::sync_channel(1);
            self.queue.push(Job {
                ids: ids.clone(),
                length_scale,
                urgency,
                interest: interest.clone(),
                reply,
                queued_at: Instant::now(),
            })?;
            replies.push(receiver);
        }
        replies
            .into_iter()
            .map(|r| r.recv().map_err(|_| "a batch thread stopped".to_owned())?)
            .collect()
    }
}

impl Drop for Batcher {
    fn drop(&mut self) {
        self.queue.close();
    }
}

/// The next batch: blocks for the first job, then takes what arrives within `wait`, up to `max`,
/// the most urgent first. `None` once the batcher is dropped and the queue is empty.
fn gather(queue: &Queue, max: usize, wait: Duration) -> Option<Vec<Job>> {
    let mut lanes = queue.lock();
    let first = loop {
        if let Some(job) = lanes.next_wanted() {
            break job;
        }
        if lanes.closed {
            return None;
        }
        lanes = queue
            .ready
            .wait(lanes)
            .unwrap_or_else(PoisonError::into_inner);
    };
    let mut jobs = vec![first];
    let deadline = Instant::now() + wait;
    while jobs.len() < max {
        if let Some(job) = lanes.next_wanted() {
            jobs.push(job);
            continue;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || lanes.closed {
            break;
        }
        lanes = queue
            .ready
            .wait_timeout(lanes, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
    Some(jobs)
}

fn run(
    front: &mut Session,
    vocoder: &mut Session,
    jobs: Vec<Job>,
    scaled: bool,
    windows: Windows,
    counts: &Counts,
) {
    let ids: Vec<&[i64]> = jobs.iter().map(|j| j.ids.as_slice()).collect();
    let scales = scaled.then(|| jobs.iter().map(|j| j.length_scale.unwrap_or(1.0)).collect());
    match spectrograms(front, &ids, scales) {
        Ok(items) => {
            for (job, item) in jobs.into_iter().zip(items) {
                // The caller may have gone; nothing to do then.
                let _ = job.reply.send(vocode(vocoder, &item, windows, counts));
            }
        }
        Err(e) => {
            for job in jobs {
                let _ = job.reply.send(Err(e.clone()));
            }
        }
    }
}

/// One item's spectrogram: `channels` rows of `frames` values.
struct Frames {
    channels: usize,
    frames: usize,
    values: Vec<f32>,
}

/// Runs the front on the padded batch and returns each item's own frames.
fn spectrograms(
    front: &mut Session,
    ids: &[&[i64]],
    length_scales: Option<Vec<f32>>,
) -> Result<Vec<Frames>, String> {
    let rows = ids.len();
    let width = ids.iter().map(|i| i.len()).max().unwrap_or(0);
    let mut input = vec![0i64; rows * width];
    let mut mask = vec![0i64; rows * width];
    for (row, item) in ids.iter().enumerate() {
        let start = row * width;
        input[start..start + item.len()].copy_from_slice(item);
        mask[start..start + item.len()].fill(1);
    }
    let mut inputs: Inputs = vec![
        ("input_ids".into(), tensor_i64(vec![rows, width], input)?),
        (
            "attention_mask".into(),
            tensor_i64(vec![rows, width], mask)?,
        ),
    ];
    if let Some(scales) = length_scales {
        inputs.push((
            super::speed_input::INPUT.into(),
            length_scales_input(scales)?,
        ));
    }
    let (shape, data) = run_f32(front, inputs, CUT)?;
    let dims: Vec<usize> = shape
        .iter()
        .map(|d| usize::try_from(*d).map_err(|_| format!("negative `{CUT}` dimension {d}")))
        .collect::<Result<_, _>>()?;
    let [batch, channels, frames] = dims[..] else {
        return Err(format!(
            "`{CUT}` has shape {dims:?}, expected [batch, channels, frames]"
        ));
    };
    if batch != rows || data.len() != batch * channels * frames {
        return Err(format!("`{CUT}` has shape {dims:?} for {rows} texts"));
    }
    Ok(data
        .chunks(channels * frames.max(1))
        .take(rows)
        .map(|item| own_frames(item, channels, frames))
        .collect())
}

/// An item's frames without the batch's padding: the graph zeroes every frame past the item's
/// end (its output mask), so the item ends after its last frame with any non-zero value.
fn own_frames(item: &[f32], channels: usize, frames: usize) -> Frames {
    let used = (0..frames)
        .rev()
        .find(|&t| (0..channels).any(|c| item[c * frames + t] != 0.0))
        .map_or(0, |t| t + 1);
    let mut values = Vec::with_capacity(channels * used);
    for c in 0..channels {
        values.extend_from_slice(&item[c * frames..c * frames + used]);
    }
    Frames {
        channels,
        frames: used,
        values,
    }
}

/// The item's waveform, one vocoder run per window of [`Windows::plan`].
fn vocode(vocoder: &mut Session, item: &Frames, windows: Windows, counts: &Counts) -> Reply {
    let mut samples = Vec::new();
    if item.frames == 0 {
        return Ok(samples);
    }
    for (input, keep) in windows.plan(item.frames) {
        let width = input.len();
        let mut values = Vec::with_capacity(item.channels * width);
        for row in item.values.chunks(item.frames) {
            values.extend_from_slice(&row[input.clone()]);
        }
        let tensor = Tensor::from_array((vec![1, item.channels, width], values))
            .map_err(|e| format!("cannot build input tensor: {e}"))?;
        let inputs: Inputs = vec![(Cow::Borrowed(CUT), SessionInputValue::from(tensor))];
        let (_, wave) = run_f32(vocoder, inputs, OUTPUT)?;
        counts.vocoder_runs.fetch_add(1, Ordering::Relaxed);
        if wave.len() % width != 0 {
            return Err(format!(
                "the vocoder made {} samples of {width} frames, not a whole number per frame",
                wave.len()
            ));
        }
        let per_frame = wave.len() / width;
        samples.extend_from_slice(&wave[keep.start * per_frame..keep.end * per_frame]);
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: i64, urgency: Urgency) -> Job {
        Job {
            ids: vec![id],
            length_scale: None,
            urgency,
            interest: Interest::default(),
            reply: mpsc::sync_channel(1).0,
            queued_at: Instant::now(),
        }
    }

    /// What the lanes hand out, all at `now`.
    fn order_at(lanes: &mut Lanes, now: Instant) -> Vec<i64> {
        std::iter::from_fn(|| lanes.pop(now))
            .map(|j| j.ids[0])
            .collect()
    }

    fn order(lanes: &mut Lanes) -> Vec<i64> {
        order_at(lanes, Instant::now())
    }

    #[test]
    fn first_pieces_go_first_and_streams_leave_items_every_fourth_run() {
        let mut lanes = Lanes::default();
        for (id, urgency) in [
            (1, Urgency::Background),
            (2, Urgency::Streaming),
            (3, Urgency::FirstAudio),
            (4, Urgency::Background),
            (5, Urgency::FirstAudio),
        ] {
            lanes.waiting[urgency as usize].push_back(job(id, urgency));
        }
        assert_eq!(order(&mut lanes), [3, 5, 2, 1, 4]);

        // A backlog of items and of streams: three stream pieces, then an item piece; a first
        // piece that arrives meanwhile goes next.
        let mut lanes = Lanes::default();
        for id in 10..14 {
            lanes.waiting[0].push_back(job(id, Urgency::Background));
        }
        for id in 20..28 {
            lanes.waiting[1].push_back(job(id, Urgency::Streaming));
        }
        let mut taken: Vec<i64> = (0..5)
            .filter_map(|_| lanes.pop(Instant::now()))
            .map(|j| j.ids[0])
            .collect();
        lanes.waiting[2].push_back(job(30, Urgency::FirstAudio));
        taken.extend(order(&mut lanes));
        assert_eq!(taken, [20, 21, 22, 10, 23, 30, 24, 25, 11, 26, 27, 12, 13]);
    }

    #[test]
    fn a_stream_piece_kept_waiting_goes_ahead_of_first_pieces_one_at_a_time() {
        let now = Instant::now();
        let asked = |id, urgency, secs_ago: u64| Job {
            queued_at: now.checked_sub(Duration::from_secs(secs_ago)).unwrap(),
            ..job(id, urgency)
        };
        let mut lanes = Lanes::default();
        lanes.waiting[0].push_back(asked(10, Urgency::Background, 9));
        for (id, secs_ago) in [(20, 4), (21, 3), (22, 1)] {
            lanes.waiting[1].push_back(asked(id, Urgency::Streaming, secs_ago));
        }
        for id in 30..34 {
            lanes.waiting[2].push_back(asked(id, Urgency::FirstAudio, 9));
        }
        // 20 and 21 have waited their 3 s: each goes ahead of a first piece, with a first piece
        // between them; 22 has not and waits behind the first pieces; items come last.
        assert_eq!(order_at(&mut lanes, now), [20, 30, 21, 31, 32, 33, 22, 10]);
    }

    #[test]
    fn pieces_whose_caller_left_are_answered_and_skipped() {
        let queue = Queue::default();
        let left = Interest::default();
        let (reply, abandoned) = mpsc::sync_channel(1);
        queue
            .push(Job {
                interest: left.clone(),
                reply,
                ..job(1, Urgency::FirstAudio)
            })
            .unwrap();
        queue.push(job(2, Urgency::Streaming)).unwrap();
        left.abandon();
        let batch = gather(&queue, 4, Duration::ZERO).unwrap();
        assert_eq!(batch.iter().map(|j| j.ids[0]).collect::<Vec<_>>(), [2]);
        assert!(abandoned.recv().unwrap().is_err());
        assert_eq!(queue.lock().skipped, 1);
    }

    #[test]
    fn a_closed_queue_refuses_new_pieces_and_still_runs_what_was_queued() {
        let queue = Queue::default();
        queue.push(job(1, Urgency::Streaming)).unwrap();
        queue.close();
        assert!(queue.push(job(2, Urgency::FirstAudio)).is_err());
        assert_eq!(
            gather(&queue, 4, Duration::from_millis(50)).unwrap().len(),
            1
        );
        assert!(gather(&queue, 4, Duration::ZERO).is_none());
    }

    #[test]
    fn an_item_ends_after_its_last_non_zero_frame() {
        // 2 channels × 4 frames, frame 2 has a value in channel 1 only, frame 3 is padding.
        let item = [1.0, 2.0, 0.0, 0.0, 3.0, 0.0, 5.0, 0.0];
        let own = own_frames(&item, 2, 4);
        assert_eq!(own.frames, 3);
        assert_eq!(own.values, [1.0, 2.0, 0.0, 3.0, 0.0, 5.0]);
        assert_eq!(own_frames(&[0.0; 8], 2, 4).frames, 0);
    }

    #[test]
    fn a_batch_takes_what_is_queued_up_to_its_size_and_waits_no_longer_than_told() {
        let queue = Queue::default();
        for n in 0..5 {
            queue.push(job(n, Urgency::Streaming)).unwrap();
        }
        let first = gather(&queue, 3, Duration::from_secs(60)).unwrap();
        assert_eq!(
            first.iter().map(|j| j.ids[0]).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        let started = Instant::now();
        let second = gather(&queue, 3, Duration::from_millis(50)).unwrap();
        assert_eq!(second.len(), 2);
        assert!(started.elapsed() >= Duration::from_millis(50));
        queue.close();
        assert!(gather(&queue, 3, Duration::from_millis(50)).is_none());
    }
}
