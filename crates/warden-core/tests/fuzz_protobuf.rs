//! Property tests of the Protobuf side: the compiler front end, the descriptor printer behind
//! the normalized and `format=serialized` forms, the compatibility checker, message indexes,
//! and the payload decoder and encoding check on random and damaged bytes. Generators are in
//! `fuzz_support/protobuf.rs`.
//!
//! Long run: `PROPTEST_CASES=100000 cargo test -p warden-core --release --test fuzz_protobuf`.

mod fuzz_support;

use proptest::prelude::*;
use warden_core::compat::{Direction, check};
use warden_core::protobuf::{EncodingCheck, ProtobufSchema};
use warden_core::{CompatibilityLevel, ParsedSchema, SchemaType, fingerprint};

use fuzz_support::protobuf as proto_gen;
use fuzz_support::{bytes, config};

const LEVELS: [CompatibilityLevel; 7] = [
    CompatibilityLevel::None,
    CompatibilityLevel::Backward,
    CompatibilityLevel::BackwardTransitive,
    CompatibilityLevel::Forward,
    CompatibilityLevel::ForwardTransitive,
    CompatibilityLevel::Full,
    CompatibilityLevel::FullTransitive,
];

fn parse(text: &str) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Protobuf, text, &[]).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

fn proto(schema: &ParsedSchema) -> &ProtobufSchema {
    match schema {
        ParsedSchema::Protobuf(p) => p,
        _ => unreachable!("a Protobuf schema"),
    }
}

/// The checker's verdict both ways; the levels agree with it.
fn verdicts(old: &ParsedSchema, new: &ParsedSchema) -> (bool, bool) {
    let backward = new
        .check_reader_writer(old, Direction::NewReadsOld)
        .is_empty();
    let forward = old
        .check_reader_writer(new, Direction::OldReadsNew)
        .is_empty();
    let level = |l| check(l, new, &[old]).is_compatible();
    assert_eq!(level(CompatibilityLevel::Backward), backward);
    assert_eq!(level(CompatibilityLevel::Forward), forward);
    assert_eq!(level(CompatibilityLevel::Full), backward && forward);
    (backward, forward)
}

