//! The OpenAPI document and the docs UI (contract §1.8): every route is
//! documented, every documented operation is served, documented query
//! bounds are the ones the server enforces, and the UI loads with no
//! network; nothing of it is served in production.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

/// Every route template the router serves, with its methods. Kept by hand
/// on purpose: a third witness next to the router source and the document.
const ROUTES: &[(&str, &[&str])] = &[
    ("/", &["GET"]),
    ("/assets/app.css", &["GET"]),
    ("/assets/app.js", &["GET"]),
    ("/favicon.ico", &["GET"]),
    ("/favicon.svg", &["GET"]),
    ("/health", &["GET"]),
    ("/metadata", &["GET"]),
    ("/metrics", &["GET"]),
    ("/v1/items", &["GET", "POST"]),
    ("/v1/items/bulk", &["POST"]),
    ("/v1/items/tts/retry", &["POST"]),
    ("/v1/items/{item_id}", &["DELETE", "GET"]),
    ("/v1/items/{item_id}/audio", &["GET"]),
    ("/v1/items/{item_id}/audio/refresh", &["POST"]),
    ("/v1/items/{item_id}/difficulty", &["PATCH"]),
    ("/v1/items/{item_id}/spoken-text", &["PATCH"]),
    ("/v1/items/{item_id}/tags", &["PATCH"]),
    ("/v1/items/{item_id}/tts-status", &["GET"]),
    ("/v1/items/{item_id}/translations", &["GET", "POST"]),
    ("/v1/items/{item_id}/tts/retry", &["POST"]),
    ("/v1/translations/{translation_id}/refresh", &["POST"]),
    ("/v1/attempts", &["GET", "POST"]),
    ("/v1/attempts/{attempt_id}", &["GET"]),
    ("/v1/stats/items/{item_id}", &["GET"]),
    ("/v1/stats/practice-log", &["GET"]),
    ("/v1/stats/progress", &["GET"]),
    ("/v1/stats/summary", &["GET"]),
    ("/v1/stats/words", &["GET"]),
    ("/v1/tags", &["GET", "POST"]),
    ("/v1/tags/{tag_id}", &["DELETE"]),
    ("/v1/tts/cache", &["GET"]),
    ("/v1/tts/sessions", &["POST"]),
    ("/v1/tts/sessions/{session_id}", &["GET"]),
    ("/v1/tts/sessions/{session_id}/stream", &["GET"]),
    ("/v1/tts/stats", &["GET"]),
    ("/v1/voices", &["GET"]),
    ("/v1/audio/speech", &["POST"]),
    ("/synthesizeSpeech", &["POST"]),
    ("/api/v1/tts", &["GET"]),
    ("/api/v1/tts/convert", &["POST"]),
    ("/api/v1/tts/convert-multiple", &["POST"]),
    ("/api/v1/tts/supported-languages", &["GET"]),
    ("/api/v1/tts/{conversion_id}", &["GET"]),
    ("/api/v1/tts/{conversion_id}/download", &["GET"]),
];

type RouteSet = BTreeSet<(String, String)>;

fn route_list() -> RouteSet {
    ROUTES
        .iter()
        .flat_map(|(path, methods)| methods.iter().map(|m| (path.to_string(), m.to_string())))
        .collect()
}

async fn document(app: &TestApp) -> Value {
    let resp = app.get("/openapi.json").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    resp.json().await.unwrap()
}

/// `(template, METHOD)` of every documented operation.
fn documented(doc: &Value) -> RouteSet {
    let mut out = RouteSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if [
                "get", "post", "put", "patch", "delete", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                out.insert((path.clone(), method.to_uppercase()));
            }
        }
    }
    out
}

