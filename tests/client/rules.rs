//! Data-contract rules run by the serializers and deserializers against a spawned registry:
//! `CEL` and `CEL_FIELD` conditions and transforms, `onFailure` ERROR / NONE / DLQ,
//! `disabled` rules, tags from the schema and from metadata, READ rules on the consumer side.

use reqwest::StatusCode;
use serde_json::{Value, json};
use warden_core::SchemaType;
use warden_serde::{
    AvroDeserializer, AvroSerializer, GenericDeserializer, JsonDeserializer, JsonSerializer,
    ProtobufSerializer, RegistryClient, RuleMode, SerdeError, SerializationContext,
    SerializerConfig, UnregisteredSchema,
};
use warden_testkit::{TestApp, spawn_app};

/// An order whose email is tagged PII inline, with an ssn field tagged only by metadata.
const ORDER: &str = r#"{
  "type": "record", "name": "Order", "namespace": "acme",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "amount", "type": "double"},
    {"name": "email", "type": "string", "confluent:tags": ["PII"]},
    {"name": "ssn", "type": ["null", "string"], "default": null},
    {"name": "note", "type": "string"}
  ]
}"#;

pub(crate) fn order(amount: f64, email: &str) -> Value {
    json!({"id": "o-1", "amount": amount, "email": email, "ssn": "123-45-6789", "note": "hi"})
}

fn latest() -> SerializerConfig {
    SerializerConfig {
        use_latest_version: true,
        ..SerializerConfig::default()
    }
}

