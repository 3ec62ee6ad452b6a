use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_every_check() {
    let app = spawn_app().await;
    let resp = app.get("/health").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    let checks = &body["checks"];
    assert_eq!(checks["database"], "healthy");
    assert_eq!(checks["audio_directory"], "healthy");
    assert_eq!(checks["tts_service"], "not_initialized");
    assert_eq!(checks["task_manager"], "not_initialized");
    assert_eq!(checks["service"], "Last Whisper Backend (Development)");
    assert_eq!(checks["version"], "1.0.0");
    assert!(checks["timestamp"].as_str().unwrap().contains('T'));
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
    assert_eq!(body["checks"]["audio_directory"], "unhealthy");
}

#[tokio::test]
async fn production_mode_drops_the_name_suffix() {
    let app =
        crate::helpers::spawn_app_with(&[("ENVIRONMENT", "production"), ("APP_VERSION", "2.3.4")])
            .await;
    let body: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(body["checks"]["service"], "Last Whisper Backend");
    assert_eq!(body["checks"]["version"], "2.3.4");
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
