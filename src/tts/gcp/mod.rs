//! Google Cloud Text-to-Speech over its REST API (no SDK).
//!
//! `POST {endpoint}/v1/text:synthesize` with `{input:{text}, voice:{languageCode,
//! name}, audioConfig:{audioEncoding: LINEAR16, sampleRateHertz, speakingRate}}`.
//! The reply's base64 `audioContent` is a WAV file; its header is parsed and
//! dropped so that the chunks of a long text join into one clean PCM stream
//! (the original concatenated whole files, headers included). Voices and
//! defaults are the original's: a random pick among 30 `fi-FI-Chirp3-HD-*`
//! voices plus `fi-FI-Wavenet-B`, 24 kHz, 4,500-character chunks.

pub mod auth;
pub mod chunk;

use async_trait::async_trait;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::config::{GoogleSettings, ResilienceSettings};
use crate::tts::cloud::{
    check_text, http_client, locale_of_voice, parse_wav_pcm16, pcm16le_to_samples, pick_voice,
};
use crate::tts::provider::CircuitState;
use crate::tts::provider::{ProviderError, SynthesisRequest, SynthesizedAudio, TtsProvider};
use crate::tts::resilience::{
    refused, transport_error, unreadable, AttemptError, CircuitBreaker, FailureKind, RetryPolicy,
};
use auth::{GoogleAuth, ServiceAccount};

/// The `device` label of tasks this engine speaks (the original's).
pub const DEVICE: &str = "google-tts-api";
const NAME: &str = "Google TTS";

/// The original service's Finnish voice pool.
pub const DEFAULT_VOICES: [&str; 31] = [
    "fi-FI-Chirp3-HD-Achernar",
    "fi-FI-Chirp3-HD-Achird",
    "fi-FI-Chirp3-HD-Algenib",
    "fi-FI-Chirp3-HD-Algieba",
    "fi-FI-Chirp3-HD-Alnilam",
    "fi-FI-Chirp3-HD-Aoede",
    "fi-FI-Chirp3-HD-Autonoe",
    "fi-FI-Chirp3-HD-Callirrhoe",
    "fi-FI-Chirp3-HD-Charon",
    "fi-FI-Chirp3-HD-Despina",
    "fi-FI-Chirp3-HD-Enceladus",
    "fi-FI-Chirp3-HD-Erinome",
    "fi-FI-Chirp3-HD-Fenrir",
    "fi-FI-Chirp3-HD-Gacrux",
    "fi-FI-Chirp3-HD-Iapetus",
    "fi-FI-Chirp3-HD-Kore",
    "fi-FI-Chirp3-HD-Laomedeia",
    "fi-FI-Chirp3-HD-Leda",
    "fi-FI-Chirp3-HD-Orus",
    "fi-FI-Chirp3-HD-Puck",
    "fi-FI-Chirp3-HD-Pulcherrima",
    "fi-FI-Chirp3-HD-Rasalgethi",
    "fi-FI-Chirp3-HD-Sadachbia",
    "fi-FI-Chirp3-HD-Sadaltager",
    "fi-FI-Chirp3-HD-Schedar",
    "fi-FI-Chirp3-HD-Sulafat",
    "fi-FI-Chirp3-HD-Umbriel",
    "fi-FI-Chirp3-HD-Vindemiatrix",
    "fi-FI-Chirp3-HD-Zephyr",
    "fi-FI-Chirp3-HD-Zubenelgenubi",
    "fi-FI-Wavenet-B",
];

/// Google Cloud TTS as a [`TtsProvider`].
#[derive(Debug)]
pub struct GoogleProvider {
    http: reqwest::Client,
    url: String,
    auth: GoogleAuth,
    voices: Vec<String>,
    fixed_voice: Option<String>,
    sample_rate: u32,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SynthesizeResponse {
    audio_content: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    status: Option<String>,
}

impl GoogleProvider {
    /// Build from settings: the API key when set, else the service-account
    /// file. `Err` explains what is missing without quoting secrets.
    pub fn new(google: &GoogleSettings, resilience: &ResilienceSettings) -> Result<Self, String> {
        let auth = match &google.api_key {
            Some(key) => GoogleAuth::ApiKey(key.clone()),
            None => GoogleAuth::ServiceAccount(
                ServiceAccount::from_file(&google.credentials_path).map_err(|why| {
                    format!("{why} (set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_API_KEY)")
                })?,
            ),
        };
        let voices = if google.voices.is_empty() {
            DEFAULT_VOICES.iter().map(|v| v.to_string()).collect()
        } else {
            google.voices.clone()
        };
        Ok(Self {
            http: http_client(resilience.request_timeout)?,
            url: format!(
                "{}/v1/text:synthesize",
                google.endpoint.trim_end_matches('/')
            ),
            auth,
            voices,
            fixed_voice: google.voice.clone().filter(|v| !v.is_empty()),
            sample_rate: google.sample_rate,
            retry: RetryPolicy::from_settings(resilience),
            breaker: CircuitBreaker::from_settings(resilience),
        })
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Which kind of credentials is in use (for the start-up log line).
    pub fn auth_kind(&self) -> &'static str {
        match self.auth {
            GoogleAuth::ApiKey(_) => "API key",
            GoogleAuth::ServiceAccount(_) => "service account",
        }
    }

