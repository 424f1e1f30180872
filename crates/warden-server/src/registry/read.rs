//! Reads: schemas by id (cached), subjects, versions, and the response bodies built from
//! them.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use warden_core::api::{
    ContextId, SchemaByIdResponse, SchemaListEntry, SubjectVersion, SubjectVersionResponse,
};
use warden_core::{
    Context, Guid, ParsedSchema, SchemaFormat, SchemaId, Subject, Version, VersionSelector,
};
use warden_storage::{DeletedFilter, StoredSchema, VersionRow};

use super::cache::ParsedKey;
use super::{CachedSchema, Registry};
use crate::error::{Error, Result};

impl Registry {
    /// The schema with `id`, from the cache or the store.
    ///
    /// Errors: 40403 when no schema has this id.
    pub async fn schema_by_id(&self, id: SchemaId) -> Result<Arc<CachedSchema>> {
        if let Some(hit) = self.by_id.get(&id) {
            self.metrics
                .count_cache_lookup(crate::metrics::CacheName::SchemaById, true);
            return Ok(Arc::clone(&hit));
        }
        self.metrics
            .count_cache_lookup(crate::metrics::CacheName::SchemaById, false);
        let read_at = self.eviction_generation();
        let stored = self
            .store
            .schema_by_id(id)
            .await?
            .ok_or_else(|| Error::SchemaNotFound(format!("Schema {id} not found")))?;
        let cached = Arc::new(CachedSchema::new(stored));
        self.keep_unless_evicted(&self.by_id, read_at, id, Arc::clone(&cached));
        Ok(cached)
    }

    /// The JSON body of `GET /schemas/ids/{id}` for `schema` (as [`Registry::by_id_response`]
    /// builds it with [`Registry::usage_of`]), rendered at the first call and then kept
    /// with the cached schema until its versions change.
    ///
    /// Errors: the store's, when the usage is read.
    pub async fn by_id_body(&self, schema: &Arc<CachedSchema>) -> Result<bytes::Bytes> {
        if let Some(body) = schema.by_id_body.get() {
            return Ok(body.clone());
        }
        let id = schema.stored.id;
        let read_at = self.eviction_generation();
        let usage_read_at = self.usage_forgotten.load(Ordering::Acquire);
        let usage = self.usage_of(id, None).await?;
        let body = super::json_bytes(&Self::by_id_response(schema, usage.as_ref()));
        if schema.by_id_body.set(body.clone()).is_ok()
            && self
                .by_id
                .get(&id)
                .is_some_and(|held| Arc::ptr_eq(&held, schema))
        {
            // Weighed again, with its body; not put back once a hard delete removed it, or
            // once the usage it shows was forgotten (its versions changed meanwhile):
            // checked under the lock `forget_usage` takes, so that its removal and count
            // cannot slip between the check and the insert.
            let _no_eviction = self.evicting.read().unwrap_or_else(|p| p.into_inner());
            if self.usage_forgotten.load(Ordering::Acquire) == usage_read_at
                && read_at.is_multiple_of(2)
                && self.eviction_generation() == read_at
            {
                self.by_id.insert(id, Arc::clone(schema));
            }
        }
        Ok(body)
    }

    /// The id of the stored schema with this identity fingerprint, from memory once the
    /// store answered it (outside a registration's transaction, which asks the store).
    pub(super) async fn id_by_fingerprint(&self, fingerprint: &String) -> Result<Option<SchemaId>> {
        if let Some(id) = self.ids_by_fingerprint.get(fingerprint) {
            return Ok(Some(id));
        }
        let read_at = self.eviction_generation();
        let found = self.store.schema_id_by_fingerprint(fingerprint).await?;
        if let Some(id) = found {
            self.keep_unless_evicted(&self.ids_by_fingerprint, read_at, fingerprint.clone(), id);
        }
        Ok(found)
    }

