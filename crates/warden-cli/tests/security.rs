//! `warden user add` and the online commands against a `warden serve` with TLS, mutual TLS
//! and basic authentication: the CA, the client certificate and the credentials come from
//! flags or from a properties file with Confluent's names.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn warden(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .env_remove("WARDEN_REGISTRY_URL")
        .env_remove("WARDEN_REGISTRY_AUTH")
        .output()
        .unwrap()
}

fn add_user(users: &Path, name: &str, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["user", "add", name, "--password-stdin", "--users-file"])
        .arg(users)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Pki {
    ca: rcgen::Certificate,
    key: KeyPair,
}

impl Pki {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Test CA");
        Self {
            ca: params.self_signed(&key).unwrap(),
            key,
        }
    }

    fn leaf(&self, dir: &Path, name: &str, server: bool) {
        let key = KeyPair::generate().unwrap();
        let sans = if server {
            vec!["localhost".to_owned()]
        } else {
            Vec::new()
        };
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![if server {
            ExtendedKeyUsagePurpose::ServerAuth
        } else {
            ExtendedKeyUsagePurpose::ClientAuth
        }];
        let cert = params.signed_by(&key, &self.ca, &self.key).unwrap();
        std::fs::write(dir.join(format!("{name}.crt")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn user_add_and_the_online_commands_work_against_a_registry_with_tls_and_auth() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let users = d.join("users");
    add_user(&users, "alice", "alice-pw");
    add_user(&users, "admin", "admin-pw");
    let text = std::fs::read_to_string(&users).unwrap();
    assert!(text.contains("alice:$argon2id$"), "{text}");
    assert!(!text.contains("alice-pw"), "no password in clear");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&users).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the users file is private: {mode:o}");
    }

    let pki = Pki::new();
    pki.leaf(d, "localhost", true);
    pki.leaf(d, "svc-orders", false);
    std::fs::write(d.join("ca.crt"), pki.ca.pem()).unwrap();
    let config = d.join("warden.toml");
    std::fs::write(
        &config,
        r#"
# The project file may hold the registry's settings too.
[[server.auth.rules]]
principals = ["admin"]
operations = ["admin"]

[[server.auth.rules]]
principals = ["alice", "svc-orders"]
operations = ["read", "write"]
subjects = ["orders-*"]
"#,
    )
    .unwrap();
    let port = free_port();
    let path = |name: &str| d.join(name).display().to_string();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &format!("sqlite://{}", path("warden.db"))])
            .args(["--config", &path("warden.toml")])
            .args(["--users-file", &path("users")])
            .args([
                "--tls-cert",
                &path("localhost.crt"),
                "--tls-key",
                &path("localhost.key"),
            ])
            .args(["--tls-client-ca", &path("ca.crt")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "warden never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("https://localhost:{port}");
    let ca = std::fs::read(d.join("ca.crt")).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let admin = reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .build()
            .unwrap();
        for subject in ["orders-value", "payments-value"] {
            let r = admin
                .post(format!("{url}/subjects/{subject}/versions"))
                .basic_auth("admin", Some("admin-pw"))
                .json(&serde_json::json!({"schema": "\"string\""}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "admin registers {subject}");
        }
    });
    // The admin sets a level through the CLI.
    let out = warden(&[
        "config",
        "orders-value",
        "BACKWARD",
        "--registry-url",
        &url,
        "--registry-ca",
        &path("ca.crt"),
        "--registry-auth",
        "admin:admin-pw",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let subjects = |extra: &[&str]| {
        let mut args = vec!["subjects"];
        args.extend_from_slice(extra);
        warden(&args)
    };

    // The CA by flag, basic credentials: alice sees only the subjects she may read.
    let out = subjects(&[
        "--registry-url",
        &url,
        "--registry-ca",
        &path("ca.crt"),
        "--registry-auth",
        "alice:alice-pw",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "orders-value\n");
    // A wrong password is the registry's 401.
    let out = subjects(&[
        "--registry-url",
        &url,
        "--registry-ca",
        &path("ca.crt"),
        "--registry-auth",
        "alice:nope",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An untrusted server certificate.
    let out = subjects(&["--registry-url", &url, "--registry-auth", "alice:alice-pw"]);
    assert!(
        !out.status.success(),
        "the server's CA is not a system root"
    );
    // A client certificate instead of a password (mutual TLS).
    let out = subjects(&[
        "--registry-url",
        &url,
        "--registry-ca",
        &path("ca.crt"),
        "--registry-cert",
        &path("svc-orders.crt"),
        "--registry-key",
        &path("svc-orders.key"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "orders-value\n");
    // Everything from a properties file with Confluent's names.
    std::fs::write(
        d.join("registry.properties"),
        format!(
            "schema.registry.url={url}\nbasic.auth.credentials.source=USER_INFO\nbasic.auth.user.info=alice:alice-pw\nschema.registry.ssl.ca.location={}\n",
            path("ca.crt")
        ),
    )
    .unwrap();
    let out = subjects(&["--registry-config", &path("registry.properties")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "orders-value\n");
    drop(server);
}

#[test]
fn serve_with_a_key_that_is_not_the_certificates_stops_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new();
    pki.leaf(d, "localhost", true);
    pki.leaf(d, "other", true);
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args([
            "--database-url",
            &format!("sqlite://{}", d.join("warden.db").display()),
        ])
        .arg("--tls-cert")
        .arg(d.join("localhost.crt"))
        .arg("--tls-key")
        .arg(d.join("other.key"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("localhost.crt"))
        .collect();
    assert_eq!(errors.len(), 1, "one line names the files: {stderr}");
    assert!(errors[0].contains("other.key"), "{stderr}");
}