fn assert_compatible_with_itself(text: &str) {
    let (a, b) = (parse(text), parse(text));
    for level in LEVELS {
        let result = check(level, &a, &[&b, &a]);
        assert!(result.is_compatible(), "{level:?}: {result:?}\n{text}");
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// The canonical text is a fixed point; the normalized text and the printed descriptor
    /// (`format=serialized`) are fixed points of the printer and mean the same schema.
    #[test]
    fn generated_files_compile_and_their_printed_forms_are_fixed_points(file in proto_gen::file()) {
        let text = file.text();
        let schema = parse(&text);
        let again = parse(schema.canonical());
        prop_assert_eq!(again.canonical(), schema.canonical());
        prop_assert_eq!(
            fingerprint(SchemaType::Protobuf, again.canonical(), &[], None, None),
            fingerprint(SchemaType::Protobuf, schema.canonical(), &[], None, None)
        );
        let normalized = schema.normalized();
        let renormalized = parse(&normalized);
        prop_assert_eq!(renormalized.normalized(), normalized.clone(), "normalizing is idempotent");
        prop_assert_eq!(verdicts(&schema, &renormalized), (true, true), "{}", normalized);
        let serialized = proto(&schema).serialized();
        let from_descriptor = parse(&serialized);
        let printed = from_descriptor.canonical().to_owned();
        // The descriptor's text goes through Confluent's printer, a fixed point.
        let reprinted = parse(&printed);
        prop_assert_eq!(reprinted.canonical(), printed.as_str(), "the printer is a fixed point");
        prop_assert_eq!(verdicts(&schema, &from_descriptor), (true, true), "{}", printed);
    }

    #[test]
    fn every_file_is_compatible_with_itself_at_every_level(file in proto_gen::file()) {
        assert_compatible_with_itself(&file.text());
    }

    #[test]
    fn changed_versions_are_checked_both_ways_without_panicking(
        file in proto_gen::file(), (change, at) in proto_gen::change(),
    ) {
        let old = parse(&file.text());
        let text = file.changed(change, at).text();
        if let Ok(new) = ParsedSchema::parse(SchemaType::Protobuf, &text, &[]) {
            assert_compatible_with_itself(&text);
            verdicts(&old, &new);
        }
    }

    /// Every message's indexes lead back to it; random bytes decode as any message or fail
    /// with an error, what the encoding check accepts decodes, and the check compiled once
    /// answers as the descriptor walk.
    #[test]
    fn messages_are_found_by_their_indexes_and_random_bytes_never_panic(
        file in proto_gen::file(), random in prop::collection::vec(any::<u8>(), 0..48),
        damage in bytes::damages(),
    ) {
        let schema = parse(&file.text());
        let p = proto(&schema);
        let mut stack: Vec<_> = p.file().messages().collect();
        while let Some(message) = stack.pop() {
            stack.extend(message.child_messages().filter(|m| !m.is_map_entry()));
            let indexes = p.message_indexes(message.full_name()).unwrap();
            let found = p.message_by_indexes(&indexes).unwrap();
            prop_assert_eq!(found.full_name(), message.full_name());
            let damaged = bytes::apply(&random, &damage);
            let compiled = EncodingCheck::new(&message);
            for input in [&random, &damaged] {
                let decoded = p.decode(&message, input);
                let checked = p.check_encoding(&message, input);
                prop_assert_eq!(&compiled.check(input), &checked);
                if checked.is_ok() {
                    prop_assert!(decoded.is_ok(), "{:?}", decoded);
                }
                if decoded.is_ok() {
                    let _ = p.decode_to_json(&message, input);
                }
            }
        }
    }

    #[test]
    fn damaged_source_compiles_or_is_refused_without_panicking(
        file in proto_gen::file(), damage in bytes::damages(),
    ) {
        let damaged = bytes::apply(file.text().as_bytes(), &damage);
        if let Ok(text) = std::str::from_utf8(&damaged)
            && let Ok(schema) = ParsedSchema::parse(SchemaType::Protobuf, text, &[])
        {
            let _ = schema.normalized();
            assert_compatible_with_itself(text);
        }
    }
}

/// Deep nesting answers, not overflows: messages nested as deep as the compiler allows and
/// deeper, and a message field recursive through itself in a payload nested far deeper than
/// the encoding check allows.
#[test]
fn deep_messages_and_deeply_nested_payloads_answer_without_overflowing_the_stack() {
    let nested = |depth: usize| {
        let mut text = String::from("syntax = \"proto3\";\n");
        for i in 0..depth {
            text.push_str(&format!("message M{i} {{ int32 v = 1;\n"));
        }
        text + &"}\n".repeat(depth)
    };
    let text = nested(30);
    assert_compatible_with_itself(&text);
    let _ = parse(&text).normalized();
    let refused = ParsedSchema::parse(SchemaType::Protobuf, &nested(500), &[]).unwrap_err();
    assert!(refused.to_string().contains("recursion limit"), "{refused}");

    let node = parse("syntax = \"proto3\"; message Node { Node next = 1; int32 v = 2; }");
    let p = proto(&node);
    let message = p.message("Node").unwrap();
    // next { next { … } }: each level is the tag 0x0a and a length.
    let mut payload: Vec<u8> = Vec::new();
    for _ in 0..2_000 {
        let mut outer = vec![0x0a];
        let mut len = payload.len();
        while len >= 0x80 {
            outer.push((len as u8) | 0x80);
            len >>= 7;
        }
        outer.push(len as u8);
        outer.extend_from_slice(&payload);
        payload = outer;
    }
    let checked = p.check_encoding(&message, &payload);
    assert!(checked.is_err(), "{checked:?}");
    let _ = p.decode(&message, &payload);
}
