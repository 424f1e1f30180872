//! The SQLite backend: one database file in WAL mode, runtime `sqlx` queries, migrations in
//! `migrations/sqlite`.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use tokio::sync::Mutex;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, Mode, SchemaId};

use crate::common::{
    filter_sql, id_differs, id_taken, level, mode, now_millis, policy, refs_json, schema_id,
    scope_key, stored_schema,
};
use crate::{
    DeletedFilter, Error, NewSchema, PoolStats, Registered, Registration, Result, SchemaStore,
    Scope, StoredConfig, StoredSchema, VersionRow,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

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
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://PATH`, SQLite URL
    /// options allowed), in WAL mode with `synchronous=NORMAL`, and applies migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            write_lock: Mutex::new(()),
        })
    }
}

#[async_trait]
impl SchemaStore for SqliteStore {
    async fn schema_by_id(&self, id: SchemaId) -> Result<Option<StoredSchema>> {
        let row = sqlx::query(
            "SELECT schema_type, schema, refs, metadata, rule_set FROM schemas WHERE id = $1",
        )
        .bind(i64::from(id.get()))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        stored_schema(
            id,
            row.get::<&str, _>(0),
            row.get(1),
            row.get::<&str, _>(2),
            row.get(3),
            row.get(4),
        )
        .map(Some)
    }

