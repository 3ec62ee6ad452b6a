//! Google Cloud Translation, Basic edition (v2) over REST (addendum §5.5):
//! `POST {endpoint}/language/translate/v2` with `{q: [text], source, target,
//! format: "text"}`, authorised by the TTS engine's credentials: an API key
//! (sent as `X-Goog-Api-Key`, so it never appears in a URL or a log) or the
//! service account's bearer token (scope cloud-platform, `token_uri` from
//! the key file).

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use crate::config::{GoogleSettings, ResilienceSettings};
use crate::translate::{Resilient, TranslateError, Translation, Translator};
use crate::tts::cloud::http_client;
use crate::tts::gcp::auth::{GoogleAuth, ServiceAccount};
use crate::tts::provider::CircuitState;
use crate::tts::resilience::{refused, transport_error, unreadable, AttemptError, FailureKind};

const NAME: &str = "google";

#[derive(Debug)]
pub struct GoogleTranslate {
    http: reqwest::Client,
    url: String,
    auth: GoogleAuth,
    resilient: Resilient,
}

#[derive(Deserialize)]
struct Reply {
    data: ReplyData,
}

#[derive(Deserialize)]
struct ReplyData {
    translations: Vec<ReplyTranslation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReplyTranslation {
    translated_text: Option<String>,
    detected_source_language: Option<String>,
    model: Option<String>,
}

impl GoogleTranslate {
    /// `Err` says which credentials are missing, never their contents.
    pub fn new(
        google: &GoogleSettings,
        endpoint: &str,
        resilience: &ResilienceSettings,
    ) -> Result<Self, String> {
        let auth = match &google.api_key {
            Some(key) => GoogleAuth::ApiKey(key.clone()),
            None => GoogleAuth::ServiceAccount(
                ServiceAccount::from_file(&google.credentials_path).map_err(|why| {
                    format!("{why} (set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_API_KEY)")
                })?,
            ),
        };
        Ok(Self {
            http: http_client(resilience.request_timeout)?,
            url: format!("{}/language/translate/v2", endpoint.trim_end_matches('/')),
            auth,
            resilient: Resilient::new(NAME, resilience),
        })
    }

    async fn attempt(&self, body: &serde_json::Value) -> Result<Translation, AttemptError> {
        let request = self.http.post(&self.url).json(body);
        let request = self.auth.authorize(request, &self.http).await?;
        let response = request.send().await.map_err(|e| transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            let error = refused(status, response.headers(), "");
            self.auth.after_refusal(&error).await;
            return Err(error);
        }
        let reply: Reply = response
            .json()
            .await
            .map_err(|e| unreadable(&e, "translations"))?;
        let first = reply.data.translations.into_iter().next().ok_or_else(|| {
            AttemptError::new(
                FailureKind::Permanent,
                "unexpected response: no translations",
            )
        })?;
        Ok(Translation {
            text: first.translated_text,
            detected_source_language: first.detected_source_language,
            model: first.model,
        })
    }
}

#[async_trait]
impl Translator for GoogleTranslate {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn translate(
        &self,
        text: &str,
        source: &str,
        target: &str,
    ) -> Result<Translation, TranslateError> {
        let body = json!({ "q": [text], "source": source, "target": target, "format": "text" });
        self.resilient.call(|| self.attempt(&body)).await
    }

    fn circuit_state(&self) -> CircuitState {
        self.resilient.state()
    }
}
