//! `last-whisper models fetch`: download an MMS-TTS ONNX export for users
//! with internet access, verify it loads, and state its licence. Without a
//! network it fails within seconds with a message, never hangs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;

use crate::files::atomic::write_atomic;
use crate::tts::local::{LocalEngineConfig, LocalMmsProvider};

/// willwade's sherpa-onnx conversions of Meta's MMS-TTS, Finnish.
pub const DEFAULT_SOURCE: &str =
    "https://huggingface.co/willwade/mms-tts-multilingual-models-onnx/resolve/main/fin";

/// The files of a layout-(b) export, and the smallest plausible size of each.
const FILES: [(&str, u64); 2] = [("model.onnx", 100_000), ("tokens.txt", 20)];

const LICENCE: &str = "The MMS-TTS weights (facebook/mms-tts-*) are licensed CC-BY-NC-4.0: \
     non-commercial use only, with attribution to Meta AI. See \
     https://huggingface.co/facebook/mms-tts-fin and https://creativecommons.org/licenses/by-nc/4.0/ . \
     The weights are a separate work: this program's licence (GPL-3.0-or-later) does not cover them.";

/// Why fetching failed; the message says what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot download {url}: {reason}. Without internet access, copy an MMS-TTS ONNX export (model.onnx + tokens.txt, or onnx/model.onnx + vocab.json + config.json) into {dest} or set TTS_MODEL_DIR")]
    Download {
        url: String,
        reason: String,
        dest: String,
    },
    #[error("{file} is only {size} bytes; expected at least {min}: the download is not a model")]
    TooSmall { file: String, size: u64, min: u64 },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the downloaded model does not load: {0}")]
    Verify(String),
}

/// Download `source/{model.onnx,tokens.txt}` into `dest`, then load it once.
pub async fn fetch(
    source: &str,
    dest: &Path,
    ort_dylib: Option<PathBuf>,
) -> Result<(), FetchError> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(3600))
        .user_agent(concat!("last-whisper/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| download_error(source, dest, e))?;
    let staging = dest.with_extension("partial");
    for (name, min) in FILES {
        let url = format!("{}/{name}", source.trim_end_matches('/'));
        let bytes = download(&client, &url, dest).await?;
        let size = bytes.len() as u64;
        if size < min {
            return Err(FetchError::TooSmall {
                file: name.to_string(),
                size,
                min,
            });
        }
        let target = staging.join(name);
        write_atomic(&target, &bytes)
            .await
            .map_err(|source| FetchError::Write {
                path: target.display().to_string(),
                source,
            })?;
    }
    verify(&staging, ort_dylib).await?;
    if dest.exists() {
        tokio::fs::remove_dir_all(dest)
            .await
            .map_err(|source| write_error(dest, source))?;
    }
    tokio::fs::rename(&staging, dest)
        .await
        .map_err(|source| write_error(dest, source))?;
    eprintln!("models fetch: model ready in {}", dest.display());
    eprintln!("{LICENCE}");
    Ok(())
}

fn write_error(path: &Path, source: std::io::Error) -> FetchError {
    FetchError::Write {
        path: path.display().to_string(),
        source,
    }
}

pub(crate) fn download_error(url: &str, dest: &Path, e: impl std::error::Error) -> FetchError {
    // reqwest's own message hides the cause (DNS, refused, TLS); add the chain.
    let mut reason = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    FetchError::Download {
        url: url.to_string(),
        reason,
        dest: dest.display().to_string(),
    }
}

/// Stream one file into memory with a progress line on stderr.
pub(crate) async fn download(
    client: &reqwest::Client,
    url: &str,
    dest: &Path,
) -> Result<Vec<u8>, FetchError> {
    let response = client
        .get(url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| download_error(url, dest, e))?;
    let total = response.content_length();
    let mut bytes = Vec::with_capacity(total.unwrap_or(0) as usize);
    let mut stream = response.bytes_stream();
    let mut last_shown = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| download_error(url, dest, e))?;
        bytes.extend_from_slice(&chunk);
        let done = bytes.len() as u64;
        if done - last_shown >= 1 << 20 || Some(done) == total {
            last_shown = done;
            show_progress(url, done, total);
        }
    }
    eprintln!();
    Ok(bytes)
}

fn show_progress(url: &str, done: u64, total: Option<u64>) {
    let name = url.rsplit('/').next().unwrap_or(url);
    let line = match total {
        Some(total) if total > 0 => {
            let width = 30;
            let filled = (done * width / total) as usize;
            format!(
                "\r{name} [{}{}] {:>5.1} / {:.1} MB",
                "#".repeat(filled),
                " ".repeat(width as usize - filled.min(width as usize)),
                done as f64 / 1e6,
                total as f64 / 1e6
            )
        }
        _ => format!("\r{name} {:.1} MB", done as f64 / 1e6),
    };
    let mut err = std::io::stderr();
    let _ = err.write_all(line.as_bytes());
    let _ = err.flush();
}

/// Load the model once, as the service will.
async fn verify(dir: &Path, ort_dylib: Option<PathBuf>) -> Result<(), FetchError> {
    let mut config = LocalEngineConfig::new(dir);
    config.dylib_path = ort_dylib;
    config.device = crate::tts::local::Device::Cpu;
    let loaded = tokio::task::spawn_blocking(move || LocalMmsProvider::load(config))
        .await
        .map_err(|e| FetchError::Verify(e.to_string()))?;
    let provider = loaded.map_err(|e| FetchError::Verify(e.to_string()))?;
    eprintln!(
        "models fetch: verified ({} layout, {} Hz)",
        provider.layout().as_str(),
        provider.sample_rate()
    );
    Ok(())
}
