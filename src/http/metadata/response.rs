//! The JSON of `GET /metadata`: response types converted from
//! [`crate::services::metadata`]'s results. They keep the original's key
//! names (`python_version`, `language_code`, …) and its way of showing a
//! section that was not selected: `build`, `runtime`, `providers` are left
//! out, `features`, `limits`, `links` are `{}`.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use crate::services::metadata;

/// `GET /metadata`. Sections not selected: `build`, `runtime`, `providers`
/// are left out; `features`, `limits`, `links` are `{}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetadataResponse {
    service: ServiceSection,
    #[serde(skip_serializing_if = "Option::is_none")]
    build: Option<BuildSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime: Option<RuntimeSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    providers: Option<ProvidersSection>,
    /// `{}` when not selected.
    #[serde(serialize_with = "object_or_empty")]
    #[schema(value_type = FeaturesSection)]
    features: Option<FeaturesSection>,
    /// `{}` when not selected.
    #[serde(serialize_with = "object_or_empty")]
    #[schema(value_type = LimitsSection)]
    limits: Option<LimitsSection>,
    /// Name → URL path or URL; `{}` when not selected.
    #[serde(serialize_with = "links_object")]
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    links: Vec<(String, String)>,
}

/// Who this service is.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceSection {
    /// `APP_NAME` (` (Development)` appended in development at the default name).
    name: String,
    description: String,
    /// `ENVIRONMENT` as configured.
    environment: String,
    version: String,
    /// `METADATA_SCHEMA_VERSION`; the frontend compares it with the version it expects.
    schema_version: String,
}

/// What was built.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildSection {
    /// `METADATA_COMMIT_SHA`, `BUILD_COMMIT_SHA` (run time, then build time), else `unknown`.
    commit: String,
    /// First 7 characters of `commit`, or `unknown`.
    short_commit: String,
    /// `METADATA_BUILD_BRANCH`, `BUILD_BRANCH`, else `unknown`.
    branch: String,
    /// `METADATA_BUILD_TIMESTAMP`, `BUILD_TIMESTAMP`; absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    built_at: Option<String>,
    /// The Rust compiler's version. The original sends its Python version
    /// under this name and clients may expect the key, so it stays.
    python_version: String,
    /// The axum version (the HTTP framework), in the original's FastAPI key.
    fastapi_version: String,
}

/// This process, now.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuntimeSection {
    /// Process start, UTC with `Z`.
    started_at: String,
    /// Seconds since start, two decimals.
    uptime_seconds: f64,
    process_id: u32,
    host: String,
    worker: WorkerSection,
}

/// The TTS pipeline; `{}` when it cannot be read (database unavailable).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct WorkerSection {
    /// The task workers are running (`/health` `task_manager` healthy).
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_running: Option<bool>,
    /// Tasks waiting for a worker (`queued`; the `/metrics` `tts_queue_depth`).
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_size: Option<i64>,
    /// Items whose `tts_status` is `pending`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_items: Option<i64>,
    /// An engine is loaded and healthy (`/health` `tts_service` healthy).
    #[serde(skip_serializing_if = "Option::is_none")]
    tts_service_available: Option<bool>,
}

/// Database, speech and translation providers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvidersSection {
    database: DatabaseProviderInfo,
    tts: TtsProviderInfo,
    translation: TranslationProviderInfo,
}

/// `{"engine":"sqlite","file":…}` or
/// `{"engine":"postgresql","connection":"host/db","masked":true}`; never credentials.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseProviderInfo {
    /// `sqlite` or `postgresql`.
    engine: String,
    /// SQLite: the database file.
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    /// PostgreSQL: the URL after its last `@` (host and database), without query.
    #[serde(skip_serializing_if = "Option::is_none")]
    connection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    masked: Option<bool>,
}

/// The speech engine.
#[derive(Debug, Serialize, ToSchema)]
pub struct TtsProviderInfo {
    /// `TTS_PROVIDER`: `local`, `piper`, `google` or `azure`.
    provider: String,
    /// `TTS_SUPPORTED_LANGUAGES`.
    supported_languages: Vec<Language>,
    /// Engines tried in order: the provider, then `TTS_FALLBACK` (additive).
    engine: Vec<String>,
    /// Where the loaded engine runs, e.g. `cpu`; absent without an engine (additive).
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<String>,
    /// Voice names of the loaded engine (additive).
    voices: Vec<String>,
}

