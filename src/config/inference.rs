//! How the local engines run their graphs (issue 18): the CUDA execution
//! provider's options and the batching of concurrent texts. ONNX Runtime's
//! own CUDA defaults made the service 18× slower on an H200 than PyTorch on
//! the same GPU (its exhaustive cuDNN search re-benchmarks every sentence's
//! new shape), so the defaults here are the measured ones.

use std::time::Duration;

use super::{invalid, parse_bool, parse_bounded, Raw, SettingsError};

/// Settings of local inference beyond the device (`TTS_DEVICE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferenceSettings {
    /// `TTS_CUDA_DEVICE_ID`: which GPU.
    pub cuda_device_id: i32,
    /// `TTS_CUDA_CONV_ALGO_SEARCH`: `default` (measured fastest), `heuristic`
    /// or `exhaustive` (ONNX Runtime's own default).
    pub cuda_conv_algo_search: String,
    /// `TTS_CUDA_MEMORY_LIMIT_MB`: upper bound of ONNX Runtime's GPU memory
    /// arena; `None` (0) = no limit.
    pub cuda_memory_limit_bytes: Option<usize>,
    /// `TTS_BATCH_MAX`: most texts in one run; `None` (`auto`, the default) =
    /// 16 on CUDA and 1 (off) on the CPU.
    pub batch_max: Option<usize>,
    /// `TTS_BATCH_WAIT_MS`: how long the first text of a batch waits for more.
    pub batch_wait: Duration,
    /// `TTS_CPU_MEMORY_ARENA`: keep ONNX Runtime's CPU memory arena (default on).
    pub cpu_memory_arena: bool,
    /// `TTS_CPU_SPIN`: let ONNX Runtime's idle threads spin (default on).
    pub cpu_spin: bool,
    /// `TTS_CPU_NICE`: nice value of the inference threads (0 to 19, default 0); above 0 the
    /// threads that answer requests get saturated cores first.
    pub cpu_nice: i32,
    /// `TTS_VOCODER_WINDOW_FRAMES`: spectrogram frames per vocoder run of the
    /// local MMS engine (default 256); 0 = the whole piece in one run. Windows
    /// bound the vocoder's memory with the same audio (`tts::local::window`).
    pub vocoder_window_frames: usize,
}

pub(super) fn parse_inference(raw: &Raw) -> Result<InferenceSettings, SettingsError> {
    let search = raw.get("tts_cuda_conv_algo_search")?.trim().to_lowercase();
    if !matches!(search.as_str(), "default" | "heuristic" | "exhaustive") {
        return Err(invalid(
            "tts_cuda_conv_algo_search",
            "expected default, heuristic or exhaustive",
        ));
    }
    let device_id = parse_bounded(raw, "tts_cuda_device_id", 0, 1_023)?;
    let limit_mb = parse_bounded(raw, "tts_cuda_memory_limit_mb", 0, 16 * 1024 * 1024)?;
    let batch_max = match raw.get("tts_batch_max")?.trim().to_lowercase().as_str() {
        "" | "auto" => None,
        n => match n.parse::<usize>() {
            Ok(n) if (1..=256).contains(&n) => Some(n),
            _ => {
                return Err(invalid(
                    "tts_batch_max",
                    "expected auto or a whole number from 1 (off) to 256",
                ))
            }
        },
    };
    let wait_ms = parse_bounded(raw, "tts_batch_wait_ms", 0, 10_000)?;
    let flag = |key: &'static str| -> Result<bool, SettingsError> {
        parse_bool(&raw.get(key)?).ok_or_else(|| invalid(key, "expected true or false"))
    };
    Ok(InferenceSettings {
        cuda_device_id: i32::try_from(device_id).unwrap_or(0),
        cuda_conv_algo_search: search,
        cuda_memory_limit_bytes: (limit_mb > 0)
            .then(|| usize::try_from(limit_mb * 1024 * 1024).unwrap_or(usize::MAX)),
        batch_max,
        batch_wait: Duration::from_millis(wait_ms),
        cpu_memory_arena: flag("tts_cpu_memory_arena")?,
        cpu_spin: flag("tts_cpu_spin")?,
        cpu_nice: i32::try_from(parse_bounded(raw, "tts_cpu_nice", 0, 19)?).unwrap_or(0),
        vocoder_window_frames: vocoder_window(raw)?,
    })
}

/// `TTS_VOCODER_WINDOW_FRAMES`: 0 (off) or 32 to 65,536 frames; shorter windows
/// would spend more on their context (about 17 frames each side) than on their own frames.
fn vocoder_window(raw: &Raw) -> Result<usize, SettingsError> {
    let key = "tts_vocoder_window_frames";
    match parse_bounded(raw, key, 0, 65_536)? {
        0 => Ok(0),
        n if n >= 32 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(invalid(
            key,
            "expected 0 (off) or a whole number from 32 to 65536",
        )),
    }
}
