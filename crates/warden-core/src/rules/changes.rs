//! What a new version's data contract changes for the data already written: the breaking
//! changes of a rule set and of the metadata, each a [`Violation`] naming the rule (or the
//! reserved field) and what changed. The registry (with `validateRules` and
//! `validateFields`) and `warden check` report the same ones.
//!
//! - Metadata, as Confluent's `AbstractSchemaRegistry.validateReservedFields` (run with
//!   `validateFields`): a field the previous version's `confluent:reserved` property names
//!   and the new one no longer does (`RESERVED_FIELD_REMOVED`), and a reserved field that is
//!   a top-level field of the new schema (`FIELD_CONFLICTS_WITH_RESERVED_FIELD`), with
//!   Confluent's messages.
//! - Rule sets ([`rule_set_changes`]): Confluent's open-source registry stores the
//!   `validateRules` setting but gives no compatibility verdict on rule sets, so these are
//!   Warden's, reported where a change can make data fail that passed before: an enabled
//!   `CONDITION` that is new, changed, newly enabled, or whose failure now refuses
//!   (`RULE_CONDITION_ADDED`, `RULE_CONDITION_CHANGED`, `RULE_ENABLED`,
//!   `RULE_FAILURE_ACTION_CHANGED`); and a migration rule or a transform removed or changed
//!   (`MIGRATION_RULE_REMOVED`, `MIGRATION_RULE_CHANGED`, `RULE_TRANSFORM_REMOVED`,
//!   `RULE_TRANSFORM_CHANGED`), since consumers reading other versions or older records
//!   depend on them. A condition whose failure action is `NONE` refuses nothing and is not
//!   reported. Rules match by name, as Confluent merges rule sets by name.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Rule, RuleAction, RuleKind, RuleMode, RuleSet};
use crate::schema::ParsedSchema;
use crate::violation::Violation;

/// The metadata property naming reserved fields, comma-separated (Confluent's
/// `ParsedSchema.RESERVED`).
pub const RESERVED: &str = "confluent:reserved";

/// The reserved fields a schema version's `metadata` names
/// (`ParsedSchema.getReservedFields`): `properties["confluent:reserved"]` split at commas,
/// trimmed, empty names left out.
pub fn reserved_fields(metadata: Option<&Value>) -> BTreeSet<String> {
    metadata
        .and_then(|m| m.get("properties"))
        .and_then(|p| p.get(RESERVED))
        .and_then(Value::as_str)
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a schema has a top-level field of this name (`ParsedSchema.hasTopLevelField`):
/// a field of the Avro record, a `properties` key of the JSON Schema, a field of a message
/// of the Protobuf file.
pub fn has_top_level_field(schema: &ParsedSchema, field: &str) -> bool {
    match schema {
        ParsedSchema::Avro(avro) => serde_json::from_str::<Value>(avro.canonical())
            .ok()
            .filter(|v| v.get("type").and_then(Value::as_str) == Some("record"))
            .and_then(|v| v.get("fields").and_then(Value::as_array).cloned())
            .is_some_and(|fields| {
                fields
                    .iter()
                    .any(|f| f.get("name").and_then(Value::as_str) == Some(field))
            }),
        ParsedSchema::Json(json) => json
            .value()
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| p.contains_key(field)),
        ParsedSchema::Protobuf(proto) => proto
            .file()
            .messages()
            .any(|m| m.fields().any(|f| f.name() == field)),
    }
}

