//! Confluent's numeric error codes (`core/.../rest/exceptions/Errors.java`) and the HTTP
//! status each one answers with.

/// One Confluent error code. The HTTP status is `code / 100`, except
/// [`ErrorCode::IncompatibleSchema`] (HTTP 409, error_code 409, as Confluent 7.x clients
/// expect) and the generic HTTP errors whose code equals their status (Confluent's
/// rest-utils answers a malformed body with `{"error_code":400}`, an unknown route with 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: malformed request (bad JSON, bad query parameter).
    BadRequest,
    /// 404: no such route.
    NotFound,
    /// 405: the route exists but not with this method.
    MethodNotAllowed,
    /// 413: the request body exceeds the configured limit.
    PayloadTooLarge,
    /// 415: a content type the API does not take.
    UnsupportedMediaType,
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
    /// 409: the schema is incompatible with an earlier version.
    IncompatibleSchema,
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
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::SubjectNotFound => 40401,
            Self::VersionNotFound => 40402,
            Self::SchemaNotFound => 40403,
            Self::SubjectSoftDeleted => 40404,
            Self::SubjectNotSoftDeleted => 40405,
            Self::VersionSoftDeleted => 40406,
            Self::VersionNotSoftDeleted => 40407,
            Self::SubjectLevelCompatibilityNotConfigured => 40408,
            Self::SubjectLevelModeNotConfigured => 40409,
            Self::IncompatibleSchema => 409,
            Self::InvalidSchema => 42201,
            Self::InvalidVersion => 42202,
            Self::InvalidCompatibilityLevel => 42203,
            Self::InvalidMode => 42204,
            Self::OperationNotPermitted => 42205,
            Self::ReferenceExists => 42206,
            Self::IdDoesNotMatch => 42207,
            Self::InvalidSubject => 42208,
            Self::StoreError => 50001,
            Self::OperationTimeout => 50002,
        }
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
        assert_eq!(ErrorCode::IncompatibleSchema.code(), 409);
        assert_eq!(ErrorCode::StoreError.http_status(), 500);
        assert_eq!(ErrorCode::BadRequest.http_status(), 400);
    }
}
