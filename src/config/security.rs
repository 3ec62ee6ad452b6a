//! Access control and abuse limits (issue 8): API keys, per-client rate
//! limits, trusted proxies and the request timeout. Everything is off by
//! default except the timeout, so a fresh install behaves like the original.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use http::HeaderName;
use ipnet::IpNet;

use super::{invalid, parse_bool, parse_bounded, split_list, Raw, SettingsError};

/// Largest per-minute budget and burst accepted.
const MAX_PER_MINUTE: u64 = 1_000_000;
/// Longest request timeout accepted, in seconds.
const MAX_TIMEOUT_SECONDS: f64 = 3_600.0;

/// Who may call the API, how often, and how long a response may take.
#[derive(Clone, PartialEq)]
pub struct SecuritySettings {
    /// `API_KEYS` ∪ `API_KEYS_CSV` (secrets, never shown by `Debug`);
    /// empty = the API is open.
    pub api_keys: Vec<String>,
    /// The header carrying a key (`API_KEY_HEADER`); `Authorization: Bearer`
    /// is accepted as well.
    pub api_key_header: HeaderName,
    /// `METRICS_PUBLIC`: `/metrics` needs no key even when keys are set.
    pub metrics_public: bool,
    /// `TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpNet>,
    pub rate_limits: RateLimitSettings,
    /// `REQUEST_TIMEOUT_SECONDS`: how long a handler may take to produce the
    /// response head (bodies and WebSocket streams are not limited); `None` = off.
    pub request_timeout: Option<Duration>,
}

impl fmt::Debug for SecuritySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecuritySettings")
            .field(
                "api_keys",
                &format_args!("<{} redacted>", self.api_keys.len()),
            )
            .field("api_key_header", &self.api_key_header)
            .field("metrics_public", &self.metrics_public)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("rate_limits", &self.rate_limits)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// Requests per minute per client (API key, else IP) for each class of
/// route; 0 = unlimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// `RATE_LIMIT_READS_PER_MINUTE`: everything not below.
    pub reads_per_minute: u32,
    /// `RATE_LIMIT_WRITES_PER_MINUTE`: POST/PATCH/PUT/DELETE that start no synthesis.
    pub writes_per_minute: u32,
    /// `RATE_LIMIT_SYNTHESIS_PER_MINUTE`: routes that make the engine speak.
    pub synthesis_per_minute: u32,
    /// `RATE_LIMIT_BURST`: requests a client may send at once; 0 = the
    /// class's per-minute budget.
    pub burst: u32,
}

pub(super) fn parse_security(raw: &Raw) -> Result<SecuritySettings, SettingsError> {
    let mut api_keys = Vec::new();
    for key in ["api_keys", "api_keys_csv"] {
        for k in parse_key_list(key, raw.optional(key).as_deref().unwrap_or(""))? {
            if !api_keys.contains(&k) {
                api_keys.push(k);
            }
        }
    }
    let header = raw.get("api_key_header")?;
    let api_key_header = HeaderName::from_bytes(header.trim().as_bytes()).map_err(|_| {
        invalid(
            "api_key_header",
            "expected an HTTP header name such as X-API-Key",
        )
    })?;
    let metrics_public = parse_bool(&raw.get("metrics_public")?)
        .ok_or_else(|| invalid("metrics_public", "expected true or false"))?;
    let trusted_proxies = split_list(&raw.get("trusted_proxies")?)
        .iter()
        .map(|s| parse_net(s))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            invalid(
                "trusted_proxies",
                "expected a comma list of IP addresses or CIDRs such as 10.0.0.0/8",
            )
        })?;
    let per_minute = |key| parse_bounded(raw, key, 0, MAX_PER_MINUTE).map(|n| n as u32);
    let rate_limits = RateLimitSettings {
        reads_per_minute: per_minute("rate_limit_reads_per_minute")?,
        writes_per_minute: per_minute("rate_limit_writes_per_minute")?,
        synthesis_per_minute: per_minute("rate_limit_synthesis_per_minute")?,
        burst: per_minute("rate_limit_burst")?,
    };
    let seconds = raw.get("request_timeout_seconds")?.trim().parse::<f64>();
    let request_timeout = match seconds {
        Ok(s) if s > 0.0 && s <= MAX_TIMEOUT_SECONDS => Some(Duration::from_secs_f64(s)),
        // Exactly 0 turns the timeout off.
        Ok(0.0) => None,
        _ => {
            return Err(invalid(
                "request_timeout_seconds",
                format!("expected seconds from 0 (off) to {MAX_TIMEOUT_SECONDS}"),
            ))
        }
    };
    Ok(SecuritySettings {
        api_keys,
        api_key_header,
        metrics_public,
        trusted_proxies,
        rate_limits,
        request_timeout,
    })
}

