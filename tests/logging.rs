//! Logs of the real binary as an operator sees them: with `LOG_FORMAT=json`
//! every line is one JSON object, and each request ends with one completion
//! line carrying the request span (method, route template, request id) plus
//! status and latency; the text format carries the same fields. Learner text
//! and API keys never appear.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::mpsc;

const LEARNER_TEXT: &str = "Salainen lause metsästä";
const API_KEY: &str = "lw-secret-key-never-logged";

/// The binary serving on a free port, its stdout read line by line.
struct Server {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
    port: u16,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Start with `LOG_FORMAT=format` on port 0 in an empty directory; the
    /// bound port is read from the "listening" log line.
    async fn start(format: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_last-whisper"))
            // No .env, no variables of the developer's shell.
            .current_dir(dir.path())
            .env_clear()
            .env("LOG_FORMAT", format)
            .env("LOG_LEVEL", "info")
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env(
                "DATABASE_URL",
                format!("sqlite:///{}", dir.path().join("db.sqlite").display()),
            )
            .env("AUDIO_DIR", dir.path().join("audio"))
            .env("TTS_MODEL_DIR", dir.path().join("no-model"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start last-whisper");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            seen: Vec::new(),
            port: 0,
            _dir: dir,
        };
        let listening = server.wait_for(|l| l.contains("listening")).await;
        server.port = port_of(&listening, format);
        server
    }

    /// The first line (from now on) for which `wanted` holds.
    async fn wait_for(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(60), self.lines.recv())
                .await
                .expect("a log line within a minute")
                .expect("the server is still running");
            self.seen.push(next.clone());
            if wanted(&next) {
                return next;
            }
        }
    }

    /// POST a learner's item with an API key and a chosen request id.
    async fn create_item(&self, request_id: &str) {
        let resp = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/v1/items", self.port))
            .header("x-request-id", request_id)
            .header("x-api-key", API_KEY)
            .json(&json!({ "locale": "fi", "text": LEARNER_TEXT }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
        assert_eq!(resp.headers()["x-request-id"], request_id);
    }

    async fn get(&self, path: &str, request_id: &str) {
        reqwest::Client::new()
            .get(format!("http://127.0.0.1:{}{path}", self.port))
            .header("x-request-id", request_id)
            .send()
            .await
            .unwrap();
    }

    /// Stop the server and return every line it wrote.
    fn finish(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut all = std::mem::take(&mut self.seen);
        while let Ok(line) = self.lines.try_recv() {
            all.push(line);
        }
        all
    }
}

fn port_of(listening: &str, format: &str) -> u16 {
    if format == "json" {
        let v: Value = serde_json::from_str(listening).unwrap();
        return v["fields"]["port"].as_u64().unwrap() as u16;
    }
    let rest = listening.split("port=").nth(1).expect("port= in the line");
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn assert_nothing_secret(lines: &[String]) {
    for line in lines {
        assert!(
            !line.contains(LEARNER_TEXT) && !line.contains("metsästä"),
            "learner text logged: {line}"
        );
        assert!(!line.contains(API_KEY), "API key logged: {line}");
    }
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_span() {
    let mut server = Server::start("json").await;
    server.create_item("log-test-create").await;
    let done = server
        .wait_for(|l| l.contains("request completed") && l.contains("log-test-create"))
        .await;
    let done: Value = serde_json::from_str(&done).unwrap();
    assert_eq!(done["level"], "INFO");
    assert_eq!(done["fields"]["status"], 202);
    assert!(done["fields"]["latency_ms"].as_f64().unwrap() >= 0.0);
    let span = &done["span"];
    assert_eq!(span["name"], "request");
    assert_eq!(span["method"], "POST");
    assert_eq!(span["route"], "/v1/items");
    assert_eq!(span["request_id"], "log-test-create");

    // A 404: one completion line, and no route template to report.
    server.get("/no/such/page", "log-test-404").await;
    let missing = server
        .wait_for(|l| l.contains("request completed") && l.contains("log-test-404"))
        .await;
    let missing: Value = serde_json::from_str(&missing).unwrap();
    assert_eq!(missing["fields"]["status"], 404);
    assert!(missing["span"].get("route").is_none());

    let lines = server.finish();
    for line in &lines {
        let parsed: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
        assert!(parsed.is_object(), "{line}");
    }
    let completions = lines
        .iter()
        .filter(|l| l.contains("request completed") && l.contains("log-test-create"))
        .count();
    assert_eq!(completions, 1, "one completion line per request");
    assert_nothing_secret(&lines);
}

#[tokio::test]
async fn text_logs_carry_the_same_fields() {
    let mut server = Server::start("text").await;
    server.create_item("log-text-create").await;
    let done = server
        .wait_for(|l| l.contains("request completed") && l.contains("log-text-create"))
        .await;
    for part in [
        "INFO",
        "method=POST",
        "route=\"/v1/items\"",
        "request_id=\"log-text-create\"",
        "status=202",
        "latency_ms=",
    ] {
        assert!(done.contains(part), "{part} missing in {done}");
    }
    assert!(
        !done.contains('\u{1b}'),
        "no colour codes when not a terminal"
    );
    // Flush the lines written after the completion (the TTS refusal) too.
    server.get("/health", "log-text-health").await;
    server
        .wait_for(|l| l.contains("request completed") && l.contains("log-text-health"))
        .await;
    assert_nothing_secret(&server.finish());
}

/// An expected 503 (here: speech asked of a server without an engine) is a
/// documented refusal: logged at WARN, with no ERROR line for it.
#[tokio::test]
async fn an_expected_503_is_not_logged_as_an_error() {
    let mut server = Server::start("json").await;
    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/v1/audio/speech", server.port))
        .header("x-request-id", "log-test-503")
        .json(&json!({ "model": "tts-1", "input": "Hei", "voice": "alloy" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let done = server
        .wait_for(|l| l.contains("request completed") && l.contains("log-test-503"))
        .await;
    let done: Value = serde_json::from_str(&done).unwrap();
    assert_eq!(done["fields"]["status"], 503);
    server.get("/health", "log-test-after").await;
    server
        .wait_for(|l| l.contains("request completed") && l.contains("log-test-after"))
        .await;
    let lines = server.finish();
    let for_request: Vec<Value> = lines
        .iter()
        .filter(|l| l.contains("log-test-503"))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        for_request.iter().all(|l| l["level"] != "ERROR"),
        "{for_request:?}"
    );
    assert!(
        for_request.iter().any(|l| l["level"] == "WARN"),
        "{for_request:?}"
    );
}
