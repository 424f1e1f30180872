//! `warden init && warden check --against git:HEAD~1` in a fresh repository, `--against DIR`,
//! deleted files, and bad input: each exits 2 with one clear line.

mod support;

use support::{Repo, Run, warden};

const USER_V1: &str = r#"{"type": "record", "name": "User", "fields": [
  {"name": "name", "type": "string"}
]}
"#;

const USER_V2: &str = r#"{"type": "record", "name": "User", "fields": [
  {"name": "name", "type": "string"},
  {"name": "email", "type": ["null", "string"], "default": null}
]}
"#;

/// Adds `age` without a default: the new schema cannot read users written before.
const USER_V3: &str = r#"{"type": "record", "name": "User", "fields": [
  {"name": "name", "type": "string"},
  {"name": "email", "type": ["null", "string"], "default": null},
  {"name": "age", "type": "int"}
]}
"#;

fn one_line_error(run: &Run, what: &str) {
    assert_eq!(run.code, 2, "{what}: {}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{what}: {}", run.stderr);
    assert!(run.stderr.starts_with("warden: "), "{what}: {}", run.stderr);
}

fn fresh_repo() -> Repo {
    let repo = Repo::new();
    repo.write("schemas/users-value.avsc", USER_V1);
    repo.commit("v1");
    repo
}

