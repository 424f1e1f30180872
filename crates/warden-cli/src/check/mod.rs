//! `warden check`: would the project's schemas break readers or writers of the previous
//! versions? Against a git revision or a directory (offline, with warden-core's checkers),
//! or against a registry (its compatibility endpoint, `verbose=true`).

mod online;
pub(crate) mod output;

use std::path::PathBuf;

use anyhow::bail;
use warden_core::rules::{RuleSet, changes};
use warden_core::violation::Message;
use warden_core::{CompatibilityLevel, Context, ParsedSchema, SchemaError, SchemaType};

use crate::exit::Exit;
use crate::project::{self, Entry, Project};
use crate::registry::RegistryArgs;
use crate::resolve::Resolved;
use crate::source::Source;

/// Arguments of `warden check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// What to compare with: `git:REF` (e.g. `git:origin/main`, offline), a registry URL
    /// (`http://…`, its live versions and levels), `registry` (the `--registry-url`), or a
    /// directory of previous versions.
    #[arg(long, value_name = "git:REF|URL|registry|DIR")]
    against: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = output::Format::Text)]
    format: output::Format,
    /// The project file (default: `warden.toml` in the current directory or a parent).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The schema context the project's subjects are in (`.ctx`, `ctx` or `:.ctx:`): each
    /// subject (and reference) is checked as `:.ctx:subject`, as Confluent qualifies a
    /// context's subjects; a subject the project already qualifies keeps its context.
    #[arg(long, env = "WARDEN_CONTEXT", value_name = "CONTEXT")]
    context: Option<String>,
    /// The registry for `--against registry`, and credentials for any registry.
    #[command(flatten)]
    registry: RegistryArgs,
}

/// What `--against` names.
#[derive(Debug)]
enum Target {
    Git(String),
    Registry(String),
    Dir(PathBuf),
}

impl Target {
    fn parse(s: &str, registry: &RegistryArgs) -> anyhow::Result<Self> {
        if s == "registry" {
            let Some(url) = &registry.url else {
                bail!("--against registry: pass --registry-url or set WARDEN_REGISTRY_URL");
            };
            return Ok(Self::Registry(url.clone()));
        }
        if let Some(rev) = s.strip_prefix("git:") {
            if rev.is_empty() {
                bail!("--against git: needs a revision, e.g. git:origin/main");
            }
            return Ok(Self::Git(rev.to_owned()));
        }
        if s.starts_with("http://") || s.starts_with("https://") {
            return Ok(Self::Registry(s.to_owned()));
        }
        let dir = PathBuf::from(s);
        if !dir.is_dir() {
            bail!("--against {s}: not a directory, a git:REF or an http(s) registry URL");
        }
        Ok(Self::Dir(dir))
    }
}

/// The verdict for one subject.
#[derive(Debug, Clone)]
pub(crate) struct SubjectReport {
    /// The subject.
    pub(crate) subject: String,
    /// The schema file, relative to the project root.
    pub(crate) file: String,
    /// The format.
    pub(crate) schema_type: SchemaType,
    /// The level the check ran under.
    pub(crate) level: String,
    /// What happened.
    pub(crate) outcome: Outcome,
}

/// What a check found for one subject.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Compatible with the previous version(s).
    Compatible,
    /// Nothing to compare with: a new file or subject; `note` says why when it is not plain.
    New {
        /// Why there was nothing to compare with, when it is not simply a new file.
        note: Option<String>,
    },
    /// Incompatible: every violation.
    Incompatible(Vec<Finding>),
    /// The file existed in the previous version and is gone.
    Deleted,
    /// The schema could not be checked: it does not parse, or a reference is missing.
    Invalid {
        /// The parser's (or resolver's) reason.
        message: String,
        /// 1-based line in the file, when known.
        line: Option<u32>,
    },
}

/// One violation, located.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    /// Confluent's rule name, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`.
    pub(crate) rule: String,
    /// The path the rule names (`/fields/3`, `#/properties/email`, `#/Order/3`).
    pub(crate) path: String,
    /// The description.
    pub(crate) message: String,
    /// 1-based line in the new file the path points at, best effort (1 when unknown).
    pub(crate) line: u32,
    /// The previous version it breaks: a registry version number, or the revision.
    pub(crate) old_version: Option<String>,
}

