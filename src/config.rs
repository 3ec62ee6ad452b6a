//! Settings: code defaults, then an optional `.env` file, then the process
//! environment (which wins). Variable names and defaults are those of the API
//! contract §8, so operators of the Python service can reuse their env files.
//! Names are case-insensitive, as in the original.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment};

mod connections;
mod inference;
mod metadata;
mod security;
mod translation;
pub use connections::ConnectionSettings;
pub use inference::InferenceSettings;
pub use metadata::MetadataSettings;
pub use security::{RateLimitSettings, SecuritySettings};
pub use translation::{TranslationProviderKind, TranslationSettings};

/// Every setting with its default. Keys are lowercase; lookups lowercase the
/// variable names first.
const DEFAULTS: &[(&str, &str)] = &[
    ("environment", "development"),
    ("app_name", DEFAULT_APP_NAME),
    ("app_version", "1.0.0"),
    (
        "app_description",
        "Dictation training backend: items, attempts scored by word error rate, statistics and TTS.",
    ),
    ("host", "0.0.0.0"),
    ("port", "8000"),
    ("log_level", "info"),
    ("log_format", "text"),
    ("database_url", "sqlite:///data/dictation.db"),
    ("database_read_connections", "4"),
    ("audio_dir", "audio"),
    ("audio_min_free_bytes", "67108864"),
    ("tts_provider", "local"),
    ("tts_supported_languages", "[\"fi\"]"),
    ("tts_submission_workers", "4"),
    ("tts_model_dir", "models/mms-tts-fin"),
    ("voices_dir", "voices"),
    ("piper_max_loaded_voices", "2"),
    ("tts_device", "auto"),
    ("tts_thread_count", "0"),
    ("tts_workers", "1"),
    // Local inference (config/inference.rs).
    ("tts_cuda_device_id", "0"),
    ("tts_cuda_conv_algo_search", "default"),
    ("tts_cuda_memory_limit_mb", "0"),
    ("tts_batch_max", "auto"),
    ("tts_batch_wait_ms", "10"),
    ("tts_queue_capacity", "1024"),
    ("tts_lease_seconds", "30"),
    ("tts_normalize", "true"),
    ("tasks_cleanup_interval_hours", "0"),
    ("tasks_cleanup_failed_older_than_days", "7"),
    ("tasks_cleanup_orphans", "true"),
    ("tts_fallback", ""),
    ("tts_request_timeout_seconds", "30"),
    ("tts_max_retries", "2"),
    ("tts_retry_base_ms", "500"),
    ("tts_retry_max_seconds", "20"),
    ("tts_breaker_threshold", "5"),
    ("tts_breaker_cooldown_seconds", "30"),
    ("google_application_credentials", "keys/google-credentials.json"),
    ("google_tts_endpoint", "https://texttospeech.googleapis.com"),
    ("google_tts_sample_rate", "24000"),
    (
        "azure_speech_voices",
        "fi-FI-SelmaNeural,fi-FI-NooraNeural,fi-FI-HarriNeural",
    ),
    ("azure_speech_sample_rate", "24000"),
    ("docs_url", "/docs"),
    ("redoc_url", "/redoc"),
    ("openapi_url", "/openapi.json"),
    ("audio_cache_max_bytes", "1073741824"),
    ("audio_cache_max_age_days", "30"),
    ("speech_slow_reader_seconds", "10"),
    ("cors_origins", "http://localhost:3000,http://127.0.0.1:3000"),
    ("cors_allow_methods", "*"),
    ("cors_allow_headers", "*"),
    ("metrics_enabled", "true"),
    // API keys, rate limits, timeout (config/security.rs).
    ("api_key_header", "X-API-Key"),
    ("metrics_public", "false"),
    ("trusted_proxies", ""),
    ("rate_limit_reads_per_minute", "0"),
    ("rate_limit_writes_per_minute", "0"),
    ("rate_limit_synthesis_per_minute", "0"),
    ("rate_limit_burst", "0"),
    ("request_timeout_seconds", "30"),
    // Connection limits (config/connections.rs).
    ("http_header_read_timeout_seconds", "10"),
    ("http_idle_timeout_seconds", "120"),
    ("http_max_connections", "4096"),
    ("http_max_connections_per_address", "256"),
    // Item translations (config/translation.rs).
    ("translation_provider", "none"),
    (
        "translation_supported_languages",
        "[\"en\",\"fi\",\"zh-CN\",\"zh-TW\"]",
    ),
    (
        "google_translate_endpoint",
        "https://translation.googleapis.com",
    ),
    // GET /metadata (config/metadata.rs).
    ("metadata_schema_version", "2025-11-22"),
    ("metadata_cache_ttl_seconds", "60"),
    ("metadata_additional_links", "{}"),
];

const DEFAULT_APP_NAME: &str = "Last Whisper Backend";

/// A setting had a value we cannot use. The message names the variable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid value for {name}: {reason}")]
    Invalid { name: String, reason: String },
    #[error("cannot read settings: {0}")]
    Source(String),
}

fn invalid(name: &str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        name: name.to_uppercase(),
        reason: reason.into(),
    }
}

/// Development (docs on, error details shown) or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Development,
    Production,
}

/// Which engine synthesises speech.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtsProviderKind {
    Local,
    Azure,
    Gcp,
    /// Piper voices from `VOICES_DIR` (`TTS_PROVIDER=piper`).
    Piper,
}

