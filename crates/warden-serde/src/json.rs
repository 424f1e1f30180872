//! JSON Schema in the Confluent wire format: `0x00 | id | UTF-8 JSON`.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use warden_client::{RegistryClient, UnregisteredSchema};
use warden_core::json::Verdict;
use warden_core::wire::HEADER_LEN;
use warden_core::{JsonSchema, ParsedSchema, SchemaId};

use crate::error::{Result, SerdeError};
use crate::frame::writer_schema;
use crate::generic::{ReaderVersion, Reading};
use crate::resolver::{Contracts, Resolved, Resolver, SerializerConfig, framed_buffer, narrow};
use crate::strategy::{SerializationContext, SubjectNameStrategy};

/// Serializes values as JSON validated against a JSON Schema (the compiled validator is
/// cached with the schema). A document that fails is [`SerdeError::Invalid`] with the
/// instance path of the first error and the failing keyword's schema path.
#[derive(Debug)]
pub struct JsonSerializer {
    resolver: Resolver<JsonSchema>,
}

impl JsonSerializer {
    /// A serializer that writes with `schema`, looked up under the subject (or registered,
    /// with [`SerializerConfig::auto_register_schemas`]).
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

    /// Serializes a Rust value through `serde_json`.
    ///
    /// The text is what `serde_json::to_writer` writes, byte for byte; Warden's writer scans
    /// strings eight bytes at a time for what JSON escapes.
    ///
    /// Without write rules, and when the schema is within the subset Warden validates itself
    /// ([`JsonSchema::has_subset_validator`]), the value is written straight from serde and
    /// checked from its own `Serialize` calls ([`JsonSchema::subset_check_serde`]): no
    /// `serde_json::Value` is built and nothing is read back. Shapes that check leaves open
    /// (non-integral `f32`s, tuple variants, …) are checked on the bytes written
    /// ([`JsonSchema::subset_check_text`]). A value neither check finds valid, and every other
    /// case, goes the `Value` route (`serde_json::to_value`, then `jsonschema`), which decides
    /// and names the failing field.
    ///
    /// The value is serialized twice, once to write it and once to check it (three times when
    /// Warden's writer leaves it to `serde_json`: float map keys, `serde_json`'s raw values): a
    /// `Serialize` that answers differently from one time to the next (a value behind a lock
    /// that another thread changes in between) is written as one answer and checked as a later one.
    ///
    /// Errors: [`SerdeError::Serialization`] when serde fails, [`SerdeError::Invalid`] when
    /// the document does not match, [`SerdeError::Registry`] when the schema cannot be found.
    pub async fn serialize<T: Serialize + ?Sized>(
        &self,
        context: &SerializationContext<'_>,
        value: &T,
    ) -> Result<Vec<u8>> {
        let resolved = self.resolver.resolve(context, None).await?;
        if resolved.write_rules().is_none() && resolved.schema.has_subset_validator() {
            let mut out = self.resolver.buffer(resolved.id, 256);
            crate::json_text::write(value, &mut out)
                .map_err(|e| SerdeError::Serialization(e.to_string()))?;
            let verdict = match resolved.schema.subset_check_serde(value) {
                // Shapes the serde check leaves open are decided on the bytes written.
                Verdict::Unknown => resolved.schema.subset_check_text(&out[HEADER_LEN..]),
                verdict => verdict,
            };
            if verdict == Verdict::Valid {
                self.resolver.wrote(&out);
                return Ok(out);
            }
        }
        let json =
            serde_json::to_value(value).map_err(|e| SerdeError::Serialization(e.to_string()))?;
        write(&resolved, &json)
    }

    /// Validates and serializes a JSON document.
    pub async fn serialize_value(
        &self,
        context: &SerializationContext<'_>,
        json: &Value,
    ) -> Result<Vec<u8>> {
        let resolved = self.resolver.resolve(context, None).await?;
        write(&resolved, json)
    }

    /// The registry client.
    pub fn client(&self) -> &RegistryClient {
        self.resolver.client()
    }
}

/// Runs the write rules on `json` (if there are any: conditions alone on the part of it they
/// read, else on a copy), validates the result and frames it.
fn write(resolved: &Resolved<JsonSchema>, json: &Value) -> Result<Vec<u8>> {
    let transformed;
    let checked = resolved.check_write_rules_on_json(json)?;
    let json = if !checked && resolved.write_rules().is_some() {
        let mut copy = json.clone();
        resolved.run_write_rules(&mut copy)?;
        transformed = copy;
        &transformed
    } else {
        json
    };
    validate(&resolved.schema, json)?;
    let mut out = framed_buffer(resolved.id, 256);
    crate::json_text::write(json, &mut out)
        .map_err(|e| SerdeError::Serialization(e.to_string()))?;
    Ok(out)
}

