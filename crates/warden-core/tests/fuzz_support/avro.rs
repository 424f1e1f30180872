//! Random but valid Avro schemas, mutated versions of them, and datums.
//!
//! Generation runs in two steps. Proptest draws a [`Shape`]: the structure and every choice,
//! so that failures shrink to small schemas. [`build`] then turns it into a [`Schema`]
//! deterministically: it names the named types uniquely (records `R<n>`, enums `E<n>`,
//! fixed `F<n>`, in and out of namespaces), turns `Shape::Reuse` into a reference to a named
//! type defined earlier, keeps union branches distinct by their JSON kind (so a union is
//! valid and a datum reads back as the branch it was written with), and draws defaults.

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::Rng;

/// The structure and choices of a schema, before names and defaults.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    /// 0 null, 1 boolean, 2 int, 3 long, 4 float, 5 double, 6 bytes, 7 string.
    Primitive(u8),
    /// An index into [`LOGICAL`].
    Logical(u8),
    Fixed {
        size: u8,
        ns: u8,
    },
    Enum {
        symbols: u8,
        default: Option<u8>,
        ns: u8,
    },
    Record {
        fields: Vec<FieldShape>,
        ns: u8,
        /// A last field `["null", <this record>]` with default `null`.
        recursive: bool,
        doc: bool,
    },
    Array(Box<Shape>),
    Map(Box<Shape>),
    Union(Vec<Shape>),
    /// The n-th (modulo their count) named type defined before, by name.
    Reuse(u8),
}

#[derive(Debug, Clone)]
pub(crate) struct FieldShape {
    pub(crate) ty: Shape,
    /// A default drawn from this seed, or none.
    pub(crate) default: Option<u64>,
    pub(crate) doc: bool,
}

/// Logical types and the type they annotate.
pub(crate) const LOGICAL: [(&str, &str); 9] = [
    ("date", "int"),
    ("time-millis", "int"),
    ("time-micros", "long"),
    ("timestamp-millis", "long"),
    ("timestamp-micros", "long"),
    ("local-timestamp-millis", "long"),
    ("uuid", "string"),
    ("decimal", "bytes"),
    ("big-decimal", "bytes"),
];

fn leaf() -> impl Strategy<Value = Shape> {
    prop_oneof![
        6 => (0u8..8).prop_map(Shape::Primitive),
        1 => (0u8..LOGICAL.len() as u8).prop_map(Shape::Logical),
        1 => (0u8..20, 0u8..4).prop_map(|(size, ns)| Shape::Fixed { size, ns }),
        2 => (1u8..6, prop::option::of(0u8..6), 0u8..4)
            .prop_map(|(symbols, default, ns)| Shape::Enum { symbols, default, ns }),
        1 => any::<u8>().prop_map(Shape::Reuse),
    ]
}

fn field(inner: impl Strategy<Value = Shape>) -> impl Strategy<Value = FieldShape> {
    (
        inner,
        prop::option::weighted(0.4, any::<u64>()),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(ty, default, doc)| FieldShape { ty, default, doc })
}

/// Any schema, records at the top most often.
pub(crate) fn shape() -> impl Strategy<Value = Shape> {
    let inner = leaf().prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            3 => (prop::collection::vec(field(inner.clone()), 0..5), 0u8..4,
                  prop::bool::weighted(0.15), prop::bool::weighted(0.1))
                .prop_map(|(fields, ns, recursive, doc)| Shape::Record { fields, ns, recursive, doc }),
            1 => inner.clone().prop_map(|s| Shape::Array(Box::new(s))),
            1 => inner.clone().prop_map(|s| Shape::Map(Box::new(s))),
            2 => prop::collection::vec(inner, 1..4).prop_map(Shape::Union),
        ]
    });
    prop_oneof![
        4 => (prop::collection::vec(field(inner.clone()), 1..6), 0u8..4,
              prop::bool::weighted(0.2), prop::bool::weighted(0.1))
            .prop_map(|(fields, ns, recursive, doc)| Shape::Record { fields, ns, recursive, doc }),
        1 => inner,
    ]
}

/// A named type's name as written: `name`, and `namespace` when the schema gives one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Named {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    /// The full name, for references and union branch names.
    pub(crate) full: String,
    pub(crate) aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) ty: Ty,
    pub(crate) default: Option<Value>,
    pub(crate) doc: Option<String>,
    pub(crate) aliases: Vec<String>,
}

