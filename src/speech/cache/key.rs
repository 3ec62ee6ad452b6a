//! Cache keys: a SHA-256 over everything that changes the audio bytes, so equal requests share
//! one file and any difference (another voice, speed, format, rate or engine) never collides.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::audio::AudioFormat;

/// Everything that determines the bytes of one cached clip.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyParts<'a> {
    /// Engine identity: provider kind, model/version and device label.
    pub provider: &'a str,
    /// Voice id (`""` = the engine's default).
    pub voice: &'a str,
    pub language: &'a str,
    pub speed: f32,
    pub format: AudioFormat,
    /// Output rate in Hz.
    pub sample_rate: u32,
    /// The text as received; normalised here.
    pub text: &'a str,
}

/// NFC, whitespace runs collapsed to one space, trimmed: texts that differ only in layout or
/// Unicode composition are spoken identically, so they share an entry.
pub fn canonical_text(text: &str) -> String {
    let nfc: String = text.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl KeyParts<'_> {
    /// Lowercase hex SHA-256 (64 characters; also the ETag).
    pub fn key(&self) -> String {
        let mut h = Sha256::new();
        // Length-prefixed fields: no separator inside a field can shift another.
        for field in [
            "v1",
            self.provider,
            self.voice,
            self.language,
            &format!("{:.3}", self.speed),
            self.format.as_str(),
            &self.sample_rate.to_string(),
            &canonical_text(self.text),
        ] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> KeyParts<'_> {
        KeyParts {
            provider: "local/cpu",
            voice: "",
            language: "fi",
            speed: 1.0,
            format: AudioFormat::Mp3,
            sample_rate: 24_000,
            text,
        }
    }

    #[test]
    fn layout_does_not_matter_but_every_part_does() {
        let base = parts("Hei  maailma!\n").key();
        assert_eq!(base.len(), 64);
        assert_eq!(base, parts(" Hei maailma! ").key());
        assert_ne!(base, parts("Hei maailma").key());
        let mut p = parts("Hei maailma!");
        p.speed = 1.5;
        assert_ne!(base, p.key());
        p = parts("Hei maailma!");
        p.format = AudioFormat::Opus;
        assert_ne!(base, p.key());
        p = parts("Hei maailma!");
        p.sample_rate = 16_000;
        assert_ne!(base, p.key());
        p = parts("Hei maailma!");
        p.voice = "x";
        assert_ne!(base, p.key());
        p = parts("Hei maailma!");
        p.provider = "azure";
        assert_ne!(base, p.key());
        // NFC: "ä" precomposed vs a + combining diaeresis.
        assert_eq!(
            parts("p\u{e4}iv\u{e4}").key(),
            parts("pa\u{308}iva\u{308}").key()
        );
    }
}
