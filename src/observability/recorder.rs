//! The process-wide Prometheus recorder. `metrics` accepts one global
//! recorder per process, so it is installed once and its handle shared by
//! every application the process builds.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use super::{
    HTTP_BUCKETS, HTTP_REQUESTS, HTTP_REQUEST_DURATION, RTF_BUCKETS, SYNTHESIS_BUCKETS,
    TTS_PROVIDER_ERRORS, TTS_REAL_TIME_FACTOR, TTS_SYNTHESIS_SECONDS,
};

/// `None` inside when another recorder already owned the process.
static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

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
    spawn_upkeep(handle.clone());
    Ok(handle)
}

/// `# HELP` lines.
fn describe() {
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by route template, method and status"
    );
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION,
        metrics::Unit::Seconds,
        "Time from request to response head, by route template, method and status"
    );
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
