//! A validator of Warden's own for a subset of JSON Schema, run over JSON text as it is
//! parsed, over a `serde_json::Value`, or over a Rust value's own `Serialize` calls (`ser`),
//! without building a document: what lets a serializer validate a serde value with no
//! `serde_json::Value` in between.
//!
//! The subset: boolean schemas; `type`; `enum` and `const`; `properties`, `required`,
//! `additionalProperties` and `maxProperties`; `items` as one schema, `minItems` and
//! `maxItems`; `minimum`, `maximum`, `exclusiveMinimum` and `exclusiveMaximum` (draft 4's
//! boolean forms too); `minLength` and `maxLength`; `pattern` and `format`, which are handed
//! to a `jsonschema` validator compiled for those keywords alone (so the regular expression
//! dialect and the formats are the crate's own); `$ref` to a JSON pointer inside the
//! document (`#`, `#/definitions/x`, `#/$defs/x`), beside annotations only. Anything else
//! that is a keyword of some draft (combinators, conditionals, `patternProperties`,
//! `dependencies`, `unevaluated*`, `multipleOf`, tuple `items`, anchors, an `$id` below the
//! root, …) leaves the schema outside the subset, and `jsonschema` alone validates it.
//!
//! Semantics follow `jsonschema` 0.60 (the crate [`super::JsonSchema`] compiles) keyword by
//! keyword; where a corner is not certain (an integer-valued float in draft 4, numbers in
//! `enum` that are not both integers, an object or array compared with an `enum` holding
//! objects or arrays) the check answers [`Verdict::Unknown`] and the caller asks
//! `jsonschema`. The differential test in `tests/json_subset.rs` holds the two to the same
//! verdicts over the schema corpus and the JSON-Schema-Test-Suite.

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::JsonSchemaDraft;

mod ser;

/// What the subset validator concluded about a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid under the schema: `jsonschema` would accept it.
    Valid,
    /// Not valid: `jsonschema` would refuse it (and gives the error).
    Invalid,
    /// Not decided here (a corner outside the subset, or text that is not one JSON value);
    /// ask `jsonschema`.
    Unknown,
}

/// Type bits of `type`.
const NULL: u8 = 1;
const BOOLEAN: u8 = 2;
const OBJECT: u8 = 4;
const ARRAY: u8 = 8;
const NUMBER: u8 = 16;
const INTEGER: u8 = 32;
const STRING: u8 = 64;

/// The node accepting anything (`true`, `{}`, a missing `additionalProperties`).
const ANY: u32 = 0;
/// The node accepting nothing (`false`).
const NEVER: u32 = 1;

/// Keywords that only annotate (or only hold subschemas for `$ref`), beside which a `$ref`
/// still stands alone.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "deprecated",
    "definitions",
    "$defs",
];

/// Keywords of some draft this validator does not implement: a schema using any of them is
/// outside the subset.
const UNSUPPORTED: &[&str] = &[
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "contains",
    "minContains",
    "maxContains",
    "propertyNames",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "additionalItems",
    "multipleOf",
    "minProperties",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "$recursiveRef",
    "$recursiveAnchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$anchor",
    "$vocabulary",
];

/// A numeric bound: the limit and whether it is exclusive.
#[derive(Debug, Clone)]
struct Bound {
    limit: Number,
    exclusive: bool,
}

/// One compiled schema object.
#[derive(Default)]
struct Checks {
    /// Allowed types (bits above); 0 when `type` is absent.
    types: u8,
    /// `enum` and `const` lists: the instance must equal a member of each.
    choices: Vec<Vec<Value>>,
    /// `properties`, in the schema's order: the name, the subschema and the `required` bit,
    /// if required.
    properties: Vec<(Box<str>, u32, u64)>,
    /// Positions in `properties`, sorted by name.
    by_name: Vec<u32>,
    /// Required names that `properties` does not list, with their bits.
    required_elsewhere: Vec<(Box<str>, u64)>,
    /// Every required bit.
    required_mask: u64,
    /// `additionalProperties` ([`ANY`] when absent).
    additional: u32,
    max_properties: Option<u64>,
    /// `items` ([`ANY`] when absent).
    items: u32,
    min_items: Option<u64>,
    max_items: Option<u64>,
    lower: Vec<Bound>,
    upper: Vec<Bound>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    /// `pattern` and `format`, compiled by `jsonschema` on their own.
    strings: Option<jsonschema::Validator>,
}