/// Checks a document against its schema. A valid document (the usual case) takes the
/// validator's short-circuiting check, which builds no error; only an invalid one is walked
/// again for its first error.
fn validate(schema: &JsonSchema, json: &Value) -> Result<()> {
    if schema.is_valid(json) {
        return Ok(());
    }
    match schema.validate(json) {
        Ok(()) => Ok(()),
        Err(errors) => {
            let first = &errors[0];
            Err(SerdeError::invalid(
                first.instance_path.clone(),
                format!("{} (schema {})", first.message, first.schema_path),
            ))
        }
    }
}

/// Reads JSON records written in the Confluent wire format. With `validate`, each document
/// is also checked against its writer schema (Confluent `json.fail.invalid.schema`).
///
/// With a [`ReaderVersion`] ([`JsonDeserializer::reader_version`]), the `…_in` methods read
/// each record as that version of the topic's subject: migrated by the `UPGRADE` /
/// `DOWNGRADE` rules in between, then with the reader version's `READ` rules, and validated
/// against the reader's schema (Confluent's `use.latest.version`,
/// `use.latest.with.metadata`).
#[derive(Debug, Clone)]
pub struct JsonDeserializer {
    client: RegistryClient,
    validate: bool,
    contracts: Arc<Contracts>,
    reading: Arc<Reading>,
}

impl JsonDeserializer {
    /// A deserializer over `client` that does not re-validate documents.
    pub fn new(client: RegistryClient) -> Self {
        Self {
            client,
            validate: false,
            contracts: Arc::default(),
            reading: Arc::default(),
        }
    }

    reader_settings!("the `…_in` methods");

    /// The schema id and the document of one record of `context`'s topic and part, read as
    /// the reader version (see [`ReaderVersion`]); the id is the reader version's when it is
    /// not the writer's. When validating, the document is checked against the reader's
    /// schema after its `READ` rules, as Confluent's Python deserializer does. With
    /// [`ReaderVersion::Writer`], as [`JsonDeserializer::deserialize_value`].
    ///
    /// Errors: as [`JsonDeserializer::deserialize_value`]; [`SerdeError::Rule`] when a
    /// migration or `READ` rule fails; [`SerdeError::Registry`] when the reader version
    /// cannot be found.
    pub async fn deserialize_value_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<(SchemaId, Value)> {
        let (writer_id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let Some(reader) = self
            .reading
            .target(&self.client, context, writer_id, &schema, payload)
            .await?
        else {
            return self.deserialize_value(bytes).await;
        };
        let mut value = json_value(writer_id, &schema, payload, false)?;
        reader.migrations.run(&mut value)?;
        self.contracts
            .run_read_rules(&self.client, reader.id, &reader.schema, &mut value)
            .await?;
        if self.validate {
            validate(narrow::<JsonSchema>(reader.id, &reader.schema)?, &value)?;
        }
        Ok((reader.id, value))
    }

    /// The document as a Rust value, read as the reader version (see
    /// [`JsonDeserializer::deserialize_value_in`]).
    pub async fn deserialize_in<T: DeserializeOwned>(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> Result<T> {
        let (id, value) = self.deserialize_value_in(context, bytes).await?;
        serde_json::from_value(value).map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.to_string(),
        })
    }

    /// The registry client it reads schemas from.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The same deserializer, validating each document against its writer schema.
    #[must_use]
    pub fn validating(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// The schema id and the document.
    ///
    /// Errors: [`SerdeError::UnknownMagicByte`], [`SerdeError::Truncated`],
    /// [`SerdeError::UnknownSchemaId`], [`SerdeError::WrongFormat`],
    /// [`SerdeError::Undecodable`] (not JSON), [`SerdeError::Invalid`] (when validating).
    pub async fn deserialize_value(&self, bytes: &[u8]) -> Result<(SchemaId, Value)> {
        let (id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let mut value = json_value(id, &schema, payload, self.validate)?;
        self.contracts
            .run_read_rules(&self.client, id, &schema, &mut value)
            .await?;
        Ok((id, value))
    }

    /// The document as a Rust value.
    pub async fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T> {
        let (id, value) = self.deserialize_value(bytes).await?;
        serde_json::from_value(value).map_err(|e| SerdeError::Undecodable {
            schema_id: id,
            message: e.to_string(),
        })
    }
}

/// Reads a JSON payload written with `schema` (the schema with `id`), validating it when
/// asked.
pub(crate) fn json_value(
    id: SchemaId,
    schema: &ParsedSchema,
    payload: &[u8],
    validating: bool,
) -> Result<Value> {
    let json_schema = narrow::<JsonSchema>(id, schema)?;
    let value: Value = serde_json::from_slice(payload).map_err(|e| SerdeError::Undecodable {
        schema_id: id,
        message: e.to_string(),
    })?;
    if validating {
        validate(json_schema, &value)?;
    }
    Ok(value)
}
