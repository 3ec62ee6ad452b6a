//! Operations whose handlers cannot carry a `#[utoipa::path]` attribute:
//! the practice page's routes are closures (`http::page`), and `/metrics`
//! is documented here so its module stays free of documentation concerns.
//! These functions only hold the attributes; they are never called.

#![allow(dead_code)]

use crate::error::ErrorDetail;

/// The practice page (HTML, embedded in the binary).
#[utoipa::path(
    get,
    path = "/",
    operation_id = "practice_page",
    summary = "Practice page",
    tag = "page",
    responses((status = 200, description = "The practice page", content_type = "text/html", body = String))
)]
fn page() {}

/// The practice page's script.
#[utoipa::path(
    get,
    path = "/assets/app.js",
    operation_id = "practice_page_script",
    summary = "Practice page script",
    tag = "page",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript", body = String))
)]
fn page_script() {}

/// The practice page's style sheet.
#[utoipa::path(
    get,
    path = "/assets/app.css",
    operation_id = "practice_page_style",
    summary = "Practice page style sheet",
    tag = "page",
    responses((status = 200, description = "CSS", content_type = "text/css", body = String))
)]
fn page_style() {}

/// The practice page's icon (SVG, also at `/favicon.ico` for browsers that
/// ask there).
#[utoipa::path(
    get,
    path = "/favicon.svg",
    operation_id = "practice_page_icon",
    summary = "Practice page icon",
    tag = "page",
    responses((status = 200, description = "SVG", content_type = "image/svg+xml", body = String))
)]
fn page_icon() {}

/// The practice page's icon where browsers look for it by default.
#[utoipa::path(
    get,
    path = "/favicon.ico",
    operation_id = "practice_page_icon_default",
    summary = "Practice page icon (default location)",
    tag = "page",
    responses((status = 200, description = "The same SVG", content_type = "image/svg+xml", body = String))
)]
fn page_icon_default() {}

/// Prometheus metrics in the text exposition format (`METRICS_ENABLED`,
/// default on; 404 when off).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    summary = "Prometheus metrics",
    tag = "metrics",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain; version=0.0.4", body = String),
        (status = 404, description = "`METRICS_ENABLED=false`", body = ErrorDetail),
    )
)]
fn metrics() {}
