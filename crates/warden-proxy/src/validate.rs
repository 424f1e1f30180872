//! Checking one record's key or value against the registry, with the serializers' code
//! (`warden_serde::check_record`).
//!
//! Rules, in the order they are checked (each refusal names one):
//! - `MAGIC_BYTE`: the bytes are not Confluent's wire format (`0x00 | id | payload`): no
//!   framing, another first byte, or fewer than 5 bytes.
//! - `UNKNOWN_SCHEMA_ID`: the registry has no schema with the header's id.
//! - `SCHEMA_NOT_IN_SUBJECT`: the id is not registered under the subject the topic's subject
//!   name strategy gives (`<topic>-value` with TopicNameStrategy).
//! - `UNDECODABLE`: the payload does not decode with the schema (Avro, Protobuf), the
//!   Protobuf message indexes name no message, or a JSON payload is not JSON.
//! - `SCHEMA_VIOLATION`: a JSON document violates its JSON Schema (with the field path).
//! - `RULE_CONDITION`: a data-contract `WRITE` condition of the writer schema (`CEL`,
//!   `CEL_FIELD`) refuses the record, as the producer's serializer would have; the message
//!   names the rule and the path the field (its full name). Only the conditions that see
//!   the record as it travels run (see `warden_serde::WriteConditions`).
//! - `SUBJECT_NOT_FOUND`: `require-schema` is set and the topic has no subject.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use warden_client::{ClientError, RegistryClient};
use warden_core::{ErrorCode, SchemaId, Subject};
use warden_serde::{Part, SerdeError, SerializationContext, SubjectNameStrategy, WriteConditions};

use crate::config::{Action, Policy, ProxyConfig};

/// How long a "no such subject" or "id not under this subject" answer is trusted before the
/// registry is asked again (a schema can be registered at any time).
const NEGATIVE_TTL: Duration = Duration::from_secs(5);

/// How long a subject's existence is trusted (a subject can be deleted).
const POSITIVE_TTL: Duration = Duration::from_secs(60);

/// Why a record is invalid: the rule (see the module docs), the field path (JSON pointer,
/// `/` for the whole key or value) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rule's name, e.g. `SCHEMA_NOT_IN_SUBJECT`.
    pub rule: &'static str,
    /// The JSON pointer of the failing field, `/` for the whole value; for `RULE_CONDITION`,
    /// the field's full name as the rule executor names it (`acme.Order.email`,
    /// `$.customer.email`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// The outcome of checking a record part.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Valid, written with this schema id under this subject; `None` for a null part.
    Valid(Option<(SchemaId, Subject)>),
    /// Invalid.
    Invalid(Refusal),
    /// The registry could not be asked.
    Unavailable(String),
}

/// What to do with one topic's records, decided once per produce request and topic.
#[derive(Debug, Clone)]
pub(crate) enum TopicPlan {
    /// Forward untouched.
    Pass,
    /// Check each record.
    Check {
        action: Action,
        strategy: SubjectNameStrategy,
        validate_key: bool,
        dead_letter_topic: String,
        forward_invalid: bool,
        /// `require-schema` on a topic without a subject: every record fails.
        missing_subject: bool,
    },
    /// The registry could not be asked whether the topic has a subject.
    Unavailable(String),
}

/// The registry side of the proxy: policies, and the caches of subjects and ids.
#[derive(Debug)]
pub(crate) struct Validator {
    client: RegistryClient,
    /// The data-contract `WRITE` conditions of each schema id.
    conditions: WriteConditions,
    subjects: Mutex<HashMap<Subject, (bool, Instant)>>,
    id_subjects: Mutex<HashMap<SchemaId, HashSet<Subject>>>,
    /// (id, subject) pairs the registry said no to, and when.
    not_in_subject: Mutex<HashMap<(SchemaId, Subject), Instant>>,
}

