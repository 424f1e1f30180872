//! The format-independent face of a parsed schema.

use crate::avro::AvroSchema;
use crate::json::JsonSchema;
use crate::limits::{Interrupt, Interrupted, LimitExceeded, SchemaLimits};
use crate::protobuf::{ProtobufParseOptions, ProtobufSchema};
use crate::types::{CompatibilityPolicy, SchemaType};
use crate::violation::{Direction, Violation};

/// How a schema text is read, per format: what Confluent checks depends on how the schema
/// arrives (`validateAsNew`) and on the subject's config (`validateFields`), and
/// `--strict-schemas` reads everything as strictly as Warden did before issue 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Avro: read as new (defaults checked) or as stored (`AvroSchema.getParser`).
    pub avro: crate::avro::ParseOptions,
    /// Protobuf: strictness, and whether types resolve against references the source does
    /// not import.
    pub protobuf: ProtobufParseOptions,
    /// Confluent's `validateFields` (config, off by default), checked by
    /// `ParsedSchema.validate(strict)` on every registration, lookup and compatibility check
    /// outside IMPORT mode: for Protobuf the descriptor must build with the imports the source
    /// names (`ProtobufSchema.validate`: `toDynamicSchema()`), so a type of a reference the
    /// source does not import is refused; for JSON Schema a top-level property of an object
    /// schema may not start with `$$` (`JsonSchema.validate`). Avro has no such check (its
    /// reserved-field rule is the registry's, `validateReservedFields`).
    pub validate_fields: bool,
}

impl ParseOptions {
    /// A new registration with Confluent's default config: Avro defaults checked, Protobuf
    /// read as Confluent accepts it (custom options unchecked, types of references the
    /// source does not import resolved).
    pub const NEW: Self = Self {
        avro: crate::avro::ParseOptions::NEW,
        protobuf: ProtobufParseOptions {
            strict: false,
            resolve_unimported_references: true,
        },
        validate_fields: false,
    };
    /// A stored schema or a lookup: as [`ParseOptions::NEW`], but Avro defaults Java would
    /// not check are not checked.
    pub const STORED: Self = Self {
        avro: crate::avro::ParseOptions::STORED,
        ..Self::NEW
    };

    /// With Confluent's `validateFields` set to `on` (see [`ParseOptions::validate_fields`]).
    pub const fn validating_fields(self, on: bool) -> Self {
        Self {
            validate_fields: on,
            protobuf: ProtobufParseOptions {
                resolve_unimported_references: !on,
                ..self.protobuf
            },
            ..self
        }
    }

    /// With `--strict-schemas` set to `on`: Protobuf options must resolve and type-check,
    /// enums follow protoc's rules (`ProtobufSchema::parse_with`).
    pub const fn strict(self, on: bool) -> Self {
        Self {
            protobuf: ProtobufParseOptions {
                strict: on,
                ..self.protobuf
            },
            ..self
        }
    }
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self::NEW
    }
}

/// Why a schema text was refused (Confluent 42201, invalid schema).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The text does not parse or breaks the format's rules; the parser's reason.
    #[error("Invalid schema: {0}")]
    Invalid(String),
    /// The schema is over one of the [`SchemaLimits`].
    #[error("Invalid schema: {0}")]
    TooLarge(LimitExceeded),
}

/// A referenced schema, already resolved by the caller: its reference name and text.
/// A list of them is the transitive closure of a schema's references, dependencies first.
///
/// For Avro the name is the full name of the named type; for JSON Schema it is the `$ref` URL
/// as the referencing schema writes it (`address.json`, `https://example.com/address.json`),
/// which is resolved against the referencing schema's `$id`; for Protobuf it is the import path
/// (`acme/common/address.proto`) and the text is that file's `.proto` source (or base64
/// `FileDescriptorProto`).
#[derive(Debug, Clone)]
pub struct ResolvedReference {
    /// The name the referencing schema uses (for Avro, the full name of the named type).
    pub name: String,
    /// The referenced schema's format.
    pub schema_type: SchemaType,
    /// The referenced schema's text.
    pub schema: String,
}

