//! Finding the schema id for a value: the serializer options Confluent's serializers have.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use warden_client::{RegisterOptions, RegistryClient, UnregisteredSchema};
use warden_core::avro::AvroSchema;
use warden_core::{
    ErrorCode, JsonSchema, ParsedSchema, ProtobufSchema, SchemaId, SchemaType, Subject,
};

use warden_core::rules::RuleMode;
use warden_core::wire::header;

use crate::error::{Result, SerdeError};
use crate::rules::Contract;
use crate::rules::encrypt::{DekClock, KeptKeys, RuleKeys};
use crate::strategy::{Part, SerializationContext, SubjectNameStrategy};

/// Options shared by the serializers, named after Confluent's serializer settings.
/// The default: `TopicNameStrategy`, no auto-registration, the given schema looked up under
/// its subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SerializerConfig {
    /// How subjects are named (`key.subject.name.strategy` / `value.subject.name.strategy`).
    pub subject_name_strategy: SubjectNameStrategy,
    /// Register the given schema when the subject does not have it yet
    /// (`auto.register.schemas`; off by default, so producers cannot change contracts).
    pub auto_register_schemas: bool,
    /// Write with the subject's latest version instead of a given schema
    /// (`use.latest.version`).
    pub use_latest_version: bool,
    /// Write with this schema id (`use.schema.id`).
    pub use_schema_id: Option<SchemaId>,
    /// Ask the registry to normalize the schema on lookup and registration
    /// (`normalize.schemas`).
    pub normalize_schemas: bool,
    /// The clock `ENCRYPT` rules with `encrypt.dek.expiry.days` judge a DEK's age by (the
    /// system clock by default; Confluent's executors take a `Clock` the same way).
    pub dek_clock: DekClock,
}

/// The schema of one format, narrowed from a [`ParsedSchema`]: what a serializer of that
/// format writes with and a deserializer of it reads with.
pub(crate) trait FormatSchema: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The format.
    const SCHEMA_TYPE: SchemaType;
    /// `schema` when it is of this format.
    fn narrow(schema: &ParsedSchema) -> Option<&Self>;
}

impl FormatSchema for AvroSchema {
    const SCHEMA_TYPE: SchemaType = SchemaType::Avro;
    fn narrow(schema: &ParsedSchema) -> Option<&Self> {
        match schema {
            ParsedSchema::Avro(avro) => Some(avro),
            _ => None,
        }
    }
}

impl FormatSchema for ProtobufSchema {
    const SCHEMA_TYPE: SchemaType = SchemaType::Protobuf;
    fn narrow(schema: &ParsedSchema) -> Option<&Self> {
        match schema {
            ParsedSchema::Protobuf(proto) => Some(proto),
            _ => None,
        }
    }
}

impl FormatSchema for JsonSchema {
    const SCHEMA_TYPE: SchemaType = SchemaType::Json;
    fn narrow(schema: &ParsedSchema) -> Option<&Self> {
        match schema {
            ParsedSchema::Json(json) => Some(json),
            _ => None,
        }
    }
}

/// `schema` (the schema with `id`) as the format `S`. The one place a schema of another
/// format is refused, for serializers and deserializers alike.
///
/// Errors: [`SerdeError::WrongFormat`].
pub(crate) fn narrow<S: FormatSchema>(id: SchemaId, schema: &ParsedSchema) -> Result<&S> {
    S::narrow(schema).ok_or_else(|| SerdeError::WrongFormat {
        schema_id: id,
        expected: S::SCHEMA_TYPE,
        actual: schema.schema_type(),
    })
}

thread_local! {
    /// The part of a record the write rules read ([`Resolved::check_write_rules`]), kept
    /// after the record so that the next one is written over it (its maps, keys and
    /// strings reused) instead of allocated anew.
    static PROJECTED: std::cell::RefCell<serde_json::Value> =
        const { std::cell::RefCell::new(serde_json::Value::Null) };
}

