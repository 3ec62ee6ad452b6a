//! A provider made of other providers, tried in order (`TTS_FALLBACK`).
//!
//! Why: a cloud outage, an exhausted quota or revoked credentials should not
//! fail every item when another engine (often the local one) could speak. The
//! primary is asked first; when it fails — including failing fast with an
//! open circuit — the next one is asked. The audio records which engine spoke
//! (`SynthesizedAudio::device`), and that label becomes the task's `device`.

use std::sync::Arc;

use async_trait::async_trait;

use crate::tts::provider::{ProviderError, SynthesisRequest, SynthesizedAudio, TtsProvider};

/// Engines tried in order; the first is the primary.
#[derive(Debug)]
pub struct FallbackProvider {
    chain: Vec<Arc<dyn TtsProvider>>,
}

impl FallbackProvider {
    /// `None` for an empty chain.
    pub fn new(chain: Vec<Arc<dyn TtsProvider>>) -> Option<Self> {
        (!chain.is_empty()).then_some(Self { chain })
    }

    /// Device labels in order, for logs.
    pub fn labels(&self) -> Vec<String> {
        self.chain.iter().map(|p| p.runs_on()).collect()
    }
}

#[async_trait]
impl TtsProvider for FallbackProvider {
    async fn synthesize(
        &self,
        request: &SynthesisRequest,
    ) -> Result<SynthesizedAudio, ProviderError> {
        let mut failures: Vec<(String, ProviderError)> = Vec::new();
        for (i, provider) in self.chain.iter().enumerate() {
            let label = provider.runs_on();
            match provider.synthesize(request).await {
                Ok(mut audio) => {
                    if i > 0 {
                        tracing::info!(
                            engine = %label,
                            skipped = failures.len(),
                            "synthesised by a fallback engine"
                        );
                    }
                    audio.ran_on.get_or_insert(label);
                    return Ok(audio);
                }
                Err(error) => {
                    if i + 1 < self.chain.len() {
                        tracing::warn!(engine = %label, error = %error, "TTS engine failed; trying the next one");
                    }
                    failures.push((label, error));
                }
            }
        }
        Err(combine(failures))
    }

    fn runs_on(&self) -> String {
        self.chain.first().map(|p| p.runs_on()).unwrap_or_default()
    }

    /// The primary's: it takes the work unless it fails.
    fn concurrency(&self) -> usize {
        self.chain.first().map_or(1, |p| p.concurrency())
    }

    /// Healthy when the primary is; otherwise the primary's problem is
    /// reported together with whether a fallback can still speak.
    async fn health(&self) -> Result<(), ProviderError> {
        let mut primary_error = None;
        for (i, provider) in self.chain.iter().enumerate() {
            match provider.health().await {
                Ok(()) if i == 0 => return Ok(()),
                Ok(()) => {
                    let why = primary_error.unwrap_or_default();
                    return Err(ProviderError::Unavailable(format!(
                        "{why}; falling back to {}",
                        provider.runs_on()
                    )));
                }
                Err(e) if i == 0 => primary_error = Some(e.to_string()),
                Err(_) => {}
            }
        }
        Err(ProviderError::Unavailable(format!(
            "{}; no fallback engine is available",
            primary_error.unwrap_or_default()
        )))
    }

    /// Every engine's voices, the primary's first.
    fn voices(&self) -> Vec<crate::tts::provider::VoiceInfo> {
        self.chain.iter().flat_map(|p| p.voices()).collect()
    }

    fn circuit_states(&self) -> Vec<(&'static str, crate::tts::provider::CircuitState)> {
        self.chain.iter().flat_map(|p| p.circuit_states()).collect()
    }
}

/// One error for the task: every engine's reason, kind from the most
/// hopeful one (retryable if any was, input-related only if all were).
fn combine(failures: Vec<(String, ProviderError)>) -> ProviderError {
    let message = failures
        .iter()
        .map(|(label, e)| format!("[{label}] {e}"))
        .collect::<Vec<_>>()
        .join("; ");
    let all = |f: fn(&ProviderError) -> bool| failures.iter().all(|(_, e)| f(e));
    if failures.iter().any(|(_, e)| e.is_retryable()) {
        if all(|e| matches!(e, ProviderError::TimedOut(_))) {
            ProviderError::TimedOut(message)
        } else {
            ProviderError::Unavailable(message)
        }
    } else if all(|e| matches!(e, ProviderError::UnknownVoice(_))) {
        ProviderError::UnknownVoice(message)
    } else if all(|e| {
        matches!(
            e,
            ProviderError::InvalidInput(_) | ProviderError::UnknownVoice(_)
        )
    }) {
        ProviderError::InvalidInput(message)
    } else {
        ProviderError::Engine(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed(&'static str, Option<fn() -> ProviderError>);

    #[async_trait]
    impl TtsProvider for Fixed {
        async fn synthesize(
            &self,
            _: &SynthesisRequest,
        ) -> Result<SynthesizedAudio, ProviderError> {
            match self.1 {
                Some(error) => Err(error()),
                None => Ok(SynthesizedAudio {
                    samples: vec![0.0; 4],
                    sample_rate: 8_000,
                    ran_on: None,
                }),
            }
        }
        fn runs_on(&self) -> String {
            self.0.to_string()
        }
        async fn health(&self) -> Result<(), ProviderError> {
            match self.1 {
                Some(error) => Err(error()),
                None => Ok(()),
            }
        }
    }

    fn request() -> SynthesisRequest {
        SynthesisRequest {
            text: "Hei".into(),
            language: "fi".into(),
            voice: None,
            speed: 1.0,
            urgency: crate::tts::provider::Urgency::Background,
        }
    }

    #[tokio::test]
    async fn the_next_engine_speaks_and_is_recorded() {
        let down = || ProviderError::Unavailable("circuit open".into());
        let chain = FallbackProvider::new(vec![
            Arc::new(Fixed("azure-speech-api", Some(down))),
            Arc::new(Fixed("cpu", None)),
        ])
        .unwrap();
        assert_eq!(chain.runs_on(), "azure-speech-api");
        let audio = chain.synthesize(&request()).await.unwrap();
        assert_eq!(audio.ran_on.as_deref(), Some("cpu"));
        let health = chain.health().await.unwrap_err().to_string();
        assert_eq!(health, "circuit open; falling back to cpu");
    }

    #[tokio::test]
    async fn when_all_fail_every_reason_is_kept() {
        let auth = || ProviderError::Engine("credentials rejected".into());
        let input = || ProviderError::InvalidInput("nothing to speak".into());
        let chain = FallbackProvider::new(vec![
            Arc::new(Fixed("a", Some(auth))),
            Arc::new(Fixed("b", Some(input))),
        ])
        .unwrap();
        let err = chain.synthesize(&request()).await.unwrap_err();
        assert!(matches!(err, ProviderError::Engine(_)));
        assert_eq!(
            err.to_string(),
            "[a] credentials rejected; [b] nothing to speak"
        );
        assert!(FallbackProvider::new(vec![]).is_none());
    }
}
