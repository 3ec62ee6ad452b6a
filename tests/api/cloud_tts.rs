//! Azure Speech and Google Cloud TTS through the real pipeline (item created →
//! task → worker → `ready`/`failed`) against local `wiremock` servers: the
//! exact requests the real APIs expect, and how timeouts, retries, the
//! circuit breaker and the fallback chain behave. Nothing touches the internet.

pub mod mocks;

use std::io::Cursor;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{local_engine_settings, spawn_app_with, TestApp};
use mocks::*;

/// Quick retries so tests that retry stay fast.
const FAST: &[(&str, &str)] = &[
    ("TTS_RETRY_BASE_MS", "10"),
    ("TTS_REQUEST_TIMEOUT_SECONDS", "5"),
];

async fn azure_app(server: &MockServer, extra: &[(&str, &str)]) -> TestApp {
    let uri = server.uri();
    let mut vars: Vec<(&str, &str)> = vec![
        ("TTS_PROVIDER", "azure"),
        ("AZURE_SPEECH_KEY", AZURE_KEY),
        ("AZURE_SPEECH_ENDPOINT", &uri),
    ];
    vars.extend_from_slice(FAST);
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

async fn google_key_app(server: &MockServer, extra: &[(&str, &str)]) -> TestApp {
    let uri = server.uri();
    let mut vars: Vec<(&str, &str)> = vec![
        ("TTS_PROVIDER", "gcp"),
        ("GOOGLE_API_KEY", GOOGLE_API_KEY),
        ("GOOGLE_TTS_ENDPOINT", &uri),
    ];
    vars.extend_from_slice(FAST);
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

async fn new_item(app: &TestApp, text: &str) -> i64 {
    let item = app
        .create_item(json!({ "locale": "fi", "text": text }))
        .await;
    item["id"].as_i64().unwrap()
}

/// The task that serves `text`.
async fn task_for(app: &TestApp, text: &str) -> Value {
    let tasks: Vec<Value> = app
        .get("/api/v1/tts?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    tasks
        .into_iter()
        .find(|t| t["text"] == text || t["original_text"] == text)
        .unwrap_or_else(|| panic!("no task for {text:?}"))
}

/// (rate, channels, bits, samples) of an item's audio.
async fn item_wav(app: &TestApp, id: i64) -> (u32, u16, u16, Vec<i16>) {
    let resp = app.get(&format!("/v1/items/{id}/audio")).await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    let mut reader = hound::WavReader::new(Cursor::new(bytes.to_vec())).unwrap();
    let spec = reader.spec();
    let pcm = reader.samples::<i16>().map(Result::unwrap).collect();
    (spec.sample_rate, spec.channels, spec.bits_per_sample, pcm)
}

async fn health(app: &TestApp) -> Value {
    app.get("/health").await.json().await.unwrap()
}

#[tokio::test]
async fn azure_gets_the_documented_request_and_the_item_becomes_ready() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .and(header("Ocp-Apim-Subscription-Key", AZURE_KEY))
        .and(header("Content-Type", "application/ssml+xml"))
        .and(header(
            "X-Microsoft-OutputFormat",
            "raw-24khz-16bit-mono-pcm",
        ))
        .respond_with(azure_audio(&samples(2_400)))
        .expect(1)
        .mount(&server)
        .await;
    let app = azure_app(&server, &[("AZURE_SPEECH_VOICE", "fi-FI-NooraNeural")]).await;
    let h = health(&app).await;
    assert_eq!(h["checks"]["tts_service"]["status"], "healthy");
    assert_eq!(h["checks"]["tts_device"]["device"], "azure-speech-api");

    let text = "Tom & Jerry <3 \"hyvää\" päivää";
    let id = new_item(&app, text).await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");

    let (rate, channels, bits, pcm) = item_wav(&app, id).await;
    assert_eq!((rate, channels, bits), (24_000, 1, 16));
    assert_eq!(pcm, samples(2_400), "PCM passes through unchanged");
    let task = task_for(&app, text).await;
    assert_eq!(task["device"], "azure-speech-api");
    assert_eq!(task["sampling_rate"], 24_000);

    let request = &requests_to(&server, AZURE_PATH).await[0];
    assert!(header_str(request, "user-agent")
        .unwrap()
        .starts_with("last-whisper/"));
    assert_eq!(
        String::from_utf8(request.body.clone()).unwrap(),
        "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"fi-FI\">\
<voice xml:lang=\"fi-FI\" name=\"fi-FI-NooraNeural\"><prosody rate=\"+0%\">\
Tom &amp; Jerry &lt;3 &quot;hyvää&quot; päivää</prosody></voice></speak>"
    );
}

#[tokio::test]
async fn azure_picks_a_finnish_default_voice_and_the_configured_rate() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .and(header(
            "X-Microsoft-OutputFormat",
            "raw-16khz-16bit-mono-pcm",
        ))
        .respond_with(azure_audio(&samples(1_600)))
        .mount(&server)
        .await;
    let app = azure_app(&server, &[("AZURE_SPEECH_SAMPLE_RATE", "16000")]).await;
    let id = new_item(&app, "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    assert_eq!(item_wav(&app, id).await.0, 16_000);

    let body = String::from_utf8(requests_to(&server, AZURE_PATH).await[0].body.clone()).unwrap();
    let voice = [
        "fi-FI-SelmaNeural",
        "fi-FI-NooraNeural",
        "fi-FI-HarriNeural",
    ]
    .into_iter()
    .find(|v| body.contains(&format!("name=\"{v}\"")));
    assert!(voice.is_some(), "one of the default voices: {body}");
}

#[tokio::test]
async fn google_with_a_service_account_signs_a_jwt_caches_the_token_and_strips_wav_headers() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server).await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .and(header(
            "Authorization",
            format!("Bearer {ACCESS_TOKEN}").as_str(),
        ))
        .respond_with(google_audio(&samples(4_800), 24_000))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let token_uri = format!("{}{TOKEN_PATH}", server.uri());
    let credentials = write_service_account(dir.path(), &token_uri);
    let uri = server.uri();
    let mut vars = vec![
        ("TTS_PROVIDER", "google"),
        (
            "GOOGLE_APPLICATION_CREDENTIALS",
            credentials.to_str().unwrap(),
        ),
        ("GOOGLE_TTS_ENDPOINT", uri.as_str()),
    ];
    vars.extend_from_slice(FAST);
    let app = spawn_app_with(&vars).await;
    assert_eq!(
        health(&app).await["checks"]["tts_device"]["device"],
        "google-tts-api"
    );

    for text in ["Hyvää huomenta!", "Kiitos paljon."] {
        let id = new_item(&app, text).await;
        assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
        let (rate, channels, bits, pcm) = item_wav(&app, id).await;
        assert_eq!((rate, channels, bits), (24_000, 1, 16));
        assert_eq!(
            pcm,
            samples(4_800),
            "the WAV header Google sends is not audio"
        );
        let task = task_for(&app, text).await;
        assert_eq!(task["device"], "google-tts-api");
    }

    let tokens = requests_to(&server, TOKEN_PATH).await;
    assert_eq!(tokens.len(), 1, "the token is cached between requests");
    assert_valid_token_request(&tokens[0], &token_uri);

    let synth = requests_to(&server, GOOGLE_PATH).await;
    let body = body_json(&synth[0]);
    let voice = body["voice"]["name"].as_str().unwrap();
    assert!(
        voice.starts_with("fi-FI-Chirp3-HD-") || voice == "fi-FI-Wavenet-B",
        "{voice}"
    );
    assert_eq!(
        body,
        json!({
            "input": { "text": "Hyvää huomenta!" },
            "voice": { "languageCode": "fi-FI", "name": voice },
            "audioConfig": {
                "audioEncoding": "LINEAR16",
                "sampleRateHertz": 24000,
                "speakingRate": 1.0,
            }
        })
    );
}

