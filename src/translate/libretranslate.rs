//! LibreTranslate (<https://github.com/LibreTranslate/LibreTranslate>), the
//! self-hosted open-source translation server: `POST {url}/translate` with
//! `{q, source, target, format: "text", api_key?}` → `{translatedText}`.
//! Its Chinese codes are script codes, so `zh-CN`/`zh-TW` are sent as
//! `zh-Hans`/`zh-Hant`; other regional codes (`fi-FI`) as their language.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use crate::config::ResilienceSettings;
use crate::translate::{Resilient, TranslateError, Translation, Translator};
use crate::tts::cloud::http_client;
use crate::tts::provider::CircuitState;
use crate::tts::resilience::{refused, transport_error, unreadable, AttemptError};

const NAME: &str = "libretranslate";

pub struct LibreTranslate {
    http: reqwest::Client,
    url: String,
    api_key: Option<String>,
    resilient: Resilient,
}

impl std::fmt::Debug for LibreTranslate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibreTranslate")
            .field("url", &self.url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reply {
    translated_text: Option<String>,
    detected_language: Option<Detected>,
}

#[derive(Deserialize)]
struct Detected {
    language: Option<String>,
}

/// This service's language code in LibreTranslate's spelling.
pub fn language_code(code: &str) -> String {
    match code {
        "zh-CN" | "zh-Hans" | "zh" => "zh-Hans".to_string(),
        "zh-TW" | "zh-HK" | "zh-Hant" => "zh-Hant".to_string(),
        other => other
            .split(['-', '_'])
            .next()
            .unwrap_or(other)
            .to_ascii_lowercase(),
    }
}

impl LibreTranslate {
    pub fn new(
        url: &str,
        api_key: Option<String>,
        resilience: &ResilienceSettings,
    ) -> Result<Self, String> {
        Ok(Self {
            http: http_client(resilience.request_timeout)?,
            url: format!("{}/translate", url.trim_end_matches('/')),
            api_key,
            resilient: Resilient::new(NAME, resilience),
        })
    }

    async fn attempt(&self, body: &serde_json::Value) -> Result<Translation, AttemptError> {
        let response = self
            .http
            .post(&self.url)
            .json(body)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(refused(status, response.headers(), ""));
        }
        let reply: Reply = response
            .json()
            .await
            .map_err(|e| unreadable(&e, "translatedText"))?;
        Ok(Translation {
            text: reply.translated_text,
            detected_source_language: reply.detected_language.and_then(|d| d.language),
            model: None,
        })
    }
}

#[async_trait]
impl Translator for LibreTranslate {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn translate(
        &self,
        text: &str,
        source: &str,
        target: &str,
    ) -> Result<Translation, TranslateError> {
        let mut body = json!({
            "q": text,
            "source": language_code(source),
            "target": language_code(target),
            "format": "text",
        });
        if let Some(key) = &self.api_key {
            body["api_key"] = json!(key);
        }
        self.resilient.call(|| self.attempt(&body)).await
    }

    fn circuit_state(&self) -> CircuitState {
        self.resilient.state()
    }
}

#[cfg(test)]
mod tests {
    use super::language_code;

    #[test]
    fn codes_are_libretranslates() {
        assert_eq!(language_code("zh-CN"), "zh-Hans");
        assert_eq!(language_code("zh-TW"), "zh-Hant");
        assert_eq!(language_code("fi"), "fi");
        assert_eq!(language_code("fi-FI"), "fi");
        assert_eq!(language_code("EN"), "en");
    }
}
