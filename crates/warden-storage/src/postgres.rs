//! The PostgreSQL backend, for several stateless replicas on one database: runtime `sqlx`
//! queries, migrations in `migrations/postgres`.
//!
//! Concurrency: a registration takes a transaction-scoped advisory lock on its subject
//! (`pg_advisory_xact_lock`), so the compatibility check and the write it allows are atomic
//! with respect to every other registration under that subject on any replica, and versions
//! are gap-free. Ids come from the identity sequence; the unique fingerprint with
//! `ON CONFLICT DO NOTHING` gives one id to a schema registered on two replicas at once.
//! Hard deletes are announced with `NOTIFY warden_evict` so replicas drop cached schemas.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPoolOptions, PgRow};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Row, Transaction};
use tokio::sync::broadcast;
use warden_core::{CompatibilityPolicy, Mode, SchemaId};

use crate::common::{
    filter_sql, id_differs, id_taken, level, mode, now_millis, policy, refs_json, schema_id,
    scope_key, stored_schema,
};
use crate::{
    DeletedFilter, Error, NewSchema, PoolStats, Registered, Registration, Result, SchemaStore,
    Scope, StoredConfig, StoredSchema, VersionRow,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// The channel hard deletes are announced on; the payload is a comma-separated id list.
const EVICT_CHANNEL: &str = "warden_evict";

/// Key space of the advisory locks Warden takes (the first argument of the two-key form).
const LOCK_SPACE: i32 = 0x5741_5244; // "WARD"

const BOOLS: (&str, &str) = ("FALSE", "TRUE");

/// A [`SchemaStore`] on PostgreSQL.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    evictions: broadcast::Sender<Vec<SchemaId>>,
}

