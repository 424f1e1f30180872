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

/// `line` without its ANSI escape sequences (the log colours its fields).
fn without_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An escape runs to its final letter (`\x1b[2m`).
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `warden serve` on the SQLite database `db`, on a port it picks itself
/// (`--listen 127.0.0.1:0`: a port picked here and freed before the server binds it could
/// be taken by another test's server in between), and that port, read from its log line
/// `warden registry listening port=N`. The rest of its log is read and dropped.
fn serve(db: &std::path::Path) -> (std::process::Child, u16) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--database-url", &format!("sqlite://{}", db.display())])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let port = lines
        .by_ref()
        .map_while(Result::ok)
        .map(|line| without_ansi(&line))
        .find_map(|line| {
            let (_, port) = line.split_once("warden registry listening port=")?;
            port.trim().parse().ok()
        })
        .expect("warden logs the port it listens on");
    std::thread::spawn(move || lines.for_each(drop));
    (child, port)
}

fn stops_cleanly_on(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("warden.db");
    let (mut child, port) = serve(&db);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "warden answers on the port it logged"
    );
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
