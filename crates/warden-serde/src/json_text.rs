//! Compact JSON text written straight from a serde value: the bytes `serde_json::to_writer`
//! writes, with strings scanned eight bytes at a time for what needs escaping.
//!
//! The JSON Schema serializer's record is mostly strings: its field names and its text
//! values. `serde_json` looks up every byte of every string in its escape table; this writer
//! tests a whole 8-byte word at once for a control character, `"` or `\` (the only bytes JSON
//! escapes, RFC 8259 section 7) and copies clean words as they are. Escapes are written as
//! `serde_json` writes them (`\b \t \n \f \r \" \\`, and `\u00xx` in lower-case hex for the
//! other control characters).
//!
//! Numbers other than integers are left to `serde_json` itself (one call per number), and so
//! are the shapes this writer does not take: map keys that are floats or compound values, and
//! `serde_json`'s own private types (`RawValue`, arbitrary-precision numbers). On any of those,
//! and on any error the value's own `Serialize` raises, [`write`] drops what it wrote and lets
//! `serde_json::to_writer` write the whole value, which gives its bytes or its error (the
//! value is then serialized twice).

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Appends `value` as compact JSON text to `out`: the bytes `serde_json::to_writer` appends.
///
/// Errors: `serde_json`'s, when it refuses the value (a map key that is not a string, a
/// number, a boolean or a unit variant; a `Serialize` that fails); `out` then holds what
/// `serde_json` wrote before failing.
pub(crate) fn write<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    let start = out.len();
    match value.serialize(Writer { out: &mut *out }) {
        Ok(()) => Ok(()),
        Err(Declined) => {
            out.truncate(start);
            serde_json::to_writer(out, value)
        }
    }
}

/// This writer does not write the value; `serde_json` will.
#[derive(Debug)]
struct Declined;

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for Declined {}

impl ser::Error for Declined {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Declined
    }
}

/// Prefix of the names `serde_json` gives its private types, which it writes differently from
/// what their calls say.
const SERDE_JSON_PRIVATE: &str = "$serde_json::private::";

