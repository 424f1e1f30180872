//! Protobuf schemas: `.proto` source (or a base64 `FileDescriptorProto`) compiled in memory
//! with `protox` into a `prost-reflect` [`DescriptorPool`], imports resolved from the schema's
//! references and from the built-in files Confluent's clients never register; a
//! descriptor-to-`.proto` printer ([`printer`]) for descriptor-given schemas and normalization;
//! Confluent's compatibility rules ([`compat`]); and the payload side: message indexes and the
//! JSON ↔ [`DynamicMessage`] ↔ bytes codec.
//!
//! Only `proto2` and `proto3` files are accepted: protox 0.10 does not compile Protobuf
//! editions (`edition = "2023"`), and such a schema is refused with a message that says so.

mod builtin;
mod codec;
pub mod compat;
mod encoding;
mod normalize;
pub mod printer;
mod rules;
pub(crate) mod tags;
mod wire;

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, FileDescriptor, MessageDescriptor};
use protox::Compiler;
use protox::file::{ChainFileResolver, File, FileResolver};

use crate::schema::{ResolvedReference, SchemaError};
use crate::types::SchemaType;

pub use crate::payload::PayloadError;
pub use compat::{Difference, DifferenceType};
pub use encoding::EncodingCheck;

/// The name of the main file of a schema given as text, as Confluent names it
/// (`ProtobufSchema.DEFAULT_NAME`); it is the `name` of the [`ProtobufSchema::serialized`]
/// descriptor.
pub const DEFAULT_FILE_NAME: &str = "default";

/// Whether an import path resolves without a reference: the well-known
/// `google/protobuf/*.proto` files, `google/type/*.proto`, `confluent/meta.proto` and
/// `confluent/type/decimal.proto` (Confluent's `ProtobufSchema.KNOWN_DEPENDENCIES`, which its
/// clients never register).
pub fn is_builtin_import(name: &str) -> bool {
    builtin::is_builtin(name)
}

/// The import paths a `.proto` source names (`import "x.proto";`, with `public` and `weak`
/// imports), in order, found by a line scan without compiling: what a client must register
/// (or find built in) before the schema itself.
pub fn import_paths(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("import")?.trim_start();
            let rest = rest
                .strip_prefix("public")
                .or_else(|| rest.strip_prefix("weak"))
                .unwrap_or(rest)
                .trim_start();
            let rest = rest.strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_owned())
        })
        .collect()
}

/// How a Protobuf schema is read beyond what Confluent always accepts (see
/// [`ProtobufSchema::parse_with_options`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtobufParseOptions {
    /// Every option must resolve and type-check, as protoc requires (no retry without custom
    /// options).
    pub strict: bool,
    /// A type name also resolves against the references the source does not import, as
    /// Confluent resolves names against all of a schema's references when the config's
    /// `validateFields` is off (its default; with it on, Confluent builds the descriptor and
    /// refuses such a schema). Ignored with `strict`.
    pub resolve_unimported_references: bool,
}

/// How a schema was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaSource {
    /// `.proto` source text.
    Text,
    /// A base64-encoded `FileDescriptorProto` (what Confluent's Rust and .NET clients send).
    Descriptor,
}

/// A compiled Protobuf schema: its main file in a descriptor pool that also holds every file it
/// imports (references and built-ins).
#[derive(Debug, Clone)]
pub struct ProtobufSchema {
    file: FileDescriptor,
    source: SchemaSource,
    canonical: String,
    /// [`ProtobufSchema::normalized`], written when first asked for (a registration asks
    /// several times).
    normalized: std::sync::OnceLock<String>,
}

