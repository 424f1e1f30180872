//! The SQLite backend: one database file in WAL mode, runtime `sqlx` queries, migrations in
//! `migrations/sqlite`.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, MutexGuard};
use warden_core::{Context, Mode, SchemaId, Subject, Version};

use crate::common::{
    id_column, id_taken, next_context_id, refs_json, schema_id, shared_statements, subject,
    version_column,
};
use crate::{
    DeletedFilter, Error, GroupedOutcome, GroupedRegistration, NewSchema, PoolStats,
    RegistrationTx, Result, SchemaStore, Scope, StoredConfig, StoredSchema, VersionRow,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Nothing to add: every write transaction on SQLite is serialized, so a referenced version
/// cannot be deleted while a registration that checked it is open.
const ROW_SHARE_LOCK: &str = "";

/// Nothing to add: writes are serialized, so new contexts are numbered one at a time.
const CONTEXTS_LOCK: &str = "";
/// Writes are serialized in this process, which owns the file: a registration publishes
/// the versions it leaves while it still holds the write lock.
const PUBLISHES_VERSIONS: bool = true;

shared_statements!(Sqlite, SqliteRow, SqlitePool);

/// One process owns a SQLite database and sees its own writes: nothing to announce.
async fn announce_written(_: &mut Transaction<'static, Sqlite>, _: &Subject) -> Result<()> {
    Ok(())
}
/// Nothing to announce either: this process wrote the version itself.
async fn announce_rewritten(_: &mut SqliteConnection, _: SchemaId) -> Result<()> {
    Ok(())
}
crate::associations::association_statements!(Sqlite, SqliteRow);
crate::dek_registry::dek_statements!(Sqlite, SqliteRow);

/// A [`SchemaStore`] on an embedded SQLite database.
///
/// Writes go through one transaction at a time (SQLite has a single writer): a process lock,
/// then `BEGIN IMMEDIATE`, which takes SQLite's write lock up front and so waits out (busy
/// timeout) a transaction whose rollback is still pending on another pooled connection,
/// where a deferred transaction would fail with `SQLITE_BUSY` on its first write. Reads run
/// in parallel on the pool.
#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    write_lock: Mutex<()>,
    /// Registrations waiting to be written together ([`SchemaStore::register_grouped`]).
    group: crate::group_commit::GroupQueue,
    /// The versions of the subjects recent groups read or wrote; changed only under
    /// `write_lock`, and cleared by every write but a group's ([`SqliteStore::lock_writes`]).
    known: std::sync::Mutex<crate::group_commit::KnownVersions>,
    /// The task that checkpoints the WAL ([`checkpoint_in_background`]), stopped on drop.
    checkpoints: tokio::task::AbortHandle,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpoints.abort();
    }
}

/// How often the WAL is checkpointed, off the writers' path ([`checkpoint_in_background`]).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// The WAL size, in pages (4 KiB by default), past which a committing writer checkpoints
/// itself (SQLite's `wal_autocheckpoint`, 1,000 by default): only a safety net, should the
/// background checkpoints fall behind.
const WAL_AUTOCHECKPOINT_PAGES: &str = "16384";

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://PATH`, SQLite URL
    /// options allowed), in WAL mode with `synchronous=NORMAL`, and applies migrations.
    ///
    /// Durability: with `synchronous=NORMAL` in WAL mode a commit is written to the WAL
    /// (the operating system has it: a crash of the process loses nothing) and reaches the
    /// disk at the next checkpoint, which syncs the WAL first; a power loss or an operating
    /// system crash may lose the commits since then, never the database's consistency. The
    /// WAL is checkpointed every [`CHECKPOINT_EVERY`] by a task of its own, so that the
    /// checkpoint's copy and syncs are off the path of writes (SQLite's default runs them in
    /// the writer that commits past 1,000 pages of WAL, under the write lock).
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // A connection to a local file does not go stale: no round trip to test it before
        // each use.
        let pool = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        backfill_guids(&pool).await?;
        let checkpoints = tokio::spawn(checkpoint_in_background(pool.clone())).abort_handle();
        Ok(Self {
            checkpoints,
            pool,
            write_lock: Mutex::new(()),
            group: crate::group_commit::GroupQueue::default(),
            known: std::sync::Mutex::default(),
        })
    }

    /// The process write lock, for any write but a group of registrations: the versions
    /// groups know are forgotten, since this write may change them.
    async fn lock_writes(&self) -> MutexGuard<'_, ()> {
        let lock = self.write_lock.lock().await;
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        lock
    }

    /// The process write lock ([`SqliteStore::lock_writes`]) and an immediate transaction.
    async fn write(&self) -> Result<(MutexGuard<'_, ()>, Transaction<'static, Sqlite>)> {
        let lock = self.lock_writes().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok((lock, tx))
    }
}

