//! The README's end-to-end walkthrough in code: register a schema, produce typed records
//! through the validating producer (an invalid one is refused with its field path and never
//! sent), and read them back decoded.
//!
//! Needs a registry and a Kafka-protocol broker:
//!
//! ```sh
//! warden serve &
//! tansu broker --listener-url tcp://127.0.0.1:9092 \
//!   --advertised-listener-url tcp://127.0.0.1:9092 --storage-engine memory://tansu/ &
//! cargo run -p warden-kafka --example orders
//! ```
//!
//! `WARDEN_REGISTRY_URL` (default `http://127.0.0.1:8081`) and `WARDEN_BOOTSTRAP_SERVERS`
//! (default `127.0.0.1:9092`) say where they are.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use warden_core::{SchemaType, Subject};
use warden_kafka::rdkafka::ClientConfig;
use warden_kafka::rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use warden_kafka::rdkafka::client::DefaultClientContext;
use warden_kafka::{Consumer, Producer, UndecodablePolicy};
use warden_serde::{
    AvroDeserializer, AvroSerializer, AvroValues, RawSerializer, RegistryClient, SerializerConfig,
    UnregisteredSchema,
};

/// The schema of `schemas/orders-value.avsc`.
const ORDER_SCHEMA: &str = include_str!("../../../schemas/orders-value.avsc");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Customer {
    email: String,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    id: String,
    customer: Customer,
    amount: f64,
    note: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry =
        std::env::var("WARDEN_REGISTRY_URL").unwrap_or_else(|_| "http://127.0.0.1:8081".to_owned());
    let brokers =
        std::env::var("WARDEN_BOOTSTRAP_SERVERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned());
    let topic = "orders-example";

    // 1. The contract: the schema registered under `<topic>-value`.
    let client = RegistryClient::new(&registry)?;
    let schema = UnregisteredSchema::new(SchemaType::Avro, ORDER_SCHEMA);
    let subject = Subject::parse(&format!("{topic}-value"))?;
    let id = client.register(&subject, &schema).await?;
    println!("schema id {id} registered under {topic}-value");

    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &brokers);
    let admin: AdminClient<DefaultClientContext> = config.create()?;
    // An existing topic is fine.
    let _ = admin
        .create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await?;

    // 2. The validating producer: values are checked against the schema before anything is
    //    enqueued. Auto-registration is off by default: the producer writes with the
    //    registered contract, it does not change it.
    let serializer = AvroSerializer::new(client.clone(), schema, SerializerConfig::default());
    let producer = Producer::new(&config, RawSerializer, serializer)?;
    let orders = [
        Order {
            id: "o-1".into(),
            customer: Customer {
                email: "ada@example.com".into(),
                name: "Ada".into(),
            },
            amount: 12.5,
            note: None,
        },
        Order {
            id: "o-2".into(),
            customer: Customer {
                email: "cy@example.com".into(),
                name: "Cy".into(),
            },
            amount: 7.25,
            note: Some("gift".into()),
        },
    ];
    for order in &orders {
        let (partition, offset) = producer
            .send_and_wait(topic, Some(order.id.as_str()), order)
            .await?;
        println!(
            "sent {} to partition {partition} at offset {offset}",
            order.id
        );
    }
    // A value that breaks the contract never reaches the topic.
    let invalid = json!({"id": "o-3", "customer": {"email": null, "name": "Bob"}, "amount": 3.0});
    match producer.send(topic, Some("o-3"), &invalid).await {
        Ok(_) => println!("unexpected: the invalid record was sent"),
        Err(refused) => println!("refused o-3: {refused}"),
    }

    // 3. The consumer decodes by the schema id in each record's header.
    config
        .set("group.id", "orders-example")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "50");
    let consumer = Consumer::new(
        &config,
        AvroValues::<Order>::new(AvroDeserializer::new(client)),
        UndecodablePolicy::Fail,
    )?;
    consumer.subscribe(&[topic])?;
    for _ in 0..orders.len() {
        let record = tokio::time::timeout(Duration::from_secs(30), consumer.recv()).await??;
        println!("received at offset {}: {:?}", record.offset, record.value);
    }
    Ok(())
}
