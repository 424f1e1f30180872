//! Avro's logical types (Avro spec, "Logical Types") and the types they annotate, listed
//! once.
//!
//! | logical type | annotates |
//! |---|---|
//! | `date`, `time-millis` | `int` |
//! | `time-micros`, `timestamp-{millis,micros,nanos}`, `local-timestamp-{millis,micros,nanos}` | `long` |
//! | `decimal` | `bytes` or `fixed` |
//! | `big-decimal` | `bytes` |
//! | `uuid` | `string`, `bytes` or `fixed` |
//! | `duration` | `fixed` (12) |
//!
//! Whatever looks only at how a schema is encoded (the JSON and serde encoders, default
//! values, compatibility, since Java's `SchemaCompatibility` ignores logical types) sees a
//! schema through [`underlying`]; an Avro value's number through `int_logical!` and
//! `long_logical!`.

use apache_avro::Schema;
use apache_avro::schema::{
    EnumSchema, FixedSchema, InnerDecimalSchema, Name, RecordSchema, UnionSchema, UuidSchema,
};

/// The logical types that annotate an `int`, as a pattern over apache-avro's `Schema` or
/// `types::Value` (their variants share these names): `int_logical!(Schema)`, or
/// `int_logical!(Value, n)` to bind the value's number to `n`.
macro_rules! int_logical {
    ($enum:ident $(, $n:ident)?) => {
        $enum::Date $(($n))? | $enum::TimeMillis $(($n))?
    };
}

/// The logical types that annotate a `long`; used as `int_logical!` is.
macro_rules! long_logical {
    ($enum:ident $(, $n:ident)?) => {
        $enum::TimeMicros $(($n))?
            | $enum::TimestampMillis $(($n))?
            | $enum::TimestampMicros $(($n))?
            | $enum::TimestampNanos $(($n))?
            | $enum::LocalTimestampMillis $(($n))?
            | $enum::LocalTimestampMicros $(($n))?
            | $enum::LocalTimestampNanos $(($n))?
    };
}

pub(crate) use {int_logical, long_logical};

/// A schema as it is encoded: a logical type is the type it annotates, and the complex types
/// carry what their encoding needs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Underlying<'a> {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    /// A `fixed`, or a `decimal`, `uuid` or `duration` written as one.
    Fixed(&'a FixedSchema),
    Enum(&'a EnumSchema),
    /// An array of these items.
    Array(&'a Schema),
    /// A map of these values.
    Map(&'a Schema),
    Union(&'a UnionSchema),
    Record(&'a RecordSchema),
    /// A named type defined elsewhere, by its full name.
    Ref(&'a Name),
}

/// What `schema` is encoded as (see the table in the module docs).
pub(crate) fn underlying(schema: &Schema) -> Underlying<'_> {
    match schema {
        Schema::Null => Underlying::Null,
        Schema::Boolean => Underlying::Boolean,
        Schema::Int | int_logical!(Schema) => Underlying::Int,
        Schema::Long | long_logical!(Schema) => Underlying::Long,
        Schema::Float => Underlying::Float,
        Schema::Double => Underlying::Double,
        Schema::Bytes | Schema::BigDecimal | Schema::Uuid(UuidSchema::Bytes) => Underlying::Bytes,
        Schema::String | Schema::Uuid(UuidSchema::String) => Underlying::String,
        Schema::Fixed(fixed) | Schema::Duration(fixed) | Schema::Uuid(UuidSchema::Fixed(fixed)) => {
            Underlying::Fixed(fixed)
        }
        Schema::Decimal(decimal) => match &decimal.inner {
            InnerDecimalSchema::Bytes => Underlying::Bytes,
            InnerDecimalSchema::Fixed(fixed) => Underlying::Fixed(fixed),
        },
        Schema::Enum(enumeration) => Underlying::Enum(enumeration),
        Schema::Array(array) => Underlying::Array(&array.items),
        Schema::Map(map) => Underlying::Map(&map.types),
        Schema::Union(union) => Underlying::Union(union),
        Schema::Record(record) => Underlying::Record(record),
        Schema::Ref { name } => Underlying::Ref(name),
    }
}

/// Whether `encoded`, the binary datum just written for `schema`, reads back: the logical
/// types whose reader checks more than their underlying type's encoding (a `big-decimal`'s
/// bytes hold a length-prefixed unscaled value and a scale, a `uuid` must parse as one) are
/// decoded with apache-avro, as a consumer would; any other schema passes as it is.
///
/// Errors: the reader's reason, for the writers to report as the value's.
#[inline]
pub(crate) fn check_encoded(schema: &Schema, encoded: &[u8]) -> Result<(), String> {
    if matches!(schema, Schema::BigDecimal | Schema::Uuid(_)) {
        read_back(schema, encoded)
    } else {
        Ok(())
    }
}

/// [`check_encoded`] of the logical types it decodes, out of line: every string and bytes
/// value passes the test above, few reach here.
#[inline(never)]
fn read_back(schema: &Schema, encoded: &[u8]) -> Result<(), String> {
    let mut rest = encoded;
    let read = apache_avro::reader::datum::GenericDatumReader::builder(schema)
        .build()
        .and_then(|reader| reader.read_value(&mut rest));
    match read {
        Ok(_) if rest.is_empty() => Ok(()),
        Ok(_) => Err(format!(
            "{} bytes left over in the {}",
            rest.len(),
            logical_name(schema)
        )),
        Err(e) => Err(format!("not a valid {}: {e}", logical_name(schema))),
    }
}

fn logical_name(schema: &Schema) -> &'static str {
    match schema {
        Schema::BigDecimal => "big-decimal",
        _ => "uuid",
    }
}
