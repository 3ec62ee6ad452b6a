//! Tests of the contract; see ../../../shared/api-contract.md.
//! `/v1/items*`: §2.1, §3.2, §4, §6 and the item rows of §9 / §11.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use chrono::{Local, NaiveDateTime};
use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, validation_locs, TestApp};

const SORT_ERROR: &str = "Invalid sort parameter. Must be one of: created_at.asc, \
                          created_at.desc, difficulty.asc, difficulty.desc";

/// A valid creation body.
fn body(text: &str) -> Value {
    json!({ "locale": "fi", "text": text })
}

/// A valid creation body with extra fields merged in.
fn body_with(text: &str, extra: Value) -> Value {
    let mut b = body(text);
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

fn id(item: &Value) -> i64 {
    item["id"].as_i64().unwrap()
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"].as_array().unwrap().iter().map(id).collect()
}

/// Parse a §1.2 timestamp: naive, `YYYY-MM-DDTHH:MM:SS` plus `.ffffff`
/// (exactly six digits) only when the microseconds are non-zero.
fn ts(v: &Value) -> NaiveDateTime {
    let s = v.as_str().unwrap_or_else(|| panic!("timestamp: {v}"));
    let parsed = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .unwrap_or_else(|e| panic!("timestamp {s:?}: {e}"));
    match s.len() {
        19 => {}
        26 => assert!(!s.ends_with(".000000"), "zero microseconds printed: {s}"),
        _ => panic!("timestamp {s:?} is neither whole seconds nor microseconds"),
    }
    parsed
}

/// Assert a shape-A error body `{"detail": msg}` with the given status.
async fn assert_detail(resp: Response, status: u16, msg: &str) {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({ "detail": msg }));
}

async fn json_ok(resp: Response, status: u16) -> Value {
    assert_eq!(resp.status(), status);
    resp.json().await.unwrap()
}

async fn list_resp(app: &TestApp, query: &[(&str, &str)]) -> Response {
    app.client
        .get(app.url("/v1/items"))
        .query(query)
        .send()
        .await
        .unwrap()
}

/// `GET /v1/items` with the given query, asserting 200.
async fn list(app: &TestApp, query: &[(&str, &str)]) -> Value {
    json_ok(list_resp(app, query).await, 200).await
}

/// Ids matched by a list query (one page of up to 100).
async fn list_ids(app: &TestApp, query: &[(&str, &str)]) -> Vec<i64> {
    let mut q = query.to_vec();
    q.push(("per_page", "100"));
    ids(&list(app, &q).await)
}

/// Create an item and wait until its TTS status has settled.
async fn settled_item(app: &TestApp, b: Value) -> Value {
    let item = app.create_item(b).await;
    app.wait_for_tts(id(&item)).await
}

/// A text of `words` space-separated words totalling `letters` letters.
fn text_of(words: usize, letters: usize) -> String {
    assert!(letters >= words);
    (0..words)
        .map(|i| {
            let len = letters / words + usize::from(i < letters % words);
            "k".repeat(len)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn inferred(app: &TestApp, text: &str) -> i64 {
    app.create_item(body(text)).await["difficulty"]
        .as_i64()
        .unwrap()
}

async fn tagged(app: &TestApp, tags: Value) -> i64 {
    id(&app
        .create_item(body_with("x", json!({ "tags": tags })))
        .await)
}

// ---------------------------------------------------------------- create

#[tokio::test]
async fn create_returns_202_with_the_full_item() {
    let app = spawn_app().await;
    let resp = app.post_json("/v1/items", &body("  Hyvää päivää  ")).await;
    assert_eq!(resp.status(), 202);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let item: Value = resp.json().await.unwrap();
    // `spoken_text` is additive (normalisation issue); the contract's nine stay.
    assert!(item["spoken_text"].is_string());
    let mut keys: Vec<_> = item
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "spoken_text" && *k != "voice")
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "difficulty",
            "id",
            "locale",
            "practiced",
            "tags",
            "text",
            "tts_status",
            "updated_at"
        ]
    );
    assert!(item["id"].is_i64());
    assert_eq!(item["locale"], "fi");
    assert_eq!(item["text"], "  Hyvää päivää  ", "stored verbatim");
    assert_eq!(item["difficulty"], 1);
    assert_eq!(item["tags"], json!([]));
    assert_eq!(item["tts_status"], "pending");
    assert_eq!(item["practiced"], false);
    // Naive server-local wall-clock time.
    let created = ts(&item["created_at"]);
    let drift = (Local::now().naive_local() - created).num_seconds().abs();
    assert!(drift < 60, "created_at {created} is not local time");
    assert!(ts(&item["updated_at"]) >= created);

    let fetched = json_ok(app.get(&format!("/v1/items/{}", id(&item))).await, 200).await;
    for key in ["id", "locale", "text", "difficulty", "tags", "created_at"] {
        assert_eq!(fetched[key], item[key], "{key}");
    }
}

