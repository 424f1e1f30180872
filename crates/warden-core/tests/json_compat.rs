//! JSON Schema compatibility: a table of cases covering every rule group of Confluent's JSON
//! Schema diff under BACKWARD with both policies, then the levels, messages, references,
//! payload validation and bad input.

use serde_json::{Value, json};
use warden_core::compat::{Direction, check_with_policy};
use warden_core::json::JsonSchema;
use warden_core::json::compat::diff;
use warden_core::{
    CompatibilityLevel, CompatibilityPolicy, ParsedSchema, ResolvedReference, SchemaError,
    SchemaType,
};

const STRICT: CompatibilityPolicy = CompatibilityPolicy::Strict;
const LENIENT: CompatibilityPolicy = CompatibilityPolicy::Lenient;

fn parse(schema: &Value) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Json, &schema.to_string(), &[])
        .unwrap_or_else(|e| panic!("{e}: {schema}"))
}

fn json_schema(schema: &Value) -> JsonSchema {
    JsonSchema::parse(&schema.to_string(), &[]).unwrap_or_else(|e| panic!("{e}: {schema}"))
}

/// The `(rule, path)` of every violation of `update` against `original` under BACKWARD.
fn backward(
    original: &Value,
    update: &Value,
    policy: CompatibilityPolicy,
) -> Vec<(String, String)> {
    let (original, update) = (parse(original), parse(update));
    let result = check_with_policy(CompatibilityLevel::Backward, policy, &update, &[&original]);
    let mut out: Vec<(String, String)> = result
        .failures
        .iter()
        .flat_map(|(_, violations)| violations)
        .map(|v| (v.rule.to_owned(), v.path.clone()))
        .collect();
    out.sort();
    out
}

