//! Confluent's Python serializers (confluent-kafka, installed by `tests/clients/setup.sh`)
//! producing to and consuming from a real broker through Warden, unchanged, as users run
//! them.

use std::path::PathBuf;
use std::process::Command;

use warden_testkit::kafka::Broker;
use warden_testkit::spawn_app;

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("clients")
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_serializers_round_trip_avro_json_and_protobuf_through_a_broker() {
    let python = tokio::task::spawn_blocking(|| {
        let setup = Command::new("bash")
            .arg(clients_dir().join("setup.sh"))
            .status()
            .expect("bash runs tests/clients/setup.sh");
        assert!(setup.success(), "tests/clients/setup.sh failed");
        clients_dir().join(".venv/bin/python")
    })
    .await
    .unwrap();
    let broker = tokio::task::spawn_blocking(Broker::start).await.unwrap();
    for format in ["avro", "json", "protobuf"] {
        broker.create_topic(&format!("py-{format}")).await;
    }
    let app = spawn_app().await;
    let output = tokio::process::Command::new(python)
        .arg(clients_dir().join("python/kafka_roundtrip.py"))
        .args([&app.address, &broker.bootstrap_servers, "py"])
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "confluent-kafka's serializers failed through Warden:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all passed"), "{stdout}");
}
