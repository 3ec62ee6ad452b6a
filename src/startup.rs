//! Building and running the application: bind, connect + migrate, spawn
//! background work, serve until a shutdown signal, then drain.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Settings;
use crate::db::{ConnectError, Db};
use crate::domain::timestamp::Clock;
use crate::http;
use crate::services::tts::TtsService;
use crate::state::AppState;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] ConnectError),
    #[error("cannot create the audio directory {path}: {source}")]
    AudioDir {
        path: String,
        source: std::io::Error,
    },
}

/// A built, not yet running, service.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let addr = SocketAddr::new(settings.host, settings.port);
        tokio::fs::create_dir_all(&settings.audio_dir)
            .await
            .map_err(|source| StartupError::AudioDir {
                path: settings.audio_dir.display().to_string(),
                source,
            })?;
        let db = Db::connect(&settings.database).await?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { addr, source })?
            .port();
        let clock = Arc::new(Clock::new());
        let tracker = TaskTracker::new();
        tracing::warn!(
            provider = ?settings.tts.provider,
            "no TTS engine is available in this build; items will be marked failed"
        );
        let tts = TtsService::without_engine(
            db.clone(),
            clock.clone(),
            settings.tts.supported_languages.clone(),
            settings.tts.submission_workers,
            tracker.clone(),
        );
        let state = AppState {
            settings: Arc::new(settings),
            db,
            clock,
            tts,
        };
        match state.tts.resume_pending().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "re-submitted items left pending"),
            Err(e) => tracing::error!(error = %e, "could not re-submit pending items"),
        }
        Ok(Application {
            listener,
            port,
            state,
            tracker,
            shutdown: CancellationToken::new(),
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A token that stops the server when cancelled (tests use it).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serve until SIGINT/SIGTERM or the shutdown token, then let in-flight
    /// requests and background jobs finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let token = self.shutdown.clone();
        self.run_with_shutdown(async move {
            tokio::select! {
                () = os_signal() => {}
                () = token.cancelled() => {}
            }
        })
        .await
    }

    /// Serve until `signal` completes.
    pub async fn run_with_shutdown(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = http::app(self.state.clone());
        tracing::info!(port = self.port, "listening");
        let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
        axum::serve(self.listener, service)
            .with_graceful_shutdown(signal)
            .await?;
        tracing::info!("HTTP server stopped; waiting for background jobs");
        self.tracker.close();
        self.tracker.wait().await;
        self.state.db.close().await;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

async fn os_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
}
