//! `GET /metadata` (contract addendum §6): parses `detail` and `fields` and
//! hands over to [`crate::services::metadata`]. Behind the API key like
//! every route; as a GET it draws on the reads rate-limit budget.

use std::time::Instant;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::error::{ApiError, ValidationFailed};
use crate::http::extract::{QueryFields, RawQuery};
use crate::services::metadata::{
    DetailLevel, MetadataResponse, MetadataSources, Selection, TranslationInfo,
};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/metadata", get(metadata))
}

/// Service, build, runtime, providers, features, limits and links.
///
/// `fields` (comma-separated section names, case-insensitive) replaces
/// `detail` when it names at least one known section. Not selected:
/// `build`, `runtime`, `providers` are left out, `features`, `limits`,
/// `links` are `{}`. Everything but `runtime` is cached for
/// `METADATA_CACHE_TTL_SECONDS`.
#[utoipa::path(
    get,
    path = "/metadata",
    operation_id = "metadata",
    summary = "Service metadata",
    tag = "health",
    params(
        ("detail" = inline(Option<DetailLevel>), Query, description = "`core` (service, build, links), `runtime` (service, runtime) or `full` (default; everything). Exact lowercase; other values → 422", example = "full"),
        ("fields" = Option<String>, Query, description = "Comma-separated sections (`service, build, runtime, providers, features, limits, links`); unknown names are ignored", example = "limits,service"),
    ),
    responses(
        (status = 200, description = "The selected sections", body = MetadataResponse),
        (status = 422, response = ValidationFailed),
    )
)]
async fn metadata(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<MetadataResponse>, ApiError> {
    let mut q = QueryFields::new(&query);
    let detail = q
        .one_of("detail", &DetailLevel::NAMES)
        .and_then(|d| DetailLevel::parse(&d))
        .unwrap_or_default();
    let fields = q.string("fields");
    q.finish()?;
    // The provider that really answers (`none` also when the configured
    // one could not be built).
    let provider = state.translations.provider().map_or("none", |p| p.name());
    let sources = MetadataSources {
        settings: &state.settings,
        db: &state.db,
        tts: &state.tts,
        translation: TranslationInfo {
            provider,
            supported_languages: state.translations.supported_languages(),
        },
    };
    let selection = Selection::resolve(detail, fields);
    Ok(Json(
        state
            .metadata
            .metadata(&sources, selection, Instant::now())
            .await,
    ))
}
