//! Produce validation through the proxy: every kind of invalid record refused with
//! INVALID_RECORD, its batch index, rule and field path, and absent from the log; valid
//! batches forwarded byte for byte in each compression.

use std::time::Duration;

use kafka_protocol::records::Compression;
use serde_json::json;
use warden_core::SchemaType;
use warden_proxy::INVALID_RECORD;
use warden_serde::{
    AvroSerializer, JsonSerializer, ProtobufSerializer, SerializationContext, SerializerConfig,
    UnregisteredSchema,
};

use crate::support::{
    Env, KeyValue, ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, error_message, fetch_all, framed,
    order, produce_raw, proto, read_topic, record_errors,
};

const COMPRESSIONS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

/// Valid Avro, JSON and Protobuf records for `topic` (`n`th order), as the serializers
/// write them.
async fn avro(env: &Env, topic: &str, n: usize) -> Vec<u8> {
    AvroSerializer::new(
        env.client.clone(),
        UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        SerializerConfig::default(),
    )
    .serialize(&SerializationContext::value(topic), &order(n))
    .await
    .expect("a valid order serializes")
}

async fn json_record(env: &Env, topic: &str, value: &serde_json::Value) -> Vec<u8> {
    JsonSerializer::new(
        env.client.clone(),
        UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA),
        SerializerConfig::default(),
    )
    .serialize_value(&SerializationContext::value(topic), value)
    .await
    .expect("a valid order serializes")
}

async fn protobuf(env: &Env, topic: &str, n: usize) -> Vec<u8> {
    ProtobufSerializer::new(
        env.client.clone(),
        UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO),
        SerializerConfig::default(),
    )
    .serialize(&SerializationContext::value(topic), &proto::order(n))
    .await
    .expect("a valid order serializes")
}

/// (topic, valid record, invalid record, rule, path, words of the reason).
type Case<'a> = (&'a str, Vec<u8>, Vec<u8>, &'a str, &'a str, &'a str);

fn value(bytes: Vec<u8>) -> KeyValue {
    (Some(b"k".to_vec()), Some(bytes))
}

