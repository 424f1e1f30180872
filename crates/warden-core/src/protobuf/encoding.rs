//! The Protobuf encoding check compiled once per message: what a serializer runs on every
//! record it writes.
//!
//! [`ProtobufSchema::check_encoding`](super::ProtobufSchema::check_encoding) walks the wire
//! bytes against the message descriptor, asking the descriptor for each field it meets and
//! keeping the field path for its error. An [`EncodingCheck`] asks the descriptors once: each
//! message reachable from the root becomes a table from field number to what the wire may
//! hold there, and a record is walked against the tables with no path kept. It accepts
//! exactly what the descriptor walk accepts; whatever it does not accept (a record that fails,
//! or a group-encoded field, which the walk leaves to the full decoder) is checked again by the
//! descriptor walk, whose verdict and error (with the field path) are the answer.

use std::collections::HashMap;
use std::sync::Arc;

use prost_reflect::{Kind, MessageDescriptor};

use super::codec::{MAX_WIRE_DEPTH, check_encoding};
use crate::payload::PayloadError;

/// Field numbers below this are found by index; higher ones by binary search.
const DENSE_FIELDS: u32 = 64;

/// A message's encoding check, compiled once (see the module docs). Cheap to clone.
#[derive(Debug, Clone)]
pub struct EncodingCheck {
    root: MessageDescriptor,
    /// Index 0 is the root message; `Field::Message` points into this list.
    plans: Arc<[Plan]>,
}

/// What the wire may hold at one field number of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// No field has that number.
    Absent,
    /// A scalar written with wire type `wire` (0 varint, 1 fixed 64-bit, 5 fixed 32-bit);
    /// a repeated one may also come packed (length-delimited).
    Scalar { wire: u8, repeated: bool },
    /// Length-delimited UTF-8.
    String,
    /// Length-delimited bytes.
    Bytes,
    /// A message (a map entry included): the index of its plan.
    Message(usize),
}

#[derive(Debug)]
struct Plan {
    /// By field number, for numbers below [`DENSE_FIELDS`].
    dense: Vec<Field>,
    /// The other fields, sorted by number.
    sparse: Vec<(u32, Field)>,
}

impl Plan {
    #[inline(always)]
    fn field(&self, number: u32) -> Field {
        match self.dense.get(number as usize) {
            Some(field) => *field,
            None => self
                .sparse
                .binary_search_by_key(&number, |(n, _)| *n)
                .map_or(Field::Absent, |i| self.sparse[i].1),
        }
    }
}

impl EncodingCheck {
    /// Compiles the check of `message` and of every message its fields reach.
    pub fn new(message: &MessageDescriptor) -> Self {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut order = vec![message.clone()];
        index.insert(message.full_name().to_owned(), 0);
        let mut plans = Vec::new();
        while let Some(current) = order.get(plans.len()).cloned() {
            let mut dense = Vec::new();
            let mut sparse = Vec::new();
            for field in current.fields() {
                let entry = match field.kind() {
                    Kind::String => Field::String,
                    Kind::Bytes => Field::Bytes,
                    Kind::Message(nested) => {
                        let next = order.len();
                        let at = *index
                            .entry(nested.full_name().to_owned())
                            .or_insert_with(|| {
                                order.push(nested.clone());
                                next
                            });
                        Field::Message(at)
                    }
                    scalar => Field::Scalar {
                        wire: super::codec::scalar_wire_type(&scalar),
                        repeated: field.is_list(),
                    },
                };
                let number = field.number();
                if number < DENSE_FIELDS {
                    let at = number as usize;
                    if dense.len() <= at {
                        dense.resize(at + 1, Field::Absent);
                    }
                    dense[at] = entry;
                } else {
                    sparse.push((number, entry));
                }
            }
            sparse.sort_unstable_by_key(|(n, _)| *n);
            plans.push(Plan { dense, sparse });
        }
        Self {
            root: message.clone(),
            plans: plans.into(),
        }
    }

    /// Checks that `bytes` (binary Protobuf, no framing) decode as the message, as
    /// [`ProtobufSchema::check_encoding`](super::ProtobufSchema::check_encoding) does, with
    /// the same verdicts.
    ///
    /// Errors: [`PayloadError`] naming the field path (`/customer/email`) of an unknown field
    /// number, a wire type that does not fit the field, invalid UTF-8 in a string, a
    /// truncated value, or nesting deeper than 100 messages.
    pub fn check(&self, bytes: &[u8]) -> Result<(), PayloadError> {
        if walk(&self.plans, 0, bytes, 0) {
            Ok(())
        } else {
            check_encoding(&self.root, bytes)
        }
    }
}

/// Reads a varint. Keys, lengths and small numbers take one byte: that case is inlined, the
/// rest is not.
#[inline(always)]
fn varint(bytes: &mut &[u8]) -> Option<u64> {
    match bytes.split_first() {
        Some((&b, rest)) if b < 0x80 => {
            *bytes = rest;
            Some(u64::from(b))
        }
        _ => long_varint(bytes),
    }
}

#[inline(never)]
fn long_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
    if bytes.len() < n {
        return None;
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Some(head)
}

fn skip_scalar(bytes: &mut &[u8], wire: u8) -> Option<()> {
    match wire {
        0 => varint(bytes).map(drop),
        1 => take(bytes, 8).map(drop),
        _ => take(bytes, 4).map(drop),
    }
}

