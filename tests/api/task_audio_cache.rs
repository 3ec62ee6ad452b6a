//! Item and task audio come through the speech cache: a text spoken once is
//! not synthesised again for a later task, even after the first task's file
//! is gone, and the cache's single flight covers tasks too.

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with_engine, TestApp};

/// (hits, misses) of this server's speech cache, from `/metrics`.
async fn cache_counters(app: &TestApp) -> (f64, f64) {
    let text = app.get("/metrics").await.text().await.unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|line| {
                line.strip_prefix(name)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("{name} missing from /metrics"))
    };
    (
        value("speech_cache_hits_total"),
        value("speech_cache_misses_total"),
    )
}

async fn ready_item(app: &TestApp, text: &str) -> (i64, Vec<u8>) {
    let item = app
        .create_item(json!({ "locale": "fi", "text": text }))
        .await;
    let id = item["id"].as_i64().unwrap();
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    let resp = app.get(&format!("/v1/items/{id}/audio")).await;
    assert_eq!(resp.status(), 200);
    (id, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_text_spoken_once_is_served_from_the_cache_to_later_tasks() {
    let app = spawn_app_with_engine(&[]).await;
    let (first, audio) = ready_item(&app, "Kissa istuu ikkunalla.").await;
    assert_eq!(
        cache_counters(&app).await,
        (0.0, 1.0),
        "first clip synthesised"
    );

    // Delete the item: its task's file goes with it (the §9.2 situation).
    assert_eq!(
        app.delete(&format!("/v1/items/{first}")).await.status(),
        204
    );
    let (second, again) = ready_item(&app, "Kissa istuu ikkunalla.").await;
    assert_ne!(first, second);
    assert_eq!(again, audio, "same bytes as the first synthesis");
    assert_eq!(
        cache_counters(&app).await,
        (1.0, 1.0),
        "served from the cache"
    );

    // A legacy standalone task of the same text is a hit as well.
    let resp = app
        .post_json(
            "/api/v1/tts/convert",
            &json!({ "text": "Kissa istuu ikkunalla." }),
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let task: Value = resp.json().await.unwrap();
    let task_id = task["conversion_id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let t: Value = app
            .get(&format!("/api/v1/tts/{task_id}"))
            .await
            .json()
            .await
            .unwrap();
        if t["status"] == "completed" || t["status"] == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (hits, misses) = cache_counters(&app).await;
    assert_eq!(misses, 1.0, "never synthesised again");
    assert!(hits >= 1.0);
}

/// A cache limit smaller than one clip: each clip is spared by the eviction
/// its own production runs, so tasks still link their audio; the next
/// production evicts it (the limit holds again, give or take the newest clip).
#[tokio::test]
async fn a_cache_smaller_than_one_clip_still_gives_items_their_audio() {
    let app = spawn_app_with_engine(&[("AUDIO_CACHE_MAX_BYTES", "1")]).await;
    let (_, first) = ready_item(&app, "Hyvää huomenta.").await;
    let (_, second) = ready_item(&app, "Hyvää yötä.").await;
    assert!(first.starts_with(b"RIFF") && second.starts_with(b"RIFF"));
    let stats: Value = app.get("/v1/tts/cache").await.json().await.unwrap();
    assert_eq!(stats["entries"], 1, "{stats}");
    assert!(stats["evictions"].as_u64().unwrap() >= 1, "{stats}");
}
