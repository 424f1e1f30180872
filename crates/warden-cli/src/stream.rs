//! `warden produce` and `warden consume`: JSON lines in and out of Kafka through the
//! registry, validated before anything reaches the topic.

use std::io::{BufRead, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::{Value, json};
use warden_core::{SchemaType, Subject};
use warden_kafka::rdkafka::ClientConfig;
use warden_kafka::{
    ConsumeError, Consumer, ProduceError, Producer, SchemaIdFraming, UndecodablePolicy,
};
use warden_serde::{
    AvroSerializer, Decoded, GenericDeserializer, JsonSerializer, ProtobufSerializer,
    RawSerializer, ReaderVersion, RegistryClient, SerdeError, SerializationContext,
    SerializerConfig, SubjectNameStrategy, ValueDeserializer, ValueSerializer,
};

use crate::exit::Exit;
use crate::registry::RegistryArgs;

/// `--bootstrap-servers`, shared by both commands.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct KafkaArgs {
    /// Kafka brokers, `host:port[,host:port…]`.
    #[arg(
        long = "bootstrap-servers",
        env = "WARDEN_BOOTSTRAP_SERVERS",
        value_name = "HOST:PORT"
    )]
    bootstrap_servers: String,
}

/// The format of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Avro (JSON lines in the shapes of Avro's JSON encoding; unions plain or wrapped).
    Avro,
    /// Protobuf (JSON lines in the proto3 JSON mapping).
    Protobuf,
    /// JSON Schema.
    Json,
}

impl Format {
    fn schema_type(self) -> SchemaType {
        match self {
            Self::Avro => SchemaType::Avro,
            Self::Protobuf => SchemaType::Protobuf,
            Self::Json => SchemaType::Json,
        }
    }
}

/// Where `--schema-id-in` puts a record's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SchemaIdIn {
    /// `0x00 | schema id` before the payload: Confluent's default, read by every client.
    Prefix,
    /// The schema's GUID in the `__value_schema_id` header, the bare payload in the record
    /// (Confluent 8's `HeaderSchemaIdSerializer`).
    Header,
}

/// `warden produce`.
#[derive(Debug, clap::Args)]
pub(crate) struct ProduceArgs {
    /// The topic to write to.
    #[arg(long)]
    topic: String,
    /// The subject whose latest version the values are written with (default
    /// `<topic>-value`).
    #[arg(long, value_parser = Subject::parse)]
    subject: Option<Subject>,
    /// The expected format; by default the subject's.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// For Protobuf: the message (full name, e.g. `acme.Order`); by default the schema's
    /// first message.
    #[arg(long)]
    message: Option<String>,
    /// Create the topic (with `--partitions` partitions) when it does not exist.
    #[arg(long)]
    create_topic: bool,
    /// Partitions of a topic made by `--create-topic`.
    #[arg(long, default_value_t = 1, value_name = "N")]
    partitions: i32,
    /// Where each record carries its schema: an id prefix (the default), or the schema's
    /// GUID in a header (Confluent 8; the registry must answer GUIDs).
    #[arg(
        long,
        value_enum,
        default_value = "prefix",
        env = "WARDEN_SCHEMA_ID_IN",
        value_name = "WHERE"
    )]
    schema_id_in: SchemaIdIn,
    /// The dead-letter topic for lines a data-contract rule refuses with `onFailure: DLQ`
    /// and no `dlq.topic` parameter of its own (the line as JSON, the rule in `__rule.*`
    /// headers). Such lines still count as refused.
    #[arg(long, value_name = "TOPIC")]
    dead_letter_topic: Option<String>,
    #[command(flatten)]
    kafka: KafkaArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Fails with one clear line when `topic` does not exist, or creates it when `create`
/// (an existing topic is left as it is).
async fn ensure_topic(kafka: &KafkaArgs, topic: &str, create: Option<i32>) -> anyhow::Result<()> {
    use warden_kafka::rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use warden_kafka::rdkafka::client::DefaultClientContext;
    use warden_kafka::rdkafka::consumer::{BaseConsumer, Consumer as _};
    use warden_kafka::rdkafka::types::RDKafkaErrorCode;

    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &kafka.bootstrap_servers);
    if let Some(partitions) = create {
        let admin: AdminClient<DefaultClientContext> = config
            .create()
            .context("cannot create the Kafka admin client")?;
        let results = admin
            .create_topics(
                &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
                &AdminOptions::new().request_timeout(Some(Duration::from_secs(10))),
            )
            .await
            .with_context(|| format!("cannot create topic '{topic}'"))?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((_, e)) => bail!("cannot create topic '{topic}': {e}"),
            }
        }
        return Ok(());
    }
    let probe: BaseConsumer = config
        .set("allow.auto.create.topics", "false")
        .create()
        .context("cannot create the Kafka client")?;
    let topic_owned = topic.to_owned();
    let metadata = tokio::task::spawn_blocking(move || {
        probe.fetch_metadata(Some(&topic_owned), Duration::from_secs(10))
    })
    .await?
    .with_context(|| {
        format!(
            "cannot reach the Kafka brokers at {}",
            kafka.bootstrap_servers
        )
    })?;
    match metadata.topics().iter().find(|t| t.name() == topic) {
        Some(t) if t.error().is_none() && !t.partitions().is_empty() => Ok(()),
        _ => bail!("topic '{topic}' does not exist (create it, or pass --create-topic)"),
    }
}

