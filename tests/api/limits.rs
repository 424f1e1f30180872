//! Bounded work per request (issue 13): schemas over the size limits are refused with
//! Confluent's 42201 body; within raised limits the pathological changes (an enum of 100,000
//! symbols, a union of 20,000 branches) answer with the right verdict and bounded memory;
//! heavy checks run off the async workers, so `/health/live` answers while they run, and
//! stop at the request timeout, freeing their slots.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use warden_testkit::{TestApp, spawn_app, spawn_app_with};

/// The bound on this test process's peak resident set (the server runs in-process). Before
/// the checkers were made near-linear, the 20,000-branch union alone grew to 7 GB.
const RSS_BOUND_BYTES: u64 = 1 << 30;

/// How long `/health/live` may take while heavy checks run: generous, since the machine
/// running the tests may be loaded; before the checks left the async workers it took 20 s.
const LIVENESS_MARGIN: Duration = Duration::from_secs(5);

/// A record with one enum field of `n` symbols; `changed` renames the last one.
fn enum_record(n: usize, changed: bool) -> String {
    let symbols: Vec<String> = (0..n)
        .map(|i| match changed && i + 1 == n {
            true => "\"CHANGED\"".to_owned(),
            false => format!("\"S{i}\""),
        })
        .collect();
    format!(
        r#"{{"type":"record","name":"R","fields":[{{"name":"e","type":{{"type":"enum","name":"E","symbols":[{}]}}}}]}}"#,
        symbols.join(",")
    )
}

/// A record with one field, a union of `null` and `n` distinct `fixed` types.
fn union_record(n: usize) -> String {
    let branches: Vec<String> = std::iter::once("\"null\"".to_owned())
        .chain((0..n).map(|i| format!(r#"{{"type":"fixed","name":"F{i}","size":16}}"#)))
        .collect();
    format!(
        r#"{{"type":"record","name":"R","fields":[{{"name":"u","type":[{}]}}]}}"#,
        branches.join(",")
    )
}

/// An `allOf` of `n` objects with one integer property each; `changed` makes the last a
/// string.
fn all_of(n: usize, changed: bool) -> String {
    let entries: Vec<String> = (0..n)
        .map(|i| {
            let t = if changed && i + 1 == n {
                "string"
            } else {
                "integer"
            };
            format!(r#"{{"type":"object","properties":{{"p{i}":{{"type":"{t}"}}}}}}"#)
        })
        .collect();
    format!(r#"{{"allOf":[{}]}}"#, entries.join(","))
}

fn json_schema(schema: &str) -> Value {
    json!({"schema": schema, "schemaType": "JSON"})
}

/// `POST /compatibility/subjects/{subject}/versions/latest?verbose=true` with a full body.
async fn check_body(
    app: &TestApp,
    subject: &str,
    body: &Value,
    verbose: bool,
) -> warden_testkit::Reply {
    app.request(
        reqwest::Method::POST,
        &format!("/compatibility/subjects/{subject}/versions/latest?verbose={verbose}"),
        Some(body),
    )
    .await
}

/// This process's peak resident set, from `/proc/self/status` (`VmHWM`), in bytes.
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM in kB");
    kb * 1024
}

fn assert_rss_bounded(what: &str) {
    let peak = peak_rss_bytes();
    assert!(
        peak < RSS_BOUND_BYTES,
        "{what}: peak RSS {} MiB, over the bound of {} MiB",
        peak >> 20,
        RSS_BOUND_BYTES >> 20
    );
}

/// Confluent's 42201 body with `message`.
fn invalid_schema(message: &str) -> Value {
    json!({"error_code": 42201, "message": message})
}

#[tokio::test]
async fn schemas_over_the_default_limits_are_refused_with_42201_naming_the_limit_and_its_flag() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"schema": enum_record(100_000, true)}),
            "Invalid schema: the enum at '/fields/0/type' has 100000 symbols, more than the \
             limit of 50000 (max_enum_symbols); raise the limit with --max-enum-symbols or \
             WARDEN_MAX_ENUM_SYMBOLS",
        ),
        (
            json!({"schema": union_record(20_000)}),
            "Invalid schema: the union at '/fields/0/type' has 20001 branches, more than the \
             limit of 1000 (max_union_branches); raise the limit with --max-union-branches \
             or WARDEN_MAX_UNION_BRANCHES",
        ),
        (
            json_schema(&all_of(10_000, true)),
            "Invalid schema: allOf at '/allOf' has 10000 entries, more than the limit of 1000 \
             (max_union_branches); raise the limit with --max-union-branches or \
             WARDEN_MAX_UNION_BRANCHES",
        ),
    ];
    for (body, message) in cases {
        let registered = app.register_body("big-value", &body).await;
        assert_eq!(
            registered.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "register: {}",
            registered.text
        );
        assert_eq!(registered.body, invalid_schema(message), "register");
        // A compatibility test and a lookup are held to the same limits.
        app.register_ok("big-value", r#""string""#).await;
        let checked = check_body(&app, "big-value", &body, false).await;
        assert_eq!(
            checked.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            checked.text
        );
        assert_eq!(checked.body, invalid_schema(message), "compatibility test");
        // With `verbose=true` an invalid schema is incompatible, the reason its message, as
        // Confluent's CompatibilityResource answers.
        let verbose = check_body(&app, "big-value", &body, true).await;
        assert_eq!(
            (verbose.status, &verbose.body),
            (
                StatusCode::OK,
                &json!({"is_compatible": false, "messages": [message]})
            ),
            "verbose compatibility test"
        );
        let looked_up = app
            .request(reqwest::Method::POST, "/subjects/big-value", Some(&body))
            .await;
        assert_eq!(looked_up.body, invalid_schema(message), "lookup");
    }
    let versions = app.get("/subjects/big-value/versions").await;
    assert_eq!(
        versions.body,
        json!([1]),
        "nothing over a limit was written"
    );
    assert_rss_bounded("refusals");
}

