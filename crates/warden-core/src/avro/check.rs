//! Checking a binary datum without building it: what a validating proxy runs on every record
//! (Avro spec, "Binary Encoding").
//!
//! [`AvroSchema::decode`] reads a datum with apache-avro, which first indexes the schema's
//! named types and then builds the whole value; a check needs neither. The walk here reads
//! the bytes against the schema and builds nothing. It accepts only what the decoder accepts
//! (booleans 0 or 1, `int`s and enum indexes in 32-bit range, union and enum indexes in
//! range, UTF-8 strings and map keys, no bytes left over); anything it does not accept, and
//! the few cases where it leaves the verdict to the decoder (`uuid` and `big-decimal`
//! values, collections over a million items, names the decoder resolves in its own way), is
//! decoded, and the decoder's verdict and error are the answer.

use std::borrow::Cow;
use std::cell::OnceCell;

use apache_avro::Schema;
use apache_avro::schema::Name;

use crate::avro::AvroSchema;
use crate::avro::compat::{Names, named_types};
use crate::avro::datum::MAX_DEPTH;
use crate::avro::logical::{Underlying as Node, underlying};
use crate::payload::PayloadError;

/// Items of one array or map beyond which the decoder decides (its allocation limit counts
/// items; this stays well below it).
const MAX_ITEMS: usize = 1 << 20;

/// A string or bytes longer than this is left to the decoder (its allocation limit).
const MAX_LEN: usize = 512 << 20;

impl AvroSchema {
    /// Checks that `bytes` are exactly one binary datum of this schema, with the verdict
    /// [`AvroSchema::decode`] gives, without building the value (see the module docs).
    ///
    /// Errors: the decoder's [`PayloadError`] for bytes that are not a datum of the schema
    /// (truncated, a bad union or enum index, invalid UTF-8, an out-of-range `int`, bytes
    /// left over, nesting deeper than 128 levels).
    pub fn check_encoding(&self, bytes: &[u8]) -> Result<(), PayloadError> {
        if *self.more.plain_names.get_or_init(|| plain_names(self)) {
            let walk = Walk {
                schema: self,
                names: OnceCell::new(),
            };
            let mut rest = bytes;
            if walk.datum(self.schema(), &mut rest, 0).is_some() && rest.is_empty() {
                return Ok(());
            }
        }
        self.decode(bytes).map(drop)
    }
}

/// Whether every named type and reference of `schema` resolves to the same type for the
/// walk (by its full name as parsed) as for apache-avro's decoder, which qualifies a name
/// without a namespace with the enclosing one: `false` when a type declared in the null
/// namespace (`"namespace": ""`) sits inside a namespace, or a reference without a
/// namespace is made from inside one.
pub(crate) fn plain_names(schema: &AvroSchema) -> bool {
    let unqualified = |name: &Name| name.namespace().is_none_or(str::is_empty);
    let mut stack: Vec<(&Schema, Option<&str>)> = schema
        .named_types()
        .iter()
        .chain(std::iter::once(schema.schema()))
        .map(|s| (s, None))
        .collect();
    while let Some((s, enclosing)) = stack.pop() {
        let inside = enclosing.is_some_and(|ns| !ns.is_empty());
        let declared = match underlying(s) {
            Node::Record(record) => {
                let namespace = record.name.namespace();
                stack.extend(record.fields.iter().map(|f| (&f.schema, namespace)));
                Some(&record.name)
            }
            Node::Enum(e) => Some(&e.name),
            Node::Fixed(fixed) => Some(&fixed.name),
            Node::Ref(name) => Some(name),
            Node::Array(items) | Node::Map(items) => {
                stack.push((items, enclosing));
                None
            }
            Node::Union(union) => {
                stack.extend(union.variants().iter().map(|v| (v, enclosing)));
                None
            }
            _ => None,
        };
        if inside && declared.is_some_and(unqualified) {
            return false;
        }
    }
    true
}

