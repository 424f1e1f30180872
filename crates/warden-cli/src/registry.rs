//! The registry flags every online command shares, and the client built from them.

use std::time::Duration;

use anyhow::{Context, bail};
use warden_client::{ClientError, RegistryClient};
use warden_core::{ErrorCode, Subject};

/// `--registry-url` and `--registry-auth`, with their environment twins.
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
}

impl RegistryArgs {
    /// A client for `--registry-url`.
    ///
    /// Errors: no URL given, an unusable URL or auth value.
    pub(crate) fn client(&self) -> anyhow::Result<RegistryClient> {
        let Some(url) = &self.url else {
            bail!("no registry URL: pass --registry-url or set WARDEN_REGISTRY_URL");
        };
        self.client_for(url)
    }

    /// A client for `url` with this auth. Requests time out after 30 s; connection errors
    /// and 5xx answers are retried once.
    pub(crate) fn client_for(&self, url: &str) -> anyhow::Result<RegistryClient> {
        let mut builder = RegistryClient::builder(url)
            .timeout(Duration::from_secs(30))
            .max_retries(1);
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
