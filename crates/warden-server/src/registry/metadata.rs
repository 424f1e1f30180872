//! Data contracts in registrations and lookups, as Confluent's `AbstractSchemaRegistry`
//! treats them: a new version takes the latest version's schema when it sends none and its
//! metadata and rule set when it sends none, merged with the config's defaults and
//! overrides (`maybePopulateFromPrevious`, `maybeSetMetadataRuleSet`); `confluent:version`
//! holds the new version's number; a schema finds a version that differs only by
//! `confluent:version` (`ParsedSchema.canLookup`); compatibility is checked within the
//! config's compatibility group; `GET /subjects/{s}/metadata` (`getLatestWithMetadata`);
//! subject aliases (`AliasFilter`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use warden_core::api::{RegisterSchemaResponse, SchemaReference};
use warden_core::{ParsedSchema, SchemaId, Subject, Version, VersionSelector};
use warden_storage::{NewSchema, StoredConfig, StoredSchema, VersionRow};

use super::contract::{Metadata, merge_rule_sets, metadata_of};
use super::{CachedSchema, ReferenceSpec, Registry, SchemaSubmission};
use crate::error::{Error, Result};

/// Whether a config has default or override metadata or rule sets
/// (`Config.hasDefaultsOrOverrides`).
pub(super) fn has_defaults_or_overrides(config: &StoredConfig) -> bool {
    let e = &config.extra;
    e.default_metadata.is_some()
        || e.override_metadata.is_some()
        || e.default_rule_set.is_some()
        || e.override_rule_set.is_some()
}

/// The metadata and rule set a new version gets (Confluent's `maybeSetMetadataRuleSet`):
/// its own, else `previous`'s, merged over the config's defaults and under its overrides;
/// `confluent:version` is set to `new_version` when given and the request names a version
/// or the merged metadata has one. `None`s when there is neither.
pub(super) fn merged_contract(
    config: &StoredConfig,
    metadata: Option<&Value>,
    rule_set: Option<&Value>,
    previous: Option<&StoredSchema>,
    new_version: Option<(Version, bool)>,
) -> (Option<Value>, Option<Value>) {
    let specific_md = match metadata {
        Some(m) => metadata_of(Some(m)).or_else(|| Some(Metadata::default())),
        None => previous.and_then(|p| metadata_of(p.metadata.as_ref())),
    };
    let extra = &config.extra;
    let mut merged_md = Metadata::merge(
        Metadata::merge(metadata_of(extra.default_metadata.as_ref()), specific_md),
        metadata_of(extra.override_metadata.as_ref()),
    );
    let specific_rs = rule_set
        .cloned()
        .or_else(|| previous.and_then(|p| p.rule_set.clone()));
    let merged_rs = merge_rule_sets(
        merge_rule_sets(extra.default_rule_set.clone(), specific_rs),
        extra.override_rule_set.clone(),
    );
    if let Some((version, named)) = new_version
        && (named
            || merged_md
                .as_ref()
                .is_some_and(Metadata::has_confluent_version))
    {
        merged_md = Some(
            merged_md
                .unwrap_or_default()
                .with_confluent_version(version.get() as i32),
        );
    }
    (merged_md.map(|m| m.to_value()), merged_rs)
}

/// Whether a schema can be used to look up a stored version (Confluent's `canLookup` and
/// `canLookupIgnoringVersion`): the same format, text and references, the same rule set, and
/// the same metadata, except that one side may lack `confluent:version` (when only the
/// submitted one has it, it must be the stored version's number).
pub(super) fn can_lookup(candidate: &NewSchema, version: Version, stored: &StoredSchema) -> bool {
    if candidate.schema_type != stored.schema_type
        || candidate.schema != stored.schema
        || candidate.references != stored.references
        || candidate.rule_set != stored.rule_set
    {
        return false;
    }
    let current = metadata_of(candidate.metadata.as_ref());
    let previous = metadata_of(stored.metadata.as_ref());
    let current_version = current
        .as_ref()
        .and_then(Metadata::confluent_version_number);
    let previous_version = previous
        .as_ref()
        .and_then(Metadata::confluent_version_number);
    match (current_version, previous_version) {
        (None, Some(_)) => {
            current.unwrap_or_default() == previous.unwrap_or_default().without_confluent_version()
        }
        (Some(v), None) => {
            i64::from(v) == i64::from(version.get())
                && current.unwrap_or_default().without_confluent_version()
                    == previous.unwrap_or_default()
        }
        _ => current == previous,
    }
}

