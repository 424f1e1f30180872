//! The official JSON-Schema-Test-Suite (draft7 and draft2020-12, in
//! ../shared/corpus/jsonschema-test-suite) run through `JsonSchema::parse` and
//! `JsonSchema::validate`. The suite's remote documents (`http://localhost:1234/<path>`) are
//! given to every schema as references, served from memory: nothing is fetched.
//!
//! Every required case (outside `optional/`) must agree, except those in
//! [`REQUIRED_EXCEPTIONS`]; the optional cases (including `optional/format/`) only report
//! their pass rate.

use std::path::{Path, PathBuf};

use serde_json::Value;
use warden_core::json::JsonSchema;
use warden_core::{ResolvedReference, SchemaType};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/jsonschema-test-suite")
}

/// Required cases Warden does not pass, as the start of `draft/file: group / case`, with why.
/// Each must still fail (a stale exception fails the test).
const REQUIRED_EXCEPTIONS: &[(&str, &str)] = &[(
    "draft2020-12/vocabulary.json: schema that uses custom metaschema with with no validation \
     vocabulary / no validation: invalid number, but it still validates",
    "The schema's `$schema` is a custom meta-schema (a remote reference) that leaves out the \
     validation vocabulary, so `minimum` should not apply. Warden, like Confluent \
     (`JsonSchema.rawSchema`: `SpecificationVersion.getFromUrl` gives null, so DRAFT_7), reads a \
     schema whose `$schema` is not one of the five drafts as draft 7, where `minimum` applies.",
)];

/// Every remote document as a reference named by its URL, as a registry would hold it.
fn remotes() -> Vec<ResolvedReference> {
    let root = suite().join("remotes");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(&root).expect("below remotes/");
            ResolvedReference {
                name: format!(
                    "http://localhost:1234/{}",
                    relative.to_string_lossy().replace('\\', "/")
                ),
                schema_type: SchemaType::Json,
                schema: std::fs::read_to_string(path).expect("remote is readable"),
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
}

impl Tally {
    fn total(&self) -> usize {
        self.passed + self.failed.len()
    }
}

/// The required cases, the optional ones outside `optional/format/`, and the format ones.
fn run_draft(draft: &str, references: &[ResolvedReference]) -> [Tally; 3] {
    let root = suite().join(draft);
    let mut files = Vec::new();
    collect(&root, &mut files);
    let [mut required, mut optional, mut format] = [(); 3].map(|()| Tally::default());
    for file in files {
        let relative = file
            .strip_prefix(&root)
            .expect("below the draft")
            .to_string_lossy()
            .replace('\\', "/");
        let tally = if relative.starts_with("optional/format/") {
            &mut format
        } else if relative.starts_with("optional/") {
            &mut optional
        } else {
            &mut required
        };
        let groups: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("readable"))
                .expect("suite file is JSON");
        for group in groups.as_array().expect("array of groups") {
            let description = group["description"].as_str().unwrap_or_default();
            let parsed = JsonSchema::parse(&group["schema"].to_string(), references);
            for case in group["tests"].as_array().expect("tests") {
                let name = format!(
                    "{draft}/{relative}: {description} / {}",
                    case["description"].as_str().unwrap_or_default()
                );
                let expected = case["valid"].as_bool().expect("valid flag");
                let outcome = match &parsed {
                    Ok(schema) => {
                        let verdict = schema.validate(&case["data"]);
                        // `validate` and `is_valid` must agree, and an invalid document
                        // comes with at least one error.
                        assert_eq!(verdict.is_ok(), schema.is_valid(&case["data"]), "{name}");
                        if let Err(errors) = &verdict {
                            assert!(!errors.is_empty(), "{name}");
                        }
                        Ok(verdict.is_ok())
                    }
                    Err(e) => Err(e.to_string()),
                };
                match outcome {
                    Ok(valid) if valid == expected => tally.passed += 1,
                    Ok(valid) => tally
                        .failed
                        .push(format!("{name}: expected valid={expected}, got {valid}")),
                    Err(e) => tally.failed.push(format!("{name}: schema refused: {e}")),
                }
            }
        }
    }
    [required, optional, format]
}

fn percent(tally: &Tally) -> f64 {
    100.0 * tally.passed as f64 / tally.total().max(1) as f64
}

#[test]
fn json_schema_test_suite_required_cases_all_agree_and_optional_pass_rate_is_reported() {
    let references = remotes();
    assert!(
        references.len() >= 70,
        "remotes found: {}",
        references.len()
    );
    let mut unexpected = Vec::new();
    let mut excepted = Vec::new();
    let mut total_required = 0;
    for draft in ["draft7", "draft2020-12"] {
        let [required, optional, format] = run_draft(draft, &references);
        total_required += required.total();
        println!(
            "{draft}: required {}/{} pass; optional {}/{} ({:.1}%); optional/format {}/{} \
             ({:.1}%)",
            required.passed,
            required.total(),
            optional.passed,
            optional.total(),
            percent(&optional),
            format.passed,
            format.total(),
            percent(&format),
        );
        for failure in optional.failed.iter().chain(&format.failed) {
            println!("  optional miss: {failure}");
        }
        for failure in required.failed {
            match REQUIRED_EXCEPTIONS
                .iter()
                .find(|(case, _)| failure.starts_with(case))
            {
                Some((case, _)) => excepted.push(*case),
                None => unexpected.push(failure),
            }
        }
    }
    assert!(
        total_required > 2000,
        "only {total_required} required cases ran"
    );
    for (case, why) in REQUIRED_EXCEPTIONS {
        assert!(
            excepted.contains(case),
            "stale exception, it passes now: {case} ({why})"
        );
    }
    assert!(
        unexpected.is_empty(),
        "{} required cases disagree:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
