//! The HTTP API: Confluent Schema Registry's REST resources over axum.
//!
//! Every response is `application/vnd.schemaregistry.v1+json`; every failure, including
//! unknown routes, wrong methods, malformed bodies and bad parameters, is Confluent's
//! `{"error_code", "message"}`.

/// A module's operations, listed once, grouped by path as `utoipa_axum::routes!` takes
/// them (`operations!(a; b, c)`): `router()` gives them with their OpenAPI descriptions
/// (what [`openapi::document`] is made of), `routes()` gives the same routes without
/// building a description (what `serve` runs: describing ~100 operations at start touched
/// megabytes of code and heap that the server then never used).
macro_rules! operations {
    ($($($handler:ident),+);+ $(;)?) => {
        /// This module's operations with their OpenAPI descriptions.
        pub(super) fn router() -> utoipa_axum::router::OpenApiRouter<super::AppState> {
            utoipa_axum::router::OpenApiRouter::new()
                $(.routes(utoipa_axum::routes!($($handler),+)))+
        }

        /// This module's routes, as [`router`] routes them, without their descriptions.
        pub(super) fn routes() -> axum::Router<super::AppState> {
            let router = axum::Router::new();
            $($(let router = operations!(@route router, $handler);)+)+
            router
        }
    };
    (@route $router:ident, $handler:ident) => {{
        use utoipa::Path as _;
        use utoipa_axum::PathItemExt as _;
        let (path, methods) = utoipa_axum::paste! {
            ([<__path_ $handler>]::path(), [<__path_ $handler>]::methods())
        };
        let path = if path.is_empty() { "/".to_owned() } else { path };
        let method_router = methods
            .iter()
            .fold(axum::routing::MethodRouter::new(), |router, method| {
                router.on(method.to_method_filter(), $handler)
            });
        $router.route(&path, method_router)
    }};
}

mod associations;
mod auth;
mod contexts;
mod contracts;
mod dek_registry;
mod diff;
mod edge;
mod error;
mod extract;
pub mod openapi;
mod ops;
mod routes;
mod ui;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use edge::{Api, ApiFuture};
pub use error::ApiError;

use crate::registry::Registry;

/// The content type of every response.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Shared state of the handlers.
pub type AppState = Arc<Registry>;

/// The API over `registry`, refusing bodies over `max_body_bytes` (413) and answering a
/// request that runs longer than `timeout` with Confluent's 50002 (HTTP 500), with the
/// operational endpoints `/health/live`, `/health/ready` and `/metrics`, and the API's
/// OpenAPI description at `/openapi.json` (see [`openapi`]).
///
/// Every route also answers with one trailing slash, context paths and subject aliases
/// are rewritten before routing (see [`Api`]), and every request runs in a DEBUG `request`
/// span that names its matched route.
pub fn app(registry: Arc<Registry>, max_body_bytes: usize, timeout: Duration) -> Api {
    app_with_security(registry, max_body_bytes, timeout, None)
}

/// [`app`] with `security` in force: every request but the health probes (and `/metrics`
/// unless protected) authenticates and is authorized by the rules, listings show only the
/// readable subjects, and changes and refusals are audited (see `crate::security`).
pub fn app_with_security(
    registry: Arc<Registry>,
    max_body_bytes: usize,
    timeout: Duration,
    security: Option<Arc<crate::security::Security>>,
) -> Api {
    let secured = security.is_some();
    let auth = security.map(|security| {
        axum::middleware::from_fn_with_state(
            Arc::new(auth::AuthState::new(
                Arc::clone(&registry),
                security,
                max_body_bytes,
            )),
            auth::enforce,
        )
    });
    // One layer per route, so one boxed service per route: the span, timeout and metrics,
    // then the body limit, then (with security) authentication and authorization.
    let router = openapi::routes()
        .merge(ui::router())
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            ApiError::Http(
                warden_core::ErrorCode::MethodNotAllowed,
                "HTTP 405 Method Not Allowed".into(),
            )
        })
        .layer(
            tower::ServiceBuilder::new()
                .layer(edge::EdgeLayer::new(Arc::clone(&registry), timeout))
                .layer(DefaultBodyLimit::max(max_body_bytes))
                .option_layer(auth),
        )
        .with_state(Arc::clone(&registry));
    Api::new(router, registry, secured)
}

/// Rewrites the URL before routing, in the order Confluent's filters run, so that the
/// matched route, its path parameters, the request span and the metrics are those of the
/// rewritten URL:
/// 1. one trailing slash is removed, as Confluent's Jersey resources match (`/subjects/`
///    is `/subjects`; Confluent's Java client tests against all versions at
///    `/compatibility/subjects/{s}/versions/`); two trailing slashes still match no route;
/// 2. `/contexts/{context}/…` becomes the URL of the context's qualified subjects
///    ([`contexts::context_uri`], Confluent's `ContextFilter`);
/// 3. subject aliases are replaced ([`contracts::aliased_uri`], Confluent's
///    `AliasFilter`), by [`Api`], which reads them from the store only when the subject's
///    config is not in memory.
///
/// This function takes the first two steps. A URL neither applies to passes without an
/// allocation.
///
/// Errors: the message of the 400 answer to a malformed context path.
fn rewrite_uri_in_memory(req: &mut Request) -> Result<(), String> {
    trim_one_trailing_slash(req);
    if let Some(uri) = contexts::context_uri(req.uri())? {
        *req.uri_mut() = uri;
    }
    Ok(())
}

/// Removes one trailing slash from the request's path (`/` stays as it is).
fn trim_one_trailing_slash(req: &mut Request) {
    let uri = req.uri();
    let Some(trimmed) = uri.path().strip_suffix('/').filter(|p| !p.is_empty()) else {
        return;
    };
    let path_and_query = match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let Ok(path_and_query) = PathAndQuery::try_from(path_and_query) else {
        return;
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query);
    if let Ok(uri) = axum::http::Uri::from_parts(parts) {
        *req.uri_mut() = uri;
    }
}

/// A JSON response with the registry's content type.
pub(crate) fn sr_json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => sr_bytes(status, bytes.into()),
        Err(e) => {
            tracing::error!(error = %e, "response body failed to serialize");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Pre-rendered JSON bytes with the registry's content type.
pub(crate) fn sr_bytes(status: StatusCode, body: bytes::Bytes) -> Response {
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_request_that_outlives_the_timeout_answers_50002_in_confluents_body() {
        let (_dir, registry) = Registry::on_temporary_sqlite().await;
        let registry = Arc::new(registry);
        let slow = Router::new()
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "done"
                }),
            )
            .layer(edge::EdgeLayer::new(
                Arc::clone(&registry),
                Duration::from_millis(50),
            ));
        let response = slow
            .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error_code"], 50002, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("within 50 ms"),
            "{body}"
        );
        // Counted under its route, as every matched request is.
        let counted = registry
            .metrics()
            .requests
            .with_label_values(&["/slow", "GET", "500"]);
        assert_eq!(counted.get(), 1);
    }
}
