//! One handler per endpoint: extract, call the [`Registry`](crate::registry::Registry), map.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;
use warden_core::api::{
    ConfigResponse, ConfigUpdateRequest, ModeBody, RegisterSchemaRequest, RegisterSchemaResponse,
    SchemaByIdResponse,
};
use warden_core::{SchemaId, Subject, VersionSelector};
use warden_storage::{DeletedFilter, StoredConfig};

use super::extract::{Params, SrBody, SrPath, SrQuery, SrScope};
use super::{ApiError, AppState, sr_bytes, sr_json};
use crate::error::Error;
use crate::registry::{Registry, SchemaOptions, SchemaSubmission};

type ApiResult = Result<Response, ApiError>;

/// Every route of the API.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root).post(root))
        .route("/schemas", get(list_schemas))
        .route("/schemas/types", get(schema_types))
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(raw_schema_by_id))
        .route("/schemas/ids/{id}/subjects", get(subjects_by_id))
        .route("/schemas/ids/{id}/versions", get(versions_by_id))
        .route("/subjects", get(list_subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route(
            "/subjects/{subject}/versions",
            get(list_versions).post(register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(raw_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route(
            "/config",
            get(get_config).put(put_config).delete(delete_config),
        )
        .route(
            "/config/{subject}",
            get(get_config).put(put_config).delete(delete_config),
        )
        .route("/mode", get(get_mode).put(put_mode).delete(delete_mode))
        .route(
            "/mode/{subject}",
            get(get_mode).put(put_mode).delete(delete_mode),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(check_all_versions),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(check_one_version),
        )
}

/// Runs a write to its end on its own task, even when the client goes away or the request
/// times out: a store transaction dropped between two statements would leave its pooled
/// connection inside the transaction (and, on SQLite, the database locked). The caller may
/// stop waiting; the write still commits or rolls back as a whole.
async fn detached<T: Send + 'static>(
    write: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::spawn(write).await {
        Ok(result) => Ok(result?),
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn ok<T: serde::Serialize>(body: &T) -> ApiResult {
    Ok(sr_json(StatusCode::OK, body))
}

fn subject(s: &str) -> Result<Subject, ApiError> {
    Subject::parse(s).map_err(|e| Error::InvalidSubject(e.to_string()).into())
}

fn version(v: &str) -> Result<VersionSelector, ApiError> {
    VersionSelector::parse(v).map_err(|e| Error::InvalidVersion(e.to_string()).into())
}

fn submission(body: RegisterSchemaRequest) -> Result<SchemaSubmission, ApiError> {
    Ok(SchemaSubmission::from_request(body)?)
}

/// The id of a `/schemas/ids/{id}` path: text that is not a Java `int` matches no route
/// (404, as JAX-RS answers); an `int` that no schema can have (0, negative) is 40403.
fn schema_id(id: &str) -> Result<SchemaId, ApiError> {
    let n: i32 = id.parse().map_err(|_| ApiError::not_found())?;
    SchemaId::new(i64::from(n))
        .map_err(|_| Error::SchemaNotFound(format!("Schema {n} not found")).into())
}

fn filter(p: &Params) -> DeletedFilter {
    if p.deleted_only {
        DeletedFilter::DeletedOnly
    } else if p.deleted {
        DeletedFilter::All
    } else {
        DeletedFilter::Live
    }
}

fn options(p: &Params) -> SchemaOptions {
    SchemaOptions {
        normalize: p.normalize,
    }
}

async fn root() -> ApiResult {
    ok(&json!({}))
}

async fn schema_types() -> ApiResult {
    ok(&["JSON", "PROTOBUF", "AVRO"])
}

/// Whether `format=serialized` asks for Protobuf schemas as base64 descriptors.
fn serialized(p: &Params) -> bool {
    p.format.as_deref() == Some("serialized")
}

async fn list_schemas(State(r): State<AppState>, SrQuery(p): SrQuery<Params>) -> ApiResult {
    let list = r
        .list_schemas(p.subject_prefix.as_deref(), p.deleted, p.latest_only)
        .await?;
    ok(&list)
}

async fn schema_by_id(
    State(r): State<AppState>,
    SrPath(id): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let schema = r.schema_by_id(schema_id(&id)?).await?;
    let text = if serialized(&p) {
        r.serialized(&schema).await?
    } else {
        None
    };
    match text {
        Some(text) => ok(&SchemaByIdResponse {
            schema: text,
            ..Registry::by_id_response(&schema)
        }),
        None => Ok(sr_bytes(StatusCode::OK, schema.by_id_body.clone())),
    }
}

async fn raw_schema_by_id(State(r): State<AppState>, SrPath(id): SrPath<String>) -> ApiResult {
    let schema = r.schema_by_id(schema_id(&id)?).await?;
    Ok(sr_bytes(
        StatusCode::OK,
        schema.stored.schema.clone().into(),
    ))
}

async fn subjects_by_id(
    State(r): State<AppState>,
    SrPath(id): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    ok(&r.subjects_of_schema(schema_id(&id)?, p.deleted).await?)
}

async fn versions_by_id(
    State(r): State<AppState>,
    SrPath(id): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    ok(&r.versions_of_schema(schema_id(&id)?, p.deleted).await?)
}

async fn list_subjects(State(r): State<AppState>, SrQuery(p): SrQuery<Params>) -> ApiResult {
    ok(&r.subjects(p.subject_prefix.as_deref(), filter(&p)).await?)
}

async fn lookup(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
    SrBody(body): SrBody<RegisterSchemaRequest>,
) -> ApiResult {
    let s = subject(&s)?;
    let found = r
        .lookup(&s, submission(body)?, options(&p), p.deleted)
        .await?;
    ok(&found)
}

async fn delete_subject(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let s = subject(&s)?;
    ok(&detached(async move { r.delete_subject(&s, p.permanent).await }).await?)
}

async fn list_versions(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let s = subject(&s)?;
    ok(&r.versions(&s, filter(&p)).await?)
}

async fn register(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
    SrBody(body): SrBody<RegisterSchemaRequest>,
) -> ApiResult {
    let s = subject(&s)?;
    let submission = submission(body)?;
    let id = detached(async move { r.register(&s, submission, options(&p)).await }).await?;
    ok(&RegisterSchemaResponse { id })
}

async fn get_version(
    State(r): State<AppState>,
    SrPath((s, v)): SrPath<(String, String)>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let s = subject(&s)?;
    let (row, schema) = r.version(&s, version(&v)?, p.deleted).await?;
    let mut body = Registry::version_response(&s, row, &schema);
    if serialized(&p)
        && let Some(text) = r.serialized(&schema).await?
    {
        body.schema = text;
    }
    ok(&body)
}

async fn raw_version(
    State(r): State<AppState>,
    SrPath((s, v)): SrPath<(String, String)>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let s = subject(&s)?;
    let (_, schema) = r.version(&s, version(&v)?, p.deleted).await?;
    Ok(sr_bytes(
        StatusCode::OK,
        schema.stored.schema.clone().into(),
    ))
}

async fn referenced_by(
    State(r): State<AppState>,
    SrPath((s, v)): SrPath<(String, String)>,
) -> ApiResult {
    let s = subject(&s)?;
    ok(&r.referenced_by(&s, version(&v)?).await?)
}

async fn delete_version(
    State(r): State<AppState>,
    SrPath((s, v)): SrPath<(String, String)>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let s = subject(&s)?;
    let v = version(&v)?;
    ok(&detached(async move { r.delete_version(&s, v, p.permanent).await }).await?)
}

fn config_response(c: StoredConfig) -> ConfigResponse {
    ConfigResponse {
        compatibility_level: c.compatibility.unwrap_or_default().as_str().to_owned(),
        normalize: c.normalize,
        compatibility_policy: c.compatibility_policy.map(|p| p.as_str().to_owned()),
    }
}

fn config_update_response(c: StoredConfig) -> ConfigUpdateRequest {
    ConfigUpdateRequest {
        compatibility: c.compatibility.map(|l| l.as_str().to_owned()),
        normalize: c.normalize,
        compatibility_policy: c.compatibility_policy.map(|p| p.as_str().to_owned()),
    }
}

/// `GET /config` and `GET /config/{subject}`.
async fn get_config(
    State(r): State<AppState>,
    SrScope(s): SrScope,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let c = r.config(s.as_ref(), p.default_to_global).await?;
    ok(&config_response(c))
}

/// `PUT /config` and `PUT /config/{subject}`.
async fn put_config(
    State(r): State<AppState>,
    SrScope(s): SrScope,
    SrBody(body): SrBody<ConfigUpdateRequest>,
) -> ApiResult {
    ok(&config_update_response(
        r.set_config(s.as_ref(), &body).await?,
    ))
}

/// `DELETE /config` and `DELETE /config/{subject}`.
async fn delete_config(State(r): State<AppState>, SrScope(s): SrScope) -> ApiResult {
    ok(&config_response(r.delete_config(s.as_ref()).await?))
}

fn mode_body(m: warden_core::Mode) -> ModeBody {
    ModeBody {
        mode: m.as_str().to_owned(),
    }
}

/// `GET /mode` and `GET /mode/{subject}`.
async fn get_mode(
    State(r): State<AppState>,
    SrScope(s): SrScope,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let m = r.mode(s.as_ref(), p.default_to_global).await?;
    ok(&mode_body(m))
}

/// `PUT /mode` and `PUT /mode/{subject}`.
async fn put_mode(
    State(r): State<AppState>,
    SrScope(s): SrScope,
    SrQuery(p): SrQuery<Params>,
    SrBody(body): SrBody<ModeBody>,
) -> ApiResult {
    let m = r.set_mode(s.as_ref(), &body.mode, p.force).await?;
    ok(&mode_body(m))
}

/// `DELETE /mode` and `DELETE /mode/{subject}`.
async fn delete_mode(State(r): State<AppState>, SrScope(s): SrScope) -> ApiResult {
    ok(&mode_body(r.delete_mode(s.as_ref()).await?))
}

async fn check_all_versions(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
    SrBody(body): SrBody<RegisterSchemaRequest>,
) -> ApiResult {
    let s = subject(&s)?;
    let result = r
        .test_compatibility(&s, None, submission(body)?, options(&p), p.verbose)
        .await?;
    ok(&result)
}

async fn check_one_version(
    State(r): State<AppState>,
    SrPath((s, v)): SrPath<(String, String)>,
    SrQuery(p): SrQuery<Params>,
    SrBody(body): SrBody<RegisterSchemaRequest>,
) -> ApiResult {
    let s = subject(&s)?;
    let v = version(&v)?;
    let result = r
        .test_compatibility(&s, Some(v), submission(body)?, options(&p), p.verbose)
        .await?;
    ok(&result)
}
