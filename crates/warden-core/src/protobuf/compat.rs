//! Protobuf compatibility: a port of the semantics of Confluent's Protobuf diff
//! (`protobuf-provider/.../protobuf/diff/{SchemaDiff, MessageSchemaDiff, FieldSchemaDiff,
//! EnumSchemaDiff, Context, Difference}.java`, master as of 2026), over compiled descriptors
//! instead of square/wire's parse tree.
//!
//! Confluent computes `SchemaDiff.compare(original, update)` and calls the update backward
//! compatible when every [`Difference`] is in `SchemaDiff.COMPATIBLE_CHANGES`. Backward compares
//! old → new (`SchemaDiff.compare(previous, this)`), forward new → old. The rules:
//!
//! - **File.** A different `package` is `PACKAGE_CHANGED`, incompatible (Confluent PR #3004,
//!   "Ensure package change for Protobuf is incompatible", 2024; before it, compatible).
//! - **Messages and enums** are matched by name in each scope (top level, then nested). A
//!   message removed is `MESSAGE_REMOVED` (incompatible); added `MESSAGE_ADDED`; at another
//!   position among its sibling messages `MESSAGE_MOVED` (compatible: message indexes are
//!   relative to the writer's schema). Enums added or removed, and enum constants added,
//!   renamed or removed (matched by number), are compatible. Map-entry messages are not types
//!   here (wire does not see them), and neither are proto2 groups, whose fields wire keeps
//!   apart and Confluent never compares.
//! - **Fields** are matched by number across the whole message, oneof members included. A
//!   field removed (`FIELD_REMOVED`) or added (`FIELD_ADDED`) is compatible; a proto2
//!   `required` field removed or added is `REQUIRED_FIELD_REMOVED` / `REQUIRED_FIELD_ADDED`
//!   (incompatible). A rename is `FIELD_NAME_CHANGED` (compatible).
//! - **Types.** Scalar (enums count as scalars), message and map kinds must stay the same
//!   (`FIELD_KIND_CHANGED`). Scalars may change only within a wire group
//!   (`FieldSchemaDiff.scalarKind`): int32, int64, uint32, uint64, bool and enums; sint32,
//!   sint64; string, bytes; fixed32, sfixed32; fixed64, sfixed64; float; double — else
//!   `FIELD_SCALAR_KIND_CHANGED`. Map keys and values compare as fields. A message-typed field
//!   whose type's name (without package) changes is `FIELD_NAMED_TYPE_CHANGED`; when the name
//!   stays but the type comes from an import (on either side), the two types are compared too,
//!   their differences reported at the type's own path (`#/GoogleHome/1`) and, if any is
//!   incompatible, `FIELD_NAMED_TYPE_CHANGED` at the field.
//! - **Labels.** Where both versions write a label (wire's view: proto2 labels, proto3
//!   `optional` and `repeated`; none for proto3 implicit fields, oneof members and maps), a
//!   change between `optional`, `required` and `repeated` is `FIELD_NUMERIC_LABEL_CHANGED`
//!   (incompatible) for numbers, bools and enums and `FIELD_STRING_OR_BYTES_LABEL_CHANGED`
//!   (compatible) for strings and bytes; message fields are not checked.
//! - **Oneofs** (matched by name). Added or removed is compatible (`ONEOF_ADDED`,
//!   `ONEOF_REMOVED`); a member added is `ONEOF_FIELD_ADDED` (compatible); a member removed
//!   from the message entirely is `ONEOF_FIELD_REMOVED` (incompatible) unless the whole oneof
//!   went; a member moved out to the top level is `ONEOF_FIELD_MOVED_TO_TOP_LEVEL`
//!   (compatible). A oneof of the update whose existing members came from more than one
//!   original group (a top-level field, or one original oneof) makes formerly independent
//!   fields exclusive: `MULTIPLE_FIELDS_MOVED_TO_ONEOF` when several top-level fields moved in,
//!   else `FIELD_MOVED_TO_EXISTING_ONEOF` (both incompatible).
//!
//! Paths are Confluent's: `#/` then the message path without the package, then the oneof
//! name for oneof members, then the field or constant number (`#/Order/Line/3`,
//! `#/Order/payment/7`, `#/Status/1`). Order of the differences: messages and enums in
//! declaration order (original's, then those only in the update), fields by number (Java
//! iterates hash sets for messages, so its order there is not meaningful).
//!
//! The cost is linear in the two files: types, fields and oneofs are matched through hash
//! maps. A message type from an import is compared again at every field that uses it, as
//! Confluent does; an [`Interrupt`] stops a check that runs too long.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use prost_reflect::{
    Cardinality, EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor,
    OneofDescriptor,
};

