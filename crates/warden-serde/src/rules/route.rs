//! A field rule's fields resolved once per schema version ([`Route`]): which fields of
//! which records (Avro) or properties (JSON Schema) the rule can select, by its tags and by
//! a guard on the field's name (`name == 'email' ; …`), and the records, arrays, maps,
//! unions and references on the way to them. A record's walk then goes straight to those
//! fields, with their [`FieldInfo`] at hand, instead of looking the plan up per record
//! (hashing the Avro record's name or the JSON Schema path) and checking every field.
//!
//! The route walk calls the field function on what the full walk
//! ([`Contract::walk_fields`]) calls it on for a selected field, in the same order, with the
//! same context (name, full name, type and tags of the value at hand): the choices the
//! full walk makes per record (a union's branch, an `anyOf`'s subschema, what an array or
//! a map holds) are made the same way on the record. Fields the rule cannot select are left
//! out; on them the full walk's field function does nothing (it checks the tags, and the
//! guard on the name answers `false`). A test compares the two walks
//! (`the_route_selects_what_the_full_walk_selects`).
//!
//! Routes are read-only and bind no containing record: a rule reading `message`, and
//! Protobuf schemas, take the full walk.

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::Schema as AvroNode;
use apache_avro::schema::Name;
use serde_json::Value;
use warden_core::avro::AvroSchema;

use super::{
    Contract, Failed, FieldCtx, FieldInfo, MAX_DEPTH, avro_type_name, branch_name, json_type_as,
    json_type_name, resolve_local_ref,
};

/// Whether a field (its kept [`FieldInfo`]) is one a rule can select.
pub(super) type Wanted<'w> = dyn Fn(&FieldInfo) -> bool + 'w;

