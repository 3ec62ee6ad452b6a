//! API keys in the document: when `API_KEYS` is set, the operations that
//! `http::auth` protects carry a security requirement (so Swagger UI offers
//! an "Authorize" button); the open ones (`/health`, the practice page,
//! `/metrics` with `METRICS_PUBLIC`) say they need none.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::Ref;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ComponentsBuilder, Content, OpenApi as Document, RefOr, ResponseBuilder};

use crate::config::Settings;

const HEADER_SCHEME: &str = "ApiKey";
const BEARER_SCHEME: &str = "Bearer";

pub fn add(doc: &mut Document, settings: &Settings) {
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
    let mut open = vec!["/health", "/", "/assets/app.js", "/assets/app.css"];
    if security.metrics_public {
        open.push("/metrics");
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let is_open = open.contains(&path.as_str());
        for operation in operations(item) {
            if is_open {
                // One empty requirement: no credentials needed.
                operation.security = Some(vec![SecurityRequirement::default()]);
                continue;
            }
            let refusals = [
                (
                    "401",
                    "`API key required` (none sent; with `WWW-Authenticate`)",
                ),
                ("403", "`Invalid API key`"),
            ];
            for (status, text) in refusals {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::T(refusal(text)));
            }
        }
    }
}

fn refusal(text: &str) -> utoipa::openapi::Response {
    let body = Content::new(Some(Ref::from_schema_name("ErrorDetail")));
    ResponseBuilder::new()
        .description(format!("{text} (shape A)"))
        .content("application/json", body)
        .build()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}