use super::{ProtobufSchema, is_group_message};
use crate::limits::{Interrupt, Interrupted, Poll};
use crate::violation::{self, Direction, Violation};

pub use super::rules::DifferenceType;

/// One change between an original schema and its update (Confluent's `Difference`). Its
/// path is Confluent's: `#/` for the file, `#/Order/3` for field 3 of message `Order` (no
/// package), `#/Order/payment/7` for a oneof member, `#/Status/1` for an enum constant.
pub type Difference = violation::Difference<DifferenceType>;

/// Every difference from `original` to `update` (Confluent `SchemaDiff.compare(original,
/// update)`), compatible ones included.
pub fn diff(original: &ProtobufSchema, update: &ProtobufSchema) -> Vec<Difference> {
    diff_until(original, update, &Interrupt::never())
        .expect("a diff that is never interrupted reaches its end")
}

/// [`diff`] that gives up when `interrupt` is set.
///
/// Errors: [`Interrupted`] when the diff stopped before its end.
pub fn diff_until(
    original: &ProtobufSchema,
    update: &ProtobufSchema,
    interrupt: &Interrupt,
) -> Result<Vec<Difference>, Interrupted> {
    let mut differ = Differ {
        main: [original.file().clone(), update.file().clone()],
        in_progress: Vec::new(),
        same_file: HashMap::new(),
        poll: Poll::new(interrupt),
    };
    let mut path = Vec::new();
    let mut out = Vec::new();
    let [o, u] = &differ.main.clone();
    if o.package_name() != u.package_name() {
        out.push(difference(DifferenceType::PackageChanged, &path));
    }
    differ.compare_types(
        Types::of(o.messages(), o.enums()),
        Types::of(u.messages(), u.enums()),
        &mut path,
        &mut out,
    );
    differ.poll.finish(out)
}

/// Every reason `reader` cannot read data written with `writer`: the incompatible differences
/// of `diff(writer, reader)`, as [`Violation`]s. With [`Direction::NewReadsOld`] (backward) the
/// writer is the old schema, as in Confluent's `ProtobufSchema.isBackwardCompatible(previous)`
/// (`SchemaDiff.compare(previous, this)`); with [`Direction::OldReadsNew`] the other way round.
pub fn check(
    reader: &ProtobufSchema,
    writer: &ProtobufSchema,
    direction: Direction,
) -> Vec<Violation> {
    check_until(reader, writer, direction, &Interrupt::never())
        .expect("a check that is never interrupted reaches its verdict")
}

/// [`check`] that gives up when `interrupt` is set.
///
/// Errors: [`Interrupted`] when the check stopped before its verdict.
pub fn check_until(
    reader: &ProtobufSchema,
    writer: &ProtobufSchema,
    direction: Direction,
    interrupt: &Interrupt,
) -> Result<Vec<Violation>, Interrupted> {
    let differences = diff_until(writer, reader, interrupt)?;
    Ok(violation::violations(
        &differences,
        direction,
        DifferenceType::is_compatible,
    ))
}

fn difference(kind: DifferenceType, path: &[String]) -> Difference {
    Difference {
        kind,
        path: format!("#/{}", path.join("/")),
    }
}

/// The messages (map entries and groups left out) and enums of one scope.
struct Types {
    messages: Vec<MessageDescriptor>,
    enums: Vec<EnumDescriptor>,
}

/// Each name's first position in `names`.
fn positions<'a>(names: impl Iterator<Item = &'a str>) -> HashMap<&'a str, usize> {
    let mut map = HashMap::new();
    for (i, name) in names.enumerate() {
        map.entry(name).or_insert(i);
    }
    map
}

