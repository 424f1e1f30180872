//! Request bodies read as Confluent's Java stack reads them: Jackson 2 (jackson-databind 2.x
//! with its default coercions, as `JacksonMapper.INSTANCE` configures it: only
//! `ALLOW_NON_NUMERIC_NUMBERS` and the JDK 8 module on top of the defaults), and the
//! messages rest-utils' `JsonMappingExceptionMapper` makes of Jackson's mapping errors
//! (HTTP 400, error code 400): `getOriginalMessage()` cut before `(for Object starting at`,
//! with the package (and outer class) left out of the first back-quoted class name.
//!
//! Every function here takes one JSON value of a field and answers what the Java field holds
//! after Jackson read it, or the message Confluent answers. Certain, from jackson-databind's
//! sources: which token shapes coerce (`StdDeserializer._parseString`, `_parseInteger`,
//! `_parseBoolean`, `CoercionConfigs.findCoercion`) and the message formats
//! (`DeserializationContext.handleUnexpectedToken`, `weirdStringException`,
//! `handleMissingInstantiator`). Approximated: a number's text where Jackson quotes the
//! token as written (`p.getText()`): integers are exact, a float is written as serde_json
//! prints it (`1e3` becomes `1000.0`); `NaN` and `Infinity`, which Confluent's mapper accepts,
//! are JSON syntax errors here.

use serde_json::{Map, Value};

/// A request class as Jackson maps it: a JSON object read field by field, unknown fields
/// ignored (`@JsonIgnoreProperties(ignoreUnknown = true)` on every Confluent request class).
pub trait JacksonRequest: Sized {
    /// The class's simple name, as Jackson's messages name it once rest-utils has dropped
    /// the package (`RegisterSchemaRequest`).
    const CLASS: &'static str;

    /// The object's fields, in document order, mapped as Jackson maps them; the error is the
    /// message Confluent answers with 400.
    fn from_fields(fields: &Map<String, Value>) -> Result<Self, String>;
}

/// Reads a whole request body (already parsed as JSON) as Jackson reads `T`: `Ok(None)` for
/// `null`, which reaches Confluent's resource as a null entity (a `@NotNull` violation,
/// 422); a scalar or an array is a mapping error (`BeanDeserializerBase.deserializeFromString`
/// and friends; `handleMissingInstantiator`).
pub fn read<T: JacksonRequest>(value: &Value) -> Result<Option<T>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Object(fields) => T::from_fields(fields).map(Some),
        other => Err(creator_mismatch(T::CLASS, other).unwrap_or_default()),
    }
}

/// Jackson's description of a token, as `JsonToken.valueDescFor` (jackson-core 2.16+) and
/// the token's name: `("Array value", "START_ARRAY")`.
fn token(value: &Value) -> (&'static str, &'static str) {
    match value {
        Value::Null => ("Null value", "VALUE_NULL"),
        Value::Bool(true) => ("Boolean value", "VALUE_TRUE"),
        Value::Bool(false) => ("Boolean value", "VALUE_FALSE"),
        Value::Number(n) if n.is_f64() => ("Floating-point value", "VALUE_NUMBER_FLOAT"),
        Value::Number(_) => ("Integer value", "VALUE_NUMBER_INT"),
        Value::String(_) => ("String value", "VALUE_STRING"),
        Value::Array(_) => ("Array value", "START_ARRAY"),
        Value::Object(_) => ("Object value", "START_OBJECT"),
    }
}

/// `DeserializationContext.handleUnexpectedToken`: "Cannot deserialize value of type
/// `String` from Array value (token `JsonToken.START_ARRAY`)"; `class` as rest-utils leaves
/// it (the package dropped).
fn unexpected(class: &str, value: &Value) -> String {
    let (shape, name) = token(value);
    format!("Cannot deserialize value of type `{class}` from {shape} (token `JsonToken.{name}`)")
}

/// `DeserializationContext.weirdStringException`: "Cannot deserialize value of type
/// `Integer` from String "x": not a valid `java.lang.Integer` value" (only the first class
/// name loses its package; Jackson cuts strings over 500 chars to their ends,
/// `DatabindContext._truncate`).
fn weird_string(class: &str, text: &str, why: &str) -> String {
    const MAX: usize = 500;
    let chars: Vec<char> = text.chars().collect();
    let shown = if chars.len() <= MAX {
        text.to_owned()
    } else {
        let head: String = chars[..MAX].iter().collect();
        let tail: String = chars[chars.len() - MAX..].iter().collect();
        format!("{head}]...[{tail}")
    };
    format!("Cannot deserialize value of type `{class}` from String \"{shown}\": {why}")
}

