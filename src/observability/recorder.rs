//! The process-wide Prometheus recorder. `metrics` accepts one global
//! recorder per process, so it is installed once and its handle shared by
//! every application the process builds. The process's own figures
//! (`process_*`) are written into it by `metrics-process` on each scrape.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_process::Collector;

use super::{
    HTTP_BUCKETS, HTTP_REQUESTS, HTTP_REQUEST_DURATION, RTF_BUCKETS, SYNTHESIS_BUCKETS,
    TTS_PROVIDER_ERRORS, TTS_REAL_TIME_FACTOR, TTS_SYNTHESIS_SECONDS,
};

/// `None` inside when another recorder already owned the process.
static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Reads `process_*` (CPU seconds, resident and virtual memory, open and
/// maximum file descriptors, threads, start time) from `/proc` when asked.
static PROCESS: OnceLock<Collector> = OnceLock::new();

/// Families whose series are labelled by the requests themselves, so none
/// exists before the first request: announced (`# HELP`/`# TYPE`, no
/// sample) until then, so a scraper sees every family from the start.
const ANNOUNCED: [(&str, &str, &str); 2] = [
    (
        HTTP_REQUESTS,
        "counter",
        "HTTP requests by route template, method and status",
    ),
    (
        HTTP_REQUEST_DURATION,
        "histogram",
        "Time from request to response head, by route template, method and status",
    ),
];

/// How often histogram samples are folded into their buckets when nobody
/// scrapes (a scrape does it too); bounds the memory they hold.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Install the recorder on the first call; every call returns the same
/// handle. `None` (logged once) when another recorder was installed first:
/// events then go there, and `/metrics` shows only the scrape-time values.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| match build() {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "cannot install the Prometheus recorder; /metrics shows scrape-time values only");
                None
            }
        })
        .as_ref()
}

/// The handle, if [`install`] has run and succeeded.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get().and_then(Option::as_ref)
}

/// Everything the recorder holds, in the text format, with the process
/// figures read now; empty when no recorder is installed.
pub fn render() -> String {
    let Some(handle) = handle() else {
        return String::new();
    };
    if let Some(process) = PROCESS.get() {
        process.collect();
    }
    let mut body = handle.render();
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    for (name, kind, help) in ANNOUNCED {
        if !body.contains(&format!("# TYPE {name} ")) {
            body.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        }
    }
    body
}

fn build() -> Result<PrometheusHandle, BuildError> {
    // Buckets make the exporter render real histograms instead of summaries.
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_REQUEST_DURATION.into()), HTTP_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full(TTS_SYNTHESIS_SECONDS.into()),
            SYNTHESIS_BUCKETS,
        )?
        .set_buckets_for_metric(Matcher::Full(TTS_REAL_TIME_FACTOR.into()), RTF_BUCKETS)?
        .install_recorder()?;
    describe();
    let process = Collector::default();
    process.describe();
    let _ = PROCESS.set(process);
    spawn_upkeep(handle.clone());
    Ok(handle)
}

/// `# HELP` lines.
fn describe() {
    let [(requests, _, requests_help), (duration, _, duration_help)] = ANNOUNCED;
    metrics::describe_counter!(requests, requests_help);
    metrics::describe_histogram!(duration, metrics::Unit::Seconds, duration_help);
    metrics::describe_histogram!(
        TTS_SYNTHESIS_SECONDS,
        metrics::Unit::Seconds,
        "Wall time of successful syntheses by provider"
    );
    metrics::describe_histogram!(
        TTS_REAL_TIME_FACTOR,
        "Synthesis time divided by audio duration, by provider"
    );
    metrics::describe_counter!(
        TTS_PROVIDER_ERRORS,
        "Failed syntheses by provider and error kind"
    );
}

/// A detached thread (not a task) so upkeep does not depend on which Tokio
/// runtime installed the recorder; it lives as long as the process.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            handle.run_upkeep();
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the metrics upkeep thread; scrapes still drain histograms");
    }
}
