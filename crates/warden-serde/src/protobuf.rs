//! Protobuf in the Confluent wire format: `0x00 | id | message indexes | Protobuf binary`.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage};
use serde_json::Value;
use warden_client::{RegistryClient, UnregisteredSchema};
use warden_core::protobuf::EncodingCheck;
use warden_core::wire::message_indexes_to_bytes;
use warden_core::{ParsedSchema, ProtobufSchema, SchemaId};

use crate::error::{Result, SerdeError};
use crate::frame::{read_indexes, writer_schema};
use crate::generic::{ReaderVersion, Reading};
use crate::resolver::{
    Contracts, FastHash, Held, Resolved, Resolver, SerializerConfig, framed_buffer, narrow,
};
use crate::strategy::{SerializationContext, SubjectNameStrategy};

/// Serializes Protobuf messages: `prost` types (by their `prost::Name`), `DynamicMessage`s
/// and JSON documents (proto3 JSON mapping). The message must be one of the writer schema's
/// messages; its message indexes go in the header.
#[derive(Debug)]
pub struct ProtobufSerializer {
    resolver: Resolver<ProtobufSchema>,
    /// Per schema id, the messages written with it (full name, target): usually one, found
    /// by comparing names.
    messages: RwLock<HashMap<SchemaId, Targets, FastHash>>,
    /// The first message written, read without a lock or a reference count (most
    /// serializers write one message with one schema); others go through `messages`.
    first_message: OnceLock<(SchemaId, String, Arc<Target>)>,
    /// The full name of the first `prost` type serialized: `prost::Name::full_name` builds
    /// a new `String` at every call, and most serializers write one type.
    first_type: OnceLock<(TypeId, String)>,
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
            first_message: OnceLock::new(),
            first_type: OnceLock::new(),
        }
    }

    /// A serializer without a schema of its own: `config` must set
    /// [`SerializerConfig::use_latest_version`] or [`SerializerConfig::use_schema_id`].
    pub fn from_registry(client: RegistryClient, config: SerializerConfig) -> Self {
        Self {
            resolver: Resolver::new(client, config, None),
            messages: RwLock::default(),
            first_message: OnceLock::new(),
            first_type: OnceLock::new(),
        }
    }

    /// Serializes a `prost` message. Its encoding is checked to decode as the schema's
    /// message of the same full name (`prost::Name::full_name`).
    ///
    /// Errors: [`SerdeError::Invalid`] when the schema has no such message or the encoding
    /// does not fit it; registry errors.
    pub async fn serialize<M: Message + prost::Name + 'static>(
        &self,
        context: &SerializationContext<'_>,
        message: &M,
    ) -> Result<Vec<u8>> {
        // `full_name`, not `PACKAGE.NAME`: `prost-build` gives a nested message its own
        // name in `NAME` and the whole path only in `full_name`. A type's full name does
        // not change, so the first type's is asked once.
        let ty = TypeId::of::<M>();
        if let Some((first, name)) = self.first_type.get()
            && *first == ty
        {
            return self.encode(context, name, message).await;
        }
        let name = M::full_name();
        if self.first_type.get().is_none() {
            // Lost races leave the first winner's type and name, which stay true.
            let _ = self.first_type.set((ty, name.clone()));
        }
        self.encode(context, &name, message).await
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
        // Room for a quarter more than the last record took (`Resolver::buffer`): sizing the
        // message first (`encoded_len`) walks it once more. After a large record (the hint's
        // cap) the message is sized, so that a large one is not grown step by step.
        let mut out = if self.resolver.hint_capped() {
            framed_buffer(resolved.id, target.indexes.len() + message.encoded_len())
        } else {
            self.resolver.buffer(resolved.id, 64)
        };
        out.extend_from_slice(&target.indexes);
        let start = out.len();
        // `Message::encode` would size the message to check the room; a `Vec` has it.
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
        self.resolver.wrote(&out);
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
        let mut out = framed_buffer(resolved.id, target.indexes.len() + bytes.len());
        out.extend_from_slice(&target.indexes);
        out.extend_from_slice(&bytes);
        Ok(out)
    }

    /// The message `full_name` of the resolved schema, from the cache or looked up once.
    fn target(
        &self,
        resolved: &Resolved<ProtobufSchema>,
        full_name: &str,
    ) -> Result<Held<'_, Target>> {
        if let Some((id, known, target)) = self.first_message.get()
            && *id == resolved.id
            && known == full_name
        {
            return Ok(Held::Borrowed(target));
        }
        if let Some((_, found)) = self
            .messages
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&resolved.id)
            .and_then(|targets| targets.iter().find(|(known, _)| known == full_name))
        {
            return Ok(Held::Shared(Arc::clone(found)));
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
        if self.first_message.get().is_none() {
            // Lost races leave the first winner: the same message.
            let _ =
                self.first_message
                    .set((resolved.id, full_name.to_owned(), Arc::clone(&target)));
        }
        match targets.iter().find(|(known, _)| *known == full_name) {
            Some((_, found)) => Ok(Held::Shared(Arc::clone(found))),
            None => {
                targets.push((full_name.to_owned(), Arc::clone(&target)));
                Ok(Held::Shared(target))
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
///
/// With a [`ReaderVersion`] ([`ProtobufDeserializer::reader_version`]), the `…_in` methods
/// read each record as that version of the topic's subject: migrated by the `UPGRADE` /
/// `DOWNGRADE` rules in between (in the proto3 JSON mapping), or decoded as the reader's
/// message when there are none, then with the reader version's `READ` rules (Confluent's
/// `use.latest.version`, `use.latest.with.metadata`).
#[derive(Debug, Clone)]
pub struct ProtobufDeserializer {
    client: RegistryClient,
    contracts: Arc<Contracts>,
    reading: Arc<Reading>,
}

impl ProtobufDeserializer {
    /// A deserializer over `client`.
    pub fn new(client: RegistryClient) -> Self {
        Self {
            client,
            contracts: Arc::default(),
            reading: Arc::default(),
        }
    }

    reader_settings!("the `…_in` methods");

    /// The schema id and the message of one record of `context`'s topic and part, read as
    /// the reader version (see [`ReaderVersion`]): a message of the reader's schema (the one
    /// with the writer message's name, else its first), and the reader version's id when it
    /// is not the writer's. With [`ReaderVersion::Writer`], as
    /// [`ProtobufDeserializer::deserialize_dynamic`].
    ///
    /// Errors: as [`ProtobufDeserializer::deserialize_dynamic`]; [`SerdeError::Rule`] when
    /// a migration or `READ` rule fails; [`SerdeError::Invalid`] when a migrated record does
    /// not fit the reader's message; [`SerdeError::Registry`] when the reader version cannot
    /// be found.
    pub async fn deserialize_dynamic_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<(SchemaId, DynamicMessage)> {
        match self.read_in(context, bytes).await? {
            None => self.deserialize_dynamic(bytes).await,
            Some((id, read)) => Ok((id, read.into_message(id)?)),
        }
    }

    /// The record as JSON (proto3 JSON mapping), read as the reader version: the message of
    /// [`ProtobufDeserializer::deserialize_dynamic_in`] (a migrated record is read as the
    /// reader's message, as Confluent's deserializers parse it into one).
    pub async fn deserialize_json_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<Value> {
        match self.read_in(context, bytes).await? {
            None => self.deserialize_json(bytes).await,
            Some((id, read)) => message_to_json(id, &read.into_message(id)?),
        }
    }

    /// The record as a `prost` message, read as the reader version (see
    /// [`ProtobufDeserializer::deserialize_dynamic_in`]).
    pub async fn deserialize_in<M: Message + Default>(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<M> {
        let Some((id, read)) = self.read_in(context, bytes).await? else {
            return self.deserialize(bytes).await;
        };
        let message = read.into_message(id)?;
        M::decode(message.encode_to_vec().as_slice()).map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.to_string(),
        })
    }

    /// One record read as the reader version, when that is not the writer's: the reader's
    /// schema id and the record, as a message when no rule touched it, else in the proto3
    /// JSON mapping with the reader's message and schema.
    async fn read_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<Option<(SchemaId, ReadAs)>> {
        let (writer_id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let Some(reader) = self
            .reading
            .target(&self.client, context, writer_id, &schema, payload)
            .await?
        else {
            return Ok(None);
        };
        let (mut json, descriptor) = if reader.migrations.is_empty() {
            let message = reader.protobuf_message(writer_id, &schema, payload)?;
            if !self
                .contracts
                .has_read_rules(&self.client, reader.id)
                .await?
            {
                return Ok(Some((reader.id, ReadAs::Message(message))));
            }
            (message_to_json(reader.id, &message)?, message.descriptor())
        } else {
            // Confluent's deserializers migrate the message as written, in its JSON form.
            let written = dynamic_message(writer_id, &schema, payload)?;
            let mut json = message_to_json(writer_id, &written)?;
            reader.migrations.run(&mut json)?;
            let descriptor = reader_message(
                reader.id,
                narrow::<ProtobufSchema>(reader.id, &reader.schema)?,
                &written.descriptor(),
            )?;
            (json, descriptor)
        };
        self.contracts
            .run_read_rules_in(
                &self.client,
                reader.id,
                &reader.schema,
                Some(&descriptor),
                &mut json,
            )
            .await?;
        Ok(Some((
            reader.id,
            ReadAs::Json(json, descriptor, reader.schema),
        )))
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

/// A record read as another version than its writer's.
enum ReadAs {
    /// Decoded as the reader's message, untouched by rules.
    Message(DynamicMessage),
    /// Migrated or rewritten by rules, in the proto3 JSON mapping, with the reader's message
    /// and schema.
    Json(Value, MessageDescriptor, Arc<ParsedSchema>),
}

impl ReadAs {
    /// The record as a message of the reader's schema (the one with `id`).
    ///
    /// Errors: [`SerdeError::Invalid`] when the JSON record does not fit the message.
    fn into_message(self, id: SchemaId) -> Result<DynamicMessage> {
        match self {
            ReadAs::Message(message) => Ok(message),
            ReadAs::Json(json, descriptor, schema) => Ok(narrow::<ProtobufSchema>(id, &schema)?
                .encode_json(&descriptor, &json)?
                .0),
        }
    }
}

/// The message of `reader` (the schema with `id`) that records of the writer's message
/// `written` are read as: the top-level message with the same name, else the first one
/// (Confluent's Python `ProtobufDeserializer`).
///
/// Errors: [`SerdeError::Undecodable`] when `reader` has no message.
pub(crate) fn reader_message(
    id: SchemaId,
    reader: &ProtobufSchema,
    written: &MessageDescriptor,
) -> Result<MessageDescriptor> {
    let file = reader.file();
    file.messages()
        .find(|m| m.name() == written.name())
        .or_else(|| file.messages().next())
        .ok_or_else(|| SerdeError::Undecodable {
            schema_id: id,
            message: "the reader schema has no message".into(),
        })
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
