//! Interoperability with `schema-registry-client` 0.4.2, the Rust client and serdes written by
//! Confluent's schema registry lead: every `SchemaRegistryClient` method that maps to an
//! endpoint Warden serves, with the values and error codes a user sees, and bytes crossing
//! between its Avro, Protobuf and JSON serdes and `warden-serde`'s. The client caches what it
//! registered, looked up and read, so every check that must reach the registry uses a new
//! client.

use std::collections::HashMap;

use schema_registry_client::rest::apis::Error as RestError;
use schema_registry_client::rest::models::{
    CompatibilityLevel, Metadata, RegisteredSchema, SchemaReference, ServerConfig,
};
use schema_registry_client::rest::schema_registry_client::Client as _;
use schema_registry_client::serdes::avro::{
    AvroDeserializer as TheirAvroDeserializer, AvroSerializer as TheirAvroSerializer,
};
use schema_registry_client::serdes::config::{DeserializerConfig, SerializerConfig};
use schema_registry_client::serdes::json::{
    JsonDeserializer as TheirJsonDeserializer, JsonSerializer as TheirJsonSerializer,
};
use schema_registry_client::serdes::protobuf::{
    ProtobufDeserializer as TheirProtobufDeserializer,
    ProtobufSerializer as TheirProtobufSerializer,
};
use schema_registry_client::serdes::serde::{SerdeFormat, SerdeHeaders};
use warden_core::SchemaType;
use warden_serde::{
    AvroDeserializer, AvroSerializer, JsonDeserializer, JsonSerializer, ProtobufDeserializer,
    ProtobufSerializer, RegistryClient, SerializationContext, SerializerConfig as OurConfig,
    UnregisteredSchema,
};
use warden_testkit::spawn_app;

use crate::confluent::{
    Encoded, dynamic_order, new_client, order_from_avro, schema, value_context,
};
use crate::orders::{ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, Order, order, proto};

/// Version 1 of a subject, in Java Avro's canonical text (what Confluent stores and returns).
const USER_V1: &str = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"name","type":"string"}]}"#;
/// Version 2: an optional field with a default, backward compatible with version 1.
const USER_V2: &str = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]}"#;
/// A required field without a default: not backward compatible with version 1.
const USER_INCOMPATIBLE: &str = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}"#;
/// Version 1 with other whitespace and key order: the same schema to Confluent.
const USER_V1_PRETTY: &str = r#"{
  "namespace": "acme",
  "name": "User",
  "type": "record",
  "fields": [ { "type": "string", "name": "name" } ]
}"#;
const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"street","type":"string"}]}"#;
/// A reference to `acme.Address`, written short as Java Avro writes a name in the enclosing
/// namespace.
const CUSTOMER: &str = r#"{"type":"record","name":"Customer","namespace":"acme","fields":[{"name":"name","type":"string"},{"name":"address","type":"Address"}]}"#;

fn avro(text: &str) -> schema_registry_client::rest::models::Schema {
    schema(None, text)
}

/// The status, `error_code` and message of a refusal, as the crate reports it.
fn refusal<T: std::fmt::Debug>(result: Result<T, RestError>) -> (u16, i32, String) {
    match result {
        Err(RestError::ResponseError(response)) => {
            let entity = response
                .entity
                .unwrap_or_else(|| panic!("a Confluent error body, got {}", response.content));
            (
                response.status.as_u16(),
                entity.error_code.expect("an error_code"),
                entity.message.expect("a message"),
            )
        }
        other => panic!("expected a refusal from the registry, got {other:?}"),
    }
}

/// Registers `text` (Avro) under `subject` with a new client and returns its id.
async fn register(address: &str, subject: &str, text: &str) -> i32 {
    new_client(address)
        .register_schema(subject, &avro(text), false)
        .await
        .unwrap_or_else(|e| panic!("{subject} registers: {e:?}"))
        .id
        .expect("an id")
}

