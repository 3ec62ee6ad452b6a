//! Tests of the contract; see ../../../shared/api-contract.md.
//! `/v1/stats/*` (§3.4, rounding §6.6, windows §1.3, pagination §1.4, §9 #4).

// Helper fns here are not `#[test]`s, so `allow-unwrap-in-tests` does not cover them.

use chrono::{Days, Local, NaiveDateTime};
use serde_json::{json, Value};

use crate::attempts::{id, item, keys, parse_timestamp, q, ts};
use crate::helpers::{spawn_app, validation_locs, TestApp};

const SUMMARY_KEYS: [&str; 6] = [
    "average_score",
    "best_score",
    "total_attempts",
    "total_practice_time_minutes",
    "unique_items_practiced",
    "worst_score",
];

const LOG_ENTRY_KEYS: [&str; 12] = [
    "attempt_count",
    "average_score",
    "avg_wer",
    "best_score",
    "difficulty",
    "first_attempt_at",
    "item_id",
    "last_practiced_at",
    "locale",
    "tags",
    "text",
    "worst_score",
];

const ITEM_STATS_KEYS: [&str; 11] = [
    "attempts_count",
    "avg_percentage",
    "avg_wer",
    "best_percentage",
    "best_wer",
    "first_attempt_at",
    "item_id",
    "last_attempt_at",
    "text",
    "worst_percentage",
    "worst_wer",
];

const WINDOW_ERROR: &str = "'since' must be before 'until'";

/// Three-word reference; attempts below score 100, 66 and 33 %.
const REF: &str = "yksi kaksi kolme";
const P100: &str = "yksi kaksi kolme"; // wer 0.0
const P66: &str = "yksi kaksi x"; // wer 1/3
const P33: &str = "yksi x y"; // wer 2/3

/// GET, assert 200 and return the body.
async fn get_ok(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.json().await.unwrap()
}

/// Assert a JSON integer field.
fn assert_int(v: &Value, expected: i64) {
    assert!(v.is_i64(), "expected int {expected}, got {v}");
    assert_eq!(v.as_i64(), Some(expected));
}

/// Assert a JSON number field (`1`/`1.0` both fine for floats, §1.1).
fn assert_float(v: &Value, expected: f64) {
    assert_eq!(v.as_f64(), Some(expected), "got {v}");
}

/// Submit the attempts in order and return them.
async fn attempts(app: &TestApp, item_id: i64, texts: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for text in texts {
        out.push(app.create_attempt(item_id, text).await);
    }
    out
}

async fn assert_window_error(app: &TestApp, path: &str) {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), 400, "{path}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"detail": WINDOW_ERROR}), "{path}");
}

