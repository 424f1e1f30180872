//! Warden's storage: the [`SchemaStore`] trait the registry service is written against, and
//! its backends: embedded SQLite ([`SqliteStore`]) and PostgreSQL for several replicas
//! ([`PgStore`]).
//!
//! The store is deliberately thin: it keeps schemas, subject versions, references, configs
//! and modes, and offers registration as one transaction ([`RegistrationTx`]) that holds the
//! subject's lock while the server checks compatibility between its steps. Rules
//! (compatibility, modes, soft before hard delete) live in the server; races between
//! identical registrations are decided here, by unique indexes.

mod associations;
mod change_log;
mod common;
mod dek_registry;
mod group_commit;
mod postgres;
mod sqlite;

use async_trait::async_trait;
use serde_json::Value;
use warden_core::api::{ConfigFields, SchemaReference};
use warden_core::{
    CompatibilityLevel, CompatibilityPolicy, Context, Guid, Mode, SchemaId, SchemaType, Subject,
    Version,
};

pub use common::now_millis;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL names a backend this build does not have, or is malformed.
    #[error("unsupported database URL {0:?} (use sqlite://PATH or postgres://USER@HOST/DB)")]
    UnsupportedUrl(String),
    /// In IMPORT mode, the requested id already names a different schema in the context.
    #[error("schema id {0} is taken by a different schema")]
    IdTaken(SchemaId),
    /// A delete would remove a version that schemas still reference (live ones for a soft
    /// delete, any for a hard delete); nothing was deleted.
    #[error("version {version} of subject {subject} is referenced by schemas {by:?}")]
    Referenced {
        /// The subject.
        subject: Subject,
        /// The referenced version.
        version: Version,
        /// The referencing schemas, ascending.
        by: Vec<SchemaId>,
    },
    /// A registration references a subject version that is not (or no longer) live.
    #[error("reference {name} to subject {subject} version {version} is not a live version")]
    ReferenceNotLive {
        /// The name the schema uses for the reference.
        name: String,
        /// The referenced subject.
        subject: String,
        /// The referenced version.
        version: i32,
    },
    /// Every schema id up to 2^31-1 (Confluent's ids are Java `int`s) is taken or lies below
    /// an imported id; nothing was written.
    #[error("no schema id is left below 2^31")]
    IdsExhausted,
    /// An association of this type already exists for the resource (written by another
    /// request meanwhile); nothing was written.
    #[error(
        "an association of type {association_type} already exists for resource {resource_name}"
    )]
    AssociationExists {
        /// `key` or `value`.
        association_type: String,
        /// The resource's name.
        resource_name: String,
    },
    /// A KEK of this name, or a DEK of this KEK, subject, algorithm and version, exists
    /// already (written by another request meanwhile); nothing was written.
    #[error("key {0:?} already exists")]
    KeyExists(String),
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
    /// The GUID of its content ([`Guid::of_schema`]), the same for the same content under
    /// every subject.
    pub guid: Guid,
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

impl NewSchema {
    /// The GUID its stored row gets ([`Guid::of_schema`] of its text, references, metadata
    /// and rule set).
    pub fn guid(&self) -> Guid {
        Guid::of_schema(
            &self.schema,
            &self.references,
            self.metadata.as_ref(),
            self.rule_set.as_ref(),
        )
    }

    /// The row it is stored as under `id`.
    pub fn stored(&self, id: SchemaId) -> StoredSchema {
        StoredSchema {
            id,
            schema_type: self.schema_type,
            schema: self.schema.clone(),
            references: self.references.clone(),
            metadata: self.metadata.clone(),
            rule_set: self.rule_set.clone(),
            guid: self.guid(),
        }
    }
}

/// One version row of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRow {
    /// The version.
    pub version: Version,
    /// The schema it points to.
    pub schema_id: SchemaId,
    /// Whether it is soft-deleted.
    pub deleted: bool,
    /// When the version was registered, in milliseconds since the epoch (Confluent's `ts`).
    pub created_at: i64,
}