impl Validator {
    pub(crate) fn new(client: RegistryClient) -> Self {
        Self {
            conditions: WriteConditions::new(client.clone()),
            client,
            subjects: Mutex::default(),
            id_subjects: Mutex::default(),
            not_in_subject: Mutex::default(),
        }
    }

    pub(crate) fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The plan for `topic`: the first matching policy, else `reject` when the topic has
    /// a subject (TopicNameStrategy: `<topic>-value` exists) and pass otherwise.
    pub(crate) async fn plan(&self, config: &ProxyConfig, topic: &str) -> TopicPlan {
        let policy = config.policy(topic);
        let action = policy.and_then(|p| p.action);
        if action == Some(Action::Off) {
            return TopicPlan::Pass;
        }
        let strategy = policy
            .and_then(|p| p.subject_name_strategy)
            .unwrap_or(config.subject_name_strategy);
        let require_schema = policy.is_some_and(|p| p.require_schema);
        let check = |missing_subject: bool| TopicPlan::Check {
            action: action.unwrap_or(Action::Reject),
            strategy,
            validate_key: policy.is_some_and(|p| p.validate_key),
            dead_letter_topic: policy
                .and_then(|p| p.dead_letter_topic.clone())
                .unwrap_or_else(|| format!("{topic}.dlq")),
            forward_invalid: policy.is_some_and(|p: &Policy| p.forward_invalid),
            missing_subject,
        };
        if strategy != SubjectNameStrategy::TopicName {
            // The subject depends on each record's type: a policy naming the topic decides.
            return if policy.is_some() {
                check(false)
            } else {
                TopicPlan::Pass
            };
        }
        let Ok(subject) = strategy.subject(&SerializationContext::value(topic), None) else {
            return TopicPlan::Pass;
        };
        match self.subject_exists(&subject).await {
            Ok(true) => check(false),
            Ok(false) if require_schema => check(true),
            Ok(false) => TopicPlan::Pass,
            Err(reason) => TopicPlan::Unavailable(reason),
        }
    }

    async fn subject_exists(&self, subject: &Subject) -> Result<bool, String> {
        if let Some(&(exists, at)) = lock(&self.subjects).get(subject) {
            let ttl = if exists { POSITIVE_TTL } else { NEGATIVE_TTL };
            if at.elapsed() < ttl {
                return Ok(exists);
            }
        }
        let exists = match self.client.versions(subject, false).await {
            Ok(versions) => !versions.is_empty(),
            Err(e) if e.is_not_found() => false,
            Err(e) => return Err(e.to_string()),
        };
        lock(&self.subjects).insert(subject.clone(), (exists, Instant::now()));
        Ok(exists)
    }

    /// Checks a record's key or value (`bytes`, `None` when null: a tombstone value or a
    /// null key passes).
    pub(crate) async fn check(
        &self,
        topic: &str,
        part: Part,
        strategy: SubjectNameStrategy,
        bytes: Option<&[u8]>,
    ) -> Verdict {
        let Some(bytes) = bytes else {
            return Verdict::Valid(None);
        };
        let context = SerializationContext { topic, part };
        let id = match warden_serde::read_header(bytes) {
            Ok((id, _)) => id,
            Err(e) => return refusal(e),
        };
        // With TopicNameStrategy the subject is known before decoding: an id of another
        // subject is named as such even when its payload would not decode either.
        let known_subject = if strategy == SubjectNameStrategy::TopicName {
            let Ok(subject) = strategy.subject(&context, None) else {
                return Verdict::Valid(None);
            };
            match self.belongs(id, &subject).await {
                Ok(true) => Some(subject),
                Ok(false) => return not_in_subject(id, &subject),
                Err(e) => return refusal(e),
            }
        } else {
            None
        };
        let checked = match warden_serde::check_record(&self.client, bytes).await {
            Ok(checked) => checked,
            Err(e) => return refusal(e),
        };
        let subject = match known_subject {
            Some(subject) => subject,
            None => {
                let subject = match strategy.subject(&context, checked.record_name.as_deref()) {
                    Ok(subject) => subject,
                    Err(e) => {
                        return Verdict::Invalid(Refusal {
                            rule: "SCHEMA_NOT_IN_SUBJECT",
                            path: "/".into(),
                            message: format!("schema id {id}: {e}"),
                        });
                    }
                };
                match self.belongs(id, &subject).await {
                    Ok(true) => subject,
                    Ok(false) => return not_in_subject(id, &subject),
                    Err(e) => return refusal(e),
                }
            }
        };
        if let Err(e) = self.conditions.check(bytes, subject.as_str()).await {
            return refusal(e);
        }
        Verdict::Valid(Some((checked.schema_id, subject)))
    }

