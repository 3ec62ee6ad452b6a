//! The practice page end to end in headless Chromium (Debian `chromium`,
//! driven by playwright-core from tests/e2e), against the real server with
//! the fixture model and a LibreTranslate mock. `scripts/test.sh` installs both. Screenshots of each
//! step, at 390×844 and 1280×900, go to `target/e2e-screenshots/`. The
//! script asks for the server to be stopped near its end (a line
//! `e2e: stop-server` on its stdout, answered on its stdin) to see how the
//! page shows a server that is gone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use last_whisper::config::Settings;
use last_whisper::startup::Application;
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn practice_page_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    // A LibreTranslate server for the page's translation helper.
    let translator = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/translate"))
        .and(body_partial_json(
            json!({ "q": "Hei maailma!", "source": "fi", "target": "en" }),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "translatedText": "Hello world!" })),
        )
        .expect(1)
        .mount(&translator)
        .await;
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
        (
            "TRANSLATION_PROVIDER".to_string(),
            "libretranslate".to_string(),
        ),
        ("LIBRETRANSLATE_URL".to_string(), translator.uri()),
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
    // In order: two plain items, a number the learner types as heard, a
    // misspelling next to a missing word, and an item no engine can speak.
    for text in [
        "Hei maailma!",
        "Kiitos paljon.",
        "Juna lähtee kello 8.30 raiteelta 5.",
        "Minä asun Helsingissä nyt.",
        "北京",
    ] {
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
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let (stopped_tx, stopped_rx) = mpsc::channel::<()>();
    let runner = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("node")
            .arg(script)
            .arg(&base)
            .arg(&shots)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node must be installed (scripts/test.sh installs the e2e dependencies)");
        let mut stdin = child.stdin.take().unwrap();
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr_reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        let mut stdout = String::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            stdout.push_str(&line);
            stdout.push('\n');
            if line == "e2e: stop-server" {
                stop_tx.send(()).unwrap();
                stopped_rx.recv().unwrap();
                writeln!(stdin, "stopped").unwrap();
            }
        }
        let status = child.wait().unwrap();
        (status, stdout, stderr_reader.join().unwrap())
    });
    // The script asks for the server to stop (or ends without asking).
    let asked = tokio::task::spawn_blocking(move || stop_rx.recv().is_ok())
        .await
        .unwrap();
    token.cancel();
    server.await.unwrap().unwrap();
    if asked {
        stopped_tx.send(()).unwrap();
    }
    let (status, stdout, stderr) = runner.await.unwrap();
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(
        asked,
        "the script never asked for the server to stop\n{stdout}"
    );
    assert!(stdout.contains("e2e: ok"), "{stdout}");
}
