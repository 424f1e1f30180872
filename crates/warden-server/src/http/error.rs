//! `ApiError`: every failure of the HTTP API, rendered as Confluent's
//! `{"error_code": …, "message": …}` with the matching HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use warden_core::ErrorCode;
use warden_core::api::ErrorBody;

use crate::error::Error;
use crate::http::sr_json;

/// An error answered by the API.
#[derive(Debug)]
pub enum ApiError {
    /// A registry outcome (404xx, 40901, 422xx, 500xx).
    Registry(Error),
    /// A transport-level refusal with its own code and message (400, 404, 405, 413, 415).
    Http(ErrorCode, String),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self::Registry(e)
    }
}

impl ApiError {
    /// 400 with a reason (malformed JSON, bad query parameter).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::Http(ErrorCode::BadRequest, message.into())
    }

    /// 404 for a route or path parameter that names nothing.
    pub fn not_found() -> Self {
        Self::Http(ErrorCode::NotFound, "HTTP 404 Not Found".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, message) = match self {
            Self::Registry(e) => {
                let code = e.code();
                if let Error::Store(cause) = &e {
                    // The body stays generic; the cause is logged once, in the request span.
                    tracing::error!(error = %cause, "store error");
                }
                (code, e.to_string())
            }
            Self::Http(code, message) => (code, message),
        };
        let body = ErrorBody {
            error_code: code.code(),
            message,
        };
        let status =
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        sr_json(status, &body)
    }
}
