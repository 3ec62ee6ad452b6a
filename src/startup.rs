//! Building and running the application: bind, connect + migrate, spawn
//! background work, serve until a shutdown signal, then drain.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Settings, TtsProviderKind};
use crate::db::tts_tasks;
use crate::db::{ConnectError, Db, Dialect};
use crate::domain::timestamp::Clock;
use crate::files::store::{AudioStore, LocalDirStore};
use crate::http;
use crate::pipeline::monitor::Monitor;
use crate::pipeline::worker::{spawn_workers, Worker};
use crate::services::attempt_writer::AttemptWriter;
use crate::services::metadata::MetadataService;
use crate::services::tasks::{self, CleanupPlan};
use crate::services::translations::TranslationService;
use crate::services::tts::{EngineHandle, SubmissionOptions, TtsService};
use crate::services::word_stats::MissedWordsMemo;
use crate::speech::cache::{CacheLimits, SpeechCache};
use crate::speech::SpeechService;
use crate::state::{AppState, Shared};
use crate::translate;
use crate::tts;
use crate::tts::provider::TtsProvider;

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
        let db = open_storage(&settings).await?;
        let (listener, port) = bind(addr).await?;
        let tracker = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let state = build_state(settings, db, &tracker, &shutdown).await;
        start_background_work(&state, &tracker, &shutdown).await;
        Ok(Application {
            listener,
            port,
            state,
            tracker,
            shutdown,
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
        // The peer address (for rate limits) is added per connection there.
        let limits = self.state.settings.connections.clone();
        http::listener::serve(self.listener, app, limits, signal).await?;
        tracing::info!("HTTP server stopped; waiting for background jobs");
        self.shutdown.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        self.state.db.close().await;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

/// Creates the audio directory and connects to the database, voiding a
/// crashed run's task claims on SQLite.
async fn open_storage(settings: &Settings) -> Result<Db, StartupError> {
    tokio::fs::create_dir_all(&settings.audio_dir)
        .await
        .map_err(|source| StartupError::AudioDir {
            path: settings.audio_dir.display().to_string(),
            source,
        })?;
    let db = Db::connect(&settings.database).await?;
    if let Err(e) = crate::services::stats::check_aggregates(&db).await {
        tracing::warn!(error = %e, "could not check the attempt aggregates");
    }
    if db.dialect() == Dialect::Sqlite {
        // One process owns a SQLite file: claims left by a crashed run are void.
        if let Err(e) = tts_tasks::release_all_leases(&db.writer).await {
            tracing::warn!(error = %e, "could not release stale task claims");
        }
    }
    Ok(db)
}

/// Binds the listener; returns it with the port actually bound.
async fn bind(addr: SocketAddr) -> Result<(TcpListener, u16), StartupError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    let port = listener
        .local_addr()
        .map_err(|source| StartupError::Bind { addr, source })?
        .port();
    Ok((listener, port))
}

/// Builds every service into the shared state; with an engine, the
/// synthesis pipeline starts too.
async fn build_state(
    settings: Settings,
    db: Db,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
) -> AppState {
    let clock = Arc::new(Clock::new());
    let provider = tts::build_provider(&settings).await;
    // One cache serves speech on demand and task audio alike.
    let speech = speech_service(&settings, &db, provider.clone(), tracker);
    let store: Arc<dyn AudioStore> = Arc::new(LocalDirStore::new(&settings.audio_dir));
    let pipeline = PipelineContext {
        settings: &settings,
        db: &db,
        clock: &clock,
        speech: &speech,
        store: &store,
        tracker,
        shutdown,
    };
    let engine = provider.map(|provider| start_pipeline(&pipeline, provider));
    let options = submission_options(&settings, store.clone());
    let tts = TtsService::new(db.clone(), clock.clone(), options, tracker.clone(), engine);
    let translations = translation_service(&settings, &db, &clock);
    let metadata = MetadataService::new(&settings.metadata);
    let attempts = AttemptWriter::spawn(db.clone(), clock.clone());
    AppState::new(Shared {
        settings,
        db,
        clock,
        tts,
        attempts,
        speech,
        translations,
        metadata,
        missed_words: MissedWordsMemo::default(),
    })
}

/// How the TTS service takes submissions; text is normalised to its spoken
/// form only for the local engines.
fn submission_options(settings: &Settings, store: Arc<dyn AudioStore>) -> SubmissionOptions {
    SubmissionOptions {
        store,
        supported_languages: settings.tts.supported_languages.clone(),
        normalize: settings.tts.normalize
            && matches!(
                settings.tts.provider,
                TtsProviderKind::Local | TtsProviderKind::Piper
            ),
    }
}

/// Starts the scheduled cleanup and the database watch, resumes work a
/// previous run left, and (with an engine) the takeover of expired claims.
async fn start_background_work(
    state: &AppState,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
) {
    if state.settings.cleanup.interval_hours > 0 {
        spawn_scheduled_cleanup(state, tracker, shutdown);
    }
    spawn_database_watch(&state.db, tracker, shutdown);
    spawn_word_outcome_backfill(&state.db, tracker, shutdown);
    match state.tts.resume().await {
        Ok(0) => {}
        Ok(tasks) => tracing::info!(tasks, "resumed tasks left unfinished by a previous run"),
        Err(e) => tracing::error!(error = %e, "could not resume unfinished TTS work"),
    }
    if state.tts.provider().is_some() {
        spawn_takeover(&state.tts, state.settings.tts.lease, tracker, shutdown);
    }
}

/// Word outcomes for attempts stored without them (see
/// [`crate::services::word_stats::backfill_word_outcomes`]); stops at shutdown.
fn spawn_word_outcome_backfill(db: &Db, tracker: &TaskTracker, shutdown: &CancellationToken) {
    let (db, shutdown) = (db.clone(), shutdown.clone());
    tracker.spawn(async move {
        tokio::select! {
            () = shutdown.cancelled() => {}
            done = crate::services::word_stats::backfill_word_outcomes(&db) => match done {
                Ok(0) => {}
                Ok(attempts) => tracing::info!(attempts, "word outcomes stored for older attempts"),
                Err(e) => tracing::warn!(error = %e, "could not store word outcomes for older attempts"),
            },
        }
    });
}

/// The translation provider the settings ask for. One that cannot be built
/// (say, a missing key file) is logged, and translations are then refused
/// with a 503 as when none is configured: the rest of the service runs.
fn translation_service(settings: &Settings, db: &Db, clock: &Arc<Clock>) -> TranslationService {
    let provider = match translate::from_settings(settings) {
        Ok(Some(provider)) => {
            tracing::info!(provider = provider.name(), "translation provider ready");
            Some(provider)
        }
        Ok(None) => None,
        Err(why) => {
            tracing::error!(
                provider = settings.translation.provider.name(),
                error = %why,
                "translation provider unavailable; translations are refused"
            );
            None
        }
    };
    TranslationService::new(
        db.clone(),
        clock.clone(),
        provider,
        settings.translation.supported_languages.clone(),
    )
}

/// Speech on demand shares the engine of the task pipeline; its cache keys name the engine
/// (provider kind, model directory, device, every engine's voices) so a model or engine change never serves stale audio.
fn speech_service(
    settings: &Settings,
    db: &Db,
    provider: Option<Arc<dyn TtsProvider>>,
    tracker: &TaskTracker,
) -> SpeechService {
    let limits = CacheLimits {
        max_bytes: settings.speech.cache_max_bytes,
        max_age: settings.speech.cache_max_age,
    };
    let cache = SpeechCache::new(&settings.audio_dir, db.clone(), limits);
    // Engines side by side pick one per voice and language (both in the key); the engines and
    // their voices are in the label too, so adding or removing one never serves another's audio.
    let voices: Vec<String> = provider
        .iter()
        .flat_map(|p| p.voices())
        .map(|v| format!("{}:{}", v.provider, v.name))
        .collect();
    let label = format!(
        "{:?}|{}|{}|{}",
        settings.tts.provider,
        settings.tts.model_dir.display(),
        provider.as_ref().map(|p| p.runs_on()).unwrap_or_default(),
        voices.join(",")
    );
    SpeechService::new(
        cache,
        provider,
        label,
        tracker.clone(),
        settings.speech.slow_reader,
    )
}

/// Run the task cleanup every `TASKS_CLEANUP_INTERVAL_HOURS` (off by default).
fn spawn_scheduled_cleanup(state: &AppState, tracker: &TaskTracker, shutdown: &CancellationToken) {
    let cfg = state.settings.cleanup.clone();
    let plan = CleanupPlan {
        failed_older_than: Some(chrono::Duration::days(i64::from(
            cfg.failed_older_than_days,
        ))),
        orphans: cfg.orphans,
    };
    let (db, clock, store) = (
        state.db.clone(),
        state.clock.clone(),
        state.tts.store().clone(),
    );
    let shutdown = shutdown.clone();
    let period = std::time::Duration::from_secs(cfg.interval_hours.saturating_mul(3600));
    tracker.spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
            }
            match tasks::cleanup(&db, &clock, store.as_ref(), plan, false).await {
                Ok(done) => tracing::info!(deleted = done.len(), "scheduled task cleanup"),
                Err(e) => tracing::error!(error = %e, "scheduled task cleanup failed"),
            }
        }
    });
}