#[tokio::test]
async fn google_with_an_api_key_and_a_fixed_voice() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .and(header("X-Goog-Api-Key", GOOGLE_API_KEY))
        .respond_with(google_audio(&samples(2_400), 24_000))
        .expect(1)
        .mount(&server)
        .await;
    let app = google_key_app(&server, &[("GOOGLE_TTS_VOICE", "fi-FI-Wavenet-B")]).await;
    let id = new_item(&app, "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");

    let request = &requests_to(&server, GOOGLE_PATH).await[0];
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(
        header_str(request, "content-type"),
        Some("application/json")
    );
    let body = body_json(request);
    assert_eq!(
        body["voice"],
        json!({ "languageCode": "fi-FI", "name": "fi-FI-Wavenet-B" })
    );
    assert_eq!(body["input"]["text"], "Hei maailma!");
}

#[tokio::test]
async fn google_splits_long_text_on_words_and_joins_the_audio() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .respond_with(google_audio(&samples(1_000), 24_000))
        .expect(2)
        .mount(&server)
        .await;
    let app = google_key_app(&server, &[]).await;
    // 6,000 characters of words: two requests under 4,500 characters each.
    let text = "Hyvää huomenta kaikille ".repeat(250);
    let text = text.trim_end().to_string();
    let id = new_item(&app, &text).await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");

    let chunks: Vec<String> = requests_to(&server, GOOGLE_PATH)
        .await
        .iter()
        .map(|r| body_json(r)["input"]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(chunks.len(), 2);
    for chunk in &chunks {
        assert!(chunk.chars().count() <= 4_500 && chunk.len() <= 5_000);
        // Cut between words, never inside one.
        assert!(chunk
            .split(' ')
            .all(|w| ["Hyvää", "huomenta", "kaikille"].contains(&w)));
    }
    assert_eq!(chunks.join(" "), text);
    let pcm = item_wav(&app, id).await.3;
    assert_eq!(pcm.len(), 2_000, "both chunks, no headers in between");
}

