//! `GET /v1/voices`: the voices the configured engine(s) can speak with.
//!
//! Why: with Piper a server may hold many voices (languages, qualities, licences); clients pick
//! one per request by name, so they need to see the names and what the voice cards say.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::state::AppState;

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
    responses((status = 200, description = "The voices", body = crate::http::openapi::schemas::VoiceList))
)]
async fn list(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "voices": state.tts.voices() }))
}
