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
