//! Avro reader/writer compatibility: a table of writer/reader pairs with the verdict, rule and
//! path Java's `SchemaCompatibility` gives (Avro spec, "Schema Resolution"), then the seven
//! Confluent levels over version histories, and schemas using referenced named types.

use warden_core::avro::AvroSchema;
use warden_core::avro::compat;
use warden_core::compat::{Direction, check as check_level};
use warden_core::{CompatibilityLevel, ParsedSchema, ResolvedReference, SchemaType, Violation};

fn avro(text: &str) -> AvroSchema {
    AvroSchema::parse(text, &[]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn reader_writer(reader: &str, writer: &str) -> Vec<Violation> {
    compat::check(&avro(reader), &avro(writer), Direction::NewReadsOld)
}

/// A record `R` with the given fields (JSON array body).
fn rec(fields: &str) -> String {
    format!(r#"{{"type":"record","name":"R","namespace":"ns","fields":[{fields}]}}"#)
}

/// A record `R` with one field `f` of the given type.
fn field(ty: &str) -> String {
    rec(&format!(r#"{{"name":"f","type":{ty}}}"#))
}

const NODE_INT: &str = r#"{"type":"record","name":"Node","fields":[
    {"name":"value","type":"int"},
    {"name":"next","type":["null","Node"],"default":null}]}"#;
const NODE_LONG: &str = r#"{"type":"record","name":"Node","fields":[
    {"name":"value","type":"long"},
    {"name":"next","type":["null","Node"],"default":null}]}"#;
const NODE_INT_TAG: &str = r#"{"type":"record","name":"Node","fields":[
    {"name":"value","type":"int"},
    {"name":"next","type":["null","Node"],"default":null},
    {"name":"tag","type":"string"}]}"#;

struct Case {
    name: &'static str,
    writer: String,
    reader: String,
    /// Every violation as `(rule, path)`, in Java's order; empty when compatible.
    expect: &'static [(&'static str, &'static str)],
}

fn case(
    name: &'static str,
    writer: impl Into<String>,
    reader: impl Into<String>,
    expect: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        name,
        writer: writer.into(),
        reader: reader.into(),
        expect,
    }
}

const OK: &[(&str, &str)] = &[];

