//! Two server processes on one PostgreSQL database and one audio directory:
//! 200 items created across both (10 texts on both at once), one instance
//! killed (SIGKILL) mid-run, and
//! the survivor finishes everything. Checks that every item ends `ready`
//! with audio, every task is done, and no task was synthesised twice except
//! those the dead instance held (claimed, not yet recorded done) when it died.
//!
//! Needs `TEST_POSTGRES_URL` (scripts/test.sh starts a server and sets it).
//! Without it the test says so and passes, unless `REQUIRE_POSTGRES_TESTS`
//! is set (as scripts/test.sh does), so the full suite can never skip it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::Connection;

#[path = "support/postgres.rs"]
mod postgres;

const ITEMS_PER_INSTANCE: usize = 100;
/// The first items of both instances have the same texts, created at the
/// same moment on both: one task each must serve both items.
const SHARED_TEXTS: usize = 10;
/// Short lease so the takeover happens within seconds.
const LEASE_SECONDS: &str = "3";

struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn start_instance(
    database_url: &str,
    audio_dir: &std::path::Path,
    log: &std::path::Path,
) -> Instance {
    let port = free_port();
    let log = std::fs::File::create(log).expect("log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_last-whisper"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", database_url)
        .env("AUDIO_DIR", audio_dir)
        .env("TTS_PROVIDER", "local")
        .env(
            "TTS_MODEL_DIR",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/models/mms-fin-random-tiny-det"
            ),
        )
        .env("TTS_DEVICE", "cpu")
        .env("TTS_THREAD_COUNT", "1")
        .env("TTS_WORKERS", "1")
        .env("TTS_LEASE_SECONDS", LEASE_SECONDS)
        .env("LOG_LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    if let Ok(path) = std::env::var("ORT_DYLIB_PATH") {
        cmd.env("ORT_DYLIB_PATH", path);
    }
    Instance {
        child: cmd.spawn().expect("start last-whisper"),
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_healthy(client: &reqwest::Client, instance: &Instance) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(resp) = client.get(format!("{}/health", instance.base)).send().await {
            let body: Value = resp.json().await.unwrap_or_default();
            if body["status"] == "healthy" && body["checks"]["tts_service"]["status"] == "healthy" {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} never became healthy",
            instance.base
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn create_items(client: &reqwest::Client, instance: &Instance, tag: &str) -> Vec<i64> {
    let items: Vec<Value> = (0..ITEMS_PER_INSTANCE)
        .map(|n| {
            let text = if n < SHARED_TEXTS {
                format!("Yhteinen lause numero {n}.")
            } else {
                format!("Lause {tag} numero {n} on tässä.")
            };
            json!({"locale": "fi", "text": text, "difficulty": 1})
        })
        .collect();
    let resp = client
        .post(format!("{}/v1/items/bulk", instance.base))
        .json(&json!({ "items": items }))
        .send()
        .await
        .expect("bulk create");
    assert_eq!(resp.status(), 202, "bulk create on {}", instance.base);
    let body: Value = resp.json().await.expect("json");
    let created = body["created_items"]
        .as_array()
        .unwrap_or_else(|| panic!("unexpected bulk answer: {body}"))
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect::<Vec<_>>();
    assert_eq!(created.len(), ITEMS_PER_INSTANCE);
    created
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_work_and_one_takes_over_when_the_other_dies() {
    let admin = match std::env::var("TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("REQUIRE_POSTGRES_TESTS").is_err(),
                "REQUIRE_POSTGRES_TESTS is set but TEST_POSTGRES_URL is not"
            );
            eprintln!("skipped: set TEST_POSTGRES_URL (scripts/start-postgres.sh prints one)");
            return;
        }
    };
    let database_url = postgres::create_database(&admin, "lw_multi").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let audio_dir = dir.path().join("audio");
    let client = reqwest::Client::new();

    let mut a = start_instance(&database_url, &audio_dir, &dir.path().join("a.log"));
    let b = start_instance(&database_url, &audio_dir, &dir.path().join("b.log"));
    wait_healthy(&client, &a).await;
    wait_healthy(&client, &b).await;

    // Both take 100 items at once; A dies (SIGKILL) once it has finished a
    // few of its own, with most still queued or in its engine.
    let (from_a, from_b) = tokio::join!(
        create_items(&client, &a, "A"),
        create_items(&client, &b, "B")
    );
    let a_pid = a.child.id();
    let mut db = sqlx::PgConnection::connect(&database_url)
        .await
        .expect("db");
    let kill_deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done_by_a: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM tts_tasks WHERE status = 'done' AND claimed_by LIKE $1",
        )
        .bind(format!("{a_pid}-%"))
        .fetch_one(&mut db)
        .await
        .expect("progress");
        if done_by_a >= 5 {
            break;
        }
        assert!(Instant::now() < kill_deadline, "A never made progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    a.child.kill().expect("kill A");
    a.child.wait().expect("reap A");
    // What A held when it died: the task in its engine, plus any whose
    // completion its monitor had not yet written. Only these may be redone.
    let held_by_a: Vec<String> = sqlx::query_scalar(
        "SELECT task_id FROM tts_tasks WHERE status = 'processing' AND claimed_by LIKE $1",
    )
    .bind(format!("{a_pid}-%"))
    .fetch_all(&mut db)
    .await
    .expect("held by A");

    // The survivor finishes everything (its own and A's, after A's leases lapse).
    let all: Vec<i64> = from_a.iter().chain(&from_b).copied().collect();
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut pending = all.clone();
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} items still not ready; B's log:\n{}",
            pending.len(),
            std::fs::read_to_string(dir.path().join("b.log")).unwrap_or_default()
        );
        let mut still = Vec::new();
        for id in pending {
            let item: Value = client
                .get(format!("{}/v1/items/{id}", b.base))
                .send()
                .await
                .expect("get item")
                .json()
                .await
                .expect("json");
            match item["tts_status"].as_str() {
                Some("ready") => {}
                Some("pending") => still.push(id),
                other => panic!("item {id} ended {other:?}: {item}"),
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    for id in &all {
        let resp = client
            .get(format!("{}/v1/items/{id}/audio", b.base))
            .send()
            .await
            .expect("audio");
        assert_eq!(resp.status(), 200, "audio of item {id}");
        assert!(
            resp.bytes().await.expect("bytes").len() > 44,
            "item {id} has samples"
        );
    }

    let mut db = sqlx::PgConnection::connect(&database_url)
        .await
        .expect("db");
    let tasks: Vec<(String, String, i64, Option<String>)> =
        sqlx::query_as("SELECT task_id, status, claims, claimed_by FROM tts_tasks")
            .fetch_all(&mut db)
            .await
            .expect("tasks");
    assert_eq!(
        tasks.len(),
        2 * ITEMS_PER_INSTANCE - SHARED_TEXTS,
        "one task per distinct text, across instances too"
    );
    assert!(tasks.iter().all(|t| t.1 == "done"), "every task done");
    let twice: Vec<_> = tasks.iter().filter(|t| t.2 > 1).collect();
    // A task is claimed a second time only when its first owner died holding
    // it; no task a live instance held was taken from it.
    assert!(
        twice.iter().all(|t| held_by_a.contains(&t.0)),
        "tasks synthesised twice that A did not hold when it died: {twice:?} (A held {held_by_a:?})"
    );
    let by_a = tasks
        .iter()
        .filter(|t| {
            t.3.as_deref()
                .is_some_and(|o| o.starts_with(&format!("{a_pid}-")))
        })
        .count();
    let linked_to_b_after_takeover: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM items i JOIN tts_tasks t ON t.task_id = i.task_id \
         WHERE i.id = ANY($1) AND t.claimed_by NOT LIKE $2",
    )
    .bind(&from_a)
    .bind(format!("{a_pid}-%"))
    .fetch_one(&mut db)
    .await
    .expect("count");
    assert!(by_a >= 5, "A finished {by_a} tasks before it died");
    assert!(
        linked_to_b_after_takeover > 0,
        "B took over none of A's items (A finished {by_a} before it died)"
    );
    eprintln!(
        "A finished {by_a} tasks before SIGKILL; B took over {linked_to_b_after_takeover} of A's items; \
         tasks claimed twice: {}",
        twice.len()
    );
}
