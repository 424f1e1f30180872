//! A validating Kafka producer and a schema-aware consumer over `rdkafka`, serializing
//! through a schema registry in the Confluent wire format.
//!
//! [`Producer`] takes typed keys and values, serializes them with `warden-serde`'s
//! [`ValueSerializer`]s and enqueues them without waiting for the broker, so many records are
//! in flight at once; each send's [`Delivery`] resolves when the broker acknowledges the
//! record or the client gives up on it (`message.timeout.ms`, a purge). A value that does not
//! match its schema is an `Err` naming the field, returned before anything is enqueued: the
//! topic never sees it.
//!
//! [`Consumer`] decodes each record by the schema id in its header into typed or generic
//! values with a [`ValueDeserializer`], with an [`UndecodablePolicy`] for records it cannot
//! decode: return the error, skip and count, or forward the raw record to a dead-letter
//! topic with headers saying why.
//!
//! Schema ids travel as Confluent's clients write them: by default in a `0x00 | id` prefix of
//! the key and value; with [`Producer::schema_id_framing`] set to [`SchemaIdFraming::Header`]
//! (Confluent 8's `HeaderSchemaIdSerializer`), as the schema's GUID in the
//! `__key_schema_id` / `__value_schema_id` headers with bare payloads. The consumer reads both,
//! as Confluent's `DualSchemaIdDeserializer` does: the header when there is one, else the
//! prefix (`0x00 | id` or `0x01 | GUID`).
//!
//! Both are built from an `rdkafka` [`ClientConfig`], so acks, idempotence, compression and
//! consumer groups are set as with any `rdkafka` client; [`Producer::inner`] and
//! [`Consumer::inner`] give the underlying clients.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::Message as _;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers as _, OwnedHeaders};
use rdkafka::producer::{BaseRecord, FutureProducer, FutureRecord, ThreadedProducer};
use rdkafka::util::Timeout;
pub use warden_serde::SchemaIdFraming;
use warden_serde::{
    Decoded, GenericDeserializer, Part, SerdeError, SerializationContext, ValueDeserializer,
    ValueSerializer,
};

pub use rdkafka;

mod delivery;

pub use delivery::{Delivery, DeliveryContext, DeliverySlot};

/// Headers a dead-lettered record carries.
pub mod dead_letter_headers {
    /// Why the record could not be decoded (the error's text).
    pub const ERROR: &str = "warden.error";
    /// The kind of error: `unknown-magic-byte`, `truncated`, `unknown-schema-id`,
    /// `undecodable`, `invalid`, `wrong-format`, `registry`, `rule` (a data-contract rule
    /// refused it on read; the [`super::rule_headers`] say which).
    pub const ERROR_KIND: &str = "warden.error.kind";
    /// The topic the record was read from.
    pub const TOPIC: &str = "warden.source.topic";
    /// Its partition (decimal text).
    pub const PARTITION: &str = "warden.source.partition";
    /// Its offset (decimal text).
    pub const OFFSET: &str = "warden.source.offset";
}

/// Headers of a record a data-contract rule sent to a dead-letter topic (`onFailure: DLQ`),
/// Confluent's `DlqAction` names.
pub mod rule_headers {
    /// The rule's name.
    pub const NAME: &str = "__rule.name";
    /// `WRITE` (producer) or `READ` (consumer).
    pub const MODE: &str = "__rule.mode";
    /// The subject whose schema holds the rule.
    pub const SUBJECT: &str = "__rule.subject";
    /// The topic the record was meant for (or read from).
    pub const TOPIC: &str = "__rule.topic";
    /// Why the rule refused it.
    pub const EXCEPTION: &str = "__rule.exception";
}