/// Every subject's verdict.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// What the schemas were compared with (`git:HEAD~1`, a URL, a directory).
    pub(crate) against: String,
    /// Sorted by file.
    pub(crate) subjects: Vec<SubjectReport>,
}

impl Report {
    /// 0 compatible, 1 incompatible (or a file deleted), 2 a schema that cannot be checked.
    pub(crate) fn exit_code(&self) -> u8 {
        let mut code = 0;
        for s in &self.subjects {
            match s.outcome {
                Outcome::Invalid { .. } => return 2,
                Outcome::Incompatible(_) | Outcome::Deleted => code = 1,
                Outcome::Compatible | Outcome::New { .. } => {}
            }
        }
        code
    }
}

/// Runs `warden check`.
pub(crate) async fn run(args: CheckArgs) -> anyhow::Result<()> {
    let target = Target::parse(&args.against, &args.registry)?;
    let project = Project::load(&project::find(args.config.as_deref())?)?;
    let context = match args.context.as_deref() {
        Some(name) => Context::parse(name).map_err(|e| anyhow::anyhow!("--context: {}", e.0))?,
        None => Context::default_context(),
    };
    let current = Source::dir(&project.root)?;
    let mut entries = project.entries(&current, true)?;
    qualify(&mut entries, &context);
    let report = match target {
        Target::Git(rev) => {
            let previous = Source::git(&project.root, &rev)?;
            offline(&project, &current, &entries, &previous, &context)?
        }
        Target::Dir(dir) => {
            let previous = Source::dir(&dir)?;
            offline(&project, &current, &entries, &previous, &context)?
        }
        Target::Registry(url) => {
            let client = args.registry.client_for(&url)?;
            online::check(&project, &current, &entries, &client, &url).await?
        }
    };
    output::print(&report, args.format, &project.root)?;
    match report.exit_code() {
        0 => Ok(()),
        code => Err(Exit(code).into()),
    }
}

/// Parses a resolved schema; the error names the line when the parser says it.
pub(crate) fn parse(resolved: &Resolved) -> Result<ParsedSchema, (String, Option<u32>)> {
    let root = resolved.root();
    ParsedSchema::parse(root.schema_type, &root.text, &resolved.closure()).map_err(|e| {
        let message = match &e {
            SchemaError::Invalid(m) => m.clone(),
            other => other.to_string(),
        };
        let line = error_line(&message).or_else(|| {
            // JSON Schema meta-schema violations name the location as `'#/…'`.
            let at = message.find("'#/")?;
            let pointer = &message[at + 1..];
            let pointer = &pointer[..pointer.find('\'')?];
            Some(locate(root.schema_type, &root.text, pointer)).filter(|l| *l > 1)
        });
        (message, line)
    })
}