impl ProtobufSchema {
    /// Parses a Protobuf schema: `.proto` source, or a base64-encoded `FileDescriptorProto`
    /// (tried when the text is not valid `.proto` source, as Confluent's
    /// `ProtobufSchema.toProtoFile` does).
    ///
    /// `references` is the transitive closure of the schema's references: each `name` is the
    /// import path the schema (or another reference) uses, each `schema` that file's `.proto`
    /// source or base64 descriptor. Imports that no reference provides resolve from the
    /// built-ins: `google/protobuf/*.proto` (the well-known types), `google/type/*.proto`,
    /// `confluent/meta.proto` and `confluent/type/decimal.proto`. A reference with a built-in's
    /// name wins over the built-in (as in Confluent, whose dependencies come first).
    ///
    /// Errors ([`SchemaError::Invalid`]): source that does not parse or compile, with
    /// `file:line:column:` and the compiler's reason (the main file is named
    /// [`DEFAULT_FILE_NAME`]); an import that is neither a reference nor a built-in; a reference
    /// that is not Protobuf; a base64 descriptor that does not decode or does not compile; a
    /// file using Protobuf editions.
    ///
    /// Reads as Confluent accepts ([`ProtobufSchema::parse_with`] with `strict` off).
    pub fn parse(text: &str, references: &[ResolvedReference]) -> Result<Self, SchemaError> {
        Self::parse_with(text, references, false)
    }

    /// [`ProtobufSchema::parse`], with `strict` choosing what is accepted.
    ///
    /// Confluent reads `.proto` source with square/wire, which does not check custom options:
    /// it accepts `(confluent.field_meta)` without `import "confluent/meta.proto"`, options no
    /// imported file declares, option values of the wrong type or with unknown fields, and
    /// `(confluent.message_meta)` inside a package whose name starts with `io.confluent` (where
    /// protoc's scoping finds `io.confluent` first). With `strict` off (the default), source
    /// that protox refuses is compiled again without its custom options (`(name)` options, in
    /// the schema and its text references): if that compiles, the schema is accepted, its
    /// canonical and normalized texts with the options, as Confluent stores them. Its
    /// descriptor (compatibility checks, `format=serialized`) keeps the options when they
    /// compile once resolved and merged as Confluent's normalizer merges them, else has none. With `strict` on,
    /// every option must resolve and type-check, as protoc requires (Warden's checks before
    /// issue 12).
    ///
    /// Errors: as [`ProtobufSchema::parse`]; a schema that fails without its custom options
    /// too answers the first compilation's error.
    pub fn parse_with(
        text: &str,
        references: &[ResolvedReference],
        strict: bool,
    ) -> Result<Self, SchemaError> {
        let options = ProtobufParseOptions {
            strict,
            ..ProtobufParseOptions::default()
        };
        Self::parse_with_options(text, references, options)
    }

    /// [`ProtobufSchema::parse_with`] with every [`ProtobufParseOptions`].
    ///
    /// Errors: as [`ProtobufSchema::parse`].
    pub fn parse_with_options(
        text: &str,
        references: &[ResolvedReference],
        options: ProtobufParseOptions,
    ) -> Result<Self, SchemaError> {
        match Self::compile_files(text, references, None) {
            Err(SchemaError::Invalid(first)) if !options.strict => {
                let stripped = Self::compile_files(text, references, Some((options, None)))
                    .map_err(|_| SchemaError::Invalid(first))?;
                // Keep the custom options that compile once merged as Confluent merges them
                // (`(m).tags = "a", (m).tags = "b"` as `(m) = { tags: ["a", "b"] }`), so that
                // the descriptor carries them.
                let merged =
                    Self::compile_files(text, references, Some((options, Some(stripped.pool()))));
                Ok(merged.unwrap_or(stripped))
            }
            other => other,
        }
    }

