//! Confluent's wire format (`schema-serializer/.../SchemaId.java`, `MessageIndexes.java`):
//!
//! ```text
//! 0x00 | schema id (4 bytes, big-endian) | [Protobuf: message indexes] | payload
//! ```
//!
//! Protobuf payloads carry the path of the message in its schema as message indexes: a zigzag
//! varint count, then each index as a zigzag varint (Kafka `ByteUtils.writeVarint`), with the
//! common case `[0]` (the first message) written as the single byte `0x00`.
//!
//! Confluent 8 adds a second framing (`SchemaId.MAGIC_BYTE_V1`), used mostly in record
//! headers (`HeaderSchemaIdSerializer`): the schema's GUID instead of its id,
//!
//! ```text
//! 0x01 | GUID (16 bytes, most significant first) | [Protobuf: message indexes]
//! ```
//!
//! written as the value of the record header [`KEY_SCHEMA_ID_HEADER`] or
//! [`VALUE_SCHEMA_ID_HEADER`], the payload then being the bare Avro, JSON or Protobuf bytes.
//! Confluent's `DualSchemaIdDeserializer` reads the header when there is one, else the
//! payload's own prefix (either magic byte): [`read_schema_ref`] reads both.

use std::fmt;

use crate::guid::Guid;
use crate::types::SchemaId;

/// The magic byte of Confluent's v0 framing.
pub const MAGIC_BYTE: u8 = 0x00;

/// The length of the header: the magic byte and the 4-byte schema id.
pub const HEADER_LEN: usize = 5;

/// The magic byte of Confluent 8's GUID framing.
pub const MAGIC_BYTE_V1: u8 = 0x01;

/// The length of a GUID header: the magic byte and the 16-byte GUID.
pub const GUID_HEADER_LEN: usize = 17;

/// The record header carrying a key's schema GUID (Confluent's
/// `SchemaId.KEY_SCHEMA_ID_HEADER`).
pub const KEY_SCHEMA_ID_HEADER: &str = "__key_schema_id";

/// The record header carrying a value's schema GUID (Confluent's
/// `SchemaId.VALUE_SCHEMA_ID_HEADER`).
pub const VALUE_SCHEMA_ID_HEADER: &str = "__value_schema_id";

/// What a frame names its schema by: the id (`0x00` framing) or the GUID (`0x01`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaRef {
    /// A schema id.
    Id(SchemaId),
    /// A schema GUID.
    Guid(Guid),
}

/// The bytes of a GUID frame: `0x01`, the GUID, then (for Protobuf) the message indexes, as
/// Confluent's `SchemaId.guidToBytes` writes them.
pub fn guid_header(guid: &Guid, message_indexes: Option<&[i32]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(GUID_HEADER_LEN + 1);
    out.push(MAGIC_BYTE_V1);
    out.extend_from_slice(guid.as_bytes());
    if let Some(indexes) = message_indexes {
        write_message_indexes(indexes, &mut out);
    }
    out
}

/// Reads either framing's header: the schema id (`0x00`) or GUID (`0x01`), and the bytes
/// after it. Errors: [`WireError::TruncatedHeader`], [`WireError::UnknownMagicByte`] for
/// another first byte, [`WireError::InvalidSchemaId`].
pub fn read_schema_ref(bytes: &[u8]) -> Result<(SchemaRef, &[u8]), WireError> {
    match bytes.first() {
        Some(&MAGIC_BYTE_V1) => {
            let Some(guid) = bytes.get(1..GUID_HEADER_LEN) else {
                return Err(WireError::TruncatedHeader(bytes.len()));
            };
            let guid = <[u8; 16]>::try_from(guid).expect("16 bytes");
            Ok((
                SchemaRef::Guid(Guid::from_bytes(guid)),
                &bytes[GUID_HEADER_LEN..],
            ))
        }
        _ => unframe(bytes).map(|f| (SchemaRef::Id(f.schema_id), f.payload)),
    }
}

