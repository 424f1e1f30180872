//! References between schemas: the names a schema offers to others and the names it uses that
//! another schema must supply, per format. The registry is told a schema's references by
//! name; `warden check` finds the files behind those names with these same rules, so the
//! server and the CLI read a set of schema files one way.
//!
//! - Avro: named types (record, error, enum, fixed) by full name (Avro spec, "Names"):
//!   [`AvroNames`].
//! - JSON Schema: `$ref` URLs naming another document, resolved against the schema's `$id`
//!   (RFC 3986 §5) as [`JsonSchema::parse`](crate::JsonSchema::parse) resolves the names of
//!   its references: [`JsonReferences`].
//! - Protobuf: `import` statements, minus the files every registry has built in:
//!   [`protobuf_imports`].

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::avro::{full_namespace, is_complex, is_primitive, qualify};
use crate::json::{JsonSchemaDraft, resolve_uri, root_base_uri, strip_fragment};
use crate::protobuf::{import_paths, is_builtin_import};
use crate::schema::SchemaError;

/// The named types of an Avro schema: the full names it defines and the ones it uses.
///
/// Names follow the Avro spec ("Names"): a name with a dot is a full name; a name without one
/// is in the namespace of the nearest enclosing named type (its `namespace` attribute, or the
/// namespace of its own dotted name, or the one it inherits). A used name without a dot is
/// also listed as written, since Java Avro (and so Confluent) looks an unqualified name up in
/// the null namespace when the enclosing namespace has no such type (`Schema.Names.get`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvroNames {
    defined: BTreeSet<String>,
    used: BTreeSet<String>,
}

impl AvroNames {
    /// Reads the names of Avro schema text.
    ///
    /// Errors ([`SchemaError::Invalid`]): text that is not JSON. Whether it is a valid Avro
    /// schema is [`AvroSchema::parse`](crate::avro::AvroSchema::parse)'s question; this looks
    /// only at names.
    pub fn parse(text: &str) -> Result<Self, SchemaError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| SchemaError::Invalid(format!("not valid JSON: {e}")))?;
        Ok(Self::of(&value))
    }

    /// Reads the names of an Avro schema given as JSON: the types of record fields, array
    /// items, map values and union branches, through any depth of nesting.
    pub fn of(schema: &Value) -> Self {
        let mut names = Self::default();
        names.collect(schema, None);
        names
    }

    /// Full names of the named types the schema defines.
    pub fn defined(&self) -> &BTreeSet<String> {
        &self.defined
    }

    /// Names the schema uses as types (primitive types aside), defined in it or not.
    pub fn used(&self) -> &BTreeSet<String> {
        &self.used
    }

    /// Names the schema uses but does not define: what its references must provide.
    pub fn external(&self) -> impl Iterator<Item = &str> {
        self.used.difference(&self.defined).map(String::as_str)
    }

    fn collect(&mut self, value: &Value, namespace: Option<&str>) {
        match value {
            Value::String(s) if !is_primitive(s) && !is_complex(s) => {
                self.used.insert(qualify(s, namespace));
                if !s.contains('.') && namespace.is_some_and(|ns| !ns.is_empty()) {
                    self.used.insert(s.clone());
                }
            }
            Value::Array(branches) => {
                for branch in branches {
                    self.collect(branch, namespace);
                }
            }
            Value::Object(map) => self.collect_object(map, namespace),
            _ => {}
        }
    }

    fn collect_object(&mut self, map: &Map<String, Value>, namespace: Option<&str>) {
        let kind = map.get("type");
        match kind.and_then(Value::as_str) {
            Some("record" | "error" | "enum" | "fixed") => {
                let name = map.get("name").and_then(Value::as_str).unwrap_or_default();
                let inner = full_namespace(map, namespace);
                self.defined.insert(qualify(name, inner.as_deref()));
                if let Some(Value::Array(fields)) = map.get("fields") {
                    for field in fields {
                        if let Some(t) = field.get("type") {
                            self.collect(t, inner.as_deref());
                        }
                    }
                }
            }
            Some("array") => {
                if let Some(items) = map.get("items") {
                    self.collect(items, namespace);
                }
            }
            Some("map") => {
                if let Some(values) = map.get("values") {
                    self.collect(values, namespace);
                }
            }
            // A primitive written as an object, or `{"type": <another schema>}`.
            _ => {
                if let Some(t) = kind {
                    self.collect(t, namespace);
                }
            }
        }
    }
}

