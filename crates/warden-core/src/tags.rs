//! Schema tags: tags written inside a schema's text on a record (message) or a field, as
//! Confluent's `ParsedSchema.copy(tagsToAdd, tagsToRemove)` edits them and
//! `ParsedSchema.inlineTaggedEntities()` reads them back.
//!
//! - Avro: a `"confluent:tags": [...]` property on a record or a field (`AvroSchema.TAGS`);
//!   records found as `AvroSchemaUtils.findMatchingEntity` finds them.
//! - JSON Schema: a `"confluent:tags"` keyword on an object schema or a property
//!   (`JsonSchema.TAGS`); entities named by paths such as `object.properties`'s
//!   `object.address.object.zip` (`JsonSchemaUtils.findMatchingEntity`).
//! - Protobuf: `tags` of the `(confluent.message_meta)` and `(confluent.field_meta)` options
//!   (`ProtobufSchema.modifySchemaTags`), in [`crate::protobuf::tags`].
//!
//! An entity path that names nothing is Confluent's `IllegalArgumentException`, which its
//! REST layer answers as an invalid schema (42201) with the exception's `toString()`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::SchemaType;

/// The key of a tag in Avro and JSON Schema text (`AvroSchema.TAGS`, `JsonSchema.TAGS`).
pub const TAGS: &str = "confluent:tags";

/// What a tag is attached to (Confluent's `SchemaEntity.EntityType`, written `sr_record` and
/// `sr_field`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityType {
    /// A record (Avro), an object schema (JSON Schema) or a message (Protobuf).
    #[serde(rename = "sr_record")]
    Record,
    /// A field (Avro, Protobuf) or a property (JSON Schema).
    #[serde(rename = "sr_field")]
    Field,
}

/// A record or field of a schema (Confluent's `SchemaEntity`). Two entities are the same
/// when their types and their paths without a leading `.` are (`getNormalizedPath`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaEntity {
    /// The path: `ns.Record` or `ns.Record.field` (Avro), `Message.field` (Protobuf,
    /// without the package), `object.field` (JSON Schema).
    pub entity_path: String,
    /// `sr_record` or `sr_field`; absent is read as a field, as Confluent's lookups do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<EntityType>,
}

impl SchemaEntity {
    /// A record entity.
    pub fn record(path: impl Into<String>) -> Self {
        Self {
            entity_path: path.into(),
            entity_type: Some(EntityType::Record),
        }
    }

    /// A field entity.
    pub fn field(path: impl Into<String>) -> Self {
        Self {
            entity_path: path.into(),
            entity_type: Some(EntityType::Field),
        }
    }

    /// The path without a leading `.` (`SchemaEntity.getNormalizedPath`).
    pub fn normalized_path(&self) -> &str {
        self.entity_path
            .strip_prefix('.')
            .unwrap_or(&self.entity_path)
    }

    fn is_record(&self) -> bool {
        self.entity_type == Some(EntityType::Record)
    }
}

impl PartialEq for SchemaEntity {
    fn eq(&self, other: &Self) -> bool {
        self.normalized_path() == other.normalized_path() && self.entity_type == other.entity_type
    }
}

impl Eq for SchemaEntity {}

/// Tags of one entity (Confluent's `SchemaTags`): in requests (`tagsToAdd`,
/// `schemaTagsToAdd`…) and in the `schemaTags` of reads with `findTags`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaTags {
    /// The entity.
    pub schema_entity: SchemaEntity,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// Tags by entity, in first-seen order, an entity named twice gathering its tags
/// (`TagSchemaRequest.schemaTagsListToMap`: a `LinkedHashMap` of `LinkedHashSet`s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagMap(Vec<(SchemaEntity, Vec<String>)>);

impl TagMap {
    /// Gathers a request's list.
    pub fn from_list(list: &[SchemaTags]) -> Self {
        let mut map = Self::default();
        for item in list {
            map.add(&item.schema_entity, &item.tags);
        }
        map
    }

    pub(crate) fn add(&mut self, entity: &SchemaEntity, tags: &[String]) {
        let slot = match self.0.iter().position(|(e, _)| e == entity) {
            Some(i) => i,
            None => {
                self.0.push((entity.clone(), Vec::new()));
                self.0.len() - 1
            }
        };
        let set = &mut self.0[slot].1;
        for tag in tags {
            if !set.contains(tag) {
                set.push(tag.clone());
            }
        }
    }

