//! Throughput of warden-core's per-format work on one core, printed as a Markdown table:
//! JSON Schema validation, Protobuf compilation and JSON encoding, and compatibility checks
//! between real schema versions of all three formats.
//!
//! `cargo run --release -p warden-core --example format_bench`
//! (reads the schema corpus from `../shared/corpus`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use warden_core::protobuf::{import_paths, is_builtin_import};
use warden_core::{
    CompatibilityLevel, CompatibilityPolicy, ParsedSchema, ResolvedReference, SchemaType, compat,
};

fn corpus(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn corpus_dir(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(path)
}

/// The transitive imports of a `.proto` source found under `roots`, dependencies first, as
/// references named by import path (built-ins left out, as Confluent clients do).
fn closure(text: &str, roots: &[PathBuf]) -> Vec<ResolvedReference> {
    fn visit(
        name: &str,
        roots: &[PathBuf],
        seen: &mut Vec<String>,
        out: &mut Vec<ResolvedReference>,
    ) {
        if is_builtin_import(name) || seen.iter().any(|s| s == name) {
            return;
        }
        seen.push(name.to_owned());
        let path = roots
            .iter()
            .map(|r| r.join(name))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("import {name} not found"));
        let text = std::fs::read_to_string(path).unwrap();
        for import in import_paths(&text) {
            visit(&import, roots, seen, out);
        }
        out.push(ResolvedReference {
            name: name.to_owned(),
            schema_type: SchemaType::Protobuf,
            schema: text,
        });
    }
    let (mut seen, mut out) = (Vec::new(), Vec::new());
    for import in import_paths(text) {
        visit(&import, roots, &mut seen, &mut out);
    }
    out
}

/// Runs `f` repeatedly for about `budget` and returns calls per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    for _ in 0..10 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..16 {
            f();
        }
        n += 16;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn parse(t: SchemaType, text: &str) -> ParsedSchema {
    ParsedSchema::parse(t, text, &[]).expect("benchmark schema parses")
}

