//! Newtypes of the registry's domain, built only by parsing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Error returned when a domain value cannot be parsed; the message is user-facing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// A subject name, e.g. `orders-value`, optionally qualified by a context (`:.ctx:orders`).
///
/// Confluent accepts any non-empty string without control characters; the HTTP layer
/// receives it percent-decoded (`a%2Fb` is the subject `a/b`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    /// Parses a subject name. Errors when it is empty, longer than 1,024 bytes or
    /// contains a control character (Confluent error 42208, invalid subject).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() {
            return Err(ParseError("Subject name must not be empty".into()));
        }
        if s.len() > 1024 {
            return Err(ParseError("Subject name is longer than 1024 bytes".into()));
        }
        if s.chars().any(char::is_control) {
            return Err(ParseError(format!(
                "Subject name {s:?} contains a control character"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The subject name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A version of a subject: a number in `1..=2^31-1`, starting at 1 per subject. Serialized
/// as a JSON number. Source: Confluent `VersionId` (versions are Java `int`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Version(u32);

impl Version {
    /// The first version of every subject.
    pub const FIRST: Version = Version(1);

    /// Builds a version from a number in `1..=2^31-1`; anything else is Confluent's 42202
    /// (invalid version).
    pub fn new(n: i64) -> Result<Self, ParseError> {
        if (1..=i64::from(i32::MAX)).contains(&n) {
            Ok(Self(n as u32))
        } else {
            Err(invalid_version(&n.to_string()))
        }
    }

    /// The version number.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The version after this one.
    ///
    /// Errors: 42202 when this is already `2^31-1`.
    pub fn next(self) -> Result<Self, ParseError> {
        Self::new(i64::from(self.0) + 1)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(i64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn invalid_version(s: &str) -> ParseError {
    ParseError(format!(
        "The specified version '{s}' is not a valid version id. Allowed values are between \
         [1, 2^31-1] and the string \"latest\""
    ))
}

/// A version as a path or a reference names it: a concrete [`Version`], or the latest live
/// version (`latest` or `-1`). Source: Confluent `VersionId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionSelector {
    /// The newest live (not soft-deleted) version.
    Latest,
    /// One version.
    Exact(Version),
}

impl VersionSelector {
    /// Parses `latest` (any case), `-1` or a positive 32-bit number. Anything else is
    /// Confluent's 42202 (invalid version).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.eq_ignore_ascii_case("latest") || s == "-1" {
            return Ok(Self::Latest);
        }
        s.parse::<i64>()
            .ok()
            .and_then(|n| Version::new(n).ok())
            .map(Self::Exact)
            .ok_or_else(|| invalid_version(s))
    }

    /// The selector a number names: `-1` is the latest version, `1..=2^31-1` one version.
    ///
    /// Errors: 42202 for any other number.
    pub fn from_number(n: i64) -> Result<Self, ParseError> {
        if n == -1 {
            Ok(Self::Latest)
        } else {
            Version::new(n).map(Self::Exact)
        }
    }
}

impl From<Version> for VersionSelector {
    fn from(v: Version) -> Self {
        Self::Exact(v)
    }
}

impl fmt::Display for VersionSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latest => f.write_str("latest"),
            Self::Exact(v) => write!(f, "{v}"),
        }
    }
}

/// A schema id: shared by every subject of its context that registers the same schema.
/// Positive 32-bit, as in the wire format's 4-byte big-endian id.
///
/// Each schema context has its own ids (Confluent's per-context id counters): the id 1 of
/// the default context and the id 1 of `:.ctx:` are two schemas. A `SchemaId` read from the
/// store carries its context as the store's number for it ([`SchemaId::context_key`], 0 for
/// the default context), so ids of different contexts never compare equal; an id parsed
/// from a request is in the default context until the store places it
/// ([`SchemaId::in_context`]). It displays and serializes as the bare id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaId {
    // Field order matters for `Ord`: by context, then by id.
    context: u32,
    id: u32,
}

impl Serialize for SchemaId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.id)
    }
}

impl<'de> Deserialize<'de> for SchemaId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(i64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl SchemaId {
    /// Builds an id from a positive number; 0 and values above `i32::MAX` are refused.
    pub fn new(n: i64) -> Result<Self, ParseError> {
        if (1..=i64::from(i32::MAX)).contains(&n) {
            Ok(Self {
                context: 0,
                id: n as u32,
            })
        } else {
            Err(ParseError(format!("Schema id {n} is out of range")))
        }
    }

    /// The numeric id (within its context).
    pub fn get(self) -> u32 {
        self.id
    }

    /// The store's number of the id's context (0: the default context).
    pub fn context_key(self) -> u32 {
        self.context
    }

    /// The same id in the context the store numbers `context_key`.
    pub fn in_context(self, context_key: u32) -> Self {
        Self {
            context: context_key,
            id: self.id,
        }
    }
}

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)
    }
}

