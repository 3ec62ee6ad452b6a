//! Attempts are group-committed (several per transaction under load): a
//! server killed with SIGKILL while sixteen clients post attempts must,
//! after a restart, have every attempt it answered 201 — and statistics
//! that count them (the kept aggregates are written in the same
//! transactions). Runs the real binary on a SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(database_url: &str, audio_dir: &std::path::Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_last-whisper"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", database_url)
        .env("AUDIO_DIR", audio_dir)
        // No engine: attempts need none.
        .env("TTS_MODEL_DIR", audio_dir.join("no-model"))
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    Server {
        child: cmd.spawn().expect("start last-whisper"),
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_up(client: &reqwest::Client, server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "server never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_answered_attempt_is_lost_when_the_server_is_killed_mid_batch() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("lw.db").display());
    let client = reqwest::Client::new();
    let mut server = start(&url, dir.path());
    wait_up(&client, &server).await;
    let items: Vec<Value> = (0..10)
        .map(|n| json!({"locale": "fi", "text": format!("Tämä on lause numero {n}.")}))
        .collect();
    let created: Value = client
        .post(format!("{}/v1/items/bulk", server.base))
        .json(&json!({ "items": items }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = created["created_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();

    let answered = Arc::new(Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for n in 0..16 {
        let (client, base, ids, answered) = (
            client.clone(),
            server.base.clone(),
            ids.clone(),
            answered.clone(),
        );
        clients.push(tokio::spawn(async move {
            for k in 0.. {
                let body = json!({"item_id": ids[(n + k) % ids.len()], "text": "tämä on lause"});
                let Ok(resp) = client
                    .post(format!("{base}/v1/attempts"))
                    .json(&body)
                    .send()
                    .await
                else {
                    break;
                };
                if resp.status() != 201 {
                    break;
                }
                let Ok(attempt) = resp.json::<Value>().await else {
                    break;
                };
                answered
                    .lock()
                    .unwrap()
                    .push(attempt["id"].as_i64().unwrap());
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() > 50,
        "too few attempts before the kill: {}",
        answered.len()
    );

    let server = start(&url, dir.path());
    wait_up(&client, &server).await;
    let mut missing = Vec::new();
    for id in &answered {
        let resp = client
            .get(format!("{}/v1/attempts/{id}", server.base))
            .send()
            .await
            .unwrap();
        if resp.status() != 200 {
            missing.push(*id);
        }
    }
    assert!(
        missing.is_empty(),
        "answered but lost: {missing:?} of {}",
        answered.len()
    );
    let get = |path: String| {
        let client = client.clone();
        async move {
            let v: Value = client.get(path).send().await.unwrap().json().await.unwrap();
            v
        }
    };
    let summary = get(format!("{}/v1/stats/summary", server.base)).await;
    let total = summary["total_attempts"].as_i64().unwrap();
    assert!(
        total >= answered.len() as i64,
        "{total} < {}",
        answered.len()
    );
    let recomputed = get(format!("{}/v1/stats/summary?since=2000-01-01", server.base)).await;
    assert_eq!(summary, recomputed);
}