/// `k1,k2` or, as pydantic list settings were written, `["k1","k2"]`.
/// Keys travel in headers, so they must be visible ASCII.
fn parse_key_list(key: &str, value: &str) -> Result<Vec<String>, SettingsError> {
    let trimmed = value.trim();
    let keys = if trimmed.starts_with('[') {
        serde_json::from_str::<Vec<String>>(trimmed)
            .map_err(|_| invalid(key, "expected a comma list or a JSON list of strings"))?
            .into_iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect()
    } else {
        split_list(trimmed)
    };
    if keys
        .iter()
        .any(|k| !k.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(invalid(
            key,
            "keys must be printable ASCII without spaces (they are sent in a header)",
        ));
    }
    Ok(keys)
}

fn parse_net(value: &str) -> Option<IpNet> {
    value
        .parse::<IpNet>()
        .ok()
        .or_else(|| value.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn security(vars: &[(&str, &str)]) -> SecuritySettings {
        Settings::from_vars(vars.iter().copied()).unwrap().security
    }

    #[test]
    fn defaults_are_open_and_unlimited_with_a_timeout() {
        let s = security(&[]);
        assert!(s.api_keys.is_empty());
        assert_eq!(s.api_key_header, "x-api-key");
        assert!(!s.metrics_public);
        assert!(s.trusted_proxies.is_empty());
        assert_eq!(
            s.rate_limits,
            RateLimitSettings {
                reads_per_minute: 0,
                writes_per_minute: 0,
                synthesis_per_minute: 0,
                burst: 0
            }
        );
        assert_eq!(s.request_timeout, Some(Duration::from_secs(30)));
    }

    #[test]
    fn keys_from_both_lists_are_merged_without_repeats() {
        let s = security(&[
            ("API_KEYS", "alpha, beta,,"),
            ("api_keys_csv", "beta,gamma"),
        ]);
        assert_eq!(s.api_keys, vec!["alpha", "beta", "gamma"]);
        let s = security(&[("API_KEYS", r#"["one", " two "]"#)]);
        assert_eq!(s.api_keys, vec!["one", "two"]);
    }

    #[test]
    fn debug_hides_the_keys() {
        let s = security(&[("API_KEYS", "very-secret-key")]);
        let shown = format!("{s:?}");
        assert!(!shown.contains("very-secret-key"), "{shown}");
        assert!(shown.contains("<1 redacted>"));
        let all = format!(
            "{:?}",
            Settings::from_vars([("API_KEYS", "very-secret-key")]).unwrap()
        );
        assert!(!all.contains("very-secret-key"));
    }

    #[test]
    fn header_proxies_limits_and_timeout_are_parsed() {
        let s = security(&[
            ("API_KEY_HEADER", "X-Custom-Key"),
            ("METRICS_PUBLIC", "yes"),
            ("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8, ::1"),
            ("RATE_LIMIT_READS_PER_MINUTE", "600"),
            ("RATE_LIMIT_WRITES_PER_MINUTE", "60"),
            ("RATE_LIMIT_SYNTHESIS_PER_MINUTE", "10"),
            ("RATE_LIMIT_BURST", "5"),
            ("REQUEST_TIMEOUT_SECONDS", "0.5"),
        ]);
        assert_eq!(s.api_key_header, "x-custom-key");
        assert!(s.metrics_public);
        let nets: Vec<String> = s.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(nets, vec!["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
        assert_eq!(s.rate_limits.reads_per_minute, 600);
        assert_eq!(s.rate_limits.writes_per_minute, 60);
        assert_eq!(s.rate_limits.synthesis_per_minute, 10);
        assert_eq!(s.rate_limits.burst, 5);
        assert_eq!(s.request_timeout, Some(Duration::from_millis(500)));
        assert_eq!(
            security(&[("REQUEST_TIMEOUT_SECONDS", "0")]).request_timeout,
            None
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("API_KEYS", "has space"),
            ("API_KEYS_CSV", "ok,bad\u{e4}"),
            ("API_KEYS", "[\"unterminated\""),
            ("API_KEY_HEADER", "Bad Header"),
            ("API_KEY_HEADER", ""),
            ("METRICS_PUBLIC", "sometimes"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TRUSTED_PROXIES", "proxy.local"),
            ("RATE_LIMIT_READS_PER_MINUTE", "-1"),
            ("RATE_LIMIT_WRITES_PER_MINUTE", "many"),
            ("RATE_LIMIT_SYNTHESIS_PER_MINUTE", "1000001"),
            ("RATE_LIMIT_BURST", "1.5"),
            ("REQUEST_TIMEOUT_SECONDS", "-1"),
            ("REQUEST_TIMEOUT_SECONDS", "3601"),
            ("REQUEST_TIMEOUT_SECONDS", "soon"),
        ] {
            let err = Settings::from_vars([(name, value)])
                .unwrap_err()
                .to_string();
            assert!(err.contains(name), "{name}={value}: {err}");
            assert!(
                !err.contains("bad\u{e4}"),
                "the key itself is not echoed: {err}"
            );
        }
    }
}
