//! Schema GUIDs (Confluent 8): a 16-byte identifier of a schema's content, written as a UUID.
//!
//! Confluent does not draw GUIDs at random: a schema's GUID is the MD5 digest of its content
//! (`MD5.ofSchema`, `Schema.updateHash` in confluentinc/schema-registry), shown as a UUID
//! (`MD5.toString`: the 16 bytes as the UUID's most and least significant halves). The same
//! schema therefore has the same GUID under every subject and in every context, and a schema
//! registered in Warden has the GUID Confluent gives it, so GUIDs written into Kafka records by
//! producers of one registry resolve in the other.
//!
//! The digest covers, in order: the schema text (UTF-8), each reference (name, subject, the
//! version as a 4-byte big-endian int), then a `1` byte and the metadata (tags, properties,
//! sensitive names, each sorted as Java sorts strings) when there is metadata, then a `1` byte
//! and the rule set (its migration, domain and encoding rules field by field, then `enableAt`)
//! when there is a rule set. The schema type is not part of it.

use std::fmt;

use md5::{Digest, Md5};
use serde_json::Value;

use crate::api::SchemaReference;

/// A schema GUID: 16 bytes, displayed as a lowercase UUID
/// (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid([u8; 16]);

impl Guid {
    /// The GUID of these bytes (as they travel in the `0x01` framing).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes, most significant first.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The GUID of a schema's content, as Confluent computes it (see the module docs).
    pub fn of_schema(
        schema: &str,
        references: &[SchemaReference],
        metadata: Option<&Value>,
        rule_set: Option<&Value>,
    ) -> Self {
        let mut md = Md5::new();
        md.update(schema.as_bytes());
        for r in references {
            md.update(r.name.as_bytes());
            md.update(r.subject.as_bytes());
            md.update(r.version.to_be_bytes());
        }
        if let Some(metadata) = metadata.filter(|m| !m.is_null()) {
            md.update([1u8]);
            hash_metadata(&mut md, metadata);
        }
        if let Some(rule_set) = rule_set.filter(|r| !r.is_null()) {
            md.update([1u8]);
            hash_rule_set(&mut md, rule_set);
        }
        Self(md.finalize().into())
    }

    /// Parses a GUID as Confluent's `MD5.fromString` does: a UUID in Java's
    /// `UUID.fromString` form (five groups of hex digits joined by dashes, each group masked
    /// to its width, any case), or else the 16 bytes as 32 hex digits. `None` for anything
    /// else, which Confluent answers as a schema that is not found.
    pub fn parse(text: &str) -> Option<Self> {
        Self::parse_uuid(text).or_else(|| {
            (text.len() == 32)
                .then(|| hex::decode(text).ok())
                .flatten()
                .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
                .map(Self)
        })
    }

    /// Java's `UUID.fromString`: at most 36 characters, exactly four dashes, each group
    /// parsed as a hex `long` and masked to 32, 16, 16, 16 and 48 bits.
    fn parse_uuid(text: &str) -> Option<Self> {
        if text.len() > 36 {
            return None;
        }
        let groups: Vec<&str> = text.split('-').collect();
        let [a, b, c, d, e] = groups.as_slice() else {
            return None;
        };
        let hex = |g: &str, bits: u32| -> Option<u64> {
            let digits = g.strip_prefix('+').unwrap_or(g);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let value = u64::from_str_radix(digits, 16).ok()?;
            // Long.parseLong refuses what does not fit a signed long.
            if value > i64::MAX as u64 {
                return None;
            }
            Some(value & ((1u64 << bits) - 1))
        };
        let msb = (hex(a, 32)? << 32) | (hex(b, 16)? << 16) | hex(c, 16)?;
        let lsb = (hex(d, 16)? << 48) | hex(e, 48)?;
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&msb.to_be_bytes());
        bytes[8..].copy_from_slice(&lsb.to_be_bytes());
        Some(Self(bytes))
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = hex::encode(self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

/// A JSON scalar as Jackson reads it into a Java `String`; `None` for `null`, arrays and
/// objects.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The strings of a JSON array, sorted and deduplicated as a Java `TreeSet<String>`.
fn sorted_set(value: Option<&Value>) -> Vec<String> {
    let mut items: Vec<String> = value
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(text).collect())
        .unwrap_or_default();
    items.sort_by(|a, b| crate::jackson::java_string_order(a, b));
    items.dedup();
    items
}

/// The entries of a JSON object, sorted by key as a Java `TreeMap`.
fn sorted_entries(value: Option<&Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = value
        .and_then(Value::as_object)
        .map(|o| o.iter().collect())
        .unwrap_or_default();
    entries.sort_by(|a, b| crate::jackson::java_string_order(a.0, b.0));
    entries
}

/// `Metadata.updateHash`: tags (path, then its sorted tags), properties (key, value), then
/// the sensitive names, each sorted.
fn hash_metadata(md: &mut Md5, metadata: &Value) {
    for (path, tags) in sorted_entries(metadata.get("tags")) {
        md.update(path.as_bytes());
        for tag in sorted_set(Some(tags)) {
            md.update(tag.as_bytes());
        }
    }
    hash_string_map(md, metadata.get("properties"));
    for name in sorted_set(metadata.get("sensitive")) {
        md.update(name.as_bytes());
    }
}

/// A `SortedMap<String, String>`: each key, then its value (null values are left out).
fn hash_string_map(md: &mut Md5, map: Option<&Value>) {
    for (key, value) in sorted_entries(map) {
        if let Some(value) = text(value) {
            md.update(key.as_bytes());
            md.update(value.as_bytes());
        }
    }
}

/// `RuleSet.updateHash`: the migration, domain and encoding rules in order, then `enableAt`.
fn hash_rule_set(md: &mut Md5, rule_set: &Value) {
    for list in ["migrationRules", "domainRules", "encodingRules"] {
        for rule in rule_set
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            hash_rule(md, rule);
        }
    }
    if let Some(enable_at) = rule_set.get("enableAt").and_then(text) {
        md.update(enable_at.to_ascii_uppercase().as_bytes());
    }
}