/// The text of a number token as Jackson's `getText()` gives it (see the module's note on
/// floats).
fn number_text(n: &serde_json::Number) -> String {
    n.to_string()
}

/// A `String` field (Jackson `StringDeserializer`, `StdDeserializer._parseString`): a string
/// as is; a number or boolean becomes its text (`42` → `"42"`, `true` → `"true"`: the default
/// `CoercionAction.TryConvert`); `null` is absent; an array or object is a mapping error.
pub fn string(value: &Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Number(n) => Ok(Some(number_text(n))),
        Value::Array(_) | Value::Object(_) => Err(unexpected("String", value)),
    }
}

/// Java's `String.trim`: drops every char up to U+0020 at both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// "Numeric value (3000000000) out of range of int (-2147483648 - 2147483647)": jackson-core's
/// `ParserBase.reportOverflowInt`, wrapped with its path by `JsonMappingException.wrapWithPath`
/// (whose original message is the core exception's original message).
fn int_overflow(text: &str) -> String {
    format!(
        "Numeric value ({text}) out of range of int ({} - {})",
        i32::MIN,
        i32::MAX
    )
}

/// An `Integer` field (Jackson `NumberDeserializers.IntegerDeserializer`,
/// `StdDeserializer._parseInteger`): an int token; a float token truncated toward zero
/// (`ACCEPT_FLOAT_AS_INT`, on by default in Jackson 2); a string holding an int (`"1"`, after
/// Java's `trim`; `""`, blank and `"null"` are null); `null` is absent. Out of the int range,
/// an array, an object, a boolean or another string is a mapping error with Jackson's
/// message.
pub fn integer(value: &Value) -> Result<Option<i32>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return i32::try_from(i)
                    .map(Some)
                    .map_err(|_| int_overflow(&number_text(n)));
            }
            // A float (or an integer beyond 64 bits): `ParserBase.convertNumberToInt` checks the
            // range on the double, then casts (truncation toward zero).
            let d = n.as_f64().unwrap_or(f64::NAN);
            if d < f64::from(i32::MIN) || d > f64::from(i32::MAX) {
                return Err(int_overflow(&number_text(n)));
            }
            #[allow(clippy::cast_possible_truncation)]
            Ok(Some(d as i32))
        }
        Value::String(text) => {
            let trimmed = java_trim(text);
            if trimmed.is_empty() || trimmed == "null" {
                return Ok(None);
            }
            parse_java_int(trimmed).map(Some)
        }
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => Err(unexpected("Integer", value)),
    }
}

/// `StdDeserializer._parseInteger(ctxt, text)`: Java's `Integer.parseInt` (through jackson-
/// core's `NumberInput`; over nine chars, `Long.parseLong` and an overflow check).
fn parse_java_int(text: &str) -> Result<i32, String> {
    let invalid = || weird_string("Integer", text, "not a valid `java.lang.Integer` value");
    let digits = text
        .strip_prefix('-')
        .or_else(|| text.strip_prefix('+'))
        .unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    if text.len() > 9 {
        let long: i64 = text.parse().map_err(|_| invalid())?;
        return i32::try_from(long).map_err(|_| {
            weird_string(
                "Integer",
                text,
                &format!(
                    "Overflow: numeric value ({text}) out of range of `java.lang.Integer` ({} -{})",
                    i32::MIN,
                    i32::MAX
                ),
            )
        });
    }
    text.parse().map_err(|_| invalid())
}

/// A `Boolean` field (Jackson `NumberDeserializers.BooleanDeserializer`,
/// `StdDeserializer._parseBoolean`): `true`/`false`; an int token is true unless zero
/// (`_coerceBooleanFromInt`); a string `true`, `True`, `TRUE`, `false`, `False`, `FALSE`
/// (after Java's `trim`; `""`, blank and `"null"` are null); `null` is absent. A float, an
/// array, an object or another string is a mapping error.
pub fn boolean(value: &Value) -> Result<Option<bool>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::Number(n) if !n.is_f64() => Ok(Some(number_text(n) != "0")),
        Value::String(text) => match java_trim(text) {
            "" | "null" => Ok(None),
            "true" | "True" | "TRUE" => Ok(Some(true)),
            "false" | "False" | "FALSE" => Ok(Some(false)),
            trimmed => Err(weird_string(
                "Boolean",
                trimmed,
                "only \"true\" or \"false\" recognized",
            )),
        },
        Value::Number(_) | Value::Array(_) | Value::Object(_) => Err(unexpected("Boolean", value)),
    }
}

