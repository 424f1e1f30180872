//! Per format: 1,000 valid records through the producer and back through the consumer, and a
//! batch with invalid records of which only the valid ones reach the topic.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use warden_core::SchemaType;
use warden_kafka::{Consumer, ProduceError, Producer, UndecodablePolicy};
use warden_serde::{
    AvroDeserializer, AvroSerializer, AvroValues, JsonDeserializer, JsonSerializer, JsonValues,
    ProtobufDeserializer, ProtobufJson, ProtobufSerializer, ProtobufValues, RawSerializer,
    RegistryClient, SerdeError, SerializerConfig, UnregisteredSchema, ValueDeserializer,
    ValueSerializer,
};
use warden_testkit::kafka::Broker;
use warden_testkit::spawn_app;

use crate::support::{
    ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, Order, consumer_config, order, producer_config,
    proto, read_raw, subject, unique,
};

const RECORDS: usize = 1_000;

/// A new topic with `schema` registered under `<topic>-value`.
async fn new_topic(
    broker: &Broker,
    client: &RegistryClient,
    prefix: &str,
    schema: &UnregisteredSchema,
) -> String {
    let topic = unique(prefix);
    broker.create_topic(&topic).await;
    client
        .register(&subject(&format!("{topic}-value")), schema)
        .await
        .expect("the schema registers");
    topic
}

/// Enqueues every value (many in flight), then waits for every acknowledgement.
async fn send_all<VS, V>(producer: &Producer<RawSerializer, VS>, topic: &str, values: &[V])
where
    VS: ValueSerializer<V>,
{
    let mut deliveries = Vec::with_capacity(values.len());
    for (n, value) in values.iter().enumerate() {
        let key = format!("k{n}");
        let delivery = producer.send(topic, Some(key.as_str()), value).await;
        deliveries.push(delivery.expect("a valid record is enqueued"));
    }
    for delivered in join_all(deliveries).await {
        delivered.expect("the broker acknowledges");
    }
}

/// Reads `n` records through a schema-aware consumer.
async fn consume<D: ValueDeserializer>(
    broker: &Broker,
    topic: &str,
    values: D,
    n: usize,
) -> Vec<D::Output> {
    let consumer =
        Consumer::new(&consumer_config(broker), values, UndecodablePolicy::Fail).expect("consumer");
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let record = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .expect("records arrive within a minute")
            .expect("every record decodes");
        out.push(record.value.expect("not a tombstone"));
    }
    out
}

/// Sends 20 valid records, each followed by an invalid one from `bad` (in turn), asserts
/// that every invalid one is refused with its field path and reason before sending, and that
/// a plain consumer (no deserializer) finds only the valid ones on the topic.
async fn refuse_invalid<VS, V, B>(
    broker: &Broker,
    producer: &Producer<RawSerializer, VS>,
    topic: &str,
    valid: impl Fn(usize) -> V,
    bad: &[(B, &str, &str)],
) -> Vec<Vec<u8>>
where
    VS: ValueSerializer<V> + ValueSerializer<B>,
{
    for n in 0..20 {
        producer
            .send_and_wait(topic, None::<&str>, &valid(n))
            .await
            .expect("a valid record is delivered");
        let (value, path, reason) = &bad[n % bad.len()];
        let error = producer
            .send(topic, None::<&str>, value)
            .await
            .expect_err("an invalid record is refused");
        match error.serde_error() {
            Some(SerdeError::Invalid { path: at, .. }) => assert_eq!(at, path, "{error}"),
            other => panic!("expected an invalid-value error, got {other:?} ({error})"),
        }
        assert!(error.to_string().contains(reason), "{error}");
    }
    let raw = read_raw(broker, topic, 20, Duration::from_secs(2)).await;
    assert_eq!(raw.len(), 20, "only the valid records reached the topic");
    raw.into_iter().map(|r| r.payload).collect()
}

fn order_json(n: usize, change: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
    let mut value = serde_json::to_value(order(n)).unwrap();
    change(&mut value);
    value
}

fn producer<VS>(broker: &Broker, values: VS) -> Producer<RawSerializer, VS> {
    Producer::new(&producer_config(broker), RawSerializer, values).expect("producer")
}

#[tokio::test]
async fn avro_records_round_trip_and_invalid_ones_never_reach_the_topic() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC);
    let topic = new_topic(&broker, &client, "avro-orders", &schema).await;
    let mixed = new_topic(&broker, &client, "avro-mixed", &schema).await;
    let producer = producer(
        &broker,
        AvroSerializer::new(client.clone(), schema, SerializerConfig::default()),
    );

    let sent: Vec<Order> = (0..RECORDS).map(order).collect();
    send_all(&producer, &topic, &sent).await;
    let values = AvroValues::new(AvroDeserializer::new(client.clone()));
    let received: Vec<Order> = consume(&broker, &topic, values, RECORDS).await;
    assert_eq!(received, sent);

    let bad = [
        (
            order_json(1, |v| v["customer"]["email"] = json!(null)),
            "/customer/email",
            "expected string, got null",
        ),
        (
            order_json(2, |v| v["status"] = json!("LOST")),
            "/status",
            "\"LOST\" is not a symbol of acme.Status",
        ),
        (
            order_json(3, |v| {
                v.as_object_mut().unwrap().remove("amount");
            }),
            "/amount",
            "missing required field \"amount\"",
        ),
    ];
    let written = refuse_invalid(&broker, &producer, &mixed, order, &bad).await;
    let reader = AvroDeserializer::new(client);
    for bytes in written {
        reader.deserialize_value(&bytes).await.expect("valid Avro");
    }
}

