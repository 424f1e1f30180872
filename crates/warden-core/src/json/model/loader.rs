//! Builds a [`Model`] from a schema's JSON and its references, as everit's `SchemaLoader`
//! shapes a schema:
//!
//! - a boolean schema is `TrueSchema`/`FalseSchema`; an object with none of the keywords below
//!   is `EmptySchema`;
//! - for drafts 4–7 an object with `$ref` is only a `ReferenceSchema`: everit ignores the
//!   keywords beside it (`SchemaLoader.runSchemaExtractors`);
//! - otherwise the extractors run in everit's order, each on the keywords the earlier ones
//!   left: `enum`; `allOf`, `anyOf`, `oneOf` (one combined schema each); `not`; `const` (not in
//!   draft 4); `type` (one typed schema, or `anyOf` of one per listed type, each consuming its
//!   type's keywords); and the "sniffer", which makes an array, object, number or string
//!   schema out of that type's keywords when no `type` consumed them, and a conditional schema
//!   out of `if`/`then`/`else` (draft 7 and later);
//! - one extracted schema is the schema; several are a synthetic `allOf` of them, which carries
//!   `$id`, `title`, `description` and `default` (everit `loadCommonSchemaProperties`).
//!
//! For drafts 2019-09 and 2020-12, where `$ref` is an ordinary keyword, an object with `$ref`
//! and other keywords becomes an `allOf` of the reference and the rest; `dependentRequired`,
//! `dependentSchemas`, `prefixItems`, `unevaluatedProperties`, `unevaluatedItems`,
//! `minContains` and `maxContains` are read where Confluent's translator puts them.
//!
//! `$ref`s are resolved by URI (RFC 3986 against the `$id`s on the way) inside the schema and
//! its references, including `$anchor`s and draft-7 `"$id": "#name"` anchors. A reference that
//! does not resolve here (only a draft meta-schema can: the validator accepted the schema)
//! compares as an empty schema.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::{
    Additional, ArraySchema, Criterion, Doc, Kind, Model, Node, NodeId, NumberSchema, ObjectSchema,
    Src, StringSchema,
};
use crate::json::{JsonSchemaDraft, ROOT_BASE_URI, resolve_uri, strip_fragment};

const NUMBER_KEYWORDS: [&str; 5] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const STRING_KEYWORDS: [&str; 4] = ["minLength", "maxLength", "pattern", "format"];

fn object_keywords(draft: JsonSchemaDraft) -> &'static [&'static str] {
    match draft {
        JsonSchemaDraft::Draft4 => &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
        ],
        JsonSchemaDraft::Draft6 | JsonSchemaDraft::Draft7 => &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
            "propertyNames",
        ],
        JsonSchemaDraft::Draft201909 | JsonSchemaDraft::Draft202012 => &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
            "propertyNames",
            "dependentRequired",
            "dependentSchemas",
            "unevaluatedProperties",
        ],
    }
}

fn array_keywords(draft: JsonSchemaDraft) -> &'static [&'static str] {
    match draft {
        JsonSchemaDraft::Draft4 => &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
        ],
        JsonSchemaDraft::Draft6 | JsonSchemaDraft::Draft7 => &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
        ],
        JsonSchemaDraft::Draft201909 | JsonSchemaDraft::Draft202012 => &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
            "prefixItems",
            "minContains",
            "maxContains",
            "unevaluatedItems",
        ],
    }
}

