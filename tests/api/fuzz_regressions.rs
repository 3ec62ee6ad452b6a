//! Failures the schema-driven fuzz run (`scripts/fuzz-api.sh`) found, each
//! reproduced through the real server.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with_engine};

/// A query datetime whose 12th byte falls inside a multi-byte character
/// panicked while looking for an offset (500 shape C); it is just invalid.
#[tokio::test]
async fn non_ascii_query_datetime_is_a_422_not_a_panic() {
    let app = spawn_app().await;
    let until = "%F3%B6%AB%87%C2%8D%F3%BB%93%A5%F3%AE%AB%B3%C2%A9_";
    for path in [
        "/v1/stats/practice-log",
        "/v1/stats/summary",
        "/v1/attempts",
    ] {
        let resp = app.get(&format!("{path}?until={until}")).await;
        assert_eq!(resp.status(), 422, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["detail"][0]["loc"],
            json!(["query", "until"]),
            "{path}"
        );
    }
}

/// A custom file name with a control character made the download's
/// `Content-Disposition` header unbuildable (500); it is percent-encoded.
#[tokio::test]
async fn download_name_with_control_characters_is_encoded() {
    let app = spawn_app_with_engine(&[]).await;
    let resp = app
        .post_json(
            "/api/v1/tts/convert",
            &json!({ "text": "Hei maailma!", "custom_filename": "hei\u{1}ä" }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    let id = created["conversion_id"].as_str().unwrap();
    let mut status = Value::Null;
    for _ in 0..200 {
        let task: Value = app
            .get(&format!("/api/v1/tts/{id}"))
            .await
            .json()
            .await
            .unwrap();
        status = task["status"].clone();
        if status == "done" || status == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "done");
    let resp = app.get(&format!("/api/v1/tts/{id}/download")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename*=UTF-8''hei%01%C3%A4.wav"
    );
}
