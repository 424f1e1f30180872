//! `warden export` and `warden import`: every subject, version, schema id, config and mode of
//! a Confluent-compatible registry, copied with ids and versions preserved; configs and modes
//! include those of each context (`:.ctx:`, as `GET /contexts` lists them) and of
//! `:.__GLOBAL:`.
//!
//! The export file is JSON, sorted and without timestamps, so two exports of the same
//! registry are byte for byte equal. The import first compares the source with the target (a
//! version the target has under another id stops it before anything changes), then puts the
//! target in IMPORT mode, registers
//! every version with its id and version (`POST /subjects/{s}/versions` with `id` and
//! `version`) in ascending id order, so references exist before the schemas that use them,
//! soft-deletes what was soft-deleted, then sets configs and modes as exported. Versions the
//! target already has with the same id are skipped, so an interrupted import is resumed by
//! running it again, and a second import changes nothing. `--verify` exports the target
//! afterwards and compares.

use std::path::PathBuf;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use warden_client::{RegisterOptions, RegistryClient, UnregisteredSchema};
use warden_core::api::{ConfigResponse, ConfigUpdateRequest, SchemaReference};
use warden_core::types::ParseError;
use warden_core::{Mode, SchemaId, SchemaType, Subject, Version};

use crate::registry::{RegistryArgs, is_not_found};

/// The export file's `format` value.
const FORMAT: &str = "warden-export/1";

/// A whole registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    /// [`FORMAT`].
    format: String,
    /// The global config.
    config: ConfigResponse,
    /// The global mode.
    #[serde(deserialize_with = "mode")]
    mode: Mode,
    /// Every subject, soft-deleted ones included, sorted by name.
    subjects: Vec<SubjectExport>,
    /// The scopes above subjects with a config or mode of their own: each context's
    /// (`:.ctx:`) and `:.__GLOBAL:`, sorted by name (absent from files written before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<ScopeExport>,
}

/// A context's scope (`:.ctx:`) or `:.__GLOBAL:`: Confluent keeps their configs and modes
/// under those names, which subjects of the context fall back to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScopeExport {
    scope: Subject,
    /// The scope's config, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config: Option<ConfigResponse>,
    /// The scope's mode, when it has one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_mode"
    )]
    mode: Option<Mode>,
}

impl PartialEq for ScopeExport {
    fn eq(&self, other: &Self) -> bool {
        self.scope == other.scope
            && self.config.clone().map(ConfigResponseEq)
                == other.config.clone().map(ConfigResponseEq)
            && self.mode == other.mode
    }
}

impl PartialEq for ConfigResponseEq {
    fn eq(&self, other: &Self) -> bool {
        self.0.compatibility_level == other.0.compatibility_level
            && self.0.normalize.unwrap_or(false) == other.0.normalize.unwrap_or(false)
            && self.0.compatibility_policy == other.0.compatibility_policy
            && self.0.extra == other.0.extra
    }
}

/// A config compared by value, every field (an absent `normalize` is `false`).
#[derive(Debug)]
struct ConfigResponseEq(ConfigResponse);

/// One subject.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubjectExport {
    subject: Subject,
    /// The subject's own config, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config: Option<ConfigResponse>,
    /// The subject's own mode, when it has one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_mode"
    )]
    mode: Option<Mode>,
    /// Every version, soft-deleted ones included, ascending.
    versions: Vec<VersionExport>,
}

/// One version of a subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionExport {
    version: Version,
    id: SchemaId,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
    #[serde(default)]
    schema_type: SchemaType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    references: Vec<SchemaReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule_set: Option<Value>,
    schema: String,
}

/// A mode as the export file writes it (`READWRITE`, `IMPORT`…).
fn mode<'de, D: Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
    String::deserialize(d)?
        .parse()
        .map_err(|e: ParseError| serde::de::Error::custom(e.0))
}

/// [`mode`], when present.
fn optional_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Mode>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|m| m.parse())
        .transpose()
        .map_err(|e: ParseError| serde::de::Error::custom(e.0))
}

impl PartialEq for SubjectExport {
    fn eq(&self, other: &Self) -> bool {
        self.subject == other.subject
            && self.config.clone().map(ConfigResponseEq)
                == other.config.clone().map(ConfigResponseEq)
            && self.mode == other.mode
            && self.versions == other.versions
    }
}

