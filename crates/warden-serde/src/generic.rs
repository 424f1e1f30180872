//! Decoding any record by its schema id, whatever the format.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use prost_reflect::ReflectMessage;
use serde_json::Value;
use warden_client::RegistryClient;
use warden_core::api::SubjectVersionResponse;
use warden_core::avro::AvroSchema;
use warden_core::{ParsedSchema, ProtobufSchema, SchemaId, SchemaType, Subject};

use crate::avro::{avro_value, resolve_avro};
use crate::error::{Result, SerdeError};
use crate::frame::{read_header, read_indexes, writer_schema};
use crate::json::json_value;
use crate::protobuf::{dynamic_message, message_to_json, reader_message};
use crate::resolver::{Contracts, narrow, parsed_schema, record_name};
use crate::rules::migrate::{Migrations, migrations};
use crate::strategy::{SerializationContext, SubjectNameStrategy};

/// A record decoded to JSON: its writer schema's id and format, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The schema id in the header.
    pub schema_id: SchemaId,
    /// The writer schema's format.
    pub schema_type: SchemaType,
    /// The value: Avro as plain JSON, Protobuf in the proto3 JSON mapping, JSON as written.
    pub value: Value,
}

/// Decodes records of any format to JSON, choosing the decoder by the writer schema.
#[derive(Debug, Clone)]
pub struct GenericDeserializer {
    client: RegistryClient,
    contracts: Arc<Contracts>,
    reading: Arc<Reading>,
}

/// Which version of the subject a deserializer reads records as (Confluent's deserializer
/// settings `use.latest.version`, `use.latest.with.metadata` and `use.schema.id`; the subject
/// is the topic's,
/// `<topic>-value` or `<topic>-key`, or the one the deserializer's subject name strategy
/// names from the writer's record name). With anything but [`ReaderVersion::Writer`], a record
/// written with another version of the subject is read as the reader's version, as
/// Confluent's deserializers read it:
///
/// - when versions between the two carry migration rules for the direction (`UPGRADE` from
///   an older writer, `DOWNGRADE` from a newer one), the record is decoded with its writer
///   schema, carried through those rules as JSON, and then read as the reader's schema;
/// - otherwise an Avro record is read by Avro schema resolution from the writer's schema
///   to the reader's (fields the reader lacks dropped, fields the writer lacks given their
///   default), a Protobuf message is decoded as the reader schema's message of the same
///   name (or its first message), and a JSON document is kept as written;
/// - then the reader version's `READ` rules run on it, and a JSON Schema deserializer that
///   validates checks the result against the reader's schema.
///
/// A record written with the reader's version itself is read as with
/// [`ReaderVersion::Writer`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReaderVersion {
    /// The writer's own schema (the default).
    #[default]
    Writer,
    /// The subject's latest version (`use.latest.version`).
    Latest,
    /// The subject's latest version with these metadata properties
    /// (`use.latest.with.metadata`).
    LatestWithMetadata(Vec<(String, String)>),
    /// The version of the subject that is the schema with this id (`use.schema.id`), kept
    /// once found.
    Id(SchemaId),
}

impl GenericDeserializer {
    /// A deserializer over `client`.
    pub fn new(client: RegistryClient) -> Self {
        Self {
            client,
            contracts: Arc::default(),
            reading: Arc::default(),
        }
    }

    reader_settings!("[`GenericDeserializer::deserialize_in`]");

