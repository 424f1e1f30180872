//! `warden register`: publishes the project's schemas, references first, idempotently.
//!
//! Every file is looked up first: a schema already registered under its subject with the same
//! text and references is left alone, so running it twice registers nothing the second time.
//! A level written in `warden.toml` is set as the subject's own compatibility level when the
//! registry's effective level differs, before the schema is registered.
//!
//! A subject with a data contract file (`contract` in `warden.toml`) is registered with the
//! file's `metadata` and `ruleSet`. A schema already registered with another contract gets a
//! new version that carries the file's (Confluent registers a new version when only the
//! metadata or rule set changes).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context;
use warden_client::{RegisterOptions, UnregisteredSchema};
use warden_core::api::{ConfigUpdateRequest, SchemaReference};
use warden_core::rules::RuleSet;
use warden_core::{ErrorCode, Version};

use crate::check::{Contract, parse, read_contract};
use crate::exit::Exit;
use crate::project::{self, Project};
use crate::registry::{RegistryArgs, is_not_found, subject};
use crate::source::Source;

/// Arguments of `warden register`.
#[derive(Debug, clap::Args)]
pub(crate) struct RegisterArgs {
    /// Show what would change without changing anything.
    #[arg(long)]
    dry_run: bool,
    /// The project file (default: `warden.toml` in the current directory or a parent).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Runs `warden register`.
pub(crate) async fn run(args: RegisterArgs) -> anyhow::Result<()> {
    let project = Project::load(&project::find(args.config.as_deref())?)?;
    let current = Source::dir(&project.root)?;
    let entries = project.entries(&current, true)?;
    let client = args.registry.client()?;
    // Parse everything first: nothing is registered when one file or contract is broken.
    let mut contracts: HashMap<&str, Contract> = HashMap::new();
    for entry in &entries {
        let contract = read_contract(&current, entry).map_err(|e| anyhow::anyhow!(e))?;
        contracts.insert(entry.path.as_str(), contract);
    }
    let mut resolved = Vec::new();
    for entry in &entries {
        let r = project
            .resolve(&current, &entries, entry)?
            .with_context(|| format!("{} disappeared", entry.path))?;
        if let Err((message, line)) = parse(&r) {
            let at = line.map(|l| format!(":{l}")).unwrap_or_default();
            anyhow::bail!("{}{at}: the schema does not parse: {message}", entry.path);
        }
        resolved.push((entry, r));
    }
    // (path) → (subject, version) of what is registered, or None in a dry run for what
    // would be new.
    let mut done: HashMap<String, Option<Version>> = HashMap::new();
    let (mut registered, mut unchanged, mut configured) = (0, 0, 0);
    for (entry, r) in &resolved {
        // The project's level for this subject, set before registering.
        if entry.level_is_explicit {
            let entry_subject = subject(&entry.subject)?;
            let effective = match client.config(Some(&entry_subject)).await {
                Ok(c) => Some(c.compatibility_level),
                Err(e) if is_not_found(&e) => None,
                Err(e) => return Err(e.into()),
            };
            if effective.as_deref() != Some(entry.level.as_str()) {
                configured += 1;
                let was = effective.unwrap_or_else(|| "unset".into());
                if args.dry_run {
                    println!(
                        "would set  {} compatibility {} (now {was})",
                        entry.subject,
                        entry.level.as_str()
                    );
                } else {
                    client
                        .set_config(
                            Some(&entry_subject),
                            &ConfigUpdateRequest {
                                compatibility: Some(entry.level.as_str().to_owned()),
                                ..ConfigUpdateRequest::default()
                            },
                        )
                        .await?;
                    println!(
                        "set        {} compatibility {} (was {was})",
                        entry.subject,
                        entry.level.as_str()
                    );
                }
            }
        }
        for node in &r.nodes {
            if done.contains_key(&node.path) {
                continue;
            }
            let references: Option<Vec<SchemaReference>> = node
                .references
                .iter()
                .map(|(name, dep)| {
                    let dep = &r.nodes[*dep];
                    done.get(&dep.path)
                        .copied()
                        .flatten()
                        .map(|v| SchemaReference {
                            name: name.clone(),
                            subject: dep.subject.clone(),
                            version: i32::try_from(v.get()).unwrap_or(i32::MAX),
                        })
                })
                .collect();
            let Some(references) = references else {
                // A dry run with a dependency that would be new: this one would be new too.
                println!(
                    "would register {} ({}), after its references",
                    node.subject, node.path
                );
                registered += 1;
                done.insert(node.path.clone(), None);
                continue;
            };
            let schema = UnregisteredSchema::new(node.schema_type, node.text.clone())
                .with_references(references);
            let node_subject = subject(&node.subject)?;
            let contract = contracts.get(node.path.as_str());
            match client.lookup(&node_subject, &schema).await {
                Ok(found) if contract.is_none_or(|c| carries(c, &found)) => {
                    unchanged += 1;
                    println!(
                        "unchanged  {} version {} (id {})  {}",
                        node.subject, found.version, found.id, node.path
                    );
                    done.insert(node.path.clone(), Some(found.version));
                    continue;
                }
                Ok(_) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(e.into()),
            }
            registered += 1;
            if args.dry_run {
                println!("would register {} ({})", node.subject, node.path);
                done.insert(node.path.clone(), None);
                continue;
            }
            let options = RegisterOptions {
                metadata: contract.and_then(|c| c.metadata.clone()),
                rule_set: contract.and_then(|c| c.rule_set.clone()),
                ..RegisterOptions::default()
            };
            let id = match client.register_with(&node_subject, &schema, options).await {
                Ok(id) => id,
                Err(e) if e.code() == Some(ErrorCode::IncompatibleSchema) => {
                    eprintln!("warden: {}: {e}", node.path);
                    return Err(Exit(1).into());
                }
                Err(e) => return Err(anyhow::Error::new(e).context(node.path.clone())),
            };
            let version = registered_version(&client, &node_subject, &schema, id).await?;
            println!(
                "registered {} version {version} (id {id})  {}",
                node.subject, node.path
            );
            done.insert(node.path.clone(), Some(version));
        }
    }
    let verb = if args.dry_run {
        "would change"
    } else {
        "changed"
    };
    println!(
        "\n{} schemas: {registered} {}, {unchanged} unchanged; {configured} compatibility \
         levels {verb}",
        registered + unchanged,
        if args.dry_run {
            "to register"
        } else {
            "registered"
        },
    );
    Ok(())
}

/// Whether the registered version `found` carries `contract`: the same metadata and rule set
/// where the contract file gives them (what the file leaves out, the registry keeps). Rule
/// sets compare as read, since the registry answers each rule's defaults (`disabled`).
fn carries(contract: &Contract, found: &warden_core::api::SubjectVersionResponse) -> bool {
    let same_metadata = contract.metadata.is_none() || contract.metadata == found.metadata;
    let same_rules = contract.rule_set.is_none()
        || RuleSet::from_json(found.rule_set.as_ref()).is_ok_and(|stored| stored == contract.rules);
    same_metadata && same_rules
}

/// The version that `id` was just registered as under `subject`: the latest, when it holds
/// `id` (a new version, or the latest one answered again), else the one a look-up finds.
///
/// Errors: the registry does not answer.
async fn registered_version(
    client: &warden_client::RegistryClient,
    subject: &warden_core::Subject,
    schema: &UnregisteredSchema,
    id: warden_core::SchemaId,
) -> anyhow::Result<Version> {
    let latest = client.latest(subject).await?;
    if latest.id == id {
        return Ok(latest.version);
    }
    Ok(client.lookup(subject, schema).await?.version)
}