#[tokio::test]
async fn create_keeps_tags_in_order_untrimmed_with_duplicates() {
    let app = spawn_app().await;
    let tags = json!([" b ", "a", "a", "ääkköset"]);
    let item = app
        .create_item(body_with("x", json!({ "tags": tags })))
        .await;
    assert_eq!(item["tags"], tags);
    let fetched: Value = app
        .get(&format!("/v1/items/{}", id(&item)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["tags"], tags);

    let null_tags = app
        .create_item(body_with("x", json!({ "tags": null })))
        .await;
    assert_eq!(null_tags["tags"], json!([]));
}

#[tokio::test]
async fn create_accepts_every_boundary_value() {
    let app = spawn_app().await;
    let cases = [
        json!({ "locale": "fi", "text": "ä".repeat(10_000) }),
        json!({ "locale": "abcdefghij", "text": "x" }),
        json!({ "locale": "fi", "text": "   " }),
        json!({ "locale": "fi", "text": "x", "difficulty": 1 }),
        json!({ "locale": "fi", "text": "x", "difficulty": 10 }),
        json!({ "locale": "fi", "text": "x", "tags": vec!["t"; 20] }),
        json!({ "locale": "fi", "text": "x", "tags": ["ö".repeat(50), " x "] }),
    ];
    for case in cases {
        let item = app.create_item(case.clone()).await;
        assert_eq!(item["text"], case["text"]);
        assert_eq!(item["locale"], case["locale"]);
        if let Some(d) = case.get("difficulty") {
            assert_eq!(&item["difficulty"], d);
        }
        if let Some(t) = case.get("tags") {
            assert_eq!(&item["tags"], t);
        }
    }
    assert_eq!(list(&app, &[]).await["total"], 7);
}

#[tokio::test]
async fn create_rejects_each_invalid_field_and_stores_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "text": "x" }), "locale"),
        (json!({ "locale": "f", "text": "x" }), "locale"),
        (json!({ "locale": "abcdefghijk", "text": "x" }), "locale"),
        (json!({ "locale": 12, "text": "x" }), "locale"),
        (json!({ "locale": "fi" }), "text"),
        (json!({ "locale": "fi", "text": null }), "text"),
        (json!({ "locale": "fi", "text": "" }), "text"),
        (
            json!({ "locale": "fi", "text": "ä".repeat(10_001) }),
            "text",
        ),
        (json!({ "locale": "fi", "text": ["x"] }), "text"),
        (body_with("x", json!({ "difficulty": 0 })), "difficulty"),
        (body_with("x", json!({ "difficulty": 11 })), "difficulty"),
        (body_with("x", json!({ "difficulty": 2.5 })), "difficulty"),
        (
            body_with("x", json!({ "difficulty": "hard" })),
            "difficulty",
        ),
        (body_with("x", json!({ "tags": "a" })), "tags"),
        (body_with("x", json!({ "tags": vec!["t"; 21] })), "tags"),
        (body_with("x", json!({ "tags": ["ok", "  "] })), "tags"),
        (body_with("x", json!({ "tags": [""] })), "tags"),
        (body_with("x", json!({ "tags": ["ö".repeat(51)] })), "tags"),
    ];
    for (case, field) in cases {
        let locs = validation_locs(app.post_json("/v1/items", &case).await).await;
        assert!(
            locs.iter().all(|l| l[0] == "body" && l[1] == field),
            "{case}: {locs:?}"
        );
    }
    assert_eq!(list(&app, &[]).await["total"], 0);
}

#[tokio::test]
async fn create_tag_validator_messages() {
    let app = spawn_app().await;
    let cases = [
        (json!(vec!["t"; 21]), "Value error, Maximum 20 tags allowed"),
        (json!([" "]), "Value error, Tags cannot be empty"),
        (
            json!(["x".repeat(51)]),
            "Value error, Tag length cannot exceed 50 characters",
        ),
    ];
    for (tags, msg) in cases {
        let resp = app
            .post_json("/v1/items", &body_with("x", json!({ "tags": tags })))
            .await;
        let b = json_ok(resp, 422).await;
        assert_eq!(b["detail"][0]["loc"], json!(["body", "tags"]));
        assert_eq!(b["detail"][0]["type"], "value_error");
        assert_eq!(b["detail"][0]["msg"], msg);
    }
}

#[tokio::test]
async fn consecutive_items_get_increasing_ids_and_created_at() {
    let app = spawn_app().await;
    let mut prev = app.create_item(body("eka")).await;
    for _ in 0..5 {
        let next = app.create_item(body("toka")).await;
        assert!(id(&next) > id(&prev));
        assert!(
            ts(&next["created_at"]) > ts(&prev["created_at"]),
            "{} !> {}",
            next["created_at"],
            prev["created_at"]
        );
        prev = next;
    }
}

#[tokio::test]
async fn unsupported_locale_and_missing_engine_end_failed() {
    let app = spawn_app().await;
    for locale in ["fi", "en", "fi-FI"] {
        let item = app
            .create_item(json!({ "locale": locale, "text": "Hei" }))
            .await;
        let settled = app.wait_for_tts(id(&item)).await;
        assert_eq!(settled["tts_status"], "failed", "{locale}");
        // Every status change bumps updated_at.
        assert!(ts(&settled["updated_at"]) > ts(&item["updated_at"]));
        assert_eq!(settled["created_at"], item["created_at"]);
    }
}

// ---------------------------------------------------------------- §4 inference

