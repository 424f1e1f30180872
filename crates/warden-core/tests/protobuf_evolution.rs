//! The Protobuf evolution series of the corpus (`evolution/protobuf/<series>/vNNN.proto`, real
//! histories of googleapis, OpenTelemetry and protobuf files), checked step by step under
//! BACKWARD: each version against the one before it. Imports resolve as the corpus README says:
//! `vNNN.deps` first, then the series folder, then the three import roots; built-ins never
//! come from the corpus.

mod protobuf_support;

use std::path::PathBuf;

use warden_core::compat::check;
use warden_core::{CompatibilityLevel, ParsedSchema, SchemaError, SchemaType};

use protobuf_support::{corpus, finder, read, references};

/// Each rule that fires, with how often.
type Rules = &'static [(&'static str, usize)];

/// `(series, version, rules)`: the steps (previous version → this one) BACKWARD refuses, with
/// each rule that fires and how often, and why. Every step not listed is compatible.
const REFUSED: &[(&str, &str, Rules)] = &[
    // OTLP 0.5 renamed common.AttributeKeyValue to KeyValue: every message that reaches an
    // attribute through the imported trace.proto changes the type name of a field (Resource/1,
    // Span/9, Span/Event/3, Span/Link/4, …), up to ExportTraceServiceRequest/1.
    (
        "otel-collector-trace-service",
        "v002",
        &[("FIELD_NAMED_TYPE_CHANGED", 12)],
    ),
    // InstrumentationLibrarySpans became ScopeSpans in the imported trace.proto
    // (ResourceSpans/2), which changes ExportTraceServiceRequest/1 too.
    (
        "otel-collector-trace-service",
        "v003",
        &[("FIELD_NAMED_TYPE_CHANGED", 2)],
    ),
    // AttributeKeyValue removed (replaced by KeyValue and AnyValue): a removed message.
    ("otel-common", "v002", &[("MESSAGE_REMOVED", 1)]),
    // StringKeyValue removed.
    ("otel-common", "v004", &[("MESSAGE_REMOVED", 1)]),
    // InstrumentationLibrary removed (replaced by InstrumentationScope).
    ("otel-common", "v006", &[("MESSAGE_REMOVED", 1)]),
    // ResourceLogs.instrumentation_library_logs (2) became scope_logs of type ScopeLogs.
    ("otel-logs", "v006", &[("FIELD_NAMED_TYPE_CHANGED", 1)]),
    // The deprecated InstrumentationLibraryLogs message removed.
    ("otel-logs", "v008", &[("MESSAGE_REMOVED", 1)]),
    // The metrics model was redesigned: Metric's descriptor and point lists (1, 2, 3) became
    // scalars of other kinds and a oneof `data` gathering former top-level fields, four
    // messages went, and the KeyValue rename reaches Resource/1 through the import.
    (
        "otel-metrics",
        "v002",
        &[
            ("FIELD_KIND_CHANGED", 3),
            ("FIELD_NAMED_TYPE_CHANGED", 4),
            ("MESSAGE_REMOVED", 4),
            ("MULTIPLE_FIELDS_MOVED_TO_ONEOF", 1),
        ],
    ),
    // The Double* oneof members' types renamed (DoubleGauge → Gauge, DoubleSum → Sum, …) and
    // eight messages removed.
    (
        "otel-metrics",
        "v004",
        &[("FIELD_NAMED_TYPE_CHANGED", 4), ("MESSAGE_REMOVED", 8)],
    ),
    // The deprecated Int* members left the oneof `data` (4, 6, 8) and their six messages went.
    (
        "otel-metrics",
        "v006",
        &[("MESSAGE_REMOVED", 6), ("ONEOF_FIELD_REMOVED", 3)],
    ),
    // ResourceMetrics/2 became ScopeMetrics.
    ("otel-metrics", "v007", &[("FIELD_NAMED_TYPE_CHANGED", 1)]),
    // The deprecated InstrumentationLibraryMetrics message removed.
    ("otel-metrics", "v009", &[("MESSAGE_REMOVED", 1)]),
    // Resource.attributes (1): AttributeKeyValue → KeyValue.
    ("otel-resource", "v002", &[("FIELD_NAMED_TYPE_CHANGED", 1)]),
    // The KeyValue rename, in Resource (imported) and in Span, Span.Event and Span.Link.
    ("otel-trace", "v002", &[("FIELD_NAMED_TYPE_CHANGED", 5)]),
    // InstrumentationLibrarySpans replaced by ScopeSpans (ResourceSpans/2), old message removed.
    (
        "otel-trace",
        "v008",
        &[("FIELD_NAMED_TYPE_CHANGED", 1), ("MESSAGE_REMOVED", 1)],
    ),
    // unittest_proto3.proto was rewritten: package protobuf_unittest → proto3_unittest, 28 of
    // its 33 messages gone, and field 54 reused: a PublicImportMessage list became
    // `repeated string repeated_string_piece`.
    (
        "protobuf-unittest_proto3",
        "v002",
        &[
            ("FIELD_KIND_CHANGED", 1),
            ("MESSAGE_REMOVED", 28),
            ("PACKAGE_CHANGED", 1),
        ],
    ),
];