impl Model {
    /// Loads `root` (in `draft`) with the referenced documents, each with the absolute URIs
    /// it answers to.
    pub(crate) fn build(
        root: Value,
        draft: JsonSchemaDraft,
        references: Vec<(Vec<String>, Value)>,
    ) -> Self {
        let mut docs = Vec::with_capacity(references.len() + 1);
        docs.push(Doc {
            uris: vec![ROOT_BASE_URI.to_owned()],
            value: root,
            draft,
        });
        for (uris, value) in references {
            let own = match &value {
                Value::Object(map) if map.contains_key("$schema") => {
                    JsonSchemaDraft::from_schema_keyword(map.get("$schema"))
                }
                _ => draft,
            };
            docs.push(Doc {
                uris,
                value,
                draft: own,
            });
        }
        let (nodes, root, empty) = {
            let mut loader = Loader {
                docs: &docs,
                nodes: Vec::new(),
                located: HashMap::new(),
                pending: Vec::new(),
                index: None,
            };
            let empty = loader.push(
                Kind::Empty,
                Src {
                    doc: 0,
                    pointer: String::new(),
                    part: "unresolved",
                },
            );
            let base = loader.base_at(0, "");
            let root = loader.load(0, String::new(), &docs[0].value, &base);
            while let Some((node, uri)) = loader.pending.pop() {
                if let Some((doc, pointer)) = loader.locate(&uri)
                    && let Some(value) = docs[doc].value.pointer(&pointer)
                {
                    let base = loader.base_at(doc, &pointer);
                    let target = loader.load(doc, pointer, value, &base);
                    loader.nodes[node].kind = Kind::Reference(Some(target));
                }
            }
            (loader.nodes, root, empty)
        };
        Self {
            docs,
            nodes,
            root,
            empty,
        }
    }
}

/// Index of the embedded resources (`$id`) and anchors of every document.
#[derive(Debug, Default)]
struct Index {
    ids: HashMap<String, (usize, String)>,
    anchors: HashMap<String, (usize, String)>,
}

struct Loader<'d> {
    docs: &'d [Doc],
    nodes: Vec<Node>,
    located: HashMap<(usize, String), NodeId>,
    /// Reference nodes to resolve, with the absolute URI they name.
    pending: Vec<(NodeId, String)>,
    index: Option<Index>,
}

/// A schema extracted from an object before it becomes a node.
struct Part {
    kind: Kind,
    tag: &'static str,
    reference: Option<String>,
}

impl<'d> Loader<'d> {
    fn push(&mut self, kind: Kind, src: Src) -> NodeId {
        self.nodes.push(Node {
            kind,
            id: None,
            title: None,
            description: None,
            default: None,
            connect_bytes: false,
            src,
            fingerprint: OnceLock::new(),
        });
        self.nodes.len() - 1
    }

    /// Loads the schema at `pointer` in `doc`, whose base URI is `base`; once per location.
    fn load(&mut self, doc: usize, pointer: String, value: &'d Value, base: &str) -> NodeId {
        if let Some(id) = self.located.get(&(doc, pointer.clone())) {
            return *id;
        }
        let src = Src {
            doc,
            pointer: pointer.clone(),
            part: "",
        };
        let id = match value {
            Value::Bool(true) => self.push(Kind::True, src),
            Value::Bool(false) => self.push(Kind::False, src),
            Value::Object(map) => self.load_object(doc, &pointer, map, base),
            _ => self.push(Kind::Empty, src),
        };
        self.located.insert((doc, pointer), id);
        id
    }

    fn child(
        &mut self,
        doc: usize,
        pointer: &str,
        segment: &str,
        value: &'d Value,
        base: &str,
    ) -> NodeId {
        let pointer = format!("{pointer}/{}", escape(segment));
        self.load(doc, pointer, value, base)
    }

