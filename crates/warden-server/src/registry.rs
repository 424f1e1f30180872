//! The registry application service: every operation of the REST API, independent of HTTP.

use std::str::FromStr;
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::{Mutex, Semaphore};
use warden_core::api::{
    CompatibilityCheckResponse, ConfigUpdateRequest, RegisterSchemaRequest, SchemaByIdResponse,
    SchemaListEntry, SchemaReference, SubjectVersion, SubjectVersionResponse,
};
use warden_core::{
    CompatibilityLevel, CompatibilityPolicy, Mode, ParsedSchema, ResolvedReference, SchemaError,
    SchemaId, SchemaType, Subject, Version, compat, fingerprint,
};
use warden_storage::{
    DeletedFilter, NewSchema, Registered, Registration, RegistrationGuard, Rejection, SchemaStore,
    Scope, StoredConfig, StoredSchema, VersionRow,
};

use crate::error::{Error, Result};
use crate::metrics::Metrics;

/// A stored schema with its pre-rendered `GET /schemas/ids/{id}` body. Ids are immutable, so
/// entries never go stale; they leave the cache only when a hard delete removes the schema.
/// Parsed forms are kept apart, in a bounded cache: they are needed only by compatibility
/// checks and cost several times the schema's text in memory.
#[derive(Debug)]
pub struct CachedSchema {
    /// The stored row.
    pub stored: StoredSchema,
    /// JSON body of `GET /schemas/ids/{id}`, rendered once.
    pub by_id_body: axum::body::Bytes,
}

/// A schema submitted for register, lookup or a compatibility check: its identity, and its
/// parsed form when this request parsed it (a request seen before is not parsed again).
#[derive(Debug)]
struct Candidate {
    new: Arc<NewSchema>,
    parsed: Option<Arc<ParsedSchema>>,
}

/// How many known requests are remembered (request → schema identity, about 2 KB each);
/// the cache is emptied when it is full, so unique junk requests cannot grow memory without
/// bound.
const CANDIDATE_CACHE_ENTRIES: usize = 4_096;

/// How many parsed schemas are kept for compatibility checks; emptied when full.
const PARSED_CACHE_ENTRIES: usize = 1_024;

/// Everything in a request that decides which schema it means, hashed (SHA-256).
fn candidate_key(request: &RegisterSchemaRequest, normalize: bool) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(candidate_text(request, normalize).as_bytes()).into()
}

fn candidate_text(request: &RegisterSchemaRequest, normalize: bool) -> String {
    let refs = serde_json::to_string(&request.references).unwrap_or_default();
    let metadata = request
        .metadata
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let rule_set = request
        .rule_set
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    format!(
        "{normalize}\0{}\0{refs}\0{metadata}\0{rule_set}\0{}",
        request.schema_type.as_deref().unwrap_or("AVRO"),
        request.schema.as_deref().unwrap_or_default()
    )
}

/// The registry service. Cheap to share behind an `Arc`; holds the store, the cache of
/// parsed schemas by id and the lock that makes a compatibility check and the registration
/// it allows atomic.
#[derive(Debug)]
pub struct Registry {
    store: Arc<dyn SchemaStore>,
    by_id: DashMap<SchemaId, Arc<CachedSchema>>,
    parsed: DashMap<SchemaId, Arc<ParsedSchema>>,
    candidates: DashMap<[u8; 32], Arc<NewSchema>>,
    /// Serializes deletes in this process.
    write_lock: Mutex<()>,
    /// Bounds registrations in flight, each holding a database connection for its
    /// transaction, so the compatibility check inside one can always get another.
    registrations: Semaphore,
    metrics: Metrics,
}

/// The compatibility check of a registration, run by the store inside the registration's
/// transaction, under the subject's lock: check and write are atomic with respect to other
/// registrations under the subject, in this process and in every replica.
#[derive(Debug)]
struct CompatibilityGuard<'a> {
    registry: &'a Registry,
    subject: &'a Subject,
    level: CompatibilityLevel,
    policy: CompatibilityPolicy,
    new: &'a ParsedSchema,
}

#[async_trait::async_trait]
impl RegistrationGuard for CompatibilityGuard<'_> {
    async fn admit(&self, live: &[VersionRow]) -> Result<(), Rejection> {
        let (messages, compatible) = self
            .registry
            .check_against(self.level, self.policy, self.new, live)
            .await
            .map_err(|e| Rejection(Box::new(e)))?;
        if compatible {
            Ok(())
        } else {
            Err(Rejection(Box::new(Error::Incompatible {
                subject: self.subject.to_string(),
                messages,
            })))
        }
    }
}

