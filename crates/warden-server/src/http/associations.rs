//! The associations API of Confluent 8 (`AssociationsResource`): resources (Kafka topics)
//! linked to their key and value subjects. Handlers extract, call the
//! [`Registry`](crate::registry::Registry), and map; the rules live in
//! `registry::associations`.

use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use warden_core::api::{ErrorBody, RegisterSchemaRequest};
use warden_core::jackson::{self, JacksonRequest};

use super::extract::{SrBody, SrPath, java_bool_text as java_bool};
#[allow(unused_imports)] // named only in `utoipa::path` attributes
use super::openapi::{Flag, JavaInt};
use super::routes::detached;
use super::{ApiError, AppState, sr_json};
use crate::registry::{
    Association, AssociationBatchResponse, AssociationFilter, AssociationGetRequest,
    AssociationInfoRequest, AssociationOp, AssociationOpRequest, AssociationRequest,
    AssociationResponse, Lifecycle,
};

type ApiResult = Result<Response, ApiError>;

/// Page size when `limit` is absent, not positive or above it (Confluent
/// `schema.search.default.limit` and `schema.search.max.limit`, both 1000).
const DEFAULT_LIMIT: usize = 1000;

/// The query parameters of the association reads, for the OpenAPI description only (they are
/// read by [`AssociationParams`], which also takes the write flags).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)] // a description, never built
struct AssociationQuery {
    /// Resource type; `topic` when absent or empty.
    resource_type: Option<String>,
    /// Only these association types (`key`, `value`); repeat the parameter for several.
    association_type: Option<Vec<String>>,
    /// Only `STRONG` or only `WEAK` associations (blank is none); another value is 404.
    lifecycle: Option<String>,
    /// Associations to skip (a Java int; not an int is 404).
    offset: Option<JavaInt>,
    /// Page size, at most 1000 (the default when absent, not positive or larger).
    limit: Option<JavaInt>,
}

// The association routes, each with its OpenAPI operation.
operations!(
    by_subject;
    by_resource_name;
    by_resource_id, create_or_update_association, delete_associations;
    by_resource_name_query, create_association;
    batch_get;
    batch_mutate
);

/// The query parameters of the association resource, read as JAX-RS reads them: the list
/// `associationType` repeated (`?associationType=key&associationType=value`), `lifecycle` as
/// `LifecyclePolicy.valueOf` (exactly `STRONG` or `WEAK`), `offset` and `limit` as Java
/// `int`s, flags as `Boolean.valueOf`. An `int` or `lifecycle` that does not convert is
/// Jersey's 404 for a query parameter (`ParamException.QueryParamException`); unknown
/// parameters are ignored.
#[derive(Debug, Default)]
pub(crate) struct AssociationParams {
    filter: AssociationFilter,
    offset: usize,
    limit: usize,
    dry_run: bool,
    include_schemas: bool,
    cascade_lifecycle: bool,
    context: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for AssociationParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut params = AssociationParams {
            limit: DEFAULT_LIMIT,
            ..AssociationParams::default()
        };
        let mut offset = 0i32;
        let mut limit = -1i32;
        for (key, value) in query_pairs(parts.uri.query().unwrap_or_default()) {
            let int = |v: &str| v.parse::<i32>().map_err(|_| ApiError::not_found());
            match key.as_str() {
                // A single-valued JAX-RS parameter takes the first value.
                "resourceType" if params.filter.resource_type.is_none() => {
                    params.filter.resource_type = Some(value);
                }
                "associationType" => params.filter.association_types.push(value),
                "lifecycle" if value.is_empty() => params.filter.lifecycle = None,
                "lifecycle" => {
                    params.filter.lifecycle =
                        Some(Lifecycle::parse(&value).ok_or_else(ApiError::not_found)?);
                }
                "offset" if !value.is_empty() => offset = int(&value)?,
                "limit" if !value.is_empty() => limit = int(&value)?,
                "dryRun" => params.dry_run = java_bool(&value),
                "includeSchemas" => params.include_schemas = java_bool(&value),
                "cascadeLifecycle" => params.cascade_lifecycle = java_bool(&value),
                "context" => params.context = Some(value),
                _ => {}
            }
        }
        params.offset = usize::try_from(offset).unwrap_or(0);
        if let Ok(limit) = usize::try_from(limit)
            && (1..=params.limit).contains(&limit)
        {
            params.limit = limit;
        }
        Ok(params)
    }
}

