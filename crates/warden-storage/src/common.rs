//! What the backends share: value conversions, row decoding and the config and mode
//! statements. The statements are the same SQL on both dialects; [`shared_statements!`]
//! writes them once and instantiates them per backend, for its row and pool types.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use warden_core::{CompatibilityLevel, CompatibilityPolicy, Mode, SchemaId, SchemaType, Version};

use crate::{DeletedFilter, Error, NewSchema, Result, Scope, StoredConfig, StoredSchema};

pub(crate) fn scope_key<'a>(scope: Scope<'a>) -> &'a str {
    match scope {
        Scope::Global => "",
        Scope::Subject(s) => s.as_str(),
    }
}

pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn corrupt(e: impl std::fmt::Display) -> Error {
    Error::Corrupt(e.to_string())
}

/// A stored schema id (an `INTEGER` column on both backends).
pub(crate) fn schema_id(n: i32) -> Result<SchemaId> {
    SchemaId::new(i64::from(n)).map_err(corrupt)
}

/// A stored version (an `INTEGER` column on both backends).
pub(crate) fn version(n: i32) -> Result<Version> {
    Version::new(i64::from(n)).map_err(corrupt)
}

/// A stored subject name.
pub(crate) fn subject(name: String) -> Result<warden_core::Subject> {
    warden_core::Subject::parse(&name).map_err(corrupt)
}

/// The column value of an id (ids are at most `i32::MAX`).
pub(crate) fn id_column(id: SchemaId) -> i32 {
    id.get() as i32
}

/// The column value of a version (versions are at most `i32::MAX`).
pub(crate) fn version_column(v: Version) -> i32 {
    v.get() as i32
}

fn json_column(text: Option<String>) -> Result<Option<serde_json::Value>> {
    text.map(|t| serde_json::from_str(&t).map_err(corrupt))
        .transpose()
}

/// The SQL condition on a `deleted` column for a filter; `(no, yes)` are the dialect's
/// false and true literals.
pub(crate) fn filter_sql(filter: DeletedFilter, column: &str, (no, yes): (&str, &str)) -> String {
    match filter {
        DeletedFilter::Live => format!("{column} = {no}"),
        DeletedFilter::All => "1 = 1".to_owned(),
        DeletedFilter::DeletedOnly => format!("{column} = {yes}"),
    }
}

/// Builds a [`StoredSchema`] from the columns `schema_type, schema, refs, metadata,
/// rule_set`.
pub(crate) fn stored_schema(
    id: SchemaId,
    schema_type: &str,
    schema: String,
    refs: &str,
    metadata: Option<String>,
    rule_set: Option<String>,
) -> Result<StoredSchema> {
    Ok(StoredSchema {
        id,
        schema_type: SchemaType::from_str(schema_type).map_err(corrupt)?,
        schema,
        references: serde_json::from_str(refs).map_err(corrupt)?,
        metadata: json_column(metadata)?,
        rule_set: json_column(rule_set)?,
    })
}

/// Builds a [`StoredConfig`] from the columns `compatibility, normalize,
/// compatibility_policy`.
pub(crate) fn stored_config(
    compatibility: Option<String>,
    normalize: Option<bool>,
    policy: Option<String>,
) -> Result<StoredConfig> {
    Ok(StoredConfig {
        compatibility: compatibility
            .map(|l| CompatibilityLevel::from_str(&l).map_err(corrupt))
            .transpose()?,
        normalize,
        compatibility_policy: policy
            .map(|p| CompatibilityPolicy::from_str(&p).map_err(corrupt))
            .transpose()?,
    })
}

/// Parses a stored mode.
pub(crate) fn mode(text: Option<String>) -> Result<Option<Mode>> {
    text.map(|m| Mode::from_str(&m).map_err(corrupt))
        .transpose()
}

/// The references of a schema as stored (JSON text).
pub(crate) fn refs_json(schema: &NewSchema) -> Result<String> {
    serde_json::to_string(&schema.references).map_err(corrupt)
}

/// The message of an explicit id that is taken by another schema.
pub(crate) fn id_taken(wanted: SchemaId) -> Error {
    Error::IdConflict(format!(
        "Overwrite new schema with id {wanted} is not permitted: the id is taken by a \
         different schema"
    ))
}

/// The message of a schema that already has an id other than the explicit one.
pub(crate) fn id_differs(id: SchemaId, wanted: SchemaId) -> Error {
    Error::IdConflict(format!(
        "Schema already registered with id {id} instead of input id {wanted}"
    ))
}

