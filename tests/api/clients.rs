//! Confluent's own clients against Warden: the tests run them unchanged, as users do, and
//! fail with the client's own output on the first call Warden answers differently.

use std::path::PathBuf;
use std::process::Command;

use warden_testkit::spawn_app;

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// The Python of `tests/clients/.venv`, with confluent-kafka installed by
/// `tests/clients/setup.sh` (run here when `.ci/run` has not run it yet).
fn python_with_confluent_kafka() -> PathBuf {
    let setup = Command::new("bash")
        .arg(clients_dir().join("setup.sh"))
        .status()
        .expect("bash runs tests/clients/setup.sh");
    assert!(setup.success(), "tests/clients/setup.sh failed");
    clients_dir().join(".venv/bin/python")
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_client_and_serializers_work_against_warden() {
    let python = tokio::task::spawn_blocking(python_with_confluent_kafka)
        .await
        .unwrap();
    let app = spawn_app().await;
    let output = tokio::process::Command::new(python)
        .arg(clients_dir().join("python/registry_client.py"))
        .arg(&app.address)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "confluent-kafka failed against Warden:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all passed"), "{stdout}");
}

/// `node` with Confluent's Node clients installed into `tests/clients/node/node_modules`
/// by `tests/clients/node/setup.sh` (run here when `.ci/run` has not run it yet).
fn node_with_confluent_clients() -> PathBuf {
    let setup = Command::new("bash")
        .arg(clients_dir().join("node/setup.sh"))
        .status()
        .expect("bash runs tests/clients/node/setup.sh");
    assert!(setup.success(), "tests/clients/node/setup.sh failed");
    PathBuf::from("node")
}

/// Runs `tests/clients/node/{script}` against a fresh registry and fails with the
/// client's own output unless every step passed.
async fn run_node_client(script: &str) {
    let node = tokio::task::spawn_blocking(node_with_confluent_clients)
        .await
        .unwrap();
    let app = spawn_app().await;
    let output = tokio::process::Command::new(node)
        .arg(clients_dir().join("node").join(script))
        .arg(&app.address)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed against Warden:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all passed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_node_client_and_serializers_work_against_warden() {
    run_node_client("confluent_schemaregistry.js").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kafkajs_node_client_works_against_warden() {
    run_node_client("kafkajs_schema_registry.js").await;
}
