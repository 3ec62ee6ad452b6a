//! The per-request protections in one middleware: the rate limit (first, so a
//! wrong key counts against the address's budget), the API key, and the
//! response-head timeout.
//!
//! Why one layer and not three: every axum `from_fn` layer boxes the request
//! future and clones the service stack inside it on every request. These
//! three and the request metrics, each its own layer, cost about a fifth of
//! the cache-hit throughput of `/synthesizeSpeech` (16k vs 19.5k req/s on two
//! cores, `speech-bench` with reqwest); and when all three are off the layer
//! is not installed at all.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::Settings;
use crate::http::auth::{ApiKeys, Refusal};
use crate::http::rate_limit::RateLimits;
use crate::http::speech;

/// What the guard enforces, from the settings.
#[derive(Debug, Clone)]
pub struct Guard {
    keys: ApiKeys,
    limits: RateLimits,
    timeout: Option<Duration>,
}

impl Guard {
    /// `None` when keys, rate limits and the timeout are all off.
    pub fn from_settings(settings: &Settings) -> Option<Self> {
        let keys = ApiKeys::new(settings);
        let limits = RateLimits::new(settings, keys.clone());
        let timeout = settings.security.request_timeout;
        (keys.enabled() || limits.any() || timeout.is_some()).then_some(Guard {
            keys,
            limits,
            timeout,
        })
    }
}

/// Middleware: refuse over budget (429) or without a valid key (401/403; 401 on `/v1/audio/*`),
/// else run the request under the timeout and add the budget headers.
pub async fn guard(State(guard): State<Guard>, request: Request<Body>, next: Next) -> Response {
    // OpenAI's routes refuse in OpenAI's shape, so its SDKs raise the right errors.
    let openai = speech::speaks_openai(request.uri().path());
    let budget = match guard.limits.check(&request) {
        Ok(budget) => budget,
        Err(exceeded) if openai => return speech::openai_rate_limited(exceeded.into_response()),
        Err(exceeded) => return exceeded.into_response(),
    };
    let mut response = match guard.keys.check(&request) {
        Ok(()) => crate::http::timeout::within(guard.timeout, next.run(request)).await,
        Err(refusal) if openai => speech::openai_unauthorized(refusal == Refusal::Missing),
        Err(refusal) => refusal.into_response(),
    };
    if let Some(budget) = budget {
        budget.apply(&mut response);
    }
    response
}
