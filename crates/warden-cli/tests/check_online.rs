//! `warden init`, `warden register` and `warden check --against URL` against a spawned
//! registry, with the four output formats compared to golden files (`tests/golden/`; set
//! `UPDATE_GOLDEN=1` to rewrite them after an intended change).

mod support;

use std::path::Path;

use quick_xml::events::Event;
use support::{Repo, Run, warden, warden_env};
use warden_testkit::spawn_app;

const ADDRESS: &str = r#"{
  "type": "record",
  "name": "Address",
  "namespace": "acme",
  "fields": [
    {"name": "street", "type": "string"},
    {"name": "city", "type": "string"}
  ]
}
"#;

const ORDER_V1: &str = r#"{
  "type": "record",
  "name": "Order",
  "namespace": "acme",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "shipping", "type": "acme.Address"}
  ]
}
"#;

/// A new field without a default: the new schema cannot read old orders.
const ORDER_V2: &str = r#"{
  "type": "record",
  "name": "Order",
  "namespace": "acme",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "shipping", "type": "acme.Address"},
    {"name": "total", "type": "double"}
  ]
}
"#;

const CUSTOMER_V1: &str = r#"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "age": {"type": "integer"}
  }
}
"#;

/// `age` becomes a string.
const CUSTOMER_V2: &str = r#"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "age": {"type": "string"}
  }
}
"#;

const PAYMENT_V1: &str = r#"syntax = "proto3";
package acme.payments;

message Payment {
  string id = 1;
  int64 amount = 2;
  string currency = 3;
}
"#;

/// `amount` changes from int64 to string: another wire type.
const PAYMENT_V2: &str = r#"syntax = "proto3";
package acme.payments;

message Payment {
  string id = 1;
  string amount = 2;
  string currency = 3;
}
"#;

const REFUND: &str = r#"{"type": "record", "name": "Refund", "namespace": "acme", "fields": [
  {"name": "order_id", "type": "long"}
]}
"#;

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(
        actual, expected,
        "{name} differs from its golden file; if the change is intended, run with \
         UPDATE_GOLDEN=1"
    );
}

