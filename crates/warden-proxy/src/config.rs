//! `warden proxy` settings: clap flags with environment twins, and the `[proxy]` section of
//! `warden.toml` (policies per topic), the flags overriding the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use warden_serde::SubjectNameStrategy;

use crate::error::{ProxyError, Result};
use crate::tls::{BrokerTls, ClientTls};

/// The default client listener (the bootstrap address clients are given).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9192";

/// The default admin listener (`/health`, `/ready`, `/metrics`, `/usage`).
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9193";

/// How `warden proxy` starts. Every flag has an environment twin; flags and variables
/// override the `[proxy]` section of the file given with `--config`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProxyArgs {
    /// Address clients bootstrap through (`bootstrap.servers` of the clients); port 0 picks a
    /// free port. Default 127.0.0.1:9192.
    #[arg(long, env = "WARDEN_PROXY_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// The Kafka cluster's bootstrap servers, `HOST:PORT[,HOST:PORT…]`.
    #[arg(long, env = "WARDEN_PROXY_BOOTSTRAP_SERVERS")]
    pub bootstrap_servers: Option<String>,

    /// The schema registry (Warden or Confluent), `http(s)://HOST:PORT`.
    #[arg(long, env = "WARDEN_PROXY_REGISTRY_URL")]
    pub registry_url: Option<String>,

    /// Address of the admin HTTP endpoints (`/health`, `/ready`, `/metrics`, `/usage`);
    /// port 0 picks a free port. Default 127.0.0.1:9193.
    #[arg(long, env = "WARDEN_PROXY_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,

    /// Host name written into rewritten `Metadata`, `FindCoordinator` and `DescribeCluster`
    /// responses (what clients connect to); default: the listen address's IP (`localhost`
    /// for a wildcard address such as 0.0.0.0).
    #[arg(long, env = "WARDEN_PROXY_ADVERTISED_HOST")]
    pub advertised_host: Option<String>,

    /// Subject name strategy of the topics' values: `topic` (TopicNameStrategy, default),
    /// `record` (RecordNameStrategy) or `topic-record` (TopicRecordNameStrategy).
    #[arg(long, env = "WARDEN_PROXY_SUBJECT_NAME_STRATEGY", value_parser = parse_strategy)]
    pub subject_name_strategy: Option<SubjectNameStrategy>,

    /// Let records through, unchecked, when the registry cannot be reached (default: refuse
    /// them, fail closed).
    #[arg(long, env = "WARDEN_PROXY_FAIL_OPEN")]
    pub fail_open: bool,

    /// A TOML file whose `[proxy]` section holds these settings and the policies per topic.
    #[arg(long, env = "WARDEN_PROXY_CONFIG")]
    pub config: Option<PathBuf>,

    /// Serve clients over TLS with this certificate chain (PEM, leaf first), on the bootstrap
    /// listener and on every per-broker listener. Its names must cover the advertised host.
    #[arg(long, env = "WARDEN_PROXY_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, env = "WARDEN_PROXY_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates signed by these CA certificates (PEM): mutual TLS.
    #[arg(long, env = "WARDEN_PROXY_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,

    /// Connect to the brokers over TLS, verifying their certificates against `--broker-ca`
    /// (default: the system's trust store) and the broker's host name.
    #[arg(long, env = "WARDEN_PROXY_BROKER_TLS")]
    pub broker_tls: bool,

    /// CA certificates (PEM) of the brokers' certificates; implies `--broker-tls`.
    #[arg(long, env = "WARDEN_PROXY_BROKER_CA")]
    pub broker_ca: Option<PathBuf>,

    /// A client certificate chain (PEM) for brokers that require mutual TLS; implies
    /// `--broker-tls`.
    #[arg(long, env = "WARDEN_PROXY_BROKER_CERT", requires = "broker_key")]
    pub broker_cert: Option<PathBuf>,

    /// The private key (PEM) of `--broker-cert`.
    #[arg(long, env = "WARDEN_PROXY_BROKER_KEY", requires = "broker_cert")]
    pub broker_key: Option<PathBuf>,
}

fn parse_strategy(s: &str) -> std::result::Result<SubjectNameStrategy, String> {
    match s {
        "topic" | "TopicNameStrategy" => Ok(SubjectNameStrategy::TopicName),
        "record" | "RecordNameStrategy" => Ok(SubjectNameStrategy::RecordName),
        "topic-record" | "TopicRecordNameStrategy" => Ok(SubjectNameStrategy::TopicRecordName),
        other => Err(format!(
            "unknown subject name strategy {other:?}: topic, record or topic-record"
        )),
    }
}

