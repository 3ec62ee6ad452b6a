//! Real clients against the real server: the official `openai` Python SDK on
//! `/v1/audio/speech` (every format, plain, streamed and as server-sent events, and each error
//! class the SDK maps a status to), and a client generated from `/openapi.json` by
//! `openapi-python-client`, calling an audio operation. The scripts are in `tests/clients/`.
//!
//! The clients live in a venv that `scripts/install-clients.sh` makes (`scripts/test.sh` runs
//! it and exports `CLIENTS_PYTHON`). Without it these tests fail, saying how to install it,
//! unless `SKIP_CLIENT_TESTS` is set (then they say so and pass); `scripts/test.sh` unsets it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use last_whisper::config::Settings;
use last_whisper::startup::Application;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The venv's python, or `None` when `SKIP_CLIENT_TESTS` allows going without.
fn python() -> Option<PathBuf> {
    let path = std::env::var_os("CLIENTS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("{ROOT}/.cache/clients-venv/bin/python")));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("SKIP_CLIENT_TESTS").is_some(),
        "no client venv at {}: run `export CLIENTS_PYTHON=\"$(scripts/install-clients.sh)\"` \
         (or set SKIP_CLIENT_TESTS=1 to skip these tests)",
        path.display()
    );
    eprintln!("skipped: SKIP_CLIENT_TESTS is set and there is no client venv");
    None
}

/// A server with the local engine on the tiny fixture model, plus `extra` settings.
struct Server {
    base: String,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn start(extra: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut vars: Vec<(String, String)> = vec![
        ("HOST".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        (
            "DATABASE_URL".into(),
            format!("sqlite:///{}", dir.path().join("db.sqlite").display()),
        ),
        (
            "AUDIO_DIR".into(),
            dir.path().join("audio").display().to_string(),
        ),
        ("TTS_PROVIDER".into(), "local".into()),
        (
            "TTS_MODEL_DIR".into(),
            format!("{ROOT}/tests/fixtures/models/mms-fin-random-tiny-det"),
        ),
        ("TTS_DEVICE".into(), "cpu".into()),
        ("TTS_THREAD_COUNT".into(), "1".into()),
    ];
    if let Ok(path) = std::env::var("ORT_DYLIB_PATH") {
        vars.push(("ORT_DYLIB_PATH".into(), path));
    }
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let app = Application::build(Settings::from_vars(vars).unwrap())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    Server {
        base,
        shutdown,
        _dir: dir,
    }
}

/// Runs `python args…` off the async runtime (the server answers meanwhile); its stdout as
/// JSON, or a panic with its stderr.
async fn run_python(python: PathBuf, args: Vec<String>) -> Value {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(&args)
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{} failed\nstdout: {stdout}\nstderr: {}",
        "client script",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

async fn sdk(server: &Server, key: &str, check: &str) -> Option<Value> {
    let python = python()?;
    let script = format!("{ROOT}/tests/clients/openai_sdk.py");
    let args = vec![script, server.base.clone(), key.into(), check.into()];
    Some(run_python(python, args).await)
}

#[tokio::test]
async fn the_openai_sdk_gets_every_format_plain_streamed_and_as_events() {
    let server = start(&[("API_KEYS", "right-key")]).await;
    let Some(seen) = sdk(&server, "right-key", "formats").await else {
        return;
    };
    for format in ["mp3", "opus", "wav", "pcm"] {
        assert!(seen[format]["bytes"].as_u64().unwrap() > 100, "{seen}");
        assert!(seen[format]["deltas"].as_u64().unwrap() >= 1, "{seen}");
    }
    for unsupported in ["aac", "flac"] {
        assert_eq!(seen[unsupported]["status"], 400);
        assert_eq!(seen[unsupported]["param"], "response_format");
        assert_eq!(seen[unsupported]["code"], "unsupported_value");
    }
}

#[tokio::test]
async fn the_openai_sdk_raises_bad_request_with_the_field_at_fault() {
    let server = start(&[]).await;
    let Some(seen) = sdk(&server, "any", "errors").await else {
        return;
    };
    for (case, param) in [
        ("voice", "voice"),
        ("input", "input"),
        ("speed", "speed"),
        ("stream_format", "stream_format"),
    ] {
        assert_eq!(seen[case]["status"], 400, "{case}: {seen}");
        assert_eq!(seen[case]["param"], param, "{case}: {seen}");
        assert_eq!(seen[case]["type"], "invalid_request_error", "{case}");
    }
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_openais_401() {
    let server = start(&[("API_KEYS", "right-key")]).await;
    let Some(seen) = sdk(&server, "wrong-key", "authentication").await else {
        return;
    };
    assert_eq!(seen["wrong"]["status"], 401);
    assert_eq!(seen["wrong"]["code"], "invalid_api_key");
    assert_eq!(seen["wrong"]["type"], "invalid_request_error");
    // No key at all (the SDK always sends one): the same shape.
    let response = reqwest::Client::new()
        .post(format!("{}/v1/audio/speech", server.base))
        .json(&serde_json::json!({"model": "tts-1", "voice": "alloy", "input": "Hei"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key", "{body}");
    assert_eq!(body["error"]["param"], Value::Null, "{body}");
    // Other routes keep the contract's shapes.
    let response = reqwest::Client::new()
        .get(format!("{}/v1/items", server.base))
        .header("x-api-key", "wrong-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].is_string(), "{body}");
}

#[tokio::test]
async fn a_spent_budget_is_openais_429_with_retry_after() {
    let server = start(&[
        ("RATE_LIMIT_SYNTHESIS_PER_MINUTE", "1"),
        ("RATE_LIMIT_BURST", "1"),
    ])
    .await;
    let Some(seen) = sdk(&server, "any", "rate_limit").await else {
        return;
    };
    assert_eq!(seen["second"]["status"], 429, "{seen}");
    assert_eq!(seen["second"]["code"], "rate_limit_exceeded", "{seen}");
    let response = reqwest::Client::new()
        .post(format!("{}/v1/audio/speech", server.base))
        .json(&serde_json::json!({"model": "tts-1", "voice": "alloy", "input": "Hei"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(response.headers().contains_key("x-ratelimit-limit"));
}

#[tokio::test]
async fn a_client_generated_from_the_openapi_document_speaks() {
    let server = start(&[]).await;
    let Some(python) = python() else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let script = format!("{ROOT}/tests/clients/generated_client.py");
    let args = vec![
        script,
        server.base.clone(),
        out.path().display().to_string(),
    ];
    let seen = run_python(python, args).await;
    eprintln!("generated client: {seen}");
    assert_eq!(seen["status"], 200, "{seen}");
    // Only the favicon (image/svg+xml) may be left out; no audio response.
    for dropped in seen["dropped"].as_array().unwrap() {
        assert!(!dropped.as_str().unwrap().contains("audio/"), "{dropped}");
    }
    assert_eq!(seen["magic"], "RIFF", "{seen}");
    assert!(seen["bytes"].as_u64().unwrap() > 44, "{seen}");
    let operations: Vec<&str> = seen["audio_operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for operation in [
        "openai_speech",
        "synthesize_speech",
        "get_item_audio",
        "legacy_download",
    ] {
        assert!(operations.contains(&operation), "{operations:?}");
    }
}
