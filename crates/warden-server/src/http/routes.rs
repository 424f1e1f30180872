//! One handler per endpoint: extract, call the [`Registry`](crate::registry::Registry), map.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
#[allow(unused_imports)] // types named only in `utoipa::path` attributes
use warden_core::api::{
    CompatibilityCheckResponse, ConfigResponse, ConfigUpdateRequest, ContextId, ErrorBody,
    ModeBody, RegisterSchemaRequest, RegisterSchemaResponse, SchemaByIdResponse, SchemaListEntry,
    ServerClusterId, ServerDeployment, ServerVersion, SubjectVersion, SubjectVersionResponse,
    TagSchemaRequest,
};
#[allow(unused_imports)] // types named only in `utoipa::path` attributes
use warden_core::schema::SchemaFormat;
use warden_core::{SchemaId, SchemaType, Subject, Version, VersionSelector};
use warden_storage::{DeletedFilter, StoredConfig};

use super::auth::{Access, readable};
use super::extract::{KeptRead, Params, SrBody, SrPath, SrQuery, SrScope, SubmissionBody};
#[allow(unused_imports)] // named only in `utoipa::path` attributes
use super::openapi::{Flag, JavaInt};
use super::{ApiError, AppState, sr_bytes, sr_json};
use crate::error::Error;
use crate::registry::{Registry, SchemaOptions};

type ApiResult = Result<Response, ApiError>;

/// What a read of a subject's version takes from its request: the URL (for `findTags`), the
/// subject and version in the path, and the query.
type VersionReadParts = (axum::http::Uri, SrPath<(String, String)>, SrQuery<Params>);
/// What `GET /schemas/ids/{id}` reads of its request when its answer is not kept.
type ByIdReadParts = (axum::http::Uri, SrPath<String>, SrQuery<Params>);

// Every route of the API, each with its OpenAPI operation.
operations!(
    root;
    list_schemas;
    schema_types;
    schema_by_id;
    raw_schema_by_id;
    subjects_by_id;
    versions_by_id;
    schema_by_guid;
    ids_by_guid;
    cluster_id;
    server_version;
    server_deployment;
    list_subjects;
    lookup, delete_subject;
    list_versions, register;
    get_version, delete_version;
    raw_version;
    modify_tags;
    referenced_by;
    get_global_config, put_global_config, delete_global_config;
    get_subject_config, put_subject_config, delete_subject_config;
    get_global_mode, put_global_mode, delete_global_mode;
    get_subject_mode, put_subject_mode, delete_subject_mode;
    check_all_versions;
    check_one_version
);

/// Runs a write to its end on its own task, even when the client goes away or the request
/// times out: a store transaction dropped between two statements would leave its pooled
/// connection inside the transaction (and, on SQLite, the database locked). The caller may
/// stop waiting; the write still commits or rolls back as a whole.
pub(super) async fn detached<T: Send + 'static>(
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

/// A subject of the path, as Confluent's resources normalize it (`QualifiedSubject.normalize`):
/// `:.:orders` is `orders` of the default context, `:.ctx` is the context `:.ctx:`.
fn subject(s: &str) -> Result<Subject, ApiError> {
    let parsed = Subject::parse(s).map_err(|e| Error::InvalidSubject(e.to_string()))?;
    Ok(parsed.normalized().unwrap_or(parsed))
}

fn version(v: &str) -> Result<VersionSelector, ApiError> {
    VersionSelector::parse(v).map_err(|e| Error::InvalidVersion(e.to_string()).into())
}

/// The id of a `/schemas/ids/{id}` path: text that is not a Java `int` matches no route
/// (404, as JAX-RS answers); an `int` that no schema can have (0, negative) is 40403.
fn schema_id(id: &str) -> Result<SchemaId, ApiError> {
    let n: i32 = id.parse().map_err(|_| ApiError::not_found())?;
    SchemaId::new(i64::from(n))
        .map_err(|_| Error::SchemaNotFound(format!("Schema {n} not found")).into())
}

/// Confluent's `schema.search.default.limit` and `schema.search.max.limit` (both 1000): the
/// page size of `GET /schemas` and `referencedby`.
const SCHEMA_SEARCH_LIMIT: usize = 1000;

/// Confluent's other list limits (subjects, versions, subject versions of an id): its
/// defaults are `Integer.MAX_VALUE`, no limit.
const UNBOUNDED: usize = i32::MAX as usize;

/// The `schema-registry-cluster` of `GET /v1/metadata/id`: Confluent's default
/// `schema.registry.group.id`. Warden has no groups: every replica sharing a database is one
/// cluster.
const SCHEMA_REGISTRY_CLUSTER: &str = "schema-registry";

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
        force: false,
    }
}

/// The root resource: an empty object, as Confluent answers.
#[utoipa::path(
    method(get, post),
    path = "/",
    tag = "registry",
    responses(
        (status = 200, description = "An empty object.", body = Object),
    )
)]
async fn root() -> ApiResult {
    ok(&json!({}))
}

/// The schema formats the registry takes.
#[utoipa::path(
    get,
    path = "/schemas/types",
    tag = "schemas",
    responses(
        (status = 200, description = "The schema formats: `JSON`, `PROTOBUF`, `AVRO`.", body = Vec<SchemaType>),
    )
)]
async fn schema_types() -> ApiResult {
    ok(&["JSON", "PROTOBUF", "AVRO"])
}

/// The OpenAPI description of the `format` query parameter of schema reads.
pub(super) const FORMAT_DOC: &str = "The schema text's format (Confluent's `formattedString`, name in any case): `resolved` answers an Avro schema with its referenced types inlined; `ignore_extensions` a Protobuf schema without custom options (`confluent.*` kept), extension ranges and `extend` blocks; `serialized` a Protobuf schema as a base64 `FileDescriptorProto`. Another value, or one of another schema type, answers the text as stored.";