/// The names of `original` in order, then those only `update` has, each once.
fn all_names<'a>(original: &[&'a str], update: &[&'a str]) -> Vec<&'a str> {
    let mut seen: HashSet<&str> = HashSet::with_capacity(original.len() + update.len());
    original
        .iter()
        .chain(update)
        .copied()
        .filter(|name| seen.insert(name))
        .collect()
}

impl Types {
    fn of(
        messages: impl Iterator<Item = MessageDescriptor>,
        enums: impl Iterator<Item = EnumDescriptor>,
    ) -> Self {
        Self {
            messages: messages
                .filter(|m| !m.is_map_entry() && !is_group_message(m))
                .collect(),
            enums: enums.collect(),
        }
    }
}

/// A field's type as the diff sees it.
enum TypeRef {
    Scalar(Kind),
    Enum,
    Message(MessageDescriptor),
    Map(Box<TypeRef>, Box<TypeRef>),
}

impl TypeRef {
    fn of(field: &FieldDescriptor) -> Self {
        match field.kind() {
            Kind::Message(m) if m.is_map_entry() => TypeRef::Map(
                Box::new(TypeRef::of(&m.map_entry_key_field())),
                Box::new(TypeRef::of(&m.map_entry_value_field())),
            ),
            Kind::Message(m) => TypeRef::Message(m),
            Kind::Enum(_) => TypeRef::Enum,
            scalar => TypeRef::Scalar(scalar),
        }
    }

    /// `FieldSchemaDiff.Kind`: 0 scalar (enums included), 1 message, 2 map.
    fn category(&self) -> u8 {
        match self {
            TypeRef::Scalar(_) | TypeRef::Enum => 0,
            TypeRef::Message(_) => 1,
            TypeRef::Map(..) => 2,
        }
    }

    /// `FieldSchemaDiff.scalarKind`: the wire group of a scalar.
    fn scalar_kind(&self) -> ScalarKind {
        match self {
            TypeRef::Enum => ScalarKind::GeneralNumber,
            TypeRef::Scalar(kind) => match kind {
                Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool => {
                    ScalarKind::GeneralNumber
                }
                Kind::Sint32 | Kind::Sint64 => ScalarKind::SignedNumber,
                Kind::String | Kind::Bytes => ScalarKind::StringOrBytes,
                Kind::Fixed32 | Kind::Sfixed32 => ScalarKind::Fixed32,
                Kind::Fixed64 | Kind::Sfixed64 => ScalarKind::Fixed64,
                Kind::Float => ScalarKind::Float,
                Kind::Double => ScalarKind::Double,
                Kind::Message(_) | Kind::Enum(_) => ScalarKind::Other,
            },
            TypeRef::Message(_) | TypeRef::Map(..) => ScalarKind::Other,
        }
    }
}

/// Confluent's `FieldSchemaDiff.ScalarKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarKind {
    GeneralNumber,
    SignedNumber,
    StringOrBytes,
    Fixed32,
    Fixed64,
    Float,
    Double,
    Other,
}

/// A field's label as square/wire sees it: `None` where the source writes none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WireLabel {
    Optional,
    Required,
    Repeated,
}

fn wire_label(field: &FieldDescriptor) -> Option<WireLabel> {
    if field.containing_oneof().is_some_and(|o| !is_synthetic(&o)) || field.is_map() {
        return None;
    }
    let proto3 = field.parent_file().file_descriptor_proto().syntax() == "proto3";
    match field.cardinality() {
        Cardinality::Repeated => Some(WireLabel::Repeated),
        Cardinality::Required => Some(WireLabel::Required),
        Cardinality::Optional if proto3 && !field.field_descriptor_proto().proto3_optional() => {
            None
        }
        Cardinality::Optional => Some(WireLabel::Optional),
    }
}

fn is_synthetic(oneof: &OneofDescriptor) -> bool {
    oneof.is_synthetic()
}

/// The fields of a message by number, with their (real) oneof.
struct Fields {
    by_tag: BTreeMap<u32, FieldDescriptor>,
    oneof_of: HashMap<u32, String>,
    oneofs: Vec<OneofDescriptor>,
    oneof_names: HashSet<String>,
}

