//! Data-contract rules executed by the serializers and deserializers, in Confluent's order
//! (confluent-kafka-python `BaseSerde._execute_rules`, Java `AbstractKafkaSchemaSerDe
//! .executeRules`):
//!
//! - the domain rules of the schema version, in order on `WRITE` and in reverse on `READ`;
//!   a `disabled` rule, and a rule whose mode does not cover the phase, are skipped;
//! - `CEL` runs on the whole message (bound as `message`); a `CONDITION` must be `true`, a
//!   `TRANSFORM` returns the new message;
//! - `CEL_FIELD` runs on every primitive field (string, bytes, numbers, boolean, null)
//!   whose tags meet the rule's `tags` (every field when the rule has none), with `value`,
//!   `name`, `fullName`, `typeName`, `tags` and `message` (the containing record) bound; a
//!   transform replaces the field's value; of several field transforms with the same tags,
//!   mode and type, only the first (on write; the last on read) runs;
//! - an expression `guard ; expr` runs `expr` only where `guard` holds;
//! - a field's tags are its inline tags (`confluent:tags` on an Avro field or a JSON Schema
//!   property, `(confluent.field_meta).tags` on a Protobuf field) and the external tags of
//!   `metadata.tags` whose pattern matches its full name (`ns.Record.field` in Avro,
//!   `$.a.b` in JSON Schema, `package.Message.field` in Protobuf);
//! - after a rule, its `onSuccess` action (default `NONE`) or on failure (a false condition,
//!   an error, no executor of the rule's type) its `onFailure` action (default `ERROR`):
//!   `ERROR` refuses the record ([`SerdeError::Rule`]), `NONE` goes on, `DLQ` refuses it
//!   marked for the dead-letter topic (`dlq.topic`).
//!
//! - `ENCRYPT` encrypts the fields its tags select on write and decrypts them on read
//!   (see [`encrypt`](self::encrypt)).
//!
//! Programs are compiled once per schema version ([`Contract::new`]), never per record.
//! Rule types without an executor here (`JSONATA` as a domain rule, custom types) fail as
//! Confluent's clients fail without the executor: by the rule's `onFailure`.

mod cel;
pub(crate) mod encrypt;
pub(crate) mod migrate;
mod native;
mod projection;
mod route;

pub(crate) use self::projection::Projection;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

use apache_avro::Schema as AvroNode;
use apache_avro::schema::{Name, RecordSchema};
use serde_json::Value;
use warden_core::ParsedSchema;
use warden_core::avro::AvroSchema;
use warden_core::rules::{ContractTags, Rule, RuleAction, RuleKind, RuleMode, RuleSet};
use warden_core::tags::TagMap;

use ::cel::common::types::{CelList, CelString};
use ::cel::common::value::Val;

use self::cel::{Compiled, to_json, to_val};
use crate::error::{Result, RuleFailure, SerdeError};

/// The rules of one schema version, ready to run: the rule set, the metadata's tags and
/// properties, and every CEL program compiled.
#[derive(Debug)]
pub struct Contract {
    rules: RuleSet,
    tags: ContractTags,
    properties: BTreeMap<String, String>,
    /// Per domain rule, its compiled program (CEL and CEL_FIELD rules), or the compile error.
    programs: Vec<Option<std::result::Result<Compiled, String>>>,
    /// The fields' names and tags, kept for the schema version.
    plan: FieldPlan,
    /// What the write rules read of a record, found at the first record
    /// ([`Contract::write_projection`]).
    projection: OnceLock<Option<Projection>>,
    /// Per domain rule, the fields a `CEL_FIELD` rule selects, resolved at the first
    /// record ([`Contract::check`]); `None` for other rules and those without a route.
    routes: OnceLock<Vec<Option<route::Route>>>,
}

/// Why one rule failed, before its action decides what that means.
struct Failed {
    field: Option<String>,
    message: String,
}

impl Failed {
    /// A rule whose `type` no executor runs (Confluent: "could not find rule executor").
    fn unknown_executor(ty: &str) -> Self {
        Self {
            field: None,
            message: format!(
                "could not find rule executor of type {}",
                ty.to_ascii_uppercase()
            ),
        }
    }
}

/// A field as the rules see it (Confluent's `FieldContext`): borrowed from the
/// [`FieldPlan`], with the type of the value at hand (a union's branch).
struct FieldCtx<'a> {
    full_name: &'a str,
    name: &'a str,
    type_name: &'static str,
    tags: &'a [String],
}

impl<'a> FieldCtx<'a> {
    fn of(info: &'a FieldInfo) -> Self {
        Self {
            full_name: &info.full_name,
            name: &info.name,
            type_name: "",
            tags: &info.tags,
        }
    }
}

/// What the rules need of one field of the schema: its full name, name and tags (inline
/// and from the metadata's patterns). Computed at the field's first record and kept for
/// the schema version, where Confluent's clients recompute them per record.
#[derive(Debug)]
struct FieldInfo {
    full_name: String,
    name: String,
    /// The inline tags alone: a JSON Schema path reached through another subschema, with
    /// other inline tags, does not use the kept entry.
    inline: Vec<String>,
    /// The inline tags, then the external tags not among them.
    tags: Vec<String>,
    /// Whether the field's type may hold a record (through arrays, maps, unions, named
    /// types or subschemas), whose fields a walk must visit even when this one is not
    /// selected.
    nested: bool,
    /// The JSON Schema subschema `nested` was computed from (its address), to tell when
    /// a path is reached through another one.
    schema: usize,
}

impl FieldInfo {
    fn new(
        full_name: String,
        name: &str,
        inline: Vec<String>,
        external: &ContractTags,
        nested: bool,
    ) -> Self {
        let mut tags = inline.clone();
        for tag in external.tags_of(&full_name) {
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_owned());
            }
        }
        Self {
            full_name,
            name: name.to_owned(),
            inline,
            tags,
            nested,
            schema: 0,
        }
    }

    /// Whether a rule selecting fields tagged `select` (every field when `None`) applies to
    /// this field, or to a field inside it.
    fn visited_by(&self, select: Option<&[String]>) -> bool {
        self.nested || select.is_none_or(|wanted| wanted.iter().any(|t| self.tags.contains(t)))
    }
}

