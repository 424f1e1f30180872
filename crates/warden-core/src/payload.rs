//! The error of every payload codec: a JSON document or binary datum that does not match its
//! schema, for Avro ([`crate::avro::AvroSchema::encode_json`], `decode`) and Protobuf
//! ([`crate::protobuf::ProtobufSchema::encode_json`], `decode`) alike.

use std::fmt;

/// Why a payload could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    /// JSON pointer to the failing field in the document (`/items/0/price`); empty for the
    /// document itself or for binary input.
    pub path: String,
    /// What is wrong, e.g. `unknown field "nope" in acme.Order`.
    pub message: String,
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{at}: {}", self.message)
    }
}

impl std::error::Error for PayloadError {}