/// The `__rule.*` headers of a rule failure for a record of `topic`, added to `headers`.
fn with_rule_headers(
    mut headers: OwnedHeaders,
    failure: &warden_serde::RuleFailure,
    topic: &str,
) -> OwnedHeaders {
    let exception = failure.to_string();
    for (key, value) in [
        (rule_headers::NAME, failure.rule.as_str()),
        (rule_headers::MODE, failure.mode.as_str()),
        (
            rule_headers::SUBJECT,
            failure.subject.as_deref().unwrap_or(""),
        ),
        (rule_headers::TOPIC, topic),
        (rule_headers::EXCEPTION, exception.as_str()),
    ] {
        headers = headers.insert(Header {
            key,
            value: Some(value),
        });
    }
    headers
}

/// Why a record was not sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProduceError {
    /// The key or value was refused by its serializer (for an invalid value: the field path
    /// and the reason). Nothing was enqueued.
    #[error("{} refused: {source}", match part { Part::Key => "key", Part::Value => "value" })]
    Serialize {
        /// Key or value.
        part: Part,
        /// The serializer's error.
        source: SerdeError,
    },
    /// A data-contract rule refused the value with `onFailure: DLQ`: the value (as JSON)
    /// was sent to `topic` with the [`rule_headers`], and not to its own topic.
    #[error("value refused and sent to the dead-letter topic {topic}: {source}")]
    DeadLettered {
        /// The dead-letter topic.
        topic: String,
        /// The rule failure ([`SerdeError::Rule`]).
        source: SerdeError,
    },
    /// The Kafka client refused or failed the record.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
}

impl ProduceError {
    /// The serializer's error, when the record was refused before sending.
    pub fn serde_error(&self) -> Option<&SerdeError> {
        match self {
            Self::Serialize { source, .. } | Self::DeadLettered { source, .. } => Some(source),
            Self::Kafka(_) => None,
        }
    }
}

/// A producer that serializes keys with `KS` and values with `VS`.
pub struct Producer<KS, VS> {
    inner: ThreadedProducer<DeliveryContext>,
    keys: KS,
    values: VS,
    framing: SchemaIdFraming,
    dead_letter_topic: Option<String>,
}

impl<KS, VS> std::fmt::Debug for Producer<KS, VS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer").finish_non_exhaustive()
    }
}

/// The bare payload of `framed`, its schema moved into a header added to `headers`
/// (`warden_serde::to_header_framing`); `framed` itself when its serializer writes no schema.
async fn in_header(
    registry: Option<&warden_serde::RegistryClient>,
    part: Part,
    framed: Vec<u8>,
    headers: &mut OwnedHeaders,
) -> Result<Vec<u8>, ProduceError> {
    let Some(client) = registry else {
        return Ok(framed);
    };
    let (header, payload) = warden_serde::to_header_framing(client, part, &framed)
        .await
        .map_err(|source| ProduceError::Serialize { part, source })?;
    if part == Part::Value {
        // The payload is a copy: the value's buffer serves the next record.
        warden_serde::recycle(framed);
    }
    *headers = std::mem::replace(headers, OwnedHeaders::new()).insert(Header {
        key: header.name,
        value: Some(&header.value),
    });
    Ok(payload)
}

/// The value of the last header named `name`, as Confluent's `Headers.lastHeader` reads it.
fn last_header<'m>(message: &'m BorrowedMessage<'_>, name: &str) -> Option<&'m [u8]> {
    let headers = message.headers()?;
    headers
        .iter()
        .filter(|h| h.key == name)
        .last()
        .and_then(|h| h.value)
}

/// Where a delivered record landed: partition and offset.
pub type Delivered = (i32, i64);

impl<KS, VS> Producer<KS, VS> {
    /// A producer from an `rdkafka` configuration (at least `bootstrap.servers`).
    ///
    /// Errors: the configuration is refused by librdkafka.
    pub fn new(config: &ClientConfig, keys: KS, values: VS) -> Result<Self, ProduceError> {
        Ok(Self {
            inner: config.create_with_context(DeliveryContext)?,
            keys,
            values,
            framing: SchemaIdFraming::Prefix,
            dead_letter_topic: None,
        })
    }