/// Whether an Avro type may hold a record: a record or named type, or an array, map or
/// union of one.
fn avro_nested(node: &AvroNode) -> bool {
    match node {
        AvroNode::Record(_) | AvroNode::Ref { .. } => true,
        AvroNode::Array(array) => avro_nested(&array.items),
        AvroNode::Map(map) => avro_nested(&map.types),
        AvroNode::Union(union) => union.variants().iter().any(avro_nested),
        _ => false,
    }
}

/// Whether a JSON Schema subschema may hold an object whose properties the walk visits:
/// anything but a schema of one primitive `type` without `items`, `$ref` or combinators.
fn json_nested(schema: &Value) -> bool {
    let Value::Object(s) = schema else {
        return false;
    };
    let primitive = match s.get("type") {
        Some(t) => matches!(
            t.as_str(),
            Some("string" | "integer" | "number" | "boolean" | "null")
        ),
        None => s.contains_key("enum") || s.contains_key("const"),
    };
    !primitive
        || ["properties", "items", "$ref", "allOf", "anyOf", "oneOf"]
            .iter()
            .any(|k| s.contains_key(*k))
}

/// The field plan of a schema version: a [`FieldInfo`] per field of each Avro record (by
/// the record's name), per JSON Schema path and per Protobuf field (by full name), filled
/// as fields are first met, so that no name is formatted and no tag pattern matched per
/// record.
#[derive(Debug, Default)]
struct FieldPlan {
    avro: RwLock<HashMap<Name, Arc<[FieldInfo]>>>,
    by_name: RwLock<HashMap<String, Arc<FieldInfo>>>,
    /// The Protobuf schema's inline tags (`(confluent.field_meta).tags`).
    proto_inline: OnceLock<TagMap>,
    /// The Avro schema's named types by full name, for its `Ref` nodes: those defined in
    /// the schema itself (at any depth: a record defined inline in one field and used by
    /// name in another) and those of its references. Cloned once per schema version.
    avro_names: OnceLock<HashMap<Name, AvroNode>>,
}

/// Past this many kept fields (a pathological recursive schema), new ones are computed per
/// record instead of kept.
const PLAN_LIMIT: usize = 100_000;

impl FieldPlan {
    fn avro_record(&self, record: &RecordSchema, external: &ContractTags) -> Arc<[FieldInfo]> {
        if let Some(found) = read(&self.avro).get(&record.name) {
            return Arc::clone(found);
        }
        let record_name = record.name.fullname(None);
        let infos: Arc<[FieldInfo]> = record
            .fields
            .iter()
            .map(|rf| {
                let inline = string_list(rf.custom_attributes.get(warden_core::tags::TAGS));
                let full = format!("{record_name}.{}", rf.name);
                FieldInfo::new(full, &rf.name, inline, external, avro_nested(&rf.schema))
            })
            .collect();
        let mut kept = write(&self.avro);
        if kept.len() < PLAN_LIMIT {
            kept.insert(record.name.clone(), Arc::clone(&infos));
        }
        infos
    }

    /// The property at `full_name` (a JSON Schema path) with subschema `schema`.
    fn json_field(
        &self,
        full_name: &str,
        name: &str,
        schema: &Value,
        external: &ContractTags,
    ) -> Arc<FieldInfo> {
        let inline = schema.get(warden_core::tags::TAGS);
        let address = std::ptr::from_ref(schema) as usize;
        if let Some(found) = read(&self.by_name).get(full_name)
            && found.schema == address
            && same_strings(&found.inline, inline)
        {
            return Arc::clone(found);
        }
        let mut info = FieldInfo::new(
            full_name.to_owned(),
            name,
            string_list(inline),
            external,
            json_nested(schema),
        );
        info.schema = address;
        let info = Arc::new(info);
        self.keep(&info);
        info
    }

    /// The Protobuf field `field` (inline tags from `inline`, whose entities name messages
    /// without `package`).
    fn proto_field(
        &self,
        field: &prost_reflect::FieldDescriptor,
        inline: &TagMap,
        package: &str,
        external: &ContractTags,
    ) -> Arc<FieldInfo> {
        let full = field.full_name();
        if let Some(found) = read(&self.by_name).get(full) {
            return Arc::clone(found);
        }
        let entity = full
            .strip_prefix(package)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(full);
        let tags = inline
            .entries()
            .iter()
            .filter(|(e, _)| e.normalized_path() == entity)
            .flat_map(|(_, tags)| tags.iter().cloned())
            .collect();
        let nested = matches!(field.kind(), prost_reflect::Kind::Message(_));
        let info = Arc::new(FieldInfo::new(
            full.to_owned(),
            field.name(),
            tags,
            external,
            nested,
        ));
        self.keep(&info);
        info
    }

    /// The definition of the named type `name` in `root` (first definition wins, as in
    /// Avro's parser), or `None` when the schema has none.
    fn avro_named(&self, root: &AvroSchema, name: &Name) -> Option<&AvroNode> {
        self.avro_names
            .get_or_init(|| avro_definitions(root))
            .get(name)
    }

