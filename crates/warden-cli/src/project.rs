//! The project file, `warden.toml`: which schema files map to which subjects, in which
//! format, under which compatibility level; and the resolution of references between the
//! files (Protobuf imports, Avro named types defined in other files, JSON Schema `$ref`s).
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
//!
//! [subjects."orders-value"]
//! compatibility = "FULL_TRANSITIVE"   # one subject's level
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use globset::GlobMatcher;
use serde::Deserialize;
use serde_json::Value;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, ResolvedReference, SchemaType};

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
}

/// One `[[schemas]]` group, parsed.
#[derive(Debug)]
struct Group {
    patterns: Vec<(String, GlobMatcher)>,
    subject: String,
    format: Option<SchemaType>,
    level: Option<CompatibilityLevel>,
    policy: Option<CompatibilityPolicy>,
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
    subjects: BTreeMap<String, (Option<CompatibilityLevel>, Option<CompatibilityPolicy>)>,
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
}

/// A schema file with everything it references, read from one [`Source`].
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// The schema and its dependencies, dependencies first; the schema itself is last.
    pub(crate) nodes: Vec<Node>,
}

/// One file in a [`Resolved`] graph.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Path relative to the project root.
    pub(crate) path: String,
    /// The subject it is (or would be) registered under: its project subject, or for a
    /// Protobuf import outside the project its import path (Confluent's default for
    /// references).
    pub(crate) subject: String,
    /// The format.
    pub(crate) schema_type: SchemaType,
    /// The text.
    pub(crate) text: String,
    /// Its direct references: the name it uses, and the index of the referenced node.
    pub(crate) references: Vec<(String, usize)>,
}

impl Resolved {
    /// The schema itself.
    pub(crate) fn root(&self) -> &Node {
        self.nodes
            .last()
            .expect("a resolved schema has its own node")
    }

    /// The references to pass to the parser: the transitive closure, dependencies first, each
    /// named as the schema that uses it names it.
    pub(crate) fn closure(&self) -> Vec<ResolvedReference> {
        let root = self.nodes.len() - 1;
        let mut names: HashMap<usize, String> = HashMap::new();
        // The root's own names win: they are what the schema text says.
        for (name, index) in &self.nodes[root].references {
            names.insert(*index, name.clone());
        }
        for node in &self.nodes[..root] {
            for (name, index) in &node.references {
                let target = &self.nodes[*index];
                let name = match target.schema_type {
                    // A JSON Schema's transitive references resolve against their own `$id`.
                    SchemaType::Json => json_id(&target.text).unwrap_or_else(|| name.clone()),
                    SchemaType::Avro | SchemaType::Protobuf => name.clone(),
                };
                names.entry(*index).or_insert(name);
            }
        }
        self.nodes[..root]
            .iter()
            .enumerate()
            .map(|(i, node)| ResolvedReference {
                name: names.get(&i).cloned().unwrap_or_else(|| node.path.clone()),
                schema_type: node.schema_type,
                schema: node.text.clone(),
            })
            .collect()
    }
}

