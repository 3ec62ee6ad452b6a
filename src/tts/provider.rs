//! The contract every speech engine implements, so the task pipeline never
//! needs to know which engine it drives.

use std::fmt::Debug;

use async_trait::async_trait;

/// What to say and how.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthesisRequest {
    /// Text to speak, as the engine should receive it.
    pub text: String,
    /// Language code such as `fi` (already checked against the supported list).
    pub language: String,
    /// Engine-specific voice id; `None` = the engine's default.
    pub voice: Option<String>,
    /// Speaking rate multiplier, 1.0 = normal.
    pub speed: f32,
    /// How soon the audio is needed; an engine with a queue serves the more urgent first.
    pub urgency: Urgency,
}

/// How soon a caller needs a piece of audio. An engine that queues work (the local MMS engine)
/// takes the most urgent first, so a listener's first audio is not stuck behind item audio
/// nobody is waiting for; engines without a queue (cloud, Piper) ignore it. Ordered from least
/// to most urgent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    /// Item and task audio: nobody waits on a response for it.
    #[default]
    Background,
    /// The rest of a stream whose listener already has audio to play.
    Streaming,
    /// The first audio of a response: the caller has nothing yet and its response head waits.
    FirstAudio,
}

/// Mono PCM audio as produced by an engine.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthesizedAudio {
    /// Samples in [-1.0, 1.0].
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    /// Where the engine that actually spoke runs, when it differs from
    /// [`TtsProvider::runs_on`] (a fallback chain); stored as the task's `device`.
    pub ran_on: Option<String>,
}

/// One voice an engine can speak with, as listed by `GET /v1/voices`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VoiceInfo {
    /// Id to pass as [`SynthesisRequest::voice`].
    pub name: String,
    /// Language code of the voice, e.g. `en_US` or `fi`.
    pub language: String,
    pub sample_rate: u32,
    /// Piper's `low` / `medium` / `high` (or `x_low`), when the voice card says.
    pub quality: Option<String>,
    /// Licence of the voice or its training data, when known.
    pub licence: Option<String>,
    /// Engine that serves the voice, e.g. `piper` or `local`.
    pub provider: String,
}

/// Why synthesis failed. The message is shown to API clients in a task's
/// `error_message`, so it must not contain secrets.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The input cannot be spoken (e.g. nothing speakable, too long).
    #[error("{0}")]
    InvalidInput(String),
    /// The requested voice is not one this engine has.
    #[error("{0}")]
    UnknownVoice(String),
    /// The engine is unavailable right now; trying again later may work.
    #[error("{0}")]
    Unavailable(String),
    /// The engine did not answer in time; trying again later may work.
    #[error("{0}")]
    TimedOut(String),
    /// The engine failed; retrying the same input will not help.
    #[error("{0}")]
    Engine(String),
}

impl ProviderError {
    /// Whether the same request may succeed later (rate limits, outages,
    /// timeouts, an open circuit) as opposed to a permanent refusal.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::Unavailable(_) | ProviderError::TimedOut(_)
        )
    }
}

/// A speech engine. Implementations must be cheap to share (`Arc<dyn TtsProvider>`)
/// and must not block the async runtime: CPU-bound work goes to
/// `tokio::task::spawn_blocking` or a dedicated pool.
#[async_trait]
pub trait TtsProvider: Send + Sync + Debug + 'static {
    /// Turn the request into audio.
    async fn synthesize(
        &self,
        request: &SynthesisRequest,
    ) -> Result<SynthesizedAudio, ProviderError>;
    /// Where this engine runs: `cpu` or `cuda` for local models, the API's
    /// name (`google-tts-api`) for cloud engines. Stored in each task's
    /// `device` column (the contract's name for it).
    fn runs_on(&self) -> String;
    /// How many syntheses this engine usefully runs at once (its sessions times its batch
    /// size); the task pipeline runs at least this many workers so batches can fill.
    fn concurrency(&self) -> usize {
        1
    }
    /// Cheap readiness probe for `/health`.
    async fn health(&self) -> Result<(), ProviderError>;
    /// Voices this engine can speak with (`GET /v1/voices`); empty when the engine
    /// does not enumerate its voices.
    fn voices(&self) -> Vec<VoiceInfo> {
        Vec::new()
    }
    /// Circuit-breaker state of each remote engine inside, labelled with its
    /// `TTS_PROVIDER` name (`azure`, `gcp`), for `/metrics`; empty for engines
    /// without a breaker.
    fn circuit_states(&self) -> Vec<(&'static str, CircuitState)> {
        Vec::new()
    }
    /// Each engine inside, for `/health`'s `tts_engines`; empty for a
    /// single engine (only the router of side-by-side engines reports).
    async fn engine_statuses(&self) -> Vec<EngineStatus> {
        Vec::new()
    }
}

/// One engine's state as `/health` reports it (`checks.tts_engines`).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineStatus {
    /// `TTS_PROVIDER` name: `local`, `piper`, `azure` or `gcp`.
    pub name: &'static str,
    /// Whether it is the configured default (`TTS_PROVIDER`).
    pub default: bool,
    /// Where it runs; `None` when it did not load.
    pub device: Option<String>,
    /// How many voices it owns.
    pub voices: usize,
    /// Primary language subtags it speaks.
    pub languages: Vec<String>,
    /// `Ok` when loaded and healthy; else why not (may name internal URLs:
    /// shown to clients only in development).
    pub health: Result<(), String>,
}

/// Run CPU-bound synthesis off the async runtime; a crashed blocking task
/// becomes an engine error named after `engine`.
pub async fn synthesize_blocking<F>(
    engine: &str,
    work: F,
) -> Result<SynthesizedAudio, ProviderError>
where
    F: FnOnce() -> Result<SynthesizedAudio, ProviderError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ProviderError::Engine(format!("{engine} worker failed: {e}")))?
}

/// Where a breaker stands, as `/metrics` reports it (`code`: 0 closed,
/// 1 open, 2 half-open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Calls go through.
    Closed,
    /// Calls fail fast until the cool-down passes.
    Open,
    /// The cool-down has passed or a trial is in flight: the next call decides.
    HalfOpen,
}

impl CircuitState {
    pub fn code(self) -> u8 {
        match self {
            CircuitState::Closed => 0,
            CircuitState::Open => 1,
            CircuitState::HalfOpen => 2,
        }
    }
}
