//! JSON (proto3 JSON mapping) ↔ [`DynamicMessage`] ↔ binary Protobuf.
//!
//! Conversion is `prost-reflect`'s (unknown fields rejected). When it fails, the document is
//! walked against the message descriptor to find the failing field, so that the error names
//! its path.

use std::fmt;

use prost::Message as _;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value};

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

/// Encodes a JSON document as `message`; see `ProtobufSchema::encode_json`.
pub(crate) fn encode_json(
    message: &MessageDescriptor,
    json: &Value,
) -> Result<(DynamicMessage, Vec<u8>), PayloadError> {
    match DynamicMessage::deserialize(message.clone(), json) {
        Ok(decoded) => {
            let bytes = decoded.encode_to_vec();
            Ok((decoded, bytes))
        }
        Err(e) => Err(locate(message, json, "").unwrap_or(PayloadError {
            path: String::new(),
            message: e.to_string(),
        })),
    }
}

/// Decodes binary Protobuf as `message`.
pub(crate) fn decode(
    message: &MessageDescriptor,
    bytes: &[u8],
) -> Result<DynamicMessage, PayloadError> {
    DynamicMessage::decode(message.clone(), bytes).map_err(|e| PayloadError {
        path: String::new(),
        message: format!("not a valid {} encoding: {e}", message.full_name()),
    })
}

/// A message as JSON, proto3 JSON mapping.
pub(crate) fn to_json(message: &DynamicMessage) -> Result<Value, PayloadError> {
    serde_json::to_value(message).map_err(|e| PayloadError {
        path: String::new(),
        message: e.to_string(),
    })
}

/// Whether a message has its own JSON form (the well-known types), so that its value is
/// converted as a whole rather than field by field.
fn has_special_json(message: &MessageDescriptor) -> bool {
    message.full_name().starts_with("google.protobuf.")
}

/// Finds the first field of `json` that does not convert as part of `message`.
fn locate(message: &MessageDescriptor, json: &Value, path: &str) -> Option<PayloadError> {
    if has_special_json(message) {
        return DynamicMessage::deserialize(message.clone(), json)
            .err()
            .map(|e| PayloadError {
                path: path.to_owned(),
                message: e.to_string(),
            });
    }
    let Value::Object(object) = json else {
        return Some(PayloadError {
            path: path.to_owned(),
            message: format!(
                "expected an object for {}, found {}",
                message.full_name(),
                kind(json)
            ),
        });
    };
    for (key, value) in object {
        let here = format!("{path}/{}", escape(key));
        let Some(field) = message
            .get_field_by_json_name(key)
            .or_else(|| message.get_field_by_name(key))
        else {
            return Some(PayloadError {
                path: here,
                message: format!("unknown field \"{key}\" in {}", message.full_name()),
            });
        };
        if let Some(error) = locate_field(message, &field, key, value, &here) {
            return Some(error);
        }
    }
    // Every field converts alone: the conflict is between fields (a oneof set twice, a field
    // given by both its names).
    DynamicMessage::deserialize(message.clone(), json)
        .err()
        .map(|e| PayloadError {
            path: path.to_owned(),
            message: e.to_string(),
        })
}

/// Finds the failing part of one field's value.
fn locate_field(
    message: &MessageDescriptor,
    field: &FieldDescriptor,
    key: &str,
    value: &Value,
    path: &str,
) -> Option<PayloadError> {
    if value.is_null() {
        return alone(message, key, value, path);
    }
    match (field.kind(), value) {
        (Kind::Message(entry), Value::Object(map)) if field.is_map() => {
            let value_field = entry.map_entry_value_field();
            for (k, v) in map {
                let here = format!("{path}/{}", escape(k));
                let mut one = Map::new();
                one.insert(k.clone(), v.clone());
                if let Kind::Message(inner) = value_field.kind()
                    && !has_special_json(&inner)
                    && !v.is_null()
                {
                    // Check the key alone (with an empty message), then the value.
                    let mut probe = Map::new();
                    probe.insert(k.clone(), Value::Object(Map::new()));
                    let mut wrapper = Map::new();
                    wrapper.insert(key.to_owned(), Value::Object(probe));
                    if let Err(e) =
                        DynamicMessage::deserialize(message.clone(), &Value::Object(wrapper))
                    {
                        return Some(PayloadError {
                            path: here,
                            message: e.to_string(),
                        });
                    }
                    if let Some(error) = locate(&inner, v, &here) {
                        return Some(error);
                    }
                } else if let Some(mut error) = alone(message, key, &Value::Object(one), path) {
                    error.path = here;
                    return Some(error);
                }
            }
            None
        }
        (kind, Value::Array(items)) if field.is_list() => {
            for (i, item) in items.iter().enumerate() {
                let here = format!("{path}/{i}");
                match &kind {
                    Kind::Message(inner) if !has_special_json(inner) && !item.is_null() => {
                        if let Some(error) = locate(inner, item, &here) {
                            return Some(error);
                        }
                    }
                    _ => {
                        if let Some(mut error) =
                            alone(message, key, &Value::Array(vec![item.clone()]), path)
                        {
                            error.path = here;
                            return Some(error);
                        }
                    }
                }
            }
            None
        }
        (Kind::Message(inner), _)
            if !field.is_list() && !field.is_map() && !has_special_json(&inner) =>
        {
            locate(&inner, value, path)
        }
        _ => alone(message, key, value, path),
    }
}

/// Converts `{key: value}` as `message`, reporting the failure at `path`.
fn alone(
    message: &MessageDescriptor,
    key: &str,
    value: &Value,
    path: &str,
) -> Option<PayloadError> {
    let mut one = Map::new();
    one.insert(key.to_owned(), value.clone());
    DynamicMessage::deserialize(message.clone(), &Value::Object(one))
        .err()
        .map(|e| PayloadError {
            path: path.to_owned(),
            message: e.to_string(),
        })
}

/// A JSON pointer token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
