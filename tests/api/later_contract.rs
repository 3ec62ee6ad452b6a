//! The addendum's §12 status table (issue 23), row by row, through the real
//! server, with this service's decisions where the addendum's MUSTs
//! conflict with the main contract: creation difficulty keeps 1..10, an
//! unsupported locale is accepted and the item fails, API keys are optional
//! (when set, every route but `/health` needs one), rate limits are the
//! per-class budgets, a missing item is 404. Deeper tests of each feature
//! live in `metadata.rs`, `translations.rs`, `tasks.rs` and `items.rs`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, spawn_app_with_engine, TestApp};

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn first_loc(body: &Value) -> Value {
    body["detail"][0]["loc"].clone()
}

/// Every route of the table, with a body where it needs one.
fn table_routes(item: i64) -> Vec<(Method, String, Option<Value>)> {
    let item_body = json!({"locale": "fi", "text": "Hei"});
    vec![
        (Method::GET, "/metadata".into(), None),
        (Method::POST, "/v1/items".into(), Some(item_body.clone())),
        (
            Method::POST,
            "/v1/items/bulk".into(),
            Some(json!({"items": [item_body]})),
        ),
        (Method::GET, format!("/v1/items/{item}"), None),
        (
            Method::PATCH,
            format!("/v1/items/{item}/tags"),
            Some(json!({"tags": []})),
        ),
        (
            Method::PATCH,
            format!("/v1/items/{item}/difficulty"),
            Some(json!({"difficulty": 2})),
        ),
        (Method::GET, format!("/v1/items/{item}/audio"), None),
        (
            Method::POST,
            format!("/v1/items/{item}/audio/refresh"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/items/{item}/translations"),
            Some(json!({"target_lang": "en"})),
        ),
        (
            Method::GET,
            format!("/v1/items/{item}/translations?target_lang=en"),
            None,
        ),
        (Method::POST, "/v1/translations/1/refresh".into(), None),
        (Method::DELETE, format!("/v1/items/{item}"), None),
    ]
}

#[tokio::test]
async fn with_keys_every_route_but_health_answers_401_without_one() {
    let app = spawn_app_with(&[("API_KEYS", "frontend-key")]).await;
    let (status, body) = call(&app, Method::GET, "/health", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["checks"]["database"], json!({"status": "healthy"}));
    for (method, path, body) in table_routes(1) {
        let (status, answer) = call(&app, method.clone(), &path, body).await;
        assert_eq!(status, 401, "{method} {path}");
        assert_eq!(
            answer,
            json!({"detail": "API key required"}),
            "{method} {path}"
        );
    }
    // With the key (here as the frontend sends it) the same routes pass the check.
    let resp = app
        .client
        .get(app.url("/metadata"))
        .header("X-API-Key", "frontend-key")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn over_budget_every_route_but_health_answers_429() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_READS_PER_MINUTE", "1"),
        ("RATE_LIMIT_WRITES_PER_MINUTE", "1"),
        ("RATE_LIMIT_SYNTHESIS_PER_MINUTE", "1"),
    ])
    .await;
    // Spend each class's one request, then every route is refused.
    call(&app, Method::GET, "/v1/items", None).await;
    call(&app, Method::POST, "/v1/tags", Some(json!({"name": "x"}))).await;
    call(&app, Method::POST, "/v1/items/tts/retry", None).await;
    for (method, path, body) in table_routes(1) {
        let (status, answer) = call(&app, method.clone(), &path, body).await;
        assert_eq!(status, 429, "{method} {path}");
        assert_eq!(
            answer,
            json!({"detail": "Rate limit exceeded"}),
            "{method} {path}"
        );
    }
    for _ in 0..3 {
        assert_eq!(call(&app, Method::GET, "/health", None).await.0, 200);
    }
}

