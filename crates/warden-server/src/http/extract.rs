//! Extractors that accept what Confluent's server accepts and refuse in its error format.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Query, RawPathParams, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use warden_core::api::RegisterSchemaRequest;
use warden_core::jackson::JacksonRequest;
use warden_core::{ErrorCode, Subject};

use crate::error::Error;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::registry::{AnswerSlot, SchemaSubmission};

/// A JSON request body under any of the content types Confluent accepts:
/// `application/vnd.schemaregistry.v1+json`, `application/vnd.schemaregistry+json`,
/// `application/json`, `application/octet-stream`, or none at all.
///
/// The body is read as Confluent's Jackson reads its request class
/// ([`warden_core::jackson`]): coercions, unknown fields ignored, and mapping errors as 400
/// with Jackson's message.
///
/// Refusals: 415 for another content type, 413 over the body limit, 422 for an empty body or
/// `null` (a null entity, [`null_entity`]), 400 for a malformed body, one Jackson cannot map,
/// or one that ends before its declared length (the client closed the connection).
#[derive(Debug)]
pub(crate) struct SrBody<T>(pub T);

impl<S, T> FromRequest<S> for SrBody<T>
where
    S: Send + Sync,
    T: JacksonRequest,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = RequestBody::read(req, state).await?;
        body.as_jackson().map(SrBody)
    }
}

/// A read whose 200 answer is kept by its URL (path and query, as routed): the body of the
/// answer kept for the same URL while nothing it rests on changed since
/// ([`crate::registry::Registry::known_read`]), or else the request's parts as `T`
/// extracts them and where its answer goes, with the route that answers it. `GET
/// /subjects/{subject}/versions/{version}` (clients read `latest` at every start) and `GET
/// /schemas/ids/{id}` (deserializers read it for every new id) take it. A kept answer is
/// found before routing when no security layer is in force and the URL needs no alias
/// look-up ([`super::Api`]); otherwise here, where it skips the path and query parsing,
/// the subject's checks and the versions' look-up.
///
/// It runs after authorization (a route layer), so a kept answer is only ever served to a
/// principal the route admits; the route does not filter its answer by principal.
///
/// Refusals: those of `T`.
#[derive(Debug)]
pub(crate) enum KeptRead<T> {
    /// The body of the answer kept for this URL (a 200).
    Answered(Bytes),
    /// The request's parts, and where its answer goes
    /// ([`crate::registry::Registry::keep_answer`]).
    Unknown(T, AnswerSlot),
}

impl<T> FromRequestParts<AppState> for KeptRead<T>
where
    T: FromRequestParts<AppState>,
    T::Rejection: IntoResponse,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let uri = parts.uri.path_and_query().map_or("", |p| p.as_str());
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        match state.known_read(uri, route) {
            Ok(answer) => Ok(Self::Answered(answer)),
            Err(slot) => T::from_request_parts(parts, state)
                .await
                .map(|parts| Self::Unknown(parts, slot))
                .map_err(IntoResponse::into_response),
        }
    }
}

/// A schema submitted in a body (`RegisterSchemaRequest`: registration, lookup and
/// compatibility check), read as [`SrBody`] reads it and then typed
/// ([`SchemaSubmission`]), unless the same request was answered before and nothing it rests
/// on changed since ([`crate::registry::Registry::known_answer`]). A body read twice
/// without error is kept at its second reading, and from then on answered from memory
/// without being read ([`crate::registry::Registry::known_submission`]).
///
/// Refusals: those of [`SrBody`]. The typing's errors are held in the value, for the
/// handler to answer in Confluent's order (after the subject's, for a lookup): 42201 for an
/// id past a Java `int` or an invalid schema type or reference, 42202 for a version past a
/// Java `int`, 400 for metadata or a rule set of the wrong shape.
#[derive(Debug)]
// Made once per request and moved once into its handler: boxing the submission would cost an
// allocation per request for no gain.
#[allow(clippy::large_enum_variant)]
pub(crate) enum SubmissionBody {
    /// The body of the answer kept for this request (a 200).
    Answered(Bytes),
    /// The submission to handle, and where its answer goes ([`SubmissionBody::answer`]).
    Submitted(Result<SchemaSubmission, ApiError>, AnswerSlot),
}

