//! Rust values (`serde::Serialize`) validated and written as Avro binary in one pass, with no
//! intermediate JSON or Avro value tree.
//!
//! The serializer follows the schema as serde walks the value: a struct is a record (fields
//! may come in any order; missing ones take their default), a sequence an array (or `bytes`
//! and `fixed` when its items are bytes), a map a map, `Option` a union with `null`, a unit
//! enum variant an enum symbol. A union branch is chosen by the kind of the value. Shapes it
//! does not map (tuples, enum variants with data, maps as records) report
//! [`Outcome::Unsupported`], and the caller falls back to the JSON route
//! ([`AvroSchema::encode_json`]), which gives the same bytes.
//!
//! The schema is walked in its compiled form (`plan`, built on the schema's first serde
//! encoding and kept with it): references resolved, logical types reduced to what they are
//! written as, defaults encoded beforehand.

use std::fmt;

use serde::ser::{self, Serialize};

use crate::avro::AvroSchema;
use crate::avro::datum::write_long;
use crate::avro::logical::check_encoded;
use crate::avro::plan::{Plan, RecordStep, Step, UnionStep};
use crate::payload::PayloadError;

/// Why a value was not written.
#[derive(Debug)]
pub enum Outcome {
    /// The value does not match the schema: the field path and the reason.
    Invalid(PayloadError),
    /// A shape this serializer does not map; the JSON route handles it.
    Unsupported(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => e.fmt(f),
            Self::Unsupported(what) => write!(f, "unsupported: {what}"),
        }
    }
}

impl std::error::Error for Outcome {}

/// [`Outcome`] as the serializer passes it up: one pointer, so that every `Result` of the
/// nested serde calls fits a register, as `serde_json::Error` boxes its own.
#[derive(Debug)]
struct Fail(Box<Outcome>);

impl From<Outcome> for Fail {
    #[cold]
    fn from(outcome: Outcome) -> Self {
        Self(Box::new(outcome))
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Fail {}

impl ser::Error for Fail {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Outcome::Unsupported(msg.to_string()).into()
    }
}

impl AvroSchema {
    /// Validates `value` against the schema and appends its Avro binary encoding to `out`,
    /// straight from serde (see the module docs). On error `out` is left as it was.
    ///
    /// Errors: [`Outcome::Invalid`] with the field path and reason, as
    /// [`AvroSchema::encode_json`] gives them; [`Outcome::Unsupported`] for shapes to send
    /// through the JSON route instead.
    pub fn encode_serde<T: Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), Outcome> {
        let start = out.len();
        let plan = self.plan();
        let result = value.serialize(Ser {
            plan,
            step: plan.root(),
            out,
        });
        result.map_err(|Fail(outcome)| {
            out.truncate(start);
            *outcome
        })
    }
}

/// One step of a field path (RFC 6901 JSON Pointer, as the JSON route words it).
enum Seg<'k> {
    Field(&'k str),
    Key(&'k str),
    Index(usize),
}

/// Puts `seg` in front of the path of an invalid value as the error leaves the container
/// that holds it: paths are built on the way out, so a value that passes costs none.
#[cold]
#[inline(never)]
fn within(seg: Seg<'_>, mut fail: Fail) -> Fail {
    let Outcome::Invalid(error) = &mut *fail.0 else {
        return fail;
    };
    let mut path = String::with_capacity(error.path.len() + 16);
    path.push('/');
    match seg {
        Seg::Field(f) => path.push_str(f),
        Seg::Key(k) => path.push_str(&k.replace('~', "~0").replace('/', "~1")),
        Seg::Index(i) => path.push_str(&i.to_string()),
    }
    path.push_str(&error.path);
    error.path = path;
    fail
}

/// An invalid value here; the containers it leaves put their steps in front of the path
/// ([`within`]).
#[cold]
fn invalid(message: impl Into<String>) -> Fail {
    Outcome::Invalid(PayloadError {
        path: String::new(),
        message: message.into(),
    })
    .into()
}

/// What serde is handing over, to pick a union branch and to word errors.
#[derive(Clone, Copy)]
enum Kind<'v> {
    Null,
    Bool,
    Int(i128),
    Float,
    Str(&'v str),
    Bytes(usize),
    Seq,
    Map,
    Struct(&'static str),
}

impl Kind<'_> {
    fn describe(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Int(_) => "integer",
            Kind::Float => "number",
            Kind::Str(_) => "string",
            Kind::Bytes(_) => "bytes",
            Kind::Seq => "array",
            Kind::Map | Kind::Struct(_) => "object",
        }
    }
}

/// Whether a (resolved, non-union) step takes a value of this kind.
fn accepts(step: &Step, kind: Kind<'_>) -> bool {
    match (step, kind) {
        (Step::Null, Kind::Null) | (Step::Boolean, Kind::Bool) => true,
        (Step::Int, Kind::Int(n)) => i32::try_from(n).is_ok(),
        (Step::Long, Kind::Int(n)) => i64::try_from(n).is_ok(),
        (Step::Float | Step::Double, Kind::Int(_) | Kind::Float) => true,
        (Step::String { .. }, Kind::Str(_)) => true,
        (Step::Enum(e), Kind::Str(s)) => e.symbols.iter().any(|x| x == s),
        (Step::Bytes { .. }, Kind::Bytes(_)) => true,
        (Step::Fixed { size, .. }, Kind::Bytes(n)) => *size == n,
        (Step::Array(_), Kind::Seq) | (Step::Map(_), Kind::Map) => true,
        (Step::Record(_), Kind::Struct(_)) => true,
        _ => false,
    }
}

/// A step followed to what it is written as: a reference that does not resolve is left to
/// the JSON route.
#[inline]
fn resolved(step: &Step) -> Result<&Step, Fail> {
    match step {
        Step::Unresolved(reason) => unsupported(reason),
        other => Ok(other),
    }
}

