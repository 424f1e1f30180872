//! Avro schemas: parsing with referenced named types, canonical and normalized text, and
//! the checks Java Avro (and so Confluent) makes that `apache-avro` leaves out.

mod check;
pub mod compat;
pub mod datum;
mod java;
mod logical;
mod plan;
pub mod ser;

use std::sync::{Arc, OnceLock};

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
    /// Boxed: the schema sits in `ParsedSchema` beside smaller formats.
    more: Box<MoreTexts>,
}

/// The normalized text, and the JSON as given, from which the texts earlier Warden versions
/// stored are rebuilt ([`AvroSchema::legacy_canonical`]); what is built from the schema when
/// first needed (the name check's answer, the serde encoder's plan).
#[derive(Debug, Clone)]
struct MoreTexts {
    /// Written when first asked for: only `normalize=true` and lookups need it.
    normalized: OnceLock<String>,
    /// With references: the normalized text with their types inlined, when first asked for.
    resolved_normalized: OnceLock<Option<String>>,
    json: Value,
    /// The references' JSON, dependencies first.
    references: Vec<Value>,
    /// Whether names resolve alike for the datum check and the decoder
    /// (`check::plain_names`), when first asked for.
    plain_names: OnceLock<bool>,
    /// The schema compiled for the serde encoder, when first asked for.
    plan: OnceLock<Arc<plan::Plan>>,
}

/// How strictly a schema text is read: Confluent's `validateAsNew` (`AvroSchema.getParser`).
///
/// A schema registered anew (Confluent: without an explicit id, with the config's
/// `validateNewSchemas`, true by default) is read as new: field defaults must match their
/// types (`Schema.Parser.setValidateDefaults(true)`), a union's default its first branch.
/// Any other schema text (a stored schema, a lookup, an IMPORT with an id) is read as Java
/// Avro reads it with validation off: a default of the wrong JSON type is kept in the text
/// and ignored, as Java ignores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Read as a new schema: defaults checked.
    pub validate_as_new: bool,
}

impl ParseOptions {
    /// A new registration: defaults checked (today's strict checks).
    pub const NEW: Self = Self {
        validate_as_new: true,
    };
    /// A stored schema or a lookup: defaults Java would not check are not checked.
    pub const STORED: Self = Self {
        validate_as_new: false,
    };
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self::NEW
    }
}

impl AvroSchema {
    /// Parses Avro schema JSON read as new ([`ParseOptions::NEW`]). `references` must be the
    /// transitive closure of the schema's references, each an Avro named type (record, enum
    /// or fixed).
    ///
    /// Errors ([`SchemaError::Invalid`]): text that is not JSON or not an Avro schema, a name
    /// that no reference defines, a reference that is not Avro, and a union field whose
    /// default does not match the union's first branch (Avro spec, "Unions": the default
    /// value of a union corresponds to its first schema; Java Avro rejects it, apache-avro
    /// does not).
    pub fn parse(text: &str, references: &[ResolvedReference]) -> Result<Self, SchemaError> {
        Self::parse_with(text, references, ParseOptions::NEW)
    }

    /// [`AvroSchema::parse`] with `options`: read as stored, a field default of the wrong
    /// type is kept in the text and left out of the parsed schema, as Java Avro does with
    /// `validateDefaults` off. A `float` or `double` default written as a string
    /// (`"default": "1.5"`) is the number it spells either way, as in Java.
    ///
    /// Errors: as [`AvroSchema::parse`], less the default checks when read as stored.
    pub fn parse_with(
        text: &str,
        references: &[ResolvedReference],
        options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        let mut deps = Vec::with_capacity(references.len());
        let mut dep_values = Vec::with_capacity(references.len());
        for r in references {
            if r.schema_type != SchemaType::Avro {
                return Err(SchemaError::Invalid(format!(
                    "reference {} is a {} schema, not Avro",
                    r.name,
                    r.schema_type.as_str()
                )));
            }
            let value: Value = serde_json::from_str(&r.schema).map_err(|e| {
                SchemaError::Invalid(format!("reference {} is not valid JSON: {e}", r.name))
            })?;
            dep_values.push(value);
        }
        let json: Value = serde_json::from_str(text)
            .map_err(|e| SchemaError::Invalid(format!("not valid JSON: {e}")))?;
        // apache-avro reads a copy: Java Avro reads `"type": "error"` (a record declared as
        // a protocol error) in plain schemas and float defaults written as strings, and,
        // read as stored, ignores defaults of the wrong type; the stored text keeps them.
        let mut for_parser = json.clone();
        prepare_for_parser(&mut for_parser, options);
        for value in &dep_values {
            // References are registered schemas: read as stored.
            let mut copy = value.clone();
            prepare_for_parser(&mut copy, ParseOptions::STORED);
            deps.push(copy.to_string());
        }
        let parse = |root: &Value, deps: &[String]| {
            if deps.is_empty() {
                Schema::parse(root).map(|s| (s, Vec::new()))
            } else {
                let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
                Schema::parse_str_with_list(&root.to_string(), deps)
            }
        };
        let (schema, named_types) = match parse(&for_parser, &deps) {
            Ok(parsed) => parsed,
            // Java Avro reads a stored schema without checking namespaces (Confluent's
            // `NameValidator.NO_VALIDATION`, names still checked by `validateNames`);
            // apache-avro checks them, so it reads a copy where each namespace part it
            // would refuse is spelled as an identifier. Only the parsed schema (compatibility
            // messages, payload errors) shows that spelling; the text keeps the namespace.
            Err(e) if !options.validate_as_new && e.to_string().contains("Invalid namespace") => {
                mangle_namespaces(&mut for_parser);
                let deps: Vec<String> = deps
                    .iter()
                    .map(|d| {
                        let mut v: Value = serde_json::from_str(d).expect("serialized above");
                        mangle_namespaces(&mut v);
                        v.to_string()
                    })
                    .collect();
                parse(&for_parser, &deps).map_err(invalid)?
            }
            // A name no type defines: Java Avro's message, as Confluent answers.
            Err(e) => {
                return Err(match java::undefined_name_error(&json, &dep_values) {
                    Some(message) => SchemaError::Invalid(message),
                    None => invalid(e),
                });
            }
        };
        if options.validate_as_new {
            check_union_defaults(&schema)?;
        }
        // Java's `Schema.toString()`, as Confluent stores it; a shape Java would read
        // differently keeps the earlier form.
        let canonical = java::canonical_text(&json, &dep_values)
            .unwrap_or_else(|()| canonical_schema(&json).to_string());
        Ok(Self {
            schema,
            named_types,
            canonical,
            more: Box::new(MoreTexts {
                normalized: OnceLock::new(),
                resolved_normalized: OnceLock::new(),
                json,
                references: dep_values,
                plain_names: OnceLock::new(),
                plan: OnceLock::new(),
            }),
        })
    }

