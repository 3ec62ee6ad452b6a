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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ort::session::{Session, SessionInputValue};
use ort::value::Tensor;

use super::model::{length_scales as length_scales_input, run_f32, tensor_i64, Inputs};
use super::window::Windows;

/// The tensor the graph is cut at, and the graph's output.
pub(crate) const CUT: &str = "spectrogram";
pub(crate) const OUTPUT: &str = "waveform";

type Reply = Result<Vec<f32>, String>;

struct Job {
    ids: Vec<i64>,
    /// The `length_scale` input for this item, when the graph has one.
    length_scale: Option<f32>,
    reply: SyncSender<Reply>,
}

/// The front and vocoder sessions of one worker.
pub(crate) struct Pair {
    pub front: Session,
    pub vocoder: Session,
}

/// Hands pieces to the batch threads; dropping it stops them once their queue is empty.
#[derive(Debug)]
pub(crate) struct Batcher {
    jobs: Sender<Job>,
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
    ) -> Result<Self, String> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = pairs.len();
        let counts = Arc::new(Counts::default());
        for (index, pair) in pairs.into_iter().enumerate() {
            let queue = Arc::clone(&queue);
            let counts = Arc::clone(&counts);
            std::thread::Builder::new()
                .name(format!("tts-batch-{index}"))
                .spawn(move || {
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
            jobs,
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

    /// Batches that can run at the same time.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// The waveform of each piece, in order. Blocks until all are done.
    /// `length_scale`: the value of the graph's `length_scale` input for these pieces, when it
    /// has one (items of one batch may each have their own).
    pub(crate) fn infer(
        &self,
        pieces: &[Vec<i64>],
        length_scale: Option<f32>,
    ) -> Result<Vec<Vec<f32>>, String> {
        let mut replies = Vec::with_capacity(pieces.len());
        for ids in pieces {
            let (reply, receiver) = mpsc::sync_channel(1);
            self.jobs
                .send(Job {
                    ids: ids.clone(),
                    length_scale,
                    reply,
                })
                .map_err(|_| "the batch threads have stopped".to_owned())?;
            replies.push(receiver);
        }
        replies
            .into_iter()
            .map(|r| r.recv().map_err(|_| "a batch thread stopped".to_owned())?)
            .collect()
    }
}

/// The next batch: blocks for the first job, then takes what arrives within `wait`, up to `max`.
/// `None` once every sender is gone.
fn gather(queue: &Mutex<Receiver<Job>>, max: usize, wait: Duration) -> Option<Vec<Job>> {
    // A panic while holding the lock leaves the receiver usable.
    let queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
    let first = queue.recv().ok()?;
    let mut jobs = vec![first];
    let deadline = Instant::now() + wait;
    while jobs.len() < max {
        match queue.try_recv() {
            Ok(job) => jobs.push(job),
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match queue.recv_timeout(left) {
                    Ok(job) => jobs.push(job),
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                }
            }
        }
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
        let (tx, rx) = mpsc::channel();
        let queue = Mutex::new(rx);
        let mut keep = Vec::new();
        for n in 0..5 {
            let (reply, receiver) = mpsc::sync_channel(1);
            keep.push(receiver);
            tx.send(Job {
                ids: vec![n],
                length_scale: None,
                reply,
            })
            .unwrap();
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
        drop(tx);
        assert!(gather(&queue, 3, Duration::from_millis(50)).is_none());
    }
}