    /// Compiles the schema with its references; `lenient` (the retry) removes the custom
    /// options of every file given as source first and relaxes the enum and reserved-number
    /// rules protoc has and Confluent does not ([`relax_numbers`]), and imports the
    /// references the source does not import when the options ask for it.
    fn compile_files(
        text: &str,
        references: &[ResolvedReference],
        lenient: Option<(ProtobufParseOptions, Option<&DescriptorPool>)>,
    ) -> Result<Self, SchemaError> {
        let without_custom_options = lenient.is_some();
        let add_imports = lenient.is_some_and(|(o, _)| o.resolve_unimported_references);
        let merge_with = lenient.and_then(|(_, pool)| pool);
        let strip = |source: &str| -> Option<String> {
            if !without_custom_options {
                return None;
            }
            wire::parse(source).ok().map(|mut element| {
                relax_numbers(&mut element);
                wire::print(&element, wire::Mode::WithoutCustomOptions)
            })
        };
        let mut files: HashMap<String, File> = HashMap::new();
        for r in references {
            if r.schema_type != SchemaType::Protobuf {
                return Err(SchemaError::Invalid(format!(
                    "reference {} is a {} schema, not Protobuf",
                    r.name,
                    r.schema_type.as_str()
                )));
            }
            if files.contains_key(&r.name) {
                continue;
            }
            let stripped = strip(&r.schema);
            let schema = stripped.as_deref().unwrap_or(&r.schema);
            let (file, _) = open_source(&r.name, schema, None)?;
            files.insert(r.name.clone(), file);
        }
        let default_name = unused_name(&files);
        let stripped = if without_custom_options {
            wire::parse(text).ok().map(|mut element| {
                relax_numbers(&mut element);
                for r in references.iter().filter(|_| add_imports) {
                    if !element.imports.contains(&r.name)
                        && !element.public_imports.contains(&r.name)
                    {
                        element.imports.push(r.name.clone());
                    }
                }
                match merge_with {
                    Some(pool) => wire::print(
                        &normalize::merge_options(&element, pool),
                        wire::Mode::Canonical,
                    ),
                    None => wire::print(&element, wire::Mode::WithoutCustomOptions),
                }
            })
        } else {
            None
        };
        let compiled_text = stripped.as_deref().unwrap_or(text);
        let (main, source) = open_source(&default_name, compiled_text, Some(&files))?;
        let main_name = main.name().to_owned();
        files.insert(main_name.clone(), main);
        let file = compile(&main_name, files)?;
        let canonical = match source {
            // Source protox compiles but wire does not read is kept as given.
            SchemaSource::Text => confluent_text(text, wire::Mode::Canonical)
                .unwrap_or_else(|| text.trim().to_owned()),
            SchemaSource::Descriptor => {
                let printed = printer::print(&file, printer::Style::Canonical)
                    .map_err(|e| SchemaError::Invalid(e.to_string()))?;
                confluent_text(&printed, wire::Mode::Canonical).unwrap_or(printed)
            }
        };
        Ok(Self {
            file,
            source,
            canonical,
            normalized: std::sync::OnceLock::new(),
        })
    }

    /// The text stored and returned for this schema, as Confluent stores it
    /// (`ProtobufSchema.canonicalString()`): the source as square/wire reads it, printed by
    /// Confluent's printer (`ProtobufSchemaUtils.toString`): comments and formatting dropped,
    /// blank lines between sections, in a message the reserved ranges, options, fields, oneofs,
    /// groups, extension ranges, `extend` blocks, then nested messages and enums; type names and
    /// option values as written (see the `wire` module). Source that protox compiles but wire
    /// does not read is kept as given (trimmed). For a schema given as a descriptor, the
    /// descriptor printed as `.proto` source ([`printer::print`] with
    /// [`printer::Style::Canonical`]), then through Confluent's printer.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// How the schema was given.
    pub fn source(&self) -> SchemaSource {
        self.source
    }

    /// The normalized text (`normalize=true`), Confluent's
    /// (`ProtobufSchemaUtils.toNormalizedString`): the canonical text with imports sorted and
    /// deduplicated, options sorted and merged, type names fully qualified, fields, oneofs,
    /// enum values and ranges sorted by number, `syntax` written for proto3 only; messages and
    /// enums keep their order (message indexes depend on it). See the `normalize` module.
    pub fn normalized(&self) -> String {
        self.normalized
            .get_or_init(|| match wire::parse(&self.canonical) {
                Ok(element) => {
                    let normalized = normalize::normalize(&element, self.pool());
                    wire::print(&normalized, wire::Mode::Normalized)
                }
                // Source wire does not read (kept as given): the descriptor printer's form.
                Err(_) => printer::print(&self.file, printer::Style::Normalized)
                    .unwrap_or_else(|_| self.canonical.clone()),
            })
            .clone()
    }