async fn register(app: &TestApp, subject: &str, schema_type: &str, schema: &str, extra: Value) {
    let mut body = json!({"schema": schema, "schemaType": schema_type});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.register_body(subject, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

pub(crate) async fn avro_writer(
    rule_set: Value,
    metadata: Value,
) -> (TestApp, AvroSerializer, RegistryClient) {
    let app = spawn_app().await;
    let mut extra = json!({"ruleSet": rule_set});
    if !metadata.is_null() {
        extra["metadata"] = metadata;
    }
    register(&app, "orders-value", "AVRO", ORDER, extra).await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ser = AvroSerializer::from_registry(client.clone(), latest());
    (app, ser, client)
}

pub(crate) fn ctx() -> SerializationContext<'static> {
    SerializationContext::value("orders")
}

fn rule_failure(result: Result<Vec<u8>, SerdeError>) -> warden_serde::RuleFailure {
    match result {
        Err(SerdeError::Rule(failure)) => *failure,
        other => panic!("expected a rule failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_cel_condition_passes_refuses_with_error_lets_through_with_none_and_marks_dlq() {
    let rule = |name: &str, on_failure: Option<&str>, disabled: bool| {
        let mut r = json!({"name": name, "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "message.amount > 0.0", "disabled": disabled,
            "params": {"dlq.topic": "orders-dlq"}});
        if let Some(action) = on_failure {
            r["onFailure"] = json!(action);
        }
        r
    };
    // ERROR (the default): a negative amount is refused, naming the rule.
    let (_app, ser, _) = avro_writer(
        json!({"domainRules": [rule("positive", None, false)]}),
        Value::Null,
    )
    .await;
    assert!(
        ser.serialize_json(&ctx(), &order(10.0, "a@example.com"))
            .await
            .is_ok()
    );
    let failure = rule_failure(
        ser.serialize_json(&ctx(), &order(-1.0, "a@example.com"))
            .await,
    );
    assert_eq!(failure.rule, "positive");
    assert_eq!(failure.mode, RuleMode::Write);
    assert_eq!(failure.field, None);
    assert_eq!(failure.message, "Rule expr failed: message.amount > 0.0");
    assert!(!failure.dead_letter);
    assert!(
        SerdeError::Rule(Box::new(failure.clone()))
            .to_string()
            .contains("rule 'positive'"),
    );
    // A typed value goes through the same rules.
    #[derive(serde::Serialize)]
    struct Order<'a> {
        id: &'a str,
        amount: f64,
        email: &'a str,
        ssn: Option<&'a str>,
        note: &'a str,
    }
    let typed = Order {
        id: "o",
        amount: -2.0,
        email: "a@example.com",
        ssn: None,
        note: "",
    };
    rule_failure(ser.serialize(&ctx(), &typed).await);

    // NONE: the record is written anyway.
    let (_app, ser, _) = avro_writer(
        json!({"domainRules": [rule("positive", Some("NONE"), false)]}),
        Value::Null,
    )
    .await;
    assert!(
        ser.serialize_json(&ctx(), &order(-1.0, "a@example.com"))
            .await
            .is_ok()
    );

    // DLQ: refused, marked for the rule's dead-letter topic, carrying the record.
    let (_app, ser, _) = avro_writer(
        json!({"domainRules": [rule("positive", Some("DLQ"), false)]}),
        Value::Null,
    )
    .await;
    let failure = rule_failure(
        ser.serialize_json(&ctx(), &order(-1.0, "a@example.com"))
            .await,
    );
    assert!(failure.dead_letter);
    assert_eq!(failure.dlq_topic.as_deref(), Some("orders-dlq"));
    assert_eq!(failure.record.unwrap()["amount"], json!(-1.0));
    assert_eq!(failure.subject.as_deref(), Some("orders-value"));

    // Disabled: skipped.
    let (_app, ser, _) = avro_writer(
        json!({"domainRules": [rule("positive", None, true)]}),
        Value::Null,
    )
    .await;
    assert!(
        ser.serialize_json(&ctx(), &order(-1.0, "a@example.com"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_cel_field_condition_checks_fields_tagged_inline_and_names_the_field() {
    let rules = json!({"domainRules": [{"name": "email", "kind": "CONDITION", "mode": "WRITE",
        "type": "CEL_FIELD", "tags": ["PII"], "expr": "typeName == 'STRING' ; value.isEmail()"}]});
    let (_app, ser, _) = avro_writer(rules, Value::Null).await;
    assert!(
        ser.serialize_json(&ctx(), &order(1.0, "a@example.com"))
            .await
            .is_ok()
    );
    let failure = rule_failure(
        ser.serialize_json(&ctx(), &order(1.0, "not-an-email"))
            .await,
    );
    assert_eq!(failure.rule, "email");
    assert_eq!(failure.field.as_deref(), Some("acme.Order.email"));
    // Only the tagged field is checked: the untagged note is not an address and passes.
}

/// A record type defined inline in one field (`shipping`) and used by name in others
/// (`billing`, the items of `previous`): every use is a record whose tagged fields the
/// rules visit.
pub(crate) const SHIPMENT: &str = r#"{
  "type": "record", "name": "Shipment", "namespace": "acme",
  "fields": [
    {"name": "shipping", "type": {"type": "record", "name": "Address", "fields": [
      {"name": "street", "type": "string"},
      {"name": "email", "type": "string", "confluent:tags": ["PII"]}]}},
    {"name": "billing", "type": "Address"},
    {"name": "previous", "type": {"type": "array", "items": "acme.Address"}}
  ]
}"#;

#[tokio::test]
async fn a_cel_field_condition_checks_every_use_of_a_named_type_defined_in_the_schema() {
    let app = spawn_app().await;
    let rules = json!({"domainRules": [{"name": "email", "kind": "CONDITION", "mode": "WRITE",
        "type": "CEL_FIELD", "tags": ["PII"], "expr": "value.isEmail()"}]});
    register(
        &app,
        "shipments-value",
        "AVRO",
        SHIPMENT,
        json!({"ruleSet": rules}),
    )
    .await;
    let ser = AvroSerializer::from_registry(RegistryClient::new(&app.address).unwrap(), latest());
    let ctx = SerializationContext::value("shipments");
    let address = |email: &str| json!({"street": "1 Main St", "email": email});
    let shipment = |shipping: &str, billing: &str, previous: &str| {
        json!({"shipping": address(shipping), "billing": address(billing),
               "previous": [address("c@example.com"), address(previous)]})
    };
    let good = "a@example.com";
    assert!(
        ser.serialize_json(&ctx, &shipment(good, good, good))
            .await
            .is_ok()
    );
    for bad in [
        shipment("not-an-email", good, good),
        shipment(good, "not-an-email", good),
        shipment(good, good, "not-an-email"),
    ] {
        let failure = rule_failure(ser.serialize_json(&ctx, &bad).await);
        assert_eq!(
            failure.field.as_deref(),
            Some("acme.Address.email"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_cel_field_rule_finds_fields_by_metadata_tags_and_by_name() {
    // ssn is tagged only in the metadata; the guard picks fields by name.
    let rules = json!({"domainRules": [
        {"name": "ssnShape", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["SECRET"], "expr": "value == null || value.matches('^[0-9]{3}-[0-9]{2}-[0-9]{4}$')"},
        {"name": "noteShort", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "expr": "name == 'note' ; size(value) < 5"}
    ]});
    let metadata = json!({"tags": {"**.ssn": ["SECRET"]}});
    let (_app, ser, _) = avro_writer(rules, metadata).await;
    assert!(
        ser.serialize_json(&ctx(), &order(1.0, "a@example.com"))
            .await
            .is_ok()
    );
    let mut bad = order(1.0, "a@example.com");
    bad["ssn"] = json!("12345");
    let failure = rule_failure(ser.serialize_json(&ctx(), &bad).await);
    assert_eq!(
        (failure.rule.as_str(), failure.field.as_deref()),
        ("ssnShape", Some("acme.Order.ssn"))
    );
    let mut long = order(1.0, "a@example.com");
    long["note"] = json!("far too long");
    let failure = rule_failure(ser.serialize_json(&ctx(), &long).await);
    assert_eq!(failure.field.as_deref(), Some("acme.Order.note"));
}

#[tokio::test]
async fn transforms_rewrite_on_write_and_on_read() {
    let rules = json!({"domainRules": [
        {"name": "mask", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "'***'"},
        {"name": "shout", "kind": "TRANSFORM", "mode": "READ", "type": "CEL_FIELD",
         "expr": "name == 'note' ; value.upperAscii()"},
        {"name": "noId", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL",
         "expr": "message.amount > 100.0 ; {'id': 'big', 'amount': message.amount, 'email': message.email, 'ssn': message.ssn, 'note': message.note}"}
    ]});
    let (_app, ser, client) = avro_writer(rules, Value::Null).await;
    let bytes = ser
        .serialize_json(&ctx(), &order(500.0, "a@example.com"))
        .await
        .unwrap();
    let read = AvroDeserializer::new(client.clone())
        .deserialize_json(&bytes)
        .await
        .unwrap();
    assert_eq!(read["email"], json!("***"), "masked on write");
    assert_eq!(read["note"], json!("HI"), "upper-cased on read");
    assert_eq!(read["id"], json!("big"), "the whole-message transform");
    // The typed Avro value and the generic deserializer see the same read rules.
    let (_, value) = AvroDeserializer::new(client.clone())
        .deserialize_value(&bytes)
        .await
        .unwrap();
    assert_eq!(
        warden_core::avro::datum::value_to_json(&value)["note"],
        json!("HI")
    );
    let decoded = GenericDeserializer::new(client)
        .deserialize(&bytes)
        .await
        .unwrap();
    assert_eq!(decoded.value["note"], json!("HI"));
}

#[tokio::test]
async fn a_read_condition_refuses_a_record_on_the_consumer_side() {
    let rules = json!({"domainRules": [{"name": "notTest", "kind": "CONDITION", "mode": "READ",
        "type": "CEL", "expr": "message.id != 'test'"}]});
    let (_app, ser, client) = avro_writer(rules, Value::Null).await;
    let mut test = order(1.0, "a@example.com");
    test["id"] = json!("test");
    let bytes = ser
        .serialize_json(&ctx(), &test)
        .await
        .expect("a READ rule does not run on write");
    match AvroDeserializer::new(client).deserialize_json(&bytes).await {
        Err(SerdeError::Rule(f)) => {
            assert_eq!((f.rule.as_str(), f.mode), ("notTest", RuleMode::Read))
        }
        other => panic!("expected a rule failure, got {other:?}"),
    }
}

#[tokio::test]
async fn rules_of_an_unknown_type_fail_by_their_on_failure_action() {
    let rules = json!({"domainRules": [{"name": "enc", "type": "CUSTOM_THING", "mode": "WRITE"}]});
    let (_app, ser, _) = avro_writer(rules, Value::Null).await;
    let failure = rule_failure(
        ser.serialize_json(&ctx(), &order(1.0, "a@example.com"))
            .await,
    );
    assert_eq!(
        failure.message,
        "could not find rule executor of type CUSTOM_THING"
    );
    let rules = json!({"domainRules": [{"name": "bad", "type": "CEL", "mode": "WRITE", "kind": "CONDITION", "expr": "message.("}]});
    let (_app, ser, _) = avro_writer(rules, Value::Null).await;
    let failure = rule_failure(
        ser.serialize_json(&ctx(), &order(1.0, "a@example.com"))
            .await,
    );
    assert!(
        failure.message.contains("does not compile"),
        "{}",
        failure.message
    );
}

#[tokio::test]
async fn json_schema_fields_carry_inline_tags_and_full_names_from_the_root() {
    let app = spawn_app().await;
    let schema = json!({
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "customer": {"type": "object", "properties": {
                "email": {"type": "string", "confluent:tags": ["PII"]}}}
        }
    })
    .to_string();
    let rules = json!({"domainRules": [
        {"name": "email", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "value.isEmail()"},
        {"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.amount > 0"}
    ]});
    register(
        &app,
        "orders-value",
        "JSON",
        &schema,
        json!({"ruleSet": rules}),
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ser = JsonSerializer::from_registry(client.clone(), latest());
    let good = json!({"amount": 3, "customer": {"email": "a@example.com"}});
    let bytes = ser.serialize_value(&ctx(), &good).await.unwrap();
    assert_eq!(
        JsonDeserializer::new(client)
            .deserialize_value(&bytes)
            .await
            .unwrap()
            .1,
        good
    );
    let bad = json!({"amount": 3, "customer": {"email": "nope"}});
    let failure = rule_failure(ser.serialize_value(&ctx(), &bad).await);
    assert_eq!(failure.field.as_deref(), Some("$.customer.email"));
    let failure = rule_failure(ser.serialize_value(&ctx(), &json!({"amount": 0})).await);
    assert_eq!(failure.rule, "positive");
}

#[tokio::test]
async fn protobuf_messages_run_cel_conditions() {
    let app = spawn_app().await;
    let proto = "syntax = \"proto3\";\npackage acme;\nmessage Pay { double amount = 1; string email = 2; }\n";
    let rules = json!({"domainRules": [{"name": "positive", "kind": "CONDITION", "mode": "WRITE",
        "type": "CEL", "expr": "message.amount > 0.0"}]});
    register(
        &app,
        "pay-value",
        "PROTOBUF",
        proto,
        json!({"ruleSet": rules}),
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ser = ProtobufSerializer::from_registry(client, latest());
    let ctx = SerializationContext::value("pay");
    assert!(
        ser.serialize_json(&ctx, None, &json!({"amount": 2.5}))
            .await
            .is_ok()
    );
    let failure = rule_failure(
        ser.serialize_json(&ctx, None, &json!({"amount": -1.0}))
            .await,
    );
    assert_eq!(failure.rule, "positive");
    let _ = UnregisteredSchema::new(SchemaType::Protobuf, proto);
}

#[tokio::test]
async fn protobuf_fields_carry_field_meta_tags_and_metadata_tags() {
    let app = spawn_app().await;
    let proto = r#"syntax = "proto3";
package acme;
import "confluent/meta.proto";
message Line { string sku = 1; string note = 2; }
message Pay {
  double amount = 1;
  string email = 2 [(confluent.field_meta) = { tags: "PII" }];
  repeated Line lines = 3;
}
"#;
    let rules = json!({"domainRules": [
        {"name": "email", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "value.isEmail()"},
        {"name": "skuShape", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["SKU"], "expr": "value.startsWith('SKU-')"},
        {"name": "shout", "kind": "TRANSFORM", "mode": "READ", "type": "CEL_FIELD",
         "expr": "name == 'note' ; value.upperAscii()"}
    ]});
    let metadata = json!({"tags": {"acme.Line.sku": ["SKU"]}});
    register(
        &app,
        "pay-value",
        "PROTOBUF",
        proto,
        json!({"ruleSet": rules, "metadata": metadata}),
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ser = ProtobufSerializer::from_registry(client.clone(), latest());
    let ctx = SerializationContext::value("pay");
    let good = json!({"amount": 2.5, "email": "a@example.com", "lines": [{"sku": "SKU-1", "note": "red"}]});
    let bytes = ser
        .serialize_json(&ctx, Some("acme.Pay"), &good)
        .await
        .unwrap();
    let read = warden_serde::ProtobufDeserializer::new(client)
        .deserialize_json(&bytes)
        .await
        .unwrap();
    assert_eq!(
        read["lines"][0]["note"],
        json!("RED"),
        "the READ transform in a nested message"
    );
    let failure = rule_failure(
        ser.serialize_json(
            &ctx,
            Some("acme.Pay"),
            &json!({"amount": 1.0, "email": "nope"}),
        )
        .await,
    );
    assert_eq!(
        (failure.rule.as_str(), failure.field.as_deref()),
        ("email", Some("acme.Pay.email"))
    );
    let bad_sku = json!({"amount": 1.0, "email": "a@example.com", "lines": [{"sku": "X"}]});
    let failure = rule_failure(ser.serialize_json(&ctx, Some("acme.Pay"), &bad_sku).await);
    assert_eq!(
        (failure.rule.as_str(), failure.field.as_deref()),
        ("skuShape", Some("acme.Line.sku"))
    );
}

/// The order of the Python interoperability test: `email` tagged PII inline, `ssn` tagged
/// SECRET by the metadata.
const PY_ORDER: &str = r#"{
  "type": "record", "name": "Order", "namespace": "acme",
  "fields": [
    {"name": "code", "type": "string"},
    {"name": "amount", "type": "double"},
    {"name": "email", "type": "string", "confluent:tags": ["PII"]},
    {"name": "ssn", "type": "string"},
    {"name": "note", "type": "string"}
  ]
}"#;

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_rule_executors_and_wardens_read_each_others_records() {
    use warden_testkit::clients::{clients_dir, python_with_confluent_kafka, run_client_script};

    let python = tokio::task::spawn_blocking(python_with_confluent_kafka)
        .await
        .unwrap();
    let app = spawn_app().await;
    let rules = json!({"domainRules": [
        {"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.amount > 0.0"},
        {"name": "email", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "value.isEmail()"},
        {"name": "stamp", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL_FIELD",
         "expr": "name == 'code' ; value + '-w'"},
        {"name": "bang", "kind": "TRANSFORM", "mode": "READ", "type": "CEL_FIELD",
         "expr": "name == 'note' ; value + '!'"},
        {"name": "ssnShape", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["SECRET"], "expr": "value.matches('^[0-9]{3}-[0-9]{2}-[0-9]{4}$')"}
    ]});
    let metadata = json!({"tags": {"acme.Order.ssn": ["SECRET"]}});
    register(
        &app,
        "pyorders-value",
        "AVRO",
        PY_ORDER,
        json!({"ruleSet": rules, "metadata": metadata}),
    )
    .await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ser = AvroSerializer::from_registry(client.clone(), latest());
    let ctx = SerializationContext::value("pyorders");
    let record = json!({"code": "A1", "amount": 3.0, "email": "a@example.com", "ssn": "123-45-6789", "note": "hi"});
    let ours = ser.serialize_json(&ctx, &record).await.unwrap();
    // Warden refuses what Python refuses.
    let mut bad = record.clone();
    bad["ssn"] = json!("12");
    assert_eq!(
        rule_failure(ser.serialize_json(&ctx, &bad).await).rule,
        "ssnShape"
    );

    let out = tempfile::NamedTempFile::new().unwrap();
    let hex: String = ours.iter().map(|b| format!("{b:02x}")).collect();
    run_client_script(
        python,
        &clients_dir().join("python/rules_interop.py"),
        &[
            app.address.as_str(),
            "pyorders-value",
            hex.as_str(),
            out.path().to_str().unwrap(),
        ],
        "confluent-kafka's rule executors failed on Warden's records",
    )
    .await;
    let theirs_hex = std::fs::read_to_string(out.path()).unwrap();
    let theirs: Vec<u8> = (0..theirs_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&theirs_hex[i..i + 2], 16).unwrap())
        .collect();
    let read = AvroDeserializer::new(client)
        .deserialize_json(&theirs)
        .await
        .unwrap();
    assert_eq!(read["code"], json!("B2-w"), "Python's WRITE transform");
    assert_eq!(
        read["note"],
        json!("py!"),
        "Warden's READ transform on Python's record"
    );
}

const SHOE_V1: &str = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"size","type":"int"}]}"#;
const SHOE_V2: &str = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"height","type":"int"}]}"#;

/// `shoes-value` with v1 `{id, size}` and v2 `{id, height}`, the rename in v2's migration
/// rules both ways, compatibility NONE (the rename breaks it), and a `major` metadata
/// property per version.
async fn shoes(app: &TestApp) -> (i64, i64) {
    let r = app
        .request(
            reqwest::Method::PUT,
            "/config/shoes-value",
            Some(&json!({"compatibility": "NONE"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v1 = app
        .register_body(
            "shoes-value",
            &json!({"schema": SHOE_V1, "metadata": {"properties": {"major": "1"}}}),
        )
        .await;
    let v2 = app
        .register_body(
            "shoes-value",
            &json!({"schema": SHOE_V2, "metadata": {"properties": {"major": "2"}},
            "ruleSet": {"migrationRules": [
                {"name": "sizeToHeight", "type": "JSONATA", "mode": "UPGRADE",
                 "expr": "$merge([{'id': id, 'height': size}])"},
                {"name": "heightToSize", "type": "JSONATA", "mode": "DOWNGRADE",
                 "expr": "$merge([{'id': id, 'size': height}])"}
            ]}}),
        )
        .await;
    assert_eq!(v2.status, StatusCode::OK, "{}", v2.text);
    (
        v1.body["id"].as_i64().unwrap(),
        v2.body["id"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn jsonata_migration_rules_upgrade_and_downgrade_to_the_readers_version() {
    use warden_serde::ReaderVersion;
    let app = spawn_app().await;
    let (v1, v2) = shoes(&app).await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("shoes");
    let writer = |id: i64| {
        AvroSerializer::from_registry(
            client.clone(),
            SerializerConfig {
                use_schema_id: Some(warden_core::SchemaId::new(id).unwrap()),
                ..SerializerConfig::default()
            },
        )
    };
    let old = writer(v1)
        .serialize_json(&ctx, &json!({"id": "s1", "size": 42}))
        .await
        .unwrap();
    let new = writer(v2)
        .serialize_json(&ctx, &json!({"id": "s2", "height": 40}))
        .await
        .unwrap();

    let latest = GenericDeserializer::new(client.clone()).reader_version(ReaderVersion::Latest);
    let up = latest.deserialize_in(&ctx, &old).await.unwrap();
    assert_eq!(
        up.value,
        json!({"id": "s1", "height": 42}),
        "upgraded to v2"
    );
    assert_eq!(i64::from(up.schema_id.get()), v2);
    let same = latest.deserialize_in(&ctx, &new).await.unwrap();
    assert_eq!(same.value, json!({"id": "s2", "height": 40}));

    let v1_reader = GenericDeserializer::new(client.clone()).reader_version(
        ReaderVersion::LatestWithMetadata(vec![("major".into(), "1".into())]),
    );
    let down = v1_reader.deserialize_in(&ctx, &new).await.unwrap();
    assert_eq!(
        down.value,
        json!({"id": "s2", "size": 40}),
        "downgraded to v1"
    );

    // Without a reader version, records read as written.
    let plain = GenericDeserializer::new(client)
        .deserialize(&old)
        .await
        .unwrap();
    assert_eq!(plain.value, json!({"id": "s1", "size": 42}));
}

/// Runs `script` (a Confluent client's JSONata migrations, see
/// `tests/clients/python/rules_migration.py`) with `program` on Warden's version-1 shoe, and
/// reads the version-2 shoe it wrote as version 1: `(id, size)` after the downgrade.
async fn jsonata_round_trip(
    program: std::path::PathBuf,
    script: &str,
    what: &str,
    (id, size): (&str, i32),
) {
    use warden_serde::ReaderVersion;
    use warden_testkit::clients::{clients_dir, run_client_script};

    let app = spawn_app().await;
    let (v1, _) = shoes(&app).await;
    let client = RegistryClient::new(&app.address).unwrap();
    let ctx = SerializationContext::value("shoes");
    let ours = AvroSerializer::from_registry(
        client.clone(),
        SerializerConfig {
            use_schema_id: Some(warden_core::SchemaId::new(v1).unwrap()),
            ..SerializerConfig::default()
        },
    )
    .serialize_json(&ctx, &json!({"id": "w1", "size": 41}))
    .await
    .unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    let hex: String = ours.iter().map(|b| format!("{b:02x}")).collect();
    run_client_script(
        program,
        &clients_dir().join(script),
        &[
            app.address.as_str(),
            hex.as_str(),
            out.path().to_str().unwrap(),
        ],
        what,
    )
    .await;
    let theirs_hex = std::fs::read_to_string(out.path()).unwrap();
    let theirs: Vec<u8> = (0..theirs_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&theirs_hex[i..i + 2], 16).unwrap())
        .collect();
    let v1_reader = GenericDeserializer::new(client.clone()).reader_version(
        ReaderVersion::LatestWithMetadata(vec![("major".into(), "1".into())]),
    );
    let read = v1_reader.deserialize_in(&ctx, &theirs).await.unwrap();
    assert_eq!(
        read.value,
        json!({"id": id, "size": size}),
        "{script}'s v2 record downgraded"
    );
    // And into a Rust consumer's own struct, by the typed Avro deserializer.
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct ShoeV1 {
        id: String,
        size: i32,
    }
    let typed: ShoeV1 = AvroDeserializer::new(client)
        .reader_version(ReaderVersion::LatestWithMetadata(vec![(
            "major".into(),
            "1".into(),
        )]))
        .deserialize_in(&ctx, &theirs)
        .await
        .unwrap();
    assert_eq!(
        typed,
        ShoeV1 {
            id: id.into(),
            size
        },
        "{script}'s v2 record downgraded into a struct"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_jsonata_migrations_and_wardens_read_each_others_versions() {
    let python = tokio::task::spawn_blocking(warden_testkit::clients::python_with_confluent_kafka)
        .await
        .unwrap();
    jsonata_round_trip(
        python,
        "python/rules_migration.py",
        "confluent-kafka's JSONata migrations failed on Warden's records",
        ("p2", 38),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_node_jsonata_migrations_and_wardens_read_each_others_versions() {
    let node = tokio::task::spawn_blocking(warden_testkit::clients::node_with_confluent_clients)
        .await
        .unwrap();
    jsonata_round_trip(
        node,
        "node/rules_migration.js",
        "@confluentinc/schemaregistry's JSONata migrations failed on Warden's records",
        ("n2", 37),
    )
    .await;
}

/// The same rules as the Python test, with `schema-registry-client`'s CEL executors
/// (`rules-cel`) on the other side.
#[tokio::test]
async fn schema_registry_clients_rule_executors_and_wardens_read_each_others_records() {
    use apache_avro_021::types::Value as TheirValue;
    use schema_registry_client::rules::cel::cel_executor::CelExecutor;
    use schema_registry_client::rules::cel::cel_field_executor::CelFieldExecutor;
    use schema_registry_client::serdes::avro::{
        AvroDeserializer as TheirDeserializer, AvroSerializer as TheirSerializer,
    };
    use schema_registry_client::serdes::config::{
        DeserializerConfig, SchemaSelector, SerializerConfig as TheirConfig,
    };
    use schema_registry_client::serdes::serde::{SerdeFormat, SubjectNameStrategyType};

    CelExecutor::register();
    CelFieldExecutor::register();
    let app = spawn_app().await;
    let rules = json!({"domainRules": [
        {"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.amount > 0.0"},
        {"name": "stamp", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL_FIELD",
         "expr": "name == 'code' ; value + '-w'"},
        {"name": "bang", "kind": "TRANSFORM", "mode": "READ", "type": "CEL_FIELD",
         "expr": "name == 'note' ; value + '!'"},
        {"name": "email", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "value.isEmail()"}
    ]});
    let metadata = json!({"tags": {"acme.Order.ssn": ["SECRET"]}});
    register(
        &app,
        "rsorders-value",
        "AVRO",
        PY_ORDER,
        json!({"ruleSet": rules, "metadata": metadata}),
    )
    .await;

    // Warden writes; the crate reads with its READ transform.
    let ours = AvroSerializer::from_registry(RegistryClient::new(&app.address).unwrap(), latest())
        .serialize_json(
            &SerializationContext::value("rsorders"),
            &json!({"code": "A1", "amount": 3.0, "email": "a@example.com", "ssn": "123-45-6789", "note": "hi"}),
        )
        .await
        .unwrap();
    let theirs_client = crate::confluent::new_client(&app.address);
    let context = crate::confluent::value_context("rsorders", SerdeFormat::Avro);
    let reader = TheirDeserializer::new(
        &theirs_client,
        None,
        DeserializerConfig {
            subject_name_strategy_type: SubjectNameStrategyType::Topic,
            ..DeserializerConfig::default()
        },
    )
    .unwrap();
    let read = reader.deserialize(&context, &ours).await.unwrap();
    let TheirValue::Record(fields) = read.value else {
        panic!("a record, got {:?}", read.value)
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        field("code"),
        Some(TheirValue::String("A1-w".into())),
        "Warden's WRITE transform"
    );
    assert_eq!(
        field("note"),
        Some(TheirValue::String("hi!".into())),
        "the crate's READ transform"
    );

    // The crate writes (its WRITE rules run); Warden reads with its READ transform.
    let writer = TheirSerializer::new(
        &theirs_client,
        None,
        None,
        TheirConfig {
            auto_register_schemas: false,
            use_schema: Some(SchemaSelector::LatestVersion),
            subject_name_strategy_type: SubjectNameStrategyType::Topic,
            ..TheirConfig::default()
        },
    )
    .unwrap();
    let record = |email: &str| {
        TheirValue::Record(vec![
            ("code".into(), TheirValue::String("B2".into())),
            ("amount".into(), TheirValue::Double(7.5)),
            ("email".into(), TheirValue::String(email.into())),
            ("ssn".into(), TheirValue::String("123-45-6789".into())),
            ("note".into(), TheirValue::String("rs".into())),
        ])
    };
    let bytes = writer
        .serialize(&context, record("b@example.com"))
        .await
        .unwrap();
    // (0.4.2 takes a metadata tag's pattern for its tags, so only inline tags are compared.)
    assert!(
        writer
            .serialize(&context, record("not-an-email"))
            .await
            .is_err(),
        "the crate refuses what Warden refuses (the inline-tagged field)"
    );
    let read = AvroDeserializer::new(RegistryClient::new(&app.address).unwrap())
        .deserialize_json(&bytes)
        .await
        .unwrap();
    assert_eq!(read["code"], json!("B2-w"), "the crate's WRITE transform");
    assert_eq!(read["note"], json!("rs!"), "Warden's READ transform");
}