/// The format of a schema: `AVRO` (the default when `schemaType` is absent), `PROTOBUF` or
/// `JSON`, as in Confluent's `schemaType` field.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    /// Apache Avro (JSON schema text).
    #[default]
    Avro,
    /// Protocol Buffers (`.proto` source).
    Protobuf,
    /// JSON Schema.
    Json,
}

impl SchemaType {
    /// The name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Avro => "AVRO",
            Self::Protobuf => "PROTOBUF",
            Self::Json => "JSON",
        }
    }

    /// The format a REST request's `schemaType` names, spelled exactly as Confluent's
    /// providers are keyed: `AVRO`, `PROTOBUF` or `JSON` (Confluent answers `avro` with
    /// 42201 "Invalid schema type avro"). `None` for anything else.
    pub fn from_confluent_name(name: &str) -> Option<Self> {
        [Self::Avro, Self::Protobuf, Self::Json]
            .into_iter()
            .find(|t| t.as_str() == name)
    }
}

impl FromStr for SchemaType {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "AVRO" => Ok(Self::Avro),
            "PROTOBUF" => Ok(Self::Protobuf),
            "JSON" => Ok(Self::Json),
            _ => Err(ParseError(format!("Unknown schema type {s}"))),
        }
    }
}

/// The seven Confluent compatibility levels (`CompatibilityLevel.java`). Backward means the
/// new schema (reader) reads data written with the old one (writer); forward the reverse;
/// full both; transitive levels check every live version instead of only the latest.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityLevel {
    /// No check.
    None,
    /// New reads latest (the default level).
    #[default]
    Backward,
    /// New reads every live version.
    BackwardTransitive,
    /// Latest reads new.
    Forward,
    /// Every live version reads new.
    ForwardTransitive,
    /// Backward and forward against the latest.
    Full,
    /// Backward and forward against every live version.
    FullTransitive,
}

impl CompatibilityLevel {
    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether the new schema must read data of the old ones.
    pub fn backward(self) -> bool {
        matches!(
            self,
            Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    /// Whether the old schemas must read data of the new one.
    pub fn forward(self) -> bool {
        matches!(
            self,
            Self::Forward | Self::ForwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    /// Whether every live version is checked, not only the latest.
    pub fn transitive(self) -> bool {
        matches!(
            self,
            Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive
        )
    }
}

impl FromStr for CompatibilityLevel {
    type Err = ParseError;
    /// Case-insensitive, as Confluent accepts `backward` and `BACKWARD`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "NONE" => Self::None,
            "BACKWARD" => Self::Backward,
            "BACKWARD_TRANSITIVE" => Self::BackwardTransitive,
            "FORWARD" => Self::Forward,
            "FORWARD_TRANSITIVE" => Self::ForwardTransitive,
            "FULL" => Self::Full,
            "FULL_TRANSITIVE" => Self::FullTransitive,
            _ => {
                return Err(ParseError(
                    "Invalid compatibility level. Valid values are none, backward, forward, \
                     full, backward_transitive, forward_transitive, and full_transitive"
                        .into(),
                ));
            }
        })
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How strictly JSON Schema changes are judged (Confluent's `compatibilityPolicy` config
/// field, schema-registry PR #3930). Avro and Protobuf ignore it.
///
/// - `STRICT` (the default) counts as compatible only the changes in Confluent's
///   `SchemaDiff.COMPATIBLE_CHANGES_STRICT`.
/// - `LENIENT` adds Confluent's `COMPATIBLE_CHANGES_LENIENT` relaxations: an optional
///   property (or a required one with a default) added to an open content model, a property
///   removed from a closed content model, a property added to or removed from a partially
///   open content model without being covered by it, and `additionalProperties` /
///   `unevaluatedProperties` narrowed or removed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityPolicy {
    /// Confluent's `COMPATIBLE_CHANGES_STRICT` (the default).
    #[default]
    Strict,
    /// Confluent's `COMPATIBLE_CHANGES_LENIENT`.
    Lenient,
}

impl CompatibilityPolicy {
    /// The name used on the wire: `STRICT` or `LENIENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "STRICT",
            Self::Lenient => "LENIENT",
        }
    }
}

impl FromStr for CompatibilityPolicy {
    type Err = ParseError;
    /// Case-insensitive: `strict`, `STRICT`, `Lenient`…
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "STRICT" => Ok(Self::Strict),
            "LENIENT" => Ok(Self::Lenient),
            _ => Err(ParseError(
                "Invalid compatibility policy. Valid values are STRICT and LENIENT".into(),
            )),
        }
    }
}