/// Row decoding and the statements that read and write configs and modes, for one backend:
/// `shared_statements!(Database, RowType, PoolType)` defines, in the invoking module,
/// `version_row`, `config_row`, `schema_row`, `insert_references`, and the `select_*`,
/// `upsert_*` and `remove_*` functions of configs and modes. Both dialects take `$n` placeholders, `ON CONFLICT … DO UPDATE` with
/// `excluded`, and `RETURNING`; booleans are bound as `bool` (SQLite stores 0 and 1).
macro_rules! shared_statements {
    ($db:ty, $row:ty, $pool:ty) => {
        /// Records the references of a newly inserted schema.
        async fn insert_references(
            tx: &mut sqlx::Transaction<'static, $db>,
            id: warden_core::SchemaId,
            schema: &crate::NewSchema,
        ) -> crate::Result<()> {
            for r in &schema.references {
                sqlx::query(
                    "INSERT INTO schema_references (schema_id, name, ref_subject, ref_version)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(crate::common::id_column(id))
                .bind(&r.name)
                .bind(&r.subject)
                .bind(r.version)
                .execute(&mut **tx)
                .await?;
            }
            Ok(())
        }

        /// A [`VersionRow`](crate::VersionRow) from `version, schema_id, deleted` columns.
        fn version_row(r: &$row) -> crate::Result<crate::VersionRow> {
            use sqlx::Row;
            Ok(crate::VersionRow {
                version: crate::common::version(r.try_get(0)?)?,
                schema_id: crate::common::schema_id(r.try_get(1)?)?,
                deleted: r.try_get(2)?,
            })
        }

        /// A config from `compatibility, normalize, compatibility_policy` columns.
        fn config_row(r: &$row) -> crate::Result<crate::StoredConfig> {
            use sqlx::Row;
            crate::common::stored_config(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)
        }

        /// A schema from `schema_type, schema, refs, metadata, rule_set` columns.
        fn schema_row(id: warden_core::SchemaId, r: &$row) -> crate::Result<crate::StoredSchema> {
            use sqlx::Row;
            crate::common::stored_schema(
                id,
                r.try_get::<&str, _>(0)?,
                r.try_get(1)?,
                r.try_get::<&str, _>(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            )
        }

        async fn select_config(
            pool: &$pool,
            scope: crate::Scope<'_>,
        ) -> crate::Result<Option<crate::StoredConfig>> {
            let row = sqlx::query(
                "SELECT compatibility, normalize, compatibility_policy FROM configs
                 WHERE scope = $1",
            )
            .bind(crate::common::scope_key(scope))
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(config_row).transpose()
        }

        async fn upsert_config(
            pool: &$pool,
            scope: crate::Scope<'_>,
            config: crate::StoredConfig,
        ) -> crate::Result<()> {
            sqlx::query(
                "INSERT INTO configs (scope, compatibility, normalize, compatibility_policy)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (scope) DO UPDATE SET
                   compatibility = COALESCE(excluded.compatibility, configs.compatibility),
                   normalize = COALESCE(excluded.normalize, configs.normalize),
                   compatibility_policy =
                     COALESCE(excluded.compatibility_policy, configs.compatibility_policy)",
            )
            .bind(crate::common::scope_key(scope))
            .bind(
                config
                    .compatibility
                    .map(warden_core::CompatibilityLevel::as_str),
            )
            .bind(config.normalize)
            .bind(
                config
                    .compatibility_policy
                    .map(warden_core::CompatibilityPolicy::as_str),
            )
            .execute(pool)
            .await?;
            Ok(())
        }

        async fn remove_config(
            pool: &$pool,
            scope: crate::Scope<'_>,
        ) -> crate::Result<Option<crate::StoredConfig>> {
            let row = sqlx::query(
                "DELETE FROM configs WHERE scope = $1
                 RETURNING compatibility, normalize, compatibility_policy",
            )
            .bind(crate::common::scope_key(scope))
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(config_row).transpose()
        }

        async fn select_mode(
            pool: &$pool,
            scope: crate::Scope<'_>,
        ) -> crate::Result<Option<warden_core::Mode>> {
            let text: Option<String> =
                sqlx::query_scalar("SELECT mode FROM modes WHERE scope = $1")
                    .bind(crate::common::scope_key(scope))
                    .fetch_optional(pool)
                    .await?;
            crate::common::mode(text)
        }

        async fn upsert_mode(
            pool: &$pool,
            scope: crate::Scope<'_>,
            mode: warden_core::Mode,
        ) -> crate::Result<()> {
            sqlx::query(
                "INSERT INTO modes (scope, mode) VALUES ($1, $2)
                 ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode",
            )
            .bind(crate::common::scope_key(scope))
            .bind(mode.as_str())
            .execute(pool)
            .await?;
            Ok(())
        }

        async fn remove_mode(
            pool: &$pool,
            scope: crate::Scope<'_>,
        ) -> crate::Result<Option<warden_core::Mode>> {
            let text: Option<String> =
                sqlx::query_scalar("DELETE FROM modes WHERE scope = $1 RETURNING mode")
                    .bind(crate::common::scope_key(scope))
                    .fetch_optional(pool)
                    .await?;
            crate::common::mode(text)
        }
    };
}
pub(crate) use shared_statements;
