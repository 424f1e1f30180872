//! Serializers and deserializers for the Confluent wire format, over a schema registry.
//!
//! ```text
//! 0x00 | schema id (4 bytes, big-endian) | [Protobuf: message indexes] | payload
//! ```
//!
//! One serializer and one deserializer per format: [`AvroSerializer`] (from
//! `serde::Serialize` values, JSON documents and Avro `Value`s), [`ProtobufSerializer`] (from
//! `prost` messages, `DynamicMessage`s and JSON), [`JsonSerializer`] (from
//! `serde::Serialize` values and `serde_json::Value`s). Every value is validated against the
//! schema before it is encoded: a mismatch is [`SerdeError::Invalid`] naming the field path
//! and the reason, and no bytes are produced.
//!
//! The schema comes from [`SerializerConfig`] as Confluent's serializers take it: a schema
//! given to the serializer and looked up under the subject (auto-registration off by
//! default), the subject's latest version, or a fixed schema id. Subjects are named by a
//! [`SubjectNameStrategy`]. Schemas are fetched once per subject and id, then served from
//! memory, so cached schemas keep working when the registry goes away.
//!
//! Deserializers read each record with its writer's schema, or, with a [`ReaderVersion`]
//! (Confluent's `use.latest.version`, `use.latest.with.metadata`), as another version of its
//! subject: carried there by the subject's `JSONATA` migration rules, or by Avro schema
//! resolution, through their `…_in(context, bytes)` methods.
//!
//! [`ValueSerializer`] and [`ValueDeserializer`] put the serializers behind two small
//! traits (with [`RawSerializer`] for plain keys and [`AvroValues`], [`JsonValues`],
//! [`ProtobufValues`] for typed values), so code can be generic over the format.
//!
//! Confluent 8 can carry the schema in a record header instead (`__key_schema_id` /
//! `__value_schema_id`, holding `0x01 | GUID | [message indexes]`, the record holding the bare
//! payload): [`to_header_framing`] moves a serializer's id prefix into that header, and
//! [`to_prefix_framing`] turns a record with the header back into the prefix the
//! deserializers read. The deserializers also read a `0x01 | GUID` prefix directly.
//!
//! This crate has no Kafka dependency; `warden-kafka` puts it behind a producer and a
//! consumer.

/// The reader-version settings every deserializer has (`reader_version`,
/// `subject_name_strategy`, `latest_cache_ttl`), over its `reading` field; `$methods`
/// names, for the docs, the methods that read as the reader version.
macro_rules! reader_settings {
    ($methods:literal) => {
        #[doc = concat!(
                    "The same deserializer, reading records as `reader` says in ", $methods,
                    " (the subject is the context's topic's, `<topic>-value` or `<topic>-key`, ",
                    "unless another strategy is set)."
                )]
        #[must_use]
        pub fn reader_version(mut self, reader: ReaderVersion) -> Self {
            self.reading = self.reading.with(|s| s.version = reader);
            self
        }

        /// The same deserializer, naming the reader version's subject with `strategy` (the
        /// topic's subject by default; Confluent's `value.subject.name.strategy`).
        #[must_use]
        pub fn subject_name_strategy(mut self, strategy: SubjectNameStrategy) -> Self {
            self.reading = self.reading.with(|s| s.strategy = strategy);
            self
        }

        /// The same deserializer, keeping each reader version it finds for `ttl` (Confluent's
        /// `latest.cache.ttl.sec`); a version registered meanwhile is read as from the next
        /// lookup. `None` (the default) keeps it as long as the deserializer lives, as
        /// Confluent's clients do when that setting is not given; `Some(Duration::ZERO)`
        /// asks the registry at every record.
        #[must_use]
        pub fn latest_cache_ttl(mut self, ttl: Option<std::time::Duration>) -> Self {
            self.reading = self.reading.with(|s| s.latest_ttl = ttl);
            self
        }
    };
}

mod avro;
mod conditions;
mod error;
mod frame;
mod generic;
mod headers;
mod json;
mod json_text;
mod protobuf;
mod resolver;
mod rules;
mod strategy;
mod value;

pub use crate::avro::{AvroDeserializer, AvroSerializer};
pub use crate::conditions::WriteConditions;
pub use crate::error::{Result, RuleFailure, SerdeError};
pub use crate::frame::read_header;
pub use crate::generic::{Checked, Decoded, GenericDeserializer, ReaderVersion, check_record};
pub use crate::headers::{
    SchemaIdFraming, SchemaIdHeader, header_name, to_header_framing, to_prefix_framing,
};
pub use crate::json::{JsonDeserializer, JsonSerializer};
pub use crate::protobuf::{ProtobufDeserializer, ProtobufSerializer};
pub use crate::resolver::{SerializerConfig, record_name, recycle};
pub use crate::rules::Contract;
pub use crate::rules::encrypt::{DekClock, register_kms};
pub use crate::strategy::{Part, SerializationContext, SubjectNameStrategy};
pub use crate::value::{
    AvroValues, JsonValues, ProtobufJson, ProtobufValues, RawSerializer, ValueDeserializer,
    ValueSerializer,
};
pub use warden_client::{RegisterOptions, RegistryClient, UnregisteredSchema};
pub use warden_core::rules::RuleMode;
