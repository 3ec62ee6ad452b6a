//! Azure Speech text-to-speech over its REST API (no SDK).
//!
//! One `POST {endpoint}/cognitiveservices/v1` per synthesis: the resource key
//! in `Ocp-Apim-Subscription-Key`, an SSML body (`xml:lang`, `<voice name>`,
//! `<prosody rate>` for speed, the text XML-escaped) and
//! `X-Microsoft-OutputFormat: raw-<rate>-16bit-mono-pcm`, so the body is bare
//! little-endian PCM at exactly the rate we asked for — nothing to parse.
//! Why REST: the Speech SDK is a native library; one HTTP call is all we need.

use async_trait::async_trait;

use crate::config::{AzureSettings, ResilienceSettings};
use crate::tts::cloud::{check_text, http_client, locale_of_voice, pcm16le_to_samples, pick_voice};
use crate::tts::provider::CircuitState;
use crate::tts::provider::{ProviderError, SynthesisRequest, SynthesizedAudio, TtsProvider};
use crate::tts::resilience::{
    refused, transport_error, AttemptError, CircuitBreaker, FailureKind, RetryPolicy,
};

/// The `device` label of tasks this engine speaks (the original's).
pub const DEVICE: &str = "azure-speech-api";
const NAME: &str = "Azure Speech";

/// Azure Speech as a [`TtsProvider`].
pub struct AzureProvider {
    http: reqwest::Client,
    url: String,
    key: String,
    voices: Vec<String>,
    fixed_voice: Option<String>,
    sample_rate: u32,
    output_format: &'static str,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
}

impl std::fmt::Debug for AzureProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureProvider")
            .field("url", &self.url)
            .field("key", &"<redacted>")
            .field("voices", &self.voices)
            .field("fixed_voice", &self.fixed_voice)
            .field("sample_rate", &self.sample_rate)
            .finish_non_exhaustive()
    }
}

/// The raw 16-bit mono PCM output format for a rate.
fn output_format(rate: u32) -> Option<&'static str> {
    Some(match rate {
        8_000 => "raw-8khz-16bit-mono-pcm",
        16_000 => "raw-16khz-16bit-mono-pcm",
        22_050 => "raw-22050hz-16bit-mono-pcm",
        24_000 => "raw-24khz-16bit-mono-pcm",
        44_100 => "raw-44100hz-16bit-mono-pcm",
        48_000 => "raw-48khz-16bit-mono-pcm",
        _ => return None,
    })
}

impl AzureProvider {
    /// Build from settings; `Err` says which setting is missing (never its value).
    pub fn new(azure: &AzureSettings, resilience: &ResilienceSettings) -> Result<Self, String> {
        let key = azure.key.clone().ok_or("AZURE_SPEECH_KEY is not set")?;
        let endpoint = match (&azure.endpoint, &azure.region) {
            (Some(endpoint), _) => endpoint.trim_end_matches('/').to_string(),
            (None, Some(region)) => format!("https://{region}.tts.speech.microsoft.com"),
            (None, None) => {
                return Err("set AZURE_SPEECH_REGION (or AZURE_SPEECH_ENDPOINT)".into());
            }
        };
        let output_format = output_format(azure.sample_rate)
            .ok_or("AZURE_SPEECH_SAMPLE_RATE is not an Azure PCM rate")?;
        let fixed_voice = azure.voice.clone().filter(|v| !v.is_empty());
        if azure.voices.is_empty() && fixed_voice.is_none() {
            return Err("AZURE_SPEECH_VOICES is empty".into());
        }
        Ok(Self {
            http: http_client(resilience.request_timeout)?,
            url: format!("{endpoint}/cognitiveservices/v1"),
            key,
            voices: azure.voices.clone(),
            fixed_voice,
            sample_rate: azure.sample_rate,
            output_format,
            retry: RetryPolicy::from_settings(resilience),
            breaker: CircuitBreaker::from_settings(resilience),
        })
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    async fn attempt(&self, ssml: &str) -> Result<Vec<u8>, AttemptError> {
        let response = self
            .http
            .post(&self.url)
            .header("Ocp-Apim-Subscription-Key", &self.key)
            .header(reqwest::header::CONTENT_TYPE, "application/ssml+xml")
            .header("X-Microsoft-OutputFormat", self.output_format)
            .body(ssml.to_string())
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(refused(status, response.headers(), ""));
        }
        let body = response.bytes().await.map_err(|e| transport_error(&e))?;
        if body.len() < 2 {
            return Err(AttemptError::new(
                FailureKind::Permanent,
                "the provider returned no audio",
            ));
        }
        Ok(body.to_vec())
    }
}

/// Escape text for XML content and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab/newline are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Speed multiplier → SSML relative rate: 1.0 → `+0%`, 1.25 → `+25%`,
/// 0.8 → `-20%`. Azure accepts 0.5×–2× (`-50%`..`+100%`).
pub fn prosody_rate(speed: f32) -> String {
    let speed = if speed.is_finite() { speed } else { 1.0 };
    let percent = ((speed.clamp(0.5, 2.0) - 1.0) * 100.0).round() as i32;
    if percent >= 0 {
        format!("+{percent}%")
    } else {
        format!("{percent}%")
    }
}

/// The SSML document Azure receives.
pub fn build_ssml(text: &str, voice: &str, locale: &str, speed: f32) -> String {
    format!(
        "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"{lang}\">\
<voice xml:lang=\"{lang}\" name=\"{voice}\"><prosody rate=\"{rate}\">{text}</prosody></voice></speak>",
        lang = xml_escape(locale),
        voice = xml_escape(voice),
        rate = prosody_rate(speed),
        text = xml_escape(text),
    )
}

#[async_trait]
impl TtsProvider for AzureProvider {
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
        let ssml = build_ssml(&request.text, &voice, &locale, request.speed);

        let permit = self
            .breaker
            .acquire()
            .map_err(|why| ProviderError::Unavailable(format!("{NAME}: {why}")))?;
        let outcome = self.retry.run(|| self.attempt(&ssml)).await;
        permit.record(&outcome);
        let pcm = outcome.map_err(|e| e.into_provider_error(NAME))?;
        tracing::debug!(voice, bytes = pcm.len(), "Azure Speech synthesis done");
        Ok(SynthesizedAudio {
            samples: pcm16le_to_samples(&pcm),
            sample_rate: self.sample_rate,
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
        vec![("azure", self.breaker.state())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssml_escapes_text_and_maps_speed() {
        let ssml = build_ssml("Tom & \"Jerry\" <3", "fi-FI-SelmaNeural", "fi-FI", 1.25);
        assert_eq!(
            ssml,
            "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"fi-FI\">\
<voice xml:lang=\"fi-FI\" name=\"fi-FI-SelmaNeural\"><prosody rate=\"+25%\">\
Tom &amp; &quot;Jerry&quot; &lt;3</prosody></voice></speak>"
        );
        assert_eq!(prosody_rate(1.0), "+0%");
        assert_eq!(prosody_rate(0.8), "-20%");
        assert_eq!(prosody_rate(9.0), "+100%");
        assert_eq!(prosody_rate(f32::NAN), "+0%");
    }

    #[test]
    fn output_formats_exist_for_all_configurable_rates() {
        for rate in [8_000, 16_000, 22_050, 24_000, 44_100, 48_000] {
            assert!(output_format(rate).is_some());
        }
        assert_eq!(output_format(24_000), Some("raw-24khz-16bit-mono-pcm"));
    }
}
