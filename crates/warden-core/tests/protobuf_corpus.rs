//! Every `.proto` of the corpus (googleapis, protobuf, opentelemetry-proto, aws-glue) parses
//! with its imports given as references the way a Confluent client registers them (each
//! import its own subject, built-ins never), prints back to `.proto` source that compiles to
//! an equal descriptor, and round-trips through its base64 descriptor (`format=serialized`).
//! Files the corpus manifest marks as not compiling with protoc (`check_protoc: error…`) or as
//! Protobuf editions (`proto_edition`, which protox 0.10 does not compile) are left out, and so
//! are files that import one of them; the test checks Warden refuses the editions files with a
//! message that says so. Three files protoc compiles hit limits of protox 0.10 itself
//! ([`PROTOX_LIMITS`]): they are asserted to fail with the reason named.

mod protobuf_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use warden_core::protobuf::printer::{self, Style};
use warden_core::{ProtobufSchema, SchemaError};

use protobuf_support::{corpus, finder, imports, read, references, same_descriptor};

/// Two schemas declare the same things: their descriptors are equal once the fields and nested
/// messages of every message are sorted (Confluent's printer writes oneof members after the
/// other fields and nested messages after the fields, so map-entry messages move).
fn same_meaning(a: &ProtobufSchema, b: &ProtobufSchema) -> Result<(), String> {
    fn sort(m: &mut prost_types::DescriptorProto) {
        m.field.sort_by_key(|f| f.number());
        m.nested_type.sort_by(|x, y| x.name().cmp(y.name()));
        m.extension.sort_by_key(|f| f.number());
        m.nested_type.iter_mut().for_each(sort);
    }
    let sorted = |s: &ProtobufSchema| {
        let mut fdp = s.file_descriptor_proto();
        fdp.message_type.iter_mut().for_each(sort);
        fdp.extension.sort_by_key(|f| f.number());
        // Public imports are written after the others: compare the names of each kind.
        let public: Vec<String> = fdp
            .public_dependency
            .iter()
            .map(|&i| fdp.dependency[i as usize].clone())
            .collect();
        fdp.dependency.sort();
        fdp.public_dependency = public
            .iter()
            .map(|name| fdp.dependency.iter().position(|d| d == name).unwrap_or(0) as i32)
            .collect();
        fdp.public_dependency.sort();
        fdp
    };
    let (x, y) = (sorted(a), sorted(b));
    if x == y {
        return Ok(());
    }
    let (x, y) = (format!("{x:#?}"), format!("{y:#?}"));
    let first = x
        .lines()
        .zip(y.lines())
        .position(|(l, r)| l != r)
        .unwrap_or(0);
    let context = |s: &str| {
        s.lines()
            .skip(first.saturating_sub(8))
            .take(16)
            .collect::<Vec<_>>()
            .join("\n")
    };
    Err(format!(
        "descriptors differ at line {first}:\n--- original\n{}\n--- canonical\n{}",
        context(&x),
        context(&y)
    ))
}

/// Files whose canonical text (Confluent's) declares less than the source, because square/wire
/// drops it when it reads the source, with what it drops.
const CONFLUENT_DROPS: [(&str, &str); 1] = [(
    "google/protobuf/test_messages_proto2.proto",
    "a group declared in an extend block (wire's readExtend keeps only fields)",
)];

const ROOTS: [&str; 4] = [
    "protobuf/googleapis",
    "protobuf/protobuf",
    "protobuf/opentelemetry-proto",
    "protobuf/aws-glue-schema-registry",
];

/// Files protoc compiles but protox 0.10 does not, each with the reason and the start of the
/// error Warden answers. They are asserted to fail exactly so, so that a protox upgrade that
/// fixes them shows here.
const PROTOX_LIMITS: [(&str, &str, &str); 3] = [
    (
        "protobuf/protobuf/google/protobuf/descriptor.proto",
        "protox's parser does not take options on a single-number extension range \
         (`extensions 536000000 [declaration = {…}]`), new in protobuf 27",
        "default:37:24: expected 'to', ',' or ';', but found '['",
    ),
    (
        "protobuf/protobuf/google/protobuf/cpp_features.proto",
        "it sets `FieldOptions.feature_support`, which the google/protobuf/descriptor.proto \
         built into protox 0.10 predates (the corpus's newer descriptor.proto cannot stand in: \
         see the line above)",
        "default:27:5: option field 'feature_support' is not defined",
    ),
    (
        "protobuf/protobuf/google/protobuf/unittest_custom_options.proto",
        "protox's parser rejects `-inf` as an option value",
        "default:263:24: identifiers may not be negative",
    ),
];

/// Files the manifest marks as not compiling: protoc errors and editions.
fn excluded() -> HashSet<PathBuf> {
    let manifest: Value =
        serde_json::from_str(&read(&corpus().join("MANIFEST.json"))).expect("manifest is JSON");
    manifest
        .as_array()
        .expect("manifest array")
        .iter()
        .filter(|e| e["format"] == "protobuf")
        .filter(|e| {
            e.get("proto_edition").is_some()
                || e["check_protoc"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("error"))
        })
        .map(|e| corpus().join(e["file"].as_str().expect("file")))
        .collect()
}

