//! The serializers and deserializers behind two small traits, so a producer or consumer is
//! generic over the format: [`ValueSerializer`] turns a key or value into record bytes,
//! [`ValueDeserializer`] turns record bytes back into a value. `warden-kafka`'s producer and
//! consumer take them.

use std::future::Future;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use warden_client::RegistryClient;

use crate::avro::{AvroDeserializer, AvroSerializer};
use crate::error::SerdeError;
use crate::generic::{Decoded, GenericDeserializer};
use crate::json::{JsonDeserializer, JsonSerializer};
use crate::protobuf::{ProtobufDeserializer, ProtobufSerializer};
use crate::strategy::SerializationContext;

/// Turns a key or value into record bytes.
pub trait ValueSerializer<T: ?Sized>: Send + Sync {
    /// The bytes for `value` in `context`, or why it was refused.
    fn serialize(
        &self,
        context: &SerializationContext<'_>,
        value: &T,
    ) -> impl Future<Output = Result<Vec<u8>, SerdeError>> + Send;

    /// The registry of a serializer that writes the schema id (`0x00 | id` prefix), so that
    /// a producer can move it into a header ([`crate::to_header_framing`]); `None` (the
    /// default) for one that writes no schema, such as [`RawSerializer`].
    fn registry(&self) -> Option<&RegistryClient> {
        None
    }
}

impl<T: Serialize + Sync + ?Sized> ValueSerializer<T> for AvroSerializer {
    fn serialize(
        &self,
        context: &SerializationContext<'_>,
        value: &T,
    ) -> impl Future<Output = Result<Vec<u8>, SerdeError>> + Send {
        AvroSerializer::serialize(self, context, value)
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(self.client())
    }
}

impl<T: Serialize + Sync + ?Sized> ValueSerializer<T> for JsonSerializer {
    fn serialize(
        &self,
        context: &SerializationContext<'_>,
        value: &T,
    ) -> impl Future<Output = Result<Vec<u8>, SerdeError>> + Send {
        JsonSerializer::serialize(self, context, value)
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(self.client())
    }
}

impl<M: prost::Message + prost::Name + Sync + 'static> ValueSerializer<M> for ProtobufSerializer {
    fn serialize(
        &self,
        context: &SerializationContext<'_>,
        value: &M,
    ) -> impl Future<Output = Result<Vec<u8>, SerdeError>> + Send {
        ProtobufSerializer::serialize(self, context, value)
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(self.client())
    }
}

/// A JSON document to be written as Protobuf (proto3 JSON mapping) with the schema's first
/// message, e.g. a line read from stdin. Wrapped so that it cannot be confused with a
/// `prost` message.
#[derive(Debug, Clone, Copy)]
pub struct ProtobufJson<'a>(pub &'a serde_json::Value);

impl ValueSerializer<ProtobufJson<'_>> for ProtobufSerializer {
    fn serialize(
        &self,
        context: &SerializationContext<'_>,
        value: &ProtobufJson<'_>,
    ) -> impl Future<Output = Result<Vec<u8>, SerdeError>> + Send {
        self.serialize_json(context, None, value.0)
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(self.client())
    }
}

/// Writes keys (or values) as they are: UTF-8 strings and raw bytes, no schema.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawSerializer;

impl ValueSerializer<str> for RawSerializer {
    async fn serialize(
        &self,
        _: &SerializationContext<'_>,
        value: &str,
    ) -> Result<Vec<u8>, SerdeError> {
        Ok(value.as_bytes().to_vec())
    }
}

impl ValueSerializer<[u8]> for RawSerializer {
    async fn serialize(
        &self,
        _: &SerializationContext<'_>,
        value: &[u8],
    ) -> Result<Vec<u8>, SerdeError> {
        Ok(value.to_vec())
    }
}

