//! Warden's storage: the [`SchemaStore`] trait the registry service is written against, and
//! its backends: embedded SQLite ([`SqliteStore`]) and PostgreSQL for several replicas
//! ([`PgStore`]).
//!
//! The store is deliberately thin: it keeps schemas, subject versions, references, configs
//! and modes, and makes registration one transaction. Rules (compatibility, modes, soft
//! before hard delete) live in the server; races between identical registrations are decided
//! here, by unique indexes.

mod common;
mod postgres;
mod sqlite;

use async_trait::async_trait;
use serde_json::Value;
use warden_core::api::SchemaReference;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, Mode, SchemaId, SchemaType};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL names a backend this build does not have, or is malformed.
    #[error("unsupported database URL {0:?} (use sqlite://PATH or postgres://USER@HOST/DB)")]
    UnsupportedUrl(String),
    /// In IMPORT mode, the requested id already names a different schema, or the schema
    /// already has a different id.
    #[error("{0}")]
    IdConflict(String),
    /// In IMPORT mode, the requested version of the subject already exists.
    #[error("version {version} of subject {subject} already exists")]
    VersionExists {
        /// The subject.
        subject: String,
        /// The version that exists.
        version: u32,
    },
    /// The registration guard refused; the caller's own error is inside.
    #[error("registration refused: {}", .0.0)]
    Rejected(Rejection),
    /// A stored value could not be read back (corrupt row).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A schema as stored: its id, format, canonical text and data-contract fields.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSchema {
    /// The global id.
    pub id: SchemaId,
    /// The format.
    pub schema_type: SchemaType,
    /// The canonical (or normalized) text.
    pub schema: String,
    /// References, in the order given at registration.
    pub references: Vec<SchemaReference>,
    /// Metadata as registered.
    pub metadata: Option<Value>,
    /// Rule set as registered.
    pub rule_set: Option<Value>,
}

/// A schema to store with a new subject version.
#[derive(Debug, Clone)]
pub struct NewSchema {
    /// The format.
    pub schema_type: SchemaType,
    /// The canonical (or normalized) text.
    pub schema: String,
    /// References, as given.
    pub references: Vec<SchemaReference>,
    /// Metadata as registered.
    pub metadata: Option<Value>,
    /// Rule set as registered.
    pub rule_set: Option<Value>,
    /// Identity hash (hex SHA-256), unique across the store.
    pub fingerprint: String,
}

/// One version row of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRow {
    /// The version number.
    pub version: u32,
    /// The schema it points to.
    pub schema_id: SchemaId,
    /// Whether it is soft-deleted.
    pub deleted: bool,
}

/// Which rows a listing includes (Confluent `LookupFilter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeletedFilter {
    /// Live rows only (the default).
    #[default]
    Live,
    /// Live and soft-deleted rows (`deleted=true`).
    All,
    /// Soft-deleted rows only (`deletedOnly=true`).
    DeletedOnly,
}

/// The outcome of [`SchemaStore::register`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// The subject already had this schema as a live version; nothing was written.
    Existing {
        /// The schema id.
        id: SchemaId,
        /// The existing version.
        version: u32,
    },
    /// A new version was written.
    New {
        /// The schema id (new, or reused from another subject).
        id: SchemaId,
        /// The new version.
        version: u32,
    },
}

/// A compatibility config of one scope (global or a subject).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoredConfig {
    /// The level, when set at this scope.
    pub compatibility: Option<CompatibilityLevel>,
    /// The normalize flag, when set at this scope.
    pub normalize: Option<bool>,
    /// The JSON Schema compatibility policy, when set at this scope.
    pub compatibility_policy: Option<CompatibilityPolicy>,
}

impl StoredConfig {
    /// Each field of `self`, or `fallback`'s where `self` leaves it unset.
    pub fn or(self, fallback: StoredConfig) -> StoredConfig {
        StoredConfig {
            compatibility: self.compatibility.or(fallback.compatibility),
            normalize: self.normalize.or(fallback.normalize),
            compatibility_policy: self.compatibility_policy.or(fallback.compatibility_policy),
        }
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.compatibility.is_none()
            && self.normalize.is_none()
            && self.compatibility_policy.is_none()
    }
}

/// The scope of a config or mode: the whole registry or one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Registry-wide.
    Global,
    /// One subject.
    Subject(&'a str),
}

/// Persistent state of the registry. Every method is one statement or one transaction.
#[async_trait]
pub trait SchemaStore: Send + Sync + std::fmt::Debug {
    /// The schema with this id, if stored.
    async fn schema_by_id(&self, id: SchemaId) -> Result<Option<StoredSchema>>;

    /// The id of the schema with this identity fingerprint, if stored.
    async fn schema_id_by_fingerprint(&self, fingerprint: &str) -> Result<Option<SchemaId>>;