/// What another process sharing the database made stale, as it announces it
/// ([`SchemaStore::evictions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eviction {
    /// Schemas whose answers by id are stale: hard-deleted, soft-deleted (their `deleted`
    /// flag), or the schema a version held before IMPORT wrote it again.
    pub ids: Vec<SchemaId>,
    /// IMPORT wrote a version again with another schema (Confluent's `register` in IMPORT
    /// mode puts the version's key again): a reference names a subject and version, so
    /// whatever was resolved through references is stale too.
    pub version_rewritten: bool,
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

/// A config of one scope (global or a subject): Confluent's `Config`, each field unset
/// unless set at this scope.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredConfig {
    /// The level, when set at this scope.
    pub compatibility: Option<CompatibilityLevel>,
    /// The normalize flag, when set at this scope.
    pub normalize: Option<bool>,
    /// The JSON Schema compatibility policy, when set at this scope.
    pub compatibility_policy: Option<CompatibilityPolicy>,
    /// Alias, validation switches, compatibility group, default and override metadata and
    /// rule sets, when set at this scope.
    pub extra: ConfigFields,
}

impl StoredConfig {
    /// `self` (a subject's config) over `fallback` (the global one), as Confluent's
    /// `Config.mergeConfigs`: the level, normalize, the validation switches, the policy and
    /// the compatibility group fall back to `fallback`'s where `self` leaves them unset; the
    /// alias and the default and override metadata and rule sets are `self`'s only.
    pub fn or(self, fallback: StoredConfig) -> StoredConfig {
        let (own, global) = (self.extra, fallback.extra);
        StoredConfig {
            compatibility: self.compatibility.or(fallback.compatibility),
            normalize: self.normalize.or(fallback.normalize),
            compatibility_policy: self.compatibility_policy.or(fallback.compatibility_policy),
            extra: ConfigFields {
                validate_fields: own.validate_fields.or(global.validate_fields),
                validate_new_schemas: own.validate_new_schemas.or(global.validate_new_schemas),
                validate_rules: own.validate_rules.or(global.validate_rules),
                compatibility_group: own.compatibility_group.or(global.compatibility_group),
                ..own
            },
        }
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.compatibility.is_none()
            && self.normalize.is_none()
            && self.compatibility_policy.is_none()
            && self.extra == ConfigFields::default()
    }
}

/// The scope of a config or mode: the whole registry or one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Registry-wide.
    Global,
    /// One subject.
    Subject(&'a Subject),
}

/// An association between a resource (a Kafka topic) and a subject, as Confluent 8 stores
/// it (`AssociationValue`). At most one per resource id, resource type and association type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAssociation {
    /// Its own id (a random UUID).
    pub guid: String,
    /// The resource's name (the topic).
    pub resource_name: String,
    /// The resource's namespace (the Kafka cluster id).
    pub resource_namespace: String,
    /// The resource's id (the topic id).
    pub resource_id: String,
    /// The resource's type (`topic`).
    pub resource_type: String,
    /// `key` or `value`.
    pub association_type: String,
    /// The associated subject, as given (with its `:.context:` prefix when it has one).
    pub subject: String,
    /// Lifecycle STRONG (the resource owns the subject) or WEAK.
    pub strong: bool,
    /// Whether the association can no longer change.
    pub frozen: bool,
    /// Creation time, epoch milliseconds (kept by updates).
    pub created_at: i64,
    /// Last write, epoch milliseconds.
    pub updated_at: i64,
}