/// Confluent's `validateReservedFields`: each reserved field of `previous` (the latest
/// version's metadata, `None` for a first version) that `metadata` no longer reserves, then
/// each reserved field that is a top-level field of `schema`. Paths are
/// `#/metadata/properties/confluent:reserved/<field>`.
pub fn reserved_field_changes(
    metadata: Option<&Value>,
    schema: &ParsedSchema,
    previous: Option<Option<&Value>>,
) -> Vec<Violation> {
    let reserved = reserved_fields(metadata);
    let mut out = Vec::new();
    let path = |field: &str| format!("#/metadata/properties/{RESERVED}/{field}");
    if let Some(previous) = previous {
        for removed in reserved_fields(previous).difference(&reserved) {
            out.push(Violation {
                rule: "RESERVED_FIELD_REMOVED",
                path: path(removed),
                message: format!(
                    "The new schema has reserved field {removed} removed from its metadata \
                     which is present in the old schema's metadata."
                ),
            });
        }
    }
    for field in &reserved {
        if has_top_level_field(schema, field) {
            out.push(Violation {
                rule: "FIELD_CONFLICTS_WITH_RESERVED_FIELD",
                path: path(field),
                message: format!(
                    "The new schema has field that conflicts with the reserved field {field}."
                ),
            });
        }
    }
    out
}

/// The rule-set changes from `old` (the previous version's rule set) to `new` that can make
/// data fail, or be read differently, than before; see the module documentation. Paths are
/// `#/ruleSet/<domainRules|migrationRules|encodingRules>/<rule name>`; each message is in
/// Confluent's difference form (`{errorType:"RULE_CONDITION_ADDED", description:"…"}`,
/// [`crate::violation::Message::Difference`]), its description naming the rule, what
/// changed and the path.
pub fn rule_set_changes(old: &RuleSet, new: &RuleSet) -> Vec<Violation> {
    let mut out = Vec::new();
    for (phase, old_rules, new_rules) in [
        ("domainRules", &old.domain_rules, &new.domain_rules),
        ("encodingRules", &old.encoding_rules, &new.encoding_rules),
    ] {
        for rule in new_rules {
            let before = old_rules.iter().find(|r| r.name == rule.name);
            if let Some(change) = condition_change(before, rule) {
                out.push(change.at(phase, rule));
            }
        }
        for before in old_rules {
            let after = new_rules.iter().find(|r| r.name == before.name);
            if before.kind != RuleKind::Transform || before.disabled {
                continue;
            }
            match after {
                None => out.push(
                    Change {
                        rule: "RULE_TRANSFORM_REMOVED",
                        what: format!(
                            "transform rule '{}' ({}) was removed: records written under it \
                             are no longer transformed back when read",
                            before.name,
                            describe(before)
                        ),
                    }
                    .at(phase, before),
                ),
                Some(after) if after.kind == RuleKind::Transform => {
                    let changed = differences(before, after);
                    if !changed.is_empty() && !after.disabled {
                        out.push(
                            Change {
                                rule: "RULE_TRANSFORM_CHANGED",
                                what: format!(
                                    "transform rule '{}' changed its {}",
                                    before.name,
                                    changed.join(", ")
                                ),
                            }
                            .at(phase, before),
                        );
                    }
                }
                Some(_) => {}
            }
        }
    }
    for before in &old.migration_rules {
        if before.disabled {
            continue;
        }
        match new.migration_rules.iter().find(|r| r.name == before.name) {
            None => out.push(
                Change {
                    rule: "MIGRATION_RULE_REMOVED",
                    what: format!(
                        "migration rule '{}' ({}) was removed: consumers reading records of \
                         another version lose that migration",
                        before.name,
                        describe(before)
                    ),
                }
                .at("migrationRules", before),
            ),
            Some(after) => {
                let changed = differences(before, after);
                if !changed.is_empty() {
                    out.push(
                        Change {
                            rule: "MIGRATION_RULE_CHANGED",
                            what: format!(
                                "migration rule '{}' changed its {}",
                                before.name,
                                changed.join(", ")
                            ),
                        }
                        .at("migrationRules", before),
                    );
                }
            }
        }
    }
    out
}

/// One change, before its path is known.
struct Change {
    rule: &'static str,
    what: String,
}

impl Change {
    fn at(self, phase: &str, rule: &Rule) -> Violation {
        let path = format!("#/ruleSet/{phase}/{}", rule.name);
        let description = format!("{} at path '{path}'", self.what);
        Violation::difference(self.rule, path, &description, None)
    }
}

