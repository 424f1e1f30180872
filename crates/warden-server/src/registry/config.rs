//! Compatibility configs and modes, per subject and global, and the values that apply.

use std::str::FromStr;

use warden_core::api::ConfigUpdateRequest;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, Mode, Subject};
use warden_storage::{Scope, StoredConfig};

use super::{Registry, scope};
use crate::error::{Error, Result};

impl Registry {
    pub(super) async fn effective_config(&self, subject: &Subject) -> Result<StoredConfig> {
        let own = self
            .store
            .config(Scope::Subject(subject))
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
        match self.store.config(Scope::Subject(s)).await? {
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
    /// `LENIENT`, JSON Schema only), and answers the scope's config after the change, as
    /// Confluent's `PUT /config` does. A body that names none of them (`{}`, or only
    /// fields Warden does not keep) changes nothing and answers the config as it is.
    ///
    /// Errors: 42203 for an unknown level or policy.
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
        if !config.is_empty() {
            self.store.set_config(scope(subject), config).await?;
        }
        match subject {
            None => self.global_config().await,
            Some(s) => Ok(self
                .store
                .config(Scope::Subject(s))
                .await?
                .unwrap_or_default()),
        }
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
                if self.store.versions(s).await?.is_empty() {
                    Err(Error::SubjectNotFound(s.to_string()))
                } else {
                    Err(Error::SubjectCompatibilityNotConfigured(s.to_string()))
                }
            }
        }
    }

    /// The mode that applies to `subject`: its own, else the global one, else READWRITE.
    pub async fn effective_mode(&self, subject: &Subject) -> Result<Mode> {
        if let Some(m) = self.store.mode(Scope::Subject(subject)).await? {
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
            Some(s) => match self.store.mode(Scope::Subject(s)).await? {
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
                Some(s) => !self.store.versions(s).await?.is_empty(),
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