    /// The text of `format=ignore_extensions` (Confluent's `FormatContext(ignoreExtensions)`):
    /// the canonical text without custom options (those named `confluent.*` stay), extension
    /// ranges and `extend` blocks.
    pub fn without_extensions(&self) -> String {
        confluent_text(&self.canonical, wire::Mode::IgnoreExtensions)
            .unwrap_or_else(|| self.canonical.clone())
    }

    /// The main file as a base64-encoded `FileDescriptorProto` without source info (Confluent's
    /// `format=serialized`), extension options included. Its `name` is [`DEFAULT_FILE_NAME`]
    /// for a schema given as text, the descriptor's own name for one given as a descriptor.
    pub fn serialized(&self) -> String {
        BASE64.encode(without_source_info(&self.file.encode_to_vec()))
    }

    /// The main file, whose parent pool holds every imported file.
    pub fn file(&self) -> &FileDescriptor {
        &self.file
    }

    /// The descriptor pool of the main file and its imports.
    pub fn pool(&self) -> &DescriptorPool {
        self.file.parent_pool()
    }

    /// The main file as a `FileDescriptorProto` without source info. Extension options are not
    /// represented in `prost_types` (use [`ProtobufSchema::serialized`] for the full encoding).
    pub fn file_descriptor_proto(&self) -> prost_types::FileDescriptorProto {
        prost_types::FileDescriptorProto {
            source_code_info: None,
            ..self.file.file_descriptor_proto().clone()
        }
    }

    /// The full name of the first message of the main file (Confluent `ProtobufSchema.name()`),
    /// or `None` for a file without messages.
    pub fn name(&self) -> Option<String> {
        self.file
            .messages()
            .next()
            .map(|m| m.full_name().to_owned())
    }

    /// The message indexes of a message of the main file (Confluent `MessageIndexes`): the
    /// position of each enclosing message among its siblings, outermost first, counting only
    /// messages (map-entry and group messages skipped). `full_name` may carry the package
    /// (`acme.Order.Line`) or not (`Order.Line`). `None` when the main file has no such message.
    pub fn message_indexes(&self, full_name: &str) -> Option<Vec<i32>> {
        let package = self.file.package_name();
        let relative = full_name.strip_prefix('.').unwrap_or(full_name);
        let relative = if package.is_empty() {
            relative
        } else {
            relative
                .strip_prefix(package)
                .and_then(|r| r.strip_prefix('.'))
                .unwrap_or(relative)
        };
        let mut indexes = Vec::new();
        let mut siblings: Vec<MessageDescriptor> = indexed(self.file.messages());
        for part in relative.split('.') {
            let position = siblings.iter().position(|m| m.name() == part)?;
            indexes.push(i32::try_from(position).ok()?);
            let found = siblings.swap_remove(position);
            siblings = indexed(found.child_messages());
        }
        Some(indexes)
    }

    /// The message at `indexes` (see [`ProtobufSchema::message_indexes`]); `[0]` (and the empty
    /// array, which Confluent reads as `[0]`) is the first message. `None` when an index is out
    /// of range.
    pub fn message_by_indexes(&self, indexes: &[i32]) -> Option<MessageDescriptor> {
        let indexes: &[i32] = if indexes.is_empty() { &[0] } else { indexes };
        let mut siblings = indexed(self.file.messages());
        let mut found = None;
        for &index in indexes {
            let index = usize::try_from(index).ok()?;
            if index >= siblings.len() {
                return None;
            }
            let message = siblings.swap_remove(index);
            siblings = indexed(message.child_messages());
            found = Some(message);
        }
        found
    }

    /// A message of the pool by full name (`acme.Order`), in the main file or an import.
    pub fn message(&self, full_name: &str) -> Option<MessageDescriptor> {
        self.pool()
            .get_message_by_name(full_name.strip_prefix('.').unwrap_or(full_name))
    }

