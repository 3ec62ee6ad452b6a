//! `GET /health` in the addendum's shape (§3.1): every check an object,
//! the service's identity in `service_info`, always 200.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_every_check_as_an_object() {
    let app = spawn_app().await;
    let resp = app.get("/health").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let checks = &body["checks"];
    assert_eq!(
        checks.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "database",
            "audio_directory",
            "tts_service",
            "task_manager",
            "service_info"
        ]
    );
    assert_eq!(checks["database"], json!({ "status": "healthy" }));
    assert_eq!(checks["audio_directory"], json!({ "status": "healthy" }));
    // No engine in these tests: the service runs, and health says so.
    let not_initialized = json!({ "status": "unhealthy", "detail": "not initialized" });
    assert_eq!(checks["tts_service"], not_initialized);
    assert_eq!(checks["task_manager"], not_initialized);
    assert_eq!(body["status"], "unhealthy");
    let info = &checks["service_info"];
    assert_eq!(info["status"], "informational");
    assert_eq!(info["name"], "Last Whisper Backend (Development)");
    assert_eq!(info["version"], "1.0.0");
    // UTC with an explicit offset (addendum §11 L10), close to now.
    let stamp = info["timestamp"].as_str().unwrap();
    assert!(stamp.ends_with("+00:00"), "{stamp}");
    let at = chrono::DateTime::parse_from_rfc3339(stamp).unwrap();
    let skew = (chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_seconds();
    assert!((0..60).contains(&skew), "{stamp}");
    // The probe file is removed again.
    let leftovers: Vec<_> = std::fs::read_dir(&app.audio_dir).unwrap().collect();
    assert!(leftovers.is_empty());
}

#[tokio::test]
async fn health_is_unhealthy_but_200_when_audio_dir_is_unusable() {
    let app = spawn_app().await;
    std::fs::remove_dir_all(&app.audio_dir).unwrap();
    // A file where the directory should be: the probe cannot be written.
    std::fs::write(&app.audio_dir, b"not a dir").unwrap();
    let resp = app.get("/health").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(
        body["checks"]["audio_directory"],
        json!({ "status": "unhealthy", "detail": "cannot write to the audio directory" })
    );
}

#[tokio::test]
async fn production_mode_drops_the_name_suffix() {
    let app =
        crate::helpers::spawn_app_with(&[("ENVIRONMENT", "production"), ("APP_VERSION", "2.3.4")])
            .await;
    let body: Value = app.get("/health").await.json().await.unwrap();
    let info = &body["checks"]["service_info"];
    assert_eq!(info["name"], "Last Whisper Backend");
    assert_eq!(info["version"], "2.3.4");
}

/// `last-whisper healthcheck`, the container's health check: 0 while the server is healthy,
/// 1 with the failing check named when its audio directory is not usable, 1 when nothing answers.
#[tokio::test]
async fn the_healthcheck_command_follows_the_servers_health() {
    let app = spawn_app().await;
    // Off the test's runtime thread, which also serves the app.
    let run = |url: String| async move {
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_last-whisper"))
                .args(["healthcheck", "--url", &url])
                .env("LOG_LEVEL", "warn")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let url = format!("{}/health", app.address);
    let (code, stderr) = run(url.clone()).await;
    assert_eq!(code, Some(0), "{stderr}");

    std::fs::remove_dir_all(&app.audio_dir).unwrap();
    std::fs::write(&app.audio_dir, b"not a dir").unwrap();
    let (code, stderr) = run(url).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("audio_directory"), "{stderr}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    assert_eq!(
        run(format!("http://127.0.0.1:{port}/health")).await.0,
        Some(1)
    );
}
