//! Confluent's numeric error codes (`core/.../rest/exceptions/Errors.java`) and the HTTP
//! status each one answers with.

/// One Confluent error code. The HTTP status is `code / 100`, except the generic HTTP errors
/// whose code equals their status (Confluent's rest-utils answers a malformed body with
/// `{"error_code":400}`, an unknown route with 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: malformed request (bad JSON, bad query parameter).
    BadRequest,
    /// 401: no credentials, or credentials that do not authenticate anyone (Confluent's
    /// rest-utils answers `{"error_code":401}` with a `WWW-Authenticate` challenge).
    Unauthorized,
    /// 40301: the authenticated principal may not do this operation on this subject
    /// (Confluent's RBAC code for an authorization failure).
    Forbidden,
    /// 404: no such route.
    NotFound,
    /// 405: the route exists but not with this method.
    MethodNotAllowed,
    /// 413: the request body exceeds the configured limit.
    PayloadTooLarge,
    /// 429: the caller sent more writes than its rate limit allows (Jetty's `DoSFilter`
    /// answers Confluent's clients 429; they retry it).
    TooManyRequests,
    /// 415: a content type the API does not take.
    UnsupportedMediaType,
    /// 422: a constraint violation of the request itself, as rest-utils'
    /// `ConstraintViolationExceptionMapper` answers it (a missing request body).
    UnprocessableEntity,
    /// 40401: subject not found.
    SubjectNotFound,
    /// 40402: version not found.
    VersionNotFound,
    /// 40403: schema not found.
    SchemaNotFound,
    /// 40404: subject was soft-deleted.
    SubjectSoftDeleted,
    /// 40405: subject not soft-deleted before a permanent delete.
    SubjectNotSoftDeleted,
    /// 40406: version was soft-deleted.
    VersionSoftDeleted,
    /// 40407: version not soft-deleted before a permanent delete.
    VersionNotSoftDeleted,
    /// 40408: no subject-level compatibility config.
    SubjectLevelCompatibilityNotConfigured,
    /// 40409: no subject-level mode.
    SubjectLevelModeNotConfigured,
    /// 40410: no association for the resource (`ASSOCIATION_NOT_FOUND_ERROR_CODE`).
    AssociationNotFound,
    /// 40901 (HTTP 409): the schema is incompatible with an earlier version. Confluent's
    /// `Errors.INCOMPATIBLE_SCHEMA_ERROR_CODE` since 8.0.4, 8.1.2 and 8.2.0; earlier releases
    /// answered error_code 409, which [`ErrorCode::from_code`] still reads as this code.
    IncompatibleSchema,
    /// 40903: an association of this type already exists for the resource.
    AssociationForResourceExists,
    /// 40904: the subject already has an association (a STRONG one needs the subject alone;
    /// a subject with associations cannot be deleted).
    AssociationForSubjectExists,
    /// 40905: the subject already has a STRONG association.
    StrongAssociationForSubjectExists,
    /// 40907: the subject has no live version to associate.
    NoActiveSubjectVersionExists,
    /// 40908: the association is frozen.
    AssociationFrozen,
    /// 42201: invalid schema.
    InvalidSchema,
    /// 42202: invalid version.
    InvalidVersion,
    /// 42203: invalid compatibility level.
    InvalidCompatibilityLevel,
    /// 42204: invalid mode.
    InvalidMode,
    /// 42205: operation not permitted (mode).
    OperationNotPermitted,
    /// 42206: the schema is still referenced by another schema.
    ReferenceExists,
    /// 42207: the id given in IMPORT mode names a different schema.
    IdDoesNotMatch,
    /// 42208: invalid subject name.
    InvalidSubject,
    /// 42209: the schema to register is larger than the registry stores
    /// (`SCHEMA_TOO_LARGE_ERROR_CODE`; Confluent answers it when the record exceeds its
    /// Kafka topic's `message.max.bytes`).
    SchemaTooLarge,
    /// 42210: an invalid rule set (`RestInvalidRuleSetException`: a rule without a name or
    /// type, two rules with one name, a rule in the wrong mode for its list).
    InvalidRuleSet,
    /// 42211: the context to delete still has subjects (`RestContextNotEmptyException`).
    ContextNotEmpty,
    /// 42212: an association request with an invalid property.
    InvalidAssociation,
    /// 40470: no KEK or DEK of this name (`DekRegistryErrors.KEY_NOT_FOUND_ERROR_CODE`).
    KeyNotFound,
    /// 40471: a KEK or DEK not soft-deleted before a permanent delete.
    KeyNotSoftDeleted,
    /// 40472: the KEK is soft-deleted and must be undeleted first.
    KeySoftDeleted,
    /// 40971: a KEK or DEK of this name already exists.
    KeyExists,
    /// 42271: a KEK or DEK request with an invalid or missing field.
    InvalidKey,
    /// 42272: the KEK still has DEKs.
    KeyReferenceExists,
    /// 50070: the registry could not create or unwrap a DEK with the KEK's KMS.
    DekGenerationError,
    /// 50001: storage error.
    StoreError,
    /// 50002: operation timed out.
    OperationTimeout,
}