/// One of the three serializers, chosen by the subject's format.
enum Values {
    Avro(AvroSerializer),
    Protobuf(ProtobufSerializer, Option<String>),
    Json(JsonSerializer),
}

/// Reads JSON lines from stdin, validates each against the subject's latest schema and runs
/// its data-contract WRITE rules, and produces the valid ones. Refused lines are reported on
/// stderr with their line number, field path (or rule and field) and reason; the exit code is
/// 1 if any line was refused or not delivered.
pub(crate) async fn produce(args: ProduceArgs) -> anyhow::Result<()> {
    let client = args.registry.client()?;
    let subject = match &args.subject {
        Some(subject) => subject.clone(),
        None => SubjectNameStrategy::TopicName
            .subject(&SerializationContext::value(&args.topic), None)?,
    };
    let latest = client
        .latest(&subject)
        .await
        .with_context(|| format!("cannot read the latest schema of subject '{subject}'"))?;
    if let Some(format) = args.format
        && format.schema_type() != latest.schema_type
    {
        bail!(
            "subject '{subject}' holds a {} schema, not {:?}",
            latest.schema_type.as_str(),
            format
        );
    }
    let config = SerializerConfig {
        use_latest_version: true,
        subject_name_strategy: SubjectNameStrategy::TopicName,
        ..SerializerConfig::default()
    };
    let config = if args.subject.is_some() {
        // A subject other than the topic's: write with the id read above.
        SerializerConfig {
            use_schema_id: Some(latest.id),
            ..SerializerConfig::default()
        }
    } else {
        config
    };
    let values = match latest.schema_type {
        SchemaType::Avro => Values::Avro(AvroSerializer::from_registry(client, config)),
        SchemaType::Protobuf => Values::Protobuf(
            ProtobufSerializer::from_registry(client, config),
            args.message.clone(),
        ),
        SchemaType::Json => Values::Json(JsonSerializer::from_registry(client, config)),
    };
    ensure_topic(
        &args.kafka,
        &args.topic,
        args.create_topic.then_some(args.partitions),
    )
    .await?;
    let mut kafka = ClientConfig::new();
    kafka
        .set("bootstrap.servers", &args.kafka.bootstrap_servers)
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000");
    let framing = match args.schema_id_in {
        SchemaIdIn::Prefix => SchemaIdFraming::Prefix,
        SchemaIdIn::Header => SchemaIdFraming::Header,
    };
    let mut producer = Producer::new(&kafka, RawSerializer, values)
        .context("cannot create the Kafka producer")?
        .schema_id_framing(framing);
    if let Some(topic) = &args.dead_letter_topic {
        producer = producer.dead_letter_topic(topic.clone());
    }

    let mut refused = 0usize;
    let mut in_flight: FuturesUnordered<_> = FuturesUnordered::new();
    let stdin = std::io::stdin();
    for (index, line) in stdin.lock().lines().enumerate() {
        let number = index + 1;
        let line = line.context("cannot read stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("line {number}: refused: not JSON: {e}");
                refused += 1;
                continue;
            }
        };
        match producer.send(&args.topic, None::<&str>, &value).await {
            Ok(delivery) => in_flight.push(async move { (number, delivery.await) }),
            Err(ProduceError::Serialize { source, .. }) => {
                eprintln!("line {number}: refused: {source}");
                refused += 1;
            }
            Err(ProduceError::DeadLettered { topic, source }) => {
                eprintln!("line {number}: refused (sent to {topic}): {source}");
                refused += 1;
            }
            Err(e) => return Err(e).context(format!("line {number}")),
        }
    }
    let mut produced = 0usize;
    let mut failed = 0usize;
    while let Some((number, delivered)) = in_flight.next().await {
        match delivered {
            Ok(_) => produced += 1,
            Err(e) => {
                eprintln!("line {number}: not delivered: {e}");
                failed += 1;
            }
        }
    }
    eprintln!(
        "produced {produced} record{} to {}, refused {refused}{}",
        plural(produced),
        args.topic,
        if failed > 0 {
            format!(", not delivered {failed}")
        } else {
            String::new()
        }
    );
    if refused + failed > 0 {
        return Err(Exit(1).into());
    }
    Ok(())
}

