//! The part of a record that a contract's write rules can read, when none of them can
//! rewrite it: found once per schema version from the rules and the schema
//! ([`Contract::write_projection`]), and taken from each record instead of a full copy
//! (a JSON document) or a full conversion (`serde_json::to_value` of a struct).
//!
//! The rules then run on the projected record and see what they would see on the whole
//! one: a `CEL` program the fields it selects (`message.customer.email` keeps `customer`
//! with only `email`), a `CEL_FIELD` rule the fields its tags (and a guard on `name` or
//! `fullName`, `name == 'email' ; …`) can select, and the records on the way to them.
//! A rule that reads more (`size(message)`, a field rule reading `message`, a field
//! rule with neither tags nor a name guard) takes the whole record.

use serde::Serialize;
use serde::ser;
use serde_json::{Map, Value};

use apache_avro::Schema as AvroNode;
use warden_core::ParsedSchema;
use warden_core::avro::AvroSchema;
use warden_core::rules::{RuleKind, RuleMode};

use super::cel::Reads;
use super::{Contract, FieldInfo, json_nested, name_guard, selects};

/// What to keep of a value: all of it, or of an object only these fields (a value that
/// is not an object is kept whole).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Projection {
    All,
    Fields(Vec<(String, Projection)>),
}

impl Projection {
    fn empty() -> Self {
        Projection::Fields(Vec::new())
    }

    fn is_empty(&self) -> bool {
        matches!(self, Projection::Fields(f) if f.is_empty())
    }

    /// Adds `path` (kept whole at its end).
    fn add_path(&mut self, path: &[String]) {
        let Some((first, rest)) = path.split_first() else {
            *self = Projection::All;
            return;
        };
        let mut sub = Projection::empty();
        sub.add_path(rest);
        self.merge(Projection::Fields(vec![(first.clone(), sub)]));
    }

    /// Keeps what `self` or `other` keeps.
    fn merge(&mut self, other: Projection) {
        match (&mut *self, other) {
            (Projection::All, _) => {}
            (_, Projection::All) => *self = Projection::All,
            (Projection::Fields(mine), Projection::Fields(theirs)) => {
                for (name, p) in theirs {
                    match mine.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, existing)) => existing.merge(p),
                        None => mine.push((name, p)),
                    }
                }
            }
        }
    }

    /// The projected copy of a JSON record.
    pub(crate) fn of_json(&self, value: &Value) -> Value {
        match (self, value) {
            (Projection::Fields(fields), Value::Object(map)) => {
                let mut out = Map::with_capacity(fields.len());
                for (name, p) in fields {
                    if let Some(v) = map.get(name) {
                        out.insert(name.clone(), p.of_json(v));
                    }
                }
                Value::Object(out)
            }
            (_, value) => value.clone(),
        }
    }

    /// The projected JSON form of a serde value: what [`Projection::of_json`] gives of
    /// `serde_json::to_value(value)`, without converting the fields it leaves out. A
    /// value that serializes as a map (not a struct) is converted whole.
    ///
    /// Errors: serde's, for the parts converted.
    pub(crate) fn of_serde<T: Serialize + ?Sized>(
        &self,
        value: &T,
    ) -> Result<Value, serde_json::Error> {
        match self {
            Projection::All => serde_json::to_value(value),
            Projection::Fields(fields) => value.serialize(Projector(fields)),
        }
    }
}

impl Projection {
    /// [`Projection::of_serde`] written over `out`, the projection an earlier record left
    /// there: its maps, keys and strings are kept and overwritten, so that a serializer
    /// projecting record after record of one type allocates little. Shapes it does not
    /// overwrite (sequences, maps, bytes, whole structs, ...) are converted as
    /// [`Projection::of_serde`] converts them. The keys of a projected struct may be in
    /// another order than `of_serde`'s; the rules read projected structs by key only
    /// (a rule reading a record whole has no projection).
    ///
    /// Errors: serde's, for the parts converted.
    pub(crate) fn of_serde_into<T: Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Value,
    ) -> Result<(), serde_json::Error> {
        if value
            .serialize(Overwrite {
                projection: self,
                out: &mut *out,
            })
            .is_err()
        {
            *out = self.of_serde(value)?;
        }
        Ok(())
    }
}

/// A serde serializer writing a projected value over an earlier one
/// ([`Projection::of_serde_into`]); it fails, with nothing to report, on the shapes it
/// leaves to [`Projection::of_serde`].
struct Overwrite<'a> {
    projection: &'a Projection,
    out: &'a mut Value,
}

