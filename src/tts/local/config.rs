//! Settings of the local engine.
//!
//! Why a separate type: the service's settings layer maps its own keys onto this, and tests build
//! it directly; the defaults are the values the original Python service used.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// CPU execution provider.
    Cpu,
    /// CUDA execution provider; loading fails if it cannot be registered.
    Cuda,
    /// CUDA when its execution provider registers (needs a CUDA build of ONNX Runtime), else CPU.
    #[default]
    Auto,
}

impl Device {
    /// Lower-case name, as accepted by [`FromStr`] and stored in task rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
            Self::Auto => "auto",
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device name other than `cpu`, `cuda`/`gpu` or `auto`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown device {0:?}; expected cpu, cuda or auto")]
pub struct ParseDeviceError(pub String);

impl FromStr for Device {
    type Err = ParseDeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda),
            "auto" | "" => Ok(Self::Auto),
            _ => Err(ParseDeviceError(s.to_owned())),
        }
    }
}

/// How cuDNN picks a convolution algorithm (ONNX Runtime's `cudnn_conv_algo_search`).
///
/// Measured on an H200 with the full-size MMS graph (`shared/gpu.md`): `exhaustive`, ONNX
/// Runtime's own default, re-benchmarks every new input shape, and every sentence is a new shape:
/// RTF 0.224. `heuristic` 0.035. `default` 0.0199, PyTorch's speed, so it is this service's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConvSearch {
    /// cuDNN's default algorithm (implicit precomputed GEMM), no search.
    #[default]
    Default,
    /// cuDNN's heuristics pick per shape.
    Heuristic,
    /// Benchmark every algorithm for every new shape.
    Exhaustive,
}

impl ConvSearch {
    /// Lower-case name, as accepted by [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Heuristic => "heuristic",
            Self::Exhaustive => "exhaustive",
        }
    }
}

impl FromStr for ConvSearch {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "default" | "" => Ok(Self::Default),
            "heuristic" => Ok(Self::Heuristic),
            "exhaustive" => Ok(Self::Exhaustive),
            _ => Err(format!(
                "unknown cuDNN algorithm search {s:?}; expected default, heuristic or exhaustive"
            )),
        }
    }
}

/// Options of the CUDA execution provider; ignored on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CudaOptions {
    /// Which GPU (`cudaSetDevice` ordinal).
    pub device_id: i32,
    /// cuDNN convolution algorithm search.
    pub conv_search: ConvSearch,
    /// Upper bound of ONNX Runtime's GPU memory arena in bytes; `None` = no limit.
    pub memory_limit: Option<usize>,
}

/// How ONNX Runtime runs a model on the CPU; ignored on CUDA.
///
/// Both default to on, ONNX Runtime's own defaults: turning them off did not lower the peak
/// memory of the full-size model (`tts-bench --cpu-arena false --cpu-spin false`, README's
/// hardening notes); they are settings for operators who share few cores with other work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuOptions {
    /// Keep ONNX Runtime's CPU memory arena (and its memory-pattern planning). The arena keeps
    /// the largest activations any text ever needed for the life of the session, per worker.
    pub memory_arena: bool,
    /// Let idle intra-op threads spin between operators (lower latency per run, whole cores
    /// burnt while waiting, taken from the request threads).
    pub spin: bool,
    /// Nice value (0 to 19) of the threads that run the graphs: ONNX Runtime's intra-op pools
    /// and the batch threads. Above 0 they yield the cores to the threads that answer requests
    /// whenever both want them, and run at full speed otherwise. 0 = the process's own.
    pub nice: i32,
}

impl Default for CpuOptions {
    fn default() -> Self {
        Self {
            memory_arena: true,
            spin: true,
            nice: 0,
        }
    }
}

/// Dynamic batching: texts that arrive while a run is being gathered share one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// Most pieces of text in one run; `None` = by device (16 on CUDA, 1 = off on the CPU,
    /// where a batch only adds padding: see `scripts/bench-tts.sh --batch`).
    pub max: Option<usize>,
    /// How long the first text of a run waits for others.
    pub wait: Duration,
}

impl Batching {
    /// Batch size used on a CUDA device when none is configured.
    pub const CUDA_DEFAULT: usize = 16;

    /// No batching whatever the device.
    pub fn off() -> Self {
        Self {
            max: Some(1),
            wait: Duration::ZERO,
        }
    }

    /// The batch size on `device` (a resolved device: CPU or CUDA).
    pub fn max_on(self, device: Device) -> usize {
        match (self.max, device) {
            (Some(max), _) => max.max(1),
            (None, Device::Cuda) => Self::CUDA_DEFAULT,
            (None, _) => 1,
        }
    }
}

impl Default for Batching {
    fn default() -> Self {
        Self {
            max: None,
            wait: Duration::from_millis(10),
        }
    }
}

