//! Security of the listener: TLS ([`tls`]), authentication (HTTP basic against a users file,
//! [`users`]; bearer JWTs, [`jwt`]; client certificates), authorization rules ([`rules`])
//! and the audit log ([`audit`]).
//!
//! Everything is off by default. It is configured in the `[server]` section of a TOML file
//! (`warden serve --config warden.toml`; other sections of the file, such as a project's
//! schema groups, are ignored here) and by flags, which override the file:
//!
//! ```toml
//! [server.tls]
//! cert = "/etc/warden/server.crt"
//! key = "/etc/warden/server.key"
//! client_ca = "/etc/warden/clients-ca.crt"   # mutual TLS
//!
//! [server.auth]
//! users_file = "/etc/warden/users"            # HTTP basic
//! metrics = "open"                            # or "authenticated"
//!
//! [server.auth.jwt]                           # bearer tokens
//! issuer = "https://idp.example.com/realms/kafka"  # JWKS discovered (or jwks_file, jwks_url)
//! audience = ["warden"]
//!
//! [[server.auth.rules]]
//! groups = ["platform"]
//! operations = ["admin"]
//!
//! [server.audit]
//! file = "/var/log/warden/audit.log"
//!
//! [server.limits]                             # per-principal rate of changes
//! writes_per_second = 10
//! write_burst = 50
//! ```
//!
//! Authentication is on when a users file, a JWKS or a client CA is configured. Then every
//! request but `/health/live` and `/health/ready` (and `/metrics`, unless
//! `metrics = "authenticated"`) must authenticate, and is allowed only by a rule.

pub mod audit;
pub mod jwt;
pub mod limits;
pub mod rules;
pub mod tls;
pub mod users;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

pub use audit::{AuditConfig, AuditEvent, AuditLog};
pub use jwt::{JwtConfig, JwtVerifier, TokenError};
pub use limits::{LimitsConfig, WriteLimiter};
pub use rules::{Operation, Principal, RuleConfig, Rules};
pub use tls::{CertName, TlsConfig, TlsFiles};
pub use users::UsersFile;

use crate::settings::Settings;

/// The file `--config` names: only its `[server]` table is read.
#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    server: SecurityConfig,
}

/// The `[server]` section of `warden.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// TLS on the listener.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Authentication and authorization.
    #[serde(default)]
    pub auth: AuthConfig,
    /// The audit log.
    #[serde(default)]
    pub audit: AuditConfig,
    /// Rate limits on changes.
    #[serde(default)]
    pub limits: LimitsConfig,
}

/// `[server.auth]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Users for HTTP basic authentication (see [`users`]).
    #[serde(default)]
    pub users_file: Option<PathBuf>,
    /// Bearer JWTs.
    #[serde(default)]
    pub jwt: Option<JwtConfig>,
    /// Whether `/metrics` needs authentication.
    #[serde(default)]
    pub metrics: MetricsAccess,
    /// The authorization rules.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

/// Who may read `/metrics` once authentication is on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricsAccess {
    /// Anyone (default: scrapers rarely carry credentials).
    #[default]
    Open,
    /// Any authenticated principal.
    Authenticated,
}

