//! Speech-on-demand benchmark (not a test), all figures from one run on loopback:
//! cache-hit requests/s with p50/p99 latency for a ~100 KB clip, time to first audio byte of
//! the longest sentence streamed versus synthesised whole, and encoder cost per audio-second.
//!
//! ```text
//! ORT_DYLIB_PATH=$(scripts/install-onnxruntime.sh) cargo run --release --bin speech-bench -- \
//!     --model-dir ../shared/fixtures/models/mms-fin-random-full \
//!     --sentences ../shared/fixtures/sentences-fi.txt [--seconds 5] [--concurrency 16]
//! ```
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::StreamExt;
use last_whisper::audio::{AudioFormat, StreamEncoder};
use last_whisper::config::Settings;
use last_whisper::startup::Application;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    model_dir: PathBuf,
    #[arg(long)]
    sentences: PathBuf,
    /// Length of the cache-hit load run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Concurrent keep-alive clients in the load run.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Result<bytes::Bytes, String> {
    let resp = client
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    resp.bytes().await.map_err(|e| e.to_string())
}

/// Cache-hit throughput and latency for a pcm16 clip sized to about 100 KB.
async fn cache_hits(args: &Args, base: &str, text: &str) -> Result<Value, String> {
    let client = reqwest::Client::new();
    let url = format!("{base}/synthesizeSpeech");
    let (body, size) = clip_of_100_kb(&client, &url, text).await?;
    let seconds = Duration::from_secs(args.seconds);
    // The load runs on the same two cores as the server, so the client's own
    // cost matters: a lean keep-alive HTTP/1.1 client (what wrk does) first,
    // then reqwest for comparison.
    let lean = lean_load(args.concurrency, seconds, base, &body).await?;
    let with_reqwest = reqwest_load(args.concurrency, seconds, &client, &url, body).await?;
    Ok(json!({
        "clip_bytes": size,
        "concurrency": args.concurrency,
        "lean_client": lean,
        "reqwest_client": with_reqwest,
    }))
}

/// The request body of a pcm16 clip of about 100 KB, and the clip's size.
async fn clip_of_100_kb(
    client: &reqwest::Client,
    url: &str,
    text: &str,
) -> Result<(Value, usize), String> {
    // Each rate is a new cache key and so a new synthesis, whose length the
    // model's noise varies: adjust the rate until the clip is 100 KB ± 3 %, so
    // runs (and builds) are compared on the same size.
    let mut rate = 16_000_u64;
    let (mut body, mut size);
    let mut tries = 0;
    let mut tried = std::collections::HashSet::from([rate]);
    loop {
        body = json!({ "text": text, "format": "pcm16", "sample_rate": rate });
        size = post(client, url, &body).await?.len();
        tries += 1;
        if size.abs_diff(100_000) <= 3_000 || tries == 30 {
            break;
        }
        rate = ((rate as f64) * 100_000.0 / size.max(1) as f64)
            .round()
            .max(1.0) as u64;
        // A rate already tried is a cache hit of the same size: step past it.
        while !tried.insert(rate) {
            rate += 1;
        }
    }
    Ok((body, size))
}

/// A load run with the lean keep-alive client: `concurrency` connections
/// repeating the request for `seconds`.
async fn lean_load(
    concurrency: usize,
    seconds: Duration,
    base: &str,
    body: &Value,
) -> Result<Value, String> {
    let request = Arc::new(raw_post(base, "/synthesizeSpeech", body)?);
    let started = Instant::now();
    let deadline = started + seconds;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let request = request.clone();
            let addr = base.trim_start_matches("http://").to_string();
            tokio::spawn(async move {
                let mut conn = RawConn::open(&addr).await?;
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    conn.round_trip(&request).await?;
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                Ok::<_, String>(lat)
            })
        })
        .collect();
    let mut lean = Vec::new();
    for w in workers {
        lean.extend(w.await.map_err(|e| e.to_string())??);
    }
    Ok(summarise(lean, started.elapsed()))
}