impl Fields {
    fn of(message: &MessageDescriptor) -> Self {
        let mut by_tag = BTreeMap::new();
        let mut oneof_of = HashMap::new();
        for field in message.fields() {
            if field.is_group() {
                // wire keeps groups apart from fields; Confluent never compares them.
                continue;
            }
            if let Some(oneof) = field.containing_oneof()
                && !is_synthetic(&oneof)
            {
                oneof_of.insert(field.number(), oneof.name().to_owned());
            }
            by_tag.insert(field.number(), field);
        }
        let oneofs: Vec<OneofDescriptor> = message.oneofs().filter(|o| !is_synthetic(o)).collect();
        let oneof_names = oneofs.iter().map(|o| o.name().to_owned()).collect();
        Self {
            by_tag,
            oneof_of,
            oneofs,
            oneof_names,
        }
    }

    fn has_oneof(&self, name: &str) -> bool {
        self.oneof_names.contains(name)
    }
}

struct Differ {
    /// The main files of the original and the update: their types are "local".
    main: [FileDescriptor; 2],
    /// Original messages being compared further up (Confluent `Context.enterSchema`): meeting
    /// one again ends the recursion.
    in_progress: Vec<String>,
    /// Whether the original's and the update's file of that name are identical.
    same_file: HashMap<String, bool>,
    /// Stops the diff from outside.
    poll: Poll,
}

impl Differ {
    /// `SchemaDiff.compareTypeElements`.
    fn compare_types(
        &mut self,
        original: Types,
        update: Types,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
    ) {
        let original_names: Vec<&str> = original.messages.iter().map(|m| m.name()).collect();
        let update_names: Vec<&str> = update.messages.iter().map(|m| m.name()).collect();
        let (original_at, update_at) = (
            positions(original_names.iter().copied()),
            positions(update_names.iter().copied()),
        );
        for name in all_names(&original_names, &update_names) {
            if self.poll.stop() {
                return;
            }
            path.push(name.to_owned());
            let o = original_at.get(name).copied();
            let u = update_at.get(name).copied();
            match (o, u) {
                (Some(_), None) => out.push(difference(DifferenceType::MessageRemoved, path)),
                (None, Some(_)) => out.push(difference(DifferenceType::MessageAdded, path)),
                (Some(o), Some(u)) => {
                    self.compare_messages(&original.messages[o], &update.messages[u], path, out);
                    if o != u {
                        out.push(difference(DifferenceType::MessageMoved, path));
                    }
                }
                (None, None) => {}
            }
            path.pop();
        }
        let original_names: Vec<&str> = original.enums.iter().map(|e| e.name()).collect();
        let update_names: Vec<&str> = update.enums.iter().map(|e| e.name()).collect();
        let (original_at, update_at) = (
            positions(original_names.iter().copied()),
            positions(update_names.iter().copied()),
        );
        for name in all_names(&original_names, &update_names) {
            path.push(name.to_owned());
            let o = original_at.get(name).map(|&i| &original.enums[i]);
            let u = update_at.get(name).map(|&i| &update.enums[i]);
            match (o, u) {
                (Some(_), None) => out.push(difference(DifferenceType::EnumRemoved, path)),
                (None, Some(_)) => out.push(difference(DifferenceType::EnumAdded, path)),
                (Some(o), Some(u)) => compare_enums(o, u, path, out),
                (None, None) => {}
            }
            path.pop();
        }
    }

    /// `MessageSchemaDiff.compare`.
    fn compare_messages(
        &mut self,
        original: &MessageDescriptor,
        update: &MessageDescriptor,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
    ) {
        let entered = !self.in_progress.iter().any(|n| n == original.full_name());
        if entered {
            self.in_progress.push(original.full_name().to_owned());
            self.compare_fields(original, update, path, out);
        }
        self.compare_types(
            Types::of(original.child_messages(), original.child_enums()),
            Types::of(update.child_messages(), update.child_enums()),
            path,
            out,
        );
        if entered {
            self.in_progress.pop();
        }
    }

