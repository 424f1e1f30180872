//! The PostgreSQL backend, for several stateless replicas on one database: runtime `sqlx`
//! queries, migrations in `migrations/postgres`.
//!
//! Concurrency: a registration takes a transaction-scoped advisory lock on its subject
//! (`pg_advisory_xact_lock`), so the compatibility check and the write it allows are atomic
//! with respect to every other registration under that subject on any replica, and versions
//! are gap-free. Ids come from the identity sequence; the unique fingerprint with
//! `ON CONFLICT DO NOTHING` gives one id to a schema registered on two replicas at once.
//! Every write another replica must learn of goes into the change log in its transaction
//! and is announced with `NOTIFY` (see [`crate::change_log`]).

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};
use tokio::sync::broadcast;
use warden_core::{Context, Mode, SchemaId, Subject, Version};

use crate::change_log::{self, Change};
use crate::common::{
    id_column, id_taken, next_context_id, refs_json, schema_id, shared_statements, subject,
    version_column,
};
use crate::{
    DeletedFilter, Error, Eviction, GroupedOutcome, GroupedRegistration, NewSchema, PoolStats,
    RegistrationTx, Result, SchemaStore, Scope, StoredConfig, StoredSchema, VersionRow,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Key space of the advisory locks Warden takes (the first argument of the two-key form).
const LOCK_SPACE: i32 = 0x5741_5244; // "WARD"

/// Keeps a referenced version row from being updated or deleted until the registration
/// that references it ends.
const ROW_SHARE_LOCK: &str = " FOR SHARE";

/// Numbers new contexts one at a time across replicas (held until the registration that
/// numbers one commits).
const CONTEXTS_LOCK: &str = "LOCK TABLE contexts IN SHARE ROW EXCLUSIVE MODE";
/// Other processes write too, and a subject's lock ends at the commit: nothing published.
const PUBLISHES_VERSIONS: bool = false;

/// Key space of the advisory locks that allocate the ids of one context (the second key is
/// the context's number).
const CONTEXT_IDS_LOCK_SPACE: i32 = 0x5741_5244 + 1;

shared_statements!(Postgres, PgRow, PgPool);
crate::associations::association_statements!(Postgres, PgRow);
crate::dek_registry::dek_statements!(Postgres, PgRow);

/// A [`SchemaStore`] on PostgreSQL.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    evictions: broadcast::Sender<Eviction>,
    settings: broadcast::Sender<()>,
    subjects: broadcast::Sender<Option<Subject>>,
    /// Registrations waiting to be written together ([`SchemaStore::register_grouped`]).
    group: crate::group_commit::GroupQueue,
    /// The changes this replica's groups announced, which its follower does not pass on:
    /// the groups tell their publishers what they wrote.
    own: change_log::OwnChanges,
}