/// What the proxy does with a topic's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Refuse a batch holding an invalid record with `INVALID_RECORD` (87); the default
    /// for topics that have a subject.
    Reject,
    /// Copy the invalid records to the dead-letter topic with headers giving the reason,
    /// then refuse the batch (or forward it, with `forward_invalid`).
    DeadLetter,
    /// Forward everything; count and log the invalid records.
    Observe,
    /// Forward without looking.
    Off,
}

/// One `[[proxy.policies]]` entry of the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PolicyFile {
    topic: String,
    #[serde(default)]
    action: Option<Action>,
    #[serde(default)]
    require_schema: bool,
    #[serde(default)]
    validate_key: bool,
    #[serde(default)]
    dead_letter_topic: Option<String>,
    #[serde(default)]
    forward_invalid: bool,
    #[serde(default, deserialize_with = "strategy_de")]
    subject_name_strategy: Option<SubjectNameStrategy>,
}

fn strategy_de<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<SubjectNameStrategy>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    s.map(|s| parse_strategy(&s).map_err(serde::de::Error::custom))
        .transpose()
}

/// The `[proxy]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ProxyFile {
    listen: Option<SocketAddr>,
    bootstrap_servers: Option<String>,
    registry_url: Option<String>,
    admin_listen: Option<SocketAddr>,
    advertised_host: Option<String>,
    #[serde(default, deserialize_with = "strategy_de")]
    subject_name_strategy: Option<SubjectNameStrategy>,
    #[serde(default)]
    fail_open: bool,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    #[serde(default)]
    broker_tls: bool,
    broker_ca: Option<PathBuf>,
    broker_cert: Option<PathBuf>,
    broker_key: Option<PathBuf>,
    #[serde(default)]
    policies: Vec<PolicyFile>,
}

#[derive(Debug, Default, Deserialize)]
struct FileRoot {
    #[serde(default)]
    proxy: Option<ProxyFile>,
}

/// A policy for the topics one glob matches.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The glob (`orders.*`, `*`), as written.
    pub pattern: String,
    matcher: GlobMatcher,
    /// What to do; `None` means the default: `reject` when the topic has a subject.
    pub action: Option<Action>,
    /// Refuse records on a matching topic that has no subject (all of them then fail
    /// `SUBJECT_NOT_FOUND`).
    pub require_schema: bool,
    /// Check record keys too, against `<topic>-key` (or the strategy's subject).
    pub validate_key: bool,
    /// The dead-letter topic (default `<topic>.dlq`).
    pub dead_letter_topic: Option<String>,
    /// With `dead-letter`: forward the batch after copying its invalid records (default:
    /// refuse it).
    pub forward_invalid: bool,
    /// The subject name strategy of these topics (default: the proxy's).
    pub subject_name_strategy: Option<SubjectNameStrategy>,
}

impl Policy {
    /// A policy for `pattern` with `action` and every other option at its default.
    ///
    /// Errors: [`ProxyError::Config`] when the glob does not parse.
    pub fn new(pattern: &str, action: Option<Action>) -> Result<Self> {
        let matcher = Glob::new(pattern)
            .map_err(|e| ProxyError::Config(format!("policy topic glob {pattern:?}: {e}")))?
            .compile_matcher();
        Ok(Self {
            pattern: pattern.to_owned(),
            matcher,
            action,
            require_schema: false,
            validate_key: false,
            dead_letter_topic: None,
            forward_invalid: false,
            subject_name_strategy: None,
        })
    }

    /// Whether `topic` falls under this policy.
    pub fn matches(&self, topic: &str) -> bool {
        self.matcher.is_match(topic)
    }
}

/// The resolved configuration of a proxy.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Client listener (bootstrap).
    pub listen: SocketAddr,
    /// Upstream bootstrap servers.
    pub bootstrap_servers: Vec<String>,
    /// Schema registry URL.
    pub registry_url: String,
    /// Admin listener.
    pub admin_listen: SocketAddr,
    /// Host written into rewritten broker addresses.
    pub advertised_host: String,
    /// Default subject name strategy.
    pub subject_name_strategy: SubjectNameStrategy,
    /// Forward unchecked records when the registry is unreachable.
    pub fail_open: bool,
    /// Policies, the first matching one wins.
    pub policies: Vec<Policy>,
    /// TLS toward the clients; plain TCP when `None`.
    pub tls: Option<ClientTls>,
    /// TLS toward the brokers; plain TCP when `None`.
    pub broker_tls: Option<BrokerTls>,
}

