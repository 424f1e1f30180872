//! Differential test of Warden's own JSON Schema validator (the subset the serializers use to
//! validate serde values from their bytes) against `jsonschema`, the reference: on every
//! schema of the corpus, the JSON-Schema-Test-Suite and the repository's fixture that falls
//! within the subset, over the documents that come with them, documents made from the
//! schema, and mutations of all of these (values replaced by other types, numbers moved across
//! bounds, strings shortened and lengthened, properties removed and added, items added).
//!
//! Whenever the subset validator decides ([`Verdict::Valid`] or [`Verdict::Invalid`], on the
//! document and on its text), its verdict must be `jsonschema`'s. The test also checks that it
//! decided often enough, both ways, for the comparison to mean something.

mod json_support;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use warden_core::json::{JsonSchema, Verdict};
use warden_core::{ResolvedReference, SchemaType};

use json_support::{corpus, read, references_for};

/// How the comparisons went.
#[derive(Default)]
struct Tally {
    schemas: usize,
    subset_schemas: usize,
    valid: usize,
    invalid: usize,
    unknown: usize,
    disagreements: Vec<String>,
}

impl Tally {
    /// Compares the two validators on `document` under `schema`.
    fn compare(&mut self, name: &str, schema: &JsonSchema, document: &Value) {
        let reference = schema.validate(document).is_ok();
        assert_eq!(
            reference,
            schema.is_valid_by_jsonschema(document),
            "{name}: jsonschema's validate and is_valid disagree"
        );
        let compact = serde_json::to_vec(document).expect("a document serializes");
        let pretty = serde_json::to_vec_pretty(document).expect("a document serializes");
        let verdicts = [
            ("value", schema.subset_check_value(document)),
            ("serde", schema.subset_check_serde(document)),
            ("text", schema.subset_check_text(&compact)),
            ("pretty text", schema.subset_check_text(&pretty)),
        ];
        for (form, verdict) in verdicts {
            match verdict {
                Verdict::Unknown => self.unknown += 1,
                Verdict::Valid | Verdict::Invalid => {
                    let valid = verdict == Verdict::Valid;
                    if valid {
                        self.valid += 1;
                    } else {
                        self.invalid += 1;
                    }
                    if valid != reference && self.disagreements.len() < 50 {
                        self.disagreements.push(format!(
                            "{name} ({form}): subset says {verdict:?}, jsonschema says {}; \
                             document {document}",
                            if reference { "valid" } else { "invalid" }
                        ));
                    }
                }
            }
        }
        // `is_valid` (the subset first, then jsonschema) is jsonschema's verdict.
        assert_eq!(schema.is_valid(document), reference, "{name}: is_valid");
    }

    /// Compares on `document` and on its mutations.
    fn compare_with_mutations(&mut self, name: &str, schema: &JsonSchema, document: &Value) {
        self.compare(name, schema, document);
        for (n, mutated) in mutations(document).iter().enumerate() {
            self.compare(&format!("{name} mutation {n}"), schema, mutated);
        }
    }
}

/// Documents that differ from `document` in one place each.
fn mutations(document: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut paths = Vec::new();
    collect_paths(document, &mut Vec::new(), &mut paths);
    // Large documents: every place would be slow in a debug build; take a spread.
    let step = (paths.len() / 60).max(1);
    for path in paths.iter().step_by(step) {
        let here = pointer_get(document, path).expect("a collected path");
        for replacement in replacements(here) {
            let mut copy = document.clone();
            *pointer_mut(&mut copy, path).expect("a collected path") = replacement;
            out.push(copy);
        }
        if let Value::Object(map) = here {
            for key in map.keys().take(8) {
                let mut copy = document.clone();
                if let Some(Value::Object(m)) = pointer_mut(&mut copy, path) {
                    m.shift_remove(key);
                }
                out.push(copy);
            }
            let mut copy = document.clone();
            if let Some(Value::Object(m)) = pointer_mut(&mut copy, path) {
                m.insert("zz_extra".into(), json!("extra"));
            }
            out.push(copy);
        }
        if let Value::Array(items) = here {
            let mut copy = document.clone();
            if let Some(Value::Array(a)) = pointer_mut(&mut copy, path) {
                match items.first() {
                    Some(first) => a.push(first.clone()),
                    None => a.push(json!("item")),
                }
            }
            out.push(copy);
            let mut copy = document.clone();
            if let Some(Value::Array(a)) = pointer_mut(&mut copy, path) {
                a.clear();
            }
            out.push(copy);
        }
    }
    out
}