#[tokio::test]
async fn difficulty_is_inferred_by_words_or_letters() {
    let app = spawn_app().await;
    let cases: Vec<(String, i64)> = vec![
        ("Hei".into(), 1),
        (text_of(6, 200), 1),  // few words, many letters
        (text_of(20, 40), 1),  // many short words
        (text_of(16, 50), 1),  // letters boundary
        (text_of(16, 51), 2),  //
        (text_of(7, 200), 2),  // words 7..9
        (text_of(9, 200), 2),  //
        (text_of(16, 80), 2),  // letters 51..80
        (text_of(16, 81), 3),  //
        (text_of(10, 300), 3), // words 10..12
        (text_of(12, 300), 3), //
        (text_of(16, 110), 3), //
        (text_of(16, 111), 4), //
        (text_of(13, 300), 4), // words 13..15
        (text_of(15, 300), 4), //
        (text_of(16, 140), 4), //
        (text_of(16, 141), 5), //
        (text_of(100, 5000), 5),
    ];
    for (text, level) in cases {
        assert_eq!(inferred(&app, &text).await, level, "{text:?}");
    }
}

#[tokio::test]
async fn inference_counts_code_points_and_all_non_space_characters() {
    let app = spawn_app().await;
    let words: Vec<String> = vec!["kk".into(); 20];
    // 20 words, 40 letters: level 1.
    assert_eq!(inferred(&app, &words.join(" ")).await, 1);
    // Tabs/newlines split words but are counted as letters: 40 + 19 = 59.
    assert_eq!(inferred(&app, &words.join("\t")).await, 2);
    assert_eq!(inferred(&app, &words.join("\n")).await, 2);
    // Non-breaking spaces too (Unicode whitespace, not U+0020).
    assert_eq!(inferred(&app, &words.join("\u{a0}")).await, 2);
    // Code points, not bytes: 20 × "ää" is 40 letters (80 bytes).
    assert_eq!(inferred(&app, &vec!["ää"; 20].join(" ")).await, 1);
    // Punctuation and digits count: 16 words, 48 + 3 = 51 letters.
    assert_eq!(inferred(&app, &format!("{}!?1", text_of(16, 48))).await, 2);
    // Runs of spaces do not make empty words: 16 words, 50 letters.
    assert_eq!(
        inferred(&app, &text_of(16, 50).replace(' ', "   ")).await,
        1
    );
}

#[tokio::test]
async fn explicit_difficulty_wins_and_null_is_inferred() {
    let app = spawn_app().await;
    let long = text_of(30, 300);
    let item = app
        .create_item(body_with(&long, json!({ "difficulty": 9 })))
        .await;
    assert_eq!(item["difficulty"], 9);
    let item = app
        .create_item(body_with(&long, json!({ "difficulty": null })))
        .await;
    assert_eq!(item["difficulty"], 5);
}

// ---------------------------------------------------------------- bulk

#[tokio::test]
async fn bulk_creates_every_entry_in_order() {
    let app = spawn_app().await;
    let resp = app
        .post_json(
            "/v1/items/bulk",
            &json!({ "items": [
                body("yksi"),
                body_with(&text_of(16, 141), json!({ "tags": ["a"] })),
                { "locale": "sv", "text": "tre", "difficulty": 8 },
            ]}),
        )
        .await;
    let b = json_ok(resp, 202).await;
    assert_eq!(b["total_created"], 3);
    assert_eq!(b["failed_items"], json!([]));
    assert_eq!(b["total_failed"], 0);
    ts(&b["submitted_at"]);
    let created = b["created_items"].as_array().unwrap();
    let texts: Vec<_> = created.iter().map(|i| i["text"].clone()).collect();
    assert_eq!(texts[0], "yksi");
    assert_eq!(texts[2], "tre");
    assert!(created.windows(2).all(|w| id(&w[0]) < id(&w[1])));
    assert_eq!(created[0]["difficulty"], 1);
    assert_eq!(created[1]["difficulty"], 5);
    assert_eq!(created[2]["difficulty"], 8);
    assert_eq!(created[0]["tags"], json!([]));
    assert_eq!(created[1]["tags"], json!(["a"]));
    assert_eq!(created[2]["locale"], "sv");
    for item in created {
        assert_eq!(item["tts_status"], "pending");
        assert_eq!(item["practiced"], false);
        // Each created item gets its own TTS job.
        assert_eq!(app.wait_for_tts(id(item)).await["tts_status"], "failed");
    }
    assert_eq!(list(&app, &[]).await["total"], 3);
}

#[tokio::test]
async fn bulk_one_bad_entry_rejects_the_whole_request() {
    let app = spawn_app().await;
    let cases: Vec<(Value, Vec<Value>)> = vec![
        (
            json!([body("a"), body("b"), body("")]),
            vec![json!(["body", "items", 2, "text"])],
        ),
        (
            json!([{ "text": "a" }, body("b")]),
            vec![json!(["body", "items", 0, "locale"])],
        ),
        (
            json!([body_with("a", json!({ "difficulty": 11 })), body("b")]),
            vec![json!(["body", "items", 0, "difficulty"])],
        ),
        (
            json!([body("a"), body_with("b", json!({ "tags": [" "] }))]),
            vec![json!(["body", "items", 1, "tags"])],
        ),
        // Several bad entries are reported together.
        (
            json!([{ "locale": "x", "text": "a" }, body("b"), body("")]),
            vec![
                json!(["body", "items", 0, "locale"]),
                json!(["body", "items", 2, "text"]),
            ],
        ),
    ];
    for (items, expected) in cases {
        let resp = app
            .post_json("/v1/items/bulk", &json!({ "items": items }))
            .await;
        let mut locs = validation_locs(resp).await;
        locs.sort_by_key(|l| l.to_string());
        assert_eq!(locs, expected, "{items}");
    }
    assert_eq!(list(&app, &[]).await["total"], 0);
}

