//! JSON (proto3 JSON mapping) ↔ [`DynamicMessage`] ↔ binary Protobuf.
//!
//! Conversion is `prost-reflect`'s (unknown fields rejected). When it fails, the document is
//! walked against the message descriptor to find the failing field, so that the error names
//! its path.

use prost::Message as _;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value};

use crate::payload::PayloadError;

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

/// Checks that `bytes` is a valid encoding of `message` without building the message: every
/// field number is one of the message's fields, every wire type fits the field's type
/// (packed encodings of repeated scalars included), strings are UTF-8, and nested messages
/// (map entries included) are checked the same way. Group-encoded fields (proto2) are
/// checked by decoding.
///
/// Errors: the field path (`/customer/email`) and the reason.
pub(crate) fn check_encoding(
    message: &MessageDescriptor,
    bytes: &[u8],
) -> Result<(), PayloadError> {
    let mut path = String::new();
    match walk(message, bytes, &mut path, 0) {
        Err(Walk::Invalid(e)) => Err(e),
        Err(Walk::Group) => decode(message, bytes).map(drop),
        Ok(()) => Ok(()),
    }
}

/// Nested messages deeper than this are refused.
pub(crate) const MAX_WIRE_DEPTH: usize = 100;

enum Walk {
    Invalid(PayloadError),
    /// A group-encoded field: leave it to the full decoder.
    Group,
}

fn invalid(path: &str, message: String) -> Walk {
    Walk::Invalid(PayloadError {
        path: path.to_owned(),
        message,
    })
}

fn read_varint(bytes: &mut &[u8], path: &str) -> Result<u64, Walk> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            *bytes = &bytes[i + 1..];
            return Ok(value);
        }
    }
    Err(invalid(path, "truncated or overlong varint".to_owned()))
}

fn take<'b>(bytes: &mut &'b [u8], n: usize, path: &str) -> Result<&'b [u8], Walk> {
    if bytes.len() < n {
        return Err(invalid(
            path,
            format!("truncated: {n} bytes expected, {} left", bytes.len()),
        ));
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Ok(head)
}

fn length_delimited<'b>(bytes: &mut &'b [u8], path: &str) -> Result<&'b [u8], Walk> {
    let len = read_varint(bytes, path)?;
    let len = usize::try_from(len).map_err(|_| invalid(path, format!("length {len} too large")))?;
    take(bytes, len, path)
}

/// The wire type a scalar kind is written with: 0 varint, 1 fixed 64-bit, 5 fixed 32-bit,
/// 2 length-delimited.
pub(crate) fn scalar_wire_type(kind: &Kind) -> u8 {
    match kind {
        Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => 1,
        Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => 5,
        Kind::String | Kind::Bytes | Kind::Message(_) => 2,
        Kind::Int32
        | Kind::Int64
        | Kind::Uint32
        | Kind::Uint64
        | Kind::Sint32
        | Kind::Sint64
        | Kind::Bool
        | Kind::Enum(_) => 0,
    }
}

fn skip_scalar(bytes: &mut &[u8], wire: u8, path: &str) -> Result<(), Walk> {
    match wire {
        0 => read_varint(bytes, path).map(drop),
        1 => take(bytes, 8, path).map(drop),
        5 => take(bytes, 4, path).map(drop),
        _ => unreachable!("only scalar wire types"),
    }
}

fn walk(
    message: &MessageDescriptor,
    mut bytes: &[u8],
    path: &mut String,
    depth: usize,
) -> Result<(), Walk> {
    if depth > MAX_WIRE_DEPTH {
        return Err(invalid(
            path,
            format!("nested deeper than {MAX_WIRE_DEPTH} levels"),
        ));
    }
    while !bytes.is_empty() {
        let key = read_varint(&mut bytes, path)?;
        let wire = (key & 7) as u8;
        let number = u32::try_from(key >> 3).unwrap_or(0);
        let Some(field) = message.get_field(number) else {
            return Err(invalid(
                path,
                format!(
                    "field number {number} is not a field of {}",
                    message.full_name()
                ),
            ));
        };
        let parent = path.len();
        path.push('/');
        path.push_str(field.name());
        let kind = field.kind();
        let expected = scalar_wire_type(&kind);
        match wire {
            3 | 4 => return Err(Walk::Group),
            2 => {
                let body = length_delimited(&mut bytes, path)?;
                match &kind {
                    Kind::Message(nested) => walk(nested, body, path, depth + 1)?,
                    Kind::String => {
                        if std::str::from_utf8(body).is_err() {
                            return Err(invalid(path, "string is not valid UTF-8".to_owned()));
                        }
                    }
                    Kind::Bytes => {}
                    // A packed repeated scalar: a run of values of the scalar's wire type.
                    scalar if field.is_list() => {
                        let wire = scalar_wire_type(scalar);
                        let mut packed = body;
                        while !packed.is_empty() {
                            skip_scalar(&mut packed, wire, path)?;
                        }
                    }
                    other => {
                        return Err(invalid(
                            path,
                            format!("length-delimited data for a {other:?} field"),
                        ));
                    }
                }
            }
            0 | 1 | 5 if wire == expected => skip_scalar(&mut bytes, wire, path)?,
            _ => {
                return Err(invalid(
                    path,
                    format!("wire type {wire} does not fit a {kind:?} field"),
                ));
            }
        }
        path.truncate(parent);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::protobuf::ProtobufSchema;

    const PROTO: &str = r#"syntax = "proto3";
package t;
message Order {
  string id = 1;
  Customer customer = 2;
  repeated int32 counts = 3;
  map<string, double> prices = 4;
  message Customer { string email = 1; fixed64 since = 2; }
}
"#;

    fn order() -> (ProtobufSchema, prost_reflect::MessageDescriptor, Vec<u8>) {
        let schema = ProtobufSchema::parse(PROTO, &[]).unwrap();
        let message = schema.message("t.Order").unwrap();
        let (_, bytes) = schema
            .encode_json(
                &message,
                &json!({"id": "o", "customer": {"email": "a@b", "since": "7"},
                        "counts": [1, 2, 300], "prices": {"x": 1.5}}),
            )
            .unwrap();
        (schema, message, bytes)
    }

    #[test]
    fn valid_encodings_pass_including_packed_fields_and_map_entries() {
        let (schema, message, bytes) = order();
        schema.check_encoding(&message, &bytes).unwrap();
        schema.check_encoding(&message, &[]).unwrap();
    }

    #[test]
    fn bad_encodings_name_the_field() {
        let (schema, message, _) = order();
        let cases: [(&[u8], &str, &str); 5] = [
            // field 9 does not exist
            (
                &[0x48, 0x01],
                "",
                "field number 9 is not a field of t.Order",
            ),
            // id (string) sent as a varint
            (&[0x08, 0x01], "/id", "wire type 0 does not fit"),
            // id with invalid UTF-8
            (&[0x0a, 0x01, 0xff], "/id", "not valid UTF-8"),
            // customer.email cut short
            (
                &[0x12, 0x03, 0x0a, 0x05, b'a'],
                "/customer/email",
                "truncated",
            ),
            // customer.since (fixed64) as a varint
            (&[0x12, 0x02, 0x10, 0x01], "/customer/since", "wire type 0"),
        ];
        for (bytes, path, reason) in cases {
            let error = schema.check_encoding(&message, bytes).unwrap_err();
            assert_eq!(error.path, path, "{reason}");
            assert!(error.message.contains(reason), "{path}: {}", error.message);
        }
    }
}
