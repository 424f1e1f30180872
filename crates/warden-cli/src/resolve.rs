//! The files behind a schema's references: a project file and everything it references,
//! transitively, read from one [`Source`] into a [`Resolved`] graph.
//!
//! What a schema defines and uses (Avro named types, JSON Schema `$ref`s and `$id`s, Protobuf
//! imports) is decided by [`warden_core::references`], the rules the registry applies; this
//! module only finds the files: an Avro name among the names the project's Avro files define,
//! a `$ref` among the project's JSON Schema `$id`s or (relative) beside the referring file, a
//! Protobuf import under the project's import paths.

use std::collections::HashMap;

use anyhow::bail;
use warden_core::references::{AvroNames, JsonReferences, protobuf_imports};
use warden_core::{ResolvedReference, SchemaType};

use crate::project::{Entry, PROJECT_FILE, Project};
use crate::source::{Source, normalize};

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
                    SchemaType::Json => JsonReferences::parse(&target.text)
                        .ok()
                        .and_then(|r| r.id().map(str::to_owned))
                        .unwrap_or_else(|| name.clone()),
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

impl Project {
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

/// Walks one schema's references depth first, reading each file once.
struct Resolver<'a> {
    project: &'a Project,
    source: &'a Source,
    entries: &'a [Entry],
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    visiting: Vec<String>,
    /// Avro full name → the project file defining it.
    avro_index: Option<HashMap<String, String>>,
    /// JSON Schema document URI (its `$id`, resolved) → the project file declaring it.
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

    /// The direct dependencies of a file: (reference name, path, format). Text that is not
    /// JSON has none here; parsing it reports the error.
    fn dependencies(
        &mut self,
        path: &str,
        schema_type: SchemaType,
        text: &str,
    ) -> anyhow::Result<Vec<(String, String, SchemaType)>> {
        match schema_type {
            SchemaType::Protobuf => {
                let mut out = Vec::new();
                for import in protobuf_imports(text) {
                    let found = self.project.import_paths().iter().find_map(|root| {
                        let candidate = normalize(&format!("{root}/{import}"))?;
                        self.source.read(&candidate).ok()?.map(|_| candidate)
                    });
                    match found {
                        Some(p) => out.push((import, p, SchemaType::Protobuf)),
                        None => bail!(
                            "{path}: import {import:?} is not found under the import paths \
                             {:?} ([protobuf] import_paths in {PROJECT_FILE})",
                            self.project.import_paths()
                        ),
                    }
                }
                Ok(out)
            }
            SchemaType::Avro => {
                let Ok(names) = AvroNames::parse(text) else {
                    return Ok(Vec::new());
                };
                let index = self.avro_index()?;
                Ok(names
                    .external()
                    .filter_map(|name| {
                        let file = index.get(name)?;
                        Some((name.to_owned(), file.clone(), SchemaType::Avro))
                    })
                    .collect())
            }
            SchemaType::Json => {
                let Ok(references) = JsonReferences::parse(text) else {
                    return Ok(Vec::new());
                };
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                let mut out = Vec::new();
                for r in references.refs() {
                    let by_id = self.json_ids()?.get(r.uri()).cloned();
                    let file = if let Some(file) = by_id {
                        Some(file)
                    } else if r.is_relative() {
                        normalize(&format!("{dir}/{}", r.name()))
                            .filter(|p| self.source.read(p).ok().flatten().is_some())
                    } else {
                        None
                    };
                    if let Some(file) = file {
                        out.push((r.name().to_owned(), file, SchemaType::Json));
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
                let Ok(names) = AvroNames::parse(&text) else {
                    continue;
                };
                for name in names.defined() {
                    index.entry(name.clone()).or_insert_with(|| e.path.clone());
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
                    && let Ok(references) = JsonReferences::parse(&text)
                    && let Some(uri) = references.uri()
                {
                    ids.entry(uri.to_owned()).or_insert_with(|| e.path.clone());
                }
            }
            self.json_ids = Some(ids);
        }
        Ok(self.json_ids.as_ref().expect("just built"))
    }
}
