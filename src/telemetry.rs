//! Logging setup: `LOG_LEVEL` (or `RUST_LOG`) filter, text or JSON lines.

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Install the global subscriber. Safe to call more than once (later calls
/// are ignored), which tests rely on.
pub fn init(level: &str, json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(format!("{level},sqlx=warn,tower_http=info")))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry.with(fmt::layer().json()).try_init()
    } else {
        // Colour codes only for a terminal: in files and log collectors they are noise.
        let ansi = std::io::stdout().is_terminal();
        registry.with(fmt::layer().with_ansi(ansi)).try_init()
    };
    // Already installed (e.g. by an earlier test): keep the first one.
    let _ = result;
}

/// The one completion line per request (TraceLayer `on_response`), at INFO
/// with status and latency. The request span adds method, route template
/// and request id; neither bodies nor headers are logged.
pub fn log_response(status: http::StatusCode, latency: std::time::Duration) {
    // Microsecond precision is plenty and keeps JSON numbers short.
    let latency_ms = (latency.as_secs_f64() * 1_000_000.0).round() / 1_000.0;
    tracing::info!(status = status.as_u16(), latency_ms, "request completed");
}
