//! `last-whisper`: load settings, start logging, serve.

use std::process::ExitCode;

use last_whisper::config::Settings;
use last_whisper::startup::Application;
use last_whisper::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("last-whisper: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log_level, settings.log_format == "json");
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