impl TtsProviderKind {
    /// The `TTS_PROVIDER` spelling (`gcp` for Google).
    pub fn name(self) -> &'static str {
        match self {
            TtsProviderKind::Local => "local",
            TtsProviderKind::Azure => "azure",
            TtsProviderKind::Gcp => "gcp",
            TtsProviderKind::Piper => "piper",
        }
    }
}

/// A comma-separated list that may be `*` for "any".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowList {
    Any,
    Only(Vec<String>),
}

impl AllowList {
    fn parse(raw: &str) -> Self {
        let items: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if items.iter().any(|s| s == "*") {
            AllowList::Any
        } else {
            AllowList::Only(items)
        }
    }
}

/// Where and how to reach the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSettings {
    pub backend: DatabaseBackend,
    /// SQLite: size of the read-only pool (writes use one connection).
    /// PostgreSQL: size of the one pool that reads and writes.
    pub read_connections: u32,
}

/// The embedded default or the scale-out server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseBackend {
    /// A database file (created if missing).
    Sqlite(PathBuf),
    /// A `postgres://` URL; several instances may share the database.
    Postgres(String),
}

impl DatabaseSettings {
    /// A SQLite file with the default pool size (tests, tools).
    pub fn sqlite(path: PathBuf) -> Self {
        DatabaseSettings {
            backend: DatabaseBackend::Sqlite(path),
            read_connections: 4,
        }
    }
}

/// CORS configuration (contract §1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsSettings {
    pub origins: AllowList,
    pub methods: AllowList,
    pub headers: AllowList,
}

/// Scheduled maintenance of TTS tasks (off by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupSettings {
    /// Run every N hours; 0 = never (`TASKS_CLEANUP_INTERVAL_HOURS`).
    pub interval_hours: u64,
    /// Delete failed tasks older than this many days.
    pub failed_older_than_days: u32,
    /// Also delete finished tasks no item references.
    pub orphans: bool,
}

/// How the cloud engines treat a slow or failing provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResilienceSettings {
    /// Limit for one HTTP request, body included (`TTS_REQUEST_TIMEOUT_SECONDS`).
    pub request_timeout: Duration,
    /// Extra attempts after a 429/5xx/timeout (`TTS_MAX_RETRIES`).
    pub max_retries: u32,
    /// First back-off step, doubled per retry and jittered (`TTS_RETRY_BASE_MS`).
    pub retry_base: Duration,
    /// Longest back-off, and the longest `Retry-After` we wait for
    /// (`TTS_RETRY_MAX_SECONDS`); a longer request fails the attempt.
    pub retry_max: Duration,
    /// Consecutive failed syntheses that open the circuit (`TTS_BREAKER_THRESHOLD`).
    pub breaker_threshold: u32,
    /// How long an open circuit fails fast before one trial request
    /// (`TTS_BREAKER_COOLDOWN_SECONDS`).
    pub breaker_cooldown: Duration,
}

/// Azure Speech over REST.
#[derive(Clone, PartialEq)]
pub struct AzureSettings {
    /// `AZURE_SPEECH_KEY` (secret).
    pub key: Option<String>,
    /// `AZURE_SPEECH_REGION`, or the legacy `AZURE_SERVICE_REGION`.
    pub region: Option<String>,
    /// `AZURE_SPEECH_ENDPOINT`; default `https://{region}.tts.speech.microsoft.com`.
    pub endpoint: Option<String>,
    /// Voices picked from at random per request (`AZURE_SPEECH_VOICES`).
    pub voices: Vec<String>,
    /// One fixed voice instead of the random pick (`AZURE_SPEECH_VOICE`).
    pub voice: Option<String>,
    /// Output rate in Hz (`AZURE_SPEECH_SAMPLE_RATE`).
    pub sample_rate: u32,
}

impl fmt::Debug for AzureSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureSettings")
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("voices", &self.voices)
            .field("voice", &self.voice)
            .field("sample_rate", &self.sample_rate)
            .finish()
    }
}

/// Google Cloud Text-to-Speech over REST.
#[derive(Clone, PartialEq)]
pub struct GoogleSettings {
    /// Service-account key file (`GOOGLE_APPLICATION_CREDENTIALS`).
    pub credentials_path: PathBuf,
    /// `GOOGLE_API_KEY` (secret); preferred over the key file when set.
    pub api_key: Option<String>,
    /// `GOOGLE_TTS_ENDPOINT`.
    pub endpoint: String,
    /// Voices picked from at random (`GOOGLE_TTS_VOICES`); empty = the
    /// original's 31 Finnish voices.
    pub voices: Vec<String>,
    /// One fixed voice instead of the random pick (`GOOGLE_TTS_VOICE`).
    pub voice: Option<String>,
    /// LINEAR16 rate in Hz (`GOOGLE_TTS_SAMPLE_RATE`).
    pub sample_rate: u32,
}

impl fmt::Debug for GoogleSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleSettings")
            .field("credentials_path", &self.credentials_path)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("endpoint", &self.endpoint)
            .field("voices", &self.voices)
            .field("voice", &self.voice)
            .field("sample_rate", &self.sample_rate)
            .finish()
    }
}

