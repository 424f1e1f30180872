//! `warden serve` settings: clap flags, each with an environment twin.

use std::net::SocketAddr;
use std::path::PathBuf;

use warden_core::SchemaLimits;

use crate::registry::work::available_cores;
use crate::registry::{CacheBudget, WorkLimits};

/// How the registry starts.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "WARDEN_LISTEN", default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,

    /// Storage URL: `sqlite://PATH` (created with its tables on first start).
    #[arg(
        long,
        env = "WARDEN_DATABASE_URL",
        default_value = "sqlite://warden.db"
    )]
    pub database_url: String,

    /// Largest request body accepted, in bytes; larger ones answer 413.
    #[arg(long, env = "WARDEN_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Seconds a request may take before it is answered 500 (Confluent 50002).
    #[arg(long, env = "WARDEN_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Seconds between checks that cached schemas still exist, the safety net behind the
    /// hard-delete announcements replicas send each other over PostgreSQL.
    #[arg(long, env = "WARDEN_CACHE_REVALIDATE_SECS", default_value_t = 30)]
    pub cache_revalidate_secs: u64,

    /// Seconds a client has to send a request's complete headers, counted from the moment
    /// the connection waits for a request (on connect, and on HTTP/1.1 from the moment the
    /// last request's answer is ready, its body still being written); a connection that has
    /// not sent them by then is shut down (an answer being written is finished first). 0
    /// turns the limit off.
    #[arg(long, env = "WARDEN_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Seconds a connection may stay open with no request in flight after its first
    /// request, HTTP/1.1 keep-alive and HTTP/2 alike, before it is closed. On HTTP/1.1 the
    /// header-read timeout also runs while a connection waits for its next request, so an
    /// idle HTTP/1.1 connection is closed after the shorter of the two. 0 turns it off.
    #[arg(long, env = "WARDEN_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,

    /// Most connections served at once. At the limit the server stops accepting: new
    /// connections wait in the kernel's accept queue and are served in arrival order as
    /// open ones close. Keep it below the process's open-file limit (`ulimit -n`) minus the
    /// database pool.
    #[arg(
        long,
        env = "WARDEN_MAX_CONNECTIONS",
        default_value_t = 4096,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_connections: u32,

    /// Memory budget, in bytes, of the cache of stored schemas by id (schema text plus the
    /// pre-rendered `GET /schemas/ids/{id}` body). A schema heavier than a sixteenth of the
    /// budget is served without being cached.
    #[arg(
        long,
        env = "WARDEN_CACHE_SCHEMAS_BYTES",
        default_value_t = CacheBudget::DEFAULT.schemas_bytes
    )]
    pub cache_schemas_bytes: u64,

    /// Memory budget, in bytes, of the cache of parsed schemas used by compatibility checks
    /// (each estimated at four times its text); same per-entry share as above.
    #[arg(
        long,
        env = "WARDEN_CACHE_PARSED_BYTES",
        default_value_t = CacheBudget::DEFAULT.parsed_bytes
    )]
    pub cache_parsed_bytes: u64,

    /// Memory budget, in bytes, of the cache of known requests (request hash → the schema
    /// it means), which spares parsing a schema sent again; same per-entry share as above,
    /// so one very large request is never cached. The ids of stored schemas by
    /// fingerprint, the verdicts of compatibility checks, the submissions read from
    /// request bodies (kept once a body comes a second time) and the answers to
    /// registrations, lookups, checks and reads of a subject's version (kept once a
    /// request comes a second time, served until anything changes) are four more caches
    /// with this budget each.
    #[arg(
        long,
        env = "WARDEN_CACHE_REQUESTS_BYTES",
        default_value_t = CacheBudget::DEFAULT.requests_bytes
    )]
    pub cache_requests_bytes: u64,

    /// Most symbols of one enum (Avro enum, JSON Schema `enum`, Protobuf enum) in a
    /// submitted schema; more answers 42201.
    #[arg(long, env = "WARDEN_MAX_ENUM_SYMBOLS", default_value_t = SchemaLimits::DEFAULT.max_enum_symbols)]
    pub max_enum_symbols: usize,

    /// Most branches of one Avro union, and entries of one JSON Schema `allOf`, `anyOf` or
    /// `oneOf`, in a submitted schema; more answers 42201.
    #[arg(long, env = "WARDEN_MAX_UNION_BRANCHES", default_value_t = SchemaLimits::DEFAULT.max_union_branches)]
    pub max_union_branches: usize,

    /// Most fields of one Avro record or Protobuf message, and properties of one JSON
    /// Schema object, in a submitted schema; more answers 42201.
    #[arg(long, env = "WARDEN_MAX_FIELDS", default_value_t = SchemaLimits::DEFAULT.max_fields)]
    pub max_fields: usize,

    /// Most bytes a registered schema may hold (its text, references, metadata and rule set
    /// as stored); a larger one answers 42209, as Confluent answers a schema its Kafka topic
    /// cannot take.
    #[arg(long, env = "WARDEN_MAX_SCHEMA_BYTES", default_value_t = WorkLimits::DEFAULT_MAX_SCHEMA_BYTES)]
    pub max_schema_bytes: usize,

    /// Most references of one submitted schema; more answers 42201.
    #[arg(long, env = "WARDEN_MAX_REFERENCES", default_value_t = WorkLimits::DEFAULT_MAX_REFERENCES)]
    pub max_references: usize,

    /// Most versions one subject may have, soft-deleted ones included; a registration that
    /// would add another answers 42201.
    #[arg(
        long,
        env = "WARDEN_MAX_VERSIONS_PER_SUBJECT",
        default_value_t = WorkLimits::DEFAULT_MAX_VERSIONS_PER_SUBJECT
    )]
    pub max_versions_per_subject: usize,

    /// Most schema parses and compatibility checks running at once (each on a thread of
    /// its own, off the threads that serve requests); others wait for a slot until the
    /// request timeout. Default: the available cores.
    #[arg(
        long,
        env = "WARDEN_MAX_CONCURRENT_CHECKS",
        default_value_t = available_cores(),
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_concurrent_checks: usize,

    /// Read every schema as Warden did before it matched Confluent's leniency: Avro field
    /// defaults must match their types in lookups, IMPORT and stored schemas too, not only
    /// in new registrations (Confluent checks them only for new schemas, with the config's
    /// `validateNewSchemas`, true by default).
    #[arg(long, env = "WARDEN_STRICT_SCHEMAS")]
    pub strict_schemas: bool,

    /// A TOML file whose `[server]` section configures TLS, authentication, authorization
    /// rules and the audit log (see the README's "Security"); the flags below override it.
    #[arg(long, env = "WARDEN_CONFIG")]
    pub config: Option<PathBuf>,

    /// The certificate chain (PEM) served over TLS; with `--tls-key`, turns TLS on.
    #[arg(long, env = "WARDEN_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, env = "WARDEN_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// CA certificates (PEM) of accepted client certificates: mutual TLS, and
    /// authentication by certificate (the principal is its CN, or SAN).
    #[arg(long, env = "WARDEN_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,

    /// Users for HTTP basic authentication (`warden user add` writes it); turns
    /// authentication on.
    #[arg(long, env = "WARDEN_USERS_FILE")]
    pub users_file: Option<PathBuf>,

    /// A JWKS file verifying bearer tokens; turns authentication on.
    #[arg(long, env = "WARDEN_JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,

    /// The `iss` bearer tokens must have; without a JWKS file, the keys are discovered
    /// from it (`{issuer}/.well-known/openid-configuration`). Turns authentication on.
    #[arg(long, env = "WARDEN_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// An `aud` bearer tokens may have (repeat, or comma-separate, for several).
    #[arg(long, env = "WARDEN_JWT_AUDIENCE", value_delimiter = ',')]
    pub jwt_audience: Vec<String>,

    /// `/metrics` needs authentication too (it is open by default).
    #[arg(long, env = "WARDEN_PROTECT_METRICS")]
    pub protect_metrics: bool,

    /// Changes (writes, deletes, config and mode changes) one principal may make per
    /// second; more answer 429. Off by default.
    #[arg(long, env = "WARDEN_MAX_WRITES_PER_SECOND")]
    pub max_writes_per_second: Option<f64>,

    /// A file the audit log's JSON lines are appended to.
    #[arg(long, env = "WARDEN_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,

    /// The secret of the local KMS (`local-kms` KEKs), with which the DEK registry creates
    /// and unwraps the DEKs of shared KEKs; when unset, the environment variable
    /// `LOCAL_SECRET` (as Confluent's local KMS driver reads it). Without either, a shared
    /// `local-kms` KEK's DEKs answer 50070.
    #[arg(long, env = "WARDEN_LOCAL_KMS_SECRET", hide_env_values = true)]
    pub local_kms_secret: Option<String>,
}

