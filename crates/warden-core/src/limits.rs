//! Bounds on what one schema may cost: [`SchemaLimits`] on the size of a submitted schema,
//! checked before the schema is compiled, and [`Interrupt`], which stops a compatibility check
//! from outside (at a deadline, or when another thread sets a flag).
//!
//! The checkers are near-linear in the size of the two schemas, except where Confluent's
//! rules compare every pair: the members of two JSON Schema `allOf`/`anyOf`/`oneOf` (their
//! maximum matching), and the record branches of two Avro unions. The limits bound those
//! counts, and the body-size limit bounds the rest; an [`Interrupt`] ends whatever runs past
//! the request's deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::Value;

/// Limits on the size of one schema, checked when a schema is submitted (register, lookup,
/// compatibility test), never on schemas already stored: lowering a limit never makes a
/// registered schema unreadable.
///
/// The defaults are far above what real schemas use (the largest in the corpus Warden is
/// tested on: an Avro enum of 191 symbols, a JSON Schema `enum` of 2,442 values, a union of
/// 141 branches, a `allOf` of 30 entries, a Protobuf message of 1,000 fields) and keep the
/// quadratic parts of the checks under about a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchemaLimits {
    /// Most symbols of one Avro enum, values of one JSON Schema `enum`, or values of one
    /// Protobuf enum. Default 50,000.
    pub max_enum_symbols: usize,
    /// Most branches of one Avro union, and most entries of one JSON Schema `allOf`,
    /// `anyOf` or `oneOf`. Default 1,000.
    pub max_union_branches: usize,
    /// Most fields of one Avro record or Protobuf message, and most `properties` (or
    /// `patternProperties`) of one JSON Schema object. Default 10,000.
    pub max_fields: usize,
}

impl Default for SchemaLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl SchemaLimits {
    /// The defaults: 50,000 enum symbols, 1,000 union branches or combined entries, 10,000
    /// fields.
    pub const DEFAULT: Self = Self {
        max_enum_symbols: 50_000,
        max_union_branches: 1_000,
        max_fields: 10_000,
    };

    /// No limit at all (for tools that read trusted schemas).
    pub const UNLIMITED: Self = Self {
        max_enum_symbols: usize::MAX,
        max_union_branches: usize::MAX,
        max_fields: usize::MAX,
    };

    /// The value of one limit.
    pub fn get(&self, limit: Limit) -> usize {
        match limit {
            Limit::EnumSymbols => self.max_enum_symbols,
            Limit::UnionBranches => self.max_union_branches,
            Limit::Fields => self.max_fields,
        }
    }

    /// Checks a count found at `at`; `what` and `unit` word the error.
    fn allow(
        &self,
        limit: Limit,
        found: usize,
        what: &str,
        at: &str,
        unit: &'static str,
    ) -> Result<(), LimitExceeded> {
        let max = self.get(limit);
        if found <= max {
            return Ok(());
        }
        Err(LimitExceeded {
            limit,
            max,
            found,
            what: format!("{what} at '{}'", if at.is_empty() { "/" } else { at }),
            unit,
        })
    }

    /// Checks an Avro schema's JSON: every union (a JSON array where a schema is expected),
    /// enum (`symbols`) and record (`fields`) reachable through `type`, `fields`, `items` and
    /// `values`. Other keys (`default`, custom properties) hold data and are not read.
    ///
    /// Errors: the first [`LimitExceeded`] in document order; its place is a JSON pointer
    /// into the schema.
    pub fn check_avro(&self, schema: &Value) -> Result<(), LimitExceeded> {
        let mut at = String::new();
        self.avro_node(schema, &mut at)
    }

