//! Protobuf compatibility: a table of cases covering every Confluent rule with both verdicts
//! (the change that fires it and its allowed neighbour) under BACKWARD, then the seven levels
//! through `compat::check` (with a transitive case where only an older version breaks),
//! verbose messages, imports followed through references, and mixed formats.

use warden_core::compat::{Direction, check};
use warden_core::protobuf::compat::diff;
use warden_core::{
    CompatibilityLevel, ParsedSchema, ProtobufSchema, ResolvedReference, SchemaType,
};

fn schema(text: &str, refs: &[ResolvedReference]) -> ProtobufSchema {
    ProtobufSchema::parse(text, refs).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

fn parsed(text: &str) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Protobuf, text, &[]).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

fn reference(name: &str, text: &str) -> ResolvedReference {
    ResolvedReference {
        name: name.to_owned(),
        schema_type: SchemaType::Protobuf,
        schema: text.to_owned(),
    }
}

/// One case: the old and the new schema (`proto3` bodies unless they start with `syntax`),
/// differences `diff(old, new)` must include, and the exact BACKWARD violations.
struct Case {
    name: &'static str,
    old: &'static str,
    new: &'static str,
    differences: &'static [(&'static str, &'static str)],
    violations: &'static [(&'static str, &'static str)],
}

fn source(body: &str) -> String {
    if body.trim_start().starts_with("syntax") {
        body.to_owned()
    } else {
        format!("syntax = \"proto3\";\n{body}")
    }
}

const fn case(
    name: &'static str,
    old: &'static str,
    new: &'static str,
    differences: &'static [(&'static str, &'static str)],
    violations: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        name,
        old,
        new,
        differences,
        violations,
    }
}

const M1: &str = "message M { int32 a = 1; }";

/// A message `M` with field 1 of the given type.
macro_rules! field {
    ($t:literal) => {
        concat!("message M { ", $t, " a = 1; }")
    };
}