/// Grey-box: move an attempt to another time by rewriting its row, since the
/// API cannot create past attempts. Storage format per §10: local-time text
/// `YYYY-MM-DD HH:MM:SS.ffffff` in table `attempts`.
/// Move an attempt in time (no API does that).
async fn backdate(app: &TestApp, attempt: &Value, at: NaiveDateTime) {
    let pool = app.db().await;
    let done = sqlx::query("UPDATE attempts SET created_at = $1 WHERE id = $2")
        .bind(at.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
        .bind(id(attempt))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
    // Written around the service: its kept aggregates are rebuilt, as the
    // service does at start when they disagree with the attempts table.
    let mut conn = pool.acquire().await.unwrap();
    last_whisper::db::attempt_stats::rebuild(&mut conn)
        .await
        .unwrap();
    drop(conn);
    pool.close().await;
}

/// `today ± n` days at `HH:MM:SS[.f]`.
fn day_at(offset: i64, time: &str) -> NaiveDateTime {
    let today = Local::now().date_naive();
    let day = if offset < 0 {
        today - Days::new(offset.unsigned_abs())
    } else {
        today + Days::new(offset as u64)
    };
    NaiveDateTime::parse_from_str(&format!("{day} {time}"), "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

fn date(offset: i64) -> String {
    day_at(offset, "00:00:00").date().to_string()
}

fn progress_dates(body: &Value) -> Vec<String> {
    body["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_string())
        .collect()
}

fn log_item_ids(body: &Value) -> Vec<i64> {
    body["practice_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item_id"].as_i64().unwrap())
        .collect()
}

// ---------------------------------------------------------------- summary

#[tokio::test]
async fn summary_without_attempts_is_all_zero() {
    let app = spawn_app().await;
    item(&app, REF).await; // an item alone counts for nothing
    let body = get_ok(&app, "/v1/stats/summary").await;
    assert_eq!(keys(&body), SUMMARY_KEYS);
    assert_int(&body["total_attempts"], 0);
    assert_int(&body["unique_items_practiced"], 0);
    assert_float(&body["average_score"], 0.0);
    assert_int(&body["best_score"], 0);
    assert_int(&body["worst_score"], 0);
    assert_float(&body["total_practice_time_minutes"], 0.0);
}

#[tokio::test]
async fn summary_rounds_half_to_even_on_the_binary_value() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    let b = item(&app, REF).await;
    attempts(&app, a, &[P100; 7]).await;
    let low = app.create_attempt(b, P33).await;
    assert_eq!(low["percentage"], 33);

    let body = get_ok(&app, "/v1/stats/summary").await;
    assert_eq!(keys(&body), SUMMARY_KEYS);
    assert_int(&body["total_attempts"], 8);
    assert_int(&body["unique_items_practiced"], 2);
    // mean = 733 / 8 = 91.625 exactly -> 91.62
    assert_float(&body["average_score"], 91.62);
    assert_int(&body["best_score"], 100);
    assert_int(&body["worst_score"], 33);
    assert_float(&body["total_practice_time_minutes"], 4.0);
}

#[tokio::test]
async fn summary_practice_time_is_half_a_minute_per_attempt() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    attempts(&app, a, &[P100, P66, P33]).await;
    let body = get_ok(&app, "/v1/stats/summary").await;
    assert_float(&body["total_practice_time_minutes"], 1.5);
    // (100 + 66 + 33) / 3 = 66.333… -> 66.33
    assert_float(&body["average_score"], 66.33);
    assert_int(&body["unique_items_practiced"], 1);
}

#[tokio::test]
async fn summary_window_is_inclusive() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    let b = item(&app, REF).await;
    let rows = [
        app.create_attempt(a, P33).await,
        app.create_attempt(b, P66).await,
        app.create_attempt(a, P100).await,
    ];
    let t0 = q(&ts(&rows[0]));
    let t1 = q(&ts(&rows[1]));
    let t2 = q(&ts(&rows[2]));

    let body = get_ok(&app, &format!("/v1/stats/summary?since={t1}")).await;
    assert_int(&body["total_attempts"], 2);
    assert_int(&body["unique_items_practiced"], 2);
    assert_float(&body["average_score"], 83.0);
    assert_int(&body["worst_score"], 66);

    let body = get_ok(&app, &format!("/v1/stats/summary?since={t0}&until={t1}")).await;
    assert_int(&body["total_attempts"], 2);
    assert_int(&body["best_score"], 66);
    assert_int(&body["worst_score"], 33);
    assert_float(&body["total_practice_time_minutes"], 1.0);

    let body = get_ok(&app, &format!("/v1/stats/summary?until={t0}")).await;
    assert_int(&body["total_attempts"], 1);
    assert_int(&body["best_score"], 33);

    // A window holding nothing is all zeros.
    let day = &ts(&rows[0])[..10];
    let body = get_ok(&app, &format!("/v1/stats/summary?until={day}")).await;
    assert_int(&body["total_attempts"], 0);
    assert_int(&body["best_score"], 0);

    let body = get_ok(
        &app,
        &format!("/v1/stats/summary?since={t2}&until=2099-01-01"),
    )
    .await;
    assert_int(&body["total_attempts"], 1);
}

#[tokio::test]
async fn since_not_before_until_is_400_on_both_window_endpoints() {
    let app = spawn_app().await;
    for path in ["/v1/stats/summary", "/v1/stats/practice-log"] {
        assert_window_error(&app, &format!("{path}?since=2025-02-01&until=2025-01-01")).await;
        // Equal values are rejected too.
        assert_window_error(
            &app,
            &format!("{path}?since=2025-01-01T10:00:00&until=2025-01-01T10:00:00"),
        )
        .await;
        assert_window_error(
            &app,
            &format!("{path}?since=2025-01-01&until=2025-01-01T00:00:00"),
        )
        .await;
        // Only one bound: no check.
        get_ok(&app, &format!("{path}?since=2099-01-01")).await;
        get_ok(&app, &format!("{path}?until=2000-01-01")).await;
    }
}