/// What a case expects under LENIENT.
enum Lenient {
    /// The same violations as under STRICT.
    Same,
    /// Compatible.
    Passes,
    /// Only these violations remain.
    Leaves(&'static [(&'static str, &'static str)]),
}

struct Case {
    name: &'static str,
    original: Value,
    update: Value,
    /// The violations under STRICT; empty means compatible.
    strict: &'static [(&'static str, &'static str)],
    lenient: Lenient,
}

fn case(
    name: &'static str,
    original: Value,
    update: Value,
    strict: &'static [(&'static str, &'static str)],
    lenient: Lenient,
) -> Case {
    Case {
        name,
        original,
        update,
        strict,
        lenient,
    }
}

fn object(properties: Value) -> Value {
    json!({"type": "object", "properties": properties})
}

fn closed(properties: Value) -> Value {
    json!({"type": "object", "properties": properties, "additionalProperties": false})
}

fn cases() -> Vec<Case> {
    use Lenient::{Leaves, Passes, Same};
    let s = json!({"type": "string"});
    let n = json!({"type": "number"});
    vec![
        // ---- Types (SchemaDiff) ----
        case(
            "string to number is a changed type",
            s.clone(),
            n.clone(),
            &[("TYPE_CHANGED", "#/")],
            Same,
        ),
        case(
            "integer to number is an extended type",
            json!({"type": "integer"}),
            n.clone(),
            &[],
            Same,
        ),
        case(
            "number to integer is a narrowed type",
            n.clone(),
            json!({"type": "integer"}),
            &[("TYPE_NARROWED", "#/")],
            Same,
        ),
        case(
            "anything may become the empty schema",
            object(json!({"a": s})),
            json!({}),
            &[],
            Same,
        ),
        case(
            "the empty schema may not become a string",
            json!({}),
            s.clone(),
            &[("TYPE_CHANGED", "#/")],
            Same,
        ),
        case(
            "a false property may become anything",
            closed(json!({"a": false})),
            closed(json!({"a": s})),
            &[],
            Same,
        ),
        case(
            "a type union gains a member (SUM_TYPE_EXTENDED)",
            json!({"type": ["string"]}),
            json!({"type": ["string", "null"]}),
            &[],
            Same,
        ),
        case(
            "a nullable string becomes a plain string",
            json!({"type": ["string", "null"]}),
            s.clone(),
            &[("TYPE_CHANGED", "#/")],
            Same,
        ),
        case(
            "a string becomes a oneOf that includes it",
            s.clone(),
            json!({"oneOf": [n, s]}),
            &[],
            Same,
        ),
        case(
            "an enum beside a type is dropped (PRODUCT_TYPE_NARROWED)",
            json!({"type": "string", "enum": ["a", "b"]}),
            s.clone(),
            &[],
            Same,
        ),
        case(
            "an enum is added beside a type (a synthetic allOf appears)",
            s.clone(),
            json!({"type": "string", "enum": ["a"]}),
            &[("TYPE_CHANGED", "#/")],
            Same,
        ),
        case(
            "title, description, $id and default may change",
            json!({"$id": "urn:a", "title": "A", "description": "x", "default": "a", "type": "string"}),
            json!({"$id": "urn:b", "title": "B", "description": "y", "default": "b", "type": "string"}),
            &[],
            Same,
        ),
        // ---- Strings ----
        case(
            "maxLength increased",
            json!({"type": "string", "maxLength": 5}),
            json!({"type": "string", "maxLength": 9}),
            &[],
            Same,
        ),
        case(
            "maxLength added",
            s.clone(),
            json!({"type": "string", "maxLength": 5}),
            &[("MAX_LENGTH_ADDED", "#/maxLength")],
            Same,
        ),
        case(
            "maxLength decreased",
            json!({"type": "string", "maxLength": 9}),
            json!({"type": "string", "maxLength": 5}),
            &[("MAX_LENGTH_DECREASED", "#/maxLength")],
            Same,
        ),
        case(
            "minLength decreased",
            json!({"type": "string", "minLength": 5}),
            json!({"type": "string", "minLength": 1}),
            &[],
            Same,
        ),
        case(
            "minLength increased",
            json!({"type": "string", "minLength": 1}),
            json!({"type": "string", "minLength": 5}),
            &[("MIN_LENGTH_INCREASED", "#/minLength")],
            Same,
        ),
        case(
            "minLength removed",
            json!({"type": "string", "minLength": 1}),
            s.clone(),
            &[],
            Same,
        ),
        case(
            "pattern added",
            s.clone(),
            json!({"type": "string", "pattern": "^a"}),
            &[("PATTERN_ADDED", "#/pattern")],
            Same,
        ),
        case(
            "pattern changed",
            json!({"type": "string", "pattern": "^a"}),
            json!({"type": "string", "pattern": "^b"}),
            &[("PATTERN_CHANGED", "#/pattern")],
            Same,
        ),
        case(
            "pattern removed",
            json!({"type": "string", "pattern": "^a"}),
            s.clone(),
            &[],
            Same,
        ),
        // ---- Numbers ----
        case(
            "maximum increased",
            json!({"type": "number", "maximum": 5}),
            json!({"type": "number", "maximum": 50}),
            &[],
            Same,
        ),
        case(
            "maximum decreased",
            json!({"type": "number", "maximum": 50}),
            json!({"type": "number", "maximum": 5}),
            &[("MAXIMUM_DECREASED", "#/maximum")],
            Same,
        ),
        case(
            "minimum added",
            n.clone(),
            json!({"type": "number", "minimum": 0}),
            &[("MINIMUM_ADDED", "#/minimum")],
            Same,
        ),
        case(
            "minimum removed",
            json!({"type": "number", "minimum": 0}),
            n.clone(),
            &[],
            Same,
        ),
        case(
            "exclusiveMaximum decreased",
            json!({"type": "number", "exclusiveMaximum": 10}),
            json!({"type": "number", "exclusiveMaximum": 5}),
            &[("EXCLUSIVE_MAXIMUM_DECREASED", "#/exclusiveMaximum")],
            Same,
        ),
        case(
            "exclusiveMinimum removed",
            json!({"type": "number", "exclusiveMinimum": 0}),
            n.clone(),
            &[],
            Same,
        ),
        case(
            "multipleOf reduced to a divisor",
            json!({"type": "integer", "multipleOf": 10}),
            json!({"type": "integer", "multipleOf": 5}),
            &[],
            Same,
        ),
        case(
            "multipleOf expanded to a multiple",
            json!({"type": "integer", "multipleOf": 5}),
            json!({"type": "integer", "multipleOf": 10}),
            &[("MULTIPLE_OF_EXPANDED", "#/multipleOf")],
            Same,
        ),
        case(
            "multipleOf changed",
            json!({"type": "integer", "multipleOf": 10}),
            json!({"type": "integer", "multipleOf": 3}),
            &[("MULTIPLE_OF_CHANGED", "#/multipleOf")],
            Same,
        ),
        case(
            "fractional multipleOf expanded",
            json!({"type": "number", "multipleOf": 0.01}),
            json!({"type": "number", "multipleOf": 0.05}),
            &[("MULTIPLE_OF_EXPANDED", "#/multipleOf")],
            Same,
        ),
        // ---- Objects: open content model ----
        case(
            "optional property added to an open model",
            object(json!({"name": s})),
            object(json!({"name": s, "email": s})),
            &[(
                "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                "#/properties/email",
            )],
            Passes,
        ),
        case(
            "required property added to an open model",
            object(json!({"name": s})),
            json!({"type": "object", "properties": {"name": s, "email": s}, "required": ["email"]}),
            &[(
                "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                "#/properties/email",
            )],
            Same,
        ),
        case(
            "required property with a default added to an open model",
            object(json!({"name": s})),
            json!({"type": "object", "properties": {"name": s, "email": {"type": "string", "default": ""}},
                   "required": ["email"]}),
            &[(
                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
                "#/properties/email",
            )],
            Passes,
        ),
        case(
            "property with the empty schema added to an open model",
            object(json!({"name": s})),
            object(json!({"name": s, "extra": {}})),
            &[],
            Same,
        ),
        case(
            "property removed from an open model",
            object(json!({"name": s, "email": s})),
            object(json!({"name": s})),
            &[],
            Same,
        ),
        // ---- Objects: closed content model ----
        case(
            "optional property added to a closed model",
            closed(json!({"name": s})),
            closed(json!({"name": s, "email": s})),
            &[],
            Same,
        ),
        case(
            "required property added to a closed model",
            closed(json!({"name": s})),
            json!({"type": "object", "properties": {"name": s, "email": s}, "required": ["email"],
                   "additionalProperties": false}),
            &[(
                "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                "#/properties/email",
            )],
            Same,
        ),
        case(
            "required property with a default added to a closed model",
            closed(json!({"name": s})),
            json!({"type": "object", "properties": {"name": s, "email": {"type": "string", "default": "-"}},
                   "required": ["email"], "additionalProperties": false}),
            &[],
            Same,
        ),
        case(
            "property removed from a closed model",
            closed(json!({"name": s, "email": s})),
            closed(json!({"name": s})),
            &[(
                "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                "#/properties/email",
            )],
            Passes,
        ),
        case(
            "false property removed from a closed model",
            closed(json!({"name": s, "legacy": false})),
            closed(json!({"name": s})),
            &[],
            Same,
        ),
        // ---- Objects: partially open content model ----
        case(
            "property added, covered by a pattern property",
            json!({"type": "object", "properties": {"a": s}, "patternProperties": {"^i_": {"type": "integer"}},
                   "additionalProperties": false}),
            json!({"type": "object", "properties": {"a": s, "i_count": n},
                   "patternProperties": {"^i_": {"type": "integer"}}, "additionalProperties": false}),
            &[],
            Same,
        ),
        case(
            "property added, not covered by additionalProperties",
            json!({"type": "object", "properties": {"a": s}, "additionalProperties": s}),
            json!({"type": "object", "properties": {"a": s, "b": n}, "additionalProperties": s}),
            &[
                (
                    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                    "#/properties/b",
                ),
                ("TYPE_CHANGED", "#/properties/b"),
            ],
            // LENIENT forgives "not covered", not the type change that made it so.
            Leaves(&[("TYPE_CHANGED", "#/properties/b")]),
        ),
        case(
            "property removed, covered by additionalProperties",
            closed(json!({"a": s, "b": s})),
            json!({"type": "object", "properties": {"a": s}, "additionalProperties": s}),
            &[],
            Same,
        ),
        case(
            "property removed, not covered by additionalProperties",
            closed(json!({"a": s, "b": n})),
            json!({"type": "object", "properties": {"a": s}, "additionalProperties": s}),
            &[
                (
                    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                    "#/properties/b",
                ),
                ("TYPE_CHANGED", "#/properties/b"),
            ],
            Leaves(&[("TYPE_CHANGED", "#/properties/b")]),
        ),
        // ---- additionalProperties ----
        case(
            "additionalProperties false to true",
            closed(json!({"a": s})),
            json!({"type": "object", "properties": {"a": s}, "additionalProperties": true}),
            &[],
            Same,
        ),
        case(
            "additionalProperties removed (forbidden)",
            object(json!({"a": s})),
            closed(json!({"a": s})),
            &[("ADDITIONAL_PROPERTIES_REMOVED", "#/additionalProperties")],
            Passes,
        ),
        case(
            "additionalProperties narrowed to a schema",
            object(json!({"a": s})),
            json!({"type": "object", "properties": {"a": s}, "additionalProperties": s}),
            &[("ADDITIONAL_PROPERTIES_NARROWED", "#/additionalProperties")],
            Passes,
        ),
        case(
            "additionalProperties schema extended to anything",
            json!({"type": "object", "additionalProperties": s}),
            json!({"type": "object"}),
            &[],
            Same,
        ),
        case(
            "additionalProperties schema changed",
            json!({"type": "object", "additionalProperties": s}),
            json!({"type": "object", "additionalProperties": n}),
            &[("TYPE_CHANGED", "#/additionalProperties")],
            Same,
        ),
        // ---- required ----
        case(
            "required added to an existing property",
            object(json!({"name": s})),
            json!({"type": "object", "properties": {"name": s}, "required": ["name"]}),
            &[("REQUIRED_ATTRIBUTE_ADDED", "#/required/name")],
            Same,
        ),
        case(
            "required added to a property with a default",
            object(json!({"name": {"type": "string", "default": "x"}})),
            json!({"type": "object", "properties": {"name": {"type": "string", "default": "x"}},
                   "required": ["name"]}),
            &[],
            Same,
        ),
        case(
            "required removed",
            json!({"type": "object", "properties": {"name": s}, "required": ["name"]}),
            object(json!({"name": s})),
            &[],
            Same,
        ),
        // ---- Object bounds and dependencies ----
        case(
            "maxProperties decreased",
            json!({"type": "object", "maxProperties": 5}),
            json!({"type": "object", "maxProperties": 2}),
            &[("MAX_PROPERTIES_DECREASED", "#/maxProperties")],
            Same,
        ),
        case(
            "minProperties added",
            json!({"type": "object"}),
            json!({"type": "object", "minProperties": 1}),
            &[("MIN_PROPERTIES_ADDED", "#/minProperties")],
            Same,
        ),
        case(
            "dependency array added",
            object(json!({"a": s, "b": s})),
            json!({"type": "object", "properties": {"a": s, "b": s}, "dependencies": {"a": ["b"]}}),
            &[("DEPENDENCY_ARRAY_ADDED", "#/dependencies/a")],
            Same,
        ),
        case(
            "dependency array narrowed",
            json!({"type": "object", "dependencies": {"a": ["b", "c"]}}),
            json!({"type": "object", "dependencies": {"a": ["b"]}}),
            &[],
            Same,
        ),
        case(
            "dependency schema removed",
            json!({"type": "object", "dependencies": {"a": {"required": ["b"]}}}),
            json!({"type": "object"}),
            &[],
            Same,
        ),
        // ---- Arrays ----
        case(
            "items type changed",
            json!({"type": "array", "items": s}),
            json!({"type": "array", "items": n}),
            &[("TYPE_CHANGED", "#/items")],
            Same,
        ),
        case(
            "items schema added where there was none",
            json!({"type": "array"}),
            json!({"type": "array", "items": s}),
            &[("SCHEMA_ADDED", "#/items")],
            Same,
        ),
        case(
            "maxItems increased",
            json!({"type": "array", "maxItems": 2}),
            json!({"type": "array", "maxItems": 3}),
            &[],
            Same,
        ),
        case(
            "minItems increased",
            json!({"type": "array", "minItems": 1}),
            json!({"type": "array", "minItems": 2}),
            &[("MIN_ITEMS_INCREASED", "#/minItems")],
            Same,
        ),
        case(
            "uniqueItems added",
            json!({"type": "array"}),
            json!({"type": "array", "uniqueItems": true}),
            &[("UNIQUE_ITEMS_ADDED", "#/uniqueItems")],
            Same,
        ),
        case(
            "uniqueItems removed",
            json!({"type": "array", "uniqueItems": true}),
            json!({"type": "array"}),
            &[],
            Same,
        ),
        case(
            "tuple item added to a closed tuple",
            json!({"type": "array", "items": [s], "additionalItems": false}),
            json!({"type": "array", "items": [s, n], "additionalItems": false}),
            &[],
            Same,
        ),
        case(
            "tuple item added to an open tuple",
            json!({"type": "array", "items": [s]}),
            json!({"type": "array", "items": [s, n]}),
            &[("ITEM_ADDED_TO_OPEN_CONTENT_MODEL", "#/items/1")],
            Same,
        ),
        case(
            "tuple item removed, the update is open",
            json!({"type": "array", "items": [s, n]}),
            json!({"type": "array", "items": [s]}),
            &[],
            Same,
        ),
        case(
            "tuple item removed, the update is closed",
            json!({"type": "array", "items": [s, n], "additionalItems": false}),
            json!({"type": "array", "items": [s], "additionalItems": false}),
            &[("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", "#/items/1")],
            Same,
        ),
        case(
            "additionalItems forbidden",
            json!({"type": "array", "items": [s]}),
            json!({"type": "array", "items": [s], "additionalItems": false}),
            &[("ADDITIONAL_ITEMS_REMOVED", "#/additionalItems")],
            Same,
        ),
        case(
            "2020-12 prefixItems gains an item in a closed tuple",
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array",
                   "prefixItems": [s], "items": false}),
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array",
                   "prefixItems": [s, n], "items": false}),
            &[],
            Same,
        ),
        case(
            "2020-12 unevaluatedProperties false added",
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                   "properties": {"a": s}}),
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                   "properties": {"a": s}, "unevaluatedProperties": false}),
            &[("UNEVALUATED_PROPERTIES_REMOVED", "#/unevaluatedProperties")],
            Passes,
        ),
        case(
            "2019-09 maxContains decreased",
            json!({"$schema": "https://json-schema.org/draft/2019-09/schema", "type": "array",
                   "contains": s, "maxContains": 3}),
            json!({"$schema": "https://json-schema.org/draft/2019-09/schema", "type": "array",
                   "contains": s, "maxContains": 2}),
            &[("MAX_CONTAINS_DECREASED", "#/maxContains")],
            Same,
        ),
        // ---- enum and const ----
        case(
            "enum extended",
            json!({"enum": ["a", "b"]}),
            json!({"enum": ["a", "b", "c"]}),
            &[],
            Same,
        ),
        case(
            "enum narrowed",
            json!({"enum": ["a", "b"]}),
            json!({"enum": ["a"]}),
            &[("ENUM_ARRAY_NARROWED", "#/enum")],
            Same,
        ),
        case(
            "enum changed",
            json!({"enum": ["a", "b"]}),
            json!({"enum": ["a", "c"]}),
            &[("ENUM_ARRAY_CHANGED", "#/enum")],
            Same,
        ),
        case(
            "enum reordered",
            json!({"enum": ["a", "b"]}),
            json!({"enum": ["b", "a"]}),
            &[],
            Same,
        ),
        case(
            "const changed",
            json!({"const": "a"}),
            json!({"const": "b"}),
            &[("ENUM_ARRAY_CHANGED", "#/const")],
            Same,
        ),
        // ---- not ----
        case(
            "not narrowed",
            json!({"not": n}),
            json!({"not": {"type": "integer"}}),
            &[],
            Same,
        ),
        case(
            "not extended",
            json!({"not": {"type": "integer"}}),
            json!({"not": n}),
            &[("NOT_TYPE_EXTENDED", "#/not")],
            Same,
        ),
        // ---- Combined schemas ----
        case(
            "anyOf extended",
            json!({"anyOf": [s, n]}),
            json!({"anyOf": [s, n, {"type": "boolean"}]}),
            &[],
            Same,
        ),
        case(
            "anyOf narrowed",
            json!({"anyOf": [s, n]}),
            json!({"anyOf": [s]}),
            &[("SUM_TYPE_NARROWED", "#/")],
            Same,
        ),
        case(
            "allOf narrowed",
            json!({"allOf": [s, {"maxLength": 5}]}),
            json!({"allOf": [s]}),
            &[],
            Same,
        ),
        case(
            "allOf extended",
            json!({"allOf": [s]}),
            json!({"allOf": [s, {"maxLength": 5}]}),
            &[("PRODUCT_TYPE_EXTENDED", "#/")],
            Same,
        ),
        case(
            "oneOf member changed",
            json!({"oneOf": [s, n]}),
            json!({"oneOf": [s, {"type": "boolean"}]}),
            &[("COMBINED_TYPE_SUBSCHEMAS_CHANGED", "#/")],
            Same,
        ),
        case(
            "oneOf becomes anyOf",
            json!({"oneOf": [s, n]}),
            json!({"anyOf": [s, n]}),
            &[],
            Same,
        ),
        case(
            "anyOf of two becomes oneOf of one",
            json!({"anyOf": [s, n]}),
            json!({"oneOf": [s]}),
            &[("COMBINED_TYPE_CHANGED", "#/")],
            Same,
        ),
        case(
            "allOf members reordered",
            json!({"allOf": [s, {"maxLength": 5}]}),
            json!({"allOf": [{"maxLength": 5}, s]}),
            &[],
            Same,
        ),
        case(
            "a member of anyOf widened",
            json!({"anyOf": [{"type": "string", "maxLength": 5}, n]}),
            json!({"anyOf": [{"type": "string", "maxLength": 9}, n]}),
            &[],
            Same,
        ),
        case(
            "a member of anyOf narrowed",
            json!({"anyOf": [{"type": "string", "maxLength": 9}, n]}),
            json!({"anyOf": [{"type": "string", "maxLength": 5}, n]}),
            &[("COMBINED_TYPE_SUBSCHEMAS_CHANGED", "#/")],
            Same,
        ),
        // ---- References ----
        case(
            "a local definition's type changes behind $ref",
            json!({"type": "object", "properties": {"a": {"$ref": "#/definitions/x"}},
                   "definitions": {"x": s}}),
            json!({"type": "object", "properties": {"a": {"$ref": "#/definitions/x"}},
                   "definitions": {"x": n}}),
            &[("TYPE_CHANGED", "#/properties/a")],
            Same,
        ),
        case(
            "an inline schema moves into a definition",
            object(json!({"a": s})),
            json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": s}}),
            &[],
            Same,
        ),
        case(
            "a recursive schema compared with itself",
            recursive_tree(s.clone()),
            recursive_tree(s.clone()),
            &[],
            Same,
        ),
        case(
            "a recursive schema with a change deep inside",
            recursive_tree(s.clone()),
            recursive_tree(n.clone()),
            &[("TYPE_CHANGED", "#/properties/value")],
            Same,
        ),
        case(
            "a recursive schema adds a property to its open node",
            recursive_tree(s.clone()),
            {
                let mut t = recursive_tree(s.clone());
                t["definitions"]["node"]["properties"]["label"] = s.clone();
                t
            },
            &[(
                "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                "#/properties/label",
            )],
            Passes,
        ),
    ]
}

