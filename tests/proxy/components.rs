//! Components of the TLS and SASL tests: certificates made with rcgen, and stunnel
//! terminating TLS in front of a Tansu broker (`warden_testkit::kafka::Broker`, started with
//! the options a test needs: `--authentication`, another advertised address). Tansu 0.6
//! takes `--cert` and `--key` but its listener serves plain TCP only (the acceptor it builds
//! is never used), so a TLS broker is Tansu behind stunnel, as a TLS terminator in front of a
//! broker is deployed.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// A CA, a server certificate it signed for `localhost` and `127.0.0.1`, and a client
/// certificate it signed; PEM files in a temporary directory.
pub(crate) struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// A new CA and its certificates.
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let ca_key = KeyPair::generate().expect("a key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Warden test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).expect("the CA certificate");
        let leaf = |names: Vec<String>, cn: &str, usage: ExtendedKeyUsagePurpose| {
            let key = KeyPair::generate().expect("a key");
            let mut params = CertificateParams::new(names).expect("params");
            params.distinguished_name.push(DnType::CommonName, cn);
            params.extended_key_usages = vec![usage];
            let cert = params
                .signed_by(&key, &ca_cert, &ca_key)
                .expect("a signed certificate");
            (cert.pem(), key.serialize_pem())
        };
        let (server, server_key) = leaf(
            vec!["localhost".into(), "127.0.0.1".into()],
            "localhost",
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client, client_key) = leaf(
            Vec::new(),
            "warden-proxy-client",
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        for (name, pem) in [
            ("ca.pem", ca_cert.pem()),
            ("server.pem", server),
            ("server.key", server_key),
            ("client.pem", client),
            ("client.key", client_key),
        ] {
            std::fs::write(dir.path().join(name), pem).expect("a PEM file");
        }
        Self { dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn ca(&self) -> PathBuf {
        self.file("ca.pem")
    }

    pub(crate) fn server_cert(&self) -> PathBuf {
        self.file("server.pem")
    }

    pub(crate) fn server_key(&self) -> PathBuf {
        self.file("server.key")
    }

    pub(crate) fn client_cert(&self) -> PathBuf {
        self.file("client.pem")
    }

    pub(crate) fn client_key(&self) -> PathBuf {
        self.file("client.key")
    }

    /// The proxy's client-side TLS with the server certificate.
    pub(crate) fn proxy_tls(&self, client_ca: bool) -> warden_proxy::ClientTls {
        warden_proxy::ClientTls {
            cert: self.server_cert(),
            key: self.server_key(),
            client_ca: client_ca.then(|| self.ca()),
        }
    }
}

/// A child process stopped (by its PID) when dropped, with its log kept for failures.
struct Process {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Process {
    fn spawn(name: &'static str, command: &mut Command, log: PathBuf) -> Self {
        let file = std::fs::File::create(&log).expect("log file");
        let child = command
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        Self { name, child, log }
    }

    /// Waits until `address` accepts connections (at most 30 s).
    fn wait_for(&mut self, address: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(address).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("{} exited at start ({status}):\n{log}", self.name);
            }
            assert!(
                Instant::now() < deadline,
                "{} did not accept connections on {address} within 30 s",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// stunnel accepting TLS on `address` and forwarding plain TCP to a broker; with
/// `client_ca`, clients must present a certificate that CA signed (mutual TLS).
pub(crate) struct Stunnel {
    _process: Process,
    _dir: tempfile::TempDir,
}

impl Stunnel {
    pub(crate) fn start(address: &str, upstream: &str, pki: &Pki, client_ca: bool) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut conf = format!(
            "foreground = yes\npid =\ndebug = notice\n\n[kafka]\naccept = {address}\n\
             connect = {upstream}\ncert = {}\nkey = {}\n",
            pki.server_cert().display(),
            pki.server_key().display()
        );
        if client_ca {
            conf.push_str(&format!(
                "CAfile = {}\nverifyChain = yes\nrequireCert = yes\n",
                pki.ca().display()
            ));
        }
        let path = dir.path().join("stunnel.conf");
        std::fs::write(&path, conf).expect("the stunnel configuration");
        let binary = if Command::new("stunnel4")
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
        {
            "stunnel4"
        } else {
            "stunnel"
        };
        let mut command = Command::new(binary);
        command.arg(&path);
        let mut process = Process::spawn("stunnel", &mut command, dir.path().join("stunnel.log"));
        process.wait_for(address);
        Self {
            _process: process,
            _dir: dir,
        }
    }
}
