//! ONNX sessions of a VITS model and one inference run: the one runner behind both local
//! engines (MMS-TTS with character ids, Piper with espeak-ng phoneme ids).
//!
//! Why a pool of sessions behind mutexes: `ort` 2.0 runs a session through `&mut self` (some ONNX
//! Runtime internals are not thread-safe), so concurrent requests either wait for the one session
//! or each take one of `workers` sessions. Layout (a) can also batch concurrent texts
//! ([`super::batch`]): the graph is then cut before its vocoder, which is not masked and would
//! make padded batch items come out longer and different (`tts-models.md` §4).
//!
//! Two graph layouts are supported, told apart by the input names (`tts-models.md` §4–5):
//! (a) optimum / transformers.js export: `input_ids`, `attention_mask` → `waveform` [1, n], with
//! the noise scales and speaking rate baked in at export time; (b) sherpa-onnx export: `x`,
//! `x_length`, `noise_scale`, `length_scale`, `noise_scale_w` → `y` [1, 1, n]; (c) Piper export:
//! `input`, `input_lengths`, `scales` [noise, length, noise_w] and `sid` for multi-speaker voices
//! → `output` [1, 1, n].

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

use ort::environment::Environment;
use ort::ep::cuda::ConvAlgorithmSearch;
use ort::ep::{ExecutionProvider, CPU, CUDA};
use ort::session::builder::SessionBuilder;
use ort::session::{Session, SessionInputValue};
use ort::value::Tensor;

use super::batch::{self, Batcher, Interest};
use super::config::{Batching, ConvSearch, CpuOptions, CudaOptions, Device};
use super::error::LoadError;
use super::graph_cut;
use super::speed_input;
use super::window::Windows;
use crate::tts::provider::Urgency;

/// Which export layout a model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelLayout {
    /// (a) Hugging Face optimum / transformers.js export (`Xenova/mms-tts-*` style).
    HuggingFace,
    /// (b) sherpa-onnx MMS conversion (`vits-mms-*`, `model.onnx` + `tokens.txt`).
    Sherpa,
    /// (c) Piper voice (`name.onnx` + `name.onnx.json`, phoneme ids from espeak-ng).
    Piper,
}

impl ModelLayout {
    /// Short name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HuggingFace => "huggingface-onnx",
            Self::Sherpa => "sherpa-onnx",
            Self::Piper => "piper",
        }
    }
}

/// Run-time knobs of one inference; only layouts (b) and (c) take them as inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct InferenceParams {
    pub noise_scale: f32,
    pub length_scale: f32,
    pub noise_scale_w: f32,
    /// Speaker of a multi-speaker Piper voice (fed as `sid` when the graph has that input).
    pub speaker_id: Option<i64>,
    /// Where the pieces queue among other callers' when the graph runs in halves ([`Batcher`]).
    pub urgency: Urgency,
}

/// Metadata read from the graph that the caller needs to finish loading.
#[derive(Debug, Clone, Default)]
pub(crate) struct GraphMetadata {
    /// sherpa-onnx `sample_rate`.
    pub sample_rate: Option<String>,
    /// sherpa-onnx `add_blank`.
    pub add_blank: Option<String>,
}

/// Where and how the sessions of a model run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub device: Device,
    pub cuda: CudaOptions,
    pub cpu: CpuOptions,
    pub intra_threads: usize,
    /// Sessions (or session pairs when batching), i.e. runs at the same time. At least 1.
    pub workers: usize,
    pub batching: Batching,
    /// How layout-(a) vocoders run ([`Windows::WHOLE`] = in one run per piece).
    pub windows: Windows,
}

/// A loaded model: `workers` sessions of the whole graph, or, when batching, `workers` pairs of
/// sessions of its two halves behind a [`Batcher`].
#[derive(Debug)]
pub(crate) struct Model {
    layout: ModelLayout,
    runner: Runner,
    feeds_attention_mask: bool,
    feeds_speaker_id: bool,
    /// Layout (a) with its length scale made an input ([`speed_input`]): the scale the export
    /// baked in, which speed 1 keeps.
    baked_length_scale: Option<f32>,
    device: Device,
    path: PathBuf,
}