/// The translation provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct TranslationProviderInfo {
    /// `TRANSLATION_PROVIDER` (`none` when translation is off).
    provider: String,
    supported_languages: Vec<Language>,
}

/// A language code with its display name.
#[derive(Debug, Serialize, ToSchema)]
pub struct Language {
    language_code: String,
    /// `English`, `Suomi`, `简体中文`, `繁體中文`, else the code.
    language_name: String,
}

/// What the frontend may offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeaturesSection {
    /// `TTS_SUBMISSION_WORKERS`.
    tts_submission_workers: usize,
    /// `TTS_SUPPORTED_LANGUAGES` as plain strings.
    tts_languages: Vec<String>,
    translation_languages: Vec<Language>,
    /// Audio formats of speech on demand (additive).
    speech_formats: Vec<String>,
    /// `/v1/tts/sessions` streaming is available (additive).
    streaming_sessions: bool,
}

/// The item limits the server enforces.
#[derive(Debug, Serialize, ToSchema)]
pub struct LimitsSection {
    max_items_per_bulk_request: usize,
    max_tags_per_item: usize,
    max_tag_length: usize,
    max_text_length: usize,
}

/// A selected section as itself, one not selected as `{}`.
fn object_or_empty<T: Serialize, S: Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => v.serialize(serializer),
        None => serializer.serialize_map(Some(0))?.end(),
    }
}

/// Links as a JSON object, in their order.
fn links_object<S: Serializer>(
    links: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(links.len()))?;
    for (name, url) in links {
        map.serialize_entry(name, url)?;
    }
    map.end()
}

/// Seconds, rounded to two decimals.
fn seconds(uptime: Duration) -> f64 {
    (uptime.as_secs_f64() * 100.0).round() / 100.0
}

