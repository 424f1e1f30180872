//! `warden check --against URL`: each local schema against the registry's live versions,
//! under the subject's configured level, through the compatibility endpoint
//! (`POST /compatibility/subjects/{subject}/versions?verbose=true`), so any
//! Confluent-compatible registry gives its own verdict.

use warden_client::{ClientError, RegistryClient, UnregisteredSchema};
use warden_core::api::SchemaReference;
use warden_core::rules::{RuleSet, changes};
use warden_core::violation::Message;
use warden_core::{ErrorCode, Version};

use super::{Finding, Outcome, Report, SubjectReport, level_name, locate, parse};
use crate::project::{Entry, Project};
use crate::registry::{is_not_found, subject};
use crate::resolve::Resolved;
use crate::source::Source;

/// Checks every entry against the registry at `url`.
///
/// Errors: the registry does not answer (every other problem is a subject's outcome).
pub(super) async fn check(
    project: &Project,
    current: &Source,
    entries: &[Entry],
    client: &RegistryClient,
    url: &str,
) -> anyhow::Result<Report> {
    let mut subjects = Vec::new();
    for entry in entries {
        let (level, outcome) = check_one(project, current, entries, client, entry).await?;
        subjects.push(SubjectReport {
            subject: entry.subject.clone(),
            file: entry.path.clone(),
            schema_type: entry.schema_type,
            level,
            outcome,
        });
    }
    Ok(Report {
        against: url.to_owned(),
        subjects,
    })
}

/// Errors that are the registry's answer about this subject become outcomes; an
/// unreachable registry is an error.
fn fatal(e: ClientError) -> anyhow::Error {
    anyhow::Error::new(e)
}

async fn check_one(
    project: &Project,
    current: &Source,
    entries: &[Entry],
    client: &RegistryClient,
    entry: &Entry,
) -> anyhow::Result<(String, Outcome)> {
    let invalid = |message: String, line: Option<u32>| Outcome::Invalid { message, line };
    let resolved = match project.resolve(current, entries, entry) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Ok((
                entry.level.as_str().to_owned(),
                invalid("the file is gone".into(), None),
            ));
        }
        Err(e) => {
            return Ok((
                entry.level.as_str().to_owned(),
                invalid(format!("{e:#}"), None),
            ));
        }
    };
    let parsed = match parse(&resolved) {
        Ok(parsed) => parsed,
        Err((message, line)) => {
            return Ok((entry.level.as_str().to_owned(), invalid(message, line)));
        }
    };
    let subject = subject(&entry.subject)?;
    let level = match client.config(Some(&subject)).await {
        Ok(c) => level_name(&c.compatibility_level),
        Err(ClientError::Registry { .. }) => entry.level.as_str().to_owned(),
        Err(e) => return Err(fatal(e)),
    };
    let schema = match registered_request(client, &resolved).await? {
        Ok(s) => s,
        Err(message) => return Ok((level, invalid(message, None))),
    };
    match client.versions(&subject, false).await {
        Ok(v) if v.is_empty() => return Ok((level, Outcome::New { note: None })),
        Ok(_) => {}
        Err(e) if is_not_found(&e) => return Ok((level, Outcome::New { note: None })),
        Err(e) => return Err(fatal(e)),
    }
    let answer = match client.check_compatibility(&subject, &schema, true).await {
        Ok(a) => a,
        Err(e) if e.code() == Some(ErrorCode::InvalidSchema) => {
            return Ok((
                level,
                invalid(format!("the registry refuses the schema: {e}"), None),
            ));
        }
        Err(e) if is_not_found(&e) => return Ok((level, Outcome::New { note: None })),
        Err(e) => return Err(fatal(e)),
    };
    // The data contract against the latest version's, as the offline check compares it
    // (a registry with `validateRules` may have reported the same changes).
    let contract = match contract_findings(client, &subject, current, entry, &parsed).await? {
        Ok(found) => found,
        Err(message) => return Ok((level, invalid(message, None))),
    };
    if answer.is_compatible && contract.is_empty() {
        return Ok((level, Outcome::Compatible));
    }
    let text = &resolved.root().text;
    let messages = answer.messages.unwrap_or_default();
    let mut findings: Vec<Finding> = Vec::new();
    let mut pending = 0;
    for m in &messages {
        let message = Message::parse(m);
        let path = message.path().unwrap_or_default().to_owned();
        match message {
            Message::Difference {
                rule, description, ..
            } => {
                findings.push(Finding {
                    line: locate(entry.schema_type, text, &path),
                    rule,
                    path,
                    message: description,
                    old_version: None,
                });
            }
            Message::OldSchemaVersion(v) => {
                for f in &mut findings[pending..] {
                    f.old_version = Some(format!("version {v}"));
                }
                pending = findings.len();
            }
            Message::OldSchema(_) | Message::Summary { .. } | Message::Other(_) => {}
        }
    }
    for f in contract {
        if !findings
            .iter()
            .any(|g| g.rule == f.rule && g.path == f.path)
        {
            findings.push(f);
        }
    }
    if findings.is_empty() {
        // A registry whose messages have another shape: keep them whole.
        findings.push(Finding {
            rule: "INCOMPATIBLE".to_owned(),
            path: String::new(),
            message: if messages.is_empty() {
                "the registry says the schema is incompatible".to_owned()
            } else {
                messages.join("; ")
            },
            line: 1,
            old_version: None,
        });
    }
    Ok((level, Outcome::Incompatible(findings)))
}