    fn keep(&self, info: &Arc<FieldInfo>) {
        let mut kept = write(&self.by_name);
        if kept.len() < PLAN_LIMIT {
            kept.insert(info.full_name.clone(), Arc::clone(info));
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

/// The strings of a JSON array (`confluent:tags`); none for anything else.
fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect()
}

/// Whether `list` holds the strings of the JSON array `value`, in order.
fn same_strings(list: &[String], value: Option<&Value>) -> bool {
    let mut strings = value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    list.iter().all(|l| strings.next() == Some(l.as_str())) && strings.next().is_none()
}

impl Contract {
    /// The contract of a schema version from its stored `ruleSet` and `metadata`; `None`
    /// when it has no rules.
    ///
    /// Errors: [`SerdeError::Config`] when the rule set does not read as one.
    pub fn new(rule_set: Option<&Value>, metadata: Option<&Value>) -> Result<Option<Self>> {
        let rules = RuleSet::from_json(rule_set)
            .map_err(|e| SerdeError::Config(format!("the schema's rule set: {e}")))?;
        if rules.is_empty() {
            return Ok(None);
        }
        let programs = rules
            .domain_rules
            .iter()
            .map(|rule| {
                let ty = rule.rule_type.to_ascii_uppercase();
                (ty == "CEL" || ty == "CEL_FIELD").then(|| {
                    let (guard, expr) = rule.guard_and_expr();
                    Compiled::compile(guard, expr)
                })
            })
            .collect();
        let properties = metadata
            .and_then(|m| m.get("properties"))
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
        Ok(Some(Self {
            rules,
            tags: ContractTags::from_metadata(metadata),
            properties,
            programs,
            plan: FieldPlan::default(),
            projection: OnceLock::new(),
            routes: OnceLock::new(),
        }))
    }

    /// Whether some enabled domain rule runs in `phase` (`WRITE` or `READ`).
    pub fn has_rules_for(&self, phase: RuleMode) -> bool {
        self.rules
            .domain_rules
            .iter()
            .any(|r| !r.disabled && r.mode.applies_to(phase))
    }

    /// Whether some enabled domain rule of `phase` may rewrite the message: a `TRANSFORM`,
    /// of any type (an executor added later, `ENCRYPT` say, rewrites too). Without one, a
    /// record that passes the rules is the record given, and can be encoded from its
    /// original form.
    pub fn may_rewrite(&self, phase: RuleMode) -> bool {
        self.rules
            .domain_rules
            .iter()
            .any(|r| !r.disabled && r.mode.applies_to(phase) && r.kind == RuleKind::Transform)
    }

    /// Runs the domain rules for `phase` (`WRITE` or `READ`) on `message`, the record as
    /// JSON in the shape of `schema` (Avro's plain JSON, JSON Schema documents, Protobuf's
    /// proto3 JSON mapping of `descriptor`, the schema's first message when `None`).
    ///
    /// `keys` are the DEKs of its `ENCRYPT` rules ([`Contract::resolve_keys`]).
    ///
    /// Errors: [`SerdeError::Rule`] when a rule refuses the record.
    pub(crate) fn execute(
        &self,
        phase: RuleMode,
        schema: &ParsedSchema,
        descriptor: Option<&prost_reflect::MessageDescriptor>,
        subject: Option<&str>,
        message: &mut Value,
        keys: &encrypt::RuleKeys,
    ) -> Result<()> {
        let rules = &self.rules.domain_rules;
        let mut order: Vec<usize> = (0..rules.len()).collect();
        if phase == RuleMode::Read {
            order.reverse();
        }
        for (position, &index) in order.iter().enumerate() {
            let rule = &rules[index];
            if rule.disabled || !rule.mode.applies_to(phase) {
                continue;
            }
            // Compared without case, and without an uppercase copy per record.
            let ty = rule.rule_type.as_str();
            let outcome = if ty.eq_ignore_ascii_case("CEL") {
                self.run_cel(index, rule, message)
            } else if ty.eq_ignore_ascii_case("CEL_FIELD") {
                // An earlier (on write) or later (on read) transform with the same tags
                // wins, as Confluent's FieldRuleExecutor.
                let shadowed = order[..position]
                    .iter()
                    .any(|&other| same_tag_transforms(rule, &rules[other]));
                if shadowed {
                    continue;
                }
                self.run_cel_field(index, rule, schema, descriptor, message)
            } else if ty.eq_ignore_ascii_case("ENCRYPT") {
                self.run_encrypt(index, rule, phase, schema, descriptor, message, keys)
            } else {
                Err(Failed::unknown_executor(ty))
            };
            let (action, failed) = match outcome {
                Ok(()) => (rule.on_success(phase), None),
                Err(failed) => (rule.on_failure(phase), Some(failed)),
            };
            self.act(rule, phase, subject, action, failed, message)?;
        }
        Ok(())
    }

    /// Runs the domain rules for `phase` on a borrowed record, with [`Contract::execute`]'s
    /// answer (the record in a failure included), when none of them can rewrite it and
    /// every `CEL_FIELD` rule among them has a route in `schema` (a rule reading `message`,
    /// or a Protobuf schema, has none); `None` otherwise: the caller runs
    /// [`Contract::execute`] on a copy. Field rules go straight to the fields they select,
    /// resolved at the first record and kept for the schema version (the contract's).
    ///
    /// Errors: [`SerdeError::Rule`] when a rule refuses the record.
    pub(crate) fn check(
        &self,
        phase: RuleMode,
        schema: &ParsedSchema,
        subject: Option<&str>,
        message: &Value,
    ) -> Option<Result<()>> {
        let rules = &self.rules.domain_rules;
        let routes = self.routes.get_or_init(|| self.build_routes(schema));
        for (index, rule) in rules.iter().enumerate() {
            if rule.disabled || !rule.mode.applies_to(phase) {
                continue;
            }
            let ty = rule.rule_type.as_str();
            let borrowable = rule.kind == RuleKind::Condition
                && !ty.eq_ignore_ascii_case("ENCRYPT")
                && (!ty.eq_ignore_ascii_case("CEL_FIELD")
                    || routes[index].is_some()
                    || !matches!(self.programs[index], Some(Ok(_))));
            if !borrowable {
                return None;
            }
        }
        let count = rules.len();
        for position in 0..count {
            let index = if phase == RuleMode::Read {
                count - 1 - position
            } else {
                position
            };
            let rule = &rules[index];
            if rule.disabled || !rule.mode.applies_to(phase) {
                continue;
            }
            // Every rule here is a condition: none is shadowed by a transform.
            let ty = rule.rule_type.as_str();
            let outcome = if ty.eq_ignore_ascii_case("CEL") {
                self.eval_cel(index, message)
                    .and_then(|result| verdict(rule, None, result).map(drop))
            } else if ty.eq_ignore_ascii_case("CEL_FIELD") {
                self.program(index).and_then(|program| {
                    let route = routes[index].as_ref().expect("checked above");
                    route.walk(message, &mut |field, value| {
                        let outcome = run_field(program, rule, field, &::cel::Value::Null, value)?;
                        verdict(rule, Some(field), outcome).map(drop)
                    })
                })
            } else {
                Err(Failed::unknown_executor(ty))
            };
            let (action, failed) = match outcome {
                Ok(()) => (rule.on_success(phase), None),
                Err(failed) => (rule.on_failure(phase), Some(failed)),
            };
            if let Err(e) = self.act(rule, phase, subject, action, failed, message) {
                return Some(Err(e));
            }
        }
        Some(Ok(()))
    }

    /// The route of each `CEL_FIELD` rule whose program does not read `message`, in an
    /// Avro or JSON Schema `schema`.
    fn build_routes(&self, schema: &ParsedSchema) -> Vec<Option<route::Route>> {
        let rules = &self.rules.domain_rules;
        rules
            .iter()
            .enumerate()
            .map(|(index, rule)| {
                if !rule.rule_type.eq_ignore_ascii_case("CEL_FIELD") {
                    return None;
                }
                let Some(Ok(program)) = &self.programs[index] else {
                    return None;
                };
                if program.uses("message") {
                    return None;
                }
                let names = name_guard(program);
                let wanted = |info: &FieldInfo| selects(rule, names.as_ref(), info);
                match schema {
                    ParsedSchema::Avro(avro) => {
                        Some(route::Route::Avro(self.avro_route(avro, &wanted)))
                    }
                    ParsedSchema::Json(json) => {
                        Some(route::Route::Json(self.json_route(json.value(), &wanted)?))
                    }
                    _ => None,
                }
            })
            .collect()
    }

    fn act(
        &self,
        rule: &Rule,
        phase: RuleMode,
        subject: Option<&str>,
        action: RuleAction,
        failed: Option<Failed>,
        message: &Value,
    ) -> Result<()> {
        let (dead_letter, extra) = match action {
            RuleAction::None => return Ok(()),
            RuleAction::Error => (false, None),
            RuleAction::Dlq => (true, None),
            RuleAction::Other(name) => (
                false,
                Some(format!("could not find rule action of type {name}")),
            ),
        };
        let (field, message_text) = match failed {
            Some(f) => (f.field, f.message),
            None => (None, format!("Rule failed: {}", rule.name)),
        };
        Err(SerdeError::Rule(Box::new(RuleFailure {
            rule: rule.name.clone(),
            rule_type: rule.rule_type.clone(),
            mode: phase,
            subject: subject.map(str::to_owned),
            field,
            message: extra.unwrap_or(message_text),
            dead_letter,
            dlq_topic: self.parameter(rule, "dlq.topic"),
            record: Some(message.clone()),
        })))
    }

    /// A rule parameter: the rule's `params`, else the schema metadata's `properties`
    /// (Confluent's `RuleContext.getParameter`).
    fn parameter(&self, rule: &Rule, name: &str) -> Option<String> {
        rule.params
            .get(name)
            .or_else(|| self.properties.get(name))
            .cloned()
    }

    fn program(&self, index: usize) -> std::result::Result<&Compiled, Failed> {
        match &self.programs[index] {
            Some(Ok(program)) => Ok(program),
            Some(Err(e)) => Err(Failed {
                field: None,
                message: format!("the expression does not compile: {e}"),
            }),
            None => Err(Failed {
                field: None,
                message: "no program".into(),
            }),
        }
    }

    fn run_cel(
        &self,
        index: usize,
        rule: &Rule,
        message: &mut Value,
    ) -> std::result::Result<(), Failed> {
        let result = self.eval_cel(index, message)?;
        if let Some(value) = verdict(rule, None, result)? {
            *message = to_json(&value).map_err(|message| Failed {
                field: None,
                message,
            })?;
        }
        Ok(())
    }

    /// The answer of a `CEL` rule's program on `message`.
    fn eval_cel(
        &self,
        index: usize,
        message: &Value,
    ) -> std::result::Result<Option<::cel::Value>, Failed> {
        let program = self.program(index)?;
        let vars = native::Vars {
            message: Some(message),
            ..native::Vars::default()
        };
        program
            .run_either(&vars, || vec![("message", program.message_val(message))])
            .map_err(|message| Failed {
                field: None,
                message,
            })
    }

    fn run_cel_field(
        &self,
        index: usize,
        rule: &Rule,
        schema: &ParsedSchema,
        descriptor: Option<&prost_reflect::MessageDescriptor>,
        message: &mut Value,
    ) -> std::result::Result<(), Failed> {
        let program = self.program(index)?;
        let mut apply = |field: &FieldCtx<'_>,
                         containing: &::cel::Value,
                         value: &mut Value|
         -> std::result::Result<(), Failed> {
            let outcome = run_field(program, rule, field, containing, value)?;
            if let Some(result) = verdict(rule, Some(field), outcome)? {
                *value = to_json(&result).map_err(|message| Failed {
                    field: Some(field.full_name.to_owned()),
                    message,
                })?;
            }
            Ok(())
        };
        self.walk_fields(
            schema,
            descriptor,
            message,
            (!rule.tags.is_empty()).then_some(rule.tags.as_slice()),
            program.uses("message").then_some(program),
            &mut apply,
        )
    }
}

/// What a rule's answer means: `Ok(None)` when it passes (or its guard did not hold),
/// `Ok(Some(value))` for a transform's new value, the failure of a condition that is not
/// `true` (on `field` for a field rule).
fn verdict(
    rule: &Rule,
    field: Option<&FieldCtx<'_>>,
    outcome: Option<::cel::Value>,
) -> std::result::Result<Option<::cel::Value>, Failed> {
    match (rule.kind, outcome) {
        (_, None) => Ok(None),
        (RuleKind::Condition, Some(::cel::Value::Bool(true))) => Ok(None),
        (RuleKind::Condition, Some(_)) => Err(Failed {
            field: field.map(|f| f.full_name.to_owned()),
            message: condition_message(rule),
        }),
        (RuleKind::Transform, Some(value)) => Ok(Some(value)),
    }
}

/// A field rule's `program` on one leaf value: `Ok(None)` when the field is not one the
/// rule runs on (not primitive, without the rule's tags) or the guard does not hold.
/// Natively when the program is in the subset and does not read the containing record
/// (`message` here is a CEL value the walk built).
///
/// Errors: the interpreter's, on the field.
fn run_field(
    program: &Compiled,
    rule: &Rule,
    field: &FieldCtx<'_>,
    containing: &::cel::Value,
    value: &Value,
) -> std::result::Result<Option<::cel::Value>, Failed> {
    if !is_primitive(field.type_name)
        || !(rule.tags.is_empty() || rule.tags.iter().any(|t| field.tags.contains(t)))
    {
        return Ok(None);
    }
    let native = if program.is_native() && !program.uses("message") {
        program.run_native(&native::Vars {
            value: Some(value),
            name: Some(field.name),
            full_name: Some(field.full_name),
            type_name: Some(field.type_name),
            tags: Some(field.tags),
            message: None,
        })
    } else {
        None
    };
    match native {
        Some(outcome) => Ok(outcome),
        None => run_interpreted(program, field, containing, value).map_err(|message| Failed {
            field: Some(field.full_name.to_owned()),
            message,
        }),
    }
}

/// Runs a field rule's `program` in the interpreter, with the variables it reads bound
/// (borrowing the record).
fn run_interpreted(
    program: &Compiled,
    field: &FieldCtx<'_>,
    containing: &::cel::Value,
    value: &Value,
) -> std::result::Result<Option<::cel::Value>, String> {
    let mut vars: Vec<(&'static str, Box<dyn Val + '_>)> = Vec::with_capacity(6);
    for name in ["value", "fullName", "name", "typeName", "tags", "message"] {
        if !program.uses(name) {
            continue;
        }
        let bound: Box<dyn Val + '_> = match name {
            "value" => to_val(value),
            "fullName" => Box::new(CelString::from(field.full_name)),
            "name" => Box::new(CelString::from(field.name)),
            "typeName" => Box::new(CelString::from(field.type_name)),
            "tags" => Box::new(CelList::from(
                field
                    .tags
                    .iter()
                    .map(|t| Box::new(CelString::from(t.as_str())) as Box<dyn Val>)
                    .collect::<Vec<_>>(),
            )),
            _ => containing
                .clone()
                .try_into()
                .map_err(|e: ::cel::ExecutionError| e.to_string())?,
        };
        vars.push((name, bound));
    }
    program.run(vars)
}

impl Contract {
    /// Calls `apply` on every field of `message` (a record of `schema`; for Protobuf, of
    /// `descriptor` or else the schema's first message) that carries one of the `select`
    /// tags (every field when `None`), with the containing record built for `containing`'s
    /// program when given. `apply` may replace the field's value.
    ///
    /// Errors: the first failure `apply` returns.
    fn walk_fields(
        &self,
        schema: &ParsedSchema,
        descriptor: Option<&prost_reflect::MessageDescriptor>,
        message: &mut Value,
        select: Option<&[String]>,
        containing: Option<&Compiled>,
        apply: &mut FieldFn<'_>,
    ) -> std::result::Result<(), Failed> {
        let walker = Walker {
            tags: &self.tags,
            plan: &self.plan,
            select,
            containing,
        };
        match schema {
            ParsedSchema::Avro(avro) => walker.avro(avro, avro.schema(), message, None, apply),
            ParsedSchema::Json(json) => walker.json(
                json.value(),
                json.value(),
                &mut String::from("$"),
                message,
                None,
                apply,
                0,
            ),
            ParsedSchema::Protobuf(proto) => {
                // The record's message, or the schema's first one.
                let descriptor = descriptor.cloned().or_else(|| {
                    proto
                        .name()
                        .and_then(|name| proto.pool().get_message_by_name(&name))
                });
                let Some(descriptor) = descriptor else {
                    return Ok(());
                };
                let inline = self.plan.proto_inline.get_or_init(|| {
                    warden_core::tags::tagged_entities(
                        warden_core::SchemaType::Protobuf,
                        proto.canonical(),
                    )
                });
                let file = proto.file();
                walker.proto(&descriptor, inline, file.package_name(), message, apply, 0)
            }
            _ => Ok(()),
        }
    }
}

/// The names (`name == '…'`) and full names (`fullName == '…'`) a field rule's native
/// guard limits it to; `None` when it has no such guard.
fn name_guard(program: &Compiled) -> Option<(Vec<&str>, Vec<&str>)> {
    program.native().and_then(|(guard, _)| guard?.name_guard())
}

/// Whether a field rule can run its expression on a field: the field has one of the rule's
/// tags (any field when the rule has none) and its name or full name is among those of the
/// rule's guard (`names`, when the guard limits them). On any other field the rule's
/// executor does nothing: it checks the tags, and the guard does not hold.
fn selects(rule: &Rule, names: Option<&(Vec<&str>, Vec<&str>)>, info: &FieldInfo) -> bool {
    (rule.tags.is_empty() || rule.tags.iter().any(|t| info.tags.contains(t)))
        && names.is_none_or(|(names, full)| {
            names.contains(&info.name.as_str()) || full.contains(&info.full_name.as_str())
        })
}

/// Confluent's `RuleConditionError` message: the rule's doc, else its expression, else its
/// name.
fn condition_message(rule: &Rule) -> String {
    match (&rule.doc, &rule.expr) {
        (Some(doc), _) if !doc.is_empty() => doc.clone(),
        (_, Some(expr)) if !expr.is_empty() => format!("Rule expr failed: {expr}"),
        _ => format!("Rule failed: {}", rule.name),
    }
}

/// Confluent's `FieldRuleExecutor.areTransformsWithSameTag`.
fn same_tag_transforms(a: &Rule, b: &Rule) -> bool {
    !a.tags.is_empty()
        && a.kind == RuleKind::Transform
        && a.kind == b.kind
        && a.mode == b.mode
        && a.rule_type.eq_ignore_ascii_case(&b.rule_type)
        && a.tags == b.tags
}

/// Confluent's `FieldContext.isPrimitive`.
fn is_primitive(type_name: &str) -> bool {
    matches!(
        type_name,
        "INT" | "LONG" | "FLOAT" | "DOUBLE" | "BOOLEAN" | "NULL" | "STRING" | "BYTES"
    )
}

/// What the walk calls on each leaf value: the field, the containing record as CEL (null
/// unless the program reads `message`) and the value, which it may replace.
type FieldFn<'f> =
    dyn FnMut(&FieldCtx<'_>, &::cel::Value, &mut Value) -> std::result::Result<(), Failed> + 'f;

/// Walks a record's fields with its schema, calling the field function on every leaf value
/// with the innermost field's context (Confluent's per-format `transform`).
struct Walker<'t> {
    tags: &'t ContractTags,
    plan: &'t FieldPlan,
    /// The tags a field must carry to be visited (a field rule's `tags`); `None` visits
    /// every field. Fields without them are skipped unless they may hold records.
    select: Option<&'t [String]>,
    /// The program, when it reads `message` (the containing record): only then is it built,
    /// with the fields the program selects.
    containing: Option<&'t Compiled>,
}

const MAX_DEPTH: usize = 64;

impl Walker<'_> {
    fn containing_record(&self, map: &serde_json::Map<String, Value>) -> ::cel::Value {
        if let Some(program) = self.containing {
            program.record_value(map)
        } else {
            ::cel::Value::Null
        }
    }

