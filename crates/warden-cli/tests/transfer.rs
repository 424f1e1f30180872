//! `warden export` and `warden import` between two spawned registries: every subject,
//! version, schema id, config and mode arrives identical, soft deletes, id gaps and
//! data-contract metadata included,
//! and importing twice changes nothing.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::warden_env;
use warden_testkit::{TestApp, spawn_app};

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"street","type":"string"}]}"#;
const ORDER_V1: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"to","type":"acme.Address"}]}"#;
const ORDER_V2: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"to","type":"acme.Address"},{"name":"note","type":"string","default":""}]}"#;

async fn ok(app: &TestApp, subject: &str, body: Value) -> i64 {
    let r = app.register_body(subject, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{subject}: {}", r.text);
    r.body["id"].as_i64().unwrap()
}

/// A registry with references, three formats, a schema under two subjects, a soft-deleted
/// version, a soft-deleted subject, a hard-deleted schema (an id gap), subject and global
/// configs and a subject mode.
async fn populated() -> TestApp {
    let app = spawn_app().await;
    ok(&app, "scratch", json!({"schema": r#"{"type":"string"}"#})).await;
    app.delete("/subjects/scratch").await;
    let gone = app.delete("/subjects/scratch?permanent=true").await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text);
    ok(&app, "address", json!({"schema": ADDRESS})).await;
    let refs = json!([{"name": "acme.Address", "subject": "address", "version": 1}]);
    ok(
        &app,
        "orders-value",
        json!({"schema": ORDER_V1, "references": refs}),
    )
    .await;
    ok(
        &app,
        "orders-value",
        json!({"schema": ORDER_V2, "references": refs}),
    )
    .await;
    ok(&app, "address-copy", json!({"schema": ADDRESS})).await;
    ok(
        &app,
        "payments-value",
        json!({"schemaType": "PROTOBUF",
               "schema": "syntax = \"proto3\";\nmessage Payment {\n  string id = 1;\n}\n"}),
    )
    .await;
    app.set_level(Some("customer"), "NONE").await;
    for t in ["string", "integer", "boolean"] {
        ok(
            &app,
            "customer",
            json!({"schemaType": "JSON",
                   "schema": json!({"type": "object", "properties": {"age": {"type": t}}}).to_string()}),
        )
        .await;
    }
    app.delete("/subjects/customer/versions/2").await;
    ok(&app, "legacy", json!({"schema": r#"{"type":"long"}"#})).await;
    ok(
        &app,
        "contracts-value",
        json!({"schema": r#"{"type":"int"}"#,
               "metadata": {"properties": {"owner": "payments-team"}},
               "ruleSet": {"domainRules": [{"name": "positive", "kind": "CONDITION",
                                            "type": "CEL", "expr": "message > 0"}]}}),
    )
    .await;
    app.delete("/subjects/legacy").await;
    app.set_level(None, "FORWARD").await;
    app.set_level(Some("orders-value"), "FULL_TRANSITIVE").await;
    // Config fields beyond the level: metadata defaults and a validation switch.
    let extras = app
        .request(
            reqwest::Method::PUT,
            "/config/orders-value",
            Some(&json!({
                "validateFields": true,
                "defaultMetadata": {"properties": {"owner": "team-a"}},
            })),
        )
        .await;
    assert_eq!(extras.status, StatusCode::OK, "{}", extras.text);
    app.set_mode(Some("payments-value"), "READONLY", false)
        .await;
    app
}

fn export(app: &TestApp, dir: &std::path::Path, name: &str) -> String {
    let file = dir.join(name);
    let run = warden_env(
        dir,
        &["export", "--to", file.to_str().unwrap()],
        &[("WARDEN_REGISTRY_URL", &app.address)],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    std::fs::read_to_string(file).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_copies_every_id_version_config_and_mode_and_twice_changes_nothing() {
    let source = populated().await;
    let target = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let exported = export(&source, dir.path(), "source.json");
    let file = dir.path().join("source.json");
    let import = |extra: &[&str]| {
        let mut args = vec!["import", "--from", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let run = warden_env(
            dir.path(),
            &args,
            &[("WARDEN_REGISTRY_URL", &target.address)],
        );
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        run.stdout
    };
    assert!(exported.contains("payments-team"), "metadata is exported");
    let first = import(&["--verify"]);
    assert!(
        first.contains("imported 10 versions (0 already there)"),
        "{first}"
    );
    assert!(first.contains("verified"), "{first}");
    assert_eq!(export(&target, dir.path(), "target.json"), exported);

    // The same answers from both registries, id by id and subject by subject.
    let doc: Value = serde_json::from_str(&exported).unwrap();
    let mut ids: Vec<i64> = Vec::new();
    for s in doc["subjects"].as_array().unwrap() {
        for v in s["versions"].as_array().unwrap() {
            ids.push(v["id"].as_i64().unwrap());
        }
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.first(),
        Some(&2),
        "id 1 was hard-deleted: the gap is kept"
    );
    // `ts` is when a version was registered there, so an imported one has its own.
    let without_ts = |mut body: serde_json::Value| {
        body.as_object_mut().map(|o| o.remove("ts"));
        body
    };
    for id in ids {
        let (a, b) = (
            source.get(&format!("/schemas/ids/{id}")).await,
            target.get(&format!("/schemas/ids/{id}")).await,
        );
        assert_eq!(without_ts(a.body), without_ts(b.body), "schema {id}");
    }
    for path in [
        "/subjects",
        "/subjects?deleted=true",
        "/subjects/customer/versions?deleted=true",
        "/subjects/customer/versions",
        "/subjects/orders-value/versions/2",
        "/subjects/contracts-value/versions/1",
        "/config",
        "/config/orders-value",
        "/mode",
        "/mode/payments-value",
    ] {
        assert_eq!(
            without_ts(source.get(path).await.body),
            without_ts(target.get(path).await.body),
            "{path}"
        );
    }

    let second = import(&[]);
    assert!(
        second.contains("imported 0 versions (10 already there)"),
        "{second}"
    );
    assert_eq!(export(&target, dir.path(), "again.json"), exported);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_from_a_registry_url_copies_it_directly() {
    let source = populated().await;
    let target = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let run = warden_env(
        dir.path(),
        &["import", "--from", &source.address, "--verify"],
        &[("WARDEN_REGISTRY_URL", &target.address)],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        export(&target, dir.path(), "target.json"),
        export(&source, dir.path(), "source.json")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_import_resumes_where_it_stopped() {
    let source = populated().await;
    let target = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let exported = export(&source, dir.path(), "source.json");
    // What an import stopped after the first subjects leaves behind.
    let mut partial: Value = serde_json::from_str(&exported).unwrap();
    partial["subjects"].as_array_mut().unwrap().truncate(2);
    let kept: usize = partial["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["versions"].as_array().unwrap().len())
        .sum();
    std::fs::write(dir.path().join("partial.json"), partial.to_string()).unwrap();
    let env = [("WARDEN_REGISTRY_URL", target.address.as_str())];
    let first = warden_env(dir.path(), &["import", "--from", "partial.json"], &env);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let rest = warden_env(
        dir.path(),
        &["import", "--from", "source.json", "--verify"],
        &env,
    );
    assert_eq!(rest.code, 0, "{}{}", rest.stdout, rest.stderr);
    assert!(
        rest.stdout.contains(&format!(
            "imported {} versions ({kept} already there)",
            10 - kept
        )),
        "{}",
        rest.stdout
    );
    assert_eq!(export(&target, dir.path(), "target.json"), exported);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_that_would_change_an_existing_id_stops_with_one_line() {
    let source = populated().await;
    let target = spawn_app().await;
    // The target already has address version 1, under another id.
    ok(&target, "other", json!({"schema": r#"{"type":"string"}"#})).await;
    ok(&target, "other-2", json!({"schema": r#"{"type":"int"}"#})).await;
    ok(&target, "address", json!({"schema": ADDRESS})).await;
    let dir = tempfile::tempdir().unwrap();
    export(&source, dir.path(), "source.json");
    let run = warden_env(
        dir.path(),
        &["import", "--from", "source.json"],
        &[("WARDEN_REGISTRY_URL", &target.address)],
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the target's address version 1 has id 3, the source's has id 2"),
        "{}",
        run.stderr
    );
    // Found before anything changed.
    assert_eq!(target.get("/mode").await.body["mode"], "READWRITE");
    assert_eq!(
        target.get("/subjects").await.body,
        json!(["address", "other", "other-2"])
    );
}

/// Subjects of every context travel with their context's ids: the same schema in two
/// contexts keeps its two ids, and each context's counter goes on from them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_keeps_the_subjects_and_ids_of_every_context() {
    let source = spawn_app().await;
    ok(&source, "plain", json!({"schema": ADDRESS})).await;
    ok(&source, "other", json!({"schema": r#""int""#})).await;
    assert_eq!(
        ok(&source, ":.ctx:addr", json!({"schema": ADDRESS})).await,
        1
    );
    let refs = json!([{"name": "acme.Address", "subject": "addr", "version": 1}]);
    let order = ok(
        &source,
        ":.ctx:orders",
        json!({"schema": ORDER_V1, "references": refs}),
    )
    .await;
    assert_eq!(order, 2);
    // Configs and modes of the context's scope and of `:.__GLOBAL:` travel too.
    source.set_level(Some(":.ctx:"), "FULL").await;
    source.set_mode(Some(":.ctx:"), "READWRITE", false).await;
    source.set_level(Some(":.__GLOBAL:"), "NONE").await;
    let target = spawn_app().await;
    // A mode the source does not have is removed (this one would refuse registrations in
    // contexts if the import did not open each subject it writes).
    target
        .set_mode(Some(":.__GLOBAL:"), "READONLY", false)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let exported = export(&source, dir.path(), "source.json");
    let file = dir.path().join("source.json");
    let run = warden_env(
        dir.path(),
        &["import", "--from", file.to_str().unwrap(), "--verify"],
        &[("WARDEN_REGISTRY_URL", &target.address)],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(export(&target, dir.path(), "target.json"), exported);
    for path in [
        "/subjects",
        "/contexts",
        "/mode/:.ctx:orders?defaultToGlobal=true",
        "/config/:.ctx:",
        "/mode/:.ctx:",
        "/config/:.__GLOBAL:",
        "/mode/:.__GLOBAL:",
        "/config/:.ctx:orders?defaultToGlobal=true",
    ] {
        assert_eq!(
            source.get(path).await.body,
            target.get(path).await.body,
            "{path}"
        );
    }
    // By id, in the context (registration times differ between the two registries).
    for path in [
        "/schemas/ids/2?subject=:.ctx:orders",
        "/schemas/ids/1?subject=:.ctx:",
        "/subjects/:.ctx:orders/versions/1",
    ] {
        let (a, b) = (source.get(path).await.body, target.get(path).await.body);
        for field in ["schema", "references", "subject", "version", "id"] {
            assert_eq!(a[field], b[field], "{path} {field}");
        }
    }
    assert_eq!(
        exported.matches("\"scope\": \":.ctx:\"").count(),
        1,
        "{exported}"
    );
    assert_eq!(target.get("/mode/:.__GLOBAL:").await.error_code(), 40409);
    // The context's own mode was only for the import.
    assert_eq!(target.get("/mode/:.ctx:orders").await.error_code(), 40409);
    let next = ok(&target, ":.ctx:more", json!({"schema": r#""string""#})).await;
    assert_eq!(next, 3, "the context's ids go on from the imported ones");
}
