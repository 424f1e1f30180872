//! Produce requests: each partition's record batches decoded (decompressed where needed),
//! each record checked, and the partition refused whole when one record is invalid, as
//! Kafka refuses batches (`INVALID_RECORD`, error code 87, with `record_errors` and an
//! `error_message`). Batches that pass are forwarded byte for byte.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_request::PartitionProduceData;
use kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, PartitionProduceResponse, TopicProduceResponse,
};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, RequestHeader, TopicName};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::records::{Record, RecordBatchDecoder};
use warden_core::{SchemaId, Subject};
use warden_serde::Part;

use crate::Shared;
use crate::config::Action;
use crate::dead_letter::DeadLetter;
use crate::error::{ProxyError, Result};
use crate::validate::{Refusal, TopicPlan, Verdict};

/// Kafka's `INVALID_RECORD`: "This record has failed the validation on broker and hence
/// will be rejected" (not retriable).
pub const INVALID_RECORD: i16 = 87;

/// Kafka's `REQUEST_TIMED_OUT` (retriable): the answer when the registry cannot be reached
/// and the proxy fails closed, so producers retry instead of dropping their records.
pub const REQUEST_TIMED_OUT: i16 = 7;

/// At most this many `record_errors` per refused partition (the message says how many more).
const MAX_RECORD_ERRORS: usize = 100;

/// What to do with a produce request.
#[derive(Debug)]
pub(crate) struct ProducePlan {
    /// The request to forward (the original bytes when nothing was refused), or `None` when
    /// every partition was refused.
    pub(crate) forward: Option<Bytes>,
    /// Responses for the refused partitions, to merge into the broker's response.
    pub(crate) refused: Vec<(TopicName, PartitionProduceResponse)>,
    /// Whether the client waits for a response (`acks != 0`).
    pub(crate) expects_response: bool,
}

/// One partition's outcome.
enum Outcome {
    Forward,
    Refuse(PartitionProduceResponse),
}

/// Inspects a produce request (`frame`: header and body, no size prefix).
pub(crate) async fn inspect(
    shared: &Shared,
    frame: Bytes,
    version: i16,
    header_version: i16,
) -> Result<ProducePlan> {
    let mut buf = frame.clone();
    let header = RequestHeader::decode(&mut buf, header_version).map_err(ProxyError::protocol)?;
    let mut request = ProduceRequest::decode(&mut buf, version).map_err(ProxyError::protocol)?;
    let expects_response = request.acks != 0;
    let mut refused = Vec::new();
    for topic in &mut request.topic_data {
        let name = topic.name.0.as_str().to_owned();
        let started = Instant::now();
        let plan = shared.validator.plan(&shared.config, &name).await;
        let mut kept = Vec::with_capacity(topic.partition_data.len());
        for partition in topic.partition_data.drain(..) {
            let Some(records) = &partition.records else {
                kept.push(partition);
                continue;
            };
            shared
                .metrics
                .bytes
                .with_label_values(&[&name])
                .inc_by(records.len() as u64);
            match check_partition(shared, &name, &plan, &partition, version).await {
                Outcome::Forward => kept.push(partition),
                Outcome::Refuse(response) => refused.push((topic.name.clone(), response)),
            }
        }
        topic.partition_data = kept;
        if !matches!(plan, TopicPlan::Pass) {
            shared
                .metrics
                .latency
                .with_label_values(&[&name])
                .observe(started.elapsed().as_secs_f64());
        }
    }
    if refused.is_empty() {
        return Ok(ProducePlan {
            forward: Some(frame),
            refused,
            expects_response,
        });
    }
    request.topic_data.retain(|t| !t.partition_data.is_empty());
    let forward = if request.topic_data.is_empty() {
        None
    } else {
        Some(encode_request(&header, header_version, &request, version)?)
    };
    Ok(ProducePlan {
        forward,
        refused,
        expects_response,
    })
}