    /// The schema compiled for the serde encoder (`plan`), built on the first call.
    pub(crate) fn plan(&self) -> &plan::Plan {
        self.more
            .plan
            .get_or_init(|| Arc::new(plan::Plan::build(self)))
    }

    /// The parsed schema. Named types from references appear in it as `Schema::Ref`.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The named types provided by the references, in the order they were given.
    pub fn named_types(&self) -> &[Schema] {
        &self.named_types
    }

    /// The text Confluent stores and returns for this schema: Java Avro's
    /// `Schema.toString()` with the references' types known (Confluent's
    /// `AvroSchema.canonicalString()`). A full name is split into `name` and `namespace`, a
    /// namespace equal to the enclosing one is left out, a named type is written in full
    /// where it first appears and by its name afterwards (short in its own namespace), keys
    /// are in Java's order (`type`, `name`, `namespace`, `doc`, `fields`/`symbols`/`items`/
    /// `values`/`size`, enum `default`, custom properties in input order, `aliases`; fields:
    /// `name`, `type`, `doc`, `default`, `order` unless ascending, `aliases`, properties),
    /// `{"type":"int"}` is `"int"`, and keys Java does not keep (`doc` of a primitive, array
    /// or map) are dropped. This is the text stored and returned.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Confluent's normalized text (`normalize=true`, `AvroSchema.normalize()`): the
    /// canonical text with custom properties sorted by key (a logical type's own first),
    /// aliases sorted, an empty `doc` of a named type dropped, `error` as `record`, and
    /// defaults as Java reads them back (see `java::normalized_text`).
    pub fn normalized(&self) -> String {
        self.more
            .normalized
            .get_or_init(|| {
                java::normalized_text(&self.more.json, &self.more.references)
                    .unwrap_or_else(|()| self.canonical.clone())
            })
            .clone()
    }

    /// For a schema with references, its normalized text with the referenced types written
    /// in full where they first appear: the normalized text of the same schema sent with its
    /// references inlined, which Confluent's lookup finds (`ParsedSchema.canLookup`).
    /// `None` without references.
    pub fn resolved_normalized(&self) -> Option<&str> {
        self.more
            .resolved_normalized
            .get_or_init(|| {
                if self.more.references.is_empty() {
                    None
                } else {
                    java::resolved_normalized_text(&self.more.json, &self.more.references).ok()
                }
            })
            .as_deref()
    }

    /// The text of `format=resolved` (Confluent's `AvroSchema.formattedString("resolved")`,
    /// Java's `Schema.toString()` with no referenced schemas known): the canonical text with
    /// the types of the references written in full where they first appear, and by name
    /// afterwards. Without references, the canonical text.
    pub fn resolved(&self) -> String {
        if self.more.references.is_empty() {
            return self.canonical.clone();
        }
        java::resolved_text(&self.more.json, &self.more.references)
            .unwrap_or_else(|()| self.canonical.clone())
    }

    /// The text Warden 0.x stored for this schema before it wrote Java's form (keys in
    /// Java's order, names as given), or, with `normalized`, its normalized text then (names
    /// fully qualified, keys sorted): a registry stored by it finds its schemas by these.
    pub fn legacy_canonical(&self, normalized: bool) -> String {
        let canonical = canonical_schema(&self.more.json);
        if normalized {
            normalize_value(canonical, None).to_string()
        } else {
            canonical.to_string()
        }
    }