/// With `validateFields`, Confluent's `validateReservedFields`: a reserved field of the
/// latest version that the new schema's metadata no longer reserves, and a reserved field
/// that is a top-level field of the new schema, each an incompatibility message
/// ([`warden_core::rules::changes::reserved_field_changes`], which `warden check` reports
/// too).
pub(super) fn reserved_field_errors(
    new: &NewSchema,
    parsed: &ParsedSchema,
    previous: Option<&StoredSchema>,
) -> Vec<String> {
    warden_core::rules::changes::reserved_field_changes(
        new.metadata.as_ref(),
        parsed,
        previous.map(|p| p.metadata.as_ref()),
    )
    .into_iter()
    .map(|v| v.message)
    .collect()
}

/// With `validateRules`, the rule-set changes from the latest version's rule set to the new
/// one that can make data fail ([`warden_core::rules::changes::rule_set_changes`], which
/// `warden check` reports too), each a message naming the rule; none when either rule set
/// does not read (registration refuses an invalid one with 42210 on its own).
pub(super) fn rule_set_errors(new: &NewSchema, previous: Option<&StoredSchema>) -> Vec<String> {
    use warden_core::rules::RuleSet;
    let old = RuleSet::from_json(previous.and_then(|p| p.rule_set.as_ref()));
    let new = RuleSet::from_json(new.rule_set.as_ref());
    let (Ok(old), Ok(new)) = (old, new) else {
        return Vec::new();
    };
    warden_core::rules::changes::rule_set_changes(&old, &new)
        .into_iter()
        .map(|v| v.message)
        .collect()
}

impl Registry {
    /// Fills a registration in as Confluent's `maybePopulateFromPrevious` does (outside
    /// IMPORT mode): without a schema it takes the latest live version's schema, format and
    /// references (42201 "Empty schema" when there is none); its metadata and rule set are
    /// merged ([`merged_contract`]), with `confluent:version` the next version's number.
    pub(super) async fn populate_from_previous(
        &self,
        subject: &Subject,
        config: &StoredConfig,
        mut submission: SchemaSubmission,
    ) -> Result<SchemaSubmission> {
        // From memory: like every read before the registering transaction, it may miss a
        // version written meanwhile, which that transaction finds under the subject's lock.
        let rows = self.subject_versions(subject).await?;
        let new_version = match rows.iter().map(|r| r.version).max() {
            Some(max) => max
                .next()
                .map_err(|e| Error::InvalidVersion(e.to_string()))?,
            None => Version::FIRST,
        };
        let previous = match rows.iter().rev().find(|r| !r.deleted) {
            Some(row) => Some(self.schema_by_id(row.schema_id).await?),
            None => None,
        };
        let previous = previous.as_ref().map(|p| &p.stored);
        if submission.schema.trim().is_empty() {
            let Some(prev) = previous else {
                return Err(Error::InvalidSchema("Empty schema".into()));
            };
            submission.schema = prev.schema.clone();
            submission.schema_type = prev.schema_type;
            submission.references = prev
                .references
                .iter()
                .map(reference_spec)
                .collect::<Result<_>>()?;
        }
        let named = submission.version.unwrap_or(0) != 0;
        let (metadata, rule_set) = merged_contract(
            config,
            submission.metadata.as_ref(),
            submission.rule_set.as_ref(),
            previous,
            Some((new_version, named)),
        );
        if metadata.is_some() || rule_set.is_some() {
            submission.metadata = metadata;
            submission.rule_set = rule_set;
        }
        Ok(submission)
    }

    /// The newest of `rows` (oldest first) that `candidate` can look up ([`can_lookup`]).
    pub(super) async fn can_lookup_among(
        &self,
        rows: &[VersionRow],
        candidate: &NewSchema,
    ) -> Result<Option<VersionRow>> {
        let wanted = super::content::ContentKeys::of_new(candidate);
        // Only a schema of the same content can match (its key is equal).
        for (row, known) in self.contents.to_fetch(rows, |known| known.key == wanted) {
            // A schema hard-deleted meanwhile is no match.
            let stored = match self.schema_by_id(row.schema_id).await {
                Err(Error::SchemaNotFound(_)) => continue,
                stored => stored?,
            };
            let key = match known {
                Some(known) => known.key,
                None => {
                    let content = super::content::ContentKeys::of_stored(&stored.stored);
                    self.contents.keep(row.schema_id, content);
                    content.key
                }
            };
            if key == wanted && can_lookup(candidate, row.version, &stored.stored) {
                return Ok(Some(*row));
            }
        }
        Ok(None)
    }