#[tokio::test]
async fn rejected_credentials_fail_at_once_without_retry_or_leaking_the_key() {
    let azure = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&azure)
        .await;
    let app = azure_app(&azure, &[("TTS_MAX_RETRIES", "3")]).await;
    let id = new_item(&app, "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    let task = task_for(&app, "Hei maailma!").await;
    assert_eq!(task["status"], "failed");
    let message = task["error_message"].as_str().unwrap();
    assert_eq!(message, "Azure Speech: credentials rejected (HTTP 401)");

    let google = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "error": { "code": 403, "message": "key AIza... is blocked", "status": "PERMISSION_DENIED" }
        })))
        .expect(1)
        .mount(&google)
        .await;
    let app = google_key_app(&google, &[("TTS_MAX_RETRIES", "3")]).await;
    let id = new_item(&app, "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    let task = task_for(&app, "Hei maailma!").await;
    let message = task["error_message"].as_str().unwrap();
    assert_eq!(
        message,
        "Google TTS: credentials rejected (HTTP 403 PERMISSION_DENIED)"
    );
    assert!(!message.contains(GOOGLE_API_KEY) && !message.contains("AIza"));
}

#[tokio::test]
async fn a_429_is_retried_after_the_requested_delay() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(azure_audio(&samples(2_400)))
        .expect(1)
        .mount(&server)
        .await;
    let app = azure_app(&server, &[]).await;
    let started = Instant::now();
    let id = new_item(&app, "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured (base back-off is 10 ms)"
    );
}

#[tokio::test]
async fn a_server_error_is_retried_and_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .respond_with(google_audio(&samples(2_400), 24_000))
        .expect(1)
        .mount(&server)
        .await;
    let app = google_key_app(&server, &[]).await;
    let id = new_item(&app, "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    assert_eq!(task_for(&app, "Hei maailma!").await["status"], "done");
}

#[tokio::test]
async fn a_slow_server_times_out_and_the_item_fails() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(azure_audio(&samples(10)).set_delay(Duration::from_secs(3)))
        .expect(2)
        .mount(&server)
        .await;
    let app = azure_app(
        &server,
        &[
            ("TTS_REQUEST_TIMEOUT_SECONDS", "0.3"),
            ("TTS_MAX_RETRIES", "1"),
        ],
    )
    .await;
    let started = Instant::now();
    let id = new_item(&app, "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "did not wait for the server"
    );
    let task = task_for(&app, "Hei maailma!").await;
    assert_eq!(
        task["error_message"],
        "Azure Speech: no response within 300ms"
    );
}

#[tokio::test]
async fn the_breaker_opens_fails_fast_and_half_opens_after_the_cool_down() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let app = azure_app(
        &server,
        &[
            ("TTS_MAX_RETRIES", "0"),
            ("TTS_BREAKER_THRESHOLD", "2"),
            ("TTS_BREAKER_COOLDOWN_SECONDS", "1"),
        ],
    )
    .await;
    for text in ["Yksi.", "Kaksi."] {
        let id = new_item(&app, text).await;
        assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
        assert_eq!(
            task_for(&app, text).await["error_message"],
            "Azure Speech: service unavailable (HTTP 503)"
        );
    }
    let h = health(&app).await;
    assert_eq!(h["checks"]["tts_service"]["status"], "unhealthy");
    // In development the detail is the engine's own words.
    let tts = h["checks"]["tts_service"]["detail"].as_str().unwrap();
    assert!(
        tts.starts_with(
            "Azure Speech: circuit open (last failure: service unavailable (HTTP 503))"
        ),
        "{tts}"
    );
    assert_eq!(h["status"], "unhealthy");

    // Open: fails fast, the provider is not called.
    let id = new_item(&app, "Kolme.").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    let message = task_for(&app, "Kolme.").await["error_message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("Azure Speech: circuit open after 2 consecutive failures"),
        "{message}"
    );
    assert_eq!(requests_to(&server, AZURE_PATH).await.len(), 2);

    // The provider recovers; after the cool-down one trial closes the circuit.
    server.reset().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(azure_audio(&samples(2_400)))
        .mount(&server)
        .await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let id = new_item(&app, "Neljä.").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    assert_eq!(
        health(&app).await["checks"]["tts_service"],
        json!({ "status": "healthy" })
    );
    let id = new_item(&app, "Viisi.").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
}

