//! Protobuf through the API: `.proto` text and base64 descriptors, imports as references and
//! built-ins, `format=serialized`, Confluent's compatibility rules, the real-world corpus, and
//! interoperability with `schema_registry_converter`'s Protobuf encoder and decoder.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use warden_core::protobuf::{ProtobufSchema, import_paths, is_builtin_import};
use warden_testkit::{Reply, TestApp, spawn_app};

const ORDER: &str = r#"syntax = "proto3";
package acme;
import "google/protobuf/timestamp.proto";
message Order {
  int64 id = 1;
  string customer = 2;
  google.protobuf.Timestamp placed = 3;
  repeated Line lines = 4;
  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
}
"#;

/// [`ORDER`] as Confluent stores and returns it (`ProtobufSchema.canonicalString()`).
const ORDER_CANONICAL: &str = r#"syntax = "proto3";
package acme;

import "google/protobuf/timestamp.proto";

message Order {
  int64 id = 1;
  string customer = 2;
  google.protobuf.Timestamp placed = 3;
  repeated Line lines = 4;

  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
}
"#;

pub(crate) async fn register_proto(
    app: &TestApp,
    subject: &str,
    schema: &str,
    references: Value,
) -> Reply {
    app.register_body(
        subject,
        &json!({"schemaType": "PROTOBUF", "schema": schema, "references": references}),
    )
    .await
}

