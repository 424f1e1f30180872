//! Java Avro's view of a schema's JSON, written back as Java's `Schema.toString()` writes it:
//! the text Confluent stores and returns (`AvroSchema.canonicalString()`), and Confluent's
//! normalized form (`AvroSchema.normalize()`).
//!
//! The model follows `org.apache.avro.Schema.parse` (1.11 and 1.12 alike): a named type's
//! name is split into name and namespace (`Name`), a nested type without a namespace takes
//! the enclosing one, every key that is not reserved is a property kept in input order
//! (`SCHEMA_RESERVED`, `ENUM_RESERVED`, `FIELD_RESERVED`), and a name used as a type is a
//! reference to the named type it resolves to (`Names.get`). The writer follows
//! `Schema.toJson`: keys in Java's order, a named type defined at its first use and written
//! as its name afterwards (short when it is in the current namespace, `Name.getQualified`),
//! `namespace` only where it differs from the enclosing one (`""` for the null namespace
//! inside another), `order` only when not ascending, and Jackson's escaping and Java's
//! `Double.toString` for numbers.
//!
//! The model is built from JSON that `apache-avro` has already accepted; a shape it cannot
//! follow is an `Err(())`, and the caller keeps its own text.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

/// Keys of a schema object that are not properties (`Schema.SCHEMA_RESERVED`).
const SCHEMA_RESERVED: [&str; 10] = [
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];

/// Keys of a field object that are not properties (`Schema.FIELD_RESERVED`).
const FIELD_RESERVED: [&str; 6] = ["default", "doc", "name", "order", "type", "aliases"];

/// Names of Java's `Schema.Type`s: a name in the current namespace that equals one of them is
/// still written in full (`Name.shouldWriteFull`).
const TYPE_NAMES: [&str; 14] = [
    "record", "enum", "array", "map", "union", "fixed", "string", "bytes", "int", "long", "float",
    "double", "boolean", "null",
];

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// A Java Avro name: simple name and namespace (`None` for the null namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name {
    name: String,
    space: Option<String>,
}

impl Name {
    /// `new Name(name, space)`: a dotted name carries its own namespace; `""` is the null
    /// namespace.
    fn new(name: &str, space: Option<&str>) -> Self {
        let (space, name) = match name.rfind('.') {
            Some(dot) => (Some(&name[..dot]), &name[dot + 1..]),
            None => (space, name),
        };
        Self {
            name: name.to_owned(),
            space: space.filter(|s| !s.is_empty()).map(str::to_owned),
        }
    }

