//! The project file, `warden.toml`: which schema files map to which subjects, in which
//! format, under which compatibility level, and where Protobuf imports are found. How the
//! files reference each other is [`crate::resolve`]'s business.
//!
//! ```toml
//! [defaults]
//! compatibility = "BACKWARD"          # the level of every subject not listed below
//! compatibility_policy = "STRICT"     # JSON Schema only: STRICT or LENIENT
//!
//! [protobuf]
//! import_paths = ["proto"]            # roots imports are resolved against (like protoc -I)
//!
//! [[schemas]]
//! files = ["schemas/*.avsc"]          # globs relative to warden.toml (`**` crosses folders)
//! subject = "{name}"                  # naming rule: {name} {file} {path} {dir}, or a literal
//! format = "AVRO"                     # optional: from the extension (.avsc .proto .json)
//! compatibility = "FULL"              # optional: the level of these subjects
//! contract = "contracts/{name}.json"  # optional: each subject's data contract (below)
//!
//! [subjects."orders-value"]
//! compatibility = "FULL_TRANSITIVE"   # one subject's level
//! contract = "contracts/orders.json"  # one subject's data contract
//! ```
//!
//! A data contract file holds what a registration sends besides the schema:
//! `{"metadata": {...}, "ruleSet": {...}}` (Confluent's field names). `warden check`
//! compares it with the previous version's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use globset::GlobMatcher;
use serde::Deserialize;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, SchemaType};

use crate::source::{Source, normalize};

/// The project file's name, looked for in the current directory and its parents.
pub(crate) const PROJECT_FILE: &str = "warden.toml";

/// `warden.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    protobuf: ProtobufSection,
    #[serde(default)]
    schemas: Vec<SchemaGroup>,
    #[serde(default)]
    subjects: BTreeMap<String, SubjectSettings>,
    /// The registry's own settings (`warden serve --config warden.toml`), read by the
    /// server, not by the project commands.
    #[serde(default)]
    #[allow(dead_code)]
    server: Option<toml::Table>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    compatibility: Option<String>,
    compatibility_policy: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProtobufSection {
    #[serde(default)]
    import_paths: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaGroup {
    files: OneOrMany,
    subject: Option<String>,
    format: Option<String>,
    compatibility: Option<String>,
    compatibility_policy: Option<String>,
    contract: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectSettings {
    compatibility: Option<String>,
    compatibility_policy: Option<String>,
    contract: Option<String>,
}

/// One `[[schemas]]` group, parsed.
#[derive(Debug)]
struct Group {
    patterns: Vec<(String, GlobMatcher)>,
    subject: String,
    format: Option<SchemaType>,
    level: Option<CompatibilityLevel>,
    policy: Option<CompatibilityPolicy>,
    /// The data contract file's naming rule.
    contract: Option<String>,
}

/// One `[subjects."…"]` table, parsed.
#[derive(Debug, Default)]
struct SubjectOwn {
    level: Option<CompatibilityLevel>,
    policy: Option<CompatibilityPolicy>,
    contract: Option<String>,
}

/// A loaded, validated project.
#[derive(Debug)]
pub(crate) struct Project {
    /// The folder holding `warden.toml`; every path is relative to it.
    pub(crate) root: PathBuf,
    groups: Vec<Group>,
    default_level: CompatibilityLevel,
    default_policy: CompatibilityPolicy,
    default_level_explicit: bool,
    subjects: BTreeMap<String, SubjectOwn>,
    import_paths: Vec<String>,
}

/// One schema file of the project and the subject it is registered under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Path relative to the project root, `/`-separated.
    pub(crate) path: String,
    /// The subject.
    pub(crate) subject: String,
    /// The format.
    pub(crate) schema_type: SchemaType,
    /// The subject's compatibility level in the project.
    pub(crate) level: CompatibilityLevel,
    /// How JSON Schema changes are judged.
    pub(crate) policy: CompatibilityPolicy,
    /// Whether `warden.toml` states the level (for the subject, its group, or in
    /// `[defaults]`), rather than falling back to BACKWARD.
    pub(crate) level_is_explicit: bool,
    /// The data contract file (`{"metadata", "ruleSet"}`), relative to the project root,
    /// when `warden.toml` names one for the subject or its group.
    pub(crate) contract: Option<String>,
}

fn level(s: &str, whence: &str) -> anyhow::Result<CompatibilityLevel> {
    s.parse()
        .map_err(|e: warden_core::types::ParseError| anyhow::anyhow!("{whence}: {}", e.0))
}

fn policy(s: &str, whence: &str) -> anyhow::Result<CompatibilityPolicy> {
    s.parse()
        .map_err(|e: warden_core::types::ParseError| anyhow::anyhow!("{whence}: {}", e.0))
}

/// The format a file's extension implies: `.avsc` Avro, `.proto` Protobuf, `.json` JSON
/// Schema.
pub(crate) fn format_from_extension(path: &str) -> Option<SchemaType> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "avsc" => Some(SchemaType::Avro),
        "proto" => Some(SchemaType::Protobuf),
        "json" => Some(SchemaType::Json),
        _ => None,
    }
}

