//! The typed schema tree Confluent's JSON Schema diff compares.
//!
//! Confluent loads a schema with everit-json-schema (drafts 4, 6, 7; 2019-09 and 2020-12 go
//! through json-sKema and `SchemaTranslator` into the same classes) and `SchemaDiff` compares
//! the resulting objects, so the verdicts depend on how everit's `SchemaLoader` shapes a
//! schema. This module holds that shape: a [`Model`] of [`Node`]s, each one of everit's schema
//! classes ([`Kind`]), references resolved to node ids. Its [`loader`] builds it from the JSON.

mod loader;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use serde_json::Value;

use super::JsonSchemaDraft;

pub(crate) type NodeId = usize;

/// A loaded schema: every node reachable from the root, references resolved to node ids.
#[derive(Debug)]
pub(crate) struct Model {
    docs: Vec<Doc>,
    nodes: Vec<Node>,
    root: NodeId,
    /// The node an unresolvable or circular reference stands for: an empty schema.
    empty: NodeId,
}

#[derive(Debug)]
struct Doc {
    /// The URIs the document answers to; the first is its base URI.
    uris: Vec<String>,
    value: Value,
    draft: JsonSchemaDraft,
}

/// One schema in everit's sense.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// The identifier ([`JsonSchemaDraft::id_keyword`]) as written.
    pub(crate) id: Option<Value>,
    pub(crate) title: Option<Value>,
    pub(crate) description: Option<Value>,
    pub(crate) default: Option<Value>,
    /// `"connect.type": "bytes"` (Kafka Connect's decimal encoding).
    pub(crate) connect_bytes: bool,
    src: Src,
    fingerprint: OnceLock<u64>,
}

/// Where a node comes from, to tell equal subschemas apart from different ones.
#[derive(Debug, Clone)]
struct Src {
    doc: usize,
    pointer: String,
    part: &'static str,
}

/// everit's schema classes.
#[derive(Debug)]
pub(crate) enum Kind {
    /// `EmptySchema`: `{}` or an object without validation keywords.
    Empty,
    /// `TrueSchema` (a subclass of `EmptySchema` in everit): the boolean schema `true`.
    True,
    /// `FalseSchema`: the boolean schema `false`.
    False,
    /// `BooleanSchema`: `"type": "boolean"`.
    Boolean,
    /// `NullSchema`: `"type": "null"`.
    Null,
    String(StringSchema),
    Number(NumberSchema),
    /// `EnumSchema`: the permitted values.
    Enum(Vec<Value>),
    /// `ConstSchema`: the permitted value.
    Const(Value),
    /// `CombinedSchema`.
    Combined(Criterion, Vec<NodeId>),
    /// `NotSchema`: the schema that must not match.
    Not(NodeId),
    Object(Box<ObjectSchema>),
    Array(Box<ArraySchema>),
    /// `ReferenceSchema`, resolved after loading; `None` until then or if it does not resolve.
    Reference(Option<NodeId>),
    /// `ConditionalSchema` (`if`/`then`/`else`), which Confluent's diff does not look into.
    Conditional,
}

impl Kind {
    /// The everit class, for `SchemaDiff.schemaTypesEqual`.
    pub(crate) fn class(&self) -> u8 {
        match self {
            Kind::Empty => 0,
            Kind::True => 1,
            Kind::False => 2,
            Kind::Boolean => 3,
            Kind::Null => 4,
            Kind::String(_) => 5,
            Kind::Number(_) => 6,
            Kind::Enum(_) => 7,
            Kind::Const(_) => 8,
            Kind::Combined(..) => 9,
            Kind::Not(_) => 10,
            Kind::Object(_) => 11,
            Kind::Array(_) => 12,
            Kind::Reference(_) => 13,
            Kind::Conditional => 14,
        }
    }

    /// `instanceof EmptySchema` (which `TrueSchema` extends).
    pub(crate) fn is_empty_schema(&self) -> bool {
        matches!(self, Kind::Empty | Kind::True)
    }
}

