//! Compatibility levels applied above the formats.
//!
//! Each format's checker answers one question: can a reader schema read data written with a
//! writer schema? It returns every [`Violation`]. This module applies the seven Confluent
//! levels on top (`CompatibilityChecker.java`): backward checks `reader = new`,
//! `writer = old`; forward the reverse; full both; transitive levels every live version
//! given, the others only the newest.

use crate::limits::{Interrupt, Interrupted};
use crate::schema::ParsedSchema;
use crate::types::{CompatibilityLevel, CompatibilityPolicy};
pub use crate::violation::{Direction, Violation};

/// The verdict of a schema against previous versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompatibilityResult {
    /// One entry per previous version that failed: its position in the `previous` slice
    /// given to [`check`] and its violations.
    pub failures: Vec<(usize, Vec<Violation>)>,
}

impl CompatibilityResult {
    /// Whether no previous version failed.
    pub fn is_compatible(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Checks `new` against `previous` (oldest first, live versions only) under `level` with the
/// default [`CompatibilityPolicy::Strict`]; see [`check_with_policy`].
pub fn check(
    level: CompatibilityLevel,
    new: &ParsedSchema,
    previous: &[&ParsedSchema],
) -> CompatibilityResult {
    check_with_policy(level, CompatibilityPolicy::Strict, new, previous)
}

/// Checks `new` against `previous` (oldest first, live versions only) under `level`, judging
/// JSON Schema changes by `policy` (Confluent's `compatibilityPolicy`; Avro ignores it).
///
/// Non-transitive levels check only the last entry of `previous`; transitive ones every entry.
/// Schemas of a different format than `new` are incompatible (`TYPE_MISMATCH`).
pub fn check_with_policy(
    level: CompatibilityLevel,
    policy: CompatibilityPolicy,
    new: &ParsedSchema,
    previous: &[&ParsedSchema],
) -> CompatibilityResult {
    check_until(level, policy, new, previous, &Interrupt::never())
        .expect("a check that is never interrupted reaches its verdict")
}

/// [`check_with_policy`] that gives up when `interrupt` is set (a request's deadline, a
/// client gone): the checkers look at it every few hundred steps.
///
/// Errors: [`Interrupted`] when the check stopped before its verdict.
pub fn check_until(
    level: CompatibilityLevel,
    policy: CompatibilityPolicy,
    new: &ParsedSchema,
    previous: &[&ParsedSchema],
    interrupt: &Interrupt,
) -> Result<CompatibilityResult, Interrupted> {
    let mut result = CompatibilityResult::default();
    if level == CompatibilityLevel::None || previous.is_empty() {
        return Ok(result);
    }
    let start = if level.transitive() {
        0
    } else {
        previous.len() - 1
    };
    // Confluent checks newest first and reports in that order.
    for index in (start..previous.len()).rev() {
        let old = previous[index];
        let mut violations = Vec::new();
        if level.backward() {
            violations.extend(new.check_reader_writer_until(
                old,
                Direction::NewReadsOld,
                policy,
                interrupt,
            )?);
        }
        if level.forward() {
            violations.extend(old.check_reader_writer_until(
                new,
                Direction::OldReadsNew,
                policy,
                interrupt,
            )?);
        }
        if !violations.is_empty() {
            result.failures.push((index, violations));
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::SchemaType;
    use crate::violation::Message;

    #[test]
    fn every_format_writes_messages_that_parse_back_to_their_violation() {
        let pairs = [
            (
                SchemaType::Avro,
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},
                    {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}"#,
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},
                    {"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}},
                    {"name":"age","type":"int"}]}"#,
            ),
            (
                SchemaType::Json,
                r#"{"type":"object","properties":{"a":{"type":"string"}},
                    "additionalProperties":false}"#,
                r#"{"type":"object","properties":{"a":{"type":"integer"},"b":{}},
                    "required":["b"],"additionalProperties":false}"#,
            ),
            (
                SchemaType::Protobuf,
                "syntax = \"proto2\"; package a; message M { optional int32 x = 1; }",
                "syntax = \"proto2\"; package b; message M { optional string x = 1; \
                 required int32 y = 2; }",
            ),
        ];
        for (schema_type, old, new) in pairs {
            let parse = |text| ParsedSchema::parse(schema_type, text, &[]).unwrap();
            let (old, new) = (parse(old), parse(new));
            let result = check(CompatibilityLevel::Full, &new, &[&old]);
            let violations: Vec<&Violation> = result.failures.iter().flat_map(|(_, v)| v).collect();
            assert!(violations.len() > 1, "{schema_type:?}: {violations:?}");
            for v in violations {
                let message = Message::parse(&v.message);
                let Message::Difference { rule, .. } = &message else {
                    panic!("{schema_type:?}: not a difference: {}", v.message);
                };
                assert_eq!(rule, v.rule, "{}", v.message);
                assert_eq!(message.path(), Some(v.path.as_str()), "{}", v.message);
                assert_eq!(message.to_string(), v.message, "rendered again as it was");
            }
        }
    }
}