/// A tree: `{value, children: [node…]}`, recursive through `#/definitions/node`.
fn recursive_tree(value: Value) -> Value {
    json!({
        "$ref": "#/definitions/node",
        "definitions": {
            "node": {
                "type": "object",
                "properties": {
                    "value": value,
                    "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}
                }
            }
        }
    })
}

#[test]
fn compatibility_table_gives_confluents_verdicts_and_rules_under_both_policies() {
    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let (mut compatible, mut incompatible, mut lenient_differs) = (0, 0, 0);
    let mut failures = Vec::new();
    for c in &cases {
        let mut expected: Vec<(String, String)> = c
            .strict
            .iter()
            .map(|(r, p)| ((*r).to_owned(), (*p).to_owned()))
            .collect();
        expected.sort();
        if expected.is_empty() {
            compatible += 1;
        } else {
            incompatible += 1;
        }
        let strict = backward(&c.original, &c.update, STRICT);
        if strict != expected {
            failures.push(format!(
                "{} (STRICT): expected {expected:?}, got {strict:?}",
                c.name
            ));
        }
        let expected_lenient = match c.lenient {
            Lenient::Same => expected,
            Lenient::Passes => {
                lenient_differs += 1;
                Vec::new()
            }
            Lenient::Leaves(left) => {
                lenient_differs += 1;
                let mut left: Vec<(String, String)> = left
                    .iter()
                    .map(|(r, p)| ((*r).to_owned(), (*p).to_owned()))
                    .collect();
                left.sort();
                left
            }
        };
        let lenient = backward(&c.original, &c.update, LENIENT);
        if lenient != expected_lenient {
            failures.push(format!(
                "{} (LENIENT): expected {expected_lenient:?}, got {lenient:?}",
                c.name
            ));
        }
    }
    println!(
        "{} cases: {compatible} compatible, {incompatible} incompatible under STRICT, \
         {lenient_differs} that LENIENT judges differently",
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diff_lists_compatible_changes_too_with_confluent_paths() {
    let original = json_schema(&json!({"type": "object", "properties": {
        "prop1": {"oneOf": [{"type": "string", "maxLength": 5}]}}}));
    let update = json_schema(&json!({"type": "object", "properties": {
        "prop1": {"oneOf": [{"type": "boolean"}, {"title": "my string", "type": "string", "maxLength": 8}]}}}));
    let changes: Vec<String> = diff(&original, &update, STRICT)
        .iter()
        .map(|d| format!("{} {}", d.kind, d.path))
        .collect();
    assert_eq!(
        changes,
        [
            "SUM_TYPE_EXTENDED #/properties/prop1",
            "TITLE_CHANGED #/properties/prop1/oneOf/0",
            "MAX_LENGTH_INCREASED #/properties/prop1/oneOf/0/maxLength",
        ]
    );
}

#[test]
fn violations_carry_confluents_verbose_message_with_roles_by_direction() {
    let old = parse(&object(json!({"name": {"type": "string"}})));
    let new = parse(&object(
        json!({"name": {"type": "string"}, "email": {"type": "string"}}),
    ));
    let backward = new.check_reader_writer(&old, Direction::NewReadsOld);
    assert_eq!(backward.len(), 1);
    assert_eq!(
        backward[0].rule,
        "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    );
    assert_eq!(backward[0].path, "#/properties/email");
    assert_eq!(
        backward[0].message,
        "{errorType:\"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL\", description:\"The new \
         schema has an open content model and has a property or item at path \
         '#/properties/email' which is missing in the old schema\"}"
    );
    // Forward: the old schema reads the new one's data: diff(new → old), a removal from an
    // open model, which is compatible.
    assert!(
        old.check_reader_writer(&new, Direction::OldReadsNew)
            .is_empty()
    );
    // The same change seen forward the other way round names the roles the other way.
    let narrowed = new.check_reader_writer(&old, Direction::OldReadsNew);
    assert_eq!(
        narrowed[0].rule,
        "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    );
    assert!(
        narrowed[0]
            .message
            .contains("The old schema has an open content model")
    );
}

#[test]
fn levels_apply_above_the_json_rules() {
    let v1 = parse(&closed(json!({"a": {"type": "string"}})));
    let v2 = parse(&closed(
        json!({"a": {"type": "string"}, "b": {"type": "string"}}),
    ));
    let v3 = parse(&closed(json!({"b": {"type": "string"}})));
    let check = |level, new: &ParsedSchema, previous: &[&ParsedSchema]| {
        check_with_policy(level, STRICT, new, previous)
    };
    // Adding an optional property to a closed model is backward compatible; forward it is a
    // removal from a closed model.
    assert!(check(CompatibilityLevel::Backward, &v2, &[&v1]).is_compatible());
    let forward = check(CompatibilityLevel::Forward, &v2, &[&v1]);
    assert_eq!(
        forward.failures[0].1[0].rule,
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
    );
    assert!(!check(CompatibilityLevel::Full, &v2, &[&v1]).is_compatible());
    // v3 drops `a`: incompatible with v2 and v1 backward; transitive checks report both.
    assert_eq!(
        check(CompatibilityLevel::Backward, &v3, &[&v1, &v2])
            .failures
            .len(),
        1
    );
    let transitive = check(CompatibilityLevel::BackwardTransitive, &v3, &[&v1, &v2]);
    assert_eq!(
        transitive.failures.iter().map(|f| f.0).collect::<Vec<_>>(),
        [1, 0]
    );
    // LENIENT accepts the removal.
    assert!(
        check_with_policy(
            CompatibilityLevel::FullTransitive,
            LENIENT,
            &v3,
            &[&v1, &v2]
        )
        .is_compatible()
    );
    assert!(check(CompatibilityLevel::None, &v3, &[&v1, &v2]).is_compatible());
}

#[test]
fn json_and_avro_never_read_each_other() {
    let json_schema = parse(&json!({"type": "string"}));
    let avro = ParsedSchema::parse(SchemaType::Avro, "\"string\"", &[]).expect("avro");
    for (reader, writer) in [(&json_schema, &avro), (&avro, &json_schema)] {
        let violations = reader.check_reader_writer(writer, Direction::NewReadsOld);
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].rule, "TYPE_MISMATCH");
    }
    let result = check_with_policy(CompatibilityLevel::Backward, STRICT, &json_schema, &[&avro]);
    assert!(!result.is_compatible());
}

fn reference(name: &str, schema: Value) -> ResolvedReference {
    ResolvedReference {
        name: name.to_owned(),
        schema_type: SchemaType::Json,
        schema: schema.to_string(),
    }
}

#[test]
fn references_resolve_in_memory_by_the_name_the_ref_uses() {
    let address = json!({"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
                         "required": ["zip"]});
    // A relative name, with and without the schema's own $id.
    for root in [
        json!({"type": "object", "properties": {"home": {"$ref": "address.json"}}}),
        json!({"$id": "https://example.com/schemas/person.json", "type": "object",
               "properties": {"home": {"$ref": "address.json"}}}),
    ] {
        let schema = JsonSchema::parse(
            &root.to_string(),
            &[reference("address.json", address.clone())],
        )
        .expect("parses with its reference");
        assert!(schema.is_valid(&json!({"home": {"zip": "12345"}})));
        let errors = schema.validate(&json!({"home": {"zip": "x"}})).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].instance_path, "/home/zip");
        assert_eq!(
            errors[0].schema_path,
            "#/properties/home/$ref/properties/zip/pattern"
        );
    }
    // An absolute name, and a fragment into the reference.
    let root = json!({"properties": {"zip": {"$ref": "https://example.com/address.json#/properties/zip"}}});
    let schema = JsonSchema::parse(
        &root.to_string(),
        &[reference(
            "https://example.com/address.json",
            address.clone(),
        )],
    )
    .expect("parses");
    assert!(!schema.is_valid(&json!({"zip": "x"})));
    // Compatibility follows the reference: the referenced schema narrowed between versions.
    let root = json!({"type": "object", "properties": {"home": {"$ref": "address.json"}}});
    let narrowed = json!({"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$",
                          "maxLength": 5}}, "required": ["zip"]});
    let v1 = ParsedSchema::parse(
        SchemaType::Json,
        &root.to_string(),
        &[reference("address.json", address)],
    )
    .expect("v1");
    let v2 = ParsedSchema::parse(
        SchemaType::Json,
        &root.to_string(),
        &[reference("address.json", narrowed)],
    )
    .expect("v2");
    let violations = v2.check_reader_writer(&v1, Direction::NewReadsOld);
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].rule, "MAX_LENGTH_ADDED");
    assert_eq!(
        violations[0].path,
        "#/properties/home/properties/zip/maxLength"
    );
}

