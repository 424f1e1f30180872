//! Property tests of Confluent's wire format (`warden_core::wire`): the header and the
//! Protobuf message indexes, on random bytes and on what the writers produce.
//!
//! Long run: `PROPTEST_CASES=100000 cargo test -p warden-core --release --test fuzz_wire`.

mod fuzz_support;

use proptest::prelude::*;
use warden_core::SchemaId;
use warden_core::wire::{self, HEADER_LEN, MAGIC_BYTE, WireError};

use fuzz_support::config;

proptest! {
    #![proptest_config(config(2048))]

    /// Any bytes: a frame exactly when the header is whole, starts with the magic byte and
    /// holds a positive Java int; otherwise the error that says which.
    #[test]
    fn unframe_reads_exactly_the_headers_a_registry_writes(
        bytes in prop::collection::vec(any::<u8>(), 0..12),
        magic in prop::bool::weighted(0.8),
    ) {
        let mut bytes = bytes;
        if magic && !bytes.is_empty() {
            bytes[0] = MAGIC_BYTE;
        }
        match wire::unframe(&bytes) {
            Ok(frame) => {
                prop_assert!(bytes.len() >= HEADER_LEN && bytes[0] == MAGIC_BYTE);
                let raw = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
                prop_assert!(raw >= 1 && raw <= i32::MAX as u32);
                prop_assert_eq!(frame.payload, &bytes[HEADER_LEN..]);
                prop_assert_eq!(wire::frame(frame.schema_id, frame.payload), bytes.clone());
            }
            Err(WireError::TruncatedHeader(n)) => {
                prop_assert_eq!(n, bytes.len());
                prop_assert!(n < HEADER_LEN);
            }
            Err(WireError::UnknownMagicByte(b)) => prop_assert!(b != MAGIC_BYTE && bytes[0] == b),
            Err(WireError::InvalidSchemaId(id)) => prop_assert!(id == 0 || id > i32::MAX as u32),
            Err(other) => prop_assert!(false, "not a header error: {other}"),
        }
    }

    #[test]
    fn frames_read_back_with_their_id_and_payload(
        id in 1i64..=i64::from(i32::MAX), payload in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let id = SchemaId::new(id).unwrap();
        let framed = wire::frame(id, &payload);
        let frame = wire::unframe(&framed).unwrap();
        prop_assert_eq!((frame.schema_id, frame.payload), (id, &payload[..]));
    }

    /// Indexes written are read back, the message after them untouched; `[]` reads as `[0]`.
    #[test]
    fn message_indexes_round_trip(
        indexes in prop::collection::vec(any::<i32>(), 0..6),
        message in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = wire::message_indexes_to_bytes(&indexes);
        bytes.extend_from_slice(&message);
        let (read, rest) = wire::read_message_indexes(&bytes).unwrap();
        let expected = if indexes.is_empty() { vec![0] } else { indexes };
        prop_assert_eq!(read, expected);
        prop_assert_eq!(rest, &message[..]);
    }

    /// Random bytes: indexes and the rest, or a typed error; never more indexes than bytes.
    #[test]
    fn message_indexes_of_random_bytes_read_or_fail_with_a_reason(
        bytes in prop::collection::vec(any::<u8>(), 0..24),
    ) {
        match wire::read_message_indexes(&bytes) {
            Ok((indexes, rest)) => {
                prop_assert!(!indexes.is_empty());
                prop_assert!(indexes.len() <= bytes.len());
                prop_assert!(rest.len() < bytes.len());
            }
            Err(WireError::TruncatedIndexes | WireError::VarintTooLong | WireError::InvalidCount(_)) => {}
            Err(other) => prop_assert!(false, "not an index error: {other}"),
        }
    }
}

#[test]
fn a_huge_index_count_is_refused_before_anything_is_allocated() {
    // Count 2^30 (zigzag varint), then nothing: no 4 GiB allocation, a typed error.
    let bytes = [0x80, 0x80, 0x80, 0x80, 0x08];
    assert_eq!(
        wire::read_message_indexes(&bytes),
        Err(WireError::TruncatedIndexes)
    );
}
