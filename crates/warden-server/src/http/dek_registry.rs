//! The DEK registry API (Confluent's `DekRegistryResource`, `/dek-registry/v1/keks…`):
//! KEKs and the DEKs they wrap, which Confluent's clients fetch and create when they run
//! `ENCRYPT` rules. Handlers extract, call the [`Registry`](crate::registry::Registry)
//! (`registry::dek`), and map.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use warden_core::encryption::DekAlgorithm;
#[allow(unused_imports)] // named only in `utoipa::path` attributes
use warden_core::{
    VersionSelector,
    api::{Dek, ErrorBody, Kek},
};

use super::associations::query_pairs;
use super::extract::{SrBody, SrPath, java_bool_text as java_bool};
#[allow(unused_imports)] // named only in `utoipa::path` attributes
use super::openapi::{Flag, JavaInt};
use super::{ApiError, AppState, sr_json};
use crate::error::Error;
use crate::registry::dek::{CreateDek, CreateKek, LATEST_DEK_VERSION, UpdateKek};

type ApiResult = Result<Response, ApiError>;

// The DEK registry's routes, each with its OpenAPI operation.
operations!(
    kek_names, create_kek;
    get_kek, update_kek, delete_kek;
    test_kek;
    undelete_kek;
    dek_subjects, create_dek;
    get_latest_dek, create_dek_of_subject, delete_deks;
    undelete_deks;
    dek_versions;
    get_dek, delete_dek_version;
    undelete_dek_version
);

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

/// The names of the KEKs; with `subjectPrefix`, those wrapping a DEK of a subject with one of the prefixes (`getKekNames`).
#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks",
    tag = "dek-registry",
    params(
        ("subjectPrefix" = Option<Vec<String>>, Query, description = "Subject prefixes (repeated)."),
        ("deleted" = Option<Flag>, Query, description = "Include soft-deleted keys."),
        ("offset" = Option<JavaInt>, Query, description = "Items to skip."),
        ("limit" = Option<JavaInt>, Query, description = "Items to answer; not positive: all."),
    ),
    responses(
        (status = 200, description = "KEK names, sorted.", body = Vec<String>),
        (status = 404, description = "404 an `offset` or `limit` that is not an int (as Jersey answers a parameter it cannot convert)", body = ErrorBody),
    )
)]
async fn kek_names(State(r): State<AppState>, q: DekParams) -> ApiResult {
    ok(&q.page(r.kek_names(&q.subject_prefix, q.deleted).await?))
}

/// A KEK (`getKek`).
#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("deleted" = Option<Flag>, Query, description = "Include soft-deleted keys."),
    ),
    responses(
        (status = 200, description = "The KEK.", body = Kek),
        (status = 404, description = "40470 no such KEK (or only a soft-deleted one without `deleted=true`)", body = ErrorBody),
        (status = 422, description = "42271 an invalid KEK name or subject", body = ErrorBody),
    )
)]
async fn get_kek(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    q: DekParams,
) -> ApiResult {
    ok(&r.get_kek(&name, q.deleted).await?)
}

/// Creates a KEK (`createKek`); the same request again answers the existing KEK, and undeletes a soft-deleted one that is equal.
#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks",
    tag = "dek-registry",
    params(
        ("testSharing" = Option<Flag>, Query, description = "For a shared KEK: wrap and unwrap a new key with the KMS first (50070 when it fails)."),
    ),
    request_body = CreateKek,
    responses(
        (status = 200, description = "The KEK.", body = Kek),
        (status = 409, description = "40971 a different KEK of that name exists", body = ErrorBody),
        (status = 422, description = "42271 a missing or invalid name, `kmsType` or `kmsKeyId`", body = ErrorBody),
        (status = 500, description = "50070 the KEK's KMS could not create or unwrap the DEK (no KMS of that type configured, or the KMS failed)", body = ErrorBody),
    )
)]
async fn create_kek(
    State(r): State<AppState>,
    q: DekParams,
    SrBody(body): SrBody<CreateKek>,
) -> ApiResult {
    ok(&r.create_kek(body, q.test_sharing).await?)
}

