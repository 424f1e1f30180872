//! Reading and writing the Confluent header.

use std::sync::Arc;

use warden_client::RegistryClient;
use warden_core::wire::{self, WireError};
use warden_core::{ParsedSchema, SchemaType};

use crate::error::{Result, SerdeError};
use crate::resolver::parsed_schema;

/// A new buffer holding the 5-byte header: magic byte `0x00` and the big-endian schema id.
pub(crate) fn header(schema_id: u32, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + capacity);
    out.push(wire::MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
    out
}

/// The schema id and the bytes after the header.
///
/// Errors: [`SerdeError::UnknownMagicByte`], [`SerdeError::Truncated`].
pub fn read_header(bytes: &[u8]) -> Result<(u32, &[u8])> {
    match wire::unframe(bytes) {
        Ok(frame) => Ok((frame.schema_id, frame.payload)),
        Err(WireError::UnknownMagicByte(b)) => Err(SerdeError::UnknownMagicByte(b)),
        Err(e) => Err(SerdeError::Truncated(e.to_string())),
    }
}

/// The message indexes of a Protobuf payload and the message bytes after them.
pub(crate) fn read_indexes(payload: &[u8]) -> Result<(Vec<i32>, &[u8])> {
    wire::read_message_indexes(payload).map_err(|e| SerdeError::Truncated(e.to_string()))
}

/// The header, the writer schema (from the registry or the cache) and the payload.
pub(crate) async fn writer_schema<'b>(
    client: &RegistryClient,
    bytes: &'b [u8],
) -> Result<(u32, Arc<ParsedSchema>, &'b [u8])> {
    let (id, payload) = read_header(bytes)?;
    let schema = parsed_schema(client, id).await?;
    Ok((id, schema, payload))
}

/// The error for a record whose writer schema is not of the deserializer's format.
pub(crate) fn wrong_format(id: u32, expected: SchemaType, schema: &ParsedSchema) -> SerdeError {
    SerdeError::WrongFormat {
        schema_id: id,
        expected,
        actual: schema.schema_type(),
    }
}
