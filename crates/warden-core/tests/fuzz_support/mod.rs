//! Generators shared by the `fuzz_*` property tests: structured Avro schemas, schema pairs and
//! datums ([`avro`]), Protobuf files ([`protobuf`]), JSON Schema documents ([`json`]), and byte
//! damage for payloads ([`bytes`]).
//!
//! Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

pub(crate) mod avro;
pub(crate) mod bytes;
pub(crate) mod json;
pub(crate) mod protobuf;

use proptest::test_runner::{Config, FileFailurePersistence};

/// The proptest configuration of a fuzz test: `cases` cases, unless `PROPTEST_CASES` is set
/// (the long run: `PROPTEST_CASES=100000 cargo test -p warden-core --release --test fuzz_avro`).
/// Without `PROPTEST_CASES` the seed is fixed, so CI runs the same cases every time.
/// Failures are saved beside the test file (`tests/fuzz_avro.proptest-regressions`) and
/// replayed first on every later run.
pub(crate) fn config(cases: u32) -> Config {
    let mut config = Config {
        // Beside the test file: `tests/` has no lib.rs for proptest's default to find.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
        // The bounded run of the test command is the same on every machine and every run;
        // long runs (and `PROPTEST_RNG_SEED`) explore further.
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            config.rng_seed = proptest::test_runner::RngSeed::Fixed(0x5741_5244_454e);
        }
    }
    config
}

/// A small deterministic generator for the parts of an input that depend on an earlier
/// generated part (a datum for a generated schema): proptest picks the seed, so a failing
/// case replays and shrinks with it.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// SplitMix64.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `1/n`.
    pub(crate) fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// An integer drawn mostly from the edges: 0, ±1, the limits of `bits`, small numbers.
    pub(crate) fn int(&mut self, bits: u32) -> i64 {
        let max = if bits >= 64 {
            i64::MAX
        } else {
            (1i64 << (bits - 1)) - 1
        };
        let min = -max - 1;
        match self.below(6) {
            0 => [0, 1, -1, max, min, 63, -64, 64][self.below(8)],
            1 | 2 => self.below(200) as i64 - 100,
            _ => {
                let v = self.next() as i64;
                if bits >= 64 {
                    v
                } else {
                    v.rem_euclid(max - min + 1) + min
                }
            }
        }
    }
}
