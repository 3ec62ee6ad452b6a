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
use crate::tts::resilience::{
    classify_status, describe_status, parse_retry_after, transport_error, AttemptError, FailureKind,
};

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
        let mut request = self.http.post(&self.url).json(body);
        request = match &self.auth {
            GoogleAuth::ApiKey(key) => request.header("X-Goog-Api-Key", key),
            GoogleAuth::ServiceAccount(sa) => request.bearer_auth(sa.token(&self.http).await?),
        };
        let response = request.send().await.map_err(|e| transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            let kind = classify_status(status);
            if kind == FailureKind::Auth {
                if let GoogleAuth::ServiceAccount(sa) = &self.auth {
                    sa.invalidate().await;
                }
            }
            let mut error = AttemptError::new(kind.clone(), describe_status(status, &kind, ""));
            error.retry_after = parse_retry_after(response.headers());
            return Err(error);
        }
        let reply: Reply = response.json().await.map_err(|e| {
            if e.is_decode() {
                AttemptError::new(
                    FailureKind::Permanent,
                    "unexpected response: no translations",
                )
            } else {
                transport_error(&e)
            }
        })?;
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