/// An output format of a schema read (the `format` query parameter), one that changes the
/// text answered: Confluent's `AvroSchema.Format` and `ProtobufSchema.Format`, used by
/// `ParsedSchema.formattedString(format)` (`SchemasResource`, `SubjectVersionsResource`,
/// `SubjectsResource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaFormat {
    /// `resolved`, Avro: the referenced named types inlined ([`AvroSchema::resolved`]).
    Resolved,
    /// `ignore_extensions`, Protobuf: custom options (but `confluent.*`), extension ranges and
    /// `extend` blocks left out ([`ProtobufSchema::without_extensions`]).
    IgnoreExtensions,
    /// `serialized`, Protobuf: the main file as a base64 `FileDescriptorProto`
    /// ([`ProtobufSchema::serialized`]).
    Serialized,
}

impl SchemaFormat {
    /// The format `format` names for a schema of `schema_type`, read as Confluent reads it
    /// (`Format.get`: the name lowercased, then matched exactly), or `None` when the schema's
    /// canonical text is the answer: an empty or blank `format`, `default`, a name the
    /// schema's format does not know (Confluent logs it and answers the canonical text, for
    /// forward compatibility, never an error), and every name for JSON Schema.
    pub fn parse(format: &str, schema_type: SchemaType) -> Option<Self> {
        let format = format.to_lowercase();
        match (schema_type, format.as_str()) {
            (SchemaType::Avro, "resolved") => Some(Self::Resolved),
            (SchemaType::Protobuf, "ignore_extensions") => Some(Self::IgnoreExtensions),
            (SchemaType::Protobuf, "serialized") => Some(Self::Serialized),
            _ => None,
        }
    }
}

/// A schema that parsed, in one of the registry's formats.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ParsedSchema {
    /// An Avro schema with its referenced named types.
    Avro(AvroSchema),
    /// A Protobuf schema compiled with its imports.
    Protobuf(ProtobufSchema),
    /// A JSON Schema with its references and compiled validator.
    Json(JsonSchema),
}

impl ParsedSchema {
    /// Parses `text` as `schema_type`, with `references` (transitive closure, dependencies
    /// first) providing the named types it uses.
    ///
    /// Errors: [`SchemaError::Invalid`] with the parser's reason (for Protobuf with
    /// `file:line:column`).
    pub fn parse(
        schema_type: SchemaType,
        text: &str,
        references: &[ResolvedReference],
    ) -> Result<Self, SchemaError> {
        Self::parse_with(schema_type, text, references, ParseOptions::NEW)
    }

    /// [`ParsedSchema::parse`] reading the text as new ([`ParseOptions::NEW`]: Avro defaults
    /// checked) or as stored ([`ParseOptions::STORED`]: Avro defaults Java would not check
    /// are not checked), with the other [`ParseOptions`].
    ///
    /// Errors: as [`ParsedSchema::parse`].
    pub fn parse_with(
        schema_type: SchemaType,
        text: &str,
        references: &[ResolvedReference],
        options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        match schema_type {
            SchemaType::Avro => {
                AvroSchema::parse_with(text, references, options.avro).map(Self::Avro)
            }
            SchemaType::Protobuf => {
                ProtobufSchema::parse_with_options(text, references, options.protobuf)
                    .map(Self::Protobuf)
            }
            SchemaType::Json => {
                let parsed = JsonSchema::parse(text, references)?;
                if options.validate_fields {
                    parsed.validate_field_names()?;
                }
                Ok(Self::Json(parsed))
            }
        }
    }

    /// [`ParsedSchema::parse_with`] for a submitted schema: the text is first checked against
    /// `limits` (for Avro and JSON Schema before it is compiled, for Protobuf on the
    /// compiled file), references are not, since they are registered schemas already.
    ///
    /// Errors: [`SchemaError::TooLarge`] for a schema over a limit; otherwise as
    /// [`ParsedSchema::parse`].
    pub fn parse_with_limits(
        schema_type: SchemaType,
        text: &str,
        references: &[ResolvedReference],
        limits: &SchemaLimits,
    ) -> Result<Self, SchemaError> {
        Self::parse_with_limits_as(schema_type, text, references, limits, ParseOptions::NEW)
    }

