//! Serving the document (`OPENAPI_URL`) and Swagger UI (`DOCS_URL`) in
//! development; in production neither route exists, so both answer 404.
//!
//! Swagger UI's files are embedded at build time (`utoipa-swagger-ui`'s
//! `vendored` feature), so the page works without a network. We serve them
//! ourselves rather than through the crate's axum router because that
//! router redirects `/docs` to `/docs/`, and our trailing-slash
//! normalisation would turn the redirect into a loop; a `<base>` element in
//! the HTML makes its relative asset links work from both spellings.
//! `REDOC_URL` redirects to Swagger UI: Redoc itself would need a CDN.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use utoipa_swagger_ui::Config;

use crate::config::Settings;
use crate::error::ApiError;
use crate::state::AppState;

/// The documentation routes for these settings (none in production).
pub fn router(settings: &Settings) -> Router<AppState> {
    let mut router = Router::new();
    if !settings.is_development() || settings.openapi_url.is_empty() {
        return router;
    }
    let doc = super::document(settings);
    let json = match serde_json::to_vec(&doc) {
        Ok(json) => Bytes::from(json),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise the OpenAPI document; docs are off");
            return router;
        }
    };
    let mut taken: HashSet<String> = doc.paths.paths.keys().cloned().collect();
    if !claim(&mut taken, "OPENAPI_URL", &settings.openapi_url) {
        return router;
    }
    router = router.route(
        &settings.openapi_url,
        get(move || async move {
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                json,
            )
        }),
    );
    let docs = settings.docs_url.clone();
    if docs.is_empty() || !claim(&mut taken, "DOCS_URL", &docs) {
        return router;
    }
    let ui = Arc::new(SwaggerUi::new(&docs, &settings.openapi_url));
    let index_ui = ui.clone();
    router = router
        .route(&docs, get(move || async move { index_ui.file("") }))
        .route(
            &format!("{docs}/{{*file}}"),
            get(move |Path(file): Path<String>| async move { ui.file(&file) }),
        );
    let redoc = settings.redoc_url.clone();
    if !redoc.is_empty() && claim(&mut taken, "REDOC_URL", &redoc) {
        router = router.route(
            &redoc,
            get(move || async move { Redirect::temporary(&docs) }),
        );
    }
    router
}

/// Reserve a documentation path; one that an API route (or another
/// documentation setting) already uses is logged and left unserved, so a
/// misconfiguration cannot shadow the API or stop the start.
fn claim(taken: &mut HashSet<String>, setting: &str, path: &str) -> bool {
    if taken.insert(path.to_string()) {
        return true;
    }
    tracing::error!(setting, path, "path already in use; not serving it");
    false
}

/// Swagger UI's embedded files, configured for our document.
struct SwaggerUi {
    config: Arc<Config<'static>>,
    /// `<base href>` for the HTML: the UI's directory, with a slash.
    base: String,
}

impl SwaggerUi {
    fn new(docs_url: &str, openapi_url: &str) -> Self {
        let config = Config::new([openapi_url.to_string()])
            // The default validator badge loads an image from a public server.
            .validator_url("none")
            .try_it_out_enabled(true)
            .display_request_duration(true);
        SwaggerUi {
            config: Arc::new(config),
            base: format!("{docs_url}/"),
        }
    }

    /// One file; `""` is the HTML page.
    fn file(&self, name: &str) -> Response {
        let file = match utoipa_swagger_ui::serve(name, self.config.clone()) {
            Ok(Some(file)) => file,
            Ok(None) => return ApiError::NotFound("Not Found".into()).into_response(),
            Err(e) => {
                return ApiError::Internal {
                    action: "serve the API docs",
                    cause: e.to_string(),
                }
                .into_response()
            }
        };
        let body: Vec<u8> = if file.content_type.starts_with("text/html") {
            let html = String::from_utf8_lossy(&file.bytes);
            let base = format!("<head>\n    <base href=\"{}\" />", self.base);
            html.replacen("<head>", &base, 1).into_bytes()
        } else {
            file.bytes.into_owned()
        };
        (
            [
                (header::CONTENT_TYPE, file.content_type),
                (header::CACHE_CONTROL, "no-cache".to_string()),
            ],
            body,
        )
            .into_response()
    }
}
