//! [`SchemaSubmission`]: the typed body of a registration, lookup or compatibility check,
//! built at the HTTP edge from Confluent's `RegisterSchemaRequest`.

use serde_json::Value;
use warden_core::api::RegisterSchemaRequest;
use warden_core::{SchemaType, Subject, VersionSelector};

use crate::error::{Error, Result};

/// A schema submitted for register, lookup or a compatibility check, with every field
/// parsed: the format, and references with a typed subject and version.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaSubmission {
    /// The schema text as sent (may be empty; the registry answers 42201 "Empty schema"
    /// after checking the mode, as Confluent does).
    pub schema: String,
    /// The format (`AVRO` when `schemaType` is absent).
    pub schema_type: SchemaType,
    /// References, in the order given.
    pub references: Vec<ReferenceSpec>,
    /// Data-contract metadata, stored and returned as given.
    pub metadata: Option<Value>,
    /// Data-contract rule set, stored and returned as given.
    pub rule_set: Option<Value>,
    /// The id asked for; honoured only in IMPORT mode (42205 otherwise).
    pub id: Option<i64>,
    /// The version asked for; honoured only in IMPORT mode (ignored otherwise).
    pub version: Option<i64>,
}

/// A reference as submitted: the name the schema uses, and the subject version it names
/// (`-1` is the latest live version, pinned at registration).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferenceSpec {
    /// Avro full name, Protobuf import path, or JSON Schema `$ref` URL.
    pub name: String,
    /// The subject the referenced schema is registered under.
    pub subject: Subject,
    /// The version under that subject.
    pub version: VersionSelector,
}

impl SchemaSubmission {
    /// Parses Confluent's request body.
    ///
    /// Errors: 400 for a `metadata` or `ruleSet` that is neither an object nor `null`, with
    /// the message Confluent's Jackson mapping gives (checked before anything else, as
    /// Confluent reads the body before it looks at it); 42201 for a `schemaType` other than
    /// `AVRO`, `PROTOBUF` or `JSON` (exact case, as Confluent), or a reference whose subject
    /// or version is invalid.
    pub fn from_request(request: RegisterSchemaRequest) -> Result<Self> {
        for (class, value) in [
            ("Metadata", &request.metadata),
            ("RuleSet", &request.rule_set),
        ] {
            if let Some(message) = value.as_ref().and_then(|v| jackson_mismatch(class, v)) {
                return Err(Error::BadRequestBody(message));
            }
        }
        let schema_type = match request.schema_type.as_deref() {
            None => SchemaType::Avro,
            Some(t) => SchemaType::from_confluent_name(t)
                .ok_or_else(|| Error::InvalidSchema(format!("Invalid schema type {t}")))?,
        };
        let references = request
            .references
            .into_iter()
            .map(|r| {
                let invalid = |e: warden_core::types::ParseError| {
                    Error::InvalidSchema(format!("Invalid reference {}: {e}", r.name))
                };
                Ok(ReferenceSpec {
                    subject: Subject::parse(&r.subject).map_err(invalid)?,
                    version: VersionSelector::from_number(i64::from(r.version)).map_err(invalid)?,
                    name: r.name,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            schema: request.schema.unwrap_or_default(),
            schema_type,
            references,
            metadata: request.metadata,
            rule_set: request.rule_set,
            id: request.id,
            version: request.version,
        })
    }

    /// Everything that decides which schema this submission means, for a cache key; `None`
    /// when a reference floats (`-1`), since then the same text can mean another schema
    /// later.
    pub(super) fn identity_text(&self, normalize: bool) -> Option<String> {
        if self
            .references
            .iter()
            .any(|r| r.version == VersionSelector::Latest)
        {
            return None;
        }
        let refs: Vec<String> = self
            .references
            .iter()
            .map(|r| format!("{}\u{1}{}\u{1}{}", r.name, r.subject, r.version))
            .collect();
        let json = |v: &Option<Value>| v.as_ref().map(ToString::to_string).unwrap_or_default();
        Some(format!(
            "{normalize}\0{}\0{}\0{}\0{}\0{}",
            self.schema_type.as_str(),
            refs.join("\u{2}"),
            json(&self.metadata),
            json(&self.rule_set),
            self.schema
        ))
    }
}

/// What Confluent answers (HTTP 400, error code 400) when Jackson cannot map a JSON value
/// onto its request class `class` (`Metadata`, `RuleSet`: classes with a properties-based
/// creator, so only objects and `null` fit): the message of Jackson 2's mapping exception
/// with the class's package left out, as rest-utils' `JsonMappingExceptionMapper` gives
/// it. `None` when the value fits.
fn jackson_mismatch(class: &str, value: &Value) -> Option<String> {
    let no_creator = |what: String| {
        Some(format!(
            "Cannot construct instance of `{class}` (although at least one Creator exists): \
             no {what}"
        ))
    };
    match value {
        Value::Null | Value::Object(_) => None,
        Value::Array(_) => Some(format!(
            "Cannot deserialize value of type `{class}` from Array value (token \
             `JsonToken.START_ARRAY`)"
        )),
        // Java's `String.trim` drops every char up to U+0020 at both ends.
        Value::String(text) => match text.trim_matches(|c: char| c <= ' ') {
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
fn java_double(f: f64) -> String {
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
                jackson_mismatch("Metadata", &value),
                Some(expected),
                "{value}"
            );
        }
        assert_eq!(jackson_mismatch("Metadata", &json!({})), None);
        assert_eq!(jackson_mismatch("Metadata", &Value::Null), None);
    }
}
