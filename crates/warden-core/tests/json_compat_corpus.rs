//! JSON Schema compatibility on other people's data, in ../shared/corpus:
//!
//! - the 145 Apicurio Registry cases (`compat-tests/apicurio-registry/
//!   jsonschema-compatibility-test-data.json`), where Confluent's rules and Apicurio's verdicts
//!   differ in [`APICURIO_EXCEPTIONS`], each with the reason;
//! - every SchemaStore evolution series (`evolution/jsonschema/<series>/vNNN.json`), checked
//!   step by step under BACKWARD with both policies, asserting the verdict and the rules that
//!   fired ([`STEPS`], one comment per step saying why).

mod json_support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use json_support::{corpus, read, references_for};
use serde_json::Value;
use warden_core::compat::check_with_policy;
use warden_core::json::JsonSchema;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, ParsedSchema, SchemaError, SchemaType};

const STRICT: CompatibilityPolicy = CompatibilityPolicy::Strict;
const LENIENT: CompatibilityPolicy = CompatibilityPolicy::Lenient;

// ---------------------------------------------------------------------------------------------
// Apicurio. Each case is `{id, compatibility, original, updated}`; `compatibility` says what the
// update must be: `backward`, backward compatible; `both`, backward and forward compatible;
// `none`, compatible in neither direction. (Apicurio's own executor also demands that a
// `backward` case fail forward; the test prints how many cases meet that stricter reading.)

/// Cases where Confluent's rules (and so Warden) disagree with Apicurio: `(index in the file,
/// id, why)`.
const APICURIO_EXCEPTIONS: &[(usize, &str, &str)] = &[
    (
        14,
        "String: format 2",
        "Confluent's StringSchemaDiff does not compare `format`: \
        date-time → date passes both ways.",
    ),
    (
        27,
        "Number: exclusiveMinimum 2",
        "Confluent compares each keyword on its own: \
        exclusiveMinimum 10 → minimum 10 is MINIMUM_ADDED, although it only admits 10.",
    ),
    (
        28,
        "Number: exclusiveMinimum 3",
        "As above: exclusiveMinimum 10 → minimum 5 is \
        MINIMUM_ADDED.",
    ),
    (
        30,
        "Number: exclusiveMinimum 5",
        "Draft 4's boolean exclusiveMinimum is not a limit in \
        everit, so draft-4 {minimum 10, exclusiveMinimum true} → draft-7 {exclusiveMinimum 10} \
        is EXCLUSIVE_MINIMUM_ADDED, although both admit the same numbers.",
    ),
    (
        32,
        "Number: exclusiveMaximum 2",
        "exclusiveMaximum 10 → maximum 10 is MAXIMUM_ADDED \
        (keywords compared one by one).",
    ),
    (
        33,
        "Number: exclusiveMaximum 3",
        "exclusiveMaximum 5 → maximum 10 is MAXIMUM_ADDED.",
    ),
    (
        35,
        "Number: exclusiveMaximum 5",
        "Draft-4 boolean exclusiveMaximum → draft-7 numeric \
        exclusiveMaximum is EXCLUSIVE_MAXIMUM_ADDED.",
    ),
    (
        42,
        "Object: required",
        "Confluent compares `required` only for properties declared in \
        `properties`; here there are none, so a changed `required` passes both ways.",
    ),
    (
        53,
        "Object: patternProperties 2",
        "Confluent uses patternProperties only to decide \
        whether an added or removed property is covered; it does not compare their schemas.",
    ),
    (
        98,
        "Const: Enum equivalency",
        "`const: x` and `enum: [x]` are different everit classes \
        (ConstSchema, EnumSchema): TYPE_CHANGED both ways.",
    ),
    (
        101,
        "String: contentEncoding 3",
        "Confluent does not compare contentEncoding.",
    ),
    (
        104,
        "String: contentMediaType 3",
        "Confluent does not compare contentMediaType.",
    ),
    (
        124,
        "Conditional: if",
        "Confluent does not look into if/then/else (everit \
        ConditionalSchema is compared by class only).",
    ),
];

fn parse_value(value: &Value) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Json, &value.to_string(), &[])
        .unwrap_or_else(|e| panic!("{e}: {value}"))
}

fn compatible(level: CompatibilityLevel, new: &ParsedSchema, old: &ParsedSchema) -> bool {
    check_with_policy(level, STRICT, new, &[old]).is_compatible()
}

