//! Decoding any record by its schema id, whatever the format.

use std::sync::Arc;

use prost_reflect::ReflectMessage;
use serde_json::Value;
use warden_client::RegistryClient;
use warden_core::{ParsedSchema, SchemaId, SchemaType};

use crate::avro::avro_value;
use crate::error::{Result, SerdeError};
use crate::frame::{read_header, writer_schema};
use crate::json::json_value;
use crate::protobuf::{dynamic_message, message_to_json};
use crate::resolver::{Contracts, parsed_schema, record_name};
use crate::rules::migrate::migrate;
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
    reader: ReaderVersion,
}

/// Which version of the subject a deserializer reads records as (Confluent's deserializer
/// settings). With anything but [`ReaderVersion::Writer`], a record written with another
/// version of the subject is carried to the reader's version by the migration rules
/// (`UPGRADE` / `DOWNGRADE`) in between, and the reader version's `READ` rules run on it.
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
}

impl GenericDeserializer {
    /// A deserializer over `client`.
    pub fn new(client: RegistryClient) -> Self {
        Self {
            client,
            contracts: Arc::default(),
            reader: ReaderVersion::Writer,
        }
    }

    /// The same deserializer, reading records as `reader` says; the subject comes from the
    /// context given to [`GenericDeserializer::deserialize_in`] and the topic name strategy.
    #[must_use]
    pub fn reader_version(mut self, reader: ReaderVersion) -> Self {
        self.reader = reader;
        self
    }

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
        if self.reader == ReaderVersion::Writer {
            return self.deserialize(bytes).await;
        }
        let subject = SubjectNameStrategy::TopicName.subject(context, None)?;
        let reader = match &self.reader {
            ReaderVersion::LatestWithMetadata(properties) => {
                self.client
                    .latest_with_metadata(&subject, properties)
                    .await?
            }
            _ => self.client.latest(&subject).await?,
        };
        let (writer_id, schema, payload) = writer_schema(&self.client, bytes).await?;
        if writer_id == reader.id {
            return self.deserialize(bytes).await;
        }
        let (mut value, _) = decode(writer_id, &schema, payload)?;
        migrate(&self.client, &subject, writer_id, &reader, &mut value).await?;
        let reader_schema = parsed_schema(&self.client, reader.id).await?;
        self.contracts
            .run_read_rules(&self.client, reader.id, &reader_schema, &mut value)
            .await?;
        Ok(Decoded {
            schema_id: reader.id,
            schema_type: reader_schema.schema_type(),
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