/// `CombinedSchema.ValidationCriterion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Criterion {
    All,
    Any,
    One,
}

impl Criterion {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Criterion::All => "allOf",
            Criterion::Any => "anyOf",
            Criterion::One => "oneOf",
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct StringSchema {
    pub(crate) min_length: Option<f64>,
    pub(crate) max_length: Option<f64>,
    pub(crate) pattern: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct NumberSchema {
    pub(crate) integer: bool,
    pub(crate) minimum: Option<f64>,
    pub(crate) maximum: Option<f64>,
    /// Draft 6+ numeric `exclusiveMinimum`; draft 4's boolean form only makes `minimum`
    /// exclusive, which everit keeps apart and Confluent's diff does not compare.
    pub(crate) exclusive_minimum: Option<f64>,
    pub(crate) exclusive_maximum: Option<f64>,
    pub(crate) multiple_of: Option<f64>,
}

/// `additionalProperties` / `additionalItems`: everit's `permits…` flag and `schemaOf…`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Additional {
    pub(crate) permits: bool,
    pub(crate) schema: Option<NodeId>,
}

impl Default for Additional {
    fn default() -> Self {
        Self {
            permits: true,
            schema: None,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct ObjectSchema {
    pub(crate) properties: Vec<(String, NodeId)>,
    /// Whether each property's own JSON has `default` (everit `hasDefaultValue()`).
    pub(crate) property_has_default: HashMap<String, bool>,
    pub(crate) required: Vec<String>,
    pub(crate) additional: Additional,
    pub(crate) pattern_properties: Vec<(String, NodeId)>,
    pub(crate) property_dependencies: Vec<(String, Vec<String>)>,
    pub(crate) schema_dependencies: Vec<(String, NodeId)>,
    pub(crate) min_properties: Option<f64>,
    pub(crate) max_properties: Option<f64>,
    pub(crate) unevaluated: Option<NodeId>,
}

#[derive(Debug, Default)]
pub(crate) struct ArraySchema {
    pub(crate) all_items: Option<NodeId>,
    pub(crate) item_schemas: Vec<NodeId>,
    pub(crate) additional: Additional,
    pub(crate) min_items: Option<f64>,
    pub(crate) max_items: Option<f64>,
    pub(crate) unique_items: bool,
    pub(crate) min_contains: Option<f64>,
    pub(crate) max_contains: Option<f64>,
    pub(crate) unevaluated: Option<NodeId>,
}

impl Model {
    pub(crate) fn root_value(&self) -> &Value {
        &self.docs[0].value
    }

    pub(crate) fn root(&self) -> NodeId {
        self.root
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Follows references to the schema they name (everit `ReferenceSchema.getReferredSchema`,
    /// repeated: Confluent follows one level, and a reference to a reference would then
    /// compare as two `ReferenceSchema`s with nothing in them). Returns the node and whether a
    /// reference was followed. An unresolved or circular chain ends at an empty schema.
    pub(crate) fn deref(&self, mut id: NodeId) -> (NodeId, bool) {
        let mut followed = false;
        let mut steps = 0;
        while let Kind::Reference(target) = &self.nodes[id].kind {
            followed = true;
            steps += 1;
            match target {
                Some(t) if steps <= self.nodes.len() => id = *t,
                _ => return (self.empty, true),
            }
        }
        (id, followed)
    }

    /// A hash of the node's JSON and role, for collapsing duplicate subschemas of a combined
    /// schema as Confluent does with a `LinkedHashSet<JsonSchema>`.
    pub(crate) fn fingerprint(&self, id: NodeId) -> u64 {
        let node = &self.nodes[id];
        *node.fingerprint.get_or_init(|| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            node.src.part.hash(&mut hasher);
            if let Some(value) = self.docs[node.src.doc].value.pointer(&node.src.pointer) {
                value.to_string().hash(&mut hasher);
            }
            hasher.finish()
        })
    }
}