#[tokio::test]
async fn register_schema_answers_confluents_ids_and_refusals() {
    let app = spawn_app().await;
    let address = app.address.as_str();

    let registered = new_client(address)
        .register_schema("users-value", &avro(USER_V1), false)
        .await
        .unwrap();
    assert_eq!(registered.id, Some(1));
    // The same schema again, from a client that does not remember it: the same id.
    assert_eq!(register(address, "users-value", USER_V1).await, 1);
    // Other whitespace and key order: the same schema to Confluent, so the same id.
    assert_eq!(register(address, "users-value", USER_V1_PRETTY).await, 1);
    // Under another subject the same schema keeps its id.
    assert_eq!(register(address, "other-value", USER_V1).await, 1);
    assert_eq!(register(address, "users-value", USER_V2).await, 2);
    assert_eq!(
        new_client(address)
            .get_all_versions("users-value")
            .await
            .unwrap(),
        [1, 2]
    );

    let (status, code, message) = refusal(
        new_client(address)
            .register_schema("users-value", &avro(USER_INCOMPATIBLE), false)
            .await,
    );
    assert_eq!((status, code), (409, 40901), "{message}");
    assert!(
        message.starts_with(
            "Schema being registered is incompatible with an earlier schema for subject \"users-value\""
        ),
        "{message}"
    );
    let (status, code, message) = refusal(
        new_client(address)
            .register_schema("users-value", &avro(r#"{"type":"record"}"#), false)
            .await,
    );
    assert_eq!((status, code), (422, 42201), "{message}");
}

#[tokio::test]
async fn register_schema_answers_the_version_and_schema_as_confluents_register_response() {
    // Confluent 7.9 and 8.x answer `new RegisterSchemaResponse(schema)`: id, version,
    // schemaType (JSON and Protobuf), references, metadata, ruleSet and schema.
    let app = spawn_app().await;
    let registered = new_client(&app.address)
        .register_schema("users-value", &avro(USER_V1), false)
        .await
        .unwrap();
    assert_eq!(
        (registered.id, registered.version),
        (Some(1), Some(1)),
        "{registered:?}"
    );
    assert_eq!(registered.schema.as_deref(), Some(USER_V1));
}

#[tokio::test]
async fn schema_text_reads_back_in_javas_canonical_form() {
    // Confluent stores and returns Java Avro's `Schema.toString()`, whatever the whitespace
    // and key order sent.
    let app = spawn_app().await;
    let address = app.address.as_str();
    assert_eq!(register(address, "users-value", USER_V1_PRETTY).await, 1);
    let by_id = new_client(address)
        .get_by_subject_and_id(None, 1, None)
        .await
        .unwrap();
    assert_eq!(by_id.schema, USER_V1);
    let latest = new_client(address)
        .get_latest_version("users-value", None)
        .await
        .unwrap();
    assert_eq!(latest.schema.as_deref(), Some(USER_V1));
}

#[tokio::test]
async fn register_schema_with_normalize_finds_the_normalized_schema() {
    // JSON Schema normalization (Confluent's JsonSchema.normalize) orders object keys.
    const SORTED: &str = r#"{"properties":{"a":{"type":"string"}},"type":"object"}"#;
    const UNSORTED: &str = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
    let app = spawn_app().await;
    let address = app.address.as_str();
    let json = |text| schema(Some("JSON"), text);

    let first = new_client(address)
        .register_schema("normalized-value", &json(UNSORTED), true)
        .await
        .unwrap();
    let again = new_client(address)
        .register_schema("normalized-value", &json(SORTED), true)
        .await
        .unwrap();
    assert_eq!(first.id, again.id);
    let stored = new_client(address)
        .get_version("normalized-value", 1, false, None)
        .await
        .unwrap();
    assert_eq!(stored.schema.as_deref(), Some(SORTED), "stored normalized");
    assert_eq!(stored.schema_type.as_deref(), Some("JSON"));
    assert_eq!(
        new_client(address)
            .get_all_versions("normalized-value")
            .await
            .unwrap(),
        [1]
    );
    let found = new_client(address)
        .get_by_schema("normalized-value", &json(UNSORTED), true, false)
        .await
        .unwrap();
    assert_eq!((found.id, found.version), (first.id, Some(1)));

    // Without normalize the text is kept as sent.
    new_client(address)
        .register_schema("plain-value", &json(UNSORTED), false)
        .await
        .unwrap();
    let plain = new_client(address)
        .get_latest_version("plain-value", None)
        .await
        .unwrap();
    assert_eq!(plain.schema.as_deref(), Some(UNSORTED));
}

#[tokio::test]
async fn get_by_subject_and_id_returns_the_schema_its_type_and_references() {
    let app = spawn_app().await;
    let address = app.address.as_str();
    let user = register(address, "users-value", USER_V1).await;
    let address_id = register(address, "address", ADDRESS).await;
    let mut customer = avro(CUSTOMER);
    let reference = SchemaReference {
        name: Some("acme.Address".into()),
        subject: Some("address".into()),
        version: Some(1),
    };
    customer.references = Some(vec![reference.clone()]);
    let customer_id = new_client(address)
        .register_schema("customers-value", &customer, false)
        .await
        .unwrap()
        .id
        .unwrap();
    let json_id = new_client(address)
        .register_schema(
            "json-value",
            &schema(Some("JSON"), ORDER_JSON_SCHEMA),
            false,
        )
        .await
        .unwrap()
        .id
        .unwrap();
    assert_eq!(
        (user, address_id, customer_id, json_id),
        (1, 2, 3, 4),
        "ids count up"
    );

    let by_id = new_client(address)
        .get_by_subject_and_id(None, user, None)
        .await
        .unwrap();
    assert_eq!(by_id.schema, USER_V1);
    assert_eq!(
        by_id.schema_type, None,
        "Avro is the default type, not named"
    );
    assert_eq!(by_id.references, None);
    let by_subject = new_client(address)
        .get_by_subject_and_id(Some("users-value"), user, None)
        .await
        .unwrap();
    assert_eq!(by_subject, by_id);
    let with_references = new_client(address)
        .get_by_subject_and_id(Some("customers-value"), customer_id, None)
        .await
        .unwrap();
    assert_eq!(with_references.schema, CUSTOMER);
    assert_eq!(with_references.references, Some(vec![reference]));
    let json = new_client(address)
        .get_by_subject_and_id(None, json_id, None)
        .await
        .unwrap();
    assert_eq!(json.schema_type.as_deref(), Some("JSON"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json.schema).unwrap(),
        serde_json::from_str::<serde_json::Value>(ORDER_JSON_SCHEMA).unwrap()
    );

    let (status, code, message) = refusal(
        new_client(address)
            .get_by_subject_and_id(None, 99, None)
            .await,
    );
    assert_eq!(
        (status, code, message.as_str()),
        (404, 40403, "Schema 99 not found")
    );
}

#[tokio::test]
async fn get_by_schema_looks_up_live_and_deleted_versions() {
    let app = spawn_app().await;
    let address = app.address.as_str();
    register(address, "users-value", USER_V1).await;
    register(address, "users-value", USER_V2).await;

    let found = new_client(address)
        .get_by_schema("users-value", &avro(USER_V1_PRETTY), false, false)
        .await
        .unwrap();
    assert_eq!(
        (found.id, found.version, found.subject.as_deref()),
        (Some(1), Some(1), Some("users-value"))
    );
    let (status, code, message) = refusal(
        new_client(address)
            .get_by_schema("users-value", &avro(USER_INCOMPATIBLE), false, false)
            .await,
    );
    assert_eq!(
        (status, code, message.as_str()),
        (404, 40403, "Schema not found")
    );
    let (status, code, message) = refusal(
        new_client(address)
            .get_by_schema("nobody-value", &avro(USER_V1), false, false)
            .await,
    );
    assert_eq!(
        (status, code, message.as_str()),
        (404, 40401, "Subject 'nobody-value' not found.")
    );

    // Version 1 soft-deleted: found only when deleted ones are asked for.
    assert_eq!(
        new_client(address)
            .delete_subject_version("users-value", 1, false)
            .await
            .unwrap(),
        1
    );
    let (status, code, _) = refusal(
        new_client(address)
            .get_by_schema("users-value", &avro(USER_V1), false, false)
            .await,
    );
    assert_eq!((status, code), (404, 40403));
    let deleted = new_client(address)
        .get_by_schema("users-value", &avro(USER_V1), false, true)
        .await
        .unwrap();
    assert_eq!((deleted.id, deleted.version), (Some(1), Some(1)));
}

#[tokio::test]
async fn versions_latest_and_lists_read_what_was_registered() {
    let app = spawn_app().await;
    let address = app.address.as_str();
    register(address, "users-value", USER_V1).await;
    register(address, "users-value", USER_V2).await;
    register(address, "address", ADDRESS).await;

    let first = new_client(address)
        .get_version("users-value", 1, false, None)
        .await
        .unwrap();
    assert_eq!(
        first,
        RegisteredSchema {
            id: Some(1),
            guid: first.guid.clone(),
            subject: Some("users-value".into()),
            version: Some(1),
            schema_type: None,
            references: None,
            metadata: None,
            rule_set: None,
            schema: Some(USER_V1.into()),
        }
    );
    let latest = new_client(address)
        .get_latest_version("users-value", None)
        .await
        .unwrap();
    assert_eq!(
        (latest.id, latest.version, latest.schema.as_deref()),
        (Some(2), Some(2), Some(USER_V2))
    );
    assert_eq!(latest.subject.as_deref(), Some("users-value"));
    assert_eq!(
        new_client(address)
            .get_all_versions("users-value")
            .await
            .unwrap(),
        [1, 2]
    );
    assert_eq!(
        new_client(address).get_all_subjects(false).await.unwrap(),
        ["address", "users-value"]
    );

    let (status, code, message) = refusal(
        new_client(address)
            .get_version("users-value", 9, false, None)
            .await,
    );
    assert_eq!(
        (status, code, message.as_str()),
        (404, 40402, "Version 9 not found.")
    );
    let (status, code, message) = refusal(
        new_client(address)
            .get_version("nobody-value", 1, false, None)
            .await,
    );
    assert_eq!(
        (status, code, message.as_str()),
        (404, 40401, "Subject 'nobody-value' not found.")
    );
    let (status, code, _) = refusal(
        new_client(address)
            .get_latest_version("nobody-value", None)
            .await,
    );
    assert_eq!((status, code), (404, 40401));
    let (status, code, _) = refusal(new_client(address).get_all_versions("nobody-value").await);
    assert_eq!((status, code), (404, 40401));
}

#[tokio::test]
async fn get_latest_with_metadata_finds_the_latest_version_carrying_the_metadata() {
    // Confluent: `GET /subjects/{s}/metadata?key=k&value=v&deleted=…` answers the latest
    // version whose metadata properties hold every pair, 40401 for an unknown subject and
    // 40403 when no version matches.
    let app = spawn_app().await;
    let address = app.address.as_str();
    let with_owner = |owner: &str, text: &str| {
        let mut s = avro(text);
        s.metadata = Some(Box::new(Metadata {
            properties: Some([("owner".to_owned(), owner.to_owned())].into()),
            ..Metadata::default()
        }));
        s
    };
    for (owner, text) in [("team-a", USER_V1), ("team-b", USER_V2)] {
        new_client(address)
            .register_schema("users-value", &with_owner(owner, text), false)
            .await
            .unwrap();
    }
    let metadata = HashMap::from([("owner".to_owned(), "team-a".to_owned())]);
    let found = new_client(address)
        .get_latest_with_metadata("users-value", &metadata, false, None)
        .await
        .unwrap();
    assert_eq!(
        (found.version, found.schema.as_deref()),
        (Some(1), Some(USER_V1))
    );
    let none = HashMap::from([("owner".to_owned(), "team-c".to_owned())]);
    let (status, code, _) = refusal(
        new_client(address)
            .get_latest_with_metadata("users-value", &none, false, None)
            .await,
    );
    assert_eq!((status, code), (404, 40403));
}

#[tokio::test]
async fn delete_subject_soft_then_hard_as_confluent_does() {
    let app = spawn_app().await;
    let address = app.address.as_str();
    register(address, "users-value", USER_V1).await;
    register(address, "users-value", USER_V2).await;
    register(address, "address", ADDRESS).await;

    let (status, code, message) = refusal(
        new_client(address)
            .delete_subject("users-value", true)
            .await,
    );
    assert_eq!(
        (status, code, message.as_str()),
        (
            404,
            40405,
            "Subject 'users-value' was not deleted first before being permanently deleted"
        )
    );
    assert_eq!(
        new_client(address)
            .delete_subject("users-value", false)
            .await
            .unwrap(),
        [1, 2]
    );
    let (status, code, _) = refusal(
        new_client(address)
            .delete_subject("users-value", false)
            .await,
    );
    assert_eq!((status, code), (404, 40404));
    assert_eq!(
        new_client(address).get_all_subjects(false).await.unwrap(),
        ["address"]
    );
    assert_eq!(
        new_client(address).get_all_subjects(true).await.unwrap(),
        ["address", "users-value"]
    );
    let (status, code, _) = refusal(new_client(address).get_all_versions("users-value").await);
    assert_eq!((status, code), (404, 40401));
    let deleted = new_client(address)
        .get_version("users-value", 2, true, None)
        .await
        .unwrap();
    assert_eq!(deleted.id, Some(2));

    assert_eq!(
        new_client(address)
            .delete_subject("users-value", true)
            .await
            .unwrap(),
        [1, 2]
    );
    assert_eq!(
        new_client(address).get_all_subjects(true).await.unwrap(),
        ["address"]
    );
    let (status, code, _) = refusal(
        new_client(address)
            .get_version("users-value", 2, true, None)
            .await,
    );
    assert_eq!((status, code), (404, 40401));
}

#[tokio::test]
async fn delete_subject_version_soft_then_hard_as_confluent_does() {
    let app = spawn_app().await;
    let address = app.address.as_str();
    register(address, "users-value", USER_V1).await;
    register(address, "users-value", USER_V2).await;

    let (status, code, message) = refusal(
        new_client(address)
            .delete_subject_version("users-value", 1, true)
            .await,
    );
    assert_eq!(
        (status, code, message.as_str()),
        (
            404,
            40407,
            "Subject 'users-value' Version 1 was not deleted first before being permanently deleted"
        )
    );
    assert_eq!(
        new_client(address)
            .delete_subject_version("users-value", 1, false)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        new_client(address)
            .get_all_versions("users-value")
            .await
            .unwrap(),
        [2]
    );
    let (status, code, _) = refusal(
        new_client(address)
            .get_version("users-value", 1, false, None)
            .await,
    );
    assert_eq!((status, code), (404, 40402));
    let deleted = new_client(address)
        .get_version("users-value", 1, true, None)
        .await
        .unwrap();
    assert_eq!(
        (deleted.id, deleted.schema.as_deref()),
        (Some(1), Some(USER_V1))
    );
    assert_eq!(
        new_client(address)
            .delete_subject_version("users-value", 1, true)
            .await
            .unwrap(),
        1
    );
    let (status, code, _) = refusal(
        new_client(address)
            .get_version("users-value", 1, true, None)
            .await,
    );
    assert_eq!((status, code), (404, 40402));
    let (status, code, _) = refusal(
        new_client(address)
            .delete_subject_version("users-value", 7, false)
            .await,
    );
    assert_eq!((status, code), (404, 40402));
}

/// The compatibility endpoints answer `{"is_compatible": …}` (Confluent's
/// `CompatibilityCheckResponse`), which the crate's `test_subject_compatibility` and
/// `test_compatibility` parse as a bare `bool`: against Confluent and Warden alike they fail
/// with a JSON error on every answer, and report the registry's refusals as Confluent's.
#[tokio::test]
async fn compatibility_checks_answer_confluents_body_and_refusals() {
    let app = spawn_app().await;
    let address = app.address.as_str();
    register(address, "users-value", USER_V1).await;

    for (text, compatible) in [(USER_V2, true), (USER_INCOMPATIBLE, false)] {
        let body = serde_json::json!({ "schema": text });
        for path in [
            "/compatibility/subjects/users-value/versions/latest",
            "/compatibility/subjects/users-value/versions/1",
        ] {
            let reply = app.request(reqwest::Method::POST, path, Some(&body)).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.text);
            assert_eq!(
                reply.body,
                serde_json::json!({ "is_compatible": compatible }),
                "{path}"
            );
        }
        let latest = new_client(address)
            .test_subject_compatibility("users-value", &avro(text))
            .await;
        let by_version = new_client(address)
            .test_compatibility("users-value", 1, &avro(text))
            .await;
        for answer in [latest, by_version] {
            match answer {
                Err(RestError::Serde(e)) => assert!(
                    e.to_string().contains("expected a boolean"),
                    "the crate reads the body as a bool: {e}"
                ),
                other => panic!("the crate cannot read Confluent's body, got {other:?}"),
            }
        }
    }

    let (status, code, message) = refusal(
        new_client(address)
            .test_compatibility("users-value", 9, &avro(USER_V2))
            .await,
    );
    assert_eq!(
        (status, code, message.as_str()),
        (404, 40402, "Version 9 not found.")
    );
    let (status, code, _) = refusal(
        new_client(address)
            .test_subject_compatibility("users-value", &avro(r#"{"type":"record"}"#))
            .await,
    );
    assert_eq!((status, code), (422, 42201));
}

#[tokio::test]
async fn config_reads_and_updates_subject_and_global_levels() {
    let app = spawn_app().await;
    let address = app.address.as_str();
    register(address, "users-value", USER_V1).await;

    let global = new_client(address).get_default_config().await.unwrap();
    assert_eq!(
        global.compatibility_level,
        Some(CompatibilityLevel::Backward)
    );
    let (status, code, message) = refusal(new_client(address).get_config("users-value").await);
    assert_eq!(
        (status, code, message.as_str()),
        (
            404,
            40408,
            "Subject 'users-value' does not have subject-level compatibility configured"
        )
    );

    let full = ServerConfig {
        compatibility: Some(CompatibilityLevel::Full),
        ..ServerConfig::default()
    };
    let updated = new_client(address)
        .update_config("users-value", &full)
        .await
        .unwrap();
    assert_eq!(updated, full, "the update answers the config");
    let read = new_client(address).get_config("users-value").await.unwrap();
    assert_eq!(read.compatibility_level, Some(CompatibilityLevel::Full));
    // A body naming another field keeps the level and answers the merged config.
    let normalize = ServerConfig {
        normalize: Some(true),
        ..ServerConfig::default()
    };
    let merged = new_client(address)
        .update_config("users-value", &normalize)
        .await
        .unwrap();
    assert_eq!(
        (merged.compatibility, merged.normalize),
        (Some(CompatibilityLevel::Full), Some(true))
    );
    let read = new_client(address).get_config("users-value").await.unwrap();
    assert_eq!(
        (read.compatibility_level, read.normalize),
        (Some(CompatibilityLevel::Full), Some(true))
    );
    // Under FULL, version 2 (an optional field with a default) is compatible.
    register(address, "users-value", USER_V2).await;

    let none = ServerConfig {
        compatibility: Some(CompatibilityLevel::None),
        ..ServerConfig::default()
    };
    let updated = new_client(address)
        .update_default_config(&none)
        .await
        .unwrap();
    assert_eq!(updated.compatibility, Some(CompatibilityLevel::None));
    let global = new_client(address).get_default_config().await.unwrap();
    assert_eq!(global.compatibility_level, Some(CompatibilityLevel::None));
    // The subject keeps its own level: the incompatible schema is still refused there, and
    // registers under a subject that follows the global NONE.
    let (status, code, _) = refusal(
        new_client(address)
            .register_schema("users-value", &avro(USER_INCOMPATIBLE), false)
            .await,
    );
    assert_eq!((status, code), (409, 40901));
    register(address, "free-value", USER_V1).await;
    register(address, "free-value", USER_INCOMPATIBLE).await;
}

// Bytes crossing between the crate's serdes and Warden's.

#[tokio::test]
async fn avro_bytes_cross_between_warden_and_the_confluent_rust_serdes() {
    let app = spawn_app().await;
    let ours = RegistryClient::new(&app.address).unwrap();
    let theirs = new_client(&app.address);
    let order_schema = avro(ORDER_AVSC);
    let context = value_context("orders", SerdeFormat::Avro);

    // Theirs → ours, auto-registering under orders-value.
    let serializer = TheirAvroSerializer::new(
        &theirs,
        Some(&order_schema),
        None,
        SerializerConfig::default(),
    )
    .unwrap();
    let bytes = serializer.serialize_ser(&context, order(5)).await.unwrap();
    assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1], "magic byte and id 1");
    let back: Order = AvroDeserializer::new(ours.clone())
        .deserialize(&bytes)
        .await
        .unwrap();
    assert_eq!(back, order(5));

    // Ours → theirs.
    let bytes = AvroSerializer::new(
        ours,
        UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        OurConfig::default(),
    )
    .serialize(&SerializationContext::value("orders"), &order(7))
    .await
    .unwrap();
    let reader = new_client(&app.address);
    let decoded = TheirAvroDeserializer::new(&reader, None, DeserializerConfig::default())
        .unwrap()
        .deserialize(&context, &bytes)
        .await
        .unwrap();
    assert_eq!(order_from_avro(&decoded.value), order(7));
}

#[tokio::test]
async fn json_bytes_cross_between_warden_and_the_confluent_rust_serdes() {
    let app = spawn_app().await;
    let ours = RegistryClient::new(&app.address).unwrap();
    let theirs = new_client(&app.address);
    let order_schema = schema(Some("JSON"), ORDER_JSON_SCHEMA);
    let context = value_context("orders", SerdeFormat::Json);
    let validating = SerializerConfig {
        validate: true,
        ..SerializerConfig::default()
    };

    let serializer =
        TheirJsonSerializer::new(&theirs, Some(&order_schema), None, validating).unwrap();
    let bytes = serializer
        .serialize(&context, serde_json::to_value(order(5)).unwrap())
        .await
        .unwrap();
    assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1]);
    let back: Order = JsonDeserializer::new(ours.clone())
        .deserialize(&bytes)
        .await
        .unwrap();
    assert_eq!(back, order(5));

    let bytes = JsonSerializer::new(
        ours,
        UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA),
        OurConfig::default(),
    )
    .serialize(&SerializationContext::value("orders"), &order(8))
    .await
    .unwrap();
    let reader = new_client(&app.address);
    let deserializer = TheirJsonDeserializer::new(
        &reader,
        None,
        DeserializerConfig {
            validate: true,
            ..DeserializerConfig::default()
        },
    )
    .unwrap();
    let decoded = deserializer.deserialize(&context, &bytes).await.unwrap();
    assert_eq!(decoded, serde_json::to_value(order(8)).unwrap());
}

