//! Reads: schemas by id (cached), subjects, versions, and the response bodies built from
//! them.

use std::sync::Arc;

use warden_core::api::{
    SchemaByIdResponse, SchemaListEntry, SubjectVersion, SubjectVersionResponse,
};
use warden_core::{ParsedSchema, SchemaId, SchemaType, Subject, Version, VersionSelector};
use warden_storage::{DeletedFilter, VersionRow};

use super::{CachedSchema, Registry};
use crate::error::{Error, Result};

impl Registry {
    /// The schema with `id`, from the cache or the store.
    ///
    /// Errors: 40403 when no schema has this id.
    pub async fn schema_by_id(&self, id: SchemaId) -> Result<Arc<CachedSchema>> {
        if let Some(hit) = self.by_id.get(&id) {
            self.metrics
                .cache
                .with_label_values(&["schema_by_id", "hit"])
                .inc();
            return Ok(Arc::clone(&hit));
        }
        self.metrics
            .cache
            .with_label_values(&["schema_by_id", "miss"])
            .inc();
        let stored = self
            .store
            .schema_by_id(id)
            .await?
            .ok_or_else(|| Error::SchemaNotFound(format!("Schema {id} not found")))?;
        let mut cached = CachedSchema {
            stored,
            by_id_body: bytes::Bytes::new(),
        };
        cached.by_id_body = serde_json::to_vec(&Self::by_id_response(&cached))
            .expect("response bodies serialize")
            .into();
        let cached = Arc::new(cached);
        self.by_id.insert(id, Arc::clone(&cached));
        Ok(cached)
    }

