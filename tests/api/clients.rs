//! Confluent's own clients against Warden: the tests run them unchanged, as users do, and
//! fail with the client's own output on the first call Warden answers differently.

use warden_testkit::clients::{
    clients_dir, node_with_confluent_clients, python_with_confluent_kafka, run_client_script,
};
use warden_testkit::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_client_and_serializers_work_against_warden() {
    let python = tokio::task::spawn_blocking(python_with_confluent_kafka)
        .await
        .unwrap();
    let app = spawn_app().await;
    run_client_script(
        python,
        &clients_dir().join("python/registry_client.py"),
        &[&app.address],
        "confluent-kafka failed against Warden",
    )
    .await;
}

/// Runs `tests/clients/node/{script}` against a fresh registry and fails with the
/// client's own output unless every step passed.
async fn run_node_client(script: &str) {
    let node = tokio::task::spawn_blocking(node_with_confluent_clients)
        .await
        .unwrap();
    let app = spawn_app().await;
    run_client_script(
        node,
        &clients_dir().join("node").join(script),
        &[&app.address],
        &format!("{script} failed against Warden"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_node_client_and_serializers_work_against_warden() {
    run_node_client("confluent_schemaregistry.js").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kafkajs_node_client_works_against_warden() {
    run_node_client("kafkajs_schema_registry.js").await;
}
