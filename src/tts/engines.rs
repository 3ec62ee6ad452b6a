//! Every configured speech engine loaded side by side, behind one provider.
//!
//! Why: voices are chosen per request and per item by name, so one process
//! should speak Finnish with MMS and English (or Finnish) with Piper voices
//! at the same time instead of only with the `TTS_PROVIDER` engine. The
//! router picks an engine per request: the engine that owns the requested
//! voice, else the first engine speaking the request's language (the
//! default engine first), else the default (`TTS_PROVIDER`, still wrapped
//! in its `TTS_FALLBACK` chain). `/health` reports each engine, including
//! one that was configured but failed to load.

use std::sync::Arc;

use async_trait::async_trait;

use crate::tts::provider::{
    CircuitState, EngineStatus, ProviderError, SynthesisRequest, SynthesizedAudio, TtsProvider,
    VoiceInfo,
};

/// One loaded engine as the router sees it.
#[derive(Debug, Clone)]
pub struct Engine {
    /// `TTS_PROVIDER` name: `local`, `piper`, `azure` or `gcp`.
    pub name: &'static str,
    /// The engine itself (metered).
    pub provider: Arc<dyn TtsProvider>,
    /// Voice names it owns: its listed voices, or a cloud engine's configured ones.
    pub voices: Vec<String>,
    /// Primary language subtags it speaks (`fi`, `en`), lower case.
    pub languages: Vec<String>,
}

impl Engine {
    /// An engine whose voices and languages come from its own voice list,
    /// plus `extra_voices` (a cloud engine's configured voice names, which
    /// it does not enumerate; their language is their first subtag).
    pub fn new(
        name: &'static str,
        provider: Arc<dyn TtsProvider>,
        extra_voices: &[String],
    ) -> Self {
        let listed = provider.voices();
        let mut voices: Vec<String> = listed.iter().map(|v| v.name.clone()).collect();
        let mut languages: Vec<String> = listed.iter().map(|v| primary(&v.language)).collect();
        for voice in extra_voices {
            voices.push(voice.clone());
            languages.push(primary(voice));
        }
        voices.dedup();
        languages.sort_unstable();
        languages.dedup();
        Engine {
            name,
            provider,
            voices,
            languages,
        }
    }

    fn owns(&self, voice: &str) -> bool {
        self.voices.iter().any(|v| v == voice)
    }

    fn speaks(&self, language: &str) -> bool {
        self.languages.iter().any(|l| *l == language)
    }
}

