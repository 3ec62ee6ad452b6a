//! Speech engines (`TTS_*`, `AZURE_*`, `GOOGLE_*`, `PIPER_*`, `VOICES_DIR`): which
//! engine speaks, its fallbacks, languages, local-model and cloud settings,
//! and the retry/circuit-breaker rules the cloud engines share.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::{
    invalid, parse_bool, parse_bounded, parse_count, parse_language_list, parse_seconds, redacted,
    split_list, InferenceSettings, Raw, SettingsError,
};

/// Which engine synthesises speech.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtsProviderKind {
    Local,
    Azure,
    Gcp,
    /// Piper voices from `VOICES_DIR` (`TTS_PROVIDER=piper`).
    Piper,
}

/// How the cloud engines treat a slow or failing provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResilienceSettings {
    /// Limit for one HTTP request, body included (`TTS_REQUEST_TIMEOUT_SECONDS`).
    pub request_timeout: Duration,
    /// Extra attempts after a 429/5xx/timeout (`TTS_MAX_RETRIES`).
    pub max_retries: u32,
    /// First back-off step, doubled per retry and jittered (`TTS_RETRY_BASE_MS`).
    pub retry_base: Duration,
    /// Longest back-off, and the longest `Retry-After` we wait for
    /// (`TTS_RETRY_MAX_SECONDS`); a longer request fails the attempt.
    pub retry_max: Duration,
    /// Consecutive failed syntheses that open the circuit (`TTS_BREAKER_THRESHOLD`).
    pub breaker_threshold: u32,
    /// How long an open circuit fails fast before one trial request
    /// (`TTS_BREAKER_COOLDOWN_SECONDS`).
    pub breaker_cooldown: Duration,
}

/// Azure Speech over REST.
#[derive(Clone, PartialEq)]
pub struct AzureSettings {
    /// `AZURE_SPEECH_KEY` (secret).
    pub key: Option<String>,
    /// `AZURE_SPEECH_REGION`, or the legacy `AZURE_SERVICE_REGION`.
    pub region: Option<String>,
    /// `AZURE_SPEECH_ENDPOINT`; default `https://{region}.tts.speech.microsoft.com`.
    pub endpoint: Option<String>,
    /// Voices picked from at random per request (`AZURE_SPEECH_VOICES`).
    pub voices: Vec<String>,
    /// One fixed voice instead of the random pick (`AZURE_SPEECH_VOICE`).
    pub voice: Option<String>,
    /// Output rate in Hz (`AZURE_SPEECH_SAMPLE_RATE`).
    pub sample_rate: u32,
}

impl fmt::Debug for AzureSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureSettings")
            .field("key", &redacted(&self.key))
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("voices", &self.voices)
            .field("voice", &self.voice)
            .field("sample_rate", &self.sample_rate)
            .finish()
    }
}

/// Google Cloud Text-to-Speech over REST.
#[derive(Clone, PartialEq)]
pub struct GoogleSettings {
    /// Service-account key file (`GOOGLE_APPLICATION_CREDENTIALS`).
    pub credentials_path: PathBuf,
    /// `GOOGLE_API_KEY` (secret); preferred over the key file when set.
    pub api_key: Option<String>,
    /// `GOOGLE_TTS_ENDPOINT`.
    pub endpoint: String,
    /// Voices picked from at random (`GOOGLE_TTS_VOICES`); empty = the
    /// original's 31 Finnish voices.
    pub voices: Vec<String>,
    /// One fixed voice instead of the random pick (`GOOGLE_TTS_VOICE`).
    pub voice: Option<String>,
    /// LINEAR16 rate in Hz (`GOOGLE_TTS_SAMPLE_RATE`).
    pub sample_rate: u32,
}

impl fmt::Debug for GoogleSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleSettings")
            .field("credentials_path", &self.credentials_path)
            .field("api_key", &redacted(&self.api_key))
            .field("endpoint", &self.endpoint)
            .field("voices", &self.voices)
            .field("voice", &self.voice)
            .field("sample_rate", &self.sample_rate)
            .finish()
    }
}

