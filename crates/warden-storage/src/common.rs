//! What the backends share: value conversions, row decoding and the config and mode
//! statements. The statements are the same SQL on both dialects; [`shared_statements!`]
//! writes them once and instantiates them per backend, for its row and pool types.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use warden_core::api::ConfigFields;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, Mode, SchemaId, SchemaType, Version};

use crate::{DeletedFilter, Error, NewSchema, Result, Scope, StoredConfig, StoredSchema};

pub(crate) fn scope_key<'a>(scope: Scope<'a>) -> &'a str {
    match scope {
        Scope::Global => "",
        Scope::Subject(s) => s.as_str(),
    }
}

/// Milliseconds since the Unix epoch, as Java's `System.currentTimeMillis` (0 if the clock
/// is before 1970).
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn corrupt(e: impl std::fmt::Display) -> Error {
    Error::Corrupt(e.to_string())
}

/// Ids within a context are at most `2^31-1`: the low 31 bits of a key.
const ID_BITS: u32 = 31;

/// A schema's key as stored (`schemas.id`, `subject_versions.schema_id`,
/// `schema_references.schema_id`): one integer for the pair (context, id). The default
/// context's ids are stored as themselves, so its rows, its `AUTOINCREMENT` or identity
/// sequence and databases written before contexts are unchanged; the id `i` of the context
/// the `contexts` table numbers `n` (from 1) is stored as `-(n * 2^31 + i)`, so every
/// context's ids lie in a range of their own, below zero, where the sequence never reaches.
pub(crate) fn schema_id(key: i64) -> Result<SchemaId> {
    if key > 0 {
        return SchemaId::new(key).map_err(corrupt);
    }
    let bits = key.checked_neg().ok_or_else(|| corrupt(key))?;
    let context = u32::try_from(bits >> ID_BITS).map_err(corrupt)?;
    SchemaId::new(bits & i64::from(i32::MAX))
        .map(|id| id.in_context(context))
        .map_err(corrupt)
}

/// The keys of context number `context` (from 1): the lowest and the highest.
pub(crate) fn context_key_range(context: u32) -> (i64, i64) {
    let base = i64::from(context) << ID_BITS;
    (-(base | i64::from(i32::MAX)), -(base | 1))
}

/// The next id of a context whose lowest key is `min` (its highest id), 1 for a context
/// with no schema.
///
/// Errors: [`Error::IdsExhausted`] past `2^31-1`.
pub(crate) fn next_context_id(context: u32, min: Option<i64>) -> Result<SchemaId> {
    let next = match min {
        Some(key) => i64::from(schema_id(key)?.get()) + 1,
        None => 1,
    };
    SchemaId::new(next)
        .map(|id| id.in_context(context))
        .map_err(|_| Error::IdsExhausted)
}

/// The subject a reference from a schema registered under `referrer` names: qualified by
/// the referrer's context unless it names one (Confluent `qualifySubjectWithParent`).
pub(crate) fn reference_subject(referrer: &warden_core::Subject, subject: &str) -> String {
    match warden_core::Subject::parse(subject) {
        Ok(s) => referrer.qualify_reference(&s).as_str().to_owned(),
        Err(_) => subject.to_owned(),
    }
}

/// A stored version (an `INTEGER` column on both backends).
pub(crate) fn version(n: i32) -> Result<Version> {
    Version::new(i64::from(n)).map_err(corrupt)
}

/// A stored subject name.
pub(crate) fn subject(name: String) -> Result<warden_core::Subject> {
    warden_core::Subject::parse(&name).map_err(corrupt)
}

/// The stored key of an id ([`schema_id`] reads it back).
pub(crate) fn id_column(id: SchemaId) -> i64 {
    let context = i64::from(id.context_key());
    if context == 0 {
        i64::from(id.get())
    } else {
        -((context << ID_BITS) | i64::from(id.get()))
    }
}

/// The column value of a version (versions are at most `i32::MAX`).
pub(crate) fn version_column(v: Version) -> i32 {
    v.get() as i32
}

fn json_column(text: Option<String>) -> Result<Option<serde_json::Value>> {
    text.map(|t| serde_json::from_str(&t).map_err(corrupt))
        .transpose()
}

/// The SQL condition on a `deleted` column for a filter.
pub(crate) fn filter_sql(filter: DeletedFilter, column: &str) -> String {
    match filter {
        DeletedFilter::Live => format!("{column} = FALSE"),
        DeletedFilter::All => "1 = 1".to_owned(),
        DeletedFilter::DeletedOnly => format!("{column} = TRUE"),
    }
}

