//! The voice card: Piper's `name.onnx.json`.
//!
//! Why parse it ourselves into a small typed struct: the card decides everything the engine feeds
//! the graph (phoneme id map, espeak voice, default scales, speaker count) and what
//! `GET /v1/voices` shows, so a broken card must fail at discovery with the file named, not in the
//! middle of a synthesis. Fields Piper treats as optional get Piper's defaults.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Piper's defaults when the card has no `inference` section.
const DEFAULT_NOISE_SCALE: f32 = 0.667;
const DEFAULT_LENGTH_SCALE: f32 = 1.0;
const DEFAULT_NOISE_W: f32 = 0.8;

/// A card that cannot be used; the message names the file.
#[derive(Debug, thiserror::Error)]
#[error("invalid Piper voice card {}: {reason}", .path.display())]
pub struct CardError {
    pub path: PathBuf,
    pub reason: String,
}

/// Everything the engine and the voice list need from a card.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceCard {
    pub sample_rate: u32,
    pub quality: Option<String>,
    /// espeak-ng voice, e.g. `en-us` or `fi`.
    pub espeak_voice: String,
    pub noise_scale: f32,
    pub length_scale: f32,
    pub noise_w: f32,
    /// Phoneme (one or more code points) → ids.
    pub phoneme_id_map: HashMap<String, Vec<i64>>,
    pub num_speakers: u32,
    pub speaker_id_map: HashMap<String, i64>,
    /// `language.code` (e.g. `en_US`), else the espeak voice.
    pub language: String,
    pub dataset: Option<String>,
    /// `license`/`licence` in the card, else the `License:` line of a `MODEL_CARD` beside it.
    pub licence: Option<String>,
    /// Sequences of phonemes that the voice was trained to see as one symbol.
    pub vowel_clusters: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct RawCard {
    audio: RawAudio,
    espeak: Option<RawEspeak>,
    #[serde(default)]
    inference: RawInference,
    phoneme_type: Option<String>,
    phoneme_id_map: HashMap<String, Vec<i64>>,
    num_speakers: Option<u32>,
    #[serde(default)]
    speaker_id_map: HashMap<String, i64>,
    language: Option<RawLanguage>,
    dataset: Option<String>,
    license: Option<String>,
    licence: Option<String>,
    #[serde(default)]
    vowel_clusters: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct RawAudio {
    sample_rate: u32,
    quality: Option<String>,
}

#[derive(Deserialize)]
struct RawEspeak {
    voice: String,
}

#[derive(Deserialize, Default)]
struct RawInference {
    noise_scale: Option<f32>,
    length_scale: Option<f32>,
    noise_w: Option<f32>,
}

#[derive(Deserialize)]
struct RawLanguage {
    code: Option<String>,
}

impl VoiceCard {
    /// Reads and checks `path` (a `name.onnx.json`).
    pub fn load(path: &Path) -> Result<Self, CardError> {
        let error = |reason: String| CardError {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let mut card = Self::parse(&text).map_err(error)?;
        if card.licence.is_none() {
            card.licence = path
                .parent()
                .and_then(|dir| std::fs::read_to_string(dir.join("MODEL_CARD")).ok())
                .and_then(|text| licence_from_model_card(&text));
        }
        Ok(card)
    }

    /// Parses the JSON text of a card.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: RawCard =
            serde_json::from_str(text).map_err(|e| format!("not a Piper voice card: {e}"))?;
        match raw.phoneme_type.as_deref() {
            None | Some("espeak") => {}
            Some(other) => {
                return Err(format!(
                    "phoneme_type {other:?} is not supported (only espeak voices are)"
                ))
            }
        }
        let espeak_voice = raw
            .espeak
            .map(|e| e.voice.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| "espeak.voice is missing".to_owned())?;
        if raw.audio.sample_rate == 0 {
            return Err("audio.sample_rate must be positive".to_owned());
        }
        for symbol in [super::ids::BOS, super::ids::EOS, super::ids::PAD] {
            if raw.phoneme_id_map.get(symbol).is_none_or(Vec::is_empty) {
                return Err(format!("phoneme_id_map has no id for {symbol:?}"));
            }
        }
        let language = raw
            .language
            .and_then(|l| l.code)
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| espeak_voice.clone());
        Ok(Self {
            sample_rate: raw.audio.sample_rate,
            quality: raw.audio.quality,
            espeak_voice,
            noise_scale: raw.inference.noise_scale.unwrap_or(DEFAULT_NOISE_SCALE),
            length_scale: raw.inference.length_scale.unwrap_or(DEFAULT_LENGTH_SCALE),
            noise_w: raw.inference.noise_w.unwrap_or(DEFAULT_NOISE_W),
            phoneme_id_map: raw.phoneme_id_map,
            num_speakers: raw.num_speakers.unwrap_or(1).max(1),
            speaker_id_map: raw.speaker_id_map,
            language,
            dataset: raw.dataset,
            licence: raw.license.or(raw.licence),
            vowel_clusters: raw.vowel_clusters,
        })
    }

    /// Whether `language` (e.g. `en`, `en-US`, `en_us`) names this voice's language or its family.
    pub fn speaks(&self, language: &str) -> bool {
        let norm = |s: &str| s.trim().to_ascii_lowercase().replace('-', "_");
        let mine = norm(&self.language);
        let wanted = norm(language);
        mine == wanted || mine.split('_').next() == Some(wanted.as_str())
    }
}