/// A schema as the generators understand it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    /// An index into [`LOGICAL`].
    Logical(usize),
    Fixed(Named, usize),
    Enum(Named, Vec<String>, Option<String>),
    Record(Named, Vec<Field>, Option<String>),
    Array(Box<Ty>),
    Map(Box<Ty>),
    Union(Vec<Ty>),
    /// A named type defined earlier, by full name.
    Ref(String),
}

/// A schema and its named types by full name.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub(crate) root: Ty,
    pub(crate) named: HashMap<String, Ty>,
}

/// The JSON kind a value of this type is written as; union branches keep one per kind.
fn kind(ty: &Ty, named: &HashMap<String, Ty>) -> u8 {
    match ty {
        Ty::Null => 0,
        Ty::Boolean => 1,
        Ty::Int | Ty::Long | Ty::Float | Ty::Double => 2,
        Ty::Logical(i) => match LOGICAL[*i].1 {
            "int" | "long" => 2,
            _ => 3,
        },
        Ty::Bytes | Ty::String | Ty::Fixed(..) | Ty::Enum(..) => 3,
        Ty::Array(_) => 4,
        Ty::Map(_) | Ty::Record(..) => 5,
        Ty::Union(_) => 6,
        Ty::Ref(name) => named.get(name).map_or(6, |t| kind(t, named)),
    }
}

/// Whether a string-kind type also takes a JSON array (bytes and fixed as integers 0-255).
fn takes_array(ty: &Ty) -> bool {
    matches!(ty, Ty::Bytes | Ty::Fixed(..) | Ty::Ref(_))
        || matches!(ty, Ty::Logical(i) if LOGICAL[*i].1 == "bytes")
}

struct Builder {
    counter: usize,
    /// Inside how many records where `Shape::Reuse` gives no reference.
    no_reuse: usize,
    named: HashMap<String, Ty>,
    /// Named types complete so far, in definition order: (full name, namespace).
    defined: Vec<(String, Option<String>)>,
}

const NAMESPACES: [&str; 3] = ["", "acme", "acme.inner"];

impl Builder {
    fn name(&mut self, prefix: &str, ns: u8, enclosing: Option<&str>) -> Named {
        self.counter += 1;
        let name = format!("{prefix}{}", self.counter);
        let (written_ns, effective) = match ns {
            0 => (None, enclosing.map(str::to_owned)),
            1 | 2 => {
                let n = NAMESPACES[ns as usize].to_owned();
                (Some(n.clone()), Some(n))
            }
            // An explicit empty namespace: the null namespace even inside another.
            _ => (Some(String::new()), None),
        };
        let full = match &effective {
            Some(n) if !n.is_empty() => format!("{n}.{name}"),
            _ => name.clone(),
        };
        Named {
            name,
            namespace: written_ns,
            full,
            aliases: Vec::new(),
        }
    }

    fn effective_ns(named: &Named) -> Option<String> {
        named.full.rsplit_once('.').map(|(ns, _)| ns.to_owned())
    }

