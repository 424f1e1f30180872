//! Helpers shared by the JSON Schema corpus tests: where the corpus is, and the references a
//! corpus schema needs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use warden_core::{ResolvedReference, SchemaType};

pub(crate) fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `$ref` targets (without fragment) a schema names, except those inside itself.
fn external_refs(value: &Value) -> BTreeSet<String> {
    fn walk(value: &Value, ids: &mut BTreeSet<String>, refs: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    match (key.as_str(), child) {
                        ("$ref", Value::String(r)) => {
                            let target = r.split('#').next().unwrap_or_default();
                            if !target.is_empty() {
                                refs.insert(target.to_owned());
                            }
                        }
                        ("$id" | "id", Value::String(id)) => {
                            ids.insert(id.split('#').next().unwrap_or_default().to_owned());
                        }
                        ("enum" | "const" | "examples" | "default", _) => continue,
                        _ => {}
                    }
                    walk(child, ids, refs);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, ids, refs)),
            _ => {}
        }
    }
    let (mut ids, mut refs) = (BTreeSet::new(), BTreeSet::new());
    walk(value, &mut ids, &mut refs);
    refs.retain(|r| !ids.contains(r));
    refs
}

/// A URL resolved against a base URL, enough for the corpus (absolute, or a file name).
fn absolute(base: Option<&str>, reference: &str) -> String {
    match base {
        Some(base) if !reference.contains(':') => {
            let dir = base.rfind('/').map_or("", |i| &base[..=i]);
            format!("{dir}{reference}")
        }
        _ => reference.to_owned(),
    }
}

/// The corpus file a `$ref` URL stands for: SchemaStore's `https://json.schemastore.org/<x>`
/// (and www.schemastore.org, and relative names) is `schemas/<x>` (corpus README); AWS Glue's
/// URLs name files in the schema's own folder.
fn file_for(dir: &Path, url: &str) -> Option<PathBuf> {
    let name = url.rsplit('/').next()?;
    let path = dir.join(name);
    path.is_file().then_some(path)
}

/// The schema's references, looked up in `dir`: its dependencies, transitively, each named by the `$ref` URL as
/// written in the schema itself, or by its absolute URL for a dependency's dependency.
pub(crate) fn references_for(path: &Path, dir: &Path) -> Vec<ResolvedReference> {
    let root: Value = serde_json::from_str(&read(path)).expect("corpus schema is JSON");
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut queue: Vec<(Option<String>, Value, bool)> = vec![(
        root.get("$id").and_then(Value::as_str).map(str::to_owned),
        root,
        true,
    )];
    let mut seen = BTreeSet::new();
    while let Some((base, value, is_root)) = queue.pop() {
        for r in external_refs(&value) {
            let url = absolute(base.as_deref(), &r);
            let name = if is_root { r.clone() } else { url.clone() };
            if !seen.insert(url.clone()) {
                continue;
            }
            if let Some(file) = file_for(dir, &url) {
                let text = read(&file);
                let dependency: Value = serde_json::from_str(&text).expect("dependency is JSON");
                let own = dependency
                    .get("$id")
                    .and_then(Value::as_str)
                    .map_or(url.clone(), str::to_owned);
                queue.push((Some(own), dependency, false));
                out.insert(name, text);
            }
        }
    }
    out.into_iter()
        .map(|(name, schema)| ResolvedReference {
            name,
            schema_type: SchemaType::Json,
            schema,
        })
        .collect()
}