    async fn schema_id_by_fingerprint(&self, fingerprint: &str) -> Result<Option<SchemaId>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM schemas WHERE fingerprint = $1")
            .bind(fingerprint)
            .fetch_optional(&self.pool)
            .await?;
        id.map(schema_id).transpose()
    }

    async fn register(&self, registration: Registration<'_>) -> Result<Registered> {
        let Registration {
            subject,
            schema,
            explicit_id,
            explicit_version,
            guard,
        } = registration;
        let _guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;

        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM schemas WHERE fingerprint = $1")
                .bind(&schema.fingerprint)
                .fetch_optional(&mut *tx)
                .await?;
        let rows = sqlx::query(
            "SELECT version, schema_id, deleted FROM subject_versions
             WHERE subject = $1 AND deleted = 0 ORDER BY version",
        )
        .bind(subject)
        .fetch_all(&mut *tx)
        .await?;
        let live: Vec<VersionRow> = rows.iter().map(version_row).collect::<Result<_>>()?;
        if let Some(id) = existing
            && let Some(row) = live.iter().find(|r| i64::from(r.schema_id.get()) == id)
            && explicit_version.is_none_or(|v| v == row.version)
        {
            return Ok(Registered::Existing {
                id: row.schema_id,
                version: row.version,
            });
        }
        if let Some(guard) = guard {
            guard.admit(&live).await.map_err(Error::Rejected)?;
        }

        let id = match (existing, explicit_id) {
            (Some(id), Some(wanted)) if id != i64::from(wanted.get()) => {
                return Err(id_differs(id, wanted));
            }
            (Some(id), _) => id,
            (None, Some(wanted)) => {
                let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM schemas WHERE id = $1")
                    .bind(i64::from(wanted.get()))
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_some() {
                    return Err(id_taken(wanted));
                }
                insert_schema(&mut tx, schema, Some(wanted)).await?
            }
            (None, None) => insert_schema(&mut tx, schema, None).await?,
        };

        let version = match explicit_version {
            Some(v) => {
                let taken: Option<i64> = sqlx::query_scalar(
                    "SELECT version FROM subject_versions WHERE subject = $1 AND version = $2",
                )
                .bind(subject)
                .bind(i64::from(v))
                .fetch_optional(&mut *tx)
                .await?;
                if taken.is_some() {
                    return Err(Error::VersionExists {
                        subject: subject.to_owned(),
                        version: v,
                    });
                }
                i64::from(v)
            }
            None => {
                let max: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(version) FROM subject_versions WHERE subject = $1",
                )
                .bind(subject)
                .fetch_one(&mut *tx)
                .await?;
                max.unwrap_or(0) + 1
            }
        };
        sqlx::query(
            "INSERT INTO subject_versions (subject, version, schema_id, deleted, created_at)
             VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(subject)
        .bind(version)
        .bind(id)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Registered::New {
            id: schema_id(id)?,
            version: version as u32,
        })
    }

    async fn subjects(&self, prefix: Option<&str>, filter: DeletedFilter) -> Result<Vec<String>> {
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
        Ok(sqlx::query_scalar(&sql)
            .bind(prefix.unwrap_or(""))
            .fetch_all(&self.pool)
            .await?)
    }

    async fn versions(&self, subject: &str) -> Result<Vec<VersionRow>> {
        let rows = sqlx::query(
            "SELECT version, schema_id, deleted FROM subject_versions
             WHERE subject = $1 ORDER BY version",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_row).collect()
    }

    async fn versions_of_schema(&self, id: SchemaId) -> Result<Vec<(String, u32, bool)>> {
        let rows = sqlx::query(
            "SELECT subject, version, deleted FROM subject_versions
             WHERE schema_id = $1 ORDER BY subject, version",
        )
        .bind(i64::from(id.get()))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get::<String, _>(0),
                    r.get::<i64, _>(1) as u32,
                    r.get::<i64, _>(2) != 0,
                )
            })
            .collect())
    }

    async fn all_versions(&self, filter: DeletedFilter) -> Result<Vec<(String, VersionRow)>> {
        let sql = format!(
            "SELECT version, schema_id, deleted, subject FROM subject_versions
             WHERE {} ORDER BY subject, version",
            filter_sql(filter, "deleted", ("0", "1"))
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((r.get::<String, _>(3), version_row(r)?)))
            .collect()
    }

    async fn referenced_by(
        &self,
        subject: &str,
        version: u32,
        filter: DeletedFilter,
    ) -> Result<Vec<SchemaId>> {
        let sql = format!(
            "SELECT DISTINCT r.schema_id FROM schema_references r
             WHERE r.ref_subject = $1 AND r.ref_version = $2
               AND EXISTS (SELECT 1 FROM subject_versions v
                           WHERE v.schema_id = r.schema_id AND {})
             ORDER BY r.schema_id",
            filter_sql(filter, "v.deleted", ("0", "1"))
        );
        let ids: Vec<i64> = sqlx::query_scalar(&sql)
            .bind(subject)
            .bind(i64::from(version))
            .fetch_all(&self.pool)
            .await?;
        ids.into_iter().map(schema_id).collect()
    }

    async fn soft_delete(&self, subject: &str, versions: &[u32]) -> Result<()> {
        let _guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for v in versions {
            sqlx::query(
                "UPDATE subject_versions SET deleted = 1 WHERE subject = $1 AND version = $2",
            )
            .bind(subject)
            .bind(i64::from(*v))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn hard_delete(&self, subject: &str, versions: &[u32]) -> Result<Vec<SchemaId>> {
        let _guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut removed = Vec::new();
        for v in versions {
            let id: Option<i64> = sqlx::query_scalar(
                "DELETE FROM subject_versions WHERE subject = $1 AND version = $2
                 RETURNING schema_id",
            )
            .bind(subject)
            .bind(i64::from(*v))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { continue };
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
        let row = sqlx::query(
            "SELECT compatibility, normalize, compatibility_policy FROM configs WHERE scope = $1",
        )
        .bind(scope_key(scope))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(config_row).transpose()
    }

    async fn set_config(&self, scope: Scope<'_>, config: StoredConfig) -> Result<()> {
        let _guard = self.write_lock.lock().await;
        sqlx::query(
            "INSERT INTO configs (scope, compatibility, normalize, compatibility_policy)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (scope) DO UPDATE SET
               compatibility = COALESCE(excluded.compatibility, configs.compatibility),
               normalize = COALESCE(excluded.normalize, configs.normalize),
               compatibility_policy =
                 COALESCE(excluded.compatibility_policy, configs.compatibility_policy)",
        )
        .bind(scope_key(scope))
        .bind(config.compatibility.map(CompatibilityLevel::as_str))
        .bind(config.normalize.map(i64::from))
        .bind(config.compatibility_policy.map(CompatibilityPolicy::as_str))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>> {
        let _guard = self.write_lock.lock().await;
        let row = sqlx::query(
            "DELETE FROM configs WHERE scope = $1
             RETURNING compatibility, normalize, compatibility_policy",
        )
        .bind(scope_key(scope))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(config_row).transpose()
    }

    async fn mode(&self, scope: Scope<'_>) -> Result<Option<Mode>> {
        let text: Option<String> = sqlx::query_scalar("SELECT mode FROM modes WHERE scope = $1")
            .bind(scope_key(scope))
            .fetch_optional(&self.pool)
            .await?;
        mode(text)
    }

    async fn set_mode(&self, scope: Scope<'_>, mode: Mode) -> Result<()> {
        let _guard = self.write_lock.lock().await;
        sqlx::query(
            "INSERT INTO modes (scope, mode) VALUES ($1, $2)
             ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode",
        )
        .bind(scope_key(scope))
        .bind(mode.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_mode(&self, scope: Scope<'_>) -> Result<Option<Mode>> {
        let _guard = self.write_lock.lock().await;
        let text: Option<String> =
            sqlx::query_scalar("DELETE FROM modes WHERE scope = $1 RETURNING mode")
                .bind(scope_key(scope))
                .fetch_optional(&self.pool)
                .await?;
        mode(text)
    }

    async fn existing_ids(&self, ids: &[SchemaId]) -> Result<Vec<SchemaId>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(|i| i.get().to_string()).collect();
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

    async fn has_subjects(&self) -> Result<bool> {
        let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM subject_versions LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(any.is_some())
    }
}

async fn insert_schema(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    schema: &NewSchema,
    id: Option<SchemaId>,
) -> Result<i64> {
    let refs = refs_json(schema)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO schemas (id, schema_type, schema, refs, metadata, rule_set, fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(id.map(|i| i64::from(i.get())))
    .bind(schema.schema_type.as_str())
    .bind(&schema.schema)
    .bind(&refs)
    .bind(schema.metadata.as_ref().map(|m| m.to_string()))
    .bind(schema.rule_set.as_ref().map(|m| m.to_string()))
    .bind(&schema.fingerprint)
    .fetch_one(&mut **tx)
    .await?;
    for r in &schema.references {
        sqlx::query(
            "INSERT INTO schema_references (schema_id, name, ref_subject, ref_version)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&r.name)
        .bind(&r.subject)
        .bind(i64::from(r.version))
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// A config from `compatibility, normalize, compatibility_policy` columns.
fn config_row(r: &sqlx::sqlite::SqliteRow) -> Result<StoredConfig> {
    Ok(StoredConfig {
        compatibility: level(r.get(0))?,
        normalize: r.get::<Option<i64>, _>(1).map(|n| n != 0),
        compatibility_policy: policy(r.get(2))?,
    })
}

fn version_row(r: &sqlx::sqlite::SqliteRow) -> Result<VersionRow> {
    Ok(VersionRow {
        version: r.get::<i64, _>(0) as u32,
        schema_id: schema_id(r.get(1))?,
        deleted: r.get::<i64, _>(2) != 0,
    })
}