/// TTS configuration shared by every engine.
// Debug is derived: the secrets inside (cloud keys) redact themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct TtsSettings {
    pub provider: TtsProviderKind,
    /// Engines tried in order after `provider` fails (`TTS_FALLBACK`).
    pub fallback: Vec<TtsProviderKind>,
    pub supported_languages: Vec<String>,
    /// `TTS_SUBMISSION_WORKERS`: the original's setting, kept for its
    /// value in `/metadata`; submissions happen in the creating transaction.
    pub submission_workers: usize,
    pub resilience: ResilienceSettings,
    pub azure: AzureSettings,
    pub google: GoogleSettings,
    /// Local engine model directory (`TTS_MODEL_DIR`).
    pub model_dir: PathBuf,
    /// Piper voices (`VOICES_DIR`): `name.onnx` + `name.onnx.json` each.
    pub voices_dir: PathBuf,
    /// Piper voice used when a request names none (`PIPER_DEFAULT_VOICE`); `None` = the first.
    pub piper_default_voice: Option<String>,
    /// Piper voices kept loaded at once (`PIPER_MAX_LOADED_VOICES`).
    pub piper_max_loaded_voices: usize,
    /// `libonnxruntime.so` (`ORT_DYLIB_PATH`); `None` = look in the usual places.
    pub ort_dylib_path: Option<PathBuf>,
    /// `cpu`, `cuda` or `auto` (`TTS_DEVICE`).
    pub device: String,
    /// ONNX intra-op threads; 0 = one per core (`TTS_THREAD_COUNT`).
    pub thread_count: usize,
    /// Concurrent syntheses (`TTS_WORKERS`).
    pub workers: usize,
    /// CUDA options and batching of the local engines.
    pub inference: InferenceSettings,
    /// Capacity of the bounded task queue (`TTS_QUEUE_CAPACITY`).
    pub queue_capacity: usize,
    /// How long a worker's claim on a task holds without renewal
    /// (`TTS_LEASE_SECONDS`); after that another instance may take it over.
    pub lease: Duration,
    /// Give local engines the Finnish spoken form of the text (`TTS_NORMALIZE`).
    pub normalize: bool,
}

pub(super) fn parse_provider_kind(
    key: &str,
    value: &str,
) -> Result<TtsProviderKind, SettingsError> {
    match value.trim().to_lowercase().as_str() {
        "local" => Ok(TtsProviderKind::Local),
        "azure" => Ok(TtsProviderKind::Azure),
        "gcp" | "google" => Ok(TtsProviderKind::Gcp),
        "piper" => Ok(TtsProviderKind::Piper),
        _ => Err(invalid(
            key,
            "expected one of local, piper, azure, gcp, google",
        )),
    }
}

/// `local,azure` → the engines after the primary, without repeats.
pub(super) fn parse_fallback(
    value: &str,
    primary: TtsProviderKind,
) -> Result<Vec<TtsProviderKind>, SettingsError> {
    let mut chain = Vec::new();
    for name in split_list(value) {
        let kind = parse_provider_kind("tts_fallback", &name)?;
        if kind != primary && !chain.contains(&kind) {
            chain.push(kind);
        }
    }
    Ok(chain)
}

pub(super) fn parse_resilience(raw: &Raw) -> Result<ResilienceSettings, SettingsError> {
    Ok(ResilienceSettings {
        request_timeout: parse_seconds(raw, "tts_request_timeout_seconds", 600.0)?,
        max_retries: parse_bounded(raw, "tts_max_retries", 0, 10)? as u32,
        retry_base: Duration::from_millis(parse_bounded(raw, "tts_retry_base_ms", 1, 60_000)?),
        retry_max: parse_seconds(raw, "tts_retry_max_seconds", 600.0)?,
        breaker_threshold: parse_bounded(raw, "tts_breaker_threshold", 1, 1000)? as u32,
        breaker_cooldown: parse_seconds(raw, "tts_breaker_cooldown_seconds", 86_400.0)?,
    })
}

/// Output rates both cloud APIs offer as 16-bit mono PCM.
pub(super) const CLOUD_SAMPLE_RATES: &[u32] = &[8_000, 16_000, 22_050, 24_000, 44_100, 48_000];

pub(super) fn parse_sample_rate(raw: &Raw, key: &str) -> Result<u32, SettingsError> {
    match raw.get(key)?.trim().parse::<u32>() {
        Ok(n) if CLOUD_SAMPLE_RATES.contains(&n) => Ok(n),
        _ => Err(invalid(
            key,
            "expected 8000, 16000, 22050, 24000, 44100 or 48000",
        )),
    }
}