/// The line a parser error names: serde_json's `line N column M`, protox's
/// `default:LINE:COLUMN` for the main file.
fn error_line(message: &str) -> Option<u32> {
    if let Some(at) = message.find(" at line ") {
        let digits: String = message[at + 9..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        return digits.parse().ok();
    }
    let main = format!("{}:", warden_core::protobuf::DEFAULT_FILE_NAME);
    let rest = message.strip_prefix(&main)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Puts each entry's subject in `context` (`:.ctx:subject`), unless it names a context
/// already; the default context changes nothing.
fn qualify(entries: &mut [Entry], context: &Context) {
    let prefix = context.prefix();
    for entry in entries {
        if !entry.subject.starts_with(":.") {
            entry.subject = format!("{prefix}{}", entry.subject);
        }
    }
}

/// Compares each entry of the working tree with the same file in `previous`.
fn offline(
    project: &Project,
    current: &Source,
    entries: &[Entry],
    previous: &Source,
    context: &Context,
) -> anyhow::Result<Report> {
    let mut subjects = Vec::new();
    let mut old_entries = project.entries(previous, false)?;
    qualify(&mut old_entries, context);
    for entry in entries {
        let outcome = offline_one(project, current, entries, previous, &old_entries, entry);
        subjects.push(SubjectReport {
            subject: entry.subject.clone(),
            file: entry.path.clone(),
            schema_type: entry.schema_type,
            level: entry.level.as_str().to_owned(),
            outcome,
        });
    }
    // Files the previous version had and the working tree lost.
    for old in old_entries {
        if !entries.iter().any(|e| e.path == old.path) {
            subjects.push(SubjectReport {
                subject: old.subject,
                file: old.path,
                schema_type: old.schema_type,
                level: old.level.as_str().to_owned(),
                outcome: Outcome::Deleted,
            });
        }
    }
    subjects.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(Report {
        against: previous.describe(),
        subjects,
    })
}

fn offline_one(
    project: &Project,
    current: &Source,
    entries: &[Entry],
    previous: &Source,
    old_entries: &[Entry],
    entry: &Entry,
) -> Outcome {
    let new = match project.resolve(current, entries, entry) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Outcome::Invalid {
                message: "the file disappeared while checking".into(),
                line: None,
            };
        }
        Err(e) => {
            return Outcome::Invalid {
                message: format!("{e:#}"),
                line: None,
            };
        }
    };
    let parsed_new = match parse(&new) {
        Ok(p) => p,
        Err((message, line)) => return Outcome::Invalid { message, line },
    };
    let old = match project.resolve(previous, old_entries, entry) {
        Ok(Some(r)) => r,
        Ok(None) => return Outcome::New { note: None },
        Err(e) => {
            return Outcome::New {
                note: Some(format!(
                    "the version at {} cannot be resolved: {e:#}",
                    previous.describe()
                )),
            };
        }
    };
    let parsed_old = match parse(&old) {
        Ok(p) => p,
        // A registry would never have accepted it, so there is nothing to break.
        Err((message, _)) => {
            return Outcome::New {
                note: Some(format!(
                    "the version at {} does not parse: {message}",
                    previous.describe()
                )),
            };
        }
    };
    let result =
        warden_core::check_with_policy(entry.level, entry.policy, &parsed_new, &[&parsed_old]);
    let contract_findings = match contract_changes(entry, current, previous, &parsed_new) {
        Ok(found) => found,
        Err(message) => {
            return Outcome::Invalid {
                message,
                line: None,
            };
        }
    };
    if result.is_compatible() && contract_findings.is_empty() {
        return Outcome::Compatible;
    }
    let text = &new.root().text;
    let mut findings: Vec<Finding> = result
        .failures
        .iter()
        .flat_map(|(_, violations)| violations)
        .map(|v| Finding {
            rule: v.rule.to_owned(),
            path: v.path.clone(),
            // A plain message (no rule, no description) is its own description.
            message: match Message::parse(&v.message) {
                Message::Difference { description, .. } => description,
                _ => v.message.clone(),
            },
            line: locate(entry.schema_type, text, &v.path),
            old_version: Some(previous.describe()),
        })
        .collect();
    findings.extend(contract_findings);
    Outcome::Incompatible(findings)
}

/// A subject's data contract, as its contract file gives it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Contract {
    /// The `metadata` object, as written.
    pub(crate) metadata: Option<serde_json::Value>,
    /// The `ruleSet` object, as written (what a registration sends).
    pub(crate) rule_set: Option<serde_json::Value>,
    /// The `ruleSet`, read.
    pub(crate) rules: RuleSet,
}

/// A subject's data contract in `source`: its `metadata` and `ruleSet`; both empty when the
/// project names no contract file for the subject or `source` lacks it.
///
/// Errors: the file is not JSON, or its rule set does not read as one.
pub(crate) fn read_contract(source: &Source, entry: &Entry) -> Result<Contract, String> {
    let Some(path) = &entry.contract else {
        return Ok(Contract::default());
    };
    let text = match source.read(path) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Contract::default()),
        Err(e) => return Err(format!("{e:#}")),
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))?;
    let rules = RuleSet::from_json(value.get("ruleSet"))
        .map_err(|e| format!("{path}: the ruleSet: {e}"))?;
    let field = |name| value.get(name).filter(|v| !v.is_null()).cloned();
    Ok(Contract {
        metadata: field("metadata"),
        rule_set: field("ruleSet"),
        rules,
    })
}