#[tokio::test]
async fn protobuf_bytes_cross_between_warden_and_the_confluent_rust_serdes() {
    let app = spawn_app().await;
    let ours = RegistryClient::new(&app.address).unwrap();
    let theirs = new_client(&app.address);
    let context = value_context("orders", SerdeFormat::Protobuf);

    // Theirs → ours: the crate registers the file descriptor (base64) under orders-value.
    let serializer =
        TheirProtobufSerializer::new(&theirs, None, SerializerConfig::default()).unwrap();
    let bytes = serializer
        .serialize(&context, &dynamic_order(5))
        .await
        .unwrap();
    assert_eq!(&bytes[..6], &[0, 0, 0, 0, 1, 0], "id 1, message index [0]");
    let deserializer = ProtobufDeserializer::new(ours.clone());
    let back: proto::Order = deserializer.deserialize(&bytes).await.unwrap();
    assert_eq!(back, proto::order(5));
    let registered = new_client(&app.address)
        .get_latest_version("orders-value", None)
        .await
        .unwrap();
    assert_eq!(registered.schema_type.as_deref(), Some("PROTOBUF"));
    assert_eq!(registered.id, Some(1));

    // Ours → theirs, the top-level message and the nested one.
    let serializer = ProtobufSerializer::new(
        ours,
        UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO),
        OurConfig::default(),
    );
    let ours_context = SerializationContext::value("orders");
    let bytes = serializer
        .serialize(&ours_context, &proto::order(9))
        .await
        .unwrap();
    let reader = new_client(&app.address);
    let deserializer =
        TheirProtobufDeserializer::new(&reader, None, DeserializerConfig::default()).unwrap();
    let decoded: Encoded = deserializer.deserialize(&context, &bytes).await.unwrap();
    assert_eq!(decoded.decode::<proto::Order>(), proto::order(9));
    let customer = proto::order(9).customer.unwrap();
    let bytes = serializer
        .serialize(&ours_context, &customer)
        .await
        .unwrap();
    let decoded: Encoded = deserializer.deserialize(&context, &bytes).await.unwrap();
    assert_eq!(decoded.decode::<proto::Customer>(), customer);
}