/// The same load run with reqwest clients.
async fn reqwest_load(
    concurrency: usize,
    seconds: Duration,
    client: &reqwest::Client,
    url: &str,
    body: Value,
) -> Result<Value, String> {
    let started = Instant::now();
    let deadline = started + seconds;
    let body = Arc::new(body);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.to_string(), body.clone());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if post(&client, &url, &body).await.is_err() {
                        break;
                    }
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                lat
            })
        })
        .collect();
    let mut with_reqwest = Vec::new();
    for w in workers {
        with_reqwest.extend(w.await.map_err(|e| e.to_string())?);
    }
    Ok(summarise(with_reqwest, started.elapsed()))
}

/// Requests/s and latency percentiles of one load run.
fn summarise(mut lat: Vec<f64>, elapsed: Duration) -> Value {
    lat.sort_by(f64::total_cmp);
    json!({
        "requests": lat.len(),
        "requests_per_s": (lat.len() as f64 / elapsed.as_secs_f64()).round(),
        "p50_ms": percentile(&lat, 0.50),
        "p99_ms": percentile(&lat, 0.99),
    })
}

/// The bytes of a keep-alive `POST path` with a JSON body.
fn raw_post(base: &str, path: &str, body: &Value) -> Result<Vec<u8>, String> {
    let host = base.trim_start_matches("http://");
    let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    Ok(request)
}

/// One keep-alive connection of the lean client: writes a prepared request,
/// reads the status line and headers, then `Content-Length` bytes of body
/// (cache hits always carry it).
struct RawConn {
    stream: BufReader<TcpStream>,
    head: Vec<u8>,
    body: Vec<u8>,
}

impl RawConn {
    async fn open(addr: &str) -> Result<Self, String> {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(RawConn {
            stream: BufReader::with_capacity(256 * 1024, stream),
            head: Vec::with_capacity(1024),
            body: Vec::new(),
        })
    }

    async fn round_trip(&mut self, request: &[u8]) -> Result<(), String> {
        let io = |e: std::io::Error| e.to_string();
        self.stream.get_mut().write_all(request).await.map_err(io)?;
        self.head.clear();
        let mut length = None;
        let mut status_line = true;
        loop {
            let start = self.head.len();
            if self
                .stream
                .read_until(b'\n', &mut self.head)
                .await
                .map_err(io)?
                == 0
            {
                return Err("connection closed".into());
            }
            let line = std::str::from_utf8(&self.head[start..]).map_err(|e| e.to_string())?;
            let line = line.trim_end();
            if status_line {
                if !line.starts_with("HTTP/1.1 200") {
                    return Err(format!("unexpected answer: {line}"));
                }
                status_line = false;
            } else if line.is_empty() {
                break;
            } else if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let length = length.ok_or("no Content-Length")?;
        self.body.resize(length, 0);
        self.stream.read_exact(&mut self.body).await.map_err(io)?;
        Ok(())
    }
}

/// Time to the first body byte of a streamed (uncached) request vs its last byte, and vs one
/// engine call on the whole sentence (what a non-streaming server does before sending).
async fn first_byte(base: &str, longest: &str) -> Result<Value, String> {
    let client = reqwest::Client::new();
    let url = format!("{base}/v1/audio/speech");
    let body =
        json!({ "model": "tts-1", "input": longest, "voice": "alloy", "response_format": "pcm" });
    let t = Instant::now();
    let resp = client
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let mut stream = resp.bytes_stream();
    let mut first = None;
    while let Some(chunk) = stream.next().await {
        chunk.map_err(|e| e.to_string())?;
        first.get_or_insert_with(|| t.elapsed().as_secs_f64() * 1000.0);
    }
    let streamed_total = t.elapsed().as_secs_f64() * 1000.0;
    // Whole: the complete audio of the same text (a different key, so it is synthesised
    // again), timed to its last byte: what a server that sends nothing before the end makes
    // its caller wait.
    let whole_body =
        json!({ "text": longest, "format": "wav", "sample_rate": 24000, "speed": 1.001 });
    let t = Instant::now();
    let _ = post(&client, &format!("{base}/synthesizeSpeech"), &whole_body).await?;
    let whole_split = t.elapsed().as_secs_f64() * 1000.0;
    let first = first.unwrap_or(f64::NAN);
    Ok(json!({
        "sentence_chars": longest.chars().count(),
        "streamed_first_byte_ms": first,
        "streamed_last_byte_ms": streamed_total,
        "whole_text_ms": whole_split,
        "first_byte_share_of_whole": first / whole_split,
        "first_byte_share_of_streamed_total": first / streamed_total,
    }))
}

/// Milliseconds of encoding per second of audio, per format (10 s of a 16 kHz voice-like signal).
fn encoder_costs() -> Result<Value, String> {
    let secs = 10usize;
    let samples: Vec<f32> = (0..16_000 * secs)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            0.3 * (t * 180.0 * std::f32::consts::TAU).sin() * (0.5 + 0.5 * (t * 3.0).sin())
                + 0.05 * (t * 2_400.0 * std::f32::consts::TAU).sin()
        })
        .collect();
    let mut out = serde_json::Map::new();
    for (format, rate) in [
        (AudioFormat::Wav, 16_000),
        (AudioFormat::Pcm16, 24_000),
        (AudioFormat::Mulaw, 8_000),
        (AudioFormat::Opus, 48_000),
        (AudioFormat::Mp3, 24_000),
    ] {
        let t = Instant::now();
        let mut enc = StreamEncoder::new(format, 16_000, rate).map_err(|e| e.to_string())?;
        let mut bytes = 0;
        for second in samples.chunks(16_000) {
            bytes += enc.push(second).map_err(|e| e.to_string())?.len();
        }
        bytes += enc.finish().map_err(|e| e.to_string())?.len();
        let ms = t.elapsed().as_secs_f64() * 1000.0 / secs as f64;
        out.insert(
            format!("{}@{}", format.as_str(), rate),
            json!({ "ms_per_audio_s": (ms * 1000.0).round() / 1000.0, "bytes_per_audio_s": bytes / secs }),
        );
    }
    Ok(Value::Object(out))
}