    /// The same producer, sending values that a data-contract rule refuses with
    /// `onFailure: DLQ` to `topic` when the rule has no `dlq.topic` parameter of its own
    /// (without either, such a value is only refused).
    #[must_use]
    pub fn dead_letter_topic(mut self, topic: impl Into<String>) -> Self {
        self.dead_letter_topic = Some(topic.into());
        self
    }

    /// The same producer, writing schema ids as `framing` says: in a prefix of the key and
    /// value (the default), or as the schema's GUID in the `__key_schema_id` /
    /// `__value_schema_id` headers (Confluent 8; the registry must answer GUIDs). Keys and
    /// values of serializers that write no schema (`RawSerializer`) are left as they are.
    #[must_use]
    pub fn schema_id_framing(mut self, framing: SchemaIdFraming) -> Self {
        self.framing = framing;
        self
    }

    /// The underlying `rdkafka` producer: a `ThreadedProducer` (a thread of its own serves
    /// librdkafka's delivery reports, as `FutureProducer`'s does) whose records carry their
    /// [`Delivery`]'s slot.
    pub fn inner(&self) -> &ThreadedProducer<DeliveryContext> {
        &self.inner
    }

    /// The value serializer.
    pub fn values(&self) -> &VS {
        &self.values
    }

    /// Serializes `key` and `value` for `topic` and enqueues the record. Returns as soon as
    /// the record is in the client's queue (waiting only while the queue is full); the
    /// returned future resolves when the broker acknowledges it. The buffer the value was
    /// serialized into is given back for the next record serialized on this thread
    /// ([`warden_serde::recycle`]) once it has been copied: by the client, or with header
    /// framing into the payload without its prefix.
    ///
    /// Errors: [`ProduceError::Serialize`] before anything is enqueued when the key or value
    /// is refused; [`ProduceError::Kafka`] when the client refuses the record.
    pub async fn send<K, V>(
        &self,
        topic: &str,
        key: Option<&K>,
        value: &V,
    ) -> Result<Delivery, ProduceError>
    where
        K: ?Sized,
        V: ?Sized,
        KS: ValueSerializer<K>,
        VS: ValueSerializer<V>,
    {
        let value_bytes = match self
            .values
            .serialize(&SerializationContext::value(topic), value)
            .await
        {
            Ok(bytes) => bytes,
            Err(source) => return Err(self.refused_value(topic, source).await),
        };
        let key_bytes = match key {
            Some(key) => Some(
                self.keys
                    .serialize(&SerializationContext::key(topic), key)
                    .await
                    .map_err(|source| ProduceError::Serialize {
                        part: Part::Key,
                        source,
                    })?,
            ),
            None => None,
        };
        if self.framing == SchemaIdFraming::Prefix {
            let delivery = self
                .enqueue(topic, key_bytes.as_deref(), &value_bytes, None)
                .await;
            // The client copied the value: its buffer serves the next record.
            warden_serde::recycle(value_bytes);
            return delivery;
        }
        let mut headers = OwnedHeaders::new();
        let value_bytes = in_header(
            ValueSerializer::<V>::registry(&self.values),
            Part::Value,
            value_bytes,
            &mut headers,
        )
        .await?;
        let key_bytes = match key_bytes {
            Some(bytes) => Some(
                in_header(
                    ValueSerializer::<K>::registry(&self.keys),
                    Part::Key,
                    bytes,
                    &mut headers,
                )
                .await?,
            ),
            None => None,
        };
        self.enqueue(topic, key_bytes.as_deref(), &value_bytes, Some(headers))
            .await
    }

    /// [`Producer::send`], then waits for the broker's acknowledgement.
    pub async fn send_and_wait<K, V>(
        &self,
        topic: &str,
        key: Option<&K>,
        value: &V,
    ) -> Result<Delivered, ProduceError>
    where
        K: ?Sized,
        V: ?Sized,
        KS: ValueSerializer<K>,
        VS: ValueSerializer<V>,
    {
        self.send(topic, key, value).await?.await
    }