/// The layout-(a) graph at `path` with a `length_scale` input, or `None` (logged) when its
/// length scale cannot be found: then the model speaks at its export's rate only.
fn speed_graph(path: &Path) -> Option<speed_input::SpeedGraph> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(model = %path.display(), error = %e, "cannot read the model to find its length scale");
            return None;
        }
    };
    match speed_input::expose_length_scale(&bytes) {
        Ok(graph) => Some(graph),
        Err(reason) => {
            tracing::warn!(model = %path.display(), %reason, "no length scale found: this model speaks at one speed only");
            None
        }
    }
}

#[derive(Debug)]
enum Runner {
    Whole {
        sessions: Vec<Mutex<Session>>,
        next: AtomicUsize,
    },
    Batched(Batcher),
}

impl Model {
    /// Loads `path` into `placement.workers` sessions on the requested device.
    ///
    /// At most one copy of the weights is open at a time while loading: the first session (which
    /// tells the device, layout and inputs) is closed before the sessions that serve are opened.
    pub(crate) fn load(
        env: &Environment,
        path: &Path,
        placement: &Placement,
    ) -> Result<(Self, GraphMetadata), LoadError> {
        let (first, device) = open_on_device(env, path, placement)?;
        let layout = detect_layout(&first, path)?;
        let on_device = Placement {
            device,
            ..*placement
        };
        let input_names: Vec<&str> = first.inputs().iter().map(|i| i.name()).collect();
        let feeds_attention_mask = input_names.contains(&"attention_mask");
        let feeds_speaker_id = input_names.contains(&"sid");
        let metadata = match first.metadata() {
            Ok(m) => GraphMetadata {
                sample_rate: m.custom("sample_rate"),
                add_blank: m.custom("add_blank"),
            },
            Err(e) => {
                tracing::debug!(error = %e, "model has no readable metadata");
                GraphMetadata::default()
            }
        };
        let batch = split(layout, feeds_attention_mask, &on_device);
        // A layout-(a) graph is opened again below, with its length scale as an input.
        let first = (batch.is_none() && layout != ModelLayout::HuggingFace).then_some(first);
        let speed_graph = match layout {
            ModelLayout::HuggingFace => speed_graph(path),
            _ => None,
        };
        let baked_length_scale = speed_graph.as_ref().map(|g| g.baked);
        let graph = speed_graph.map(|g| g.bytes);
        let runner = match batch {
            Some(batch) => {
                let graph = match graph {
                    Some(bytes) => bytes,
                    None => std::fs::read(path).map_err(|e| LoadError::BrokenModel {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    })?,
                };
                let scaled = baked_length_scale.is_some();
                match Halves::cut(&graph, scaled) {
                    Ok(halves) => {
                        drop(graph);
                        Runner::Batched(start_batcher(env, halves, scaled, &on_device, batch)?)
                    }
                    Err(reason) => {
                        tracing::warn!(%reason, "this graph cannot be cut at its spectrogram; running it whole");
                        whole(env, None, Source::Bytes(&graph), &on_device)?
                    }
                }
            }
            None => {
                let source = graph.as_deref().map_or(Source::File(path), Source::Bytes);
                whole(env, first, source, &on_device)?
            }
        };
        let workers = placement.workers.max(1);
        let model = Self {
            layout,
            runner,
            feeds_attention_mask,
            feeds_speaker_id,
            baked_length_scale,
            device,
            path: path.to_path_buf(),
        };
        tracing::info!(
            model = %path.display(),
            layout = layout.as_str(),
            device = device.as_str(),
            workers,
            batch = model.batch_size(),
            "loaded VITS model"
        );
        Ok((model, metadata))
    }