/// Every registered version of every subject.
#[utoipa::path(
    get,
    path = "/schemas",
    tag = "schemas",
    params(
        ("subjectPrefix" = Option<String>, Query, description = "Only subjects starting with this prefix."),
        ("deleted" = Option<Flag>, Query, description = "`true` includes soft-deleted items."),
        ("latestOnly" = Option<Flag>, Query, description = "`true` returns only the latest version of each subject (of the live ones, or of all with `deleted=true`)."),
        ("ruleType" = Option<String>, Query, description = "Only versions whose rule set has a rule of this type (case-sensitive)."),
        ("aliases" = Option<Flag>, Query, description = "`true` adds to each version the subjects (matching the prefix) whose config makes them its aliases, and lists the versions of the subjects those aliases name."),
        ("resourceType" = Option<String>, Query, description = "Only versions of subjects with an association of this resource type (each listed under `associations`)."),
        ("associationType" = Option<Vec<String>>, Query, description = "Only versions of subjects with an association of these types (`key`, `value`); repeat the parameter for several."),
        ("lifecycle" = Option<Vec<String>>, Query, description = "Only versions of subjects with a `STRONG` or `WEAK` association, or (`NONE`) without one; repeat for several; another value is 404."),
        ("offset" = Option<JavaInt>, Query, description = "Versions to skip (default 0)."),
        ("limit" = Option<JavaInt>, Query, description = "The most versions to return: 1 to 1000; anything else is 1000, Confluent's `schema.search.default.limit`."),
    ),
    responses(
        (status = 200, description = "Every version of every subject, by subject and version.", body = Vec<SchemaListEntry>),
        (status = 404, description = "404 an offset or limit that is not a Java int", body = ErrorBody),
    )
)]
async fn list_schemas(
    State(r): State<AppState>,
    access: Option<axum::Extension<Access>>,
    uri: axum::http::Uri,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let page = p.page(SCHEMA_SEARCH_LIMIT, SCHEMA_SEARCH_LIMIT)?;
    let list = r
        .list_schemas(
            p.subject_prefix.as_deref(),
            p.deleted,
            p.latest_only,
            p.rule_type.as_deref(),
            p.aliases,
        )
        .await?;
    let list = readable(access.as_deref(), list, |e| e.subject.as_str());
    let list =
        super::associations::filter_schema_list(&r, list, |e| &e.subject, uri.query()).await?;
    ok(&page.of(list))
}

/// A schema by its global id.
#[utoipa::path(
    get,
    path = "/schemas/ids/{id}",
    tag = "schemas",
    params(
        ("id" = SchemaId, Path, description = "The global schema id."),
        ("format" = Option<String>, Query, description = FORMAT_DOC),
        ("subject" = Option<String>, Query, description = "Answer this subject's version of the schema: `subject` and `version` are added, and `ts` and `deleted` are that version's."),
        ("fetchMaxId" = Option<Flag>, Query, description = "`true` adds `maxId`, the highest schema id."),
        ("findTags" = Option<Vec<String>>, Query, description = FIND_TAGS_DOC),
        ("referenceFormat" = Option<String>, Query, description = "`qualified` answers reference subjects qualified by the schema's context (`:.ctx:name`)."),
    ),
    responses(
        (status = 200, description = "The schema, with its GUID and the registration time (`ts`) and `deleted` flag of one of its versions.", body = SchemaByIdResponse),
        (status = 404, description = "40403 schema not found; 404 an id that is not a Java int", body = ErrorBody),
    )
)]
async fn schema_by_id(State(r): State<AppState>, read: KeptRead<ByIdReadParts>) -> ApiResult {
    let ((uri, SrPath(id), SrQuery(p)), slot) = match read {
        KeptRead::Answered(body) => return Ok(sr_bytes(StatusCode::OK, body)),
        KeptRead::Unknown(parts, slot) => (parts, slot),
    };
    // The subject named, if it parses (a bad name picks none); it chooses the context.
    let named = p.subject.as_deref().and_then(|s| Subject::parse(s).ok());
    let id = r.id_in_context(schema_id(&id)?, named.as_ref()).await?;
    let schema = r.schema_by_id(id).await?;
    let text = r.formatted(&schema, p.format.as_deref()).await?;
    let qualified = qualified_references(&p);
    let find = find_tags(&uri);
    if text.is_none() && !p.fetch_max_id && p.subject.is_none() && !qualified && find.is_empty() {
        let body = r.by_id_body(&schema).await?;
        r.keep_answer(slot, &body);
        return Ok(sr_bytes(StatusCode::OK, body));
    }
    let usage = r.usage_of(id, named.as_ref()).await?;
    let mut body = Registry::by_id_response(&schema, usage.as_ref());
    if qualified && let Some((referrer, _)) = &usage {
        qualify_references(&mut body.references, referrer);
    }
    if p.subject.is_some()
        && let Some((subject, row)) = usage
    {
        body.subject = Some(subject);
        body.version = Some(row.version);
    }
    if let Some(text) = text {
        body.schema = text;
    }
    if p.fetch_max_id {
        body.max_id = r.max_schema_id(id).await?;
    }
    body.schema_tags = Registry::schema_tags(&schema, &find);
    ok(&body)
}

/// The OpenAPI description of `findTags`.
const FIND_TAGS_DOC: &str = "Repeatable: answer in `schemaTags` the schema's tagged entities (records and fields with `confluent:tags`, or Protobuf's `(confluent.field_meta)` and `(confluent.message_meta)` tags) that carry one of these tags; `*` for all.";