/// The engines that make up the service's TTS, and those that did not load.
#[derive(Debug)]
pub struct EngineSet {
    /// Loaded engines in routing order: the default first, then its
    /// fallbacks, then the others.
    pub engines: Vec<Engine>,
    /// What the default engine's requests go to: its fallback chain, or the
    /// engine itself without one.
    pub default: Arc<dyn TtsProvider>,
    /// Name of the engine `default` starts with.
    pub default_name: &'static str,
    /// The `TTS_PROVIDER` name, and why it did not load when it did not.
    pub configured_default: (&'static str, Option<String>),
    /// Engines configured but not loaded, with why and how to fix it.
    pub failed: Vec<(&'static str, String)>,
}

/// A provider that routes each request to one of several engines.
#[derive(Debug)]
pub struct Engines {
    set: EngineSet,
}

impl Engines {
    pub fn new(set: EngineSet) -> Self {
        Engines { set }
    }

    /// Names of the loaded engines in routing order, for logs.
    pub fn names(&self) -> Vec<&'static str> {
        self.set.engines.iter().map(|e| e.name).collect()
    }

    /// The engine other than the default that speaks `request` (the owner
    /// of its voice, else the first engine speaking its language); `None`
    /// when the default does.
    fn route(&self, request: &SynthesisRequest) -> Option<&Arc<dyn TtsProvider>> {
        let engines = &self.set.engines;
        let chosen = match &request.voice {
            Some(voice) => engines.iter().find(|e| e.owns(voice)),
            None => {
                let language = primary(&request.language);
                engines.iter().find(|e| e.speaks(&language))
            }
        };
        chosen
            .filter(|engine| engine.name != self.set.default_name)
            .map(|engine| &engine.provider)
    }
}

/// The primary subtag of a language code or voice name: `en_US` → `en`,
/// `fi-FI-SelmaNeural` → `fi`.
pub fn primary(code: &str) -> String {
    code.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

#[async_trait]
impl TtsProvider for Engines {
    async fn synthesize(
        &self,
        request: &SynthesisRequest,
    ) -> Result<SynthesizedAudio, ProviderError> {
        match self.route(request) {
            // The task's `device` is then that engine's, not the default's.
            Some(engine) => {
                let mut audio = engine.synthesize(request).await?;
                audio.ran_on.get_or_insert_with(|| engine.runs_on());
                Ok(audio)
            }
            None => self.set.default.synthesize(request).await,
        }
    }

    /// The default engine's device: the task's `device` unless the audio
    /// names the engine that spoke.
    fn runs_on(&self) -> String {
        self.set.default.runs_on()
    }

    /// The busiest engine's: workers enough to fill its batches, without
    /// running every engine's sessions at once on a small CPU.
    fn concurrency(&self) -> usize {
        let engines = self.set.engines.iter().map(|e| e.provider.concurrency());
        engines
            .chain([self.set.default.concurrency()])
            .max()
            .unwrap_or(1)
    }

    /// The default engine's health; when `TTS_PROVIDER`'s engine did not
    /// load, why, and which engine speaks instead.
    async fn health(&self) -> Result<(), ProviderError> {
        let (name, missing) = &self.set.configured_default;
        match missing {
            Some(why) => Err(ProviderError::Unavailable(format!(
                "{name} engine not loaded: {why}; speaking with {}",
                self.set.default_name
            ))),
            None => self.set.default.health().await,
        }
    }

    /// Every engine's voices, the default's first.
    fn voices(&self) -> Vec<VoiceInfo> {
        self.set
            .engines
            .iter()
            .flat_map(|e| e.provider.voices())
            .collect()
    }

    fn circuit_states(&self) -> Vec<(&'static str, CircuitState)> {
        self.set
            .engines
            .iter()
            .flat_map(|e| e.provider.circuit_states())
            .collect()
    }

    async fn engine_statuses(&self) -> Vec<EngineStatus> {
        let mut statuses = Vec::new();
        for engine in &self.set.engines {
            statuses.push(EngineStatus {
                name: engine.name,
                default: engine.name == self.set.configured_default.0,
                device: Some(engine.provider.runs_on()),
                voices: engine.voices.len(),
                languages: engine.languages.clone(),
                health: engine.provider.health().await.map_err(|e| e.to_string()),
            });
        }
        statuses.extend(self.set.failed.iter().map(|(name, why)| EngineStatus {
            name,
            default: *name == self.set.configured_default.0,
            device: None,
            voices: 0,
            languages: Vec::new(),
            health: Err(why.clone()),
        }));
        statuses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine with fixed voices whose audio says which engine spoke.
    #[derive(Debug)]
    struct Fixed {
        device: &'static str,
        voices: Vec<(&'static str, &'static str)>,
        rate: u32,
    }

    #[async_trait]
    impl TtsProvider for Fixed {
        async fn synthesize(
            &self,
            _: &SynthesisRequest,
        ) -> Result<SynthesizedAudio, ProviderError> {
            Ok(SynthesizedAudio {
                samples: vec![0.0; 4],
                sample_rate: self.rate,
                ran_on: None,
            })
        }
        fn runs_on(&self) -> String {
            self.device.to_string()
        }
        async fn health(&self) -> Result<(), ProviderError> {
            Ok(())
        }
        fn voices(&self) -> Vec<VoiceInfo> {
            self.voices
                .iter()
                .map(|(name, language)| VoiceInfo {
                    name: (*name).to_string(),
                    language: (*language).to_string(),
                    sample_rate: self.rate,
                    quality: None,
                    licence: None,
                    provider: self.device.to_string(),
                })
                .collect()
        }
    }

    fn engines() -> Engines {
        let mms: Arc<dyn TtsProvider> = Arc::new(Fixed {
            device: "mms",
            voices: vec![("mms-fin", "fi")],
            rate: 16_000,
        });
        let piper: Arc<dyn TtsProvider> = Arc::new(Fixed {
            device: "piper",
            voices: vec![
                ("en_US-joe-medium", "en_US"),
                ("fi_FI-harri-medium", "fi_FI"),
            ],
            rate: 22_050,
        });
        let azure: Arc<dyn TtsProvider> = Arc::new(Fixed {
            device: "azure",
            voices: vec![],
            rate: 24_000,
        });
        Engines::new(EngineSet {
            engines: vec![
                Engine::new("local", mms.clone(), &[]),
                Engine::new("piper", piper, &[]),
                Engine::new("azure", azure, &["sv-SE-SofieNeural".to_string()]),
            ],
            default: mms,
            default_name: "local",
            configured_default: ("local", None),
            failed: vec![("gcp", "no credentials".into())],
        })
    }

    async fn spoken_by(engines: &Engines, voice: Option<&str>, language: &str) -> String {
        let request = SynthesisRequest {
            text: "Hei".into(),
            language: language.into(),
            voice: voice.map(str::to_string),
            speed: 1.0,
            urgency: crate::tts::provider::Urgency::Background,
        };
        let audio = engines.synthesize(&request).await.unwrap();
        // Only another engine than the default names itself.
        audio
            .ran_on
            .unwrap_or_else(|| format!("default {}", audio.sample_rate))
    }

    #[tokio::test]
    async fn voice_then_language_then_default() {
        let engines = engines();
        // The voice's owner, whatever the language.
        assert_eq!(
            spoken_by(&engines, Some("fi_FI-harri-medium"), "fi").await,
            "piper"
        );
        assert_eq!(
            spoken_by(&engines, Some("sv-SE-SofieNeural"), "fi").await,
            "azure"
        );
        // The first engine speaking the language, the default first.
        assert_eq!(spoken_by(&engines, None, "fi").await, "default 16000");
        assert_eq!(spoken_by(&engines, None, "en-GB").await, "piper");
        assert_eq!(spoken_by(&engines, None, "sv").await, "azure");
        // Unknown voice or language: the default (which refuses what it cannot say).
        assert_eq!(
            spoken_by(&engines, Some("nobody"), "en").await,
            "default 16000"
        );
        assert_eq!(spoken_by(&engines, None, "de").await, "default 16000");
    }

    #[tokio::test]
    async fn voices_and_statuses_cover_every_engine() {
        let engines = engines();
        let names: Vec<String> = engines.voices().into_iter().map(|v| v.name).collect();
        assert_eq!(names, ["mms-fin", "en_US-joe-medium", "fi_FI-harri-medium"]);
        assert_eq!(engines.names(), ["local", "piper", "azure"]);
        let statuses = engines.engine_statuses().await;
        let summary: Vec<_> = statuses
            .iter()
            .map(|s| (s.name, s.default, s.health.is_ok(), s.languages.join(",")))
            .collect();
        assert_eq!(
            summary,
            [
                ("local", true, true, "fi".to_string()),
                ("piper", false, true, "en,fi".to_string()),
                ("azure", false, true, "sv".to_string()),
                ("gcp", false, false, String::new()),
            ]
        );
        assert!(engines.health().await.is_ok());
    }
}