/// Bytes JSON escapes: a value of `b'x'` at index `i` writes byte `i` as `\x`, `b'u'` as
/// `\u00xx`; 0 writes it as it is.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0A] = b'n';
    table[0x0C] = b'f';
    table[0x0D] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `word` is JSON-escaped: below 0x20, `"` or `\`. Exact as a whole
/// (a borrow may mark the wrong byte, never a word with none).
#[inline(always)]
fn needs_escape(word: u64) -> bool {
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero_in = |x: u64| x.wrapping_sub(ONES) & !x;
    (below_space | zero_in(quote) | zero_in(backslash)) & HIGHS != 0
}

/// Appends `s` as a JSON string.
#[inline]
fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if !is_clean(bytes) {
        return write_escaped(out, bytes);
    }
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    out.extend_from_slice(bytes);
    out.push(b'"');
}

/// Whether no byte of `bytes` is JSON-escaped, tested a word at a time: whole words, then
/// the last eight bytes (overlapping the words before); a shorter string is read into one
/// word, the bytes it does not fill set to `a`.
#[inline(always)]
fn is_clean(bytes: &[u8]) -> bool {
    let len = bytes.len();
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            bytes[at..at + 4].try_into().expect("four bytes"),
        ))
    };
    match len {
        0 => true,
        1..=3 => {
            // Bytes 0, len / 2 and len - 1 cover a string of one to three.
            const PAD: u64 = 0x6161_6161_6100_0000;
            let w = PAD
                | u64::from(bytes[0])
                | u64::from(bytes[len / 2]) << 8
                | u64::from(bytes[len - 1]) << 16;
            !needs_escape(w)
        }
        4..=7 => !needs_escape(half(0) | half(len - 4) << 32),
        _ => {
            let mut at = 0;
            while at + 8 <= len {
                if needs_escape(word(at)) {
                    return false;
                }
                at += 8;
            }
            at == len || !needs_escape(word(len - 8))
        }
    }
}

/// [`write_str`] for a string with a byte JSON escapes.
#[inline(never)]
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() + 8);
    out.push(b'"');
    let mut run = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(byte)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[run..i]);
        run = i + 1;
        match escape {
            b'u' => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xF)],
            ]),
            other => out.extend_from_slice(&[b'\\', other]),
        }
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// Appends an integer in decimal.
#[inline]
fn write_integer<I: itoa::Integer>(out: &mut Vec<u8>, n: I) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends a float as `serde_json` writes it (`null` when it is not finite).
fn write_float<F: Serialize>(out: &mut Vec<u8>, v: F) -> Result<(), Declined> {
    serde_json::to_writer(out, &v).map_err(|_| Declined)
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

macro_rules! integers {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(
            #[inline]
            fn $method(self, v: $ty) -> Result<(), Declined> {
                write_integer(self.out, v);
                Ok(())
            }
        )*
    };
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Declined;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<(), Declined> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    integers! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128,
    }

    fn serialize_f32(self, v: f32) -> Result<(), Declined> {
        write_float(self.out, v)
    }

    fn serialize_f64(self, v: f64) -> Result<(), Declined> {
        write_float(self.out, v)
    }

    fn serialize_char(self, v: char) -> Result<(), Declined> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Declined> {
        write_str(self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Declined> {
        // An array of numbers, as `serde_json` writes bytes.
        self.out.push(b'[');
        for (i, &byte) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_integer(self.out, byte);
        }
        self.out.push(b']');
        Ok(())
    }

    #[inline]
    fn serialize_none(self) -> Result<(), Declined> {
        self.serialize_unit()
    }

    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Declined> {
        value.serialize(self)
    }

    #[inline]
    fn serialize_unit(self) -> Result<(), Declined> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Declined> {
        self.serialize_unit()
    }

    #[inline]
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Declined> {
        write_str(self.out, variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Declined> {
        if name.starts_with(SERDE_JSON_PRIVATE) {
            return Err(Declined);
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Declined> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
        value.serialize(Writer {
            out: &mut *self.out,
        })?;
        self.out.push(b'}');
        Ok(())
    }

    #[inline]
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Declined> {
        Ok(Compound::open(self.out, b"[", b"]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Declined> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Declined> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Declined> {
        Ok(Compound::variant(self.out, variant, b'[', b"]}"))
    }

    #[inline]
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Declined> {
        Ok(Compound::open(self.out, b"{", b"}"))
    }

    #[inline]
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'a>, Declined> {
        if name.starts_with(SERDE_JSON_PRIVATE) {
            return Err(Declined);
        }
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Declined> {
        Ok(Compound::variant(self.out, variant, b'{', b"}}"))
    }
}

/// An array or an object being written: its separator is due after the first member.
struct Compound<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    /// `]` or `}`, and `}` after it for an enum variant's.
    close: &'static [u8],
}

impl<'a> Compound<'a> {
    /// Writes `opening` and begins a compound that `close` ends.
    #[inline]
    fn open(out: &'a mut Vec<u8>, opening: &[u8], close: &'static [u8]) -> Self {
        out.extend_from_slice(opening);
        Compound {
            out,
            first: true,
            close,
        }
    }

    /// An enum variant's members: `{"variant":` then `opening` (`[` or `{`); `close` ends both.
    fn variant(out: &'a mut Vec<u8>, variant: &str, opening: u8, close: &'static [u8]) -> Self {
        out.push(b'{');
        write_str(out, variant);
        Compound::open(out, &[b':', opening], close)
    }

    #[inline]
    fn separate(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.out.push(b',');
        }
    }

    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Declined> {
        self.separate();
        value.serialize(Writer {
            out: &mut *self.out,
        })
    }

    #[inline]
    fn member<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Declined> {
        self.separate();
        write_str(self.out, key);
        self.out.push(b':');
        value.serialize(Writer {
            out: &mut *self.out,
        })
    }

    #[inline]
    fn close(self) -> Result<(), Declined> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// The serde traits of arrays: each member is an element.
macro_rules! array_members {
    ($($trait:ident :: $method:ident),* $(,)?) => {
        $(
            impl ser::$trait for Compound<'_> {
                type Ok = ();
                type Error = Declined;

                #[inline]
                fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Declined> {
                    self.element(value)
                }

                #[inline]
                fn end(self) -> Result<(), Declined> {
                    self.close()
                }
            }
        )*
    };
}

array_members! {
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Declined;

    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Declined> {
        self.separate();
        key.serialize(KeyWriter {
            out: &mut *self.out,
        })?;
        self.out.push(b':');
        Ok(())
    }

    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Declined> {
        value.serialize(Writer {
            out: &mut *self.out,
        })
    }

    #[inline]
    fn end(self) -> Result<(), Declined> {
        self.close()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Declined;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Declined> {
        self.member(key, value)
    }

    #[inline]
    fn end(self) -> Result<(), Declined> {
        self.close()
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Declined;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Declined> {
        self.member(key, value)
    }

    fn end(self) -> Result<(), Declined> {
        self.close()
    }
}

/// A map key, always a JSON string: a string, a `char` or a unit variant as it is, an integer
/// or a boolean in quotes (as `serde_json` writes them); float and compound keys are left to
/// `serde_json`, which quotes finite floats and refuses the rest.
struct KeyWriter<'a> {
    out: &'a mut Vec<u8>,
}

/// Integer keys, written in quotes.
macro_rules! quoted_integers {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method(self, v: $ty) -> Result<(), Declined> {
                self.out.push(b'"');
                write_integer(self.out, v);
                self.out.push(b'"');
                Ok(())
            }
        )*
    };
}

/// Key serializer methods, declined.
macro_rules! decline {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method(self, _: $ty) -> Result<(), Declined> {
                Err(Declined)
            }
        )*
    };
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Declined;
    type SerializeSeq = Impossible<(), Declined>;
    type SerializeTuple = Impossible<(), Declined>;
    type SerializeTupleStruct = Impossible<(), Declined>;
    type SerializeTupleVariant = Impossible<(), Declined>;
    type SerializeMap = Impossible<(), Declined>;
    type SerializeStruct = Impossible<(), Declined>;
    type SerializeStructVariant = Impossible<(), Declined>;

    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Declined> {
        write_str(self.out, v);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Declined> {
        if name.starts_with(SERDE_JSON_PRIVATE) {
            return Err(Declined);
        }
        value.serialize(self)
    }

    fn serialize_bool(self, v: bool) -> Result<(), Declined> {
        self.out
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }

    quoted_integers! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128,
    }

    fn serialize_char(self, v: char) -> Result<(), Declined> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Declined> {
        write_str(self.out, variant);
        Ok(())
    }

    decline! {
        serialize_f32: f32, serialize_f64: f64, serialize_bytes: &[u8],
        serialize_unit_struct: &'static str,
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Declined> {
        Err(Declined)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Declined> {
        Err(Declined)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Declined> {
        Err(Declined)
    }

    fn serialize_none(self) -> Result<(), Declined> {
        Err(Declined)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Declined> {
        Err(Declined)
    }

    fn serialize_unit(self) -> Result<(), Declined> {
        Err(Declined)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Declined> {
        Err(Declined)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Declined> {
        Err(Declined)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Declined> {
        Err(Declined)
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Declined> {
        Err(Declined)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Declined> {
        Err(Declined)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde::Serialize;
    use serde_json::json;

    use super::{Writer, write};

    /// What `write` appends after a prefix, next to what `serde_json::to_vec` writes.
    fn both<T: Serialize + ?Sized>(value: &T) -> (Vec<u8>, Vec<u8>) {
        let mut out = b"prefix".to_vec();
        write(value, &mut out).expect("the value is written");
        assert_eq!(&out[..6], b"prefix", "what was in the buffer is kept");
        (
            out[6..].to_vec(),
            serde_json::to_vec(value).expect("serde_json writes it"),
        )
    }

    fn same<T: Serialize + ?Sized>(value: &T) {
        let (ours, theirs) = both(value);
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }

    /// `same`, and the text was written by this writer, not left to `serde_json`.
    fn written_here<T: Serialize + ?Sized>(value: &T) {
        same(value);
        let mut out = Vec::new();
        assert!(
            value.serialize(Writer { out: &mut out }).is_ok(),
            "left to serde_json: {}",
            String::from_utf8_lossy(&out)
        );
    }

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Shape {
        Empty,
        Circle(u8),
        Pair(i32, i32),
        Nothing(),
        Rect { w: u32, h: u32 },
        Blank {},
    }

    #[derive(Serialize)]
    struct Marker;

    #[derive(Serialize)]
    struct Meters(f32);

    #[derive(Serialize)]
    struct Record<'a> {
        id: &'a str,
        #[serde(rename = "with \"quotes\" and\ttab")]
        odd_name: bool,
        amount: f64,
        small: f32,
        count: u64,
        signed: i64,
        wide: i128,
        letter: char,
        note: Option<&'a str>,
        missing: Option<u8>,
        unit: (),
        tags: Vec<&'a str>,
        attributes: BTreeMap<&'a str, &'a str>,
        #[serde(with = "serde_bytes_as_bytes")]
        raw: Vec<u8>,
        shapes: Vec<Shape>,
        meters: Meters,
        pair: (u8, &'a str),
        wide_unsigned: u128,
        marker: Marker,
        by_number: BTreeMap<i64, bool>,
        by_flag: BTreeMap<bool, u8>,
        by_letter: BTreeMap<char, u8>,
        by_shape: BTreeMap<Shape, u8>,
    }

    /// `serialize_bytes`, which a plain `Vec<u8>` field does not call.
    mod serde_bytes_as_bytes {
        pub(super) fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }

    #[test]
    fn a_record_is_written_as_serde_json_writes_it() {
        let record = Record {
            id: "order-1",
            odd_name: true,
            amount: 12.5,
            small: 0.1,
            count: u64::MAX,
            signed: i64::MIN,
            wide: -170_141_183_460_469_231_731_687_303_715_884_105_728,
            letter: '\u{1F600}',
            note: Some("line one\nline two\u{0}\u{1f}\u{7f} \\ \"end\""),
            missing: None,
            unit: (),
            tags: vec!["a", "", "ünïcödé", "0123456789abcdef\"0123456789"],
            attributes: [("channel", "web"), ("k\u{8}\u{c}", "v\r")].into(),
            raw: vec![0, 1, 255],
            shapes: vec![
                Shape::Empty,
                Shape::Circle(2),
                Shape::Pair(-1, 1),
                Shape::Nothing(),
                Shape::Rect { w: 3, h: 4 },
                Shape::Blank {},
            ],
            meters: Meters(f32::INFINITY),
            pair: (7, "seven"),
            wide_unsigned: u128::MAX,
            marker: Marker,
            by_number: BTreeMap::from([(-3, true), (i64::MAX, false)]),
            by_flag: BTreeMap::from([(false, 0), (true, 1)]),
            by_letter: BTreeMap::from([('"', 1), ('é', 2)]),
            by_shape: BTreeMap::from([(Shape::Empty, 1)]),
        };
        written_here(&record);
        written_here(
            &json!({"a": [1, -2, 3.25, 1e300, -0.0, null, true], "b": {"c": "d\u{7}"}, "": {}}),
        );
        written_here(&Vec::<u8>::new());
        written_here(&BTreeMap::<String, u8>::new());
        written_here(&[f64::NAN, f64::NEG_INFINITY, 0.1]);
    }

    /// A float map key.
    #[derive(Serialize, PartialEq)]
    struct FloatKey(f64);

    impl Eq for FloatKey {}

    impl std::hash::Hash for FloatKey {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.0.to_bits().hash(state);
        }
    }

    #[test]
    fn shapes_this_writer_leaves_to_serde_json_come_out_the_same() {
        // Float keys and serde_json's own raw text: serde_json writes them.
        let float_keys = std::collections::HashMap::from([(FloatKey(1.5), 1)]);
        same(&float_keys);
        assert!(
            float_keys
                .serialize(Writer {
                    out: &mut Vec::new()
                })
                .is_err()
        );
        let raw = serde_json::value::RawValue::from_string("{ \"kept\" :  [1,2] }".into())
            .expect("raw JSON");
        same(&vec![raw.clone(), raw.clone()]);
        assert!(
            raw.serialize(Writer {
                out: &mut Vec::new()
            })
            .is_err()
        );
    }

    #[test]
    fn a_value_serde_json_refuses_is_refused_with_its_error() {
        let key_refused = BTreeMap::from([(vec![1u8], 1)]);
        let ours = write(&key_refused, &mut Vec::new()).expect_err("a sequence key is refused");
        let theirs = serde_json::to_vec(&key_refused).expect_err("serde_json refuses it too");
        assert_eq!(ours.to_string(), theirs.to_string());
    }

    #[test]
    fn an_escaped_byte_is_found_at_every_position_of_short_and_long_strings() {
        // Lengths around the word size, the byte in every place: the whole words, the last
        // eight bytes and the strings shorter than a word are each read differently.
        for len in 1..=25 {
            for at in 0..len {
                for escaped in ['"', '\\', '\u{0}', '\u{1f}', '\n'] {
                    let mut text: Vec<char> =
                        "abcdefghijklmnopqrstuvwxyz".chars().take(len).collect();
                    text[at] = escaped;
                    let text: String = text.into_iter().collect();
                    let (ours, theirs) = both(&text);
                    assert_eq!(ours, theirs, "{text:?}");
                }
            }
        }
        for clean in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "ünï",
            "~\u{7f}\u{80}",
            "0123456789abcdefg",
        ] {
            same(clean);
        }
    }

    proptest! {
        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(
            s in proptest::collection::vec(
                prop_oneof![
                    4 => proptest::char::range('\u{20}', '\u{7e}'),
                    2 => proptest::char::range('\u{0}', '\u{1f}'),
                    2 => Just('"'),
                    2 => Just('\\'),
                    1 => any::<char>(),
                ],
                0..40,
            ).prop_map(|chars| chars.into_iter().collect::<String>())
        ) {
            let (ours, theirs) = both(&s);
            prop_assert_eq!(ours, theirs);
            // As a map key and a struct-like object too.
            let (ours, theirs) = both(&BTreeMap::from([(s.as_str(), s.as_str())]));
            prop_assert_eq!(ours, theirs);
        }
    }
}
