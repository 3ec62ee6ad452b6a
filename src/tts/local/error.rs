//! Why loading the local engine failed.
//!
//! Why its own type: these errors reach operators at start-up (logs, `/health`), so each message
//! says what is wrong and how to fix it, instead of a bare ONNX Runtime status string.

use std::path::PathBuf;

use super::tokenizer::TokenizerError;

/// Loading the local engine failed; the message names the fix.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Neither the configuration nor `ORT_DYLIB_PATH` says where ONNX Runtime is.
    #[error(
        "ONNX Runtime library not configured; run scripts/install-onnxruntime.sh and set ORT_DYLIB_PATH to the path it prints"
    )]
    RuntimeNotConfigured,
    /// The configured ONNX Runtime library does not exist.
    #[error("libonnxruntime.so not found at {}; run scripts/install-onnxruntime.sh or set ORT_DYLIB_PATH", .path.display())]
    RuntimeMissing { path: PathBuf },
    /// The library exists but could not be loaded or initialised.
    #[error(
        "cannot load ONNX Runtime from {}: {reason}; it must be ONNX Runtime's libonnxruntime.so, 1.31 recommended (run scripts/install-onnxruntime.sh)",
        .path.display()
    )]
    RuntimeLoad { path: PathBuf, reason: String },
    /// The model directory does not exist.
    #[error("TTS model directory {} does not exist; download the model or fix the model path setting", .path.display())]
    ModelDirMissing { path: PathBuf },
    /// The model directory holds no ONNX model.
    #[error(
        "no ONNX model in {}; expected onnx/model.onnx + vocab.json + config.json (Hugging Face export) or model.onnx + tokens.txt (sherpa-onnx export)",
        .dir.display()
    )]
    NoModelFile { dir: PathBuf },
    /// A file the model layout needs is missing.
    #[error("{} is missing: {what}", .path.display())]
    ModelFileMissing { path: PathBuf, what: String },
    /// The ONNX file exists but ONNX Runtime cannot load it.
    #[error("{} is not a loadable ONNX model ({reason}); re-download or re-export the model", .path.display())]
    BrokenModel { path: PathBuf, reason: String },
    /// The ONNX graph is neither of the supported MMS-TTS layouts.
    #[error("{} is not a supported MMS-TTS export: {reason}", .path.display())]
    UnsupportedModel { path: PathBuf, reason: String },
    /// A tokenizer or config file could not be used.
    #[error("{0}; fix or re-download the model's tokenizer files")]
    Tokenizer(#[from] TokenizerError),
    /// `config.json` could not be used.
    #[error("invalid {}: {reason}", .path.display())]
    InvalidModelConfig { path: PathBuf, reason: String },
    /// `device = cuda` but the CUDA execution provider is not available.
    #[error(
        "CUDA was requested but is not available ({reason}); use device=auto or cpu, or a CUDA build of libonnxruntime with CUDA and cuDNN installed"
    )]
    CudaUnavailable { reason: String },
    /// A setting is out of range.
    #[error("invalid local TTS engine setting: {0}")]
    InvalidConfig(String),
    /// ONNX Runtime failed in a way not covered above.
    #[error("ONNX Runtime error while loading the TTS model: {0}")]
    Runtime(String),
}
