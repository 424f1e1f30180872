//! A framed record's data-contract `WRITE` conditions, checked on the bytes as they travel:
//! what a validating proxy (`warden proxy`) runs so that a record its producer's serializer
//! would have refused is refused even when the producer runs no rules.
//!
//! Which rules run: the enabled `CONDITION` rules of the writer schema's `domainRules`
//! whose mode includes `WRITE` and after which no enabled `WRITE` transform comes. A
//! serializer runs the domain rules in order (Confluent's `RuleBase` order), so those
//! conditions saw the record as it is on the wire. A condition followed by a transform (say,
//! a check of `email` before an `ENCRYPT` rule encrypts it) saw a value the wire no longer
//! holds, and stays the producer's to run. Transforms never run here: the record is checked,
//! not rewritten, and its bytes travel unchanged. Migration and encoding rules do not apply
//! to writing a record with its own schema.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::Value;
use warden_client::RegistryClient;
use warden_core::SchemaId;
use warden_core::rules::{RuleKind, RuleMode, RuleSet};

use crate::error::{Result, SerdeError};
use crate::frame::{read_header, writer_schema};
use crate::generic::decode;
use crate::resolver::schema_record;
use crate::rules::Contract;
use crate::rules::encrypt::RuleKeys;

/// Checks framed records against the `WRITE` conditions of their writer schema (see the
/// module docs). The conditions of each schema id are compiled once and kept: an id's rule
/// set never changes.
#[derive(Debug)]
pub struct WriteConditions {
    client: RegistryClient,
    contracts: RwLock<HashMap<SchemaId, Option<Arc<Contract>>>>,
}

impl WriteConditions {
    /// A checker that reads schemas and their rule sets through `client`.
    pub fn new(client: RegistryClient) -> Self {
        Self {
            client,
            contracts: RwLock::default(),
        }
    }

    /// Runs the `WRITE` conditions of the writer schema of `bytes` (`0x00 | id | payload`,
    /// or the GUID framing) on the record, as `subject`'s serializer would have. `Ok` when
    /// the schema has none, when they hold, or when the failing rule's `onFailure` is `NONE`.
    ///
    /// Errors: [`SerdeError::Rule`] naming the rule and the field when a condition refuses
    /// the record (`onFailure` `ERROR` or `DLQ`); the framing, registry and decoding errors of
    /// [`crate::check_record`]; [`SerdeError::Config`] for a stored rule set that does not
    /// read.
    pub async fn check(&self, bytes: &[u8], subject: &str) -> Result<()> {
        // The common framing names its id in the header: a schema without conditions is
        // known from it, without looking the schema up.
        if bytes.first() == Some(&0) && self.contract(read_header(bytes)?.0).await?.is_none() {
            return Ok(());
        }
        let (id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let Some(contract) = self.contract(id).await? else {
            return Ok(());
        };
        let (mut value, descriptor) = decode(id, &schema, payload)?;
        // Conditions on a borrowed record when they can (their fields found once per
        // schema version), else by the full walk.
        if let Some(checked) = contract.check(RuleMode::Write, &schema, Some(subject), &value) {
            return checked;
        }
        contract.execute(
            RuleMode::Write,
            &schema,
            descriptor.as_ref(),
            Some(subject),
            &mut value,
            &RuleKeys::default(),
        )
    }

    /// The compiled conditions of schema `id` that the wire can show, `None` without any.
    async fn contract(&self, id: SchemaId) -> Result<Option<Arc<Contract>>> {
        if let Some(kept) = self
            .contracts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
        {
            return Ok(kept.clone());
        }
        let raw = schema_record(&self.client, id).await?;
        let conditions = wire_conditions(raw.rule_set.as_ref())?;
        let contract = match conditions {
            Some(rule_set) => Contract::new(Some(&rule_set), raw.metadata.as_ref())?.map(Arc::new),
            None => None,
        };
        self.contracts
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, contract.clone());
        Ok(contract)
    }
}

/// The rule set holding only the `domainRules` of `rule_set` that run here (see the module
/// docs), each as stored; `None` when none does.
///
/// Errors: [`SerdeError::Config`] when the rule set does not read.
fn wire_conditions(rule_set: Option<&Value>) -> Result<Option<Value>> {
    let rules = RuleSet::from_json(rule_set)
        .map_err(|e| SerdeError::Config(format!("the schema's rule set: {e}")))?;
    let stored = rule_set
        .and_then(|r| r.get("domainRules"))
        .and_then(Value::as_array);
    let (Some(stored), false) = (stored, rules.domain_rules.is_empty()) else {
        return Ok(None);
    };
    let writes = |kind: RuleKind| {
        move |r: &&warden_core::rules::Rule| {
            !r.disabled && r.kind == kind && r.mode.applies_to(RuleMode::Write)
        }
    };
    // The conditions after the last write transform.
    let from = rules
        .domain_rules
        .iter()
        .rposition(|r| writes(RuleKind::Transform)(&r))
        .map_or(0, |last| last + 1);
    let kept: Vec<Value> = rules
        .domain_rules
        .iter()
        .zip(stored)
        .skip(from)
        .filter(|(rule, _)| writes(RuleKind::Condition)(rule))
        .map(|(_, stored)| stored.clone())
        .collect();
    Ok((!kept.is_empty()).then(|| serde_json::json!({ "domainRules": kept })))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names(rule_set: Option<Value>) -> Vec<String> {
        rule_set
            .map(|r| {
                r["domainRules"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn rule(name: &str, kind: &str, mode: &str) -> Value {
        json!({"name": name, "kind": kind, "mode": mode, "type": "CEL", "expr": "true"})
    }

    #[test]
    fn only_enabled_write_conditions_after_the_last_write_transform_run() {
        let rule_set = json!({"domainRules": [
            rule("beforeEncrypt", "CONDITION", "WRITE"),
            {"name": "encrypt", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "ENCRYPT",
             "tags": ["PII"]},
            rule("afterEncrypt", "CONDITION", "WRITEREAD"),
            rule("readOnly", "CONDITION", "READ"),
            {"name": "off", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "false",
             "disabled": true},
            rule("readTransform", "TRANSFORM", "READ"),
            rule("last", "CONDITION", "WRITE"),
        ]});
        assert_eq!(
            names(wire_conditions(Some(&rule_set)).unwrap()),
            ["afterEncrypt", "last"]
        );
    }

    #[test]
    fn a_rule_without_a_kind_is_a_transform_and_no_condition_leaves_nothing_to_run() {
        let rule_set = json!({"domainRules": [
            rule("check", "CONDITION", "WRITE"),
            {"name": "rewrite", "mode": "WRITE", "type": "CEL_FIELD", "expr": "value"},
        ]});
        assert_eq!(wire_conditions(Some(&rule_set)).unwrap(), None);
        assert_eq!(wire_conditions(None).unwrap(), None);
        let migrations = json!({"migrationRules": [rule("up", "TRANSFORM", "UPGRADE")]});
        assert_eq!(wire_conditions(Some(&migrations)).unwrap(), None);
    }
}