#[tokio::test]
async fn a_limit_raised_by_its_setting_lets_a_schema_in_and_a_lowered_one_refuses_it() {
    let app = spawn_app_with(|s| {
        s.max_enum_symbols = 3;
        s.max_fields = 1;
    })
    .await;
    let three = r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#;
    app.register_ok("small-value", three).await;
    let four = r#"{"type":"enum","name":"E","symbols":["A","B","C","D"]}"#;
    let refused = app.register("small-value", four).await;
    assert_eq!(
        refused.body,
        invalid_schema(
            "Invalid schema: the enum at '/' has 4 symbols, more than the limit of 3 \
             (max_enum_symbols); raise the limit with --max-enum-symbols or \
             WARDEN_MAX_ENUM_SYMBOLS"
        )
    );
    let proto = json!({
        "schemaType": "PROTOBUF",
        "schema": "syntax = \"proto3\"; package p; message M { int32 a = 1; int32 b = 2; }",
    });
    let refused = app.register_body("proto-value", &proto).await;
    assert_eq!(
        refused.body,
        invalid_schema(
            "Invalid schema: the message at 'p.M' has 2 fields, more than the limit of 1 \
             (max_fields); raise the limit with --max-fields or WARDEN_MAX_FIELDS"
        )
    );
}

#[tokio::test]
async fn a_100000_symbol_enum_change_answers_within_raised_limits_with_bounded_memory() {
    let app = spawn_app_with(|s| s.max_enum_symbols = 100_000).await;
    app.register_ok("enum-value", &enum_record(100_000, false))
        .await;
    let changed = enum_record(100_000, true);
    let checked = app.check("enum-value", Some("latest"), &changed).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    assert_eq!(checked.body["is_compatible"], false, "{}", checked.text);
    let first = checked.body["messages"][0].as_str().unwrap_or_default();
    assert!(
        first.starts_with(
            "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum \
             symbols '[S99999]' at path '/fields/0/type/symbols' in the old schema'"
        ),
        "{first}"
    );
    let registered = app.register("enum-value", &changed).await;
    assert_eq!(
        registered.status,
        StatusCode::CONFLICT,
        "{}",
        registered.text
    );
    assert_rss_bounded("100,000-symbol enum");
}

#[tokio::test]
async fn a_20000_branch_union_change_answers_within_raised_limits_with_bounded_memory() {
    let app = spawn_app_with(|s| s.max_union_branches = 20_001).await;
    app.register_ok("union-value", &union_record(19_999)).await;
    // One more branch: the new schema reads everything the old one wrote.
    let wider = union_record(20_000);
    let checked = app.check("union-value", Some("latest"), &wider).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    assert_eq!(checked.body, json!({"is_compatible": true, "messages": []}));
    app.register_ok("union-value", &wider).await;
    // And back: the old reader lacks the branch the newest writer may use.
    app.set_level(Some("union-value"), "FORWARD").await;
    let narrower = app
        .check("union-value", Some("latest"), &union_record(19_999))
        .await;
    assert_eq!(narrower.body["is_compatible"], true, "{}", narrower.text);
    app.set_level(Some("union-value"), "BACKWARD").await;
    let narrower = app
        .check("union-value", Some("latest"), &union_record(19_999))
        .await;
    assert_eq!(narrower.body["is_compatible"], false, "{}", narrower.text);
    let first = narrower.body["messages"][0].as_str().unwrap_or_default();
    assert!(
        first.contains("MISSING_UNION_BRANCH") && first.contains("'/fields/0/type/20000'"),
        "{first}"
    );
    assert_rss_bounded("20,000-branch union");
}

