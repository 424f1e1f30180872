//! Avro in the Confluent wire format: `0x00 | id | Avro binary datum`.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use warden_client::{RegistryClient, UnregisteredSchema};
use warden_core::avro::AvroSchema;
use warden_core::avro::ser::Outcome;
use warden_core::rules::RuleMode;
use warden_core::{ParsedSchema, SchemaId};

use crate::error::{Result, SerdeError};
use crate::frame::writer_schema;
use crate::generic::{ReaderVersion, Reading};
use crate::resolver::{Contracts, Resolver, SerializerConfig, narrow};
use crate::strategy::{SerializationContext, SubjectNameStrategy};

/// Serializes values as Avro: from `serde::Serialize` types, JSON documents and Avro
/// `Value`s. Each value is validated against the schema as it is encoded; a mismatch is
/// [`SerdeError::Invalid`] naming the field (`/customer/email: expected string, got null`).
#[derive(Debug)]
pub struct AvroSerializer {
    resolver: Resolver<AvroSchema>,
}

impl AvroSerializer {
    /// A serializer that writes with `schema` (Avro schema JSON), looked up under the
    /// subject (or registered, with [`SerializerConfig::auto_register_schemas`]).
    pub fn new(
        client: RegistryClient,
        schema: UnregisteredSchema,
        config: SerializerConfig,
    ) -> Self {
        Self {
            resolver: Resolver::new(client, config, Some(schema)),
        }
    }

    /// A serializer without a schema of its own: `config` must set
    /// [`SerializerConfig::use_latest_version`] or [`SerializerConfig::use_schema_id`].
    pub fn from_registry(client: RegistryClient, config: SerializerConfig) -> Self {
        Self {
            resolver: Resolver::new(client, config, None),
        }
    }

    /// Serializes a Rust value: structs as records, `Option` as a union with null, unit enum
    /// variants as enum symbols, `Vec<u8>` or serde bytes as `bytes` or `fixed`. The value is
    /// validated and written in one pass straight from serde; shapes that pass need no JSON
    /// form (tuples, enum variants with data) go through it instead, with the same result.
    ///
    /// Errors: [`SerdeError::Serialization`] when serde fails, [`SerdeError::Invalid`] when
    /// the value does not match, [`SerdeError::Registry`] when the schema cannot be found.
    pub async fn serialize<T: Serialize + ?Sized>(
        &self,
        context: &SerializationContext<'_>,
        value: &T,
    ) -> Result<Vec<u8>> {
        let resolved = self.resolver.resolve(context, None).await?;
        let schema = &resolved.schema;
        let mut out = self.resolver.buffer(resolved.id, 64);
        let to_json =
            || serde_json::to_value(value).map_err(|e| SerdeError::Serialization(e.to_string()));
        if let Some(contract) = resolved.write_rules() {
            // The rules see (and may rewrite) the record as JSON; a record no rule can
            // rewrite is encoded from the value itself once it passes, and only the part
            // the rules read is converted.
            let checked = resolved.check_write_rules(
                None,
                |projection, out| {
                    projection
                        .of_serde_into(value, out)
                        .map_err(|e| SerdeError::Serialization(e.to_string()))
                },
                to_json,
            )?;
            if !checked {
                let mut json = to_json()?;
                resolved.run_write_rules(&mut json)?;
                if contract.may_rewrite(RuleMode::Write) {
                    schema.encode_json(&json, &mut out)?;
                    return Ok(out);
                }
            }
        }
        match schema.encode_serde(value, &mut out) {
            Ok(()) => {
                self.resolver.wrote(&out);
                Ok(out)
            }
            Err(Outcome::Invalid(e)) => Err(e.into()),
            Err(Outcome::Unsupported(_)) => {
                let json = serde_json::to_value(value)
                    .map_err(|e| SerdeError::Serialization(e.to_string()))?;
                schema.encode_json(&json, &mut out)?;
                Ok(out)
            }
        }
    }

    /// Serializes a JSON document in the shapes `warden_core::avro::datum` describes
    /// (plain or `{"type": value}`-wrapped union values).
    pub async fn serialize_json(
        &self,
        context: &SerializationContext<'_>,
        json: &Value,
    ) -> Result<Vec<u8>> {
        let resolved = self.resolver.resolve(context, None).await?;
        let mut out = self.resolver.buffer(resolved.id, 64);
        let checked = resolved.check_write_rules_on_json(json)?;
        if !checked && resolved.write_rules().is_some() {
            let mut json = json.clone();
            resolved.run_write_rules(&mut json)?;
            resolved.schema.encode_json(&json, &mut out)?;
        } else {
            resolved.schema.encode_json(json, &mut out)?;
        }
        Ok(out)
    }