    /// No entity.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entities and their tags, in order.
    pub fn entries(&self) -> &[(SchemaEntity, Vec<String>)] {
        &self.0
    }

    pub(crate) fn get(&self, entity: &SchemaEntity) -> Option<&[String]> {
        self.0
            .iter()
            .find(|(e, _)| e == entity)
            .map(|(_, t)| t.as_slice())
    }

    /// The entities of `add` then those of `remove` not in `add` (the order Confluent's
    /// `modifySchemaTags` visits them).
    pub(crate) fn entities_of(add: &Self, remove: &Self) -> Vec<SchemaEntity> {
        let mut out: Vec<SchemaEntity> = Vec::new();
        for (e, _) in add.0.iter().chain(remove.0.iter()) {
            if !out.contains(e) {
                out.push(e.clone());
            }
        }
        out
    }

    /// The entities and tags as Confluent answers them (`schemaTags`).
    pub fn into_list(self) -> Vec<SchemaTags> {
        self.0
            .into_iter()
            .map(|(schema_entity, tags)| SchemaTags {
                schema_entity,
                tags,
            })
            .collect()
    }

    /// Only the entities carrying one of `tags`, or all with `*` (`extractSchemaTags`).
    pub fn matching(self, tags: &[String]) -> Self {
        if tags.iter().any(|t| t == "*") {
            return self;
        }
        Self(
            self.0
                .into_iter()
                .filter(|(_, t)| t.iter().any(|t| tags.contains(t)))
                .collect(),
        )
    }
}

/// Why tags could not be applied: the message Confluent answers (42201), the Java
/// exception's `toString()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagError(pub String);

impl std::fmt::Display for TagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TagError {}

impl TagError {
    /// Java's `IllegalArgumentException` with this message.
    pub(crate) fn illegal_argument(message: impl std::fmt::Display) -> Self {
        Self(format!("java.lang.IllegalArgumentException: {message}"))
    }

    fn no_matching_path(entity: &SchemaEntity) -> Self {
        Self::illegal_argument(format!(
            "No matching path '{}' found in the schema",
            entity.entity_path
        ))
    }
}

/// Java's `String.split("\\.")`: trailing empty strings dropped, `""` is `[""]`.
pub(crate) fn java_split_dots(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return vec![""];
    }
    let mut parts: Vec<&str> = s.split('.').collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() {
        // "." and ".." split to nothing at all in Java.
        return Vec::new();
    }
    parts
}

/// Java's `String.hashCode`.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The order a `java.util.HashMap` of these distinct keys (given in insertion order)
/// iterates them: by bucket (`(h ^ h >>> 16) & (n - 1)` for the table size `n` its size
/// grew to), then in insertion order within a bucket.
pub(crate) fn java_hash_map_order<T>(entries: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut n: usize = 16;
    while entries.len() > n * 3 / 4 {
        n *= 2;
    }
    let mut keyed: Vec<(usize, usize, (String, T))> = entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let h = java_hash(&e.0) as u32;
            let bucket = ((h ^ (h >> 16)) as usize) & (n - 1);
            (bucket, i, e)
        })
        .collect();
    keyed.sort_by_key(|(bucket, i, _)| (*bucket, *i));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

/// Applies tags to a schema's text (`ParsedSchema.copy(tagsToAdd, tagsToRemove)`, adding
/// before removing): for each entity of `add` then of `remove`, its tags are those written
/// plus the added ones, less the removed ones; no tag left removes the tags altogether.
/// `text` is the schema's canonical text; the answer is the new text, to be registered.
///
/// Errors: an entity the schema does not have ([`TagError`]).
pub fn apply(
    schema_type: SchemaType,
    text: &str,
    add: &TagMap,
    remove: &TagMap,
) -> Result<String, TagError> {
    match schema_type {
        SchemaType::Avro | SchemaType::Json => {
            let mut root: Value = serde_json::from_str(text)
                .map_err(|e| TagError(format!("Invalid schema text: {e}")))?;
            for entity in TagMap::entities_of(add, remove) {
                let node = if schema_type == SchemaType::Avro {
                    avro_entity(&mut root, &entity)?
                } else {
                    json_entity(&mut root, &entity)?
                };
                let mut tags = inline_tags(node);
                for t in add.get(&entity).unwrap_or_default() {
                    if !tags.contains(t) {
                        tags.push(t.clone());
                    }
                }
                let removed = remove.get(&entity).unwrap_or_default();
                tags.retain(|t| !removed.contains(t));
                let Value::Object(map) = node else {
                    return Err(TagError::no_matching_path(&entity));
                };
                if tags.is_empty() {
                    map.shift_remove(TAGS);
                } else {
                    let list = Value::Array(tags.into_iter().map(Value::String).collect());
                    match map.get_mut(TAGS) {
                        Some(slot) => *slot = list,
                        None => {
                            map.insert(TAGS.to_owned(), list);
                        }
                    }
                }
            }
            Ok(root.to_string())
        }
        SchemaType::Protobuf => crate::protobuf::tags::apply(text, add, remove),
    }
}