/// The failure that sends a value to [`Projection::of_serde`].
fn elsewhere() -> serde_json::Error {
    ser::Error::custom("")
}

impl Overwrite<'_> {
    fn set(self, value: Value) -> Result<(), serde_json::Error> {
        *self.out = value;
        Ok(())
    }
}

/// Methods [`Overwrite`] leaves to [`Projection::of_serde`].
macro_rules! elsewhere {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(self, $($arg: $ty),*) -> Result<$ret, Self::Error> {
            $(let _ = $arg;)*
            Err(elsewhere())
        })*
    };
}

impl<'a> ser::Serializer for Overwrite<'a> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = ser::Impossible<(), serde_json::Error>;
    type SerializeTuple = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = ser::Impossible<(), serde_json::Error>;
    type SerializeMap = ser::Impossible<(), serde_json::Error>;
    type SerializeStruct = OverwriteStruct<'a>;
    type SerializeStructVariant = ser::Impossible<(), serde_json::Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Self::Error> {
        self.set(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Self::Error> {
        self.set(Value::from(v))
    }
    fn serialize_str(self, v: &str) -> Result<(), Self::Error> {
        match self.out {
            Value::String(s) => {
                s.clear();
                s.push_str(v);
                Ok(())
            }
            out => {
                *out = Value::String(v.to_owned());
                Ok(())
            }
        }
    }
    fn serialize_none(self) -> Result<(), Self::Error> {
        self.set(Value::Null)
    }
    fn serialize_unit(self) -> Result<(), Self::Error> {
        self.set(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Self::Error> {
        self.set(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Self::Error> {
        self.serialize_str(variant)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Self::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Self::Error> {
        Err(elsewhere())
    }
    elsewhere! {
        serialize_i128(v: i128) -> ();
        serialize_u128(v: u128) -> ();
        serialize_char(v: char) -> ();
        serialize_bytes(v: &[u8]) -> ();
        serialize_seq(len: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(len: usize) -> Self::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Self::SerializeTupleVariant;
        serialize_map(len: Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Self::SerializeStructVariant;
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        // A struct kept whole, serde_json's own marker structs, and more fields than the
        // mask below holds are converted by `of_serde`.
        let Projection::Fields(fields) = self.projection else {
            return Err(elsewhere());
        };
        if name.starts_with("$serde_json::private") || fields.len() > 64 {
            return Err(elsewhere());
        }
        if !self.out.is_object() {
            *self.out = Value::Object(Map::with_capacity(fields.len()));
        }
        let Value::Object(map) = self.out else {
            unreachable!("an object was just put there");
        };
        Ok(OverwriteStruct {
            fields,
            map,
            written: 0,
        })
    }
}

/// Overwrites a projected struct's fields in the map an earlier record left, and drops
/// those this one does not have.
struct OverwriteStruct<'a> {
    fields: &'a [(String, Projection)],
    map: &'a mut Map<String, Value>,
    /// The projected fields written, by their index in `fields`.
    written: u64,
}

impl ser::SerializeStruct for OverwriteStruct<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        let Some(index) = self.fields.iter().position(|(n, _)| n == key) else {
            return Ok(());
        };
        let (name, projection) = &self.fields[index];
        self.written |= 1 << index;
        match self.map.get_mut(key) {
            Some(slot) => projection.of_serde_into(value, slot),
            None => {
                self.map.insert(name.clone(), projection.of_serde(value)?);
                Ok(())
            }
        }
    }

    fn end(self) -> Result<(), Self::Error> {
        if self.map.len() != self.written.count_ones() as usize {
            let (fields, written) = (self.fields, self.written);
            self.map.retain(|key, _| {
                fields
                    .iter()
                    .position(|(n, _)| n == key)
                    .is_some_and(|i| written & (1 << i) != 0)
            });
        }
        Ok(())
    }
}

impl Contract {
    /// The part of a record of `schema` that the write rules can read, when no write rule
    /// can rewrite the record; `None` when they need all of it (or may rewrite it). Found
    /// at the first record and kept for the schema version.
    pub(crate) fn write_projection(&self, schema: &ParsedSchema) -> Option<&Projection> {
        self.projection
            .get_or_init(|| {
                if self.may_rewrite(RuleMode::Write) {
                    return None;
                }
                let p = self.build_projection(schema)?;
                (p != Projection::All).then_some(p)
            })
            .as_ref()
    }

    fn build_projection(&self, schema: &ParsedSchema) -> Option<Projection> {
        let mut projection = Projection::empty();
        for (index, rule) in self.rules.domain_rules.iter().enumerate() {
            if rule.disabled || !rule.mode.applies_to(RuleMode::Write) {
                continue;
            }
            if rule.kind != RuleKind::Condition {
                return None;
            }
            let Some(Ok(program)) = &self.programs[index] else {
                // A rule that fails without reading the record (no executor, a compile
                // error): nothing to keep for it.
                continue;
            };
            match rule.rule_type.to_ascii_uppercase().as_str() {
                "CEL" => {
                    let mut paths = Vec::new();
                    let native = program.native().is_some_and(|(guard, expr)| {
                        guard.is_none_or(|g| g.message_paths(&mut paths))
                            && expr.message_paths(&mut paths)
                    });
                    if !native {
                        paths.clear();
                        match program.reads() {
                            Reads::Fields(fields) => {
                                paths.extend(fields.iter().map(|f| vec![f.clone()]))
                            }
                            Reads::Whole => return None,
                        }
                    }
                    for path in &paths {
                        projection.add_path(path);
                    }
                }
                "CEL_FIELD" => {
                    if program.uses("message") {
                        return None;
                    }
                    let names = name_guard(program);
                    if rule.tags.is_empty() && names.is_none() {
                        return None;
                    }
                    let wanted = |info: &FieldInfo| selects(rule, names.as_ref(), info);
                    let fields = match schema {
                        ParsedSchema::Avro(avro) => {
                            self.avro_projection(avro, avro.schema(), &wanted, 0)
                        }
                        ParsedSchema::Json(json) => {
                            self.json_projection(json.value(), &mut String::from("$"), &wanted, 0)?
                        }
                        _ => return None,
                    };
                    if let Some(fields) = fields {
                        projection.merge(fields);
                    }
                }
                // Any other rule type fails by its onFailure without reading the record.
                _ => {}
            }
        }
        Some(projection)
    }

    /// What a field rule selecting `wanted` fields needs of a value of Avro type `node`:
    /// `None` when no wanted field can be inside it.
    fn avro_projection(
        &self,
        root: &AvroSchema,
        node: &AvroNode,
        wanted: &dyn Fn(&FieldInfo) -> bool,
        depth: usize,
    ) -> Option<Projection> {
        if depth > super::MAX_DEPTH {
            return Some(Projection::All);
        }
        match node {
            AvroNode::Ref { name } => {
                let named = self.plan.avro_named(root, name)?;
                self.avro_projection(root, named, wanted, depth + 1)
            }
            AvroNode::Record(record) => {
                let infos = self.plan.avro_record(record, &self.tags);
                let mut fields = Projection::empty();
                for (rf, info) in record.fields.iter().zip(infos.iter()) {
                    // A wanted field is kept whole (a union of a record and a string is
                    // checked as a field when it holds the string).
                    let inner = if wanted(info) {
                        Some(Projection::All)
                    } else if info.nested {
                        self.avro_projection(root, &rf.schema, wanted, depth + 1)
                    } else {
                        None
                    };
                    if let Some(inner) = inner {
                        fields.merge(Projection::Fields(vec![(rf.name.clone(), inner)]));
                    }
                }
                (!fields.is_empty()).then_some(fields)
            }
            // Inside arrays, maps and unions the whole value is kept when a wanted field
            // may be in it (a union's leaf branch too: the walk then calls the rule on it).
            AvroNode::Array(array) => self
                .avro_projection(root, &array.items, wanted, depth + 1)
                .map(|_| Projection::All),
            AvroNode::Map(map) => self
                .avro_projection(root, &map.types, wanted, depth + 1)
                .map(|_| Projection::All),
            AvroNode::Union(union) => union
                .variants()
                .iter()
                .any(|v| {
                    matches!(
                        v,
                        AvroNode::Record(_)
                            | AvroNode::Ref { .. }
                            | AvroNode::Array(_)
                            | AvroNode::Map(_)
                            | AvroNode::Union(_)
                    ) && self.avro_projection(root, v, wanted, depth + 1).is_some()
                })
                .then_some(Projection::All),
            // A leaf reached as a field's type is decided by the field (above).
            _ => None,
        }
    }

    /// [`Contract::avro_projection`] for a JSON Schema subschema at `path`: `Some(None)`
    /// when no wanted field can be inside it, `None` when that is not known (combinators and
    /// `$ref`, whose branches the walk picks per record: the whole value is kept).
    fn json_projection(
        &self,
        schema: &Value,
        path: &mut String,
        wanted: &dyn Fn(&FieldInfo) -> bool,
        depth: usize,
    ) -> Option<Option<Projection>> {
        let Value::Object(s) = schema else {
            return Some(None);
        };
        if depth > super::MAX_DEPTH
            || ["allOf", "anyOf", "oneOf", "$ref"]
                .iter()
                .any(|k| s.contains_key(*k))
        {
            return None;
        }
        if let Some(items) = s.get("items") {
            // The walk visits the items' properties under the array's path; an array that
            // may hold a wanted field is kept whole.
            return match self.json_projection(items, path, wanted, depth + 1) {
                Some(None) => Some(None),
                _ => Some(Some(Projection::All)),
            };
        }
        // Without properties the walk visits nothing inside (a map's values included).
        let Some(Value::Object(props)) = s.get("properties") else {
            return Some(None);
        };
        let mut fields = Projection::empty();
        for (name, prop) in props {
            let parent = path.len();
            path.push('.');
            path.push_str(name);
            let info = self.plan.json_field(path, name, prop, &self.tags);
            let inner = if wanted(&info) {
                Some(Projection::All)
            } else if json_nested(prop) {
                self.json_projection(prop, path, wanted, depth + 1)
                    .unwrap_or(Some(Projection::All))
            } else {
                None
            };
            path.truncate(parent);
            if let Some(inner) = inner {
                fields.merge(Projection::Fields(vec![(name.clone(), inner)]));
            }
        }
        Some((!fields.is_empty()).then_some(fields))
    }
}

/// A serde serializer giving the projected JSON form of a value: a struct keeps only the
/// projected fields (each converted by its projection); anything else is converted whole
/// by `serde_json`'s own serializer.
struct Projector<'p>(&'p [(String, Projection)]);

/// Collects a struct's projected fields.
struct ProjectedStruct<'p> {
    fields: &'p [(String, Projection)],
    out: Map<String, Value>,
}

impl ser::SerializeStruct for ProjectedStruct<'_> {
    type Ok = Value;
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        if let Some((name, p)) = self.fields.iter().find(|(n, _)| n == key) {
            self.out.insert(name.clone(), p.of_serde(value)?);
        }
        Ok(())
    }

    fn end(self) -> Result<Value, Self::Error> {
        Ok(Value::Object(self.out))
    }
}

/// Delegates a method to `serde_json`'s value serializer (the value converted whole).
macro_rules! whole {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(self, $($arg: $ty),*) -> Result<$ret, Self::Error> {
            serde_json::value::Serializer.$name($($arg),*)
        })*
    };
}