struct Ser<'a, 's> {
    plan: &'s Plan,
    step: &'s Step,
    out: &'a mut Vec<u8>,
}

impl<'a, 's> Ser<'a, 's> {
    /// The step to write a value of `kind` with: for a union the first branch that takes
    /// it, whose index is written first. Every value passes here and most are not in a
    /// union: that test is inlined, the choice of a branch is not.
    #[inline(always)]
    fn target(&mut self, kind: Kind<'_>) -> Result<&'s Step, Fail> {
        match self.step {
            Step::Union(union) => self.branch_of(union, kind),
            Step::Unresolved(reason) => unsupported(reason),
            other => Ok(other),
        }
    }

    #[inline(never)]
    fn branch_of(&mut self, union: &'s UnionStep, kind: Kind<'_>) -> Result<&'s Step, Fail> {
        let (index, branch) = branch(self.plan, union, kind)?;
        write_long(index as i64, self.out);
        Ok(branch)
    }

    #[inline(always)]
    fn integer(mut self, n: i128) -> Result<(), Fail> {
        let kind = Kind::Int(n);
        let step = self.target(kind)?;
        match step {
            Step::Float => {
                self.out.extend_from_slice(&(n as f32).to_le_bytes());
                Ok(())
            }
            Step::Double => {
                self.out.extend_from_slice(&(n as f64).to_le_bytes());
                Ok(())
            }
            // `accepts`, inlined for the two steps that take an integer as it is.
            Step::Int if i32::try_from(n).is_ok() => {
                write_long(n as i64, self.out);
                Ok(())
            }
            Step::Long if i64::try_from(n).is_ok() => {
                write_long(n as i64, self.out);
                Ok(())
            }
            Step::Int => Err(invalid(format!("{n} is out of range for int"))),
            Step::Long => Err(invalid(format!("{n} is out of range for long"))),
            _ => Err(mismatch(step, kind)),
        }
    }

    /// A string for an enum, a logical type read back, or a union's branch: the cases
    /// `serialize_str` does not write itself.
    #[inline(never)]
    fn text(mut self, v: &str) -> Result<(), Fail> {
        let kind = Kind::Str(v);
        match self.target(kind)? {
            Step::String { read_back } => {
                let start = self.out.len();
                write_bytes(v.as_bytes(), self.out);
                self.check_logical(read_back.as_deref(), start)
            }
            Step::Enum(e) => match e.symbols.iter().position(|s| s == v) {
                Some(index) => {
                    write_long(index as i64, self.out);
                    Ok(())
                }
                None => Err(invalid(format!(
                    "\"{v}\" is not a symbol of {} (expected one of {})",
                    e.name,
                    e.symbols.join(", ")
                ))),
            },
            other => Err(mismatch(other, kind)),
        }
    }

    fn bytes(mut self, bytes: &[u8]) -> Result<(), Fail> {
        let kind = Kind::Bytes(bytes.len());
        match self.target(kind)? {
            Step::Fixed { size, name } => self.fixed(*size, name, bytes),
            Step::Bytes { read_back } => {
                let start = self.out.len();
                write_bytes(bytes, self.out);
                self.check_logical(read_back.as_deref(), start)
            }
            other => Err(mismatch(other, kind)),
        }
    }

    /// Refuses what was written from `start` when a consumer would not read it as the
    /// schema's logical type (see `logical::check_encoded`).
    #[inline]
    fn check_logical(
        self,
        read_back: Option<&apache_avro::Schema>,
        start: usize,
    ) -> Result<(), Fail> {
        let Some(schema) = read_back else {
            return Ok(());
        };
        check_encoded(schema, &self.out[start..]).map_err(|reason| {
            self.out.truncate(start);
            invalid(reason)
        })
    }

    fn fixed(self, size: usize, name: &str, bytes: &[u8]) -> Result<(), Fail> {
        if bytes.len() != size {
            return Err(invalid(format!(
                "expected {size} bytes for fixed {name}, got {}",
                bytes.len()
            )));
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }
}

/// The branch of `union` to write a value of `kind` with, and its index: the first that
/// takes the kind, except that a struct goes to the record of its name when there is one.
fn branch<'s>(
    plan: &'s Plan,
    union: &'s UnionStep,
    kind: Kind<'_>,
) -> Result<(usize, &'s Step), Fail> {
    let mut first_record = None;
    for (index, &id) in union.branches.iter().enumerate() {
        let step = resolved(plan.at(id))?;
        if accepts(step, kind) {
            if let (Step::Record(r), Kind::Struct(name)) = (step, kind) {
                if *r.name == *name {
                    return Ok((index, step));
                }
                first_record.get_or_insert((index, step));
                continue;
            }
            return Ok((index, step));
        }
    }
    first_record.ok_or_else(|| {
        invalid(format!(
            "expected one of [{}], got {}",
            union.expected,
            kind.describe()
        ))
    })
}

#[cold]
fn mismatch(step: &Step, kind: Kind<'_>) -> Fail {
    invalid(format!(
        "expected {}, got {}",
        step.kind_name(),
        kind.describe()
    ))
}

fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    write_long(bytes.len() as i64, out);
    out.extend_from_slice(bytes);
}

#[cold]
#[inline(never)]
fn unsupported<T>(what: &str) -> Result<T, Fail> {
    Err(Outcome::Unsupported(what.to_owned()).into())
}

/// Serializer methods for the integer types: all widen to `i128` and take one path.
macro_rules! integers {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method(self, v: $ty) -> Result<(), Fail> {
                self.integer(i128::from(v))
            }
        )*
    };
}

impl<'a, 's> ser::Serializer for Ser<'a, 's> {
    type Ok = ();
    type Error = Fail;
    type SerializeSeq = SeqSer<'a, 's>;
    type SerializeTuple = ser::Impossible<(), Fail>;
    type SerializeTupleStruct = ser::Impossible<(), Fail>;
    type SerializeTupleVariant = ser::Impossible<(), Fail>;
    type SerializeMap = MapSer<'a, 's>;
    type SerializeStruct = StructSer<'a, 's>;
    type SerializeStructVariant = ser::Impossible<(), Fail>;

