//! The OpenAPI description at `/openapi.json` against the server: every documented
//! operation is routed to its handler, and Schemathesis (installed into tests/clients/.venv
//! by `tests/clients/setup.sh`) fuzzes the API from the description and finds no 5xx, no
//! response outside the description and no 4xx outside Confluent's error body.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use warden_testkit::clients::{clients_dir, python_with_confluent_kafka};
use warden_testkit::spawn_app;

/// The longest the Schemathesis run may take before the test fails; it takes about a
/// minute and a half on a developer's machine.
const SCHEMATHESIS_TIME_LIMIT: Duration = Duration::from_secs(420);

#[tokio::test]
async fn openapi_json_is_served_as_application_json_and_describes_openapi_3_1() {
    let app = spawn_app().await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.body["openapi"], "3.1.0");
    assert_eq!(r.body["info"]["title"], "Warden");
}

/// Every path and method of the description reaches a handler, as written and with one
/// trailing slash (Confluent's Jersey resources match both): neither the 404 fallback for
/// unknown routes nor the 405 one for unknown methods answers it. (The router is built from
/// the same operations, so no route is missing from the description.)
#[tokio::test]
async fn every_documented_operation_is_routed_to_its_handler() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await.body;
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{subject}", "s")
            .replace("{version}", "1")
            .replace("{id}", "1")
            .replace("{name}", "k");
        for method in item.as_object().unwrap().keys() {
            operations += 1;
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = (method == Method::POST || method == Method::PUT)
                .then(|| serde_json::json!({"schema": "\"string\"", "mode": "READWRITE"}));
            let slashed = format!("{concrete}/");
            let paths = if concrete == "/" {
                vec![concrete.as_str()]
            } else {
                vec![concrete.as_str(), slashed.as_str()]
            };
            for path in paths {
                let r = app.request(method.clone(), path, body.as_ref()).await;
                let fallback = r.body["message"] == "HTTP 404 Not Found"
                    || r.status == StatusCode::METHOD_NOT_ALLOWED;
                assert!(!fallback, "{method} {path}: {} {}", r.status, r.text);
            }
        }
    }
    assert!(operations > 30, "{operations} operations");
}

/// Methods the description does not name for a path are refused with 405 (the router has no
/// operation the description lacks on a documented path).
#[tokio::test]
async fn methods_the_description_does_not_name_answer_405() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await.body;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{subject}", "s")
            .replace("{version}", "1")
            .replace("{id}", "1")
            .replace("{name}", "k");
        let item = item.as_object().unwrap();
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ] {
            if item.contains_key(&method.as_str().to_lowercase()) {
                continue;
            }
            let r = app.request(method.clone(), &concrete, None).await;
            assert_eq!(
                r.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {}",
                r.text
            );
            assert_eq!(r.error_code(), 405, "{method} {path}");
        }
    }
}

/// Schemathesis: its examples, coverage, fuzzing and stateful phases (register, then read,
/// look up, test and delete through the description's links) with every check, plus
/// Confluent's error body on every 4xx and 5xx (tests/clients/schemathesis/hooks.py).
/// Reproducible: deterministic generation, no example database. Never skipped: the tools
/// are installed by `tests/clients/setup.sh` when missing.
#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_contract_violation() {
    // Schemathesis is installed beside confluent-kafka, in the same venv.
    let st = tokio::task::spawn_blocking(|| python_with_confluent_kafka().with_file_name("st"))
        .await
        .unwrap();
    let app = spawn_app().await;
    let started = Instant::now();
    let run = tokio::process::Command::new(st)
        .current_dir(clients_dir().join("schemathesis"))
        .args(["run", &format!("{}/openapi.json", app.address)])
        .args(["--no-color", "--output-truncate", "true"])
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(SCHEMATHESIS_TIME_LIMIT, run)
        .await
        .unwrap_or_else(|_| panic!("Schemathesis ran past {SCHEMATHESIS_TIME_LIMIT:?}"))
        .expect("Schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "Schemathesis found contract violations in {:?}:\n{stdout}\n{stderr}",
        started.elapsed()
    );
    eprintln!("Schemathesis passed in {:?}", started.elapsed());
    // The run reached the API's core: registrations succeeded, which the stateful phase then
    // read and deleted through the links.
    let metrics = app.get("/metrics").await.text;
    let registered: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("warden_registrations_total{outcome=\"new\"} "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(registered > 0.0, "no registration succeeded:\n{stdout}");
}
