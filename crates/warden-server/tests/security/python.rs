//! Confluent's Python client and Avro serializers over HTTPS, with basic auth and with a
//! bearer token signed here, as users configure them (`basic.auth.user.info`,
//! `bearer.auth.token`).

use std::path::PathBuf;
use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Auth, Issuer, Pki, avro, call, now, settings, start, tls_client, users_file};

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients")
}

/// The Python of `tests/clients/.venv` with confluent-kafka (`tests/clients/setup.sh`,
/// which `.ci/run` runs, is run here when it has not run yet).
fn python() -> PathBuf {
    let setup = Command::new("bash")
        .arg(clients_dir().join("setup.sh"))
        .status()
        .expect("bash runs tests/clients/setup.sh");
    assert!(setup.success(), "tests/clients/setup.sh failed");
    clients_dir().join(".venv/bin/python")
}

async fn run(mode: &str) {
    let python = tokio::task::spawn_blocking(python).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("CA");
    let (cert, key) = pki.server("warden").write(dir.path(), "server");
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let users = users_file(
        dir.path(),
        &[("alice", "alice-pw", &[]), ("admin", "admin-pw", &[])],
    );
    let issuer = Issuer::new("k1");
    let jwks = issuer.write_jwks(dir.path());
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server.tls]
cert = "{}"
key = "{}"

[server.auth]
users_file = "{}"

[server.auth.jwt]
jwks_file = "{}"
audience = ["warden"]

[[server.auth.rules]]
principals = ["alice"]
operations = ["read", "write"]
subjects = ["secure-*"]

[[server.auth.rules]]
principals = ["admin"]
operations = ["admin"]
"#,
            cert.display(),
            key.display(),
            users.display(),
            jwks.display()
        ),
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.config = Some(config);
    let server = start(tempfile::tempdir().unwrap(), s).await;
    let admin = tls_client(&pki.ca_pem, None);
    let r = call(
        &admin,
        Method::POST,
        &format!("{}/subjects/secret-value/versions", server.base),
        &Auth::Basic("admin", "admin-pw"),
        Some(avro("Secret", &["x"])),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let credential = match mode {
        "basic" => "alice:alice-pw".to_owned(),
        _ => issuer.token(
            "k1",
            &json!({"sub": "alice", "aud": "warden", "exp": now() + 600}),
        ),
    };
    let output = tokio::process::Command::new(python)
        .arg(clients_dir().join("python/secure_client.py"))
        .arg(&server.base)
        .arg(&ca)
        .arg(mode)
        .arg(credential)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "confluent-kafka over HTTPS with {mode} auth:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all passed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_client_works_over_https_with_basic_auth() {
    run("basic").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_client_works_over_https_with_a_bearer_token() {
    run("bearer").await;
}