#[tokio::test]
async fn item_rows_keep_the_main_contract_and_a_missing_item_is_404() {
    let app = spawn_app().await;
    // Creation difficulty keeps the main contract's 1..10 (the addendum's 1..5 is not followed).
    let (status, item) = call(
        &app,
        Method::POST,
        "/v1/items",
        Some(json!({"locale": "fi", "text": "Hei", "difficulty": 6})),
    )
    .await;
    assert_eq!((status, item["difficulty"].clone()), (202, json!(6)));
    let (status, body) = call(
        &app,
        Method::POST,
        "/v1/items",
        Some(json!({"locale": "fi", "text": "Hei", "difficulty": 11})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(first_loc(&body), json!(["body", "difficulty"]));
    // An unsupported locale is accepted and the item fails (main contract).
    let (status, en) = call(
        &app,
        Method::POST,
        "/v1/items",
        Some(json!({"locale": "en", "text": "Hello"})),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        app.wait_for_tts(en["id"].as_i64().unwrap()).await["tts_status"],
        "failed"
    );
    let (status, bulk) = call(
        &app,
        Method::POST,
        "/v1/items/bulk",
        Some(json!({"items": [{"locale": "fi", "text": "Moi"}, {"locale": "en", "text": "Hi"}]})),
    )
    .await;
    assert_eq!((status, bulk["total_created"].clone()), (202, json!(2)));
    let (status, body) = call(
        &app,
        Method::POST,
        "/v1/items/bulk",
        Some(json!({"items": []})),
    )
    .await;
    assert_eq!(status, 422, "{body}");

    // L1: 404 `Item not found` on every item route (the original answered 500).
    for (method, path, body) in table_routes(424_242) {
        if !path.starts_with("/v1/items/424242") || path.contains("translations") {
            continue;
        }
        let (status, answer) = call(&app, method.clone(), &path, body).await;
        assert_eq!(
            (status, answer),
            (404, json!({"detail": "Item not found"})),
            "{method} {path}"
        );
    }
    // Non-integer ids are 422 at the path.
    for path in [
        "/v1/items/abc",
        "/v1/items/abc/audio",
        "/v1/items/abc/audio/refresh",
    ] {
        let method = if path.ends_with("refresh") {
            Method::POST
        } else {
            Method::GET
        };
        let (status, body) = call(&app, method, path, None).await;
        assert_eq!(
            (status, first_loc(&body)),
            (422, json!(["path", "item_id"])),
            "{path}"
        );
    }

    // L3: an item carrying the filtered tag twice is counted once.
    let (_, twice) = call(
        &app,
        Method::POST,
        "/v1/items",
        Some(json!({"locale": "fi", "text": "Kaksi", "tags": ["sama", "sama"]})),
    )
    .await;
    let (status, page) = call(&app, Method::GET, "/v1/items?tag=sama", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], twice["id"]);
}

#[tokio::test]
async fn new_routes_answer_their_rows() {
    let app = spawn_app_with_engine(&[]).await;
    let id = app
        .create_item(json!({"locale": "fi", "text": "Hyvää huomenta"}))
        .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");

    // /metadata: 200, 422 for an unknown detail level.
    let (status, meta) = call(&app, Method::GET, "/metadata", None).await;
    assert_eq!(status, 200);
    assert_eq!(meta["service"]["schema_version"], "2025-11-22");
    let (status, body) = call(&app, Method::GET, "/metadata?detail=everything", None).await;
    assert_eq!(
        (status, first_loc(&body)),
        (422, json!(["query", "detail"]))
    );

    // Item audio: 200, 206 for a range, 416 beyond the end.
    let full = app.get(&format!("/v1/items/{id}/audio")).await;
    assert_eq!(full.status(), 200);
    let size = full.bytes().await.unwrap().len();
    let ranged = app
        .client
        .get(app.url(&format!("/v1/items/{id}/audio")))
        .header("Range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 0-9/{size}").as_str()
    );
    let beyond = app
        .client
        .get(app.url(&format!("/v1/items/{id}/audio")))
        .header("Range", format!("bytes={}-", size + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);

    // Audio refresh: 202 (404, 422 and 502 in tasks.rs).
    let (status, refreshed) = call(
        &app,
        Method::POST,
        &format!("/v1/items/{id}/audio/refresh"),
        None,
    )
    .await;
    assert_eq!(
        (status, refreshed["status"].clone()),
        (202, json!("queued"))
    );

    // Translations without a provider: POST 503 (the original's 500 is not
    // followed), GET 404, refresh 404; 400 and 422 before anything else.
    let url = format!("/v1/items/{id}/translations");
    let (status, body) = call(&app, Method::POST, &url, Some(json!({"target_lang": "en"}))).await;
    assert_eq!(
        (status, body),
        (503, json!({"detail": "Translation is not configured"}))
    );
    let (status, _) = call(&app, Method::POST, &url, Some(json!({"target_lang": "fi"}))).await;
    assert_eq!(status, 400);
    let (status, body) = call(&app, Method::POST, &url, Some(json!({"target_lang": 5}))).await;
    assert_eq!(
        (status, first_loc(&body)),
        (422, json!(["body", "target_lang"]))
    );
    let (status, _) = call(&app, Method::GET, &format!("{url}?target_lang=en"), None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, Method::GET, &url, None).await;
    assert_eq!(status, 422);
    let (status, _) = call(&app, Method::POST, "/v1/translations/1/refresh", None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, Method::POST, "/v1/translations/x/refresh", None).await;
    assert_eq!(status, 422);
}
