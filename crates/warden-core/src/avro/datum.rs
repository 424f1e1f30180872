//! Avro datums: JSON documents validated and encoded in one pass, and binary datums decoded
//! to JSON (Avro spec, "Binary Encoding").
//!
//! The encoder walks the schema and the document together, so a document that does not
//! match is refused with the JSON pointer of the first failing value and the reason, e.g.
//! `/customer/email: expected string, got null`, and nothing is written.
//!
//! JSON shapes accepted per Avro type: `null`; booleans; integers for `int` and `long` (in
//! range) and any number for `float` and `double`; strings for `string`, `enum` (one of the
//! symbols) and `uuid`; `bytes` and `fixed` as a string of code points 0–255 (Avro's JSON
//! encoding) or an array of integers 0–255; objects for records (unknown keys refused,
//! missing fields take their default) and maps; arrays for arrays. A union value is either
//! plain (the first branch that accepts it is used) or wrapped as in Avro's JSON encoding,
//! `{"string": "x"}`, `{"acme.Address": {…}}`.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

use apache_avro::Schema;
use apache_avro::schema::{Name, RecordSchema, UnionSchema};
use serde_json::{Map, Value};

use crate::avro::AvroSchema;
use crate::avro::compat::{Names, named_types};
use crate::avro::logical::{
    Underlying as Node, check_encoded, int_logical, long_logical, underlying,
};
use crate::payload::PayloadError;

/// Datums nested deeper than this are refused, when encoded and when decoded, rather than
/// risk the stack.
pub(crate) const MAX_DEPTH: usize = 128;

/// Datums up to this deep are decoded on the caller's stack; deeper ones on a thread with
/// [`DECODE_STACK_BYTES`] of stack.
const INLINE_DECODE_DEPTH: usize = 24;

/// The stack of the decoding thread: enough for [`MAX_DEPTH`] levels in a debug build
/// (reserved, not committed, until used).
const DECODE_STACK_BYTES: usize = 64 << 20;

