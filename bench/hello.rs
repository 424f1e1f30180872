//! The ceiling of `bench/run.sh`: a hello-world HTTP server on the stack `warden serve` is
//! built on (tokio's multi-threaded runtime, hyper through axum), doing no registry work.
//! Every GET answers `{}`; every POST reads its whole body and answers `{"id":1}`; both
//! with Confluent's content type. `bench/run.sh` measures each registry route as a ratio to
//! this server under the same load, in the same run.
//!
//! Usage: `hello [ADDR]` (default `127.0.0.1:0`); prints `listening on ADDR` once bound.

use axum::Router;
use axum::body::Bytes;
use axum::http::{Method, header};
use axum::response::IntoResponse;

/// With `--features mimalloc`, the allocator `warden` itself uses.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

async fn answer(method: Method, body: Bytes) -> impl IntoResponse {
    let text = if method == Method::POST {
        // The body is read in full, as a registry reads a schema it is sent.
        std::hint::black_box(body.len());
        r#"{"id":1}"#
    } else {
        "{}"
    };
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, Router::new().fallback(answer)).await
}