impl Checks {
    /// The node a member named `key` is checked by, and its `required` bit (0 when the name
    /// is not required). `next` is where in `properties` the name is looked for first, and
    /// is moved past the property found: members written in the schema's order (as generated
    /// types write them) are found by one comparison each.
    fn property(&self, key: &str, next: &mut usize) -> (u32, u64) {
        let found = match self.properties.get(*next) {
            Some((name, _, _)) if **name == *key => Some(*next),
            _ => self
                .by_name
                .binary_search_by(|&i| (*self.properties[i as usize].0).cmp(key))
                .ok()
                .map(|i| self.by_name[i] as usize),
        };
        match found {
            Some(i) => {
                *next = i + 1;
                let (_, node, bit) = &self.properties[i];
                (*node, *bit)
            }
            None => {
                let bit = self
                    .required_elsewhere
                    .iter()
                    .find(|(n, _)| **n == *key)
                    .map_or(0, |(_, bit)| *bit);
                (self.additional, bit)
            }
        }
    }
}

enum Node {
    Any,
    Never,
    Checks(Box<Checks>),
}

/// A schema compiled for the subset validator.
pub(crate) struct Subset {
    nodes: Vec<Node>,
    root: u32,
    /// Draft 4 reads only integer literals as integers in places this validator does not
    /// know for certain, so it leaves integer-valued floats to `jsonschema` there.
    draft4: bool,
}

impl fmt::Debug for Subset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subset")
            .field("nodes", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

/// Why a schema is outside the subset (for tests and debugging).
#[derive(Debug)]
pub(crate) struct Outside(#[allow(dead_code)] pub(crate) String);

fn outside<T>(why: impl Into<String>) -> Result<T, Outside> {
    Err(Outside(why.into()))
}

impl Subset {
    /// Compiles `root` (a schema that `jsonschema` accepted for `draft`), or says why it is
    /// outside the subset.
    pub(crate) fn compile(root: &Value, draft: JsonSchemaDraft) -> Result<Self, Outside> {
        if let Value::Object(map) = root
            && let Some(uri) = map.get("$schema")
        {
            let known = uri.as_str().is_some_and(|u| {
                let u = u.trim_end_matches('#');
                let u = u
                    .strip_prefix("https://")
                    .or_else(|| u.strip_prefix("http://"))
                    .unwrap_or(u);
                matches!(
                    u,
                    "json-schema.org/draft-04/schema"
                        | "json-schema.org/draft-06/schema"
                        | "json-schema.org/draft-07/schema"
                        | "json-schema.org/draft/2019-09/schema"
                        | "json-schema.org/draft/2020-12/schema"
                )
            });
            if !known {
                return outside("a $schema that is not one of the five drafts");
            }
        }
        scan_identifiers(root, draft, true)?;
        let mut compiler = Compiler {
            root,
            draft,
            nodes: vec![Node::Any, Node::Never],
            memo: HashMap::new(),
            resolving: Vec::new(),
            depth: 0,
        };
        let root_node = compiler.node(root, String::new())?;
        Ok(Self {
            nodes: compiler.nodes,
            root: root_node,
            draft4: draft == JsonSchemaDraft::Draft4,
        })
    }

    /// Validates one JSON text (as `serde_json` reads it: surrounding whitespace allowed).
    pub(crate) fn check_slice(&self, text: &[u8]) -> Verdict {
        let verdict = Cell::new(Verdict::Valid);
        let mut de = serde_json::Deserializer::from_slice(text);
        let walk = Walk {
            subset: self,
            node: self.root,
            verdict: &verdict,
        };
        match walk.deserialize(&mut de).and_then(|()| de.end()) {
            Ok(()) => Verdict::Valid,
            Err(_) => match verdict.get() {
                // Not JSON, or nested past serde_json's limit: not this validator's call.
                Verdict::Valid => Verdict::Unknown,
                other => other,
            },
        }
    }

    /// Validates what `serde_json::to_value(value)` would build, from `value`'s own
    /// `Serialize` calls (`subset::ser`), building nothing.
    pub(crate) fn check_serde<T: serde::Serialize + ?Sized>(&self, value: &T) -> Verdict {
        ser::check(self, value)
    }

    /// Validates a document already in memory.
    pub(crate) fn check_value(&self, value: &Value) -> Verdict {
        let verdict = Cell::new(Verdict::Valid);
        let walk = Walk {
            subset: self,
            node: self.root,
            verdict: &verdict,
        };
        match walk.deserialize(value) {
            Ok(()) => Verdict::Valid,
            Err(_) => match verdict.get() {
                Verdict::Valid => Verdict::Unknown,
                other => other,
            },
        }
    }
}

/// Refuses documents that give any subschema an identifier or an anchor of its own (an `$id`
/// below the root changes what `#/…` means beneath it): conservative, every object is
/// looked at, data (`default`, `enum`) included.
fn scan_identifiers(value: &Value, draft: JsonSchemaDraft, at_root: bool) -> Result<(), Outside> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let identifier = match key.as_str() {
                    "$id" => !at_root,
                    "id" => draft == JsonSchemaDraft::Draft4 && !at_root && child.is_string(),
                    "$anchor" | "$dynamicAnchor" | "$recursiveAnchor" => true,
                    _ => false,
                };
                if identifier {
                    return outside(format!("{key} below the root"));
                }
                scan_identifiers(child, draft, false)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                scan_identifiers(item, draft, false)?;
            }
        }
        _ => {}
    }
    Ok(())
}

