//! Local MMS-TTS (VITS) engine on ONNX Runtime.
//!
//! Why: the original service ran `facebook/mms-tts-fin` in PyTorch; this engine runs an ONNX
//! export of the same network in-process, with the same input ids (see [`tokenizer`]), the same
//! noise scales (0.667 / 0.8) and the same sample rate, so the audio is statistically the same
//! (sample-exact only with noise off, because the noise comes from a different generator).
//!
//! Model directory layouts (told apart by the graph's input names, not by file names alone):
//! * (a) Hugging Face optimum / transformers.js export: `onnx/model.onnx` (or a `model.onnx`
//!   whose first input is `input_ids`) + `vocab.json` + `config.json` (`sampling_rate`) and
//!   optionally `tokenizer_config.json` (`add_blank`, `pad_token`). Noise scales and speaking rate
//!   are baked into such graphs at export time; at load the baked length scale is made an input
//!   ([`speed_input`]) so [`SynthesisRequest::speed`] is honoured (the baked scale divided by
//!   speed). A graph where it cannot be found refuses speeds other than 1 (400).
//! * (b) sherpa-onnx export: `model.onnx` with first input `x` + `tokens.txt`; sample rate from the
//!   model metadata `sample_rate` (else 16000). Speed is honoured (`length_scale = 1 / speed`), and
//!   the noise scales come from [`LocalEngineConfig`].
//!
//! Long texts are split at sentence ends into pieces of at most
//! [`LocalEngineConfig::max_chunk_chars`] characters, synthesized one after another and joined
//! with [`LocalEngineConfig::chunk_pause_ms`] of silence. Inference runs on Tokio's blocking pool.

mod batch;
mod chunk;
mod config;
mod error;
mod graph_cut;
pub(crate) mod model;
pub(crate) mod runtime;
mod speed_input;
pub mod tokenizer;
pub(crate) mod window;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use self::batch::Interest;
use self::model::{GraphMetadata, InferenceParams, Model, Placement};
use self::window::Windows;
use crate::tts::provider::{
    synthesize_blocking, ProviderError, SynthesisRequest, SynthesizedAudio, TtsProvider, VoiceInfo,
};

pub use self::config::{
    Batching, ConvSearch, CpuOptions, CudaOptions, Device, LocalEngineConfig, ParseDeviceError,
};
pub use self::error::LoadError;
pub use self::model::ModelLayout;
pub use self::tokenizer::{TokenizerError, TokenizerOptions, VitsTokenizer};

/// Sample rate assumed for sherpa-onnx models without `sample_rate` metadata (all MMS models).
const DEFAULT_SAMPLE_RATE: u32 = 16_000;
/// Accepted range of [`SynthesisRequest::speed`] for models that honour it.
const SPEED_RANGE: std::ops::RangeInclusive<f32> = 0.1..=10.0;

/// The local MMS-TTS engine. Cheap to clone; all clones share the loaded model.
#[derive(Clone)]
pub struct LocalMmsProvider {
    inner: Arc<Engine>,
}

struct Engine {
    model: Model,
    tokenizer: VitsTokenizer,
    sample_rate: u32,
    noise_scale: f32,
    noise_scale_w: f32,
    max_chunk_chars: usize,
    chunk_pause_ms: u32,
    max_text_chars: usize,
    voice: VoiceInfo,
}