    fn full(&self) -> String {
        match &self.space {
            Some(space) => format!("{space}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// `Name.getQualified(defaultSpace)`.
    fn qualified(&self, current: Option<&str>) -> String {
        if self.space.is_some()
            && self.space.as_deref() == current
            && !TYPE_NAMES.contains(&self.name.as_str())
        {
            self.name.clone()
        } else {
            self.full()
        }
    }
}

/// A schema as Java Avro holds it.
#[derive(Debug, Clone)]
enum JSchema {
    Primitive {
        name: &'static str,
        props: Vec<(String, Value)>,
    },
    /// A named type, defined where it appears first.
    Named(usize),
    Array {
        items: Box<JSchema>,
        props: Vec<(String, Value)>,
    },
    Map {
        values: Box<JSchema>,
        props: Vec<(String, Value)>,
    },
    Union(Vec<JSchema>),
}

#[derive(Debug, Clone)]
enum NamedKind {
    Record {
        fields: Vec<Field>,
        error: bool,
    },
    Enum {
        symbols: Vec<String>,
        default: Option<String>,
    },
    Fixed {
        size: Value,
    },
}

#[derive(Debug, Clone)]
struct Named {
    name: Name,
    doc: Option<String>,
    kind: NamedKind,
    props: Vec<(String, Value)>,
    aliases: Vec<Name>,
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    schema: JSchema,
    doc: Option<String>,
    default: Option<Value>,
    /// `descending` or `ignore`; ascending is not written.
    order: Option<&'static str>,
    aliases: Vec<String>,
    props: Vec<(String, Value)>,
}

/// The named types of a schema and of its references, by full name, and the parse state.
#[derive(Debug, Default)]
struct Model {
    named: Vec<Named>,
    by_name: HashMap<String, usize>,
    /// Full names of the references' own types, known to the writer from the start
    /// (`Schema.toString(Collection<Schema> referencedSchemas, …)`).
    referenced: Vec<String>,
    /// Java Avro's message for the first name that did not resolve.
    error: Option<String>,
}

type Parsed<T> = Result<T, ()>;

impl Model {
    /// `Schema.parse(JsonNode, Names)` with `space` the enclosing namespace.
    fn parse(&mut self, value: &Value, space: Option<&str>) -> Parsed<JSchema> {
        match value {
            Value::String(s) => self.resolve(s, space),
            Value::Array(branches) => Ok(JSchema::Union(
                branches
                    .iter()
                    .map(|b| self.parse(b, space))
                    .collect::<Parsed<_>>()?,
            )),
            Value::Object(map) => self.parse_object(map, space),
            _ => Err(()),
        }
    }

    /// `Names.get(String)`: a primitive, or a named type in the current namespace, else in
    /// the null namespace.
    fn resolve(&mut self, s: &str, space: Option<&str>) -> Parsed<JSchema> {
        if let Some(p) = PRIMITIVES.iter().find(|p| **p == s) {
            return Ok(JSchema::Primitive {
                name: p,
                props: Vec::new(),
            });
        }
        let full = Name::new(s, space).full();
        if let Some(i) = self.by_name.get(&full) {
            return Ok(JSchema::Named(*i));
        }
        let full = Name::new(s, None).full();
        match self.by_name.get(&full) {
            Some(i) => Ok(JSchema::Named(*i)),
            None => {
                // `Schema.parse`: "Undefined name: " and the JSON of the name.
                self.error.get_or_insert_with(|| {
                    let mut quoted = String::new();
                    write_str(s, &mut quoted);
                    format!("Undefined name: {quoted}")
                });
                Err(())
            }
        }
    }

    fn parse_object(&mut self, map: &Map<String, Value>, space: Option<&str>) -> Parsed<JSchema> {
        let Some(Value::String(ty)) = map.get("type") else {
            return Err(());
        };
        let props = |reserved: &[&str]| -> Vec<(String, Value)> {
            map.iter()
                .filter(|(k, _)| !reserved.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        match ty.as_str() {
            "record" | "error" | "enum" | "fixed" => {
                let Some(Value::String(name)) = map.get("name") else {
                    return Err(());
                };
                let own_space = match map.get("namespace") {
                    Some(Value::String(ns)) => Some(ns.as_str()),
                    _ => space,
                };
                let name = Name::new(name, own_space);
                let full = name.full();
                if self.by_name.contains_key(&full) {
                    return Err(());
                }
                let doc = match map.get("doc") {
                    Some(Value::String(d)) => Some(d.clone()),
                    _ => None,
                };
                let aliases = match map.get("aliases") {
                    None => Vec::new(),
                    Some(Value::Array(a)) => {
                        let mut out: Vec<Name> = Vec::new();
                        for alias in a {
                            let alias = Name::new(alias.as_str().ok_or(())?, name.space.as_deref());
                            if !out.contains(&alias) {
                                out.push(alias);
                            }
                        }
                        out
                    }
                    Some(_) => return Err(()),
                };
                let index = self.named.len();
                let inner = name.space.clone();
                let (kind, props) = match ty.as_str() {
                    "enum" => {
                        let symbols = match map.get("symbols") {
                            Some(Value::Array(s)) => s
                                .iter()
                                .map(|v| v.as_str().map(str::to_owned).ok_or(()))
                                .collect::<Parsed<Vec<_>>>()?,
                            _ => return Err(()),
                        };
                        let default = map
                            .get("default")
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                        let mut reserved = SCHEMA_RESERVED.to_vec();
                        reserved.push("default");
                        (NamedKind::Enum { symbols, default }, props(&reserved))
                    }
                    "fixed" => (
                        NamedKind::Fixed {
                            size: map.get("size").cloned().ok_or(())?,
                        },
                        props(&SCHEMA_RESERVED),
                    ),
                    _ => (
                        NamedKind::Record {
                            fields: Vec::new(),
                            error: ty == "error",
                        },
                        props(&SCHEMA_RESERVED),
                    ),
                };
                // Registered before the fields are parsed, so a record can refer to itself.
                self.named.push(Named {
                    name,
                    doc,
                    kind,
                    props,
                    aliases,
                });
                self.by_name.insert(full, index);
                if matches!(ty.as_str(), "record" | "error") {
                    let Some(Value::Array(fields)) = map.get("fields") else {
                        return Err(());
                    };
                    let mut parsed = Vec::with_capacity(fields.len());
                    for f in fields {
                        parsed.push(self.parse_field(f, inner.as_deref())?);
                    }
                    if let NamedKind::Record { fields, .. } = &mut self.named[index].kind {
                        *fields = parsed;
                    }
                }
                Ok(JSchema::Named(index))
            }
            "array" => Ok(JSchema::Array {
                items: Box::new(self.parse(map.get("items").ok_or(())?, space)?),
                props: props(&SCHEMA_RESERVED),
            }),
            "map" => Ok(JSchema::Map {
                values: Box::new(self.parse(map.get("values").ok_or(())?, space)?),
                props: props(&SCHEMA_RESERVED),
            }),
            other => match PRIMITIVES.iter().find(|p| **p == other) {
                Some(p) => Ok(JSchema::Primitive {
                    name: p,
                    props: props(&SCHEMA_RESERVED),
                }),
                // `{"type": "a.Name"}`: the named type; Java drops the other keys.
                None => self.resolve(other, space),
            },
        }
    }

    fn parse_field(&mut self, value: &Value, space: Option<&str>) -> Parsed<Field> {
        let Value::Object(map) = value else {
            return Err(());
        };
        let name = map
            .get("name")
            .and_then(Value::as_str)
            .ok_or(())?
            .to_owned();
        let ty = map.get("type").ok_or(())?;
        if let Value::String(t) = ty
            && self.error.is_none()
            && !PRIMITIVES.contains(&t.as_str())
            && !self.by_name.contains_key(&Name::new(t, space).full())
            && !self.by_name.contains_key(&Name::new(t, None).full())
        {
            let mut quoted = String::new();
            write_str(t, &mut quoted);
            self.error = Some(format!(
                "{quoted} is not a defined name. The type of the \"{name}\" field must be a \
                 defined name or a {{\"type\": ...}} expression."
            ));
            return Err(());
        }
        let schema = self.parse(ty, space)?;
        let doc = map.get("doc").and_then(Value::as_str).map(str::to_owned);
        let order = match map.get("order") {
            None => None,
            Some(Value::String(o)) => match o.to_uppercase().as_str() {
                "ASCENDING" => None,
                "DESCENDING" => Some("descending"),
                "IGNORE" => Some("ignore"),
                _ => return Err(()),
            },
            Some(_) => return Err(()),
        };
        let mut default = map.get("default").cloned();
        // Java reads a float or double default given as a string as the number it spells.
        if let (Some(Value::String(text)), JSchema::Primitive { name, .. }) = (&default, &schema)
            && matches!(*name, "float" | "double")
        {
            default = Some(java_double_value(text.trim()).ok_or(())?);
        }
        let aliases = match map.get("aliases") {
            None => Vec::new(),
            Some(Value::Array(a)) => {
                let mut out: Vec<String> = Vec::new();
                for alias in a {
                    let alias = alias.as_str().ok_or(())?.to_owned();
                    if !out.contains(&alias) {
                        out.push(alias);
                    }
                }
                out
            }
            Some(_) => return Err(()),
        };
        let props = map
            .iter()
            .filter(|(k, _)| !FIELD_RESERVED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Field {
            name,
            schema,
            doc,
            default,
            order,
            aliases,
            props,
        })
    }
}

/// `Double.valueOf(text)` as a JSON value: a number, or Jackson's quoted `"NaN"` and
/// `"Infinity"`.
fn java_double_value(text: &str) -> Option<Value> {
    let lowered = text.trim_end_matches(['d', 'D', 'f', 'F']);
    match lowered {
        "NaN" => return Some(Value::String("NaN".into())),
        "Infinity" | "+Infinity" => return Some(Value::String("Infinity".into())),
        "-Infinity" => return Some(Value::String("-Infinity".into())),
        _ => {}
    }
    let x: f64 = lowered.parse().ok()?;
    serde_json::Number::from_f64(x).map(Value::Number)
}

/// Java Avro's message for a schema that uses a name no type defines (`Schema.parse`: a
/// field type that is not a defined name, or `Undefined name: "x"` elsewhere), when that is
/// why the schema does not parse; `None` otherwise.
pub(crate) fn undefined_name_error(root: &Value, references: &[Value]) -> Option<String> {
    let mut model = Model::default();
    for r in references {
        model.parse(r, None).ok()?;
    }
    match model.parse(root, None) {
        Ok(_) => None,
        Err(()) => model.error,
    }
}

/// Builds the model of `root` with the named types of `references` (each a schema's JSON,
/// dependencies first).
fn model(root: &Value, references: &[Value]) -> Parsed<(Model, JSchema)> {
    let mut model = Model::default();
    for r in references {
        let schema = model.parse(r, None)?;
        if let JSchema::Named(i) = schema {
            model.referenced.push(model.named[i].name.full());
        }
    }
    let schema = model.parse(root, None)?;
    Ok((model, schema))
}

/// Java's `Schema.toString()` of `root`, whose references provide the named types of
/// `references` (Confluent's `AvroSchema.canonicalString()`).
///
/// Errors: `Err(())` for a shape Java Avro does not read the same way (the caller keeps its
/// own text).
pub(crate) fn canonical_text(root: &Value, references: &[Value]) -> Result<String, ()> {
    let (model, schema) = model(root, references)?;
    Ok(write(&model, &schema))
}

/// Java's `Schema.toString()` of `root` with no referenced schemas known: the types of
/// `references` written in full where they first appear (Confluent's
/// `AvroSchema.formattedString("resolved")`, `schemaObj.toString()`).
///
/// Errors: as [`canonical_text`].
pub(crate) fn resolved_text(root: &Value, references: &[Value]) -> Result<String, ()> {
    let (mut model, schema) = model(root, references)?;
    model.referenced.clear();
    Ok(write(&model, &schema))
}

/// Confluent's normalized text (`AvroSchema.normalize()`: `AvroSchemaUtils.toNormalizedString`
/// parsed again and written by `Schema.toString()`): properties sorted by key after a logical
/// type's own (`logicalType`, `precision`, `scale` when not 0), aliases sorted by full name,
/// an empty `doc` of a named type dropped, `error` written as `record`, and a field default
/// as Java's `Field.defaultVal()` reads it (an integer for a float or double is a float; a
/// default of the wrong JSON type is dropped).
///
/// Errors: as [`canonical_text`].
pub(crate) fn normalized_text(root: &Value, references: &[Value]) -> Result<String, ()> {
    normalized_with(root, references, false)
}

/// [`normalized_text`] with the references' types written in full where they first appear,
/// as if the schema had been sent with its references inlined (Java's `Schema.toString()`
/// with no referenced schemas known, Confluent's `format=resolved`, normalized): what such
/// a schema normalizes to, for lookups that match it (Confluent's `canLookup`).
///
/// Errors: as [`canonical_text`].
pub(crate) fn resolved_normalized_text(root: &Value, references: &[Value]) -> Result<String, ()> {
    normalized_with(root, references, true)
}

fn normalized_with(root: &Value, references: &[Value], inline: bool) -> Result<String, ()> {
    let (mut model, mut schema) = model(root, references)?;
    if inline {
        model.referenced.clear();
    }
    let kinds: Vec<Option<&'static str>> = (0..model.named.len())
        .map(|i| match &model.named[i].kind {
            NamedKind::Record { .. } => None,
            NamedKind::Enum { .. } => Some("enum"),
            NamedKind::Fixed { .. } => Some("fixed"),
        })
        .collect();
    normalize_schema(&mut schema, None);
    for named in &mut model.named {
        let underlying = match named.kind {
            NamedKind::Fixed { .. } => "fixed",
            _ => "",
        };
        named.props = normalize_props(std::mem::take(&mut named.props), underlying);
        if named.doc.as_deref() == Some("") {
            named.doc = None;
        }
        let current = named.name.space.clone();
        named.aliases.sort_by_key(|a| match (&a.space, &current) {
            (None, Some(_)) => format!(".{}", a.name),
            _ => a.full(),
        });
        if let NamedKind::Record { fields, error } = &mut named.kind {
            *error = false;
            for f in fields {
                normalize_schema(&mut f.schema, None);
                f.props = normalize_props(std::mem::take(&mut f.props), "");
                f.aliases.sort();
                if let Some(d) = f.default.take() {
                    f.default = normalized_default(d, &f.schema, &kinds).map(sorted_keys);
                }
            }
        }
    }
    Ok(write(&model, &schema))
}

fn normalize_schema(schema: &mut JSchema, _space: Option<&str>) {
    match schema {
        JSchema::Primitive { name, props } => {
            *props = normalize_props(std::mem::take(props), name);
        }
        JSchema::Array { items, props } => {
            normalize_schema(items, None);
            *props = normalize_props(std::mem::take(props), "array");
        }
        JSchema::Map { values, props } => {
            normalize_schema(values, None);
            *props = normalize_props(std::mem::take(props), "map");
        }
        JSchema::Union(branches) => branches.iter_mut().for_each(|b| normalize_schema(b, None)),
        JSchema::Named(_) => {}
    }
}

/// Properties sorted by key (`TreeMap`), after the logical type's own when the schema has a
/// logical type Java recognises on `underlying`.
fn normalize_props(props: Vec<(String, Value)>, underlying: &str) -> Vec<(String, Value)> {
    // Confluent writes each value through a mapper whose objects are `TreeMap`s
    // (`AvroSchemaUtils.SortingNodeFactory`): keys sorted at every depth.
    let mut props: Vec<(String, Value)> = props
        .into_iter()
        .map(|(k, v)| (k, sorted_keys(v)))
        .collect();
    props.sort_by(|a, b| a.0.cmp(&b.0));
    let get = |k: &str| props.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let logical = get("logicalType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let valid = match logical {
        "decimal" => {
            matches!(underlying, "bytes" | "fixed")
                && get("precision")
                    .and_then(Value::as_i64)
                    .is_some_and(|p| p > 0)
                && get("scale")
                    .map(|s| s.as_i64().filter(|s| *s >= 0))
                    .unwrap_or(Some(0))
                    .is_some_and(|s| {
                        s <= get("precision").and_then(Value::as_i64).unwrap_or_default()
                    })
        }
        "uuid" => matches!(underlying, "string" | "fixed"),
        "date" | "time-millis" => underlying == "int",
        "time-micros"
        | "timestamp-millis"
        | "timestamp-micros"
        | "timestamp-nanos"
        | "local-timestamp-millis"
        | "local-timestamp-micros"
        | "local-timestamp-nanos" => underlying == "long",
        "duration" => underlying == "fixed",
        _ => false,
    };
    if !valid {
        return props;
    }
    let mut first: Vec<&str> = vec!["logicalType"];
    if logical == "decimal" {
        first.push("precision");
        if get("scale").and_then(Value::as_i64).unwrap_or_default() != 0 {
            first.push("scale");
        }
    }
    let mut out = Vec::with_capacity(props.len());
    for key in &first {
        if let Some(i) = props.iter().position(|(k, _)| k == key) {
            out.push(props.remove(i));
        }
    }
    out.extend(props);
    out
}

/// `value` with the keys of every object sorted, at every depth.
fn sorted_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted_keys).collect()),
        other => other,
    }
}

/// A field default as `Field.defaultVal()` gives it back (`JacksonUtils.toObject`), written
/// through Confluent's sorting mapper (object keys sorted).
fn normalized_default(
    default: Value,
    schema: &JSchema,
    kinds: &[Option<&'static str>],
) -> Option<Value> {
    let schema = match schema {
        JSchema::Union(branches) => branches.first()?,
        other => other,
    };
    match (schema, &default) {
        (JSchema::Primitive { name, .. }, _) => match (*name, &default) {
            ("null", Value::Null) => Some(default),
            ("boolean", Value::Bool(_)) => Some(default),
            ("int" | "long", Value::Number(n)) if n.is_i64() || n.is_u64() => Some(default),
            ("float" | "double", Value::Number(n)) => n
                .as_f64()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            ("float" | "double", Value::String(_)) => Some(default),
            ("string" | "bytes", Value::String(_)) => Some(default),
            _ => None,
        },
        (JSchema::Named(i), Value::String(_)) if kinds.get(*i).copied().flatten().is_some() => {
            Some(default)
        }
        (JSchema::Named(_), Value::Object(_)) => Some(default),
        (JSchema::Array { .. }, Value::Array(_)) | (JSchema::Map { .. }, Value::Object(_)) => {
            Some(default)
        }
        _ => None,
    }
}

/// `Schema.toString(referencedSchemas, false)`.
fn write(model: &Model, schema: &JSchema) -> String {
    let mut known: HashSet<String> = model.referenced.iter().cloned().collect();
    let mut out = String::with_capacity(256);
    write_schema(model, schema, &mut known, None, &mut out);
    out
}

fn write_schema(
    model: &Model,
    schema: &JSchema,
    known: &mut HashSet<String>,
    space: Option<&str>,
    out: &mut String,
) {
    match schema {
        JSchema::Primitive { name, props } => {
            if props.is_empty() {
                write_str(name, out);
            } else {
                out.push_str("{\"type\":");
                write_str(name, out);
                write_props(props, out);
                out.push('}');
            }
        }
        JSchema::Array { items, props } => {
            out.push_str("{\"type\":\"array\",\"items\":");
            write_schema(model, items, known, space, out);
            write_props(props, out);
            out.push('}');
        }
        JSchema::Map { values, props } => {
            out.push_str("{\"type\":\"map\",\"values\":");
            write_schema(model, values, known, space, out);
            write_props(props, out);
            out.push('}');
        }
        JSchema::Union(branches) => {
            out.push('[');
            for (i, b) in branches.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_schema(model, b, known, space, out);
            }
            out.push(']');
        }
        JSchema::Named(i) => write_named(model, &model.named[*i], known, space, out),
    }
}

fn write_named(
    model: &Model,
    named: &Named,
    known: &mut HashSet<String>,
    space: Option<&str>,
    out: &mut String,
) {
    if !known.insert(named.name.full()) {
        write_str(&named.name.qualified(space), out);
        return;
    }
    let ty = match &named.kind {
        NamedKind::Record { error: true, .. } => "error",
        NamedKind::Record { .. } => "record",
        NamedKind::Enum { .. } => "enum",
        NamedKind::Fixed { .. } => "fixed",
    };
    out.push_str("{\"type\":\"");
    out.push_str(ty);
    out.push_str("\",\"name\":");
    write_str(&named.name.name, out);
    match (&named.name.space, space) {
        (Some(own), current) if current != Some(own.as_str()) => {
            out.push_str(",\"namespace\":");
            write_str(own, out);
        }
        (None, Some(_)) => out.push_str(",\"namespace\":\"\""),
        _ => {}
    }
    if let Some(doc) = &named.doc {
        out.push_str(",\"doc\":");
        write_str(doc, out);
    }
    match &named.kind {
        NamedKind::Record { fields, .. } => {
            out.push_str(",\"fields\":[");
            let inner = named.name.space.as_deref();
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_field(model, f, known, inner, out);
            }
            out.push(']');
        }
        NamedKind::Enum { symbols, default } => {
            out.push_str(",\"symbols\":[");
            for (i, s) in symbols.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(s, out);
            }
            out.push(']');
            if let Some(d) = default {
                out.push_str(",\"default\":");
                write_str(d, out);
            }
        }
        NamedKind::Fixed { size } => {
            out.push_str(",\"size\":");
            write_value(size, out);
        }
    }
    write_props(&named.props, out);
    if !named.aliases.is_empty() {
        out.push_str(",\"aliases\":[");
        for (i, a) in named.aliases.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(&a.qualified(named.name.space.as_deref()), out);
        }
        out.push(']');
    }
    out.push('}');
}