/// `GET /schemas` filtered by association, as Confluent's `SchemasResource.getSchemas`
/// does before paging: with `resourceType`, `associationType` (repeated) or `lifecycle`
/// (repeated: `STRONG`, `WEAK`, and `NONE` for subjects without an association), a version
/// is kept when its subject has matching associations (which it then lists under
/// `associations`), or with `NONE` when it has none. Without those parameters the list is
/// unchanged. A `lifecycle` that is not one of the three is Jersey's 404.
pub(super) async fn filter_schema_list<T: serde::Serialize>(
    r: &crate::registry::Registry,
    list: Vec<T>,
    subject_of: impl Fn(&T) -> &warden_core::Subject,
    query: Option<&str>,
) -> Result<Vec<Value>, ApiError> {
    let mut resource_type: Option<String> = None;
    let mut types = Vec::new();
    let mut lifecycles = Vec::new();
    let mut none = false;
    for (key, value) in query_pairs(query.unwrap_or_default()) {
        match key.as_str() {
            "resourceType" if resource_type.is_none() => resource_type = Some(value),
            "associationType" => types.push(value),
            "lifecycle" => match value.as_str() {
                "NONE" => none = true,
                other => lifecycles.push(Lifecycle::parse(other).ok_or_else(ApiError::not_found)?),
            },
            _ => {}
        }
    }
    let filtered = resource_type.is_some() || !types.is_empty() || none || !lifecycles.is_empty();
    let mut out = Vec::with_capacity(list.len());
    for entry in list {
        let mut value = serde_json::to_value(&entry).unwrap_or_default();
        if filtered {
            let found = r
                .subject_associations(subject_of(&entry), resource_type.as_deref(), &types)
                .await?;
            let keep: Vec<&Association> = if found.is_empty() {
                if !none {
                    continue;
                }
                Vec::new()
            } else if lifecycles.is_empty() {
                if none {
                    continue;
                }
                found.iter().collect()
            } else {
                let matching: Vec<&Association> = found
                    .iter()
                    .filter(|a| lifecycles.contains(&a.lifecycle))
                    .collect();
                if matching.is_empty() {
                    continue;
                }
                matching
            };
            if !keep.is_empty()
                && let Value::Object(fields) = &mut value
            {
                fields.insert(
                    "associations".into(),
                    serde_json::to_value(keep).unwrap_or_default(),
                );
            }
        }
        out.push(value);
    }
    Ok(out)
}

/// The `key=value` pairs of a query string, in order, percent-decoded (`+` is a space), as
/// Jersey decodes them; a pair without `=` has an empty value.
pub(super) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decodes query text as Jersey does (`+` is a space; invalid escapes kept as they are).
fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The body of `POST /associations:batchGet` (Confluent `AssociationBatchGetRequest`).
#[derive(Debug, Clone, Default, utoipa::ToSchema)]
pub(crate) struct AssociationBatchGetRequest {
    /// The queries, answered one by one.
    requests: Option<Vec<AssociationGetRequest>>,
}

/// The body of `POST /associations:batchMutate` (Confluent `AssociationBatchRequest`).
#[derive(Debug, Clone, Default, utoipa::ToSchema)]
pub(crate) struct AssociationBatchRequest {
    /// One entry per resource, each with its operations (`opType` CREATE, UPSERT or
    /// DELETE).
    requests: Option<Vec<AssociationOpRequest>>,
}

/// Jackson's message for a token an enum cannot take (`handleUnexpectedToken`).
fn enum_token_error(value: &Value) -> String {
    let (desc, token) = match value {
        Value::Bool(true) => ("Boolean value", "VALUE_TRUE"),
        Value::Bool(false) => ("Boolean value", "VALUE_FALSE"),
        Value::Array(_) => ("Array value", "START_ARRAY"),
        Value::Object(_) => ("Object value", "START_OBJECT"),
        _ => ("Floating-point value", "VALUE_NUMBER_FLOAT"),
    };
    format!(
        "Cannot deserialize value of type `LifecyclePolicy` from {desc} (token \
         `JsonToken.{token}`)"
    )
}