/// The changes of the subject's data contract file from the latest registered version's
/// metadata and rule set (`warden_core::rules::changes`); none without a contract file.
/// `Ok(Err(reason))` when the file does not read.
///
/// Errors: the registry does not answer.
async fn contract_findings(
    client: &RegistryClient,
    subject: &warden_core::Subject,
    current: &Source,
    entry: &Entry,
    schema: &warden_core::ParsedSchema,
) -> anyhow::Result<Result<Vec<Finding>, String>> {
    if entry.contract.is_none() {
        return Ok(Ok(Vec::new()));
    }
    let super::Contract {
        metadata, rules, ..
    } = match super::read_contract(current, entry) {
        Ok(found) => found,
        Err(message) => return Ok(Err(message)),
    };
    let latest = match client.latest(subject).await {
        Ok(latest) => latest,
        Err(e) if is_not_found(&e) => return Ok(Ok(Vec::new())),
        Err(e) => return Err(fatal(e)),
    };
    // A stored rule set always reads (the registry validated it).
    let old_rules = RuleSet::from_json(latest.rule_set.as_ref()).unwrap_or_default();
    let mut violations = changes::rule_set_changes(&old_rules, &rules);
    violations.extend(changes::reserved_field_changes(
        metadata.as_ref(),
        schema,
        Some(latest.metadata.as_ref()),
    ));
    let version = format!("version {}", latest.version);
    Ok(Ok(violations
        .into_iter()
        .map(|v| Finding {
            rule: v.rule.to_owned(),
            message: match Message::parse(&v.message) {
                Message::Difference { description, .. } => description,
                _ => v.message.clone(),
            },
            path: v.path,
            line: 1,
            old_version: Some(version.clone()),
        })
        .collect()))
}

/// The request for the resolved schema: its references point at the versions of the
/// referenced files registered with the same text. `Ok(Err(reason))` when one is not
/// registered.
pub(crate) async fn registered_request(
    client: &RegistryClient,
    resolved: &Resolved,
) -> anyhow::Result<Result<UnregisteredSchema, String>> {
    let mut versions: Vec<Version> = Vec::with_capacity(resolved.nodes.len());
    let last = resolved.nodes.len() - 1;
    for (i, node) in resolved.nodes.iter().enumerate() {
        let references = node
            .references
            .iter()
            .map(|(name, dep)| SchemaReference {
                name: name.clone(),
                subject: resolved.nodes[*dep].subject.clone(),
                version: i32::try_from(versions[*dep].get()).unwrap_or(i32::MAX),
            })
            .collect();
        let request = UnregisteredSchema::new(node.schema_type, node.text.clone())
            .with_references(references);
        if i == last {
            return Ok(Ok(request));
        }
        match client.lookup(&subject(&node.subject)?, &request).await {
            Ok(found) => versions.push(found.version),
            Err(e) if is_not_found(&e) => {
                return Ok(Err(format!(
                    "{} (referenced by {}) is not registered under the subject {:?} with this \
                     text; run `warden register` first",
                    node.path,
                    resolved.root().path,
                    node.subject
                )));
            }
            Err(e) => return Err(fatal(e)),
        }
    }
    unreachable!("the root is the last node")
}