/// A schema id with its schema, of the serializer's format.
#[derive(Debug)]
pub(crate) struct Resolved<S> {
    pub(crate) id: SchemaId,
    pub(crate) schema: Arc<S>,
    /// The same schema, as parsed (what the rules walk).
    pub(crate) parsed: Arc<ParsedSchema>,
    /// The schema version's data-contract rules, compiled once; `None` without rules.
    pub(crate) contract: Option<Arc<Contract>>,
    /// The subject the schema was found under (`None` with `use_schema_id`); shared, as a
    /// record written with DEKs gets a copy of the cached resolution.
    pub(crate) subject: Option<Arc<Subject>>,
    /// The DEKs of the contract's `ENCRYPT` write rules, or why some are missing, kept
    /// with the cached resolution and shared by its clones: for the schema version, or
    /// after a registry or KMS failure for a few seconds ([`KeptKeys`]).
    pub(crate) kept_keys: Arc<RwLock<Option<KeptKeys>>>,
    /// The DEKs this record is written with ([`Resolved::prepare_keys`]).
    pub(crate) keys: Arc<RuleKeys>,
}

impl<S> Resolved<S> {
    /// Whether the contract has `ENCRYPT` write rules, whose DEKs each record is written
    /// with ([`Resolved::prepare_keys`]).
    fn encrypts(&self) -> bool {
        self.write_rules()
            .is_some_and(|contract| contract.has_encryption_for(RuleMode::Write))
    }

    /// Makes the DEKs of the contract's `ENCRYPT` write rules ready: the kept ones, or
    /// fetched (and created) from the DEK registry and kept ([`KeptKeys`]); `clock` judges
    /// the age of rotated DEKs.
    pub(crate) async fn prepare_keys(&mut self, client: &RegistryClient, clock: &DekClock) {
        if !self.encrypts() {
            return;
        }
        let Some(contract) = self.write_rules() else {
            return;
        };
        if let Some(kept) = self
            .kept_keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .and_then(|kept| kept.fresh(clock))
        {
            self.keys = Arc::clone(kept);
            return;
        }
        let subject = self
            .subject
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .into_iter()
            .collect::<Vec<_>>();
        let keys = Arc::new(
            contract
                .resolve_keys(client, RuleMode::Write, &subject, clock)
                .await,
        );
        *self.kept_keys.write().unwrap_or_else(|p| p.into_inner()) =
            Some(KeptKeys::new(Arc::clone(&keys)));
        self.keys = keys;
    }

    /// The contract when it has rules for writing.
    pub(crate) fn write_rules(&self) -> Option<&Contract> {
        self.contract
            .as_deref()
            .filter(|c| c.has_rules_for(RuleMode::Write))
    }

    /// Runs the write rules on `message` (a JSON record), when there are any.
    ///
    /// Errors: [`SerdeError::Rule`].
    pub(crate) fn run_write_rules(&self, message: &mut serde_json::Value) -> Result<()> {
        self.run_write_rules_in(None, message)
    }

