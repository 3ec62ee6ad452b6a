//! Starts the real application on a random port with a fresh temporary
//! directory (SQLite file + audio) per test, and talks HTTP to it.

use std::path::PathBuf;
use std::time::Duration;

use last_whisper::config::Settings;
use last_whisper::startup::Application;
use reqwest::{Method, Response};
use serde_json::Value;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub dir: TempDir,
    pub audio_dir: PathBuf,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Start with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Start with extra settings (`NAME`, `value`) layered over the test defaults.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        last_whisper::telemetry::init("debug", false);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let audio_dir = dir.path().join("audio");
    let db_url = format!("sqlite:///{}", dir.path().join("db/dictation.db").display());
    let mut vars: Vec<(String, String)> = vec![
        ("HOST".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("DATABASE_URL".into(), db_url),
        ("AUDIO_DIR".into(), audio_dir.display().to_string()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = Settings::from_vars(vars).expect("settings");
    let app = Application::build(settings).await.expect("build app");
    let port = app.port();
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        dir,
        audio_dir,
        shutdown,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("DELETE")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .patch(self.url(path))
            .json(body)
            .send()
            .await
            .expect("PATCH")
    }

    /// A request with a raw body and an optional content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.body(body.to_string()).send().await.expect("request")
    }

    /// Create an item, asserting 202, and return its JSON.
    pub async fn create_item(&self, body: Value) -> Value {
        let resp = self.post_json("/v1/items", &body).await;
        assert_eq!(resp.status(), 202, "create item");
        resp.json().await.expect("item json")
    }

    /// Submit an attempt, asserting 201, and return its JSON.
    pub async fn create_attempt(&self, item_id: i64, text: &str) -> Value {
        let resp = self
            .post_json(
                "/v1/attempts",
                &serde_json::json!({ "item_id": item_id, "text": text }),
            )
            .await;
        assert_eq!(resp.status(), 201, "create attempt");
        resp.json().await.expect("attempt json")
    }

    /// Poll an item until its `tts_status` leaves `pending` (or time out).
    pub async fn wait_for_tts(&self, item_id: i64) -> Value {
        for _ in 0..200 {
            let item: Value = self
                .get(&format!("/v1/items/{item_id}"))
                .await
                .json()
                .await
                .expect("item json");
            if item["tts_status"] != "pending" {
                return item;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("item {item_id} stayed pending");
    }
}

/// Assert a 422 shape-B body and return its entries' `loc`s.
pub async fn validation_locs(resp: Response) -> Vec<Value> {
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.expect("json");
    let entries = body["detail"].as_array().expect("detail list");
    assert!(!entries.is_empty());
    for e in entries {
        assert!(e["type"].is_string() && e["msg"].is_string(), "{e}");
        assert!(!e["loc"].as_array().expect("loc").is_empty());
    }
    entries.iter().map(|e| e["loc"].clone()).collect()
}