/// A `LifecyclePolicy` field as Jackson's `EnumDeserializer` reads it: the name exactly, or
/// an int as the index (0 STRONG, 1 WEAK; `FAIL_ON_NUMBERS_FOR_ENUMS` is off); `null` and an
/// empty string are absent.
fn lifecycle(value: &Value) -> Result<Option<Lifecycle>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Lifecycle::parse(s).map(Some).ok_or_else(|| {
            format!(
                "Cannot deserialize value of type `LifecyclePolicy` from String \"{s}\": not \
                 one of the values accepted for Enum class: [STRONG, WEAK]"
            )
        }),
        Value::Number(n) if n.is_i64() || n.is_u64() => match n.as_i64() {
            Some(0) => Ok(Some(Lifecycle::Strong)),
            Some(1) => Ok(Some(Lifecycle::Weak)),
            _ => Err(format!(
                "Cannot deserialize value of type `LifecyclePolicy` from number {n}: index \
                 value outside legal index range [0..1]"
            )),
        },
        other => Err(enum_token_error(other)),
    }
}

/// The elements of a list field: objects, or `None` for a `null` element.
type Objects<'v> = Vec<Option<&'v Map<String, Value>>>;

/// The objects of a list field (`null` elements kept as absent).
fn objects<'v>(value: &'v Value, class: &str) -> Result<Option<Objects<'v>>, String> {
    let Some(items) = jackson::list(value, class)? else {
        return Ok(None);
    };
    items
        .iter()
        .map(|item| match item {
            Value::Null => Ok(None),
            Value::Object(fields) => Ok(Some(fields)),
            other => Err(jackson::creator_mismatch(class, other).unwrap_or_default()),
        })
        .collect::<Result<Vec<_>, String>>()
        .map(Some)
}

