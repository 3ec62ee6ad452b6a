//! Settings of the local engine.
//!
//! Why a separate type: the service's settings layer maps its own keys onto this, and tests build
//! it directly; the defaults are the values the original Python service used.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

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
    /// Silence inserted between pieces of a split text, in milliseconds.
    pub chunk_pause_ms: u32,
    /// Longest accepted request text, in characters.
    pub max_text_chars: usize,
    /// Language the model speaks, as listed by `GET /v1/voices` (MMS models are monolingual).
    pub language: String,
}

impl LocalEngineConfig {
    /// Defaults for the model in `model_dir`: library from `ORT_DYLIB_PATH`, device auto,
    /// ONNX Runtime's thread default, one worker, MMS noise scales, 400-character chunks with
    /// 150 ms pauses, at most 20,000 characters per request.
    pub fn new(model_dir: impl Into<PathBuf>) -> Self {
        Self {
            model_dir: model_dir.into(),
            dylib_path: None,
            device: Device::Auto,
            intra_threads: 0,
            workers: 1,
            noise_scale: 0.667,
            noise_scale_w: 0.8,
            max_chunk_chars: 400,
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
