//! Piper voices: the second local engine.
//!
//! Why: Piper's VITS voices exist for dozens of languages (Finnish `fi_FI-harri-*` among them),
//! many under licences that allow commercial use, unlike MMS (CC-BY-NC-4.0). A Piper voice is the
//! same network family as MMS, so it runs on the same ONNX Runtime session code
//! ([`crate::tts::local`]'s VITS runner, layout "piper"); only the front end differs: espeak-ng
//! phonemes ([`phonemize`]) mapped to ids with Piper's rules ([`ids`]) instead of characters.
//!
//! Voices are discovered in `VOICES_DIR` (`name.onnx` + `name.onnx.json` each, cards parsed at
//! start-up by [`card`]), chosen per request by [`SynthesisRequest::voice`] (else the default
//! voice if it speaks the request's language, else the first voice that does), loaded on first
//! use and kept in a least-recently-used list of at most `PIPER_MAX_LOADED_VOICES` voices
//! ([`lru`]): loading one more unloads the voice used longest ago. Each sentence is synthesised
//! separately and peak-normalised, as `piper-tts` does by default, then the sentences are joined.

pub mod card;
mod compat;
pub mod fetch;
pub mod ids;
mod lru;
pub mod phonemize;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use ort::environment::Environment;

use self::card::{CardError, VoiceCard};
use self::lru::Lru;
use crate::tts::local::model::{InferenceParams, Model, ModelLayout, Placement};
use crate::tts::local::window::Windows;
use crate::tts::local::{runtime, Batching, CpuOptions, CudaOptions, Device, LoadError};
use crate::tts::provider::{
    synthesize_blocking, ProviderError, SynthesisRequest, SynthesizedAudio, TtsProvider, VoiceInfo,
};

/// Accepted range of [`SynthesisRequest::speed`].
const SPEED_RANGE: std::ops::RangeInclusive<f32> = 0.1..=10.0;
/// Label in [`VoiceInfo::provider`].
const PROVIDER_LABEL: &str = "piper";

/// What [`PiperProvider::load`] needs.
#[derive(Debug, Clone, PartialEq)]
pub struct PiperConfig {
    /// Directory holding `name.onnx` + `name.onnx.json` pairs.
    pub voices_dir: PathBuf,
    /// Voice used when a request names none; `None` = the first by name.
    pub default_voice: Option<String>,
    /// Most voices kept loaded at once (at least 1).
    pub max_loaded_voices: usize,
    /// `libonnxruntime.so`; `None` = `ORT_DYLIB_PATH`.
    pub dylib_path: Option<PathBuf>,
    pub device: Device,
    /// CUDA execution provider options.
    pub cuda: CudaOptions,
    /// CPU execution options.
    pub cpu: CpuOptions,
    /// ONNX intra-op threads; 0 = ONNX Runtime's default.
    pub intra_threads: usize,
    /// Sessions per loaded voice.
    pub workers: usize,
    /// Longest accepted text, in characters.
    pub max_text_chars: usize,
}

impl PiperConfig {
    /// Defaults for everything but the directory.
    pub fn new(voices_dir: PathBuf) -> Self {
        Self {
            voices_dir,
            default_voice: None,
            max_loaded_voices: 2,
            dylib_path: None,
            device: Device::Auto,
            cuda: CudaOptions::default(),
            cpu: CpuOptions::default(),
            intra_threads: 0,
            workers: 1,
            max_text_chars: 20_000,
        }
    }
}

