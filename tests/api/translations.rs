//! Item translations (addendum §5, issue 23) through the real server, with
//! both providers against local mock servers that check what they receive:
//! LibreTranslate (body, languages, key) and Google Translation v2 (service
//! account bearer token or API key, body). Also every row of the
//! addendum's §12 table for the three routes, and the cache cycle.

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::cloud_tts::mocks::{
    assert_valid_token_request, body_json, header_str, mount_token_endpoint, requests_to,
    write_service_account, ACCESS_TOKEN, GOOGLE_API_KEY, TOKEN_PATH,
};
use crate::helpers::{spawn_app, spawn_app_with, validation_locs, TestApp};

const LT_KEY: &str = "lt-test-key-do-not-leak";
const GOOGLE_PATH: &str = "/language/translate/v2";
const INVALID: &str =
    "Invalid translation request (item missing, unsupported language, or source-target identical)";

/// A LibreTranslate mock: "Hyvää huomenta" → "Good morning", anything else
/// → "[<target>] <text>"; a text containing "FAIL" gets a 500.
async fn libretranslate() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/translate"))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let q = body["q"].as_str().unwrap_or_default();
            if q.contains("FAIL") {
                return ResponseTemplate::new(500).set_body_json(json!({"error": "boom"}));
            }
            let text = if q == "Hyvää huomenta" {
                "Good morning".to_string()
            } else {
                format!("[{}] {q}", body["target"].as_str().unwrap_or_default())
            };
            ResponseTemplate::new(200).set_body_json(json!({ "translatedText": text }))
        })
        .mount(&server)
        .await;
    server
}

async fn libre_app(server: &MockServer) -> TestApp {
    let uri = server.uri();
    spawn_app_with(&[
        ("TRANSLATION_PROVIDER", "libretranslate"),
        ("LIBRETRANSLATE_URL", &uri),
        ("LIBRETRANSLATE_API_KEY", LT_KEY),
        ("TTS_RETRY_BASE_MS", "10"),
    ])
    .await
}

async fn new_item(app: &TestApp, text: &str) -> i64 {
    app.create_item(json!({ "locale": "fi", "text": text }))
        .await["id"]
        .as_i64()
        .unwrap()
}