impl ErrorCode {
    /// The numeric `error_code` of the response body.
    pub fn code(self) -> u32 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 40301,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::PayloadTooLarge => 413,
            Self::TooManyRequests => 429,
            Self::UnsupportedMediaType => 415,
            Self::UnprocessableEntity => 422,
            Self::SubjectNotFound => 40401,
            Self::VersionNotFound => 40402,
            Self::SchemaNotFound => 40403,
            Self::SubjectSoftDeleted => 40404,
            Self::SubjectNotSoftDeleted => 40405,
            Self::VersionSoftDeleted => 40406,
            Self::VersionNotSoftDeleted => 40407,
            Self::SubjectLevelCompatibilityNotConfigured => 40408,
            Self::SubjectLevelModeNotConfigured => 40409,
            Self::AssociationNotFound => 40410,
            Self::IncompatibleSchema => 40901,
            Self::AssociationForResourceExists => 40903,
            Self::AssociationForSubjectExists => 40904,
            Self::StrongAssociationForSubjectExists => 40905,
            Self::NoActiveSubjectVersionExists => 40907,
            Self::AssociationFrozen => 40908,
            Self::InvalidSchema => 42201,
            Self::InvalidVersion => 42202,
            Self::InvalidCompatibilityLevel => 42203,
            Self::InvalidMode => 42204,
            Self::OperationNotPermitted => 42205,
            Self::ReferenceExists => 42206,
            Self::IdDoesNotMatch => 42207,
            Self::InvalidSubject => 42208,
            Self::SchemaTooLarge => 42209,
            Self::InvalidRuleSet => 42210,
            Self::ContextNotEmpty => 42211,
            Self::InvalidAssociation => 42212,
            Self::KeyNotFound => 40470,
            Self::KeyNotSoftDeleted => 40471,
            Self::KeySoftDeleted => 40472,
            Self::KeyExists => 40971,
            Self::InvalidKey => 42271,
            Self::KeyReferenceExists => 42272,
            Self::DekGenerationError => 50070,
            Self::StoreError => 50001,
            Self::OperationTimeout => 50002,
        }
    }

    /// The code whose [`ErrorCode::code`] is `code`, `None` for a number outside the table
    /// (another registry's extension, or no error at all). The inverse of `code()`, which also
    /// reads the older incompatible-schema code 409.
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            40301 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            413 => Self::PayloadTooLarge,
            429 => Self::TooManyRequests,
            415 => Self::UnsupportedMediaType,
            422 => Self::UnprocessableEntity,
            40401 => Self::SubjectNotFound,
            40402 => Self::VersionNotFound,
            40403 => Self::SchemaNotFound,
            40404 => Self::SubjectSoftDeleted,
            40405 => Self::SubjectNotSoftDeleted,
            40406 => Self::VersionSoftDeleted,
            40407 => Self::VersionNotSoftDeleted,
            40408 => Self::SubjectLevelCompatibilityNotConfigured,
            40409 => Self::SubjectLevelModeNotConfigured,
            40410 => Self::AssociationNotFound,
            // 409 is the code of Confluent releases before 8.0.4 (and 8.1.0-8.1.1).
            40901 | 409 => Self::IncompatibleSchema,
            40903 => Self::AssociationForResourceExists,
            40904 => Self::AssociationForSubjectExists,
            40905 => Self::StrongAssociationForSubjectExists,
            40907 => Self::NoActiveSubjectVersionExists,
            40908 => Self::AssociationFrozen,
            42201 => Self::InvalidSchema,
            42202 => Self::InvalidVersion,
            42203 => Self::InvalidCompatibilityLevel,
            42204 => Self::InvalidMode,
            42205 => Self::OperationNotPermitted,
            42206 => Self::ReferenceExists,
            42207 => Self::IdDoesNotMatch,
            42208 => Self::InvalidSubject,
            42209 => Self::SchemaTooLarge,
            42210 => Self::InvalidRuleSet,
            42211 => Self::ContextNotEmpty,
            42212 => Self::InvalidAssociation,
            40470 => Self::KeyNotFound,
            40471 => Self::KeyNotSoftDeleted,
            40472 => Self::KeySoftDeleted,
            40971 => Self::KeyExists,
            42271 => Self::InvalidKey,
            42272 => Self::KeyReferenceExists,
            50070 => Self::DekGenerationError,
            50001 => Self::StoreError,
            50002 => Self::OperationTimeout,
            _ => return None,
        })
    }

    /// The HTTP status: three-digit codes are the status itself, five-digit codes carry it
    /// in their first three digits.
    pub fn http_status(self) -> u16 {
        let code = self.code();
        if code < 1000 {
            code as u16
        } else {
            (code / 100) as u16
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn http_status_derives_from_the_code() {
        assert_eq!(ErrorCode::SubjectNotFound.http_status(), 404);
        assert_eq!(ErrorCode::InvalidSchema.http_status(), 422);
        assert_eq!(ErrorCode::IncompatibleSchema.http_status(), 409);
        assert_eq!(ErrorCode::IncompatibleSchema.code(), 40901);
        assert_eq!(
            ErrorCode::from_code(409),
            Some(ErrorCode::IncompatibleSchema)
        );
        assert_eq!(ErrorCode::StoreError.http_status(), 500);
        assert_eq!(ErrorCode::BadRequest.http_status(), 400);
    }

    #[test]
    fn from_code_is_the_inverse_of_code_for_every_variant() {
        // Listed through an exhaustive match, so a new variant fails to compile here until
        // it is added to the list (and to `from_code`).
        let every = |c: ErrorCode| match c {
            ErrorCode::BadRequest
            | ErrorCode::Unauthorized
            | ErrorCode::Forbidden
            | ErrorCode::NotFound
            | ErrorCode::MethodNotAllowed
            | ErrorCode::PayloadTooLarge
            | ErrorCode::TooManyRequests
            | ErrorCode::UnsupportedMediaType
            | ErrorCode::UnprocessableEntity
            | ErrorCode::SubjectNotFound
            | ErrorCode::VersionNotFound
            | ErrorCode::SchemaNotFound
            | ErrorCode::SubjectSoftDeleted
            | ErrorCode::SubjectNotSoftDeleted
            | ErrorCode::VersionSoftDeleted
            | ErrorCode::VersionNotSoftDeleted
            | ErrorCode::SubjectLevelCompatibilityNotConfigured
            | ErrorCode::SubjectLevelModeNotConfigured
            | ErrorCode::AssociationNotFound
            | ErrorCode::IncompatibleSchema
            | ErrorCode::AssociationForResourceExists
            | ErrorCode::AssociationForSubjectExists
            | ErrorCode::StrongAssociationForSubjectExists
            | ErrorCode::NoActiveSubjectVersionExists
            | ErrorCode::AssociationFrozen
            | ErrorCode::InvalidSchema
            | ErrorCode::InvalidVersion
            | ErrorCode::InvalidCompatibilityLevel
            | ErrorCode::InvalidMode
            | ErrorCode::OperationNotPermitted
            | ErrorCode::ReferenceExists
            | ErrorCode::IdDoesNotMatch
            | ErrorCode::InvalidSubject
            | ErrorCode::SchemaTooLarge
            | ErrorCode::InvalidRuleSet
            | ErrorCode::ContextNotEmpty
            | ErrorCode::InvalidAssociation
            | ErrorCode::KeyNotFound
            | ErrorCode::KeyNotSoftDeleted
            | ErrorCode::KeySoftDeleted
            | ErrorCode::KeyExists
            | ErrorCode::InvalidKey
            | ErrorCode::KeyReferenceExists
            | ErrorCode::DekGenerationError
            | ErrorCode::StoreError
            | ErrorCode::OperationTimeout => c,
        };
        let all = [
            ErrorCode::BadRequest,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::TooManyRequests,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::UnprocessableEntity,
            ErrorCode::SubjectNotFound,
            ErrorCode::VersionNotFound,
            ErrorCode::SchemaNotFound,
            ErrorCode::SubjectSoftDeleted,
            ErrorCode::SubjectNotSoftDeleted,
            ErrorCode::VersionSoftDeleted,
            ErrorCode::VersionNotSoftDeleted,
            ErrorCode::SubjectLevelCompatibilityNotConfigured,
            ErrorCode::SubjectLevelModeNotConfigured,
            ErrorCode::AssociationNotFound,
            ErrorCode::IncompatibleSchema,
            ErrorCode::AssociationForResourceExists,
            ErrorCode::AssociationForSubjectExists,
            ErrorCode::StrongAssociationForSubjectExists,
            ErrorCode::NoActiveSubjectVersionExists,
            ErrorCode::AssociationFrozen,
            ErrorCode::InvalidSchema,
            ErrorCode::InvalidVersion,
            ErrorCode::InvalidCompatibilityLevel,
            ErrorCode::InvalidMode,
            ErrorCode::OperationNotPermitted,
            ErrorCode::ReferenceExists,
            ErrorCode::IdDoesNotMatch,
            ErrorCode::InvalidSubject,
            ErrorCode::SchemaTooLarge,
            ErrorCode::InvalidRuleSet,
            ErrorCode::ContextNotEmpty,
            ErrorCode::InvalidAssociation,
            ErrorCode::KeyNotFound,
            ErrorCode::KeyNotSoftDeleted,
            ErrorCode::KeySoftDeleted,
            ErrorCode::KeyExists,
            ErrorCode::InvalidKey,
            ErrorCode::KeyReferenceExists,
            ErrorCode::DekGenerationError,
            ErrorCode::StoreError,
            ErrorCode::OperationTimeout,
        ];
        for code in all.map(every) {
            assert_eq!(ErrorCode::from_code(code.code()), Some(code), "{code:?}");
        }
        // And nothing else: every number `from_code` knows is a variant's code (or 409, the
        // incompatible-schema code of older Confluent releases), and it knows as many numbers
        // as there are variants, plus that one.
        let known: Vec<(u32, ErrorCode)> = (0..100_000)
            .filter_map(|n| ErrorCode::from_code(n).map(|c| (n, c)))
            .filter(|&(n, _)| n != 409)
            .collect();
        for (n, code) in &known {
            assert_eq!(code.code(), *n, "{code:?}");
        }
        assert_eq!(known.len(), all.len(), "a variant is missing from the list");
    }
}
