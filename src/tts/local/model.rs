//! ONNX sessions of a VITS model and one inference run: the one runner behind both local
//! engines (MMS-TTS with character ids, Piper with espeak-ng phoneme ids).
//!
//! Why a pool of sessions behind mutexes: `ort` 2.0 runs a session through `&mut self` (some ONNX
//! Runtime internals are not thread-safe), so concurrent requests either wait for the one session
//! or each take one of `workers` sessions. Batch size is always 1: the VITS vocoder is not masked,
//! so padded batch items come out longer and different (`tts-models.md` §4).
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
use ort::ep::{ExecutionProvider, CUDA};
use ort::session::{Session, SessionInputValue};
use ort::value::Tensor;

use super::config::Device;
use super::error::LoadError;

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
}

/// Metadata read from the graph that the caller needs to finish loading.
#[derive(Debug, Clone, Default)]
pub(crate) struct GraphMetadata {
    /// sherpa-onnx `sample_rate`.
    pub sample_rate: Option<String>,
    /// sherpa-onnx `add_blank`.
    pub add_blank: Option<String>,
}

/// A loaded model: `workers` sessions of the same graph.
#[derive(Debug)]
pub(crate) struct Model {
    layout: ModelLayout,
    sessions: Vec<Mutex<Session>>,
    next: AtomicUsize,
    feeds_attention_mask: bool,
    feeds_speaker_id: bool,
    device: Device,
    path: PathBuf,
}

impl Model {
    /// Loads `path` into `workers` sessions on the requested device.
    pub(crate) fn load(
        env: &Environment,
        path: &Path,
        device: Device,
        intra_threads: usize,
        workers: usize,
    ) -> Result<(Self, GraphMetadata), LoadError> {
        let (first, device) = open_on_device(env, path, device, intra_threads)?;
        let layout = detect_layout(&first, path)?;
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
        let mut sessions = Vec::with_capacity(workers.max(1));
        sessions.push(Mutex::new(first));
        for _ in 1..workers {
            sessions.push(Mutex::new(open(
                env,
                path,
                device == Device::Cuda,
                intra_threads,
            )?));
        }
        tracing::info!(
            model = %path.display(),
            layout = layout.as_str(),
            device = device.as_str(),
            workers = sessions.len(),
            "loaded VITS model"
        );
        let model = Self {
            layout,
            sessions,
            next: AtomicUsize::new(0),
            feeds_attention_mask,
            feeds_speaker_id,
            device,
            path: path.to_path_buf(),
        };
        Ok((model, metadata))
    }

    pub(crate) fn layout(&self) -> ModelLayout {
        self.layout
    }

    /// The device inference actually runs on: [`Device::Cpu`] or [`Device::Cuda`].
    pub(crate) fn device(&self) -> Device {
        self.device
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs the model on one sequence of ids (batch 1) and returns the waveform.
    pub(crate) fn infer(&self, ids: &[i64], params: InferenceParams) -> Result<Vec<f32>, String> {
        let n = ids.len();
        let mut inputs: Vec<(Cow<'static, str>, SessionInputValue<'static>)> =
            Vec::with_capacity(5);
        let output_name = match self.layout {
            ModelLayout::HuggingFace => {
                inputs.push(("input_ids".into(), tensor_i64(vec![1, n], ids.to_vec())?));
                if self.feeds_attention_mask {
                    inputs.push(("attention_mask".into(), tensor_i64(vec![1, n], vec![1; n])?));
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
                if self.feeds_speaker_id {
                    let sid = params.speaker_id.unwrap_or(0);
                    inputs.push(("sid".into(), tensor_i64(vec![1], vec![sid])?));
                }
                "output"
            }
        };
        let mut session = self.session()?;
        let outputs = session.run(inputs).map_err(|e| e.to_string())?;
        let value = outputs
            .get(output_name)
            .ok_or_else(|| format!("the model produced no `{output_name}` output"))?;
        let (_, samples) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| format!("unexpected `{output_name}` output: {e}"))?;
        Ok(samples.to_vec())
    }

    /// A free session if there is one, else waits for one (round robin).
    fn session(&self) -> Result<MutexGuard<'_, Session>, String> {
        for slot in &self.sessions {
            match slot.try_lock() {
                Ok(guard) => return Ok(guard),
                // A panic while holding the lock does not corrupt the ONNX session.
                Err(TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.sessions.len().max(1);
        self.sessions
            .get(index)
            .map(|slot| slot.lock().unwrap_or_else(PoisonError::into_inner))
            .ok_or_else(|| "the model has no sessions".to_owned())
    }
}

fn tensor_i64(shape: Vec<usize>, data: Vec<i64>) -> Result<SessionInputValue<'static>, String> {
    Tensor::from_array((shape, data))
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

/// Opens the first session, resolving [`Device::Auto`] to the device that worked.
fn open_on_device(
    env: &Environment,
    path: &Path,
    device: Device,
    intra_threads: usize,
) -> Result<(Session, Device), LoadError> {
    match device {
        Device::Cpu => Ok((open(env, path, false, intra_threads)?, Device::Cpu)),
        Device::Cuda => Ok((open(env, path, true, intra_threads)?, Device::Cuda)),
        Device::Auto => match open(env, path, true, intra_threads) {
            Ok(session) => Ok((session, Device::Cuda)),
            Err(LoadError::CudaUnavailable { reason }) => {
                tracing::info!(%reason, "CUDA execution provider unavailable; using CPU");
                Ok((open(env, path, false, intra_threads)?, Device::Cpu))
            }
            Err(cuda_error) => {
                // The CUDA session may fail for CUDA reasons only at creation; try CPU, and if that
                // fails too, report the CPU error (it describes the model, not the GPU).
                tracing::warn!(error = %cuda_error, "creating the session with CUDA failed; trying CPU");
                Ok((open(env, path, false, intra_threads)?, Device::Cpu))
            }
        },
    }
}

/// Creates one session.
fn open(
    env: &Environment,
    path: &Path,
    cuda: bool,
    intra_threads: usize,
) -> Result<Session, LoadError> {
    let runtime_error =
        |e: ort::Error<ort::session::builder::SessionBuilder>| LoadError::Runtime(e.to_string());
    let mut builder = Session::builder(env).map_err(|e| LoadError::Runtime(e.to_string()))?;
    if intra_threads > 0 {
        builder = builder
            .with_intra_threads(intra_threads)
            .map_err(runtime_error)?;
    }
    if cuda {
        if !CUDA::is_available().unwrap_or(false) {
            return Err(LoadError::CudaUnavailable {
                reason: "the loaded libonnxruntime was built without the CUDA execution provider"
                    .to_owned(),
            });
        }
        builder = builder
            .with_execution_providers([CUDA::default().build().error_on_failure()])
            .map_err(|e| LoadError::CudaUnavailable {
                reason: e.to_string(),
            })?;
    }
    builder
        .commit_from_file(path)
        .map_err(|e| LoadError::BrokenModel {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
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
