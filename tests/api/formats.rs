//! The `format` query parameter of schema reads (Confluent's `ParsedSchema.formattedString`,
//! from `SchemasResource`, `SubjectVersionsResource` and `SubjectsResource`), Confluent's
//! `validateFields` config on registrations, lookups and compatibility checks, and the
//! Protobuf enums Confluent accepts that protoc refuses.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_testkit::{TestApp, spawn_app, spawn_app_with};

const CURRENCY: &str =
    r#"{"type":"enum","name":"Currency","namespace":"myavro.currencies","symbols":["EUR","USD"]}"#;
const MONEY: &str = r#"{"type":"record","name":"Money","namespace":"myavro","fields":[{"name":"amount","type":"double"},{"name":"currency","type":"myavro.currencies.Currency"}]}"#;
/// The root as Confluent stores it: referenced types by name (short in its own namespace).
const ROOT: &str = r#"{"type":"record","name":"Root","namespace":"myavro","fields":[{"name":"money","type":"Money"},{"name":"alt","type":"myavro.currencies.Currency"}]}"#;
/// `format=resolved`: Java's `Schema.toString()` of the root, every type in full where it
/// first appears (a namespace written where it differs from the enclosing one).
const ROOT_RESOLVED: &str = r#"{"type":"record","name":"Root","namespace":"myavro","fields":[{"name":"money","type":{"type":"record","name":"Money","fields":[{"name":"amount","type":"double"},{"name":"currency","type":{"type":"enum","name":"Currency","namespace":"myavro.currencies","symbols":["EUR","USD"]}}]}},{"name":"alt","type":"myavro.currencies.Currency"}]}"#;

async fn post(app: &TestApp, path: &str, body: Value) -> warden_testkit::Reply {
    app.request(Method::POST, path, Some(&body)).await
}

fn root_references() -> Value {
    json!([
        {"name": "myavro.Money", "subject": "money", "version": 1},
        {"name": "myavro.currencies.Currency", "subject": "currency", "version": 1}
    ])
}

/// Registers Currency (1), Money (2) and Root (3, with metadata `owner: ada`).
async fn register_root(app: &TestApp) {
    assert_eq!(app.register_ok("currency", CURRENCY).await, 1);
    let money = post(
        app,
        "/subjects/money/versions",
        json!({"schema": MONEY, "references": [
            {"name": "myavro.currencies.Currency", "subject": "currency", "version": 1}]}),
    )
    .await;
    assert_eq!(money.body["id"], 2, "{}", money.text);
    let root = post(
        app,
        "/subjects/root/versions",
        json!({"schema": ROOT, "references": root_references(),
               "metadata": {"properties": {"owner": "ada"}}}),
    )
    .await;
    assert_eq!(root.body["id"], 3, "{}", root.text);
    assert_eq!(
        root.body["schema"], ROOT,
        "stored with its references by name"
    );
}

#[tokio::test]
async fn avro_format_resolved_inlines_the_referenced_types_on_every_schema_read() {
    let app = spawn_app().await;
    register_root(&app).await;
    let plain = app.get("/schemas/ids/3").await;
    assert_eq!(plain.body["schema"], ROOT);
    let guid = plain.body["guid"].clone();

    // `GET /schemas/ids/{id}`: the text changes, the GUID and references do not
    // (RestApiTest.testSchemaReferencesMultipleLevels).
    for path in [
        "/schemas/ids/3?format=resolved",
        "/schemas/ids/3?format=RESOLVED",
        "/schemas/ids/3?format=resolved&subject=root",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        assert_eq!(reply.body["schema"], ROOT_RESOLVED, "{path}");
        assert_eq!(reply.body["guid"], guid, "{path}");
        assert_eq!(reply.body["references"], root_references(), "{path}");
    }
    let reply = app
        .get(&format!(
            "/schemas/guids/{}?format=resolved",
            guid.as_str().unwrap()
        ))
        .await;
    assert_eq!(reply.body["schema"], ROOT_RESOLVED);
    assert_eq!(reply.body["guid"], guid);

    // The raw texts.
    for path in [
        "/schemas/ids/3/schema?format=resolved",
        "/subjects/root/versions/1/schema?format=resolved",
        "/subjects/root/versions/latest/schema?format=Resolved",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.text, ROOT_RESOLVED, "{path}");
    }
    assert_eq!(app.get("/schemas/ids/3/schema").await.text, ROOT);

    // A version, the latest with metadata, a lookup and a registration.
    for path in [
        "/subjects/root/versions/1?format=resolved",
        "/subjects/root/versions/-1?format=resolved&deleted=true",
        "/subjects/root/metadata?key=owner&value=ada&format=resolved",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        assert_eq!(reply.body["schema"], ROOT_RESOLVED, "{path}");
        assert_eq!(reply.body["guid"], guid, "{path}");
        assert_eq!(reply.body["version"], 1, "{path}");
    }
    let body = json!({"schema": ROOT, "references": root_references(),
                      "metadata": {"properties": {"owner": "ada"}}});
    let lookup = post(&app, "/subjects/root?format=resolved", body.clone()).await;
    assert_eq!(lookup.status, StatusCode::OK, "{}", lookup.text);
    assert_eq!(lookup.body["schema"], ROOT_RESOLVED);
    assert_eq!(lookup.body["id"], 3);
    let again = post(&app, "/subjects/root/versions?format=resolved", body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["id"], 3);
    assert_eq!(again.body["version"], 1);
    assert_eq!(again.body["schema"], ROOT_RESOLVED);
    assert_eq!(again.body["guid"], guid);
}

