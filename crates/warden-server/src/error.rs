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
    /// 42209: the schema (text, references, metadata and rule set) is over
    /// `--max-schema-bytes`.
    #[error("Register operation failed because schema is too large")]
    SchemaTooLarge,
    /// 40410 (Confluent `Errors.associationNotFoundException`).
    #[error("Association for '{0}' not found.")]
    AssociationNotFound(String),
    /// 40903: the resource already has an association of this type that differs.
    #[error("An association of type '{association_type}' already exists for resource '{resource}'")]
    AssociationForResourceExists {
        /// `key` or `value`.
        association_type: String,
        /// The resource name.
        resource: String,
    },
    /// 40904: the subject already has an association.
    #[error("An association already exists for subject '{0}'")]
    AssociationForSubjectExists(String),
    /// 40905: the subject already has a STRONG association.
    #[error("A strong association already exists for subject '{0}'")]
    StrongAssociationForSubjectExists(String),
    /// 40907: the subject has no live version.
    #[error("No active (non-deleted) version exists for subject '{0}'")]
    NoActiveSubjectVersionExists(String),
    /// 40908 (Confluent's message has the two spaces).
    #[error("The association of type  '{association_type}' is frozen for subject '{subject}'")]
    AssociationFrozen {
        /// `key` or `value`.
        association_type: String,
        /// The associated subject.
        subject: String,
    },
    /// 42212: a property of an association request is invalid
    /// (Confluent `RestInvalidAssociationException`).
    #[error(
        "The association specified an invalid value for property: '{property}', detail: {detail}"
    )]
    InvalidAssociation {
        /// The property's JSON name.
        property: String,
        /// What is wrong with it.
        detail: String,
    },
    /// 42210: an invalid rule set (Confluent's `RuleSet.validate`), with its message.
    #[error("{0}")]
    InvalidRuleSet(String),
    /// 42211: `DELETE /contexts/{ctx}` of a context that still has subjects.
    #[error("The specified context '{0}' is not empty.")]
    ContextNotEmpty(String),
    /// 50002: the operation did not finish in time (request timeout, or a registration
    /// that kept losing races for its subject's lock).
    #[error("{0}")]
    OperationTimeout(String),
    /// 40301: the caller may not read a subject the request names (a reference of a
    /// submitted schema); the message names the principal, the operation and the subject,
    /// as the authorization middleware words its refusals.
    #[error("{0}")]
    Forbidden(String),
    /// 40470: no KEK, or no DEK of the subject (`DekRegistryErrors.keyNotFoundException`).
    #[error("Key '{0}' not found")]
    KeyNotFound(String),
    /// 40471: a permanent delete of a KEK or DEK that is not soft-deleted.
    #[error("Key '{0}' was not deleted first before being permanently deleted")]
    KeyNotSoftDeleted(String),
    /// 40472: a DEK undelete under a soft-deleted KEK.
    #[error("Key '{0}' must be undeleted first")]
    KeySoftDeleted(String),
    /// 40971: a KEK or DEK that exists already (and differs, or is not soft-deleted).
    #[error("Key '{0}' already exists; use a different value")]
    KeyExists(String),
    /// 42271: a KEK or DEK request whose field (named) is missing or invalid.
    #[error("Invalid or missing value for field '{0}' of key")]
    InvalidKey(String),
    /// 42272: a delete of a KEK that still has DEKs.
    #[error("One or more references exist to the key '{0}'")]
    KeyReferenceExists(String),
    /// 50070: the KEK's KMS could not create or unwrap a DEK (no such KMS configured, a
    /// wrong secret).
    #[error("{0}")]
    DekGeneration(String),
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
            Self::SchemaTooLarge => ErrorCode::SchemaTooLarge,
            Self::AssociationNotFound(_) => ErrorCode::AssociationNotFound,
            Self::AssociationForResourceExists { .. } => ErrorCode::AssociationForResourceExists,
            Self::AssociationForSubjectExists(_) => ErrorCode::AssociationForSubjectExists,
            Self::StrongAssociationForSubjectExists(_) => {
                ErrorCode::StrongAssociationForSubjectExists
            }
            Self::NoActiveSubjectVersionExists(_) => ErrorCode::NoActiveSubjectVersionExists,
            Self::AssociationFrozen { .. } => ErrorCode::AssociationFrozen,
            Self::InvalidAssociation { .. } => ErrorCode::InvalidAssociation,
            Self::InvalidRuleSet(_) => ErrorCode::InvalidRuleSet,
            Self::ContextNotEmpty(_) => ErrorCode::ContextNotEmpty,
            Self::OperationTimeout(_) => ErrorCode::OperationTimeout,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::KeyNotFound(_) => ErrorCode::KeyNotFound,
            Self::KeyNotSoftDeleted(_) => ErrorCode::KeyNotSoftDeleted,
            Self::KeySoftDeleted(_) => ErrorCode::KeySoftDeleted,
            Self::KeyExists(_) => ErrorCode::KeyExists,
            Self::InvalidKey(_) => ErrorCode::InvalidKey,
            Self::KeyReferenceExists(_) => ErrorCode::KeyReferenceExists,
            Self::DekGeneration(_) => ErrorCode::DekGenerationError,
            Self::Store(_) => ErrorCode::StoreError,
        }
    }
}

/// `Result` with the registry's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