/// `* License: CC0` (Piper's `MODEL_CARD` format) → `CC0`.
fn licence_from_model_card(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim().trim_start_matches(['*', '-']).trim();
        let (key, value) = line.split_once(':')?;
        let key = key.trim().to_ascii_lowercase();
        (key == "license" || key == "licence")
            .then(|| value.trim().to_owned())
            .filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = r#"{
        "audio": {"sample_rate": 22050, "quality": "medium"},
        "espeak": {"voice": "en-us"},
        "inference": {"noise_scale": 0.5, "length_scale": 1.1, "noise_w": 0.7},
        "phoneme_type": "espeak",
        "phoneme_id_map": {"_": [0], "^": [1], "$": [2], "a": [14]},
        "num_speakers": 1,
        "language": {"code": "en_US"},
        "dataset": "joe"
    }"#;

    #[test]
    fn parses_the_fields_the_engine_uses() {
        let card = VoiceCard::parse(CARD).unwrap();
        assert_eq!(card.sample_rate, 22050);
        assert_eq!(card.quality.as_deref(), Some("medium"));
        assert_eq!(card.espeak_voice, "en-us");
        assert_eq!(
            (card.noise_scale, card.length_scale, card.noise_w),
            (0.5, 1.1, 0.7)
        );
        assert_eq!(card.phoneme_id_map["a"], vec![14]);
        assert_eq!(card.language, "en_US");
        assert_eq!(card.dataset.as_deref(), Some("joe"));
        assert!(card.speaks("en") && card.speaks("en-US") && !card.speaks("fi"));
    }

    #[test]
    fn defaults_and_refusals() {
        let minimal = r#"{"audio": {"sample_rate": 16000}, "espeak": {"voice": "fi"},
            "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#;
        let card = VoiceCard::parse(minimal).unwrap();
        assert_eq!(
            (card.noise_scale, card.length_scale, card.noise_w),
            (0.667, 1.0, 0.8)
        );
        assert_eq!((card.num_speakers, card.language.as_str()), (1, "fi"));
        let no_pad = minimal.replace(r#""_": [0], "#, "");
        assert!(VoiceCard::parse(&no_pad).unwrap_err().contains("\"_\""));
        let text_type = minimal.replace(r#""audio""#, r#""phoneme_type": "text", "audio""#);
        assert!(VoiceCard::parse(&text_type)
            .unwrap_err()
            .contains("not supported"));
    }

    #[test]
    fn licence_from_the_model_card_file() {
        let text = "# Model card\n\n## Dataset\n\n* URL: https://example.invalid\n* License: CC0\n";
        assert_eq!(licence_from_model_card(text).as_deref(), Some("CC0"));
        assert_eq!(licence_from_model_card("nothing here"), None);
    }
}