#[tokio::test]
async fn mixed_naive_and_aware_bounds_never_give_500() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    app.create_attempt(a, P100).await;
    let pairs = [
        ("2020-01-01T00:00:00Z", "2099-01-01T00:00:00"),
        ("2020-01-01T00:00:00", "2099-01-01T00:00:00+02:00"),
        ("2020-01-01T00:00:00-05:00", "2099-01-01"),
    ];
    for path in ["/v1/stats/summary", "/v1/stats/practice-log"] {
        for (since, until) in pairs {
            let url = format!("{path}?since={}&until={}", q(since), q(until));
            let resp = app.get(&url).await;
            // Offsets are dropped or converted (§9 #4); the window stays valid.
            assert_eq!(resp.status(), 200, "{url}");
        }
    }
}

#[tokio::test]
async fn window_endpoints_reject_unparseable_datetimes() {
    let app = spawn_app().await;
    for path in ["/v1/stats/summary", "/v1/stats/practice-log"] {
        for (query, name) in [
            ("since=nope", "since"),
            ("since=2025-1-1", "since"),
            ("until=2025-01-01T10", "until"),
        ] {
            let resp = app.get(&format!("{path}?{query}")).await;
            assert_eq!(
                validation_locs(resp).await,
                [json!(["query", name])],
                "{path}?{query}"
            );
        }
    }
}

// ---------------------------------------------------------------- practice log

#[tokio::test]
async fn practice_log_aggregates_per_item_newest_first() {
    let app = spawn_app().await;
    let a_item = app
        .create_item(json!({"locale": "fi", "text": REF, "difficulty": 7, "tags": ["x", "y"]}))
        .await;
    let a = id(&a_item);
    let b = item(&app, REF).await;
    let _unpracticed = item(&app, REF).await;
    let a_rows = attempts(&app, a, &[P66, P100]).await;
    let b_rows = attempts(&app, b, &[P33]).await;
    let a_last = app.create_attempt(a, P33).await;

    let body = get_ok(&app, "/v1/stats/practice-log").await;
    assert_eq!(
        keys(&body),
        ["page", "per_page", "practice_log", "total", "total_pages"]
    );
    assert_eq!(log_item_ids(&body), [a, b]);
    assert_eq!(body["total"], 2);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 20);
    assert_eq!(body["total_pages"], 1);

    let entry = &body["practice_log"][0];
    assert_eq!(keys(entry), LOG_ENTRY_KEYS);
    assert_eq!(entry["text"], REF);
    assert_eq!(entry["locale"], "fi");
    assert_int(&entry["difficulty"], 7);
    assert_eq!(entry["tags"], json!(["x", "y"]));
    assert_int(&entry["attempt_count"], 3);
    assert_eq!(entry["first_attempt_at"], a_rows[0]["created_at"]);
    assert_eq!(entry["last_practiced_at"], a_last["created_at"]);
    parse_timestamp(&entry["first_attempt_at"]);
    // (66 + 100 + 33) / 3 = 66.33; wer mean (1/3 + 0 + 2/3) / 3 = 0.3333
    assert_float(&entry["average_score"], 66.33);
    assert_int(&entry["best_score"], 100);
    assert_int(&entry["worst_score"], 33);
    assert_float(&entry["avg_wer"], 0.3333);

    let entry = &body["practice_log"][1];
    assert_int(&entry["attempt_count"], 1);
    assert_eq!(entry["first_attempt_at"], b_rows[0]["created_at"]);
    assert_eq!(entry["last_practiced_at"], b_rows[0]["created_at"]);
    assert_eq!(entry["tags"], json!([]));
    assert_float(&entry["avg_wer"], 0.6667);
}

