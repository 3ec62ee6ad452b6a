//! `GET /metadata` (contract addendum §6) through the real server: the
//! sections and their keys, `detail` and `fields`, the 422 for a bad
//! `detail`, the settings it reports, limits that are the enforced ones,
//! and the API key.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, spawn_app_with_engine, TestApp};

async fn metadata(app: &TestApp, query: &str) -> Value {
    let resp = app.get(&format!("/metadata{query}")).await;
    assert_eq!(resp.status(), 200, "/metadata{query}");
    resp.json().await.unwrap()
}

fn keys(body: &Value) -> Vec<&str> {
    body.as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn translation_languages() -> Value {
    json!([
        { "language_code": "en", "language_name": "English" },
        { "language_code": "fi", "language_name": "Suomi" },
        { "language_code": "zh-CN", "language_name": "简体中文" },
        { "language_code": "zh-TW", "language_name": "繁體中文" },
    ])
}

fn default_links() -> Value {
    json!({
        "status": "/health",
        "metadata": "/metadata",
        "docs": "/docs",
        "redoc": "/redoc",
        "openapi": "/openapi.json",
    })
}

fn limits() -> Value {
    json!({
        "max_items_per_bulk_request": 100,
        "max_tags_per_item": 20,
        "max_tag_length": 50,
        "max_text_length": 10000,
    })
}

#[tokio::test]
async fn the_default_is_every_section_with_the_documented_keys() {
    let app = spawn_app().await;
    let body = metadata(&app, "").await;
    assert_eq!(
        keys(&body),
        [
            "service",
            "build",
            "runtime",
            "providers",
            "features",
            "limits",
            "links"
        ]
    );
    assert_eq!(
        body["service"],
        json!({
            "name": "Last Whisper Backend (Development)",
            "description": "Dictation training backend: items, attempts scored by word error rate, statistics and TTS.",
            "environment": "development",
            "version": "1.0.0",
            "schema_version": "2025-11-22",
        })
    );
    let build = &body["build"];
    assert_eq!(
        keys(build)
            .into_iter()
            .filter(|k| *k != "built_at")
            .collect::<Vec<_>>(),
        [
            "commit",
            "short_commit",
            "branch",
            "python_version",
            "fastapi_version"
        ]
    );
    // The toolchain and axum versions stand in for Python's and FastAPI's.
    assert!(build["python_version"].as_str().unwrap().starts_with("1."));
    assert!(build["fastapi_version"]
        .as_str()
        .unwrap()
        .starts_with("0.8."));

    let runtime = &body["runtime"];
    assert_eq!(
        keys(runtime),
        [
            "started_at",
            "uptime_seconds",
            "process_id",
            "host",
            "worker"
        ]
    );
    let started = runtime["started_at"].as_str().unwrap();
    assert!(started.ends_with('Z') && started.contains('T'), "{started}");
    assert!(runtime["uptime_seconds"].as_f64().unwrap() >= 0.0);
    // The server runs inside the test process.
    assert_eq!(runtime["process_id"], std::process::id());
    assert!(!runtime["host"].as_str().unwrap().is_empty());
    assert_eq!(
        runtime["worker"],
        json!({ "worker_running": false, "queue_size": 0, "pending_items": 0,
                "tts_service_available": false })
    );

    let providers = &body["providers"];
    match app.database_url.strip_prefix("sqlite:///") {
        Some(file) => assert_eq!(
            providers["database"],
            json!({ "engine": "sqlite", "file": file })
        ),
        None => {
            let db = &providers["database"];
            assert_eq!(db["engine"], "postgresql");
            assert_eq!(db["masked"], true);
            let url = app.database_url.split(['?', '#']).next().unwrap();
            let expected = match url.rsplit_once('@') {
                Some((credentials, host_and_db)) => {
                    assert!(!db.to_string().contains(credentials), "{db}");
                    host_and_db
                }
                None => "managed",
            };
            assert_eq!(db["connection"], expected);
        }
    }
    assert_eq!(
        providers["tts"],
        json!({
            "provider": "local",
            "supported_languages": [{ "language_code": "fi", "language_name": "Suomi" }],
            "engine": ["local"],
            "voices": [],
        })
    );
    assert_eq!(
        providers["translation"],
        json!({ "provider": "none", "supported_languages": translation_languages() })
    );
    assert_eq!(
        body["features"],
        json!({
            "tts_submission_workers": 4,
            "tts_languages": ["fi"],
            "translation_languages": translation_languages(),
            "speech_formats": ["wav", "pcm16", "mulaw", "opus", "mp3"],
            "streaming_sessions": true,
        })
    );
    assert_eq!(body["limits"], limits());
    assert_eq!(body["links"], default_links());
    // `detail=full` is the default spelled out.
    let full = metadata(&app, "?detail=full").await;
    assert_eq!(keys(&full), keys(&body));
    assert_eq!(full["build"], body["build"]);
    assert_eq!(full["providers"], body["providers"]);
}

#[tokio::test]
async fn detail_core_and_runtime_select_their_sections() {
    let app = spawn_app().await;
    let core = metadata(&app, "?detail=core").await;
    assert_eq!(
        keys(&core),
        ["service", "build", "features", "limits", "links"]
    );
    assert_eq!(core["features"], json!({}));
    assert_eq!(core["limits"], json!({}));
    assert_eq!(core["links"], default_links());
    assert_eq!(core["build"], metadata(&app, "").await["build"]);

    let runtime = metadata(&app, "?detail=runtime").await;
    assert_eq!(
        keys(&runtime),
        ["service", "runtime", "features", "limits", "links"]
    );
    assert_eq!(runtime["features"], json!({}));
    assert_eq!(runtime["limits"], json!({}));
    assert_eq!(runtime["links"], json!({}));
    assert_eq!(runtime["service"]["schema_version"], "2025-11-22");
    assert!(runtime["runtime"]["worker"].is_object());
}

#[tokio::test]
async fn fields_replace_detail_unless_they_name_no_section() {
    let app = spawn_app().await;
    for query in [
        "?fields=limits,service",
        "?detail=core&fields=%20LIMITS%20,bogus",
    ] {
        let body = metadata(&app, query).await;
        assert_eq!(
            keys(&body),
            ["service", "features", "limits", "links"],
            "{query}"
        );
        assert_eq!(body["limits"], limits(), "{query}");
        assert_eq!(body["features"], json!({}), "{query}");
        assert_eq!(body["links"], json!({}), "{query}");
    }
    let providers = metadata(&app, "?fields=providers").await;
    assert_eq!(
        keys(&providers),
        ["service", "providers", "features", "limits", "links"]
    );
    // Only unknown names (or none): `detail` decides.
    let bogus = metadata(&app, "?fields=bogus&detail=core").await;
    assert_eq!(
        keys(&bogus),
        ["service", "build", "features", "limits", "links"]
    );
    let empty = metadata(&app, "?fields=").await;
    assert_eq!(keys(&empty).len(), 7);
}

#[tokio::test]
async fn a_detail_outside_the_three_levels_is_a_422() {
    let app = spawn_app().await;
    for value in ["CORE", "everything", ""] {
        let resp = app.get(&format!("/metadata?detail={value}")).await;
        assert_eq!(resp.status(), 422, "{value}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body,
            json!({ "detail": [{
                "type": "enum",
                "loc": ["query", "detail"],
                "msg": "Input should be 'core', 'runtime' or 'full'",
                "input": value,
                "ctx": { "expected": "'core', 'runtime' or 'full'" },
            }] })
        );
    }
}

#[tokio::test]
async fn the_settings_it_reports_are_honoured() {
    let app = spawn_app_with(&[
        ("ENVIRONMENT", "production"),
        ("METADATA_SCHEMA_VERSION", "2030-01-31"),
        (
            "METADATA_ADDITIONAL_LINKS",
            r#"{"frontend": "https://app.example", "docs": "https://docs.example/api"}"#,
        ),
        ("METADATA_COMMIT_SHA", "0123456789abcdef"),
        ("BUILD_COMMIT_SHA", "ignored-because-metadata-wins"),
        ("BUILD_BRANCH", "release"),
        ("METADATA_BUILD_TIMESTAMP", "2025-11-28T09:00:00+00:00"),
        ("TTS_SUPPORTED_LANGUAGES", r#"["fi","en"]"#),
        ("TTS_SUBMISSION_WORKERS", "2"),
    ])
    .await;
    let body = metadata(&app, "").await;
    assert_eq!(body["service"]["name"], "Last Whisper Backend");
    assert_eq!(body["service"]["environment"], "production");
    assert_eq!(body["service"]["schema_version"], "2030-01-31");
    let build = &body["build"];
    assert_eq!(build["commit"], "0123456789abcdef");
    assert_eq!(build["short_commit"], "0123456");
    assert_eq!(build["branch"], "release");
    assert_eq!(build["built_at"], "2025-11-28T09:00:00+00:00");
    // Listed even in production, where the doc pages are not served.
    assert_eq!(
        body["links"],
        json!({
            "status": "/health",
            "metadata": "/metadata",
            "docs": "https://docs.example/api",
            "redoc": "/redoc",
            "openapi": "/openapi.json",
            "frontend": "https://app.example",
        })
    );
    assert_eq!(body["features"]["tts_languages"], json!(["fi", "en"]));
    assert_eq!(body["features"]["tts_submission_workers"], 2);
    assert_eq!(
        body["providers"]["tts"]["supported_languages"],
        json!([
            { "language_code": "fi", "language_name": "Suomi" },
            { "language_code": "en", "language_name": "English" },
        ])
    );
}

/// The published limits are the ones item creation enforces: at the limit
/// accepted, one beyond refused.
#[tokio::test]
async fn the_limits_are_the_enforced_ones() {
    let app = spawn_app().await;
    let limits = metadata(&app, "?fields=limits").await["limits"].clone();
    let n = |key: &str| limits[key].as_u64().unwrap() as usize;

    let bulk = |count: usize| {
        let items: Vec<Value> = (0..count)
            .map(|i| json!({ "locale": "fi", "text": format!("lause {i}") }))
            .collect();
        json!({ "items": items })
    };
    let max_bulk = n("max_items_per_bulk_request");
    let resp = app.post_json("/v1/items/bulk", &bulk(max_bulk + 1)).await;
    assert_eq!(resp.status(), 422);
    let resp = app.post_json("/v1/items/bulk", &bulk(max_bulk)).await;
    assert_eq!(resp.status(), 202);

    let item =
        |text: String, tags: Vec<String>| json!({ "locale": "fi", "text": text, "tags": tags });
    let text = |len: usize| "a".repeat(len);
    let tags = |count: usize, len: usize| (0..count).map(|i| format!("{i:0>len$}")).collect();
    let max_text = n("max_text_length");
    let max_tags = n("max_tags_per_item");
    let max_tag = n("max_tag_length");
    for (body, status) in [
        (item(text(max_text), vec![]), 202),
        (item(text(max_text + 1), vec![]), 422),
        (item(text(5), tags(max_tags, 3)), 202),
        (item(text(5), tags(max_tags + 1, 3)), 422),
        (item(text(5), tags(1, max_tag)), 202),
        (item(text(5), tags(1, max_tag + 1)), 422),
    ] {
        let resp = app.post_json("/v1/items", &body).await;
        assert_eq!(resp.status(), status);
    }
}

#[tokio::test]
async fn with_api_keys_it_needs_one() {
    let app = spawn_app_with(&[("API_KEYS", "meta-key")]).await;
    let missing = app.get("/metadata").await;
    assert_eq!(missing.status(), 401);
    let ok = app
        .client
        .get(app.url("/metadata?detail=core"))
        .header("x-api-key", "meta-key")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["service"]["schema_version"], "2025-11-22");
}

/// With an engine the worker is running and the TTS service available;
/// once an item is spoken nothing is pending or queued.
#[tokio::test]
async fn runtime_reports_the_pipeline() {
    let app = spawn_app_with_engine(&[]).await;
    let item = app
        .create_item(json!({ "locale": "fi", "text": "Hyvää huomenta" }))
        .await;
    let id = item["id"].as_i64().unwrap();
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    let body = metadata(&app, "?fields=runtime,providers").await;
    assert_eq!(
        body["runtime"]["worker"],
        json!({ "worker_running": true, "queue_size": 0, "pending_items": 0,
                "tts_service_available": true })
    );
    assert_eq!(body["providers"]["tts"]["device"], "cpu");
}

/// The OpenAPI document names the three levels `detail` accepts.
#[tokio::test]
async fn the_document_lists_the_detail_levels() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let params = doc["paths"]["/metadata"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let detail = params.iter().find(|p| p["name"] == "detail").unwrap();
    let schema = detail["schema"].to_string();
    assert!(schema.contains(r#"["core","runtime","full"]"#), "{schema}");
    let ok = &doc["paths"]["/metadata"]["get"]["responses"]["200"];
    assert!(ok.to_string().contains("MetadataResponse"), "{ok}");
}
