//! Real JSON Schemas from ../shared/corpus/jsonschema (SchemaStore and AWS Glue): each parses
//! with the `$ref` dependencies it names given as references, and SchemaStore's positive test
//! documents validate while its negative ones are rejected (MANIFEST.json `validates_against`).
//! Where that cannot hold, [`SCHEMA_EXCEPTIONS`] and [`INSTANCE_EXCEPTIONS`] say why, and the
//! test checks the exception still happens.

mod json_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use json_support::{corpus, read, references_for};
use serde_json::Value;
use warden_core::SchemaError;
use warden_core::json::JsonSchema;

/// Schemas that do not parse, by path below `corpus/jsonschema/`: the reason, and a piece of
/// the error Warden must give.
const SCHEMA_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "schemastore/schemas/eslintrc.json",
        "Dangling on purpose (corpus README): it references partial-eslint-plugins.json \
         (471 KB), which the corpus leaves out; Warden never fetches it.",
        "partial-eslint-plugins.json",
    ),
    (
        "schemastore/schemas/package.json",
        "References https://www.schemastore.org/quikrun.json, which the corpus does not hold, \
         and eslintrc.json, whose own dependency is left out on purpose.",
        "unresolvable $ref",
    ),
    (
        "schemastore/schemas/openapi-3.X.json",
        "References the OpenAPI meta-schemas on spec.openapis.org, which are not in the \
         corpus; Warden never fetches them.",
        "spec.openapis.org",
    ),
    (
        "schemastore/schemas/openapi-arazzo-1.X.json",
        "References the Arazzo schema on spec.openapis.org, not in the corpus.",
        "spec.openapis.org",
    ),
    (
        "schemastore/schemas/openapi-overlay-1.X.json",
        "References the Overlay schemas on spec.openapis.org, not in the corpus.",
        "spec.openapis.org",
    ),
    (
        "aws-glue-schema-registry/schema/draft04/nullSchemaSpec.schema.json",
        "`\"$schema\": null` breaks the meta-schema (`$schema` must be a string); Warden \
         validates schemas against their meta-schema and refuses it with the location.",
        "'#/$schema'",
    ),
    (
        "aws-glue-schema-registry/schema/draft07/productURLRef.schema.json",
        "References a schema on raw.githubusercontent.com that is not in the corpus; AWS Glue's \
         test fetches it, Warden never fetches.",
        "raw.githubusercontent.com",
    ),
    (
        "aws-glue-schema-registry/schema/draft07/productInvalidURLRef.schema.json",
        "AWS Glue's negative case: its `$ref` names a document that exists nowhere.",
        "www.example.com/geolocation.schema.json",
    ),
];

/// Test documents whose verdict differs, by path below `corpus/jsonschema/`, with why.
const INSTANCE_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "schemastore/test/eslintrc/",
        "eslintrc.json does not parse without partial-eslint-plugins.json (see above).",
    ),
    (
        "schemastore/test/package/",
        "package.json does not parse without quikrun.json (see above).",
    ),
    (
        "schemastore/negative_test/package/",
        "package.json does not parse without quikrun.json (see above).",
    ),
    (
        "schemastore/test/function/",
        "function.json declares draft-04 but its sqlBinding and mySqlBinding use `const`, a \
         draft-06 keyword. Under draft-04 `const` means nothing, so a binding such as \
         `manualTrigger` also matches sqlBinding and the bindings' `oneOf` fails. SchemaStore's \
         ajv runner applies `const` whatever the draft.",
    ),
    (
        "schemastore/negative_test/pre-commit-config/local-missing-entry.json",
        "The `required: [..., \"entry\", ...]` that this document breaks sits beside a `$ref` \
         in a draft-07 schema, where keywords beside `$ref` are ignored (the draft says so, \
         and Confluent's everit loader does the same). SchemaStore's ajv applies them.",
    ),
];

