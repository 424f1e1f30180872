//! Property test of the deserializers' first step on hostile input: reading the Confluent
//! header of any bytes answers the frame or a typed error, the same as
//! `warden_core::wire::unframe`. (The payload decoders behind the deserializers are
//! fuzzed in warden-core's `fuzz_avro`, `fuzz_protobuf` and `fuzz_json`.)
//!
//! Long run: `PROPTEST_CASES=100000 cargo test -p warden-serde --release --test fuzz_frame`.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use warden_core::wire::{self, WireError};
use warden_serde::{SerdeError, read_header};

fn config() -> Config {
    let mut config = Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 2048;
        // The bounded run is the same on every run; long runs explore further.
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            config.rng_seed = proptest::test_runner::RngSeed::Fixed(0x5741_5244_454e);
        }
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn read_header_answers_what_unframe_answers(
        bytes in prop::collection::vec(any::<u8>(), 0..16), magic in prop::bool::weighted(0.8),
    ) {
        let mut bytes = bytes;
        if magic && !bytes.is_empty() {
            bytes[0] = 0;
        }
        match (read_header(&bytes), wire::unframe(&bytes)) {
            (Ok((id, payload)), Ok(frame)) => {
                prop_assert_eq!(id, frame.schema_id);
                prop_assert_eq!(payload, frame.payload);
            }
            (Err(SerdeError::UnknownMagicByte(a)), Err(WireError::UnknownMagicByte(b))) => {
                prop_assert_eq!(a, b);
            }
            (Err(SerdeError::InvalidSchemaId(a)), Err(WireError::InvalidSchemaId(b))) => {
                prop_assert_eq!(a, b);
            }
            (Err(SerdeError::Truncated(_)), Err(WireError::TruncatedHeader(n))) => {
                prop_assert!(n < wire::HEADER_LEN);
            }
            (serde, core) => prop_assert!(false, "read_header {:?}, unframe {:?}", serde, core),
        }
    }
}