/// A `List<E>` field (Jackson `CollectionDeserializer`): an array's elements; `null` is
/// absent; anything else is a mapping error naming the list type as rest-utils cuts it: the
/// type is `java.util.ArrayList<…E>` and the mapper keeps what follows its last dot,
/// `` `E>` `` (`JsonMappingExceptionMapper.sanitizeExceptionMessage`).
pub fn list<'v>(value: &'v Value, element_class: &str) -> Result<Option<&'v [Value]>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Array(items) => Ok(Some(items)),
        other => Err(unexpected(&format!("{element_class}>"), other)),
    }
}

/// What Jackson answers when a JSON value cannot be mapped onto the class `class` (a bean:
/// `Metadata`, `RuleSet`, `SchemaReference`, or a whole request): only objects and `null`
/// fit. `None` when the value fits. (`BeanDeserializerBase.deserializeFromString`,
/// `deserializeFromNumber`, `deserializeFromBoolean`, `_deserializeFromArray`;
/// `DeserializationContext.handleMissingInstantiator`.)
pub fn creator_mismatch(class: &str, value: &Value) -> Option<String> {
    let no_creator = |what: String| {
        Some(format!(
            "Cannot construct instance of `{class}` (although at least one Creator exists): \
             no {what}"
        ))
    };
    match value {
        Value::Null | Value::Object(_) => None,
        Value::Array(_) => Some(unexpected(class, value)),
        Value::String(text) => match java_trim(text) {
            "" => Some(format!(
                "Cannot coerce empty String (\"\") to `{class}` value (but could if coercion \
                 was enabled using `CoercionConfig`)"
            )),
            trimmed => no_creator(format!(
                "String-argument constructor/factory method to deserialize from String value \
                 ('{trimmed}')"
            )),
        },
        Value::Bool(b) => no_creator(format!(
            "boolean/Boolean-argument constructor/factory method to deserialize from boolean \
             value ({b})"
        )),
        Value::Number(n) => {
            let (kind, shown) = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) if i32::try_from(i).is_ok() => ("int/Int", i.to_string()),
                (Some(i), _, _) => ("long/Long", i.to_string()),
                (None, Some(u), _) => ("BigInteger", u.to_string()),
                (None, None, f) => ("double/Double", java_double(f.unwrap_or_default())),
            };
            no_creator(format!(
                "{kind}-argument constructor/factory method to deserialize from Number value \
                 ({shown})"
            ))
        }
    }
}

/// Java's `Double.toString`: plain notation from 10^-3 up to 10^7 (`1.5`, `100.0`),
/// computerized scientific notation outside it (`1.0E10`, `1.5E-5`).
pub fn java_double(f: f64) -> String {
    if f.is_finite() && (f == 0.0 || (1e-3..1e7).contains(&f.abs())) {
        let plain = f.to_string();
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let scientific = format!("{f:e}");
        match scientific.split_once('e') {
            Some((mantissa, exponent)) if mantissa.contains('.') => {
                format!("{mantissa}E{exponent}")
            }
            Some((mantissa, exponent)) => format!("{mantissa}.0E{exponent}"),
            None => scientific,
        }
    }
}

/// Maps each field of `fields` that `read` knows, in document order, so the first field
/// Jackson would fail on is the one reported.
pub fn each_field(
    fields: &Map<String, Value>,
    mut read: impl FnMut(&str, &Value) -> Result<(), String>,
) -> Result<(), String> {
    fields.iter().try_for_each(|(k, v)| read(k, v))
}