fn table() -> Vec<Case> {
    let addr = r#"{"type":"record","name":"Addr","fields":[{"name":"street","type":"string"}]}"#;
    let addr_zip = r#"{"type":"record","name":"Addr","fields":[
        {"name":"street","type":"string"},{"name":"zip","type":"string"}]}"#;
    let color = |symbols: &str, default: &str| {
        format!(r#"{{"type":"enum","name":"Color","symbols":[{symbols}]{default}}}"#)
    };
    vec![
        // Primitive promotions.
        case("int to long", "\"int\"", "\"long\"", OK),
        case("int to float", "\"int\"", "\"float\"", OK),
        case("int to double", "\"int\"", "\"double\"", OK),
        case("long to float", "\"long\"", "\"float\"", OK),
        case("long to double", "\"long\"", "\"double\"", OK),
        case("float to double", "\"float\"", "\"double\"", OK),
        case("string to bytes", "\"string\"", "\"bytes\"", OK),
        case("bytes to string", "\"bytes\"", "\"string\"", OK),
        case("null to null", "\"null\"", "\"null\"", OK),
        case(
            "long to int",
            "\"long\"",
            "\"int\"",
            &[("TYPE_MISMATCH", "/")],
        ),
        case(
            "double to float",
            "\"double\"",
            "\"float\"",
            &[("TYPE_MISMATCH", "/")],
        ),
        case(
            "float to long",
            "\"float\"",
            "\"long\"",
            &[("TYPE_MISMATCH", "/")],
        ),
        case(
            "int to string",
            "\"int\"",
            "\"string\"",
            &[("TYPE_MISMATCH", "/")],
        ),
        case(
            "boolean to int",
            "\"boolean\"",
            "\"int\"",
            &[("TYPE_MISMATCH", "/")],
        ),
        // Records.
        case(
            "add field with default",
            rec(r#"{"name":"a","type":"string"}"#),
            rec(r#"{"name":"a","type":"string"},{"name":"b","type":"int","default":0}"#),
            OK,
        ),
        case(
            "add field with null default",
            rec(r#"{"name":"a","type":"string"}"#),
            rec(
                r#"{"name":"a","type":"string"},{"name":"b","type":["null","int"],"default":null}"#,
            ),
            OK,
        ),
        case(
            "add field without default",
            rec(r#"{"name":"a","type":"string"}"#),
            rec(r#"{"name":"a","type":"string"},{"name":"b","type":"int"}"#),
            &[("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1")],
        ),
        case(
            "remove field",
            rec(r#"{"name":"a","type":"string"},{"name":"b","type":"int"}"#),
            rec(r#"{"name":"a","type":"string"}"#),
            OK,
        ),
        case("field int to long", field("\"int\""), field("\"long\""), OK),
        case(
            "field long to int",
            field("\"long\""),
            field("\"int\""),
            &[("TYPE_MISMATCH", "/fields/0/type")],
        ),
        case(
            "field rename with reader field alias",
            rec(r#"{"name":"old","type":"string"}"#),
            rec(r#"{"name":"new","type":"string","aliases":["old"]}"#),
            OK,
        ),
        case(
            "field rename without alias",
            rec(r#"{"name":"old","type":"string"}"#),
            rec(r#"{"name":"new","type":"string"}"#),
            &[("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0")],
        ),
        case(
            "every violation is reported, in reader field order",
            rec(r#"{"name":"a","type":"long"},{"name":"b","type":"string"}"#),
            rec(r#"{"name":"x","type":"int"},{"name":"a","type":"int"},{"name":"y","type":"int"}"#),
            &[
                ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0"),
                ("TYPE_MISMATCH", "/fields/1/type"),
                ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/2"),
            ],
        ),
        // Named types: unqualified names, reader aliases.
        case(
            "record rename with reader alias",
            r#"{"type":"record","name":"Old","namespace":"ns","fields":[]}"#,
            r#"{"type":"record","name":"New","namespace":"ns","aliases":["Old"],"fields":[]}"#,
            OK,
        ),
        case(
            "record rename with fully qualified reader alias",
            r#"{"type":"record","name":"Old","namespace":"a","fields":[]}"#,
            r#"{"type":"record","name":"New","namespace":"b","aliases":["a.Old"],"fields":[]}"#,
            OK,
        ),
        case(
            "record rename, alias qualified with the reader's namespace does not match",
            r#"{"type":"record","name":"Old","namespace":"a","fields":[]}"#,
            r#"{"type":"record","name":"New","namespace":"b","aliases":["Old"],"fields":[]}"#,
            &[("NAME_MISMATCH", "/name")],
        ),
        case(
            "record rename without alias",
            r#"{"type":"record","name":"Old","fields":[]}"#,
            r#"{"type":"record","name":"New","fields":[]}"#,
            &[("NAME_MISMATCH", "/name")],
        ),
        case(
            "namespace change only (unqualified names compared)",
            r#"{"type":"record","name":"R","namespace":"a","fields":[]}"#,
            r#"{"type":"record","name":"R","namespace":"b","fields":[]}"#,
            OK,
        ),
        // Enums.
        case(
            "enum symbol added in reader",
            field(&color(r#""RED","GREEN""#, "")),
            field(&color(r#""RED","GREEN","BLUE""#, "")),
            OK,
        ),
        case(
            "enum symbols missing in reader",
            field(&color(r#""RED","GREEN","BLUE","BLACK""#, "")),
            field(&color(r#""RED","GREEN""#, "")),
            &[("MISSING_ENUM_SYMBOLS", "/fields/0/type/symbols")],
        ),
        case(
            "enum symbols missing, reader enum has a default",
            field(&color(r#""RED","GREEN","BLUE""#, "")),
            field(&color(
                r#""RED","GREEN","UNKNOWN""#,
                r#","default":"UNKNOWN""#,
            )),
            OK,
        ),
        case(
            "enum rename",
            r#"{"type":"enum","name":"E1","symbols":["A"]}"#,
            r#"{"type":"enum","name":"E2","symbols":["A"]}"#,
            &[("NAME_MISMATCH", "/name")],
        ),
        // Fixed.
        case(
            "fixed same size",
            r#"{"type":"fixed","name":"F","size":16}"#,
            r#"{"type":"fixed","name":"F","size":16}"#,
            OK,
        ),
        case(
            "fixed size change",
            r#"{"type":"fixed","name":"F","size":16}"#,
            r#"{"type":"fixed","name":"F","size":8}"#,
            &[("FIXED_SIZE_MISMATCH", "/size")],
        ),
        case(
            "fixed rename and resize",
            r#"{"type":"fixed","name":"F","size":16}"#,
            r#"{"type":"fixed","name":"G","size":8}"#,
            &[("NAME_MISMATCH", "/name"), ("FIXED_SIZE_MISMATCH", "/size")],
        ),
        // Unions.
        case(
            "T to [null, T]",
            field("\"string\""),
            field(r#"["null","string"]"#),
            OK,
        ),
        case(
            "union widening",
            field(r#"["null","string"]"#),
            field(r#"["null","string","int"]"#),
            OK,
        ),
        case(
            "union branches promoted",
            field(r#"["int","string"]"#),
            field(r#"["long","bytes"]"#),
            OK,
        ),
        case(
            "union narrowing",
            field(r#"["null","string","int"]"#),
            field(r#"["null","string"]"#),
            &[("MISSING_UNION_BRANCH", "/fields/0/type/2")],
        ),
        case(
            "[null, string] to string",
            field(r#"["null","string"]"#),
            field("\"string\""),
            &[("TYPE_MISMATCH", "/fields/0/type/0")],
        ),
        case(
            "int to [null, string]",
            field("\"int\""),
            field(r#"["null","string"]"#),
            &[("MISSING_UNION_BRANCH", "/fields/0/type")],
        ),
        case(
            "record to [null, record]",
            field(r#"{"type":"record","name":"In","fields":[{"name":"a","type":"int"}]}"#),
            field(r#"["null",{"type":"record","name":"In","fields":[{"name":"a","type":"int"}]}]"#),
            OK,
        ),
        case(
            "union branch record changed: only the branch is reported",
            field(r#"["null",{"type":"record","name":"In","fields":[{"name":"a","type":"int"}]}]"#),
            field(
                r#"["null",{"type":"record","name":"In","fields":[{"name":"a","type":"string"}]}]"#,
            ),
            &[("MISSING_UNION_BRANCH", "/fields/0/type/1")],
        ),
        case(
            "top-level writer union, reader reads one branch",
            r#"["int","string"]"#,
            "\"int\"",
            &[("TYPE_MISMATCH", "/1")],
        ),
        case(
            "top-level unions",
            r#"["int","long","float","double"]"#,
            r#"["int"]"#,
            &[
                ("MISSING_UNION_BRANCH", "/1"),
                ("MISSING_UNION_BRANCH", "/2"),
                ("MISSING_UNION_BRANCH", "/3"),
            ],
        ),
        // Arrays and maps.
        case(
            "array int to long",
            field(r#"{"type":"array","items":"int"}"#),
            field(r#"{"type":"array","items":"long"}"#),
            OK,
        ),
        case(
            "array long to int",
            field(r#"{"type":"array","items":"long"}"#),
            field(r#"{"type":"array","items":"int"}"#),
            &[("TYPE_MISMATCH", "/fields/0/type/items")],
        ),
        case(
            "map int to long",
            field(r#"{"type":"map","values":"int"}"#),
            field(r#"{"type":"map","values":"long"}"#),
            OK,
        ),
        case(
            "map string to int",
            field(r#"{"type":"map","values":"string"}"#),
            field(r#"{"type":"map","values":"int"}"#),
            &[("TYPE_MISMATCH", "/fields/0/type/values")],
        ),
        case(
            "array to map",
            field(r#"{"type":"array","items":"int"}"#),
            field(r#"{"type":"map","values":"int"}"#),
            &[("TYPE_MISMATCH", "/fields/0/type")],
        ),
        case(
            "nested record in array gains field without default",
            field(
                r#"{"type":"array","items":{"type":"record","name":"I","fields":[{"name":"a","type":"int"}]}}"#,
            ),
            field(
                r#"{"type":"array","items":{"type":"record","name":"I","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"}]}}"#,
            ),
            &[(
                "READER_FIELD_MISSING_DEFAULT_VALUE",
                "/fields/0/type/items/fields/1",
            )],
        ),
        // Recursive types.
        case("recursive linked list, same", NODE_INT, NODE_INT, OK),
        case(
            "recursive linked list, int to long",
            NODE_INT,
            NODE_LONG,
            OK,
        ),
        case(
            "recursive linked list, long to int",
            NODE_LONG,
            NODE_INT,
            &[("TYPE_MISMATCH", "/fields/0/type")],
        ),
        case(
            "recursive linked list, reader adds field without default (reported once)",
            NODE_INT,
            NODE_INT_TAG,
            &[("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/2")],
        ),
        // Definition and reference of one named type in different fields.
        case(
            "def-vs-ref reordering",
            rec(&format!(
                r#"{{"name":"home","type":{addr}}},{{"name":"work","type":"Addr"}}"#
            )),
            rec(&format!(
                r#"{{"name":"work","type":{addr}}},{{"name":"home","type":"Addr"}}"#
            )),
            OK,
        ),
        case(
            // Java memoizes the (Addr, Addr) pair: the second field gets the first one's result,
            // path included.
            "def-vs-ref reordering with an incompatible change in the shared type",
            rec(&format!(
                r#"{{"name":"home","type":{addr}}},{{"name":"work","type":"Addr"}}"#
            )),
            rec(&format!(
                r#"{{"name":"work","type":{addr_zip}}},{{"name":"home","type":"Addr"}}"#
            )),
            &[
                (
                    "READER_FIELD_MISSING_DEFAULT_VALUE",
                    "/fields/0/type/fields/1",
                ),
                (
                    "READER_FIELD_MISSING_DEFAULT_VALUE",
                    "/fields/0/type/fields/1",
                ),
            ],
        ),
        // Logical types count as their underlying type, as in Java.
        case(
            "decimal precision change (compatible, as Confluent)",
            field(r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}"#),
            field(r#"{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}"#),
            OK,
        ),
        case(
            "decimal to bytes",
            field(r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}"#),
            field("\"bytes\""),
            OK,
        ),
        case(
            "timestamp-millis to long",
            field(r#"{"type":"long","logicalType":"timestamp-millis"}"#),
            field("\"long\""),
            OK,
        ),
        case(
            "date to long",
            field(r#"{"type":"int","logicalType":"date"}"#),
            field("\"long\""),
            OK,
        ),
        case(
            "uuid to string",
            field(r#"{"type":"string","logicalType":"uuid"}"#),
            field("\"string\""),
            OK,
        ),
        case(
            "string to timestamp-millis",
            field("\"string\""),
            field(r#"{"type":"long","logicalType":"timestamp-millis"}"#),
            &[("TYPE_MISMATCH", "/fields/0/type")],
        ),
        case(
            "fixed decimal size change",
            field(
                r#"{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":10,"scale":2}"#,
            ),
            field(
                r#"{"type":"fixed","name":"D","size":16,"logicalType":"decimal","precision":10,"scale":2}"#,
            ),
            &[("FIXED_SIZE_MISMATCH", "/fields/0/type/size")],
        ),
        // Java quirks kept.
        case(
            // The reader field has no default, but its enum has one: Java then compares the enum
            // with the writer record.
            "added enum field with an enum default but no field default",
            rec(r#"{"name":"a","type":"int"}"#),
            rec(&format!(
                r#"{{"name":"a","type":"int"}},{{"name":"c","type":{}}}"#,
                color(r#""X","Y""#, r#","default":"X""#)
            )),
            &[("TYPE_MISMATCH", "/fields/1/type")],
        ),
        case(
            "reader field alias matching a second writer field",
            rec(r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#),
            rec(r#"{"name":"b","type":"int","aliases":["a"]}"#),
            &[("AMBIGUOUS_READER_FIELD", "/fields/0")],
        ),
    ]
}

#[test]
fn reader_writer_table() {
    let cases = table();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let got: Vec<(&str, String)> = reader_writer(&c.reader, &c.writer)
            .into_iter()
            .map(|v| (v.rule, v.path))
            .collect();
        let want: Vec<(&str, String)> = c
            .expect
            .iter()
            .map(|&(rule, path)| (rule, path.to_owned()))
            .collect();
        if got != want {
            failures.push(format!("{}: expected {want:?}, got {got:?}", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn messages_follow_confluent() {
    let v = reader_writer(
        &rec(r#"{"name":"f1","type":"string"},{"name":"f2","type":"string"}"#),
        &rec(r#"{"name":"f1","type":"string"}"#),
    );
    assert_eq!(
        v[0].message,
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path \
         '/fields/1' in the new schema has no default value and is missing in the old schema', \
         additionalInfo:'f2'}"
    );

    // Forward: the reader is the old schema.
    let v = compat::check(
        &avro(&rec(
            r#"{"name":"f1","type":"string"},{"name":"f2","type":"string"}"#,
        )),
        &avro(&rec(r#"{"name":"f1","type":"string"}"#)),
        Direction::OldReadsNew,
    );
    assert_eq!(
        v[0].message,
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path \
         '/fields/1' in the old schema has no default value and is missing in the new schema', \
         additionalInfo:'f2'}"
    );

    let v = reader_writer(&field("\"int\""), &field("\"long\""));
    assert_eq!(
        v[0].message,
        "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in \
         the new schema does not match with the old schema', additionalInfo:'reader type: INT \
         not compatible with writer type: LONG'}"
    );

    // Missing symbols are sorted, as Java's TreeSet prints them.
    let v = reader_writer(
        r#"{"type":"enum","name":"E","symbols":["A","B"]}"#,
        r#"{"type":"enum","name":"E","symbols":["D","A","C","B"]}"#,
    );
    assert_eq!(
        v[0].message,
        "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum symbols \
         '[C, D]' at path '/symbols' in the old schema', additionalInfo:'[C, D]'}"
    );

    let v = reader_writer(
        r#"{"type":"record","name":"New","namespace":"b","fields":[]}"#,
        r#"{"type":"record","name":"Old","namespace":"a","fields":[]}"#,
    );
    assert_eq!(
        v[0].message,
        "{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path \
         '/name')', additionalInfo:'expected: a.Old'}"
    );

    let v = reader_writer(
        r#"{"type":"fixed","name":"F","size":8}"#,
        r#"{"type":"fixed","name":"F","size":16}"#,
    );
    assert_eq!(
        v[0].message,
        "{errorType:'FIXED_SIZE_MISMATCH', description:'The size of FIXED type field at path \
         '/size' in the new schema does not match with the old schema', additionalInfo:'expected: \
         16, found: 8'}"
    );

    let v = reader_writer(
        &field(r#"["null","string"]"#),
        &field(r#"["null","string","int"]"#),
    );
    assert_eq!(
        v[0].message,
        "{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type inside a \
         union field at path '/fields/0/type/2' in the old schema', additionalInfo:'reader union \
         lacking writer type: INT'}"
    );

    let v = reader_writer(
        &rec(&format!(
            r#"{{"name":"a","type":"int"}},{{"name":"c","type":{}}}"#,
            r#"{"type":"enum","name":"E","symbols":["X"],"default":"X"}"#
        )),
        &rec(r#"{"name":"a","type":"int"}"#),
    );
    assert!(
        v[0].message
            .contains("additionalInfo:'reader type: ENUM not compatible with writer type: RECORD'"),
        "{}",
        v[0].message
    );

    let v = reader_writer(
        &rec(r#"{"name":"b","type":"int","aliases":["a"]}"#),
        &rec(r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#),
    );
    assert_eq!(v.len(), 1);
    assert!(
        v[0].message.starts_with(
            "Unexpected exception during compatibility check: Reader record field b type:INT \
             pos:0 matches multiple fields in writer record schema"
        ),
        "{}",
        v[0].message
    );
}

// ---------------------------------------------------------------------------------------------
// Levels, through `warden_core::compat::check`.

fn parsed(text: &str) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Avro, text, &[]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

const LEVELS: [CompatibilityLevel; 7] = [
    CompatibilityLevel::None,
    CompatibilityLevel::Backward,
    CompatibilityLevel::BackwardTransitive,
    CompatibilityLevel::Forward,
    CompatibilityLevel::ForwardTransitive,
    CompatibilityLevel::Full,
    CompatibilityLevel::FullTransitive,
];

/// Failing versions' positions with their `(rule, path)` pairs.
type Failures = Vec<(usize, Vec<(&'static str, String)>)>;

/// Checks `new` against `history` (oldest first) under every level and returns, per level,
/// the failing versions' positions and their `(rule, path)` pairs.
fn run_levels(history: &[&str], new: &str) -> Vec<(CompatibilityLevel, Failures)> {
    let previous: Vec<ParsedSchema> = history.iter().map(|t| parsed(t)).collect();
    let previous: Vec<&ParsedSchema> = previous.iter().collect();
    let new = parsed(new);
    LEVELS
        .iter()
        .map(|&level| {
            let result = check_level(level, &new, &previous);
            let failures = result
                .failures
                .into_iter()
                .map(|(i, v)| (i, v.into_iter().map(|v| (v.rule, v.path)).collect()))
                .collect();
            (level, failures)
        })
        .collect()
}

#[test]
fn transitive_backward_fails_only_against_the_oldest_version() {
    let v1 = rec(r#"{"name":"a","type":"string"}"#);
    let v2 = rec(r#"{"name":"a","type":"string"},{"name":"b","type":"string","default":"x"}"#);
    // `b` loses its default: v3 reads v2 (which writes `b`) but not v1.
    let v3 = rec(r#"{"name":"a","type":"string"},{"name":"b","type":"string"}"#);
    let missing_b = vec![(
        0,
        vec![("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1".to_owned())],
    )];
    for (level, failures) in run_levels(&[&v1, &v2], &v3) {
        let expected = match level {
            CompatibilityLevel::BackwardTransitive | CompatibilityLevel::FullTransitive => {
                missing_b.clone()
            }
            _ => Vec::new(),
        };
        assert_eq!(failures, expected, "{level}");
    }
}

#[test]
fn forward_fails_when_an_old_reader_loses_a_required_field() {
    let v1 = rec(r#"{"name":"a","type":"string"},{"name":"b","type":"int"}"#);
    let v2 = rec(r#"{"name":"a","type":"string"}"#);
    let missing_b = vec![(
        0,
        vec![("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1".to_owned())],
    )];
    for (level, failures) in run_levels(&[&v1], &v2) {
        let expected = if level.forward() {
            missing_b.clone()
        } else {
            Vec::new()
        };
        assert_eq!(failures, expected, "{level}");
    }

    // Confluent's message names the old schema as the reader.
    let result = check_level(CompatibilityLevel::Forward, &parsed(&v2), &[&parsed(&v1)]);
    assert!(
        result.failures[0].1[0]
            .message
            .contains("in the old schema has no default value and is missing in the new schema"),
        "{result:?}"
    );
}

#[test]
fn transitive_forward_fails_only_against_the_oldest_version() {
    let v1 = rec(r#"{"name":"a","type":"string"},{"name":"c","type":"int"}"#);
    let v2 = rec(r#"{"name":"a","type":"string"},{"name":"c","type":"int","default":0}"#);
    let v3 = rec(r#"{"name":"a","type":"string"}"#);
    let missing_c = vec![(
        0,
        vec![("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1".to_owned())],
    )];
    for (level, failures) in run_levels(&[&v1, &v2], &v3) {
        let expected = match level {
            CompatibilityLevel::ForwardTransitive | CompatibilityLevel::FullTransitive => {
                missing_c.clone()
            }
            _ => Vec::new(),
        };
        assert_eq!(failures, expected, "{level}");
    }
}

#[test]
fn full_needs_both_directions() {
    // Widening a field: backward only.
    let v1 = field("\"int\"");
    let v2 = field("\"long\"");
    for (level, failures) in run_levels(&[&v1], &v2) {
        let expected = if level.forward() {
            vec![(0, vec![("TYPE_MISMATCH", "/fields/0/type".to_owned())])]
        } else {
            Vec::new()
        };
        assert_eq!(failures, expected, "{level}");
    }

    // Adding a field with a default: every level passes.
    let v3 = rec(r#"{"name":"f","type":"int"},{"name":"g","type":"string","default":""}"#);
    for (level, failures) in run_levels(&[&v1], &v3) {
        assert!(failures.is_empty(), "{level}: {failures:?}");
    }

    // Adding an enum symbol: backward passes, forward fails; FULL reports the forward
    // violation only.
    let e1 = field(r#"{"type":"enum","name":"E","symbols":["A","B"]}"#);
    let e2 = field(r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#);
    for (level, failures) in run_levels(&[&e1], &e2) {
        let expected = if level.forward() {
            vec![(
                0,
                vec![("MISSING_ENUM_SYMBOLS", "/fields/0/type/symbols".to_owned())],
            )]
        } else {
            Vec::new()
        };
        assert_eq!(failures, expected, "{level}");
    }
}

#[test]
fn transitive_levels_report_every_failing_version_newest_first() {
    let v1 = field("\"string\"");
    let v2 = field("\"bytes\"");
    let v3 = field("\"int\"");
    let result = check_level(
        CompatibilityLevel::BackwardTransitive,
        &parsed(&v3),
        &[&parsed(&v1), &parsed(&v2)],
    );
    let positions: Vec<usize> = result.failures.iter().map(|(i, _)| *i).collect();
    assert_eq!(positions, [1, 0]);
}

// ---------------------------------------------------------------------------------------------
// Referenced named types.

const ADDRESS_V1: &str = r#"{"type":"record","name":"Address","namespace":"com.acme",
    "fields":[{"name":"street","type":"string"},{"name":"city","type":"string"}]}"#;
const ADDRESS_V2_ZIP: &str = r#"{"type":"record","name":"Address","namespace":"com.acme",
    "fields":[{"name":"street","type":"string"},{"name":"city","type":"string"},
              {"name":"zip","type":"string"}]}"#;
const STATUS: &str = r#"{"type":"enum","name":"Status","namespace":"com.acme",
    "symbols":["ACTIVE","INACTIVE"]}"#;

fn reference(name: &str, text: &str) -> ResolvedReference {
    ResolvedReference {
        name: name.to_owned(),
        schema_type: SchemaType::Avro,
        schema: text.to_owned(),
    }
}

fn customer_with_refs(refs: &[ResolvedReference]) -> ParsedSchema {
    let text = r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[
        {"name":"name","type":"string"},
        {"name":"billing","type":"com.acme.Address"},
        {"name":"shipping","type":["null","com.acme.Address"],"default":null},
        {"name":"status","type":"com.acme.Status"}]}"#;
    ParsedSchema::parse(SchemaType::Avro, text, refs).expect("customer parses")
}

#[test]
fn references_resolve_to_their_definitions() {
    let refs_v1 = [
        reference("com.acme.Address", ADDRESS_V1),
        reference("com.acme.Status", STATUS),
    ];
    let old = customer_with_refs(&refs_v1);

    // The same record with the named types written inline reads and is read by the one
    // using references.
    let inline = format!(
        r#"{{"type":"record","name":"Customer","namespace":"com.acme","fields":[
        {{"name":"name","type":"string"}},
        {{"name":"billing","type":{ADDRESS_V1}}},
        {{"name":"shipping","type":["null","Address"],"default":null}},
        {{"name":"status","type":{STATUS}}}]}}"#
    );
    let inline = parsed(&inline);
    for level in LEVELS {
        assert!(
            check_level(level, &inline, &[&old]).is_compatible(),
            "{level}"
        );
        assert!(
            check_level(level, &old, &[&inline]).is_compatible(),
            "{level}"
        );
    }

    // A new version of the referenced Address adds a field without default: the customer
    // using it can no longer read old data. The violation is found inside the referenced
    // type, and reported once for the plain field and once for the union branch.
    let refs_v2 = [
        reference("com.acme.Address", ADDRESS_V2_ZIP),
        reference("com.acme.Status", STATUS),
    ];
    let new = customer_with_refs(&refs_v2);
    let result = check_level(CompatibilityLevel::Backward, &new, &[&old]);
    let got: Vec<(&str, &str)> = result.failures[0]
        .1
        .iter()
        .map(|v| (v.rule, v.path.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "READER_FIELD_MISSING_DEFAULT_VALUE",
                "/fields/1/type/fields/2"
            ),
            ("MISSING_UNION_BRANCH", "/fields/2/type/1"),
        ]
    );
    // Forward: the old customer ignores the writer's extra `zip`.
    assert!(check_level(CompatibilityLevel::Forward, &new, &[&old]).is_compatible());
}

#[test]
fn reference_enum_change_is_seen_through_the_reference() {
    let status_more = r#"{"type":"enum","name":"Status","namespace":"com.acme",
        "symbols":["ACTIVE","INACTIVE","BANNED"]}"#;
    let old = customer_with_refs(&[
        reference("com.acme.Address", ADDRESS_V1),
        reference("com.acme.Status", STATUS),
    ]);
    let new = customer_with_refs(&[
        reference("com.acme.Address", ADDRESS_V1),
        reference("com.acme.Status", status_more),
    ]);
    assert!(check_level(CompatibilityLevel::Backward, &new, &[&old]).is_compatible());
    let result = check_level(CompatibilityLevel::Forward, &new, &[&old]);
    let v = &result.failures[0].1;
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].rule, v[0].path.as_str()),
        ("MISSING_ENUM_SYMBOLS", "/fields/3/type/symbols")
    );
    assert!(
        v[0].message.contains("additionalInfo:'[BANNED]'"),
        "{}",
        v[0].message
    );
}

#[test]
fn recursive_type_through_a_reference() {
    // The referenced type refers to itself; the main schema refers to it.
    let tree = r#"{"type":"record","name":"Tree","namespace":"t","fields":[
        {"name":"label","type":"string"},
        {"name":"children","type":{"type":"array","items":"t.Tree"}}]}"#;
    let tree_long = r#"{"type":"record","name":"Tree","namespace":"t","fields":[
        {"name":"label","type":"bytes"},
        {"name":"children","type":{"type":"array","items":"t.Tree"}}]}"#;
    let text = r#"{"type":"record","name":"Forest","namespace":"t","fields":[
        {"name":"trees","type":{"type":"array","items":"t.Tree"}}]}"#;
    let a = ParsedSchema::parse(SchemaType::Avro, text, &[reference("t.Tree", tree)]).unwrap();
    let b = ParsedSchema::parse(SchemaType::Avro, text, &[reference("t.Tree", tree_long)]).unwrap();
    assert!(check_level(CompatibilityLevel::FullTransitive, &b, &[&a]).is_compatible());
}
