//! Protobuf in the Confluent wire format: `0x00 | id | message indexes | Protobuf binary`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage};
use serde_json::Value;
use warden_client::{RegistryClient, UnregisteredSchema};
use warden_core::protobuf::EncodingCheck;
use warden_core::wire::{header, message_indexes_to_bytes};
use warden_core::{ParsedSchema, ProtobufSchema, SchemaId};

use crate::error::{Result, SerdeError};
use crate::frame::{read_indexes, writer_schema};
use crate::resolver::{Contracts, Resolved, Resolver, SerializerConfig, narrow};
use crate::strategy::SerializationContext;

/// Serializes Protobuf messages: `prost` types (by their `prost::Name`), `DynamicMessage`s
/// and JSON documents (proto3 JSON mapping). The message must be one of the writer schema's
/// messages; its message indexes go in the header.
#[derive(Debug)]
pub struct ProtobufSerializer {
    resolver: Resolver<ProtobufSchema>,
    /// Per schema id, the messages written with it (full name, target): usually one, found
    /// by comparing names.
    messages: RwLock<HashMap<SchemaId, Targets>>,
}

/// The messages written with one schema: (full name, target).
type Targets = Vec<(String, Arc<Target>)>;

/// A message of a writer schema, ready to frame records with.
#[derive(Debug)]
struct Target {
    descriptor: MessageDescriptor,
    indexes: Vec<u8>,
    /// The message's encoding check, compiled once.
    check: EncodingCheck,
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
            resolver: Resolver::new(client, config, Some(schema)),
            messages: RwLock::default(),
        }
    }

    /// A serializer without a schema of its own: `config` must set
    /// [`SerializerConfig::use_latest_version`] or [`SerializerConfig::use_schema_id`].
    pub fn from_registry(client: RegistryClient, config: SerializerConfig) -> Self {
        Self {
            resolver: Resolver::new(client, config, None),
            messages: RwLock::default(),
        }
    }

    /// Serializes a `prost` message. Its encoding is checked to decode as the schema's
    /// message of the same full name.
    ///
    /// Errors: [`SerdeError::Invalid`] when the schema has no such message or the encoding
    /// does not fit it; registry errors.
    pub async fn serialize<M: Message + prost::Name>(
        &self,
        context: &SerializationContext<'_>,
        message: &M,
    ) -> Result<Vec<u8>> {
        self.encode(context, &M::full_name(), message).await
    }

    /// Serializes a `DynamicMessage` (its descriptor's full name picks the message).
    pub async fn serialize_dynamic(
        &self,
        context: &SerializationContext<'_>,
        message: &DynamicMessage,
    ) -> Result<Vec<u8>> {
        let descriptor = message.descriptor();
        self.encode(context, descriptor.full_name(), message).await
    }

    /// Encodes `message` as the writer schema's message `full_name`, checks the encoding
    /// against it and frames it.
    async fn encode<M: Message>(
        &self,
        context: &SerializationContext<'_>,
        full_name: &str,
        message: &M,
    ) -> Result<Vec<u8>> {
        // The subject name strategy reads the message's name only when it is a record name
        // strategy.
        let record_name = self.resolver.uses_record_name().then_some(full_name);
        let resolved = self.resolver.resolve(context, record_name).await?;
        let target = self.target(&resolved, full_name)?;
        let mut out = header(resolved.id, target.indexes.len() + message.encoded_len());
        out.extend_from_slice(&target.indexes);
        let start = out.len();
        // `Message::encode` would size the message again to check the room; a `Vec` has it.
        message.encode_raw(&mut out);
        target.check.check(&out[start..])?;
        if resolved.write_rules().is_some() {
            // The rules see (and may rewrite) the message in the proto3 JSON mapping.
            let mut json = resolved
                .schema
                .decode_to_json(&target.descriptor, &out[start..])?;
            resolved.run_write_rules_in(Some(&target.descriptor), &mut json)?;
            let (_, bytes) = resolved.schema.encode_json(&target.descriptor, &json)?;
            out.truncate(start);
            out.extend_from_slice(&bytes);
        }
        Ok(out)
    }

    /// Serializes a JSON document (proto3 JSON mapping) as `message` (a full name such as
    /// `acme.Order`), or as the schema's first message when `None`. Unknown fields, wrong
    /// types and out-of-range numbers are [`SerdeError::Invalid`] with the field path.
    pub async fn serialize_json(
        &self,
        context: &SerializationContext<'_>,
        message: Option<&str>,
        json: &Value,
    ) -> Result<Vec<u8>> {
        let resolved = self.resolver.resolve(context, message).await?;
        let schema = &resolved.schema;
        let full_name = match message {
            Some(name) => name.to_owned(),
            None => schema.name().ok_or_else(|| {
                SerdeError::invalid("", format!("schema {} has no message", resolved.id))
            })?,
        };
        let target = self.target(&resolved, &full_name)?;
        let (_, bytes) = if resolved.write_rules().is_some() {
            let mut json = json.clone();
            resolved.run_write_rules_in(Some(&target.descriptor), &mut json)?;
            schema.encode_json(&target.descriptor, &json)?
        } else {
            schema.encode_json(&target.descriptor, json)?
        };
        let mut out = header(resolved.id, target.indexes.len() + bytes.len());
        out.extend_from_slice(&target.indexes);
        out.extend_from_slice(&bytes);
        Ok(out)
    }

    /// The message `full_name` of the resolved schema, from the cache or looked up once.
    fn target(&self, resolved: &Resolved<ProtobufSchema>, full_name: &str) -> Result<Arc<Target>> {
        if let Some((_, found)) = self
            .messages
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&resolved.id)
            .and_then(|targets| targets.iter().find(|(name, _)| name == full_name))
        {
            return Ok(Arc::clone(found));
        }
        let schema = &resolved.schema;
        let missing = || {
            SerdeError::invalid(
                "",
                format!("schema {} has no message {full_name}", resolved.id),
            )
        };
        let indexes = schema.message_indexes(full_name).ok_or_else(missing)?;
        let descriptor = schema.message_by_indexes(&indexes).ok_or_else(missing)?;
        let target = Arc::new(Target {
            check: EncodingCheck::new(&descriptor),
            descriptor,
            indexes: message_indexes_to_bytes(&indexes),
        });
        let mut messages = self.messages.write().unwrap_or_else(|p| p.into_inner());
        let targets = messages.entry(resolved.id).or_default();
        match targets.iter().find(|(name, _)| name == full_name) {
            Some((_, found)) => Ok(Arc::clone(found)),
            None => {
                targets.push((full_name.to_owned(), Arc::clone(&target)));
                Ok(target)
            }
        }
    }

    /// The registry client.
    pub fn client(&self) -> &RegistryClient {
        self.resolver.client()
    }
}