    /// A value refused by its serializer: sent to the dead-letter topic first when a rule
    /// refused it with `onFailure: DLQ` (Confluent's `DlqAction`: the record as JSON, the
    /// rule in `__rule.*` headers, acknowledged before the error is returned).
    async fn refused_value(&self, topic: &str, source: SerdeError) -> ProduceError {
        let refused = |source| ProduceError::Serialize {
            part: Part::Value,
            source,
        };
        let Some(failure) = source.rule_failure().filter(|f| f.dead_letter) else {
            return refused(source);
        };
        let Some(dlq) = failure
            .dlq_topic
            .clone()
            .or_else(|| self.dead_letter_topic.clone())
        else {
            return refused(source);
        };
        let payload = failure
            .record
            .as_ref()
            .map(|r| serde_json::to_vec(r).unwrap_or_default())
            .unwrap_or_default();
        let headers = with_rule_headers(OwnedHeaders::new(), failure, topic);
        let sent = match self.enqueue(&dlq, None, &payload, Some(headers)).await {
            Ok(delivery) => delivery.await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(_) => ProduceError::DeadLettered { topic: dlq, source },
            Err(e) => e,
        }
    }

    async fn enqueue(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: &[u8],
        headers: Option<OwnedHeaders>,
    ) -> Result<Delivery, ProduceError> {
        let slot = Arc::new(DeliverySlot::default());
        let mut record =
            BaseRecord::<[u8], [u8], _>::with_opaque_to(topic, Arc::clone(&slot)).payload(value);
        if let Some(key) = key {
            record = record.key(key);
        }
        if let Some(headers) = headers {
            record = record.headers(headers);
        }
        loop {
            match self.inner.send(record) {
                Ok(()) => return Ok(Delivery(slot)),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, _)) => return Err(ProduceError::Kafka(e)),
            }
        }
    }

    /// Waits up to `timeout` for every enqueued record to be delivered.
    pub fn flush(&self, timeout: Duration) -> Result<(), ProduceError> {
        use rdkafka::producer::Producer as _;
        self.inner.flush(Timeout::After(timeout))?;
        Ok(())
    }
}

/// What the consumer does with a record it cannot decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndecodablePolicy {
    /// Return the error from [`Consumer::recv`] (the default). The consumer's position has
    /// moved past the record; the next call reads the next one.
    Fail,
    /// Skip it and count it ([`Consumer::skipped`]).
    Skip,
    /// Forward the raw record (key, value, headers) to this topic with the
    /// [`dead_letter_headers`] added, wait for the broker's acknowledgement, and go on
    /// ([`Consumer::dead_lettered`]).
    DeadLetter(String),
}

/// A decoded record.
#[derive(Debug, Clone)]
pub struct ConsumedRecord<V> {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The key as stored.
    pub key: Option<Vec<u8>>,
    /// The key decoded by its schema id, when the consumer decodes keys
    /// ([`Consumer::decode_keys`]) and the record has a key.
    pub decoded_key: Option<Decoded>,
    /// The decoded value; `None` for a tombstone (null value).
    pub value: Option<V>,
}

/// Why [`Consumer::recv`] returned no record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsumeError {
    /// A record could not be decoded (under [`UndecodablePolicy::Fail`]).
    #[error("{topic}/{partition}@{offset}: {source}")]
    Undecodable {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The offset.
        offset: i64,
        /// The deserializer's error.
        source: SerdeError,
    },
    /// The Kafka client failed (or forwarding to the dead-letter topic failed).
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
}

/// A consumer that decodes values with `D` (see [`ValueDeserializer`]).
pub struct Consumer<D> {
    inner: StreamConsumer,
    values: D,
    keys: Option<GenericDeserializer>,
    policy: UndecodablePolicy,
    dead_letters: Option<FutureProducer>,
    skipped: AtomicU64,
    dead_lettered: AtomicU64,
}