    fn avro(
        &self,
        root: &AvroSchema,
        node: &AvroNode,
        value: &mut Value,
        field: Option<&mut FieldCtx<'_>>,
        f: &mut FieldFn<'_>,
    ) -> std::result::Result<(), Failed> {
        match node {
            AvroNode::Ref { name } => match self.plan.avro_named(root, name) {
                Some(named) => self.avro(root, named, value, field, f),
                None => Ok(()),
            },
            AvroNode::Record(record) => {
                let Value::Object(map) = value else {
                    return Ok(());
                };
                let infos = self.plan.avro_record(record, self.tags);
                let containing = self.containing_record(map);
                for (rf, info) in record.fields.iter().zip(infos.iter()) {
                    if !info.visited_by(self.select) {
                        continue;
                    }
                    let Some(field_value) = map.get_mut(&rf.name) else {
                        continue;
                    };
                    let mut ctx = FieldCtx::of(info);
                    self.avro_leaf_or_nested(
                        root,
                        &rf.schema,
                        field_value,
                        &mut ctx,
                        &containing,
                        f,
                    )?;
                }
                Ok(())
            }
            _ => match field {
                Some(ctx) => {
                    let containing = ::cel::Value::Null;
                    self.avro_leaf_or_nested(root, node, value, ctx, &containing, f)
                }
                None => Ok(()),
            },
        }
    }