    fn body(&self, text: &str, voice: &str, locale: &str, speed: f32) -> serde_json::Value {
        let speed = if speed.is_finite() { speed } else { 1.0 };
        json!({
            "input": { "text": text },
            "voice": { "languageCode": locale, "name": voice },
            "audioConfig": {
                "audioEncoding": "LINEAR16",
                "sampleRateHertz": self.sample_rate,
                // Google accepts 0.25–4.0.
                "speakingRate": f64::from(speed.clamp(0.25, 4.0)),
            }
        })
    }

    /// One request for one chunk → (rate, PCM bytes).
    async fn attempt(&self, body: &serde_json::Value) -> Result<(u32, Vec<u8>), AttemptError> {
        let request = self.http.post(&self.url).json(body);
        let request = self.auth.authorize(request, &self.http).await?;
        let response = request.send().await.map_err(|e| transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let detail = response
                .json::<ErrorBody>()
                .await
                .ok()
                .and_then(|b| b.error)
                .and_then(|e| e.status)
                .filter(|s| s.len() <= 64 && s.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
                .unwrap_or_default();
            let error = refused(status, &headers, &detail);
            self.auth.after_refusal(&error).await;
            return Err(error);
        }
        let parsed: SynthesizeResponse = response
            .json()
            .await
            .map_err(|e| unreadable(&e, "audioContent"))?;
        let wav = base64::engine::general_purpose::STANDARD
            .decode(parsed.audio_content.as_bytes())
            .map_err(|_| {
                AttemptError::new(
                    FailureKind::Permanent,
                    "unexpected response: bad base64 audio",
                )
            })?;
        let (rate, pcm) = parse_wav_pcm16(&wav)?;
        Ok((rate, pcm.to_vec()))
    }

    async fn synthesize_chunks(
        &self,
        bodies: &[serde_json::Value],
    ) -> Result<(u32, Vec<u8>), AttemptError> {
        let mut rate = self.sample_rate;
        let mut pcm = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let (chunk_rate, chunk) = self.retry.run(|| self.attempt(body)).await?;
            if i == 0 {
                rate = chunk_rate;
            } else if chunk_rate != rate {
                return Err(AttemptError::new(
                    FailureKind::Permanent,
                    "unexpected response: chunks at different sample rates",
                ));
            }
            pcm.extend_from_slice(&chunk);
        }
        Ok((rate, pcm))
    }
}

#[async_trait]
impl TtsProvider for GoogleProvider {
    async fn synthesize(
        &self,
        request: &SynthesisRequest,
    ) -> Result<SynthesizedAudio, ProviderError> {
        check_text(&request.text).map_err(|e| e.into_provider_error(NAME))?;
        let voice = pick_voice(
            request.voice.as_deref(),
            self.fixed_voice.as_deref(),
            &self.voices,
            &request.language,
        )
        .ok_or_else(|| ProviderError::Engine(format!("{NAME}: no voice configured")))?;
        let locale = locale_of_voice(&voice, &request.language);
        let bodies: Vec<serde_json::Value> =
            chunk::chunk_text(&request.text, chunk::MAX_CHARS, chunk::MAX_BYTES)
                .iter()
                .map(|text| self.body(text, &voice, &locale, request.speed))
                .collect();

        let permit = self
            .breaker
            .acquire()
            .map_err(|why| ProviderError::Unavailable(format!("{NAME}: {why}")))?;
        let outcome = self.synthesize_chunks(&bodies).await;
        permit.record(&outcome);
        let (rate, pcm) = outcome.map_err(|e| e.into_provider_error(NAME))?;
        tracing::debug!(
            voice,
            chunks = bodies.len(),
            bytes = pcm.len(),
            "Google TTS synthesis done"
        );
        Ok(SynthesizedAudio {
            samples: pcm16le_to_samples(&pcm),
            sample_rate: rate,
            ran_on: None,
        })
    }

    fn runs_on(&self) -> String {
        DEVICE.to_string()
    }

    async fn health(&self) -> Result<(), ProviderError> {
        self.breaker
            .status()
            .map_err(|why| ProviderError::Unavailable(format!("{NAME}: {why}")))
    }

    fn circuit_states(&self) -> Vec<(&'static str, CircuitState)> {
        vec![("gcp", self.breaker.state())]
    }
}