#[test]
fn apicurio_cases_agree_with_confluents_rules_but_for_named_exceptions() {
    let path =
        corpus().join("compat-tests/apicurio-registry/jsonschema-compatibility-test-data.json");
    let data: Value = serde_json::from_str(&read(&path)).expect("test data is JSON");
    let tests = data["tests"].as_array().expect("tests");
    assert_eq!(tests.len(), 145);
    let (mut agreed, mut executor_agreed) = (0, 0);
    let mut failures = Vec::new();
    let mut excepted = Vec::new();
    for (index, t) in tests.iter().enumerate() {
        let id = t["id"].as_str().expect("id");
        assert_eq!(t["enabled"], Value::Bool(true), "{id}: a disabled case");
        let original = parse_value(&t["original"]);
        let updated = parse_value(&t["updated"]);
        let backward = compatible(CompatibilityLevel::Backward, &updated, &original);
        let forward = compatible(CompatibilityLevel::Forward, &updated, &original);
        let expected = t["compatibility"].as_str().expect("compatibility");
        let agrees = match expected {
            "backward" => backward,
            "both" => backward && forward,
            "none" => !backward && !forward,
            other => panic!("{id}: unknown compatibility {other}"),
        };
        let executor = match expected {
            "backward" => backward && !forward,
            _ => agrees,
        };
        executor_agreed += usize::from(executor);
        let exception = APICURIO_EXCEPTIONS.iter().find(|(i, ..)| *i == index);
        match (agrees, exception) {
            (true, None) => agreed += 1,
            (false, Some((_, name, _))) => {
                assert_eq!(*name, id, "exception #{index} names another case");
                excepted.push(index);
            }
            (true, Some(_)) => {
                failures.push(format!("#{index} {id}: agrees now; drop the exception"))
            }
            (false, None) => failures.push(format!(
                "#{index} {id}: expected {expected}, got backward={backward} forward={forward}"
            )),
        }
    }
    let rate = 100.0 * agreed as f64 / tests.len() as f64;
    println!(
        "Apicurio: {agreed}/{} agree ({rate:.1}%), {} named exceptions; with Apicurio's executor \
         reading (a `backward` case must also fail forward): {executor_agreed}/{}",
        tests.len(),
        excepted.len(),
        tests.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(rate >= 90.0, "only {rate:.1}% agree");
}

// ---------------------------------------------------------------------------------------------
// Evolution series. A version's `$ref`s to other SchemaStore schemas are given as references,
// taken from the current copies in jsonschema/schemastore/schemas (corpus README).

/// Versions that do not parse: `(series, version, why, a piece of the error)`.
const REFUSED: &[(&str, u32, &str, &str)] = &[
    (
        "schemastore-composer",
        1,
        "Draft-03 style `\"required\": true` inside a property breaks \
        the draft-04 meta-schema it declares.",
        "'#/properties/name/required'",
    ),
    (
        "schemastore-eslintrc",
        6,
        "References partial-eslint-plugins.json, left out of the \
        corpus on purpose.",
        "partial-eslint-plugins.json",
    ),
    (
        "schemastore-github-workflow",
        1,
        "The `working-directory` pattern `^(\\.[^…]+$` has an \
        unclosed group: not a regular expression.",
        "steps/items",
    ),
    (
        "schemastore-package",
        4,
        "References eslintrc.json, whose partial-eslint-plugins.json is \
        left out.",
        "partial-eslint-plugins.json",
    ),
    (
        "schemastore-package",
        5,
        "As v4.",
        "partial-eslint-plugins.json",
    ),
    (
        "schemastore-package",
        6,
        "Also references quikrun.json, not in the corpus.",
        "unresolvable $ref",
    ),
];

/// One step of a series: the incompatible rules that fire under each policy (rule, count);
/// empty is compatible.
struct Step {
    series: &'static str,
    from: u32,
    strict: &'static [(&'static str, usize)],
    lenient: &'static [(&'static str, usize)],
}

const fn step(
    series: &'static str,
    from: u32,
    strict: &'static [(&'static str, usize)],
    lenient: &'static [(&'static str, usize)],
) -> Step {
    Step {
        series,
        from,
        strict,
        lenient,
    }
}

const OPEN_ADD: &str = "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL";
const SUBSCHEMAS: &str = "COMBINED_TYPE_SUBSCHEMAS_CHANGED";