    fn avro_leaf_or_nested(
        &self,
        root: &AvroSchema,
        node: &AvroNode,
        value: &mut Value,
        ctx: &mut FieldCtx<'_>,
        containing: &::cel::Value,
        f: &mut FieldFn<'_>,
    ) -> std::result::Result<(), Failed> {
        match node {
            AvroNode::Ref { name } => match self.plan.avro_named(root, name) {
                Some(named) => self.avro_leaf_or_nested(root, named, value, ctx, containing, f),
                None => Ok(()),
            },
            AvroNode::Record(_) => self.avro(root, node, value, Some(ctx), f),
            AvroNode::Array(array) => {
                if let Value::Array(items) = value {
                    for item in items {
                        self.avro_leaf_or_nested(root, &array.items, item, ctx, containing, f)?;
                    }
                }
                Ok(())
            }
            AvroNode::Map(map) => {
                if let Value::Object(entries) = value {
                    for item in entries.values_mut() {
                        self.avro_leaf_or_nested(root, &map.types, item, ctx, containing, f)?;
                    }
                }
                Ok(())
            }
            AvroNode::Union(union) => {
                let variants = union.variants();
                // A wrapped value `{"branch": v}` names its branch; a plain one takes the
                // first branch of its JSON kind.
                if let Value::Object(obj) = value
                    && obj.len() == 1
                    && let Some((key, _)) = obj.iter().next()
                    && let Some(branch) = variants.iter().find(|v| branch_name(v) == *key)
                {
                    let key = key.clone();
                    let inner = obj.get_mut(&key).expect("the key just read");
                    return self.avro_leaf_or_nested(root, branch, inner, ctx, containing, f);
                }
                let branch = variants
                    .iter()
                    .find(|v| json_fits(self.plan, root, v, value));
                match branch {
                    Some(branch) => {
                        self.avro_leaf_or_nested(root, branch, value, ctx, containing, f)
                    }
                    None => Ok(()),
                }
            }
            leaf => {
                ctx.type_name = avro_type_name(leaf);
                f(ctx, containing, value)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn json(
        &self,
        root: &Value,
        schema: &Value,
        path: &mut String,
        value: &mut Value,
        mut field: Option<&mut FieldCtx<'_>>,
        f: &mut FieldFn<'_>,
        depth: usize,
    ) -> std::result::Result<(), Failed> {
        if value.is_null() || depth > MAX_DEPTH {
            return Ok(());
        }
        let Value::Object(s) = schema else {
            return Ok(());
        };
        // A `type` array is read as the first of its types the value is of.
        let kind = match json_type_taken(s, value) {
            Some(taken) => json_type_as(s, Some(taken)),
            None => json_type_name(s),
        };
        if let Some(field) = field.as_deref_mut() {
            field.type_name = kind;
        }
        for combinator in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(subs)) = s.get(combinator)
                && let Some(sub) = subs.iter().find(|sub| json_kind_fits(root, sub, value))
            {
                return self.json(root, sub, path, value, field, f, depth + 1);
            }
        }
        if let Some(items) = s.get("items")
            && let Value::Array(elements) = value
        {
            for item in elements {
                self.json(root, items, path, item, field.as_deref_mut(), f, depth + 1)?;
            }
            return Ok(());
        }
        if let Some(Value::String(reference)) = s.get("$ref") {
            return match resolve_local_ref(root, reference) {
                Some(target) => self.json(root, target, path, value, field, f, depth + 1),
                None => Ok(()),
            };
        }
        match kind {
            "RECORD" => {
                let (Some(Value::Object(props)), Value::Object(map)) =
                    (s.get("properties"), &mut *value)
                else {
                    return Ok(());
                };
                let containing = self.containing_record(map);
                for (name, prop_schema) in props {
                    let Some(prop_value) = map.get_mut(name) else {
                        continue;
                    };
                    if prop_value.is_null() {
                        continue;
                    }
                    let parent = path.len();
                    path.push('.');
                    path.push_str(name);
                    let info = self.plan.json_field(path, name, prop_schema, self.tags);
                    if !info.visited_by(self.select) {
                        path.truncate(parent);
                        continue;
                    }
                    let mut ctx = FieldCtx::of(&info);
                    ctx.type_name =
                        json_type_name(prop_schema.as_object().unwrap_or(&Default::default()));
                    let mut leaf = |c: &FieldCtx<'_>,
                                    _: &::cel::Value,
                                    v: &mut Value|
                     -> std::result::Result<(), Failed> {
                        f(c, &containing, v)
                    };
                    let walked = self.json(
                        root,
                        prop_schema,
                        path,
                        prop_value,
                        Some(&mut ctx),
                        &mut leaf,
                        depth + 1,
                    );
                    path.truncate(parent);
                    walked?;
                }
                Ok(())
            }
            "ENUM" | "STRING" | "INT" | "DOUBLE" | "BOOLEAN" => match field {
                Some(ctx) => f(ctx, &::cel::Value::Null, value),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

impl Walker<'_> {
    /// Walks a message in the proto3 JSON mapping (fields by JSON name or proto name).
    /// Full names are the message's full name and the field's (`acme.Order.email`, as
    /// Confluent's Protobuf transform names them); inline tags are the
    /// `(confluent.field_meta).tags` of the schema text.
    fn proto(
        &self,
        descriptor: &prost_reflect::MessageDescriptor,
        inline: &warden_core::tags::TagMap,
        package: &str,
        value: &mut Value,
        f: &mut FieldFn<'_>,
        depth: usize,
    ) -> std::result::Result<(), Failed> {
        let Value::Object(map) = value else {
            return Ok(());
        };
        if depth > MAX_DEPTH {
            return Ok(());
        }
        let containing = self.containing_record(map);
        for field in descriptor.fields() {
            let key = if map.contains_key(field.json_name()) {
                field.json_name()
            } else if map.contains_key(field.name()) {
                field.name()
            } else {
                continue;
            };
            // Inline tag entities name messages without the package.
            let info = self.plan.proto_field(&field, inline, package, self.tags);
            if !info.visited_by(self.select) {
                continue;
            }
            let Some(field_value) = map.get_mut(key) else {
                continue;
            };
            let mut ctx = FieldCtx::of(&info);
            let mut one = |v: &mut Value, f: &mut FieldFn<'_>| -> std::result::Result<(), Failed> {
                match field.kind() {
                    prost_reflect::Kind::Message(inner) if field.is_map() => {
                        let value_field = inner.map_entry_value_field();
                        if let (Value::Object(entries), prost_reflect::Kind::Message(m)) =
                            (&mut *v, value_field.kind())
                        {
                            for entry in entries.values_mut() {
                                self.proto(&m, inline, package, entry, f, depth + 1)?;
                            }
                            return Ok(());
                        }
                        if let Value::Object(entries) = v {
                            ctx.type_name = proto_type_name(&value_field.kind());
                            for entry in entries.values_mut() {
                                f(&ctx, &containing, entry)?;
                            }
                        }
                        Ok(())
                    }
                    prost_reflect::Kind::Message(inner) => {
                        self.proto(&inner, inline, package, v, f, depth + 1)
                    }
                    kind => {
                        ctx.type_name = proto_type_name(&kind);
                        f(&ctx, &containing, v)
                    }
                }
            };
            match field_value {
                Value::Array(items) if field.is_list() => {
                    for item in items {
                        one(item, f)?;
                    }
                }
                other => one(other, f)?,
            }
        }
        Ok(())
    }
}

/// Confluent's `FieldType` of a Protobuf field kind.
fn proto_type_name(kind: &prost_reflect::Kind) -> &'static str {
    use prost_reflect::Kind;
    match kind {
        Kind::Double => "DOUBLE",
        Kind::Float => "FLOAT",
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => "INT",
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => "LONG",
        Kind::Bool => "BOOLEAN",
        Kind::String => "STRING",
        Kind::Bytes => "BYTES",
        Kind::Message(_) => "RECORD",
        Kind::Enum(_) => "ENUM",
    }
}

/// Every named type of an Avro schema by full name: defined in the schema (at any depth)
/// or in its references' named types.
fn avro_definitions(root: &AvroSchema) -> HashMap<Name, AvroNode> {
    let mut names = HashMap::new();
    let mut stack: Vec<&AvroNode> = vec![root.schema()];
    stack.extend(root.named_types());
    while let Some(node) = stack.pop() {
        let name = match node {
            AvroNode::Record(r) => {
                stack.extend(r.fields.iter().map(|f| &f.schema));
                &r.name
            }
            AvroNode::Enum(e) => &e.name,
            AvroNode::Fixed(x) => &x.name,
            AvroNode::Array(array) => {
                stack.push(&array.items);
                continue;
            }
            AvroNode::Map(map) => {
                stack.push(&map.types);
                continue;
            }
            AvroNode::Union(union) => {
                stack.extend(union.variants());
                continue;
            }
            _ => continue,
        };
        names.entry(name.clone()).or_insert_with(|| node.clone());
    }
    names
}

/// The name a wrapped union value uses for a branch (Avro's JSON encoding).
fn branch_name(node: &AvroNode) -> String {
    match node {
        AvroNode::Record(r) => r.name.fullname(None),
        AvroNode::Enum(e) => e.name.fullname(None),
        AvroNode::Fixed(x) => x.name.fullname(None),
        AvroNode::Ref { name } => name.fullname(None),
        other => avro_type_name(other).to_ascii_lowercase(),
    }
}

/// Whether a plain JSON value can be of this union branch.
fn json_fits(plan: &FieldPlan, root: &AvroSchema, node: &AvroNode, value: &Value) -> bool {
    match (node, value) {
        (AvroNode::Ref { name }, _) => plan
            .avro_named(root, name)
            .is_some_and(|n| json_fits(plan, root, n, value)),
        (AvroNode::Null, Value::Null) => true,
        (AvroNode::Boolean, Value::Bool(_)) => true,
        (AvroNode::Int | AvroNode::Long, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (AvroNode::Float | AvroNode::Double, Value::Number(_)) => true,
        (AvroNode::Record(_) | AvroNode::Map(_), Value::Object(_)) => true,
        (AvroNode::Array(_), Value::Array(_)) => true,
        (
            AvroNode::String | AvroNode::Bytes | AvroNode::Enum(_) | AvroNode::Fixed(_),
            Value::String(_),
        ) => true,
        (other, Value::String(_)) => avro_type_name(other) == "STRING",
        (other, Value::Number(_)) => matches!(avro_type_name(other), "INT" | "LONG"),
        _ => false,
    }
}

/// Confluent's `FieldType` of an Avro schema node (logical types by their underlying type).
fn avro_type_name(node: &AvroNode) -> &'static str {
    match node {
        AvroNode::Null => "NULL",
        AvroNode::Boolean => "BOOLEAN",
        AvroNode::Int | AvroNode::Date | AvroNode::TimeMillis => "INT",
        AvroNode::Long
        | AvroNode::TimeMicros
        | AvroNode::TimestampMillis
        | AvroNode::TimestampMicros
        | AvroNode::TimestampNanos
        | AvroNode::LocalTimestampMillis
        | AvroNode::LocalTimestampMicros
        | AvroNode::LocalTimestampNanos => "LONG",
        AvroNode::Float => "FLOAT",
        AvroNode::Double => "DOUBLE",
        AvroNode::Bytes | AvroNode::BigDecimal => "BYTES",
        AvroNode::String => "STRING",
        AvroNode::Uuid(_) => "STRING",
        AvroNode::Decimal(_) => "BYTES",
        AvroNode::Array(_) => "ARRAY",
        AvroNode::Map(_) => "MAP",
        AvroNode::Union(_) => "COMBINED",
        AvroNode::Record(_) => "RECORD",
        AvroNode::Enum(_) => "ENUM",
        AvroNode::Fixed(_) | AvroNode::Duration(_) => "FIXED",
        AvroNode::Ref { .. } => "RECORD",
    }
}

/// Confluent's `FieldType` of a JSON Schema (`JsonSchemaUtils.getType`); a `type` array
/// is `COMBINED` (Java reads it as a combined schema), until a value picks one of its types
/// ([`json_type_taken`]).
fn json_type_name(schema: &serde_json::Map<String, Value>) -> &'static str {
    match schema.get("type") {
        Some(Value::Array(_)) if !schema.contains_key("const") && !schema.contains_key("enum") => {
            "COMBINED"
        }
        declared => json_type_as(schema, declared.and_then(Value::as_str)),
    }
}

/// [`json_type_name`] of `schema` with `type` read as `declared`.
fn json_type_as(schema: &serde_json::Map<String, Value>, declared: Option<&str>) -> &'static str {
    if schema.contains_key("const") || schema.contains_key("enum") {
        return "ENUM";
    }
    match declared {
        Some("object") => "RECORD",
        Some("array") => "ARRAY",
        Some("string") => "STRING",
        Some("integer") => "INT",
        Some("number") => "DOUBLE",
        Some("boolean") => "BOOLEAN",
        Some(_) => "NULL",
        None if schema.contains_key("properties") => "RECORD",
        None if ["allOf", "anyOf", "oneOf"]
            .iter()
            .any(|k| schema.contains_key(*k)) =>
        {
            "COMBINED"
        }
        None => "NULL",
    }
}