impl JacksonRequest for AssociationInfoRequest {
    const CLASS: &'static str = "AssociationCreateOrUpdateInfo";

    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String> {
        let mut info = AssociationInfoRequest::default();
        jackson::each_field(fields, |k, v| {
            match k {
                "subject" => info.subject = jackson::string(v)?,
                "associationType" => info.association_type = jackson::string(v)?,
                "lifecycle" => info.lifecycle = lifecycle(v)?,
                "frozen" => info.frozen = jackson::boolean(v)?,
                "normalize" => info.normalize = jackson::boolean(v)?,
                "schema" => {
                    info.schema = match v {
                        Value::Object(f) => Some(RegisterSchemaRequest::from_fields(f)?),
                        Value::Null => None,
                        other => {
                            return Err(jackson::creator_mismatch(
                                RegisterSchemaRequest::CLASS,
                                other,
                            )
                            .unwrap_or_default());
                        }
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(info)
    }
}

/// The resource fields every association body has.
fn resource_field(
    k: &str,
    v: &Value,
    name: &mut Option<String>,
    namespace: &mut Option<String>,
    id: &mut Option<String>,
    resource_type: &mut Option<String>,
) -> Result<(), String> {
    match k {
        "resourceName" => *name = jackson::string(v)?,
        "resourceNamespace" => *namespace = jackson::string(v)?,
        "resourceId" => *id = jackson::string(v)?,
        "resourceType" => *resource_type = jackson::string(v)?,
        _ => {}
    }
    Ok(())
}

impl JacksonRequest for AssociationRequest {
    const CLASS: &'static str = "AssociationCreateOrUpdateRequest";

    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String> {
        let mut r = AssociationRequest::default();
        jackson::each_field(fields, |k, v| {
            if k == "associations" {
                r.associations = objects(v, AssociationInfoRequest::CLASS)?
                    .map(|items| {
                        items
                            .into_iter()
                            .map(|f| {
                                f.map_or(
                                    Ok(Default::default()),
                                    AssociationInfoRequest::from_fields,
                                )
                            })
                            .collect::<Result<Vec<_>, String>>()
                    })
                    .transpose()?;
                return Ok(());
            }
            resource_field(
                k,
                v,
                &mut r.resource_name,
                &mut r.resource_namespace,
                &mut r.resource_id,
                &mut r.resource_type,
            )
        })?;
        Ok(r)
    }
}

impl JacksonRequest for AssociationGetRequest {
    const CLASS: &'static str = "AssociationGetRequest";

    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String> {
        let mut r = AssociationGetRequest::default();
        jackson::each_field(fields, |k, v| match k {
            "associationTypes" => {
                r.association_types = jackson::list(v, "String")?
                    .map(|items| {
                        items
                            .iter()
                            .map(|i| jackson::string(i).map(Option::unwrap_or_default))
                            .collect::<Result<Vec<_>, String>>()
                    })
                    .transpose()?;
                Ok(())
            }
            "lifecycle" => {
                r.lifecycle = lifecycle(v)?;
                Ok(())
            }
            _ => resource_field(
                k,
                v,
                &mut r.resource_name,
                &mut r.resource_namespace,
                &mut r.resource_id,
                &mut r.resource_type,
            ),
        })?;
        Ok(r)
    }
}

/// One operation of a batch, by its `opType` (Jackson's `JsonTypeInfo` with
/// `EXISTING_PROPERTY`).
fn op(fields: &Map<String, Value>) -> Result<AssociationOp, String> {
    let kind = match fields.get("opType") {
        None | Some(Value::Null) => {
            return Err("Could not resolve subtype of [simple type, class \
                        io.confluent.kafka.schemaregistry.client.rest.entities.requests.\
                        AssociationOp]: missing type id property 'opType'"
                .to_owned());
        }
        Some(v) => jackson::string(v)?.unwrap_or_default(),
    };
    match kind.as_str() {
        "CREATE" => AssociationInfoRequest::from_fields(fields).map(AssociationOp::Create),
        "UPSERT" => AssociationInfoRequest::from_fields(fields).map(AssociationOp::Upsert),
        "DELETE" => {
            let mut association_type = None;
            let mut cascade_lifecycle = None;
            jackson::each_field(fields, |k, v| {
                match k {
                    "associationType" => association_type = jackson::string(v)?,
                    "cascadeLifecycle" => cascade_lifecycle = jackson::boolean(v)?,
                    _ => {}
                }
                Ok(())
            })?;
            Ok(AssociationOp::Delete {
                association_type,
                cascade_lifecycle,
            })
        }
        other => Err(format!(
            "Could not resolve type id '{other}' as a subtype of `AssociationOp`: known type \
             ids = [CREATE, DELETE, UPSERT]"
        )),
    }
}

impl JacksonRequest for AssociationOpRequest {
    const CLASS: &'static str = "AssociationOpRequest";

    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String> {
        let mut r = AssociationOpRequest::default();
        jackson::each_field(fields, |k, v| match k {
            "associations" => {
                r.associations = objects(v, "AssociationOp")?
                    .map(|items| {
                        items
                            .into_iter()
                            .map(|f| op(f.unwrap_or(&Map::new())))
                            .collect::<Result<Vec<_>, String>>()
                    })
                    .transpose()?;
                Ok(())
            }
            "error" => {
                r.error = match v {
                    Value::Object(f) => Some(ErrorBody {
                        error_code: f
                            .get("error_code")
                            .and_then(Value::as_u64)
                            .and_then(|c| u32::try_from(c).ok())
                            .unwrap_or_default(),
                        message: f
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    }),
                    _ => None,
                };
                Ok(())
            }
            _ => resource_field(
                k,
                v,
                &mut r.resource_name,
                &mut r.resource_namespace,
                &mut r.resource_id,
                &mut r.resource_type,
            ),
        })?;
        Ok(r)
    }
}

/// The `requests` list of a batch body.
fn requests<T: JacksonRequest + Default>(
    fields: &Map<String, Value>,
) -> Result<Option<Vec<T>>, String> {
    let mut out = None;
    jackson::each_field(fields, |k, v| {
        if k == "requests" {
            out = objects(v, T::CLASS)?
                .map(|items| {
                    items
                        .into_iter()
                        .map(|f| f.map_or(Ok(T::default()), T::from_fields))
                        .collect::<Result<Vec<_>, String>>()
                })
                .transpose()?;
        }
        Ok(())
    })?;
    Ok(out)
}

impl JacksonRequest for AssociationBatchGetRequest {
    const CLASS: &'static str = "AssociationBatchGetRequest";

    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String> {
        Ok(Self {
            requests: requests(fields)?,
        })
    }
}

impl JacksonRequest for AssociationBatchRequest {
    const CLASS: &'static str = "AssociationBatchRequest";

    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String> {
        Ok(Self {
            requests: requests(fields)?,
        })
    }
}

fn ok<T: serde::Serialize>(body: &T) -> ApiResult {
    Ok(sr_json(StatusCode::OK, body))
}

/// `requests` present and not empty, else Confluent's 42212.
fn non_empty<T>(requests: Option<Vec<T>>) -> Result<Vec<T>, ApiError> {
    match requests {
        Some(r) if !r.is_empty() => Ok(r),
        _ => Err(crate::Error::InvalidAssociation {
            property: "requests".into(),
            detail: "cannot be null or empty".into(),
        }
        .into()),
    }
}

/// The associations of a subject.
#[utoipa::path(
    get,
    path = "/associations/subjects/{subject}",
    tag = "associations",
    params(
        ("subject" = String, Path, description = "The subject, percent-encoded."),
        AssociationQuery,
    ),
    responses(
        (status = 200, description = "The associations, sorted by resource name, namespace, type, association type and subject.", body = Vec<Association>),
        (status = 404, description = "404 a parameter that does not convert", body = ErrorBody),
    )
)]
async fn by_subject(
    State(r): State<AppState>,
    SrPath(subject): SrPath<String>,
    p: AssociationParams,
) -> ApiResult {
    ok(&r
        .associations_by_subject(&subject, &p.filter, p.offset, p.limit)
        .await?)
}

/// The associations of a resource by namespace and name; `-` for either matches every one.
#[utoipa::path(
    get,
    path = "/associations/resources/{resourceNamespace}/{resourceName}",
    tag = "associations",
    params(
        ("resourceNamespace" = String, Path, description = "The resource's namespace (the Kafka cluster id); `-` matches every namespace."),
        ("resourceName" = String, Path, description = "The resource's name (the topic); `-` matches every resource of the namespace."),
        AssociationQuery,
    ),
    responses(
        (status = 200, description = "The associations.", body = Vec<Association>),
        (status = 404, description = "404 a parameter that does not convert", body = ErrorBody),
    )
)]
async fn by_resource_name(
    State(r): State<AppState>,
    SrPath((namespace, name)): SrPath<(String, String)>,
    p: AssociationParams,
) -> ApiResult {
    ok(&r
        .associations_by_resource_name(&namespace, &name, &p.filter, p.offset, p.limit)
        .await?)
}

/// The associations of a resource by name, with the name and namespace in the query: the
/// request the Rust client `schema-registry-client` sends (its default subject name strategy
/// asks for the topic's associations this way before it falls back to the topic name), and
/// an extension here: Confluent's server serves only the path form
/// `/associations/resources/{resourceNamespace}/{resourceName}`, which this answers exactly
/// as. A missing `resourceName` or `resourceNamespace` matches every one (`-`).
#[utoipa::path(
    get,
    path = "/associations",
    tag = "associations",
    params(
        ("resourceName" = Option<String>, Query, description = "The resource's name (the topic); every resource when absent or `-`."),
        ("resourceNamespace" = Option<String>, Query, description = "The resource's namespace (the Kafka cluster id); every namespace when absent or `-`."),
        AssociationQuery,
    ),
    responses(
        (status = 200, description = "The associations.", body = Vec<Association>),
        (status = 404, description = "404 a parameter that does not convert", body = ErrorBody),
    )
)]
async fn by_resource_name_query(
    State(r): State<AppState>,
    RawQuery(query): RawQuery,
    p: AssociationParams,
) -> ApiResult {
    let mut name = None;
    let mut namespace = None;
    for (key, value) in query_pairs(query.as_deref().unwrap_or_default()) {
        match key.as_str() {
            // A single-valued JAX-RS parameter takes the first value.
            "resourceName" if name.is_none() => name = Some(value),
            "resourceNamespace" if namespace.is_none() => namespace = Some(value),
            _ => {}
        }
    }
    let or_all = |v: Option<String>| v.filter(|v| !v.is_empty()).unwrap_or_else(|| "-".into());
    ok(&r
        .associations_by_resource_name(
            &or_all(namespace),
            &or_all(name),
            &p.filter,
            p.offset,
            p.limit,
        )
        .await?)
}

