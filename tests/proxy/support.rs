//! Shared set-up: Tansu, `warden serve` and `warden proxy` between them; a raw Kafka client
//! (kafka-protocol codecs) that produces hand-made batches and reads the proxy's answer
//! field by field; a plain consumer reading a topic straight from the broker.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::produce_response::PartitionProduceResponse;
use kafka_protocol::messages::{ProduceRequest, RequestHeader, ResponseHeader, TopicName};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::{Headers as _, Message as _};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use warden_core::Subject;
use warden_proxy::{Proxy, ProxyConfig};
use warden_serde::RegistryClient;
use warden_testkit::kafka::Broker;
use warden_testkit::{TestApp, spawn_app};

pub(crate) use crate::orders::*;

/// Tansu, a registry and a proxy between clients and Tansu.
pub(crate) struct Env {
    pub(crate) broker: Broker,
    pub(crate) app: TestApp,
    pub(crate) client: RegistryClient,
    /// `127.0.0.1:PORT` of the proxy: the clients' `bootstrap.servers`.
    pub(crate) proxy: String,
    /// The proxy's admin endpoints, `http://127.0.0.1:PORT`.
    pub(crate) admin: String,
    running: RunningProxy,
}

impl Env {
    /// Starts everything with the default configuration (TopicNameStrategy, reject).
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts everything, `configure` adjusting the proxy's configuration.
    pub(crate) async fn start_with(configure: impl FnOnce(&mut ProxyConfig)) -> Self {
        let broker = Broker::start();
        let app = spawn_app().await;
        let mut config = ProxyConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            &broker.bootstrap_servers,
            &app.address,
        );
        config.admin_listen = "127.0.0.1:0".parse().unwrap();
        configure(&mut config);
        let running = RunningProxy::start(config);
        let client = RegistryClient::new(app.address.clone()).expect("client");
        Self {
            broker,
            app,
            client,
            proxy: running.address.clone(),
            admin: running.admin.clone(),
            running,
        }
    }

    /// A new topic (created on the broker) with `schema` registered under `<topic>-value`;
    /// returns the topic and the schema id.
    pub(crate) async fn topic_with(
        &self,
        prefix: &str,
        schema_type: warden_core::SchemaType,
        schema: &str,
    ) -> (String, u32) {
        let topic = unique(prefix);
        self.broker.create_topic(&topic).await;
        let id = self
            .client
            .register(
                &subject(&format!("{topic}-value")),
                &warden_serde::UnregisteredSchema::new(schema_type, schema),
            )
            .await
            .expect("the schema registers");
        (topic, id.get())
    }

    /// Stops the proxy and waits until it has drained.
    pub(crate) async fn stop_proxy(&mut self) {
        self.running.stop().await;
    }

    /// The proxy's `GET path` on its admin port, as text.
    pub(crate) async fn admin_get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("{}{path}", self.admin))
            .await
            .expect("the admin endpoint answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }
}

/// A `warden proxy` on a runtime of its own, as the binary would run: librdkafka's blocking
/// calls (synchronous commits, closing a consumer) on the test's thread must not stall it.
pub(crate) struct RunningProxy {
    /// `127.0.0.1:PORT` of the bootstrap listener.
    pub(crate) address: String,
    /// The admin endpoints, `http://127.0.0.1:PORT`.
    pub(crate) admin: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    running: Option<std::thread::JoinHandle<()>>,
}

impl RunningProxy {
    /// Builds and runs a proxy with `config`; returns once it is bound.
    pub(crate) fn start(config: ProxyConfig) -> Self {
        let (bound, ports) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let proxy = Proxy::build(config).await.expect("the proxy binds");
                bound
                    .send((proxy.port(), proxy.admin_port()))
                    .expect("the test waits");
                proxy
                    .run_until(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("the proxy runs");
            });
        });
        let (port, admin_port) = ports.recv().expect("the proxy starts");
        Self {
            address: format!("127.0.0.1:{port}"),
            admin: format!("http://127.0.0.1:{admin_port}"),
            stop: Some(stop),
            running: Some(thread),
        }
    }

    /// Tells the proxy to stop and waits until it has drained.
    pub(crate) async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            tokio::task::spawn_blocking(move || running.join())
                .await
                .expect("joined")
                .expect("the proxy stops cleanly");
        }
    }
}