impl AvroSchema {
    /// Validates `json` against the schema and appends its Avro binary encoding to `out`.
    /// On error `out` is left as it was.
    ///
    /// Errors: a [`PayloadError`] with the JSON pointer of the failing value and the reason
    /// (`expected string, got null`, `missing required field "email"`, `unknown field "x"`,
    /// `"PURPLE" is not a symbol of acme.Color`, `2147483648 is out of range for int`).
    pub fn encode_json(&self, json: &Value, out: &mut Vec<u8>) -> Result<(), PayloadError> {
        let start = out.len();
        let mut encoder = Encoder {
            schema: self,
            names: None,
            path: Vec::new(),
            default: false,
        };
        let result = encoder.write(self.schema(), json, out, 0);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Validates an `apache_avro` value against the schema and appends its Avro binary
    /// encoding to `out`, as [`AvroSchema::encode_json`] does, keeping the union branch
    /// the value chooses: `Value::Union(i, v)` is written as branch `i`, and a plain value
    /// where the schema has a union as the branch of the value's own Avro type (`Long(5)`
    /// in `["int", "long"]` is a `long`, `Float` a `float`, `Enum` the enum with that
    /// symbol, `Fixed` the fixed of that size); a value no branch's type names (a record)
    /// takes the first branch that accepts it. On error `out` is left as it was.
    ///
    /// Errors: as [`AvroSchema::encode_json`].
    pub fn encode_value(
        &self,
        value: &apache_avro::types::Value,
        out: &mut Vec<u8>,
    ) -> Result<(), PayloadError> {
        // A value whose every part has the shape its schema names is written straight away;
        // anything else (and every error) takes the typed-JSON route, whose bytes the direct
        // path reproduces exactly where it answers.
        let start = out.len();
        let direct = ValueWriter {
            schema: self,
            names: OnceCell::new(),
            none: Names::new(),
        };
        if direct.write(self.schema(), value, out, 0).is_some() {
            return Ok(());
        }
        out.truncate(start);
        self.encode_value_as_json(value, out)
    }

    /// [`AvroSchema::encode_value`] by its typed-JSON route alone: the value as Avro's JSON
    /// encoding (each union value wrapped with its branch), then [`AvroSchema::encode_json`].
    /// For tests that compare the two routes.
    #[doc(hidden)]
    pub fn encode_value_as_json(
        &self,
        value: &apache_avro::types::Value,
        out: &mut Vec<u8>,
    ) -> Result<(), PayloadError> {
        let names = named_types(self);
        let json = typed_json(self.schema(), &names, value, 0);
        self.encode_json(&json, out)
    }

    /// Whether `json` is a valid datum of this schema (see [`AvroSchema::encode_json`]).
    pub fn validate_json(&self, json: &Value) -> Result<(), PayloadError> {
        self.encode_json(json, &mut Vec::new())
    }

    /// Decodes one binary datum written with this schema into an Avro value.
    ///
    /// Errors: bytes that are not a valid encoding (truncated, bad union index, bad UTF-8)
    /// or that leave bytes unread.
    pub fn decode(&self, bytes: &[u8]) -> Result<apache_avro::types::Value, PayloadError> {
        // apache-avro's reader recurses once per level of the datum (tens of kilobytes of
        // stack per level in a debug build), and through a recursive schema a datum nests as
        // deep as its bytes allow: a depth-bounded pass first, and deep datums are read on a
        // thread with a stack sized for them.
        let probe = DepthProbe {
            schema: self,
            names: OnceCell::new(),
            deepest: Cell::new(0),
        };
        if let Err(Probe::TooDeep) = probe.walk(self.schema(), &mut &bytes[..], 0) {
            return Err(payload_error(
                "",
                &format!("not a valid Avro datum: nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        if probe.deepest.get() <= INLINE_DECODE_DEPTH {
            return self.read(bytes);
        }
        std::thread::scope(|scope| {
            match std::thread::Builder::new()
                .name("warden-avro-decode".to_owned())
                .stack_size(DECODE_STACK_BYTES)
                .spawn_scoped(scope, || self.read(bytes))
            {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(e) => Err(payload_error(
                    "",
                    &format!("no thread to decode a datum this deep: {e}"),
                )),
            }
        })
    }

    /// Decodes with apache-avro's reader, on the caller's stack.
    fn read(&self, bytes: &[u8]) -> Result<apache_avro::types::Value, PayloadError> {
        // The schemata list is where references resolve from, and only from it: the named
        // types of the references first, then the schema itself for the types it defines
        // inline and refers to again by name.
        let schemata: Vec<&Schema> = self
            .named_types()
            .iter()
            .chain(std::iter::once(self.schema()))
            .collect();
        let reader = apache_avro::reader::datum::GenericDatumReader::builder(self.schema())
            .writer_schemata(schemata)
            .and_then(|b| b.build())
            .map_err(|e| payload_error("", &e.to_string()))?;
        let mut input = Input {
            bytes,
            ran_out: false,
        };
        let value = reader
            .read_value(&mut input)
            .map_err(|e| payload_error("", &format!("not a valid Avro datum: {e}")))?;
        // apache-avro reads a string or bytes cut short as null instead of failing.
        if input.ran_out {
            return Err(payload_error("", "truncated Avro datum"));
        }
        if !input.bytes.is_empty() {
            return Err(payload_error(
                "",
                &format!("{} bytes left after the Avro datum", input.bytes.len()),
            ));
        }
        Ok(value)
    }

    /// Decodes one binary datum into JSON in the shapes [`AvroSchema::encode_json`] accepts:
    /// unions unwrapped, enums as symbols, bytes and fixed as strings of code points 0–255.
    pub fn decode_to_json(&self, bytes: &[u8]) -> Result<Value, PayloadError> {
        self.decode(bytes).map(|v| value_to_json(&v))
    }
}

/// Why the depth probe stopped.
enum Probe {
    /// Deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Bytes that do not decode: the decoder says why.
    Malformed,
}

/// Walks a binary datum without building it, only to bound its depth.
struct DepthProbe<'s> {
    schema: &'s AvroSchema,
    /// Built on the first reference met.
    names: OnceCell<Names<'s>>,
    /// The deepest level reached.
    deepest: Cell<usize>,
}

impl<'s> DepthProbe<'s> {
    fn walk(&self, schema: &'s Schema, bytes: &mut &[u8], depth: usize) -> Result<(), Probe> {
        if depth > MAX_DEPTH {
            return Err(Probe::TooDeep);
        }
        self.deepest.set(self.deepest.get().max(depth));
        match underlying(schema) {
            Node::Null => Ok(()),
            Node::Boolean => skip(bytes, 1),
            Node::Int | Node::Long | Node::Enum(_) => read_long(bytes).map(drop),
            Node::Float => skip(bytes, 4),
            Node::Double => skip(bytes, 8),
            Node::Bytes | Node::String => {
                let len = usize::try_from(read_long(bytes)?).map_err(|_| Probe::Malformed)?;
                skip(bytes, len)
            }
            Node::Fixed(fixed) => skip(bytes, fixed.size),
            Node::Array(items) => self.blocks(bytes, depth, |probe, bytes| {
                probe.walk(items, bytes, depth + 1)
            }),
            Node::Map(values) => self.blocks(bytes, depth, |probe, bytes| {
                let len = usize::try_from(read_long(bytes)?).map_err(|_| Probe::Malformed)?;
                skip(bytes, len)?;
                probe.walk(values, bytes, depth + 1)
            }),
            Node::Union(union) => {
                let index = usize::try_from(read_long(bytes)?).map_err(|_| Probe::Malformed)?;
                let branch = union.variants().get(index).ok_or(Probe::Malformed)?;
                self.walk(branch, bytes, depth + 1)
            }
            Node::Record(record) => record
                .fields
                .iter()
                .try_for_each(|f| self.walk(&f.schema, bytes, depth + 1)),
            Node::Ref(name) => {
                let definition = self
                    .names
                    .get_or_init(|| named_types(self.schema))
                    .get(&Cow::Borrowed(name))
                    .copied()
                    .ok_or(Probe::Malformed)?;
                self.walk(definition, bytes, depth)
            }
        }
    }

    /// The blocks of an array or map: a count (negative: followed by a byte size), items,
    /// until a count of 0. Items that take no bytes are all alike, so one is walked.
    fn blocks(
        &self,
        bytes: &mut &[u8],
        depth: usize,
        mut item: impl FnMut(&Self, &mut &[u8]) -> Result<(), Probe>,
    ) -> Result<(), Probe> {
        if depth > MAX_DEPTH {
            return Err(Probe::TooDeep);
        }
        loop {
            let count = read_long(bytes)?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                read_long(bytes)?;
            }
            for _ in 0..count.unsigned_abs() {
                let before = bytes.len();
                item(self, bytes)?;
                if bytes.len() == before {
                    break;
                }
            }
        }
    }
}

fn skip(bytes: &mut &[u8], n: usize) -> Result<(), Probe> {
    if bytes.len() < n {
        return Err(Probe::Malformed);
    }
    *bytes = &bytes[n..];
    Ok(())
}

/// A zigzag varint long.
fn read_long(bytes: &mut &[u8]) -> Result<i64, Probe> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
        }
    }
    Err(Probe::Malformed)
}

