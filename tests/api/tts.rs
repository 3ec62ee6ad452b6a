//! The TTS pipeline end to end with the local engine on the tiny
//! deterministic fixture model: items get audio, identical texts are
//! synthesised once, failures are reported, unfinished work survives a
//! restart (contract §6, §7).

use std::io::Cursor;

use serde_json::{json, Value};

use crate::helpers::{fixture_model, spawn_app, spawn_app_with, spawn_app_with_engine, TestApp};

/// Samples the tiny deterministic model produces for "Hei maailma!"
/// (shared/fixtures/models/golden/tiny-det-waveforms.json).
const HEI_MAAILMA_SAMPLES: u32 = 6_400;

async fn tasks(app: &TestApp) -> Vec<Value> {
    let resp = app.get("/api/v1/tts?limit=1000").await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// Decode a WAV body: (sample rate, channels, bits, samples).
fn wav_info(bytes: &[u8]) -> (u32, u16, u16, u32) {
    let reader = hound::WavReader::new(Cursor::new(bytes)).expect("valid WAV");
    let spec = reader.spec();
    (
        spec.sample_rate,
        spec.channels,
        spec.bits_per_sample,
        reader.duration(),
    )
}

async fn item_audio(app: &TestApp, id: i64) -> Vec<u8> {
    let resp = app.get(&format!("/v1/items/{id}/audio")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "audio/wav");
    assert_eq!(
        resp.headers()["content-disposition"],
        format!("attachment; filename=\"item_{id}.wav\"").as_str()
    );
    assert_eq!(resp.headers()["cache-control"], "public, max-age=3600");
    resp.bytes().await.unwrap().to_vec()
}

async fn item_audio_with(app: &TestApp, id: i64, name: &str, value: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/v1/items/{id}/audio")))
        .header(name, value)
        .send()
        .await
        .unwrap()
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .to_str()
        .unwrap()
        .to_string()
}

/// Item audio is served as a file (addendum §3.5): validators and
/// `Accept-Ranges` on the whole file, 206 with the exact bytes for one
/// range (`a-b`, `a-`, `-n`), 416 with an empty body beyond the end, the
/// whole file for several ranges, 304 for the current `ETag`.
#[tokio::test]
async fn item_audio_is_a_file_with_ranges_and_validators() {
    let app = spawn_app_with_engine(&[]).await;
    let id = new_item(&app, "fi", "Hyvää huomenta").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");

    let resp = app.get(&format!("/v1/items/{id}/audio")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "accept-ranges"), "bytes");
    assert_eq!(
        header(&resp, "content-disposition"),
        format!("attachment; filename=\"item_{id}.wav\"")
    );
    assert_eq!(header(&resp, "cache-control"), "public, max-age=3600");
    let etag = header(&resp, "etag");
    assert!(
        etag.len() == 34
            && etag.starts_with('"')
            && etag.ends_with('"')
            && etag[1..33].bytes().all(|b| b.is_ascii_hexdigit()),
        "{etag}"
    );
    let modified = header(&resp, "last-modified");
    assert!(modified.ends_with(" GMT"), "{modified}");
    chrono::DateTime::parse_from_rfc2822(&modified).unwrap();
    let length = header(&resp, "content-length");
    let whole = resp.bytes().await.unwrap();
    let size = whole.len();
    assert!(size > 44);
    assert_eq!(length, size.to_string());
    assert_eq!(&whole[..4], b"RIFF");

    for (range, from, to) in [
        ("bytes=0-9".to_string(), 0, 9),
        ("bytes=10-".to_string(), 10, size - 1),
        ("bytes=-4".to_string(), size - 4, size - 1),
        (format!("bytes=5-{}", size + 100), 5, size - 1),
    ] {
        let resp = item_audio_with(&app, id, "range", &range).await;
        assert_eq!(resp.status(), 206, "{range}");
        assert_eq!(
            header(&resp, "content-range"),
            format!("bytes {from}-{to}/{size}"),
            "{range}"
        );
        assert_eq!(header(&resp, "content-length"), (to + 1 - from).to_string());
        assert_eq!(header(&resp, "etag"), etag);
        assert_eq!(header(&resp, "content-type"), "audio/wav");
        assert_eq!(
            resp.bytes().await.unwrap(),
            whole.slice(from..to + 1),
            "{range}"
        );
    }

    for range in [format!("bytes={size}-"), "bytes=9-1".to_string()] {
        let resp = item_audio_with(&app, id, "range", &range).await;
        assert_eq!(resp.status(), 416, "{range}");
        assert_eq!(header(&resp, "content-range"), format!("bytes */{size}"));
        assert!(resp.bytes().await.unwrap().is_empty());
    }

    let resp = item_audio_with(&app, id, "range", "bytes=0-1,4-5").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap(), whole);

    let resp = item_audio_with(&app, id, "if-none-match", &etag).await;
    assert_eq!(resp.status(), 304);
    assert_eq!(header(&resp, "etag"), etag);
    assert!(resp.bytes().await.unwrap().is_empty());
}