    /// Decodes one record of `context`'s topic and part, migrated to the reader version
    /// (see [`ReaderVersion`]; with [`ReaderVersion::Writer`], as
    /// [`GenericDeserializer::deserialize`]), then runs the reader version's `READ` rules.
    /// The decoded value's `schema_id` is the reader version's id after a migration.
    ///
    /// Errors: as [`GenericDeserializer::deserialize`]; [`SerdeError::Rule`] when a
    /// migration rule fails; [`SerdeError::Registry`] when the reader version cannot be
    /// found.
    pub async fn deserialize_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<Decoded> {
        let (writer_id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let Some(reader) = self
            .reading
            .target(&self.client, context, writer_id, &schema, payload)
            .await?
        else {
            return self.deserialize(bytes).await;
        };
        let (mut value, descriptor) = if reader.migrations.is_empty() {
            // Read as the reader's schema without rules in between.
            match reader.schema.as_ref() {
                ParsedSchema::Avro(_) => {
                    let resolved =
                        reader.resolve_avro(writer_id, avro_value(writer_id, &schema, payload)?)?;
                    (warden_core::avro::datum::value_to_json(&resolved), None)
                }
                ParsedSchema::Protobuf(_) => {
                    let message = reader.protobuf_message(writer_id, &schema, payload)?;
                    (
                        message_to_json(reader.id, &message)?,
                        Some(message.descriptor()),
                    )
                }
                _ => decode(writer_id, &schema, payload)?,
            }
        } else {
            let (mut value, _) = decode(writer_id, &schema, payload)?;
            reader.migrations.run(&mut value)?;
            let descriptor = match reader.schema.as_ref() {
                ParsedSchema::Protobuf(_) => {
                    Some(reader.protobuf_descriptor(writer_id, &schema, payload)?)
                }
                _ => None,
            };
            (value, descriptor)
        };
        self.contracts
            .run_read_rules_in(
                &self.client,
                reader.id,
                &reader.schema,
                descriptor.as_ref(),
                &mut value,
            )
            .await?;
        Ok(Decoded {
            schema_id: reader.id,
            schema_type: reader.schema.schema_type(),
            value,
        })
    }

    /// The registry client it reads schemas from.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// Decodes one record, then runs its writer schema's `READ` rules on it.
    ///
    /// Errors: as the per-format deserializers.
    pub async fn deserialize(&self, bytes: &[u8]) -> Result<Decoded> {
        let (schema_id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let schema_type = schema.schema_type();
        let (mut value, descriptor) = decode(schema_id, &schema, payload)?;
        self.contracts
            .run_read_rules_in(
                &self.client,
                schema_id,
                &schema,
                descriptor.as_ref(),
                &mut value,
            )
            .await?;
        Ok(Decoded {
            schema_id,
            schema_type,
            value,
        })
    }
}

/// A deserializer's [`ReaderVersion`], with the migration steps it has found, per subject and
/// (writer, reader) schema ids, and the reader versions it keeps.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    settings: ReadingSettings,
    /// The reader version of each subject, with when it was found.
    latest: RwLock<HashMap<Subject, (Instant, Arc<SubjectVersionResponse>)>>,
    found: RwLock<HashMap<(Subject, SchemaId, SchemaId), Arc<Migrations>>>,
}

/// The version of its subject a record is read as, when it is not the writer's.
pub(crate) struct ReaderTarget {
    /// The reader version's schema id.
    pub(crate) id: SchemaId,
    /// The reader version's schema.
    pub(crate) schema: Arc<ParsedSchema>,
    /// The steps from the writer's version to it.
    pub(crate) migrations: Arc<Migrations>,
}

/// A deserializer's reader-version settings (the builder methods of `reader_settings!`).
#[derive(Debug, Default, Clone)]
pub(crate) struct ReadingSettings {
    pub(crate) version: ReaderVersion,
    /// How the subject of the reader version is named.
    pub(crate) strategy: SubjectNameStrategy,
    /// How long a reader version found is kept (`None`: for good, as Confluent's
    /// default; zero: asked for each record).
    pub(crate) latest_ttl: Option<Duration>,
}

impl Reading {
    /// The same settings as changed by `change`; nothing found so far is kept.
    pub(crate) fn with(&self, change: impl FnOnce(&mut ReadingSettings)) -> Arc<Self> {
        let mut settings = self.settings.clone();
        change(&mut settings);
        Arc::new(Self {
            settings,
            ..Self::default()
        })
    }

    /// The reader version of `subject`: kept (younger than the TTL) or asked for.
    async fn reader(
        &self,
        client: &RegistryClient,
        subject: &Subject,
    ) -> Result<Arc<SubjectVersionResponse>> {
        // A version found by its schema id does not move: kept for good.
        let by_id = matches!(self.settings.version, ReaderVersion::Id(_));
        let ttl = if by_id {
            Duration::MAX
        } else {
            self.settings.latest_ttl.unwrap_or(Duration::MAX)
        };
        if !ttl.is_zero()
            && let Some((at, kept)) = self
                .latest
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(subject)
            && at.elapsed() < ttl
        {
            return Ok(Arc::clone(kept));
        }
        let found = Arc::new(match &self.settings.version {
            ReaderVersion::LatestWithMetadata(properties) => {
                client.latest_with_metadata(subject, properties).await?
            }
            ReaderVersion::Id(id) => {
                let found = client
                    .subject_versions_of(*id)
                    .await?
                    .into_iter()
                    .find(|sv| &sv.subject == subject)
                    .ok_or_else(|| {
                        SerdeError::Config(format!(
                            "schema {id} is not a version of subject {subject}"
                        ))
                    })?;
                client
                    .version_including_deleted(subject, found.version)
                    .await?
            }
            _ => client.latest(subject).await?,
        });
        if !ttl.is_zero() {
            self.latest
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(subject.clone(), (Instant::now(), Arc::clone(&found)));
        }
        Ok(found)
    }