#[tokio::test]
async fn a_failed_trial_reopens_the_circuit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let app = azure_app(
        &server,
        &[
            ("TTS_MAX_RETRIES", "0"),
            ("TTS_BREAKER_THRESHOLD", "1"),
            ("TTS_BREAKER_COOLDOWN_SECONDS", "0.5"),
        ],
    )
    .await;
    let id = new_item(&app, "Yksi.").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let id = new_item(&app, "Kaksi.").await; // the half-open trial
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    let id = new_item(&app, "Kolme.").await; // open again: not sent
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    assert_eq!(requests_to(&server, AZURE_PATH).await.len(), 2);
    assert!(task_for(&app, "Kolme.").await["error_message"]
        .as_str()
        .unwrap()
        .contains("circuit open"));
}

#[tokio::test]
async fn a_failing_primary_falls_back_to_the_next_provider_which_is_recorded() {
    let azure = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&azure)
        .await;
    let google = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .respond_with(google_audio(&samples(2_400), 24_000))
        .expect(2)
        .mount(&google)
        .await;
    let google_uri = google.uri();
    let app = azure_app(
        &azure,
        &[
            ("TTS_FALLBACK", "gcp"),
            ("TTS_BREAKER_THRESHOLD", "1"),
            ("GOOGLE_API_KEY", GOOGLE_API_KEY),
            ("GOOGLE_TTS_ENDPOINT", &google_uri),
        ],
    )
    .await;
    assert_eq!(
        health(&app).await["checks"]["tts_device"]["device"],
        "azure-speech-api"
    );

    // Permanent failure of the primary → the next engine speaks.
    let id = new_item(&app, "Yksi.").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    let task = task_for(&app, "Yksi.").await;
    assert_eq!(task["device"], "google-tts-api");
    assert_eq!(task["sampling_rate"], 24_000);

    // Now open-circuited: the primary is skipped without a request.
    let tts = health(&app).await["checks"]["tts_service"]["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(tts.starts_with("Azure Speech: circuit open"), "{tts}");
    assert!(tts.ends_with("falling back to google-tts-api"), "{tts}");
    let id = new_item(&app, "Kaksi.").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    assert_eq!(task_for(&app, "Kaksi.").await["device"], "google-tts-api");
}

#[tokio::test]
async fn a_cloud_primary_can_fall_back_to_the_local_engine() {
    let azure = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(ResponseTemplate::new(500))
        .mount(&azure)
        .await;
    let local = local_engine_settings();
    let mut vars: Vec<(&str, &str)> = local
        .iter()
        .filter(|(k, _)| *k != "TTS_PROVIDER")
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    vars.extend_from_slice(&[("TTS_FALLBACK", "local"), ("TTS_MAX_RETRIES", "1")]);
    let app = azure_app(&azure, &vars).await;
    let id = new_item(&app, "Hei maailma!").await;
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    let task = task_for(&app, "Hei maailma!").await;
    assert_eq!(task["device"], "cpu");
    assert_eq!(task["sampling_rate"], 16_000);
    assert_eq!(
        requests_to(&azure, AZURE_PATH).await.len(),
        2,
        "retried once first"
    );
}

#[tokio::test]
async fn missing_credentials_start_the_service_and_fail_items() {
    for provider in ["azure", "gcp"] {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.json");
        let app = spawn_app_with(&[
            ("TTS_PROVIDER", provider),
            ("AZURE_SPEECH_REGION", "westeurope"),
            ("GOOGLE_APPLICATION_CREDENTIALS", missing.to_str().unwrap()),
        ])
        .await;
        let h = health(&app).await;
        assert_eq!(
            h["checks"]["tts_service"],
            json!({ "status": "unhealthy", "detail": "not initialized" }),
            "{provider}"
        );
        let id = new_item(&app, "Hei maailma!").await;
        assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    }

    // A malformed key file is reported the same way, without crashing.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"type":"service_account","client_email":"x@y","private_key":"not a key"}"#,
    )
    .unwrap();
    let app = spawn_app_with(&[
        ("TTS_PROVIDER", "google"),
        ("GOOGLE_APPLICATION_CREDENTIALS", bad.to_str().unwrap()),
    ])
    .await;
    assert_eq!(
        health(&app).await["checks"]["tts_service"]["detail"],
        "not initialized"
    );
}
