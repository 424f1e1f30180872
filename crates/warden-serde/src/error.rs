//! The serializers' and deserializers' error type.

use warden_client::ClientError;
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
}

impl SerdeError {
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
