//! Decoding any record by its schema id, whatever the format.

use serde_json::Value;
use warden_client::RegistryClient;
use warden_core::SchemaType;

use crate::avro::AvroDeserializer;
use crate::error::Result;
use crate::frame::read_header;
use crate::json::JsonDeserializer;
use crate::protobuf::ProtobufDeserializer;
use crate::resolver::parsed_schema;

/// A record decoded to JSON: its writer schema's id and format, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The schema id in the header.
    pub schema_id: u32,
    /// The writer schema's format.
    pub schema_type: SchemaType,
    /// The value: Avro as plain JSON, Protobuf in the proto3 JSON mapping, JSON as written.
    pub value: Value,
}

/// Decodes records of any format to JSON, choosing the decoder by the writer schema.
#[derive(Debug, Clone)]
pub struct GenericDeserializer {
    client: RegistryClient,
    avro: AvroDeserializer,
    json: JsonDeserializer,
    protobuf: ProtobufDeserializer,
}

impl GenericDeserializer {
    /// A deserializer over `client`.
    pub fn new(client: RegistryClient) -> Self {
        Self {
            avro: AvroDeserializer::new(client.clone()),
            json: JsonDeserializer::new(client.clone()),
            protobuf: ProtobufDeserializer::new(client.clone()),
            client,
        }
    }

    /// Decodes one record.
    ///
    /// Errors: as the per-format deserializers.
    pub async fn deserialize(&self, bytes: &[u8]) -> Result<Decoded> {
        let (schema_id, _) = read_header(bytes)?;
        let schema_type = parsed_schema(&self.client, schema_id).await?.schema_type();
        let value = match schema_type {
            SchemaType::Avro => self.avro.deserialize_json(bytes).await?,
            SchemaType::Json => self.json.deserialize_value(bytes).await?.1,
            SchemaType::Protobuf => self.protobuf.deserialize_json(bytes).await?,
        };
        Ok(Decoded {
            schema_id,
            schema_type,
            value,
        })
    }
}
