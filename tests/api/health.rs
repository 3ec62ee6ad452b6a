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
