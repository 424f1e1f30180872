//! The subset validator driven by a `serde::Serialize` value instead of by JSON text: a
//! `Serializer` that writes nothing and checks each call against the compiled schema, so a
//! serializer can validate a Rust value without a `serde_json::Value` and without reading its
//! own output back.
//!
//! The document checked is the one `serde_json::to_value` would build from the same calls:
//! integers as numbers (`i128`/`u128` only within `i64`/`u64`), a whole `f32` widened to
//! `f64` (a fractional one is [`Verdict::Unknown`]: `serde_json` writes its shortest decimal
//! form, which readers take as another `f64`), a float that is not finite as `null`, `char` and unit variants as strings, bytes as an array
//! of numbers, `None` and units as `null`, a newtype variant as a one-member object, map keys
//! that are strings, chars, integers (written in decimal) or unit variants. Whatever else
//! `serde_json` builds differently or refuses (tuple and struct variants, other map keys,
//! `serde_json`'s private raw-value and number types) is [`Verdict::Unknown`], left to the
//! caller's `jsonschema` route.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, Visitor};
use serde::ser::{self, Impossible, Serialize};

use super::{ANY, ARRAY, Checks, OBJECT, Subset, Verdict, Walk};

/// Checks `value` against `subset` (see the module documentation for the document checked).
pub(super) fn check<T: Serialize + ?Sized>(subset: &Subset, value: &T) -> Verdict {
    let verdict = Cell::new(Verdict::Valid);
    let walk = Walk {
        subset,
        node: subset.root,
        verdict: &verdict,
    };
    match value.serialize(Check(walk)) {
        // A `Serialize` that swallowed a verdict's error still left the verdict.
        Ok(()) => verdict.get(),
        // An error the value's own `Serialize` raised, not a verdict: not this check's call.
        Err(Stop) => match verdict.get() {
            Verdict::Valid => Verdict::Unknown,
            other => other,
        },
    }
}

/// Ends the walk; the verdict is in the walk's cell.
#[derive(Debug)]
pub(super) struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the value is not valid, or not decided here")
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

/// The check of one value against one node.
struct Check<'s>(Walk<'s>);

/// Prefix of the names `serde_json` gives its own private types (`RawValue`, arbitrary
/// precision `Number`), which it builds differently from what their calls say.
const SERDE_JSON_PRIVATE: &str = "$serde_json::private::";

/// Narrow integers, checked as the 64-bit ones they widen to.
macro_rules! widened {
    ($($name:ident: $ty:ty => $wide:ident),* $(,)?) => {
        $(fn $name(self, v: $ty) -> Result<(), Stop> {
            self.$wide(v.into())
        })*
    };
}