struct Compiler<'a> {
    root: &'a Value,
    draft: JsonSchemaDraft,
    nodes: Vec<Node>,
    /// Node of each JSON pointer compiled so far.
    memo: HashMap<String, u32>,
    /// `$ref` pointers being followed (a `$ref` to a `$ref` to itself is refused).
    resolving: Vec<String>,
    /// Nodes being compiled, one inside the other.
    depth: usize,
}

/// How deep subschemas and `$ref` chains may nest before a schema is left to `jsonschema`
/// (compiling recurses; a chain of thousands of `$ref`s must not overflow the stack).
const MAX_DEPTH: usize = 64;

impl<'a> Compiler<'a> {
    /// The node of `schema`, found at `pointer` in the document.
    fn node(&mut self, schema: &'a Value, pointer: String) -> Result<u32, Outside> {
        if self.depth >= MAX_DEPTH {
            return outside(format!("subschemas nested deeper than {MAX_DEPTH}"));
        }
        self.depth += 1;
        let id = self.node_within(schema, pointer);
        self.depth -= 1;
        id
    }

    fn node_within(&mut self, schema: &'a Value, pointer: String) -> Result<u32, Outside> {
        if let Some(&id) = self.memo.get(&pointer) {
            return Ok(id);
        }
        let map = match schema {
            Value::Bool(true) => return Ok(ANY),
            Value::Bool(false) => return Ok(NEVER),
            Value::Object(map) => map,
            _ => return outside(format!("a schema that is not an object at {pointer}")),
        };
        if let Some(reference) = map.get("$ref") {
            // The root's own identifier may stand beside it (`#/…` still means this document).
            let beside_ok = |k: &str| {
                k == "$ref"
                    || ANNOTATIONS.contains(&k)
                    || (pointer.is_empty() && matches!(k, "$id" | "id"))
            };
            if let Some(key) = map.keys().find(|k| !beside_ok(k)) {
                return outside(format!("{key} beside $ref at {pointer}"));
            }
            let Some(reference) = reference.as_str() else {
                return outside("a $ref that is not a string");
            };
            let target_pointer = local_pointer(reference)?;
            if let Some(&id) = self.memo.get(&target_pointer) {
                self.memo.insert(pointer, id);
                return Ok(id);
            }
            if self.resolving.contains(&target_pointer) {
                return outside(format!("a $ref cycle through {target_pointer}"));
            }
            let target = resolve_pointer(self.root, &target_pointer)?;
            self.resolving.push(target_pointer.clone());
            let id = self.node(target, target_pointer);
            self.resolving.pop();
            let id = id?;
            self.memo.insert(pointer, id);
            return Ok(id);
        }
        if map.is_empty() {
            return Ok(ANY);
        }
        let id = u32::try_from(self.nodes.len()).map_err(|_| Outside("too many nodes".into()))?;
        self.nodes.push(Node::Any);
        self.memo.insert(pointer.clone(), id);
        let checks = self.checks(map, &pointer)?;
        self.nodes[id as usize] = Node::Checks(Box::new(checks));
        Ok(id)
    }

