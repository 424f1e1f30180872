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
async fn confluents_python_avro_deserializer_reads_what_wardens_producer_wrote() {
    python_reads_wardens_records("avro").await;
}

/// Warden's JSON Schema serializer writes its own JSON text (`json_text`); Confluent's Python
/// `JSONDeserializer` must parse it, validate it against the writer schema and read every
/// record back as it was, strings with quotes, backslashes, control characters and
/// non-ASCII text included.
#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_json_deserializer_reads_what_wardens_producer_wrote() {
    python_reads_wardens_records("json").await;
}

/// Six `Order`s sent by Warden's producer with the `format` serializer (`avro` or `json`),
/// read back by Confluent's Python deserializer (`read_warden.py`).
async fn python_reads_wardens_records(format: &str) {
    use warden_core::{SchemaType, Subject};
    use warden_kafka::Producer;
    use warden_serde::{
        AvroSerializer, JsonSerializer, RawSerializer, RegistryClient, SerializerConfig,
        UnregisteredSchema,
    };

    use crate::support::{ORDER_AVSC, ORDER_JSON_SCHEMA, Order, order, producer_config};

    let python = tokio::task::spawn_blocking(python_with_confluent_kafka)
        .await
        .unwrap();
    let broker = tokio::task::spawn_blocking(Broker::start).await.unwrap();
    let topic = format!("py-reads-warden-{format}");
    broker.create_topic(&topic).await;
    let app = spawn_app().await;
    let client = RegistryClient::new(&app.address).unwrap();
    let schema = match format {
        "avro" => UnregisteredSchema::new(SchemaType::Avro, ORDER_AVSC),
        _ => UnregisteredSchema::new(SchemaType::Json, ORDER_JSON_SCHEMA),
    };
    client
        .register(&Subject::parse(&format!("{topic}-value")).unwrap(), &schema)
        .await
        .unwrap();
    // Records 0..6: tags of 0 to 3 items, each status, a note on 0 and 5 only; strings that
    // JSON escapes, in short and long strings and at word boundaries.
    let mut orders: Vec<Order> = (0..6).map(order).collect();
    orders[1].customer.name = "Ada \"the\" Lovelace \\ \u{1}\t\n".to_owned();
    orders[2].id = "ünïcödé 😀 order-2 with a tail past eight bytes\u{1f}".to_owned();
    orders[3].tags = vec!["\"".to_owned(), "a\\b".to_owned(), String::new()];
    orders[5].note = Some("line one\r\nline \"two\"\u{7f}".to_owned());
    async fn send<VS: warden_serde::ValueSerializer<Order>>(
        producer: &Producer<RawSerializer, VS>,
        topic: &str,
        orders: &[Order],
    ) {
        for value in orders {
            producer
                .send_and_wait(topic, None::<&str>, value)
                .await
                .unwrap();
        }
    }
    let config = producer_config(&broker);
    match format {
        "avro" => {
            let serializer = AvroSerializer::new(client, schema, SerializerConfig::default());
            send(
                &Producer::new(&config, RawSerializer, serializer).unwrap(),
                &topic,
                &orders,
            )
            .await;
        }
        _ => {
            let serializer = JsonSerializer::new(client, schema, SerializerConfig::default());
            send(
                &Producer::new(&config, RawSerializer, serializer).unwrap(),
                &topic,
                &orders,
            )
            .await;
        }
    }
    let expected = serde_json::to_string(&orders).unwrap();
    run_client_script(
        python,
        &clients_dir().join("python/read_warden.py"),
        &[
            format,
            app.address.as_str(),
            broker.bootstrap_servers.as_str(),
            topic.as_str(),
            expected.as_str(),
        ],
        "confluent-kafka's deserializer did not read Warden's records back",
    )
    .await;
}