    /// Holds a schema this process just stored, so that the lookups of the next
    /// registrations under its subject, and the first read of it by id, find it in memory.
    pub(super) fn remember_stored(&self, stored: StoredSchema) {
        let id = stored.id;
        self.contents
            .keep(id, super::content::ContentKeys::of_stored(&stored));
        self.by_id.insert(id, Arc::new(CachedSchema::new(stored)));
    }

    /// The context a stored id belongs to: the context of a subject that uses it (an id
    /// of the default context is in the default context).
    pub(super) async fn context_of(&self, id: SchemaId) -> Result<Context> {
        if id.context_key() == 0 {
            return Ok(Context::default_context());
        }
        Ok(self
            .store
            .versions_of_schema(id)
            .await?
            .first()
            .map_or_else(Context::default_context, |(s, ..)| s.context()))
    }

    /// The parsed form of schema `id` (with its references), from a bounded cache.
    ///
    /// Errors: 40403 when no schema has this id.
    pub async fn parsed_by_id(&self, id: SchemaId) -> Result<Arc<ParsedSchema>> {
        if let Some(hit) = self.parsed.get(&ParsedKey::Id(id)) {
            return Ok(Arc::clone(&hit));
        }
        let read_at = self.eviction_generation();
        let schema = self.schema_by_id(id).await?;
        let context = self.context_of(id).await?;
        let references =
            Box::pin(self.resolve_references(&schema.stored.references, &context)).await?;
        // Parsed off the async workers; stored schemas are never held to the limits.
        let bytes = super::register::text_bytes(&schema.stored.schema, &references);
        let parsed = self
            .work
            .run_sized(
                schema.stored.schema_type,
                bytes,
                self.work.deadline(),
                move |_| {
                    let stored = &schema.stored;
                    // Read as stored: a default Java would not check (IMPORT, validateNewSchemas
                    // off) is kept and ignored, as Confluent's parser does for stored schemas.
                    ParsedSchema::parse_with(
                        stored.schema_type,
                        &stored.schema,
                        &references,
                        warden_core::schema::ParseOptions::STORED,
                    )
                    .map_err(|e| {
                        Error::InvalidSchema(format!("stored schema {id} no longer parses: {e}"))
                            .into()
                    })
                },
            )
            .await?;
        let parsed = Arc::new(parsed);
        self.keep_unless_evicted(
            &self.parsed,
            read_at,
            ParsedKey::Id(id),
            Arc::clone(&parsed),
        );
        Ok(parsed)
    }

    /// The text of `schema` read with the `format` query parameter, when that format changes
    /// it (Confluent's `ParsedSchema.formattedString`): `resolved` for Avro (references
    /// inlined), `ignore_extensions` and `serialized` (a base64 `FileDescriptorProto`, the form
    /// Confluent's Rust and .NET clients read) for Protobuf; `None` when the stored text is the
    /// answer (no format, an unknown one, one of another schema type: Confluent answers the
    /// canonical text, never an error). See [`SchemaFormat::parse`].
    ///
    /// Errors: as [`Registry::parsed_by_id`].
    pub async fn formatted(
        &self,
        schema: &CachedSchema,
        format: Option<&str>,
    ) -> Result<Option<String>> {
        let Some(format) = format.and_then(|f| SchemaFormat::parse(f, schema.stored.schema_type))
        else {
            return Ok(None);
        };
        let parsed = self.parsed_by_id(schema.stored.id).await?;
        Ok(Some(parsed.formatted(format)).filter(|text| *text != schema.stored.schema))
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

    /// The version a read of schema `id` reports (its `ts` and `deleted`, and with a subject
    /// its `subject` and `version`), as Confluent's `KafkaSchemaRegistry.get` picks one:
    /// with `subject`, that subject's newest version using the schema; otherwise (or when
    /// the subject does not use it) one of the schema's versions: Confluent takes whichever
    /// its map yields first, Warden the first live one by subject and version, else the
    /// first soft-deleted one. `None` when no version uses the schema.
    pub async fn usage_of(
        &self,
        id: SchemaId,
        subject: Option<&Subject>,
    ) -> Result<Option<(Subject, VersionRow)>> {
        let uses = self.store.versions_of_schema(id).await?;
        let chosen = subject
            .and_then(|s| uses.iter().rev().find(|(name, _, _)| name == s))
            .or_else(|| uses.iter().find(|(_, _, deleted)| !deleted))
            .or_else(|| uses.first());
        let Some((name, version, _)) = chosen else {
            return Ok(None);
        };
        let row = self
            .store
            .versions(name)
            .await?
            .into_iter()
            .find(|r| r.version == *version);
        Ok(row.map(|r| (name.clone(), r)))
    }

    /// Forgets the rendered `GET /schemas/ids/{id}` bodies of these schemas, whose versions
    /// changed (deleted, or registered again): their `ts` and `deleted` are read anew. Then
    /// moves [`Registry::changes`], so that an answer kept by URL that may hold one of
    /// them (read since the versions' change, before this) is not served either.
    pub(super) fn forget_usage(&self, ids: &[SchemaId]) {
        // Under the write side of the lock that `by_id_body` checks and inserts under.
        let _evicting = self.evicting.write().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            self.by_id.remove(id);
        }
        self.usage_forgotten.fetch_add(1, Ordering::AcqRel);
    }