#[tokio::test]
async fn each_kind_of_invalid_record_is_refused_with_its_rule_and_path_and_never_reaches_the_log() {
    let env = Env::start().await;
    let (avro_topic, avro_id) = env
        .topic_with("px-avro", SchemaType::Avro, ORDER_AVSC)
        .await;
    let (json_topic, json_id) = env
        .topic_with("px-json", SchemaType::Json, ORDER_JSON_SCHEMA)
        .await;
    let (proto_topic, proto_id) = env
        .topic_with("px-proto", SchemaType::Protobuf, ORDER_PROTO)
        .await;
    assert!(avro_id != json_id && json_id != proto_id);

    let valid_avro = avro(&env, &avro_topic, 1).await;
    let valid_json = json_record(&env, &json_topic, &serde_json::to_value(order(2)).unwrap()).await;
    let valid_proto = protobuf(&env, &proto_topic, 3).await;
    let mut bad_json = serde_json::to_value(order(4)).unwrap();
    bad_json["quantity"] = json!(0);
    let mut wrong_index = vec![0u8];
    wrong_index.extend_from_slice(&proto_id.to_be_bytes());
    // Message indexes [3]: count 1, index 3, zigzag varints; the schema has one top-level
    // message.
    wrong_index.extend_from_slice(&[2, 6]);
    wrong_index.extend_from_slice(&valid_proto[6..]);

    // (topic, valid record, invalid record, rule, path, words of the reason)
    let other_subject =
        format!("schema id {json_id} is not registered under subject {avro_topic}-value");
    let undecodable = format!("does not decode with schema {avro_id}");
    let cases: Vec<Case<'_>> = vec![
        (
            &avro_topic,
            valid_avro.clone(),
            serde_json::to_vec(&order(5)).unwrap(),
            "MAGIC_BYTE",
            "/",
            "not Confluent wire format",
        ),
        (
            &avro_topic,
            valid_avro.clone(),
            framed(99_999, &valid_avro[5..]),
            "UNKNOWN_SCHEMA_ID",
            "/",
            "99999",
        ),
        (
            &avro_topic,
            valid_avro.clone(),
            valid_json.clone(),
            "SCHEMA_NOT_IN_SUBJECT",
            "/",
            &other_subject,
        ),
        (
            &avro_topic,
            valid_avro.clone(),
            framed(avro_id, &[0x02, 0x61]),
            "UNDECODABLE",
            "/",
            &undecodable,
        ),
        (
            &json_topic,
            valid_json.clone(),
            framed(json_id, &serde_json::to_vec(&bad_json).unwrap()),
            "SCHEMA_VIOLATION",
            "/quantity",
            "minimum",
        ),
        (
            &proto_topic,
            valid_proto.clone(),
            wrong_index,
            "UNDECODABLE",
            "/",
            "message indexes [3] name no message",
        ),
    ];
    for (n, (topic, valid, invalid, rule, path, reason)) in cases.iter().enumerate() {
        let compression = COMPRESSIONS[n % COMPRESSIONS.len()];
        let records = [
            value(valid.clone()),
            value(invalid.clone()),
            value(valid.clone()),
        ];
        let answer = produce_raw(&env.proxy, topic, &records, compression).await;
        let what = format!("{rule} ({compression:?})");
        assert_eq!(answer.error_code, INVALID_RECORD, "{what}");
        let errors = record_errors(&answer);
        assert_eq!(errors.len(), 1, "{what}: {errors:?}");
        assert_eq!(
            errors[0].0, 1,
            "{what}: the batch index of the invalid record"
        );
        let expected = format!("record 1: {rule} at {path}: ");
        assert!(
            errors[0].1.starts_with(&expected),
            "{what}: {}",
            errors[0].1
        );
        assert!(errors[0].1.contains(reason), "{what}: {}", errors[0].1);
        let message = error_message(&answer);
        assert!(message.contains(&expected), "{what}: {message}");
    }

    // Valid batches pass in every compression, and only they are in the log, unchanged.
    for (topic, valid) in [
        (&avro_topic, &valid_avro),
        (&json_topic, &valid_json),
        (&proto_topic, &valid_proto),
    ] {
        for compression in COMPRESSIONS {
            let answer = produce_raw(&env.proxy, topic, &[value(valid.clone())], compression).await;
            assert_eq!(answer.error_code, 0, "{topic} {compression:?}: {answer:?}");
        }
        // Read with Fetch and kafka-protocol's codecs: the test's librdkafka has no zstd.
        let log = fetch_all(&env.broker.bootstrap_servers, topic).await;
        assert_eq!(
            log.len(),
            COMPRESSIONS.len(),
            "{topic}: only the valid batches"
        );
        for record in log {
            assert_eq!(record.value.as_ref(), Some(valid), "{topic}: unchanged");
        }
    }
}

#[tokio::test]
async fn a_request_with_one_bad_partition_forwards_the_others_and_topics_without_subject_pass() {
    let env = Env::start().await;
    let (good_topic, _) = env
        .topic_with("px-good", SchemaType::Avro, ORDER_AVSC)
        .await;
    let (bad_topic, _) = env.topic_with("px-bad", SchemaType::Avro, ORDER_AVSC).await;
    let free_topic = crate::support::unique("px-free");
    env.broker.create_topic(&free_topic).await;
    let valid = avro(&env, &good_topic, 7).await;

    let mut client = crate::support::RawClient::connect(&env.proxy).await;
    let request = crate::support::produce_request(&[
        (
            &good_topic,
            crate::support::batch(&[value(valid.clone())], Compression::Lz4),
        ),
        (
            &bad_topic,
            crate::support::batch(&[value(b"plain text".to_vec())], Compression::Zstd),
        ),
        (
            &free_topic,
            crate::support::batch(&[value(b"plain text".to_vec())], Compression::None),
        ),
    ]);
    let response = client.call(&request, 9).await;
    let code = |topic: &str| {
        response
            .responses
            .iter()
            .find(|t| t.name.0.as_str() == topic)
            .map(|t| t.partition_responses[0].error_code)
    };
    assert_eq!(code(&good_topic), Some(0));
    assert_eq!(code(&bad_topic), Some(INVALID_RECORD));
    assert_eq!(
        code(&free_topic),
        Some(0),
        "a topic without a subject is not checked"
    );
    let bootstrap = &env.broker.bootstrap_servers;
    let good = read_topic(bootstrap, &good_topic, 1, Duration::from_secs(1)).await;
    assert_eq!(good.len(), 1);
    assert_eq!(good[0].value.as_ref(), Some(&valid));
    let bad = read_topic(bootstrap, &bad_topic, 0, Duration::from_secs(2)).await;
    assert!(bad.is_empty(), "nothing of the refused partition: {bad:?}");
    let free = read_topic(bootstrap, &free_topic, 1, Duration::from_secs(1)).await;
    assert_eq!(free[0].value.as_deref(), Some(&b"plain text"[..]));
}

