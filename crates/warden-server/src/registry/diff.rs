//! The structured diff (Warden's extension `/warden/v1/…diff`): two versions of a subject, or
//! two submitted schemas, compared by [`warden_core::diff`] with the subject's compatibility
//! policy, on the same parsed schemas `/compatibility` checks.

use std::sync::Arc;

use warden_core::diff::SchemaDiff;
use warden_core::{
    CompatibilityLevel, CompatibilityPolicy, ParsedSchema, Subject, VersionSelector,
};

/// Whether the caller may read a subject (its qualified name): `Err` with the 40301
/// message when not. Given only with authorization on.
pub type ReadCheck<'a> = &'a (dyn Fn(&str) -> std::result::Result<(), String> + Send + Sync);

use super::Registry;
use super::register::text_bytes;
use super::submission::SchemaSubmission;
use crate::error::Result;

impl Registry {
    /// The diff from version `from` of `subject` to version `to` (soft-deleted versions
    /// included: they are still on the subject's timeline), JSON Schema changes judged under
    /// the subject's compatibility policy.
    ///
    /// Errors: 40401 subject not found; 40402 version not found.
    pub async fn diff_versions(
        &self,
        subject: &Subject,
        from: VersionSelector,
        to: VersionSelector,
    ) -> Result<SchemaDiff> {
        let old_row = self.find_version(subject, from, true).await?;
        let new_row = self.find_version(subject, to, true).await?;
        let old = self.stored_parsed(old_row.schema_id, subject).await?;
        let new = self.stored_parsed(new_row.schema_id, subject).await?;
        let policy = self
            .effective_config(subject)
            .await?
            .compatibility_policy
            .unwrap_or_default();
        self.run_diff(old, new, policy).await
    }

    /// The diff from `old` to `new`, two submitted schemas whose references resolve in
    /// `subject`'s context (the default context without one), under `policy`.
    ///
    /// `can_read` (authorization on) is asked about every subject a reference names,
    /// transitively as the references resolve, before that subject is read: a refusal is
    /// 40301 with its message, so a diff neither shows a schema nor tells whether a subject
    /// exists to a caller who may not read it.
    ///
    /// Errors: 40301 a referenced subject not readable; 42201 invalid schema or a reference
    /// that does not resolve (as Confluent answers an unresolvable reference); 50002 the
    /// diff did not end by the request's deadline.
    pub async fn diff_submissions(
        &self,
        subject: Option<&Subject>,
        old: SchemaSubmission,
        new: SchemaSubmission,
        policy: CompatibilityPolicy,
        can_read: Option<ReadCheck<'_>>,
    ) -> Result<SchemaDiff> {
        let old = match subject {
            Some(s) => old.under(s),
            None => old,
        };
        let new = match subject {
            Some(s) => new.under(s),
            None => new,
        };
        if let Some(can_read) = can_read {
            self.check_reference_reads(&old, can_read).await?;
            self.check_reference_reads(&new, can_read).await?;
        }
        let old = self.parse_submission(subject, old).await?;
        let new = self.parse_submission(subject, new).await?;
        self.run_diff(old, new, policy).await
    }

    /// Asks `can_read` about each subject `submission`'s references name, transitively
    /// (the subjects the referenced versions reference in turn), before reading it. A
    /// reference that does not resolve ends its branch: parsing answers it (42201).
    ///
    /// Errors: 40301 with `can_read`'s message; 50001 a store failure.
    async fn check_reference_reads(
        &self,
        submission: &SchemaSubmission,
        can_read: ReadCheck<'_>,
    ) -> Result<()> {
        let mut stack: Vec<(Subject, VersionSelector)> = submission
            .references
            .iter()
            .map(|r| (r.subject.in_context(&submission.context), r.version))
            .collect();
        let mut seen = std::collections::HashSet::new();
        while let Some((subject, version)) = stack.pop() {
            can_read(subject.as_str()).map_err(crate::error::Error::Forbidden)?;
            if seen.len() > 10_000 || !seen.insert((subject.as_str().to_owned(), version)) {
                continue;
            }
            let row = match self.find_version(&subject, version, true).await {
                Ok(row) => row,
                Err(e @ crate::error::Error::Store(_)) => return Err(e),
                Err(_) => continue,
            };
            let stored = match self.schema_by_id(row.schema_id).await {
                Ok(stored) => stored,
                Err(e @ crate::error::Error::Store(_)) => return Err(e),
                Err(_) => continue,
            };
            for child in &stored.stored.references {
                let (Ok(s), Ok(v)) = (
                    Subject::parse(&child.subject),
                    warden_core::Version::new(i64::from(child.version)),
                ) else {
                    continue;
                };
                stack.push((s.in_context(&subject.context()), VersionSelector::Exact(v)));
            }
        }
        Ok(())
    }

