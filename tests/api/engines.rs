//! Engines side by side: the MMS tiny fixture (`TTS_MODEL_DIR`, the default engine) and the real
//! `en_US-joe-medium` Piper voice (`VOICES_DIR`, from `PIPER_TEST_VOICES_DIR` as in `piper.rs`)
//! loaded in one server. A request or item is spoken by the engine owning its voice, else by the
//! first engine speaking its language, else by the default; `/v1/voices` and `/health` show both.
//! MMS speaks at 16 kHz and Piper at 22.05 kHz: item audio keeps the engine's rate, and speech on
//! demand (resampled to 24 kHz) has sound above 8 kHz only when Piper spoke it.

use std::io::Cursor;

use serde_json::{json, Value};

use crate::helpers::{fixture_model, spawn_app_with, TestApp};

const JOE: &str = "en_US-joe-medium";
const MMS_RATE: u32 = 16_000;
const PIPER_RATE: u32 = 22_050;

async fn two_engines(voices_dir: &str) -> TestApp {
    let ort = std::env::var("ORT_DYLIB_PATH").unwrap_or_default();
    spawn_app_with(&[
        ("TTS_PROVIDER", "local"),
        ("TTS_MODEL_DIR", &fixture_model("mms-fin-random-tiny")),
        ("VOICES_DIR", voices_dir),
        ("TTS_SUPPORTED_LANGUAGES", "[\"fi\",\"en\"]"),
        ("TTS_DEVICE", "cpu"),
        ("TTS_THREAD_COUNT", "1"),
        ("ORT_DYLIB_PATH", &ort),
    ])
    .await
}

async fn mms_and_piper() -> TestApp {
    two_engines(&crate::piper::voices_dir()).await
}

/// The sample rate of an item's audio once its task is done.
async fn item_rate(app: &TestApp, body: Value) -> u32 {
    let id = app.create_item(body).await["id"].as_i64().unwrap();
    let item = app.wait_for_tts(id).await;
    assert_eq!(item["tts_status"], "ready", "{item}");
    let resp = app.get(&format!("/v1/items/{id}/audio")).await;
    assert_eq!(resp.status(), 200);
    let wav = resp.bytes().await.unwrap();
    hound::WavReader::new(Cursor::new(wav.as_ref()))
        .expect("valid WAV")
        .spec()
        .sample_rate
}

#[tokio::test]
async fn items_go_to_the_engine_of_their_voice_else_of_their_language() {
    let app = mms_and_piper().await;
    let text = "Sisko sanoi sen selvästi.";
    assert_eq!(
        item_rate(&app, json!({ "locale": "fi", "text": text })).await,
        MMS_RATE
    );
    assert_eq!(
        item_rate(
            &app,
            json!({ "locale": "en", "text": "She sells sea shells." })
        )
        .await,
        PIPER_RATE
    );
    // The voice wins over the language: a Finnish item in Joe's voice is Piper's.
    let in_joes_voice = json!({ "locale": "fi", "text": text, "voice": JOE });
    assert_eq!(item_rate(&app, in_joes_voice).await, PIPER_RATE);
}

