//! Helpers shared by the Protobuf tests: the corpus, reference closures built the way a
//! Confluent client registers imports, and descriptor comparison.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage};
use warden_core::protobuf::{ProtobufSchema, is_builtin_import};
use warden_core::{ResolvedReference, SchemaType};

pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The import paths a `.proto` source names, in order.
pub fn imports(text: &str) -> Vec<String> {
    warden_core::protobuf::import_paths(text)
}

/// The transitive closure of a source's imports, dependencies first, as a Confluent client
/// registers them: each import is its own subject, named by its import path; built-ins are
/// never registered. `find` reads an import path's source.
pub fn references(
    text: &str,
    find: &dyn Fn(&str) -> Option<(PathBuf, String)>,
) -> Result<Vec<(PathBuf, ResolvedReference)>, String> {
    fn visit(
        name: &str,
        find: &dyn Fn(&str) -> Option<(PathBuf, String)>,
        seen: &mut HashSet<String>,
        out: &mut Vec<(PathBuf, ResolvedReference)>,
    ) -> Result<(), String> {
        if is_builtin_import(name) || !seen.insert(name.to_owned()) {
            return Ok(());
        }
        let (path, text) = find(name).ok_or_else(|| format!("import {name} not found"))?;
        for import in imports(&text) {
            visit(&import, find, seen, out)?;
        }
        out.push((
            path,
            ResolvedReference {
                name: name.to_owned(),
                schema_type: SchemaType::Protobuf,
                schema: text,
            },
        ));
        Ok(())
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for import in imports(text) {
        visit(&import, find, &mut seen, &mut out)?;
    }
    Ok(out)
}

/// Finds an import path under the given roots, in order.
pub fn finder(roots: Vec<PathBuf>) -> impl Fn(&str) -> Option<(PathBuf, String)> {
    move |name: &str| {
        roots.iter().find_map(|root| {
            let path = root.join(name);
            path.is_file().then(|| {
                let text = read(&path);
                (path, text)
            })
        })
    }
}

/// The main file of a schema as a normalized encoding: decoded as a dynamic
/// `FileDescriptorProto` in `pool` (so extension options are compared too), source info and
/// the name cleared, and encoded again.
pub fn comparable(schema: &ProtobufSchema, pool: &DescriptorPool) -> Vec<u8> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(schema.serialized())
        .expect("serialized is base64");
    let desc = pool
        .get_message_by_name("google.protobuf.FileDescriptorProto")
        .filter(|_| {
            pool.get_file_by_name("google/protobuf/descriptor.proto")
                .is_some()
        })
        .or_else(|| {
            DescriptorPool::global().get_message_by_name("google.protobuf.FileDescriptorProto")
        })
        .expect("descriptor.proto");
    let mut message = DynamicMessage::decode(desc, bytes.as_slice()).expect("decodes");
    message.clear_field_by_name("source_code_info");
    message.encode_to_vec()
}

/// Whether two schemas' main files are equal descriptors; on a difference, the two
/// `prost_types` descriptors for the message.
pub fn same_descriptor(a: &ProtobufSchema, b: &ProtobufSchema) -> Result<(), String> {
    if comparable(a, a.pool()) == comparable(b, a.pool()) {
        return Ok(());
    }
    let (x, y) = (
        format!("{:#?}", a.file_descriptor_proto()),
        format!("{:#?}", b.file_descriptor_proto()),
    );
    let first = x
        .lines()
        .zip(y.lines())
        .position(|(l, r)| l != r)
        .unwrap_or(0);
    let context = |s: &str| {
        s.lines()
            .skip(first.saturating_sub(12))
            .take(24)
            .collect::<Vec<_>>()
            .join("\n")
    };
    Err(format!(
        "descriptors differ at line {first}:\n--- original\n{}\n--- reparsed\n{}",
        context(&x),
        context(&y)
    ))
}
