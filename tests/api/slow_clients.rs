//! Slow and silent clients cannot hold the server: connections that do not send a complete
//! request in time are closed, idle keep-alive connections are closed, and at the
//! connection limit new connections wait until slots free instead of exhausting file
//! descriptors.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use warden_testkit::{TestApp, spawn_app_with};

/// The start of a request whose headers never end.
const PARTIAL_HEADERS: &[u8] = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

/// HTTP/2's connection preface followed by an empty SETTINGS frame.
const H2_PREFACE_AND_SETTINGS: &[u8] =
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// A client that goes on sending a byte of [`PARTIAL_HEADERS`] every 200 ms on `stream`:
/// the connection's read half, and the task that writes.
fn trickle_on(stream: TcpStream) -> (OwnedReadHalf, tokio::task::JoinHandle<()>) {
    let (read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        for byte in PARTIAL_HEADERS.iter().cycle().take(100) {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    (read, writer)
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connects")
}

/// Reads (and discards) until the server closes the connection; how long that took from
/// `since`, or `None` if it is still open at `since + limit`.
async fn closed_within(
    stream: &mut (impl AsyncRead + Unpin),
    since: Instant,
    limit: Duration,
) -> Option<Duration> {
    let deadline = tokio::time::Instant::from_std(since + limit);
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(since.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Sends one `GET /health/live` on `stream` and reads its whole response.
async fn live_on(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("request written");
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response.ends_with(b"}") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("the response arrives in time")
            .expect("the response is read");
        assert!(n > 0, "the connection closed before the response ended");
        response.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(response).expect("a text response")
}

/// `GET /health/live` on a new connection of a client that pools nothing.
async fn live_on_a_new_connection(app: &TestApp, timeout: Duration) -> reqwest::Result<u16> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(timeout)
        .build()
        .expect("a client");
    let response = client
        .get(format!("{}/health/live", app.address))
        .send()
        .await?;
    Ok(response.status().as_u16())
}

#[tokio::test]
async fn connections_without_a_complete_request_are_closed_after_the_header_read_timeout() {
    let app = spawn_app_with(|s| {
        s.header_read_timeout_secs = 1;
        s.idle_timeout_secs = 60;
    })
    .await;
    let opened = Instant::now();
    let mut partial = Vec::new();
    for _ in 0..10 {
        let mut stream = connect(&app).await;
        stream.write_all(PARTIAL_HEADERS).await.expect("written");
        partial.push(stream);
    }
    let mut silent = Vec::new();
    for _ in 0..10 {
        silent.push(connect(&app).await);
    }
    let mut h2_silent = connect(&app).await;
    h2_silent
        .write_all(H2_PREFACE_AND_SETTINGS)
        .await
        .expect("written");
    // A client that keeps sending a byte of its headers every 200 ms.
    let (mut trickle_read, trickler) = trickle_on(connect(&app).await);

    // The server keeps answering meanwhile.
    assert_eq!(app.get("/health/live").await.status.as_u16(), 200);

    let limit = Duration::from_secs(6);
    for (i, stream) in partial.iter_mut().enumerate() {
        let closed = closed_within(stream, opened, limit).await;
        assert!(
            closed.is_some_and(|d| d >= Duration::from_millis(900)),
            "partial headers {i}: closed after {closed:?}, expected about 1 s"
        );
    }
    for (i, stream) in silent.iter_mut().enumerate() {
        let closed = closed_within(stream, opened, limit).await;
        assert!(
            closed.is_some_and(|d| d >= Duration::from_millis(900)),
            "silent connection {i}: closed after {closed:?}, expected about 1 s"
        );
    }
    let closed = closed_within(&mut h2_silent, opened, limit).await;
    assert!(
        closed.is_some_and(|d| d >= Duration::from_millis(900)),
        "HTTP/2 connection without a request: closed after {closed:?}, expected about 1 s"
    );
    let trickled = closed_within(&mut trickle_read, opened, limit).await;
    assert!(
        trickled.is_some(),
        "a client trickling its headers is closed by the header timeout too"
    );
    trickler.abort();
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_on_the_same_port() {
    let app = spawn_app_with(|s| s.header_read_timeout_secs = 5).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(H2_PREFACE_AND_SETTINGS)
        .await
        .expect("written");
    let mut frame_header = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut frame_header))
        .await
        .expect("the server answers in time")
        .expect("a frame header");
    assert_eq!(
        frame_header[3], 0x4,
        "the server's first HTTP/2 frame is SETTINGS: {frame_header:?}"
    );
}

#[tokio::test]
async fn at_the_connection_limit_new_connections_wait_and_are_served_once_slots_free() {
    let app = spawn_app_with(|s| {
        s.max_connections = 4;
        s.header_read_timeout_secs = 30;
        s.idle_timeout_secs = 30;
    })
    .await;
    let mut hogs = Vec::new();
    for _ in 0..4 {
        let mut stream = connect(&app).await;
        stream.write_all(PARTIAL_HEADERS).await.expect("written");
        hogs.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let app_address = app.address.clone();
    let waiting = tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(20))
            .build()
            .expect("a client");
        client
            .get(format!("{app_address}/health/live"))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !waiting.is_finished(),
        "a fifth connection is served while four slow clients hold every slot"
    );

    let freed = Instant::now();
    drop(hogs);
    let status = waiting
        .await
        .expect("the request task")
        .expect("the waiting request is answered once slots free");
    assert_eq!(status, 200);
    assert!(
        freed.elapsed() < Duration::from_secs(5),
        "answered {:?} after the slots freed",
        freed.elapsed()
    );
    assert_eq!(
        live_on_a_new_connection(&app, Duration::from_secs(5))
            .await
            .expect("a new connection is served"),
        200
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|s| {
        s.header_read_timeout_secs = 30;
        s.idle_timeout_secs = 1;
    })
    .await;
    let mut stream = connect(&app).await;
    // The server looks at the connection before its first request (under the header-read
    // limit); the first request must move it to the idle limit.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Requests closer together than the idle timeout keep the connection open.
    for i in 0..4 {
        let response = live_on(&mut stream).await;
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "request {i}: {response}"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let last = Instant::now();
    let response = live_on(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let closed = closed_within(&mut stream, last, Duration::from_secs(10)).await;
    assert!(
        closed.is_some_and(|d| d >= Duration::from_millis(900) && d < Duration::from_secs(5)),
        "an idle keep-alive connection closed after {closed:?}, expected about 1 s \
         (the header timeout is 30 s)"
    );
}

/// On HTTP/1.1 the header-read limit also runs while a keep-alive connection waits for its
/// next request: a client that sends a request, then half of the next one's headers (or
/// trickles them), is closed after about that limit, well before the idle timeout.
#[tokio::test]
async fn a_keep_alive_connection_that_stalls_in_its_next_headers_is_closed_after_the_header_read_timeout()
 {
    let app = spawn_app_with(|s| {
        s.header_read_timeout_secs = 1;
        s.idle_timeout_secs = 60;
    })
    .await;
    let mut stalled = connect(&app).await;
    let mut trickle = connect(&app).await;
    for stream in [&mut stalled, &mut trickle] {
        let response = live_on(stream).await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }
    let answered = Instant::now();
    stalled.write_all(PARTIAL_HEADERS).await.expect("written");
    let (mut trickle_read, trickler) = trickle_on(trickle);
    let closed = closed_within(&mut stalled, answered, Duration::from_secs(6)).await;
    assert!(
        closed.is_some_and(|d| d >= Duration::from_millis(900)),
        "stalled in its second request's headers: closed after {closed:?}, expected about \
         1 s (the idle timeout is 60 s)"
    );
    let trickled = closed_within(&mut trickle_read, answered, Duration::from_secs(6)).await;
    assert!(
        trickled.is_some_and(|d| d >= Duration::from_millis(900)),
        "trickling its second request's headers: closed after {trickled:?}"
    );
    trickler.abort();
}
