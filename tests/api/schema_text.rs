//! Schema text as Confluent stores and returns it (issue 12, section 3): Avro as Java Avro's
//! `Schema.toString()` writes it, `normalize=true` as Confluent's `AvroSchema.normalize()`,
//! the leniency of Confluent's parsers (defaults read as stored, `validateNewSchemas`, JSON
//! Schema documents), `--strict-schemas`, and databases written before the text changed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_core::{ParsedSchema, SchemaType, Subject};
use warden_testkit::{spawn_app, spawn_app_with};

/// An order record as a user writes it: full names, a namespace repeated in a nested type,
/// keys in any order, `{"type": "string"}` objects.
const ORDER_SENT: &str = r#"{
  "fields": [
    {"type": {"type": "string"}, "name": "id", "doc": "the id"},
    {"name": "customer", "type": {"type": "record", "namespace": "com.acme",
      "name": "Customer", "fields": [{"name": "name", "type": "string", "default": ""}]}},
    {"name": "previous", "type": ["null", "com.acme.Customer"], "default": null},
    {"name": "status", "type": {"symbols": ["NEW", "PAID"], "name": "com.acme.Status", "type": "enum"}, "order": "ascending"},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}}
  ],
  "name": "com.acme.Order", "type": "record", "zz-prop": "z", "a-prop": "a"
}"#;

/// What Confluent stores and returns for [`ORDER_SENT`].
const ORDER_CANONICAL: &str = r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"id","type":"string","doc":"the id"},{"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"name","type":"string","default":""}]}},{"name":"previous","type":["null","Customer"],"default":null},{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}],"zz-prop":"z","a-prop":"a"}"#;

/// The same schema normalized (custom properties sorted).
const ORDER_NORMALIZED: &str = r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"id","type":"string","doc":"the id"},{"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"name","type":"string","default":""}]}},{"name":"previous","type":["null","Customer"],"default":null},{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}],"a-prop":"a","zz-prop":"z"}"#;

/// A record whose int field has a string default: Java Avro refuses it only when it
/// validates defaults (a new schema).
const BAD_DEFAULT: &str =
    r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":"1"}]}"#;

async fn post(app: &warden_testkit::TestApp, path: &str, body: Value) -> warden_testkit::Reply {
    app.request(Method::POST, path, Some(&body)).await
}

#[tokio::test]
async fn avro_is_stored_and_returned_as_java_writes_it() {
    let app = spawn_app().await;
    let reply = post(
        &app,
        "/subjects/orders/versions",
        json!({"schema": ORDER_SENT}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["id"], 1);
    let by_id = app.get("/schemas/ids/1").await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.body["schema"], ORDER_CANONICAL);
    let raw = app.get("/schemas/ids/1/schema").await;
    assert_eq!(raw.text, ORDER_CANONICAL);
    let version = app.version("orders", "1").await;
    assert_eq!(version.body["schema"], ORDER_CANONICAL);
    // The same schema spelled as Confluent returns it is the same schema.
    let again = post(
        &app,
        "/subjects/orders/versions",
        json!({"schema": ORDER_CANONICAL}),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], 1);
    let lookup = app.lookup("orders", ORDER_CANONICAL).await;
    assert_eq!(lookup.status, StatusCode::OK, "{}", lookup.text);
    assert_eq!(lookup.body["version"], 1);
    assert_eq!(lookup.body["schema"], ORDER_CANONICAL);
}

