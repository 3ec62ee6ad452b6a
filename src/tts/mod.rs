//! Speech engines only: the engine contract ([`provider::TtsProvider`],
//! with the circuit state), the local MMS and Piper engines, the Azure and
//! Google cloud engines, the decorators that wrap any engine (fallback,
//! metrics, resilience) and model fetching. What turns queued tasks into
//! stored audio is `crate::pipeline`; what turns text into audio for every
//! caller is `crate::speech`.

pub mod azure;
pub mod cloud;
pub mod fallback;
pub mod gcp;
pub mod local;
pub mod metered;
pub mod piper;
pub mod provider;
pub mod resilience;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Settings, TtsProviderKind};
use azure::AzureProvider;
use fallback::FallbackProvider;
use gcp::GoogleProvider;
use local::{Batching, CudaOptions, LocalEngineConfig, LocalMmsProvider};
use metered::Metered;
use piper::{PiperConfig, PiperProvider};
use provider::TtsProvider;

/// Where `scripts/install-onnxruntime.sh` puts the library by default.
const BUNDLED_ORT: &str = ".cache/onnxruntime/libonnxruntime.so";

/// Build the configured engine once at start-up, followed by the
/// `TTS_FALLBACK` engines when any are configured. `None` (with one log line
/// per engine saying how to fix it) when none can be used; the service still
/// starts and `/health` reports `tts_service` unhealthy, "not initialized". Each engine is
/// wrapped in the metering layer ([`metered`]) for `/metrics`.
pub async fn build_provider(settings: &Settings) -> Option<Arc<dyn TtsProvider>> {
    let mut chain: Vec<Arc<dyn TtsProvider>> = Vec::new();
    let kinds = std::iter::once(settings.tts.provider).chain(settings.tts.fallback.iter().copied());
    for kind in kinds {
        if let Some(provider) = build_one(kind, settings).await {
            chain.push(Metered::wrap(provider_label(kind), provider));
        }
    }
    if chain.len() <= 1 {
        return chain.pop();
    }
    let chain = FallbackProvider::new(chain)?;
    tracing::info!(engines = ?chain.labels(), "TTS fallback chain ready");
    Some(Arc::new(chain))
}

/// The `TTS_PROVIDER` name of an engine kind, as metrics label it.
pub fn provider_label(kind: TtsProviderKind) -> &'static str {
    match kind {
        TtsProviderKind::Local => "local",
        TtsProviderKind::Piper => "piper",
        TtsProviderKind::Azure => "azure",
        TtsProviderKind::Gcp => "gcp",
    }
}

async fn build_one(kind: TtsProviderKind, settings: &Settings) -> Option<Arc<dyn TtsProvider>> {
    let tts = &settings.tts;
    match kind {
        TtsProviderKind::Local => build_local(settings).await,
        TtsProviderKind::Piper => build_piper(settings).await,
        TtsProviderKind::Azure => {
            match AzureProvider::new(&tts.azure, &tts.resilience) {
                Ok(provider) => {
                    tracing::info!(
                        sample_rate = provider.sample_rate(),
                        "Azure Speech TTS engine ready"
                    );
                    Some(Arc::new(provider))
                }
                Err(why) => {
                    tracing::error!("Azure Speech TTS engine not available: {why}; its items will be marked failed");
                    None
                }
            }
        }
        TtsProviderKind::Gcp => {
            match GoogleProvider::new(&tts.google, &tts.resilience) {
                Ok(provider) => {
                    tracing::info!(
                        auth = provider.auth_kind(),
                        sample_rate = provider.sample_rate(),
                        "Google Cloud TTS engine ready"
                    );
                    Some(Arc::new(provider))
                }
                Err(why) => {
                    tracing::error!("Google Cloud TTS engine not available: {why}; its items will be marked failed");
                    None
                }
            }
        }
    }
}

async fn build_local(settings: &Settings) -> Option<Arc<dyn TtsProvider>> {
    let config = local_config(settings)?;
    let model_dir = config.model_dir.clone();
    let loaded = tokio::task::spawn_blocking(move || LocalMmsProvider::load(config)).await;
    match loaded {
        Ok(Ok(provider)) => {
            tracing::info!(
                model_dir = %model_dir.display(),
                layout = provider.layout().as_str(),
                device = %provider.runs_on(),
                batch = provider.batch_size(),
                sample_rate = provider.sample_rate(),
                "local TTS engine ready"
            );
            Some(Arc::new(provider))
        }
        Ok(Err(e)) => {
            tracing::error!("local TTS engine not available: {e}");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "local TTS engine loader crashed");
            None
        }
    }
}

async fn build_piper(settings: &Settings) -> Option<Arc<dyn TtsProvider>> {
    let config = piper_config(settings);
    let dir = config.voices_dir.clone();
    match tokio::task::spawn_blocking(move || PiperProvider::load(config)).await {
        Ok(Ok(provider)) => {
            tracing::info!(
                voices_dir = %dir.display(),
                voices = provider.voices().len(),
                default_voice = provider.default_voice(),
                device = %provider.runs_on(),
                "Piper TTS engine ready"
            );
            Some(Arc::new(provider))
        }
        Ok(Err(e)) => {
            tracing::error!("Piper TTS engine not available: {e}; items will be marked failed");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "Piper TTS engine loader crashed");
            None
        }
    }
}

/// Map settings onto the Piper engine's configuration.
pub fn piper_config(settings: &Settings) -> PiperConfig {
    let tts = &settings.tts;
    let mut config = PiperConfig::new(tts.voices_dir.clone());
    config.default_voice = tts.piper_default_voice.clone();
    config.max_loaded_voices = tts.piper_max_loaded_voices;
    config.dylib_path = tts.ort_dylib_path.clone().or_else(bundled_runtime);
    config.device = tts.device.parse().unwrap_or_default();
    config.cuda = cuda_options(settings);
    config.intra_threads = tts.thread_count;
    config.workers = tts.workers;
    config
}

/// The CUDA provider options of `TTS_CUDA_*`.
fn cuda_options(settings: &Settings) -> CudaOptions {
    let inference = &settings.tts.inference;
    CudaOptions {
        device_id: inference.cuda_device_id,
        // Validated by the settings layer.
        conv_search: inference.cuda_conv_algo_search.parse().unwrap_or_default(),
        memory_limit: inference.cuda_memory_limit_bytes,
    }
}

/// Map settings onto the local engine's configuration; `None` (logged)
/// when there is no model to load.
fn local_config(settings: &Settings) -> Option<LocalEngineConfig> {
    let tts = &settings.tts;
    if !tts.model_dir.is_dir() {
        tracing::warn!(
            model_dir = %tts.model_dir.display(),
            "no TTS model found: run `last-whisper models fetch` (needs internet) or set TTS_MODEL_DIR to an MMS-TTS ONNX export; items will be marked failed"
        );
        return None;
    }
    let mut config = LocalEngineConfig::new(tts.model_dir.clone());
    config.dylib_path = tts.ort_dylib_path.clone().or_else(bundled_runtime);
    config.device = tts.device.parse().unwrap_or_default();
    config.cuda = cuda_options(settings);
    config.batching = Batching {
        max: tts.inference.batch_max,
        wait: tts.inference.batch_wait,
    };
    config.intra_threads = tts.thread_count;
    config.workers = tts.workers;
    if let Some(language) = tts.supported_languages.first() {
        config.language = language.clone();
    }
    Some(config)
}

/// The library installed next to the project, if any.
pub fn bundled_runtime() -> Option<PathBuf> {
    let path = Path::new(BUNDLED_ORT);
    path.exists().then(|| path.to_path_buf())
}