    /// Keeps the earlier versions a new schema is checked against to those in its
    /// compatibility group: with a `compatibilityGroup` configured, the versions whose value
    /// of that metadata property equals the new schema's (both may lack it), as Confluent's
    /// `isCompatibleWithPrevious` filters.
    pub(super) fn in_compatibility_group<T>(
        config: &StoredConfig,
        candidate: &NewSchema,
        earlier: Vec<T>,
        stored: impl Fn(&T) -> &StoredSchema,
    ) -> Vec<T> {
        let Some(group) = config.extra.compatibility_group.as_deref() else {
            return earlier;
        };
        let value =
            |m: Option<&Value>| metadata_of(m).and_then(|m| m.properties().get(group).cloned());
        let own = value(candidate.metadata.as_ref());
        earlier
            .into_iter()
            .filter(|e| value(stored(e).metadata.as_ref()) == own)
            .collect()
    }

    /// The latest version of `subject` whose metadata properties hold every pair of
    /// `properties` (with `deleted`, soft-deleted versions too), as Confluent's
    /// `getLatestWithMetadata`.
    ///
    /// Errors: 40401 when the subject has no (live) version; 40403 when none matches.
    pub async fn latest_with_metadata(
        &self,
        subject: &Subject,
        properties: &BTreeMap<String, String>,
        deleted: bool,
    ) -> Result<(VersionRow, Arc<CachedSchema>)> {
        let rows = self.subject_versions(subject).await?;
        let rows: Vec<VersionRow> = rows
            .iter()
            .filter(|r| deleted || !r.deleted)
            .copied()
            .collect();
        if rows.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        for row in rows.iter().rev() {
            let schema = self.schema_by_id(row.schema_id).await?;
            if let Some(metadata) = metadata_of(schema.stored.metadata.as_ref())
                && properties
                    .iter()
                    .all(|(k, v)| metadata.properties().get(k) == Some(v))
            {
                return Ok((*row, schema));
            }
        }
        Err(Error::SchemaNotFound("Schema not found".into()))
    }

    /// The subject an alias names: the `alias` of `subject`'s own config (not the global
    /// one), qualified with `subject`'s context when it has none, as Confluent's
    /// `AliasFilter` resolves the subject of every `/subjects/{subject}/…` URL; `None` when
    /// `subject` is no alias.
    pub async fn alias_target(&self, subject: &Subject) -> Result<Option<Subject>> {
        let Some(alias) = self.own_alias(subject).await? else {
            return Ok(None);
        };
        Ok(Subject::parse(&alias)
            .ok()
            .map(|target| subject.qualify_reference(&target)))
    }

    /// The subjects aliases name, each with its aliases (those `keep` accepts), as
    /// Confluent's `getAliases` maps them: an alias in a context names a subject of that
    /// context unless it is qualified.
    pub(super) async fn aliases_matching(
        &self,
        keep: impl Fn(&Subject) -> bool,
    ) -> Result<BTreeMap<Subject, Vec<Subject>>> {
        let mut map: BTreeMap<Subject, Vec<Subject>> = BTreeMap::new();
        for (alias, target) in self.store.aliases().await? {
            if !keep(&alias) {
                continue;
            }
            if let Ok(target) = Subject::parse(&target) {
                map.entry(alias.qualify_reference(&target))
                    .or_default()
                    .push(alias);
            }
        }
        Ok(map)
    }

    /// The answer to `registered` under `subject`, as [`Registry::registration_response`];
    /// a version just written is answered from what was written, without a read.
    ///
    /// Errors: the store's, reading a schema that was there already.
    pub async fn registered_response(
        &self,
        subject: &Subject,
        registered: &super::Registered,
    ) -> Result<RegisterSchemaResponse> {
        let Some((version, new)) = registered.written() else {
            return self.registration_response(subject, registered.id).await;
        };
        Ok(RegisterSchemaResponse {
            id: registered.id,
            version: Some(version),
            guid: Some(new.guid().to_string()),
            schema_type: new.schema_type,
            references: new.references.clone(),
            metadata: new.metadata.clone(),
            rule_set: new.rule_set.clone(),
            schema: Some(new.schema.clone()),
        })
    }

