//! API keys (`API_KEYS`): when any are configured, every request needs one in
//! `API_KEY_HEADER` (default `X-API-Key`) or as `Authorization: Bearer <key>`.
//! Open: `/health`, the practice page and its assets (so a learner can reach
//! the page and type a key), the documentation pages (development only),
//! CORS preflights, and `/metrics` with `METRICS_PUBLIC=true`.
//!
//! Browsers cannot set headers on a WebSocket, so a session stream may carry
//! its key as a subprotocol instead: `new WebSocket(url, ["last-whisper",
//! "last-whisper.api-key.<KEY>"])`. The server answers with `last-whisper`,
//! never echoing the key, and the key stays out of URLs (and so out of proxy
//! logs and browser history).
//!
//! Only SHA-256 digests of the keys are kept; a presented key is hashed and
//! compared with every digest in constant time, so neither the comparison's
//! duration nor an early exit tells how much of a guess was right. Keys never
//! reach a log line.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::config::Settings;
use crate::error::ErrorDetail;

/// Which configured key a request presented (its position in the list), so
/// rate limits can count per key without keeping the key itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub u32);

/// The configured keys, as digests, and which paths need none.
#[derive(Clone)]
pub struct ApiKeys(Arc<Inner>);

struct Inner {
    digests: Vec<[u8; 32]>,
    header: HeaderName,
    open_paths: Vec<String>,
    /// Prefix of the Swagger UI assets (`DOCS_URL/`), when docs are served.
    docs_prefix: Option<String>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("keys", &self.0.digests.len())
            .field("header", &self.0.header)
            .finish()
    }
}

/// What a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// No key in either header.
    Nothing,
    /// A key that is not configured.
    Wrong,
    Valid(KeyId),
}

impl ApiKeys {
    pub fn new(settings: &Settings) -> Self {
        let security = &settings.security;
        let digests = security
            .api_keys
            .iter()
            .map(|k| Sha256::digest(k.as_bytes()).into())
            .collect();
        let mut open_paths: Vec<String> = [
            "/health",
            "/",
            "/assets/app.js",
            "/assets/app.css",
            "/favicon.svg",
            "/favicon.ico",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        if security.metrics_public {
            open_paths.push("/metrics".into());
        }
        // Documentation exists in development only; it holds no data, and
        // Swagger UI must load in a browser before a key can be entered.
        let mut docs_prefix = None;
        if settings.is_development() {
            for path in [
                &settings.docs_url,
                &settings.redoc_url,
                &settings.openapi_url,
            ] {
                if !path.is_empty() {
                    open_paths.push(path.clone());
                }
            }
            if !settings.docs_url.is_empty() {
                docs_prefix = Some(format!("{}/", settings.docs_url));
            }
        }
        ApiKeys(Arc::new(Inner {
            digests,
            header: security.api_key_header.clone(),
            open_paths,
            docs_prefix,
        }))
    }

    /// Whether any key is configured (otherwise the API is open).
    pub fn enabled(&self) -> bool {
        !self.0.digests.is_empty()
    }

    /// Whether `path` is served without a key (the OpenAPI document says so
    /// from this same list).
    pub fn is_open(&self, path: &str) -> bool {
        self.0.open_paths.iter().any(|p| p == path)
            || self
                .0
                .docs_prefix
                .as_deref()
                .is_some_and(|prefix| path.starts_with(prefix))
    }

    /// The key a request presents, checked against the configured ones. The
    /// configured header wins over `Authorization` when both are sent.
    pub fn identify(&self, headers: &HeaderMap) -> Presented {
        let given = headers
            .get(&self.0.header)
            .map(HeaderValue::as_bytes)
            .or_else(|| bearer(headers))
            .or_else(|| websocket_key(headers));
        match given {
            None => Presented::Nothing,
            Some(key) => self.find(key).map_or(Presented::Wrong, Presented::Valid),
        }
    }

    /// Compare `candidate`'s digest with every configured digest, without
    /// branching on the data.
    fn find(&self, candidate: &[u8]) -> Option<KeyId> {
        let digest: [u8; 32] = Sha256::digest(candidate).into();
        let mut found = subtle::Choice::from(0);
        let mut index = 0u32;
        for (i, d) in self.0.digests.iter().enumerate() {
            let same = d.ct_eq(&digest);
            index = u32::conditional_select(&index, &(i as u32), same);
            found |= same;
        }
        bool::from(found).then_some(KeyId(index))
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = value.split_at_checked(7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// The subprotocol the session stream selects; a browser offers it next to
/// `last-whisper.api-key.<key>` (a browser fails a handshake that selects none).
pub const WEBSOCKET_PROTOCOL: &str = "last-whisper";
const WEBSOCKET_KEY_PREFIX: &str = "last-whisper.api-key.";

/// The key offered as a `last-whisper.api-key.<key>` WebSocket subprotocol.
fn websocket_key(headers: &HeaderMap) -> Option<&[u8]> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(WEBSOCKET_KEY_PREFIX))
        .filter(|key| !key.is_empty())
        .map(str::as_bytes)
}

/// A CORS preflight: answered by the CORS layer, and browsers never send
/// credentials with one.
pub fn is_preflight(request: &Request<Body>) -> bool {
    request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// At start-up: say whether the API is protected (never which keys).
pub fn log_startup(settings: &Settings) {
    let count = settings.security.api_keys.len();
    if count > 0 {
        tracing::info!(
            keys = count,
            header = %settings.security.api_key_header,
            "API keys required"
        );
    } else if !settings.is_development() {
        tracing::warn!("no API_KEYS configured: the API is open to anyone who can reach it");
    }
}

/// Why a request without a valid key is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401: no key was sent.
    Missing,
    /// 403: a key was sent but is not configured.
    Wrong,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Missing => {
                let mut response = (
                    StatusCode::UNAUTHORIZED,
                    Json(ErrorDetail::new("API key required")),
                )
                    .into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"api\""),
                );
                response
            }
            Refusal::Wrong => (
                StatusCode::FORBIDDEN,
                Json(ErrorDetail::new("Invalid API key")),
            )
                .into_response(),
        }
    }
}