    fn ty(&mut self, shape: &Shape, enclosing: Option<&str>) -> Ty {
        match shape {
            Shape::Primitive(p) => match p {
                0 => Ty::Null,
                1 => Ty::Boolean,
                2 => Ty::Int,
                3 => Ty::Long,
                4 => Ty::Float,
                5 => Ty::Double,
                6 => Ty::Bytes,
                _ => Ty::String,
            },
            Shape::Logical(i) => Ty::Logical(*i as usize % LOGICAL.len()),
            Shape::Fixed { size, ns } => {
                let named = self.name("F", *ns, enclosing);
                self.define(named.clone(), Ty::Fixed(named, *size as usize))
            }
            Shape::Enum {
                symbols,
                default,
                ns,
            } => {
                let named = self.name("E", *ns, enclosing);
                let symbols: Vec<String> = (0..*symbols).map(|i| format!("S{i}")).collect();
                let default = default.map(|d| symbols[d as usize % symbols.len()].clone());
                self.define(named.clone(), Ty::Enum(named, symbols, default))
            }
            Shape::Record {
                fields,
                ns,
                recursive,
                doc,
            } => {
                let named = self.name("R", *ns, enclosing);
                let inner_ns = Self::effective_ns(&named);
                // apache-avro's decoder resolves names inside a record declared with
                // `"namespace": ""` within a namespace in the outer namespace: no reuse there.
                let null_inside = named.namespace.as_deref() == Some("")
                    && enclosing.is_some_and(|e| !e.is_empty());
                self.no_reuse += usize::from(null_inside);
                let mut out = Vec::new();
                for (i, f) in fields.iter().enumerate() {
                    let ty = self.ty(&f.ty, inner_ns.as_deref());
                    // apache-avro refuses every default of a big-decimal (Java takes its
                    // bytes as a string): none is drawn where one could appear.
                    // Nor where a type in the null namespace sits inside a namespace:
                    // apache-avro then resolves names in the default against the wrong one.
                    let resolved = match &ty {
                        Ty::Ref(name) => self.named.get(name).unwrap_or(&ty),
                        other => other,
                    };
                    let null_ns = to_json(resolved).to_string().contains(r#""namespace":"""#);
                    let default = f
                        .default
                        .filter(|_| !null_ns && !mentions(&ty, &self.named, "big-decimal", 0))
                        .map(|seed| {
                            let schema = Schema {
                                root: Ty::Null,
                                named: self.named.clone(),
                            };
                            default_value(&schema, &ty, &mut Rng::new(seed))
                        });
                    out.push(Field {
                        name: format!("f{i}"),
                        ty,
                        default,
                        doc: f.doc.then(|| format!("field {i}")),
                        aliases: Vec::new(),
                    });
                }
                if *recursive {
                    out.push(Field {
                        name: "next".to_owned(),
                        ty: Ty::Union(vec![Ty::Null, Ty::Ref(named.full.clone())]),
                        default: Some(Value::Null),
                        doc: None,
                        aliases: Vec::new(),
                    });
                }
                self.no_reuse -= usize::from(null_inside);
                let doc = doc.then(|| format!("record {}", named.name));
                self.define(named.clone(), Ty::Record(named, out, doc))
            }
            Shape::Array(items) => Ty::Array(Box::new(self.ty(items, enclosing))),
            Shape::Map(values) => Ty::Map(Box::new(self.ty(values, enclosing))),
            Shape::Union(branches) => {
                let mut out: Vec<Ty> = Vec::new();
                for b in branches {
                    // A branch left out must not leave its named types behind for `Reuse`.
                    let saved = (self.defined.len(), self.named.clone());
                    let ty = self.ty(b, enclosing);
                    let k = kind(&ty, &self.named);
                    let clash = |o: &Ty| {
                        let (a, b) = (kind(o, &self.named), k);
                        a == b
                            || (a.min(b), a.max(b)) == (3, 4)
                                && (takes_array(o) || takes_array(&ty))
                    };
                    if k != 6 && !out.iter().any(clash) {
                        out.push(ty);
                    } else {
                        self.defined.truncate(saved.0);
                        self.named = saved.1;
                    }
                }
                if out.is_empty() {
                    out.push(Ty::Null);
                }
                Ty::Union(out)
            }
            Shape::Reuse(n) => {
                // A type in the null namespace cannot be named from inside a namespace.
                let usable: Vec<&String> = self
                    .defined
                    .iter()
                    .filter(|(_, ns)| ns.is_some() || enclosing.is_none_or(str::is_empty))
                    .map(|(full, _)| full)
                    .collect();
                if usable.is_empty() || self.no_reuse > 0 {
                    Ty::Int
                } else {
                    Ty::Ref(usable[*n as usize % usable.len()].clone())
                }
            }
        }
    }

    fn define(&mut self, named: Named, ty: Ty) -> Ty {
        // apache-avro's decoder resolves a name declared with `"namespace": ""` inside a
        // namespace in the enclosing one, so such a type is never referenced again.
        if named.namespace.as_deref() != Some("") {
            self.defined
                .push((named.full.clone(), Self::effective_ns(&named)));
        }
        self.named.insert(named.full, ty.clone());
        ty
    }
}

/// Whether a logical type appears in `ty`, following references a few levels.
fn mentions(ty: &Ty, named: &HashMap<String, Ty>, logical: &str, depth: usize) -> bool {
    match ty {
        Ty::Logical(i) => LOGICAL[*i].0 == logical,
        Ty::Record(_, fields, _) => fields
            .iter()
            .any(|f| mentions(&f.ty, named, logical, depth)),
        Ty::Array(t) | Ty::Map(t) => mentions(t, named, logical, depth),
        Ty::Union(b) => b.iter().any(|t| mentions(t, named, logical, depth)),
        Ty::Ref(n) if depth < 8 => named
            .get(n)
            .is_some_and(|t| mentions(t, named, logical, depth + 1)),
        _ => false,
    }
}

/// The schema a shape describes.
pub(crate) fn build(shape: &Shape) -> Schema {
    let mut builder = Builder {
        counter: 0,
        no_reuse: 0,
        named: HashMap::new(),
        defined: Vec::new(),
    };
    let root = builder.ty(shape, None);
    Schema {
        root,
        named: builder.named,
    }
}

pub(crate) fn schema() -> impl Strategy<Value = Schema> {
    shape().prop_map(|s| build(&s))
}

/// The schema's JSON, keys in the usual order.
pub(crate) fn to_json(ty: &Ty) -> Value {
    match ty {
        Ty::Null => json!("null"),
        Ty::Boolean => json!("boolean"),
        Ty::Int => json!("int"),
        Ty::Long => json!("long"),
        Ty::Float => json!("float"),
        Ty::Double => json!("double"),
        Ty::Bytes => json!("bytes"),
        Ty::String => json!("string"),
        Ty::Logical(i) => {
            let (logical, base) = LOGICAL[*i];
            if logical == "decimal" {
                // Precision 2: apache-avro's resolution, the oracle, refuses decimal values of
                // fewer bytes than the precision needs.
                json!({"type": base, "logicalType": logical, "precision": 2, "scale": 1})
            } else {
                json!({"type": base, "logicalType": logical})
            }
        }
        Ty::Fixed(n, size) => named_json("fixed", n, [("size", json!(size))]),
        Ty::Enum(n, symbols, default) => {
            let mut v = named_json("enum", n, [("symbols", json!(symbols))]);
            if let Some(d) = default {
                v["default"] = json!(d);
            }
            v
        }
        Ty::Record(n, fields, doc) => {
            let fields: Vec<Value> = fields
                .iter()
                .map(|f| {
                    let mut o = Map::new();
                    o.insert("name".into(), json!(f.name));
                    o.insert("type".into(), to_json(&f.ty));
                    if let Some(d) = &f.doc {
                        o.insert("doc".into(), json!(d));
                    }
                    if let Some(d) = &f.default {
                        o.insert("default".into(), d.clone());
                    }
                    if !f.aliases.is_empty() {
                        o.insert("aliases".into(), json!(f.aliases));
                    }
                    Value::Object(o)
                })
                .collect();
            let mut v = named_json("record", n, [("fields", Value::Array(fields))]);
            if let Some(d) = doc {
                v["doc"] = json!(d);
            }
            v
        }
        Ty::Array(items) => json!({"type": "array", "items": to_json(items)}),
        Ty::Map(values) => json!({"type": "map", "values": to_json(values)}),
        Ty::Union(branches) => Value::Array(branches.iter().map(to_json).collect()),
        Ty::Ref(full) => json!(full),
    }
}

fn named_json<const N: usize>(kind: &str, n: &Named, extra: [(&str, Value); N]) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!(kind));
    o.insert("name".into(), json!(n.name));
    if let Some(ns) = &n.namespace {
        o.insert("namespace".into(), json!(ns));
    }
    if !n.aliases.is_empty() {
        o.insert("aliases".into(), json!(n.aliases));
    }
    for (k, v) in extra {
        o.insert(k.into(), v);
    }
    Value::Object(o)
}

