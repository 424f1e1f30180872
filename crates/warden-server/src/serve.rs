//! The connection loop behind [`crate::Application::run_until`]: HTTP/1.1 and HTTP/2 on one
//! port (hyper-util's auto builder), with limits that keep slow or silent clients from
//! holding the server:
//!
//! - a **header-read timeout**: an HTTP/1.1 connection whose request headers are not
//!   complete in time, counted from the connection's start or the end of its last request,
//!   is shut down gracefully; before a connection's first request the same limit applies to
//!   every protocol (a client that connects and sends nothing, or half a preface);
//! - an **idle timeout**: a connection with no request in flight for that long after its
//!   last request is shut down gracefully (HTTP/1.1 keep-alive and HTTP/2 alike);
//! - a **maximum number of connections**: at the limit the loop stops accepting, so new
//!   connections wait in the kernel's accept queue (not as open files of this process) and
//!   are served in arrival order as open ones close. Accept-and-close would answer nobody,
//!   a health probe included; waiting lets a probe through as soon as a slot frees, and the
//!   header-read timeout frees the slots of clients that send nothing.
//!
//! With TLS ([`crate::security::TlsFiles`]) the handshake runs on the connection's own
//! task, under the header-read timeout, with the configuration in force at accept time (so
//! a reloaded certificate serves every new connection). With a security layer in force,
//! every request carries a [`Peer`] extension: the client's address and its certificate's
//! principal.
//!
//! Accept errors never end the loop: a client that vanished before its accept is skipped,
//! and a lack of resources (`EMFILE`: too many open files) backs off, from 10 ms doubling
//! to 1 s, so the loop neither spins nor dies while connections close.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crate::http::Api;
use axum::body::Body;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::security::{Peer, TlsFiles, tls::certificate_principal};

/// How long clients may hold a connection, and how many connections are served at once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    /// Time to send complete request headers (`None`: unlimited).
    pub(crate) header_read_timeout: Option<Duration>,
    /// Time with no request in flight after a request (`None`: unlimited).
    pub(crate) idle_timeout: Option<Duration>,
    /// Connections served at once (at least 1).
    pub(crate) max_connections: usize,
}

/// The first wait after an accept error that is not the client's doing.
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
/// The longest wait between accept attempts while resources are short.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `stop` completes; then stops accepting, lets
/// in-flight requests finish, closes idle connections, and returns once every connection
/// has closed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Api,
    limits: ConnectionLimits,
    tls: Option<Arc<TlsFiles>>,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        // Not hyper's own header-read timer, which arms and cancels a timer for every
        // request on a keep-alive connection: the connection's idle timer applies the same
        // limit ([`Activity::idle`]), armed once per limit.
        .header_read_timeout(None);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut backoff = FIRST_BACKOFF;
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut stop => break,
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next() => continue,
            accepted = accept_in_a_free_slot(&listener, &slots) => accepted,
        };
        match accepted {
            (permit, Ok((stream, addr))) => {
                backoff = FIRST_BACKOFF;
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                }
                let builder = Arc::clone(&builder);
                let router = router.clone();
                let closing = closing_rx.clone();
                match &tls {
                    None => {
                        let peer = Peer {
                            addr,
                            cert_principal: None,
                        };
                        connections.spawn(serve_connection(
                            builder, stream, router, peer, limits, closing, permit,
                        ));
                    }
                    Some(tls) => {
                        let tls = Arc::clone(tls);
                        connections.spawn(async move {
                            let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
                            let handshake = acceptor.accept(stream);
                            let stream = match limits.header_read_timeout {
                                Some(limit) => match tokio::time::timeout(limit, handshake).await {
                                    Ok(result) => result,
                                    Err(_) => {
                                        tracing::debug!(%addr, "TLS handshake timed out");
                                        return;
                                    }
                                },
                                None => handshake.await,
                            };
                            let stream = match stream {
                                Ok(stream) => stream,
                                Err(e) => {
                                    tracing::debug!(%addr, error = %e, "TLS handshake failed");
                                    return;
                                }
                            };
                            let cert_principal = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|chain| chain.first())
                                .and_then(|leaf| {
                                    certificate_principal(leaf, tls.client_principal())
                                });
                            let peer = Peer {
                                addr,
                                cert_principal,
                            };
                            serve_connection(
                                builder, stream, router, peer, limits, closing, permit,
                            )
                            .await;
                        });
                    }
                }
            }
            (_, Err(e)) if is_connection_error(&e) => {
                tracing::debug!(error = %e, "a connection closed before it was accepted");
            }
            (_, Err(e)) => {
                tracing::error!(error = %e, backoff_ms = backoff.as_millis(), "accept error");
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
    // Refuse new connections from now on, then close every open one gracefully.
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

/// Waits for a free connection slot, then for a connection.
async fn accept_in_a_free_slot(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> (
    OwnedSemaphorePermit,
    io::Result<(TcpStream, std::net::SocketAddr)>,
) {
    let permit = Arc::clone(slots)
        .acquire_owned()
        .await
        .expect("the connection semaphore is never closed");
    (permit, listener.accept().await)
}

/// Errors that concern one connection only (its client went away before the accept).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until it ends, holding its slot (`_permit`) until then.
async fn serve_connection<S>(
    builder: Arc<auto::Builder<TokioExecutor>>,
    stream: S,
    router: Api,
    peer: Peer,
    limits: ConnectionLimits,
    mut closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let busy = activity.begin(request.version());
            let router = router.clone();
            let mut request = request.map(Body::new);
            // Read only by the security layer.
            if router.secured() {
                request.extensions_mut().insert(peer.clone());
            }
            async move {
                let response = router.oneshot(request).await;
                drop(busy);
                response
            }
        })
    };
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    // When a graceful shutdown began.
    let mut shutdown: Option<Instant> = None;
    loop {
        let grace_over = shutdown.map(|since| since + CLOSE_GRACE);
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection closed with an error");
                }
                break;
            }
            _ = closing.wait_for(|closing| *closing), if shutdown.is_none() => {
                connection.as_mut().graceful_shutdown();
                shutdown = Some(Instant::now());
            }
            () = activity.idle(limits.header_read_timeout, limits.idle_timeout),
                if shutdown.is_none() =>
            {
                tracing::debug!("closing a connection that sent no request in time");
                connection.as_mut().graceful_shutdown();
                shutdown = Some(Instant::now());
            }
            // An HTTP/2 client that never acknowledges the GOAWAY does not hold the
            // connection open once its requests are answered.
            () = async {
                if let Some(at) = grace_over {
                    tokio::time::sleep_until(at).await;
                }
                activity.no_request_in_flight().await;
            }, if grace_over.is_some() => break,
        }
    }
}