    /// The parsed form of schema `id` (with its references), from a bounded cache.
    ///
    /// Errors: 40403 when no schema has this id.
    pub async fn parsed_by_id(&self, id: SchemaId) -> Result<Arc<ParsedSchema>> {
        if let Some(hit) = self.parsed.get(&id) {
            return Ok(Arc::clone(&hit));
        }
        let schema = self.schema_by_id(id).await?;
        let references = Box::pin(self.resolve_references(&schema.stored.references)).await?;
        // Parsed off the async workers; stored schemas are never held to the limits.
        let bytes = super::register::text_bytes(&schema.stored.schema, &references);
        let parsed = self
            .work
            .run_sized(bytes, self.work.deadline(), move |_| {
                let stored = &schema.stored;
                ParsedSchema::parse(stored.schema_type, &stored.schema, &references).map_err(|e| {
                    Error::InvalidSchema(format!("stored schema {id} no longer parses: {e}")).into()
                })
            })
            .await?;
        let parsed = Arc::new(parsed);
        self.parsed.insert(id, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// For a Protobuf schema, its base64 `FileDescriptorProto` (`format=serialized`, the
    /// form Confluent's Rust and .NET clients read); `None` for other formats.
    pub async fn serialized(&self, schema: &CachedSchema) -> Result<Option<String>> {
        if schema.stored.schema_type != SchemaType::Protobuf {
            return Ok(None);
        }
        Ok(match &*self.parsed_by_id(schema.stored.id).await? {
            ParsedSchema::Protobuf(p) => Some(p.serialized()),
            _ => None,
        })
    }

    /// Subjects with a version (live, or any with `deleted`) using schema `id`.
    ///
    /// Errors: 40403 when the schema does not exist.
    pub async fn subjects_of_schema(&self, id: SchemaId, deleted: bool) -> Result<Vec<Subject>> {
        let mut subjects: Vec<Subject> = self
            .versions_of_schema(id, deleted)
            .await?
            .into_iter()
            .map(|sv| sv.subject)
            .collect();
        subjects.dedup();
        Ok(subjects)
    }

    /// `(subject, version)` pairs using schema `id`.
    ///
    /// Errors: 40403 when the schema does not exist.
    pub async fn versions_of_schema(
        &self,
        id: SchemaId,
        deleted: bool,
    ) -> Result<Vec<SubjectVersion>> {
        self.schema_by_id(id).await?;
        Ok(self
            .store
            .versions_of_schema(id)
            .await?
            .into_iter()
            .filter(|(_, _, d)| deleted || !d)
            .map(|(subject, version, _)| SubjectVersion { subject, version })
            .collect())
    }

    /// Every version of every subject, for `GET /schemas`.
    pub async fn list_schemas(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        latest_only: bool,
    ) -> Result<Vec<SchemaListEntry>> {
        let filter = if deleted {
            DeletedFilter::All
        } else {
            DeletedFilter::Live
        };
        let rows = self.store.all_versions(filter).await?;
        let mut out: Vec<SchemaListEntry> = Vec::with_capacity(rows.len());
        for (subject, row) in rows {
            if prefix.is_some_and(|p| !subject.as_str().starts_with(p)) {
                continue;
            }
            if latest_only && out.last().is_some_and(|last| last.subject == subject) {
                out.pop();
            }
            let schema = self.schema_by_id(row.schema_id).await?;
            out.push(SchemaListEntry {
                subject,
                version: row.version,
                id: row.schema_id,
                schema_type: schema.stored.schema_type,
                references: schema.stored.references.clone(),
                schema: schema.stored.schema.clone(),
            });
        }
        Ok(out)
    }

    /// Subjects, sorted, filtered by prefix and deletion state.
    pub async fn subjects(
        &self,
        prefix: Option<&str>,
        filter: DeletedFilter,
    ) -> Result<Vec<Subject>> {
        Ok(self.store.subjects(prefix, filter).await?)
    }

    /// Versions of a subject matching `filter`.
    ///
    /// Errors: 40401 when the subject has no such versions.
    pub async fn versions(&self, subject: &Subject, filter: DeletedFilter) -> Result<Vec<Version>> {
        let versions: Vec<Version> = self
            .store
            .versions(subject)
            .await?
            .into_iter()
            .filter(|r| match filter {
                DeletedFilter::Live => !r.deleted,
                DeletedFilter::All => true,
                DeletedFilter::DeletedOnly => r.deleted,
            })
            .map(|r| r.version)
            .collect();
        if versions.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        Ok(versions)
    }

    /// The live (not soft-deleted) version rows of a subject, oldest first.
    pub(super) async fn live_rows(&self, subject: &Subject) -> Result<Vec<VersionRow>> {
        let mut rows = self.store.versions(subject).await?;
        rows.retain(|r| !r.deleted);
        Ok(rows)
    }

    /// One version of a subject (`latest` is the newest live one; with `deleted`, the newest
    /// of all).
    ///
    /// Errors: 40401 when the subject has no (live) version, 40402 when the version does not
    /// exist or is soft-deleted and `deleted` is false.
    pub async fn version(
        &self,
        subject: &Subject,
        version: VersionSelector,
        deleted: bool,
    ) -> Result<(VersionRow, Arc<CachedSchema>)> {
        let row = self.find_version(subject, version, deleted).await?;
        let schema = self.schema_by_id(row.schema_id).await?;
        Ok((row, schema))
    }

    /// The version row `version` selects.
    ///
    /// Errors: 40401, 40402 as [`Registry::version`].
    pub(super) async fn find_version(
        &self,
        subject: &Subject,
        version: VersionSelector,
        deleted: bool,
    ) -> Result<VersionRow> {
        let rows = self.store.versions(subject).await?;
        if !rows.iter().any(|r| deleted || !r.deleted) {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let found = match version {
            VersionSelector::Latest => rows.iter().rev().find(|r| deleted || !r.deleted),
            VersionSelector::Exact(v) => rows
                .iter()
                .find(|r| r.version == v && (deleted || !r.deleted)),
        };
        found
            .copied()
            .ok_or_else(|| Error::VersionNotFound(version.to_string()))
    }

    /// The body of `GET /schemas/ids/{id}` for a schema.
    pub fn by_id_response(schema: &CachedSchema) -> SchemaByIdResponse {
        SchemaByIdResponse {
            schema_type: schema.stored.schema_type,
            schema: schema.stored.schema.clone(),
            references: schema.stored.references.clone(),
            metadata: schema.stored.metadata.clone(),
            rule_set: schema.stored.rule_set.clone(),
        }
    }

    /// The response body of one subject version.
    pub fn version_response(
        subject: &Subject,
        row: VersionRow,
        schema: &CachedSchema,
    ) -> SubjectVersionResponse {
        SubjectVersionResponse {
            subject: subject.clone(),
            version: row.version,
            id: row.schema_id,
            schema_type: schema.stored.schema_type,
            references: schema.stored.references.clone(),
            metadata: schema.stored.metadata.clone(),
            rule_set: schema.stored.rule_set.clone(),
            schema: schema.stored.schema.clone(),
        }
    }
}
