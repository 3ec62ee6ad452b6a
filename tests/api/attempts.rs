//! Tests of the contract; see ../../../shared/api-contract.md.
//! `POST /v1/attempts` (§3.3, scoring §5), `GET /v1/attempts[/{id}]` (§1.3, §1.4).

// Helper fns here are not `#[test]`s, so `allow-unwrap-in-tests` does not cover them.

use chrono::NaiveDateTime;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, validation_locs, TestApp};

const ATTEMPT_KEYS: [&str; 8] = [
    "created_at",
    "id",
    "item_id",
    "percentage",
    "text",
    "wer",
    "words_correct",
    "words_ref",
];

/// Sorted keys of a JSON object.
pub fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

/// §1.2: naive `YYYY-MM-DDTHH:MM:SS` plus `.ffffff` (exactly 6 digits) when non-zero.
pub fn parse_timestamp(v: &Value) -> NaiveDateTime {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("timestamp string: {v}"));
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    assert_eq!(whole.len(), 19, "{s}");
    if let Some(f) = frac {
        assert!(f.len() == 6 && f.bytes().all(|b| b.is_ascii_digit()), "{s}");
        assert_ne!(f, "000000", "{s}");
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Create a `fi` item with this text and return its id.
pub async fn item(app: &TestApp, text: &str) -> i64 {
    let item = app.create_item(json!({"locale": "fi", "text": text})).await;
    item["id"].as_i64().unwrap()
}

pub fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// The `created_at` of a row, as the raw string the API sent.
pub fn ts(v: &Value) -> String {
    v["created_at"].as_str().unwrap().to_string()
}

/// Percent-encode a query value (timestamps may carry `+` or `:`).
pub fn q(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// GET a list endpoint, assert 200 and return the body.
async fn list(app: &TestApp, query: &str) -> Value {
    let resp = app.get(&format!("/v1/attempts{query}")).await;
    assert_eq!(resp.status(), 200, "GET /v1/attempts{query}");
    resp.json().await.unwrap()
}

/// Ids of the attempts in a list body.
fn ids(body: &Value) -> Vec<i64> {
    body["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

/// Score `attempt` against `reference` through the API.
async fn score(app: &TestApp, reference: &str, attempt: &str) -> Value {
    let item_id = item(app, reference).await;
    let body = app.create_attempt(item_id, attempt).await;
    assert_eq!(body["item_id"], item_id);
    assert_eq!(body["text"], attempt, "stored raw");
    body
}

/// Assert (percentage, wer, words_ref, words_correct) of an attempt.
fn assert_score(a: &Value, pct: i64, wer: f64, words_ref: i64, words_correct: i64) {
    let ctx = format!("{a}");
    assert!(a["percentage"].is_i64(), "int percentage: {ctx}");
    assert_eq!(a["percentage"].as_i64(), Some(pct), "percentage: {ctx}");
    assert_eq!(a["wer"].as_f64(), Some(wer), "wer: {ctx}");
    assert!(a["words_ref"].is_i64(), "int words_ref: {ctx}");
    assert_eq!(a["words_ref"].as_i64(), Some(words_ref), "words_ref: {ctx}");
    assert!(a["words_correct"].is_i64(), "int words_correct: {ctx}");
    assert_eq!(
        a["words_correct"].as_i64(),
        Some(words_correct),
        "words_correct: {ctx}"
    );
}

/// Three attempts on two items, created in order; returns them.
async fn three_attempts(app: &TestApp) -> (i64, i64, Vec<Value>) {
    let a = item(app, "yksi kaksi").await;
    let b = item(app, "kolme").await;
    let rows = vec![
        app.create_attempt(a, "yksi kaksi").await,
        app.create_attempt(b, "kolme").await,
        app.create_attempt(a, "yksi").await,
    ];
    (a, b, rows)
}

// ---------------------------------------------------------------- POST

#[tokio::test]
async fn create_returns_201_with_the_attempt_shape() {
    let app = spawn_app().await;
    let item_id = item(&app, "Hyvää huomenta!").await;
    let resp = app
        .post_json(
            "/v1/attempts",
            &json!({"item_id": item_id, "text": "hyvaa huomenta"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let mut body: Value = resp.json().await.unwrap();
    // Additive fields: word feedback (practice page) and the lenient score.
    assert!(body["alignment"].is_array());
    assert!(body["percentage_spoken"].is_i64());
    body.as_object_mut().unwrap().remove("alignment");
    body.as_object_mut().unwrap().remove("percentage_spoken");
    assert_eq!(keys(&body), ATTEMPT_KEYS);
    assert!(body["id"].is_i64());
    assert!(body["wer"].is_number());
    parse_timestamp(&body["created_at"]);
}

#[tokio::test]
async fn contract_worked_examples_score_exactly() {
    let app = spawn_app().await;
    // (reference, attempt, %, wer, words_ref, words_correct) from §5.
    let cases: [(&str, &str, i64, f64, i64, i64); 7] = [
        ("Hyvää huomenta!", "hyvaa huomenta", 100, 0.0, 2, 2),
        (
            "Minä asun Helsingissä nyt.",
            "minä asun helsingissä",
            75,
            0.25,
            4,
            3,
        ),
        (
            "Minä asun Helsingissä.",
            "Minä asun nyt Helsingissä.",
            66,
            0.3333333333333333,
            3,
            2,
        ),
        ("yksi kaksi kolme", "kaksi kolme yksi", 0, 1.0, 3, 0),
        ("Hei maailma", "", 0, 1.0, 2, 0),
        ("?!", "", 100, 0.0, 0, 0),
        ("kissa", "kissa koira hevonen lehmä", 0, 1.0, 1, 0),
    ];
    for (reference, attempt, pct, wer, words_ref, words_correct) in cases {
        let a = score(&app, reference, attempt).await;
        assert_score(&a, pct, wer, words_ref, words_correct);
    }
}

#[tokio::test]
async fn equal_length_quirks_truncate_the_float() {
    let app = spawn_app().await;
    // N=5, E=4: 5 * (1 - 0.8) = 0.9999999999999998 -> 0 correct.
    let a = score(&app, "a b c d e", "a x x x x").await;
    assert_score(&a, 0, 0.8, 5, 0);
    // N=12, E=5 -> 6 correct (not 7).
    let a = score(
        &app,
        "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12",
        "w1 w2 w3 w4 w5 w6 w7 x x x x x",
    )
    .await;
    assert_score(&a, 50, 5.0 / 12.0, 12, 6);
    // N=3, E=2: 3 * (1 - 2/3) = 1.0000000000000002 -> 1 correct, 33 %.
    let a = score(&app, "yksi kaksi kolme", "yksi x y").await;
    assert_score(&a, 33, 2.0 / 3.0, 3, 1);
}

#[tokio::test]
async fn different_lengths_use_levenshtein_and_divide_before_multiplying() {
    let app = spawn_app().await;
    let words: Vec<String> = (1..=50).map(|i| format!("w{i}")).collect();
    // 21 deletions: 29 correct of 50 -> trunc(0.58 * 100) = 57, not 58.
    let a = score(&app, &words.join(" "), &words[..29].join(" ")).await;
    assert_score(&a, 57, 0.42, 50, 29);
    // One insertion: E=1, N=3.
    let a = score(&app, "yksi kaksi kolme", "yksi kaksi kolme neljä").await;
    assert_score(&a, 66, 1.0 / 3.0, 3, 2);
}

#[tokio::test]
async fn normalisation_rules_apply_to_both_sides() {
    let app = spawn_app().await;
    // Hyphens split words; punctuation and case vanish; diacritics are dropped.
    let a = score(&app, "Hyvää-päivää, Matti!", "hyvaa paivaa matti").await;
    assert_score(&a, 100, 0.0, 3, 3);
    // Apostrophes survive: don't != dont.
    let a = score(&app, "I don't know", "i dont know").await;
    assert_score(&a, 66, 1.0 / 3.0, 3, 2);
    // ß -> ss.
    let a = score(&app, "Straße", "strasse").await;
    assert_score(&a, 100, 0.0, 1, 1);
}

#[tokio::test]
async fn empty_text_is_accepted_but_null_is_not() {
    let app = spawn_app().await;
    let item_id = item(&app, "Hei maailma").await;
    let resp = app
        .post_json("/v1/attempts", &json!({"item_id": item_id, "text": ""}))
        .await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["text"], "");

    let resp = app
        .post_json("/v1/attempts", &json!({"item_id": item_id, "text": null}))
        .await;
    assert_eq!(validation_locs(resp).await, [json!(["body", "text"])]);
    // Nothing was stored by the rejected request.
    assert_eq!(list(&app, "").await["total"], 1);
}

#[tokio::test]
async fn body_validation_reports_each_field() {
    let app = spawn_app().await;
    let item_id = item(&app, "kissa").await;
    let cases = [
        (json!({"item_id": item_id}), vec![json!(["body", "text"])]),
        (json!({"text": "kissa"}), vec![json!(["body", "item_id"])]),
        (
            json!({"item_id": "abc", "text": 5}),
            vec![json!(["body", "item_id"]), json!(["body", "text"])],
        ),
        (
            json!({"item_id": item_id, "text": "a".repeat(10_001)}),
            vec![json!(["body", "text"])],
        ),
    ];
    for (body, expected) in cases {
        let resp = app.post_json("/v1/attempts", &body).await;
        let mut locs = validation_locs(resp).await;
        locs.sort_by_key(|l| l.to_string());
        assert_eq!(locs, expected, "{body}");
    }
    // 10 000 characters (not bytes) is still allowed.
    app.create_attempt(item_id, &"ä".repeat(10_000)).await;
}

#[tokio::test]
async fn unknown_item_is_404() {
    let app = spawn_app().await;
    let resp = app
        .post_json("/v1/attempts", &json!({"item_id": 999, "text": "kissa"}))
        .await;
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"detail": "Item not found"}));
}

#[tokio::test]
async fn item_becomes_practiced() {
    let app = spawn_app().await;
    let item_id = item(&app, "kissa").await;
    let path = format!("/v1/items/{item_id}");
    let before: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(before["practiced"], false);
    app.create_attempt(item_id, "koira").await;
    let after: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(after["practiced"], true);
}

// ---------------------------------------------------------------- GET list

#[tokio::test]
async fn list_is_newest_first_in_an_envelope() {
    let app = spawn_app().await;
    let (_, _, rows) = three_attempts(&app).await;
    let stamps: Vec<_> = rows
        .iter()
        .map(|r| parse_timestamp(&r["created_at"]))
        .collect();
    assert!(stamps[0] < stamps[1] && stamps[1] < stamps[2], "{stamps:?}");

    let body = list(&app, "").await;
    assert_eq!(
        keys(&body),
        ["attempts", "page", "per_page", "total", "total_pages"]
    );
    assert_eq!(ids(&body), [id(&rows[2]), id(&rows[1]), id(&rows[0])]);
    let mut created = rows[0].clone();
    created.as_object_mut().unwrap().remove("alignment");
    assert_eq!(
        body["attempts"][2], created,
        "list rows equal the created ones (lists carry no alignment)"
    );
    assert_eq!(body["total"], 3);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 20);
    assert_eq!(body["total_pages"], 1);
}

#[tokio::test]
async fn empty_list_has_zero_pages() {
    let app = spawn_app().await;
    let body = list(&app, "").await;
    assert_eq!(
        body,
        json!({"attempts": [], "total": 0, "page": 1, "per_page": 20, "total_pages": 0})
    );
}

#[tokio::test]
async fn list_filters_by_item_id() {
    let app = spawn_app().await;
    let (a, b, rows) = three_attempts(&app).await;
    let body = list(&app, &format!("?item_id={a}")).await;
    assert_eq!(ids(&body), [id(&rows[2]), id(&rows[0])]);
    assert_eq!(body["total"], 2);
    let body = list(&app, &format!("?item_id={b}")).await;
    assert_eq!(ids(&body), [id(&rows[1])]);
    let body = list(&app, "?item_id=999").await;
    assert_eq!(ids(&body), Vec::<i64>::new());
    assert_eq!(body["total"], 0);
    assert_eq!(body["total_pages"], 0);
    // 0 behaves as "no filter".
    assert_eq!(list(&app, "?item_id=0").await["total"], 3);
}

#[tokio::test]
async fn list_filters_by_inclusive_since_and_until() {
    let app = spawn_app().await;
    let (_, _, rows) = three_attempts(&app).await;
    let [r0, r1, r2] = [id(&rows[0]), id(&rows[1]), id(&rows[2])];
    let t1 = q(&ts(&rows[1]));
    let t2 = q(&ts(&rows[2]));

    assert_eq!(ids(&list(&app, &format!("?since={t1}")).await), [r2, r1]);
    assert_eq!(ids(&list(&app, &format!("?until={t1}")).await), [r1, r0]);
    assert_eq!(
        ids(&list(&app, &format!("?since={t1}&until={t1}")).await),
        [r1]
    );
    let body = list(&app, &format!("?since={t1}&until={t2}&per_page=1")).await;
    assert_eq!(ids(&body), [r2]);
    assert_eq!(body["total"], 2);
    assert_eq!(body["total_pages"], 2);

    // Date-only means midnight of that (server-local) day.
    let day = &ts(&rows[0])[..10];
    assert_eq!(list(&app, &format!("?since={day}")).await["total"], 3);
    assert_eq!(list(&app, &format!("?until={day}")).await["total"], 0);
}

#[tokio::test]
async fn since_after_until_is_an_empty_200() {
    let app = spawn_app().await;
    let (_, _, rows) = three_attempts(&app).await;
    let since = q(&ts(&rows[2]));
    let until = q(&ts(&rows[0]));
    let body = list(&app, &format!("?since={since}&until={until}")).await;
    assert_eq!(ids(&body), Vec::<i64>::new());
    assert_eq!(body["total"], 0);
    assert_eq!(body["total_pages"], 0);
}

#[tokio::test]
async fn list_accepts_the_timestamp_forms_the_api_emits() {
    let app = spawn_app().await;
    three_attempts(&app).await;
    for value in [
        "2020-01-01",
        "2020-01-01T10:00:00",
        "2020-01-01T10:00:00.123456",
    ] {
        let body = list(&app, &format!("?since={value}&until=2099-12-31")).await;
        assert_eq!(body["total"], 3, "since={value}");
    }
    // A mix of aware and naive bounds must never be a 500 (§1.3).
    let url = format!(
        "/v1/attempts?since={}&until=2099-12-31",
        q("2020-01-01T00:00:00+02:00")
    );
    assert_ne!(app.get(&url).await.status(), 500, "{url}");
}

#[tokio::test]
async fn list_paginates() {
    let app = spawn_app().await;
    let item_id = item(&app, "kissa").await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(id(&app.create_attempt(item_id, "kissa").await));
    }
    created.reverse(); // newest first

    let page1 = list(&app, "?per_page=2").await;
    assert_eq!(ids(&page1), created[..2]);
    assert_eq!(page1["page"], 1);
    assert_eq!(page1["per_page"], 2);
    assert_eq!(page1["total"], 5);
    assert_eq!(page1["total_pages"], 3);
    assert_eq!(ids(&list(&app, "?per_page=2&page=2").await), created[2..4]);
    assert_eq!(ids(&list(&app, "?per_page=2&page=3").await), created[4..]);

    let past = list(&app, "?per_page=2&page=4").await;
    assert_eq!(ids(&past), Vec::<i64>::new());
    assert_eq!(past["total"], 5);
    assert_eq!(past["page"], 4);
    assert_eq!(past["total_pages"], 3);
    // The same total on a page past the end of one item's and of a time window's attempts.
    for query in [format!("item_id={item_id}"), "since=2000-01-01".to_owned()] {
        let past = list(&app, &format!("?{query}&per_page=2&page=4")).await;
        assert_eq!(ids(&past), Vec::<i64>::new(), "{query}");
        assert_eq!(past["total"], 5, "{query}");
    }

    assert_eq!(list(&app, "?per_page=100").await["per_page"], 100);
}

#[tokio::test]
async fn list_rejects_bad_query_values() {
    let app = spawn_app().await;
    let cases = [
        ("?page=0", "page"),
        ("?per_page=0", "per_page"),
        ("?per_page=101", "per_page"),
        ("?page=abc", "page"),
        ("?page=1e2", "page"),
        ("?per_page=0x10", "per_page"),
        ("?item_id=abc", "item_id"),
        ("?since=garbage", "since"),
        ("?since=2025-1-1", "since"),
        ("?since=2025-01-01T10", "since"),
        ("?since=2025-01-01T25:00:00", "since"),
        ("?until=2025-13-01", "until"),
    ];
    for (query, name) in cases {
        let resp = app.get(&format!("/v1/attempts{query}")).await;
        assert_eq!(
            validation_locs(resp).await,
            [json!(["query", name])],
            "{query}"
        );
    }
}

// ---------------------------------------------------------------- GET one

#[tokio::test]
async fn get_one_returns_the_stored_attempt() {
    let app = spawn_app().await;
    let item_id = item(&app, "Minä asun Helsingissä.").await;
    let created = app
        .create_attempt(item_id, "Minä asun nyt Helsingissä.")
        .await;
    let resp = app.get(&format!("/v1/attempts/{}", id(&created))).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, created);
}

