//! The process-wide ONNX Runtime environment.
//!
//! Why: `ort` loads `libonnxruntime.so` once per process and allows one environment per process
//! (even after the first is dropped), so the environment is created on the first model load and
//! kept for the life of the process; later loads reuse it. A failed attempt is not remembered, so
//! a fixed path can be tried again. The library path is checked before `ort` sees it because some
//! `ort` versions panic on a bad path; initialisation is also wrapped in `catch_unwind`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use ort::environment::Environment;

use super::error::LoadError;

/// Environment variable naming the ONNX Runtime library (also read by `ort` itself).
pub(crate) const DYLIB_ENV: &str = "ORT_DYLIB_PATH";

struct Loaded {
    env: Environment,
    dylib: PathBuf,
}

static RUNTIME: Mutex<Option<Loaded>> = Mutex::new(None);

/// Returns the process-wide environment, loading the library on first use.
///
/// `configured` wins over `ORT_DYLIB_PATH`. The path must exist even when the runtime is already
/// loaded, so a wrong setting is reported the same way whatever loaded first.
pub(crate) fn environment(configured: Option<&Path>) -> Result<Environment, LoadError> {
    let path = match configured {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os(DYLIB_ENV) {
            Some(v) if !v.is_empty() => PathBuf::from(v),
            _ => return Err(LoadError::RuntimeNotConfigured),
        },
    };
    if !path.is_file() {
        return Err(LoadError::RuntimeMissing { path });
    }
    // Absolute path: `ort` resolves relative paths against the executable's directory.
    let path = path.canonicalize().map_err(|e| LoadError::RuntimeLoad {
        path: path.clone(),
        reason: e.to_string(),
    })?;

    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(loaded) = slot.as_ref() {
        if loaded.dylib != path {
            tracing::warn!(
                loaded = %loaded.dylib.display(),
                requested = %path.display(),
                "ONNX Runtime is already loaded in this process; ignoring the other library path"
            );
        }
        return Ok(loaded.env.clone());
    }

    let env = catch_unwind(AssertUnwindSafe(|| -> Result<Environment, String> {
        let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
        builder
            .with_name("last-whisper")
            .with_telemetry(false)
            .build()
            .map_err(|e| e.to_string())
    }))
    .map_err(|_| LoadError::RuntimeLoad {
        path: path.clone(),
        reason: "ONNX Runtime initialisation panicked".to_owned(),
    })?
    .map_err(|reason| LoadError::RuntimeLoad {
        path: path.clone(),
        reason,
    })?;

    tracing::info!(library = %path.display(), "loaded ONNX Runtime");
    *slot = Some(Loaded {
        env: env.clone(),
        dylib: path,
    });
    Ok(env)
}
