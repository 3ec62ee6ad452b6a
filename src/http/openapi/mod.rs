//! The OpenAPI 3.1 document of every route, and its offline Swagger UI.
//!
//! Operations are described by `#[utoipa::path]` attributes on the handlers
//! themselves (and in [`other_paths`] for the few that are closures);
//! [`ApiDoc`] collects them. The document and the UI are served in
//! development only, like the original (contract §1.8): see [`docs_ui`].

mod binary;
mod docs_ui;
mod other_paths;
pub mod params;
mod security;

use serde_json::Value;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::OpenApi;

use crate::config::Settings;

pub use docs_ui::router;

/// Every operation the router serves, grouped as the routers are.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::http::health::health,
        crate::http::metadata::metadata,
        crate::http::items::create,
        crate::http::items::list,
        crate::http::items::create_bulk,
        crate::http::items::get_one,
        crate::http::items::delete,
        crate::http::items::tts_status,
        crate::http::items::update_tags,
        crate::http::items::update_difficulty,
        crate::http::items::update_spoken_text,
        crate::http::items::audio,
        crate::http::attempts::create,
        crate::http::attempts::list,
        crate::http::attempts::get_one,
        crate::http::stats::summary,
        crate::http::stats::practice_log,
        crate::http::stats::item_stats,
        crate::http::stats::progress,
        crate::http::stats::words,
        crate::http::tags::create,
        crate::http::tags::list,
        crate::http::tags::remove,
        crate::http::legacy_tts::list,
        crate::http::legacy_tts::convert,
        crate::http::legacy_tts::convert_multiple,
        crate::http::legacy_tts::supported_languages,
        crate::http::legacy_tts::get_one,
        crate::http::legacy_tts::download,
        crate::http::tasks::stats,
        crate::http::tasks::retry_failed,
        crate::http::tasks::retry_one,
        crate::http::tasks::refresh_audio,
        crate::http::translations::translate,
        crate::http::translations::cached,
        crate::http::translations::refresh,
        crate::http::voices::list,
        crate::http::speech::openai_speech,
        crate::http::speech::synthesize_speech,
        crate::http::speech::cache_stats,
        crate::http::sessions::create,
        crate::http::sessions::get_one,
        crate::http::sessions::stream,
        other_paths::page,
        other_paths::page_script,
        other_paths::page_style,
        other_paths::page_icon,
        other_paths::page_icon_default,
        other_paths::metrics,
    ),
    components(
        // Referenced only from the shared responses below, which utoipa does
        // not walk for schemas.
        schemas(
            crate::http::speech_sse::SpeechStreamEvent,
            crate::error::ErrorDetail,
            crate::error::ValidationErrorBody,
            crate::error::FieldError,
            crate::error::LocPart,
            crate::error::UncaughtError,
        ),
        responses(
            crate::error::ValidationFailed,
            crate::error::InternalError,
            crate::error::PayloadTooLarge,
            crate::http::audio_response::SpeechAudio,
            crate::http::audio_response::SpeechAudioRange,
            crate::http::speech_sse::OpenAiSpeechAudio,
        )
    ),
    tags(
        (name = "items", description = "Dictation items: create, list, change, delete, audio"),
        (name = "attempts", description = "Attempts scored by word error rate"),
        (name = "stats", description = "Practice statistics"),
        (name = "tags", description = "Preset tags (suggestions for the UI)"),
        (name = "translations", description = "Item translations, cached per target language"),
        (name = "tts", description = "Operating speech tasks: statistics and retries"),
        (name = "speech", description = "Speech on demand: OpenAI-compatible and batch APIs, voices, cache"),
        (name = "sessions", description = "Streaming speech over WebSocket"),
        (name = "legacy-tts", description = "The original's task API under /api/v1/tts"),
        (name = "health", description = "Service health and metadata"),
        (name = "metrics", description = "Prometheus metrics"),
        (name = "page", description = "The practice page"),
    )
)]
pub struct ApiDoc;

/// The document for these settings: the application's name, version and
/// description, the languages and engine this server accepts, and its API
/// keys when it requires them.
pub fn document(settings: &Settings) -> Document {
    let mut doc = ApiDoc::openapi();
    doc.info.title = settings.app_name.clone();
    doc.info.version = settings.app_version.clone();
    doc.info.description = Some(settings.app_description.clone());
    doc.info.contact = None;
    let languages: Vec<Value> = settings
        .tts
        .supported_languages
        .iter()
        .map(|l| Value::String(l.clone()))
        .chain([Value::Null])
        .collect();
    for schema in ["OpenAiSpeechRequest", "BatchSpeechRequest", "SessionCreate"] {
        restrict(&mut doc, schema, "language", &languages);
    }
    let provider = format!("{:?}", settings.tts.provider).to_lowercase();
    let providers = [Value::String(provider), "default".into(), Value::Null];
    restrict(&mut doc, "SessionCreate", "provider", &providers);
    security::add(&mut doc, settings);
    binary::declare(&mut doc);
    doc
}

/// Give a property of a component schema the values this server accepts
/// (known only at run time, e.g. `TTS_SUPPORTED_LANGUAGES`).
fn restrict(doc: &mut Document, schema: &str, property: &str, values: &[Value]) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(field))) = object.properties.get_mut(property) {
        field.enum_values = Some(values.to_vec());
    }
}
