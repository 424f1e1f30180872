//! Avro schemas: parsing with referenced named types, canonical and normalized text, and
//! the checks Java Avro (and so Confluent) makes that `apache-avro` leaves out.

pub mod compat;
pub mod datum;
mod logical;
pub mod ser;

use apache_avro::Schema;
use serde_json::{Map, Value};

use crate::avro::logical::{Underlying, underlying};
use crate::schema::{ResolvedReference, SchemaError};
use crate::types::SchemaType;

/// A parsed Avro schema with the named types its references provide.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    schema: Schema,
    named_types: Vec<Schema>,
    canonical: String,
}

impl AvroSchema {
    /// Parses Avro schema JSON. `references` must be the transitive closure of the schema's
    /// references, each an Avro named type (record, enum or fixed).
    ///
    /// Errors ([`SchemaError::Invalid`]): text that is not JSON or not an Avro schema, a name
    /// that no reference defines, a reference that is not Avro, and a union field whose
    /// default does not match the union's first branch (Avro spec, "Unions": the default
    /// value of a union corresponds to its first schema; Java Avro rejects it, apache-avro
    /// does not).
    pub fn parse(text: &str, references: &[ResolvedReference]) -> Result<Self, SchemaError> {
        let mut deps = Vec::with_capacity(references.len());
        for r in references {
            if r.schema_type != SchemaType::Avro {
                return Err(SchemaError::Invalid(format!(
                    "reference {} is a {} schema, not Avro",
                    r.name,
                    r.schema_type.as_str()
                )));
            }
            deps.push(r.schema.as_str());
        }
        let json: Value = serde_json::from_str(text)
            .map_err(|e| SchemaError::Invalid(format!("not valid JSON: {e}")))?;
        // Java Avro reads `"type": "error"` (a record declared as a protocol error) in plain
        // schemas; apache-avro does not, so it parses a copy where errors are records. The
        // stored text keeps `error`.
        let for_parser = if text.contains("\"error\"") {
            let mut copy = json.clone();
            errors_as_records(&mut copy);
            copy
        } else {
            json.clone()
        };
        let (schema, named_types) = if deps.is_empty() {
            (Schema::parse(&for_parser).map_err(invalid)?, Vec::new())
        } else {
            Schema::parse_str_with_list(&for_parser.to_string(), deps).map_err(invalid)?
        };
        check_union_defaults(&schema)?;
        let canonical = canonical_schema(&json).to_string();
        Ok(Self {
            schema,
            named_types,
            canonical,
        })
    }

    /// The parsed schema. Named types from references appear in it as `Schema::Ref`.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The named types provided by the references, in the order they were given.
    pub fn named_types(&self) -> &[Schema] {
        &self.named_types
    }

    /// Compact JSON of the schema with keys in the order Java's `Schema.toString()` writes
    /// them (so key order and whitespace in the input do not make a new schema), `doc`,
    /// `default`, `aliases`, `order`, logical types and custom properties kept, names spelled
    /// as given, and `{"type":"int"}` written as `"int"`. This is the text stored and
    /// returned.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The normalized text (`normalize=true`): every name fully qualified with `namespace`
    /// folded into it, and object keys sorted, so that schemas differing only in how they
    /// spell names or order properties register as one.
    pub fn normalized(&self) -> String {
        let value: Value =
            serde_json::from_str(&self.canonical).expect("the canonical form is JSON");
        normalize_value(value, None).to_string()
    }

    /// The Parsing Canonical Form (Avro spec): the basis of fingerprints, never of identity,
    /// since it drops `doc`, `default` and `aliases`.
    pub fn parsing_canonical_form(&self) -> String {
        self.schema.canonical_form()
    }
}

/// Keys of a schema object in the order Java Avro writes them; others follow in input order.
const SCHEMA_KEYS: [&str; 11] = [
    "type",
    "name",
    "namespace",
    "doc",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "default",
    "aliases",
];

/// Keys of a record field in the order Java Avro writes them.
const FIELD_KEYS: [&str; 6] = ["name", "type", "doc", "default", "order", "aliases"];