/// The writer schema's data-contract `WRITE` conditions run in the proxy: a record written
/// by a producer that runs no rules, which the serializer's rules would have refused, is
/// refused with `RULE_CONDITION`, the rule's name and the field; a condition followed by a
/// transform (which saw the record before the transform rewrote it) is left to producers.
#[tokio::test]
async fn write_conditions_of_the_writer_schema_refuse_records_their_producer_did_not_check() {
    let env = Env::start().await;
    // The same schema without rules under another topic: its encoder writes the payloads.
    let (plain_topic, _) = env
        .topic_with("px-plain", SchemaType::Avro, ORDER_AVSC)
        .await;
    let topic = crate::support::unique("px-rules");
    env.broker.create_topic(&topic).await;
    let rules = json!({"domainRules": [
        {"name": "nameBeforeRewrite", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.customer.name == 'never'"},
        {"name": "rewriteNothing", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["NONE"], "expr": "value"},
        {"name": "fewItems", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.quantity < 5"},
        {"name": "knownEmail", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "value.endsWith('@example.com')"}
    ]});
    let registered = env
        .app
        .register_body(
            &format!("{topic}-value"),
            &json!({"schema": ORDER_AVSC, "ruleSet": rules,
                    "metadata": {"tags": {"acme.Customer.email": ["PII"]}}}),
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text);
    let id = u32::try_from(registered.body["id"].as_i64().unwrap()).unwrap();
    let with_rules = |n: usize| {
        let env = &env;
        let plain_topic = &plain_topic;
        async move { framed(id, &avro(env, plain_topic, n).await[5..]) }
    };

    // Order 1 (quantity 2) passes; order 7 (quantity 8) fails `fewItems`.
    let (passing, refused) = (with_rules(1).await, with_rules(7).await);
    let answer = produce_raw(
        &env.proxy,
        &topic,
        &[value(passing.clone()), value(refused)],
        Compression::None,
    )
    .await;
    assert_eq!(answer.error_code, INVALID_RECORD, "{answer:?}");
    let errors = record_errors(&answer);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, 1);
    assert!(
        errors[0].1.starts_with("record 1: RULE_CONDITION at /: ")
            && errors[0].1.contains("fewItems"),
        "{}",
        errors[0].1
    );

    // A field condition names the field.
    let mut other_email = order(2);
    other_email.customer.email = "b@elsewhere.org".into();
    let payload = AvroSerializer::new(
        env.client.clone(),
        UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        SerializerConfig::default(),
    )
    .serialize(&SerializationContext::value(&plain_topic), &other_email)
    .await
    .unwrap();
    let answer = produce_raw(
        &env.proxy,
        &topic,
        &[value(framed(id, &payload[5..]))],
        Compression::None,
    )
    .await;
    let errors = record_errors(&answer);
    assert_eq!(errors.len(), 1, "{answer:?}");
    assert!(
        errors[0]
            .1
            .starts_with("record 0: RULE_CONDITION at acme.Customer.email: ")
            && errors[0].1.contains("knownEmail"),
        "{}",
        errors[0].1
    );

    // `nameBeforeRewrite` never holds, but it ran before a transform: the proxy leaves it.
    let answer = produce_raw(
        &env.proxy,
        &topic,
        &[value(passing.clone())],
        Compression::None,
    )
    .await;
    assert_eq!(answer.error_code, 0, "{answer:?}");
    let log = fetch_all(&env.broker.bootstrap_servers, &topic).await;
    assert_eq!(log.len(), 1, "only the passing record is in the log");
    assert_eq!(log[0].value.as_ref(), Some(&passing));
}
