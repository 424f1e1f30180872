//! The OpenAPI 3.1 description of the whole API, generated from the handlers'
//! `utoipa::path` attributes and the bodies' `ToSchema`. Served at `GET /openapi.json` and
//! shipped as `openapi.json` at the repository root; a test fails when the two differ.
//! Regenerate the shipped file with `cargo run -p warden-cli -- openapi > openapi.json`.
//!
//! The router is built from the same operations (`router`), so every route has its
//! operation and every operation its route. On top of what the attributes say,
//! [`document`] adds what every operation shares: the registry's content type, the
//! transport-level refusals (400, 413, 415), 500 (50001, 50002), and the links from a
//! registration to reading and deleting what it registered.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa::OpenApi;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{self, RefOr};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use warden_core::api::ErrorBody;
use warden_core::{ErrorCode, SchemaId, Subject, VersionSelector};

use super::{
    AppState, CONTENT_TYPE, associations, contexts, contracts, dek_registry, diff, ops, routes,
};

/// The request content types documented for JSON bodies (the API also takes
/// `application/octet-stream` and no content type, as Confluent does).
const REQUEST_CONTENT_TYPES: [&str; 3] = [
    CONTENT_TYPE,
    "application/vnd.schemaregistry+json",
    "application/json",
];

/// A flag in the query string, read as Java's `Boolean.valueOf` (as Confluent's JAX-RS
/// resources read a `boolean` parameter): `true` in any case is true, any other value or
/// none is false. Documented as a boolean or any string, since every string is accepted.
#[derive(Debug)]
pub(super) enum Flag {}