#[tokio::test]
async fn voices_lists_both_engines() {
    let app = mms_and_piper().await;
    let body: Value = app.get("/v1/voices").await.json().await.unwrap();
    let voices: Vec<(String, String, u64)> = body["voices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let text = |k: &str| v[k].as_str().unwrap().to_string();
            (
                text("provider"),
                text("language"),
                v["sample_rate"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        voices,
        [
            ("local".to_string(), "fi".to_string(), u64::from(MMS_RATE)),
            (
                "piper".to_string(),
                "en_US".to_string(),
                u64::from(PIPER_RATE)
            ),
        ]
    );
    assert_eq!(body["voices"][1]["name"], JOE);
}

#[tokio::test]
async fn health_reports_each_engine() {
    let app = mms_and_piper().await;
    let body: Value = app.get("/health").await.json().await.unwrap();
    let checks = &body["checks"];
    assert_eq!(checks["tts_service"], json!({ "status": "healthy" }));
    assert_eq!(body["status"], "healthy");
    assert_eq!(
        checks["tts_engines"],
        json!({
            "local": { "status": "healthy", "default": true, "device": "cpu", "voices": 1, "languages": ["fi"] },
            "piper": { "status": "healthy", "default": false, "device": "cpu", "voices": 1, "languages": ["en"] },
        })
    );
}

/// Share of a clip's energy above 8.5 kHz (a windowed DFT over 1024-sample frames):
/// a 16 kHz engine resampled to 24 kHz has none there, a 22.05 kHz one has
/// its fricatives there.
fn energy_above_8500_hz(samples: &[f32], rate: u32) -> f64 {
    const N: usize = 1024;
    let cut = (8_500.0 * N as f64 / f64::from(rate)).ceil() as usize;
    let twiddles: Vec<(f64, f64)> = (0..N)
        .map(|k| (std::f64::consts::TAU * k as f64 / N as f64).sin_cos())
        .collect();
    // A Hann window, so no energy leaks from the loud low bins into the high ones.
    let hann: Vec<f64> = twiddles.iter().map(|(_, cos)| 0.5 - 0.5 * cos).collect();
    let (mut high, mut total) = (0.0f64, 0.0f64);
    for frame in samples.chunks_exact(N) {
        for bin in 1..N / 2 {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (i, s) in frame.iter().enumerate() {
                let (sin, cos) = twiddles[(bin * i) % N];
                let x = f64::from(*s) * hann[i];
                re += x * cos;
                im -= x * sin;
            }
            let power = re * re + im * im;
            total += power;
            if bin >= cut {
                high += power;
            }
        }
    }
    if total > 0.0 {
        high / total
    } else {
        0.0
    }
}

/// `/v1/audio/speech` as WAV, decoded: (samples, rate).
async fn speech(app: &TestApp, voice: &str, language: &str) -> (Vec<f32>, u32) {
    let body = json!({
        "model": "tts-1",
        "input": "She sells sea shells, says Sisko.",
        "voice": voice,
        "response_format": "wav",
        "language": language,
    });
    let resp = app.post_json("/v1/audio/speech", &body).await;
    assert_eq!(resp.status(), 200, "{voice} {language}");
    let wav = resp.bytes().await.unwrap();
    let mut reader = hound::WavReader::new(Cursor::new(wav.as_ref())).expect("valid WAV");
    let rate = reader.spec().sample_rate;
    let samples = reader
        .samples::<i16>()
        // Read to the end: a WAV made now has a streaming header ("to the end").
        .map_while(Result::ok)
        .map(|s| f32::from(s) / 32_768.0)
        .collect();
    (samples, rate)
}

#[tokio::test]
async fn speech_on_demand_is_routed_by_voice_and_by_language() {
    let app = mms_and_piper().await;
    let mut shares = Vec::new();
    // Joe by name (even for Finnish), English by language (`alloy` = the engine's default), Finnish.
    for (voice, language) in [(JOE, "fi"), ("alloy", "en"), ("alloy", "fi")] {
        let (samples, rate) = speech(&app, voice, language).await;
        assert!(samples.len() > rate as usize / 4, "{voice} {language}");
        shares.push(energy_above_8500_hz(&samples, rate));
    }
    eprintln!("energy above 8.5 kHz: {shares:?}");
    assert!(shares[0] > 1e-5, "Joe by name was not Piper's: {shares:?}");
    assert!(shares[1] > 1e-5, "English was not Piper's: {shares:?}");
    assert!(shares[2] < 1e-7, "Finnish was not MMS's: {shares:?}");
}

/// Piper configured (a voice file in `VOICES_DIR`) but unusable: MMS still speaks and stays the
/// healthy default; `/health` names Piper unhealthy, and `/v1/voices` lists only MMS.
#[tokio::test]
async fn a_configured_engine_that_fails_to_load_is_reported_unhealthy() {
    let voices = tempfile::tempdir().unwrap();
    std::fs::write(voices.path().join("broken.onnx"), b"no card beside it").unwrap();
    let app = two_engines(&voices.path().display().to_string()).await;
    let body: Value = app.get("/health").await.json().await.unwrap();
    let checks = &body["checks"];
    assert_eq!(checks["tts_service"], json!({ "status": "healthy" }));
    assert_eq!(checks["tts_engines"]["local"]["status"], "healthy");
    let piper = &checks["tts_engines"]["piper"];
    assert_eq!(piper["status"], "unhealthy", "{piper}");
    assert_eq!(piper["default"], false);
    assert!(piper.get("device").is_none(), "{piper}");
    // Development mode: the cause and its fix are shown.
    let detail = piper["detail"].as_str().unwrap();
    assert!(detail.contains("VOICES_DIR"), "{detail}");
    let voices: Value = app.get("/v1/voices").await.json().await.unwrap();
    assert_eq!(voices["voices"].as_array().unwrap().len(), 1, "{voices}");
    assert_eq!(voices["voices"][0]["provider"], "local");
}
