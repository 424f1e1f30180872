//! One client connection: requests read in order, forwarded to the broker over a connection
//! of its own (or answered by the proxy), and responses written back in the order of the
//! requests, with their correlation ids.
//!
//! Two tasks per connection: this one reads requests and writes them upstream; the
//! responder pops one [`Pending`] entry per request that expects an answer and writes the
//! answer (the broker's, rewritten where needed, or the proxy's own) to the client. A Kafka
//! broker answers a connection's requests in order, so pipelined requests keep their order.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::produce_response::PartitionProduceResponse;
use kafka_protocol::messages::{ApiKey, TopicName};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::Shared;
use crate::error::{ProxyError, Result};
use crate::frame::{FrameReader, framed, read_frame};
use crate::produce;
use crate::rewrite;
use crate::tls::{ReadHalf, WriteHalf};

/// What the responder does for one request.
#[derive(Debug)]
enum Pending {
    /// Read the broker's next response and pass it on, rewritten as `rewrite` says.
    Upstream {
        api_key: i16,
        version: i16,
        correlation_id: i32,
        rewrite: Rewrite,
    },
    /// Answer with these bytes (header and body), nothing having been forwarded.
    Local(Bytes),
}

#[derive(Debug)]
enum Rewrite {
    None,
    /// ApiVersions, Metadata, FindCoordinator, DescribeCluster.
    Routing,
    /// Add the refused partitions to the produce response, and route the brokers it names
    /// (`node_endpoints`, v10+) through the proxy.
    Produce(Vec<(TopicName, PartitionProduceResponse)>),
}

/// Serves `client` until it or the broker closes, or the proxy stops (then the requests
/// the client has sent, whole or begun, are forwarded and answered before the connection
/// closes). The TLS handshake with the
/// client, when configured, comes first; then the broker connection (TLS when configured).
pub(crate) async fn serve(shared: Arc<Shared>, client: TcpStream, upstream: Vec<String>) {
    let _guard = shared.connections.enter();
    let _ = client.set_nodelay(true);
    let peer = client.peer_addr().ok();
    let client = match shared.acceptor.accept(client).await {
        Ok(stream) => stream,
        Err(e) => {
            tracing::info!(?peer, "TLS handshake with a client failed: {e}");
            return;
        }
    };
    let broker = match shared.connector.connect(&upstream).await {
        Ok(stream) => stream,
        Err(e) => {
            tracing::warn!(?peer, "cannot reach the broker: {e}");
            return;
        }
    };
    let (client_read, client_write) = client.split();
    let (broker_read, broker_write) = broker.split();
    let (tx, rx) = mpsc::channel(1024);
    let responder = tokio::spawn(respond(Arc::clone(&shared), rx, broker_read, client_write));
    if let Err(e) = requests(&shared, client_read, broker_write, tx).await {
        tracing::debug!(?peer, "connection ends: {e}");
    }
    let _ = responder.await;
}

async fn requests(
    shared: &Arc<Shared>,
    mut client: ReadHalf,
    mut broker: WriteHalf,
    pending: mpsc::Sender<Pending>,
) -> Result<()> {
    let mut stop = shared.stop.subscribe();
    let mut reader = FrameReader::default();
    loop {
        // Once the proxy stops, requests already sent (whole, or begun) are still read and
        // forwarded; the connection ends when no more bytes are waiting.
        let frame = tokio::select! {
            biased;
            frame = reader.read(&mut client) => frame?,
            () = crate::stopped(&mut stop) => {
                if reader.in_progress() {
                    reader.read(&mut client).await?
                } else {
                    None
                }
            }
        };
        let Some(frame) = frame else {
            return Ok(());
        };
        if frame.len() < 8 {
            return Err(ProxyError::Protocol(
                "request shorter than its header".into(),
            ));
        }
        let api_key = i16::from_be_bytes([frame[0], frame[1]]);
        let version = i16::from_be_bytes([frame[2], frame[3]]);
        let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
        let known = ApiKey::try_from(api_key).ok();
        tracing::trace!(api_key, version, correlation_id, "request");
        match known {
            Some(ApiKey::Produce) => {
                let header_version = ApiKey::Produce.request_header_version(version);
                let plan = produce::inspect(shared, frame, version, header_version).await?;
                if let Some(forward) = plan.forward {
                    broker
                        .write_all(&framed(&forward))
                        .await
                        .map_err(|e| ProxyError::io("write to the broker", e))?;
                    if plan.expects_response {
                        // From v10 the answer may name brokers (`node_endpoints`).
                        let rewrite = if plan.refused.is_empty()
                            && version < produce::FIRST_NODE_ENDPOINTS_VERSION
                        {
                            Rewrite::None
                        } else {
                            Rewrite::Produce(plan.refused)
                        };
                        send(
                            &pending,
                            Pending::Upstream {
                                api_key,
                                version,
                                correlation_id,
                                rewrite,
                            },
                        )
                        .await?;
                    }
                } else if plan.expects_response {
                    let header_version = ApiKey::Produce.response_header_version(version);
                    let answer = produce::merge_response(
                        shared,
                        None,
                        plan.refused,
                        correlation_id,
                        version,
                        header_version,
                    )
                    .await?;
                    send(&pending, Pending::Local(answer)).await?;
                }
            }
            _ => {
                let rewrite = match known {
                    Some(
                        ApiKey::ApiVersions
                        | ApiKey::Metadata
                        | ApiKey::FindCoordinator
                        | ApiKey::DescribeCluster,
                    ) => Rewrite::Routing,
                    _ => Rewrite::None,
                };
                broker
                    .write_all(&framed(&frame))
                    .await
                    .map_err(|e| ProxyError::io("write to the broker", e))?;
                send(
                    &pending,
                    Pending::Upstream {
                        api_key,
                        version,
                        correlation_id,
                        rewrite,
                    },
                )
                .await?;
            }
        }
    }
}

async fn send(pending: &mpsc::Sender<Pending>, entry: Pending) -> Result<()> {
    pending
        .send(entry)
        .await
        .map_err(|_| ProxyError::Protocol("the response side closed".into()))
}

async fn respond(
    shared: Arc<Shared>,
    mut pending: mpsc::Receiver<Pending>,
    mut broker: ReadHalf,
    mut client: WriteHalf,
) {
    while let Some(entry) = pending.recv().await {
        let answer = match entry {
            Pending::Local(bytes) => Ok(bytes),
            Pending::Upstream {
                api_key,
                version,
                correlation_id,
                rewrite,
            } => match read_frame(&mut broker).await {
                Ok(Some(frame)) => match rewrite {
                    Rewrite::None => Ok(frame),
                    Rewrite::Routing => rewrite::response(&shared, api_key, version, frame).await,
                    Rewrite::Produce(refused) => {
                        let header_version = ApiKey::Produce.response_header_version(version);
                        produce::merge_response(
                            &shared,
                            Some(frame),
                            refused,
                            correlation_id,
                            version,
                            header_version,
                        )
                        .await
                    }
                },
                Ok(None) => Err(ProxyError::Protocol(
                    "the broker closed the connection".into(),
                )),
                Err(e) => Err(e),
            },
        };
        match answer {
            Ok(bytes) => {
                if client.write_all(&framed(&bytes)).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!("closing a client connection: {e}");
                break;
            }
        }
    }
    let _ = client.shutdown().await;
}