/// TTS configuration shared by every engine.
#[derive(Clone, PartialEq)]
pub struct TtsSettings {
    pub provider: TtsProviderKind,
    /// Engines tried in order after `provider` fails (`TTS_FALLBACK`).
    pub fallback: Vec<TtsProviderKind>,
    pub supported_languages: Vec<String>,
    /// `TTS_SUBMISSION_WORKERS`: the original's setting, kept for its
    /// value in `/metadata`; submissions happen in the creating transaction.
    pub submission_workers: usize,
    pub resilience: ResilienceSettings,
    pub azure: AzureSettings,
    pub google: GoogleSettings,
    /// Local engine model directory (`TTS_MODEL_DIR`).
    pub model_dir: PathBuf,
    /// Piper voices (`VOICES_DIR`): `name.onnx` + `name.onnx.json` each.
    pub voices_dir: PathBuf,
    /// Piper voice used when a request names none (`PIPER_DEFAULT_VOICE`); `None` = the first.
    pub piper_default_voice: Option<String>,
    /// Piper voices kept loaded at once (`PIPER_MAX_LOADED_VOICES`).
    pub piper_max_loaded_voices: usize,
    /// `libonnxruntime.so` (`ORT_DYLIB_PATH`); `None` = look in the usual places.
    pub ort_dylib_path: Option<PathBuf>,
    /// `cpu`, `cuda` or `auto` (`TTS_DEVICE`).
    pub device: String,
    /// ONNX intra-op threads; 0 = one per core (`TTS_THREAD_COUNT`).
    pub thread_count: usize,
    /// Concurrent syntheses (`TTS_WORKERS`).
    pub workers: usize,
    /// CUDA options and batching of the local engines.
    pub inference: InferenceSettings,
    /// Capacity of the bounded task queue (`TTS_QUEUE_CAPACITY`).
    pub queue_capacity: usize,
    /// How long a worker's claim on a task holds without renewal
    /// (`TTS_LEASE_SECONDS`); after that another instance may take it over.
    pub lease: Duration,
    /// Give local engines the Finnish spoken form of the text (`TTS_NORMALIZE`).
    pub normalize: bool,
}

impl fmt::Debug for TtsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TtsSettings")
            .field("provider", &self.provider)
            .field("fallback", &self.fallback)
            .field("supported_languages", &self.supported_languages)
            .field("submission_workers", &self.submission_workers)
            .field("resilience", &self.resilience)
            .field("azure", &self.azure)
            .field("google", &self.google)
            .field("model_dir", &self.model_dir)
            .field("voices_dir", &self.voices_dir)
            .field("piper_default_voice", &self.piper_default_voice)
            .field("piper_max_loaded_voices", &self.piper_max_loaded_voices)
            .field("ort_dylib_path", &self.ort_dylib_path)
            .field("device", &self.device)
            .field("thread_count", &self.thread_count)
            .field("workers", &self.workers)
            .field("inference", &self.inference)
            .field("queue_capacity", &self.queue_capacity)
            .field("lease", &self.lease)
            .field("normalize", &self.normalize)
            .finish()
    }
}

/// The whole typed configuration of one service instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub environment: RunMode,
    /// Name shown by `/health` (with the development suffix applied).
    pub app_name: String,
    pub app_version: String,
    pub app_description: String,
    pub host: IpAddr,
    pub port: u16,
    pub log_level: String,
    /// `text` (default) or `json`.
    pub log_format: String,
    pub database: DatabaseSettings,
    pub audio_dir: PathBuf,
    /// `AUDIO_MIN_FREE_BYTES`: `/health` reports the audio directory as
    /// unhealthy below this much free space (0 = not checked).
    pub audio_min_free_bytes: u64,
    pub tts: TtsSettings,
    pub cleanup: CleanupSettings,
    pub cors: CorsSettings,
    pub docs_url: String,
    pub redoc_url: String,
    pub openapi_url: String,
    /// Speech-on-demand cache bounds and the batch API token.
    pub speech: SpeechSettings,
    /// `METRICS_ENABLED`: serve `GET /metrics` (Prometheus); off → 404.
    pub metrics_enabled: bool,
    /// API keys, rate limits, trusted proxies, request timeout.
    pub security: SecuritySettings,
    pub connections: ConnectionSettings,
    /// Item translations: provider, languages, endpoints.
    pub translation: TranslationSettings,
    /// `GET /metadata`: schema version, cache lifetime, build identity, links.
    pub metadata: MetadataSettings,
}

impl Settings {
    /// Load from `.env` in the working directory (if present) and the process
    /// environment, which takes precedence.
    pub fn load() -> Result<Self, SettingsError> {
        let mut vars: Vec<(String, String)> = Vec::new();
        if Path::new(".env").is_file() {
            let iter = dotenvy::from_path_iter(".env")
                .map_err(|e| SettingsError::Source(format!(".env: {e}")))?;
            for item in iter {
                let (k, v) = item.map_err(|e| SettingsError::Source(format!(".env: {e}")))?;
                vars.push((k, v));
            }
        }
        vars.extend(std::env::vars());
        Self::from_vars(vars)
    }

