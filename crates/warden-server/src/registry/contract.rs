//! Data-contract metadata and rule sets as Confluent treats them: their canonical form
//! (Confluent's `Metadata` and `RuleSet` beans as Jackson writes them), validation (42210),
//! the merges of config defaults and overrides into new versions, and the
//! `confluent:version` property (`client/.../rest/entities/{Metadata,RuleSet,Rule}.java`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The metadata property Confluent keeps the version number of a schema in.
pub(crate) const CONFLUENT_VERSION: &str = "confluent:version";

/// Confluent's `Metadata` as a value: tags by path, properties, sensitive names, each sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Metadata {
    tags: BTreeMap<String, BTreeSet<String>>,
    properties: BTreeMap<String, String>,
    sensitive: BTreeSet<String>,
}

/// A JSON scalar as Jackson reads it into a `String` (numbers and booleans as their text).
fn scalar_text(value: &Value, class: &str) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(Error::BadRequestBody(format!(
            "Cannot deserialize value of type `java.lang.String` from {} (in {class})",
            if value.is_array() {
                "Array value"
            } else {
                "Object value"
            }
        ))),
    }
}

fn string_set(value: &Value, class: &str) -> Result<BTreeSet<String>> {
    match value {
        Value::Null => Ok(BTreeSet::new()),
        Value::Array(items) => Ok(items
            .iter()
            .map(|i| scalar_text(i, class))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect()),
        other => Ok(scalar_text(other, class)?.into_iter().collect()),
    }
}

fn object<'v>(value: &'v Value, class: &str) -> Result<Option<&'v Map<String, Value>>> {
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        _ => Err(Error::BadRequestBody(format!(
            "Cannot deserialize value of type `java.util.Map` from non-object value (in {class})"
        ))),
    }
}

impl Metadata {
    /// Reads Confluent's `Metadata` bean; unknown fields are ignored.
    ///
    /// Errors: 400 for a field of a shape Jackson cannot map.
    pub(crate) fn parse(value: &Value) -> Result<Self> {
        let mut metadata = Self::default();
        let Some(fields) = object(value, "Metadata")? else {
            return Ok(metadata);
        };
        if let Some(tags) = fields
            .get("tags")
            .map(|t| object(t, "Metadata"))
            .transpose()?
            .flatten()
        {
            for (path, names) in tags {
                metadata
                    .tags
                    .insert(path.clone(), string_set(names, "Metadata")?);
            }
        }
        if let Some(props) = fields
            .get("properties")
            .map(|p| object(p, "Metadata"))
            .transpose()?
            .flatten()
        {
            for (k, v) in props {
                if let Some(v) = scalar_text(v, "Metadata")? {
                    metadata.properties.insert(k.clone(), v);
                }
            }
        }
        if let Some(sensitive) = fields.get("sensitive") {
            metadata.sensitive = string_set(sensitive, "Metadata")?;
        }
        Ok(metadata)
    }

    /// The JSON Confluent writes (`NON_EMPTY`: empty parts left out).
    pub(crate) fn to_value(&self) -> Value {
        let mut out = Map::new();
        if !self.tags.is_empty() {
            let tags: Map<String, Value> = self
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().cloned().collect::<Vec<_>>().into()))
                .collect();
            out.insert("tags".into(), tags.into());
        }
        if !self.properties.is_empty() {
            let props: Map<String, Value> = self
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            out.insert("properties".into(), props.into());
        }
        if !self.sensitive.is_empty() {
            let sensitive: Vec<Value> = self.sensitive.iter().cloned().map(Value::String).collect();
            out.insert("sensitive".into(), sensitive.into());
        }
        Value::Object(out)
    }

    /// The properties.
    pub(crate) fn properties(&self) -> &BTreeMap<String, String> {
        &self.properties
    }

    /// `confluent:version` as a number, when it is one.
    pub(crate) fn confluent_version_number(&self) -> Option<i32> {
        self.properties.get(CONFLUENT_VERSION)?.parse().ok()
    }

    /// Whether `confluent:version` is set (to anything).
    pub(crate) fn has_confluent_version(&self) -> bool {
        self.properties.contains_key(CONFLUENT_VERSION)
    }

    /// This metadata with `confluent:version` set to `version`.
    pub(crate) fn with_confluent_version(mut self, version: i32) -> Self {
        self.properties
            .insert(CONFLUENT_VERSION.to_owned(), version.to_string());
        self
    }

    /// This metadata without `confluent:version`.
    pub(crate) fn without_confluent_version(mut self) -> Self {
        self.properties.remove(CONFLUENT_VERSION);
        self
    }

    /// `new` over `old`, as Confluent's `Metadata.mergeMetadata`: tags and properties by key,
    /// sensitive names united.
    pub(crate) fn merge(old: Option<Self>, new: Option<Self>) -> Option<Self> {
        match (old, new) {
            (None, new) => new,
            (old, None) => old,
            (Some(mut old), Some(new)) => {
                old.tags.extend(new.tags);
                old.properties.extend(new.properties);
                old.sensitive.extend(new.sensitive);
                Some(old)
            }
        }
    }
}

