//! The typed deserializers (Avro, JSON Schema, Protobuf) with a reader version
//! (`use.latest.version`, `use.latest.with.metadata`) against a spawned registry: records of
//! another version are carried by the `JSONATA` migration rules in between, or, without
//! any, read by Avro schema resolution or as the reader's Protobuf message; then the reader
//! version's `READ` rules run, and JSON documents are validated against the reader's schema.

use prost_reflect::ReflectMessage;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use warden_core::SchemaId;
use warden_serde::{
    AvroDeserializer, AvroSerializer, GenericDeserializer, JsonDeserializer, JsonSerializer,
    ProtobufDeserializer, ProtobufSerializer, ReaderVersion, RegistryClient, SerdeError,
    SerializationContext, SerializerConfig,
};
use warden_testkit::{TestApp, spawn_app};

/// Version 1 of a shoe record in a Rust consumer.
#[derive(Debug, PartialEq, Deserialize)]
struct ShoeV1 {
    id: String,
    size: i32,
}

/// Version 2: `size` renamed `height`.
#[derive(Debug, PartialEq, Deserialize)]
struct ShoeV2 {
    id: String,
    height: i32,
}

/// The two `JSONATA` rules that carry a shoe between the versions.
fn rename_rules() -> Value {
    json!({"migrationRules": [
        {"name": "sizeToHeight", "type": "JSONATA", "mode": "UPGRADE",
         "expr": "$merge([{'id': id, 'height': size}])"},
        {"name": "heightToSize", "type": "JSONATA", "mode": "DOWNGRADE",
         "expr": "$merge([{'id': id, 'size': height}])"}
    ]})
}

/// Registers `versions` (schema text, rule set or null) under `subject` with compatibility
/// NONE and a `major` metadata property per version (1, 2, …); their ids.
async fn versions(
    app: &TestApp,
    subject: &str,
    schema_type: &str,
    versions: &[(&str, Value)],
) -> Vec<SchemaId> {
    let r = app
        .request(
            reqwest::Method::PUT,
            &format!("/config/{subject}"),
            Some(&json!({"compatibility": "NONE"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut ids = Vec::new();
    for (n, (schema, rules)) in versions.iter().enumerate() {
        let mut body = json!({"schema": schema, "schemaType": schema_type,
            "metadata": {"properties": {"major": (n + 1).to_string()}}});
        if !rules.is_null() {
            body["ruleSet"] = rules.clone();
        }
        let r = app.register_body(subject, &body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        ids.push(SchemaId::new(r.body["id"].as_i64().unwrap()).unwrap());
    }
    ids
}

/// A serializer writing with schema `id`.
fn with_id(id: SchemaId) -> SerializerConfig {
    SerializerConfig {
        use_schema_id: Some(id),
        ..SerializerConfig::default()
    }
}

fn major(n: &str) -> ReaderVersion {
    ReaderVersion::LatestWithMetadata(vec![("major".into(), n.into())])
}

const AVRO_V1: &str = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"size","type":"int"}]}"#;
const AVRO_V2: &str = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"height","type":"int"}]}"#;

