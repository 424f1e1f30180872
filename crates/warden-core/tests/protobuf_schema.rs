//! Protobuf schemas: parsing (text, base64 descriptors, references, built-ins), bad input,
//! canonical, normalized and serialized forms, the printer, message indexes, the wire helpers
//! and the JSON ↔ binary codec.

use base64::Engine as _;
use prost::Message as _;
use serde_json::json;
use warden_core::protobuf::printer::{self, Style};
use warden_core::protobuf::{DEFAULT_FILE_NAME, ProtobufParseOptions, SchemaSource};
use warden_core::wire::{self, WireError};
use warden_core::{ProtobufSchema, ResolvedReference, SchemaError, SchemaId, SchemaType};

fn parse(text: &str) -> ProtobufSchema {
    ProtobufSchema::parse(text, &[]).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

fn invalid(text: &str, refs: &[ResolvedReference]) -> String {
    match ProtobufSchema::parse(text, refs) {
        Err(SchemaError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn reference(name: &str, text: &str) -> ResolvedReference {
    ResolvedReference {
        name: name.to_owned(),
        schema_type: SchemaType::Protobuf,
        schema: text.to_owned(),
    }
}

const ORDER: &str = r#"syntax = "proto3";
package acme.orders;

import "google/protobuf/timestamp.proto";
import "google/type/money.proto";
import "confluent/meta.proto";
import "confluent/type/decimal.proto";

option java_package = "com.acme.orders";

message Order {
  option (confluent.message_meta) = { doc: "An order" tags: ["PII"] };
  string id = 1 [json_name = "orderId"];
  google.protobuf.Timestamp placed_at = 2;
  repeated Line lines = 3;
  map<string, string> labels = 4;
  oneof payment {
    string card = 5;
    string voucher = 6;
  }
  optional google.type.Money total = 7;
  confluent.type.Decimal tax = 8;
  Status status = 9 [deprecated = true];
  reserved 20 to 25, 30;
  reserved "legacy";

  message Line {
    string sku = 1;
    int32 quantity = 2;
    map<string, Line> children = 3;
    message Note { string text = 1; }
  }
  enum Status {
    STATUS_UNSPECIFIED = 0;
    PLACED = 1;
  }
}

message Refund {
  string order_id = 1;
}

service Orders {
  rpc Place(Order) returns (Order);
  rpc Watch(stream Order) returns (stream Refund) {
    option deprecated = true;
  }
}
"#;

/// [`ORDER`] as Confluent stores it (wire's parse, `ProtobufSchemaUtils.toString`): sections
/// after blank lines, reserved and options first, oneofs after fields, nested types last (blank
/// lines inside a nested message keep the indentation), aggregates one entry per line, rpc
/// options in a block followed by `;`.
const ORDER_CANONICAL: &str = "syntax = \"proto3\";
package acme.orders;

import \"google/protobuf/timestamp.proto\";
import \"google/type/money.proto\";
import \"confluent/meta.proto\";
import \"confluent/type/decimal.proto\";

option java_package = \"com.acme.orders\";

message Order {
  reserved 20 to 25, 30;
  reserved \"legacy\";

  option (confluent.message_meta) = {
    doc: \"An order\",
    tags: [
      \"PII\"
    ]
  };

  string id = 1 [json_name = \"orderId\"];
  google.protobuf.Timestamp placed_at = 2;
  repeated Line lines = 3;
  map<string, string> labels = 4;
  optional google.type.Money total = 7;
  confluent.type.Decimal tax = 8;
  Status status = 9 [deprecated = true];

  oneof payment {
    string card = 5;
    string voucher = 6;
  }

  message Line {
    string sku = 1;
    int32 quantity = 2;
    map<string, Line> children = 3;
  
    message Note {
      string text = 1;
    }
  }
  enum Status {
    STATUS_UNSPECIFIED = 0;
    PLACED = 1;
  }
}
message Refund {
  string order_id = 1;
}

service Orders {
  rpc Place (Order) returns (Order);
  rpc Watch (stream Order) returns (stream Refund) {
    option deprecated = true;
  };
}
";

#[test]
fn builtins_resolve_without_references() {
    let schema = parse(ORDER);
    assert_eq!(schema.source(), SchemaSource::Text);
    assert_eq!(schema.canonical(), ORDER_CANONICAL);
    assert_eq!(schema.name().as_deref(), Some("acme.orders.Order"));
    assert_eq!(schema.file().name(), DEFAULT_FILE_NAME);
    for import in [
        "google/protobuf/timestamp.proto",
        "google/type/money.proto",
        "confluent/meta.proto",
        "confluent/type/decimal.proto",
    ] {
        assert!(warden_core::protobuf::is_builtin_import(import), "{import}");
        assert!(schema.pool().get_file_by_name(import).is_some(), "{import}");
    }
    assert!(!warden_core::protobuf::is_builtin_import(
        "acme/common.proto"
    ));
}

#[test]
fn imports_resolve_from_the_transitive_closure_of_references() {
    let base = "syntax = \"proto3\";\npackage acme.base;\nmessage Id { string value = 1; }";
    let common = "syntax = \"proto3\";\npackage acme.common;\nimport \"acme/base.proto\";\nmessage Ref { acme.base.Id id = 1; }";
    let main =
        "syntax = \"proto3\";\nimport \"acme/common.proto\";\nmessage M { acme.common.Ref r = 1; }";
    let refs = [
        reference("acme/base.proto", base),
        reference("acme/common.proto", common),
    ];
    let schema = ProtobufSchema::parse(main, &refs).expect("parses");
    assert!(schema.message("acme.base.Id").is_some());
    // Without the transitive reference the import is missing.
    let message = invalid(main, &refs[1..]);
    assert!(message.contains("acme/base.proto"), "{message}");
    assert!(message.contains("not found"), "{message}");
}

#[test]
fn bad_input_is_invalid_with_file_line_and_column() {
    let garbage = invalid("this is not protobuf", &[]);
    assert!(garbage.starts_with("default:1:1:"), "{garbage}");

    let undefined = invalid(
        "syntax = \"proto3\";\nmessage M {\n  Missing m = 1;\n}",
        &[],
    );
    assert!(undefined.starts_with("default:3:3:"), "{undefined}");
    assert!(undefined.contains("Missing"), "{undefined}");

    let import = invalid(
        "syntax = \"proto3\";\nimport \"nowhere.proto\";\nmessage M {}",
        &[],
    );
    assert!(import.contains("nowhere.proto"), "{import}");
    assert!(import.contains("references or a built-in"), "{import}");

    let bad_reference = invalid(
        "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage M { D d = 1; }",
        &[reference(
            "dep.proto",
            "syntax = \"proto3\";\nmessage D { int32 x = 1 }",
        )],
    );
    assert!(bad_reference.starts_with("dep.proto:2:"), "{bad_reference}");

    let not_protobuf = invalid(
        "syntax = \"proto3\";\nmessage M {}",
        &[ResolvedReference {
            name: "x".to_owned(),
            schema_type: SchemaType::Avro,
            schema: "\"string\"".to_owned(),
        }],
    );
    assert!(not_protobuf.contains("not Protobuf"), "{not_protobuf}");

    // Valid base64 that is not a descriptor: the text error is what is reported.
    let base64 = invalid("aGVsbG8gd29ybGQ=", &[]);
    assert!(base64.starts_with("default:1:1:"), "{base64}");

    let editions = invalid("edition = \"2023\";\nmessage M {}", &[]);
    assert!(
        editions.contains("editions are not supported"),
        "{editions}"
    );

    assert!(
        ProtobufSchema::parse("", &[]).is_ok(),
        "an empty file is a valid .proto file"
    );
}

#[test]
fn a_base64_descriptor_parses_and_reads_back_as_proto_source() {
    let schema = parse(ORDER);
    let serialized = schema.serialized();
    let fdp = prost_types::FileDescriptorProto::decode(
        base64::engine::general_purpose::STANDARD
            .decode(&serialized)
            .expect("base64")
            .as_slice(),
    )
    .expect("descriptor");
    assert_eq!(fdp.name(), DEFAULT_FILE_NAME);
    assert!(fdp.source_code_info.is_none());

    let from_descriptor = ProtobufSchema::parse(&serialized, &[]).expect("descriptor parses");
    assert_eq!(from_descriptor.source(), SchemaSource::Descriptor);
    assert_eq!(from_descriptor.serialized(), serialized);
    let printed = printer::print(schema.file(), Style::Canonical).expect("prints");
    assert_eq!(from_descriptor.canonical(), parse(&printed).canonical());
    // The custom option survives: the printed text has it.
    assert!(
        from_descriptor
            .canonical()
            .contains("(confluent.message_meta)")
    );

    // A descriptor as a client sends it (its own name, here with a reference).
    let dep = "syntax = \"proto3\";\npackage d;\nmessage D { int32 x = 1; }";
    let main = "syntax = \"proto3\";\nimport \"d.proto\";\nmessage M { d.D d = 1; }";
    let refs = [reference("d.proto", dep)];
    let mut fdp = ProtobufSchema::parse(main, &refs)
        .expect("parses")
        .file_descriptor_proto();
    fdp.name = Some("client/m.proto".to_owned());
    let encoded = base64::engine::general_purpose::STANDARD.encode(fdp.encode_to_vec());
    let parsed = ProtobufSchema::parse(&encoded, &refs).expect("client descriptor parses");
    assert_eq!(parsed.file().name(), "client/m.proto");
    assert!(parsed.canonical().contains("import \"d.proto\";"));
    assert!(parsed.canonical().contains(".d.D d = 1;"));
}

#[test]
fn the_printer_writes_every_construct_and_compiles_back_to_the_same_descriptor() {
    let schema = parse(ORDER);
    let printed = printer::print(schema.file(), Style::Canonical).expect("prints");
    for expected in [
        "syntax = \"proto3\";",
        "package acme.orders;",
        "import \"google/protobuf/timestamp.proto\";",
        "option java_package = \"com.acme.orders\";",
        "option (confluent.message_meta) = { doc: \"An order\" tags: [\"PII\"] };",
        "string id = 1 [json_name = \"orderId\"];",
        "map<string, string> labels = 4;",
        "oneof payment {",
        "optional .google.type.Money total = 7;",
        ".acme.orders.Order.Status status = 9 [deprecated = true];",
        "reserved 20 to 25, 30;",
        "reserved \"legacy\";",
        "map<string, .acme.orders.Order.Line> children = 3;",
        "rpc Place(.acme.orders.Order) returns (.acme.orders.Order);",
        "rpc Watch(stream .acme.orders.Order) returns (stream .acme.orders.Refund) {",
        "option deprecated = true;",
    ] {
        assert!(
            printed.contains(expected),
            "missing {expected:?} in\n{printed}"
        );
    }
    let reparsed = parse(&printed);
    assert_eq!(
        reparsed.file_descriptor_proto(),
        schema.file_descriptor_proto()
    );
}

#[test]
fn proto2_defaults_groups_extensions_and_weak_imports_print_back() {
    let text = r#"syntax = "proto2";
package p2;
import public "google/protobuf/any.proto";
import "google/protobuf/descriptor.proto";
import weak "google/protobuf/empty.proto";
extend google.protobuf.FieldOptions { optional string note = 50001; }
message M {
  optional string s = 1 [default = "a \"quoted\"\nline", (note) = "n"];
  optional bytes b = 2 [default = "\001\377"];
  optional double d = 3 [default = -inf];
  optional float f = 4 [default = 1.5];
  optional E e = 5 [default = B];
  repeated int32 packed = 6 [packed = true];
  required int64 r = 7;
  optional group G = 8 { optional int32 x = 1; }
  extensions 100 to 199, 1000 to max;
  enum E { A = 0; B = 1; }
}
extend M { optional int32 ext = 100; }
"#;
    let schema = parse(text);
    let printed = printer::print(schema.file(), Style::Canonical).expect("prints");
    assert!(printed.starts_with("syntax = \"proto2\";"), "{printed}");
    assert!(
        printed.contains("import public \"google/protobuf/any.proto\";"),
        "{printed}"
    );
    assert!(
        printed.contains("import weak \"google/protobuf/empty.proto\";"),
        "{printed}"
    );
    assert!(printed.contains("optional group G = 8 {"), "{printed}");
    assert!(printed.contains("extensions 1000 to max;"), "{printed}");
    assert!(printed.contains("extend .p2.M {"), "{printed}");
    assert!(printed.contains("[default = B]"), "{printed}");
    let reparsed = parse(&printed);
    assert_eq!(
        reparsed.file_descriptor_proto(),
        schema.file_descriptor_proto()
    );
    assert_eq!(
        reparsed.serialized(),
        schema.serialized(),
        "extension options included"
    );
}

#[test]
fn normalized_sorts_imports_options_and_fields_and_keeps_message_order() {
    let a = r#"syntax = "proto3";
import "google/type/money.proto";
import "google/protobuf/timestamp.proto";
option java_package = "x";
option go_package = "y";
message B { string z = 2 [deprecated = true, json_name = "zz"]; int32 a = 1; }
message A {}
"#;
    let b = r#"syntax = "proto3";
import "google/protobuf/timestamp.proto";
import "google/type/money.proto";
option go_package = "y";
option java_package = "x";
// Same schema, other formatting and option order.
message B {
  string z = 2 [json_name = "zz", deprecated = true];
  int32 a = 1;
}
message A {
}
"#;
    let (a, b) = (parse(a), parse(b));
    assert_ne!(a.canonical(), b.canonical());
    assert_eq!(a.normalized(), b.normalized());
    let normalized = a.normalized();
    let timestamp = normalized
        .find("google/protobuf/timestamp.proto")
        .expect("import");
    let money = normalized.find("google/type/money.proto").expect("import");
    assert!(timestamp < money, "imports sorted:\n{normalized}");
    assert!(normalized.find("go_package") < normalized.find("java_package"));
    assert!(
        normalized.find("message B") < normalized.find("message A"),
        "order kept"
    );
    // Confluent sorts fields by number and writes several options one per line.
    assert!(
        normalized.find("a = 1") < normalized.find("z = 2"),
        "fields sorted:\n{normalized}"
    );
    assert!(
        normalized.contains("string z = 2 [\n    deprecated = true,\n    json_name = \"zz\"\n  ];"),
        "{normalized}"
    );
    // The normalized text is itself a schema with the same messages.
    assert_eq!(parse(&normalized).normalized(), normalized);
}

const NESTED: &str = r#"syntax = "proto3";
package acme;
message A {
  map<string, int32> counts = 1;
  message B {
    message C { int32 x = 1; }
  }
  message D {}
}
message E {
  map<string, A> by_name = 1;
  message F {}
}
"#;

#[test]
fn message_indexes_skip_map_entries_and_round_trip() {
    let schema = parse(NESTED);
    let cases: [(&str, &[i32]); 6] = [
        ("acme.A", &[0]),
        ("acme.A.B", &[0, 0]),
        ("acme.A.B.C", &[0, 0, 0]),
        ("acme.A.D", &[0, 1]),
        ("acme.E", &[1]),
        ("acme.E.F", &[1, 0]),
    ];
    for (name, indexes) in cases {
        assert_eq!(
            schema.message_indexes(name).as_deref(),
            Some(indexes),
            "{name}"
        );
        let relative = name.strip_prefix("acme.").expect("package");
        assert_eq!(
            schema.message_indexes(relative).as_deref(),
            Some(indexes),
            "{relative}"
        );
        let message = schema.message_by_indexes(indexes).expect("message");
        assert_eq!(message.full_name(), name);
    }
    assert_eq!(
        schema.message_indexes("acme.A.CountsEntry"),
        None,
        "map entries have none"
    );
    assert_eq!(schema.message_indexes("acme.Nope"), None);
    assert_eq!(
        schema
            .message_by_indexes(&[])
            .map(|m| m.full_name().to_owned()),
        Some("acme.A".to_owned()),
        "an empty array is the first message"
    );
    assert!(schema.message_by_indexes(&[2]).is_none());
    assert!(schema.message_by_indexes(&[0, 2]).is_none());
    assert!(schema.message_by_indexes(&[-1]).is_none());
}

#[test]
fn wire_message_indexes_follow_confluent() {
    assert_eq!(wire::message_indexes_to_bytes(&[0]), vec![0x00]);
    assert_eq!(wire::message_indexes_to_bytes(&[]), vec![0x00]);
    // Count 2 then 1 and 0, each a zigzag varint.
    assert_eq!(
        wire::message_indexes_to_bytes(&[1, 0]),
        vec![0x04, 0x02, 0x00]
    );
    assert_eq!(
        wire::message_indexes_to_bytes(&[0, 2]),
        vec![0x04, 0x00, 0x04]
    );
    assert_eq!(
        wire::message_indexes_to_bytes(&[70]),
        vec![0x02, 0x8c, 0x01]
    );
    for indexes in [vec![0], vec![1, 0], vec![0, 0, 3], vec![300, 1]] {
        let mut bytes = wire::message_indexes_to_bytes(&indexes);
        bytes.extend_from_slice(b"rest");
        let (read, rest) = wire::read_message_indexes(&bytes).expect("reads");
        assert_eq!(read, indexes);
        assert_eq!(rest, b"rest");
    }
    assert_eq!(
        wire::read_message_indexes(&[]),
        Err(WireError::TruncatedIndexes)
    );
    assert_eq!(
        wire::read_message_indexes(&[0x04, 0x02]),
        Err(WireError::TruncatedIndexes)
    );
    assert_eq!(
        wire::read_message_indexes(&[0x80]),
        Err(WireError::TruncatedIndexes)
    );
    assert_eq!(
        wire::read_message_indexes(&[0x01]),
        Err(WireError::InvalidCount(-1))
    );
    assert_eq!(
        wire::read_message_indexes(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
        Err(WireError::VarintTooLong)
    );
}

#[test]
fn wire_frames_carry_the_magic_byte_and_a_big_endian_id() {
    let framed = wire::frame(SchemaId::new(258).unwrap(), b"payload");
    assert_eq!(&framed[..5], &[0x00, 0x00, 0x00, 0x01, 0x02]);
    let frame = wire::unframe(&framed).expect("frame");
    assert_eq!(frame.schema_id.get(), 258);
    assert_eq!(frame.payload, b"payload");
    assert_eq!(
        wire::unframe(&[0x01, 0, 0, 0, 1]),
        Err(WireError::UnknownMagicByte(0x01))
    );
    assert_eq!(
        wire::unframe(&[0x00, 0, 0]),
        Err(WireError::TruncatedHeader(3))
    );
    assert_eq!(wire::unframe(&[]), Err(WireError::TruncatedHeader(0)));
    assert_eq!(
        wire::unframe(&[0, 0, 0, 0, 7])
            .expect("header only")
            .payload,
        b""
    );
}

#[test]
fn json_encodes_to_bytes_and_decodes_back_in_the_proto3_mapping() {
    let schema = parse(ORDER);
    let order = schema.message("acme.orders.Order").expect("Order");
    let document = json!({
        "orderId": "o-1",
        "placedAt": "2024-05-01T10:00:00Z",
        "lines": [{"sku": "A", "quantity": 2, "children": {"x": {"sku": "B"}}}],
        "labels": {"channel": "web"},
        "card": "4111",
        "total": {"currencyCode": "EUR", "units": "12", "nanos": 500000000},
        "tax": {"value": "AQ==", "scale": 2},
        "status": "PLACED"
    });
    let (message, bytes) = schema.encode_json(&order, &document).expect("encodes");
    assert!(!bytes.is_empty());
    assert_eq!(schema.decode(&order, &bytes).expect("decodes"), message);
    let back = schema
        .decode_to_json(&order, &bytes)
        .expect("decodes to JSON");
    assert_eq!(back, document);
    // Through the wire format with message indexes, as a serializer would write it.
    let indexes = schema
        .message_indexes("acme.orders.Order.Line")
        .expect("indexes");
    let line = schema.message_by_indexes(&indexes).expect("Line");
    let (_, line_bytes) = schema
        .encode_json(&line, &json!({"sku": "Z", "quantity": 1}))
        .expect("encodes");
    let mut payload = wire::message_indexes_to_bytes(&indexes);
    payload.extend_from_slice(&line_bytes);
    let framed = wire::frame(SchemaId::new(7).unwrap(), &payload);
    let frame = wire::unframe(&framed).expect("frame");
    let (read, rest) = wire::read_message_indexes(frame.payload).expect("indexes");
    let message = schema.message_by_indexes(&read).expect("message");
    assert_eq!(message.full_name(), "acme.orders.Order.Line");
    assert_eq!(
        schema.decode_to_json(&message, rest).expect("decodes"),
        json!({"sku": "Z", "quantity": 1})
    );
}

#[test]
fn bad_documents_name_the_field_path() {
    let schema = parse(ORDER);
    let order = schema.message("acme.orders.Order").expect("Order");
    let cases = [
        (json!({"nope": 1}), "/nope", "unknown field"),
        (
            json!({"lines": [{"sku": "A"}, {"quantity": "x"}]}),
            "/lines/1/quantity",
            "",
        ),
        (
            json!({"lines": [{"sku": "A", "nope": 1}]}),
            "/lines/0/nope",
            "unknown field",
        ),
        (json!({"labels": {"a": 3}}), "/labels/a", ""),
        (
            json!({"lines": [{"children": {"k": {"sku": 5}}}]}),
            "/lines/0/children/k/sku",
            "",
        ),
        (json!({"status": "NOT_A_STATUS"}), "/status", ""),
        (json!({"placedAt": "yesterday"}), "/placedAt", ""),
        (json!({"total": {"units": "many"}}), "/total/units", ""),
        (json!({"lines": {"sku": "A"}}), "/lines", ""),
        (json!([1, 2]), "", "expected an object"),
    ];
    for (document, path, text) in cases {
        let error = schema
            .encode_json(&order, &document)
            .expect_err("must be refused");
        assert_eq!(error.path, path, "{document}: {error}");
        assert!(error.message.contains(text), "{document}: {error}");
    }
    assert!(schema.decode(&order, &[0xff, 0xff]).is_err());
}

#[test]
fn parsed_schemas_can_be_shared_across_threads() {
    fn shared<T: Send + Sync + Clone>() {}
    shared::<ProtobufSchema>();
    shared::<warden_core::ParsedSchema>();
}

/// What Confluent (square/wire) accepts without checking custom options is accepted unless
/// `strict`; the canonical text keeps the options as written.
#[test]
fn custom_options_confluent_does_not_check_are_accepted_unless_strict() {
    let cases = [
        // confluent.field_meta without its import.
        "syntax = \"proto3\";\n\nmessage M {\n  string f = 1 [(confluent.field_meta).tags = \"PII\"];\n}\n",
        // An option no imported file declares.
        "syntax = \"proto3\";\n\noption (acme.owner) = \"team\";\n\nmessage M {\n  string f = 1;\n}\n",
        // confluent.message_meta inside a package under io.confluent (protoc finds io.confluent).
        "syntax = \"proto3\";\npackage io.confluent.kafka.test;\n\nimport \"confluent/meta.proto\";\n\nmessage M {\n  option (confluent.message_meta) = {\n    doc: \"M\"\n  };\n\n  string f = 1;\n}\n",
        // A field of Meta that does not exist.
        "syntax = \"proto3\";\n\nimport \"confluent/meta.proto\";\n\nmessage M {\n  string f = 1 [(confluent.field_meta) = {\n    nope: 1\n  }];\n}\n",
    ];
    for text in cases {
        let schema = ProtobufSchema::parse(text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(schema.canonical(), text, "stored as Confluent prints it");
        assert_eq!(
            schema.name().as_deref().map(|n| n.ends_with('M')),
            Some(true)
        );
        match ProtobufSchema::parse_with(text, &[], true) {
            Err(SchemaError::Invalid(_)) => {}
            other => panic!("strict accepts it: {other:?}\n{text}"),
        }
    }
    // Invalid source stays invalid: the error is the first compilation's.
    let message = invalid("syntax = \"proto3\";\nmessage M { Missing m = 1; }", &[]);
    assert!(message.contains("Missing"), "{message}");
}

/// A type of a reference the schema does not import resolves when asked, as Confluent resolves
/// it when `validateFields` is off (`RestApiTest.testValidateFieldsDisabledAcceptsBrokenReference`);
/// by default and with `strict` it is refused (`testValidateFieldsRejectsBrokenReference`).
#[test]
fn a_referenced_type_without_its_import_resolves_when_asked() {
    let refs = [reference(
        "float_array.proto",
        "syntax = \"proto3\";\npackage com.example;\n\nmessage FeatureDataFloatArray {\n  repeated float values = 1;\n}\n",
    )];
    let text = "syntax = \"proto3\";\npackage com.example;\n\nmessage FeatureData {\n  map<string, FeatureDataFloatArray> float_array_features = 1;\n}\n";
    let lenient = ProtobufParseOptions {
        strict: false,
        resolve_unimported_references: true,
    };
    let schema = ProtobufSchema::parse_with_options(text, &refs, lenient).expect("accepted");
    assert_eq!(schema.canonical(), text);
    for refused in [
        ProtobufSchema::parse(text, &refs),
        ProtobufSchema::parse_with(text, &refs, true),
        ProtobufSchema::parse_with_options(
            text,
            &refs,
            ProtobufParseOptions {
                strict: true,
                resolve_unimported_references: true,
            },
        ),
    ] {
        assert!(
            matches!(refused, Err(SchemaError::Invalid(_))),
            "{refused:?}"
        );
    }
}

/// A proto3 enum whose first value is not zero, and an enum value or field number inside a
/// reserved range, are accepted as Confluent (square/wire, protobuf-java) accepts them, the
/// text kept as sent; with `strict` they are refused, as protoc refuses them.
#[test]
fn enum_and_reserved_number_rules_protoc_has_are_relaxed_unless_strict() {
    let cases = [
        // No zero value at all: the descriptor gains WARDEN_ZERO_Status = 0.
        (
            "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  Status status = 1;\n}\nenum Status {\n  ACTIVE = 1;\n  INACTIVE = 2;\n}\n",
            vec![("WARDEN_ZERO_Status", 0), ("ACTIVE", 1), ("INACTIVE", 2)],
        ),
        // A zero value declared later is moved first in the descriptor.
        (
            "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  Status status = 1;\n}\nenum Status {\n  ACTIVE = 1;\n  UNKNOWN = 0;\n}\n",
            vec![("UNKNOWN", 0), ("ACTIVE", 1)],
        ),
        // A value inside a reserved range.
        (
            "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  Status status = 1;\n}\nenum Status {\n  reserved 2 to 5, 9;\n  UNKNOWN = 0;\n  ACTIVE = 3;\n}\n",
            vec![("UNKNOWN", 0), ("ACTIVE", 3)],
        ),
    ];
    for (text, values) in cases {
        let schema = ProtobufSchema::parse(text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(schema.canonical(), text, "the text is kept as sent");
        let status = schema.pool().get_enum_by_name("acme.Status").expect("enum");
        let got: Vec<(String, i32)> = status
            .values()
            .map(|v| (v.name().to_owned(), v.number()))
            .collect();
        let want: Vec<(String, i32)> = values.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect();
        assert_eq!(got, want, "{text}");
        assert!(
            matches!(
                ProtobufSchema::parse_with(text, &[], true),
                Err(SchemaError::Invalid(_))
            ),
            "strict refuses it: {text}"
        );
    }
    // The reserved range that holds no value is kept.
    let text = "syntax = \"proto3\";\npackage acme;\n\nenum Status {\n  reserved 2 to 5, 9;\n  UNKNOWN = 0;\n  ACTIVE = 3;\n}\n";
    let schema = parse(text);
    let status = schema.pool().get_enum_by_name("acme.Status").expect("enum");
    let ranges: Vec<_> = status.reserved_ranges().collect();
    assert_eq!(ranges, vec![9..=9]);
    // A message field inside a reserved range.
    let text = "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  reserved 1 to 3;\n\n  string id = 2;\n}\n";
    assert_eq!(parse(text).canonical(), text);
    assert!(ProtobufSchema::parse_with(text, &[], true).is_err());
}
