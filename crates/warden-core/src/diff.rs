//! The structured diff between two schemas: every change, each judged per direction by the
//! same checkers that answer `/compatibility`, and the verdict under each of the seven levels.
//!
//! How the changes are found, per format:
//! - **JSON Schema** and **Protobuf**: the changes are the [`crate::json::Difference`]s and
//!   [`crate::protobuf::Difference`]s of the format's own diff (Confluent's
//!   `SchemaDiff.compare(old, new)`), compatible ones included, with the kinds of the reverse
//!   diff (`compare(new, old)`) at the same path for the forward direction.
//! - **Avro**: a structural walk of the two canonical texts (records field by field, matched
//!   by name or alias; enums symbol by symbol; unions branch by branch; arrays, maps, fixed),
//!   since Avro's checker (Java's schema resolution) reports incompatibilities only.
//!
//! How each change is judged: the checker of `/compatibility`
//! ([`ParsedSchema::check_reader_writer_with_policy`]) runs both ways (backward: the new schema
//! reads the old one's data; forward: the old reads the new), and each [`Violation`] marks the
//! change it is about as breaking in that direction, under the violation's rule. A violation
//! is attached to the change at its path (or the deepest change above it); one that no change
//! explains becomes a change of its own, kind `INCOMPATIBILITY`. So a direction has a breaking
//! change exactly when its check has a violation, and [`SchemaDiff::levels`] follow from
//! those violations as [`crate::compat::check_with_policy`] applies a level to one earlier
//! schema: the diff and `/compatibility` cannot disagree.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::ParsedSchema;
use crate::types::{CompatibilityLevel, CompatibilityPolicy, SchemaType};
use crate::violation::{Direction, Violation};

/// The seven levels, in the order a [`SchemaDiff`] lists their verdicts.
pub const LEVELS: [CompatibilityLevel; 7] = [
    CompatibilityLevel::Backward,
    CompatibilityLevel::BackwardTransitive,
    CompatibilityLevel::Forward,
    CompatibilityLevel::ForwardTransitive,
    CompatibilityLevel::Full,
    CompatibilityLevel::FullTransitive,
    CompatibilityLevel::None,
];

/// The diff of two schemas (the body of `GET /warden/v1/subjects/{subject}/diff` and
/// `POST /warden/v1/diff`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaDiff {
    /// The format of both schemas (`AVRO`, `PROTOBUF`, `JSON`).
    pub schema_type: SchemaType,
    /// Every change from the old schema to the new one, in document order.
    pub changes: Vec<Change>,
    /// The verdict of the new schema against the old one under each of the seven levels
    /// (a transitive level against a single earlier schema is its non-transitive twin).
    pub levels: Vec<LevelVerdict>,
}

/// The body of `POST /warden/v1/diff`: two schemas, each as a registration submits it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffRequest {
    /// The old schema (`schema`, `schemaType`, `references`).
    pub old: crate::api::RegisterSchemaRequest,
    /// The new schema.
    pub new: crate::api::RegisterSchemaRequest,
    /// The subject whose context the references resolve in (the default context without
    /// one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `STRICT` (the default) or `LENIENT`: how JSON Schema changes are judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<CompatibilityPolicy>))]
    pub compatibility_policy: Option<String>,
}

/// Read as Confluent's resources read a body (`crate::jackson`): `old` and `new` as
/// `RegisterSchemaRequest`s, `subject` and `compatibilityPolicy` as strings; other keys are
/// ignored. A missing `old` or `new` is refused.
impl crate::jackson::JacksonRequest for DiffRequest {
    const CLASS: &'static str = "DiffRequest";

    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        use crate::api::RegisterSchemaRequest;
        use crate::jackson;
        let (mut old, mut new, mut subject, mut policy) = (None, None, None, None);
        jackson::each_field(fields, |key, value| {
            match key {
                "old" => old = jackson::read::<RegisterSchemaRequest>(value)?,
                "new" => new = jackson::read::<RegisterSchemaRequest>(value)?,
                "subject" => subject = jackson::string(value)?,
                "compatibilityPolicy" => policy = jackson::string(value)?,
                _ => {}
            }
            Ok(())
        })?;
        Ok(DiffRequest {
            old: old.ok_or("The field 'old' (the old schema) is required")?,
            new: new.ok_or("The field 'new' (the new schema) is required")?,
            subject,
            compatibility_policy: policy,
        })
    }
}

/// One change between the old and the new schema.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// What changed: Confluent's `Difference.Type` name for JSON Schema and Protobuf
    /// (`PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL`, `FIELD_SCALAR_KIND_CHANGED`, …); for Avro
    /// one of `FIELD_ADDED`, `FIELD_REMOVED`, `FIELD_RENAMED`, `TYPE_CHANGED`,
    /// `LOGICAL_TYPE_CHANGED`, `DEFAULT_ADDED`, `DEFAULT_REMOVED`, `DEFAULT_CHANGED`,
    /// `NAME_CHANGED`, `ENUM_SYMBOL_ADDED`, `ENUM_SYMBOL_REMOVED`, `ENUM_DEFAULT_CHANGED`,
    /// `UNION_BRANCH_ADDED`, `UNION_BRANCH_REMOVED`, `FIXED_SIZE_CHANGED`, `DOC_CHANGED`;
    /// `INCOMPATIBILITY` for a violation no change explains.
    pub kind: String,
    /// Where: Confluent's fragment path for JSON Schema (`#/properties/email`) and Protobuf
    /// (`#/Order/3`); for Avro a JSON pointer into the new schema (into the old one for what
    /// was removed), as Java's checker writes its locations (`/fields/3/type`).
    pub path: String,
    /// The old schema's fragment at the path (JSON text for Avro and JSON Schema, `.proto`
    /// text for Protobuf), absent when it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// The new schema's fragment, absent when it was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// Whether the new schema reads data written with the old one despite this change.
    pub backward: Judgement,
    /// Whether the old schema reads data written with the new one despite this change.
    pub forward: Judgement,
}

