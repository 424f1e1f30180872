//! Confluent 8's schema ids in headers through a real broker: a producer set to
//! `SchemaIdFraming::Header` writes the schema's GUID in `__key_schema_id` /
//! `__value_schema_id` and bare payloads; the consumer reads those records and prefix-framed
//! ones (`0x00 | id` and `0x01 | GUID`) on the same topic.

use std::time::Duration;

use rdkafka::Message as _;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::Headers as _;
use rdkafka::producer::{FutureProducer, FutureRecord};
use warden_core::{Guid, SchemaType};
use warden_kafka::{Consumer, Producer, SchemaIdFraming, UndecodablePolicy};
use warden_serde::{
    AvroDeserializer, AvroSerializer, AvroValues, ProtobufDeserializer, ProtobufSerializer,
    ProtobufValues, RawSerializer, RegistryClient, SerializationContext, SerializerConfig,
    UnregisteredSchema,
};
use warden_testkit::kafka::Broker;
use warden_testkit::spawn_app;

use crate::support::{
    ORDER_AVSC, ORDER_PROTO, Order, consumer_config, order, producer_config, proto, subject, unique,
};

/// A record as a plain consumer sees it: key, payload and headers as bytes.
#[derive(Debug)]
struct Raw {
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
}

async fn read_raw(broker: &Broker, topic: &str, n: usize) -> Vec<Raw> {
    let consumer: StreamConsumer = consumer_config(broker).create().unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    while out.len() < n {
        let m = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .expect("records arrive within a minute")
            .unwrap();
        out.push(Raw {
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().unwrap_or_default().to_vec(),
            headers: m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    out
}

#[tokio::test]
async fn header_framed_avro_records_carry_the_guid_and_decode_with_prefixed_ones() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let topic = unique("guid-avro");
    broker.create_topic(&topic).await;
    let schema = UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC);
    let id = client
        .register(&subject(&format!("{topic}-value")), &schema)
        .await
        .unwrap();
    let serializer =
        AvroSerializer::new(client.clone(), schema.clone(), SerializerConfig::default());
    let prefixed = serializer
        .serialize(&SerializationContext::value(&topic), &order(1))
        .await
        .unwrap();
    let headers = Producer::new(
        &producer_config(&broker),
        RawSerializer,
        AvroSerializer::new(client.clone(), schema.clone(), SerializerConfig::default()),
    )
    .unwrap()
    .schema_id_framing(SchemaIdFraming::Header);
    headers
        .send_and_wait(&topic, Some("k1"), &order(1))
        .await
        .unwrap();
    // The same topic also gets a prefix-framed record and a `0x01 | GUID` prefixed one.
    let prefix = Producer::new(&producer_config(&broker), RawSerializer, serializer).unwrap();
    prefix
        .send_and_wait(&topic, Some("k2"), &order(2))
        .await
        .unwrap();
    let guid = client.schema_guid(id).await.unwrap();
    let v1 = {
        let mut bytes = warden_core::wire::guid_header(&guid, None);
        let second = prefix
            .values()
            .serialize(&SerializationContext::value(&topic), &order(3))
            .await
            .unwrap();
        bytes.extend_from_slice(&second[5..]);
        bytes
    };
    let raw: FutureProducer = producer_config(&broker).create().unwrap();
    raw.send(
        FutureRecord::to(&topic).key("k3").payload(&v1),
        Duration::from_secs(30),
    )
    .await
    .unwrap();

    let records = read_raw(&broker, &topic, 3).await;
    let first = &records[0];
    assert_eq!(
        first.key.as_deref(),
        Some(&b"k1"[..]),
        "a raw key stays raw"
    );
    assert_eq!(first.payload, prefixed[5..], "the bare Avro payload");
    assert_eq!(
        first.headers,
        vec![(
            "__value_schema_id".to_owned(),
            warden_core::wire::guid_header(&guid, None)
        )]
    );
    assert_eq!(
        Guid::parse(
            app.get("/schemas/ids/1").await.body["guid"]
                .as_str()
                .unwrap()
        ),
        Some(guid)
    );
    assert!(records[1].headers.is_empty());
    assert_eq!(records[1].payload[..5], [0, 0, 0, 0, 1]);

    let consumer = Consumer::new(
        &consumer_config(&broker),
        AvroValues::<Order>::new(AvroDeserializer::new(client.clone())),
        UndecodablePolicy::Fail,
    )
    .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    for n in 1..=3 {
        let record = consumer.recv().await.unwrap();
        assert_eq!(record.value, Some(order(n)), "record {n}");
    }
}

#[tokio::test]
async fn header_framed_protobuf_records_carry_the_message_indexes_in_the_header() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let topic = unique("guid-proto");
    broker.create_topic(&topic).await;
    let schema = UnregisteredSchema::new(SchemaType::Protobuf, ORDER_PROTO);
    let id = client
        .register(&subject(&format!("{topic}-value")), &schema)
        .await
        .unwrap();
    let key_schema = UnregisteredSchema::new(SchemaType::Avro, r#""string""#);
    client
        .register(&subject(&format!("{topic}-key")), &key_schema)
        .await
        .unwrap();
    let producer = Producer::new(
        &producer_config(&broker),
        AvroSerializer::new(client.clone(), key_schema, SerializerConfig::default()),
        ProtobufSerializer::new(client.clone(), schema, SerializerConfig::default()),
    )
    .unwrap()
    .schema_id_framing(SchemaIdFraming::Header);
    let customer = proto::order(5).customer.unwrap();
    producer
        .send_and_wait(&topic, Some("c"), &proto::order(5))
        .await
        .unwrap();
    // `Order.Customer`, the first message nested in the first: its indexes `[0, 0]` travel in
    // the header.
    producer
        .send_and_wait(&topic, Some("c"), &customer)
        .await
        .unwrap();

    let records = read_raw(&broker, &topic, 2).await;
    let guid = client.schema_guid(id).await.unwrap();
    let value_header = |r: &Raw| {
        r.headers
            .iter()
            .find(|(k, _)| k == "__value_schema_id")
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        value_header(&records[0]),
        warden_core::wire::guid_header(&guid, Some(&[0]))
    );
    assert_eq!(
        value_header(&records[1]),
        warden_core::wire::guid_header(&guid, Some(&[0, 0]))
    );
    assert_eq!(
        records[0].payload,
        prost::Message::encode_to_vec(&proto::order(5)),
        "the bare message"
    );
    assert!(
        records[0]
            .headers
            .iter()
            .any(|(k, v)| k == "__key_schema_id" && v[0] == 1),
        "the key's GUID too"
    );

    let consumer = Consumer::new(
        &consumer_config(&broker),
        ProtobufValues::<proto::Order>::new(ProtobufDeserializer::new(client.clone())),
        UndecodablePolicy::Fail,
    )
    .unwrap()
    .decode_keys(warden_serde::GenericDeserializer::new(client.clone()));
    consumer.subscribe(&[&topic]).unwrap();
    let first = consumer.recv().await.unwrap();
    assert_eq!(first.value, Some(proto::order(5)));
    assert_eq!(
        first.decoded_key.map(|k| k.value),
        Some(serde_json::json!("c"))
    );
    // The customer bytes decode as a Customer through the indexes from the header.
    let second = read_raw(&broker, &topic, 2).await.pop().unwrap();
    let framed =
        warden_serde::to_prefix_framing(&client, Some(&value_header(&second)), &second.payload)
            .await
            .unwrap();
    let decoded: proto::Customer = ProtobufDeserializer::new(client.clone())
        .deserialize(&framed)
        .await
        .unwrap();
    assert_eq!(decoded, customer);
}
