//! `last-whisper models fetch` as a user runs it: against a local HTTP
//! server holding a model, and with no server at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/models/mms-fin-random-tiny-sherpa"
);

async fn serve_fixture() -> u16 {
    let app = Router::new().route(
        "/fin/{file}",
        get(|Path(file): Path<String>| async move {
            match std::fs::read(format!("{FIXTURE}/{file}")) {
                Ok(bytes) => Ok(bytes),
                Err(_) => Err(StatusCode::NOT_FOUND),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

fn fetch(source: &str, dest: &std::path::Path) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_last-whisper"));
    cmd.args(["models", "fetch", "--source", source, "--dest"])
        .arg(dest)
        .env("LOG_LEVEL", "warn");
    if let Ok(path) = std::env::var("ORT_DYLIB_PATH") {
        cmd.env("ORT_DYLIB_PATH", path);
    }
    cmd.output().unwrap()
}

#[tokio::test]
async fn fetches_verifies_and_prints_the_licence() {
    let port = serve_fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("mms-tts-fin");
    let source = format!("http://127.0.0.1:{port}/fin");
    let out = tokio::task::spawn_blocking(move || {
        let out = fetch(&source, &dest);
        (out, dest)
    })
    .await
    .unwrap();
    let (out, dest) = out;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("CC-BY-NC-4.0"), "{stderr}");
    assert!(stderr.contains("verified"), "{stderr}");
    for f in ["model.onnx", "tokens.txt"] {
        assert_eq!(
            std::fs::read(dest.join(f)).unwrap(),
            std::fs::read(format!("{FIXTURE}/{f}")).unwrap()
        );
    }
}

#[tokio::test]
async fn fails_fast_and_clearly_without_a_network() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("mms-tts-fin");
    let started = Instant::now();
    // Nothing listens on port 9 (discard) here: the connection is refused.
    let out = fetch("http://127.0.0.1:9/fin", &dest);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot download"), "{stderr}");
    assert!(stderr.contains("TTS_MODEL_DIR"), "{stderr}");
    assert!(!dest.exists());
}

#[tokio::test]
async fn an_http_error_is_reported() {
    let port = serve_fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("m");
    // A path the server does not have: the HTTP error is reported.
    let source = format!("http://127.0.0.1:{port}/nothing-here");
    let out = tokio::task::spawn_blocking(move || fetch(&source, &dest))
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("404"), "{stderr}");
}