    fn checks(&mut self, map: &'a Map<String, Value>, pointer: &str) -> Result<Checks, Outside> {
        let draft4 = self.draft == JsonSchemaDraft::Draft4;
        let mut checks = Checks::default();
        let mut string_keywords = Map::new();
        for (key, value) in map {
            let key = key.as_str();
            match key {
                "type" => checks.types = types(value)?,
                "enum" => checks.choices.push(choices(value)?),
                "const" if !draft4 => checks.choices.push(vec![value.clone()]),
                "properties" => {
                    let Value::Object(properties) = value else {
                        return outside("properties that is not an object");
                    };
                    for (name, schema) in properties {
                        let node =
                            self.node(schema, format!("{pointer}/properties/{}", escape(name)))?;
                        checks.properties.push((name.as_str().into(), node, 0));
                    }
                }
                "additionalProperties" => {
                    checks.additional =
                        self.node(value, format!("{pointer}/additionalProperties"))?;
                }
                "items" => {
                    if value.is_array() {
                        return outside("items as an array (tuples)");
                    }
                    checks.items = self.node(value, format!("{pointer}/items"))?;
                }
                "maxProperties" => checks.max_properties = Some(size(value)?),
                "minItems" => checks.min_items = Some(size(value)?),
                "maxItems" => checks.max_items = Some(size(value)?),
                "minLength" => checks.min_length = Some(size(value)?),
                "maxLength" => checks.max_length = Some(size(value)?),
                "uniqueItems" if value == &Value::Bool(false) => {}
                "minimum" | "maximum" => {
                    let exclusive_key = if key == "minimum" {
                        "exclusiveMinimum"
                    } else {
                        "exclusiveMaximum"
                    };
                    let exclusive = if draft4 {
                        match map.get(exclusive_key) {
                            None | Some(Value::Bool(false)) => false,
                            Some(Value::Bool(true)) => true,
                            Some(_) => return outside("a draft 4 exclusive bound not boolean"),
                        }
                    } else {
                        false
                    };
                    let bound = Bound {
                        limit: number(value)?,
                        exclusive,
                    };
                    if key == "minimum" {
                        checks.lower.push(bound);
                    } else {
                        checks.upper.push(bound);
                    }
                }
                "exclusiveMinimum" | "exclusiveMaximum" => {
                    if draft4 {
                        // Read with `minimum` / `maximum`; alone it does nothing.
                        if !value.is_boolean() {
                            return outside("a draft 4 exclusive bound not boolean");
                        }
                        continue;
                    }
                    let bound = Bound {
                        limit: number(value)?,
                        exclusive: true,
                    };
                    if key == "exclusiveMinimum" {
                        checks.lower.push(bound);
                    } else {
                        checks.upper.push(bound);
                    }
                }
                "pattern" | "format" => {
                    string_keywords.insert(key.to_owned(), value.clone());
                }
                "required" => {
                    let Value::Array(names) = value else {
                        return outside("required that is not an array");
                    };
                    for name in names {
                        let Some(name) = name.as_str() else {
                            return outside("a required name that is not a string");
                        };
                        if checks.required_elsewhere.iter().any(|(n, _)| &**n == name) {
                            continue;
                        }
                        let bit = checks.required_elsewhere.len();
                        if bit >= 64 {
                            return outside("more than 64 required names");
                        }
                        checks.required_elsewhere.push((name.into(), 1 << bit));
                    }
                }
                "$ref" => unreachable!("handled by the caller"),
                // The root's identifier (below the root, `scan_identifiers` refused it).
                "$id" | "id" => {}
                _ if UNSUPPORTED.contains(&key) => {
                    return outside(format!("{key} at {pointer}"));
                }
                "const" | "uniqueItems" => return outside(format!("{key} at {pointer}")),
                // Annotations and keywords of no draft: `jsonschema` ignores them too.
                _ => {}
            }
        }
        // Required names among the properties carry their bit there.
        let mut elsewhere = Vec::new();
        for (name, bit) in std::mem::take(&mut checks.required_elsewhere) {
            checks.required_mask |= bit;
            match checks.properties.iter_mut().find(|(n, _, _)| *n == name) {
                Some(property) => property.2 = bit,
                None => elsewhere.push((name, bit)),
            }
        }
        checks.required_elsewhere = elsewhere;
        let mut by_name: Vec<u32> = (0..checks.properties.len())
            .map(|i| u32::try_from(i).map_err(|_| Outside("too many properties".into())))
            .collect::<Result<_, _>>()?;
        by_name.sort_by(|&a, &b| {
            checks.properties[a as usize]
                .0
                .cmp(&checks.properties[b as usize].0)
        });
        checks.by_name = by_name;
        if !string_keywords.is_empty() {
            let validator = jsonschema::options()
                .with_draft(self.draft.to_jsonschema())
                .build(&Value::Object(string_keywords))
                .map_err(|e| Outside(format!("pattern or format: {e}")))?;
            checks.strings = Some(validator);
        }
        Ok(checks)
    }
}