    /// Registers a schema as a version of a subject, in one transaction that holds the
    /// subject's lock (so registrations under one subject are serialized across every
    /// process sharing the database):
    /// 1. if the subject already has the schema (by fingerprint) as a live version, that
    ///    version is returned and nothing is written, without asking the guard;
    /// 2. otherwise the guard is shown the subject's live versions and may refuse
    ///    ([`Error::Rejected`], nothing written);
    /// 3. the schema row is found by fingerprint or inserted (with the explicit id in IMPORT
    ///    mode), and the next version (or the explicit one) is written with its references.
    ///
    /// Errors: [`Error::IdConflict`] when an explicit id names another schema or the schema
    /// has another id; [`Error::VersionExists`] when an explicit version is taken.
    async fn register(&self, registration: Registration<'_>) -> Result<Registered>;

    /// Subjects that have versions matching `filter`, sorted, optionally by name prefix.
    /// With [`DeletedFilter::DeletedOnly`], subjects whose every version is soft-deleted.
    async fn subjects(&self, prefix: Option<&str>, filter: DeletedFilter) -> Result<Vec<String>>;

    /// Every version row of `subject` (live and soft-deleted), ascending.
    async fn versions(&self, subject: &str) -> Result<Vec<VersionRow>>;

    /// `(subject, version, deleted)` of every version that uses the schema, sorted.
    async fn versions_of_schema(&self, id: SchemaId) -> Result<Vec<(String, u32, bool)>>;

    /// Every version of every subject with its schema, for `GET /schemas`.
    async fn all_versions(&self, filter: DeletedFilter) -> Result<Vec<(String, VersionRow)>>;

    /// Ids of schemas with a version matching `filter` that reference `subject` `version`.
    async fn referenced_by(
        &self,
        subject: &str,
        version: u32,
        filter: DeletedFilter,
    ) -> Result<Vec<SchemaId>>;

    /// Marks versions soft-deleted; `versions` must exist.
    async fn soft_delete(&self, subject: &str, versions: &[u32]) -> Result<()>;

    /// Removes versions permanently, and every schema no version uses any more. Returns the
    /// ids of the removed schemas.
    async fn hard_delete(&self, subject: &str, versions: &[u32]) -> Result<Vec<SchemaId>>;

    /// The config set at `scope` (fields unset when nothing is set there).
    async fn config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>>;

    /// Sets the config of `scope`, replacing only the fields that are `Some`.
    async fn set_config(&self, scope: Scope<'_>, config: StoredConfig) -> Result<()>;

    /// Removes the config of `scope`; returns what was set.
    async fn delete_config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>>;

    /// The mode set at `scope`.
    async fn mode(&self, scope: Scope<'_>) -> Result<Option<Mode>>;

    /// Sets the mode of `scope`.
    async fn set_mode(&self, scope: Scope<'_>, mode: Mode) -> Result<()>;

    /// Removes the mode of `scope`; returns what was set.
    async fn delete_mode(&self, scope: Scope<'_>) -> Result<Option<Mode>>;

    /// Whether any subject version exists (live or soft-deleted).
    async fn has_subjects(&self) -> Result<bool>;

    /// Which of `ids` still name a stored schema (after hard deletes elsewhere).
    async fn existing_ids(&self, ids: &[SchemaId]) -> Result<Vec<SchemaId>>;

    /// Answers when the database does (readiness).
    async fn ping(&self) -> Result<()>;

    /// Connections of the pool: open and idle.
    fn pool_stats(&self) -> PoolStats;

    /// Ids of schemas hard-deleted by any process sharing the database, as they happen.
    /// `None` when the backend has a single process (SQLite), where the caller saw every
    /// delete itself.
    fn evictions(&self) -> Option<tokio::sync::broadcast::Receiver<Vec<SchemaId>>> {
        None
    }
}

/// Use of a store's connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: usize,
}

/// One registration request to [`SchemaStore::register`].
#[derive(Debug, Clone, Copy)]
pub struct Registration<'a> {
    /// The subject.
    pub subject: &'a str,
    /// The schema with its identity fingerprint.
    pub schema: &'a NewSchema,
    /// The id to use (IMPORT mode).
    pub explicit_id: Option<SchemaId>,
    /// The version to use (IMPORT mode).
    pub explicit_version: Option<u32>,
    /// Decides whether a new version may be written; `None` admits everything.
    pub guard: Option<&'a dyn RegistrationGuard>,
}

/// Decides, inside the registration's transaction and under the subject's lock, whether a
/// new version may be written. The registry's compatibility check is one.
#[async_trait]
pub trait RegistrationGuard: Send + Sync + std::fmt::Debug {
    /// `live` holds the subject's live versions, oldest first.
    async fn admit(&self, live: &[VersionRow]) -> std::result::Result<(), Rejection>;
}

/// A guard's refusal, carried back to the caller through [`Error::Rejected`].
#[derive(Debug)]
pub struct Rejection(pub Box<dyn std::error::Error + Send + Sync>);

/// Opens the store a database URL names, creating and migrating it if needed.
///
/// `sqlite://PATH` (the default `sqlite://warden.db`) or `postgres://USER@HOST:PORT/DB`;
/// any other scheme is [`Error::UnsupportedUrl`].
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn SchemaStore>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(std::sync::Arc::new(PgStore::open(url).await?))
    } else {
        Err(Error::UnsupportedUrl(url.to_owned()))
    }
}
