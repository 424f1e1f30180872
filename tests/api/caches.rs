//! The caches stay within their byte budgets whatever clients send: many distinct large
//! requests do not grow them past the budget, and one request heavier than a cache's
//! per-entry share is not cached at all.

use warden_testkit::{Reply, TestApp, spawn_app_with};

use crate::record;

const KIB: u64 = 1024;

/// A distinct record schema of about `doc_bytes` bytes (the size is in its doc).
fn large_schema(i: usize, doc_bytes: usize) -> String {
    let doc = format!("{i}-{}", "d".repeat(doc_bytes));
    format!(
        r#"{{"type":"record","name":"R","namespace":"com.acme","doc":"{doc}","fields":[{{"name":"a","type":"int"}}]}}"#
    )
}

/// The value of the metric line `name` in the Prometheus text, 0 when absent.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.get("/metrics").await.text;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0, |v| v.parse().expect("a number"))
}

/// `POST /compatibility/subjects/outer/versions/latest` of `body` (a schema with its
/// references): the subject every reference test checks against.
async fn check_outer(app: &TestApp, body: &serde_json::Value) -> Reply {
    app.request(
        reqwest::Method::POST,
        "/compatibility/subjects/outer/versions/latest",
        Some(body),
    )
    .await
}

/// Deletes `subject` soft, then hard (Confluent requires both steps).
async fn hard_delete(app: &TestApp, subject: &str) {
    for path in [
        format!("/subjects/{subject}"),
        format!("/subjects/{subject}?permanent=true"),
    ] {
        let r = app.delete(&path).await;
        assert_eq!(r.status.as_u16(), 200, "DELETE {path}: {}", r.text);
    }
}

fn assert_compatible(r: &Reply, why: &str) {
    assert_eq!(r.status.as_u16(), 200, "{why}: {}", r.text);
    assert_eq!(r.body["is_compatible"], true, "{why}: {}", r.text);
}

