//! Making a remote engine's failures bounded and observable.
//!
//! Why: without limits a hung or dead cloud API keeps a worker waiting forever
//! and every queued item piles up behind it. Here each HTTP attempt gets a
//! timeout; only failures that can pass (429, 5xx, timeouts, broken
//! connections) are retried, with jittered exponential back-off that never
//! retries sooner than a `Retry-After` asks; and a per-provider circuit
//! breaker turns a run of failures into an immediate, clearly worded error
//! until a cool-down has passed, after which one trial request decides
//! whether the provider is back (closed → open → half-open → closed/open).

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::ResilienceSettings;
use crate::tts::provider::{CircuitState, ProviderError};

/// How one attempt (or a whole call) failed, as far as retrying and the
/// breaker are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// May pass: rate limit, server error, connection failure.
    Transient,
    /// No answer in time; may pass like [`FailureKind::Transient`].
    Timeout,
    /// Credentials refused (401/403): permanent, and the provider is unusable.
    Auth,
    /// The provider answered but refused this input (400/413/422).
    Input,
    /// Any other permanent refusal or an unusable response.
    Permanent,
}

impl FailureKind {
    /// Whether trying again may succeed.
    pub fn may_pass(&self) -> bool {
        matches!(self, FailureKind::Transient | FailureKind::Timeout)
    }
}

/// One failed attempt. `message` ends up in a task's `error_message`, so it
/// must never contain keys, tokens or the learner's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptError {
    pub kind: FailureKind,
    pub message: String,
    /// Server-requested wait before the next attempt.
    pub retry_after: Option<Duration>,
}

impl AttemptError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Transient, message)
    }

    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Whether this failure says the provider itself is unhealthy (counts
    /// towards opening the circuit). A refused input proves it is up.
    fn counts_against_provider(&self) -> bool {
        self.kind.may_pass() || self.kind == FailureKind::Auth
    }

    /// The pipeline-facing error, prefixed with the provider's name.
    pub fn into_provider_error(self, provider: &str) -> ProviderError {
        let message = format!("{provider}: {}", self.message);
        match self.kind {
            FailureKind::Transient => ProviderError::Unavailable(message),
            FailureKind::Timeout => ProviderError::TimedOut(message),
            FailureKind::Input => ProviderError::InvalidInput(message),
            FailureKind::Auth | FailureKind::Permanent => ProviderError::Engine(message),
        }
    }
}

/// Classify an HTTP status that is not a success.
pub fn classify_status(status: reqwest::StatusCode) -> FailureKind {
    match status.as_u16() {
        401 | 403 => FailureKind::Auth,
        400 | 413 | 422 => FailureKind::Input,
        408 | 425 | 429 => FailureKind::Transient,
        s if s >= 500 => FailureKind::Transient,
        _ => FailureKind::Permanent,
    }
}

/// A status line for `error_message`: `credentials rejected (HTTP 403 PERMISSION_DENIED)`.
/// `detail` must be a provider status code, never free text from the body.
pub fn describe_status(status: reqwest::StatusCode, kind: &FailureKind, detail: &str) -> String {
    let code = status.as_u16();
    let what = match kind {
        FailureKind::Auth => "credentials rejected",
        FailureKind::Transient if code == 429 => "rate limited",
        FailureKind::Transient => "service unavailable",
        FailureKind::Timeout => "timed out",
        FailureKind::Input => "request rejected",
        FailureKind::Permanent => "unexpected response",
    };
    if detail.is_empty() {
        format!("{what} (HTTP {code})")
    } else {
        format!("{what} (HTTP {code} {detail})")
    }
}

/// An unsuccessful answer as a failed attempt: its class, a status line
/// (`detail` as for [`describe_status`]) and the server's `Retry-After`.
pub fn refused(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    detail: &str,
) -> AttemptError {
    let kind = classify_status(status);
    let mut error = AttemptError::new(kind.clone(), describe_status(status, &kind, detail));
    error.retry_after = parse_retry_after(headers);
    error
}

/// A success whose body is not the JSON expected (`missing` names what
/// was looked for), or a body that broke off.
pub fn unreadable(e: &reqwest::Error, missing: &str) -> AttemptError {
    if e.is_decode() {
        AttemptError::new(
            FailureKind::Permanent,
            format!("unexpected response: no {missing}"),
        )
    } else {
        transport_error(e)
    }
}

/// Map a transport error without echoing URLs or bodies.
pub fn transport_error(e: &reqwest::Error) -> AttemptError {
    if e.is_timeout() {
        return AttemptError::new(FailureKind::Timeout, "request timed out");
    }
    let what = if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "connection broke while reading the response"
    } else {
        "request failed"
    };
    AttemptError::transient(what)
}

/// `Retry-After` as delta-seconds or an HTTP date.
pub fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Timeout and retry rules for single requests.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub timeout: Duration,
    pub max_retries: u32,
    pub base: Duration,
    pub max: Duration,
}

