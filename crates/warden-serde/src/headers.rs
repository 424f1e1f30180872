//! Schema ids in record headers (Confluent 8's `HeaderSchemaIdSerializer` and
//! `DualSchemaIdDeserializer`): the schema's GUID travels in the record header
//! `__key_schema_id` or `__value_schema_id` as `0x01 | GUID (16 bytes) | [message indexes]`,
//! and the record's key or value is the bare Avro, JSON or Protobuf bytes.
//!
//! The serializers of this crate write the `0x00 | id` prefix; [`to_header_framing`] moves it
//! into a header (looking the GUID up by id), and [`to_prefix_framing`] turns a record with the
//! header (or with a `0x01 | GUID` prefix) back into the prefix framing the deserializers read
//! (looking the id up by GUID). Both lookups are cached by the [`RegistryClient`].

use std::borrow::Cow;

use warden_client::RegistryClient;
use warden_core::SchemaType;
use warden_core::wire::{self, SchemaRef};

use crate::error::{Result, SerdeError};
use crate::frame::{read_header, read_indexes};
use crate::strategy::Part;

/// Where a producer writes a record's schema: Confluent's `PrefixSchemaIdSerializer` (the
/// default, every Confluent client reads it) or `HeaderSchemaIdSerializer` (Confluent 8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SchemaIdFraming {
    /// `0x00 | schema id (4 bytes) | [message indexes] | payload` in the key or value.
    #[default]
    Prefix,
    /// The GUID in the `__key_schema_id` / `__value_schema_id` header; the bare payload in
    /// the key or value.
    Header,
}

/// The header that carries the schema of a record's key or value.
pub fn header_name(part: Part) -> &'static str {
    match part {
        Part::Key => wire::KEY_SCHEMA_ID_HEADER,
        Part::Value => wire::VALUE_SCHEMA_ID_HEADER,
    }
}

/// A record header: its name and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIdHeader {
    /// `__key_schema_id` or `__value_schema_id`.
    pub name: &'static str,
    /// `0x01`, the GUID, then (Protobuf) the message indexes.
    pub value: Vec<u8>,
}

/// Moves the schema id of `framed` (a serializer's `0x00 | id` output) into a header: the
/// header holding the schema's GUID (and, for Protobuf, the message indexes), and the bare
/// payload.
///
/// Errors: the frame's header does not read ([`SerdeError::UnknownMagicByte`],
/// [`SerdeError::Truncated`]); the registry fails or answers no GUID
/// ([`SerdeError::Registry`]).
pub async fn to_header_framing(
    client: &RegistryClient,
    part: Part,
    framed: &[u8],
) -> Result<(SchemaIdHeader, Vec<u8>)> {
    let (id, rest) = read_header(framed)?;
    let schema = client.schema_by_id(id).await?;
    let guid = client.schema_guid(id).await?;
    let (indexes, payload) = if schema.schema_type == SchemaType::Protobuf {
        let (indexes, payload) = read_indexes(rest)?;
        (Some(indexes), payload)
    } else {
        (None, rest)
    };
    Ok((
        SchemaIdHeader {
            name: header_name(part),
            value: wire::guid_header(&guid, indexes.as_deref()),
        },
        payload.to_vec(),
    ))
}

/// The bytes of a record's key or value in the `0x00 | id` framing the deserializers read,
/// as Confluent's `DualSchemaIdDeserializer` reads a record: from the schema-id `header`
/// when there is one (a GUID, or an id), else from the payload's own prefix (`0x01 | GUID`
/// is rewritten; `0x00 | id` is returned as it is, without copying).
///
/// Errors: the header or prefix does not read; no schema has the GUID
/// ([`SerdeError::Registry`] 40403).
pub async fn to_prefix_framing<'a>(
    client: &RegistryClient,
    header: Option<&[u8]>,
    payload: &'a [u8],
) -> Result<Cow<'a, [u8]>> {
    let (reference, indexes, body) = match header {
        Some(value) => {
            let (reference, indexes) = read_ref(value)?;
            (reference, indexes, payload)
        }
        None if payload.first() == Some(&wire::MAGIC_BYTE_V1) => {
            let (reference, rest) = read_ref(payload)?;
            (reference, &[][..], rest)
        }
        None => return Ok(Cow::Borrowed(payload)),
    };
    let id = match reference {
        SchemaRef::Id(id) => id,
        SchemaRef::Guid(guid) => client.schema_id_by_guid(&guid).await?,
    };
    let mut out = wire::header(id, indexes.len() + body.len());
    out.extend_from_slice(indexes);
    out.extend_from_slice(body);
    Ok(Cow::Owned(out))
}

/// Either framing's header ([`wire::read_schema_ref`]) with this crate's errors.
pub(crate) fn read_ref(bytes: &[u8]) -> Result<(SchemaRef, &[u8])> {
    wire::read_schema_ref(bytes).map_err(|e| match e {
        wire::WireError::UnknownMagicByte(b) => SerdeError::UnknownMagicByte(b),
        wire::WireError::InvalidSchemaId(id) => SerdeError::InvalidSchemaId(id),
        e => SerdeError::Truncated(e.to_string()),
    })
}