/// Keys whose order Warden's canonical form fixes (Java's `Schema.toString()` order); any
/// other key (`logicalType`, `precision`) is written in input order, as Java does.
const ORDERED_KEYS: [&str; 14] = [
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
    "order",
    "name",
    "type",
];

/// The same JSON with the keys of every object in an order drawn from `rng`, except that
/// keys outside [`ORDERED_KEYS`] keep their order among themselves.
pub(crate) fn shuffle_keys(value: &Value, rng: &mut Rng) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| shuffle_keys(v, rng)).collect()),
        Value::Object(map) => {
            type Entries<'a> = Vec<(&'a String, &'a Value)>;
            let (mut known, other): (Entries<'_>, Entries<'_>) = map
                .iter()
                .partition(|(k, _)| ORDERED_KEYS.contains(&k.as_str()));
            for i in (1..known.len()).rev() {
                known.swap(i, rng.below(i + 1));
            }
            let (mut known, mut other) =
                (known.into_iter().peekable(), other.into_iter().peekable());
            let mut out = Map::new();
            while known.peek().is_some() || other.peek().is_some() {
                let next = match (known.peek().is_some(), other.peek().is_some()) {
                    (true, true) if rng.one_in(2) => known.next(),
                    (true, true) | (false, true) => other.next(),
                    _ => known.next(),
                };
                let (k, v) = next.expect("one side has entries");
                out.insert(k.clone(), shuffle_keys(v, rng));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

impl Schema {
    pub(crate) fn text(&self) -> String {
        to_json(&self.root).to_string()
    }

    fn resolve<'a>(&'a self, ty: &'a Ty) -> &'a Ty {
        match ty {
            Ty::Ref(name) => self.named.get(name).expect("references resolve"),
            other => other,
        }
    }
}

/// How deep datums nest through recursive fields before they take the `null` branch.
const MAX_DATUM_DEPTH: usize = 4;

/// A datum of `ty` in the JSON shapes `AvroSchema::encode_json` takes: union values wrapped
/// as `{"<branch>": value}`, some fields with defaults left out.
pub(crate) fn datum(schema: &Schema, ty: &Ty, rng: &mut Rng) -> Value {
    value(schema, ty, rng, 0, true)
}

/// A default value of `ty` as a schema writes it: a union's default is of its first branch.
pub(crate) fn default_value(schema: &Schema, ty: &Ty, rng: &mut Rng) -> Value {
    match ty {
        Ty::Union(branches) => value(schema, &branches[0], rng, 0, false),
        other => value(schema, other, rng, 0, false),
    }
}

fn bytes_string(rng: &mut Rng, len: usize) -> Value {
    Value::String((0..len).map(|_| char::from(rng.below(256) as u8)).collect())
}

fn value(schema: &Schema, ty: &Ty, rng: &mut Rng, depth: usize, wrap: bool) -> Value {
    match schema.resolve(ty) {
        Ty::Null => Value::Null,
        Ty::Boolean => json!(rng.one_in(2)),
        Ty::Int => json!(rng.int(32)),
        Ty::Long => json!(rng.int(64)),
        // Numbers a float holds exactly, so that they read back unchanged.
        Ty::Float => json!(f64::from(rng.int(24) as f32 / 8.0)),
        Ty::Double => json!(rng.int(53) as f64 / 1024.0),
        Ty::Bytes => {
            let len = rng.below(6);
            bytes_string(rng, len)
        }
        Ty::String => {
            // Defaults stay in Latin-1: a string default may become a bytes one (a promotion),
            // whose characters must be code points 0-255.
            let pool: &[&str] = if wrap {
                &["", "a", "héllo", "日本", "\u{0}", "k0", "emoji 🎉"]
            } else {
                &["", "a", "héllo", "\u{0}", "k0"]
            };
            json!(pool[rng.below(pool.len())])
        }
        Ty::Logical(i) => match LOGICAL[*i] {
            (_, "int") => json!(rng.int(32)),
            (_, "long") => json!(rng.int(64)),
            ("uuid", _) => json!(format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                rng.next() as u32,
                rng.next() as u16,
                rng.below(0x1000),
                rng.below(0x1000),
                rng.next() & 0xffff_ffff_ffff
            )),
            ("big-decimal", _) => {
                // The unscaled value, length-prefixed, then the scale (zigzag varints).
                let len = rng.below(3) + 1;
                let mut bytes = vec![(len * 2) as u8];
                bytes.extend((0..len).map(|_| rng.below(256) as u8));
                bytes.push((rng.below(6) * 2) as u8);
                Value::String(bytes.into_iter().map(char::from).collect())
            }
            _ => {
                let len = rng.below(3) + 1;
                bytes_string(rng, len)
            }
        },
        Ty::Fixed(_, size) => bytes_string(rng, *size),
        Ty::Enum(_, symbols, _) => json!(symbols[rng.below(symbols.len())]),
        Ty::Record(_, fields, _) => {
            let mut o = Map::new();
            for f in fields {
                // Fields with defaults are sometimes left to the encoder.
                if wrap && f.default.is_some() && rng.one_in(3) {
                    continue;
                }
                o.insert(f.name.clone(), value(schema, &f.ty, rng, depth + 1, wrap));
            }
            Value::Object(o)
        }
        Ty::Array(items) => {
            let n = if depth >= MAX_DATUM_DEPTH {
                0
            } else {
                rng.below(3)
            };
            Value::Array(
                (0..n)
                    .map(|_| value(schema, items, rng, depth + 1, wrap))
                    .collect(),
            )
        }
        Ty::Map(values) => {
            let n = if depth >= MAX_DATUM_DEPTH {
                0
            } else {
                rng.below(3)
            };
            Value::Object(
                (0..n)
                    .map(|i| (format!("k{i}"), value(schema, values, rng, depth + 1, wrap)))
                    .collect(),
            )
        }
        Ty::Union(branches) => {
            let null = branches.iter().position(|b| *b == Ty::Null);
            let index = match null {
                Some(n) if depth >= MAX_DATUM_DEPTH => n,
                _ => rng.below(branches.len()),
            };
            let branch = &branches[index];
            let inner = value(schema, branch, rng, depth + 1, wrap);
            if wrap {
                json!({ branch_name(schema, branch): inner })
            } else {
                inner
            }
        }
        Ty::Ref(_) => unreachable!("resolved above"),
    }
}

/// A union branch's name in Avro's JSON encoding.
pub(crate) fn branch_name(schema: &Schema, ty: &Ty) -> String {
    match ty {
        Ty::Ref(name) => name.clone(),
        Ty::Logical(i) => LOGICAL[*i].1.to_owned(),
        other => match schema.resolve(other) {
            Ty::Fixed(n, _) | Ty::Enum(n, ..) | Ty::Record(n, ..) => n.full.clone(),
            resolved => to_json(resolved)
                .get("type")
                .cloned()
                .unwrap_or_else(|| to_json(resolved))
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        },
    }
}

/// A change to a schema, as a new version would make it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mutation {
    AddFieldWithDefault,
    AddFieldWithoutDefault,
    RemoveField,
    RenameField,
    RenameFieldWithAlias,
    ChangeDefault,
    RemoveDefault,
    SwapFields,
    AddSymbol,
    RemoveSymbol,
    ToggleEnumDefault,
    GrowFixed,
    AddBranch,
    RemoveBranch,
    Promote,
    Demote,
    MakeOptional,
    RenameType,
    RenameTypeWithAlias,
}