impl PgStore {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`), applies migrations
    /// (serialized across replicas by sqlx's migration lock), and starts following the
    /// change log, through which the replicas of the database learn of each other's writes.
    ///
    /// Errors: the database is unreachable (within 10 s) or refuses the migrations.
    pub async fn open(url: &str) -> Result<Self> {
        // One direct connection first: its error says why (refused, unknown host, bad
        // password), where the pool would only say it timed out.
        PgConnection::connect(url).await?.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        backfill_guids(&pool).await?;
        let (evictions, _) = broadcast::channel(256);
        let (settings, _) = broadcast::channel(256);
        let (subjects, _) = broadcast::channel(1024);
        // Listening first, then the log's end: a change committed in between is both
        // announced and in the log, and is applied once.
        let listener = change_log::listen(&pool).await?;
        let highest = change_log::highest(&pool).await?;
        let own = change_log::OwnChanges::default();
        let sinks = change_log::Sinks {
            evictions: evictions.clone(),
            settings: settings.clone(),
            subjects: subjects.clone(),
            own: own.clone(),
        };
        tokio::spawn(change_log::follow(pool.clone(), listener, highest, sinks));
        Ok(Self {
            pool,
            evictions,
            settings,
            subjects,
            group: crate::group_commit::GroupQueue::default(),
            own,
        })
    }
}

impl PgStore {
    /// Tells every replica (this one included) that a config or mode changed, so that each
    /// drops what it holds in memory of them.
    async fn announce_settings(&self) -> Result<()> {
        change_log::append(&self.pool, &Change::Settings).await
    }
}

/// Announces a write to `subject`'s versions to every replica (this one included) when `tx`
/// commits, so that each forgets what it holds of them.
async fn announce_written(
    tx: &mut Transaction<'static, Postgres>,
    subject: &Subject,
) -> Result<()> {
    change_log::append(&mut **tx, &Change::Subject(subject.clone())).await
}

/// Announces to every replica (this one included), when the transaction of `conn` commits,
/// that IMPORT wrote a version again with another schema than `replaced`.
async fn announce_rewritten(conn: &mut PgConnection, replaced: SchemaId) -> Result<()> {
    change_log::append(conn, &Change::Rewritten(vec![replaced])).await
}

/// Begins a transaction holding the subject's advisory lock until it ends.
async fn locked(pool: &PgPool, subject: &Subject) -> Result<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(LOCK_SPACE)
        .bind(subject.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

#[async_trait]
impl SchemaStore for PgStore {
    async fn schema_by_id(&self, id: SchemaId) -> Result<Option<StoredSchema>> {
        fetch_schema(&self.pool, id).await
    }

    async fn schema_id_by_fingerprint(&self, fingerprint: &str) -> Result<Option<SchemaId>> {
        fetch_id_by_fingerprint(&self.pool, fingerprint).await
    }

    async fn begin_registration<'a>(
        &'a self,
        subject: &'a Subject,
    ) -> Result<Box<dyn RegistrationTx + 'a>> {
        let tx = locked(&self.pool, subject).await?;
        Ok(Box::new(Registration::new(None, tx, subject)))
    }

    async fn register_grouped(&self, registration: GroupedRegistration) -> Result<GroupedOutcome> {
        // Other replicas write too: the versions written are published as appended to what
        // each registration's caller held, and announced to the other replicas through the
        // change log.
        self.group
            .join(registration, |group| async move {
                let written = match self.pool.begin().await {
                    Ok(tx) => {
                        crate::group_commit::write_group_postgres(tx, &group, LOCK_SPACE, &self.own)
                            .await
                    }
                    Err(e) => Err(e.into()),
                };
                (written, ())
            })
            .await
    }

    async fn subjects(&self, prefix: Option<&str>, filter: DeletedFilter) -> Result<Vec<Subject>> {
        let having = match filter {
            DeletedFilter::Live => "HAVING bool_or(NOT deleted)",
            DeletedFilter::All => "",
            DeletedFilter::DeletedOnly => "HAVING bool_and(deleted)",
        };
        let sql = format!(
            "SELECT subject FROM subject_versions
             WHERE starts_with(subject, $1)
             GROUP BY subject {having} ORDER BY subject"
        );
        let names: Vec<String> = sqlx::query_scalar(&sql)
            .bind(prefix.unwrap_or(""))
            .fetch_all(&self.pool)
            .await?;
        names.into_iter().map(subject).collect()
    }

    async fn versions(&self, subject: &Subject) -> Result<Vec<VersionRow>> {
        fetch_versions(&self.pool, subject, false).await
    }

    async fn versions_of_schema(&self, id: SchemaId) -> Result<Vec<(Subject, Version, bool)>> {
        fetch_versions_of_schema(&self.pool, id).await
    }

    async fn all_versions(&self, filter: DeletedFilter) -> Result<Vec<(Subject, VersionRow)>> {
        fetch_all_versions(&self.pool, filter).await
    }

    async fn referenced_by(
        &self,
        subject: &Subject,
        version: Version,
        filter: DeletedFilter,
    ) -> Result<Vec<SchemaId>> {
        fetch_referenced_by(&self.pool, subject, version, filter).await
    }

    async fn soft_delete(&self, subject: &Subject, marked: &[Version]) -> Result<()> {
        let mut tx = locked(&self.pool, subject).await?;
        let versions: Vec<i32> = marked.iter().copied().map(version_column).collect();
        sqlx::query(
            "UPDATE subject_versions SET deleted = TRUE
             WHERE subject = $1 AND version = ANY($2)",
        )
        .bind(subject.as_str())
        .bind(&versions)
        .execute(&mut *tx)
        .await?;
        refuse_if_referenced(&mut tx, subject, marked, DeletedFilter::Live).await?;
        announce_written(&mut tx, subject).await?;
        // Announced like a hard delete, so that every replica forgets its cached answers for
        // these schemas by id, whose `deleted` flag may have changed.
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT schema_id FROM subject_versions
             WHERE subject = $1 AND version = ANY($2) ORDER BY schema_id",
        )
        .bind(subject.as_str())
        .bind(&versions)
        .fetch_all(&mut *tx)
        .await?;
        if !ids.is_empty() {
            let ids = ids.into_iter().map(schema_id).collect::<Result<_>>()?;
            change_log::append(&mut *tx, &Change::Evict(ids)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn hard_delete(&self, subject: &Subject, removed: &[Version]) -> Result<Vec<SchemaId>> {
        let mut tx = locked(&self.pool, subject).await?;
        let versions: Vec<i32> = removed.iter().copied().map(version_column).collect();
        let ids: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM subject_versions WHERE subject = $1 AND version = ANY($2)
             RETURNING schema_id",
        )
        .bind(subject.as_str())
        .bind(&versions)
        .fetch_all(&mut *tx)
        .await?;
        refuse_if_referenced(&mut tx, subject, removed, DeletedFilter::All).await?;
        announce_written(&mut tx, subject).await?;
        let mut removed: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM schemas s WHERE s.id = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM subject_versions v WHERE v.schema_id = s.id)
             RETURNING s.id",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        removed.sort_unstable();
        let removed: Vec<SchemaId> = removed.into_iter().map(schema_id).collect::<Result<_>>()?;
        if !removed.is_empty() {
            change_log::append(&mut *tx, &Change::Evict(removed.clone())).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    async fn config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>> {
        select_config(&self.pool, scope).await
    }

    async fn set_config(&self, scope: Scope<'_>, config: StoredConfig) -> Result<()> {
        upsert_config(&self.pool, scope, config).await?;
        self.announce_settings().await
    }

    async fn delete_config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>> {
        let old = remove_config(&self.pool, scope).await?;
        self.announce_settings().await?;
        Ok(old)
    }

    async fn aliases(&self) -> Result<Vec<(Subject, String)>> {
        select_aliases(&self.pool).await
    }

    async fn mode(&self, scope: Scope<'_>) -> Result<Option<Mode>> {
        select_mode(&self.pool, scope).await
    }

    async fn set_mode(&self, scope: Scope<'_>, mode: Mode) -> Result<()> {
        upsert_mode(&self.pool, scope, mode).await?;
        self.announce_settings().await
    }

    async fn delete_mode(&self, scope: Scope<'_>) -> Result<Option<Mode>> {
        let old = remove_mode(&self.pool, scope).await?;
        self.announce_settings().await?;
        Ok(old)
    }

    async fn delete_modes_under(&self, prefix: &str) -> Result<u64> {
        let removed = remove_modes_under(&self.pool, prefix).await?;
        self.announce_settings().await?;
        Ok(removed)
    }

    async fn associations(
        &self,
        key: crate::AssociationKey<'_>,
        resource_type: Option<&str>,
    ) -> Result<Vec<crate::StoredAssociation>> {
        fetch_associations(&self.pool, key, resource_type).await
    }

    async fn write_associations(
        &self,
        put: &[crate::StoredAssociation],
        delete: &[String],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        apply_associations(&mut tx, put, delete).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn keks(&self) -> Result<Vec<crate::StoredKek>> {
        fetch_keks(&self.pool, None).await
    }

    async fn kek(&self, name: &str) -> Result<Option<crate::StoredKek>> {
        Ok(fetch_keks(&self.pool, Some(name)).await?.pop())
    }

    async fn write_kek(&self, kek: &crate::StoredKek, create: bool) -> Result<()> {
        put_kek(&self.pool, kek, create).await
    }

    async fn remove_kek(&self, name: &str) -> Result<bool> {
        delete_kek(&self.pool, name).await
    }

    async fn deks(&self, kek_name: &str) -> Result<Vec<crate::StoredDek>> {
        fetch_deks(&self.pool, kek_name, None).await
    }

    async fn dek(
        &self,
        kek_name: &str,
        subject: &str,
        algorithm: &str,
        version: i32,
    ) -> Result<Option<crate::StoredDek>> {
        Ok(
            fetch_deks(&self.pool, kek_name, Some((subject, algorithm, version)))
                .await?
                .pop(),
        )
    }

    async fn write_dek(&self, dek: &crate::StoredDek, create: bool) -> Result<()> {
        put_dek(&self.pool, dek, create).await
    }

    async fn remove_deks(
        &self,
        kek_name: &str,
        subject: &str,
        algorithm: Option<&str>,
        version: Option<i32>,
    ) -> Result<u64> {
        delete_deks(&self.pool, kek_name, subject, algorithm, version).await
    }

    async fn has_subjects(&self) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM subject_versions)")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn contexts(&self) -> Result<Vec<Context>> {
        fetch_contexts(&self.pool).await
    }

    async fn delete_context(&self, context: &Context) -> Result<bool> {
        let removed = remove_context(&self.pool, context).await?;
        self.announce_settings().await?;
        Ok(removed)
    }

    async fn schema_id_in(&self, context: &Context, id: SchemaId) -> Result<Option<SchemaId>> {
        Ok(fetch_context_key(&self.pool, context)
            .await?
            .map(|n| id.in_context(n)))
    }

    async fn schema_ids_by_guid(&self, guid: &warden_core::Guid) -> Result<Vec<SchemaId>> {
        fetch_ids_by_guid(&self.pool, guid).await
    }

    async fn max_schema_id(&self, context_key: u32) -> Result<Option<SchemaId>> {
        fetch_max_id(&self.pool, context_key).await
    }

    async fn existing_ids(&self, ids: &[SchemaId]) -> Result<Vec<SchemaId>> {
        let ids: Vec<i64> = ids.iter().copied().map(id_column).collect();
        let found: Vec<i64> = sqlx::query_scalar("SELECT id FROM schemas WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&self.pool)
            .await?;
        found.into_iter().map(schema_id).collect()
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle(),
        }
    }

    fn evictions(&self) -> Option<broadcast::Receiver<Eviction>> {
        Some(self.evictions.subscribe())
    }

    fn settings_changes(&self) -> Option<broadcast::Receiver<()>> {
        Some(self.settings.subscribe())
    }

    fn subject_changes(&self) -> Option<broadcast::Receiver<Option<Subject>>> {
        Some(self.subjects.subscribe())
    }
}

/// Inserts a new schema of the default context, without references, and the subject's
/// `version` pointing at it; returns the schema's id (another replica's, when it stored the
/// schema first). Two statements: a replica racing this one for the schema must be seen.
async fn insert_schema_with_version(
    tx: &mut Transaction<'static, Postgres>,
    schema: &NewSchema,
    subject: &Subject,
    version: Version,
    created_at: i64,
) -> Result<SchemaId> {
    let id = insert_schema(tx, schema, 0, None, subject).await?;
    sqlx::query(
        "INSERT INTO subject_versions (subject, version, schema_id, deleted, created_at)
         VALUES ($1, $2, $3, FALSE, $4)",
    )
    .bind(subject.as_str())
    .bind(version_column(version))
    .bind(crate::common::id_column(id))
    .bind(created_at)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Inserts the schema row (or finds it, when another replica inserted it first) and its
/// references; returns the id.
///
/// The id is `wanted` (IMPORT mode, placed in the context already), else the context's
/// next one: the identity sequence for the default context (`context` 0); for the others,
/// one past the context's highest id, under an advisory lock on the context that replicas
/// take in turn until commit. References are recorded by the subjects they name in
/// `referrer`'s context.
///
/// Errors: [`Error::IdTaken`] when `wanted` (IMPORT mode) is taken by another schema;
/// [`Error::IdsExhausted`] past `2^31-1`.
async fn insert_schema(
    tx: &mut Transaction<'static, Postgres>,
    schema: &NewSchema,
    context: u32,
    wanted: Option<SchemaId>,
    referrer: &Subject,
) -> Result<SchemaId> {
    let refs = refs_json(schema)?;
    let metadata = schema.metadata.as_ref().map(ToString::to_string);
    let rule_set = schema.rule_set.as_ref().map(ToString::to_string);
    let wanted = if context == 0 {
        wanted
    } else {
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(CONTEXT_IDS_LOCK_SPACE)
            .bind(i32::try_from(context).map_err(|e| Error::Corrupt(e.to_string()))?)
            .execute(&mut **tx)
            .await?;
        // Another replica committed the same schema while this one waited: its id.
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM schemas WHERE fingerprint = $1")
                .bind(&schema.fingerprint)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some(key) = found {
            let id = schema_id(key)?;
            match wanted {
                // Imported under a second id: a copy with that id (`copy_fingerprint`).
                Some(w) if w != id => {
                    let copy = NewSchema {
                        fingerprint: crate::common::copy_fingerprint(
                            &schema.fingerprint,
                            id_column(w),
                        ),
                        ..schema.clone()
                    };
                    return Box::pin(insert_schema(tx, &copy, context, wanted, referrer)).await;
                }
                _ => return Ok(id),
            }
        }
        match wanted {
            Some(w) => Some(w),
            None => Some(next_context_id(
                context,
                fetch_context_min_key(&mut **tx, context).await?,
            )?),
        }
    };
    let id: i64 = if let Some(wanted) = wanted {
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM schemas WHERE id = $1")
            .bind(id_column(wanted))
            .fetch_optional(&mut **tx)
            .await?;
        if taken.is_some() {
            return Err(id_taken(wanted));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO schemas
                 (id, schema_type, schema, refs, metadata, rule_set, fingerprint, guid)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(id_column(wanted))
        .bind(schema.schema_type.as_str())
        .bind(&schema.schema)
        .bind(&refs)
        .bind(&metadata)
        .bind(&rule_set)
        .bind(&schema.fingerprint)
        .bind(schema.guid().to_string())
        .fetch_one(&mut **tx)
        .await?;
        // Ids allocated later must not collide with imported ones (the sequence is the
        // default context's; other contexts' keys are below zero).
        if context == 0 {
            sqlx::query(
                "SELECT setval(pg_get_serial_sequence('schemas', 'id'),
                               GREATEST((SELECT MAX(id) FROM schemas), 1))",
            )
            .execute(&mut **tx)
            .await?;
        }
        id
    } else {
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO schemas (schema_type, schema, refs, metadata, rule_set, fingerprint, guid)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
        )
        .bind(schema.schema_type.as_str())
        .bind(&schema.schema)
        .bind(&refs)
        .bind(&metadata)
        .bind(&rule_set)
        .bind(&schema.fingerprint)
        .bind(schema.guid().to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(|e| match &e {
            // sequence_generator_limit_exceeded: the identity passed 2^31-1.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("2200H") => {
                Error::IdsExhausted
            }
            _ => Error::Database(e),
        })?;
        match inserted {
            Some(id) => id,
            None => {
                // Another replica committed the same schema meanwhile: use its id.
                let id: i64 = sqlx::query_scalar("SELECT id FROM schemas WHERE fingerprint = $1")
                    .bind(&schema.fingerprint)
                    .fetch_one(&mut **tx)
                    .await?;
                return schema_id(id);
            }
        }
    };
    let id = schema_id(id)?;
    insert_references(tx, id, schema, referrer).await?;
    Ok(id)
}