#[tokio::test]
async fn bulk_list_size_is_1_to_100() {
    let app = spawn_app().await;
    let too_many: Vec<Value> = (0..101).map(|i| body(&format!("t{i}"))).collect();
    for bad in [
        json!({ "items": [] }),
        json!({ "items": too_many }),
        json!({}),
        json!({ "items": null }),
        json!({ "items": body("x") }),
    ] {
        let locs = validation_locs(app.post_json("/v1/items/bulk", &bad).await).await;
        assert_eq!(locs, vec![json!(["body", "items"])]);
    }
    assert_eq!(list(&app, &[]).await["total"], 0);

    let hundred: Vec<Value> = (0..100).map(|i| body(&format!("t{i}"))).collect();
    let resp = app
        .post_json("/v1/items/bulk", &json!({ "items": hundred }))
        .await;
    assert_eq!(json_ok(resp, 202).await["total_created"], 100);
    assert_eq!(list(&app, &[]).await["total"], 100);
}

// ---------------------------------------------------------------- list

#[tokio::test]
async fn list_of_nothing_has_zero_pages() {
    let app = spawn_app().await;
    assert_eq!(
        list(&app, &[]).await,
        json!({ "items": [], "total": 0, "page": 1, "per_page": 20, "total_pages": 0 })
    );
    let past = list(&app, &[("page", "3"), ("per_page", "7")]).await;
    assert_eq!(
        past,
        json!({ "items": [], "total": 0, "page": 3, "per_page": 7, "total_pages": 0 })
    );
}

#[tokio::test]
async fn list_paginates_and_sorts_by_created_at() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(id(&app.create_item(body(&format!("item {i}"))).await));
    }
    let newest_first: Vec<i64> = created.iter().rev().copied().collect();
    assert_eq!(list_ids(&app, &[]).await, newest_first);
    assert_eq!(
        list_ids(&app, &[("sort", "created_at.desc")]).await,
        newest_first
    );
    assert_eq!(list_ids(&app, &[("sort", "created_at.asc")]).await, created);

    let mut seen = Vec::new();
    for page in 1..=3 {
        let p = list(
            &app,
            &[
                ("sort", "created_at.asc"),
                ("page", &page.to_string()),
                ("per_page", "2"),
            ],
        )
        .await;
        assert_eq!(p["total"], 5);
        assert_eq!(p["page"], page);
        assert_eq!(p["per_page"], 2);
        assert_eq!(p["total_pages"], 3);
        seen.extend(ids(&p));
    }
    assert_eq!(seen, created);

    let past = list(&app, &[("page", "4"), ("per_page", "2")]).await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["total"], 5);
    assert_eq!(past["total_pages"], 3);

    let all = list(&app, &[("per_page", "100")]).await;
    assert_eq!(all["total_pages"], 1);
    let exact = list(&app, &[("per_page", "5")]).await;
    assert_eq!(exact["total_pages"], 1);
    let one = list(&app, &[("per_page", "1")]).await;
    assert_eq!(one["total_pages"], 5);

    // One by one: the first pages and the deeper ones (written differently on PostgreSQL,
    // `Sql::push_page`) make up the list between them.
    let mut one_by_one = Vec::new();
    for page in 1..=5 {
        let page = page.to_string();
        one_by_one.extend(ids(&list(&app, &[("page", &page), ("per_page", "1")]).await));
    }
    assert_eq!(one_by_one, newest_first);
}

#[tokio::test]
async fn list_rejects_bad_paging_and_sort() {
    let app = spawn_app().await;
    for (query, loc) in [
        (vec![("per_page", "0")], "per_page"),
        (vec![("per_page", "101")], "per_page"),
        (vec![("per_page", "x")], "per_page"),
        (vec![("page", "0")], "page"),
        (vec![("page", "-1")], "page"),
        (vec![("page", "abc")], "page"),
        (vec![("page", "1e2")], "page"),
        (vec![("practiced", "maybe")], "practiced"),
        (vec![("practiced", "")], "practiced"),
        (vec![("practiced", "2")], "practiced"),
        // Parameter validation runs before the sort check.
        (vec![("sort", "bad"), ("page", "0")], "page"),
    ] {
        let locs = validation_locs(list_resp(&app, &query).await).await;
        assert_eq!(locs, vec![json!(["query", loc])], "{query:?}");
    }
    let locs = validation_locs(list_resp(&app, &[("page", "0"), ("per_page", "0")]).await).await;
    assert_eq!(locs.len(), 2, "{locs:?}");
    assert!(locs.contains(&json!(["query", "page"])));
    assert!(locs.contains(&json!(["query", "per_page"])));

    for sort in ["bad", "created_at", "difficulty.ASC", ""] {
        assert_detail(list_resp(&app, &[("sort", sort)]).await, 400, SORT_ERROR).await;
    }
}

