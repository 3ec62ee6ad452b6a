//! Translation providers (issue 23, addendum §5), beside the TTS engines and
//! built like them: one trait, one implementation per service, and the same
//! timeouts, retries and circuit breaker (`tts::resilience`), so a provider
//! that is down fails fast instead of holding every request for its timeout.
//!
//! - [`google::GoogleTranslate`]: Google Cloud Translation, Basic edition (v2),
//!   with a service account (the TTS engine's key file) or an API key.
//! - [`libretranslate::LibreTranslate`]: the self-hosted open-source server,
//!   so translations need no cloud account.

pub mod google;
pub mod libretranslate;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{ResilienceSettings, Settings, TranslationProviderKind};
use crate::tts::provider::CircuitState;
use crate::tts::resilience::{AttemptError, CircuitBreaker, RetryPolicy};

/// What a provider returned for one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// `None` only when the provider answered without a translation.
    pub text: Option<String>,
    pub detected_source_language: Option<String>,
    pub model: Option<String>,
}

/// Why a translation could not be had. Messages name the provider and the
/// kind of failure, never a key, a token or the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The provider is failing fast (circuit open): try again later.
    #[error("{0}")]
    Unavailable(String),
    /// The provider refused or failed this request.
    #[error("{0}")]
    Failed(String),
}

/// One translation service.
#[async_trait]
pub trait Translator: Send + Sync + fmt::Debug {
    /// `TRANSLATION_PROVIDER`'s spelling, stored with each translation.
    fn name(&self) -> &'static str;

    /// Translate `text` from `source` into `target` (this service's codes,
    /// e.g. `fi`, `zh-CN`; providers map them to their own).
    async fn translate(
        &self,
        text: &str,
        source: &str,
        target: &str,
    ) -> Result<Translation, TranslateError>;

    /// The breaker's state, for `/health` and metrics.
    fn circuit_state(&self) -> CircuitState;
}

/// Retries inside a circuit breaker, as every TTS engine does.
#[derive(Debug)]
pub(crate) struct Resilient {
    name: &'static str,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
}

impl Resilient {
    pub(crate) fn new(name: &'static str, settings: &ResilienceSettings) -> Self {
        Resilient {
            name,
            retry: RetryPolicy::from_settings(settings),
            breaker: CircuitBreaker::from_settings(settings),
        }
    }

    pub(crate) async fn call<T, F, Fut>(&self, attempt: F) -> Result<T, TranslateError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AttemptError>>,
    {
        let permit = self
            .breaker
            .acquire()
            .map_err(|why| TranslateError::Unavailable(format!("{}: {why}", self.name)))?;
        let outcome = self.retry.run(attempt).await;
        permit.record(&outcome);
        outcome.map_err(|e| TranslateError::Failed(format!("{}: {}", self.name, e.message)))
    }

    pub(crate) fn state(&self) -> CircuitState {
        self.breaker.state()
    }
}

/// The provider the settings ask for: `Ok(None)` when translation is off,
/// `Err` (for the start-up log) when it is asked for but cannot be built.
pub fn from_settings(settings: &Settings) -> Result<Option<Arc<dyn Translator>>, String> {
    let resilience = &settings.tts.resilience;
    let translation = &settings.translation;
    Ok(match translation.provider {
        TranslationProviderKind::None => None,
        TranslationProviderKind::Google => Some(Arc::new(google::GoogleTranslate::new(
            &settings.tts.google,
            &translation.google_endpoint,
            resilience,
        )?)),
        TranslationProviderKind::LibreTranslate => {
            let url = translation
                .libretranslate_url
                .as_deref()
                .ok_or("LIBRETRANSLATE_URL is not set")?;
            Some(Arc::new(libretranslate::LibreTranslate::new(
                url,
                translation.libretranslate_api_key.clone(),
                resilience,
            )?))
        }
    })
}