    /// [`ParsedSchema::parse_with_limits`] reading the text with `options` (see
    /// [`ParsedSchema::parse_with`]).
    ///
    /// Errors: as [`ParsedSchema::parse_with_limits`].
    pub fn parse_with_limits_as(
        schema_type: SchemaType,
        text: &str,
        references: &[ResolvedReference],
        limits: &SchemaLimits,
        options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        let json_limit = |check: fn(&SchemaLimits, &serde_json::Value) -> Result<(), _>| {
            // Text that is not JSON fails the parse below, with the parser's message.
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => check(limits, &value).map_err(SchemaError::TooLarge),
                Err(_) => Ok(()),
            }
        };
        match schema_type {
            SchemaType::Avro => json_limit(SchemaLimits::check_avro)?,
            SchemaType::Json => json_limit(SchemaLimits::check_json_schema)?,
            SchemaType::Protobuf => {
                let parsed =
                    ProtobufSchema::parse_with_options(text, references, options.protobuf)?;
                parsed.check_limits(limits).map_err(SchemaError::TooLarge)?;
                return Ok(Self::Protobuf(parsed));
            }
        }
        Self::parse_with(schema_type, text, references, options)
    }

    /// The format.
    pub fn schema_type(&self) -> SchemaType {
        match self {
            Self::Avro(_) => SchemaType::Avro,
            Self::Protobuf(_) => SchemaType::Protobuf,
            Self::Json(_) => SchemaType::Json,
        }
    }

    /// The canonical text stored and returned for this schema. Two registrations are the
    /// same schema when their canonical texts (and references) are equal.
    pub fn canonical(&self) -> &str {
        match self {
            Self::Avro(s) => s.canonical(),
            Self::Protobuf(s) => s.canonical(),
            Self::Json(s) => s.canonical(),
        }
    }

    /// The text of a schema read with `format` (Confluent's `ParsedSchema.formattedString`);
    /// a format of another schema type answers the canonical text.
    pub fn formatted(&self, format: SchemaFormat) -> String {
        match (self, format) {
            (Self::Avro(s), SchemaFormat::Resolved) => s.resolved(),
            (Self::Protobuf(s), SchemaFormat::IgnoreExtensions) => s.without_extensions(),
            (Self::Protobuf(s), SchemaFormat::Serialized) => s.serialized(),
            _ => self.canonical().to_owned(),
        }
    }

    /// The normalized text used when `normalize=true`: ordering that carries no meaning is
    /// removed (Confluent `ParsedSchema.normalize()`).
    pub fn normalized(&self) -> String {
        match self {
            Self::Avro(s) => s.normalized(),
            Self::Protobuf(s) => s.normalized(),
            Self::Json(s) => s.normalized(),
        }
    }

    /// For an Avro schema with references, its normalized text with the referenced types
    /// inlined ([`AvroSchema::resolved_normalized`]); `None` otherwise.
    pub fn resolved_normalized(&self) -> Option<&str> {
        match self {
            Self::Avro(s) => s.resolved_normalized(),
            Self::Json(_) | Self::Protobuf(_) => None,
        }
    }

    /// The text an earlier Warden stored for this schema when it differs from
    /// [`ParsedSchema::canonical`] (or, with `normalized`, from [`ParsedSchema::normalized`]):
    /// before issue 12 Avro was stored with its keys reordered but its names as given. A
    /// registry keeps the rows it stored then, so lookups and registrations that miss the
    /// current text try this one before assigning a new id. `None` when the text did not
    /// change.
    pub fn legacy_text(&self, normalized: bool) -> Option<String> {
        match self {
            Self::Avro(s) => {
                let legacy = s.legacy_canonical(normalized);
                let current = if normalized {
                    s.normalized()
                } else {
                    s.canonical().to_owned()
                };
                (legacy != current).then_some(legacy)
            }
            // The JSON Schema text is unchanged; Protobuf's printer keeps its own history.
            Self::Json(_) | Self::Protobuf(_) => None,
        }
    }

    /// Every reason `self` (the reader) cannot read data written with `writer`, under the
    /// default [`CompatibilityPolicy::Strict`]. Schemas of different formats never read each
    /// other.
    pub fn check_reader_writer(
        &self,
        writer: &ParsedSchema,
        direction: Direction,
    ) -> Vec<Violation> {
        self.check_reader_writer_with_policy(writer, direction, CompatibilityPolicy::Strict)
    }

    /// Every reason `self` (the reader) cannot read data written with `writer`. The policy
    /// applies to JSON Schema only (Confluent's `compatibilityPolicy`); Avro and Protobuf
    /// ignore it.
    /// Schemas of different formats never read each other: one `TYPE_MISMATCH` violation
    /// (Confluent: "Incompatible because of different schema type").
    pub fn check_reader_writer_with_policy(
        &self,
        writer: &ParsedSchema,
        direction: Direction,
        policy: CompatibilityPolicy,
    ) -> Vec<Violation> {
        self.check_reader_writer_until(writer, direction, policy, &Interrupt::never())
            .expect("a check that is never interrupted reaches its verdict")
    }

    /// [`ParsedSchema::check_reader_writer_with_policy`] that gives up when `interrupt` is
    /// set.
    ///
    /// Errors: [`Interrupted`] when the check stopped before its verdict.
    pub fn check_reader_writer_until(
        &self,
        writer: &ParsedSchema,
        direction: Direction,
        policy: CompatibilityPolicy,
        interrupt: &Interrupt,
    ) -> Result<Vec<Violation>, Interrupted> {
        match (self, writer) {
            (Self::Avro(reader), Self::Avro(writer)) => {
                crate::avro::compat::check_until(reader, writer, direction, interrupt)
            }
            (Self::Json(reader), Self::Json(writer)) => {
                crate::json::compat::check_until(reader, writer, direction, policy, interrupt)
            }
            (Self::Protobuf(reader), Self::Protobuf(writer)) => {
                crate::protobuf::compat::check_until(reader, writer, direction, interrupt)
            }
            (Self::Avro(_), Self::Json(_) | Self::Protobuf(_))
            | (Self::Json(_), Self::Avro(_) | Self::Protobuf(_))
            | (Self::Protobuf(_), Self::Avro(_) | Self::Json(_)) => Ok(vec![format_mismatch(
                self.schema_type(),
                writer.schema_type(),
            )]),
        }
    }
}