#[tokio::test]
async fn list_filters_by_exact_locale() {
    let app = spawn_app().await;
    let fi = id(&app.create_item(body("a")).await);
    let sv = id(&app
        .create_item(json!({ "locale": "sv", "text": "b" }))
        .await);
    let fi_fi = id(&app
        .create_item(json!({ "locale": "fi-FI", "text": "c" }))
        .await);
    assert_eq!(list_ids(&app, &[("locale", "fi")]).await, vec![fi]);
    assert_eq!(list_ids(&app, &[("locale", "sv")]).await, vec![sv]);
    assert_eq!(list_ids(&app, &[("locale", "fi-FI")]).await, vec![fi_fi]);
    assert!(list_ids(&app, &[("locale", "FI")]).await.is_empty());
    assert!(list_ids(&app, &[("locale", "f")]).await.is_empty());
    assert_eq!(list_ids(&app, &[("locale", "")]).await.len(), 3);
}

#[tokio::test]
async fn list_tag_filter_is_an_exact_case_sensitive_and() {
    let app = spawn_app().await;
    let make = |tags: Value| tagged(&app, tags);
    let both = make(json!(["ääkköset", "a"])).await;
    let umlaut = make(json!(["ääkköset"])).await;
    let upper = make(json!(["A"])).await;
    let percent = make(json!(["50%"])).await;
    let underscore = make(json!(["x_y"])).await;
    let _lookalike = make(json!(["xzy"])).await;
    let quoted = make(json!(["say \"hi\""])).await;
    let _longer = make(json!(["ab"])).await;
    let _none = make(json!([])).await;

    let cases: Vec<(Vec<&str>, Vec<i64>)> = vec![
        (vec!["ääkköset"], vec![umlaut, both]),
        (vec!["ääkköset", "a"], vec![both]),
        (vec!["a", "ääkköset"], vec![both]),
        (vec!["a"], vec![both]),
        (vec!["A"], vec![upper]),
        (vec!["ÄÄKKÖSET"], vec![]),
        (vec!["ääkkö"], vec![]),
        (vec!["50%"], vec![percent]),
        (vec!["5%"], vec![]),
        (vec!["%"], vec![]),
        (vec!["x_y"], vec![underscore]),
        (vec!["x_"], vec![]),
        (vec!["say \"hi\""], vec![quoted]),
        (vec!["\""], vec![]),
        (vec!["a", "A"], vec![]),
        (vec!["ääkköset", "nope"], vec![]),
    ];
    for (tags, expected) in cases {
        let query: Vec<(&str, &str)> = tags.iter().map(|t| ("tag", *t)).collect();
        let mut got = list_ids(&app, &query).await;
        got.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(got, expected, "tags {tags:?}");
    }
    // The total counts all matches, not just the page.
    let page = list(&app, &[("tag", "ääkköset"), ("per_page", "1")]).await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["total_pages"], 2);
}

#[tokio::test]
async fn list_difficulty_filter_and_ignored_junk() {
    let app = spawn_app().await;
    let mut by_level = Vec::new();
    for d in [1, 3, 5, 7, 10] {
        let item = app
            .create_item(body_with("x", json!({ "difficulty": d })))
            .await;
        by_level.push(id(&item));
    }
    let cases: Vec<(&str, Vec<usize>)> = vec![
        ("3", vec![1]),
        ("10", vec![4]),
        ("2", vec![]),
        ("3..7", vec![1, 2, 3]),
        ("1..1", vec![0]),
        ("0..100", vec![0, 1, 2, 3, 4]),
        ("7..3", vec![]),
        // Unparseable values are ignored: no filter at all.
        ("abc", vec![0, 1, 2, 3, 4]),
        ("1..x", vec![0, 1, 2, 3, 4]),
        ("..3", vec![0, 1, 2, 3, 4]),
        ("3..", vec![0, 1, 2, 3, 4]),
        ("1..2..3", vec![0, 1, 2, 3, 4]),
        ("", vec![0, 1, 2, 3, 4]),
    ];
    for (filter, expected) in cases {
        let mut got = list_ids(&app, &[("difficulty", filter)]).await;
        got.sort();
        let expected: Vec<i64> = expected.iter().map(|&i| by_level[i]).collect();
        assert_eq!(got, expected, "difficulty={filter:?}");
    }
}

