//! Throughput of warden-core's per-format work on one core, printed as a Markdown table:
//! JSON Schema payload validation, and compatibility checks between real schema versions.
//!
//! `cargo run --release -p warden-core --example format_bench`
//! (reads the schema corpus from `../shared/corpus`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, ParsedSchema, SchemaType, compat};

fn corpus(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
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

    println!("| work (one core) | rate | unit |");
    println!("|---|---:|---|");
    for (work, per_second, unit) in rows {
        println!("| {work} | {per_second:.0} | {unit} |");
    }
}
