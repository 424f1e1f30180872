//! The registry flags every online command shares, and the client built from them.

use std::time::Duration;

use anyhow::{Context, bail};
use warden_client::{ClientError, RegistryClient};
use warden_core::{ErrorCode, Subject};

/// `--registry-url`, `--registry-auth`, the TLS settings and a Confluent client properties
/// file, with their environment twins.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RegistryArgs {
    /// The registry's base URL, e.g. `http://127.0.0.1:8081`.
    #[arg(long = "registry-url", env = "WARDEN_REGISTRY_URL", value_name = "URL")]
    pub(crate) url: Option<String>,
    /// Credentials: `USER:PASSWORD` for HTTP basic auth, or `bearer:TOKEN`.
    #[arg(
        long = "registry-auth",
        env = "WARDEN_REGISTRY_AUTH",
        value_name = "USER:PASSWORD|bearer:TOKEN",
        hide_env_values = true
    )]
    pub(crate) auth: Option<String>,
    /// CA certificates (PEM) trusted for an `https://` registry, besides the system's.
    #[arg(long = "registry-ca", env = "WARDEN_REGISTRY_CA", value_name = "PEM")]
    pub(crate) registry_ca: Option<std::path::PathBuf>,
    /// A client certificate (PEM) for a registry with mutual TLS; with `--registry-key`.
    #[arg(
        long = "registry-cert",
        env = "WARDEN_REGISTRY_CERT",
        value_name = "PEM"
    )]
    pub(crate) registry_cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of `--registry-cert`.
    #[arg(long = "registry-key", env = "WARDEN_REGISTRY_KEY", value_name = "PEM")]
    pub(crate) registry_key: Option<std::path::PathBuf>,
    /// A properties file (`key=value` lines) with Confluent's client names:
    /// `schema.registry.url`, `basic.auth.user.info`, `bearer.auth.token`,
    /// `ssl.ca.location`, `ssl.certificate.location`, `ssl.key.location` (each also without
    /// the `schema.registry.` prefix). The flags above override it.
    #[arg(
        long = "registry-config",
        env = "WARDEN_REGISTRY_CONFIG",
        value_name = "FILE"
    )]
    pub(crate) registry_config: Option<std::path::PathBuf>,
}

/// The `key=value` pairs of a Java-style properties file (`#` and `!` comments, `=` or `:`
/// between key and value).
fn properties(path: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the registry config {}", path.display()))?;
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(at) = line.find(['=', ':']) else {
            bail!("{}:{}: expected key=value", path.display(), i + 1);
        };
        pairs.push((
            line[..at].trim().to_owned(),
            line[at + 1..].trim().to_owned(),
        ));
    }
    Ok(pairs)
}

impl RegistryArgs {
    /// A client for `--registry-url`.
    ///
    /// Errors: no URL given, an unusable URL or auth value.
    pub(crate) fn client(&self) -> anyhow::Result<RegistryClient> {
        let from_config = match &self.registry_config {
            Some(path) => properties(path)?
                .into_iter()
                .find(|(k, _)| k == "url" || k == "schema.registry.url")
                .map(|(_, v)| v),
            None => None,
        };
        let Some(url) = self.url.as_ref().or(from_config.as_ref()) else {
            bail!(
                "no registry URL: pass --registry-url, set WARDEN_REGISTRY_URL, or give \
                 schema.registry.url in --registry-config"
            );
        };
        self.client_for(url)
    }

    /// A client for `url` with this auth. Requests time out after 30 s; connection errors
    /// and 5xx answers are retried once.
    pub(crate) fn client_for(&self, url: &str) -> anyhow::Result<RegistryClient> {
        let mut builder = RegistryClient::builder(url)
            .timeout(Duration::from_secs(30))
            .max_retries(1);
        if let Some(path) = &self.registry_config {
            let pairs = properties(path)?;
            builder = builder
                .confluent_properties(
                    pairs
                        .iter()
                        .filter(|(k, _)| k != "url" && k != "schema.registry.url")
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                )
                .with_context(|| format!("registry config {}", path.display()))?;
        }
        if let Some(ca) = &self.registry_ca {
            let pem = std::fs::read(ca)
                .with_context(|| format!("cannot read --registry-ca {}", ca.display()))?;
            builder = builder.ca_certificate_pem(pem);
        }
        match (&self.registry_cert, &self.registry_key) {
            (Some(cert), Some(key)) => {
                let mut pem = std::fs::read(cert)
                    .with_context(|| format!("cannot read --registry-cert {}", cert.display()))?;
                pem.push(b'\n');
                pem.extend(
                    std::fs::read(key)
                        .with_context(|| format!("cannot read --registry-key {}", key.display()))?,
                );
                builder = builder.client_identity_pem(pem);
            }
            (None, None) => {}
            _ => bail!("--registry-cert and --registry-key go together"),
        }
        if let Some(auth) = &self.auth {
            builder = match auth.strip_prefix("bearer:") {
                Some(token) => builder.bearer_token(token),
                None => {
                    let Some((user, password)) = auth.split_once(':') else {
                        bail!("--registry-auth must be USER:PASSWORD or bearer:TOKEN");
                    };
                    builder.basic_auth(user, password)
                }
            };
        }
        builder.build().context("cannot use the registry URL")
    }
}

/// Whether a client error is the registry saying a subject, version or schema does not
/// exist.
pub(crate) fn is_not_found(e: &ClientError) -> bool {
    matches!(
        e.code(),
        Some(ErrorCode::SubjectNotFound | ErrorCode::VersionNotFound | ErrorCode::SchemaNotFound)
    ) || e.is_not_found()
}

/// `name` as a subject (a name from `warden.toml`, a flag or an export file).
///
/// Errors: an empty name, one over 1,024 bytes or with a control character.
pub(crate) fn subject(name: &str) -> anyhow::Result<Subject> {
    Subject::parse(name).map_err(|e| anyhow::anyhow!("subject {name:?}: {}", e.0))
}
