//! The DEK registry's statements (Confluent's `dek-registry` module), the same SQL on both
//! dialects: [`dek_statements!`] writes them once and instantiates them per backend, for
//! its row and database types.

/// Defines, for one backend (`$db`, `$row`): `fetch_keks`, `fetch_kek`, `put_kek`,
/// `delete_kek`, `fetch_deks`, `fetch_dek`, `put_dek` and `delete_deks`.
macro_rules! dek_statements {
    ($db:ty, $row:ty) => {
        const KEK_COLUMNS: &str = "name, kms_type, kms_key_id, kms_props, doc, shared, deleted, ts";
        const DEK_COLUMNS: &str =
            "kek_name, subject, algorithm, version, encrypted_key_material, deleted, ts";

        fn kek_row(r: &$row) -> crate::Result<crate::StoredKek> {
            use sqlx::Row;
            let props: String = r.try_get("kms_props")?;
            Ok(crate::StoredKek {
                name: r.try_get("name")?,
                kms_type: r.try_get("kms_type")?,
                kms_key_id: r.try_get("kms_key_id")?,
                kms_props: serde_json::from_str(&props)
                    .map_err(|e| crate::Error::Corrupt(format!("kek kms_props: {e}")))?,
                doc: r.try_get("doc")?,
                shared: r.try_get("shared")?,
                deleted: r.try_get("deleted")?,
                ts: r.try_get("ts")?,
            })
        }

        fn dek_row(r: &$row) -> crate::Result<crate::StoredDek> {
            use sqlx::Row;
            Ok(crate::StoredDek {
                kek_name: r.try_get("kek_name")?,
                subject: r.try_get("subject")?,
                algorithm: r.try_get("algorithm")?,
                version: r.try_get("version")?,
                encrypted_key_material: r.try_get("encrypted_key_material")?,
                deleted: r.try_get("deleted")?,
                ts: r.try_get("ts")?,
            })
        }

        async fn fetch_keks<'e, E: sqlx::Executor<'e, Database = $db>>(
            executor: E,
            name: Option<&str>,
        ) -> crate::Result<Vec<crate::StoredKek>> {
            let sql = match name {
                Some(_) => format!("SELECT {KEK_COLUMNS} FROM keks WHERE name = $1"),
                None => format!("SELECT {KEK_COLUMNS} FROM keks WHERE $1 = $1 ORDER BY name"),
            };
            sqlx::query(&sql)
                .bind(name.unwrap_or(""))
                .fetch_all(executor)
                .await?
                .iter()
                .map(kek_row)
                .collect()
        }

        async fn put_kek<'e, E: sqlx::Executor<'e, Database = $db>>(
            executor: E,
            kek: &crate::StoredKek,
            create: bool,
        ) -> crate::Result<()> {
            let props = serde_json::to_string(&kek.kms_props)
                .map_err(|e| crate::Error::Corrupt(format!("kek kms_props: {e}")))?;
            let sql = format!(
                "INSERT INTO keks ({KEK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8){}",
                if create {
                    ""
                } else {
                    " ON CONFLICT (name) DO UPDATE SET kms_type = excluded.kms_type, \
                     kms_key_id = excluded.kms_key_id, kms_props = excluded.kms_props, \
                     doc = excluded.doc, shared = excluded.shared, \
                     deleted = excluded.deleted, ts = excluded.ts"
                }
            );
            let written = sqlx::query(&sql)
                .bind(&kek.name)
                .bind(&kek.kms_type)
                .bind(&kek.kms_key_id)
                .bind(props)
                .bind(&kek.doc)
                .bind(kek.shared)
                .bind(kek.deleted)
                .bind(kek.ts)
                .execute(executor)
                .await;
            match written {
                Ok(_) => Ok(()),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    Err(crate::Error::KeyExists(kek.name.clone()))
                }
                Err(e) => Err(e.into()),
            }
        }

        async fn delete_kek<'e, E: sqlx::Executor<'e, Database = $db>>(
            executor: E,
            name: &str,
        ) -> crate::Result<bool> {
            let done = sqlx::query("DELETE FROM keks WHERE name = $1")
                .bind(name)
                .execute(executor)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn fetch_deks<'e, E: sqlx::Executor<'e, Database = $db>>(
            executor: E,
            kek_name: &str,
            key: Option<(&str, &str, i32)>,
        ) -> crate::Result<Vec<crate::StoredDek>> {
            let sql = match key {
                Some(_) => format!(
                    "SELECT {DEK_COLUMNS} FROM deks WHERE kek_name = $1 AND subject = $2 \
                     AND algorithm = $3 AND version = $4"
                ),
                None => format!(
                    "SELECT {DEK_COLUMNS} FROM deks WHERE kek_name = $1 AND $2 = $2 \
                     AND $3 = $3 AND $4 = $4 ORDER BY subject, algorithm, version"
                ),
            };
            let (subject, algorithm, version) = key.unwrap_or(("", "", 0));
            sqlx::query(&sql)
                .bind(kek_name)
                .bind(subject)
                .bind(algorithm)
                .bind(version)
                .fetch_all(executor)
                .await?
                .iter()
                .map(dek_row)
                .collect()
        }

        async fn put_dek<'e, E: sqlx::Executor<'e, Database = $db>>(
            executor: E,
            dek: &crate::StoredDek,
            create: bool,
        ) -> crate::Result<()> {
            let sql = format!(
                "INSERT INTO deks ({DEK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7){}",
                if create {
                    ""
                } else {
                    " ON CONFLICT (kek_name, subject, algorithm, version) DO UPDATE SET \
                     encrypted_key_material = excluded.encrypted_key_material, \
                     deleted = excluded.deleted, ts = excluded.ts"
                }
            );
            let written = sqlx::query(&sql)
                .bind(&dek.kek_name)
                .bind(&dek.subject)
                .bind(&dek.algorithm)
                .bind(dek.version)
                .bind(&dek.encrypted_key_material)
                .bind(dek.deleted)
                .bind(dek.ts)
                .execute(executor)
                .await;
            match written {
                Ok(_) => Ok(()),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    Err(crate::Error::KeyExists(dek.subject.clone()))
                }
                Err(e) => Err(e.into()),
            }
        }

        async fn delete_deks<'e, E: sqlx::Executor<'e, Database = $db>>(
            executor: E,
            kek_name: &str,
            subject: &str,
            algorithm: Option<&str>,
            version: Option<i32>,
        ) -> crate::Result<u64> {
            let sql = format!(
                "DELETE FROM deks WHERE kek_name = $1 AND subject = $2{}{}",
                if algorithm.is_some() {
                    " AND algorithm = $3"
                } else {
                    " AND $3 = $3"
                },
                if version.is_some() {
                    " AND version = $4"
                } else {
                    " AND $4 = $4"
                },
            );
            let done = sqlx::query(&sql)
                .bind(kek_name)
                .bind(subject)
                .bind(algorithm.unwrap_or(""))
                .bind(version.unwrap_or(0))
                .execute(executor)
                .await?;
            Ok(done.rows_affected())
        }
    };
}

pub(crate) use dek_statements;
