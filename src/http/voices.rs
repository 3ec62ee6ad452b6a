//! `GET /v1/voices`: the voices the configured engine(s) can speak with.
//!
//! Why: with Piper a server may hold many voices (languages, qualities, licences); clients pick
//! one per request by name, so they need to see the names and what the voice cards say.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::state::AppState;
use crate::tts::provider::VoiceInfo;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/voices", get(list))
}

/// `{"voices": [{name, language, sample_rate, quality, licence, provider}, ...]}`; empty when no
/// engine is loaded or the engine does not enumerate voices.
#[utoipa::path(
    get,
    path = "/v1/voices",
    operation_id = "list_voices",
    summary = "List voices",
    tag = "speech",
    responses((status = 200, description = "The voices", body = VoiceList))
)]
async fn list(State(state): State<AppState>) -> Json<VoiceList> {
    Json(VoiceList {
        voices: state.tts.voices().into_iter().map(Voice::from).collect(),
    })
}

/// `GET /v1/voices`: empty when no engine is loaded or it lists none.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VoiceList {
    voices: Vec<Voice>,
}

/// One voice an engine can speak with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Voice {
    /// Pass it as `voice` in requests.
    name: String,
    language: String,
    sample_rate: u32,
    #[schema(required = true)]
    quality: Option<String>,
    #[schema(required = true)]
    licence: Option<String>,
    provider: String,
}

impl From<VoiceInfo> for Voice {
    fn from(v: VoiceInfo) -> Self {
        Voice {
            name: v.name,
            language: v.language,
            sample_rate: v.sample_rate,
            quality: v.quality,
            licence: v.licence,
            provider: v.provider,
        }
    }
}
