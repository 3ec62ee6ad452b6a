//! CORS with Starlette's semantics (contract §1.7): allowed origins are
//! echoed with credentials, preflights answer 200 `OK`, a disallowed
//! preflight gets 400 `Disallowed CORS origin`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::{AllowList, CorsSettings};

const ALL_METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";

/// The CORS policy, shared by every request.
#[derive(Debug, Clone)]
pub struct Cors(Arc<CorsSettings>);

impl Cors {
    pub fn new(settings: CorsSettings) -> Self {
        Cors(Arc::new(settings))
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        match &self.0.origins {
            AllowList::Any => true,
            AllowList::Only(list) => list.iter().any(|o| o == origin),
        }
    }

    /// The `Access-Control-Allow-Origin` value for an allowed origin.
    fn allow_origin(&self, origin: &HeaderValue, has_cookie: bool) -> HeaderValue {
        if self.0.origins == AllowList::Any && !has_cookie {
            HeaderValue::from_static("*")
        } else {
            origin.clone()
        }
    }

    fn preflight(&self, headers: &HeaderMap, origin: &HeaderValue) -> Response {
        let origin_ok = origin.to_str().is_ok_and(|o| self.origin_allowed(o));
        let method_ok = self.method_allowed(headers);
        let requested_headers = headers
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let headers_ok = self.headers_allowed(&requested_headers);
        let mut response = preflight_verdict(origin_ok, method_ok, headers_ok);
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if origin_ok {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            h.insert(header::VARY, HeaderValue::from_static("Origin"));
        }
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        if let Ok(v) = HeaderValue::from_str(&self.allow_methods()) {
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
        }
        let allow_headers = self.allow_headers(requested_headers);
        if !allow_headers.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&allow_headers) {
                h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
            }
        }
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        response
    }

    /// Whether the preflight's `Access-Control-Request-Method` is allowed.
    fn method_allowed(&self, headers: &HeaderMap) -> bool {
        match &self.0.methods {
            AllowList::Any => true,
            AllowList::Only(list) => headers
                .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                .and_then(|m| m.to_str().ok())
                .is_some_and(|m| list.iter().any(|a| a.eq_ignore_ascii_case(m))),
        }
    }

    /// Whether every requested header is allowed or CORS-safelisted.
    fn headers_allowed(&self, requested_headers: &str) -> bool {
        match &self.0.headers {
            AllowList::Any => true,
            AllowList::Only(list) => requested_headers
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .all(|h| list.iter().any(|a| a.eq_ignore_ascii_case(h)) || is_safelisted(h)),
        }
    }

    /// The `Access-Control-Allow-Methods` value.
    fn allow_methods(&self) -> String {
        match &self.0.methods {
            AllowList::Any => ALL_METHODS.to_string(),
            AllowList::Only(list) => list.join(", "),
        }
    }

    /// The `Access-Control-Allow-Headers` value: the requested headers when
    /// any is allowed, else the safelisted ones and the configured list.
    fn allow_headers(&self, requested_headers: String) -> String {
        match &self.0.headers {
            AllowList::Any => requested_headers,
            AllowList::Only(list) => {
                let mut all = vec![
                    "Accept",
                    "Accept-Language",
                    "Content-Language",
                    "Content-Type",
                ]
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>();
                all.extend(list.iter().cloned());
                all.join(", ")
            }
        }
    }
}

/// 200 `OK`, or 400 `Disallowed CORS …` naming what failed.
fn preflight_verdict(origin_ok: bool, method_ok: bool, headers_ok: bool) -> Response {
    let mut failures = Vec::new();
    if !origin_ok {
        failures.push("origin");
    }
    if !method_ok {
        failures.push("method");
    }
    if !headers_ok {
        failures.push("headers");
    }
    if failures.is_empty() {
        (StatusCode::OK, "OK").into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            format!("Disallowed CORS {}", failures.join(", ")),
        )
            .into_response()
    }
}

fn is_safelisted(h: &str) -> bool {
    [
        "accept",
        "accept-language",
        "content-language",
        "content-type",
    ]
    .iter()
    .any(|s| s.eq_ignore_ascii_case(h))
}

/// Middleware entry point.
pub async fn cors(State(cors): State<Cors>, request: Request<Body>, next: Next) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN).cloned() else {
        return next.run(request).await;
    };
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        return cors.preflight(request.headers(), &origin);
    }
    let has_cookie = request.headers().contains_key(header::COOKIE);
    let allowed = origin.to_str().is_ok_and(|o| cors.origin_allowed(o));
    let mut response = next.run(request).await;
    if allowed {
        let value = cors.allow_origin(&origin, has_cookie);
        let h = response.headers_mut();
        let echoed = value != "*";
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        if echoed {
            h.append(header::VARY, HeaderValue::from_static("Origin"));
        }
    }
    response
}
