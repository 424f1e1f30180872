//! Registration, lookup and compatibility checks.
//!
//! A registration runs in a straight line: mode and config, the submission parsed once
//! (or recognised from the cache), the compatibility check against the live versions, then
//! one store transaction that holds the subject's lock while the registry confirms the live
//! versions are still those it checked against and writes the new version. The check runs
//! before the lock is taken, so a long check never holds it, and the transaction needs no
//! second connection; should versions have appeared meanwhile, the check runs again on the
//! new set, with the lock released.
//!
//! Parsing and checking run on the registry's work pool (`work`): off the async workers, a
//! bounded number at once, and stopped at the request's deadline (50002).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use warden_core::SchemaType;
use warden_core::api::CompatibilityCheckResponse;
use warden_core::schema::ParseOptions;
use warden_core::violation::Message;
use warden_core::{
    CompatibilityLevel, CompatibilityPolicy, Context, Interrupt, Interrupted, Mode, ParsedSchema,
    SchemaError, SchemaId, Subject, Version, VersionSelector, compat, fingerprint,
};
use warden_storage::{GroupedOutcome, GroupedRegistration, NewSchema, VersionRow};

use super::cache::ParsedKey;
use super::{CachedSchema, Registry, SchemaSubmission, metadata};
use crate::error::{Error, Result};

/// Options of a registration, lookup or check, from query parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct SchemaOptions {
    /// `normalize=true`.
    pub normalize: bool,
    /// `force=true` on a registration: no compatibility check, as in IMPORT mode (Confluent
    /// `KafkaSchemaRegistry.register`); lookups and checks ignore it.
    pub force: bool,
}

/// A schema submitted for register, lookup or a compatibility check: its identity, and its
/// parsed form when this request parsed it (a request seen before is not parsed again).
#[derive(Debug)]
pub(super) struct Candidate {
    pub(super) new: Arc<NewSchema>,
    parsed: Option<Arc<ParsedSchema>>,
    /// The context it was submitted in: its references resolve there, and its fingerprint
    /// is that context's ([`Context::scoped_fingerprint`]).
    pub(super) context: Context,
}

/// An earlier version a new schema is checked against: its row, stored text and parsed
/// form.
type Previous = (VersionRow, Arc<CachedSchema>, Arc<ParsedSchema>);

/// How often a registration re-takes the subject's lock because versions appeared between
/// checking against the live versions and taking the lock; each retry means another
/// registration under the subject committed meanwhile.
const REGISTRATION_ATTEMPTS: usize = 8;

/// The outcome of a registration: the schema's id and, when a version was written outside
/// IMPORT mode, that version and the schema as stored, so that the answer is built without
/// reading them back.
#[derive(Debug)]
pub struct Registered {
    /// The schema's id.
    pub id: SchemaId,
    /// The version written and the schema it holds; `None` when the schema was there
    /// already (or in IMPORT mode, where the version may not be the newest with the id).
    new: Option<(Version, Arc<NewSchema>)>,
}

impl Registered {
    fn existing(id: SchemaId) -> Self {
        Self { id, new: None }
    }

    /// The version written and the schema it holds, when one was.
    pub(super) fn written(&self) -> Option<(Version, &NewSchema)> {
        self.new.as_ref().map(|(v, new)| (*v, &**new))
    }
}

impl Registry {
    /// Registers a schema under a subject and returns its id.
    ///
    /// The same schema already live under the subject returns its id with no new version
    /// and no compatibility check; a schema registered under other subjects keeps its id.
    /// A schema whose versions under the subject were soft-deleted gets a new version, and
    /// those soft-deleted versions are removed for good unless a schema references them
    /// (Confluent's `KafkaSchemaRegistry.register`).
    /// Otherwise the schema is checked against the subject's live versions under its
    /// compatibility level (skipped in IMPORT mode and with `force`), and a new version is
    /// written.
    ///
    /// The mode rules are Confluent's `checkRegisterMode`: READONLY and READONLY_OVERRIDE
    /// refuse every registration; an explicit `id` needs IMPORT mode, and IMPORT mode needs
    /// one (a schema already live under the subject is still answered, as Confluent's
    /// `registerOrForward` looks it up first). In IMPORT mode the schema is stored as sent
    /// (`normalize` and the subject's normalize config are ignored), an explicit `version`
    /// is written as given and a `version` of 0 or -1 is the next one; outside IMPORT mode a
    /// `version` other than the next one is 42201, as Confluent's `register` answers.
    /// As in Confluent's `KafkaSchemaRegistry.register`, an IMPORT may give a schema that
    /// has an id a second one (the schema is then stored under both), and an explicit
    /// `version` that exists is written again with the schema sent.
    ///
    /// Errors: 42201 invalid schema or reference, or a version that is not the next one;
    /// 42205 when the mode forbids the registration, or an explicit id names a different
    /// schema in the subject's context (Confluent's `checkIfSchemaWithIdExist`); 40901
    /// incompatible.
    pub async fn register(
        &self,
        subject: &Subject,
        submission: SchemaSubmission,
        options: SchemaOptions,
    ) -> Result<SchemaId> {
        Ok(self.register_new(subject, submission, options).await?.id)
    }

