//! `GET /metadata` (contract addendum §6): what the web frontend needs to
//! know about this server before it renders (its `MetadataProvider`): the
//! schema version it checks, languages, limits, providers, build and
//! runtime facts. Everything but `runtime` changes only with the settings,
//! so it is assembled at most once per `METADATA_CACHE_TTL_SECONDS`;
//! `runtime` is read fresh on every call.
//!
//! Dependencies come in as arguments ([`MetadataSources`]) so the service
//! knows nothing of HTTP or of the handler state; the answer's JSON, and
//! the `detail`/`fields` parameters that choose a [`Selection`], are
//! `http::metadata`'s.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::audio::AudioFormat;
use crate::config::{DatabaseBackend, MetadataSettings, Settings, TtsProviderKind};
use crate::db::items::{self as item_rows, ItemFilter};
use crate::db::Db;
use crate::domain::limits::{
    MAX_ITEMS_PER_BULK_REQUEST, MAX_TAGS_PER_ITEM, MAX_TAG_LENGTH, MAX_TEXT_LENGTH,
};
use crate::services::tasks;
use crate::services::tts::TtsService;

/// Compiler version recorded by `build.rs`; `unknown` when a stale
/// build-script output lacks it (a target folder shared with an older
/// checkout), rather than a failed build.
const RUSTC_VERSION: &str = match option_env!("LW_RUSTC_VERSION") {
    Some(version) => version,
    None => "unknown",
};
/// axum version from Cargo.lock, recorded by `build.rs`.
const AXUM_VERSION: &str = match option_env!("LW_AXUM_VERSION") {
    Some(version) => version,
    None => "unknown",
};
/// Build identity given to the compiler (`BUILD_COMMIT_SHA=… cargo build`),
/// used when the run-time settings name none.
const BUILT_COMMIT: Option<&str> = option_env!("BUILD_COMMIT_SHA");
const BUILT_BRANCH: Option<&str> = option_env!("BUILD_BRANCH");
const BUILT_AT: Option<&str> = option_env!("BUILD_TIMESTAMP");

/// Which sections an answer carries (`service` always does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Selection {
    pub build: bool,
    pub runtime: bool,
    pub providers: bool,
    pub features: bool,
    pub limits: bool,
    pub links: bool,
}

/// The translation provider and its languages, passed in by the caller
/// (they are configured outside this module).
#[derive(Debug, Clone, Copy)]
pub struct TranslationInfo<'a> {
    pub provider: &'a str,
    pub supported_languages: &'a [String],
}

/// What the metadata is read from.
#[derive(Debug, Clone, Copy)]
pub struct MetadataSources<'a> {
    pub settings: &'a Settings,
    pub db: &'a Db,
    pub tts: &'a TtsService,
    pub translation: TranslationInfo<'a>,
}

/// One answer: the service always, each other section when selected.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub service: ServiceSection,
    pub build: Option<BuildSection>,
    pub runtime: Option<RuntimeSection>,
    pub providers: Option<ProvidersSection>,
    pub features: Option<FeaturesSection>,
    pub limits: Option<LimitsSection>,
    pub links: Option<Links>,
}

/// Who this service is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSection {
    /// `APP_NAME` as configured.
    pub name: String,
    pub description: String,
    /// `ENVIRONMENT` as configured.
    pub environment: String,
    pub version: String,
    /// `METADATA_SCHEMA_VERSION`.
    pub schema_version: String,
}

/// What was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSection {
    /// `METADATA_COMMIT_SHA`, `BUILD_COMMIT_SHA` (run time, then build time), else `unknown`.
    pub commit: String,
    /// First 7 characters of `commit`, or `unknown`.
    pub short_commit: String,
    /// `METADATA_BUILD_BRANCH`, `BUILD_BRANCH`, else `unknown`.
    pub branch: String,
    /// `METADATA_BUILD_TIMESTAMP`, `BUILD_TIMESTAMP`; `None` when unknown.
    pub built_at: Option<String>,
    /// The Rust compiler's version.
    pub rustc_version: String,
    /// The axum version (the HTTP framework).
    pub axum_version: String,
}

/// This process, now.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeSection {
    pub started_at: DateTime<Utc>,
    pub uptime: Duration,
    pub process_id: u32,
    pub host: String,
    /// `None` when the database cannot say.
    pub worker: Option<WorkerState>,
}

/// The TTS pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerState {
    /// The task workers are running (`/health` `task_manager` healthy).
    pub worker_running: bool,
    /// Tasks waiting for a worker (`queued`; the `/metrics` `tts_queue_depth`).
    pub queue_size: i64,
    /// Items whose `tts_status` is `pending`.
    pub pending_items: i64,
    /// An engine is loaded and healthy (`/health` `tts_service` healthy).
    pub tts_service_available: bool,
}