fn encode_request(
    header: &RequestHeader,
    header_version: i16,
    request: &ProduceRequest,
    version: i16,
) -> Result<Bytes> {
    let mut out = BytesMut::new();
    header
        .encode(&mut out, header_version)
        .map_err(ProxyError::protocol)?;
    request
        .encode(&mut out, version)
        .map_err(ProxyError::protocol)?;
    Ok(out.freeze())
}

/// The invalid records of one partition: (index in the partition's records, which part,
/// refusal, the record).
type Invalid = Vec<(usize, Part, Refusal, Record)>;

async fn check_partition(
    shared: &Shared,
    topic: &str,
    plan: &TopicPlan,
    partition: &PartitionProduceData,
    version: i16,
) -> Outcome {
    let records_total = |outcome: &str, n: usize| {
        shared
            .metrics
            .records
            .with_label_values(&[topic, outcome])
            .inc_by(n as u64);
    };
    let (action, strategy, validate_key, dead_letter_topic, forward_invalid, missing_subject) =
        match plan {
            TopicPlan::Pass => {
                records_total("unchecked", count_records(partition));
                return Outcome::Forward;
            }
            TopicPlan::Unavailable(reason) => return unavailable(shared, topic, partition, reason),
            TopicPlan::Check {
                action,
                strategy,
                validate_key,
                dead_letter_topic,
                forward_invalid,
                missing_subject,
            } => (
                *action,
                *strategy,
                *validate_key,
                dead_letter_topic,
                *forward_invalid,
                *missing_subject,
            ),
        };
    let mut buf = partition.records.clone().unwrap_or_default();
    let sets = match RecordBatchDecoder::decode_all(&mut buf) {
        Ok(sets) => sets,
        Err(e) => {
            let refusal = Refusal {
                rule: "CORRUPT_BATCH",
                path: "/".into(),
                message: format!("the record batch does not decode: {e}"),
            };
            shared
                .metrics
                .invalid
                .with_label_values(&[topic, refusal.rule])
                .inc();
            return Outcome::Refuse(refuse(
                partition.index,
                version,
                topic,
                &[(0, Part::Value, refusal)],
            ));
        }
    };
    let mut invalid: Invalid = Vec::new();
    let mut seen: Vec<(SchemaId, Subject)> = Vec::new();
    let mut total = 0;
    for record in sets.into_iter().flat_map(|s| s.records) {
        let index = total;
        total += 1;
        if record.control {
            continue;
        }
        if missing_subject {
            let refusal = Refusal {
                rule: "SUBJECT_NOT_FOUND",
                path: "/".into(),
                message: format!("topic {topic} has no subject and require-schema is set"),
            };
            invalid.push((index, Part::Value, refusal, record));
            continue;
        }
        let mut parts = vec![(Part::Value, record.value.clone())];
        if validate_key {
            parts.insert(0, (Part::Key, record.key.clone()));
        }
        for (part, bytes) in parts {
            match shared
                .validator
                .check(topic, part, strategy, bytes.as_deref())
                .await
            {
                Verdict::Valid(Some(used)) => seen.push(used),
                Verdict::Valid(None) => {}
                Verdict::Invalid(refusal) => {
                    invalid.push((index, part, refusal, record));
                    break;
                }
                Verdict::Unavailable(reason) => {
                    return unavailable(shared, topic, partition, &reason);
                }
            }
        }
    }
    for (_, _, refusal, _) in &invalid {
        shared
            .metrics
            .invalid
            .with_label_values(&[topic, refusal.rule])
            .inc();
    }
    if invalid.is_empty() {
        records_total("valid", total);
        count_usage(shared, seen);
        return Outcome::Forward;
    }
    let described: Vec<(usize, Part, Refusal)> = invalid
        .iter()
        .map(|(i, p, r, _)| (*i, *p, r.clone()))
        .collect();
    match action {
        Action::Observe | Action::Off => {
            let (first, part, refusal) = &described[0];
            tracing::warn!(
                topic,
                partition = partition.index,
                invalid = described.len(),
                "observe: forwarding invalid records; first: record {first}{}: {} at {}: {}",
                part_label(*part),
                refusal.rule,
                refusal.path,
                refusal.message
            );
            records_total("observed_invalid", described.len());
            records_total("valid", total - described.len());
            count_usage(shared, seen);
            Outcome::Forward
        }
        Action::DeadLetter => {
            let copied = DeadLetter::new(shared)
                .send(dead_letter_topic, topic, partition.index, &invalid)
                .await;
            if let Err(e) = &copied {
                tracing::error!(topic, "dead-letter copy to {dead_letter_topic} failed: {e}");
            }
            records_total("dead_lettered", described.len());
            if forward_invalid && copied.is_ok() {
                records_total("valid", total - described.len());
                count_usage(shared, seen);
                Outcome::Forward
            } else {
                records_total("refused", total);
                Outcome::Refuse(refuse(partition.index, version, topic, &described))
            }
        }
        Action::Reject => {
            records_total("refused", total);
            Outcome::Refuse(refuse(partition.index, version, topic, &described))
        }
    }
}

