//! `GET /metrics` through the real server. Request and synthesis metrics live
//! in one recorder shared by every server of this test binary, so those are
//! checked as increases; values read at scrape time (tasks, cache, pools,
//! circuit breakers) belong to the scraped server alone and are exact.

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{spawn_app, spawn_app_with, spawn_app_with_engine, TestApp};

/// One scrape, parsed into samples.
struct Scrape {
    text: String,
    samples: Vec<Sample>,
}

/// One line `name{k="v",...} value`.
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

impl Sample {
    /// Named `name` with (at least) all of `labels`.
    fn matches(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.name == name
            && labels
                .iter()
                .all(|(k, v)| self.labels.iter().any(|(lk, lv)| lk == k && lv == v))
    }
}

impl Scrape {
    /// The value of the series `name` whose labels include all of `labels`
    /// (exactly one must match).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s.matches(name, labels))
            .map(|s| s.value)
            .collect();
        assert!(found.len() <= 1, "{name} {labels:?} matches several series");
        found.first().copied()
    }

    /// Like [`Scrape::value`], 0 for a series not yet created.
    fn count(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels).unwrap_or(0.0)
    }

    fn has_family(&self, name: &str, kind: &str) -> bool {
        self.text.contains(&format!("# TYPE {name} {kind}\n"))
    }
}

async fn scrape(app: &TestApp) -> Scrape {
    let resp = app.get("/metrics").await;
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = resp.text().await.unwrap();
    let samples = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(parse_sample)
        .collect();
    Scrape { text, samples }
}

/// Label values here never contain `"` or `,`, so a plain split will do.
fn parse_sample(line: &str) -> Sample {
    let (series, value) = line.rsplit_once(' ').expect("sample line");
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("value in {line:?}")),
    };
    let Some((name, labels)) = series.split_once('{') else {
        return Sample {
            name: series.to_string(),
            labels: Vec::new(),
            value,
        };
    };
    let labels = labels
        .trim_end_matches('}')
        .split("\",")
        .map(|pair| {
            let (k, v) = pair.split_once("=\"").expect("label");
            (k.to_string(), v.trim_end_matches('"').to_string())
        })
        .collect();
    Sample {
        name: name.to_string(),
        labels,
        value,
    }
}

const REQUESTS: &str = "http_requests_total";

#[tokio::test]
async fn requests_are_counted_by_route_template_method_and_status() {
    let app = spawn_app().await;
    let before = scrape(&app).await;
    let item = app
        .create_item(json!({ "locale": "fi", "text": "Kissa istuu puussa." }))
        .await;
    let id = item["id"].as_i64().unwrap();
    app.create_attempt(id, "kissa istuu puussa").await;
    assert_eq!(app.get(&format!("/v1/items/{id}")).await.status(), 200);
    assert_eq!(app.get("/v1/items/987654321").await.status(), 404);
    let unmatched = "/no/such/page/metrics-test-4711";
    assert_eq!(app.get(unmatched).await.status(), 404);
    let after = scrape(&app).await;

    let grew = |labels: &[(&str, &str)]| {
        let (b, a) = (
            before.count(REQUESTS, labels),
            after.count(REQUESTS, labels),
        );
        assert!(a >= b + 1.0, "{labels:?}: {b} → {a}");
    };
    grew(&[
        ("route", "/v1/items"),
        ("method", "POST"),
        ("status", "202"),
    ]);
    grew(&[
        ("route", "/v1/attempts"),
        ("method", "POST"),
        ("status", "201"),
    ]);
    grew(&[
        ("route", "/v1/items/{item_id}"),
        ("method", "GET"),
        ("status", "200"),
    ]);
    grew(&[
        ("route", "/v1/items/{item_id}"),
        ("method", "GET"),
        ("status", "404"),
    ]);
    grew(&[("route", "unmatched"), ("method", "GET"), ("status", "404")]);
    assert!(
        !after.text.contains("metrics-test-4711") && !after.text.contains("987654321"),
        "raw paths must never become labels"
    );

    // Latency is a real histogram: cumulative buckets up to +Inf, sum and count.
    assert!(after.has_family("http_request_duration_seconds", "histogram"));
    let series = [
        ("route", "/v1/items"),
        ("method", "POST"),
        ("status", "202"),
    ];
    let buckets: Vec<f64> = after
        .samples
        .iter()
        .filter(|s| s.matches("http_request_duration_seconds_bucket", &series))
        .map(|s| s.value)
        .collect();
    assert!(buckets.len() > 5, "{buckets:?}");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "cumulative");
    let inf = after
        .value(
            "http_request_duration_seconds_bucket",
            &[series[0], series[1], series[2], ("le", "+Inf")],
        )
        .unwrap();
    let count = after
        .value("http_request_duration_seconds_count", &series)
        .unwrap();
    assert!(inf >= 1.0 && inf == count, "+Inf {inf}, count {count}");
    assert!(
        after
            .value("http_request_duration_seconds_sum", &series)
            .unwrap()
            > 0.0
    );

    // Values of this server read at scrape time: no engine, so no task was made.
    assert!(after.has_family("tts_tasks", "gauge"));
    for status in ["queued", "processing", "done", "failed"] {
        assert_eq!(after.value("tts_tasks", &[("status", status)]), Some(0.0));
    }
    assert_eq!(after.value("tts_queue_depth", &[]), Some(0.0));
    for pool in ["writer", "reader"] {
        for state in ["idle", "in_use"] {
            assert!(after
                .value("db_pool_connections", &[("pool", pool), ("state", state)])
                .is_some());
        }
        assert!(
            after
                .value("db_pool_max_connections", &[("pool", pool)])
                .unwrap()
                >= 1.0
        );
    }
    // Without an engine there is no circuit to report.
    assert!(!after.text.contains("tts_circuit_breaker_state"));
    assert_eq!(after.value("tts_local_queue_depth", &[]), Some(0.0));
}