pub(crate) const MUTATIONS: [Mutation; 19] = [
    Mutation::AddFieldWithDefault,
    Mutation::AddFieldWithoutDefault,
    Mutation::RemoveField,
    Mutation::RenameField,
    Mutation::RenameFieldWithAlias,
    Mutation::ChangeDefault,
    Mutation::RemoveDefault,
    Mutation::SwapFields,
    Mutation::AddSymbol,
    Mutation::RemoveSymbol,
    Mutation::ToggleEnumDefault,
    Mutation::GrowFixed,
    Mutation::AddBranch,
    Mutation::RemoveBranch,
    Mutation::Promote,
    Mutation::Demote,
    Mutation::MakeOptional,
    Mutation::RenameType,
    Mutation::RenameTypeWithAlias,
];

/// Applies `mutation` at the `site`-th place (modulo their count) where it applies, with
/// `seed` for what it adds. `None` when it applies nowhere.
pub(crate) fn mutate(
    schema: &Schema,
    mutation: Mutation,
    site: usize,
    seed: u64,
) -> Option<Schema> {
    let mut count = 0;
    let probe = Mutator {
        mutation,
        target: usize::MAX,
        seen: &mut count,
        rng: Rng::new(seed),
        schema,
    }
    .walk(&schema.root);
    drop(probe);
    if count == 0 {
        return None;
    }
    let mut seen = 0;
    let root = Mutator {
        mutation,
        target: site % count,
        seen: &mut seen,
        rng: Rng::new(seed),
        schema,
    }
    .walk(&schema.root);
    // Named types are defined where they first appear: rebuild the table from the new tree.
    let mut named = HashMap::new();
    collect_named(&root, &mut named);
    Some(Schema { root, named })
}