    pub(crate) fn layout(&self) -> ModelLayout {
        self.layout
    }

    /// Whether a run's [`InferenceParams::length_scale`] changes the audio (layout (a) only
    /// when its baked length scale was made an input).
    pub(crate) fn takes_length_scale(&self) -> bool {
        self.layout != ModelLayout::HuggingFace || self.baked_length_scale.is_some()
    }

    /// The device inference actually runs on: [`Device::Cpu`] or [`Device::Cuda`].
    pub(crate) fn device(&self) -> Device {
        self.device
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Most pieces of text that share one run (1 = no batching).
    pub(crate) fn batch_size(&self) -> usize {
        match &self.runner {
            Runner::Whole { .. } => 1,
            Runner::Batched(batcher) => batcher.max(),
        }
    }

    /// Batched runs made so far and the pieces of text they carried (`(0, 0)` when not batching).
    pub(crate) fn batch_runs(&self) -> (u64, u64) {
        match &self.runner {
            Runner::Whole { .. } => (0, 0),
            Runner::Batched(batcher) => batcher.runs(),
        }
    }

    /// Vocoder runs of the two-half runner (one per window of every piece); 0 when the graph
    /// runs whole.
    pub(crate) fn vocoder_runs(&self) -> u64 {
        match &self.runner {
            Runner::Whole { .. } => 0,
            Runner::Batched(batcher) => batcher.vocoder_runs(),
        }
    }

    /// Queued pieces skipped because their caller had gone (two-half runner only).
    pub(crate) fn skipped_pieces(&self) -> u64 {
        match &self.runner {
            Runner::Whole { .. } => 0,
            Runner::Batched(batcher) => batcher.skipped(),
        }
    }

    /// Runs that can be in flight at once, each of `batch_size` pieces: what callers should
    /// offer concurrently to keep the model busy.
    pub(crate) fn concurrency(&self) -> usize {
        match &self.runner {
            Runner::Whole { sessions, .. } => sessions.len(),
            Runner::Batched(batcher) => batcher.max() * batcher.threads(),
        }
    }

    /// The waveform of each sequence of ids, in order: one run each, or shared runs when batching
    /// (where pieces still queued when `interest` is abandoned are skipped).
    pub(crate) fn infer_all(
        &self,
        pieces: &[Vec<i64>],
        params: InferenceParams,
        interest: &Interest,
    ) -> Result<Vec<Vec<f32>>, String> {
        match &self.runner {
            Runner::Batched(batcher) => {
                batcher.infer(pieces, self.scaled(params), params.urgency, interest)
            }
            Runner::Whole { .. } => pieces.iter().map(|ids| self.infer(ids, params)).collect(),
        }
    }

    /// Runs the model on one sequence of ids and returns the waveform.
    pub(crate) fn infer(&self, ids: &[i64], params: InferenceParams) -> Result<Vec<f32>, String> {
        let Runner::Whole { .. } = &self.runner else {
            return self
                .infer_all(&[ids.to_vec()], params, &Interest::default())?
                .pop()
                .ok_or_else(|| "the batch returned nothing".to_owned());
        };
        let flags = Feeds {
            attention_mask: self.feeds_attention_mask,
            speaker_id: self.feeds_speaker_id,
            length_scale: self.scaled(params),
        };
        let (inputs, output_name) = feed(self.layout, flags, ids, params)?;
        let mut session = self.session()?;
        run_f32(&mut session, inputs, output_name).map(|(_, samples)| samples)
    }

    /// The value of a layout-(a) graph's `length_scale` input for `params`, when it has one.
    fn scaled(&self, params: InferenceParams) -> Option<f32> {
        self.baked_length_scale
            .map(|baked| baked * params.length_scale)
    }

    /// A free session if there is one, else waits for one (round robin).
    fn session(&self) -> Result<MutexGuard<'_, Session>, String> {
        let Runner::Whole { sessions, next } = &self.runner else {
            return Err("a batching model has no whole-graph session".to_owned());
        };
        for slot in sessions {
            match slot.try_lock() {
                Ok(guard) => return Ok(guard),
                // A panic while holding the lock does not corrupt the ONNX session.
                Err(TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let index = next.fetch_add(1, Ordering::Relaxed) % sessions.len().max(1);
        sessions
            .get(index)
            .map(|slot| slot.lock().unwrap_or_else(PoisonError::into_inner))
            .ok_or_else(|| "the model has no sessions".to_owned())
    }
}

/// The batch size to run a graph with in two halves ([`Batcher`]), or `None` to run it whole:
/// a layout-(a) graph with `attention_mask` is cut when it is batched or its vocoder windowed.
fn split(layout: ModelLayout, feeds_attention_mask: bool, placement: &Placement) -> Option<usize> {
    let batch = placement.batching.max_on(placement.device);
    let wanted = batch > 1 || placement.windows.frames > 0;
    if !wanted {
        return None;
    }
    if layout == ModelLayout::HuggingFace && feeds_attention_mask {
        Some(batch)
    } else {
        tracing::info!(
            layout = layout.as_str(),
            "batching and vocoder windows need a graph with `attention_mask` and a `spectrogram` output; running it whole"
        );
        None
    }
}

/// `placement.workers` sessions of the whole graph; `first` is used as the first when given.
fn whole(
    env: &Environment,
    first: Option<Session>,
    source: Source<'_>,
    placement: &Placement,
) -> Result<Runner, LoadError> {
    let workers = placement.workers.max(1);
    let mut sessions = Vec::with_capacity(workers);
    if let Some(first) = first {
        sessions.push(Mutex::new(first));
    }
    while sessions.len() < workers {
        sessions.push(Mutex::new(open(env, source, placement)?));
    }
    Ok(Runner::Whole {
        sessions,
        next: AtomicUsize::new(0),
    })
}

/// Which optional inputs a graph takes.
#[derive(Debug, Clone, Copy)]
struct Feeds {
    attention_mask: bool,
    speaker_id: bool,
    /// Layout (a)'s `length_scale` input, when the graph was given one.
    length_scale: Option<f32>,
}

pub(crate) type Inputs = Vec<(Cow<'static, str>, SessionInputValue<'static>)>;

/// One run; the shape and values of the float output `output`.
pub(crate) fn run_f32(
    session: &mut Session,
    inputs: Inputs,
    output: &str,
) -> Result<(Vec<i64>, Vec<f32>), String> {
    let outputs = session.run(inputs).map_err(|e| e.to_string())?;
    let value = outputs
        .get(output)
        .ok_or_else(|| format!("the model produced no `{output}` output"))?;
    let (shape, values) = value
        .try_extract_tensor::<f32>()
        .map_err(|e| format!("unexpected `{output}` output: {e}"))?;
    Ok((shape.to_vec(), values.to_vec()))
}

/// The inputs of one run on `ids` (batch 1) and the name of the waveform output.
fn feed(
    layout: ModelLayout,
    flags: Feeds,
    ids: &[i64],
    params: InferenceParams,
) -> Result<(Inputs, &'static str), String> {
    let n = ids.len();
    let mut inputs: Inputs = Vec::with_capacity(5);
    let output_name = match layout {
        ModelLayout::HuggingFace => {
            inputs.push(("input_ids".into(), tensor_i64(vec![1, n], ids.to_vec())?));
            if flags.attention_mask {
                inputs.push(("attention_mask".into(), tensor_i64(vec![1, n], vec![1; n])?));
            }
            if let Some(scale) = flags.length_scale {
                inputs.push((speed_input::INPUT.into(), length_scales(vec![scale])?));
            }
            "waveform"
        }
        ModelLayout::Sherpa => {
            let length = i64::try_from(n).map_err(|_| "input too long".to_owned())?;
            inputs.push(("x".into(), tensor_i64(vec![1, n], ids.to_vec())?));
            inputs.push(("x_length".into(), tensor_i64(vec![1], vec![length])?));
            inputs.push(("noise_scale".into(), tensor_f32(params.noise_scale)?));
            inputs.push(("length_scale".into(), tensor_f32(params.length_scale)?));
            inputs.push(("noise_scale_w".into(), tensor_f32(params.noise_scale_w)?));
            "y"
        }
        ModelLayout::Piper => {
            let length = i64::try_from(n).map_err(|_| "input too long".to_owned())?;
            inputs.push(("input".into(), tensor_i64(vec![1, n], ids.to_vec())?));
            inputs.push(("input_lengths".into(), tensor_i64(vec![1], vec![length])?));
            let scales = vec![
                params.noise_scale,
                params.length_scale,
                params.noise_scale_w,
            ];
            inputs.push(("scales".into(), tensor_f32s(scales)?));
            if flags.speaker_id {
                let sid = params.speaker_id.unwrap_or(0);
                inputs.push(("sid".into(), tensor_i64(vec![1], vec![sid])?));
            }
            "output"
        }
    };
    Ok((inputs, output_name))
}

pub(crate) fn tensor_i64(
    shape: Vec<usize>,
    data: Vec<i64>,
) -> Result<SessionInputValue<'static>, String> {
    Tensor::from_array((shape, data))
        .map(Into::into)
        .map_err(|e| format!("cannot build input tensor: {e}"))
}

/// Layout (a)'s `length_scale` input: one value per batch item, shape `[items, 1, 1]`.
pub(crate) fn length_scales(values: Vec<f32>) -> Result<SessionInputValue<'static>, String> {
    Tensor::from_array((vec![values.len(), 1, 1], values))
        .map(Into::into)
        .map_err(|e| format!("cannot build input tensor: {e}"))
}

fn tensor_f32(value: f32) -> Result<SessionInputValue<'static>, String> {
    tensor_f32s(vec![value])
}

