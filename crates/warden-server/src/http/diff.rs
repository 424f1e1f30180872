//! Warden's structured diff API, under `/warden/v1` (a prefix no Confluent route uses):
//! every change between two schemas, judged per direction with its rule, and the verdict
//! under each level, from the checkers that answer `/compatibility`.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
#[allow(unused_imports)] // named only in `utoipa::path` attributes
use warden_core::api::ErrorBody;
#[allow(unused_imports)] // named only in `utoipa::path` attributes
use warden_core::diff::{DiffRequest, SchemaDiff};
use warden_core::{CompatibilityPolicy, Subject, VersionSelector};

use super::auth::Access;
use super::extract::{SrBody, SrPath, SrQuery};
use super::{ApiError, AppState, sr_json};
use crate::error::Error;
use crate::registry::SchemaSubmission;

// The diff routes, each with its OpenAPI operation.
operations!(
    diff_versions;
    diff_schemas
);

/// The query of `GET /warden/v1/subjects/{subject}/diff`.
#[derive(Debug, Deserialize)]
pub(super) struct DiffParams {
    from: Option<String>,
    to: Option<String>,
}

pub(super) fn subject(s: &str) -> Result<Subject, ApiError> {
    let parsed = Subject::parse(s).map_err(|e| Error::InvalidSubject(e.to_string()))?;
    Ok(parsed.normalized().unwrap_or(parsed))
}

fn version(name: &str, v: Option<&str>) -> Result<VersionSelector, ApiError> {
    let v = v.ok_or_else(|| {
        Error::InvalidVersion(format!(
            "The query parameter '{name}' (a version) is required"
        ))
    })?;
    VersionSelector::parse(v).map_err(|e| Error::InvalidVersion(e.to_string()).into())
}

/// The diff between two versions of a subject.
#[utoipa::path(
    get,
    path = "/warden/v1/subjects/{subject}/diff",
    tag = "diff",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path."),
        ("from" = String, Query, description = "The old version: a number, or `latest`/`-1`. Soft-deleted versions are accepted."),
        ("to" = String, Query, description = "The new version: a number, or `latest`/`-1`."),
    ),
    responses(
        (status = 200, description = "Every change from `from` to `to`, each judged backward and forward with its rule, and the verdict under each of the seven levels (JSON Schema under the subject's compatibility policy).", body = SchemaDiff),
        (status = 404, description = "40401 subject not found; 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid or missing version; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn diff_versions(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<DiffParams>,
) -> Result<Response, ApiError> {
    let s = subject(&s)?;
    let from = version("from", p.from.as_deref())?;
    let to = version("to", p.to.as_deref())?;
    let diff = r.diff_versions(&s, from, to).await?;
    Ok(sr_json(StatusCode::OK, &diff))
}

/// The diff between two submitted schemas.
#[utoipa::path(
    post,
    path = "/warden/v1/diff",
    tag = "diff",
    request_body = DiffRequest,
    responses(
        (status = 200, description = "Every change from `old` to `new`, each judged backward and forward with its rule, and the verdict under each of the seven levels.", body = SchemaDiff),
        (status = 403, description = "40301 (authorization on) the body's subject, or a subject a reference names (transitively), is not readable by the caller", body = ErrorBody),
        (status = 422, description = "42201 invalid schema, or a reference that does not resolve (as Confluent answers); 42203 invalid compatibility policy; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn diff_schemas(
    State(r): State<AppState>,
    access: Option<Extension<Access>>,
    SrBody(body): SrBody<DiffRequest>,
) -> Result<Response, ApiError> {
    let s = body.subject.as_deref().map(subject).transpose()?;
    // With authorization on: Read on the body's subject, and (in the registry, before each
    // is read) on every subject the references name.
    let check = access.map(|Extension(a)| move |s: &str| a.check_read(s));
    if let (Some(check), Some(s)) = (&check, &s) {
        check(s.as_str()).map_err(Error::Forbidden)?;
    }
    let policy = match body.compatibility_policy.as_deref() {
        None => CompatibilityPolicy::default(),
        Some(p) => p.parse().map_err(|_| {
            Error::InvalidCompatibilityLevel(format!("Invalid compatibility policy: {p}"))
        })?,
    };
    let old = SchemaSubmission::from_request(body.old)?;
    let new = SchemaSubmission::from_request(body.new)?;
    let can_read: Option<crate::registry::ReadCheck<'_>> =
        check.as_ref().map(|c| c as crate::registry::ReadCheck<'_>);
    let diff = r
        .diff_submissions(s.as_ref(), old, new, policy, can_read)
        .await?;
    Ok(sr_json(StatusCode::OK, &diff))
}
