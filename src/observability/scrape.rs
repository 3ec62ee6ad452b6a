//! Values read from one application's state when `/metrics` is scraped.

use crate::db::Pool;
use crate::services::{metadata, tasks};
use crate::state::AppState;

use super::exposition::{Exposition, Kind};

pub const TTS_TASKS: &str = "tts_tasks";
pub const TTS_QUEUE_DEPTH: &str = "tts_queue_depth";
pub const TTS_LOCAL_QUEUE_DEPTH: &str = "tts_local_queue_depth";
pub const TTS_CIRCUIT_STATE: &str = "tts_circuit_breaker_state";
pub const CACHE_HITS: &str = "speech_cache_hits_total";
pub const CACHE_MISSES: &str = "speech_cache_misses_total";
pub const CACHE_COALESCED: &str = "speech_cache_coalesced_total";
pub const CACHE_EVICTIONS: &str = "speech_cache_evictions_total";
pub const DB_POOL_CONNECTIONS: &str = "db_pool_connections";
pub const DB_POOL_MAX: &str = "db_pool_max_connections";
pub const BUILD_INFO: &str = "last_whisper_build_info";

/// This application's values in the Prometheus text format. Also creates,
/// at 0, the recorder's series of each engine that started
/// ([`super::tts::register_provider`]), so they are there from the first
/// scrape: render this before the recorder.
pub async fn render(state: &AppState) -> String {
    let mut out = Exposition::default();
    build_info(state, &mut out);
    tts_tasks(state, &mut out).await;
    out.family(
        TTS_LOCAL_QUEUE_DEPTH,
        Kind::Gauge,
        "Task ids waiting in this instance's in-memory queue (0 without an engine)",
    )
    .sample(
        TTS_LOCAL_QUEUE_DEPTH,
        &[],
        state.tts.queue_depth().unwrap_or(0) as f64,
    );
    circuit_breakers(state, &mut out);
    speech_cache(state, &mut out);
    db_pools(state, &mut out);
    out.finish()
}

/// `last_whisper_build_info{version,commit,rustc_version} 1`: the crate
/// version, and the commit and compiler `/metadata` `build` reports (the
/// commit is `unknown` unless given at build or run time; nothing is asked
/// of git).
fn build_info(state: &AppState, out: &mut Exposition) {
    let build = metadata::build_section(&state.settings.metadata);
    out.family(
        BUILD_INFO,
        Kind::Gauge,
        "Always 1; the labels say which build is running",
    )
    .sample(
        BUILD_INFO,
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("commit", &build.commit),
            ("rustc_version", &build.rustc_version),
        ],
        1.0,
    );
}

/// Tasks by status, and the backlog (`queued`) as the queue depth: the
/// database is the source of truth for jobs (the same number as
/// `/v1/tts/stats` `queue_depth`). A failed query leaves both out.
async fn tts_tasks(state: &AppState, out: &mut Exposition) {
    let counts = match tasks::count_by_status(&state.db).await {
        Ok(counts) => counts,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot count TTS tasks");
            return;
        }
    };
    out.family(TTS_TASKS, Kind::Gauge, "TTS tasks by status");
    for (status, n) in &counts {
        out.sample(TTS_TASKS, &[("status", status)], *n as f64);
    }
    let queued = counts
        .iter()
        .find(|(status, _)| status == "queued")
        .map_or(0, |(_, n)| *n);
    out.family(
        TTS_QUEUE_DEPTH,
        Kind::Gauge,
        "TTS tasks waiting for a worker (status queued)",
    )
    .sample(TTS_QUEUE_DEPTH, &[], queued as f64);
}

/// 0 closed, 1 open (failing fast), 2 half-open, per engine that started
/// (local engines have no breaker and are always 0). The same engines'
/// recorder series are created here, at 0, when they do not exist yet.
fn circuit_breakers(state: &AppState, out: &mut Exposition) {
    let states = state
        .tts
        .provider()
        .map(|p| p.circuit_states())
        .unwrap_or_default();
    for &(provider, _) in &states {
        super::tts::register_provider(provider);
    }
    if states.is_empty() {
        return;
    }
    out.family(
        TTS_CIRCUIT_STATE,
        Kind::Gauge,
        "Circuit breaker per TTS provider: 0 closed (always, for local engines), 1 open, 2 half-open",
    );
    for (provider, circuit) in states {
        out.sample(
            TTS_CIRCUIT_STATE,
            &[("provider", provider)],
            f64::from(circuit.code()),
        );
    }
}

/// The speech-on-demand cache's counters since start-up.
fn speech_cache(state: &AppState, out: &mut Exposition) {
    let c = state.speech.cache().counters();
    let families = [
        (CACHE_HITS, "Speech requests served from the cache", c.hits),
        (
            CACHE_MISSES,
            "Speech requests that started a synthesis",
            c.misses,
        ),
        (
            CACHE_COALESCED,
            "Speech requests that waited for an identical request's synthesis",
            c.coalesced,
        ),
        (CACHE_EVICTIONS, "Speech cache entries evicted", c.evictions),
    ];
    for (name, help, value) in families {
        out.family(name, Kind::Counter, help)
            .sample(name, &[], value as f64);
    }
}

/// Open connections (idle / in use) and the maximum, per pool. With
/// PostgreSQL both names report the same pool.
fn db_pools(state: &AppState, out: &mut Exposition) {
    let pools: [(&str, &Pool); 2] = [("writer", &state.db.writer), ("reader", &state.db.reader)];
    out.family(
        DB_POOL_CONNECTIONS,
        Kind::Gauge,
        "Open database connections by pool and state",
    );
    for (name, pool) in pools {
        let size = pool.size() as usize;
        let idle = pool.num_idle().min(size);
        out.sample(
            DB_POOL_CONNECTIONS,
            &[("pool", name), ("state", "idle")],
            idle as f64,
        )
        .sample(
            DB_POOL_CONNECTIONS,
            &[("pool", name), ("state", "in_use")],
            (size - idle) as f64,
        );
    }
    out.family(
        DB_POOL_MAX,
        Kind::Gauge,
        "Maximum connections per database pool",
    );
    for (name, pool) in pools {
        out.sample(
            DB_POOL_MAX,
            &[("pool", name)],
            f64::from(pool.options().get_max_connections()),
        );
    }
}
