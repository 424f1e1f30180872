//! Per format: 1,000 valid records through the producer and back through the consumer, and a
//! batch with invalid records of which only the valid ones reach the topic.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use warden_core::SchemaType;
use warden_kafka::{
    AvroValues, Consumer, JsonValues, ProduceError, Producer, ProtobufJson, ProtobufValues,
    RawSerializer, UndecodablePolicy, ValueDeserializer,
};
use warden_serde::{
    AvroDeserializer, AvroSerializer, JsonDeserializer, JsonSerializer, ProtobufDeserializer,
    ProtobufSerializer, RegistryClient, SerdeError, SerializerConfig, UnregisteredSchema,
};
use warden_testkit::kafka::Broker;
use warden_testkit::spawn_app;

use crate::support::{
    ORDER_AVSC, ORDER_JSON_SCHEMA, ORDER_PROTO, Order, consumer_config, create_topic, order,
    producer_config, proto, read_raw, unique,
};

const RECORDS: usize = 1_000;

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

/// Registers `schema` under `<topic>-value` and returns a client.
async fn registered(address: &str, topic: &str, schema: &UnregisteredSchema) -> RegistryClient {
    let client = RegistryClient::new(address).unwrap();
    client
        .register(&format!("{topic}-value"), schema)
        .await
        .expect("the schema registers");
    client
}

fn refused_path(error: &ProduceError) -> String {
    match error.serde_error() {
        Some(SerdeError::Invalid { path, .. }) => path.clone(),
        other => panic!("expected an invalid-value error, got {other:?} ({error})"),
    }
}

#[tokio::test]
async fn avro_records_round_trip_and_invalid_ones_never_reach_the_topic() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = unique("avro-orders");
    create_topic(&broker, &topic).await;
    let schema = UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC);
    let client = registered(&app.address, &topic, &schema).await;
    let serializer = AvroSerializer::new(client.clone(), schema, SerializerConfig::default());
    let producer = Producer::new(&producer_config(&broker), RawSerializer, serializer).unwrap();

    let sent: Vec<_> = (0..RECORDS).map(order).collect();
    let mut deliveries = Vec::new();
    for (n, value) in sent.iter().enumerate() {
        let key = format!("k{n}");
        deliveries.push(
            producer
                .send(&topic, Some(key.as_str()), value)
                .await
                .unwrap(),
        );
    }
    for delivered in join_all(deliveries).await {
        delivered.expect("the broker acknowledges");
    }
    let received: Vec<Order> = consume(
        &broker,
        &topic,
        AvroValues::new(AvroDeserializer::new(client.clone())),
        RECORDS,
    )
    .await;
    assert_eq!(received, sent);

    // A batch with invalid values: each is refused with its field path before sending.
    let mixed = unique("avro-mixed");
    create_topic(&broker, &mixed).await;
    client
        .register(
            &format!("{mixed}-value"),
            &UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        )
        .await
        .unwrap();
    let mut invalid = serde_json::to_value(order(1)).unwrap();
    invalid["customer"]["email"] = json!(null);
    let mut wrong_enum = serde_json::to_value(order(2)).unwrap();
    wrong_enum["status"] = json!("LOST");
    let mut missing = serde_json::to_value(order(3)).unwrap();
    missing.as_object_mut().unwrap().remove("amount");
    let mut valid = 0;
    for n in 0..20 {
        producer
            .send_and_wait(&mixed, None::<&str>, &order(n))
            .await
            .unwrap();
        valid += 1;
        let (bad, path, reason) = match n % 3 {
            0 => (&invalid, "/customer/email", "expected string, got null"),
            1 => (
                &wrong_enum,
                "/status",
                "\"LOST\" is not a symbol of acme.Status",
            ),
            _ => (&missing, "/amount", "missing required field \"amount\""),
        };
        let error = producer.send(&mixed, None::<&str>, bad).await.unwrap_err();
        assert_eq!(refused_path(&error), path);
        assert!(error.to_string().contains(reason), "{error}");
    }
    let raw = read_raw(&broker, &mixed, valid, Duration::from_secs(2)).await;
    assert_eq!(raw.len(), valid, "only the valid records reached the topic");
    let reader = AvroDeserializer::new(client);
    for record in raw {
        reader
            .deserialize_value(&record.payload)
            .await
            .expect("valid Avro");
    }
}

