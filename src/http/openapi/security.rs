//! API keys and rate limits in the document: when `API_KEYS` is set, the
//! operations that `http::auth` protects carry a security requirement (so
//! Swagger UI offers an "Authorize" button); the open ones (`/health`, the
//! practice page, `/metrics` with `METRICS_PUBLIC`) say they need none. When a
//! rate-limit class has a budget, its operations list the 429. OpenAI's routes (`/v1/audio/*`)
//! refuse in OpenAI's error shape, and with 401 only (never 403).

use axum::http::Method;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::Ref;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, Content, HeaderBuilder, OpenApi as Document, RefOr, ResponseBuilder,
};

use crate::config::Settings;
use crate::http::auth::ApiKeys;
use crate::http::rate_limit::{classify, Class, NEVER_LIMITED};
use crate::http::speech::speaks_openai;

const HEADER_SCHEME: &str = "ApiKey";
const BEARER_SCHEME: &str = "Bearer";

pub fn add(doc: &mut Document, settings: &Settings) {
    add_rate_limits(doc, settings);
    let security = &settings.security;
    if security.api_keys.is_empty() {
        return;
    }
    let components = doc
        .components
        .get_or_insert_with(|| ComponentsBuilder::new().build());
    components.add_security_scheme(
        HEADER_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(
            security.api_key_header.as_str(),
        ))),
    );
    components.add_security_scheme(
        BEARER_SCHEME,
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    // Either scheme will do (two requirement objects = alternatives).
    doc.security = Some(vec![
        SecurityRequirement::new(HEADER_SCHEME, Vec::<String>::new()),
        SecurityRequirement::new(BEARER_SCHEME, Vec::<String>::new()),
    ]);
    let keys = ApiKeys::new(settings);
    for (path, item) in doc.paths.paths.iter_mut() {
        let is_open = keys.is_open(path);
        for (_, operation) in operations(item) {
            if is_open {
                // One empty requirement: no credentials needed.
                operation.security = Some(vec![SecurityRequirement::default()]);
                continue;
            }
            let refusals: &[(&str, &str)] = if speaks_openai(path) {
                &[(
                    "401",
                    "Missing or wrong API key: code `invalid_api_key` (with `WWW-Authenticate`)",
                )]
            } else {
                &[
                    (
                        "401",
                        "`API key required` (none sent; with `WWW-Authenticate`)",
                    ),
                    ("403", "`Invalid API key`"),
                ]
            };
            for (status, text) in refusals {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::T(refusal(path, text)));
            }
        }
    }
}

/// 429 on the operations whose class (read, write, synthesis) has a budget.
fn add_rate_limits(doc: &mut Document, settings: &Settings) {
    let limits = &settings.security.rate_limits;
    let budgeted = |class| match class {
        Class::Read => limits.reads_per_minute > 0,
        Class::Write => limits.writes_per_minute > 0,
        Class::Synthesis => limits.synthesis_per_minute > 0,
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        if path == NEVER_LIMITED {
            continue;
        }
        for (method, operation) in operations(item) {
            if budgeted(classify(&method, path)) {
                operation
                    .responses
                    .responses
                    .entry("429".to_string())
                    .or_insert_with(|| RefOr::T(too_many_requests(path)));
            }
        }
    }
}

fn too_many_requests(path: &str) -> utoipa::openapi::Response {
    let text = if speaks_openai(path) {
        "Rate limit reached: code `rate_limit_exceeded`; this client's budget for the request's class is spent"
    } else {
        "`Rate limit exceeded`: this client's budget for the request's class is spent"
    };
    let mut response = refusal(path, text);
    let seconds = |text: &str| {
        HeaderBuilder::new()
            .schema(Some(utoipa::openapi::schema::Object::with_type(
                utoipa::openapi::schema::Type::Integer,
            )))
            .description(Some(text))
            .build()
            .into()
    };
    let headers = &mut response.headers;
    headers.insert(
        "retry-after".into(),
        seconds("Seconds until a request of this class is accepted again"),
    );
    headers.insert(
        "x-ratelimit-reset".into(),
        seconds("Seconds until the budget is full again"),
    );
    response
}

/// A refusal by the guard: shape A, or OpenAI's error shape on OpenAI's routes.
fn refusal(path: &str, text: &str) -> utoipa::openapi::Response {
    let (schema, shape) = if speaks_openai(path) {
        ("OpenAiErrorBody", "OpenAI's error shape")
    } else {
        ("ErrorDetail", "shape A")
    };
    let body = Content::new(Some(Ref::from_schema_name(schema)));
    ResponseBuilder::new()
        .description(format!("{text} ({shape})"))
        .content("application/json", body)
        .build()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (Method, &mut Operation)> {
    [
        (Method::GET, &mut item.get),
        (Method::PUT, &mut item.put),
        (Method::POST, &mut item.post),
        (Method::DELETE, &mut item.delete),
        (Method::OPTIONS, &mut item.options),
        (Method::HEAD, &mut item.head),
        (Method::PATCH, &mut item.patch),
        (Method::TRACE, &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}