#[test]
fn init_then_check_against_the_previous_commit_works_in_a_fresh_repository() {
    let repo = fresh_repo();
    let init = warden(repo.path(), &["init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    repo.write("schemas/users-value.avsc", USER_V2);
    repo.commit("v2");
    let ok = warden(repo.path(), &["check", "--against", "git:HEAD~1"]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains("ok       schemas/users-value.avsc"),
        "{}",
        ok.stdout
    );

    repo.write("schemas/users-value.avsc", USER_V3);
    let broken = warden(repo.path(), &["check", "--against", "git:HEAD"]);
    assert_eq!(broken.code, 1, "{}{}", broken.stdout, broken.stderr);
    assert!(
        broken.stdout.contains(
            "schemas/users-value.avsc:4: users-value: READER_FIELD_MISSING_DEFAULT_VALUE at /fields/2"
        ),
        "file, line, rule and path: {}",
        broken.stdout
    );
    // Running again refuses to overwrite the project file.
    let again = warden(repo.path(), &["init"]);
    one_line_error(&again, "init twice");
}

#[test]
fn a_schema_deleted_since_the_revision_is_reported_and_fails() {
    let repo = fresh_repo();
    repo.write(
        "schemas/orders-value.avsc",
        USER_V1.replace("User", "Order").as_str(),
    );
    repo.write("warden.toml", "[[schemas]]\nfiles = [\"schemas/*.avsc\"]\n");
    repo.commit("two schemas");
    repo.remove("schemas/orders-value.avsc");
    let run = warden(
        repo.path(),
        &["check", "--against", "git:HEAD", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["subjects"][0]["subject"], "orders-value");
    assert_eq!(report["subjects"][0]["status"], "deleted");
    assert_eq!(report["subjects"][1]["status"], "compatible");
}

#[test]
fn check_against_a_directory_of_previous_versions() {
    let repo = fresh_repo();
    repo.write("warden.toml", "[[schemas]]\nfiles = \"schemas/*.avsc\"\n");
    let previous = tempfile::tempdir().unwrap();
    std::fs::create_dir(previous.path().join("schemas")).unwrap();
    std::fs::write(previous.path().join("schemas/users-value.avsc"), USER_V2).unwrap();
    repo.write("schemas/users-value.avsc", USER_V3);
    let dir = previous.path().to_str().unwrap();
    let run = warden(
        repo.path(),
        &["check", "--against", dir, "--format", "github"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with(
            "::error file=schemas/users-value.avsc,line=4,title=READER_FIELD_MISSING_DEFAULT_VALUE::"
        ),
        "{}",
        run.stdout
    );
    // FORWARD: the old schema reads the new data, ignoring the added field.
    repo.write(
        "warden.toml",
        "[defaults]\ncompatibility = \"FORWARD\"\n\n[[schemas]]\nfiles = \"schemas/*.avsc\"\n",
    );
    let forward = warden(repo.path(), &["check", "--against", dir]);
    assert_eq!(forward.code, 0, "{}{}", forward.stdout, forward.stderr);
}

#[test]
fn a_missing_project_file_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = warden(dir.path(), &["check", "--against", "git:HEAD~1"]);
    one_line_error(&run, "no warden.toml");
    assert!(run.stderr.contains("no warden.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("warden init"), "{}", run.stderr);
}

#[test]
fn a_glob_matching_nothing_exits_2_with_one_line() {
    let repo = fresh_repo();
    repo.write(
        "warden.toml",
        "[[schemas]]\nfiles = [\"schemas/*.avsc\", \"proto/**/*.proto\"]\n",
    );
    let run = warden(repo.path(), &["check", "--against", "git:HEAD"]);
    one_line_error(&run, "empty glob");
    assert!(
        run.stderr.contains("\"proto/**/*.proto\" matches no file"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_key_or_level_in_the_project_file_exits_2_with_one_line() {
    let repo = fresh_repo();
    repo.write("warden.toml", "[[schemas]]\nfile = \"schemas/*.avsc\"\n");
    let run = warden(repo.path(), &["check", "--against", "git:HEAD"]);
    one_line_error(&run, "unknown key");
    assert!(
        run.stderr.contains("unknown field `file`"),
        "{}",
        run.stderr
    );
    repo.write(
        "warden.toml",
        "[defaults]\ncompatibility = \"SIDEWAYS\"\n[[schemas]]\nfiles = \"schemas/*.avsc\"\n",
    );
    let run = warden(repo.path(), &["check", "--against", "git:HEAD"]);
    one_line_error(&run, "unknown level");
    assert!(
        run.stderr.contains("Invalid compatibility level"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_schema_that_does_not_parse_is_reported_with_its_location_and_exits_2() {
    let repo = fresh_repo();
    repo.write("warden.toml", "[[schemas]]\nfiles = \"schemas/*\"\n");
    repo.write(
        "schemas/users-value.avsc",
        "{\"type\": \"record\",\n  \"name\": \"User\",\n  \"fields\": [,]}\n",
    );
    repo.write(
        "schemas/payments.proto",
        "syntax = \"proto3\";\nmessage Payment {\n  strin id = 1;\n}\n",
    );
    repo.write(
        "schemas/customer.json",
        "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"a\": {\"type\": \"string\"},\n    \"b\": {\"type\": 5}\n  }\n}\n",
    );
    let run = warden(repo.path(), &["check", "--against", "git:HEAD"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("invalid  schemas/customer.json:5 "),
        "a meta-schema violation names its line: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("invalid  schemas/users-value.avsc:3 "),
        "not reported as incompatible: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("invalid  schemas/payments.proto:3 "),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("FAIL"), "{}", run.stdout);
    let junit = warden(
        repo.path(),
        &["check", "--against", "git:HEAD", "--format", "junit"],
    );
    assert_eq!(junit.code, 2);
    assert!(
        junit.stdout.contains("<error type=\"INVALID_SCHEMA\""),
        "{}",
        junit.stdout
    );
}

#[test]
fn a_git_revision_that_does_not_exist_exits_2_with_one_line() {
    let repo = fresh_repo();
    repo.write("warden.toml", "[[schemas]]\nfiles = \"schemas/*.avsc\"\n");
    let run = warden(repo.path(), &["check", "--against", "git:no-such-branch"]);
    one_line_error(&run, "bad revision");
    assert!(
        run.stderr
            .contains("git revision 'no-such-branch' does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_registry_that_does_not_answer_exits_2_with_one_line() {
    let repo = fresh_repo();
    repo.write("warden.toml", "[[schemas]]\nfiles = \"schemas/*.avsc\"\n");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let check = warden(repo.path(), &["check", "--against", &url]);
    one_line_error(&check, "check, no registry");
    assert!(check.stderr.contains("unavailable"), "{}", check.stderr);
    let register = warden(repo.path(), &["register", "--registry-url", &url]);
    one_line_error(&register, "register, no registry");
    let subjects = warden(repo.path(), &["subjects", "--registry-url", &url]);
    one_line_error(&subjects, "subjects, no registry");
    let no_url = warden(repo.path(), &["subjects"]);
    one_line_error(&no_url, "no URL");
    assert!(
        no_url.stderr.contains("WARDEN_REGISTRY_URL"),
        "{}",
        no_url.stderr
    );
}