#[tokio::test]
async fn syntheses_tasks_and_the_speech_cache_are_measured() {
    let app = spawn_app_with_engine(&[]).await;
    let before = scrape(&app).await;
    let item = app
        .create_item(json!({ "locale": "fi", "text": "Hei maailma!" }))
        .await;
    let id = item["id"].as_i64().unwrap();
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    let body = json!({ "model": "tts-1", "input": "Hyvää yötä.", "voice": "alloy", "response_format": "wav" });
    for expected in ["miss", "hit"] {
        let resp = app.post_json("/v1/audio/speech", &body).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["x-cache"], expected);
        // Read to the end, so the second request finds the entry complete.
        assert!(!resp.bytes().await.unwrap().is_empty());
    }
    let after = scrape(&app).await;

    assert_eq!(after.value("tts_tasks", &[("status", "done")]), Some(1.0));
    assert_eq!(after.value("tts_tasks", &[("status", "failed")]), Some(0.0));
    assert_eq!(after.value("tts_queue_depth", &[]), Some(0.0));
    // Task audio goes through the same cache: the item's clip was a miss too.
    assert_eq!(after.value("speech_cache_misses_total", &[]), Some(2.0));
    assert_eq!(after.value("speech_cache_hits_total", &[]), Some(1.0));

    // The item and the cache miss were each synthesised once by the local engine.
    let local = [("provider", "local")];
    let grew = |name: &str| {
        let (b, a) = (before.count(name, &local), after.count(name, &local));
        assert!(a >= b + 2.0, "{name}: {b} → {a}");
    };
    grew("tts_synthesis_seconds_count");
    grew("tts_real_time_factor_ratio_count");
    assert!(after.has_family("tts_synthesis_seconds", "histogram"));
    assert!(after.has_family("tts_real_time_factor_ratio", "histogram"));
    assert!(after
        .value(
            "tts_real_time_factor_ratio_bucket",
            &[local[0], ("le", "+Inf")]
        )
        .is_some());
}

