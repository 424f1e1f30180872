//! `warden check` on data contracts: a subject's contract file (`{"metadata", "ruleSet"}`,
//! named in `warden.toml`) is compared with the previous revision's, and a change that can
//! make data fail is reported with the rule's name and what changed.

mod support;

use serde_json::json;
use support::{Repo, warden, warden_env};

const ORDER: &str = r#"{"type": "record", "name": "Order", "namespace": "acme", "fields": [
  {"name": "id", "type": "string"},
  {"name": "email", "type": "string"},
  {"name": "amount", "type": "double"}
]}
"#;

const PROJECT: &str = r#"[[schemas]]
files = "schemas/*.avsc"
contract = "contracts/{name}.json"
"#;

fn positive() -> serde_json::Value {
    json!({"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
           "expr": "message.amount > 0.0"})
}

fn email() -> serde_json::Value {
    json!({"name": "email", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL_FIELD",
           "tags": ["PII"], "expr": "value.isEmail()"})
}

fn contract(rules: &[serde_json::Value], reserved: &str) -> String {
    serde_json::to_string_pretty(&json!({
        "metadata": {"tags": {"acme.Order.email": ["PII"]},
                     "properties": {"confluent:reserved": reserved}},
        "ruleSet": {"domainRules": rules}
    }))
    .unwrap()
}

fn repo_with(rules: &[serde_json::Value], reserved: &str) -> Repo {
    let repo = Repo::new();
    repo.write("warden.toml", PROJECT);
    repo.write("schemas/orders-value.avsc", ORDER);
    repo.write("contracts/orders-value.json", &contract(rules, reserved));
    repo.commit("v1");
    repo
}

#[test]
fn a_new_condition_in_the_rule_set_is_reported_with_the_rule_name() {
    let repo = repo_with(&[positive()], "");
    // Unchanged: compatible.
    let same = warden(repo.path(), &["check", "--against", "git:HEAD"]);
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);

    repo.write(
        "contracts/orders-value.json",
        &contract(&[positive(), email()], ""),
    );
    let run = warden(repo.path(), &["check", "--against", "git:HEAD"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "schemas/orders-value.avsc:1: orders-value: RULE_CONDITION_ADDED at \
             #/ruleSet/domainRules/email"
        ),
        "subject, change and rule: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("condition rule 'email'")
            && run.stdout.contains("value.isEmail()")
            && run.stdout.contains("records already written"),
        "what changed: {}",
        run.stdout
    );
    assert!(!run.stdout.contains("positive"), "{}", run.stdout);

    // The same rule refusing nothing (onFailure NONE) breaks nothing.
    let mut soft = email();
    soft["onFailure"] = json!("NONE,NONE");
    repo.write(
        "contracts/orders-value.json",
        &contract(&[positive(), soft], ""),
    );
    let run = warden(repo.path(), &["check", "--against", "git:HEAD"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn a_changed_condition_and_a_removed_reserved_field_are_reported_in_json() {
    let repo = repo_with(&[positive()], "legacy");
    let mut stricter = positive();
    stricter["expr"] = json!("message.amount > 10.0");
    repo.write("contracts/orders-value.json", &contract(&[stricter], ""));
    let run = warden(
        repo.path(),
        &["check", "--against", "git:HEAD", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let violations = report["subjects"][0]["violations"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"));
    let rules: Vec<&str> = violations
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["RULE_CONDITION_CHANGED", "RESERVED_FIELD_REMOVED"],
        "{report}"
    );
    let changed = violations[0]["message"].as_str().unwrap();
    assert!(
        changed.contains("'positive'")
            && changed.contains("`message.amount > 0.0` -> `message.amount > 10.0`"),
        "{changed}"
    );
    assert_eq!(
        violations[1]["message"],
        "The new schema has reserved field legacy removed from its metadata which is \
         present in the old schema's metadata."
    );
}

#[test]
fn a_contract_file_that_does_not_read_is_reported_and_exits_2() {
    let repo = repo_with(&[positive()], "");
    repo.write(
        "contracts/orders-value.json",
        r#"{"ruleSet": {"domainRules": [{"name": "x"}]}}"#,
    );
    let run = warden(repo.path(), &["check", "--against", "git:HEAD"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("contracts/orders-value.json"), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_registry_the_contract_is_compared_with_the_latest_version() {
    let app = warden_testkit::spawn_app().await;
    let registered = json!({
        "schema": ORDER,
        "metadata": {"tags": {"acme.Order.email": ["PII"]}},
        "ruleSet": {"domainRules": [positive()]}
    });
    let r = app.register_body("orders-value", &registered).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let repo = repo_with(&[positive(), email()], "");
    let run = warden(repo.path(), &["check", "--against", &app.address]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "schemas/orders-value.avsc:1: orders-value: RULE_CONDITION_ADDED at \
             #/ruleSet/domainRules/email (against version 1)"
        ),
        "{}",
        run.stdout
    );
    // The registry's own verdict stays Confluent's: the schema is compatible.
    let r = app
        .request(
            reqwest::Method::POST,
            "/compatibility/subjects/orders-value/versions/latest",
            Some(&json!({"schema": ORDER, "ruleSet": {"domainRules": [positive(), email()]}})),
        )
        .await;
    assert_eq!(r.body["is_compatible"], json!(true), "{}", r.text);
}

/// `warden register` sends the contract file's metadata and rule set with the schema: the
/// registered version carries them, a second run changes nothing, and a changed contract on
/// the same schema registers a new version that carries the new rule set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_sends_the_contract_and_a_changed_contract_makes_a_new_version() {
    let app = warden_testkit::spawn_app().await;
    let repo = repo_with(&[positive()], "");
    let env = [("WARDEN_REGISTRY_URL", app.address.as_str())];
    let first = warden_env(repo.path(), &["register"], &env);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let v1 = app.get("/subjects/orders-value/versions/latest").await.body;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["ruleSet"]["domainRules"][0]["expr"], positive()["expr"]);
    assert_eq!(v1["metadata"]["tags"], json!({"acme.Order.email": ["PII"]}));

    let again = warden_env(repo.path(), &["register"], &env);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("0 registered, 1 unchanged"),
        "{}",
        again.stdout
    );

    repo.write(
        "contracts/orders-value.json",
        &contract(&[positive(), email()], ""),
    );
    let changed = warden_env(repo.path(), &["register"], &env);
    assert_eq!(changed.code, 0, "{}{}", changed.stdout, changed.stderr);
    assert!(
        changed.stdout.contains("registered orders-value version 2"),
        "{}",
        changed.stdout
    );
    let v2 = app.get("/subjects/orders-value/versions/latest").await.body;
    assert_eq!(v2["version"], 2);
    let rules = v2["ruleSet"]["domainRules"].as_array().unwrap();
    let names: Vec<&str> = rules.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["positive", "email"], "{v2}");
}