#[async_trait]
impl SchemaStore for SqliteStore {
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
        let (lock, tx) = self.write().await?;
        Ok(Box::new(Registration::new(Some(lock), tx, subject)))
    }

    async fn register_grouped(&self, registration: GroupedRegistration) -> Result<GroupedOutcome> {
        // One process owns the file: the versions written are published, under the write
        // lock (held until every registration of the group is answered).
        self.group
            .join(registration, |group| async move {
                // The write lock without forgetting the versions groups know: a group keeps
                // them true.
                let lock = self.write_lock.lock().await;
                match self.pool.begin_with("BEGIN IMMEDIATE").await {
                    Ok(tx) => (
                        crate::group_commit::write_group_sqlite(tx, &group, &self.known).await,
                        Some(lock),
                    ),
                    Err(e) => (Err(e.into()), None),
                }
            })
            .await
    }

    async fn subjects(&self, prefix: Option<&str>, filter: DeletedFilter) -> Result<Vec<Subject>> {
        let having = match filter {
            DeletedFilter::Live => "HAVING SUM(deleted = 0) > 0",
            DeletedFilter::All => "",
            DeletedFilter::DeletedOnly => "HAVING SUM(deleted = 0) = 0",
        };
        let sql = format!(
            "SELECT subject FROM subject_versions
             WHERE substr(subject, 1, length($1)) = $1
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

    async fn soft_delete(&self, subject: &Subject, versions: &[Version]) -> Result<()> {
        let (_lock, mut tx) = self.write().await?;
        for v in versions {
            sqlx::query(
                "UPDATE subject_versions SET deleted = 1 WHERE subject = $1 AND version = $2",
            )
            .bind(subject.as_str())
            .bind(version_column(*v))
            .execute(&mut *tx)
            .await?;
        }
        // Writes are serialized: what references the versions now stays so until commit.
        // Checked after marking, so versions deleted together may reference each other.
        refuse_if_referenced(&mut tx, subject, versions, DeletedFilter::Live).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn hard_delete(&self, subject: &Subject, versions: &[Version]) -> Result<Vec<SchemaId>> {
        let (_lock, mut tx) = self.write().await?;
        let mut ids = Vec::new();
        for v in versions {
            let id: Option<i64> = sqlx::query_scalar(
                "DELETE FROM subject_versions WHERE subject = $1 AND version = $2
                 RETURNING schema_id",
            )
            .bind(subject.as_str())
            .bind(version_column(*v))
            .fetch_optional(&mut *tx)
            .await?;
            ids.extend(id);
        }
        // Checked after removing, so versions deleted together may reference each other.
        refuse_if_referenced(&mut tx, subject, versions, DeletedFilter::All).await?;
        let mut removed = Vec::new();
        for id in ids {
            let orphan: Option<i64> = sqlx::query_scalar(
                "DELETE FROM schemas WHERE id = $1
                 AND NOT EXISTS (SELECT 1 FROM subject_versions WHERE schema_id = $1)
                 RETURNING id",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = orphan {
                removed.push(schema_id(id)?);
            }
        }
        tx.commit().await?;
        Ok(removed)
    }

    async fn config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>> {
        select_config(&self.pool, scope).await
    }

    async fn set_config(&self, scope: Scope<'_>, config: StoredConfig) -> Result<()> {
        let _lock = self.lock_writes().await;
        upsert_config(&self.pool, scope, config).await
    }

    async fn delete_config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>> {
        let _lock = self.lock_writes().await;
        remove_config(&self.pool, scope).await
    }

    async fn aliases(&self) -> Result<Vec<(Subject, String)>> {
        select_aliases(&self.pool).await
    }

    async fn mode(&self, scope: Scope<'_>) -> Result<Option<Mode>> {
        select_mode(&self.pool, scope).await
    }

    async fn set_mode(&self, scope: Scope<'_>, mode: Mode) -> Result<()> {
        let _lock = self.lock_writes().await;
        upsert_mode(&self.pool, scope, mode).await
    }

    async fn delete_mode(&self, scope: Scope<'_>) -> Result<Option<Mode>> {
        let _lock = self.lock_writes().await;
        remove_mode(&self.pool, scope).await
    }

    async fn delete_modes_under(&self, prefix: &str) -> Result<u64> {
        let _lock = self.lock_writes().await;
        remove_modes_under(&self.pool, prefix).await
    }

    async fn existing_ids(&self, ids: &[SchemaId]) -> Result<Vec<SchemaId>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(|i| id_column(*i).to_string()).collect();
            let sql = format!("SELECT id FROM schemas WHERE id IN ({})", list.join(","));
            let found: Vec<i64> = sqlx::query_scalar(&sql).fetch_all(&self.pool).await?;
            for id in found {
                out.push(schema_id(id)?);
            }
        }
        Ok(out)
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
        let (_lock, mut tx) = self.write().await?;
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
        let (_lock, mut tx) = self.write().await?;
        let out = put_kek(&mut *tx, kek, create).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn remove_kek(&self, name: &str) -> Result<bool> {
        let (_lock, mut tx) = self.write().await?;
        let out = delete_kek(&mut *tx, name).await?;
        tx.commit().await?;
        Ok(out)
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
        let (_lock, mut tx) = self.write().await?;
        let out = put_dek(&mut *tx, dek, create).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn remove_deks(
        &self,
        kek_name: &str,
        subject: &str,
        algorithm: Option<&str>,
        version: Option<i32>,
    ) -> Result<u64> {
        let (_lock, mut tx) = self.write().await?;
        let out = delete_deks(&mut *tx, kek_name, subject, algorithm, version).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn has_subjects(&self) -> Result<bool> {
        let any: Option<i32> = sqlx::query_scalar("SELECT 1 FROM subject_versions LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(any.is_some())
    }

    async fn contexts(&self) -> Result<Vec<Context>> {
        fetch_contexts(&self.pool).await
    }

    async fn delete_context(&self, context: &Context) -> Result<bool> {
        let _lock = self.lock_writes().await;
        remove_context(&self.pool, context).await
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
}

/// Checkpoints the WAL of `pool`'s database every [`CHECKPOINT_EVERY`] (`PASSIVE`: it copies
/// what no reader still needs and never waits for readers or writers), until the pool is
/// closed or the task aborted.
async fn checkpoint_in_background(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// Inserts a new schema of the default context, without references, and the subject's
/// `version` pointing at it, in one round trip to SQLite's worker thread (two statements
/// in one query); returns the schema's id.
///
/// Errors: [`Error::IdsExhausted`](crate::Error::IdsExhausted) past `2^31-1` (the caller
/// drops the transaction, so nothing is written).
async fn insert_schema_with_version(
    tx: &mut Transaction<'static, Sqlite>,
    schema: &NewSchema,
    subject: &Subject,
    version: Version,
    created_at: i64,
) -> Result<SchemaId> {
    let refs = refs_json(schema)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO schemas (schema_type, schema, refs, metadata, rule_set, fingerprint, guid)
         VALUES ($1, $2, $3, $4, $5, $6, $7);
         INSERT INTO subject_versions (subject, version, schema_id, deleted, created_at)
         VALUES ($8, $9, last_insert_rowid(), FALSE, $10) RETURNING schema_id",
    )
    .bind(schema.schema_type.as_str())
    .bind(&schema.schema)
    .bind(&refs)
    .bind(schema.metadata.as_ref().map(|m| m.to_string()))
    .bind(schema.rule_set.as_ref().map(|m| m.to_string()))
    .bind(&schema.fingerprint)
    .bind(schema.guid().to_string())
    .bind(subject.as_str())
    .bind(version_column(version))
    .bind(created_at)
    .fetch_one(&mut **tx)
    .await?;
    if id > i64::from(i32::MAX) {
        return Err(Error::IdsExhausted);
    }
    schema_id(id)
}

/// Inserts the schema row (with `id` in IMPORT mode) and its references; returns the id.
///
/// The id is `id` (IMPORT mode, placed in the context already), else the context's next one:
/// the `AUTOINCREMENT` of the table for the default context (`context` 0), one past the
/// context's highest id for the others. References are recorded by the subjects they name
/// in `referrer`'s context.
///
/// Errors: [`Error::IdTaken`](crate::Error::IdTaken) when `id` is taken by another
/// schema; [`Error::IdsExhausted`](crate::Error::IdsExhausted) past `2^31-1`.
async fn insert_schema(
    tx: &mut Transaction<'static, Sqlite>,
    schema: &NewSchema,
    context: u32,
    id: Option<SchemaId>,
    referrer: &Subject,
) -> Result<SchemaId> {
    if let Some(wanted) = id
        && fetch_schema(&mut **tx, wanted).await?.is_some()
    {
        return Err(id_taken(wanted));
    }
    // Writes are serialized: no other process allocates meanwhile.
    let id = match id {
        None if context != 0 => Some(next_context_id(
            context,
            fetch_context_min_key(&mut **tx, context).await?,
        )?),
        id => id,
    };
    let refs = refs_json(schema)?;
    // AUTOINCREMENT goes past 2^31-1 after an imported id at the top of the range; the
    // transaction is dropped, so nothing is written.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO schemas (id, schema_type, schema, refs, metadata, rule_set, fingerprint, guid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(id.map(id_column))
    .bind(schema.schema_type.as_str())
    .bind(&schema.schema)
    .bind(&refs)
    .bind(schema.metadata.as_ref().map(|m| m.to_string()))
    .bind(schema.rule_set.as_ref().map(|m| m.to_string()))
    .bind(&schema.fingerprint)
    .bind(schema.guid().to_string())
    .fetch_one(&mut **tx)
    .await?;
    if id > i64::from(i32::MAX) {
        return Err(Error::IdsExhausted);
    }
    let id = schema_id(id)?;
    insert_references(tx, id, schema, referrer).await?;
    Ok(id)
}
