//! Tests of the contract; see ../../../shared/api-contract.md.
//! Preset tags: `POST/GET /v1/tags`, `DELETE /v1/tags/{id}` (§2.3, §3.5).

// Helper fns here are not `#[test]`s, so `allow-unwrap-in-tests` does not cover them.

use reqwest::Method;
use serde_json::{json, Value};

use crate::attempts::{id, keys, parse_timestamp};
use crate::helpers::{spawn_app, validation_locs, TestApp};

/// POST a tag name (any JSON value) and return the response.
async fn post_tag(app: &TestApp, name: Value) -> reqwest::Response {
    app.post_json("/v1/tags", &json!({ "name": name })).await
}

/// Create a tag, asserting 201, and return its JSON.
async fn create_tag(app: &TestApp, name: &str) -> Value {
    let resp = post_tag(app, json!(name)).await;
    assert_eq!(resp.status(), 201, "create tag {name:?}");
    resp.json().await.unwrap()
}

/// GET /v1/tags with a query, assert 200 and return the body.
async fn list(app: &TestApp, query: &str) -> Value {
    let resp = app.get(&format!("/v1/tags{query}")).await;
    assert_eq!(resp.status(), 200, "GET /v1/tags{query}");
    resp.json().await.unwrap()
}

fn names(body: &Value) -> Vec<String> {
    body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

async fn assert_detail(resp: reqwest::Response, status: u16, detail: &str) {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({ "detail": detail }));
}

// ---------------------------------------------------------------- POST

#[tokio::test]
async fn create_trims_and_stores_the_name() {
    let app = spawn_app().await;
    let tag = create_tag(&app, "  Verbs\t").await;
    assert_eq!(keys(&tag), ["created_at", "id", "name", "updated_at"]);
    assert!(tag["id"].is_i64());
    assert_eq!(tag["name"], "Verbs");
    parse_timestamp(&tag["created_at"]);
    parse_timestamp(&tag["updated_at"]);

    let body = list(&app, "").await;
    assert_eq!(body["tags"], json!([tag]));
    assert_eq!(body["total"], 1);
}

#[tokio::test]
async fn name_length_is_checked_on_the_raw_value() {
    let app = spawn_app().await;
    // Characters, not bytes.
    let umlauts = "ä".repeat(50);
    assert_eq!(create_tag(&app, &umlauts).await["name"], umlauts);
    let fifty = "x".repeat(50);
    assert_eq!(create_tag(&app, &fifty).await["name"], fifty);
    // 48 characters + 2 spaces = 50 raw: accepted, stored trimmed.
    let padded = format!(" {} ", "y".repeat(48));
    assert_eq!(create_tag(&app, &padded).await["name"], "y".repeat(48));

    for name in [
        "x".repeat(51),
        format!(" {} ", "z".repeat(49)), // 49 after trimming, 51 raw
        String::new(),
    ] {
        let resp = post_tag(&app, json!(name)).await;
        assert_eq!(
            validation_locs(resp).await,
            [json!(["body", "name"])],
            "{name:?}"
        );
    }
    assert_eq!(list(&app, "").await["total"], 3);
}

