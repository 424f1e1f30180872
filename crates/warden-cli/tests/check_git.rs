//! `warden check --against git:HEAD~1` on the corpus's evolution series: a temporary git
//! repository per series where each commit adds the next historical version. For every step
//! the verdict (exit code, and the rules named) must be the one a real registry's
//! compatibility endpoint gives for the same pair under BACKWARD.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{Repo, corpus, warden};
use warden_core::ErrorCode;
use warden_core::references::{JsonReferences, protobuf_imports};
use warden_core::violation::Message;
use warden_testkit::{TestApp, spawn_app};

/// A schema file with what it needs: (reference name, subject, text) of each dependency,
/// dependencies first, and the direct references of the schema itself.
#[derive(Debug, Clone)]
struct Version {
    /// File name in the series folder (`v003.proto`).
    file: String,
    text: String,
    /// Every dependency file to lay in the repository: (repository path, registry subject,
    /// text, direct references as (name, subject)).
    deps: Vec<Dep>,
    /// The schema's direct references as (name, subject).
    refs: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct Dep {
    repo_path: String,
    subject: String,
    text: String,
    refs: Vec<(String, String)>,
}

fn versions_of(dir: &Path, ext: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| ext.iter().any(|e| n.ends_with(e)))
        .collect();
    names.sort();
    names
}

fn series_of(format: &str) -> Vec<PathBuf> {
    let root = corpus().join("evolution").join(format);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

// ---- Protobuf imports: found under the version's own deps, the series, then the roots.

fn proto_closure(text: &str, roots: &[PathBuf], out: &mut Vec<Dep>) -> Vec<(String, String)> {
    let mut refs = Vec::new();
    for import in protobuf_imports(text) {
        refs.push((import.clone(), import.clone()));
        if out.iter().any(|d| d.subject == import) {
            continue;
        }
        let path = roots
            .iter()
            .map(|r| r.join(&import))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("import {import} not found"));
        let dep_text = std::fs::read_to_string(path).unwrap();
        let dep_refs = proto_closure(&dep_text, roots, out);
        out.push(Dep {
            repo_path: format!("deps/{import}"),
            subject: import,
            text: dep_text,
            refs: dep_refs,
        });
    }
    refs
}

// ---- JSON Schema `$ref`s to other SchemaStore schemas: the corpus's current copies.

fn json_closure(text: &str, out: &mut Vec<Dep>) -> Vec<(String, String)> {
    let Ok(references) = JsonReferences::parse(text) else {
        return Vec::new();
    };
    let mut refs = Vec::new();
    for r in references.refs() {
        let r = r.name().to_owned();
        let file = r.rsplit('/').next().unwrap().to_owned();
        let path = corpus().join("jsonschema/schemastore/schemas").join(&file);
        if !path.is_file() {
            continue;
        }
        refs.push((r, file.clone()));
        if out.iter().any(|d| d.subject == file) {
            continue;
        }
        let dep_text = std::fs::read_to_string(path).unwrap();
        let dep_refs = json_closure(&dep_text, out);
        out.push(Dep {
            repo_path: format!("schemas/{file}"),
            subject: file,
            text: dep_text,
            refs: dep_refs,
        });
    }
    refs
}

fn load_series(format: &str, dir: &Path) -> Vec<Version> {
    let exts: &[&str] = match format {
        "avro" => &[".avsc", ".avpr"],
        "jsonschema" => &[".json"],
        _ => &[".proto"],
    };
    versions_of(dir, exts)
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(dir.join(&file)).unwrap();
            let mut deps = Vec::new();
            let refs = match format {
                "protobuf" => {
                    let stem = file.trim_end_matches(".proto");
                    let roots = [
                        dir.join(format!("{stem}.deps")),
                        dir.to_path_buf(),
                        corpus().join("protobuf/googleapis"),
                        corpus().join("protobuf/protobuf"),
                        corpus().join("protobuf/opentelemetry-proto"),
                    ];
                    proto_closure(&text, &roots, &mut deps)
                }
                "jsonschema" => json_closure(&text, &mut deps),
                _ => Vec::new(),
            };
            Version {
                file,
                text,
                deps,
                refs,
            }
        })
        .collect()
}

fn schema_type(format: &str) -> &'static str {
    match format {
        "avro" => "AVRO",
        "jsonschema" => "JSON",
        _ => "PROTOBUF",
    }
}

/// Registers the dependencies (global level NONE) and returns the schema's references with
/// the versions that hold these texts.
async fn register_deps(app: &TestApp, kind: &str, version: &Version) -> Value {
    let mut versions: Vec<(String, i64)> = Vec::new();
    let refs_of = |refs: &[(String, String)], versions: &[(String, i64)]| -> Value {
        refs.iter()
            .map(|(name, subject)| {
                let v = versions
                    .iter()
                    .find(|(s, _)| s == subject)
                    .map_or(-1, |(_, v)| *v);
                json!({"name": name, "subject": subject, "version": v})
            })
            .collect()
    };
    for dep in &version.deps {
        let body = json!({
            "schemaType": kind,
            "schema": dep.text,
            "references": refs_of(&dep.refs, &versions),
        });
        let r = app.register_body(&dep.subject, &body).await;
        if r.status.is_success() {
            let found = app
                .request(
                    reqwest::Method::POST,
                    &format!("/subjects/{}", warden_testkit::encode(&dep.subject)),
                    Some(&body),
                )
                .await;
            versions.push((dep.subject.clone(), found.body["version"].as_i64().unwrap()));
        }
    }
    refs_of(&version.refs, &versions)
}

/// The registry's verdict for `new` after `old` in a fresh subject under BACKWARD:
/// (exit code warden should give, rules named).
/// The named code of a response's `error_code` (0 when it has none).
fn named(error_code: i64) -> Option<ErrorCode> {
    u32::try_from(error_code)
        .ok()
        .and_then(ErrorCode::from_code)
}