async fn new_item(app: &TestApp, locale: &str, text: &str) -> i64 {
    let item = app
        .create_item(json!({ "locale": locale, "text": text }))
        .await;
    assert_eq!(item["tts_status"], "pending");
    item["id"].as_i64().unwrap()
}

#[tokio::test]
async fn an_item_gets_playable_audio_of_the_model_output_length() {
    let app = spawn_app_with_engine(&[]).await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["status"], "healthy");
    assert_eq!(
        health["checks"]["tts_service"],
        json!({ "status": "healthy" })
    );
    assert_eq!(
        health["checks"]["task_manager"],
        json!({ "status": "healthy" })
    );
    assert_eq!(
        health["checks"]["tts_device"],
        json!({ "status": "informational", "device": "cpu" })
    );

    let id = new_item(&app, "fi", "Hei maailma!").await;
    let item = app.wait_for_tts(id).await;
    assert_eq!(item["tts_status"], "ready");
    assert!(item["updated_at"].as_str() > item["created_at"].as_str());

    let wav = item_audio(&app, id).await;
    assert_eq!(wav_info(&wav), (16_000, 1, 16, HEI_MAAILMA_SAMPLES));
    assert!(app.audio_dir.join(format!("item_{id}.wav")).is_file());

    let task = &tasks(&app).await[0];
    assert_eq!(task["status"], "done");
    assert_eq!(task["device"], "cpu");
    assert_eq!(task["custom_filename"], format!("item_{id}"));
    assert_eq!(task["file_size"], wav.len());
    assert_eq!(task["sampling_rate"], 16_000);
    assert_eq!(task["duration"], 0.4);
    assert!(task["completed_at"].is_string() && task["started_at"].is_string());
}

#[tokio::test]
async fn identical_texts_are_synthesised_once() {
    let app = spawn_app_with_engine(&[]).await;
    let resp = app
        .post_json(
            "/v1/items/bulk",
            &json!({ "items": [
                { "locale": "fi", "text": "Hyvää huomenta!" },
                { "locale": "fi", "text": "Hyvää huomenta!" },
                { "locale": "fi", "text": "Kiitos paljon." },
            ]}),
        )
        .await;
    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await.unwrap();
    let ids: Vec<i64> = body["created_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    for id in &ids {
        assert_eq!(app.wait_for_tts(*id).await["tts_status"], "ready");
    }
    // A later item with the same text reuses the finished task.
    let later = new_item(&app, "fi", "Hyvää huomenta!").await;
    assert_eq!(app.wait_for_tts(later).await["tts_status"], "ready");

    let all = tasks(&app).await;
    assert_eq!(all.len(), 2, "one task per distinct text: {all:?}");
    let first = item_audio(&app, ids[0]).await;
    assert_eq!(item_audio(&app, ids[1]).await, first);
    assert_eq!(item_audio(&app, later).await, first);
    assert_ne!(item_audio(&app, ids[2]).await, first);
}