fn main() {
    let budget = Duration::from_secs(2);
    let mut rows: Vec<(String, f64, &str)> = Vec::new();

    // JSON Schema validation: a 10-property object, draft 7, closed content model.
    let ten = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "id": {"type": "integer", "minimum": 0},
            "email": {"type": "string", "format": "email"},
            "name": {"type": "string", "maxLength": 100},
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "score": {"type": "number"},
            "active": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "country": {"type": "string", "enum": ["NL", "FR", "DE", "US"]},
            "created": {"type": "string"},
            "note": {"type": ["string", "null"]}
        },
        "required": ["id", "email", "name"],
        "additionalProperties": false
    });
    let ParsedSchema::Json(validator) = parse(SchemaType::Json, &ten.to_string()) else {
        unreachable!("a JSON schema")
    };
    let valid = json!({"id": 7, "email": "ada@example.com", "name": "Ada", "age": 36,
        "score": 9.5, "active": true, "tags": ["a", "b"], "country": "NL",
        "created": "2026-11-29", "note": null});
    let invalid = json!({"id": -1, "email": 5, "name": "Ada", "extra": 1});
    assert!(validator.is_valid(&valid) && !validator.is_valid(&invalid));
    rows.push((
        "JSON Schema: validate a valid 10-property object".into(),
        rate(budget, || assert!(validator.is_valid(&valid))),
        "validations/s",
    ));
    rows.push((
        "JSON Schema: validate an invalid one, collecting every error".into(),
        rate(budget, || assert!(validator.validate(&invalid).is_err())),
        "validations/s",
    ));

    // JSON Schema compatibility between consecutive SchemaStore versions of large schemas.
    for (name, old, new) in [
        (
            "github-workflow v2 → v3 (95 KB → 113 KB)",
            "evolution/jsonschema/schemastore-github-workflow/v002.json",
            "evolution/jsonschema/schemastore-github-workflow/v003.json",
        ),
        (
            "sarif-2.1.0 rtm.1 → rtm.2 (111 KB)",
            "evolution/jsonschema/schemastore-sarif-2.1.0-release-series/v002.json",
            "evolution/jsonschema/schemastore-sarif-2.1.0-release-series/v003.json",
        ),
    ] {
        let old = parse(SchemaType::Json, &corpus(old));
        let new = parse(SchemaType::Json, &corpus(new));
        rows.push((
            format!("JSON Schema: BACKWARD check, {name}"),
            rate(budget, || {
                compat::check_with_policy(
                    CompatibilityLevel::Backward,
                    CompatibilityPolicy::Strict,
                    &new,
                    &[&old],
                );
            }),
            "checks/s",
        ));
    }

    // Avro compatibility: Avro's interop schema against itself with a field added, and the
    // corpus's largest schema against itself.
    let interop = corpus("avro/apache-avro/share__test__schemas/interop.avsc");
    let old = parse(SchemaType::Avro, &interop);
    let mut value: serde_json::Value = serde_json::from_str(&interop).unwrap();
    value["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "added", "type": "string", "default": ""}));
    let new = parse(SchemaType::Avro, &value.to_string());
    rows.push((
        "Avro: FULL check, interop.avsc + one field".into(),
        rate(budget, || {
            assert!(compat::check(CompatibilityLevel::Full, &new, &[&old]).is_compatible());
        }),
        "checks/s",
    ));
    let large = parse(
        SchemaType::Avro,
        &corpus("avro/apache-avro/lang__c++__jsonschemas/large_schema.avsc"),
    );
    rows.push((
        "Avro: BACKWARD check, large_schema.avsc (386 KB) against itself".into(),
        rate(budget, || {
            compat::check(CompatibilityLevel::Backward, &large, &[&large]);
        }),
        "checks/s",
    ));

    // Protobuf: compiling a googleapis schema with its imports as references, a BACKWARD
    // check between two OpenTelemetry releases, and JSON → bytes for a 10-field message.
    let googleapis = ["protobuf/googleapis", "protobuf/protobuf"];
    let pubsub = corpus("protobuf/googleapis/google/pubsub/v1/pubsub.proto");
    let refs = closure(&pubsub, &googleapis.map(corpus_dir));
    let references = refs.len();
    rows.push((
        format!("Protobuf: compile google/pubsub/v1/pubsub.proto with {references} references"),
        rate(budget, || {
            ParsedSchema::parse(SchemaType::Protobuf, &pubsub, &refs).expect("compiles");
        }),
        "compiles/s",
    ));
    let otel = |v: &str| {
        let dir = corpus_dir("evolution/protobuf/otel-metrics");
        let text = std::fs::read_to_string(dir.join(format!("{v}.proto"))).unwrap();
        let roots = [
            dir.join(format!("{v}.deps")),
            dir.clone(),
            corpus_dir("protobuf/googleapis"),
            corpus_dir("protobuf/protobuf"),
            corpus_dir("protobuf/opentelemetry-proto"),
        ];
        let refs = closure(&text, &roots);
        ParsedSchema::parse(SchemaType::Protobuf, &text, &refs).expect("OTel version compiles")
    };
    let (old, new) = (otel("v009"), otel("v010"));
    rows.push((
        "Protobuf: BACKWARD check, OTel metrics.proto v009 → v010".into(),
        rate(budget, || {
            compat::check(CompatibilityLevel::Backward, &new, &[&old]);
        }),
        "checks/s",
    ));
    let ParsedSchema::Protobuf(proto) = parse(
        SchemaType::Protobuf,
        r#"syntax = "proto3";
package bench;
message Customer {
  int64 id = 1;
  string email = 2;
  string name = 3;
  int32 age = 4;
  double score = 5;
  bool active = 6;
  repeated string tags = 7;
  Country country = 8;
  string created = 9;
  optional string note = 10;
  enum Country { NL = 0; FR = 1; DE = 2; US = 3; }
}"#,
    ) else {
        unreachable!("a Protobuf schema")
    };
    let customer = proto.message("bench.Customer").expect("message");
    let doc = json!({"id": "7", "email": "ada@example.com", "name": "Ada", "age": 36,
        "score": 9.5, "active": true, "tags": ["a", "b"], "country": "NL",
        "created": "2026-11-29", "note": "hi"});
    rows.push((
        "Protobuf: JSON → bytes, 10-field message".into(),
        rate(budget, || {
            proto.encode_json(&customer, &doc).expect("encodes");
        }),
        "encodes/s",
    ));

    println!("| work (one core) | rate | unit |");
    println!("|---|---:|---|");
    for (work, per_second, unit) in rows {
        println!("| {work} | {per_second:.0} | {unit} |");
    }
}