impl utoipa::PartialSchema for Flag {
    fn schema() -> RefOr<openapi::schema::Schema> {
        openapi::schema::AnyOfBuilder::new()
            .item(openapi::schema::ObjectBuilder::new().schema_type(openapi::schema::Type::Boolean))
            .item(openapi::schema::ObjectBuilder::new().schema_type(openapi::schema::Type::String))
            .description(Some(
                "A flag read as Java's Boolean.valueOf: `true` in any case is true, any other \
                 value false.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Flag {}

/// A query parameter read as JAX-RS reads an `int` (`offset`, `limit`): an integer, or blank
/// for the default; any other text is 404, as Jersey answers a parameter it cannot convert.
#[derive(Debug)]
pub(super) enum JavaInt {}

impl utoipa::PartialSchema for JavaInt {
    fn schema() -> RefOr<openapi::schema::Schema> {
        openapi::schema::AnyOfBuilder::new()
            .item(
                openapi::schema::ObjectBuilder::new()
                    .schema_type(openapi::schema::Type::Integer)
                    .format(Some(openapi::schema::SchemaFormat::KnownFormat(
                        openapi::schema::KnownFormat::Int32,
                    ))),
            )
            .item(
                openapi::schema::ObjectBuilder::new()
                    .schema_type(openapi::schema::Type::String)
                    .pattern(Some(r"^\s*([+-]?[0-9]{1,9})?\s*$")),
            )
            .description(Some(
                "A Java int; blank is the default (JAX-RS), text that is not an int is 404.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for JavaInt {}

/// A Java `String` body field: Jackson coerces a number or a boolean to its text (`false`
/// is `"false"`), as Confluent reads it.
#[derive(Debug)]
pub(crate) enum JavaString {}

impl utoipa::PartialSchema for JavaString {
    fn schema() -> RefOr<openapi::schema::Schema> {
        let of = |t| openapi::schema::ObjectBuilder::new().schema_type(t);
        openapi::schema::AnyOfBuilder::new()
            .item(of(openapi::schema::Type::String))
            .item(of(openapi::schema::Type::Number))
            .item(of(openapi::schema::Type::Boolean))
            .item(of(openapi::schema::Type::Null))
            .description(Some(
                "A string; a number or boolean is read as its text (Jackson's coercions, as \
                 Confluent).",
            ))
            .into()
    }
}

impl utoipa::ToSchema for JavaString {}

/// One operation of `POST /associations:batchMutate` (Confluent `AssociationOp`, chosen by
/// its `opType`; Jackson answers 400 without one).
#[derive(Debug)]
pub(crate) enum AssociationOpSchema {}

impl utoipa::PartialSchema for AssociationOpSchema {
    fn schema() -> RefOr<openapi::schema::Schema> {
        openapi::schema::ObjectBuilder::new()
            .property(
                "opType",
                openapi::schema::ObjectBuilder::new()
                    .schema_type(openapi::schema::Type::String)
                    .enum_values(Some(["CREATE", "UPSERT", "DELETE"])),
            )
            .required("opType")
            .description(Some(
                "CREATE and UPSERT carry an association as in POST /associations; DELETE an \
                 associationType and cascadeLifecycle.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for AssociationOpSchema {}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Warden",
        description = "A Kafka schema registry speaking the Confluent Schema Registry REST API. \
            Every failure answers Confluent's body `{\"error_code\": int, \"message\": string}`; \
            each operation lists the error codes it can answer under the HTTP status they come \
            with. Any path may also answer 404 (error_code 404, no such route) and 405 \
            (error_code 405, method not allowed).",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    // The path parameters' schemas (the attributes name them; nothing collects them).
    components(schemas(ErrorBody, Flag, JavaInt, SchemaId, Subject, VersionSelector)),
    tags(
        (name = "schemas", description = "Schemas by global id."),
        (name = "subjects", description = "Subjects and their versions: register, look up, read, delete."),
        (name = "compatibility", description = "Compatibility tests of a schema against a subject's versions."),
        (name = "config", description = "Compatibility levels, registry-wide and per subject."),
        (name = "mode", description = "Modes (READWRITE, READONLY, READONLY_OVERRIDE, IMPORT), registry-wide and per subject."),
        (name = "registry", description = "The registry itself."),
        (name = "metadata", description = "The server's cluster id, version and deployment (Confluent's /v1/metadata)."),
        (name = "contexts", description = "Schema contexts: subjects qualified `:.ctx:name`, each context with its own schema ids."),
        (name = "associations", description = "Resources (Kafka topics) linked to their key and value subjects, WEAK or STRONG (Confluent 8)."),
        (name = "diff", description = "Warden's structured diff: every change between two schemas, compatible or breaking per direction with its rule, and the verdict under each level (a Warden extension)."),
        (name = "dek-registry", description = "Key encryption keys (KEKs) and the data encryption keys (DEKs) they wrap, for the clients' ENCRYPT rules (Confluent's DEK registry)."),
        (name = "operations", description = "Health, metrics and this description."),
    )
)]
struct ApiDoc;

/// Every route of the API with its operation: the registry's resources, the operational
/// endpoints and `/openapi.json`.
pub(super) fn router() -> OpenApiRouter<AppState> {
    MODULES
        .iter()
        .fold(
            OpenApiRouter::with_openapi(ApiDoc::openapi()),
            |api, (described, _)| api.merge(described()),
        )
        .routes(routes!(openapi_json))
}

/// The routes of [`router`], without their descriptions: what the server runs.
pub(super) fn routes() -> axum::Router<AppState> {
    let router = axum::Router::new();
    let router = operations!(@route router, openapi_json);
    MODULES
        .iter()
        .fold(router, |served, (_, plain)| served.merge(plain()))
}

/// A module's `router` and `routes` (see `operations!`).
type Module = (
    fn() -> OpenApiRouter<AppState>,
    fn() -> axum::Router<AppState>,
);

/// The modules of operations (`operations!`), each as [`router`] takes it (described) and as
/// [`routes`] takes it (plain): one list, so nothing is served undescribed or described
/// unserved.
const MODULES: [Module; 7] = [
    (routes::router, routes::routes),
    (contracts::router, contracts::routes),
    (associations::router, associations::routes),
    (contexts::router, contexts::routes),
    (diff::router, diff::routes),
    (dek_registry::router, dek_registry::routes),
    (ops::router, ops::routes),
];

/// The OpenAPI description of the API, as `GET /openapi.json` serves it.
pub fn document() -> openapi::OpenApi {
    let (_, mut api) = router().split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    for (path, item) in &mut api.paths.paths {
        for (method, operation) in operations(item) {
            complete(path, method, operation);
        }
    }
    link(&mut api);
    api
}

/// [`document`] as pretty-printed JSON with a final newline: the text of the shipped
/// `openapi.json`.
pub fn document_json() -> String {
    let mut text = document()
        .to_pretty_json()
        .expect("the OpenAPI description serializes");
    text.push('\n');
    text
}

static DOCUMENT: LazyLock<bytes::Bytes> = LazyLock::new(|| document_json().into());

/// This description of the API.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((
        status = 200,
        description = "The OpenAPI 3.1 description of the API.",
        body = Object,
        content_type = "application/json"
    ))
)]
async fn openapi_json() -> Response {
    let mut response = (StatusCode::OK, DOCUMENT.clone()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The operations of a path item with their methods.
fn operations(item: &mut openapi::PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.map(|op| (method, op)))
    .collect()
}

/// Adds to one operation what every operation shares.
fn complete(path: &str, method: &str, op: &mut Operation) {
    let served_as_is = path == "/openapi.json" || path == "/metrics";
    if !served_as_is {
        // Responses are JSON under the registry's own content type.
        for response in op.responses.responses.values_mut() {
            if let RefOr::T(response) = response
                && let Some(content) = response.content.shift_remove("application/json")
            {
                response.content.insert(CONTENT_TYPE.to_owned(), content);
            }
        }
    }
    let has_body = op.request_body.is_some();
    if let Some(RefOr::T(body)) = op.request_body.as_mut()
        && let Some(content) = body.content.remove("application/json")
    {
        for content_type in REQUEST_CONTENT_TYPES {
            body.content
                .insert(content_type.to_owned(), content.clone());
        }
    }
    let has_query = op.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.parameter_in == ParameterIn::Query,
        RefOr::Ref(_) => false,
    });
    let mut shared = Vec::new();
    if has_body {
        shared.push((
            ErrorCode::BadRequest,
            "a body that is not JSON or not of the documented shape",
        ));
    }
    if has_query {
        shared.push((ErrorCode::BadRequest, "a query parameter given twice"));
    }
    if has_body {
        shared.push((
            ErrorCode::PayloadTooLarge,
            "a body over the configured limit (--max-body-bytes)",
        ));
        shared.push((
            ErrorCode::UnsupportedMediaType,
            "a content type other than JSON or application/octet-stream",
        ));
        shared.push((ErrorCode::UnprocessableEntity, "an empty body or `null`"));
    }
    // Security (off by default): every route but the health probes may ask for
    // credentials and refuse what the rules do not grant; changes are rate-limited.
    if !path.starts_with("/health/") {
        shared.push((
            ErrorCode::Unauthorized,
            "with authentication on: no credentials, or credentials that authenticate no one",
        ));
        shared.push((
            ErrorCode::Forbidden,
            "with authentication on: the rules do not grant the principal this operation on \
             this subject",
        ));
        if method != "get" {
            shared.push((
                ErrorCode::TooManyRequests,
                "the principal sent more changes than its rate limit (--max-writes-per-second)",
            ));
        }
    }
    shared.push((ErrorCode::StoreError, "error in the backend data store"));
    shared.push((
        ErrorCode::OperationTimeout,
        "the request did not finish within the configured timeout",
    ));
    for (code, reason) in shared {
        add_error(op, code, reason);
    }
    if method == "get" && path == "/" {
        // `GET /` and `POST /` share one handler: give each its own operation id.
        op.operation_id = Some("root".to_owned());
    } else if path == "/" {
        op.operation_id = Some("root_post".to_owned());
    }
}

/// Adds `code` to the operation's response for its HTTP status, creating the response when
/// the operation has none for that status.
fn add_error(op: &mut Operation, code: ErrorCode, reason: &str) {
    let status = code.http_status().to_string();
    let item = format!("{} {reason}", code.code());
    let response = op.responses.responses.entry(status).or_insert_with(|| {
        RefOr::T(
            openapi::ResponseBuilder::new()
                .content(
                    CONTENT_TYPE,
                    openapi::ContentBuilder::new()
                        .schema(Some(openapi::Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    });
    if let RefOr::T(response) = response {
        if response.description.is_empty() {
            response.description = item;
        } else {
            response.description = format!("{}; {item}", response.description);
        }
    }
}

/// The links that lead from one operation's response to the next: from a registration to
/// reading, looking up, testing and deleting what it registered, from a version to its
/// deletion, from a soft delete to the permanent one.
fn link(api: &mut openapi::OpenApi) {
    let subject = json!("$request.path.subject");
    let links = [
        (
            "/subjects/{subject}/versions",
            "post",
            "GetSchemaById",
            "schema_by_id",
            json!({"id": "$response.body#/id"}),
            None,
        ),
        (
            "/subjects/{subject}/versions",
            "post",
            "GetSchemaTextById",
            "raw_schema_by_id",
            json!({"id": "$response.body#/id"}),
            None,
        ),
        (
            "/subjects/{subject}/versions",
            "post",
            "GetSubjectsById",
            "subjects_by_id",
            json!({"id": "$response.body#/id"}),
            None,
        ),
        (
            "/subjects/{subject}/versions",
            "post",
            "GetVersionsById",
            "versions_by_id",
            json!({"id": "$response.body#/id"}),
            None,
        ),
        (
            "/subjects/{subject}/versions",
            "post",
            "GetLatestVersion",
            "get_version",
            json!({"subject": subject, "version": "latest"}),
            None,
        ),
        (
            "/subjects/{subject}/versions",
            "post",
            "ListVersions",
            "list_versions",
            json!({"subject": subject}),
            None,
        ),
        (
            "/subjects/{subject}/versions",
            "post",
            "LookUpSchema",
            "lookup",
            json!({"subject": subject}),
            Some(json!("$request.body")),
        ),
        (
            "/subjects/{subject}/versions",
            "post",
            "TestCompatibility",
            "check_one_version",
            json!({"subject": subject, "version": "latest"}),
            Some(json!("$request.body")),
        ),
        (
            "/subjects/{subject}/versions",
            "post",
            "DeleteSubject",
            "delete_subject",
            json!({"subject": subject}),
            None,
        ),
        (
            "/subjects/{subject}",
            "post",
            "GetVersion",
            "get_version",
            json!({"subject": "$response.body#/subject", "version": "$response.body#/version"}),
            None,
        ),
        (
            "/subjects/{subject}/versions/{version}",
            "get",
            "DeleteVersion",
            "delete_version",
            json!({"subject": "$response.body#/subject", "version": "$response.body#/version"}),
            None,
        ),
        (
            "/subjects/{subject}/versions/{version}",
            "get",
            "GetReferencedBy",
            "referenced_by",
            json!({"subject": "$response.body#/subject", "version": "$response.body#/version"}),
            None,
        ),
        (
            "/subjects/{subject}/versions/{version}",
            "delete",
            "DeleteVersionPermanently",
            "delete_version",
            json!({"subject": subject, "version": "$request.path.version", "permanent": true}),
            None,
        ),
        (
            "/subjects/{subject}",
            "delete",
            "DeleteSubjectPermanently",
            "delete_subject",
            json!({"subject": subject, "permanent": true}),
            None,
        ),
        (
            "/subjects/{subject}",
            "delete",
            "ListDeletedVersions",
            "list_versions",
            json!({"subject": subject, "deleted": true}),
            None,
        ),
        (
            "/config/{subject}",
            "put",
            "GetSubjectConfig",
            "get_subject_config",
            json!({"subject": subject}),
            None,
        ),
        (
            "/mode/{subject}",
            "put",
            "GetSubjectMode",
            "get_subject_mode",
            json!({"subject": subject}),
            None,
        ),
        // The DEK registry: from a KEK to reading, changing, testing and deleting it and to
        // creating its DEKs; from a DEK to reading and deleting it.
        (
            "/dek-registry/v1/keks",
            "post",
            "GetKek",
            "get_kek",
            json!({"name": "$response.body#/name"}),
            None,
        ),
        (
            "/dek-registry/v1/keks",
            "post",
            "UpdateKek",
            "update_kek",
            json!({"name": "$response.body#/name"}),
            None,
        ),
        (
            "/dek-registry/v1/keks",
            "post",
            "TestKek",
            "test_kek",
            json!({"name": "$response.body#/name"}),
            None,
        ),
        (
            "/dek-registry/v1/keks",
            "post",
            "CreateDek",
            "create_dek_of_subject",
            json!({"name": "$response.body#/name", "subject": "orders-value"}),
            None,
        ),
        (
            "/dek-registry/v1/keks",
            "post",
            "DeleteKek",
            "delete_kek",
            json!({"name": "$response.body#/name"}),
            None,
        ),
        (
            "/dek-registry/v1/keks/{name}/deks/{subject}",
            "post",
            "GetDek",
            "get_dek",
            json!({"name": "$response.body#/kekName", "subject": "$response.body#/subject",
                   "version": "$response.body#/version"}),
            None,
        ),
        (
            "/dek-registry/v1/keks/{name}/deks/{subject}",
            "post",
            "ListDekVersions",
            "dek_versions",
            json!({"name": "$response.body#/kekName", "subject": "$response.body#/subject"}),
            None,
        ),
        (
            "/dek-registry/v1/keks/{name}/deks/{subject}",
            "post",
            "DeleteDeks",
            "delete_deks",
            json!({"name": "$response.body#/kekName", "subject": "$response.body#/subject"}),
            None,
        ),
        (
            "/dek-registry/v1/keks/{name}/deks/{subject}",
            "delete",
            "UndeleteDeks",
            "undelete_deks",
            json!({"name": "$request.path.name", "subject": "$request.path.subject"}),
            None,
        ),
    ];
    for (path, method, name, target, parameters, body) in links {
        let item = api
            .paths
            .paths
            .get_mut(path)
            .unwrap_or_else(|| panic!("{path} is a documented path"));
        let (_, op) = operations(item)
            .into_iter()
            .find(|(m, _)| *m == method)
            .unwrap_or_else(|| panic!("{method} {path} is a documented operation"));
        let status = ["200", "204"]
            .into_iter()
            .find(|status| op.responses.responses.contains_key(*status))
            .unwrap_or_else(|| panic!("{method} {path} documents its 200 or 204 response"));
        let Some(RefOr::T(ok)) = op.responses.responses.get_mut(status) else {
            panic!("{method} {path} documents its {status} response inline");
        };
        let mut builder = LinkBuilder::new().operation_id(target);
        if let Value::Object(parameters) = parameters {
            for (name, value) in parameters {
                builder = builder.parameter(name, value);
            }
        }
        if let Some(body) = body {
            builder = builder.request_body(Some(body));
        }
        ok.links.insert(name.to_owned(), RefOr::T(builder.build()));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;

    fn shipped_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json")
    }

    #[test]
    fn the_shipped_openapi_json_is_what_the_server_generates() {
        let generated = document_json();
        if std::env::var_os("WARDEN_UPDATE_OPENAPI").is_some() {
            std::fs::write(shipped_path(), &generated).expect("openapi.json is writable");
            return;
        }
        let shipped = std::fs::read_to_string(shipped_path()).unwrap_or_default();
        assert!(
            shipped == generated,
            "openapi.json at the repository root differs from the generated description; \
             regenerate it with `cargo run -p warden-cli -- openapi > openapi.json` (or \
             `WARDEN_UPDATE_OPENAPI=1 cargo test -p warden-server openapi`)"
        );
    }

    #[test]
    fn the_description_is_openapi_3_1_with_the_real_paths() {
        let api = document();
        let doc: Value = serde_json::to_value(&api).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths: BTreeSet<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for path in [
            "/",
            "/schemas/ids/{id}",
            "/subjects/{subject}/versions",
            "/subjects/{subject}/versions/{version}",
            "/subjects/{subject}/versions/{version}/referencedby",
            "/config/{subject}",
            "/mode/{subject}",
            "/compatibility/subjects/{subject}/versions/{version}",
            "/health/ready",
            "/metrics",
            "/openapi.json",
        ] {
            assert!(paths.contains(path), "{path} missing from {paths:?}");
        }
    }

    /// Every 4xx and 5xx response of every operation has the ErrorBody schema and lists
    /// error codes of the table, each under the HTTP status it answers with.
    #[test]
    fn every_error_response_lists_confluent_codes_of_its_status_with_the_error_body() {
        let doc: Value = serde_json::to_value(document()).unwrap();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let responses = op["responses"].as_object().unwrap();
                assert!(
                    responses.contains_key("500"),
                    "{method} {path} documents no 500"
                );
                for (status, response) in responses {
                    let status: u16 = status.parse().unwrap();
                    if status < 400 || (path == "/health/ready" && status == 503) {
                        continue;
                    }
                    let schema = &response["content"][CONTENT_TYPE]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                    let description = response["description"].as_str().unwrap();
                    for item in description.split("; ") {
                        let code: u32 = item
                            .split(' ')
                            .next()
                            .and_then(|n| n.parse().ok())
                            .unwrap_or_else(|| {
                                panic!("{method} {path} {status}: {item:?} names no code")
                            });
                        let code = ErrorCode::from_code(code).unwrap_or_else(|| {
                            panic!("{method} {path} {status}: {code} is not in the table")
                        });
                        assert_eq!(
                            code.http_status(),
                            status,
                            "{method} {path}: {code:?} under {status}"
                        );
                    }
                }
            }
        }
        assert!(operations > 30, "{operations} operations");
    }

    #[test]
    fn every_link_targets_a_documented_operation() {
        let doc: Value = serde_json::to_value(document()).unwrap();
        let ids: BTreeSet<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let mut links = 0;
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                for response in op["responses"].as_object().unwrap().values() {
                    for link in response["links"].as_object().into_iter().flatten() {
                        links += 1;
                        let target = link.1["operationId"].as_str().unwrap();
                        assert!(ids.contains(target), "{target} is no operation id");
                    }
                }
            }
        }
        assert!(links >= 10, "{links} links");
    }
}