impl FromRequest<AppState> for SubmissionBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let target = req.uri().clone();
        let uri = target.path_and_query().map_or("", |p| p.as_str());
        let body = RequestBody::read(req, state).await?;
        let slot = match state.known_answer(uri, &body.bytes) {
            Ok(answer) => return Ok(Self::Answered(answer)),
            Err(slot) => slot,
        };
        if let Some(known) = state.known_submission(&body.bytes) {
            return Ok(Self::Submitted(Ok(known), slot));
        }
        let submission = submission(body.as_jackson()?);
        if let Ok(submission) = &submission {
            state.keep_submission(&body.bytes, submission);
        }
        Ok(Self::Submitted(submission, slot))
    }
}

impl SubmissionBody {
    /// The 200 answer `handle` makes of the submission (the body's bytes), kept for the
    /// same request while nothing changes; or the answer kept already, without calling
    /// `handle`. An error is answered as it is and not kept.
    ///
    /// Errors: `handle`'s.
    pub(crate) async fn answer<F, Fut>(
        self,
        state: &AppState,
        handle: F,
    ) -> Result<axum::response::Response, ApiError>
    where
        F: FnOnce(Result<SchemaSubmission, ApiError>) -> Fut,
        Fut: Future<Output = Result<Bytes, ApiError>>,
    {
        let answer = match self {
            Self::Answered(answer) => answer,
            Self::Submitted(submission, slot) => {
                let answer = handle(submission).await?;
                state.keep_answer(slot, &answer);
                answer
            }
        };
        Ok(crate::http::sr_bytes(StatusCode::OK, answer))
    }
}

/// The schema a body submits. Its `id` and `version` are Java `int`s, as in Confluent's
/// request class, whichever endpoint takes the body: an id past the range is 42201, a
/// version past it 42202 (only IMPORT-mode registrations use them).
fn submission(body: RegisterSchemaRequest) -> Result<SchemaSubmission, ApiError> {
    if let Some(id) = body.id.filter(|id| i32::try_from(*id).is_err()) {
        return Err(Error::InvalidSchema(format!("Schema id {id} is not a 32-bit integer")).into());
    }
    if let Some(v) = body.version.filter(|v| i32::try_from(*v).is_err()) {
        return Err(
            Error::InvalidVersion(format!("The specified version '{v}' is not valid")).into(),
        );
    }
    Ok(SchemaSubmission::from_request(body)?)
}

/// A request body read in full under an accepted content type, with what its refusals name.
struct RequestBody {
    method: Method,
    /// The matched route, which names the Java parameter of a null entity.
    matched: Option<MatchedPath>,
    bytes: Bytes,
}

impl RequestBody {
    /// Reads `req`'s body. Refusals: 415 for a content type Confluent does not accept, 413
    /// over the body limit, 400 for a body that ends before its declared length.
    async fn read<S: Send + Sync>(req: Request, state: &S) -> Result<Self, ApiError> {
        let method = req.method().clone();
        let matched = req.extensions().get::<MatchedPath>().cloned();
        if let Some(ct) = req.headers().get(CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
            let essence = ct.split(';').next().unwrap_or_default().trim();
            let accepted = essence.is_empty()
                || essence == "application/json"
                || essence == "application/octet-stream"
                || (essence.starts_with("application/") && essence.ends_with("+json"));
            if !accepted {
                return Err(ApiError::Http(
                    ErrorCode::UnsupportedMediaType,
                    format!("HTTP 415 Unsupported Media Type: {essence}"),
                ));
            }
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e: BytesRejection| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::Http(
                        ErrorCode::PayloadTooLarge,
                        "Request body is larger than the configured limit (--max-body-bytes)"
                            .into(),
                    )
                } else {
                    // The client closed the connection before the body's declared end:
                    // Confluent's answer to Jetty's `EofException`
                    // (`JettyEofExceptionMapper`).
                    tracing::debug!(error = %e, "the request body ended early");
                    ApiError::bad_request(
                        "EOF Exception encountered - client disconnected during stream \
                         processing.",
                    )
                }
            })?;
        Ok(Self {
            method,
            matched,
            bytes,
        })
    }

    /// The body as Jackson reads `T`. Refusals: 422 for an empty body or `null`, 400 for a
    /// malformed body or one Jackson cannot map.
    fn as_jackson<T: JacksonRequest>(&self) -> Result<T, ApiError> {
        let null = || null_entity(&self.method, self.matched.as_ref().map(MatchedPath::as_str));
        let Some(value) = first_json_value(&self.bytes)? else {
            return Err(null());
        };
        match warden_core::jackson::read::<T>(&value) {
            Ok(Some(body)) => Ok(body),
            Ok(None) => Err(null()),
            Err(message) => Err(ApiError::bad_request(message)),
        }
    }
}

