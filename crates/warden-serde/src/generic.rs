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
use crate::resolver::{parsed_schema, record_name};

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
}

impl GenericDeserializer {
    /// A deserializer over `client`.
    pub fn new(client: RegistryClient) -> Self {
        Self { client }
    }

    /// The registry client it reads schemas from.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// Decodes one record.
    ///
    /// Errors: as the per-format deserializers.
    pub async fn deserialize(&self, bytes: &[u8]) -> Result<Decoded> {
        let (schema_id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let schema_type = schema.schema_type();
        let value = match schema_type {
            SchemaType::Avro => {
                warden_core::avro::datum::value_to_json(&avro_value(schema_id, &schema, payload)?)
            }
            SchemaType::Json => json_value(schema_id, &schema, payload, false)?,
            SchemaType::Protobuf => {
                message_to_json(schema_id, &dynamic_message(schema_id, &schema, payload)?)?
            }
        };
        Ok(Decoded {
            schema_id,
            schema_type,
            value,
        })
    }
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
        ParsedSchema::Avro(_) => {
            avro_value(schema_id, &schema, payload)?;
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
