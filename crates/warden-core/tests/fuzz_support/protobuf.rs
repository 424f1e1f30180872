//! Protobuf files.