/// Why the security configuration cannot be used; one line each.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    /// The config file cannot be read.
    #[error("cannot read the config file {path}: {source}")]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The config file is not valid TOML of the expected shape.
    #[error("config file {path}: {reason}")]
    ParseConfig {
        /// The file.
        path: PathBuf,
        /// Why (TOML's message, naming the key).
        reason: String,
    },
    /// Only one of the certificate and the key is given.
    #[error("TLS needs both a certificate and a key (--tls-cert and --tls-key)")]
    TlsIncomplete,
    /// A client CA without a certificate to serve.
    #[error("--tls-client-ca needs --tls-cert and --tls-key")]
    ClientCaWithoutTls,
    /// TLS files.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The users file.
    #[error(transparent)]
    Users(#[from] users::UsersFileError),
    /// The JWKS.
    #[error(transparent)]
    Jwks(#[from] jwt::JwksError),
    /// A subject pattern of a rule.
    #[error(transparent)]
    Pattern(#[from] rules::PatternError),
    /// The audit file cannot be opened.
    #[error("cannot open the audit log {path}: {source}")]
    Audit {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl SecurityConfig {
    /// The configuration of `settings`: its `--config` file's `[server]` section, with the
    /// flags laid over it.
    pub fn from_settings(settings: &Settings) -> Result<Self, SecurityError> {
        let mut config = match &settings.config {
            Some(path) => read_config(path)?,
            None => Self::default(),
        };
        match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => {
                let previous = config.tls.take();
                config.tls = Some(TlsConfig {
                    cert: cert.clone(),
                    key: key.clone(),
                    client_ca: previous.as_ref().and_then(|t| t.client_ca.clone()),
                    client_principal: previous.map(|t| t.client_principal).unwrap_or_default(),
                });
            }
            (None, None) => {}
            _ => return Err(SecurityError::TlsIncomplete),
        }
        if let Some(ca) = &settings.tls_client_ca {
            match &mut config.tls {
                Some(tls) => tls.client_ca = Some(ca.clone()),
                None => return Err(SecurityError::ClientCaWithoutTls),
            }
        }
        if let Some(users) = &settings.users_file {
            config.auth.users_file = Some(users.clone());
        }
        if settings.jwks_file.is_some() || settings.jwt_issuer.is_some() {
            // A JWKS file, or the issuer to discover it from, turns bearer tokens on.
            config.auth.jwt.get_or_insert_with(|| JwtConfig {
                jwks_file: None,
                jwks_url: None,
                jwks_refresh_secs: 300,
                issuer: None,
                audience: Vec::new(),
                principal_claim: "sub".into(),
                groups_claim: "groups".into(),
                leeway_secs: 30,
            });
        }
        if let Some(jwks) = &settings.jwks_file
            && let Some(jwt) = &mut config.auth.jwt
        {
            jwt.jwks_file = Some(jwks.clone());
            jwt.jwks_url = None;
        }
        if let Some(jwt) = &mut config.auth.jwt {
            if let Some(issuer) = &settings.jwt_issuer {
                jwt.issuer = Some(issuer.clone());
            }
            if !settings.jwt_audience.is_empty() {
                jwt.audience = settings.jwt_audience.clone();
            }
        }
        if settings.protect_metrics {
            config.auth.metrics = MetricsAccess::Authenticated;
        }
        if let Some(rate) = settings.max_writes_per_second {
            config.limits.writes_per_second = Some(rate);
        }
        if let Some(audit) = &settings.audit_log {
            config.audit.file = Some(audit.clone());
        }
        Ok(config)
    }

    /// Whether authentication is on: a users file, a JWKS or a client CA.
    pub fn auth_enabled(&self) -> bool {
        self.auth.users_file.is_some()
            || self.auth.jwt.is_some()
            || self.tls.as_ref().is_some_and(|t| t.client_ca.is_some())
    }
}

fn read_config(path: &Path) -> Result<SecurityConfig, SecurityError> {
    let text = std::fs::read_to_string(path).map_err(|source| SecurityError::ReadConfig {
        path: path.to_owned(),
        source,
    })?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| SecurityError::ParseConfig {
        path: path.to_owned(),
        reason: e.message().to_owned(),
    })?;
    Ok(file.server)
}

/// The security in force while the registry runs.
#[derive(Debug)]
pub struct Security {
    auth_enabled: bool,
    users: Option<UsersFile>,
    jwt: Option<JwtVerifier>,
    rules: Rules,
    metrics: MetricsAccess,
    audit: AuditLog,
    tls: Option<Arc<TlsFiles>>,
    writes: Option<WriteLimiter>,
}

impl Security {
    /// Loads every file `config` names (TLS files, users, JWKS, audit log), or says which
    /// one cannot be used. Warns loudly when authentication is on without any rule.
    pub fn load(config: &SecurityConfig) -> Result<Self, SecurityError> {
        let auth_enabled = config.auth_enabled();
        let users = config
            .auth
            .users_file
            .as_deref()
            .map(UsersFile::load)
            .transpose()?;
        let jwt = config.auth.jwt.clone().map(JwtVerifier::new).transpose()?;
        // With a client CA and another way to authenticate, a client may come without a
        // certificate and authenticate by password or token.
        let client_optional = users.is_some() || jwt.is_some();
        let tls = config
            .tls
            .clone()
            .map(|t| TlsFiles::load(t, client_optional).map(Arc::new))
            .transpose()?;
        let rules = Rules::new(&config.auth.rules)?;
        let audit = AuditLog::open(&config.audit).map_err(|source| SecurityError::Audit {
            path: config.audit.file.clone().unwrap_or_default(),
            source,
        })?;
        if auth_enabled && rules.is_empty() {
            tracing::warn!(
                "AUTHENTICATION IS ON BUT NO AUTHORIZATION RULE IS CONFIGURED: every request \
                 is denied (403). Add [[server.auth.rules]] to the config file."
            );
        }
        Ok(Self {
            auth_enabled,
            users,
            jwt,
            rules,
            metrics: config.auth.metrics,
            audit,
            tls,
            writes: WriteLimiter::new(&config.limits),
        })
    }

    /// Whether requests must authenticate.
    pub fn auth_enabled(&self) -> bool {
        self.auth_enabled
    }

    /// The TLS files, when TLS is on.
    pub fn tls(&self) -> Option<&Arc<TlsFiles>> {
        self.tls.as_ref()
    }

    /// The users file, when basic authentication is on.
    pub fn users(&self) -> Option<&UsersFile> {
        self.users.as_ref()
    }

    /// The JWT verifier, when bearer authentication is on.
    pub fn jwt(&self) -> Option<&JwtVerifier> {
        self.jwt.as_ref()
    }

    /// The authorization rules.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Who may read `/metrics`.
    pub fn metrics(&self) -> MetricsAccess {
        self.metrics
    }

    /// The rate limit of changes, when one is set.
    pub fn write_limiter(&self) -> Option<&WriteLimiter> {
        self.writes.as_ref()
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// Reads again every file that changed: users, JWKS, and (with `force_tls`, on SIGHUP,
    /// even unchanged) the TLS files.
    pub fn reload_changed(&self, force_tls: bool) {
        if let Some(users) = &self.users {
            users.reload_if_changed();
        }
        if let Some(jwt) = &self.jwt {
            jwt.reload_if_changed();
        }
        if let Some(tls) = &self.tls {
            tls.reload_if_changed(force_tls);
        }
        if let Some(writes) = &self.writes {
            writes.forget_idle();
        }
    }

    /// Fetches a JWKS served over HTTP, when one is configured; a failure is logged loudly
    /// (bearer tokens are refused until a fetch succeeds) and retried by [`Self::watch`].
    pub async fn fetch_keys(&self) {
        if let Some(jwt) = &self.jwt
            && jwt.is_remote()
            && let Err(e) = jwt.refresh_remote().await
        {
            tracing::error!(error = %e, "JWKS not fetched: bearer tokens are refused until it is");
        }
    }

    /// Watches the files every second, fetches a JWKS served over HTTP when due, and
    /// reloads the TLS files on SIGHUP; runs until dropped.
    pub async fn watch(self: Arc<Self>) {
        #[cfg(unix)]
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            #[cfg(unix)]
            let hup = async {
                match hangup.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let hup = std::future::pending::<()>();
            let force = tokio::select! {
                _ = tick.tick() => false,
                () = hup => {
                    tracing::info!("SIGHUP: reloading the TLS files");
                    true
                }
            };
            let this = Arc::clone(&self);
            // File reads and parsing, off the request threads.
            let _ = tokio::task::spawn_blocking(move || this.reload_changed(force)).await;
            if let Some(jwt) = &self.jwt
                && jwt.refresh_due()
                && let Err(e) = jwt.refresh_remote().await
            {
                tracing::error!(error = %e, "JWKS not fetched; the keys in force stay");
            }
        }
    }
}

/// What the connection tells about the client: its address, and the principal of its
/// certificate when it presented one (mutual TLS). With security in force, the server puts
/// it in every request's extensions.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The client's address.
    pub addr: std::net::SocketAddr,
    /// The client certificate's principal name.
    pub cert_principal: Option<String>,
}
