//! JSON Schema documents: objects with properties, `required` and `additionalProperties`,
//! arrays, strings, numbers with bounds, `enum` and `const`, `allOf`/`anyOf`/`oneOf`/`not`,
//! and `$ref`s into `definitions` (draft 7) or `$defs` (2020-12), recursive ones included;
//! changed versions of them; and documents to validate.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::Rng;

fn bound() -> impl Strategy<Value = Option<u64>> {
    prop::option::weighted(0.3, 0u64..10)
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (bound(), bound(), prop::option::weighted(0.1, Just("^[a-z]*$")),
              prop::option::weighted(0.1, prop::sample::select(vec!["email", "date-time", "uuid"])))
            .prop_map(|(min, max, pattern, format)| {
                let mut o = obj(json!({"type": "string"}));
                put(&mut o, "minLength", min.map(Value::from));
                put(&mut o, "maxLength", max.map(|m| json!(m + min.unwrap_or(0))));
                put(&mut o, "pattern", pattern.map(Value::from));
                put(&mut o, "format", format.map(Value::from));
                Value::Object(o)
            }),
        3 => (prop::sample::select(vec!["integer", "number"]), prop::option::weighted(0.3, -5i64..5),
              prop::option::weighted(0.3, 0i64..10), prop::option::weighted(0.1, 1u64..4), any::<bool>())
            .prop_map(|(ty, min, span, multiple, exclusive)| {
                let mut o = obj(json!({"type": ty}));
                let lower = if exclusive { "exclusiveMinimum" } else { "minimum" };
                put(&mut o, lower, min.map(Value::from));
                put(&mut o, "maximum", span.map(|s| json!(min.unwrap_or(0) + s)));
                put(&mut o, "multipleOf", multiple.map(Value::from));
                Value::Object(o)
            }),
        1 => Just(json!({"type": "boolean"})),
        1 => Just(json!({"type": "null"})),
        1 => prop::collection::vec(prop_oneof![
                (0i64..4).prop_map(Value::from),
                prop::sample::select(vec!["a", "b", "c"]).prop_map(Value::from),
                Just(Value::Null),
            ], 1..4)
            .prop_map(|mut values| {
                values.dedup();
                json!({"enum": values})
            }),
        1 => (0i64..3).prop_map(|c| json!({"const": c})),
        1 => prop::sample::select(vec![json!({}), json!(true), json!(false)]),
        1 => prop::sample::select(vec![json!(["string", "null"]), json!(["integer", "string"])])
            .prop_map(|types| json!({"type": types})),
        2 => any::<u8>().prop_map(|i| json!({"$ref": format!("#/definitions/d{i}")})),
    ]
}

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(o) => o,
        _ => unreachable!("an object"),
    }
}

fn put(o: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        o.insert(key.to_owned(), v);
    }
}

fn node() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            4 => (prop::collection::vec((prop::sample::select(vec!["a", "b", "c", "d", "e", "id", "name"]), inner.clone()), 0..5),
                  prop::collection::vec(any::<prop::sample::Index>(), 0..3),
                  prop::option::of(prop_oneof![Just(json!(false)), Just(json!(true)), inner.clone()]),
                  bound())
                .prop_map(|(props, required, additional, max_props)| {
                    let mut properties = Map::new();
                    for (k, v) in props {
                        properties.insert(k.to_owned(), v);
                    }
                    let mut o = obj(json!({"type": "object", "properties": properties}));
                    let names: Vec<&String> = properties_keys(&o);
                    let mut req: Vec<String> = required
                        .iter()
                        .filter(|_| !names.is_empty())
                        .map(|i| names[i.index(names.len())].clone())
                        .collect();
                    req.sort();
                    req.dedup();
                    if !req.is_empty() {
                        o.insert("required".into(), json!(req));
                    }
                    put(&mut o, "additionalProperties", additional);
                    put(&mut o, "maxProperties", max_props.map(Value::from));
                    Value::Object(o)
                }),
            2 => (inner.clone(), bound(), bound(), prop::bool::weighted(0.2))
                .prop_map(|(items, min, max, unique)| {
                    let mut o = obj(json!({"type": "array", "items": items}));
                    put(&mut o, "minItems", min.map(Value::from));
                    put(&mut o, "maxItems", max.map(|m| json!(m + min.unwrap_or(0))));
                    if unique {
                        o.insert("uniqueItems".into(), json!(true));
                    }
                    Value::Object(o)
                }),
            2 => (prop::sample::select(vec!["allOf", "anyOf", "oneOf"]), prop::collection::vec(inner.clone(), 1..4))
                .prop_map(|(k, members)| json!({ k: members })),
            1 => inner.prop_map(|s| json!({"not": s})),
        ]
    })
}