/// A JSON Schema's links to other documents: its own `$id` and the `$ref`s that leave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonReferences {
    id: Option<String>,
    uri: Option<String>,
    refs: Vec<JsonRef>,
}

/// One `$ref` of a JSON Schema naming another document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct JsonRef {
    name: String,
    uri: String,
    relative: bool,
}

impl JsonReferences {
    /// Reads the references of JSON Schema text.
    ///
    /// Errors ([`SchemaError::Invalid`]): text that is not JSON.
    pub fn parse(text: &str) -> Result<Self, SchemaError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| SchemaError::Invalid(format!("not valid JSON: {e}")))?;
        Ok(Self::of(&value))
    }

    /// Reads the references of a JSON Schema given as JSON.
    ///
    /// The draft comes from `$schema`
    /// ([`JsonSchemaDraft::from_schema_keyword`]) and names the identifier keyword
    /// ([`JsonSchemaDraft::id_keyword`]); an identifier that is only a fragment (`#name`) is an
    /// anchor, not a base URI. Every `$ref` outside `enum`, `const`, `examples` and `default`
    /// (which hold data, not schemas) counts; one that is only a fragment points inside the
    /// schema and is left out. Each resolves against the schema's own base URI, as the
    /// registry resolves reference names ([`JsonSchema::parse`](crate::JsonSchema::parse)).
    pub fn of(schema: &Value) -> Self {
        let draft = JsonSchemaDraft::from_schema_keyword(schema.get("$schema"));
        let id = declared_id(schema, draft);
        let base = root_base_uri(schema, draft);
        let mut written = BTreeSet::new();
        collect_refs(schema, &mut written);
        let refs = written
            .into_iter()
            .map(|name| JsonRef {
                uri: resolve_uri(&base, &name)
                    .map_or_else(|| name.clone(), |u| strip_fragment(&u).to_owned()),
                relative: !has_scheme(&name),
                name,
            })
            .collect();
        Self {
            uri: id.as_ref().map(|_| base),
            id,
            refs,
        }
    }

    /// The schema's identifier as written, without a fragment (`None` without one): the name
    /// other schemas' references reach it by, whatever schema uses it.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The absolute URI the schema's identifier gives it, resolved against the registry's base
    /// for schemas without one (`mem://warden/…`); `None` without an identifier. A
    /// [`JsonRef::uri`] equal to it points at this schema.
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }

    /// The `$ref`s naming other documents, each once, sorted by name.
    pub fn refs(&self) -> &[JsonRef] {
        &self.refs
    }
}

impl JsonRef {
    /// The `$ref` as written without its fragment: the name the schema's reference has.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The absolute URI of the document it points to: the name resolved against the schema's
    /// base URI (RFC 3986 §5.2, normalized), without a fragment.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Whether the name is a relative reference (RFC 3986 §4.2: no scheme), so a path
    /// relative to where the referring schema is.
    pub fn is_relative(&self) -> bool {
        self.relative
    }
}

/// The files a `.proto` source imports that must come as references, in order: every
/// `import` ([`import_paths`]) except the well-known files a registry has built in
/// ([`is_builtin_import`]; Confluent's `ProtobufSchema.KNOWN_DEPENDENCIES`).
pub fn protobuf_imports(text: &str) -> Vec<String> {
    import_paths(text)
        .into_iter()
        .filter(|import| !is_builtin_import(import))
        .collect()
}

/// The root's identifier ([`JsonSchemaDraft::id_keyword`]) as written minus its fragment,
/// unless it is only an anchor; the same identifier [`root_base_uri`] resolves.
fn declared_id(schema: &Value, draft: JsonSchemaDraft) -> Option<String> {
    schema
        .get(draft.id_keyword())
        .and_then(Value::as_str)
        .filter(|id| !id.starts_with('#'))
        .map(|id| strip_fragment(id).to_owned())
}

/// Every `$ref` of a schema that names another document, without its fragment.
fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let document = strip_fragment(r);
                if !document.is_empty() {
                    out.insert(document.to_owned());
                }
            }
            for (key, child) in map {
                if !matches!(key.as_str(), "enum" | "const" | "examples" | "default") {
                    collect_refs(child, out);
                }
            }
        }
        Value::Array(items) => {
            for child in items {
                collect_refs(child, out);
            }
        }
        _ => {}
    }
}

