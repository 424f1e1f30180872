//! Schema tags: tags written into a schema's text before it is registered
//! (`schemaTagsToAdd`, `schemaTagsToRemove`, `propagateSchemaTags` of a registration), a new
//! version made of an old one with its tags edited (`POST /subjects/{s}/versions/{v}/tags`),
//! and the tagged entities a read answers with `findTags`. The text edits are
//! [`warden_core::tags`]; this module sequences them as Confluent's
//! `AbstractSchemaRegistry` does (`toSchemaWithTags`, `maybePropagateSchemaTags`,
//! `modifySchemaTags`, `extractSchemaTags`).

use serde_json::Value;
use warden_core::api::{SchemaTags, TagSchemaRequest};
use warden_core::tags::{self, TagMap};
use warden_core::{SchemaId, Subject, Version, VersionSelector};

use super::contract::{self, metadata_of};
use super::metadata::reference_spec;
use super::{CachedSchema, Registry, SchemaOptions, SchemaSubmission};
use crate::error::{Error, Result};

impl SchemaSubmission {
    /// Whether the submission asks for tags to be added, removed or propagated (Confluent
    /// then skips its lookup of the schema as sent, `registerOrForward`).
    pub(super) fn has_tag_requests(&self) -> bool {
        !self.tags_to_add.is_empty() || !self.tags_to_remove.is_empty() || self.propagate_tags
    }
}

fn tag_error(e: tags::TagError) -> Error {
    Error::InvalidSchema(e.0)
}

impl Registry {
    /// The canonical text of a submission's schema (its references resolved), as the tag
    /// edits start from it (`ParsedSchema.canonicalString()`).
    ///
    /// Errors: 42201 invalid schema or reference.
    async fn canonical_text(&self, submission: &SchemaSubmission) -> Result<String> {
        let plain = SchemaSubmission {
            tags_to_add: TagMap::default(),
            tags_to_remove: TagMap::default(),
            propagate_tags: false,
            ..submission.clone()
        };
        let deadline = self.work.deadline();
        let candidate = self.candidate(&plain, false, deadline).await?;
        Ok(candidate.new.schema.clone())
    }

    /// Confluent's `toSchemaWithTags`: the submission with `schemaTagsToAdd` and
    /// `schemaTagsToRemove` written into its schema, and a version of -1 (the latest, so that
    /// `confluent:version` is set) when it names none.
    ///
    /// Errors: 42201 invalid schema, or an entity the schema does not have.
    pub(super) async fn with_requested_tags(
        &self,
        mut submission: SchemaSubmission,
    ) -> Result<SchemaSubmission> {
        if submission.tags_to_add.is_empty() && submission.tags_to_remove.is_empty() {
            return Ok(submission);
        }
        let text = self.canonical_text(&submission).await?;
        submission.schema = tags::apply(
            submission.schema_type,
            &text,
            &submission.tags_to_add,
            &submission.tags_to_remove,
        )
        .map_err(tag_error)?;
        submission.tags_to_add = TagMap::default();
        submission.tags_to_remove = TagMap::default();
        submission.version = Some(submission.version.unwrap_or(-1));
        Ok(submission)
    }

    /// Confluent's `maybePropagateSchemaTags` (outside IMPORT mode): with
    /// `propagateSchemaTags`, the tagged entities of the subject's latest live version are
    /// added to the submitted schema.
    ///
    /// Errors: 42201 invalid schema, or an entity of the latest version the new schema does
    /// not have.
    pub(super) async fn with_propagated_tags(
        &self,
        subject: &Subject,
        mut submission: SchemaSubmission,
    ) -> Result<SchemaSubmission> {
        if !submission.propagate_tags {
            return Ok(submission);
        }
        submission.propagate_tags = false;
        let Some(latest) = self.live_rows(subject).await?.pop() else {
            return Ok(submission);
        };
        let previous = self.schema_by_id(latest.schema_id).await?;
        let entities = tags::tagged_entities(previous.stored.schema_type, &previous.stored.schema);
        if entities.is_empty() {
            return Ok(submission);
        }
        let text = self.canonical_text(&submission).await?;
        submission.schema =
            tags::apply(submission.schema_type, &text, &entities, &TagMap::default())
                .map_err(tag_error)?;
        Ok(submission)
    }

    /// The tagged entities of a schema carrying one of `find` (`*`: all), as reads with
    /// `findTags` answer them in `schemaTags` (Confluent's `extractSchemaTags`).
    pub fn schema_tags(schema: &CachedSchema, find: &[String]) -> Vec<SchemaTags> {
        if find.is_empty() {
            return Vec::new();
        }
        tags::tagged_entities(schema.stored.schema_type, &schema.stored.schema)
            .matching(find)
            .into_list()
    }

