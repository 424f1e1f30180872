//! Data contracts: a schema version's `ruleSet` and the tags of its `metadata`, as typed
//! values the serializers execute (Confluent's `RuleSet`, `Rule`, `RuleKind`, `RuleMode`,
//! `Metadata` in `client/.../rest/entities`).
//!
//! The registry stores rule sets as JSON and checks them on registration (42210, in
//! `warden-server`'s contract module); this module reads a stored rule set back for the
//! clients: [`RuleSet::from_json`] and [`ContractTags::from_metadata`]. Field names of the
//! JSON are Confluent's (`domainRules`, `migrationRules`, `encodingRules`, `onSuccess`, ...).

pub mod changes;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether a rule checks (`CONDITION`) or rewrites (`TRANSFORM`) a message. Confluent's
/// default is `TRANSFORM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RuleKind {
    /// The rule's expression must hold; a false result runs `onFailure`.
    Condition,
    /// The rule's expression computes the new message (or field value).
    #[default]
    Transform,
}

/// When a rule runs (Confluent's `RuleMode`): domain and encoding rules on `WRITE`, `READ`
/// or both (`WRITEREAD`, the default); migration rules on `UPGRADE`, `DOWNGRADE` or both
/// (`UPDOWN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RuleMode {
    /// Migration from an older writer version to a newer reader version.
    Upgrade,
    /// Migration from a newer writer version to an older reader version.
    Downgrade,
    /// Both migrations.
    Updown,
    /// When a producer serializes.
    Write,
    /// When a consumer deserializes.
    Read,
    /// Both (the default).
    #[default]
    Writeread,
}

impl RuleMode {
    /// Whether a rule in this mode runs when the serde runs in `phase` (one of `WRITE`,
    /// `READ`, `UPGRADE`, `DOWNGRADE`): the same mode, or the pair that holds it.
    pub fn applies_to(self, phase: RuleMode) -> bool {
        match self {
            RuleMode::Writeread => matches!(phase, RuleMode::Write | RuleMode::Read),
            RuleMode::Updown => matches!(phase, RuleMode::Upgrade | RuleMode::Downgrade),
            mode => mode == phase,
        }
    }

    /// The mode's name as Confluent writes it (`WRITE`, `READ`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleMode::Upgrade => "UPGRADE",
            RuleMode::Downgrade => "DOWNGRADE",
            RuleMode::Updown => "UPDOWN",
            RuleMode::Write => "WRITE",
            RuleMode::Read => "READ",
            RuleMode::Writeread => "WRITEREAD",
        }
    }
}

/// What happens after a rule ran: `ERROR` refuses the record, `NONE` lets it pass, `DLQ`
/// sends it to a dead-letter topic (and refuses it). Other names are custom actions, which
/// the Warden serializers treat as unknown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleAction {
    /// Refuse the record (the default on failure).
    Error,
    /// Do nothing (the default on success).
    None,
    /// Send the record to the dead-letter topic, then refuse it.
    Dlq,
    /// An action Warden has no implementation of, by name.
    Other(String),
}

