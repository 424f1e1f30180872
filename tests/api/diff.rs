//! Warden's structured diff (`/warden/v1/…/diff`) against `/compatibility`: on every step of
//! the corpus's evolution series (`../shared/corpus/evolution`, Avro, Protobuf and JSON
//! Schema), the diff's verdict under each of the seven levels is `/compatibility`'s, and a
//! direction has a breaking change exactly when its level refuses the step.

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_testkit::{TestApp, encode, spawn_app};

use crate::protobuf::{corpus, register_imports};

const LEVELS: [&str; 7] = [
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
];

/// One registered version of a series: its number and the body that registered it.
struct Registered {
    version: i64,
    body: Value,
}

/// The sorted version files of a series with extension `ext`.
fn version_files(dir: &PathBuf, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('v') && n.ends_with(ext))
        .collect();
    out.sort();
    out
}

/// Registers every version of every series of `format` under level NONE, one subject per
/// series; versions the registry refuses (invalid, or compiled by no one) are left out.
async fn register_series(app: &TestApp, format: &str) -> Vec<(String, Vec<Registered>)> {
    let (folder, ext, schema_type) = match format {
        "AVRO" => ("avro", ".avsc", "AVRO"),
        "JSON" => ("jsonschema", ".json", "JSON"),
        _ => ("protobuf", ".proto", "PROTOBUF"),
    };
    let root = corpus().join("evolution").join(folder);
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let dir = root.join(&name);
        let subject = format!("diff-{folder}-{name}");
        let mut registered = Vec::new();
        for file in version_files(&dir, ext) {
            let text = std::fs::read_to_string(dir.join(&file)).unwrap();
            let references = if format == "PROTOBUF" {
                let stem = file.trim_end_matches(ext);
                let roots = [
                    dir.join(format!("{stem}.deps")),
                    dir.clone(),
                    corpus().join("protobuf/googleapis"),
                    corpus().join("protobuf/protobuf"),
                    corpus().join("protobuf/opentelemetry-proto"),
                ];
                register_imports(app, &text, &roots).await
            } else {
                json!([])
            };
            let body = json!({"schemaType": schema_type, "schema": text, "references": references});
            let r = app.register_body(&subject, &body).await;
            if r.status != StatusCode::OK {
                continue;
            }
            let found = app
                .request(
                    Method::POST,
                    &format!("/subjects/{}", encode(&subject)),
                    Some(&body),
                )
                .await;
            let version = found.body["version"].as_i64().unwrap();
            if registered
                .last()
                .is_some_and(|r: &Registered| r.version == version)
            {
                continue; // the same schema again
            }
            registered.push(Registered { version, body });
        }
        out.push((subject, registered));
    }
    out
}