/// `(template, METHOD)` of every `.route("<literal>", method(..)…)` call in
/// `src/http`, read from the source, so a route added there without
/// documentation fails this test. Routes with computed paths (the docs
/// pages themselves) are not literals and are skipped, and so are the
/// routers that `#[cfg(test)]` modules build.
fn routes_in_source() -> RouteSet {
    let mut out = RouteSet::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    for file in rust_files(&dir) {
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit-test modules (at the end of a file) build routers of their own.
        let mut rest = text.split("#[cfg(test)]").next().unwrap_or_default();
        while let Some(at) = rest.find(".route(") {
            let args_start = &rest[at + ".route(".len()..];
            let args = &args_start[..closing_paren(args_start)];
            rest = &args_start[args.len()..];
            let Some(literal) = args.trim_start().strip_prefix('"') else {
                continue;
            };
            let path = &literal[..literal.find('"').unwrap()];
            let handler = &literal[path.len() + 1..];
            let methods = top_level_calls(handler.trim_start().trim_start_matches(','));
            assert!(!methods.is_empty(), "no method for {path} in {file:?}");
            for m in methods {
                assert!(
                    ["get", "post", "put", "patch", "delete"].contains(&m.as_str()),
                    "unexpected method router `{m}` for {path} in {file:?}"
                );
                out.insert((path.to_string(), m.to_uppercase()));
            }
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Byte index of the `)` closing an argument list that starts at `s[0]`.
fn closing_paren(s: &str) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' if depth == 0 => return i,
            ')' => depth -= 1,
            _ => {}
        }
    }
    panic!("unbalanced .route( call");
}

/// Identifiers called at nesting depth 0: `post(create).get(list)` →
/// `["post", "get"]`.
fn top_level_calls(s: &str) -> Vec<String> {
    let mut calls = Vec::new();
    let mut depth = 0usize;
    let mut ident = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                if depth == 0 && !ident.is_empty() {
                    calls.push(std::mem::take(&mut ident));
                }
                depth += 1;
            }
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 && (c.is_alphanumeric() || c == '_') => ident.push(c),
            _ => ident.clear(),
        }
    }
    calls
}

#[tokio::test]
async fn document_is_openapi_3_1_with_the_app_info() {
    let app = spawn_app_with(&[
        ("APP_NAME", "Sanelu"),
        ("APP_VERSION", "2.3.4"),
        ("APP_DESCRIPTION", "Harjoittele kuuntelemalla."),
    ])
    .await;
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Sanelu");
    assert_eq!(doc["info"]["version"], "2.3.4");
    assert_eq!(doc["info"]["description"], "Harjoittele kuuntelemalla.");
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_route_is_listed() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let documented = documented(&doc);
    let in_source = routes_in_source();
    let missing: Vec<_> = in_source.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes without documentation: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&in_source).collect();
    assert!(
        stale.is_empty(),
        "documented but not in the router: {stale:?}"
    );
    assert_eq!(
        documented,
        route_list(),
        "ROUTES in this test is out of date"
    );
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (template, method) in documented(&doc) {
        let path = template
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let resp = app
            .client
            .request(method.clone(), app.url(&path))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body = resp.text().await.unwrap();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            !(status == StatusCode::NOT_FOUND && body == r#"{"detail":"Not Found"}"#),
            "{method} {path} reached no route"
        );
        let responses = &doc["paths"][&template][method.as_str().to_lowercase()]["responses"];
        assert!(
            responses.get(status.as_str()).is_some(),
            "{method} {path} answered {status}, which is not documented: {body}"
        );
    }
}

/// Every `$ref` points at a component that exists, and operation ids are unique.
#[tokio::test]
async fn references_resolve_and_operation_ids_are_unique() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut refs = BTreeSet::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "dangling {r}");
    }
    let mut ids = BTreeMap::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().expect("operationId").to_string();
            *ids.entry(id).or_insert(0) += 1;
        }
    }
    let duplicated: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "{duplicated:?}");
}

fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.insert(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(list) => list.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// For every integer query parameter with documented bounds (on operations
/// without path parameters), the bound itself is accepted and one past it
/// is a 422, so the document and the handlers agree.
#[tokio::test]
async fn documented_query_bounds_are_enforced() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.contains('{') {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["in"] != "query" {
                    continue;
                }
                let name = param["name"].as_str().unwrap();
                let schema = &param["schema"];
                let bounds = [("minimum", -1i64), ("maximum", 1i64)];
                for (key, step) in bounds {
                    let Some(bound) = schema[key].as_i64() else {
                        continue;
                    };
                    for (value, ok) in [(bound, true), (bound + step, false)] {
                        let url = app.url(&format!("{path}?{name}={value}"));
                        let resp = app
                            .client
                            .request(method.clone(), url)
                            .send()
                            .await
                            .unwrap();
                        let status = resp.status();
                        assert_eq!(
                            status != StatusCode::UNPROCESSABLE_ENTITY,
                            ok,
                            "{method} {path}?{name}={value} → {status}"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    // page, per_page (×3 each), days, limit (×3), offset: the walk reached them.
    assert!(checked >= 12, "only {checked} bounds checked");
}

#[tokio::test]
async fn production_serves_no_docs() {
    let app = spawn_app_with(&[("ENVIRONMENT", "production")]).await;
    for path in [
        "/openapi.json",
        "/docs",
        "/docs/",
        "/docs/swagger-ui.css",
        "/redoc",
    ] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 404, "{path}");
        assert_eq!(
            resp.json::<Value>().await.unwrap(),
            json!({"detail": "Not Found"})
        );
    }
}

/// The HTML and every script, style sheet and icon it references load from
/// this server (vendored, no CDN); the UI reads our document.
#[tokio::test]
async fn docs_ui_and_its_assets_load_from_the_server() {
    let app = spawn_app().await;
    for page in ["/docs", "/docs/"] {
        let resp = app.get(page).await;
        assert_eq!(resp.status(), 200, "{page}");
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = resp.text().await.unwrap();
        let page_url = url::Url::parse(&app.url(page)).unwrap();
        let base = attribute_values(&html, "<base href=\"");
        assert_eq!(base, ["/docs/"]);
        let base = page_url.join(&base[0]).unwrap();
        let assets: Vec<String> = ["href=\"", "src=\""]
            .iter()
            .flat_map(|a| attribute_values(&html, &format!(" {a}")))
            .collect();
        assert!(assets.len() >= 4, "{assets:?}");
        for asset in assets {
            let url = base.join(&asset).unwrap();
            assert_eq!(url.host_str(), Some("127.0.0.1"), "{asset} is not local");
            let resp = app.client.get(url.clone()).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{url}");
            assert!(!resp.bytes().await.unwrap().is_empty(), "{url}");
        }
    }
    let init = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("\"/openapi.json\""), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
    let resp = app.get("/docs/no-such-file.js").await;
    assert_eq!(resp.status(), 404);
    // Redoc would need a CDN; its URL leads to Swagger UI instead.
    let resp = app.get("/redoc").await;
    assert_eq!(resp.status(), 307);
    assert_eq!(resp.headers()["location"], "/docs");
}

/// Values of `name="…"` attributes, in order (`prefix` ends with the quote).
fn attribute_values(html: &str, prefix: &str) -> Vec<String> {
    html.match_indices(prefix)
        .map(|(i, _)| {
            let rest = &html[i + prefix.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn doc_urls_follow_the_settings() {
    let app = spawn_app_with(&[
        ("DOCS_URL", "/api-docs/"),
        ("OPENAPI_URL", "/spec.json"),
        ("REDOC_URL", ""),
    ])
    .await;
    assert_eq!(app.get("/spec.json").await.status(), 200);
    assert_eq!(app.get("/openapi.json").await.status(), 404);
    assert_eq!(app.get("/docs").await.status(), 404);
    assert_eq!(app.get("/redoc").await.status(), 404);
    let html = app.get("/api-docs").await.text().await.unwrap();
    assert!(html.contains("<base href=\"/api-docs/\""), "{html}");
    let init = app
        .get("/api-docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("\"/spec.json\""), "{init}");
    // A documentation path that an API route uses is not taken over.
    let app = spawn_app_with(&[("DOCS_URL", "/health")]).await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert!(health["checks"].is_object(), "{health}");
}

/// With API keys configured, the document says which operations need one
/// (and is itself readable without a key, so Swagger UI can load).
#[tokio::test]
async fn api_keys_appear_as_security_requirements() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert!(doc.get("security").is_none());
    assert!(doc["components"].get("securitySchemes").is_none());

    let app = spawn_app_with(&[("API_KEYS", "fuzzy-secret-key-123")]).await;
    let doc = document(&app).await;
    assert_eq!(
        doc["components"]["securitySchemes"]["ApiKey"],
        json!({"type": "apiKey", "in": "header", "name": "x-api-key"})
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["Bearer"],
        json!({"type": "http", "scheme": "bearer"})
    );
    assert_eq!(doc["security"], json!([{"ApiKey": []}, {"Bearer": []}]));
    assert_eq!(doc["paths"]["/health"]["get"]["security"], json!([{}]));
    let create = &doc["paths"]["/v1/items"]["post"];
    assert!(create.get("security").is_none(), "inherits the global one");
    assert!(create["responses"]["401"].is_object());
    assert!(create["responses"]["403"].is_object());
    // OpenAI's route refuses as OpenAI does: 401 in its error shape, never 403.
    let speech = &doc["paths"]["/v1/audio/speech"]["post"]["responses"];
    assert_eq!(
        speech["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/OpenAiErrorBody"
    );
    assert!(speech.get("403").is_none(), "{speech}");
    // What the document says is what the server does.
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(app.get("/v1/items").await.status(), 401);
}

/// Audio bodies are binary to generators: each audio type with `format: binary` and its
/// `contentMediaType`, then `application/octet-stream`; OpenAI's speech also lists its events.
#[tokio::test]
async fn audio_responses_are_declared_binary() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let resolve = |response: &Value| -> Value {
        match response["$ref"].as_str() {
            Some(r) => doc["components"]["responses"][r.rsplit('/').next().unwrap()].clone(),
            None => response.clone(),
        }
    };
    for (path, method, status) in [
        ("/v1/audio/speech", "post", "200"),
        ("/v1/audio/speech", "post", "206"),
        ("/synthesizeSpeech", "post", "200"),
        ("/v1/items/{item_id}/audio", "get", "200"),
        ("/api/v1/tts/{conversion_id}/download", "get", "200"),
    ] {
        let response = resolve(&doc["paths"][path][method]["responses"][status]);
        let content = response["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{path} {status}"));
        let media: Vec<&String> = content.keys().collect();
        let audio: Vec<&&String> = media.iter().filter(|m| m.starts_with("audio/")).collect();
        assert!(!audio.is_empty(), "{path}: {media:?}");
        for m in &audio {
            let schema = &content[m.as_str()]["schema"];
            assert_eq!(schema["format"], "binary", "{path} {m}");
            assert_eq!(schema["contentMediaType"], m.as_str(), "{path}");
        }
        assert_eq!(
            media.get(audio.len()).map(|m| m.as_str()),
            Some("application/octet-stream"),
            "{path}: the generic entry follows the audio types: {media:?}"
        );
    }
    let speech = resolve(&doc["paths"]["/v1/audio/speech"]["post"]["responses"]["200"]);
    assert!(
        speech["content"]["text/event-stream"]["schema"].is_object(),
        "{speech}"
    );
}

/// A class with a rate-limit budget lists the 429 on its operations, and only
/// those; without budgets (the default) no operation mentions it.
#[tokio::test]
async fn rate_limit_budgets_appear_as_429_responses() {
    let doc = document(&spawn_app().await).await;
    assert!(!doc.to_string().contains("\"429\""));

    let app = spawn_app_with(&[
        ("RATE_LIMIT_WRITES_PER_MINUTE", "1"),
        ("RATE_LIMIT_BURST", "1"),
    ])
    .await;
    let doc = document(&app).await;
    let too_many = &doc["paths"]["/v1/tags"]["post"]["responses"]["429"];
    assert!(too_many["headers"]["retry-after"].is_object(), "{too_many}");
    assert!(doc["paths"]["/v1/tags"]["get"]["responses"]
        .get("429")
        .is_none());
    assert!(doc["paths"]["/v1/audio/speech"]["post"]["responses"]
        .get("429")
        .is_none());
    assert!(doc["paths"]["/health"]["get"]["responses"]
        .get("429")
        .is_none());
    // What the document says is what the server does.
    let tag = |name: &str| json!({ "name": name });
    assert_eq!(app.post_json("/v1/tags", &tag("yksi")).await.status(), 201);
    let refused = app.post_json("/v1/tags", &tag("kaksi")).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
}