/// Everything [`LocalMmsProvider::load`](super::LocalMmsProvider::load) needs.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalEngineConfig {
    /// Model directory: layout (a) `onnx/model.onnx` + `vocab.json` + `config.json`
    /// (+ `tokenizer_config.json`), or layout (b) `model.onnx` + `tokens.txt`.
    pub model_dir: PathBuf,
    /// Path of `libonnxruntime.so`; `None` = environment variable `ORT_DYLIB_PATH`.
    pub dylib_path: Option<PathBuf>,
    /// Execution device.
    pub device: Device,
    /// CUDA execution provider options.
    pub cuda: CudaOptions,
    /// CPU execution options.
    pub cpu: CpuOptions,
    /// Batching of concurrent texts (layout (a) only: its graph masks everything but the vocoder).
    pub batching: Batching,
    /// Threads ONNX Runtime may use inside one operator; 0 = ONNX Runtime's default (one per core).
    pub intra_threads: usize,
    /// Number of sessions (each holds its own copy of the weights), i.e. how many texts can be
    /// synthesized at the same time. At least 1.
    pub workers: usize,
    /// Prior noise of layout (b) models (`noise_scale`, MMS default 0.667). Layout (a) exports
    /// have it baked in. 0 makes the output deterministic.
    pub noise_scale: f32,
    /// Duration noise of layout (b) models (`noise_scale_w`, MMS default 0.8). Layout (a) exports
    /// have it baked in. 0 makes the output deterministic.
    pub noise_scale_w: f32,
    /// Longest piece of text given to the model in one run, in characters.
    pub max_chunk_chars: usize,
    /// Spectrogram frames per vocoder run of a layout-(a) model (256 samples each, 16 ms at
    /// 16 kHz), with the context its reach needs on both sides; 0 = the whole piece in one run.
    /// Bounds the vocoder's memory whatever the piece's length, with the same audio.
    pub vocoder_window_frames: usize,
    /// Silence inserted between pieces of a split text, in milliseconds.
    pub chunk_pause_ms: u32,
    /// Longest accepted request text, in characters.
    pub max_text_chars: usize,
    /// Language the model speaks, as listed by `GET /v1/voices` (MMS models are monolingual).
    pub language: String,
}

impl LocalEngineConfig {
    /// Default of [`Self::vocoder_window_frames`]: about 4 s of audio per run.
    pub const VOCODER_WINDOW_FRAMES: usize = 256;

    /// Defaults for the model in `model_dir`: library from `ORT_DYLIB_PATH`, device auto,
    /// ONNX Runtime's thread default, one worker, MMS noise scales, 400-character chunks with
    /// 150 ms pauses, at most 20,000 characters per request.
    pub fn new(model_dir: impl Into<PathBuf>) -> Self {
        Self {
            model_dir: model_dir.into(),
            dylib_path: None,
            device: Device::Auto,
            cuda: CudaOptions::default(),
            cpu: CpuOptions::default(),
            batching: Batching::default(),
            intra_threads: 0,
            workers: 1,
            noise_scale: 0.667,
            noise_scale_w: 0.8,
            max_chunk_chars: 400,
            vocoder_window_frames: Self::VOCODER_WINDOW_FRAMES,
            chunk_pause_ms: 150,
            max_text_chars: 20_000,
            language: "fi".to_owned(),
        }
    }

    /// Checks the values that do not need any file; returns what is wrong.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.workers == 0 {
            return Err("workers must be at least 1".to_owned());
        }
        for (name, value) in [
            ("noise_scale", self.noise_scale),
            ("noise_scale_w", self.noise_scale_w),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(format!("{name} must be a finite number ≥ 0, got {value}"));
            }
        }
        if self.max_chunk_chars < 20 {
            return Err(format!(
                "max_chunk_chars must be at least 20, got {}",
                self.max_chunk_chars
            ));
        }
        if self.batching.max == Some(0) {
            return Err("batch size must be at least 1".to_owned());
        }
        if self.max_text_chars == 0 {
            return Err("max_text_chars must be at least 1".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names() {
        assert_eq!("CPU".parse::<Device>(), Ok(Device::Cpu));
        assert_eq!("gpu".parse::<Device>(), Ok(Device::Cuda));
        assert_eq!("auto".parse::<Device>(), Ok(Device::Auto));
        assert!("tpu".parse::<Device>().is_err());
        assert_eq!(Device::Cuda.to_string(), "cuda");
    }

    #[test]
    fn conv_search_names_and_default() {
        assert_eq!("HEURISTIC".parse::<ConvSearch>(), Ok(ConvSearch::Heuristic));
        assert_eq!(
            "exhaustive".parse::<ConvSearch>(),
            Ok(ConvSearch::Exhaustive)
        );
        assert_eq!(ConvSearch::default(), ConvSearch::Default);
        assert!("fastest".parse::<ConvSearch>().is_err());
    }

    #[test]
    fn batch_size_follows_the_device_unless_set() {
        let by_device = Batching::default();
        assert_eq!(by_device.max_on(Device::Cpu), 1);
        assert_eq!(by_device.max_on(Device::Cuda), Batching::CUDA_DEFAULT);
        let set = Batching {
            max: Some(4),
            ..Batching::default()
        };
        assert_eq!(set.max_on(Device::Cpu), 4);
        assert_eq!(Batching::off().max_on(Device::Cuda), 1);
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(LocalEngineConfig::new("m").validate(), Ok(()));
        let mut c = LocalEngineConfig::new("m");
        c.workers = 0;
        assert!(c.validate().is_err());
        c.workers = 1;
        c.noise_scale = f32::NAN;
        assert!(c.validate().is_err());
    }
}