    fn load_object(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &'d Map<String, Value>,
        base: &str,
    ) -> NodeId {
        let draft = self.docs[doc].draft;
        let id_keyword = draft.id_keyword();
        let base = match map.get(id_keyword).and_then(Value::as_str) {
            Some(id) if !id.starts_with('#') => {
                resolve_uri(base, id).unwrap_or_else(|| base.to_owned())
            }
            _ => base.to_owned(),
        };
        let mut parts: Vec<Part> = Vec::new();
        let reference = ["$ref", "$recursiveRef", "$dynamicRef"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str))
            .map(|r| resolve_uri(&base, r).unwrap_or_else(|| r.to_owned()));
        if let Some(uri) = reference {
            parts.push(Part {
                kind: Kind::Reference(None),
                tag: "$ref",
                reference: Some(uri),
            });
        }
        // everit ignores every keyword beside `$ref` before draft 2019-09.
        if parts.is_empty() || draft.is_modern() {
            self.extract(doc, pointer, map, &base, draft, &mut parts);
        }
        let src = Src {
            doc,
            pointer: pointer.to_owned(),
            part: "",
        };
        let id = match parts.len() {
            0 => self.push(Kind::Empty, src),
            1 => {
                let part = parts.pop().expect("one part");
                let id = self.push(part.kind, src);
                if let Some(uri) = part.reference {
                    self.pending.push((id, uri));
                }
                id
            }
            _ => {
                let mut subs = Vec::with_capacity(parts.len());
                for part in parts {
                    let sub = self.push(
                        part.kind,
                        Src {
                            doc,
                            pointer: pointer.to_owned(),
                            part: part.tag,
                        },
                    );
                    if let Some(uri) = part.reference {
                        self.pending.push((sub, uri));
                    }
                    subs.push(sub);
                }
                self.push(Kind::Combined(Criterion::All, subs), src)
            }
        };
        let node = &mut self.nodes[id];
        node.id = map.get(id_keyword).cloned();
        node.title = map.get("title").cloned();
        node.description = map.get("description").cloned();
        node.default = map.get("default").cloned();
        node.connect_bytes = map.get("connect.type").and_then(Value::as_str) == Some("bytes");
        id
    }

    /// everit's extractors, in its order (`SchemaLoader.runSchemaExtractors`).
    fn extract(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &'d Map<String, Value>,
        base: &str,
        draft: JsonSchemaDraft,
        parts: &mut Vec<Part>,
    ) {
        if let Some(Value::Array(values)) = map.get("enum") {
            parts.push(Part {
                kind: Kind::Enum(values.clone()),
                tag: "enum",
                reference: None,
            });
        }
        for criterion in [Criterion::All, Criterion::Any, Criterion::One] {
            let keyword = criterion.keyword();
            if let Some(Value::Array(items)) = map.get(keyword) {
                let mut subs = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{pointer}/{keyword}/{i}");
                    subs.push(self.load(doc, p, item, base));
                }
                parts.push(Part {
                    kind: Kind::Combined(criterion, subs),
                    tag: keyword,
                    reference: None,
                });
            }
        }
        if let Some(not) = map.get("not") {
            let sub = self.child(doc, pointer, "not", not, base);
            parts.push(Part {
                kind: Kind::Not(sub),
                tag: "not",
                reference: None,
            });
        }
        if draft != JsonSchemaDraft::Draft4
            && let Some(value) = map.get("const")
        {
            parts.push(Part {
                kind: Kind::Const(value.clone()),
                tag: "const",
                reference: None,
            });
        }
        let mut consumed = Consumed::default();
        match map.get("type") {
            Some(Value::String(t)) => {
                if let Some(kind) = self.typed(doc, pointer, map, base, draft, t, &mut consumed) {
                    parts.push(Part {
                        kind,
                        tag: "type",
                        reference: None,
                    });
                }
            }
            Some(Value::Array(types)) => {
                let mut subs = Vec::with_capacity(types.len());
                for t in types.iter().filter_map(Value::as_str) {
                    if let Some(kind) = self.typed(doc, pointer, map, base, draft, t, &mut consumed)
                    {
                        subs.push(self.push(
                            kind,
                            Src {
                                doc,
                                pointer: pointer.to_owned(),
                                part: type_tag(t),
                            },
                        ));
                    }
                }
                parts.push(Part {
                    kind: Kind::Combined(Criterion::Any, subs),
                    tag: "type",
                    reference: None,
                });
            }
            _ => {}
        }
        // The property sniffer, on the keywords no `type` consumed.
        let has_any = |keywords: &[&str]| keywords.iter().any(|k| map.contains_key(*k));
        if !consumed.array && has_any(array_keywords(draft)) {
            let kind = Kind::Array(Box::new(self.array(doc, pointer, map, base, draft)));
            parts.push(Part {
                kind,
                tag: "sniffed-array",
                reference: None,
            });
        }
        if !consumed.object && has_any(object_keywords(draft)) {
            let kind = Kind::Object(Box::new(self.object(doc, pointer, map, base, draft)));
            parts.push(Part {
                kind,
                tag: "sniffed-object",
                reference: None,
            });
        }
        if !consumed.number && has_any(&NUMBER_KEYWORDS) {
            parts.push(Part {
                kind: Kind::Number(number(map, false, draft)),
                tag: "sniffed-number",
                reference: None,
            });
        }
        if !consumed.string && has_any(&STRING_KEYWORDS) {
            parts.push(Part {
                kind: Kind::String(string(map)),
                tag: "sniffed-string",
                reference: None,
            });
        }
        if !matches!(draft, JsonSchemaDraft::Draft4 | JsonSchemaDraft::Draft6)
            && has_any(&["if", "then", "else"])
        {
            parts.push(Part {
                kind: Kind::Conditional,
                tag: "conditional",
                reference: None,
            });
        }
    }

    /// The schema for one `type` name (everit `TypeBasedSchemaExtractor.loadForExplicitType`).
    #[allow(clippy::too_many_arguments)]
    fn typed(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &'d Map<String, Value>,
        base: &str,
        draft: JsonSchemaDraft,
        name: &str,
        consumed: &mut Consumed,
    ) -> Option<Kind> {
        Some(match name {
            "string" => {
                consumed.string = true;
                Kind::String(string(map))
            }
            "integer" | "number" => {
                consumed.number = true;
                Kind::Number(number(map, name == "integer", draft))
            }
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "array" => {
                consumed.array = true;
                Kind::Array(Box::new(self.array(doc, pointer, map, base, draft)))
            }
            "object" => {
                consumed.object = true;
                Kind::Object(Box::new(self.object(doc, pointer, map, base, draft)))
            }
            _ => return None,
        })
    }

    fn object(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &'d Map<String, Value>,
        base: &str,
        draft: JsonSchemaDraft,
    ) -> ObjectSchema {
        let mut object = ObjectSchema::default();
        if let Some(Value::Object(properties)) = map.get("properties") {
            let p = format!("{pointer}/properties");
            for (name, schema) in properties {
                let id = self.child(doc, &p, name, schema, base);
                object.properties.push((name.clone(), id));
                let has_default = schema
                    .as_object()
                    .is_some_and(|m| m.contains_key("default"));
                object
                    .property_has_default
                    .insert(name.clone(), has_default);
            }
        }
        if let Some(Value::Array(required)) = map.get("required") {
            object.required = required
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        object.additional = self.additional(doc, pointer, map, "additionalProperties", base);
        if let Some(Value::Object(patterns)) = map.get("patternProperties") {
            let p = format!("{pointer}/patternProperties");
            for (pattern, schema) in patterns {
                let id = self.child(doc, &p, pattern, schema, base);
                object.pattern_properties.push((pattern.clone(), id));
            }
        }
        let mut dependency_keywords = vec!["dependencies"];
        if draft.is_modern() {
            dependency_keywords.extend(["dependentRequired", "dependentSchemas"]);
        }
        for keyword in dependency_keywords {
            if let Some(Value::Object(dependencies)) = map.get(keyword) {
                let p = format!("{pointer}/{keyword}");
                for (name, dependency) in dependencies {
                    match dependency {
                        Value::Array(names) => object.property_dependencies.push((
                            name.clone(),
                            names
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect(),
                        )),
                        other => {
                            let id = self.child(doc, &p, name, other, base);
                            object.schema_dependencies.push((name.clone(), id));
                        }
                    }
                }
            }
        }
        object.min_properties = map.get("minProperties").and_then(Value::as_f64);
        object.max_properties = map.get("maxProperties").and_then(Value::as_f64);
        if draft.is_modern()
            && let Some(schema) = map.get("unevaluatedProperties")
        {
            object.unevaluated =
                Some(self.child(doc, pointer, "unevaluatedProperties", schema, base));
        }
        object
    }

    fn array(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &'d Map<String, Value>,
        base: &str,
        draft: JsonSchemaDraft,
    ) -> ArraySchema {
        let mut array = ArraySchema::default();
        let prefix_items = if draft == JsonSchemaDraft::Draft202012 {
            map.get("prefixItems").and_then(Value::as_array)
        } else {
            None
        };
        if let Some(prefix) = prefix_items {
            let p = format!("{pointer}/prefixItems");
            for (i, item) in prefix.iter().enumerate() {
                array
                    .item_schemas
                    .push(self.child(doc, &p, &i.to_string(), item, base));
            }
            // With `prefixItems`, 2020-12 `items` is what `additionalItems` was.
            array.additional = self.additional(doc, pointer, map, "items", base);
        } else {
            match map.get("items") {
                Some(Value::Array(items)) if draft != JsonSchemaDraft::Draft202012 => {
                    let p = format!("{pointer}/items");
                    for (i, item) in items.iter().enumerate() {
                        array
                            .item_schemas
                            .push(self.child(doc, &p, &i.to_string(), item, base));
                    }
                }
                Some(items) => {
                    array.all_items = Some(self.child(doc, pointer, "items", items, base))
                }
                None => {}
            }
            if draft != JsonSchemaDraft::Draft202012 {
                array.additional = self.additional(doc, pointer, map, "additionalItems", base);
            }
        }
        array.min_items = map.get("minItems").and_then(Value::as_f64);
        array.max_items = map.get("maxItems").and_then(Value::as_f64);
        array.unique_items = map
            .get("uniqueItems")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if draft.is_modern() {
            array.min_contains = map.get("minContains").and_then(Value::as_f64);
            array.max_contains = map.get("maxContains").and_then(Value::as_f64);
            if let Some(schema) = map.get("unevaluatedItems") {
                array.unevaluated =
                    Some(self.child(doc, pointer, "unevaluatedItems", schema, base));
            }
        }
        array
    }

    /// `additionalProperties`/`additionalItems`: a boolean sets the permit, anything else is
    /// a schema (so `{}` is a schema, as in everit).
    fn additional(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &'d Map<String, Value>,
        keyword: &str,
        base: &str,
    ) -> Additional {
        match map.get(keyword) {
            None => Additional::default(),
            Some(Value::Bool(permits)) => Additional {
                permits: *permits,
                schema: None,
            },
            Some(schema) => Additional {
                permits: true,
                schema: Some(self.child(doc, pointer, keyword, schema, base)),
            },
        }
    }

    /// The base URI in effect at `pointer` in `doc`: the document's URI and every `$id` on
    /// the way down.
    fn base_at(&self, doc: usize, pointer: &str) -> String {
        let document = &self.docs[doc];
        let mut base = document.uris[0].clone();
        let mut value = &document.value;
        apply_id(&mut base, value, document.draft);
        for segment in pointer.split('/').skip(1) {
            let segment = unescape(segment);
            let next = match value {
                Value::Object(map) => map.get(segment.as_str()),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            let Some(next) = next else {
                break;
            };
            value = next;
            apply_id(&mut base, value, document.draft);
        }
        base
    }

    /// The document and pointer an absolute URI names.
    fn locate(&mut self, uri: &str) -> Option<(usize, String)> {
        let (resource, fragment) = match uri.split_once('#') {
            Some((r, f)) => (r, percent_decode(f)),
            None => (uri, String::new()),
        };
        let index = self.index.get_or_insert_with(|| build_index(self.docs));
        let (doc, base_pointer) = match self
            .docs
            .iter()
            .position(|d| d.uris.iter().any(|u| u == resource))
        {
            Some(doc) => (doc, String::new()),
            None => index.ids.get(resource)?.clone(),
        };
        if fragment.is_empty() {
            Some((doc, base_pointer))
        } else if fragment.starts_with('/') {
            Some((doc, format!("{base_pointer}{fragment}")))
        } else {
            index
                .anchors
                .get(&format!("{resource}#{fragment}"))
                .cloned()
        }
    }
}

#[derive(Debug, Default)]
struct Consumed {
    string: bool,
    number: bool,
    array: bool,
    object: bool,
}

fn type_tag(name: &str) -> &'static str {
    match name {
        "string" => "type:string",
        "integer" => "type:integer",
        "number" => "type:number",
        "boolean" => "type:boolean",
        "null" => "type:null",
        "array" => "type:array",
        "object" => "type:object",
        _ => "type:other",
    }
}