impl<'s> ser::Serializer for Check<'s> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Items<'s>;
    type SerializeTuple = Items<'s>;
    type SerializeTupleStruct = Items<'s>;
    type SerializeTupleVariant = Impossible<(), Stop>;
    type SerializeMap = Members<'s>;
    type SerializeStruct = Members<'s>;
    type SerializeStructVariant = Impossible<(), Stop>;

    fn serialize_bool(self, v: bool) -> Result<(), Stop> {
        self.0.visit_bool(v)
    }

    widened!(
        serialize_i8: i8 => serialize_i64,
        serialize_i16: i16 => serialize_i64,
        serialize_i32: i32 => serialize_i64,
        serialize_u8: u8 => serialize_u64,
        serialize_u16: u16 => serialize_u64,
        serialize_u32: u32 => serialize_u64,
    );

    fn serialize_i64(self, v: i64) -> Result<(), Stop> {
        self.0.visit_i64(v)
    }

    fn serialize_i128(self, v: i128) -> Result<(), Stop> {
        match (i64::try_from(v), u64::try_from(v)) {
            (Ok(v), _) => self.0.visit_i64(v),
            (_, Ok(v)) => self.0.visit_u64(v),
            _ => self.0.fail(Verdict::Unknown),
        }
    }

    fn serialize_u64(self, v: u64) -> Result<(), Stop> {
        self.0.visit_u64(v)
    }

    fn serialize_u128(self, v: u128) -> Result<(), Stop> {
        match u64::try_from(v) {
            Ok(v) => self.0.visit_u64(v),
            Err(_) => self.0.fail(Verdict::Unknown),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<(), Stop> {
        // `to_value` widens an `f32`, but `serde_json` writes its shortest decimal form,
        // which readers take as another `f64` (`0.1f32` is written `0.1`): only values both
        // agree on are decided here.
        if v.is_finite() && v.fract() != 0.0 {
            return self.0.fail(Verdict::Unknown);
        }
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Stop> {
        if v.is_finite() {
            self.0.visit_f64(v)
        } else {
            self.0.visit_unit()
        }
    }

    fn serialize_char(self, v: char) -> Result<(), Stop> {
        self.0.visit_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Stop> {
        self.0.visit_str(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Stop> {
        use ser::SerializeSeq as _;
        let mut items = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            items.serialize_element(byte)?;
        }
        items.end()
    }

    fn serialize_none(self) -> Result<(), Stop> {
        self.0.visit_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Stop> {
        self.0.visit_unit()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Stop> {
        self.0.visit_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Stop> {
        self.0.visit_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        use ser::SerializeStruct as _;
        let mut members = self.serialize_map(Some(1))?;
        members.member(variant, value)?;
        members.end()
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Items<'s>, Stop> {
        let checks = self.0.compound::<Stop>(ARRAY)?;
        Ok(Items {
            walk: self.0,
            checks,
            count: 0,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Items<'s>, Stop> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Items<'s>, Stop> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Stop>, Stop> {
        self.0.fail(Verdict::Unknown)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Members<'s>, Stop> {
        let checks = self.0.compound::<Stop>(OBJECT)?;
        Ok(Members {
            walk: self.0,
            checks,
            seen: 0,
            count: 0,
            next: 0,
            value: ANY,
        })
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Members<'s>, Stop> {
        if name.starts_with(SERDE_JSON_PRIVATE) {
            return self.0.fail(Verdict::Unknown);
        }
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Stop>, Stop> {
        self.0.fail(Verdict::Unknown)
    }
}

/// The items of an array: each checked by `items`, then counted against the bounds.
struct Items<'s> {
    walk: Walk<'s>,
    /// `None`: the node accepts anything.
    checks: Option<&'s Checks>,
    count: u64,
}

impl ser::SerializeSeq for Items<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.count += 1;
        match self.checks {
            Some(checks) if checks.items != ANY => {
                value.serialize(Check(self.walk.child(checks.items)))
            }
            _ => Ok(()),
        }
    }

    fn end(self) -> Result<(), Stop> {
        match self.checks {
            Some(checks) => self.walk.array_end(checks, self.count),
            None => Ok(()),
        }
    }
}

impl ser::SerializeTuple for Items<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Stop> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Items<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Stop> {
        ser::SerializeSeq::end(self)
    }
}

/// The members of an object (a map or a struct): each checked by its property's node, then
/// the required names and the count.
struct Members<'s> {
    walk: Walk<'s>,
    /// `None`: the node accepts anything.
    checks: Option<&'s Checks>,
    /// Required bits of the names seen.
    seen: u64,
    count: u64,
    /// Where the next member's name is looked for first ([`Checks::property`]).
    next: usize,
    /// The node of the value whose key came last.
    value: u32,
}

impl Members<'_> {
    /// Notes a member's name and returns the node its value is checked by.
    fn name(&mut self, checks: &Checks, key: &str) -> u32 {
        self.count += 1;
        let (node, bit) = checks.property(key, &mut self.next);
        self.seen |= bit;
        node
    }

    fn value<T: Serialize + ?Sized>(&self, node: u32, value: &T) -> Result<(), Stop> {
        if node == ANY {
            return Ok(());
        }
        value.serialize(Check(self.walk.child(node)))
    }

    fn member<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Stop> {
        let Some(checks) = self.checks else {
            return Ok(());
        };
        let node = self.name(checks, key);
        self.value(node, value)
    }
}

impl ser::SerializeMap for Members<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        let Some(checks) = self.checks else {
            return Ok(());
        };
        let node = key.serialize(KeyNode {
            members: self,
            checks,
        })?;
        self.value = node;
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        if self.checks.is_none() {
            return Ok(());
        }
        self.value(self.value, value)
    }

    fn end(self) -> Result<(), Stop> {
        ser::SerializeStruct::end(self)
    }
}

impl ser::SerializeStruct for Members<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        self.member(key, value)
    }

    fn end(self) -> Result<(), Stop> {
        match self.checks {
            Some(checks) => self.walk.object_end(checks, self.seen, self.count),
            None => Ok(()),
        }
    }
}

/// A map key, as `serde_json` makes it a string: notes the member's name and answers the
/// node of its value.
struct KeyNode<'m, 's> {
    members: &'m mut Members<'s>,
    checks: &'s Checks,
}

impl KeyNode<'_, '_> {
    fn named(self, key: &str) -> Result<u32, Stop> {
        Ok(self.members.name(self.checks, key))
    }

    /// An integer key, written in decimal as `serde_json` writes it.
    fn integer(self, key: impl fmt::Display) -> Result<u32, Stop> {
        let mut decimal = Decimal::default();
        match fmt::Write::write_fmt(&mut decimal, format_args!("{key}")) {
            Ok(()) => {
                let text = std::str::from_utf8(&decimal.digits[..decimal.len]).unwrap_or("");
                self.named(text)
            }
            Err(_) => self.unknown(),
        }
    }

    /// A key `serde_json` makes otherwise, or refuses.
    fn unknown<T>(self) -> Result<T, Stop> {
        self.members.walk.fail(Verdict::Unknown)
    }
}

/// The decimal digits of an integer up to 128 bits, on the stack.
struct Decimal {
    digits: [u8; 40],
    len: usize,
}

impl Default for Decimal {
    fn default() -> Self {
        Self {
            digits: [0; 40],
            len: 0,
        }
    }
}

impl fmt::Write for Decimal {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.digits
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Integer keys, written in decimal.
macro_rules! key_integers {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(fn $name(self, v: $ty) -> Result<u32, Stop> {
            self.integer(v)
        })*
    };
}

/// Keys `serde_json` writes otherwise or refuses: left to the `jsonschema` route.
macro_rules! not_keys {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(self, $($arg: $ty),*) -> Result<$ret, Stop> {
            $(let _ = $arg;)*
            self.unknown()
        })*
    };
}