    /// The diff from the latest live version of `subject` to a submitted schema (the UI's
    /// "check a new version"), with the subject's level; `None` for the diff when the subject
    /// has no live version.
    ///
    /// Errors: 42201 invalid schema, or a reference that does not resolve; 50002 the diff
    /// did not end by the request's deadline.
    pub async fn diff_against_latest(
        &self,
        subject: &Subject,
        new: SchemaSubmission,
    ) -> Result<(CompatibilityLevel, Option<SchemaDiff>)> {
        let config = self.effective_config(subject).await?;
        let level = config.compatibility.unwrap_or_default();
        let policy = config.compatibility_policy.unwrap_or_default();
        let new = self.parse_submission(Some(subject), new).await?;
        let Some(latest) = self.live_rows(subject).await?.pop() else {
            return Ok((level, None));
        };
        let old = self.stored_parsed(latest.schema_id, subject).await?;
        Ok((level, Some(self.run_diff(old, new, policy).await?)))
    }

    /// A submitted schema parsed, with the bytes of its text and of the schemas its
    /// references resolve to.
    async fn parse_submission(
        &self,
        subject: Option<&Subject>,
        submission: SchemaSubmission,
    ) -> Result<(Arc<ParsedSchema>, usize)> {
        let submission = match subject {
            Some(s) => submission.under(s),
            None => submission,
        };
        let deadline = self.work.deadline();
        let candidate = self.candidate(&submission, false, deadline).await?;
        let parsed = self.candidate_parsed(&candidate, deadline).await?;
        let resolved = self
            .resolve_references(&candidate.new.references, &candidate.context)
            .await?;
        Ok((parsed, text_bytes(&candidate.new.schema, &resolved)))
    }

    /// A stored schema parsed (cached by id), with the bytes of its text and of the
    /// schemas its references resolve to in `subject`'s context.
    async fn stored_parsed(
        &self,
        id: warden_core::SchemaId,
        subject: &Subject,
    ) -> Result<(Arc<ParsedSchema>, usize)> {
        let parsed = self.parsed_by_id(id).await?;
        let stored = self.schema_by_id(id).await?;
        let resolved = self
            .resolve_references(&stored.stored.references, &subject.context())
            .await?;
        Ok((parsed, text_bytes(&stored.stored.schema, &resolved)))
    }

    /// Runs the diff on the work pool, sized (`run_sized`) as a check is by the two texts
    /// and the schemas they reference, and stopped at the request's deadline with the 50002
    /// `/compatibility` answers.
    async fn run_diff(
        &self,
        (old, old_bytes): (Arc<ParsedSchema>, usize),
        (new, new_bytes): (Arc<ParsedSchema>, usize),
        policy: CompatibilityPolicy,
    ) -> Result<SchemaDiff> {
        let bytes = old_bytes + new_bytes;
        self.work
            .run_sized(
                new.schema_type(),
                bytes,
                self.work.deadline(),
                move |interrupt| {
                    Ok(warden_core::diff::diff_until(
                        &old, &new, policy, interrupt,
                    )?)
                },
            )
            .await
    }
}

/// One subject as the UI's list shows it.
#[derive(Debug, Clone)]
pub struct SubjectSummary {
    /// The subject.
    pub subject: Subject,
    /// The format of its latest version (live, else soft-deleted).
    pub schema_type: Option<warden_core::SchemaType>,
    /// Its latest version.
    pub latest: Option<warden_core::Version>,
    /// Whether every version is soft-deleted.
    pub deleted: bool,
}

impl Registry {
    /// Every subject with its format, latest version and deleted state, from one listing
    /// of every version (`SchemaStore::all_versions`) and the schemas by id (cached).
    pub async fn subject_summaries(&self) -> Result<Vec<SubjectSummary>> {
        let mut rows = self
            .store
            .all_versions(warden_storage::DeletedFilter::All)
            .await?;
        rows.sort_by(|(a, x), (b, y)| {
            super::contexts::context_order(a, b).then(x.version.cmp(&y.version))
        });
        let mut out: Vec<SubjectSummary> = Vec::new();
        // Per subject: the newest live row, else the newest row.
        let mut chosen: Vec<warden_storage::VersionRow> = Vec::new();
        for (subject, row) in rows {
            match out.last_mut() {
                Some(last) if last.subject == subject => {
                    let pick = chosen.last_mut().expect("one row per summary");
                    if !row.deleted || pick.deleted {
                        *pick = row;
                    }
                    last.deleted &= row.deleted;
                }
                _ => {
                    out.push(SubjectSummary {
                        subject,
                        schema_type: None,
                        latest: None,
                        deleted: row.deleted,
                    });
                    chosen.push(row);
                }
            }
        }
        for (summary, row) in out.iter_mut().zip(chosen) {
            summary.latest = Some(row.version);
            summary.schema_type = Some(self.schema_by_id(row.schema_id).await?.stored.schema_type);
        }
        Ok(out)
    }

    /// A subject's version rows, soft-deleted ones included, oldest first.
    pub async fn version_rows(&self, subject: &Subject) -> Result<Vec<warden_storage::VersionRow>> {
        Ok(self.subject_versions(subject).await?.to_vec())
    }

    /// A subject's effective compatibility level (its own, else the one above it).
    pub async fn effective_level(&self, subject: &Subject) -> Result<CompatibilityLevel> {
        Ok(self
            .effective_config(subject)
            .await?
            .compatibility
            .unwrap_or_default())
    }
}
