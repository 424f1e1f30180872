//! References between schemas: pinning the versions a submission names, and resolving the
//! transitive closure a schema needs to parse.

use std::collections::HashSet;

use warden_core::api::SchemaReference;
use warden_core::{Context, ResolvedReference, SchemaId, Subject, Version, VersionSelector};
use warden_storage::DeletedFilter;

use super::{ReferenceSpec, Registry};
use crate::error::{Error, Result};

impl Registry {
    /// Ids of the schemas that reference this subject version, ascending: those used by a
    /// live version, or with `deleted` also those only soft-deleted versions use.
    ///
    /// As in Confluent (`SubjectVersionsResource.getReferencedBy`), a version number finds
    /// a soft-deleted version too, whatever `deleted` says (so the referrers of a
    /// soft-deleted subject can be listed before its hard delete); `latest` is the newest
    /// live version.
    ///
    /// Errors: 40401 the subject has no versions at all; 40402 no such version.
    pub async fn referenced_by(
        &self,
        subject: &Subject,
        version: VersionSelector,
        deleted: bool,
    ) -> Result<Vec<SchemaId>> {
        let rows = self.subject_versions(subject).await?;
        if rows.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let row = match version {
            VersionSelector::Latest => rows.iter().rev().find(|r| !r.deleted),
            VersionSelector::Exact(v) => rows.iter().find(|r| r.version == v),
        }
        .ok_or_else(|| Error::VersionNotFound(version.to_string()))?;
        let filter = if deleted {
            DeletedFilter::All
        } else {
            DeletedFilter::Live
        };
        Ok(self
            .store
            .referenced_by(subject, row.version, filter)
            .await?)
    }

    /// The stored form of a submitted reference: `latest` (`-1`) replaced by the concrete
    /// live version.
    ///
    /// Errors: 42201 when the referenced subject version does not exist or is soft-deleted.
    pub(super) async fn pin_reference(
        &self,
        r: ReferenceSpec,
        context: &Context,
    ) -> Result<SchemaReference> {
        // Resolved in the referrer's context; kept as given.
        let row = self
            .find_version(&r.subject.in_context(context), r.version, false)
            .await
            .map_err(|e| match e {
                Error::Store(s) => Error::Store(s),
                other => Error::InvalidSchema(format!(
                    "Invalid schema: reference {} to subject {} version {} cannot be resolved: {other}",
                    r.name,
                    r.subject,
                    reference_version_text(r.version)
                )),
            })?;
        Ok(SchemaReference {
            name: r.name,
            subject: r.subject.to_string(),
            version: row.version.get() as i32,
        })
    }

    /// The transitive closure of `references` of a schema in `context`, dependencies first,
    /// each once. A reference names a subject of the referrer's context unless it is
    /// qualified (Confluent's `qualifySubjectWithParent`), and so on down.
    ///
    /// Errors: 42201 when a reference names a subject version that no longer exists, or the
    /// references nest more than 10,000 deep.
    pub(super) async fn resolve_references(
        &self,
        references: &[SchemaReference],
        context: &Context,
    ) -> Result<Vec<ResolvedReference>> {
        let mut out: Vec<ResolvedReference> = Vec::new();
        let mut seen = HashSet::new();
        let invalid = |e: warden_core::types::ParseError| Error::InvalidSchema(e.to_string());
        // Depth-first post-order over an explicit stack: (reference with its subject
        // qualified, children expanded).
        let mut stack: Vec<(SchemaReference, bool)> = Vec::with_capacity(references.len());
        for r in references.iter().rev() {
            let subject = Subject::parse(&r.subject)
                .map_err(invalid)?
                .in_context(context);
            stack.push((
                SchemaReference {
                    subject: subject.as_str().to_owned(),
                    ..r.clone()
                },
                false,
            ));
        }
        while let Some((r, expanded)) = stack.pop() {
            let key = (r.subject.clone(), r.version);
            let subject = Subject::parse(&r.subject).map_err(invalid)?;
            let version = Version::new(i64::from(r.version)).map_err(invalid)?;
            let row = self
                .find_version(&subject, VersionSelector::Exact(version), true)
                .await
                .map_err(|e| match e {
                    Error::Store(s) => Error::Store(s),
                    other => Error::InvalidSchema(format!("reference {}: {other}", r.name)),
                })?;
            // Through the cache of schemas by id: a reference resolved once is not read again.
            let stored = self
                .schema_by_id(row.schema_id)
                .await
                .map_err(|e| match e {
                    // Hard-deleted since its version was read.
                    Error::SchemaNotFound(_) => Error::InvalidSchema(format!(
                        "reference {}: schema {} of subject {} version {} was deleted",
                        r.name, row.schema_id, r.subject, r.version
                    )),
                    other => other,
                })?;
            if expanded {
                if seen.insert(key) {
                    out.push(ResolvedReference {
                        name: r.name,
                        schema_type: stored.stored.schema_type,
                        schema: stored.stored.schema.clone(),
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
            for child in stored.stored.references.iter().rev() {
                let child = SchemaReference {
                    subject: Subject::parse(&child.subject)
                        .map_err(invalid)?
                        .in_context(&subject.context())
                        .as_str()
                        .to_owned(),
                    ..child.clone()
                };
                if !seen.contains(&(child.subject.clone(), child.version)) {
                    stack.push((child, false));
                }
            }
        }
        Ok(out)
    }
}

/// A reference's version as the client wrote it (`-1` for latest), for messages.
fn reference_version_text(v: VersionSelector) -> String {
    match v {
        VersionSelector::Latest => "-1".to_owned(),
        VersionSelector::Exact(v) => v.to_string(),
    }
}
