//! The `warden proxy` binary between `warden produce` and a real broker (Tansu), configured
//! from a `[proxy]` section and environment variables, and `warden usage --proxy` merging
//! its figures with the registry's versions.

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use warden_testkit::kafka::Broker;
use warden_testkit::{free_port, spawn_app};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn warden(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warden runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const AVRO: &str = r#"{"type":"record","name":"Signup","namespace":"acme","fields":[
  {"name":"id","type":"string"},{"name":"quantity","type":"int"}]}"#;
const OTHER: &str = r#"{"type":"record","name":"Unused","fields":[{"name":"x","type":"int"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_binary_validates_and_warden_usage_lists_the_unused_versions() {
    let broker = Broker::start();
    let app = spawn_app().await;
    let topic = "signups-through-proxy";
    broker.create_topic(topic).await;
    for (subject, schema) in [
        (format!("{topic}-value"), AVRO),
        ("unused-value".into(), OTHER),
    ] {
        let registered = app
            .register_body(&subject, &json!({"schema": schema}))
            .await;
        assert_eq!(registered.status, 200, "{}", registered.text);
    }

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[proxy]\nbootstrap-servers = \"{}\"\n\n[[proxy.policies]]\ntopic = \"signups-*\"\naction = \"reject\"\n",
            broker.bootstrap_servers
        ),
    )
    .unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let admin = format!("127.0.0.1:{}", free_port());
    let proxy = Running(
        Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(["proxy", "--config", config.to_str().unwrap()])
            .env("WARDEN_PROXY_LISTEN", &listen)
            .env("WARDEN_PROXY_ADMIN_LISTEN", &admin)
            .env("WARDEN_PROXY_REGISTRY_URL", &app.address)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("warden proxy runs"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(Instant::now() < deadline, "the proxy listens within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }

    let lines = format!(
        "{}\n{}\n",
        json!({"id": "a", "quantity": 1}),
        json!({"id": "b", "quantity": 2})
    );
    let produced = warden(
        &["produce", "--topic", topic, "--format", "avro"],
        &lines,
        &[
            ("WARDEN_BOOTSTRAP_SERVERS", listen.as_str()),
            ("WARDEN_REGISTRY_URL", app.address.as_str()),
        ],
    );
    let stderr = String::from_utf8_lossy(&produced.stderr);
    assert!(produced.status.success(), "{stderr}");
    assert!(stderr.contains("produced 2 records"), "{stderr}");

    let usage = warden(
        &[
            "usage",
            "--proxy",
            &format!("http://{admin}"),
            "--registry-url",
            &app.address,
            "--unused-for",
            "1h",
        ],
        "",
        &[],
    );
    let stdout = String::from_utf8_lossy(&usage.stdout);
    assert!(
        usage.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&usage.stderr)
    );
    let (seen, unused) = stdout.split_once("UNUSED FOR").expect("two sections");
    assert!(
        seen.lines()
            .any(|l| l.starts_with(&format!("{topic}-value\t1\t2\t"))),
        "the produced subject, schema id 1, 2 records: {stdout}"
    );
    assert!(
        unused.lines().any(|l| l == "unused-value\t1\t2"),
        "the never-used version is listed: {stdout}"
    );
    assert!(
        !unused.contains(topic),
        "the used version is not listed: {stdout}"
    );
    drop(proxy);
}