/// A change judged in one direction.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Judgement {
    /// Whether the change keeps readers working in this direction.
    pub compatible: bool,
    /// The rule: the violated rule's Confluent name when incompatible
    /// (`READER_FIELD_MISSING_DEFAULT_VALUE`, `FIELD_SCALAR_KIND_CHANGED`, …); when
    /// compatible, the compatible difference type (JSON Schema, Protobuf) or the change's
    /// kind (Avro: schema resolution allows it).
    pub rule: String,
    /// Confluent's verbose messages of the violations, as `/compatibility?verbose=true`
    /// lists them; empty when compatible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

/// The verdict under one level.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelVerdict {
    /// The level's name (`BACKWARD`, …, `NONE`).
    pub level: String,
    /// Whether the new schema may follow the old one under this level.
    pub compatible: bool,
}

impl SchemaDiff {
    /// The verdict under `level`; `None` for a name that is not one of the seven.
    pub fn verdict(&self, level: CompatibilityLevel) -> Option<bool> {
        self.levels
            .iter()
            .find(|l| l.level == level.as_str())
            .map(|l| l.compatible)
    }

    /// Whether some change breaks readers in either direction.
    pub fn has_breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|c| !c.backward.compatible || !c.forward.compatible)
    }
}

/// The diff from `old` to `new` (both parsed with their references), JSON Schema changes
/// judged under `policy`. Schemas of two formats give one `INCOMPATIBILITY` change per
/// direction (the checkers' `TYPE_MISMATCH`).
pub fn diff(old: &ParsedSchema, new: &ParsedSchema, policy: CompatibilityPolicy) -> SchemaDiff {
    diff_until(old, new, policy, &crate::Interrupt::never())
        .expect("a diff that is never interrupted reaches its end")
}

/// [`diff`] that gives up when `interrupt` is set: the checkers it runs are their `*_until`
/// forms, as `/compatibility` runs them.
///
/// Errors: [`crate::Interrupted`] when the diff stopped before its end.
pub fn diff_until(
    old: &ParsedSchema,
    new: &ParsedSchema,
    policy: CompatibilityPolicy,
    interrupt: &crate::Interrupt,
) -> Result<SchemaDiff, crate::Interrupted> {
    use crate::violation::violations;
    // The violations are those `check_reader_writer` finds: for JSON Schema and Protobuf the
    // incompatible differences of the same two diffs (writer → reader), computed once here.
    let (mut changes, backward, forward) = match (old, new) {
        (ParsedSchema::Json(o), ParsedSchema::Json(n)) => {
            let b = crate::json::compat::diff_until(o, n, policy, interrupt)?;
            let f = crate::json::compat::diff_until(n, o, policy, interrupt)?;
            let judge = |kind: crate::json::DifferenceType| kind.is_compatible(policy);
            let fragment =
                |schema: &crate::json::JsonSchema, path: &str| json_fragment(schema.value(), path);
            let changes = merge_differences(
                b.iter()
                    .map(|d| (d.kind.as_str(), d.path.as_str()))
                    .collect(),
                f.iter()
                    .map(|d| (d.kind.as_str(), d.path.as_str()))
                    .collect(),
                |p| fragment(o, p),
                |p| fragment(n, p),
            );
            (
                changes,
                violations(&b, Direction::NewReadsOld, judge),
                violations(&f, Direction::OldReadsNew, judge),
            )
        }
        (ParsedSchema::Protobuf(o), ParsedSchema::Protobuf(n)) => {
            let b = crate::protobuf::compat::diff_until(o, n, interrupt)?;
            let f = crate::protobuf::compat::diff_until(n, o, interrupt)?;
            let judge = crate::protobuf::DifferenceType::is_compatible;
            let changes = merge_differences(
                b.iter()
                    .map(|d| (d.kind.as_str(), d.path.as_str()))
                    .collect(),
                f.iter()
                    .map(|d| (d.kind.as_str(), d.path.as_str()))
                    .collect(),
                |p| proto_fragment(o, p),
                |p| proto_fragment(n, p),
            );
            (
                changes,
                violations(&b, Direction::NewReadsOld, judge),
                violations(&f, Direction::OldReadsNew, judge),
            )
        }
        _ => {
            let changes = match (old, new) {
                (ParsedSchema::Avro(o), ParsedSchema::Avro(n)) => {
                    let old_value: Value =
                        serde_json::from_str(o.canonical()).unwrap_or(Value::Null);
                    let new_value: Value =
                        serde_json::from_str(n.canonical()).unwrap_or(Value::Null);
                    avro_changes(&old_value, &new_value)
                }
                _ => Vec::new(),
            };
            (
                changes,
                new.check_reader_writer_until(old, Direction::NewReadsOld, policy, interrupt)?,
                old.check_reader_writer_until(new, Direction::OldReadsNew, policy, interrupt)?,
            )
        }
    };
    // The levels as `compat::check` applies them to one earlier schema: backward needs no
    // backward violation, forward none forward, full neither; transitive levels are their
    // twins against a single schema, and NONE checks nothing.
    let (backward_ok, forward_ok) = (backward.is_empty(), forward.is_empty());
    let levels = LEVELS
        .iter()
        .map(|&level| LevelVerdict {
            level: level.as_str().to_owned(),
            compatible: level == CompatibilityLevel::None
                || ((!level.backward() || backward_ok) && (!level.forward() || forward_ok)),
        })
        .collect();
    attach(&mut changes, backward, Direction::NewReadsOld);
    attach(&mut changes, forward, Direction::OldReadsNew);
    Ok(SchemaDiff {
        schema_type: new.schema_type(),
        changes: changes.into_iter().map(|c| c.change).collect(),
        levels,
    })
}