/// Java's `String.compareTo`: by UTF-16 code units (a character above U+FFFF sorts by its
/// surrogates, before U+E000..U+FFFF), the order of Java's `TreeMap` and `TreeSet` of
/// strings, which Confluent uses for metadata, tags and sorted lists.
pub fn java_string_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_jackson_cannot_map_onto_a_request_class_get_its_message() {
        let creator = "Cannot construct instance of `Metadata` (although at least one Creator \
                       exists): no";
        let cases = [
            (json!(1.5), format!("{creator} double/Double-argument constructor/factory method to deserialize from Number value (1.5)")),
            (json!(100.0), format!("{creator} double/Double-argument constructor/factory method to deserialize from Number value (100.0)")),
            (json!(1e10), format!("{creator} double/Double-argument constructor/factory method to deserialize from Number value (1.0E10)")),
            (json!(7), format!("{creator} int/Int-argument constructor/factory method to deserialize from Number value (7)")),
            (json!(4_294_967_296_i64), format!("{creator} long/Long-argument constructor/factory method to deserialize from Number value (4294967296)")),
            (json!(u64::MAX), format!("{creator} BigInteger-argument constructor/factory method to deserialize from Number value (18446744073709551615)")),
            (json!(" x "), format!("{creator} String-argument constructor/factory method to deserialize from String value ('x')")),
            (json!(true), format!("{creator} boolean/Boolean-argument constructor/factory method to deserialize from boolean value (true)")),
            (json!(" "), "Cannot coerce empty String (\"\") to `Metadata` value (but could if coercion was enabled using `CoercionConfig`)".to_owned()),
            (json!([]), "Cannot deserialize value of type `Metadata` from Array value (token `JsonToken.START_ARRAY`)".to_owned()),
        ];
        for (value, expected) in cases {
            assert_eq!(
                creator_mismatch("Metadata", &value),
                Some(expected),
                "{value}"
            );
        }
        assert_eq!(creator_mismatch("Metadata", &json!({})), None);
        assert_eq!(creator_mismatch("Metadata", &Value::Null), None);
    }

    #[test]
    fn strings_take_scalars_as_their_text() {
        assert_eq!(string(&json!(42)), Ok(Some("42".into())));
        assert_eq!(string(&json!(-1.5)), Ok(Some("-1.5".into())));
        assert_eq!(string(&json!(false)), Ok(Some("false".into())));
        assert_eq!(string(&Value::Null), Ok(None));
        assert_eq!(
            string(&json!([])),
            Err("Cannot deserialize value of type `String` from Array value (token `JsonToken.START_ARRAY`)".into())
        );
        assert_eq!(
            string(&json!({})),
            Err("Cannot deserialize value of type `String` from Object value (token `JsonToken.START_OBJECT`)".into())
        );
    }

    #[test]
    fn integers_coerce_as_jackson_does() {
        for (value, expected) in [
            (json!(7), Some(7)),
            (json!(1.9), Some(1)),
            (json!(-1.9), Some(-1)),
            (json!("1"), Some(1)),
            (json!(" +12 "), Some(12)),
            (json!("-2147483648"), Some(i32::MIN)),
            (json!("007"), Some(7)),
            (json!(""), None),
            (json!("  "), None),
            (json!("null"), None),
            (Value::Null, None),
        ] {
            assert_eq!(integer(&value), Ok(expected), "{value}");
        }
        let errors = [
            (
                json!("abc"),
                "Cannot deserialize value of type `Integer` from String \"abc\": not a valid `java.lang.Integer` value",
            ),
            (
                json!("1.0"),
                "Cannot deserialize value of type `Integer` from String \"1.0\": not a valid `java.lang.Integer` value",
            ),
            (
                json!("3000000000"),
                "Cannot deserialize value of type `Integer` from String \"3000000000\": Overflow: numeric value (3000000000) out of range of `java.lang.Integer` (-2147483648 -2147483647)",
            ),
            (
                json!(3_000_000_000_i64),
                "Numeric value (3000000000) out of range of int (-2147483648 - 2147483647)",
            ),
            (
                json!(true),
                "Cannot deserialize value of type `Integer` from Boolean value (token `JsonToken.VALUE_TRUE`)",
            ),
            (
                json!([1]),
                "Cannot deserialize value of type `Integer` from Array value (token `JsonToken.START_ARRAY`)",
            ),
            (
                json!({}),
                "Cannot deserialize value of type `Integer` from Object value (token `JsonToken.START_OBJECT`)",
            ),
        ];
        for (value, expected) in errors {
            assert_eq!(integer(&value), Err(expected.to_owned()), "{value}");
        }
    }

    #[test]
    fn booleans_coerce_as_jackson_does() {
        for (value, expected) in [
            (json!(true), Some(true)),
            (json!(0), Some(false)),
            (json!(2), Some(true)),
            (json!("True"), Some(true)),
            (json!(" FALSE "), Some(false)),
            (json!(""), None),
            (json!("null"), None),
        ] {
            assert_eq!(boolean(&value), Ok(expected), "{value}");
        }
        assert_eq!(
            boolean(&json!("yes")),
            Err("Cannot deserialize value of type `Boolean` from String \"yes\": only \"true\" or \"false\" recognized".into())
        );
        assert_eq!(
            boolean(&json!(1.0)),
            Err("Cannot deserialize value of type `Boolean` from Floating-point value (token `JsonToken.VALUE_NUMBER_FLOAT`)".into())
        );
    }

    #[test]
    fn lists_name_their_type_as_rest_utils_cuts_it() {
        assert_eq!(
            list(&json!("x"), "SchemaReference"),
            Err("Cannot deserialize value of type `SchemaReference>` from String value (token `JsonToken.VALUE_STRING`)".into())
        );
        assert_eq!(list(&Value::Null, "SchemaReference"), Ok(None));
    }
}