impl ProxyConfig {
    /// A configuration with every default: listen on `listen`, TopicNameStrategy, fail
    /// closed, no policies (topics with a subject are rejected when invalid).
    pub fn new(listen: SocketAddr, bootstrap_servers: &str, registry_url: &str) -> Self {
        Self {
            listen,
            bootstrap_servers: split_servers(bootstrap_servers),
            registry_url: registry_url.to_owned(),
            admin_listen: DEFAULT_ADMIN_LISTEN.parse().expect("valid address"),
            // A wildcard address is no address to connect to: clients on this host are told
            // `localhost` unless `advertised_host` says otherwise.
            advertised_host: if listen.ip().is_unspecified() {
                "localhost".to_owned()
            } else {
                listen.ip().to_string()
            },
            subject_name_strategy: SubjectNameStrategy::TopicName,
            fail_open: false,
            policies: Vec::new(),
            tls: None,
            broker_tls: None,
        }
    }

    /// Resolves flags over the file.
    ///
    /// Errors: [`ProxyError::Config`] for an unreadable file, unknown keys, a bad glob, or a
    /// missing `bootstrap-servers` / `registry-url`.
    pub fn from_args(args: &ProxyArgs) -> Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => ProxyFile::default(),
        };
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid address"));
        let bootstrap = args
            .bootstrap_servers
            .clone()
            .or(file.bootstrap_servers)
            .ok_or_else(|| ProxyError::Config("--bootstrap-servers is required".into()))?;
        let registry = args
            .registry_url
            .clone()
            .or(file.registry_url)
            .ok_or_else(|| ProxyError::Config("--registry-url is required".into()))?;
        let mut config = Self::new(listen, &bootstrap, &registry);
        if config.bootstrap_servers.is_empty() {
            return Err(ProxyError::Config("--bootstrap-servers is empty".into()));
        }
        if let Some(admin) = args.admin_listen.or(file.admin_listen) {
            config.admin_listen = admin;
        }
        if let Some(host) = args.advertised_host.clone().or(file.advertised_host) {
            config.advertised_host = host;
        }
        if let Some(s) = args.subject_name_strategy.or(file.subject_name_strategy) {
            config.subject_name_strategy = s;
        }
        config.fail_open = args.fail_open || file.fail_open;
        let tls_cert = args.tls_cert.clone().or(file.tls_cert);
        let tls_key = args.tls_key.clone().or(file.tls_key);
        let tls_client_ca = args.tls_client_ca.clone().or(file.tls_client_ca);
        config.tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some(ClientTls {
                cert,
                key,
                client_ca: tls_client_ca,
            }),
            (None, None) if tls_client_ca.is_none() => None,
            _ => {
                return Err(ProxyError::Config(
                    "--tls-cert and --tls-key go together (and --tls-client-ca needs them)".into(),
                ));
            }
        };
        let broker = BrokerTls {
            ca: args.broker_ca.clone().or(file.broker_ca),
            cert: args.broker_cert.clone().or(file.broker_cert),
            key: args.broker_key.clone().or(file.broker_key),
        };
        if args.broker_tls || file.broker_tls || broker != BrokerTls::default() {
            if broker.cert.is_some() != broker.key.is_some() {
                return Err(ProxyError::Config(
                    "--broker-cert and --broker-key go together".into(),
                ));
            }
            config.broker_tls = Some(broker);
        }
        for p in file.policies {
            let mut policy = Policy::new(&p.topic, p.action)?;
            policy.require_schema = p.require_schema;
            policy.validate_key = p.validate_key;
            policy.dead_letter_topic = p.dead_letter_topic;
            policy.forward_invalid = p.forward_invalid;
            policy.subject_name_strategy = p.subject_name_strategy;
            config.policies.push(policy);
        }
        Ok(config)
    }

    /// The first policy whose glob matches `topic`.
    pub fn policy(&self, topic: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.matches(topic))
    }
}

fn read_file(path: &Path) -> Result<ProxyFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ProxyError::Config(format!("{}: {e}", path.display())))?;
    // Other sections (`[server]`, the project's schemas) belong to other commands; only
    // `[proxy]` is read here, and its unknown keys are refused.
    let root: toml::Table = toml::from_str(&text)
        .map_err(|e| ProxyError::Config(format!("{}: {e}", path.display())))?;
    let Some(section) = root.get("proxy") else {
        return Ok(ProxyFile::default());
    };
    let parsed: FileRoot = toml::Value::Table(toml::Table::from_iter([(
        "proxy".to_owned(),
        section.clone(),
    )]))
    .try_into()
    .map_err(|e| ProxyError::Config(format!("{}: [proxy]: {e}", path.display())))?;
    Ok(parsed.proxy.unwrap_or_default())
}

