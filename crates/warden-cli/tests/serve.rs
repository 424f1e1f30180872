//! `warden serve` as a process: start, clean shutdown on SIGTERM and SIGINT, and one clear
//! line when it cannot start.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "warden never listened on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stops_cleanly_on(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let db = dir.path().join("warden.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &format!("sqlite://{}", db.display())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(port);
    assert!(db.exists(), "the database is created on first start");
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{signal}: exit status {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("warden did not stop within 10 s of {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    stops_cleanly_on("TERM");
}

#[test]
fn sigint_stops_the_server_cleanly() {
    stops_cleanly_on("INT");
}

fn start_error(database_url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{database_url} must not start");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn an_unsupported_or_unreachable_database_fails_at_start_with_one_line() {
    let unsupported = start_error("mysql://localhost/registry");
    assert_eq!(unsupported.lines().count(), 1, "{unsupported}");
    assert!(
        unsupported.starts_with("warden: cannot open the database: unsupported database URL"),
        "{unsupported}"
    );
    let unreachable = start_error(&format!("postgres://postgres@127.0.0.1:{}/x", free_port()));
    assert_eq!(unreachable.lines().count(), 1, "{unreachable}");
    assert!(unreachable.contains("Connection refused"), "{unreachable}");
}
