//! Tests of the contract; see ../../../shared/api-contract.md.
//! Router behaviour (§1.6), CORS (§1.7), body and parameter parsing
//! (§1.1, §1.3, §1.5.1) and §9 #15 / #17.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use std::collections::BTreeSet;

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, validation_locs, TestApp};

const ITEM: &str = r#"{"locale": "fi", "text": "Hei"}"#;
const ALLOWED: &str = "http://localhost:3000";
const EVIL: &str = "http://evil.example";

async fn send(app: &TestApp, method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = app.client.request(method, app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn assert_detail(resp: Response, status: u16, msg: &str) {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({ "detail": msg }));
}

/// The full 422 body, asserting the shape-B basics.
async fn validation_body(resp: Response) -> Vec<Value> {
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    body["detail"].as_array().unwrap().clone()
}

fn header<'a>(resp: &'a Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).map(|v| v.to_str().unwrap())
}

/// A comma-separated header as a set of trimmed, upper-cased entries.
fn header_set(resp: &Response, name: &str) -> BTreeSet<String> {
    resp.headers()
        .get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn assert_cors_granted(resp: &Response, origin: &str) {
    assert_eq!(header(resp, "access-control-allow-origin"), Some(origin));
    assert_eq!(
        header(resp, "access-control-allow-credentials"),
        Some("true")
    );
    assert!(
        header_set(resp, "vary").contains("ORIGIN"),
        "Vary: {:?}",
        resp.headers().get_all("vary")
    );
}

fn preflight_headers<'a>(origin: &'a str, method: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("origin", origin),
        ("access-control-request-method", method),
        (
            "access-control-request-headers",
            "content-type,x-custom-thing",
        ),
    ]
}

/// Send a request to a trailing-slash URL; follow one 307/308 redirect to
/// the slash-less URL (same method and body) when the server answers so.
async fn via_trailing_slash(app: &TestApp, method: Method, path: &str, body: &str) -> Response {
    let first = app
        .raw(method.clone(), path, Some("application/json"), body)
        .await;
    if !matches!(first.status().as_u16(), 307 | 308) {
        return first;
    }
    let location = header(&first, "location").unwrap().to_owned();
    assert!(location.starts_with("http://"), "absolute: {location}");
    let slashless = path.replacen("/?", "?", 1);
    let slashless = slashless.strip_suffix('/').unwrap_or(&slashless);
    assert_eq!(location, app.url(slashless));
    let req = app.client.request(method, &location);
    req.header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

// ---------------------------------------------------------------- §1.6

#[tokio::test]
async fn unknown_paths_are_404_not_found() {
    let app = spawn_app().await;
    // `/` is the practice page.
    for path in ["/nope", "/v1", "/v1/nope", "/v1/items/1/nope", "/v2/items"] {
        assert_detail(app.get(path).await, 404, "Not Found").await;
    }
    let resp = app.raw(Method::POST, "/v1/nope", None, ITEM).await;
    assert_detail(resp, 404, "Not Found").await;
}

#[tokio::test]
async fn wrong_method_is_405_with_every_allowed_method() {
    let app = spawn_app().await;
    let item = app.create_item(serde_json::from_str(ITEM).unwrap()).await["id"]
        .as_i64()
        .unwrap();
    let cases: Vec<(Method, String, Vec<&str>)> = vec![
        (Method::PUT, "/v1/items".into(), vec!["GET", "POST"]),
        (Method::DELETE, "/v1/items".into(), vec!["GET", "POST"]),
        (
            Method::PUT,
            format!("/v1/items/{item}"),
            vec!["GET", "DELETE"],
        ),
        (
            Method::POST,
            format!("/v1/items/{item}"),
            vec!["GET", "DELETE"],
        ),
        (Method::GET, format!("/v1/items/{item}/tags"), vec!["PATCH"]),
        (
            Method::POST,
            format!("/v1/items/{item}/difficulty"),
            vec!["PATCH"],
        ),
        (
            Method::DELETE,
            format!("/v1/items/{item}/tts-status"),
            vec!["GET"],
        ),
        (Method::POST, format!("/v1/items/{item}/audio"), vec!["GET"]),
        (Method::POST, "/health".into(), vec!["GET"]),
        (Method::PATCH, "/v1/tags".into(), vec!["GET", "POST"]),
    ];
    for (method, path, allowed) in cases {
        let resp = app.raw(method.clone(), &path, None, "").await;
        let allow = header_set(&resp, "allow");
        for m in &allowed {
            assert!(allow.contains(*m), "{method} {path}: Allow {allow:?}");
        }
        assert!(
            !allow.contains(method.as_str()),
            "{method} {path}: {allow:?}"
        );
        assert_detail(resp, 405, "Method Not Allowed").await;
    }
}

#[tokio::test]
async fn trailing_slash_on_collections_reaches_the_collection() {
    let app = spawn_app().await;
    let created = via_trailing_slash(&app, Method::POST, "/v1/items/", ITEM).await;
    assert_eq!(created.status(), 202);

    let listed = via_trailing_slash(&app, Method::GET, "/v1/items/?per_page=5", "").await;
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["per_page"], 5, "query string kept");

    let tags = via_trailing_slash(&app, Method::GET, "/v1/tags/", "").await;
    assert_eq!(tags.status(), 200);
    assert!(tags.json::<Value>().await.unwrap()["tags"].is_array());

    let tts = via_trailing_slash(&app, Method::GET, "/api/v1/tts/", "").await;
    assert_eq!(tts.status(), 200);
    assert!(tts.json::<Value>().await.unwrap().is_array());
}