#[tokio::test]
async fn list_practiced_filter_and_flag() {
    let app = spawn_app().await;
    let practiced = id(&app.create_item(body("kissa")).await);
    let fresh = id(&app.create_item(body("koira")).await);
    app.create_attempt(practiced, "kissa").await;
    app.create_attempt(practiced, "koira").await;

    for yes in ["true", "TRUE", "1"] {
        assert_eq!(list_ids(&app, &[("practiced", yes)]).await, vec![practiced]);
    }
    for no in ["false", "False", "0"] {
        assert_eq!(list_ids(&app, &[("practiced", no)]).await, vec![fresh]);
    }
    // Totals from the kept attempt totals, alone and with another filter; the same on a page
    // past the end (which has no row to carry the total).
    for (query, total) in [
        (vec![("practiced", "true")], 1),
        (vec![("practiced", "false")], 1),
        (vec![("practiced", "true"), ("locale", "fi")], 1),
        (vec![("practiced", "false"), ("locale", "sv")], 0),
        (vec![], 2),
    ] {
        assert_eq!(list(&app, &query).await["total"], total, "{query:?}");
        let past = [query.as_slice(), &[("page", "5")]].concat();
        let page = list(&app, &past).await;
        assert_eq!(page["total"], total, "{past:?}");
        assert_eq!(page["items"], json!([]), "{past:?}");
    }
    let all = list(&app, &[("sort", "created_at.asc")]).await;
    assert_eq!(all["items"][0]["practiced"], true);
    assert_eq!(all["items"][1]["practiced"], false);
    let item = json_ok(app.get(&format!("/v1/items/{practiced}")).await, 200).await;
    assert_eq!(item["practiced"], true);
}

#[tokio::test]
async fn list_sorts_by_difficulty() {
    let app = spawn_app().await;
    let mut by_level = std::collections::BTreeMap::new();
    for d in [3, 1, 10, 5] {
        let item = app
            .create_item(body_with("x", json!({ "difficulty": d })))
            .await;
        by_level.insert(d, id(&item));
    }
    let asc: Vec<i64> = by_level.values().copied().collect();
    let desc: Vec<i64> = asc.iter().rev().copied().collect();
    assert_eq!(list_ids(&app, &[("sort", "difficulty.asc")]).await, asc);
    assert_eq!(list_ids(&app, &[("sort", "difficulty.desc")]).await, desc);
    let page = list(&app, &[("sort", "difficulty.desc"), ("per_page", "1")]).await;
    assert_eq!(ids(&page), vec![by_level[&10]]);
}

#[tokio::test]
async fn list_filters_combine_with_and() {
    let app = spawn_app().await;
    let target = id(&app
        .create_item(body_with("x", json!({ "difficulty": 4, "tags": ["t"] })))
        .await);
    app.create_item(json!({ "locale": "sv", "text": "x", "difficulty": 4, "tags": ["t"] }))
        .await;
    app.create_item(body_with("x", json!({ "difficulty": 9, "tags": ["t"] })))
        .await;
    app.create_item(body_with("x", json!({ "difficulty": 4 })))
        .await;
    let practiced = id(&app
        .create_item(body_with("x", json!({ "difficulty": 4, "tags": ["t"] })))
        .await);
    app.create_attempt(practiced, "x").await;

    let query = [
        ("locale", "fi"),
        ("tag", "t"),
        ("difficulty", "3..5"),
        ("practiced", "false"),
    ];
    let result = list(&app, &query).await;
    assert_eq!(ids(&result), vec![target]);
    assert_eq!(result["total"], 1);
    let past = list(&app, &[&query[..], &[("page", "2")]].concat()).await;
    assert_eq!(past["total"], 1);
    assert_eq!(past["items"], json!([]));
}

// ---------------------------------------------------------------- get / tts-status

#[tokio::test]
async fn missing_items_answer_404_everywhere() {
    let app = spawn_app().await;
    let item = id(&app.create_item(body("x")).await);
    let missing = item + 1;
    let client = &app.client;
    for req in [
        client.get(app.url(&format!("/v1/items/{missing}"))),
        client.get(app.url(&format!("/v1/items/{missing}/tts-status"))),
        client.get(app.url(&format!("/v1/items/{missing}/audio"))),
        client.delete(app.url(&format!("/v1/items/{missing}"))),
        client
            .patch(app.url(&format!("/v1/items/{missing}/tags")))
            .json(&json!({ "tags": ["a"] })),
        client
            .patch(app.url(&format!("/v1/items/{missing}/difficulty")))
            .json(&json!({ "difficulty": 2 })),
        client.get(app.url("/v1/items/0")),
        client.get(app.url("/v1/items/-1")),
    ] {
        assert_detail(req.send().await.unwrap(), 404, "Item not found").await;
    }
}

#[tokio::test]
async fn tts_status_reports_the_settled_state() {
    let app = spawn_app().await;
    let item = app.create_item(body("Hyvää huomenta")).await;
    let settled = app.wait_for_tts(id(&item)).await;
    let status = json_ok(
        app.get(&format!("/v1/items/{}/tts-status", id(&item)))
            .await,
        200,
    )
    .await;
    assert_eq!(
        status,
        json!({
            "item_id": id(&item),
            "text": "Hyvää huomenta",
            // Additive: what the engine speaks (normalisation issue).
            "spoken_text": "Hyvää huomenta",
            "tts_status": "failed",
            // Additive: why it failed (this test server has no engine).
            "tts_error": "engine_unavailable",
            "created_at": item["created_at"],
            "updated_at": settled["updated_at"],
        })
    );
    ts(&status["updated_at"]);
}

#[tokio::test]
async fn tts_status_truncates_text_to_100_characters() {
    let app = spawn_app().await;
    let cases = [
        ("ä".repeat(100), "ä".repeat(100)),
        ("ä".repeat(101), format!("{}...", "ä".repeat(100))),
        (
            format!("{}{}", "a".repeat(99), "€uro"),
            format!("{}€...", "a".repeat(99)),
        ),
        ("x".repeat(10_000), format!("{}...", "x".repeat(100))),
    ];
    for (text, shown) in cases {
        let item = app.create_item(body(&text)).await;
        let status: Value = app
            .get(&format!("/v1/items/{}/tts-status", id(&item)))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(status["text"], shown.as_str());
        // The item itself keeps the full text.
        assert_eq!(item["text"], text.as_str());
    }
}