impl fmt::Display for CompatibilityPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The registry mode (Confluent `Mode.java`): what writes are permitted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    /// Reads and writes (the default).
    #[default]
    Readwrite,
    /// Reads only; registrations and deletes answer 42205.
    Readonly,
    /// Read-only, including for config changes (deprecated in Confluent).
    ReadonlyOverride,
    /// Registrations carry explicit ids and versions and skip compatibility checks.
    Import,
}

impl Mode {
    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Readwrite => "READWRITE",
            Self::Readonly => "READONLY",
            Self::ReadonlyOverride => "READONLY_OVERRIDE",
            Self::Import => "IMPORT",
        }
    }

    /// Whether schema registrations and deletes are allowed in this mode.
    pub fn allows_writes(self) -> bool {
        matches!(self, Self::Readwrite | Self::Import)
    }
}

impl FromStr for Mode {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "READWRITE" => Self::Readwrite,
            "READONLY" => Self::Readonly,
            "READONLY_OVERRIDE" => Self::ReadonlyOverride,
            "IMPORT" => Self::Import,
            _ => {
                return Err(ParseError(
                    "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, \
                     IMPORT"
                        .into(),
                ));
            }
        })
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// OpenAPI schemas of the newtypes, which serialize as their inner value.
#[cfg(feature = "openapi")]
mod openapi {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
    use utoipa::{PartialSchema, ToSchema};

    use utoipa::openapi::schema::OneOfBuilder;

    use super::{SchemaId, Subject, Version, VersionSelector};

    /// A positive Java `int`.
    fn positive_int(description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(1))
            .maximum(Some(i32::MAX))
            .description(Some(description))
            .into()
    }

    impl PartialSchema for Subject {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(1024))
                // `char::is_control`: C0, DEL and C1.
                .pattern(Some("^[^\\u0000-\\u001F\\u007F-\\u009F]+$"))
                .description(Some(
                    "A subject name: 1 to 1,024 bytes of UTF-8 without control characters.",
                ))
                .into()
        }
    }
    impl ToSchema for Subject {}

    impl PartialSchema for Version {
        fn schema() -> RefOr<Schema> {
            positive_int("A version of a subject, from 1 up.")
        }
    }
    impl ToSchema for Version {}

    impl PartialSchema for SchemaId {
        fn schema() -> RefOr<Schema> {
            positive_int("A global schema id.")
        }
    }
    impl ToSchema for SchemaId {}

    impl PartialSchema for VersionSelector {
        fn schema() -> RefOr<Schema> {
            OneOfBuilder::new()
                .item(positive_int("One version."))
                .item(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(["latest"]))
                        .description(Some("The latest live version (any case).")),
                )
                .item(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .enum_values(Some([-1]))
                        .description(Some("The latest live version.")),
                )
                .description(Some(
                    "A version of a subject: a number from 1 up, or `latest` or `-1` for the \
                     latest live version.",
                ))
                .into()
        }
    }
    impl ToSchema for VersionSelector {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_accepts_latest_minus_one_and_positive_numbers_only() {
        assert_eq!(
            VersionSelector::parse("latest").unwrap(),
            VersionSelector::Latest
        );
        assert_eq!(
            VersionSelector::parse("LATEST").unwrap(),
            VersionSelector::Latest
        );
        assert_eq!(
            VersionSelector::parse("-1").unwrap(),
            VersionSelector::Latest
        );
        assert_eq!(
            VersionSelector::parse("7").unwrap(),
            VersionSelector::Exact(Version::new(7).unwrap())
        );
        for bad in ["0", "-2", "abc", "2147483648", ""] {
            assert!(
                VersionSelector::parse(bad).is_err(),
                "{bad} must be refused"
            );
        }
    }

    #[test]
    fn compatibility_level_parses_case_insensitively() {
        assert_eq!(
            "full_transitive".parse::<CompatibilityLevel>().unwrap(),
            CompatibilityLevel::FullTransitive
        );
        assert!("SIDEWAYS".parse::<CompatibilityLevel>().is_err());
    }

    #[test]
    fn compatibility_policy_parses_case_insensitively_and_defaults_to_strict() {
        assert_eq!(CompatibilityPolicy::default(), CompatibilityPolicy::Strict);
        assert_eq!(
            "lenient".parse::<CompatibilityPolicy>().unwrap(),
            CompatibilityPolicy::Lenient
        );
        assert_eq!(
            "STRICT".parse::<CompatibilityPolicy>().unwrap().as_str(),
            "STRICT"
        );
        assert!("LOOSE".parse::<CompatibilityPolicy>().is_err());
    }

    #[test]
    fn subject_refuses_empty_and_control_characters() {
        assert!(Subject::parse("").is_err());
        assert!(Subject::parse("a\nb").is_err());
        assert_eq!(Subject::parse("a/b").unwrap().as_str(), "a/b");
    }
}