/// The tagged entities of a schema's canonical text, in Confluent's order
/// (`ParsedSchema.inlineTaggedEntities`). A text that does not read answers none.
pub fn tagged_entities(schema_type: SchemaType, text: &str) -> TagMap {
    let mut out = TagMap::default();
    match schema_type {
        SchemaType::Avro => {
            if let Ok(root) = serde_json::from_str::<Value>(text) {
                avro_tagged(&root, None, &mut Vec::new(), &mut out);
            }
        }
        SchemaType::Json => {
            if let Ok(root) = serde_json::from_str::<Value>(text) {
                json_tagged(&root, "", false, &mut Vec::new(), &mut out);
            }
        }
        SchemaType::Protobuf => crate::protobuf::tags::tagged_entities(text, &mut out),
    }
    out
}

/// The tags written on a node (`getInlineTags(JsonNode)`: each element's `asText()`).
fn inline_tags(node: &Value) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    if let Some(Value::Array(items)) = node.get(TAGS) {
        for item in items {
            let text = match item {
                Value::String(s) => s.clone(),
                Value::Array(_) | Value::Object(_) => String::new(),
                other => other.to_string(),
            };
            if !tags.contains(&text) {
                tags.push(text);
            }
        }
    }
    tags
}

/// The tags of a parsed schema's property (`getObjectProp(TAGS)` when it is a list).
fn prop_tags(map: &Map<String, Value>) -> Vec<String> {
    match map.get(TAGS) {
        Some(Value::Array(_)) => inline_tags(&Value::Object(map.clone())),
        _ => Vec::new(),
    }
}

// ------------------------------------------------------------------------------------- Avro

/// `AvroSchemaUtils.findMatchingEntity`: a breadth-first search from the root for a record
/// named by the path's last (record) or second-to-last (field) part, in the root's namespace
/// when the path has more parts (any namespace otherwise).
fn avro_entity<'a>(root: &'a mut Value, entity: &SchemaEntity) -> Result<&'a mut Value, TagError> {
    let ids = java_split_dots(&entity.entity_path);
    let cut = if entity.is_record() { 1 } else { 2 };
    if ids.len() < cut {
        return Err(TagError::illegal_argument(format!(
            "0 > {}",
            ids.len() as i64 - cut as i64
        )));
    }
    let namespace = ids[..ids.len() - cut].join(".");
    let record_name = ids[ids.len() - cut];
    let field_name = (!entity.is_record()).then(|| ids[ids.len() - 1]);
    let root_ns = root.get("namespace").map(|v| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
    });
    // Pointers (JSON pointer paths) to visit; the namespace never changes from the root's.
    let mut queue: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    queue.push_back(String::new());
    let ns_matches = namespace.is_empty() || Some(namespace.as_str()) == root_ns.as_deref();
    while let Some(ptr) = queue.pop_front() {
        let Some(node) = root.pointer(&ptr) else {
            continue;
        };
        let Some(ty) = node.get("type").filter(|_| node.is_object()) else {
            // A union (or a name): its elements.
            if let Value::Array(items) = node {
                for i in 0..items.len() {
                    queue.push_back(format!("{ptr}/{i}"));
                }
            }
            continue;
        };
        let ty = ty.as_str().map(str::to_owned).unwrap_or_default();
        match ty.as_str() {
            "record" => {
                let name = node.get("name").and_then(Value::as_str).unwrap_or_default();
                if ns_matches && name == record_name {
                    let Some(field_name) = field_name else {
                        return Ok(root.pointer_mut(&ptr).expect("visited"));
                    };
                    let fields = node.get("fields").and_then(Value::as_array);
                    if let Some(i) = fields.and_then(|f| {
                        f.iter().position(|fl| {
                            fl.get("name").and_then(Value::as_str) == Some(field_name)
                        })
                    }) {
                        return Ok(root
                            .pointer_mut(&format!("{ptr}/fields/{i}"))
                            .expect("visited"));
                    }
                } else if let Some(fields) = node.get("fields").and_then(Value::as_array) {
                    for i in 0..fields.len() {
                        queue.push_back(format!("{ptr}/fields/{i}"));
                    }
                }
            }
            "array" => queue.push_back(format!("{ptr}/items")),
            "map" => queue.push_back(format!("{ptr}/values")),
            _ => queue.push_back(format!("{ptr}/type")),
        }
    }
    Err(TagError::no_matching_path(entity))
}