#[tokio::test]
async fn a_reused_text_whose_audio_was_deleted_still_ends_ready_with_audio() {
    let app = spawn_app_with_engine(&[]).await;
    let first = new_item(&app, "fi", "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(first).await["tts_status"], "ready");
    // Deleting the item removes item_{id}.wav, the task's only output (§9.2).
    assert_eq!(
        app.delete(&format!("/v1/items/{first}")).await.status(),
        204
    );

    let second = new_item(&app, "fi", "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(second).await["tts_status"], "ready");
    let wav = item_audio(&app, second).await;
    assert_eq!(wav_info(&wav).3, HEI_MAAILMA_SAMPLES);

    // And a copy that survives in another item is reused without synthesis.
    let third = new_item(&app, "fi", "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(third).await["tts_status"], "ready");
    assert_eq!(item_audio(&app, third).await, wav);
}

#[tokio::test]
async fn unsupported_locales_and_unspeakable_texts_fail_with_a_reason() {
    let app = spawn_app_with_engine(&[]).await;
    for locale in ["en", "fi-FI"] {
        let id = new_item(&app, locale, "Hei maailma!").await;
        assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    }
    assert!(tasks(&app).await.is_empty(), "refused before any task");

    let id = new_item(&app, "fi", "!!! ???").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    let resp = app.get(&format!("/v1/items/{id}/audio")).await;
    assert_eq!(resp.status(), 400);
    let all = tasks(&app).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["status"], "failed");
    assert!(all[0]["failed_at"].is_string());
    let message = all[0]["error_message"].as_str().unwrap();
    assert!(message.contains("speak"), "clear reason: {message}");
}

#[tokio::test]
async fn a_long_text_is_split_and_synthesised() {
    let app = spawn_app_with_engine(&[]).await;
    let text = "Tämä on pitkä lause, jossa on monta sanaa. ".repeat(230);
    assert!(text.chars().count() > 9_000);
    let id = new_item(&app, "fi", text.trim_end()).await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    let (_, _, _, samples) = wav_info(&item_audio(&app, id).await);
    assert!(
        samples > 16_000 * 60,
        "minutes of audio, got {samples} samples"
    );
}

/// A crash leaves a `queued`/`processing` task and `pending` items; the
/// next start finishes all of them.
#[tokio::test]
async fn unfinished_work_is_finished_after_a_restart() {
    let mut app = spawn_app_with_engine(&[]).await;
    let done = new_item(&app, "fi", "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(done).await["tts_status"], "ready");
    app.stop().await;

    // Stage what a kill -9 during synthesis leaves behind.
    let pool = app.db().await;
    let now = "2026-01-01 10:00:00.000000";
    // (Only tasks: an item is committed together with its task.)
    for (id, text, task) in [(100, "Kiitos paljon.", Some("20260101_100000_aaaaaaaa"))] {
        sqlx::query(
            "INSERT INTO items (id, locale, text, difficulty, tags_json, tts_status, created_at, updated_at) \
             VALUES ($1, 'fi', $2, 1, '[]', 'pending', $3, $4)",
        )
        .bind(id)
        .bind(text)
        .bind(now)
        .bind(now)
        .execute(&pool)
        .await
        .unwrap();
        if let Some(task_id) = task {
            let output = app.audio_dir.join(format!("item_{id}.wav"));
            sqlx::query(
                "INSERT INTO tts_tasks (task_id, original_text, text_hash, status, output_file_path, \
                 custom_filename, language, created_at, submitted_at, started_at) \
                 VALUES ($1, $2, 'x', 'processing', $3, $4, 'fi', $5, $6, $7)",
            )
            .bind(task_id)
            .bind(text)
            .bind(output.display().to_string())
            .bind(format!("item_{id}"))
            .bind(now)
            .bind(now)
            .bind(now)
            .execute(&pool)
            .await
            .unwrap();
            sqlx::query("UPDATE items SET task_id = $1 WHERE id = $2")
                .bind(task_id)
                .bind(id)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    pool.close().await;

    let app = app.restart().await;
    assert_eq!(app.wait_for_tts(100).await["tts_status"], "ready");
    let wav = item_audio(&app, 100).await;
    assert!(wav_info(&wav).3 > 0);
    let resumed: Value = app
        .get("/api/v1/tts/20260101_100000_aaaaaaaa")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resumed["status"], "done");
    assert!(item_audio(&app, done).await.len() > 44);
}

#[tokio::test]
async fn a_broken_model_leaves_the_service_up_and_items_failed() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    std::fs::create_dir_all(model.join("onnx")).unwrap();
    let source = std::path::PathBuf::from(fixture_model("mms-fin-random-tiny"));
    for f in ["config.json", "vocab.json", "tokenizer_config.json"] {
        std::fs::copy(source.join(f), model.join(f)).unwrap();
    }
    std::fs::write(model.join("onnx/model.onnx"), b"not an onnx graph").unwrap();
    let model_dir = model.display().to_string();
    let app = crate::helpers::spawn_app_with_engine(&[("TTS_MODEL_DIR", &model_dir)]).await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    // No engine: the service stays up, and says so (addendum §3.1).
    assert_eq!(health["status"], "unhealthy");
    assert_eq!(
        health["checks"]["tts_service"],
        json!({ "status": "unhealthy", "detail": "not initialized" })
    );
    assert_eq!(health["checks"]["database"], json!({ "status": "healthy" }));
    let id = new_item(&app, "fi", "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
}

// ------------------------------------------------------------ legacy API

pub async fn wait_for_task(app: &TestApp, id: &str) -> Value {
    for _ in 0..200 {
        let task: Value = app
            .get(&format!("/api/v1/tts/{id}"))
            .await
            .json()
            .await
            .unwrap();
        if task["status"] == "done" || task["status"] == "failed" {
            return task;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("task {id} did not finish");
}

async fn detail(resp: reqwest::Response, status: u16) -> String {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    body["detail"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn legacy_convert_poll_and_download() {
    let app = spawn_app_with_engine(&[]).await;
    let resp = app
        .post_json(
            "/api/v1/tts/convert",
            &json!({ "text": "Hei maailma!", "custom_filename": "tervehdys" }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    let id = created["conversion_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), "20251120_144732_965a1022".len(), "{id}");
    assert_eq!(created["text"], "Hei maailma!");
    assert!(created["submitted_at"].is_string());

    let task = wait_for_task(&app, &id).await;
    assert_eq!(task["status"], "done");
    assert_eq!(task["custom_filename"], "tervehdys");
    assert!(task["output_file_path"]
        .as_str()
        .unwrap()
        .ends_with("tervehdys.wav"));
    assert_eq!(task["duration"], 0.4);

    let resp = app.get(&format!("/api/v1/tts/{id}/download")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "audio/wav");
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=tervehdys.wav"
    );
    let wav = resp.bytes().await.unwrap();
    assert_eq!(wav.len() as i64, task["file_size"].as_i64().unwrap());
    assert_eq!(wav_info(&wav).3, HEI_MAAILMA_SAMPLES);

    // The same text again is deduplicated to the same task, whatever its name.
    let again: Value = app
        .post_json(
            "/api/v1/tts/convert",
            &json!({ "text": "Hei maailma!", "custom_filename": "other" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["conversion_id"], id.as_str());
    assert_eq!(again["status"], "done");
}

#[tokio::test]
async fn legacy_convert_multiple_dedupes_and_skips_refused_texts() {
    let app = spawn_app_with_engine(&[]).await;
    let resp = app
        .post_json(
            "/api/v1/tts/convert-multiple",
            &json!({ "texts": ["Yksi.", "Kaksi.", "Yksi."] }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    let ids = body["conversion_ids"].as_array().unwrap();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], ids[2]);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(body["status"], "queued");
    assert_eq!(body["texts"], json!(["Yksi.", "Kaksi.", "Yksi."]));

    let resp = app
        .post_json(
            "/api/v1/tts/convert-multiple",
            &json!({ "texts": ["Yksi.", "  "] }),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["detail"][0]["loc"], json!(["body", "texts"]));
    assert_eq!(
        body["detail"][0]["msg"],
        "Value error, Text item at index 1 cannot be empty"
    );

    let resp = app
        .post_json(
            "/api/v1/tts/convert-multiple",
            &json!({ "texts": ["Hello"], "language": "en" }),
        )
        .await;
    assert_eq!(detail(resp, 503).await, "Failed to submit TTS tasks");
}

#[tokio::test]
async fn legacy_errors_follow_the_contract() {
    let app = spawn_app_with_engine(&[]).await;
    let resp = app.get("/api/v1/tts/nope").await;
    assert_eq!(detail(resp, 404).await, "Task with ID 'nope' not found");
    let resp = app.get("/api/v1/tts/nope/download").await;
    assert_eq!(detail(resp, 404).await, "Task with ID 'nope' not found");
    let resp = app.get("/api/v1/tts?status=Done").await;
    assert_eq!(
        detail(resp, 422).await,
        "Invalid status. Must be one of: queued, processing, completed, failed, done"
    );
    for limit in ["0", "1001"] {
        let resp = app.get(&format!("/api/v1/tts?limit={limit}")).await;
        assert_eq!(detail(resp, 422).await, "Limit must be between 1 and 1000");
    }
    let resp = app.get("/api/v1/tts?limit=abc").await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["detail"][0]["loc"], json!(["query", "limit"]));

    let languages: Value = app
        .get("/api/v1/tts/supported-languages")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(languages, json!(["fi"]));

    for name in ["../escape", "a/b", "a\\b", ".."] {
        let resp = app
            .post_json(
                "/api/v1/tts/convert",
                &json!({ "text": "Hei", "custom_filename": name }),
            )
            .await;
        assert_eq!(resp.status(), 422, "{name}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["detail"][0]["loc"], json!(["body", "custom_filename"]));
    }
    assert!(!app.dir.path().join("escape.wav").exists());

    // A failed task cannot be downloaded.
    let created: Value = app
        .post_json("/api/v1/tts/convert", &json!({ "text": "!!!" }))
        .await
        .json()
        .await
        .unwrap();
    let id = created["conversion_id"].as_str().unwrap();
    assert_eq!(wait_for_task(&app, id).await["status"], "failed");
    let resp = app.get(&format!("/api/v1/tts/{id}/download")).await;
    assert_eq!(
        detail(resp, 400).await,
        "Task is not completed. Current status: failed"
    );
    let failed: Vec<Value> = app
        .get("/api/v1/tts?status=failed")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
}

#[tokio::test]
async fn legacy_convert_without_an_engine_is_503() {
    let app = spawn_app().await;
    let resp = app
        .post_json("/api/v1/tts/convert", &json!({ "text": "Hei" }))
        .await;
    assert_eq!(detail(resp, 503).await, "Failed to submit TTS task");
    let app = spawn_app_with(&[("TTS_PROVIDER", "azure")]).await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["checks"]["tts_service"]["detail"], "not initialized");
}

/// Before items were committed with their task, a crash between the two
/// transactions left a `pending` item with no task, which a sweep had to
/// find. Such an item from an older database is marked `failed` by
/// migration 0007, and a retry makes it speak.
#[tokio::test]
async fn an_item_an_older_version_left_without_a_task_fails_at_migration_and_can_be_retried() {
    let mut app = spawn_app_with_engine(&[]).await;
    app.stop().await;
    let pool = app.db().await;
    sqlx::query(
        "INSERT INTO items (id, locale, text, difficulty, tags_json, tts_status, created_at, updated_at) \
         VALUES (101, 'fi', 'Näkemiin!', 1, '[]', 'pending', $1, $2)",
    )
    .bind("2026-01-01 10:00:00.000000")
    .bind("2026-01-01 10:00:00.000000")
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 7")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let app = app.restart().await;
    let item: Value = app.get("/v1/items/101").await.json().await.unwrap();
    assert_eq!(item["tts_status"], "failed");
    let resp = app
        .client
        .post(app.url("/v1/items/101/tts/retry"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    assert_eq!(app.wait_for_tts(101).await["tts_status"], "ready");
}
