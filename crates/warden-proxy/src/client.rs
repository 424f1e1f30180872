//! A minimal Kafka client over one connection, for the proxy's own requests (dead-letter
//! copies, readiness probes): typed requests with kafka-protocol's codecs.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{ProxyError, Result};
use crate::frame::{framed, read_frame};
use crate::tls::{Connector, Io};

/// One connection to a broker.
pub(crate) struct KafkaClient {
    stream: Box<dyn Io>,
    correlation_id: i32,
}

impl KafkaClient {
    /// Connects to the first of `servers` that accepts, over TLS when `connector` says so.
    pub(crate) async fn connect(connector: &Connector, servers: &[String]) -> Result<Self> {
        Ok(Self {
            stream: connector.connect(servers).await?.into_io(),
            correlation_id: 0,
        })
    }

    /// Sends `request` at `version` and reads its response.
    pub(crate) async fn send<R: Request>(
        &mut self,
        request: &R,
        version: i16,
    ) -> Result<R::Response>
    where
        R::Response: Decodable,
    {
        self.correlation_id += 1;
        let mut header = RequestHeader::default();
        header.request_api_key = R::KEY;
        header.request_api_version = version;
        header.correlation_id = self.correlation_id;
        header.client_id = Some(StrBytes::from_static_str("warden-proxy"));
        let mut body = BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .map_err(ProxyError::protocol)?;
        request
            .encode(&mut body, version)
            .map_err(ProxyError::protocol)?;
        let frame = framed(&body);
        self.stream
            .write_all(&frame)
            .await
            .map_err(|e| ProxyError::io("send to the broker", e))?;
        let mut response: Bytes = read_frame(&mut self.stream)
            .await?
            .ok_or_else(|| ProxyError::Protocol("the broker closed the connection".into()))?;
        let header = ResponseHeader::decode(
            &mut response,
            <R::Response as kafka_protocol::protocol::HeaderVersion>::header_version(version),
        )
        .map_err(ProxyError::protocol)?;
        if header.correlation_id != self.correlation_id {
            return Err(ProxyError::Protocol(format!(
                "correlation id {} answered, {} expected",
                header.correlation_id, self.correlation_id
            )));
        }
        R::Response::decode(&mut response, version).map_err(ProxyError::protocol)
    }

    /// Closes the connection.
    pub(crate) async fn close(mut self) {
        let _ = self.stream.shutdown().await;
        let _ = self.stream.read(&mut [0u8; 0]).await;
    }
}