/// The associations of a resource id.
#[utoipa::path(
    get,
    path = "/associations/resources/{resourceId}",
    tag = "associations",
    params(
        ("resourceId" = String, Path, description = "The resource's id (the topic id)."),
        AssociationQuery,
    ),
    responses(
        (status = 200, description = "The associations.", body = Vec<Association>),
        (status = 404, description = "404 a parameter that does not convert", body = ErrorBody),
    )
)]
async fn by_resource_id(
    State(r): State<AppState>,
    SrPath(id): SrPath<String>,
    p: AssociationParams,
) -> ApiResult {
    ok(&r
        .associations_by_resource_id(&id, &p.filter, p.offset, p.limit)
        .await?)
}

/// Creates a resource's associations; a schema given with one is registered under its
/// subject (STRONG, frozen, subject `:.{namespace}:{name}-{type}`). Repeating a create that
/// succeeded writes nothing and answers without associations.
#[utoipa::path(
    post,
    path = "/associations",
    tag = "associations",
    params(
        ("context" = Option<String>, Query, description = "The context of unqualified subjects (`.ctx` or `:.ctx:`); the default context when absent."),
        ("dryRun" = Option<Flag>, Query, description = "`true` validates only; the answer has no associations."),
    ),
    request_body(content = AssociationRequest, description = "The resource and its associations."),
    responses(
        (status = 200, description = "The associations written.", body = AssociationResponse),
        (status = 409, description = "40901 the schema given is incompatible; 40903 the resource has another association of the type; 40904 a STRONG association's subject has other associations; 40905 a WEAK association's subject has a STRONG one; 40907 the subject has no live version; 40908 the association is frozen", body = ErrorBody),
        (status = 422, description = "42201 invalid schema; 42205 read-only mode; 42206 a STRONG association's subject is referenced; 42212 invalid association (the message names the property)", body = ErrorBody),
    )
)]
async fn create_association(
    State(r): State<AppState>,
    p: AssociationParams,
    SrBody(body): SrBody<AssociationRequest>,
) -> ApiResult {
    let response = detached(async move {
        r.create_or_update_association(body, p.context.as_deref(), true, p.dry_run)
            .await
    })
    .await?;
    ok(&response)
}

