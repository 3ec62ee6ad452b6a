//! TTS benchmark (not a test): the local engine on a model directory, with
//! the method of `shared/fixtures/baseline_tts.py` (one warm-up pass, then
//! the median of N runs per sentence), plus the whole pipeline under load.
//!
//! ```text
//! tts-bench --model-dir ../shared/fixtures/models/mms-fin-random-full \
//!           --sentences ../shared/fixtures/sentences-fi.txt [--threads 0] [--repeats 5] [--json out.json]
//! ```
//! `scripts/bench-tts.sh` runs it next to the Python ONNX Runtime baseline.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use last_whisper::config::Settings;
use last_whisper::startup::Application;
use last_whisper::tts::local::{Device, LocalEngineConfig, LocalMmsProvider};
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
    /// Items posted at once for the pipeline figure.
    #[arg(long, default_value_t = 20)]
    items: usize,
    #[arg(long)]
    json: Option<PathBuf>,
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
    }
}

fn engine_figures(args: &Args, sentences: &[String]) -> Result<Value, String> {
    let mut config = LocalEngineConfig::new(args.model_dir.clone());
    config.device = Device::Cpu;
    config.intra_threads = args.threads;
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
    Ok(json!({
        "engine": "rust ort",
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
        ("TTS_DEVICE", "cpu".to_string()),
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
    let health: Value = client
        .get(format!("{base}/health"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let first_response_s = started.elapsed().as_secs_f64();
    if health["checks"]["tts_service"] != "healthy" {
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
        let list: Value = client
            .get(format!("{base}/v1/items?per_page=100"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
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
    }))
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