#[tokio::test]
async fn many_distinct_large_requests_do_not_grow_the_caches_beyond_their_budgets() {
    let budget = 512 * KIB;
    let app = spawn_app_with(|s| {
        s.cache_schemas_bytes = budget;
        s.cache_parsed_bytes = budget;
        s.cache_requests_bytes = budget;
    })
    .await;
    app.register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    // 40 distinct requests of 20 KiB each: 800 KiB, more than the budget, each under the
    // per-entry share (32 KiB).
    for i in 0..40 {
        let r = app
            .check("s", Some("latest"), &large_schema(i, 20_000))
            .await;
        assert_compatible(&r, "a compatible schema with a long doc");
    }
    let requests = metric(&app, r#"warden_cache_bytes{cache="request"}"#).await;
    assert!(requests <= budget, "{requests} bytes of requests cached");
    assert!(
        requests >= 100 * KIB,
        "requests under the share are cached: {requests} bytes"
    );

    // Registered schemas, read by id and parsed for checks, within their budgets too.
    app.set_level(Some("t"), "NONE").await;
    // 50 schemas of 6 KB: about 620 KiB stored and 1.2 MiB parsed, each under its share.
    for i in 0..50 {
        let id = app.register_ok("t", &large_schema(i, 6_000)).await;
        assert_eq!(app.get(&format!("/schemas/ids/{id}")).await.status, 200);
    }
    app.set_level(Some("t"), "FULL_TRANSITIVE").await;
    let r = app.check("t", None, &large_schema(99, 6_000)).await;
    assert_compatible(&r, "checked against every version");
    let schemas = metric(&app, r#"warden_cache_bytes{cache="schema_by_id"}"#).await;
    let parsed = metric(&app, r#"warden_cache_bytes{cache="parsed"}"#).await;
    assert!(schemas <= budget, "{schemas} bytes of schemas cached");
    assert!(parsed <= budget, "{parsed} bytes of parsed schemas cached");
    assert!(
        schemas > 0 && parsed > 0,
        "{schemas} and {parsed} bytes cached"
    );
}

#[tokio::test]
async fn a_request_heavier_than_its_share_of_the_budget_is_not_cached() {
    let budget = 512 * KIB;
    let app = spawn_app_with(|s| s.cache_requests_bytes = budget).await;
    app.register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    let hits = r#"warden_cache_requests_total{cache="request",result="hit"}"#;

    // Under the share (32 KiB): the second time is a hit.
    let small = large_schema(1, 16_000);
    assert_compatible(&app.check("s", None, &small).await, "first");
    assert_compatible(&app.check("s", None, &small).await, "second");
    assert_eq!(
        metric(&app, hits).await,
        1,
        "a request under its share is cached"
    );

    // A 2 MiB request, sent three times, is parsed every time and never cached.
    let large = large_schema(2, 2 * 1024 * 1024);
    for i in 0..3 {
        assert_compatible(&app.check("s", None, &large).await, &format!("large {i}"));
    }
    assert_eq!(
        metric(&app, hits).await,
        1,
        "a request over its share is not cached"
    );
    let requests = metric(&app, r#"warden_cache_bytes{cache="request"}"#).await;
    assert!(
        requests < 64 * KIB,
        "only the small request is cached: {requests} bytes"
    );
}

/// A schema of `subject` number `i` at version `v`: version `v` has fields `f0..=fv`, each
/// an optional long after the first, so every version is a BACKWARD and FORWARD evolution
/// of the one before.
fn evolving_schema(subject: usize, v: usize) -> String {
    let mut fields = vec![r#"{"name":"f0","type":"long"}"#.to_owned()];
    fields.extend(
        (1..=v).map(|f| format!(r#"{{"name":"f{f}","type":["null","long"],"default":null}}"#)),
    );
    record(&format!("S{subject}"), &format!("[{}]", fields.join(",")))
}

#[tokio::test]
async fn with_a_tiny_cache_budget_ten_thousand_schemas_still_answer_correctly() {
    use futures::StreamExt;
    // Room for a handful of entries per cache: nearly every read misses and evicts.
    let budget = 16 * KIB;
    let app = spawn_app_with(|s| {
        s.cache_schemas_bytes = budget;
        s.cache_parsed_bytes = budget;
        s.cache_requests_bytes = budget;
    })
    .await;
    app.set_level(None, "BACKWARD").await;
    let (subjects, versions) = (1_000, 10);
    // Registered in order within a subject, subjects in parallel.
    let ids: Vec<Vec<i64>> = futures::stream::iter(0..subjects)
        .map(|s| {
            let app = &app;
            async move {
                let mut ids = Vec::with_capacity(versions);
                for v in 0..versions {
                    ids.push(
                        app.register_ok(&format!("sub-{s}"), &evolving_schema(s, v))
                            .await,
                    );
                }
                ids
            }
        })
        .buffered(16)
        .collect()
        .await;
    let all: std::collections::HashSet<i64> = ids.iter().flatten().copied().collect();
    assert_eq!(
        all.len(),
        subjects * versions,
        "every schema has its own id"
    );

    // Every schema read by id is the one registered under it; every version, and the
    // lookup of every schema, answers its own id.
    futures::stream::iter(0..subjects)
        .for_each_concurrent(16, |s| {
            let (app, ids) = (&app, &ids);
            async move {
                let subject = format!("sub-{s}");
                for (v, &id) in ids[s].iter().enumerate() {
                    let want: serde_json::Value =
                        serde_json::from_str(&evolving_schema(s, v)).unwrap();
                    let by_id = app.get(&format!("/schemas/ids/{id}")).await;
                    assert_eq!(by_id.status.as_u16(), 200, "{}", by_id.text);
                    let got: serde_json::Value =
                        serde_json::from_str(by_id.body["schema"].as_str().unwrap()).unwrap();
                    assert_eq!(got, want, "schema {id}");
                    let version = app.version(&subject, &(v + 1).to_string()).await;
                    assert_eq!(version.body["id"], id, "{subject} v{}", v + 1);
                    let found = app.lookup(&subject, &evolving_schema(s, v)).await;
                    assert_eq!(found.body["id"], id, "lookup in {subject}");
                    assert_eq!(found.body["version"], v + 1, "lookup in {subject}");
                }
            }
        })
        .await;

    // Checks against every version parse each again: a breaking change is still found, a
    // compatible one still passes.
    app.set_level(Some("sub-7"), "FULL_TRANSITIVE").await;
    let next = evolving_schema(7, versions);
    assert_compatible(&app.check("sub-7", None, &next).await, "the next evolution");
    let breaking = record("S7", r#"[{"name":"f0","type":"string"}]"#);
    let r = app.check("sub-7", None, &breaking).await;
    assert_eq!(r.body["is_compatible"], false, "{}", r.text);
    let schemas = metric(&app, r#"warden_cache_bytes{cache="schema_by_id"}"#).await;
    let parsed = metric(&app, r#"warden_cache_bytes{cache="parsed"}"#).await;
    assert!(
        schemas <= budget && parsed <= budget,
        "{schemas} and {parsed} bytes cached"
    );
}

/// Lookups and re-registrations answer from the ids they learnt by fingerprint, and a hard
/// delete makes them forget: the schema registered again after it gets a new id, which
/// they then answer, never the deleted one.
#[tokio::test]
async fn after_a_hard_delete_a_schema_registered_again_is_answered_under_its_new_id() {
    let app = warden_testkit::spawn_app().await;
    let a = record("A", r#"[{"name":"a","type":"int"}]"#);
    let first = app.register_ok("s", &a).await;
    assert_eq!(app.lookup("s", &a).await.body["id"], first);
    assert_eq!(app.register_ok("s", &a).await, first);
    assert!(metric(&app, "warden_cache_bytes{cache=\"fingerprint\"}").await > 0);

    hard_delete(&app, "s").await;
    assert_eq!(
        app.get(&format!("/schemas/ids/{first}")).await.error_code(),
        40403
    );

    let again = app.register_ok("t", &a).await;
    assert_ne!(again, first);
    let found = app.lookup("t", &a).await;
    assert_eq!(found.body["id"], again, "{}", found.text);
    assert_eq!(found.body["version"], 1);
    assert_eq!(app.register_ok("t", &a).await, again);
}

/// A compatibility check of a schema sent again reuses its parsed form, but never across a
/// hard delete: once the version it references is deleted and registered again with other
/// content, the same request is checked with the new content.
#[tokio::test]
async fn a_checked_schema_is_parsed_again_when_the_version_it_references_was_replaced() {
    use serde_json::json;
    let app = warden_testkit::spawn_app().await;
    let refs = json!([{"name": "Inner", "subject": "inner", "version": 1}]);
    let with_refs = |schema: &str| json!({"schema": schema, "references": refs});
    let outer = record("Outer", r#"[{"name":"i","type":"Inner"}]"#);
    let register = |subject: &'static str, body: serde_json::Value| {
        let app = &app;
        async move {
            let r = app.register_body(subject, &body).await;
            assert_eq!(r.status.as_u16(), 200, "{subject}: {}", r.text);
        }
    };
    let check = |schema: String| {
        let app = &app;
        let body = with_refs(&schema);
        async move {
            let r = check_outer(app, &body).await;
            assert_eq!(r.status.as_u16(), 200, "{}", r.text);
            r.body["is_compatible"].as_bool().unwrap()
        }
    };
    let candidate = record(
        "Outer",
        r#"[{"name":"i","type":"Inner"},{"name":"b","type":"int","default":0}]"#,
    );

    register(
        "inner",
        json!({"schema": record("Inner", r#"[{"name":"a","type":"int"}]"#)}),
    )
    .await;
    register("outer", with_refs(&outer)).await;
    // The first check parses the request; the second finds it known and keeps its parsed
    // form by fingerprint.
    assert!(check(candidate.clone()).await);
    assert!(check(candidate.clone()).await);

    for subject in ["outer", "inner"] {
        assert_eq!(
            app.delete(&format!("/subjects/{subject}"))
                .await
                .status
                .as_u16(),
            200
        );
        let hard = app
            .delete(&format!("/subjects/{subject}?permanent=true"))
            .await;
        assert_eq!(hard.status.as_u16(), 200, "{}", hard.text);
    }
    register(
        "inner",
        json!({"schema": record("Inner", r#"[{"name":"a","type":"string"}]"#)}),
    )
    .await;
    register("outer", with_refs(&outer)).await;
    // Parsed with the old Inner, the candidate's `a` (an int) could not read the stored
    // version's string: only the new Inner makes it compatible, the first time (parsed
    // again) and the second (known again, its parsed form from the new Inner).
    assert!(check(candidate.clone()).await);
    assert!(check(candidate).await);
}

/// The same holds when IMPORT writes the referenced version again with another schema
/// (no hard delete, no freed id): a request seen before is resolved against the version's
/// new schema, here one that no longer defines the type the request uses.
#[tokio::test]
async fn a_schema_sent_again_resolves_a_version_imported_again_anew() {
    use serde_json::json;
    let app = warden_testkit::spawn_app().await;
    let refs = json!([{"name": "com.acme.Inner", "subject": "inner", "version": 1}]);
    app.register_ok("inner", &record("Inner", r#"[{"name":"a","type":"int"}]"#))
        .await;
    let outer = |fields: &str| json!({"schema": record("Outer", fields), "references": refs});
    let stored = outer(r#"[{"name":"i","type":"Inner"}]"#);
    assert_eq!(
        app.register_body("outer", &stored).await.status.as_u16(),
        200
    );
    let candidate = outer(r#"[{"name":"i","type":"Inner"},{"name":"b","type":"int","default":0}]"#);
    let check = || check_outer(&app, &candidate);
    assert_compatible(&check().await, "first");
    assert_compatible(&check().await, "sent again");
    assert_eq!(
        app.register_body("copy", &candidate).await.status.as_u16(),
        200
    );

    assert_eq!(
        app.set_mode(Some("inner"), "IMPORT", true)
            .await
            .status
            .as_u16(),
        200
    );
    let r = app
        .register_body(
            "inner",
            &json!({"schema": record("Other", r#"[{"name":"a","type":"int"}]"#), "id": 100, "version": 1}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);

    for (what, r) in [
        ("the check", check().await),
        (
            "a registration",
            app.register_body("other", &candidate).await,
        ),
        (
            "a lookup",
            app.request(reqwest::Method::POST, "/subjects/copy", Some(&candidate))
                .await,
        ),
    ] {
        assert_eq!(r.status.as_u16(), 422, "{what}: {}", r.text);
        assert_eq!(r.body["error_code"], 42201, "{what}: {}", r.text);
    }
}

#[tokio::test]
async fn a_check_sent_again_keeps_its_verdict_only_while_the_level_and_versions_do() {
    let app = spawn_app_with(|_| {}).await;
    app.register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    // A new field without a default: BACKWARD fails (the reader cannot fill `b` from old
    // data), FORWARD holds.
    let candidate = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"string"}]"#,
    );
    let hits = r#"warden_cache_requests_total{cache="verdict",result="hit"}"#;

    let first = app.check("s", Some("latest"), &candidate).await;
    let again = app.check("s", Some("latest"), &candidate).await;
    assert_eq!(first.body["is_compatible"], false, "{}", first.text);
    assert_eq!(
        again.body, first.body,
        "the same verdict, messages included"
    );
    assert_eq!(metric(&app, hits).await, 1, "the second check is a hit");

    // Another level is another verdict.
    assert_eq!(
        app.set_level(Some("s"), "FORWARD").await.status.as_u16(),
        200
    );
    assert_compatible(&app.check("s", Some("latest"), &candidate).await, "FORWARD");

    // Another latest version is another verdict: `b` with a default, which the candidate
    // reads back.
    assert_eq!(
        app.set_level(Some("s"), "BACKWARD").await.status.as_u16(),
        200
    );
    app.register_ok(
        "s",
        &record(
            "R",
            r#"[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]"#,
        ),
    )
    .await;
    assert_compatible(
        &app.check("s", Some("latest"), &candidate).await,
        "against the new latest version",
    );
    assert_eq!(metric(&app, hits).await, 1, "neither was a hit");
}

/// A reference names a subject and version, not the schema that version holds: IMPORT can
/// write the version again with another schema, so a check with references is run every
/// time and never answered from a kept verdict.
#[tokio::test]
async fn a_check_with_references_keeps_no_verdict() {
    use serde_json::json;
    let app = spawn_app_with(|_| {}).await;
    let refs = json!([{"name": "Inner", "subject": "inner", "version": 1}]);
    app.register_ok("inner", &record("Inner", r#"[{"name":"a","type":"int"}]"#))
        .await;
    let outer = json!({
        "schema": record("Outer", r#"[{"name":"i","type":"Inner"}]"#),
        "references": refs,
    });
    assert_eq!(
        app.register_body("outer", &outer).await.status.as_u16(),
        200
    );
    let candidate = json!({
        "schema": record(
            "Outer",
            r#"[{"name":"i","type":"Inner"},{"name":"b","type":"int","default":0}]"#,
        ),
        "references": refs,
    });
    for _ in 0..2 {
        let r = check_outer(&app, &candidate).await;
        assert_compatible(&r, "a compatible schema with a reference");
    }
    for result in ["hit", "miss"] {
        let name = format!(r#"warden_cache_requests_total{{cache="verdict",result="{result}"}}"#);
        assert_eq!(
            metric(&app, &name).await,
            0,
            "no verdict looked up ({result})"
        );
    }
}

/// The answer to a schema registered again is rendered once per version and then served
/// as kept bytes: the first answer (rendered), the second (kept) and one rendered afresh
/// (`format` takes the path that renders every time; an unknown one changes nothing) are
/// the same bytes.
#[tokio::test]
async fn a_registration_answered_from_kept_bytes_is_the_fresh_answer() {
    use serde_json::json;
    let app = spawn_app_with(|_| {}).await;
    let schema = record("R", r#"[{"name":"a","type":"int"}]"#);
    app.register_ok("s", &schema).await;
    let body = json!({ "schema": schema });
    let first = app.register_body("s", &body).await;
    let kept = app.register_body("s", &body).await;
    let fresh = app
        .request(
            reqwest::Method::POST,
            "/subjects/s/versions?format=unknown",
            Some(&body),
        )
        .await;
    assert_eq!(first.status.as_u16(), 200, "{}", first.text);
    assert_eq!(kept.text, first.text);
    assert_eq!(fresh.text, first.text);
    assert_eq!(first.body["version"], 1, "{}", first.text);
}

/// Two replicas of one private PostgreSQL database.
struct Replicas {
    a: TestApp,
    b: TestApp,
    /// Last, so that the servers stop before the database.
    _pg: warden_testkit::postgres::TempPostgres,
}

async fn two_postgres_replicas() -> Replicas {
    let pg = tokio::task::spawn_blocking(warden_testkit::postgres::TempPostgres::start)
        .await
        .unwrap();
    let url = pg.url();
    Replicas {
        a: spawn_app_with(|s| s.database_url = url.clone()).await,
        b: spawn_app_with(|s| s.database_url = url).await,
        _pg: pg,
    }
}

/// On PostgreSQL, a replica keeps the versions its own registrations write, so the next
/// registration under the subject reads none from the database; it still learns of the
/// versions another replica writes within the bound, and numbers its next one after them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_replica_keeps_the_versions_it_registers_and_learns_the_others() {
    let Replicas { a, b, .. } = &two_postgres_replicas().await;
    assert_eq!(a.set_level(None, "NONE").await.status.as_u16(), 200);
    let schema = |i: u32| {
        format!(r#"{{"type":"record","name":"R","fields":[{{"name":"f{i}","type":"int"}}]}}"#)
    };
    const MISSES: &str = r#"warden_cache_requests_total{cache="versions",result="miss"}"#;
    a.register_ok("s", &schema(1)).await;
    let before = metric(a, MISSES).await;
    assert!(
        before > 0,
        "the first registration under the subject read its versions"
    );
    for i in 2..=4 {
        a.register_ok("s", &schema(i)).await;
        // Time for this replica's own announcement to come back: it changes nothing here.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        metric(a, MISSES).await,
        before,
        "a registration read the versions its own replica wrote from the database"
    );
    assert_eq!(
        a.get("/subjects/s/versions").await.body,
        serde_json::json!([1, 2, 3, 4])
    );

    b.register_ok("s", &schema(5)).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while a.get("/subjects/s/versions").await.body != serde_json::json!([1, 2, 3, 4, 5]) {
        assert!(
            std::time::Instant::now() < deadline,
            "the other replica's version 5 did not show within the bound"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let id = a.register_ok("s", &schema(6)).await;
    let latest = a.version("s", "latest").await.body;
    assert_eq!(
        (latest["version"].as_i64(), latest["id"].as_i64()),
        (Some(6), Some(id))
    );
}

/// `POST path` of the exact bytes `body`.
async fn post_text(app: &TestApp, path: &str, body: &str) -> Reply {
    app.raw(
        reqwest::Method::POST,
        path,
        Some("application/vnd.schemaregistry.v1+json"),
        body.to_owned(),
    )
    .await
}

#[tokio::test]
async fn a_request_body_read_twice_is_answered_from_memory_afterwards_as_before() {
    let app = spawn_app_with(|_| {}).await;
    let hits = r#"warden_cache_requests_total{cache="request_body",result="hit"}"#;
    let schema = record("R", r#"[{"name":"a","type":"int"}]"#);
    let body = serde_json::json!({ "schema": schema }).to_string();
    // The same bytes under two subjects, one of them in a context: each answer names its
    // own subject and its context's id.
    let bytes = r#"warden_cache_bytes{cache="request_body"}"#;
    let plain = post_text(&app, "/subjects/s/versions", &body).await;
    assert_eq!(plain.status.as_u16(), 200, "{}", plain.text);
    assert_eq!(
        metric(&app, bytes).await,
        0,
        "a body read once is not cached"
    );
    let in_context = post_text(&app, "/subjects/:.ctx:s/versions", &body).await;
    assert_eq!(in_context.status.as_u16(), 200, "{}", in_context.text);
    assert!(metric(&app, bytes).await > 0, "a body read twice is cached");
    assert_eq!(metric(&app, hits).await, 0, "the second reading was one");
    for (subject, registered) in [("s", &plain), (":.ctx:s", &in_context)] {
        let first = post_text(&app, &format!("/subjects/{subject}"), &body).await;
        let again = post_text(&app, &format!("/subjects/{subject}"), &body).await;
        assert_eq!(first.status.as_u16(), 200, "{}", first.text);
        assert_eq!(first.text, again.text, "the same answer twice");
        assert_eq!(first.body["subject"], subject, "{}", first.text);
        assert_eq!(first.body["id"], registered.body["id"], "{}", first.text);
    }
    assert_eq!(metric(&app, hits).await, 4, "every lookup was a hit");

    // Other bytes of the same request are read, and answer the same.
    let spaced = format!(" {body}\n");
    let r = post_text(&app, "/subjects/s", &spaced).await;
    assert_eq!(r.body["id"], plain.body["id"], "{}", r.text);
    assert_eq!(metric(&app, hits).await, 4, "other bytes are not a hit");

    // A body refused after reading is refused every time, and never cached.
    let unknown_type = serde_json::json!({ "schema": schema, "schemaType": "XML" }).to_string();
    for _ in 0..2 {
        let r = post_text(&app, "/subjects/s/versions", &unknown_type).await;
        assert_eq!(r.status.as_u16(), 422, "{}", r.text);
        assert_eq!(r.body["error_code"], 42201, "{}", r.text);
    }
    // And the subject's error still comes first on a lookup, cached body or not.
    for sent in [&body, &unknown_type] {
        let r = post_text(&app, "/subjects/a%0Ab", sent).await;
        assert_eq!(r.body["error_code"], 42208, "{}", r.text);
    }
    assert_eq!(
        metric(&app, hits).await,
        5,
        "only the cached body was a hit"
    );
}

const ANSWER_HITS: &str = r#"warden_cache_requests_total{cache="answer",result="hit"}"#;

/// `request`, never sent before, sent three times: the answers are equal, and only the
/// third comes from memory.
async fn answered_from_memory(app: &TestApp, request: impl AsyncFn() -> Reply) -> Reply {
    let before = metric(app, ANSWER_HITS).await;
    let first = request().await;
    let second = request().await;
    assert_eq!(
        metric(app, ANSWER_HITS).await,
        before,
        "an answer is kept the second time its request comes, not served before"
    );
    let third = request().await;
    assert_eq!(
        metric(app, ANSWER_HITS).await,
        before + 1,
        "the third request was answered from memory"
    );
    for r in [&second, &third] {
        assert_eq!(
            (r.status, &r.text),
            (first.status, &first.text),
            "the same answer"
        );
    }
    third
}

#[tokio::test]
async fn a_request_answered_from_memory_is_answered_anew_once_what_it_rests_on_changes() {
    let app = spawn_app_with(|_| {}).await;
    let v1 = record("R", r#"[{"name":"a","type":"int"}]"#);
    // Registered from other bytes than `app.register`'s, which come three times below.
    let spaced = format!(" {}", serde_json::json!({ "schema": v1 }));
    let first = post_text(&app, "/subjects/s/versions", &spaced).await;
    let id = first.body["id"].as_i64().expect(&first.text);
    // A new field without a default: BACKWARD refuses it, NONE does not.
    let v2 = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"string"}]"#,
    );
    let existing = r#"warden_registrations_total{outcome="existing"}"#;

    let found = answered_from_memory(&app, || app.lookup("s", &v1)).await;
    assert_eq!(found.body["id"], id, "{}", found.text);
    let before = metric(&app, existing).await;
    let again = answered_from_memory(&app, || app.register("s", &v1)).await;
    assert_eq!(again.body["id"], id, "{}", again.text);
    assert_eq!(
        metric(&app, existing).await,
        before + 3,
        "a registration answered from memory counts as one that found its schema"
    );
    let refused = answered_from_memory(&app, || app.check("s", None, &v2)).await;
    assert_eq!(refused.body["is_compatible"], false, "{}", refused.text);
    let latest = answered_from_memory(&app, || app.check("s", Some("latest"), &v2)).await;
    assert_eq!(latest.body["is_compatible"], false, "{}", latest.text);
    // The same body under another subject is another request.
    assert_eq!(app.lookup("t", &v1).await.error_code(), 40401);
    let hits = metric(&app, ANSWER_HITS).await;

    // A config changes the verdicts.
    assert_eq!(app.set_level(Some("s"), "NONE").await.status.as_u16(), 200);
    assert_compatible(&app.check("s", None, &v2).await, "all versions under NONE");
    assert_compatible(
        &app.check("s", Some("latest"), &v2).await,
        "latest under NONE",
    );
    // A mode refuses the registration.
    let mode = |m| app.set_mode(Some("s"), m, false);
    assert_eq!(mode("READONLY").await.status.as_u16(), 200);
    assert_eq!(app.register("s", &v1).await.error_code(), 42205);
    assert_eq!(mode("READWRITE").await.status.as_u16(), 200);
    // A soft delete of the version that has the schema: the lookup finds none.
    app.register_ok("s", &v2).await;
    assert_eq!(
        app.delete("/subjects/s/versions/1").await.status.as_u16(),
        200
    );
    assert_eq!(app.lookup("s", &v1).await.error_code(), 40403);
    assert_eq!(
        metric(&app, ANSWER_HITS).await,
        hits,
        "nothing was answered from memory after a change"
    );
    // Registered again, it is a new version, found by the same lookup from then on.
    let r = app.register("s", &v1).await;
    assert_eq!(r.body["id"], id, "{}", r.text);
    for _ in 0..2 {
        let r = app.lookup("s", &v1).await;
        assert_eq!(r.body["version"], 3, "{}", r.text);
    }
    assert_eq!(
        metric(&app, ANSWER_HITS).await,
        hits + 1,
        "the lookup's new answer is served from memory in turn"
    );
    // A change elsewhere: the same request is answered anew once, the same, and from
    // memory again from then on.
    app.register_ok("other", &v2).await;
    for _ in 0..3 {
        let r = app.lookup("s", &v1).await;
        assert_eq!(r.body["version"], 3, "{}", r.text);
    }
    assert_eq!(metric(&app, ANSWER_HITS).await, hits + 3);
}

#[tokio::test]
async fn a_read_answered_from_memory_follows_new_versions_and_deletes() {
    let app = spawn_app_with(|_| {}).await;
    let v1 = record("R", r#"[{"name":"a","type":"int"}]"#);
    let v2 = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"int","default":0}]"#,
    );
    let id1 = app.register_ok("s", &v1).await;
    let latest = || app.get("/subjects/s/versions/latest");
    let r = answered_from_memory(&app, latest).await;
    assert_eq!(
        (r.body["version"].as_i64(), r.body["id"].as_i64()),
        (Some(1), Some(id1))
    );
    assert_eq!(r.body["schema"], v1, "{}", r.text);
    let r = answered_from_memory(&app, || app.get("/subjects/s/versions/1")).await;
    assert_eq!(r.body["version"], 1, "{}", r.text);
    let hits = metric(&app, ANSWER_HITS).await;

    // A new version: latest names it at once.
    let id2 = app.register_ok("s", &v2).await;
    let r = latest().await;
    assert_eq!(
        (r.body["version"].as_i64(), r.body["id"].as_i64()),
        (Some(2), Some(id2))
    );
    // Soft-deleted, it is no longer latest, and its number alone finds it no more.
    assert_eq!(
        app.delete("/subjects/s/versions/2").await.status.as_u16(),
        200
    );
    assert_eq!(latest().await.body["version"], 1);
    assert_eq!(app.get("/subjects/s/versions/2").await.error_code(), 40402);
    assert_eq!(
        metric(&app, ANSWER_HITS).await,
        hits,
        "nothing was answered from memory after a change"
    );
    // Answered from memory again once nothing changes.
    latest().await;
    assert_eq!(metric(&app, ANSWER_HITS).await, hits + 1);
    // The query is part of the request: with `deleted`, the soft-deleted version is
    // found, and that answer is not served to the same path without it.
    let deleted =
        answered_from_memory(&app, || app.get("/subjects/s/versions/2?deleted=true")).await;
    assert_eq!(deleted.body["version"], 2, "{}", deleted.text);
    assert_eq!(app.get("/subjects/s/versions/2").await.error_code(), 40402);
    // Hard-deleted, no version and no id is found any more, even with `deleted`.
    hard_delete(&app, "s").await;
    assert_eq!(
        app.get("/subjects/s/versions/2?deleted=true")
            .await
            .error_code(),
        40401
    );
    assert_eq!(latest().await.error_code(), 40401);
    assert_eq!(
        app.get(&format!("/schemas/ids/{id1}")).await.error_code(),
        40403
    );
}

/// A schema read by id is answered from memory, and anew once its versions change: a soft
/// delete of its one version shows `deleted` at once, and the new answer is served from
/// memory from its next request on.
#[tokio::test]
async fn a_schema_read_by_id_from_memory_follows_the_deletes_of_its_versions() {
    let app = spawn_app_with(|_| {}).await;
    let id = app
        .register_ok("s", &record("R", r#"[{"name":"a","type":"int"}]"#))
        .await;
    let path = format!("/schemas/ids/{id}");
    let by_id = || app.get(&path);
    let r = answered_from_memory(&app, by_id).await;
    assert_eq!(r.body["deleted"], false, "{}", r.text);
    let hits = metric(&app, ANSWER_HITS).await;

    assert_eq!(
        app.delete("/subjects/s/versions/1").await.status.as_u16(),
        200
    );
    let r = by_id().await;
    assert_eq!(r.body["deleted"], true, "{}", r.text);
    assert_eq!(
        metric(&app, ANSWER_HITS).await,
        hits,
        "nothing was answered from memory after a change"
    );
    for _ in 0..2 {
        let r = by_id().await;
        assert_eq!(r.body["deleted"], true, "{}", r.text);
    }
    assert_eq!(
        metric(&app, ANSWER_HITS).await,
        hits + 2,
        "the new answer replaced the one kept before, and is served from memory in turn"
    );
}

/// What one replica resolved through a reference is resolved anew when another replica's
/// IMPORT writes the referenced version again with another schema (as on one process,
/// `a_schema_sent_again_resolves_a_version_imported_again_anew`): the overwrite reaches the
/// other replicas as more than a change of the referenced subject's versions, and they
/// parse the stored versions that reference it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_replica_resolves_anew_a_version_another_replica_imported_again() {
    use serde_json::json;
    let Replicas { a, b, .. } = &two_postgres_replicas().await;
    let inner = |a_type: &str| record("Inner", &format!(r#"[{{"name":"a","type":"{a_type}"}}]"#));
    a.register_ok("inner", &inner("int")).await;
    let refs = json!([{"name": "com.acme.Inner", "subject": "inner", "version": 1}]);
    let stored =
        json!({"schema": record("Outer", r#"[{"name":"i","type":"Inner"}]"#), "references": refs});
    assert_eq!(a.register_body("outer", &stored).await.status.as_u16(), 200);
    // The same Outer with Inner written out (no references). Replica b checks it against
    // the stored version as b parsed it, through the reference, and keeps that parse.
    let inline = json!({"schema": record(
        "Outer",
        r#"[{"name":"i","type":{"type":"record","name":"Inner","fields":[{"name":"a","type":"int"}]}}]"#,
    )});
    eventually(|| check_outer(b, &inline), |r| r.status.as_u16() == 200).await;
    assert_compatible(&check_outer(b, &inline).await, "sent again to b");

    assert_eq!(
        a.set_mode(Some("inner"), "IMPORT", true)
            .await
            .status
            .as_u16(),
        200
    );
    let r = a
        .register_body(
            "inner",
            &json!({"schema": inner("string"), "id": 100, "version": 1}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);

    // The stored Outer's `a` is a string now: the inline Outer's int cannot read it
    // (BACKWARD), on b as on a.
    assert_eq!(check_outer(a, &inline).await.body["is_compatible"], false);
    eventually(
        || check_outer(b, &inline),
        |r| r.body["is_compatible"] == false,
    )
    .await;
    let r = b.register_body("outer", &inline).await;
    assert_eq!(r.status.as_u16(), 409, "{}", r.text);
}

/// Polls `request` until `done` holds of its answer, for at most the replicas' bound.
async fn eventually(request: impl AsyncFn() -> Reply, done: impl Fn(&Reply) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let r = request().await;
        if done(&r) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the replica still answers what it kept: {}",
            r.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_replica_answers_anew_what_another_replica_changed() {
    let Replicas { a, b, .. } = &two_postgres_replicas().await;
    let v1 = record("R", r#"[{"name":"a","type":"int"}]"#);
    let v2 = record(
        "R",
        r#"[{"name":"a","type":"int"},{"name":"b","type":"string"}]"#,
    );
    a.register_ok("s", &v1).await;
    // b learns of the registration from its announcement, which moves b's changes: past
    // the change log's one-second bound, no announcement of it is still to come.
    eventually(
        || b.get("/subjects/s/versions"),
        |r| r.body == serde_json::json!([1]),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let found = answered_from_memory(b, || b.lookup("s", &v1)).await;
    assert_eq!(found.body["version"], 1, "{}", found.text);
    let refused = answered_from_memory(b, || b.check("s", None, &v2)).await;
    assert_eq!(refused.body["is_compatible"], false, "{}", refused.text);
    let latest = || b.get("/subjects/s/versions/latest");
    let read = answered_from_memory(b, latest).await;
    assert_eq!(read.body["version"], 1, "{}", read.text);

    // Replica a changes the level: b's verdict follows.
    assert_eq!(a.set_level(Some("s"), "NONE").await.status.as_u16(), 200);
    eventually(
        || b.check("s", None, &v2),
        |r| r.body["is_compatible"] == true,
    )
    .await;
    // Replica a registers v2 and soft-deletes version 1: b's lookup finds none.
    a.register_ok("s", &v2).await;
    assert_eq!(
        a.delete("/subjects/s/versions/1").await.status.as_u16(),
        200
    );
    eventually(|| b.lookup("s", &v1), |r| r.status.as_u16() == 404).await;
    assert_eq!(b.lookup("s", &v1).await.error_code(), 40403);
    eventually(latest, |r| r.body["version"] == 2).await;
}