#[tokio::test]
async fn health_answers_while_two_heavy_checks_run_and_the_checks_stop_at_the_request_timeout() {
    // allOf pairs every entry of one side with every entry of the other (Confluent's rule):
    // 3,000 entries make a check far longer than the timeout.
    let app = spawn_app_with(|s| {
        s.max_union_branches = 3_000;
        s.request_timeout_secs = 4;
        s.max_concurrent_checks = 2;
    })
    .await;
    for subject in ["heavy-a", "heavy-b"] {
        let r = app
            .register_body(subject, &json_schema(&all_of(3_000, false)))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let changed = json_schema(&all_of(3_000, true));
    let started = Instant::now();
    let heavy = futures::future::join(
        check_body(&app, "heavy-a", &changed, true),
        app.register_body("heavy-b", &changed),
    );
    let probe = async {
        let mut slowest = Duration::ZERO;
        let mut answered = 0;
        while started.elapsed() < Duration::from_secs(3) {
            let asked = Instant::now();
            let live = app.get("/health/live").await;
            slowest = slowest.max(asked.elapsed());
            assert_eq!(live.status, StatusCode::OK, "{}", live.text);
            answered += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (slowest, answered)
    };
    let ((checked, registered), (slowest, answered)) = futures::future::join(heavy, probe).await;
    assert!(
        slowest < LIVENESS_MARGIN,
        "/health/live took {slowest:?} while two checks ran ({answered} answers)"
    );
    for (what, reply) in [("check", &checked), ("registration", &registered)] {
        assert_eq!(
            reply.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{what}: {}",
            reply.text
        );
        assert_eq!(
            reply.body,
            json!({"error_code": 50002, "message": "The request did not finish within 4000 ms"}),
            "{what}"
        );
    }
    // The stopped checks gave their slots back, and the registration wrote nothing.
    let asked = Instant::now();
    let small = app.check("heavy-b", Some("1"), r#""string""#).await;
    assert!(
        small.status == StatusCode::OK || small.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        small.text
    );
    let small = app
        .register_body("light", &json!({"schema": r#""string""#}))
        .await;
    assert_eq!(small.status, StatusCode::OK, "{}", small.text);
    assert!(
        asked.elapsed() < LIVENESS_MARGIN,
        "work after the timeout waited {:?} for a slot",
        asked.elapsed()
    );
    let versions = app.get("/subjects/heavy-b/versions").await;
    assert_eq!(
        versions.body,
        json!([1]),
        "the timed-out registration wrote nothing"
    );
    assert_rss_bounded("heavy checks");
}

#[tokio::test]
async fn a_json_schema_all_of_of_10000_entries_is_refused_and_a_smaller_one_answers() {
    let app = spawn_app().await;
    let big = app
        .register_body("allof-value", &json_schema(&all_of(10_000, false)))
        .await;
    assert_eq!(big.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", big.text);
    assert_eq!(big.error_code(), 42201, "{}", big.text);
    let small = app
        .register_body("allof-value", &json_schema(&all_of(200, false)))
        .await;
    assert_eq!(small.status, StatusCode::OK, "{}", small.text);
    let checked = check_body(&app, "allof-value", &json_schema(&all_of(200, true)), true).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    assert_eq!(checked.body["is_compatible"], false, "{}", checked.text);
    assert_rss_bounded("allOf");
}

/// A record named `name` with a doc of `doc_bytes` bytes.
fn sized_record(name: &str, doc_bytes: usize) -> String {
    format!(
        r#"{{"type":"record","name":"{name}","doc":"{}","fields":[{{"name":"a","type":"int"}}]}}"#,
        "d".repeat(doc_bytes)
    )
}

#[tokio::test]
async fn registrations_over_the_size_reference_and_version_limits_are_refused() {
    let app = spawn_app_with(|s| {
        s.max_schema_bytes = 2048;
        s.max_references = 2;
        s.max_versions_per_subject = 3;
    })
    .await;
    app.set_level(None, "NONE").await;

    // Larger than the registry stores: Confluent's 42209 and message; nothing written.
    let r = app.register("big", &sized_record("Big", 3000)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_code(), 42209, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Register operation failed because schema is too large"
    );
    assert_eq!(
        app.get("/subjects/big/versions").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.register("big", &sized_record("Big", 1500)).await.status,
        StatusCode::OK
    );

    // More references than the limit: 42201 naming the limit, before any is resolved.
    let refs: Vec<Value> = (0..3)
        .map(|i| json!({"name": format!("R{i}"), "subject": format!("r{i}"), "version": 1}))
        .collect();
    let r = app
        .register_body(
            "refs",
            &json!({"schema": sized_record("Refs", 0), "references": refs}),
        )
        .await;
    assert_eq!(r.error_code(), 42201, "{}", r.text);
    assert!(r.text.contains("max_references"), "{}", r.text);

    // Three versions are the limit; the schema of one of them is still answered its id.
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            app.register_ok("v", &sized_record(&format!("V{i}"), 0))
                .await,
        );
    }
    let r = app.register("v", &sized_record("V3", 0)).await;
    assert_eq!(r.error_code(), 42201, "{}", r.text);
    assert!(r.text.contains("max_versions_per_subject"), "{}", r.text);
    assert_eq!(app.register_ok("v", &sized_record("V0", 0)).await, ids[0]);
    // A soft-deleted version still counts; one deleted for good frees its place.
    assert_eq!(
        app.delete("/subjects/v/versions/3").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.register("v", &sized_record("V3", 0)).await.error_code(),
        42201
    );
    let hard = app.delete("/subjects/v/versions/3?permanent=true").await;
    assert_eq!(hard.status, StatusCode::OK, "{}", hard.text);
    let r = app.register("v", &sized_record("V3", 0)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.get("/subjects/v/versions").await.body, json!([1, 2, 3]));
}