/// Why the Piper engine could not start; the message names the fix.
#[derive(Debug, thiserror::Error)]
pub enum PiperLoadError {
    #[error("voices directory {} does not exist; set VOICES_DIR to a directory of Piper voices (name.onnx + name.onnx.json)", .0.display())]
    VoicesDirMissing(PathBuf),
    #[error("no Piper voices in {}: expected name.onnx files each with a name.onnx.json card", .0.display())]
    NoVoices(PathBuf),
    #[error("default voice {name:?} is not in VOICES_DIR (found: {available})")]
    UnknownDefault { name: String, available: String },
    #[error(transparent)]
    Card(#[from] CardError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot read {}: {reason}", .path.display())]
    Io { path: PathBuf, reason: String },
}

/// A voice found on disk (card parsed, model not loaded).
#[derive(Debug, Clone)]
struct VoiceEntry {
    name: String,
    model_path: PathBuf,
    card: Arc<VoiceCard>,
}

/// A voice whose sessions are open.
#[derive(Debug)]
struct LoadedVoice {
    model: Model,
}

/// The Piper engine. Cheap to clone; clones share the loaded voices.
#[derive(Clone)]
pub struct PiperProvider {
    inner: Arc<Inner>,
}

struct Inner {
    voices: Vec<VoiceEntry>,
    default_voice: String,
    env: Environment,
    config: PiperConfig,
    device: Mutex<Device>,
    loaded: Mutex<Lru<Arc<LoadedVoice>>>,
    /// Held while a voice loads, so two requests never load the same voice twice and at most
    /// one voice beyond the budget is in memory while loading.
    loading: Mutex<()>,
    loads: AtomicU64,
    unloads: AtomicU64,
}

impl PiperProvider {
    /// Discovers the voices, loads ONNX Runtime (once per process) and the default voice.
    /// Blocking: call at start-up or in `spawn_blocking`.
    pub fn load(config: PiperConfig) -> Result<Self, PiperLoadError> {
        let voices = discover(&config.voices_dir)?;
        let default_voice = match &config.default_voice {
            Some(name) if voices.iter().any(|v| v.name == *name) => name.clone(),
            Some(name) => {
                return Err(PiperLoadError::UnknownDefault {
                    name: name.clone(),
                    available: names(&voices),
                })
            }
            None => voices
                .first()
                .map(|v| v.name.clone())
                .ok_or_else(|| PiperLoadError::NoVoices(config.voices_dir.clone()))?,
        };
        let env = runtime::environment(config.dylib_path.as_deref())?;
        let inner = Arc::new(Inner {
            voices,
            default_voice: default_voice.clone(),
            env,
            device: Mutex::new(config.device),
            loaded: Mutex::new(Lru::new(config.max_loaded_voices)),
            loading: Mutex::new(()),
            config,
            loads: AtomicU64::new(0),
            unloads: AtomicU64::new(0),
        });
        let entry = inner
            .entry(&default_voice)
            .map_err(|e| PiperLoadError::Load(LoadError::InvalidConfig(e.to_string())))?;
        inner.voice(entry)?;
        Ok(Self { inner })
    }

    /// The voice used when a request names none.
    pub fn default_voice(&self) -> &str {
        &self.inner.default_voice
    }

    /// Names of the loaded voices, least recently used first.
    pub fn loaded_voices(&self) -> Vec<String> {
        self.inner.lock_loaded().keys()
    }

    /// How many times a voice was loaded / unloaded since start-up.
    pub fn load_counts(&self) -> (u64, u64) {
        (
            self.inner.loads.load(Ordering::Relaxed),
            self.inner.unloads.load(Ordering::Relaxed),
        )
    }

    /// The ids Piper would feed the voice for `text`, one list per sentence (for tests and
    /// debugging; no model is loaded).
    pub fn phoneme_ids(&self, voice: &str, text: &str) -> Result<Vec<Vec<i64>>, ProviderError> {
        let entry = self.inner.entry(voice)?;
        Ok(sentence_ids(&entry.card, text)?
            .into_iter()
            .map(|(ids, _)| ids)
            .collect())
    }

    /// Synthesises on the calling thread.
    pub fn synthesize_blocking(
        &self,
        request: &SynthesisRequest,
    ) -> Result<SynthesizedAudio, ProviderError> {
        self.inner.check_request(request)?;
        self.inner.synthesize(request)
    }
}

/// One sentence's ids and the phonemes the voice's map had no id for (skipped, as Piper does).
pub type SentenceIds = (Vec<i64>, Vec<String>);

/// Text → ids per sentence, with Piper's rules.
pub fn sentence_ids(card: &VoiceCard, text: &str) -> Result<Vec<SentenceIds>, ProviderError> {
    let sentences =
        phonemize::phonemize(&card.espeak_voice, text).map_err(ProviderError::Engine)?;
    Ok(sentences
        .into_iter()
        .map(|s| ids::merge_vowel_clusters(s, &card.vowel_clusters))
        .map(|s| ids::phonemes_to_ids(&s, &card.phoneme_id_map))
        .collect())
}

impl Inner {
    fn lock_loaded(&self) -> std::sync::MutexGuard<'_, Lru<Arc<LoadedVoice>>> {
        self.loaded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn entry(&self, name: &str) -> Result<&VoiceEntry, ProviderError> {
        self.voices.iter().find(|v| v.name == name).ok_or_else(|| {
            ProviderError::UnknownVoice(format!(
                "unknown voice {name:?}; available: {}",
                names(&self.voices)
            ))
        })
    }