/// Creates or updates a resource's associations (no schema; a new one is WEAK unless the
/// subject is in IMPORT mode).
#[utoipa::path(
    put,
    path = "/associations/resources/{resourceId}",
    tag = "associations",
    params(
        ("resourceId" = String, Path, description = "The resource's id; the body's, when given, must be the same."),
        ("context" = Option<String>, Query, description = "The context of unqualified subjects; the default context when absent."),
        ("dryRun" = Option<Flag>, Query, description = "`true` validates only."),
    ),
    request_body(content = AssociationRequest, description = "The resource and its associations."),
    responses(
        (status = 200, description = "The associations written.", body = AssociationResponse),
        (status = 409, description = "40903 the resource has another association of the type; 40904 a STRONG association's subject has other associations; 40905 a WEAK association's subject has a STRONG one; 40907 the subject has no live version; 40908 the association is frozen", body = ErrorBody),
        (status = 422, description = "42205 read-only mode; 42206 referenced; 42212 invalid association", body = ErrorBody),
    )
)]
async fn create_or_update_association(
    State(r): State<AppState>,
    SrPath(id): SrPath<String>,
    p: AssociationParams,
    SrBody(mut body): SrBody<AssociationRequest>,
) -> ApiResult {
    match &body.resource_id {
        None => body.resource_id = Some(id),
        Some(given) if *given != id => {
            return Err(crate::Error::InvalidAssociation {
                property: "resourceId".into(),
                detail: "Resource ID in the path parameter does not match the resource ID in \
                         the request body"
                    .into(),
            }
            .into());
        }
        Some(_) => {}
    }
    let response = detached(async move {
        r.create_or_update_association(body, p.context.as_deref(), false, p.dry_run)
            .await
    })
    .await?;
    ok(&response)
}