fn write_field(
    model: &Model,
    f: &Field,
    known: &mut HashSet<String>,
    space: Option<&str>,
    out: &mut String,
) {
    out.push_str("{\"name\":");
    write_str(&f.name, out);
    out.push_str(",\"type\":");
    write_schema(model, &f.schema, known, space, out);
    if let Some(doc) = &f.doc {
        out.push_str(",\"doc\":");
        write_str(doc, out);
    }
    if let Some(d) = &f.default {
        out.push_str(",\"default\":");
        write_value(d, out);
    }
    if let Some(order) = f.order {
        out.push_str(",\"order\":\"");
        out.push_str(order);
        out.push('"');
    }
    if !f.aliases.is_empty() {
        out.push_str(",\"aliases\":[");
        for (i, a) in f.aliases.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(a, out);
        }
        out.push(']');
    }
    write_props(&f.props, out);
    out.push('}');
}

fn write_props(props: &[(String, Value)], out: &mut String) {
    for (k, v) in props {
        out.push(',');
        write_str(k, out);
        out.push(':');
        write_value(v, out);
    }
}

/// Writes a JSON value as Jackson's generator does: compact, strings escaped as
/// [`write_str`], floating-point numbers as Java's `Double.toString`.
pub(crate) fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                let _ = write!(out, "{n}");
            } else {
                out.push_str(&crate::jackson::java_double(n.as_f64().unwrap_or_default()));
            }
        }
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(v, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_value(v, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Jackson writes it: `"` and `\` escaped, `\b \t \n \f \r` short, other
/// control characters as `\u00XX` with upper-case hex, everything else as is.
pub(crate) fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        canonical_text(&serde_json::from_str(text).unwrap(), &[]).unwrap()
    }

    fn normalized(text: &str) -> String {
        normalized_text(&serde_json::from_str(text).unwrap(), &[]).unwrap()
    }

    #[test]
    fn full_names_are_split_and_inherited_namespaces_left_out() {
        assert_eq!(
            canonical(
                r#"{"fields":[{"type":{"type":"record","name":"a.b.Inner","fields":[]},"name":"i"},
                   {"name":"j","type":"a.b.Inner"},{"name":"k","type":{"type":"enum","name":"E","namespace":"","symbols":["X"]}}],
                   "name":"a.b.Outer","type":"record"}"#
            ),
            r#"{"type":"record","name":"Outer","namespace":"a.b","fields":[{"name":"i","type":{"type":"record","name":"Inner","fields":[]}},{"name":"j","type":"Inner"},{"name":"k","type":{"type":"enum","name":"E","namespace":"","symbols":["X"]}}]}"#
        );
    }

    #[test]
    fn keys_are_in_java_order_and_props_in_input_order() {
        assert_eq!(
            canonical(
                r#"{"aliases":["Old","x.Y"],"zprop":1,"doc":"d","type":"record","name":"R","namespace":"n",
                   "fields":[{"aliases":["g"],"order":"DESCENDING","default":1.5e-7,"type":{"type":"double"},"doc":"f doc","name":"f","b":true,"a":null}],"aprop":{"z":1,"a":2}}"#
            ),
            r#"{"type":"record","name":"R","namespace":"n","doc":"d","fields":[{"name":"f","type":"double","doc":"f doc","default":1.5E-7,"order":"descending","aliases":["g"],"b":true,"a":null}],"zprop":1,"aprop":{"z":1,"a":2},"aliases":["Old","x.Y"]}"#
        );
    }

    #[test]
    fn primitives_with_properties_stay_objects_and_reserved_keys_drop() {
        assert_eq!(
            canonical(
                r#"{"type":"record","name":"R","fields":[
                   {"name":"a","type":{"type":"string","doc":"dropped","avro.java.string":"String"}},
                   {"name":"b","type":{"type":"bytes","scale":2,"logicalType":"decimal","precision":4}},
                   {"name":"c","type":{"type":"array","items":{"type":"int"},"default":[]},"order":"ascending"},
                   {"name":"d","type":{"type":"map","values":"long"}},
                   {"name":"e","type":["null",{"type":"fixed","size":16,"name":"F"}],"default":null},
                   {"name":"g","type":{"type":"F"}}]}"#
            ),
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"string","avro.java.string":"String"}},{"name":"b","type":{"type":"bytes","scale":2,"logicalType":"decimal","precision":4}},{"name":"c","type":{"type":"array","items":"int","default":[]}},{"name":"d","type":{"type":"map","values":"long"}},{"name":"e","type":["null",{"type":"fixed","name":"F","size":16}],"default":null},{"name":"g","type":"F"}]}"#
        );
    }

    #[test]
    fn references_are_written_by_name_short_in_the_same_namespace() {
        let reference: Value = serde_json::from_str(
            r#"{"type":"record","name":"Ref","namespace":"com.example","fields":[{"name":"id","type":"string"}]}"#,
        )
        .unwrap();
        let root: Value = serde_json::from_str(
            r#"{"type":"record","name":"Base","namespace":"com.example","fields":[{"name":"r","type":"com.example.Ref"},{"name":"s","type":"Ref"}]}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_text(&root, &[reference]).unwrap(),
            r#"{"type":"record","name":"Base","namespace":"com.example","fields":[{"name":"r","type":"Ref"},{"name":"s","type":"Ref"}]}"#
        );
    }

    #[test]
    fn an_undefined_name_is_java_avros_message() {
        let root: Value = serde_json::from_str(
            r#"{"type":"record","name":"myrecord","fields":[{"type":"str","name":"field1"}]}"#,
        )
        .unwrap();
        assert_eq!(
            undefined_name_error(&root, &[]).as_deref(),
            Some(
                r#""str" is not a defined name. The type of the "field1" field must be a defined name or a {"type": ...} expression."#
            )
        );
        let root: Value = serde_json::from_str(
            r#"{"type":"record","name":"r","fields":[{"type":["null","x.Y"],"name":"f"}]}"#,
        )
        .unwrap();
        assert_eq!(
            undefined_name_error(&root, &[]).as_deref(),
            Some(r#"Undefined name: "x.Y""#)
        );
    }

    #[test]
    fn names_of_java_types_are_written_in_full() {
        assert_eq!(
            canonical(
                r#"{"type":"record","name":"n.R","fields":[{"name":"a","type":{"type":"fixed","name":"map","size":1}},{"name":"b","type":"n.map"}]}"#
            ),
            r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":{"type":"fixed","name":"map","size":1}},{"name":"b","type":"n.map"}]}"#
        );
    }

    #[test]
    fn strings_and_numbers_are_written_as_jackson_does() {
        let mut out = String::new();
        write_value(
            &serde_json::json!([
                "a\u{1}\"\\\n/é",
                1.0,
                1e7,
                123456.5,
                0.001,
                0.0001,
                -2.5e-10,
                12
            ]),
            &mut out,
        );
        assert_eq!(
            out,
            r#"["a\u0001\"\\\n/é",1.0,1.0E7,123456.5,0.001,1.0E-4,-2.5E-10,12]"#
        );
    }

    #[test]
    fn float_defaults_given_as_strings_are_numbers() {
        assert_eq!(
            canonical(
                r#"{"type":"record","name":"R","fields":[{"name":"f","type":"double","default":"1"},{"name":"g","type":"float","default":"NaN"}]}"#
            ),
            r#"{"type":"record","name":"R","fields":[{"name":"f","type":"double","default":1.0},{"name":"g","type":"float","default":"NaN"}]}"#
        );
    }

    #[test]
    fn normalized_sorts_object_values_at_every_depth() {
        assert_eq!(
            normalized(
                r#"{"type":"record","name":"R","fields":[{"name":"m","type":{"type":"map","values":"int"},"default":{"b":1,"a":2}}],"extraMetadata":{"b":2,"a":{"d":1,"c":[{"z":1,"y":2}]}}}"#
            ),
            r#"{"type":"record","name":"R","fields":[{"name":"m","type":{"type":"map","values":"int"},"default":{"a":2,"b":1}}],"extraMetadata":{"a":{"c":[{"y":2,"z":1}],"d":1},"b":2}}"#
        );
    }

    #[test]
    fn normalized_sorts_properties_and_aliases() {
        assert_eq!(
            normalized(
                r#"{"type":"error","name":"R","namespace":"n","doc":"","aliases":["z","a.B"],"zz":1,"aa":2,
                   "fields":[{"name":"f","type":"string","zprop":"z","aprop":"a","aliases":["y","x"]},
                   {"name":"d","type":{"type":"bytes","scale":2,"precision":4,"logicalType":"decimal","a":1}},
                   {"name":"i","type":"double","default":1},{"name":"j","type":"int","default":"1"}]}"#
            ),
            r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"f","type":"string","aliases":["x","y"],"aprop":"a","zprop":"z"},{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":2,"a":1}},{"name":"i","type":"double","default":1.0},{"name":"j","type":"int"}],"aa":2,"zz":1,"aliases":["a.B","z"]}"#
        );
    }
}

#[cfg(test)]
mod cost {
    /// The cost of the Java texts against apache-avro's parse of the same schema, on a
    /// ~1.5 KB record like the benchmark's (`cargo test --release -p warden-core --lib
    /// java_text_cost -- --ignored --nocapture`).
    #[test]
    #[ignore = "timing, run by hand"]
    fn java_text_cost() {
        let text = r#"{"type":"record","name":"Order","namespace":"bench.orders","doc":"An order","fields":[{"name":"id","type":"long"},{"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]}},{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED","DONE"]}},{"name":"items","type":{"type":"array","items":{"type":"record","name":"Item","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int","default":1}]}}},{"name":"attrs","type":{"type":"map","values":"string"},"default":{}},{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}},{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"note","type":["null","string"],"default":null}]}"#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let n = 20_000;
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(apache_avro::Schema::parse(&value).unwrap());
        }
        let parse = t.elapsed();
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(super::canonical_text(&value, &[]).unwrap());
            std::hint::black_box(super::normalized_text(&value, &[]).unwrap());
        }
        let texts = t.elapsed();
        println!(
            "apache-avro parse {:?}/schema, Java canonical + normalized texts {:?}/schema",
            parse / n,
            texts / n
        );
    }
}
