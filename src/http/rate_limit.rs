//! Per-client rate limits (`RATE_LIMIT_*_PER_MINUTE`), one budget per class
//! of route: reads, writes, and synthesis (routes that make the engine
//! speak, which cost seconds of CPU each). A client is its API key when it
//! presents a valid one, else its IP address. GCRA buckets from `governor`:
//! a full bucket lets `burst` requests through at once, then one per
//! `60 s / limit`. `GET /metadata` is a read: the original gave it a fixed
//! 20 per minute of its own, but a page loads it once, so the reads budget
//! (off by default, like every budget here) is the one that fits.
//!
//! Responses carry `X-RateLimit-Limit` (the bucket size), `X-RateLimit-Remaining`
//! and `X-RateLimit-Reset` (seconds until the bucket is full again); a 429
//! adds `Retry-After`.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use ipnet::IpNet;

use crate::config::{RateLimitSettings, Settings};
use crate::error::ErrorDetail;
use crate::http::auth::{self, ApiKeys, KeyId, Presented};

/// Idle clients' buckets are dropped this often, so the maps stay small.
const CLEANUP_EVERY: Duration = Duration::from_secs(60);
/// Health probes are never refused.
pub const NEVER_LIMITED: &str = "/health";

/// Which budget a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Read,
    Write,
    Synthesis,
}

/// Writes that queue or run a synthesis (route templates).
const SYNTHESIS_WRITES: &[&str] = &[
    "/v1/items",
    "/v1/items/bulk",
    "/v1/items/{item_id}/spoken-text",
    "/v1/items/tts/retry",
    "/v1/items/{item_id}/tts/retry",
    "/v1/items/{item_id}/audio/refresh",
    "/api/v1/tts/convert",
    "/api/v1/tts/convert-multiple",
];

/// `route` is the matched template when there is one, else the path.
pub fn classify(method: &Method, route: &str) -> Class {
    if route == "/v1/audio/speech"
        || route == "/synthesizeSpeech"
        || route == "/v1/tts/sessions"
        || route.starts_with("/v1/tts/sessions/")
    {
        return Class::Synthesis;
    }
    let writes = matches!(
        *method,
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    );
    match (writes, SYNTHESIS_WRITES.contains(&route)) {
        (true, true) => Class::Synthesis,
        (true, false) => Class::Write,
        (false, _) => Class::Read,
    }
}

/// Whose budget: the API key's, else the address's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    Key(KeyId),
    Ip(IpAddr),
    /// Served without connection info (not the case in `startup`); such
    /// requests share one budget rather than going unlimited.
    Unknown,
}

type Limiter =
    RateLimiter<Client, DefaultKeyedStateStore<Client>, DefaultClock, StateInformationMiddleware>;

/// The three limiters and what identifies a client.
#[derive(Clone)]
pub struct RateLimits(Arc<Inner>);

struct Inner {
    reads: Option<Limiter>,
    writes: Option<Limiter>,
    synthesis: Option<Limiter>,
    keys: ApiKeys,
    trusted_proxies: Vec<IpNet>,
    started: Instant,
    /// Seconds since `started` at which the next cleanup is due.
    next_cleanup: AtomicU64,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("reads", &self.0.reads.is_some())
            .field("writes", &self.0.writes.is_some())
            .field("synthesis", &self.0.synthesis.is_some())
            .finish()
    }
}

fn limiter(per_minute: u32, limits: &RateLimitSettings) -> Option<Limiter> {
    let rate = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(limits.burst).unwrap_or(rate);
    let quota = Quota::per_minute(rate).allow_burst(burst);
    Some(RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>())
}

impl RateLimits {
    pub fn new(settings: &Settings, keys: ApiKeys) -> Self {
        let limits = &settings.security.rate_limits;
        RateLimits(Arc::new(Inner {
            reads: limiter(limits.reads_per_minute, limits),
            writes: limiter(limits.writes_per_minute, limits),
            synthesis: limiter(limits.synthesis_per_minute, limits),
            keys,
            trusted_proxies: settings.security.trusted_proxies.clone(),
            started: Instant::now(),
            next_cleanup: AtomicU64::new(CLEANUP_EVERY.as_secs()),
        }))
    }