    /// Whether `id` is registered under `subject` (`GET /schemas/ids/{id}/versions`).
    /// A yes is kept; a no is asked again after [`NEGATIVE_TTL`], and a pair never asked
    /// about is always asked (the id may have been registered under it since).
    async fn belongs(&self, id: SchemaId, subject: &Subject) -> Result<bool, SerdeError> {
        if lock(&self.id_subjects)
            .get(&id)
            .is_some_and(|subjects| subjects.contains(subject))
        {
            return Ok(true);
        }
        let key = (id, subject.clone());
        if lock(&self.not_in_subject)
            .get(&key)
            .is_some_and(|at| at.elapsed() < NEGATIVE_TTL)
        {
            return Ok(false);
        }
        let pairs = self
            .client
            .subject_versions_of(id)
            .await
            .map_err(|e| match e.code() {
                Some(ErrorCode::SchemaNotFound) => SerdeError::UnknownSchemaId(id),
                _ => SerdeError::Registry(e),
            })?;
        let subjects: HashSet<Subject> = pairs.into_iter().map(|p| p.subject).collect();
        let found = subjects.contains(subject);
        lock(&self.id_subjects).insert(id, subjects);
        let mut negatives = lock(&self.not_in_subject);
        if found {
            negatives.remove(&key);
        } else {
            negatives.insert(key, Instant::now());
        }
        Ok(found)
    }
}

fn not_in_subject(id: SchemaId, subject: &Subject) -> Verdict {
    Verdict::Invalid(Refusal {
        rule: "SCHEMA_NOT_IN_SUBJECT",
        path: "/".into(),
        message: format!("schema id {id} is not registered under subject {subject}"),
    })
}

/// The refusal (or unavailability) a serializer error stands for.
fn refusal(e: SerdeError) -> Verdict {
    let (rule, path, message) = match e {
        SerdeError::UnknownMagicByte(_) | SerdeError::Truncated(_) => (
            "MAGIC_BYTE",
            "/".to_owned(),
            format!("{e}: expected 0x00 | schema id (4 bytes) | payload"),
        ),
        SerdeError::InvalidSchemaId(_) | SerdeError::UnknownSchemaId(_) => {
            ("UNKNOWN_SCHEMA_ID", "/".to_owned(), e.to_string())
        }
        SerdeError::Undecodable { .. } | SerdeError::WrongFormat { .. } => {
            ("UNDECODABLE", "/".to_owned(), e.to_string())
        }
        SerdeError::Invalid { path, message } => (
            "SCHEMA_VIOLATION",
            if path.is_empty() {
                "/".to_owned()
            } else {
                path
            },
            message,
        ),
        SerdeError::Rule(failure) => (
            "RULE_CONDITION",
            failure.field.clone().unwrap_or_else(|| "/".to_owned()),
            failure.to_string(),
        ),
        SerdeError::Registry(ClientError::Registry { status: 404, .. }) => {
            ("UNKNOWN_SCHEMA_ID", "/".to_owned(), e.to_string())
        }
        SerdeError::Registry(ClientError::InvalidSchema { .. }) => {
            ("UNDECODABLE", "/".to_owned(), e.to_string())
        }
        other => return Verdict::Unavailable(other.to_string()),
    };
    Verdict::Invalid(Refusal {
        rule,
        path,
        message,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