/// The canonical JSON of a metadata value (`None` stays `None`).
///
/// Errors: 400 for a shape Jackson cannot map.
pub(crate) fn canonical_metadata(value: Option<&Value>) -> Result<Option<Value>> {
    value
        .filter(|v| !v.is_null())
        .map(|v| Metadata::parse(v).map(|m| m.to_value()))
        .transpose()
}

/// Parses stored or submitted metadata.
pub(crate) fn metadata_of(value: Option<&Value>) -> Option<Metadata> {
    value
        .filter(|v| !v.is_null())
        .and_then(|v| Metadata::parse(v).ok())
}

const KINDS: [&str; 2] = ["TRANSFORM", "CONDITION"];
const MODES: [&str; 6] = [
    "UPGRADE",
    "DOWNGRADE",
    "UPDOWN",
    "WRITE",
    "READ",
    "WRITEREAD",
];
const PHASES: [&str; 3] = ["migrationRules", "domainRules", "encodingRules"];

fn enum_value(
    value: Option<&Value>,
    class: &str,
    allowed: &[&str],
    default: &str,
) -> Result<String> {
    match value {
        None | Some(Value::Null) => Ok(default.to_owned()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(s.clone()),
        Some(other) => Err(Error::BadRequestBody(format!(
            "Cannot deserialize value of type `{class}` from {}: not one of the values accepted \
             for Enum class: [{}]",
            match other {
                Value::String(s) => format!("String \"{s}\""),
                v => v.to_string(),
            },
            allowed.join(", ")
        ))),
    }
}

/// One rule in Confluent's canonical form: `kind` defaults to TRANSFORM, `mode` to
/// WRITEREAD, tags and params sorted, `disabled` always written.
fn canonical_rule(value: &Value) -> Result<Value> {
    let Some(fields) = object(value, "Rule")? else {
        return Ok(Value::Null);
    };
    let mut out = Map::new();
    let text = |key: &str| -> Result<Option<String>> {
        fields
            .get(key)
            .map(|v| scalar_text(v, "Rule"))
            .transpose()
            .map(Option::flatten)
    };
    if let Some(name) = text("name")? {
        out.insert("name".into(), name.into());
    }
    if let Some(doc) = text("doc")?.filter(|d| !d.is_empty()) {
        out.insert("doc".into(), doc.into());
    }
    out.insert(
        "kind".into(),
        enum_value(fields.get("kind"), "RuleKind", &KINDS, "TRANSFORM")?.into(),
    );
    out.insert(
        "mode".into(),
        enum_value(fields.get("mode"), "RuleMode", &MODES, "WRITEREAD")?.into(),
    );
    if let Some(t) = text("type")?.filter(|t| !t.is_empty()) {
        out.insert("type".into(), t.into());
    }
    if let Some(tags) = fields.get("tags") {
        let tags = string_set(tags, "Rule")?;
        if !tags.is_empty() {
            out.insert(
                "tags".into(),
                tags.into_iter()
                    .map(Value::String)
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
    }
    if let Some(params) = fields
        .get("params")
        .map(|p| object(p, "Rule"))
        .transpose()?
    {
        let params: BTreeMap<String, String> = params
            .iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| match scalar_text(v, "Rule") {
                Ok(Some(v)) => Some(Ok((k.clone(), v))),
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_>>()?;
        if !params.is_empty() {
            let params: Map<String, Value> = params
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            out.insert("params".into(), params.into());
        }
    }
    for key in ["expr", "onSuccess", "onFailure"] {
        if let Some(v) = text(key)?.filter(|v| !v.is_empty()) {
            out.insert(key.into(), v.into());
        }
    }
    let disabled = match fields.get("disabled") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    out.insert("disabled".into(), disabled.into());
    Ok(Value::Object(out))
}

/// The canonical JSON of a rule set (`None` stays `None`): Confluent's `RuleSet` bean as
/// Jackson writes it (`NON_EMPTY`: empty rule lists left out, so `{"domainRules":[]}` is
/// `{}`, still a rule set).
///
/// Errors: 400 for a shape Jackson cannot map.
pub(crate) fn canonical_rule_set(value: Option<&Value>) -> Result<Option<Value>> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Some(fields) = object(value, "RuleSet")? else {
        return Ok(None);
    };
    let mut out = Map::new();
    for phase in PHASES {
        let rules = match fields.get(phase) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(rules)) => rules,
            Some(_) => {
                return Err(Error::BadRequestBody(format!(
                    "Cannot deserialize value of type `java.util.ArrayList<Rule>` from \
                     non-array value (in RuleSet.{phase})"
                )));
            }
        };
        let rules: Vec<Value> = rules
            .iter()
            .map(canonical_rule)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|r| !r.is_null())
            .collect();
        if !rules.is_empty() {
            out.insert(phase.into(), rules.into());
        }
    }
    if let Some(enable_at) = fields.get("enableAt").filter(|v| !v.is_null()) {
        out.insert("enableAt".into(), enable_at.clone());
    }
    Ok(Some(Value::Object(out)))
}

