//! Request bodies Confluent refuses while reading them: `metadata` and `ruleSet` that are
//! not objects (Jackson's mapping error, 400), and a body cut off before its declared
//! length.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use warden_testkit::{TestApp, spawn_app, spawn_app_with};

use crate::record;

/// Sends `head` and `sent` of a body announced as `announced` bytes long, then waits for
/// the whole response on the still-open connection; the status line and the body.
async fn cut_off(
    app: &TestApp,
    path: &str,
    announced: usize,
    sent: &str,
    half_close: bool,
) -> (String, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connects");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/vnd.schemaregistry.v1+json\r\n\
         Content-Length: {announced}\r\n\r\n{sent}"
    );
    stream.write_all(request.as_bytes()).await.expect("written");
    if half_close {
        stream.shutdown().await.expect("write side closed");
    }
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
            if let Some(end) = find(&response, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if length.is_some_and(|n| response.len() >= end + 4 + n) {
                    break;
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no complete response within 20 s");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Jackson's message for a value that does not fit a class with a properties creator.
fn no_creator(class: &str, what: &str) -> String {
    format!(
        "Cannot construct instance of `{class}` (although at least one Creator exists): no \
         {what}"
    )
}

#[tokio::test]
async fn metadata_and_rule_sets_that_are_not_objects_are_400_with_jacksons_message() {
    let app = spawn_app().await;
    let schema = record("R", r#"[{"name":"a","type":"int"}]"#);
    let cases = [
        (
            "metadata",
            json!(1.5),
            no_creator(
                "Metadata",
                "double/Double-argument constructor/factory method to deserialize from Number \
                 value (1.5)",
            ),
        ),
        (
            "metadata",
            json!("x"),
            no_creator(
                "Metadata",
                "String-argument constructor/factory method to deserialize from String value \
                 ('x')",
            ),
        ),
        (
            "metadata",
            json!([]),
            "Cannot deserialize value of type `Metadata` from Array value (token \
             `JsonToken.START_ARRAY`)"
                .to_owned(),
        ),
        (
            "ruleSet",
            json!(1.5),
            no_creator(
                "RuleSet",
                "double/Double-argument constructor/factory method to deserialize from Number \
                 value (1.5)",
            ),
        ),
        (
            "ruleSet",
            json!("x"),
            no_creator(
                "RuleSet",
                "String-argument constructor/factory method to deserialize from String value \
                 ('x')",
            ),
        ),
        (
            "ruleSet",
            json!([]),
            "Cannot deserialize value of type `RuleSet` from Array value (token \
             `JsonToken.START_ARRAY`)"
                .to_owned(),
        ),
        (
            "ruleSet",
            json!(true),
            no_creator(
                "RuleSet",
                "boolean/Boolean-argument constructor/factory method to deserialize from \
                 boolean value (true)",
            ),
        ),
    ];
    app.register_ok("existing", &schema).await;
    for (field, value, message) in cases {
        let body = json!({ "schema": schema, field: value });
        for (what, path) in [
            ("register", "/subjects/s/versions"),
            ("lookup", "/subjects/existing"),
            (
                "compatibility",
                "/compatibility/subjects/existing/versions/latest",
            ),
        ] {
            let r = app.request(Method::POST, path, Some(&body)).await;
            let why = format!("{what} with {field} {value}");
            assert_eq!(r.status.as_u16(), 400, "{why}: {}", r.text);
            assert_eq!(r.error_code(), 400, "{why}: {}", r.text);
            assert_eq!(r.body["message"], message.as_str(), "{why}");
        }
    }
    assert_eq!(
        app.get("/subjects/s/versions").await.error_code(),
        40401,
        "nothing was registered"
    );
    // Objects and null are taken, as before.
    let body =
        json!({ "schema": schema, "metadata": {"properties": {"owner": "x"}}, "ruleSet": null });
    let r = app
        .request(Method::POST, "/subjects/s/versions", Some(&body))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
}

#[tokio::test]
async fn a_body_cut_off_by_a_client_that_closes_answers_confluents_eof_error() {
    let app = spawn_app().await;
    let (status, body) = cut_off(&app, "/subjects/s/versions", 100, r#"{"schema": "#, true).await;
    assert!(status.starts_with("HTTP/1.1 400"), "{status} {body}");
    assert_eq!(
        body,
        json!({
            "error_code": 400,
            "message": "EOF Exception encountered - client disconnected during stream processing."
        })
    );
}

#[tokio::test]
async fn a_body_cut_off_by_a_client_that_waits_answers_50002_at_the_request_timeout() {
    let app = spawn_app_with(|s| s.request_timeout_secs = 2).await;
    let (status, body) = cut_off(&app, "/subjects/s/versions", 100, r#"{"schema": "#, false).await;
    assert!(status.starts_with("HTTP/1.1 500"), "{status} {body}");
    assert_eq!(
        body,
        json!({"error_code": 50002, "message": "The request did not finish within 2000 ms"})
    );
}
