//! Operational endpoints for orchestrators and monitoring: liveness, readiness, metrics.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppState, sr_json};

// `/health/live`, `/health/ready` and `/metrics`.
operations!(
    live;
    ready;
    metrics
);

/// The body of the health endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Health {
    /// `UP` or `DOWN`.
    status: &'static str,
    /// Why the registry is not ready, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

impl Health {
    const UP: Self = Self {
        status: "UP",
        reason: None,
    };
}

/// Alive as long as the process answers.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "operations",
    responses((status = 200, description = "The process answers.", body = Health))
)]
async fn live() -> Response {
    sr_json(StatusCode::OK, &Health::UP)
}

/// Ready only when the database answers; 503 otherwise.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "operations",
    responses(
        (status = 200, description = "The database answers.", body = Health),
        (status = 503, description = "The database does not answer.", body = Health),
    )
)]
async fn ready(State(r): State<AppState>) -> Response {
    match r.store().ping().await {
        Ok(()) => sr_json(StatusCode::OK, &Health::UP),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            sr_json(
                StatusCode::SERVICE_UNAVAILABLE,
                &Health {
                    status: "DOWN",
                    reason: Some("the database does not answer"),
                },
            )
        }
    }
}

/// Prometheus text exposition.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((
        status = 200,
        description = "Prometheus metrics in the text exposition format.",
        body = String,
        content_type = "text/plain; version=0.0.4"
    ))
)]
async fn metrics(State(r): State<AppState>) -> Response {
    let body = r
        .metrics()
        .render(r.store().pool_stats(), r.cache_weights());
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}