    #[inline(always)]
    fn serialize_bool(mut self, v: bool) -> Result<(), Fail> {
        match self.target(Kind::Bool)? {
            Step::Boolean => {
                self.out.push(u8::from(v));
                Ok(())
            }
            other => Err(mismatch(other, Kind::Bool)),
        }
    }

    integers! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
    }

    fn serialize_f32(self, v: f32) -> Result<(), Fail> {
        self.serialize_f64(f64::from(v))
    }

    #[allow(clippy::cast_possible_truncation)] // Avro float is 32-bit by definition
    #[inline(always)]
    fn serialize_f64(mut self, v: f64) -> Result<(), Fail> {
        match self.target(Kind::Float)? {
            Step::Float => {
                self.out.extend_from_slice(&(v as f32).to_le_bytes());
                Ok(())
            }
            Step::Double => {
                self.out.extend_from_slice(&v.to_le_bytes());
                Ok(())
            }
            other => Err(mismatch(other, Kind::Float)),
        }
    }

    fn serialize_char(self, v: char) -> Result<(), Fail> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    #[inline(always)]
    fn serialize_str(self, v: &str) -> Result<(), Fail> {
        // A plain string field, the most common value of all, straight away; then a
        // string in a union whose string branch is known beforehand (`["null", "string"]`).
        let branch = match self.step {
            Step::String { read_back: None } => None,
            Step::Union(union) if union.plain_string.is_some() => union.plain_string,
            _ => return self.text(v),
        };
        if let Some(index) = branch {
            write_long(i64::from(index), self.out);
        }
        write_bytes(v.as_bytes(), self.out);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Fail> {
        self.bytes(v)
    }

    #[inline(always)]
    fn serialize_none(mut self) -> Result<(), Fail> {
        if let Step::Union(union) = self.step
            && let Some(index) = union.null
        {
            write_long(i64::from(index), self.out);
            return Ok(());
        }
        match self.target(Kind::Null)? {
            Step::Null => Ok(()),
            other => Err(mismatch(other, Kind::Null)),
        }
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Fail> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Fail> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Fail> {
        self.serialize_none()
    }

    /// A Rust enum's unit variant is an Avro enum symbol (or a string). The symbol at the
    /// variant's own index is tried first: when the Rust enum lists the symbols in the
    /// schema's order, one comparison finds it.
    #[inline(always)]
    fn serialize_unit_variant(
        self,
        _: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), Fail> {
        if let Step::Enum(e) = self.step
            && e.symbols.get(index as usize).is_some_and(|s| s == variant)
        {
            write_long(i64::from(index), self.out);
            return Ok(());
        }
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Fail> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Fail> {
        unsupported("enum variant with data")
    }

    fn serialize_seq(mut self, len: Option<usize>) -> Result<SeqSer<'a, 's>, Fail> {
        // A sequence of bytes (`Vec<u8>`) for a bytes or fixed schema.
        let wants_bytes = match resolved(self.step)? {
            Step::Array(_) => false,
            Step::Union(u) => !u.has_array,
            _ => true,
        };
        if wants_bytes {
            return Ok(SeqSer::Bytes {
                ser: self,
                bytes: Vec::with_capacity(len.unwrap_or(0)),
            });
        }
        let &Step::Array(items) = self.target(Kind::Seq)? else {
            unreachable!("target of a sequence is an array here");
        };
        let start = self.out.len();
        if let Some(n) = len
            && n > 0
        {
            write_long(n as i64, self.out);
        }
        Ok(SeqSer::Items {
            plan: self.plan,
            items: self.plan.at(items),
            out: self.out,
            count: 0,
            declared: len,
            start,
        })
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Fail> {
        unsupported("tuple")
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Fail> {
        unsupported("tuple struct")
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Fail> {
        unsupported("enum variant with data")
    }

    fn serialize_map(mut self, len: Option<usize>) -> Result<MapSer<'a, 's>, Fail> {
        // A map where a record is wanted (a `serde_json::Value` object, say): the JSON route
        // matches keys to fields.
        let takes_map = match resolved(self.step)? {
            Step::Map(_) => true,
            Step::Union(u) => u.has_map,
            _ => false,
        };
        if !takes_map {
            return unsupported("a map for a schema that is not a map");
        }
        let values = match self.target(Kind::Map)? {
            &Step::Map(values) => self.plan.at(values),
            other => return Err(mismatch(other, Kind::Map)),
        };
        let start = self.out.len();
        if let Some(n) = len
            && n > 0
        {
            write_long(n as i64, self.out);
        }
        Ok(MapSer {
            plan: self.plan,
            values,
            out: self.out,
            count: 0,
            declared: len,
            start,
            key: 0..0,
        })
    }

    fn serialize_struct(mut self, name: &'static str, _: usize) -> Result<StructSer<'a, 's>, Fail> {
        let record = match self.target(Kind::Struct(name))? {
            Step::Record(record) => record,
            other => return Err(mismatch(other, Kind::Struct(name))),
        };
        Ok(StructSer {
            plan: self.plan,
            record,
            out: self.out,
            next: 0,
            pending: Vec::new(),
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Fail> {
        unsupported("enum variant with data")
    }
}

/// An array (items written as they come) or bytes gathered from a sequence of `u8`.
enum SeqSer<'a, 's> {
    Items {
        plan: &'s Plan,
        items: &'s Step,
        out: &'a mut Vec<u8>,
        count: usize,
        declared: Option<usize>,
        start: usize,
    },
    Bytes {
        ser: Ser<'a, 's>,
        bytes: Vec<u8>,
    },
}

impl ser::SerializeSeq for SeqSer<'_, '_> {
    type Ok = ();
    type Error = Fail;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Fail> {
        match self {
            SeqSer::Items {
                plan,
                items,
                out,
                count,
                ..
            } => {
                value
                    .serialize(Ser {
                        plan,
                        step: items,
                        out,
                    })
                    .map_err(|e| within(Seg::Index(*count), e))?;
                *count += 1;
                Ok(())
            }
            SeqSer::Bytes { bytes, .. } => {
                let byte = value.serialize(ByteSer)?;
                bytes.push(byte);
                Ok(())
            }
        }
    }

    fn end(self) -> Result<(), Fail> {
        match self {
            SeqSer::Items {
                out,
                count,
                declared,
                start,
                ..
            } => close_block(out, start, declared, count),
            SeqSer::Bytes { ser, bytes } => ser.bytes(&bytes),
        }
    }
}

/// Serializer methods that refuse their one argument, answering `Unsupported($what)`.
macro_rules! refuse_scalars {
    ($ok:ty, $what:literal; $($method:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method(self, _: $ty) -> Result<$ok, Fail> {
                unsupported($what)
            }
        )*
    };
}

/// The serializer methods for compound values and absent ones, all refused with
/// `Unsupported($what)`: a serializer of one scalar.
macro_rules! refuse_compounds {
    ($ok:ty, $what:literal) => {
        type SerializeSeq = ser::Impossible<$ok, Fail>;
        type SerializeTuple = ser::Impossible<$ok, Fail>;
        type SerializeTupleStruct = ser::Impossible<$ok, Fail>;
        type SerializeTupleVariant = ser::Impossible<$ok, Fail>;
        type SerializeMap = ser::Impossible<$ok, Fail>;
        type SerializeStruct = ser::Impossible<$ok, Fail>;
        type SerializeStructVariant = ser::Impossible<$ok, Fail>;

        fn serialize_none(self) -> Result<$ok, Fail> {
            unsupported($what)
        }
        fn serialize_unit(self) -> Result<$ok, Fail> {
            unsupported($what)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<$ok, Fail> {
            unsupported($what)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Fail> {
            unsupported($what)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Fail> {
            unsupported($what)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Fail> {
            unsupported($what)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Fail> {
            unsupported($what)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Fail> {
            unsupported($what)
        }
        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStruct, Fail> {
            unsupported($what)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Fail> {
            unsupported($what)
        }
    };
}

/// Reads one `u8` of a byte sequence.
struct ByteSer;

impl ser::Serializer for ByteSer {
    type Ok = u8;
    type Error = Fail;
    refuse_compounds!(u8, "bytes item");

    fn serialize_u8(self, v: u8) -> Result<u8, Fail> {
        Ok(v)
    }
    refuse_scalars! {
        u8, "bytes item";
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_f32: f32, serialize_f64: f64, serialize_char: char, serialize_str: &str,
        serialize_bytes: &[u8], serialize_unit_struct: &'static str,
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<u8, Fail> {
        unsupported("bytes item")
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<u8, Fail> {
        unsupported("bytes item")
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<u8, Fail> {
        v.serialize(self)
    }
}

/// Writes a map key straight to the output and answers where its text is there. A key is
/// what `serde_json` makes a string of: a `str`, a `char` or a unit variant's name, also
/// inside a newtype or `Some`; any other key is left to the JSON route.
struct KeySer<'a> {
    out: &'a mut Vec<u8>,
}

type KeyText = std::ops::Range<usize>;

impl ser::Serializer for KeySer<'_> {
    type Ok = KeyText;
    type Error = Fail;
    refuse_compounds!(KeyText, "map key that is not a string");

    fn serialize_str(self, v: &str) -> Result<KeyText, Fail> {
        write_long(v.len() as i64, self.out);
        let start = self.out.len();
        self.out.extend_from_slice(v.as_bytes());
        Ok(start..self.out.len())
    }
    fn serialize_char(self, v: char) -> Result<KeyText, Fail> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<KeyText, Fail> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<KeyText, Fail> {
        v.serialize(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<KeyText, Fail> {
        v.serialize(self)
    }
    refuse_scalars! {
        KeyText, "map key that is not a string";
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_bytes: &[u8],
        serialize_unit_struct: &'static str,
    }
}

/// An Avro map: string keys, values of one schema.
struct MapSer<'a, 's> {
    plan: &'s Plan,
    values: &'s Step,
    out: &'a mut Vec<u8>,
    count: usize,
    declared: Option<usize>,
    start: usize,
    /// Where the last key's text is in `out` (it names the value in an error).
    key: KeyText,
}

impl ser::SerializeMap for MapSer<'_, '_> {
    type Ok = ();
    type Error = Fail;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Fail> {
        self.key = key.serialize(KeySer { out: self.out })?;
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Fail> {
        value
            .serialize(Ser {
                plan: self.plan,
                step: self.values,
                out: self.out,
            })
            .map_err(|e| {
                // The key was written before the value, and a value that fails truncates
                // no further back than its own start.
                let key = self
                    .out
                    .get(self.key.clone())
                    .and_then(|k| std::str::from_utf8(k).ok())
                    .unwrap_or_default();
                within(Seg::Key(key), e)
            })?;
        self.count += 1;
        Ok(())
    }

    fn end(self) -> Result<(), Fail> {
        close_block(self.out, self.start, self.declared, self.count)
    }
}

/// Ends an array or map block (Avro spec, "Binary Encoding": a count, the items, then 0).
/// The count went in front when serde declared the length; otherwise it is put there now. A
/// declared length the value did not keep is left to the JSON route.
#[inline(always)]
fn close_block(
    out: &mut Vec<u8>,
    start: usize,
    declared: Option<usize>,
    count: usize,
) -> Result<(), Fail> {
    // The common case, a length serde declared and kept, inlined; the rest out of line.
    if declared == Some(count) {
        out.push(0);
        return Ok(());
    }
    close_block_slow(out, start, declared, count)
}

#[inline(never)]
fn close_block_slow(
    out: &mut Vec<u8>,
    start: usize,
    declared: Option<usize>,
    count: usize,
) -> Result<(), Fail> {
    match declared {
        Some(n) if n != count => return unsupported("a sequence unlike its declared length"),
        None if count > 0 => {
            let mut front = Vec::with_capacity(10);
            write_long(count as i64, &mut front);
            out.splice(start..start, front);
        }
        Some(_) | None => {}
    }
    out.push(0);
    Ok(())
}

/// A record. Fields in schema order are written straight to the output; a field that comes
/// early is held until its turn; missing fields take their defaults at the end.
struct StructSer<'a, 's> {
    plan: &'s Plan,
    record: &'s RecordStep,
    out: &'a mut Vec<u8>,
    /// The next field to write, by position in the schema.
    next: usize,
    /// Encodings of fields that came before their turn, by position.
    pending: Vec<Option<Vec<u8>>>,
}

impl StructSer<'_, '_> {
    /// Writes held fields whose turn has come. Fields in schema order hold none: that test
    /// is inlined, the writing is not.
    #[inline]
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.flush_held();
        }
    }

    /// A field that is not the next one in the schema: held until its turn when it comes
    /// early; a field given twice is left to the JSON route; an unknown field is invalid.
    #[inline(never)]
    fn out_of_turn<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Fail> {
        let fields = &self.record.fields;
        let index = match self.record.lookup.get(key) {
            Some(&i) if i > self.next => i,
            Some(_) => return unsupported("a field given twice"),
            None => {
                return Err(invalid(format!(
                    "unknown field \"{key}\" in record {}",
                    self.record.full_name
                )));
            }
        };
        let mut held = Vec::new();
        value
            .serialize(Ser {
                plan: self.plan,
                step: self.plan.at(fields[index].step),
                out: &mut held,
            })
            .map_err(|e| within(Seg::Field(key), e))?;
        if self.pending.is_empty() {
            self.pending.resize(fields.len(), None);
        }
        self.pending[index] = Some(held);
        Ok(())
    }

    #[inline(never)]
    fn flush_held(&mut self) {
        while let Some(Some(_)) = self.pending.get(self.next) {
            let bytes = self.pending[self.next].take().expect("checked");
            self.out.extend_from_slice(&bytes);
            self.next += 1;
        }
    }
}

impl ser::SerializeStruct for StructSer<'_, '_> {
    type Ok = ();
    type Error = Fail;

    /// A field in its turn (the common case: serde's derive writes the fields in their
    /// declared order) is inlined into the caller's `Serialize` impl; any other goes out of
    /// line ([`StructSer::out_of_turn`]).
    #[inline(always)]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Fail> {
        if let Some(field) = self.record.fields.get(self.next)
            && field.is(key)
        {
            value
                .serialize(Ser {
                    plan: self.plan,
                    step: self.plan.at(field.step),
                    out: self.out,
                })
                .map_err(|e| within(Seg::Field(key), e))?;
            self.next += 1;
            self.flush();
            return Ok(());
        }
        self.out_of_turn(key, value)
    }

    /// Every field given in its turn (the common case) ends here, inlined; missing fields
    /// and held ones are written out of line ([`StructSer::finish`]).
    #[inline(always)]
    fn end(self) -> Result<(), Fail> {
        if self.next == self.record.fields.len() {
            return Ok(());
        }
        self.finish()
    }
}

impl StructSer<'_, '_> {
    /// Writes the held fields and the defaults of missing ones, in schema order.
    #[inline(never)]
    fn finish(mut self) -> Result<(), Fail> {
        while self.next < self.record.fields.len() {
            if self.pending.get(self.next).is_some_and(Option::is_some) {
                self.flush();
                continue;
            }
            let field = &self.record.fields[self.next];
            match &field.default {
                Some(Ok(encoded)) => self.out.extend_from_slice(encoded),
                None => {
                    let error = invalid(format!(
                        "missing required field \"{}\" of record {}",
                        field.name, self.record.full_name
                    ));
                    return Err(within(Seg::Field(&field.name), error));
                }
                // Worded and placed as the JSON route words and places it.
                Some(Err(message)) => {
                    let error = invalid(format!("bad default: {message}"));
                    return Err(within(Seg::Field(&field.name), error));
                }
            }
            self.next += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    const SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[
        {"name":"id","type":"long"},
        {"name":"customer","type":{"type":"record","name":"Customer","fields":[
            {"name":"email","type":"string"},{"name":"vip","type":"boolean","default":false}]}},
        {"name":"tags","type":{"type":"array","items":"string"}},
        {"name":"prices","type":{"type":"map","values":"double"}},
        {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
        {"name":"blob","type":"bytes"},
        {"name":"hash","type":{"type":"fixed","name":"Hash","size":2}},
        {"name":"note","type":["null","string"],"default":null},
        {"name":"again","type":["null","Customer"],"default":null},
        {"name":"ratio","type":"float"}]}"#;

    #[derive(Serialize)]
    struct Customer {
        email: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        vip: Option<bool>,
    }

    #[derive(Serialize, Clone, Copy)]
    #[allow(dead_code)] // only some variants are written
    enum Status {
        #[serde(rename = "NEW")]
        New,
        #[serde(rename = "PAID")]
        Paid,
        #[serde(rename = "LOST")]
        Lost,
    }

    /// Fields deliberately not in the schema's order.
    #[derive(Serialize)]
    struct Order {
        customer: Customer,
        id: i64,
        status: Status,
        tags: Vec<String>,
        prices: BTreeMap<String, f64>,
        #[serde(with = "bytes")]
        blob: Vec<u8>,
        hash: Vec<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        again: Option<Customer>,
        ratio: f32,
    }

    mod bytes {
        pub(super) fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }

    fn order() -> Order {
        Order {
            customer: Customer {
                email: Some("a@b".into()),
                vip: None,
            },
            id: 7,
            status: Status::Paid,
            tags: vec!["x".into(), "y".into()],
            prices: [("p".to_owned(), 1.5)].into(),
            blob: vec![1, 2, 3],
            hash: vec![9, 8],
            note: None,
            again: Some(Customer {
                email: Some("c@d".into()),
                vip: Some(true),
            }),
            ratio: 0.5,
        }
    }

    fn both(
        schema: &AvroSchema,
        value: &Order,
    ) -> (Result<Vec<u8>, Outcome>, Result<Vec<u8>, PayloadError>) {
        let mut direct = Vec::new();
        let direct = schema.encode_serde(value, &mut direct).map(|()| direct);
        let json = serde_json::to_value(value).unwrap();
        let mut via_json = Vec::new();
        let via_json = schema.encode_json(&json, &mut via_json).map(|()| via_json);
        (direct, via_json)
    }

    #[test]
    fn writes_the_bytes_the_json_route_writes() {
        let schema = AvroSchema::parse(SCHEMA, &[]).unwrap();
        let value = order();
        let mut direct = Vec::new();
        schema.encode_serde(&value, &mut direct).unwrap();
        // The JSON route has no serde bytes; give it the blob as integers, as serde_json does.
        let json = serde_json::json!({
            "customer": {"email": "a@b"}, "id": 7, "status": "PAID", "tags": ["x", "y"],
            "prices": {"p": 1.5}, "blob": [1, 2, 3], "hash": [9, 8],
            "again": {"email": "c@d", "vip": true}, "ratio": 0.5});
        let mut via_json = Vec::new();
        schema.encode_json(&json, &mut via_json).unwrap();
        assert_eq!(direct, via_json);
        let back = schema.decode_to_json(&direct).unwrap();
        assert_eq!(
            back["customer"]["vip"], false,
            "the default fills the skipped field"
        );
        assert_eq!(back["note"], serde_json::Value::Null);
    }

    #[test]
    fn logical_types_in_unions_take_the_values_of_the_types_they_annotate() {
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"Payment","fields":[
                {"name":"amount","type":["null",
                    {"type":"bytes","logicalType":"decimal","precision":9,"scale":2}]},
                {"name":"id","type":["null",
                    {"type":"fixed","name":"Id","size":4,"logicalType":"uuid"}]},
                {"name":"at","type":["null",{"type":"long","logicalType":"timestamp-millis"}]},
                {"name":"day","type":["null",{"type":"int","logicalType":"date"}]}]}"#,
            &[],
        )
        .unwrap();
        #[derive(Serialize)]
        struct Payment {
            amount: Option<Vec<u8>>,
            id: Option<Vec<u8>>,
            at: Option<i64>,
            day: Option<i32>,
        }
        let value = Payment {
            amount: Some(vec![0x30, 0x39]),
            id: Some(vec![1, 2, 3, 4]),
            at: Some(1_700_000_000_000),
            day: Some(19_000),
        };
        let mut direct = Vec::new();
        schema.encode_serde(&value, &mut direct).unwrap();
        let mut via_json = Vec::new();
        let json = serde_json::to_value(&value).unwrap();
        schema.encode_json(&json, &mut via_json).unwrap();
        assert_eq!(direct, via_json, "both routes pick the same branches");
    }

    /// The branches a null or a string takes without asking each branch, and the enum
    /// symbol found by the variant's index, against the JSON route and exact bytes: null
    /// after other branches, a string after a null, a `uuid` string (read back, not
    /// written as it comes), a union whose string branch comes after an enum (which takes
    /// the string first when it is a symbol), and Rust enums that list the symbols in the
    /// schema's order (found at the variant's index) and in another order.
    #[test]
    fn nulls_strings_and_symbols_take_the_branches_and_indices_the_json_route_gives() {
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"R","fields":[
                {"name":"a","type":["int","null","string"]},
                {"name":"b","type":["string","null"]},
                {"name":"c","type":["null",{"type":"string","logicalType":"uuid"}]},
                {"name":"d","type":[{"type":"enum","name":"E","symbols":["X","Y"]},"string"]},
                {"name":"e","type":"E"},
                {"name":"f","type":["null","string"]},
                {"name":"g","type":"E"}]}"#,
            &[],
        )
        .unwrap();
        #[derive(Serialize)]
        enum Reversed {
            Y,
            X,
        }
        #[derive(Serialize)]
        enum InOrder {
            X,
            Y,
        }
        #[derive(Serialize)]
        struct R {
            a: Option<String>,
            b: Option<String>,
            c: Option<String>,
            d: String,
            e: Reversed,
            f: Option<String>,
            g: InOrder,
        }
        const UUID: &str = "0b6f8e6e-4a4e-4f3a-9a9e-3b0e8a1c2d3f";
        // Branch 1 of `c`, then the 36 characters (length 36, zigzagged: 72).
        let uuid = [&[2, 72][..], UUID.as_bytes()].concat();
        let cases = [
            (
                R {
                    a: None,
                    b: Some("s".into()),
                    c: Some(UUID.into()),
                    d: "Y".into(),
                    e: Reversed::X,
                    f: None,
                    g: InOrder::Y,
                },
                // a: branch 1; b: branch 0, "s"; c: branch 1, the uuid; d: branch 0, symbol
                // 1; e: symbol 0; f: branch 0; g: symbol 1.
                [&[2, 0, 2, b's'][..], &uuid, &[0, 2, 0, 0, 2]].concat(),
            ),
            (
                R {
                    a: Some("t".into()),
                    b: None,
                    c: None,
                    d: "Z".into(),
                    e: Reversed::Y,
                    f: Some("u".into()),
                    g: InOrder::X,
                },
                // a: branch 2, "t"; b: branch 1; c: branch 0; d: branch 1 ("Z" is no
                // symbol), "Z"; e: symbol 1; f: branch 1, "u"; g: symbol 0.
                vec![4, 2, b't', 2, 0, 2, 2, b'Z', 2, 2, 2, b'u', 0],
            ),
        ];
        for (value, expected) in cases {
            let mut direct = Vec::new();
            schema.encode_serde(&value, &mut direct).unwrap();
            let json = serde_json::to_value(&value).unwrap();
            let mut via_json = Vec::new();
            schema.encode_json(&json, &mut via_json).unwrap();
            assert_eq!(direct, expected);
            assert_eq!(direct, via_json, "both routes pick the same branches");
        }
    }

    #[test]
    fn invalid_values_give_the_json_route_errors() {
        let schema = AvroSchema::parse(SCHEMA, &[]).unwrap();
        let mut cases: Vec<(Order, &str)> = Vec::new();
        let mut v = order();
        v.customer.email = None;
        cases.push((v, "/customer/email"));
        let mut v = order();
        v.status = Status::Lost;
        cases.push((v, "/status"));
        let mut v = order();
        v.hash = vec![1, 2, 3];
        cases.push((v, "/hash"));
        let mut v = order();
        v.again = Some(Customer {
            email: None,
            vip: None,
        });
        cases.push((v, "/again/email"));
        for (value, path) in cases {
            let (direct, via_json) = both(&schema, &value);
            let Err(Outcome::Invalid(direct)) = direct else {
                panic!("{path}: not refused")
            };
            let via_json = via_json.unwrap_err();
            assert_eq!(direct.path, path);
            assert_eq!(direct, via_json, "{path}");
        }
    }

    #[test]
    fn paths_name_map_keys_and_array_items_as_the_json_route_does() {
        #[derive(Serialize)]
        struct Groups {
            groups: BTreeMap<String, Vec<i64>>,
        }
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"G","fields":[
                {"name":"groups","type":{"type":"map","values":{"type":"array","items":"int"}}}]}"#,
            &[],
        )
        .unwrap();
        let value = Groups {
            groups: [
                ("fine".to_owned(), vec![1, 2]),
                ("a/b~c".to_owned(), vec![1, 2, i64::MAX]),
            ]
            .into(),
        };
        let mut out = vec![7];
        let Err(Outcome::Invalid(direct)) = schema.encode_serde(&value, &mut out) else {
            panic!("refused")
        };
        assert_eq!(direct.path, "/groups/a~1b~0c/2");
        assert!(direct.message.contains("out of range for int"), "{direct}");
        assert_eq!(out, [7], "nothing is written");
        let json = serde_json::to_value(&value).unwrap();
        let via_json = schema.encode_json(&json, &mut Vec::new()).unwrap_err();
        assert_eq!(direct.path, via_json.path);
    }

    #[test]
    fn sequences_and_maps_of_unknown_length_get_their_count_in_front() {
        // A filtered iterator has no exact size: serde declares no length.
        struct Evens(Vec<i32>);
        impl Serialize for Evens {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().filter(|n| *n % 2 == 0))
            }
        }
        struct EvenKeys(Vec<i32>);
        impl Serialize for EvenKeys {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(
                    self.0
                        .iter()
                        .filter(|n| *n % 2 == 0)
                        .map(|n| (n.to_string(), *n)),
                )
            }
        }
        let array = AvroSchema::parse(r#"{"type":"array","items":"int"}"#, &[]).unwrap();
        let mut out = Vec::new();
        array
            .encode_serde(&Evens(vec![1, 2, 3, 4]), &mut out)
            .unwrap();
        assert_eq!(out, [4, 4, 8, 0], "count 2, items 2 and 4, end");
        let map = AvroSchema::parse(r#"{"type":"map","values":"int"}"#, &[]).unwrap();
        let mut out = Vec::new();
        map.encode_serde(&EvenKeys(vec![2, 3]), &mut out).unwrap();
        assert_eq!(out, [2, 2, b'2', 4, 0], "count 1, key \"2\", value 2, end");
    }

    #[test]
    fn shapes_without_an_avro_mapping_are_left_to_the_json_route() {
        let schema = AvroSchema::parse(r#"{"type":"array","items":"int"}"#, &[]).unwrap();
        let mut out = vec![1];
        let outcome = schema.encode_serde(&(1, 2), &mut out);
        assert!(matches!(outcome, Err(Outcome::Unsupported(_))));
        assert_eq!(out, [1], "nothing is written");
    }

    /// Encodes `value` by both routes and asserts the same bytes; answers them.
    fn same_as_json<T: Serialize>(schema: &AvroSchema, value: &T) -> Vec<u8> {
        let mut direct = Vec::new();
        schema.encode_serde(value, &mut direct).unwrap();
        let mut via_json = Vec::new();
        let json = serde_json::to_value(value).unwrap();
        schema.encode_json(&json, &mut via_json).unwrap();
        assert_eq!(direct, via_json, "both routes write the same bytes");
        direct
    }

    #[test]
    fn recursive_records_and_types_from_references_are_followed() {
        let reference = crate::schema::ResolvedReference {
            name: "acme.Money".into(),
            schema_type: crate::types::SchemaType::Avro,
            schema: r#"{"type":"record","name":"Money","namespace":"acme","fields":[
                {"name":"units","type":"long"},
                {"name":"currency","type":{"type":"enum","name":"Currency","symbols":["EUR","USD"]}}]}"#
                .into(),
        };
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"Line","namespace":"acme","fields":[
                {"name":"price","type":"acme.Money"},
                {"name":"refund","type":["null","acme.Money"],"default":null},
                {"name":"next","type":["null","Line"],"default":null}]}"#,
            &[reference],
        )
        .unwrap();
        #[derive(Serialize)]
        struct Money {
            units: i64,
            currency: &'static str,
        }
        #[derive(Serialize)]
        struct Line {
            price: Money,
            refund: Option<Money>,
            next: Option<Box<Line>>,
        }
        let line = |units, next| Line {
            price: Money {
                units,
                currency: "EUR",
            },
            refund: (units == 2).then_some(Money {
                units: 1,
                currency: "USD",
            }),
            next,
        };
        let chain = line(1, Some(Box::new(line(2, Some(Box::new(line(3, None)))))));
        let bytes = same_as_json(&schema, &chain);
        // price 1 EUR, no refund, next: price 2 EUR, refund 1 USD, next: price 3 EUR, none.
        assert_eq!(bytes, [2, 0, 0, 2, 4, 0, 2, 2, 2, 2, 6, 0, 0, 0]);
        let mut bad = line(1, Some(Box::new(line(2, None))));
        bad.next.as_mut().unwrap().price.currency = "GBP";
        let Err(Outcome::Invalid(e)) = schema.encode_serde(&bad, &mut Vec::new()) else {
            panic!("refused")
        };
        assert_eq!(e.path, "/next/price/currency");
        assert!(e.message.contains("not a symbol of acme.Currency"), "{e}");
    }

    #[test]
    fn structs_with_their_fields_in_other_orders_are_written_alike() {
        // Two Rust types for one record, one in the schema's order and one not, written in
        // turns: each field remembers one key's address, and the other type's keys are
        // compared by their text.
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"User","fields":[
                {"name":"id","type":"long"},{"name":"name","type":"string"},
                {"name":"admin","type":"boolean","default":false}]}"#,
            &[],
        )
        .unwrap();
        #[derive(Serialize)]
        struct InOrder {
            id: i64,
            name: String,
            admin: bool,
        }
        #[derive(Serialize)]
        struct Shuffled {
            name: String,
            id: i64,
        }
        for round in 0..3 {
            let a = same_as_json(
                &schema,
                &InOrder {
                    id: round,
                    name: "ann".into(),
                    admin: true,
                },
            );
            assert_eq!(a, [(round * 2) as u8, 6, b'a', b'n', b'n', 1]);
            let b = same_as_json(
                &schema,
                &Shuffled {
                    name: "bo".into(),
                    id: round,
                },
            );
            assert_eq!(
                b,
                [(round * 2) as u8, 4, b'b', b'o', 0],
                "the default fills admin"
            );
        }
    }

    #[test]
    fn a_uuid_string_is_read_back_as_the_json_route_reads_it() {
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"Event","fields":[
                {"name":"id","type":{"type":"string","logicalType":"uuid"}},
                {"name":"parent","type":["null",{"type":"string","logicalType":"uuid"}]}]}"#,
            &[],
        )
        .unwrap();
        #[derive(Serialize)]
        struct Event {
            id: &'static str,
            parent: Option<&'static str>,
        }
        let valid = Event {
            id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            parent: Some("6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
        };
        assert_eq!(same_as_json(&schema, &valid).len(), 1 + 36 + 1 + 1 + 36);
        for (value, path) in [
            (
                Event {
                    id: "not a uuid",
                    parent: None,
                },
                "/id",
            ),
            (
                Event {
                    id: valid.id,
                    parent: Some("nor this"),
                },
                "/parent",
            ),
        ] {
            let Err(Outcome::Invalid(direct)) = schema.encode_serde(&value, &mut Vec::new()) else {
                panic!("{path}: not refused")
            };
            let json = serde_json::to_value(&value).unwrap();
            let via_json = schema.encode_json(&json, &mut Vec::new()).unwrap_err();
            assert_eq!(direct.path, path);
            assert!(direct.message.contains("not a valid uuid"), "{direct}");
            if path == "/id" {
                assert_eq!(direct, via_json);
            } else {
                // In a union the JSON route finds no branch for a string that is not a uuid
                // ("expected one of [null, string], got string"); this route chose the
                // string branch by the value's kind and says what is wrong with it.
                assert_eq!(direct.path, via_json.path);
            }
        }
    }

    #[test]
    fn a_struct_in_a_union_of_records_takes_the_record_of_its_name() {
        let schema = AvroSchema::parse(
            r#"["null",
                {"type":"record","name":"Cat","namespace":"pets","fields":[{"name":"lives","type":"int"}]},
                {"type":"record","name":"Dog","namespace":"pets","fields":[{"name":"lives","type":"int"}]}]"#,
            &[],
        )
        .unwrap();
        #[derive(Serialize)]
        struct Dog {
            lives: i32,
        }
        #[derive(Serialize)]
        struct Cat {
            lives: i32,
        }
        #[derive(Serialize)]
        struct Fish {
            lives: i32,
        }
        let mut out = Vec::new();
        schema.encode_serde(&Dog { lives: 1 }, &mut out).unwrap();
        assert_eq!(out, [4, 2], "branch 2, Dog");
        out.clear();
        schema.encode_serde(&Cat { lives: 9 }, &mut out).unwrap();
        assert_eq!(out, [2, 18], "branch 1, Cat");
        out.clear();
        schema.encode_serde(&Fish { lives: 1 }, &mut out).unwrap();
        assert_eq!(
            out,
            [2, 2],
            "no record of that name: the first record branch"
        );
        out.clear();
        schema.encode_serde(&None::<Dog>, &mut out).unwrap();
        assert_eq!(out, [0], "branch 0, null");
    }

    #[test]
    fn unknown_and_missing_fields_are_refused() {
        #[derive(Serialize)]
        struct Extra {
            id: i64,
            oops: i32,
        }
        #[derive(Serialize)]
        struct Missing {
            tags: Vec<String>,
        }
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"R","fields":[{"name":"id","type":"long"},{"name":"tags","type":{"type":"array","items":"string"}}]}"#,
            &[],
        )
        .unwrap();
        let Err(Outcome::Invalid(e)) =
            schema.encode_serde(&Extra { id: 1, oops: 2 }, &mut Vec::new())
        else {
            panic!("refused")
        };
        assert!(e.message.contains("unknown field \"oops\""), "{e}");
        let Err(Outcome::Invalid(e)) =
            schema.encode_serde(&Missing { tags: vec![] }, &mut Vec::new())
        else {
            panic!("refused")
        };
        assert_eq!(e.path, "/id");
        assert!(e.message.contains("missing required field \"id\""), "{e}");
    }
}