    /// Runs the write rules on a record without rewriting it, when no write rule can: on
    /// `borrowed` (the whole record, when the caller has it as JSON) with nothing copied
    /// when the rules can run on a borrowed record ([`Contract::check`]), else on the part
    /// of the record they read ([`Contract::write_projection`], which `part` writes over
    /// the part of the thread's previous record, [`PROJECTED`]), not on a copy of all of
    /// it. `Ok(false)` when the rules may rewrite the record or read all
    /// of it: the caller runs them on a copy ([`Resolved::run_write_rules`]). A record
    /// refused in part is run again whole, so that the failure carries the whole record
    /// (for the dead-letter topic).
    ///
    /// Errors: [`SerdeError::Rule`]; `part`'s and `whole`'s errors.
    pub(crate) fn check_write_rules(
        &self,
        borrowed: Option<&serde_json::Value>,
        part: impl FnOnce(&crate::rules::Projection, &mut serde_json::Value) -> Result<()>,
        whole: impl FnOnce() -> Result<serde_json::Value>,
    ) -> Result<bool> {
        let Some(contract) = self.write_rules() else {
            return Ok(false);
        };
        let subject = self.subject.as_deref().map(Subject::as_str);
        if let Some(record) = borrowed
            && let Some(checked) = contract.check(RuleMode::Write, &self.parsed, subject, record)
        {
            checked?;
            return Ok(true);
        }
        let Some(projection) = contract.write_projection(&self.parsed) else {
            return Ok(false);
        };
        let mut record = PROJECTED.take();
        part(projection, &mut record)?;
        let outcome = match contract.check(RuleMode::Write, &self.parsed, subject, &record) {
            Some(outcome) => outcome,
            None => self.run_write_rules(&mut record),
        };
        PROJECTED.set(record);
        match outcome {
            Ok(()) => Ok(true),
            Err(SerdeError::Rule(_)) => {
                let mut record = whole()?;
                self.run_write_rules(&mut record)?;
                // The rules are deterministic: a record refused in part is refused whole.
                Err(SerdeError::Config(
                    "the write rules refused part of a record and passed all of it".into(),
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// [`Resolved::check_write_rules`] on a record held as a JSON document: borrowed, or its
    /// projection copied out of it, or a copy of it whole.
    ///
    /// Errors: [`SerdeError::Rule`].
    pub(crate) fn check_write_rules_on_json(&self, json: &serde_json::Value) -> Result<bool> {
        self.check_write_rules(
            Some(json),
            |projection, out| {
                *out = projection.of_json(json);
                Ok(())
            },
            || Ok(json.clone()),
        )
    }

    /// [`Resolved::run_write_rules`] on a Protobuf record of message `descriptor`.
    pub(crate) fn run_write_rules_in(
        &self,
        descriptor: Option<&prost_reflect::MessageDescriptor>,
        message: &mut serde_json::Value,
    ) -> Result<()> {
        match self.write_rules() {
            Some(contract) => contract.execute(
                RuleMode::Write,
                &self.parsed,
                descriptor,
                self.subject.as_deref().map(Subject::as_str),
                message,
                &self.keys,
            ),
            None => Ok(()),
        }
    }
}

impl<S> Clone for Resolved<S> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            schema: Arc::clone(&self.schema),
            parsed: Arc::clone(&self.parsed),
            contract: self.contract.clone(),
            subject: self.subject.clone(),
            kept_keys: Arc::clone(&self.kept_keys),
            keys: Arc::clone(&self.keys),
        }
    }
}

/// The longest last record (bytes) a record's buffer is sized from: past it, the next
/// buffer starts at a quarter more than this.
const LENGTH_HINT_CAP: usize = 4096;

/// The largest buffer [`recycle`] keeps (bytes of capacity): the most [`Resolver::buffer`]
/// asks for (a quarter more than [`LENGTH_HINT_CAP`], and the header), so that one large
/// record does not make the small ones after it hold a large buffer.
const RECYCLE_CAP: usize = warden_core::wire::HEADER_LEN + LENGTH_HINT_CAP + LENGTH_HINT_CAP / 4;

thread_local! {
    /// The buffer given back last on this thread, empty; none (no allocation) before.
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Gives the buffer of a record already sent (or copied) back to the serializers, so that
/// the next record serialized on this thread is written into its allocation instead of a
/// new one. A producer gives back each value once the Kafka client has copied it
/// (`warden_kafka::Producer::send` does). One buffer is kept per thread, and none with more
/// than about 5 KiB of capacity (`RECYCLE_CAP`).
pub fn recycle(buffer: Vec<u8>) {
    if buffer.capacity() == 0 || buffer.capacity() > RECYCLE_CAP {
        return;
    }
    let mut buffer = buffer;
    buffer.clear();
    // While the thread's locals are being destroyed there is no spare to keep.
    let _ = SPARE.try_with(|spare| spare.set(buffer));
}

/// The wire-format header of schema `id`, with room for `body` more bytes, in the buffer
/// last given back on this thread ([`recycle`]) or a new one.
pub(crate) fn framed_buffer(id: SchemaId, body: usize) -> Vec<u8> {
    let mut out = SPARE.try_with(std::cell::Cell::take).unwrap_or_default();
    if out.capacity() == 0 {
        return header(id, body);
    }
    out.reserve(warden_core::wire::HEADER_LEN + body);
    warden_core::wire::write_header(id, &mut out);
    out
}

/// The hasher of the maps looked up on every record: foldhash, several times SipHash's speed
/// on short keys. Their keys are the application's own topic names and schema ids.
pub(crate) type FastHash = foldhash::fast::RandomState;

/// A cached value, borrowed from its owner's first-use slot (no lock, no reference count) or
/// shared from a map.
pub(crate) enum Held<'a, T> {
    Borrowed(&'a T),
    Shared(Arc<T>),
}

impl<T> std::ops::Deref for Held<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Held::Borrowed(value) => value,
            Held::Shared(value) => value,
        }
    }
}