/// `AvroSchema.getInlineTaggedEntitiesRecursively` over the JSON: records by full name
/// (each once), their tags, then each field's tags and type.
fn avro_tagged(node: &Value, enclosing: Option<&str>, seen: &mut Vec<String>, out: &mut TagMap) {
    match node {
        Value::Array(items) => {
            for item in items {
                avro_tagged(item, enclosing, seen, out);
            }
        }
        Value::Object(map) => match map.get("type") {
            Some(Value::String(t)) if t == "record" || t == "error" => {
                let ns = crate::avro::full_namespace(map, enclosing);
                let name = map.get("name").and_then(Value::as_str).unwrap_or_default();
                let short = name.rsplit('.').next().unwrap_or(name);
                let full = crate::avro::qualify(short, ns.as_deref());
                if seen.contains(&full) {
                    return;
                }
                seen.push(full.clone());
                let tags = prop_tags(map);
                if !tags.is_empty() {
                    out.add(&SchemaEntity::record(full.clone()), &tags);
                }
                for field in map
                    .get("fields")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Value::Object(f) = field else { continue };
                    let tags = prop_tags(f);
                    let fname = f.get("name").and_then(Value::as_str).unwrap_or_default();
                    if !tags.is_empty() {
                        out.add(&SchemaEntity::field(format!("{full}.{fname}")), &tags);
                    }
                    if let Some(t) = f.get("type") {
                        avro_tagged(t, ns.as_deref(), seen, out);
                    }
                }
            }
            Some(Value::String(t)) if t == "array" => {
                if let Some(items) = map.get("items") {
                    avro_tagged(items, enclosing, seen, out);
                }
            }
            Some(Value::String(t)) if t == "map" => {
                if let Some(values) = map.get("values") {
                    avro_tagged(values, enclosing, seen, out);
                }
            }
            // `{"type": {...}}` wraps a type.
            Some(inner @ (Value::Object(_) | Value::Array(_))) => {
                avro_tagged(inner, enclosing, seen, out);
            }
            _ => {}
        },
        _ => {}
    }
}

// ------------------------------------------------------------------------------ JSON Schema

/// `JsonSchemaUtils.findMatchingEntity`.
fn json_entity<'a>(root: &'a mut Value, entity: &SchemaEntity) -> Result<&'a mut Value, TagError> {
    let mut ids: std::collections::VecDeque<String> = java_split_dots(&entity.entity_path)
        .into_iter()
        .map(str::to_owned)
        .collect();
    match json_find(root, "", entity.is_record(), &mut ids)? {
        Some(ptr) => root
            .pointer_mut(&ptr)
            .filter(|v| v.is_object())
            .ok_or_else(|| TagError::no_matching_path(entity)),
        None => Err(TagError::no_matching_path(entity)),
    }
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `findNodeFromNameBuilder`: the child of `ptr` named by the next parts, joined with dots
/// until the node has such a key.
fn json_child(
    root: &Value,
    ptr: &str,
    ids: &mut std::collections::VecDeque<String>,
) -> Option<String> {
    let node = root.pointer(ptr)?;
    let mut name = ids.pop_front()?;
    while node.get(&name).is_none() && !ids.is_empty() {
        name.push('.');
        name.push_str(&ids.pop_front()?);
    }
    node.get(&name)?;
    Some(format!("{ptr}/{}", escape_pointer(&name)))
}