#[tokio::test]
async fn provider_errors_and_an_open_circuit_are_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let uri = server.uri();
    let app = spawn_app_with(&[
        ("TTS_PROVIDER", "azure"),
        ("AZURE_SPEECH_KEY", "metrics-test-key"),
        ("AZURE_SPEECH_ENDPOINT", &uri),
        ("TTS_MAX_RETRIES", "0"),
        ("TTS_BREAKER_THRESHOLD", "1"),
        ("TTS_BREAKER_COOLDOWN_SECONDS", "3600"),
    ])
    .await;
    let before = scrape(&app).await;
    assert_eq!(
        before.value("tts_circuit_breaker_state", &[("provider", "azure")]),
        Some(0.0),
        "closed at start"
    );
    let item = app
        .create_item(json!({ "locale": "fi", "text": "Sataa vettä." }))
        .await;
    let id = item["id"].as_i64().unwrap();
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    let after = scrape(&app).await;

    assert_eq!(
        after.value("tts_circuit_breaker_state", &[("provider", "azure")]),
        Some(1.0),
        "open after one failure"
    );
    let errors = [("provider", "azure"), ("kind", "unavailable")];
    let (b, a) = (
        before.count("tts_provider_errors_total", &errors),
        after.count("tts_provider_errors_total", &errors),
    );
    assert!(a >= b + 1.0, "{b} → {a}");
    assert_eq!(after.value("tts_tasks", &[("status", "failed")]), Some(1.0));
    assert!(!after.text.contains("metrics-test-key"));
}

/// The metrics README.md documents (its table between `<!-- metrics: start -->`
/// and `<!-- metrics: end -->`), with their types.
fn documented_metrics() -> Vec<(String, String)> {
    let readme = include_str!("../../README.md");
    let (_, table) = readme
        .split_once("<!-- metrics: start -->")
        .expect("metrics table start");
    let (table, _) = table.split_once("<!-- metrics: end -->").expect("end");
    table
        .lines()
        .filter_map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_string(), cells.get(2)?.to_string()))
        })
        .collect()
}

#[tokio::test]
async fn every_documented_metric_is_served_from_the_first_scrape() {
    let documented = documented_metrics();
    assert!(documented.len() >= 20, "{documented:?}");
    let app = spawn_app_with_engine(&[]).await;
    let first = scrape(&app).await;
    for (name, kind) in &documented {
        assert!(
            first.has_family(name, kind),
            "README.md documents {name} ({kind}), not served:\n{}",
            first.text
        );
    }
    // And nothing is served that README.md does not document.
    for line in first.text.lines() {
        if let Some(family) = line.strip_prefix("# TYPE ") {
            let name = family.split(' ').next().unwrap();
            assert!(
                documented.iter().any(|(n, _)| n == name),
                "{name} is served but not in README.md's metrics table"
            );
        }
    }

    // Zero-valued series of this server's engine from the first scrape, before any synthesis.
    let local = ("provider", "local");
    assert_eq!(
        first.value("tts_circuit_breaker_state", &[local]),
        Some(0.0)
    );
    for kind in [
        "invalid_input",
        "unknown_voice",
        "unavailable",
        "timeout",
        "engine",
    ] {
        assert!(
            first
                .value("tts_provider_errors_total", &[local, ("kind", kind)])
                .is_some(),
            "no error series of kind {kind}"
        );
    }
    for histogram in ["tts_synthesis_seconds", "tts_real_time_factor_ratio"] {
        assert!(
            first
                .value(&format!("{histogram}_count"), &[local])
                .is_some(),
            "{histogram}"
        );
    }
    assert_eq!(first.value("tts_local_queue_depth", &[]), Some(0.0));
    for status in ["queued", "processing", "done", "failed"] {
        assert_eq!(first.value("tts_tasks", &[("status", status)]), Some(0.0));
    }

    let version = ("version", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        first.value("last_whisper_build_info", &[version]),
        Some(1.0)
    );
    let info = first
        .samples
        .iter()
        .find(|s| s.name == "last_whisper_build_info")
        .unwrap();
    let rustc = info.labels.iter().find(|(k, _)| k == "rustc_version");
    assert!(
        rustc.is_some_and(|(_, v)| v.starts_with("1.")),
        "{:?}",
        info.labels
    );
    assert!(info.labels.iter().any(|(k, _)| k == "commit"));

    // Process figures are real readings of this process.
    assert!(first.value("process_resident_memory_bytes", &[]).unwrap() > 1e6);
    assert!(first.value("process_threads", &[]).unwrap() >= 2.0);
    assert!(first.value("process_open_fds", &[]).unwrap() >= 3.0);
    let started = first.value("process_start_time_seconds", &[]).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        started > now - 86_400.0 && started <= now + 1.0,
        "{started}"
    );
}

#[tokio::test]
async fn metrics_can_be_switched_off() {
    let app = spawn_app_with(&[("METRICS_ENABLED", "false")]).await;
    let resp = app.get("/metrics").await;
    assert_eq!(resp.status(), 404);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body, json!({ "detail": "Not Found" }));
}