fn split_servers(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_section_gives_policies_and_flags_override_it() {
        let dir = std::env::temp_dir().join(format!("warden-proxy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("warden.toml");
        std::fs::write(
            &path,
            r#"
[server]
anything = 1

[proxy]
bootstrap-servers = "b1:9092, b2:9092"
registry-url = "http://file:8081"
subject-name-strategy = "record"

[[proxy.policies]]
topic = "audit.*"
action = "observe"

[[proxy.policies]]
topic = "orders"
action = "dead-letter"
dead-letter-topic = "orders.bad"
"#,
        )
        .unwrap();
        let args = ProxyArgs {
            registry_url: Some("http://flag:8081".into()),
            config: Some(path.clone()),
            ..ProxyArgs::default()
        };
        let config = ProxyConfig::from_args(&args).unwrap();
        assert_eq!(config.bootstrap_servers, ["b1:9092", "b2:9092"]);
        assert_eq!(config.registry_url, "http://flag:8081", "the flag wins");
        assert_eq!(
            config.subject_name_strategy,
            SubjectNameStrategy::RecordName
        );
        assert_eq!(
            config.policy("audit.logins").unwrap().action,
            Some(Action::Observe)
        );
        let orders = config.policy("orders").unwrap();
        assert_eq!(orders.action, Some(Action::DeadLetter));
        assert_eq!(orders.dead_letter_topic.as_deref(), Some("orders.bad"));
        assert!(config.policy("payments").is_none());

        std::fs::write(
            &path,
            "[proxy]\nbootstrap-servers = \"b\"\nregistry = \"x\"\n",
        )
        .unwrap();
        let err = ProxyConfig::from_args(&ProxyArgs {
            config: Some(path),
            ..ProxyArgs::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("registry"), "{err}");
    }

    #[test]
    fn tls_settings_come_from_the_section_and_flags_and_go_in_pairs() {
        let dir = std::env::temp_dir().join(format!("warden-proxy-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("warden.toml");
        std::fs::write(
            &path,
            "[proxy]\nbootstrap-servers = \"b:9093\"\nregistry-url = \"http://r\"\n\
             tls-cert = \"/etc/proxy.pem\"\ntls-key = \"/etc/proxy.key\"\n\
             broker-ca = \"/etc/kafka-ca.pem\"\n",
        )
        .unwrap();
        let args = ProxyArgs {
            config: Some(path.clone()),
            tls_client_ca: Some("/etc/clients-ca.pem".into()),
            ..ProxyArgs::default()
        };
        let config = ProxyConfig::from_args(&args).unwrap();
        assert_eq!(
            config.tls,
            Some(ClientTls {
                cert: "/etc/proxy.pem".into(),
                key: "/etc/proxy.key".into(),
                client_ca: Some("/etc/clients-ca.pem".into()),
            })
        );
        assert_eq!(
            config.broker_tls,
            Some(BrokerTls {
                ca: Some("/etc/kafka-ca.pem".into()),
                cert: None,
                key: None,
            }),
            "a broker CA implies TLS toward the brokers"
        );

        std::fs::write(
            &path,
            "[proxy]\nbootstrap-servers = \"b\"\nregistry-url = \"r\"\nbroker-tls = true\n",
        )
        .unwrap();
        let config = ProxyConfig::from_args(&ProxyArgs {
            config: Some(path.clone()),
            ..ProxyArgs::default()
        })
        .unwrap();
        assert_eq!(config.tls, None);
        assert_eq!(config.broker_tls, Some(BrokerTls::default()));

        for (what, args) in [
            (
                "a key without its certificate",
                ProxyArgs {
                    tls_key: Some("/k".into()),
                    ..ProxyArgs::default()
                },
            ),
            (
                "a client CA without a certificate",
                ProxyArgs {
                    tls_client_ca: Some("/ca".into()),
                    ..ProxyArgs::default()
                },
            ),
            (
                "a broker certificate without its key",
                ProxyArgs {
                    broker_cert: Some("/c".into()),
                    ..ProxyArgs::default()
                },
            ),
        ] {
            let args = ProxyArgs {
                bootstrap_servers: Some("b".into()),
                registry_url: Some("r".into()),
                ..args
            };
            assert!(ProxyConfig::from_args(&args).is_err(), "{what}");
        }
    }
}
