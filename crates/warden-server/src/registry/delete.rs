//! Soft and hard deletes of subjects and versions (Confluent: soft first, then
//! `permanent=true`; a referenced version is never deleted).

use warden_core::{Subject, Version, VersionSelector};
use warden_storage::Scope;

use super::Registry;
use crate::error::{Error, Result};

impl Registry {
    /// Soft-deletes every live version of a subject, or with `permanent` removes a
    /// soft-deleted subject. Returns the affected versions.
    ///
    /// Errors: 40401 unknown subject; 40404 already soft-deleted; 40405 permanent delete
    /// before a soft one; 42206 a version is still referenced; 42205 read-only mode.
    pub async fn delete_subject(&self, subject: &Subject, permanent: bool) -> Result<Vec<Version>> {
        self.require_writable(subject).await?;
        let _guard = self.write_lock.lock().await;
        let rows = self.store.versions(subject).await?;
        if rows.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let live: Vec<Version> = rows
            .iter()
            .filter(|r| !r.deleted)
            .map(|r| r.version)
            .collect();
        if permanent {
            if !live.is_empty() {
                return Err(Error::SubjectNotSoftDeleted(subject.to_string()));
            }
            self.refuse_if_associated(subject).await?;
            let all: Vec<Version> = rows.iter().map(|r| r.version).collect();
            let removed = self.store.hard_delete(subject, &all).await;
            self.versions_changed(subject);
            // Also after an error: the write may have been made.
            self.forget_usage(&rows.iter().map(|r| r.schema_id).collect::<Vec<_>>());
            let removed = removed.map_err(delete_error)?;
            self.evict(&removed);
            let config = self.store.delete_config(Scope::Subject(subject)).await;
            let mode = self.store.delete_mode(Scope::Subject(subject)).await;
            self.settings.clear();
            config?;
            mode?;
            Ok(all)
        } else {
            if live.is_empty() {
                return Err(Error::SubjectSoftDeleted(subject.to_string()));
            }
            self.refuse_if_associated(subject).await?;
            let written = self.store.soft_delete(subject, &live).await;
            self.versions_changed(subject);
            // Also after an error: the write may have been made.
            self.forget_usage(&rows.iter().map(|r| r.schema_id).collect::<Vec<_>>());
            written.map_err(delete_error)?;
            Ok(live)
        }
    }

    /// Soft-deletes one version, or with `permanent` removes a soft-deleted one. Returns the
    /// version.
    ///
    /// Errors: 40401, 40402; 40406 already soft-deleted; 40407 permanent before soft;
    /// 42206 still referenced; 42205 read-only mode.
    pub async fn delete_version(
        &self,
        subject: &Subject,
        version: VersionSelector,
        permanent: bool,
    ) -> Result<Version> {
        self.require_writable(subject).await?;
        let _guard = self.write_lock.lock().await;
        let rows = self.store.versions(subject).await?;
        if rows.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_string()));
        }
        let row = match version {
            VersionSelector::Latest => rows.iter().rev().find(|r| !r.deleted || permanent),
            VersionSelector::Exact(v) => rows.iter().find(|r| r.version == v),
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
            let removed = self.store.hard_delete(subject, &[v]).await;
            self.versions_changed(subject);
            // Also after an error: the write may have been made.
            self.forget_usage(&[row.schema_id]);
            let removed = removed.map_err(delete_error)?;
            self.evict(&removed);
        } else {
            if row.deleted {
                return Err(Error::VersionSoftDeleted {
                    subject: subject.to_string(),
                    version: v,
                });
            }
            if !rows.iter().any(|r| !r.deleted && r.version != v) {
                self.refuse_last_version_if_associated(subject).await?;
            }
            let written = self.store.soft_delete(subject, &[v]).await;
            self.versions_changed(subject);
            // Also after an error: the write may have been made.
            self.forget_usage(&[row.schema_id]);
            written.map_err(delete_error)?;
        }
        Ok(v)
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
}

/// A version still referenced is 42206 (Confluent `ReferenceExistsException`); other store
/// failures are 50001.
pub(super) fn delete_error(e: warden_storage::Error) -> Error {
    match e {
        warden_storage::Error::Referenced {
            subject,
            version,
            by,
        } => {
            let ids: Vec<String> = by.iter().map(ToString::to_string).collect();
            Error::ReferenceExists(format!(
                "One or more references exist to the schema {{subject={subject}, version={version}}}: \
                 referenced by schema ids [{}]",
                ids.join(", ")
            ))
        }
        other => Error::Store(other),
    }
}
