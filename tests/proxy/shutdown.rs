//! Graceful shutdown: a produce request in flight when the proxy is told to stop is still
//! forwarded and answered, and new connections are refused.

use std::time::Duration;

use kafka_protocol::messages::ProduceRequest;
use kafka_protocol::records::Compression;
use warden_core::SchemaType;

use crate::support::{Env, ORDER_AVSC, RawClient, avro_bytes, batch, fetch_all, produce_request};

#[tokio::test]
async fn a_produce_request_in_flight_at_shutdown_completes_and_new_connections_are_refused() {
    let mut env = Env::start().await;
    let (topic, _) = env
        .topic_with("px-drain", SchemaType::Avro, ORDER_AVSC)
        .await;
    let value = avro_bytes(&env.client, &topic, 1).await;
    let request = produce_request(&[(
        topic.as_str(),
        batch(&[(None, Some(value.clone()))], Compression::Lz4),
    )]);
    let proxy = env.proxy.clone();
    let mut client = RawClient::connect(&proxy).await;
    let (correlation_id, frame) = client.frame(&request, 9);

    // Half of the request is on its way when the proxy is told to stop.
    let half = frame.len() / 2;
    client.write_raw(&frame[..half]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(async move {
        env.stop_proxy().await;
        env
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tokio::net::TcpStream::connect(&proxy).await.is_err(),
        "a stopping proxy accepts no new connection"
    );
    assert!(!stopping.is_finished(), "the proxy waits for the request");

    client.write_raw(&frame[half..]).await;
    let (id, answer) =
        tokio::time::timeout(Duration::from_secs(20), client.receive::<ProduceRequest>(9))
            .await
            .expect("the request is answered");
    assert_eq!(id, correlation_id);
    let partition = &answer.responses[0].partition_responses[0];
    assert_eq!(partition.error_code, 0, "{partition:?}");

    let env = tokio::time::timeout(Duration::from_secs(20), stopping)
        .await
        .expect("the proxy stops once the request is answered")
        .unwrap();
    let log = fetch_all(&env.broker.bootstrap_servers, &topic).await;
    assert_eq!(
        log.into_iter().filter_map(|r| r.value).collect::<Vec<_>>(),
        [value],
        "the record is in the log"
    );
}
