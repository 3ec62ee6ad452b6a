//! The conformance test every TTS provider passes (style §2.13): built from
//! settings the way the service builds it, the same input gives a valid
//! 16-bit mono WAV at the provider's rate, and failures come back as the same
//! error kinds whichever provider produced them. The local engine runs on the
//! tiny fixture model; Azure and Google run against local `wiremock` servers.
//!
//! Needs ONNX Runtime for the local engine: `ORT_DYLIB_PATH` as for the API tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/cloud_tts/mocks.rs"]
mod mocks;

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use last_whisper::audio::wav::encode_wav_pcm16;
use last_whisper::config::Settings;
use last_whisper::tts::build_provider;
use last_whisper::tts::provider::{ProviderError, SynthesisRequest, TtsProvider};
use mocks::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A provider under test, with the mock server it talks to (if any).
struct Subject {
    name: &'static str,
    provider: Arc<dyn TtsProvider>,
    rate: u32,
    server: Option<MockServer>,
    _dir: tempfile::TempDir,
}

const FAST: [(&str, &str); 3] = [
    ("TTS_RETRY_BASE_MS", "5"),
    ("TTS_MAX_RETRIES", "1"),
    ("TTS_REQUEST_TIMEOUT_SECONDS", "0.5"),
];

async fn build(vars: Vec<(String, String)>) -> Arc<dyn TtsProvider> {
    let mut all: Vec<(String, String)> = FAST
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    all.extend(vars);
    let settings = Settings::from_vars(all).unwrap();
    build_provider(&settings).await.expect("provider builds")
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn local() -> Subject {
    let model = format!(
        "{}/tests/fixtures/models/mms-fin-random-tiny-det",
        env!("CARGO_MANIFEST_DIR")
    );
    let ort = std::env::var("ORT_DYLIB_PATH")
        .expect("ORT_DYLIB_PATH: run scripts/install-onnxruntime.sh first");
    let provider = build(vars(&[
        ("TTS_PROVIDER", "local"),
        ("TTS_MODEL_DIR", &model),
        ("TTS_DEVICE", "cpu"),
        ("TTS_THREAD_COUNT", "1"),
        ("ORT_DYLIB_PATH", &ort),
    ]))
    .await;
    Subject {
        name: "local",
        provider,
        rate: 16_000,
        server: None,
        _dir: tempfile::tempdir().unwrap(),
    }
}

/// Azure against `server`, which the caller fills with mocks.
async fn azure(server: MockServer, extra: &[(&str, &str)]) -> Subject {
    let uri = server.uri();
    let mut v = vars(&[
        ("TTS_PROVIDER", "azure"),
        ("AZURE_SPEECH_KEY", AZURE_KEY),
        ("AZURE_SPEECH_ENDPOINT", &uri),
    ]);
    v.extend(vars(extra));
    Subject {
        name: "azure",
        provider: build(v).await,
        rate: 24_000,
        server: Some(server),
        _dir: tempfile::tempdir().unwrap(),
    }
}

/// Google (service account) against `server`, which gets a token endpoint.
async fn google(server: MockServer, extra: &[(&str, &str)]) -> Subject {
    mount_token_endpoint(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = write_service_account(dir.path(), &format!("{}{TOKEN_PATH}", server.uri()));
    let uri = server.uri();
    let mut v = vars(&[
        ("TTS_PROVIDER", "gcp"),
        (
            "GOOGLE_APPLICATION_CREDENTIALS",
            credentials.to_str().unwrap(),
        ),
        ("GOOGLE_TTS_ENDPOINT", &uri),
    ]);
    v.extend(vars(extra));
    Subject {
        name: "google",
        provider: build(v).await,
        rate: 24_000,
        server: Some(server),
        _dir: dir,
    }
}

/// Every provider, each answering successfully.
async fn working_subjects() -> Vec<Subject> {
    let azure_server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(azure_audio(&samples(2_400)))
        .mount(&azure_server)
        .await;
    let google_server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .respond_with(google_audio(&samples(2_400), 24_000))
        .mount(&google_server)
        .await;
    vec![
        local().await,
        azure(azure_server, &[]).await,
        google(google_server, &[]).await,
    ]
}

fn request(text: &str) -> SynthesisRequest {
    SynthesisRequest {
        text: text.to_string(),
        language: "fi".to_string(),
        voice: None,
        speed: 1.0,
        urgency: last_whisper::tts::provider::Urgency::Background,
    }
}

async fn calls(subject: &Subject, wanted: &str) -> usize {
    match &subject.server {
        Some(server) => requests_to(server, wanted).await.len(),
        None => 0,
    }
}

fn synth_path(subject: &Subject) -> &'static str {
    if subject.name == "azure" {
        AZURE_PATH
    } else {
        GOOGLE_PATH
    }
}

#[tokio::test]
async fn every_provider_turns_the_same_input_into_a_valid_wav_at_its_rate() {
    for subject in working_subjects().await {
        let name = subject.name;
        assert!(!subject.provider.runs_on().is_empty(), "{name}");
        subject.provider.health().await.expect(name);

        let first = subject
            .provider
            .synthesize(&request("Hei maailma!"))
            .await
            .expect(name);
        let second = subject
            .provider
            .synthesize(&request("Hei maailma!"))
            .await
            .expect(name);
        assert_eq!(first.sample_rate, subject.rate, "{name}");
        assert!(!first.samples.is_empty(), "{name}");
        assert_eq!(
            first.samples.len(),
            second.samples.len(),
            "{name}: deterministic length"
        );
        assert!(
            first.samples.iter().all(|s| (-1.0..=1.0).contains(s)),
            "{name}: samples in range"
        );
        assert_eq!(first.ran_on, None, "{name}: a single engine needs no label");

        let wav = encode_wav_pcm16(&first.samples, first.sample_rate).unwrap();
        let reader = hound::WavReader::new(Cursor::new(wav)).expect(name);
        let spec = reader.spec();
        assert_eq!(
            (spec.channels, spec.bits_per_sample, spec.sample_rate),
            (1, 16, subject.rate),
            "{name}"
        );
        assert_eq!(reader.duration() as usize, first.samples.len(), "{name}");
    }
}

#[tokio::test]
async fn every_provider_refuses_blank_text_as_invalid_input_without_calling_out() {
    for subject in working_subjects().await {
        let name = subject.name;
        for text in ["", "   \n\t "] {
            let err = subject
                .provider
                .synthesize(&request(text))
                .await
                .unwrap_err();
            assert!(
                matches!(err, ProviderError::InvalidInput(_)),
                "{name}: {err:?}"
            );
            assert!(!err.is_retryable(), "{name}");
        }
        if subject.server.is_some() {
            assert_eq!(calls(&subject, synth_path(&subject)).await, 0, "{name}");
        }
    }
}

/// A cloud provider whose API answers every synthesis with `response`.
async fn cloud_answering(
    name: &str,
    response: ResponseTemplate,
    extra: &[(&str, &str)],
) -> Subject {
    let server = MockServer::start().await;
    let wanted = if name == "azure" {
        AZURE_PATH
    } else {
        GOOGLE_PATH
    };
    Mock::given(method("POST"))
        .and(path(wanted))
        .respond_with(response)
        .mount(&server)
        .await;
    if name == "azure" {
        azure(server, extra).await
    } else {
        google(server, extra).await
    }
}

#[tokio::test]
async fn cloud_failures_map_to_the_same_error_kinds() {
    for name in ["azure", "google"] {
        // Rejected credentials: permanent, one request only.
        let s = cloud_answering(name, ResponseTemplate::new(401), &[]).await;
        let err = s.provider.synthesize(&request("Hei")).await.unwrap_err();
        assert!(matches!(err, ProviderError::Engine(_)), "{name}: {err:?}");
        assert!(
            err.to_string().contains("credentials rejected (HTTP 401"),
            "{name}: {err}"
        );
        assert_eq!(calls(&s, synth_path(&s)).await, 1, "{name}: no retry");

        // Refused input: permanent, not retried.
        let s = cloud_answering(name, ResponseTemplate::new(400), &[]).await;
        let err = s.provider.synthesize(&request("Hei")).await.unwrap_err();
        assert!(
            matches!(err, ProviderError::InvalidInput(_)),
            "{name}: {err:?}"
        );
        assert_eq!(calls(&s, synth_path(&s)).await, 1, "{name}: no retry");

        // Outage: retryable, retried (TTS_MAX_RETRIES=1 → two requests).
        let s = cloud_answering(name, ResponseTemplate::new(503), &[]).await;
        let err = s.provider.synthesize(&request("Hei")).await.unwrap_err();
        assert!(err.is_retryable(), "{name}: {err:?}");
        assert_eq!(calls(&s, synth_path(&s)).await, 2, "{name}: retried once");

        // Too slow: retryable timeout.
        let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(3));
        let s = cloud_answering(name, slow, &[("TTS_MAX_RETRIES", "0")]).await;
        let err = s.provider.synthesize(&request("Hei")).await.unwrap_err();
        assert!(err.is_retryable(), "{name}: {err:?}");
        assert!(
            err.to_string().ends_with("no response within 500ms"),
            "{name}: {err}"
        );

        // Unusable body: permanent.
        let garbage = ResponseTemplate::new(200).set_body_string("x");
        let s = cloud_answering(name, garbage, &[]).await;
        let err = s.provider.synthesize(&request("Hei")).await.unwrap_err();
        assert!(matches!(err, ProviderError::Engine(_)), "{name}: {err:?}");

        // Open circuit: fails fast as retryable, and health says so.
        let s = cloud_answering(
            name,
            ResponseTemplate::new(500),
            &[("TTS_BREAKER_THRESHOLD", "1"), ("TTS_MAX_RETRIES", "0")],
        )
        .await;
        s.provider.synthesize(&request("Hei")).await.unwrap_err();
        let err = s.provider.synthesize(&request("Hei")).await.unwrap_err();
        assert!(err.is_retryable(), "{name}: {err:?}");
        assert!(err.to_string().contains("circuit open"), "{name}: {err}");
        let health = s.provider.health().await.unwrap_err();
        assert!(
            health.to_string().contains("circuit open"),
            "{name}: {health}"
        );
        assert_eq!(calls(&s, synth_path(&s)).await, 1, "{name}: failed fast");
    }
}