/// Changes a KEK's KMS properties, description or sharing (`putKek`); absent fields keep their value.
#[utoipa::path(
    put,
    path = "/dek-registry/v1/keks/{name}",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("testSharing" = Option<Flag>, Query, description = "For a shared KEK: wrap and unwrap a new key with the KMS first (50070 when it fails)."),
    ),
    request_body = UpdateKek,
    responses(
        (status = 200, description = "The KEK.", body = Kek),
        (status = 404, description = "40470 no such KEK (or only a soft-deleted one without `deleted=true`)", body = ErrorBody),
        (status = 422, description = "42271 an invalid KEK name or subject", body = ErrorBody),
        (status = 500, description = "50070 the KEK's KMS could not create or unwrap the DEK (no KMS of that type configured, or the KMS failed)", body = ErrorBody),
    )
)]
async fn update_kek(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    q: DekParams,
    SrBody(body): SrBody<UpdateKek>,
) -> ApiResult {
    ok(&r.update_kek(&name, body, q.test_sharing).await?)
}

/// Soft-deletes a KEK, or deletes it permanently (`deleteKek`).
#[utoipa::path(
    delete,
    path = "/dek-registry/v1/keks/{name}",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("permanent" = Option<Flag>, Query, description = "Delete permanently (the key must be soft-deleted first, else 40471)."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "40470 no such KEK (or only a soft-deleted one without `deleted=true`)", body = ErrorBody),
        (status = 422, description = "42271 an invalid name; 42272 the KEK still has DEKs that are not deleted", body = ErrorBody),
    )
)]
async fn delete_kek(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    q: DekParams,
) -> ApiResult {
    r.delete_kek(&name, q.permanent).await?;
    no_content()
}

/// Wraps and unwraps a new key with a shared KEK's KMS (`testKek`).
#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/test",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
    ),
    responses(
        (status = 200, description = "The KEK, when its KMS works.", body = Kek),
        (status = 404, description = "40470 no such KEK (or only a soft-deleted one without `deleted=true`)", body = ErrorBody),
        (status = 422, description = "42271 an invalid KEK name or subject", body = ErrorBody),
        (status = 500, description = "50070 the KEK's KMS could not create or unwrap the DEK (no KMS of that type configured, or the KMS failed)", body = ErrorBody),
    )
)]
async fn test_kek(State(r): State<AppState>, SrPath(name): SrPath<String>) -> ApiResult {
    ok(&r.test_shared_kek(&name).await?)
}

/// Undeletes a soft-deleted KEK (`undeleteKek`).
#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/undelete",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
    ),
    responses(
        (status = 204, description = "Undeleted."),
        (status = 404, description = "40470 no such KEK (or only a soft-deleted one without `deleted=true`)", body = ErrorBody),
        (status = 422, description = "42271 an invalid KEK name or subject", body = ErrorBody),
    )
)]
async fn undelete_kek(State(r): State<AppState>, SrPath(name): SrPath<String>) -> ApiResult {
    r.undelete_kek(&name).await?;
    no_content()
}

/// The subjects with a DEK under a KEK (`getDekSubjects`).
#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("deleted" = Option<Flag>, Query, description = "Include soft-deleted keys."),
        ("offset" = Option<JavaInt>, Query, description = "Items to skip."),
        ("limit" = Option<JavaInt>, Query, description = "Items to answer; not positive: all."),
    ),
    responses(
        (status = 200, description = "Subjects, sorted.", body = Vec<String>),
        (status = 404, description = "40470 no such KEK (or only a soft-deleted one without `deleted=true`)", body = ErrorBody),
        (status = 422, description = "42271 an invalid KEK name or subject", body = ErrorBody),
    )
)]
async fn dek_subjects(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    q: DekParams,
) -> ApiResult {
    ok(&q.page(r.dek_subjects(&name, q.deleted).await?))
}

/// Creates a DEK of the body's subject under a KEK (`createDek`): with the client's wrapped key, or, under a shared KEK, a key the registry creates (answered with its key material).
#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
    ),
    request_body = CreateDek,
    responses(
        (status = 200, description = "The DEK.", body = Dek),
        (status = 404, description = "40470 no such KEK (or only a soft-deleted one without `deleted=true`)", body = ErrorBody),
        (status = 409, description = "40971 a different DEK of that subject, version and algorithm exists", body = ErrorBody),
        (status = 422, description = "42271 an invalid name or subject, or no `encryptedKeyMaterial` under a KEK that is not shared", body = ErrorBody),
        (status = 500, description = "50070 the KEK's KMS could not create or unwrap the DEK (no KMS of that type configured, or the KMS failed)", body = ErrorBody),
    )
)]
async fn create_dek(
    State(r): State<AppState>,
    SrPath(name): SrPath<String>,
    SrBody(body): SrBody<CreateDek>,
) -> ApiResult {
    ok(&r.create_dek(&name, None, body).await?)
}