/// Arguments of `warden export`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    /// The file to write (JSON).
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Arguments of `warden import`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// An export file, or the URL of the registry to copy from.
    #[arg(long, value_name = "FILE|URL")]
    from: String,
    /// Credentials for `--from URL`: `USER:PASSWORD` or `bearer:TOKEN`.
    #[arg(
        long,
        env = "WARDEN_FROM_AUTH",
        value_name = "USER:PASSWORD|bearer:TOKEN",
        hide_env_values = true
    )]
    from_auth: Option<String>,
    /// After the import, export the target and check that it equals the source.
    #[arg(long)]
    verify: bool,
    /// The target registry (`--registry-url`, `--registry-auth`).
    #[command(flatten)]
    registry: RegistryArgs,
}

fn bar(len: u64, what: &str) -> ProgressBar {
    // Drawn on stderr, and only when it is a terminal.
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} {wide_msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_owned());
    bar
}

/// Reads a whole registry.
async fn read_registry(client: &RegistryClient, progress: bool) -> anyhow::Result<Export> {
    let mut names = client.subjects(true).await?;
    names.sort();
    let bar = if progress {
        bar(names.len() as u64, "export")
    } else {
        ProgressBar::hidden()
    };
    let mut subjects = Vec::with_capacity(names.len());
    for subject in names {
        bar.set_message(subject.to_string());
        let all = client.versions(&subject, true).await?;
        let live = match client.versions(&subject, false).await {
            Ok(v) => v,
            Err(e) if is_not_found(&e) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut versions = Vec::with_capacity(all.len());
        for v in all {
            let found = client.version_including_deleted(&subject, v).await?;
            versions.push(VersionExport {
                version: found.version,
                id: found.id,
                deleted: !live.contains(&v),
                schema_type: found.schema_type,
                references: found.references,
                metadata: found.metadata,
                rule_set: found.rule_set,
                schema: found.schema,
            });
        }
        versions.sort_by_key(|v| v.version);
        subjects.push(SubjectExport {
            config: client.subject_config(&subject).await?,
            mode: client.subject_mode(&subject).await?,
            subject,
            versions,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Export {
        format: FORMAT.to_owned(),
        config: client.config(None).await?,
        mode: client.mode(None).await?,
        subjects,
        scopes: read_scopes(client).await?,
    })
}

/// The scopes above subjects that have a config or mode: every context's (`:.ctx:`, from
/// `GET /contexts`) and `:.__GLOBAL:`, by name.
async fn read_scopes(client: &RegistryClient) -> anyhow::Result<Vec<ScopeExport>> {
    let mut names: Vec<String> = client
        .contexts()
        .await?
        .into_iter()
        .filter(|c| c != ".")
        .map(|c| format!(":{c}:"))
        .collect();
    names.push(":.__GLOBAL:".to_owned());
    names.sort();
    names.dedup();
    let mut scopes = Vec::new();
    for name in names {
        let scope =
            Subject::parse(&name).map_err(|e| anyhow::anyhow!("context {name}: {}", e.0))?;
        let config = client.subject_config(&scope).await?;
        let mode = client.subject_mode(&scope).await?;
        if config.is_some() || mode.is_some() {
            scopes.push(ScopeExport {
                scope,
                config,
                mode,
            });
        }
    }
    Ok(scopes)
}

fn counts(export: &Export) -> (usize, usize) {
    (
        export.subjects.len(),
        export.subjects.iter().map(|s| s.versions.len()).sum(),
    )
}

/// Runs `warden export`.
pub(crate) async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let client = args.registry.client()?;
    let export = read_registry(&client, true).await?;
    let text = serde_json::to_string_pretty(&export)? + "\n";
    // Written next to the target, then renamed: a reader never sees half a file.
    let tmp = args.to.with_extension("partial");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.to)
        .with_context(|| format!("cannot write {}", args.to.display()))?;
    let (subjects, versions) = counts(&export);
    println!(
        "exported {subjects} subjects, {versions} versions to {}",
        args.to.display()
    );
    Ok(())
}

/// Runs `warden import`.
pub(crate) async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let target = args.registry.client()?;
    let source = if args.from.starts_with("http://") || args.from.starts_with("https://") {
        // The source registry is trusted with the same CA and client certificate.
        let from = RegistryArgs {
            url: Some(args.from.clone()),
            auth: args.from_auth.clone(),
            registry_ca: args.registry.registry_ca.clone(),
            registry_cert: args.registry.registry_cert.clone(),
            registry_key: args.registry.registry_key.clone(),
            registry_config: None,
        };
        read_registry(&from.client()?, true).await?
    } else {
        let text = std::fs::read_to_string(&args.from)
            .with_context(|| format!("cannot read {}", args.from))?;
        let export: Export = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a warden export", args.from))?;
        if export.format != FORMAT {
            bail!(
                "{}: format {:?}, expected {FORMAT:?}",
                args.from,
                export.format
            );
        }
        export
    };
    let (imported, skipped) = write_registry(&target, &source).await?;
    let (subjects, versions) = counts(&source);
    println!(
        "imported {imported} versions ({skipped} already there) of {subjects} subjects, \
         {versions} versions in all"
    );
    if args.verify {
        let copy = read_registry(&target, false).await?;
        if let Some(difference) = first_difference(&source, &copy) {
            bail!("verification failed: {difference}");
        }
        println!("verified: every subject, version, id, config and mode is identical");
    }
    Ok(())
}