    /// [`Registry::register`], telling a new version (with what the registration answer
    /// needs of it) apart from a schema already there.
    ///
    /// Errors: as [`Registry::register`].
    pub async fn register_new(
        &self,
        subject: &Subject,
        submission: SchemaSubmission,
        options: SchemaOptions,
    ) -> Result<Registered> {
        let submission = submission.under(subject);
        // Confluent's `toSchemaWithTags`: tags asked for are written into the schema first,
        // and the lookup of the schema as sent is skipped (`registerOrForward`).
        let tagged = submission.has_tag_requests();
        let submission = self.with_requested_tags(submission).await?;
        let mode = self.effective_mode(subject).await?;
        let context = subject.context().prefix();
        if !mode.allows_writes() {
            return Err(Error::OperationNotPermitted(format!(
                "Subject {subject} in context {context} is in read-only mode"
            )));
        }
        let import = mode == Mode::Import;
        // Confluent reads an absent or negative id as "none".
        let explicit_id = match submission.id.filter(|id| *id >= 0) {
            Some(_) if !import => {
                return Err(Error::OperationNotPermitted(format!(
                    "Subject {subject} in context {context} is not in import mode"
                )));
            }
            Some(id) => Some(SchemaId::new(id).map_err(|e| Error::InvalidSchema(e.to_string()))?),
            None => None,
        };
        // Refused only after the lookup below: a schema already live is answered first.
        let needs_id = (import && explicit_id.is_none()).then(|| {
            Error::OperationNotPermitted(format!(
                "Subject {subject} in context {context} is not in read-write mode"
            ))
        });
        // Confluent's `version`: 0 or -1 (or absent) is the next one.
        let explicit_version = match submission.version.filter(|v| *v > 0) {
            Some(v) => Some(Version::new(v).map_err(|_| {
                Error::InvalidVersion(format!("The specified version '{v}' is not valid"))
            })?),
            None => None,
        };
        if let Some(v) = explicit_version
            && !import
        {
            let max = self
                .store
                .versions(subject)
                .await?
                .last()
                .map(|r| r.version);
            let next = match max {
                Some(max) => max.next().ok(),
                None => Some(Version::FIRST),
            };
            if next != Some(v) {
                return Err(Error::InvalidSchema(
                    "Version is not one more than previous version".into(),
                ));
            }
        }
        let deadline = self.work.deadline();
        let config = self.effective_config(subject).await?;
        let submission =
            submission.validating_fields(!import && config.extra.validate_fields.unwrap_or(false));
        // IMPORT stores the schema verbatim (Confluent's `maybeValidateAndNormalizeSchema`).
        let normalize = !import && (options.normalize || config.normalize.unwrap_or(false));
        // Confluent reads a schema registered anew (no explicit id) as new when the config's
        // `validateNewSchemas` is on (the default): Avro defaults are checked. An IMPORT with
        // an id, and lookups, read it as stored.
        let as_new = self.work.strict_schemas()
            || (explicit_id.is_none() && config.extra.validate_new_schemas.unwrap_or(true));
        // Confluent's `registerOrForward`: without config defaults or overrides, a live
        // version the schema as sent can look up is answered first (for version -1, the
        // latest one only).
        let request_version = submission.version.unwrap_or(0);
        let as_sent = if mode != Mode::Import
            && explicit_id.is_none()
            && request_version <= 0
            && !metadata::has_defaults_or_overrides(&config)
            && !submission.schema.trim().is_empty()
            && !tagged
        {
            let mut live = self.live_rows(subject).await?;
            if request_version == -1 {
                live = live.pop().into_iter().collect();
            }
            // Parsed as new once: a schema that is not valid as new may still be one stored
            // before (IMPORT, validateNewSchemas off), which the lookup, as Confluent's,
            // finds reading it as stored.
            let as_sent = match self
                .candidate_as(&submission, normalize, as_new, deadline)
                .await
            {
                Err(Error::InvalidSchema(m)) if as_new && !self.work.strict_schemas() => {
                    let stored = self.candidate(&submission, normalize, deadline).await?;
                    if let Some(row) = self.can_lookup_among(&live, &stored.new).await? {
                        self.count_registration("existing");
                        return Ok(Registered::existing(row.schema_id));
                    }
                    return Err(Error::InvalidSchema(m));
                }
                other => other?,
            };
            if let Some(row) = self.can_lookup_among(&live, &as_sent.new).await? {
                self.count_registration("existing");
                return Ok(Registered::existing(row.schema_id));
            }
            Some((submission.clone(), as_sent))
        } else {
            None
        };
        // Confluent's `maybePopulateFromPrevious` (not in IMPORT mode): the latest version's
        // schema when none is sent, metadata and rule sets merged, `confluent:version`.
        let submission = if mode == Mode::Import {
            submission
        } else {
            let submission = self
                .populate_from_previous(subject, &config, submission)
                .await?;
            self.with_propagated_tags(subject, submission).await?
        };
        let (candidate, looked_up) = match as_sent {
            Some((sent, candidate)) if sent == submission => (candidate, true),
            _ => (
                self.candidate_as(&submission, normalize, as_new, deadline)
                    .await?,
                false,
            ),
        };

        self.refuse_strong_references(subject, &candidate.new.references)
            .await?;
        // The same schema already live under the subject: its id, read-only, without a
        // transaction or a check (the transaction repeats this test, which decides races).
        // After the lookup of the schema as sent found none, no live version holds it.
        // Taken before the rows are read, so a verdict that may rest on rows from before a
        // hard delete is not kept.
        let generation = self.eviction_generation();
        let mut live = self.live_rows(subject).await?;
        if explicit_version.is_none()
            && !looked_up
            && let Some(row) = self
                .holding(
                    &live,
                    self.id_by_fingerprint(&candidate.new.fingerprint).await?,
                    &candidate.new,
                    explicit_id,
                    None,
                )
                .await?
        {
            self.count_registration("existing");
            return Ok(Registered::existing(row.schema_id));
        }
        if normalize
            && explicit_version.is_none()
            && let Some(row) = self.version_with_normalized_form(&live, &candidate).await?
        {
            self.count_registration("existing");
            return Ok(Registered::existing(row.schema_id));
        }
        // The schema of a live version sent with its references inlined.
        if request_version == 0
            && explicit_id.is_none()
            && let Some(row) = self
                .version_with_references_inlined(&live, &candidate, deadline)
                .await?
        {
            self.count_registration("existing");
            return Ok(Registered::existing(row.schema_id));
        }
        // A live version the schema can look up, differing only by `confluent:version`;
        // with an explicit id, one of that id (Confluent's `register` matches ids).
        if request_version == 0
            && !looked_up
            && let Some(row) = self
                .can_lookup_among(
                    &live
                        .iter()
                        .filter(|r| explicit_id.is_none_or(|id| id.get() == r.schema_id.get()))
                        .copied()
                        .collect::<Vec<_>>(),
                    &candidate.new,
                )
                .await?
        {
            self.count_registration("existing");
            return Ok(Registered::existing(row.schema_id));
        }
        if let Some(refusal) = needs_id {
            return Err(refusal);
        }
        self.refuse_over_limits(subject, &candidate.new, explicit_version)
            .await?;

        let level = config.compatibility.unwrap_or_default();
        let check = if mode == Mode::Import || options.force || level == CompatibilityLevel::None {
            None
        } else {
            Some(self.candidate_parsed(&candidate, deadline).await?)
        };
        let policy = config.compatibility_policy.unwrap_or_default();
        let validate_fields = config.extra.validate_fields.unwrap_or(false);
        let validate_rules = config.extra.validate_rules.unwrap_or(false);
        // With `validateFields`, the reserved fields (`confluent:reserved` metadata) are
        // checked first, whatever the level (Confluent's `validateReservedFields`); with
        // `validateRules`, the rule-set changes that can make data fail.
        if (validate_fields || validate_rules) && mode != Mode::Import && !options.force {
            let latest = match live.last() {
                Some(row) => Some(self.schema_by_id(row.schema_id).await?),
                None => None,
            };
            let latest = latest.as_ref().map(|l| &l.stored);
            let mut messages = Vec::new();
            if validate_fields {
                let parsed = self.candidate_parsed(&candidate, deadline).await?;
                messages = metadata::reserved_field_errors(&candidate.new, &parsed, latest);
            }
            if validate_rules {
                messages.extend(metadata::rule_set_errors(&candidate.new, latest));
            }
            if !messages.is_empty() {
                messages.push(
                    Message::Summary {
                        validate_fields,
                        level,
                    }
                    .to_string(),
                );
                self.metrics.compatibility_failures.inc();
                return Err(Error::Incompatible {
                    subject: subject.to_string(),
                    messages,
                });
            }
        }
        // The schema an explicit version (IMPORT mode) had before it is written again.
        let replaced = match explicit_version {
            Some(v) if import => self
                .store
                .versions(subject)
                .await?
                .into_iter()
                .find(|r| r.version == v)
                .map(|r| r.schema_id),
            _ => None,
        };
        let mut previous = HashMap::new();
        // The live versions the last check ran against, and its verdict.
        let mut checked: Option<(Vec<VersionRow>, Vec<String>, bool)> = None;

        for _ in 0..REGISTRATION_ATTEMPTS {
            if let Some(new) = &check
                && checked.as_ref().is_none_or(|(rows, ..)| *rows != live)
            {
                // Checked with the lock released: a long check never holds it.
                self.load_previous(&live, &mut previous).await?;
                let earlier: Vec<Previous> = live
                    .iter()
                    .map(|r| {
                        let (cached, parsed) = &previous[&r.schema_id];
                        (*r, Arc::clone(cached), Arc::clone(parsed))
                    })
                    .collect();
                // Only the versions in the schema's compatibility group, if one is set.
                let earlier = Self::in_compatibility_group(
                    &config,
                    &candidate.new,
                    earlier,
                    |(_, cached, _)| &cached.stored,
                );
                let (messages, compatible) = self
                    .check_against(
                        deadline,
                        Checked {
                            candidate: &candidate.new,
                            generation,
                            level,
                            policy,
                            validate_fields,
                        },
                        Arc::clone(new),
                        earlier,
                    )
                    .await?;
                checked = Some((live.clone(), messages, compatible));
            }
            // The common registration is written together with concurrent ones (group
            // commit); the store declines what needs the steps of a transaction of its own
            // (references, other contexts, soft-deleted versions to remove).
            if explicit_id.is_none()
                && explicit_version.is_none()
                && !import
                && checked
                    .as_ref()
                    .is_none_or(|(_, _, compatible)| *compatible)
            {
                let grouped = GroupedRegistration {
                    subject: subject.clone(),
                    schema: Arc::clone(&candidate.new),
                    checked: checked.as_ref().map(|(rows, ..)| rows.clone()),
                    publish: self.versions_publisher(),
                };
                match self.store.register_grouped(grouped).await {
                    Ok(GroupedOutcome::Existing(row)) => {
                        self.count_registration("existing");
                        return Ok(Registered::existing(row.schema_id));
                    }
                    Ok(GroupedOutcome::Changed(now_live)) => {
                        live = now_live;
                        continue;
                    }
                    Ok(GroupedOutcome::Written { id, version }) => {
                        return Ok(self.registered(subject, &candidate, id, version, None, &[]));
                    }
                    Ok(GroupedOutcome::Declined) => {}
                    Err(e) => {
                        self.versions_changed(subject);
                        return Err(registration_error(e, &context));
                    }
                }
            }
            let mut tx = self.store.begin_registration(subject).await?;
            let (now_live, fingerprint_id) =
                tx.live_versions_and_id(&candidate.new.fingerprint).await?;
            if let Some(row) = self
                .holding(
                    &now_live,
                    fingerprint_id,
                    &candidate.new,
                    explicit_id,
                    explicit_version,
                )
                .await?
            {
                self.count_registration("existing");
                return Ok(Registered::existing(row.schema_id));
            }
            if let Some((rows, messages, compatible)) = &checked {
                if *rows != now_live {
                    // Versions changed since the check: check the new set with the lock
                    // released, then decide again.
                    drop(tx);
                    live = now_live;
                    continue;
                }
                if !compatible {
                    self.metrics.compatibility_failures.inc();
                    return Err(Error::Incompatible {
                        subject: subject.to_string(),
                        messages: messages.clone(),
                    });
                }
            }
            tx.hold_references(&candidate.new.references)
                .await
                .map_err(|e| registration_error(e, &context))?;
            let (id, version) = tx
                .insert_schema_and_version(&candidate.new, explicit_id, explicit_version)
                .await
                .map_err(|e| registration_error(e, &context))?;
            // Confluent removes the soft-deleted versions the new one supersedes (same id,
            // lower version) unless a schema references them.
            let superseded = tx.remove_superseded(id, version).await?;
            // The subject's versions as the commit left them, kept in memory at once where
            // the store allows (SQLite); otherwise forgotten, to be read again.
            let published = std::sync::atomic::AtomicBool::new(false);
            let committed = tx
                .commit(&|rows| {
                    self.versions_published(subject, rows);
                    published.store(true, std::sync::atomic::Ordering::Release);
                })
                .await;
            if !published.load(std::sync::atomic::Ordering::Acquire) {
                self.versions_changed(subject);
            }
            committed?;
            let mut registered =
                self.registered(subject, &candidate, id, version, replaced, &superseded);
            if import {
                registered.new = None;
            }
            return Ok(registered);
        }
        Err(Error::OperationTimeout(format!(
            "Register operation on subject {subject} kept racing other registrations"
        )))
    }