    /// Encodes a JSON document (proto3 JSON mapping) as `message`: the [`DynamicMessage`] and
    /// its binary encoding. Unknown fields, values of the wrong type and out-of-range numbers
    /// are errors naming the field path (`/items/0/price`).
    pub fn encode_json(
        &self,
        message: &MessageDescriptor,
        json: &serde_json::Value,
    ) -> Result<(DynamicMessage, Vec<u8>), PayloadError> {
        codec::encode_json(message, json)
    }

    /// Decodes binary Protobuf as `message`. Errors when the bytes are not a valid encoding.
    pub fn decode(
        &self,
        message: &MessageDescriptor,
        bytes: &[u8],
    ) -> Result<DynamicMessage, PayloadError> {
        codec::decode(message, bytes)
    }

    /// Checks that `bytes` is a valid encoding of `message` without building it (field
    /// numbers, wire types, UTF-8 strings, nested messages): the check serializers make
    /// before writing a record. Errors name the field path.
    pub fn check_encoding(
        &self,
        message: &MessageDescriptor,
        bytes: &[u8],
    ) -> Result<(), PayloadError> {
        codec::check_encoding(message, bytes)
    }

    /// Decodes binary Protobuf as `message` and writes it as JSON (proto3 JSON mapping: field
    /// JSON names, 64-bit integers as strings, enums by name, default values omitted).
    pub fn decode_to_json(
        &self,
        message: &MessageDescriptor,
        bytes: &[u8],
    ) -> Result<serde_json::Value, PayloadError> {
        codec::decode(message, bytes).and_then(|m| codec::to_json(&m))
    }
}

/// `.proto` source as Confluent prints it (square/wire's parse, Confluent's printer); `None`
/// when wire does not read it.
fn confluent_text(source: &str, mode: wire::Mode) -> Option<String> {
    wire::parse(source)
        .ok()
        .map(|element| wire::print(&element, mode))
}

/// Makes a file Confluent accepts but protoc (and so protox) refuses compile, for the
/// lenient retry only: the canonical text is always the source's. Confluent reads `.proto`
/// source with square/wire's parser and builds descriptors with protobuf-java, neither of
/// which has these protoc checks:
/// - a proto3 enum whose first value is not zero (protoc: "The first enum value must be
///   zero in proto3"): a zero value declared later is moved first; without one, a value
///   `WARDEN_ZERO_<Enum> = 0` is added first, so the compiled descriptor (`format=serialized`,
///   payloads) has one more value than the text (0 is a proto3 enum's default either way);
/// - an enum value or a message field whose number is in a reserved range of its type: the
///   ranges holding a used number are left out of the compiled descriptor.
///
/// Under `--strict-schemas` there is no retry and both are refused, as protoc refuses them.
fn relax_numbers(file: &mut wire::ProtoFileElement) {
    let proto3 = file.syntax.as_deref() == Some("proto3");
    for ty in &mut file.types {
        relax_type(ty, proto3);
    }
}

fn relax_type(ty: &mut wire::TypeElement, proto3: bool) {
    match ty {
        wire::TypeElement::Enum(e) => {
            if proto3 && e.constants.first().is_some_and(|c| c.tag != 0) {
                match e.constants.iter().position(|c| c.tag == 0) {
                    Some(i) => {
                        let zero = e.constants.remove(i);
                        e.constants.insert(0, zero);
                    }
                    None => e.constants.insert(
                        0,
                        wire::EnumConstantElement {
                            name: format!("WARDEN_ZERO_{}", e.name),
                            tag: 0,
                            options: Vec::new(),
                        },
                    ),
                }
            }
            // An enum's `max` is the largest `int32` (wire reads it as the field maximum).
            let used: Vec<i32> = e.constants.iter().map(|c| c.tag).collect();
            drop_reserved(&mut e.reserveds, &used, i32::MAX);
        }
        wire::TypeElement::Message(m) => {
            let mut used: Vec<i32> = m.fields.iter().map(|f| f.tag).collect();
            used.extend(m.groups.iter().map(|g| g.tag));
            for o in &m.oneofs {
                used.extend(o.fields.iter().map(|f| f.tag));
                used.extend(o.groups.iter().map(|g| g.tag));
            }
            drop_reserved(&mut m.reserveds, &used, wire::MAX_TAG_VALUE);
            for nested in &mut m.nested {
                relax_type(nested, proto3);
            }
        }
    }
}