    /// Registers a new version of `subject` made of `version` with its tags edited
    /// (Confluent's `SubjectVersionsResource.modifyTags` and
    /// `AbstractSchemaRegistry.modifySchemaTags`): the version's schema with `tagsToAdd`
    /// added then `tagsToRemove` removed, under the metadata sent (else the version's own)
    /// with `confluent:version` set to `newVersion`, and the rule set sent, or the one of the
    /// version before `newVersion` (the latest without it) with `rulesToMerge` merged in and
    /// the rules named by `rulesToRemove` taken out. The new version is then registered as
    /// any other (its mode, compatibility and `newVersion` checks included); the answer is
    /// its id.
    ///
    /// Errors: 40401 unknown subject; 40402 unknown or soft-deleted version; 42210 a
    /// `ruleSet` sent with `rulesToMerge` or `rulesToRemove`, or an invalid rule set; 42201
    /// an entity the schema does not have, or a `newVersion` that is not the next one;
    /// otherwise as [`Registry::register`].
    pub async fn modify_schema_tags(
        &self,
        subject: &Subject,
        version: VersionSelector,
        request: TagSchemaRequest,
    ) -> Result<SchemaId> {
        let (_, schema) = self.version(subject, version, false).await?;
        let rules_to_merge = contract::canonical_rule_set(request.rules_to_merge.as_ref())?;
        let rule_set = contract::canonical_rule_set(request.rule_set.as_ref())?;
        if (rules_to_merge.is_some() || request.rules_to_remove.is_some()) && rule_set.is_some() {
            return Err(Error::InvalidRuleSet(
                "ruleSet should be omitted if specifying rulesToMerge or rulesToRemove".into(),
            ));
        }
        if let Some(merge) = &rules_to_merge {
            contract::validate_rule_set(merge)?;
        }
        if let Some(rule_set) = &rule_set {
            contract::validate_rule_set(rule_set)?;
        }
        let stored = &schema.stored;
        let new_version = request.new_version.unwrap_or(0);
        let metadata = match contract::canonical_metadata(request.metadata.as_ref())? {
            Some(sent) => metadata_of(Some(&sent)),
            None => metadata_of(stored.metadata.as_ref()),
        }
        .unwrap_or_default()
        .with_confluent_version(new_version);
        let rule_set = if rules_to_merge.is_none() && request.rules_to_remove.is_none() {
            rule_set
        } else {
            self.edited_rule_set(subject, &request, rules_to_merge)
                .await?
        };
        let text = tags::apply(
            stored.schema_type,
            &stored.schema,
            &TagMap::from_list(&request.tags_to_add),
            &TagMap::from_list(&request.tags_to_remove),
        )
        .map_err(tag_error)?;
        let submission = SchemaSubmission {
            schema: text,
            schema_type: stored.schema_type,
            references: stored
                .references
                .iter()
                .map(reference_spec)
                .collect::<Result<_>>()?,
            metadata: Some(metadata.to_value()),
            rule_set,
            id: None,
            version: Some(i64::from(new_version)),
            context: subject.context(),
            tags_to_add: TagMap::default(),
            tags_to_remove: TagMap::default(),
            propagate_tags: false,
            validate_fields: false,
        };
        self.register(subject, submission, SchemaOptions::default())
            .await
    }

    /// Confluent's `maybeModifyPreviousRuleSet`: the rule set of the version before
    /// `newVersion` (the latest live one without it), `rulesToMerge` merged in by name, and
    /// the rules `rulesToRemove` names taken out of every phase.
    async fn edited_rule_set(
        &self,
        subject: &Subject,
        request: &TagSchemaRequest,
        rules_to_merge: Option<Value>,
    ) -> Result<Option<Value>> {
        let previous = match request.new_version {
            None => Some(VersionSelector::Latest),
            Some(n) => Version::new(i64::from(n) - 1)
                .ok()
                .map(VersionSelector::Exact),
        };
        let old = match previous {
            Some(selector) => match self.version(subject, selector, false).await {
                Ok((_, old)) => old.stored.rule_set.clone(),
                Err(Error::SubjectNotFound(_) | Error::VersionNotFound(_)) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let mut rule_set = contract::merge_rule_sets(old, rules_to_merge);
        if let (Some(Value::Object(phases)), Some(names)) =
            (rule_set.as_mut(), request.rules_to_remove.as_ref())
        {
            for (_, rules) in phases.iter_mut() {
                if let Value::Array(list) = rules {
                    list.retain(|r| {
                        !r.get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| names.iter().any(|x| x == n))
                    });
                }
            }
            phases.retain(|_, v| !matches!(v, Value::Array(a) if a.is_empty()));
        }
        Ok(rule_set)
    }
}
