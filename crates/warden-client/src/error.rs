//! The client's error type.

use warden_core::{ErrorCode, SchemaId};

/// Why a registry call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The registry answered with an error body (`{"error_code", "message"}`), e.g. 40401
    /// subject not found, 40403 schema not found, 40901 incompatible, 42201 invalid schema;
    /// [`ClientError::code`] names the code.
    #[error("registry error {error_code} (HTTP {status}): {message}")]
    Registry {
        /// HTTP status.
        status: u16,
        /// Confluent's error code as sent; the HTTP status when the body had none.
        error_code: u32,
        /// The registry's message.
        message: String,
    },
    /// No registry URL answered within the timeout and retries (connection refused, timeout,
    /// or 5xx on every attempt).
    #[error("schema registry {url} is unavailable: {reason}")]
    Unavailable {
        /// The last URL tried.
        url: String,
        /// The last cause.
        reason: String,
    },
    /// The registry answered with something that is not the documented body.
    #[error("unexpected response from the schema registry (HTTP {status}): {detail}")]
    UnexpectedResponse {
        /// HTTP status.
        status: u16,
        /// What was wrong with it.
        detail: String,
    },
    /// A schema the registry returned does not parse (or its references do not resolve).
    #[error("schema {id} from the registry does not parse: {reason}")]
    InvalidSchema {
        /// The schema id.
        id: SchemaId,
        /// The parser's reason.
        reason: String,
    },
    /// A schema reference names no valid subject or version (an empty subject, version 0),
    /// so it cannot be resolved.
    #[error("reference {name}: {reason}")]
    InvalidReference {
        /// The reference's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The builder was given an unusable setting (bad URL, bad header value).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl ClientError {
    /// The Confluent error code of a [`ClientError::Registry`] error, when it is one of
    /// [`ErrorCode`]'s (the raw number stays in [`ClientError::Registry::error_code`]).
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Registry { error_code, .. } => ErrorCode::from_code(*error_code),
            _ => None,
        }
    }

    /// Whether the registry said the subject, version or schema does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Registry { status: 404, .. })
    }
}

/// Shorthand for results of registry calls.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