/// The JSON pointer a `$ref` names inside the document (`#` or `#/…`), unescaped of URI
/// percent-encoding only where there is none.
fn local_pointer(reference: &str) -> Result<String, Outside> {
    match reference.strip_prefix('#') {
        Some(pointer) if pointer.is_empty() || pointer.starts_with('/') => {
            if pointer.contains('%') {
                return outside("a percent-encoded $ref");
            }
            Ok(pointer.to_owned())
        }
        _ => outside(format!("a $ref outside the document: {reference}")),
    }
}

fn resolve_pointer<'v>(root: &'v Value, pointer: &str) -> Result<&'v Value, Outside> {
    root.pointer(pointer)
        .ok_or_else(|| Outside(format!("a $ref to nothing: #{pointer}")))
}

/// A property name as a JSON pointer token.
fn escape(name: &str) -> Cow<'_, str> {
    if name.contains(['~', '/']) {
        Cow::Owned(name.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(name)
    }
}

fn types(value: &Value) -> Result<u8, Outside> {
    let one = |name: &str| -> Result<u8, Outside> {
        Ok(match name {
            "null" => NULL,
            "boolean" => BOOLEAN,
            "object" => OBJECT,
            "array" => ARRAY,
            "number" => NUMBER,
            "integer" => INTEGER,
            "string" => STRING,
            other => return outside(format!("type {other}")),
        })
    };
    match value {
        Value::String(name) => one(name),
        Value::Array(names) => {
            let mut bits = 0;
            for name in names {
                let Some(name) = name.as_str() else {
                    return outside("a type that is not a string");
                };
                bits |= one(name)?;
            }
            if bits == 0 {
                return outside("an empty type list");
            }
            Ok(bits)
        }
        _ => outside("type that is neither a string nor a list"),
    }
}

fn choices(value: &Value) -> Result<Vec<Value>, Outside> {
    match value {
        Value::Array(members) => Ok(members.clone()),
        _ => outside("enum that is not an array"),
    }
}

/// A size bound (`maxLength`, `minItems`, …): a non-negative integer, or an integer-valued
/// float after draft 4, as `jsonschema` reads it.
fn size(value: &Value) -> Result<u64, Outside> {
    match value.as_u64() {
        Some(n) => Ok(n),
        None => outside(format!("a size bound {value} that is not a plain integer")),
    }
}

fn number(value: &Value) -> Result<Number, Outside> {
    match value {
        Value::Number(n) => Ok(n.clone()),
        _ => outside("a numeric bound that is not a number"),
    }
}

/// A number as it was read.
#[derive(Debug, Clone, Copy)]
enum Num {
    U(u64),
    I(i64),
    F(f64),
}

