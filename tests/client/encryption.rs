//! The `ENCRYPT` rule (field-level encryption) against a spawned registry and its DEK
//! registry: tagged fields encrypted on write and decrypted on read, the KEK and DEK created
//! on first write, `onFailure` ERROR and NONE, and records exchanged both ways with
//! Confluent's Python `confluent-kafka[rules]`, Node `@confluentinc/schemaregistry` and the
//! Rust `schema-registry-client` (local KMS, the same secret on every side).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::StatusCode;
use serde_json::{Value, json};
use warden_core::encryption::LocalKms;
use warden_core::{ParsedSchema, SchemaType};
use warden_serde::{
    AvroDeserializer, AvroSerializer, JsonDeserializer, JsonSerializer, RegistryClient, SerdeError,
    SerializationContext, SerializerConfig,
};
use warden_testkit::{TestApp, spawn_app};

/// The local KMS secret of every side in these tests (the KMS registries of Warden and of
/// `schema-registry-client` are process-wide).
pub(crate) const SECRET: &str = "warden-test-local-kms-secret";

/// A customer whose `ssn` is tagged PII inline and `email` by the metadata.
pub(crate) const CUSTOMER: &str = r#"{
  "type": "record", "name": "Customer", "namespace": "acme",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "ssn", "type": "string", "confluent:tags": ["PII"]},
    {"name": "email", "type": ["null", "string"], "default": null},
    {"name": "note", "type": "string"}
  ]
}"#;

pub(crate) fn customer(ssn: &str) -> Value {
    json!({"id": "c-1", "ssn": ssn, "email": "a@example.com", "note": "hi"})
}

pub(crate) fn encrypt_rule(algorithm: &str, on_failure: &str) -> Value {
    json!({"name": "encryptPII", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "ENCRYPT",
           "tags": ["PII"], "onFailure": on_failure,
           "params": {"encrypt.kek.name": "kek1", "encrypt.kms.type": "local-kms",
                      "encrypt.kms.key.id": "mykey", "encrypt.dek.algorithm": algorithm}})
}

pub(crate) fn use_local_kms() {
    warden_serde::register_kms(Arc::new(LocalKms::new(SECRET)));
}

pub(crate) async fn register(app: &TestApp, subject: &str, rules: Vec<Value>) {
    register_with(app, subject, rules, true).await;
}