/// How long a connection may take to close gracefully once it has no request in flight.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Requests in flight on one connection, and since when it has had none.
///
/// Kept in atomics: a request's start and end write two counters and wake nobody but for
/// the connection's first request. The idle timer reads them when it fires (once per limit,
/// not once per request), and only a connection that is closing asks to be woken when its
/// last request ends.
#[derive(Debug)]
struct Activity {
    /// The connection's start: [`Activity::idle_since`] counts from it.
    epoch: Instant,
    in_flight: AtomicUsize,
    /// Nanoseconds from `epoch` to the end of the last request (0 before the first).
    idle_since: AtomicU64,
    served_one: AtomicBool,
    /// The first request came over HTTP/2 (set with `served_one`).
    http2: AtomicBool,
    /// Woken by the connection's first request.
    started: Notify,
    /// Set once the connection is closing: from then on, the end of the last request in
    /// flight wakes `drained`.
    closing: AtomicBool,
    drained: Notify,
}

/// A request in flight; its drop marks the request done.
#[derive(Debug)]
struct Busy(Arc<Activity>);

impl Activity {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            served_one: AtomicBool::new(false),
            http2: AtomicBool::new(false),
            started: Notify::new(),
            closing: AtomicBool::new(false),
            drained: Notify::new(),
        }
    }

    fn begin(self: &Arc<Self>, version: axum::http::Version) -> Busy {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        if !self.served_one.load(Ordering::Acquire) {
            // Stored before `served_one`, which publishes it.
            self.http2
                .store(version == axum::http::Version::HTTP_2, Ordering::Release);
            if !self.served_one.swap(true, Ordering::AcqRel) {
                // The first request: the idle timer moves from the header-read limit to
                // the idle one.
                self.started.notify_waiters();
            }
        }
        Busy(Arc::clone(self))
    }

    /// When the connection last had no request in flight.
    fn idle_since(&self) -> Instant {
        self.epoch + Duration::from_nanos(self.idle_since.load(Ordering::Acquire))
    }

    /// Completes once the connection has had no request in flight for `first` (before its
    /// first request) or `later` (after it; on HTTP/1.1 the shorter of `first` and `later`,
    /// since there the header-read limit `first` also runs while the connection waits for
    /// its next request's headers); never while a request is in flight, and never for a
    /// limit of `None`.
    async fn idle(&self, first: Option<Duration>, later: Option<Duration>) {
        // Before the first request: `first` from the connection's start, cut short by the
        // first request (which switches to `later`).
        while !self.served_one.load(Ordering::Acquire) {
            let started = self.started.notified();
            tokio::pin!(started);
            started.as_mut().enable();
            if self.served_one.load(Ordering::Acquire) {
                break;
            }
            match first {
                Some(first) => tokio::select! {
                    () = tokio::time::sleep_until(self.epoch + first) => {
                        if !self.served_one.load(Ordering::Acquire)
                            && self.in_flight.load(Ordering::Acquire) == 0
                        {
                            return;
                        }
                    }
                    () = &mut started => {}
                },
                None => started.await,
            }
        }
        let later = if self.http2.load(Ordering::Acquire) {
            later
        } else {
            match (first, later) {
                (Some(first), Some(later)) => Some(first.min(later)),
                (first, later) => first.or(later),
            }
        };
        let Some(limit) = later else {
            return std::future::pending().await;
        };
        loop {
            if self.in_flight.load(Ordering::Acquire) > 0 {
                // Busy now: look again after one limit (a request that ends meanwhile
                // starts its own full limit, so this never closes early).
                tokio::time::sleep(limit).await;
                continue;
            }
            let until = self.idle_since() + limit;
            if Instant::now() < until {
                tokio::time::sleep_until(until).await;
                continue;
            }
            // Idle for the whole limit, unless a request came and went since the look
            // above or one is in flight now.
            if self.in_flight.load(Ordering::Acquire) == 0
                && self.idle_since() + limit <= Instant::now()
            {
                return;
            }
        }
    }

    /// Completes when no request is in flight.
    async fn no_request_in_flight(&self) {
        self.closing.store(true, Ordering::Release);
        loop {
            let drained = self.drained.notified();
            tokio::pin!(drained);
            drained.as_mut().enable();
            if self.in_flight.load(Ordering::Acquire) == 0 {
                return;
            }
            drained.await;
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let activity = &self.0;
        // The end time is written before the count drops, so a timer that sees no request
        // in flight also sees when the last one ended.
        let now = Instant::now().saturating_duration_since(activity.epoch);
        let nanos = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        activity.idle_since.fetch_max(nanos, Ordering::AcqRel);
        if activity.in_flight.fetch_sub(1, Ordering::AcqRel) == 1
            && activity.closing.load(Ordering::Acquire)
        {
            activity.drained.notify_waiters();
        }
    }
}
