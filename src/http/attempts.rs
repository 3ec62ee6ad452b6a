//! `/v1/attempts`: score an attempt, list and read attempts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use crate::db::attempts::{AttemptRow, Window};
use crate::domain::alignment::{Letters, Op, Pair};
use crate::domain::limits::MAX_TEXT_LENGTH;
use crate::domain::timestamp::to_db;
use crate::error::{
    during, ApiError, ErrorDetail, InternalError, PayloadTooLarge, ValidationFailed,
};
use crate::http::extract::{object_fields, path_id, JsonBody, Page, QueryFields, RawQuery};
use crate::http::wire::Timestamp;
use crate::services::attempts::{self, AlignedAttempt};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/attempts", post(create).get(list))
        .route("/v1/attempts/{attempt_id}", get(get_one))
}

/// `AttemptResponse` (contract §2.2).
///
/// Two views of one attempt: `percentage`, `wer` and `words_*` are the
/// contract's exact-text score, bit-compatible with the original service;
/// `percentage_spoken` is the score to show a learner (it credits numbers,
/// dates and abbreviations typed as they were heard, and agrees with
/// `alignment`). Show `percentage` beside it only when the two differ.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptResponse {
    id: i64,
    item_id: i64,
    text: String,
    #[schema(minimum = 0, maximum = 100)]
    percentage: i64,
    #[schema(minimum = 0.0, maximum = 1.0)]
    wer: f64,
    words_ref: i64,
    words_correct: i64,
    created_at: Timestamp,
    /// The learner-facing score, the one a client should show: units
    /// right (written or spoken form) minus extra units, over the item's
    /// units (`null` on attempts stored before it existed).
    #[schema(required = true, minimum = 0, maximum = 100)]
    percentage_spoken: Option<i64>,
    /// Word-by-word feedback consistent with `percentage_spoken`
    /// (additive; only on create and single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    alignment: Option<Vec<AlignmentPair>>,
}

/// What happened to one word in an attempt's alignment.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlignmentOp {
    Equal,
    Substitute,
    Insert,
    Delete,
}

impl From<Op> for AlignmentOp {
    fn from(op: Op) -> Self {
        match op {
            Op::Equal => AlignmentOp::Equal,
            Op::Substitute => AlignmentOp::Substitute,
            Op::Insert => AlignmentOp::Insert,
            Op::Delete => AlignmentOp::Delete,
        }
    }
}

/// One aligned pair of units (`domain::alignment::Pair`), words as written.
/// A unit is a word, a piece of a hyphenated word, or a whole number,
/// date, time, amount or abbreviation ("8.30", "12,50 €"), which matches
/// its written or its spoken form: "8.30" against "kahdeksan
/// kolmekymmentä" is one `equal` pair with `spoken: true`. The alignment is
/// the one behind `percentage_spoken` and the most-missed words.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlignmentPair {
    op: AlignmentOp,
    /// The item's word(s); `null` for an inserted word.
    #[schema(required = true)]
    reference: Option<String>,
    /// The learner's word(s); `null` for a left-out word.
    #[schema(required = true)]
    attempt: Option<String>,
    /// Present and `true` when the words matched through a spoken form.
    #[serde(skip_serializing_if = "Option::is_none")]
    spoken: Option<bool>,
    /// Substitutions only: both words' letters aligned in runs
    /// (punctuation left out, case and accents not counted; absent for
    /// words over 48 letters).
    #[serde(skip_serializing_if = "Option::is_none")]
    letters: Option<Vec<AlignmentLetters>>,
}

impl From<Pair> for AlignmentPair {
    fn from(pair: Pair) -> Self {
        AlignmentPair {
            op: pair.op.into(),
            reference: pair.reference,
            attempt: pair.attempt,
            spoken: pair.spoken.then_some(true),
            letters: pair
                .letters
                .map(|letters| letters.into_iter().map(Into::into).collect()),
        }
    }
}

/// A run of letters: `delete` = missing from the attempt, `insert` =
/// extra, `substitute` = wrong, `equal` = right.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlignmentLetters {
    op: AlignmentOp,
    #[schema(required = true)]
    reference: Option<String>,
    #[schema(required = true)]
    attempt: Option<String>,
}

impl From<Letters> for AlignmentLetters {
    fn from(letters: Letters) -> Self {
        AlignmentLetters {
            op: letters.op.into(),
            reference: letters.reference,
            attempt: letters.attempt,
        }
    }
}

impl From<AlignedAttempt> for AttemptResponse {
    fn from(attempt: AlignedAttempt) -> Self {
        let mut response = AttemptResponse::from(attempt.row);
        response.alignment = Some(attempt.alignment.into_iter().map(Into::into).collect());
        response
    }
}

impl From<AttemptRow> for AttemptResponse {
    fn from(row: AttemptRow) -> Self {
        AttemptResponse {
            id: row.id,
            item_id: row.item_id,
            text: row.text,
            percentage: row.percentage,
            wer: row.wer,
            words_ref: row.words_ref,
            words_correct: row.words_correct,
            created_at: Timestamp::from_db(&row.created_at),
            percentage_spoken: row.percentage_spoken,
            alignment: None,
        }
    }
}

/// `POST /v1/attempts`: scored against the item's current text.
#[derive(Debug, utoipa::ToSchema)]
pub struct AttemptCreate {
    /// An existing item's id (404 otherwise).
    #[schema(example = 1)]
    item_id: i64,
    /// What the learner typed; may be empty.
    #[schema(min_length = 0, max_length = 10000, example = "minä asun helsingissä")]
    text: String,
}