/// The diff of each step, checked against `/compatibility` under every level.
async fn diff_agrees_with_compatibility_on_every_step(format: &str, min_steps: usize) {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let series = register_series(&app, format).await;
    // (subject, from, to, new body, diff)
    let mut steps = Vec::new();
    for (subject, versions) in &series {
        for pair in versions.windows(2) {
            let r = app
                .get(&format!(
                    "/warden/v1/subjects/{}/diff?from={}&to={}",
                    encode(subject),
                    pair[0].version,
                    pair[1].version
                ))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{subject}: {}", r.text);
            steps.push((
                subject.clone(),
                pair[0].version,
                pair[1].body.clone(),
                r.body,
            ));
        }
    }
    assert!(
        steps.len() >= min_steps,
        "{format}: only {} steps",
        steps.len()
    );
    let mut breaking = 0;
    for (subject, from, _, diff) in &steps {
        let changes = diff["changes"].as_array().unwrap();
        let verdict = |level: &str| {
            diff["levels"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["level"] == level)
                .unwrap_or_else(|| panic!("{level} in {diff}"))["compatible"]
                .as_bool()
                .unwrap()
        };
        for (direction, level) in [("backward", "BACKWARD"), ("forward", "FORWARD")] {
            let broken = changes
                .iter()
                .any(|c| c[direction]["compatible"] == json!(false));
            assert_eq!(
                broken,
                !verdict(level),
                "{subject} {from}: a {direction} breaking change exactly when {level} refuses"
            );
            for c in changes
                .iter()
                .filter(|c| c[direction]["compatible"] == json!(false))
            {
                assert!(
                    c[direction]["rule"].as_str().is_some_and(|r| !r.is_empty()),
                    "{subject} {from}: a breaking change names its rule: {c}"
                );
            }
        }
        if !verdict("BACKWARD") {
            breaking += 1;
        }
        // Every violation is explained by a change of the structural diff.
        let unexplained: Vec<&Value> = changes
            .iter()
            .filter(|c| c["kind"] == "INCOMPATIBILITY")
            .collect();
        assert!(
            unexplained.is_empty(),
            "{subject} {from}: violations no change explains: {unexplained:?}"
        );
        if !changes.is_empty() {
            assert!(changes[0]["kind"].is_string() && changes[0]["path"].is_string());
        }
    }
    for level in LEVELS {
        for (subject, _) in &series {
            app.set_level(Some(subject), level).await;
        }
        for (subject, from, body, diff) in &steps {
            let r = app
                .request(
                    Method::POST,
                    &format!(
                        "/compatibility/subjects/{}/versions/{from}?verbose=true",
                        encode(subject)
                    ),
                    Some(body),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{subject} {from}: {}", r.text);
            let expected = r.body["is_compatible"].as_bool().unwrap();
            let got = diff["levels"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["level"] == level)
                .unwrap()["compatible"]
                .as_bool()
                .unwrap();
            assert_eq!(
                got, expected,
                "{subject} from {from} under {level}: the diff says {got}, /compatibility \
                 says {expected}: {}",
                r.text
            );
        }
    }
    eprintln!(
        "{format}: {} steps, {breaking} breaking backward",
        steps.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_avro_evolution_diffs_agree_with_compatibility_under_every_level() {
    diff_agrees_with_compatibility_on_every_step("AVRO", 15).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protobuf_evolution_diffs_agree_with_compatibility_under_every_level() {
    diff_agrees_with_compatibility_on_every_step("PROTOBUF", 80).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_schema_evolution_diffs_agree_with_compatibility_under_every_level() {
    diff_agrees_with_compatibility_on_every_step("JSON", 40).await;
}

#[tokio::test]
async fn an_incompatible_avro_step_names_the_field_and_the_rule_in_both_endpoints() {
    let app = spawn_app().await;
    let v1 = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
    let v2 = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"email","type":["null","string"],"default":null}]}"#;
    app.set_level(Some("users"), "NONE").await;
    app.register_ok("users", v1).await;
    app.register_ok("users", v2).await;
    let r = app
        .get("/warden/v1/subjects/users/diff?from=1&to=latest")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let changes = r.body["changes"].as_array().unwrap();
    let age = changes
        .iter()
        .find(|c| c["path"] == "/fields/1")
        .unwrap_or_else(|| panic!("{}", r.text));
    assert_eq!(age["kind"], "FIELD_ADDED");
    assert!(age["new"].as_str().unwrap().contains("\"age\""));
    assert_eq!(age["backward"]["compatible"], false);
    assert_eq!(
        age["backward"]["rule"],
        "READER_FIELD_MISSING_DEFAULT_VALUE"
    );
    assert_eq!(age["forward"]["compatible"], true);
    let email = changes.iter().find(|c| c["path"] == "/fields/2").unwrap();
    assert_eq!(email["backward"]["compatible"], true);
    let levels = &r.body["levels"];
    assert!(
        levels
            .as_array()
            .unwrap()
            .contains(&json!({"level": "BACKWARD", "compatible": false}))
    );
    assert!(
        levels
            .as_array()
            .unwrap()
            .contains(&json!({"level": "FORWARD", "compatible": true}))
    );
    // The same two schemas posted give the same diff.
    let posted = app
        .request(
            Method::POST,
            "/warden/v1/diff",
            Some(&json!({"old": {"schema": v1}, "new": {"schema": v2}})),
        )
        .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    assert_eq!(posted.body, r.body);
}

#[tokio::test]
async fn diff_errors_answer_confluents_codes() {
    let app = spawn_app().await;
    app.register_ok("users", r#""string""#).await;
    let cases = [
        (
            "/warden/v1/subjects/nobody/diff?from=1&to=2",
            40401,
            "unknown subject",
        ),
        (
            "/warden/v1/subjects/users/diff?from=1&to=7",
            40402,
            "unknown version",
        ),
        (
            "/warden/v1/subjects/users/diff?from=1&to=zero",
            42202,
            "invalid version",
        ),
        (
            "/warden/v1/subjects/users/diff?to=1",
            42202,
            "missing version",
        ),
        (
            "/warden/v1/subjects/users/diff?from=abc&to=1",
            42202,
            "from=abc",
        ),
        ("/warden/v1/subjects/users/diff?from=1", 42202, "missing to"),
    ];
    for (path, code, why) in cases {
        let r = app.get(path).await;
        assert_eq!(r.error_code(), code, "{why}: {}", r.text);
    }
    let invalid = app
        .request(
            Method::POST,
            "/warden/v1/diff",
            Some(&json!({"old": {"schema": "\"string\""}, "new": {"schema": "{\"type\":"}})),
        )
        .await;
    assert_eq!(invalid.error_code(), 42201, "{}", invalid.text);
    let missing = app
        .request(
            Method::POST,
            "/warden/v1/diff",
            Some(&json!({"old": {"schema": "\"int\""}})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.text);
    let policy = app
        .request(
            Method::POST,
            "/warden/v1/diff",
            Some(&json!({
                "old": {"schema": "\"int\""},
                "new": {"schema": "\"int\""},
                "compatibilityPolicy": "SOMETIMES"
            })),
        )
        .await;
    assert_eq!(policy.error_code(), 42203, "bad policy: {}", policy.text);
    let broken = app
        .raw(
            Method::POST,
            "/warden/v1/diff",
            Some("application/vnd.schemaregistry.v1+json"),
            "{\"old\": {",
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.text);
    assert_eq!(broken.error_code(), 400, "invalid JSON: {}", broken.text);
    // As Confluent answers a reference that does not resolve: 42201, not 404.
    let unresolved = app
        .request(
            Method::POST,
            "/warden/v1/diff",
            Some(&json!({
                "old": {"schema": "\"int\""},
                "new": {
                    "schema": r#"{"type":"record","name":"W","fields":[{"name":"g","type":"Ghost"}]}"#,
                    "references": [{"name": "Ghost", "subject": "ghost", "version": 1}]
                }
            })),
        )
        .await;
    assert_eq!(
        unresolved.error_code(),
        42201,
        "unresolvable reference: {}",
        unresolved.text
    );
}