/// Options of a registration, lookup or check, from query parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct SchemaOptions {
    /// `normalize=true`.
    pub normalize: bool,
}

impl Registry {
    /// A registry over `store`.
    pub fn new(store: Arc<dyn SchemaStore>) -> Self {
        Self {
            store,
            by_id: DashMap::new(),
            parsed: DashMap::new(),
            candidates: DashMap::new(),
            write_lock: Mutex::new(()),
            registrations: Semaphore::new(4),
            metrics: Metrics::new(),
        }
    }

    /// The store, for readiness checks.
    pub fn store(&self) -> &Arc<dyn SchemaStore> {
        &self.store
    }

    /// This process's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Keeps the caches coherent with other processes sharing the database: drops schemas
    /// that another replica hard-deleted as soon as it announces them, and every
    /// `revalidate_every` checks every cached id against the store, in case an announcement
    /// was lost. Runs until the task is aborted.
    pub async fn keep_caches_coherent(self: Arc<Self>, revalidate_every: std::time::Duration) {
        let mut evictions = self.store.evictions();
        let mut tick = tokio::time::interval(revalidate_every);
        tick.tick().await;
        loop {
            let announced = async {
                match evictions.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ids = announced => match ids {
                    Ok(ids) => self.evict(&ids),
                    // Missed announcements: check everything now.
                    Err(_) => self.revalidate().await,
                },
                _ = tick.tick() => self.revalidate().await,
            }
        }
    }

