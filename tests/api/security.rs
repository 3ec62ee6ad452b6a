//! API keys, rate limits and the request timeout through the real server:
//! 401/403/429 bodies and headers, open routes, per-class and per-key budgets,
//! which `X-Forwarded-For` is believed, and a timeout that cuts slow response
//! heads but neither streamed bodies nor WebSocket sessions.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

fn request(app: &TestApp, method: Method, path: &str) -> RequestBuilder {
    app.client.request(method, app.url(path))
}

async fn send(builder: RequestBuilder) -> Response {
    builder.send().await.expect("request")
}

async fn detail(resp: Response) -> Value {
    resp.json::<Value>().await.expect("json")["detail"].clone()
}

fn header<'a>(resp: &'a Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn without_keys_the_api_is_open() {
    let app = spawn_app().await;
    assert_eq!(app.get("/v1/items").await.status(), 200);
    assert_eq!(app.get("/v1/tags").await.status(), 200);
}

#[tokio::test]
async fn with_keys_every_route_but_the_open_ones_needs_one() {
    let app = spawn_app_with(&[("API_KEYS", "alpha-key"), ("API_KEYS_CSV", "beta-key")]).await;

    let missing = app.get("/v1/items").await;
    assert_eq!(missing.status(), 401);
    assert!(header(&missing, "www-authenticate").starts_with("Bearer"));
    assert!(
        missing.headers().contains_key("x-request-id"),
        "refusals are traceable"
    );
    assert_eq!(detail(missing).await, "API key required");

    let wrong = send(request(&app, Method::GET, "/v1/items").header("x-api-key", "alpha")).await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(detail(wrong).await, "Invalid API key");

    for key in ["alpha-key", "beta-key"] {
        let ok = send(request(&app, Method::GET, "/v1/items").header("x-api-key", key)).await;
        assert_eq!(ok.status(), 200, "{key}");
    }
    let bearer = send(
        request(&app, Method::POST, "/v1/tags")
            .header("authorization", "Bearer beta-key")
            .json(&json!({ "name": "kotona" })),
    )
    .await;
    assert_eq!(bearer.status(), 201);

    // Open without a key: health, the practice page. Closed: metrics.
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(app.get("/").await.status(), 200);
    assert_eq!(app.get("/metrics").await.status(), 401);
    // A browser's CORS preflight carries no credentials.
    let preflight = send(
        request(&app, Method::OPTIONS, "/v1/items")
            .header("origin", "http://localhost:3000")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "x-api-key"),
    )
    .await;
    assert!(preflight.status().is_success(), "{}", preflight.status());
}

#[tokio::test]
async fn a_custom_key_header_and_public_metrics() {
    let app = spawn_app_with(&[
        ("API_KEYS", "s3cret"),
        ("API_KEY_HEADER", "X-Token"),
        ("METRICS_PUBLIC", "true"),
    ])
    .await;
    let ok = send(request(&app, Method::GET, "/v1/items").header("x-token", "s3cret")).await;
    assert_eq!(ok.status(), 200);
    let default_header =
        send(request(&app, Method::GET, "/v1/items").header("x-api-key", "s3cret")).await;
    assert_eq!(
        default_header.status(),
        401,
        "only the configured header counts"
    );
    assert_eq!(app.get("/metrics").await.status(), 200);
}

#[tokio::test]
async fn an_exhausted_write_budget_answers_429_and_leaves_reads_alone() {
    let app = spawn_app_with(&[("RATE_LIMIT_WRITES_PER_MINUTE", "2")]).await;
    for n in 0..2 {
        let resp = app
            .post_json("/v1/tags", &json!({ "name": format!("tag{n}") }))
            .await;
        assert_eq!(resp.status(), 201);
        assert_eq!(header(&resp, "x-ratelimit-limit"), "2");
        assert_eq!(header(&resp, "x-ratelimit-remaining"), (1 - n).to_string());
    }
    let refused = app.post_json("/v1/tags", &json!({ "name": "tag2" })).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
    assert_eq!(detail(refused).await, "Rate limit exceeded");
    // Nothing was stored by the refused request.
    let tags: Value = app.get("/v1/tags").await.json().await.unwrap();
    assert_eq!(tags["total"], 2, "{tags}");
    // Reads have their own (here unlimited) budget.
    assert_eq!(app.get("/v1/items").await.status(), 200);
}

