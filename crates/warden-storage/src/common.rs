//! Helpers shared by the backends.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use warden_core::{CompatibilityLevel, CompatibilityPolicy, Mode, SchemaId, SchemaType};

use crate::{DeletedFilter, Error, NewSchema, Result, Scope, StoredSchema};

pub(crate) fn scope_key<'a>(scope: Scope<'a>) -> &'a str {
    match scope {
        Scope::Global => "",
        Scope::Subject(s) => s,
    }
}

pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

pub(crate) fn schema_id(n: i64) -> Result<SchemaId> {
    SchemaId::new(n).map_err(|e| Error::Corrupt(e.to_string()))
}

pub(crate) fn json_column(text: Option<String>) -> Result<Option<serde_json::Value>> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| Error::Corrupt(e.to_string())))
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

/// Builds a [`StoredSchema`] from its columns.
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
        schema_type: SchemaType::from_str(schema_type)
            .map_err(|e| Error::Corrupt(e.to_string()))?,
        schema,
        references: serde_json::from_str(refs).map_err(|e| Error::Corrupt(e.to_string()))?,
        metadata: json_column(metadata)?,
        rule_set: json_column(rule_set)?,
    })
}

/// Parses a stored compatibility level.
pub(crate) fn level(text: Option<String>) -> Result<Option<CompatibilityLevel>> {
    text.map(|l| CompatibilityLevel::from_str(&l).map_err(|e| Error::Corrupt(e.to_string())))
        .transpose()
}

/// Parses a stored compatibility policy.
pub(crate) fn policy(text: Option<String>) -> Result<Option<CompatibilityPolicy>> {
    text.map(|p| CompatibilityPolicy::from_str(&p).map_err(|e| Error::Corrupt(e.to_string())))
        .transpose()
}

/// Parses a stored mode.
pub(crate) fn mode(text: Option<String>) -> Result<Option<Mode>> {
    text.map(|m| Mode::from_str(&m).map_err(|e| Error::Corrupt(e.to_string())))
        .transpose()
}

/// The references of a schema as stored (JSON text).
pub(crate) fn refs_json(schema: &NewSchema) -> Result<String> {
    serde_json::to_string(&schema.references).map_err(|e| Error::Corrupt(e.to_string()))
}

/// The message of an explicit id that is taken by another schema.
pub(crate) fn id_taken(wanted: SchemaId) -> Error {
    Error::IdConflict(format!(
        "Overwrite new schema with id {wanted} is not permitted: the id is taken by a \
         different schema"
    ))
}

/// The message of a schema that already has an id other than the explicit one.
pub(crate) fn id_differs(id: i64, wanted: SchemaId) -> Error {
    Error::IdConflict(format!(
        "Schema already registered with id {id} instead of input id {wanted}"
    ))
}