async fn run(args: Args) -> Result<Value, String> {
    let sentences: Vec<String> = std::fs::read_to_string(&args.sentences)
        .map_err(|e| format!("cannot read {}: {e}", args.sentences.display()))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let longest = sentences
        .iter()
        .max_by_key(|s| s.chars().count())
        .cloned()
        .ok_or("no sentences")?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut vars = vec![
        ("HOST", "127.0.0.1".to_string()),
        ("PORT", "0".to_string()),
        ("LOG_LEVEL", "warn".to_string()),
        (
            "DATABASE_URL",
            format!("sqlite:///{}", dir.path().join("b.db").display()),
        ),
        ("AUDIO_DIR", dir.path().join("audio").display().to_string()),
        ("TTS_MODEL_DIR", args.model_dir.display().to_string()),
        ("TTS_DEVICE", "cpu".to_string()),
    ];
    if let Ok(p) = std::env::var("ORT_DYLIB_PATH") {
        vars.push(("ORT_DYLIB_PATH", p));
    }
    let settings = Settings::from_vars(vars).map_err(|e| e.to_string())?;
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let token = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    // Warm the engine (first ONNX run allocates) on another text.
    let warm = sentences.first().cloned().unwrap_or_default();
    let client = reqwest::Client::new();
    post(
        &client,
        &format!("{base}/synthesizeSpeech"),
        &json!({ "text": warm, "format": "pcm16", "speed": 1.01 }),
    )
    .await?;
    let ttfb = first_byte(&base, &longest).await?;
    let hits = cache_hits(&args, &base, &warm).await?;
    let encoders = tokio::task::spawn_blocking(encoder_costs)
        .await
        .map_err(|e| e.to_string())??;
    token.cancel();
    let _ = server.await;
    Ok(json!({ "cache_hits": hits, "time_to_first_byte": ttfb, "encoders": encoders }))
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("speech-bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("speech-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
