//! A real Kafka-protocol broker for tests: Tansu with in-memory storage on a free loopback
//! port, installed with `cargo install` when it is missing.
//!
//! Tansu's memory storage never frees and its `ListOffsets(LATEST)` answers are not reliable,
//! so tests use unique topic names and count records instead of reading to the high
//! watermark.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The Tansu release the tests run against.
pub const TANSU_VERSION: &str = "0.6.0";

static INSTALL: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The `tansu` binary: on `PATH`, in `$CARGO_HOME/bin`, or installed now with
/// `cargo install tansu --version 0.6.0 --features dynostore --locked` (8–12 minutes; CI
/// installs it before the tests).
pub fn tansu_binary() -> PathBuf {
    let mut installed = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(path) = installed.as_ref() {
        return path.clone();
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"));
    let in_cargo_home = cargo_home.join("bin").join("tansu");
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("tansu"))
            .find(|p| p.is_file())
    });
    let path = match on_path {
        Some(p) => p,
        None if in_cargo_home.is_file() => in_cargo_home,
        None => {
            eprintln!("tansu not found: installing it (cargo install tansu {TANSU_VERSION})");
            let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .args([
                    "install",
                    "tansu",
                    "--version",
                    TANSU_VERSION,
                    "--features",
                    "dynostore",
                    "--locked",
                ])
                .status()
                .expect("cargo runs");
            assert!(status.success(), "cargo install tansu failed: {status}");
            in_cargo_home
        }
    };
    *installed = Some(path.clone());
    path
}

/// A running Tansu broker; stopped when dropped.
#[derive(Debug)]
pub struct Broker {
    /// `127.0.0.1:PORT`, for `bootstrap.servers`.
    pub bootstrap_servers: String,
    child: Child,
    _dir: tempfile::TempDir,
}

/// What a test may change in how [`Broker::start_with`] runs Tansu.
#[derive(Debug, Default, Clone)]
pub struct BrokerOptions {
    /// `HOST:PORT` that `Metadata` answers name for this broker instead of the address it
    /// listens on (a TLS terminator in front of it, for instance).
    pub advertised: Option<String>,
    /// Whether every client must authenticate with SASL first (Tansu's `--authentication`).
    pub authentication: bool,
}

impl Broker {
    /// Starts a broker with memory storage on a free loopback port and waits until it
    /// accepts connections (at most 30 s).
    ///
    /// Panics when tansu cannot be installed or does not start.
    pub fn start() -> Self {
        Self::start_with(&BrokerOptions::default())
    }

    /// [`Broker::start`] with `options`.
    ///
    /// Panics when tansu cannot be installed or does not start (with its log).
    pub fn start_with(options: &BrokerOptions) -> Self {
        let binary = tansu_binary();
        // A directory of its own: tansu reads a `.env` from its working directory.
        let dir = tempfile::tempdir().expect("temporary directory");
        let address = format!("127.0.0.1:{}", crate::free_port());
        let url = format!("tcp://{address}");
        let advertised = format!(
            "tcp://{}",
            options.advertised.as_deref().unwrap_or(&address)
        );
        let log = std::fs::File::create(dir.path().join("tansu.log")).expect("log file");
        let mut command = Command::new(&binary);
        command.current_dir(dir.path()).args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &advertised,
            "--storage-engine",
            "memory://tansu/",
        ]);
        if options.authentication {
            command.arg("--authentication");
        }
        let child = command
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        let mut broker = Broker {
            bootstrap_servers: address,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(&broker.bootstrap_servers).is_ok() {
                return broker;
            }
            if let Ok(Some(status)) = broker.child.try_wait() {
                let log = std::fs::read_to_string(broker._dir.path().join("tansu.log"))
                    .unwrap_or_default();
                panic!("tansu exited at start ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "tansu did not accept connections within 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Broker {
    /// The broker process's id (for reading its CPU time from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Creates a topic with one partition (Tansu does not create topics on first use).
    ///
    /// Panics when the broker refuses.
    pub async fn create_topic(&self, name: &str) {
        use rdkafka::ClientConfig;
        use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
        use rdkafka::client::DefaultClientContext;

        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap_servers)
            .create()
            .expect("admin client");
        let results = admin
            .create_topics(
                &[NewTopic::new(name, 1, TopicReplication::Fixed(1))],
                &AdminOptions::new(),
            )
            .await
            .expect("create topics");
        for r in results {
            r.unwrap_or_else(|(t, e)| panic!("topic {t} not created: {e}"));
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        // Memory storage: nothing to flush, so no graceful stop is needed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