/// An order (`n`) serialized with Confluent's Avro framing under `<topic>-value`.
pub(crate) async fn avro_bytes(client: &RegistryClient, topic: &str, n: usize) -> Vec<u8> {
    use warden_serde::{AvroSerializer, SerializationContext, SerializerConfig};
    AvroSerializer::new(
        client.clone(),
        warden_serde::UnregisteredSchema::new(warden_core::SchemaType::Avro, ORDER_AVSC),
        SerializerConfig::default(),
    )
    .serialize(&SerializationContext::value(topic), &order(n))
    .await
    .expect("the order serializes")
}

/// `name` as a subject.
pub(crate) fn subject(name: &str) -> Subject {
    Subject::parse(name).expect("a valid subject")
}

/// A name no other test uses (Tansu's memory storage is shared per broker).
pub(crate) fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Producer settings through `bootstrap`: small linger, no retries of refused batches.
pub(crate) fn producer_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000");
    config
}

/// Consumer settings through `bootstrap`: a fresh group from the beginning, short fetch wait.
pub(crate) fn consumer_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", unique("group"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10");
    config
}

/// A record as a plain consumer reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawRecord {
    pub(crate) key: Option<Vec<u8>>,
    pub(crate) value: Option<Vec<u8>>,
    pub(crate) headers: Vec<(String, String)>,
}

/// Reads `topic` through `bootstrap` until `expected` records arrived, then `quiet` more
/// for any extra one.
pub(crate) async fn read_topic(
    bootstrap: &str,
    topic: &str,
    expected: usize,
    quiet: Duration,
) -> Vec<RawRecord> {
    read_topic_with(consumer_config(bootstrap), topic, expected, quiet).await
}

/// [`read_topic`] with a consumer of `config` (TLS or SASL settings, for instance).
pub(crate) async fn read_topic_with(
    config: ClientConfig,
    topic: &str,
    expected: usize,
    quiet: Duration,
) -> Vec<RawRecord> {
    let consumer: StreamConsumer = config.create().expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let wait = if out.len() >= expected {
            quiet
        } else {
            deadline.saturating_duration_since(tokio::time::Instant::now())
        };
        match tokio::time::timeout(wait, consumer.recv()).await {
            Ok(Ok(m)) => out.push(RawRecord {
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
                headers: m
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                (
                                    h.key.to_owned(),
                                    String::from_utf8_lossy(h.value.unwrap_or_default())
                                        .into_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
            Ok(Err(e)) => panic!("consumer error: {e}"),
            Err(_) => break,
        }
    }
    out
}

/// A raw Kafka connection speaking kafka-protocol's codecs.
pub(crate) struct RawClient {
    stream: TcpStream,
    correlation_id: i32,
}

impl RawClient {
    pub(crate) async fn connect(address: &str) -> Self {
        Self {
            stream: TcpStream::connect(address).await.expect("connects"),
            correlation_id: 100,
        }
    }

    /// Writes `request` at `version` without waiting; returns its correlation id.
    pub(crate) async fn send<R: Request>(&mut self, request: &R, version: i16) -> i32 {
        let (correlation_id, frame) = self.frame(request, version);
        self.write_raw(&frame).await;
        correlation_id
    }

    /// The connection itself.
    pub(crate) fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Writes `bytes` (part of a frame, for instance) as they are.
    pub(crate) async fn write_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The frame (size and request) of `request` at `version`, with the next correlation id.
    pub(crate) fn frame<R: Request>(&mut self, request: &R, version: i16) -> (i32, Vec<u8>) {
        self.correlation_id += 1;
        let mut header = RequestHeader::default();
        header.request_api_key = R::KEY;
        header.request_api_version = version;
        header.correlation_id = self.correlation_id;
        header.client_id = Some(StrBytes::from_static_str("proxy-test"));
        let mut body = BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .unwrap();
        request.encode(&mut body, version).unwrap();
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        (self.correlation_id, frame)
    }

    /// Reads the next response frame's bytes (header and body), as they came.
    pub(crate) async fn receive_raw(&mut self) -> Bytes {
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size).await.expect("a response");
        let mut body = vec![0u8; u32::from_be_bytes(size) as usize];
        self.stream.read_exact(&mut body).await.expect("a response");
        Bytes::from(body)
    }

    /// Reads the next response, as `R`'s response at `version`, with its correlation id.
    pub(crate) async fn receive<R: Request>(&mut self, version: i16) -> (i32, R::Response) {
        let mut body = self.receive_raw().await;
        let header =
            ResponseHeader::decode(&mut body, R::Response::header_version(version)).unwrap();
        let response = R::Response::decode(&mut body, version).expect("the response decodes");
        (header.correlation_id, response)
    }

    /// Sends and reads one request.
    pub(crate) async fn call<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        let sent = self.send(request, version).await;
        let (correlation_id, response) = self.receive::<R>(version).await;
        assert_eq!(correlation_id, sent, "the correlation id is preserved");
        response
    }
}