// ---------------------------------------------------------------- §1.7 CORS

#[tokio::test]
async fn allowed_origins_are_echoed_with_credentials() {
    let app = spawn_app().await;
    for origin in [ALLOWED, "http://127.0.0.1:3000"] {
        let resp = send(&app, Method::GET, "/health", &[("origin", origin)]).await;
        assert_eq!(resp.status(), 200);
        assert_cors_granted(&resp, origin);
    }
    // Errors and non-GET requests carry the headers too.
    let resp = send(&app, Method::GET, "/v1/items/999", &[("origin", ALLOWED)]).await;
    assert_eq!(resp.status(), 404);
    assert_cors_granted(&resp, ALLOWED);
    let resp = app
        .client
        .post(app.url("/v1/items"))
        .header("origin", ALLOWED)
        .json(&json!({ "locale": "fi", "text": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    assert_cors_granted(&resp, ALLOWED);
}

#[tokio::test]
async fn preflights_from_allowed_origins_allow_every_api_method() {
    let app = spawn_app().await;
    for (path, method) in [
        ("/v1/items", "GET"),
        ("/v1/items", "POST"),
        ("/v1/items/1/tags", "PATCH"),
        ("/v1/items/1", "DELETE"),
    ] {
        let resp = send(
            &app,
            Method::OPTIONS,
            path,
            &preflight_headers(ALLOWED, method),
        )
        .await;
        assert_eq!(resp.status(), 200, "{method} {path}");
        assert_eq!(header(&resp, "access-control-allow-origin"), Some(ALLOWED));
        assert_eq!(
            header(&resp, "access-control-allow-credentials"),
            Some("true")
        );
        let methods = header_set(&resp, "access-control-allow-methods");
        for m in ["GET", "POST", "PATCH", "DELETE"] {
            assert!(methods.contains(m), "{method} {path}: {methods:?}");
        }
        assert_eq!(header(&resp, "access-control-max-age"), Some("600"));
        let headers = header_set(&resp, "access-control-allow-headers");
        assert!(headers.contains("CONTENT-TYPE"), "{headers:?}");
        assert!(headers.contains("X-CUSTOM-THING"), "{headers:?}");
    }
}

#[tokio::test]
async fn disallowed_origins_are_never_granted() {
    let app = spawn_app().await;
    let resp = send(&app, Method::GET, "/health", &[("origin", EVIL)]).await;
    assert_eq!(resp.status(), 200, "the request itself still works");
    assert_eq!(header(&resp, "access-control-allow-origin"), None);

    let resp = send(
        &app,
        Method::OPTIONS,
        "/v1/items",
        &preflight_headers(EVIL, "POST"),
    )
    .await;
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
    assert_ne!(resp.status(), 500);
    // A look-alike of an allowed origin is not allowed either.
    let resp = send(
        &app,
        Method::GET,
        "/health",
        &[("origin", "http://localhost:30000")],
    )
    .await;
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn cors_origins_setting_replaces_the_defaults() {
    let app = spawn_app_with(&[("CORS_ORIGINS", "http://a.example,http://b.example")]).await;
    for origin in ["http://a.example", "http://b.example"] {
        let resp = send(&app, Method::GET, "/health", &[("origin", origin)]).await;
        assert_cors_granted(&resp, origin);
    }
    let resp = send(&app, Method::GET, "/health", &[("origin", ALLOWED)]).await;
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn cors_origins_star_allows_any_origin() {
    let app = spawn_app_with(&[("CORS_ORIGINS", "*")]).await;
    let resp = send(&app, Method::GET, "/health", &[("origin", EVIL)]).await;
    assert_eq!(header(&resp, "access-control-allow-origin"), Some("*"));
    assert_eq!(
        header(&resp, "access-control-allow-credentials"),
        Some("true")
    );
    // With a cookie the origin is echoed instead of `*`.
    let resp = send(
        &app,
        Method::GET,
        "/health",
        &[("origin", EVIL), ("cookie", "a=b")],
    )
    .await;
    assert_cors_granted(&resp, EVIL);

    let resp = send(
        &app,
        Method::OPTIONS,
        "/v1/items",
        &preflight_headers(EVIL, "PATCH"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let granted = header(&resp, "access-control-allow-origin");
    assert!(granted == Some("*") || granted == Some(EVIL), "{granted:?}");
    assert!(header_set(&resp, "access-control-allow-methods").contains("PATCH"));
}

// ---------------------------------------------------------------- §1.1 bodies

#[tokio::test]
async fn json_bodies_are_accepted_without_or_with_a_json_content_type() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for ct in [
        None,
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("application/vnd.api+json"),
    ] {
        let resp = app.raw(Method::POST, "/v1/items", ct, ITEM).await;
        assert_eq!(resp.status(), 202, "{ct:?}");
        let item: Value = resp.json().await.unwrap();
        assert_eq!(item["text"], "Hei");
        ids.push(item["id"].as_i64().unwrap());
    }
    let id = ids[0];
    let resp = app
        .raw(
            Method::PATCH,
            &format!("/v1/items/{id}/difficulty"),
            None,
            r#"{"difficulty": 4}"#,
        )
        .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn other_content_types_are_422_at_body() {
    let app = spawn_app().await;
    for ct in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        let resp = app.raw(Method::POST, "/v1/items", Some(ct), ITEM).await;
        assert_eq!(validation_locs(resp).await, vec![json!(["body"])], "{ct}");
    }
    let resp = app
        .raw(
            Method::PATCH,
            "/v1/items/1/tags",
            Some("text/plain"),
            r#"{"tags": []}"#,
        )
        .await;
    let locs = validation_locs(resp).await;
    assert!(locs.contains(&json!(["body"])), "{locs:?}");
    assert_eq!(
        app.get("/v1/items").await.json::<Value>().await.unwrap()["total"],
        0
    );
}

#[tokio::test]
async fn an_empty_body_is_missing() {
    let app = spawn_app().await;
    for (path, ct) in [
        ("/v1/items", Some("application/json")),
        ("/v1/items", None),
        ("/v1/items/bulk", Some("application/json")),
    ] {
        let entries = validation_body(app.raw(Method::POST, path, ct, "").await).await;
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0]["loc"], json!(["body"]));
        assert_eq!(entries[0]["type"], "missing");
        assert!(entries[0]["msg"].is_string());
    }
}

#[tokio::test]
async fn malformed_json_reports_the_character_offset() {
    let app = spawn_app().await;
    let cases = [
        // Python: "Expecting value: line 1 column 26 (char 25)".
        (r#"{"locale": "fi", "text": x}"#, 25),
        // Offsets count characters, not bytes (ä is two bytes).
        (r#"{"text": "ää", x}"#, 15),
        // Newlines count as one character each.
        ("{\n  \"text\":\n  @}", 14),
    ];
    for (raw, offset) in cases {
        let resp = app
            .raw(Method::POST, "/v1/items", Some("application/json"), raw)
            .await;
        let entries = validation_body(resp).await;
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0]["type"], "json_invalid");
        assert_eq!(entries[0]["loc"], json!(["body", offset]), "{raw}");
    }
    // Truncated input is malformed too (the original reports the end of
    // the input, 16 here; only the shape is checked).
    let resp = app
        .raw(Method::POST, "/v1/items", None, r#"{"locale": "fi","#)
        .await;
    let entries = validation_body(resp).await;
    assert_eq!(entries[0]["type"], "json_invalid");
    assert_eq!(entries[0]["loc"][0], "body");
    let offset = entries[0]["loc"][1].as_u64().unwrap();
    assert!((14..=16).contains(&offset), "{entries:?}");
}

#[tokio::test]
async fn non_object_json_bodies_are_422() {
    let app = spawn_app().await;
    for raw in ["[1, 2]", "\"text\"", "42", "true", "null"] {
        let resp = app
            .raw(Method::POST, "/v1/items", Some("application/json"), raw)
            .await;
        let locs = validation_locs(resp).await;
        assert!(locs.iter().all(|l| l[0] == "body"), "{raw}: {locs:?}");
    }
    assert_eq!(
        app.get("/v1/items").await.json::<Value>().await.unwrap()["total"],
        0
    );
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let app = spawn_app().await;
    let body = json!({
        "locale": "fi", "text": "x", "id": 999, "practiced": true,
        "tts_status": "ready", "created_at": "2000-01-01T00:00:00", "extra": {"a": [1]},
    });
    let item = app.create_item(body).await;
    assert_ne!(item["id"], 999);
    assert_eq!(item["tts_status"], "pending");
    assert_eq!(item["practiced"], false);
    assert_ne!(item["created_at"], "2000-01-01T00:00:00");
    assert_eq!(app.get("/v1/items/999").await.status(), 404);

    let id = item["id"].as_i64().unwrap();
    let resp = app
        .patch_json(
            &format!("/v1/items/{id}/difficulty"),
            &json!({ "difficulty": 2, "item_id": 7, "junk": null }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let resp = app
        .patch_json(
            &format!("/v1/items/{id}/tags"),
            &json!({ "tags": ["a"], "operation": "append" }),
        )
        .await;
    assert_eq!(
        resp.json::<Value>().await.unwrap()["current_tags"],
        json!(["a"])
    );
}

// ---------------------------------------------------------------- §1.3 path ids

/// Every item route with `{id}` filled in, as (method, path, body).
fn item_routes(id: &str) -> Vec<(Method, String, &'static str)> {
    vec![
        (Method::GET, format!("/v1/items/{id}"), ""),
        (Method::GET, format!("/v1/items/{id}/tts-status"), ""),
        (Method::GET, format!("/v1/items/{id}/audio"), ""),
        (Method::DELETE, format!("/v1/items/{id}"), ""),
        (
            Method::PATCH,
            format!("/v1/items/{id}/tags"),
            r#"{"tags": []}"#,
        ),
        (
            Method::PATCH,
            format!("/v1/items/{id}/difficulty"),
            r#"{"difficulty": 3}"#,
        ),
    ]
}

#[tokio::test]
async fn non_integer_item_ids_are_422_at_path() {
    let app = spawn_app().await;
    for bad in ["abc", "1e2", "0x10", "1.5", "%20"] {
        for (method, path, body) in item_routes(bad) {
            let resp = app
                .raw(method.clone(), &path, Some("application/json"), body)
                .await;
            let locs = validation_locs(resp).await;
            assert_eq!(locs, vec![json!(["path", "item_id"])], "{method} {path}");
        }
    }
}

#[tokio::test]
async fn ids_beyond_64_bits_are_not_found_never_500() {
    let app = spawn_app().await;
    for huge in [
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999999",
    ] {
        for (method, path, body) in item_routes(huge) {
            let resp = app
                .raw(method.clone(), &path, Some("application/json"), body)
                .await;
            let status = resp.status().as_u16();
            assert!(matches!(status, 404 | 422), "{method} {path}: {status}");
            if status == 404 {
                assert_detail(resp, 404, "Item not found").await;
            }
        }
    }
}

// ---------------------------------------------------------------- §1.5.1

#[tokio::test]
async fn several_problems_are_reported_together() {
    let app = spawn_app().await;
    let resp = app
        .post_json(
            "/v1/items",
            &json!({ "locale": "f", "text": "", "difficulty": 11, "tags": "x" }),
        )
        .await;
    let mut locs = validation_locs(resp).await;
    locs.sort_by_key(|l| l.to_string());
    assert_eq!(
        locs,
        vec![
            json!(["body", "difficulty"]),
            json!(["body", "locale"]),
            json!(["body", "tags"]),
            json!(["body", "text"]),
        ]
    );

    let missing = validation_body(app.post_json("/v1/items", &json!({})).await).await;
    assert_eq!(missing.len(), 2, "{missing:?}");
    for e in &missing {
        assert_eq!(e["type"], "missing");
    }

    // Path and body problems in one request.
    let resp = app
        .patch_json("/v1/items/abc/difficulty", &json!({ "difficulty": 9 }))
        .await;
    let mut locs = validation_locs(resp).await;
    locs.sort_by_key(|l| l.to_string());
    assert_eq!(
        locs,
        vec![json!(["body", "difficulty"]), json!(["path", "item_id"])]
    );
}

#[tokio::test]
async fn a_full_size_bulk_request_is_accepted_and_a_huge_body_is_413() {
    let app = spawn_app().await;
    // 100 items of 10,000 two-byte characters: about 2 MB of JSON.
    let text = "ä".repeat(10_000);
    let items: Vec<Value> = (0..100)
        .map(|_| json!({ "locale": "fi", "text": text }))
        .collect();
    let resp = app
        .post_json("/v1/items/bulk", &json!({ "items": items }))
        .await;
    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["total_created"], 100);

    let huge = format!(
        "{{\"locale\":\"fi\",\"text\":\"{}\"}}",
        "a".repeat(9 * 1024 * 1024)
    );
    let resp = app
        .raw(Method::POST, "/v1/items", Some("application/json"), &huge)
        .await;
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("too large"));
    let list: Value = app.get("/v1/items?per_page=1").await.json().await.unwrap();
    assert_eq!(list["total"], 100, "nothing stored from the refused body");
}
