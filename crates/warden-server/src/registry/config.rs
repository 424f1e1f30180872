//! Compatibility configs and modes, per subject and global, and the values that apply.

use std::str::FromStr;

use warden_core::api::ConfigUpdateRequest;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, Mode, Subject};
use warden_storage::{Scope, StoredConfig};

use super::{Registry, scope};
use crate::error::{Error, Result};

impl Registry {
    /// The config that applies to `subject`: its own over the global one (Confluent's
    /// `getConfigInScope` and `Config.mergeConfigs`), or the global one when it has none.
    pub(super) async fn effective_config(&self, subject: &Subject) -> Result<StoredConfig> {
        let own = self.store.config(Scope::Subject(subject)).await?;
        let global = self.store.config(Scope::Global).await?.unwrap_or_default();
        Ok(match own {
            Some(own) if !own.is_empty() => own.or(global),
            _ => global,
        })
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

    /// Updates a scope's config as Confluent's `ConfigValue.update` does: each field the
    /// body names is set (`compatibility`, any of the seven levels in any case;
    /// `compatibilityPolicy`, `STRICT` or `LENIENT`; `normalize`, `alias`, `aliasForDeks`,
    /// `validateFields`, `validateNewSchemas`, `validateRules`, `compatibilityGroup`, and the
    /// default and override metadata and rule sets, kept in Confluent's canonical form), a
    /// field given as `null` is cleared, and an absent one is kept. Answers the scope's
    /// stored config after the update, without defaults, as Confluent's `PUT /config`
    /// answers `new ConfigUpdateRequest(config)`.
    ///
    /// Errors: 42203 for an unknown level or policy; 42210 for an invalid default or
    /// override rule set (Confluent's `RuleSet.validate`); 400 for metadata or a rule set
    /// Jackson cannot map; 42205 when the scope is in READONLY or READONLY_OVERRIDE mode.
    pub async fn set_config(
        &self,
        subject: Option<&Subject>,
        update: &ConfigUpdateRequest,
    ) -> Result<StoredConfig> {
        use super::contract::{canonical_metadata, canonical_rule_set, validate_rule_set};
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
        let given = &update.extra;
        let default_rule_set = canonical_rule_set(given.default_rule_set.as_ref())?;
        let override_rule_set = canonical_rule_set(given.override_rule_set.as_ref())?;
        for rule_set in [&default_rule_set, &override_rule_set]
            .into_iter()
            .flatten()
        {
            validate_rule_set(rule_set)?;
        }
        let default_metadata = canonical_metadata(given.default_metadata.as_ref())?;
        self.refuse_config_write_if_read_only(subject).await?;
        let override_metadata = canonical_metadata(given.override_metadata.as_ref())?;
        let cleared = |key: &str| update.cleared.iter().any(|c| c == key);
        fn apply<T>(field: &mut Option<T>, value: Option<T>, cleared: bool) {
            if value.is_some() {
                *field = value;
            } else if cleared {
                *field = None;
            }
        }
        let names_a_field = compatibility.is_some()
            || compatibility_policy.is_some()
            || update.normalize.is_some()
            || *given != warden_core::api::ConfigFields::default()
            || !update.cleared.is_empty();
        let mut config = self.store.config(scope(subject)).await?.unwrap_or_default();
        if names_a_field {
            apply(
                &mut config.compatibility,
                compatibility,
                cleared("compatibility"),
            );
            apply(
                &mut config.compatibility_policy,
                compatibility_policy,
                cleared("compatibilityPolicy"),
            );
            apply(
                &mut config.normalize,
                update.normalize,
                cleared("normalize"),
            );
            let extra = &mut config.extra;
            apply(&mut extra.alias, given.alias.clone(), cleared("alias"));
            apply(
                &mut extra.alias_for_deks,
                given.alias_for_deks.clone(),
                cleared("aliasForDeks"),
            );
            apply(
                &mut extra.validate_fields,
                given.validate_fields,
                cleared("validateFields"),
            );
            apply(
                &mut extra.validate_new_schemas,
                given.validate_new_schemas,
                cleared("validateNewSchemas"),
            );
            apply(
                &mut extra.validate_rules,
                given.validate_rules,
                cleared("validateRules"),
            );
            apply(
                &mut extra.compatibility_group,
                given.compatibility_group.clone(),
                cleared("compatibilityGroup"),
            );
            apply(
                &mut extra.default_metadata,
                default_metadata,
                cleared("defaultMetadata"),
            );
            apply(
                &mut extra.override_metadata,
                override_metadata,
                cleared("overrideMetadata"),
            );
            apply(
                &mut extra.default_rule_set,
                default_rule_set,
                cleared("defaultRuleSet"),
            );
            apply(
                &mut extra.override_rule_set,
                override_rule_set,
                cleared("overrideRuleSet"),
            );
            self.store
                .set_config(scope(subject), config.clone())
                .await?;
        }
        Ok(config)
    }

    /// Removes the config of a scope and returns what it was (global: the defaults when
    /// nothing was set).
    ///
    /// Errors: 40401 for a subject with neither versions nor config; 40408 for a subject
    /// without its own config; 42205 when the scope is in READONLY or READONLY_OVERRIDE mode.
    pub async fn delete_config(&self, subject: Option<&Subject>) -> Result<StoredConfig> {
        if self.store.config(scope(subject)).await?.is_some() {
            self.refuse_config_write_if_read_only(subject).await?;
        }
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

    /// Refuses a config change of a scope in READONLY or READONLY_OVERRIDE mode, as
    /// Confluent's `updateConfig` and `deleteSubjectConfig` do (`isReadOnlyMode`).
    ///
    /// Errors: 42205.
    async fn refuse_config_write_if_read_only(&self, subject: Option<&Subject>) -> Result<()> {
        let mode = match subject {
            Some(s) => self.effective_mode(s).await?,
            None => self.store.mode(Scope::Global).await?.unwrap_or_default(),
        };
        if matches!(mode, Mode::Readonly | Mode::ReadonlyOverride) {
            let (name, context) = match subject {
                Some(s) => (s.to_string(), s.context().prefix()),
                None => ("null".to_owned(), String::new()),
            };
            return Err(Error::OperationNotPermitted(format!(
                "Subject {name} in context {context} is in read-only mode"
            )));
        }
        Ok(())
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
