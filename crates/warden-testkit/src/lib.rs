//! Test support: [`spawn_app`] starts the real registry on a free loopback port with a fresh
//! SQLite file, and [`TestApp`] has one method per endpoint so tests read like a script.
//!
//! Logs are printed only when `TEST_LOG` is set. [`postgres::TempPostgres`] starts a private
//! PostgreSQL for tests that need one; [`kafka::Broker`] a Tansu broker; [`clients`] runs
//! Confluent's own clients.

pub mod clients;
pub mod kafka;
pub mod postgres;

/// A loopback port that was free a moment ago (bound, read, closed).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

use std::sync::Once;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// A running registry and a client for it. The server task and the temporary directory live
/// as long as this value.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// The HTTP client used by the helpers.
    pub client: Client,
    /// The database URL the server uses.
    pub database_url: String,
    _dir: tempfile::TempDir,
    server: Option<tokio::task::JoinHandle<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    /// Stops the registry as SIGTERM would: no new connections, idle ones closed, in-flight
    /// requests finished. Clients see connection errors afterwards.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A response: status and parsed JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Content-Type header.
    pub content_type: String,
    /// Parsed body.
    pub body: Value,
    /// Raw body text.
    pub text: String,
}

impl Reply {
    /// The Confluent `error_code` of an error body, or 0.
    pub fn error_code(&self) -> i64 {
        self.body["error_code"].as_i64().unwrap_or(0)
    }
}

static TRACING: Once = Once::new();

fn init_tracing() {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
                .with_test_writer()
                .try_init();
        }
    });
}

/// Starts the registry on `127.0.0.1:0` with a fresh SQLite database in a temporary
/// directory.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with a chance to change the settings first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut warden_server::Settings)) -> TestApp {
    init_tracing();
    let dir = tempfile::tempdir().expect("temporary directory");
    let database_url = format!("sqlite://{}", dir.path().join("warden.db").display());
    let mut settings = warden_server::Settings::for_database(&database_url);
    configure(&mut settings);
    let app = warden_server::Application::build(&settings)
        .await
        .expect("the registry starts");
    let port = app.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = app
            .run_until(async move {
                let _ = stopped.await;
            })
            .await;
    });
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: Client::new(),
        database_url,
        _dir: dir,
        server: Some(server),
        stop: Some(stop),
    }
}

/// Percent-encodes a subject for a path segment, as Confluent clients do (`/` → `%2F`).
pub fn encode(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    for b in subject.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl TestApp {
    /// Sends a request with an optional JSON body and the registry content type.
    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .header("Accept", "application/vnd.schemaregistry.v1+json");
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .body(b.to_string());
        }
        Self::reply(req.send().await.expect("request sent")).await
    }

    /// Sends raw bytes with the given content type (None: no Content-Type header).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        Self::reply(req.send().await.expect("request sent")).await
    }

    async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = resp.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            body,
            text,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Reply {
        self.request(Method::DELETE, path, None).await
    }

    /// `POST /subjects/{subject}/versions` with an Avro schema text.
    pub async fn register(&self, subject: &str, schema: &str) -> Reply {
        self.register_body(subject, &json!({ "schema": schema }))
            .await
    }

    /// `POST /subjects/{subject}/versions` with a full body.
    pub async fn register_body(&self, subject: &str, body: &Value) -> Reply {
        self.request(
            Method::POST,
            &format!("/subjects/{}/versions", encode(subject)),
            Some(body),
        )
        .await
    }

    /// Registers and returns the id, panicking with the body when it fails.
    pub async fn register_ok(&self, subject: &str, schema: &str) -> i64 {
        let r = self.register(subject, schema).await;
        assert_eq!(r.status, StatusCode::OK, "register {subject}: {}", r.text);
        r.body["id"].as_i64().expect("id")
    }

    /// `POST /subjects/{subject}` (lookup).
    pub async fn lookup(&self, subject: &str, schema: &str) -> Reply {
        self.request(
            Method::POST,
            &format!("/subjects/{}", encode(subject)),
            Some(&json!({ "schema": schema })),
        )
        .await
    }

    /// `GET /subjects/{subject}/versions/{version}`.
    pub async fn version(&self, subject: &str, version: &str) -> Reply {
        self.get(&format!("/subjects/{}/versions/{version}", encode(subject)))
            .await
    }

    /// `POST /compatibility/subjects/{subject}/versions[/{version}]?verbose=true`.
    pub async fn check(&self, subject: &str, version: Option<&str>, schema: &str) -> Reply {
        let path = match version {
            Some(v) => format!(
                "/compatibility/subjects/{}/versions/{v}?verbose=true",
                encode(subject)
            ),
            None => format!(
                "/compatibility/subjects/{}/versions?verbose=true",
                encode(subject)
            ),
        };
        self.request(Method::POST, &path, Some(&json!({ "schema": schema })))
            .await
    }

    /// `PUT /config[/{subject}]` with a level.
    pub async fn set_level(&self, subject: Option<&str>, level: &str) -> Reply {
        let path = match subject {
            Some(s) => format!("/config/{}", encode(s)),
            None => "/config".to_owned(),
        };
        self.request(Method::PUT, &path, Some(&json!({ "compatibility": level })))
            .await
    }

    /// `PUT /mode[/{subject}]`.
    pub async fn set_mode(&self, subject: Option<&str>, mode: &str, force: bool) -> Reply {
        let base = match subject {
            Some(s) => format!("/mode/{}", encode(s)),
            None => "/mode".to_owned(),
        };
        let path = if force {
            format!("{base}?force=true")
        } else {
            base
        };
        self.request(Method::PUT, &path, Some(&json!({ "mode": mode })))
            .await
    }
}