    /// What follows a committed new version: the `GET /schemas/ids/{id}` body of the schema
    /// (and of the schema an imported version `replaced`) is read anew, since its versions
    /// changed; the row under `id` holds this content (a fingerprint names one content). A
    /// version imported again with another schema also drops what was parsed or decided
    /// with references to it ([`Registry::forget_resolutions`]).
    fn registered(
        &self,
        subject: &Subject,
        candidate: &Candidate,
        id: SchemaId,
        version: Version,
        replaced: Option<SchemaId>,
        superseded: &[Version],
    ) -> Registered {
        self.forget_usage(&[id]);
        if let Some(replaced) = replaced.filter(|r| *r != id) {
            self.forget_usage(&[replaced]);
            self.forget_resolutions();
        }
        self.remember_stored(candidate.new.stored(id));
        self.count_registration("new");
        tracing::info!(subject = %subject, id = %id, %version, ?superseded, "registered schema");
        Registered {
            id,
            new: Some((version, Arc::clone(&candidate.new))),
        }
    }

    /// The newest of `rows` (at `version`, when given) that already holds the submitted
    /// schema: without `id`, a version of the schema's own id (`fingerprint_id`); with an
    /// explicit `id` (IMPORT mode), a version of that id whose schema is the submitted one
    /// (a schema may be stored under several ids: Confluent's `registerOrForward` answers
    /// an existing version only when its id is the one sent).
    async fn holding(
        &self,
        rows: &[VersionRow],
        fingerprint_id: Option<SchemaId>,
        candidate: &NewSchema,
        id: Option<SchemaId>,
        version: Option<Version>,
    ) -> Result<Option<VersionRow>> {
        for row in rows.iter().rev() {
            if version.is_some_and(|v| v != row.version) {
                continue;
            }
            let holds = match id {
                None => Some(row.schema_id) == fingerprint_id,
                Some(id) if id.get() != row.schema_id.get() => false,
                Some(_) => {
                    Some(row.schema_id) == fingerprint_id || {
                        let stored = &self.schema_by_id(row.schema_id).await?.stored;
                        stored.schema_type == candidate.schema_type
                            && stored.schema == candidate.schema
                            && stored.references == candidate.references
                            && stored.metadata == candidate.metadata
                            && stored.rule_set == candidate.rule_set
                    }
                }
            };
            if holds {
                return Ok(Some(*row));
            }
        }
        Ok(None)
    }