/// A topic's cached resolutions: the key's (0) and the value's (1).
type ByPart<S> = [Option<Arc<Resolved<S>>>; 2];

/// Resolves the schema for each (subject) once and then serves it from memory, so the
/// registry is asked once per subject, not per record. Schemas of another format than `S`
/// are refused here, once, with [`SerdeError::WrongFormat`].
#[derive(Debug)]
pub(crate) struct Resolver<S> {
    client: RegistryClient,
    config: SerializerConfig,
    schema: Option<UnregisteredSchema>,
    local_name: OnceLock<Option<String>>,
    by_subject: RwLock<HashMap<Subject, Resolved<S>>>,
    /// The per-record fast path whenever the subject does not depend on the value: by topic,
    /// then key (0) or value (1), looked up without building the subject.
    by_topic: RwLock<HashMap<String, ByPart<S>, FastHash>>,
    /// The first topic each part (key 0, value 1) was resolved for, with its resolution:
    /// read without a lock or a reference count, since most serializers write one topic.
    /// Other topics go through `by_topic`. Set once; a topic's resolution never changes.
    first_topic: [OnceLock<(String, Arc<Resolved<S>>)>; 2],
    /// The length of the last framed record written (bytes), up to [`LENGTH_HINT_CAP`]: the
    /// next one's first capacity, so a record is not copied as its buffer grows.
    last_len: AtomicUsize,
}

impl<S: FormatSchema> Resolver<S> {
    /// A resolver writing with `schema` (of format `S`), or with the registry's schema that
    /// `config` names when `None`.
    pub(crate) fn new(
        client: RegistryClient,
        config: SerializerConfig,
        schema: Option<UnregisteredSchema>,
    ) -> Self {
        Self {
            client,
            config,
            schema,
            local_name: OnceLock::new(),
            by_subject: RwLock::new(HashMap::new()),
            by_topic: RwLock::new(HashMap::default()),
            first_topic: [OnceLock::new(), OnceLock::new()],
            last_len: AtomicUsize::new(0),
        }
    }

    /// A buffer for a record written with schema `id`: the wire-format header, and room for
    /// at least `body` bytes or a quarter more than the last record took ([`Resolver::wrote`]).
    /// The allocation is the one last given back on this thread ([`recycle`]) when there is
    /// one.
    pub(crate) fn buffer(&self, id: SchemaId, body: usize) -> Vec<u8> {
        // A quarter more than the last record, so one a little longer does not grow it.
        let last = self.last_len.load(Ordering::Relaxed);
        framed_buffer(id, body.max(last + last / 4))
    }

    /// Whether the last record reached [`LENGTH_HINT_CAP`]: [`Resolver::buffer`]'s room then
    /// says nothing of the next record's size, and a writer that can size its record
    /// beforehand should.
    pub(crate) fn hint_capped(&self) -> bool {
        self.last_len.load(Ordering::Relaxed) >= LENGTH_HINT_CAP
    }

    /// Notes the length of a framed record just written, for [`Resolver::buffer`]; past
    /// [`LENGTH_HINT_CAP`] the cap, so one large record does not make every small one that
    /// follows hold a large buffer.
    pub(crate) fn wrote(&self, framed: &[u8]) {
        self.last_len
            .store(framed.len().min(LENGTH_HINT_CAP), Ordering::Relaxed);
    }

    pub(crate) fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The schema to write `context`'s value with. `record_name` is the value's own type name
    /// when it has one (Protobuf messages); otherwise the given schema's name is used.
    /// Whether [`Resolver::resolve`] reads the record name: only when the subject name
    /// strategy uses it (`RecordNameStrategy`, `TopicRecordNameStrategy`) and no schema id is
    /// configured.
    pub(crate) fn uses_record_name(&self) -> bool {
        self.config.use_schema_id.is_none()
            && self.config.subject_name_strategy != SubjectNameStrategy::TopicName
    }

