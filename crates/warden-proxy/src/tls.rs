//! TLS on both sides of the proxy, with rustls (ring as the crypto provider):
//!
//! - **client side**: clients connect to the bootstrap listener and to every per-broker
//!   listener over TLS with the proxy's certificate ([`ClientTls`]); with a client CA,
//!   clients must present a certificate signed by it (mutual TLS);
//! - **broker side**: the proxy connects to the brokers over TLS ([`BrokerTls`]), verifying
//!   each broker's certificate against the given CA (or the system's trust store) and the
//!   broker's host name (the bootstrap server's host, or the host a `Metadata` answer gives),
//!   optionally presenting a client certificate.
//!
//! Files are PEM: certificate chains leaf first; keys PKCS#8, PKCS#1 or SEC1.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::error::{ProxyError, Result};

/// How long a client or broker has to complete a TLS handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// TLS toward the clients (`--tls-cert`, `--tls-key`, `--tls-client-ca`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTls {
    /// The proxy's certificate chain, PEM, leaf first. Its names must cover the advertised
    /// host, since clients verify every broker address the proxy gives them against it.
    pub cert: PathBuf,
    /// The certificate's private key, PEM.
    pub key: PathBuf,
    /// CA certificates (PEM) of the client certificates accepted; when set, every client must
    /// present one (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

/// TLS toward the brokers (`--broker-tls`, `--broker-ca`, `--broker-cert`, `--broker-key`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerTls {
    /// CA certificates (PEM) the brokers' certificates are verified against; default: the
    /// system's trust store.
    pub ca: Option<PathBuf>,
    /// A client certificate chain (PEM) presented to brokers that ask for one (mutual TLS).
    pub cert: Option<PathBuf>,
    /// The client certificate's private key, PEM.
    pub key: Option<PathBuf>,
}

fn file_error(what: &str, path: &Path, reason: impl std::fmt::Display) -> ProxyError {
    ProxyError::Config(format!("TLS {what} {}: {reason}", path.display()))
}

fn certificates(what: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    std::fs::File::open(path).map_err(|e| file_error(what, path, e))?;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(what, path, e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| file_error(what, path, e))?;
    if certs.is_empty() {
        return Err(file_error(what, path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    std::fs::File::open(path).map_err(|e| file_error("key", path, e))?;
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error("key", path, e))
}

fn roots(what: &str, path: &Path) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(what, path)? {
        roots.add(cert).map_err(|e| file_error(what, path, e))?;
    }
    Ok(roots)
}

fn key_error(cert: &Path, key: &Path, e: rustls::Error) -> ProxyError {
    let reason = match e {
        rustls::Error::InconsistentKeys(_) => "the private key is not the certificate's key".into(),
        other => other.to_string(),
    };
    ProxyError::Config(format!(
        "TLS certificate {} and key {}: {reason}",
        cert.display(),
        key.display()
    ))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl ClientTls {
    /// The rustls server configuration of the client listeners.
    ///
    /// Errors: [`ProxyError::Config`] naming the file that is missing, holds no PEM item, or
    /// whose key is not the certificate's.
    pub(crate) fn server_config(&self) -> Result<ServerConfig> {
        let provider = provider();
        let certs = certificates("certificate", &self.cert)?;
        let key = private_key(&self.key)?;
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| key_error(&self.cert, &self.key, e))?;
        let builder = match &self.client_ca {
            Some(ca) => {
                let verifier = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots("client CA", ca)?),
                    provider,
                )
                .build()
                .map_err(|e| file_error("client CA", ca, e))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        builder
            .with_single_cert(certs, key)
            .map_err(|e| key_error(&self.cert, &self.key, e))
    }
}

impl BrokerTls {
    /// The rustls client configuration of the broker connections.
    ///
    /// Errors: [`ProxyError::Config`] naming the file that is missing or unusable, a client
    /// certificate without its key (or the reverse), or an empty system trust store.
    pub(crate) fn client_config(&self) -> Result<ClientConfig> {
        let roots = match &self.ca {
            Some(ca) => roots("broker CA", ca)?,
            None => {
                let found = rustls_native_certs::load_native_certs();
                let mut roots = RootCertStore::empty();
                let (added, _) = roots.add_parsable_certificates(found.certs);
                if added == 0 {
                    return Err(ProxyError::Config(format!(
                        "--broker-tls: no --broker-ca given and no certificate in the system's \
                         trust store ({:?})",
                        found.errors
                    )));
                }
                roots
            }
        };
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| ProxyError::Config(format!("TLS toward the brokers: {e}")))?
            .with_root_certificates(roots);
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(certificates("broker client certificate", cert)?, {
                    private_key(key)?
                })
                .map_err(|e| key_error(cert, key, e)),
            (None, None) => Ok(builder.with_no_client_auth()),
            _ => Err(ProxyError::Config(
                "--broker-cert and --broker-key go together".into(),
            )),
        }
    }
}

