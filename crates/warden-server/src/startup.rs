//! Build (bind, open the store) and run (serve until SIGINT or SIGTERM) are separate, so
//! `main` and the tests start the registry the same way.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::http;
use crate::registry::{CacheBudget, Registry, WorkLimits};
use crate::security::{Security, SecurityConfig, SecurityError};
use crate::serve::{self, ConnectionLimits};
use crate::settings::Settings;

/// A registry bound to its port, ready to serve.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: http::Api,
    port: u16,
    registry: Arc<Registry>,
    revalidate_every: Duration,
    limits: ConnectionLimits,
    security: Option<Arc<Security>>,
}

/// Why the registry could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The store could not be opened or migrated.
    #[error("cannot open the database")]
    Store(#[from] warden_storage::Error),
    /// TLS, authentication or audit settings that cannot be used (one line: which file and
    /// why).
    #[error(transparent)]
    Security(#[from] SecurityError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

impl Application {
    /// Opens the store (creating and migrating it) and binds the listener.
    pub async fn build(settings: &Settings) -> Result<Self, StartError> {
        // Checked first: a bad certificate or users file is reported before anything opens.
        let security = SecurityConfig::from_settings(settings)?;
        let security = if security.auth_enabled()
            || security.tls.is_some()
            || security.audit.file.is_some()
            || security.limits.writes_per_second.is_some_and(|r| r > 0.0)
        {
            let security = Security::load(&security)?;
            security.fetch_keys().await;
            Some(Arc::new(security))
        } else {
            None
        };
        let store = warden_storage::open(&settings.database_url).await?;
        let mut registry = Registry::new(store);
        if let Some(secret) = settings
            .local_kms_secret
            .clone()
            .or_else(|| std::env::var("LOCAL_SECRET").ok())
        {
            registry = registry.with_kms(Arc::new(warden_core::encryption::LocalKms::new(&secret)));
        }
        let registry = Arc::new(
            registry
                .with_cache_budget(CacheBudget {
                    schemas_bytes: settings.cache_schemas_bytes,
                    parsed_bytes: settings.cache_parsed_bytes,
                    requests_bytes: settings.cache_requests_bytes,
                })
                .with_limits(WorkLimits::from(settings)),
        );
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: settings.listen,
                    source,
                })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: settings.listen,
                source,
            })?
            .port();
        let timeout = Duration::from_secs(settings.request_timeout_secs);
        let router = http::app_with_security(
            Arc::clone(&registry),
            settings.max_body_bytes,
            timeout,
            security.clone(),
        );
        Ok(Self {
            listener,
            router,
            port,
            registry,
            revalidate_every: Duration::from_secs(settings.cache_revalidate_secs),
            limits: ConnectionLimits {
                header_read_timeout: seconds_or_none(settings.header_read_timeout_secs),
                idle_timeout: seconds_or_none(settings.idle_timeout_secs),
                max_connections: settings.max_connections as usize,
            },
            security,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The security in force (TLS, authentication, audit), when any is configured.
    pub fn security(&self) -> Option<&Arc<Security>> {
        self.security.as_ref()
    }

    /// The registry service behind the API.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then finishes in-flight requests and closes idle
    /// connections (tests use this to take a registry away from its clients).
    ///
    /// HTTP/1.1 and HTTP/2 (prior knowledge) on the one port, under the settings'
    /// header-read timeout, idle timeout and connection limit (see `crate::serve`).
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(port = self.port, "warden registry listening");
        let coherence =
            tokio::spawn(Arc::clone(&self.registry).keep_caches_coherent(self.revalidate_every));
        let tls = self.security.as_ref().and_then(|s| s.tls().cloned());
        let watch = self.security.clone().map(|s| tokio::spawn(s.watch()));
        serve::serve(self.listener, self.router, self.limits, tls, stop).await;
        coherence.abort();
        if let Some(watch) = watch {
            watch.abort();
        }
        Ok(())
    }
}

/// A duration of `secs` seconds; `None` (no limit) for 0.
fn seconds_or_none(secs: u64) -> Option<Duration> {
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Listens for SIGINT and SIGTERM from the moment it is called, and completes when one
/// arrives. `warden serve` calls it before it binds its port, so that a signal sent as soon
/// as the port accepts connections stops the server cleanly rather than killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // Creating the streams installs the handlers, before the future is first polled.
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
            tracing::info!("shutting down");
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }
}