impl LocalMmsProvider {
    /// Loads ONNX Runtime (once per process) and the model in `config.model_dir`.
    ///
    /// Blocking (reads and optimises the graph; about a second for the full-size model): call it
    /// at start-up or inside `spawn_blocking`. Never panics; every failure is a [`LoadError`]
    /// whose message names the fix.
    pub fn load(config: LocalEngineConfig) -> Result<Self, LoadError> {
        config.validate().map_err(LoadError::InvalidConfig)?;
        let dir = &config.model_dir;
        if !dir.is_dir() {
            return Err(LoadError::ModelDirMissing { path: dir.clone() });
        }
        let model_path = find_model_file(dir)?;
        let env = runtime::environment(config.dylib_path.as_deref())?;
        let placement = Placement {
            device: config.device,
            cuda: config.cuda,
            cpu: config.cpu,
            intra_threads: config.intra_threads,
            workers: config.workers,
            batching: config.batching,
            windows: vocoder_windows(dir, config.vocoder_window_frames),
        };
        let (model, metadata) = Model::load(&env, &model_path, &placement)?;

        let (tokenizer, sample_rate) = match model.layout() {
            ModelLayout::HuggingFace => hf_tokenizer(dir)?,
            ModelLayout::Sherpa => sherpa_tokenizer(dir, &model_path, &metadata)?,
            ModelLayout::Piper => {
                return Err(LoadError::UnsupportedModel {
                    path: model_path.clone(),
                    reason:
                        "this is a Piper voice; serve it with TTS_PROVIDER=piper and VOICES_DIR"
                            .to_owned(),
                })
            }
        };

        Ok(Self {
            inner: Arc::new(Engine {
                model,
                tokenizer,
                sample_rate,
                noise_scale: config.noise_scale,
                noise_scale_w: config.noise_scale_w,
                max_chunk_chars: config.max_chunk_chars,
                chunk_pause_ms: config.chunk_pause_ms,
                max_text_chars: config.max_text_chars,
                voice: voice_info(&config, sample_rate),
            }),
        })
    }

    /// Output sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.inner.sample_rate
    }

    /// Which export layout the loaded model uses.
    pub fn layout(&self) -> ModelLayout {
        self.inner.model.layout()
    }

    /// Most pieces of text that share one inference run (1 = no batching).
    pub fn batch_size(&self) -> usize {
        self.inner.model.batch_size()
    }

    /// Batched runs made so far and the pieces of text they carried (`(0, 0)` when not batching).
    pub fn batch_runs(&self) -> (u64, u64) {
        self.inner.model.batch_runs()
    }

    /// Vocoder runs so far when the graph runs in two halves (one per window of every piece;
    /// [`LocalEngineConfig::vocoder_window_frames`]); 0 when it runs whole.
    pub fn vocoder_runs(&self) -> u64 {
        self.inner.model.vocoder_runs()
    }

    /// Queued pieces skipped because the request that queued them was dropped before they ran
    /// (two-half runner only; see [`TtsProvider::synthesize`] here).
    pub fn skipped_pieces(&self) -> u64 {
        self.inner.model.skipped_pieces()
    }

    /// The tokenizer the engine feeds the model with.
    pub fn tokenizer(&self) -> &VitsTokenizer {
        &self.inner.tokenizer
    }

    /// Synthesizes on the calling thread (the async [`TtsProvider::synthesize`] wraps this in
    /// `spawn_blocking`). Useful for benchmarks and non-async callers.
    pub fn synthesize_blocking(
        &self,
        request: &SynthesisRequest,
    ) -> Result<SynthesizedAudio, ProviderError> {
        self.inner.check_request(request)?;
        self.inner.synthesize(request, &Interest::default())
    }
}

impl Engine {
    /// Checks that need no model work, so obviously bad requests fail before queueing.
    fn check_request(&self, request: &SynthesisRequest) -> Result<(), ProviderError> {
        if request.text.trim().is_empty() {
            return Err(ProviderError::InvalidInput("text is empty".to_owned()));
        }
        let chars = request.text.chars().count();
        if chars > self.max_text_chars {
            return Err(ProviderError::InvalidInput(format!(
                "text is too long for local synthesis ({chars} characters, limit {})",
                self.max_text_chars
            )));
        }
        if !self.model.takes_length_scale() && request.speed != 1.0 {
            return Err(ProviderError::InvalidInput(format!(
                "speed {} cannot be honoured: this model's speaking rate was fixed at export and no length scale was found in its graph; send speed 1.0",
                request.speed
            )));
        }
        if !SPEED_RANGE.contains(&request.speed) {
            return Err(ProviderError::InvalidInput(format!(
                "speed must be between {} and {}, got {}",
                SPEED_RANGE.start(),
                SPEED_RANGE.end(),
                request.speed
            )));
        }
        Ok(())
    }