    fn avro_node(&self, node: &Value, at: &mut String) -> Result<(), LimitExceeded> {
        match node {
            Value::Array(branches) => {
                self.allow(
                    Limit::UnionBranches,
                    branches.len(),
                    "the union",
                    at,
                    "branches",
                )?;
                for (i, branch) in branches.iter().enumerate() {
                    within(at, &i.to_string(), |at| self.avro_node(branch, at))?;
                }
                Ok(())
            }
            Value::Object(map) => {
                match map.get("type") {
                    Some(Value::String(t)) => match t.as_str() {
                        "enum" => {
                            let symbols = map.get("symbols").and_then(Value::as_array);
                            let n = symbols.map_or(0, Vec::len);
                            self.allow(Limit::EnumSymbols, n, "the enum", at, "symbols")?;
                        }
                        "record" | "error" => {
                            let fields = map.get("fields").and_then(Value::as_array);
                            let fields = fields.map_or(&[][..], Vec::as_slice);
                            self.allow(Limit::Fields, fields.len(), "the record", at, "fields")?;
                            for (i, field) in fields.iter().enumerate() {
                                if let Some(t) = field.get("type") {
                                    within(at, &format!("fields/{i}/type"), |at| {
                                        self.avro_node(t, at)
                                    })?;
                                }
                            }
                        }
                        "array" => {
                            if let Some(items) = map.get("items") {
                                within(at, "items", |at| self.avro_node(items, at))?;
                            }
                        }
                        "map" => {
                            if let Some(values) = map.get("values") {
                                within(at, "values", |at| self.avro_node(values, at))?;
                            }
                        }
                        _ => {}
                    },
                    Some(t @ (Value::Array(_) | Value::Object(_))) => {
                        within(at, "type", |at| self.avro_node(t, at))?;
                    }
                    _ => {}
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Checks a JSON Schema: every `allOf`, `anyOf` and `oneOf` array, `enum` array and
    /// `properties` and `patternProperties` object, wherever it appears as a keyword of a schema (the names in
    /// `properties`, `patternProperties`, `definitions`, `$defs`, `dependentSchemas` and
    /// `dependencies` are names, not keywords). The values of `const`, `default`,
    /// `examples`, `enum` and `required` are data and are not read.
    ///
    /// Errors: the first [`LimitExceeded`] in document order; its place is a JSON pointer
    /// into the schema.
    pub fn check_json_schema(&self, schema: &Value) -> Result<(), LimitExceeded> {
        let mut at = String::new();
        self.json_node(schema, &mut at)
    }

    fn json_node(&self, node: &Value, at: &mut String) -> Result<(), LimitExceeded> {
        match node {
            Value::Object(map) => {
                for (key, value) in map {
                    let key = key.as_str();
                    match (key, value) {
                        ("enum", Value::Array(values)) => {
                            within(at, key, |at| {
                                self.allow(Limit::EnumSymbols, values.len(), "enum", at, "values")
                            })?;
                        }
                        ("const" | "default" | "examples" | "required" | "enum", _) => {}
                        (
                            "properties" | "patternProperties" | "definitions" | "$defs"
                            | "dependentSchemas" | "dependencies",
                            Value::Object(schemas),
                        ) => {
                            within(at, key, |at| {
                                let unit = match key {
                                    "properties" => Some("properties"),
                                    "patternProperties" => Some("patternProperties"),
                                    _ => None,
                                };
                                if let Some(unit) = unit {
                                    self.allow(Limit::Fields, schemas.len(), unit, at, unit)?;
                                }
                                for (name, schema) in schemas {
                                    within(at, &escape_pointer(name), |at| {
                                        self.json_node(schema, at)
                                    })?;
                                }
                                Ok(())
                            })?;
                        }
                        _ => {
                            within(at, &escape_pointer(key), |at| {
                                if let ("allOf" | "anyOf" | "oneOf", Value::Array(entries)) =
                                    (key, value)
                                {
                                    self.allow(
                                        Limit::UnionBranches,
                                        entries.len(),
                                        key,
                                        at,
                                        "entries",
                                    )?;
                                }
                                self.json_node(value, at)
                            })?;
                        }
                    }
                }
                Ok(())
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    within(at, &i.to_string(), |at| self.json_node(item, at))?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Checks one Protobuf message's field count; `name` is its full name.
    pub(crate) fn check_message(&self, name: &str, fields: usize) -> Result<(), LimitExceeded> {
        self.allow(Limit::Fields, fields, "the message", name, "fields")
    }

    /// Checks one Protobuf enum's value count; `name` is its full name.
    pub(crate) fn check_enum(&self, name: &str, values: usize) -> Result<(), LimitExceeded> {
        self.allow(Limit::EnumSymbols, values, "the enum", name, "values")
    }
}

impl crate::protobuf::ProtobufSchema {
    /// Checks the main file's messages (fields, nested ones included) and enums (values)
    /// against `limits`; imports are registered schemas or built-in files, not checked.
    ///
    /// Errors: the first [`LimitExceeded`], named by the type's full name.
    pub(crate) fn check_limits(&self, limits: &SchemaLimits) -> Result<(), LimitExceeded> {
        let file = self.file();
        let mut messages: Vec<_> = file.messages().collect();
        for e in file.enums() {
            limits.check_enum(e.full_name(), e.values().len())?;
        }
        while let Some(message) = messages.pop() {
            limits.check_message(message.full_name(), message.fields().len())?;
            for e in message.child_enums() {
                limits.check_enum(e.full_name(), e.values().len())?;
            }
            messages.extend(message.child_messages());
        }
        Ok(())
    }
}

/// Runs `f` with `segment` appended to the JSON pointer `at`.
fn within<T>(at: &mut String, segment: &str, f: impl FnOnce(&mut String) -> T) -> T {
    let len = at.len();
    at.push('/');
    at.push_str(segment);
    let result = f(at);
    at.truncate(len);
    result
}

/// A JSON pointer token (RFC 6901): `~` as `~0`, `/` as `~1`.
fn escape_pointer(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1").into()
    } else {
        token.into()
    }
}

/// One of the [`SchemaLimits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`SchemaLimits::max_enum_symbols`].
    EnumSymbols,
    /// [`SchemaLimits::max_union_branches`].
    UnionBranches,
    /// [`SchemaLimits::max_fields`].
    Fields,
}

impl Limit {
    /// The limit's name as the [`SchemaLimits`] field spells it (`max_enum_symbols`).
    pub fn name(self) -> &'static str {
        match self {
            Limit::EnumSymbols => "max_enum_symbols",
            Limit::UnionBranches => "max_union_branches",
            Limit::Fields => "max_fields",
        }
    }
}

/// A schema over one of the [`SchemaLimits`].
///
/// Displays as `the enum at '/fields/0/type' has 100000 symbols, more than the limit of 50000
/// (max_enum_symbols)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} has {found} {unit}, more than the limit of {max} ({})", limit.name())]
pub struct LimitExceeded {
    /// The limit.
    pub limit: Limit,
    /// Its value.
    pub max: usize,
    /// The count found.
    pub found: usize,
    /// What and where: `the union at '/fields/0/type'` (a JSON pointer into the schema for
    /// Avro and JSON Schema, the full name for Protobuf).
    pub what: String,
    /// What is counted: `symbols`, `branches`, `entries`, `fields`, `properties`, `values`.
    pub unit: &'static str,
}

/// Stops a compatibility check from outside: at a deadline, when a shared flag is set, or
/// both. The checkers look at it every few hundred steps and then return
/// [`Interrupted`], so a check ends within microseconds of either.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    deadline: Option<Instant>,
    flag: Option<Arc<AtomicBool>>,
}

impl Interrupt {
    /// Never interrupts.
    pub fn never() -> Self {
        Self::default()
    }

    /// Interrupts once `deadline` has passed.
    pub fn at(deadline: Instant) -> Self {
        Self {
            deadline: Some(deadline),
            flag: None,
        }
    }

    /// Also interrupts once `flag` is true (set by another thread, e.g. when the request
    /// that waits for the check goes away).
    pub fn with_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.flag = Some(flag);
        self
    }

    /// Whether the work should stop now.
    pub fn is_set(&self) -> bool {
        self.flag
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// A compatibility check stopped by its [`Interrupt`] before it reached a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the compatibility check was interrupted before it reached a verdict")]
pub struct Interrupted;

/// How a checker polls its [`Interrupt`]: every [`Poll::EVERY`] steps, and once set, for good.
#[derive(Debug)]
pub(crate) struct Poll {
    interrupt: Interrupt,
    steps: u32,
    stopped: bool,
}

impl Poll {
    /// Steps between two looks at the clock and the flag.
    const EVERY: u32 = 256;

    pub(crate) fn new(interrupt: &Interrupt) -> Self {
        Self {
            interrupt: interrupt.clone(),
            steps: 0,
            stopped: false,
        }
    }

    /// Counts one step; true when the check must stop.
    pub(crate) fn stop(&mut self) -> bool {
        if self.stopped {
            return true;
        }
        self.steps = self.steps.wrapping_add(1);
        if self.steps.is_multiple_of(Self::EVERY) && self.interrupt.is_set() {
            self.stopped = true;
        }
        self.stopped
    }

    /// Whether the check was stopped: loops that would go on comparing (and finding
    /// everything compatible, since stopped comparisons find nothing) end early.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    /// `Err(Interrupted)` when the check was stopped, else `value`.
    pub(crate) fn finish<T>(&self, value: T) -> Result<T, Interrupted> {
        if self.stopped {
            Err(Interrupted)
        } else {
            Ok(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(enums: usize, branches: usize, fields: usize) -> SchemaLimits {
        SchemaLimits {
            max_enum_symbols: enums,
            max_union_branches: branches,
            max_fields: fields,
        }
    }

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn an_avro_schema_at_each_limit_passes_and_one_over_is_refused_with_its_place() {
        let schema = json(
            r#"{"type":"record","name":"R","fields":[
                {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
                {"name":"u","type":["null","int","string"]},
                {"name":"a","type":{"type":"array","items":{"type":"map","values":["null","long"]}}}
            ]}"#,
        );
        assert_eq!(limits(2, 3, 3).check_avro(&schema), Ok(()));

        let e = limits(1, 3, 3).check_avro(&schema).unwrap_err();
        assert_eq!(
            (e.limit, e.max, e.found, e.what.as_str()),
            (Limit::EnumSymbols, 1, 2, "the enum at '/fields/0/type'")
        );
        let e = limits(2, 2, 3).check_avro(&schema).unwrap_err();
        assert_eq!(
            e.what, "the union at '/fields/1/type'",
            "the first in document order"
        );
        assert_eq!(
            e.to_string(),
            "the union at '/fields/1/type' has 3 branches, more than the limit of 2 \
             (max_union_branches)"
        );
        let e = limits(2, 3, 2).check_avro(&schema).unwrap_err();
        assert_eq!(
            (e.limit, e.what.as_str()),
            (Limit::Fields, "the record at '/'")
        );
    }

    #[test]
    fn avro_limits_reach_nested_types_but_not_defaults_or_custom_properties() {
        let nested = json(
            r#"{"type":"array","items":{"type":"map","values":{"type":["null","int","long"]}}}"#,
        );
        let e = limits(9, 2, 9).check_avro(&nested).unwrap_err();
        assert_eq!(e.what, "the union at '/items/values/type'");
        let data = json(
            r#"{"type":"record","name":"R","x-tags":["a","b","c"],"fields":[
                {"name":"l","type":{"type":"array","items":"int"},"default":[1,2,3,4]}]}"#,
        );
        assert_eq!(limits(1, 1, 1).check_avro(&data), Ok(()));
    }

    #[test]
    fn json_schema_limits_count_combined_entries_enum_values_and_properties() {
        let schema = json(
            r#"{"properties":{"a":{"anyOf":[{"type":"string"},{"type":"null"}]},
                "b":{"enum":[1,2,3]}},"default":{"allOf":[1,2,3,4,5]}}"#,
        );
        assert_eq!(
            limits(3, 2, 2).check_json_schema(&schema),
            Ok(()),
            "default is data"
        );
        let e = limits(3, 1, 2).check_json_schema(&schema).unwrap_err();
        assert_eq!(
            e.to_string(),
            "anyOf at '/properties/a/anyOf' has 2 entries, more than the limit of 1 \
             (max_union_branches)"
        );
        let e = limits(2, 2, 2).check_json_schema(&schema).unwrap_err();
        assert_eq!((e.limit, e.found), (Limit::EnumSymbols, 3));
        assert_eq!(e.what, "enum at '/properties/b/enum'");
        let e = limits(3, 2, 1).check_json_schema(&schema).unwrap_err();
        assert_eq!(
            (e.limit, e.what.as_str()),
            (Limit::Fields, "properties at '/properties'")
        );

        // A property named like a data keyword is still a schema.
        let named = json(r#"{"properties":{"default":{"oneOf":[true,false,{}]}}}"#);
        let e = limits(9, 2, 9).check_json_schema(&named).unwrap_err();
        assert_eq!(e.what, "oneOf at '/properties/default/oneOf'");
    }

    #[test]
    fn the_default_limits_pass_a_large_real_schema_and_unlimited_passes_anything() {
        let large = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpus/avro/apache-avro/lang__c++__jsonschemas/large_schema.avsc"
        ));
        if let Ok(text) = large {
            assert_eq!(SchemaLimits::default().check_avro(&json(&text)), Ok(()));
        }
        let symbols: Vec<String> = (0..100_001).map(|i| format!("\"S{i}\"")).collect();
        let huge = json(&format!(
            r#"{{"type":"enum","name":"E","symbols":[{}]}}"#,
            symbols.join(",")
        ));
        assert!(SchemaLimits::default().check_avro(&huge).is_err());
        assert_eq!(SchemaLimits::UNLIMITED.check_avro(&huge), Ok(()));
    }

    #[test]
    fn protobuf_limits_count_fields_of_nested_messages_and_enum_values() {
        let proto = crate::protobuf::ProtobufSchema::parse(
            "syntax = \"proto3\"; package p; message M { int32 a = 1; \
             message N { int32 b = 1; int32 c = 2; int32 d = 3; } \
             enum E { E0 = 0; E1 = 1; } }",
            &[],
        )
        .unwrap();
        assert_eq!(proto.check_limits(&limits(2, 1, 3)), Ok(()));
        let e = proto.check_limits(&limits(2, 1, 2)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the message at 'p.M.N' has 3 fields, more than the limit of 2 (max_fields)"
        );
        let e = proto.check_limits(&limits(1, 1, 3)).unwrap_err();
        assert_eq!(
            (e.limit, e.what.as_str()),
            (Limit::EnumSymbols, "the enum at 'p.M.E'")
        );
    }

    #[test]
    fn every_format_stops_a_check_whose_interrupt_is_set_and_finishes_one_whose_is_not() {
        use crate::types::{CompatibilityLevel, CompatibilityPolicy, SchemaType};
        use crate::{ParsedSchema, compat};
        let entries: Vec<String> = (0..100)
            .map(|i| format!(r#"{{"properties":{{"p{i}":{{"type":"integer"}}}}}}"#))
            .collect();
        let fields: Vec<String> = (1..=1_000).map(|i| format!("int32 f{i} = {i};")).collect();
        let avro_fields: Vec<String> = (0..1_000)
            .map(|i| format!(r#"{{"name":"f{i}","type":"int"}}"#))
            .collect();
        let cases = [
            (
                SchemaType::Json,
                format!(r#"{{"allOf":[{}]}}"#, entries.join(",")),
            ),
            (
                SchemaType::Protobuf,
                format!("syntax = \"proto3\"; message M {{ {} }}", fields.join(" ")),
            ),
            (
                SchemaType::Avro,
                format!(
                    r#"{{"type":"record","name":"R","fields":[{}]}}"#,
                    avro_fields.join(",")
                ),
            ),
        ];
        let past = Interrupt::at(Instant::now());
        for (schema_type, text) in cases {
            let schema = ParsedSchema::parse(schema_type, &text, &[]).unwrap();
            let check = |interrupt: &Interrupt| {
                compat::check_until(
                    CompatibilityLevel::Full,
                    CompatibilityPolicy::Strict,
                    &schema,
                    &[&schema],
                    interrupt,
                )
            };
            assert_eq!(
                check(&past).map(|_| ()),
                Err(Interrupted),
                "{schema_type:?}"
            );
            let verdict = check(&Interrupt::never()).unwrap();
            assert!(verdict.is_compatible(), "{schema_type:?}: {verdict:?}");
        }
    }

    #[test]
    fn an_interrupt_fires_at_its_deadline_or_its_flag_and_a_poll_stays_stopped() {
        assert!(!Interrupt::never().is_set());
        assert!(Interrupt::at(Instant::now()).is_set());
        let later = Instant::now() + std::time::Duration::from_secs(3600);
        let flag = Arc::new(AtomicBool::new(false));
        let interrupt = Interrupt::at(later).with_flag(Arc::clone(&flag));
        assert!(!interrupt.is_set());
        let mut poll = Poll::new(&interrupt);
        assert!((0..Poll::EVERY * 2).all(|_| !poll.stop()));
        flag.store(true, Ordering::Relaxed);
        let steps = (0..Poll::EVERY).take_while(|_| !poll.stop()).count();
        assert!(steps < Poll::EVERY as usize, "stopped within one period");
        flag.store(false, Ordering::Relaxed);
        assert!(poll.stop(), "once stopped, stays stopped");
        assert_eq!(poll.finish(()), Err(Interrupted));
    }
}