/// A byte stream to a client or a broker, plain or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// The read half of a connection.
pub(crate) type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
/// The write half of a connection.
pub(crate) type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// A connection, TLS or not, split in halves that two tasks can use at once (a plain TCP
/// stream without the lock that a TLS stream's halves share).
pub(crate) enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<dyn Io>),
}

impl Stream {
    pub(crate) fn split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Self::Plain(tcp) => {
                let (read, write) = tcp.into_split();
                (Box::new(read), Box::new(write))
            }
            Self::Tls(tls) => {
                let (read, write) = tokio::io::split(tls);
                (Box::new(read), Box::new(write))
            }
        }
    }

    /// The stream as one object.
    pub(crate) fn into_io(self) -> Box<dyn Io> {
        match self {
            Self::Plain(tcp) => Box::new(tcp),
            Self::Tls(tls) => tls,
        }
    }
}

/// Connects to brokers, over TLS when configured.
#[derive(Clone, Default)]
pub(crate) struct Connector {
    tls: Option<tokio_rustls::TlsConnector>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Connector {
    pub(crate) fn new(tls: Option<&BrokerTls>) -> Result<Self> {
        Ok(Self {
            tls: tls
                .map(|tls| tls.client_config())
                .transpose()?
                .map(|config| tokio_rustls::TlsConnector::from(Arc::new(config))),
        })
    }

    /// A connection to the first of `servers` (`host:port`) that accepts, the TLS handshake
    /// done (the certificate verified against the server's host).
    pub(crate) async fn connect(&self, servers: &[String]) -> Result<Stream> {
        let mut last = None;
        for server in servers {
            match self.connect_one(server).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| ProxyError::Config("no bootstrap servers".into())))
    }

    async fn connect_one(&self, server: &str) -> Result<Stream> {
        let tcp = TcpStream::connect(server)
            .await
            .map_err(|e| ProxyError::io(format!("connect to {server}"), e))?;
        let _ = tcp.set_nodelay(true);
        let Some(tls) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        let name = ServerName::try_from(host_of(server).to_owned())
            .map_err(|e| ProxyError::Config(format!("{server}: not a host name for TLS: {e}")))?;
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.connect(name, tcp)).await {
            Ok(Ok(stream)) => Ok(Stream::Tls(Box::new(stream))),
            Ok(Err(e)) => Err(ProxyError::io(format!("TLS handshake with {server}"), e)),
            Err(_) => Err(ProxyError::io(
                format!("TLS handshake with {server}"),
                std::io::ErrorKind::TimedOut.into(),
            )),
        }
    }
}

/// The host of `host:port` (`[v6]:port` gives `v6`).
fn host_of(server: &str) -> &str {
    let host = server.rsplit_once(':').map_or(server, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Accepts client connections, with the TLS handshake when configured.
#[derive(Clone, Default)]
pub(crate) struct Acceptor {
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor")
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Acceptor {
    pub(crate) fn new(tls: Option<&ClientTls>) -> Result<Self> {
        Ok(Self {
            tls: tls
                .map(ClientTls::server_config)
                .transpose()?
                .map(|config| tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        })
    }

    /// `tcp` as a plain or TLS stream (the handshake done, at most [`HANDSHAKE_TIMEOUT`]).
    pub(crate) async fn accept(&self, tcp: TcpStream) -> std::io::Result<Stream> {
        let Some(tls) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
            Ok(Ok(stream)) => Ok(Stream::Tls(Box::new(stream))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn the_server_name_is_the_host_of_the_address() {
        assert_eq!(host_of("broker-1.example.com:9093"), "broker-1.example.com");
        assert_eq!(host_of("127.0.0.1:9093"), "127.0.0.1");
        assert_eq!(host_of("[::1]:9093"), "::1");
    }
}
