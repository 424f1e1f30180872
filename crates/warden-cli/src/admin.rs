//! Admin subcommands over the REST API: `subjects`, `versions`, `get`, `config`, `mode`,
//! `delete`. Lists print one item a line; documents print as JSON.

use anyhow::bail;
use warden_core::api::ConfigUpdateRequest;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, Mode, Subject, VersionSelector};

use crate::registry::RegistryArgs;

/// `warden subjects`.
#[derive(Debug, clap::Args)]
pub(crate) struct SubjectsArgs {
    /// Include soft-deleted subjects.
    #[arg(long)]
    deleted: bool,
    /// Only subjects starting with this prefix.
    #[arg(long)]
    prefix: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `warden versions SUBJECT`.
#[derive(Debug, clap::Args)]
pub(crate) struct VersionsArgs {
    /// The subject.
    #[arg(value_parser = Subject::parse)]
    subject: Subject,
    /// Include soft-deleted versions.
    #[arg(long)]
    deleted: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `warden get SUBJECT [VERSION]`.
#[derive(Debug, clap::Args)]
pub(crate) struct GetArgs {
    /// The subject.
    #[arg(value_parser = Subject::parse)]
    subject: Subject,
    /// A version number, or `latest` (the default).
    #[arg(value_parser = VersionSelector::parse)]
    version: Option<VersionSelector>,
    /// Print only the schema text.
    #[arg(long)]
    schema_only: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `warden config [SUBJECT] [LEVEL]`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConfigArgs {
    /// A subject; a compatibility level alone (`warden config FULL`) sets the global level.
    subject: Option<String>,
    /// The compatibility level to set (NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD,
    /// FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE).
    level: Option<String>,
    /// JSON Schema compatibility policy to set: STRICT or LENIENT.
    #[arg(long)]
    policy: Option<String>,
    /// Remove the subject's own config, so it falls back to the global one.
    #[arg(long, conflicts_with_all = ["level", "policy"])]
    delete: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `warden mode [SUBJECT] [MODE]`.
#[derive(Debug, clap::Args)]
pub(crate) struct ModeArgs {
    /// A subject; a mode alone (`warden mode READONLY`) sets the global mode.
    subject: Option<String>,
    /// The mode to set: READWRITE, READONLY, READONLY_OVERRIDE or IMPORT.
    mode: Option<String>,
    /// Allow IMPORT on a registry (or subject) that has schemas.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `warden delete SUBJECT [VERSION]`.
#[derive(Debug, clap::Args)]
pub(crate) struct DeleteArgs {
    /// The subject.
    #[arg(value_parser = Subject::parse)]
    subject: Subject,
    /// One version (a number or `latest`); the whole subject when absent.
    #[arg(value_parser = VersionSelector::parse)]
    version: Option<VersionSelector>,
    /// Hard delete (the subject or version must be soft-deleted first, as in Confluent).
    #[arg(long)]
    permanent: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Runs `warden subjects`.
pub(crate) async fn subjects(args: SubjectsArgs) -> anyhow::Result<()> {
    let client = args.registry.client()?;
    let mut subjects = client.subjects(args.deleted).await?;
    subjects.sort();
    for s in subjects {
        if args
            .prefix
            .as_deref()
            .is_none_or(|p| s.as_str().starts_with(p))
        {
            println!("{s}");
        }
    }
    Ok(())
}

/// Runs `warden versions`.
pub(crate) async fn versions(args: VersionsArgs) -> anyhow::Result<()> {
    let client = args.registry.client()?;
    for v in client.versions(&args.subject, args.deleted).await? {
        println!("{v}");
    }
    Ok(())
}

/// Runs `warden get`.
pub(crate) async fn get(args: GetArgs) -> anyhow::Result<()> {
    let client = args.registry.client()?;
    let found = match args.version.unwrap_or(VersionSelector::Latest) {
        VersionSelector::Exact(v) => client.version(&args.subject, v).await?,
        VersionSelector::Latest => client.latest(&args.subject).await?,
    };
    if args.schema_only {
        println!("{}", found.schema);
    } else {
        println!("{}", serde_json::to_string_pretty(&found)?);
    }
    Ok(())
}

/// Runs `warden config`.
pub(crate) async fn config(args: ConfigArgs) -> anyhow::Result<()> {
    let client = args.registry.client()?;
    // One argument that is a level name sets the global level.
    let (subject, level) = match (args.subject, args.level) {
        (Some(s), None) if s.parse::<CompatibilityLevel>().is_ok() && !args.delete => {
            (None, Some(s))
        }
        other => other,
    };
    let subject = subject
        .as_deref()
        .map(crate::registry::subject)
        .transpose()?;
    if args.delete {
        let Some(subject) = subject else {
            bail!("--delete needs a subject");
        };
        let removed = client.delete_config(Some(&subject)).await?;
        println!("{}", serde_json::to_string_pretty(&removed)?);
        return Ok(());
    }
    if level.is_none() && args.policy.is_none() {
        let config = client.config(subject.as_ref()).await?;
        println!("{}", serde_json::to_string_pretty(&config)?);
        return Ok(());
    }
    let compatibility = level
        .map(|l| {
            l.parse::<CompatibilityLevel>()
                .map(|l| l.as_str().to_owned())
                .map_err(|e| anyhow::anyhow!("{}", e.0))
        })
        .transpose()?;
    let compatibility_policy = args
        .policy
        .map(|p| {
            p.parse::<CompatibilityPolicy>()
                .map(|p| p.as_str().to_owned())
                .map_err(|e| anyhow::anyhow!("{}", e.0))
        })
        .transpose()?;
    let update = ConfigUpdateRequest {
        compatibility,
        normalize: None,
        compatibility_policy,
        ..ConfigUpdateRequest::default()
    };
    let set = client.set_config(subject.as_ref(), &update).await?;
    println!("{}", serde_json::to_string_pretty(&set)?);
    Ok(())
}

/// Runs `warden mode`.
pub(crate) async fn mode(args: ModeArgs) -> anyhow::Result<()> {
    let client = args.registry.client()?;
    let (subject, mode) = match (args.subject, args.mode) {
        (Some(s), None) if s.parse::<Mode>().is_ok() => (None, Some(s)),
        other => other,
    };
    let subject = subject
        .as_deref()
        .map(crate::registry::subject)
        .transpose()?;
    match mode {
        None => println!("{}", client.mode(subject.as_ref()).await?),
        Some(m) => {
            let m = m.parse::<Mode>().map_err(|e| anyhow::anyhow!("{}", e.0))?;
            println!(
                "{}",
                client.set_mode(subject.as_ref(), m, args.force).await?
            );
        }
    }
    Ok(())
}

/// Runs `warden delete`.
pub(crate) async fn delete(args: DeleteArgs) -> anyhow::Result<()> {
    let client = args.registry.client()?;
    match args.version {
        None => {
            for v in client.delete_subject(&args.subject, args.permanent).await? {
                println!("{v}");
            }
        }
        Some(selector) => {
            let n = match selector {
                VersionSelector::Exact(n) => n,
                VersionSelector::Latest => client.latest(&args.subject).await?.version,
            };
            println!(
                "{}",
                client
                    .delete_version(&args.subject, n, args.permanent)
                    .await?
            );
        }
    }
    Ok(())
}