fn json_id(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    let id = value.get("$id").or_else(|| value.get("id"))?.as_str()?;
    Some(id.trim_end_matches('#').to_owned())
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
            });
        }
        let mut subjects = BTreeMap::new();
        for (subject, s) in &file.subjects {
            let whence = format!("{name}: [subjects.{subject:?}]");
            subjects.insert(
                subject.clone(),
                (
                    s.compatibility
                        .as_deref()
                        .map(|l| level(l, &format!("{whence} compatibility")))
                        .transpose()?,
                    s.compatibility_policy
                        .as_deref()
                        .map(|p| policy(p, &format!("{whence} compatibility_policy")))
                        .transpose()?,
                ),
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
                let own_level = own.and_then(|s| s.0);
                let own_policy = own.and_then(|s| s.1);
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

    /// Reads `entry` from `source` with every file it references, transitively.
    ///
    /// `Ok(None)` when the file itself is not in `source`.
    /// Errors: a Protobuf import found under no import path (and not built in), a reference
    /// cycle, unreadable files.
    pub(crate) fn resolve(
        &self,
        source: &Source,
        entries: &[Entry],
        entry: &Entry,
    ) -> anyhow::Result<Option<Resolved>> {
        let Some(text) = source.read(&entry.path)? else {
            return Ok(None);
        };
        let mut resolver = Resolver {
            project: self,
            source,
            entries,
            nodes: Vec::new(),
            index: HashMap::new(),
            visiting: Vec::new(),
            avro_index: None,
            json_ids: None,
        };
        resolver.visit(&entry.path, entry.schema_type, &entry.subject, text)?;
        Ok(Some(Resolved {
            nodes: resolver.nodes,
        }))
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

struct Resolver<'a> {
    project: &'a Project,
    source: &'a Source,
    entries: &'a [Entry],
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    visiting: Vec<String>,
    /// Avro full name → the project file defining it.
    avro_index: Option<HashMap<String, String>>,
    /// JSON Schema `$id` → the project file declaring it.
    json_ids: Option<HashMap<String, String>>,
}

impl Resolver<'_> {
    fn visit(
        &mut self,
        path: &str,
        schema_type: SchemaType,
        subject: &str,
        text: String,
    ) -> anyhow::Result<usize> {
        if let Some(i) = self.index.get(path) {
            return Ok(*i);
        }
        if self.visiting.iter().any(|p| p == path) {
            bail!("reference cycle: {} -> {path}", self.visiting.join(" -> "));
        }
        self.visiting.push(path.to_owned());
        let mut references = Vec::new();
        for (name, dep_path, dep_type) in self.dependencies(path, schema_type, &text)? {
            if dep_path == path {
                continue;
            }
            let Some(dep_text) = self.source.read(&dep_path)? else {
                continue;
            };
            let dep_subject = self
                .entries
                .iter()
                .find(|e| e.path == dep_path)
                .map_or_else(|| name.clone(), |e| e.subject.clone());
            let i = self.visit(&dep_path, dep_type, &dep_subject, dep_text)?;
            if !references.iter().any(|(n, _)| *n == name) {
                references.push((name, i));
            }
        }
        self.visiting.pop();
        self.nodes.push(Node {
            path: path.to_owned(),
            subject: subject.to_owned(),
            schema_type,
            text,
            references,
        });
        let i = self.nodes.len() - 1;
        self.index.insert(path.to_owned(), i);
        Ok(i)
    }

    /// The direct dependencies of a file: (reference name, path, format).
    fn dependencies(
        &mut self,
        path: &str,
        schema_type: SchemaType,
        text: &str,
    ) -> anyhow::Result<Vec<(String, String, SchemaType)>> {
        match schema_type {
            SchemaType::Protobuf => {
                let mut out = Vec::new();
                for import in warden_core::protobuf::import_paths(text) {
                    if warden_core::protobuf::is_builtin_import(&import) {
                        continue;
                    }
                    let found = self.project.import_paths.iter().find_map(|root| {
                        let candidate = normalize(&format!("{root}/{import}"))?;
                        self.source.read(&candidate).ok()?.map(|_| candidate)
                    });
                    match found {
                        Some(p) => out.push((import, p, SchemaType::Protobuf)),
                        None => bail!(
                            "{path}: import {import:?} is not found under the import paths \
                             {:?} ([protobuf] import_paths in {PROJECT_FILE})",
                            self.project.import_paths
                        ),
                    }
                }
                Ok(out)
            }
            SchemaType::Avro => {
                let Ok(value) = serde_json::from_str::<Value>(text) else {
                    return Ok(Vec::new());
                };
                let mut defined = BTreeSet::new();
                let mut used = BTreeSet::new();
                avro_names(&value, "", &mut defined, &mut used);
                let index = self.avro_index()?;
                let mut out = Vec::new();
                for name in used.difference(&defined) {
                    if let Some(file) = index.get(name) {
                        out.push((name.clone(), file.clone(), SchemaType::Avro));
                    }
                }
                Ok(out)
            }
            SchemaType::Json => {
                let Ok(value) = serde_json::from_str::<Value>(text) else {
                    return Ok(Vec::new());
                };
                let base = value
                    .get("$id")
                    .and_then(Value::as_str)
                    .map(|s| s.trim_end_matches('#').to_owned());
                let mut refs = BTreeSet::new();
                json_refs(&value, &mut refs);
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                let mut out = Vec::new();
                for r in refs {
                    let absolute = resolve_url(base.as_deref(), &r);
                    let by_id = self.json_ids()?.get(&absolute).cloned();
                    let file = if let Some(file) = by_id {
                        Some(file)
                    } else if !r.contains("://") {
                        normalize(&format!("{dir}/{r}"))
                            .filter(|p| self.source.read(p).ok().flatten().is_some())
                    } else {
                        None
                    };
                    if let Some(file) = file {
                        out.push((r, file, SchemaType::Json));
                    }
                }
                Ok(out)
            }
        }
    }

    fn avro_index(&mut self) -> anyhow::Result<&HashMap<String, String>> {
        if self.avro_index.is_none() {
            let mut index = HashMap::new();
            for e in self
                .entries
                .iter()
                .filter(|e| e.schema_type == SchemaType::Avro)
            {
                let Some(text) = self.source.read(&e.path)? else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                let mut defined = BTreeSet::new();
                avro_names(&value, "", &mut defined, &mut BTreeSet::new());
                for name in defined {
                    index.entry(name).or_insert_with(|| e.path.clone());
                }
            }
            self.avro_index = Some(index);
        }
        Ok(self.avro_index.as_ref().expect("just built"))
    }

    fn json_ids(&mut self) -> anyhow::Result<&HashMap<String, String>> {
        if self.json_ids.is_none() {
            let mut ids = HashMap::new();
            for e in self
                .entries
                .iter()
                .filter(|e| e.schema_type == SchemaType::Json)
            {
                if let Some(text) = self.source.read(&e.path)?
                    && let Some(id) = json_id(&text)
                {
                    ids.entry(id).or_insert_with(|| e.path.clone());
                }
            }
            self.json_ids = Some(ids);
        }
        Ok(self.json_ids.as_ref().expect("just built"))
    }
}

const AVRO_PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

fn qualify(name: &str, namespace: &str) -> String {
    if name.contains('.') || namespace.is_empty() {
        name.to_owned()
    } else {
        format!("{namespace}.{name}")
    }
}

/// Collects the full names an Avro schema defines and the ones it uses (Avro spec, "Names":
/// a name without a dot is in the enclosing namespace).
fn avro_names(
    value: &Value,
    namespace: &str,
    defined: &mut BTreeSet<String>,
    used: &mut BTreeSet<String>,
) {
    match value {
        Value::String(s) if !AVRO_PRIMITIVES.contains(&s.as_str()) => {
            used.insert(qualify(s, namespace));
            // An unqualified name may also be a type of the null namespace.
            if !s.contains('.') && !namespace.is_empty() {
                used.insert(s.clone());
            }
        }
        Value::Array(items) => {
            for item in items {
                avro_names(item, namespace, defined, used);
            }
        }
        Value::Object(map) => {
            let kind = map.get("type");
            match kind.and_then(Value::as_str) {
                Some("record" | "error" | "enum" | "fixed") => {
                    let name = map.get("name").and_then(Value::as_str).unwrap_or_default();
                    let ns = map
                        .get("namespace")
                        .and_then(Value::as_str)
                        .unwrap_or(namespace);
                    let full = qualify(name, ns);
                    let inner_ns = full.rsplit_once('.').map_or("", |(n, _)| n).to_owned();
                    defined.insert(full);
                    if let Some(Value::Array(fields)) = map.get("fields") {
                        for f in fields {
                            if let Some(t) = f.get("type") {
                                avro_names(t, &inner_ns, defined, used);
                            }
                        }
                    }
                }
                Some("array") => {
                    if let Some(items) = map.get("items") {
                        avro_names(items, namespace, defined, used);
                    }
                }
                Some("map") => {
                    if let Some(values) = map.get("values") {
                        avro_names(values, namespace, defined, used);
                    }
                }
                _ => {
                    if let Some(t) = kind {
                        avro_names(t, namespace, defined, used);
                    }
                }
            }
        }
        _ => {}
    }
}

/// Every `$ref` of a JSON Schema that points outside it, without its fragment.
fn json_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let doc = r.split('#').next().unwrap_or_default();
                if !doc.is_empty() {
                    out.insert(doc.to_owned());
                }
            }
            for (k, v) in map {
                // `enum`, `const`, `examples` and `default` hold data, not schemas.
                if !matches!(k.as_str(), "enum" | "const" | "examples" | "default") {
                    json_refs(v, out);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                json_refs(v, out);
            }
        }
        _ => {}
    }
}

