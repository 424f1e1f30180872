//! Confluent's own clients run as users run them: the Python `confluent-kafka` of
//! `tests/clients/.venv` and scripts under `tests/clients/`, each printing `all passed`
//! when every step agreed with Warden.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `tests/clients/`: the client scripts, their setup scripts and the Python venv.
pub fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients")
}

/// The Python of `tests/clients/.venv` with confluent-kafka installed by
/// `tests/clients/setup.sh` (run here, a no-op when `.ci/run` has run it already).
///
/// Panics when the setup fails. Blocking: call it from `spawn_blocking`.
pub fn python_with_confluent_kafka() -> PathBuf {
    run_setup("setup.sh");
    clients_dir().join(".venv/bin/python")
}

/// `node` with Confluent's Node clients installed into `tests/clients/node/node_modules` by
/// `tests/clients/node/setup.sh` (run here, a no-op when `.ci/run` has run it already).
///
/// Panics when the setup fails. Blocking: call it from `spawn_blocking`.
pub fn node_with_confluent_clients() -> PathBuf {
    run_setup("node/setup.sh");
    PathBuf::from("node")
}

/// Runs the setup script `tests/clients/{script}`; panics unless it succeeds.
fn run_setup(script: &str) {
    let setup = Command::new("bash")
        .arg(clients_dir().join(script))
        .status()
        .unwrap_or_else(|e| panic!("bash cannot run tests/clients/{script}: {e}"));
    assert!(setup.success(), "tests/clients/{script} failed");
}

/// Runs `program script args…` and fails the test, with the client's own output and
/// `what` it was doing, unless it exits 0 and prints `all passed`.
pub async fn run_client_script<A: AsRef<OsStr>>(
    program: impl AsRef<OsStr>,
    script: &Path,
    args: &[A],
    what: &str,
) {
    let output = tokio::process::Command::new(program)
        .arg(script)
        .args(args)
        .output()
        .await
        .expect("the client runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{what}:\n{stdout}\n{stderr}");
    assert!(stdout.contains("all passed"), "{what}: {stdout}");
}
