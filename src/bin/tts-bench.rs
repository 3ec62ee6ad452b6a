//! TTS benchmark (not a test): the local engine on a model directory, with
//! the method of `shared/fixtures/baseline_tts.py` (one warm-up pass, then
//! the median of N runs per sentence), plus the whole pipeline under load.
//!
//! ```text
//! tts-bench --model-dir ../shared/fixtures/models/mms-fin-random-full \
//!           --sentences ../shared/fixtures/sentences-fi.txt [--threads 0] [--repeats 5] [--json out.json]
//! ```
//! `scripts/bench-tts.sh` runs it next to the Python ONNX Runtime baseline; `scripts/gpu-check.sh`
//! runs it on a GPU (`--device cuda`) next to PyTorch. `--queued 1,4,16` adds the throughput of that
//! many texts at once, through the engine and through the service's task pipeline.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use last_whisper::config::Settings;
use last_whisper::startup::Application;
use last_whisper::tts::local::{Batching, CpuOptions, Device, LocalEngineConfig, LocalMmsProvider};
use last_whisper::tts::provider::SynthesisRequest;
use serde_json::{json, Value};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    model_dir: PathBuf,
    #[arg(long)]
    sentences: PathBuf,
    /// ONNX intra-op threads; 0 = ONNX Runtime's default.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// `cpu` or `cuda`.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Most texts per run: `auto` (16 on CUDA, 1 on the CPU) or a number; 1 = no batching.
    #[arg(long, default_value = "auto")]
    batch: String,
    /// How long a batch waits for more texts, in milliseconds.
    #[arg(long, default_value_t = 10)]
    batch_wait_ms: u64,
    /// Texts submitted at once for the throughput figures, e.g. `1,4,16`; empty = none.
    #[arg(long, default_value = "")]
    queued: String,
    /// Items posted at once for the pipeline figure.
    #[arg(long, default_value_t = 20)]
    items: usize,
    #[arg(long)]
    json: Option<PathBuf>,
    /// Keep ONNX Runtime's CPU memory arena (`TTS_CPU_MEMORY_ARENA`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    cpu_arena: bool,
    /// Let ONNX Runtime's idle threads spin (`TTS_CPU_SPIN`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    cpu_spin: bool,
    /// Nice value of the inference threads (`TTS_CPU_NICE`; the service's default is 5, the
    /// benchmark's 0: alone on the machine it makes no difference).
    #[arg(long, default_value_t = 0)]
    cpu_nice: i32,
    /// Spectrogram frames per vocoder run (`TTS_VOCODER_WINDOW_FRAMES`); 0 = whole pieces.
    #[arg(long, default_value_t = LocalEngineConfig::VOCODER_WINDOW_FRAMES)]
    vocoder_window: usize,
    /// Stop after the engine figures (skip the pipeline through the real service).
    #[arg(long)]
    engine_only: bool,
    /// Only compare each sentence's audio from a batching engine (all sentences at once) with
    /// its audio from a one-at-a-time engine, print the largest difference, and exit (use a
    /// deterministic model: `tests/fixtures/models/mms-fin-random-tiny-det`).
    #[arg(long)]
    check_batched: bool,
}

fn status_kb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .unwrap_or(f64::NAN)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn request(text: &str) -> SynthesisRequest {
    SynthesisRequest {
        text: text.to_string(),
        language: "fi".into(),
        voice: None,
        speed: 1.0,
        urgency: last_whisper::tts::provider::Urgency::Background,
    }
}

fn batch_max(args: &Args) -> Result<Option<usize>, String> {
    match args.batch.as_str() {
        "auto" => Ok(None),
        n => n
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| format!("--batch {n}: expected auto or a number ≥ 1")),
    }
}

fn queued(args: &Args) -> Result<Vec<usize>, String> {
    args.queued
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("--queued: {s:?} is not a count"))
        })
        .collect()
}