/// Database, speech and translation providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvidersSection {
    pub database: DatabaseProvider,
    pub tts: TtsProviderInfo,
    pub translation: TranslationProviderInfo,
}

/// Where the data lives; never credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseProvider {
    /// The database file.
    Sqlite { file: String },
    /// The URL after its last `@` (host and database), without query;
    /// `managed` when it names no host.
    Postgres { connection: String },
}

/// The speech engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtsProviderInfo {
    /// `TTS_PROVIDER`: `local`, `piper`, `google` or `azure`.
    pub provider: String,
    /// `TTS_SUPPORTED_LANGUAGES`.
    pub supported_languages: Vec<Language>,
    /// Engines tried in order: the provider, then `TTS_FALLBACK`.
    pub engine: Vec<String>,
    /// Where the loaded engine runs, e.g. `cpu`; `None` without an engine.
    pub device: Option<String>,
    /// Voice names of the loaded engine.
    pub voices: Vec<String>,
}

/// The translation provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslationProviderInfo {
    /// `TRANSLATION_PROVIDER` (`none` when translation is off).
    pub provider: String,
    pub supported_languages: Vec<Language>,
}

/// A language code with its display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    pub code: String,
    /// `English`, `Suomi`, `简体中文`, `繁體中文`, else the code.
    pub name: String,
}

impl Language {
    pub fn from_code(code: &str) -> Self {
        let name = match code {
            "en" => "English",
            "fi" => "Suomi",
            "zh-CN" => "简体中文",
            "zh-TW" => "繁體中文",
            other => other,
        };
        Language {
            code: code.to_string(),
            name: name.to_string(),
        }
    }
}

/// What the frontend may offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeaturesSection {
    /// `TTS_SUBMISSION_WORKERS`.
    pub tts_submission_workers: usize,
    /// `TTS_SUPPORTED_LANGUAGES` as plain strings.
    pub tts_languages: Vec<String>,
    pub translation_languages: Vec<Language>,
    /// Audio formats of speech on demand.
    pub speech_formats: Vec<String>,
    /// `/v1/tts/sessions` streaming is available.
    pub streaming_sessions: bool,
}

/// The item limits the server enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsSection {
    pub max_items_per_bulk_request: usize,
    pub max_tags_per_item: usize,
    pub max_tag_length: usize,
    pub max_text_length: usize,
}

/// Named URL paths or URLs, in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links(pub Vec<(String, String)>);

impl Links {
    /// Add or replace (in place) one link.
    fn set(&mut self, name: &str, url: &str) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = url.to_string(),
            None => self.0.push((name.to_string(), url.to_string())),
        }
    }
}

/// Every section but `runtime`, as of one assembly.
#[derive(Debug, Clone)]
struct StaticSections {
    service: ServiceSection,
    build: BuildSection,
    providers: ProvidersSection,
    features: FeaturesSection,
    limits: LimitsSection,
    links: Links,
}

/// Assembles `/metadata` answers and caches their static part.
#[derive(Debug)]
pub struct MetadataService {
    started: Instant,
    started_at: DateTime<Utc>,
    host: String,
    cached: TtlCache<StaticSections>,
}

/// One value, made again once it is older than `ttl`.
#[derive(Debug)]
struct TtlCache<T> {
    ttl: Duration,
    slot: Mutex<Option<(Instant, Arc<T>)>>,
}

impl<T> TtlCache<T> {
    fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            slot: Mutex::new(None),
        }
    }

    fn get_or_make(&self, now: Instant, make: impl FnOnce() -> T) -> Arc<T> {
        let mut slot = match self.slot.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((at, value)) = slot.as_ref() {
            if now.saturating_duration_since(*at) < self.ttl {
                return value.clone();
            }
        }
        let value = Arc::new(make());
        *slot = Some((now, value.clone()));
        value
    }
}

impl MetadataService {
    /// A service whose process started now.
    pub fn new(settings: &MetadataSettings) -> Self {
        MetadataService {
            started: Instant::now(),
            started_at: Utc::now(),
            host: host_name(),
            cached: TtlCache::new(settings.cache_ttl),
        }
    }

