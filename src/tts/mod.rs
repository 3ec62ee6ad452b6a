//! Speech engines only: the engine contract ([`provider::TtsProvider`],
//! with the circuit state), the local MMS and Piper engines, the Azure and
//! Google cloud engines, the router that holds them side by side
//! ([`engines`]), the decorators that wrap any engine (fallback,
//! metrics, resilience) and model fetching. What turns queued tasks into
//! stored audio is `crate::pipeline`; what turns text into audio for every
//! caller is `crate::speech`.

pub mod azure;
pub mod cloud;
pub mod engines;
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
use engines::{Engine, EngineSet, Engines};
use fallback::FallbackProvider;
use gcp::GoogleProvider;
use local::{Batching, CpuOptions, CudaOptions, LocalEngineConfig, LocalMmsProvider};
use metered::Metered;
use piper::{PiperConfig, PiperProvider};
use provider::TtsProvider;

/// Where `scripts/install-onnxruntime.sh` puts the library by default.
const BUNDLED_ORT: &str = ".cache/onnxruntime/libonnxruntime.so";

/// Build every configured engine once at start-up, side by side behind the
/// router ([`engines`]): the `TTS_PROVIDER` engine (the default, followed by
/// its `TTS_FALLBACK` engines when any are configured) and every other
/// engine that is configured (MMS model directory, Piper voices, cloud
/// keys). `None` (with one log line per engine saying how to fix it) when
/// none can be used; the service still starts and `/health` reports
/// `tts_service` unhealthy, "not initialized". Each engine is wrapped in the
/// metering layer ([`metered`]) for `/metrics`.
pub async fn build_provider(settings: &Settings) -> Option<Arc<dyn TtsProvider>> {
    let tts = &settings.tts;
    let chain_kinds: Vec<TtsProviderKind> = std::iter::once(tts.provider)
        .chain(tts.fallback.iter().copied())
        .collect();
    let mut loaded: Vec<(TtsProviderKind, Arc<dyn TtsProvider>)> = Vec::new();
    let mut failed = Vec::new();
    for kind in engine_order(&chain_kinds) {
        let label = provider_label(kind);
        let side = !chain_kinds.contains(&kind);
        if side {
            if let Some(missing) = not_configured(kind, settings) {
                tracing::info!(engine = label, "TTS engine not configured: {missing}");
                continue;
            }
        }
        match build_one(kind, settings).await {
            Ok(provider) => loaded.push((kind, Metered::wrap(label, provider))),
            Err(why) if side => {
                tracing::warn!(
                    engine = label,
                    "TTS engine configured but not available: {why}"
                );
                failed.push((label, why));
            }
            Err(why) => {
                tracing::error!(
                    engine = label,
                    "TTS engine not available: {why}; items it would speak will be marked failed"
                );
                failed.push((label, why));
            }
        }
    }
    let set = engine_set(settings, &chain_kinds, loaded, failed)?;
    let engines = Engines::new(set);
    tracing::info!(engines = ?engines.names(), "TTS engines ready");
    Some(Arc::new(engines))
}

/// The engines in routing order: the default, its fallbacks, then the others.
fn engine_order(chain: &[TtsProviderKind]) -> Vec<TtsProviderKind> {
    let all = [
        TtsProviderKind::Local,
        TtsProviderKind::Piper,
        TtsProviderKind::Azure,
        TtsProviderKind::Gcp,
    ];
    let others = all.into_iter().filter(|k| !chain.contains(k));
    chain.iter().copied().chain(others).collect()
}

/// Why an engine outside the `TTS_PROVIDER`/`TTS_FALLBACK` chain is not
/// loaded at all; `None` when it is configured.
fn not_configured(kind: TtsProviderKind, settings: &Settings) -> Option<String> {
    let tts = &settings.tts;
    let set = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
    match kind {
        TtsProviderKind::Local => (!tts.model_dir.is_dir())
            .then(|| format!("no MMS model directory {}", tts.model_dir.display())),
        TtsProviderKind::Piper => (!piper::has_voices(&tts.voices_dir))
            .then(|| format!("no Piper voices in {}", tts.voices_dir.display())),
        TtsProviderKind::Azure => {
            (!set(&tts.azure.key)).then(|| "AZURE_SPEECH_KEY is not set".into())
        }
        TtsProviderKind::Gcp => {
            let google = &tts.google;
            let credentials = set(&google.api_key) || google.credentials_path.is_file();
            let voices = !google.voices.is_empty() || set(&google.voice);
            (!(credentials && voices)).then(|| {
                "needs GOOGLE_API_KEY or GOOGLE_APPLICATION_CREDENTIALS, and GOOGLE_TTS_VOICE(S)".into()
            })
        }
    }
}