#[tokio::test]
async fn json_records_round_trip_and_invalid_ones_never_reach_the_topic() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = unique("json-orders");
    create_topic(&broker, &topic).await;
    let schema = UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA);
    let client = registered(&app.address, &topic, &schema).await;
    let serializer = JsonSerializer::new(client.clone(), schema, SerializerConfig::default());
    let producer = Producer::new(&producer_config(&broker), RawSerializer, serializer).unwrap();

    let sent: Vec<_> = (0..RECORDS).map(order).collect();
    let mut deliveries = Vec::new();
    for value in &sent {
        deliveries.push(producer.send(&topic, None::<&str>, value).await.unwrap());
    }
    for delivered in join_all(deliveries).await {
        delivered.expect("the broker acknowledges");
    }
    let received: Vec<Order> = consume(
        &broker,
        &topic,
        JsonValues::new(JsonDeserializer::new(client.clone())),
        RECORDS,
    )
    .await;
    assert_eq!(received, sent);

    let mixed = unique("json-mixed");
    create_topic(&broker, &mixed).await;
    client
        .register(
            &format!("{mixed}-value"),
            &UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA),
        )
        .await
        .unwrap();
    let mut zero = serde_json::to_value(order(1)).unwrap();
    zero["quantity"] = json!(0);
    let mut null_email = serde_json::to_value(order(2)).unwrap();
    null_email["customer"]["email"] = json!(null);
    let mut valid = 0;
    for n in 0..20 {
        producer
            .send_and_wait(&mixed, None::<&str>, &order(n))
            .await
            .unwrap();
        valid += 1;
        let (bad, path) = if n % 2 == 0 {
            (&zero, "/quantity")
        } else {
            (&null_email, "/customer/email")
        };
        let error = producer.send(&mixed, None::<&str>, bad).await.unwrap_err();
        assert_eq!(refused_path(&error), path, "{error}");
    }
    let raw = read_raw(&broker, &mixed, valid, Duration::from_secs(2)).await;
    assert_eq!(raw.len(), valid, "only the valid records reached the topic");
}

#[tokio::test]
async fn protobuf_records_round_trip_and_invalid_ones_never_reach_the_topic() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = unique("proto-orders");
    create_topic(&broker, &topic).await;
    let schema = UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO);
    let client = registered(&app.address, &topic, &schema).await;
    let serializer = ProtobufSerializer::new(client.clone(), schema, SerializerConfig::default());
    let producer = Producer::new(&producer_config(&broker), RawSerializer, serializer).unwrap();

    let sent: Vec<_> = (0..RECORDS).map(proto::order).collect();
    let mut deliveries = Vec::new();
    for value in &sent {
        deliveries.push(producer.send(&topic, None::<&str>, value).await.unwrap());
    }
    for delivered in join_all(deliveries).await {
        delivered.expect("the broker acknowledges");
    }
    let received: Vec<proto::Order> = consume(
        &broker,
        &topic,
        ProtobufValues::new(ProtobufDeserializer::new(client.clone())),
        RECORDS,
    )
    .await;
    assert_eq!(received, sent);

    let mixed = unique("proto-mixed");
    create_topic(&broker, &mixed).await;
    client
        .register(
            &format!("{mixed}-value"),
            &UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO),
        )
        .await
        .unwrap();
    let wrong_type = json!({"id": "x", "quantity": "many"});
    let unknown_field = json!({"id": "x", "customer": {"email": "a@b", "phone": "1"}});
    let mut valid = 0;
    for n in 0..20 {
        producer
            .send_and_wait(&mixed, None::<&str>, &proto::order(n))
            .await
            .unwrap();
        valid += 1;
        let (bad, path) = if n % 2 == 0 {
            (&wrong_type, "/quantity")
        } else {
            (&unknown_field, "/customer/phone")
        };
        let error = producer
            .send(&mixed, None::<&str>, &ProtobufJson(bad))
            .await
            .unwrap_err();
        assert_eq!(refused_path(&error), path, "{error}");
        // A message type the subject's schema does not define is refused too.
        let other = producer
            .send(&mixed, None::<&str>, &proto::Refund { id: "r".into() })
            .await
            .unwrap_err();
        assert!(
            other.to_string().contains("no message acme.Refund"),
            "{other}"
        );
    }
    let raw = read_raw(&broker, &mixed, valid, Duration::from_secs(2)).await;
    assert_eq!(raw.len(), valid, "only the valid records reached the topic");
}
