//! `warden diff`: offline between two files, and against a spawned registry between two
//! versions of a subject; both print each change with its rule and the verdict per level,
//! coloured only on request (`CLICOLOR_FORCE`).

mod support;

use support::{Repo, warden, warden_env};
use warden_testkit::spawn_app;

const V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
const V2: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"email","type":["null","string"],"default":null}]}"#;

#[test]
fn offline_diff_of_two_files_names_the_breaking_field_and_rule() {
    let repo = Repo::new();
    repo.write("v1.avsc", V1);
    repo.write("v2.avsc", V2);
    let run = warden(repo.path(), &["diff", "v1.avsc", "v2.avsc"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("AVRO 2 change(s), 1 breaking"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("FIELD_ADDED /fields/1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("backward BREAKING READER_FIELD_MISSING_DEFAULT_VALUE  forward ok"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+   \"name\": \"age\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("BACKWARD incompatible; "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("FORWARD compatible; "),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no colour without a terminal"
    );
    // Colour when forced, and JSON on request.
    let coloured = warden_env(
        repo.path(),
        &["diff", "v1.avsc", "v2.avsc"],
        &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")],
    );
    assert!(coloured.stdout.contains("\u{1b}["), "{}", coloured.stdout);
    let json = warden(repo.path(), &["diff", "v1.avsc", "v2.avsc", "--json"]);
    let body: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        body["changes"][0]["backward"]["rule"],
        "READER_FIELD_MISSING_DEFAULT_VALUE"
    );
    // A file that does not parse is an input error.
    repo.write("bad.avsc", "{\"type\":");
    let bad = warden(repo.path(), &["diff", "v1.avsc", "bad.avsc"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn offline_diff_reads_protobuf_and_json_schema_by_extension() {
    let repo = Repo::new();
    repo.write("a.proto", "syntax = \"proto3\"; message M { int32 x = 1; }");
    repo.write(
        "b.proto",
        "syntax = \"proto3\"; message M { string x = 1; }",
    );
    let run = warden(repo.path(), &["diff", "a.proto", "b.proto"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("PROTOBUF"), "{}", run.stdout);
    assert!(run.stdout.contains("#/M/1"), "{}", run.stdout);
    assert!(
        run.stdout.contains("BREAKING FIELD_SCALAR_KIND_CHANGED"),
        "{}",
        run.stdout
    );
    repo.write(
        "a.json",
        r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#,
    );
    repo.write(
        "b.json",
        r#"{"type":"object","properties":{},"additionalProperties":false}"#,
    );
    let run = warden(repo.path(), &["diff", "a.json", "b.json"]);
    assert!(run.stdout.starts_with("JSON"), "{}", run.stdout);
    assert!(run.stdout.contains("#/properties/a"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_against_a_registry_prints_the_subjects_versions() {
    let app = spawn_app().await;
    app.set_level(Some("users"), "NONE").await;
    app.register_ok("users", V1).await;
    app.register_ok("users", V2).await;
    let repo = Repo::new();
    let url = app.address.clone();
    let dir = repo.path().to_owned();
    let run = tokio::task::spawn_blocking(move || {
        warden(
            &dir,
            &["diff", "users", "1", "latest", "--registry-url", &url],
        )
    })
    .await
    .unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("backward BREAKING READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{}",
        run.stdout
    );
    let url = app.address.clone();
    let dir = repo.path().to_owned();
    let missing = tokio::task::spawn_blocking(move || {
        warden(&dir, &["diff", "users", "1", "9", "--registry-url", &url])
    })
    .await
    .unwrap();
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(missing.stderr.contains("40402"), "{}", missing.stderr);
}