/// The `findTags` query parameters (repeated, Confluent's `List<String>`): the tags whose
/// entities a read answers in `schemaTags`, `*` for every tagged entity.
fn find_tags(uri: &axum::http::Uri) -> Vec<String> {
    super::associations::query_pairs(uri.query().unwrap_or_default())
        .into_iter()
        .filter(|(k, _)| k == "findTags")
        .map(|(_, v)| v)
        .collect()
}

/// A schema by its GUID.
#[utoipa::path(
    get,
    path = "/schemas/guids/{guid}",
    tag = "schemas",
    params(
        ("guid" = String, Path, description = "The schema's GUID: a UUID (any case), or its 32 hex digits."),
        ("format" = Option<String>, Query, description = FORMAT_DOC),
    ),
    responses(
        (status = 200, description = "The schema, as `GET /schemas/ids/{id}` answers it.", body = SchemaByIdResponse),
        (status = 404, description = "40403 no schema has this GUID (or it is not a GUID)", body = ErrorBody),
    )
)]
async fn schema_by_guid(
    State(r): State<AppState>,
    SrPath(guid): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let schema = r.schema_by_guid(&guid).await?;
    if let Some(text) = r.formatted(&schema, p.format.as_deref()).await? {
        let usage = r.usage_of(schema.stored.id, None).await?;
        return ok(&SchemaByIdResponse {
            schema: text,
            ..Registry::by_id_response(&schema, usage.as_ref())
        });
    }
    Ok(sr_bytes(StatusCode::OK, r.by_id_body(&schema).await?))
}

/// The ids a GUID has, per context.
#[utoipa::path(
    get,
    path = "/schemas/guids/{guid}/ids",
    tag = "schemas",
    params(
        ("guid" = String, Path, description = "The schema's GUID."),
    ),
    responses(
        (status = 200, description = "The context and id of the schema with this GUID; empty when none has it.", body = Vec<ContextId>),
    )
)]
async fn ids_by_guid(State(r): State<AppState>, SrPath(guid): SrPath<String>) -> ApiResult {
    ok(&r.ids_by_guid(&guid).await?)
}

/// The cluster the server belongs to.
#[utoipa::path(
    get,
    path = "/v1/metadata/id",
    tag = "metadata",
    responses(
        (status = 200, description = "Confluent's `ServerClusterId`: `scope.path` is empty; `scope.clusters` names the registry cluster (`schema-registry-cluster`: every replica sharing a database is one) and the Kafka cluster (`kafka-cluster`: null, Warden keeps no Kafka cluster).", body = ServerClusterId),
    )
)]
async fn cluster_id() -> ApiResult {
    ok(&ServerClusterId {
        scope: json!({
            "path": [],
            "clusters": {
                "kafka-cluster": null,
                "schema-registry-cluster": SCHEMA_REGISTRY_CLUSTER,
            },
        }),
    })
}

/// The server's version.
#[utoipa::path(
    get,
    path = "/v1/metadata/version",
    tag = "metadata",
    responses(
        (status = 200, description = "Warden's version and, when the build knew it (`WARDEN_COMMIT_ID` at build time), its commit.", body = ServerVersion),
    )
)]
async fn server_version() -> ApiResult {
    ok(&ServerVersion {
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        commit_id: option_env!("WARDEN_COMMIT_ID")
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
    })
}

/// The deployment's attributes.
#[utoipa::path(
    get,
    path = "/v1/metadata/deployment",
    tag = "metadata",
    responses(
        (status = 200, description = "Confluent's `SchemaRegistryDeployment`: no attributes (Confluent's default).", body = ServerDeployment),
    )
)]
async fn server_deployment() -> ApiResult {
    ok(&ServerDeployment::default())
}

/// The text of a schema by its global id.
#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/schema",
    tag = "schemas",
    params(
        ("id" = SchemaId, Path, description = "The global schema id."),
        ("subject" = Option<String>, Query, description = "A subject using the schema: it chooses the context of the id."),
        ("format" = Option<String>, Query, description = FORMAT_DOC),
    ),
    responses(
        (status = 200, description = "The schema text as registered: JSON for Avro and JSON Schema, `.proto` source for Protobuf.", body = Value),
        (status = 404, description = "40403 schema not found; 404 an id that is not a Java int", body = ErrorBody),
    )
)]
async fn raw_schema_by_id(
    State(r): State<AppState>,
    SrPath(id): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    // As `GET /schemas/ids/{id}`: the subject named, if it parses, chooses the context.
    let named = p.subject.as_deref().and_then(|s| Subject::parse(s).ok());
    let id = r.id_in_context(schema_id(&id)?, named.as_ref()).await?;
    let schema = r.schema_by_id(id).await?;
    let text = r.formatted(&schema, p.format.as_deref()).await?;
    Ok(sr_bytes(
        StatusCode::OK,
        text.unwrap_or_else(|| schema.stored.schema.clone()).into(),
    ))
}

/// The subjects a schema is registered under.
#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/subjects",
    tag = "schemas",
    params(
        ("id" = SchemaId, Path, description = "The global schema id."),
        ("subject" = Option<String>, Query, description = "A subject using the schema: it chooses the context of the id."),
        ("deleted" = Option<Flag>, Query, description = "`true` includes soft-deleted items."),
        ("offset" = Option<JavaInt>, Query, description = "Subjects to skip (default 0)."),
        ("limit" = Option<JavaInt>, Query, description = "The most subjects to return; not positive is all."),
    ),
    responses(
        (status = 200, description = "The subjects that registered the schema.", body = Vec<Subject>),
        (status = 404, description = "40403 schema not found; 404 an id, offset or limit that is not a Java int", body = ErrorBody),
    )
)]
async fn subjects_by_id(
    State(r): State<AppState>,
    access: Option<axum::Extension<Access>>,
    SrPath(id): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let page = p.page(UNBOUNDED, UNBOUNDED)?;
    // As `GET /schemas/ids/{id}`: the subject named, if it parses, chooses the context
    // (Confluent's `listVersionsForId` reads the id with `getSchemaKeyUsingContexts`).
    let named = p.subject.as_deref().and_then(|s| Subject::parse(s).ok());
    let id = r.id_in_context(schema_id(&id)?, named.as_ref()).await?;
    let subjects = r.subjects_of_schema(id, p.deleted).await?;
    ok(&page.of(readable(access.as_deref(), subjects, Subject::as_str)))
}