/// `findNodeHelper`: the JSON pointer of the entity, following the path's words.
fn json_find(
    root: &Value,
    ptr: &str,
    record: bool,
    ids: &mut std::collections::VecDeque<String>,
) -> Result<Option<String>, TagError> {
    let Some(word) = ids.pop_front() else {
        return Ok(None);
    };
    let Some(node) = root.pointer(ptr) else {
        return Ok(None);
    };
    match word.as_str() {
        "object" => {
            if record && ids.is_empty() {
                return Ok(Some(ptr.to_owned()));
            }
            let Some(next) = ids.front() else {
                return Ok(None);
            };
            let container = match next.as_str() {
                "definitions" | "$defs" => {
                    let key = ids.pop_front().unwrap_or_default();
                    format!("{ptr}/{}", escape_pointer(&key))
                }
                _ => format!("{ptr}/properties"),
            };
            let found = json_child(root, &container, ids);
            match found {
                Some(p) if !ids.is_empty() => json_find(root, &p, record, ids),
                other => Ok(other),
            }
        }
        "array" => json_find(root, &format!("{ptr}/items"), record, ids),
        "anyof" => {
            if node.get("anyOf").is_some() {
                return json_index(root, ptr, "anyOf", record, ids);
            }
            // `"type": ["null", "object"]`: the same node.
            ids.pop_front();
            json_find(root, ptr, record, ids)
        }
        "allof" => {
            if node.get("allOf").is_some() {
                return json_index(root, ptr, "allOf", record, ids);
            }
            ids.pop_front();
            if ids.front().map(String::as_str) == Some("conditional") {
                ids.pop_front();
                let branch = ids.pop_front().unwrap_or_default();
                json_find(
                    root,
                    &format!("{ptr}/{}", escape_pointer(&branch)),
                    record,
                    ids,
                )
            } else {
                json_find(root, ptr, record, ids)
            }
        }
        "oneof" => json_index(root, ptr, "oneOf", record, ids),
        "not" => json_find(root, &format!("{ptr}/not"), record, ids),
        _ => Ok(None),
    }
}