#[tokio::test]
async fn each_api_key_has_its_own_budget() {
    let app = spawn_app_with(&[
        ("API_KEYS", "key-one,key-two"),
        ("RATE_LIMIT_READS_PER_MINUTE", "1"),
    ])
    .await;
    let get =
        |key: &'static str| send(request(&app, Method::GET, "/v1/items").header("x-api-key", key));
    assert_eq!(get("key-one").await.status(), 200);
    assert_eq!(get("key-one").await.status(), 429);
    assert_eq!(get("key-two").await.status(), 200);
    // Health is never limited.
    for _ in 0..3 {
        assert_eq!(app.get("/health").await.status(), 200);
    }
}

async fn read_from(app: &TestApp, forwarded_for: &str) -> u16 {
    send(request(app, Method::GET, "/v1/tags").header("x-forwarded-for", forwarded_for))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    // Untrusted peer: the header is ignored, both requests are 127.0.0.1's.
    let app = spawn_app_with(&[("RATE_LIMIT_READS_PER_MINUTE", "1")]).await;
    assert_eq!(read_from(&app, "203.0.113.7").await, 200);
    assert_eq!(read_from(&app, "198.51.100.9").await, 429);

    // Trusted proxy (the test client's own address): each forwarded client
    // has its own budget.
    let app = spawn_app_with(&[
        ("RATE_LIMIT_READS_PER_MINUTE", "1"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    assert_eq!(read_from(&app, "203.0.113.7").await, 200);
    assert_eq!(read_from(&app, "198.51.100.9").await, 200);
    assert_eq!(read_from(&app, "203.0.113.7").await, 429);
}

#[tokio::test]
async fn synthesis_has_its_own_budget() {
    let app = spawn_app_with(&[("RATE_LIMIT_SYNTHESIS_PER_MINUTE", "1")]).await;
    // Creating an item queues a synthesis: it draws on the synthesis budget.
    let first = app
        .post_json("/v1/items", &json!({ "locale": "fi", "text": "Hei." }))
        .await;
    assert_eq!(first.status(), 202);
    let second = app
        .post_json("/v1/items", &json!({ "locale": "fi", "text": "Moi." }))
        .await;
    assert_eq!(second.status(), 429);
    // Other writes are not synthesis.
    let tag = app.post_json("/v1/tags", &json!({ "name": "arki" })).await;
    assert_eq!(tag.status(), 201);
}

// ------------------------------------------------------------------ timeout

/// An app whose engine is a mock Azure Speech server.
async fn azure_app(server: &MockServer, timeout: &str) -> TestApp {
    azure_app_with(server, &[("REQUEST_TIMEOUT_SECONDS", timeout)]).await
}

async fn azure_app_with(server: &MockServer, extra: &[(&str, &str)]) -> TestApp {
    let uri = server.uri();
    let mut vars = vec![
        ("TTS_PROVIDER", "azure"),
        ("AZURE_SPEECH_KEY", "test-azure-key"),
        ("AZURE_SPEECH_ENDPOINT", &uri),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

/// Azure's raw 24 kHz PCM for `samples` samples, after `delay`.
fn azure_pcm(samples: usize, delay: Duration) -> ResponseTemplate {
    let pcm: Vec<u8> = (0..samples)
        .flat_map(|i| (((i % 200) as i16 - 100) * 100).to_le_bytes())
        .collect();
    ResponseTemplate::new(200)
        .insert_header("content-type", "audio/x-wav")
        .set_body_bytes(pcm)
        .set_delay(delay)
}

fn openai_pcm(input: &str) -> Value {
    json!({ "model": "tts-1", "input": input, "voice": "alloy", "response_format": "pcm" })
}

#[tokio::test]
async fn a_response_head_that_takes_too_long_is_a_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cognitiveservices/v1"))
        .respond_with(azure_pcm(2_400, Duration::from_secs(10)))
        .mount(&server)
        .await;
    let app = azure_app(&server, "0.3").await;
    let resp = app.post_json("/v1/audio/speech", &openai_pcm("Hei.")).await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("x-request-id"));
    assert_eq!(detail(resp).await, "Request timed out");
    // Fast routes are unaffected.
    assert_eq!(app.get("/v1/items").await.status(), 200);
}

#[tokio::test]
async fn a_streamed_body_outlives_the_timeout() {
    let server = MockServer::start().await;
    // The first sentence comes at once (the head is sent after it); the
    // second only after several timeouts' worth of time.
    Mock::given(method("POST"))
        .and(path("/cognitiveservices/v1"))
        .and(body_string_contains("Yksi"))
        .respond_with(azure_pcm(2_400, Duration::ZERO))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cognitiveservices/v1"))
        .and(body_string_contains("Toinen"))
        .respond_with(azure_pcm(4_800, Duration::from_millis(1_500)))
        .mount(&server)
        .await;
    let app = azure_app(&server, "0.3").await;
    let text = "Yksi lause. Toinen lause.";
    let resp = app.post_json("/v1/audio/speech", &openai_pcm(text)).await;
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.expect("the whole body arrives");
    assert!(
        body.len() >= 2 * (2_400 + 4_800),
        "both sentences: {} bytes",
        body.len()
    );

    // WAV too (issue 17: it used to be made whole, so a long WAV got 503 at the timeout).
    let mut wav = openai_pcm(text);
    wav["response_format"] = json!("wav");
    let resp = app.post_json("/v1/audio/speech", &wav).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-cache"], "miss");
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with("W/\""), "not the stored bytes: {etag}");
    let streamed = resp.bytes().await.expect("the whole body arrives");
    assert_eq!(&streamed[..4], b"RIFF");
    assert_eq!(
        &streamed[40..44],
        &[0xfe, 0xff, 0xff, 0xff],
        "a streaming header"
    );
    assert_eq!(streamed.len(), 44 + body.len(), "the same samples as pcm");
    // The stored copy carries the true sizes.
    let resp = app.post_json("/v1/audio/speech", &wav).await;
    assert_eq!(resp.headers()["x-cache"], "hit");
    assert_eq!(resp.headers()["etag"], &etag[2..]);
    let stored = resp.bytes().await.unwrap();
    let data = u32::from_le_bytes(stored[40..44].try_into().unwrap());
    assert_eq!(data as usize, body.len());
    assert_eq!(stored[44..], streamed[44..]);
}

#[tokio::test]
async fn a_websocket_session_outlives_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cognitiveservices/v1"))
        .respond_with(azure_pcm(2_400, Duration::from_millis(1_500)))
        .mount(&server)
        .await;
    let app = azure_app(&server, "0.3").await;
    let url = session_stream_url(&app, None).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("ws");
    let (audio, last) = drain_session(&mut ws).await;
    assert!(audio > 0, "audio arrived after the timeout");
    assert_eq!(last["type"], "eos", "{last}");
}

/// Browsers cannot set headers on a WebSocket: with keys on, a session stream
/// takes its key as a `last-whisper.api-key.<key>` subprotocol.
#[tokio::test]
async fn a_browser_websocket_sends_its_key_as_a_subprotocol() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Error as WsError;

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cognitiveservices/v1"))
        .respond_with(azure_pcm(2_400, Duration::ZERO))
        .mount(&server)
        .await;
    let app = azure_app_with(&server, &[("API_KEYS", "ws-key")]).await;
    let url = session_stream_url(&app, Some("ws-key")).await;
    let offering = |protocols: &str| {
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut()
            .insert("sec-websocket-protocol", protocols.parse().unwrap());
        req
    };

    for (offer, status) in [
        (None, 401),
        (Some("last-whisper, last-whisper.api-key.wrong"), 403),
    ] {
        let req = match offer {
            Some(p) => offering(p),
            None => url.as_str().into_client_request().unwrap(),
        };
        match tokio_tungstenite::connect_async(req).await {
            Err(WsError::Http(resp)) => assert_eq!(resp.status(), status, "{offer:?}"),
            other => panic!("{offer:?}: expected a refused handshake, got {other:?}"),
        }
    }

    let (mut ws, resp) =
        tokio_tungstenite::connect_async(offering("last-whisper, last-whisper.api-key.ws-key"))
            .await
            .expect("the handshake succeeds with the key as a subprotocol");
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        "last-whisper",
        "the server selects its protocol and never echoes the key"
    );
    let (audio, last) = drain_session(&mut ws).await;
    assert!(audio > 0);
    assert_eq!(last["type"], "eos", "{last}");
}

/// Create a session for a short text (with `key` when given); its stream's URL.
async fn session_stream_url(app: &TestApp, key: Option<&str>) -> String {
    let mut create = request(app, Method::POST, "/v1/tts/sessions").json(
        &json!({ "text": "Hei maailma.", "sample_rate_hz": 24000, "target_format": "pcm16" }),
    );
    if let Some(key) = key {
        create = create.header("x-api-key", key);
    }
    let created = send(create).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    format!(
        "{}{}",
        app.address.replace("http://", "ws://"),
        created["stream_url"].as_str().unwrap()
    )
}

/// Read a session stream to its end: the audio messages and the last other message.
async fn drain_session<S>(ws: &mut S) -> (usize, Value)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut audio = 0;
    let mut last = Value::Null;
    while let Some(msg) = ws.next().await {
        match msg.expect("message") {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "audio" {
                    audio += 1;
                } else {
                    last = v;
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    (audio, last)
}
