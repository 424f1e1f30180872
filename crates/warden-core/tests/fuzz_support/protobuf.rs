//! Protobuf files: messages with scalar, enum, message, map and well-known-type fields,
//! nested messages and enums, oneofs, `reserved`, and imports of the well-known types; and
//! changed versions of them.

use std::fmt::Write as _;

use proptest::prelude::*;

const SCALARS: [&str; 15] = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
];

const MAP_KEYS: [&str; 4] = ["string", "int32", "int64", "bool"];

/// A field's type before names are known: the index picks among what exists.
#[derive(Debug, Clone)]
pub(crate) enum FieldType {
    Scalar(u8),
    /// An enum of the file (modulo their count), or a scalar when there is none.
    Enum(u8),
    /// A message of the file (modulo their count, itself included).
    Message(u8),
    Map(u8, Box<FieldType>),
    Timestamp,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) ty: FieldType,
    pub(crate) repeated: bool,
    /// Field numbers leave gaps (and a reserved range) in between.
    pub(crate) gap: u8,
}

#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) fields: Vec<Field>,
    pub(crate) oneof: Vec<Field>,
    pub(crate) nested: Vec<Message>,
    pub(crate) enum_values: Option<u8>,
    pub(crate) reserved: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct File {
    pub(crate) package: bool,
    pub(crate) messages: Vec<Message>,
    pub(crate) enums: Vec<u8>,
}

fn field_type() -> impl Strategy<Value = FieldType> {
    let simple = prop_oneof![
        6 => (0u8..SCALARS.len() as u8).prop_map(FieldType::Scalar),
        2 => any::<u8>().prop_map(FieldType::Enum),
        2 => any::<u8>().prop_map(FieldType::Message),
        1 => Just(FieldType::Timestamp),
    ];
    prop_oneof![
        6 => simple.clone(),
        1 => (0u8..MAP_KEYS.len() as u8, simple).prop_map(|(k, v)| FieldType::Map(k, Box::new(v))),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    (field_type(), prop::bool::weighted(0.2), 0u8..3).prop_map(|(ty, repeated, gap)| Field {
        ty,
        repeated,
        gap,
    })
}

fn message() -> impl Strategy<Value = Message> {
    let flat = (
        prop::collection::vec(field(), 0..6),
        prop::collection::vec(field(), 0..3),
        prop::option::weighted(0.3, 1u8..4),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(fields, oneof, enum_values, reserved)| Message {
            fields,
            oneof,
            nested: Vec::new(),
            enum_values,
            reserved,
        });
    flat.prop_recursive(2, 8, 2, |inner| {
        (
            prop::collection::vec(field(), 0..5),
            prop::collection::vec(inner, 0..3),
            prop::option::weighted(0.3, 1u8..4),
        )
            .prop_map(|(fields, nested, enum_values)| Message {
                fields,
                oneof: Vec::new(),
                nested,
                enum_values,
                reserved: false,
            })
    })
}

pub(crate) fn file() -> impl Strategy<Value = File> {
    (
        any::<bool>(),
        prop::collection::vec(message(), 1..4),
        prop::collection::vec(1u8..4, 0..2),
    )
        .prop_map(|(package, messages, enums)| File {
            package,
            messages,
            enums,
        })
}

/// A change to a file, as a new version would make it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Change {
    RemoveField,
    NewType,
    AddField,
    Renumber,
    MakeRepeated,
    RemoveMessage,
}

pub(crate) fn change() -> impl Strategy<Value = (Change, usize)> {
    (
        prop::sample::select(vec![
            Change::RemoveField,
            Change::NewType,
            Change::AddField,
            Change::Renumber,
            Change::MakeRepeated,
            Change::RemoveMessage,
        ]),
        any::<usize>(),
    )
}