/// The (subject, version) pairs a schema is registered as.
#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/versions",
    tag = "schemas",
    params(
        ("id" = SchemaId, Path, description = "The global schema id."),
        ("subject" = Option<String>, Query, description = "A subject using the schema: it chooses the context of the id."),
        ("deleted" = Option<Flag>, Query, description = "`true` includes soft-deleted items."),
        ("offset" = Option<JavaInt>, Query, description = "Pairs to skip (default 0)."),
        ("limit" = Option<JavaInt>, Query, description = "The most pairs to return; not positive is all."),
    ),
    responses(
        (status = 200, description = "The (subject, version) pairs of the schema.", body = Vec<SubjectVersion>),
        (status = 404, description = "40403 schema not found; 404 an id, offset or limit that is not a Java int", body = ErrorBody),
    )
)]
async fn versions_by_id(
    State(r): State<AppState>,
    access: Option<axum::Extension<Access>>,
    SrPath(id): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let page = p.page(UNBOUNDED, UNBOUNDED)?;
    // The subject chooses the context, as for `/schemas/ids/{id}/subjects`.
    let named = p.subject.as_deref().and_then(|s| Subject::parse(s).ok());
    let id = r.id_in_context(schema_id(&id)?, named.as_ref()).await?;
    let versions = r.versions_of_schema(id, p.deleted).await?;
    ok(&page.of(readable(access.as_deref(), versions, |v| {
        v.subject.as_str()
    })))
}

/// The subjects.
#[utoipa::path(
    get,
    path = "/subjects",
    tag = "subjects",
    params(
        ("subjectPrefix" = Option<String>, Query, description = "Only subjects starting with this prefix."),
        ("deleted" = Option<Flag>, Query, description = "`true` includes soft-deleted items."),
        ("deletedOnly" = Option<Flag>, Query, description = "`true` lists only soft-deleted items."),
        ("offset" = Option<JavaInt>, Query, description = "Subjects to skip (default 0)."),
        ("limit" = Option<JavaInt>, Query, description = "The most subjects to return; not positive is all."),
    ),
    responses(
        (status = 200, description = "The subjects.", body = Vec<Subject>),
        (status = 404, description = "404 an offset or limit that is not a Java int", body = ErrorBody),
    )
)]
async fn list_subjects(
    State(r): State<AppState>,
    access: Option<axum::Extension<Access>>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let page = p.page(UNBOUNDED, UNBOUNDED)?;
    let subjects = r.subjects(p.subject_prefix.as_deref(), filter(&p)).await?;
    ok(&page.of(readable(access.as_deref(), subjects, Subject::as_str)))
}

/// Looks a schema up under a subject: the version that has it.
#[utoipa::path(
    post,
    path = "/subjects/{subject}",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("normalize" = Option<Flag>, Query, description = "`true` normalizes the schema first."),
        ("deleted" = Option<Flag>, Query, description = "`true` includes soft-deleted items."),
        ("format" = Option<String>, Query, description = FORMAT_DOC),
    ),
    request_body = RegisterSchemaRequest,
    responses(
        (status = 200, description = "The version of the subject that has this schema.", body = SubjectVersionResponse),
        (status = 404, description = "40401 subject not found; 40403 schema not found under the subject", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (also an id past 2^31-1); 42202 a version past 2^31-1; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn lookup(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
    body: SubmissionBody,
) -> ApiResult {
    body.answer(&r, |submission| async {
        let s = subject(&s)?;
        let (row, schema) = r
            .lookup_version(&s, submission?, options(&p), p.deleted)
            .await?;
        // The answer is the version's read body, rendered once.
        Ok(match r.formatted(&schema, p.format.as_deref()).await? {
            None => r.version_body(&s, row, &schema),
            Some(text) => {
                let mut found = Registry::version_response(&s, row, &schema);
                found.schema = text;
                crate::registry::json_bytes(&found)
            }
        })
    })
    .await
}

/// Deletes a subject: soft first, then permanently with `permanent=true`.
#[utoipa::path(
    delete,
    path = "/subjects/{subject}",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("permanent" = Option<Flag>, Query, description = "`true` deletes permanently (after a soft delete)."),
    ),
    responses(
        (status = 200, description = "The versions deleted.", body = Vec<Version>),
        (status = 404, description = "40401 subject not found; 40404 subject was soft-deleted; 40405 subject not soft-deleted before a permanent delete", body = ErrorBody),
        (status = 422, description = "42205 operation not permitted in the current mode; 42206 a version is still referenced; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn delete_subject(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let s = subject(&s)?;
    ok(&detached(async move { r.delete_subject(&s, p.permanent).await }).await?)
}

/// The versions of a subject.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("deleted" = Option<Flag>, Query, description = "`true` includes soft-deleted items."),
        ("deletedOnly" = Option<Flag>, Query, description = "`true` lists only soft-deleted items."),
        ("deletedAsNegative" = Option<Flag>, Query, description = "`true` lists every version, a soft-deleted one as its negative (`[1,-2,3]`); it wins over `deleted` and `deletedOnly`."),
        ("offset" = Option<JavaInt>, Query, description = "Versions to skip (default 0)."),
        ("limit" = Option<JavaInt>, Query, description = "The most versions to return; not positive is all."),
    ),
    responses(
        (status = 200, description = "The versions of the subject (with `deletedAsNegative=true`, a soft-deleted one as its negative).", body = Vec<i32>),
        (status = 404, description = "40401 subject not found; 404 an offset or limit that is not a Java int", body = ErrorBody),
        (status = 422, description = "42208 invalid subject", body = ErrorBody),
    )
)]
async fn list_versions(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let s = subject(&s)?;
    let page = p.page(UNBOUNDED, UNBOUNDED)?;
    if p.deleted_as_negative {
        let include_deleted = p.deleted || p.deleted_only;
        return ok(&page.of(r.versions_deleted_as_negative(&s, include_deleted).await?));
    }
    ok(&page.of(r.versions(&s, filter(&p)).await?))
}