const STEPS: &[Step] = &[
    // composer v2→v3: the package-link maps (require, replace, …) get an additionalProperties
    // schema where they had none (NARROWED) and 14 optional properties join open objects;
    // LENIENT forgives both. Left: `repositories`, a union whose members changed incompatibly.
    step(
        "schemastore-composer",
        2,
        &[
            ("ADDITIONAL_PROPERTIES_NARROWED", 13),
            (SUBSCHEMAS, 1),
            (OPEN_ADD, 14),
        ],
        &[(SUBSCHEMAS, 1)],
    ),
    // v3→v4: a root `oneOf` appears beside `type: object`, so the root becomes everit's
    // synthetic allOf(oneOf, object): a constraint added at the root, TYPE_CHANGED.
    step(
        "schemastore-composer",
        3,
        &[("TYPE_CHANGED", 1)],
        &[("TYPE_CHANGED", 1)],
    ),
    // v4→v5: only compatible changes.
    step("schemastore-composer", 4, &[], &[]),
    // v5→v6: the object member of the root allOf changes incompatibly (patterns added to name
    // and version, `type` retyped, the `_comment` pattern property dropped), so it pairs with
    // no member of the update; Confluent reports the combined change only.
    step(
        "schemastore-composer",
        5,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    // dependabot v1→v2: `version` changes union criterion, schedule.interval becomes
    // required, schedule.time gains a pattern, four property types change; LENIENT forgives
    // the four optional properties added and the closing of additionalProperties only.
    step(
        "schemastore-dependabot-2.0",
        1,
        &[
            ("ADDITIONAL_PROPERTIES_REMOVED", 1),
            ("COMBINED_TYPE_CHANGED", 1),
            (OPEN_ADD, 4),
            ("PATTERN_ADDED", 1),
            ("REQUIRED_ATTRIBUTE_ADDED", 1),
            ("TYPE_CHANGED", 4),
        ],
        &[
            ("COMBINED_TYPE_CHANGED", 1),
            ("PATTERN_ADDED", 1),
            ("REQUIRED_ATTRIBUTE_ADDED", 1),
            ("TYPE_CHANGED", 4),
        ],
    ),
    // v2→v3: a root `allOf` appears beside `type: object`: TYPE_CHANGED at the root.
    step(
        "schemastore-dependabot-2.0",
        2,
        &[("TYPE_CHANGED", 1)],
        &[("TYPE_CHANGED", 1)],
    ),
    // v3→v4, v4→v5, v5→v6: the object member of the root allOf changes incompatibly (the
    // `updates` items, and in v6 also `version` and the multi-ecosystem groups).
    step(
        "schemastore-dependabot-2.0",
        3,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    step(
        "schemastore-dependabot-2.0",
        4,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    step(
        "schemastore-dependabot-2.0",
        5,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    // eslintrc v1→v2, v2→v3, v3→v4: optional properties join open objects, also inside the
    // rule groups that `rules` combines with allOf (hence the combined change, its members no
    // longer pairing up under STRICT); LENIENT accepts all.
    step(
        "schemastore-eslintrc",
        1,
        &[(SUBSCHEMAS, 1), (OPEN_ADD, 7)],
        &[],
    ),
    step(
        "schemastore-eslintrc",
        2,
        &[(SUBSCHEMAS, 1), (OPEN_ADD, 4)],
        &[],
    ),
    step(
        "schemastore-eslintrc",
        3,
        &[(SUBSCHEMAS, 1), (OPEN_ADD, 2)],
        &[],
    ),
    // v4→v5: as above, but `overrides.files` (string or array) also changes incompatibly,
    // which LENIENT does not forgive.
    step(
        "schemastore-eslintrc",
        4,
        &[(SUBSCHEMAS, 3), (OPEN_ADD, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    // github-action v1→v2: if/then/else at the root turns the object into everit's
    // allOf(object, conditional): TYPE_CHANGED.
    step(
        "schemastore-github-action",
        1,
        &[("TYPE_CHANGED", 1)],
        &[("TYPE_CHANGED", 1)],
    ),
    // v2→v3: the object member changes incompatibly in `runs`.
    step(
        "schemastore-github-action",
        2,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    step("schemastore-github-action", 3, &[], &[]),
    // v4→v5: the object member changes incompatibly in `branding.icon` (an enum beside a type,
    // itself an allOf, whose values changed).
    step(
        "schemastore-github-action",
        4,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    step("schemastore-github-action", 5, &[], &[]),
    // github-workflow v2→v3: the `on`, `env` and `concurrency` unions change members
    // incompatibly.
    step(
        "schemastore-github-workflow",
        2,
        &[(SUBSCHEMAS, 3)],
        &[(SUBSCHEMAS, 3)],
    ),
    // kustomization v1→v2: patchesJson6902 items make `path` required, and their closed
    // `target` object gets three required properties without defaults.
    step(
        "schemastore-kustomization",
        1,
        &[
            ("REQUIRED_ATTRIBUTE_ADDED", 1),
            ("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", 3),
        ],
        &[
            ("REQUIRED_ATTRIBUTE_ADDED", 1),
            ("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", 3),
        ],
    ),
    step("schemastore-kustomization", 2, &[], &[]),
    // v3→v4: the `replacements` items (a union) change members incompatibly.
    step(
        "schemastore-kustomization",
        3,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    step("schemastore-kustomization", 4, &[], &[]),
    // v5→v6: `replacements` items again (only optional additions now, which LENIENT forgives)
    // and the `sortOptions` union.
    step(
        "schemastore-kustomization",
        5,
        &[(SUBSCHEMAS, 2)],
        &[(SUBSCHEMAS, 1)],
    ),
    // package v1→v2: the object root becomes an allOf of three: TYPE_CHANGED.
    step(
        "schemastore-package",
        1,
        &[("TYPE_CHANGED", 1)],
        &[("TYPE_CHANGED", 1)],
    ),
    // v2→v3: allOf of three → allOf(anyOf, object): not every member of the update is
    // compatible with a member of the original.
    step(
        "schemastore-package",
        2,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    // pre-commit-config v1→v2: `repos` items become a choice of repository kinds, none of
    // which accepts every old item (TYPE_CHANGED); `ci` joins the open root.
    step(
        "schemastore-pre-commit-config",
        1,
        &[(OPEN_ADD, 1), ("TYPE_CHANGED", 1)],
        &[("TYPE_CHANGED", 1)],
    ),
    // v2→v3: the repository kinds change incompatibly.
    step(
        "schemastore-pre-commit-config",
        2,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    // v3→v4: the same, and the items of `default_stages` change type.
    step(
        "schemastore-pre-commit-config",
        3,
        &[(SUBSCHEMAS, 1), ("TYPE_CHANGED", 1)],
        &[(SUBSCHEMAS, 1), ("TYPE_CHANGED", 1)],
    ),
    // v4→v5: one optional property joins the open root.
    step("schemastore-pre-commit-config", 4, &[(OPEN_ADD, 1)], &[]),
    // v5→v6: the repository kinds change incompatibly.
    step(
        "schemastore-pre-commit-config",
        5,
        &[(SUBSCHEMAS, 1)],
        &[(SUBSCHEMAS, 1)],
    ),
    // prettierrc v1→v2: the option definitions in the root allOf gain optional properties;
    // LENIENT pairs the members again.
    step("schemastore-prettierrc", 1, &[(SUBSCHEMAS, 1)], &[]),
    // v2→v3: the root allOf (object + options) becomes a oneOf (options object, or a string):
    // an allOf of two cannot become a oneOf.
    step(
        "schemastore-prettierrc",
        2,
        &[("COMBINED_TYPE_CHANGED", 1)],
        &[("COMBINED_TYPE_CHANGED", 1)],
    ),
    // v3→v4, v4→v5, v5→v6: the options member gains optional properties.
    step("schemastore-prettierrc", 3, &[(SUBSCHEMAS, 1)], &[]),
    step("schemastore-prettierrc", 4, &[(SUBSCHEMAS, 1)], &[]),
    step("schemastore-prettierrc", 5, &[(SUBSCHEMAS, 1)], &[]),
    // sarif rtm.0 → rtm.3: 36 properties removed from closed objects; LENIENT allows it.
    step(
        "schemastore-sarif-2.1.0-release-series",
        1,
        &[("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", 36)],
        &[],
    ),
    // rtm.3 → final: 70 objects close (`additionalProperties: false`), two more properties
    // go, and 90 unions differ only by those changes; LENIENT accepts all of it.
    step(
        "schemastore-sarif-2.1.0-release-series",
        2,
        &[
            ("ADDITIONAL_PROPERTIES_REMOVED", 70),
            (SUBSCHEMAS, 90),
            ("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", 2),
        ],
        &[],
    ),
    // specif: descriptions and compatible changes only.
    step("schemastore-specif-1.1", 1, &[], &[]),
    step("schemastore-specif-1.1", 2, &[], &[]),
    // web-manifest: optional properties join open objects (LENIENT accepts); v3→v4 also makes
    // `src` and `platform` required and retypes icons' `purpose`.
    step("schemastore-web-manifest", 1, &[(OPEN_ADD, 4)], &[]),
    step("schemastore-web-manifest", 2, &[(OPEN_ADD, 12)], &[]),
    step(
        "schemastore-web-manifest",
        3,
        &[
            (OPEN_ADD, 1),
            ("REQUIRED_ATTRIBUTE_ADDED", 2),
            ("TYPE_CHANGED", 1),
        ],
        &[("REQUIRED_ATTRIBUTE_ADDED", 2), ("TYPE_CHANGED", 1)],
    ),
    step("schemastore-web-manifest", 4, &[(OPEN_ADD, 1)], &[]),
    step("schemastore-web-manifest", 5, &[(OPEN_ADD, 4)], &[]),
    // yamllint v1–v5 are draft-04 with a root `$ref`, so (as in Confluent's everit) the
    // keywords beside it are ignored and only the referenced definition counts: unchanged.
    step("schemastore-yamllint", 1, &[], &[]),
    step("schemastore-yamllint", 2, &[], &[]),
    step("schemastore-yamllint", 3, &[], &[]),
    step("schemastore-yamllint", 4, &[], &[]),
    // v5→v6 moves to 2020-12, where `$ref` sits beside `properties` and
    // `unevaluatedProperties`: the root becomes allOf(reference, object), TYPE_CHANGED.
    step(
        "schemastore-yamllint",
        5,
        &[("TYPE_CHANGED", 1)],
        &[("TYPE_CHANGED", 1)],
    ),
];

fn fired(
    new: &ParsedSchema,
    old: &ParsedSchema,
    policy: CompatibilityPolicy,
) -> BTreeMap<String, usize> {
    let result = check_with_policy(CompatibilityLevel::Backward, policy, new, &[old]);
    let mut counts = BTreeMap::new();
    for (_, violations) in &result.failures {
        for v in violations {
            *counts.entry(v.rule.to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

fn expected(rules: &[(&str, usize)]) -> BTreeMap<String, usize> {
    rules.iter().map(|(r, n)| ((*r).to_owned(), *n)).collect()
}

#[test]
fn evolution_series_are_checked_step_by_step_under_backward_with_both_policies() {
    let root = corpus().join("evolution/jsonschema");
    let dependencies = corpus().join("jsonschema/schemastore/schemas");
    let mut series: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("evolution folder")
        .map(|e| e.expect("entry").path())
        .collect();
    series.sort();
    assert_eq!(series.len(), 13);
    let mut failures = Vec::new();
    let (mut checked, mut refused) = (0, 0);
    let (mut compatible_strict, mut compatible_lenient) = (0, 0);
    for dir in &series {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("series")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let versions: Vec<Result<ParsedSchema, SchemaError>> = files
            .iter()
            .map(|f| {
                JsonSchema::parse(&read(f), &references_for(f, &dependencies))
                    .map(ParsedSchema::Json)
            })
            .collect();
        for (i, version) in versions.iter().enumerate() {
            let number = i as u32 + 1;
            let expected_refusal = REFUSED.iter().find(|(s, v, ..)| *s == name && *v == number);
            match (version, expected_refusal) {
                (Ok(_), None) => {}
                (Err(e), Some((.., piece))) => {
                    refused += 1;
                    if !e.to_string().contains(piece) {
                        failures.push(format!("{name} v{number}: refused for another reason: {e}"));
                    }
                }
                (Ok(_), Some(_)) => failures.push(format!("{name} v{number}: parses now")),
                (Err(e), None) => failures.push(format!("{name} v{number}: refused: {e}")),
            }
        }
        for i in 1..versions.len() {
            let from = i as u32;
            let (Ok(old), Ok(new)) = (&versions[i - 1], &versions[i]) else {
                continue;
            };
            let Some(step) = STEPS.iter().find(|s| s.series == name && s.from == from) else {
                failures.push(format!("{name} v{from}→v{}: no recorded step", from + 1));
                continue;
            };
            checked += 1;
            for (policy, rules) in [(STRICT, step.strict), (LENIENT, step.lenient)] {
                let got = fired(new, old, policy);
                if got.is_empty() {
                    if policy == STRICT {
                        compatible_strict += 1;
                    } else {
                        compatible_lenient += 1;
                    }
                }
                if got != expected(rules) {
                    failures.push(format!(
                        "{name} v{from}→v{} {policy}: expected {:?}, got {got:?}",
                        from + 1,
                        expected(rules)
                    ));
                }
            }
        }
    }
    assert_eq!(checked, STEPS.len(), "every recorded step was checked");
    println!(
        "{checked} steps in {} series ({refused} versions refused): {compatible_strict} \
         compatible under STRICT, {compatible_lenient} under LENIENT",
        series.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