/// `true` when `bytes` are a valid encoding of `plans[at]`; `false` when they are not, or
/// hold a group (left to the descriptor walk).
fn walk(plans: &[Plan], at: usize, mut bytes: &[u8], depth: usize) -> bool {
    if depth > MAX_WIRE_DEPTH {
        return false;
    }
    let plan = &plans[at];
    while !bytes.is_empty() {
        let Some(key) = varint(&mut bytes) else {
            return false;
        };
        let Ok(number) = u32::try_from(key >> 3) else {
            return false;
        };
        let wire = (key & 7) as u8;
        let field = plan.field(number);
        let fits = match (wire, field) {
            (_, Field::Absent) => false,
            (2, field) => {
                let body = varint(&mut bytes)
                    .and_then(|len| usize::try_from(len).ok())
                    .and_then(|len| take(&mut bytes, len));
                match (body, field) {
                    (None, _) => false,
                    (Some(body), Field::Message(nested)) => walk(plans, nested, body, depth + 1),
                    (Some(body), Field::String) => {
                        body.is_ascii() || std::str::from_utf8(body).is_ok()
                    }
                    (Some(_), Field::Bytes) => true,
                    // A packed repeated scalar: a run of values of the scalar's wire type.
                    (
                        Some(mut packed),
                        Field::Scalar {
                            wire,
                            repeated: true,
                        },
                    ) => {
                        while !packed.is_empty() {
                            if skip_scalar(&mut packed, wire).is_none() {
                                return false;
                            }
                        }
                        true
                    }
                    (Some(_), _) => false,
                }
            }
            (0 | 1 | 5, Field::Scalar { wire: expected, .. }) if wire == expected => {
                skip_scalar(&mut bytes, wire).is_some()
            }
            _ => false,
        };
        if !fits {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protobuf::ProtobufSchema;

    const PROTO: &str = r#"syntax = "proto3";
package t;
message Order {
  string id = 1;
  Customer customer = 2;
  repeated int32 counts = 3;
  map<string, double> prices = 4;
  repeated Order children = 5;
  bytes blob = 6;
  fixed32 small = 7;
  sint64 big = 100000;
  message Customer { string email = 1; fixed64 since = 2; }
}
"#;

    fn varint_bytes(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// Every byte string of a small set built from valid encodings, damaged in every way a
    /// byte can be (each position set to each of a few values, truncated, extended), gets the
    /// same verdict and the same error from the compiled check as from the descriptor walk.
    #[test]
    fn the_compiled_check_answers_as_the_descriptor_walk_on_damaged_encodings() {
        let schema = ProtobufSchema::parse(PROTO, &[]).unwrap();
        let message = schema.message("t.Order").unwrap();
        let check = EncodingCheck::new(&message);
        let (_, valid) = schema
            .encode_json(
                &message,
                &serde_json::json!({"id": "o-1", "customer": {"email": "a@b", "since": "7"},
                    "counts": [1, 2, 300], "prices": {"x": 1.5},
                    "children": [{"id": "c", "counts": [4]}], "blob": "AAE=", "small": 9,
                    "big": "-5"}),
            )
            .unwrap();
        let mut inputs = vec![valid.clone(), Vec::new()];
        // The high field number and an unpacked repeated scalar, written by hand.
        let mut extra = valid.clone();
        varint_bytes(100_000 << 3, &mut extra);
        varint_bytes(99, &mut extra);
        extra.extend_from_slice(&[0x18, 0x05]);
        inputs.push(extra);
        // A group-encoded field (start group 1, end group 1): left to the decoder.
        inputs.push(vec![0x0b, 0x0c]);
        for at in 0..valid.len() {
            for byte in [0x00, 0x01, 0x07, 0x0a, 0x12, 0x7f, 0x80, 0xc0, 0xff] {
                let mut damaged = valid.clone();
                damaged[at] = byte;
                inputs.push(damaged);
            }
            inputs.push(valid[..at].to_vec());
            let mut longer = valid.clone();
            longer.insert(at, 0x08);
            inputs.push(longer);
        }
        let (mut accepted, mut refused) = (0, 0);
        for input in &inputs {
            let walked = schema.check_encoding(&message, input);
            assert_eq!(
                check.check(input),
                walked,
                "{input:02x?}: the compiled check and the descriptor walk disagree"
            );
            if walked.is_ok() {
                accepted += 1;
                // Accepted without the descriptor walk's second look.
                assert!(walk(&check.plans, 0, input, 0) || input == &[0x0b, 0x0c]);
            } else {
                refused += 1;
            }
        }
        assert!(
            accepted > 50 && refused > 50,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn a_recursive_message_compiles_to_one_plan_and_deep_nesting_is_refused_with_its_path() {
        let schema =
            ProtobufSchema::parse("syntax = \"proto3\"; message Node { Node next = 1; }", &[])
                .unwrap();
        let message = schema.message("Node").unwrap();
        let check = EncodingCheck::new(&message);
        assert_eq!(check.plans.len(), 1);
        let mut payload: Vec<u8> = Vec::new();
        for _ in 0..150 {
            let mut outer = vec![0x0a];
            varint_bytes(payload.len() as u64, &mut outer);
            outer.extend_from_slice(&payload);
            payload = outer;
        }
        let refused = check.check(&payload).unwrap_err();
        assert!(
            refused.message.contains("nested deeper than 100"),
            "{refused:?}"
        );
        assert!(refused.path.starts_with("/next/next/"), "{}", refused.path);
        assert_eq!(
            check.check(&payload[..]),
            schema.check_encoding(&message, &payload)
        );
    }
}