    /// Build settings from explicit variables (later entries win). Used by
    /// [`Settings::load`] and by tests, which must not depend on the host's
    /// environment.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, SettingsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let known: HashMap<&str, ()> = DEFAULTS.iter().map(|(k, _)| (*k, ())).collect();
        let mut overrides = config::Map::new();
        for (k, v) in vars {
            let key = k.as_ref().to_lowercase();
            if known.contains_key(key.as_str()) || OPTIONAL_KEYS.contains(&key.as_str()) {
                overrides.insert(key, v.into());
            }
        }
        let mut builder = Config::builder();
        for (k, v) in DEFAULTS {
            builder = builder
                .set_default(*k, *v)
                .map_err(|e| SettingsError::Source(e.to_string()))?;
        }
        let cfg = builder
            .add_source(Environment::default().source(Some(overrides)))
            .build()
            .map_err(|e| SettingsError::Source(e.to_string()))?;
        let raw = Raw(cfg);
        Self::from_raw(&raw)
    }

    fn from_raw(raw: &Raw) -> Result<Self, SettingsError> {
        let environment = match raw.get("environment")?.to_lowercase().as_str() {
            "development" | "dev" | "local" => RunMode::Development,
            _ => RunMode::Production,
        };
        let mut app_name = raw.get("app_name")?;
        if environment == RunMode::Development && app_name == DEFAULT_APP_NAME {
            app_name.push_str(" (Development)");
        }
        let host = raw
            .get("host")?
            .parse::<IpAddr>()
            .map_err(|_| invalid("host", "expected an IP address such as 0.0.0.0"))?;
        let port = raw
            .get("port")?
            .trim()
            .parse::<u16>()
            .map_err(|_| invalid("port", "expected a port number 0..65535"))?;
        let log_format = raw.get("log_format")?.to_lowercase();
        if log_format != "text" && log_format != "json" {
            return Err(invalid("log_format", "expected `text` or `json`"));
        }
        Ok(Settings {
            environment,
            app_name,
            app_version: raw.get("app_version")?,
            app_description: raw.get("app_description")?,
            host,
            port,
            log_level: raw.get("log_level")?,
            log_format,
            database: DatabaseSettings {
                backend: parse_database_url(&raw.get("database_url")?)?,
                read_connections: parse_count(raw, "database_read_connections")? as u32,
            },
            audio_dir: PathBuf::from(raw.get("audio_dir")?),
            audio_min_free_bytes: parse_bounded(raw, "audio_min_free_bytes", 0, u64::MAX)?,
            tts: parse_tts(raw)?,
            cleanup: parse_cleanup(raw)?,
            cors: CorsSettings {
                origins: AllowList::parse(&raw.get("cors_origins")?),
                methods: AllowList::parse(&raw.get("cors_allow_methods")?),
                headers: AllowList::parse(&raw.get("cors_allow_headers")?),
            },
            docs_url: parse_doc_path(raw, "docs_url")?,
            redoc_url: parse_doc_path(raw, "redoc_url")?,
            openapi_url: parse_doc_path(raw, "openapi_url")?,
            speech: parse_speech(raw)?,
            metrics_enabled: parse_bool(&raw.get("metrics_enabled")?)
                .ok_or_else(|| invalid("metrics_enabled", "expected true or false"))?,
            security: security::parse_security(raw)?,
            connections: connections::parse_connections(raw)?,
            translation: translation::parse_translation(raw)?,
            metadata: metadata::parse_metadata(raw)?,
        })
    }

    /// Development mode shows error details and serves docs.
    pub fn is_development(&self) -> bool {
        self.environment == RunMode::Development
    }
}

/// Speech on demand (issue 6).
#[derive(Clone, PartialEq)]
pub struct SpeechSettings {
    /// Total size of `AUDIO_DIR/cache/` before least-recently-used eviction (`AUDIO_CACHE_MAX_BYTES`).
    pub cache_max_bytes: u64,
    /// Entries unused this long are evicted (`AUDIO_CACHE_MAX_AGE_DAYS`).
    pub cache_max_age: Duration,
    /// `SYNTHESIZE_USER_TOKEN` (secret): when set, `POST /synthesizeSpeech` needs it in `user-token`.
    pub user_token: Option<String>,
    /// `SPEECH_SLOW_READER_SECONDS`: a streaming reader that leaves audio
    /// untaken this long is cut off, so it never holds up a production
    /// others wait for.
    pub slow_reader: Duration,
}

impl fmt::Debug for SpeechSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpeechSettings")
            .field("cache_max_bytes", &self.cache_max_bytes)
            .field("cache_max_age", &self.cache_max_age)
            .field("slow_reader", &self.slow_reader)
            .field(
                "user_token",
                &self.user_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

fn parse_speech(raw: &Raw) -> Result<SpeechSettings, SettingsError> {
    let days = parse_bounded(raw, "audio_cache_max_age_days", 1, 36_500)?;
    Ok(SpeechSettings {
        cache_max_bytes: parse_bounded(raw, "audio_cache_max_bytes", 0, u64::MAX)?,
        cache_max_age: Duration::from_secs(days.saturating_mul(86_400)),
        user_token: raw
            .optional("synthesize_user_token")
            .map(|t| t.trim().to_string()),
        slow_reader: parse_seconds(raw, "speech_slow_reader_seconds", 3_600.0)?,
    })
}

/// Settings without a default (absent means "not configured").
const OPTIONAL_KEYS: &[&str] = &[
    "ort_dylib_path",
    "azure_speech_key",
    "azure_speech_region",
    "azure_service_region",
    "azure_speech_endpoint",
    "azure_speech_voice",
    "google_api_key",
    "google_tts_voices",
    "google_tts_voice",
    "piper_default_voice",
    "synthesize_user_token",
    "api_keys",
    "api_keys_csv",
    "libretranslate_url",
    "libretranslate_api_key",
    "metadata_commit_sha",
    "metadata_build_branch",
    "metadata_build_timestamp",
    "build_commit_sha",
    "build_branch",
    "build_timestamp",
];

struct Raw(Config);

impl Raw {
    fn get(&self, key: &str) -> Result<String, SettingsError> {
        self.0
            .get_string(key)
            .map_err(|e| invalid(key, e.to_string()))
    }

    fn optional(&self, key: &str) -> Option<String> {
        self.0.get_string(key).ok().filter(|v| !v.trim().is_empty())
    }
}

fn parse_count(raw: &Raw, key: &str) -> Result<usize, SettingsError> {
    match raw.get(key)?.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(invalid(key, "expected a whole number between 1 and 1024")),
    }
}