    /// Serializes an Avro `Value`, keeping the union branch the value chooses
    /// ([`warden_core::avro::AvroSchema::encode_value`]: `Union(i, v)` as branch `i`, a
    /// plain `Long` in `["int", "long"]` as the `long`).
    pub async fn serialize_value(
        &self,
        context: &SerializationContext<'_>,
        value: &apache_avro::types::Value,
    ) -> Result<Vec<u8>> {
        let resolved = self.resolver.resolve(context, None).await?;
        let mut out = self.resolver.buffer(resolved.id, 64);
        if resolved.write_rules().is_some() {
            let mut json = warden_core::avro::datum::value_to_json(value);
            resolved.run_write_rules(&mut json)?;
            resolved.schema.encode_json(&json, &mut out)?;
        } else {
            resolved.schema.encode_value(value, &mut out)?;
        }
        Ok(out)
    }

    /// The registry client.
    pub fn client(&self) -> &RegistryClient {
        self.resolver.client()
    }
}

/// Reads Avro records written in the Confluent wire format, with the writer schema fetched
/// by id (and cached). The writer schema's `READ` rules run on each record.
///
/// With a [`ReaderVersion`] ([`AvroDeserializer::reader_version`]), the `…_in` methods read
/// each record as that version of the topic's subject: migrated by the `UPGRADE` /
/// `DOWNGRADE` rules in between, or by Avro schema resolution when there are none, then
/// with the reader version's `READ` rules (Confluent's `use.latest.version`,
/// `use.latest.with.metadata`).
#[derive(Debug, Clone)]
pub struct AvroDeserializer {
    client: RegistryClient,
    contracts: Arc<Contracts>,
    reading: Arc<Reading>,
}

impl AvroDeserializer {
    /// A deserializer over `client`.
    pub fn new(client: RegistryClient) -> Self {
        Self {
            client,
            contracts: Arc::default(),
            reading: Arc::default(),
        }
    }

    reader_settings!("the `…_in` methods");

    /// The schema id and the Avro value of one record of `context`'s topic and part, read as
    /// the reader version (see [`ReaderVersion`]); the id is the reader version's when it
    /// is not the writer's. With [`ReaderVersion::Writer`], as
    /// [`AvroDeserializer::deserialize_value`].
    ///
    /// Errors: as [`AvroDeserializer::deserialize_value`]; [`SerdeError::Rule`] when a
    /// migration or `READ` rule fails; [`SerdeError::Invalid`] when a migrated record does
    /// not fit the reader's schema; [`SerdeError::Undecodable`] when the record cannot be
    /// resolved to it; [`SerdeError::Registry`] when the reader version cannot be found.
    pub async fn deserialize_value_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<(SchemaId, apache_avro::types::Value)> {
        match self.read_in(context, bytes).await? {
            None => self.deserialize_value(bytes).await,
            Some((id, read)) => Ok((id, read.into_value(id)?)),
        }
    }

    /// The record as JSON, read as the reader version: the value of
    /// [`AvroDeserializer::deserialize_value_in`] (a migrated record is read as the
    /// reader's schema, fields it leaves out taking their defaults, as Java's deserializer
    /// turns it into a record of the reader's schema).
    pub async fn deserialize_json_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<Value> {
        match self.read_in(context, bytes).await? {
            None => self.deserialize_json(bytes).await,
            Some((id, read)) => Ok(warden_core::avro::datum::value_to_json(
                &read.into_value(id)?,
            )),
        }
    }

