//! The DEK registry API (Confluent's `DekRegistryResource`, `/dek-registry/v1/keks…`):
//! KEKs and the DEKs they wrap, which Confluent's clients fetch and create when they run
//! `ENCRYPT` rules. Handlers extract, call the [`Registry`](crate::registry::Registry)
//! (`registry::dek`), and map.
//!
//! Not in the OpenAPI description (`/openapi.json`) yet.

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};
use warden_core::encryption::DekAlgorithm;
use warden_core::jackson::JacksonRequest;

use super::associations::query_pairs;
use super::extract::{SrBody, SrPath, java_bool_text as java_bool};
use super::{ApiError, AppState, sr_json};
use crate::error::Error;
use crate::registry::dek::{CreateDek, CreateKek, LATEST_DEK_VERSION, UpdateKek};

type ApiResult = Result<Response, ApiError>;

/// The DEK registry's routes.
pub(super) fn router() -> Router<AppState> {
    const KEKS: &str = "/dek-registry/v1/keks";
    Router::new()
        .route(KEKS, get(kek_names).post(create_kek))
        .route(
            &format!("{KEKS}/{{name}}"),
            get(get_kek).put(update_kek).delete(delete_kek),
        )
        .route(&format!("{KEKS}/{{name}}/test"), post(test_kek))
        .route(&format!("{KEKS}/{{name}}/undelete"), post(undelete_kek))
        .route(
            &format!("{KEKS}/{{name}}/deks"),
            get(dek_subjects).post(create_dek),
        )
        .route(
            &format!("{KEKS}/{{name}}/deks/{{subject}}"),
            get(get_latest_dek)
                .post(create_dek_of_subject)
                .delete(delete_deks),
        )
        .route(
            &format!("{KEKS}/{{name}}/deks/{{subject}}/undelete"),
            post(undelete_deks),
        )
        .route(
            &format!("{KEKS}/{{name}}/deks/{{subject}}/versions"),
            get(dek_versions),
        )
        .route(
            &format!("{KEKS}/{{name}}/deks/{{subject}}/versions/{{version}}"),
            get(get_dek).delete(delete_dek_version),
        )
        .route(
            &format!("{KEKS}/{{name}}/deks/{{subject}}/versions/{{version}}/undelete"),
            post(undelete_dek_version),
        )
}

/// The query parameters of the resource, read as JAX-RS reads them: flags as
/// `Boolean.valueOf`, `subjectPrefix` repeated, `algorithm` as `DekFormat.valueOf` (another
/// value is Jersey's 404), `offset` and `limit` as Java `int`s (not an int: 404; a limit
/// that is not positive: all). Unknown parameters are ignored.
#[derive(Debug, Default)]
struct DekParams {
    deleted: bool,
    permanent: bool,
    test_sharing: bool,
    algorithm: DekAlgorithm,
    subject_prefix: Vec<String>,
    offset: usize,
    limit: Option<usize>,
}

impl DekParams {
    fn page<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .skip(self.offset)
            .take(self.limit.unwrap_or(usize::MAX))
            .collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DekParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut params = DekParams::default();
        let int = |v: &str| v.trim().parse::<i32>().map_err(|_| ApiError::not_found());
        for (key, value) in query_pairs(parts.uri.query().unwrap_or_default()) {
            match key.as_str() {
                "deleted" => params.deleted = java_bool(&value),
                "permanent" => params.permanent = java_bool(&value),
                "testSharing" => params.test_sharing = java_bool(&value),
                "subjectPrefix" => params.subject_prefix.push(value),
                "algorithm" if !value.is_empty() => {
                    params.algorithm =
                        DekAlgorithm::parse(&value).ok_or_else(ApiError::not_found)?;
                }
                "offset" if !value.trim().is_empty() => {
                    params.offset = usize::try_from(int(&value)?).unwrap_or(0);
                }
                "limit" if !value.trim().is_empty() => {
                    params.limit = usize::try_from(int(&value)?).ok().filter(|&n| n > 0);
                }
                _ => {}
            }
        }
        Ok(params)
    }
}

/// A request body read with serde over the object's fields; a field of the wrong type is
/// Jackson's 400 with serde's message.
fn from_fields<T: serde::de::DeserializeOwned>(fields: &Map<String, Value>) -> Result<T, String> {
    serde_json::from_value(Value::Object(fields.clone())).map_err(|e| e.to_string())
}

impl JacksonRequest for CreateKek {
    const CLASS: &'static str = "CreateKekRequest";
    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String> {
        from_fields(fields)
    }
}

impl JacksonRequest for UpdateKek {
    const CLASS: &'static str = "UpdateKekRequest";
    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String> {
        from_fields(fields)
    }
}

impl JacksonRequest for CreateDek {
    const CLASS: &'static str = "CreateDekRequest";
    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String> {
        let request: CreateDek = from_fields(fields)?;
        if let Some(a) = request.algorithm.as_deref()
            && DekAlgorithm::parse(a).is_none()
        {
            return Err(format!(
                "Cannot deserialize value of type `DekFormat` from String \"{a}\": not one of \
                 the values accepted for Enum class: [AES128_GCM, AES256_GCM, AES256_SIV]"
            ));
        }
        Ok(request)
    }
}