impl<'p> ser::Serializer for Projector<'p> {
    type Ok = Value;
    type Error = serde_json::Error;
    type SerializeSeq = <serde_json::value::Serializer as ser::Serializer>::SerializeSeq;
    type SerializeTuple = <serde_json::value::Serializer as ser::Serializer>::SerializeTuple;
    type SerializeTupleStruct =
        <serde_json::value::Serializer as ser::Serializer>::SerializeTupleStruct;
    type SerializeTupleVariant =
        <serde_json::value::Serializer as ser::Serializer>::SerializeTupleVariant;
    type SerializeMap = <serde_json::value::Serializer as ser::Serializer>::SerializeMap;
    type SerializeStruct = StructOrWhole<'p>;
    type SerializeStructVariant =
        <serde_json::value::Serializer as ser::Serializer>::SerializeStructVariant;

    whole! {
        serialize_bool(v: bool) -> Value;
        serialize_i8(v: i8) -> Value;
        serialize_i16(v: i16) -> Value;
        serialize_i32(v: i32) -> Value;
        serialize_i64(v: i64) -> Value;
        serialize_i128(v: i128) -> Value;
        serialize_u8(v: u8) -> Value;
        serialize_u16(v: u16) -> Value;
        serialize_u32(v: u32) -> Value;
        serialize_u64(v: u64) -> Value;
        serialize_u128(v: u128) -> Value;
        serialize_f32(v: f32) -> Value;
        serialize_f64(v: f64) -> Value;
        serialize_char(v: char) -> Value;
        serialize_str(v: &str) -> Value;
        serialize_bytes(v: &[u8]) -> Value;
        serialize_none() -> Value;
        serialize_unit() -> Value;
        serialize_unit_struct(name: &'static str) -> Value;
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> Value;
        serialize_seq(len: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(len: usize) -> Self::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Self::SerializeTupleVariant;
        serialize_map(len: Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Self::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Self::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Self::Error> {
        serde_json::value::Serializer.serialize_newtype_variant(name, index, variant, value)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        // serde_json's arbitrary-precision and raw-value markers are structs it converts
        // itself.
        if name.starts_with("$serde_json::private") {
            return Ok(StructOrWhole::Whole(
                serde_json::value::Serializer.serialize_struct(name, len)?,
            ));
        }
        Ok(StructOrWhole::Projected(ProjectedStruct {
            fields: self.0,
            out: Map::with_capacity(self.0.len()),
        }))
    }
}

/// A struct projected, or converted whole by serde_json.
enum StructOrWhole<'p> {
    Projected(ProjectedStruct<'p>),
    Whole(<serde_json::value::Serializer as ser::Serializer>::SerializeStruct),
}

impl ser::SerializeStruct for StructOrWhole<'_> {
    type Ok = Value;
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        match self {
            StructOrWhole::Projected(p) => p.serialize_field(key, value),
            StructOrWhole::Whole(w) => w.serialize_field(key, value),
        }
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), Self::Error> {
        match self {
            StructOrWhole::Projected(_) => Ok(()),
            StructOrWhole::Whole(w) => w.skip_field(key),
        }
    }

    fn end(self) -> Result<Value, Self::Error> {
        match self {
            StructOrWhole::Projected(p) => p.end(),
            StructOrWhole::Whole(w) => w.end(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Customer {
        email: String,
        name: String,
    }

    #[derive(Serialize)]
    struct Order {
        id: String,
        customer: Option<Customer>,
        amount: f64,
        tags: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    const SHOP: &str = r#"{
      "type": "record", "name": "Order", "namespace": "acme",
      "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
          {"name": "email", "type": "string", "confluent:tags": ["PII"]},
          {"name": "name", "type": "string"}]}},
        {"name": "billing", "type": ["null", "Customer"], "default": null},
        {"name": "others", "type": {"type": "array", "items": "Customer"}},
        {"name": "note", "type": ["null", "string"], "default": null},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "email", "type": "string"}
      ]
    }"#;