/// Registers a schema under a subject, after checking its compatibility.
#[utoipa::path(
    post,
    path = "/subjects/{subject}/versions",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("normalize" = Option<Flag>, Query, description = "`true` normalizes the schema first."),
        ("force" = Option<Flag>, Query, description = "`true` skips the compatibility check (the mode, the schema's validity and its references are still checked)."),
        ("format" = Option<String>, Query, description = FORMAT_DOC),
    ),
    request_body = RegisterSchemaRequest,
    responses(
        (status = 200, description = "The version registered, or the live version that already has the schema (one that differs only by `confluent:version` included): its id, version, schema and data contract.", body = RegisterSchemaResponse),
        (status = 404, description = "40403 a referenced schema not found", body = ErrorBody),
        (status = 409, description = "40901 incompatible with an earlier version under the subject's compatibility level", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (also a bad reference, schema type or id); 42202 invalid version; 42205 operation not permitted in the current mode (or no schema id left); 42207 the id given in IMPORT mode names another schema; 42208 invalid subject; 42209 the schema is larger than `--max-schema-bytes`; 42210 invalid rule set", body = ErrorBody),
    )
)]
async fn register(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
    body: SubmissionBody,
) -> ApiResult {
    // An answer kept is a registration that found its schema: one that wrote a version
    // changed the registry after its request began, so its answer is never served.
    if matches!(body, SubmissionBody::Answered(_)) {
        r.count_registration("existing");
    }
    body.answer(&r.clone(), |submission| async move {
        let submission = submission?;
        // Confluent checks the rule set before the subject (`SubjectVersionsResource.register`).
        if let Some(rule_set) = &submission.rule_set {
            crate::registry::validate_rule_set(rule_set)?;
        }
        let s = subject(&s)?;
        let options = SchemaOptions {
            force: p.force,
            ..options(&p)
        };
        let format = p.format;
        detached(async move {
            let registered = r.register_new(&s, submission, options).await?;
            let Some(format) = format else {
                // The usual answer: rendered once per version row.
                return r.registered_body(&s, &registered).await;
            };
            let mut response = r.registered_response(&s, &registered).await?;
            // Confluent formats the answer's schema text as a read does.
            if response.schema.is_some()
                && SchemaFormat::parse(&format, response.schema_type).is_some()
            {
                let schema = r.schema_by_id(registered.id).await?;
                if let Some(text) = r.formatted(&schema, Some(&format)).await? {
                    response.schema = Some(text);
                }
            }
            Ok(crate::registry::json_bytes(&response))
        })
        .await
    })
    .await
}

/// One version of a subject.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("version" = VersionSelector, Path, description = "A version number, or `latest` or `-1` for the latest live version."),
        ("deleted" = Option<Flag>, Query, description = "`true` includes soft-deleted items."),
        ("findTags" = Option<Vec<String>>, Query, description = FIND_TAGS_DOC),
        ("format" = Option<String>, Query, description = FORMAT_DOC),
        ("referenceFormat" = Option<String>, Query, description = "`qualified` answers reference subjects qualified by the subject's context (`:.ctx:name`)."),
    ),
    responses(
        (status = 200, description = "The version.", body = SubjectVersionResponse),
        (status = 404, description = "40401 subject not found; 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn get_version(State(r): State<AppState>, read: KeptRead<VersionReadParts>) -> ApiResult {
    let ((uri, SrPath((s, v)), SrQuery(p)), slot) = match read {
        KeptRead::Answered(body) => return Ok(sr_bytes(StatusCode::OK, body)),
        KeptRead::Unknown(parts, slot) => (parts, slot),
    };
    let s = subject(&s)?;
    let (row, schema) = r.version(&s, version(&v)?, p.deleted).await?;
    let find = find_tags(&uri);
    let text = r.formatted(&schema, p.format.as_deref()).await?;
    if text.is_none() && find.is_empty() && !qualified_references(&p) {
        let body = r.version_body(&s, row, &schema);
        r.keep_answer(slot, &body);
        return Ok(sr_bytes(StatusCode::OK, body));
    }
    let mut body = Registry::version_response(&s, row, &schema);
    body.schema_tags = Registry::schema_tags(&schema, &find);
    if let Some(text) = text {
        body.schema = text;
    }
    if qualified_references(&p) {
        qualify_references(&mut body.references, &s);
    }
    ok(&body)
}

/// A new version of a subject made of one of its versions with schema tags added or
/// removed, and its metadata and rule set replaced or edited (Confluent's `modifyTags`).
#[utoipa::path(
    post,
    path = "/subjects/{subject}/versions/{version}/tags",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("version" = VersionSelector, Path, description = "The version to start from: a version number, or `latest` or `-1` for the latest live version."),
    ),
    request_body(content = TagSchemaRequest, description = "`tagsToAdd` and `tagsToRemove` by entity (`sr_record` or `sr_field` with its path); `newVersion` (the next version when absent), written to `confluent:version`; `metadata` (else the version's own); `ruleSet`, or `rulesToMerge` and `rulesToRemove` applied to the rule set of the version before `newVersion`."),
    responses(
        (status = 200, description = "The version registered, as a registration answers it.", body = RegisterSchemaResponse),
        (status = 404, description = "40401 subject not found; 40402 version not found", body = ErrorBody),
        (status = 409, description = "40901 the new version is incompatible with an earlier one", body = ErrorBody),
        (status = 422, description = "42201 an entity the schema does not have, or a `newVersion` that is not the next version; 42202 invalid version; 42205 the mode forbids writes; 42208 invalid subject; 42210 invalid rule set, or `ruleSet` with `rulesToMerge` or `rulesToRemove`", body = ErrorBody),
    )
)]
async fn modify_tags(
    State(r): State<AppState>,
    SrPath((s, v)): SrPath<(String, String)>,
    SrBody(body): SrBody<TagSchemaRequest>,
) -> ApiResult {
    let s = subject(&s)?;
    let v = version(&v)?;
    let response = detached(async move {
        let id = r.modify_schema_tags(&s, v, body).await?;
        r.registration_response(&s, id).await
    })
    .await?;
    ok(&response)
}