/// A `{version}` path segment: a positive Java `int`, or `latest` / `-1` for the latest
/// DEK; anything else is 42202 (Confluent's `VersionId`).
fn version(text: &str) -> Result<i32, ApiError> {
    match text {
        "latest" => Ok(LATEST_DEK_VERSION),
        t => match t.parse::<i32>() {
            Ok(v) if v >= 1 || v == LATEST_DEK_VERSION => Ok(v),
            _ => Err(Error::InvalidVersion(format!(
                "The specified version '{t}' is not a valid version id. Allowed values are \
                 between [1, 2^31-1] and the string \"latest\""
            ))
            .into()),
        },
    }
}

fn ok<T: serde::Serialize>(body: &T) -> ApiResult {
    Ok(sr_json(StatusCode::OK, body))
}

fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn kek_names(State(r): State<AppState>, q: DekParams) -> ApiResult {
    ok(&q.page(r.kek_names(&q.subject_prefix, q.deleted).await?))
}

async fn get_kek(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    q: DekParams,
) -> ApiResult {
    ok(&r.get_kek(&name, q.deleted).await?)
}

async fn create_kek(
    State(r): State<AppState>,
    q: DekParams,
    SrBody(body): SrBody<CreateKek>,
) -> ApiResult {
    ok(&r.create_kek(body, q.test_sharing).await?)
}

async fn update_kek(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    q: DekParams,
    SrBody(body): SrBody<UpdateKek>,
) -> ApiResult {
    ok(&r.update_kek(&name, body, q.test_sharing).await?)
}

async fn delete_kek(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    q: DekParams,
) -> ApiResult {
    r.delete_kek(&name, q.permanent).await?;
    no_content()
}

async fn test_kek(State(r): State<AppState>, SrPath(name): SrPath<String>) -> ApiResult {
    ok(&r.test_shared_kek(&name).await?)
}

async fn undelete_kek(State(r): State<AppState>, SrPath(name): SrPath<String>) -> ApiResult {
    r.undelete_kek(&name).await?;
    no_content()
}

async fn dek_subjects(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    q: DekParams,
) -> ApiResult {
    ok(&q.page(r.dek_subjects(&name, q.deleted).await?))
}

async fn create_dek(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    SrBody(body): SrBody<CreateDek>,
) -> ApiResult {
    ok(&r.create_dek(&name, None, body).await?)
}

async fn create_dek_of_subject(
    State(r): State<AppState>,
    SrPath((name, subject)): SrPath<(String, String)>,
    SrBody(body): SrBody<CreateDek>,
) -> ApiResult {
    ok(&r.create_dek(&name, Some(&subject), body).await?)
}

async fn get_latest_dek(
    State(r): State<AppState>,
    SrPath((name, subject)): SrPath<(String, String)>,
    q: DekParams,
) -> ApiResult {
    ok(&r
        .get_dek(&name, &subject, LATEST_DEK_VERSION, q.algorithm, q.deleted)
        .await?)
}

async fn dek_versions(
    State(r): State<AppState>,
    SrPath((name, subject)): SrPath<(String, String)>,
    q: DekParams,
) -> ApiResult {
    ok(&q.page(
        r.dek_versions(&name, &subject, q.algorithm, q.deleted)
            .await?,
    ))
}

async fn get_dek(
    State(r): State<AppState>,
    SrPath((name, subject, v)): SrPath<(String, String, String)>,
    q: DekParams,
) -> ApiResult {
    let v = version(&v)?;
    ok(&r
        .get_dek(&name, &subject, v, q.algorithm, q.deleted)
        .await?)
}

async fn delete_deks(
    State(r): State<AppState>,
    SrPath((name, subject)): SrPath<(String, String)>,
    q: DekParams,
) -> ApiResult {
    r.delete_deks(&name, &subject, None, q.algorithm, q.permanent)
        .await?;
    no_content()
}

async fn delete_dek_version(
    State(r): State<AppState>,
    SrPath((name, subject, v)): SrPath<(String, String, String)>,
    q: DekParams,
) -> ApiResult {
    let v = version(&v)?;
    r.delete_deks(&name, &subject, Some(v), q.algorithm, q.permanent)
        .await?;
    no_content()
}

async fn undelete_deks(
    State(r): State<AppState>,
    SrPath((name, subject)): SrPath<(String, String)>,
    q: DekParams,
) -> ApiResult {
    r.undelete_deks(&name, &subject, None, q.algorithm).await?;
    no_content()
}

async fn undelete_dek_version(
    State(r): State<AppState>,
    SrPath((name, subject, v)): SrPath<(String, String, String)>,
    q: DekParams,
) -> ApiResult {
    let v = version(&v)?;
    r.undelete_deks(&name, &subject, Some(v), q.algorithm)
        .await?;
    no_content()
}