    /// The highest schema id of `id`'s context (`fetchMaxId`; Confluent's `getMaxId` counts
    /// per context); `None` when the context has no schema.
    pub async fn max_schema_id(&self, id: SchemaId) -> Result<Option<SchemaId>> {
        Ok(self.store.max_schema_id(id.context_key()).await?)
    }

    /// The schema with this GUID, as `GET /schemas/guids/{guid}` answers it (Confluent's
    /// `getByGuid`: the schema's body without `subject` and `version`), the default context's
    /// when it has one, else the first context's by name (`getIdUsingContexts`). The GUID is
    /// read as Confluent's `MD5.fromString` reads it ([`Guid::parse`]).
    ///
    /// Errors: 40403 "Schema {guid} not found" when the text is not a GUID or no schema has it.
    pub async fn schema_by_guid(&self, guid: &str) -> Result<Arc<CachedSchema>> {
        let not_found = || Error::SchemaNotFound(format!("Schema {guid} not found"));
        let ids = self.ids_by_guid(guid).await?;
        let id = ids.first().ok_or_else(not_found)?.id;
        self.schema_by_id(id).await
    }

    /// `GET /schemas/guids/{guid}/ids`: the id of the schema with this GUID in each context
    /// that has it (Confluent's `listIdsForGuid`: the default context is `.`, others by name,
    /// sorted as Java sorts `ContextId`s); empty, not an error, for an unknown GUID.
    pub async fn ids_by_guid(&self, guid: &str) -> Result<Vec<ContextId>> {
        let Some(parsed) = Guid::parse(guid) else {
            return Ok(Vec::new());
        };
        let mut ids = self.store.schema_ids_by_guid(&parsed).await?;
        ids.sort_by_key(|id| (id.context_key(), id.get()));
        let mut out: Vec<ContextId> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            // One id per context (the same text as two formats has two ids; the lowest wins).
            if seen.insert(id.context_key()) {
                let context = self.context_of(id).await?;
                out.push(ContextId {
                    context: context.name().to_owned(),
                    id,
                });
            }
        }
        out.sort_by(|a, b| {
            a.context
                .encode_utf16()
                .cmp(b.context.encode_utf16())
                .then(a.id.get().cmp(&b.id.get()))
        });
        Ok(out)
    }

    /// Every version of every subject, for `GET /schemas` (Confluent's
    /// `getVersionsWithSubjectPrefix`): by subject then version, live ones (or every one with
    /// `deleted`); with `latest_only` the newest of those per subject; with `rule_type` only
    /// versions whose rule set has a rule of that type (`RuleSet.hasRulesWithType`, after
    /// `latest_only`, as Confluent filters). With `aliases`, as Confluent's
    /// `allVersionsIncludingAliasesWithSubjectPrefix`: each version lists the subjects whose
    /// config makes them its aliases (those matching the prefix), and the versions of a
    /// subject such an alias names are listed too, whatever its name.
    pub async fn list_schemas(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        latest_only: bool,
        rule_type: Option<&str>,
        aliases: bool,
    ) -> Result<Vec<SchemaListEntry>> {
        let filter = if deleted {
            DeletedFilter::All
        } else {
            DeletedFilter::Live
        };
        // The default context's unless the prefix names others (Confluent's default `""`).
        let prefix = super::SubjectPrefix::parse(prefix, "");
        let mut rows = self.store.all_versions(filter).await?;
        let aliases = if aliases {
            self.aliases_matching(|s| prefix.matches(s)).await?
        } else {
            std::collections::BTreeMap::new()
        };
        rows.retain(|(subject, _)| prefix.matches(subject) || aliases.contains_key(subject));
        rows.sort_by(|(a, x), (b, y)| {
            super::contexts::context_order(a, b).then(x.version.cmp(&y.version))
        });
        let mut out: Vec<SchemaListEntry> = Vec::with_capacity(rows.len());
        for (subject, row) in rows {
            if latest_only && out.last().is_some_and(|last| last.subject == subject) {
                out.pop();
            }
            let schema = self.schema_by_id(row.schema_id).await?;
            let stored = &schema.stored;
            let subject_aliases = aliases.get(&subject).cloned().unwrap_or_default();
            out.push(SchemaListEntry {
                subject,
                version: row.version,
                id: row.schema_id,
                guid: Some(stored.guid.to_string()),
                schema_type: stored.schema_type,
                references: stored.references.clone(),
                metadata: stored.metadata.clone(),
                rule_set: stored.rule_set.clone(),
                schema: stored.schema.clone(),
                ts: Some(row.created_at),
                deleted: Some(row.deleted),
                aliases: subject_aliases,
            });
        }
        if let Some(rule_type) = rule_type.filter(|t| !t.is_empty()) {
            out.retain(|e| has_rule_of_type(e.rule_set.as_ref(), rule_type));
        }
        Ok(out)
    }

    /// Subjects filtered by prefix and deletion state, as Confluent's `GET /subjects` lists
    /// them: every context's by default (`:*:`), a context's for a `:.ctx:` prefix, else
    /// the default context's ([`super::SubjectPrefix`]); by context, then by name.
    pub async fn subjects(
        &self,
        prefix: Option<&str>,
        filter: DeletedFilter,
    ) -> Result<Vec<Subject>> {
        let prefix = super::SubjectPrefix::parse(prefix, ":*:");
        let mut subjects = self.store.subjects(None, filter).await?;
        subjects.retain(|s| prefix.matches(s));
        subjects.sort_by(super::contexts::context_order);
        Ok(subjects)
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

    /// `GET /subjects/{s}/versions?deletedAsNegative=true` (Confluent's `DELETED_AS_NEGATIVE`
    /// filter): every version, a soft-deleted one as its negative, ordered by absolute value.
    ///
    /// Errors: 40401 when the subject has no live version (or none at all with
    /// `include_deleted`: Confluent checks `hasSubjects(subject, deleted || deletedOnly)`).
    pub async fn versions_deleted_as_negative(
        &self,
        subject: &Subject,
        include_deleted: bool,
    ) -> Result<Vec<i64>> {
        let rows = self.subject_versions(subject).await?;
        if !rows.iter().any(|r| include_deleted || !r.deleted) {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        Ok(rows
            .iter()
            .map(|r| {
                let v = i64::from(r.version.get());
                if r.deleted { -v } else { v }
            })
            .collect())
    }

    /// The live (not soft-deleted) version rows of a subject, oldest first.
    pub(super) async fn live_rows(&self, subject: &Subject) -> Result<Vec<VersionRow>> {
        let rows = self.subject_versions(subject).await?;
        Ok(rows.iter().filter(|r| !r.deleted).copied().collect())
    }

    /// One version of a subject. `latest` (or `-1`) is the newest live version, with or
    /// without `deleted`: Confluent's `get(subject, -1, returnDeleted)` reads
    /// `getLatestVersion`, which skips soft-deleted versions; `deleted` lets a version number
    /// name a soft-deleted version.
    ///
    /// Errors: 40401 when the subject has no version (no live one without `deleted`), 40402
    /// when the version does not exist, is soft-deleted and `deleted` is false, or is
    /// `latest` of a subject whose versions are all soft-deleted ("Version -1 not found.").
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
        let rows = self.subject_versions(subject).await?;
        if !rows.iter().any(|r| deleted || !r.deleted) {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let found = match version {
            VersionSelector::Latest => rows.iter().rev().find(|r| !r.deleted),
            VersionSelector::Exact(v) => rows
                .iter()
                .find(|r| r.version == v && (deleted || !r.deleted)),
        };
        found.copied().ok_or_else(|| {
            Error::VersionNotFound(match version {
                VersionSelector::Latest => "-1".to_owned(),
                VersionSelector::Exact(v) => v.to_string(),
            })
        })
    }

    /// The body of `GET /schemas/ids/{id}` for a schema, with the `ts` and `deleted` of the
    /// version [`Registry::usage_of`] picked (`subject` and `version` are added by the caller
    /// when the request named a subject).
    pub fn by_id_response(
        schema: &CachedSchema,
        usage: Option<&(Subject, VersionRow)>,
    ) -> SchemaByIdResponse {
        SchemaByIdResponse {
            subject: None,
            version: None,
            guid: Some(schema.stored.guid.to_string()),
            schema_type: schema.stored.schema_type,
            schema: schema.stored.schema.clone(),
            references: schema.stored.references.clone(),
            metadata: schema.stored.metadata.clone(),
            rule_set: schema.stored.rule_set.clone(),
            schema_tags: Vec::new(),
            max_id: None,
            ts: usage.map(|(_, r)| r.created_at),
            deleted: usage.map(|(_, r)| r.deleted),
        }
    }

    /// The JSON body of `GET /subjects/{subject}/versions/{version}` for `row` (as
    /// [`Registry::version_response`] builds it), rendered once per row and then served
    /// from memory.
    pub fn version_body(
        &self,
        subject: &Subject,
        row: VersionRow,
        schema: &CachedSchema,
    ) -> bytes::Bytes {
        let key = (subject.clone(), row, super::Body::Version);
        if let Some(body) = self.version_bodies.get(&key) {
            return body;
        }
        self.keep_body(key, || {
            super::json_bytes(&Self::version_response(subject, row, schema))
        })
    }

    /// Renders a subject version's body and keeps it under `key` (see
    /// `Registry::version_bodies`); the caller looked for it first.
    pub(super) fn keep_body(
        &self,
        key: (Subject, VersionRow, super::Body),
        render: impl FnOnce() -> bytes::Bytes,
    ) -> bytes::Bytes {
        let body = render();
        self.version_bodies.insert(key, body.clone());
        body
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
            guid: Some(schema.stored.guid.to_string()),
            schema_type: schema.stored.schema_type,
            references: schema.stored.references.clone(),
            metadata: schema.stored.metadata.clone(),
            rule_set: schema.stored.rule_set.clone(),
            schema: schema.stored.schema.clone(),
            schema_tags: Vec::new(),
            ts: Some(row.created_at),
            deleted: Some(row.deleted),
        }
    }
}

/// Confluent's `RuleSet.hasRulesWithType`: a domain, migration or encoding rule whose `type`
/// equals `rule_type` (case-sensitive).
fn has_rule_of_type(rule_set: Option<&serde_json::Value>, rule_type: &str) -> bool {
    let Some(rule_set) = rule_set else {
        return false;
    };
    ["domainRules", "migrationRules", "encodingRules"]
        .iter()
        .filter_map(|list| rule_set.get(list).and_then(serde_json::Value::as_array))
        .flatten()
        .any(|rule| rule.get("type").and_then(serde_json::Value::as_str) == Some(rule_type))
}
