//! The serializers' and deserializers' error type.

use warden_client::ClientError;
use warden_core::rules::RuleMode;
use warden_core::{SchemaId, SchemaType};

/// Why a value could not be serialized or a record deserialized.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SerdeError {
    /// The value does not match the schema: the JSON pointer of the failing field and the
    /// reason, e.g. `/customer/email: expected string, got null`. Nothing was encoded.
    #[error("{}: {message}", if path.is_empty() { "/" } else { path.as_str() })]
    Invalid {
        /// JSON pointer of the failing field (`/items/0/price`); empty for the value itself.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The first byte is not Confluent's magic byte `0x00`.
    #[error("unknown magic byte {0:#04x}: not Confluent wire format")]
    UnknownMagicByte(u8),
    /// The record is shorter than its header (5 bytes) or its message indexes.
    #[error("truncated record: {0}")]
    Truncated(String),
    /// The registry has no schema with the record's id (Confluent 40403).
    #[error("unknown schema id {0}")]
    UnknownSchemaId(SchemaId),
    /// The header's id is 0 or above `2^31-1`: no registry has such a schema.
    #[error("unknown schema id {0}: not a valid schema id")]
    InvalidSchemaId(u32),
    /// The payload does not decode with the writer schema.
    #[error("payload does not decode with schema {schema_id}: {message}")]
    Undecodable {
        /// The schema id in the record's header.
        schema_id: SchemaId,
        /// The decoder's reason.
        message: String,
    },
    /// The subject's schema is of another format than this serializer's.
    #[error("schema {schema_id} is {actual:?}, this serializer writes {expected:?}")]
    WrongFormat {
        /// The schema id.
        schema_id: SchemaId,
        /// This serializer's (or deserializer's) format.
        expected: SchemaType,
        /// The schema's format.
        actual: SchemaType,
    },
    /// The registry failed or refused (subject not found, incompatible schema, unavailable).
    #[error("schema registry: {0}")]
    Registry(#[from] ClientError),
    /// A Rust value could not be turned into the format's data model (serde error).
    #[error("cannot serialize the value: {0}")]
    Serialization(String),
    /// The configuration cannot find a schema for the value (e.g. no schema given and
    /// neither `use_latest_version` nor `use_schema_id`, or `RecordNameStrategy` without a
    /// record name).
    #[error("configuration: {0}")]
    Config(String),
    /// A data-contract rule of the schema refused the record (its action on failure was
    /// `ERROR` or `DLQ`), or could not run. Names the rule and, for a field rule, the field.
    #[error("{0}")]
    Rule(Box<RuleFailure>),
}

/// A data-contract rule that refused a record: which rule, where, why, and whether the record
/// goes to a dead-letter topic (`onFailure: DLQ`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RuleFailure {
    /// The rule's name.
    pub rule: String,
    /// The rule's type (`CEL`, `CEL_FIELD`, ...).
    pub rule_type: String,
    /// `WRITE` when serializing, `READ` when deserializing (Confluent's rule mode).
    pub mode: RuleMode,
    /// The subject whose schema holds the rule, when known.
    pub subject: Option<String>,
    /// The full name of the field a field rule failed on (`acme.Order.email` in Avro,
    /// `$.email` in JSON Schema); `None` for a rule on the whole message.
    pub field: Option<String>,
    /// Why: the rule's `doc`, or `Rule expr failed: <expr>` for a false condition (Confluent's
    /// `RuleConditionError`), or the executor's error.
    pub message: String,
    /// The failure action was `DLQ`: the record should go to [`RuleFailure::dlq_topic`].
    pub dead_letter: bool,
    /// The rule's `dlq.topic` parameter (or the schema metadata property of that name).
    pub dlq_topic: Option<String>,
    /// The message as it was when the rule ran (JSON), for the dead-letter record.
    pub record: Option<serde_json::Value>,
}

impl std::fmt::Display for RuleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule '{}' ({} on {}) ",
            self.rule,
            self.rule_type,
            self.mode.as_str()
        )?;
        match &self.field {
            Some(field) => write!(f, "refused field {field}: {}", self.message),
            None => write!(f, "refused the record: {}", self.message),
        }
    }
}

impl SerdeError {
    /// The rule failure, when a data-contract rule refused the record.
    pub fn rule_failure(&self) -> Option<&RuleFailure> {
        match self {
            Self::Rule(failure) => Some(failure),
            _ => None,
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl From<warden_core::protobuf::PayloadError> for SerdeError {
    fn from(e: warden_core::protobuf::PayloadError) -> Self {
        Self::invalid(e.path, e.message)
    }
}

/// Shorthand for serializer and deserializer results.
pub type Result<T, E = SerdeError> = std::result::Result<T, E>;
