//! Schema tags in `.proto` text: the `tags` of `(confluent.message_meta)` on a message and of
//! `(confluent.field_meta)` on a field, edited as Confluent's
//! `ProtobufSchema.modifySchemaTags` edits its `ProtoFileElement` and read as
//! `ProtobufSchema.inlineTaggedEntities` reads them. Entity paths name messages from the
//! file's top level without the package (`Outer.Inner.field`); a oneof's field may be named
//! through the oneof (`Message.choice.field`) or directly.

use std::collections::HashMap;

use super::wire::{self, MessageElement, OptionElement, TypeElement, Value};
use crate::tags::{SchemaEntity, TagError, TagMap, java_hash_map_order, java_split_dots};

/// `ProtobufSchema.CONFLUENT_MESSAGE_META`.
const MESSAGE_META: &str = "confluent.message_meta";
/// `ProtobufSchema.CONFLUENT_FIELD_META`.
const FIELD_META: &str = "confluent.field_meta";
/// `ProtobufSchema.TAGS_FIELD`.
const TAGS_FIELD: &str = "tags";

/// Where an entity is: the message chain by index among each level's types, and for a
/// field its oneof (if any) and index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Location {
    messages: Vec<usize>,
    field: Option<(Option<usize>, usize)>,
}

fn message_at<'a>(types: &'a [TypeElement], name: &str) -> Option<(usize, &'a MessageElement)> {
    types.iter().enumerate().find_map(|(i, t)| match t {
        TypeElement::Message(m) if m.name == name => Some((i, m)),
        _ => None,
    })
}

/// `ProtobufSchemaUtils.findMatchingElement`.
fn locate(
    file: &wire::ProtoFileElement,
    ids: &[&str],
    field_path: bool,
) -> Result<Location, TagError> {
    let end = if field_path {
        ids.len().saturating_sub(1)
    } else {
        ids.len()
    };
    let mut messages = Vec::new();
    let mut current: Option<&MessageElement> = None;
    let mut i = 0;
    while i < end {
        let target = ids[i];
        let types = match current {
            None => &file.types,
            Some(m) => &m.nested,
        };
        match message_at(types, target) {
            Some((index, m)) => {
                messages.push(index);
                current = Some(m);
            }
            None if i == end - 1 && field_path => break,
            None => {
                return Err(TagError::illegal_argument(format!(
                    "No matching Message with name '{target}' found in the schema"
                )));
            }
        }
        i += 1;
    }
    if !field_path {
        return Ok(Location {
            messages,
            field: None,
        });
    }
    let field_name = ids.last().copied().unwrap_or_default();
    let no_field = || {
        TagError::illegal_argument(format!(
            "No matching Field with name '{field_name}' found in the schema"
        ))
    };
    let message = current.ok_or_else(no_field)?;
    if i == end {
        if let Some(f) = message.fields.iter().position(|f| f.name == field_name) {
            return Ok(Location {
                messages,
                field: Some((None, f)),
            });
        }
        for (o, oneof) in message.oneofs.iter().enumerate() {
            if let Some(f) = oneof.fields.iter().position(|f| f.name == field_name) {
                return Ok(Location {
                    messages,
                    field: Some((Some(o), f)),
                });
            }
        }
    } else if let Some(o) = message.oneofs.iter().rposition(|o| o.name == ids[i])
        && let Some(f) = message.oneofs[o]
            .fields
            .iter()
            .position(|f| f.name == field_name)
    {
        return Ok(Location {
            messages,
            field: Some((Some(o), f)),
        });
    }
    Err(no_field())
}

/// The options of the element at `location`.
fn options_mut<'a>(
    file: &'a mut wire::ProtoFileElement,
    location: &Location,
) -> Option<&'a mut Vec<OptionElement>> {
    let mut types = &mut file.types;
    let (last, chain) = location.messages.split_last()?;
    for &i in chain {
        match types.get_mut(i)? {
            TypeElement::Message(m) => types = &mut m.nested,
            TypeElement::Enum(_) => return None,
        }
    }
    let TypeElement::Message(message) = types.get_mut(*last)? else {
        return None;
    };
    match location.field {
        None => Some(&mut message.options),
        Some((None, f)) => Some(&mut message.fields.get_mut(f)?.options),
        Some((Some(o), f)) => Some(&mut message.oneofs.get_mut(o)?.fields.get_mut(f)?.options),
    }
}

fn options_of<'a>(
    file: &'a wire::ProtoFileElement,
    location: &Location,
) -> Option<&'a [OptionElement]> {
    let mut types = &file.types;
    let (last, chain) = location.messages.split_last()?;
    for &i in chain {
        match types.get(i)? {
            TypeElement::Message(m) => types = &m.nested,
            TypeElement::Enum(_) => return None,
        }
    }
    let TypeElement::Message(message) = types.get(*last)? else {
        return None;
    };
    match location.field {
        None => Some(&message.options),
        Some((None, f)) => Some(&message.fields.get(f)?.options),
        Some((Some(o), f)) => Some(&message.oneofs.get(o)?.fields.get(f)?.options),
    }
}