/// The first way `copy` differs from `source`, if any.
fn first_difference(source: &Export, copy: &Export) -> Option<String> {
    if ConfigResponseEq(source.config.clone()) != ConfigResponseEq(copy.config.clone()) {
        return Some(format!(
            "global config {} vs {}",
            source.config.compatibility_level, copy.config.compatibility_level
        ));
    }
    if source.mode != copy.mode {
        return Some(format!("global mode {} vs {}", source.mode, copy.mode));
    }
    for s in &source.subjects {
        let Some(c) = copy.subjects.iter().find(|c| c.subject == s.subject) else {
            return Some(format!("subject {} is missing", s.subject));
        };
        if s != c {
            return Some(format!("subject {} differs", s.subject));
        }
    }
    if copy.subjects.len() != source.subjects.len() {
        return Some("the target has subjects the source does not".to_owned());
    }
    if source.scopes != copy.scopes {
        let differs = source
            .scopes
            .iter()
            .chain(&copy.scopes)
            .map(|s| &s.scope)
            .find(|name| {
                let pick = |e: &Export| e.scopes.iter().find(|s| s.scope == **name).cloned();
                pick(source) != pick(copy)
            });
        return Some(match differs {
            Some(name) => format!("the config or mode of {name} differs"),
            None => "the configs or modes of contexts differ".to_owned(),
        });
    }
    None
}