/// Finds `warden.toml`: the given path, or the first in the current directory and its
/// parents.
pub(crate) fn find(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        if !path.is_file() {
            bail!("{} not found", path.display());
        }
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    for dir in cwd.ancestors() {
        let candidate = dir.join(PROJECT_FILE);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "no {PROJECT_FILE} in {} or its parents (run `warden init` to write one)",
        cwd.display()
    )
}

impl Project {
    /// Reads and validates the project file at `path`.
    ///
    /// Errors: unreadable file, TOML syntax, unknown keys, an unknown level, policy or format,
    /// a group without files.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file: ProjectFile = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message().trim_end()))?;
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let name = path.display().to_string();
        let default_level = match &file.defaults.compatibility {
            Some(l) => level(l, &format!("{name}: [defaults] compatibility"))?,
            None => CompatibilityLevel::Backward,
        };
        let default_policy = match &file.defaults.compatibility_policy {
            Some(p) => policy(p, &format!("{name}: [defaults] compatibility_policy"))?,
            None => CompatibilityPolicy::Strict,
        };
        let mut groups = Vec::new();
        for (i, g) in file.schemas.iter().enumerate() {
            let whence = format!("{name}: [[schemas]] #{}", i + 1);
            let patterns = match &g.files {
                OneOrMany::One(p) => vec![p.clone()],
                OneOrMany::Many(ps) => ps.clone(),
            };
            if patterns.is_empty() {
                bail!("{whence}: `files` is empty");
            }
            let mut matchers = Vec::new();
            for p in patterns {
                let glob = globset::GlobBuilder::new(p.trim_start_matches("./"))
                    .literal_separator(true)
                    .build()
                    .with_context(|| format!("{whence}: bad glob {p:?}"))?;
                matchers.push((p, glob.compile_matcher()));
            }
            let format =
                match &g.format {
                    Some(f) => Some(f.parse::<SchemaType>().map_err(|e| {
                        anyhow::anyhow!("{whence}: {} (AVRO, PROTOBUF or JSON)", e.0)
                    })?),
                    None => None,
                };
            groups.push(Group {
                patterns: matchers,
                subject: g.subject.clone().unwrap_or_else(|| "{name}".to_owned()),
                format,
                level: g
                    .compatibility
                    .as_deref()
                    .map(|l| level(l, &format!("{whence} compatibility")))
                    .transpose()?,
                policy: g
                    .compatibility_policy
                    .as_deref()
                    .map(|p| policy(p, &format!("{whence} compatibility_policy")))
                    .transpose()?,
                contract: g.contract.clone(),
            });
        }
        let mut subjects = BTreeMap::new();
        for (subject, s) in &file.subjects {
            let whence = format!("{name}: [subjects.{subject:?}]");
            subjects.insert(
                subject.clone(),
                SubjectOwn {
                    level: s
                        .compatibility
                        .as_deref()
                        .map(|l| level(l, &format!("{whence} compatibility")))
                        .transpose()?,
                    policy: s
                        .compatibility_policy
                        .as_deref()
                        .map(|p| policy(p, &format!("{whence} compatibility_policy")))
                        .transpose()?,
                    contract: s.contract.clone(),
                },
            );
        }
        let mut import_paths: Vec<String> = file
            .protobuf
            .import_paths
            .iter()
            .map(|p| normalize(p).unwrap_or_default())
            .collect();
        if import_paths.is_empty() {
            import_paths.push(String::new());
        }
        Ok(Self {
            root,
            groups,
            default_level,
            default_policy,
            default_level_explicit: file.defaults.compatibility.is_some(),
            subjects,
            import_paths,
        })
    }

    /// The project's schema files in `source`, sorted by path.
    ///
    /// With `strict`, a glob that matches no file is an error (in the working tree a typo
    /// would otherwise check nothing); for an older revision it is not.
    ///
    /// Errors: a glob matching nothing (strict), a file without a known format, two files for
    /// one subject, a literal subject given to several files.
    pub(crate) fn entries(&self, source: &Source, strict: bool) -> anyhow::Result<Vec<Entry>> {
        let files = source.files()?;
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for group in &self.groups {
            let mut matched = Vec::new();
            for (pattern, matcher) in &group.patterns {
                let before = matched.len();
                for f in &files {
                    if matcher.is_match(f) && !seen.contains(f) && !matched.contains(f) {
                        matched.push(f.clone());
                    }
                }
                if strict && matched.len() == before && !files.iter().any(|f| matcher.is_match(f)) {
                    bail!("{PROJECT_FILE}: the glob {pattern:?} matches no file");
                }
            }
            if matched.len() > 1 && !group.subject.contains('{') {
                bail!(
                    "{PROJECT_FILE}: the subject {:?} is given to {} files; use a naming rule \
                     such as \"{{name}}\"",
                    group.subject,
                    matched.len()
                );
            }
            for path in matched {
                let schema_type = match group.format.or_else(|| format_from_extension(&path)) {
                    Some(t) => t,
                    None => bail!(
                        "{path}: cannot tell the format from the extension; set `format` \
                         (AVRO, PROTOBUF or JSON) in {PROJECT_FILE}"
                    ),
                };
                let subject = subject_for(&group.subject, &path);
                let own = self.subjects.get(&subject);
                let own_level = own.and_then(|s| s.level);
                let own_policy = own.and_then(|s| s.policy);
                let contract = own
                    .and_then(|s| s.contract.clone())
                    .or_else(|| group.contract.as_deref().map(|c| subject_for(c, &path)))
                    .map(|c| normalize(&c).unwrap_or(c));
                seen.insert(path.clone());
                entries.push(Entry {
                    path,
                    subject,
                    schema_type,
                    level: own_level.or(group.level).unwrap_or(self.default_level),
                    policy: own_policy.or(group.policy).unwrap_or(self.default_policy),
                    level_is_explicit: own_level.is_some()
                        || group.level.is_some()
                        || self.default_level_explicit,
                    contract,
                });
            }
        }
        let mut by_subject: BTreeMap<&str, &str> = BTreeMap::new();
        for e in &entries {
            if let Some(other) = by_subject.insert(&e.subject, &e.path) {
                bail!(
                    "{PROJECT_FILE}: {other} and {} both map to the subject {:?}",
                    e.path,
                    e.subject
                );
            }
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// The roots Protobuf imports are looked for under, relative to the project root
    /// (`[protobuf] import_paths`; the root itself when none is given).
    pub(crate) fn import_paths(&self) -> &[String] {
        &self.import_paths
    }
}

/// Fills a subject naming rule for `path`: `{name}` the file name without its extension,
/// `{file}` the file name, `{path}` the path without the extension, `{dir}` the folder.
pub(crate) fn subject_for(template: &str, path: &str) -> String {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let name = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let without_ext = path.rsplit_once('.').map_or(path, |(stem, _)| stem);
    template
        .replace("{name}", name)
        .replace("{file}", file)
        .replace("{path}", without_ext)
        .replace("{dir}", dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_naming_rules_fill_the_file_name_path_and_folder() {
        assert_eq!(
            subject_for("{name}", "schemas/orders-value.avsc"),
            "orders-value"
        );
        assert_eq!(subject_for("{path}", "a/b/c.proto"), "a/b/c");
        assert_eq!(subject_for("{file}", "a/b/c.proto"), "c.proto");
        assert_eq!(
            subject_for("{dir}-{name}", "events/user.json"),
            "events-user"
        );
    }

    #[test]
    fn a_project_file_may_hold_the_registrys_server_section() {
        let text = r#"
[defaults]
compatibility = "FULL"

[server.auth]
users_file = "/etc/warden/users"

[[server.auth.rules]]
principals = ["ci"]
operations = ["read", "write"]
"#;
        let file: ProjectFile = toml::from_str(text).unwrap();
        assert_eq!(file.defaults.compatibility.as_deref(), Some("FULL"));
        let bad: Result<ProjectFile, _> = toml::from_str("[defualts]\n");
        assert!(bad.is_err(), "other unknown sections are still refused");
    }
}
