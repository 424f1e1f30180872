//! `schema-registry-client` 0.4.2's serdes (the Rust client written by Confluent's schema
//! registry lead) producing to and consuming from a real broker through Warden, per format:
//! with auto-registration, and with `use.latest.version` and auto-registration off, the
//! subject's two versions registered beforehand by another application.
//!
//! Its deserializers read with the writer's schema, and for JSON and Protobuf also with the
//! latest version as the reader schema. Not for Avro: with a reader schema the crate converts
//! the record through JSON using the top-level record as the template for every nested value
//! (`to_avro_value` in its `serdes/avro.rs`), so a nested record fails with "missing field"
//! and a `double` panics, whatever the registry.

use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use schema_registry_client::rest::schema_registry_client::Client as _;
use schema_registry_client::serdes::avro::{AvroDeserializer, AvroSerializer};
use schema_registry_client::serdes::config::{
    DeserializerConfig, SchemaSelector, SerializerConfig,
};
use schema_registry_client::serdes::json::{JsonDeserializer, JsonSerializer};
use schema_registry_client::serdes::protobuf::{ProtobufDeserializer, ProtobufSerializer};
use schema_registry_client::serdes::serde::SerdeFormat;
use warden_testkit::kafka::Broker;
use warden_testkit::spawn_app;

use crate::confluent::{
    Encoded, descriptor, dynamic_order, dynamic_order_of, new_client, order_from_avro, schema,
    value_context,
};
use crate::support::{
    ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, Order, order, producer_config, proto, read_raw,
    unique,
};

const RECORDS: usize = 50;

/// Auto-registration on, the crate's default.
fn auto_register() -> SerializerConfig {
    SerializerConfig::default()
}

/// `use.latest.version` with auto-registration off.
fn use_latest() -> SerializerConfig {
    SerializerConfig {
        auto_register_schemas: false,
        use_schema: Some(SchemaSelector::LatestVersion),
        ..SerializerConfig::default()
    }
}

/// Reading with the subject's latest version as the reader schema.
fn read_latest() -> DeserializerConfig {
    DeserializerConfig {
        use_schema: Some(SchemaSelector::LatestVersion),
        ..DeserializerConfig::default()
    }
}

/// A broker (started off the async runtime: it waits for the port) and a new topic on it.
async fn broker() -> Broker {
    tokio::task::spawn_blocking(Broker::start)
        .await
        .expect("the broker starts")
}

async fn new_topic(broker: &Broker, prefix: &str) -> String {
    let topic = unique(prefix);
    broker.create_topic(&topic).await;
    topic
}