    async fn revalidate(&self) {
        let cached: Vec<SchemaId> = self.by_id.iter().map(|e| *e.key()).collect();
        match self.store.existing_ids(&cached).await {
            Ok(existing) => {
                let existing: std::collections::HashSet<SchemaId> = existing.into_iter().collect();
                let gone: Vec<SchemaId> = cached
                    .into_iter()
                    .filter(|id| !existing.contains(id))
                    .collect();
                if !gone.is_empty() {
                    self.evict(&gone);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cache revalidation failed"),
        }
    }

    // ---- schemas by id ----------------------------------------------------------------

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
            by_id_body: axum::body::Bytes::new(),
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
        let stored = &schema.stored;
        let references = Box::pin(self.resolve_references(&stored.references)).await?;
        let parsed =
            ParsedSchema::parse(stored.schema_type, &stored.schema, &references).map_err(|e| {
                Error::InvalidSchema(format!("stored schema {id} no longer parses: {e}"))
            })?;
        let parsed = Arc::new(parsed);
        if self.parsed.len() >= PARSED_CACHE_ENTRIES {
            self.parsed.clear();
        }
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
    pub async fn subjects_of_schema(&self, id: SchemaId, deleted: bool) -> Result<Vec<String>> {
        let mut subjects: Vec<String> = self
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
            if prefix.is_some_and(|p| !subject.starts_with(p)) {
                continue;
            }
            if latest_only && out.last().is_some_and(|last| last.subject == subject) {
                out.pop();
            }
            let schema = self.schema_by_id(row.schema_id).await?;
            out.push(SchemaListEntry {
                subject,
                version: row.version,
                id: row.schema_id.get(),
                schema_type: schema.stored.schema_type,
                references: schema.stored.references.clone(),
                schema: schema.stored.schema.clone(),
            });
        }
        Ok(out)
    }

    // ---- subjects and versions --------------------------------------------------------

    /// Subjects, sorted, filtered by prefix and deletion state.
    pub async fn subjects(
        &self,
        prefix: Option<&str>,
        filter: DeletedFilter,
    ) -> Result<Vec<String>> {
        Ok(self.store.subjects(prefix, filter).await?)
    }

    /// Version numbers of a subject matching `filter`.
    ///
    /// Errors: 40401 when the subject has no such versions.
    pub async fn versions(&self, subject: &Subject, filter: DeletedFilter) -> Result<Vec<u32>> {
        let versions: Vec<u32> = self
            .store
            .versions(subject.as_str())
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

    /// One version of a subject (`latest` is the newest live one; with `deleted`, the newest
    /// of all).
    ///
    /// Errors: 40401 when the subject has no (live) version, 40402 when the version does not
    /// exist or is soft-deleted and `deleted` is false.
    pub async fn version(
        &self,
        subject: &Subject,
        version: Version,
        deleted: bool,
    ) -> Result<(VersionRow, Arc<CachedSchema>)> {
        let row = self.find_version(subject, version, deleted).await?;
        let schema = self.schema_by_id(row.schema_id).await?;
        Ok((row, schema))
    }

    async fn find_version(
        &self,
        subject: &Subject,
        version: Version,
        deleted: bool,
    ) -> Result<VersionRow> {
        let rows = self.store.versions(subject.as_str()).await?;
        if !rows.iter().any(|r| deleted || !r.deleted) {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let found = match version {
            Version::Latest => rows.iter().rev().find(|r| deleted || !r.deleted),
            Version::Number(n) => rows
                .iter()
                .find(|r| r.version == n && (deleted || !r.deleted)),
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
            subject: subject.to_string(),
            version: row.version,
            id: row.schema_id.get(),
            schema_type: schema.stored.schema_type,
            references: schema.stored.references.clone(),
            metadata: schema.stored.metadata.clone(),
            rule_set: schema.stored.rule_set.clone(),
            schema: schema.stored.schema.clone(),
        }
    }

    /// Ids of live schemas that reference this subject version.
    ///
    /// Errors: 40401, 40402 as [`Registry::version`].
    pub async fn referenced_by(&self, subject: &Subject, version: Version) -> Result<Vec<u32>> {
        let row = self.find_version(subject, version, false).await?;
        Ok(self
            .store
            .referenced_by(subject.as_str(), row.version, DeletedFilter::Live)
            .await?
            .into_iter()
            .map(SchemaId::get)
            .collect())
    }

    // ---- register, lookup, check ------------------------------------------------------

    /// Registers a schema under a subject and returns its id.
    ///
    /// The same schema already live under the subject returns its id with no new version
    /// and no compatibility check; a schema registered under other subjects keeps its id.
    /// Otherwise the schema is checked against the subject's live versions under its
    /// compatibility level (skipped in IMPORT mode), and a new version is written.
    ///
    /// Errors: 42201 invalid schema or reference; 42205 when the mode forbids writes or an
    /// explicit id outside IMPORT mode; 409 incompatible; 42207 id conflict in IMPORT mode.
    pub async fn register(
        &self,
        subject: &Subject,
        request: RegisterSchemaRequest,
        options: SchemaOptions,
    ) -> Result<SchemaId> {
        let mode = self.effective_mode(subject).await?;
        if !mode.allows_writes() {
            return Err(Error::OperationNotPermitted(format!(
                "Subject {subject} is in read-only mode"
            )));
        }
        let explicit_id = match request.id {
            Some(id) if mode != Mode::Import => {
                return Err(Error::OperationNotPermitted(format!(
                    "Subject {subject} is not in import mode; an id ({id}) can only be given \
                     in IMPORT mode"
                )));
            }
            Some(id) => Some(SchemaId::new(id).map_err(|e| Error::InvalidSchema(e.to_string()))?),
            None => None,
        };
        let explicit_version = match request.version {
            Some(v) if mode == Mode::Import => Some(
                u32::try_from(v)
                    .ok()
                    .filter(|v| *v >= 1 && *v <= i32::MAX as u32)
                    .ok_or_else(|| {
                        Error::InvalidVersion(format!("The specified version '{v}' is not valid"))
                    })?,
            ),
            _ => None,
        };
        let config = self.effective_config(subject).await?;
        let normalize = options.normalize || config.normalize.unwrap_or(false);
        let candidate = self.candidate(request, normalize).await?;

        // The same schema already live under the subject: its id, read-only, without a
        // transaction or a check (the store repeats this test inside its transaction, which
        // decides races).
        let live: Vec<VersionRow> = self
            .store
            .versions(subject.as_str())
            .await?
            .into_iter()
            .filter(|r| !r.deleted)
            .collect();
        if explicit_version.is_none()
            && let Some(id) = self
                .store
                .schema_id_by_fingerprint(&candidate.new.fingerprint)
                .await?
            && live.iter().any(|r| r.schema_id == id)
        {
            self.metrics
                .registrations
                .with_label_values(&["existing"])
                .inc();
            return Ok(id);
        }

        let level = config.compatibility.unwrap_or_default();
        let parsed = if mode == Mode::Import || level == CompatibilityLevel::None {
            None
        } else {
            // Warm the caches with the live versions outside the transaction, so the guard
            // rarely needs a second connection while the subject is locked.
            for row in &live {
                self.parsed_by_id(row.schema_id).await?;
            }
            Some(self.candidate_parsed(&candidate).await?)
        };
        let guard = parsed.as_deref().map(|new| CompatibilityGuard {
            registry: self,
            subject,
            level,
            policy: config.compatibility_policy.unwrap_or_default(),
            new,
        });
        let _permit = self
            .registrations
            .acquire()
            .await
            .expect("the registration semaphore is never closed");
        let registered = self
            .store
            .register(Registration {
                subject: subject.as_str(),
                schema: &candidate.new,
                explicit_id,
                explicit_version,
                guard: guard.as_ref().map(|g| g as &dyn RegistrationGuard),
            })
            .await
            .map_err(|e| match e {
                warden_storage::Error::IdConflict(m) => Error::IdDoesNotMatch(m),
                warden_storage::Error::VersionExists { subject, version } => {
                    Error::IdDoesNotMatch(format!(
                        "Version {version} of subject {subject} already exists with another schema"
                    ))
                }
                warden_storage::Error::Rejected(rejection) => match rejection.0.downcast::<Error>()
                {
                    Ok(ours) => *ours,
                    Err(other) => Error::InvalidSchema(other.to_string()),
                },
                other => Error::Store(other),
            });
        if let Err(Error::Incompatible { .. }) = &registered {
            self.metrics.compatibility_failures.inc();
        }
        let (id, version, outcome) = match registered? {
            Registered::Existing { id, version } => (id, version, "existing"),
            Registered::New { id, version } => (id, version, "new"),
        };
        self.metrics
            .registrations
            .with_label_values(&[outcome])
            .inc();
        tracing::info!(subject = %subject, id = %id, version, "registered schema");
        Ok(id)
    }

    /// Finds the version of `subject` that has this schema.
    ///
    /// A miss with `normalize=false` is retried with the normalized form (Confluent PR #3841).
    ///
    /// Errors: 40401 unknown subject; 40403 schema not under the subject; 42201 invalid schema.
    pub async fn lookup(
        &self,
        subject: &Subject,
        request: RegisterSchemaRequest,
        options: SchemaOptions,
        deleted: bool,
    ) -> Result<SubjectVersionResponse> {
        let rows = self.store.versions(subject.as_str()).await?;
        if !rows.iter().any(|r| deleted || !r.deleted) {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let config = self.effective_config(subject).await?;
        let normalize = options.normalize || config.normalize.unwrap_or(false);
        let candidate = self.candidate(request, normalize).await?;
        // As registered; then, when that misses and normalization was off, normalized.
        for attempt in 0..2 {
            let fingerprint = match attempt {
                0 => candidate.new.fingerprint.clone(),
                _ if !normalize => self.normalized_fingerprint(&candidate).await?,
                _ => break,
            };
            let Some(id) = self.store.schema_id_by_fingerprint(&fingerprint).await? else {
                continue;
            };
            // The newest version wins, as Confluent answers with the latest match.
            if let Some(row) = rows
                .iter()
                .rev()
                .find(|r| r.schema_id == id && (deleted || !r.deleted))
            {
                let schema = self.schema_by_id(id).await?;
                return Ok(Self::version_response(subject, *row, &schema));
            }
        }
        Err(Error::SchemaNotFound("Schema not found".into()))
    }

    /// Tests a schema against one version (`Some`) or against what the subject's level
    /// requires (`None`: the latest live version, or all of them for transitive levels).
    ///
    /// Errors: 42201 invalid schema; 40401/40402 when a given version does not exist.
    pub async fn test_compatibility(
        &self,
        subject: &Subject,
        version: Option<Version>,
        request: RegisterSchemaRequest,
        options: SchemaOptions,
        verbose: bool,
    ) -> Result<CompatibilityCheckResponse> {
        let config = self.effective_config(subject).await?;
        let normalize = options.normalize || config.normalize.unwrap_or(false);
        let candidate = self.candidate(request, normalize).await?;
        let mut level = config.compatibility.unwrap_or_default();
        let policy = config.compatibility_policy.unwrap_or_default();
        let previous = match version {
            Some(version) => {
                let row = self.find_version(subject, version, false).await?;
                // Against one named version the level's direction applies, not its reach.
                level = match level {
                    CompatibilityLevel::BackwardTransitive => CompatibilityLevel::Backward,
                    CompatibilityLevel::ForwardTransitive => CompatibilityLevel::Forward,
                    CompatibilityLevel::FullTransitive => CompatibilityLevel::Full,
                    other => other,
                };
                vec![row]
            }
            None => self
                .store
                .versions(subject.as_str())
                .await?
                .into_iter()
                .filter(|r| !r.deleted)
                .collect(),
        };
        let (messages, is_compatible) = self
            .check_against(
                level,
                policy,
                &*self.candidate_parsed(&candidate).await?,
                &previous,
            )
            .await?;
        Ok(CompatibilityCheckResponse {
            is_compatible,
            messages: verbose.then_some(messages),
        })
    }

    /// Runs the compatibility check of `new` against the live `previous` rows (oldest
    /// first) and renders Confluent's verbose messages.
    async fn check_against(
        &self,
        level: CompatibilityLevel,
        policy: CompatibilityPolicy,
        new: &ParsedSchema,
        previous: &[VersionRow],
    ) -> Result<(Vec<String>, bool)> {
        if level == CompatibilityLevel::None || previous.is_empty() {
            return Ok((Vec::new(), true));
        }
        let mut schemas = Vec::with_capacity(previous.len());
        let mut parsed = Vec::with_capacity(previous.len());
        for row in previous {
            schemas.push(self.schema_by_id(row.schema_id).await?);
            parsed.push(self.parsed_by_id(row.schema_id).await?);
        }
        let parsed: Vec<&ParsedSchema> = parsed.iter().map(AsRef::as_ref).collect();
        let result = compat::check_with_policy(level, policy, new, &parsed);
        let mut messages = Vec::new();
        for (index, violations) in &result.failures {
            messages.extend(violations.iter().map(|v| v.message.clone()));
            messages.push(format!(
                "{{oldSchemaVersion: {}}}",
                previous[*index].version
            ));
            messages.push(format!(
                "{{oldSchema: '{}'}}",
                schemas[*index].stored.schema
            ));
        }
        if !result.is_compatible() {
            messages.push(format!(
                "{{validateFields: 'false', compatibility: '{}'}}",
                level.as_str()
            ));
        }
        Ok((messages, result.is_compatible()))
    }

    /// Parses a submitted schema with its references and computes its identity.
    async fn candidate(
        &self,
        request: RegisterSchemaRequest,
        normalize: bool,
    ) -> Result<Candidate> {
        // A request that names no floating (`-1`) reference always means the same schema,
        // so known ones are not parsed again.
        let key = request
            .references
            .iter()
            .all(|r| r.version != -1)
            .then(|| candidate_key(&request, normalize));
        if let Some(hit) = key.as_ref().and_then(|k| self.candidates.get(k)) {
            self.metrics
                .cache
                .with_label_values(&["request", "hit"])
                .inc();
            return Ok(Candidate {
                new: Arc::clone(&hit),
                parsed: None,
            });
        }
        self.metrics
            .cache
            .with_label_values(&["request", "miss"])
            .inc();
        let candidate = self.parse_candidate(request, normalize).await?;
        if let Some(key) = key {
            if self.candidates.len() >= CANDIDATE_CACHE_ENTRIES {
                self.candidates.clear();
            }
            self.candidates.insert(key, Arc::clone(&candidate.new));
        }
        Ok(candidate)
    }

    /// The parsed form of a candidate: as parsed by this request, or parsed again from its
    /// stored-form text (which parses to the same schema).
    async fn candidate_parsed(&self, candidate: &Candidate) -> Result<Arc<ParsedSchema>> {
        if let Some(parsed) = &candidate.parsed {
            return Ok(Arc::clone(parsed));
        }
        let new = &candidate.new;
        let resolved = self.resolve_references(&new.references).await?;
        ParsedSchema::parse(new.schema_type, &new.schema, &resolved)
            .map(Arc::new)
            .map_err(|e| Error::InvalidSchema(format!("Invalid schema: {e}")))
    }

    async fn parse_candidate(
        &self,
        request: RegisterSchemaRequest,
        normalize: bool,
    ) -> Result<Candidate> {
        let text = request
            .schema
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Error::InvalidSchema("Empty schema".into()))?;
        let schema_type = match request.schema_type.as_deref() {
            None => SchemaType::Avro,
            Some(t) => SchemaType::from_str(t)
                .map_err(|_| Error::InvalidSchema(format!("Invalid schema type {t}")))?,
        };
        let mut references = Vec::with_capacity(request.references.len());
        for r in request.references {
            references.push(self.pin_reference(r).await?);
        }
        let resolved = self.resolve_references(&references).await?;
        let parsed = ParsedSchema::parse(schema_type, &text, &resolved).map_err(|e| match e {
            SchemaError::Invalid(m) => Error::InvalidSchema(format!("Invalid schema: {m}")),
            other => Error::InvalidSchema(other.to_string()),
        })?;
        if normalize {
            references.sort();
            references.dedup();
        }
        let text = if normalize {
            parsed.normalized()
        } else {
            parsed.canonical().to_owned()
        };
        let new = NewSchema {
            fingerprint: fingerprint(
                schema_type,
                &text,
                &references,
                request.metadata.as_ref(),
                request.rule_set.as_ref(),
            ),
            schema_type,
            schema: text,
            references,
            metadata: request.metadata,
            rule_set: request.rule_set,
        };
        Ok(Candidate {
            new: Arc::new(new),
            parsed: Some(Arc::new(parsed)),
        })
    }

    async fn normalized_fingerprint(&self, candidate: &Candidate) -> Result<String> {
        let mut refs = candidate.new.references.clone();
        refs.sort();
        refs.dedup();
        let parsed = self.candidate_parsed(candidate).await?;
        Ok(fingerprint(
            candidate.new.schema_type,
            &parsed.normalized(),
            &refs,
            candidate.new.metadata.as_ref(),
            candidate.new.rule_set.as_ref(),
        ))
    }

    /// Replaces `version: -1` (latest) by the concrete live version, and checks the
    /// referenced version exists.
    async fn pin_reference(&self, r: SchemaReference) -> Result<SchemaReference> {
        let subject = Subject::parse(&r.subject)
            .map_err(|e| Error::InvalidSchema(format!("Invalid reference {}: {e}", r.name)))?;
        let version = if r.version == -1 {
            Version::Latest
        } else {
            Version::parse(&r.version.to_string())
                .map_err(|e| Error::InvalidSchema(format!("Invalid reference {}: {e}", r.name)))?
        };
        let row = self
            .find_version(&subject, version, false)
            .await
            .map_err(|e| match e {
                Error::Store(s) => Error::Store(s),
                other => Error::InvalidSchema(format!(
                    "Invalid schema: reference {} to subject {} version {} cannot be resolved: {other}",
                    r.name, r.subject, r.version
                )),
            })?;
        Ok(SchemaReference {
            version: row.version as i32,
            ..r
        })
    }

    /// The transitive closure of `references`, dependencies first, each once.
    async fn resolve_references(
        &self,
        references: &[SchemaReference],
    ) -> Result<Vec<ResolvedReference>> {
        let mut out: Vec<ResolvedReference> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // Depth-first post-order over an explicit stack: (reference, children expanded).
        let mut stack: Vec<(SchemaReference, bool)> = references
            .iter()
            .rev()
            .cloned()
            .map(|r| (r, false))
            .collect();
        while let Some((r, expanded)) = stack.pop() {
            let key = (r.subject.clone(), r.version);
            let subject =
                Subject::parse(&r.subject).map_err(|e| Error::InvalidSchema(e.to_string()))?;
            let version = Version::parse(&r.version.to_string())
                .map_err(|e| Error::InvalidSchema(e.to_string()))?;
            let row = self
                .find_version(&subject, version, true)
                .await
                .map_err(|e| match e {
                    Error::Store(s) => Error::Store(s),
                    other => Error::InvalidSchema(format!("reference {}: {other}", r.name)),
                })?;
            let stored = self
                .store
                .schema_by_id(row.schema_id)
                .await?
                .ok_or_else(|| {
                    Error::SchemaNotFound(format!("Schema {} not found", row.schema_id))
                })?;
            if expanded {
                if seen.insert(key) {
                    out.push(ResolvedReference {
                        name: r.name,
                        schema_type: stored.schema_type,
                        schema: stored.schema,
                    });
                }
                continue;
            }
            if seen.contains(&key) {
                continue;
            }
            if stack.len() > 10_000 {
                return Err(Error::InvalidSchema("references nest too deeply".into()));
            }
            stack.push((r, true));
            for child in stored.references.into_iter().rev() {
                if !seen.contains(&(child.subject.clone(), child.version)) {
                    stack.push((child, false));
                }
            }
        }
        Ok(out)
    }

    // ---- deletes ----------------------------------------------------------------------

    /// Soft-deletes every live version of a subject, or with `permanent` removes a
    /// soft-deleted subject. Returns the affected versions.
    ///
    /// Errors: 40401 unknown subject; 40404 already soft-deleted; 40405 permanent delete
    /// before a soft one; 42206 a version is still referenced; 42205 read-only mode.
    pub async fn delete_subject(&self, subject: &Subject, permanent: bool) -> Result<Vec<u32>> {
        self.require_writable(subject).await?;
        let _guard = self.write_lock.lock().await;
        let rows = self.store.versions(subject.as_str()).await?;
        if rows.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let live: Vec<u32> = rows
            .iter()
            .filter(|r| !r.deleted)
            .map(|r| r.version)
            .collect();
        if permanent {
            if !live.is_empty() {
                return Err(Error::SubjectNotSoftDeleted(subject.to_string()));
            }
            let all: Vec<u32> = rows.iter().map(|r| r.version).collect();
            self.refuse_if_referenced(subject, &all, DeletedFilter::All)
                .await?;
            let removed = self.store.hard_delete(subject.as_str(), &all).await?;
            self.evict(&removed);
            self.store
                .delete_config(Scope::Subject(subject.as_str()))
                .await?;
            self.store
                .delete_mode(Scope::Subject(subject.as_str()))
                .await?;
            Ok(all)
        } else {
            if live.is_empty() {
                return Err(Error::SubjectSoftDeleted(subject.to_string()));
            }
            self.refuse_if_referenced(subject, &live, DeletedFilter::Live)
                .await?;
            self.store.soft_delete(subject.as_str(), &live).await?;
            Ok(live)
        }
    }

    /// Soft-deletes one version, or with `permanent` removes a soft-deleted one. Returns the
    /// version number.
    ///
    /// Errors: 40401, 40402; 40406 already soft-deleted; 40407 permanent before soft;
    /// 42206 still referenced; 42205 read-only mode.
    pub async fn delete_version(
        &self,
        subject: &Subject,
        version: Version,
        permanent: bool,
    ) -> Result<u32> {
        self.require_writable(subject).await?;
        let _guard = self.write_lock.lock().await;
        let rows = self.store.versions(subject.as_str()).await?;
        if rows.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let row = match version {
            Version::Latest => rows.iter().rev().find(|r| !r.deleted || permanent),
            Version::Number(n) => rows.iter().find(|r| r.version == n),
        }
        .copied()
        .ok_or_else(|| Error::VersionNotFound(version.to_string()))?;
        let v = row.version;
        if permanent {
            if !row.deleted {
                return Err(Error::VersionNotSoftDeleted {
                    subject: subject.to_string(),
                    version: v,
                });
            }
            self.refuse_if_referenced(subject, &[v], DeletedFilter::All)
                .await?;
            let removed = self.store.hard_delete(subject.as_str(), &[v]).await?;
            self.evict(&removed);
        } else {
            if row.deleted {
                return Err(Error::VersionSoftDeleted {
                    subject: subject.to_string(),
                    version: v,
                });
            }
            self.refuse_if_referenced(subject, &[v], DeletedFilter::Live)
                .await?;
            self.store.soft_delete(subject.as_str(), &[v]).await?;
        }
        Ok(v)
    }

    async fn refuse_if_referenced(
        &self,
        subject: &Subject,
        versions: &[u32],
        filter: DeletedFilter,
    ) -> Result<()> {
        for v in versions {
            let ids = self
                .store
                .referenced_by(subject.as_str(), *v, filter)
                .await?;
            if !ids.is_empty() {
                let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
                return Err(Error::ReferenceExists(format!(
                    "One or more references exist to the schema {{subject={subject}, version={v}}}: \
                     referenced by schema ids [{}]",
                    ids.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Forgets hard-deleted schemas, and every parsed request: a hard delete can free a
    /// version number that a later registration reuses for another schema.
    fn evict(&self, ids: &[SchemaId]) {
        for id in ids {
            self.by_id.remove(id);
            self.parsed.remove(id);
        }
        self.candidates.clear();
    }

    async fn require_writable(&self, subject: &Subject) -> Result<()> {
        if self.effective_mode(subject).await?.allows_writes() {
            Ok(())
        } else {
            Err(Error::OperationNotPermitted(format!(
                "Subject {subject} is in read-only mode"
            )))
        }
    }

    // ---- config and mode --------------------------------------------------------------

    async fn effective_config(&self, subject: &Subject) -> Result<StoredConfig> {
        let own = self
            .store
            .config(Scope::Subject(subject.as_str()))
            .await?
            .unwrap_or_default();
        let global = self.store.config(Scope::Global).await?.unwrap_or_default();
        Ok(own.or(global))
    }

    /// The global config with the level's default filled in.
    async fn global_config(&self) -> Result<StoredConfig> {
        let c = self.store.config(Scope::Global).await?.unwrap_or_default();
        Ok(StoredConfig {
            compatibility: Some(c.compatibility.unwrap_or_default()),
            ..c
        })
    }

    /// The config of a scope as `GET /config` shows it. Global falls back to the defaults;
    /// a subject without its own config is 40408 unless `default_to_global`.
    pub async fn config(
        &self,
        subject: Option<&Subject>,
        default_to_global: bool,
    ) -> Result<StoredConfig> {
        let Some(s) = subject else {
            return self.global_config().await;
        };
        match self.store.config(Scope::Subject(s.as_str())).await? {
            Some(c) if !c.is_empty() => {
                if default_to_global {
                    Ok(c.or(self.global_config().await?))
                } else {
                    Ok(c)
                }
            }
            _ if default_to_global => self.global_config().await,
            _ => Err(Error::SubjectCompatibilityNotConfigured(s.to_string())),
        }
    }

    /// Sets the fields of a scope's config that `update` names: `compatibility` (any of
    /// the seven levels, case-insensitive), `normalize`, `compatibilityPolicy` (`STRICT` or
    /// `LENIENT`, JSON Schema only).
    ///
    /// Errors: 42203 for an unknown level or policy, or a body that sets nothing.
    pub async fn set_config(
        &self,
        subject: Option<&Subject>,
        update: &ConfigUpdateRequest,
    ) -> Result<StoredConfig> {
        let compatibility = update
            .compatibility
            .as_deref()
            .map(|c| {
                CompatibilityLevel::from_str(c)
                    .map_err(|e| Error::InvalidCompatibilityLevel(e.to_string()))
            })
            .transpose()?;
        let compatibility_policy = update
            .compatibility_policy
            .as_deref()
            .map(|p| {
                CompatibilityPolicy::from_str(p)
                    .map_err(|e| Error::InvalidCompatibilityLevel(e.to_string()))
            })
            .transpose()?;
        let config = StoredConfig {
            compatibility,
            normalize: update.normalize,
            compatibility_policy,
        };
        if config.is_empty() {
            return Err(Error::InvalidCompatibilityLevel(
                "Invalid compatibility level: the body sets no config field".into(),
            ));
        }
        self.store.set_config(scope(subject), config).await?;
        Ok(config)
    }

    /// Removes the config of a scope and returns what it was (global: the defaults when
    /// nothing was set).
    ///
    /// Errors: 40401 for a subject with neither versions nor config; 40408 for a subject
    /// without its own config.
    pub async fn delete_config(&self, subject: Option<&Subject>) -> Result<StoredConfig> {
        let old = self.store.delete_config(scope(subject)).await?;
        match (subject, old) {
            (_, Some(old)) => Ok(old),
            (None, None) => Ok(StoredConfig {
                compatibility: Some(CompatibilityLevel::default()),
                ..StoredConfig::default()
            }),
            (Some(s), None) => {
                if self.store.versions(s.as_str()).await?.is_empty() {
                    Err(Error::SubjectNotFound(s.to_string()))
                } else {
                    Err(Error::SubjectCompatibilityNotConfigured(s.to_string()))
                }
            }
        }
    }

    /// The mode that applies to `subject`: its own, else the global one, else READWRITE.
    pub async fn effective_mode(&self, subject: &Subject) -> Result<Mode> {
        if let Some(m) = self.store.mode(Scope::Subject(subject.as_str())).await? {
            return Ok(m);
        }
        Ok(self.store.mode(Scope::Global).await?.unwrap_or_default())
    }

    /// The mode of a scope as `GET /mode` shows it.
    ///
    /// Errors: 40409 for a subject without its own mode unless `default_to_global`.
    pub async fn mode(&self, subject: Option<&Subject>, default_to_global: bool) -> Result<Mode> {
        match subject {
            None => Ok(self.store.mode(Scope::Global).await?.unwrap_or_default()),
            Some(s) => match self.store.mode(Scope::Subject(s.as_str())).await? {
                Some(m) => Ok(m),
                None if default_to_global => {
                    Ok(self.store.mode(Scope::Global).await?.unwrap_or_default())
                }
                None => Err(Error::SubjectModeNotConfigured(s.to_string())),
            },
        }
    }

    /// Sets the mode of a scope. Switching to IMPORT where schemas exist needs `force`.
    ///
    /// Errors: 42204 unknown mode; 42205 IMPORT over existing schemas without `force`.
    pub async fn set_mode(
        &self,
        subject: Option<&Subject>,
        mode: &str,
        force: bool,
    ) -> Result<Mode> {
        let mode = Mode::from_str(mode).map_err(|e| Error::InvalidMode(e.to_string()))?;
        if mode == Mode::Import && !force {
            let non_empty = match subject {
                None => self.store.has_subjects().await?,
                Some(s) => !self.store.versions(s.as_str()).await?.is_empty(),
            };
            if non_empty {
                return Err(Error::OperationNotPermitted(
                    "Cannot import since found existing subjects".into(),
                ));
            }
        }
        self.store.set_mode(scope(subject), mode).await?;
        Ok(mode)
    }

    /// Removes the mode of a scope and returns what it was (global: READWRITE when unset).
    ///
    /// Errors: 40409 for a subject without its own mode.
    pub async fn delete_mode(&self, subject: Option<&Subject>) -> Result<Mode> {
        match (subject, self.store.delete_mode(scope(subject)).await?) {
            (_, Some(old)) => Ok(old),
            (None, None) => Ok(Mode::default()),
            (Some(s), None) => Err(Error::SubjectModeNotConfigured(s.to_string())),
        }
    }
}

fn scope(subject: Option<&Subject>) -> Scope<'_> {
    match subject {
        None => Scope::Global,
        Some(s) => Scope::Subject(s.as_str()),
    }
}