impl RuleAction {
    fn parse(name: &str) -> Self {
        match name.trim() {
            "ERROR" => Self::Error,
            "NONE" => Self::None,
            "DLQ" => Self::Dlq,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// One rule (Confluent's `Rule`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The rule's name, unique in its rule set.
    pub name: String,
    /// Free text; Confluent's clients report it instead of the expression when a condition
    /// fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// `CONDITION` or `TRANSFORM`.
    #[serde(default)]
    pub kind: RuleKind,
    /// When the rule runs.
    #[serde(default)]
    pub mode: RuleMode,
    /// The executor: `CEL`, `CEL_FIELD`, `JSONATA`, `ENCRYPT`, ... (upper-cased on lookup).
    #[serde(rename = "type")]
    pub rule_type: String,
    /// The field tags a field rule applies to; empty is every field.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Executor parameters (`encrypt.kek.name`, `dlq.topic`, ...).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// The expression, in the executor's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    /// The action after success: one name, or `write,read` for `WRITEREAD` and `UPDOWN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<String>,
    /// The action after failure, as `on_success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    /// A disabled rule is skipped.
    #[serde(default)]
    pub disabled: bool,
}

impl Rule {
    /// The action after success when running in `phase` (default `NONE`).
    pub fn on_success(&self, phase: RuleMode) -> RuleAction {
        self.action(self.on_success.as_deref(), phase, RuleAction::None)
    }

    /// The action after failure when running in `phase` (default `ERROR`).
    pub fn on_failure(&self, phase: RuleMode) -> RuleAction {
        self.action(self.on_failure.as_deref(), phase, RuleAction::Error)
    }

    /// Confluent's `getRuleActionName`: for a `WRITEREAD` or `UPDOWN` rule, `a,b` names
    /// the action on write (upgrade) then on read (downgrade); otherwise the whole name.
    fn action(&self, names: Option<&str>, phase: RuleMode, default: RuleAction) -> RuleAction {
        let Some(names) = names.filter(|n| !n.trim().is_empty()) else {
            return default;
        };
        let pair = matches!(self.mode, RuleMode::Writeread | RuleMode::Updown);
        match names.split_once(',') {
            Some((first, second)) if pair => {
                let name = match phase {
                    RuleMode::Write | RuleMode::Upgrade => first,
                    _ => second,
                };
                RuleAction::parse(name)
            }
            _ => RuleAction::parse(names),
        }
    }

    /// The expression split at its first `;` into a guard and the expression proper
    /// (Confluent's CEL executors: `name == 'ssn' ; value.matches(...)`); no guard without
    /// a `;` or with an empty one.
    pub fn guard_and_expr(&self) -> (Option<&str>, &str) {
        let expr = self.expr.as_deref().unwrap_or("");
        match expr.split_once(';') {
            Some((guard, rest)) if !guard.trim().is_empty() => (Some(guard.trim()), rest.trim()),
            Some((_, rest)) => (None, rest.trim()),
            None => (None, expr.trim()),
        }
    }
}

/// A schema version's rules (Confluent's `RuleSet`), by phase.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleSet {
    /// Run when the versions differ and the reader picks another version than the writer's.
    #[serde(default)]
    pub migration_rules: Vec<Rule>,
    /// Run on the message, on write and on read.
    #[serde(default)]
    pub domain_rules: Vec<Rule>,
    /// Run on the encoded payload bytes.
    #[serde(default)]
    pub encoding_rules: Vec<Rule>,
}

impl RuleSet {
    /// Reads a stored `ruleSet`; `None` and `null` are no rules.
    ///
    /// Errors: the JSON is not a rule set (a rule without a name or type, a mode or kind
    /// that is not one of Confluent's); the message is serde's.
    pub fn from_json(value: Option<&Value>) -> Result<Self, String> {
        match value {
            None | Some(Value::Null) => Ok(Self::default()),
            Some(value) => Self::deserialize(value).map_err(|e| e.to_string()),
        }
    }

    /// No rule in any phase.
    pub fn is_empty(&self) -> bool {
        self.migration_rules.is_empty()
            && self.domain_rules.is_empty()
            && self.encoding_rules.is_empty()
    }

    /// Whether a rule of any phase has this type (case-insensitive).
    pub fn has_rule_of_type(&self, rule_type: &str) -> bool {
        self.migration_rules
            .iter()
            .chain(&self.domain_rules)
            .chain(&self.encoding_rules)
            .any(|r| r.rule_type.eq_ignore_ascii_case(rule_type))
    }
}

/// The external tags of a schema version's `metadata.tags`: a map from a field path pattern
/// (Confluent's wildcards: `*` within one name, `**` across `.`, `?` one character) to tags.
#[derive(Debug, Clone, Default)]
pub struct ContractTags {
    patterns: Vec<(WildcardPattern, Vec<String>)>,
}

impl ContractTags {
    /// The tags of `metadata` (`{"tags": {"Order.email": ["PII"]}, ...}`); none when
    /// absent or of another shape.
    pub fn from_metadata(metadata: Option<&Value>) -> Self {
        let mut patterns = Vec::new();
        if let Some(Value::Object(tags)) = metadata.and_then(|m| m.get("tags")) {
            for (pattern, list) in tags {
                let list: Vec<String> = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect();
                patterns.push((WildcardPattern::new(pattern), list));
            }
        }
        Self { patterns }
    }