#[tokio::test]
async fn practice_log_only_counts_attempts_inside_the_window() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    let b = item(&app, REF).await;
    let early = attempts(&app, a, &[P33, P33]).await;
    let mid = app.create_attempt(b, P100).await;
    let late = attempts(&app, a, &[P66, P100]).await;

    // Window [mid, late[0]]: b (mid) and a (late[0]) only; a is newer.
    let url = format!(
        "/v1/stats/practice-log?since={}&until={}",
        q(&ts(&mid)),
        q(&ts(&late[0]))
    );
    let body = get_ok(&app, &url).await;
    assert_eq!(log_item_ids(&body), [a, b]);
    let a_entry = &body["practice_log"][0];
    assert_int(&a_entry["attempt_count"], 1);
    assert_eq!(a_entry["first_attempt_at"], late[0]["created_at"]);
    assert_eq!(a_entry["last_practiced_at"], late[0]["created_at"]);
    assert_float(&a_entry["average_score"], 66.0);
    assert_float(&a_entry["avg_wer"], 0.3333);

    // Window up to early[1]: b had no attempts yet and is left out.
    let url = format!("/v1/stats/practice-log?until={}", q(&ts(&early[1])));
    let body = get_ok(&app, &url).await;
    assert_eq!(log_item_ids(&body), [a]);
    assert_eq!(body["total"], 1);
    assert_int(&body["practice_log"][0]["attempt_count"], 2);
    assert_float(&body["practice_log"][0]["average_score"], 33.0);

    // Ordering follows the latest attempt *in the window*: up to mid, b is newest.
    let url = format!("/v1/stats/practice-log?until={}", q(&ts(&mid)));
    assert_eq!(log_item_ids(&get_ok(&app, &url).await), [b, a]);
}

#[tokio::test]
async fn practice_log_paginates_items() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let i = item(&app, REF).await;
        app.create_attempt(i, P100).await;
        ids.push(i);
    }
    ids.reverse(); // newest practice first

    let body = get_ok(&app, "/v1/stats/practice-log?per_page=2").await;
    assert_eq!(log_item_ids(&body), ids[..2]);
    assert_eq!(body["total"], 3);
    assert_eq!(body["per_page"], 2);
    assert_eq!(body["total_pages"], 2);
    let body = get_ok(&app, "/v1/stats/practice-log?per_page=2&page=2").await;
    assert_eq!(log_item_ids(&body), ids[2..]);
    assert_eq!(body["page"], 2);
    let body = get_ok(&app, "/v1/stats/practice-log?per_page=2&page=3").await;
    assert_eq!(log_item_ids(&body), Vec::<i64>::new());
    assert_eq!(body["total"], 3);
    // The last of the first pages and the one past them (written differently on PostgreSQL,
    // `Sql::push_page`).
    let body = get_ok(&app, "/v1/stats/practice-log?per_page=1&page=3").await;
    assert_eq!(log_item_ids(&body), ids[2..]);
    let body = get_ok(&app, "/v1/stats/practice-log?per_page=1&page=4").await;
    assert_eq!(log_item_ids(&body), Vec::<i64>::new());
    assert_eq!(body["total"], 3);

    for (query, name) in [
        ("page=0", "page"),
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
    ] {
        let resp = app.get(&format!("/v1/stats/practice-log?{query}")).await;
        assert_eq!(
            validation_locs(resp).await,
            [json!(["query", name])],
            "{query}"
        );
    }
}

#[tokio::test]
async fn empty_practice_log_has_zero_pages() {
    let app = spawn_app().await;
    let body = get_ok(&app, "/v1/stats/practice-log").await;
    assert_eq!(
        body,
        json!({"practice_log": [], "total": 0, "page": 1, "per_page": 20, "total_pages": 0})
    );
}

// ---------------------------------------------------------------- item stats

#[tokio::test]
async fn item_stats_with_attempts() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    let other = item(&app, REF).await;
    app.create_attempt(other, P33).await; // not counted for `a`
    let rows = attempts(&app, a, &[P66, P100, P66]).await;

    let body = get_ok(&app, &format!("/v1/stats/items/{a}")).await;
    assert_eq!(keys(&body), ITEM_STATS_KEYS);
    assert_int(&body["item_id"], a);
    assert_eq!(body["text"], REF);
    assert_int(&body["attempts_count"], 3);
    assert_eq!(body["first_attempt_at"], rows[0]["created_at"]);
    assert_eq!(body["last_attempt_at"], rows[2]["created_at"]);
    // (66 + 100 + 66) / 3 = 77.333… -> 77.33
    assert_float(&body["avg_percentage"], 77.33);
    assert_int(&body["best_percentage"], 100);
    assert_int(&body["worst_percentage"], 66);
    // mean(1/3, 0, 1/3) = 0.2222…; best = min, worst = max, unrounded.
    assert_float(&body["avg_wer"], 0.2222);
    assert_float(&body["best_wer"], 0.0);
    assert_float(&body["worst_wer"], 1.0 / 3.0);
}