impl PgStore {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`), applies migrations
    /// (serialized across replicas by sqlx's migration lock), and starts listening for hard
    /// deletes made by other replicas.
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
        let (evictions, _) = broadcast::channel(256);
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(EVICT_CHANNEL).await?;
        let sender = evictions.clone();
        tokio::spawn(async move {
            // `recv` reconnects by itself after a lost connection; notifications sent while
            // it was down are lost, which the registry's periodic revalidation covers.
            loop {
                match listener.recv().await {
                    Ok(n) => {
                        let ids: Vec<SchemaId> = n
                            .payload()
                            .split(',')
                            .filter_map(|s| s.parse::<i64>().ok())
                            .filter_map(|i| SchemaId::new(i).ok())
                            .collect();
                        let _ = sender.send(ids);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for evictions failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Self { pool, evictions })
    }
}

async fn lock_subject(tx: &mut Transaction<'_, Postgres>, subject: &str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(LOCK_SPACE)
        .bind(subject)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn version_row(r: &PgRow) -> Result<VersionRow> {
    Ok(VersionRow {
        version: r.get::<i32, _>(0) as u32,
        schema_id: schema_id(i64::from(r.get::<i32, _>(1)))?,
        deleted: r.get(2),
    })
}

/// A config from `compatibility, normalize, compatibility_policy` columns.
fn config_row(r: &PgRow) -> Result<StoredConfig> {
    Ok(StoredConfig {
        compatibility: level(r.get(0))?,
        normalize: r.get(1),
        compatibility_policy: policy(r.get(2))?,
    })
}

fn pg_id(id: SchemaId) -> i32 {
    id.get() as i32
}

#[async_trait]
impl SchemaStore for PgStore {
    async fn schema_by_id(&self, id: SchemaId) -> Result<Option<StoredSchema>> {
        let row = sqlx::query(
            "SELECT schema_type, schema, refs, metadata, rule_set FROM schemas WHERE id = $1",
        )
        .bind(pg_id(id))
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
        let id: Option<i32> = sqlx::query_scalar("SELECT id FROM schemas WHERE fingerprint = $1")
            .bind(fingerprint)
            .fetch_optional(&self.pool)
            .await?;
        id.map(|i| schema_id(i64::from(i))).transpose()
    }

    async fn register(&self, registration: Registration<'_>) -> Result<Registered> {
        let Registration {
            subject,
            schema,
            explicit_id,
            explicit_version,
            guard,
        } = registration;
        let mut tx = self.pool.begin().await?;
        lock_subject(&mut tx, subject).await?;

        let existing: Option<i32> =
            sqlx::query_scalar("SELECT id FROM schemas WHERE fingerprint = $1")
                .bind(&schema.fingerprint)
                .fetch_optional(&mut *tx)
                .await?;
        let rows = sqlx::query(
            "SELECT version, schema_id, deleted FROM subject_versions
             WHERE subject = $1 AND NOT deleted ORDER BY version",
        )
        .bind(subject)
        .fetch_all(&mut *tx)
        .await?;
        let live: Vec<VersionRow> = rows.iter().map(version_row).collect::<Result<_>>()?;
        if let Some(id) = existing
            && let Some(row) = live.iter().find(|r| pg_id(r.schema_id) == id)
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
            (Some(id), Some(wanted)) if id != pg_id(wanted) => {
                return Err(id_differs(i64::from(id), wanted));
            }
            (Some(id), _) => id,
            (None, wanted) => insert_schema(&mut tx, schema, wanted).await?,
        };

        let version: i32 = match explicit_version {
            Some(v) => {
                let taken: Option<i32> = sqlx::query_scalar(
                    "SELECT version FROM subject_versions WHERE subject = $1 AND version = $2",
                )
                .bind(subject)
                .bind(v as i32)
                .fetch_optional(&mut *tx)
                .await?;
                if taken.is_some() {
                    return Err(Error::VersionExists {
                        subject: subject.to_owned(),
                        version: v,
                    });
                }
                v as i32
            }
            None => {
                let max: Option<i32> = sqlx::query_scalar(
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
             VALUES ($1, $2, $3, FALSE, $4)",
        )
        .bind(subject)
        .bind(version)
        .bind(id)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Registered::New {
            id: schema_id(i64::from(id))?,
            version: version as u32,
        })
    }

    async fn subjects(&self, prefix: Option<&str>, filter: DeletedFilter) -> Result<Vec<String>> {
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
        .bind(pg_id(id))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get::<i32, _>(1) as u32, r.get(2)))
            .collect())
    }

    async fn all_versions(&self, filter: DeletedFilter) -> Result<Vec<(String, VersionRow)>> {
        let sql = format!(
            "SELECT version, schema_id, deleted, subject FROM subject_versions
             WHERE {} ORDER BY subject, version",
            filter_sql(filter, "deleted", BOOLS)
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
            filter_sql(filter, "v.deleted", BOOLS)
        );
        let ids: Vec<i32> = sqlx::query_scalar(&sql)
            .bind(subject)
            .bind(version as i32)
            .fetch_all(&self.pool)
            .await?;
        ids.into_iter().map(|i| schema_id(i64::from(i))).collect()
    }

    async fn soft_delete(&self, subject: &str, versions: &[u32]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        lock_subject(&mut tx, subject).await?;
        let versions: Vec<i32> = versions.iter().map(|v| *v as i32).collect();
        sqlx::query(
            "UPDATE subject_versions SET deleted = TRUE
             WHERE subject = $1 AND version = ANY($2)",
        )
        .bind(subject)
        .bind(&versions)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn hard_delete(&self, subject: &str, versions: &[u32]) -> Result<Vec<SchemaId>> {
        let mut tx = self.pool.begin().await?;
        lock_subject(&mut tx, subject).await?;
        let versions: Vec<i32> = versions.iter().map(|v| *v as i32).collect();
        let ids: Vec<i32> = sqlx::query_scalar(
            "DELETE FROM subject_versions WHERE subject = $1 AND version = ANY($2)
             RETURNING schema_id",
        )
        .bind(subject)
        .bind(&versions)
        .fetch_all(&mut *tx)
        .await?;
        let mut removed: Vec<i32> = sqlx::query_scalar(
            "DELETE FROM schemas s WHERE s.id = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM subject_versions v WHERE v.schema_id = s.id)
             RETURNING s.id",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        removed.sort_unstable();
        if !removed.is_empty() {
            let payload: Vec<String> = removed.iter().map(ToString::to_string).collect();
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(EVICT_CHANNEL)
                .bind(payload.join(","))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        removed
            .into_iter()
            .map(|i| schema_id(i64::from(i)))
            .collect()
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
        .bind(config.compatibility.map(|l| l.as_str()))
        .bind(config.normalize)
        .bind(config.compatibility_policy.map(CompatibilityPolicy::as_str))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>> {
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

    async fn set_mode(&self, scope: Scope<'_>, value: Mode) -> Result<()> {
        sqlx::query(
            "INSERT INTO modes (scope, mode) VALUES ($1, $2)
             ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode",
        )
        .bind(scope_key(scope))
        .bind(value.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_mode(&self, scope: Scope<'_>) -> Result<Option<Mode>> {
        let text: Option<String> =
            sqlx::query_scalar("DELETE FROM modes WHERE scope = $1 RETURNING mode")
                .bind(scope_key(scope))
                .fetch_optional(&self.pool)
                .await?;
        mode(text)
    }

    async fn has_subjects(&self) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM subject_versions)")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn existing_ids(&self, ids: &[SchemaId]) -> Result<Vec<SchemaId>> {
        let ids: Vec<i32> = ids.iter().map(|i| pg_id(*i)).collect();
        let found: Vec<i32> = sqlx::query_scalar("SELECT id FROM schemas WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&self.pool)
            .await?;
        found.into_iter().map(|i| schema_id(i64::from(i))).collect()
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

    fn evictions(&self) -> Option<broadcast::Receiver<Vec<SchemaId>>> {
        Some(self.evictions.subscribe())
    }
}

/// Inserts the schema row (or finds it, when another replica inserted it first) and its
/// references; returns the id.
async fn insert_schema(
    tx: &mut Transaction<'_, Postgres>,
    schema: &NewSchema,
    wanted: Option<SchemaId>,
) -> Result<i32> {
    let refs = refs_json(schema)?;
    let metadata = schema.metadata.as_ref().map(ToString::to_string);
    let rule_set = schema.rule_set.as_ref().map(ToString::to_string);
    let id: i32 = if let Some(wanted) = wanted {
        let taken: Option<i32> = sqlx::query_scalar("SELECT id FROM schemas WHERE id = $1")
            .bind(pg_id(wanted))
            .fetch_optional(&mut **tx)
            .await?;
        if taken.is_some() {
            return Err(id_taken(wanted));
        }
        let id: i32 = sqlx::query_scalar(
            "INSERT INTO schemas (id, schema_type, schema, refs, metadata, rule_set, fingerprint)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(pg_id(wanted))
        .bind(schema.schema_type.as_str())
        .bind(&schema.schema)
        .bind(&refs)
        .bind(&metadata)
        .bind(&rule_set)
        .bind(&schema.fingerprint)
        .fetch_one(&mut **tx)
        .await?;
        // Ids allocated later must not collide with imported ones.
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('schemas', 'id'),
                           GREATEST((SELECT MAX(id) FROM schemas), 1))",
        )
        .execute(&mut **tx)
        .await?;
        id
    } else {
        let inserted: Option<i32> = sqlx::query_scalar(
            "INSERT INTO schemas (schema_type, schema, refs, metadata, rule_set, fingerprint)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
        )
        .bind(schema.schema_type.as_str())
        .bind(&schema.schema)
        .bind(&refs)
        .bind(&metadata)
        .bind(&rule_set)
        .bind(&schema.fingerprint)
        .fetch_optional(&mut **tx)
        .await?;
        match inserted {
            Some(id) => id,
            None => {
                // Another replica committed the same schema meanwhile: use its id.
                return Ok(
                    sqlx::query_scalar("SELECT id FROM schemas WHERE fingerprint = $1")
                        .bind(&schema.fingerprint)
                        .fetch_one(&mut **tx)
                        .await?,
                );
            }
        }
    };
    for r in &schema.references {
        sqlx::query(
            "INSERT INTO schema_references (schema_id, name, ref_subject, ref_version)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&r.name)
        .bind(&r.subject)
        .bind(r.version)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}