    fn compare_fields(
        &mut self,
        original: &MessageDescriptor,
        update: &MessageDescriptor,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
    ) {
        let o = Fields::of(original);
        let u = Fields::of(update);

        // A oneof removed by name none of whose members survive is deleted whole: compatible.
        let deleted_whole: HashSet<&str> = o
            .oneofs
            .iter()
            .filter(|oneof| !u.has_oneof(oneof.name()))
            .filter(|oneof| !oneof.fields().any(|f| u.by_tag.contains_key(&f.number())))
            .map(|oneof| oneof.name())
            .collect();

        // Newly introduced mutual exclusivity.
        for oneof in &u.oneofs {
            let mut groups: HashSet<String> = HashSet::new();
            let mut moved_in = 0;
            for field in oneof.fields() {
                let tag = field.number();
                if let Some(name) = o.oneof_of.get(&tag) {
                    groups.insert(format!("oneof:{name}"));
                } else if o.by_tag.contains_key(&tag) {
                    groups.insert(format!("field:{tag}"));
                    moved_in += 1;
                }
            }
            if groups.len() > 1 {
                path.push(oneof.name().to_owned());
                let kind = if moved_in > 1 {
                    DifferenceType::MultipleFieldsMovedToOneof
                } else {
                    DifferenceType::FieldMovedToExistingOneof
                };
                out.push(difference(kind, path));
                path.pop();
            }
        }

        // Oneofs added or removed, by name in sorted order.
        let names: BTreeSet<&str> = o
            .oneofs
            .iter()
            .chain(&u.oneofs)
            .map(|oneof| oneof.name())
            .collect();
        for name in names {
            path.push(name.to_owned());
            if !u.has_oneof(name) {
                out.push(difference(DifferenceType::OneofRemoved, path));
            } else if !o.has_oneof(name) {
                out.push(difference(DifferenceType::OneofAdded, path));
            }
            path.pop();
        }

        // Every field by number.
        let tags: BTreeSet<u32> = o.by_tag.keys().chain(u.by_tag.keys()).copied().collect();
        for tag in tags {
            if self.poll.stop() {
                return;
            }
            let original_oneof = o.oneof_of.get(&tag);
            let update_oneof = u.oneof_of.get(&tag);
            match (o.by_tag.get(&tag), u.by_tag.get(&tag)) {
                (Some(of), None) => match original_oneof {
                    Some(oneof) => {
                        if !deleted_whole.contains(oneof.as_str()) {
                            at(path, &[oneof, &tag.to_string()], |p| {
                                out.push(difference(DifferenceType::OneofFieldRemoved, p));
                            });
                        }
                    }
                    None => {
                        let kind = if of.cardinality() == Cardinality::Required {
                            DifferenceType::RequiredFieldRemoved
                        } else {
                            DifferenceType::FieldRemoved
                        };
                        at(path, &[&tag.to_string()], |p| out.push(difference(kind, p)));
                    }
                },
                (None, Some(uf)) => match update_oneof {
                    Some(oneof) => at(path, &[oneof, &tag.to_string()], |p| {
                        out.push(difference(DifferenceType::OneofFieldAdded, p));
                    }),
                    None => {
                        let kind = if uf.cardinality() == Cardinality::Required {
                            DifferenceType::RequiredFieldAdded
                        } else {
                            DifferenceType::FieldAdded
                        };
                        at(path, &[&tag.to_string()], |p| out.push(difference(kind, p)));
                    }
                },
                (Some(of), Some(uf)) => {
                    if original_oneof.is_some() && update_oneof.is_none() {
                        at(path, &[&tag.to_string()], |p| {
                            out.push(difference(DifferenceType::OneofFieldMovedToTopLevel, p));
                        });
                    }
                    let mut segments = Vec::new();
                    if let Some(oneof) = update_oneof {
                        segments.push(oneof.clone());
                    }
                    segments.push(tag.to_string());
                    let depth = path.len();
                    path.extend(segments);
                    self.compare_field(of, uf, path, out);
                    path.truncate(depth);
                }
                (None, None) => {}
            }
        }
    }

    /// `FieldSchemaDiff.compare`.
    fn compare_field(
        &mut self,
        original: &FieldDescriptor,
        update: &FieldDescriptor,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
    ) {
        if original.name() != update.name() {
            out.push(difference(DifferenceType::FieldNameChanged, path));
        }
        self.compare_labels_and_types(
            wire_label(original),
            wire_label(update),
            &TypeRef::of(original),
            &TypeRef::of(update),
            path,
            out,
        );
    }

