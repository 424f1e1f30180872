//! The proxy's error type.

/// Why the proxy could not start or a connection failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The settings are not usable (a missing flag, an unknown key, a bad glob).
    #[error("configuration: {0}")]
    Config(String),
    /// A socket could not be bound, or a connection failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A Kafka frame did not decode or encode (a malformed request or response).
    #[error("kafka protocol: {0}")]
    Protocol(String),
    /// The registry client could not be built.
    #[error("schema registry: {0}")]
    Registry(#[from] warden_client::ClientError),
}

impl ProxyError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn protocol(e: impl std::fmt::Display) -> Self {
        Self::Protocol(e.to_string())
    }
}

/// Shorthand for the proxy's results.
pub type Result<T, E = ProxyError> = std::result::Result<T, E>;