impl RetryPolicy {
    pub fn from_settings(s: &ResilienceSettings) -> Self {
        Self {
            timeout: s.request_timeout,
            max_retries: s.max_retries,
            base: s.retry_base,
            max: s.retry_max,
        }
    }

    /// Back-off before retry number `retry` (0-based): exponential, capped,
    /// with "equal jitter" (a random point in the upper half) so that workers
    /// hitting the same outage do not retry in lockstep.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(20));
        let step = self.base.saturating_mul(factor).min(self.max);
        let half = step / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Run `attempt` until it succeeds, fails permanently or retries run out.
    pub async fn run<T, F, Fut>(&self, mut attempt: F) -> Result<T, AttemptError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AttemptError>>,
    {
        let mut retry = 0;
        loop {
            let outcome = match tokio::time::timeout(self.timeout, attempt()).await {
                Ok(outcome) => outcome,
                Err(_) => Err(AttemptError::new(
                    FailureKind::Timeout,
                    format!("no response within {}", human(self.timeout)),
                )),
            };
            let error = match outcome {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            if !error.kind.may_pass() || retry >= self.max_retries {
                return Err(error);
            }
            let mut wait = self.backoff(retry);
            if let Some(asked) = error.retry_after {
                if asked > self.max {
                    return Err(AttemptError {
                        message: format!(
                            "{}; the provider asked to wait {} before retrying",
                            error.message,
                            human(asked)
                        ),
                        ..error
                    });
                }
                wait = wait.max(asked);
            }
            tracing::debug!(
                retry = retry + 1,
                wait_ms = wait.as_millis() as u64,
                reason = %error.message,
                "retrying TTS request"
            );
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }
}

/// `1.5s`, `30s`, `250ms`.
pub fn human(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        let secs = d.as_secs_f64();
        if secs.fract() == 0.0 {
            format!("{secs:.0}s")
        } else {
            format!("{secs:.1}s")
        }
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[derive(Debug)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
        failures: u32,
        last: String,
    },
    /// One trial call is in flight; everyone else fails fast.
    HalfOpen {
        last: String,
    },
}

/// A per-provider circuit breaker. Each synthesis takes a [`Permit`] and
/// reports how it went; a run of `threshold` failures opens the circuit.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

/// Leave to make a call; report its outcome with [`Permit::record`].
#[derive(Debug)]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    trial: bool,
    recorded: bool,
}

impl CircuitBreaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    pub fn from_settings(s: &ResilienceSettings) -> Self {
        Self::new(s.breaker_threshold, s.breaker_cooldown)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the state is still valid.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Permission to call the provider, or why not (fail fast).
    pub fn acquire(&self) -> Result<Permit<'_>, String> {
        let mut state = self.lock();
        match &*state {
            State::Closed { .. } => Ok(Permit {
                breaker: self,
                trial: false,
                recorded: false,
            }),
            State::Open {
                until,
                failures,
                last,
            } => {
                let now = Instant::now();
                if now < *until {
                    Err(format!(
                        "circuit open after {failures} consecutive failures (last: {last}); next try in {}",
                        human(until.saturating_duration_since(now))
                    ))
                } else {
                    tracing::info!("TTS provider circuit half-open: sending one trial request");
                    *state = State::HalfOpen { last: last.clone() };
                    Ok(Permit {
                        breaker: self,
                        trial: true,
                        recorded: false,
                    })
                }
            }
            State::HalfOpen { last } => Err(format!(
                "circuit half-open: a trial request is in flight (last failure: {last})"
            )),
        }
    }

    /// `/health` view: `Err` while calls fail fast.
    pub fn status(&self) -> Result<(), String> {
        match &*self.lock() {
            State::Closed { .. } => Ok(()),
            State::Open { until, last, .. } => {
                let now = Instant::now();
                if now < *until {
                    Err(format!(
                        "circuit open (last failure: {last}); next try in {}",
                        human(until.saturating_duration_since(now))
                    ))
                } else {
                    Ok(())
                }
            }
            State::HalfOpen { .. } => Err("circuit half-open: probing the provider".into()),
        }
    }