/// Writes `export` into `target`; returns (versions registered, versions already there).
async fn write_registry(
    target: &RegistryClient,
    export: &Export,
) -> anyhow::Result<(usize, usize)> {
    let mut plan: Vec<(&SubjectExport, &VersionExport)> = export
        .subjects
        .iter()
        .flat_map(|s| s.versions.iter().map(move |v| (s, v)))
        .collect();
    plan.sort_by(|a, b| {
        (a.1.id, &a.0.subject, a.1.version).cmp(&(b.1.id, &b.0.subject, b.1.version))
    });
    // First what is already there, so a conflict stops the import before anything changes.
    let checking = bar(plan.len() as u64, "compare");
    let mut todo = Vec::new();
    for (subject, version) in &plan {
        checking.set_message(format!("{} v{}", subject.subject, version.version));
        match target
            .version_including_deleted(&subject.subject, version.version)
            .await
        {
            Ok(found) if found.id == version.id => {}
            Ok(found) => bail!(
                "the target's {} version {} has id {}, the source's has id {}",
                subject.subject,
                version.version,
                found.id,
                version.id
            ),
            Err(e) if is_not_found(&e) => todo.push((*subject, *version)),
            Err(e) => return Err(e.into()),
        }
        checking.inc(1);
    }
    checking.finish_and_clear();
    let skipped = plan.len() - todo.len();
    target
        .set_mode(None, Mode::Import, true)
        .await
        .context("cannot put the target registry in IMPORT mode")?;
    let bar = bar(todo.len() as u64, "import");
    let mut imported = 0;
    // Subjects whose own mode was switched to IMPORT, with the mode they had.
    let mut opened: Vec<(&Subject, Option<Mode>)> = Vec::new();
    // Subjects of other contexts than the default one, given a mode of their own for the
    // import: the registry-wide mode is the default context's only (as in Confluent).
    let mut temporary: Vec<&Subject> = Vec::new();
    for (subject, version) in &todo {
        bar.set_message(format!("{} v{}", subject.subject, version.version));
        // A subject-level mode on the target (from an earlier, interrupted import) would
        // refuse the registration; IMPORT until the modes are set at the end.
        if !opened.iter().any(|(s, _)| *s == &subject.subject) {
            let mode = target.subject_mode(&subject.subject).await?;
            if let Some(m) = mode
                && m != Mode::Import
            {
                target
                    .set_mode(Some(&subject.subject), Mode::Import, true)
                    .await?;
            }
            if mode.is_none() && !subject.subject.context().is_default() {
                target
                    .set_mode(Some(&subject.subject), Mode::Import, true)
                    .await?;
                temporary.push(&subject.subject);
            }
            opened.push((&subject.subject, mode));
        }
        let schema = UnregisteredSchema::new(version.schema_type, version.schema.clone())
            .with_references(version.references.clone());
        let id = target
            .register_with(
                &subject.subject,
                &schema,
                RegisterOptions {
                    id: Some(version.id),
                    version: Some(version.version),
                    metadata: version.metadata.clone(),
                    rule_set: version.rule_set.clone(),
                    ..RegisterOptions::default()
                },
            )
            .await
            .with_context(|| format!("{} version {}", subject.subject, version.version))?;
        if id != version.id {
            bail!(
                "{} version {}: the target gave id {id}, not {}",
                subject.subject,
                version.version,
                version.id
            );
        }
        imported += 1;
        bar.inc(1);
    }
    bar.finish_and_clear();
    // Soft deletes, as in the source.
    for subject in &export.subjects {
        let deleted: Vec<Version> = subject
            .versions
            .iter()
            .filter(|v| v.deleted)
            .map(|v| v.version)
            .collect();
        if deleted.is_empty() {
            continue;
        }
        let live = match target.versions(&subject.subject, false).await {
            Ok(v) => v,
            Err(e) if is_not_found(&e) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        for v in deleted.into_iter().filter(|v| live.contains(v)) {
            target.delete_version(&subject.subject, v, false).await?;
        }
    }
    // Configs: the global one, then each subject's own (removed where the source has none).
    let update = |c: &ConfigResponse| ConfigUpdateRequest {
        compatibility: Some(c.compatibility_level.clone()),
        normalize: c.normalize,
        compatibility_policy: c.compatibility_policy.clone(),
        extra: c.extra.clone(),
        ..ConfigUpdateRequest::default()
    };
    target.set_config(None, &update(&export.config)).await?;
    for subject in &export.subjects {
        match &subject.config {
            Some(c) => {
                target
                    .set_config(Some(&subject.subject), &update(c))
                    .await?;
            }
            None => {
                if target.subject_config(&subject.subject).await?.is_some() {
                    target.delete_config(Some(&subject.subject)).await?;
                }
            }
        }
    }
    // The configs of contexts and `:.__GLOBAL:`, as the source has them.
    let before = read_scopes(target).await?;
    let mut names: Vec<&Subject> = export
        .scopes
        .iter()
        .chain(&before)
        .map(|s| &s.scope)
        .collect();
    names.sort();
    names.dedup();
    let find =
        |scopes: &[ScopeExport], name: &Subject| scopes.iter().find(|s| s.scope == *name).cloned();
    for name in &names {
        let (wanted, had) = (find(&export.scopes, name), find(&before, name));
        // A mode the target has there could refuse the config: removed now, set at the end.
        if had.as_ref().is_some_and(|s| s.mode.is_some()) {
            target.delete_mode(name).await?;
        }
        match (wanted.and_then(|s| s.config), had.and_then(|s| s.config)) {
            (Some(c), _) => {
                target.set_config(Some(name), &update(&c)).await?;
            }
            (None, Some(_)) => {
                target.delete_config(Some(name)).await?;
            }
            (None, None) => {}
        }
    }
    // Modes last: a subject may be read-only in the source.
    for subject in &export.subjects {
        let before = opened
            .iter()
            .find(|(s, _)| *s == &subject.subject)
            .and_then(|(_, m)| m.as_ref());
        match (&subject.mode, before) {
            (Some(mode), _) => {
                target.set_mode(Some(&subject.subject), *mode, true).await?;
            }
            // The source subject has no mode of its own: neither has the copy.
            (None, Some(_)) => {
                target.delete_mode(&subject.subject).await?;
            }
            (None, None) if temporary.contains(&&subject.subject) => {
                target.delete_mode(&subject.subject).await?;
            }
            (None, None) => {}
        }
    }
    for scope in &export.scopes {
        if let Some(mode) = scope.mode {
            target.set_mode(Some(&scope.scope), mode, true).await?;
        }
    }
    target.set_mode(None, export.mode, true).await?;
    Ok((imported, skipped))
}