fn collect_paths(value: &Value, here: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                here.push(key.clone());
                collect_paths(child, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate().take(4) {
                here.push(i.to_string());
                collect_paths(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn pointer_get<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, step| match v {
        Value::Object(m) => m.get(step),
        Value::Array(a) => a.get(step.parse::<usize>().ok()?),
        _ => None,
    })
}

fn pointer_mut<'v>(value: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |v, step| match v {
        Value::Object(m) => m.get_mut(step),
        Value::Array(a) => a.get_mut(step.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Values to put in place of `value`: every other type, and near misses of its own.
fn replacements(value: &Value) -> Vec<Value> {
    let mut out = vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(2.0),
        json!(1e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(""),
        json!("x"),
        json!({}),
        json!([]),
    ];
    match value {
        Value::String(s) => {
            out.push(json!(format!("{s}{s}")));
            out.push(json!(s.chars().skip(1).collect::<String>()));
            out.push(json!(format!("{s}é🦀")));
            out.push(json!("a".repeat(300)));
            out.push(json!(format!("{s}\n\"\\")));
            out.push(json!("2024-01-01T00:00:00Z"));
            out.push(json!("user@example.com"));
        }
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                for d in [-1, 1, 1000, -1000] {
                    out.push(json!(i.saturating_add(d)));
                }
                out.push(json!(i as f64 + 0.5));
                out.push(json!(i as f64));
            } else if let Some(u) = n.as_u64() {
                out.push(json!(u.saturating_sub(1)));
            } else if let Some(f) = n.as_f64() {
                for g in [f - 1.0, f + 1.0, f * 1000.0, f.floor(), -f] {
                    out.push(json!(g));
                }
            }
        }
        Value::Bool(b) => out.push(json!(!b)),
        _ => {}
    }
    out
}

/// A document made from the schema: every property, the first `enum` member, bounds met where
/// simple. Valid or not, both validators see the same one.
fn sample(schema: &Value, root: &Value, depth: usize) -> Value {
    let Value::Object(map) = schema else {
        return json!("any");
    };
    if depth > 6 {
        return Value::Null;
    }
    if let Some(Value::String(r)) = map.get("$ref")
        && let Some(pointer) = r.strip_prefix('#')
        && let Some(target) = root.pointer(pointer)
    {
        return sample(target, root, depth + 1);
    }
    if let Some(c) = map.get("const") {
        return c.clone();
    }
    if let Some(Value::Array(members)) = map.get("enum")
        && let Some(first) = members.first()
    {
        return first.clone();
    }
    let ty = match map.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.first().and_then(Value::as_str).unwrap_or("string"),
        _ if map.contains_key("properties") => "object",
        _ if map.contains_key("items") => "array",
        _ => "string",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(Value::Object(properties)) = map.get("properties") {
                for (name, sub) in properties {
                    out.insert(name.clone(), sample(sub, root, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => match map.get("items") {
            Some(items @ Value::Object(_)) => json!([sample(items, root, depth + 1)]),
            _ => json!([]),
        },
        "integer" => map
            .get("minimum")
            .filter(|m| m.is_i64() || m.is_u64())
            .cloned()
            .unwrap_or(json!(1)),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => {
            let min = map.get("minLength").and_then(Value::as_u64).unwrap_or(0);
            json!("s".repeat(usize::try_from(min.max(3)).unwrap_or(3)))
        }
    }
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_json(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// The JSON-Schema-Test-Suite's remote documents, as references (as `json_test_suite.rs`
/// gives them).
fn remotes() -> Vec<ResolvedReference> {
    let root = corpus().join("jsonschema-test-suite/remotes");
    let mut files = Vec::new();
    collect_json(&root, &mut files);
    files
        .iter()
        .map(|path| ResolvedReference {
            name: format!(
                "http://localhost:1234/{}",
                path.strip_prefix(&root)
                    .expect("below remotes/")
                    .to_string_lossy()
                    .replace('\\', "/")
            ),
            schema_type: SchemaType::Json,
            schema: read(path),
        })
        .collect()
}

fn test_suite(tally: &mut Tally) {
    let references = remotes();
    for draft in ["draft7", "draft2020-12"] {
        let mut files = Vec::new();
        collect_json(
            &corpus().join("jsonschema-test-suite").join(draft),
            &mut files,
        );
        for file in files {
            let groups: Value = serde_json::from_str(&read(&file)).expect("suite file is JSON");
            for group in groups.as_array().expect("groups") {
                let name = format!(
                    "{draft}/{}: {}",
                    file.file_name().unwrap_or_default().to_string_lossy(),
                    group["description"].as_str().unwrap_or_default()
                );
                let Ok(schema) = JsonSchema::parse(&group["schema"].to_string(), &references)
                else {
                    continue;
                };
                tally.schemas += 1;
                if !schema.has_subset_validator() {
                    continue;
                }
                tally.subset_schemas += 1;
                for case in group["tests"].as_array().expect("tests") {
                    tally.compare_with_mutations(&name, &schema, &case["data"]);
                }
            }
        }
    }
}

fn corpus_schemas(tally: &mut Tally) {
    let manifest: Value =
        serde_json::from_str(&read(&corpus().join("MANIFEST.json"))).expect("manifest");
    let mut files = Vec::new();
    for dir in [
        "jsonschema/schemastore/schemas",
        "jsonschema/aws-glue-schema-registry/schema",
        "evolution/jsonschema",
    ] {
        collect_json(&corpus().join(dir), &mut files);
    }
    for path in files {
        let name = path
            .strip_prefix(corpus())
            .expect("below the corpus")
            .to_string_lossy()
            .replace('\\', "/");
        let dir = path.parent().expect("a folder");
        let Ok(schema) = JsonSchema::parse(&read(&path), &references_for(&path, dir)) else {
            continue;
        };
        tally.schemas += 1;
        if !schema.has_subset_validator() {
            continue;
        }
        tally.subset_schemas += 1;
        let made = sample(schema.value(), schema.value(), 0);
        tally.compare_with_mutations(&format!("{name} (sample)"), &schema, &made);
        // The corpus's own instance documents for this schema.
        for entry in manifest.as_array().expect("array") {
            if entry["validates_against"].as_str() != Some(name.as_str()) {
                continue;
            }
            let file = entry["file"].as_str().expect("file");
            let document: Value =
                serde_json::from_str(&read(&corpus().join(file))).expect("an instance is JSON");
            tally.compare_with_mutations(file, &schema, &document);
        }
    }
}

/// The JSON Schema of `acme.Order` in `tests/fixtures/orders.rs` (what the benchmarks and the
/// client tests serialize), with one of its records.
fn fixture(tally: &mut Tally) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/orders.rs");
    let text = read(&path);
    let start = text
        .find("ORDER_JSON_SCHEMA: &str = r#\"")
        .expect("the fixture has ORDER_JSON_SCHEMA")
        + "ORDER_JSON_SCHEMA: &str = r#\"".len();
    let end = start + text[start..].find("\"#;").expect("the raw string ends");
    let schema = JsonSchema::parse(&text[start..end], &[]).expect("the fixture parses");
    tally.schemas += 1;
    assert!(
        schema.has_subset_validator(),
        "the benchmarks' schema is within the subset"
    );
    tally.subset_schemas += 1;
    for n in 0..5 {
        let order = json!({
            "id": format!("order-{n}"),
            "customer": {"email": format!("c{n}@example.com"), "name": format!("Customer {n}")},
            "amount": n as f64 * 1.25,
            "quantity": n % 9 + 1,
            "express": n % 2 == 0,
            "status": (["NEW", "PAID", "SHIPPED"][n % 3]),
            "tags": (0..n % 4).map(|t| format!("t{t}")).collect::<Vec<_>>(),
            "attributes": {"channel": format!("web-{}", n % 5)},
            "created_at": 1_700_000_000_000_i64 + n as i64,
            "note": if n % 5 == 0 { json!(format!("note {n}")) } else { Value::Null },
        });
        assert_eq!(
            schema.subset_check_value(&order),
            Verdict::Valid,
            "record {n}: {order}"
        );
        tally.compare_with_mutations(&format!("orders.rs record {n}"), &schema, &order);
    }
}

#[test]
fn the_subset_validator_agrees_with_jsonschema() {
    let mut tally = Tally::default();
    fixture(&mut tally);
    test_suite(&mut tally);
    corpus_schemas(&mut tally);
    println!(
        "{} of {} schemas within the subset; verdicts: {} valid, {} invalid (both agreeing \
         with jsonschema), {} left to jsonschema",
        tally.subset_schemas, tally.schemas, tally.valid, tally.invalid, tally.unknown
    );
    assert!(
        tally.disagreements.is_empty(),
        "{} disagreements, first ones:\n{}",
        tally.disagreements.len(),
        tally.disagreements.join("\n")
    );
    // Enough decided both ways for the comparison to mean something.
    assert!(tally.subset_schemas >= 100, "{}", tally.subset_schemas);
    assert!(tally.valid >= 5_000, "{}", tally.valid);
    assert!(tally.invalid >= 20_000, "{}", tally.invalid);
}

#[test]
fn text_that_is_not_one_json_value_is_left_to_jsonschema() {
    let schema = JsonSchema::parse(r#"{"type": "object"}"#, &[]).unwrap();
    assert!(schema.has_subset_validator());
    assert_eq!(schema.subset_check_text(b"{}"), Verdict::Valid);
    assert_eq!(schema.subset_check_text(b" {} \n"), Verdict::Valid);
    assert_eq!(schema.subset_check_text(b"[]"), Verdict::Invalid);
    for text in [&b"{"[..], b"{} {}", b"", b"{\"a\":}"] {
        assert_eq!(schema.subset_check_text(text), Verdict::Unknown);
    }
}

#[test]
fn schemas_outside_the_subset_are_left_to_jsonschema() {
    for text in [
        r#"{"anyOf": [{"type": "string"}, {"type": "integer"}]}"#,
        r#"{"patternProperties": {"^a": {"type": "string"}}}"#,
        r#"{"properties": {"a": {"$id": "http://example.com/a", "type": "string"}}}"#,
        r##"{"$ref": "#/definitions/a", "type": "string", "definitions": {"a": {}}}"##,
        r#"{"multipleOf": 0.1}"#,
        r#"{"items": [{"type": "string"}]}"#,
    ] {
        let schema = JsonSchema::parse(text, &[]).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(!schema.has_subset_validator(), "{text}");
        assert_eq!(schema.subset_check_value(&json!(1)), Verdict::Unknown);
        assert_eq!(schema.subset_check_text(b"1"), Verdict::Unknown);
        assert_eq!(schema.subset_check_serde(&1), Verdict::Unknown);
    }
}

/// `subset_check_serde` on a Rust value, held to `jsonschema`'s verdict on
/// `serde_json::to_value` of it whenever it decides.
fn check_serde<T: serde::Serialize>(schema: &JsonSchema, value: &T) -> Verdict {
    let verdict = schema.subset_check_serde(value);
    if verdict != Verdict::Unknown {
        let document = serde_json::to_value(value).expect("the value is JSON");
        assert_eq!(
            verdict == Verdict::Valid,
            schema.validate(&document).is_ok(),
            "{document}: subset says {verdict:?}"
        );
    }
    verdict
}

#[test]
fn rust_values_are_checked_as_serde_json_builds_them() {
    use std::collections::BTreeMap;

    use serde::{Serialize, Serializer};

    #[derive(Serialize, Clone, Copy)]
    enum Kind {
        A,
        #[allow(dead_code)]
        B,
        C,
    }

    #[derive(Serialize, Clone)]
    enum Shape {
        Circle(f64),
        Pair(i32, i32),
        Square { side: f64 },
    }

    /// Serialized with `serialize_bytes`: an array of numbers in JSON.
    #[derive(Clone)]
    struct Blob(Vec<u8>);

    impl Serialize for Blob {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(&self.0)
        }
    }

    #[derive(Serialize, Clone)]
    struct Record {
        id: u32,
        ratio: f32,
        kind: Kind,
        letter: char,
        blob: Blob,
        counts: BTreeMap<u16, i64>,
        shape: Shape,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        missing: f64,
        big: i128,
    }

    let schema = JsonSchema::parse(
        r#"{
          "type": "object",
          "additionalProperties": false,
          "required": ["id", "ratio", "kind", "letter", "blob", "counts", "shape", "note"],
          "properties": {
            "id": {"type": "integer", "minimum": 1},
            "ratio": {"type": "number", "maximum": 2},
            "kind": {"enum": ["A", "B"]},
            "letter": {"type": "string", "maxLength": 1},
            "blob": {"type": "array", "items": {"type": "integer", "maximum": 200}, "maxItems": 3},
            "counts": {"type": "object", "properties": {"7": {"type": "integer", "minimum": 0}},
                       "additionalProperties": {"type": "integer"}},
            "shape": {"type": "object", "properties": {"Circle": {"type": "number", "minimum": 0}},
                      "additionalProperties": false},
            "note": {"type": "string"},
            "missing": {"type": "null"},
            "big": {"type": "integer"}
          }
        }"#,
        &[],
    )
    .expect("the schema parses");
    assert!(schema.has_subset_validator());
    let good = Record {
        id: 3,
        ratio: 1.0,
        kind: Kind::A,
        letter: 'é',
        blob: Blob(vec![1, 200]),
        counts: [(7, 0), (8, -3)].into(),
        shape: Shape::Circle(1.5),
        note: Some("n".into()),
        missing: f64::NAN,
        big: -5,
    };
    assert_eq!(check_serde(&schema, &good), Verdict::Valid);

    let invalid: Vec<(&str, Record)> = vec![
        (
            "integer below its minimum",
            Record {
                id: 0,
                ..good.clone()
            },
        ),
        (
            "whole f32 past its bound",
            Record {
                ratio: 3.0,
                ..good.clone()
            },
        ),
        (
            "unit variant outside the enum",
            Record {
                kind: Kind::C,
                ..good.clone()
            },
        ),
        (
            "bytes past their item bound",
            Record {
                blob: Blob(vec![201]),
                ..good.clone()
            },
        ),
        (
            "too many bytes",
            Record {
                blob: Blob(vec![1; 4]),
                ..good.clone()
            },
        ),
        (
            "integer key's value below its bound",
            Record {
                counts: [(7, -1)].into(),
                ..good.clone()
            },
        ),
        (
            "newtype variant's value below its bound",
            Record {
                shape: Shape::Circle(-1.0),
                ..good.clone()
            },
        ),
        (
            "a skipped required member",
            Record {
                note: None,
                ..good.clone()
            },
        ),
        (
            "a finite float where null is required",
            Record {
                missing: 1.0,
                ..good.clone()
            },
        ),
    ];
    for (why, record) in &invalid {
        assert_eq!(check_serde(&schema, record), Verdict::Invalid, "{why}");
    }
    assert_eq!(
        check_serde(
            &schema,
            &Record {
                ratio: 2.0,
                ..good.clone()
            }
        ),
        Verdict::Valid,
        "a whole f32 on its bound"
    );

    // Shapes serde_json builds otherwise or refuses are left to the `Value` route.
    let unknown: Vec<(&str, Record)> = vec![
        (
            "tuple variant",
            Record {
                shape: Shape::Pair(1, 2),
                ..good.clone()
            },
        ),
        (
            "struct variant",
            Record {
                shape: Shape::Square { side: 1.0 },
                ..good.clone()
            },
        ),
        (
            "integer past 64 bits",
            Record {
                big: i128::MAX,
                ..good.clone()
            },
        ),
        // Written as `0.1`, which readers take as another `f64` than the widened `f32`.
        (
            "f32 with a fraction",
            Record {
                ratio: 0.1,
                ..good.clone()
            },
        ),
    ];
    for (why, record) in &unknown {
        assert_eq!(schema.subset_check_serde(record), Verdict::Unknown, "{why}");
    }
    // A `Serialize` that drops the error of a member keeps that member's verdict.
    struct Swallowing;
    impl Serialize for Swallowing {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct as _;
            let mut record = serializer.serialize_struct("Swallowing", 1)?;
            let _ = record.serialize_field("id", &0u32);
            record.end()
        }
    }
    let ids = JsonSchema::parse(r#"{"properties": {"id": {"minimum": 1}}}"#, &[])
        .expect("the schema parses");
    assert_eq!(check_serde(&ids, &Swallowing), Verdict::Invalid);

    let float_keys: BTreeMap<String, BTreeMap<bool, i32>> =
        [("counts".to_owned(), [(true, 1)].into())].into();
    assert_eq!(
        JsonSchema::parse(r#"{"additionalProperties": {"type": "object"}}"#, &[])
            .expect("the schema parses")
            .subset_check_serde(&float_keys),
        Verdict::Unknown,
        "a boolean map key"
    );
}