    /// The answer to a registration of schema `id` under `subject`: Confluent's
    /// `RegisterSchemaResponse` of the newest live version of the subject with that schema.
    pub async fn registration_response(
        &self,
        subject: &Subject,
        id: SchemaId,
    ) -> Result<RegisterSchemaResponse> {
        let row = self.registration_row(subject, id).await?;
        Ok(Self::registration_answer(
            id,
            row.map(|r| r.version),
            &*self.schema_by_id(id).await?,
        ))
    }

    /// The JSON body of [`Registry::registered_response`]. A registration of a schema the
    /// subject already has is answered with bytes rendered once per version row and kept
    /// with the rendered version bodies.
    ///
    /// Errors: the store's, reading a schema that was there already.
    pub async fn registered_body(
        &self,
        subject: &Subject,
        registered: &super::Registered,
    ) -> Result<bytes::Bytes> {
        if registered.written().is_some() {
            return Ok(super::json_bytes(
                &self.registered_response(subject, registered).await?,
            ));
        }
        let id = registered.id;
        let Some(row) = self.registration_row(subject, id).await? else {
            let schema = self.schema_by_id(id).await?;
            return Ok(super::json_bytes(&Self::registration_answer(
                id, None, &schema,
            )));
        };
        let key = (subject.clone(), row, super::Body::Registration);
        if let Some(body) = self.version_bodies.get(&key) {
            return Ok(body);
        }
        let schema = self.schema_by_id(id).await?;
        Ok(self.keep_body(key, || {
            super::json_bytes(&Self::registration_answer(id, Some(row.version), &schema))
        }))
    }

    /// The newest live version of `subject` with schema `id`, if any.
    async fn registration_row(
        &self,
        subject: &Subject,
        id: SchemaId,
    ) -> Result<Option<VersionRow>> {
        Ok(self
            .subject_versions(subject)
            .await?
            .iter()
            .rev()
            .find(|r| r.schema_id == id && !r.deleted)
            .copied())
    }

    /// Confluent's `RegisterSchemaResponse` of `schema` (id `id`) at `version`.
    fn registration_answer(
        id: SchemaId,
        version: Option<Version>,
        schema: &CachedSchema,
    ) -> RegisterSchemaResponse {
        let stored = &schema.stored;
        RegisterSchemaResponse {
            id,
            version,
            guid: Some(stored.guid.to_string()),
            schema_type: stored.schema_type,
            references: stored.references.clone(),
            metadata: stored.metadata.clone(),
            rule_set: stored.rule_set.clone(),
            schema: Some(stored.schema.clone()),
        }
    }

    /// A lookup's second try, as Confluent's `lookUpSchemaUnderSubject` makes it: the
    /// submission with the latest live version's metadata and rule set (when it has none of
    /// its own) and the config's defaults and overrides; `None` when that changes nothing.
    pub(super) async fn with_previous_contract(
        &self,
        subject: &Subject,
        config: &StoredConfig,
        submission: &SchemaSubmission,
    ) -> Result<Option<SchemaSubmission>> {
        let Some(row) = self.live_rows(subject).await?.pop() else {
            return Ok(None);
        };
        let previous = self.schema_by_id(row.schema_id).await?;
        let (metadata, rule_set) = merged_contract(
            config,
            submission.metadata.as_ref(),
            submission.rule_set.as_ref(),
            Some(&previous.stored),
            None,
        );
        if metadata.is_none() && rule_set.is_none() {
            return Ok(None);
        }
        if metadata == submission.metadata && rule_set == submission.rule_set {
            return Ok(None);
        }
        Ok(Some(SchemaSubmission {
            metadata,
            rule_set,
            ..submission.clone()
        }))
    }
}

/// A stored reference as a submitted one.
pub(super) fn reference_spec(r: &SchemaReference) -> Result<ReferenceSpec> {
    let invalid = |e: warden_core::types::ParseError| {
        Error::InvalidSchema(format!("Invalid reference {}: {e}", r.name))
    };
    Ok(ReferenceSpec {
        name: r.name.clone(),
        subject: Subject::parse(&r.subject).map_err(invalid)?,
        version: VersionSelector::from_number(i64::from(r.version)).map_err(invalid)?,
    })
}