fn corpus_schemas() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [
        "jsonschema/schemastore/schemas",
        "jsonschema/aws-glue-schema-registry/schema/draft04",
        "jsonschema/aws-glue-schema-registry/schema/draft06",
        "jsonschema/aws-glue-schema-registry/schema/draft07",
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join(dir))
            .expect("corpus folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(corpus().join("jsonschema"))
        .expect("below jsonschema/")
        .to_string_lossy()
        .replace('\\', "/")
}

fn parse(path: &Path) -> Result<JsonSchema, SchemaError> {
    let dir = path.parent().expect("schema in a folder");
    JsonSchema::parse(&read(path), &references_for(path, dir))
}

#[test]
fn every_corpus_json_schema_parses_with_its_references() {
    let schemas = corpus_schemas();
    assert_eq!(schemas.len(), 114 + 27, "corpus size changed");
    let mut failures = Vec::new();
    let mut parsed = 0;
    for path in &schemas {
        let name = relative(path);
        let exception = SCHEMA_EXCEPTIONS.iter().find(|(file, ..)| *file == name);
        match (parse(path), exception) {
            (Ok(schema), None) => {
                parsed += 1;
                // Canonical text is the schema as given minus whitespace; it parses back.
                let back: Value = serde_json::from_str(schema.canonical()).expect("canonical");
                assert_eq!(&back, schema.value(), "{name}");
            }
            (Err(e), None) => failures.push(format!("{name}: {e}")),
            (Ok(_), Some(_)) => failures.push(format!("{name}: parses now; drop the exception")),
            (Err(e), Some((_, _, expected))) => {
                let message = e.to_string();
                if !message.contains(expected) {
                    failures.push(format!("{name}: refused for another reason: {message}"));
                }
            }
        }
    }
    println!(
        "{parsed}/{} corpus schemas parse; {} explained exceptions",
        schemas.len(),
        SCHEMA_EXCEPTIONS.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn schemastore_test_documents_validate_and_negative_ones_are_rejected() {
    let manifest: Value =
        serde_json::from_str(&read(&corpus().join("MANIFEST.json"))).expect("manifest");
    let mut cache: BTreeMap<String, Result<JsonSchema, SchemaError>> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut agreed, mut excepted, mut total) = (0, 0, 0);
    for entry in manifest.as_array().expect("array") {
        let kind = entry["kind"].as_str().unwrap_or_default();
        let expected_valid = match kind {
            "instance-valid" => true,
            "instance-invalid" => false,
            _ => continue,
        };
        total += 1;
        let file = entry["file"].as_str().expect("file");
        let against = entry["validates_against"]
            .as_str()
            .expect("validates_against");
        let name = file.trim_start_matches("jsonschema/");
        let schema = cache
            .entry(against.to_owned())
            .or_insert_with(|| parse(&corpus().join(against)));
        let document: Value = serde_json::from_str(&read(&corpus().join(file))).expect("JSON");
        let verdict = schema.as_ref().map(|s| s.validate(&document));
        let exception = INSTANCE_EXCEPTIONS
            .iter()
            .find(|(p, _)| name.starts_with(p));
        let agrees = match &verdict {
            Ok(Ok(())) => expected_valid,
            Ok(Err(errors)) => {
                assert!(errors.iter().all(|e| !e.message.is_empty()), "{name}");
                !expected_valid
            }
            Err(_) => false,
        };
        match (agrees, exception) {
            (true, None) => agreed += 1,
            (false, Some(_)) => excepted += 1,
            (true, Some(_)) => failures.push(format!("{name}: agrees now; drop the exception")),
            (false, None) => failures.push(format!(
                "{name}: expected valid={expected_valid}, got {:?}",
                verdict.map(|v| v
                    .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>()))
            )),
        }
    }
    println!("{agreed}/{total} SchemaStore test documents agree; {excepted} explained exceptions");
    assert_eq!(total, 177 + 53);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