struct Walk<'s> {
    schema: &'s AvroSchema,
    /// Built on the first reference met.
    names: OnceCell<Names<'s>>,
}

impl<'s> Walk<'s> {
    /// `Some` when `bytes` begin with a datum of `schema` the decoder takes (and are moved
    /// past it); `None` when they do not, or the decoder should decide.
    fn datum(&self, schema: &'s Schema, bytes: &mut &[u8], depth: usize) -> Option<()> {
        if depth > MAX_DEPTH || matches!(schema, Schema::BigDecimal | Schema::Uuid(_)) {
            return None;
        }
        match underlying(schema) {
            Node::Null => Some(()),
            Node::Boolean => {
                let (&b, rest) = bytes.split_first()?;
                *bytes = rest;
                (b <= 1).then_some(())
            }
            Node::Int => i32::try_from(long(bytes)?).ok().map(drop),
            Node::Long => long(bytes).map(drop),
            Node::Float => take(bytes, 4).map(drop),
            Node::Double => take(bytes, 8).map(drop),
            Node::Bytes => {
                let len = length(bytes)?;
                take(bytes, len).map(drop)
            }
            Node::String => utf8(bytes),
            Node::Fixed(fixed) => {
                if matches!(schema, Schema::Duration(_)) && fixed.size != 12 {
                    return None;
                }
                take(bytes, fixed.size).map(drop)
            }
            Node::Enum(e) => {
                let index = usize::try_from(i32::try_from(long(bytes)?).ok()?).ok()?;
                (index < e.symbols.len()).then_some(())
            }
            Node::Union(union) => {
                let index = usize::try_from(long(bytes)?).ok()?;
                self.datum(union.variants().get(index)?, bytes, depth + 1)
            }
            Node::Record(record) => record
                .fields
                .iter()
                .try_for_each(|f| self.datum(&f.schema, bytes, depth + 1)),
            Node::Array(items) => self.blocks(bytes, depth, |walk, bytes| {
                walk.datum(items, bytes, depth + 1)
            }),
            Node::Map(values) => self.blocks(bytes, depth, |walk, bytes| {
                utf8(bytes)?;
                walk.datum(values, bytes, depth + 1)
            }),
            Node::Ref(name) => {
                let definition = self
                    .names
                    .get_or_init(|| named_types(self.schema))
                    .get(&Cow::Borrowed(name))
                    .copied()?;
                self.datum(definition, bytes, depth)
            }
        }
    }

    /// The blocks of an array or map: a count (negative: followed by a byte size), items,
    /// until a count of 0. Items that take no bytes are all alike, so one is walked.
    fn blocks(
        &self,
        bytes: &mut &[u8],
        depth: usize,
        mut item: impl FnMut(&Self, &mut &[u8]) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut total: usize = 0;
        loop {
            let count = long(bytes)?;
            if count == 0 {
                return Some(());
            }
            let count = if count < 0 {
                long(bytes)?;
                count.checked_neg()?
            } else {
                count
            };
            let count = usize::try_from(count).ok()?;
            total = total.checked_add(count)?;
            if total > MAX_ITEMS {
                return None;
            }
            for _ in 0..count {
                let before = bytes.len();
                item(self, bytes)?;
                if bytes.len() == before {
                    break;
                }
            }
        }
    }
}

fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
    if bytes.len() < n {
        return None;
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Some(head)
}

/// A zigzag varint long, as apache-avro reads it (at most 10 bytes).
fn long(bytes: &mut &[u8]) -> Option<i64> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some((value >> 1) as i64 ^ -((value & 1) as i64));
        }
    }
    None
}

/// The length of a string or bytes.
fn length(bytes: &mut &[u8]) -> Option<usize> {
    usize::try_from(long(bytes)?)
        .ok()
        .filter(|&len| len <= MAX_LEN)
}