/// Whether a condition refuses records when it fails in some phase (its failure action is
/// not `NONE` for the phases its mode covers).
fn refuses(rule: &Rule) -> bool {
    let phases: &[RuleMode] = match rule.mode {
        RuleMode::Writeread => &[RuleMode::Write, RuleMode::Read],
        RuleMode::Updown => &[RuleMode::Upgrade, RuleMode::Downgrade],
        RuleMode::Write => &[RuleMode::Write],
        RuleMode::Read => &[RuleMode::Read],
        RuleMode::Upgrade => &[RuleMode::Upgrade],
        RuleMode::Downgrade => &[RuleMode::Downgrade],
    };
    phases
        .iter()
        .any(|p| rule.on_failure(*p) != RuleAction::None)
}

/// Who meets a failing condition in `mode`.
fn who_fails(mode: RuleMode) -> &'static str {
    match mode {
        RuleMode::Write => "records that producers wrote before may now be refused",
        RuleMode::Read => "records already written may now be refused when read",
        _ => "records already written, and new ones like them, may now be refused",
    }
}

/// The change of a condition `rule` over its previous form `before`, when it can refuse
/// records that passed.
fn condition_change(before: Option<&Rule>, rule: &Rule) -> Option<Change> {
    if rule.kind != RuleKind::Condition || rule.disabled || !refuses(rule) {
        return None;
    }
    let Some(before) = before else {
        return Some(Change {
            rule: "RULE_CONDITION_ADDED",
            what: format!(
                "condition rule '{}' ({}) was added: {}",
                rule.name,
                describe(rule),
                who_fails(rule.mode)
            ),
        });
    };
    if before.kind != RuleKind::Condition {
        return Some(Change {
            rule: "RULE_CONDITION_ADDED",
            what: format!(
                "rule '{}' became a condition ({}): {}",
                rule.name,
                describe(rule),
                who_fails(rule.mode)
            ),
        });
    }
    if before.disabled {
        return Some(Change {
            rule: "RULE_ENABLED",
            what: format!(
                "condition rule '{}' ({}) was enabled: {}",
                rule.name,
                describe(rule),
                who_fails(rule.mode)
            ),
        });
    }
    let changed = differences(before, rule);
    if !changed.is_empty() {
        return Some(Change {
            rule: "RULE_CONDITION_CHANGED",
            what: format!(
                "condition rule '{}' changed its {}: {}",
                rule.name,
                changed.join(", "),
                who_fails(rule.mode)
            ),
        });
    }
    if !refuses(before) {
        return Some(Change {
            rule: "RULE_FAILURE_ACTION_CHANGED",
            what: format!(
                "condition rule '{}' now refuses records on failure (onFailure {} instead of \
                 {}): {}",
                rule.name,
                rule.on_failure.as_deref().unwrap_or("ERROR"),
                before.on_failure.as_deref().unwrap_or("ERROR"),
                who_fails(rule.mode)
            ),
        });
    }
    None
}

/// The parts of a rule that decide what it does, changed from `before` to `after`, each
/// as `part (old -> new)`.
fn differences(before: &Rule, after: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    if !before.rule_type.eq_ignore_ascii_case(&after.rule_type) {
        out.push(format!(
            "type ({} -> {})",
            before.rule_type, after.rule_type
        ));
    }
    if before.mode != after.mode {
        out.push(format!(
            "mode ({} -> {})",
            before.mode.as_str(),
            after.mode.as_str()
        ));
    }
    if before.expr != after.expr {
        out.push(format!(
            "expr (`{}` -> `{}`)",
            text(&before.expr),
            text(&after.expr)
        ));
    }
    if before.tags != after.tags {
        out.push(format!(
            "tags ([{}] -> [{}])",
            before.tags.join(", "),
            after.tags.join(", ")
        ));
    }
    if before.params != after.params {
        out.push("params".to_owned());
    }
    out
}