fn check(repo: &Repo, url: &str, format: &str) -> Run {
    let run = warden(
        repo.path(),
        &["check", "--against", url, "--format", format],
    );
    assert_eq!(run.code, 1, "{format}: {}{}", run.stdout, run.stderr);
    assert!(run.stderr.is_empty(), "{format}: {}", run.stderr);
    assert!(!run.stdout.contains('\u{1b}'), "no colors off a terminal");
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_check_reports_each_broken_subject_in_every_format() {
    let app = spawn_app().await;
    let url = app.address.clone();
    let repo = Repo::new();
    repo.write("schemas/address.avsc", ADDRESS);
    repo.write("schemas/orders-value.avsc", ORDER_V1);
    repo.write("schemas/customer.json", CUSTOMER_V1);
    repo.write("schemas/payments.proto", PAYMENT_V1);
    repo.write("package.json", "{\"name\": \"not a schema\"}\n");

    let init = warden(repo.path(), &["init"]);
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let toml = std::fs::read_to_string(repo.path().join("warden.toml")).unwrap();
    assert!(toml.contains("\"schemas/*.avsc\""), "{toml}");
    assert!(toml.contains("\"schemas/customer.json\""), "{toml}");
    assert!(!toml.contains("package.json"), "only JSON Schemas: {toml}");

    // Published in dependency order: the referenced Address before Order.
    let env = [("WARDEN_REGISTRY_URL", url.as_str())];
    let first = warden_env(repo.path(), &["register"], &env);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let address_line = first.stdout.find("registered address").unwrap();
    let order_line = first.stdout.find("registered orders-value").unwrap();
    assert!(address_line < order_line, "{}", first.stdout);
    let again = warden_env(repo.path(), &["register"], &env);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("0 registered, 4 unchanged"),
        "registering twice changes nothing: {}",
        again.stdout
    );
    let subjects = warden_env(repo.path(), &["subjects"], &env);
    assert_eq!(
        subjects.stdout, "address\ncustomer\norders-value\npayments\n",
        "{}",
        subjects.stderr
    );
    // The registry's level, not the project's, governs an online check.
    let set = warden(
        repo.path(),
        &["config", "customer", "full", "--registry-url", &url],
    );
    assert_eq!(set.code, 0, "{}", set.stderr);

    repo.write("schemas/orders-value.avsc", ORDER_V2);
    repo.write("schemas/customer.json", CUSTOMER_V2);
    repo.write("schemas/payments.proto", PAYMENT_V2);
    repo.write("schemas/refunds-value.avsc", REFUND);

    let dry = warden_env(repo.path(), &["register", "--dry-run"], &env);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("would register orders-value"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("would register refunds-value"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("unchanged  address"), "{}", dry.stdout);

    let normalize = |s: &str| s.replace(&url, "REGISTRY");
    golden("online.txt", &normalize(&check(&repo, &url, "text").stdout));
    let json = check(&repo, &url, "json").stdout;
    let from_env = warden_env(
        repo.path(),
        &["check", "--against", "registry", "--format", "json"],
        &env,
    );
    assert_eq!(
        from_env.stdout, json,
        "--against registry uses WARDEN_REGISTRY_URL"
    );
    golden("online.json", &normalize(&json));
    let github = check(&repo, &url, "github").stdout;
    golden("online.github", &normalize(&github));
    let junit = check(&repo, &url, "junit").stdout;
    golden("online.xml", &normalize(&junit));

    // The JSON report agrees with the registry's own answer.
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let status: Vec<(&str, &str)> = report["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["subject"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("address", "compatible"),
            ("customer", "incompatible"),
            ("orders-value", "incompatible"),
            ("payments", "incompatible"),
            ("refunds-value", "new"),
        ]
    );
    assert_eq!(report["subjects"][1]["compatibility"], "FULL");

    // GitHub annotations: workflow-command syntax, on the file and the changed line.
    for line in github.lines() {
        assert!(
            line.starts_with("::error file=schemas/") || line.starts_with("::notice title="),
            "{line}"
        );
    }
    assert!(
        github.contains(
            "::error file=schemas/orders-value.avsc,line=8,title=READER_FIELD_MISSING_DEFAULT_VALUE::"
        ),
        "{github}"
    );
    assert!(
        github.contains("::error file=schemas/payments.proto,line=6,title="),
        "{github}"
    );

    // JUnit: well-formed XML, one test case per subject, a failure per broken one.
    let mut reader = quick_xml::Reader::from_str(&junit);
    let (mut cases, mut failures, mut suites) = (0, 0, 0);
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuites" | b"testsuite" => suites += 1,
                b"testcase" => cases += 1,
                b"failure" => failures += 1,
                _ => {}
            },
            _ => {}
        }
    }
    assert_eq!((suites, cases, failures), (2, 5, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_read_and_change_the_registry() {
    let app = spawn_app().await;
    let url = app.address.clone();
    let dir = tempfile::tempdir().unwrap();
    let env = [("WARDEN_REGISTRY_URL", url.as_str())];
    let run = |args: &[&str]| {
        let r = warden_env(dir.path(), args, &env);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
    };
    app.register_ok(
        "orders-value",
        ORDER_V1.replace("acme.Address", "string").as_str(),
    )
    .await;
    app.register_ok(
        "orders-value",
        &ORDER_V2.replace("acme.Address", "string").replace(
            "\"type\": \"double\"",
            "\"type\": \"double\", \"default\": 0.0",
        ),
    )
    .await;
    assert_eq!(run(&["subjects"]), "orders-value\n");
    assert_eq!(run(&["versions", "orders-value"]), "1\n2\n");
    let latest: serde_json::Value = serde_json::from_str(&run(&["get", "orders-value"])).unwrap();
    assert_eq!(latest["version"], 2);
    let first = run(&["get", "orders-value", "1", "--schema-only"]);
    assert!(
        first.contains("\"Order\"") && !first.contains("total"),
        "{first}"
    );

    assert!(run(&["config"]).contains("\"BACKWARD\""));
    run(&["config", "FULL_TRANSITIVE"]);
    assert!(run(&["config"]).contains("\"FULL_TRANSITIVE\""));
    run(&["config", "orders-value", "NONE"]);
    assert!(run(&["config", "orders-value"]).contains("\"NONE\""));

    assert_eq!(run(&["mode"]), "READWRITE\n");
    assert_eq!(run(&["mode", "orders-value", "READONLY"]), "READONLY\n");
    assert_eq!(run(&["mode", "orders-value"]), "READONLY\n");
    run(&["mode", "orders-value", "READWRITE"]);

    assert_eq!(run(&["delete", "orders-value", "1"]), "1\n");
    assert_eq!(run(&["versions", "orders-value"]), "2\n");
    assert_eq!(run(&["versions", "orders-value", "--deleted"]), "1\n2\n");
    assert_eq!(run(&["delete", "orders-value"]), "2\n");
    assert_eq!(run(&["subjects"]), "");
    assert_eq!(run(&["subjects", "--deleted"]), "orders-value\n");

    // A registry error is one line and exit 2.
    let missing = warden_env(dir.path(), &["get", "nope"], &env);
    assert_eq!(missing.code, 2);
    assert_eq!(missing.stderr.lines().count(), 1, "{}", missing.stderr);
    let code = warden_core::ErrorCode::SubjectNotFound.code().to_string();
    assert!(missing.stderr.contains(&code), "{}", missing.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_check_with_a_context_checks_the_subjects_of_that_context() {
    let app = spawn_app().await;
    let url = app.address.clone();
    // The registry has the schemas in the context `.ctx` only.
    let refs = serde_json::json!([{"name": "acme.Address", "subject": "address", "version": 1}]);
    for (subject, body) in [
        (":.ctx:address", serde_json::json!({"schema": ADDRESS})),
        (
            ":.ctx:orders-value",
            serde_json::json!({"schema": ORDER_V1, "references": refs}),
        ),
    ] {
        let r = app.register_body(subject, &body).await;
        assert_eq!(r.status, reqwest::StatusCode::OK, "{subject}: {}", r.text);
    }
    let repo = Repo::new();
    repo.write("schemas/address.avsc", ADDRESS);
    repo.write("schemas/orders-value.avsc", ORDER_V2);
    let init = warden(repo.path(), &["init"]);
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let statuses = |stdout: &str| -> Vec<(String, String)> {
        let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
        report["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let status = s["status"].as_str().unwrap_or("incompatible");
                (s["subject"].as_str().unwrap().to_owned(), status.to_owned())
            })
            .collect()
    };
    // The default context has none of them: address is new, and orders-value cannot be
    // checked there, its reference not being registered in that context.
    let plain = warden(
        repo.path(),
        &["check", "--against", &url, "--format", "json"],
    );
    assert_eq!(plain.code, 2, "{}{}", plain.stdout, plain.stderr);
    assert_eq!(
        statuses(&plain.stdout)[0],
        ("address".to_owned(), "new".to_owned())
    );
    assert!(
        plain
            .stdout
            .contains(r#"is not registered under the subject \"address\""#),
        "{}",
        plain.stdout
    );
    // In the context, the new field without a default breaks the registered version; the
    // reference is looked up in the context too.
    let in_context = warden(
        repo.path(),
        &[
            "check",
            "--against",
            &url,
            "--format",
            "json",
            "--context",
            ".ctx",
        ],
    );
    assert_eq!(
        in_context.code, 1,
        "{}{}",
        in_context.stdout, in_context.stderr
    );
    assert_eq!(
        statuses(&in_context.stdout),
        [
            (":.ctx:address".to_owned(), "compatible".to_owned()),
            (":.ctx:orders-value".to_owned(), "incompatible".to_owned())
        ]
    );
    // `WARDEN_CONTEXT`, in any of the spellings Confluent accepts, is the same.
    for name in ["ctx", ":.ctx:"] {
        let from_env = warden_env(
            repo.path(),
            &["check", "--against", &url, "--format", "json"],
            &[("WARDEN_CONTEXT", name)],
        );
        assert_eq!(from_env.stdout, in_context.stdout, "{name}");
    }
    // A context name with a colon inside is refused before anything is checked.
    let bad = warden(
        repo.path(),
        &["check", "--against", &url, "--context", ".a:b"],
    );
    assert_eq!(bad.code, 2, "{}{}", bad.stdout, bad.stderr);
    assert!(
        bad.stderr.contains("cannot contain a colon"),
        "{}",
        bad.stderr
    );
}