    /// The tags of the field with this full name (Confluent's `RuleContext.getTags`).
    pub fn tags_of(&self, full_name: &str) -> impl Iterator<Item = &str> {
        self.patterns
            .iter()
            .filter(move |(p, _)| p.matches(full_name))
            .flat_map(|(_, tags)| tags.iter().map(String::as_str))
    }

    /// No pattern at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// Confluent's `WildcardMatcher`: `**` matches any run of characters, `*` any run without
/// `.`, `?` one character other than `.`; everything else literally, the whole name.
#[derive(Debug, Clone)]
pub struct WildcardPattern(Vec<Token>);

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(char),
    AnyInName,
    Any,
    One,
}

impl WildcardPattern {
    /// Compiles a pattern.
    pub fn new(pattern: &str) -> Self {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    tokens.push(Token::Any);
                }
                '*' => tokens.push(Token::AnyInName),
                '?' => tokens.push(Token::One),
                c => tokens.push(Token::Literal(c)),
            }
        }
        Self(tokens)
    }

    /// Whether the whole of `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        let chars: Vec<char> = name.chars().collect();
        matches_from(&self.0, &chars)
    }
}

fn matches_from(tokens: &[Token], name: &[char]) -> bool {
    match tokens.split_first() {
        None => name.is_empty(),
        Some((Token::Literal(c), rest)) => {
            name.first() == Some(c) && matches_from(rest, &name[1..])
        }
        Some((Token::One, rest)) => {
            name.first().is_some_and(|c| *c != '.') && matches_from(rest, &name[1..])
        }
        Some((Token::AnyInName, rest)) => {
            for i in 0..=name.len() {
                if matches_from(rest, &name[i..]) {
                    return true;
                }
                if name.get(i) == Some(&'.') {
                    break;
                }
            }
            false
        }
        Some((Token::Any, rest)) => (0..=name.len()).any(|i| matches_from(rest, &name[i..])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_stored_rule_set_reads_with_confluents_defaults() {
        let set = RuleSet::from_json(Some(&json!({
            "domainRules": [{"name": "a", "type": "CEL", "expr": "x ; y", "onFailure": "DLQ,NONE"}]
        })))
        .unwrap();
        let rule = &set.domain_rules[0];
        assert_eq!(rule.kind, RuleKind::Transform);
        assert_eq!(rule.mode, RuleMode::Writeread);
        assert_eq!(rule.on_failure(RuleMode::Write), RuleAction::Dlq);
        assert_eq!(rule.on_failure(RuleMode::Read), RuleAction::None);
        assert_eq!(rule.on_success(RuleMode::Read), RuleAction::None);
        assert_eq!(rule.guard_and_expr(), (Some("x"), "y"));
        assert!(RuleSet::from_json(Some(&json!({"domainRules": [{"name": "a"}]}))).is_err());
    }

    #[test]
    fn an_action_pair_applies_only_to_writeread_and_updown() {
        let rule = Rule {
            mode: RuleMode::Write,
            on_failure: Some("DLQ,NONE".into()),
            ..Rule::default()
        };
        assert_eq!(
            rule.on_failure(RuleMode::Write),
            RuleAction::Other("DLQ,NONE".into())
        );
    }

    #[test]
    fn wildcards_match_as_confluents_matcher() {
        let cases = [
            ("Order.email", "Order.email", true),
            ("*.email", "Order.email", true),
            ("*.email", "com.Order.email", false),
            ("**.email", "com.acme.Order.email", true),
            ("**email", "email", true),
            ("Order.?mail", "Order.email", true),
            ("Order.*", "Order.a.b", false),
            ("Order.e*", "Order.email", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(
                WildcardPattern::new(pattern).matches(name),
                expected,
                "{pattern} against {name}"
            );
        }
    }

    #[test]
    fn metadata_tags_gather_every_matching_pattern() {
        let tags = ContractTags::from_metadata(Some(&json!({
            "tags": {"**.ssn": ["PII"], "Order.ssn": ["SECRET"], "Order.x": ["X"]}
        })));
        let mut found: Vec<&str> = tags.tags_of("Order.ssn").collect();
        found.sort_unstable();
        assert_eq!(found, ["PII", "SECRET"]);
    }
}