/// `TYPE, MODE` and the tags and expression when there are any.
fn describe(rule: &Rule) -> String {
    let mut out = format!("{}, {}", rule.rule_type, rule.mode.as_str());
    if !rule.tags.is_empty() {
        out.push_str(&format!(", tags [{}]", rule.tags.join(", ")));
    }
    if let Some(expr) = rule.expr.as_deref().filter(|e| !e.is_empty()) {
        out.push_str(&format!(", expr `{expr}`"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(value: Value) -> RuleSet {
        RuleSet::from_json(Some(&value)).unwrap()
    }

    fn rules_of(found: &[Violation]) -> Vec<(&str, &str)> {
        found.iter().map(|v| (v.rule, v.path.as_str())).collect()
    }

    #[test]
    fn a_new_condition_is_reported_with_its_name_and_a_none_one_is_not() {
        let old = set(json!({"domainRules": [
            {"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
             "expr": "message.amount > 0"}
        ]}));
        let new = set(json!({"domainRules": [
            {"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
             "expr": "message.amount > 0"},
            {"name": "email", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
             "tags": ["PII"], "expr": "value.isEmail()"},
            {"name": "soft", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
             "expr": "false", "onFailure": "NONE"},
            {"name": "off", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
             "expr": "false", "disabled": true}
        ]}));
        let found = rule_set_changes(&old, &new);
        assert_eq!(
            rules_of(&found),
            [("RULE_CONDITION_ADDED", "#/ruleSet/domainRules/email")]
        );
        assert!(found[0].message.contains("'email'"), "{}", found[0].message);
        assert!(found[0].message.contains("value.isEmail()"));
        assert!(rule_set_changes(&old, &old).is_empty());
    }

    #[test]
    fn changed_enabled_and_stricter_conditions_are_reported() {
        let rule = |expr: &str, disabled: bool, on_failure: &str| {
            json!({"name": "r", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL",
                   "expr": expr, "disabled": disabled, "onFailure": on_failure})
        };
        let cases = [
            (
                rule("a", false, "ERROR"),
                rule("b", false, "ERROR"),
                "RULE_CONDITION_CHANGED",
            ),
            (
                rule("a", true, "ERROR"),
                rule("a", false, "ERROR"),
                "RULE_ENABLED",
            ),
            (
                rule("a", false, "NONE,NONE"),
                rule("a", false, "ERROR,NONE"),
                "RULE_FAILURE_ACTION_CHANGED",
            ),
        ];
        for (before, after, expected) in cases {
            let found = rule_set_changes(
                &set(json!({"domainRules": [before]})),
                &set(json!({"domainRules": [after]})),
            );
            assert_eq!(rules_of(&found), [(expected, "#/ruleSet/domainRules/r")]);
        }
        // Looser: the action back to NONE, or the rule disabled or removed.
        let found = rule_set_changes(
            &set(json!({"domainRules": [rule("a", false, "ERROR")]})),
            &set(json!({"domainRules": [rule("a", false, "NONE,NONE")]})),
        );
        assert!(found.is_empty(), "{found:?}");
        let found = rule_set_changes(
            &set(json!({"domainRules": [rule("a", false, "ERROR")]})),
            &set(json!({})),
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn removed_migrations_and_transforms_are_reported() {
        let old = set(json!({
            "migrationRules": [{"name": "up", "kind": "TRANSFORM", "mode": "UPGRADE",
                                "type": "JSONATA", "expr": "$"}],
            "domainRules": [{"name": "enc", "kind": "TRANSFORM", "mode": "WRITEREAD",
                             "type": "ENCRYPT", "tags": ["PII"]}]
        }));
        let found = rule_set_changes(&old, &set(json!({})));
        assert_eq!(
            rules_of(&found),
            [
                ("RULE_TRANSFORM_REMOVED", "#/ruleSet/domainRules/enc"),
                ("MIGRATION_RULE_REMOVED", "#/ruleSet/migrationRules/up")
            ]
        );
    }
}
