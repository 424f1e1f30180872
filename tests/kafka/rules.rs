//! Data-contract rules with `onFailure: DLQ` through the producer and the consumer: a
//! refused value goes to the dead-letter topic with the rule in `__rule.*` headers, and never
//! to its own topic.

use std::time::Duration;

use serde_json::json;
use warden_kafka::{Consumer, ProduceError, Producer, UndecodablePolicy, rule_headers};
use warden_serde::{
    AvroDeserializer, AvroSerializer, AvroValues, RawSerializer, RegistryClient, SerializerConfig,
};
use warden_testkit::kafka::Broker;
use warden_testkit::spawn_app;

use crate::support::{
    ORDER_AVSC, Order, consumer_config, order, producer_config, read_raw, unique,
};

fn header(r: &crate::support::RawRecord, key: &str) -> String {
    r.headers
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_value_a_dlq_rule_refuses_goes_to_the_dead_letter_topic_with_the_rule_in_headers() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = unique("rules");
    let dead = unique("rules-dlq");
    broker.create_topic(&topic).await;
    broker.create_topic(&dead).await;
    let rules = json!({"domainRules": [{"name": "fewItems", "kind": "CONDITION", "mode": "WRITE",
        "type": "CEL", "expr": "message.quantity < 5", "onFailure": "DLQ"}]});
    let r = app
        .register_body(
            &format!("{topic}-value"),
            &json!({"schema": ORDER_AVSC, "ruleSet": rules}),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.text);
    let client = RegistryClient::new(&app.address).unwrap();
    let config = SerializerConfig {
        use_latest_version: true,
        ..SerializerConfig::default()
    };
    let producer = Producer::new(
        &producer_config(&broker),
        RawSerializer,
        AvroSerializer::from_registry(client.clone(), config),
    )
    .unwrap()
    .dead_letter_topic(dead.clone());

    // quantity is n % 9 + 1: order 1 passes, order 7 (quantity 8) does not.
    producer
        .send_and_wait::<str, _>(&topic, None, &order(1))
        .await
        .expect("a passing value is sent");
    match producer
        .send_and_wait::<str, _>(&topic, None, &order(7))
        .await
    {
        Err(ProduceError::DeadLettered { topic: to, source }) => {
            assert_eq!(to, dead);
            assert_eq!(source.rule_failure().unwrap().rule, "fewItems");
        }
        other => panic!("expected the value dead-lettered, got {other:?}"),
    }
    producer
        .send_and_wait::<str, _>(&topic, None, &order(2))
        .await
        .unwrap();

    let dead_letters = read_raw(&broker, &dead, 1, Duration::from_secs(1)).await;
    assert_eq!(dead_letters.len(), 1);
    let record = &dead_letters[0];
    assert_eq!(header(record, rule_headers::NAME), "fewItems");
    assert_eq!(header(record, rule_headers::MODE), "WRITE");
    assert_eq!(header(record, rule_headers::TOPIC), topic);
    assert_eq!(
        header(record, rule_headers::SUBJECT),
        format!("{topic}-value")
    );
    let value: serde_json::Value = serde_json::from_slice(&record.payload).unwrap();
    assert_eq!(value["id"], json!("order-7"), "the refused value, as JSON");

    let consumer = Consumer::new(
        &consumer_config(&broker),
        AvroValues::<Order>::new(AvroDeserializer::new(client)),
        UndecodablePolicy::Fail,
    )
    .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    for expected in [order(1), order(2)] {
        let got = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            got.value,
            Some(expected),
            "only passing values reach the topic"
        );
    }
}

#[tokio::test]
async fn a_record_a_read_rule_refuses_is_dead_lettered_by_the_consumer_with_the_rule_named() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = unique("read-rules");
    let dead = unique("read-rules-dlq");
    broker.create_topic(&topic).await;
    broker.create_topic(&dead).await;
    let rules = json!({"domainRules": [{"name": "noExpress", "kind": "CONDITION", "mode": "READ",
        "type": "CEL", "expr": "!message.express"}]});
    let r = app
        .register_body(
            &format!("{topic}-value"),
            &json!({"schema": ORDER_AVSC, "ruleSet": rules}),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.text);
    let client = RegistryClient::new(&app.address).unwrap();
    let config = SerializerConfig {
        use_latest_version: true,
        ..SerializerConfig::default()
    };
    let producer = Producer::new(
        &producer_config(&broker),
        RawSerializer,
        AvroSerializer::from_registry(client.clone(), config),
    )
    .unwrap();
    // Even orders are express: written (READ rules do not run on write), refused on read.
    for n in [1, 2, 3] {
        producer
            .send_and_wait::<str, _>(&topic, None, &order(n))
            .await
            .unwrap();
    }
    let consumer = Consumer::new(
        &consumer_config(&broker),
        AvroValues::<Order>::new(AvroDeserializer::new(client)),
        UndecodablePolicy::DeadLetter(dead.clone()),
    )
    .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    for expected in [order(1), order(3)] {
        let got = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.value, Some(expected));
    }
    let dead_letters = read_raw(&broker, &dead, 1, Duration::from_secs(1)).await;
    assert_eq!(dead_letters.len(), 1);
    assert_eq!(header(&dead_letters[0], rule_headers::NAME), "noExpress");
    assert_eq!(header(&dead_letters[0], rule_headers::MODE), "READ");
    assert_eq!(
        header(
            &dead_letters[0],
            warden_kafka::dead_letter_headers::ERROR_KIND
        ),
        "rule"
    );
}

#[tokio::test]
async fn a_consumer_with_a_reader_version_gets_records_migrated_into_its_own_type() {
    use warden_serde::ReaderVersion;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct ShoeV2 {
        id: String,
        height: i32,
    }
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = unique("shoes");
    broker.create_topic(&topic).await;
    let subject = format!("{topic}-value");
    let r = app
        .request(
            reqwest::Method::PUT,
            &format!("/config/{subject}"),
            Some(&json!({"compatibility": "NONE"})),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.text);
    let v1 = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"size","type":"int"}]}"#;
    let v2 = r#"{"type":"record","name":"Shoe","fields":[{"name":"id","type":"string"},{"name":"height","type":"int"}]}"#;
    let r = app.register_body(&subject, &json!({"schema": v1})).await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.text);
    let client = RegistryClient::new(&app.address).unwrap();
    let latest = SerializerConfig {
        use_latest_version: true,
        ..SerializerConfig::default()
    };
    let producer = Producer::new(
        &producer_config(&broker),
        RawSerializer,
        AvroSerializer::from_registry(client.clone(), latest),
    )
    .unwrap();
    producer
        .send_and_wait::<str, _>(&topic, None, &json!({"id": "s1", "size": 42}))
        .await
        .unwrap();
    // Version 2 renames the field, with a JSONata upgrade.
    let r = app
        .register_body(
            &subject,
            &json!({"schema": v2, "ruleSet": {"migrationRules": [
                {"name": "sizeToHeight", "type": "JSONATA", "mode": "UPGRADE",
                 "expr": "$merge([{'id': id, 'height': size}])"}]}}),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.text);
    let consumer = Consumer::new(
        &consumer_config(&broker),
        AvroValues::<ShoeV2>::new(
            AvroDeserializer::new(client).reader_version(ReaderVersion::Latest),
        ),
        UndecodablePolicy::Fail,
    )
    .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    let got = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got.value,
        Some(ShoeV2 {
            id: "s1".into(),
            height: 42
        }),
        "the version-1 record upgraded"
    );
}