/// An Avro value as JSON (unions unwrapped, bytes as code-point strings, logical types as
/// their underlying numbers, decimals as their unscaled big-endian bytes, big-decimals as the
/// bytes they are written as).
pub fn value_to_json(value: &apache_avro::types::Value) -> Value {
    use apache_avro::types::Value as A;
    match value {
        A::Null => Value::Null,
        A::Boolean(b) => Value::Bool(*b),
        A::Int(n) | int_logical!(A, n) => Value::from(*n),
        A::Long(n) | long_logical!(A, n) => Value::from(*n),
        A::Float(f) => Value::from(f64::from(*f)),
        A::Double(f) => Value::from(*f),
        A::Bytes(b) | A::Fixed(_, b) => Value::String(b.iter().map(|&c| char::from(c)).collect()),
        A::String(s) | A::Enum(_, s) => Value::String(s.clone()),
        A::Uuid(u) => Value::String(u.to_string()),
        A::Union(_, inner) => value_to_json(inner),
        A::Array(items) => Value::Array(items.iter().map(value_to_json).collect()),
        A::Map(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
        A::Record(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
        A::Decimal(d) => {
            let bytes: Vec<u8> = d.try_into().unwrap_or_default();
            Value::String(bytes.iter().map(|&c| char::from(c)).collect())
        }
        // The bytes a big-decimal is written as (the unscaled value, length-prefixed, then
        // the scale), which encode back to the same datum.
        A::BigDecimal(d) => {
            let (unscaled, scale) = d.as_bigint_and_exponent();
            let unscaled = unscaled.to_signed_bytes_be();
            let mut bytes = Vec::with_capacity(unscaled.len() + 10);
            write_long(unscaled.len() as i64, &mut bytes);
            bytes.extend_from_slice(&unscaled);
            write_long(scale, &mut bytes);
            Value::String(bytes.iter().map(|&c| char::from(c)).collect())
        }
        A::Duration(d) => {
            let bytes: [u8; 12] = d.into();
            Value::String(bytes.iter().map(|&c| char::from(c)).collect())
        }
    }
}

/// `value` as JSON for [`AvroSchema::encode_value`]: walked with `schema`, so that each value
/// at a union's position is wrapped in Avro's JSON encoding (`{"long": 5}`) with the branch
/// it chooses. Past [`MAX_DEPTH`] the rest is left unwrapped, for the encoder to refuse.
fn typed_json(
    schema: &Schema,
    names: &Names<'_>,
    value: &apache_avro::types::Value,
    depth: usize,
) -> Value {
    use apache_avro::types::Value as A;
    if depth > MAX_DEPTH {
        return value_to_json(value);
    }
    let schema = match schema {
        Schema::Ref { name } => match names.get(&Cow::Borrowed(name)) {
            Some(found) => *found,
            None => return value_to_json(value),
        },
        other => other,
    };
    match (underlying(schema), value) {
        (Node::Union(union), _) => {
            let variants = union.variants();
            let (index, inner) = match value {
                A::Union(i, inner) => (Some(*i as usize).filter(|i| *i < variants.len()), &**inner),
                plain => (branch_of(variants, names, plain), plain),
            };
            match index {
                Some(i) => {
                    let json = typed_json(&variants[i], names, inner, depth + 1);
                    let mut wrapper = Map::with_capacity(1);
                    wrapper.insert(type_name(&variants[i]), json);
                    Value::Object(wrapper)
                }
                None => value_to_json(inner),
            }
        }
        (_, A::Union(_, inner)) => typed_json(schema, names, inner, depth + 1),
        (Node::Record(record), A::Record(fields)) => Value::Object(
            fields
                .iter()
                .map(|(name, v)| {
                    let json = match record.lookup.get(name) {
                        Some(&at) => typed_json(&record.fields[at].schema, names, v, depth + 1),
                        None => value_to_json(v),
                    };
                    (name.clone(), json)
                })
                .collect(),
        ),
        (Node::Array(items), A::Array(values)) => Value::Array(
            values
                .iter()
                .map(|v| typed_json(items, names, v, depth + 1))
                .collect(),
        ),
        (Node::Map(of), A::Map(entries)) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), typed_json(of, names, v, depth + 1)))
                .collect(),
        ),
        _ => value_to_json(value),
    }
}

/// Writes an apache-avro `Value` straight to Avro binary where every part of it has the
/// shape its schema names exactly (a record's fields in the schema's order, an `Int` for an
/// `int`, a finite `Float` for a `float`, a union branch named by the value or by its own
/// type, …), with the bytes the typed-JSON route would write. `None` for anything else (other
/// numeric kinds, logical types carried as bytes or fixed, records with missing, extra or
/// reordered fields, non-finite floats, depth past [`MAX_DEPTH`]): the caller then takes the
/// typed-JSON route, which decides.
struct ValueWriter<'s> {
    schema: &'s AvroSchema,
    /// Built on the first union with a named branch.
    names: OnceCell<Names<'s>>,
    /// For unions without named branches.
    none: Names<'s>,
}