    /// The answer for `selection` at `now` (a monotonic instant, so cache
    /// expiry and uptime do not jump with the wall clock).
    pub async fn metadata(
        &self,
        sources: &MetadataSources<'_>,
        selection: Selection,
        now: Instant,
    ) -> Metadata {
        let statics = self.static_sections(sources, now);
        let runtime = if selection.runtime {
            Some(self.runtime(sources, now).await)
        } else {
            None
        };
        Metadata {
            service: statics.service.clone(),
            build: selection.build.then(|| statics.build.clone()),
            runtime,
            providers: selection.providers.then(|| statics.providers.clone()),
            features: selection.features.then(|| statics.features.clone()),
            limits: selection.limits.then(|| statics.limits.clone()),
            links: selection.links.then(|| statics.links.clone()),
        }
    }

    /// The cached static sections, assembled again once they are older than the TTL.
    fn static_sections(&self, sources: &MetadataSources<'_>, now: Instant) -> Arc<StaticSections> {
        self.cached.get_or_make(now, || assemble(sources))
    }

    async fn runtime(&self, sources: &MetadataSources<'_>, now: Instant) -> RuntimeSection {
        RuntimeSection {
            started_at: self.started_at,
            uptime: now.saturating_duration_since(self.started),
            process_id: std::process::id(),
            host: self.host.clone(),
            worker: worker(sources).await,
        }
    }
}

/// The pipeline as `/health` and `/metrics` see it; `None` when the
/// database cannot say.
async fn worker(sources: &MetadataSources<'_>) -> Option<WorkerState> {
    let pending_filter = ItemFilter {
        tts_status: Some(crate::domain::status::ItemTtsStatus::Pending),
        ..ItemFilter::default()
    };
    let ((tts_service, task_manager), counts, pending) = tokio::join!(
        sources.tts.health(),
        tasks::count_by_status(sources.db),
        item_rows::count(&sources.db.reader, &pending_filter),
    );
    let queued = counts.map(|counts| {
        counts
            .into_iter()
            .find(|(status, _)| status == "queued")
            .map_or(0, |(_, n)| n)
    });
    match (queued, pending) {
        (Ok(queue_size), Ok(pending_items)) => Some(WorkerState {
            worker_running: task_manager == "healthy",
            queue_size,
            pending_items,
            tts_service_available: tts_service == "healthy",
        }),
        (queued, pending) => {
            let queued = queued.err().map(|e| e.to_string());
            let pending = pending.err().map(|e| e.to_string());
            tracing::warn!(?queued, ?pending, "metadata: cannot read the TTS pipeline");
            None
        }
    }
}

fn assemble(sources: &MetadataSources<'_>) -> StaticSections {
    let settings = sources.settings;
    let meta = &settings.metadata;
    let translation_languages: Vec<Language> = languages(sources.translation.supported_languages);
    StaticSections {
        service: ServiceSection {
            name: settings.app_name.clone(),
            description: settings.app_description.clone(),
            environment: meta.environment.clone(),
            version: settings.app_version.clone(),
            schema_version: meta.schema_version.clone(),
        },
        build: build_section(meta),
        providers: providers_section(sources, translation_languages.clone()),
        features: FeaturesSection {
            tts_submission_workers: settings.tts.submission_workers,
            tts_languages: settings.tts.supported_languages.clone(),
            translation_languages,
            speech_formats: AudioFormat::ALL
                .iter()
                .map(|f| f.as_str().to_string())
                .collect(),
            streaming_sessions: true,
        },
        limits: LimitsSection {
            max_items_per_bulk_request: MAX_ITEMS_PER_BULK_REQUEST,
            max_tags_per_item: MAX_TAGS_PER_ITEM,
            max_tag_length: MAX_TAG_LENGTH,
            max_text_length: MAX_TEXT_LENGTH,
        },
        links: links(settings),
    }
}

/// Languages by their codes.
fn languages(codes: &[String]) -> Vec<Language> {
    codes.iter().map(|c| Language::from_code(c)).collect()
}

/// The build's identity: the settings' values, else those given to the
/// compiler, else `unknown`. Also labels `last_whisper_build_info` in `/metrics`.
pub fn build_section(meta: &MetadataSettings) -> BuildSection {
    let commit = meta
        .commit_sha
        .clone()
        .or_else(|| built(BUILT_COMMIT))
        .unwrap_or_else(|| "unknown".into());
    let short_commit = if commit == "unknown" {
        commit.clone()
    } else {
        commit.chars().take(7).collect()
    };
    BuildSection {
        commit,
        short_commit,
        branch: meta
            .build_branch
            .clone()
            .or_else(|| built(BUILT_BRANCH))
            .unwrap_or_else(|| "unknown".into()),
        built_at: meta.build_timestamp.clone().or_else(|| built(BUILT_AT)),
        rustc_version: RUSTC_VERSION.to_string(),
        axum_version: AXUM_VERSION.to_string(),
    }
}