/// Deletes a resource's associations (of the given types, else all); with
/// `cascadeLifecycle=true`, a frozen one too, and a STRONG one's subject with it.
#[utoipa::path(
    delete,
    path = "/associations/resources/{resourceId}",
    tag = "associations",
    params(
        ("resourceId" = String, Path, description = "The resource's id."),
        ("resourceType" = Option<String>, Query, description = "Resource type; `topic` when absent or empty."),
        ("associationType" = Option<Vec<String>>, Query, description = "Only these association types; repeat the parameter for several."),
        ("cascadeLifecycle" = Option<Flag>, Query, description = "`true` deletes frozen associations too, and the subjects of STRONG ones (soft, then hard)."),
        ("dryRun" = Option<Flag>, Query, description = "`true` validates only."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "40410 the resource has no association (of those types)", body = ErrorBody),
        (status = 409, description = "40908 a frozen association without cascadeLifecycle", body = ErrorBody),
        (status = 422, description = "42205 read-only mode; 42206 a cascaded subject is referenced", body = ErrorBody),
    )
)]
async fn delete_associations(
    State(r): State<AppState>,
    SrPath(id): SrPath<String>,
    p: AssociationParams,
) -> ApiResult {
    detached(async move {
        r.delete_associations(&id, &p.filter, p.cascade_lifecycle, p.dry_run)
            .await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Answers several association queries at once (HTTP 207); each fails on its own.
#[utoipa::path(
    post,
    path = "/associations:batchGet",
    tag = "associations",
    params(
        ("includeSchemas" = Option<Flag>, Query, description = "`true` adds each subject's latest version."),
    ),
    request_body(content = AssociationBatchGetRequest, description = "`{\"requests\": [{resourceId | resourceName+resourceNamespace, resourceType?, associationTypes?, lifecycle?}]}`"),
    responses(
        (status = 207, description = "One result (or error, error_code 500) per query.", body = AssociationBatchResponse),
        (status = 422, description = "42212 no requests", body = ErrorBody),
    )
)]
async fn batch_get(
    State(r): State<AppState>,
    p: AssociationParams,
    SrBody(body): SrBody<AssociationBatchGetRequest>,
) -> ApiResult {
    let queries = non_empty(body.requests)?;
    let response = r.batch_get_associations(queries, p.include_schemas).await?;
    Ok(sr_json(StatusCode::MULTI_STATUS, &response))
}

/// Applies operations (`opType` CREATE, UPSERT, DELETE) to several resources (HTTP 207);
/// each resource fails on its own, with the code a single request would answer.
#[utoipa::path(
    post,
    path = "/associations:batchMutate",
    tag = "associations",
    params(
        ("context" = Option<String>, Query, description = "The context of unqualified subjects; the default context when absent."),
        ("dryRun" = Option<Flag>, Query, description = "`true` validates only."),
    ),
    request_body(content = AssociationBatchRequest, description = "`{\"requests\": [{resourceName, resourceNamespace, resourceId, resourceType?, associations: [{opType, …}]}]}`"),
    responses(
        (status = 207, description = "One result (or error) per resource: its associations after the operations.", body = AssociationBatchResponse),
        (status = 422, description = "42212 no requests", body = ErrorBody),
    )
)]
async fn batch_mutate(
    State(r): State<AppState>,
    p: AssociationParams,
    SrBody(body): SrBody<AssociationBatchRequest>,
) -> ApiResult {
    let requests = non_empty(body.requests)?;
    let response = detached(async move {
        r.mutate_associations(requests, p.context.as_deref(), p.dry_run)
            .await
    })
    .await?;
    Ok(sr_json(StatusCode::MULTI_STATUS, &response))
}