pub(super) fn parse_azure(raw: &Raw) -> Result<AzureSettings, SettingsError> {
    let voices = split_list(&raw.get("azure_speech_voices")?);
    if voices.is_empty() && raw.optional("azure_speech_voice").is_none() {
        return Err(invalid(
            "azure_speech_voices",
            "expected at least one voice",
        ));
    }
    Ok(AzureSettings {
        key: raw
            .optional("azure_speech_key")
            .map(|k| k.trim().to_string()),
        region: raw
            .optional("azure_speech_region")
            .or_else(|| raw.optional("azure_service_region"))
            .map(|r| r.trim().to_string()),
        endpoint: raw
            .optional("azure_speech_endpoint")
            .map(|e| e.trim().to_string()),
        voices,
        voice: raw
            .optional("azure_speech_voice")
            .map(|v| v.trim().to_string()),
        sample_rate: parse_sample_rate(raw, "azure_speech_sample_rate")?,
    })
}

pub(super) fn parse_google(raw: &Raw) -> Result<GoogleSettings, SettingsError> {
    Ok(GoogleSettings {
        credentials_path: PathBuf::from(raw.get("google_application_credentials")?),
        api_key: raw.optional("google_api_key").map(|k| k.trim().to_string()),
        endpoint: raw.get("google_tts_endpoint")?.trim().to_string(),
        voices: raw
            .optional("google_tts_voices")
            .map(|v| split_list(&v))
            .unwrap_or_default(),
        voice: raw
            .optional("google_tts_voice")
            .map(|v| v.trim().to_string()),
        sample_rate: parse_sample_rate(raw, "google_tts_sample_rate")?,
    })
}

pub(super) fn parse_tts(raw: &Raw) -> Result<TtsSettings, SettingsError> {
    let provider = parse_provider_kind("tts_provider", &raw.get("tts_provider")?)?;
    Ok(TtsSettings {
        provider,
        fallback: parse_fallback(&raw.get("tts_fallback")?, provider)?,
        supported_languages: parse_language_list(
            "tts_supported_languages",
            &raw.get("tts_supported_languages")?,
        )?,
        submission_workers: parse_count(raw, "tts_submission_workers")?,
        resilience: parse_resilience(raw)?,
        azure: parse_azure(raw)?,
        google: parse_google(raw)?,
        model_dir: PathBuf::from(raw.get("tts_model_dir")?),
        voices_dir: PathBuf::from(raw.get("voices_dir")?),
        piper_default_voice: raw
            .optional("piper_default_voice")
            .map(|v| v.trim().to_string()),
        piper_max_loaded_voices: parse_count(raw, "piper_max_loaded_voices")?,
        ort_dylib_path: raw.optional("ort_dylib_path").map(PathBuf::from),
        device: parse_device(&raw.get("tts_device")?)?,
        thread_count: match raw.get("tts_thread_count")?.trim().parse::<usize>() {
            Ok(n) if n <= 256 => n,
            _ => return Err(invalid("tts_thread_count", "expected 0 (automatic) to 256")),
        },
        workers: parse_count(raw, "tts_workers")?,
        inference: super::inference::parse_inference(raw)?,
        normalize: parse_bool(&raw.get("tts_normalize")?)
            .ok_or_else(|| invalid("tts_normalize", "expected true or false"))?,
        queue_capacity: match raw.get("tts_queue_capacity")?.trim().parse::<usize>() {
            Ok(n) if (1..=1_000_000).contains(&n) => n,
            _ => return Err(invalid("tts_queue_capacity", "expected 1 to 1000000")),
        },
        lease: match raw.get("tts_lease_seconds")?.trim().parse::<u64>() {
            Ok(n) if (3..=86_400).contains(&n) => Duration::from_secs(n),
            _ => return Err(invalid("tts_lease_seconds", "expected 3 to 86400 seconds")),
        },
    })
}

pub(super) fn parse_device(value: &str) -> Result<String, SettingsError> {
    match value.trim().to_lowercase().as_str() {
        "" | "auto" => Ok("auto".into()),
        "cpu" => Ok("cpu".into()),
        "cuda" | "gpu" => Ok("cuda".into()),
        _ => Err(invalid("tts_device", "expected cpu, cuda or auto")),
    }
}