/// The database, TTS and translation providers.
fn providers_section(
    sources: &MetadataSources<'_>,
    translation_languages: Vec<Language>,
) -> ProvidersSection {
    let settings = sources.settings;
    ProvidersSection {
        database: database_provider(&settings.database.backend),
        tts: TtsProviderInfo {
            provider: provider_name(settings.tts.provider).to_string(),
            supported_languages: languages(&settings.tts.supported_languages),
            engine: std::iter::once(settings.tts.provider)
                .chain(settings.tts.fallback.iter().copied())
                .map(|kind| provider_name(kind).to_string())
                .collect(),
            device: sources.tts.runs_on(),
            voices: sources.tts.voices().into_iter().map(|v| v.name).collect(),
        },
        translation: TranslationProviderInfo {
            provider: sources.translation.provider.to_string(),
            supported_languages: translation_languages,
        },
    }
}

/// `status` and `metadata`, the documentation pages that are served, and
/// the configured extra links.
fn links(settings: &Settings) -> Links {
    let mut links = Links::default();
    links.set("status", "/health");
    links.set("metadata", "/metadata");
    for (name, url) in [
        ("docs", &settings.docs_url),
        ("redoc", &settings.redoc_url),
        ("openapi", &settings.openapi_url),
    ] {
        if !url.is_empty() {
            links.set(name, url);
        }
    }
    for (name, url) in &settings.metadata.additional_links {
        links.set(name, url);
    }
    links
}

fn built(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The original's names (`google` for what this service also calls `gcp`).
fn provider_name(kind: TtsProviderKind) -> &'static str {
    match kind {
        TtsProviderKind::Local => "local",
        TtsProviderKind::Piper => "piper",
        TtsProviderKind::Gcp => "google",
        TtsProviderKind::Azure => "azure",
    }
}

/// Where the data lives, without credentials: for PostgreSQL only what
/// follows the last `@` (host, port, database), never the query string.
pub fn database_provider(backend: &DatabaseBackend) -> DatabaseProvider {
    match backend {
        DatabaseBackend::Sqlite(path) => DatabaseProvider::Sqlite {
            file: path.display().to_string(),
        },
        DatabaseBackend::Postgres(url) => {
            let without_query = url.split(['?', '#']).next().unwrap_or_default();
            let connection = match without_query.rsplit_once('@') {
                Some((_, host_and_db)) => host_and_db.to_string(),
                None => "managed".to_string(),
            };
            DatabaseProvider::Postgres { connection }
        }
    }
}

/// The kernel's host name (a container's id in Docker), else `$HOSTNAME`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn language_names() {
        let names: Vec<String> = ["en", "fi", "zh-CN", "zh-TW", "sv"]
            .iter()
            .map(|c| Language::from_code(c).name)
            .collect();
        assert_eq!(names, ["English", "Suomi", "简体中文", "繁體中文", "sv"]);
    }

    #[test]
    fn database_providers_never_show_credentials() {
        let sqlite = database_provider(&DatabaseBackend::Sqlite(PathBuf::from("data/x.db")));
        assert_eq!(
            sqlite,
            DatabaseProvider::Sqlite {
                file: "data/x.db".into()
            }
        );
        let pg = database_provider(&DatabaseBackend::Postgres(
            "postgres://lw:p@ss@word@db.example:5432/lw?password=hunter2".into(),
        ));
        assert_eq!(
            pg,
            DatabaseProvider::Postgres {
                connection: "db.example:5432/lw".into()
            }
        );
        let managed = database_provider(&DatabaseBackend::Postgres("postgres:///lw".into()));
        assert_eq!(
            managed,
            DatabaseProvider::Postgres {
                connection: "managed".into()
            }
        );
    }

    #[test]
    fn the_cache_keeps_a_value_for_its_ttl() {
        let cache = TtlCache::new(Duration::from_secs(60));
        let start = Instant::now();
        let made = std::cell::Cell::new(0);
        let make = || {
            made.set(made.get() + 1);
            made.get()
        };
        assert_eq!(*cache.get_or_make(start, make), 1);
        assert_eq!(*cache.get_or_make(start + Duration::from_secs(59), make), 1);
        assert_eq!(*cache.get_or_make(start + Duration::from_secs(60), make), 2);
        assert_eq!(made.get(), 2);
    }

    #[test]
    fn links_are_replaced_in_place() {
        let mut links = Links::default();
        links.set("a", "1");
        links.set("b", "2");
        links.set("a", "3");
        let pairs: Vec<(&str, &str)> = links
            .0
            .iter()
            .map(|(n, u)| (n.as_str(), u.as_str()))
            .collect();
        assert_eq!(pairs, [("a", "3"), ("b", "2")]);
    }
}