/// The router's engines: the first loaded one of the chain is the default
/// (wrapped with the rest of the chain in a [`FallbackProvider`]); without
/// any, the first loaded engine. `None` when nothing loaded.
fn engine_set(
    settings: &Settings,
    chain_kinds: &[TtsProviderKind],
    loaded: Vec<(TtsProviderKind, Arc<dyn TtsProvider>)>,
    failed: Vec<(&'static str, String)>,
) -> Option<EngineSet> {
    let chain: Vec<_> = loaded
        .iter()
        .filter(|(kind, _)| chain_kinds.contains(kind))
        .collect();
    let (default_kind, default) = match chain.as_slice() {
        [] => loaded.first().cloned()?,
        [(kind, only)] => (*kind, only.clone()),
        [(kind, _), ..] => {
            let fallback = FallbackProvider::new(chain.iter().map(|(_, p)| p.clone()).collect())?;
            tracing::info!(engines = ?fallback.labels(), "TTS fallback chain ready");
            let fallback: Arc<dyn TtsProvider> = Arc::new(fallback);
            (*kind, fallback)
        }
    };
    let configured = provider_label(settings.tts.provider);
    let missing = failed
        .iter()
        .find(|(name, _)| *name == configured)
        .map(|(_, why)| why.clone());
    let engines = loaded
        .into_iter()
        .map(|(kind, provider)| {
            Engine::new(
                provider_label(kind),
                provider,
                &cloud_voices(kind, settings),
            )
        })
        .collect();
    Some(EngineSet {
        engines,
        default,
        default_name: provider_label(default_kind),
        configured_default: (configured, missing),
        failed,
    })
}

/// A cloud engine's configured voice names (it does not list its voices).
fn cloud_voices(kind: TtsProviderKind, settings: &Settings) -> Vec<String> {
    let (voices, voice) = match kind {
        TtsProviderKind::Azure => (&settings.tts.azure.voices, &settings.tts.azure.voice),
        TtsProviderKind::Gcp => (&settings.tts.google.voices, &settings.tts.google.voice),
        TtsProviderKind::Local | TtsProviderKind::Piper => return Vec::new(),
    };
    let mut names: Vec<String> = voice.iter().chain(voices.iter()).cloned().collect();
    if names.is_empty() && kind == TtsProviderKind::Gcp {
        names = gcp::DEFAULT_VOICES
            .iter()
            .map(|v| (*v).to_string())
            .collect();
    }
    names
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

async fn build_one(
    kind: TtsProviderKind,
    settings: &Settings,
) -> Result<Arc<dyn TtsProvider>, String> {
    let tts = &settings.tts;
    match kind {
        TtsProviderKind::Local => build_local(settings).await,
        TtsProviderKind::Piper => build_piper(settings).await,
        TtsProviderKind::Azure => {
            let provider = AzureProvider::new(&tts.azure, &tts.resilience)
                .map_err(|why| format!("Azure Speech: {why}; check the AZURE_SPEECH_* settings"))?;
            tracing::info!(
                sample_rate = provider.sample_rate(),
                "Azure Speech TTS engine ready"
            );
            Ok(Arc::new(provider))
        }
        TtsProviderKind::Gcp => {
            let provider = GoogleProvider::new(&tts.google, &tts.resilience).map_err(|why| {
                format!("Google Cloud TTS: {why}; check GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_API_KEY")
            })?;
            tracing::info!(
                auth = provider.auth_kind(),
                sample_rate = provider.sample_rate(),
                "Google Cloud TTS engine ready"
            );
            Ok(Arc::new(provider))
        }
    }
}

async fn build_local(settings: &Settings) -> Result<Arc<dyn TtsProvider>, String> {
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
            Ok(Arc::new(provider))
        }
        Ok(Err(e)) => Err(format!(
            "local MMS engine: {e}; check TTS_MODEL_DIR ({}) and ORT_DYLIB_PATH",
            model_dir.display()
        )),
        Err(e) => Err(format!("local MMS engine loader crashed: {e}")),
    }
}

async fn build_piper(settings: &Settings) -> Result<Arc<dyn TtsProvider>, String> {
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
            Ok(Arc::new(provider))
        }
        Ok(Err(e)) => Err(format!(
            "Piper: {e}; check the voices in VOICES_DIR ({}) and PIPER_DEFAULT_VOICE",
            dir.display()
        )),
        Err(e) => Err(format!("Piper engine loader crashed: {e}")),
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
    config.cpu = cpu_options(settings);
    config.intra_threads = tts.thread_count;
    config.workers = tts.workers;
    config
}

/// The CPU options of `TTS_CPU_*`.
fn cpu_options(settings: &Settings) -> CpuOptions {
    let inference = &settings.tts.inference;
    CpuOptions {
        memory_arena: inference.cpu_memory_arena,
        spin: inference.cpu_spin,
        nice: inference.cpu_nice,
    }
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

/// Map settings onto the local engine's configuration; why not when there
/// is no model to load.
fn local_config(settings: &Settings) -> Result<LocalEngineConfig, String> {
    let tts = &settings.tts;
    if !tts.model_dir.is_dir() {
        return Err(format!(
            "no TTS model found in {}: run `last-whisper models fetch` (needs internet) or set TTS_MODEL_DIR to an MMS-TTS ONNX export",
            tts.model_dir.display()
        ));
    }
    let mut config = LocalEngineConfig::new(tts.model_dir.clone());
    config.dylib_path = tts.ort_dylib_path.clone().or_else(bundled_runtime);
    config.device = tts.device.parse().unwrap_or_default();
    config.cuda = cuda_options(settings);
    config.cpu = cpu_options(settings);
    config.batching = Batching {
        max: tts.inference.batch_max,
        wait: tts.inference.batch_wait,
    };
    config.intra_threads = tts.thread_count;
    config.workers = tts.workers;
    config.vocoder_window_frames = tts.inference.vocoder_window_frames;
    if let Some(language) = tts.supported_languages.first() {
        config.language = language.clone();
    }
    Ok(config)
}

/// The library installed next to the project, if any.
pub fn bundled_runtime() -> Option<PathBuf> {
    let path = Path::new(BUNDLED_ORT);
    path.exists().then(|| path.to_path_buf())
}