    /// The version a record written with schema `writer_id` (`writer`, the record's
    /// `payload` after the header) in `context` is read as, or `None` to read it as written
    /// ([`ReaderVersion::Writer`], or a reader version that is the writer's). The subject is
    /// named by the strategy, with the writer's record name for the record name strategies
    /// (as Confluent's deserializers name it: the Avro full name, the JSON Schema `title`,
    /// the full name of the Protobuf message the header's indexes name). The reader
    /// version found is kept as `latest_ttl` says (for good by default; zero asks for each
    /// record); the migration steps are found once.
    ///
    /// Errors: [`SerdeError::Config`] for a record that makes no subject, or a writer schema
    /// that is not a version of the subject; [`SerdeError::Registry`] when the reader
    /// version cannot be found.
    pub(crate) async fn target(
        &self,
        client: &RegistryClient,
        context: &SerializationContext<'_>,
        writer_id: SchemaId,
        writer: &ParsedSchema,
        payload: &[u8],
    ) -> Result<Option<ReaderTarget>> {
        if self.settings.version == ReaderVersion::Writer {
            return Ok(None);
        }
        let name = match self.settings.strategy {
            SubjectNameStrategy::TopicName => None,
            _ => writer_record_name(writer, payload),
        };
        let subject = self.settings.strategy.subject(context, name.as_deref())?;
        let reader = self.reader(client, &subject).await?;
        if reader.id == writer_id {
            return Ok(None);
        }
        let key = (subject, writer_id, reader.id);
        let kept = self
            .found
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let steps = match kept {
            Some(steps) => steps,
            None => {
                let steps = Arc::new(migrations(client, &key.0, writer_id, &reader).await?);
                self.found
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, Arc::clone(&steps));
                steps
            }
        };
        Ok(Some(ReaderTarget {
            id: reader.id,
            schema: parsed_schema(client, reader.id).await?,
            migrations: steps,
        }))
    }
}

/// The record name of a record written with `writer` (`payload` after the header), as the
/// record name strategies read it: the Protobuf message the message indexes name, else
/// [`record_name`].
fn writer_record_name(writer: &ParsedSchema, payload: &[u8]) -> Option<String> {
    match writer {
        ParsedSchema::Protobuf(proto) => {
            let (indexes, _) = read_indexes(payload).ok()?;
            Some(proto.message_by_indexes(&indexes)?.full_name().to_owned())
        }
        other => record_name(other),
    }
}

impl ReaderTarget {
    /// An Avro value decoded with writer schema `writer_id`, resolved to the reader's schema
    /// (Avro schema resolution, by `apache-avro`).
    ///
    /// Errors: [`SerdeError::WrongFormat`] when the reader schema is not Avro;
    /// [`SerdeError::Undecodable`] when the writer's value cannot be read as the reader's
    /// schema (a field the reader adds without a default, a type that does not promote).
    pub(crate) fn resolve_avro(
        &self,
        writer_id: SchemaId,
        value: apache_avro::types::Value,
    ) -> Result<apache_avro::types::Value> {
        resolve_avro(value, narrow::<AvroSchema>(self.id, &self.schema)?).map_err(|message| {
            SerdeError::Undecodable {
                schema_id: writer_id,
                message: format!("cannot be read as schema {}: {message}", self.id),
            }
        })
    }

    /// The reader schema's message for a Protobuf payload (message indexes, then the
    /// message) written with `writer` (schema `writer_id`): the reader's top-level message
    /// with the writer message's name, else its first message (as Confluent's Python
    /// deserializer picks it).
    ///
    /// Errors: as [`dynamic_message`]; [`SerdeError::WrongFormat`] when the reader schema is
    /// not Protobuf; [`SerdeError::Undecodable`] when it has no message.
    pub(crate) fn protobuf_descriptor(
        &self,
        writer_id: SchemaId,
        writer: &ParsedSchema,
        payload: &[u8],
    ) -> Result<prost_reflect::MessageDescriptor> {
        let written = dynamic_message(writer_id, writer, payload)?;
        reader_message(
            self.id,
            narrow::<ProtobufSchema>(self.id, &self.schema)?,
            &written.descriptor(),
        )
    }

