//! Operational endpoints for orchestrators and monitoring: liveness, readiness, metrics.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::{AppState, sr_json};

/// `/health/live`, `/health/ready` and `/metrics`.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
}

/// Alive as long as the process answers.
async fn live() -> Response {
    sr_json(StatusCode::OK, &json!({"status": "UP"}))
}

/// Ready only when the database answers; 503 otherwise.
async fn ready(State(r): State<AppState>) -> Response {
    match r.store().ping().await {
        Ok(()) => sr_json(StatusCode::OK, &json!({"status": "UP"})),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            sr_json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"status": "DOWN", "reason": "the database does not answer"}),
            )
        }
    }
}

/// Prometheus text exposition.
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

/// Middleware counting requests by matched route, method and status, with latency.
pub(super) async fn record(State(r): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let start = std::time::Instant::now();
    let response = next.run(req).await;
    let m = r.metrics();
    m.latency
        .with_label_values(&[route.as_str(), method.as_str()])
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[route.as_str(), method.as_str(), response.status().as_str()])
        .inc();
    response
}
