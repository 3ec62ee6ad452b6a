//! The practice page end to end in headless Chromium (Debian `chromium`,
//! driven by playwright-core from tests/e2e), against the real server with
//! the fixture model. `scripts/test.sh` installs both. Screenshots of each
//! step go to `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use last_whisper::config::Settings;
use last_whisper::startup::Application;
use serde_json::{json, Value};

#[tokio::test]
async fn practice_page_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut vars = vec![
        ("HOST".to_string(), "127.0.0.1".to_string()),
        ("PORT".to_string(), "0".to_string()),
        (
            "DATABASE_URL".to_string(),
            format!("sqlite:///{}", dir.path().join("e2e.db").display()),
        ),
        (
            "AUDIO_DIR".to_string(),
            dir.path().join("audio").display().to_string(),
        ),
        (
            "TTS_MODEL_DIR".to_string(),
            format!("{root}/tests/fixtures/models/mms-fin-random-tiny-det"),
        ),
        ("TTS_DEVICE".to_string(), "cpu".to_string()),
    ];
    if let Ok(path) = std::env::var("ORT_DYLIB_PATH") {
        vars.push(("ORT_DYLIB_PATH".to_string(), path));
    }
    let app = Application::build(Settings::from_vars(vars).unwrap())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let token = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::new();
    for text in ["Hei maailma!", "Kiitos paljon."] {
        let resp = client
            .post(format!("{base}/v1/items"))
            .json(&json!({ "locale": "fi", "text": text }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
    }
    // The page itself is served from the binary.
    let page = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let js: String = client
        .get(format!("{base}/assets/app.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(js.contains("/v1/attempts"));
    let _: Value = client
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let shots = format!("{root}/target/e2e-screenshots");
    let script = format!("{root}/tests/e2e/practice.mjs");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(&base)
            .arg(&shots)
            .output()
    })
    .await
    .unwrap()
    .expect("node must be installed (scripts/test.sh installs the e2e dependencies)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("e2e: ok"), "{stdout}");
    token.cancel();
    server.await.unwrap().unwrap();
}