    /// Whether any class has a budget (all are off by default).
    pub fn any(&self) -> bool {
        self.0.reads.is_some() || self.0.writes.is_some() || self.0.synthesis.is_some()
    }

    fn limiter(&self, class: Class) -> Option<&Limiter> {
        match class {
            Class::Read => self.0.reads.as_ref(),
            Class::Write => self.0.writes.as_ref(),
            Class::Synthesis => self.0.synthesis.as_ref(),
        }
    }

    fn client(&self, request: &Request<Body>) -> Client {
        if self.0.keys.enabled() {
            if let Presented::Valid(id) = self.0.keys.identify(request.headers()) {
                return Client::Key(id);
            }
        }
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        match peer {
            Some(peer) => Client::Ip(bucket_ip(client_ip(
                peer,
                request.headers(),
                &self.0.trusted_proxies,
            ))),
            None => Client::Unknown,
        }
    }

    /// Forget clients whose buckets are full again (at most once a minute;
    /// the request that notices first does the work).
    fn cleanup_if_due(&self) {
        let now = self.0.started.elapsed().as_secs();
        let due = self.0.next_cleanup.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        let next = now + CLEANUP_EVERY.as_secs();
        if self
            .0
            .next_cleanup
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        for limiter in [&self.0.reads, &self.0.writes, &self.0.synthesis]
            .into_iter()
            .flatten()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The client's address: the peer, or — when the peer is a trusted proxy —
/// the nearest untrusted address in `X-Forwarded-For`, read from the right
/// (the left part is whatever the client chose to send).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// One budget per IPv4 address and per IPv6 /64, the block one subscriber
/// usually holds (otherwise a client could rotate addresses within it).
fn bucket_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

fn header_value(n: u64) -> HeaderValue {
    HeaderValue::from(n)
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn set_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, reset: Duration) {
    headers.insert("x-ratelimit-limit", header_value(u64::from(limit)));
    headers.insert("x-ratelimit-remaining", header_value(u64::from(remaining)));
    headers.insert("x-ratelimit-reset", header_value(ceil_secs(reset)));
}

/// What a counted request had left, for its `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    limit: u32,
    remaining: u32,
    reset: Duration,
}

impl Budget {
    pub fn apply(self, response: &mut Response) {
        set_headers(
            response.headers_mut(),
            self.limit,
            self.remaining,
            self.reset,
        );
    }
}

/// A spent budget: answered 429 with `Retry-After` and `X-RateLimit-*`.
#[derive(Debug, Clone, Copy)]
pub struct Exceeded {
    limit: u32,
    wait: Duration,
    reset: Duration,
}

impl IntoResponse for Exceeded {
    fn into_response(self) -> Response {
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(ErrorDetail::new("Rate limit exceeded")),
        )
            .into_response();
        let headers = response.headers_mut();
        set_headers(headers, self.limit, 0, self.reset);
        headers.insert(
            header::RETRY_AFTER,
            header_value(ceil_secs(self.wait).max(1)),
        );
        response
    }
}

