//! The TTS pipeline with `TTS_PROVIDER=piper` and the real `en_US-joe-medium` voice
//! (`scripts/install-piper-voice.sh`; `scripts/test.sh` exports `PIPER_TEST_VOICES_DIR`):
//! an English item gets a playable WAV at the voice's rate, and `GET /v1/voices` lists the voice
//! with its card data.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};

pub(crate) fn voices_dir() -> String {
    let dir = match std::env::var_os("PIPER_TEST_VOICES_DIR") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/piper-voices"),
    };
    assert!(
        dir.join("en_US-joe-medium.onnx").is_file(),
        "run scripts/install-piper-voice.sh and export PIPER_TEST_VOICES_DIR=<the path it prints>"
    );
    dir.display().to_string()
}

async fn piper_app() -> TestApp {
    let dir = voices_dir();
    let ort = std::env::var("ORT_DYLIB_PATH").unwrap_or_default();
    spawn_app_with(&[
        ("TTS_PROVIDER", "piper"),
        ("VOICES_DIR", &dir),
        ("TTS_SUPPORTED_LANGUAGES", "[\"fi\",\"en\"]"),
        ("TTS_DEVICE", "cpu"),
        ("TTS_THREAD_COUNT", "2"),
        ("ORT_DYLIB_PATH", &ort),
    ])
    .await
}

#[tokio::test]
async fn an_english_item_is_spoken_by_the_piper_voice() {
    let app = piper_app().await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["checks"]["tts_service"]["status"], "healthy");

    let item = app
        .create_item(json!({ "locale": "en", "text": "Is this the right way to the station?" }))
        .await;
    let id = item["id"].as_i64().unwrap();
    let item = app.wait_for_tts(id).await;
    assert_eq!(item["tts_status"], "ready", "{item}");

    let resp = app.get(&format!("/v1/items/{id}/audio")).await;
    assert_eq!(resp.status(), 200);
    let wav = resp.bytes().await.unwrap();
    let reader = hound::WavReader::new(Cursor::new(wav.as_ref())).expect("valid WAV");
    assert_eq!(reader.spec().sample_rate, 22_050);
    assert_eq!(reader.spec().channels, 1);
    let seconds = reader.duration() as f32 / 22_050.0;
    assert!((1.0..6.0).contains(&seconds), "{seconds} s");
}

#[tokio::test]
async fn voices_lists_the_installed_voice_with_its_card() {
    let app = piper_app().await;
    let resp = app.get("/v1/voices").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["voices"],
        json!([{
            "name": "en_US-joe-medium",
            "language": "en_US",
            "sample_rate": 22050,
            "quality": "medium",
            "licence": "CC0",
            "provider": "piper",
        }])
    );
}

#[tokio::test]
async fn voices_is_empty_without_an_engine() {
    let app = crate::helpers::spawn_app().await;
    let body: Value = app.get("/v1/voices").await.json().await.unwrap();
    assert_eq!(body, json!({ "voices": [] }));
}

#[tokio::test]
async fn the_mms_engine_lists_its_one_non_commercial_voice() {
    let app = crate::helpers::spawn_app_with_engine(&[]).await;
    let body: Value = app.get("/v1/voices").await.json().await.unwrap();
    let voices = body["voices"].as_array().unwrap();
    assert_eq!(voices.len(), 1);
    assert_eq!(voices[0]["name"], "mms-fin-random-tiny-det");
    assert_eq!(voices[0]["language"], "fi");
    assert_eq!(voices[0]["sample_rate"], 16000);
    assert_eq!(voices[0]["licence"], "CC-BY-NC-4.0");
    assert_eq!(voices[0]["provider"], "local");
}

#[test]
fn piper_settings_parse_with_defaults() {
    use last_whisper::config::{Settings, TtsProviderKind};
    let s = Settings::from_vars([("TTS_PROVIDER", "piper")]).unwrap();
    assert_eq!(s.tts.provider, TtsProviderKind::Piper);
    assert_eq!(s.tts.voices_dir, PathBuf::from("voices"));
    assert_eq!(s.tts.piper_default_voice, None);
    assert_eq!(s.tts.piper_max_loaded_voices, 2);
    let s = Settings::from_vars([
        ("PIPER_DEFAULT_VOICE", "fi_FI-harri-medium"),
        ("PIPER_MAX_LOADED_VOICES", "4"),
        ("VOICES_DIR", "/srv/voices"),
    ])
    .unwrap();
    assert_eq!(
        s.tts.provider,
        TtsProviderKind::Local,
        "MMS stays the default"
    );
    assert_eq!(
        s.tts.piper_default_voice.as_deref(),
        Some("fi_FI-harri-medium")
    );
    assert_eq!(s.tts.piper_max_loaded_voices, 4);
    assert!(Settings::from_vars([("PIPER_MAX_LOADED_VOICES", "0")]).is_err());
}

#[tokio::test]
async fn speech_on_demand_selects_the_piper_voice_by_name() {
    let app = piper_app().await;
    let body = json!({
        "model": "tts-1",
        "input": "Good morning.",
        "voice": "en_US-joe-medium",
        "response_format": "wav",
        "language": "en",
    });
    let resp = app.post_json("/v1/audio/speech", &body).await;
    assert_eq!(resp.status(), 200);
    let wav = resp.bytes().await.unwrap();
    let reader = hound::WavReader::new(Cursor::new(wav.as_ref())).expect("valid WAV");
    assert!(reader.duration() > 0);

    let mut unknown = body.clone();
    unknown["voice"] = json!("nobody");
    let resp = app.post_json("/v1/audio/speech", &unknown).await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
}

/// A voice is chosen per item: a known voice speaks it, an unknown one
/// fails the item's task with a reason naming the voices there are.
#[tokio::test]
async fn items_choose_their_voice() {
    let app = piper_app().await;
    let chosen = app
        .create_item(
            json!({ "locale": "en", "text": "Good morning.", "voice": "en_US-joe-medium" }),
        )
        .await;
    assert_eq!(chosen["voice"], "en_US-joe-medium");
    let id = chosen["id"].as_i64().unwrap();
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");

    let unknown = app
        .create_item(json!({ "locale": "en", "text": "Good morning.", "voice": "nobody" }))
        .await;
    let id = unknown["id"].as_i64().unwrap();
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "failed");
    // Same text, other voice: a task of its own, not the first one's audio.
    let tasks: Vec<Value> = app.get("/api/v1/tts").await.json().await.unwrap();
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let failed = tasks.iter().find(|t| t["status"] == "failed").unwrap();
    let message = failed["error_message"].as_str().unwrap();
    assert!(message.contains("en_US-joe-medium"), "{message}");
}