fn utf8(bytes: &mut &[u8]) -> Option<()> {
    let len = length(bytes)?;
    std::str::from_utf8(take(bytes, len)?).ok().map(drop)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema(text: &str) -> AvroSchema {
        AvroSchema::parse(text, &[]).unwrap()
    }

    /// Every damage of a few valid datums (each byte set to each of a few values, cut short,
    /// a byte added) gets the same verdict and error from the check as from the decoder, and
    /// the valid ones are accepted by the walk itself, without the decoder.
    #[test]
    fn the_check_answers_as_the_decoder_on_damaged_datums() {
        let order = schema(
            r#"{"type":"record","name":"Order","namespace":"acme","fields":[
                {"name":"id","type":"string"},
                {"name":"paid","type":"boolean"},
                {"name":"qty","type":"int"},
                {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
                {"name":"note","type":["null","string"]},
                {"name":"tags","type":{"type":"array","items":"string"}},
                {"name":"prices","type":{"type":"map","values":"double"}},
                {"name":"hash","type":{"type":"fixed","name":"Hash","size":2}},
                {"name":"day","type":{"type":"int","logicalType":"date"}},
                {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
                {"name":"next","type":["null","Order"]}]}"#,
        );
        let datum = json!({"id": "o-1", "paid": true, "qty": 3, "status": "PAID",
            "note": {"string": "n"}, "tags": ["a", "b"], "prices": {"x": 1.5},
            "hash": "ab", "day": 7, "amount": "\u{1}\u{2}",
            "next": {"acme.Order": {"id": "o-2", "paid": false, "qty": -1, "status": "NEW",
                "note": null, "tags": [], "prices": {}, "hash": "cd", "day": 0,
                "amount": "", "next": null}}});
        let mut valid = Vec::new();
        order.encode_json(&datum, &mut valid).unwrap();
        let mut inputs = vec![valid.clone(), Vec::new()];
        for at in 0..valid.len() {
            for byte in [0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0xc3, 0xff] {
                let mut damaged = valid.clone();
                damaged[at] = byte;
                inputs.push(damaged);
            }
            inputs.push(valid[..at].to_vec());
            let mut longer = valid.clone();
            longer.insert(at, 0x02);
            inputs.push(longer);
        }
        let (mut accepted, mut refused) = (0, 0);
        for input in &inputs {
            let decoded = order.decode(input).map(drop);
            assert_eq!(
                order.check_encoding(input),
                decoded,
                "{input:02x?}: the check and the decoder disagree"
            );
            if decoded.is_ok() {
                accepted += 1;
                let walk = Walk {
                    schema: &order,
                    names: OnceCell::new(),
                };
                let mut rest = &input[..];
                assert!(walk.datum(order.schema(), &mut rest, 0).is_some() && rest.is_empty());
            } else {
                refused += 1;
            }
        }
        assert!(
            accepted > 20 && refused > 200,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn names_the_decoder_resolves_in_its_own_way_are_left_to_it() {
        let plain = schema(
            r#"{"type":"record","name":"R","namespace":"acme","fields":[
                {"name":"a","type":{"type":"enum","name":"E","symbols":["S"]}},
                {"name":"b","type":"E"}]}"#,
        );
        assert!(plain_names(&plain));
        let null_namespace_inside = schema(
            r#"{"type":"record","name":"R1","fields":[
                {"name":"a","type":{"type":"record","name":"R2","namespace":"acme","fields":[
                    {"name":"e","type":{"type":"enum","name":"E3","namespace":"","symbols":["S0"]}}]}},
                {"name":"b","type":"E3"}]}"#,
        );
        assert!(!plain_names(&null_namespace_inside));
        // The decoder's answer, whatever it is, is the check's.
        let bytes = [0, 0];
        assert_eq!(
            null_namespace_inside.check_encoding(&bytes),
            null_namespace_inside.decode(&bytes).map(drop)
        );
    }
}