/// The violation for a reader and writer of different formats.
fn format_mismatch(reader: SchemaType, writer: SchemaType) -> Violation {
    Violation {
        rule: "TYPE_MISMATCH",
        path: "/".to_owned(),
        message: format!(
            "Incompatible because of different schema type: {} cannot read {}",
            reader.as_str(),
            writer.as_str()
        ),
    }
}

/// The identity of a registered schema, as hex SHA-256 over its format, text, references,
/// metadata and rule set: two registrations with equal fingerprints are one schema with one
/// id (Confluent compares the canonical string, references, metadata and rule set; it does
/// not deduplicate on Avro's Parsing Canonical Form, which drops `doc`, `default` and
/// `aliases`).
pub fn fingerprint(
    schema_type: SchemaType,
    text: &str,
    references: &[crate::api::SchemaReference],
    metadata: Option<&serde_json::Value>,
    rule_set: Option<&serde_json::Value>,
) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(schema_type.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(text.as_bytes());
    for r in references {
        hasher.update([0]);
        hasher.update(r.name.as_bytes());
        hasher.update([0]);
        hasher.update(r.subject.as_bytes());
        hasher.update(r.version.to_be_bytes());
    }
    hasher.update([1]);
    if let Some(m) = metadata {
        hasher.update(m.to_string().as_bytes());
    }
    hasher.update([2]);
    if let Some(r) = rule_set {
        hasher.update(r.to_string().as_bytes());
    }
    hex::encode(hasher.finalize())
}