    const SHOP_JSON: &str = r##"{
      "type": "object",
      "definitions": {"customer": {"type": "object", "properties": {
        "email": {"type": "string", "confluent:tags": ["PII"]}, "name": {"type": "string"}}}},
      "properties": {
        "id": {"type": "string"},
        "amount": {"type": "number"},
        "customer": {"type": "object", "properties": {
          "email": {"type": "string", "confluent:tags": ["PII"]}, "name": {"type": "string"}}},
        "billing": {"oneOf": [{"type": "null"}, {"$ref": "#/definitions/customer"}]},
        "others": {"type": "array", "items": {"$ref": "#/definitions/customer"}},
        "note": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
        "email": {"type": "string"}
      }
    }"##;

    fn outcome(result: crate::Result<()>) -> Option<(String, Option<String>, String)> {
        match result {
            Ok(()) => None,
            Err(crate::SerdeError::Rule(f)) => Some((f.rule, f.field, f.message)),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_rules_answer_on_the_projection_as_on_the_whole_record() {
        let schema =
            ParsedSchema::parse(warden_core::SchemaType::Avro, SHOP, &[]).expect("a schema");
        let customer = |email: &str| json!({"email": email, "name": "A"});
        let good = json!({"id": "o", "amount": 1.5, "customer": customer("a@example.com"),
            "billing": customer("b@example.com"), "others": [customer("c@example.com")],
            "note": "n", "tags": ["x"], "email": "d@example.com", "attributes": {"a": "b"}});
        let mut records = vec![good.clone()];
        for (pointer, bad) in [
            ("/amount", json!(-1)),
            ("/amount", json!("1")),
            ("/customer/email", json!("nope")),
            ("/billing", json!(null)),
            ("/billing/email", json!("nope")),
            ("/others/0/email", json!("nope")),
            ("/note", json!(null)),
            ("/tags", json!([])),
            ("/email", json!("nope")),
            ("/customer", json!("not a record")),
        ] {
            let mut record = good.clone();
            *record.pointer_mut(pointer).unwrap() = bad;
            records.push(record);
        }
        records.push(json!({}));
        let rule = |ty: &str, tags: Value, expr: &str| {
            json!({"name": format!("r-{expr}"), "kind": "CONDITION", "mode": "WRITE",
                   "type": ty, "tags": tags, "expr": expr})
        };
        let contracts = vec![
            vec![rule("CEL", json!([]), "message.amount >= 0.0")],
            vec![rule(
                "CEL",
                json!([]),
                "has(message.note) && message.customer.email.endsWith('.com')",
            )],
            vec![rule("CEL", json!([]), "message.tags.exists(t, t == 'x')")],
            vec![rule("CEL_FIELD", json!(["PII"]), "value.isEmail()")],
            vec![rule(
                "CEL_FIELD",
                json!([]),
                "name == 'email' ; value.isEmail()",
            )],
            vec![
                rule("CEL", json!([]), "message.amount >= 0.0"),
                rule(
                    "CEL_FIELD",
                    json!(["PII"]),
                    "typeName == 'STRING' ; value.contains('@')",
                ),
            ],
        ];
        // The same rules on the same records under Avro and under a JSON Schema.
        let json_schema =
            ParsedSchema::parse(warden_core::SchemaType::Json, SHOP_JSON, &[]).expect("a schema");
        for (schema, format) in [(&schema, "Avro"), (&json_schema, "JSON Schema")] {
            for rules in &contracts {
                let rule_set = json!({"domainRules": rules});
                let contract = Contract::new(Some(&rule_set), None).unwrap().unwrap();
                let projection = contract
                    .write_projection(schema)
                    .unwrap_or_else(|| panic!("{format}: {rule_set} reads part of the record"))
                    .clone();
                let keys = super::super::encrypt::RuleKeys::default();
                for record in &records {
                    let run = |mut message: Value| {
                        outcome(contract.execute(
                            RuleMode::Write,
                            schema,
                            None,
                            None,
                            &mut message,
                            &keys,
                        ))
                    };
                    assert_eq!(
                        run(projection.of_json(record)),
                        run(record.clone()),
                        "{format}: {rule_set} on {record}"
                    );
                    // On the borrowed record (field rules by their routes) as on a copy.
                    let checked = contract
                        .check(RuleMode::Write, schema, None, record)
                        .unwrap_or_else(|| panic!("{format}: {rule_set} runs borrowed"));
                    assert_eq!(
                        outcome(checked),
                        run(record.clone()),
                        "{format}: {rule_set} on {record}, borrowed"
                    );
                }
            }
        }
        // What needs the whole record has no projection.
        for rules in [
            vec![rule("CEL", json!([]), "size(message) > 1")],
            vec![rule("CEL_FIELD", json!([]), "value != null")],
            vec![rule("CEL_FIELD", json!(["PII"]), "message.name != ''")],
        ] {
            let rule_set = json!({"domainRules": rules});
            let contract = Contract::new(Some(&rule_set), None).unwrap().unwrap();
            assert_eq!(contract.write_projection(&schema), None, "{rule_set}");
        }
    }

    #[test]
    fn a_projection_of_a_struct_is_the_projection_of_its_json() {
        let mut p = Projection::empty();
        p.add_path(&["amount".into()]);
        p.add_path(&["customer".into(), "email".into()]);
        p.add_path(&["note".into()]);
        p.add_path(&["tags".into(), "x".into()]);
        let orders = [
            Order {
                id: "o".into(),
                customer: Some(Customer {
                    email: "a@example.com".into(),
                    name: "A".into(),
                }),
                amount: 2.5,
                tags: vec!["t".into()],
                note: None,
            },
            Order {
                id: "o".into(),
                customer: None,
                amount: -1.0,
                tags: vec![],
                note: Some("n".into()),
            },
        ];
        for order in &orders {
            let whole = serde_json::to_value(order).unwrap();
            assert_eq!(p.of_serde(order).unwrap(), p.of_json(&whole));
        }
        assert_eq!(
            p.of_json(&serde_json::to_value(&orders[0]).unwrap()),
            json!({"amount": 2.5, "customer": {"email": "a@example.com"}, "tags": ["t"]})
        );
        // Written over the projection of each other record, in every order, as fresh.
        let mut out = Value::Null;
        for order in orders.iter().chain(orders.iter().rev()).chain(&orders) {
            p.of_serde_into(order, &mut out).unwrap();
            assert_eq!(out, p.of_serde(order).unwrap());
        }
        let mut all = p.clone();
        all.add_path(&[]);
        assert_eq!(all, Projection::All);
    }
}