/// What the subject's data contract changes from `previous` to `current`: the rule-set
/// changes and the reserved-field changes of `warden_core::rules::changes`, as findings that
/// name the rule (or the field) and say what changed. Line 1 of the schema file: the change
/// is in the contract file.
///
/// Errors: the working tree's contract file does not read ([`read_contract`]).
fn contract_changes(
    entry: &Entry,
    current: &Source,
    previous: &Source,
    schema: &ParsedSchema,
) -> Result<Vec<Finding>, String> {
    if entry.contract.is_none() {
        return Ok(Vec::new());
    }
    let contract = read_contract(current, entry)?;
    // An unreadable older contract was never registered, so there is nothing to break.
    let old = read_contract(previous, entry).unwrap_or_default();
    let mut violations = changes::rule_set_changes(&old.rules, &contract.rules);
    violations.extend(changes::reserved_field_changes(
        contract.metadata.as_ref(),
        schema,
        Some(old.metadata.as_ref()),
    ));
    Ok(violations
        .into_iter()
        .map(|v| Finding {
            rule: v.rule.to_owned(),
            message: match Message::parse(&v.message) {
                Message::Difference { description, .. } => description,
                _ => v.message.clone(),
            },
            path: v.path,
            line: 1,
            old_version: Some(previous.describe()),
        })
        .collect())
}

/// The 1-based line of `text` a violation path points at, best effort: the names along the
/// path are searched in order (field names for Avro, keys for JSON Schema, message, oneof
/// names and field numbers for Protobuf). 1 when nothing is found.
pub(crate) fn locate(schema_type: SchemaType, text: &str, path: &str) -> u32 {
    let segments: Vec<&str> = path
        .trim_start_matches('#')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let needles: Vec<String> = match schema_type {
        SchemaType::Avro => avro_needles(text, &segments),
        SchemaType::Json => segments
            .iter()
            .filter(|s| s.parse::<usize>().is_err())
            .map(|s| format!("\"{}\"", s.replace("~1", "/").replace("~0", "~")))
            .collect(),
        SchemaType::Protobuf => segments
            .iter()
            .map(|s| {
                if s.parse::<u32>().is_ok() {
                    format!("= {s}")
                } else {
                    format!(" {s}")
                }
            })
            .collect(),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut cursor = 0;
    let mut found = None;
    for needle in &needles {
        let hit = lines
            .iter()
            .enumerate()
            .skip(cursor)
            .find(|(_, line)| contains_token(line, needle));
        match hit {
            Some((i, _)) => {
                found = Some(i);
                cursor = i;
            }
            None => break,
        }
    }
    found.map_or(1, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
}

/// `needle` in `line`, not followed by an identifier or digit character (so `= 1` does not
/// match `= 12`, nor ` Order` match ` OrderLine`).
fn contains_token(line: &str, needle: &str) -> bool {
    line.match_indices(needle).any(|(at, _)| {
        line[at + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// The field and type names an Avro path walks through, as `"name"` strings to search.
fn avro_needles(text: &str, segments: &[&str]) -> Vec<String> {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut in_fields = false;
    for seg in segments {
        let next = match (&value, seg.parse::<usize>()) {
            (serde_json::Value::Array(items), Ok(i)) => items.get(i).cloned(),
            (serde_json::Value::Object(map), _) => map.get(*seg).cloned(),
            _ => None,
        };
        let Some(next) = next else { break };
        if in_fields && let Some(name) = next.get("name").and_then(|n| n.as_str()) {
            out.push(format!("\"{name}\""));
        }
        in_fields = *seg == "fields";
        value = next;
    }
    out
}

/// The level names a registry reports, parsed for display (unknown names pass through).
pub(crate) fn level_name(level: &str) -> String {
    level
        .parse::<CompatibilityLevel>()
        .map_or_else(|_| level.to_owned(), |l| l.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_locate_the_line_of_the_field() {
        let avro = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[\n  {\"name\":\"a\",\"type\":\"int\"},\n  {\"name\":\"b\",\"type\":\"int\"}\n]}";
        assert_eq!(locate(SchemaType::Avro, avro, "/fields/1"), 3);
        let proto = "syntax = \"proto3\";\nmessage Order {\n  int32 id = 1;\n  string name = 12;\n  string note = 2;\n}\n";
        assert_eq!(locate(SchemaType::Protobuf, proto, "#/Order/2"), 5);
        let json = "{\n  \"properties\": {\n    \"a\": {},\n    \"b\": {}\n  }\n}";
        assert_eq!(locate(SchemaType::Json, json, "#/properties/b"), 4);
        assert_eq!(locate(SchemaType::Json, json, "#/nowhere"), 1);
    }

    #[test]
    fn parser_errors_name_their_line() {
        assert_eq!(
            error_line("not valid JSON: expected value at line 3 column 5"),
            Some(3)
        );
        assert_eq!(error_line("default:12:7: expected ';'"), Some(12));
        assert_eq!(error_line("something else"), None);
    }
}
