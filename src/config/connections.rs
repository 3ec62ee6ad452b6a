//! Connection limits (issue 17): a client that opens connections and sends
//! nothing, or half a request head, held a socket for as long as it liked;
//! ~20,000 of them from one address used up the file limit and `/health`
//! stopped answering for everyone. Each limit here bounds one way of
//! holding the server's sockets.

use std::time::Duration;

use super::{invalid, parse_bounded, Raw, SettingsError};

/// How connections are accepted and how long an idle head may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// `HTTP_HEADER_READ_TIMEOUT_SECONDS`: a connection that has not sent a
    /// whole request head this long after it opened (or after its previous
    /// response, when kept alive) is closed.
    pub header_read_timeout: Duration,
    /// `HTTP_IDLE_TIMEOUT_SECONDS`: a connection that moves no byte either
    /// way this long (an idle keep-alive, a stalled upload or reader) is
    /// closed, and a write the peer does not take this long fails (which
    /// also covers upgraded WebSocket connections). WebSocket pings count as
    /// traffic.
    pub idle_timeout: Duration,
    /// `HTTP_MAX_CONNECTIONS`: open connections at once; one more is
    /// answered `503` with `Retry-After` and closed.
    pub max_connections: usize,
    /// `HTTP_MAX_CONNECTIONS_PER_ADDRESS`: open connections from one peer
    /// address (the TCP peer, not `X-Forwarded-For`: behind a proxy, raise it
    /// or leave the cap to the proxy); 0 = no per-address cap.
    pub max_connections_per_address: usize,
}

pub(super) fn parse_connections(raw: &Raw) -> Result<ConnectionSettings, SettingsError> {
    let seconds = parse_bounded(raw, "http_header_read_timeout_seconds", 1, 3_600)?;
    let idle = parse_bounded(raw, "http_idle_timeout_seconds", 1, 86_400)?;
    let max_connections = parse_bounded(raw, "http_max_connections", 1, 1_000_000)?;
    let per_address = parse_bounded(raw, "http_max_connections_per_address", 0, 1_000_000)?;
    if per_address > max_connections {
        return Err(invalid(
            "http_max_connections_per_address",
            "expected at most HTTP_MAX_CONNECTIONS",
        ));
    }
    Ok(ConnectionSettings {
        header_read_timeout: Duration::from_secs(seconds),
        idle_timeout: Duration::from_secs(idle),
        max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
        max_connections_per_address: usize::try_from(per_address).unwrap_or(usize::MAX),
    })
}