    /// The state now. An open circuit whose cool-down has passed counts as
    /// half-open: its next call is the trial.
    pub fn state(&self) -> CircuitState {
        match &*self.lock() {
            State::Closed { .. } => CircuitState::Closed,
            State::Open { until, .. } if Instant::now() < *until => CircuitState::Open,
            State::Open { .. } | State::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    fn on_success(&self) {
        let mut state = self.lock();
        if !matches!(*state, State::Closed { failures: 0 }) {
            if !matches!(*state, State::Closed { .. }) {
                tracing::info!("TTS provider circuit closed: the provider answers again");
            }
            *state = State::Closed { failures: 0 };
        }
    }

    fn on_failure(&self, reason: &str) {
        let mut state = self.lock();
        let failures = match &*state {
            State::Closed { failures } => failures + 1,
            State::Open { failures, .. } => failures + 1,
            State::HalfOpen { .. } => self.threshold,
        };
        if failures >= self.threshold {
            tracing::warn!(
                failures,
                cooldown_ms = self.cooldown.as_millis() as u64,
                reason,
                "TTS provider circuit open: failing fast until the cool-down passes"
            );
            *state = State::Open {
                until: Instant::now() + self.cooldown,
                failures,
                last: reason.to_string(),
            };
        } else {
            *state = State::Closed { failures };
        }
    }
}

impl Permit<'_> {
    /// Report the call's outcome. Refused input proves the provider is up.
    pub fn record<T>(mut self, outcome: &Result<T, AttemptError>) {
        self.recorded = true;
        match outcome {
            Err(e) if e.counts_against_provider() => self.breaker.on_failure(&e.message),
            _ => self.breaker.on_success(),
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        // A trial abandoned without an outcome (e.g. cancelled): let the next
        // call try again rather than staying half-open forever.
        if self.trial && !self.recorded {
            let mut state = self.breaker.lock();
            if let State::HalfOpen { last } = &*state {
                *state = State::Open {
                    until: Instant::now(),
                    failures: self.breaker.threshold,
                    last: last.clone(),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            timeout: Duration::from_millis(200),
            max_retries,
            base: Duration::from_millis(1),
            max: Duration::from_millis(50),
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy {
            timeout: Duration::from_secs(1),
            max_retries: 5,
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            let first = p.backoff(0);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let late = p.backoff(10);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1000));
        }
    }

    #[tokio::test]
    async fn transient_failures_are_retried_then_succeed() {
        let mut calls = 0;
        let out = policy(2)
            .run(|| {
                calls += 1;
                let n = calls;
                async move {
                    if n < 3 {
                        Err(AttemptError::transient("HTTP 503"))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(out, Ok(3));
    }

    #[tokio::test]
    async fn permanent_failures_are_not_retried() {
        let mut calls = 0;
        let out: Result<(), _> = policy(5)
            .run(|| {
                calls += 1;
                async { Err(AttemptError::new(FailureKind::Auth, "HTTP 401")) }
            })
            .await;
        assert_eq!(calls, 1);
        assert_eq!(out.unwrap_err().kind, FailureKind::Auth);
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_cap_fails_at_once() {
        let mut calls = 0;
        let out: Result<(), _> = policy(5)
            .run(|| {
                calls += 1;
                async {
                    Err(AttemptError {
                        retry_after: Some(Duration::from_secs(60)),
                        ..AttemptError::transient("rate limited (HTTP 429)")
                    })
                }
            })
            .await;
        assert_eq!(calls, 1);
        assert!(out.unwrap_err().message.contains("asked to wait 60s"));
    }

    #[tokio::test]
    async fn slow_attempts_time_out() {
        let out: Result<(), _> = policy(0)
            .run(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            })
            .await;
        assert_eq!(out.unwrap_err().message, "no response within 200ms");
    }

    #[test]
    fn breaker_opens_half_opens_and_closes() {
        let b = CircuitBreaker::new(2, Duration::from_millis(30));
        let fail: Result<(), _> = Err(AttemptError::transient("HTTP 503"));
        b.acquire().unwrap().record(&fail);
        assert!(b.status().is_ok());
        b.acquire().unwrap().record(&fail);
        let refused = b.acquire().unwrap_err();
        assert!(refused.contains("circuit open after 2 consecutive failures"));
        assert!(b.status().is_err());
        assert_eq!(b.state(), CircuitState::Open);

        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(b.state(), CircuitState::HalfOpen);
        let trial = b.acquire().unwrap();
        assert!(b.acquire().unwrap_err().contains("half-open"));
        assert_eq!(b.state().code(), 2);
        trial.record(&fail);
        assert!(b.acquire().is_err(), "a failed trial re-opens");

        std::thread::sleep(Duration::from_millis(40));
        b.acquire().unwrap().record(&Ok::<(), AttemptError>(()));
        assert!(b.status().is_ok());
        assert_eq!(b.state(), CircuitState::Closed);
        assert!(b.acquire().is_ok());
    }

    #[test]
    fn refused_input_does_not_trip_the_breaker_and_abandoned_trials_reopen() {
        let b = CircuitBreaker::new(1, Duration::from_millis(10));
        let bad_input: Result<(), _> = Err(AttemptError::new(FailureKind::Input, "HTTP 400"));
        b.acquire().unwrap().record(&bad_input);
        assert!(b.status().is_ok());

        b.acquire()
            .unwrap()
            .record(&Err::<(), _>(AttemptError::transient("timeout")));
        std::thread::sleep(Duration::from_millis(15));
        drop(b.acquire().unwrap());
        assert!(
            b.acquire().is_ok(),
            "an abandoned trial lets the next call try"
        );
    }

    #[test]
    fn retry_after_forms() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
    }
}
