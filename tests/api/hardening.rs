//! Hardening findings of an outside attack (issue 17), each through the
//! real server; the API suite runs on SQLite and again on PostgreSQL.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with_engine};
use crate::speech::{connect, create_session};
use crate::tts::wait_for_task;

/// A Finnish item with `text`; its id.
async fn new_item(app: &crate::helpers::TestApp, text: &str) -> i64 {
    app.create_item(json!({ "locale": "fi", "text": text }))
        .await["id"]
        .as_i64()
        .unwrap()
}

async fn refused_for_nul(resp: reqwest::Response, what: &str) -> Value {
    assert_eq!(resp.status(), 422, "{what}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["detail"][0]["type"], "string_nul", "{what}: {body}");
    body["detail"][0]["loc"].clone()
}

/// NUL (U+0000) is refused with a 422 in every text field, the same on
/// SQLite and PostgreSQL (where it was a 500, and a stored tag broke every
/// later tag filter).
#[tokio::test]
async fn nul_characters_are_refused_before_anything_is_stored() {
    let app = spawn_app().await;
    let id = new_item(&app, "Hei").await;
    let nul = "x\u{0}y";
    let bodies = [
        (
            "/v1/items",
            json!({ "locale": "fi", "text": nul }),
            json!(["body", "text"]),
        ),
        (
            "/v1/items",
            json!({ "locale": nul, "text": "Hei" }),
            json!(["body", "locale"]),
        ),
        (
            "/v1/items",
            json!({ "locale": "fi", "text": "Hei", "voice": nul }),
            json!(["body", "voice"]),
        ),
        (
            "/v1/items",
            json!({ "locale": "fi", "text": "Hei", "spoken_text": nul }),
            json!(["body", "spoken_text"]),
        ),
        (
            "/v1/items",
            json!({ "locale": "fi", "text": "Hei", "tags": ["ok", nul] }),
            json!(["body", "tags", 1]),
        ),
        (
            "/v1/items/bulk",
            json!({ "items": [{ "locale": "fi", "text": nul }] }),
            json!(["body", "items", 0, "text"]),
        ),
        (
            "/v1/attempts",
            json!({ "item_id": id, "text": nul }),
            json!(["body", "text"]),
        ),
        ("/v1/tags", json!({ "name": nul }), json!(["body", "name"])),
        (
            "/api/v1/tts/convert",
            json!({ "text": nul }),
            json!(["body", "text"]),
        ),
    ];
    for (path, body, loc) in bodies {
        let got = refused_for_nul(app.post_json(path, &body).await, path).await;
        assert_eq!(got, loc, "{path}");
    }
    let patches = [
        (
            format!("/v1/items/{id}/tags"),
            json!({ "tags": ["x\u{0}"] }),
        ),
        (
            format!("/v1/items/{id}/spoken-text"),
            json!({ "spoken_text": nul }),
        ),
    ];
    for (path, body) in patches {
        refused_for_nul(app.patch_json(&path, &body).await, &path).await;
    }
    for path in [
        "/api/v1/tts/%00",
        "/api/v1/tts/a%00b/download",
        "/v1/items?tag=%00",
        "/v1/attempts?since=%00",
    ] {
        refused_for_nul(app.get(path).await, path).await;
    }
    // Nothing was stored, and tag filters still work for everyone.
    let items: Value = app.get("/v1/items").await.json().await.unwrap();
    assert_eq!(items["total"], 1);
    assert_eq!(items["items"][0]["tags"], json!([]));
    assert_eq!(app.get("/v1/items?tag=x").await.status(), 200);
    assert_eq!(
        app.get("/v1/attempts").await.json::<Value>().await.unwrap()["total"],
        0
    );
}

/// A tag list stored with an escaped NUL before the rule existed is
/// repaired by the migration, and tag filters answer again.
#[tokio::test]
async fn stored_tags_with_nul_are_repaired_at_migration() {
    let app = spawn_app().await;
    let id = app
        .create_item(json!({ "locale": "fi", "text": "Hei", "tags": ["arki"] }))
        .await["id"]
        .as_i64()
        .unwrap();
    let db = app.db().await;
    sqlx::query("UPDATE items SET tags_json = $1 WHERE id = $2")
        .bind(r#"["arki","x\u0000"]"#)
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 5")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let app = app.restart().await;
    let item: Value = app
        .get(&format!("/v1/items/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(item["tags"], json!(["arki", "x"]));
    let found: Value = app.get("/v1/items?tag=arki").await.json().await.unwrap();
    assert_eq!(found["total"], 1);
}

/// `custom_filename` names the download only: a legacy task named like an
/// item's file cannot replace that item's audio, and a name with `;` stays
/// one quoted file name in `Content-Disposition`.
#[tokio::test]
async fn a_custom_filename_never_overwrites_item_audio() {
    let app = spawn_app_with_engine(&[]).await;
    let id = new_item(&app, "Hyvää huomenta").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    let before = app
        .get(&format!("/v1/items/{id}/audio"))
        .await
        .bytes()
        .await
        .unwrap();

    for (name, disposition) in [
        (
            format!("item_{id}"),
            format!("attachment; filename=item_{id}.wav"),
        ),
        (
            "a; filename=evil.exe; x".to_string(),
            r#"attachment; filename="a; filename=evil.exe; x.wav""#.to_string(),
        ),
    ] {
        let text = format!("Aivan toinen lause {}", name.len());
        let created: Value = app
            .post_json(
                "/api/v1/tts/convert",
                &json!({ "text": text, "custom_filename": name }),
            )
            .await
            .json()
            .await
            .unwrap();
        let task_id = created["conversion_id"].as_str().unwrap().to_string();
        let task = wait_for_task(&app, &task_id).await;
        assert_eq!(task["status"], "done");
        assert_eq!(task["custom_filename"], name.as_str());
        let resp = app.get(&format!("/api/v1/tts/{task_id}/download")).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-disposition"], disposition.as_str());
    }
    let after = app
        .get(&format!("/v1/items/{id}/audio"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(before, after, "the item's audio was replaced");
}

/// Slow clients cannot hold sockets: a connection that sends nothing or
/// half a head is closed after the header-read timeout, and connections
/// over the per-address cap get a 503 in the contract's shape at once,
/// while the server keeps answering.
#[tokio::test]
async fn slow_and_surplus_connections_are_closed() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let app = crate::helpers::spawn_app_with(&[
        ("HTTP_HEADER_READ_TIMEOUT_SECONDS", "1"),
        ("HTTP_MAX_CONNECTIONS_PER_ADDRESS", "3"),
    ])
    .await;
    let addr = app.address.trim_start_matches("http://").to_string();
    let closed_within = |mut s: TcpStream, limit: Duration| async move {
        let started = Instant::now();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(limit, s.read(&mut buf))
            .await
            .expect("the server kept the connection open")
            .unwrap_or(0);
        (n, started.elapsed())
    };

    let silent = TcpStream::connect(&addr).await.unwrap();
    let (n, took) = closed_within(silent, Duration::from_secs(5)).await;
    assert_eq!(n, 0, "closed without an answer");
    assert!(took >= Duration::from_millis(900), "{took:?}");

    let mut half = TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"GET /health HTTP/1.1\r\nHo").await.unwrap();
    let (n, _) = closed_within(half, Duration::from_secs(5)).await;
    assert_eq!(n, 0);

    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut surplus = TcpStream::connect(&addr).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), surplus.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    assert!(
        answer.ends_with(r#"{"detail":"Too many open connections from this address"}"#),
        "{answer}"
    );
    drop(held);
    // Once the held sockets are gone, the address is served again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.get("/health").await.status(), 200);
}

/// The SQLite file of the running server, or `None` on PostgreSQL.
fn sqlite_file(app: &crate::helpers::TestApp) -> Option<std::path::PathBuf> {
    app.database_url
        .strip_prefix("sqlite:///")
        .map(std::path::PathBuf::from)
}

/// A 503 in the contract's shape whose detail starts with `prefix`.
async fn assert_unavailable(resp: reqwest::Response, prefix: &str) {
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().starts_with(prefix),
        "{body}"
    );
}

async fn database_check(app: &crate::helpers::TestApp) -> Value {
    let health: Value = app.get("/health").await.json().await.unwrap();
    health["checks"]["database"]["status"].clone()
}

/// A database file deleted under the running server is noticed within
/// seconds: `/health` says so and writes answer 503 instead of landing in
/// an unlinked file that a restart would lose.
#[tokio::test]
async fn a_deleted_database_file_is_detected_and_writes_are_refused() {
    let app = spawn_app().await;
    let Some(file) = sqlite_file(&app) else {
        return; // PostgreSQL: no file to delete.
    };
    let id = new_item(&app, "Hei").await;
    assert_eq!(database_check(&app).await, "healthy");
    std::fs::remove_file(&file).unwrap();
    let started = std::time::Instant::now();
    while database_check(&app).await == "healthy" {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "not detected within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["status"], "unhealthy");
    // An object with no detail: the cause is only in the log.
    assert_eq!(
        health["checks"]["database"],
        json!({ "status": "unhealthy" })
    );
    for (path, body) in [
        ("/v1/items", json!({ "locale": "fi", "text": "Uusi" })),
        ("/v1/attempts", json!({ "item_id": id, "text": "hei" })),
    ] {
        assert_unavailable(app.post_json(path, &body).await, "Database unavailable").await;
    }
}

/// A database locked by another process: `/health` says the database is
/// unhealthy, a write answers 503 (not 500) after the busy timeout, and
/// once the lock is gone writes succeed again.
#[tokio::test]
async fn a_locked_database_is_unhealthy_and_writes_answer_503() {
    let app = spawn_app().await;
    if sqlite_file(&app).is_none() {
        return;
    }
    let db = app.db().await;
    let mut other = db.acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *other)
        .await
        .unwrap();
    assert_eq!(database_check(&app).await, "unhealthy");
    let resp = app
        .post_json("/v1/items", &json!({ "locale": "fi", "text": "Lukittu" }))
        .await;
    assert_unavailable(resp, "Database unavailable").await;
    sqlx::query("ROLLBACK").execute(&mut *other).await.unwrap();
    drop(other);
    db.close().await;
    assert_eq!(database_check(&app).await, "healthy");
    let resp = app
        .post_json("/v1/items", &json!({ "locale": "fi", "text": "Vapaa" }))
        .await;
    assert_eq!(resp.status(), 202);
}

/// Low disk space makes the audio directory unhealthy (it said healthy with
/// 52 KB free); the threshold is a setting, here above any real free space.
#[tokio::test]
async fn low_free_space_makes_the_audio_directory_unhealthy() {
    let app =
        crate::helpers::spawn_app_with(&[("AUDIO_MIN_FREE_BYTES", "1000000000000000000")]).await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(
        health["checks"]["audio_directory"],
        json!({ "status": "unhealthy", "detail": "free space below AUDIO_MIN_FREE_BYTES" })
    );
    assert_eq!(health["status"], "unhealthy");
    let app = spawn_app().await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(
        health["checks"]["audio_directory"],
        json!({ "status": "healthy" })
    );
}

/// An item whose audio cannot be removed is not deleted: 503, and the item
/// and its file stay (it answered 204 and left the WAV behind).
#[tokio::test]
async fn a_delete_that_cannot_remove_the_audio_keeps_the_item() {
    let app = spawn_app().await;
    let id = new_item(&app, "Hei").await;
    app.wait_for_tts(id).await;
    // Something at the audio path that cannot be removed as a file.
    let path = app.audio_dir.join(format!("item_{id}.wav"));
    std::fs::create_dir_all(path.join("stuck")).unwrap();
    let resp = app.delete(&format!("/v1/items/{id}")).await;
    assert_unavailable(resp, "Storage unavailable").await;
    assert_eq!(app.get(&format!("/v1/items/{id}")).await.status(), 200);
    std::fs::remove_dir_all(&path).unwrap();
    assert_eq!(app.delete(&format!("/v1/items/{id}")).await.status(), 204);
}

/// A long text, many sentences (one engine call each).
fn long_text(sentences: usize) -> String {
    (0..sentences)
        .map(|i| {
            format!(
                "Tämä on pitkä lause numero {} jota luetaan hitaasti.",
                i + 1
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Open a `/synthesizeSpeech` stream on a raw socket and read only the
/// response head; the body is then left unread.
async fn unread_stream(app: &crate::helpers::TestApp, body: &Value) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let json = body.to_string();
    let request = format!(
        "POST /synthesizeSpeech HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        socket.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    socket
}

async fn engine_calls(app: &crate::helpers::TestApp) -> i64 {
    let stats: Value = app.get("/v1/tts/cache").await.json().await.unwrap();
    stats["engine_calls"].as_i64().unwrap()
}

/// A reader that stops reading is cut off after the slow-reader limit, so a
/// request for the same audio is answered in full instead of waiting 30 s
/// for a 503.
#[tokio::test]
async fn a_stalled_reader_does_not_block_others_asking_for_the_same_audio() {
    let app = spawn_app_with_engine(&[("SPEECH_SLOW_READER_SECONDS", "1")]).await;
    let body = json!({ "text": long_text(40), "format": "pcm16", "sample_rate": 192000 });
    let stalled = unread_stream(&app, &body).await;
    let started = std::time::Instant::now();
    let resp = app.post_json("/synthesizeSpeech", &body).await;
    assert_eq!(resp.status(), 200);
    let audio = resp.bytes().await.unwrap();
    assert!(audio.len() > 1_000_000, "{} bytes", audio.len());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "waited {:?}",
        started.elapsed()
    );
    drop(stalled);
}

/// A production whose only reader goes away stops instead of synthesising
/// the rest of the text for nobody.
#[tokio::test]
async fn a_production_stops_when_its_last_listener_is_gone() {
    let app = spawn_app_with_engine(&[("SPEECH_SLOW_READER_SECONDS", "1")]).await;
    let sentences = 150;
    let body = json!({ "text": long_text(sentences), "format": "pcm16", "sample_rate": 192000 });
    let socket = unread_stream(&app, &body).await;
    drop(socket);
    // Let the producer notice (it waits for the reader at most 1 s).
    let mut last = -1;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let now = engine_calls(&app).await;
        if now == last {
            break;
        }
        last = now;
    }
    assert!(
        last < sentences as i64 / 2,
        "{last} of {sentences} sentences synthesised for nobody"
    );
    // Nothing half-made is served: the same request is produced afresh.
    let resp = app
        .post_json(
            "/synthesizeSpeech",
            &json!({ "text": "Hei maailma!", "format": "wav" }),
        )
        .await;
    assert_eq!(resp.status(), 200);
}

/// A WebSocket client that never reads cannot hold its session (a task and
/// a socket) for ever: once writes make no progress for the idle timeout,
/// the server gives up on it.
#[tokio::test]
async fn a_websocket_that_is_never_read_is_let_go() {
    let app = spawn_app_with_engine(&[
        ("HTTP_IDLE_TIMEOUT_SECONDS", "2"),
        ("SPEECH_SLOW_READER_SECONDS", "1"),
    ])
    .await;
    let id = create_session(
        &app,
        json!({ "text": long_text(40), "target_format": "pcm16", "sample_rate_hz": 192000 }),
    )
    .await;
    let ws = connect(&app, &id, "").await;
    let started = std::time::Instant::now();
    loop {
        let info: Value = app
            .get(&format!("/v1/tts/sessions/{id}"))
            .await
            .json()
            .await
            .unwrap();
        if info["status"] == "failed" {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the session still holds its stalled client: {info}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    drop(ws);
}
