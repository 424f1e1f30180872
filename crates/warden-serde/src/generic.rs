//! Decoding any record by its schema id, whatever the format.

use std::sync::Arc;

use serde_json::Value;
use warden_client::RegistryClient;
use warden_core::{SchemaId, SchemaType};

use crate::avro::avro_value;
use crate::error::Result;
use crate::frame::writer_schema;
use crate::json::json_value;
use crate::protobuf::{dynamic_message, message_to_json};
use crate::resolver::Contracts;

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
}

impl GenericDeserializer {
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

    /// Decodes one record, then runs its writer schema's `READ` rules on it.
    ///
    /// Errors: as the per-format deserializers.
    pub async fn deserialize(&self, bytes: &[u8]) -> Result<Decoded> {
        let (schema_id, schema, payload) = writer_schema(&self.client, bytes).await?;
        let schema_type = schema.schema_type();
        let mut value = match schema_type {
            SchemaType::Avro => {
                warden_core::avro::datum::value_to_json(&avro_value(schema_id, &schema, payload)?)
            }
            SchemaType::Json => json_value(schema_id, &schema, payload, false)?,
            SchemaType::Protobuf => {
                message_to_json(schema_id, &dynamic_message(schema_id, &schema, payload)?)?
            }
        };
        self.contracts
            .run_read_rules(&self.client, schema_id, &schema, &mut value)
            .await?;
        Ok(Decoded {
            schema_id,
            schema_type,
            value,
        })
    }
}