#[tokio::test]
async fn speed_and_voice_reach_the_cloud_requests() {
    let azure_server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(AZURE_PATH))
        .respond_with(azure_audio(&samples(100)))
        .mount(&azure_server)
        .await;
    let az = azure(azure_server, &[]).await;
    let google_server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GOOGLE_PATH))
        .respond_with(google_audio(&samples(100), 24_000))
        .mount(&google_server)
        .await;
    let gc = google(google_server, &[]).await;

    for (speed, rate, speaking_rate) in [
        (1.25, "+25%", 1.25),
        (0.75, "-25%", 0.75),
        (3.0, "+100%", 3.0),
    ] {
        let mut req = request("Hei");
        req.speed = speed;
        az.provider.synthesize(&req).await.unwrap();
        gc.provider.synthesize(&req).await.unwrap();
        let az_body = String::from_utf8(
            requests_to(az.server.as_ref().unwrap(), AZURE_PATH)
                .await
                .last()
                .unwrap()
                .body
                .clone(),
        )
        .unwrap();
        assert!(
            az_body.contains(&format!("<prosody rate=\"{rate}\">")),
            "{az_body}"
        );
        let gc_body = body_json(
            requests_to(gc.server.as_ref().unwrap(), GOOGLE_PATH)
                .await
                .last()
                .unwrap(),
        );
        assert_eq!(gc_body["audioConfig"]["speakingRate"], speaking_rate);
    }

    let mut req = request("Hej");
    req.language = "sv".into();
    req.voice = Some("sv-SE-SofieNeural".into());
    az.provider.synthesize(&req).await.unwrap();
    let az_body = String::from_utf8(
        requests_to(az.server.as_ref().unwrap(), AZURE_PATH)
            .await
            .last()
            .unwrap()
            .body
            .clone(),
    )
    .unwrap();
    assert!(
        az_body.contains("xml:lang=\"sv-SE\" name=\"sv-SE-SofieNeural\""),
        "{az_body}"
    );

    req.voice = Some("sv-SE-Wavenet-A".into());
    gc.provider.synthesize(&req).await.unwrap();
    let gc_body = body_json(
        requests_to(gc.server.as_ref().unwrap(), GOOGLE_PATH)
            .await
            .last()
            .unwrap(),
    );
    assert_eq!(
        gc_body["voice"],
        serde_json::json!({ "languageCode": "sv-SE", "name": "sv-SE-Wavenet-A" })
    );
}
