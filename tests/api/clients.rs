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