/// What the route walk calls on each leaf value of a selected field: the field (with the
/// type of the value at hand) and the value.
pub(super) type LeafFn<'f> =
    dyn FnMut(&FieldCtx<'_>, &Value) -> std::result::Result<(), Failed> + 'f;

/// A field rule's fields in one schema, found once per schema version.
#[derive(Debug)]
pub(super) enum Route {
    Avro(AvroRoute),
    Json(JsonNode),
}

impl Route {
    /// Calls `f` on every leaf value of a field `record` has that the rule can select, as
    /// the full walk would (see the module).
    ///
    /// Errors: the first failure `f` returns.
    pub(super) fn walk(&self, record: &Value, f: &mut LeafFn<'_>) -> Result<(), Failed> {
        match self {
            Route::Avro(route) => match route.root {
                Some(root) => route.record(root, record, f),
                None => Ok(()),
            },
            Route::Json(node) => node.walk(record, None, f),
        }
    }
}

/// The Avro records on the way to the selected fields; `records[root]` is the schema's.
#[derive(Debug)]
pub(super) struct AvroRoute {
    records: Vec<RouteRecord>,
    root: Option<usize>,
}

/// One record: its kept field plan and the fields the walk visits, in schema order.
#[derive(Debug)]
struct RouteRecord {
    infos: Arc<[FieldInfo]>,
    fields: Vec<RouteField>,
}

#[derive(Debug)]
struct RouteField {
    /// The field's key in the JSON record.
    key: String,
    /// Its index in the record's `infos`.
    info: usize,
    /// The field's type, with its leaves kept only when the field is selected.
    hop: Hop,
}

/// An Avro type as the walk goes through it.
#[derive(Debug, Clone, PartialEq)]
enum Hop {
    /// A record (index in [`AvroRoute::records`]): its own fields are visited.
    Record(usize),
    Array(Box<Hop>),
    Map(Box<Hop>),
    /// Every branch, in order (a branch is picked per value as the full walk picks it),
    /// with its name in Avro's JSON encoding and the JSON values it takes.
    Union(Vec<(String, Fit, Hop)>),
    /// A leaf of a selected field, with its `FieldType` name.
    Leaf(&'static str),
    /// Nothing the rule selects.
    Skip,
}

/// The JSON values a union branch takes when the value does not name its branch (the full
/// walk's `json_fits`, resolved once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    Null,
    Boolean,
    /// A JSON integer (`int`, `long`).
    Integer,
    /// Any JSON number (`float`, `double`, logical types over `int` or `long`).
    Number,
    Object,
    Array,
    String,
    Never,
}

impl Fit {
    fn of(node: &AvroNode, named: &dyn Fn(&Name) -> Option<AvroNode>) -> Self {
        match node {
            AvroNode::Ref { name } => named(name).map_or(Fit::Never, |n| Fit::of(&n, named)),
            AvroNode::Null => Fit::Null,
            AvroNode::Boolean => Fit::Boolean,
            AvroNode::Int | AvroNode::Long => Fit::Integer,
            AvroNode::Float | AvroNode::Double => Fit::Number,
            AvroNode::Record(_) | AvroNode::Map(_) => Fit::Object,
            AvroNode::Array(_) => Fit::Array,
            AvroNode::String | AvroNode::Bytes | AvroNode::Enum(_) | AvroNode::Fixed(_) => {
                Fit::String
            }
            other => match avro_type_name(other) {
                "STRING" => Fit::String,
                "INT" | "LONG" => Fit::Number,
                _ => Fit::Never,
            },
        }
    }

    fn fits(self, value: &Value) -> bool {
        match (self, value) {
            (Fit::Null, Value::Null)
            | (Fit::Boolean, Value::Bool(_))
            | (Fit::Number, Value::Number(_))
            | (Fit::Object, Value::Object(_))
            | (Fit::Array, Value::Array(_))
            | (Fit::String, Value::String(_)) => true,
            (Fit::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            _ => false,
        }
    }
}

impl AvroRoute {
    fn record(&self, index: usize, value: &Value, f: &mut LeafFn<'_>) -> Result<(), Failed> {
        let Value::Object(map) = value else {
            return Ok(());
        };
        let record = &self.records[index];
        for field in &record.fields {
            let Some(field_value) = map.get(&field.key) else {
                continue;
            };
            let mut ctx = FieldCtx::of(&record.infos[field.info]);
            self.hop(&field.hop, field_value, &mut ctx, f)?;
        }
        Ok(())
    }

    fn hop(
        &self,
        hop: &Hop,
        value: &Value,
        ctx: &mut FieldCtx<'_>,
        f: &mut LeafFn<'_>,
    ) -> Result<(), Failed> {
        match hop {
            Hop::Record(index) => self.record(*index, value, f),
            Hop::Array(items) => {
                if let Value::Array(values) = value {
                    for item in values {
                        self.hop(items, item, ctx, f)?;
                    }
                }
                Ok(())
            }
            Hop::Map(types) => {
                if let Value::Object(entries) = value {
                    for item in entries.values() {
                        self.hop(types, item, ctx, f)?;
                    }
                }
                Ok(())
            }
            Hop::Union(branches) => {
                // A wrapped value `{"branch": v}` names its branch; a plain one takes the
                // first branch of its JSON kind.
                if let Value::Object(obj) = value
                    && obj.len() == 1
                    && let Some((key, inner)) = obj.iter().next()
                    && let Some((_, _, hop)) = branches.iter().find(|(name, _, _)| name == key)
                {
                    return self.hop(hop, inner, ctx, f);
                }
                match branches.iter().find(|(_, fit, _)| fit.fits(value)) {
                    Some((_, _, hop)) => self.hop(hop, value, ctx, f),
                    None => Ok(()),
                }
            }
            Hop::Leaf(type_name) => {
                ctx.type_name = type_name;
                f(ctx, value)
            }
            Hop::Skip => Ok(()),
        }
    }
}

/// A JSON Schema subschema as the walk goes through it (with the walk's depth limit); the
/// parts the rule's fields cannot be in are left out.
#[derive(Debug, Default)]
pub(super) struct JsonNode {
    /// `json_type_name` of the subschema: the type a leaf here is called with.
    type_name: &'static str,
    /// For a `type` array, the subschema read with each of its types, in order: a value
    /// takes the first of its JSON type (the full walk's `json_type_taken`), and one of
    /// none goes on through this node.
    types: Vec<(String, JsonNode)>,
    /// `allOf`, `anyOf`, `oneOf` (those present, in that order): the first subschema of
    /// the value's JSON kind is taken.
    combinators: Vec<Vec<(Kinds, JsonNode)>>,
    /// `items`, for an array value.
    items: Option<Box<JsonNode>>,
    /// `$ref`: the subschema it names (`None` when it names none in the document).
    reference: Option<Option<Box<JsonNode>>>,
    /// The properties of an object schema that lead to selected fields, in schema order.
    properties: Option<Vec<JsonField>>,
    /// Whether a value here is a leaf of a selected field (a primitive type).
    leaf: bool,
}

#[derive(Debug)]
struct JsonField {
    key: String,
    info: Arc<FieldInfo>,
    node: JsonNode,
}

/// The JSON kinds a combinator's subschema takes (the full walk's `json_kind_fits`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kinds {
    Any,
    Never,
    Of(Vec<String>),
}

impl Kinds {
    fn of(root: &Value, schema: &Value) -> Self {
        let schema = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => match resolve_local_ref(root, r) {
                Some(target) => target,
                None => return Kinds::Never,
            },
            None => schema,
        };
        match schema.get("type") {
            Some(Value::String(t)) => Kinds::Of(vec![t.clone()]),
            Some(Value::Array(ts)) => Kinds::Of(
                ts.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            ),
            _ => Kinds::Any,
        }
    }

    fn fits(&self, value: &Value) -> bool {
        let fits = |t: &str| super::json_type_fits(t, value);
        match self {
            Kinds::Any => true,
            Kinds::Never => false,
            Kinds::Of(types) => types.iter().any(|t| fits(t)),
        }
    }
}

