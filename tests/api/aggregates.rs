//! The kept attempt aggregates (issue 22) against a full recomputation:
//! random sequences of item creations, attempts and item deletions through
//! the real server, over a history spread across days, must leave the
//! aggregate tables equal to a rebuild from the attempts table, and every
//! unwindowed statistic equal to the same statistic computed from the
//! attempts themselves (a window that covers all of history).

use chrono::{Duration, Local};
use serde_json::{json, Value};

use last_whisper::db::attempt_stats::{DayAggregate, ItemAggregate};

use crate::helpers::{spawn_app, TestApp};

const WORDS: [&str; 12] = [
    "hyvää",
    "huomenta",
    "kaikille",
    "täällä",
    "kissa",
    "istuu",
    "ikkunalla",
    "ja",
    "katsoo",
    "ulos",
    "sataa",
    "lunta",
];

fn sentence(rng: &mut fastrand::Rng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.usize(..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

async fn new_item(app: &TestApp, rng: &mut fastrand::Rng) -> i64 {
    let words = rng.usize(2..8);
    let text = sentence(rng, words);
    let body = app.create_item(json!({"locale": "fi", "text": text})).await;
    body["id"].as_i64().expect("item id")
}

/// A history before today: attempts moved back 1..=40 days, then the
/// aggregates rebuilt (as the service does at start after such writes).
async fn seed_history(app: &TestApp, rng: &mut fastrand::Rng, items: &[i64]) {
    let mut moved = Vec::new();
    for _ in 0..40 {
        let item = items[rng.usize(..items.len())];
        let attempt = app.create_attempt(item, &sentence(rng, 4)).await;
        let when = Local::now().naive_local() - Duration::days(rng.i64(1..=40));
        moved.push((attempt["id"].as_i64().expect("attempt id"), when));
    }
    let pool = app.db().await;
    for (id, when) in moved {
        sqlx::query("UPDATE attempts SET created_at = $1 WHERE id = $2")
            .bind(when.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    }
    let mut conn = pool.acquire().await.unwrap();
    last_whisper::db::attempt_stats::rebuild(&mut conn)
        .await
        .unwrap();
    drop(conn);
    pool.close().await;
}

type Snapshot = (Vec<Vec<String>>, Vec<Vec<String>>, Vec<i64>);

/// The aggregate tables, floats to nine decimals (summed in another order
/// than a recomputation, they may differ in their last bits only).
async fn snapshot(pool: &sqlx::AnyPool) -> Snapshot {
    let items: Vec<ItemAggregate> = sqlx::query_as(
        "SELECT item_id, attempts, percentage_sum, best_percentage, worst_percentage, wer_sum, \
         best_wer, worst_wer, first_attempt_at, last_attempt_at FROM item_attempt_stats \
         ORDER BY item_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let days: Vec<DayAggregate> = sqlx::query_as(
        "SELECT day, attempts, percentage_sum, percentage_spoken_sum, wer_sum \
         FROM daily_attempt_stats ORDER BY day",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let totals: (i64, i64, i64) =
        sqlx::query_as("SELECT attempts, items, percentage_sum FROM attempt_totals WHERE id = 1")
            .fetch_one(pool)
            .await
            .unwrap();
    (
        items
            .into_iter()
            .map(|r| {
                vec![
                    r.item_id.to_string(),
                    r.attempts.to_string(),
                    r.percentage_sum.to_string(),
                    r.best_percentage.to_string(),
                    r.worst_percentage.to_string(),
                    format!("{:.9}", r.wer_sum),
                    r.best_wer.to_string(),
                    r.worst_wer.to_string(),
                    r.first_attempt_at,
                    r.last_attempt_at,
                ]
            })
            .collect(),
        days.into_iter()
            .map(|r| {
                vec![
                    r.day,
                    r.attempts.to_string(),
                    r.percentage_sum.to_string(),
                    r.percentage_spoken_sum.to_string(),
                    format!("{:.9}", r.wer_sum),
                ]
            })
            .collect(),
        vec![totals.0, totals.1, totals.2],
    )
}

async fn json(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

/// Unwindowed statistics (from the aggregates) equal the same statistics
/// over a window that covers everything (computed from the attempts).
async fn statistics_agree(app: &TestApp, items: &[i64]) {
    let all = "since=2000-01-01";
    assert_eq!(
        json(app, "/v1/stats/summary").await,
        json(app, &format!("/v1/stats/summary?{all}")).await
    );
    assert_eq!(
        json(app, "/v1/stats/practice-log?limit=100").await,
        json(app, &format!("/v1/stats/practice-log?limit=100&{all}")).await
    );
    assert_eq!(
        json(app, "/v1/attempts?per_page=1").await["total"],
        json(app, &format!("/v1/attempts?per_page=1&{all}")).await["total"]
    );
    for item in items {
        let unwindowed = json(app, &format!("/v1/attempts?item_id={item}&per_page=1")).await;
        let stats = json(app, &format!("/v1/stats/items/{item}")).await;
        assert_eq!(stats["attempts_count"], unwindowed["total"], "item {item}");
    }
}

#[tokio::test]
async fn kept_aggregates_equal_a_full_recomputation_after_random_writes() {
    for seed in [7_u64, 19, 2026] {
        let app = spawn_app().await;
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut items = Vec::new();
        for _ in 0..8 {
            items.push(new_item(&app, &mut rng).await);
        }
        seed_history(&app, &mut rng, &items).await;
        for _ in 0..120 {
            match rng.u8(0..10) {
                0 | 1 => items.push(new_item(&app, &mut rng).await),
                2 if items.len() > 1 => {
                    let item = items.swap_remove(rng.usize(..items.len()));
                    let resp = app.delete(&format!("/v1/items/{item}")).await;
                    assert_eq!(resp.status(), 204, "seed {seed}");
                }
                _ if !items.is_empty() => {
                    let item = items[rng.usize(..items.len())];
                    let words = rng.usize(0..7);
                    app.create_attempt(item, &sentence(&mut rng, words)).await;
                }
                _ => {}
            }
        }
        statistics_agree(&app, &items).await;
        let pool = app.db().await;
        let kept = snapshot(&pool).await;
        let mut conn = pool.acquire().await.unwrap();
        last_whisper::db::attempt_stats::rebuild(&mut conn)
            .await
            .unwrap();
        drop(conn);
        assert_eq!(kept, snapshot(&pool).await, "seed {seed}");
        assert!(!kept.1.is_empty() && kept.2[0] > 0, "seed {seed}: {kept:?}");
        pool.close().await;
    }
}

#[tokio::test]
async fn aggregates_are_rebuilt_at_start_when_rows_were_written_around_the_service() {
    let app = spawn_app().await;
    let mut rng = fastrand::Rng::with_seed(3);
    let item = new_item(&app, &mut rng).await;
    app.create_attempt(item, "hyvää huomenta").await;
    // Another tool copies an attempt in directly.
    let pool = app.db().await;
    sqlx::query(
        "INSERT INTO attempts (item_id, text, percentage, wer, words_ref, words_correct, \
         percentage_spoken, created_at) SELECT item_id, text, 40, 0.6, words_ref, 0, 40, \
         created_at FROM attempts",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let stale = json(&app, "/v1/stats/summary").await;
    assert_eq!(
        stale["total_attempts"], 1,
        "the kept totals lag until a restart"
    );

    let app = app.restart().await;
    let summary = json(&app, "/v1/stats/summary").await;
    assert_eq!(summary["total_attempts"], 2);
    assert_eq!(
        summary,
        json(&app, "/v1/stats/summary?since=2000-01-01").await
    );
}

async fn null_outcomes(app: &TestApp) -> i64 {
    let pool = app.db().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attempts WHERE word_outcomes IS NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// The most-missed words read the outcomes stored with each attempt; they
/// equal a fresh alignment of every attempt, older attempts get theirs after
/// a restart, and outcomes made against a text since changed are not used.
#[tokio::test]
async fn stored_word_outcomes_give_the_words_a_fresh_alignment_gives() {
    let app = spawn_app().await;
    let mut rng = fastrand::Rng::with_seed(11);
    let mut items = Vec::new();
    for _ in 0..5 {
        items.push(new_item(&app, &mut rng).await);
    }
    for _ in 0..60 {
        let item = items[rng.usize(..items.len())];
        let words = rng.usize(1..7);
        app.create_attempt(item, &sentence(&mut rng, words)).await;
    }
    assert_eq!(
        null_outcomes(&app).await,
        0,
        "stored with every new attempt"
    );
    let paths = [
        "/v1/stats/words?limit=100".to_string(),
        format!("/v1/stats/words?limit=100&item_id={}", items[0]),
    ];
    let mut stored = Vec::new();
    for path in &paths {
        stored.push(json(&app, path).await);
    }
    assert!(!stored[0]["words"].as_array().unwrap().is_empty());

    // As attempts stored before outcomes existed: aligned on every count.
    forget_outcomes(&app, items[1]).await;
    for (path, expected) in paths.iter().zip(&stored) {
        assert_eq!(&json(&app, path).await, expected, "{path}");
    }
    // A restart gives them their outcomes in the background.
    let app = app.restart().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while null_outcomes(&app).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "backfill never finished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for (path, expected) in paths.iter().zip(&stored) {
        assert_eq!(&json(&app, path).await, expected, "{path}");
    }

    // A changed spoken text: the words follow the item as it is now.
    set_spoken_text(&app, items[0], "ulos sataa lunta").await;
    let now_stored = json(&app, &paths[1]).await;
    forget_outcomes(&app, items[1]).await;
    assert_eq!(json(&app, &paths[1]).await, now_stored);
}

/// Clears every attempt's stored outcomes behind the service's back, then
/// changes the spoken text of a new item without attempts through the API: a
/// change to the data the word counts are kept under (no answer changes), so
/// the next call counts again, by alignment. `item` gets new tags, which
/// change nothing counted.
/// `PATCH /v1/items/{item}/spoken-text`, which must succeed.
async fn set_spoken_text(app: &TestApp, item: i64, spoken_text: &str) {
    let resp = app
        .patch_json(
            &format!("/v1/items/{item}/spoken-text"),
            &json!({ "spoken_text": spoken_text }),
        )
        .await;
    assert_eq!(resp.status(), 200, "spoken text of item {item}");
}

async fn forget_outcomes(app: &TestApp, item: i64) {
    let pool = app.db().await;
    sqlx::query("UPDATE attempts SET word_outcomes = NULL")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let resp = app
        .patch_json(
            &format!("/v1/items/{item}/tags"),
            &json!({"tags": [format!("recount-{}", fastrand::u32(..))]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let unpractised = app
        .create_item(json!({"locale": "fi", "text": "kissa istuu"}))
        .await["id"]
        .as_i64()
        .expect("item id");
    set_spoken_text(
        app,
        unpractised,
        &format!("kissa istuu {}", fastrand::u32(..)),
    )
    .await;
}

/// The count over all items is moved on by the attempts added since the last
/// call, not made again; after additions, removals (an item deleted with its
/// attempts) and a changed spoken text it equals a count from scratch (the
/// same data read by a restarted server).
#[tokio::test]
async fn the_moving_word_count_equals_a_count_from_scratch() {
    let mut app = spawn_app().await;
    let mut rng = fastrand::Rng::with_seed(23);
    let mut items = Vec::new();
    for _ in 0..6 {
        items.push(new_item(&app, &mut rng).await);
    }
    let path = "/v1/stats/words?limit=200";
    for round in 0..6 {
        for _ in 0..rng.usize(1..15) {
            let item = items[rng.usize(..items.len())];
            let words = rng.usize(1..7);
            app.create_attempt(item, &sentence(&mut rng, words)).await;
        }
        match round {
            2 => {
                let gone = items.remove(0);
                assert_eq!(app.delete(&format!("/v1/items/{gone}")).await.status(), 204);
            }
            4 => set_spoken_text(&app, items[0], "katsoo ulos ikkunalla").await,
            _ => {}
        }
        let moved = json(&app, path).await;
        app = app.restart().await;
        let counted = json(&app, path).await;
        assert_eq!(moved, counted, "round {round}");
        assert!(!counted["words"].as_array().unwrap().is_empty());
        // Primes the restarted server's count, which the next round moves.
        assert_eq!(json(&app, path).await, counted);
    }
}