/// `Rule.updateHash`: name, doc, kind, mode, type, tags, params, expr, onSuccess, onFailure,
/// and a `1` byte when the rule is disabled. `kind` and `mode` are Java enum names.
fn hash_rule(md: &mut Md5, rule: &Value) {
    let field = |name: &str| rule.get(name).and_then(text);
    for name in ["name", "doc"] {
        if let Some(v) = field(name) {
            md.update(v.as_bytes());
        }
    }
    for name in ["kind", "mode"] {
        if let Some(v) = field(name) {
            md.update(v.to_ascii_uppercase().as_bytes());
        }
    }
    if let Some(v) = field("type") {
        md.update(v.as_bytes());
    }
    for tag in sorted_set(rule.get("tags")) {
        md.update(tag.as_bytes());
    }
    hash_string_map(md, rule.get("params"));
    for name in ["expr", "onSuccess", "onFailure"] {
        if let Some(v) = field(name) {
            md.update(v.as_bytes());
        }
    }
    let disabled = match rule.get("disabled") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    if disabled {
        md.update([1u8]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_guid_is_the_md5_of_the_schema_text_as_a_uuid() {
        let guid = Guid::of_schema("\"string\"", &[], None, None);
        let expected = format!("{:x}", Md5::digest(b"\"string\""));
        assert_eq!(guid.to_string().replace('-', ""), expected);
        assert_eq!(guid.to_string().len(), 36);
    }

    #[test]
    fn references_metadata_and_rule_sets_change_the_guid() {
        let r = SchemaReference {
            name: "a".into(),
            subject: "s".into(),
            version: 1,
        };
        let plain = Guid::of_schema("x", &[], None, None);
        let with_ref = Guid::of_schema("x", &[r], None, None);
        let empty_metadata = Guid::of_schema("x", &[], Some(&json!({})), None);
        assert_ne!(plain, with_ref);
        assert_ne!(plain, empty_metadata);
        // The digest of a reference: name, subject, then the version as 4 big-endian bytes.
        let mut md = Md5::new();
        md.update(b"xas");
        md.update([0, 0, 0, 1]);
        assert_eq!(with_ref.as_bytes(), &<[u8; 16]>::from(md.finalize()));
        // An empty metadata object is a `1` byte and nothing else.
        assert_eq!(
            empty_metadata.as_bytes(),
            &<[u8; 16]>::from(Md5::digest(b"x\x01"))
        );
    }

    #[test]
    fn metadata_is_hashed_sorted_as_java_sorts() {
        let a = json!({"properties": {"b": "2", "a": "1"}, "tags": {"p": ["y", "x"]}});
        let b = json!({"tags": {"p": ["x", "y", "x"]}, "properties": {"a": "1", "b": "2"}});
        assert_eq!(
            Guid::of_schema("s", &[], Some(&a), None),
            Guid::of_schema("s", &[], Some(&b), None)
        );
        assert_eq!(
            Guid::of_schema("s", &[], Some(&a), None).as_bytes(),
            &<[u8; 16]>::from(Md5::digest(b"s\x01pxya1b2"))
        );
    }

    #[test]
    fn rules_are_hashed_field_by_field() {
        let rules = json!({"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "WRITE",
            "type": "CEL", "expr": "true", "params": {"k": "v"}, "disabled": true}]});
        assert_eq!(
            Guid::of_schema("s", &[], None, Some(&rules)).as_bytes(),
            &<[u8; 16]>::from(Md5::digest(b"s\x01rCONDITIONWRITECELkvtrue\x01"))
        );
    }

    #[test]
    fn guids_parse_as_java_reads_them() {
        let guid = Guid::of_schema("\"string\"", &[], None, None);
        let text = guid.to_string();
        assert_eq!(Guid::parse(&text), Some(guid));
        assert_eq!(Guid::parse(&text.to_uppercase()), Some(guid));
        assert_eq!(Guid::parse(&text.replace('-', "")), Some(guid));
        assert_eq!(
            Guid::parse("1-2-3-4-5").map(|g| g.to_string()),
            Some("00000001-0002-0003-0004-000000000005".to_owned())
        );
        for bad in ["", "nope", "1-2-3-4", "1-2-3-4-5-6", "g-2-3-4-5", "abcd"] {
            assert_eq!(Guid::parse(bad), None, "{bad:?}");
        }
    }
}