    /// The voice a request asks for (see the module docs).
    fn select(&self, request: &SynthesisRequest) -> Result<&VoiceEntry, ProviderError> {
        if let Some(name) = request.voice.as_deref().filter(|n| !n.trim().is_empty()) {
            return self.entry(name.trim());
        }
        let default = self.entry(&self.default_voice)?;
        if default.card.speaks(&request.language) {
            return Ok(default);
        }
        Ok(self
            .voices
            .iter()
            .find(|v| v.card.speaks(&request.language))
            .unwrap_or(default))
    }

    /// The loaded voice, loading it (and unloading the least recently used) when needed.
    fn voice(&self, entry: &VoiceEntry) -> Result<Arc<LoadedVoice>, LoadError> {
        if let Some(voice) = self.lock_loaded().get(&entry.name) {
            return Ok(voice);
        }
        // Load without holding the list's lock: loaded voices keep serving meanwhile.
        let _loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(voice) = self.lock_loaded().get(&entry.name) {
            return Ok(voice);
        }
        let device = *self.device.lock().unwrap_or_else(PoisonError::into_inner);
        // Piper graphs give no per-item output lengths, so their texts run one at a time.
        let placement = Placement {
            device,
            cuda: self.config.cuda,
            cpu: self.config.cpu,
            intra_threads: self.config.intra_threads,
            workers: self.config.workers,
            batching: Batching::off(),
            windows: Windows::WHOLE,
        };
        let (model, _) = Model::load(&self.env, &entry.model_path, &placement)?;
        if model.layout() != ModelLayout::Piper {
            return Err(LoadError::UnsupportedModel {
                path: entry.model_path.clone(),
                reason: format!("a Piper voice needs inputs input, input_lengths and scales, but this is a {} graph", model.layout().as_str()),
            });
        }
        *self.device.lock().unwrap_or_else(PoisonError::into_inner) = model.device();
        let voice = Arc::new(LoadedVoice { model });
        self.loads.fetch_add(1, Ordering::Relaxed);
        let evicted = self
            .lock_loaded()
            .insert(entry.name.clone(), Arc::clone(&voice));
        for name in evicted {
            self.unloads.fetch_add(1, Ordering::Relaxed);
            tracing::info!(voice = %name, loaded = %entry.name, "unloaded least recently used Piper voice");
        }
        tracing::info!(voice = %entry.name, sample_rate = entry.card.sample_rate, "loaded Piper voice");
        Ok(voice)
    }