/// Spawn the monitor and the workers; return the handle submissions use.
/// What the task pipeline shares with the rest of the service.
#[derive(Clone, Copy)]
struct PipelineContext<'a> {
    settings: &'a Settings,
    db: &'a Db,
    clock: &'a Arc<Clock>,
    speech: &'a SpeechService,
    store: &'a Arc<dyn AudioStore>,
    tracker: &'a TaskTracker,
    shutdown: &'a CancellationToken,
}

fn start_pipeline(ctx: &PipelineContext<'_>, provider: Arc<dyn TtsProvider>) -> EngineHandle {
    let PipelineContext {
        settings,
        db,
        clock,
        speech,
        store,
        tracker,
        shutdown,
    } = *ctx;
    let (queue, queue_rx) = crate::pipeline::queue::channel(settings.tts.queue_capacity);
    let (events_tx, events_rx) = mpsc::channel(256);
    let monitor = Monitor {
        db: db.clone(),
        clock: (*clock).clone(),
        store: (*store).clone(),
    };
    tracker.spawn(monitor.run(events_rx));
    let owner: Arc<str> = Arc::from(instance_id());
    tracing::info!(instance = %owner, "TTS workers claim tasks as this instance");
    let worker = Worker {
        db: db.clone(),
        clock: (*clock).clone(),
        provider: provider.clone(),
        speech: (*speech).clone(),
        store: (*store).clone(),
        events: events_tx,
        owner,
        lease: settings.tts.lease,
    };
    // Enough workers to fill the engine's batches (a batching engine gathers concurrent texts).
    let workers = settings.tts.workers.max(provider.concurrency());
    tracing::info!(workers, "TTS pipeline workers");
    spawn_workers(workers, queue_rx, worker, tracker, shutdown.clone());
    EngineHandle { provider, queue }
}