/// The type a value takes in a schema whose `type` is an array (`["string", "null"]`): the
/// first of them the value is of, the rest of the schema read with that one type (as
/// Confluent's JSON Schema field transform reads it: Python's `transform` tries each type
/// of the array in order, Java's combined schema each subschema). `None` for a schema
/// without a `type` array, or a value of none of its types.
fn json_type_taken<'s>(
    schema: &'s serde_json::Map<String, Value>,
    value: &Value,
) -> Option<&'s str> {
    match schema.get("type") {
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| json_type_fits(t, value)),
        _ => None,
    }
}

/// Whether a value is of the JSON type a subschema declares (the branch a combinator takes;
/// a subschema without `type` takes any value).
fn json_kind_fits(root: &Value, schema: &Value, value: &Value) -> bool {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => match resolve_local_ref(root, r) {
            Some(target) => target,
            None => return false,
        },
        None => schema,
    };
    let fits = |t: &str| json_type_fits(t, value);
    match schema.get("type") {
        Some(Value::String(t)) => fits(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(fits),
        _ => true,
    }
}

/// A `$ref` inside the same document (`#/definitions/X`, `#/$defs/X`); other references are
/// not followed.
fn resolve_local_ref<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

/// Whether `value` is of the JSON Schema type `t` (`"integer"`: a number without a fraction
/// that fits 64 bits, as `serde_json` holds it).
pub(crate) fn json_type_fits(t: &str, value: &Value) -> bool {
    match (t, value) {
        ("object", Value::Object(_))
        | ("array", Value::Array(_))
        | ("string", Value::String(_))
        | ("boolean", Value::Bool(_))
        | ("null", Value::Null)
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}