fn parse_provider_kind(key: &str, value: &str) -> Result<TtsProviderKind, SettingsError> {
    match value.trim().to_lowercase().as_str() {
        "local" => Ok(TtsProviderKind::Local),
        "azure" => Ok(TtsProviderKind::Azure),
        "gcp" | "google" => Ok(TtsProviderKind::Gcp),
        "piper" => Ok(TtsProviderKind::Piper),
        _ => Err(invalid(
            key,
            "expected one of local, piper, azure, gcp, google",
        )),
    }
}

/// `local,azure` → the engines after the primary, without repeats.
fn parse_fallback(
    value: &str,
    primary: TtsProviderKind,
) -> Result<Vec<TtsProviderKind>, SettingsError> {
    let mut chain = Vec::new();
    for name in split_list(value) {
        let kind = parse_provider_kind("tts_fallback", &name)?;
        if kind != primary && !chain.contains(&kind) {
            chain.push(kind);
        }
    }
    Ok(chain)
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Positive seconds, fractions allowed (tests use sub-second values).
fn parse_seconds(raw: &Raw, key: &str, max: f64) -> Result<Duration, SettingsError> {
    match raw.get(key)?.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= max => Ok(Duration::from_secs_f64(s)),
        _ => Err(invalid(
            key,
            format!("expected seconds, above 0 and at most {max}"),
        )),
    }
}

fn parse_bounded(raw: &Raw, key: &str, min: u64, max: u64) -> Result<u64, SettingsError> {
    match raw.get(key)?.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(
            key,
            format!("expected a whole number from {min} to {max}"),
        )),
    }
}

fn parse_resilience(raw: &Raw) -> Result<ResilienceSettings, SettingsError> {
    Ok(ResilienceSettings {
        request_timeout: parse_seconds(raw, "tts_request_timeout_seconds", 600.0)?,
        max_retries: parse_bounded(raw, "tts_max_retries", 0, 10)? as u32,
        retry_base: Duration::from_millis(parse_bounded(raw, "tts_retry_base_ms", 1, 60_000)?),
        retry_max: parse_seconds(raw, "tts_retry_max_seconds", 600.0)?,
        breaker_threshold: parse_bounded(raw, "tts_breaker_threshold", 1, 1000)? as u32,
        breaker_cooldown: parse_seconds(raw, "tts_breaker_cooldown_seconds", 86_400.0)?,
    })
}

/// Output rates both cloud APIs offer as 16-bit mono PCM.
const CLOUD_SAMPLE_RATES: &[u32] = &[8_000, 16_000, 22_050, 24_000, 44_100, 48_000];

fn parse_sample_rate(raw: &Raw, key: &str) -> Result<u32, SettingsError> {
    match raw.get(key)?.trim().parse::<u32>() {
        Ok(n) if CLOUD_SAMPLE_RATES.contains(&n) => Ok(n),
        _ => Err(invalid(
            key,
            "expected 8000, 16000, 22050, 24000, 44100 or 48000",
        )),
    }
}

fn parse_azure(raw: &Raw) -> Result<AzureSettings, SettingsError> {
    let voices = split_list(&raw.get("azure_speech_voices")?);
    if voices.is_empty() && raw.optional("azure_speech_voice").is_none() {
        return Err(invalid(
            "azure_speech_voices",
            "expected at least one voice",
        ));
    }
    Ok(AzureSettings {
        key: raw
            .optional("azure_speech_key")
            .map(|k| k.trim().to_string()),
        region: raw
            .optional("azure_speech_region")
            .or_else(|| raw.optional("azure_service_region"))
            .map(|r| r.trim().to_string()),
        endpoint: raw
            .optional("azure_speech_endpoint")
            .map(|e| e.trim().to_string()),
        voices,
        voice: raw
            .optional("azure_speech_voice")
            .map(|v| v.trim().to_string()),
        sample_rate: parse_sample_rate(raw, "azure_speech_sample_rate")?,
    })
}

fn parse_google(raw: &Raw) -> Result<GoogleSettings, SettingsError> {
    Ok(GoogleSettings {
        credentials_path: PathBuf::from(raw.get("google_application_credentials")?),
        api_key: raw.optional("google_api_key").map(|k| k.trim().to_string()),
        endpoint: raw.get("google_tts_endpoint")?.trim().to_string(),
        voices: raw
            .optional("google_tts_voices")
            .map(|v| split_list(&v))
            .unwrap_or_default(),
        voice: raw
            .optional("google_tts_voice")
            .map(|v| v.trim().to_string()),
        sample_rate: parse_sample_rate(raw, "google_tts_sample_rate")?,
    })
}