    fn synthesize(
        &self,
        request: &SynthesisRequest,
        interest: &Interest,
    ) -> Result<SynthesizedAudio, ProviderError> {
        let pieces: Vec<Vec<i64>> = chunk::split_text(&request.text, self.max_chunk_chars)
            .iter()
            .map(|piece| self.tokenizer.encode(piece))
            .filter(|ids| !ids.is_empty())
            .collect();
        if pieces.is_empty() {
            return Err(ProviderError::InvalidInput(
                "text has nothing the model can speak (no letters of its alphabet; digits and punctuation are not read)"
                    .to_owned(),
            ));
        }
        let params = InferenceParams {
            noise_scale: self.noise_scale,
            length_scale: 1.0 / request.speed,
            noise_scale_w: self.noise_scale_w,
            speaker_id: None,
            urgency: request.urgency,
        };
        let pause_len =
            usize::try_from(u64::from(self.sample_rate) * u64::from(self.chunk_pause_ms) / 1000)
                .unwrap_or(0);
        let audio = self
            .model
            .infer_all(&pieces, params, interest)
            .map_err(|e| ProviderError::Engine(format!("local TTS inference failed: {e}")))?;
        let mut samples = Vec::new();
        for (index, audio) in audio.into_iter().enumerate() {
            if index > 0 {
                samples.resize(samples.len() + pause_len, 0.0);
            }
            samples.extend(audio.into_iter().map(|s| {
                if s.is_nan() {
                    0.0
                } else {
                    s.clamp(-1.0, 1.0)
                }
            }));
        }
        Ok(SynthesizedAudio {
            samples,
            sample_rate: self.sample_rate,
            ran_on: None,
        })
    }
}

#[async_trait]
impl TtsProvider for LocalMmsProvider {
    async fn synthesize(
        &self,
        request: &SynthesisRequest,
    ) -> Result<SynthesizedAudio, ProviderError> {
        self.inner.check_request(request)?;
        let engine = Arc::clone(&self.inner);
        let request = request.clone();
        // Dropping this future (the listener left) abandons the pieces still queued: the blocking
        // task goes on without a caller, so only this guard can tell the queue.
        let interest = Interest::default();
        let _abandon_on_drop = AbandonOnDrop(interest.clone());
        synthesize_blocking("local TTS", move || engine.synthesize(&request, &interest)).await
    }

    fn runs_on(&self) -> String {
        self.inner.model.device().as_str().to_owned()
    }

    fn concurrency(&self) -> usize {
        self.inner.model.concurrency()
    }

    async fn health(&self) -> Result<(), ProviderError> {
        // The sessions are created in `load` and live as long as the provider.
        Ok(())
    }

    fn voices(&self) -> Vec<VoiceInfo> {
        vec![self.inner.voice.clone()]
    }
}

/// Abandons an [`Interest`] when dropped: when the synthesis future is dropped before its
/// result, and harmlessly after it.
struct AbandonOnDrop(Interest);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

impl fmt::Debug for LocalMmsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalMmsProvider")
            .field("model", &self.inner.model.path())
            .field("layout", &self.inner.model.layout())
            .field("device", &self.inner.model.device())
            .field("batch", &self.inner.model.batch_size())
            .field("sample_rate", &self.inner.sample_rate)
            .finish_non_exhaustive()
    }
}