#[tokio::test]
async fn a_reference_in_the_same_namespace_is_written_short() {
    let app = spawn_app().await;
    let reference = r#"{"type":"record","name":"Ref","namespace":"com.example","fields":[{"name":"id","type":"string"}]}"#;
    assert_eq!(app.register_ok("ref", reference).await, 1);
    let reply = post(
        &app,
        "/subjects/base/versions",
        json!({
            "schema": r#"{"type":"record","name":"Base","namespace":"com.example","fields":[{"name":"refField","type":"com.example.Ref"}]}"#,
            "references": [{"name": "com.example.Ref", "subject": "ref", "version": 1}]
        }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        app.get("/schemas/ids/2").await.body["schema"],
        r#"{"type":"record","name":"Base","namespace":"com.example","fields":[{"name":"refField","type":"Ref"}]}"#
    );
}

#[tokio::test]
async fn normalize_stores_confluents_normalized_form_and_lookups_find_it() {
    let app = spawn_app().await;
    let reply = post(
        &app,
        "/subjects/orders/versions?normalize=true",
        json!({"schema": ORDER_SENT}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        app.get("/schemas/ids/1").await.body["schema"],
        ORDER_NORMALIZED
    );
    // A lookup without normalize falls back to the normalized form (Confluent 8.1+).
    let lookup = app.lookup("orders", ORDER_SENT).await;
    assert_eq!(lookup.status, StatusCode::OK, "{}", lookup.text);
    assert_eq!(lookup.body["id"], 1);
    // Properties in another order normalize to the same schema.
    let swapped = ORDER_SENT.replace(
        r#""zz-prop": "z", "a-prop": "a""#,
        r#""a-prop": "a", "zz-prop": "z""#,
    );
    let again = post(
        &app,
        "/subjects/orders/versions?normalize=true",
        json!({"schema": swapped}),
    )
    .await;
    assert_eq!(again.body["id"], 1, "{}", again.text);
}

#[tokio::test]
async fn defaults_of_the_wrong_type_follow_validate_new_schemas() {
    let app = spawn_app().await;
    // A new schema is read as new: Confluent's default `validateNewSchemas` is true.
    let refused = post(&app, "/subjects/s/versions", json!({"schema": BAD_DEFAULT})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_code(), 42201);
    let check = post(
        &app,
        "/compatibility/subjects/s/versions/latest",
        json!({"schema": BAD_DEFAULT}),
    )
    .await;
    assert_eq!(check.error_code(), 42201, "{}", check.text);
    // IMPORT with an id reads it as stored: kept in the text, as sent.
    assert_eq!(
        app.set_mode(Some("imported"), "IMPORT", true).await.status,
        StatusCode::OK
    );
    let imported = post(
        &app,
        "/subjects/imported/versions",
        json!({"schema": BAD_DEFAULT, "id": 7, "version": 1}),
    )
    .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text);
    assert_eq!(imported.body["id"], 7);
    assert_eq!(app.get("/schemas/ids/7").await.body["schema"], BAD_DEFAULT);
    // A lookup reads it as stored, and finds it.
    let lookup = app.lookup("imported", BAD_DEFAULT).await;
    assert_eq!(lookup.status, StatusCode::OK, "{}", lookup.text);
    assert_eq!(lookup.body["id"], 7);
    // With validateNewSchemas off, a registration reads it as stored too.
    let config = app
        .request(
            Method::PUT,
            "/config/s",
            Some(&json!({"validateNewSchemas": false})),
        )
        .await;
    assert_eq!(config.status, StatusCode::OK, "{}", config.text);
    let accepted = post(&app, "/subjects/s/versions", json!({"schema": BAD_DEFAULT})).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(accepted.body["id"], 7);
}

#[tokio::test]
async fn strict_schemas_keeps_every_read_as_new() {
    let app = spawn_app_with(|s| s.strict_schemas = true).await;
    assert_eq!(
        app.set_mode(None, "IMPORT", true).await.status,
        StatusCode::OK
    );
    let refused = post(
        &app,
        "/subjects/imported/versions",
        json!({"schema": BAD_DEFAULT, "id": 7, "version": 1}),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.error_code(), 42201);
}

#[tokio::test]
async fn double_defaults_written_as_strings_are_numbers() {
    let app = spawn_app().await;
    let reply = post(
        &app,
        "/subjects/d/versions",
        json!({"schema": r#"{"type":"record","name":"R","fields":[{"name":"x","type":"double","default":"1.5"}]}"#}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        app.get("/schemas/ids/1").await.body["schema"],
        r#"{"type":"record","name":"R","fields":[{"name":"x","type":"double","default":1.5}]}"#
    );
}

#[tokio::test]
async fn json_schema_documents_are_objects_or_booleans() {
    let app = spawn_app().await;
    let accepted = post(
        &app,
        "/subjects/anything/versions",
        json!({"schemaType": "JSON", "schema": "true"}),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(app.get("/schemas/ids/1").await.body["schema"], "true");
    let refused = post(
        &app,
        "/subjects/number/versions",
        json!({"schemaType": "JSON", "schema": "42"}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.body,
        json!({
            "error_code": 42201,
            "message": "Invalid schema: Invalid JSON schema: expected an object or boolean at the root, found NUMBER"
        })
    );
}

/// A database written before the stored text became Java's keeps its rows: registering or
/// looking up the same schema again finds the stored id instead of assigning a new one.
#[tokio::test]
async fn schemas_stored_in_the_earlier_form_keep_their_ids() {
    let app = spawn_app().await;
    let parsed = ParsedSchema::parse(SchemaType::Avro, ORDER_SENT, &[]).unwrap();
    let legacy = parsed.legacy_text(false).expect("the earlier text differs");
    // Written as an earlier Warden did: its text and the fingerprint of that text.
    {
        let store = warden_storage::open(&app.database_url).await.unwrap();
        let subject = Subject::parse("orders").unwrap();
        let mut tx = store.begin_registration(&subject).await.unwrap();
        let new = warden_storage::NewSchema {
            schema_type: SchemaType::Avro,
            fingerprint: warden_core::fingerprint(SchemaType::Avro, &legacy, &[], None, None),
            schema: legacy.clone(),
            references: Vec::new(),
            metadata: None,
            rule_set: None,
        };
        let id = tx.find_or_insert_schema(&new, None).await.unwrap();
        tx.insert_version(id, None).await.unwrap();
        tx.commit(&|_| {}).await.unwrap();
    }
    let again = post(
        &app,
        "/subjects/orders/versions",
        json!({"schema": ORDER_SENT}),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["id"], 1);
    assert_eq!(app.get("/subjects/orders/versions").await.body, json!([1]));
    let other = post(
        &app,
        "/subjects/other/versions",
        json!({"schema": ORDER_SENT}),
    )
    .await;
    assert_eq!(other.body["id"], 1, "{}", other.text);
    let lookup = app.lookup("orders", ORDER_SENT).await;
    assert_eq!(lookup.status, StatusCode::OK, "{}", lookup.text);
    assert_eq!(lookup.body["id"], 1);
    assert_eq!(lookup.body["schema"], legacy);
}

#[tokio::test]
async fn an_undefined_type_answers_java_avros_message() {
    let app = spawn_app().await;
    let reply = post(
        &app,
        "/subjects/s/versions",
        json!({"schema": r#"{"type":"record","name":"myrecord","fields":[{"type":"str","name":"field1"}]}"#}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.body,
        json!({
            "error_code": 42201,
            "message": r#"Invalid schema: "str" is not a defined name. The type of the "field1" field must be a defined name or a {"type": ...} expression."#
        })
    );
}

#[tokio::test]
async fn an_invalid_schema_in_a_verbose_check_is_an_incompatible_answer() {
    let app = spawn_app().await;
    assert_eq!(app.register_ok("s", ORDER_SENT).await, 1);
    let verbose = post(
        &app,
        "/compatibility/subjects/s/versions/latest?verbose=true",
        json!({"schema": BAD_DEFAULT}),
    )
    .await;
    assert_eq!(verbose.status, StatusCode::OK, "{}", verbose.text);
    assert_eq!(verbose.body["is_compatible"], false);
    assert_eq!(verbose.body["messages"].as_array().map(Vec::len), Some(1));
    assert!(
        verbose.body["messages"][0]
            .as_str()
            .is_some_and(|m| m.starts_with("Invalid schema: ")),
        "{}",
        verbose.text
    );
    let terse = post(
        &app,
        "/compatibility/subjects/s/versions/latest",
        json!({"schema": BAD_DEFAULT}),
    )
    .await;
    assert_eq!(terse.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(terse.error_code(), 42201);
}

#[tokio::test]
async fn namespaces_java_does_not_check_follow_validate_new_schemas() {
    let app = spawn_app().await;
    let schema = r#"{"type":"record","name":"myrecord","namespace":"a-bad.namespace","fields":[{"name":"f","type":"string"}]}"#;
    let refused = post(&app, "/subjects/s/versions", json!({"schema": schema})).await;
    assert_eq!(refused.error_code(), 42201, "{}", refused.text);
    let config = app
        .request(
            Method::PUT,
            "/config",
            Some(&json!({"validateNewSchemas": false})),
        )
        .await;
    assert_eq!(config.status, StatusCode::OK, "{}", config.text);
    let accepted = post(&app, "/subjects/s/versions", json!({"schema": schema})).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(app.get("/schemas/ids/1").await.body["schema"], schema);
}
