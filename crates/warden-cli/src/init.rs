//! `warden init`: writes a starting `warden.toml` from the schema files it finds.
//!
//! Avro (`.avsc`) and Protobuf (`.proto`) files are grouped by folder into one glob each;
//! JSON files are listed one by one, and only those that look like JSON Schema (a top-level
//! `$schema`, or `type` beside `properties`). Subjects come from the file name (`{name}`:
//! `schemas/orders-value.avsc` → `orders-value`), the level is BACKWARD (Confluent's
//! default), and Protobuf import paths are inferred from the imports that resolve.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::project::{PROJECT_FILE, Project};
use crate::source::Source;

/// Arguments of `warden init`.
#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// The repository root to scan and write `warden.toml` into.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Overwrite an existing `warden.toml`.
    #[arg(long)]
    force: bool,
}

/// Runs `warden init`.
pub(crate) fn run(args: &InitArgs) -> anyhow::Result<()> {
    let target = args.dir.join(PROJECT_FILE);
    if target.exists() && !args.force {
        bail!(
            "{} already exists (use --force to overwrite it)",
            target.display()
        );
    }
    let source = Source::dir(&args.dir)?;
    let files = source.files()?;
    let mut globs: BTreeMap<(String, &str), usize> = BTreeMap::new();
    let mut json_files = Vec::new();
    let mut protos = Vec::new();
    for f in &files {
        let (dir, name) = f.rsplit_once('/').unwrap_or(("", f.as_str()));
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
        match ext {
            "avsc" | "proto" => {
                *globs
                    .entry((dir.to_owned(), if ext == "avsc" { "avsc" } else { "proto" }))
                    .or_default() += 1;
                if ext == "proto" {
                    protos.push(f.clone());
                }
            }
            "json" => {
                if let Some(text) = source.read(f)?
                    && looks_like_json_schema(&text)
                {
                    json_files.push(f.clone());
                }
            }
            _ => {}
        }
    }
    if globs.is_empty() && json_files.is_empty() {
        bail!(
            "no schema files (.avsc, .proto, or .json with a $schema) under {}",
            args.dir.display()
        );
    }
    let import_paths = infer_import_paths(&source, &protos)?;
    let mut toml = String::from(
        "# Warden project: which schema files map to which subjects.\n\
         # `warden check --against git:origin/main` compares them with another revision;\n\
         # `warden register` publishes them. Subject naming rules: {name} {file} {path} {dir}.\n\n\
         [defaults]\n\
         compatibility = \"BACKWARD\"\n",
    );
    if !import_paths.is_empty() {
        let list: Vec<String> = import_paths.iter().map(|p| format!("{p:?}")).collect();
        let _ = write!(toml, "\n[protobuf]\nimport_paths = [{}]\n", list.join(", "));
    }
    let mut count = 0;
    for ((dir, ext), n) in &globs {
        let glob = if dir.is_empty() {
            format!("*.{ext}")
        } else {
            format!("{dir}/*.{ext}")
        };
        let _ = write!(
            toml,
            "\n[[schemas]]\nfiles = [{glob:?}]\nsubject = \"{{name}}\"\n"
        );
        count += n;
    }
    if !json_files.is_empty() {
        let list: Vec<String> = json_files.iter().map(|p| format!("  {p:?},\n")).collect();
        let _ = write!(
            toml,
            "\n[[schemas]]\nfiles = [\n{}]\nsubject = \"{{name}}\"\n",
            list.concat()
        );
        count += json_files.len();
    }
    std::fs::write(&target, &toml).with_context(|| format!("cannot write {}", target.display()))?;
    // What was written must load and map every file to one subject.
    let project = Project::load(&target)?;
    let entries = project.entries(&source, true)?;
    println!(
        "wrote {}: {count} schema files, {} subjects, compatibility BACKWARD",
        target.display(),
        entries.len()
    );
    Ok(())
}

fn looks_like_json_schema(text: &str) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    map.contains_key("$schema") || (map.contains_key("type") && map.contains_key("properties"))
}

/// The folders that make the project's Protobuf imports resolve: for `import "a/b.proto"`
/// and a file `proto/a/b.proto`, `proto`. The project root when no import needs another.
fn infer_import_paths(source: &Source, protos: &[String]) -> anyhow::Result<Vec<String>> {
    let mut roots = BTreeSet::new();
    for file in protos {
        let Some(text) = source.read(file)? else {
            continue;
        };
        for import in warden_core::references::protobuf_imports(&text) {
            if let Some(found) = protos
                .iter()
                .find(|p| *p == &import || p.ends_with(&format!("/{import}")))
            {
                let root = found[..found.len() - import.len()].trim_end_matches('/');
                roots.insert(if root.is_empty() {
                    ".".to_owned()
                } else {
                    root.to_owned()
                });
            }
        }
    }
    if roots.iter().all(|r| r == ".") {
        return Ok(Vec::new());
    }
    Ok(roots.into_iter().collect())
}
