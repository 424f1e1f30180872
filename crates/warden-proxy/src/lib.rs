//! `warden proxy`: a Kafka-protocol proxy between any client and any Kafka cluster that
//! validates every produced record against the schema registry, with the serializers' own
//! code (`warden-serde`), and talks to the registry only through `warden-client`.
//!
//! ```text
//! producer ──Kafka protocol──▶ warden proxy ──Kafka protocol──▶ broker(s)
//!                                   │
//!                                   └──REST──▶ schema registry (schema by id, cached)
//! ```
//!
//! - **Routing**: clients bootstrap through [`ProxyConfig::listen`]. `Metadata`,
//!   `FindCoordinator` and `DescribeCluster` responses are rewritten so that each broker is
//!   reached through a proxy listener of its own: the broker that the first bootstrap
//!   server names is served on the bootstrap listener, every other broker address gets a
//!   listener on the same IP and a free port, bound the first time a response names it.
//!   Every other API is forwarded unread, correlation ids untouched, one broker connection
//!   per client connection so pipelined requests keep their order. `ApiVersions` is
//!   narrowed to the versions the proxy decodes and to those whose answers name brokers
//!   only where the proxy rewrites them (Produce `node_endpoints` from v10 are rewritten;
//!   Fetch stops at v15; the share-group fetches are withheld).
//! - **TLS and SASL**: clients may connect over TLS (every listener, optionally mutual TLS)
//!   and the proxy may reach the brokers over TLS ([`ClientTls`], [`BrokerTls`]). SASL
//!   (`SaslHandshake` v1+, `SaslAuthenticate`) is forwarded unchanged on each client's own
//!   broker connection, so the broker authenticates the client itself.
//! - **Produce**: each record batch is decoded (gzip, snappy, lz4, zstd) and each record
//!   checked ([`validate`] lists the rules). A partition with an invalid record is refused
//!   whole with `INVALID_RECORD` (87), `record_errors` and an `error_message` naming the
//!   record, the rule and the field path; the other partitions are forwarded, their batches
//!   byte for byte. Sequence numbers and producer epochs are never touched.
//! - **Policies** per topic glob ([`Action`]): reject, dead-letter, observe, off.
//! - **Admin** HTTP: `/health`, `/ready`, `/metrics` (Prometheus), `/usage` (records per
//!   schema id and subject).

mod admin;
mod client;
mod config;
mod connection;
mod dead_letter;
mod error;
mod frame;
mod metrics;
mod produce;
mod rewrite;
mod tls;
pub mod validate;

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Mutex, Notify, watch};
use warden_client::RegistryClient;

pub use crate::config::{
    Action, DEFAULT_ADMIN_LISTEN, DEFAULT_LISTEN, Policy, ProxyArgs, ProxyConfig,
};
pub use crate::error::{ProxyError, Result};
pub use crate::metrics::Usage;
pub use crate::produce::{INVALID_RECORD, REQUEST_TIMED_OUT};
pub use crate::rewrite::{
    MAX_FETCH_VERSION, MAX_PRODUCE_VERSION, MIN_SASL_HANDSHAKE_VERSION, WITHHELD_APIS,
};
pub use crate::tls::{BrokerTls, ClientTls};

use crate::metrics::Metrics;
use crate::validate::Validator;

/// How long a stopping proxy waits for open connections to finish their in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// State shared by every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: ProxyConfig,
    pub(crate) validator: Validator,
    pub(crate) metrics: Metrics,
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) connections: Connections,
    /// Client connections: the TLS handshake when configured.
    pub(crate) acceptor: tls::Acceptor,
    /// Broker connections: over TLS when configured.
    pub(crate) connector: tls::Connector,
    bind_ip: IpAddr,
    main_port: u16,
    /// Broker address (`host:port`) → proxy port.
    routes: Mutex<HashMap<String, u16>>,
}

impl Shared {
    /// The proxy address clients use for the broker at `host:port`, binding a listener for
    /// it the first time.
    pub(crate) async fn route(self: &Arc<Self>, host: &str, port: i32) -> (String, i32) {
        let upstream = format!("{host}:{port}");
        let advertised = self.config.advertised_host.clone();
        if self.config.bootstrap_servers.first() == Some(&upstream) {
            return (advertised, i32::from(self.main_port));
        }
        let mut routes = self.routes.lock().await;
        if let Some(port) = routes.get(&upstream) {
            return (advertised, i32::from(*port));
        }
        match TcpListener::bind(SocketAddr::new(self.bind_ip, 0)).await {
            Ok(listener) => {
                let local = listener.local_addr().map(|a| a.port()).unwrap_or_default();
                tracing::info!("broker {upstream} is served on {}:{local}", self.bind_ip);
                routes.insert(upstream.clone(), local);
                tokio::spawn(accept(Arc::clone(self), listener, vec![upstream]));
                (advertised, i32::from(local))
            }
            Err(e) => {
                tracing::error!("cannot bind a listener for broker {upstream}: {e}");
                (host.to_owned(), port)
            }
        }
    }
}