impl Num {
    fn of(n: &Number) -> Self {
        if let Some(u) = n.as_u64() {
            Num::U(u)
        } else if let Some(i) = n.as_i64() {
            Num::I(i)
        } else {
            Num::F(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    fn integer(self) -> Option<i128> {
        match self {
            Num::U(u) => Some(i128::from(u)),
            Num::I(i) => Some(i128::from(i)),
            Num::F(_) => None,
        }
    }

    /// Exact comparison, integers against floats included (as `jsonschema`'s bounds compare).
    fn cmp(self, other: Num) -> Option<Ordering> {
        match (self.integer(), other.integer(), self, other) {
            (Some(a), Some(b), _, _) => Some(a.cmp(&b)),
            (Some(a), None, _, Num::F(f)) => int_cmp_float(a, f),
            (None, Some(b), Num::F(f), _) => int_cmp_float(b, f).map(Ordering::reverse),
            (None, None, Num::F(a), Num::F(b)) => a.partial_cmp(&b),
            _ => None,
        }
    }
}

/// `i` against `f`, exactly.
fn int_cmp_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // Past ±2^100 the float is outside every integer `i` can be.
    if f >= 1.0e30 {
        return Some(Ordering::Less);
    }
    if f <= -1.0e30 {
        return Some(Ordering::Greater);
    }
    let floor = f.floor();
    // |floor| < 1e30 < 2^127: exact as an i128.
    let whole = floor as i128;
    Some(match i.cmp(&whole) {
        Ordering::Equal if f > floor => Ordering::Less,
        other => other,
    })
}

/// The instance seen by one node: checks it, and walks into it.
struct Walk<'s> {
    subset: &'s Subset,
    node: u32,
    verdict: &'s Cell<Verdict>,
}

impl<'s> Walk<'s> {
    fn fail<T, E: de::Error>(&self, verdict: Verdict) -> Result<T, E> {
        self.verdict.set(verdict);
        Err(E::custom("not valid"))
    }

    fn child(&self, node: u32) -> Walk<'s> {
        Walk {
            subset: self.subset,
            node,
            verdict: self.verdict,
        }
    }