/// The first JSON value of the body, as Jackson's `ObjectMapper.readValue` reads it: what
/// follows it is not read (`FAIL_ON_TRAILING_TOKENS` is off by default); `None` for a body of
/// only whitespace (`ProviderBase.readFrom`: no first token). A syntax error is 400, error
/// code 400 (rest-utils' `JsonParseExceptionMapper`; the message is serde_json's, not
/// Jackson's).
pub(super) fn first_json_value(bytes: &[u8]) -> Result<Option<serde_json::Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<serde_json::Value>()
        .next()
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
}

/// Confluent's answer when the request entity is null (an empty body, or `null`): the
/// jackson-jakarta-rs provider reads an empty body as null (`JaxRSFeature.ALLOW_EMPTY_INPUT`,
/// on by default), Jackson reads `null` as null, and the resource's `@NotNull` parameter
/// fails Jersey's bean validation: 422, error code 422, `ConstraintViolations.format`:
/// "{path} must not be null (was null)".
///
/// The path is the Java method's name and the parameter's position (`arg5`: Confluent is
/// compiled without `-parameters`, so Hibernate Validator names parameters by position), in
/// the resource classes of Confluent 7.9 to 8.3 (`SubjectVersionsResource.register`: `arg5`;
/// the unreleased 8.4+ line adds a `force` parameter before the body, `arg6`). Certain: the
/// message's format and the signatures; confirmed by answers Confluent users quote
/// ("register.arg4 must not be null (was null)" from 7.2, whose `register` had one parameter
/// less).
fn null_entity(method: &Method, matched: Option<&str>) -> ApiError {
    let path = matched.unwrap_or_default().trim_end_matches('/');
    let parameter = match (method.as_str(), path) {
        ("POST", p) if p.ends_with("/compatibility/subjects/{subject}/versions/{version}") => {
            "testCompatibilityBySubjectName.arg4"
        }
        ("POST", p) if p.ends_with("/compatibility/subjects/{subject}/versions") => {
            "testCompatibilityForSubject.arg3"
        }
        ("POST", p) if p.ends_with("/subjects/{subject}/versions/{version}/tags") => {
            "modifyTags.arg4"
        }
        ("POST", p) if p.ends_with("/subjects/{subject}/versions") => "register.arg5",
        ("POST", p) if p.ends_with("/subjects/{subject}") => "lookUpSchemaUnderSubject.arg5",
        ("PUT", p) if p.ends_with("/config/{subject}") => "updateSubjectLevelConfig.arg2",
        ("PUT", p) if p.ends_with("/config") => "updateTopLevelConfig.arg1",
        ("PUT", p) if p.ends_with("/mode/{subject}") => "updateMode.arg2",
        ("PUT", p) if p.ends_with("/mode") => "updateTopLevelMode.arg1",
        ("POST", "/associations") => "createAssociation.arg4",
        ("PUT", "/associations/resources/{resourceId}") => "createOrUpdateAssociation.arg5",
        ("POST", "/associations:batchGet") => "batchGetAssociations.arg1",
        ("POST", "/associations:batchMutate") => "mutateAssociations.arg4",
        _ => "request",
    };
    ApiError::Http(
        ErrorCode::UnprocessableEntity,
        format!("{parameter} must not be null (was null)"),
    )
}

/// Query parameters; a value that does not deserialize is a 400 in the API's format.
#[derive(Debug)]
pub(crate) struct SrQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for SrQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| SrQuery(q))
            .map_err(|e: QueryRejection| ApiError::bad_request(e.body_text()))
    }
}

/// Path parameters; a segment that is not valid percent-encoded UTF-8 is a 404.
#[derive(Debug)]
pub(crate) struct SrPath<T>(pub T);

impl<S, T> FromRequestParts<S> for SrPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(p)| SrPath(p))
            .map_err(|_| ApiError::not_found())
    }
}