fn count_usage(shared: &Shared, seen: Vec<(SchemaId, Subject)>) {
    let mut counts: Vec<((SchemaId, Subject), u64)> = Vec::new();
    for used in seen {
        match counts.iter_mut().find(|(k, _)| *k == used) {
            Some((_, n)) => *n += 1,
            None => counts.push((used, 1)),
        }
    }
    for ((id, subject), n) in counts {
        shared.metrics.saw(id, &subject, n);
    }
}

fn count_records(partition: &PartitionProduceData) -> usize {
    let Some(records) = &partition.records else {
        return 0;
    };
    let mut buf = records.clone();
    RecordBatchDecoder::decode_batch_info(&mut buf)
        .map(|infos| infos.iter().map(|i| i.record_count.max(0) as usize).sum())
        .unwrap_or(0)
}

/// The registry could not be asked: forward (fail open) or answer a retriable error.
fn unavailable(
    shared: &Shared,
    topic: &str,
    partition: &PartitionProduceData,
    reason: &str,
) -> Outcome {
    let n = count_records(partition);
    if shared.config.fail_open {
        tracing::warn!(
            topic,
            "registry unreachable, forwarding unchecked (fail open): {reason}"
        );
        shared
            .metrics
            .records
            .with_label_values(&[topic, "unchecked"])
            .inc_by(n as u64);
        return Outcome::Forward;
    }
    tracing::warn!(
        topic,
        "registry unreachable, refusing (fail closed): {reason}"
    );
    shared
        .metrics
        .records
        .with_label_values(&[topic, "registry_unavailable"])
        .inc_by(n as u64);
    let mut response = base_response(partition.index, REQUEST_TIMED_OUT);
    response.error_message = Some(StrBytes::from_string(format!(
        "warden proxy: the schema registry is unreachable, records are not checked: {reason}"
    )));
    Outcome::Refuse(response)
}

fn base_response(index: i32, error_code: i16) -> PartitionProduceResponse {
    let mut response = PartitionProduceResponse::default();
    response.index = index;
    response.error_code = error_code;
    response.base_offset = -1;
    response.log_append_time_ms = -1;
    response.log_start_offset = -1;
    response
}

fn part_label(part: Part) -> &'static str {
    match part {
        Part::Key => " key",
        Part::Value => "",
    }
}

