//! The two services every request passes through, written out so that they add no boxed
//! future or cloned service of their own to a request (each `axum` middleware made with
//! `from_fn`, and each `Router::layer` of its own, boxes the request's future and clones a
//! boxed service per request; together they cost a third of the throughput of an answer
//! from memory, BENCHMARKS.md):
//!
//! - [`Api`], in front of the router: rewrites the URL before routing (trailing slash and
//!   context path in place, then subject aliases: [`super::contracts::aliased_uri`]), and
//!   answers a read whose answer is kept by URL without routing it;
//! - [`Edge`], around each matched route: the request's `request` span, the request
//!   timeout (Confluent's 50002), and the request metrics.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use tower::{Layer, Service, ServiceExt};

use super::{ApiError, AppState};

/// The API as served: the router behind the URL rewrite Confluent's filters make (one
/// trailing slash, `/contexts/{context}/…` paths, subject aliases), before routing. A
/// `tower` service of `Request` to `Response` that never fails; cheap to clone.
///
/// Without a security layer, a GET whose URL needs no alias look-up (after the trailing
/// slash and context path are rewritten) and whose 200 answer a route kept by that URL
/// while nothing it rests on changed since (`crate::registry::Registry::kept_read`: a
/// subject's version, `latest` included, and a schema by id) is answered here, without
/// routing, in the route's `request` span and metrics, as the route itself would answer it.
/// With one, every request is routed, so that it is authenticated and authorized.
#[derive(Debug, Clone)]
pub struct Api {
    router: Router,
    registry: AppState,
    secured: bool,
}

impl Api {
    pub(super) fn new(router: Router, registry: AppState, secured: bool) -> Self {
        Self {
            router,
            registry,
            secured,
        }
    }

    /// Whether a security layer is in force (authentication, TLS, an audit log or a write
    /// rate limit): every request is then routed through it, with its
    /// [`crate::security::Peer`] extension.
    pub(crate) fn secured(&self) -> bool {
        self.secured
    }

    /// The kept answer to `req`, a GET, if there is one and no security layer is in force.
    fn kept_answer(&self, req: &Request) -> Option<Response> {
        if self.secured || req.method() != Method::GET {
            return None;
        }
        let start = Instant::now();
        let uri = req.uri().path_and_query().map_or("", |p| p.as_str());
        let (body, route) = self.registry.kept_read(uri)?;
        let span = tracing::debug_span!("request", method = "GET", route = route.route());
        let _entered = span.enter();
        let response = super::sr_bytes(axum::http::StatusCode::OK, body);
        let latency = start.elapsed();
        route.count(latency);
        tracing::debug!(status = %response.status(), latency_ms = latency.as_millis(), "request done");
        Some(response)
    }
}

impl Service<Request> for Api {
    type Response = Response;
    type Error = Infallible;
    type Future = ApiFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // A router is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        if let Err(message) = super::rewrite_uri_in_memory(&mut req) {
            let refused = ApiError::Http(warden_core::ErrorCode::BadRequest, message);
            return ApiFuture::Answered {
                response: Some(refused.into_response()),
            };
        }
        if super::contracts::keeps_its_uri(&self.registry, req.uri()) {
            if let Some(response) = self.kept_answer(&req) {
                return ApiFuture::Answered {
                    response: Some(response),
                };
            }
            return ApiFuture::Routed {
                future: self.router.call(req),
            };
        }
        // An alias to look up, or one to apply: the step that may read the store.
        let router = self.router.clone();
        let registry = self.registry.clone();
        ApiFuture::Aliased {
            future: Box::pin(async move {
                if let Some(uri) = super::contracts::aliased_uri(&registry, req.uri()).await {
                    *req.uri_mut() = uri;
                }
                match router.oneshot(req).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of [`Api`].
    #[project = ApiProjection]
    pub enum ApiFuture {
        /// Answered before routing: a malformed context path, or a kept answer.
        Answered { response: Option<Response> },
        /// Routed as it came (the common case).
        Routed {
            #[pin]
            future: RouteFuture<Infallible>,
        },
        /// Routed once an alias was looked up.
        Aliased {
            future: Pin<Box<dyn Future<Output = Response> + Send>>,
        },
    }
}

impl Future for ApiFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            ApiProjection::Answered { response } => Poll::Ready(Ok(response
                .take()
                .expect("an answered request is polled once"))),
            ApiProjection::Routed { future } => future.poll(cx),
            ApiProjection::Aliased { future } => future.as_mut().poll(cx).map(Ok),
        }
    }
}