/// `ProtobufSchema.transformOptionMap`: `(a).b.c = v` as the map `{ b: { c: v } }`.
fn option_map(inner: &OptionElement) -> Value {
    let value = match &inner.value {
        Value::Option(deeper) => option_map(deeper),
        other => other.clone(),
    };
    Value::Map(vec![(inner.name.clone(), value)])
}

/// `ProtobufSchema.transform`: an option of kind OPTION as a map.
fn transform(option: &OptionElement) -> OptionElement {
    match &option.value {
        Value::Option(inner) => OptionElement {
            name: option.name.clone(),
            value: option_map(inner),
            parenthesized: option.parenthesized,
        },
        _ => option.clone(),
    }
}

fn items(value: &Value) -> Vec<Value> {
    match value {
        Value::List(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// `ProtobufSchema.merge`: two maps merged key by key, a key in both gathering the values of
/// both (each once); otherwise the later option wins.
fn merge(existing: &OptionElement, replacement: &OptionElement) -> OptionElement {
    let replacement = transform(replacement);
    match (&existing.value, &replacement.value) {
        (Value::Map(old), Value::Map(new)) => {
            let mut merged = old.clone();
            for (key, value) in new {
                match merged.iter_mut().find(|(k, _)| k == key) {
                    Some((_, slot)) => {
                        let mut set: Vec<Value> = Vec::new();
                        for v in items(slot).into_iter().chain(items(value)) {
                            if !set.contains(&v) {
                                set.push(v);
                            }
                        }
                        *slot = Value::List(set);
                    }
                    None => merged.push((key.clone(), value.clone())),
                }
            }
            OptionElement {
                name: replacement.name.clone(),
                value: Value::Map(merged),
                parenthesized: replacement.parenthesized,
            }
        }
        _ => replacement,
    }
}

/// `ProtobufSchema.mergeOptions`: options by name (a leading `.` dropped), merged, in the
/// order of the Java `HashMap` that holds them.
fn merge_options(options: &[OptionElement]) -> Vec<(String, OptionElement)> {
    let mut merged: Vec<(String, OptionElement)> = Vec::new();
    for option in options {
        let key = option
            .name
            .strip_prefix('.')
            .unwrap_or(&option.name)
            .to_owned();
        match merged.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = merge(slot, option),
            None => merged.push((key, transform(option))),
        }
    }
    java_hash_map_order(merged)
}

/// The tags of a merged meta option (`findTags`: a list, or one value).
fn meta_tags(meta: &OptionElement) -> Vec<String> {
    let field = match &meta.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k == TAGS_FIELD)
            .map(|(_, v)| v),
        _ => None,
    };
    let text = |v: &Value| match v {
        Value::Str(s) => s.clone(),
        Value::Prim(_, t) => t.clone(),
        other => format!("{other:?}"),
    };
    let mut out: Vec<String> = Vec::new();
    for v in field.map(items).unwrap_or_default() {
        let t = text(&v);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn tags_of(meta_name: &str, options: &[OptionElement]) -> Vec<String> {
    merge_options(options)
        .iter()
        .find(|(k, _)| k == meta_name)
        .map(|(_, o)| meta_tags(o))
        .unwrap_or_default()
}

/// `removeTags`: the tags left once `remove` is taken out; no tag left drops `tags`, and an
/// empty meta option is dropped.
fn remove_tags(merged: &mut Vec<(String, OptionElement)>, meta_name: &str, remove: &[String]) {
    if remove.is_empty() {
        return;
    }
    let Some(i) = merged.iter().position(|(k, _)| k == meta_name) else {
        return;
    };
    let Value::Map(mut map) = merged[i].1.value.clone() else {
        return;
    };
    let Some(slot) = map.iter().position(|(k, _)| k == TAGS_FIELD) else {
        return;
    };
    let remaining: Vec<Value> = items(&map[slot].1)
        .into_iter()
        .filter(|t| !matches!(t, Value::Str(s) if remove.contains(s)))
        .collect();
    if remaining.is_empty() {
        map.remove(slot);
    } else {
        map[slot].1 = Value::List(remaining);
    }
    if map.is_empty() {
        merged.remove(i);
    } else {
        merged[i].1 = OptionElement {
            name: meta_name.to_owned(),
            value: Value::Map(map),
            parenthesized: true,
        };
    }
}

/// Applies tags to `.proto` text (`ProtobufSchema.copy(tagsToAdd, tagsToRemove)`, adding
/// first): each entity's options are merged (`mergeOptions`: kind-OPTION options become
/// maps, options in Java `HashMap` order) with the added tags, then the removed tags are
/// taken out. The answer is the file printed as Confluent prints it.
pub(crate) fn apply(text: &str, add: &TagMap, remove: &TagMap) -> Result<String, TagError> {
    let original = wire::parse(text).map_err(|e| TagError(e.0))?;
    let mut file = original.clone();
    let mut cache: HashMap<Location, Option<OptionElement>> = HashMap::new();
    for entity in TagMap::entities_of(add, remove) {
        let ids = java_split_dots(entity.normalized_path());
        let record = entity_is_record(&entity);
        let meta_name = if record { MESSAGE_META } else { FIELD_META };
        let location = locate(&original, &ids, !record)?;
        let mut all: Vec<OptionElement> = match cache.get(&location) {
            Some(Some(cached)) => vec![cached.clone()],
            _ => options_of(&original, &location)
                .unwrap_or_default()
                .to_vec(),
        };
        let to_add = add.get(&entity).unwrap_or_default();
        if !to_add.is_empty() {
            all.push(OptionElement {
                name: meta_name.to_owned(),
                value: Value::Option(Box::new(OptionElement {
                    name: TAGS_FIELD.to_owned(),
                    value: Value::List(to_add.iter().cloned().map(Value::Str).collect()),
                    parenthesized: false,
                })),
                parenthesized: true,
            });
        }
        let mut merged = merge_options(&all);
        remove_tags(
            &mut merged,
            meta_name,
            remove.get(&entity).unwrap_or_default(),
        );
        cache.insert(
            location.clone(),
            merged
                .iter()
                .find(|(k, _)| k == meta_name)
                .map(|(_, o)| o.clone()),
        );
        if let Some(options) = options_mut(&mut file, &location) {
            *options = merged.into_iter().map(|(_, o)| o).collect();
        }
    }
    Ok(wire::print(&file, wire::Mode::Canonical))
}

fn entity_is_record(entity: &SchemaEntity) -> bool {
    entity.entity_type == Some(crate::tags::EntityType::Record)
}

/// `ProtobufSchema.inlineTaggedEntities`: messages from the top (each scoped name once), a
/// message's tags, its oneofs' fields' tags, its fields' tags, then its nested messages.
pub(crate) fn tagged_entities(text: &str, out: &mut TagMap) {
    let Ok(file) = wire::parse(text) else {
        return;
    };
    let mut seen = Vec::new();
    walk(&file.types, "", &mut seen, out);
}

fn walk(types: &[TypeElement], scope: &str, seen: &mut Vec<String>, out: &mut TagMap) {
    for t in types {
        let TypeElement::Message(m) = t else { continue };
        let scoped = format!("{scope}{}", m.name);
        if seen.contains(&scoped) {
            continue;
        }
        seen.push(scoped.clone());
        let tags = tags_of(MESSAGE_META, &m.options);
        if !tags.is_empty() {
            out.add(&SchemaEntity::record(scoped.clone()), &tags);
        }
        let oneof_fields = m.oneofs.iter().flat_map(|o| o.fields.iter());
        for f in oneof_fields.chain(m.fields.iter()) {
            let tags = tags_of(FIELD_META, &f.options);
            if !tags.is_empty() {
                out.add(&SchemaEntity::field(format!("{scoped}.{}", f.name)), &tags);
            }
        }
        walk(&m.nested, &format!("{scoped}."), seen, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tags::SchemaTags;

    const PLAIN: &str = "syntax = \"proto3\";\npackage com.example;\n\nmessage Message1 {\n  string f1 = 1;\n  string f2 = 2;\n}\n";
    const TAGGED: &str = "syntax = \"proto3\";\npackage com.example;\n\nmessage Message1 {\n  string f1 = 1 [(confluent.field_meta) = {\n    tags: [\n      \"TAG1\",\n      \"TAG2\"\n    ]\n  }];\n  string f2 = 2;\n}\n";

    fn tags(path: &str, t: &[&str]) -> SchemaTags {
        SchemaTags {
            schema_entity: SchemaEntity::field(path),
            tags: t.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn field_tags_are_written_in_the_field_meta_option() {
        let add = TagMap::from_list(&[
            tags("Message1.f1", &["TAG1"]),
            tags(".Message1.f1", &["TAG2"]),
        ]);
        assert_eq!(apply(PLAIN, &add, &TagMap::default()).unwrap(), TAGGED);
        let remove = TagMap::from_list(&[tags("Message1.f1", &["TAG1", "TAG2"])]);
        assert_eq!(apply(TAGGED, &TagMap::default(), &remove).unwrap(), PLAIN);
        let mut found = TagMap::default();
        tagged_entities(TAGGED, &mut found);
        assert_eq!(
            found.into_list(),
            vec![tags("Message1.f1", &["TAG1", "TAG2"])]
        );
        assert_eq!(
            apply(
                PLAIN,
                &TagMap::from_list(&[tags("Nope.f1", &["X"])]),
                &TagMap::default()
            ),
            Err(TagError(
                "java.lang.IllegalArgumentException: No matching Field with name 'f1' found in \
                 the schema"
                    .into()
            ))
        );
    }
}