/// The `INVALID_RECORD` response for a partition with `invalid` records. `record_errors`
/// and `error_message` exist from Produce v8; older versions get the error code alone.
fn refuse(
    index: i32,
    version: i16,
    topic: &str,
    invalid: &[(usize, Part, Refusal)],
) -> PartitionProduceResponse {
    let mut response = base_response(index, INVALID_RECORD);
    let describe = |(i, part, r): &(usize, Part, Refusal)| {
        format!(
            "record {i}{}: {} at {}: {}",
            part_label(*part),
            r.rule,
            r.path,
            r.message
        )
    };
    // The producer's own `record_errors` stay short; the whole story is in error_message.
    let first = describe(&invalid[0]);
    let more = match invalid.len() {
        1 => String::new(),
        n => format!(" (and {} more invalid records)", n - 1),
    };
    // Carried only from Produce v8 on (the fields do not exist before).
    if version >= 8 {
        response.error_message = Some(StrBytes::from_string(format!(
            "warden proxy refused the batch for {topic}-{index}: {first}{more}"
        )));
        response.record_errors = invalid
            .iter()
            .take(MAX_RECORD_ERRORS)
            .map(|entry| {
                let mut e = BatchIndexAndErrorMessage::default();
                e.batch_index = i32::try_from(entry.0).unwrap_or(i32::MAX);
                e.batch_index_error_message = Some(StrBytes::from_string(describe(entry)));
                e
            })
            .collect();
    }
    response
}

/// The first Produce version whose answers may name brokers: `node_endpoints` (KIP-951),
/// sent with `NOT_LEADER_OR_FOLLOWER` so that clients reach the new leader without asking
/// for metadata. Clients connect to the endpoints they are given, so the proxy rewrites them
/// to its own listeners as it rewrites `Metadata`.
pub(crate) const FIRST_NODE_ENDPOINTS_VERSION: i16 = 10;