fn tensor_f32s(values: Vec<f32>) -> Result<SessionInputValue<'static>, String> {
    Tensor::from_array((vec![values.len()], values))
        .map(Into::into)
        .map_err(|e| format!("cannot build input tensor: {e}"))
}

/// Starts `placement.workers` threads of session pairs of the graph's halves.
/// `scaled`: the graph has a `length_scale` input ([`speed_input`]), fed per item.
fn start_batcher(
    env: &Environment,
    halves: Halves,
    scaled: bool,
    placement: &Placement,
    batch: usize,
) -> Result<Batcher, LoadError> {
    let workers = placement.workers.max(1);
    let Halves { front, vocoder } = halves;
    // Each half's bytes are let go as soon as its sessions are open.
    let fronts = (0..workers)
        .map(|_| open(env, Source::Bytes(&front), placement))
        .collect::<Result<Vec<_>, _>>()?;
    drop(front);
    let vocoders = (0..workers)
        .map(|_| open(env, Source::Bytes(&vocoder), placement))
        .collect::<Result<Vec<_>, _>>()?;
    drop(vocoder);
    let pairs = fronts
        .into_iter()
        .zip(vocoders)
        .map(|(front, vocoder)| batch::Pair { front, vocoder })
        .collect();
    Batcher::start(
        pairs,
        batch,
        placement.batching.wait,
        scaled,
        placement.windows,
        placement.cpu.nice,
    )
    .map_err(LoadError::Runtime)
}

