//! Avro compatibility cases from other registries' test suites, in /work/shared/corpus:
//! Apicurio's `avro-compatibility-test-data.json` and AWS Glue's ordered version series.
//! Verdicts come from the corpus (`MANIFEST.json` `compatibility` and `expect`); where Java's
//! `SchemaCompatibility` (and so Confluent) disagrees, the case is listed in [`EXCEPTIONS`]
//! with the reason, and the test checks that the disagreement is exactly that reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use warden_core::compat::check;
use warden_core::{CompatibilityLevel, ParsedSchema, SchemaType, Violation};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(text: &str) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Avro, text, &[]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn rules(violations: &[Violation]) -> Vec<(&'static str, &str)> {
    violations
        .iter()
        .map(|v| (v.rule, v.path.as_str()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Apicurio: `{tests:[{id, enabled, compatibility, original, updated}]}`. Its executor reads
// `compatibility` as the exact outcome: `backward` = backward only, `forward` = forward only,
// `both`, `none` = neither (Apicurio `CompatibilityTestExecutor`).

#[test]
fn apicurio_avro_cases() {
    let path = corpus().join("compat-tests/apicurio-registry/avro-compatibility-test-data.json");
    let data: Value = serde_json::from_str(&read(&path)).expect("test data is JSON");
    let tests = data["tests"].as_array().expect("tests array");
    assert_eq!(tests.len(), 4);
    let mut failures = Vec::new();
    let mut ran = 0;
    for t in tests {
        let id = t["id"].as_str().expect("id");
        if t["enabled"] == Value::Bool(false) {
            failures.push(format!("{id}: disabled in the corpus; decide explicitly"));
            continue;
        }
        let original = parse(&t["original"].to_string());
        let updated = parse(&t["updated"].to_string());
        let backward = check(CompatibilityLevel::Backward, &updated, &[&original]).is_compatible();
        let forward = check(CompatibilityLevel::Forward, &updated, &[&original]).is_compatible();
        let expected = match t["compatibility"].as_str().expect("compatibility") {
            "backward" => (true, false),
            "forward" => (false, true),
            "both" => (true, true),
            "none" => (false, false),
            other => panic!("{id}: unknown compatibility {other}"),
        };
        if (backward, forward) != expected {
            failures.push(format!(
                "{id}: expected (backward, forward) = {expected:?}, got ({backward}, {forward})"
            ));
        }
        ran += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(ran, 4);
}

// ---------------------------------------------------------------------------------------------
// AWS Glue: each folder is a series registered in version order under one mode. Positive
// folders (`expect: compatible`, and `avro-integration/`, which has no `expect`) must register
// every version; in `negative/<mode>/` (`expect: incompatible`) the first version registers,
// as any first version does, and every later one must be rejected. Rejected versions do not
// join the history.

/// A case where Glue's expected verdict disagrees with Java/Confluent.
struct Exception {
    /// Corpus file of the version being registered.
    file: &'static str,
    /// Why Java disagrees.
    why: &'static str,
}

/// Glue's test series give every version its own record name (`user_v1`, `user_v2`, ...), and
/// Glue accepts that. Java's `SchemaCompatibility.schemaNameEquals` compares record names, so
/// Confluent rejects each of these versions with `NAME_MISMATCH` at `/name` ("The name of the
/// schema has changed"). The test checks that this is the only violation: with the record
/// renamed to the previous version's name, each version passes.
const RENAMED_RECORD: &str = "record renamed between versions: Java reports NAME_MISMATCH at /name";

const EXCEPTIONS: &[Exception] = &[
    Exception {
        file: "compat-tests/aws-glue-schema-registry/avro/backward/user_v2.avsc",
        why: RENAMED_RECORD,
    },
    Exception {
        file: "compat-tests/aws-glue-schema-registry/avro/backward/user_v3.avsc",
        why: RENAMED_RECORD,
    },
    Exception {
        file: "compat-tests/aws-glue-schema-registry/avro/forward/order_v2.avsc",
        why: RENAMED_RECORD,
    },
    Exception {
        file: "compat-tests/aws-glue-schema-registry/avro/forward/order_v3.avsc",
        why: RENAMED_RECORD,
    },
    Exception {
        file: "compat-tests/aws-glue-schema-registry/avro/full/profile_v2.avsc",
        why: RENAMED_RECORD,
    },
    Exception {
        file: "compat-tests/aws-glue-schema-registry/avro-integration/backward/backward2.avsc",
        why: RENAMED_RECORD,
    },
    Exception {
        file: "compat-tests/aws-glue-schema-registry/avro-integration/backwardAll/backwardAll2.avsc",
        why: RENAMED_RECORD,
    },
    Exception {
        file: "compat-tests/aws-glue-schema-registry/avro-integration/backwardAll/backwardAll3.avsc",
        why: RENAMED_RECORD,
    },
];

/// How the harness applies a Glue mode.
#[derive(Debug, Clone, Copy)]
enum GlueMode {
    /// A Confluent level (`*_ALL` is the transitive level, `NONE` is `NONE`).
    Level(CompatibilityLevel),
    /// Glue's `DISABLED`: no version after the first is accepted. Confluent has no such
    /// compatibility level (the nearest is the READONLY mode), so the harness rejects by
    /// policy, without the checker.
    Disabled,
}

fn glue_mode(name: &str) -> GlueMode {
    GlueMode::Level(match name {
        "NONE" => CompatibilityLevel::None,
        "BACKWARD" => CompatibilityLevel::Backward,
        "BACKWARD_ALL" => CompatibilityLevel::BackwardTransitive,
        "FORWARD" => CompatibilityLevel::Forward,
        "FORWARD_ALL" => CompatibilityLevel::ForwardTransitive,
        "FULL" => CompatibilityLevel::Full,
        "FULL_ALL" => CompatibilityLevel::FullTransitive,
        "DISABLED" => return GlueMode::Disabled,
        other => panic!("unknown Glue compatibility mode {other}"),
    })
}

struct Version {
    file: String,
    text: String,
    expect_compatible: bool,
}

/// The version number at the end of a file stem: `user_v2` -> 2, `backwardAll3` -> 3.
fn version_number(file: &str) -> u32 {
    let stem = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let digits: String = stem
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().unwrap_or(0)
}

/// The Glue Avro series from the manifest, by folder, in version order, with their mode.
fn glue_series() -> BTreeMap<String, (String, Vec<Version>)> {
    let manifest: Value =
        serde_json::from_str(&read(&corpus().join("MANIFEST.json"))).expect("manifest is JSON");
    let mut series: BTreeMap<String, (String, Vec<Version>)> = BTreeMap::new();
    for entry in manifest.as_array().expect("manifest array") {
        let file = entry["file"].as_str().unwrap_or_default();
        let in_scope = file.starts_with("compat-tests/aws-glue-schema-registry/avro/")
            || file.starts_with("compat-tests/aws-glue-schema-registry/avro-integration/");
        if !in_scope || entry["kind"] != "compat-fixture" {
            continue;
        }
        let mode = entry["compatibility"]
            .as_str()
            .expect("compatibility")
            .to_owned();
        let expect_compatible = match entry["expect"].as_str() {
            None | Some("compatible") => true,
            Some("incompatible") => false,
            Some(other) => panic!("{file}: unknown expect {other}"),
        };
        let folder = Path::new(file)
            .parent()
            .expect("folder")
            .display()
            .to_string();
        let slot = series
            .entry(folder)
            .or_insert_with(|| (mode.clone(), Vec::new()));
        assert_eq!(slot.0, mode, "{file}: one mode per folder");
        slot.1.push(Version {
            file: file.to_owned(),
            text: read(&corpus().join(file)),
            expect_compatible,
        });
    }
    for (_, versions) in series.values_mut() {
        versions.sort_by_key(|v| version_number(&v.file));
    }
    series
}

/// The same schema text with the top-level record renamed.
fn renamed(text: &str, name: &str) -> String {
    let mut json: Value = serde_json::from_str(text).expect("schema is JSON");
    json["name"] = Value::String(name.to_owned());
    json.to_string()
}

#[test]
fn glue_avro_series() {
    let series = glue_series();
    let folders: Vec<&str> = series.keys().map(String::as_str).collect();
    assert_eq!(
        folders,
        [
            "compat-tests/aws-glue-schema-registry/avro-integration/backward",
            "compat-tests/aws-glue-schema-registry/avro-integration/backwardAll",
            "compat-tests/aws-glue-schema-registry/avro/backward",
            "compat-tests/aws-glue-schema-registry/avro/disabled",
            "compat-tests/aws-glue-schema-registry/avro/forward",
            "compat-tests/aws-glue-schema-registry/avro/full",
            "compat-tests/aws-glue-schema-registry/avro/negative/backward",
            "compat-tests/aws-glue-schema-registry/avro/negative/disabled",
            "compat-tests/aws-glue-schema-registry/avro/negative/forward",
            "compat-tests/aws-glue-schema-registry/avro/negative/full",
            "compat-tests/aws-glue-schema-registry/avro/none",
        ]
    );

    let mut failures = Vec::new();
    let mut exceptions_hit = Vec::new();
    let mut checked = 0;
    for (folder, (mode, versions)) in &series {
        let mode = glue_mode(mode);
        // Accepted versions, oldest first, with their record names.
        let mut history: Vec<(ParsedSchema, String)> = Vec::new();
        for (i, version) in versions.iter().enumerate() {
            let schema = parse(&version.text);
            let name: Value = serde_json::from_str(&version.text).expect("schema is JSON");
            let name = name["name"].as_str().unwrap_or_default().to_owned();
            // The first version of a subject always registers; `expect` is about later ones.
            let expected = i == 0 || version.expect_compatible;
            let (accepted, violations) = match mode {
                GlueMode::Disabled => (i == 0, Vec::new()),
                GlueMode::Level(level) => {
                    let previous: Vec<&ParsedSchema> = history.iter().map(|(s, _)| s).collect();
                    let result = check(level, &schema, &previous);
                    let violations: Vec<Violation> = result
                        .failures
                        .iter()
                        .flat_map(|(_, v)| v.clone())
                        .collect();
                    (result.is_compatible(), violations)
                }
            };
            checked += 1;
            if let Some(exception) = EXCEPTIONS.iter().find(|e| e.file == version.file) {
                exceptions_hit.push(exception.file);
                // Java rejects, only for the record name, and accepts once the name is kept.
                let only_name = !violations.is_empty()
                    && violations
                        .iter()
                        .all(|v| (v.rule, v.path.as_str()) == ("NAME_MISMATCH", "/name"));
                let GlueMode::Level(level) = mode else {
                    unreachable!("exceptions are compatibility checks")
                };
                // Against each version the level checks, with that version's record name.
                let checked_versions = if level.transitive() {
                    &history[..]
                } else {
                    &history[history.len().saturating_sub(1)..]
                };
                let renamed_ok = checked_versions.iter().all(|(previous, previous_name)| {
                    let same_name = parse(&renamed(&version.text, previous_name));
                    check(level, &same_name, &[previous]).is_compatible()
                });
                if !(expected && !accepted && only_name && renamed_ok) {
                    failures.push(format!(
                        "{}: exception \"{}\" no longer describes the result (accepted: {accepted}, \
                         violations: {:?}, passes with the old name: {renamed_ok})",
                        version.file,
                        exception.why,
                        rules(&violations)
                    ));
                }
                // Glue accepted it: it joins the history under its own name.
                history.push((schema, name));
                continue;
            }
            if accepted != expected {
                failures.push(format!(
                    "{}: expected {}, got {} ({:?})",
                    version.file,
                    if expected { "accepted" } else { "rejected" },
                    if accepted { "accepted" } else { "rejected" },
                    rules(&violations)
                ));
            }
            if accepted {
                history.push((schema, name));
            }
        }
        assert!(!versions.is_empty(), "{folder}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        exceptions_hit.len(),
        EXCEPTIONS.len(),
        "every listed exception must be met: {exceptions_hit:?}"
    );
    assert_eq!(checked, 27);
}

/// The negative series fail for the reasons their docs give, under Confluent's rules.
#[test]
fn glue_negative_reasons() {
    let series = glue_series();
    let dir = "compat-tests/aws-glue-schema-registry/avro/negative";
    let load = |folder: &str, n: usize| parse(&series[&format!("{dir}/{folder}")].1[n].text);

    // Employee v2 adds a required field; v3 two more, and drops `department`.
    let v1 = load("backward", 0);
    let r = check(CompatibilityLevel::Backward, &load("backward", 1), &[&v1]);
    assert_eq!(
        rules(&r.failures[0].1),
        [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/4")]
    );
    let r = check(
        CompatibilityLevel::BackwardTransitive,
        &load("backward", 2),
        &[&v1],
    );
    assert_eq!(
        rules(&r.failures[0].1),
        [
            ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/3"),
            ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/4"),
        ]
    );

    // Product v2 drops required `category`, which the old reader needs.
    let p1 = load("forward", 0);
    let r = check(CompatibilityLevel::Forward, &load("forward", 1), &[&p1]);
    assert_eq!(
        rules(&r.failures[0].1),
        [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/3")]
    );

    // Account v3: balance double -> int (backward TYPE_MISMATCH), enum gains CLOSED (forward
    // MISSING_ENUM_SYMBOLS; the old reader reads int as double).
    let a1 = load("full", 0);
    let r = check(CompatibilityLevel::Full, &load("full", 2), &[&a1]);
    assert_eq!(
        rules(&r.failures[0].1),
        [
            ("TYPE_MISMATCH", "/fields/1/type"),
            ("MISSING_ENUM_SYMBOLS", "/fields/2/type/symbols")
        ]
    );
}

#[test]
fn glue_malformed_schema_is_refused() {
    let path = corpus()
        .join("compat-tests/aws-glue-schema-registry/avro/negative/malformed/invalid_syntax.avsc");
    assert!(ParsedSchema::parse(SchemaType::Avro, &read(&path), &[]).is_err());
}
