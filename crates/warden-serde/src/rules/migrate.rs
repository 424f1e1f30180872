//! Migration rules: when a consumer reads with another version of the subject than the
//! writer's (`use.latest.version`, `use.latest.with.metadata`), the record is carried from
//! the writer's version to the reader's one step at a time (Confluent's
//! `AbstractKafkaSchemaSerDe.getMigrations` / `executeMigrations`):
//!
//! - writer older than reader: `UPGRADE`, each newer version's `migrationRules` in order;
//! - writer newer than reader: `DOWNGRADE`, each newer version's `migrationRules` in reverse,
//!   from the writer's version down;
//! - only versions with a migration rule for that direction are steps.
//!
//! `JSONATA` rules run their expression on the record as JSON (with `jsonata-rs`; its
//! `$sift` is missing, so Confluent examples using it fail by `onFailure`); other types fail
//! by their `onFailure` action, as a client without the executor does.

use serde_json::Value;
use warden_client::RegistryClient;
use warden_core::api::SubjectVersionResponse;
use warden_core::rules::{Rule, RuleAction, RuleMode, RuleSet};
use warden_core::{SchemaId, Subject, Version};

use crate::error::{Result, RuleFailure, SerdeError};

/// The migration steps that carry a record from its writer's version of a subject to a
/// reader's version: the rule sets of the versions in between that have a migration rule
/// for the direction (see the module's documentation). Found once per (subject, writer,
/// reader) and kept by the deserializers.
#[derive(Debug)]
pub(crate) struct Migrations {
    subject: Subject,
    mode: RuleMode,
    steps: Vec<RuleSet>,
}

impl Migrations {
    /// Whether there is no step: the record is read as it was written (for Avro, by schema
    /// resolution from the writer's schema to the reader's).
    pub(crate) fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs the steps on `message` in order.
    ///
    /// Errors: [`SerdeError::Rule`] when a migration rule fails with `onFailure: ERROR` (or
    /// `DLQ`).
    pub(crate) fn run(&self, message: &mut Value) -> Result<()> {
        let mode = self.mode;
        for rules in &self.steps {
            let mut order: Vec<&Rule> = rules.migration_rules.iter().collect();
            if mode == RuleMode::Downgrade {
                order.reverse();
            }
            for rule in order {
                if rule.disabled || !rule.mode.applies_to(mode) {
                    continue;
                }
                let outcome = if rule.rule_type.eq_ignore_ascii_case("JSONATA") {
                    jsonata(rule.expr.as_deref().unwrap_or(""), message)
                } else {
                    Err(format!(
                        "could not find rule executor of type {}",
                        rule.rule_type.to_ascii_uppercase()
                    ))
                };
                let (action, failure) = match outcome {
                    Ok(migrated) => {
                        *message = migrated;
                        (rule.on_success(mode), None)
                    }
                    Err(e) => (rule.on_failure(mode), Some(e)),
                };
                let dead_letter = match action {
                    RuleAction::None => continue,
                    RuleAction::Error | RuleAction::Other(_) => false,
                    RuleAction::Dlq => true,
                };
                return Err(SerdeError::Rule(Box::new(RuleFailure {
                    rule: rule.name.clone(),
                    rule_type: rule.rule_type.clone(),
                    mode,
                    subject: Some(self.subject.as_str().to_owned()),
                    field: None,
                    message: failure.unwrap_or_else(|| format!("Rule failed: {}", rule.name)),
                    dead_letter,
                    dlq_topic: rule.params.get("dlq.topic").cloned(),
                    record: Some(message.clone()),
                })));
            }
        }
        Ok(())
    }
}

/// The steps from schema `writer_id` (a version of `subject`) to `reader` (another version
/// of it); none when they are the same version.
///
/// Errors: [`SerdeError::Registry`] when the subject's versions cannot be read;
/// [`SerdeError::Config`] when the writer schema is not a version of the subject or a rule
/// set does not parse.
pub(crate) async fn migrations(
    client: &RegistryClient,
    subject: &Subject,
    writer_id: SchemaId,
    reader: &SubjectVersionResponse,
) -> Result<Migrations> {
    let none = |mode| Migrations {
        subject: subject.clone(),
        mode,
        steps: Vec::new(),
    };
    if reader.id == writer_id {
        return Ok(none(RuleMode::Upgrade));
    }
    let writer = writer_version(client, subject, writer_id).await?;
    let (mode, first, last) = if writer < reader.version {
        (RuleMode::Upgrade, writer, reader.version)
    } else if writer > reader.version {
        (RuleMode::Downgrade, reader.version, writer)
    } else {
        return Ok(none(RuleMode::Upgrade));
    };
    // The versions from `first` to `last`, each with its rule set.
    let mut versions: Vec<SubjectVersionResponse> = Vec::new();
    for n in first.get()..=last.get() {
        let Ok(version) = Version::new(i64::from(n)) else {
            continue;
        };
        match client.version_including_deleted(subject, version).await {
            Ok(v) => versions.push(v),
            // A hard-deleted version in between is skipped.
            Err(e) if e.code() == Some(warden_core::ErrorCode::VersionNotFound) => {}
            Err(e) => return Err(SerdeError::Registry(e)),
        }
    }
    // Each version after the first whose migration rules cover the direction is a step:
    // upgrading into it, or downgrading out of it.
    let mut steps: Vec<RuleSet> = Vec::new();
    for version in versions.iter().skip(1) {
        let rules = RuleSet::from_json(version.rule_set.as_ref())
            .map_err(|e| SerdeError::Config(format!("the rule set of {}: {e}", version.version)))?;
        if rules
            .migration_rules
            .iter()
            .any(|r| !r.disabled && r.mode.applies_to(mode))
        {
            steps.push(rules);
        }
    }
    if mode == RuleMode::Downgrade {
        steps.reverse();
    }
    Ok(Migrations {
        subject: subject.clone(),
        mode,
        steps,
    })
}

/// The version of `subject` that holds schema `id` (soft-deleted versions included), from
/// the newest down.
async fn writer_version(
    client: &RegistryClient,
    subject: &Subject,
    id: SchemaId,
) -> Result<Version> {
    let versions = client.versions(subject, true).await?;
    for version in versions.into_iter().rev() {
        let found = client.version_including_deleted(subject, version).await?;
        if found.id == id {
            return Ok(version);
        }
    }
    Err(SerdeError::Config(format!(
        "schema {id} is not a version of subject {subject}: no migration path"
    )))
}

/// Runs a JSONata expression on `message`.
///
/// Errors: the expression does not parse or fails; its result is not JSON.
fn jsonata(expr: &str, message: &Value) -> std::result::Result<Value, String> {
    let arena = bumpalo::Bump::new();
    let program = jsonata_rs::JsonAta::new(expr, &arena).map_err(|e| e.to_string())?;
    let input = message.to_string();
    let result = program
        .evaluate(Some(&input), None)
        .map_err(|e| e.to_string())?;
    serde_json::from_str(&result.serialize(false)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonata_renames_a_field_as_confluents_examples_do() {
        let out = jsonata(
            "$merge([{'id': id, 'height': size}])",
            &json!({"id": "a", "size": 3}),
        )
        .unwrap();
        assert_eq!(out, json!({"id": "a", "height": 3}));
        assert!(jsonata("$merge([", &json!({})).is_err());
    }
}
