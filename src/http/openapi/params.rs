//! Query parameters of the OpenAPI document. The handlers read the raw query
//! with [`crate::http::extract::QueryFields`] (every problem → one 422
//! entry at `["query", name]`); these types describe what they accept.

#![allow(dead_code)]

use utoipa::IntoParams;

use crate::http::wire::ItemTtsStatus;

// Query datetimes (`since`, `until`): RFC 3339 is accepted (its offset is
// dropped: wall-clock components are compared), and so are a date alone
// (midnight), a naive `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]` and Unix seconds or
// milliseconds. Documented as `date-time`, the form clients most often send.

/// `GET /v1/items`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemListQuery {
    /// Exact locale; empty = no filter.
    locale: Option<String>,
    /// Repeatable: items carrying every given tag.
    #[param(style = Form, explode)]
    tag: Option<Vec<String>>,
    /// `N` or `A..B` (inclusive); anything else is ignored.
    #[param(example = "1..3")]
    difficulty: Option<String>,
    /// true = items with attempts, false = without.
    practiced: Option<bool>,
    #[param(inline)]
    tts_status: Option<ItemTtsStatus>,
    /// Default `created_at.desc`; another value → 400 (shape A).
    #[param(inline)]
    sort: Option<ItemSort>,
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// Sort orders of `GET /v1/items`.
#[derive(utoipa::ToSchema)]
pub enum ItemSort {
    #[schema(rename = "created_at.asc")]
    CreatedAsc,
    #[schema(rename = "created_at.desc")]
    CreatedDesc,
    #[schema(rename = "difficulty.asc")]
    DifficultyAsc,
    #[schema(rename = "difficulty.desc")]
    DifficultyDesc,
}

/// `POST /v1/items/tts/retry`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RetryFilter {
    /// Only failed items of this locale.
    locale: Option<String>,
    /// Repeatable: only failed items carrying every given tag.
    #[param(style = Form, explode)]
    tag: Option<Vec<String>>,
}

/// `GET /v1/attempts`. `since > until` is not an error here (empty page).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttemptListQuery {
    /// Only this item's attempts (0 = all).
    item_id: Option<i64>,
    /// `created_at >= since` (RFC 3339, a date, a naive datetime or Unix time).
    #[param(format = DateTime)]
    since: Option<String>,
    /// `created_at <= until` (same forms as `since`).
    #[param(format = DateTime)]
    until: Option<String>,
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// `GET /v1/stats/summary`: both bounds inclusive; `since >= until` → 400.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsWindow {
    /// Inclusive lower bound (RFC 3339, a date, a naive datetime or Unix time).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Inclusive upper bound (same forms as `since`).
    #[param(format = DateTime)]
    until: Option<String>,
}

/// `GET /v1/stats/practice-log`: window as in the summary, plus pages.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PracticeLogQuery {
    /// Inclusive lower bound (RFC 3339, a date, a naive datetime or Unix time).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Inclusive upper bound (same forms as `since`).
    #[param(format = DateTime)]
    until: Option<String>,
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// `GET /v1/stats/progress`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// Only this item (0 or absent = all; unknown = empty list).
    item_id: Option<i64>,
    /// Days back from today, today included.
    #[param(minimum = 1, maximum = 365, default = 30)]
    days: Option<i64>,
    /// `true` adds `avg_percentage_spoken`, the daily mean of the
    /// learner-facing score, to each day (additive; off by default so the
    /// contract's shape is unchanged).
    #[param(default = false)]
    spoken: Option<bool>,
}

/// `GET /v1/stats/words`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WordsQuery {
    /// Only this item (0 or absent = all).
    item_id: Option<i64>,
    #[param(minimum = 1, maximum = 200, default = 20)]
    limit: Option<i64>,
}

/// `GET /v1/tags`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagListQuery {
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    offset: Option<i64>,
}

/// `GET /api/v1/tts`. Out-of-range `status`/`limit` → 422 in shape **A**
/// (the original's messages); a non-integer `limit` → shape B.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LegacyListQuery {
    #[param(inline)]
    status: Option<crate::http::wire::TaskStatus>,
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<i64>,
}

/// `GET /v1/tts/sessions/{session_id}/stream`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Resume: skip the chunks before this sequence number.
    #[param(minimum = 0, default = 0)]
    from_seq: Option<i64>,
}

/// Conditional and partial requests of the speech endpoints (headers).
#[derive(IntoParams)]
#[into_params(parameter_in = Header, rename_all = "kebab-case")]
pub struct CachedAudioHeaders {
    /// An ETag from an earlier answer → 304.
    if_none_match: Option<String>,
    /// `bytes=a-b`, `bytes=a-` or `bytes=-n` (cached audio only).
    range: Option<String>,
}