    fn check_request(&self, request: &SynthesisRequest) -> Result<(), ProviderError> {
        if request.text.trim().is_empty() {
            return Err(ProviderError::InvalidInput("text is empty".to_owned()));
        }
        let chars = request.text.chars().count();
        if chars > self.config.max_text_chars {
            return Err(ProviderError::InvalidInput(format!(
                "text is too long for local synthesis ({chars} characters, limit {})",
                self.config.max_text_chars
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
        self.select(request).map(|_| ())
    }

    fn synthesize(&self, request: &SynthesisRequest) -> Result<SynthesizedAudio, ProviderError> {
        let entry = self.select(request)?;
        let card = &entry.card;
        let sentences = sentence_ids(card, &request.text)?;
        if sentences.is_empty() {
            return Err(ProviderError::InvalidInput(
                "the text has nothing speakable".to_owned(),
            ));
        }
        let voice = self.voice(entry).map_err(|e| {
            ProviderError::Engine(format!("Piper voice {} failed to load: {e}", entry.name))
        })?;
        let params = InferenceParams {
            noise_scale: card.noise_scale,
            length_scale: card.length_scale / request.speed,
            noise_scale_w: card.noise_w,
            speaker_id: (card.num_speakers > 1).then_some(0),
            urgency: request.urgency,
        };
        let mut samples = Vec::new();
        for (ids, missing) in sentences {
            if !missing.is_empty() {
                tracing::debug!(voice = %entry.name, ?missing, "phonemes missing from the voice's id map were skipped");
            }
            let audio = voice
                .model
                .infer(&ids, params)
                .map_err(|e| ProviderError::Engine(format!("Piper inference failed: {e}")))?;
            samples.extend(normalise_peak(audio));
        }
        Ok(SynthesizedAudio {
            samples,
            sample_rate: card.sample_rate,
            ran_on: None,
        })
    }
}

/// Scales a sentence to full range (piper-tts' default `normalize_audio`), NaN → 0.
fn normalise_peak(mut audio: Vec<f32>) -> Vec<f32> {
    for s in &mut audio {
        if s.is_nan() {
            *s = 0.0;
        }
    }
    let peak = audio.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    let gain = if peak < 1e-8 { 0.0 } else { 1.0 / peak };
    audio
        .iter_mut()
        .for_each(|s| *s = (*s * gain).clamp(-1.0, 1.0));
    audio
}

#[async_trait]
impl TtsProvider for PiperProvider {
    async fn synthesize(
        &self,
        request: &SynthesisRequest,
    ) -> Result<SynthesizedAudio, ProviderError> {
        self.inner.check_request(request)?;
        let inner = Arc::clone(&self.inner);
        let request = request.clone();
        synthesize_blocking("Piper", move || inner.synthesize(&request)).await
    }

    fn runs_on(&self) -> String {
        self.inner
            .device
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_str()
            .to_owned()
    }

    async fn health(&self) -> Result<(), ProviderError> {
        Ok(())
    }

    fn voices(&self) -> Vec<VoiceInfo> {
        self.inner
            .voices
            .iter()
            .map(|v| VoiceInfo {
                name: v.name.clone(),
                language: v.card.language.clone(),
                sample_rate: v.card.sample_rate,
                quality: v.card.quality.clone(),
                licence: v.card.licence.clone(),
                provider: PROVIDER_LABEL.to_owned(),
            })
            .collect()
    }
}

impl fmt::Debug for PiperProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PiperProvider")
            .field("voices_dir", &self.inner.config.voices_dir)
            .field("voices", &names(&self.inner.voices))
            .field("default_voice", &self.inner.default_voice)
            .finish_non_exhaustive()
    }
}

fn names(voices: &[VoiceEntry]) -> String {
    voices
        .iter()
        .map(|v| v.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `dir` holds at least one `name.onnx` file: Piper is then
/// configured and loaded beside the other engines (when none of them is
/// usable the load fails, and that is reported rather than ignored).
pub fn has_voices(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.ends_with(".onnx"))
        })
    })
}

/// `name.onnx` files with a `name.onnx.json` beside them, sorted by name.
fn discover(dir: &Path) -> Result<Vec<VoiceEntry>, PiperLoadError> {
    if !dir.is_dir() {
        return Err(PiperLoadError::VoicesDirMissing(dir.to_path_buf()));
    }
    let io = |e: std::io::Error| PiperLoadError::Io {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let mut voices = Vec::new();
    for item in std::fs::read_dir(dir).map_err(io)? {
        let path = item.map_err(io)?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".onnx"))
        else {
            continue;
        };
        let card_path = path.with_file_name(format!("{name}.onnx.json"));
        if !path.is_file() || !card_path.is_file() {
            if path.is_file() {
                tracing::warn!(model = %path.display(), "ONNX file without a .onnx.json voice card; skipped");
            }
            continue;
        }
        voices.push(VoiceEntry {
            name: name.to_owned(),
            card: Arc::new(VoiceCard::load(&card_path)?),
            model_path: path,
        });
    }
    voices.sort_by(|a, b| a.name.cmp(&b.name));
    if voices.is_empty() {
        return Err(PiperLoadError::NoVoices(dir.to_path_buf()));
    }
    Ok(voices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_normalisation_matches_piper() {
        assert_eq!(
            normalise_peak(vec![0.25, -0.5, f32::NAN]),
            vec![0.5, -1.0, 0.0]
        );
        assert_eq!(normalise_peak(vec![0.0, 0.0]), vec![0.0, 0.0]);
    }

    #[test]
    fn missing_dir_and_empty_dir_are_named() {
        let missing = discover(Path::new("/nonexistent/voices")).unwrap_err();
        assert!(missing.to_string().contains("VOICES_DIR"));
        let empty = tempfile::tempdir().unwrap();
        let err = discover(empty.path()).unwrap_err();
        assert!(matches!(err, PiperLoadError::NoVoices(_)));
    }
}