fn engine_figures(args: &Args, sentences: &[String]) -> Result<Value, String> {
    let mut config = LocalEngineConfig::new(args.model_dir.clone());
    config.device = args.device.parse::<Device>().map_err(|e| e.to_string())?;
    config.batching = Batching {
        max: batch_max(args)?,
        wait: Duration::from_millis(args.batch_wait_ms),
    };
    config.intra_threads = args.threads;
    config.cpu = CpuOptions {
        memory_arena: args.cpu_arena,
        spin: args.cpu_spin,
        nice: args.cpu_nice,
    };
    config.vocoder_window_frames = args.vocoder_window;
    let started = Instant::now();
    let engine = LocalMmsProvider::load(config).map_err(|e| e.to_string())?;
    let load_s = started.elapsed().as_secs_f64();
    let rss_after_load = status_kb("VmRSS:") / 1024.0;
    let rate = f64::from(engine.sample_rate());

    let mut first_call_s = None;
    for s in sentences {
        let t = Instant::now();
        engine
            .synthesize_blocking(&request(s))
            .map_err(|e| e.to_string())?;
        first_call_s.get_or_insert(t.elapsed().as_secs_f64());
    }
    let mut rows = Vec::new();
    println!("| # | chars | latency median (s) | audio median (s) | RTF median |");
    println!("|---|---|---|---|---|");
    for (i, s) in sentences.iter().enumerate() {
        let (mut lat, mut secs, mut rtf) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.repeats {
            let t = Instant::now();
            let audio = engine
                .synthesize_blocking(&request(s))
                .map_err(|e| e.to_string())?;
            let dt = t.elapsed().as_secs_f64();
            let audio_s = audio.samples.len() as f64 / rate;
            lat.push(dt);
            secs.push(audio_s);
            rtf.push(dt / audio_s);
        }
        let row = json!({
            "idx": i + 1,
            "chars": s.chars().count(),
            "latency_median_s": median(lat),
            "audio_median_s": median(secs),
            "rtf_median": median(rtf),
        });
        println!(
            "| {} | {} | {:.3} | {:.2} | {:.3} |",
            i + 1,
            row["chars"],
            row["latency_median_s"].as_f64().unwrap_or(f64::NAN),
            row["audio_median_s"].as_f64().unwrap_or(f64::NAN),
            row["rtf_median"].as_f64().unwrap_or(f64::NAN)
        );
        rows.push(row);
    }
    let sum = |k: &str| rows.iter().filter_map(|r| r[k].as_f64()).sum::<f64>();
    let (sum_latency, sum_audio) = (sum("latency_median_s"), sum("audio_median_s"));
    let mut concurrent = Vec::new();
    for n in queued(args)? {
        concurrent.push(concurrent_figure(&engine, sentences, n)?);
    }
    Ok(json!({
        "engine": "rust ort",
        "device": engine_device(&engine),
        "batch": engine.batch_size(),
        "concurrent": concurrent,
        "threads_requested": args.threads,
        "load_s": load_s,
        "first_call_s": first_call_s,
        "rss_after_load_mb": rss_after_load,
        "peak_rss_mb": status_kb("VmHWM:") / 1024.0,
        "sum_latency_s": sum_latency,
        "sum_audio_s": sum_audio,
        "overall_rtf": sum_latency / sum_audio,
        "rows": rows,
    }))
}

fn engine_device(engine: &LocalMmsProvider) -> String {
    use last_whisper::tts::provider::TtsProvider;
    engine.runs_on()
}