#[tokio::test]
async fn a_proto_with_a_built_in_import_registers_and_reads_back_as_text_and_serialized() {
    let app = spawn_app().await;
    let r = register_proto(&app, "orders-value", ORDER, json!([])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let v = app.version("orders-value", "latest").await;
    assert_eq!(v.body["schemaType"], "PROTOBUF");
    // Stored and answered as Confluent's printer writes it (blank lines between sections,
    // nested types after the fields).
    assert_eq!(v.body["schema"].as_str().unwrap(), ORDER_CANONICAL);
    let by_id = app.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(by_id.body["schemaType"], "PROTOBUF");

    // format=serialized: a base64 FileDescriptorProto of the same schema.
    for path in [
        format!("/schemas/ids/{id}?format=serialized"),
        "/subjects/orders-value/versions/1?format=serialized".to_owned(),
    ] {
        let r = app.get(&path).await;
        let b64 = r.body["schema"].as_str().unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_else(|e| panic!("{path}: not base64: {e}"));
        let from_descriptor = ProtobufSchema::parse(b64, &[]).expect("the descriptor parses");
        assert!(
            from_descriptor.message("acme.Order.Line").is_some(),
            "{path}"
        );
    }
    // A schema given as a descriptor (as Confluent's Rust and .NET clients send it) registers.
    let b64 = app
        .get(&format!("/schemas/ids/{id}?format=serialized"))
        .await
        .body["schema"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = register_proto(&app, "from-descriptor", &b64, json!([])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let printed = app.version("from-descriptor", "1").await.body["schema"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(printed.contains("message Order"), "{printed}");
}

#[tokio::test]
async fn imports_resolve_through_references_registered_as_their_own_subjects() {
    let app = spawn_app().await;
    let address =
        "syntax = \"proto3\";\npackage acme.common;\nmessage Address { string city = 1; }\n";
    let r = register_proto(&app, "acme/common/address.proto", address, json!([])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let customer = "syntax = \"proto3\";\npackage acme.crm;\nimport \"acme/common/address.proto\";\nmessage Customer { acme.common.Address home = 1; }\n";
    let refs = json!([{"name": "acme/common/address.proto", "subject": "acme/common/address.proto", "version": 1}]);
    let r = register_proto(&app, "customers-value", customer, refs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["id"].clone();
    assert_eq!(
        app.get("/subjects/acme%2Fcommon%2Faddress.proto/versions/1/referencedby")
            .await
            .body,
        json!([id])
    );
}

#[tokio::test]
async fn bad_protobuf_input_is_42201_with_a_clear_message() {
    let app = spawn_app().await;
    let cases = [
        ("message {", json!([]), "garbage text", "default:"),
        (
            "syntax = \"proto3\";\nimport \"nowhere/missing.proto\";\nmessage A { int32 a = 1; }",
            json!([]),
            "an import that is neither a reference nor built in",
            "nowhere/missing.proto",
        ),
        (
            "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage A { int32 a = 1; }",
            json!([{"name": "dep.proto", "subject": "no-such-subject", "version": 1}]),
            "a reference to a missing subject",
            "no-such-subject",
        ),
        (
            "Q2hvY29sYXRlIGlzIG5vdCBhIGRlc2NyaXB0b3I=",
            json!([]),
            "a base64 string that is not a descriptor",
            "",
        ),
    ];
    for (schema, refs, why, mentions) in cases {
        let r = register_proto(&app, "bad", schema, refs).await;
        assert_eq!(r.error_code(), 42201, "{why}: {}", r.text);
        let message = r.body["message"].as_str().unwrap();
        assert!(message.contains(mentions), "{why}: {message}");
    }
}

#[tokio::test]
async fn compatibility_follows_confluents_protobuf_rules() {
    let app = spawn_app().await;
    let v1 = "syntax = \"proto3\";\nmessage M { int32 a = 1; string b = 2; }\n";
    register_proto(&app, "m", v1, json!([])).await;
    // int32 → int64 is in the same wire group: compatible. Removing a field is compatible.
    let widened = "syntax = \"proto3\";\nmessage M { int64 a = 1; }\n";
    let ok = app
        .request(
            Method::POST,
            "/compatibility/subjects/m/versions/latest?verbose=true",
            Some(&json!({"schemaType": "PROTOBUF", "schema": widened})),
        )
        .await;
    assert_eq!(ok.body["is_compatible"], true, "{}", ok.text);
    // int32 → sint32 changes the wire encoding: FIELD_SCALAR_KIND_CHANGED.
    let zigzag = "syntax = \"proto3\";\nmessage M { sint32 a = 1; string b = 2; }\n";
    let r = register_proto(&app, "m", zigzag, json!([])).await;
    assert_eq!(r.error_code(), 40901, "{}", r.text);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("FIELD_SCALAR_KIND_CHANGED"),
        "{}",
        r.text
    );
    // Removing a message is incompatible.
    let renamed = "syntax = \"proto3\";\nmessage N { int32 a = 1; }\n";
    let r = register_proto(&app, "m", renamed, json!([])).await;
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("MESSAGE_REMOVED"),
        "{}",
        r.text
    );
}

const ROOTS: [&str; 4] = [
    "protobuf/googleapis",
    "protobuf/protobuf",
    "protobuf/opentelemetry-proto",
    "protobuf/aws-glue-schema-registry",
];

/// Files protoc compiles but protox 0.10 does not (warden-core's corpus test asserts why).
const PROTOX_LIMITS: [&str; 3] = [
    "protobuf/protobuf/google/protobuf/descriptor.proto",
    "protobuf/protobuf/google/protobuf/cpp_features.proto",
    "protobuf/protobuf/google/protobuf/unittest_custom_options.proto",
];

pub(crate) fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

/// Files the manifest marks as not compiling with protoc, or as editions.
fn not_compiling() -> HashSet<PathBuf> {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus().join("MANIFEST.json")).unwrap())
            .unwrap();
    manifest
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["format"] == "protobuf")
        .filter(|e| {
            e.get("proto_edition").is_some()
                || e["check_protoc"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("error"))
        })
        .map(|e| corpus().join(e["file"].as_str().unwrap()))
        .collect()
}

fn find(import: &str) -> Option<PathBuf> {
    ROOTS
        .iter()
        .map(|r| corpus().join(r).join(import))
        .find(|p| p.is_file())
}

fn proto_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            proto_files(&path, &mut *out);
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
}