/// A layout-(a) graph cut at its spectrogram: text → spectrogram, and the vocoder.
struct Halves {
    front: Vec<u8>,
    vocoder: Vec<u8>,
}

impl Halves {
    /// `scaled`: the graph has a `length_scale` input ([`speed_input`]), which the front takes.
    fn cut(graph: &[u8], scaled: bool) -> Result<Self, String> {
        let front_inputs: &[&str] = if scaled {
            &["input_ids", "attention_mask", speed_input::INPUT]
        } else {
            &["input_ids", "attention_mask"]
        };
        Ok(Self {
            front: graph_cut::extract(graph, front_inputs, &[batch::CUT])?,
            vocoder: graph_cut::extract(graph, &[batch::CUT], &[batch::OUTPUT])?,
        })
    }
}

/// Opens the first session, resolving [`Device::Auto`] to the device that worked: CUDA when
/// its provider registers and a tiny run on it succeeds, else the CPU.
fn open_on_device(
    env: &Environment,
    path: &Path,
    placement: &Placement,
) -> Result<(Session, Device), LoadError> {
    let on = |device| Placement {
        device,
        ..*placement
    };
    match placement.device {
        Device::Cpu => Ok((
            open(env, Source::File(path), &on(Device::Cpu))?,
            Device::Cpu,
        )),
        Device::Cuda => Ok((
            open(env, Source::File(path), &on(Device::Cuda))?,
            Device::Cuda,
        )),
        Device::Auto => resolve_auto(
            open(env, Source::File(path), &on(Device::Cuda)),
            |session| probe(session, path),
            || open(env, Source::File(path), &on(Device::Cpu)),
        ),
    }
}