/// Creates a DEK of the path's subject under a KEK (`createDek`), as `POST …/deks`.
#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("subject" = String, Path, description = "The DEK's subject, percent-encoded."),
    ),
    request_body = CreateDek,
    responses(
        (status = 200, description = "The DEK.", body = Dek),
        (status = 404, description = "40470 no such KEK (or only a soft-deleted one without `deleted=true`)", body = ErrorBody),
        (status = 409, description = "40971 a different DEK of that subject, version and algorithm exists", body = ErrorBody),
        (status = 422, description = "42271 an invalid name or subject, or no `encryptedKeyMaterial` under a KEK that is not shared", body = ErrorBody),
        (status = 500, description = "50070 the KEK's KMS could not create or unwrap the DEK (no KMS of that type configured, or the KMS failed)", body = ErrorBody),
    )
)]
async fn create_dek_of_subject(
    State(r): State<AppState>,
    SrPath((name, subject)): SrPath<(String, String)>,
    SrBody(body): SrBody<CreateDek>,
) -> ApiResult {
    ok(&r.create_dek(&name, Some(&subject), body).await?)
}

/// The latest DEK of a subject (`getDek`).
#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("subject" = String, Path, description = "The DEK's subject, percent-encoded."),
        ("algorithm" = Option<String>, Query, description = "`AES128_GCM`, `AES256_GCM` (the default) or `AES256_SIV`; another value is 404."),
        ("deleted" = Option<Flag>, Query, description = "Include soft-deleted keys."),
    ),
    responses(
        (status = 200, description = "The DEK; with its key material under a shared KEK.", body = Dek),
        (status = 404, description = "40470 no such KEK or DEK; 404 an unknown `algorithm`", body = ErrorBody),
        (status = 422, description = "42271 an invalid KEK name or subject", body = ErrorBody),
        (status = 500, description = "50070 the KEK's KMS could not create or unwrap the DEK (no KMS of that type configured, or the KMS failed)", body = ErrorBody),
    )
)]
async fn get_latest_dek(
    State(r): State<AppState>,
    SrPath((name, subject)): SrPath<(String, String)>,
    q: DekParams,
) -> ApiResult {
    ok(&r
        .get_dek(&name, &subject, LATEST_DEK_VERSION, q.algorithm, q.deleted)
        .await?)
}

/// The versions of a subject's DEK (`getDekVersions`).
#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("subject" = String, Path, description = "The DEK's subject, percent-encoded."),
        ("algorithm" = Option<String>, Query, description = "`AES128_GCM`, `AES256_GCM` (the default) or `AES256_SIV`; another value is 404."),
        ("deleted" = Option<Flag>, Query, description = "Include soft-deleted keys."),
        ("offset" = Option<JavaInt>, Query, description = "Items to skip."),
        ("limit" = Option<JavaInt>, Query, description = "Items to answer; not positive: all."),
    ),
    responses(
        (status = 200, description = "Versions, ascending.", body = Vec<i32>),
        (status = 404, description = "40470 no such KEK or DEK; 404 an unknown `algorithm`", body = ErrorBody),
        (status = 422, description = "42271 an invalid KEK name or subject", body = ErrorBody),
    )
)]
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

/// One version of a subject's DEK (`getDekByVersion`).
#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("subject" = String, Path, description = "The DEK's subject, percent-encoded."),
        ("version" = VersionSelector, Path, description = "A version from 1, or `latest`/`-1`; anything else is 42202."),
        ("algorithm" = Option<String>, Query, description = "`AES128_GCM`, `AES256_GCM` (the default) or `AES256_SIV`; another value is 404."),
        ("deleted" = Option<Flag>, Query, description = "Include soft-deleted keys."),
    ),
    responses(
        (status = 200, description = "The DEK; with its key material under a shared KEK.", body = Dek),
        (status = 404, description = "40470 no such KEK or DEK; 404 an unknown `algorithm`", body = ErrorBody),
        (status = 422, description = "42202 an invalid version; 42271 an invalid name or subject", body = ErrorBody),
        (status = 500, description = "50070 the KEK's KMS could not create or unwrap the DEK (no KMS of that type configured, or the KMS failed)", body = ErrorBody),
    )
)]
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