/// A change with the pointers violations are matched against: its location in the reader
/// schema of each direction (the new schema backward, the old one forward).
struct Located {
    change: Change,
    /// Where backward violations (paths in the new schema) find it, and whether only an
    /// exact match counts (a container standing for an element the new schema lacks).
    new_ptr: Option<(String, bool)>,
    /// Where forward violations (paths in the old schema) find it.
    old_ptr: Option<(String, bool)>,
}

fn compatible(rule: &str) -> Judgement {
    Judgement {
        compatible: true,
        rule: rule.to_owned(),
        messages: Vec::new(),
    }
}

/// JSON Schema's and Protobuf's changes: the backward differences, each with the forward
/// kind found at its path, then the forward differences at paths of no backward one.
fn merge_differences(
    backward: Vec<(&'static str, &str)>,
    forward: Vec<(&'static str, &str)>,
    old_fragment: impl Fn(&str) -> Option<String>,
    new_fragment: impl Fn(&str) -> Option<String>,
) -> Vec<Located> {
    let mut forward_at: HashMap<&str, Vec<&'static str>> = HashMap::new();
    for (kind, path) in &forward {
        forward_at.entry(path).or_default().push(kind);
    }
    let backward_paths: HashSet<&str> = backward.iter().map(|(_, p)| *p).collect();
    let located = |kind: &str, path: &str, forward_rule: &str| Located {
        change: Change {
            kind: kind.to_owned(),
            path: path.to_owned(),
            old: old_fragment(path),
            new: new_fragment(path),
            backward: compatible(kind),
            forward: compatible(forward_rule),
        },
        new_ptr: Some((path.to_owned(), true)),
        old_ptr: Some((path.to_owned(), true)),
    };
    // Confluent's diffs meet a type again through every field that reaches it, and report
    // its differences each time at the same path: one change each.
    let mut seen = HashSet::new();
    let mut out: Vec<Located> = backward
        .iter()
        .filter(|(kind, path)| seen.insert((*kind, *path)))
        .map(|(kind, path)| {
            let forward_rule = forward_at
                .get(path)
                .and_then(|kinds| kinds.first())
                .copied()
                .unwrap_or(kind);
            located(kind, path, forward_rule)
        })
        .collect();
    for (kind, path) in forward {
        if !backward_paths.contains(path) && seen.insert((kind, path)) {
            // Named from the old schema's side: the backward kind is the forward's reverse,
            // which the backward diff did not report here; keep the forward name for both.
            out.push(located(kind, path, kind));
        }
    }
    out
}

/// The changes by the pointer a direction's violations find them at: normalized pointer →
/// (index, exact-only).
type Index = HashMap<String, Vec<(usize, bool)>>;

fn index(changes: &[Located], pointer: impl Fn(&Located) -> Option<&(String, bool)>) -> Index {
    let mut map: Index = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if let Some((p, exact_only)) = pointer(c) {
            map.entry(normalize_pointer(p))
                .or_default()
                .push((i, *exact_only));
        }
    }
    map
}

/// Marks the changes each violation is about as breaking in `direction`; a violation no
/// change explains becomes a change of its own.
fn attach(changes: &mut Vec<Located>, violations: Vec<Violation>, direction: Direction) {
    let new_index = index(changes, |c| c.new_ptr.as_ref());
    let old_index = index(changes, |c| c.old_ptr.as_ref());
    let (own, other) = match direction {
        Direction::NewReadsOld => (&new_index, &old_index),
        Direction::OldReadsNew => (&old_index, &new_index),
    };
    for v in violations {
        let path = normalize_pointer(&v.path);
        let mut targets = best_matches(changes, own, &path, &v);
        if targets.is_empty() {
            // A location Java counts on the writer's side (a writer union's branch).
            targets = best_matches(changes, other, &path, &v);
        }
        if targets.is_empty() {
            let judgement = Judgement {
                compatible: false,
                rule: v.rule.to_owned(),
                messages: vec![v.message.clone()],
            };
            let (backward, forward) = match direction {
                Direction::NewReadsOld => (judgement, compatible("")),
                Direction::OldReadsNew => (compatible(""), judgement),
            };
            changes.push(Located {
                change: Change {
                    kind: "INCOMPATIBILITY".to_owned(),
                    path: v.path.clone(),
                    old: None,
                    new: None,
                    backward,
                    forward,
                },
                new_ptr: None,
                old_ptr: None,
            });
            continue;
        }
        for i in targets {
            let judgement = match direction {
                Direction::NewReadsOld => &mut changes[i].change.backward,
                Direction::OldReadsNew => &mut changes[i].change.forward,
            };
            if judgement.compatible {
                judgement.compatible = false;
                judgement.rule = v.rule.to_owned();
            }
            if !judgement.messages.contains(&v.message) {
                judgement.messages.push(v.message.clone());
            }
        }
    }
}

/// The changes whose pointer is the violation's path, preferring those whose kind is the
/// rule; else those at the deepest pointer above it (exact-only pointers aside).
fn best_matches(
    changes: &[Located],
    index: &Index,
    path: &str,
    violation: &Violation,
) -> Vec<usize> {
    if let Some(exact) = index.get(path) {
        let same_rule: Vec<usize> = exact
            .iter()
            .map(|(i, _)| *i)
            .filter(|&i| changes[i].change.kind == violation.rule)
            .collect();
        return if same_rule.is_empty() {
            exact.iter().map(|(i, _)| *i).collect()
        } else {
            same_rule
        };
    }
    let mut above = path;
    while let Some((parent, _)) = above.rsplit_once('/') {
        above = parent;
        if let Some(found) = index.get(above) {
            let open: Vec<usize> = found
                .iter()
                .filter(|(_, exact_only)| !exact_only)
                .map(|(i, _)| *i)
                .collect();
            if !open.is_empty() {
                return open;
            }
        }
    }
    Vec::new()
}

/// A path with its `#` and trailing `/` taken off: `#/` and `/` are the root, `""`.
fn normalize_pointer(path: &str) -> String {
    let p = path.strip_prefix('#').unwrap_or(path);
    p.trim_end_matches('/').to_owned()
}

/// The JSON Schema fragment at a Confluent path (`#/properties/a`), pretty-printed.
fn json_fragment(schema: &Value, path: &str) -> Option<String> {
    let pointer = normalize_pointer(path);
    let mut node = schema;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = match node {
            Value::Object(map) => map.get(&token)?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    serde_json::to_string_pretty(node).ok()
}

/// The `.proto` text of the field or enum value a Protobuf path (`#/Order/3`,
/// `#/Order/payment/7`, `#/Status/1`) names, or the message or enum it names.
fn proto_fragment(schema: &crate::protobuf::ProtobufSchema, path: &str) -> Option<String> {
    use prost_reflect::{Cardinality, Kind};
    let file = schema.file();
    let pointer = normalize_pointer(path);
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let (first, rest) = segments.split_first()?;
    if let Some(e) = file.enums().find(|e| e.name() == *first) {
        let number: i32 = rest.first()?.parse().ok()?;
        let value = e.get_value(number)?;
        return Some(format!("{} = {};", value.name(), value.number()));
    }
    // A type of the main file, else of an imported one (Confluent's paths name no package).
    let mut message = file.messages().find(|m| m.name() == *first).or_else(|| {
        schema
            .pool()
            .all_messages()
            .find(|m| m.name() == *first && m.parent_message().is_none())
    })?;
    for segment in rest {
        if let Ok(number) = segment.parse::<u32>() {
            let field = message.get_field(number)?;
            let label = match field.cardinality() {
                Cardinality::Repeated if !field.is_map() => "repeated ",
                Cardinality::Required => "required ",
                _ if field.field_descriptor_proto().proto3_optional() => "optional ",
                _ => "",
            };
            let kind = match field.kind() {
                Kind::Message(m) if field.is_map() => {
                    let key = m.map_entry_key_field().kind();
                    let value = m.map_entry_value_field().kind();
                    format!("map<{}, {}>", kind_name(&key), kind_name(&value))
                }
                k => kind_name(&k),
            };
            return Some(format!(
                "{label}{kind} {} = {};",
                field.name(),
                field.number()
            ));
        }
        let nested = message.child_messages().find(|m| m.name() == *segment);
        if let Some(nested) = nested {
            message = nested;
        } else if let Some(e) = message.child_enums().find(|e| e.name() == *segment) {
            return Some(format!("enum {} {{ … }}", e.name()));
        }
        // A oneof's name: the field number follows.
    }
    Some(format!("message {} {{ … }}", message.name()))
}

fn kind_name(kind: &prost_reflect::Kind) -> String {
    use prost_reflect::Kind;
    match kind {
        Kind::Double => "double".into(),
        Kind::Float => "float".into(),
        Kind::Int32 => "int32".into(),
        Kind::Int64 => "int64".into(),
        Kind::Uint32 => "uint32".into(),
        Kind::Uint64 => "uint64".into(),
        Kind::Sint32 => "sint32".into(),
        Kind::Sint64 => "sint64".into(),
        Kind::Fixed32 => "fixed32".into(),
        Kind::Fixed64 => "fixed64".into(),
        Kind::Sfixed32 => "sfixed32".into(),
        Kind::Sfixed64 => "sfixed64".into(),
        Kind::Bool => "bool".into(),
        Kind::String => "string".into(),
        Kind::Bytes => "bytes".into(),
        Kind::Message(m) => m.full_name().to_owned(),
        Kind::Enum(e) => e.full_name().to_owned(),
    }
}

// ---- Avro: a structural walk of the two canonical texts ----

/// The named types (record, enum, fixed) a schema defines, by full name.
fn avro_names(value: &Value) -> HashMap<String, Value> {
    fn walk(v: &Value, namespace: Option<&str>, out: &mut HashMap<String, Value>) {
        match v {
            Value::Array(branches) => branches.iter().for_each(|b| walk(b, namespace, out)),
            Value::Object(map) => {
                let kind = map.get("type").and_then(Value::as_str).unwrap_or_default();
                let mut ns = namespace.map(str::to_owned);
                if matches!(kind, "record" | "error" | "enum" | "fixed") {
                    ns = crate::avro::full_namespace(map, namespace);
                    if let Some(name) = map.get("name").and_then(Value::as_str) {
                        out.insert(crate::avro::qualify(name, ns.as_deref()), v.clone());
                    }
                }
                if let Some(Value::Array(fields)) = map.get("fields") {
                    for f in fields {
                        if let Some(t) = f.get("type") {
                            walk(t, ns.as_deref(), out);
                        }
                    }
                }
                for key in ["items", "values"] {
                    if let Some(t) = map.get(key) {
                        walk(t, ns.as_deref(), out);
                    }
                }
                if let Some(t @ (Value::Object(_) | Value::Array(_))) = map.get("type") {
                    walk(t, ns.as_deref(), out);
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    walk(value, None, &mut out);
    out
}

struct AvroWalk {
    old_names: HashMap<String, Value>,
    new_names: HashMap<String, Value>,
    visited: HashSet<(String, String)>,
    out: Vec<Located>,
}

/// The type a node stands for: a primitive's name, `record`, `enum`, `fixed`, `array`,
/// `map` or `union`, and a named type's name (unqualified, as Java compares them).
fn avro_kind(v: &Value) -> (String, Option<String>) {
    match v {
        Value::String(s) => (s.clone(), None),
        Value::Array(_) => ("union".into(), None),
        Value::Object(map) => {
            let kind = match map.get("type") {
                Some(Value::String(s)) if s == "error" => "record".to_owned(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => avro_kind(other).0,
                None => String::new(),
            };
            let name = map.get("name").and_then(Value::as_str).map(|n| {
                n.rsplit_once('.')
                    .map_or(n.to_owned(), |(_, short)| short.to_owned())
            });
            (kind, name)
        }
        _ => (String::new(), None),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

impl AvroWalk {
    /// A named type written by name, looked up among the side's definitions.
    fn resolve<'v>(&'v self, v: &'v Value, old: bool) -> &'v Value {
        if let Value::String(s) = v
            && !crate::avro::is_primitive(s)
        {
            let names = if old {
                &self.old_names
            } else {
                &self.new_names
            };
            // The walked texts have every name qualified (`avro_changes`): a reference is a
            // full name, looked up exactly.
            if let Some(found) = names.get(s) {
                return found;
            }
        }
        v
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: &str,
        path_old: &str,
        path_new: &str,
        old: Option<String>,
        new: Option<String>,
        old_exact: bool,
        new_exact: bool,
    ) {
        let path = if new.is_none() && old.is_some() {
            path_old
        } else {
            path_new
        };
        self.out.push(Located {
            change: Change {
                kind: kind.to_owned(),
                path: if path.is_empty() {
                    "/".to_owned()
                } else {
                    path.to_owned()
                },
                old,
                new,
                backward: compatible(kind),
                forward: compatible(kind),
            },
            new_ptr: Some((path_new.to_owned(), new_exact)),
            old_ptr: Some((path_old.to_owned(), old_exact)),
        });
    }

    fn node(&mut self, old: &Value, new: &Value, po: &str, pn: &str) {
        let o = self.resolve(old, true).clone();
        let n = self.resolve(new, false).clone();
        let (ok, oname) = avro_kind(&o);
        let (nk, nname) = avro_kind(&n);
        if ok != nk {
            self.push(
                "TYPE_CHANGED",
                po,
                pn,
                Some(pretty(old)),
                Some(pretty(new)),
                false,
                false,
            );
            return;
        }
        if let (Some(a), Some(b)) = (&oname, &nname) {
            if a != b {
                // Aliases and names compared by full name, as Avro resolves them (the
                // walked texts have both qualified).
                let old_full = o.get("name").and_then(Value::as_str).unwrap_or_default();
                let aliases = n
                    .get("aliases")
                    .and_then(Value::as_array)
                    .is_some_and(|al| al.iter().any(|x| x.as_str() == Some(old_full)));
                if !aliases {
                    self.push(
                        "NAME_CHANGED",
                        &format!("{po}/name"),
                        &format!("{pn}/name"),
                        Some(a.clone()),
                        Some(b.clone()),
                        false,
                        false,
                    );
                }
            }
            // Keyed by full names: two types of one short name in different namespaces
            // are two types.
            let full = |v: &Value| {
                v.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            if !self
                .visited
                .insert((format!("{ok}:{}", full(&o)), full(&n)))
            {
                return;
            }
        }
        let logical = |v: &Value| v.get("logicalType").cloned();
        if logical(&o) != logical(&n) {
            self.push(
                "LOGICAL_TYPE_CHANGED",
                po,
                pn,
                Some(pretty(&o)),
                Some(pretty(&n)),
                false,
                false,
            );
        }
        match ok.as_str() {
            "record" => self.record(&o, &n, po, pn),
            "enum" => self.enumeration(&o, &n, po, pn),
            "fixed" if o.get("size") != n.get("size") => {
                self.push(
                    "FIXED_SIZE_CHANGED",
                    &format!("{po}/size"),
                    &format!("{pn}/size"),
                    o.get("size").map(pretty),
                    n.get("size").map(pretty),
                    false,
                    false,
                );
            }
            "array" => self.child(&o, &n, po, pn, "items"),
            "map" => self.child(&o, &n, po, pn, "values"),
            "union" => self.union(&o, &n, po, pn),
            _ => {}
        }
    }

    fn child(&mut self, o: &Value, n: &Value, po: &str, pn: &str, key: &str) {
        if let (Some(a), Some(b)) = (o.get(key), n.get(key)) {
            self.node(a, b, &format!("{po}/{key}"), &format!("{pn}/{key}"));
        }
    }

    fn doc(&mut self, o: &Value, n: &Value, po: &str, pn: &str) {
        if o.get("doc") != n.get("doc") {
            self.push(
                "DOC_CHANGED",
                &format!("{po}/doc"),
                &format!("{pn}/doc"),
                o.get("doc").map(pretty),
                n.get("doc").map(pretty),
                true,
                true,
            );
        }
    }

    fn record(&mut self, o: &Value, n: &Value, po: &str, pn: &str) {
        self.doc(o, n, po, pn);
        let empty = Vec::new();
        let of = o.get("fields").and_then(Value::as_array).unwrap_or(&empty);
        let nf = n.get("fields").and_then(Value::as_array).unwrap_or(&empty);
        let name = |f: &Value| {
            f.get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let mut matched_old = HashSet::new();
        for (j, field) in nf.iter().enumerate() {
            let fname = name(field);
            let pn_f = format!("{pn}/fields/{j}");
            let aliases: Vec<String> = field
                .get("aliases")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let found = of
                .iter()
                .position(|f| name(f) == fname)
                .or_else(|| of.iter().position(|f| aliases.contains(&name(f))));
            match found {
                None => self.push(
                    "FIELD_ADDED",
                    &format!("{po}/fields"),
                    &pn_f,
                    None,
                    Some(pretty(field)),
                    true,
                    false,
                ),
                Some(i) => {
                    matched_old.insert(i);
                    let old_field = &of[i];
                    let po_f = format!("{po}/fields/{i}");
                    if name(old_field) != fname {
                        self.push(
                            "FIELD_RENAMED",
                            &po_f,
                            &pn_f,
                            Some(name(old_field)),
                            Some(fname.clone()),
                            true,
                            true,
                        );
                    }
                    self.doc(old_field, field, &po_f, &pn_f);
                    match (old_field.get("default"), field.get("default")) {
                        (None, Some(d)) => self.push(
                            "DEFAULT_ADDED",
                            &po_f,
                            &pn_f,
                            None,
                            Some(pretty(d)),
                            true,
                            false,
                        ),
                        (Some(d), None) => self.push(
                            "DEFAULT_REMOVED",
                            &po_f,
                            &pn_f,
                            Some(pretty(d)),
                            None,
                            false,
                            true,
                        ),
                        (Some(a), Some(b)) if a != b => self.push(
                            "DEFAULT_CHANGED",
                            &po_f,
                            &pn_f,
                            Some(pretty(a)),
                            Some(pretty(b)),
                            true,
                            true,
                        ),
                        _ => {}
                    }
                    if let (Some(a), Some(b)) = (old_field.get("type"), field.get("type")) {
                        self.node(a, b, &format!("{po_f}/type"), &format!("{pn_f}/type"));
                    }
                }
            }
        }
        for (i, field) in of.iter().enumerate() {
            if !matched_old.contains(&i) {
                self.push(
                    "FIELD_REMOVED",
                    &format!("{po}/fields/{i}"),
                    &format!("{pn}/fields"),
                    Some(pretty(field)),
                    None,
                    false,
                    true,
                );
            }
        }
    }

    fn enumeration(&mut self, o: &Value, n: &Value, po: &str, pn: &str) {
        self.doc(o, n, po, pn);
        let symbols = |v: &Value| -> Vec<String> {
            v.get("symbols")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (os, ns) = (symbols(o), symbols(n));
        for (j, s) in ns.iter().enumerate() {
            if !os.contains(s) {
                self.push(
                    "ENUM_SYMBOL_ADDED",
                    &format!("{po}/symbols"),
                    &format!("{pn}/symbols/{j}"),
                    None,
                    Some(pretty(&Value::String(s.clone()))),
                    true,
                    true,
                );
            }
        }
        for (i, s) in os.iter().enumerate() {
            if !ns.contains(s) {
                self.push(
                    "ENUM_SYMBOL_REMOVED",
                    &format!("{po}/symbols/{i}"),
                    &format!("{pn}/symbols"),
                    Some(pretty(&Value::String(s.clone()))),
                    None,
                    true,
                    true,
                );
            }
        }
        if o.get("default") != n.get("default") {
            self.push(
                "ENUM_DEFAULT_CHANGED",
                &format!("{po}/default"),
                &format!("{pn}/default"),
                o.get("default").map(pretty),
                n.get("default").map(pretty),
                true,
                true,
            );
        }
    }

    fn union(&mut self, o: &Value, n: &Value, po: &str, pn: &str) {
        let empty = Vec::new();
        let ob = o.as_array().unwrap_or(&empty);
        let nb = n.as_array().unwrap_or(&empty);
        let identity = |w: &Self, v: &Value, old: bool| {
            let (kind, name) = avro_kind(w.resolve(v, old));
            format!("{kind}:{}", name.unwrap_or_default())
        };
        let old_ids: Vec<String> = ob.iter().map(|b| identity(self, b, true)).collect();
        let new_ids: Vec<String> = nb.iter().map(|b| identity(self, b, false)).collect();
        for (j, b) in nb.iter().enumerate() {
            match old_ids.iter().position(|id| *id == new_ids[j]) {
                Some(i) => self.node(&ob[i], b, &format!("{po}/{i}"), &format!("{pn}/{j}")),
                None => self.push(
                    "UNION_BRANCH_ADDED",
                    po,
                    &format!("{pn}/{j}"),
                    None,
                    Some(pretty(b)),
                    true,
                    false,
                ),
            }
        }
        for (i, b) in ob.iter().enumerate() {
            if !new_ids.contains(&old_ids[i]) {
                self.push(
                    "UNION_BRANCH_REMOVED",
                    &format!("{po}/{i}"),
                    pn,
                    Some(pretty(b)),
                    None,
                    false,
                    true,
                );
            }
        }
    }
}

/// The changes from `old` to `new`, walked with every name qualified as the Avro
/// specification's namespace rules read it (`crate::avro::normalize_value`: a named type's
/// name, its aliases and the names it references, in its enclosing namespace), so that
/// named types are told apart, looked up and compared by full name. Arrays keep their
/// order, so the JSON Pointers hold for the texts as given.
fn avro_changes(old: &Value, new: &Value) -> Vec<Located> {
    let old = &crate::avro::normalize_value(old.clone(), None);
    let new = &crate::avro::normalize_value(new.clone(), None);
    let mut walk = AvroWalk {
        old_names: avro_names(old),
        new_names: avro_names(new),
        visited: HashSet::new(),
        out: Vec::new(),
    };
    walk.node(old, new, "", "");
    walk.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: SchemaType, text: &str) -> ParsedSchema {
        ParsedSchema::parse(t, text, &[]).unwrap()
    }

    #[test]
    fn an_avro_field_added_without_default_breaks_backward_only() {
        let old = parse(
            SchemaType::Avro,
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
        );
        let new = parse(
            SchemaType::Avro,
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"},
                {"name":"b","type":"string"},{"name":"c","type":"string","default":"x"}]}"#,
        );
        let d = diff(&old, &new, CompatibilityPolicy::Strict);
        let b = d.changes.iter().find(|c| c.path == "/fields/1").unwrap();
        assert_eq!(b.kind, "FIELD_ADDED");
        assert!(!b.backward.compatible);
        assert_eq!(b.backward.rule, "READER_FIELD_MISSING_DEFAULT_VALUE");
        assert!(b.forward.compatible);
        let c = d.changes.iter().find(|c| c.path == "/fields/2").unwrap();
        assert!(c.backward.compatible && c.forward.compatible, "{c:?}");
        let a = d
            .changes
            .iter()
            .find(|c| c.path == "/fields/0/type")
            .unwrap();
        assert!(a.backward.compatible, "int promotes to long");
        assert!(!a.forward.compatible, "long does not read as int");
        assert_eq!(d.verdict(CompatibilityLevel::Backward), Some(false));
        assert_eq!(d.verdict(CompatibilityLevel::None), Some(true));
        assert!(
            !d.changes.iter().any(|c| c.kind == "INCOMPATIBILITY"),
            "{d:#?}"
        );
    }

    #[test]
    fn avro_types_of_one_short_name_in_two_namespaces_are_walked_apart() {
        // `a.Id` and `b.Id`: a change inside the second is found after the first is walked,
        // and an alias is matched by full name only.
        let text = |t_field: &str, alias: &str| {
            format!(
                r#"{{"type":"record","name":"R","namespace":"top","fields":[
                  {{"name":"x","type":{{"type":"record","name":"Id","namespace":"a",
                    "fields":[{{"name":"v","type":"string"}}]}}}},
                  {{"name":"y","type":{{"type":"record","name":"Id","namespace":"b",
                    "fields":[{{"name":"v","type":"string"}}{t_field}]}}}},
                  {{"name":"z","type":{{"type":"enum","name":"{alias}","symbols":["A"]
                    {aliases}}}}}]}}"#,
                aliases = if alias == "Bar" {
                    String::new()
                } else {
                    r#","aliases":["FooBar"]"#.to_owned()
                }
            )
        };
        let old = parse(SchemaType::Avro, &text("", "Bar"));
        let new = parse(
            SchemaType::Avro,
            &text(r#",{"name":"t","type":"int","default":0}"#, "Baz"),
        );
        let d = diff(&old, &new, CompatibilityPolicy::Strict);
        let t = d
            .changes
            .iter()
            .find(|c| c.path == "/fields/1/type/fields/1")
            .unwrap_or_else(|| panic!("the field added inside b.Id: {d:#?}"));
        assert_eq!(t.kind, "FIELD_ADDED");
        // `top.FooBar` is no alias of `top.Bar`: the rename is a change.
        assert!(
            d.changes
                .iter()
                .any(|c| c.kind == "NAME_CHANGED" && c.path == "/fields/2/type/name"),
            "{d:#?}"
        );
    }

    #[test]
    fn json_and_protobuf_changes_carry_confluent_rules() {
        let old = parse(
            SchemaType::Json,
            r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#,
        );
        let new = parse(
            SchemaType::Json,
            r#"{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":false}"#,
        );
        let d = diff(&old, &new, CompatibilityPolicy::Strict);
        let c = d
            .changes
            .iter()
            .find(|c| c.path == "#/properties/a")
            .unwrap();
        assert_eq!(c.backward.rule, "TYPE_CHANGED");
        assert!(!c.backward.compatible);
        assert!(c.old.as_deref().unwrap().contains("string"));
        let old = parse(
            SchemaType::Protobuf,
            "syntax = \"proto3\"; message M { int32 x = 1; }",
        );
        let new = parse(
            SchemaType::Protobuf,
            "syntax = \"proto3\"; message M { string x = 1; int32 y = 2; }",
        );
        let d = diff(&old, &new, CompatibilityPolicy::Strict);
        let x = d.changes.iter().find(|c| c.path == "#/M/1").unwrap();
        assert!(!x.backward.compatible, "{d:#?}");
        assert_eq!(x.new.as_deref(), Some("string x = 1;"));
        let y = d.changes.iter().find(|c| c.path == "#/M/2").unwrap();
        assert!(y.backward.compatible && y.forward.compatible, "{y:?}");
    }
}

#[cfg(test)]
mod avro_tests {
    use super::*;

    fn avro(text: &str) -> ParsedSchema {
        ParsedSchema::parse(SchemaType::Avro, text, &[]).unwrap()
    }

    fn find<'d>(d: &'d SchemaDiff, kind: &str) -> &'d Change {
        d.changes
            .iter()
            .find(|c| c.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} in {d:#?}"))
    }

    #[test]
    fn enum_symbols_and_union_branches_carry_their_own_direction() {
        let old = avro(
            r#"{"type":"record","name":"R","fields":[
                {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
                {"name":"u","type":["null","string"],"default":null}]}"#,
        );
        let new = avro(
            r#"{"type":"record","name":"R","fields":[
                {"name":"e","type":{"type":"enum","name":"E","symbols":["A","C"]}},
                {"name":"u","type":["null","string","int"],"default":null}]}"#,
        );
        let d = diff(&old, &new, CompatibilityPolicy::Strict);
        let removed = find(&d, "ENUM_SYMBOL_REMOVED");
        assert_eq!(removed.backward.rule, "MISSING_ENUM_SYMBOLS");
        assert!(
            !removed.backward.compatible && removed.forward.compatible,
            "{removed:?}"
        );
        let added = find(&d, "ENUM_SYMBOL_ADDED");
        assert_eq!(added.forward.rule, "MISSING_ENUM_SYMBOLS");
        assert!(
            added.backward.compatible && !added.forward.compatible,
            "{added:?}"
        );
        let branch = find(&d, "UNION_BRANCH_ADDED");
        assert!(
            branch.backward.compatible,
            "a new reader branch reads old data"
        );
        assert!(
            !branch.forward.compatible,
            "the old union lacks the int branch"
        );
        assert_eq!(branch.forward.rule, "MISSING_UNION_BRANCH");
        assert!(
            !d.changes.iter().any(|c| c.kind == "INCOMPATIBILITY"),
            "{d:#?}"
        );
    }

    #[test]
    fn a_field_removed_without_default_breaks_forward_and_a_renamed_type_breaks_both() {
        let old = avro(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},
                {"name":"f","type":{"type":"fixed","name":"F","size":4}}]}"#,
        );
        let new = avro(
            r#"{"type":"record","name":"R","fields":[
                {"name":"f","type":{"type":"fixed","name":"F","size":8}}]}"#,
        );
        let d = diff(&old, &new, CompatibilityPolicy::Strict);
        let removed = find(&d, "FIELD_REMOVED");
        assert_eq!(removed.path, "/fields/0");
        assert!(removed.backward.compatible);
        assert_eq!(removed.forward.rule, "READER_FIELD_MISSING_DEFAULT_VALUE");
        let size = find(&d, "FIXED_SIZE_CHANGED");
        assert_eq!(size.backward.rule, "FIXED_SIZE_MISMATCH");
        assert_eq!(size.forward.rule, "FIXED_SIZE_MISMATCH");
        assert_eq!(d.verdict(CompatibilityLevel::Full), Some(false));
    }
}