    /// `FieldSchemaDiff.compareLabelsAndTypes`.
    fn compare_labels_and_types(
        &mut self,
        original_label: Option<WireLabel>,
        update_label: Option<WireLabel>,
        original: &TypeRef,
        update: &TypeRef,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
    ) {
        if original.category() != update.category() {
            out.push(difference(DifferenceType::FieldKindChanged, path));
            return;
        }
        match (original, update) {
            (TypeRef::Message(o), TypeRef::Message(u)) => {
                self.compare_message_types(o, u, path, out)
            }
            (TypeRef::Map(ok, ov), TypeRef::Map(uk, uv)) => {
                self.compare_labels_and_types(None, None, ok, uk, path, out);
                self.compare_labels_and_types(None, None, ov, uv, path, out);
            }
            _ => {
                let kind = original.scalar_kind();
                if kind != update.scalar_kind() {
                    out.push(difference(DifferenceType::FieldScalarKindChanged, path));
                } else if let (Some(ol), Some(ul)) = (original_label, update_label)
                    && ol != ul
                {
                    let change = if kind == ScalarKind::StringOrBytes {
                        DifferenceType::FieldStringOrBytesLabelChanged
                    } else {
                        DifferenceType::FieldNumericLabelChanged
                    };
                    out.push(difference(change, path));
                }
            }
        }
    }

    /// `FieldSchemaDiff.compareMessageTypes`: names compared without the package; a type from
    /// an import (on either side) compared in a context of its own.
    fn compare_message_types(
        &mut self,
        original: &MessageDescriptor,
        update: &MessageDescriptor,
        path: &[String],
        out: &mut Vec<Difference>,
    ) {
        let original_local = local_name(original);
        let update_local = local_name(update);
        if original_local != update_local {
            out.push(difference(DifferenceType::FieldNamedTypeChanged, path));
            return;
        }
        let original_file = original.parent_file();
        let update_file = update.parent_file();
        let both_local = original_file.name() == self.main[0].name()
            && update_file.name() == self.main[1].name();
        // Confluent skips types that are both local, or from the same subject and version.
        // The latter is the same file; comparing identical files finds nothing, so skipping
        // them too only saves the work.
        let same_import = original_file.name() == update_file.name()
            && original_file.name() != self.main[0].name()
            && *self
                .same_file
                .entry(original_file.name().to_owned())
                .or_insert_with(|| original_file.encode_to_vec() == update_file.encode_to_vec());
        if both_local || same_import {
            return;
        }
        let mut sub_path: Vec<String> = original_local.split('.').map(str::to_owned).collect();
        let mut sub_out = Vec::new();
        self.compare_messages(original, update, &mut sub_path, &mut sub_out);
        let incompatible = sub_out.iter().any(|d| !d.kind.is_compatible());
        out.extend(sub_out);
        if incompatible {
            out.push(difference(DifferenceType::FieldNamedTypeChanged, path));
        }
    }
}

/// Runs `f` with `segments` appended to `path`.
fn at(path: &mut Vec<String>, segments: &[&str], f: impl FnOnce(&[String])) {
    let depth = path.len();
    path.extend(segments.iter().map(|s| (*s).to_owned()));
    f(path);
    path.truncate(depth);
}

/// A message's name without its file's package (`Order.Line`).
fn local_name(message: &MessageDescriptor) -> &str {
    let package = message.package_name();
    let full = message.full_name();
    if package.is_empty() {
        full
    } else {
        full.strip_prefix(package)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(full)
    }
}

/// `EnumSchemaDiff.compare`: constants matched by number (the last one of aliases).
fn compare_enums(
    original: &EnumDescriptor,
    update: &EnumDescriptor,
    path: &mut Vec<String>,
    out: &mut Vec<Difference>,
) {
    let by_number = |e: &EnumDescriptor| -> BTreeMap<i32, String> {
        e.values()
            .map(|v| (v.number(), v.name().to_owned()))
            .collect()
    };
    let o = by_number(original);
    let u = by_number(update);
    let numbers: BTreeSet<i32> = o.keys().chain(u.keys()).copied().collect();
    for number in numbers {
        path.push(number.to_string());
        match (o.get(&number), u.get(&number)) {
            (Some(_), None) => out.push(difference(DifferenceType::EnumConstRemoved, path)),
            (None, Some(_)) => out.push(difference(DifferenceType::EnumConstAdded, path)),
            (Some(a), Some(b)) if a != b => {
                out.push(difference(DifferenceType::EnumConstChanged, path));
            }
            _ => {}
        }
        path.pop();
    }
}
