//! The association statements (Confluent 8's `AssociationsResource`), the same SQL on both
//! dialects: [`association_statements!`] writes them once and instantiates them per
//! backend, for its row and database types.

use crate::{AssociationKey, Error, StoredAssociation};

/// The `WHERE` condition (with `$1`, `$2` bound by [`key_binds`]) that selects the rows of
/// `key`, and of `resource_type` when given (`$3`).
pub(crate) fn key_sql(key: &AssociationKey<'_>, resource_type: bool) -> String {
    let mut sql = match key {
        AssociationKey::Subject(_) => "subject = $1".to_owned(),
        AssociationKey::ResourceId(_) => "resource_id = $1".to_owned(),
        AssociationKey::ResourceName {
            namespace: Some(_), ..
        } => "resource_name = $1 AND resource_namespace = $2".to_owned(),
        AssociationKey::ResourceName {
            namespace: None, ..
        } => "resource_name = $1 AND $2 = $2".to_owned(),
        AssociationKey::Namespace(Some(_)) => "resource_namespace = $1 AND $2 = $2".to_owned(),
        AssociationKey::Namespace(None) => "$1 = $1 AND $2 = $2".to_owned(),
    };
    if resource_type {
        sql.push_str(" AND resource_type = $3");
    }
    sql
}

/// The values of `$1` and `$2` in [`key_sql`].
pub(crate) fn key_binds<'a>(key: &AssociationKey<'a>) -> (&'a str, &'a str) {
    match *key {
        AssociationKey::Subject(s) => (s, ""),
        AssociationKey::ResourceId(id) => (id, ""),
        AssociationKey::ResourceName { name, namespace } => (name, namespace.unwrap_or("")),
        AssociationKey::Namespace(ns) => (ns.unwrap_or(""), ""),
    }
}

/// A write that hit the unique (resource id, resource type, association type) index: another
/// request created that association meanwhile.
pub(crate) fn exists(row: &StoredAssociation) -> Error {
    Error::AssociationExists {
        association_type: row.association_type.clone(),
        resource_name: row.resource_name.clone(),
    }
}

/// Defines, for one backend (`$db`, `$row`): `fetch_associations` and `apply_associations`.
macro_rules! association_statements {
    ($db:ty, $row:ty) => {
        const ASSOCIATION_COLUMNS: &str = "guid, resource_name, resource_namespace, \
            resource_id, resource_type, association_type, subject, lifecycle, frozen, \
            created_at, updated_at";

        fn association_row(r: &$row) -> crate::Result<crate::StoredAssociation> {
            use sqlx::Row;
            let lifecycle: String = r.try_get("lifecycle")?;
            Ok(crate::StoredAssociation {
                guid: r.try_get("guid")?,
                resource_name: r.try_get("resource_name")?,
                resource_namespace: r.try_get("resource_namespace")?,
                resource_id: r.try_get("resource_id")?,
                resource_type: r.try_get("resource_type")?,
                association_type: r.try_get("association_type")?,
                subject: r.try_get("subject")?,
                strong: match lifecycle.as_str() {
                    "STRONG" => true,
                    "WEAK" => false,
                    other => {
                        return Err(crate::Error::Corrupt(format!(
                            "association lifecycle {other:?}"
                        )));
                    }
                },
                frozen: r.try_get("frozen")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        }

        async fn fetch_associations<'e, E: sqlx::Executor<'e, Database = $db>>(
            executor: E,
            key: crate::AssociationKey<'_>,
            resource_type: Option<&str>,
        ) -> crate::Result<Vec<crate::StoredAssociation>> {
            let sql = format!(
                "SELECT {ASSOCIATION_COLUMNS} FROM associations WHERE {} \
                 ORDER BY resource_name, resource_namespace, resource_type, \
                 association_type, subject",
                crate::associations::key_sql(&key, resource_type.is_some())
            );
            let (first, second) = crate::associations::key_binds(&key);
            let mut query = sqlx::query(&sql).bind(first).bind(second);
            if let Some(t) = resource_type {
                query = query.bind(t);
            }
            query
                .fetch_all(executor)
                .await?
                .iter()
                .map(association_row)
                .collect()
        }

        /// Writes `put` (new rows inserted, rows with a known guid updated, their creation
        /// time kept) and removes the rows of `delete`, in `tx`.
        async fn apply_associations(
            tx: &mut sqlx::Transaction<'_, $db>,
            put: &[crate::StoredAssociation],
            delete: &[String],
        ) -> crate::Result<()> {
            for guid in delete {
                sqlx::query("DELETE FROM associations WHERE guid = $1")
                    .bind(guid)
                    .execute(&mut **tx)
                    .await?;
            }
            for row in put {
                let written = sqlx::query(
                    "INSERT INTO associations (guid, resource_name, resource_namespace, \
                     resource_id, resource_type, association_type, subject, lifecycle, frozen, \
                     created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (guid) DO UPDATE SET subject = excluded.subject, \
                     lifecycle = excluded.lifecycle, frozen = excluded.frozen, \
                     updated_at = excluded.updated_at",
                )
                .bind(&row.guid)
                .bind(&row.resource_name)
                .bind(&row.resource_namespace)
                .bind(&row.resource_id)
                .bind(&row.resource_type)
                .bind(&row.association_type)
                .bind(&row.subject)
                .bind(if row.strong { "STRONG" } else { "WEAK" })
                .bind(row.frozen)
                .bind(row.created_at)
                .bind(row.updated_at)
                .execute(&mut **tx)
                .await;
                match written {
                    Ok(_) => {}
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        return Err(crate::associations::exists(row));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(())
        }
    };
}

pub(crate) use association_statements;
