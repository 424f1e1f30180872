//! Avro reader/writer compatibility (placeholder; the checker lands in this module).

use crate::avro::AvroSchema;
use crate::compat::{Direction, Violation};

/// Every reason `reader` cannot read data written with `writer`.
pub fn check(_reader: &AvroSchema, _writer: &AvroSchema, _direction: Direction) -> Vec<Violation> {
    Vec::new()
}
