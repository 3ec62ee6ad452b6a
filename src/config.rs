//! Settings: code defaults, then an optional `.env` file, then the process
//! environment (which wins). Variable names and defaults are those of the API
//! contract §8, so operators of the Python service can reuse their env files.
//! Names are case-insensitive, as in the original.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use config::{Config, Environment};

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
    ("tts_provider", "local"),
    ("tts_supported_languages", "[\"fi\"]"),
    ("tts_submission_workers", "4"),
    ("tts_model_dir", "models/mms-tts-fin"),
    ("tts_device", "auto"),
    ("tts_thread_count", "0"),
    ("tts_workers", "1"),
    ("tts_queue_capacity", "1024"),
    ("google_application_credentials", "keys/google-credentials.json"),
    ("docs_url", "/docs"),
    ("redoc_url", "/redoc"),
    ("openapi_url", "/openapi.json"),
    ("cors_origins", "http://localhost:3000,http://127.0.0.1:3000"),
    ("cors_allow_methods", "*"),
    ("cors_allow_headers", "*"),
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
    /// SQLite database file.
    pub sqlite_path: PathBuf,
    /// Size of the read-only connection pool (writes use one connection).
    pub read_connections: u32,
}

/// CORS configuration (contract §1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsSettings {
    pub origins: AllowList,
    pub methods: AllowList,
    pub headers: AllowList,
}

/// TTS configuration shared by every engine.
#[derive(Clone, PartialEq)]
pub struct TtsSettings {
    pub provider: TtsProviderKind,
    pub supported_languages: Vec<String>,
    pub submission_workers: usize,
    pub google_application_credentials: PathBuf,
    pub azure_speech_key: Option<String>,
    pub azure_speech_region: Option<String>,
    /// Local engine model directory (`TTS_MODEL_DIR`).
    pub model_dir: PathBuf,
    /// `libonnxruntime.so` (`ORT_DYLIB_PATH`); `None` = look in the usual places.
    pub ort_dylib_path: Option<PathBuf>,
    /// `cpu`, `cuda` or `auto` (`TTS_DEVICE`).
    pub device: String,
    /// ONNX intra-op threads; 0 = one per core (`TTS_THREAD_COUNT`).
    pub thread_count: usize,
    /// Concurrent syntheses (`TTS_WORKERS`).
    pub workers: usize,
    /// Capacity of the bounded task queue (`TTS_QUEUE_CAPACITY`).
    pub queue_capacity: usize,
}

impl fmt::Debug for TtsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TtsSettings")
            .field("provider", &self.provider)
            .field("supported_languages", &self.supported_languages)
            .field("submission_workers", &self.submission_workers)
            .field(
                "google_application_credentials",
                &self.google_application_credentials,
            )
            .field(
                "azure_speech_key",
                &self.azure_speech_key.as_ref().map(|_| "<redacted>"),
            )
            .field("azure_speech_region", &self.azure_speech_region)
            .field("model_dir", &self.model_dir)
            .field("ort_dylib_path", &self.ort_dylib_path)
            .field("device", &self.device)
            .field("thread_count", &self.thread_count)
            .field("workers", &self.workers)
            .field("queue_capacity", &self.queue_capacity)
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
    pub tts: TtsSettings,
    pub cors: CorsSettings,
    pub docs_url: String,
    pub redoc_url: String,
    pub openapi_url: String,
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
                sqlite_path: parse_sqlite_url(&raw.get("database_url")?)?,
                read_connections: parse_count(raw, "database_read_connections")? as u32,
            },
            audio_dir: PathBuf::from(raw.get("audio_dir")?),
            tts: parse_tts(raw)?,
            cors: CorsSettings {
                origins: AllowList::parse(&raw.get("cors_origins")?),
                methods: AllowList::parse(&raw.get("cors_allow_methods")?),
                headers: AllowList::parse(&raw.get("cors_allow_headers")?),
            },
            docs_url: raw.get("docs_url")?,
            redoc_url: raw.get("redoc_url")?,
            openapi_url: raw.get("openapi_url")?,
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

fn parse_tts(raw: &Raw) -> Result<TtsSettings, SettingsError> {
    let provider = match raw.get("tts_provider")?.trim().to_lowercase().as_str() {
        "local" => TtsProviderKind::Local,
        "azure" => TtsProviderKind::Azure,
        "gcp" | "google" => TtsProviderKind::Gcp,
        _ => {
            return Err(invalid(
                "tts_provider",
                "expected one of local, azure, gcp, google",
            ))
        }
    };
    Ok(TtsSettings {
        provider,
        supported_languages: parse_language_list(&raw.get("tts_supported_languages")?)?,
        submission_workers: parse_count(raw, "tts_submission_workers")?,
        google_application_credentials: PathBuf::from(raw.get("google_application_credentials")?),
        azure_speech_key: raw.optional("azure_speech_key"),
        azure_speech_region: raw
            .optional("azure_speech_region")
            .or_else(|| raw.optional("azure_service_region")),
        model_dir: PathBuf::from(raw.get("tts_model_dir")?),
        ort_dylib_path: raw.optional("ort_dylib_path").map(PathBuf::from),
        device: parse_device(&raw.get("tts_device")?)?,
        thread_count: match raw.get("tts_thread_count")?.trim().parse::<usize>() {
            Ok(n) if n <= 256 => n,
            _ => return Err(invalid("tts_thread_count", "expected 0 (automatic) to 256")),
        },
        workers: parse_count(raw, "tts_workers")?,
        queue_capacity: match raw.get("tts_queue_capacity")?.trim().parse::<usize>() {
            Ok(n) if (1..=1_000_000).contains(&n) => n,
            _ => return Err(invalid("tts_queue_capacity", "expected 1 to 1000000")),
        },
    })
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
fn parse_language_list(value: &str) -> Result<Vec<String>, SettingsError> {
    let trimmed = value.trim();
    if trimmed.starts_with('[') {
        serde_json::from_str::<Vec<String>>(trimmed).map_err(|_| {
            invalid(
                "tts_supported_languages",
                "expected a JSON list of strings such as [\"fi\"]",
            )
        })
    } else {
        Ok(trimmed
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect())
    }
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
                "only SQLite URLs are supported, e.g. sqlite:///data/dictation.db",
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
    fn defaults_match_the_contract() {
        let s = Settings::from_vars(Vec::<(String, String)>::new()).unwrap();
        assert_eq!(s.port, 8000);
        assert_eq!(s.app_name, "Last Whisper Backend (Development)");
        assert_eq!(s.database.sqlite_path, PathBuf::from("data/dictation.db"));
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
    }

    #[test]
    fn languages_accept_json_or_commas() {
        let s = Settings::from_vars([("TTS_SUPPORTED_LANGUAGES", "fi, sv")]).unwrap();
        assert_eq!(s.tts.supported_languages, vec!["fi", "sv"]);
    }

    #[test]
    fn debug_redacts_secrets() {
        let s = Settings::from_vars([("AZURE_SPEECH_KEY", "secret-key-123")]).unwrap();
        assert!(!format!("{s:?}").contains("secret-key-123"));
    }
}
