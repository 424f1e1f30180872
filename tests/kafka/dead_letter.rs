//! Undecodable records under each policy: dead-letter topic with the reason in headers,
//! skip and count, or the error.

use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use warden_core::SchemaType;
use warden_kafka::{ConsumeError, Consumer, Producer, UndecodablePolicy, dead_letter_headers};
use warden_serde::{
    AvroDeserializer, AvroSerializer, AvroValues, RawSerializer, RegistryClient, SerdeError,
    SerializerConfig, UnregisteredSchema,
};
use warden_testkit::kafka::Broker;
use warden_testkit::spawn_app;

use crate::support::{
    ORDER_AVSC, Order, consumer_config, order, producer_config, read_raw, subject, unique,
};

/// Writes: valid, unknown schema id, wrong magic byte, truncated header, valid.
async fn topic_with_bad_records(broker: &Broker, client: &RegistryClient, topic: &str) {
    broker.create_topic(topic).await;
    let schema = UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC);
    client
        .register(&subject(&format!("{topic}-value")), &schema)
        .await
        .unwrap();
    let producer = Producer::new(
        &producer_config(broker),
        RawSerializer,
        AvroSerializer::new(client.clone(), schema, SerializerConfig::default()),
    )
    .unwrap();
    let valid = producer
        .values()
        .serialize(&warden_serde::SerializationContext::value(topic), &order(1))
        .await
        .unwrap();
    let mut unknown_id = valid.clone();
    unknown_id[1..5].copy_from_slice(&9_999u32.to_be_bytes());
    let mut wrong_magic = valid.clone();
    wrong_magic[0] = 7;
    let raw: FutureProducer = producer_config(broker).create().unwrap();
    for (n, payload) in [valid.clone(), unknown_id, wrong_magic, vec![0, 0, 1], valid]
        .iter()
        .enumerate()
    {
        let key = format!("k{n}");
        raw.send(
            FutureRecord::to(topic).key(&key).payload(payload),
            Duration::from_secs(30),
        )
        .await
        .expect("raw record delivered");
    }
}

async fn next(consumer: &Consumer<AvroValues<Order>>) -> Result<Order, ConsumeError> {
    tokio::time::timeout(Duration::from_secs(60), consumer.recv())
        .await
        .expect("a record within a minute")
        .map(|r| r.value.expect("not a tombstone"))
}

fn consumer(
    broker: &Broker,
    client: &RegistryClient,
    topic: &str,
    policy: UndecodablePolicy,
) -> Consumer<AvroValues<Order>> {
    let consumer = Consumer::new(
        &consumer_config(broker),
        AvroValues::new(AvroDeserializer::new(client.clone())),
        policy,
    )
    .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    consumer
}

#[tokio::test]
async fn undecodable_records_go_to_the_dead_letter_topic_with_the_reason_and_the_consumer_goes_on()
{
    let broker = Broker::start();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let topic = unique("dlq-source");
    let dead = unique("dlq");
    topic_with_bad_records(&broker, &client, &topic).await;
    broker.create_topic(&dead).await;

    let consumer = consumer(
        &broker,
        &client,
        &topic,
        UndecodablePolicy::DeadLetter(dead.clone()),
    );
    assert_eq!(next(&consumer).await.unwrap(), order(1));
    assert_eq!(
        next(&consumer).await.unwrap(),
        order(1),
        "the consumer went on past three bad records"
    );
    assert_eq!(consumer.dead_lettered(), 3);

    let forwarded = read_raw(&broker, &dead, 3, Duration::from_secs(1)).await;
    assert_eq!(forwarded.len(), 3);
    let header = |r: &crate::support::RawRecord, key: &str| {
        r.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let kinds: Vec<String> = forwarded
        .iter()
        .map(|r| header(r, dead_letter_headers::ERROR_KIND))
        .collect();
    assert_eq!(
        kinds,
        ["unknown-schema-id", "unknown-magic-byte", "truncated"]
    );
    assert!(header(&forwarded[0], dead_letter_headers::ERROR).contains("unknown schema id 9999"));
    assert!(header(&forwarded[1], dead_letter_headers::ERROR).contains("magic byte 0x07"));
    let offsets: Vec<String> = forwarded
        .iter()
        .map(|r| header(r, dead_letter_headers::OFFSET))
        .collect();
    assert_eq!(offsets, ["1", "2", "3"]);
    assert!(
        forwarded
            .iter()
            .all(|r| header(r, dead_letter_headers::TOPIC) == topic)
    );
    assert_eq!(
        forwarded[1].payload[0], 7,
        "the raw record is forwarded unchanged"
    );
}

#[tokio::test]
async fn the_skip_policy_counts_and_the_fail_policy_returns_distinct_errors() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let topic = unique("skip-source");
    topic_with_bad_records(&broker, &client, &topic).await;

    let skipping = consumer(&broker, &client, &topic, UndecodablePolicy::Skip);
    next(&skipping).await.unwrap();
    next(&skipping).await.unwrap();
    assert_eq!(skipping.skipped(), 3);

    let failing = consumer(&broker, &client, &topic, UndecodablePolicy::Fail);
    next(&failing).await.unwrap();
    let mut errors = Vec::new();
    for _ in 0..3 {
        match next(&failing).await {
            Err(ConsumeError::Undecodable { source, offset, .. }) => errors.push((offset, source)),
            other => panic!("expected an undecodable record, got {other:?}"),
        }
    }
    assert!(
        matches!(&errors[0], (1, SerdeError::UnknownSchemaId(id)) if id.get() == 9999),
        "{errors:?}"
    );
    assert!(
        matches!(errors[1], (2, SerdeError::UnknownMagicByte(7))),
        "{errors:?}"
    );
    assert!(
        matches!(errors[2], (3, SerdeError::Truncated(_))),
        "{errors:?}"
    );
    assert_eq!(
        next(&failing).await.unwrap(),
        order(1),
        "the next call reads on"
    );
}
