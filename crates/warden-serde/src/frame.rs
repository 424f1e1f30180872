//! Reading the Confluent header; writing it is `warden_core::wire::header`.

use std::sync::Arc;

use warden_client::RegistryClient;
use warden_core::wire::{self, WireError};
use warden_core::{ParsedSchema, SchemaId};

use crate::error::{Result, SerdeError};
use crate::resolver::parsed_schema;

/// The schema id and the bytes after the header.
///
/// Errors: [`SerdeError::UnknownMagicByte`], [`SerdeError::Truncated`],
/// [`SerdeError::InvalidSchemaId`] (an id of 0 or above `2^31-1`).
pub fn read_header(bytes: &[u8]) -> Result<(SchemaId, &[u8])> {
    match wire::unframe(bytes) {
        Ok(frame) => Ok((frame.schema_id, frame.payload)),
        Err(WireError::UnknownMagicByte(b)) => Err(SerdeError::UnknownMagicByte(b)),
        Err(WireError::InvalidSchemaId(id)) => Err(SerdeError::InvalidSchemaId(id)),
        Err(e) => Err(SerdeError::Truncated(e.to_string())),
    }
}

/// The message indexes of a Protobuf payload and the message bytes after them.
pub(crate) fn read_indexes(payload: &[u8]) -> Result<(Vec<i32>, &[u8])> {
    wire::read_message_indexes(payload).map_err(|e| SerdeError::Truncated(e.to_string()))
}

/// The header, the writer schema (from the registry or the cache) and the payload. Either
/// framing is read: `0x00 | id`, or Confluent 8's `0x01 | GUID` (the id looked up by GUID).
pub(crate) async fn writer_schema<'b>(
    client: &RegistryClient,
    bytes: &'b [u8],
) -> Result<(SchemaId, Arc<ParsedSchema>, &'b [u8])> {
    let (id, payload) = match bytes.first() {
        Some(&wire::MAGIC_BYTE_V1) => match crate::headers::read_ref(bytes)? {
            (wire::SchemaRef::Guid(guid), rest) => (client.schema_id_by_guid(&guid).await?, rest),
            (wire::SchemaRef::Id(id), rest) => (id, rest),
        },
        _ => read_header(bytes)?,
    };
    let schema = parsed_schema(client, id).await?;
    Ok((id, schema, payload))
}
