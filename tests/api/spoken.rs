//! What the learner hears is what they are scored against: local engines
//! speak the Finnish spoken form, the API shows it, and the lenient score
//! accepts digits or words (normalisation issue).

use std::io::Cursor;

use last_whisper::tts::local::{Device, LocalEngineConfig, LocalMmsProvider};
use last_whisper::tts::provider::SynthesisRequest;
use serde_json::{json, Value};

use crate::helpers::{fixture_model, spawn_app_with_engine, TestApp};

const TRAIN: &str = "Juna lähtee kello 8.30 raiteelta 5.";

/// Samples the tiny deterministic model produces for `text`.
fn samples_for(text: &str) -> usize {
    let mut config = LocalEngineConfig::new(fixture_model("mms-fin-random-tiny-det"));
    config.device = Device::Cpu;
    config.dylib_path = std::env::var("ORT_DYLIB_PATH").ok().map(Into::into);
    let engine = LocalMmsProvider::load(config).unwrap();
    let request = SynthesisRequest {
        text: text.to_string(),
        language: "fi".into(),
        voice: None,
        speed: 1.0,
        urgency: last_whisper::tts::provider::Urgency::Background,
    };
    engine.synthesize_blocking(&request).unwrap().samples.len()
}

async fn item_samples(app: &TestApp, id: i64) -> usize {
    let bytes = app
        .get(&format!("/v1/items/{id}/audio"))
        .await
        .bytes()
        .await
        .unwrap();
    hound::WavReader::new(Cursor::new(bytes.to_vec()))
        .unwrap()
        .duration() as usize
}

async fn create(app: &TestApp, body: Value) -> Value {
    let item = app.create_item(body).await;
    let id = item["id"].as_i64().unwrap();
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    item
}

#[tokio::test]
async fn digits_are_spoken_as_words_and_either_form_scores_100_leniently() {
    let app = spawn_app_with_engine(&[]).await;
    let item = create(&app, json!({ "locale": "fi", "text": TRAIN })).await;
    let id = item["id"].as_i64().unwrap();
    let spoken = item["spoken_text"].as_str().unwrap().to_string();
    assert!(spoken.contains("kahdeksan"), "{spoken}");
    assert!(spoken.contains("viisi"), "{spoken}");
    assert!(!spoken.chars().any(|c| c.is_ascii_digit()), "{spoken}");
    let status: Value = app
        .get(&format!("/v1/items/{id}/tts-status"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["spoken_text"], spoken.as_str());

    // The engine was given the spoken form: the audio has its length,
    // not that of the written text (whose digits the tokenizer drops).
    let heard = item_samples(&app, id).await;
    assert_eq!(heard, samples_for(&spoken));
    assert_ne!(heard, samples_for(TRAIN));

    let digits = app
        .create_attempt(id, "Juna lähtee kello 8.30 raiteelta 5")
        .await;
    assert_eq!(digits["percentage"], 100);
    assert_eq!(digits["percentage_spoken"], 100);
    let words = app.create_attempt(id, &spoken).await;
    assert_eq!(words["percentage_spoken"], 100);
    assert!(
        words["percentage"].as_i64().unwrap() < 100,
        "legacy score is unchanged"
    );
    // The alignment treats "5" and "viisi" as the same word.
    let last = words["alignment"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["op"], "equal", "{last}");
}

#[tokio::test]
async fn normalisation_can_be_turned_off_and_overridden_per_item() {
    let off = spawn_app_with_engine(&[("TTS_NORMALIZE", "false")]).await;
    let item = create(&off, json!({ "locale": "fi", "text": TRAIN })).await;
    assert_eq!(item["spoken_text"], TRAIN);

    let app = spawn_app_with_engine(&[]).await;
    let reading = "juna lähtee puoli yhdeksältä raiteelta viisi";
    let item = create(
        &app,
        json!({ "locale": "fi", "text": TRAIN, "spoken_text": reading }),
    )
    .await;
    let id = item["id"].as_i64().unwrap();
    assert_eq!(item["spoken_text"], reading);
    assert_eq!(item_samples(&app, id).await, samples_for(reading));

    // PATCH back to the derived reading: the audio is made again.
    let resp = app
        .patch_json(
            &format!("/v1/items/{id}/spoken-text"),
            &json!({ "spoken_text": null }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let patched: Value = resp.json().await.unwrap();
    let derived = patched["spoken_text"].as_str().unwrap().to_string();
    assert!(derived.contains("kahdeksan"));
    assert_eq!(app.wait_for_tts(id).await["tts_status"], "ready");
    assert_eq!(item_samples(&app, id).await, samples_for(&derived));

    for bad in [
        json!({}),
        json!({ "spoken_text": "" }),
        json!({ "spoken_text": 5 }),
    ] {
        let resp = app
            .patch_json(&format!("/v1/items/{id}/spoken-text"), &bad)
            .await;
        assert_eq!(resp.status(), 422, "{bad}");
    }
    let resp = app
        .patch_json("/v1/items/999/spoken-text", &json!({ "spoken_text": "x" }))
        .await;
    assert_eq!(resp.status(), 404);
}

/// The normaliser is Finnish: text in another language is given to the
/// engine as written.
#[tokio::test]
async fn only_finnish_items_are_normalised() {
    let app = spawn_app_with_engine(&[]).await;
    let english = app
        .create_item(json!({ "locale": "en", "text": "I have 3 apples." }))
        .await;
    assert_eq!(english["spoken_text"], "I have 3 apples.");
    let finnish = app
        .create_item(json!({ "locale": "fi-FI", "text": "Minulla on 3 omenaa." }))
        .await;
    assert_eq!(finnish["spoken_text"], "Minulla on kolme omenaa.");
}