impl<D> std::fmt::Debug for Consumer<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("policy", &self.policy)
            .field("skipped", &self.skipped)
            .field("dead_lettered", &self.dead_lettered)
            .finish_non_exhaustive()
    }
}

impl<D: ValueDeserializer> Consumer<D> {
    /// A consumer from an `rdkafka` configuration (`bootstrap.servers`, `group.id`, …). For
    /// [`UndecodablePolicy::DeadLetter`] a producer with the same `bootstrap.servers` is made.
    ///
    /// Errors: the configuration is refused by librdkafka.
    pub fn new(
        config: &ClientConfig,
        values: D,
        policy: UndecodablePolicy,
    ) -> Result<Self, ConsumeError> {
        let dead_letters = match &policy {
            UndecodablePolicy::DeadLetter(_) => {
                let mut producer = ClientConfig::new();
                if let Some(servers) = config.get("bootstrap.servers") {
                    producer.set("bootstrap.servers", servers);
                }
                producer.set("acks", "all");
                Some(producer.create()?)
            }
            UndecodablePolicy::Fail | UndecodablePolicy::Skip => None,
        };
        Ok(Self {
            inner: config.create()?,
            values,
            keys: None,
            policy,
            dead_letters,
            skipped: AtomicU64::new(0),
            dead_lettered: AtomicU64::new(0),
        })
    }

    /// The same consumer, also decoding keys written in the Confluent wire format (by their
    /// schema id, into [`ConsumedRecord::decoded_key`]). A key that does not decode is an
    /// undecodable record, handled by the policy like a value.
    #[must_use]
    pub fn decode_keys(mut self, keys: GenericDeserializer) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Subscribes to `topics`.
    pub fn subscribe(&self, topics: &[&str]) -> Result<(), ConsumeError> {
        self.inner.subscribe(topics)?;
        Ok(())
    }

    /// The underlying `rdkafka` consumer (assign, commit, seek, pause…).
    pub fn inner(&self) -> &StreamConsumer {
        &self.inner
    }

    /// Records skipped under [`UndecodablePolicy::Skip`].
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Records forwarded under [`UndecodablePolicy::DeadLetter`].
    pub fn dead_lettered(&self) -> u64 {
        self.dead_lettered.load(Ordering::Relaxed)
    }

    /// The next decodable record (undecodable ones are handled by the policy on the way).
    ///
    /// Errors: [`ConsumeError::Undecodable`] under [`UndecodablePolicy::Fail`];
    /// [`ConsumeError::Kafka`] when the client fails (including partition EOF events when
    /// `enable.partition.eof` is set).
    pub async fn recv(&self) -> Result<ConsumedRecord<D::Output>, ConsumeError> {
        loop {
            let message = self.inner.recv().await?;
            let decoded_key = match (&self.keys, message.key()) {
                (Some(keys), Some(bytes)) => {
                    let header = last_header(&message, warden_serde::header_name(Part::Key));
                    let framed =
                        warden_serde::to_prefix_framing(keys.client(), header, bytes).await;
                    match framed {
                        Ok(bytes) => match keys
                            .deserialize_in(&SerializationContext::key(message.topic()), &bytes)
                            .await
                        {
                            Ok(key) => Some(key),
                            Err(error) => {
                                self.undecodable(&message, error).await?;
                                continue;
                            }
                        },
                        Err(error) => {
                            self.undecodable(&message, error).await?;
                            continue;
                        }
                    }
                }
                _ => None,
            };
            let value = match message.payload() {
                None => None,
                Some(bytes) => {
                    let framed = match self.values.registry() {
                        Some(client) => {
                            let header =
                                last_header(&message, warden_serde::header_name(Part::Value));
                            warden_serde::to_prefix_framing(client, header, bytes).await
                        }
                        None => Ok(std::borrow::Cow::Borrowed(bytes)),
                    };
                    let decoded = match framed {
                        Ok(bytes) => {
                            self.values
                                .deserialize_in(
                                    &SerializationContext::value(message.topic()),
                                    &bytes,
                                )
                                .await
                        }
                        Err(error) => Err(error),
                    };
                    match decoded {
                        Ok(value) => Some(value),
                        Err(error) => {
                            self.undecodable(&message, error).await?;
                            continue;
                        }
                    }
                }
            };
            return Ok(ConsumedRecord {
                topic: message.topic().to_owned(),
                partition: message.partition(),
                offset: message.offset(),
                key: message.key().map(<[u8]>::to_vec),
                decoded_key,
                value,
            });
        }
    }

