//! The registry service's errors, one variant per Confluent outcome.

use warden_core::{ErrorCode, Version};

/// Why a registry operation failed. Each variant maps to exactly one Confluent error code
/// ([`Error::code`]); messages follow Confluent's wording.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: a body field of a JSON type Confluent's request classes cannot take (Jackson's
    /// mapping error, as Confluent words it).
    #[error("{0}")]
    BadRequestBody(String),
    /// 40401.
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    /// 40402.
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    /// 40403.
    #[error("{0}")]
    SchemaNotFound(String),
    /// 40404.
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    /// 40405.
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    /// 40406.
    #[error(
        "Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently"
    )]
    VersionSoftDeleted {
        /// The subject.
        subject: String,
        /// The version.
        version: Version,
    },
    /// 40407.
    #[error(
        "Subject '{subject}' Version {version} was not deleted first before being permanently deleted"
    )]
    VersionNotSoftDeleted {
        /// The subject.
        subject: String,
        /// The version.
        version: Version,
    },
    /// 40408.
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectCompatibilityNotConfigured(String),
    /// 40409.
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotConfigured(String),
    /// 40901 (HTTP 409): the schema breaks the subject's compatibility level.
    #[error(
        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
        messages.join(", ")
    )]
    Incompatible {
        /// The subject.
        subject: String,
        /// Confluent-style verbose messages.
        messages: Vec<String>,
    },
    /// 42201.
    #[error("{0}")]
    InvalidSchema(String),
    /// 42202.
    #[error("{0}")]
    InvalidVersion(String),
    /// 42203.
    #[error("{0}")]
    InvalidCompatibilityLevel(String),
    /// 42204.
    #[error("{0}")]
    InvalidMode(String),
    /// 42205.
    #[error("{0}")]
    OperationNotPermitted(String),
    /// 42206.
    #[error("{0}")]
    ReferenceExists(String),
    /// 42207.
    #[error("{0}")]
    IdDoesNotMatch(String),
    /// 42208.
    #[error("{0}")]
    InvalidSubject(String),
    /// 50002: the operation did not finish in time (request timeout, or a registration
    /// that kept losing races for its subject's lock).
    #[error("{0}")]
    OperationTimeout(String),
    /// 50001: the store failed; the cause is logged, not shown.
    #[error("Error in the backend data store")]
    Store(#[from] warden_storage::Error),
}

impl Error {
    /// Confluent's error code for this outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequestBody(_) => ErrorCode::BadRequest,
            Self::SubjectNotFound(_) => ErrorCode::SubjectNotFound,
            Self::VersionNotFound(_) => ErrorCode::VersionNotFound,
            Self::SchemaNotFound(_) => ErrorCode::SchemaNotFound,
            Self::SubjectSoftDeleted(_) => ErrorCode::SubjectSoftDeleted,
            Self::SubjectNotSoftDeleted(_) => ErrorCode::SubjectNotSoftDeleted,
            Self::VersionSoftDeleted { .. } => ErrorCode::VersionSoftDeleted,
            Self::VersionNotSoftDeleted { .. } => ErrorCode::VersionNotSoftDeleted,
            Self::SubjectCompatibilityNotConfigured(_) => {
                ErrorCode::SubjectLevelCompatibilityNotConfigured
            }
            Self::SubjectModeNotConfigured(_) => ErrorCode::SubjectLevelModeNotConfigured,
            Self::Incompatible { .. } => ErrorCode::IncompatibleSchema,
            Self::InvalidSchema(_) => ErrorCode::InvalidSchema,
            Self::InvalidVersion(_) => ErrorCode::InvalidVersion,
            Self::InvalidCompatibilityLevel(_) => ErrorCode::InvalidCompatibilityLevel,
            Self::InvalidMode(_) => ErrorCode::InvalidMode,
            Self::OperationNotPermitted(_) => ErrorCode::OperationNotPermitted,
            Self::ReferenceExists(_) => ErrorCode::ReferenceExists,
            Self::IdDoesNotMatch(_) => ErrorCode::IdDoesNotMatch,
            Self::InvalidSubject(_) => ErrorCode::InvalidSubject,
            Self::OperationTimeout(_) => ErrorCode::OperationTimeout,
            Self::Store(_) => ErrorCode::StoreError,
        }
    }
}

/// `Result` with the registry's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
