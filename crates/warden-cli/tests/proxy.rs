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

/// A self-signed certificate for `127.0.0.1` and its key, as PEM files in `dir`; returns the
/// certificate (DER) for a client to trust.
fn self_signed(dir: &std::path::Path) -> Vec<u8> {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(dir.join("proxy.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("proxy.key"), key.serialize_pem()).unwrap();
    cert.der().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_binary_takes_tls_from_flags_environment_and_its_section_and_refuses_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let trusted = self_signed(dir.path());
    let path = |name: &str| dir.path().join(name).display().to_string();
    let base = [
        "proxy",
        "--bootstrap-servers",
        "127.0.0.1:1",
        "--registry-url",
        "http://127.0.0.1:9",
    ];

    // A certificate without its key is a usage error.
    let cert = path("proxy.pem");
    let alone = warden(&[&base[..], &["--tls-cert", &cert]].concat(), "", &[]);
    assert_eq!(alone.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&alone.stderr).contains("--tls-key"));

    // Files that do not load are named, exit 2, before anything listens.
    let missing = path("missing.pem");
    let failed = warden(
        &base,
        "",
        &[
            ("WARDEN_PROXY_TLS_CERT", missing.as_str()),
            ("WARDEN_PROXY_TLS_KEY", path("proxy.key").as_str()),
        ],
    );
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("TLS certificate") && stderr.contains("missing.pem"),
        "{stderr}"
    );
    let not_a_ca = path("proxy.key");
    let failed = warden(&[&base[..], &["--broker-ca", &not_a_ca]].concat(), "", &[]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("broker CA") && stderr.contains("proxy.key"),
        "{stderr}"
    );

    // TLS from the [proxy] section: a Kafka client speaking TLS gets the broker's answer.
    let broker = Broker::start();
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[proxy]\nbootstrap-servers = \"{}\"\nregistry-url = \"http://127.0.0.1:9\"\n\
             tls-cert = \"{}\"\ntls-key = \"{}\"\n",
            broker.bootstrap_servers,
            path("proxy.pem"),
            path("proxy.key")
        ),
    )
    .unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let _proxy = Running(
        Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(["proxy", "--config", config.to_str().unwrap()])
            .env("WARDEN_PROXY_LISTEN", &listen)
            .env(
                "WARDEN_PROXY_ADMIN_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
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
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.into()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(&listen).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(client))
        .connect("127.0.0.1".try_into().unwrap(), tcp)
        .await
        .expect("the TLS handshake with the proxy");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // ApiVersions v0: size, api key 18, version 0, correlation id 7, no client id.
    tls.write_all(&[0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 7, 0xff, 0xff])
        .await
        .unwrap();
    let mut size = [0u8; 4];
    tls.read_exact(&mut size).await.expect("an answer over TLS");
    let mut answer = vec![0u8; u32::from_be_bytes(size) as usize];
    tls.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer[..4], &[0, 0, 0, 7], "the correlation id");
    assert_eq!(&answer[4..6], &[0, 0], "ApiVersions answered without error");
}

/// `VmSize` or `VmRSS` (`field`) of process `pid`, in KiB, from `/proc/PID/status`.
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("a live process");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// Connections that declare a 100 MiB request (the largest a frame may be) and send only a
/// few bytes of it do not make the proxy take 100 MiB each: its memory follows the bytes
/// that arrive. A proxy that reserved the declared size would take 3.2 GiB for these 32
/// connections, which under `ulimit -v`, a strict overcommit policy
/// (`vm.overcommit_memory=2`) or a container's limit ends the proxy for every client; here
/// its address space (`VmSize`, which those limits count) grows by less than 1 GiB and it
/// still answers.
#[test]
fn connections_that_declare_huge_requests_and_send_little_do_not_take_the_declared_memory() {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let broker = Broker::start();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut proxy = Running(
        Command::new(env!("CARGO_BIN_EXE_warden"))
            .args([
                "proxy",
                "--bootstrap-servers",
                &broker.bootstrap_servers,
                "--registry-url",
                "http://127.0.0.1:9",
            ])
            .env("WARDEN_PROXY_LISTEN", &listen)
            .env(
                "WARDEN_PROXY_ADMIN_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("warden proxy runs"),
    );
    let pid = proxy.0.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&listen).is_err() {
        assert!(Instant::now() < deadline, "the proxy listens within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    // ApiVersions v0 (size, api key 18, version 0, correlation id 7, no client id), answered
    // by the broker through the proxy.
    let api_versions = |listen: &str| {
        let mut stream = TcpStream::connect(listen).expect("the proxy accepts");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(&[0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 7, 0xff, 0xff])
            .unwrap();
        let mut size = [0u8; 4];
        stream.read_exact(&mut size).expect("an answer");
        let mut answer = vec![0u8; u32::from_be_bytes(size) as usize];
        stream.read_exact(&mut answer).unwrap();
        assert_eq!(&answer[..6], &[0, 0, 0, 7, 0, 0], "ApiVersions answered");
    };
    api_versions(&listen);
    let before = proc_kib(pid, "VmSize");

    let declared: u32 = 100 * 1024 * 1024;
    let mut open = Vec::new();
    for _ in 0..32 {
        let mut stream = TcpStream::connect(&listen).expect("the proxy accepts");
        stream.write_all(&declared.to_be_bytes()).unwrap();
        // The start of a Produce request header: api key 0, version 9, correlation id 1.
        stream.write_all(&[0, 0, 0, 9, 0, 0, 0, 1]).unwrap();
        open.push(stream);
    }
    // The proxy reads what came on every connection; give it time, watching its size.
    let mut grown = 0;
    let settle = Instant::now() + Duration::from_secs(2);
    while Instant::now() < settle {
        if let Ok(Some(status)) = proxy.0.try_wait() {
            panic!("the proxy ended ({status}) while connections declared 100 MiB requests");
        }
        grown = grown.max(proc_kib(pid, "VmSize").saturating_sub(before));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        grown < 1024 * 1024,
        "32 connections of 12 bytes each grew the proxy's address space by {} MiB \
         (VmRSS {} MiB)",
        grown / 1024,
        proc_kib(pid, "VmRSS") / 1024
    );
    api_versions(&listen);
    drop(open);
}