/// Turns record bytes into a value, by the schema id in the header.
pub trait ValueDeserializer: Send + Sync {
    /// The decoded value.
    type Output: Send;
    /// Decodes one record's key or value bytes.
    fn deserialize(
        &self,
        bytes: &[u8],
    ) -> impl Future<Output = Result<Self::Output, SerdeError>> + Send;

    /// Decodes one record's key or value bytes in `context` (its topic and part), which a
    /// deserializer with a [`crate::ReaderVersion`] needs to find the reader's version of
    /// the subject; the default ignores the context.
    fn deserialize_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> impl Future<Output = Result<Self::Output, SerdeError>> + Send {
        let _ = context;
        self.deserialize(bytes)
    }

    /// The registry of a deserializer that reads schemas from it, so that a consumer can read
    /// a schema id carried in a record header ([`crate::to_prefix_framing`]); `None` (the
    /// default) otherwise.
    fn registry(&self) -> Option<&RegistryClient> {
        None
    }
}

impl ValueDeserializer for GenericDeserializer {
    type Output = Decoded;
    fn deserialize(
        &self,
        bytes: &[u8],
    ) -> impl Future<Output = Result<Decoded, SerdeError>> + Send {
        GenericDeserializer::deserialize(self, bytes)
    }

    fn deserialize_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> impl Future<Output = Result<Decoded, SerdeError>> + Send {
        GenericDeserializer::deserialize_in(self, context, bytes)
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(self.client())
    }
}

/// Decodes Avro records into `T` (`apache_avro::from_value`).
#[derive(Debug, Clone)]
pub struct AvroValues<T>(AvroDeserializer, PhantomData<fn() -> T>);

impl<T> AvroValues<T> {
    /// Over an Avro deserializer.
    pub fn new(deserializer: AvroDeserializer) -> Self {
        Self(deserializer, PhantomData)
    }
}

impl<T: DeserializeOwned + Send> ValueDeserializer for AvroValues<T> {
    type Output = T;
    fn deserialize(&self, bytes: &[u8]) -> impl Future<Output = Result<T, SerdeError>> + Send {
        self.0.deserialize(bytes)
    }

    fn deserialize_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> impl Future<Output = Result<T, SerdeError>> + Send {
        self.0.deserialize_in(context, bytes)
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(self.0.client())
    }
}

/// Decodes JSON Schema records into `T` (`serde_json`).
#[derive(Debug, Clone)]
pub struct JsonValues<T>(JsonDeserializer, PhantomData<fn() -> T>);

impl<T> JsonValues<T> {
    /// Over a JSON deserializer.
    pub fn new(deserializer: JsonDeserializer) -> Self {
        Self(deserializer, PhantomData)
    }
}

impl<T: DeserializeOwned + Send> ValueDeserializer for JsonValues<T> {
    type Output = T;
    fn deserialize(&self, bytes: &[u8]) -> impl Future<Output = Result<T, SerdeError>> + Send {
        self.0.deserialize(bytes)
    }

    fn deserialize_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> impl Future<Output = Result<T, SerdeError>> + Send {
        self.0.deserialize_in(context, bytes)
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(self.0.client())
    }
}

/// Decodes Protobuf records into the `prost` message `M`.
#[derive(Debug, Clone)]
pub struct ProtobufValues<M>(ProtobufDeserializer, PhantomData<fn() -> M>);

impl<M> ProtobufValues<M> {
    /// Over a Protobuf deserializer.
    pub fn new(deserializer: ProtobufDeserializer) -> Self {
        Self(deserializer, PhantomData)
    }
}

impl<M: prost::Message + Default + Send> ValueDeserializer for ProtobufValues<M> {
    type Output = M;
    fn deserialize(&self, bytes: &[u8]) -> impl Future<Output = Result<M, SerdeError>> + Send {
        self.0.deserialize(bytes)
    }

    fn deserialize_in(
        &self,
        context: &SerializationContext<'_>,
        bytes: &[u8],
    ) -> impl Future<Output = Result<M, SerdeError>> + Send {
        self.0.deserialize_in(context, bytes)
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(self.0.client())
    }
}