    pub(crate) async fn resolve(
        &self,
        context: &SerializationContext<'_>,
        record_name: Option<&str>,
    ) -> Result<Held<'_, Resolved<S>>> {
        let slot = match context.part {
            Part::Key => 0,
            Part::Value => 1,
        };
        // The subject depends on the value only when the strategy uses the value's own record
        // name (Protobuf messages under RecordName or TopicRecordName); otherwise the topic and
        // part decide it, and the per-topic cache serves every record.
        let per_topic = record_name.is_none() || !self.uses_record_name();
        if per_topic
            && let Some((topic, resolved)) = self.first_topic[slot].get()
            && topic == context.topic
            && !resolved.encrypts()
        {
            return Ok(Held::Borrowed(resolved));
        }
        let cached = if per_topic {
            self.by_topic
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(context.topic)
                .and_then(|parts| parts[slot].clone())
        } else {
            None
        };
        let mut resolved = match cached {
            Some(found) => found,
            None => {
                let resolved = Arc::new(self.resolve_subject(context, record_name).await?);
                if per_topic {
                    self.by_topic
                        .write()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry(context.topic.to_owned())
                        .or_default()[slot] = Some(Arc::clone(&resolved));
                    if self.first_topic[slot].get().is_none() {
                        // Lost races leave the first winner: the same resolution.
                        let _ = self.first_topic[slot]
                            .set((context.topic.to_owned(), Arc::clone(&resolved)));
                    }
                }
                resolved
            }
        };
        // Only a record written with DEKs gets a resolution of its own.
        if resolved.encrypts() {
            Arc::make_mut(&mut resolved)
                .prepare_keys(&self.client, &self.config.dek_clock)
                .await;
        }
        Ok(Held::Shared(resolved))
    }

    async fn resolve_subject(
        &self,
        context: &SerializationContext<'_>,
        record_name: Option<&str>,
    ) -> Result<Resolved<S>> {
        if let Some(id) = self.config.use_schema_id {
            return self.parsed(id, None).await;
        }
        let local_name;
        let record_name = match record_name {
            Some(name) => Some(name),
            None if self.config.subject_name_strategy != SubjectNameStrategy::TopicName => {
                local_name = self.given_schema_name().await?;
                local_name.as_deref()
            }
            None => None,
        };
        let subject = self
            .config
            .subject_name_strategy
            .subject(context, record_name)?;
        if let Some(found) = self.read_cache().get(&subject) {
            return Ok(found.clone());
        }
        let id = if self.config.use_latest_version {
            self.client.latest(&subject).await?.id
        } else if let Some(schema) = &self.schema {
            if self.config.auto_register_schemas {
                let options = RegisterOptions {
                    normalize: self.config.normalize_schemas,
                    ..RegisterOptions::default()
                };
                self.client.register_with(&subject, schema, options).await?
            } else {
                self.client.lookup_id(&subject, schema).await?
            }
        } else {
            return Err(SerdeError::Config(
                "no schema: give one, or set use_latest_version or use_schema_id".into(),
            ));
        };
        let resolved = self.parsed(id, Some(subject.clone())).await?;
        self.by_subject
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(subject, resolved.clone());
        Ok(resolved)
    }

    async fn parsed(&self, id: SchemaId, subject: Option<Subject>) -> Result<Resolved<S>> {
        let parsed = parsed_schema(&self.client, id).await?;
        let schema = Arc::new(narrow::<S>(id, &parsed)?.clone());
        let contract = contract(&self.client, id).await?;
        Ok(Resolved {
            id,
            schema,
            parsed,
            contract,
            subject: subject.map(Arc::new),
            kept_keys: Arc::default(),
            keys: Arc::default(),
        })
    }

    fn read_cache(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Subject, Resolved<S>>> {
        self.by_subject.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The record name of the schema given to the serializer (parsed locally, once).
    async fn given_schema_name(&self) -> Result<Option<String>> {
        if let Some(name) = self.local_name.get() {
            return Ok(name.clone());
        }
        let Some(schema) = &self.schema else {
            return Ok(None);
        };
        let references = self.client.resolve_references(&schema.references).await?;
        let parsed = ParsedSchema::parse(schema.schema_type, &schema.schema, &references)
            .map_err(|e| SerdeError::Config(format!("the given schema: {e}")))?;
        let name = record_name(&parsed);
        let _ = self.local_name.set(name.clone());
        Ok(name)
    }
}

/// The schema with `id` from the registry, with 40403 (schema not found) turned into
/// [`SerdeError::UnknownSchemaId`].
pub(crate) async fn parsed_schema(
    client: &RegistryClient,
    id: SchemaId,
) -> Result<Arc<ParsedSchema>> {
    client.parsed_schema(id).await.map_err(|e| match e.code() {
        Some(ErrorCode::SchemaNotFound) => SerdeError::UnknownSchemaId(id),
        _ => SerdeError::Registry(e),
    })
}

/// The data contract of schema `id` (its rule set and metadata as the registry answers
/// `GET /schemas/ids/{id}`, cached by the client), compiled; `None` without rules.
///
/// Errors: as [`parsed_schema`]; [`SerdeError::Config`] for a rule set that does not read.
pub(crate) async fn contract(
    client: &RegistryClient,
    id: SchemaId,
) -> Result<Option<Arc<Contract>>> {
    let raw = schema_record(client, id).await?;
    Ok(Contract::new(raw.rule_set.as_ref(), raw.metadata.as_ref())?.map(Arc::new))
}

/// Schema `id` as the registry answers `GET /schemas/ids/{id}` (text, references, rule set
/// and metadata), cached by the client.
///
/// Errors: [`SerdeError::UnknownSchemaId`] when the registry has no such schema,
/// [`SerdeError::Registry`] when it cannot be asked.
pub(crate) async fn schema_record(
    client: &RegistryClient,
    id: SchemaId,
) -> Result<Arc<warden_core::api::SchemaByIdResponse>> {
    client.schema_by_id(id).await.map_err(|e| match e.code() {
        Some(ErrorCode::SchemaNotFound) => SerdeError::UnknownSchemaId(id),
        _ => SerdeError::Registry(e),
    })
}

/// Compiled contracts by schema id, for deserializers (each schema version's programs are
/// compiled once, at its first record).
#[derive(Debug, Default)]
pub(crate) struct Contracts(
    RwLock<HashMap<SchemaId, Option<Arc<Contract>>>>,
    /// The DEKs of each schema's `ENCRYPT` read rules, or why some are missing
    /// ([`KeptKeys`]).
    RwLock<HashMap<SchemaId, KeptKeys>>,
);

impl Contracts {
    /// The contract of schema `id`.
    pub(crate) async fn get(
        &self,
        client: &RegistryClient,
        id: SchemaId,
    ) -> Result<Option<Arc<Contract>>> {
        if let Some(found) = self.0.read().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return Ok(found.clone());
        }
        let found = contract(client, id).await?;
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, found.clone());
        Ok(found)
    }

    /// Runs the read rules of schema `id` on `message`, when it has any. `Ok(false)` when
    /// none ran (the message is as decoded).
    ///
    /// Errors: [`SerdeError::Rule`], and as [`Contracts::get`].
    pub(crate) async fn run_read_rules(
        &self,
        client: &RegistryClient,
        id: SchemaId,
        schema: &ParsedSchema,
        message: &mut serde_json::Value,
    ) -> Result<bool> {
        self.run_read_rules_in(client, id, schema, None, message)
            .await
    }

    /// [`Contracts::run_read_rules`] on a Protobuf record of message `descriptor`.
    pub(crate) async fn run_read_rules_in(
        &self,
        client: &RegistryClient,
        id: SchemaId,
        schema: &ParsedSchema,
        descriptor: Option<&prost_reflect::MessageDescriptor>,
        message: &mut serde_json::Value,
    ) -> Result<bool> {
        match self.get(client, id).await? {
            Some(contract) if contract.has_rules_for(RuleMode::Read) => {
                let keys = self.read_keys(client, id, &contract).await;
                if keys.has_rotation_on_read() {
                    contract
                        .fetch_named_versions(client, schema, descriptor, message, &keys)
                        .await;
                }
                contract.execute(RuleMode::Read, schema, descriptor, None, message, &keys)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The DEKs of the `ENCRYPT` read rules of schema `id`: kept ones, or fetched for every
    /// subject the schema is registered under (the record does not name its subject).
    async fn read_keys(
        &self,
        client: &RegistryClient,
        id: SchemaId,
        contract: &Contract,
    ) -> Arc<RuleKeys> {
        if !contract.has_encryption_for(RuleMode::Read) {
            return Arc::default();
        }
        if let Some(kept) = self
            .1
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .and_then(|kept| kept.fresh(&DekClock::default()))
        {
            return Arc::clone(kept);
        }
        let (subjects, listed): (Vec<String>, bool) = match client.subject_versions_of(id).await {
            Ok(found) => (
                found
                    .into_iter()
                    .map(|sv| sv.subject.as_str().to_owned())
                    .collect(),
                true,
            ),
            Err(_) => (Vec::new(), false),
        };
        let mut keys = contract
            .resolve_keys(client, RuleMode::Read, &subjects, &DekClock::default())
            .await;
        if !listed {
            keys.mark_transient();
        }
        let keys = Arc::new(keys);
        self.1
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, KeptKeys::new(Arc::clone(&keys)));
        keys
    }

    /// Whether schema `id` has read rules.
    pub(crate) async fn has_read_rules(
        &self,
        client: &RegistryClient,
        id: SchemaId,
    ) -> Result<bool> {
        Ok(self
            .get(client, id)
            .await?
            .is_some_and(|c| c.has_rules_for(RuleMode::Read)))
    }
}

/// The record name `RecordNameStrategy` uses: Avro full name of a named top-level type,
/// Protobuf full name of the first message, JSON Schema `title`.
pub fn record_name(schema: &ParsedSchema) -> Option<String> {
    match schema {
        ParsedSchema::Avro(avro) => match avro.schema() {
            apache_avro::Schema::Record(r) => Some(r.name.fullname(None)),
            apache_avro::Schema::Enum(e) => Some(e.name.fullname(None)),
            apache_avro::Schema::Fixed(f) => Some(f.name.fullname(None)),
            _ => None,
        },
        ParsedSchema::Protobuf(proto) => proto.name(),
        ParsedSchema::Json(json) => json
            .value()
            .get("title")
            .and_then(|t| t.as_str())
            .map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_buffer_starts_at_the_last_records_size_up_to_the_cap() {
        let client = RegistryClient::new("http://127.0.0.1:9").expect("a client");
        let resolver: Resolver<AvroSchema> =
            Resolver::new(client, SerializerConfig::default(), None);
        let id = SchemaId::new(1).expect("an id");
        resolver.wrote(&[0; 300]);
        let buffer = resolver.buffer(id, 64);
        assert_eq!(buffer, [0, 0, 0, 0, 1], "the wire-format header");
        assert!(buffer.capacity() >= 300, "{}", buffer.capacity());
        // One large record does not make the small ones after it hold large buffers.
        resolver.wrote(&vec![0; 1 << 20]);
        let buffer = resolver.buffer(id, 64);
        assert!(
            buffer.capacity() < 2 * LENGTH_HINT_CAP,
            "{}",
            buffer.capacity()
        );
    }

    #[test]
    fn a_recycled_buffer_is_written_again_from_a_fresh_header() {
        let (one, two) = (SchemaId::new(1).unwrap(), SchemaId::new(2).unwrap());
        let mut sent = framed_buffer(one, 64);
        sent.extend_from_slice(b"an old record");
        let address = sent.as_ptr();
        recycle(sent);
        let next = framed_buffer(two, 8);
        assert_eq!(
            next,
            [0, 0, 0, 0, 2],
            "the header of its own schema, nothing older"
        );
        assert_eq!(next.as_ptr(), address, "the recycled allocation");
        // It was taken: the next buffer on this thread is a new one.
        let other = framed_buffer(two, 8);
        assert_ne!(other.as_ptr(), next.as_ptr());
        // A buffer past the cap is not kept on the thread.
        recycle(Vec::with_capacity(RECYCLE_CAP + 1));
        assert!(framed_buffer(one, 8).capacity() < RECYCLE_CAP);
    }
}