#[tokio::test]
async fn json_records_round_trip_and_invalid_ones_never_reach_the_topic() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA);
    let topic = new_topic(&broker, &client, "json-orders", &schema).await;
    let mixed = new_topic(&broker, &client, "json-mixed", &schema).await;
    let producer = producer(
        &broker,
        JsonSerializer::new(client.clone(), schema, SerializerConfig::default()),
    );

    let sent: Vec<Order> = (0..RECORDS).map(order).collect();
    send_all(&producer, &topic, &sent).await;
    let values = JsonValues::new(JsonDeserializer::new(client.clone()));
    let received: Vec<Order> = consume(&broker, &topic, values, RECORDS).await;
    assert_eq!(received, sent);

    let bad = [
        (
            order_json(1, |v| v["quantity"] = json!(0)),
            "/quantity",
            "minimum",
        ),
        (
            order_json(2, |v| v["customer"]["email"] = json!(null)),
            "/customer/email",
            "\"string\"",
        ),
    ];
    refuse_invalid(&broker, &producer, &mixed, order, &bad).await;
}

#[tokio::test]
async fn protobuf_records_round_trip_and_invalid_ones_never_reach_the_topic() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO);
    let topic = new_topic(&broker, &client, "proto-orders", &schema).await;
    let mixed = new_topic(&broker, &client, "proto-mixed", &schema).await;
    let producer = producer(
        &broker,
        ProtobufSerializer::new(client.clone(), schema, SerializerConfig::default()),
    );

    let sent: Vec<proto::Order> = (0..RECORDS).map(proto::order).collect();
    send_all(&producer, &topic, &sent).await;
    let values = ProtobufValues::new(ProtobufDeserializer::new(client.clone()));
    let received: Vec<proto::Order> = consume(&broker, &topic, values, RECORDS).await;
    assert_eq!(received, sent);

    let wrong_type = json!({"id": "x", "quantity": "many"});
    let unknown_field = json!({"id": "x", "customer": {"email": "a@b", "phone": "1"}});
    let bad = [
        (ProtobufJson(&wrong_type), "/quantity", "quantity"),
        (ProtobufJson(&unknown_field), "/customer/phone", "phone"),
    ];
    refuse_invalid(&broker, &producer, &mixed, proto::order, &bad).await;

    // A message type the subject's schema does not define is refused too.
    let other = producer
        .send(&mixed, None::<&str>, &proto::Refund { id: "r".into() })
        .await
        .expect_err("acme.Refund is not in the schema");
    assert!(
        matches!(other, ProduceError::Serialize { .. }),
        "refused before sending: {other}"
    );
    assert!(
        other.to_string().contains("no message acme.Refund"),
        "{other}"
    );
}

#[tokio::test]
async fn keys_with_a_schema_are_written_and_decoded_by_their_schema_id() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let value_schema = UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC);
    let topic = new_topic(&broker, &client, "keyed-orders", &value_schema).await;
    let key_schema = UnregisteredSchema::new(SchemaType::Avro, r#""string""#);
    let key_id = client
        .register(&subject(&format!("{topic}-key")), &key_schema)
        .await
        .unwrap();
    let producer = Producer::new(
        &producer_config(&broker),
        AvroSerializer::new(client.clone(), key_schema, SerializerConfig::default()),
        AvroSerializer::new(client.clone(), value_schema, SerializerConfig::default()),
    )
    .unwrap();
    producer
        .send_and_wait(&topic, Some("customer-7"), &order(7))
        .await
        .unwrap();
    // A key that is not a string is refused like a value would be.
    let error = producer
        .send(&topic, Some(&7), &order(8))
        .await
        .expect_err("the key schema is a string");
    assert!(error.to_string().starts_with("key refused"), "{error}");
    // A record whose key has no schema: undecodable when keys are decoded.
    let raw: rdkafka::producer::FutureProducer = producer_config(&broker).create().unwrap();
    let value = producer
        .values()
        .serialize(
            &warden_serde::SerializationContext::value(&topic),
            &order(9),
        )
        .await
        .unwrap();
    raw.send(
        rdkafka::producer::FutureRecord::to(&topic)
            .key("plain")
            .payload(&value),
        Duration::from_secs(30),
    )
    .await
    .unwrap();

    let consumer = Consumer::new(
        &consumer_config(&broker),
        AvroValues::<Order>::new(AvroDeserializer::new(client.clone())),
        UndecodablePolicy::Fail,
    )
    .unwrap()
    .decode_keys(warden_serde::GenericDeserializer::new(client));
    consumer.subscribe(&[&topic]).unwrap();
    let first = consumer.recv().await.unwrap();
    let key = first.decoded_key.expect("the key is decoded");
    assert_eq!((key.schema_id, key.value), (key_id, json!("customer-7")));
    assert_eq!(first.value, Some(order(7)));
    match consumer.recv().await {
        Err(warden_kafka::ConsumeError::Undecodable { source, .. }) => {
            assert!(
                matches!(source, SerdeError::UnknownMagicByte(b'p')),
                "{source}"
            );
        }
        other => panic!("expected an undecodable key, got {other:?}"),
    }
}