    /// Refuses a new version over the registration limits ([`super::WorkLimits`]): a stored
    /// form over `max_schema_bytes` (42209, with Confluent's message), and a subject that
    /// already has `max_versions_per_subject` versions (42201). A version written again
    /// (IMPORT with an existing number) adds none. The version count is the one read
    /// before the registration's transaction: concurrent registrations may pass it by
    /// their number.
    async fn refuse_over_limits(
        &self,
        subject: &Subject,
        new: &NewSchema,
        explicit_version: Option<Version>,
    ) -> Result<()> {
        let limits = self.work.limits();
        let bytes = new.schema.len()
            + new
                .references
                .iter()
                .map(|r| r.name.len() + r.subject.len() + 16)
                .sum::<usize>()
            + new.metadata.as_ref().map_or(0, |m| m.to_string().len())
            + new.rule_set.as_ref().map_or(0, |r| r.to_string().len());
        if bytes > limits.max_schema_bytes {
            return Err(Error::SchemaTooLarge);
        }
        let rows = self.subject_versions(subject).await?;
        let rewritten = explicit_version.is_some_and(|v| rows.iter().any(|r| r.version == v));
        if !rewritten && rows.len() >= limits.max_versions_per_subject {
            return Err(Error::InvalidSchema(format!(
                "Subject '{subject}' has {} versions, the limit (max_versions_per_subject); \
                 raise the limit with --max-versions-per-subject or \
                 WARDEN_MAX_VERSIONS_PER_SUBJECT",
                rows.len()
            )));
        }
        Ok(())
    }

    /// Counts a registration in `warden_registrations_total` by its `outcome`, `new` or
    /// `existing`.
    pub(crate) fn count_registration(&self, outcome: &str) {
        self.metrics
            .registrations
            .with_label_values(&[outcome])
            .inc();
    }

    /// Loads the stored and parsed forms of every schema of `rows` missing from `into`.
    async fn load_previous(
        &self,
        rows: &[VersionRow],
        into: &mut HashMap<SchemaId, (Arc<CachedSchema>, Arc<ParsedSchema>)>,
    ) -> Result<()> {
        for row in rows {
            if let std::collections::hash_map::Entry::Vacant(slot) = into.entry(row.schema_id) {
                let cached = self.schema_by_id(row.schema_id).await?;
                let parsed = self.parsed_by_id(row.schema_id).await?;
                slot.insert((cached, parsed));
            }
        }
        Ok(())
    }

    /// Finds the version of `subject` that has this schema.
    ///
    /// A miss with `normalize=false` is retried with the normalized form (Confluent PR #3841).
    ///
    /// Errors: 40401 unknown subject; 40403 schema not under the subject; 42201 invalid schema.
    pub async fn lookup(
        &self,
        subject: &Subject,
        submission: SchemaSubmission,
        options: SchemaOptions,
        deleted: bool,
    ) -> Result<warden_core::api::SubjectVersionResponse> {
        let (row, schema) = self
            .lookup_version(subject, submission, options, deleted)
            .await?;
        Ok(Self::version_response(subject, row, &schema))
    }