// ---------------------------------------------------------------- delete

#[tokio::test]
async fn delete_answers_204_then_404() {
    let app = spawn_app().await;
    let keep = id(&app.create_item(body("keep")).await);
    let gone = id(&settled_item(&app, body("gone")).await);
    let resp = app.delete(&format!("/v1/items/{gone}")).await;
    assert_eq!(resp.status(), 204);
    assert!(resp.bytes().await.unwrap().is_empty());
    assert_detail(
        app.get(&format!("/v1/items/{gone}")).await,
        404,
        "Item not found",
    )
    .await;
    assert_detail(
        app.delete(&format!("/v1/items/{gone}")).await,
        404,
        "Item not found",
    )
    .await;
    assert_eq!(list_ids(&app, &[]).await, vec![keep]);
}

#[tokio::test]
async fn delete_removes_attempts_and_only_its_audio_file() {
    let app = spawn_app().await;
    let item = id(&settled_item(&app, body("kissa istuu")).await);
    let other = id(&settled_item(&app, body("koira")).await);
    let attempt = app.create_attempt(item, "kissa").await["id"]
        .as_i64()
        .unwrap();
    let other_attempt = app.create_attempt(other, "koira").await["id"]
        .as_i64()
        .unwrap();
    let wav = app.audio_dir.join(format!("item_{item}.wav"));
    let other_wav = app.audio_dir.join(format!("item_{other}.wav"));
    std::fs::write(&wav, b"RIFF").unwrap();
    std::fs::write(&other_wav, b"RIFF").unwrap();

    assert_eq!(app.delete(&format!("/v1/items/{item}")).await.status(), 204);
    assert!(!wav.exists(), "item audio must be removed");
    assert!(other_wav.exists(), "other item's audio must stay");
    assert_detail(
        app.get(&format!("/v1/attempts/{attempt}")).await,
        404,
        "Attempt not found",
    )
    .await;
    let remaining = json_ok(app.get("/v1/attempts").await, 200).await;
    assert_eq!(remaining["total"], 1);
    assert_eq!(remaining["attempts"][0]["id"], other_attempt);
    assert_eq!(
        app.get(&format!("/v1/attempts/{other_attempt}"))
            .await
            .status(),
        200
    );
}

// ---------------------------------------------------------------- PATCH tags

async fn patch_tags(app: &TestApp, item: i64, b: Value) -> Response {
    app.patch_json(&format!("/v1/items/{item}/tags"), &b).await
}

#[tokio::test]
async fn patch_tags_replaces_the_list() {
    let app = spawn_app().await;
    let item = settled_item(&app, body_with("x", json!({ "tags": ["a", "b"] }))).await;
    let item_id = id(&item);
    let resp = patch_tags(&app, item_id, json!({ "tags": ["c", "ääkköset", "c"] })).await;
    let b = json_ok(resp, 200).await;
    assert_eq!(b["item_id"], item_id);
    assert_eq!(b["operation"], "replace");
    assert_eq!(b["previous_tags"], json!(["a", "b"]));
    assert_eq!(b["current_tags"], json!(["c", "ääkköset", "c"]));
    assert_eq!(b["message"], "Replaced all tags with: c, ääkköset, c");
    assert!(ts(&b["updated_at"]) > ts(&item["updated_at"]));

    let fetched = json_ok(app.get(&format!("/v1/items/{item_id}")).await, 200).await;
    assert_eq!(fetched["tags"], json!(["c", "ääkköset", "c"]));
    assert_eq!(fetched["updated_at"], b["updated_at"]);
    assert_eq!(fetched["created_at"], item["created_at"]);
    // The tag filter sees the new tags.
    assert_eq!(list_ids(&app, &[("tag", "ääkköset")]).await, vec![item_id]);
    assert!(list_ids(&app, &[("tag", "a")]).await.is_empty());

    let again = json_ok(
        patch_tags(&app, item_id, json!({ "tags": ["d"] })).await,
        200,
    )
    .await;
    assert_eq!(again["previous_tags"], json!(["c", "ääkköset", "c"]));
    assert!(ts(&again["updated_at"]) > ts(&b["updated_at"]));
}

#[tokio::test]
async fn patch_tags_with_empty_object_or_list_clears() {
    let app = spawn_app().await;
    let item = id(&app
        .create_item(body_with("x", json!({ "tags": ["a"] })))
        .await);
    for (request, previous) in [
        (json!({}), json!(["a"])),
        (json!({ "tags": [] }), json!([])),
    ] {
        let b = json_ok(patch_tags(&app, item, request).await, 200).await;
        assert_eq!(b["previous_tags"], previous);
        assert_eq!(b["current_tags"], json!([]));
        assert_eq!(b["message"], "Replaced all tags with: none");
    }
    let fetched = json_ok(app.get(&format!("/v1/items/{item}")).await, 200).await;
    assert_eq!(fetched["tags"], json!([]));
}