fn string(map: &Map<String, Value>) -> StringSchema {
    StringSchema {
        min_length: map.get("minLength").and_then(Value::as_f64),
        max_length: map.get("maxLength").and_then(Value::as_f64),
        pattern: map
            .get("pattern")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

fn number(map: &Map<String, Value>, integer: bool, draft: JsonSchemaDraft) -> NumberSchema {
    let limit = |k: &str| map.get(k).and_then(Value::as_f64);
    let exclusive = |k: &str| {
        if draft == JsonSchemaDraft::Draft4 {
            None
        } else {
            limit(k)
        }
    };
    NumberSchema {
        integer,
        minimum: limit("minimum"),
        maximum: limit("maximum"),
        exclusive_minimum: exclusive("exclusiveMinimum"),
        exclusive_maximum: exclusive("exclusiveMaximum"),
        multiple_of: limit("multipleOf"),
    }
}

/// Applies the identifier ([`JsonSchemaDraft::id_keyword`]) of `value`, if it is a schema
/// object with a non-anchor one.
fn apply_id(base: &mut String, value: &Value, draft: JsonSchemaDraft) {
    if let Some(id) = value.get(draft.id_keyword()).and_then(Value::as_str)
        && !id.starts_with('#')
        && let Some(resolved) = resolve_uri(base, id)
    {
        *base = strip_fragment(&resolved).to_owned();
    }
}

/// Every `$id` and anchor of every document, by absolute URI.
fn build_index(docs: &[Doc]) -> Index {
    let mut index = Index::default();
    for (doc, document) in docs.iter().enumerate() {
        let mut pointer = String::new();
        index_value(
            &mut index,
            doc,
            &document.value,
            document.draft,
            &document.uris[0],
            &mut pointer,
        );
    }
    index
}

fn index_value(
    index: &mut Index,
    doc: usize,
    value: &Value,
    draft: JsonSchemaDraft,
    base: &str,
    pointer: &mut String,
) {
    match value {
        Value::Object(map) => {
            let mut base = base.to_owned();
            if let Some(id) = map.get(draft.id_keyword()).and_then(Value::as_str) {
                if let Some(anchor) = id.strip_prefix('#') {
                    if !draft.is_modern() && !anchor.is_empty() {
                        index.anchors.insert(
                            format!("{}#{anchor}", strip_fragment(&base)),
                            (doc, pointer.clone()),
                        );
                    }
                } else if let Some(resolved) = resolve_uri(&base, id) {
                    let resource = strip_fragment(&resolved).to_owned();
                    if let Some((_, anchor)) = resolved.split_once('#')
                        && !anchor.is_empty()
                    {
                        index
                            .anchors
                            .insert(resolved.clone(), (doc, pointer.clone()));
                    }
                    index
                        .ids
                        .entry(resource.clone())
                        .or_insert_with(|| (doc, pointer.clone()));
                    base = resource;
                }
            }
            if draft.is_modern() {
                for keyword in ["$anchor", "$dynamicAnchor"] {
                    if let Some(anchor) = map.get(keyword).and_then(Value::as_str) {
                        index
                            .anchors
                            .entry(format!("{}#{anchor}", strip_fragment(&base)))
                            .or_insert_with(|| (doc, pointer.clone()));
                    }
                }
            }
            for (key, child) in map {
                if matches!(key.as_str(), "enum" | "const" | "examples" | "default") {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(key));
                index_value(index, doc, child, draft, &base, pointer);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                index_value(index, doc, child, draft, base, pointer);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Escapes a JSON pointer segment (RFC 6901).
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Decodes `%XX` escapes of a URI fragment.
fn percent_decode(fragment: &str) -> String {
    percent_encoding::percent_decode_str(fragment)
        .decode_utf8_lossy()
        .into_owned()
}