fn properties_keys(o: &Map<String, Value>) -> Vec<&String> {
    o.get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().collect())
        .unwrap_or_default()
}

/// A schema document: a root, `definitions` its `$ref`s point into (the references are
/// renumbered to existing ones, or become `{}` when there are none), and the draft.
pub(crate) fn schema() -> impl Strategy<Value = Value> {
    (
        node(),
        prop::collection::vec(node(), 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(root, definitions, modern, with_id)| {
            let n = definitions.len();
            let (keyword, draft) = if modern {
                ("$defs", "https://json-schema.org/draft/2020-12/schema")
            } else {
                ("definitions", "http://json-schema.org/draft-07/schema#")
            };
            let mut root = match root {
                Value::Object(o) => o,
                other => obj(json!({"allOf": [other]})),
            };
            let mut defs = Map::new();
            for (i, d) in definitions.into_iter().enumerate() {
                defs.insert(format!("d{i}"), d);
            }
            let mut doc = Map::new();
            doc.insert("$schema".into(), json!(draft));
            if with_id {
                doc.insert("$id".into(), json!("https://example.com/fuzz.json"));
            }
            doc.append(&mut root);
            if n > 0 {
                doc.insert(keyword.into(), Value::Object(defs));
            }
            let mut doc = Value::Object(doc);
            renumber(&mut doc, n, keyword);
            doc
        })
}

fn renumber(value: &mut Value, n: usize, keyword: &str) {
    match value {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                let i: usize = r.trim_start_matches("#/definitions/d").parse().unwrap_or(0);
                if n == 0 {
                    o.remove("$ref");
                } else {
                    o.insert("$ref".into(), json!(format!("#/{keyword}/d{}", i % n)));
                }
            }
            o.values_mut().for_each(|v| renumber(v, n, keyword));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| renumber(v, n, keyword)),
        _ => {}
    }
}

/// A changed version of a schema: one edit at a place drawn from `rng` (a property added,
/// removed or made required, a bound moved, a type changed, a member added to a combiner,
/// `additionalProperties` flipped).
pub(crate) fn mutate(schema: &Value, rng: &mut Rng) -> Value {
    let mut out = schema.clone();
    let mut objects = Vec::new();
    collect_pointers(&out, String::new(), &mut objects);
    let pointer = &objects[rng.below(objects.len())];
    let Some(Value::Object(o)) = out.pointer_mut(pointer) else {
        return out;
    };
    match rng.below(9) {
        0 => {
            let props = o.entry("properties").or_insert_with(|| json!({}));
            if let Value::Object(p) = props {
                p.insert(format!("new{}", rng.below(3)), json!({"type": "string"}));
            }
        }
        1 => {
            if let Some(Value::Object(p)) = o.get_mut("properties")
                && let Some(k) = p.keys().next().cloned()
            {
                p.remove(&k);
            }
        }
        2 => {
            if let Some(k) = properties_keys(o).first().map(|k| (*k).clone()) {
                o.insert("required".into(), json!([k]));
            }
        }
        3 => {
            o.insert("maximum".into(), json!(rng.below(10)));
        }
        4 => {
            o.insert("maxLength".into(), json!(rng.below(10)));
        }
        5 => {
            let types = ["string", "integer", "number", "object", "array", "boolean"];
            o.insert("type".into(), json!(types[rng.below(types.len())]));
        }
        6 => {
            for k in ["anyOf", "oneOf", "allOf"] {
                if let Some(Value::Array(members)) = o.get_mut(k) {
                    members.push(json!({"type": "null"}));
                    break;
                }
            }
        }
        7 => {
            let flipped = !matches!(o.get("additionalProperties"), Some(Value::Bool(false)));
            o.insert("additionalProperties".into(), json!(!flipped));
        }
        _ => {
            let keys: Vec<String> = o.keys().filter(|k| !k.starts_with('$')).cloned().collect();
            if !keys.is_empty() {
                o.remove(&keys[rng.below(keys.len())]);
            }
        }
    }
    out
}

fn collect_pointers(value: &Value, here: String, out: &mut Vec<String>) {
    match value {
        Value::Object(o) => {
            out.push(here.clone());
            for (k, v) in o {
                if k == "enum" || k == "const" {
                    continue;
                }
                let k = k.replace('~', "~0").replace('/', "~1");
                collect_pointers(v, format!("{here}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_pointers(v, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Any JSON document, small.
pub(crate) fn document() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-20i64..20).prop_map(Value::from),
        (-20.0f64..20.0).prop_map(Value::from),
        prop::sample::select(vec!["", "a", "abc", "x@y.z", "2024-01-01T00:00:00Z", "ÿ"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["a", "b", "c", "id", "name", "new0"]),
                    inner
                ),
                0..4
            )
            .prop_map(|entries| Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            )),
        ]
    })
}
