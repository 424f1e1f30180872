//! The admin HTTP endpoints: `GET /health` (the process runs), `GET /ready` (the registry
//! and a bootstrap broker answer: 200, else 503 naming which does not), `GET /metrics`
//! (Prometheus text format) and `GET /usage` (JSON: records seen per schema id and subject,
//! see [`crate::Usage`]).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::Shared;

pub(crate) async fn serve(shared: Arc<Shared>, listener: TcpListener) {
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/usage", get(usage))
        .with_state(shared);
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!("admin endpoint failed: {e}");
    }
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    let registry = shared.validator.client().schema_types().await;
    let broker = shared
        .connector
        .connect(&shared.config.bootstrap_servers)
        .await;
    match (registry, broker) {
        (Ok(_), Ok(_)) => (StatusCode::OK, "ready").into_response(),
        (registry, broker) => {
            let mut reasons = Vec::new();
            if let Err(e) = registry {
                reasons.push(format!("registry: {e}"));
            }
            if let Err(e) = broker {
                reasons.push(format!("broker: {e}"));
            }
            (StatusCode::SERVICE_UNAVAILABLE, reasons.join("; ")).into_response()
        }
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(),
    )
        .into_response()
}

async fn usage(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.metrics.usage()).into_response()
}