impl ValueSerializer<Value> for Values {
    async fn serialize(
        &self,
        context: &SerializationContext<'_>,
        value: &Value,
    ) -> Result<Vec<u8>, SerdeError> {
        match self {
            Values::Avro(s) => s.serialize_json(context, value).await,
            Values::Protobuf(s, message) => {
                s.serialize_json(context, message.as_deref(), value).await
            }
            Values::Json(s) => s.serialize_value(context, value).await,
        }
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(match self {
            Values::Avro(s) => s.client(),
            Values::Protobuf(s, _) => s.client(),
            Values::Json(s) => s.client(),
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The generic deserializer reading one topic's values, so that a reader version is looked
/// up under the topic's value subject.
struct TopicReader {
    deserializer: GenericDeserializer,
    topic: String,
}

impl ValueDeserializer for TopicReader {
    type Output = Decoded;

    async fn deserialize(&self, bytes: &[u8]) -> Result<Decoded, SerdeError> {
        self.deserializer
            .deserialize_in(&SerializationContext::value(&self.topic), bytes)
            .await
    }

    fn registry(&self) -> Option<&RegistryClient> {
        Some(self.deserializer.client())
    }
}

/// `warden consume`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConsumeArgs {
    /// The topic to read.
    #[arg(long)]
    topic: String,
    /// Start at the earliest offset instead of the end.
    #[arg(long)]
    from_beginning: bool,
    /// Exit after this many records.
    #[arg(long, value_name = "N")]
    max_messages: Option<usize>,
    /// Exit after this many milliseconds without a record.
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// The consumer group (default: a new group per run, committing nothing).
    #[arg(long)]
    group: Option<String>,
    /// Print `{"partition", "offset", "key", "schemaId", "value"}` instead of the value only.
    #[arg(long)]
    print_metadata: bool,
    /// Read every record as the subject's latest version (`<topic>-value`), carrying records
    /// written with other versions there through the subject's migration rules (Confluent's
    /// `use.latest.version`).
    #[arg(long)]
    use_latest_version: bool,
    #[command(flatten)]
    kafka: KafkaArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Prints each record's value, decoded by its schema id (from the `0x00 | id` or
/// `0x01 | GUID` prefix, or from the `__value_schema_id` header), as one JSON line on stdout.
/// Undecodable records are reported on stderr and skipped; the exit code is then 1.
pub(crate) async fn consume(args: ConsumeArgs) -> anyhow::Result<()> {
    let client = args.registry.client()?;
    ensure_topic(&args.kafka, &args.topic, None).await?;
    let group = args.group.clone().unwrap_or_else(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("warden-consume-{}-{nanos}", std::process::id())
    });
    let mut kafka = ClientConfig::new();
    kafka
        .set("bootstrap.servers", &args.kafka.bootstrap_servers)
        .set("group.id", &group)
        .set(
            "auto.offset.reset",
            if args.from_beginning {
                "earliest"
            } else {
                "latest"
            },
        )
        .set(
            "enable.auto.commit",
            if args.group.is_some() {
                "true"
            } else {
                "false"
            },
        )
        .set("fetch.wait.max.ms", "50");
    let reader = if args.use_latest_version {
        ReaderVersion::Latest
    } else {
        ReaderVersion::Writer
    };
    let values = TopicReader {
        deserializer: GenericDeserializer::new(client).reader_version(reader),
        topic: args.topic.clone(),
    };
    let consumer = Consumer::new(&kafka, values, UndecodablePolicy::Fail)
        .context("cannot create the Kafka consumer")?;
    consumer.subscribe(&[&args.topic])?;

    let mut printed = 0usize;
    let mut undecodable = 0usize;
    let stdout = std::io::stdout();
    loop {
        if args.max_messages.is_some_and(|max| printed >= max) {
            break;
        }
        let next = match args.timeout_ms {
            Some(ms) => {
                match tokio::time::timeout(Duration::from_millis(ms), consumer.recv()).await {
                    Ok(next) => next,
                    Err(_) => break,
                }
            }
            None => consumer.recv().await,
        };
        match next {
            Ok(record) => {
                let value = record.value.map(|d| (d.schema_id, d.value));
                let line = if args.print_metadata {
                    json!({
                        "partition": record.partition,
                        "offset": record.offset,
                        "key": record.key.map(|k| String::from_utf8_lossy(&k).into_owned()),
                        "schemaId": value.as_ref().map(|(id, _)| *id),
                        "value": value.map(|(_, v)| v),
                    })
                } else {
                    value.map(|(_, v)| v).unwrap_or(Value::Null)
                };
                let mut out = stdout.lock();
                writeln!(out, "{line}").context("cannot write stdout")?;
                out.flush().ok();
                printed += 1;
            }
            Err(ConsumeError::Undecodable {
                partition,
                offset,
                source,
                ..
            }) => {
                eprintln!("partition {partition} offset {offset}: undecodable: {source}");
                undecodable += 1;
            }
            Err(e) => return Err(e).context("Kafka consumer failed"),
        }
    }
    eprintln!("consumed {printed} record{}", plural(printed));
    if undecodable > 0 {
        return Err(Exit(1).into());
    }
    Ok(())
}