#[tokio::test]
async fn whitespace_only_name_is_a_value_error() {
    let app = spawn_app().await;
    for name in [" ", "   \t  "] {
        let resp = post_tag(&app, json!(name)).await;
        assert_eq!(resp.status(), 422);
        let body: Value = resp.json().await.unwrap();
        let entries = body["detail"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{body}");
        assert_eq!(entries[0]["loc"], json!(["body", "name"]));
        assert_eq!(entries[0]["msg"], "Value error, Tag name cannot be empty");
        assert_eq!(entries[0]["type"], "value_error");
    }
    assert_eq!(list(&app, "").await["total"], 0);
}

#[tokio::test]
async fn duplicate_name_is_400_even_after_trimming() {
    let app = spawn_app().await;
    create_tag(&app, "Verbs").await;
    assert_detail(
        post_tag(&app, json!("Verbs")).await,
        400,
        "Tag with name 'Verbs' already exists",
    )
    .await;
    assert_detail(
        post_tag(&app, json!("  Verbs ")).await,
        400,
        "Tag with name 'Verbs' already exists",
    )
    .await;
    assert_eq!(list(&app, "").await["total"], 1);
}

#[tokio::test]
async fn names_are_case_sensitive() {
    let app = spawn_app().await;
    let upper = create_tag(&app, "Foo").await;
    let lower = create_tag(&app, "foo").await;
    assert_ne!(upper["id"], lower["id"]);
    assert_eq!(lower["name"], "foo");
    assert_eq!(names(&list(&app, "").await), ["Foo", "foo"]);
}

#[tokio::test]
async fn missing_null_or_non_string_name_is_422() {
    let app = spawn_app().await;
    let bodies = [
        json!({}),
        json!({"title": "Verbs"}),
        json!({"name": null}),
        json!({"name": 123}),
        json!({"name": ["Verbs"]}),
        json!({"name": {"n": "Verbs"}}),
    ];
    for body in bodies {
        let resp = app.post_json("/v1/tags", &body).await;
        assert_eq!(
            validation_locs(resp).await,
            [json!(["body", "name"])],
            "{body}"
        );
    }
    // Malformed JSON: loc ["body", <offset>].
    let resp = app
        .raw(
            Method::POST,
            "/v1/tags",
            Some("application/json"),
            "{\"name\":",
        )
        .await;
    let locs = validation_locs(resp).await;
    assert_eq!(locs.len(), 1);
    assert_eq!(locs[0][0], "body");
    assert!(locs[0][1].is_u64(), "{locs:?}");
    // No body at all.
    let resp = app.raw(Method::POST, "/v1/tags", None, "").await;
    assert_eq!(validation_locs(resp).await, [json!(["body"])]);
    assert_eq!(list(&app, "").await["total"], 0);
}

// ---------------------------------------------------------------- GET

#[tokio::test]
async fn list_is_ordered_by_code_point() {
    let app = spawn_app().await;
    for name in ["b", "ä", "a", "B", "A", "_x", "10", "2"] {
        create_tag(&app, name).await;
    }
    let body = list(&app, "").await;
    assert_eq!(keys(&body), ["tags", "total"]);
    assert_eq!(names(&body), ["10", "2", "A", "B", "_x", "a", "b", "ä"]);
    assert_eq!(body["total"], 8);
    for tag in body["tags"].as_array().unwrap() {
        assert_eq!(keys(tag), ["created_at", "id", "name", "updated_at"]);
    }
}

#[tokio::test]
async fn list_applies_limit_and_offset_and_counts_all() {
    let app = spawn_app().await;
    for name in ["a", "b", "c", "d", "e"] {
        create_tag(&app, name).await;
    }
    let body = list(&app, "?limit=2&offset=1").await;
    assert_eq!(names(&body), ["b", "c"]);
    assert_eq!(body["total"], 5);
    assert_eq!(names(&list(&app, "?offset=3").await), ["d", "e"]);
    assert_eq!(names(&list(&app, "?limit=1").await), ["a"]);
    let past = list(&app, "?offset=10").await;
    assert_eq!(names(&past), Vec::<String>::new());
    assert_eq!(past["total"], 5);
    assert_eq!(list(&app, "?limit=1000&offset=0").await["total"], 5);
}

#[tokio::test]
async fn list_defaults_to_100_tags() {
    let app = spawn_app().await;
    for i in 0..101 {
        create_tag(&app, &format!("tag{i:03}")).await;
    }
    let body = list(&app, "").await;
    let got = names(&body);
    assert_eq!(got.len(), 100);
    assert_eq!(got[0], "tag000");
    assert_eq!(got[99], "tag099");
    assert_eq!(body["total"], 101);
}

#[tokio::test]
async fn list_rejects_out_of_range_paging() {
    let app = spawn_app().await;
    let cases = [
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?limit=abc", "limit"),
        ("?offset=-1", "offset"),
        ("?offset=x", "offset"),
    ];
    for (query, name) in cases {
        let resp = app.get(&format!("/v1/tags{query}")).await;
        assert_eq!(
            validation_locs(resp).await,
            [json!(["query", name])],
            "{query}"
        );
    }
}

// ---------------------------------------------------------------- DELETE

#[tokio::test]
async fn delete_is_204_then_404() {
    let app = spawn_app().await;
    let keep = create_tag(&app, "keep").await;
    let gone = create_tag(&app, "gone").await;
    let path = format!("/v1/tags/{}", id(&gone));

    let resp = app.delete(&path).await;
    assert_eq!(resp.status(), 204);
    assert!(resp.bytes().await.unwrap().is_empty());
    let body = list(&app, "").await;
    assert_eq!(body["tags"], json!([keep]));
    assert_eq!(body["total"], 1);

    let message = format!("Tag with ID {} not found", id(&gone));
    assert_detail(app.delete(&path).await, 404, &message).await;
    assert_detail(
        app.delete("/v1/tags/777").await,
        404,
        "Tag with ID 777 not found",
    )
    .await;

    // The name is free again.
    create_tag(&app, "gone").await;
}

#[tokio::test]
async fn delete_with_non_int_id_is_422() {
    let app = spawn_app().await;
    for bad in ["abc", "0x10"] {
        let resp = app.delete(&format!("/v1/tags/{bad}")).await;
        assert_eq!(
            validation_locs(resp).await,
            [json!(["path", "tag_id"])],
            "{bad}"
        );
    }
    // Beyond 64 bits: 404 or 422, never 500 (§9 #15).
    let resp = app.delete("/v1/tags/99999999999999999999999").await;
    assert!(
        [404, 422].contains(&resp.status().as_u16()),
        "{}",
        resp.status()
    );
}

#[tokio::test]
async fn preset_tags_are_independent_of_item_tags() {
    let app = spawn_app().await;
    let tag = create_tag(&app, "verbs").await;
    let item = app
        .create_item(json!({"locale": "fi", "text": "kissa", "tags": ["verbs", "unlisted"]}))
        .await;
    let resp = app.delete(&format!("/v1/tags/{}", id(&tag))).await;
    assert_eq!(resp.status(), 204);
    let after: Value = app
        .get(&format!("/v1/items/{}", id(&item)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["tags"], json!(["verbs", "unlisted"]));
}