/// The version after the highest stored one (`None`: the subject has no rows), 1 for a new
/// subject.
pub(crate) fn next_version(max: Option<i32>) -> Result<Version> {
    match max {
        Some(max) => version(max)?.next().map_err(corrupt),
        None => Ok(Version::FIRST),
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
    let references: Vec<warden_core::api::SchemaReference> =
        serde_json::from_str(refs).map_err(corrupt)?;
    let metadata = json_column(metadata)?;
    let rule_set = json_column(rule_set)?;
    let guid =
        warden_core::Guid::of_schema(&schema, &references, metadata.as_ref(), rule_set.as_ref());
    Ok(StoredSchema {
        id,
        schema_type: SchemaType::from_str(schema_type).map_err(corrupt)?,
        schema,
        references,
        metadata,
        rule_set,
        guid,
    })
}

/// Builds a [`StoredConfig`] from the columns `compatibility, normalize,
/// compatibility_policy` and the other fields ([`extra_config`]).
pub(crate) fn stored_config(
    compatibility: Option<String>,
    normalize: Option<bool>,
    policy: Option<String>,
    extra: ConfigFields,
) -> Result<StoredConfig> {
    Ok(StoredConfig {
        compatibility: compatibility
            .map(|l| CompatibilityLevel::from_str(&l).map_err(corrupt))
            .transpose()?,
        normalize,
        compatibility_policy: policy
            .map(|p| CompatibilityPolicy::from_str(&p).map_err(corrupt))
            .transpose()?,
        extra,
    })
}

/// The columns of a config after `compatibility, normalize, compatibility_policy`, in this
/// order.
pub(crate) const CONFIG_EXTRA_COLUMNS: &str = "alias, alias_for_deks, validate_fields, \
     validate_new_schemas, validate_rules, compatibility_group, default_metadata, \
     override_metadata, default_rule_set, override_rule_set";

/// [`ConfigFields`] from the [`CONFIG_EXTRA_COLUMNS`] values.
#[allow(clippy::too_many_arguments)]
pub(crate) fn extra_config(
    alias: Option<String>,
    alias_for_deks: Option<String>,
    validate_fields: Option<bool>,
    validate_new_schemas: Option<bool>,
    validate_rules: Option<bool>,
    compatibility_group: Option<String>,
    default_metadata: Option<String>,
    override_metadata: Option<String>,
    default_rule_set: Option<String>,
    override_rule_set: Option<String>,
) -> Result<ConfigFields> {
    Ok(ConfigFields {
        alias,
        alias_for_deks,
        validate_fields,
        validate_new_schemas,
        validate_rules,
        compatibility_group,
        default_metadata: json_column(default_metadata)?,
        override_metadata: json_column(override_metadata)?,
        default_rule_set: json_column(default_rule_set)?,
        override_rule_set: json_column(override_rule_set)?,
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

/// An explicit id that is taken by another schema.
pub(crate) fn id_taken(wanted: SchemaId) -> Error {
    Error::IdTaken(wanted)
}

/// The fingerprint of a copy of a schema stored under a second id (`key`, the id's column
/// value): Confluent keeps a schema imported with an id other than its own as a schema of
/// that id too (`KafkaSchemaRegistry.register` only refuses an id naming a different
/// schema), so the same content may have several ids; the copy's fingerprint is the
/// schema's followed by `@` and the id, unique like every fingerprint.
pub(crate) fn copy_fingerprint(fingerprint: &str, key: i64) -> String {
    format!("{fingerprint}@{key}")
}

/// Whether a stored fingerprint is `fingerprint` or that of a copy of it under another id
/// ([`copy_fingerprint`]).
pub(crate) fn same_content(stored: &str, fingerprint: &str) -> bool {
    stored
        .strip_prefix(fingerprint)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('@'))
}

/// Row decoding and the statements that read and write configs and modes, for one backend:
/// `shared_statements!(Database, RowType, PoolType)` defines, in the invoking module, the
/// row decoders (`version_row`, `config_row`, `schema_row`), the reads and writes of schemas
/// and versions that both dialects spell alike (`fetch_*`, `write_version`,
/// `insert_references`), and the `select_*`, `upsert_*` and `remove_*` functions of configs
/// and modes, and the backend's `Registration` (its [`RegistrationTx`](crate::RegistrationTx)),
/// which calls the backend's own `insert_schema(tx, schema, explicit_id)`. Both dialects take `$n` placeholders, `TRUE`/`FALSE`, `ON CONFLICT … DO
/// UPDATE` with `excluded`, and `RETURNING`; booleans are bound as `bool` (SQLite stores 0
/// and 1).
macro_rules! shared_statements {
    ($db:ty, $row:ty, $pool:ty) => {
        /// A registration in progress: the transaction holding the subject's lock (and, on
        /// SQLite, the process write lock).
        struct Registration<'a> {
            // Fields drop in this order: the transaction rolls back before the process
            // write lock (SQLite) is released.
            tx: sqlx::Transaction<'static, $db>,
            _lock: Option<tokio::sync::MutexGuard<'a, ()>>,
            subject: &'a warden_core::Subject,
            /// The last fingerprint looked up in this transaction and what it found, so
            /// `find_or_insert_schema` does not ask again (a schema another process inserts
            /// meanwhile is caught by the unique fingerprint).
            found: Option<(String, Option<warden_core::SchemaId>)>,
            /// Every version of the subject, in version order, as this transaction left
            /// them, once `live_versions` read them under the subject's lock: what
            /// `insert_version` numbers after, what `remove_superseded` looks through, and
            /// what `commit` publishes, none of them reading again.
            rows: Option<Vec<crate::VersionRow>>,
        }

        impl<'a> Registration<'a> {
            fn new(
                lock: Option<tokio::sync::MutexGuard<'a, ()>>,
                tx: sqlx::Transaction<'static, $db>,
                subject: &'a warden_core::Subject,
            ) -> Self {
                Self {
                    _lock: lock,
                    tx,
                    subject,
                    found: None,
                    rows: None,
                }
            }
        }

        impl std::fmt::Debug for Registration<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("Registration")
                    .field("subject", &self.subject)
                    .finish_non_exhaustive()
            }
        }

        #[async_trait::async_trait]
        impl crate::RegistrationTx for Registration<'_> {
            async fn live_versions(&mut self) -> crate::Result<Vec<crate::VersionRow>> {
                let rows = fetch_versions(&mut *self.tx, self.subject, false).await?;
                let live = rows.iter().filter(|r| !r.deleted).copied().collect();
                self.rows = Some(rows);
                Ok(live)
            }

            async fn live_versions_and_id(
                &mut self,
                fingerprint: &str,
            ) -> crate::Result<(Vec<crate::VersionRow>, Option<warden_core::SchemaId>)> {
                use sqlx::Row;
                // The versions (part 0, in order), then the schema's id (part 1).
                let rows = sqlx::query(
                    "SELECT version, schema_id, deleted, created_at, 0 AS part
                     FROM subject_versions WHERE subject = $1
                     UNION ALL
                     SELECT 0, id, FALSE, 0, 1 FROM schemas WHERE fingerprint = $2
                     ORDER BY part, version",
                )
                .bind(self.subject.as_str())
                .bind(fingerprint)
                .fetch_all(&mut *self.tx)
                .await?;
                let mut versions = Vec::with_capacity(rows.len());
                let mut id = None;
                for row in &rows {
                    if row.try_get::<i32, _>("part")? == 0 {
                        versions.push(version_row(row)?);
                    } else {
                        id = Some(crate::common::schema_id(row.try_get(1)?)?);
                    }
                }
                let live = versions.iter().filter(|r| !r.deleted).copied().collect();
                self.rows = Some(versions);
                self.found = Some((fingerprint.to_owned(), id));
                Ok((live, id))
            }

            async fn schema_id_by_fingerprint(
                &mut self,
                fingerprint: &str,
            ) -> crate::Result<Option<warden_core::SchemaId>> {
                if let Some((known, id)) = &self.found
                    && known == fingerprint
                {
                    return Ok(*id);
                }
                let id = fetch_id_by_fingerprint(&mut *self.tx, fingerprint).await?;
                self.found = Some((fingerprint.to_owned(), id));
                Ok(id)
            }

            async fn find_or_insert_schema(
                &mut self,
                schema: &crate::NewSchema,
                explicit_id: Option<warden_core::SchemaId>,
            ) -> crate::Result<warden_core::SchemaId> {
                let found = self.schema_id_by_fingerprint(&schema.fingerprint).await?;
                // An explicit id is one of the subject's context.
                let wanted = match (found, explicit_id) {
                    (Some(id), None) => return Ok(id),
                    (Some(id), Some(wanted)) if id.get() == wanted.get() => return Ok(id),
                    (_, wanted) => wanted,
                };
                let context = context_key(&mut self.tx, &self.subject.context()).await?;
                let wanted = wanted.map(|w| w.in_context(context));
                let copy;
                let row = match wanted {
                    Some(w) => match fetch_fingerprint(&mut *self.tx, w).await? {
                        // The id names this schema already (a copy under a second id).
                        Some(stored)
                            if crate::common::same_content(&stored, &schema.fingerprint) =>
                        {
                            return Ok(w);
                        }
                        Some(_) => return Err(crate::common::id_taken(w)),
                        // Confluent keeps the schema under the explicit id as well as under
                        // the one it has (`KafkaSchemaRegistry.register`).
                        None if found.is_some() => {
                            copy = crate::NewSchema {
                                fingerprint: crate::common::copy_fingerprint(
                                    &schema.fingerprint,
                                    crate::common::id_column(w),
                                ),
                                ..schema.clone()
                            };
                            &copy
                        }
                        None => schema,
                    },
                    None => schema,
                };
                insert_schema(&mut self.tx, row, context, wanted, self.subject).await
            }

            async fn hold_references(
                &mut self,
                references: &[warden_core::api::SchemaReference],
            ) -> crate::Result<()> {
                let sql = format!(
                    "SELECT version FROM subject_versions
                     WHERE subject = $1 AND version = $2 AND deleted = FALSE{ROW_SHARE_LOCK}"
                );
                for r in references {
                    let live: Option<i32> = sqlx::query_scalar(&sql)
                        .bind(crate::common::reference_subject(self.subject, &r.subject))
                        .bind(r.version)
                        .fetch_optional(&mut *self.tx)
                        .await?;
                    if live.is_none() {
                        return Err(crate::Error::ReferenceNotLive {
                            name: r.name.clone(),
                            subject: r.subject.clone(),
                            version: r.version,
                        });
                    }
                }
                Ok(())
            }

            async fn insert_version(
                &mut self,
                schema_id: warden_core::SchemaId,
                explicit: Option<warden_core::Version>,
            ) -> crate::Result<warden_core::Version> {
                let highest = self.rows.as_ref().map(|rows| {
                    rows.last()
                        .map(|r| crate::common::version_column(r.version))
                });
                let created_at = crate::common::now_millis();
                let version = write_version(
                    &mut self.tx,
                    self.subject,
                    schema_id,
                    explicit,
                    highest,
                    created_at,
                )
                .await?;
                if let Some(rows) = &mut self.rows {
                    let row = crate::VersionRow {
                        version,
                        schema_id,
                        deleted: false,
                        created_at,
                    };
                    match rows.binary_search_by_key(&version, |r| r.version) {
                        Ok(at) => rows[at] = row,
                        Err(at) => rows.insert(at, row),
                    }
                }
                Ok(version)
            }

            async fn insert_schema_and_version(
                &mut self,
                schema: &crate::NewSchema,
                explicit_id: Option<warden_core::SchemaId>,
                explicit_version: Option<warden_core::Version>,
            ) -> crate::Result<(warden_core::SchemaId, warden_core::Version)> {
                let known_new = matches!(&self.found, Some((fp, None)) if *fp == schema.fingerprint);
                let highest = match &self.rows {
                    Some(rows) if known_new
                        && explicit_id.is_none()
                        && explicit_version.is_none()
                        && schema.references.is_empty()
                        && self.subject.context().is_default() =>
                    {
                        rows.last().map(|r| crate::common::version_column(r.version))
                    }
                    _ => {
                        let id = self.find_or_insert_schema(schema, explicit_id).await?;
                        let version = self.insert_version(id, explicit_version).await?;
                        return Ok((id, version));
                    }
                };
                let version = crate::common::next_version(highest)?;
                let created_at = crate::common::now_millis();
                let id = insert_schema_with_version(
                    &mut self.tx,
                    schema,
                    self.subject,
                    version,
                    created_at,
                )
                .await?;
                self.found = Some((schema.fingerprint.clone(), Some(id)));
                if let Some(rows) = &mut self.rows {
                    rows.push(crate::VersionRow {
                        version,
                        schema_id: id,
                        deleted: false,
                        created_at,
                    });
                }
                Ok((id, version))
            }

            async fn remove_superseded(
                &mut self,
                schema_id: warden_core::SchemaId,
                version: warden_core::Version,
            ) -> crate::Result<Vec<warden_core::Version>> {
                let rows = match &self.rows {
                    Some(rows) => rows.clone(),
                    None => fetch_versions(&mut *self.tx, self.subject, false).await?,
                };
                let mut removed = Vec::new();
                for row in rows
                    .iter()
                    .filter(|r| r.deleted && r.schema_id == schema_id && r.version < version)
                {
                    // References resolve by subject and version: a referenced version stays,
                    // even when only soft-deleted schemas reference it (they may be revived).
                    let by = fetch_referenced_by(
                        &mut *self.tx,
                        self.subject,
                        row.version,
                        crate::DeletedFilter::All,
                    )
                    .await?;
                    if !by.is_empty() {
                        continue;
                    }
                    sqlx::query("DELETE FROM subject_versions WHERE subject = $1 AND version = $2")
                        .bind(self.subject.as_str())
                        .bind(crate::common::version_column(row.version))
                        .execute(&mut *self.tx)
                        .await?;
                    removed.push(row.version);
                }
                if let Some(rows) = &mut self.rows {
                    rows.retain(|r| !removed.contains(&r.version));
                }
                Ok(removed)
            }

            async fn commit(
                mut self: Box<Self>,
                publish: &(dyn for<'r> Fn(&'r [crate::VersionRow]) + Sync),
            ) -> crate::Result<()> {
                // The backend's `announce_written` (a NOTIFY on PostgreSQL), delivered to
                // the other processes when the transaction commits.
                announce_written(&mut self.tx, self.subject).await?;
                self.tx.commit().await?;
                // Still under the process write lock (SQLite), dropped with `self`.
                if PUBLISHES_VERSIONS && let Some(rows) = self.rows.take() {
                    publish(&rows);
                }
                Ok(())
            }
        }

        /// The identity fingerprint of the schema with `id`, if stored.
        async fn fetch_fingerprint<'e, E: sqlx::Executor<'e, Database = $db>>(
            ex: E,
            id: warden_core::SchemaId,
        ) -> crate::Result<Option<String>> {
            Ok(
                sqlx::query_scalar("SELECT fingerprint FROM schemas WHERE id = $1")
                    .bind(crate::common::id_column(id))
                    .fetch_optional(ex)
                    .await?,
            )
        }

        /// The schema with `id`, if stored.
        async fn fetch_schema<'e, E: sqlx::Executor<'e, Database = $db>>(
            ex: E,
            id: warden_core::SchemaId,
        ) -> crate::Result<Option<crate::StoredSchema>> {
            let row = sqlx::query(
                "SELECT schema_type, schema, refs, metadata, rule_set FROM schemas WHERE id = $1",
            )
            .bind(crate::common::id_column(id))
            .fetch_optional(ex)
            .await?;
            row.map(|r| schema_row(id, &r)).transpose()
        }

        /// The id of the schema with this identity fingerprint, if stored.
        async fn fetch_id_by_fingerprint<'e, E: sqlx::Executor<'e, Database = $db>>(
            ex: E,
            fingerprint: &str,
        ) -> crate::Result<Option<warden_core::SchemaId>> {
            let id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM schemas WHERE fingerprint = $1")
                    .bind(fingerprint)
                    .fetch_optional(ex)
                    .await?;
            id.map(crate::common::schema_id).transpose()
        }

        /// The version rows of `subject`, ascending: every one, or the live ones only.
        async fn fetch_versions<'e, E: sqlx::Executor<'e, Database = $db>>(
            ex: E,
            subject: &warden_core::Subject,
            live_only: bool,
        ) -> crate::Result<Vec<crate::VersionRow>> {
            let sql = if live_only {
                "SELECT version, schema_id, deleted, created_at FROM subject_versions
                 WHERE subject = $1 AND deleted = FALSE ORDER BY version"
            } else {
                "SELECT version, schema_id, deleted, created_at FROM subject_versions
                 WHERE subject = $1 ORDER BY version"
            };
            let rows = sqlx::query(sql)
                .bind(subject.as_str())
                .fetch_all(ex)
                .await?;
            rows.iter().map(version_row).collect()
        }

        /// `(subject, version, deleted)` of every version that uses schema `id`, sorted.
        async fn fetch_versions_of_schema<'e, E: sqlx::Executor<'e, Database = $db>>(
            ex: E,
            id: warden_core::SchemaId,
        ) -> crate::Result<Vec<(warden_core::Subject, warden_core::Version, bool)>> {
            let rows = sqlx::query(
                "SELECT version, schema_id, deleted, subject, created_at FROM subject_versions
                 WHERE schema_id = $1 ORDER BY subject, version",
            )
            .bind(crate::common::id_column(id))
            .fetch_all(ex)
            .await?;
            rows.iter()
                .map(|r| {
                    use sqlx::Row;
                    let row = version_row(r)?;
                    Ok((
                        crate::common::subject(r.try_get(3)?)?,
                        row.version,
                        row.deleted,
                    ))
                })
                .collect()
        }

        /// Every version row matching `filter`, by subject then version.
        async fn fetch_all_versions<'e, E: sqlx::Executor<'e, Database = $db>>(
            ex: E,
            filter: crate::DeletedFilter,
        ) -> crate::Result<Vec<(warden_core::Subject, crate::VersionRow)>> {
            let sql = format!(
                "SELECT version, schema_id, deleted, subject, created_at FROM subject_versions
                 WHERE {} ORDER BY subject, version",
                crate::common::filter_sql(filter, "deleted")
            );
            let rows = sqlx::query(&sql).fetch_all(ex).await?;
            rows.iter()
                .map(|r| {
                    use sqlx::Row;
                    Ok((crate::common::subject(r.try_get(3)?)?, version_row(r)?))
                })
                .collect()
        }

        /// Ids of schemas with a version matching `filter` that reference `subject`
        /// `version`.
        async fn fetch_referenced_by<'e, E: sqlx::Executor<'e, Database = $db>>(
            ex: E,
            subject: &warden_core::Subject,
            version: warden_core::Version,
            filter: crate::DeletedFilter,
        ) -> crate::Result<Vec<warden_core::SchemaId>> {
            let sql = format!(
                "SELECT DISTINCT r.schema_id FROM schema_references r
                 WHERE r.ref_subject = $1 AND r.ref_version = $2
                   AND EXISTS (SELECT 1 FROM subject_versions v
                               WHERE v.schema_id = r.schema_id AND {})
                 ORDER BY r.schema_id",
                crate::common::filter_sql(filter, "v.deleted")
            );
            let ids: Vec<i64> = sqlx::query_scalar(&sql)
                .bind(subject.as_str())
                .bind(crate::common::version_column(version))
                .fetch_all(ex)
                .await?;
            // Keys of other contexts sort below zero: by context, then id.
            let mut ids = ids
                .into_iter()
                .map(crate::common::schema_id)
                .collect::<crate::Result<Vec<_>>>()?;
            ids.sort_unstable();
            Ok(ids)
        }

        /// After `versions` of `subject` were marked or removed in this transaction: refuses
        /// ([`Error::Referenced`](crate::Error::Referenced)) when schemas matching `filter`
        /// still reference one of them. Called after the writes, it counts only referrers
        /// outside the deletion: versions deleted together may reference each other (a
        /// subject whose version 2 references its version 1 is deleted whole, as in
        /// Confluent's `deleteSubject`), while a version a schema outside the deletion
        /// references is never deleted.
        async fn refuse_if_referenced(
            conn: &mut <$db as sqlx::Database>::Connection,
            subject: &warden_core::Subject,
            versions: &[warden_core::Version],
            filter: crate::DeletedFilter,
        ) -> crate::Result<()> {
            for v in versions {
                let by = fetch_referenced_by(&mut *conn, subject, *v, filter).await?;
                if !by.is_empty() {
                    return Err(crate::Error::Referenced {
                        subject: subject.clone(),
                        version: *v,
                        by,
                    });
                }
            }
            Ok(())
        }

        /// Writes a new live version of `subject` pointing at `schema_id`: `explicit`, or
        /// the one after the subject's highest (`highest`, when this transaction read it
        /// already, else read now). See
        /// [`RegistrationTx::insert_version`](crate::RegistrationTx::insert_version).
        async fn write_version(
            conn: &mut <$db as sqlx::Database>::Connection,
            subject: &warden_core::Subject,
            schema_id: warden_core::SchemaId,
            explicit: Option<warden_core::Version>,
            highest: Option<Option<i32>>,
            created_at: i64,
        ) -> crate::Result<warden_core::Version> {
            let version = match explicit {
                Some(v) => {
                    let taken: Option<i64> = sqlx::query_scalar(
                        "SELECT schema_id FROM subject_versions WHERE subject = $1 AND version = $2",
                    )
                    .bind(subject.as_str())
                    .bind(crate::common::version_column(v))
                    .fetch_optional(&mut *conn)
                    .await?;
                    if let Some(taken) = taken {
                        // Confluent's import writes the version's key again: the version
                        // now has this schema, live (`KafkaSchemaRegistry.register`).
                        sqlx::query(
                            "UPDATE subject_versions
                             SET schema_id = $3, deleted = FALSE, created_at = $4
                             WHERE subject = $1 AND version = $2",
                        )
                        .bind(subject.as_str())
                        .bind(crate::common::version_column(v))
                        .bind(crate::common::id_column(schema_id))
                        .bind(created_at)
                        .execute(&mut *conn)
                        .await?;
                        let replaced = crate::common::schema_id(taken)?;
                        if replaced != schema_id {
                            announce_rewritten(&mut *conn, replaced).await?;
                        }
                        return Ok(v);
                    }
                    v
                }
                None if highest.is_some() => crate::common::next_version(highest.flatten())?,
                None => {
                    let max: Option<i32> = sqlx::query_scalar(
                        "SELECT MAX(version) FROM subject_versions WHERE subject = $1",
                    )
                    .bind(subject.as_str())
                    .fetch_one(&mut *conn)
                    .await?;
                    crate::common::next_version(max)?
                }
            };
            sqlx::query(
                "INSERT INTO subject_versions (subject, version, schema_id, deleted, created_at)
                 VALUES ($1, $2, $3, FALSE, $4)",
            )
            .bind(subject.as_str())
            .bind(crate::common::version_column(version))
            .bind(crate::common::id_column(schema_id))
            .bind(created_at)
            .execute(&mut *conn)
            .await?;
            Ok(version)
        }
        /// Records the references of a newly inserted schema, registered under `referrer`:
        /// each by the subject it names in the referrer's context.
        async fn insert_references(
            tx: &mut sqlx::Transaction<'static, $db>,
            id: warden_core::SchemaId,
            schema: &crate::NewSchema,
            referrer: &warden_core::Subject,
        ) -> crate::Result<()> {
            for r in &schema.references {
                sqlx::query(
                    "INSERT INTO schema_references (schema_id, name, ref_subject, ref_version)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(crate::common::id_column(id))
                .bind(&r.name)
                .bind(crate::common::reference_subject(referrer, &r.subject))
                .bind(r.version)
                .execute(&mut **tx)
                .await?;
            }
            Ok(())
        }

        /// A [`VersionRow`](crate::VersionRow) from `version, schema_id, deleted` columns
        /// and a `created_at` column.
        fn version_row(r: &$row) -> crate::Result<crate::VersionRow> {
            use sqlx::Row;
            Ok(crate::VersionRow {
                version: crate::common::version(r.try_get(0)?)?,
                schema_id: crate::common::schema_id(r.try_get(1)?)?,
                deleted: r.try_get(2)?,
                created_at: r.try_get("created_at")?,
            })
        }

        /// Fills in the GUID of every schema stored before GUIDs were (migration 0004).
        async fn backfill_guids(pool: &$pool) -> crate::Result<()> {
            let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM schemas WHERE guid IS NULL")
                .fetch_all(pool)
                .await?;
            for id in ids {
                let id = crate::common::schema_id(id)?;
                if let Some(stored) = fetch_schema(pool, id).await? {
                    sqlx::query("UPDATE schemas SET guid = $1 WHERE id = $2 AND guid IS NULL")
                        .bind(stored.guid.to_string())
                        .bind(crate::common::id_column(id))
                        .execute(pool)
                        .await?;
                }
            }
            Ok(())
        }

        /// Ids of the schemas with this GUID, ascending.
        async fn fetch_ids_by_guid(
            pool: &$pool,
            guid: &warden_core::Guid,
        ) -> crate::Result<Vec<warden_core::SchemaId>> {
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM schemas WHERE guid = $1 ORDER BY id")
                    .bind(guid.to_string())
                    .fetch_all(pool)
                    .await?;
            ids.into_iter().map(crate::common::schema_id).collect()
        }

        /// The highest schema id stored.
        async fn fetch_max_id(
            pool: &$pool,
            context_key: u32,
        ) -> crate::Result<Option<warden_core::SchemaId>> {
            let max: Option<i64> = if context_key == 0 {
                // The default context's ids are the positive keys.
                sqlx::query_scalar("SELECT MAX(id) FROM schemas WHERE id > 0")
                    .fetch_one(pool)
                    .await?
            } else {
                // Another context's highest id has its lowest key.
                fetch_context_min_key(pool, context_key).await?
            };
            max.map(crate::common::schema_id).transpose()
        }

        /// The store's number of a context (0 for the default context); `None` when nothing
        /// was ever registered in it.
        async fn fetch_context_key<'e, E: sqlx::Executor<'e, Database = $db>>(
            ex: E,
            context: &warden_core::Context,
        ) -> crate::Result<Option<u32>> {
            if context.is_default() {
                return Ok(Some(0));
            }
            let n: Option<i32> = sqlx::query_scalar("SELECT number FROM contexts WHERE name = $1")
                .bind(context.name())
                .fetch_optional(ex)
                .await?;
            n.map(|n| u32::try_from(n).map_err(|e| crate::Error::Corrupt(e.to_string())))
                .transpose()
        }

        /// The number of `context`, numbering it (one past the highest) when it is new: the
        /// context then exists until it is deleted, as Confluent writes its `ContextKey` at
        /// the first registration in it.
        async fn context_key(
            tx: &mut sqlx::Transaction<'static, $db>,
            context: &warden_core::Context,
        ) -> crate::Result<u32> {
            if let Some(n) = fetch_context_key(&mut **tx, context).await? {
                return Ok(n);
            }
            // Processes number new contexts one at a time (PostgreSQL: a table lock until
            // commit; SQLite serializes every write already).
            if !CONTEXTS_LOCK.is_empty() {
                sqlx::query(CONTEXTS_LOCK).execute(&mut **tx).await?;
                if let Some(n) = fetch_context_key(&mut **tx, context).await? {
                    return Ok(n);
                }
            }
            let n: i32 = sqlx::query_scalar(
                "INSERT INTO contexts (name, number)
                 VALUES ($1, (SELECT COALESCE(MAX(number), 0) + 1 FROM contexts))
                 RETURNING number",
            )
            .bind(context.name())
            .fetch_one(&mut **tx)
            .await?;
            u32::try_from(n).map_err(|e| crate::Error::Corrupt(e.to_string()))
        }

        /// The highest key in use by context number `context` (its highest id).
        async fn fetch_context_min_key<'e, E: sqlx::Executor<'e, Database = $db>>(
            ex: E,
            context: u32,
        ) -> crate::Result<Option<i64>> {
            let (low, high) = crate::common::context_key_range(context);
            Ok(
                sqlx::query_scalar("SELECT MIN(id) FROM schemas WHERE id BETWEEN $1 AND $2")
                    .bind(low)
                    .bind(high)
                    .fetch_one(ex)
                    .await?,
            )
        }

        /// Every context but the default one, by name.
        async fn fetch_contexts(pool: &$pool) -> crate::Result<Vec<warden_core::Context>> {
            let names: Vec<String> = sqlx::query_scalar("SELECT name FROM contexts ORDER BY name")
                .fetch_all(pool)
                .await?;
            names
                .iter()
                .map(|n| {
                    warden_core::Context::parse(n).map_err(|e| crate::Error::Corrupt(e.to_string()))
                })
                .collect()
        }

        /// Forgets `context` unless a subject version (live or soft-deleted) is in it;
        /// whether it is gone.
        async fn remove_context(
            pool: &$pool,
            context: &warden_core::Context,
        ) -> crate::Result<bool> {
            let busy: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM subject_versions
                                WHERE substr(subject, 1, length($1)) = $1)",
            )
            .bind(context.prefix())
            .fetch_one(pool)
            .await?;
            if busy {
                return Ok(false);
            }
            // A registration that committed meanwhile keeps the context.
            sqlx::query(
                "DELETE FROM contexts WHERE name = $1
                 AND NOT EXISTS (SELECT 1 FROM subject_versions
                                 WHERE substr(subject, 1, length($2)) = $2)",
            )
            .bind(context.name())
            .bind(context.prefix())
            .execute(pool)
            .await?;
            Ok(true)
        }

        /// A config from `compatibility, normalize, compatibility_policy` and
        /// [`CONFIG_EXTRA_COLUMNS`](crate::common::CONFIG_EXTRA_COLUMNS) columns.
        fn config_row(r: &$row) -> crate::Result<crate::StoredConfig> {
            use sqlx::Row;
            let extra = crate::common::extra_config(
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
                r.try_get(7)?,
                r.try_get(8)?,
                r.try_get(9)?,
                r.try_get(10)?,
                r.try_get(11)?,
                r.try_get(12)?,
            )?;
            crate::common::stored_config(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, extra)
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
            let sql = format!(
                "SELECT compatibility, normalize, compatibility_policy, {} FROM configs
                 WHERE scope = $1",
                crate::common::CONFIG_EXTRA_COLUMNS
            );
            let row = sqlx::query(&sql)
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
            let json = |v: &Option<serde_json::Value>| v.as_ref().map(ToString::to_string);
            let extra = &config.extra;
            sqlx::query(
                "INSERT INTO configs (scope, compatibility, normalize, compatibility_policy,
                   alias, alias_for_deks, validate_fields, validate_new_schemas, validate_rules,
                   compatibility_group, default_metadata, override_metadata, default_rule_set,
                   override_rule_set)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 ON CONFLICT (scope) DO UPDATE SET
                   compatibility = excluded.compatibility,
                   normalize = excluded.normalize,
                   compatibility_policy = excluded.compatibility_policy,
                   alias = excluded.alias,
                   alias_for_deks = excluded.alias_for_deks,
                   validate_fields = excluded.validate_fields,
                   validate_new_schemas = excluded.validate_new_schemas,
                   validate_rules = excluded.validate_rules,
                   compatibility_group = excluded.compatibility_group,
                   default_metadata = excluded.default_metadata,
                   override_metadata = excluded.override_metadata,
                   default_rule_set = excluded.default_rule_set,
                   override_rule_set = excluded.override_rule_set",
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
            .bind(extra.alias.as_deref())
            .bind(extra.alias_for_deks.as_deref())
            .bind(extra.validate_fields)
            .bind(extra.validate_new_schemas)
            .bind(extra.validate_rules)
            .bind(extra.compatibility_group.as_deref())
            .bind(json(&extra.default_metadata))
            .bind(json(&extra.override_metadata))
            .bind(json(&extra.default_rule_set))
            .bind(json(&extra.override_rule_set))
            .execute(pool)
            .await?;
            Ok(())
        }

        async fn remove_config(
            pool: &$pool,
            scope: crate::Scope<'_>,
        ) -> crate::Result<Option<crate::StoredConfig>> {
            let sql = format!(
                "DELETE FROM configs WHERE scope = $1
                 RETURNING compatibility, normalize, compatibility_policy, {}",
                crate::common::CONFIG_EXTRA_COLUMNS
            );
            let row = sqlx::query(&sql)
                .bind(crate::common::scope_key(scope))
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(config_row).transpose()
        }

        /// `(subject, alias)` of every subject config with an alias, by subject.
        async fn select_aliases(
            pool: &$pool,
        ) -> crate::Result<Vec<(warden_core::Subject, String)>> {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT scope, alias FROM configs
                 WHERE scope <> '' AND alias IS NOT NULL AND alias <> '' ORDER BY scope",
            )
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|(scope, alias)| Ok((crate::common::subject(scope)?, alias)))
                .collect()
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

        /// Removes the mode of every subject scope whose name starts with `prefix`.
        async fn remove_modes_under(pool: &$pool, prefix: &str) -> crate::Result<u64> {
            let chars = i32::try_from(prefix.chars().count())
                .map_err(|e| crate::Error::Corrupt(e.to_string()))?;
            let done =
                sqlx::query("DELETE FROM modes WHERE scope <> '' AND substr(scope, 1, $2) = $1")
                    .bind(prefix)
                    .bind(chars)
                    .execute(pool)
                    .await?;
            Ok(done.rows_affected())
        }
    };
}
pub(crate) use shared_statements;
