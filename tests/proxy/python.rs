//! Confluent's Python client (`confluent-kafka` with its Avro, JSON Schema and Protobuf
//! serializers) producing and consuming through the proxy.

use warden_testkit::clients::{clients_dir, python_with_confluent_kafka, run_client_script};

use crate::support::{Env, unique};

#[tokio::test]
async fn confluent_kafka_python_serializers_produce_through_the_proxy() {
    let python = tokio::task::spawn_blocking(python_with_confluent_kafka)
        .await
        .expect("the venv is set up");
    let env = Env::start().await;
    let prefix = unique("py-proxy");
    for format in ["avro", "json", "protobuf"] {
        env.broker.create_topic(&format!("{prefix}-{format}")).await;
    }
    run_client_script(
        python,
        &clients_dir().join("python/proxy_produce.py"),
        &[
            env.app.address.as_str(),
            env.proxy.as_str(),
            prefix.as_str(),
        ],
        "confluent-kafka's serializers failed through warden proxy",
    )
    .await;
}
