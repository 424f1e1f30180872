//! Confluent's Python serializers (confluent-kafka, installed by `tests/clients/setup.sh`)
//! producing to and consuming from a real broker through Warden, unchanged, as users run
//! them.

use warden_testkit::clients::{clients_dir, python_with_confluent_kafka, run_client_script};
use warden_testkit::kafka::Broker;
use warden_testkit::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_serializers_round_trip_avro_json_and_protobuf_through_a_broker() {
    let python = tokio::task::spawn_blocking(python_with_confluent_kafka)
        .await
        .unwrap();
    let broker = tokio::task::spawn_blocking(Broker::start).await.unwrap();
    for format in ["avro", "json", "protobuf"] {
        broker.create_topic(&format!("py-{format}")).await;
    }
    let app = spawn_app().await;
    run_client_script(
        python,
        &clients_dir().join("python/kafka_roundtrip.py"),
        &[
            app.address.as_str(),
            broker.bootstrap_servers.as_str(),
            "py",
        ],
        "confluent-kafka's serializers failed through Warden",
    )
    .await;
}

/// Warden's Avro serializer writes a serde struct straight to Avro (the compiled schema of
/// `warden_core::avro::plan`); Confluent's Python `AvroDeserializer` must read every record
/// back as it was: nested record, enum, array, map, timestamp and both branches of the
/// nullable note.
#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_deserializer_reads_what_wardens_producer_wrote() {
    use warden_core::{SchemaType, Subject};
    use warden_kafka::Producer;
    use warden_serde::{
        AvroSerializer, RawSerializer, RegistryClient, SerializerConfig, UnregisteredSchema,
    };

    use crate::support::{ORDER_AVSC, order, producer_config};

    let python = tokio::task::spawn_blocking(python_with_confluent_kafka)
        .await
        .unwrap();
    let broker = tokio::task::spawn_blocking(Broker::start).await.unwrap();
    let topic = "py-reads-warden";
    broker.create_topic(topic).await;
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC);
    client
        .register(&Subject::parse(&format!("{topic}-value")).unwrap(), &schema)
        .await
        .unwrap();
    let producer = Producer::new(
        &producer_config(&broker),
        RawSerializer,
        AvroSerializer::new(client, schema, SerializerConfig::default()),
    )
    .unwrap();
    // Records 0..6: tags of 0 to 3 items, each status, a note on 0 and 5 only.
    let orders: Vec<_> = (0..6).map(order).collect();
    for value in &orders {
        producer
            .send_and_wait(topic, None::<&str>, value)
            .await
            .unwrap();
    }
    let expected = serde_json::to_string(&orders).unwrap();
    run_client_script(
        python,
        &clients_dir().join("python/read_warden_avro.py"),
        &[
            app.address.as_str(),
            broker.bootstrap_servers.as_str(),
            topic,
            expected.as_str(),
        ],
        "confluent-kafka's AvroDeserializer did not read Warden's records back",
    )
    .await;
}