/// Soft-deletes every version of a subject's DEK, or deletes them permanently (`deleteDekVersions`).
#[utoipa::path(
    delete,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("subject" = String, Path, description = "The DEK's subject, percent-encoded."),
        ("algorithm" = Option<String>, Query, description = "`AES128_GCM`, `AES256_GCM` (the default) or `AES256_SIV`; another value is 404."),
        ("permanent" = Option<Flag>, Query, description = "Delete permanently (the key must be soft-deleted first, else 40471)."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "40470 no such KEK or DEK; 404 an unknown `algorithm`", body = ErrorBody),
        (status = 422, description = "42271 an invalid KEK name or subject", body = ErrorBody),
    )
)]
async fn delete_deks(
    State(r): State<AppState>,
    SrPath((name, subject)): SrPath<(String, String)>,
    q: DekParams,
) -> ApiResult {
    r.delete_deks(&name, &subject, None, q.algorithm, q.permanent)
        .await?;
    no_content()
}

/// Soft-deletes one version of a subject's DEK, or deletes it permanently (`deleteDekVersion`).
#[utoipa::path(
    delete,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("subject" = String, Path, description = "The DEK's subject, percent-encoded."),
        ("version" = VersionSelector, Path, description = "A version from 1, or `latest`/`-1`; anything else is 42202."),
        ("algorithm" = Option<String>, Query, description = "`AES128_GCM`, `AES256_GCM` (the default) or `AES256_SIV`; another value is 404."),
        ("permanent" = Option<Flag>, Query, description = "Delete permanently (the key must be soft-deleted first, else 40471)."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "40470 no such KEK or DEK; 404 an unknown `algorithm`", body = ErrorBody),
        (status = 422, description = "42202 an invalid version; 42271 an invalid name or subject", body = ErrorBody),
    )
)]
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

/// Undeletes every version of a subject's DEK (`undeleteDekVersions`).
#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/undelete",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("subject" = String, Path, description = "The DEK's subject, percent-encoded."),
        ("algorithm" = Option<String>, Query, description = "`AES128_GCM`, `AES256_GCM` (the default) or `AES256_SIV`; another value is 404."),
    ),
    responses(
        (status = 204, description = "Undeleted."),
        (status = 404, description = "40470 no such KEK or DEK; 40472 the KEK is soft-deleted", body = ErrorBody),
        (status = 422, description = "42271 an invalid KEK name or subject", body = ErrorBody),
    )
)]
async fn undelete_deks(
    State(r): State<AppState>,
    SrPath((name, subject)): SrPath<(String, String)>,
    q: DekParams,
) -> ApiResult {
    r.undelete_deks(&name, &subject, None, q.algorithm).await?;
    no_content()
}

/// Undeletes one version of a subject's DEK (`undeleteDekVersion`).
#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}/undelete",
    tag = "dek-registry",
    params(
        ("name" = String, Path, description = "The KEK's name: a letter or `_`, then letters, digits, `_` and `-`; another name is 42271."),
        ("subject" = String, Path, description = "The DEK's subject, percent-encoded."),
        ("version" = VersionSelector, Path, description = "A version from 1, or `latest`/`-1`; anything else is 42202."),
        ("algorithm" = Option<String>, Query, description = "`AES128_GCM`, `AES256_GCM` (the default) or `AES256_SIV`; another value is 404."),
    ),
    responses(
        (status = 204, description = "Undeleted."),
        (status = 404, description = "40470 no such KEK or DEK; 40472 the KEK is soft-deleted", body = ErrorBody),
        (status = 422, description = "42202 an invalid version; 42271 an invalid name or subject", body = ErrorBody),
        (status = 405, description = "405 an empty version: `…/versions//undelete` is `…/versions/undelete`, which names the version `undelete` of `GET`/`DELETE …/versions/{version}` (as Jersey matches it)", body = ErrorBody),
    )
)]
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
