//! Google credentials: an API key, or a service-account key file exchanged
//! for a bearer token (OAuth 2.0 JWT-bearer grant).
//!
//! The service-account flow signs a short-lived RS256 JWT (`iss` = the
//! account's e-mail, `scope` = cloud-platform, `aud` = the file's
//! `token_uri`), posts it to `token_uri`, and caches the returned token until
//! shortly before it expires. One lock makes concurrent workers share one
//! refresh. Why by hand: the flow is two small steps and `jsonwebtoken` does
//! the cryptography; an auth SDK would pull in far more than it saves.

use std::path::Path;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::tts::resilience::{
    classify_status, parse_retry_after, transport_error, AttemptError, FailureKind,
};

/// The scope Cloud Text-to-Speech requires.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Assertion lifetime; Google accepts at most one hour.
const ASSERTION_SECONDS: i64 = 3600;
/// Refresh this long before the token expires (less for very short tokens).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// How requests are authorised.
pub enum GoogleAuth {
    /// Sent as `X-Goog-Api-Key`.
    ApiKey(String),
    ServiceAccount(ServiceAccount),
}

impl GoogleAuth {
    /// Add the credentials to a request: the key as `X-Goog-Api-Key` (so
    /// it never appears in a URL), or the service account's bearer token.
    pub async fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        http: &reqwest::Client,
    ) -> Result<reqwest::RequestBuilder, AttemptError> {
        Ok(match self {
            GoogleAuth::ApiKey(key) => request.header("X-Goog-Api-Key", key),
            GoogleAuth::ServiceAccount(sa) => request.bearer_auth(sa.token(http).await?),
        })
    }

    /// After a refused call: a token the API refused is fetched anew.
    pub async fn after_refusal(&self, error: &AttemptError) {
        if let (FailureKind::Auth, GoogleAuth::ServiceAccount(sa)) = (&error.kind, self) {
            sa.invalidate().await;
        }
    }
}

impl std::fmt::Debug for GoogleAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GoogleAuth::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            GoogleAuth::ServiceAccount(sa) => f
                .debug_struct("ServiceAccount")
                .field("client_email", &sa.client_email)
                .field("token_uri", &sa.token_uri)
                .finish_non_exhaustive(),
        }
    }
}

/// The fields of a service-account key file we use.
#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: String,
    private_key: String,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

/// A loaded service account with its token cache.
pub struct ServiceAccount {
    client_email: String,
    key: EncodingKey,
    key_id: Option<String>,
    token_uri: String,
    cache: Mutex<Option<CachedToken>>,
}

struct CachedToken {
    token: String,
    refresh_at: Instant,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: Option<String>,
}

impl ServiceAccount {
    /// Read and check a key file. Errors name the file and the problem, never
    /// its contents.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("service-account file {shown} not found"),
            _ => format!("cannot read service-account file {shown}: {e}"),
        })?;
        Self::from_json(&text).map_err(|why| format!("service-account file {shown}: {why}"))
    }

    /// Parse key-file JSON.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: KeyFile = serde_json::from_str(text).map_err(|e| {
            // serde's message can quote values; report only where it failed.
            format!(
                "not a service-account key (invalid JSON or missing fields near line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        if let Some(kind) = &file.kind {
            if kind != "service_account" {
                return Err(format!("type is `{kind}`, expected `service_account`"));
            }
        }
        let key = EncodingKey::from_rsa_pem(file.private_key.as_bytes())
            .map_err(|_| "private_key is not an RSA private key in PEM form".to_string())?;
        Ok(Self {
            client_email: file.client_email,
            key,
            key_id: file.private_key_id,
            token_uri: file
                .token_uri
                .unwrap_or_else(|| "https://oauth2.googleapis.com/token".to_string()),
            cache: Mutex::new(None),
        })
    }

    /// A valid bearer token, fetched when the cache is empty or due for refresh.
    pub async fn token(&self, http: &reqwest::Client) -> Result<String, AttemptError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref() {
            if Instant::now() < cached.refresh_at {
                return Ok(cached.token.clone());
            }
        }
        let (token, lifetime) = self.fetch(http).await?;
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        *cache = Some(CachedToken {
            token: token.clone(),
            refresh_at: Instant::now() + lifetime.saturating_sub(margin),
        });
        tracing::debug!(
            lifetime_s = lifetime.as_secs(),
            "fetched a Google access token"
        );
        Ok(token)
    }

    /// Forget the cached token (after the API refused it).
    pub async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }

    fn assertion(&self) -> Result<String, AttemptError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_uri,
            iat: now,
            exp: now + ASSERTION_SECONDS,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key_id.clone();
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|_| {
            AttemptError::new(FailureKind::Auth, "cannot sign the service-account JWT")
        })
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<(String, Duration), AttemptError> {
        let assertion = self.assertion()?;
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", JWT_BEARER)
            .append_pair("assertion", &assertion)
            .finish();
        let response = http
            .post(&self.token_uri)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| {
                let mut err = transport_error(&e);
                err.message = format!("token endpoint: {}", err.message);
                err
            })?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = parse_retry_after(response.headers());
            let kind = match classify_status(status) {
                // The token endpoint answers 400 `invalid_grant` for a bad key
                // or clock: that is a credentials problem, not the input's.
                FailureKind::Input | FailureKind::Auth => FailureKind::Auth,
                other => other,
            };
            let code = response
                .json::<OAuthError>()
                .await
                .ok()
                .and_then(|e| e.error)
                .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_graphic()))
                .map(|c| format!(" {c}"))
                .unwrap_or_default();
            let mut err = AttemptError::new(
                kind,
                format!(
                    "token endpoint refused the service account (HTTP {}{code})",
                    status.as_u16()
                ),
            );
            err.retry_after = retry_after;
            return Err(err);
        }
        let parsed: TokenResponse = response.json().await.map_err(|_| {
            AttemptError::new(
                FailureKind::Permanent,
                "token endpoint sent an unreadable response",
            )
        })?;
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600).max(1));
        Ok((parsed.access_token, lifetime))
    }
}