async fn registry_verdict(
    app: &TestApp,
    subject: &str,
    kind: &str,
    old: Option<&Version>,
    new: &Version,
) -> (i32, Vec<String>) {
    app.set_level(Some(subject), "BACKWARD").await;
    if let Some(old) = old {
        let refs = register_deps(app, kind, old).await;
        let r = app
            .register_body(
                subject,
                &json!({"schemaType": kind, "schema": old.text, "references": refs}),
            )
            .await;
        assert!(
            r.status.is_success() || named(r.error_code()) == Some(ErrorCode::InvalidSchema),
            "{subject}: registering the old version: {}",
            r.text
        );
    }
    let refs = register_deps(app, kind, new).await;
    let body = json!({"schemaType": kind, "schema": new.text, "references": refs});
    // Without `verbose` an invalid schema is 42201; with it, Confluent answers it as
    // incompatible with the parse error as message, so the rules are asked for second.
    let path = |verbose: bool| {
        format!(
            "/compatibility/subjects/{}/versions?verbose={verbose}",
            warden_testkit::encode(subject)
        )
    };
    let r = app
        .request(reqwest::Method::POST, &path(false), Some(&body))
        .await;
    match (r.error_code(), named(r.error_code())) {
        (_, Some(ErrorCode::InvalidSchema)) => return (2, Vec::new()),
        (_, Some(ErrorCode::SubjectNotFound)) => return (0, Vec::new()),
        (0, _) => {}
        (other, _) => panic!("{subject}: unexpected error {other}: {}", r.text),
    }
    if r.body["is_compatible"] == json!(true) {
        return (0, Vec::new());
    }
    let r = app
        .request(reqwest::Method::POST, &path(true), Some(&body))
        .await;
    let mut rules: Vec<String> = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| match Message::parse(m.as_str()?) {
            Message::Difference { rule, .. } => Some(rule),
            _ => None,
        })
        .collect();
    rules.sort();
    (1, rules)
}

fn project_file(format: &str) -> &'static str {
    match format {
        "avro" => {
            "[defaults]\ncompatibility = \"BACKWARD\"\n\n[[schemas]]\nfiles = \"schemas/*\"\n\
             format = \"AVRO\"\n"
        }
        "jsonschema" => {
            "[defaults]\ncompatibility = \"BACKWARD\"\n\n[[schemas]]\nfiles = \"schemas/*.json\"\n"
        }
        _ => {
            "[defaults]\ncompatibility = \"BACKWARD\"\n\n[protobuf]\nimport_paths = [\"deps\"]\n\n\
             [[schemas]]\nfiles = \"schemas/*.proto\"\n"
        }
    }
}

/// Replays every series of `format` and compares each step with the registry.
async fn replay(format: &str) {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let kind = schema_type(format);
    let mut steps = 0;
    let mut verdicts = [0; 3];
    let mut mismatches = Vec::new();
    for dir in series_of(format) {
        let series = dir.file_name().unwrap().to_string_lossy().into_owned();
        let versions = load_series(format, &dir);
        let repo = Repo::new();
        repo.write("warden.toml", project_file(format));
        repo.commit("warden.toml");
        let mut previous: Option<&Version> = None;
        for (k, version) in versions.iter().enumerate() {
            // The schema under its series name, with the extension of the corpus file.
            let ext = version.file.rsplit_once('.').unwrap().1;
            repo.remove("schemas");
            if format == "protobuf" {
                repo.remove("deps");
            }
            repo.write(&format!("schemas/{series}.{ext}"), &version.text);
            // JSON dependencies stay once added: they are schemas of the project too.
            let deps = if format == "jsonschema" {
                versions[..=k].iter().flat_map(|v| v.deps.clone()).collect()
            } else {
                version.deps.clone()
            };
            for dep in &deps {
                repo.write(&dep.repo_path, &dep.text);
            }
            repo.commit(&version.file);
            let run = warden(
                repo.path(),
                &["check", "--against", "git:HEAD~1", "--format", "json"],
            );
            let subject = format!("{series}-step{k}");
            let (expected, rules) = registry_verdict(&app, &subject, kind, previous, version).await;
            steps += 1;
            verdicts[usize::try_from(expected).unwrap()] += 1;
            let step = format!("{series} {}", version.file);
            if run.code != expected {
                mismatches.push(format!(
                    "{step}: warden exit {} but the registry says {expected} {rules:?}\n{}{}",
                    run.code, run.stdout, run.stderr
                ));
            } else if expected == 1 {
                let report: Value = serde_json::from_str(&run.stdout).unwrap();
                let mine = report["subjects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["subject"] == json!(series))
                    .unwrap_or_else(|| panic!("{step}: {series} not in {report}"));
                let mut named: Vec<String> = mine["violations"]
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .map(|f| f["rule"].as_str().unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                named.sort();
                if named != rules {
                    mismatches.push(format!(
                        "{step}: warden names {named:?}, the registry {rules:?}"
                    ));
                }
            }
            previous = Some(version);
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // The series exercise every verdict, not only the easy one.
    assert!(steps > 20, "{format}: only {steps} steps");
    eprintln!("{format}: {steps} steps, {verdicts:?} compatible/incompatible/invalid");
    assert!(verdicts[0] > 0, "{format}: no compatible step");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_check_matches_the_registry_verdict_on_every_avro_evolution_step() {
    replay("avro").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_check_matches_the_registry_verdict_on_every_json_schema_evolution_step() {
    replay("jsonschema").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_check_matches_the_registry_verdict_on_every_protobuf_evolution_step() {
    replay("protobuf").await;
}
