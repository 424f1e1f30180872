//! Compatibility configs and modes, per subject and global, and the values that apply.

use std::str::FromStr;
use std::sync::Arc;

use warden_core::api::ConfigUpdateRequest;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, Context, Mode, Subject, Version};
use warden_storage::{DeletedFilter, Scope, StoredConfig, VersionRow};

use super::{Registry, scope};
use crate::error::{Error, Result};

/// The scope of `:.__GLOBAL:`, whose config and mode apply to every context (built once:
/// every registration, lookup and check reads it).
fn global_scope() -> &'static Subject {
    static GLOBAL: std::sync::LazyLock<Subject> = std::sync::LazyLock::new(|| {
        Context::parse(Context::GLOBAL_NAME)
            .ok()
            .and_then(|c| c.as_subject())
            .expect("the global context has a scope")
    });
    &GLOBAL
}

impl Registry {
    /// The config that applies to `subject`: its own over the global one (Confluent's
    /// `getConfigInScope` and `Config.mergeConfigs`), or the global one when it has none,
    /// held in memory until a config changes (shared with the subject's context when the
    /// subject has none of its own).
    pub(super) async fn effective_config(&self, subject: &Subject) -> Result<Arc<StoredConfig>> {
        let make = async {
            let own = self.scope_config(Scope::Subject(subject)).await?;
            let context = subject.context().as_subject();
            let above = self
                .settings
                .configs_above
                .get_or_make(&context, async {
                    self.config_above(Some(subject)).await.map(Arc::new)
                })
                .await?;
            Ok(match own {
                Some(own) if !own.is_empty() => Arc::new(own.or(StoredConfig::clone(&above))),
                _ => above,
            })
        };
        self.settings
            .effective_configs
            .get_or_make(subject, make)
            .await
    }

    /// The config that applies above a subject, as Confluent's `InMemoryCache.config`
    /// falls back: the config of the subject's context (`:.ctx:`) for a subject of another
    /// context than the default one, else the registry-wide config; then the config of
    /// `:.__GLOBAL:`, which applies to every context.
    async fn config_above(&self, subject: Option<&Subject>) -> Result<StoredConfig> {
        let set = |c: Option<StoredConfig>| c.filter(|c| !c.is_empty());
        let level = match subject.and_then(|s| s.context().as_subject()) {
            Some(context) => set(self.scope_config(Scope::Subject(&context)).await?),
            None => set(self.scope_config(Scope::Global).await?),
        };
        let everywhere = set(self.scope_config(Scope::Subject(global_scope())).await?);
        Ok(match (level, everywhere) {
            (Some(level), Some(everywhere)) => level.or(everywhere),
            (Some(c), None) | (None, Some(c)) => c,
            (None, None) => StoredConfig::default(),
        })
    }

    /// The global config with the level's default filled in.
    async fn global_config(&self) -> Result<StoredConfig> {
        self.defaults_above(None).await
    }

    /// The config above a subject ([`Self::config_above`]) with the level's default filled
    /// in.
    async fn defaults_above(&self, subject: Option<&Subject>) -> Result<StoredConfig> {
        let c = self.config_above(subject).await?;
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
        match self.scope_config(Scope::Subject(s)).await? {
            Some(c) if !c.is_empty() => {
                if default_to_global {
                    Ok(c.or(self.defaults_above(Some(s)).await?))
                } else {
                    Ok(c)
                }
            }
            _ if default_to_global => self.defaults_above(Some(s)).await,
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
        // Read from the store, not memory: a field the body does not name keeps its newest
        // value, even one another replica has just written.
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
            let written = self.store.set_config(scope(subject), config.clone()).await;
            self.settings.clear();
            written?;
        }
        Ok(config)
    }

    /// Removes the config of a scope and returns what it was (global: the defaults when
    /// nothing was set).
    ///
    /// Errors: 40401 for a subject with neither versions nor config; 40408 for a subject
    /// without its own config; 42205 when the scope is in READONLY or READONLY_OVERRIDE mode.
    pub async fn delete_config(&self, subject: Option<&Subject>) -> Result<StoredConfig> {
        if self.scope_config(scope(subject)).await?.is_some() {
            self.refuse_config_write_if_read_only(subject).await?;
        }
        let old = self.store.delete_config(scope(subject)).await;
        self.settings.clear();
        let old = old?;
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
            None => self.scope_mode(Scope::Global).await?.unwrap_or_default(),
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
        let make = async {
            if let Some(m) = self.scope_mode(Scope::Subject(subject)).await? {
                return Ok(m);
            }
            self.mode_above(Some(subject)).await
        };
        self.settings
            .effective_modes
            .get_or_make(subject, make)
            .await
    }

    /// The mode that applies above a subject, as Confluent's `InMemoryCache.mode` falls
    /// back: the mode of the subject's context (`:.ctx:`) for a subject of another context
    /// than the default one, else the registry-wide mode; then the mode of `:.__GLOBAL:`;
    /// then READWRITE.
    async fn mode_above(&self, subject: Option<&Subject>) -> Result<Mode> {
        let level = match subject.and_then(|s| s.context().as_subject()) {
            Some(context) => self.scope_mode(Scope::Subject(&context)).await?,
            None => self.scope_mode(Scope::Global).await?,
        };
        if let Some(m) = level {
            return Ok(m);
        }
        Ok(self
            .scope_mode(Scope::Subject(global_scope()))
            .await?
            .unwrap_or_default())
    }