#[tokio::test]
async fn a_format_the_schema_type_does_not_have_answers_the_stored_text() {
    let app = spawn_app().await;
    register_root(&app).await;
    let json_schema = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
    let json_id = post(
        &app,
        "/subjects/doc/versions",
        json!({"schemaType": "JSON", "schema": json_schema}),
    )
    .await;
    assert_eq!(json_id.body["id"], 4, "{}", json_id.text);
    let proto = "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  string id = 1;\n}\n";
    let proto_id = post(
        &app,
        "/subjects/order/versions",
        json!({"schemaType": "PROTOBUF", "schema": proto}),
    )
    .await;
    assert_eq!(proto_id.body["id"], 5, "{}", proto_id.text);
    // Confluent logs an unknown format and answers the canonical text, never an error.
    let cases = [
        ("/schemas/ids/3?format=serialized", ROOT),
        ("/schemas/ids/3?format=ignore_extensions", ROOT),
        ("/schemas/ids/3?format=bad-format", ROOT),
        ("/schemas/ids/3?format=default", ROOT),
        ("/schemas/ids/3?format=", ROOT),
        ("/schemas/ids/3?format=%20resolved", ROOT),
        ("/schemas/ids/1?format=resolved", CURRENCY),
        ("/schemas/ids/4?format=resolved", json_schema),
        ("/schemas/ids/4?format=serialized", json_schema),
        ("/schemas/ids/5?format=resolved", proto),
        ("/schemas/ids/5?format=default", proto),
    ];
    for (path, text) in cases {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        assert_eq!(reply.body["schema"], text, "{path}");
    }
}

/// A Protobuf schema with a custom option, a `confluent.*` option, an `extend` block and an
/// extension range.
const EXTENDED: &str = r#"syntax = "proto2";
package acme;

import "confluent/meta.proto";
import "google/protobuf/descriptor.proto";

extend google.protobuf.FieldOptions {
  optional string sensitivity = 50001;
}

message Order {
  option (confluent.message_meta) = { doc: "an order" };
  optional string id = 1 [(sensitivity) = "high", deprecated = true];
  extensions 100 to 200;
}
"#;

/// `format=ignore_extensions` of [`EXTENDED`]: custom options other than `confluent.*`,
/// extension ranges and `extend` blocks left out (Confluent's `FormatContext`).
const EXTENDED_WITHOUT_EXTENSIONS: &str = r#"syntax = "proto2";
package acme;

import "confluent/meta.proto";
import "google/protobuf/descriptor.proto";

message Order {
  option (confluent.message_meta) = {
    doc: "an order"
  };

  optional string id = 1 [deprecated = true];
}
"#;