/// A name for this process on the shared task table: host-independent but
/// unique enough (pid plus random bits) to tell instances apart.
fn instance_id() -> String {
    format!("{}-{:08x}", std::process::id(), fastrand::u32(..))
}

/// Every third of a lease, hand this instance's workers the work nobody is
/// doing (see [`TtsService::take_over`]): what a dead instance left behind.
/// Look at the SQLite file every second, so a file deleted or replaced
/// under the running server is logged and refused within seconds (see
/// `db::faults::FileGuard`), before writes land in an unlinked file.
fn spawn_database_watch(db: &Db, tracker: &TaskTracker, shutdown: &CancellationToken) {
    if db.file.is_none() {
        return;
    }
    let (db, shutdown) = (db.clone(), shutdown.clone());
    tracker.spawn(async move {
        let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
            }
            if db.check_file().is_err() {
                break;
            }
        }
    });
}

fn spawn_takeover(
    tts: &TtsService,
    lease: std::time::Duration,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
) {
    let (tts, shutdown) = (tts.clone(), shutdown.clone());
    tracker.spawn(async move {
        let mut ticker = tokio::time::interval((lease / 3).max(std::time::Duration::from_secs(1)));
        ticker.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
            }
            match tts.take_over(lease).await {
                Ok(0) => {}
                Ok(tasks) => tracing::info!(tasks, "took over tasks nobody was running"),
                Err(e) => tracing::warn!(error = %e, "takeover sweep failed"),
            }
        }
    });
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
