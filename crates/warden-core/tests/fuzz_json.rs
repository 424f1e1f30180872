//! Property tests of the JSON Schema side: the parser, canonical and normalized forms, the
//! compatibility checker under both policies, and the validator. Generators are in
//! `fuzz_support/json.rs`.
//!
//! Long run: `PROPTEST_CASES=100000 cargo test -p warden-core --release --test fuzz_json`.

mod fuzz_support;

use proptest::prelude::*;
use serde_json::{Value, json};
use warden_core::compat::{Direction, check_with_policy};
use warden_core::{CompatibilityLevel, CompatibilityPolicy, ParsedSchema, SchemaType, fingerprint};

use fuzz_support::json as json_gen;
use fuzz_support::{Rng, bytes, config};

const LEVELS: [CompatibilityLevel; 7] = [
    CompatibilityLevel::None,
    CompatibilityLevel::Backward,
    CompatibilityLevel::BackwardTransitive,
    CompatibilityLevel::Forward,
    CompatibilityLevel::ForwardTransitive,
    CompatibilityLevel::Full,
    CompatibilityLevel::FullTransitive,
];

const POLICIES: [CompatibilityPolicy; 2] =
    [CompatibilityPolicy::Strict, CompatibilityPolicy::Lenient];

fn parse(text: &str) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Json, text, &[]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn assert_forms_are_fixed_points(schema: &ParsedSchema) {
    let canonical = schema.canonical();
    let again = parse(canonical);
    assert_eq!(again.canonical(), canonical, "canonical form is idempotent");
    assert_eq!(
        fingerprint(SchemaType::Json, again.canonical(), &[], None, None),
        fingerprint(SchemaType::Json, canonical, &[], None, None)
    );
    let normalized = schema.normalized();
    let renormalized = parse(&normalized);
    assert_eq!(
        renormalized.normalized(),
        normalized,
        "normalizing is idempotent"
    );
    for policy in POLICIES {
        assert_eq!(
            verdicts(schema, &renormalized, policy),
            (true, true),
            "{policy:?}: {canonical}"
        );
    }
}

fn assert_compatible_with_itself(text: &str) {
    let (a, b) = (parse(text), parse(text));
    for policy in POLICIES {
        for level in LEVELS {
            let result = check_with_policy(level, policy, &a, &[&b, &a]);
            assert!(
                result.is_compatible(),
                "{policy:?} {level:?}: {result:?}\n{text}"
            );
        }
    }
}

/// The checker's verdict both ways; the levels agree with it.
fn verdicts(old: &ParsedSchema, new: &ParsedSchema, policy: CompatibilityPolicy) -> (bool, bool) {
    let backward = new
        .check_reader_writer_with_policy(old, Direction::NewReadsOld, policy)
        .is_empty();
    let forward = old
        .check_reader_writer_with_policy(new, Direction::OldReadsNew, policy)
        .is_empty();
    let level = |l| check_with_policy(l, policy, new, &[old]).is_compatible();
    assert_eq!(level(CompatibilityLevel::Backward), backward);
    assert_eq!(level(CompatibilityLevel::Forward), forward);
    assert_eq!(level(CompatibilityLevel::Full), backward && forward);
    (backward, forward)
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn generated_schemas_parse_and_their_forms_are_fixed_points(schema in json_gen::schema()) {
        let parsed = parse(&schema.to_string());
        assert_forms_are_fixed_points(&parsed);
        // Whitespace makes no new schema.
        let pretty = parse(&serde_json::to_string_pretty(&schema).unwrap());
        prop_assert_eq!(pretty.canonical(), parsed.canonical());
    }

    #[test]
    fn every_schema_is_compatible_with_itself_at_every_level_under_both_policies(
        schema in json_gen::schema(),
    ) {
        assert_compatible_with_itself(&schema.to_string());
    }

    #[test]
    fn changed_versions_are_checked_both_ways_without_panicking(
        schema in json_gen::schema(), seed: u64,
    ) {
        let mut rng = Rng::new(seed);
        let old = parse(&schema.to_string());
        let mut changed = schema;
        for _ in 0..1 + rng.below(3) {
            changed = json_gen::mutate(&changed, &mut rng);
        }
        let text = changed.to_string();
        if let Ok(new) = ParsedSchema::parse(SchemaType::Json, &text, &[]) {
            assert_compatible_with_itself(&text);
            for policy in POLICIES {
                let (backward, forward) = verdicts(&old, &new, policy);
                // What STRICT accepts, LENIENT accepts.
                if policy == CompatibilityPolicy::Strict {
                    let (b, f) = (backward, forward);
                    let (lb, lf) = verdicts(&old, &new, CompatibilityPolicy::Lenient);
                    prop_assert!((!b || lb) && (!f || lf), "STRICT ({b}, {f}) LENIENT ({lb}, {lf})");
                }
            }
        }
    }

    #[test]
    fn documents_validate_or_fail_with_errors_and_both_validators_agree(
        schema in json_gen::schema(), documents in prop::collection::vec(json_gen::document(), 1..4),
    ) {
        let ParsedSchema::Json(parsed) = parse(&schema.to_string()) else { unreachable!() };
        for document in &documents {
            let result = parsed.validate(document);
            prop_assert_eq!(result.is_ok(), parsed.is_valid(document), "{}", document);
            if let Err(errors) = result {
                prop_assert!(!errors.is_empty());
            }
        }
    }

    #[test]
    fn damaged_schema_text_parses_or_is_refused_without_panicking(
        schema in json_gen::schema(), damage in bytes::damages(),
    ) {
        let damaged = bytes::apply(schema.to_string().as_bytes(), &damage);
        if let Ok(text) = std::str::from_utf8(&damaged)
            && let Ok(parsed) = ParsedSchema::parse(SchemaType::Json, text, &[])
        {
            assert_forms_are_fixed_points(&parsed);
            assert_compatible_with_itself(text);
        }
    }
}

/// Limits of depth answer, not overflow: JSON nested as deep as the parser takes, and a chain
/// of references far longer, compared with itself and with a change at its far end.
#[test]
fn deep_nesting_and_long_reference_chains_are_checked_without_overflowing_the_stack() {
    let mut nested = json!({"type": "string"});
    for _ in 0..60 {
        nested = json!({"type": "array", "items": nested});
    }
    assert_compatible_with_itself(&nested.to_string());
    let too_deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(ParsedSchema::parse(SchemaType::Json, &too_deep, &[]).is_err());

    let chain = |last: Value| {
        let mut defs = serde_json::Map::new();
        for i in 0..2_000 {
            defs.insert(
                format!("d{i}"),
                json!({"$ref": format!("#/definitions/d{}", i + 1)}),
            );
        }
        defs.insert("d2000".into(), last);
        json!({"$ref": "#/definitions/d0", "definitions": defs}).to_string()
    };
    let old = parse(&chain(json!({"type": "string"})));
    let new = parse(&chain(json!({"type": "integer"})));
    assert_compatible_with_itself(old.canonical());
    for policy in POLICIES {
        let (backward, forward) = verdicts(&old, &new, policy);
        assert!(
            !backward && !forward,
            "{policy:?}: string and integer read nothing of each other"
        );
    }
}