/// The choice [`Device::Auto`] makes, apart from the sessions it is made with.
fn resolve_auto<S>(
    cuda: Result<S, LoadError>,
    probe: impl FnOnce(&mut S) -> Result<(), String>,
    cpu: impl FnOnce() -> Result<S, LoadError>,
) -> Result<(S, Device), LoadError> {
    match cuda {
        Ok(mut session) => match probe(&mut session) {
            Ok(()) => Ok((session, Device::Cuda)),
            Err(reason) => {
                tracing::warn!(%reason, "a test run on CUDA failed; using CPU");
                drop(session);
                Ok((cpu()?, Device::Cpu))
            }
        },
        Err(LoadError::CudaUnavailable { reason }) => {
            tracing::info!(%reason, "CUDA execution provider unavailable; using CPU");
            Ok((cpu()?, Device::Cpu))
        }
        Err(cuda_error) => {
            // The CUDA session may fail for CUDA reasons only at creation; try CPU, and if that
            // fails too, report the CPU error (it describes the model, not the GPU).
            tracing::warn!(error = %cuda_error, "creating the session with CUDA failed; trying CPU");
            Ok((cpu()?, Device::Cpu))
        }
    }
}

/// A run on four ids, to see that the device really computes this graph.
fn probe(session: &mut Session, path: &Path) -> Result<(), String> {
    let layout = detect_layout(session, path).map_err(|e| e.to_string())?;
    let names: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
    let flags = Feeds {
        attention_mask: names.contains(&"attention_mask"),
        speaker_id: names.contains(&"sid"),
        // The probe runs the graph as exported (before any length-scale input is added).
        length_scale: None,
    };
    let params = InferenceParams {
        noise_scale: 0.0,
        length_scale: 1.0,
        noise_scale_w: 0.0,
        speaker_id: None,
        urgency: Urgency::Background,
    };
    let (inputs, output) = feed(layout, flags, &[0, 1, 0, 1], params)?;
    run_f32(session, inputs, output).map(|_| ())
}