impl<'s> ValueWriter<'s> {
    fn names(&self) -> &Names<'s> {
        self.names.get_or_init(|| named_types(self.schema))
    }

    fn write(
        &self,
        schema: &'s Schema,
        value: &apache_avro::types::Value,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Option<()> {
        use apache_avro::types::Value as A;
        if depth > MAX_DEPTH
            || matches!(
                schema,
                Schema::BigDecimal | Schema::Uuid(_) | Schema::Decimal(_) | Schema::Duration(_)
            )
        {
            return None;
        }
        let node = underlying(schema);
        match (node, value) {
            (Node::Ref(name), _) => {
                let definition = *self.names().get(&Cow::Borrowed(name))?;
                self.write(definition, value, out, depth)
            }
            (Node::Union(union), _) => {
                let variants = union.variants();
                let (index, inner) = match value {
                    A::Union(i, inner) => (*i as usize, &**inner),
                    plain => {
                        let names = if variants.iter().any(|v| matches!(v, Schema::Ref { .. })) {
                            self.names()
                        } else {
                            &self.none
                        };
                        (branch_of(variants, names, plain)?, plain)
                    }
                };
                let variant = variants.get(index)?;
                write_long(index as i64, out);
                self.write(variant, inner, out, depth + 1)
            }
            (_, A::Union(_, inner)) => self.write(schema, inner, out, depth + 1),
            (Node::Null, A::Null) => Some(()),
            (Node::Boolean, A::Boolean(b)) => {
                out.push(u8::from(*b));
                Some(())
            }
            (Node::Int, A::Int(n) | int_logical!(A, n)) => {
                write_long(i64::from(*n), out);
                Some(())
            }
            (Node::Long, A::Long(n) | long_logical!(A, n)) => {
                write_long(*n, out);
                Some(())
            }
            (Node::Float, A::Float(f)) if f.is_finite() => {
                out.extend_from_slice(&f.to_le_bytes());
                Some(())
            }
            (Node::Double, A::Double(f)) if f.is_finite() => {
                out.extend_from_slice(&f.to_le_bytes());
                Some(())
            }
            (Node::String, A::String(s)) => {
                write_bytes(s.as_bytes(), out);
                Some(())
            }
            (Node::Bytes, A::Bytes(b)) => {
                write_bytes(b, out);
                Some(())
            }
            (Node::Fixed(fixed), A::Fixed(_, b)) if b.len() == fixed.size => {
                out.extend_from_slice(b);
                Some(())
            }
            (Node::Enum(e), A::Enum(_, symbol) | A::String(symbol)) => {
                let index = e.symbols.iter().position(|s| s == symbol)?;
                write_long(index as i64, out);
                Some(())
            }
            (Node::Array(items), A::Array(values)) => {
                if !values.is_empty() {
                    write_long(values.len() as i64, out);
                    for v in values {
                        self.write(items, v, out, depth + 1)?;
                    }
                }
                out.push(0);
                Some(())
            }
            (Node::Map(of), A::Map(entries)) => {
                if !entries.is_empty() {
                    write_long(entries.len() as i64, out);
                    for (key, v) in entries {
                        write_bytes(key.as_bytes(), out);
                        self.write(of, v, out, depth + 1)?;
                    }
                }
                out.push(0);
                Some(())
            }
            (Node::Record(record), A::Record(fields)) => {
                if fields.len() != record.fields.len() {
                    return None;
                }
                for (field, (name, v)) in record.fields.iter().zip(fields) {
                    if field.name != *name {
                        return None;
                    }
                    self.write(&field.schema, v, out, depth + 1)?;
                }
                Some(())
            }
            _ => None,
        }
    }
}

/// The union branch whose type is the plain value's own Avro type; `None` when the value's
/// type names none (a record, or no branch of its type).
fn branch_of(
    variants: &[Schema],
    names: &Names<'_>,
    value: &apache_avro::types::Value,
) -> Option<usize> {
    use apache_avro::types::Value as A;
    variants.iter().position(|variant| {
        let variant = match variant {
            Schema::Ref { name } => match names.get(&Cow::Borrowed(name)) {
                Some(found) => *found,
                None => return false,
            },
            other => other,
        };
        match (underlying(variant), value) {
            (Node::Int, A::Int(_n) | int_logical!(A, _n)) => true,
            (Node::Long, A::Long(_n) | long_logical!(A, _n)) => true,
            (Node::Null, A::Null)
            | (Node::Boolean, A::Boolean(_))
            | (Node::Float, A::Float(_))
            | (Node::Double, A::Double(_))
            | (Node::Bytes, A::Bytes(_))
            | (Node::String, A::String(_) | A::Uuid(_))
            | (Node::Array(_), A::Array(_))
            | (Node::Map(_), A::Map(_)) => true,
            (Node::Enum(e), A::Enum(_, symbol)) => e.symbols.contains(symbol),
            (Node::Fixed(f), A::Fixed(size, _)) => f.size == *size,
            _ => false,
        }
    })
}

/// The datum's bytes, noting whether the decoder asked for more than there was.
struct Input<'b> {
    bytes: &'b [u8],
    ran_out: bool,
}