/// Produces every payload with rdkafka's `FutureProducer`, then reads the topic back with a
/// plain `StreamConsumer` and returns the payloads it found, in order.
async fn through_the_broker(broker: &Broker, topic: &str, payloads: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let producer: FutureProducer = producer_config(broker).create().expect("producer");
    for (n, payload) in payloads.iter().enumerate() {
        let key = format!("k{n}");
        producer
            .send(
                FutureRecord::to(topic).key(&key).payload(payload),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("the broker acknowledges");
    }
    let received = read_raw(broker, topic, payloads.len(), Duration::from_secs(1)).await;
    let received: Vec<Vec<u8>> = received.into_iter().map(|r| r.payload).collect();
    assert_eq!(
        received, payloads,
        "the topic holds the records as produced"
    );
    received
}

/// The schema id in each Confluent-framed payload (magic byte 0, big-endian id).
fn framed_ids(payloads: &[Vec<u8>]) -> Vec<i32> {
    payloads
        .iter()
        .map(|p| {
            assert_eq!(p[0], 0, "magic byte");
            i32::from_be_bytes(p[1..5].try_into().unwrap())
        })
        .collect()
}

/// Registers `text` under `subject` with a new client, as another application would.
async fn register(address: &str, subject: &str, schema_type: Option<&str>, text: &str) -> i32 {
    new_client(address)
        .register_schema(subject, &schema(schema_type, text), false)
        .await
        .unwrap_or_else(|e| panic!("{subject} registers: {e:?}"))
        .id
        .expect("an id")
}

/// The subject's latest version and id, read with a new client.
async fn latest(address: &str, subject: &str) -> (Option<i32>, Option<i32>) {
    let latest = new_client(address)
        .get_latest_version(subject, None)
        .await
        .unwrap_or_else(|e| panic!("{subject} has a latest version: {e:?}"));
    (latest.version, latest.id)
}

fn orders() -> Vec<Order> {
    (0..RECORDS).map(order).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn confluent_rust_avro_serdes_round_trip_through_a_broker() {
    let broker = broker().await;
    let app = spawn_app().await;
    let address = app.address.as_str();
    let order_schema = schema(None, ORDER_AVSC);
    // Version 2 differs by its doc only: another schema (and id) with the same encoding.
    let v2_text = ORDER_AVSC.replacen(
        r#""namespace": "acme","#,
        r#""namespace": "acme", "doc": "version 2","#,
        1,
    );

    for (mode, serializer_config, deserializer_config) in [
        ("auto", auto_register(), DeserializerConfig::default()),
        ("latest", use_latest(), DeserializerConfig::default()),
    ] {
        let topic = new_topic(&broker, &format!("rs-avro-{mode}")).await;
        let subject = format!("{topic}-value");
        let expected_id = if mode == "latest" {
            let v1 = register(address, &subject, None, ORDER_AVSC).await;
            let v2 = register(address, &subject, None, &v2_text).await;
            assert_ne!(v1, v2, "version 2 is another schema");
            v2
        } else {
            0
        };
        let client = new_client(address);
        let serializer =
            AvroSerializer::new(&client, Some(&order_schema), None, serializer_config).unwrap();
        let context = value_context(&topic, SerdeFormat::Avro);
        let mut payloads = Vec::new();
        for value in orders() {
            payloads.push(serializer.serialize_ser(&context, value).await.unwrap());
        }
        let received = through_the_broker(&broker, &topic, &payloads).await;

        let (version, id) = latest(address, &subject).await;
        if mode == "auto" {
            assert_eq!(
                version,
                Some(1),
                "{mode}: the serializer registered version 1"
            );
        } else {
            assert_eq!((version, id), (Some(2), Some(expected_id)), "{mode}");
        }
        assert!(
            framed_ids(&received).iter().all(|i| Some(*i) == id),
            "{mode}: every record carries the latest id {id:?}"
        );
        let reader = new_client(address);
        let deserializer = AvroDeserializer::new(&reader, None, deserializer_config).unwrap();
        let mut back = Vec::new();
        for payload in &received {
            let decoded = deserializer.deserialize(&context, payload).await.unwrap();
            back.push(order_from_avro(&decoded.value));
        }
        assert_eq!(back, orders(), "{mode}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn confluent_rust_json_serdes_round_trip_through_a_broker() {
    let broker = broker().await;
    let app = spawn_app().await;
    let address = app.address.as_str();
    let order_schema = schema(Some("JSON"), ORDER_JSON_SCHEMA);
    let v2_text = ORDER_JSON_SCHEMA.replacen(
        r#""title": "acme.Order","#,
        r#""title": "acme.Order", "description": "version 2","#,
        1,
    );

    for (mode, serializer_config, deserializer_config) in [
        ("auto", auto_register(), DeserializerConfig::default()),
        ("latest", use_latest(), read_latest()),
    ] {
        let topic = new_topic(&broker, &format!("rs-json-{mode}")).await;
        let subject = format!("{topic}-value");
        let expected_id = if mode == "latest" {
            let v1 = register(address, &subject, Some("JSON"), ORDER_JSON_SCHEMA).await;
            let v2 = register(address, &subject, Some("JSON"), &v2_text).await;
            assert_ne!(v1, v2, "version 2 is another schema");
            v2
        } else {
            0
        };
        let client = new_client(address);
        let serializer = JsonSerializer::new(
            &client,
            Some(&order_schema),
            None,
            SerializerConfig {
                validate: true,
                ..serializer_config
            },
        )
        .unwrap();
        let context = value_context(&topic, SerdeFormat::Json);
        let mut payloads = Vec::new();
        for value in orders() {
            let value = serde_json::to_value(value).unwrap();
            payloads.push(serializer.serialize(&context, value).await.unwrap());
        }
        let received = through_the_broker(&broker, &topic, &payloads).await;

        let (version, id) = latest(address, &subject).await;
        if mode == "auto" {
            assert_eq!(
                version,
                Some(1),
                "{mode}: the serializer registered version 1"
            );
        } else {
            assert_eq!((version, id), (Some(2), Some(expected_id)), "{mode}");
        }
        assert!(
            framed_ids(&received).iter().all(|i| Some(*i) == id),
            "{mode}: every record carries the latest id {id:?}"
        );
        let reader = new_client(address);
        let deserializer = JsonDeserializer::new(
            &reader,
            None,
            DeserializerConfig {
                validate: true,
                ..deserializer_config
            },
        )
        .unwrap();
        let mut back = Vec::new();
        for payload in &received {
            let decoded = deserializer.deserialize(&context, payload).await.unwrap();
            back.push(serde_json::from_value::<Order>(decoded).unwrap());
        }
        assert_eq!(back, orders(), "{mode}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn confluent_rust_protobuf_serdes_round_trip_through_a_broker() {
    let broker = broker().await;
    let app = spawn_app().await;
    let address = app.address.as_str();
    // Version 2 adds a field, which old readers skip.
    let v2_text = ORDER_PROTO.replacen(
        "  string note = 10;\n",
        "  string note = 10;\n  string channel = 11;\n",
        1,
    );
    assert_ne!(v2_text, ORDER_PROTO);

    for (mode, serializer_config, deserializer_config) in [
        ("auto", auto_register(), DeserializerConfig::default()),
        ("latest", use_latest(), read_latest()),
    ] {
        let topic = new_topic(&broker, &format!("rs-proto-{mode}")).await;
        let subject = format!("{topic}-value");
        let expected_id = if mode == "latest" {
            // Version 1 as `.proto` text; version 2 as the crate registers it, its file
            // descriptor in base64. The crate's reader looks the writer's schema up by its
            // serialized form, which matches a version registered that way only: for one
            // registered as text, Confluent's lookup compares printed texts, and the text
            // printed from a descriptor has fully qualified type names, so it answers
            // 40403 as Warden does.
            let v1 = register(address, &subject, Some("PROTOBUF"), ORDER_PROTO).await;
            let registrar = new_client(address);
            let v2 = descriptor(&v2_text, "acme.Order");
            ProtobufSerializer::new(&registrar, None, auto_register())
                .unwrap()
                .serialize(
                    &value_context(&topic, SerdeFormat::Protobuf),
                    &dynamic_order_of(v2, 0),
                )
                .await
                .expect("the crate registers version 2");
            let (version, v2) = latest(address, &subject).await;
            assert_eq!(version, Some(2));
            assert_ne!(Some(v1), v2, "version 2 is another schema");
            v2.unwrap()
        } else {
            0
        };
        let client = new_client(address);
        let serializer = ProtobufSerializer::new(&client, None, serializer_config).unwrap();
        let context = value_context(&topic, SerdeFormat::Protobuf);
        let mut payloads = Vec::new();
        for n in 0..RECORDS {
            payloads.push(
                serializer
                    .serialize(&context, &dynamic_order(n))
                    .await
                    .unwrap(),
            );
        }
        let received = through_the_broker(&broker, &topic, &payloads).await;

        let (version, id) = latest(address, &subject).await;
        if mode == "auto" {
            assert_eq!(
                version,
                Some(1),
                "{mode}: the serializer registered version 1"
            );
        } else {
            assert_eq!((version, id), (Some(2), Some(expected_id)), "{mode}");
        }
        assert!(
            framed_ids(&received).iter().all(|i| Some(*i) == id),
            "{mode}: every record carries the latest id {id:?}"
        );
        assert!(
            received.iter().all(|p| p[5] == 0),
            "{mode}: message index [0] written as a single 0"
        );
        let reader = new_client(address);
        let deserializer = ProtobufDeserializer::new(&reader, None, deserializer_config).unwrap();
        let mut back = Vec::new();
        for payload in &received {
            let decoded: Encoded = deserializer.deserialize(&context, payload).await.unwrap();
            back.push(decoded.decode::<proto::Order>());
        }
        let expected: Vec<proto::Order> = (0..RECORDS).map(proto::order).collect();
        assert_eq!(back, expected, "{mode}");
    }
}
