//! The metering layer every engine is wrapped in when it is built: wall time,
//! real-time factor and failures of each synthesis, labelled with the engine's
//! `TTS_PROVIDER` name. Every synthesis (task workers, speech on demand,
//! sessions) goes through the provider trait, so recording here covers them
//! all without metrics code in the pipeline.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use crate::observability;
use crate::tts::provider::CircuitState;
use crate::tts::provider::{
    ProviderError, SynthesisRequest, SynthesizedAudio, TtsProvider, VoiceInfo,
};

/// An engine whose syntheses are recorded under `label`.
#[derive(Debug)]
pub struct Metered {
    label: &'static str,
    inner: Arc<dyn TtsProvider>,
}

impl Metered {
    /// `label` must be a fixed name (e.g. `local`, `azure`), never user input.
    pub fn wrap(label: &'static str, inner: Arc<dyn TtsProvider>) -> Arc<dyn TtsProvider> {
        Arc::new(Metered { label, inner })
    }
}

#[async_trait]
impl TtsProvider for Metered {
    async fn synthesize(
        &self,
        request: &SynthesisRequest,
    ) -> Result<SynthesizedAudio, ProviderError> {
        let started = Instant::now();
        let result = self.inner.synthesize(request).await;
        match &result {
            Ok(audio) => {
                let audio_seconds = if audio.sample_rate > 0 {
                    audio.samples.len() as f64 / f64::from(audio.sample_rate)
                } else {
                    0.0
                };
                observability::tts::synthesis_succeeded(
                    self.label,
                    started.elapsed(),
                    audio_seconds,
                );
            }
            Err(error) => observability::tts::synthesis_failed(self.label, error),
        }
        result
    }

    fn runs_on(&self) -> String {
        self.inner.runs_on()
    }

    fn concurrency(&self) -> usize {
        self.inner.concurrency()
    }

    async fn health(&self) -> Result<(), ProviderError> {
        self.inner.health().await
    }

    fn voices(&self) -> Vec<VoiceInfo> {
        self.inner.voices()
    }

    /// The engine's breakers; an engine without one (the local engines,
    /// which never fail fast) reports itself closed under its label, so
    /// every engine that started has its series in `/metrics`.
    fn circuit_states(&self) -> Vec<(&'static str, CircuitState)> {
        let states = self.inner.circuit_states();
        if states.is_empty() {
            vec![(self.label, CircuitState::Closed)]
        } else {
            states
        }
    }
}