/// Reads Protobuf records written in the Confluent wire format: the writer schema by id,
/// the message by the indexes in the header.
#[derive(Debug, Clone)]
pub struct ProtobufDeserializer {
    client: RegistryClient,
    contracts: Arc<Contracts>,
}

impl ProtobufDeserializer {
    /// A deserializer over `client`.
    pub fn new(client: RegistryClient) -> Self {
        Self {
            client,
            contracts: Arc::default(),
        }
    }

    /// The registry client it reads schemas from.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The schema id and the decoded message.
    ///
    /// Errors: [`SerdeError::UnknownMagicByte`], [`SerdeError::Truncated`] (header or
    /// message indexes), [`SerdeError::UnknownSchemaId`], [`SerdeError::WrongFormat`],
    /// [`SerdeError::Undecodable`] (indexes naming no message, bytes that do not decode).
    pub async fn deserialize_dynamic(&self, bytes: &[u8]) -> Result<(SchemaId, DynamicMessage)> {
        let (id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let message = dynamic_message(id, &schema, payload)?;
        if !self.contracts.has_read_rules(&self.client, id).await? {
            return Ok((id, message));
        }
        // The rules see the message in the proto3 JSON mapping; it is encoded again after.
        let mut json = message_to_json(id, &message)?;
        self.contracts
            .run_read_rules_in(
                &self.client,
                id,
                &schema,
                Some(&message.descriptor()),
                &mut json,
            )
            .await?;
        let proto = narrow::<ProtobufSchema>(id, &schema)?;
        let (message, _) = proto.encode_json(&message.descriptor(), &json)?;
        Ok((id, message))
    }

    /// The record as JSON (proto3 JSON mapping), after the `READ` rules.
    pub async fn deserialize_json(&self, bytes: &[u8]) -> Result<Value> {
        let (id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let message = dynamic_message(id, &schema, payload)?;
        let mut json = message_to_json(id, &message)?;
        self.contracts
            .run_read_rules_in(
                &self.client,
                id,
                &schema,
                Some(&message.descriptor()),
                &mut json,
            )
            .await?;
        Ok(json)
    }

    /// The record as a `prost` message. The header's schema must exist; the message bytes
    /// are decoded as `M` directly (after the `READ` rules, when the schema has some).
    pub async fn deserialize<M: Message + Default>(&self, bytes: &[u8]) -> Result<M> {
        let (id, _, payload) = writer_schema(&self.client, bytes).await?;
        if self.contracts.has_read_rules(&self.client, id).await? {
            let (_, message) = self.deserialize_dynamic(bytes).await?;
            return M::decode(message.encode_to_vec().as_slice()).map_err(|e| {
                SerdeError::Undecodable {
                    schema_id: id,
                    message: e.to_string(),
                }
            });
        }
        let (_, message) = read_indexes(payload)?;
        M::decode(message).map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.to_string(),
        })
    }
}

/// Decodes a Protobuf payload (message indexes, then the message) written with `schema`
/// (the schema with `id`).
pub(crate) fn dynamic_message(
    id: SchemaId,
    schema: &ParsedSchema,
    payload: &[u8],
) -> Result<DynamicMessage> {
    let proto = narrow::<ProtobufSchema>(id, schema)?;
    let (indexes, message) = read_indexes(payload)?;
    let descriptor = proto
        .message_by_indexes(&indexes)
        .ok_or_else(|| SerdeError::Undecodable {
            schema_id: id,
            message: format!("message indexes {indexes:?} name no message"),
        })?;
    proto
        .decode(&descriptor, message)
        .map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.message,
        })
}

/// A decoded message in the proto3 JSON mapping.
pub(crate) fn message_to_json(id: SchemaId, message: &DynamicMessage) -> Result<Value> {
    serde_json::to_value(message).map_err(|e| SerdeError::Undecodable {
        schema_id: id,
        message: e.to_string(),
    })
}
