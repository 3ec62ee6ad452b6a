//! `last-whisper`: serve the API (default), or run a maintenance command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use last_whisper::config::Settings;
use last_whisper::models_fetch;
use last_whisper::startup::Application;
use last_whisper::telemetry;

#[derive(Debug, Parser)]
#[command(name = "last-whisper", version, about = "Dictation-training backend")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Manage TTS models.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Inspect and maintain TTS tasks (works on the database directly).
    Tasks {
        #[command(subcommand)]
        action: TasksAction,
    },
    /// Ask a running server's `/health` (a container's health check, with no curl in the image):
    /// exit 0 when it answers within 5 s and its database and audio directory are healthy.
    Healthcheck {
        /// URL to ask; default `http://127.0.0.1:$PORT/health`.
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TasksAction {
    /// Task counts, synthesis times, dedupe savings.
    Stats {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete old failed tasks and/or finished tasks no item references,
    /// with their audio files (never a file an item still serves).
    Cleanup {
        /// Age such as 7d, 12h or 30m.
        #[arg(long, value_name = "AGE")]
        failed_older_than: Option<String>,
        /// Also delete finished tasks that no item references.
        #[arg(long)]
        orphans: bool,
        /// Only print what would be deleted.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ModelsAction {
    /// Download the Finnish MMS-TTS ONNX model (or another export) and verify it loads.
    Fetch {
        /// Base URL holding model.onnx and tokens.txt.
        #[arg(long, default_value = models_fetch::DEFAULT_SOURCE)]
        source: String,
        /// Target directory (default: TTS_MODEL_DIR).
        #[arg(long)]
        dest: Option<PathBuf>,
    },
    /// Download a Piper voice (e.g. fi_FI-harri-medium) from the Piper voice hub into VOICES_DIR.
    FetchPiper {
        /// Voice name: lang_REGION-speaker-quality.
        name: String,
        /// Base URL of the voice hub.
        #[arg(long, default_value = last_whisper::tts::piper::fetch::DEFAULT_HUB)]
        source: String,
        /// Target directory (default: VOICES_DIR).
        #[arg(long)]
        dest: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("last-whisper: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log_level, settings.log_format == "json");
    match cli.command {
        None | Some(Command::Serve) => serve(settings).await,
        Some(Command::Healthcheck { url }) => {
            let url = url.unwrap_or_else(|| format!("http://127.0.0.1:{}/health", settings.port));
            healthcheck(&url).await
        }
        Some(Command::Tasks { action }) => match tasks_cli::run(&settings, action).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("last-whisper tasks: {e}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Models {
            action: ModelsAction::FetchPiper { name, source, dest },
        }) => {
            let dest = dest.unwrap_or_else(|| settings.tts.voices_dir.clone());
            if let Err(e) = std::fs::create_dir_all(&dest) {
                eprintln!(
                    "last-whisper models fetch-piper: cannot create {}: {e}",
                    dest.display()
                );
                return ExitCode::FAILURE;
            }
            match last_whisper::tts::piper::fetch::fetch_voice(&name, &source, &dest).await {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("last-whisper models fetch-piper: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Models {
            action: ModelsAction::Fetch { source, dest },
        }) => {
            let dest = dest.unwrap_or_else(|| settings.tts.model_dir.clone());
            let dylib = settings
                .tts
                .ort_dylib_path
                .clone()
                .or_else(last_whisper::tts::bundled_runtime);
            match models_fetch::fetch(&source, &dest, dylib).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("last-whisper models fetch: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

mod tasks_cli {
    //! `last-whisper tasks …`: stats and cleanup without a running server.

    use last_whisper::config::Settings;
    use last_whisper::db::Db;
    use last_whisper::domain::timestamp::Clock;
    use last_whisper::files::store::LocalDirStore;
    use last_whisper::services::tasks::{self, parse_age, CleanupPlan, TaskStats};

    use super::TasksAction;

    pub async fn run(settings: &Settings, action: TasksAction) -> Result<(), String> {
        let db = Db::connect(&settings.database)
            .await
            .map_err(|e| e.to_string())?;
        let result = match action {
            TasksAction::Stats { json } => {
                let stats = tasks::stats(&db).await.map_err(|e| e.to_string())?;
                print_stats(&stats, json)
            }
            TasksAction::Cleanup {
                failed_older_than,
                orphans,
                dry_run,
                json,
            } => {
                let failed_older_than = failed_older_than.as_deref().map(parse_age).transpose()?;
                if failed_older_than.is_none() && !orphans {
                    return Err(
                        "nothing to do: give --failed-older-than AGE and/or --orphans".into(),
                    );
                }
                let plan = CleanupPlan {
                    failed_older_than,
                    orphans,
                };
                let clock = Clock::new();
                let store = LocalDirStore::new(&settings.audio_dir);
                let report = tasks::cleanup(&db, &clock, &store, plan, dry_run)
                    .await
                    .map_err(|e| e.to_string())?;
                if json {
                    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
                    println!("{text}");
                } else {
                    let verb = if dry_run { "would delete" } else { "deleted" };
                    for t in &report {
                        println!(
                            "{verb} {} ({}, {}){}",
                            t.task_id,
                            t.reason,
                            t.status,
                            t.file
                                .as_deref()
                                .map(|f| format!(" and {f}"))
                                .unwrap_or_default()
                        );
                    }
                    println!("{} task(s) {verb}", report.len());
                }
                Ok(())
            }
        };
        db.close().await;
        result
    }

    fn print_stats(stats: &TaskStats, json: bool) -> Result<(), String> {
        if json {
            // The same shape as `GET /v1/tts/stats`.
            let response = last_whisper::http::tasks::TaskStatsResponse::from(stats.clone());
            let text = serde_json::to_string_pretty(&response).map_err(|e| e.to_string())?;
            println!("{text}");
            return Ok(());
        }
        let opt = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_else(|| "-".into());
        println!("tasks: {}   queued now: {}", stats.total, stats.queue_depth);
        for (status, n) in &stats.by_status {
            println!("  {status:<11} {n}");
        }
        println!(
            "avg synthesis: {} s   avg RTF: {}   avg file: {} bytes",
            opt(stats.avg_synthesis_seconds),
            opt(stats.avg_real_time_factor),
            opt(stats.avg_file_size)
        );
        println!(
            "dedupe: {} text(s) shared by {} item(s), {} synthesis(es) saved",
            stats.shared_texts, stats.items_sharing_audio, stats.syntheses_saved
        );
        println!(
            "{:<16} {:>6} {:>9} {:>7} {:>10} {:>8}",
            "device", "tasks", "finished", "failed", "avg s", "avg RTF"
        );
        for d in &stats.by_device {
            println!(
                "{:<16} {:>6} {:>9} {:>7} {:>10} {:>8}",
                d.device.as_deref().unwrap_or("-"),
                d.tasks,
                d.finished,
                d.failed,
                opt(d.avg_synthesis_seconds),
                opt(d.avg_real_time_factor)
            );
        }
        Ok(())
    }
}

/// Exit 0 when `url` answers 200 with healthy `database` and `audio_directory` checks (the TTS
/// engine may be missing: the API still serves), 1 otherwise, saying why on stderr.
async fn healthcheck(url: &str) -> ExitCode {
    let client = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            eprintln!("healthcheck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let answer = match client.get(url).send().await {
        Ok(answer) if answer.status().is_success() => answer,
        Ok(answer) => {
            eprintln!("healthcheck: {url} answered {}", answer.status());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("healthcheck: {url}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let body: serde_json::Value = match answer.json().await {
        Ok(body) => body,
        Err(e) => {
            eprintln!("healthcheck: {url} did not answer JSON: {e}");
            return ExitCode::FAILURE;
        }
    };
    let failing: Vec<&str> = ["database", "audio_directory"]
        .into_iter()
        .filter(|check| body["checks"][*check]["status"] != "healthy")
        .collect();
    if failing.is_empty() {
        println!("healthy");
        ExitCode::SUCCESS
    } else {
        eprintln!("healthcheck: unhealthy: {}", failing.join(", "));
        ExitCode::FAILURE
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "startup failed");
            eprintln!("last-whisper: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("last-whisper: server error: {e}");
            ExitCode::FAILURE
        }
    }
}