    async fn undecodable(
        &self,
        message: &BorrowedMessage<'_>,
        error: SerdeError,
    ) -> Result<(), ConsumeError> {
        match &self.policy {
            UndecodablePolicy::Fail => Err(ConsumeError::Undecodable {
                topic: message.topic().to_owned(),
                partition: message.partition(),
                offset: message.offset(),
                source: error,
            }),
            UndecodablePolicy::Skip => {
                tracing::warn!(
                    topic = message.topic(),
                    partition = message.partition(),
                    offset = message.offset(),
                    %error,
                    "skipping undecodable record"
                );
                self.skipped.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            UndecodablePolicy::DeadLetter(topic) => {
                let producer = self
                    .dead_letters
                    .as_ref()
                    .expect("made with the dead-letter policy");
                let partition = message.partition().to_string();
                let offset = message.offset().to_string();
                let reason = error.to_string();
                let mut headers = OwnedHeaders::new();
                if let Some(existing) = message.headers() {
                    for header in existing.iter() {
                        headers = headers.insert(Header {
                            key: header.key,
                            value: header.value,
                        });
                    }
                }
                for (key, value) in [
                    (dead_letter_headers::ERROR, reason.as_str()),
                    (dead_letter_headers::ERROR_KIND, error_kind(&error)),
                    (dead_letter_headers::TOPIC, message.topic()),
                    (dead_letter_headers::PARTITION, partition.as_str()),
                    (dead_letter_headers::OFFSET, offset.as_str()),
                ] {
                    headers = headers.insert(Header {
                        key,
                        value: Some(value),
                    });
                }
                if let Some(failure) = error.rule_failure() {
                    headers = with_rule_headers(headers, failure, message.topic());
                }
                let mut record = FutureRecord::<[u8], [u8]>::to(topic).headers(headers);
                if let Some(key) = message.key() {
                    record = record.key(key);
                }
                if let Some(payload) = message.payload() {
                    record = record.payload(payload);
                }
                producer
                    .send(record, Timeout::After(Duration::from_secs(30)))
                    .await
                    .map_err(|(e, _)| ConsumeError::Kafka(e))?;
                self.dead_lettered.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        }
    }
}

/// The `warden.error.kind` header value of an error.
pub fn error_kind(error: &SerdeError) -> &'static str {
    match error {
        SerdeError::UnknownMagicByte(_) => "unknown-magic-byte",
        SerdeError::Truncated(_) => "truncated",
        SerdeError::UnknownSchemaId(_) | SerdeError::InvalidSchemaId(_) => "unknown-schema-id",
        SerdeError::Undecodable { .. } => "undecodable",
        SerdeError::Invalid { .. } => "invalid",
        SerdeError::WrongFormat { .. } => "wrong-format",
        SerdeError::Registry(_) => "registry",
        SerdeError::Rule(_) => "rule",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_id_no_registry_gives_out_is_dead_lettered_as_an_unknown_schema_id() {
        assert_eq!(
            error_kind(&SerdeError::InvalidSchemaId(0)),
            error_kind(&SerdeError::UnknownSchemaId(
                warden_core::SchemaId::new(1).unwrap()
            )),
        );
    }
}