impl File {
    /// The file with `change` made to its `at`-th top-level message (modulo their count).
    pub(crate) fn changed(&self, change: Change, at: usize) -> File {
        let mut out = self.clone();
        let i = at % out.messages.len();
        let m = &mut out.messages[i];
        let f = at % m.fields.len().max(1);
        match change {
            Change::RemoveField if !m.fields.is_empty() => {
                m.fields.remove(f);
            }
            Change::NewType if !m.fields.is_empty() => {
                m.fields[f].ty = match m.fields[f].ty {
                    FieldType::Scalar(s) => FieldType::Scalar((s + 1) % SCALARS.len() as u8),
                    _ => FieldType::Scalar(13),
                };
            }
            Change::Renumber if !m.fields.is_empty() => m.fields[f].gap += 1,
            Change::MakeRepeated if !m.fields.is_empty() => {
                m.fields[f].repeated = !m.fields[f].repeated;
            }
            Change::RemoveMessage if self.messages.len() > 1 => {
                out.messages.remove(i);
            }
            _ => m.fields.push(Field {
                ty: FieldType::Scalar(at as u8 % SCALARS.len() as u8),
                repeated: false,
                gap: 0,
            }),
        }
        out
    }

    /// The `.proto` source (proto3).
    pub(crate) fn text(&self) -> String {
        let mut out = String::from("syntax = \"proto3\";\n");
        if self.package {
            out.push_str("package fuzz.v1;\n");
        }
        out.push_str("import \"google/protobuf/timestamp.proto\";\n\n");
        let top: Vec<String> = (0..self.messages.len()).map(|i| format!("M{i}")).collect();
        let enums: Vec<String> = (0..self.enums.len()).map(|i| format!("E{i}")).collect();
        for (i, values) in self.enums.iter().enumerate() {
            write_enum(&mut out, &format!("E{i}"), *values, "");
        }
        for (i, m) in self.messages.iter().enumerate() {
            write_message(&mut out, &format!("M{i}"), m, &top, &enums, "");
        }
        out
    }
}

fn write_enum(out: &mut String, name: &str, values: u8, indent: &str) {
    let _ = writeln!(out, "{indent}enum {name} {{");
    for v in 0..values {
        let _ = writeln!(out, "{indent}  {}_V{v} = {v};", name.to_uppercase());
    }
    let _ = writeln!(out, "{indent}}}");
}

fn type_name(ty: &FieldType, top: &[String], enums: &[String]) -> String {
    match ty {
        FieldType::Scalar(s) => SCALARS[*s as usize % SCALARS.len()].to_owned(),
        FieldType::Enum(e) if !enums.is_empty() => enums[*e as usize % enums.len()].clone(),
        FieldType::Enum(_) => "int32".to_owned(),
        FieldType::Message(m) => top[*m as usize % top.len()].clone(),
        FieldType::Timestamp => "google.protobuf.Timestamp".to_owned(),
        FieldType::Map(k, v) => {
            // A map's values are never maps.
            let v = match **v {
                FieldType::Map(..) => "string".to_owned(),
                ref v => type_name(v, top, enums),
            };
            format!("map<{}, {v}>", MAP_KEYS[*k as usize % MAP_KEYS.len()])
        }
    }
}

fn write_message(
    out: &mut String,
    name: &str,
    m: &Message,
    top: &[String],
    enums: &[String],
    indent: &str,
) {
    let _ = writeln!(out, "{indent}message {name} {{");
    let inner = format!("{indent}  ");
    let mut number = 1u32;
    if m.reserved {
        let _ = writeln!(
            out,
            "{inner}reserved 100 to 110;\n{inner}reserved \"gone\";"
        );
    }
    let mut enums_here = enums.to_vec();
    if let Some(values) = m.enum_values {
        let local = format!("{name}Kind");
        write_enum(out, &local, values, &inner);
        enums_here.push(local);
    }
    for (i, n) in m.nested.iter().enumerate() {
        write_message(out, &format!("{name}N{i}"), n, top, enums, &inner);
    }
    for (i, f) in m.fields.iter().enumerate() {
        number += u32::from(f.gap);
        let ty = type_name(&f.ty, top, &enums_here);
        let label = if f.repeated && !ty.starts_with("map<") {
            "repeated "
        } else {
            ""
        };
        let _ = writeln!(out, "{inner}{label}{ty} f{i} = {number};");
        number += 1;
    }
    if !m.oneof.is_empty() {
        let _ = writeln!(out, "{inner}oneof choice {{");
        for (i, f) in m.oneof.iter().enumerate() {
            let ty = match &f.ty {
                FieldType::Map(..) => "string".to_owned(),
                other => type_name(other, top, &enums_here),
            };
            let _ = writeln!(out, "{inner}  {ty} o{i} = {};", 200 + i);
        }
        let _ = writeln!(out, "{inner}}}");
    }
    let _ = writeln!(out, "{indent}}}");
}
