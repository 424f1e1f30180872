//! A registry started with security settings on a free loopback port, certificates made
//! with rcgen, JWTs signed with a key made here, and users added to a users file.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use warden_server::{Application, Settings};

/// A running registry; stopped when dropped.
pub(crate) struct Server {
    pub(crate) base: String,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Settings on a fresh SQLite file in `dir`.
pub(crate) fn settings(dir: &Path) -> Settings {
    Settings::for_database(format!("sqlite://{}", dir.join("warden.db").display()))
}

/// Starts the registry with `settings` (the directory is kept with the server).
pub(crate) async fn start(dir: tempfile::TempDir, settings: Settings) -> Server {
    let app = Application::build(&settings)
        .await
        .expect("the registry starts");
    let scheme = if settings.tls_cert.is_some() || tls_in_config(&settings) {
        "https"
    } else {
        "http"
    };
    let base = format!("{scheme}://localhost:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = app
            .run_until(async {
                let _ = stopped.await;
            })
            .await;
    });
    Server {
        base,
        _dir: dir,
        stop: Some(stop),
        task: Some(task),
    }
}

fn tls_in_config(settings: &Settings) -> bool {
    settings
        .config
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .is_some_and(|t| t.contains("[server.tls]"))
}

/// A reply: status, `WWW-Authenticate` values, and the JSON body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) challenges: Vec<String>,
    pub(crate) body: Value,
}

impl Reply {
    pub(crate) fn code(&self) -> i64 {
        self.body["error_code"].as_i64().unwrap_or(0)
    }
}

/// Credentials of a request.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    None,
    Basic(&'static str, &'static str),
    Bearer(String),
}

/// Sends one request.
pub(crate) async fn call(
    client: &Client,
    method: Method,
    url: &str,
    auth: &Auth,
    body: Option<Value>,
) -> Reply {
    let mut request = client.request(method, url);
    request = match auth {
        Auth::None => request,
        Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
        Auth::Bearer(token) => request.bearer_auth(token),
    };
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .json(&body);
    }
    let response = request.send().await.expect("the registry answers");
    let status = response.status();
    let challenges = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let text = response.text().await.unwrap_or_default();
    Reply {
        status,
        challenges,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// An Avro record schema named `name` with one field per entry of `fields`.
pub(crate) fn avro(name: &str, fields: &[&str]) -> Value {
    let fields: Vec<Value> = fields
        .iter()
        .map(|f| json!({"name": f, "type": "string", "default": ""}))
        .collect();
    json!({"schema": json!({"type": "record", "name": name, "fields": fields}).to_string()})
}

/// Adds users to a users file in `dir`, as `warden user add` does.
pub(crate) fn users_file(dir: &Path, users: &[(&str, &str, &[&str])]) -> PathBuf {
    let path = dir.join("users");
    for (name, password, groups) in users {
        let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
        warden_server::security::users::add_user(&path, name, password, &groups).unwrap();
    }
    path
}

/// A CA and the certificates it signs.
pub(crate) struct Pki {
    pub(crate) ca_pem: String,
    ca_cert: rcgen::Certificate,
    ca_key: KeyPair,
}

/// A certificate and its key, PEM.
pub(crate) struct Leaf {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
}

impl Pki {
    pub(crate) fn new(name: &str) -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca_cert = params.self_signed(&ca_key).unwrap();
        Self {
            ca_pem: ca_cert.pem(),
            ca_cert,
            ca_key,
        }
    }

    /// A server certificate for `localhost` and 127.0.0.1, with `cn` as its common name.
    pub(crate) fn server(&self, cn: &str) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.ca_cert, &self.ca_key).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A client certificate whose subject CN is `cn`.
    pub(crate) fn client(&self, cn: &str) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.ca_cert, &self.ca_key).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

impl Leaf {
    /// Writes `NAME.crt` and `NAME.key` into `dir`.
    pub(crate) fn write(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, &self.cert_pem).unwrap();
        std::fs::write(&key, &self.key_pem).unwrap();
        (cert, key)
    }

    /// A reqwest identity of this certificate.
    pub(crate) fn identity(&self) -> reqwest::Identity {
        reqwest::Identity::from_pem(format!("{}{}", self.cert_pem, self.key_pem).as_bytes())
            .unwrap()
    }
}

/// A client trusting `ca_pem`, optionally presenting `identity`.
pub(crate) fn tls_client(ca_pem: &str, identity: Option<reqwest::Identity>) -> Client {
    let mut builder = Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap());
    if let Some(identity) = identity {
        builder = builder.identity(identity);
    }
    builder.build().unwrap()
}

/// An ES256 key that signs tokens, and its JWKS.
pub(crate) struct Issuer {
    key: jsonwebtoken::EncodingKey,
    pub(crate) jwks: Value,
}

impl Issuer {
    pub(crate) fn new(kid: &str) -> Self {
        let pair = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let point = pair.public_key_raw();
        assert_eq!(point.len(), 65, "an uncompressed P-256 point");
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let jwks = json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
            "x": b64(&point[1..33]), "y": b64(&point[33..]),
        }]});
        Self {
            key: jsonwebtoken::EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap(),
            jwks,
        }
    }

    /// A token with `claims`, signed with kid `kid`.
    pub(crate) fn token(&self, kid: &str, claims: &Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }

    /// Writes the JWKS to `dir/jwks.json`.
    pub(crate) fn write_jwks(&self, dir: &Path) -> PathBuf {
        let path = dir.join("jwks.json");
        std::fs::write(&path, self.jwks.to_string()).unwrap();
        path
    }
}

/// Seconds since the epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
