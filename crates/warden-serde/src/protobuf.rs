//! Protobuf in the Confluent wire format: `0x00 | id | message indexes | Protobuf binary`.

use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage};
use serde_json::Value;
use warden_client::{RegistryClient, UnregisteredSchema};
use warden_core::{ParsedSchema, ProtobufSchema, SchemaType};

use crate::error::{Result, SerdeError};
use crate::frame::{header, read_indexes, writer_schema};
use crate::resolver::{Resolved, Resolver, SerializerConfig};
use crate::strategy::SerializationContext;

/// Serializes Protobuf messages: `prost` types (by their `prost::Name`), `DynamicMessage`s
/// and JSON documents (proto3 JSON mapping). The message must be one of the writer schema's
/// messages; its message indexes go in the header.
#[derive(Debug)]
pub struct ProtobufSerializer {
    resolver: Resolver,
}

impl ProtobufSerializer {
    /// A serializer that writes with `schema` (`.proto` source), looked up under the subject
    /// (or registered, with [`SerializerConfig::auto_register_schemas`]).
    pub fn new(
        client: RegistryClient,
        schema: UnregisteredSchema,
        config: SerializerConfig,
    ) -> Self {
        Self {
            resolver: Resolver::new(client, config, SchemaType::Protobuf, Some(schema)),
        }
    }

    /// A serializer without a schema of its own: `config` must set
    /// [`SerializerConfig::use_latest_version`] or [`SerializerConfig::use_schema_id`].
    pub fn from_registry(client: RegistryClient, config: SerializerConfig) -> Self {
        Self {
            resolver: Resolver::new(client, config, SchemaType::Protobuf, None),
        }
    }

    /// Serializes a `prost` message. Its encoding is checked to decode as the schema's
    /// message of the same full name.
    ///
    /// Errors: [`SerdeError::Invalid`] when the schema has no such message or the encoding
    /// does not fit it; registry errors.
    pub async fn serialize<M: Message + prost::Name>(
        &self,
        context: &SerializationContext,
        message: &M,
    ) -> Result<Vec<u8>> {
        let full_name = M::full_name();
        let resolved = self.resolver.resolve(context, Some(&full_name)).await?;
        let (schema, descriptor, indexes) = message_of(&resolved, &full_name)?;
        let bytes = message.encode_to_vec();
        schema.decode(&descriptor, &bytes)?;
        Ok(framed(resolved.id, &indexes, &bytes))
    }

    /// Serializes a `DynamicMessage` (its descriptor's full name picks the message).
    pub async fn serialize_dynamic(
        &self,
        context: &SerializationContext,
        message: &DynamicMessage,
    ) -> Result<Vec<u8>> {
        let full_name = message.descriptor().full_name().to_owned();
        let resolved = self.resolver.resolve(context, Some(&full_name)).await?;
        let (schema, descriptor, indexes) = message_of(&resolved, &full_name)?;
        let bytes = message.encode_to_vec();
        schema.decode(&descriptor, &bytes)?;
        Ok(framed(resolved.id, &indexes, &bytes))
    }

    /// Serializes a JSON document (proto3 JSON mapping) as `message` (a full name such as
    /// `acme.Order`), or as the schema's first message when `None`. Unknown fields, wrong
    /// types and out-of-range numbers are [`SerdeError::Invalid`] with the field path.
    pub async fn serialize_json(
        &self,
        context: &SerializationContext,
        message: Option<&str>,
        json: &Value,
    ) -> Result<Vec<u8>> {
        let resolved = self.resolver.resolve(context, message).await?;
        let ParsedSchema::Protobuf(schema) = &*resolved.schema else {
            unreachable!("the resolver checks the format");
        };
        let full_name = match message {
            Some(name) => name.to_owned(),
            None => schema.name().ok_or_else(|| {
                SerdeError::invalid("", format!("schema {} has no message", resolved.id))
            })?,
        };
        let (schema, descriptor, indexes) = message_of(&resolved, &full_name)?;
        let (_, bytes) = schema.encode_json(&descriptor, json)?;
        Ok(framed(resolved.id, &indexes, &bytes))
    }

    /// The registry client.
    pub fn client(&self) -> &RegistryClient {
        self.resolver.client()
    }
}

fn message_of<'r>(
    resolved: &'r Resolved,
    full_name: &str,
) -> Result<(&'r ProtobufSchema, MessageDescriptor, Vec<i32>)> {
    let ParsedSchema::Protobuf(schema) = &*resolved.schema else {
        unreachable!("the resolver checks the format");
    };
    let missing = || {
        SerdeError::invalid(
            "",
            format!("schema {} has no message {full_name}", resolved.id),
        )
    };
    let indexes = schema.message_indexes(full_name).ok_or_else(missing)?;
    let descriptor = schema.message_by_indexes(&indexes).ok_or_else(missing)?;
    Ok((schema, descriptor, indexes))
}

fn framed(id: u32, indexes: &[i32], bytes: &[u8]) -> Vec<u8> {
    let mut out = header(id, bytes.len() + 4);
    warden_core::wire::write_message_indexes(indexes, &mut out);
    out.extend_from_slice(bytes);
    out
}

/// Reads Protobuf records written in the Confluent wire format: the writer schema by id,
/// the message by the indexes in the header.
#[derive(Debug, Clone)]
pub struct ProtobufDeserializer {
    client: RegistryClient,
}

impl ProtobufDeserializer {
    /// A deserializer over `client`.
    pub fn new(client: RegistryClient) -> Self {
        Self { client }
    }

    /// The schema id and the decoded message.
    ///
    /// Errors: [`SerdeError::UnknownMagicByte`], [`SerdeError::Truncated`] (header or
    /// message indexes), [`SerdeError::UnknownSchemaId`], [`SerdeError::WrongFormat`],
    /// [`SerdeError::Undecodable`] (indexes naming no message, bytes that do not decode).
    pub async fn deserialize_dynamic(&self, bytes: &[u8]) -> Result<(u32, DynamicMessage)> {
        let (id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let ParsedSchema::Protobuf(proto) = &*schema else {
            return Err(SerdeError::WrongFormat {
                schema_id: id,
                expected: SchemaType::Protobuf,
                actual: schema.schema_type(),
            });
        };
        let (indexes, message) = read_indexes(payload)?;
        let descriptor =
            proto
                .message_by_indexes(&indexes)
                .ok_or_else(|| SerdeError::Undecodable {
                    schema_id: id,
                    message: format!("message indexes {indexes:?} name no message"),
                })?;
        let decoded = proto
            .decode(&descriptor, message)
            .map_err(|e| SerdeError::Undecodable {
                schema_id: id,
                message: e.message,
            })?;
        Ok((id, decoded))
    }

    /// The record as JSON (proto3 JSON mapping).
    pub async fn deserialize_json(&self, bytes: &[u8]) -> Result<Value> {
        let (id, message) = self.deserialize_dynamic(bytes).await?;
        serde_json::to_value(&message).map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.to_string(),
        })
    }

    /// The record as a `prost` message. The header's schema must exist; the message bytes
    /// are decoded as `M` directly.
    pub async fn deserialize<M: Message + Default>(&self, bytes: &[u8]) -> Result<M> {
        let (id, _, payload) = writer_schema(&self.client, bytes).await?;
        let (_, message) = read_indexes(payload)?;
        M::decode(message).map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.to_string(),
        })
    }
}