#[tokio::test]
async fn the_avro_deserializer_reads_records_migrated_to_the_readers_version_into_a_struct() {
    let app = spawn_app().await;
    let ids = versions(
        &app,
        "shoes-value",
        "AVRO",
        &[(AVRO_V1, Value::Null), (AVRO_V2, rename_rules())],
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("shoes");
    let old = AvroSerializer::from_registry(client.clone(), with_id(ids[0]))
        .serialize_json(&ctx, &json!({"id": "s1", "size": 42}))
        .await
        .unwrap();
    let new = AvroSerializer::from_registry(client.clone(), with_id(ids[1]))
        .serialize_json(&ctx, &json!({"id": "s2", "height": 40}))
        .await
        .unwrap();

    let latest = AvroDeserializer::new(client.clone()).reader_version(ReaderVersion::Latest);
    let up: ShoeV2 = latest.deserialize_in(&ctx, &old).await.unwrap();
    assert_eq!(
        up,
        ShoeV2 {
            id: "s1".into(),
            height: 42
        },
        "upgraded"
    );
    let (id, _) = latest.deserialize_value_in(&ctx, &old).await.unwrap();
    assert_eq!(id, ids[1], "the reader version's id");
    assert_eq!(
        latest.deserialize_json_in(&ctx, &old).await.unwrap(),
        json!({"id": "s1", "height": 42})
    );
    let same: ShoeV2 = latest.deserialize_in(&ctx, &new).await.unwrap();
    assert_eq!(
        same,
        ShoeV2 {
            id: "s2".into(),
            height: 40
        }
    );

    let v1 = AvroDeserializer::new(client.clone()).reader_version(major("1"));
    let down: ShoeV1 = v1.deserialize_in(&ctx, &new).await.unwrap();
    assert_eq!(
        down,
        ShoeV1 {
            id: "s2".into(),
            size: 40
        },
        "downgraded"
    );
    // By schema id (`use.schema.id`): version 1, found under the topic's subject.
    let by_id = AvroDeserializer::new(client.clone()).reader_version(ReaderVersion::Id(ids[0]));
    let down: ShoeV1 = by_id.deserialize_in(&ctx, &new).await.unwrap();
    assert_eq!(
        down,
        ShoeV1 {
            id: "s2".into(),
            size: 40
        },
        "downgraded to the id's version"
    );
    let elsewhere = SerializationContext::value("boots");
    let r = app
        .register_body("boots-value", &json!({"schema": AVRO_V1}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let boots = AvroDeserializer::new(client.clone())
        .reader_version(ReaderVersion::Id(ids[1]))
        .deserialize_value_in(&elsewhere, &old)
        .await;
    assert!(
        matches!(&boots, Err(SerdeError::Config(m)) if m.contains("not a version of subject boots-value")),
        "an id that is no version of the subject: {boots:?}"
    );

    // Without a reader version (or through the context-free methods), as written.
    let plain = AvroDeserializer::new(client.clone());
    let as_written: ShoeV1 = plain.deserialize_in(&ctx, &old).await.unwrap();
    assert_eq!(
        as_written,
        ShoeV1 {
            id: "s1".into(),
            size: 42
        }
    );
    let as_written: ShoeV1 = latest.deserialize(&old).await.unwrap();
    assert_eq!(
        as_written,
        ShoeV1 {
            id: "s1".into(),
            size: 42
        }
    );

    // A migration whose result does not fit the reader's schema is refused, naming it.
    let r = app
        .register_body(
            "shoes-value",
            &json!({"schema": AVRO_V2.replace("height", "width"),
                "ruleSet": {"migrationRules": [
                    {"name": "keep", "type": "JSONATA", "mode": "UPGRADE", "expr": "$"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A reader started after it (a running one keeps the version it found, as Confluent's).
    let latest = AvroDeserializer::new(client.clone()).reader_version(ReaderVersion::Latest);
    match latest.deserialize_value_in(&ctx, &old).await {
        Err(SerdeError::Invalid { path, message }) => {
            assert!(
                format!("{path} {message}").contains("height") || message.contains("width"),
                "{path}: {message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn without_migration_rules_avro_records_are_resolved_to_the_readers_schema() {
    let app = spawn_app().await;
    // Version 2 adds a field with a default and widens `size` to long; version 3 drops
    // `size`. No rules anywhere.
    let v2 = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"size","type":"long"},{"name":"color","type":"string","default":"black"}]}"#;
    let v3 = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"color","type":"string","default":"black"}]}"#;
    let ids = versions(
        &app,
        "boots-value",
        "AVRO",
        &[(AVRO_V1, Value::Null), (v2, Value::Null), (v3, Value::Null)],
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("boots");
    let old = AvroSerializer::from_registry(client.clone(), with_id(ids[0]))
        .serialize_json(&ctx, &json!({"id": "b1", "size": 44}))
        .await
        .unwrap();

    #[derive(Debug, PartialEq, Deserialize)]
    struct BootV2 {
        id: String,
        size: i64,
        color: String,
    }
    let reader = AvroDeserializer::new(client.clone()).reader_version(major("2"));
    let boot: BootV2 = reader.deserialize_in(&ctx, &old).await.unwrap();
    assert_eq!(
        boot,
        BootV2 {
            id: "b1".into(),
            size: 44,
            color: "black".into()
        },
        "the reader's default filled in, int promoted to long"
    );
    let (id, value) = reader.deserialize_value_in(&ctx, &old).await.unwrap();
    assert_eq!(id, ids[1]);
    assert!(
        matches!(&value, apache_avro::types::Value::Record(fields)
            if fields.iter().any(|(name, v)| name == "size" && *v == apache_avro::types::Value::Long(44))),
        "{value:?}"
    );

    let latest = AvroDeserializer::new(client.clone()).reader_version(ReaderVersion::Latest);
    assert_eq!(
        latest.deserialize_json_in(&ctx, &old).await.unwrap(),
        json!({"id": "b1", "color": "black"}),
        "a field the reader lacks is dropped"
    );
    let generic = GenericDeserializer::new(client).reader_version(ReaderVersion::Latest);
    let decoded = generic.deserialize_in(&ctx, &old).await.unwrap();
    assert_eq!(decoded.value, json!({"id": "b1", "color": "black"}));
    assert_eq!(decoded.schema_id, ids[2]);
}

#[tokio::test]
async fn the_json_deserializer_migrates_then_validates_against_the_readers_schema() {
    let app = spawn_app().await;
    let schema = |field: &str| {
        json!({"type": "object", "title": "Shoe", "additionalProperties": false,
            "required": ["id", field],
            "properties": {"id": {"type": "string"}, field: {"type": "integer"}}})
        .to_string()
    };
    let (v1, v2) = (schema("size"), schema("height"));
    let ids = versions(
        &app,
        "sneakers-value",
        "JSON",
        &[(v1.as_str(), Value::Null), (v2.as_str(), rename_rules())],
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("sneakers");
    let old = JsonSerializer::from_registry(client.clone(), with_id(ids[0]))
        .serialize_value(&ctx, &json!({"id": "j1", "size": 39}))
        .await
        .unwrap();
    let new = JsonSerializer::from_registry(client.clone(), with_id(ids[1]))
        .serialize_value(&ctx, &json!({"id": "j2", "height": 37}))
        .await
        .unwrap();

    let latest = JsonDeserializer::new(client.clone())
        .validating(true)
        .reader_version(ReaderVersion::Latest);
    let up: ShoeV2 = latest.deserialize_in(&ctx, &old).await.unwrap();
    assert_eq!(
        up,
        ShoeV2 {
            id: "j1".into(),
            height: 39
        }
    );
    let (id, _) = latest.deserialize_value_in(&ctx, &old).await.unwrap();
    assert_eq!(id, ids[1]);
    let down: ShoeV1 = JsonDeserializer::new(client.clone())
        .reader_version(major("1"))
        .deserialize_in(&ctx, &new)
        .await
        .unwrap();
    assert_eq!(
        down,
        ShoeV1 {
            id: "j2".into(),
            size: 37
        }
    );

    // A version 3 with no rules from version 2: a version-1 record is upgraded to
    // `height` on the way and then checked against version 3, which wants `width`.
    versions_append(&app, "sneakers-value", "JSON", &schema("width")).await;
    // A reader started after it (a running one keeps the version it found, as Confluent's).
    let latest = JsonDeserializer::new(client.clone())
        .validating(true)
        .reader_version(ReaderVersion::Latest);
    match latest.deserialize_value_in(&ctx, &old).await {
        Err(SerdeError::Invalid { .. }) => {}
        other => panic!("validated against the reader's schema: {other:?}"),
    }
    // Not validating, the migrated document is returned as the rules left it.
    let (_, value) = JsonDeserializer::new(client)
        .reader_version(ReaderVersion::Latest)
        .deserialize_value_in(&ctx, &old)
        .await
        .unwrap();
    assert_eq!(value, json!({"id": "j1", "height": 39}));
}

/// An empty rule set: a version registered without one would inherit the previous
/// version's (Confluent's registry does the same), migration rules included.
fn no_rules() -> Value {
    json!({"migrationRules": []})
}

/// Registers one more version of `schema_type` (`AVRO`, `JSON`) under `subject`, with no
/// rules; its id.
async fn versions_append(
    app: &TestApp,
    subject: &str,
    schema_type: &str,
    schema: &str,
) -> SchemaId {
    let r = app
        .register_body(
            subject,
            &json!({"schema": schema, "schemaType": schema_type, "ruleSet": no_rules()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    SchemaId::new(r.body["id"].as_i64().unwrap()).unwrap()
}

/// Version 2 of the Protobuf shoe, as a `prost` message.
#[derive(Clone, PartialEq, prost::Message)]
struct ProtoShoeV2 {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(int32, tag = "3")]
    height: i32,
}

#[tokio::test]
async fn the_protobuf_deserializer_migrates_to_the_readers_message() {
    let app = spawn_app().await;
    let v1 = "syntax = \"proto3\";\npackage acme;\nmessage Shoe {\n  string id = 1;\n  int32 size = 2;\n}\n";
    let v2 = "syntax = \"proto3\";\npackage acme;\nmessage Shoe {\n  string id = 1;\n  int32 height = 3;\n}\n";
    // Version 3 adds a field, with no rules: read as the reader's message.
    let v3 = "syntax = \"proto3\";\npackage acme;\nmessage Other {\n  string x = 1;\n}\nmessage Shoe {\n  string id = 1;\n  int32 height = 3;\n  string color = 4;\n}\n";
    let ids = versions(
        &app,
        "clogs-value",
        "PROTOBUF",
        &[(v1, Value::Null), (v2, rename_rules()), (v3, no_rules())],
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("clogs");
    let old = ProtobufSerializer::from_registry(client.clone(), with_id(ids[0]))
        .serialize_json(&ctx, Some("acme.Shoe"), &json!({"id": "p1", "size": 43}))
        .await
        .unwrap();

    let v2_reader = ProtobufDeserializer::new(client.clone()).reader_version(major("2"));
    let up: ProtoShoeV2 = v2_reader.deserialize_in(&ctx, &old).await.unwrap();
    assert_eq!(
        up,
        ProtoShoeV2 {
            id: "p1".into(),
            height: 43
        },
        "upgraded"
    );
    let (id, message) = v2_reader.deserialize_dynamic_in(&ctx, &old).await.unwrap();
    assert_eq!(id, ids[1]);
    assert_eq!(message.descriptor().full_name(), "acme.Shoe");
    assert_eq!(
        v2_reader.deserialize_json_in(&ctx, &old).await.unwrap(),
        json!({"id": "p1", "height": 43})
    );

    // To version 3 the upgrade runs, and the result is version 3's `Shoe` (found by name,
    // though it is not the file's first message).
    let latest = ProtobufDeserializer::new(client.clone()).reader_version(ReaderVersion::Latest);
    let (id, message) = latest.deserialize_dynamic_in(&ctx, &old).await.unwrap();
    assert_eq!(id, ids[2]);
    assert_eq!(message.descriptor().full_name(), "acme.Shoe");
    assert!(message.descriptor().get_field_by_name("color").is_some());
    assert_eq!(
        latest.deserialize_json_in(&ctx, &old).await.unwrap(),
        json!({"id": "p1", "height": 43})
    );

    // A version-2 record read as version 3 needs no rule: decoded as version 3's message.
    let new = ProtobufSerializer::from_registry(client.clone(), with_id(ids[1]))
        .serialize_json(&ctx, Some("acme.Shoe"), &json!({"id": "p2", "height": 36}))
        .await
        .unwrap();
    let (id, message) = latest.deserialize_dynamic_in(&ctx, &new).await.unwrap();
    assert_eq!(id, ids[2]);
    assert!(message.descriptor().get_field_by_name("color").is_some());
    let typed: ProtoShoeV2 = latest.deserialize_in(&ctx, &new).await.unwrap();
    assert_eq!(
        typed,
        ProtoShoeV2 {
            id: "p2".into(),
            height: 36
        }
    );
}

#[tokio::test]
async fn the_reader_versions_subject_follows_the_subject_name_strategy() {
    use warden_serde::SubjectNameStrategy;

    let app = spawn_app().await;
    let named =
        |schema: &str| schema.replace(r#""name":"Shoe""#, r#""name":"Shoe","namespace":"acme""#);
    let (v1, v2) = (named(AVRO_V1), named(AVRO_V2));
    // RecordNameStrategy: the subject is the record's full name, whatever the topic.
    let ids = versions(
        &app,
        "acme.Shoe",
        "AVRO",
        &[(v1.as_str(), Value::Null), (v2.as_str(), rename_rules())],
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("footwear");
    let old = AvroSerializer::from_registry(client.clone(), with_id(ids[0]))
        .serialize_json(&ctx, &json!({"id": "r1", "size": 45}))
        .await
        .unwrap();
    let by_record = AvroDeserializer::new(client.clone())
        .reader_version(ReaderVersion::Latest)
        .subject_name_strategy(SubjectNameStrategy::RecordName);
    let up: ShoeV2 = by_record.deserialize_in(&ctx, &old).await.unwrap();
    assert_eq!(
        up,
        ShoeV2 {
            id: "r1".into(),
            height: 45
        }
    );
    // By the topic's subject, which does not exist, the reader version is not found.
    let by_topic = AvroDeserializer::new(client.clone()).reader_version(ReaderVersion::Latest);
    match by_topic.deserialize_value_in(&ctx, &old).await {
        Err(SerdeError::Registry(warden_client::ClientError::Registry {
            error_code: 40401,
            ..
        })) => {}
        other => panic!("subject not found (40401) expected: {other:?}"),
    }
    let generic = GenericDeserializer::new(client.clone())
        .reader_version(ReaderVersion::Latest)
        .subject_name_strategy(SubjectNameStrategy::RecordName);
    assert_eq!(
        generic.deserialize_in(&ctx, &old).await.unwrap().value,
        json!({"id": "r1", "height": 45})
    );

    // TopicRecordNameStrategy with Protobuf: the message the header's indexes name.
    let p1 = "syntax = \"proto3\";\npackage acme;\nmessage Other {\n  string x = 1;\n}\nmessage Shoe {\n  string id = 1;\n  int32 size = 2;\n}\n";
    let p2 = "syntax = \"proto3\";\npackage acme;\nmessage Other {\n  string x = 1;\n}\nmessage Shoe {\n  string id = 1;\n  int32 height = 3;\n}\n";
    let ids = versions(
        &app,
        "footwear-acme.Shoe",
        "PROTOBUF",
        &[(p1, Value::Null), (p2, rename_rules())],
    )
    .await;
    let old = ProtobufSerializer::from_registry(client.clone(), with_id(ids[0]))
        .serialize_json(&ctx, Some("acme.Shoe"), &json!({"id": "t1", "size": 46}))
        .await
        .unwrap();
    let up: ProtoShoeV2 = ProtobufDeserializer::new(client)
        .reader_version(ReaderVersion::Latest)
        .subject_name_strategy(SubjectNameStrategy::TopicRecordName)
        .deserialize_in(&ctx, &old)
        .await
        .unwrap();
    assert_eq!(
        up,
        ProtoShoeV2 {
            id: "t1".into(),
            height: 46
        }
    );
}

#[tokio::test]
async fn a_reader_version_is_kept_for_the_latest_cache_ttl() {
    let app = spawn_app().await;
    let ids = versions(
        &app,
        "sandals-value",
        "AVRO",
        &[(AVRO_V1, Value::Null), (AVRO_V2, rename_rules())],
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("sandals");
    let old = AvroSerializer::from_registry(client.clone(), with_id(ids[0]))
        .serialize_json(&ctx, &json!({"id": "k1", "size": 40}))
        .await
        .unwrap();
    let kept = AvroDeserializer::new(client.clone())
        .reader_version(ReaderVersion::Latest)
        .latest_cache_ttl(Some(std::time::Duration::from_secs(3600)));
    let asking = AvroDeserializer::new(client.clone())
        .reader_version(ReaderVersion::Latest)
        .latest_cache_ttl(Some(std::time::Duration::ZERO));
    // Without a TTL, kept as long as the deserializer lives (Confluent's default).
    let default = AvroDeserializer::new(client.clone()).reader_version(ReaderVersion::Latest);
    for reader in [&kept, &asking, &default] {
        assert_eq!(
            reader.deserialize_value_in(&ctx, &old).await.unwrap().0,
            ids[1]
        );
    }
    // Version 3 adds a field with a default (no rules): the reader that asks sees it at
    // once, the one that keeps version 2 does not.
    let v3 = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"height","type":"int"},{"name":"color","type":"string","default":"tan"}]}"#;
    let v3_id = versions_append(&app, "sandals-value", "AVRO", v3).await;
    for reader in [&kept, &default] {
        assert_eq!(
            reader.deserialize_value_in(&ctx, &old).await.unwrap().0,
            ids[1]
        );
    }
    let (id, _) = asking.deserialize_value_in(&ctx, &old).await.unwrap();
    assert_eq!(id, v3_id);
    assert_eq!(
        asking.deserialize_json_in(&ctx, &old).await.unwrap(),
        json!({"id": "k1", "height": 40, "color": "tan"})
    );
}
