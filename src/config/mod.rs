//! Settings: code defaults, then an optional `.env` file, then the process
//! environment (which wins). Variable names and defaults are those of the API
//! contract §8, so operators of the Python service can reuse their env files.
//! Names are case-insensitive, as in the original.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment};

mod cleanup;
mod connections;
mod cors;
mod database;
mod inference;
mod metadata;
mod security;
mod speech;
mod translation;
mod tts;
pub use cleanup::CleanupSettings;
pub use connections::ConnectionSettings;
pub use cors::{AllowList, CorsSettings};
pub use database::{parse_database_url, parse_sqlite_url, DatabaseBackend, DatabaseSettings};
pub use inference::InferenceSettings;
pub use metadata::MetadataSettings;
pub use security::{RateLimitSettings, SecuritySettings};
pub use speech::SpeechSettings;
pub use translation::{TranslationProviderKind, TranslationSettings};
pub use tts::{AzureSettings, GoogleSettings, ResilienceSettings, TtsProviderKind, TtsSettings};

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
    ("tts_cpu_memory_arena", "true"),
    ("tts_cpu_spin", "true"),
    ("tts_cpu_nice", "0"),
    ("tts_vocoder_window_frames", "256"),
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

/// What every settings `Debug` shows for a secret: whether it is set,
/// never its value.
fn redacted<T>(secret: &Option<T>) -> Option<&'static str> {
    secret.as_ref().map(|_| "<redacted>")
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
            tts: tts::parse_tts(raw)?,
            cleanup: cleanup::parse_cleanup(raw)?,
            cors: CorsSettings {
                origins: AllowList::parse(&raw.get("cors_origins")?),
                methods: AllowList::parse(&raw.get("cors_allow_methods")?),
                headers: AllowList::parse(&raw.get("cors_allow_headers")?),
            },
            docs_url: parse_doc_path(raw, "docs_url")?,
            redoc_url: parse_doc_path(raw, "redoc_url")?,
            openapi_url: parse_doc_path(raw, "openapi_url")?,
            speech: speech::parse_speech(raw)?,
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
    fn cpu_options_default_to_onnx_runtimes_and_refuse_other_words() {
        let s = Settings::from_vars(Vec::<(&str, &str)>::new()).unwrap();
        assert!(s.tts.inference.cpu_memory_arena && s.tts.inference.cpu_spin);
        let s = Settings::from_vars([("TTS_CPU_MEMORY_ARENA", "false"), ("TTS_CPU_SPIN", "off")])
            .unwrap();
        assert!(!s.tts.inference.cpu_memory_arena && !s.tts.inference.cpu_spin);
        assert_eq!(s.tts.inference.vocoder_window_frames, 256);
        let s = Settings::from_vars([("TTS_VOCODER_WINDOW_FRAMES", "0")]).unwrap();
        assert_eq!(s.tts.inference.vocoder_window_frames, 0);
        assert!(Settings::from_vars([("TTS_VOCODER_WINDOW_FRAMES", "8")]).is_err());
        assert_eq!(s.tts.inference.cpu_nice, 0);
        let s = Settings::from_vars([("TTS_CPU_NICE", "5")]).unwrap();
        assert_eq!(s.tts.inference.cpu_nice, 5);
        assert!(Settings::from_vars([("TTS_CPU_NICE", "20")]).is_err());
        assert!(Settings::from_vars([("TTS_CPU_NICE", "-5")]).is_err());
        let err = Settings::from_vars([("TTS_CPU_SPIN", "sometimes")]).unwrap_err();
        assert!(
            err.to_string().to_lowercase().contains("tts_cpu_spin"),
            "{err}"
        );
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