/// Why framed bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The first byte is not [`MAGIC_BYTE`] (Confluent: "Unknown magic byte!").
    #[error("unknown magic byte {0:#04x}, expected 0x00")]
    UnknownMagicByte(u8),
    /// The input ends before the 5-byte header (magic byte and schema id).
    #[error("truncated frame: {0} bytes, the header needs 5")]
    TruncatedHeader(usize),
    /// The header's id is 0 or above `2^31-1`, which no registry gives out (Confluent ids
    /// are positive Java `int`s).
    #[error("schema id {0} in the header is not a valid id")]
    InvalidSchemaId(u32),
    /// The message-index array ends in the middle of a varint or before `count` indexes.
    #[error("truncated message indexes")]
    TruncatedIndexes,
    /// A varint longer than 5 bytes (not a 32-bit value).
    #[error("message index varint is too long")]
    VarintTooLong,
    /// A negative count of message indexes.
    #[error("invalid message index count {0}")]
    InvalidCount(i32),
}

/// A Confluent-framed record: the schema id and what follows the header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The schema id.
    pub schema_id: SchemaId,
    /// The bytes after the header (for Protobuf, message indexes then the message).
    pub payload: &'a [u8],
}

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("schema_id", &self.schema_id)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// A new buffer holding the 5-byte header (magic byte `0x00`, then the id as 4 big-endian
/// bytes) with room for `capacity` more bytes: the payload, which the caller appends (for
/// Protobuf the message indexes of [`write_message_indexes`] first). The one writer of the
/// header; [`frame`] builds on it.
pub fn header(schema_id: SchemaId, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + capacity);
    write_header(schema_id, &mut out);
    out
}

/// Appends the 5-byte [`header`] to `out` (a buffer being reused, for instance).
pub fn write_header(schema_id: SchemaId, out: &mut Vec<u8>) {
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.get().to_be_bytes());
}

/// The 5-byte [`header`] followed by `payload`.
pub fn frame(schema_id: SchemaId, payload: &[u8]) -> Vec<u8> {
    let mut out = header(schema_id, payload.len());
    out.extend_from_slice(payload);
    out
}

/// Reads the header. Errors: [`WireError::TruncatedHeader`] for fewer than 5 bytes,
/// [`WireError::UnknownMagicByte`] for a first byte other than `0x00`,
/// [`WireError::InvalidSchemaId`] for an id of 0 or above `2^31-1`.
pub fn unframe(bytes: &[u8]) -> Result<Frame<'_>, WireError> {
    match bytes.first() {
        None => return Err(WireError::TruncatedHeader(0)),
        Some(&b) if b != MAGIC_BYTE => return Err(WireError::UnknownMagicByte(b)),
        Some(_) => {}
    }
    if bytes.len() < HEADER_LEN {
        return Err(WireError::TruncatedHeader(bytes.len()));
    }
    let raw = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let schema_id = SchemaId::new(i64::from(raw)).map_err(|_| WireError::InvalidSchemaId(raw))?;
    Ok(Frame {
        schema_id,
        payload: &bytes[HEADER_LEN..],
    })
}

/// Appends Protobuf message indexes to `out`: `[0]` (and `[]`) as the single byte `0x00`,
/// otherwise the zigzag varint count followed by each index as a zigzag varint.
pub fn write_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes.is_empty() || indexes == [0] {
        out.push(0);
        return;
    }
    write_varint(indexes.len() as i32, out);
    for &index in indexes {
        write_varint(index, out);
    }
}

/// The encoding of [`write_message_indexes`] as a new buffer.
pub fn message_indexes_to_bytes(indexes: &[i32]) -> Vec<u8> {
    let mut out = Vec::new();
    write_message_indexes(indexes, &mut out);
    out
}