/// Leaves out of `reserveds` every number range holding one of `used` (`max` standing for
/// `max`), and the `reserved` statements left empty.
fn drop_reserved(reserveds: &mut Vec<Vec<wire::Range>>, used: &[i32], max: i32) {
    let holds = |range: &wire::Range| match *range {
        wire::Range::Tag(n) => used.contains(&n),
        wire::Range::Span(start, end) => {
            let end = if end == wire::MAX_TAG_VALUE { max } else { end };
            used.iter().any(|n| (start..=end).contains(n))
        }
        wire::Range::Name(_) => false,
    };
    for statement in reserveds.iter_mut() {
        statement.retain(|r| !holds(r));
    }
    reserveds.retain(|statement| !statement.is_empty());
}

/// The messages that count for message indexes: map entries and group messages skipped.
fn indexed(messages: impl Iterator<Item = MessageDescriptor>) -> Vec<MessageDescriptor> {
    messages
        .filter(|m| !m.is_map_entry() && !is_group_message(m))
        .collect()
}

/// Whether a message is the type of a group field declared beside it (proto2 `group`).
pub(crate) fn is_group_message(message: &MessageDescriptor) -> bool {
    // Only proto2 has groups: skip the descriptor scan (which clones) everywhere else.
    if message.parent_file().syntax() != prost_reflect::Syntax::Proto2 {
        return false;
    }
    let scope_fields: Vec<prost_types::FieldDescriptorProto> = match message.parent_message() {
        Some(parent) => {
            let proto = parent.descriptor_proto();
            proto
                .field
                .iter()
                .chain(&proto.extension)
                .cloned()
                .collect()
        }
        None => message.parent_file_descriptor_proto().extension.clone(),
    };
    let full = format!(".{}", message.full_name());
    scope_fields.iter().any(|f| {
        f.r#type() == prost_types::field_descriptor_proto::Type::Group && f.type_name() == full
    })
}

/// A name for the main file that no reference uses.
fn unused_name(files: &HashMap<String, File>) -> String {
    let mut name = DEFAULT_FILE_NAME.to_owned();
    let mut n = 1;
    while files.contains_key(&name) {
        name = format!("{DEFAULT_FILE_NAME}_{n}");
        n += 1;
    }
    name
}

/// Opens a schema text as a file named `name`: `.proto` source, or else a base64
/// `FileDescriptorProto`. A reference's descriptor (`taken` is `None`) is renamed to its
/// reference name, so that imports find it; the main file's descriptor keeps its own name
/// unless it has none or a reference in `taken` has it.
fn open_source(
    name: &str,
    text: &str,
    taken: Option<&HashMap<String, File>>,
) -> Result<(File, SchemaSource), SchemaError> {
    let source_error = match File::from_source(name, text) {
        Ok(file) => return Ok((file, SchemaSource::Text)),
        Err(e) => e,
    };
    if let Some(bytes) = descriptor_bytes(text) {
        let fdp = prost_types::FileDescriptorProto::decode(bytes.as_slice())
            .expect("checked by descriptor_bytes");
        if fdp.syntax() == "editions" {
            return Err(editions_error(name));
        }
        let rename = match taken {
            None => true,
            Some(taken) => fdp.name().is_empty() || taken.contains_key(fdp.name()),
        };
        let bytes = if rename {
            set_name(&bytes, name)
        } else {
            bytes
        };
        let file = File::decode_file_descriptor_proto(bytes.as_slice())
            .map_err(|e| SchemaError::Invalid(format!("{name}: not a FileDescriptorProto: {e}")))?;
        return Ok((file, SchemaSource::Descriptor));
    }
    if uses_editions(text) {
        return Err(editions_error(name));
    }
    Err(SchemaError::Invalid(format!("{source_error:?}")))
}