/// `referenceFormat=qualified` (Confluent compares it ignoring case).
fn qualified_references(p: &Params) -> bool {
    p.reference_format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("qualified"))
}

/// Reference subjects as `referenceFormat=qualified` answers them: each qualified by the
/// context of `referrer` unless it names one (Confluent `qualifySubjectWithParent`).
fn qualify_references(references: &mut [warden_core::api::SchemaReference], referrer: &Subject) {
    for r in references {
        if let Ok(s) = Subject::parse(&r.subject) {
            r.subject = s.in_context(&referrer.context()).as_str().to_owned();
        }
    }
}

/// The schema text of one version of a subject.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}/schema",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("version" = VersionSelector, Path, description = "A version number, or `latest` or `-1` for the latest live version."),
        ("deleted" = Option<Flag>, Query, description = "`true` includes soft-deleted items."),
        ("format" = Option<String>, Query, description = FORMAT_DOC),
    ),
    responses(
        (status = 200, description = "The schema text as registered: JSON for Avro and JSON Schema, `.proto` source for Protobuf.", body = Value),
        (status = 404, description = "40401 subject not found; 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn raw_version(
    State(r): State<AppState>,
    SrPath((s, v)): SrPath<(String, String)>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let s = subject(&s)?;
    let (_, schema) = r.version(&s, version(&v)?, p.deleted).await?;
    let text = r.formatted(&schema, p.format.as_deref()).await?;
    Ok(sr_bytes(
        StatusCode::OK,
        text.unwrap_or_else(|| schema.stored.schema.clone()).into(),
    ))
}

/// The schemas that reference one version of a subject.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}/referencedby",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("version" = VersionSelector, Path, description = "A version number, live or soft-deleted, or `latest` or `-1` for the latest live version."),
        ("deleted" = Option<Flag>, Query, description = "`true` also lists schemas that only soft-deleted versions use."),
        ("offset" = Option<JavaInt>, Query, description = "Ids to skip (default 0)."),
        ("limit" = Option<JavaInt>, Query, description = "The most ids to return: 1 to 1000; anything else is 1000 (Confluent's schema search limit)."),
    ),
    responses(
        (status = 200, description = "The ids of the schemas that reference this version, ascending.", body = Vec<SchemaId>),
        (status = 404, description = "40401 subject not found (no version at all, soft-deleted or live); 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn referenced_by(
    State(r): State<AppState>,
    SrPath((s, v)): SrPath<(String, String)>,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let s = subject(&s)?;
    let page = p.page(SCHEMA_SEARCH_LIMIT, SCHEMA_SEARCH_LIMIT)?;
    ok(&page.of(r.referenced_by(&s, version(&v)?, p.deleted).await?))
}

/// Deletes one version: soft first, then permanently with `permanent=true`.
#[utoipa::path(
    delete,
    path = "/subjects/{subject}/versions/{version}",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("version" = VersionSelector, Path, description = "A version number, or `latest` or `-1` for the latest live version."),
        ("permanent" = Option<Flag>, Query, description = "`true` deletes permanently (after a soft delete)."),
    ),
    responses(
        (status = 200, description = "The version deleted.", body = Version),
        (status = 404, description = "40401 subject not found; 40402 version not found; 40406 version was soft-deleted; 40407 version not soft-deleted before a permanent delete", body = ErrorBody),
        (status = 422, description = "42202 invalid version; 42205 operation not permitted in the current mode; 42206 the version is still referenced; 42208 invalid subject", body = ErrorBody),
    )
)]
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
        extra: c.extra,
    }
}

fn config_update_response(c: StoredConfig) -> ConfigUpdateRequest {
    ConfigUpdateRequest {
        compatibility: c.compatibility.map(|l| l.as_str().to_owned()),
        normalize: c.normalize,
        compatibility_policy: c.compatibility_policy.map(|p| p.as_str().to_owned()),
        extra: c.extra,
        cleared: Vec::new(),
    }
}

/// `GET /config` and `GET /config/{subject}`.
async fn config(
    State(r): State<AppState>,
    SrScope(s): SrScope,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let c = r.config(s.as_ref(), p.default_to_global).await?;
    ok(&config_response(c))
}

/// `PUT /config` and `PUT /config/{subject}`.
async fn set_config(
    State(r): State<AppState>,
    SrScope(s): SrScope,
    SrBody(body): SrBody<ConfigUpdateRequest>,
) -> ApiResult {
    ok(&config_update_response(
        r.set_config(s.as_ref(), &body).await?,
    ))
}

/// `DELETE /config` and `DELETE /config/{subject}`.
async fn remove_config(State(r): State<AppState>, SrScope(s): SrScope) -> ApiResult {
    ok(&config_response(r.delete_config(s.as_ref()).await?))
}