/// The crate's deserializer config naming subjects by topic, without asking the registry for
/// the topic's associations.
fn topic_strategy() -> DeserializerConfig {
    DeserializerConfig {
        subject_name_strategy_type:
            schema_registry_client::serdes::serde::SubjectNameStrategyType::Topic,
        ..DeserializerConfig::default()
    }
}

/// Confluent 8's GUID-in-header framing: the crate's `header_schema_id_serializer` writes the
/// schema's GUID (looked up under the subject) into `__value_schema_id` and the bare Avro
/// payload; its deserializer reads the GUID back through `GET /schemas/guids/{guid}`, and so
/// does `warden-serde` (the header turned back into the prefix framing). The other way, a
/// payload `warden-serde` moved into a header is read by the crate.
#[tokio::test]
async fn the_guid_in_header_framing_round_trips() {
    use schema_registry_client::serdes::serde::header_schema_id_serializer;

    let app = spawn_app().await;
    register(&app.address, "orders-value", ORDER_AVSC).await;
    let client = new_client(&app.address);
    let order_schema = avro(ORDER_AVSC);
    let headers = SerdeHeaders::default();
    let context = schema_registry_client::serdes::serde::SerializationContext {
        headers: Some(headers.clone()),
        ..value_context("orders", SerdeFormat::Avro)
    };
    let serializer = TheirAvroSerializer::new(
        &client,
        Some(&order_schema),
        None,
        SerializerConfig {
            auto_register_schemas: false,
            schema_id_serializer: header_schema_id_serializer,
            // The subject by topic, without asking the registry for the topic's associations.
            subject_name_strategy_type:
                schema_registry_client::serdes::serde::SubjectNameStrategyType::Topic,
            ..SerializerConfig::default()
        },
    )
    .unwrap();
    let bytes = serializer.serialize_ser(&context, order(3)).await.unwrap();
    let header = headers
        .last_header("__value_schema_id")
        .and_then(|h| h.value)
        .expect("the GUID travels in a header");
    let guid = app.get("/schemas/ids/1").await.body["guid"]
        .as_str()
        .unwrap()
        .replace('-', "");
    assert_eq!(header[0], 1, "the magic byte of the GUID framing");
    assert_eq!(
        header[1..17]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        guid,
        "the header holds the registry's GUID"
    );
    let reader = new_client(&app.address);
    let decoded = TheirAvroDeserializer::new(&reader, None, topic_strategy())
        .unwrap()
        .deserialize(&context, &bytes)
        .await
        .unwrap();
    assert_eq!(order_from_avro(&decoded.value), order(3));

    // warden-serde reads the crate's record: the header turned back into the id prefix.
    let ours = RegistryClient::new(&app.address).unwrap();
    let framed = warden_serde::to_prefix_framing(&ours, Some(&header), &bytes)
        .await
        .unwrap();
    let read: Order = AvroDeserializer::new(ours.clone())
        .deserialize(&framed)
        .await
        .unwrap();
    assert_eq!(read, order(3));

    // And the crate reads a record warden-serde moved into a header.
    let prefixed = AvroSerializer::new(
        ours.clone(),
        UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        OurConfig::default(),
    )
    .serialize(&SerializationContext::value("orders"), &order(4))
    .await
    .unwrap();
    let (header, payload) =
        warden_serde::to_header_framing(&ours, warden_serde::Part::Value, &prefixed)
            .await
            .unwrap();
    assert_eq!(header.name, "__value_schema_id");
    let headers = SerdeHeaders::default();
    headers.insert(schema_registry_client::serdes::serde::SerdeHeader {
        key: header.name.to_owned(),
        value: Some(header.value),
    });
    let context = schema_registry_client::serdes::serde::SerializationContext {
        headers: Some(headers),
        ..value_context("orders", SerdeFormat::Avro)
    };
    let decoded = TheirAvroDeserializer::new(&new_client(&app.address), None, topic_strategy())
        .unwrap()
        .deserialize(&context, &payload)
        .await
        .unwrap();
    assert_eq!(order_from_avro(&decoded.value), order(4));
}