#[test]
fn a_ref_that_is_neither_local_nor_a_reference_is_refused_and_never_fetched() {
    for schema in [
        json!({"$ref": "address.json"}),
        json!({"properties": {"a": {"$ref": "https://example.com/remote.json"}}}),
        json!({"$ref": "#/definitions/missing"}),
    ] {
        match JsonSchema::parse(&schema.to_string(), &[]) {
            Err(SchemaError::Invalid(message)) => {
                assert!(
                    message.contains("$ref") || message.contains("Pointer"),
                    "{message}"
                );
            }
            other => panic!("{schema}: expected Invalid, got {other:?}"),
        }
    }
    // A reference of another format is refused.
    let avro = ResolvedReference {
        name: "address.json".into(),
        schema_type: SchemaType::Avro,
        schema: "\"string\"".into(),
    };
    assert!(JsonSchema::parse(&json!({"$ref": "address.json"}).to_string(), &[avro]).is_err());
    // A draft's own meta-schema is built in, not fetched.
    assert!(
        JsonSchema::parse(
            r#"{"$ref": "http://json-schema.org/draft-07/schema#"}"#,
            &[]
        )
        .is_ok()
    );
}

#[test]
fn bad_input_is_refused_with_a_reason_and_never_crashes_or_hangs() {
    let invalid = |text: &str| match JsonSchema::parse(text, &[]) {
        Err(SchemaError::Invalid(message)) => message,
        other => panic!("{text}: expected Invalid, got {other:?}"),
    };
    assert!(invalid("{not json").contains("not valid JSON"));
    // Confluent's message for a document that is neither an object nor a boolean.
    assert!(invalid("42").contains("expected an object or boolean at the root, found NUMBER"));
    // A meta-schema violation names where it is.
    let message = invalid(r#"{"properties": {"a": {"type": "objekt"}}}"#);
    assert!(message.contains("'#/properties/a/type'"), "{message}");
    let message = invalid(r#"{"type": "string", "minLength": -1}"#);
    assert!(message.contains("'#/minLength'"), "{message}");
    assert!(invalid(r#"{"type": "string", "pattern": "(unclosed"}"#).contains("'#/pattern'"));
    // 10,000 levels of nesting: refused by the JSON parser's depth limit, not a stack overflow.
    let deep = format!("{}{{}}{}", r#"{"not":"#.repeat(10_000), "}".repeat(10_000));
    assert!(invalid(&deep).contains("not valid JSON"));
    // A `$ref` cycle with nothing else is a schema every document passes; it parses, validates
    // and compares without looping.
    let cycle = json!({"$ref": "#/definitions/a", "definitions": {
        "a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}});
    let parsed = parse(&cycle);
    let ParsedSchema::Json(schema) = &parsed else {
        panic!("JSON")
    };
    assert!(schema.is_valid(&json!({"anything": 1})));
    assert!(
        parsed
            .check_reader_writer(&parsed, Direction::NewReadsOld)
            .is_empty()
    );
    let string = parse(&json!({"type": "string"}));
    // The cycle compares as the empty schema: a string may become it, not the reverse.
    assert!(
        parsed
            .check_reader_writer(&string, Direction::NewReadsOld)
            .is_empty()
    );
    assert_eq!(
        string.check_reader_writer(&parsed, Direction::NewReadsOld)[0].rule,
        "TYPE_CHANGED"
    );
}

/// A chain of `n` definitions, each an object whose `next` is the following one; the last
/// is `{"type": last}`.
fn definition_chain(n: usize, last: &str) -> Value {
    let mut definitions = serde_json::Map::new();
    for i in 0..n {
        definitions.insert(
            format!("d{i}"),
            json!({"type": "object", "properties": {"next": {"$ref": format!("#/definitions/d{}", i + 1)}}}),
        );
    }
    definitions.insert(format!("d{n}"), json!({ "type": last }));
    json!({"$ref": "#/definitions/d0", "definitions": definitions})
}

#[test]
fn a_change_at_the_end_of_a_long_reference_chain_is_found_without_exhausting_the_stack() {
    let old = parse(&definition_chain(2_000, "string"));
    let new = parse(&definition_chain(2_000, "number"));
    let violations = new.check_reader_writer(&old, Direction::NewReadsOld);
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].rule, "TYPE_CHANGED");
    assert_eq!(
        violations[0].path,
        format!("#{}", "/properties/next".repeat(2_000))
    );
}

#[test]
fn draft_comes_from_schema_keyword_and_defaults_to_draft_7() {
    use warden_core::json::JsonSchemaDraft as D;
    let draft = |v: Value| json_schema(&v).draft();
    assert_eq!(draft(json!({})), D::Draft7);
    assert_eq!(
        draft(json!({"$schema": "http://json-schema.org/draft-04/schema#"})),
        D::Draft4
    );
    assert_eq!(
        draft(json!({"$schema": "http://json-schema.org/draft-06/schema#"})),
        D::Draft6
    );
    assert_eq!(
        draft(json!({"$schema": "https://json-schema.org/draft/2019-09/schema"})),
        D::Draft201909
    );
    assert_eq!(
        draft(json!({"$schema": "https://json-schema.org/draft/2020-12/schema"})),
        D::Draft202012
    );
    assert_eq!(
        draft(json!({"$schema": "https://example.com/my-dialect"})),
        D::Draft7
    );
    // Draft 7 without $schema: `prefixItems` means nothing, `items` arrays are tuples.
    let schema =
        json_schema(&json!({"items": [{"type": "string"}], "prefixItems": [{"type": "number"}]}));
    assert!(schema.is_valid(&json!(["a"])));
    assert!(!schema.is_valid(&json!([1])));
    // Draft 4's boolean exclusiveMinimum.
    let schema = json_schema(
        &json!({"$schema": "http://json-schema.org/draft-04/schema#",
                                     "minimum": 5, "exclusiveMinimum": true}),
    );
    assert!(!schema.is_valid(&json!(5)));
    assert!(schema.is_valid(&json!(6)));
}

#[test]
fn validate_returns_every_error_with_instance_and_schema_paths() {
    let schema = json_schema(&json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "email": {"type": "string", "format": "email"},
            "tags": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["id", "email"],
        "additionalProperties": false
    }));
    assert_eq!(
        schema.validate(&json!({"id": 3, "email": "a@example.com", "tags": ["x"]})),
        Ok(())
    );
    let errors = schema
        .validate(&json!({"id": 0, "email": "not-an-email", "tags": ["x", 5], "extra": true}))
        .unwrap_err();
    let mut found: Vec<(String, String)> = errors
        .iter()
        .map(|e| (e.instance_path.clone(), e.schema_path.clone()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("".to_owned(), "#/additionalProperties".to_owned()),
            ("/email".to_owned(), "#/properties/email/format".to_owned()),
            ("/id".to_owned(), "#/properties/id/minimum".to_owned()),
            (
                "/tags/1".to_owned(),
                "#/properties/tags/items/type".to_owned()
            ),
        ]
    );
    assert!(errors.iter().all(|e| !e.message.is_empty()));
    let missing = schema.validate(&json!({})).unwrap_err();
    assert_eq!(missing.len(), 2, "both required properties are reported");
}

#[test]
fn canonical_keeps_key_order_minus_whitespace_and_normalized_sorts_keys() {
    let text = "{\n  \"type\": \"object\",\n  \"properties\": {\"b\": {\"type\": \"string\"}, \"a\": {}},\n  \"$schema\": \"http://json-schema.org/draft-07/schema#\"\n}";
    let schema = ParsedSchema::parse(SchemaType::Json, text, &[]).expect("parses");
    assert_eq!(schema.schema_type(), SchemaType::Json);
    assert_eq!(
        schema.canonical(),
        r#"{"type":"object","properties":{"b":{"type":"string"},"a":{}},"$schema":"http://json-schema.org/draft-07/schema#"}"#
    );
    assert_eq!(
        schema.normalized(),
        r#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{},"b":{"type":"string"}},"type":"object"}"#
    );
}

#[test]
fn parsed_json_schemas_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<JsonSchema>();
    assert_send_sync::<ParsedSchema>();
}