fn mode_body(m: warden_core::Mode) -> ModeBody {
    ModeBody {
        mode: m.as_str().to_owned(),
    }
}

/// `GET /mode` and `GET /mode/{subject}`.
async fn mode(
    State(r): State<AppState>,
    SrScope(s): SrScope,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let m = r.mode(s.as_ref(), p.default_to_global).await?;
    ok(&mode_body(m))
}

/// `PUT /mode` and `PUT /mode/{subject}`.
async fn set_mode(
    State(r): State<AppState>,
    SrScope(s): SrScope,
    SrQuery(p): SrQuery<Params>,
    SrBody(body): SrBody<ModeBody>,
) -> ApiResult {
    let m = r.set_mode(s.as_ref(), &body.mode, p.force).await?;
    ok(&mode_body(m))
}

/// The answer of `DELETE /mode`: Confluent's `Mode` entity (`@JsonInclude(NON_EMPTY)`), the
/// mode removed, or `{}` when a recursive delete found none at the scope itself.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct DeletedModeBody {
    /// The mode the scope had.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<warden_core::Mode>)]
    mode: Option<String>,
}

/// `DELETE /mode` and `DELETE /mode/{subject}`.
async fn remove_mode(
    State(r): State<AppState>,
    SrScope(s): SrScope,
    SrQuery(p): SrQuery<Params>,
) -> ApiResult {
    let old = r.delete_mode(s.as_ref(), p.recursive).await?;
    ok(&DeletedModeBody {
        mode: old.map(|m| m.as_str().to_owned()),
    })
}

/// The registry-wide compatibility config.
#[utoipa::path(
    get,
    path = "/config",
    tag = "config",
    responses(
        (status = 200, description = "The config.", body = ConfigResponse),
    )
)]
async fn get_global_config(
    state: State<AppState>,
    scope: SrScope,
    query: SrQuery<Params>,
) -> ApiResult {
    config(state, scope, query).await
}

/// A subject's compatibility config.
#[utoipa::path(
    get,
    path = "/config/{subject}",
    tag = "config",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("defaultToGlobal" = Option<Flag>, Query, description = "`true` falls back to the global setting when the subject has none."),
    ),
    responses(
        (status = 200, description = "The config.", body = ConfigResponse),
        (status = 404, description = "40408 the subject has no compatibility config of its own (without `defaultToGlobal=true`)", body = ErrorBody),
        (status = 422, description = "42208 invalid subject", body = ErrorBody),
    )
)]
async fn get_subject_config(
    state: State<AppState>,
    scope: SrScope,
    query: SrQuery<Params>,
) -> ApiResult {
    config(state, scope, query).await
}

/// Sets the registry-wide compatibility config.
#[utoipa::path(
    put,
    path = "/config",
    tag = "config",
    request_body = ConfigUpdateRequest,
    responses(
        (status = 200, description = "The config as set.", body = ConfigUpdateRequest),
        (status = 422, description = "42203 invalid compatibility level or policy; 42205 the registry-wide scope is in READONLY or READONLY_OVERRIDE mode; 42210 invalid default or override rule set", body = ErrorBody),
    )
)]
async fn put_global_config(
    state: State<AppState>,
    scope: SrScope,
    body: SrBody<ConfigUpdateRequest>,
) -> ApiResult {
    set_config(state, scope, body).await
}

/// Sets a subject's compatibility config.
#[utoipa::path(
    put,
    path = "/config/{subject}",
    tag = "config",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
    ),
    request_body = ConfigUpdateRequest,
    responses(
        (status = 200, description = "The config as set.", body = ConfigUpdateRequest),
        (status = 422, description = "42203 invalid compatibility level or policy; 42205 the subject is in READONLY or READONLY_OVERRIDE mode; 42208 invalid subject; 42210 invalid default or override rule set", body = ErrorBody),
    )
)]
async fn put_subject_config(
    state: State<AppState>,
    scope: SrScope,
    body: SrBody<ConfigUpdateRequest>,
) -> ApiResult {
    set_config(state, scope, body).await
}

/// Resets the registry-wide compatibility config to the default.
#[utoipa::path(
    delete,
    path = "/config",
    tag = "config",
    responses(
        (status = 200, description = "The config before the delete.", body = ConfigResponse),
        (status = 422, description = "42205 the registry-wide scope is in READONLY or READONLY_OVERRIDE mode", body = ErrorBody),
    )
)]
async fn delete_global_config(state: State<AppState>, scope: SrScope) -> ApiResult {
    remove_config(state, scope).await
}

/// Removes a subject's compatibility config.
#[utoipa::path(
    delete,
    path = "/config/{subject}",
    tag = "config",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
    ),
    responses(
        (status = 200, description = "The config before the delete.", body = ConfigResponse),
        (status = 404, description = "40401 subject not found; 40408 the subject has no compatibility config of its own", body = ErrorBody),
        (status = 422, description = "42205 the subject is in READONLY or READONLY_OVERRIDE mode; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn delete_subject_config(state: State<AppState>, scope: SrScope) -> ApiResult {
    remove_config(state, scope).await
}

/// The registry-wide mode.
#[utoipa::path(
    get,
    path = "/mode",
    tag = "mode",
    responses(
        (status = 200, description = "The mode.", body = ModeBody),
    )
)]
async fn get_global_mode(
    state: State<AppState>,
    scope: SrScope,
    query: SrQuery<Params>,
) -> ApiResult {
    mode(state, scope, query).await
}