    /// A Protobuf payload written with `writer` (schema `writer_id`), decoded as the reader
    /// schema's message ([`ReaderTarget::protobuf_descriptor`]): the wire format carries
    /// fields by number, so no rules are needed between compatible versions.
    ///
    /// Errors: as [`ReaderTarget::protobuf_descriptor`]; [`SerdeError::Undecodable`] when
    /// the bytes do not decode as the reader's message.
    pub(crate) fn protobuf_message(
        &self,
        writer_id: SchemaId,
        writer: &ParsedSchema,
        payload: &[u8],
    ) -> Result<prost_reflect::DynamicMessage> {
        let descriptor = self.protobuf_descriptor(writer_id, writer, payload)?;
        let (_, bytes) = read_indexes(payload)?;
        narrow::<ProtobufSchema>(self.id, &self.schema)?
            .decode(&descriptor, bytes)
            .map_err(|e| SerdeError::Undecodable {
                schema_id: writer_id,
                message: format!("cannot be read as schema {}: {}", self.id, e.message),
            })
    }
}

/// A payload written with `schema` as JSON: Avro as plain JSON, Protobuf in the proto3 JSON
/// mapping (with its message's descriptor), JSON as written.
pub(crate) fn decode(
    id: SchemaId,
    schema: &ParsedSchema,
    payload: &[u8],
) -> Result<(Value, Option<prost_reflect::MessageDescriptor>)> {
    Ok(match schema.schema_type() {
        SchemaType::Avro => (
            warden_core::avro::datum::value_to_json(&avro_value(id, schema, payload)?),
            None,
        ),
        SchemaType::Json => (json_value(id, schema, payload, false)?, None),
        SchemaType::Protobuf => {
            let message = dynamic_message(id, schema, payload)?;
            (message_to_json(id, &message)?, Some(message.descriptor()))
        }
    })
}

/// A record that decoded and validated against its writer schema: what a validating proxy
/// needs to check the schema against the topic's subject.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The schema id in the header.
    pub schema_id: SchemaId,
    /// The writer schema.
    pub schema: Arc<ParsedSchema>,
    /// The record's type name as `RecordNameStrategy` reads it: the Avro full name, the
    /// full name of the Protobuf message the message indexes name, the JSON Schema `title`.
    pub record_name: Option<String>,
}

/// Checks one framed record (`0x00 | id | [indexes] | payload`) as the deserializers read it,
/// with no value built: the header, the writer schema (registry or cache), and the payload,
/// which must decode with it (Avro, Protobuf with its message indexes) or, for JSON Schema,
/// parse and validate against it.
///
/// Errors: [`SerdeError::UnknownMagicByte`], [`SerdeError::Truncated`],
/// [`SerdeError::InvalidSchemaId`], [`SerdeError::UnknownSchemaId`],
/// [`SerdeError::Registry`] (the registry failed or is unreachable),
/// [`SerdeError::Undecodable`] (bytes that do not decode, message indexes that name no
/// message), [`SerdeError::Invalid`] (a JSON document violating its schema: the field path).
pub async fn check_record(client: &RegistryClient, bytes: &[u8]) -> Result<Checked> {
    let (schema_id, payload) = read_header(bytes)?;
    let schema = parsed_schema(client, schema_id).await?;
    let record_name = match schema.as_ref() {
        ParsedSchema::Avro(avro) => {
            // The decoder's verdict, without building the value.
            avro.check_encoding(payload)
                .map_err(|e| SerdeError::Undecodable {
                    schema_id,
                    message: e.to_string(),
                })?;
            record_name(&schema)
        }
        ParsedSchema::Json(_) => {
            json_value(schema_id, &schema, payload, true)?;
            record_name(&schema)
        }
        ParsedSchema::Protobuf(_) => {
            let message = dynamic_message(schema_id, &schema, payload)?;
            Some(message.descriptor().full_name().to_owned())
        }
        other => {
            return Err(SerdeError::Undecodable {
                schema_id,
                message: format!("no decoder for {:?} schemas", other.schema_type()),
            });
        }
    };
    Ok(Checked {
        schema_id,
        schema,
        record_name,
    })
}
