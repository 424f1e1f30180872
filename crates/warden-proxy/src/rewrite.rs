//! Responses the proxy rewrites so clients keep talking through it:
//!
//! - `ApiVersions`: each API's version range narrowed to what the proxy's codecs decode
//!   (`kafka-protocol`), Produce to v12 at most (v13 names topics by id), and
//!   SaslHandshake to v1 at least (v0 sends SASL tokens as bare frames);
//! - `Metadata`, `FindCoordinator`, `DescribeCluster`: each broker's host and port replaced
//!   by the proxy listener that forwards to it (see [`crate::Router`]).
//!
//! A response that does not decode is passed on unchanged (an error answer to an
//! unsupported version is written at version 0, for instance).

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, DescribeClusterResponse, FindCoordinatorResponse,
    MetadataResponse, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use crate::Shared;

/// The highest Produce version the proxy accepts: v13 (KIP-516) names topics by id, which
/// the policies (by topic name) would have to resolve first.
pub const MAX_PRODUCE_VERSION: i16 = 12;

/// The lowest SaslHandshake version offered. After a v0 handshake the SASL tokens travel as
/// bare frames without a request header, which the proxy could not tell from requests; from
/// v1 (KIP-152, Kafka 1.0) they travel in `SaslAuthenticate` requests, as librdkafka and the
/// Java client send them. Both are forwarded unchanged, on every connection.
pub const MIN_SASL_HANDSHAKE_VERSION: i16 = 1;

/// `frame` (a response to `api_key` at `version`) with its broker addresses rewritten.
pub(crate) async fn response(
    shared: &Arc<Shared>,
    api_key: i16,
    version: i16,
    frame: Bytes,
) -> crate::error::Result<Bytes> {
    let Ok(key) = ApiKey::try_from(api_key) else {
        return Ok(frame);
    };
    let unchanged = |frame: Bytes, what: &str| {
        tracing::warn!("a {key:?} v{version} response is passed on unchanged: {what}");
        Ok(frame)
    };
    let header_version = key.response_header_version(version);
    let mut buf = frame.clone();
    let Ok(header) = ResponseHeader::decode(&mut buf, header_version) else {
        return Ok(frame);
    };
    let mut out = BytesMut::new();
    if header.encode(&mut out, header_version).is_err() {
        return Ok(frame);
    }
    let encoded = match key {
        ApiKey::ApiVersions => {
            let mut response = match ApiVersionsResponse::decode(&mut buf, version) {
                Ok(response) => response,
                Err(e) => return unchanged(frame, &e.to_string()),
            };
            if response.error_code != 0 {
                return Ok(frame);
            }
            narrow_versions(&mut response);
            response.encode(&mut out, version)
        }
        ApiKey::Metadata => {
            let mut response = match MetadataResponse::decode(&mut buf, version) {
                Ok(response) => response,
                Err(e) => return unchanged(frame, &e.to_string()),
            };
            for broker in &mut response.brokers {
                let (host, port) = shared.route(broker.host.as_str(), broker.port).await;
                broker.host = StrBytes::from_string(host);
                broker.port = port;
            }
            response.encode(&mut out, version)
        }
        ApiKey::FindCoordinator => {
            let mut response = match FindCoordinatorResponse::decode(&mut buf, version) {
                Ok(response) => response,
                Err(e) => return unchanged(frame, &e.to_string()),
            };
            if response.error_code == 0 && !response.host.is_empty() {
                let (host, port) = shared.route(response.host.as_str(), response.port).await;
                response.host = StrBytes::from_string(host);
                response.port = port;
            }
            for coordinator in &mut response.coordinators {
                if coordinator.error_code == 0 && !coordinator.host.is_empty() {
                    let (host, port) = shared
                        .route(coordinator.host.as_str(), coordinator.port)
                        .await;
                    coordinator.host = StrBytes::from_string(host);
                    coordinator.port = port;
                }
            }
            response.encode(&mut out, version)
        }
        ApiKey::DescribeCluster => {
            let mut response = match DescribeClusterResponse::decode(&mut buf, version) {
                Ok(response) => response,
                Err(e) => return unchanged(frame, &e.to_string()),
            };
            for broker in &mut response.brokers {
                let (host, port) = shared.route(broker.host.as_str(), broker.port).await;
                broker.host = StrBytes::from_string(host);
                broker.port = port;
            }
            response.encode(&mut out, version)
        }
        _ => return Ok(frame),
    };
    match encoded {
        Ok(()) => Ok(out.freeze()),
        Err(e) => {
            tracing::warn!("cannot re-encode a {key:?} v{version} response: {e}");
            Ok(frame)
        }
    }
}

/// Narrows each API the proxy knows to the versions its codecs decode; APIs it does not
/// know are forwarded unread, so their ranges stay.
fn narrow_versions(response: &mut ApiVersionsResponse) {
    response.api_keys.retain_mut(|entry| {
        let Ok(key) = ApiKey::try_from(entry.api_key) else {
            return true;
        };
        let ours = key.valid_versions();
        let mut max = ours.max;
        let mut min = ours.min;
        if key == ApiKey::Produce {
            max = max.min(MAX_PRODUCE_VERSION);
        }
        if key == ApiKey::SaslHandshake {
            min = min.max(MIN_SASL_HANDSHAKE_VERSION);
        }
        entry.min_version = entry.min_version.max(min);
        entry.max_version = entry.max_version.min(max);
        entry.min_version <= entry.max_version
    });
}