/// A subject's mode.
#[utoipa::path(
    get,
    path = "/mode/{subject}",
    tag = "mode",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("defaultToGlobal" = Option<Flag>, Query, description = "`true` falls back to the global setting when the subject has none."),
    ),
    responses(
        (status = 200, description = "The mode.", body = ModeBody),
        (status = 404, description = "40409 the subject has no mode of its own (without `defaultToGlobal=true`)", body = ErrorBody),
        (status = 422, description = "42208 invalid subject", body = ErrorBody),
    )
)]
async fn get_subject_mode(
    state: State<AppState>,
    scope: SrScope,
    query: SrQuery<Params>,
) -> ApiResult {
    mode(state, scope, query).await
}

/// Sets the registry-wide mode.
#[utoipa::path(
    put,
    path = "/mode",
    tag = "mode",
    params(
        ("force" = Option<Flag>, Query, description = "`true` allows IMPORT mode over existing schemas."),
    ),
    request_body = ModeBody,
    responses(
        (status = 200, description = "The mode as set.", body = ModeBody),
        (status = 422, description = "42204 invalid mode; 42205 IMPORT mode over existing schemas without `force=true`", body = ErrorBody),
    )
)]
async fn put_global_mode(
    state: State<AppState>,
    scope: SrScope,
    query: SrQuery<Params>,
    body: SrBody<ModeBody>,
) -> ApiResult {
    set_mode(state, scope, query, body).await
}

/// Sets a subject's mode.
#[utoipa::path(
    put,
    path = "/mode/{subject}",
    tag = "mode",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("force" = Option<Flag>, Query, description = "`true` allows IMPORT mode over existing schemas."),
    ),
    request_body = ModeBody,
    responses(
        (status = 200, description = "The mode as set.", body = ModeBody),
        (status = 422, description = "42204 invalid mode; 42205 IMPORT mode over existing schemas without `force=true`; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn put_subject_mode(
    state: State<AppState>,
    scope: SrScope,
    query: SrQuery<Params>,
    body: SrBody<ModeBody>,
) -> ApiResult {
    set_mode(state, scope, query, body).await
}

/// Resets the registry-wide mode to READWRITE.
#[utoipa::path(
    delete,
    path = "/mode",
    tag = "mode",
    params(
        ("recursive" = Option<Flag>, Query, description = "`true` also removes the mode of every subject and context (Confluent's prefix of the default context, empty, names them all)."),
    ),
    responses(
        (status = 200, description = "The mode before the delete (READWRITE when none was set).", body = DeletedModeBody),
    )
)]
async fn delete_global_mode(
    state: State<AppState>,
    scope: SrScope,
    query: SrQuery<Params>,
) -> ApiResult {
    remove_mode(state, scope, query).await
}

/// Removes a subject's mode.
#[utoipa::path(
    delete,
    path = "/mode/{subject}",
    tag = "mode",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("recursive" = Option<Flag>, Query, description = "`true` on a context (`:.ctx:`) also removes the mode of every subject of the context; a scope without a mode then answers `{}`."),
    ),
    responses(
        (status = 200, description = "The mode before the delete; `{}` when `recursive` found none at the scope itself.", body = DeletedModeBody),
        (status = 404, description = "40401 the subject has no mode of its own (without `recursive`)", body = ErrorBody),
        (status = 422, description = "42208 invalid subject", body = ErrorBody),
    )
)]
async fn delete_subject_mode(
    state: State<AppState>,
    scope: SrScope,
    query: SrQuery<Params>,
) -> ApiResult {
    remove_mode(state, scope, query).await
}

/// Tests a schema against the versions of a subject its level checks.
#[utoipa::path(
    post,
    path = "/compatibility/subjects/{subject}/versions",
    tag = "compatibility",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("verbose" = Option<Flag>, Query, description = "`true` returns the reasons of an incompatibility."),
        ("normalize" = Option<Flag>, Query, description = "`true` normalizes the schema first."),
    ),
    request_body = RegisterSchemaRequest,
    responses(
        (status = 200, description = "Whether the schema is compatible with the live versions the subject's level checks (compatible when there are none).", body = CompatibilityCheckResponse),
        (status = 404, description = "40403 a referenced schema not found", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (also an id past 2^31-1); 42202 a version past 2^31-1; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn check_all_versions(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    SrQuery(p): SrQuery<Params>,
    body: SubmissionBody,
) -> ApiResult {
    body.answer(&r, |submission| async {
        let s = subject(&s)?;
        let result = r
            .test_compatibility(&s, None, submission?, options(&p), p.verbose)
            .await?;
        Ok(crate::registry::json_bytes(&result))
    })
    .await
}

/// Tests a schema against one version of a subject.
#[utoipa::path(
    post,
    path = "/compatibility/subjects/{subject}/versions/{version}",
    tag = "compatibility",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("version" = VersionSelector, Path, description = "A version number, or `latest` or `-1` for the latest live version."),
        ("verbose" = Option<Flag>, Query, description = "`true` returns the reasons of an incompatibility."),
        ("normalize" = Option<Flag>, Query, description = "`true` normalizes the schema first."),
    ),
    request_body = RegisterSchemaRequest,
    responses(
        (status = 200, description = "Whether the schema is compatible with this version; `latest` of a subject with no live version is compatible.", body = CompatibilityCheckResponse),
        (status = 404, description = "40402 a version number that is not live (whether or not the subject exists); 40403 a referenced schema not found", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (also an id past 2^31-1); 42202 invalid version; 42208 invalid subject", body = ErrorBody),
    )
)]
async fn check_one_version(
    State(r): State<AppState>,
    SrPath((s, v)): SrPath<(String, String)>,
    SrQuery(p): SrQuery<Params>,
    body: SubmissionBody,
) -> ApiResult {
    body.answer(&r, |submission| async {
        let s = subject(&s)?;
        let v = version(&v)?;
        let result = r
            .test_compatibility(&s, Some(v), submission?, options(&p), p.verbose)
            .await?;
        Ok(crate::registry::json_bytes(&result))
    })
    .await
}