    /// The Parsing Canonical Form (Avro spec): the basis of fingerprints, never of identity,
    /// since it drops `doc`, `default` and `aliases`.
    pub fn parsing_canonical_form(&self) -> String {
        self.schema.canonical_form()
    }
}

/// Spells every namespace part that is not an Avro identifier (`[A-Za-z_][A-Za-z0-9_]*`) as
/// one (`a-bad` becomes `_x612d626164`), in namespaces, dotted names, aliases and type
/// references alike, so that the same namespace is the same everywhere.
fn mangle_namespaces(value: &mut Value) {
    fn ident(part: &str) -> bool {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }
    fn part(p: &str) -> String {
        if ident(p) {
            p.to_owned()
        } else {
            let hex: String = p.bytes().map(|b| format!("{b:02x}")).collect();
            format!("_x{hex}")
        }
    }
    /// A dotted name: every part but the last is namespace.
    fn name(full: &str) -> String {
        match full.rsplit_once('.') {
            Some((ns, last)) => format!("{}.{last}", space(ns)),
            None => full.to_owned(),
        }
    }
    fn space(ns: &str) -> String {
        if ns.is_empty() {
            return String::new();
        }
        ns.split('.').map(part).collect::<Vec<_>>().join(".")
    }
    fn schema(value: &mut Value) {
        match value {
            Value::String(s) if !is_primitive(s) && !is_complex(s) => *s = name(s),
            Value::Array(items) => items.iter_mut().for_each(schema),
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    match (k.as_str(), v) {
                        ("namespace", Value::String(ns)) => *ns = space(ns),
                        ("name", Value::String(n)) => *n = name(n),
                        ("aliases", Value::Array(a)) => {
                            for alias in a.iter_mut() {
                                if let Value::String(s) = alias {
                                    *s = name(s);
                                }
                            }
                        }
                        ("type" | "items" | "values", v) => schema(v),
                        ("fields", Value::Array(fields)) => {
                            for f in fields.iter_mut() {
                                if let Value::Object(f) = f
                                    && let Some(t) = f.get_mut("type")
                                {
                                    schema(t);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    schema(value);
}

/// Rewrites the copy of a schema that apache-avro reads: `error` types as records, float and
/// double defaults written as strings as numbers, and, read as stored, defaults of the
/// wrong JSON type left out. Returns whether anything changed.
fn prepare_for_parser(value: &mut Value, options: ParseOptions) -> bool {
    let mut changed = false;
    match value {
        Value::Array(items) => {
            for item in items {
                changed |= prepare_for_parser(item, options);
            }
        }
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("error")
                && map.contains_key("fields")
            {
                map.insert("type".to_owned(), Value::String("record".to_owned()));
                changed = true;
            }
            if let Some(Value::Array(fields)) = map.get_mut("fields") {
                for field in fields.iter_mut() {
                    let Value::Object(field) = field else {
                        continue;
                    };
                    changed |= prepare_default(field, options);
                }
            }
            for v in map.values_mut() {
                changed |= prepare_for_parser(v, options);
            }
        }
        _ => {}
    }
    changed
}

/// See [`prepare_for_parser`]: one field's default.
fn prepare_default(field: &mut Map<String, Value>, options: ParseOptions) -> bool {
    let Some(default) = field.get("default") else {
        return false;
    };
    let ty = field.get("type");
    let primitive = match ty {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Object(o)) => o.get("type").and_then(Value::as_str),
        _ => None,
    };
    if let (Some("float" | "double"), Value::String(text)) = (primitive, default)
        && let Ok(x) = text.trim().parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(x)
    {
        field.insert("default".to_owned(), Value::Number(n));
        return true;
    }
    if options.validate_as_new {
        return false;
    }
    let first = match ty {
        Some(Value::Array(branches)) => branches.first(),
        other => other,
    };
    let kind = match first {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Object(o)) => o.get("type").and_then(Value::as_str).unwrap_or_default(),
        _ => "",
    };
    let fits = match kind {
        "null" => default.is_null(),
        "boolean" => default.is_boolean(),
        "int" | "long" => default.is_i64() || default.is_u64(),
        "float" | "double" => default.is_number() || default.is_string(),
        "string" | "bytes" | "enum" | "fixed" => default.is_string(),
        "array" => default.is_array(),
        "map" | "record" | "error" => default.is_object(),
        // A named type: apache-avro checks the value against it; leave it.
        _ => true,
    };
    if !fits {
        field.remove("default");
    }
    !fits
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

fn invalid(e: apache_avro::Error) -> SchemaError {
    SchemaError::Invalid(e.to_string())
}

/// Folds `namespace` into every named type's and alias's name and sorts object keys. A named
/// type in the null namespace inside a namespaced one keeps `"namespace": ""`.
pub(crate) fn normalize_value(value: Value, enclosing: Option<&str>) -> Value {
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