impl JsonNode {
    /// Whether no value under this subschema reaches a selected field.
    fn is_empty(&self) -> bool {
        !self.leaf
            && self.types.iter().all(|(_, n)| n.is_empty())
            && self.combinators.iter().flatten().all(|(_, n)| n.is_empty())
            && self.items.as_ref().is_none_or(|n| n.is_empty())
            && self
                .reference
                .as_ref()
                .is_none_or(|r| r.as_ref().is_none_or(|n| n.is_empty()))
            && self.properties.as_ref().is_none_or(Vec::is_empty)
    }

    fn walk(
        &self,
        value: &Value,
        mut field: Option<&mut FieldCtx<'_>>,
        f: &mut LeafFn<'_>,
    ) -> Result<(), Failed> {
        if value.is_null() {
            return Ok(());
        }
        if let Some((_, taken)) = self
            .types
            .iter()
            .find(|(t, _)| super::json_type_fits(t, value))
        {
            return taken.walk(value, field, f);
        }
        for subs in &self.combinators {
            if let Some((_, sub)) = subs.iter().find(|(kinds, _)| kinds.fits(value)) {
                return sub.walk(value, field, f);
            }
        }
        if let Some(items) = &self.items
            && let Value::Array(elements) = value
        {
            for item in elements {
                items.walk(item, field.as_deref_mut(), f)?;
            }
            return Ok(());
        }
        if let Some(reference) = &self.reference {
            return match reference {
                Some(target) => target.walk(value, field, f),
                None => Ok(()),
            };
        }
        if let Some(properties) = &self.properties {
            let Value::Object(map) = value else {
                return Ok(());
            };
            for property in properties {
                let Some(prop_value) = map.get(&property.key) else {
                    continue;
                };
                let mut ctx = FieldCtx::of(&property.info);
                property.node.walk(prop_value, Some(&mut ctx), f)?;
            }
            return Ok(());
        }
        match field {
            Some(ctx) if self.leaf => {
                ctx.type_name = self.type_name;
                f(ctx, value)
            }
            _ => Ok(()),
        }
    }
}

/// Past this many subschemas (`$ref`s expanded into a tree), a JSON Schema rule takes the
/// full walk.
const JSON_NODE_LIMIT: usize = 4096;