/// Which associations a read selects (Confluent's lookups by subject, resource id, resource
/// name, or namespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssociationKey<'a> {
    /// Those of a subject.
    Subject(&'a str),
    /// Those of a resource id.
    ResourceId(&'a str),
    /// Those of a resource name, in one namespace or (`None`) in every namespace.
    ResourceName {
        /// The resource name.
        name: &'a str,
        /// The namespace; `None` matches any.
        namespace: Option<&'a str>,
    },
    /// Those of every resource of a namespace, or (`None`) of every namespace.
    Namespace(Option<&'a str>),
}

/// What a committed write tells of a subject's versions ([`VersionsPublisher`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionsWritten<'a> {
    /// Every version as the write left them, soft-deleted ones included, oldest first: the
    /// store is written by this process alone (SQLite).
    All(&'a [VersionRow]),
    /// The versions the write added, oldest first, each the next after the newest version
    /// the write found: the store is written by other processes too (PostgreSQL replicas),
    /// which announce their own changes. The caller may hold them after the versions it
    /// holds, if the first added one follows the newest of those.
    Appended(&'a [VersionRow]),
    /// The write's outcome is unknown to the caller: what it holds of the subject must be
    /// read again.
    Unknown,
}

/// Receives what a write to a subject's versions left ([`VersionsWritten`]). Called after
/// the write's commit (or its failure), before its caller is answered; on SQLite while the
/// store still holds its write lock, so that no later write can be overtaken.
pub type VersionsPublisher = std::sync::Arc<dyn Fn(&Subject, VersionsWritten<'_>) + Send + Sync>;

/// A new version that the store may write together with other concurrent registrations,
/// in one transaction (group commit): the common registration of a schema without
/// references, without an explicit id or version, in the default context.
#[derive(Clone)]
pub struct GroupedRegistration {
    /// The subject.
    pub subject: Subject,
    /// The schema, canonical (or normalized), with its identity fingerprint.
    pub schema: std::sync::Arc<NewSchema>,
    /// The live versions the compatibility check passed against, oldest first; `None` when
    /// no check applies (level NONE, `force`). When the subject's live versions differ at
    /// write time, nothing is written ([`GroupedOutcome::Changed`]).
    pub checked: Option<Vec<VersionRow>>,
    /// Told of the subject's versions after the write (or that they must be read again).
    pub publish: VersionsPublisher,
}

impl std::fmt::Debug for GroupedRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupedRegistration")
            .field("subject", &self.subject)
            .field("fingerprint", &self.schema.fingerprint)
            .field("checked", &self.checked)
            .finish_non_exhaustive()
    }
}

/// What became of a [`GroupedRegistration`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupedOutcome {
    /// A live version of the subject holds the schema already (the newest such one); nothing
    /// was written.
    Existing(VersionRow),
    /// The subject's live versions are no longer those checked against (they are these,
    /// oldest first); nothing was written: check again.
    Changed(Vec<VersionRow>),
    /// The version was written and committed: the schema's id (an existing one when the
    /// schema is stored already) and the new version.
    Written {
        /// The schema's id.
        id: SchemaId,
        /// The version written.
        version: Version,
    },
    /// The store does not write this registration in a group (the backend has no group
    /// commit, the registration needs steps a group does not take, such as removing
    /// soft-deleted versions it supersedes, or its group failed as a whole); nothing was
    /// written: register it through [`SchemaStore::begin_registration`].
    Declined,
}

/// A key encryption key of the DEK registry, as Confluent's `KeyEncryptionKey`: it names a
/// key held by a KMS (`kms_type`, e.g. `local-kms`, `aws-kms`, and the KMS's `kms_key_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKek {
    /// Its name (letters, digits, `_`, `-`; starts with a letter or `_`).
    pub name: String,
    /// The KMS type.
    pub kms_type: String,
    /// The key's id in the KMS.
    pub kms_key_id: String,
    /// KMS properties, by name.
    pub kms_props: std::collections::BTreeMap<String, String>,
    /// Its description.
    pub doc: Option<String>,
    /// Whether the registry may use the KMS key itself (to create and unwrap DEKs).
    pub shared: bool,
    /// Whether it is soft-deleted.
    pub deleted: bool,
    /// Last write, epoch milliseconds.
    pub ts: i64,
}