/// Whether a URI reference starts with a scheme (RFC 3986 §4.3: an absolute URI). Text that
/// is no URI reference at all counts as relative: a file name with a space, say.
fn has_scheme(reference: &str) -> bool {
    fluent_uri::UriRef::parse(reference).is_ok_and(|r| r.has_scheme())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn external(schema: &Value) -> BTreeSet<String> {
        AvroNames::of(schema)
            .external()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn avro_names_separate_defined_types_from_used_ones() {
        let schema = json!({"type": "record", "name": "Order", "namespace": "acme", "fields": [
            {"name": "a", "type": "Address"},
            {"name": "b", "type": {"type": "array", "items": "com.x.Item"}},
            {"name": "c", "type": ["null", {"type": "enum", "name": "E", "symbols": ["A"]}]},
            {"name": "d", "type": "E"}]});
        let names = AvroNames::of(&schema);
        assert_eq!(names.defined(), &set(&["acme.Order", "acme.E"]));
        let external = external(&schema);
        assert!(external.contains("acme.Address"), "{external:?}");
        assert!(external.contains("com.x.Item"), "{external:?}");
        assert!(!external.contains("acme.E"), "E is defined in the union");
    }

    #[test]
    fn avro_names_without_a_dot_take_the_enclosing_namespace_or_the_null_one() {
        let schema = json!({"type": "record", "name": "Order", "namespace": "acme",
            "fields": [{"name": "to", "type": "Address"}]});
        assert_eq!(external(&schema), set(&["Address", "acme.Address"]));
        let no_namespace = json!({"type": "record", "name": "Order",
            "fields": [{"name": "to", "type": "Address"}]});
        assert_eq!(external(&no_namespace), set(&["Address"]));
    }

    #[test]
    fn avro_names_of_nested_records_take_the_namespace_of_the_nearest_named_type() {
        let schema = json!({"type": "record", "name": "Order", "namespace": "acme", "fields": [
            {"name": "line", "type": {"type": "record", "name": "shop.Line", "fields": [
                {"name": "item", "type": "Item"},
                {"name": "tax", "type": {"type": "record", "name": "Tax", "namespace": "fin",
                    "fields": [{"name": "rate", "type": "Rate"}]}}]}},
            {"name": "empty_ns", "type": {"type": "fixed", "name": "Hash", "namespace": "",
                "size": 16}},
            {"name": "status", "type": "Status"}]});
        let names = AvroNames::of(&schema);
        assert_eq!(
            names.defined(),
            &set(&["acme.Order", "shop.Line", "fin.Tax", "Hash"])
        );
        assert_eq!(
            external(&schema),
            set(&[
                "Item",
                "shop.Item",
                "Rate",
                "fin.Rate",
                "Status",
                "acme.Status"
            ])
        );
    }

    #[test]
    fn avro_names_look_inside_arrays_maps_and_unions() {
        let schema = json!({"type": "record", "name": "R", "namespace": "n", "fields": [
            {"name": "a", "type": {"type": "array", "items": "x.A"}},
            {"name": "m", "type": {"type": "map", "values": {"type": "array", "items": "x.M"}}},
            {"name": "u", "type": ["null", "string", "x.U", {"type": "map", "values": "x.V"}]},
            {"name": "p", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "w", "type": {"type": "x.W"}}]});
        assert_eq!(external(&schema), set(&["x.A", "x.M", "x.U", "x.V", "x.W"]));
        let top_level_union = json!(["null", "a.B", {"type": "array", "items": "a.C"}]);
        assert_eq!(external(&top_level_union), set(&["a.B", "a.C"]));
    }

    #[test]
    fn avro_names_reject_text_that_is_not_json() {
        assert!(AvroNames::parse("{").is_err());
        assert_eq!(
            AvroNames::parse(r#""string""#).unwrap(),
            AvroNames::default()
        );
    }

    fn refs(schema: &Value) -> Vec<(String, String, bool)> {
        JsonReferences::of(schema)
            .refs()
            .iter()
            .map(|r| (r.name().to_owned(), r.uri().to_owned(), r.is_relative()))
            .collect()
    }

    #[test]
    fn relative_refs_resolve_against_the_id() {
        let schema = json!({"$id": "https://json.schemastore.org/package.json",
            "properties": {
                "ava": {"$ref": "ava.json"},
                "up": {"$ref": "../common/x.json"},
                "root": {"$ref": "/base.json"}}});
        assert_eq!(
            refs(&schema),
            vec![
                (
                    "../common/x.json".to_owned(),
                    "https://json.schemastore.org/common/x.json".to_owned(),
                    true
                ),
                (
                    "/base.json".to_owned(),
                    "https://json.schemastore.org/base.json".to_owned(),
                    true
                ),
                (
                    "ava.json".to_owned(),
                    "https://json.schemastore.org/ava.json".to_owned(),
                    true
                ),
            ]
        );
    }

    #[test]
    fn relative_refs_without_an_id_resolve_against_the_registry_base() {
        let schema = json!({"properties": {"a": {"$ref": "address.json"}}});
        let references = JsonReferences::of(&schema);
        assert_eq!(references.id(), None);
        assert_eq!(references.uri(), None);
        assert_eq!(
            refs(&schema),
            vec![(
                "address.json".to_owned(),
                "mem://warden/address.json".to_owned(),
                true
            )]
        );
    }

    #[test]
    fn absolute_refs_keep_their_own_base() {
        let schema = json!({"$id": "https://a.example/s.json",
            "items": {"$ref": "https://b.example/t.json"}});
        assert_eq!(
            refs(&schema),
            vec![(
                "https://b.example/t.json".to_owned(),
                "https://b.example/t.json".to_owned(),
                false
            )]
        );
    }

    #[test]
    fn ref_fragments_are_stripped_and_local_refs_left_out() {
        let schema = json!({"$id": "https://a.example/s.json#",
            "definitions": {"x": {"type": "string"}},
            "properties": {
                "local": {"$ref": "#/definitions/x"},
                "remote": {"$ref": "t.json#/definitions/y"},
                "again": {"$ref": "t.json"}}});
        let references = JsonReferences::of(&schema);
        assert_eq!(references.id(), Some("https://a.example/s.json"));
        assert_eq!(references.uri(), Some("https://a.example/s.json"));
        assert_eq!(
            refs(&schema),
            vec![(
                "t.json".to_owned(),
                "https://a.example/t.json".to_owned(),
                true
            )]
        );
    }

    #[test]
    fn refs_inside_data_keywords_are_not_references() {
        let schema = json!({"properties": {"a": {
            "enum": [{"$ref": "e.json"}],
            "const": {"$ref": "c.json"},
            "default": {"$ref": "d.json"},
            "examples": [{"$ref": "x.json"}],
            "items": [{"$ref": "i.json"}]}}});
        let names: Vec<String> = refs(&schema).into_iter().map(|r| r.0).collect();
        assert_eq!(names, vec!["i.json".to_owned()]);
    }

    #[test]
    fn the_identifier_keyword_follows_the_draft() {
        let draft4 = json!({"$schema": "http://json-schema.org/draft-04/schema#",
            "id": "https://a.example/s.json", "items": {"$ref": "t.json"}});
        let references = JsonReferences::of(&draft4);
        assert_eq!(references.id(), Some("https://a.example/s.json"));
        assert_eq!(references.refs()[0].uri(), "https://a.example/t.json");
        let draft7_with_id = json!({"id": "https://a.example/s.json"});
        assert_eq!(JsonReferences::of(&draft7_with_id).id(), None);
        let anchor_only = json!({"$id": "#top"});
        assert_eq!(JsonReferences::of(&anchor_only).id(), None);
    }

    #[test]
    fn a_relative_id_resolves_against_the_registry_base() {
        let schema = json!({"$id": "address.json"});
        let references = JsonReferences::of(&schema);
        assert_eq!(references.id(), Some("address.json"));
        assert_eq!(references.uri(), Some("mem://warden/address.json"));
    }

    #[test]
    fn protobuf_imports_leave_out_the_built_in_files() {
        let text = "syntax = \"proto3\";\n\
                    import \"google/protobuf/timestamp.proto\";\n\
                    import \"acme/address.proto\";\n\
                    import public \"acme/money.proto\";\n";
        assert_eq!(
            protobuf_imports(text),
            vec![
                "acme/address.proto".to_owned(),
                "acme/money.proto".to_owned()
            ]
        );
    }
}