    /// The mode of a scope as `GET /mode` shows it.
    ///
    /// Errors: 40409 for a subject without its own mode unless `default_to_global`.
    pub async fn mode(&self, subject: Option<&Subject>, default_to_global: bool) -> Result<Mode> {
        match subject {
            None => self.mode_above(None).await,
            Some(s) => match self.scope_mode(Scope::Subject(s)).await? {
                Some(m) => Ok(m),
                None if default_to_global => self.mode_above(Some(s)).await,
                None => Err(Error::SubjectModeNotConfigured(s.to_string())),
            },
        }
    }

    /// Sets the mode of a scope, as Confluent's `KafkaSchemaRegistry.setMode`: switching a
    /// scope that is not in IMPORT mode already to IMPORT needs its subjects (every subject
    /// for the registry-wide scope and `:.__GLOBAL:`, the context's for `:.ctx:`, else the
    /// subject itself) to have no live version, and then removes their soft-deleted versions
    /// for good, so that imported ids and versions start from a clean slate; `force` skips
    /// both.
    ///
    /// Errors: 42204 unknown mode; 42205 IMPORT over live versions without `force`; 42206 a
    /// soft-deleted version in the scope is still referenced (nothing changes).
    pub async fn set_mode(
        &self,
        subject: Option<&Subject>,
        mode: &str,
        force: bool,
    ) -> Result<Mode> {
        let mode = Mode::from_str(mode).map_err(|e| Error::InvalidMode(e.to_string()))?;
        if mode == Mode::Import && !force && self.mode_in_scope(subject).await? != Mode::Import {
            self.clear_for_import(subject).await?;
        }
        let written = self.store.set_mode(scope(subject), mode).await;
        self.settings.clear();
        written?;
        Ok(mode)
    }

    /// The mode that applies at a scope: the registry-wide one for `None`.
    async fn mode_in_scope(&self, subject: Option<&Subject>) -> Result<Mode> {
        match subject {
            Some(s) => self.effective_mode(s).await,
            None => self.mode_above(None).await,
        }
    }

    /// Refuses IMPORT mode over live versions in the scope and removes its soft-deleted
    /// versions (Confluent's `setMode`).
    async fn clear_for_import(&self, subject: Option<&Subject>) -> Result<()> {
        let whole = |s: &Subject| s.is_context() && s.context().is_global();
        let rows: Vec<(Subject, VersionRow)> = match subject {
            Some(s) if !s.is_context() => self
                .store
                .versions(s)
                .await?
                .into_iter()
                .map(|r| (s.clone(), r))
                .collect(),
            _ => self
                .store
                .all_versions(DeletedFilter::All)
                .await?
                .into_iter()
                .filter(|(name, _)| match subject {
                    None => true,
                    Some(s) if whole(s) => true,
                    Some(s) => name.context() == s.context(),
                })
                .collect(),
        };
        if rows.iter().any(|(_, r)| !r.deleted) {
            return Err(Error::OperationNotPermitted(
                "Cannot import since found existing subjects".into(),
            ));
        }
        let _guard = self.write_lock.lock().await;
        let mut by_subject: std::collections::BTreeMap<Subject, Vec<Version>> = Default::default();
        for (name, row) in rows {
            by_subject.entry(name).or_default().push(row.version);
        }
        for (name, versions) in by_subject {
            let removed = self.store.hard_delete(&name, &versions).await;
            self.versions_changed(&name);
            let removed = removed.map_err(super::delete::delete_error)?;
            self.evict(&removed);
        }
        Ok(())
    }

    /// Removes the mode of a scope and returns what it was, as Confluent's
    /// `ModeResource.deleteSubjectMode`: the registry-wide scope and `:.__GLOBAL:` had
    /// READWRITE when nothing was set (`InMemoryCache.mode` answers the default at the top
    /// level). With `recursive`, a context's scope (`:.ctx:`, or the registry-wide one)
    /// also removes the modes of every subject scope whose name starts with its prefix
    /// (`deleteModesForSubjectsUnderContext`); the default context's prefix is empty, so the
    /// registry-wide scope removes every subject's and context's mode, as Confluent's does.
    /// `None` when the scope had no mode and `recursive` is set.
    ///
    /// Errors: 40401 for a subject without its own mode, unless `recursive`.
    pub async fn delete_mode(
        &self,
        subject: Option<&Subject>,
        recursive: bool,
    ) -> Result<Option<Mode>> {
        let top = subject.is_none_or(|s| s.is_context() && s.context().is_global());
        let removed = self.store.delete_mode(scope(subject)).await;
        let prefix = match subject {
            _ if !recursive || removed.is_err() => None,
            None => Some(String::new()),
            Some(s) if s.is_context() => Some(s.context().prefix()),
            Some(_) => None,
        };
        let under = match prefix {
            Some(prefix) => Some(self.store.delete_modes_under(&prefix).await),
            None => None,
        };
        self.settings.clear();
        if let Some(under) = under {
            under?;
        }
        match (removed?, subject) {
            (Some(old), _) => Ok(Some(old)),
            (None, _) if top => Ok(Some(Mode::default())),
            (None, Some(s)) if !recursive => Err(Error::SubjectNotFound(s.to_string())),
            (None, _) => Ok(None),
        }
    }
}
