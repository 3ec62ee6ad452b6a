//! Prometheus metrics for `GET /metrics`.
//!
//! Two sources, so that several applications in one process (the integration
//! tests start many) never mix their states:
//! - events (HTTP requests, syntheses, engine errors) are recorded through the
//!   `metrics` facade into one process-wide recorder, installed once
//!   ([`recorder`]); they are counters and histograms, which only grow;
//! - states (task counts, queue depth, circuit breakers, database pools, the
//!   speech cache's counters, build info) are read from the scraped
//!   application's own state at scrape time and written next to them
//!   ([`scrape`]);
//! - the process's own figures (`process_*`: CPU, memory, file descriptors,
//!   threads, start time) are read from the OS on each scrape by the
//!   `metrics-process` collector ([`recorder::render`]).
//!
//! Every series whose label values are known in advance is present, at 0,
//! from the first scrape: the per-engine series for each engine that started,
//! every task status, every error kind. Only the request series, whose
//! labels are the requests' own, appear with the first request (their
//! families are announced before that).

mod exposition;
pub mod http;
pub mod recorder;
pub mod scrape;
pub mod tts;

/// Requests by `route` template (`unmatched` when no route matched), `method`, `status`.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// Time to the response head, same labels as [`HTTP_REQUESTS`].
pub const HTTP_REQUEST_DURATION: &str = "http_request_duration_seconds";
/// Wall time of each successful synthesis, by `provider`.
pub const TTS_SYNTHESIS_SECONDS: &str = "tts_synthesis_seconds";
/// Synthesis time divided by the duration of the audio, by `provider`. A
/// unitless ratio, so `_ratio` by Prometheus naming conventions (it was
/// `tts_real_time_factor` before; not kept under both names, which would
/// double the histogram's series).
pub const TTS_REAL_TIME_FACTOR: &str = "tts_real_time_factor_ratio";
/// Failed syntheses by `provider` and `kind` ([`tts::ERROR_KINDS`]).
pub const TTS_PROVIDER_ERRORS: &str = "tts_provider_errors_total";

/// Histogram buckets (seconds) for HTTP latency: API calls take milliseconds,
/// synthesising requests up to seconds.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Synthesis seconds: a short sentence on the local engine to a long cloud text.
const SYNTHESIS_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Real-time factor: below 1 is faster than real time.
const RTF_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0,
];
