//! The registry going away: a clear error without a hang, and cached schemas that keep
//! working. An unreachable broker: each record's delivery resolves to the client's error.

use std::time::{Duration, Instant};

use futures::future::join_all;
use warden_core::SchemaType;
use warden_kafka::rdkafka::ClientConfig;
use warden_kafka::rdkafka::error::{KafkaError, RDKafkaErrorCode};
use warden_kafka::rdkafka::producer::{Producer as _, PurgeConfig};
use warden_kafka::{Consumer, ProduceError, Producer, UndecodablePolicy};
use warden_serde::{
    AvroDeserializer, AvroSerializer, AvroValues, RawSerializer, RegistryClient, SerdeError,
    SerializerConfig, UnregisteredSchema,
};
use warden_testkit::kafka::Broker;
use warden_testkit::{free_port, spawn_app};

use crate::support::{ORDER_AVSC, consumer_config, order, producer_config, subject, unique};

#[tokio::test]
async fn an_unreachable_registry_is_a_clear_error_within_the_client_timeout() {
    let broker = Broker::start();
    let client = RegistryClient::builder(format!("http://127.0.0.1:{}", free_port()))
        .max_retries(1)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let serializer = AvroSerializer::new(
        client,
        UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        SerializerConfig::default(),
    );
    let producer = Producer::new(&producer_config(&broker), RawSerializer, serializer).unwrap();
    let started = Instant::now();
    let error = tokio::time::timeout(
        Duration::from_secs(20),
        producer.send("nowhere", None::<&str>, &order(1)),
    )
    .await
    .expect("no hang past the client's timeout")
    .unwrap_err();
    assert!(
        matches!(error.serde_error(), Some(SerdeError::Registry(_))),
        "{error}"
    );
    assert!(error.to_string().contains("unavailable"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn cached_schemas_keep_producing_and_consuming_after_the_registry_goes_away() {
    let broker = Broker::start();
    let mut app = spawn_app().await;
    let topic = unique("cached");
    broker.create_topic(&topic).await;
    let client = RegistryClient::builder(&app.address)
        .max_retries(0)
        .build()
        .unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC);
    client
        .register(&subject(&format!("{topic}-value")), &schema)
        .await
        .unwrap();
    let producer = Producer::new(
        &producer_config(&broker),
        RawSerializer,
        AvroSerializer::new(client.clone(), schema, SerializerConfig::default()),
    )
    .unwrap();
    let consumer = Consumer::new(
        &consumer_config(&broker),
        AvroValues::new(AvroDeserializer::new(client.clone())),
        UndecodablePolicy::Fail,
    )
    .unwrap();
    consumer.subscribe(&[&topic]).unwrap();

    producer
        .send_and_wait(&topic, None::<&str>, &order(0))
        .await
        .unwrap();
    let first = consumer.recv().await.unwrap();
    assert_eq!(first.value, Some(order(0)));

    app.stop().await;
    let mut deliveries = Vec::new();
    for n in 1..=100 {
        deliveries.push(
            producer
                .send(&topic, None::<&str>, &order(n))
                .await
                .expect("served from the cache"),
        );
    }
    for d in join_all(deliveries).await {
        d.unwrap();
    }
    for n in 1..=100 {
        let record = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .unwrap()
            .expect("decoded with the cached schema");
        assert_eq!(record.value, Some(order(n)));
    }
    // A deserializer with an empty cache cannot decode now, and says why.
    let fresh = AvroDeserializer::new(
        RegistryClient::builder(client.urls()[0].clone())
            .max_retries(0)
            .build()
            .unwrap(),
    );
    let bytes = producer
        .values()
        .serialize(
            &warden_serde::SerializationContext::value(&topic),
            &order(1),
        )
        .await
        .unwrap();
    let error = fresh.deserialize_value(&bytes).await.unwrap_err();
    assert!(matches!(error, SerdeError::Registry(_)), "{error}");
}

/// A producer of raw strings to a port nobody listens on, records timing out after `timeout_ms`.
fn producer_to_nowhere(timeout_ms: &str) -> Producer<RawSerializer, RawSerializer> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", format!("127.0.0.1:{}", free_port()))
        .set("message.timeout.ms", timeout_ms);
    Producer::new(&config, RawSerializer, RawSerializer).unwrap()
}

/// The librdkafka error code a delivery resolved to.
fn production_error(outcome: Result<(i32, i64), ProduceError>) -> RDKafkaErrorCode {
    match outcome {
        Err(ProduceError::Kafka(KafkaError::MessageProduction(code))) => code,
        other => panic!("expected a production error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_record_no_broker_acknowledges_resolves_to_the_clients_timeout() {
    let producer = producer_to_nowhere("1000");
    let started = Instant::now();
    let delivery = producer
        .send("nowhere", None::<&str>, "a record")
        .await
        .expect("enqueued without a broker");
    let outcome = tokio::time::timeout(Duration::from_secs(20), delivery)
        .await
        .expect("the delivery resolves once message.timeout.ms has passed");
    assert_eq!(production_error(outcome), RDKafkaErrorCode::MessageTimedOut);
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn purged_records_each_resolve_to_the_purge_error() {
    let producer = producer_to_nowhere("60000");
    let mut deliveries = Vec::new();
    for n in 0..100 {
        deliveries.push(
            producer
                .send("nowhere", None::<&str>, format!("record {n}").as_str())
                .await
                .unwrap(),
        );
    }
    // Half of them awaited (their tasks' wakers registered) before the purge, half after.
    let awaited: Vec<_> = deliveries
        .drain(..50)
        .map(|delivery| tokio::spawn(delivery))
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    producer
        .inner()
        .purge(PurgeConfig::default().queue().inflight());
    let mut outcomes = Vec::new();
    for task in awaited {
        outcomes.push(
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("an awaited delivery is woken by the purge")
                .unwrap(),
        );
    }
    outcomes.extend(
        tokio::time::timeout(Duration::from_secs(20), join_all(deliveries))
            .await
            .expect("every purged record resolves"),
    );
    assert_eq!(outcomes.len(), 100);
    for outcome in outcomes {
        assert_eq!(production_error(outcome), RDKafkaErrorCode::PurgeQueue);
    }
}
