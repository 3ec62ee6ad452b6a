//! Pieces the REST engines (Azure, Google) share: the HTTP client, voice
//! choice, and turning 16-bit PCM (raw or inside a WAV) into samples.
//!
//! Why a module of its own: both engines must agree on these details (same
//! User-Agent, same voice rules, same strict PCM parsing), and keeping them
//! here keeps each engine module about its own API only.

use std::time::Duration;

use crate::tts::resilience::{AttemptError, FailureKind};

/// Sent with every request; Azure requires a User-Agent.
pub const USER_AGENT: &str = concat!("last-whisper/", env!("CARGO_PKG_VERSION"));

/// A client for one provider. Timeouts per attempt are applied by the retry
/// policy; the connect timeout here only stops a dead address from hanging.
pub fn http_client(connect_timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(connect_timeout)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// The voice for one request: the request's own, else the fixed voice, else
/// a random one from the pool, preferring voices of the request's language
/// (`fi` matches `fi-FI-…`).
pub fn pick_voice(
    requested: Option<&str>,
    fixed: Option<&str>,
    pool: &[String],
    language: &str,
) -> Option<String> {
    if let Some(v) = requested.or(fixed) {
        return Some(v.to_string());
    }
    let prefix = format!("{}-", language.to_lowercase());
    let matching: Vec<&String> = pool
        .iter()
        .filter(|v| v.to_lowercase().starts_with(&prefix) || v.eq_ignore_ascii_case(language))
        .collect();
    let candidates: Vec<&String> = if matching.is_empty() {
        pool.iter().collect()
    } else {
        matching
    };
    if candidates.is_empty() {
        return None;
    }
    candidates
        .get(fastrand::usize(..candidates.len()))
        .map(|v| v.to_string())
}

/// `fi-FI-SelmaNeural` → `fi-FI`; falls back to the request language.
pub fn locale_of_voice(voice: &str, language: &str) -> String {
    let mut parts = voice.splitn(3, '-');
    match (parts.next(), parts.next()) {
        (Some(lang), Some(region))
            if (2..=3).contains(&lang.len())
                && lang.chars().all(|c| c.is_ascii_alphabetic())
                && region.len() == 2
                && region.chars().all(|c| c.is_ascii_uppercase()) =>
        {
            format!("{lang}-{region}")
        }
        _ => language.to_string(),
    }
}

/// Little-endian 16-bit PCM → samples in [-1, 1] (a trailing odd byte is dropped).
pub fn pcm16le_to_samples(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32767.0)
        .map(|s| s.clamp(-1.0, 1.0))
        .collect()
}

/// The sample rate and PCM payload of a 16-bit mono WAV. Streams sometimes
/// declare a data size of 0 or 0xFFFFFFFF; then the rest of the file is used.
pub fn parse_wav_pcm16(bytes: &[u8]) -> Result<(u32, &[u8]), AttemptError> {
    let bad = |why: &str| {
        AttemptError::new(
            FailureKind::Permanent,
            format!("unexpected audio from the provider: {why}"),
        )
    };
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(bad("not a WAV file"));
    }
    let mut pos = 12;
    let mut rate = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]) as usize;
        let body = pos + 8;
        match id {
            b"fmt " => {
                let fmt = bytes
                    .get(body..body + 16)
                    .ok_or_else(|| bad("truncated fmt chunk"))?;
                let format = u16::from_le_bytes([fmt[0], fmt[1]]);
                let channels = u16::from_le_bytes([fmt[2], fmt[3]]);
                let sample_rate = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
                let bits = u16::from_le_bytes([fmt[14], fmt[15]]);
                if !(format == 1 || format == 0xFFFE) || channels != 1 || bits != 16 {
                    return Err(bad("expected 16-bit mono PCM"));
                }
                rate = Some(sample_rate);
            }
            b"data" => {
                let rate = rate.ok_or_else(|| bad("data before fmt"))?;
                let available = bytes.len() - body;
                let len = if size == 0 || size > available {
                    available
                } else {
                    size
                };
                return Ok((rate, &bytes[body..body + len]));
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        pos = body.saturating_add(size).saturating_add(size & 1);
    }
    Err(bad("no audio data"))
}

/// `fi` → nothing to say? Cloud engines refuse blank text before any request.
pub fn check_text(text: &str) -> Result<(), AttemptError> {
    if text.trim().is_empty() {
        Err(AttemptError::new(FailureKind::Input, "nothing to speak"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_follow_request_then_fixed_then_language_pool() {
        let pool = vec!["fi-FI-A".to_string(), "sv-SE-B".to_string()];
        assert_eq!(
            pick_voice(Some("x"), Some("y"), &pool, "fi").as_deref(),
            Some("x")
        );
        assert_eq!(
            pick_voice(None, Some("y"), &pool, "fi").as_deref(),
            Some("y")
        );
        for _ in 0..20 {
            assert_eq!(
                pick_voice(None, None, &pool, "fi").as_deref(),
                Some("fi-FI-A")
            );
            assert_eq!(
                pick_voice(None, None, &pool, "sv").as_deref(),
                Some("sv-SE-B")
            );
        }
        assert!(pick_voice(None, None, &pool, "de").is_some());
        assert_eq!(pick_voice(None, None, &[], "fi"), None);
    }

    #[test]
    fn locales_come_from_voice_names() {
        assert_eq!(locale_of_voice("fi-FI-SelmaNeural", "fi"), "fi-FI");
        assert_eq!(locale_of_voice("fi-FI-Chirp3-HD-Kore", "fi"), "fi-FI");
        assert_eq!(locale_of_voice("custom", "fi"), "fi");
    }

    #[test]
    fn wav_payloads_are_extracted() {
        let samples = [0i16, 1000, -1000, i16::MAX];
        let pcm: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let wav = crate::audio::wav::encode_wav_pcm16(&pcm16le_to_samples(&pcm), 24_000).unwrap();
        let (rate, data) = parse_wav_pcm16(&wav).unwrap();
        assert_eq!(rate, 24_000);
        assert_eq!(data, pcm.as_slice(), "16-bit PCM survives the round trip");
        assert!(parse_wav_pcm16(b"not a wav at all").is_err());
    }
}