#[utoipa::path(
    post,
    path = "/v1/attempts",
    operation_id = "create_attempt",
    summary = "Score an attempt",
    tag = "attempts",
    request_body = AttemptCreate,
    responses(
        (status = 201, description = "Scored (contract §5) and stored, with the word alignment", body = AttemptResponse),
        (status = 404, description = "`Item not found`", body = ErrorDetail),
        (status = 413, response = PayloadTooLarge), (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<AttemptResponse>), ApiError> {
    let mut errors = Vec::new();
    let parsed = object_fields(&body, vec![json!("body")], &mut errors).and_then(|mut f| {
        let item_id = f.int("item_id", true, i64::MIN, i64::MAX);
        let text = f.string("text", true, 0, MAX_TEXT_LENGTH);
        Some(AttemptCreate {
            item_id: item_id?,
            text: text?,
        })
    });
    let request = match parsed {
        Some(request) if errors.is_empty() => request,
        _ => return Err(ApiError::validation(errors)),
    };
    let row = attempts::create(&state.db, &state.attempts, request.item_id, &request.text)
        .await
        .map_err(during("create attempt"))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// `GET /v1/attempts`: one page, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptPage {
    attempts: Vec<AttemptResponse>,
    total: i64,
    page: i64,
    per_page: i64,
    total_pages: i64,
}

#[utoipa::path(
    get,
    path = "/v1/attempts",
    operation_id = "list_attempts",
    summary = "List attempts",
    tag = "attempts",
    params(crate::http::openapi::params::AttemptListQuery),
    responses(
        (status = 200, description = "One page of attempts, newest first (without `alignment`)", body = AttemptPage),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn list(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<AttemptPage>, ApiError> {
    let mut q = QueryFields::new(&query);
    let item_id = q.int("item_id", i64::MIN, i64::MAX).filter(|id| *id != 0);
    let since = q.datetime("since");
    let until = q.datetime("until");
    let page = Page::read(&mut q);
    q.finish()?;
    // since > until is not an error here (contract §9.12): it matches nothing.
    let window = Window {
        since: since.map(to_db),
        until: until.map(to_db),
    };
    let (rows, total) = attempts::list(&state.db, item_id, &window, page.per_page, page.offset())
        .await
        .map_err(during("list attempts"))?;
    let attempts: Vec<AttemptResponse> = rows.into_iter().map(Into::into).collect();
    Ok(Json(AttemptPage {
        attempts,
        total,
        page: page.page,
        per_page: page.per_page,
        total_pages: page.total_pages(total),
    }))
}

#[utoipa::path(
    get,
    path = "/v1/attempts/{attempt_id}",
    operation_id = "get_attempt",
    summary = "Get an attempt",
    tag = "attempts",
    params(("attempt_id" = i64, Path, description = "Attempt id")),
    responses(
        (status = 200, description = "The attempt with its word alignment", body = AttemptResponse),
        (status = 404, description = "`Attempt not found`", body = ErrorDetail),
        (status = 422, response = ValidationFailed), (status = 500, response = InternalError),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<AttemptResponse>, ApiError> {
    let id = path_id(&raw, "attempt_id", "Attempt not found")?;
    let row = attempts::get(&state.db, id)
        .await
        .map_err(during("retrieve attempt"))?;
    Ok(Json(row.into()))
}

#[cfg(test)]
mod tests {
    use super::AlignmentPair;
    use crate::domain::alignment::align;

    fn wire(reference: &str, attempt: &str) -> Vec<AlignmentPair> {
        align(reference, attempt)
            .pairs
            .into_iter()
            .map(Into::into)
            .collect()
    }

    #[test]
    fn the_alignment_serialises_markers_only_where_they_apply() {
        let pairs = wire("kello 8 ja talossa", "kello kahdeksan ja talosta");
        let json = serde_json::to_value(&pairs).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                { "op": "equal", "reference": "kello", "attempt": "kello" },
                { "op": "equal", "reference": "8", "attempt": "kahdeksan", "spoken": true },
                { "op": "equal", "reference": "ja", "attempt": "ja" },
                { "op": "substitute", "reference": "talossa", "attempt": "talosta", "letters": [
                    { "op": "equal", "reference": "talos", "attempt": "talos" },
                    { "op": "substitute", "reference": "s", "attempt": "t" },
                    { "op": "equal", "reference": "a", "attempt": "a" }
                ] }
            ])
        );
    }

    #[test]
    fn a_text_without_spaces_is_one_unit_and_appears_once() {
        let reference = "北".repeat(10_000);
        let attempt = "京".repeat(10_000);
        let pairs = wire(&reference, &attempt);
        assert_eq!(pairs.len(), 1);
        let bytes = serde_json::to_vec(&pairs).unwrap().len();
        assert!(
            bytes < 2 * (reference.len() + attempt.len()),
            "{bytes} bytes"
        );
    }

    #[test]
    fn the_response_is_linear_in_the_input() {
        // Many short words on both sides: each written word appears once.
        let reference = "sana ".repeat(900);
        let attempt = "sama ".repeat(900);
        let pairs = wire(&reference, &attempt);
        let bytes = serde_json::to_vec(&pairs).unwrap().len();
        assert_eq!(pairs.len(), 900);
        assert!(bytes < 300 * 900, "{bytes} bytes");
    }
}