/// The crate's serializer registering the schema itself (`auto_register_schemas`, its
/// default) takes the GUID from the register answer and writes it in the header.
#[tokio::test]
async fn the_guid_in_header_framing_works_with_auto_registration() {
    use schema_registry_client::serdes::serde::header_schema_id_serializer;

    let app = spawn_app().await;
    let client = new_client(&app.address);
    let order_schema = avro(ORDER_AVSC);
    let headers = SerdeHeaders::default();
    let context = schema_registry_client::serdes::serde::SerializationContext {
        headers: Some(headers.clone()),
        ..value_context("orders", SerdeFormat::Avro)
    };
    let serializer = TheirAvroSerializer::new(
        &client,
        Some(&order_schema),
        None,
        SerializerConfig {
            schema_id_serializer: header_schema_id_serializer,
            subject_name_strategy_type:
                schema_registry_client::serdes::serde::SubjectNameStrategyType::Topic,
            ..SerializerConfig::default()
        },
    )
    .unwrap();
    let bytes = serializer.serialize_ser(&context, order(6)).await.unwrap();
    assert_eq!(
        app.get("/subjects").await.body,
        serde_json::json!(["orders-value"])
    );
    let header = headers
        .last_header("__value_schema_id")
        .and_then(|h| h.value)
        .expect("the GUID travels in a header");
    let guid = app.get("/schemas/ids/1").await.body["guid"]
        .as_str()
        .unwrap()
        .replace('-', "");
    assert_eq!(
        header[1..17]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        guid
    );
    let decoded = TheirAvroDeserializer::new(&new_client(&app.address), None, topic_strategy())
        .unwrap()
        .deserialize(&context, &bytes)
        .await
        .unwrap();
    assert_eq!(order_from_avro(&decoded.value), order(6));
}