impl Contract {
    /// The route of the fields `wanted` selects in the Avro schema `root`.
    pub(super) fn avro_route(&self, root: &AvroSchema, wanted: &Wanted<'_>) -> AvroRoute {
        let mut builder = AvroBuilder {
            contract: self,
            root,
            wanted,
            records: Vec::new(),
            by_name: HashMap::new(),
        };
        let top = match root.schema() {
            AvroNode::Record(_) => match builder.hop(root.schema(), false) {
                Hop::Record(index) => Some(index),
                _ => None,
            },
            _ => None,
        };
        // Records that lead to no selected field (found by a fixpoint: recursive types)
        // are pruned from the hops into them.
        let mut live = vec![false; builder.records.len()];
        loop {
            let mut changed = false;
            for (index, (_, fields)) in builder.records.iter().enumerate() {
                if !live[index] && fields.iter().any(|f| hop_live(&f.hop, &live)) {
                    live[index] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let records = builder
            .records
            .into_iter()
            .map(|(infos, fields)| RouteRecord {
                infos,
                fields: fields
                    .into_iter()
                    .filter_map(|mut f| {
                        f.hop = prune(f.hop, &live);
                        (f.hop != Hop::Skip).then_some(f)
                    })
                    .collect(),
            })
            .collect();
        AvroRoute {
            records,
            root: top.filter(|&r| live[r]),
        }
    }

    /// The route of the fields `wanted` selects in the JSON Schema `root`; `None` when a
    /// `$ref` cycle (or a tree past [`JSON_NODE_LIMIT`]) is on the way.
    pub(super) fn json_route(&self, root: &Value, wanted: &Wanted<'_>) -> Option<JsonNode> {
        let mut builder = JsonBuilder {
            contract: self,
            root,
            wanted,
            refs: Vec::new(),
            nodes: 0,
        };
        builder.node(root, &mut String::from("$"), false, None, 0)
    }
}

/// Whether a hop reaches a selected field, records counted by `live`.
fn hop_live(hop: &Hop, live: &[bool]) -> bool {
    match hop {
        Hop::Record(index) => live[*index],
        Hop::Array(inner) | Hop::Map(inner) => hop_live(inner, live),
        Hop::Union(branches) => branches.iter().any(|(_, _, h)| hop_live(h, live)),
        Hop::Leaf(_) => true,
        Hop::Skip => false,
    }
}

/// A hop without the records that lead nowhere; `Skip` when nothing is left.
fn prune(hop: Hop, live: &[bool]) -> Hop {
    if !hop_live(&hop, live) {
        return Hop::Skip;
    }
    match hop {
        Hop::Array(inner) => Hop::Array(Box::new(prune(*inner, live))),
        Hop::Map(inner) => Hop::Map(Box::new(prune(*inner, live))),
        // Every branch stays: the branch a value takes is chosen among all of them.
        Hop::Union(branches) => Hop::Union(
            branches
                .into_iter()
                .map(|(name, fit, h)| (name, fit, prune(h, live)))
                .collect(),
        ),
        other => other,
    }
}

struct AvroBuilder<'b> {
    contract: &'b Contract,
    root: &'b AvroSchema,
    wanted: &'b Wanted<'b>,
    records: Vec<(Arc<[FieldInfo]>, Vec<RouteField>)>,
    by_name: HashMap<Name, usize>,
}

impl AvroBuilder<'_> {
    fn named(&self, name: &Name) -> Option<AvroNode> {
        self.contract.plan.avro_named(self.root, name).cloned()
    }

    /// The hop of a value of type `node` in a field that is `selected` (or not).
    fn hop(&mut self, node: &AvroNode, selected: bool) -> Hop {
        match node {
            AvroNode::Ref { name } => match self.named(name) {
                Some(named) => self.hop(&named, selected),
                None => Hop::Skip,
            },
            AvroNode::Record(record) => {
                if let Some(&index) = self.by_name.get(&record.name) {
                    return Hop::Record(index);
                }
                let index = self.records.len();
                let infos = self.contract.plan.avro_record(record, &self.contract.tags);
                self.records.push((Arc::clone(&infos), Vec::new()));
                self.by_name.insert(record.name.clone(), index);
                let mut fields = Vec::new();
                for (position, (rf, info)) in record.fields.iter().zip(infos.iter()).enumerate() {
                    let selected = (self.wanted)(info);
                    let hop = self.hop(&rf.schema, selected);
                    fields.push(RouteField {
                        key: rf.name.clone(),
                        info: position,
                        hop,
                    });
                }
                self.records[index].1 = fields;
                Hop::Record(index)
            }
            AvroNode::Array(array) => Hop::Array(Box::new(self.hop(&array.items, selected))),
            AvroNode::Map(map) => Hop::Map(Box::new(self.hop(&map.types, selected))),
            AvroNode::Union(union) => Hop::Union(
                union
                    .variants()
                    .iter()
                    .map(|v| {
                        let fit = Fit::of(v, &|name| self.named(name));
                        (branch_name(v), fit, self.hop(v, selected))
                    })
                    .collect(),
            ),
            leaf if selected => Hop::Leaf(avro_type_name(leaf)),
            _ => Hop::Skip,
        }
    }
}

struct JsonBuilder<'b> {
    contract: &'b Contract,
    root: &'b Value,
    wanted: &'b Wanted<'b>,
    /// The `$ref`s being expanded (a repeat is a cycle).
    refs: Vec<String>,
    nodes: usize,
}