/// UTC with microseconds and `Z`.
fn utc_z(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn languages(languages: Vec<metadata::Language>) -> Vec<Language> {
    languages.into_iter().map(Into::into).collect()
}

impl From<metadata::Metadata> for MetadataResponse {
    fn from(m: metadata::Metadata) -> Self {
        MetadataResponse {
            service: m.service.into(),
            build: m.build.map(Into::into),
            runtime: m.runtime.map(Into::into),
            providers: m.providers.map(Into::into),
            features: m.features.map(Into::into),
            limits: m.limits.map(Into::into),
            links: m.links.map(|links| links.0).unwrap_or_default(),
        }
    }
}

impl From<metadata::ServiceSection> for ServiceSection {
    fn from(s: metadata::ServiceSection) -> Self {
        ServiceSection {
            name: s.name,
            description: s.description,
            environment: s.environment,
            version: s.version,
            schema_version: s.schema_version,
        }
    }
}

impl From<metadata::BuildSection> for BuildSection {
    fn from(b: metadata::BuildSection) -> Self {
        BuildSection {
            commit: b.commit,
            short_commit: b.short_commit,
            branch: b.branch,
            built_at: b.built_at,
            python_version: b.rustc_version,
            fastapi_version: b.axum_version,
        }
    }
}

impl From<metadata::RuntimeSection> for RuntimeSection {
    fn from(r: metadata::RuntimeSection) -> Self {
        RuntimeSection {
            started_at: utc_z(r.started_at),
            uptime_seconds: seconds(r.uptime),
            process_id: r.process_id,
            host: r.host,
            worker: r.worker.map(Into::into).unwrap_or_default(),
        }
    }
}

impl From<metadata::WorkerState> for WorkerSection {
    fn from(w: metadata::WorkerState) -> Self {
        WorkerSection {
            worker_running: Some(w.worker_running),
            queue_size: Some(w.queue_size),
            pending_items: Some(w.pending_items),
            tts_service_available: Some(w.tts_service_available),
        }
    }
}

impl From<metadata::ProvidersSection> for ProvidersSection {
    fn from(p: metadata::ProvidersSection) -> Self {
        ProvidersSection {
            database: p.database.into(),
            tts: p.tts.into(),
            translation: p.translation.into(),
        }
    }
}

impl From<metadata::DatabaseProvider> for DatabaseProviderInfo {
    fn from(p: metadata::DatabaseProvider) -> Self {
        match p {
            metadata::DatabaseProvider::Sqlite { file } => DatabaseProviderInfo {
                engine: "sqlite".into(),
                file: Some(file),
                connection: None,
                masked: None,
            },
            metadata::DatabaseProvider::Postgres { connection } => DatabaseProviderInfo {
                engine: "postgresql".into(),
                file: None,
                connection: Some(connection),
                masked: Some(true),
            },
        }
    }
}

impl From<metadata::TtsProviderInfo> for TtsProviderInfo {
    fn from(t: metadata::TtsProviderInfo) -> Self {
        TtsProviderInfo {
            provider: t.provider,
            supported_languages: languages(t.supported_languages),
            engine: t.engine,
            device: t.device,
            voices: t.voices,
        }
    }
}

impl From<metadata::TranslationProviderInfo> for TranslationProviderInfo {
    fn from(t: metadata::TranslationProviderInfo) -> Self {
        TranslationProviderInfo {
            provider: t.provider,
            supported_languages: languages(t.supported_languages),
        }
    }
}

impl From<metadata::Language> for Language {
    fn from(l: metadata::Language) -> Self {
        Language {
            language_code: l.code,
            language_name: l.name,
        }
    }
}

impl From<metadata::FeaturesSection> for FeaturesSection {
    fn from(f: metadata::FeaturesSection) -> Self {
        FeaturesSection {
            tts_submission_workers: f.tts_submission_workers,
            tts_languages: f.tts_languages,
            translation_languages: languages(f.translation_languages),
            speech_formats: f.speech_formats,
            streaming_sessions: f.streaming_sessions,
        }
    }
}

impl From<metadata::LimitsSection> for LimitsSection {
    fn from(l: metadata::LimitsSection) -> Self {
        LimitsSection {
            max_items_per_bulk_request: l.max_items_per_bulk_request,
            max_tags_per_item: l.max_tags_per_item,
            max_tag_length: l.max_tag_length,
            max_text_length: l.max_text_length,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::config::DatabaseBackend;

    use super::*;

    fn service() -> metadata::ServiceSection {
        metadata::ServiceSection {
            name: "n".into(),
            description: "d".into(),
            environment: "production".into(),
            version: "1".into(),
            schema_version: "s".into(),
        }
    }

    #[test]
    fn unselected_sections_are_left_out_or_empty() {
        let answer = metadata::Metadata {
            service: service(),
            build: None,
            runtime: None,
            providers: None,
            features: None,
            limits: None,
            links: None,
        };
        let keys: Vec<String> = serde_json::to_value(MetadataResponse::from(answer))
            .unwrap()
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            keys,
            [
                r#"service={"name":"n","description":"d","environment":"production","version":"1","schema_version":"s"}"#,
                "features={}",
                "limits={}",
                "links={}"
            ]
        );
    }

    #[test]
    fn links_keep_their_order_and_runtime_its_formats() {
        let answer = metadata::Metadata {
            service: service(),
            build: None,
            runtime: Some(metadata::RuntimeSection {
                started_at: DateTime::from_timestamp(1_700_000_000, 5_000).unwrap(),
                uptime: Duration::from_millis(12_346),
                process_id: 7,
                host: "h".into(),
                worker: None,
            }),
            providers: None,
            features: None,
            limits: None,
            links: Some(metadata::Links(vec![
                ("z".into(), "/z".into()),
                ("a".into(), "/a".into()),
            ])),
        };
        let json = serde_json::to_string(&MetadataResponse::from(answer)).unwrap();
        assert!(
            json.contains(concat!(
                r#""runtime":{"started_at":"2023-11-14T22:13:20.000005Z","#,
                r#""uptime_seconds":12.35,"process_id":7,"host":"h","worker":{}}"#
            )),
            "{json}"
        );
        assert!(json.ends_with(r#""links":{"z":"/z","a":"/a"}}"#), "{json}");
    }

    #[test]
    fn database_providers_never_show_credentials() {
        let shown = |backend| {
            let info = DatabaseProviderInfo::from(metadata::database_provider(&backend));
            serde_json::to_value(info).unwrap()
        };
        assert_eq!(
            shown(DatabaseBackend::Sqlite(PathBuf::from("data/x.db"))),
            serde_json::json!({ "engine": "sqlite", "file": "data/x.db" })
        );
        assert_eq!(
            shown(DatabaseBackend::Postgres(
                "postgres://lw:p@ss@word@db.example:5432/lw?password=hunter2".into(),
            )),
            serde_json::json!({ "engine": "postgresql", "connection": "db.example:5432/lw", "masked": true })
        );
    }
}