#[tokio::test]
async fn get_one_unknown_is_404_and_non_int_is_422() {
    let app = spawn_app().await;
    let resp = app.get("/v1/attempts/12345").await;
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"detail": "Attempt not found"}));

    for bad in ["abc", "1e2", "1.5"] {
        let resp = app.get(&format!("/v1/attempts/{bad}")).await;
        assert_eq!(
            validation_locs(resp).await,
            [json!(["path", "attempt_id"])],
            "{bad}"
        );
    }
    // Beyond 64 bits: 404 or 422, never 500 (§9 #15).
    let resp = app.get("/v1/attempts/99999999999999999999999").await;
    assert!(
        [404, 422].contains(&resp.status().as_u16()),
        "{}",
        resp.status()
    );
}

#[tokio::test]
async fn several_bad_query_values_are_reported_together() {
    let app = spawn_app().await;
    let resp = app.get("/v1/attempts?page=0&per_page=0&since=x").await;
    let mut locs = validation_locs(resp).await;
    locs.sort_by_key(|l| l.to_string());
    assert_eq!(
        locs,
        [
            json!(["query", "page"]),
            json!(["query", "per_page"]),
            json!(["query", "since"])
        ]
    );
}

#[tokio::test]
async fn body_without_content_type_is_json_and_unknown_fields_are_ignored() {
    let app = spawn_app().await;
    let item_id = item(&app, "kissa").await;
    let body = json!({"item_id": item_id, "text": "kissa", "id": 777, "percentage": 5});
    let resp = app
        .raw(Method::POST, "/v1/attempts", None, &body.to_string())
        .await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    assert_ne!(created["id"], 777);
    assert_eq!(created["percentage"], 100);
}