#[tokio::test]
async fn item_stats_without_attempts() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    let body = get_ok(&app, &format!("/v1/stats/items/{a}")).await;
    assert_eq!(keys(&body), ITEM_STATS_KEYS);
    assert_int(&body["item_id"], a);
    assert_eq!(body["text"], REF);
    assert_int(&body["attempts_count"], 0);
    assert_eq!(body["first_attempt_at"], Value::Null);
    assert_eq!(body["last_attempt_at"], Value::Null);
    assert_float(&body["avg_percentage"], 0.0);
    assert_int(&body["best_percentage"], 0);
    assert_int(&body["worst_percentage"], 0);
    assert_float(&body["avg_wer"], 0.0);
    assert_float(&body["best_wer"], 0.0);
    assert_float(&body["worst_wer"], 0.0);
}

#[tokio::test]
async fn item_stats_unknown_is_404_and_non_int_is_422() {
    let app = spawn_app().await;
    let resp = app.get("/v1/stats/items/4242").await;
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"detail": "Item not found"}));
    let resp = app.get("/v1/stats/items/abc").await;
    assert_eq!(validation_locs(resp).await, [json!(["path", "item_id"])]);
}

// ---------------------------------------------------------------- progress

#[tokio::test]
async fn progress_buckets_today_by_local_date() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    let b = item(&app, REF).await;
    let rows = attempts(&app, a, &[P100, P66]).await;
    app.create_attempt(b, P33).await;
    let today = Local::now().date_naive().format("%Y-%m-%d").to_string();
    assert_eq!(
        &ts(&rows[0])[..10],
        today,
        "attempt stamped in server-local time"
    );

    let body = get_ok(&app, "/v1/stats/progress").await;
    assert_eq!(keys(&body), ["progress"]);
    let rows = body["progress"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    let day = &rows[0];
    assert_eq!(keys(day), ["attempts", "avg_percentage", "avg_wer", "date"]);
    assert_eq!(day["date"], today);
    assert_int(&day["attempts"], 3);
    // (100 + 66 + 33) / 3 = 66.33; wer (0 + 1/3 + 2/3) / 3 = 0.3333
    assert_float(&day["avg_percentage"], 66.33);
    assert_float(&day["avg_wer"], 0.3333);

    // Filtered to one item.
    let body = get_ok(&app, &format!("/v1/stats/progress?item_id={a}&days=1")).await;
    assert_int(&body["progress"][0]["attempts"], 2);
    assert_float(&body["progress"][0]["avg_percentage"], 83.0);
    assert_float(&body["progress"][0]["avg_wer"], 0.1667);
    // 0 means all items.
    let body = get_ok(&app, "/v1/stats/progress?item_id=0").await;
    assert_int(&body["progress"][0]["attempts"], 3);
}

#[tokio::test]
async fn progress_is_empty_without_matching_attempts() {
    let app = spawn_app().await;
    assert_eq!(
        get_ok(&app, "/v1/stats/progress").await,
        json!({"progress": []})
    );
    let a = item(&app, REF).await;
    app.create_attempt(a, P100).await;
    assert_eq!(
        get_ok(&app, "/v1/stats/progress?item_id=9999").await,
        json!({"progress": []})
    );
}

#[tokio::test]
async fn progress_days_must_be_1_to_365() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    app.create_attempt(a, P100).await;
    for days in [1, 365] {
        let body = get_ok(&app, &format!("/v1/stats/progress?days={days}")).await;
        assert_eq!(body["progress"].as_array().unwrap().len(), 1, "days={days}");
    }
    for days in ["0", "366", "-1", "abc"] {
        let resp = app.get(&format!("/v1/stats/progress?days={days}")).await;
        assert_eq!(
            validation_locs(resp).await,
            [json!(["query", "days"])],
            "days={days}"
        );
    }
    let resp = app.get("/v1/stats/progress?item_id=abc").await;
    assert_eq!(validation_locs(resp).await, [json!(["query", "item_id"])]);
}