async fn translate(app: &TestApp, item: i64, body: Value) -> (u16, Value) {
    let resp = app
        .post_json(&format!("/v1/items/{item}/translations"), &body)
        .await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get_json(app: &TestApp, url: &str) -> (u16, Value) {
    let resp = app.get(url).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn without_a_provider_new_translations_are_503_and_nothing_is_stored() {
    let app = spawn_app().await;
    let item = new_item(&app, "Hyvää huomenta").await;
    let (status, body) = translate(&app, item, json!({"target_lang": "en"})).await;
    assert_eq!(status, 503);
    assert_eq!(body, json!({"detail": "Translation is not configured"}));
    let (status, body) = get_json(
        &app,
        &format!("/v1/items/{item}/translations?target_lang=en"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"detail": "Cached translation not found"}));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM translations")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn refused_requests_answer_the_addendums_codes() {
    let server = libretranslate().await;
    let app = libre_app(&server).await;
    let item = new_item(&app, "Hyvää huomenta").await;
    // 400: unsupported (case-sensitive) target, same language, missing item.
    for (id, target) in [(item, "EN"), (item, "de"), (item, "fi"), (999_999, "en")] {
        let (status, body) = translate(&app, id, json!({"target_lang": target})).await;
        assert_eq!(
            (status, body),
            (400, json!({"detail": INVALID})),
            "{id} {target}"
        );
    }
    // 422: body and path validation, in the contract's shape.
    let url = format!("/v1/items/{item}/translations");
    let locs = |v: &[&str]| v.iter().map(|s| json!(s)).collect::<Vec<_>>();
    let cases = [
        (json!({"target_lang": "e"}), locs(&["body", "target_lang"])),
        (
            json!({"target_lang": "abcdefghijk"}),
            locs(&["body", "target_lang"]),
        ),
        (json!({}), locs(&["body", "target_lang"])),
        (
            json!({"target_lang": "en", "force_refresh": "maybe"}),
            locs(&["body", "force_refresh"]),
        ),
    ];
    for (body, loc) in cases {
        let resp = app.post_json(&url, &body).await;
        assert_eq!(
            validation_locs(resp).await,
            vec![Value::Array(loc)],
            "{body}"
        );
    }
    let resp = app
        .raw(reqwest::Method::POST, &url, Some("application/json"), "")
        .await;
    assert_eq!(validation_locs(resp).await, vec![json!(["body"])]);
    let resp = app
        .post_json("/v1/items/abc/translations", &json!({"target_lang": "en"}))
        .await;
    assert_eq!(
        validation_locs(resp).await,
        vec![json!(["path", "item_id"])]
    );
    let resp = app.get(&format!("/v1/items/{item}/translations")).await;
    assert_eq!(
        validation_locs(resp).await,
        vec![json!(["query", "target_lang"])]
    );
    let resp = app
        .get(&format!("/v1/items/{item}/translations?target_lang=x"))
        .await;
    assert_eq!(
        validation_locs(resp).await,
        vec![json!(["query", "target_lang"])]
    );
    let resp = app
        .post_json("/v1/translations/abc/refresh", &json!({}))
        .await;
    assert_eq!(
        validation_locs(resp).await,
        vec![json!(["path", "translation_id"])]
    );
    let (status, body) = {
        let resp = app
            .post_json("/v1/translations/4242/refresh", &json!({}))
            .await;
        (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
    };
    assert_eq!(
        (status, body),
        (404, json!({"detail": "Translation not found"}))
    );
    assert_eq!(app.get("/v1/translations/1/refresh").await.status(), 405);
    // None of these reached the provider.
    assert!(requests_to(&server, "/translate").await.is_empty());
}

#[tokio::test]
async fn libretranslate_translations_are_cached_refreshed_and_deleted_with_the_item() {
    let server = libretranslate().await;
    let app = libre_app(&server).await;
    let item = new_item(&app, "Hyvää huomenta").await;

    // First call: the provider is asked, with the key and the languages.
    let (status, first) = translate(&app, item, json!({"target_lang": "en"})).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["item_id"], item);
    assert_eq!(first["text"], "Hyvää huomenta");
    assert_eq!(first["translated_text"], "Good morning");
    assert_eq!(first["source_lang"], "fi");
    assert_eq!(first["target_lang"], "en");
    assert_eq!(first["provider"], "libretranslate");
    assert_eq!(first["status"], "completed");
    assert_eq!(first["cached"], false);
    assert_eq!(
        first["metadata"],
        json!({"detected_source_language": null, "model": null})
    );
    assert!(first["last_refreshed_at"].is_string());
    let sent = requests_to(&server, "/translate").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        body_json(&sent[0]),
        json!({"q": "Hyvää huomenta", "source": "fi", "target": "en",
               "format": "text", "api_key": LT_KEY})
    );
    let id = first["translation_id"].as_i64().unwrap();

    // Cached: same row, no provider call.
    let (status, cached) = translate(&app, item, json!({"target_lang": "en"})).await;
    assert_eq!(status, 200);
    assert_eq!(cached["cached"], true);
    assert_eq!(cached["translation_id"], id);
    assert_eq!(cached["translated_text"], "Good morning");
    assert_eq!(requests_to(&server, "/translate").await.len(), 1);
    let (status, got) = get_json(
        &app,
        &format!("/v1/items/{item}/translations?target_lang=en"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(got["cached"], true);
    assert_eq!(got["translation_id"], id);

    // force_refresh (lax boolean): asked again, same row and created_at.
    let (status, forced) = translate(
        &app,
        item,
        json!({"target_lang": "en", "force_refresh": "true"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(forced["cached"], false);
    assert_eq!(forced["translation_id"], id);
    assert_eq!(forced["created_at"], first["created_at"]);
    assert_ne!(forced["last_refreshed_at"], first["last_refreshed_at"]);
    assert_eq!(requests_to(&server, "/translate").await.len(), 2);

    // A changed text invalidates the cache on the next POST; GET serves the
    // stale row meanwhile (decision L7).
    sqlx::query("UPDATE items SET text = $1 WHERE id = $2")
        .bind("Hyvää iltaa")
        .bind(item)
        .execute(&app.db().await)
        .await
        .unwrap();
    let (_, stale) = get_json(
        &app,
        &format!("/v1/items/{item}/translations?target_lang=en"),
    )
    .await;
    assert_eq!(stale["text"], "Hyvää iltaa");
    assert_eq!(stale["translated_text"], "Good morning");
    let (_, fresh) = translate(&app, item, json!({"target_lang": "en"})).await;
    assert_eq!(fresh["cached"], false);
    assert_eq!(fresh["translated_text"], "[en] Hyvää iltaa");
    assert_eq!(fresh["translation_id"], id);

    // The refresh route: asked again with the stored languages.
    let resp = app
        .post_json(&format!("/v1/translations/{id}/refresh"), &json!({}))
        .await;
    assert_eq!(resp.status(), 200);
    let refreshed: Value = resp.json().await.unwrap();
    assert_eq!(refreshed["cached"], false);
    assert_eq!(refreshed["translation_id"], id);
    assert_eq!(requests_to(&server, "/translate").await.len(), 4);

    // Chinese goes out in LibreTranslate's script codes; another row.
    let (status, zh) = translate(&app, item, json!({"target_lang": "zh-CN"})).await;
    assert_eq!(status, 200);
    assert_ne!(zh["translation_id"], id);
    let sent = requests_to(&server, "/translate").await;
    assert_eq!(body_json(sent.last().unwrap())["target"], "zh-Hans");

    // A provider failure: 502 in the contract's shape, nothing stored.
    let failing = new_item(&app, "FAIL tänään").await;
    let (status, body) = translate(&app, failing, json!({"target_lang": "en"})).await;
    assert_eq!(status, 502, "{body}");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .starts_with("Translation failed: libretranslate:"));
    assert!(!body.to_string().contains(LT_KEY));
    let (status, _) = get_json(
        &app,
        &format!("/v1/items/{failing}/translations?target_lang=en"),
    )
    .await;
    assert_eq!(status, 404);

    // Deleting the item deletes its translations.
    assert_eq!(app.delete(&format!("/v1/items/{item}")).await.status(), 204);
    let (status, _) = get_json(
        &app,
        &format!("/v1/items/{item}/translations?target_lang=en"),
    )
    .await;
    assert_eq!(status, 404);
    let resp = app
        .post_json(&format!("/v1/translations/{id}/refresh"), &json!({}))
        .await;
    assert_eq!(resp.status(), 404);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM translations WHERE item_id = $1")
        .bind(item)
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

async fn google_mock() -> MockServer {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"translations": [{"translatedText": "Good morning", "model": "nmt"}]}
        })))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn google_v2_is_called_with_a_service_account_token() {
    let server = google_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let token_uri = format!("{}{TOKEN_PATH}", server.uri());
    let key_file = write_service_account(dir.path(), &token_uri);
    let endpoint = server.uri();
    let app = spawn_app_with(&[
        ("TRANSLATION_PROVIDER", "google"),
        ("GOOGLE_APPLICATION_CREDENTIALS", key_file.to_str().unwrap()),
        ("GOOGLE_TRANSLATE_ENDPOINT", &endpoint),
    ])
    .await;
    let item = new_item(&app, "Hyvää huomenta").await;
    let (status, body) = translate(&app, item, json!({"target_lang": "zh-TW"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["translated_text"], "Good morning");
    assert_eq!(body["provider"], "google");
    assert_eq!(
        body["metadata"],
        json!({"detected_source_language": null, "model": "nmt"})
    );
    let tokens = requests_to(&server, TOKEN_PATH).await;
    assert_eq!(tokens.len(), 1);
    assert_valid_token_request(&tokens[0], &token_uri);
    let calls = requests_to(&server, GOOGLE_PATH).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(
        header_str(&calls[0], "authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(
        body_json(&calls[0]),
        json!({"q": ["Hyvää huomenta"], "source": "fi", "target": "zh-TW", "format": "text"})
    );
}

#[tokio::test]
async fn google_v2_is_called_with_an_api_key_and_its_refusal_is_a_502() {
    let server = google_mock().await;
    let endpoint = server.uri();
    let app = spawn_app_with(&[
        ("TRANSLATION_PROVIDER", "google"),
        ("GOOGLE_API_KEY", GOOGLE_API_KEY),
        ("GOOGLE_TRANSLATE_ENDPOINT", &endpoint),
    ])
    .await;
    let item = new_item(&app, "Hyvää huomenta").await;
    let (status, _) = translate(&app, item, json!({"target_lang": "en"})).await;
    assert_eq!(status, 200);
    let calls = requests_to(&server, GOOGLE_PATH).await;
    assert_eq!(
        header_str(&calls[0], "x-goog-api-key"),
        Some(GOOGLE_API_KEY)
    );
    assert!(
        calls[0].url.query().is_none(),
        "the key never goes in the URL"
    );
    assert!(requests_to(&server, TOKEN_PATH).await.is_empty());

    // Credentials refused: 502, the stored row untouched.
    server.reset().await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {"code": 403}})))
        .mount(&server)
        .await;
    let (status, body) = translate(
        &app,
        item,
        json!({"target_lang": "en", "force_refresh": true}),
    )
    .await;
    assert_eq!(status, 502);
    assert_eq!(
        body,
        json!({"detail": "Translation failed: google: credentials rejected (HTTP 403)"})
    );
    let (_, kept) = get_json(
        &app,
        &format!("/v1/items/{item}/translations?target_lang=en"),
    )
    .await;
    assert_eq!(kept["translated_text"], "Good morning");
}

/// A translation stored for an item deleted meanwhile (the provider call
/// runs outside any transaction) is refused by the foreign key and
/// reported as "nothing stored", on both backends, not as a database error.
#[tokio::test]
async fn storing_a_translation_for_a_deleted_item_stores_nothing() {
    use last_whisper::db::translations::{upsert, Translated};
    let app = spawn_app().await;
    let item = new_item(&app, "Hyvää huomenta").await;
    assert_eq!(app.delete(&format!("/v1/items/{item}")).await.status(), 204);
    let pool = app.db().await;
    let mut conn = pool.acquire().await.unwrap();
    let stored = upsert(
        &mut conn,
        &Translated {
            item_id: item,
            target_lang: "en",
            source_lang: "fi",
            text_hash: "x",
            translated_text: Some("Good morning"),
            provider: "libretranslate",
            metadata: "{}",
            now: "2026-01-01 10:00:00.000000",
        },
    )
    .await
    .unwrap();
    assert!(stored.is_none());
}