fn parse_tts(raw: &Raw) -> Result<TtsSettings, SettingsError> {
    let provider = parse_provider_kind("tts_provider", &raw.get("tts_provider")?)?;
    Ok(TtsSettings {
        provider,
        fallback: parse_fallback(&raw.get("tts_fallback")?, provider)?,
        supported_languages: parse_language_list(
            "tts_supported_languages",
            &raw.get("tts_supported_languages")?,
        )?,
        submission_workers: parse_count(raw, "tts_submission_workers")?,
        resilience: parse_resilience(raw)?,
        azure: parse_azure(raw)?,
        google: parse_google(raw)?,
        model_dir: PathBuf::from(raw.get("tts_model_dir")?),
        voices_dir: PathBuf::from(raw.get("voices_dir")?),
        piper_default_voice: raw
            .optional("piper_default_voice")
            .map(|v| v.trim().to_string()),
        piper_max_loaded_voices: parse_count(raw, "piper_max_loaded_voices")?,
        ort_dylib_path: raw.optional("ort_dylib_path").map(PathBuf::from),
        device: parse_device(&raw.get("tts_device")?)?,
        thread_count: match raw.get("tts_thread_count")?.trim().parse::<usize>() {
            Ok(n) if n <= 256 => n,
            _ => return Err(invalid("tts_thread_count", "expected 0 (automatic) to 256")),
        },
        workers: parse_count(raw, "tts_workers")?,
        inference: inference::parse_inference(raw)?,
        normalize: parse_bool(&raw.get("tts_normalize")?)
            .ok_or_else(|| invalid("tts_normalize", "expected true or false"))?,
        queue_capacity: match raw.get("tts_queue_capacity")?.trim().parse::<usize>() {
            Ok(n) if (1..=1_000_000).contains(&n) => n,
            _ => return Err(invalid("tts_queue_capacity", "expected 1 to 1000000")),
        },
        lease: match raw.get("tts_lease_seconds")?.trim().parse::<u64>() {
            Ok(n) if (3..=86_400).contains(&n) => Duration::from_secs(n),
            _ => return Err(invalid("tts_lease_seconds", "expected 3 to 86400 seconds")),
        },
    })
}

fn parse_cleanup(raw: &Raw) -> Result<CleanupSettings, SettingsError> {
    let interval_hours = raw
        .get("tasks_cleanup_interval_hours")?
        .trim()
        .parse::<u64>()
        .map_err(|_| {
            invalid(
                "tasks_cleanup_interval_hours",
                "expected whole hours, 0 = off",
            )
        })?;
    let failed_older_than_days = raw
        .get("tasks_cleanup_failed_older_than_days")?
        .trim()
        .parse::<u32>()
        .map_err(|_| {
            invalid(
                "tasks_cleanup_failed_older_than_days",
                "expected whole days",
            )
        })?;
    let orphans = parse_bool(&raw.get("tasks_cleanup_orphans")?)
        .ok_or_else(|| invalid("tasks_cleanup_orphans", "expected true or false"))?;
    Ok(CleanupSettings {
        interval_hours,
        failed_older_than_days,
        orphans,
    })
}

/// `DOCS_URL`, `REDOC_URL`, `OPENAPI_URL`: an absolute path such as
/// `/docs` (a trailing slash is dropped), or empty to turn that page off.
fn parse_doc_path(raw: &Raw, key: &str) -> Result<String, SettingsError> {
    let value = raw.get(key)?.trim().to_string();
    if value.is_empty() {
        return Ok(value);
    }
    let path = value.trim_end_matches('/');
    let bad_char = |c: char| c.is_whitespace() || "{}*?#\"<>".contains(c);
    if !value.starts_with('/') || path.is_empty() || path.chars().any(bad_char) {
        return Err(invalid(
            key,
            "expected a path such as /docs (not `/`, no `{`, `}`, `*`, `?`, `#`, quotes or spaces), or empty to turn it off",
        ));
    }
    Ok(path.to_string())
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_device(value: &str) -> Result<String, SettingsError> {
    match value.trim().to_lowercase().as_str() {
        "" | "auto" => Ok("auto".into()),
        "cpu" => Ok("cpu".into()),
        "cuda" | "gpu" => Ok("cuda".into()),
        _ => Err(invalid("tts_device", "expected cpu, cuda or auto")),
    }
}

/// `["fi","sv"]` as in the original (JSON), or a friendlier `fi,sv`.
fn parse_language_list(key: &str, value: &str) -> Result<Vec<String>, SettingsError> {
    let trimmed = value.trim();
    if trimmed.starts_with('[') {
        serde_json::from_str::<Vec<String>>(trimmed)
            .map_err(|_| invalid(key, "expected a JSON list of strings such as [\"fi\"]"))
    } else {
        Ok(trimmed
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect())
    }
}

/// `postgres://…`/`postgresql://…` (also SQLAlchemy's `postgresql+asyncpg://…`)
/// selects PostgreSQL; anything else must be a SQLite URL.
pub fn parse_database_url(url: &str) -> Result<DatabaseBackend, SettingsError> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        return Ok(DatabaseBackend::Postgres(url.to_string()));
    }
    if lower.starts_with("postgresql+") {
        return match url.split_once("://") {
            Some((_, tail)) => Ok(DatabaseBackend::Postgres(format!("postgresql://{tail}"))),
            None => Err(invalid(
                "database_url",
                "expected postgresql://user@host/db",
            )),
        };
    }
    parse_sqlite_url(url).map(DatabaseBackend::Sqlite)
}