/// Tokenizer and sample rate of a Hugging Face export (`vocab.json`, `config.json`).
fn hf_tokenizer(dir: &Path) -> Result<(VitsTokenizer, u32), LoadError> {
    require(
        &dir.join("vocab.json"),
        "a Hugging Face ONNX export needs vocab.json next to onnx/",
    )?;
    let config_path = dir.join("config.json");
    require(
        &config_path,
        "a Hugging Face ONNX export needs config.json (for sampling_rate)",
    )?;
    Ok((
        VitsTokenizer::from_hf_dir(dir)?,
        read_sampling_rate(&config_path)?,
    ))
}

/// Tokenizer and sample rate of a sherpa-onnx export (`tokens.txt`, graph metadata).
fn sherpa_tokenizer(
    dir: &Path,
    model_path: &Path,
    metadata: &GraphMetadata,
) -> Result<(VitsTokenizer, u32), LoadError> {
    let tokens = dir.join("tokens.txt");
    require(
        &tokens,
        "a sherpa-onnx export needs tokens.txt next to model.onnx",
    )?;
    let add_blank = metadata.add_blank.as_deref().map(str::trim) != Some("0");
    let sample_rate =
        match metadata.sample_rate.as_deref() {
            None => DEFAULT_SAMPLE_RATE,
            Some(s) => s.trim().parse().ok().filter(|r| *r > 0).ok_or_else(|| {
                LoadError::UnsupportedModel {
                    path: model_path.to_path_buf(),
                    reason: format!("metadata sample_rate {s:?} is not a positive integer"),
                }
            })?,
        };
    Ok((
        VitsTokenizer::from_tokens_txt(&tokens, add_blank)?,
        sample_rate,
    ))
}

/// The engine's one voice: named after the model directory.
fn voice_info(config: &LocalEngineConfig, sample_rate: u32) -> VoiceInfo {
    VoiceInfo {
        name: config
            .model_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "mms".to_owned()),
        language: config.language.clone(),
        sample_rate,
        quality: None,
        // The MMS weights are CC-BY-NC-4.0 (non-commercial use only).
        licence: Some("CC-BY-NC-4.0".to_owned()),
        provider: "local".to_owned(),
    }
}

/// `onnx/model.onnx` (layout a) if present, else `model.onnx` (either layout, decided later).
fn find_model_file(dir: &Path) -> Result<PathBuf, LoadError> {
    let candidates = [dir.join("onnx").join("model.onnx"), dir.join("model.onnx")];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| LoadError::NoModelFile {
            dir: dir.to_path_buf(),
        })
}

fn require(path: &Path, what: &str) -> Result<(), LoadError> {
    if path.is_file() {
        Ok(())
    } else {
        Err(LoadError::ModelFileMissing {
            path: path.to_path_buf(),
            what: what.to_owned(),
        })
    }
}

/// How the vocoder of a layout-(a) model in `dir` runs: windows of `frames` frames with the
/// overlap its `config.json` calls for, or whole when `frames` is 0 or that file cannot tell
/// (then each piece's memory grows with its length; logged).
fn vocoder_windows(dir: &Path, frames: usize) -> Windows {
    if frames == 0 {
        return Windows::WHOLE;
    }
    let path = dir.join("config.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        // Not a layout-(a) directory: there is no vocoder to window.
        return Windows::WHOLE;
    };
    let reach = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|config| window::hifigan_reach(&config));
    match reach {
        Some(reach) => Windows::new(frames, reach),
        None => {
            tracing::warn!(config = %path.display(), "cannot read the vocoder's hyper-parameters; running the vocoder whole");
            Windows::WHOLE
        }
    }
}

/// `sampling_rate` from a Hugging Face `config.json`.
fn read_sampling_rate(path: &Path) -> Result<u32, LoadError> {
    let invalid = |reason: String| LoadError::InvalidModelConfig {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    value
        .get("sampling_rate")
        .and_then(serde_json::Value::as_u64)
        .and_then(|r| u32::try_from(r).ok())
        .filter(|r| *r > 0)
        .ok_or_else(|| invalid("no positive integer sampling_rate".to_owned()))
}