/// `n` distinct texts handed to the engine at once from `n` threads (after one warm-up round):
/// items per second and how many runs they took.
fn concurrent_figure(
    engine: &LocalMmsProvider,
    sentences: &[String],
    n: usize,
) -> Result<Value, String> {
    let texts: Vec<String> = (0..n)
        .map(|i| sentences[i % sentences.len()].clone())
        .collect();
    let round = |texts: &[String]| -> Result<f64, String> {
        let started = Instant::now();
        std::thread::scope(|scope| {
            let handles: Vec<_> = texts
                .iter()
                .map(|text| scope.spawn(move || engine.synthesize_blocking(&request(text))))
                .collect();
            for handle in handles {
                handle
                    .join()
                    .map_err(|_| "a synthesis thread panicked".to_owned())?
                    .map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        })?;
        Ok(started.elapsed().as_secs_f64())
    };
    round(&texts)?;
    let (runs_before, _) = engine.batch_runs();
    let seconds = round(&texts)?;
    let (runs_after, _) = engine.batch_runs();
    let figure = json!({
        "texts": n,
        "seconds": seconds,
        "items_per_s": n as f64 / seconds,
        "runs": if engine.batch_size() > 1 { runs_after - runs_before } else { n as u64 },
    });
    println!("engine, {n} at once: {figure}");
    Ok(figure)
}

/// Start the real service on the model, post items at once, wait for all of
/// them to be `ready`, and time API reads while the engine is busy.
async fn pipeline_figures(args: &Args, sentences: &[String]) -> Result<Value, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let vars = vec![
        ("HOST", "127.0.0.1".to_string()),
        ("PORT", "0".to_string()),
        ("LOG_LEVEL", "warn".to_string()),
        (
            "DATABASE_URL",
            format!("sqlite:///{}", dir.path().join("b.db").display()),
        ),
        ("AUDIO_DIR", dir.path().join("audio").display().to_string()),
        ("TTS_MODEL_DIR", args.model_dir.display().to_string()),
        ("TTS_DEVICE", args.device.clone()),
        ("TTS_BATCH_MAX", args.batch.clone()),
        ("TTS_BATCH_WAIT_MS", args.batch_wait_ms.to_string()),
        ("TTS_THREAD_COUNT", args.threads.to_string()),
    ];
    let settings = Settings::from_vars(vars).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    let built_s = started.elapsed().as_secs_f64();
    let base = format!("http://127.0.0.1:{}", app.port());
    let token = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let health = get_json(&client, &format!("{base}/health")).await?;
    let first_response_s = started.elapsed().as_secs_f64();
    if health["checks"]["tts_service"]["status"] != "healthy" {
        return Err(format!("engine not ready: {health}"));
    }
    let idle_read = time_reads(&client, &base, 50).await?;

    let items: Vec<Value> = (0..args.items)
        .map(|i| json!({ "locale": "fi", "text": format!("{} ({i})", sentences[i % sentences.len()]) }))
        .collect();
    let t = Instant::now();
    let resp = client
        .post(format!("{base}/v1/items/bulk"))
        .json(&json!({ "items": items }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = resp.json().await.map_err(|e| e.to_string())?;
    let accepted_ms = t.elapsed().as_secs_f64() * 1000.0;
    let busy_read = time_reads(&client, &base, 50).await?;
    loop {
        let list = get_json(&client, &format!("{base}/v1/items?per_page=100")).await?;
        let pending = list["items"]
            .as_array()
            .map(|a| a.iter().filter(|i| i["tts_status"] == "pending").count())
            .unwrap_or(0);
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all_ready_s = t.elapsed().as_secs_f64();
    let mut queued_figures = Vec::new();
    for (round, n) in queued(args)?.into_iter().enumerate() {
        queued_figures.push(queued_figure(&client, &base, sentences, round, n).await?);
    }
    token.cancel();
    let _ = server.await;
    Ok(json!({
        "build_s": built_s,
        "first_response_s": first_response_s,
        "items": body["total_created"],
        "bulk_accepted_ms": accepted_ms,
        "all_ready_s": all_ready_s,
        "items_per_s": args.items as f64 / all_ready_s,
        "read_latency_idle_ms_median": idle_read,
        "read_latency_busy_ms_median": busy_read,
        "queued": queued_figures,
    }))
}

/// `n` new items posted at once; seconds until every one is `ready`, and items per second.
async fn queued_figure(
    client: &reqwest::Client,
    base: &str,
    sentences: &[String],
    round: usize,
    n: usize,
) -> Result<Value, String> {
    // Distinct texts (a repeated text would be deduplicated, not synthesised).
    let items: Vec<Value> = (0..n)
        .map(|i| json!({ "locale": "fi", "text": format!("{} ({} {i})", sentences[i % sentences.len()], round + 100) }))
        .collect();
    let started = Instant::now();
    let created: Value = client
        .post(format!("{base}/v1/items/bulk"))
        .json(&json!({ "items": items }))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let ids: Vec<i64> = created["created_items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default();
    if ids.len() != n {
        return Err(format!("bulk create answered {created}"));
    }
    for id in &ids {
        loop {
            let status = get_json(client, &format!("{base}/v1/items/{id}/tts-status")).await?;
            match status["tts_status"].as_str() {
                Some("ready") => break,
                Some("failed") => return Err(format!("item {id} failed: {status}")),
                _ => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let figure = json!({ "items": n, "seconds": seconds, "items_per_s": n as f64 / seconds });
    println!("pipeline, {n} queued: {figure}");
    Ok(figure)
}

async fn get_json(client: &reqwest::Client, url: &str) -> Result<Value, String> {
    client
        .get(url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())
}

async fn time_reads(client: &reqwest::Client, base: &str, n: usize) -> Result<f64, String> {
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        client
            .get(format!("{base}/v1/items?per_page=20"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .bytes()
            .await
            .map_err(|e| e.to_string())?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(median(lat))
}

/// Batched audio against one-at-a-time audio of the same sentences on the same device.
fn check_batched(args: &Args, sentences: &[String]) -> Result<Value, String> {
    let load = |max: usize| {
        let mut config = LocalEngineConfig::new(args.model_dir.clone());
        config.device = args.device.parse::<Device>().map_err(|e| e.to_string())?;
        config.intra_threads = args.threads;
        config.batching = Batching {
            max: Some(max),
            wait: Duration::from_millis(200),
        };
        LocalMmsProvider::load(config).map_err(|e| e.to_string())
    };
    let single = load(1)?;
    let batched = load(sentences.len().max(2))?;
    let together: Vec<Vec<f32>> = std::thread::scope(|scope| {
        let handles: Vec<_> = sentences
            .iter()
            .map(|text| {
                let batched = &batched;
                scope.spawn(move || batched.synthesize_blocking(&request(text)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| "a synthesis thread panicked".to_owned())?
                    .map(|a| a.samples)
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, String>>()
    })?;
    let mut max_diff = 0f32;
    let mut lengths_equal = true;
    for (text, batched_audio) in sentences.iter().zip(&together) {
        let alone = single
            .synthesize_blocking(&request(text))
            .map_err(|e| e.to_string())?
            .samples;
        lengths_equal &= alone.len() == batched_audio.len();
        for (a, b) in alone.iter().zip(batched_audio) {
            max_diff = max_diff.max((a - b).abs());
        }
    }
    let (runs, pieces) = batched.batch_runs();
    Ok(json!({
        "device": engine_device(&batched),
        "sentences": sentences.len(),
        "batched_runs": runs,
        "batched_pieces": pieces,
        "lengths_equal": lengths_equal,
        "max_abs_diff": max_diff,
        "within_1e-4": lengths_equal && max_diff <= 1e-4,
    }))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let sentences: Vec<String> = match std::fs::read_to_string(&args.sentences) {
        Ok(text) => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        Err(e) => {
            eprintln!("tts-bench: cannot read {}: {e}", args.sentences.display());
            return std::process::ExitCode::FAILURE;
        }
    };
    if args.check_batched {
        return match check_batched(&args, &sentences) {
            Ok(v) => {
                println!("batched vs one at a time: {v}");
                if let Some(path) = &args.json {
                    if let Err(e) = std::fs::write(path, v.to_string()) {
                        eprintln!("tts-bench: cannot write {}: {e}", path.display());
                    }
                }
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tts-bench: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let engine = match engine_figures(&args, &sentences) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("tts-bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "\nengine: load {:.2} s, first call {:.3} s, RSS after load {:.0} MB, peak RSS {:.0} MB, Σ latency {:.2} s, Σ audio {:.1} s, overall RTF {:.3}",
        engine["load_s"].as_f64().unwrap_or(f64::NAN),
        engine["first_call_s"].as_f64().unwrap_or(f64::NAN),
        engine["rss_after_load_mb"].as_f64().unwrap_or(f64::NAN),
        engine["peak_rss_mb"].as_f64().unwrap_or(f64::NAN),
        engine["sum_latency_s"].as_f64().unwrap_or(f64::NAN),
        engine["sum_audio_s"].as_f64().unwrap_or(f64::NAN),
        engine["overall_rtf"].as_f64().unwrap_or(f64::NAN),
    );
    if args.engine_only {
        return std::process::ExitCode::SUCCESS;
    }
    let pipeline = match pipeline_figures(&args, &sentences).await {
        Ok(v) => v,
        Err(e) => {
            eprintln!("tts-bench: pipeline: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("pipeline: {pipeline}");
    let all = json!({ "engine": engine, "pipeline": pipeline });
    if let Some(path) = &args.json {
        if let Err(e) = std::fs::write(path, all.to_string()) {
            eprintln!("tts-bench: cannot write {}: {e}", path.display());
        }
    }
    std::process::ExitCode::SUCCESS
}