/// A data encryption key of the DEK registry, as Confluent's `DataEncryptionKey`: key
/// material wrapped by its KEK, one per KEK, subject, algorithm and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDek {
    /// The KEK that wraps it.
    pub kek_name: String,
    /// The subject it encrypts fields of.
    pub subject: String,
    /// `AES128_GCM`, `AES256_GCM` or `AES256_SIV`.
    pub algorithm: String,
    /// Its version (from 1).
    pub version: i32,
    /// Base64 of the KEK's ciphertext of the serialized Tink key.
    pub encrypted_key_material: String,
    /// Whether it is soft-deleted.
    pub deleted: bool,
    /// Last write, epoch milliseconds.
    pub ts: i64,
}

/// Persistent state of the registry. Every method is one statement or one transaction.
#[async_trait]
pub trait SchemaStore: Send + Sync + std::fmt::Debug {
    /// The schema with this id, if stored.
    async fn schema_by_id(&self, id: SchemaId) -> Result<Option<StoredSchema>>;

    /// The id of the schema with this identity fingerprint, if stored.
    async fn schema_id_by_fingerprint(&self, fingerprint: &str) -> Result<Option<SchemaId>>;

    /// Starts registering under `subject`: a transaction that holds the subject's lock
    /// (a transaction-scoped advisory lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) until
    /// it is committed or dropped, so registrations under one subject are serialized across
    /// every process sharing the database. Dropping it without [`RegistrationTx::commit`]
    /// rolls back everything it wrote.
    async fn begin_registration<'a>(
        &'a self,
        subject: &'a Subject,
    ) -> Result<Box<dyn RegistrationTx + 'a>>;

    /// Registers a new version together with the other registrations that arrive while a
    /// group is being written: one transaction, one read of every subject's versions and
    /// every fingerprint, one multi-row write and one commit per group, instead of a
    /// transaction each. Per subject the outcome is the one the registrations would have in
    /// the order they joined the group: the same schema twice gives one version, distinct
    /// schemas get consecutive versions. A failure of the group as a whole answers
    /// [`GroupedOutcome::Declined`] to each of its registrations, which then register alone,
    /// so one bad registration never fails its neighbours.
    ///
    /// The default answers [`GroupedOutcome::Declined`] (no group commit).
    async fn register_grouped(&self, registration: GroupedRegistration) -> Result<GroupedOutcome> {
        let _ = registration;
        Ok(GroupedOutcome::Declined)
    }

    /// Subjects that have versions matching `filter`, sorted, optionally by name prefix.
    /// With [`DeletedFilter::DeletedOnly`], subjects whose every version is soft-deleted.
    async fn subjects(&self, prefix: Option<&str>, filter: DeletedFilter) -> Result<Vec<Subject>>;

    /// Every version row of `subject` (live and soft-deleted), ascending.
    async fn versions(&self, subject: &Subject) -> Result<Vec<VersionRow>>;

    /// `(subject, version, deleted)` of every version that uses the schema, sorted.
    async fn versions_of_schema(&self, id: SchemaId) -> Result<Vec<(Subject, Version, bool)>>;

    /// Every version of every subject with its schema, for `GET /schemas`.
    async fn all_versions(&self, filter: DeletedFilter) -> Result<Vec<(Subject, VersionRow)>>;

    /// Ids of schemas with a version matching `filter` that reference `subject` `version`.
    async fn referenced_by(
        &self,
        subject: &Subject,
        version: Version,
        filter: DeletedFilter,
    ) -> Result<Vec<SchemaId>>;

    /// Marks versions soft-deleted; `versions` must exist. In one transaction under the
    /// subject's lock, after the rows are marked, so that a registration referencing them
    /// either committed first (and is seen) or sees them deleted.
    ///
    /// Errors: [`Error::Referenced`] when a schema with a live version references one of
    /// them; nothing is changed.
    async fn soft_delete(&self, subject: &Subject, versions: &[Version]) -> Result<()>;

    /// Removes versions permanently, and every schema no version uses any more. Returns the
    /// ids of the removed schemas.
    ///
    /// Errors: [`Error::Referenced`] when any schema (live or soft-deleted) references one
    /// of them; nothing is removed.
    async fn hard_delete(&self, subject: &Subject, versions: &[Version]) -> Result<Vec<SchemaId>>;

    /// The config set at `scope` (fields unset when nothing is set there).
    async fn config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>>;

    /// Sets the config of `scope` to `config`, every field as given (`None` unsets it): the
    /// registry merges an update into the stored config first.
    async fn set_config(&self, scope: Scope<'_>, config: StoredConfig) -> Result<()>;

    /// Removes the config of `scope`; returns what was set.
    async fn delete_config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>>;

    /// `(subject, alias)` of every subject whose own config has an `alias`, by subject.
    async fn aliases(&self) -> Result<Vec<(Subject, String)>>;

    /// The mode set at `scope`.
    async fn mode(&self, scope: Scope<'_>) -> Result<Option<Mode>>;

    /// Sets the mode of `scope`.
    async fn set_mode(&self, scope: Scope<'_>, mode: Mode) -> Result<()>;

    /// Removes the mode of `scope`; returns what was set.
    async fn delete_mode(&self, scope: Scope<'_>) -> Result<Option<Mode>>;

    /// Removes the mode of every subject scope (a subject, or a context's `:.ctx:`) whose
    /// name starts with `prefix`, the empty prefix naming them all; the registry-wide mode
    /// is not one. Returns how many were removed. Confluent's
    /// `deleteModesForSubjectsUnderContext` (`DELETE /mode?recursive=true`).
    async fn delete_modes_under(&self, prefix: &str) -> Result<u64>;

    /// The associations `key` selects, of `resource_type` when given, in no particular
    /// order.
    async fn associations(
        &self,
        key: AssociationKey<'_>,
        resource_type: Option<&str>,
    ) -> Result<Vec<StoredAssociation>>;

    /// In one transaction: removes the associations whose guid is in `delete`, then writes
    /// `put` (a new guid is inserted; a known one has its subject, lifecycle, frozen flag and
    /// update time replaced).
    ///
    /// Errors: [`Error::AssociationExists`] when a new row's resource id, resource type and
    /// association type are taken; nothing is written.
    async fn write_associations(&self, put: &[StoredAssociation], delete: &[String]) -> Result<()>;

    /// Every KEK of the DEK registry (soft-deleted ones included), by name.
    async fn keks(&self) -> Result<Vec<StoredKek>>;

    /// The KEK of this name (soft-deleted or not), if stored.
    async fn kek(&self, name: &str) -> Result<Option<StoredKek>>;

    /// Writes `kek`: with `create`, as a new row (errors: [`Error::KeyExists`] when the name
    /// is taken, nothing written); otherwise in place of the row of its name.
    async fn write_kek(&self, kek: &StoredKek, create: bool) -> Result<()>;

    /// Removes the KEK of this name for good; whether it existed.
    async fn remove_kek(&self, name: &str) -> Result<bool>;

    /// Every DEK of the KEK `kek_name` (soft-deleted ones included), by subject, algorithm
    /// and version.
    async fn deks(&self, kek_name: &str) -> Result<Vec<StoredDek>>;

    /// The DEK of this KEK, subject, algorithm and version, if stored.
    async fn dek(
        &self,
        kek_name: &str,
        subject: &str,
        algorithm: &str,
        version: i32,
    ) -> Result<Option<StoredDek>>;

    /// Writes `dek`: with `create`, as a new row (errors: [`Error::KeyExists`] when its KEK,
    /// subject, algorithm and version are taken, nothing written); otherwise in place of
    /// that row.
    async fn write_dek(&self, dek: &StoredDek, create: bool) -> Result<()>;

    /// Removes for good the DEKs of `kek_name` and `subject`, of `algorithm` and `version`
    /// when given; how many were removed.
    async fn remove_deks(
        &self,
        kek_name: &str,
        subject: &str,
        algorithm: Option<&str>,
        version: Option<i32>,
    ) -> Result<u64>;

    /// Whether any subject version exists (live or soft-deleted).
    async fn has_subjects(&self) -> Result<bool>;

    /// Every context a schema was registered in, except the default one, by name: a context
    /// exists from its first registration until [`delete_context`](Self::delete_context),
    /// as Confluent keeps a `ContextKey`.
    async fn contexts(&self) -> Result<Vec<Context>>;

    /// Forgets a context that holds no subject version, live or soft-deleted; `false` (and
    /// nothing changes) when it holds some. A context never registered in is gone already.
    async fn delete_context(&self, context: &Context) -> Result<bool>;

    /// `id` as an id of `context` (each context has its own ids: [`SchemaId::in_context`]);
    /// `None` when nothing was ever registered in the context.
    async fn schema_id_in(&self, context: &Context, id: SchemaId) -> Result<Option<SchemaId>>;

    /// Ids of the stored schemas whose content has this GUID, ascending.
    async fn schema_ids_by_guid(&self, guid: &Guid) -> Result<Vec<SchemaId>>;

    /// The highest schema id of the context the store numbers `context_key` (0: the default
    /// context; [`SchemaId::context_key`]), if it has any (`fetchMaxId`).
    async fn max_schema_id(&self, context_key: u32) -> Result<Option<SchemaId>>;

    /// Which of `ids` still name a stored schema (after hard deletes elsewhere).
    async fn existing_ids(&self, ids: &[SchemaId]) -> Result<Vec<SchemaId>>;

    /// Answers when the database does (readiness).
    async fn ping(&self) -> Result<()>;

    /// Connections of the pool: open and idle.
    fn pool_stats(&self) -> PoolStats;

    /// What any process sharing the database made stale, as it happens: the ids of schemas
    /// whose versions it deleted (hard, or soft: the `deleted` flag of answers by id
    /// changed), or the schema a version held before an IMPORT wrote it again with another
    /// one ([`Eviction`]). `None` when the backend has a single process (SQLite), where the
    /// caller saw every such write itself.
    fn evictions(&self) -> Option<tokio::sync::broadcast::Receiver<Eviction>> {
        None
    }

    /// One message each time any process sharing the database changed a config or a mode
    /// (set, deleted, or removed with its subject or context), as it happens; the receiver
    /// reports a lag when it fell behind. `None` when the backend has a single process
    /// (SQLite), where the caller made every change itself.
    fn settings_changes(&self) -> Option<tokio::sync::broadcast::Receiver<()>> {
        None
    }

    /// The subject, each time any process sharing the database committed a write to its
    /// versions (a registration, a soft or hard delete), as it happens (PostgreSQL: from
    /// the change log, within a second even when the announcement was missed); `None` in
    /// the channel when changes may have been missed (the log was out of reach for half
    /// its retention), after which the receiver should forget everything it holds; the
    /// receiver reports a lag when it fell behind. `None` when the backend has a
    /// single process (SQLite), where the caller made every write itself. A registration
    /// this process wrote in a group ([`SchemaStore::register_grouped`]) is not passed on:
    /// its [`VersionsPublisher`] was told.
    fn subject_changes(&self) -> Option<tokio::sync::broadcast::Receiver<Option<Subject>>> {
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

/// A registration in progress under one subject, holding the subject's lock: the registry
/// reads the live versions, decides (same schema already live, compatibility), and writes,
/// in plain sequence. Nothing is visible to others until [`RegistrationTx::commit`];
/// dropping the transaction rolls it back.
#[async_trait]
pub trait RegistrationTx: Send + std::fmt::Debug {
    /// The subject's live (not soft-deleted) versions, oldest first, as of the lock.
    async fn live_versions(&mut self) -> Result<Vec<VersionRow>>;

    /// The id of the schema with this identity fingerprint, if stored.
    async fn schema_id_by_fingerprint(&mut self, fingerprint: &str) -> Result<Option<SchemaId>>;

    /// [`RegistrationTx::live_versions`] and [`RegistrationTx::schema_id_by_fingerprint`]
    /// together, in one statement (one round trip to the database, or to SQLite's worker
    /// thread, instead of two).
    async fn live_versions_and_id(
        &mut self,
        fingerprint: &str,
    ) -> Result<(Vec<VersionRow>, Option<SchemaId>)> {
        let live = self.live_versions().await?;
        let id = self.schema_id_by_fingerprint(fingerprint).await?;
        Ok((live, id))
    }

    /// The id of the schema with `schema`'s fingerprint, inserting it (with its references,
    /// and with `explicit_id` in IMPORT mode) when it is new. A schema committed by another
    /// process meanwhile keeps that process's id.
    ///
    /// With `explicit_id` (IMPORT mode) the answer is that id: a schema that has another id
    /// is stored under this one too, as Confluent's `KafkaSchemaRegistry.register` keeps a
    /// schema imported under a second id (lookups by fingerprint keep finding the first id).
    ///
    /// Errors: [`Error::IdTaken`] when `explicit_id` names another schema (Confluent's
    /// `checkIfSchemaWithIdExist`).
    async fn find_or_insert_schema(
        &mut self,
        schema: &NewSchema,
        explicit_id: Option<SchemaId>,
    ) -> Result<SchemaId>;

    /// Checks that every reference names a live version, and keeps those versions from being
    /// deleted until this transaction ends (a row share lock on PostgreSQL; on SQLite every
    /// write is serialized already). Call it before writing.
    ///
    /// Errors: [`Error::ReferenceNotLive`] for the first reference that is not.
    async fn hold_references(&mut self, references: &[SchemaReference]) -> Result<()>;

    /// Writes a new live version of the subject pointing at `schema_id`: `explicit` (IMPORT
    /// mode), or the one after the subject's highest version (soft-deleted included, so
    /// numbers are never reused while rows exist). Returns the version written.
    ///
    /// An `explicit` version that exists (live or soft-deleted) is written again: it now
    /// points at `schema_id`, live, as Confluent's import puts the version's key again
    /// (`KafkaSchemaRegistry.register`). The schema it pointed at stays stored.
    async fn insert_version(
        &mut self,
        schema_id: SchemaId,
        explicit: Option<Version>,
    ) -> Result<Version>;

    /// [`find_or_insert_schema`](Self::find_or_insert_schema) then
    /// [`insert_version`](Self::insert_version): the schema's id and the version written.
    /// A new schema without references, explicit id or explicit version, in the default
    /// context, after [`live_versions_and_id`](Self::live_versions_and_id) found no id for
    /// it, is written with its version in one round trip where the backend can.
    async fn insert_schema_and_version(
        &mut self,
        schema: &NewSchema,
        explicit_id: Option<SchemaId>,
        explicit_version: Option<Version>,
    ) -> Result<(SchemaId, Version)> {
        let id = self.find_or_insert_schema(schema, explicit_id).await?;
        let version = self.insert_version(id, explicit_version).await?;
        Ok((id, version))
    }

    /// Removes for good the soft-deleted versions of the subject below `version` that use
    /// `schema_id`, except those a schema (live or soft-deleted) references, as Confluent
    /// does when a schema is registered again under a subject where it was soft-deleted
    /// (`KafkaSchemaRegistry.register` tombstones them). Call it after
    /// [`insert_version`](Self::insert_version) wrote `version`; the schema stays, used by
    /// that version. Returns the versions removed, ascending.
    async fn remove_superseded(
        &mut self,
        schema_id: SchemaId,
        version: Version,
    ) -> Result<Vec<Version>>;

    /// Makes every write of the transaction visible and releases the subject's lock.
    ///
    /// Where one process owns the database and writes one transaction at a time (SQLite),
    /// `publish` is called once the commit succeeded and before the next write can start,
    /// with every version of the subject as it now stands (soft-deleted ones included,
    /// oldest first), so that what the caller keeps in memory cannot be overtaken by a
    /// later write. Elsewhere (PostgreSQL, where other processes write too) it is not
    /// called. It is not called either when the transaction did not read the versions
    /// ([`live_versions`](Self::live_versions)).
    async fn commit(
        self: Box<Self>,
        publish: &(dyn for<'r> Fn(&'r [VersionRow]) + Sync),
    ) -> Result<()>;
}

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
