//! Starts the real application on a random port with a fresh temporary
//! directory (SQLite file + audio) per test, and talks HTTP to it. With
//! `TEST_POSTGRES_URL` set (scripts/test.sh does), every app gets a fresh
//! PostgreSQL database on that server instead of the SQLite file.

use std::path::PathBuf;
use std::time::Duration;

use last_whisper::config::Settings;
use last_whisper::startup::Application;
use reqwest::{Method, Response};
use serde_json::Value;
use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[path = "../support/postgres.rs"]
mod postgres;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub dir: TempDir,
    pub audio_dir: PathBuf,
    /// The app's `DATABASE_URL` (a SQLite file or a PostgreSQL database).
    pub database_url: String,
    extra: Vec<(String, String)>,
    shutdown: CancellationToken,
    server: Option<JoinHandle<std::io::Result<()>>>,
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
    let dir = tempfile::tempdir().expect("temp dir");
    let extra = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    start_in(dir, extra).await
}

/// Settings that load the tiny deterministic MMS fixture model.
pub fn local_engine_settings() -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("TTS_PROVIDER", "local".to_string()),
        ("TTS_MODEL_DIR", fixture_model("mms-fin-random-tiny-det")),
        ("TTS_DEVICE", "cpu".to_string()),
        ("TTS_THREAD_COUNT", "1".to_string()),
    ];
    if let Ok(path) = std::env::var("ORT_DYLIB_PATH") {
        vars.push(("ORT_DYLIB_PATH", path));
    }
    vars
}

/// Absolute path of a fixture model directory.
pub fn fixture_model(name: &str) -> String {
    format!(
        "{}/tests/fixtures/models/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Start with the local engine on the tiny fixture (plus `extra`).
pub async fn spawn_app_with_engine(extra: &[(&str, &str)]) -> TestApp {
    let mut vars: Vec<(String, String)> = local_engine_settings()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let dir = tempfile::tempdir().expect("temp dir");
    start_in(dir, vars).await
}

/// A fresh, empty database for one app: a SQLite file in `dir`, or a new
/// database on the `TEST_POSTGRES_URL` server.
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => postgres::create_database(&admin, "lw_test").await,
        _ => format!("sqlite:///{}", dir.join("db/dictation.db").display()),
    }
}

async fn start_in(dir: TempDir, mut extra: Vec<(String, String)>) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        last_whisper::telemetry::init("debug", false);
    }
    let audio_dir = dir.path().join("audio");
    // Chosen once per app, then kept in `extra` so a restart reopens it.
    let database_url = match extra.iter().find(|(k, _)| k == "DATABASE_URL") {
        Some((_, url)) => url.clone(),
        None => {
            let url = fresh_database_url(dir.path()).await;
            extra.push(("DATABASE_URL".into(), url.clone()));
            url
        }
    };
    let mut vars: Vec<(String, String)> = vec![
        ("HOST".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("AUDIO_DIR".into(), audio_dir.display().to_string()),
        // No engine unless a test asks for one (a developer's models/ must not leak in).
        (
            "TTS_MODEL_DIR".into(),
            dir.path().join("no-model").display().to_string(),
        ),
        // Nor Piper voices (every configured engine loads side by side).
        (
            "VOICES_DIR".into(),
            dir.path().join("no-voices").display().to_string(),
        ),
    ];
    vars.extend(extra.iter().cloned());
    let settings = Settings::from_vars(vars).expect("settings");
    let app = Application::build(settings).await.expect("build app");
    let port = app.port();
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        dir,
        audio_dir,
        database_url,
        extra,
        shutdown,
        server: Some(server),
    }
}

impl TestApp {
    /// Stop the server gracefully and wait until it has closed the database.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
    }

    /// Stop, then start a new server on the same directory and settings.
    pub async fn restart(self) -> TestApp {
        self.restart_with(&[]).await
    }

    /// Stop, then start again on the same directory with `overrides` added
    /// to the settings (e.g. a working engine after a broken one).
    pub async fn restart_with(mut self, overrides: &[(&str, String)]) -> TestApp {
        self.stop().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let old = std::mem::replace(&mut self.dir, dir);
        let mut extra = std::mem::take(&mut self.extra);
        extra.extend(overrides.iter().map(|(k, v)| (k.to_string(), v.clone())));
        start_in(old, extra).await
    }

    /// The settings a CLI run needs to work on this app's data.
    pub fn cli_env(&self) -> Vec<(String, String)> {
        vec![
            ("DATABASE_URL".into(), self.database_url.clone()),
            ("AUDIO_DIR".into(), self.audio_dir.display().to_string()),
            ("LOG_LEVEL".into(), "warn".into()),
        ]
    }

    /// A connection pool on this app's database, for tests that stage a
    /// state the API cannot create (SQL with `$N` placeholders runs on both
    /// backends).
    pub async fn db(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let url = match self.database_url.strip_prefix("sqlite:///") {
            Some(path) => format!("sqlite://{path}"),
            None => self.database_url.clone(),
        };
        sqlx::AnyPool::connect(&url)
            .await
            .expect("connect to the app's database")
    }

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