    fn checks(&self) -> Option<&'s Checks> {
        match &self.subset.nodes[self.node as usize] {
            Node::Checks(c) => Some(c),
            _ => None,
        }
    }

    /// The type and `enum` checks of an instance of `kind` that is an object or an array
    /// (no member of an all-scalar `enum` can equal it).
    fn container<E: de::Error>(&self, checks: &Checks, kind: u8) -> Result<(), E> {
        if checks.types != 0 && checks.types & kind == 0 {
            return self.fail(Verdict::Invalid);
        }
        if !checks.choices.is_empty() {
            let containers = checks
                .choices
                .iter()
                .all(|members| members.iter().any(|m| m.is_object() || m.is_array()));
            return self.fail(if containers {
                Verdict::Unknown
            } else {
                Verdict::Invalid
            });
        }
        Ok(())
    }

    /// The checks of an object or an array (`kind`) that this node sees, after its type and
    /// `enum` checks: `None` when the node accepts anything.
    fn compound<E: de::Error>(&self, kind: u8) -> Result<Option<&'s Checks>, E> {
        match &self.subset.nodes[self.node as usize] {
            Node::Any => Ok(None),
            Node::Never => self.fail(Verdict::Invalid),
            Node::Checks(checks) => {
                self.container::<E>(checks, kind)?;
                Ok(Some(checks))
            }
        }
    }

    /// `minItems` and `maxItems` of an array of `count` items.
    fn array_end<E: de::Error>(&self, checks: &Checks, count: u64) -> Result<(), E> {
        if checks.min_items.is_some_and(|min| count < min)
            || checks.max_items.is_some_and(|max| count > max)
        {
            return self.fail(Verdict::Invalid);
        }
        Ok(())
    }

    /// `required` and `maxProperties` of an object of `count` members that set the required
    /// bits `seen`.
    fn object_end<E: de::Error>(&self, checks: &Checks, seen: u64, count: u64) -> Result<(), E> {
        if seen != checks.required_mask || checks.max_properties.is_some_and(|max| count > max) {
            return self.fail(Verdict::Invalid);
        }
        Ok(())
    }

    fn scalar<E: de::Error>(
        &self,
        kind: u8,
        equals: impl Fn(&Value) -> Option<bool>,
    ) -> Result<Option<&'s Checks>, E> {
        let Some(checks) = self.checks() else {
            return match self.subset.nodes[self.node as usize] {
                Node::Never => self.fail(Verdict::Invalid),
                _ => Ok(None),
            };
        };
        if checks.types != 0 && checks.types & kind == 0 {
            return self.fail(Verdict::Invalid);
        }
        for members in &checks.choices {
            let mut unknown = false;
            let mut found = false;
            for member in members {
                match equals(member) {
                    Some(true) => {
                        found = true;
                        break;
                    }
                    Some(false) => {}
                    None => unknown = true,
                }
            }
            if !found {
                return self.fail(if unknown {
                    Verdict::Unknown
                } else {
                    Verdict::Invalid
                });
            }
        }
        Ok(Some(checks))
    }

    fn number<E: de::Error>(&self, n: Num) -> Result<(), E> {
        let kind = match n {
            Num::F(f) if f.fract() == 0.0 => {
                // An integer-valued float: an integer for `jsonschema` after draft 4.
                if self.subset.draft4 {
                    if let Some(checks) = self.checks()
                        && checks.types & INTEGER != 0
                        && checks.types & NUMBER == 0
                    {
                        return self.fail(Verdict::Unknown);
                    }
                    NUMBER
                } else {
                    NUMBER | INTEGER
                }
            }
            Num::F(_) => NUMBER,
            Num::U(_) | Num::I(_) => NUMBER | INTEGER,
        };
        let equals = |member: &Value| match member {
            Value::Number(m) => match (Num::of(m).integer(), n.integer()) {
                (Some(a), Some(b)) => Some(a == b),
                _ => None,
            },
            _ => Some(false),
        };
        let Some(checks) = self.scalar::<E>(kind, equals)? else {
            return Ok(());
        };
        for bound in &checks.lower {
            match n.cmp(Num::of(&bound.limit)) {
                Some(Ordering::Greater) => {}
                Some(Ordering::Equal) if !bound.exclusive => {}
                Some(_) => return self.fail(Verdict::Invalid),
                None => return self.fail(Verdict::Unknown),
            }
        }
        for bound in &checks.upper {
            match n.cmp(Num::of(&bound.limit)) {
                Some(Ordering::Less) => {}
                Some(Ordering::Equal) if !bound.exclusive => {}
                Some(_) => return self.fail(Verdict::Invalid),
                None => return self.fail(Verdict::Unknown),
            }
        }
        Ok(())
    }

    fn string<E: de::Error>(&self, s: &str) -> Result<(), E> {
        let equals = |member: &Value| Some(member.as_str() == Some(s));
        let Some(checks) = self.scalar::<E>(STRING, equals)? else {
            return Ok(());
        };
        if checks.min_length.is_some() || checks.max_length.is_some() {
            let length = s.chars().count() as u64;
            if checks.min_length.is_some_and(|min| length < min)
                || checks.max_length.is_some_and(|max| length > max)
            {
                return self.fail(Verdict::Invalid);
            }
        }
        if let Some(strings) = &checks.strings
            && !strings.is_valid(&Value::String(s.to_owned()))
        {
            return self.fail(Verdict::Invalid);
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.subset.nodes[self.node as usize] {
            Node::Any => de::Deserialize::deserialize(deserializer).map(|IgnoredAny| ()),
            Node::Never => self.fail(Verdict::Invalid),
            Node::Checks(_) => deserializer.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar(NULL, |m: &Value| Some(m.is_null())).map(|_| ())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        self.scalar(BOOLEAN, |m: &Value| Some(m.as_bool() == Some(b)))
            .map(|_| ())
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        self.number(Num::U(n))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        // As `serde_json::Number::from(i64)` stores it: non-negative values are unsigned.
        match u64::try_from(n) {
            Ok(u) => self.number(Num::U(u)),
            Err(_) => self.number(Num::I(n)),
        }
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        if !n.is_finite() {
            // `serde_json` makes such a float `null` in a `Value`.
            return self.fail(Verdict::Unknown);
        }
        self.number(Num::F(n))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.string(s)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // A node accepting anything is skipped before its visitor is called.
        let Some(checks) = self.compound::<A::Error>(ARRAY)? else {
            return self.fail(Verdict::Unknown);
        };
        let mut count = 0u64;
        if checks.items == ANY {
            while seq.next_element::<IgnoredAny>()?.is_some() {
                count += 1;
            }
        } else {
            while seq.next_element_seed(self.child(checks.items))?.is_some() {
                count += 1;
            }
        }
        self.array_end(checks, count)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(checks) = self.compound::<A::Error>(OBJECT)? else {
            return self.fail(Verdict::Unknown);
        };
        let mut seen = 0u64;
        let mut count = 0u64;
        let mut next = 0;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            count += 1;
            let (node, bit) = checks.property(&key, &mut next);
            seen |= bit;
            if node == ANY {
                map.next_value::<IgnoredAny>()?;
            } else {
                map.next_value_seed(self.child(node))?;
            }
        }
        self.object_end(checks, seen, count)
    }
}

/// An object key, borrowed from the text where it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}
