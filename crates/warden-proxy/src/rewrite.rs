//! Responses the proxy rewrites so clients keep talking through it:
//!
//! - `ApiVersions`: each API's version range narrowed to what the proxy's codecs decode
//!   (`kafka-protocol`), Produce to v12 at most (v13 names topics by id), Fetch to v15 at
//!   most (v16 answers name brokers), SaslHandshake to v1 at least (v0 sends SASL tokens as
//!   bare frames), and the share-group fetches left out ([`WITHHELD_APIS`]);
//! - `Metadata`, `FindCoordinator`, `DescribeCluster`: each broker's host and port replaced
//!   by the proxy listener that forwards to it (`Shared::route`). Produce answers'
//!   `node_endpoints` are rewritten the same way (`produce::merge_response`).
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
/// the policies (by topic name) would have to resolve first, from the `Metadata` answers
/// seen or a request of the proxy's own. Tansu 0.6 answers Produce up to v11, so such a
/// path could not be tested against a real broker.
pub const MAX_PRODUCE_VERSION: i16 = 12;

/// The highest Fetch version offered. Fetch v16 (KIP-951) answers may name brokers
/// (`node_endpoints`) that clients then connect to directly; the proxy forwards Fetch
/// answers unread (they carry the records), so it offers v15, where brokers are named only
/// in `Metadata` answers. v16 adds nothing else for consumers, and v17 only a field for
/// replicas.
pub const MAX_FETCH_VERSION: i16 = 15;

/// APIs left out of the `ApiVersions` answer: share groups (KIP-932) name brokers in their
/// `ShareFetch` and `ShareAcknowledge` answers (`node_endpoints`, every version), which the
/// proxy does not rewrite, so a share consumer would leave the proxy for the brokers.
pub const WITHHELD_APIS: [ApiKey; 2] = [ApiKey::ShareFetch, ApiKey::ShareAcknowledge];

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
        if WITHHELD_APIS.contains(&key) {
            return false;
        }
        let ours = key.valid_versions();
        let mut max = ours.max;
        let mut min = ours.min;
        if key == ApiKey::Produce {
            max = max.min(MAX_PRODUCE_VERSION);
        }
        if key == ApiKey::Fetch {
            max = max.min(MAX_FETCH_VERSION);
        }
        if key == ApiKey::SaslHandshake {
            min = min.max(MIN_SASL_HANDSHAKE_VERSION);
        }
        entry.min_version = entry.min_version.max(min);
        entry.max_version = entry.max_version.min(max);
        entry.min_version <= entry.max_version
    });
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::api_versions_response::ApiVersion;

    use super::*;

    /// What the answer offers for `key`, as (min, max).
    fn offered(response: &ApiVersionsResponse, key: i16) -> Option<(i16, i16)> {
        response
            .api_keys
            .iter()
            .find(|k| k.api_key == key)
            .map(|k| (k.min_version, k.max_version))
    }

    #[test]
    fn api_versions_offer_no_version_whose_answers_name_brokers_the_proxy_does_not_rewrite() {
        // A broker of Apache Kafka 4.1's ranges, and an API the proxy does not know.
        let mut response = ApiVersionsResponse::default();
        for (key, min, max) in [
            (ApiKey::Produce as i16, 3, 13),
            (ApiKey::Fetch as i16, 4, 18),
            (ApiKey::Metadata as i16, 0, 13),
            (ApiKey::SaslHandshake as i16, 0, 1),
            (ApiKey::ShareFetch as i16, 1, 1),
            (ApiKey::ShareAcknowledge as i16, 1, 1),
            (ApiKey::ShareGroupHeartbeat as i16, 1, 1),
            (9_999, 0, 3),
        ] {
            let mut entry = ApiVersion::default();
            entry.api_key = key;
            entry.min_version = min;
            entry.max_version = max;
            response.api_keys.push(entry);
        }
        narrow_versions(&mut response);
        assert_eq!(
            offered(&response, ApiKey::Produce as i16),
            Some((3, MAX_PRODUCE_VERSION))
        );
        assert_eq!(
            offered(&response, ApiKey::Fetch as i16),
            Some((4, MAX_FETCH_VERSION))
        );
        assert_eq!(
            offered(&response, ApiKey::SaslHandshake as i16),
            Some((MIN_SASL_HANDSHAKE_VERSION, 1))
        );
        for withheld in WITHHELD_APIS {
            assert_eq!(offered(&response, withheld as i16), None, "{withheld:?}");
        }
        assert_eq!(
            offered(&response, ApiKey::ShareGroupHeartbeat as i16),
            Some((1, 1))
        );
        assert_eq!(offered(&response, 9_999), Some((0, 3)), "unknown: unread");
        let metadata = offered(&response, ApiKey::Metadata as i16).unwrap();
        assert!(metadata.1 <= ApiKey::Metadata.valid_versions().max);
    }
}