    /// [`Registry::lookup`]'s version and its schema, whose answer is the version's read
    /// body ([`Registry::version_body`]).
    ///
    /// Errors: as [`Registry::lookup`].
    pub async fn lookup_version(
        &self,
        subject: &Subject,
        submission: SchemaSubmission,
        options: SchemaOptions,
        deleted: bool,
    ) -> Result<(VersionRow, Arc<CachedSchema>)> {
        let submission = submission.under(subject);
        let rows = self.subject_versions(subject).await?;
        if !rows.iter().any(|r| deleted || !r.deleted) {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let deadline = self.work.deadline();
        let config = self.effective_config(subject).await?;
        let import = self.effective_mode(subject).await? == Mode::Import;
        let submission =
            submission.validating_fields(!import && config.extra.validate_fields.unwrap_or(false));
        let normalize = options.normalize || config.normalize.unwrap_or(false);
        let candidate = self.candidate(&submission, normalize, deadline).await?;
        // As registered; then, when that misses and normalization was off, normalized.
        for attempt in 0..2 {
            let fingerprint = match attempt {
                0 => candidate.new.fingerprint.clone(),
                _ if !normalize => self.normalized_fingerprint(&candidate, deadline).await?,
                _ => break,
            };
            let Some(id) = self.id_by_fingerprint(&fingerprint).await? else {
                continue;
            };
            // The newest version wins, as Confluent answers with the latest match.
            if let Some(row) = rows
                .iter()
                .rev()
                .find(|r| r.schema_id == id && (deleted || !r.deleted))
            {
                let schema = self.schema_by_id(id).await?;
                return Ok((*row, schema));
            }
        }
        let live: Vec<VersionRow> = rows
            .iter()
            .filter(|r| deleted || !r.deleted)
            .copied()
            .collect();
        if normalize && let Some(row) = self.version_with_normalized_form(&live, &candidate).await?
        {
            let schema = self.schema_by_id(row.schema_id).await?;
            return Ok((row, schema));
        }
        if let Some(row) = self
            .version_with_references_inlined(&live, &candidate, deadline)
            .await?
        {
            let schema = self.schema_by_id(row.schema_id).await?;
            return Ok((row, schema));
        }
        // A version that differs only by `confluent:version` (Confluent's `canLookup`);
        // then the same with the latest version's metadata and rule set and the config's
        // defaults and overrides, as Confluent's `lookUpSchemaUnderSubject` tries again.
        let mut found = self.can_lookup_among(&live, &candidate.new).await?;
        if found.is_none()
            && let Some(next) = self
                .with_previous_contract(subject, &config, &submission)
                .await?
        {
            let next = self.candidate(&next, normalize, deadline).await?;
            found = match self.id_by_fingerprint(&next.new.fingerprint).await? {
                Some(id) => live.iter().rev().find(|r| r.schema_id == id).copied(),
                None => None,
            };
            if found.is_none() {
                found = self.can_lookup_among(&live, &next.new).await?;
            }
        }
        if let Some(row) = found {
            let schema = self.schema_by_id(row.schema_id).await?;
            return Ok((row, schema));
        }
        Err(Error::SchemaNotFound("Schema not found".into()))
    }

    /// The newest of `rows` whose Avro schema has references and, with them inlined,
    /// normalizes to the normalized `candidate`, which has none: a schema sent with its
    /// references inlined is the version registered with them, as Confluent's
    /// `ParsedSchema.canLookup` finds it (a schema without references against one with
    /// them, compared parsed). Metadata and rule set must be equal.
    async fn version_with_references_inlined(
        &self,
        rows: &[VersionRow],
        candidate: &Candidate,
        deadline: Instant,
    ) -> Result<Option<VersionRow>> {
        if candidate.new.schema_type != SchemaType::Avro || !candidate.new.references.is_empty() {
            return Ok(None);
        }
        let mut wanted: Option<String> = None;
        for (row, _) in self
            .contents
            .to_fetch(rows, |known| known.avro_with_references)
        {
            let stored = self.schema_by_id(row.schema_id).await?;
            let stored = &stored.stored;
            self.contents.keep(
                row.schema_id,
                super::content::ContentKeys::of_stored(stored),
            );
            if stored.schema_type != SchemaType::Avro
                || stored.references.is_empty()
                || stored.metadata != candidate.new.metadata
                || stored.rule_set != candidate.new.rule_set
            {
                continue;
            }
            let parsed = self.parsed_by_id(row.schema_id).await?;
            let Some(resolved) = parsed.resolved_normalized() else {
                continue;
            };
            if wanted.is_none() {
                wanted = Some(
                    self.candidate_parsed(candidate, deadline)
                        .await?
                        .normalized(),
                );
            }
            if wanted.as_deref() == Some(resolved) {
                return Ok(Some(*row));
            }
        }
        Ok(None)
    }

    /// The newest of `rows` whose schema, normalized, is the normalized `candidate`: with
    /// `normalize=true`, a schema registered as sent is found by its normalized form, as
    /// Confluent's lookup compares each version's parsed schema (`ParsedSchema.canLookup`).
    async fn version_with_normalized_form(
        &self,
        rows: &[VersionRow],
        candidate: &Candidate,
    ) -> Result<Option<VersionRow>> {
        for row in rows.iter().rev() {
            let stored = self.schema_by_id(row.schema_id).await?;
            let stored = &stored.stored;
            if stored.schema_type != candidate.new.schema_type {
                continue;
            }
            let parsed = self.parsed_by_id(row.schema_id).await?;
            let mut refs = stored.references.clone();
            refs.sort();
            refs.dedup();
            let normalized = candidate.context.scoped_fingerprint(fingerprint(
                stored.schema_type,
                &parsed.normalized(),
                &refs,
                stored.metadata.as_ref(),
                stored.rule_set.as_ref(),
            ));
            if normalized == candidate.new.fingerprint {
                return Ok(Some(*row));
            }
        }
        Ok(None)
    }

    /// Tests a schema against one version (`Some`) or against what the subject's level
    /// requires (`None`: the latest live version, or all of them for transitive levels).
    ///
    /// As in Confluent (`CompatibilityResource`), a subject with no live version (none at
    /// all, or all soft-deleted) has nothing to break: `latest` and `None` answer
    /// compatible. A version number is looked up among the live versions only, and one that
    /// is missing or soft-deleted is 40402, whether or not the subject exists.
    ///
    /// Errors: 40402 a version number that is not live; 42201 invalid schema.
    pub async fn test_compatibility(
        &self,
        subject: &Subject,
        version: Option<VersionSelector>,
        submission: SchemaSubmission,
        options: SchemaOptions,
        verbose: bool,
    ) -> Result<CompatibilityCheckResponse> {
        let submission = submission.under(subject);
        let deadline = self.work.deadline();
        let generation = self.eviction_generation();
        let mut live = self.live_rows(subject).await?;
        let rows = match version {
            None => live,
            Some(VersionSelector::Latest) => live.pop().into_iter().collect(),
            Some(VersionSelector::Exact(v)) => {
                let row = live
                    .into_iter()
                    .find(|r| r.version == v)
                    .ok_or_else(|| Error::VersionNotFound(v.to_string()))?;
                vec![row]
            }
        };
        let config = self.effective_config(subject).await?;
        let import = self.effective_mode(subject).await? == Mode::Import;
        let submission =
            submission.validating_fields(!import && config.extra.validate_fields.unwrap_or(false));
        let normalize = options.normalize || config.normalize.unwrap_or(false);
        // Read as new under `validateNewSchemas`, as Confluent's `isCompatible` does.
        let as_new =
            self.work.strict_schemas() || config.extra.validate_new_schemas.unwrap_or(true);
        // With `verbose`, an invalid schema is an incompatible answer carrying the reason,
        // as Confluent's `CompatibilityResource` answers it.
        let candidate = match self
            .candidate_as(&submission, normalize, as_new, deadline)
            .await
        {
            Err(Error::InvalidSchema(message)) if verbose => {
                return Ok(CompatibilityCheckResponse {
                    is_compatible: false,
                    messages: Some(vec![message]),
                });
            }
            other => other?,
        };
        let mut level = config.compatibility.unwrap_or_default();
        let policy = config.compatibility_policy.unwrap_or_default();
        if version.is_some() {
            // Against one named version the level's direction applies, not its reach.
            level = match level {
                CompatibilityLevel::BackwardTransitive => CompatibilityLevel::Backward,
                CompatibilityLevel::ForwardTransitive => CompatibilityLevel::Forward,
                CompatibilityLevel::FullTransitive => CompatibilityLevel::Full,
                other => other,
            };
        }
        let new = self.candidate_parsed(&candidate, deadline).await?;
        let validate_fields = config.extra.validate_fields.unwrap_or(false);
        let validate_rules = config.extra.validate_rules.unwrap_or(false);
        // Confluent's `isCompatibleWithPrevious`: with `validateFields`, the reserved fields
        // against the last version checked, before the level's check and whatever the level;
        // Warden's `validateRules` adds the rule-set changes the same way.
        let mut contract_messages = Vec::new();
        if (validate_fields || validate_rules) && !import {
            let latest = match rows.last() {
                Some(row) => Some(self.schema_by_id(row.schema_id).await?),
                None => None,
            };
            let latest = latest.as_ref().map(|l| &l.stored);
            if validate_fields {
                contract_messages = metadata::reserved_field_errors(&candidate.new, &new, latest);
            }
            if validate_rules {
                contract_messages.extend(metadata::rule_set_errors(&candidate.new, latest));
            }
        }
        let mut earlier = Vec::with_capacity(rows.len());
        if level != CompatibilityLevel::None {
            for row in rows {
                earlier.push((
                    row,
                    self.schema_by_id(row.schema_id).await?,
                    self.parsed_by_id(row.schema_id).await?,
                ));
            }
        }
        // Only the versions in the schema's compatibility group, if one is set.
        let earlier =
            Self::in_compatibility_group(&config, &candidate.new, earlier, |(_, cached, _)| {
                &cached.stored
            });
        let checked = Checked {
            candidate: &candidate.new,
            generation,
            level,
            policy,
            validate_fields,
        };
        let (found, is_compatible) = self.check_against(deadline, checked, new, earlier).await?;
        let mut messages = found;
        if !contract_messages.is_empty() {
            if is_compatible {
                messages.push(
                    Message::Summary {
                        validate_fields,
                        level,
                    }
                    .to_string(),
                );
            }
            contract_messages.append(&mut messages);
            messages = contract_messages;
        }
        let is_compatible = is_compatible && messages.is_empty();
        Ok(CompatibilityCheckResponse {
            is_compatible,
            messages: verbose.then_some(messages),
        })
    }

    /// Parses a submitted schema with its references, read as stored (as new with
    /// `--strict-schemas`), and computes its identity: the form of lookups.
    pub(super) async fn candidate(
        &self,
        submission: &SchemaSubmission,
        normalize: bool,
        deadline: Instant,
    ) -> Result<Candidate> {
        let as_new = self.work.strict_schemas();
        self.candidate_as(submission, normalize, as_new, deadline)
            .await
    }

    /// Parses a submitted schema with its references, read as new (`as_new`, Avro defaults
    /// checked) or as stored, and computes its identity. A submission known already is
    /// neither parsed nor copied.
    async fn candidate_as(
        &self,
        submission: &SchemaSubmission,
        normalize: bool,
        as_new: bool,
        deadline: Instant,
    ) -> Result<Candidate> {
        // A submission that names no floating (`-1`) reference always means the same
        // schema, so known ones are not parsed again; read as new and as stored are two
        // requests, since only one may be refused.
        let key = submission.identity_key(normalize, as_new);
        if let Some(hit) = key.as_ref().and_then(|k| self.candidates.get(k)) {
            self.metrics
                .count_cache_lookup(crate::metrics::CacheName::Request, true);
            return Ok(Candidate {
                new: Arc::clone(&hit),
                parsed: None,
                context: submission.context.clone(),
            });
        }
        self.metrics
            .count_cache_lookup(crate::metrics::CacheName::Request, false);
        let read_at = self.eviction_generation();
        let candidate = self
            .parse_candidate(submission.clone(), normalize, as_new, deadline)
            .await?;
        if let Some(key) = key {
            self.keep_unless_evicted(&self.candidates, read_at, key, Arc::clone(&candidate.new));
        }
        Ok(candidate)
    }

    /// The parsed form of a candidate: as parsed by this request, as cached by its
    /// fingerprint, or parsed again from its stored-form text (which parses to the same
    /// schema) and cached.
    pub(super) async fn candidate_parsed(
        &self,
        candidate: &Candidate,
        deadline: Instant,
    ) -> Result<Arc<ParsedSchema>> {
        if let Some(parsed) = &candidate.parsed {
            return Ok(Arc::clone(parsed));
        }
        let key = ParsedKey::Request(candidate.new.fingerprint.clone());
        if let Some(hit) = self.parsed.get(&key) {
            return Ok(hit);
        }
        let new = Arc::clone(&candidate.new);
        let read_at = self.eviction_generation();
        let resolved = self
            .resolve_references(&new.references, &candidate.context)
            .await?;
        let parsed = self
            .work
            .run_sized(
                new.schema_type,
                text_bytes(&new.schema, &resolved),
                deadline,
                move |_| {
                    // The text was accepted when the candidate was made; read it as stored.
                    ParsedSchema::parse_with(
                        new.schema_type,
                        &new.schema,
                        &resolved,
                        ParseOptions::STORED,
                    )
                    .map(Arc::new)
                    .map_err(|e| Error::InvalidSchema(format!("Invalid schema: {e}")).into())
                },
            )
            .await?;
        self.keep_unless_evicted(&self.parsed, read_at, key, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// Parses a submission, held to the schema limits, and computes its identity.
    async fn parse_candidate(
        &self,
        submission: SchemaSubmission,
        normalize: bool,
        as_new: bool,
        deadline: Instant,
    ) -> Result<Candidate> {
        if submission.schema.trim().is_empty() {
            return Err(Error::InvalidSchema("Empty schema".into()));
        }
        let max_references = self.work.limits().max_references;
        if submission.references.len() > max_references {
            return Err(Error::InvalidSchema(format!(
                "Invalid schema: {} references, more than the limit of {max_references} \
                 (max_references); raise the limit with --max-references or \
                 WARDEN_MAX_REFERENCES",
                submission.references.len()
            )));
        }
        let schema_type = submission.schema_type;
        let context = submission.context;
        let mut references = Vec::with_capacity(submission.references.len());
        for r in submission.references {
            references.push(self.pin_reference(r, &context).await?);
        }
        let resolved = self.resolve_references(&references, &context).await?;
        let limits = *self.work.schema_limits();
        let schema = submission.schema;
        let options = if as_new {
            ParseOptions::NEW
        } else {
            ParseOptions::STORED
        }
        .validating_fields(submission.validate_fields)
        .strict(self.work.strict_schemas());
        let (parsed, text, legacy) = self
            .work
            .run_sized(
                schema_type,
                text_bytes(&schema, &resolved),
                deadline,
                move |_| {
                    let parsed = ParsedSchema::parse_with_limits_as(
                        schema_type,
                        &schema,
                        &resolved,
                        &limits,
                        options,
                    )
                    .map_err(invalid_schema)?;
                    let text = if normalize {
                        parsed.normalized()
                    } else {
                        parsed.canonical().to_owned()
                    };
                    let legacy = parsed.legacy_text(normalize);
                    Ok((parsed, text, legacy))
                },
            )
            .await?;
        if normalize {
            references.sort();
            references.dedup();
        }
        let identity = |text: &str| {
            context.scoped_fingerprint(fingerprint(
                schema_type,
                text,
                &references,
                submission.metadata.as_ref(),
                submission.rule_set.as_ref(),
            ))
        };
        let mut text = text;
        let mut fingerprint = identity(&text);
        // The stored text is the canonical text, and a schema's identity is the fingerprint
        // of that text. Before issue 12, Warden stored Avro with its keys reordered but its
        // names as given; a database written then keeps those rows and their fingerprints.
        // Rather than rewrite them at startup (every schema parsed again, and two old rows
        // may now share one text), a schema whose current text is new to the store is
        // looked up by its earlier text, and, when that is stored, it is that schema: its
        // id is reused and its stored text returned as before. The extra lookup happens
        // only at registration or lookup, only when the two texts differ, and only on a
        // miss of the current text.
        if let Some(legacy) = legacy
            && self.id_by_fingerprint(&fingerprint).await?.is_none()
        {
            let earlier = identity(&legacy);
            if self.id_by_fingerprint(&earlier).await?.is_some() {
                text = legacy;
                fingerprint = earlier;
            }
        }
        let new = NewSchema {
            fingerprint,
            schema_type,
            schema: text,
            references,
            metadata: submission.metadata,
            rule_set: submission.rule_set,
        };
        Ok(Candidate {
            new: Arc::new(new),
            parsed: Some(Arc::new(parsed)),
            context,
        })
    }

    async fn normalized_fingerprint(
        &self,
        candidate: &Candidate,
        deadline: Instant,
    ) -> Result<String> {
        let mut refs = candidate.new.references.clone();
        refs.sort();
        refs.dedup();
        let parsed = self.candidate_parsed(candidate, deadline).await?;
        Ok(candidate.context.scoped_fingerprint(fingerprint(
            candidate.new.schema_type,
            &parsed.normalized(),
            &refs,
            candidate.new.metadata.as_ref(),
            candidate.new.rule_set.as_ref(),
        )))
    }
}

impl Registry {
    /// Checks `new` against the `earlier` live versions (oldest first) on the work pool
    /// and renders Confluent's verbose messages ([`render_check`]); returns them and whether
    /// `new` is compatible.
    ///
    /// Errors: 50002 when the check did not end by `deadline`.
    async fn check_against(
        &self,
        deadline: Instant,
        checked: Checked<'_>,
        new: Arc<ParsedSchema>,
        earlier: Vec<Previous>,
    ) -> Result<(Vec<String>, bool)> {
        let Checked {
            candidate,
            generation,
            level,
            policy,
            validate_fields,
        } = checked;
        if level == CompatibilityLevel::None || earlier.is_empty() {
            return Ok((Vec::new(), true));
        }
        // Only a check without references keeps its verdict: the fingerprint names a
        // reference's subject and version, not the schema the version holds now (IMPORT
        // rewrites a version, a hard delete frees its number), and what a stored schema's
        // references meant was fixed when it was parsed.
        let key = (candidate.references.is_empty()
            && earlier
                .iter()
                .all(|(_, cached, _)| cached.stored.references.is_empty()))
        .then(|| super::cache::VerdictKey {
            fingerprint: candidate.fingerprint.clone(),
            level,
            policy,
            validate_fields,
            earlier: earlier
                .iter()
                .map(|(row, ..)| (row.version, row.schema_id))
                .collect(),
        });
        if let Some(key) = &key {
            if let Some(verdict) = self.verdicts.get(key) {
                self.metrics
                    .count_cache_lookup(crate::metrics::CacheName::Verdict, true);
                return Ok((verdict.messages.clone(), verdict.compatible));
            }
            self.metrics
                .count_cache_lookup(crate::metrics::CacheName::Verdict, false);
        }
        let bytes = new.canonical().len()
            + earlier
                .iter()
                .map(|(_, cached, _)| cached.stored.schema.len())
                .sum::<usize>();
        let (messages, compatible) = self
            .work
            .run_sized(new.schema_type(), bytes, deadline, move |interrupt| {
                Ok(render_check(
                    level,
                    policy,
                    validate_fields,
                    &new,
                    &earlier,
                    interrupt,
                )?)
            })
            .await?;
        // A hard delete since the rows were read may have freed an id of the key for
        // another schema: the verdict is then not kept.
        if let Some(key) = key {
            let key_bytes = key.fingerprint.len() + key.earlier.len() * 16;
            let verdict = Arc::new(super::cache::Verdict {
                messages: messages.clone(),
                compatible,
                key_bytes,
            });
            self.keep_unless_evicted(&self.verdicts, generation, key, verdict);
        }
        Ok((messages, compatible))
    }
}

/// What a compatibility check is run under, besides the schemas: the candidate (its
/// identity fingerprint keys the verdict), the eviction generation read before the rows
/// checked against were ([`Registry::eviction_generation`]), the level and policy, and
/// the config's `validateFields` (which the summary message names).
#[derive(Debug, Clone, Copy)]
struct Checked<'a> {
    candidate: &'a NewSchema,
    generation: u64,
    level: CompatibilityLevel,
    policy: CompatibilityPolicy,
    validate_fields: bool,
}

/// The bytes of schema text a parse reads: the schema and the schemas it references.
pub(super) fn text_bytes(schema: &str, resolved: &[warden_core::ResolvedReference]) -> usize {
    schema.len() + resolved.iter().map(|r| r.schema.len()).sum::<usize>()
}

/// A schema refused by the parser or the limits: 42201, with the setting that raises the
/// limit (`--max-enum-symbols` or `WARDEN_MAX_ENUM_SYMBOLS` for `max_enum_symbols`).
fn invalid_schema(e: SchemaError) -> Error {
    match e {
        SchemaError::Invalid(m) => Error::InvalidSchema(format!("Invalid schema: {m}")),
        SchemaError::TooLarge(e) => {
            let name = e.limit.name();
            Error::InvalidSchema(format!(
                "Invalid schema: {e}; raise the limit with --{} or WARDEN_{}",
                name.replace('_', "-"),
                name.to_uppercase()
            ))
        }
        other => Error::InvalidSchema(other.to_string()),
    }
}

/// Runs the compatibility check of `new` against the `earlier` live versions (oldest first)
/// and renders Confluent's verbose messages: each violation, then `{oldSchemaVersion: N}` and
/// `{oldSchema: '…'}` of the version it breaks, then the config's `validateFields` and the
/// level.
///
/// Errors: [`Interrupted`] when `interrupt` stopped the check.
fn render_check(
    level: CompatibilityLevel,
    policy: CompatibilityPolicy,
    validate_fields: bool,
    new: &ParsedSchema,
    earlier: &[Previous],
    interrupt: &Interrupt,
) -> Result<(Vec<String>, bool), Interrupted> {
    if level == CompatibilityLevel::None || earlier.is_empty() {
        return Ok((Vec::new(), true));
    }
    let parsed: Vec<&ParsedSchema> = earlier.iter().map(|(_, _, p)| p.as_ref()).collect();
    let result = compat::check_until(level, policy, new, &parsed, interrupt)?;
    let mut messages = Vec::new();
    for (index, violations) in &result.failures {
        let (row, cached, _) = &earlier[*index];
        messages.extend(violations.iter().map(|v| v.message.clone()));
        messages.push(Message::OldSchemaVersion(row.version).to_string());
        messages.push(Message::OldSchema(cached.stored.schema.clone()).to_string());
    }
    if !result.is_compatible() {
        messages.push(
            Message::Summary {
                validate_fields,
                level,
            }
            .to_string(),
        );
    }
    Ok((messages, result.is_compatible()))
}

/// An explicit id (IMPORT mode) taken by a different schema is 42205, as Confluent's
/// `checkIfSchemaWithIdExist` answers; a reference to a version deleted since it was
/// resolved is 42201; other store failures are 50001.
fn registration_error(e: warden_storage::Error, context: &str) -> Error {
    match e {
        warden_storage::Error::ReferenceNotLive {
            name,
            subject,
            version,
        } => Error::InvalidSchema(format!(
            "Invalid schema: reference {name} to subject {subject} version {version} cannot be \
             resolved: the version was deleted"
        )),
        warden_storage::Error::IdTaken(id) => Error::OperationNotPermitted(format!(
            "Overwrite new schema with id {id} in context {context} is not permitted."
        )),

        warden_storage::Error::IdsExhausted => Error::OperationNotPermitted(
            "No schema id is left: ids are 32-bit (at most 2147483647), and the highest is \
             taken"
                .into(),
        ),
        other => Error::Store(other),
    }
}
