//! `last-whisper models fetch-piper NAME`: download a Piper voice from its public hub into
//! `VOICES_DIR`, for users with internet access.
//!
//! Why a command and not a download at start-up: the service must start (and its tests run)
//! offline; a user picks voices once. The hub lays voices out as
//! `{family}/{lang_CODE}/{speaker}/{quality}/{name}.onnx` (+ `.onnx.json`, `MODEL_CARD`), so the
//! URL follows from the name. The card is checked and the files are written atomically; without
//! a network the command fails within seconds and says how to install a voice by hand.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::card::VoiceCard;
use crate::files::atomic::write_atomic;
use crate::models_fetch::{download, FetchError};

/// Piper's voice hub.
pub const DEFAULT_HUB: &str = "https://huggingface.co/rhasspy/piper-voices/resolve/main";

/// Why fetching a voice failed; the message says what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum VoiceFetchError {
    #[error("{0:?} is not a Piper voice name; expected lang_REGION-speaker-quality such as fi_FI-harri-medium")]
    BadName(String),
    #[error("cannot download {url}: {reason}. Without internet access, copy name.onnx and name.onnx.json into {voices_dir} (for the test voice: scripts/install-piper-voice.sh)")]
    Download {
        url: String,
        reason: String,
        voices_dir: String,
    },
    #[error("the downloaded voice card is not usable: {0}")]
    Card(String),
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
}

/// `fi_FI-harri-medium` → `fi/fi_FI/harri/medium/fi_FI-harri-medium`.
pub fn hub_path(name: &str) -> Result<String, VoiceFetchError> {
    let bad = || VoiceFetchError::BadName(name.to_owned());
    let mut parts = name.splitn(3, '-');
    let (Some(lang), Some(speaker), Some(quality)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let family = lang.split('_').next().unwrap_or_default();
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !lang.contains('_') || ![lang, family, speaker, quality].iter().all(|s| safe(s)) {
        return Err(bad());
    }
    Ok(format!("{family}/{lang}/{speaker}/{quality}/{name}"))
}

/// Downloads `name` from `hub` into `voices_dir`; returns the model path.
pub async fn fetch_voice(
    name: &str,
    hub: &str,
    voices_dir: &Path,
) -> Result<PathBuf, VoiceFetchError> {
    let base = format!("{}/{}", hub.trim_end_matches('/'), hub_path(name)?);
    let client = hub_client(&base, voices_dir)?;
    // The card first: it is small and proves the name exists before the model download.
    let card = get_file(&client, format!("{base}.onnx.json"), voices_dir).await?;
    let text = String::from_utf8(card.clone()).map_err(|e| VoiceFetchError::Card(e.to_string()))?;
    let parsed = VoiceCard::parse(&text).map_err(VoiceFetchError::Card)?;
    let model = get_file(&client, format!("{base}.onnx"), voices_dir).await?;
    let model_card = get_file(
        &client,
        format!(
            "{}/MODEL_CARD",
            base.rsplit_once('/').map_or(base.as_str(), |(dir, _)| dir)
        ),
        voices_dir,
    )
    .await
    .ok();

    let model_path = voices_dir.join(format!("{name}.onnx"));
    write_file(voices_dir.join(format!("{name}.onnx.json")), card).await?;
    write_file(model_path.clone(), model).await?;
    if let Some(model_card) = model_card {
        // MODEL_CARD is per voice on the hub; keep it beside the voice under the shared name
        // only when no other voice's card is there.
        let path = voices_dir.join("MODEL_CARD");
        if !path.exists() {
            write_file(path, model_card).await?;
        }
    }
    report(name, voices_dir, &parsed);
    Ok(model_path)
}

/// The HTTP client for the hub: a short connect timeout, a long overall one.
fn hub_client(base: &str, voices_dir: &Path) -> Result<reqwest::Client, VoiceFetchError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(3600))
        .user_agent(concat!("last-whisper/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| VoiceFetchError::Download {
            url: base.to_owned(),
            reason: e.to_string(),
            voices_dir: voices_dir.display().to_string(),
        })
}

/// Downloads one file of the voice into memory.
async fn get_file(
    client: &reqwest::Client,
    url: String,
    voices_dir: &Path,
) -> Result<Vec<u8>, VoiceFetchError> {
    download(client, &url, voices_dir)
        .await
        .map_err(|e| match e {
            FetchError::Download { url, reason, .. } => VoiceFetchError::Download {
                url,
                reason,
                voices_dir: voices_dir.display().to_string(),
            },
            other => VoiceFetchError::Write {
                path: url,
                reason: other.to_string(),
            },
        })
}

/// Writes one file of the voice atomically.
async fn write_file(path: PathBuf, bytes: Vec<u8>) -> Result<(), VoiceFetchError> {
    write_atomic(&path, &bytes)
        .await
        .map_err(|e| VoiceFetchError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// Tells on stderr that the voice is ready, and under which licence.
fn report(name: &str, voices_dir: &Path, parsed: &VoiceCard) {
    eprintln!(
        "models fetch-piper: {name} ready in {} ({} Hz, language {}, quality {})",
        voices_dir.display(),
        parsed.sample_rate,
        parsed.language,
        parsed.quality.as_deref().unwrap_or("unknown")
    );
    // Each voice has its own licence, separate from this program's (GPL-3.0-or-later).
    let licence = parsed
        .licence
        .clone()
        .or_else(|| {
            VoiceCard::load(&voices_dir.join(format!("{name}.onnx.json")))
                .ok()
                .and_then(|card| card.licence)
        })
        .unwrap_or_else(|| "not stated in the voice card; read its MODEL_CARD".to_owned());
    eprintln!(
        "models fetch-piper: the voice's licence: {licence}. It is a separate work with its own terms; GET /v1/voices reports it"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_paths_follow_the_name() {
        assert_eq!(
            hub_path("fi_FI-harri-medium").unwrap(),
            "fi/fi_FI/harri/medium/fi_FI-harri-medium"
        );
        assert_eq!(
            hub_path("en_US-libritts_r-medium").unwrap(),
            "en/en_US/libritts_r/medium/en_US-libritts_r-medium"
        );
        for bad in [
            "harri",
            "fi-harri-medium",
            "fi_FI-../x-medium",
            "fi_FI--medium",
        ] {
            assert!(hub_path(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn offline_it_fails_quickly_and_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let err = fetch_voice("fi_FI-harri-medium", "http://127.0.0.1:9", dir.path())
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(15));
        let message = err.to_string();
        assert!(
            message.contains("fi_FI-harri-medium.onnx.json"),
            "{message}"
        );
        assert!(message.contains("install-piper-voice.sh"), "{message}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