/// Resolves a relative URL against a base URL (RFC 3986, enough for `$ref`s: absolute URLs,
/// absolute paths and relative paths).
fn resolve_url(base: Option<&str>, r: &str) -> String {
    if r.contains("://") {
        return r.to_owned();
    }
    let Some(base) = base.filter(|b| b.contains("://")) else {
        return r.to_owned();
    };
    let (scheme, rest) = base.split_once("://").expect("checked above");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if let Some(abs) = r.strip_prefix('/') {
        return format!("{scheme}://{authority}/{abs}");
    }
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = normalize(&format!("{dir}/{r}")).unwrap_or_else(|| r.to_owned());
    format!("{scheme}://{authority}/{joined}")
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
    fn avro_names_separate_defined_types_from_used_ones() {
        let schema: Value = serde_json::from_str(
            r#"{"type":"record","name":"Order","namespace":"acme","fields":[
                {"name":"a","type":"Address"},
                {"name":"b","type":{"type":"array","items":"com.x.Item"}},
                {"name":"c","type":["null",{"type":"enum","name":"E","symbols":["A"]}]},
                {"name":"d","type":"E"}]}"#,
        )
        .unwrap();
        let (mut defined, mut used) = (BTreeSet::new(), BTreeSet::new());
        avro_names(&schema, "", &mut defined, &mut used);
        let external: Vec<_> = used.difference(&defined).cloned().collect();
        assert_eq!(
            defined,
            BTreeSet::from(["acme.Order".into(), "acme.E".into()])
        );
        assert!(external.contains(&"acme.Address".to_owned()));
        assert!(external.contains(&"com.x.Item".to_owned()));
    }

    #[test]
    fn relative_refs_resolve_against_the_id() {
        assert_eq!(
            resolve_url(
                Some("https://json.schemastore.org/package.json"),
                "ava.json"
            ),
            "https://json.schemastore.org/ava.json"
        );
        assert_eq!(resolve_url(None, "ava.json"), "ava.json");
    }
}