/// Rewrites a schema's JSON with keys in Java's order; see [`AvroSchema::canonical`].
fn canonical_schema(value: &Value) -> Value {
    match value {
        Value::Array(branches) => Value::Array(branches.iter().map(canonical_schema).collect()),
        Value::Object(map) => {
            if map.len() == 1
                && let Some(Value::String(t)) = map.get("type")
            {
                return Value::String(t.clone());
            }
            let mut out = Map::new();
            for key in SCHEMA_KEYS {
                if let Some(v) = map.get(key) {
                    let v = match key {
                        "type" | "items" | "values" => canonical_schema(v),
                        "fields" => match v {
                            Value::Array(fields) => {
                                Value::Array(fields.iter().map(canonical_field).collect())
                            }
                            other => other.clone(),
                        },
                        _ => v.clone(),
                    };
                    out.insert(key.to_owned(), v);
                }
            }
            for (k, v) in map {
                if !SCHEMA_KEYS.contains(&k.as_str()) {
                    out.insert(k.clone(), v.clone());
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn canonical_field(value: &Value) -> Value {
    let Value::Object(map) = value else {
        return value.clone();
    };
    let mut out = Map::new();
    for key in FIELD_KEYS {
        if let Some(v) = map.get(key) {
            let v = if key == "type" {
                canonical_schema(v)
            } else {
                v.clone()
            };
            out.insert(key.to_owned(), v);
        }
    }
    for (k, v) in map {
        if !FIELD_KEYS.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Rewrites every `{"type": "error", "fields": …}` into a record, in place.
fn errors_as_records(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(errors_as_records),
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("error")
                && map.contains_key("fields")
            {
                map.insert("type".to_owned(), Value::String("record".to_owned()));
            }
            map.values_mut().for_each(errors_as_records);
        }
        _ => {}
    }
}

fn invalid(e: apache_avro::Error) -> SchemaError {
    SchemaError::Invalid(e.to_string())
}

/// Folds `namespace` into every named type's and alias's name and sorts object keys. A named
/// type in the null namespace inside a namespaced one keeps `"namespace": ""`.
fn normalize_value(value: Value, enclosing: Option<&str>) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| normalize_value(v, enclosing))
                .collect(),
        ),
        Value::Object(map) => {
            let is_named = matches!(
                map.get("type").and_then(Value::as_str),
                Some("record" | "error" | "enum" | "fixed")
            ) && map.contains_key("name");
            let namespace = if is_named {
                full_namespace(&map, enclosing)
            } else {
                enclosing.map(str::to_owned)
            };
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (key, v) in entries {
                match key.as_str() {
                    // Folded into the name, unless the type is in the null namespace inside
                    // another: without `"namespace": ""` it would be read in the enclosing one.
                    "namespace" if is_named => {
                        if namespace.is_none() && enclosing.is_some_and(|ns| !ns.is_empty()) {
                            out.insert(key, Value::String(String::new()));
                        }
                    }
                    "name" if is_named => {
                        let name = v.as_str().unwrap_or_default();
                        out.insert(key, Value::String(qualify(name, namespace.as_deref())));
                    }
                    "aliases" if is_named => {
                        let aliases = v
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .map(|s| Value::String(qualify(s, namespace.as_deref())))
                                    .collect()
                            })
                            .unwrap_or_default();
                        out.insert(key, Value::Array(aliases));
                    }
                    "type" | "items" | "values" | "fields" => {
                        out.insert(key, normalize_value(v, namespace.as_deref()));
                    }
                    _ => {
                        out.insert(key, v);
                    }
                }
            }
            Value::Object(out)
        }
        Value::String(s) if !is_primitive(&s) && !is_complex(&s) => {
            Value::String(qualify(&s, enclosing))
        }
        other => other,
    }
}

pub(crate) fn full_namespace(map: &Map<String, Value>, enclosing: Option<&str>) -> Option<String> {
    let name = map.get("name").and_then(Value::as_str).unwrap_or_default();
    if let Some((ns, _)) = name.rsplit_once('.') {
        return Some(ns.to_owned());
    }
    match map.get("namespace").and_then(Value::as_str) {
        Some("") => None,
        Some(ns) => Some(ns.to_owned()),
        None => enclosing.map(str::to_owned),
    }
}

pub(crate) fn qualify(name: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) if !name.contains('.') && !ns.is_empty() => format!("{ns}.{name}"),
        _ => name.to_owned(),
    }
}

pub(crate) fn is_primitive(s: &str) -> bool {
    matches!(
        s,
        "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string"
    )
}

pub(crate) fn is_complex(s: &str) -> bool {
    matches!(
        s,
        "record" | "error" | "enum" | "fixed" | "array" | "map" | "union"
    )
}

/// Rejects a union-typed record field whose default does not match the first branch.
fn check_union_defaults(schema: &Schema) -> Result<(), SchemaError> {
    let mut stack = vec![schema];
    while let Some(s) = stack.pop() {
        match s {
            Schema::Record(record) => {
                for field in &record.fields {
                    if let (Schema::Union(union), Some(default)) = (&field.schema, &field.default)
                        && let Some(first) = union.variants().first()
                        && !default_matches(first, default)
                    {
                        return Err(SchemaError::Invalid(format!(
                            "Invalid default for field {}: {} not a {}",
                            field.name,
                            default,
                            kind_name(first)
                        )));
                    }
                    stack.push(&field.schema);
                }
            }
            Schema::Array(a) => stack.push(&a.items),
            Schema::Map(m) => stack.push(&m.types),
            Schema::Union(u) => stack.extend(u.variants()),
            _ => {}
        }
    }
    Ok(())
}

/// Whether a JSON default has the shape the schema's JSON encoding needs (Avro spec,
/// "Complex Types / Records", table of default values).
fn default_matches(schema: &Schema, default: &Value) -> bool {
    match underlying(schema) {
        Underlying::Null => default.is_null(),
        Underlying::Boolean => default.is_boolean(),
        Underlying::Int | Underlying::Long => default.is_i64() || default.is_u64(),
        Underlying::Float | Underlying::Double => default.is_number(),
        Underlying::Bytes | Underlying::String | Underlying::Enum(_) | Underlying::Fixed(_) => {
            default.is_string()
        }
        Underlying::Array(_) => default.is_array(),
        Underlying::Map(_) | Underlying::Record(_) => default.is_object(),
        // A named type from a reference or defined earlier: apache-avro has checked the
        // value against it; only the JSON shape could differ, which it also catches.
        Underlying::Ref(_) | Underlying::Union(_) => true,
    }
}

fn kind_name(schema: &Schema) -> String {
    match schema {
        Schema::Ref { name } => name.fullname(None),
        other => format!("{:?}", apache_avro::schema::SchemaKind::from(other)).to_lowercase(),
    }
}