fn rules<'v>(rule_set: &'v Value, phase: &str) -> impl Iterator<Item = &'v Value> {
    rule_set
        .get(phase)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Checks a canonical rule set as Confluent's `RuleSet.validate` and `Rule.validate` do:
/// unique names, a valid name and a type on every rule, an action pair only for WRITEREAD and
/// UPDOWN rules, migration rules in UPGRADE, DOWNGRADE or UPDOWN mode, domain and encoding
/// rules in WRITE, READ or WRITEREAD mode.
///
/// Errors: 42210 with Confluent's message for the first rule that fails.
pub fn validate_rule_set(rule_set: &Value) -> Result<()> {
    let mut names = BTreeSet::new();
    for phase in PHASES {
        for rule in rules(rule_set, phase) {
            let name = rule.get("name").and_then(Value::as_str);
            if let Some(name) = name
                && !names.insert(name.to_owned())
            {
                return Err(Error::InvalidRuleSet(format!(
                    "Found rule with duplicate name '{name}'"
                )));
            }
            validate_rule(rule, name)?;
            let mode = rule
                .get("mode")
                .and_then(Value::as_str)
                .unwrap_or("WRITEREAD");
            let migration = matches!(mode, "UPGRADE" | "DOWNGRADE" | "UPDOWN");
            match phase {
                "migrationRules" if !migration => {
                    return Err(Error::InvalidRuleSet(
                        "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN".into(),
                    ));
                }
                "domainRules" if migration => {
                    return Err(Error::InvalidRuleSet(
                        "Domain rules can only be WRITE, READ, WRITEREAD".into(),
                    ));
                }
                "encodingRules" if migration => {
                    return Err(Error::InvalidRuleSet(
                        "Encoding rules can only be WRITE, READ, WRITEREAD".into(),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn validate_rule(rule: &Value, name: Option<&str>) -> Result<()> {
    let invalid = |m: String| Err(Error::InvalidRuleSet(m));
    let Some(name) = name else {
        return invalid("Missing rule name".into());
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return invalid("Empty rule name".into()),
        Some(_) if name.chars().count() > 256 => return invalid("Rule name too long".into()),
        Some(first) if !(first.is_alphabetic() || first == '_') => {
            return invalid(format!("Illegal initial character in rule name: {name}"));
        }
        Some(_) => {}
    }
    if chars.any(|c| !(c.is_alphanumeric() || c == '_' || c == '-')) {
        return invalid(format!("Illegal character in rule name: {name}"));
    }
    if rule.get("type").and_then(Value::as_str).is_none() {
        return invalid("Missing rule type".into());
    }
    let mode = rule
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("WRITEREAD");
    for key in ["onSuccess", "onFailure"] {
        if let Some(action) = rule.get(key).and_then(Value::as_str)
            && mode != "WRITEREAD"
            && mode != "UPDOWN"
            && action.contains(',')
        {
            return invalid("Multiple actions only valid with WRITEREAD and UPDOWN".into());
        }
    }
    Ok(())
}

/// `new` over `old` (canonical rule sets), as Confluent's `RuleSet.mergeRuleSets`: per list,
/// the old rules not named in the new list, then the new ones; `enableAt` from `new` when it
/// has one.
pub(crate) fn merge_rule_sets(old: Option<Value>, new: Option<Value>) -> Option<Value> {
    let (old, new) = match (old, new) {
        (None, new) => return new,
        (old, None) => return old,
        (Some(old), Some(new)) => (old, new),
    };
    let mut out = Map::new();
    for phase in PHASES {
        let old_rules: Vec<&Value> = rules(&old, phase).collect();
        let new_rules: Vec<&Value> = rules(&new, phase).collect();
        let merged: Vec<Value> = if old_rules.is_empty() {
            new_rules.into_iter().cloned().collect()
        } else if new_rules.is_empty() {
            old_rules.into_iter().cloned().collect()
        } else {
            let new_names: BTreeSet<&str> = new_rules
                .iter()
                .filter_map(|r| r.get("name").and_then(Value::as_str))
                .collect();
            old_rules
                .into_iter()
                .filter(|r| {
                    !r.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| new_names.contains(n))
                })
                .chain(new_rules)
                .cloned()
                .collect()
        };
        if !merged.is_empty() {
            out.insert(phase.into(), merged.into());
        }
    }
    if let Some(enable_at) = new.get("enableAt").or_else(|| old.get("enableAt")) {
        out.insert("enableAt".into(), enable_at.clone());
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn metadata_is_sorted_and_empty_parts_are_left_out() {
        let m = canonical_metadata(Some(&json!({
            "properties": {"b": "2", "a": 1},
            "tags": {},
            "sensitive": ["y", "x", "x"]
        })))
        .unwrap();
        assert_eq!(
            m.unwrap().to_string(),
            r#"{"properties":{"a":"1","b":"2"},"sensitive":["x","y"]}"#
        );
        assert_eq!(
            canonical_metadata(Some(&json!({}))).unwrap(),
            Some(json!({}))
        );
        assert_eq!(canonical_metadata(None).unwrap(), None);
    }

    #[test]
    fn rules_take_confluents_defaults() {
        let rs = canonical_rule_set(Some(
            &json!({"domainRules": [{"name": "r", "type": "CEL"}], "migrationRules": []}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            rs.to_string(),
            r#"{"domainRules":[{"name":"r","kind":"TRANSFORM","mode":"WRITEREAD","type":"CEL","disabled":false}]}"#
        );
    }

    #[test]
    fn invalid_rule_sets_are_42210_with_confluents_messages() {
        let check = |v: Value| {
            let rs = canonical_rule_set(Some(&v)).unwrap().unwrap();
            validate_rule_set(&rs).unwrap_err().to_string()
        };
        assert_eq!(
            check(json!({"migrationRules": [{"name": "foo", "mode": "READ"}]})),
            "Missing rule type"
        );
        assert_eq!(
            check(json!({"migrationRules": [{"name": "foo", "mode": "READ", "type": "X"}]})),
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN"
        );
        assert_eq!(
            check(
                json!({"domainRules": [{"name": "foo", "type": "X"}, {"name": "foo", "type": "X"}]})
            ),
            "Found rule with duplicate name 'foo'"
        );
        assert_eq!(
            check(json!({"domainRules": [{"name": "1a", "type": "X"}]})),
            "Illegal initial character in rule name: 1a"
        );
    }

    #[test]
    fn merges_replace_rules_by_name_and_properties_by_key() {
        let old = canonical_rule_set(Some(&json!({"migrationRules": [{"name": "foo", "type": "A", "mode": "UPGRADE"}, {"name": "bar", "type": "A", "mode": "UPGRADE"}]}))).unwrap();
        let new = canonical_rule_set(Some(
            &json!({"migrationRules": [{"name": "bar", "type": "B", "mode": "UPGRADE"}]}),
        ))
        .unwrap();
        let merged = merge_rule_sets(old, new).unwrap();
        let names: Vec<&str> = rules(&merged, "migrationRules")
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["foo", "bar"]);
        assert_eq!(
            rules(&merged, "migrationRules").nth(1).unwrap()["type"],
            "B"
        );
        let a = metadata_of(Some(&json!({"properties": {"k": "1", "x": "a"}})));
        let b = metadata_of(Some(&json!({"properties": {"k": "2"}})));
        let m = Metadata::merge(a, b).unwrap();
        assert_eq!(m.to_value(), json!({"properties": {"k": "2", "x": "a"}}));
    }
}