/// `findSubSchemasFromIndex`: the subschema at the path's index. Confluent sorts the
/// subschemas with its `JsonNodeComparator` first; Warden takes them as written.
fn json_index(
    root: &Value,
    ptr: &str,
    keyword: &str,
    record: bool,
    ids: &mut std::collections::VecDeque<String>,
) -> Result<Option<String>, TagError> {
    let Some(index) = ids.pop_front() else {
        return Ok(None);
    };
    let i: usize = index.parse().map_err(|_| {
        TagError(format!(
            "java.lang.NumberFormatException: For input string: \"{index}\""
        ))
    })?;
    let len = root
        .pointer(&format!("{ptr}/{keyword}"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if i >= len {
        return Ok(None);
    }
    json_find(root, &format!("{ptr}/{keyword}/{i}"), record, ids)
}

/// `JsonSchema.getInlineTaggedEntitiesRecursively` over the JSON: combined schemas by
/// criterion and index, arrays by `array`, object schemas by `object` (each scope once),
/// their tags unless the object is a property's, each property's tags, then the
/// `definitions` and `$defs`; `not` and `if`/`then`/`else` by their names. Properties and
/// definitions come in the order of Java's `HashMap`s that hold them in Confluent.
fn json_tagged(
    node: &Value,
    scope: &str,
    in_field: bool,
    seen: &mut Vec<String>,
    out: &mut TagMap,
) {
    let Value::Object(map) = node else {
        return;
    };
    for (keyword, criterion) in [("allOf", "allof"), ("anyOf", "anyof"), ("oneOf", "oneof")] {
        if let Some(Value::Array(subs)) = map.get(keyword) {
            let scoped = format!("{scope}{criterion}");
            for (i, sub) in subs.iter().enumerate() {
                json_tagged(sub, &format!("{scoped}.{i}."), false, seen, out);
            }
            return;
        }
    }
    let ty = map.get("type").and_then(Value::as_str);
    if ty == Some("array") || (ty.is_none() && map.contains_key("items")) {
        if let Some(items) = map.get("items") {
            json_tagged(items, &format!("{scope}array."), false, seen, out);
        }
    } else if ty == Some("object") || (ty.is_none() && map.contains_key("properties")) {
        let scoped = format!("{scope}object");
        if seen.contains(&scoped) {
            return;
        }
        seen.push(scoped.clone());
        if !in_field {
            let tags = prop_tags(map);
            if !tags.is_empty() {
                out.add(&SchemaEntity::record(scoped.clone()), &tags);
            }
        }
        let properties: Vec<(String, &Value)> = map
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v)).collect())
            .unwrap_or_default();
        for (name, property) in java_hash_map_order(properties) {
            let scoped_property = format!("{scoped}.{name}");
            if let Value::Object(p) = property {
                let tags = prop_tags(p);
                if !tags.is_empty() {
                    out.add(&SchemaEntity::field(scoped_property.clone()), &tags);
                }
            }
            json_tagged(property, &format!("{scoped_property}."), true, seen, out);
        }
        for keyword in ["definitions", "$defs"] {
            let defs: Vec<(String, &Value)> = map
                .get(keyword)
                .and_then(Value::as_object)
                .map(|d| d.iter().map(|(k, v)| (k.clone(), v)).collect())
                .unwrap_or_default();
            for (name, def) in java_hash_map_order(defs) {
                json_tagged(
                    def,
                    &format!("{scoped}.{keyword}.{name}."),
                    false,
                    seen,
                    out,
                );
            }
        }
    } else if map.contains_key("if") {
        let scoped = format!("{scope}conditional");
        for branch in ["if", "then", "else"] {
            if let Some(sub) = map.get(branch) {
                json_tagged(sub, &format!("{scoped}.{branch}."), false, seen, out);
            }
        }
    } else if let Some(sub) = map.get("not") {
        json_tagged(sub, &format!("{scope}not."), false, seen, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entity: SchemaEntity, tags: &[&str]) -> TagMap {
        TagMap::from_list(&[SchemaTags {
            schema_entity: entity,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }])
    }

    #[test]
    fn avro_record_and_field_tags_are_added_and_removed() {
        let text =
            r#"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}]}"#;
        let tagged = apply(
            SchemaType::Avro,
            text,
            &map(SchemaEntity::record("myrecord"), &["TAG1", "TAG2"]),
            &TagMap::default(),
        )
        .unwrap();
        assert_eq!(
            tagged,
            r#"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}],"confluent:tags":["TAG1","TAG2"]}"#
        );
        let untagged = apply(
            SchemaType::Avro,
            &tagged,
            &TagMap::default(),
            &map(SchemaEntity::record("myrecord"), &["TAG1", "TAG2"]),
        )
        .unwrap();
        assert_eq!(untagged, text);
        let field = apply(
            SchemaType::Avro,
            text,
            &map(SchemaEntity::field("myrecord.f1"), &["PII"]),
            &TagMap::default(),
        )
        .unwrap();
        assert_eq!(
            tagged_entities(SchemaType::Avro, &field).into_list(),
            vec![SchemaTags {
                schema_entity: SchemaEntity::field("myrecord.f1"),
                tags: vec!["PII".into()]
            }]
        );
        assert_eq!(
            apply(
                SchemaType::Avro,
                text,
                &map(SchemaEntity::field("does.not.exist"), &["X"]),
                &TagMap::default()
            ),
            Err(TagError(
                "java.lang.IllegalArgumentException: No matching path 'does.not.exist' found \
                 in the schema"
                    .into()
            ))
        );
    }

    #[test]
    fn json_property_tags_follow_confluents_paths() {
        let text = r#"{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string"}}}}}"#;
        let tagged = apply(
            SchemaType::Json,
            text,
            &map(SchemaEntity::field("object.a.object.b"), &["PII"]),
            &map(SchemaEntity::record("object"), &["NONE"]),
        )
        .unwrap();
        assert_eq!(
            tagged,
            r#"{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string","confluent:tags":["PII"]}}}}}"#
        );
        assert_eq!(
            tagged_entities(SchemaType::Json, &tagged).into_list(),
            vec![SchemaTags {
                schema_entity: SchemaEntity::field("object.a.object.b"),
                tags: vec!["PII".into()]
            }]
        );
    }

    #[test]
    fn entities_are_the_same_without_a_leading_dot() {
        let list = [
            SchemaTags {
                schema_entity: SchemaEntity::field("M.f"),
                tags: vec!["A".into()],
            },
            SchemaTags {
                schema_entity: SchemaEntity::field(".M.f"),
                tags: vec!["B".into(), "A".into()],
            },
        ];
        let map = TagMap::from_list(&list);
        assert_eq!(map.entries().len(), 1);
        assert_eq!(map.entries()[0].0.entity_path, "M.f");
        assert_eq!(map.entries()[0].1, vec!["A".to_owned(), "B".to_owned()]);
    }

    #[test]
    fn java_hash_map_order_is_by_bucket() {
        // "b" (98) and "a" (97) fall in buckets 2 and 1.
        let order: Vec<String> = java_hash_map_order(vec![("b".into(), ()), ("a".into(), ())])
            .into_iter()
            .map(|(k, ())| k)
            .collect();
        assert_eq!(order, vec!["a".to_owned(), "b".to_owned()]);
    }
}