/// The query parameters the API takes, all optional; unknown ones are ignored as Confluent
/// does. Flags read as Java's `Boolean.valueOf` (JAX-RS's conversion of a `boolean`
/// parameter): `true` in any case is true, and every other value (`False`, `1`, `yes`, an
/// empty string) or an absent parameter is false, so `?normalize=False` from Python's
/// `str(bool)` works.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Params {
    /// Include soft-deleted items.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) deleted: bool,
    /// Only soft-deleted items.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) deleted_only: bool,
    /// Subject name prefix filter.
    pub(crate) subject_prefix: Option<String>,
    /// `GET /schemas`: only the latest version per subject.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) latest_only: bool,
    /// `GET /schemas`: list aliases and the versions of aliased subjects.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) aliases: bool,
    /// Hard delete.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) permanent: bool,
    /// Normalize the schema before register, lookup or check.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) normalize: bool,
    /// Return compatibility messages.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) verbose: bool,
    /// Fall back to the global config or mode.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) default_to_global: bool,
    /// Force a mode change to IMPORT over existing schemas.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) force: bool,
    /// `DELETE /mode`: also remove the modes of the context's subjects.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) recursive: bool,
    /// Schema reads: the text's output format (`resolved`, `ignore_extensions`,
    /// `serialized`; see `warden_core::SchemaFormat`).
    pub(crate) format: Option<String>,
    /// Lists: how many items to skip (a Java `int`, [`Params::page`]).
    pub(crate) offset: Option<String>,
    /// Lists: how many items at most (a Java `int`; not positive is the default).
    pub(crate) limit: Option<String>,
    /// `GET /subjects/{s}/versions`: soft-deleted versions as negative numbers.
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) deleted_as_negative: bool,
    /// `GET /schemas/ids/{id}`: also answer the highest schema id (`maxId`).
    #[serde(default, deserialize_with = "java_bool")]
    pub(crate) fetch_max_id: bool,
    /// `GET /schemas`: only schemas whose rule set has a rule of this type.
    pub(crate) rule_type: Option<String>,
    /// `GET /schemas/ids/{id}`: the subject whose version to answer.
    pub(crate) subject: Option<String>,
    /// `qualified`: reference subjects answered qualified by the referrer's context
    /// (Confluent's `referenceFormat`).
    pub(crate) reference_format: Option<String>,
}

/// A page of a list: the items to skip and the most to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    /// Items skipped.
    pub(crate) offset: usize,
    /// The most items returned.
    pub(crate) limit: usize,
}

impl Page {
    /// This page of `items`.
    pub(crate) fn of<T>(self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect()
    }
}

impl Params {
    /// `offset` and `limit` as Confluent's resources read them (`@DefaultValue("0")` and
    /// `@DefaultValue("-1")` Java `int`s, then `normalizeLimit`): a limit that is not
    /// positive or is above `max_limit` is `default_limit`. Confluent's defaults: 1000 (and
    /// at most 1000) for `GET /schemas` and `referencedby`, unbounded elsewhere. An absent
    /// or blank value is the default; text that is not an `int` is 404, as Jersey answers a
    /// query parameter it cannot convert. A negative offset skips nothing (Confluent answers
    /// it with a 500 from Java's `Stream.skip`).
    pub(crate) fn page(&self, default_limit: usize, max_limit: usize) -> Result<Page, ApiError> {
        let int = |v: &Option<String>| -> Result<Option<i32>, ApiError> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(t) => t.parse().map(Some).map_err(|_| ApiError::not_found()),
            }
        };
        let offset = int(&self.offset)?.unwrap_or(0).max(0) as usize;
        let limit = match int(&self.limit)? {
            Some(n) if n > 0 && n as usize <= max_limit => n as usize,
            _ => default_limit,
        };
        Ok(Page { offset, limit })
    }
}

/// Java's `Boolean.valueOf(String)`: true exactly when the text is `true`, ignoring case.
fn java_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    Ok(java_bool_text(&text))
}

/// Java's `Boolean.valueOf`: `true` in any case is true, anything else false.
pub(super) fn java_bool_text(text: &str) -> bool {
    text.eq_ignore_ascii_case("true")
}

/// The scope of a `/config` or `/mode` request: `None` for the registry-wide route,
/// `Some(subject)` for `/config/{subject}` and `/mode/{subject}` (percent-decoded).
/// An invalid subject is 42208.
#[derive(Debug)]
pub(crate) struct SrScope(pub(crate) Option<Subject>);

impl<S> FromRequestParts<S> for SrScope
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        let subject = (&params)
            .into_iter()
            .find(|(key, _)| *key == "subject")
            .map(|(_, value)| {
                Subject::parse(value).map_err(|e| Error::InvalidSubject(e.to_string()))
            })
            .transpose()?
            // As Confluent normalizes it: `:.:` is the registry-wide scope, `:.:s` is `s`.
            .and_then(|s| s.normalized());
        Ok(SrScope(subject))
    }
}