impl RateLimits {
    /// Count the request against its class's budget: `Ok(None)` when it has
    /// none, `Ok(Some)` with what is left, `Err` with the 429 when spent.
    pub fn check(&self, request: &Request<Body>) -> Result<Option<Budget>, Exceeded> {
        // Preflights carry no credentials.
        if !self.any() || auth::is_preflight(request) || request.uri().path() == NEVER_LIMITED {
            return Ok(None);
        }
        let class = match request.extensions().get::<MatchedPath>() {
            Some(route) => classify(request.method(), route.as_str()),
            None => classify(request.method(), request.uri().path()),
        };
        let Some(limiter) = self.limiter(class) else {
            return Ok(None);
        };
        self.cleanup_if_due();
        match limiter.check_key(&self.client(request)) {
            Ok(snapshot) => {
                let quota = snapshot.quota();
                let limit = quota.burst_size().get();
                let remaining = snapshot.remaining_burst_capacity();
                let reset = quota.replenish_interval() * limit.saturating_sub(remaining);
                Ok(Some(Budget {
                    limit,
                    remaining,
                    reset,
                }))
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.clock().now());
                let quota = not_until.quota();
                let burst = quota.burst_size().get();
                tracing::info!(class = ?class, "rate limit exceeded");
                Err(Exceeded {
                    limit: burst,
                    wait,
                    reset: wait + quota.replenish_interval() * burst.saturating_sub(1),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn routes_fall_into_classes() {
        let c = |m: Method, r: &str| classify(&m, r);
        assert_eq!(c(Method::GET, "/v1/items"), Class::Read);
        assert_eq!(c(Method::GET, "/metadata"), Class::Read);
        assert_eq!(c(Method::GET, "/v1/items/{item_id}/audio"), Class::Read);
        assert_eq!(c(Method::HEAD, "/v1/stats/summary"), Class::Read);
        assert_eq!(c(Method::POST, "/v1/attempts"), Class::Write);
        assert_eq!(c(Method::DELETE, "/v1/tags/{tag_id}"), Class::Write);
        assert_eq!(c(Method::PATCH, "/v1/items/{item_id}/tags"), Class::Write);
        assert_eq!(c(Method::POST, "/no/such/route"), Class::Write);
        assert_eq!(c(Method::POST, "/v1/items"), Class::Synthesis);
        assert_eq!(c(Method::POST, "/v1/items/bulk"), Class::Synthesis);
        assert_eq!(
            c(Method::PATCH, "/v1/items/{item_id}/spoken-text"),
            Class::Synthesis
        );
        assert_eq!(
            c(Method::POST, "/v1/items/{item_id}/tts/retry"),
            Class::Synthesis
        );
        assert_eq!(
            c(Method::POST, "/v1/items/{item_id}/audio/refresh"),
            Class::Synthesis
        );
        assert_eq!(
            c(Method::POST, "/v1/items/{item_id}/translations"),
            Class::Write
        );
        assert_eq!(c(Method::POST, "/api/v1/tts/convert"), Class::Synthesis);
        assert_eq!(c(Method::GET, "/api/v1/tts/{conversion_id}"), Class::Read);
        assert_eq!(c(Method::POST, "/v1/audio/speech"), Class::Synthesis);
        assert_eq!(c(Method::POST, "/synthesizeSpeech"), Class::Synthesis);
        assert_eq!(c(Method::POST, "/v1/tts/sessions"), Class::Synthesis);
        assert_eq!(
            c(Method::GET, "/v1/tts/sessions/{session_id}/stream"),
            Class::Synthesis
        );
        assert_eq!(c(Method::GET, "/v1/tts/stats"), Class::Read);
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let spoofed = xff(&["6.6.6.6"]);
        assert_eq!(client_ip(ip("8.8.8.8"), &spoofed, &trusted), ip("8.8.8.8"));
        assert_eq!(client_ip(ip("10.0.0.1"), &spoofed, &trusted), ip("6.6.6.6"));
        // The rightmost untrusted hop wins; what the client prepended is ignored.
        let chain = xff(&["6.6.6.6, 1.2.3.4", "10.0.0.7"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &chain, &trusted), ip("1.2.3.4"));
        // Garbage stops the walk at the last good hop.
        let junk = xff(&["1.2.3.4, junk, 10.0.0.9"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &junk, &trusted), ip("10.0.0.9"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), &xff(&[]), &trusted),
            ip("10.0.0.1")
        );
        let ports = xff(&["[2001:db8::1]:443, 1.2.3.4:5678"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &ports, &trusted), ip("1.2.3.4"));
        // An IPv4 peer seen as IPv4-mapped IPv6 is still trusted.
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), &spoofed, &trusted),
            ip("6.6.6.6")
        );
        assert_eq!(client_ip(ip("10.0.0.1"), &spoofed, &[]), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        assert_eq!(bucket_ip(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(bucket_ip(ip("192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn reset_rounds_up() {
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_secs(2)), 2);
    }
}