/// The client's response: the broker's (`upstream`, `None` when nothing was forwarded) with
/// the refused partitions added and each broker it names (`node_endpoints`) replaced by the
/// proxy listener that forwards to it, as a frame body (header and response). The broker's
/// bytes are passed on unchanged when there is nothing to add or replace.
///
/// Errors: [`ProxyError::Protocol`] when the broker's answer does not decode.
pub(crate) async fn merge_response(
    shared: &std::sync::Arc<Shared>,
    upstream: Option<Bytes>,
    refused: Vec<(TopicName, PartitionProduceResponse)>,
    correlation_id: i32,
    version: i16,
    header_version: i16,
) -> Result<Bytes> {
    use kafka_protocol::messages::ResponseHeader;
    let (header, mut response) = match &upstream {
        Some(frame) => {
            let mut buf = frame.clone();
            let decoded = ResponseHeader::decode(&mut buf, header_version)
                .and_then(|header| Ok((header, ProduceResponse::decode(&mut buf, version)?)));
            match decoded {
                Ok(decoded) => decoded,
                // Nothing to add: an answer the codecs do not read is passed on as it came.
                Err(e) if refused.is_empty() => {
                    tracing::warn!("a Produce v{version} answer is passed on unchanged: {e}");
                    return Ok(frame.clone());
                }
                Err(e) => return Err(ProxyError::protocol(e)),
            }
        }
        None => {
            let mut header = ResponseHeader::default();
            header.correlation_id = correlation_id;
            (header, ProduceResponse::default())
        }
    };
    if refused.is_empty()
        && response.node_endpoints.is_empty()
        && let Some(unchanged) = upstream
    {
        return Ok(unchanged);
    }
    for endpoint in &mut response.node_endpoints {
        let (host, port) = shared.route(endpoint.host.as_str(), endpoint.port).await;
        endpoint.host = StrBytes::from_string(host);
        endpoint.port = port;
    }
    for (name, partition) in refused {
        match response.responses.iter_mut().find(|t| t.name == name) {
            Some(topic) => topic.partition_responses.push(partition),
            None => {
                let mut topic = TopicProduceResponse::default();
                topic.name = name;
                topic.partition_responses.push(partition);
                response.responses.push(topic);
            }
        }
    }
    let mut out = BytesMut::new();
    header
        .encode(&mut out, header_version)
        .map_err(ProxyError::protocol)?;
    response
        .encode(&mut out, version)
        .map_err(ProxyError::protocol)?;
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::produce_response::{LeaderIdAndEpoch, NodeEndpoint};
    use kafka_protocol::messages::{ApiKey, BrokerId, ResponseHeader};
    use kafka_protocol::protocol::HeaderVersion as _;

    use super::*;
    use crate::{MAX_PRODUCE_VERSION, Proxy, ProxyConfig};

    /// A proxy's shared state, bound on loopback (nothing is served).
    async fn shared() -> std::sync::Arc<Shared> {
        let mut config = ProxyConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            "kafka-1.internal:9092",
            "http://127.0.0.1:9",
        );
        config.admin_listen = "127.0.0.1:0".parse().unwrap();
        Proxy::build(config).await.expect("the proxy binds").shared
    }

    /// `response` at `version` as a broker sends it (header and body).
    fn answer(response: &ProduceResponse, version: i16) -> Bytes {
        let mut header = ResponseHeader::default();
        header.correlation_id = 42;
        let mut out = BytesMut::new();
        header
            .encode(&mut out, ProduceResponse::header_version(version))
            .unwrap();
        response.encode(&mut out, version).unwrap();
        out.freeze()
    }

    fn decode(mut frame: Bytes, version: i16) -> ProduceResponse {
        let header =
            ResponseHeader::decode(&mut frame, ProduceResponse::header_version(version)).unwrap();
        assert_eq!(header.correlation_id, 42);
        ProduceResponse::decode(&mut frame, version).unwrap()
    }

    /// A broker's answer after a leader change (KIP-951): the partition's new leader, and
    /// where to reach it.
    fn leader_moved() -> ProduceResponse {
        let mut partition = base_response(0, 6); // NOT_LEADER_OR_FOLLOWER
        let mut leader = LeaderIdAndEpoch::default();
        leader.leader_id = BrokerId(2);
        leader.leader_epoch = 7;
        partition.current_leader = leader;
        let mut topic = TopicProduceResponse::default();
        topic.name = TopicName(StrBytes::from_static_str("orders"));
        topic.partition_responses = vec![partition];
        let mut endpoint = NodeEndpoint::default();
        endpoint.node_id = BrokerId(2);
        endpoint.host = StrBytes::from_static_str("kafka-2.internal");
        endpoint.port = 9093;
        endpoint.rack = Some(StrBytes::from_static_str("rack-b"));
        let mut response = ProduceResponse::default();
        response.responses = vec![topic];
        response.node_endpoints = vec![endpoint];
        response
    }

    #[tokio::test]
    async fn brokers_named_in_a_produce_answer_are_reached_through_the_proxy() {
        let shared = shared().await;
        for version in [10, MAX_PRODUCE_VERSION] {
            let header_version = ApiKey::Produce.response_header_version(version);
            let merged = merge_response(
                &shared,
                Some(answer(&leader_moved(), version)),
                Vec::new(),
                42,
                version,
                header_version,
            )
            .await
            .unwrap();
            let merged = decode(merged, version);
            let endpoint = &merged.node_endpoints[0];
            assert_eq!(endpoint.node_id, BrokerId(2));
            assert_eq!(endpoint.host.as_str(), "127.0.0.1", "v{version}");
            let routes = shared.routes.lock().await;
            let port = routes
                .get("kafka-2.internal:9093")
                .expect("a listener for the broker");
            assert_eq!(endpoint.port, i32::from(*port), "v{version}");
            assert_eq!(endpoint.rack.as_deref(), Some("rack-b"));
            drop(routes);
            let partition = &merged.responses[0].partition_responses[0];
            assert_eq!(partition.error_code, 6);
            assert_eq!(partition.current_leader.leader_id, BrokerId(2));
            assert_eq!(partition.current_leader.leader_epoch, 7);
        }
    }

    #[tokio::test]
    async fn a_produce_answer_naming_no_broker_and_refusing_nothing_passes_unchanged() {
        let shared = shared().await;
        let mut response = leader_moved();
        response.node_endpoints.clear();
        response.responses[0].partition_responses[0] = base_response(0, 0);
        let frame = answer(&response, 11);
        let passed = merge_response(
            &shared,
            Some(frame.clone()),
            Vec::new(),
            42,
            11,
            ApiKey::Produce.response_header_version(11),
        )
        .await
        .unwrap();
        assert_eq!(passed, frame);
        assert!(shared.routes.lock().await.is_empty());
    }
}