#[tokio::test]
async fn patch_tags_does_not_validate_each_tag() {
    let app = spawn_app().await;
    let item = id(&app.create_item(body("x")).await);
    let many: Vec<String> = (0..25).map(|i| format!("t{i}")).collect();
    for tags in [json!(many), json!(["", "  "]), json!(["x".repeat(60)])] {
        let b = json_ok(patch_tags(&app, item, json!({ "tags": tags })).await, 200).await;
        assert_eq!(b["current_tags"], tags);
    }
    let b = json_ok(
        patch_tags(&app, item, json!({ "tags": ["", "a"] })).await,
        200,
    )
    .await;
    assert_eq!(b["message"], "Replaced all tags with: , a");
}

#[tokio::test]
async fn patch_tags_rejects_wrong_types_and_keeps_the_old_tags() {
    let app = spawn_app().await;
    let item = id(&app
        .create_item(body_with("x", json!({ "tags": ["keep"] })))
        .await);
    for bad in [
        json!({ "tags": "a" }),
        json!({ "tags": [1] }),
        json!({ "tags": ["a", null] }),
        json!({ "tags": { "a": 1 } }),
    ] {
        let locs = validation_locs(patch_tags(&app, item, bad.clone()).await).await;
        assert!(
            locs.iter().all(|l| l[0] == "body" && l[1] == "tags"),
            "{bad}: {locs:?}"
        );
    }
    let fetched = json_ok(app.get(&format!("/v1/items/{item}")).await, 200).await;
    assert_eq!(fetched["tags"], json!(["keep"]));
}

// ---------------------------------------------------------------- PATCH difficulty

async fn patch_difficulty(app: &TestApp, item: i64, b: Value) -> Response {
    app.patch_json(&format!("/v1/items/{item}/difficulty"), &b)
        .await
}

#[tokio::test]
async fn patch_difficulty_updates_and_reports_the_change() {
    let app = spawn_app().await;
    let item = settled_item(&app, body_with("x", json!({ "difficulty": 7 }))).await;
    let item_id = id(&item);
    let b = json_ok(
        patch_difficulty(&app, item_id, json!({ "difficulty": 3 })).await,
        200,
    )
    .await;
    assert_eq!(b["item_id"], item_id);
    assert_eq!(b["previous_difficulty"], 7);
    assert_eq!(b["current_difficulty"], 3);
    assert_eq!(b["message"], "Updated difficulty from 7 to 3");
    assert!(ts(&b["updated_at"]) > ts(&item["updated_at"]));
    let fetched = json_ok(app.get(&format!("/v1/items/{item_id}")).await, 200).await;
    assert_eq!(fetched["difficulty"], 3);
    assert_eq!(fetched["updated_at"], b["updated_at"]);

    for (d, prev) in [(1, 3), (5, 1)] {
        let b = json_ok(
            patch_difficulty(&app, item_id, json!({ "difficulty": d })).await,
            200,
        )
        .await;
        assert_eq!(b["previous_difficulty"], prev);
        assert_eq!(b["current_difficulty"], d);
        assert_eq!(
            b["message"],
            format!("Updated difficulty from {prev} to {d}")
        );
    }
}

#[tokio::test]
async fn patch_difficulty_is_bounded_1_to_5() {
    let app = spawn_app().await;
    let item = id(&app
        .create_item(body_with("x", json!({ "difficulty": 8 })))
        .await);
    for bad in [
        json!({ "difficulty": 0 }),
        json!({ "difficulty": 6 }),
        json!({ "difficulty": 10 }),
        json!({ "difficulty": -1 }),
        json!({ "difficulty": 2.5 }),
        json!({ "difficulty": null }),
        json!({ "difficulty": "hard" }),
        json!({ "difficulty": [3] }),
        json!({}),
    ] {
        let locs = validation_locs(patch_difficulty(&app, item, bad.clone()).await).await;
        assert_eq!(locs, vec![json!(["body", "difficulty"])], "{bad}");
    }
    let fetched = json_ok(app.get(&format!("/v1/items/{item}")).await, 200).await;
    assert_eq!(fetched["difficulty"], 8);
}

// ---------------------------------------------------------------- audio

#[tokio::test]
async fn audio_of_a_failed_item_is_not_ready() {
    let app = spawn_app().await;
    let item = id(&settled_item(&app, body("x")).await);
    let not_ready = "Audio not ready. Current status: failed";
    assert_detail(
        app.get(&format!("/v1/items/{item}/audio")).await,
        400,
        not_ready,
    )
    .await;
    // The status is checked before the file.
    std::fs::write(app.audio_dir.join(format!("item_{item}.wav")), b"RIFF").unwrap();
    assert_detail(
        app.get(&format!("/v1/items/{item}/audio")).await,
        400,
        not_ready,
    )
    .await;
}

#[tokio::test]
async fn audio_of_a_fresh_item_names_its_current_status() {
    let app = spawn_app().await;
    let item = id(&app.create_item(body("x")).await);
    let resp = app.get(&format!("/v1/items/{item}/audio")).await;
    assert_eq!(resp.status(), 400);
    let detail = resp.json::<Value>().await.unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail == "Audio not ready. Current status: pending"
            || detail == "Audio not ready. Current status: failed",
        "{detail}"
    );
}