impl std::io::Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !buf.is_empty() && self.bytes.is_empty() {
            self.ran_out = true;
        }
        let n = buf.len().min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fn payload_error(path: &str, message: &str) -> PayloadError {
    PayloadError {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

/// The JSON kind of a value, for messages.
fn kind(json: &Value) -> &'static str {
    match json {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

enum Segment<'j> {
    Key(&'j str),
    Index(usize),
}

struct Encoder<'s, 'j> {
    schema: &'s AvroSchema,
    names: Option<Names<'s>>,
    path: Vec<Segment<'j>>,
    /// Writing a schema's default value: a record default's keys that name no field are
    /// ignored, as Java Avro reads defaults, where a datum's are refused.
    default: bool,
}

impl<'s: 'j, 'j> Encoder<'s, 'j> {
    fn error(&self, message: impl Into<String>) -> PayloadError {
        let mut path = String::new();
        for segment in &self.path {
            path.push('/');
            match segment {
                // JSON pointer escaping (RFC 6901).
                Segment::Key(k) => path.push_str(&k.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => path.push_str(&i.to_string()),
            }
        }
        PayloadError {
            path,
            message: message.into(),
        }
    }

    fn mismatch(&self, expected: &str, json: &Value) -> PayloadError {
        self.error(format!("expected {expected}, got {}", kind(json)))
    }

    fn lookup(&mut self, name: &Name) -> Result<&'s Schema, PayloadError> {
        let schema = self.schema;
        let names = self.names.get_or_insert_with(|| named_types(schema));
        match names.get(&Cow::Borrowed(name)).copied() {
            Some(found) => Ok(found),
            None => Err(self.error(format!("unknown named type {}", name.fullname(None)))),
        }
    }

    fn write(
        &mut self,
        schema: &'s Schema,
        json: &'j Value,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), PayloadError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let start = out.len();
        self.write_underlying(schema, json, out, depth)?;
        check_encoded(schema, &out[start..]).map_err(|reason| {
            out.truncate(start);
            self.error(reason)
        })
    }

    fn write_underlying(
        &mut self,
        schema: &'s Schema,
        json: &'j Value,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), PayloadError> {
        match underlying(schema) {
            Node::Null => match json {
                Value::Null => Ok(()),
                _ => Err(self.mismatch("null", json)),
            },
            Node::Boolean => match json {
                Value::Bool(b) => {
                    out.push(u8::from(*b));
                    Ok(())
                }
                _ => Err(self.mismatch("boolean", json)),
            },
            Node::Int => {
                let n = self.integer(json, "int")?;
                let n = i32::try_from(n)
                    .map_err(|_| self.error(format!("{n} is out of range for int")))?;
                write_long(i64::from(n), out);
                Ok(())
            }
            Node::Long => {
                let n = self.integer(json, "long")?;
                write_long(n, out);
                Ok(())
            }
            Node::Float => match json.as_f64() {
                #[allow(clippy::cast_possible_truncation)] // Avro float is 32-bit by definition
                Some(f) => {
                    out.extend_from_slice(&(f as f32).to_le_bytes());
                    Ok(())
                }
                None => Err(self.mismatch("float", json)),
            },
            Node::Double => match json.as_f64() {
                Some(f) => {
                    out.extend_from_slice(&f.to_le_bytes());
                    Ok(())
                }
                None => Err(self.mismatch("double", json)),
            },
            Node::String => match json {
                Value::String(s) => {
                    write_bytes(s.as_bytes(), out);
                    Ok(())
                }
                _ => Err(self.mismatch("string", json)),
            },
            Node::Bytes => {
                let bytes = self.byte_string(json, "bytes")?;
                write_bytes(&bytes, out);
                Ok(())
            }
            Node::Fixed(fixed) => {
                let bytes = self.byte_string(json, "fixed")?;
                if bytes.len() != fixed.size {
                    return Err(self.error(format!(
                        "expected {} bytes for fixed {}, got {}",
                        fixed.size,
                        fixed.name.fullname(None),
                        bytes.len()
                    )));
                }
                out.extend_from_slice(&bytes);
                Ok(())
            }
            Node::Enum(e) => match json {
                Value::String(symbol) => match e.symbols.iter().position(|s| s == symbol) {
                    Some(index) => {
                        write_long(index as i64, out);
                        Ok(())
                    }
                    None => Err(self.error(format!(
                        "\"{symbol}\" is not a symbol of {} (expected one of {})",
                        e.name.fullname(None),
                        e.symbols.join(", ")
                    ))),
                },
                _ => Err(self.mismatch(&format!("enum {}", e.name.fullname(None)), json)),
            },
            Node::Array(item_schema) => match json {
                Value::Array(items) => {
                    if !items.is_empty() {
                        write_long(items.len() as i64, out);
                        for (i, item) in items.iter().enumerate() {
                            self.path.push(Segment::Index(i));
                            self.write(item_schema, item, out, depth + 1)?;
                            self.path.pop();
                        }
                    }
                    out.push(0);
                    Ok(())
                }
                _ => Err(self.mismatch("array", json)),
            },
            Node::Map(values) => match json {
                Value::Object(entries) => {
                    if !entries.is_empty() {
                        write_long(entries.len() as i64, out);
                        for (key, value) in entries {
                            write_bytes(key.as_bytes(), out);
                            self.path.push(Segment::Key(key));
                            self.write(values, value, out, depth + 1)?;
                            self.path.pop();
                        }
                    }
                    out.push(0);
                    Ok(())
                }
                _ => Err(self.mismatch("map", json)),
            },
            Node::Record(record) => match json {
                Value::Object(fields) => self.record(record, fields, out, depth),
                _ => Err(self.mismatch(&format!("record {}", record.name.fullname(None)), json)),
            },
            Node::Union(union) => self.union(union, json, out, depth),
            Node::Ref(name) => {
                let definition = self.lookup(name)?;
                self.write(definition, json, out, depth)
            }
        }
    }

    fn integer(&self, json: &Value, expected: &str) -> Result<i64, PayloadError> {
        match json {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Ok(i),
                None if n.is_u64() => {
                    Err(self.error(format!("{n} is out of range for {expected}")))
                }
                None => Err(self.error(format!("expected {expected}, got number {n}"))),
            },
            _ => Err(self.mismatch(expected, json)),
        }
    }

    fn byte_string(&self, json: &Value, expected: &str) -> Result<Vec<u8>, PayloadError> {
        match json {
            Value::String(s) => s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| {
                    self.error(format!(
                        "expected {expected} as a string of code points 0-255"
                    ))
                }),
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| self.error(format!("expected {expected} as integers 0-255"))),
            _ => Err(self.mismatch(expected, json)),
        }
    }

    fn record(
        &mut self,
        record: &'s RecordSchema,
        fields: &'j Map<String, Value>,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), PayloadError> {
        if !self.default
            && (fields.len() > record.fields.len()
                || fields.keys().any(|k| !record.lookup.contains_key(k)))
        {
            let unknown = fields
                .keys()
                .find(|k| !record.lookup.contains_key(*k))
                .map(String::as_str)
                .unwrap_or_default();
            return Err(self.error(format!(
                "unknown field \"{unknown}\" in record {}",
                record.name.fullname(None)
            )));
        }
        for field in &record.fields {
            self.path.push(Segment::Key(&field.name));
            match (fields.get(&field.name), &field.default) {
                (Some(value), _) => self.write(&field.schema, value, out, depth + 1)?,
                (None, Some(_)) => {
                    write_default(self.schema, field, out)
                        .map_err(|e| self.error(format!("bad default: {}", e.message)))?;
                }
                (None, None) => {
                    return Err(self.error(format!(
                        "missing required field \"{}\" of record {}",
                        field.name,
                        record.name.fullname(None)
                    )));
                }
            }
            self.path.pop();
        }
        Ok(())
    }

    fn union(
        &mut self,
        union: &'s UnionSchema,
        json: &'j Value,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), PayloadError> {
        let variants = union.variants();
        // Avro's JSON encoding: {"type name": value}.
        if let Value::Object(wrapper) = json
            && wrapper.len() == 1
            && let Some((key, inner)) = wrapper.iter().next()
            && let Some(index) = self.branch_named(variants, key)
        {
            write_long(index as i64, out);
            return self.write(&variants[index], inner, out, depth + 1);
        }
        let mut first_error: Option<PayloadError> = None;
        let mut kind_matched: Option<PayloadError> = None;
        for (index, variant) in variants.iter().enumerate() {
            let start = out.len();
            write_long(index as i64, out);
            let saved = self.path.len();
            match self.write(variant, json, out, depth + 1) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    out.truncate(start);
                    self.path.truncate(saved);
                    if kind_matched.is_none() && self.same_kind(variant, json) {
                        kind_matched = Some(e);
                    } else if first_error.is_none() {
                        first_error = Some(e);
                    }
                }
            }
        }
        // A branch of the value's own kind failed deeper down: its error names the field.
        if let Some(e) = kind_matched {
            return Err(e);
        }
        let expected: Vec<String> = variants.iter().map(type_name).collect();
        Err(self.error(format!(
            "expected one of [{}], got {}",
            expected.join(", "),
            kind(json)
        )))
    }

    fn branch_named(&mut self, variants: &'s [Schema], key: &str) -> Option<usize> {
        variants.iter().position(|v| {
            let name = type_name(v);
            name == key || name.rsplit('.').next() == Some(key)
        })
    }

    /// Whether a union branch takes JSON of this kind (so its error is the relevant one).
    fn same_kind(&mut self, variant: &'s Schema, json: &Value) -> bool {
        let variant = match variant {
            Schema::Ref { name } => match self.lookup(name) {
                Ok(found) => found,
                Err(_) => return false,
            },
            other => other,
        };
        matches!(
            (variant, json),
            (Schema::Record(_) | Schema::Map(_), Value::Object(_))
                | (Schema::Array(_), Value::Array(_))
        )
    }
}