/// Registers `import` (and first, recursively, its own imports) under the subject named by
/// its import path, as a Confluent client does; built-ins are never registered. Returns the
/// version, or why it could not be registered.
async fn register_import(
    app: &TestApp,
    import: &str,
    done: &mut HashMap<String, Result<i64, String>>,
    skip: &HashSet<PathBuf>,
) -> Result<i64, String> {
    if let Some(r) = done.get(import) {
        return r.clone();
    }
    let result = Box::pin(async {
        let path = find(import).ok_or_else(|| format!("import {import} not in the corpus"))?;
        if skip.contains(&path) {
            return Err(format!("{import} does not compile"));
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut refs = Vec::new();
        for dep in import_paths(&text) {
            if is_builtin_import(&dep) {
                continue;
            }
            let version = register_import(app, &dep, done, skip).await?;
            refs.push(json!({"name": dep, "subject": dep, "version": version}));
        }
        let r = register_proto(app, import, &text, Value::Array(refs)).await;
        if r.status != StatusCode::OK {
            return Err(format!("{import}: {}", r.text));
        }
        Ok(app.version(import, "latest").await.body["version"]
            .as_i64()
            .unwrap())
    })
    .await;
    done.insert(import.to_owned(), result.clone());
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_compiling_corpus_proto_registers_with_its_imports_and_round_trips() {
    let app = spawn_app().await;
    app.set_level(None, "NONE").await;
    let mut skip = not_compiling();
    skip.extend(PROTOX_LIMITS.iter().map(|p| corpus().join(p)));
    let mut done: HashMap<String, Result<i64, String>> = HashMap::new();
    let mut registered = 0;
    let mut failures = Vec::new();
    for root in ROOTS {
        let root_dir = corpus().join(root);
        let mut files = Vec::new();
        proto_files(&root_dir, &mut files);
        for path in files {
            if skip.contains(&path) {
                continue;
            }
            let import = path
                .strip_prefix(&root_dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            // A file that imports one that does not compile cannot register either.
            match register_import(&app, &import, &mut done, &skip).await {
                Ok(version) => {
                    let v = app.version(&import, &version.to_string()).await;
                    let id = v.body["id"].as_i64().unwrap();
                    let by_id = app.get(&format!("/schemas/ids/{id}")).await;
                    // The text reads back as Confluent's printer writes it (comments dropped),
                    // and that text is the same schema: a lookup with it finds the same id.
                    let stored = by_id.body["schema"].as_str().unwrap();
                    assert!(
                        !stored.lines().any(|l| l.trim_start().starts_with("//")),
                        "{import}: comments dropped:\n{stored}"
                    );
                    let found = app
                        .request(
                            Method::POST,
                            &format!("/subjects/{}", import.replace('/', "%2F")),
                            Some(&json!({
                                "schemaType": "PROTOBUF",
                                "schema": stored,
                                "references": v.body["references"].clone(),
                            })),
                        )
                        .await;
                    assert_eq!(found.body["id"], json!(id), "{import}: {}", found.text);
                    let serialized = app
                        .get(&format!("/schemas/ids/{id}?format=serialized"))
                        .await;
                    let b64 = serialized.body["schema"].as_str().unwrap();
                    assert!(
                        base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .is_ok(),
                        "{import}: serialized is base64"
                    );
                    registered += 1;
                }
                Err(e) if e.contains("does not compile") => {}
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        registered >= 150,
        "only {registered} corpus files registered"
    );
}

#[tokio::test]
async fn schema_registry_converter_and_warden_read_each_others_protobuf_records() {
    use prost_reflect::{DynamicMessage, ReflectMessage as _, Value as PValue};
    use schema_registry_converter::async_impl::proto_decoder::ProtoDecoder;
    use schema_registry_converter::async_impl::proto_raw::ProtoRawEncoder;
    use schema_registry_converter::async_impl::schema_registry::SrSettings;
    use schema_registry_converter::schema_registry_common::SubjectNameStrategy;

    let app = spawn_app().await;
    let r = register_proto(&app, "orders-value", ORDER, json!([])).await;
    let id = warden_core::SchemaId::new(r.body["id"].as_i64().unwrap()).unwrap();
    let ParsedProto { schema } = ParsedProto::from(ORDER);
    let line = schema.message("acme.Order.Line").unwrap();
    let line_json = json!({"sku": "A-1", "quantity": 3});

    // Theirs → ours: the converter frames a nested message (indexes [0, 0]) against the
    // schema it fetches from Warden; Warden's codec reads it back.
    let (_, payload) = schema.encode_json(&line, &line_json).expect("encodes");
    let settings = SrSettings::new(app.address.clone());
    let framed = ProtoRawEncoder::new(settings.clone())
        .encode(
            &payload,
            "acme.Order.Line",
            SubjectNameStrategy::TopicNameStrategy("orders".into(), false),
        )
        .await
        .expect("the converter encodes against Warden's schema");
    let frame = warden_core::wire::unframe(&framed).expect("Confluent framing");
    assert_eq!(frame.schema_id, id);
    let (indexes, body) = warden_core::wire::read_message_indexes(frame.payload).unwrap();
    assert_eq!(
        indexes,
        vec![0, 0],
        "a nested message has non-zero-length indexes"
    );
    let desc = schema.message_by_indexes(&indexes).unwrap();
    assert_eq!(desc.full_name(), "acme.Order.Line");
    assert_eq!(schema.decode_to_json(&desc, body).unwrap(), line_json);

    // Ours → theirs: Warden frames an Order; the converter decodes it with the schema it
    // fetches from Warden by id.
    let order = schema.message("acme.Order").unwrap();
    let order_json =
        json!({"id": "42", "customer": "ada", "lines": [{"sku": "B-2", "quantity": 1}]});
    let (_, bytes) = schema.encode_json(&order, &order_json).unwrap();
    let indexes = schema.message_indexes("acme.Order").unwrap();
    let mut payload = warden_core::wire::message_indexes_to_bytes(&indexes);
    payload.extend_from_slice(&bytes);
    let framed = warden_core::wire::frame(id, &payload);
    let decoded = ProtoDecoder::new(settings)
        .decode(Some(&framed))
        .await
        .expect("the converter decodes Warden's record");
    let PValue::Message(message): PValue = decoded else {
        panic!("a message, got {decoded:?}")
    };
    let message: DynamicMessage = message;
    assert_eq!(message.descriptor().full_name(), "acme.Order");
    assert_eq!(
        message.get_field_by_name("customer").unwrap().as_str(),
        Some("ada")
    );
    assert_eq!(message.get_field_by_name("id").unwrap().as_i64(), Some(42));
}

struct ParsedProto {
    schema: ProtobufSchema,
}

impl From<&str> for ParsedProto {
    fn from(text: &str) -> Self {
        Self {
            schema: ProtobufSchema::parse(text, &[]).expect("parses"),
        }
    }
}

/// Steps of the corpus's Protobuf evolution series that BACKWARD refuses, each with a rule
/// that must be named in the 409 and why the change breaks readers (warden-core's
/// `protobuf_evolution` test asserts every rule and count of each step).
const REFUSED_STEPS: &[(&str, &str, &str)] = &[
    // OTLP 0.5 renamed AttributeKeyValue to KeyValue: fields reaching it change type name.
    (
        "otel-collector-trace-service",
        "v002",
        "FIELD_NAMED_TYPE_CHANGED",
    ),
    // InstrumentationLibrarySpans became ScopeSpans.
    (
        "otel-collector-trace-service",
        "v003",
        "FIELD_NAMED_TYPE_CHANGED",
    ),
    // AttributeKeyValue, then StringKeyValue, then InstrumentationLibrary were removed.
    ("otel-common", "v002", "MESSAGE_REMOVED"),
    ("otel-common", "v004", "MESSAGE_REMOVED"),
    ("otel-common", "v006", "MESSAGE_REMOVED"),
    // instrumentation_library_logs became scope_logs of another type; then the old message went.
    ("otel-logs", "v006", "FIELD_NAMED_TYPE_CHANGED"),
    ("otel-logs", "v008", "MESSAGE_REMOVED"),
    // The metrics model was redesigned: scalars became messages, fields moved into a oneof.
    ("otel-metrics", "v002", "MULTIPLE_FIELDS_MOVED_TO_ONEOF"),
    // Double* messages renamed and removed.
    ("otel-metrics", "v004", "MESSAGE_REMOVED"),
    // The deprecated Int* members left the oneof `data`.
    ("otel-metrics", "v006", "ONEOF_FIELD_REMOVED"),
    // ResourceMetrics/2 became ScopeMetrics; then the old message was removed.
    ("otel-metrics", "v007", "FIELD_NAMED_TYPE_CHANGED"),
    ("otel-metrics", "v009", "MESSAGE_REMOVED"),
    // Resource.attributes: AttributeKeyValue → KeyValue.
    ("otel-resource", "v002", "FIELD_NAMED_TYPE_CHANGED"),
    // The KeyValue rename in Span, Span.Event and Span.Link.
    ("otel-trace", "v002", "FIELD_NAMED_TYPE_CHANGED"),
    // InstrumentationLibrarySpans replaced by ScopeSpans, the old message removed.
    ("otel-trace", "v008", "MESSAGE_REMOVED"),
    // unittest_proto3.proto was rewritten under another package.
    ("protobuf-unittest_proto3", "v002", "PACKAGE_CHANGED"),
];

/// Versions protox 0.10 cannot compile (options on a single-number extension range).
const UNCOMPILABLE_STEPS: &[(&str, &str)] = &[
    ("protobuf-descriptor", "v005"),
    ("protobuf-descriptor", "v006"),
];

/// Registers every import of `text` found under `roots` as its own subject (dependencies
/// first, built-ins never) and returns the references to pass with it.
pub(crate) async fn register_imports(app: &TestApp, text: &str, roots: &[PathBuf]) -> Value {
    let mut refs = Vec::new();
    for import in import_paths(text) {
        if is_builtin_import(&import) {
            continue;
        }
        let path = roots
            .iter()
            .map(|r| r.join(&import))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("import {import} not found"));
        let dep = std::fs::read_to_string(path).unwrap();
        let dep_refs = Box::pin(register_imports(app, &dep, roots)).await;
        let r = register_proto(app, &import, &dep, dep_refs.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{import}: {}", r.text);
        // The version that has this text (an older one when a later series moved on).
        let found = app
            .request(
                Method::POST,
                &format!("/subjects/{}", warden_testkit::encode(&import)),
                Some(&json!({"schemaType": "PROTOBUF", "schema": dep, "references": dep_refs})),
            )
            .await;
        let version = found.body["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("{}", found.text));
        refs.push(json!({"name": import, "subject": import, "version": version}));
    }
    Value::Array(refs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evolution_series_register_in_order_under_backward_except_renames_removals_and_redesigns() {
    let app = spawn_app().await;
    // Imports are registered as they were at each version, as their own subjects, without a
    // check; the series' own subjects are checked under BACKWARD.
    app.set_level(None, "NONE").await;
    let evolution = corpus().join("evolution/protobuf");
    let mut series: Vec<String> = std::fs::read_dir(&evolution)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    series.sort();
    let mut refused = 0;
    for name in &series {
        let dir = evolution.join(name);
        let subject = format!("evolution-{name}");
        app.set_level(Some(&subject), "BACKWARD").await;
        let mut versions: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".proto"))
            .map(|n| n.trim_end_matches(".proto").to_owned())
            .collect();
        versions.sort();
        for version in versions {
            let text = std::fs::read_to_string(dir.join(format!("{version}.proto"))).unwrap();
            let roots = [
                dir.join(format!("{version}.deps")),
                dir.clone(),
                corpus().join("protobuf/googleapis"),
                corpus().join("protobuf/protobuf"),
                corpus().join("protobuf/opentelemetry-proto"),
            ];
            let refs = register_imports(&app, &text, &roots).await;
            let r = register_proto(&app, &subject, &text, refs.clone()).await;
            let step = (name.as_str(), version.as_str());
            if UNCOMPILABLE_STEPS.contains(&step) {
                assert_eq!(r.error_code(), 42201, "{name} {version}: {}", r.text);
                continue;
            }
            match REFUSED_STEPS.iter().find(|(s, v, _)| (*s, *v) == step) {
                Some((_, _, rule)) => {
                    assert_eq!(
                        r.error_code(),
                        40901,
                        "{name} {version} must be refused: {}",
                        r.text
                    );
                    assert!(
                        r.text.contains(rule),
                        "{name} {version}: {rule} in {}",
                        r.text
                    );
                    refused += 1;
                    // Accept the breaking version anyway, so the next step is judged
                    // against it, as a team that decided to break would.
                    app.set_level(Some(&subject), "NONE").await;
                    let forced = register_proto(&app, &subject, &text, refs).await;
                    assert_eq!(forced.status, StatusCode::OK, "{}", forced.text);
                    app.set_level(Some(&subject), "BACKWARD").await;
                }
                None => assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "{name} {version} is backward compatible: {}",
                    r.text
                ),
            }
        }
    }
    assert_eq!(refused, REFUSED_STEPS.len(), "every listed step was seen");
}

/// Confluent's texts through the API: `normalize=true` stores Confluent's normalized form
/// (`ProtobufSchemaUtils.toNormalizedString`), and a lookup of the same schema written in
/// another order finds it.
#[tokio::test]
async fn normalize_true_stores_confluents_normalized_form() {
    let app = spawn_app().await;
    let schema = "syntax = \"proto3\";\npackage acme;\nimport \"google/protobuf/timestamp.proto\";\n\
        option java_package = \"x\";\noption go_package = \"y\";\n\
        message B {\n  google.protobuf.Timestamp at = 2 [json_name = \"when\", deprecated = true];\n  int32 a = 1;\n}\n";
    let normalized = "syntax = \"proto3\";\npackage acme;\n\nimport \"google/protobuf/timestamp.proto\";\n\n\
        option go_package = \"y\";\noption java_package = \"x\";\n\nmessage B {\n  int32 a = 1;\n  \
        .google.protobuf.Timestamp at = 2 [\n    deprecated = true,\n    json_name = \"when\"\n  ];\n}\n";
    let r = app
        .request(
            Method::POST,
            "/subjects/norm/versions?normalize=true",
            Some(&json!({"schemaType": "PROTOBUF", "schema": schema})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], json!(1));
    let v = app.version("norm", "1").await;
    assert_eq!(v.body["schema"], json!(normalized));
    // Another schema is not found (40403), the same one in another order is.
    let other = "syntax = \"proto3\";\npackage acme;\nmessage B {\n  int32 a = 1;\n}\n";
    let missing = app
        .request(
            Method::POST,
            "/subjects/norm?normalize=true",
            Some(&json!({"schemaType": "PROTOBUF", "schema": other})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    assert_eq!(missing.body["error_code"], json!(40403));
    let same = "syntax = \"proto3\";\npackage acme;\nimport \"google/protobuf/timestamp.proto\";\n\
        option go_package = \"y\";\noption java_package = \"x\";\n\
        message B {\n  int32 a = 1;\n  .google.protobuf.Timestamp at = 2 [deprecated = true, json_name = \"when\"];\n}\n";
    let found = app
        .request(
            Method::POST,
            "/subjects/norm?normalize=true",
            Some(&json!({"schemaType": "PROTOBUF", "schema": same})),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(found.body["id"], json!(1));
    assert_eq!(found.body["version"], json!(1));
}

/// What Confluent accepts without checking custom options registers (200), and is stored as
/// Confluent's printer writes it, options as written.
#[tokio::test]
async fn custom_options_confluent_does_not_check_register() {
    let app = spawn_app().await;
    for (subject, schema) in [
        (
            "meta-without-import",
            "syntax = \"proto3\";\n\nmessage M {\n  string f = 1 [(confluent.field_meta).tags = \"PII\"];\n}\n",
        ),
        (
            "unknown-option",
            "syntax = \"proto3\";\n\noption (acme.owner) = \"team\";\n\nmessage M {\n  string f = 1;\n}\n",
        ),
        (
            "meta-in-io-confluent",
            "syntax = \"proto3\";\npackage io.confluent.kafka.test;\n\nimport \"confluent/meta.proto\";\n\n\
             message M {\n  option (confluent.message_meta) = {\n    doc: \"M\"\n  };\n\n  string f = 1;\n}\n",
        ),
    ] {
        let r = register_proto(&app, subject, schema, json!([])).await;
        assert_eq!(r.status, StatusCode::OK, "{subject}: {}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        let by_id = app.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(by_id.body["schema"], json!(schema), "{subject}");
    }
    // A type that does not exist is still refused: 42201.
    let r = register_proto(
        &app,
        "bad",
        "syntax = \"proto3\";\nmessage M { Missing m = 1; }\n",
        json!([]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["error_code"], json!(42201));
}