impl Settings {
    /// Settings for a database URL on a free loopback port (tests, embedding).
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout_secs: 30,
            cache_revalidate_secs: 30,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 60,
            max_connections: 4096,
            cache_schemas_bytes: CacheBudget::DEFAULT.schemas_bytes,
            cache_parsed_bytes: CacheBudget::DEFAULT.parsed_bytes,
            cache_requests_bytes: CacheBudget::DEFAULT.requests_bytes,
            max_enum_symbols: SchemaLimits::DEFAULT.max_enum_symbols,
            max_union_branches: SchemaLimits::DEFAULT.max_union_branches,
            max_fields: SchemaLimits::DEFAULT.max_fields,
            max_schema_bytes: WorkLimits::DEFAULT_MAX_SCHEMA_BYTES,
            max_references: WorkLimits::DEFAULT_MAX_REFERENCES,
            max_versions_per_subject: WorkLimits::DEFAULT_MAX_VERSIONS_PER_SUBJECT,
            max_concurrent_checks: available_cores(),
            strict_schemas: false,
            config: None,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            users_file: None,
            jwks_file: None,
            jwt_issuer: None,
            jwt_audience: Vec::new(),
            protect_metrics: false,
            max_writes_per_second: None,
            audit_log: None,
            local_kms_secret: None,
        }
    }
}
