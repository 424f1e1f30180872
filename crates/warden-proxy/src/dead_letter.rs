//! The `dead-letter` policy: invalid records copied to a dead-letter topic (partition 0)
//! with headers giving the reason, produced by the proxy itself straight to the partition's
//! leader.
//!
//! Headers added to each copy: `warden.dlq.topic`, `warden.dlq.partition` (the source),
//! `warden.dlq.record` (the index in its batch), `warden.dlq.part` (`key` or `value`),
//! `warden.dlq.rule`, `warden.dlq.path` and `warden.dlq.reason`. The record's key, value and
//! own headers are kept.

use bytes::BytesMut;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{MetadataRequest, ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, Record,
    RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use warden_serde::Part;

use crate::Shared;
use crate::client::KafkaClient;
use crate::validate::Refusal;

/// Copies invalid records to a dead-letter topic.
#[derive(Debug)]
pub(crate) struct DeadLetter<'a> {
    shared: &'a Shared,
}

impl<'a> DeadLetter<'a> {
    pub(crate) fn new(shared: &'a Shared) -> Self {
        Self { shared }
    }

    /// Produces copies of `invalid` (records of `topic`-`partition`) to `dlq` partition 0,
    /// acks=all. Errors: a sentence (no leader, connection refused, the broker's error).
    pub(crate) async fn send(
        &self,
        dlq: &str,
        topic: &str,
        partition: i32,
        invalid: &[(usize, Part, Refusal, Record)],
    ) -> Result<(), String> {
        let servers = &self.shared.config.bootstrap_servers;
        let mut client = KafkaClient::connect(&self.shared.connector, servers)
            .await
            .map_err(|e| e.to_string())?;
        let mut metadata = MetadataRequest::default();
        let mut wanted = MetadataRequestTopic::default();
        wanted.name = Some(TopicName(StrBytes::from_string(dlq.to_owned())));
        metadata.topics = Some(vec![wanted]);
        metadata.allow_auto_topic_creation = true;
        let answer = client.send(&metadata, 7).await.map_err(|e| e.to_string())?;
        let leader = answer
            .topics
            .iter()
            .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == dlq))
            .and_then(|t| t.partitions.iter().find(|p| p.partition_index == 0))
            .map(|p| p.leader_id)
            .ok_or_else(|| format!("dead-letter topic {dlq} has no partition 0"))?;
        let broker = answer
            .brokers
            .iter()
            .find(|b| b.node_id == leader)
            .map(|b| format!("{}:{}", b.host.as_str(), b.port))
            .ok_or_else(|| format!("the leader of {dlq}-0 is not among the brokers"))?;
        client.close().await;
        let mut client = KafkaClient::connect(&self.shared.connector, &[broker])
            .await
            .map_err(|e| e.to_string())?;

        let copies: Vec<Record> = invalid
            .iter()
            .map(|(index, part, refusal, record)| {
                let mut copy = record.clone();
                copy.transactional = false;
                copy.control = false;
                copy.producer_id = NO_PRODUCER_ID;
                copy.producer_epoch = NO_PRODUCER_EPOCH;
                copy.sequence = NO_SEQUENCE;
                copy.partition_leader_epoch = NO_PARTITION_LEADER_EPOCH;
                copy.timestamp_type = TimestampType::Creation;
                let mut header = |name: &str, value: String| {
                    copy.headers.insert(
                        StrBytes::from_string(name.to_owned()),
                        Some(value.into_bytes().into()),
                    );
                };
                header("warden.dlq.topic", topic.to_owned());
                header("warden.dlq.partition", partition.to_string());
                header("warden.dlq.record", index.to_string());
                header(
                    "warden.dlq.part",
                    match part {
                        Part::Key => "key",
                        Part::Value => "value",
                    }
                    .to_owned(),
                );
                header("warden.dlq.rule", refusal.rule.to_owned());
                header("warden.dlq.path", refusal.path.clone());
                header("warden.dlq.reason", refusal.message.clone());
                copy
            })
            .collect();
        let mut records = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut records,
            copies.iter(),
            &RecordEncodeOptions {
                version: 2,
                compression: Compression::None,
            },
        )
        .map_err(|e| e.to_string())?;
        let mut data = PartitionProduceData::default();
        data.index = 0;
        data.records = Some(records.freeze());
        let mut topic_data = TopicProduceData::default();
        topic_data.name = TopicName(StrBytes::from_string(dlq.to_owned()));
        topic_data.partition_data = vec![data];
        let mut produce = ProduceRequest::default();
        produce.acks = -1;
        produce.timeout_ms = 10_000;
        produce.topic_data = vec![topic_data];
        let answer = client.send(&produce, 7).await.map_err(|e| e.to_string())?;
        client.close().await;
        let code = answer
            .responses
            .iter()
            .flat_map(|t| &t.partition_responses)
            .map(|p| p.error_code)
            .find(|c| *c != 0);
        match code {
            None => Ok(()),
            Some(code) => Err(format!("the broker answered error code {code}")),
        }
    }
}
