//! The HTTP API: Confluent Schema Registry's REST resources over axum.
//!
//! Every response is `application/vnd.schemaregistry.v1+json`; every failure, including
//! unknown routes, wrong methods, malformed bodies and bad parameters, is Confluent's
//! `{"error_code", "message"}`.

mod error;
mod extract;
pub mod openapi;
mod ops;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use error::ApiError;

use crate::registry::Registry;

/// The content type of every response.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Shared state of the handlers.
pub type AppState = Arc<Registry>;

/// The API router over `registry`, refusing bodies over `max_body_bytes` (413) and
/// answering a request that runs longer than `timeout` with Confluent's 50002 (HTTP 500),
/// with the operational endpoints `/health/live`, `/health/ready` and `/metrics`, and the
/// API's OpenAPI description at `/openapi.json` (see [`openapi`]).
pub fn app(registry: Arc<Registry>, max_body_bytes: usize, timeout: Duration) -> Router {
    let (router, _) = openapi::router().split_for_parts();
    let router = router
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&registry),
            ops::record,
        ))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            ApiError::Http(
                warden_core::ErrorCode::MethodNotAllowed,
                "HTTP 405 Method Not Allowed".into(),
            )
        })
        .layer(DefaultBodyLimit::max(max_body_bytes));
    with_timeout(router, timeout).with_state(registry)
}

/// `router` with a request timeout: a request that runs longer than `timeout` ends with
/// Confluent's 50002 body (HTTP 500).
fn with_timeout<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    timeout: Duration,
) -> Router<S> {
    router.layer(
        tower::ServiceBuilder::new()
            .layer(HandleErrorLayer::new(move |_: axum::BoxError| async move {
                ApiError::Registry(crate::Error::OperationTimeout(format!(
                    "The request did not finish within {} ms",
                    timeout.as_millis()
                )))
            }))
            .layer(tower::timeout::TimeoutLayer::new(timeout)),
    )
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
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_request_that_outlives_the_timeout_answers_50002_in_confluents_body() {
        let slow = with_timeout(
            Router::new().route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "done"
                }),
            ),
            Duration::from_millis(50),
        );
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
    }
}