impl ser::Serializer for KeyNode<'_, '_> {
    type Ok = u32;
    type Error = Stop;
    type SerializeSeq = Impossible<u32, Stop>;
    type SerializeTuple = Impossible<u32, Stop>;
    type SerializeTupleStruct = Impossible<u32, Stop>;
    type SerializeTupleVariant = Impossible<u32, Stop>;
    type SerializeMap = Impossible<u32, Stop>;
    type SerializeStruct = Impossible<u32, Stop>;
    type SerializeStructVariant = Impossible<u32, Stop>;

    fn serialize_str(self, v: &str) -> Result<u32, Stop> {
        self.named(v)
    }

    fn serialize_char(self, v: char) -> Result<u32, Stop> {
        self.named(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<u32, Stop> {
        self.named(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<u32, Stop> {
        value.serialize(self)
    }

    key_integers!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
    );

    not_keys! {
        serialize_bool(v: bool) -> u32;
        serialize_f32(v: f32) -> u32;
        serialize_f64(v: f64) -> u32;
        serialize_bytes(v: &[u8]) -> u32;
        serialize_none() -> u32;
        serialize_unit() -> u32;
        serialize_unit_struct(name: &'static str) -> u32;
        serialize_seq(len: Option<usize>) -> Impossible<u32, Stop>;
        serialize_tuple(len: usize) -> Impossible<u32, Stop>;
        serialize_tuple_struct(name: &'static str, len: usize) -> Impossible<u32, Stop>;
        serialize_tuple_variant(
            name: &'static str, index: u32, variant: &'static str, len: usize
        ) -> Impossible<u32, Stop>;
        serialize_map(len: Option<usize>) -> Impossible<u32, Stop>;
        serialize_struct(name: &'static str, len: usize) -> Impossible<u32, Stop>;
        serialize_struct_variant(
            name: &'static str, index: u32, variant: &'static str, len: usize
        ) -> Impossible<u32, Stop>;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<u32, Stop> {
        self.unknown()
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<u32, Stop> {
        self.unknown()
    }
}