/// The decoded bytes when `text` is standard base64 of a non-empty `FileDescriptorProto`.
fn descriptor_bytes(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return None;
    }
    let bytes = BASE64.decode(compact.as_bytes()).ok()?;
    let fdp = prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()?;
    let empty = fdp.name().is_empty()
        && fdp.package().is_empty()
        && fdp.message_type.is_empty()
        && fdp.enum_type.is_empty()
        && fdp.service.is_empty()
        && fdp.extension.is_empty()
        && fdp.syntax.is_none();
    (!empty).then_some(bytes)
}

/// Whether source text declares an edition (`edition = "2023";`).
fn uses_editions(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        line.strip_prefix("edition")
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    })
}

fn editions_error(name: &str) -> SchemaError {
    SchemaError::Invalid(format!(
        "{name}: Protobuf editions are not supported; use syntax = \"proto2\" or \"proto3\""
    ))
}

/// Resolves files by import path from a map (the references and the main file).
#[derive(Debug)]
struct MemoryResolver {
    files: HashMap<String, File>,
}

impl FileResolver for MemoryResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        self.files
            .get(name)
            .cloned()
            .ok_or_else(|| protox::Error::file_not_found(name))
    }
}

/// Compiles `main` with its imports from `files` and the built-ins.
fn compile(main: &str, files: HashMap<String, File>) -> Result<FileDescriptor, SchemaError> {
    let mut resolver = ChainFileResolver::new();
    resolver.add(MemoryResolver { files });
    resolver.add(builtin::BuiltinResolver::new());
    let mut compiler = Compiler::with_file_resolver(resolver);
    compiler.include_imports(true);
    compiler
        .open_file(main)
        .map_err(|e| SchemaError::Invalid(describe(&e)))?;
    let pool = compiler.descriptor_pool();
    if let Some(editions) = pool
        .files()
        .find(|f| f.file_descriptor_proto().syntax() == "editions")
    {
        return Err(editions_error(editions.name()));
    }
    pool.get_file_by_name(main).ok_or_else(|| {
        SchemaError::Invalid(format!("{main}: the compiled schema has no main file"))
    })
}

/// A compiler error as `file:line:column: reason` (protox's `Debug`, which includes the
/// location; its `Display` does not).
fn describe(error: &protox::Error) -> String {
    let text = format!("{error:?}");
    if error.is_file_not_found() {
        format!("{text} (an import must be one of the schema's references or a built-in file)")
    } else {
        text
    }
}

/// The top-level fields of an encoded message, as `(field number, bytes of key and value)`.
fn top_level_fields(bytes: &[u8]) -> Option<Vec<(u32, &[u8])>> {
    use prost::encoding::{DecodeContext, decode_key, skip_field};
    let mut rest = bytes;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let start = bytes.len() - rest.len();
        let mut buf = rest;
        let (number, wire_type) = decode_key(&mut buf).ok()?;
        skip_field(wire_type, number, &mut buf, DecodeContext::default()).ok()?;
        let end = bytes.len() - buf.len();
        out.push((number, &bytes[start..end]));
        rest = buf;
    }
    Some(out)
}

/// An encoded `FileDescriptorProto` with its `name` (field 1) replaced; the other fields keep
/// their exact bytes, extension options included.
fn set_name(bytes: &[u8], name: &str) -> Vec<u8> {
    let Some(fields) = top_level_fields(bytes) else {
        return bytes.to_vec();
    };
    let mut out = prost_types::FileDescriptorProto {
        name: Some(name.to_owned()),
        ..Default::default()
    }
    .encode_to_vec();
    for (number, raw) in fields {
        if number != 1 {
            out.extend_from_slice(raw);
        }
    }
    out
}

/// An encoded `FileDescriptorProto` without `source_code_info` (field 9).
fn without_source_info(bytes: &[u8]) -> Vec<u8> {
    let Some(fields) = top_level_fields(bytes) else {
        return bytes.to_vec();
    };
    fields
        .into_iter()
        .filter(|(number, _)| *number != 9)
        .flat_map(|(_, raw)| raw.iter().copied())
        .collect()
}