/// Accepts SQLAlchemy-style URLs (`sqlite:///relative.db`, `sqlite:////abs.db`,
/// `sqlite+aiosqlite:///…`) and sqlx-style ones (`sqlite://relative.db`,
/// `sqlite:relative.db`). Query strings are ignored.
pub fn parse_sqlite_url(url: &str) -> Result<PathBuf, SettingsError> {
    let url = url.trim();
    let rest = url
        .strip_prefix("sqlite:")
        .or_else(|| {
            url.strip_prefix("sqlite+")
                .and_then(|r| r.split_once(':').map(|(_, rest)| rest))
        })
        .ok_or_else(|| {
            invalid(
                "database_url",
                "expected a SQLite URL such as sqlite:///data/dictation.db or a postgres:// URL",
            )
        })?;
    let rest = rest.split('?').next().unwrap_or_default();
    let path = if let Some(p) = rest.strip_prefix("///") {
        p
    } else if let Some(p) = rest.strip_prefix("//") {
        p
    } else {
        rest
    };
    if path.is_empty() || path.contains(":memory:") {
        return Err(invalid(
            "database_url",
            "a database file path is required (in-memory databases are not supported)",
        ));
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_pick_the_backend() {
        let pg = |u: &str| parse_database_url(u).unwrap();
        assert_eq!(
            pg("postgres://lw@db:5432/lw"),
            DatabaseBackend::Postgres("postgres://lw@db:5432/lw".into())
        );
        assert_eq!(
            pg("postgresql+asyncpg://lw:pw@db/lw"),
            DatabaseBackend::Postgres("postgresql://lw:pw@db/lw".into())
        );
        assert_eq!(
            pg("sqlite:///data/x.db"),
            DatabaseBackend::Sqlite(PathBuf::from("data/x.db"))
        );
        assert!(parse_database_url("mysql://x/y").is_err());
    }

    #[test]
    fn speech_settings() {
        let s = Settings::from_vars(Vec::<(String, String)>::new()).unwrap();
        assert_eq!(s.speech.cache_max_bytes, 1 << 30);
        assert_eq!(s.speech.cache_max_age, Duration::from_secs(30 * 86_400));
        assert_eq!(s.speech.user_token, None);
        let s = Settings::from_vars([
            ("AUDIO_CACHE_MAX_BYTES", "1000"),
            ("AUDIO_CACHE_MAX_AGE_DAYS", "2"),
            ("SYNTHESIZE_USER_TOKEN", "t0k"),
        ])
        .unwrap();
        assert_eq!(s.speech.cache_max_bytes, 1000);
        assert_eq!(s.speech.cache_max_age, Duration::from_secs(2 * 86_400));
        assert!(!format!("{:?}", s.speech).contains("t0k"));
        assert!(Settings::from_vars([("AUDIO_CACHE_MAX_AGE_DAYS", "0")]).is_err());
        assert!(Settings::from_vars([("AUDIO_CACHE_MAX_BYTES", "-1")]).is_err());
    }

    #[test]
    fn inference_settings_default_to_the_measured_cuda_options_and_batching_by_device() {
        let s = Settings::from_vars(Vec::<(&str, &str)>::new()).unwrap();
        let i = &s.tts.inference;
        assert_eq!(i.cuda_conv_algo_search, "default");
        assert_eq!((i.cuda_device_id, i.cuda_memory_limit_bytes), (0, None));
        assert_eq!(i.batch_max, None);
        assert_eq!(i.batch_wait, Duration::from_millis(10));
        let s = Settings::from_vars([
            ("TTS_CUDA_CONV_ALGO_SEARCH", "Heuristic"),
            ("TTS_CUDA_DEVICE_ID", "1"),
            ("TTS_CUDA_MEMORY_LIMIT_MB", "2048"),
            ("TTS_BATCH_MAX", "8"),
            ("TTS_BATCH_WAIT_MS", "0"),
        ])
        .unwrap();
        let i = &s.tts.inference;
        assert_eq!(i.cuda_conv_algo_search, "heuristic");
        assert_eq!(i.cuda_device_id, 1);
        assert_eq!(i.cuda_memory_limit_bytes, Some(2048 * 1024 * 1024));
        assert_eq!((i.batch_max, i.batch_wait), (Some(8), Duration::ZERO));
    }

    #[test]
    fn defaults_match_the_contract() {
        let s = Settings::from_vars(Vec::<(String, String)>::new()).unwrap();
        assert_eq!(s.port, 8000);
        assert_eq!(s.app_name, "Last Whisper Backend (Development)");
        assert_eq!(
            s.database.backend,
            DatabaseBackend::Sqlite(PathBuf::from("data/dictation.db"))
        );
        assert_eq!(s.audio_dir, PathBuf::from("audio"));
        assert_eq!(s.tts.supported_languages, vec!["fi".to_string()]);
        assert_eq!(s.tts.submission_workers, 4);
        assert_eq!(
            s.cors.origins,
            AllowList::Only(vec![
                "http://localhost:3000".into(),
                "http://127.0.0.1:3000".into()
            ])
        );
        assert_eq!(s.cors.methods, AllowList::Any);
    }

    #[test]
    fn names_are_case_insensitive_and_later_values_win() {
        let s = Settings::from_vars([("port", "9000"), ("PORT", "9001"), ("Environment", "prod")])
            .unwrap();
        assert_eq!(s.port, 9001);
        assert!(!s.is_development());
        assert_eq!(s.app_name, "Last Whisper Backend");
    }

    #[test]
    fn sqlite_url_forms() {
        let p = |u: &str| parse_sqlite_url(u).unwrap();
        assert_eq!(
            p("sqlite:///data/dictation.db"),
            PathBuf::from("data/dictation.db")
        );
        assert_eq!(p("sqlite:////tmp/x.db"), PathBuf::from("/tmp/x.db"));
        assert_eq!(p("sqlite://data/x.db"), PathBuf::from("data/x.db"));
        assert_eq!(p("sqlite:x.db?mode=rwc"), PathBuf::from("x.db"));
        assert_eq!(p("sqlite+aiosqlite:///d.db"), PathBuf::from("d.db"));
        assert!(parse_sqlite_url("postgres://localhost/db").is_err());
        assert!(parse_sqlite_url("sqlite::memory:").is_err());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Settings::from_vars([("PORT", "eighty")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value for PORT: expected a port number 0..65535"
        );
        let err = Settings::from_vars([("TTS_SUPPORTED_LANGUAGES", "[fi")]).unwrap_err();
        assert!(err.to_string().contains("TTS_SUPPORTED_LANGUAGES"));
        assert!(Settings::from_vars([("TTS_PROVIDER", "espeak")]).is_err());
        let err = Settings::from_vars([("METRICS_ENABLED", "maybe")]).unwrap_err();
        assert!(err.to_string().contains("METRICS_ENABLED"));
    }

    #[test]
    fn doc_paths_are_paths_or_off() {
        let s = Settings::from_vars([("DOCS_URL", "/api-docs/"), ("REDOC_URL", "")]).unwrap();
        assert_eq!(s.docs_url, "/api-docs");
        assert_eq!(s.redoc_url, "");
        assert_eq!(s.openapi_url, "/openapi.json");
        for bad in ["docs", "/", "/do cs", "/docs/{x}", "/docs?x"] {
            let err = Settings::from_vars([("OPENAPI_URL", bad)]).unwrap_err();
            assert!(err.to_string().contains("OPENAPI_URL"), "{bad}");
        }
    }

    #[test]
    fn languages_accept_json_or_commas() {
        let s = Settings::from_vars([("TTS_SUPPORTED_LANGUAGES", "fi, sv")]).unwrap();
        assert_eq!(s.tts.supported_languages, vec!["fi", "sv"]);
    }

    #[test]
    fn debug_redacts_secrets() {
        let s = Settings::from_vars([
            ("AZURE_SPEECH_KEY", "secret-key-123"),
            ("GOOGLE_API_KEY", "google-key-456"),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret-key-123"));
        assert!(!shown.contains("google-key-456"));
    }

    #[test]
    fn cloud_defaults_and_overrides() {
        let s = Settings::from_vars([("AZURE_SERVICE_REGION", "westeurope")]).unwrap();
        assert_eq!(s.tts.azure.region.as_deref(), Some("westeurope"));
        assert_eq!(s.tts.azure.voices.len(), 3);
        assert_eq!(s.tts.azure.sample_rate, 24_000);
        assert_eq!(s.tts.google.endpoint, "https://texttospeech.googleapis.com");
        assert_eq!(s.tts.google.sample_rate, 24_000);
        assert!(s.tts.google.voices.is_empty());
        assert!(s.tts.fallback.is_empty());
        assert_eq!(s.tts.resilience.request_timeout, Duration::from_secs(30));

        let s = Settings::from_vars([
            ("TTS_PROVIDER", "google"),
            ("TTS_FALLBACK", "azure, local, gcp, azure"),
            ("TTS_REQUEST_TIMEOUT_SECONDS", "0.5"),
            ("AZURE_SPEECH_REGION", "northeurope"),
            ("AZURE_SERVICE_REGION", "westeurope"),
        ])
        .unwrap();
        assert_eq!(
            s.tts.fallback,
            vec![TtsProviderKind::Azure, TtsProviderKind::Local]
        );
        assert_eq!(s.tts.resilience.request_timeout, Duration::from_millis(500));
        assert_eq!(s.tts.azure.region.as_deref(), Some("northeurope"));

        assert!(Settings::from_vars([("TTS_FALLBACK", "espeak")]).is_err());
        assert!(Settings::from_vars([("TTS_CUDA_CONV_ALGO_SEARCH", "fastest")]).is_err());
        assert!(Settings::from_vars([("TTS_BATCH_MAX", "0")]).is_err());
        assert!(Settings::from_vars([("TTS_BATCH_MAX", "many")]).is_err());
        assert!(Settings::from_vars([("TTS_BATCH_WAIT_MS", "-1")]).is_err());
        assert!(Settings::from_vars([("GOOGLE_TTS_SAMPLE_RATE", "12345")]).is_err());
        assert!(Settings::from_vars([("TTS_REQUEST_TIMEOUT_SECONDS", "0")]).is_err());
    }
}