/// `(series, version, error)`: versions protox 0.10 cannot compile (see
/// `protobuf_corpus.rs`, `PROTOX_LIMITS`); they are asserted to fail so and left out.
const PROTOX_LIMITS: &[(&str, &str, &str)] = &[
    (
        "protobuf-descriptor",
        "v005",
        // Options on a single-number extension range (`extensions 536000000 [declaration = …]`).
        "default:60:24: expected 'to', ',' or ';', but found '['",
    ),
    (
        "protobuf-descriptor",
        "v006",
        "default:37:24: expected 'to', ',' or ';', but found '['",
    ),
];

fn versions(series: &str) -> Vec<String> {
    let dir = corpus().join("evolution/protobuf").join(series);
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .expect("series dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".proto"))
        .map(|n| n.trim_end_matches(".proto").to_owned())
        .collect();
    out.sort();
    out
}

fn parse_version(series: &str, version: &str) -> Result<ParsedSchema, SchemaError> {
    let dir = corpus().join("evolution/protobuf").join(series);
    let roots: Vec<PathBuf> = vec![
        dir.join(format!("{version}.deps")),
        dir.clone(),
        corpus().join("protobuf/googleapis"),
        corpus().join("protobuf/protobuf"),
        corpus().join("protobuf/opentelemetry-proto"),
    ];
    let text = read(&dir.join(format!("{version}.proto")));
    let refs: Vec<_> = references(&text, &finder(roots))
        .unwrap_or_else(|e| panic!("{series}/{version}: {e}"))
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    ParsedSchema::parse(SchemaType::Protobuf, &text, &refs)
}

#[test]
fn evolution_steps_are_backward_compatible_except_renames_removals_and_redesigns() {
    let mut series: Vec<String> = std::fs::read_dir(corpus().join("evolution/protobuf"))
        .expect("evolution dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    series.sort();
    assert_eq!(series.len(), 20);
    let mut report = Vec::new();
    let mut steps = 0;
    for name in &series {
        let mut previous: Option<ParsedSchema> = None;
        for version in versions(name) {
            let limit = PROTOX_LIMITS
                .iter()
                .find(|(s, v, _)| s == name && *v == version);
            let schema = match (parse_version(name, &version), limit) {
                (Ok(schema), None) => schema,
                (Err(SchemaError::Invalid(m)), Some((_, _, error))) if m.contains(error) => {
                    previous = None;
                    continue;
                }
                (other, _) => {
                    report.push(format!("{name}/{version}: {:?}", other.err()));
                    continue;
                }
            };
            if let Some(previous) = &previous {
                steps += 1;
                let result = check(CompatibilityLevel::Backward, &schema, &[previous]);
                let mut got: Vec<(String, usize)> = Vec::new();
                for v in result.failures.iter().flat_map(|(_, v)| v) {
                    match got.iter_mut().find(|(r, _)| r == v.rule) {
                        Some((_, n)) => *n += 1,
                        None => got.push((v.rule.to_owned(), 1)),
                    }
                }
                got.sort();
                let paths: Vec<&str> = result
                    .failures
                    .iter()
                    .flat_map(|(_, v)| v)
                    .map(|v| v.path.as_str())
                    .take(6)
                    .collect();
                let expected: Vec<(String, usize)> = REFUSED
                    .iter()
                    .find(|(s, v, _)| s == name && *v == version)
                    .map(|(_, _, rules)| {
                        let mut r: Vec<(String, usize)> =
                            rules.iter().map(|(a, n)| ((*a).to_owned(), *n)).collect();
                        r.sort();
                        r
                    })
                    .unwrap_or_default();
                if got != expected {
                    report.push(format!(
                        "{name}/{version}: expected {expected:?}, got {got:?} at {paths:?}"
                    ));
                }
            }
            previous = Some(schema);
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
    assert_eq!(steps, 104);
}