/// Registers the customer under `subject` with `rules`, and with `email` tagged PII by the
/// metadata when `metadata_tags`.
async fn register_with(app: &TestApp, subject: &str, rules: Vec<Value>, metadata_tags: bool) {
    let mut body = json!({"schema": CUSTOMER, "ruleSet": {"domainRules": rules}});
    if metadata_tags {
        body["metadata"] = json!({"tags": {"acme.Customer.email": ["PII"]}});
    }
    let r = app.register_body(subject, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

pub(crate) fn latest() -> SerializerConfig {
    SerializerConfig {
        use_latest_version: true,
        ..SerializerConfig::default()
    }
}

/// The record as written, without running any rule: the stored (encrypted) field values.
pub(crate) fn raw_record(bytes: &[u8]) -> Value {
    let ParsedSchema::Avro(avro) = ParsedSchema::parse(SchemaType::Avro, CUSTOMER, &[]).unwrap()
    else {
        panic!("an Avro schema")
    };
    warden_core::avro::datum::value_to_json(&avro.decode(&bytes[5..]).unwrap())
}

pub(crate) fn refused(
    result: Result<impl std::fmt::Debug, SerdeError>,
) -> warden_serde::RuleFailure {
    match result {
        Err(SerdeError::Rule(failure)) => *failure,
        other => panic!("expected a rule failure, got {other:?}"),
    }
}

#[tokio::test]
async fn tagged_fields_are_encrypted_on_write_and_decrypted_on_read() {
    use_local_kms();
    let app = spawn_app().await;
    register(
        &app,
        "customers-value",
        vec![encrypt_rule("AES256_GCM", "ERROR")],
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ser = AvroSerializer::from_registry(client.clone(), latest());
    let ctx = SerializationContext::value("customers");
    let bytes = ser
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();

    let raw = raw_record(&bytes);
    assert_eq!(raw["id"], "c-1", "an untagged field stays as it is");
    assert_eq!(raw["note"], "hi");
    let ssn = raw["ssn"].as_str().unwrap();
    assert_ne!(ssn, "123-45-6789", "the inline-tagged field is encrypted");
    // Tink AES-GCM: 12-byte IV, the 11 bytes, a 16-byte tag, in base64.
    assert_eq!(BASE64.decode(ssn).unwrap().len(), 12 + 11 + 16);
    assert_ne!(
        raw["email"], "a@example.com",
        "the metadata-tagged field is encrypted"
    );

    // The rule's KEK and the subject's DEK were created on first write.
    let kek = app.get("/dek-registry/v1/keks/kek1").await;
    assert_eq!(kek.body["kmsType"], "local-kms", "{}", kek.text);
    assert_eq!(kek.body["shared"], false);
    let dek = app
        .get("/dek-registry/v1/keks/kek1/deks/customers-value/versions/1")
        .await;
    assert_eq!(dek.body["algorithm"], "AES256_GCM", "{}", dek.text);

    // Each record has its own IV; a second serializer uses the same DEK.
    let again = AvroSerializer::from_registry(client.clone(), latest())
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();
    assert_ne!(raw_record(&again)["ssn"], raw["ssn"]);
    for written in [&bytes, &again] {
        let read = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap())
            .deserialize_json(written)
            .await
            .unwrap();
        assert_eq!(read, customer("123-45-6789"));
    }
}

#[tokio::test]
async fn every_use_of_a_named_type_defined_in_the_schema_is_encrypted() {
    use_local_kms();
    let app = spawn_app().await;
    let body = json!({"schema": crate::rules::SHIPMENT,
                      "ruleSet": {"domainRules": [encrypt_rule("AES256_SIV", "ERROR")]}});
    let r = app.register_body("shipments-value", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let client = RegistryClient::new(&app.address).unwrap();
    let ser = AvroSerializer::from_registry(client.clone(), latest());
    let ctx = SerializationContext::value("shipments");
    let address = |email: &str| json!({"street": "1 Main St", "email": email});
    let shipment = json!({"shipping": address("a@example.com"),
                          "billing": address("b@example.com"),
                          "previous": [address("c@example.com")]});
    let bytes = ser.serialize_json(&ctx, &shipment).await.unwrap();

    let ParsedSchema::Avro(avro) =
        ParsedSchema::parse(SchemaType::Avro, crate::rules::SHIPMENT, &[]).unwrap()
    else {
        panic!("an Avro schema")
    };
    let raw = warden_core::avro::datum::value_to_json(&avro.decode(&bytes[5..]).unwrap());
    for (use_, plain) in [
        ("/shipping/email", "a@example.com"),
        ("/billing/email", "b@example.com"),
        ("/previous/0/email", "c@example.com"),
    ] {
        let stored = raw.pointer(use_).and_then(Value::as_str).unwrap();
        assert_ne!(stored, plain, "{use_} is encrypted");
    }
    assert_eq!(
        raw["billing"]["street"], "1 Main St",
        "an untagged field stays"
    );
    let read = AvroDeserializer::new(client)
        .deserialize_json(&bytes)
        .await
        .unwrap();
    assert_eq!(read, shipment);
}

/// The requests `app` has answered on the DEK registry's routes, from its `/metrics`.
async fn dek_registry_requests(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await;
    metrics
        .text
        .lines()
        .filter(|l| {
            l.starts_with("warden_http_requests_total{") && l.contains("route=\"/dek-registry")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[tokio::test]
async fn a_rule_whose_keys_cannot_be_had_does_not_ask_the_registry_once_per_record() {
    let app = spawn_app().await;
    // The KEK names a KMS type no KMS is registered for: the KEK is created, its DEK cannot
    // be (a KMS failure); onFailure NONE lets the records through unencrypted.
    let broken_kms = json!({"name": "encryptPII", "kind": "TRANSFORM", "mode": "WRITEREAD",
        "type": "ENCRYPT", "tags": ["PII"], "onFailure": "NONE",
        "params": {"encrypt.kek.name": "kek-no-kms", "encrypt.kms.type": "warden-test-absent-kms",
                   "encrypt.kms.key.id": "k"}});
    // No KEK name at all: a permanent error of the rule.
    let no_kek = json!({"name": "encryptPII", "kind": "TRANSFORM", "mode": "WRITEREAD",
        "type": "ENCRYPT", "tags": ["PII"], "onFailure": "NONE", "params": {}});
    register(&app, "broken-value", vec![broken_kms]).await;
    register(&app, "nokek-value", vec![no_kek]).await;
    let client = RegistryClient::new(&app.address).unwrap();
    for (topic, most) in [("broken", 10), ("nokek", 0)] {
        let ser = AvroSerializer::from_registry(client.clone(), latest());
        let ctx = SerializationContext::value(topic);
        let before = dek_registry_requests(&app).await;
        for _ in 0..50 {
            let bytes = ser
                .serialize_json(&ctx, &customer("123-45-6789"))
                .await
                .unwrap();
            assert_eq!(raw_record(&bytes)["ssn"], "123-45-6789", "{topic}");
        }
        let made = dek_registry_requests(&app).await - before;
        assert!(
            made <= most,
            "{topic}: {made} DEK registry requests for 50 records"
        );
        if topic == "broken" {
            assert!(made > 0, "the KEK and DEK were looked up");
        }
    }
}

#[tokio::test]
async fn aes_siv_encrypts_deterministically() {
    use_local_kms();
    let app = spawn_app().await;
    register(&app, "siv-value", vec![encrypt_rule("AES256_SIV", "ERROR")]).await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ser = AvroSerializer::from_registry(client.clone(), latest());
    let ctx = SerializationContext::value("siv");
    let one = ser
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();
    let two = ser
        .serialize_json(&ctx, &customer("123-45-6789"))
        .await
        .unwrap();
    let other = ser
        .serialize_json(&ctx, &customer("987-65-4321"))
        .await
        .unwrap();
    assert_eq!(one, two, "the same plaintext gives the same ciphertext");
    assert_ne!(raw_record(&one)["ssn"], raw_record(&other)["ssn"]);
    assert_ne!(raw_record(&one)["ssn"], "123-45-6789");
    let read = AvroDeserializer::new(client)
        .deserialize_json(&other)
        .await
        .unwrap();
    assert_eq!(read["ssn"], "987-65-4321");
}

#[tokio::test]
async fn a_failing_encrypt_rule_refuses_with_error_and_passes_with_none_and_disabled_is_skipped() {
    use_local_kms();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("nokek");

    // No KEK name: the rule fails; ERROR refuses the record, naming the rule.
    let mut no_kek = encrypt_rule("AES256_GCM", "ERROR");
    no_kek["params"] = json!({});
    register(&app, "nokek-value", vec![no_kek.clone()]).await;
    let failure = refused(
        AvroSerializer::from_registry(client.clone(), latest())
            .serialize_json(&ctx, &customer("123-45-6789"))
            .await,
    );
    assert_eq!(failure.rule, "encryptPII");
    assert!(failure.message.contains("kek name"), "{}", failure.message);

    // NONE lets the record through, unencrypted; a disabled rule does not run at all.
    for changed in [
        json!({"onFailure": "NONE"}),
        json!({"onFailure": "ERROR", "disabled": true}),
    ] {
        let mut rule = no_kek.clone();
        for (k, v) in changed.as_object().unwrap() {
            rule[k] = v.clone();
        }
        register(&app, "nokek-value", vec![rule]).await;
        let bytes = AvroSerializer::from_registry(client.clone(), latest())
            .serialize_json(&ctx, &customer("123-45-6789"))
            .await
            .unwrap();
        assert_eq!(raw_record(&bytes)["ssn"], "123-45-6789", "{changed}");
    }

    // On read: a record whose KEK was deleted fails to decrypt; with ERROR it is refused,
    // with NONE it is read with the field still encrypted.
    let mut written = Vec::new();
    for (subject, on_failure) in [
        ("readerr-value", "ERROR,ERROR"),
        ("readnone-value", "ERROR,NONE"),
    ] {
        register(&app, subject, vec![encrypt_rule("AES256_GCM", on_failure)]).await;
        let topic = subject.trim_end_matches("-value");
        let bytes = AvroSerializer::from_registry(client.clone(), latest())
            .serialize_json(
                &SerializationContext::value(topic),
                &customer("123-45-6789"),
            )
            .await
            .unwrap();
        written.push(bytes);
    }
    for subject in ["readerr-value", "readnone-value"] {
        let path = format!("/dek-registry/v1/keks/kek1/deks/{subject}");
        assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    }
    let gone = app.delete("/dek-registry/v1/keks/kek1").await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let reader = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap());
    let failure = refused(reader.deserialize_json(&written[0]).await);
    assert_eq!(failure.rule, "encryptPII");
    let read = reader.deserialize_json(&written[1]).await.unwrap();
    assert_eq!(read["id"], "c-1");
    assert_eq!(
        read["ssn"],
        raw_record(&written[1])["ssn"],
        "still encrypted"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Confluent's encryption executor in another language (`program` running
/// `tests/clients/{script}`) and Warden read each other's encrypted fields, under one KEK:
/// Warden writes to `{ours}` first (and creates the KEK and DEK), the client reads that
/// record, then writes one to `{ours}` (with Warden's DEK) and one to `{first}` (creating
/// the DEK itself), which Warden decrypts.
async fn client_encryption_round_trip(
    program: std::path::PathBuf,
    script: &str,
    [ours, first]: [&str; 2],
    who: &str,
) {
    use warden_testkit::clients::{clients_dir, run_client_script};

    let app = spawn_app().await;
    for topic in [ours, first] {
        register(
            &app,
            &format!("{topic}-value"),
            vec![encrypt_rule("AES256_GCM", "ERROR")],
        )
        .await;
    }
    let client = RegistryClient::new(&app.address).unwrap();
    let written = AvroSerializer::from_registry(client.clone(), latest())
        .serialize_json(&SerializationContext::value(ours), &customer("123-45-6789"))
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_same = out.path().join("same.hex");
    let out_first = out.path().join("first.hex");
    run_client_script(
        program,
        &clients_dir().join(script),
        &[
            app.address.as_str(),
            SECRET,
            hex(&written).as_str(),
            out_same.to_str().unwrap(),
            out_first.to_str().unwrap(),
        ],
        &format!("{who}'s encryption executor failed on Warden's records"),
    )
    .await;
    for (path, ssn) in [(&out_same, "111-22-3333"), (&out_first, "444-55-6666")] {
        let theirs = unhex(&std::fs::read_to_string(path).unwrap());
        let raw = raw_record(&theirs);
        assert_ne!(raw["ssn"], ssn, "{who} encrypted the field");
        assert!(
            !raw.to_string().contains("b@example.com"),
            "{who} encrypted the field tagged by the metadata: {raw}"
        );
        let read = AvroDeserializer::new(client.clone())
            .deserialize_json(&theirs)
            .await
            .unwrap();
        assert_eq!(read["ssn"], ssn, "Warden decrypts {who}'s field");
        assert_eq!(read["email"], "b@example.com");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_encryption_executor_and_warden_read_each_others_encrypted_fields() {
    use_local_kms();
    let python = tokio::task::spawn_blocking(warden_testkit::clients::python_with_confluent_kafka)
        .await
        .unwrap();
    client_encryption_round_trip(
        python,
        "python/encryption_interop.py",
        ["pyenc", "pyfirst"],
        "confluent-kafka (Python)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_node_encryption_executor_and_warden_read_each_others_encrypted_fields() {
    use_local_kms();
    let node = tokio::task::spawn_blocking(warden_testkit::clients::node_with_confluent_clients)
        .await
        .unwrap();
    client_encryption_round_trip(
        node,
        "node/encryption_interop.js",
        ["nodeenc", "nodefirst"],
        "@confluentinc/schemaregistry (Node)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_registry_clients_encryption_executor_and_warden_read_each_others_fields() {
    use std::collections::HashMap;

    use apache_avro_021::types::Value as TheirValue;
    use schema_registry_client::rest::dek_registry_client::DekRegistryClient;
    use schema_registry_client::rules::encryption::encrypt_executor::{
        FieldEncryptionExecutor, SystemClock,
    };
    use schema_registry_client::rules::encryption::localkms::local_driver::LocalKmsDriver;
    use schema_registry_client::serdes::avro::{
        AvroDeserializer as TheirDeserializer, AvroSerializer as TheirSerializer,
    };
    use schema_registry_client::serdes::config::{
        DeserializerConfig, SchemaSelector, SerializerConfig as TheirConfig,
    };
    use schema_registry_client::serdes::rule_registry::RuleRegistry;
    use schema_registry_client::serdes::serde::{SerdeFormat, SubjectNameStrategyType};

    use_local_kms();
    LocalKmsDriver::register();
    let app = spawn_app().await;
    // Inline tags only: the crate (0.4.2) takes a metadata tag's pattern for its tags, so it
    // would leave the metadata-tagged field in plaintext.
    for subject in ["rsenc-value", "rsfirst-value"] {
        register_with(
            &app,
            subject,
            vec![encrypt_rule("AES256_GCM", "ERROR")],
            false,
        )
        .await;
    }
    let theirs_client = crate::confluent::new_client(&app.address);
    let rule_config = HashMap::from([("secret".to_owned(), SECRET.to_owned())]);
    let registry = || {
        let rules = RuleRegistry::new();
        rules.register_executor(FieldEncryptionExecutor::<DekRegistryClient>::new(
            SystemClock::new(),
        ));
        rules
    };
    let field = |value: &TheirValue, name: &str| match value {
        TheirValue::Record(fields) => fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone()),
        other => panic!("a record, got {other:?}"),
    };

    // Warden writes first (creating the KEK and DEK); the crate reads.
    let ours = AvroSerializer::from_registry(RegistryClient::new(&app.address).unwrap(), latest())
        .serialize_json(
            &SerializationContext::value("rsenc"),
            &customer("123-45-6789"),
        )
        .await
        .unwrap();
    let reader = TheirDeserializer::new(
        &theirs_client,
        Some(registry()),
        DeserializerConfig {
            subject_name_strategy_type: SubjectNameStrategyType::Topic,
            rule_config: rule_config.clone(),
            ..DeserializerConfig::default()
        },
    )
    .unwrap();
    let context = crate::confluent::value_context("rsenc", SerdeFormat::Avro);
    let read = reader.deserialize(&context, &ours).await.unwrap();
    assert_eq!(
        field(&read.value, "ssn"),
        Some(TheirValue::String("123-45-6789".into())),
        "the crate decrypts Warden's field"
    );

    // The crate writes, to the subject Warden created the DEK of and to one it creates the
    // DEK of itself; Warden reads both.
    let writer = TheirSerializer::new(
        &theirs_client,
        None,
        Some(registry()),
        TheirConfig {
            auto_register_schemas: false,
            use_schema: Some(SchemaSelector::LatestVersion),
            subject_name_strategy_type: SubjectNameStrategyType::Topic,
            rule_config,
            ..TheirConfig::default()
        },
    )
    .unwrap();
    for topic in ["rsenc", "rsfirst"] {
        let record = TheirValue::Record(vec![
            ("id".into(), TheirValue::String("c-2".into())),
            ("ssn".into(), TheirValue::String("444-55-6666".into())),
            (
                "email".into(),
                TheirValue::Union(1, Box::new(TheirValue::String("b@example.com".into()))),
            ),
            ("note".into(), TheirValue::String("rs".into())),
        ]);
        let context = crate::confluent::value_context(topic, SerdeFormat::Avro);
        let bytes = writer.serialize(&context, record).await.unwrap();
        assert_ne!(
            raw_record(&bytes)["ssn"],
            "444-55-6666",
            "the crate encrypted it"
        );
        let read = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap())
            .deserialize_json(&bytes)
            .await
            .unwrap();
        assert_eq!(
            read["ssn"], "444-55-6666",
            "Warden decrypts the crate's field ({topic})"
        );
        assert_eq!(read["email"], "b@example.com");
    }
}

/// A JSON Schema customer whose PII `ssn` may be null: its `type` is an array.
const JSON_CUSTOMER: &str = r#"{
  "type": "object", "title": "Customer",
  "properties": {
    "id": {"type": "string"},
    "ssn": {"type": ["string", "null"], "confluent:tags": ["PII"]},
    "note": {"type": "string"}
  }
}"#;

/// Registers [`JSON_CUSTOMER`] under `jsonenc-value` with an `ENCRYPT` rule on PII; the
/// serializer and deserializer of its topic.
async fn json_customer(app: &TestApp) -> (JsonSerializer, JsonDeserializer) {
    let r = app
        .register_body(
            "jsonenc-value",
            &json!({"schema": JSON_CUSTOMER, "schemaType": "JSON",
                "ruleSet": {"domainRules": [encrypt_rule("AES256_GCM", "ERROR")]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let client = RegistryClient::new(&app.address).unwrap();
    (
        JsonSerializer::from_registry(client.clone(), latest()),
        JsonDeserializer::new(client).validating(true),
    )
}

/// The document as stored, without running any rule.
fn stored(bytes: &[u8]) -> Value {
    serde_json::from_slice(&bytes[5..]).unwrap()
}

#[tokio::test]
async fn a_json_schema_field_whose_type_is_an_array_is_encrypted_when_it_holds_a_value() {
    use_local_kms();
    let app = spawn_app().await;
    let (ser, de) = json_customer(&app).await;
    let ctx = SerializationContext::value("jsonenc");
    let bytes = ser
        .serialize_value(
            &ctx,
            &json!({"id": "c-1", "ssn": "123-45-6789", "note": "hi"}),
        )
        .await
        .unwrap();
    let raw = stored(&bytes);
    assert!(
        raw["ssn"].is_string() && raw["ssn"] != "123-45-6789",
        "encrypted: {raw}"
    );
    assert_eq!(raw["note"], "hi");
    let (_, read) = de.deserialize_value(&bytes).await.unwrap();
    assert_eq!(read["ssn"], "123-45-6789", "decrypted");
    // A null takes the `null` type: nothing to encrypt.
    let bytes = ser
        .serialize_value(&ctx, &json!({"id": "c-2", "ssn": null, "note": "hi"}))
        .await
        .unwrap();
    assert_eq!(stored(&bytes)["ssn"], Value::Null);
    let (_, read) = de.deserialize_value(&bytes).await.unwrap();
    assert_eq!(read["ssn"], Value::Null);
}

/// Runs `script` (a Confluent client's JSON Schema encryption round trip) with `program`
/// against Warden's encrypted record, and reads back the record it wrote (`ssn`
/// `111-22-3333`, `note` as `note`).
async fn json_encryption_round_trip(
    program: std::path::PathBuf,
    script: &str,
    note: &str,
    what: &str,
) {
    use warden_testkit::clients::{clients_dir, run_client_script};

    use_local_kms();
    let app = spawn_app().await;
    let (ser, de) = json_customer(&app).await;
    let ours = ser
        .serialize_value(
            &SerializationContext::value("jsonenc"),
            &json!({"id": "c-1", "ssn": "123-45-6789", "note": "hi"}),
        )
        .await
        .unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    run_client_script(
        program,
        &clients_dir().join(script),
        &[
            app.address.as_str(),
            SECRET,
            hex(&ours).as_str(),
            out.path().to_str().unwrap(),
        ],
        what,
    )
    .await;
    let theirs = unhex(&std::fs::read_to_string(out.path()).unwrap());
    assert_ne!(
        stored(&theirs)["ssn"],
        "111-22-3333",
        "{script} encrypted it"
    );
    let (_, read) = de.deserialize_value(&theirs).await.unwrap();
    assert_eq!(
        read["ssn"], "111-22-3333",
        "Warden decrypts {script}'s field"
    );
    assert_eq!(read["note"], note);
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_and_warden_read_each_others_encrypted_json_fields_typed_by_an_array() {
    let python = tokio::task::spawn_blocking(warden_testkit::clients::python_with_confluent_kafka)
        .await
        .unwrap();
    json_encryption_round_trip(
        python,
        "python/json_encryption_interop.py",
        "py",
        "confluent-kafka's encryption executor failed on Warden's JSON records",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_node_and_warden_read_each_others_encrypted_json_fields_typed_by_an_array() {
    let node = tokio::task::spawn_blocking(warden_testkit::clients::node_with_confluent_clients)
        .await
        .unwrap();
    json_encryption_round_trip(
        node,
        "node/json_encryption_interop.js",
        "node",
        "@confluentinc/schemaregistry's encryption executor failed on Warden's JSON records",
    )
    .await;
}