fn proto_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            proto_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_proto_parses_prints_back_and_round_trips_through_its_descriptor() {
    let excluded = excluded();
    let roots: Vec<PathBuf> = ROOTS.iter().map(|r| corpus().join(r)).collect();
    let find = finder(roots.clone());
    let mut files = Vec::new();
    for root in &roots {
        proto_files(root, &mut files);
    }
    assert_eq!(
        files.len(),
        170,
        "the corpus README counts 170 .proto files"
    );
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut skipped = Vec::new();
    let mut limits = 0;
    for path in &files {
        let text = read(path);
        let refs = match references(&text, &find) {
            Ok(refs) => refs,
            Err(e) => {
                failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        if excluded.contains(path) || refs.iter().any(|(p, _)| excluded.contains(p)) {
            skipped.push(path.clone());
            continue;
        }
        let refs: Vec<_> = refs.into_iter().map(|(_, r)| r).collect();
        if let Some((_, reason, error)) = PROTOX_LIMITS
            .iter()
            .find(|(file, _, _)| corpus().join(file) == *path)
        {
            match ProtobufSchema::parse(&text, &refs) {
                Err(SchemaError::Invalid(message)) if message.contains(error) => limits += 1,
                other => failures.push(format!(
                    "{}: expected the protox limit ({reason}): {error}, got {other:?}",
                    path.display()
                )),
            }
            continue;
        }
        let schema = match ProtobufSchema::parse(&text, &refs) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: does not parse: {e}", path.display()));
                continue;
            }
        };
        // Canonical text (Confluent's printer): compiles to the same descriptor, fixed point.
        match ProtobufSchema::parse(schema.canonical(), &refs) {
            Ok(again) => {
                let drops = CONFLUENT_DROPS.iter().any(|(file, _)| path.ends_with(file));
                if let Err(e) =
                    same_meaning(&schema, &again).or_else(|e| if drops { Ok(()) } else { Err(e) })
                {
                    failures.push(format!("{}: canonical text differs: {e}", path.display()));
                    continue;
                }
                assert_eq!(again.canonical(), schema.canonical(), "{}", path.display());
            }
            Err(e) => {
                failures.push(format!(
                    "{}: canonical text does not compile: {e}\n{}",
                    path.display(),
                    schema.canonical()
                ));
                continue;
            }
        }
        // Printer: print, compile, compare.
        let printed = printer::print(schema.file(), Style::Canonical).expect("prints");
        match ProtobufSchema::parse(&printed, &refs) {
            Ok(reparsed) => {
                if let Err(e) = same_descriptor(&schema, &reparsed) {
                    failures.push(format!("{}: printed text differs: {e}", path.display()));
                    continue;
                }
            }
            Err(e) => {
                failures.push(format!(
                    "{}: printed text does not compile: {e}\n{printed}",
                    path.display()
                ));
                continue;
            }
        }
        // Normalized text compiles too.
        if let Err(e) = ProtobufSchema::parse(&schema.normalized(), &refs) {
            failures.push(format!(
                "{}: normalized text does not compile: {e}",
                path.display()
            ));
            continue;
        }
        // Serialized: base64 descriptor → parse → equal descriptor, canonical is the printed text.
        match ProtobufSchema::parse(&schema.serialized(), &refs) {
            Ok(from_descriptor) => {
                if let Err(e) = same_descriptor(&schema, &from_descriptor) {
                    failures.push(format!("{}: serialized differs: {e}", path.display()));
                    continue;
                }
                let confluent = ProtobufSchema::parse(&printed, &refs).expect("compiled above");
                assert_eq!(
                    from_descriptor.canonical(),
                    confluent.canonical(),
                    "{}",
                    path.display()
                );
                assert_eq!(from_descriptor.serialized(), schema.serialized());
            }
            Err(e) => {
                failures.push(format!(
                    "{}: serialized does not parse: {e}",
                    path.display()
                ));
                continue;
            }
        }
        passed += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
    // 170 files: the 9 editions files and TestOrderingSyntax3Options.proto are excluded, and
    // map_unittest.proto because it imports unittest.proto (edition 2023); 3 hit protox limits.
    assert_eq!(skipped.len(), 11, "skipped: {skipped:?}");
    assert_eq!(limits, PROTOX_LIMITS.len());
    assert_eq!(passed, 156);
}

#[test]
fn editions_files_are_refused_with_a_message_that_names_editions() {
    let path = corpus().join("protobuf/protobuf/google/protobuf/unittest_import_lite.proto");
    let text = read(&path);
    assert!(imports(&text).len() <= 1);
    let find = finder(ROOTS.iter().map(|r| corpus().join(r)).collect());
    let refs: Vec<_> = references(&text, &find)
        .expect("imports resolve")
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    match ProtobufSchema::parse(&text, &refs) {
        Err(SchemaError::Invalid(message)) => {
            assert!(message.contains("editions"), "{message}");
        }
        other => panic!("expected an editions error, got {other:?}"),
    }
}