#[tokio::test]
async fn protobuf_format_ignore_extensions_and_serialized() {
    let app = spawn_app().await;
    let reply = post(
        &app,
        "/subjects/orders/versions",
        json!({"schemaType": "PROTOBUF", "schema": EXTENDED}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let stored = app.get("/schemas/ids/1").await.body["schema"].clone();
    for path in [
        "/schemas/ids/1?format=ignore_extensions",
        "/schemas/ids/1?format=IGNORE_EXTENSIONS",
        "/subjects/orders/versions/1?format=ignore_extensions",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.body["schema"], EXTENDED_WITHOUT_EXTENSIONS, "{path}");
    }
    assert_eq!(
        app.get("/subjects/orders/versions/1/schema?format=ignore_extensions")
            .await
            .text,
        EXTENDED_WITHOUT_EXTENSIONS
    );
    // `serialized` in any case: a base64 descriptor, not the text.
    let lower = app.get("/schemas/ids/1?format=serialized").await;
    let upper = app.get("/schemas/ids/1?format=Serialized").await;
    assert_ne!(lower.body["schema"], stored);
    assert_eq!(lower.body["schema"], upper.body["schema"]);
    let raw = app.get("/schemas/ids/1/schema?format=serialized").await;
    assert_eq!(raw.text, lower.body["schema"].as_str().unwrap());
    // Avro's format does not apply.
    assert_eq!(
        app.get("/schemas/ids/1?format=resolved").await.body["schema"],
        stored
    );
}

const FLOAT_ARRAY: &str = "syntax = \"proto3\";\npackage com.example;\n\nmessage FeatureDataFloatArray {\n  repeated float values = 1;\n}\n";
/// Uses a type of its reference without importing it.
const BROKEN: &str = "syntax = \"proto3\";\npackage com.example;\n\nmessage FeatureData {\n  map<string, FeatureDataFloatArray> float_array_features = 1;\n}\n";

fn broken_body() -> Value {
    json!({"schemaType": "PROTOBUF", "schema": BROKEN, "references": [
        {"name": "float_array.proto", "subject": "float_array.proto", "version": 1}]})
}

async fn register_float_array(app: &TestApp) {
    let reply = post(
        app,
        "/subjects/float_array.proto/versions",
        json!({"schemaType": "PROTOBUF", "schema": FLOAT_ARRAY}),
    )
    .await;
    assert_eq!(reply.body["id"], 1, "{}", reply.text);
}

#[tokio::test]
async fn protobuf_with_a_type_its_source_does_not_import_is_accepted_unless_validate_fields() {
    let app = spawn_app().await;
    register_float_array(&app).await;
    // validateFields off (Confluent's default): names resolve against every reference.
    let reply = post(&app, "/subjects/broken/versions", broken_body()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["id"], 2);
    assert_eq!(
        app.get("/schemas/ids/2").await.body["schema"],
        BROKEN,
        "kept as sent"
    );

    // On for one subject: its registrations, lookups and checks are refused (42201).
    let first = post(
        &app,
        "/subjects/strict/versions",
        json!({"schemaType": "PROTOBUF", "schema": FLOAT_ARRAY}),
    )
    .await;
    assert_eq!(first.body["id"], 1, "{}", first.text);
    let set = app
        .request(
            Method::PUT,
            "/config/strict",
            Some(&json!({"validateFields": true})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    for path in [
        "/subjects/strict/versions",
        "/subjects/strict",
        "/compatibility/subjects/strict/versions/latest",
    ] {
        let reply = post(&app, path, broken_body()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), 42201, "{path}");
        assert!(
            reply.body["message"]
                .as_str()
                .unwrap()
                .contains("FeatureDataFloatArray"),
            "{path}: {}",
            reply.text
        );
    }
    // The other subject is not concerned, and the schema already registered still reads.
    let lookup = post(&app, "/subjects/broken", broken_body()).await;
    assert_eq!(lookup.status, StatusCode::OK, "{}", lookup.text);
    assert_eq!(lookup.body["id"], 2);
    let serialized = app.get("/schemas/ids/2?format=serialized").await;
    assert_eq!(serialized.status, StatusCode::OK, "{}", serialized.text);
}

#[tokio::test]
async fn json_schema_field_names_starting_with_two_dollars_are_refused_with_validate_fields() {
    let app = spawn_app().await;
    let schema = r#"{"type":"object","properties":{"$$meta":{"type":"string"}}}"#;
    let body = json!({"schemaType": "JSON", "schema": schema});
    let reply = post(&app, "/subjects/open/versions", body.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "off by default: {}",
        reply.text
    );
    let set = app
        .request(
            Method::PUT,
            "/config",
            Some(&json!({"validateFields": true})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    let reply = post(&app, "/subjects/checked/versions", body).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(
        reply.body,
        json!({"error_code": 42201,
               "message": "Invalid schema: #: Field names cannot start with $$ prefix"})
    );
    // Only top-level properties of an object schema are checked, as in Confluent.
    let nested =
        r#"{"type":"object","properties":{"a":{"type":"object","properties":{"$$b":{}}}}}"#;
    let reply = post(
        &app,
        "/subjects/checked/versions",
        json!({"schemaType": "JSON", "schema": nested}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

/// A proto3 enum without a zero value, one whose zero value is not first, and a value in a
/// reserved range: Confluent accepts them (square/wire does not check them).
const ENUMS: [&str; 3] = [
    "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  Status status = 1;\n}\nenum Status {\n  ACTIVE = 1;\n  INACTIVE = 2;\n}\n",
    "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  Status status = 1;\n}\nenum Status {\n  ACTIVE = 1;\n  UNKNOWN = 0;\n}\n",
    "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  Status status = 1;\n}\nenum Status {\n  reserved 2 to 5;\n  UNKNOWN = 0;\n  ACTIVE = 3;\n}\n",
];

#[tokio::test]
async fn protobuf_enums_protoc_refuses_are_accepted_as_confluent_accepts_them() {
    let app = spawn_app().await;
    for (i, schema) in ENUMS.iter().enumerate() {
        let subject = format!("enum-{i}");
        let reply = post(
            &app,
            &format!("/subjects/{subject}/versions"),
            json!({"schemaType": "PROTOBUF", "schema": schema}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{schema}: {}", reply.text);
        let read = app.version(&subject, "1").await;
        assert_eq!(read.body["schema"], *schema, "kept as sent");
        let serialized = app
            .get(&format!("/subjects/{subject}/versions/1?format=serialized"))
            .await;
        assert_eq!(serialized.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn protobuf_enums_protoc_refuses_are_refused_with_strict_schemas() {
    let app = spawn_app_with(|s| s.strict_schemas = true).await;
    for schema in ENUMS {
        let reply = post(
            &app,
            "/subjects/enums/versions",
            json!({"schemaType": "PROTOBUF", "schema": schema}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{schema}");
        assert_eq!(reply.error_code(), 42201, "{schema}");
    }
}