impl ApiKeys {
    /// Whether the request may pass: open paths, preflights and requests with
    /// a configured key do.
    pub fn check(&self, request: &Request<Body>) -> Result<(), Refusal> {
        if !self.enabled() || is_preflight(request) || self.is_open(request.uri().path()) {
            return Ok(());
        }
        match self.identify(request.headers()) {
            Presented::Valid(_) => Ok(()),
            Presented::Nothing => {
                tracing::debug!("request without an API key");
                Err(Refusal::Missing)
            }
            Presented::Wrong => {
                tracing::warn!("request with an invalid API key");
                Err(Refusal::Wrong)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(vars: &[(&str, &str)]) -> ApiKeys {
        ApiKeys::new(&Settings::from_vars(vars.iter().copied()).unwrap())
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn finds_each_configured_key_and_nothing_else() {
        let k = keys(&[("API_KEYS", "first,second"), ("API_KEYS_CSV", "third")]);
        assert!(k.enabled());
        for (key, id) in [("first", 0), ("second", 1), ("third", 2)] {
            assert_eq!(
                k.identify(&headers(&[("x-api-key", key)])),
                Presented::Valid(KeyId(id))
            );
        }
        assert_eq!(
            k.identify(&headers(&[("x-api-key", "firs")])),
            Presented::Wrong
        );
        assert_eq!(k.identify(&headers(&[("x-api-key", "")])), Presented::Wrong);
        assert_eq!(k.identify(&headers(&[])), Presented::Nothing);
    }

    #[test]
    fn bearer_tokens_and_custom_headers() {
        let k = keys(&[("API_KEYS", "s3cret"), ("API_KEY_HEADER", "X-Token")]);
        let id = Presented::Valid(KeyId(0));
        assert_eq!(k.identify(&headers(&[("x-token", "s3cret")])), id);
        assert_eq!(
            k.identify(&headers(&[("authorization", "Bearer s3cret")])),
            id
        );
        assert_eq!(
            k.identify(&headers(&[("authorization", "bearer  s3cret ")])),
            id
        );
        assert_eq!(
            k.identify(&headers(&[("x-api-key", "s3cret")])),
            Presented::Nothing,
            "the default header is not read when another is configured"
        );
        assert_eq!(
            k.identify(&headers(&[("authorization", "Basic czNjcmV0")])),
            Presented::Nothing
        );
        assert_eq!(
            k.identify(&headers(&[("authorization", "Bearer ")])),
            Presented::Nothing
        );
    }

    #[test]
    fn a_websocket_subprotocol_carries_a_key() {
        let k = keys(&[("API_KEYS", "s3cret")]);
        let offer = |v: &str| k.identify(&headers(&[("sec-websocket-protocol", v)]));
        let id = Presented::Valid(KeyId(0));
        assert_eq!(offer("last-whisper, last-whisper.api-key.s3cret"), id);
        assert_eq!(offer("last-whisper.api-key.s3cret"), id);
        assert_eq!(offer("last-whisper.api-key.nope"), Presented::Wrong);
        assert_eq!(offer("last-whisper"), Presented::Nothing);
        assert_eq!(offer("last-whisper.api-key."), Presented::Nothing);
        assert_eq!(offer("s3cret"), Presented::Nothing);
    }

    #[test]
    fn open_paths() {
        let k = keys(&[("API_KEYS", "x"), ("ENVIRONMENT", "production")]);
        for open in ["/health", "/", "/assets/app.js"] {
            assert!(k.is_open(open), "{open}");
        }
        for closed in [
            "/metrics",
            "/docs",
            "/openapi.json",
            "/v1/items",
            "/healthz",
        ] {
            assert!(!k.is_open(closed), "{closed}");
        }
        let k = keys(&[("API_KEYS", "x"), ("METRICS_PUBLIC", "true")]);
        for open in ["/metrics", "/docs", "/docs/swagger-ui.css", "/openapi.json"] {
            assert!(k.is_open(open), "{open}");
        }
    }

    #[test]
    fn no_keys_means_open() {
        assert!(!keys(&[]).enabled());
    }
}