impl JsonBuilder<'_> {
    /// The node of `schema` at `path`, for values of a field that is `selected` (or not)
    /// at walk depth `depth`; with `declared`, the schema's `type` array read as that one
    /// type.
    fn node(
        &mut self,
        schema: &Value,
        path: &mut String,
        selected: bool,
        declared: Option<&str>,
        depth: usize,
    ) -> Option<JsonNode> {
        self.nodes += 1;
        if self.nodes > JSON_NODE_LIMIT {
            return None;
        }
        let Value::Object(s) = schema else {
            return Some(JsonNode::default());
        };
        if depth > MAX_DEPTH {
            return Some(JsonNode::default());
        }
        let type_name = match declared {
            Some(t) => json_type_as(s, Some(t)),
            None => json_type_name(s),
        };
        let mut node = JsonNode {
            type_name,
            ..JsonNode::default()
        };
        if declared.is_none()
            && let Some(Value::Array(types)) = s.get("type")
        {
            for t in types.iter().filter_map(Value::as_str) {
                let taken = self.node(schema, path, selected, Some(t), depth)?;
                node.types.push((t.to_owned(), taken));
            }
        }
        for combinator in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(subs)) = s.get(combinator) {
                let mut branches = Vec::with_capacity(subs.len());
                for sub in subs {
                    let kinds = Kinds::of(self.root, sub);
                    branches.push((kinds, self.node(sub, path, selected, None, depth + 1)?));
                }
                node.combinators.push(branches);
            }
        }
        if let Some(items) = s.get("items") {
            node.items = Some(Box::new(self.node(
                items,
                path,
                selected,
                None,
                depth + 1,
            )?));
        }
        if let Some(Value::String(reference)) = s.get("$ref") {
            if self.refs.contains(reference) {
                return None;
            }
            let target = match resolve_local_ref(self.root, reference) {
                Some(target) => {
                    self.refs.push(reference.clone());
                    let built = self.node(target, path, selected, None, depth + 1);
                    self.refs.pop();
                    Some(Box::new(built?))
                }
                None => None,
            };
            node.reference = Some(target);
        } else if type_name == "RECORD"
            && let Some(Value::Object(props)) = s.get("properties")
        {
            let mut fields = Vec::new();
            for (name, prop) in props {
                let parent = path.len();
                path.push('.');
                path.push_str(name);
                let info = self
                    .contract
                    .plan
                    .json_field(path, name, prop, &self.contract.tags);
                let built = self.node(prop, path, (self.wanted)(&info), None, depth + 1);
                path.truncate(parent);
                let built = built?;
                if !built.is_empty() {
                    fields.push(JsonField {
                        key: name.clone(),
                        info,
                        node: built,
                    });
                }
            }
            node.properties = Some(fields);
        } else {
            node.leaf =
                selected && matches!(type_name, "ENUM" | "STRING" | "INT" | "DOUBLE" | "BOOLEAN");
        }
        if node.is_empty() {
            return Some(JsonNode::default());
        }
        Some(node)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use warden_core::{ParsedSchema, ResolvedReference, SchemaType};

    use super::super::run_field;
    use super::*;

    /// A named type from a referenced schema, with an inline tag.
    const ADDRESS: &str = r#"{"type": "record", "name": "Address", "namespace": "acme",
      "fields": [{"name": "street", "type": "string"},
                 {"name": "email", "type": ["null", "string"], "confluent:tags": ["PII"]}]}"#;

    const ORDER: &str = r#"{
      "type": "record", "name": "Order", "namespace": "acme",
      "fields": [
        {"name": "id", "type": "string"},
        {"name": "email", "type": "string"},
        {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
          {"name": "email", "type": "string", "confluent:tags": ["PII"]},
          {"name": "name", "type": "string"},
          {"name": "address", "type": "acme.Address"}]}},
        {"name": "billing", "type": ["null", "Customer"], "default": null},
        {"name": "others", "type": {"type": "array", "items": "Customer"}},
        {"name": "byRegion", "type": {"type": "map", "values": "Customer"}},
        {"name": "contact", "type": ["string", "Customer"]},
        {"name": "note", "type": ["null", "string"], "default": null},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]},
         "confluent:tags": ["PII"]},
        {"name": "chain", "type": ["null", {"type": "record", "name": "Node", "fields": [
          {"name": "label", "type": "string", "confluent:tags": ["PII"]},
          {"name": "email", "type": "string"},
          {"name": "next", "type": ["null", "Node"], "default": null}]}], "default": null},
        {"name": "amounts", "type": {"type": "array", "items": "double"},
         "confluent:tags": ["PII"]},
        {"name": "stamp", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}],
         "default": null},
        {"name": "extra", "type": ["null", {"type": "map", "values": "string"}, "Customer"],
         "default": null}
      ]
    }"#;

    const ORDER_JSON: &str = r##"{
      "type": "object",
      "definitions": {
        "customer": {"type": "object", "properties": {
          "email": {"type": "string", "confluent:tags": ["PII"]},
          "name": {"type": "string"},
          "address": {"$ref": "#/definitions/address"}}},
        "address": {"type": "object", "properties": {
          "street": {"type": "string"},
          "email": {"type": ["string", "null"], "confluent:tags": ["PII"]}}}
      },
      "properties": {
        "id": {"type": "string"},
        "email": {"type": "string"},
        "customer": {"$ref": "#/definitions/customer"},
        "billing": {"oneOf": [{"type": "null"}, {"$ref": "#/definitions/customer"}]},
        "others": {"type": "array", "items": {"$ref": "#/definitions/customer"}},
        "byRegion": {"type": "object", "additionalProperties": {"$ref": "#/definitions/customer"}},
        "contact": {"anyOf": [{"type": "string"}, {"$ref": "#/definitions/customer"}]},
        "note": {"type": ["string", "null"]},
        "status": {"enum": ["NEW", "PAID"], "confluent:tags": ["PII"]},
        "amounts": {"type": "array", "items": {"type": "number"}, "confluent:tags": ["PII"]},
        "mixed": {"allOf": [{"type": "object", "properties": {
          "email": {"type": "string"}, "label": {"type": "string", "confluent:tags": ["PII"]}}}]},
        "extra": {"anyOf": [{"type": "object", "properties": {"name": {"type": "string"}}},
          {"$ref": "#/definitions/customer"}]},
        "inline": {"type": "object", "properties": {
          "label": {"type": "integer", "confluent:tags": ["PII"]},
          "deep": {"type": "object", "properties": {"email": {"type": "string"}}}}},
        "either": {"type": ["null", "object", "string"], "confluent:tags": ["PII"],
          "properties": {"email": {"type": ["integer", "string"]},
            "label": {"type": ["string", "null"], "confluent:tags": ["PII"]}}}
      }
    }"##;

    /// What a field rule's expression runs on: the field's full name, name, type, tags
    /// and value.
    type Seen = Vec<(String, String, String, Vec<String>, Value)>;

    fn seen(field: &FieldCtx<'_>, value: &Value) -> (String, String, String, Vec<String>, Value) {
        (
            field.full_name.to_owned(),
            field.name.to_owned(),
            field.type_name.to_owned(),
            field.tags.to_vec(),
            value.clone(),
        )
    }

    fn records() -> Vec<Value> {
        let customer = |email: &str| json!({"email": email, "name": "N", "address": {"street": "S", "email": email}});
        let full = json!({
            "id": "o1", "email": "top@example.com", "customer": customer("c@example.com"),
            "billing": customer("b@example.com"),
            "others": [customer("o1@example.com"), customer("o2@example.com")],
            "byRegion": {"eu": customer("eu@example.com"), "us": customer("us@example.com")},
            "contact": "contact@example.com", "note": "a note", "status": "NEW",
            "chain": {"label": "one", "email": "n1@example.com", "next": {"label": "two",
              "email": "n2@example.com", "next": {"label": "three", "email": "n3@example.com",
              "next": null}}},
            "amounts": [1.5, 2, -3], "stamp": 1_700_000_000_000_u64,
            "mixed": {"email": "m@example.com", "label": "L"},
            // The first branch of its kind (a map; an object with a name) takes it.
            "extra": customer("x@example.com"),
            "inline": {"label": 7, "deep": {"email": "d@example.com"}},
            // A `type` array: the object branch here, a string and a number below.
            "either": {"email": "e@example.com", "label": "E"}
        });
        let mut records = vec![full.clone(), json!({}), json!("not a record")];
        for (pointer, value) in [
            // Union values in Avro's wrapped form name their branch.
            (
                "/billing",
                json!({"acme.Customer": customer("w@example.com")}),
            ),
            ("/contact", json!({"string": "wrapped@example.com"})),
            (
                "/contact",
                json!({"acme.Customer": customer("wc@example.com")}),
            ),
            ("/contact", customer("plain@example.com")),
            ("/note", json!({"string": "wrapped note"})),
            ("/stamp", json!({"long": 5})),
            ("/stamp", json!(2.5)),
            (
                "/chain",
                json!({"acme.Node": {"label": "w", "email": "e", "next": null}}),
            ),
            (
                "/extra",
                json!({"acme.Customer": customer("wx@example.com")}),
            ),
            ("/either", json!("a string")),
            ("/either", json!({"email": 12, "label": null})),
            ("/either", json!(true)),
            // Values of another kind than the schema's, and nulls.
            ("/customer", json!("not a record")),
            ("/customer/address", json!(null)),
            ("/customer/address/email", json!(42)),
            ("/billing", json!(null)),
            ("/others", json!({"a": 1})),
            ("/others/0", json!(null)),
            ("/byRegion", json!([1, 2])),
            ("/amounts", json!("x")),
            ("/note", json!(3)),
            ("/chain/next", json!("broken")),
            ("/mixed", json!([])),
            ("/inline/deep", json!(null)),
        ] {
            let mut record = full.clone();
            *record.pointer_mut(pointer).expect("a field of the record") = value;
            records.push(record);
        }
        records
    }

    #[test]
    fn the_route_selects_what_the_full_walk_selects() {
        let avro = ParsedSchema::parse(
            SchemaType::Avro,
            ORDER,
            &[ResolvedReference {
                name: "acme.Address".into(),
                schema_type: SchemaType::Avro,
                schema: ADDRESS.into(),
            }],
        )
        .expect("the Avro schema");
        let json = ParsedSchema::parse(SchemaType::Json, ORDER_JSON, &[]).expect("a schema");
        let metadata = json!({"tags": {
            "acme.Order.note": ["PII"], "acme.Order.contact": ["PII"], "acme.Order.stamp": ["PII"],
            "$.note": ["PII"], "$.contact": ["PII"]}});
        // Field rules by tag, by a guard on the name or full name, by both, and on every
        // field; the expression is `true`, so that where it runs is what is compared.
        let rules = [
            (json!(["PII"]), "true"),
            (json!([]), "name == 'email' ; true"),
            (
                json!([]),
                "fullName == 'acme.Node.label' || name == 'street' || fullName == '$.inline.label' ; true",
            ),
            (json!(["PII"]), "name == 'email' ; true"),
            (json!([]), "true"),
            (json!(["NONE"]), "true"),
        ];
        let records = records();
        for (schema, format) in [(&avro, "Avro"), (&json, "JSON Schema")] {
            for (tags, expr) in &rules {
                let rule_set = json!({"domainRules": [{"name": "r", "kind": "CONDITION",
                    "mode": "WRITE", "type": "CEL_FIELD", "tags": tags, "expr": expr}]});
                let contract = Contract::new(Some(&rule_set), Some(&metadata))
                    .expect("a contract")
                    .expect("rules");
                let rule = &contract.rules.domain_rules[0];
                let program = contract
                    .program(0)
                    .map_err(|f| f.message)
                    .expect("compiled");
                let routes = contract
                    .routes
                    .get_or_init(|| contract.build_routes(schema));
                let route = routes[0].as_ref().expect("a route");
                let select = (!rule.tags.is_empty()).then_some(rule.tags.as_slice());
                let mut reached = 0;
                for record in &records {
                    // Where the expression runs: on the full walk, and on the route.
                    let mut full: Seen = Vec::new();
                    let mut whole = record.clone();
                    contract
                        .walk_fields(schema, None, &mut whole, select, None, &mut |f, c, v| {
                            if run_field(program, rule, f, c, v)?.is_some() {
                                full.push(seen(f, v));
                            }
                            Ok(())
                        })
                        .map_err(|f| f.message)
                        .expect("the walk");
                    let (mut routed, mut visited): (Seen, Seen) = (Vec::new(), Vec::new());
                    route
                        .walk(record, &mut |f, v| {
                            if super::super::is_primitive(f.type_name) {
                                visited.push(seen(f, v));
                            }
                            if run_field(program, rule, f, &::cel::Value::Null, v)?.is_some() {
                                routed.push(seen(f, v));
                            }
                            Ok(())
                        })
                        .map_err(|f| f.message)
                        .expect("the route");
                    assert_eq!(routed, full, "{format}: {expr} {tags} on {record}");
                    // The route visits the selected fields only.
                    assert_eq!(visited, full, "{format}: {expr} {tags} visits only those");
                    reached += full.len();
                }
                if tags != &json!(["NONE"]) {
                    assert!(reached > 0, "{format}: {expr} {tags} selects fields");
                }
            }
        }
    }

    /// The field a `CEL_FIELD` condition refuses `record` at, if any, by the executor; the
    /// borrowing check (the route, where the rule has one) must agree.
    fn refused_at(contract: &Contract, schema: &ParsedSchema, record: &Value) -> Option<String> {
        let field = |result: crate::error::Result<()>| match result {
            Ok(()) => None,
            Err(crate::SerdeError::Rule(failure)) => failure.field,
            Err(other) => panic!("{other:?}"),
        };
        let mut copy = record.clone();
        let executed = field(contract.execute(
            warden_core::rules::RuleMode::Write,
            schema,
            None,
            None,
            &mut copy,
            &super::super::encrypt::RuleKeys::default(),
        ));
        if let Some(checked) =
            contract.check(warden_core::rules::RuleMode::Write, schema, None, record)
        {
            assert_eq!(field(checked), executed, "the route agrees on {record}");
        }
        executed
    }

    #[test]
    fn a_json_schema_type_array_is_read_as_the_first_of_its_types_the_value_is_of() {
        let schema = ParsedSchema::parse(
            SchemaType::Json,
            r#"{"type": "object", "properties": {
                "note": {"type": ["string", "null"]},
                "code": {"type": ["null", "integer", "string"], "confluent:tags": ["PII"]},
                "box": {"type": ["object", "null"], "properties": {
                  "note": {"type": ["null", "string"]}}}}}"#,
            &[],
        )
        .expect("a schema");
        // By name, on the route and (a rule reading `message`) on the full walk.
        for expr in [
            "name == 'note' ; value == 'ok'",
            "name == 'note' ; value == 'ok' && message != null",
        ] {
            let rule_set = json!({"domainRules": [{"name": "r", "kind": "CONDITION",
                "mode": "WRITE", "type": "CEL_FIELD", "expr": expr}]});
            let contract = Contract::new(Some(&rule_set), None).unwrap().unwrap();
            let at = |record: Value| refused_at(&contract, &schema, &record);
            assert_eq!(
                at(json!({"note": "bad"})).as_deref(),
                Some("$.note"),
                "{expr}"
            );
            assert_eq!(
                at(json!({"note": "ok", "box": {"note": "ok"}})),
                None,
                "{expr}"
            );
            assert_eq!(
                at(json!({"note": null, "box": null})),
                None,
                "{expr}: nulls"
            );
            assert_eq!(
                at(json!({"box": {"note": "bad"}})).as_deref(),
                Some("$.box.note"),
                "{expr}"
            );
        }
        // By tag, with the type the value took.
        let rule_set = json!({"domainRules": [{"name": "r", "kind": "CONDITION",
            "mode": "WRITE", "type": "CEL_FIELD", "tags": ["PII"],
            "expr": "typeName == 'INT' ? value > 0 : value == 'ok'"}]});
        let contract = Contract::new(Some(&rule_set), None).unwrap().unwrap();
        let at = |record: Value| refused_at(&contract, &schema, &record);
        assert_eq!(at(json!({"code": 3})), None, "an INT");
        assert_eq!(at(json!({"code": "ok"})), None, "a STRING");
        assert_eq!(at(json!({"code": -3})).as_deref(), Some("$.code"));
        assert_eq!(at(json!({"code": "no"})).as_deref(), Some("$.code"));
        assert_eq!(at(json!({"code": true})), None, "of none of its types");
    }

    #[test]
    fn a_recursive_json_schema_reference_takes_the_full_walk() {
        let schema = ParsedSchema::parse(
            SchemaType::Json,
            r##"{"type": "object", "definitions": {"node": {"type": "object", "properties": {
                "label": {"type": "string"}, "next": {"$ref": "#/definitions/node"}}}},
              "properties": {"root": {"$ref": "#/definitions/node"}}}"##,
            &[],
        )
        .expect("a schema");
        let rule_set = json!({"domainRules": [{"name": "r", "kind": "CONDITION",
            "mode": "WRITE", "type": "CEL_FIELD", "expr": "name == 'label' ; value != 'x'"}]});
        let contract = Contract::new(Some(&rule_set), None).unwrap().unwrap();
        let record = json!({"root": {"label": "a", "next": {"label": "x"}}});
        assert!(
            contract
                .check(warden_core::rules::RuleMode::Write, &schema, None, &record)
                .is_none()
        );
        let mut copy = record.clone();
        let refused = contract.execute(
            warden_core::rules::RuleMode::Write,
            &schema,
            None,
            None,
            &mut copy,
            &super::super::encrypt::RuleKeys::default(),
        );
        assert!(
            matches!(refused, Err(crate::SerdeError::Rule(f)) if f.field.as_deref() == Some("$.root.next.label"))
        );
    }
}