fn collect_named(ty: &Ty, out: &mut HashMap<String, Ty>) {
    match ty {
        Ty::Fixed(n, _) | Ty::Enum(n, ..) => {
            out.insert(n.full.clone(), ty.clone());
        }
        Ty::Record(n, fields, _) => {
            out.insert(n.full.clone(), ty.clone());
            for f in fields {
                collect_named(&f.ty, out);
            }
        }
        Ty::Array(t) | Ty::Map(t) => collect_named(t, out),
        Ty::Union(b) => b.iter().for_each(|t| collect_named(t, out)),
        _ => {}
    }
}

struct Mutator<'a> {
    mutation: Mutation,
    target: usize,
    seen: &'a mut usize,
    rng: Rng,
    schema: &'a Schema,
}

impl Mutator<'_> {
    /// Whether this applicable place is the one to change.
    fn hit(&mut self) -> bool {
        let hit = *self.seen == self.target;
        *self.seen += 1;
        hit
    }

    // Each arm counts its place with `hit()` whether or not it is the one changed: the
    // check stays inside the arm.
    #[allow(clippy::collapsible_match)]
    fn walk(&mut self, ty: &Ty) -> Ty {
        use Mutation as M;
        let mut ty = ty.clone();
        match (&mut ty, self.mutation) {
            (Ty::Record(_, fields, _), M::AddFieldWithDefault | M::AddFieldWithoutDefault) => {
                if self.hit() {
                    let new_ty =
                        [Ty::Int, Ty::String, Ty::Long, Ty::Boolean][self.rng.below(4)].clone();
                    let default = (self.mutation == M::AddFieldWithDefault)
                        .then(|| default_value(self.schema, &new_ty, &mut self.rng));
                    fields.push(Field {
                        name: format!("added{}", fields.len()),
                        ty: new_ty,
                        default,
                        doc: None,
                        aliases: Vec::new(),
                    });
                }
            }
            (Ty::Record(_, fields, _), M::RemoveField) if !fields.is_empty() => {
                if self.hit() {
                    fields.remove(self.rng.below(fields.len()));
                }
            }
            (Ty::Record(_, fields, _), M::RenameField | M::RenameFieldWithAlias)
                if !fields.is_empty() =>
            {
                if self.hit() {
                    let i = self.rng.below(fields.len());
                    let old = std::mem::replace(&mut fields[i].name, format!("renamed{i}"));
                    if self.mutation == M::RenameFieldWithAlias {
                        fields[i].aliases.push(old);
                    }
                }
            }
            (Ty::Record(_, fields, _), M::ChangeDefault | M::RemoveDefault)
                if !fields.is_empty() =>
            {
                if self.hit() {
                    let i = self.rng.below(fields.len());
                    fields[i].default = (self.mutation == M::ChangeDefault)
                        .then(|| default_value(self.schema, &fields[i].ty, &mut self.rng));
                }
            }
            (Ty::Record(_, fields, _), M::SwapFields) if fields.len() > 1 => {
                if self.hit() {
                    let i = self.rng.below(fields.len() - 1);
                    fields.swap(i, i + 1);
                }
            }
            (Ty::Enum(_, symbols, _), M::AddSymbol) => {
                if self.hit() {
                    symbols.push(format!("NEW{}", symbols.len()));
                }
            }
            (Ty::Enum(_, symbols, default), M::RemoveSymbol) if symbols.len() > 1 => {
                if self.hit() {
                    let removed = symbols.remove(self.rng.below(symbols.len()));
                    if default.as_ref() == Some(&removed) {
                        *default = None;
                    }
                }
            }
            (Ty::Enum(_, symbols, default), M::ToggleEnumDefault) => {
                if self.hit() {
                    *default = match default {
                        Some(_) => None,
                        None => Some(symbols[self.rng.below(symbols.len())].clone()),
                    };
                }
            }
            (Ty::Fixed(_, size), M::GrowFixed) => {
                if self.hit() {
                    *size += 1;
                }
            }
            (Ty::Union(branches), M::AddBranch) => {
                let candidates: Vec<Ty> = [Ty::Null, Ty::Boolean, Ty::Long, Ty::String]
                    .into_iter()
                    .filter(|c| {
                        let k = kind(c, &self.schema.named);
                        branches.iter().all(|b| kind(b, &self.schema.named) != k)
                    })
                    .collect();
                if !candidates.is_empty() && self.hit() {
                    let c = candidates[self.rng.below(candidates.len())].clone();
                    // After the first branch, so that a field's default still fits.
                    branches.push(c);
                }
            }
            (Ty::Union(branches), M::RemoveBranch) if branches.len() > 2 => {
                if self.hit() {
                    // Never the first: a field's default is of the first branch.
                    let i = 1 + self.rng.below(branches.len() - 1);
                    branches.remove(i);
                }
            }
            (Ty::Int | Ty::Long | Ty::Float | Ty::String | Ty::Bytes, M::Promote) => {
                if self.hit() {
                    ty = match ty {
                        Ty::Int => [Ty::Long, Ty::Float, Ty::Double][self.rng.below(3)].clone(),
                        Ty::Long => [Ty::Float, Ty::Double][self.rng.below(2)].clone(),
                        Ty::Float => Ty::Double,
                        Ty::String => Ty::Bytes,
                        _ => Ty::String,
                    };
                }
            }
            (Ty::Long | Ty::Double, M::Demote) => {
                if self.hit() {
                    ty = if ty == Ty::Long { Ty::Int } else { Ty::Float };
                }
            }
            (Ty::Record(_, fields, _), M::MakeOptional)
                if fields
                    .iter()
                    .any(|f| !matches!(f.ty, Ty::Union(_) | Ty::Null)) =>
            {
                if self.hit() {
                    let f = fields
                        .iter_mut()
                        .find(|f| !matches!(f.ty, Ty::Union(_) | Ty::Null))
                        .expect("checked");
                    f.ty = Ty::Union(vec![Ty::Null, f.ty.clone()]);
                    f.default = Some(Value::Null);
                }
            }
            (
                Ty::Record(named, ..) | Ty::Enum(named, ..) | Ty::Fixed(named, _),
                M::RenameType | M::RenameTypeWithAlias,
            ) if !is_referenced(self.schema, &named.full) => {
                if self.hit() {
                    if self.mutation == M::RenameTypeWithAlias {
                        named.aliases.push(named.full.clone());
                    }
                    named.name = format!("{}Renamed", named.name);
                    named.full = format!("{}Renamed", named.full);
                }
            }
            _ => {}
        }
        match &mut ty {
            Ty::Record(_, fields, _) => {
                for f in fields.iter_mut() {
                    f.ty = self.walk(&f.ty);
                }
            }
            Ty::Array(t) | Ty::Map(t) => **t = self.walk(t),
            Ty::Union(branches) => {
                for b in branches.iter_mut() {
                    *b = self.walk(b);
                }
            }
            _ => {}
        }
        ty
    }
}