#[tokio::test]
async fn progress_spans_days_ascending_from_today_minus_days_minus_one() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    let rows = attempts(&app, a, &[P100, P66, P33, P66, P100, P33, P100]).await;
    // Just outside / just inside the default 30-day window.
    backdate(&app, &rows[0], day_at(-30, "23:59:59.999999")).await;
    backdate(&app, &rows[1], day_at(-29, "00:00:00")).await;
    // Two attempts on the same day share a bucket; the day between is omitted.
    backdate(&app, &rows[2], day_at(-2, "08:00:00")).await;
    backdate(&app, &rows[3], day_at(-2, "20:30:00.5")).await;
    // rows[4] stays today; rows[5] and rows[6] lie in the future (no upper bound).
    backdate(&app, &rows[5], day_at(1, "10:00:00")).await;
    backdate(&app, &rows[6], day_at(3, "10:00:00")).await;

    let body = get_ok(&app, "/v1/stats/progress").await;
    assert_eq!(
        progress_dates(&body),
        [date(-29), date(-2), date(0), date(1), date(3)]
    );
    let p = &body["progress"];
    assert_int(&p[0]["attempts"], 1);
    assert_float(&p[0]["avg_percentage"], 66.0);
    assert_int(&p[1]["attempts"], 2);
    // (33 + 66) / 2 = 49.5; wer (2/3 + 1/3) / 2 = 0.5
    assert_float(&p[1]["avg_percentage"], 49.5);
    assert_float(&p[1]["avg_wer"], 0.5);
    assert_int(&p[2]["attempts"], 1);
    assert_float(&p[2]["avg_percentage"], 100.0);

    let body = get_ok(&app, "/v1/stats/progress?days=31").await;
    assert_eq!(progress_dates(&body)[0], date(-30));
    assert_eq!(progress_dates(&body).len(), 6);
    let body = get_ok(&app, "/v1/stats/progress?days=3").await;
    assert_eq!(progress_dates(&body), [date(-2), date(0), date(1), date(3)]);
    let body = get_ok(&app, "/v1/stats/progress?days=1").await;
    assert_eq!(progress_dates(&body), [date(0), date(1), date(3)]);
}

#[tokio::test]
async fn date_only_windows_span_whole_days() {
    let app = spawn_app().await;
    let a = item(&app, REF).await;
    let b = item(&app, REF).await;
    let old = app.create_attempt(a, P33).await;
    let yesterday = app.create_attempt(b, P66).await;
    app.create_attempt(a, P100).await;
    backdate(&app, &old, day_at(-5, "12:00:00")).await;
    backdate(&app, &yesterday, day_at(-1, "23:59:59")).await;

    let since = date(-1);
    let body = get_ok(&app, &format!("/v1/stats/summary?since={since}")).await;
    assert_int(&body["total_attempts"], 2);
    assert_int(&body["worst_score"], 66);
    let body = get_ok(
        &app,
        &format!("/v1/stats/summary?since={}&until={}", date(-5), date(0)),
    )
    .await;
    assert_int(&body["total_attempts"], 2);
    assert_int(&body["best_score"], 66);

    // Practice log: a's latest attempt is today, b's yesterday.
    let body = get_ok(&app, "/v1/stats/practice-log").await;
    assert_eq!(log_item_ids(&body), [a, b]);
    let entry = &body["practice_log"][0];
    assert_int(&entry["attempt_count"], 2);
    assert_eq!(entry["first_attempt_at"], format!("{}T12:00:00", date(-5)));
    // Before today only b's and a's old attempt count; b is newer.
    let body = get_ok(&app, &format!("/v1/stats/practice-log?until={}", date(0))).await;
    assert_eq!(log_item_ids(&body), [b, a]);
    assert_eq!(
        body["practice_log"][0]["last_practiced_at"],
        format!("{}T23:59:59", date(-1))
    );

    // Attempts list honours the same bounds (inclusive).
    let body = get_ok(&app, &format!("/v1/attempts?until={}T23:59:59", date(-1))).await;
    assert_eq!(body["total"], 2);
}

#[tokio::test]
async fn query_validation_precedes_the_window_check() {
    let app = spawn_app().await;
    let resp = app
        .get("/v1/stats/practice-log?since=2025-02-01&until=2025-01-01&page=0")
        .await;
    assert_eq!(validation_locs(resp).await, [json!(["query", "page"])]);
    let resp = app
        .get("/v1/stats/summary?since=2025-02-01&until=2025-01-1")
        .await;
    assert_eq!(validation_locs(resp).await, [json!(["query", "until"])]);
}

#[tokio::test]
async fn item_stats_huge_id_is_not_500() {
    let app = spawn_app().await;
    let resp = app.get("/v1/stats/items/99999999999999999999999").await;
    assert!(
        [404, 422].contains(&resp.status().as_u16()),
        "{}",
        resp.status()
    );
}