const CASES: &[Case] = &[
    // --- file
    case(
        "package_change_is_incompatible",
        "package a;\nmessage M { int32 a = 1; }",
        "package b;\nmessage M { int32 a = 1; }",
        &[("PACKAGE_CHANGED", "#/")],
        &[("PACKAGE_CHANGED", "#/")],
    ),
    case(
        "same_package_with_qualified_type_names_is_no_change",
        "package a;\nmessage M { N n = 1; message N {} }",
        "package a;\nmessage M { .a.M.N n = 1; message N {} }",
        &[],
        &[],
    ),
    // --- messages
    case(
        "message_added_is_compatible",
        M1,
        "message M { int32 a = 1; }\nmessage N {}",
        &[("MESSAGE_ADDED", "#/N")],
        &[],
    ),
    case(
        "message_removed_is_incompatible",
        "message M { int32 a = 1; }\nmessage N {}",
        M1,
        &[("MESSAGE_REMOVED", "#/N")],
        &[("MESSAGE_REMOVED", "#/N")],
    ),
    case(
        "nested_message_removed_is_incompatible",
        "message M { message N {} }",
        "message M {}",
        &[("MESSAGE_REMOVED", "#/M/N")],
        &[("MESSAGE_REMOVED", "#/M/N")],
    ),
    case(
        "message_moved_is_compatible",
        "message A {}\nmessage B {}",
        "message B {}\nmessage A {}",
        &[("MESSAGE_MOVED", "#/A"), ("MESSAGE_MOVED", "#/B")],
        &[],
    ),
    case(
        "map_entry_messages_are_not_types",
        "message M { map<string, int32> m = 1; }",
        "message M { map<string, int64> m = 1; }",
        &[],
        &[],
    ),
    // --- enums
    case(
        "enum_added_is_compatible",
        M1,
        "message M { int32 a = 1; }\nenum E { X = 0; }",
        &[("ENUM_ADDED", "#/E")],
        &[],
    ),
    case(
        "enum_removed_is_compatible",
        "message M { int32 a = 1; }\nenum E { X = 0; }",
        M1,
        &[("ENUM_REMOVED", "#/E")],
        &[],
    ),
    case(
        "enum_constant_added_is_compatible",
        "enum E { X = 0; }",
        "enum E { X = 0; Y = 1; }",
        &[("ENUM_CONST_ADDED", "#/E/1")],
        &[],
    ),
    case(
        "enum_constant_renamed_is_compatible",
        "enum E { X = 0; Y = 1; }",
        "enum E { X = 0; Z = 1; }",
        &[("ENUM_CONST_CHANGED", "#/E/1")],
        &[],
    ),
    case(
        "enum_constant_removed_is_compatible",
        "enum E { X = 0; Y = 1; }",
        "enum E { X = 0; }",
        &[("ENUM_CONST_REMOVED", "#/E/1")],
        &[],
    ),
    // --- fields
    case(
        "field_added_is_compatible",
        M1,
        "message M { int32 a = 1; string b = 2; }",
        &[("FIELD_ADDED", "#/M/2")],
        &[],
    ),
    case(
        "field_removed_is_compatible",
        "message M { int32 a = 1; string b = 2; }",
        M1,
        &[("FIELD_REMOVED", "#/M/2")],
        &[],
    ),
    case(
        "field_renamed_is_compatible",
        M1,
        "message M { int32 b = 1; }",
        &[("FIELD_NAME_CHANGED", "#/M/1")],
        &[],
    ),
    case(
        "field_renumbered_is_a_removal_and_an_addition",
        M1,
        "message M { int32 a = 2; }",
        &[("FIELD_REMOVED", "#/M/1"), ("FIELD_ADDED", "#/M/2")],
        &[],
    ),
    case(
        "nested_field_path_names_every_message",
        "message A { message B { int32 x = 1; } }",
        "message A { message B { int32 x = 1; int32 y = 2; } }",
        &[("FIELD_ADDED", "#/A/B/2")],
        &[],
    ),
    // --- kinds
    case(
        "scalar_to_message_is_incompatible",
        M1,
        "message M { N a = 1; }\nmessage N {}",
        &[("FIELD_KIND_CHANGED", "#/M/1")],
        &[("FIELD_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "message_to_map_is_incompatible",
        "message M { N a = 1; }\nmessage N {}",
        "message M { map<string, N> a = 1; }\nmessage N {}",
        &[("FIELD_KIND_CHANGED", "#/M/1")],
        &[("FIELD_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "enum_to_message_is_incompatible",
        "message M { E a = 1; }\nenum E { X = 0; }",
        "message M { N a = 1; }\nmessage N {}\nenum E { X = 0; }",
        &[("FIELD_KIND_CHANGED", "#/M/1")],
        &[("FIELD_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "enum_to_int32_is_compatible",
        "message M { E a = 1; }\nenum E { X = 0; }",
        "message M { int32 a = 1; }\nenum E { X = 0; }",
        &[],
        &[],
    ),
    // --- scalar wire groups: allowed inside a group
    case(
        "int32_to_int64_is_compatible",
        field!("int32"),
        field!("int64"),
        &[],
        &[],
    ),
    case(
        "int32_to_uint64_is_compatible",
        field!("int32"),
        field!("uint64"),
        &[],
        &[],
    ),
    case(
        "int64_to_bool_is_compatible",
        field!("int64"),
        field!("bool"),
        &[],
        &[],
    ),
    case(
        "uint32_to_int32_is_compatible",
        field!("uint32"),
        field!("int32"),
        &[],
        &[],
    ),
    case(
        "sint32_to_sint64_is_compatible",
        field!("sint32"),
        field!("sint64"),
        &[],
        &[],
    ),
    case(
        "string_to_bytes_is_compatible",
        field!("string"),
        field!("bytes"),
        &[],
        &[],
    ),
    case(
        "fixed32_to_sfixed32_is_compatible",
        field!("fixed32"),
        field!("sfixed32"),
        &[],
        &[],
    ),
    case(
        "fixed64_to_sfixed64_is_compatible",
        field!("fixed64"),
        field!("sfixed64"),
        &[],
        &[],
    ),
    // --- scalar wire groups: refused across groups
    case(
        "int32_to_sint32_is_incompatible",
        field!("int32"),
        field!("sint32"),
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "int64_to_fixed64_is_incompatible",
        field!("int64"),
        field!("fixed64"),
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "float_to_double_is_incompatible",
        field!("float"),
        field!("double"),
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "string_to_int32_is_incompatible",
        field!("string"),
        field!("int32"),
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "fixed32_to_fixed64_is_incompatible",
        field!("fixed32"),
        field!("fixed64"),
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "bool_to_string_is_incompatible",
        field!("bool"),
        field!("string"),
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "enum_to_sint32_is_incompatible",
        "message M { E a = 1; }\nenum E { X = 0; }",
        "message M { sint32 a = 1; }\nenum E { X = 0; }",
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
    ),
    // --- maps
    case(
        "map_value_int32_to_int64_is_compatible",
        "message M { map<string, int32> m = 1; }",
        "message M { map<string, int64> m = 1; }",
        &[],
        &[],
    ),
    case(
        "map_value_int32_to_string_is_incompatible",
        "message M { map<string, int32> m = 1; }",
        "message M { map<string, string> m = 1; }",
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
    ),
    case(
        "map_key_string_to_int32_is_incompatible",
        "message M { map<string, int32> m = 1; }",
        "message M { map<int32, int32> m = 1; }",
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/1")],
    ),
    // --- named types
    case(
        "message_type_renamed_is_incompatible",
        "message M { A a = 1; }\nmessage A {}",
        "message M { B a = 1; }\nmessage A {}\nmessage B {}",
        &[("FIELD_NAMED_TYPE_CHANGED", "#/M/1")],
        &[("FIELD_NAMED_TYPE_CHANGED", "#/M/1")],
    ),
    case(
        "local_message_type_kept_is_compared_in_place",
        "message M { A a = 1; }\nmessage A { int32 x = 1; }",
        "message M { A a = 1; }\nmessage A { string x = 1; }",
        &[("FIELD_SCALAR_KIND_CHANGED", "#/A/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/A/1")],
    ),
    // --- labels (wire's view: only labels written in the source count)
    case(
        "optional_int32_to_repeated_is_incompatible",
        field!("optional int32"),
        field!("repeated int32"),
        &[("FIELD_NUMERIC_LABEL_CHANGED", "#/M/1")],
        &[("FIELD_NUMERIC_LABEL_CHANGED", "#/M/1")],
    ),
    case(
        "optional_string_to_repeated_is_compatible",
        field!("optional string"),
        field!("repeated string"),
        &[("FIELD_STRING_OR_BYTES_LABEL_CHANGED", "#/M/1")],
        &[],
    ),
    case(
        "optional_message_to_repeated_is_not_checked",
        "message M { optional N a = 1; }\nmessage N {}",
        "message M { repeated N a = 1; }\nmessage N {}",
        &[],
        &[],
    ),
    // Confluent quirk: a proto3 field without a label has none in wire's parse tree, so the
    // label check does not apply.
    case(
        "implicit_int32_to_repeated_is_not_checked",
        field!("int32"),
        field!("repeated int32"),
        &[],
        &[],
    ),
    case(
        "proto2_optional_int32_to_required_is_incompatible",
        "syntax = \"proto2\";\nmessage M { optional int32 a = 1; }",
        "syntax = \"proto2\";\nmessage M { required int32 a = 1; }",
        &[("FIELD_NUMERIC_LABEL_CHANGED", "#/M/1")],
        &[("FIELD_NUMERIC_LABEL_CHANGED", "#/M/1")],
    ),
    // --- proto2 required fields
    case(
        "required_field_added_is_incompatible",
        "syntax = \"proto2\";\nmessage M { optional int32 a = 1; }",
        "syntax = \"proto2\";\nmessage M { optional int32 a = 1; required int32 b = 2; }",
        &[("REQUIRED_FIELD_ADDED", "#/M/2")],
        &[("REQUIRED_FIELD_ADDED", "#/M/2")],
    ),
    case(
        "required_field_removed_is_incompatible",
        "syntax = \"proto2\";\nmessage M { optional int32 a = 1; required int32 b = 2; }",
        "syntax = \"proto2\";\nmessage M { optional int32 a = 1; }",
        &[("REQUIRED_FIELD_REMOVED", "#/M/2")],
        &[("REQUIRED_FIELD_REMOVED", "#/M/2")],
    ),
    case(
        "proto2_optional_field_added_is_compatible",
        "syntax = \"proto2\";\nmessage M { optional int32 a = 1; }",
        "syntax = \"proto2\";\nmessage M { optional int32 a = 1; optional int32 b = 2; }",
        &[("FIELD_ADDED", "#/M/2")],
        &[],
    ),
    // --- oneofs
    case(
        "one_field_moved_into_a_new_oneof_is_compatible",
        "message M { int32 a = 1; int32 b = 2; }",
        "message M { int32 a = 1; oneof o { int32 b = 2; } }",
        &[("ONEOF_ADDED", "#/M/o")],
        &[],
    ),
    case(
        "oneof_removed_whole_is_compatible",
        "message M { int32 a = 1; oneof o { int32 b = 2; int32 c = 3; } }",
        M1,
        &[("ONEOF_REMOVED", "#/M/o")],
        &[],
    ),
    case(
        "oneof_member_added_is_compatible",
        "message M { oneof o { int32 a = 1; } }",
        "message M { oneof o { int32 a = 1; int32 b = 2; } }",
        &[("ONEOF_FIELD_ADDED", "#/M/o/2")],
        &[],
    ),
    case(
        "oneof_member_removed_is_incompatible",
        "message M { oneof o { int32 a = 1; int32 b = 2; } }",
        "message M { oneof o { int32 a = 1; } }",
        &[("ONEOF_FIELD_REMOVED", "#/M/o/2")],
        &[("ONEOF_FIELD_REMOVED", "#/M/o/2")],
    ),
    case(
        "oneof_member_moved_to_top_level_is_compatible",
        "message M { oneof o { int32 a = 1; int32 b = 2; } }",
        "message M { int32 a = 1; oneof o { int32 b = 2; } }",
        &[("ONEOF_FIELD_MOVED_TO_TOP_LEVEL", "#/M/1")],
        &[],
    ),
    case(
        "several_fields_moved_into_a_oneof_is_incompatible",
        "message M { int32 a = 1; int32 b = 2; }",
        "message M { oneof o { int32 a = 1; int32 b = 2; } }",
        &[
            ("MULTIPLE_FIELDS_MOVED_TO_ONEOF", "#/M/o"),
            ("ONEOF_ADDED", "#/M/o"),
        ],
        &[("MULTIPLE_FIELDS_MOVED_TO_ONEOF", "#/M/o")],
    ),
    case(
        "field_moved_into_an_existing_oneof_is_incompatible",
        "message M { int32 a = 1; oneof o { int32 b = 2; } }",
        "message M { oneof o { int32 a = 1; int32 b = 2; } }",
        &[("FIELD_MOVED_TO_EXISTING_ONEOF", "#/M/o")],
        &[("FIELD_MOVED_TO_EXISTING_ONEOF", "#/M/o")],
    ),
    case(
        "oneof_renamed_with_the_same_members_is_compatible",
        "message M { oneof o { int32 a = 1; int32 b = 2; } }",
        "message M { oneof p { int32 a = 1; int32 b = 2; } }",
        &[("ONEOF_REMOVED", "#/M/o"), ("ONEOF_ADDED", "#/M/p")],
        &[],
    ),
    case(
        "oneof_member_type_change_is_reported_at_the_oneof",
        "message M { oneof o { int32 a = 1; } }",
        "message M { oneof o { string a = 1; } }",
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/o/1")],
        &[("FIELD_SCALAR_KIND_CHANGED", "#/M/o/1")],
    ),
    case(
        "proto3_optional_field_is_a_top_level_field",
        field!("int32"),
        field!("optional int64"),
        &[],
        &[],
    ),
];

#[test]
fn every_rule_with_both_verdicts_under_backward() {
    assert!(CASES.len() >= 50, "{} cases", CASES.len());
    let mut failures = Vec::new();
    for c in CASES {
        let old = schema(&source(c.old), &[]);
        let new = schema(&source(c.new), &[]);
        let differences: Vec<(String, String)> = diff(&old, &new)
            .into_iter()
            .map(|d| (d.kind.as_str().to_owned(), d.path))
            .collect();
        for (rule, path) in c.differences {
            if !differences.iter().any(|(r, p)| r == rule && p == path) {
                failures.push(format!(
                    "{}: missing {rule} {path} in {differences:?}",
                    c.name
                ));
            }
        }
        if c.differences.is_empty() && !differences.is_empty() {
            failures.push(format!(
                "{}: expected no difference, got {differences:?}",
                c.name
            ));
        }
        let result = check(
            CompatibilityLevel::Backward,
            &ParsedSchema::Protobuf(new),
            &[&ParsedSchema::Protobuf(old)],
        );
        let mut got: Vec<(String, String)> = result
            .failures
            .iter()
            .flat_map(|(_, v)| v)
            .map(|v| (v.rule.to_owned(), v.path.clone()))
            .collect();
        got.sort();
        let mut expected: Vec<(String, String)> = c
            .violations
            .iter()
            .map(|(r, p)| ((*r).to_owned(), (*p).to_owned()))
            .collect();
        expected.sort();
        if got != expected {
            failures.push(format!(
                "{}: violations {got:?}, expected {expected:?}",
                c.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_table_covers_every_difference_type_fired_and_every_incompatible_one_refused() {
    use warden_core::protobuf::DifferenceType;
    for kind in DifferenceType::ALL {
        let fired = CASES
            .iter()
            .any(|c| c.differences.iter().any(|(r, _)| *r == kind.as_str()));
        assert!(fired, "no case fires {kind}");
        let refused = CASES
            .iter()
            .any(|c| c.violations.iter().any(|(r, _)| *r == kind.as_str()));
        assert_eq!(refused, !kind.is_compatible(), "{kind}");
    }
}

const V1: &str = "syntax = \"proto3\";\nmessage M { int32 a = 1; string b = 2; }";
const V2: &str = "syntax = \"proto3\";\nmessage M { string b = 2; }";
/// Compatible with V2 both ways, but field 1 comes back as a string: V1's data breaks it.
const V3: &str = "syntax = \"proto3\";\nmessage M { string a = 1; string b = 2; }";

fn verdict(level: CompatibilityLevel) -> Vec<(usize, Vec<&'static str>)> {
    let (v1, v2, v3) = (parsed(V1), parsed(V2), parsed(V3));
    check(level, &v3, &[&v1, &v2])
        .failures
        .into_iter()
        .map(|(i, v)| (i, v.iter().map(|v| v.rule).collect()))
        .collect()
}

#[test]
fn all_seven_levels_and_a_transitive_break_only_an_older_version_sees() {
    use CompatibilityLevel as L;
    assert_eq!(verdict(L::None), vec![]);
    assert_eq!(verdict(L::Backward), vec![]);
    assert_eq!(verdict(L::Forward), vec![]);
    assert_eq!(verdict(L::Full), vec![]);
    assert_eq!(
        verdict(L::BackwardTransitive),
        vec![(0, vec!["FIELD_SCALAR_KIND_CHANGED"])]
    );
    assert_eq!(
        verdict(L::ForwardTransitive),
        vec![(0, vec!["FIELD_SCALAR_KIND_CHANGED"])]
    );
    assert_eq!(
        verdict(L::FullTransitive),
        vec![(
            0,
            vec!["FIELD_SCALAR_KIND_CHANGED", "FIELD_SCALAR_KIND_CHANGED"]
        )]
    );
}

#[test]
fn forward_checks_the_old_schema_reading_the_new_one() {
    let old = parsed("syntax = \"proto3\";\nmessage M { int32 a = 1; }");
    let new = parsed("syntax = \"proto3\";\nmessage M { int32 a = 1; }\nmessage N {}");
    // Backward: a message added. Forward: old reads new, which from new's side lacks N.
    assert!(check(CompatibilityLevel::Backward, &new, &[&old]).is_compatible());
    let forward = check(CompatibilityLevel::Forward, &new, &[&old]);
    assert_eq!(forward.failures.len(), 1);
    let violation = &forward.failures[0].1[0];
    assert_eq!(violation.rule, "MESSAGE_REMOVED");
    assert_eq!(violation.path, "#/N");
    assert_eq!(
        violation.message,
        "{errorType:\"MESSAGE_REMOVED\", description:\"The old schema is missing a MESSAGE type \
         at path '#/N' in the new schema\"}"
    );
    let full = check(CompatibilityLevel::Full, &new, &[&old]);
    assert_eq!(full.failures.len(), 1);
}

#[test]
fn backward_messages_are_confluents_verbose_form() {
    let old = parsed("syntax = \"proto3\";\nmessage M { int32 a = 1; }");
    let new = parsed("syntax = \"proto3\";\nmessage M { string a = 1; }");
    let violations = new.check_reader_writer(&old, Direction::NewReadsOld);
    assert_eq!(violations.len(), 1);
    assert_eq!(
        violations[0].message,
        "{errorType:\"FIELD_SCALAR_KIND_CHANGED\", description:\"The kind of a SCALAR field at \
         path '#/M/1' in the new schema does not match its kind in the old schema\"}"
    );
}

const DEP_V1: &str = "syntax = \"proto3\";\npackage acme.common;\nmessage Money { string currency = 1; int64 units = 2; }";
const DEP_V2_ADDED: &str = "syntax = \"proto3\";\npackage acme.common;\nmessage Money { string currency = 1; int64 units = 2; int32 nanos = 3; }";
const DEP_V2_BROKEN: &str = "syntax = \"proto3\";\npackage acme.common;\nmessage Money { string currency = 1; double units = 2; }";
const ORDER: &str = "syntax = \"proto3\";\npackage acme.orders;\nimport \"acme/common/money.proto\";\nmessage Order { acme.common.Money total = 1; }";

#[test]
fn types_in_imported_files_are_followed_through_references() {
    let old = schema(ORDER, &[reference("acme/common/money.proto", DEP_V1)]);
    let compatible = schema(ORDER, &[reference("acme/common/money.proto", DEP_V2_ADDED)]);
    let broken = schema(
        ORDER,
        &[reference("acme/common/money.proto", DEP_V2_BROKEN)],
    );
    let names = |d: Vec<warden_core::protobuf::Difference>| -> Vec<String> {
        d.iter().map(ToString::to_string).collect()
    };
    assert_eq!(names(diff(&old, &old.clone())), Vec::<String>::new());
    assert_eq!(
        names(diff(&old, &compatible)),
        vec!["FIELD_ADDED #/Money/3"]
    );
    assert_eq!(
        names(diff(&old, &broken)),
        vec![
            "FIELD_SCALAR_KIND_CHANGED #/Money/2",
            "FIELD_NAMED_TYPE_CHANGED #/Order/1"
        ]
    );
    // The import moved to another path (another reference) with the same content: nothing.
    let moved = schema(
        &ORDER.replace("acme/common/money.proto", "money.proto"),
        &[reference("money.proto", DEP_V1)],
    );
    assert_eq!(names(diff(&old, &moved)), Vec::<String>::new());
}

#[test]
fn recursive_imported_types_end_the_comparison() {
    let tree = |t: &str| {
        format!(
            "syntax = \"proto3\";\npackage t;\nmessage Node {{ {t} value = 1; repeated Node children = 2; }}"
        )
    };
    let main = "syntax = \"proto3\";\nimport \"tree.proto\";\nmessage Doc { t.Node root = 1; }";
    let old = schema(main, &[reference("tree.proto", &tree("int32"))]);
    let new = schema(main, &[reference("tree.proto", &tree("string"))]);
    let d: Vec<String> = diff(&old, &new).iter().map(ToString::to_string).collect();
    assert_eq!(
        d,
        vec![
            "FIELD_SCALAR_KIND_CHANGED #/Node/1",
            "FIELD_NAMED_TYPE_CHANGED #/Doc/1"
        ]
    );
}

#[test]
fn protobuf_and_other_formats_never_read_each_other() {
    let proto = parsed(V1);
    let avro = ParsedSchema::parse(SchemaType::Avro, "\"string\"", &[]).expect("avro");
    let json = ParsedSchema::parse(SchemaType::Json, "{}", &[]).expect("json");
    for other in [&avro, &json] {
        let result = check(CompatibilityLevel::Backward, &proto, &[other]);
        assert_eq!(result.failures[0].1[0].rule, "TYPE_MISMATCH");
        let result = check(CompatibilityLevel::Backward, other, &[&proto]);
        assert_eq!(result.failures[0].1[0].rule, "TYPE_MISMATCH");
    }
}