/// Whether some `Ty::Ref` names this type (renaming it would leave the reference dangling).
fn is_referenced(schema: &Schema, full: &str) -> bool {
    fn walk(ty: &Ty, full: &str) -> bool {
        match ty {
            Ty::Ref(n) => n == full,
            Ty::Record(_, fields, _) => fields.iter().any(|f| walk(&f.ty, full)),
            Ty::Array(t) | Ty::Map(t) => walk(t, full),
            Ty::Union(b) => b.iter().any(|t| walk(t, full)),
            _ => false,
        }
    }
    walk(&schema.root, full)
}

/// A mutation and where and with what it applies.
pub(crate) fn mutation() -> impl Strategy<Value = (Mutation, usize, u64)> {
    (
        prop::sample::select(MUTATIONS.to_vec()),
        any::<usize>(),
        any::<u64>(),
    )
}

/// Random JSON shaped like an Avro schema, mostly invalid: keys and values from Avro's
/// vocabulary, nested.
pub(crate) fn junk() -> impl Strategy<Value = Value> {
    let word = prop::sample::select(vec![
        "record",
        "enum",
        "fixed",
        "array",
        "map",
        "union",
        "null",
        "int",
        "long",
        "string",
        "bytes",
        "float",
        "double",
        "boolean",
        "error",
        "R",
        "a.b.R",
        ".R",
        "R.",
        "",
        "date",
        "decimal",
        "uuid",
        "duration",
        "timestamp-millis",
        "big-decimal",
        "1x",
        "a..b",
    ]);
    let key = prop::sample::select(vec![
        "type",
        "name",
        "namespace",
        "fields",
        "symbols",
        "items",
        "values",
        "size",
        "default",
        "aliases",
        "logicalType",
        "precision",
        "scale",
        "doc",
        "order",
    ]);
    let leaf = prop_oneof![
        word.prop_map(|w| json!(w)),
        any::<i64>().prop_map(|n| json!(n)),
        (-3i64..30).prop_map(|n| json!(n)),
        Just(Value::Null),
        any::<bool>().prop_map(|b| json!(b)),
        (-1e10f64..1e10).prop_map(|f| json!(f)),
    ];
    leaf.prop_recursive(5, 40, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}
