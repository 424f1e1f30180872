//! `warden diff`: the structured diff of two schemas, printed for people (coloured on a
//! terminal) or as JSON. `warden diff SUBJECT V W` asks a registry
//! (`GET /warden/v1/subjects/{subject}/diff`); `warden diff FILE_A FILE_B` compares two files
//! offline with the same code (`warden_core::diff`).

use std::io::Write;
use std::path::Path;

use anstyle::{AnsiColor, Style};
use anyhow::{Context, bail};
use warden_core::diff::{Change, SchemaDiff};
use warden_core::{CompatibilityPolicy, ParsedSchema, SchemaType, Subject, VersionSelector};

use crate::registry::RegistryArgs;

/// `warden diff SUBJECT V W` or `warden diff FILE_A FILE_B`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// A subject (with two versions after it), or the old schema's file (offline, a
    /// `.proto` file may import the built-in files only).
    first: String,
    /// The old version (`1`, `latest`), or the new schema's file.
    second: String,
    /// The new version, when the first argument is a subject.
    third: Option<String>,
    /// The files' format: AVRO, PROTOBUF or JSON (by default from the extension: `.avsc`
    /// Avro, `.proto` Protobuf, `.json` JSON Schema unless it reads as an Avro record, enum
    /// or fixed).
    #[arg(long = "type", value_name = "TYPE")]
    schema_type: Option<String>,
    /// How offline JSON Schema changes are judged: STRICT (the default) or LENIENT.
    #[arg(long)]
    policy: Option<String>,
    /// Print the diff as JSON (the API's body) instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Runs `warden diff`.
///
/// Errors: a file that cannot be read or does not parse, a registry that does not answer or
/// answers an error (unknown subject or version).
pub(crate) async fn run(args: DiffArgs) -> anyhow::Result<()> {
    let diff = match &args.third {
        Some(to) => {
            let subject = Subject::parse(&args.first)
                .map_err(|e| anyhow::anyhow!("invalid subject {}: {e}", args.first))?;
            let from = VersionSelector::parse(&args.second)
                .map_err(|e| anyhow::anyhow!("invalid version {}: {e}", args.second))?;
            let to = VersionSelector::parse(to)
                .map_err(|e| anyhow::anyhow!("invalid version {to}: {e}"))?;
            args.registry
                .client()?
                .diff(&subject, from, to)
                .await
                .with_context(|| format!("diff of {subject} {from} → {to}"))?
        }
        None => {
            let old = read(Path::new(&args.first), args.schema_type.as_deref())?;
            let new = read(Path::new(&args.second), args.schema_type.as_deref())?;
            let policy = match args.policy.as_deref() {
                None => CompatibilityPolicy::default(),
                Some(p) => p
                    .parse()
                    .map_err(|_| anyhow::anyhow!("invalid policy {p}: STRICT or LENIENT"))?,
            };
            warden_core::diff::diff(&old, &new, policy)
        }
    };
    let out = if args.json {
        serde_json::to_string_pretty(&diff)? + "\n"
    } else {
        text(&diff)
    };
    // anstream strips the colours when stdout is not a terminal (or NO_COLOR is set).
    let mut stdout = anstream::stdout();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// The format of a file: `explicit`, or from its extension and content.
fn format_of(path: &Path, text: &str, explicit: Option<&str>) -> anyhow::Result<SchemaType> {
    if let Some(t) = explicit {
        return t
            .parse()
            .map_err(|_| anyhow::anyhow!("unknown type {t}: AVRO, PROTOBUF or JSON"));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    Ok(match ext {
        "proto" => SchemaType::Protobuf,
        "avsc" | "avro" => SchemaType::Avro,
        "json" => {
            let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            let avro = matches!(
                value.get("type").and_then(|t| t.as_str()),
                Some("record" | "enum" | "fixed" | "error")
            ) && value.get("$schema").is_none();
            if avro {
                SchemaType::Avro
            } else {
                SchemaType::Json
            }
        }
        _ => bail!(
            "{}: cannot tell the format from the extension; give --type AVRO|PROTOBUF|JSON",
            path.display()
        ),
    })
}

fn read(path: &Path, explicit: Option<&str>) -> anyhow::Result<ParsedSchema> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let schema_type = format_of(path, &text, explicit)?;
    ParsedSchema::parse(schema_type, &text, &[]).with_context(|| {
        format!(
            "{} does not parse as {}",
            path.display(),
            schema_type.as_str()
        )
    })
}

const RED: Style = AnsiColor::Red.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

fn styled(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// One direction of a change: `ok (RULE)` or `BREAKING RULE`.
fn judged(name: &str, j: &warden_core::diff::Judgement) -> String {
    if j.compatible {
        format!("{name} {}", styled(GREEN, "ok"))
    } else {
        format!(
            "{name} {} {}",
            styled(RED, "BREAKING"),
            styled(BOLD, &j.rule)
        )
    }
}

/// A fragment's lines, each after `mark`, cut to 12 lines.
fn fragment(out: &mut String, mark: &str, style: Style, text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    for line in lines.iter().take(12) {
        out.push_str(&format!(
            "      {}\n",
            styled(style, &format!("{mark} {line}"))
        ));
    }
    if lines.len() > 12 {
        out.push_str(&format!(
            "      {}\n",
            styled(DIM, &format!("… {} more lines", lines.len() - 12))
        ));
    }
}

fn change(out: &mut String, c: &Change) {
    let broken = !c.backward.compatible || !c.forward.compatible;
    let mark = if broken {
        styled(RED, "✗")
    } else {
        styled(GREEN, "✓")
    };
    out.push_str(&format!(
        "  {mark} {} {}\n      {}  {}\n",
        styled(BOLD, &c.kind),
        c.path,
        judged("backward", &c.backward),
        judged("forward", &c.forward)
    ));
    if let Some(old) = &c.old {
        fragment(out, "-", RED, old);
    }
    if let Some(new) = &c.new {
        fragment(out, "+", GREEN, new);
    }
}

/// The text rendering: each change, then the verdict per level.
pub(crate) fn text(diff: &SchemaDiff) -> String {
    let mut out = String::new();
    let breaking = diff
        .changes
        .iter()
        .filter(|c| !c.backward.compatible || !c.forward.compatible)
        .count();
    out.push_str(&format!(
        "{} {} change(s), {} breaking\n",
        diff.schema_type.as_str(),
        diff.changes.len(),
        breaking
    ));
    for c in &diff.changes {
        change(&mut out, c);
    }
    out.push_str("levels:");
    for l in &diff.levels {
        let verdict = if l.compatible {
            styled(GREEN, "compatible")
        } else {
            styled(RED, "incompatible")
        };
        out.push_str(&format!(" {} {verdict};", l.level));
    }
    out.pop();
    out.push('\n');
    out
}