    /// The record as a Rust value, read as the reader version (see
    /// [`AvroDeserializer::deserialize_value_in`]).
    pub async fn deserialize_in<T: DeserializeOwned>(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<T> {
        let (id, value) = self.deserialize_value_in(context, bytes).await?;
        apache_avro::from_value(&value).map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.to_string(),
        })
    }

    /// One record read as the reader version, when that is not the writer's: the reader's
    /// schema id and the record, as an Avro value when no rule touched it, else as JSON.
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
        let written = avro_value(writer_id, &schema, payload)?;
        let mut json = if reader.migrations.is_empty() {
            let resolved = reader.resolve_avro(writer_id, written)?;
            if !self
                .contracts
                .has_read_rules(&self.client, reader.id)
                .await?
            {
                return Ok(Some((reader.id, ReadAs::Avro(resolved))));
            }
            warden_core::avro::datum::value_to_json(&resolved)
        } else {
            // Confluent's deserializers migrate the record as written, in its JSON form.
            let mut json = warden_core::avro::datum::value_to_json(&written);
            reader.migrations.run(&mut json)?;
            json
        };
        self.contracts
            .run_read_rules(&self.client, reader.id, &reader.schema, &mut json)
            .await?;
        Ok(Some((reader.id, ReadAs::Json(json, reader.schema))))
    }

    /// The registry client it reads schemas from.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The schema id and the decoded Avro value.
    ///
    /// Errors: [`SerdeError::UnknownMagicByte`], [`SerdeError::Truncated`],
    /// [`SerdeError::UnknownSchemaId`], [`SerdeError::WrongFormat`] (not an Avro schema),
    /// [`SerdeError::Undecodable`].
    pub async fn deserialize_value(
        &self,
        bytes: &[u8],
    ) -> Result<(SchemaId, apache_avro::types::Value)> {
        let (id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let value = avro_value(id, &schema, payload)?;
        if !self.contracts.has_read_rules(&self.client, id).await? {
            return Ok((id, value));
        }
        // The rules see the record as JSON; a transformed record is encoded and decoded
        // again with the writer schema.
        let mut json = warden_core::avro::datum::value_to_json(&value);
        self.contracts
            .run_read_rules(&self.client, id, &schema, &mut json)
            .await?;
        let avro = narrow::<AvroSchema>(id, &schema)?;
        let mut buf = Vec::new();
        avro.encode_json(&json, &mut buf)?;
        Ok((id, avro_value(id, &schema, &buf)?))
    }

    /// The record as JSON (unions unwrapped, enums as symbols), after the `READ` rules.
    pub async fn deserialize_json(&self, bytes: &[u8]) -> Result<Value> {
        let (id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let mut json = warden_core::avro::datum::value_to_json(&avro_value(id, &schema, payload)?);
        self.contracts
            .run_read_rules(&self.client, id, &schema, &mut json)
            .await?;
        Ok(json)
    }

    /// The record as a Rust value (`apache_avro::from_value`).
    pub async fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T> {
        let (id, value) = self.deserialize_value(bytes).await?;
        apache_avro::from_value(&value).map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.to_string(),
        })
    }
}

/// A record read as another version than its writer's.
enum ReadAs {
    /// Resolved to the reader's schema, untouched by rules.
    Avro(apache_avro::types::Value),
    /// Migrated or rewritten by rules, as JSON, with the reader's schema.
    Json(Value, Arc<ParsedSchema>),
}

impl ReadAs {
    /// The record as an Avro value of the reader's schema (the one with `id`): a JSON
    /// record is encoded with it and decoded again.
    ///
    /// Errors: [`SerdeError::Invalid`] when the JSON record does not fit the schema.
    fn into_value(self, id: SchemaId) -> Result<apache_avro::types::Value> {
        match self {
            ReadAs::Avro(value) => Ok(value),
            ReadAs::Json(json, schema) => {
                let avro = narrow::<AvroSchema>(id, &schema)?;
                let mut buf = Vec::new();
                avro.encode_json(&json, &mut buf)?;
                avro_value(id, &schema, &buf)
            }
        }
    }
}

/// `value` (decoded with its writer's schema) resolved to `reader` by Avro schema
/// resolution (Avro specification, "Schema Resolution", as `apache-avro` implements it).
///
/// Errors: why the value cannot be read as `reader`.
pub(crate) fn resolve_avro(
    value: apache_avro::types::Value,
    reader: &AvroSchema,
) -> std::result::Result<apache_avro::types::Value, String> {
    // References resolve from the reader's named types and the schema itself, as the
    // decoder resolves them.
    let schemata: Vec<&apache_avro::Schema> = reader
        .named_types()
        .iter()
        .chain(std::iter::once(reader.schema()))
        .collect();
    value
        .resolve_schemata(reader.schema(), schemata)
        .map_err(|e| e.to_string())
}

/// Decodes an Avro payload written with `schema` (the schema with `id`).
pub(crate) fn avro_value(
    id: SchemaId,
    schema: &ParsedSchema,
    payload: &[u8],
) -> Result<apache_avro::types::Value> {
    narrow::<AvroSchema>(id, schema)?
        .decode(payload)
        .map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.to_string(),
        })
}