/// Writes the default of `field` (which has one): for a union field, as its first branch
/// with that branch's index (Avro spec: a union's default is a value of its first branch).
pub(crate) fn write_default(
    schema: &AvroSchema,
    field: &apache_avro::schema::RecordField,
    out: &mut Vec<u8>,
) -> Result<(), PayloadError> {
    let Some(default) = &field.default else {
        return Err(payload_error(
            "",
            &format!("field {} has no default", field.name),
        ));
    };
    let branch = match &field.schema {
        Schema::Union(u) => {
            write_long(0, out);
            u.variants().first().unwrap_or(&field.schema)
        }
        other => other,
    };
    Encoder {
        schema,
        names: None,
        path: Vec::new(),
        default: true,
    }
    .write(branch, default, out, 0)
}

/// The name of a branch as Avro's JSON encoding writes it.
pub(crate) fn kind_name(schema: &Schema) -> String {
    type_name(schema)
}

fn type_name(schema: &Schema) -> String {
    match underlying(schema) {
        Node::Null => "null".into(),
        Node::Boolean => "boolean".into(),
        Node::Int => "int".into(),
        Node::Long => "long".into(),
        Node::Float => "float".into(),
        Node::Double => "double".into(),
        Node::Bytes => "bytes".into(),
        Node::String => "string".into(),
        Node::Array(_) => "array".into(),
        Node::Map(_) => "map".into(),
        Node::Union(_) => "union".into(),
        Node::Record(r) => r.name.fullname(None),
        Node::Enum(e) => e.name.fullname(None),
        Node::Fixed(f) => f.name.fullname(None),
        Node::Ref(name) => name.fullname(None),
    }
}

/// Zigzag varint (Avro spec, "Binary Encoding": int and long). The one-byte case (lengths,
/// counts, enum symbols, union branches, small numbers) is inlined where it is written; a
/// longer varint is built out of line.
#[inline(always)]
pub(crate) fn write_long(n: i64, out: &mut Vec<u8>) {
    let z = ((n << 1) ^ (n >> 63)) as u64;
    if z < 0x80 {
        out.push(z as u8);
    } else {
        write_varint(z, out);
    }
}

/// The zigzagged `z` as a varint of two bytes or more.
#[inline(never)]
fn write_varint(mut z: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 10];
    let mut len = 0;
    while z >= 0x80 {
        buf[len] = (z as u8) | 0x80;
        z >>= 7;
        len += 1;
    }
    buf[len] = z as u8;
    out.extend_from_slice(&buf[..=len]);
}

fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    write_long(bytes.len() as i64, out);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use apache_avro::types::Value as A;
    use serde_json::json;

    use super::*;

    fn schema(text: &str) -> AvroSchema {
        AvroSchema::parse(text, &[]).expect("a valid schema")
    }

    fn encode(schema: &AvroSchema, json: &Value) -> Result<Vec<u8>, PayloadError> {
        let mut out = vec![0xAA];
        let result = schema.encode_json(json, &mut out);
        if result.is_err() {
            assert_eq!(out, [0xAA], "nothing is written on error");
        }
        result.map(|()| out[1..].to_vec())
    }

    const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[
        {"name":"id","type":"long"},
        {"name":"customer","type":{"type":"record","name":"Customer","fields":[
            {"name":"email","type":"string"}]}},
        {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
            {"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}},
        {"name":"attrs","type":{"type":"map","values":"double"}},
        {"name":"color","type":{"type":"enum","name":"Color","symbols":["RED","GREEN"]}},
        {"name":"hash","type":{"type":"fixed","name":"Hash","size":2}},
        {"name":"blob","type":"bytes"},
        {"name":"note","type":["null","string"],"default":null},
        {"name":"again","type":["null","Customer"],"default":null},
        {"name":"flag","type":"boolean","default":true}]}"#;

    fn order() -> Value {
        json!({"id": 42, "customer": {"email": "a@b"}, "lines": [{"sku": "x", "qty": 2}],
               "attrs": {"w": 1.5}, "color": "GREEN", "hash": "\u{00ff}\u{0001}",
               "blob": [1, 2, 3], "note": "hi", "again": {"email": "c@d"}})
    }

    #[test]
    fn encodes_what_apache_avro_decodes_back_with_defaults_filled() {
        let s = schema(ORDER);
        let bytes = encode(&s, &order()).unwrap();
        let decoded = s.decode(&bytes).unwrap();
        let A::Record(fields) = decoded else {
            panic!("a record")
        };
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(get("id"), A::Long(42));
        assert_eq!(get("color"), A::Enum(1, "GREEN".into()));
        assert_eq!(get("hash"), A::Fixed(2, vec![0xff, 1]));
        assert_eq!(get("blob"), A::Bytes(vec![1, 2, 3]));
        assert_eq!(get("note"), A::Union(1, Box::new(A::String("hi".into()))));
        assert_eq!(
            get("flag"),
            A::Boolean(true),
            "the default fills a missing field"
        );
        let back = s.decode_to_json(&bytes).unwrap();
        assert_eq!(back["again"], json!({"email": "c@d"}));
        assert_eq!(back["lines"], json!([{"sku": "x", "qty": 2}]));
    }

    #[test]
    fn avro_values_keep_the_union_branch_of_their_type() {
        use apache_avro::types::Value as A;
        let schema = schema(
            r#"{"type":"record","name":"R","fields":[
                {"name":"n","type":["int","long"]},
                {"name":"x","type":["null","float","double"]},
                {"name":"c","type":["null",{"type":"enum","name":"C","symbols":["A"]},
                                    {"type":"enum","name":"D","symbols":["B"]}]},
                {"name":"list","type":{"type":"array","items":["int","long"]}}]}"#,
        );
        let record = |n: A, x: A, c: A, item: A| {
            A::Record(vec![
                ("n".into(), n),
                ("x".into(), x),
                ("c".into(), c),
                ("list".into(), A::Array(vec![item])),
            ])
        };
        let encode = |value: &A| {
            let mut out = Vec::new();
            schema.encode_value(value, &mut out).map(|()| out)
        };
        // A plain value takes the branch of its own type; a `Union` its index.
        let plain = encode(&record(
            A::Long(5),
            A::Double(1.5),
            A::Enum(0, "B".into()),
            A::Long(7),
        ))
        .unwrap();
        let chosen = encode(&record(
            A::Union(1, Box::new(A::Long(5))),
            A::Union(2, Box::new(A::Double(1.5))),
            A::Union(2, Box::new(A::Enum(0, "B".into()))),
            A::Union(1, Box::new(A::Long(7))),
        ))
        .unwrap();
        assert_eq!(plain, chosen);
        let back = schema.decode(&plain).unwrap();
        let A::Record(fields) = back else {
            panic!("not a record: {back:?}")
        };
        assert_eq!(fields[0].1, A::Union(1, Box::new(A::Long(5))));
        assert_eq!(fields[1].1, A::Union(2, Box::new(A::Double(1.5))));
        assert_eq!(fields[2].1, A::Union(2, Box::new(A::Enum(0, "B".into()))));
        assert_eq!(
            fields[3].1,
            A::Array(vec![A::Union(1, Box::new(A::Long(7)))])
        );
        // An int stays an int, and a value of no branch's type is refused with its path.
        let ints = encode(&record(A::Int(5), A::Null, A::Null, A::Int(7))).unwrap();
        assert_eq!(ints[0], 0, "branch 0 (int) first");
        let err = encode(&record(A::String("5".into()), A::Null, A::Null, A::Int(7)))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/n") && err.contains("expected one of [int, long]"),
            "{err}"
        );
    }

    /// Values the direct path writes and values it leaves to the typed-JSON route give the
    /// same bytes, or the same error, by both routes.
    #[test]
    fn avro_values_are_written_as_their_typed_json_is() {
        use apache_avro::types::Value as A;
        let schema = schema(
            r#"{"type":"record","name":"R","namespace":"acme","fields":[
                {"name":"n","type":"int"},
                {"name":"l","type":"long"},
                {"name":"f","type":"float"},
                {"name":"u","type":["null","string",{"type":"record","name":"S","fields":[
                    {"name":"x","type":"int","default":1}]}]},
                {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
                {"name":"m","type":{"type":"map","values":"S"}},
                {"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}},
                {"name":"fx","type":{"type":"fixed","name":"F","size":2}}]}"#,
        );
        let s = |x: i32| A::Record(vec![("x".into(), A::Int(x))]);
        // A valid record with some fields replaced; `swap` puts the first two out of order.
        let with = |changes: &[(&str, A)], swap: bool| {
            let mut fields: Vec<(String, A)> = [
                ("n", A::Int(1)),
                ("l", A::Long(2)),
                ("f", A::Float(1.5)),
                ("u", A::Null),
                ("e", A::Enum(1, "B".into())),
                ("m", A::Map([("k".to_owned(), s(3))].into())),
                ("t", A::TimestampMillis(9)),
                ("fx", A::Fixed(2, vec![1, 2])),
            ]
            .into_iter()
            .map(|(name, value)| {
                let changed = changes.iter().find(|(n, _)| *n == name);
                (name.to_owned(), changed.map_or(value, |(_, v)| v.clone()))
            })
            .collect();
            if swap {
                fields.swap(0, 1);
            }
            A::Record(fields)
        };
        let cases = [
            // Written directly.
            with(&[], false),
            with(
                &[
                    ("f", A::Float(-0.0)),
                    ("u", A::String("s".into())),
                    ("e", A::String("A".into())),
                    ("t", A::Long(9)),
                ],
                false,
            ),
            with(&[("u", A::Union(2, Box::new(s(4))))], false),
            // Left to the typed-JSON route: other numeric kinds, fields out of order, a plain
            // record in a union, a record missing a field with a default; and refused by it:
            // a non-finite float, an unknown symbol, an int out of range with a fixed of the
            // wrong size.
            with(
                &[("n", A::Long(1)), ("l", A::Int(2)), ("f", A::Double(1.5))],
                false,
            ),
            with(&[], true),
            with(&[("u", s(5))], false),
            with(&[("u", A::Union(2, Box::new(A::Record(vec![]))))], false),
            with(&[("f", A::Float(f32::NAN))], false),
            with(&[("e", A::Enum(0, "Z".into()))], false),
            with(
                &[("n", A::Long(1 << 40)), ("fx", A::Fixed(3, vec![1, 2, 3]))],
                false,
            ),
        ];
        let mut refused = 0;
        for value in &cases {
            let (mut direct, mut via_json) = (vec![7], vec![7]);
            let routes = (
                schema.encode_value(value, &mut direct),
                schema.encode_value_as_json(value, &mut via_json),
            );
            assert_eq!(routes.0, routes.1, "{value:?}");
            assert_eq!(direct, via_json, "{value:?}");
            refused += usize::from(routes.0.is_err());
        }
        assert_eq!(
            refused, 3,
            "NaN, an unknown symbol and an out-of-range int are refused"
        );
    }

    #[test]
    fn wrapped_union_values_pick_their_branch() {
        let s = schema(r#"["null","int","string"]"#);
        assert_eq!(encode(&s, &json!({"string": "x"})).unwrap(), [4, 2, b'x']);
        assert_eq!(encode(&s, &json!(7)).unwrap(), [2, 14]);
        assert_eq!(encode(&s, &json!(null)).unwrap(), [0]);
    }

    #[test]
    fn mismatches_name_the_field_path_and_the_reason() {
        let s = schema(ORDER);
        // (where, the bad value put there, the reason given)
        let cases: [(&str, Value, &str); 8] = [
            ("/customer/email", json!(null), "expected string, got null"),
            (
                "/lines/0/qty",
                json!(2_147_483_648_i64),
                "out of range for int",
            ),
            (
                "/color",
                json!("BLUE"),
                "\"BLUE\" is not a symbol of acme.Color",
            ),
            (
                "/hash",
                json!("abc"),
                "expected 2 bytes for fixed acme.Hash, got 3",
            ),
            ("/blob", json!([1, 300]), "expected bytes as integers 0-255"),
            (
                "/note",
                json!(5),
                "expected one of [null, string], got integer",
            ),
            // Inside a union's record branch the error is the record's, not the union's.
            ("/again/email", json!(1), "expected string, got integer"),
            ("/attrs/w", json!("x"), "expected double, got string"),
        ];
        for (path, bad, reason) in cases {
            let mut doc = order();
            *doc.pointer_mut(path).unwrap() = bad;
            let error = encode(&s, &doc).unwrap_err();
            assert_eq!(error.path, path, "{reason}");
            assert!(error.message.contains(reason), "{path}: {}", error.message);
        }
    }

    #[test]
    fn missing_and_unknown_fields_are_refused() {
        let s = schema(ORDER);
        let mut doc = order();
        doc.as_object_mut().unwrap().remove("customer");
        let error = encode(&s, &doc).unwrap_err();
        assert_eq!(error.path, "/customer");
        assert!(
            error
                .message
                .contains("missing required field \"customer\"")
        );
        let mut doc = order();
        doc["colour"] = json!("RED");
        let error = encode(&s, &doc).unwrap_err();
        assert!(
            error.message.contains("unknown field \"colour\""),
            "{error}"
        );
    }

    #[test]
    fn recursive_types_through_references_encode_and_depth_is_bounded() {
        let s = schema(
            r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#,
        );
        assert_eq!(
            encode(&s, &json!({"next": {"next": null}})).unwrap(),
            [2, 0]
        );
        let mut deep = json!({"next": null});
        for _ in 0..200 {
            deep = json!({ "next": deep });
        }
        let error = encode(&s, &deep).unwrap_err();
        assert!(error.message.contains("nested deeper"), "{error}");
    }

    #[test]
    fn trailing_bytes_and_truncated_datums_do_not_decode() {
        let s = schema(r#""string""#);
        assert!(s.decode(&[2, b'x', 0]).is_err(), "a byte left over");
        let truncated = s.decode(&[4, b'x']);
        assert!(truncated.is_err(), "truncated: {truncated:?}");
    }
}