/// Wraps each route in [`Edge`].
#[derive(Debug, Clone)]
pub(super) struct EdgeLayer {
    registry: AppState,
    timeout: Duration,
}

impl EdgeLayer {
    /// Requests running longer than `timeout` are answered 50002; metrics go to
    /// `registry`'s.
    pub(super) fn new(registry: AppState, timeout: Duration) -> Self {
        Self { registry, timeout }
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Edge {
            inner,
            registry: self.registry.clone(),
            timeout: self.timeout,
        }
    }
}

/// Around a route: runs the request in a DEBUG `request` span naming its method and
/// matched route; answers Confluent's 50002 (HTTP 500, "The request did not finish within
/// N ms") once the request has run `timeout`, counted from its start, with a timer armed
/// only when the route does not answer on its first poll (an answer from memory arms
/// none); counts the requests that matched a route (a 405 for the route's path included)
/// by route, method and status, with their latency (`warden_http_requests_total`,
/// `warden_http_request_duration_seconds`; a method outside HTTP's standard ones is
/// counted as `OTHER`, so that clients cannot add series at will); and logs a server
/// error (5xx) at ERROR.
#[derive(Debug, Clone)]
pub(super) struct Edge<S> {
    inner: S,
    registry: AppState,
    timeout: Duration,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // Shared, not copied: the matched route is reference-counted and a standard method
        // is a plain value.
        let route = req.extensions().get::<MatchedPath>().cloned();
        let method = req.method().clone();
        let span = tracing::debug_span!(
            "request",
            method = %method,
            route = route.as_ref().map_or("unmatched", MatchedPath::as_str)
        );
        let start = Instant::now();
        let future = span.in_scope(|| self.inner.call(req));
        EdgeFuture {
            inner: future,
            span,
            timer: None,
            start,
            timeout: self.timeout,
            route,
            method,
            registry: self.registry.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of [`Edge`].
    pub(super) struct EdgeFuture<F> {
        #[pin]
        inner: F,
        span: tracing::Span,
        // Armed at the first poll that finds the route not done.
        timer: Option<Pin<Box<tokio::time::Sleep>>>,
        start: Instant,
        timeout: Duration,
        route: Option<MatchedPath>,
        method: Method,
        registry: AppState,
    }
}

impl<F> Future for EdgeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let response = match this.inner.poll(cx) {
            Poll::Ready(Ok(response)) => response,
            Poll::Ready(Err(never)) => match never {},
            Poll::Pending => {
                let deadline = *this.start + *this.timeout;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into())));
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                ApiError::Registry(crate::Error::OperationTimeout(format!(
                    "The request did not finish within {} ms",
                    this.timeout.as_millis()
                )))
                .into_response()
            }
        };
        let latency = this.start.elapsed();
        let status = response.status();
        if let Some(route) = this.route.as_ref() {
            let method = method_label(this.method);
            let m = this.registry.metrics();
            m.latency
                .with_label_values(&[route.as_str(), method])
                .observe(latency.as_secs_f64());
            m.requests
                .with_label_values(&[route.as_str(), method, status.as_str()])
                .inc();
        }
        if status.is_server_error() {
            tracing::error!(%status, latency_ms = latency.as_millis(), "request failed");
        } else {
            tracing::debug!(%status, latency_ms = latency.as_millis(), "request done");
        }
        Poll::Ready(Ok(response))
    }
}

/// The `method` label of a request's metrics: one of HTTP's standard methods, or `OTHER`.
fn method_label(method: &Method) -> &str {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::PATCH,
        Method::TRACE,
        Method::CONNECT,
    ];
    if STANDARD.contains(method) {
        method.as_str()
    } else {
        "OTHER"
    }
}