/// One record of a hand-made batch: key and value.
pub(crate) type KeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// A record batch of `records` with `compression`.
pub(crate) fn batch(records: &[KeyValue], compression: Compression) -> Bytes {
    let records: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(n, (key, value))| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: n as i64,
            sequence: -1,
            timestamp: 1_700_000_000_000,
            key: key.clone().map(Bytes::from),
            value: value.clone().map(Bytes::from),
            headers: Default::default(),
        })
        .collect();
    let mut out = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut out,
        records.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .expect("the batch encodes");
    out.freeze()
}

/// A produce request (acks=all) of one batch to partition 0 of each topic.
pub(crate) fn produce_request(batches: &[(&str, Bytes)]) -> ProduceRequest {
    let mut request = ProduceRequest::default();
    request.acks = -1;
    request.timeout_ms = 10_000;
    request.topic_data = batches
        .iter()
        .map(|(topic, records)| {
            let mut partition = PartitionProduceData::default();
            partition.index = 0;
            partition.records = Some(records.clone());
            let mut data = TopicProduceData::default();
            data.name = TopicName(StrBytes::from_string((*topic).to_owned()));
            data.partition_data = vec![partition];
            data
        })
        .collect();
    request
}

/// Produces one batch of `records` to `topic`-0 through `address` (Produce v9) and returns
/// the partition's answer.
pub(crate) async fn produce_raw(
    address: &str,
    topic: &str,
    records: &[KeyValue],
    compression: Compression,
) -> PartitionProduceResponse {
    let mut client = RawClient::connect(address).await;
    let response = client
        .call(&produce_request(&[(topic, batch(records, compression))]), 9)
        .await;
    let topic_response = response
        .responses
        .into_iter()
        .find(|t| t.name.0.as_str() == topic)
        .expect("the topic is answered");
    topic_response
        .partition_responses
        .into_iter()
        .next()
        .expect("the partition is answered")
}

/// The `record_errors` of a partition answer as (batch index, message).
pub(crate) fn record_errors(answer: &PartitionProduceResponse) -> Vec<(i32, String)> {
    answer
        .record_errors
        .iter()
        .map(|e| {
            (
                e.batch_index,
                e.batch_index_error_message
                    .as_ref()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// The `error_message` of a partition answer.
pub(crate) fn error_message(answer: &PartitionProduceResponse) -> String {
    answer
        .error_message
        .as_ref()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default()
}

/// Confluent framing: `0x00 | id | payload`.
pub(crate) fn framed(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8];
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Every record of `topic`-0 read straight from the broker with Fetch (v11) from offset 0,
/// decoded with kafka-protocol's codecs (every compression).
pub(crate) async fn fetch_all(bootstrap: &str, topic: &str) -> Vec<RawRecord> {
    use kafka_protocol::messages::FetchRequest;
    use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    use kafka_protocol::records::RecordBatchDecoder;

    let mut client = RawClient::connect(bootstrap).await;
    let mut out = Vec::new();
    let mut offset = 0i64;
    for _ in 0..100 {
        let mut partition = FetchPartition::default();
        partition.partition = 0;
        partition.fetch_offset = offset;
        partition.partition_max_bytes = 1 << 20;
        let mut wanted = FetchTopic::default();
        wanted.topic = TopicName(StrBytes::from_string(topic.to_owned()));
        wanted.partitions = vec![partition];
        let mut request = FetchRequest::default();
        request.replica_id = kafka_protocol::messages::BrokerId(-1);
        request.max_wait_ms = 10;
        request.min_bytes = 1;
        request.max_bytes = 1 << 20;
        request.topics = vec![wanted];
        let response = client.call(&request, 11).await;
        let mut records = response
            .responses
            .into_iter()
            .flat_map(|t| t.partitions)
            .filter_map(|p| p.records)
            .next()
            .unwrap_or_default();
        if records.is_empty() {
            break;
        }
        let sets = RecordBatchDecoder::decode_all(&mut records).expect("the log decodes");
        let before = out.len();
        for record in sets.into_iter().flat_map(|s| s.records) {
            if record.offset < offset {
                continue;
            }
            offset = record.offset + 1;
            out.push(RawRecord {
                key: record.key.map(|k| k.to_vec()),
                value: record.value.map(|v| v.to_vec()),
                headers: record
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_deref().unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect(),
            });
        }
        if out.len() == before {
            break;
        }
    }
    out
}
