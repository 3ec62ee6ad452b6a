//! Operating TTS tasks: stats, retry of failed items, the `tts_status`
//! filter, and the cleanup command (dry run = real run, item audio kept).

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{local_engine_settings, spawn_app, spawn_app_with_engine, TestApp};

async fn new_item(app: &TestApp, body: Value) -> i64 {
    app.create_item(body).await["id"].as_i64().unwrap()
}

async fn settle(app: &TestApp, id: i64) -> String {
    app.wait_for_tts(id).await["tts_status"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn json_of(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status(), status);
    resp.json().await.unwrap()
}

/// Switch an app that has no engine to the fixture engine.
async fn with_engine(app: TestApp) -> TestApp {
    let engine: Vec<(&str, String)> = local_engine_settings();
    app.restart_with(&engine).await
}

#[tokio::test]
async fn stats_reflect_real_tasks() {
    let app = spawn_app_with_engine(&[]).await;
    let empty = json_of(app.get("/v1/tts/stats").await, 200).await;
    assert_eq!(empty["total"], 0);
    assert_eq!(empty["avg_synthesis_seconds"], Value::Null);

    let mut ids = Vec::new();
    for text in ["Hei maailma!", "Hei maailma!", "Kiitos.", "!!!"] {
        ids.push(new_item(&app, json!({ "locale": "fi", "text": text })).await);
    }
    for id in &ids {
        settle(&app, *id).await;
    }
    let stats = json_of(app.get("/v1/tts/stats").await, 200).await;
    assert_eq!(stats["total"], 3, "{stats}");
    assert_eq!(stats["by_status"]["done"], 2);
    assert_eq!(stats["by_status"]["failed"], 1);
    assert_eq!(stats["by_status"]["queued"], 0);
    assert_eq!(stats["queue_depth"], 0);
    assert_eq!(stats["shared_texts"], 1);
    assert_eq!(stats["items_sharing_audio"], 2);
    assert_eq!(stats["syntheses_saved"], 1);
    assert!(stats["avg_file_size"].as_f64().unwrap() > 44.0);
    assert!(stats["avg_synthesis_seconds"].as_f64().unwrap() >= 0.0);
    assert!(stats["avg_real_time_factor"].as_f64().unwrap() >= 0.0);
    let cpu = stats["by_device"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == "cpu")
        .expect("cpu row")
        .clone();
    assert_eq!(cpu["finished"], 2);
    assert_eq!(cpu["failed"], 1);
}

#[tokio::test]
async fn a_failed_item_is_retried_once_the_engine_works_and_keeps_its_attempts() {
    let app = spawn_app().await; // no engine: items fail
    let id = new_item(&app, json!({ "locale": "fi", "text": "Hei maailma!" })).await;
    assert_eq!(settle(&app, id).await, "failed");
    let attempt = app.create_attempt(id, "hei maailma").await;

    let app = with_engine(app).await;
    let resp = app
        .client
        .post(app.url(&format!("/v1/items/{id}/tts/retry")))
        .send()
        .await
        .unwrap();
    let item = json_of(resp, 202).await;
    assert_eq!(item["id"], id);
    assert_eq!(item["tts_status"], "pending");
    assert_eq!(settle(&app, id).await, "ready");
    assert_eq!(
        app.get(&format!("/v1/items/{id}/audio")).await.status(),
        200
    );

    let attempts = json_of(app.get(&format!("/v1/attempts?item_id={id}")).await, 200).await;
    assert_eq!(attempts["total"], 1);
    let mut kept = attempt.clone();
    kept.as_object_mut().unwrap().remove("alignment");
    assert_eq!(attempts["attempts"][0], kept);
    let item = json_of(app.get(&format!("/v1/items/{id}")).await, 200).await;
    assert_eq!(item["practiced"], true);

    // A ready item cannot be retried.
    let resp = app
        .client
        .post(app.url(&format!("/v1/items/{id}/tts/retry")))
        .send()
        .await
        .unwrap();
    let body = json_of(resp, 409).await;
    assert_eq!(
        body["detail"],
        "Only items whose TTS failed can be retried. Current status: ready"
    );
    let resp = app
        .client
        .post(app.url("/v1/items/999/tts/retry"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(resp, 404).await["detail"], "Item not found");
    let resp = app
        .client
        .post(app.url("/v1/items/abc/tts/retry"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(resp, 422).await["detail"][0]["loc"],
        json!(["path", "item_id"])
    );
}

#[tokio::test]
async fn bulk_retry_requeues_only_matching_failed_items() {
    let app = spawn_app().await;
    let a = new_item(
        &app,
        json!({ "locale": "fi", "text": "Yksi.", "tags": ["a"] }),
    )
    .await;
    let b = new_item(
        &app,
        json!({ "locale": "fi", "text": "Kaksi.", "tags": ["a", "b"] }),
    )
    .await;
    let c = new_item(
        &app,
        json!({ "locale": "fi", "text": "Kolme.", "tags": ["b"] }),
    )
    .await;
    for id in [a, b, c] {
        assert_eq!(settle(&app, id).await, "failed");
    }
    let app = with_engine(app).await;
    let resp = app
        .client
        .post(app.url("/v1/items/tts/retry?tag=a"))
        .send()
        .await
        .unwrap();
    let body = json_of(resp, 202).await;
    assert_eq!(body["requeued"], 2);
    assert_eq!(body["item_ids"], json!([a, b]));
    assert_eq!(settle(&app, a).await, "ready");
    assert_eq!(settle(&app, b).await, "ready");

    let failed = json_of(app.get("/v1/items?tts_status=failed").await, 200).await;
    assert_eq!(failed["total"], 1);
    assert_eq!(failed["items"][0]["id"], c);
    let ready = json_of(app.get("/v1/items?tts_status=ready").await, 200).await;
    assert_eq!(ready["total"], 2);
    let resp = app.get("/v1/items?tts_status=done").await;
    assert_eq!(
        json_of(resp, 422).await["detail"][0]["loc"],
        json!(["query", "tts_status"])
    );

    // Nothing left to retry for tag a.
    let resp = app
        .client
        .post(app.url("/v1/items/tts/retry?tag=a"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(resp, 202).await["requeued"], 0);
}

fn cli(app: &TestApp, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_last-whisper"))
        .args(args)
        .envs(app.cli_env())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

#[tokio::test]
async fn cleanup_dry_run_lists_exactly_what_a_real_run_deletes_and_keeps_item_audio() {
    let app = spawn_app_with_engine(&[]).await;
    // Two items share one task; deleting the first must not orphan it.
    let first = new_item(&app, json!({ "locale": "fi", "text": "Hei maailma!" })).await;
    assert_eq!(settle(&app, first).await, "ready");
    let second = new_item(&app, json!({ "locale": "fi", "text": "Hei maailma!" })).await;
    assert_eq!(settle(&app, second).await, "ready");
    assert_eq!(
        app.delete(&format!("/v1/items/{first}")).await.status(),
        204
    );
    // An item deleted outright leaves an orphan task (its file went with it).
    let gone = new_item(&app, json!({ "locale": "fi", "text": "Moi." })).await;
    assert_eq!(settle(&app, gone).await, "ready");
    assert_eq!(app.delete(&format!("/v1/items/{gone}")).await.status(), 204);
    // A legacy task no item references, with its own file.
    let legacy = json_of(
        app.post_json("/api/v1/tts/convert", &json!({ "text": "Kiitos." }))
            .await,
        201,
    )
    .await;
    let legacy_id = legacy["conversion_id"].as_str().unwrap().to_string();
    // Two failed tasks, one of them old.
    let old_fail = new_item(&app, json!({ "locale": "fi", "text": "!!!" })).await;
    let new_fail = new_item(&app, json!({ "locale": "fi", "text": "???" })).await;
    assert_eq!(settle(&app, old_fail).await, "failed");
    assert_eq!(settle(&app, new_fail).await, "failed");
    let tasks: Vec<Value> = json_of(app.get("/api/v1/tts").await, 200)
        .await
        .as_array()
        .unwrap()
        .clone();
    let legacy_file = loop {
        let t = json_of(app.get(&format!("/api/v1/tts/{legacy_id}")).await, 200).await;
        if t["status"] == "done" {
            break t["output_file_path"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let id_of = |text: &str| {
        tasks
            .iter()
            .find(|t| t["text"] == text)
            .map(|t| t["conversion_id"].as_str().unwrap().to_string())
            .unwrap()
    };
    let old_fail_task = id_of("!!!");
    let pool = app.db().await;
    sqlx::query("UPDATE tts_tasks SET failed_at = '2020-01-01 00:00:00.000000' WHERE task_id = $1")
        .bind(&old_fail_task)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let args = [
        "tasks",
        "cleanup",
        "--failed-older-than",
        "7d",
        "--orphans",
        "--json",
    ];
    let planned = cli(&app, &[&args[..], &["--dry-run"]].concat());
    let mut planned_ids: Vec<&str> = planned
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"].as_str().unwrap())
        .collect();
    planned_ids.sort_unstable();
    let mut expected = vec![old_fail_task.clone(), id_of("Moi."), legacy_id.clone()];
    expected.sort();
    assert_eq!(planned_ids, expected);
    // The dry run changed nothing.
    assert!(std::path::Path::new(&legacy_file).is_file());
    assert_eq!(
        app.get(&format!("/api/v1/tts/{legacy_id}")).await.status(),
        200
    );

    let deleted = cli(&app, &args);
    assert_eq!(deleted, planned);
    let legacy_entry = deleted
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task_id"] == legacy_id.as_str())
        .unwrap();
    assert_eq!(legacy_entry["file"], legacy_file.as_str());
    assert!(!std::path::Path::new(&legacy_file).exists());
    for id in &expected {
        assert_eq!(app.get(&format!("/api/v1/tts/{id}")).await.status(), 404);
    }
    // Still served: the shared task's surviving item, the recent failure.
    assert_eq!(
        app.get(&format!("/v1/items/{second}/audio")).await.status(),
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/tts/{}", id_of("???")))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get(&format!("/v1/items/{old_fail}")).await.status(),
        200
    );

    // A second run finds nothing; stats from the CLI agree with the API.
    assert_eq!(cli(&app, &args), json!([]));
    let cli_stats = cli(&app, &["tasks", "stats", "--json"]);
    let api_stats = json_of(app.get("/v1/tts/stats").await, 200).await;
    assert_eq!(cli_stats["total"], api_stats["total"]);
    assert_eq!(cli_stats["by_status"], api_stats["by_status"]);
}

/// `speech_cache_misses_total` from `/metrics`: syntheses the cache asked for.
async fn cache_misses(app: &TestApp) -> f64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("speech_cache_misses_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no speech_cache_misses_total in {text}"))
}

async fn refresh(app: &TestApp, id: i64) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/items/{id}/audio/refresh")))
        .json(&json!({"ignored": true}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_audio_refresh_makes_a_new_task_every_time_and_the_item_ready_again() {
    let app = spawn_app_with_engine(&[]).await;
    let id = new_item(&app, json!({ "locale": "fi", "text": "Hyvää huomenta" })).await;
    // A second item with the same text shares the first one's task.
    let twin = new_item(&app, json!({ "locale": "fi", "text": "Hyvää huomenta" })).await;
    assert_eq!(settle(&app, id).await, "ready");
    assert_eq!(settle(&app, twin).await, "ready");
    let db = app.db().await;
    let task_of = |item: i64| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT task_id FROM items WHERE id = $1")
                .bind(item)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let first_task = task_of(id).await;
    assert_eq!(task_of(twin).await, first_task);

    let mut seen = vec![first_task.clone()];
    for _ in 0..2 {
        let misses = cache_misses(&app).await;
        let body = json_of(refresh(&app, id).await, 202).await;
        assert_eq!(body["item_id"], id);
        assert_eq!(body["status"], "queued");
        assert_eq!(body["tts_status"], "pending");
        assert_eq!(body["provider"], "local");
        assert_eq!(body["cached"], false);
        assert_eq!(body["metadata"], Value::Null);
        assert!(body["audio_path"]
            .as_str()
            .unwrap()
            .ends_with(&format!("item_{id}.wav")));
        assert!(body["created_at"].is_string() && body["updated_at"].is_string());
        let task = body["task_id"].as_str().unwrap().to_string();
        assert!(!seen.contains(&task), "a new task id every time");
        seen.push(task.clone());
        // The item now points at the new task (no dedupe), which completes.
        assert_eq!(task_of(id).await, task);
        assert_eq!(settle(&app, id).await, "ready");
        // Synthesised anew (the addendum's "always synthesises"), although
        // the engine has one voice and the same clip is in the speech cache.
        assert_eq!(
            cache_misses(&app).await,
            misses + 1.0,
            "a refresh is a fresh synthesis"
        );
        let legacy = json_of(app.get(&format!("/api/v1/tts/{task}")).await, 200).await;
        assert_eq!(legacy["status"], "done");
        assert_eq!(
            app.get(&format!("/v1/items/{id}/audio")).await.status(),
            200
        );
    }
    let kinds: Vec<String> = sqlx::query_scalar("SELECT task_kind FROM tts_tasks ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(kinds, ["generate", "regenerate", "regenerate"]);
    // The twin still has the original audio and task.
    assert_eq!(task_of(twin).await, first_task);

    // A refresh of a pending item also gets its own new task.
    let pending = json_of(refresh(&app, id).await, 202).await;
    let again = json_of(refresh(&app, id).await, 202).await;
    assert_ne!(pending["task_id"], again["task_id"]);
    assert_eq!(settle(&app, id).await, "ready");
    assert_eq!(task_of(id).await, again["task_id"].as_str().unwrap());

    let resp = refresh(&app, 999_999).await;
    assert_eq!(
        json_of(resp, 404).await,
        json!({"detail": "Item not found"})
    );
    let resp = app
        .client
        .post(app.url("/v1/items/abc/audio/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(resp, 422).await["detail"][0]["loc"],
        json!(["path", "item_id"])
    );
}

#[tokio::test]
async fn a_refresh_the_engine_would_refuse_is_a_502_and_leaves_the_item_alone() {
    let app = spawn_app_with_engine(&[]).await;
    // `en` is not among TTS_SUPPORTED_LANGUAGES: the item is accepted and fails.
    let id = new_item(&app, json!({ "locale": "en", "text": "Good morning" })).await;
    assert_eq!(settle(&app, id).await, "failed");
    let before = json_of(app.get(&format!("/v1/items/{id}")).await, 200).await;
    let resp = refresh(&app, id).await;
    assert_eq!(
        json_of(resp, 502).await,
        json!({"detail": "Unable to enqueue audio refresh"})
    );
    let after = json_of(app.get(&format!("/v1/items/{id}")).await, 200).await;
    assert_eq!(before, after);
}
