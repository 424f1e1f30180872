//! TLS on the listener with rustls (ring as the crypto provider): a certificate chain and
//! key in PEM, and optionally a CA whose client certificates are accepted (mutual TLS).
//! ALPN offers `h2` and `http/1.1`.
//!
//! [`TlsFiles::reload_if_changed`] reads the files again when one changed (and on
//! SIGHUP, see [`crate::security::Security::watch`]); new connections get the new
//! certificate, open ones keep theirs. Files that no longer load are reported and the
//! certificate in force stays.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

use super::watch::FileStamp;

/// `[server.tls]` of `warden.toml` (or `--tls-cert`, `--tls-key`, `--tls-client-ca`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, PEM, leaf first.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// CA certificates (PEM) of the client certificates accepted; mutual TLS when set.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// Which name of a client certificate is its principal: `cn` (the subject's common
    /// name, default; the first SAN when it has none) or `san` (the first DNS, e-mail or
    /// URI subject alternative name).
    #[serde(default)]
    pub client_principal: CertName,
}

/// The name of a client certificate taken as its principal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertName {
    /// The subject's common name.
    #[default]
    Cn,
    /// The first subject alternative name.
    San,
}

/// Why TLS cannot be set up; one line each.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file is missing or unreadable, or holds no PEM item of the expected kind.
    #[error("TLS {what} {path}: {reason}")]
    File {
        /// `certificate`, `key` or `client CA`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused the combination (a key that is not the certificate's, a bad CA).
    #[error("TLS certificate {cert} and key {key}: {reason}")]
    Config {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        reason: String,
    },
}

fn file_error(what: &'static str, path: &Path, reason: impl ToString) -> TlsError {
    TlsError::File {
        what,
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn readable(what: &'static str, path: &Path) -> Result<(), TlsError> {
    std::fs::File::open(path)
        .map(drop)
        .map_err(|e| file_error(what, path, e))
}

fn certificates(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    readable(what, path)?;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(what, path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(what, path, e))?;
    if certs.is_empty() {
        return Err(file_error(what, path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

/// Builds the rustls configuration of `config`; `client_optional` lets clients without a
/// certificate connect when mutual TLS is on (they authenticate by password or token).
pub fn server_config(config: &TlsConfig, client_optional: bool) -> Result<ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = certificates("certificate", &config.cert)?;
    readable("key", &config.key)?;
    let key =
        PrivateKeyDer::from_pem_file(&config.key).map_err(|e| file_error("key", &config.key, e))?;
    let rustls_error = |e: rustls::Error| TlsError::Config {
        cert: config.cert.clone(),
        key: config.key.clone(),
        reason: match e {
            rustls::Error::InconsistentKeys(_) => {
                "the private key is not the certificate's key".to_owned()
            }
            other => other.to_string(),
        },
    };
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(rustls_error)?;
    let builder = match &config.client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in certificates("client CA", ca)? {
                roots
                    .add(cert)
                    .map_err(|e| file_error("client CA", ca, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if client_optional {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier
                .build()
                .map_err(|e| file_error("client CA", ca, e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut server = builder.with_single_cert(certs, key).map_err(rustls_error)?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(server)
}

/// The TLS files and the configuration built from them, reloaded when they change.
#[derive(Debug)]
pub struct TlsFiles {
    config: TlsConfig,
    client_optional: bool,
    current: RwLock<(Vec<FileStamp>, Arc<ServerConfig>)>,
}

impl TlsFiles {
    /// Loads the files of `config`.
    pub fn load(config: TlsConfig, client_optional: bool) -> Result<Self, TlsError> {
        let stamps = stamps(&config);
        let server = server_config(&config, client_optional)?;
        Ok(Self {
            config,
            client_optional,
            current: RwLock::new((stamps, Arc::new(server))),
        })
    }

    /// The configuration new connections get.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .map(|c| Arc::clone(&c.1))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner().1))
    }

    /// How a client certificate names its principal.
    pub fn client_principal(&self) -> CertName {
        self.config.client_principal
    }

    /// Whether client certificates are asked for.
    pub fn mutual(&self) -> bool {
        self.config.client_ca.is_some()
    }

    /// Loads the files again when one changed (or always, with `force`).
    pub fn reload_if_changed(&self, force: bool) {
        let now = stamps(&self.config);
        if !force && self.current.read().map(|c| c.0 == now).unwrap_or(true) {
            return;
        }
        match server_config(&self.config, self.client_optional) {
            Ok(server) => {
                tracing::info!(cert = %self.config.cert.display(), "TLS certificate reloaded");
                if let Ok(mut guard) = self.current.write() {
                    *guard = (now, Arc::new(server));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "TLS files not reloaded; the certificate in force stays");
                if let Ok(mut guard) = self.current.write() {
                    guard.0 = now;
                }
            }
        }
    }
}

fn stamps(config: &TlsConfig) -> Vec<FileStamp> {
    let mut stamps = vec![FileStamp::of(&config.cert), FileStamp::of(&config.key)];
    if let Some(ca) = &config.client_ca {
        stamps.push(FileStamp::of(ca));
    }
    stamps
}

/// The principal name of a client certificate (DER), as `which` says.
pub fn certificate_principal(der: &[u8], which: CertName) -> Option<String> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let cn = || {
        cert.subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned)
    };
    let san = || {
        let ext = cert.subject_alternative_name().ok()??;
        ext.value.general_names.iter().find_map(|name| match name {
            GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                Some((*s).to_owned())
            }
            _ => None,
        })
    };
    match which {
        CertName::Cn => cn().or_else(san),
        CertName::San => san(),
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};

    use super::*;

    fn certificate(cn: Option<&str>, sans: Vec<SanType>) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            params.distinguished_name.push(DnType::CommonName, cn);
        }
        params.subject_alt_names = sans;
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn a_client_certificate_names_its_principal_by_cn_or_san() {
        let email = SanType::Rfc822Name("svc@example.com".try_into().unwrap());
        let both = certificate(Some("svc-orders"), vec![email.clone()]);
        assert_eq!(
            certificate_principal(&both, CertName::Cn).as_deref(),
            Some("svc-orders")
        );
        assert_eq!(
            certificate_principal(&both, CertName::San).as_deref(),
            Some("svc@example.com")
        );
        let san_only = certificate(
            None,
            vec![SanType::DnsName("svc.internal".try_into().unwrap())],
        );
        assert_eq!(
            certificate_principal(&san_only, CertName::Cn).as_deref(),
            Some("svc.internal"),
            "no CN: the first SAN"
        );
        let cn_only = certificate(Some("svc"), Vec::new());
        assert_eq!(certificate_principal(&cn_only, CertName::San), None);
    }
}