/// Counts open client connections, so that a stopping proxy can wait for them.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    open: AtomicUsize,
    closed: Notify,
}

/// Held while a connection is open.
#[derive(Debug)]
pub(crate) struct ConnectionGuard<'a>(&'a Connections);

impl Connections {
    pub(crate) fn enter(&self) -> ConnectionGuard<'_> {
        self.open.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard(self)
    }

    async fn drained(&self) {
        loop {
            let notified = self.closed.notified();
            if self.open.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for ConnectionGuard<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
        self.0.closed.notify_waiters();
    }
}

/// A bound proxy, ready to run: `build` binds (port 0 allowed), `run_until` serves.
#[derive(Debug)]
pub struct Proxy {
    shared: Arc<Shared>,
    listener: TcpListener,
    admin: TcpListener,
}

impl Proxy {
    /// Loads the TLS files, binds the client and admin listeners and builds the registry
    /// client.
    ///
    /// Errors: [`ProxyError::Config`] for a TLS file that does not load,
    /// [`ProxyError::Io`] when an address cannot be bound, [`ProxyError::Registry`] for an
    /// unusable registry URL.
    pub async fn build(config: ProxyConfig) -> Result<Self> {
        let acceptor = tls::Acceptor::new(config.tls.as_ref())?;
        let connector = tls::Connector::new(config.broker_tls.as_ref())?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| ProxyError::io(format!("bind {}", config.listen), e))?;
        let admin = TcpListener::bind(config.admin_listen)
            .await
            .map_err(|e| ProxyError::io(format!("bind {}", config.admin_listen), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| ProxyError::io("local address", e))?;
        // Schemas are cached by id without expiry (an id's schema never changes).
        let client = RegistryClient::builder(config.registry_url.clone()).build()?;
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            validator: Validator::new(client),
            metrics: Metrics::new(),
            stop,
            connections: Connections::default(),
            acceptor,
            connector,
            bind_ip: local.ip(),
            main_port: local.port(),
            routes: Mutex::default(),
            config,
        });
        Ok(Self {
            shared,
            listener,
            admin,
        })
    }

    /// The client (bootstrap) port.
    pub fn port(&self) -> u16 {
        self.shared.main_port
    }

    /// The admin HTTP port.
    pub fn admin_port(&self) -> u16 {
        self.admin
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `stop` completes, then stops accepting, lets open connections finish
    /// the requests they have sent (at most 30 s), and returns.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send) -> Result<()> {
        let Self {
            shared,
            listener,
            admin,
        } = self;
        tracing::info!(
            "warden proxy listening on {}:{}{} for {:?}{}, registry {}",
            shared.bind_ip,
            shared.main_port,
            if shared.config.tls.is_some() {
                " (TLS)"
            } else {
                ""
            },
            shared.config.bootstrap_servers,
            if shared.config.broker_tls.is_some() {
                " (TLS)"
            } else {
                ""
            },
            shared.config.registry_url
        );
        let upstream = shared.config.bootstrap_servers.clone();
        let accepting = tokio::spawn(accept(Arc::clone(&shared), listener, upstream));
        let admin_task = tokio::spawn(admin::serve(Arc::clone(&shared), admin));
        stop.await;
        tracing::info!("warden proxy stopping: draining connections");
        shared.stop.send_replace(true);
        let _ = accepting.await;
        if tokio::time::timeout(DRAIN_TIMEOUT, shared.connections.drained())
            .await
            .is_err()
        {
            tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; closing them");
        }
        admin_task.abort();
        Ok(())
    }
}

/// Accepts connections on `listener`, each forwarded to `upstream`. A boxed future with a
/// declared type: connections bind broker listeners, which accept connections.
fn accept(
    shared: Arc<Shared>,
    listener: TcpListener,
    upstream: Vec<String>,
) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(accept_loop(shared, listener, upstream))
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, upstream: Vec<String>) {
    let mut stop = shared.stop.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection::serve(Arc::clone(&shared), stream, upstream.clone()));
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = stopped(&mut stop) => return,
        }
    }
}

/// Completes when the proxy is told to stop.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