/// Where a session's graph comes from.
#[derive(Clone, Copy)]
enum Source<'a> {
    File(&'a Path),
    Bytes(&'a [u8]),
}

/// Creates one session on `placement.device` (CPU or CUDA). Its intra-op threads are created
/// with it and take the nice value of the thread that creates it ([`CpuOptions::nice`]).
fn open(
    env: &Environment,
    source: Source<'_>,
    placement: &Placement,
) -> Result<Session, LoadError> {
    lowered(placement.cpu.nice, || open_here(env, source, placement))
}

fn open_here(
    env: &Environment,
    source: Source<'_>,
    placement: &Placement,
) -> Result<Session, LoadError> {
    let runtime_error =
        |e: ort::Error<ort::session::builder::SessionBuilder>| LoadError::Runtime(e.to_string());
    let mut builder = Session::builder(env).map_err(|e| LoadError::Runtime(e.to_string()))?;
    if placement.intra_threads > 0 {
        builder = builder
            .with_intra_threads(placement.intra_threads)
            .map_err(runtime_error)?;
    }
    builder = cpu_options(builder, &placement.cpu, placement.device == Device::Cpu)?;
    if placement.device != Device::Cpu {
        if !CUDA::is_available().unwrap_or(false) {
            return Err(LoadError::CudaUnavailable {
                reason: "the loaded libonnxruntime was built without the CUDA execution provider"
                    .to_owned(),
            });
        }
        builder = builder
            .with_execution_providers([cuda_provider(&placement.cuda).build().error_on_failure()])
            .map_err(|e| LoadError::CudaUnavailable {
                reason: e.to_string(),
            })?;
    }
    let (committed, path) = match source {
        Source::File(path) => (builder.commit_from_file(path), path.to_path_buf()),
        Source::Bytes(bytes) => (
            builder.commit_from_memory(bytes),
            PathBuf::from("(a cut of the model graph)"),
        ),
    };
    committed.map_err(|e| LoadError::BrokenModel {
        path,
        reason: e.to_string(),
    })
}

/// Runs `f` on a thread of its own at nice value `nice` (above the process's), so threads it
/// creates inherit that value (Linux keeps the nice value per thread); on the calling thread
/// when `nice` is 0.
fn lowered<T: Send>(
    nice: i32,
    f: impl FnOnce() -> Result<T, LoadError> + Send,
) -> Result<T, LoadError> {
    if nice == 0 {
        return f();
    }
    std::thread::scope(|scope| {
        // Threads take their creator's name too: ONNX Runtime's pool threads show as this.
        let worker = std::thread::Builder::new()
            .name("onnx-intra-op".to_owned())
            .spawn_scoped(scope, move || {
                lower_this_thread(nice);
                f()
            });
        match worker {
            Ok(worker) => worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => Err(LoadError::Runtime(format!(
                "cannot start a thread to open a session on: {e}"
            ))),
        }
    })
}

/// Raise the calling thread's nice value by `nice` (nothing for 0); a refusal is logged, not fatal.
pub(crate) fn lower_this_thread(nice: i32) {
    if nice == 0 {
        return;
    }
    // PRIO_PROCESS with no id is the calling thread on Linux.
    let raised = rustix::process::getpriority_process(None)
        .and_then(|now| rustix::process::setpriority_process(None, now.saturating_add(nice)));
    if let Err(e) = raised {
        tracing::warn!(nice, error = %e, "could not lower the priority of an inference thread");
    }
}

/// The CPU options of [`CpuOptions`]: spinning for every session (its intra-op pool runs on the
/// CPU whatever the device), the arena and memory patterns only for a session on the CPU.
fn cpu_options(
    builder: SessionBuilder,
    options: &CpuOptions,
    on_cpu: bool,
) -> Result<SessionBuilder, LoadError> {
    let runtime_error = |e: ort::Error<SessionBuilder>| LoadError::Runtime(e.to_string());
    let spin = if options.spin { "1" } else { "0" };
    let mut builder = builder
        .with_config_entry("session.intra_op.allow_spinning", spin)
        .map_err(runtime_error)?
        .with_config_entry("session.inter_op.allow_spinning", spin)
        .map_err(runtime_error)?;
    if on_cpu {
        builder = builder
            .with_execution_providers([CPU::default()
                .with_arena_allocator(options.memory_arena)
                .build()])
            .map_err(runtime_error)?
            .with_memory_pattern(options.memory_arena)
            .map_err(runtime_error)?;
    }
    Ok(builder)
}

/// The CUDA execution provider with this service's options.
fn cuda_provider(options: &CudaOptions) -> CUDA {
    let search = match options.conv_search {
        ConvSearch::Default => ConvAlgorithmSearch::Default,
        ConvSearch::Heuristic => ConvAlgorithmSearch::Heuristic,
        ConvSearch::Exhaustive => ConvAlgorithmSearch::Exhaustive,
    };
    let provider = CUDA::default()
        .with_device_id(options.device_id)
        .with_conv_algorithm_search(search);
    match options.memory_limit {
        Some(limit) => provider.with_memory_limit(limit),
        None => provider,
    }
}

/// Tells the layouts apart by the graph's input names and checks the names we feed and read.
fn detect_layout(session: &Session, path: &Path) -> Result<ModelLayout, LoadError> {
    let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
    let outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    let unsupported = |reason: String| LoadError::UnsupportedModel {
        path: path.to_path_buf(),
        reason,
    };
    let layout = match inputs.first().copied() {
        Some("input_ids") => ModelLayout::HuggingFace,
        Some("x") => ModelLayout::Sherpa,
        Some("input") => ModelLayout::Piper,
        _ => {
            return Err(unsupported(format!(
                "expected first input `input_ids` (Hugging Face export), `x` (sherpa-onnx export) or `input` (Piper voice), found inputs {inputs:?}"
            )))
        }
    };
    let (required_inputs, output): (&[&str], &str) = match layout {
        ModelLayout::HuggingFace => (&["input_ids"], "waveform"),
        ModelLayout::Sherpa => (
            &[
                "x",
                "x_length",
                "noise_scale",
                "length_scale",
                "noise_scale_w",
            ],
            "y",
        ),
        ModelLayout::Piper => (&["input", "input_lengths", "scales"], "output"),
    };
    let known: &[&str] = match layout {
        ModelLayout::HuggingFace => &["input_ids", "attention_mask"],
        ModelLayout::Sherpa => required_inputs,
        ModelLayout::Piper => &["input", "input_lengths", "scales", "sid"],
    };
    if let Some(missing) = required_inputs.iter().find(|name| !inputs.contains(name)) {
        return Err(unsupported(format!(
            "input `{missing}` is missing (inputs: {inputs:?})"
        )));
    }
    if let Some(extra) = inputs.iter().find(|name| !known.contains(name)) {
        return Err(unsupported(format!(
            "input `{extra}` is not one the engine can feed (multi-speaker models are not supported)"
        )));
    }
    if !outputs.contains(&output) {
        return Err(unsupported(format!(
            "output `{output}` is missing (outputs: {outputs:?})"
        )));
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_cuda() -> LoadError {
        LoadError::CudaUnavailable {
            reason: "no provider".to_owned(),
        }
    }

    #[test]
    fn auto_takes_cuda_only_when_a_test_run_on_it_works() {
        let ok = resolve_auto(Ok("gpu"), |_| Ok(()), || Ok("cpu")).unwrap();
        assert_eq!(ok, ("gpu", Device::Cuda));
        let probe_failed = resolve_auto(
            Ok("gpu"),
            |_| Err("CUDNN_STATUS_NOT_SUPPORTED".to_owned()),
            || Ok("cpu"),
        )
        .unwrap();
        assert_eq!(probe_failed, ("cpu", Device::Cpu));
        let unavailable =
            resolve_auto(Err(no_cuda()), |_: &mut &str| Ok(()), || Ok("cpu")).unwrap();
        assert_eq!(unavailable, ("cpu", Device::Cpu));
        let session_failed = resolve_auto(
            Err(LoadError::Runtime("out of memory".to_owned())),
            |_: &mut &str| Ok(()),
            || Ok("cpu"),
        )
        .unwrap();
        assert_eq!(session_failed, ("cpu", Device::Cpu));
        let cpu_failed = resolve_auto(
            Err(no_cuda()),
            |_: &mut &str| Ok(()),
            || Err::<&str, _>(LoadError::Runtime("broken".to_owned())),
        );
        assert!(matches!(cpu_failed, Err(LoadError::Runtime(_))));
    }
}
