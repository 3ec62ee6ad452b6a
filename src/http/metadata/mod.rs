//! `GET /metadata` (contract addendum §6): parses `detail` and `fields`
//! into a [`Selection`] and hands over to [`crate::services::metadata`];
//! the answer's shape is [`response`]'s. Behind the API key like every
//! route; as a GET it draws on the reads rate-limit budget.

mod response;

use std::time::Instant;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::ToSchema;

use crate::error::{ApiError, ValidationFailed};
use crate::http::extract::{QueryFields, RawQuery};
use crate::services::metadata::{MetadataSources, Selection, TranslationInfo};
use crate::state::AppState;

pub use response::MetadataResponse;

pub fn router() -> Router<AppState> {
    Router::new().route("/metadata", get(metadata))
}

/// Section names `fields` may list, in output order.
pub const SECTIONS: [&str; 7] = [
    "service",
    "build",
    "runtime",
    "providers",
    "features",
    "limits",
    "links",
];

/// `detail=`: how much to send when `fields` names no section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DetailLevel {
    /// `service`, `build`, `links`.
    Core,
    /// `service`, `runtime`.
    Runtime,
    /// Everything (the default).
    #[default]
    Full,
}

impl DetailLevel {
    /// The accepted spellings (exact, lowercase), in the error message's order.
    pub const NAMES: [&'static str; 3] = ["core", "runtime", "full"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "core" => Some(DetailLevel::Core),
            "runtime" => Some(DetailLevel::Runtime),
            "full" => Some(DetailLevel::Full),
            _ => None,
        }
    }

    /// The sections this level sends.
    pub fn selection(self) -> Selection {
        match self {
            DetailLevel::Core => Selection {
                build: true,
                links: true,
                ..Selection::default()
            },
            DetailLevel::Runtime => Selection {
                runtime: true,
                ..Selection::default()
            },
            DetailLevel::Full => Selection {
                build: true,
                runtime: true,
                providers: true,
                features: true,
                limits: true,
                links: true,
            },
        }
    }
}

/// `fields=limits, Service`: names trimmed and lower-cased, unknown ones
/// ignored; `None` when no known name remains (then `detail` decides).
fn selection_from_fields(fields: &str) -> Option<Selection> {
    let mut selection = Selection::default();
    let mut any = false;
    for name in fields.split(',').map(|n| n.trim().to_lowercase()) {
        let flag = match name.as_str() {
            "service" => None,
            "build" => Some(&mut selection.build),
            "runtime" => Some(&mut selection.runtime),
            "providers" => Some(&mut selection.providers),
            "features" => Some(&mut selection.features),
            "limits" => Some(&mut selection.limits),
            "links" => Some(&mut selection.links),
            _ => continue,
        };
        if let Some(flag) = flag {
            *flag = true;
        }
        any = true;
    }
    any.then_some(selection)
}

/// `fields` replaces `detail` when it names at least one section.
fn resolve(detail: DetailLevel, fields: Option<&str>) -> Selection {
    fields
        .and_then(selection_from_fields)
        .unwrap_or_else(|| detail.selection())
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
    let selection = resolve(detail, fields);
    let answer = state
        .metadata
        .metadata(&sources, selection, Instant::now())
        .await;
    Ok(Json(answer.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_levels_select_their_sections() {
        let core = DetailLevel::Core.selection();
        assert!(core.build && core.links);
        assert!(!core.runtime && !core.providers && !core.features && !core.limits);
        assert_eq!(
            DetailLevel::Runtime.selection(),
            Selection {
                runtime: true,
                ..Selection::default()
            }
        );
        assert_eq!(DetailLevel::default(), DetailLevel::Full);
        for name in DetailLevel::NAMES {
            assert!(DetailLevel::parse(name).is_some());
        }
        assert_eq!(DetailLevel::parse("CORE"), None);
    }

    #[test]
    fn fields_replace_detail_unless_none_is_known() {
        let picked = resolve(DetailLevel::Core, Some(" Limits ,bogus,runtime"));
        assert_eq!(
            picked,
            Selection {
                limits: true,
                runtime: true,
                ..Selection::default()
            }
        );
        // `service` alone is a valid choice: nothing but the service.
        assert_eq!(
            resolve(DetailLevel::Full, Some("service")),
            Selection::default()
        );
        for junk in ["", "bogus", " , ,"] {
            assert_eq!(
                resolve(DetailLevel::Runtime, Some(junk)),
                DetailLevel::Runtime.selection(),
                "{junk:?}"
            );
        }
    }
}