/// Reads Protobuf message indexes from the start of `bytes`: the indexes (`[0]` for a count of
/// zero, as Confluent reads it) and the rest of the input (the message). Errors:
/// [`WireError::TruncatedIndexes`], [`WireError::VarintTooLong`], [`WireError::InvalidCount`].
pub fn read_message_indexes(bytes: &[u8]) -> Result<(Vec<i32>, &[u8]), WireError> {
    let (count, mut rest) = read_varint(bytes)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if count < 0 || count as usize > rest.len() {
        return if count < 0 {
            Err(WireError::InvalidCount(count))
        } else {
            Err(WireError::TruncatedIndexes)
        };
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (index, next) = read_varint(rest)?;
        indexes.push(index);
        rest = next;
    }
    Ok((indexes, rest))
}

/// A zigzag varint (Kafka `ByteUtils.writeVarint`).
fn write_varint(value: i32, out: &mut Vec<u8>) {
    let mut v = ((value << 1) ^ (value >> 31)) as u32;
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a zigzag varint (Kafka `ByteUtils.readVarint`).
fn read_varint(bytes: &[u8]) -> Result<(i32, &[u8]), WireError> {
    let mut value: u32 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if i >= 5 {
            return Err(WireError::VarintTooLong);
        }
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let decoded = ((value >> 1) as i32) ^ -((value & 1) as i32);
            return Ok((decoded, &bytes[i + 1..]));
        }
    }
    if bytes.len() >= 5 {
        Err(WireError::VarintTooLong)
    } else {
        Err(WireError::TruncatedIndexes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_the_magic_byte_and_the_big_endian_id_and_reads_back() {
        let id = SchemaId::new(0x0102_0304).unwrap();
        let framed = frame(id, b"xy");
        assert_eq!(framed, [0x00, 0x01, 0x02, 0x03, 0x04, b'x', b'y']);
        assert_eq!(header(id, 2), framed[..HEADER_LEN]);
        let read = unframe(&framed).unwrap();
        assert_eq!((read.schema_id, read.payload), (id, &b"xy"[..]));
    }

    #[test]
    fn ids_no_registry_gives_out_are_refused() {
        assert_eq!(
            unframe(&[0, 0, 0, 0, 0, 1]),
            Err(WireError::InvalidSchemaId(0))
        );
        assert_eq!(
            unframe(&[0, 0x80, 0, 0, 0]),
            Err(WireError::InvalidSchemaId(0x8000_0000))
        );
        let max = unframe(&[0, 0x7f, 0xff, 0xff, 0xff]).unwrap();
        assert_eq!(i64::from(max.schema_id.get()), i64::from(i32::MAX));
    }

    #[test]
    fn guid_frames_are_magic_one_the_guid_and_the_indexes() {
        let guid = Guid::from_bytes(*b"0123456789abcdef");
        let framed = guid_header(&guid, Some(&[1, 2]));
        assert_eq!(framed[0], MAGIC_BYTE_V1);
        assert_eq!(&framed[1..17], b"0123456789abcdef");
        assert_eq!(&framed[17..], [4, 2, 4]);
        let (read, rest) = read_schema_ref(&framed).unwrap();
        assert_eq!(read, SchemaRef::Guid(guid));
        assert_eq!(read_message_indexes(rest).unwrap().0, vec![1, 2]);
        assert_eq!(guid_header(&guid, None).len(), GUID_HEADER_LEN);
        assert_eq!(
            read_schema_ref(&[1, 2, 3]),
            Err(WireError::TruncatedHeader(3))
        );
        let id = SchemaId::new(7).unwrap();
        assert_eq!(
            read_schema_ref(&frame(id, b"p")).unwrap(),
            (SchemaRef::Id(id), &b"p"[..])
        );
        assert_eq!(
            read_schema_ref(&[2, 0, 0, 0, 1]),
            Err(WireError::UnknownMagicByte(2))
        );
    }

    #[test]
    fn zigzag_varints_round_trip_at_the_extremes() {
        for v in [0, 1, -1, 63, -64, 64, 300, i32::MAX, i32::MIN] {
            let mut out = Vec::new();
            write_varint(v, &mut out);
            assert_eq!(read_varint(&out), Ok((v, &[][..])), "{v}");
        }
    }
}
