//! A descriptor → `.proto` source printer (no crate does this; Confluent uses square/wire's
//! `toSchema()`).
//!
//! It prints `syntax`, `package`, imports (`public`, `weak`), file options, messages with
//! nested messages and enums, fields with labels (proto2 `optional`/`required`/`repeated`,
//! proto3 `optional` from its synthetic oneof), oneofs, `map<K, V>` fields (from their entry
//! messages), proto2 groups, reserved ranges and names, extension ranges, `extend` blocks,
//! enums, services with streaming rpcs, and options at every level: the built-in ones
//! (`java_package`, `deprecated`, `packed`, `json_name`, proto2 `default`, …) and custom ones
//! (`(my.option) = …`, message-valued options as `{ … }` text-format aggregates). Type names are
//! written fully qualified (`.acme.Order`), so the text means the same wherever it is read.
//!
//! The property it keeps: compiling the printed text gives back an equal
//! `FileDescriptorProto` (source info aside), including the order of fields, nested types and
//! enum values, which is why map-entry and group messages are printed where their field is.
//! Protobuf editions files cannot be printed ([`PrintError::Editions`]).

use std::fmt::{self, Write as _};

use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, FileDescriptor, Kind, MapKey, Value,
};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    OneofDescriptorProto, ServiceDescriptorProto,
};

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Imports and options in descriptor order.
    Canonical,
    /// Confluent's normalization: imports sorted and deduplicated, options sorted by name at
    /// every level; messages, enums, fields and values stay in declaration order.
    Normalized,
}

/// Why a descriptor cannot be printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrintError {
    /// The file uses Protobuf editions, which this printer (and protox) does not support.
    #[error("{0}: Protobuf editions are not supported; use syntax = \"proto2\" or \"proto3\"")]
    Editions(String),
}

/// Prints `file` as `.proto` source.
///
/// Errors: [`PrintError::Editions`] for a file whose `syntax` is `editions`.
pub fn print(file: &FileDescriptor, style: Style) -> Result<String, PrintError> {
    let fdp = file.file_descriptor_proto();
    let proto3 = match fdp.syntax() {
        "editions" => return Err(PrintError::Editions(fdp.name().to_owned())),
        "proto3" => true,
        _ => false,
    };
    let pool = file.parent_pool();
    let options_root = options_root(file);
    let mut p = Printer {
        out: String::new(),
        style,
        proto3,
        pool,
        options_root,
    };
    p.file(fdp);
    Ok(p.out)
}

/// The file as a dynamic `FileDescriptorProto`, so that options (extensions included) can be
/// read at any path, extension ranges' too. Decoded with the pool's own `descriptor.proto` when
/// the schema imports it (custom options extend it), else with the global one.
fn options_root(file: &FileDescriptor) -> Option<DynamicMessage> {
    let pool = file.parent_pool();
    let name = "google.protobuf.FileDescriptorProto";
    let desc = if pool
        .get_file_by_name("google/protobuf/descriptor.proto")
        .is_some()
    {
        pool.get_message_by_name(name)
    } else {
        None
    }
    .or_else(|| DescriptorPool::global().get_message_by_name(name))?;
    DynamicMessage::decode(desc, file.encode_to_vec().as_slice()).ok()
}

/// Field numbers of the descriptor messages, for option paths.
mod tag {
    pub(super) const FILE_MESSAGE: i32 = 4;
    pub(super) const FILE_ENUM: i32 = 5;
    pub(super) const FILE_SERVICE: i32 = 6;
    pub(super) const FILE_EXTENSION: i32 = 7;
    pub(super) const FILE_OPTIONS: i32 = 8;
    pub(super) const MESSAGE_FIELD: i32 = 2;
    pub(super) const MESSAGE_NESTED: i32 = 3;
    pub(super) const MESSAGE_ENUM: i32 = 4;
    pub(super) const MESSAGE_EXTENSION_RANGE: i32 = 5;
    pub(super) const MESSAGE_EXTENSION: i32 = 6;
    pub(super) const MESSAGE_OPTIONS: i32 = 7;
    pub(super) const MESSAGE_ONEOF: i32 = 8;
    pub(super) const FIELD_OPTIONS: i32 = 8;
    pub(super) const ONEOF_OPTIONS: i32 = 2;
    pub(super) const ENUM_VALUE: i32 = 2;
    pub(super) const ENUM_OPTIONS: i32 = 3;
    pub(super) const ENUM_VALUE_OPTIONS: i32 = 3;
    pub(super) const SERVICE_METHOD: i32 = 2;
    pub(super) const SERVICE_OPTIONS: i32 = 3;
    pub(super) const METHOD_OPTIONS: i32 = 4;
    pub(super) const EXTENSION_RANGE_OPTIONS: i32 = 3;
}

/// Where the elements of a scope live, for option paths and group/map lookups.
struct Scope<'a> {
    /// Full name of the scope without a leading dot (the package at file level).
    name: String,
    /// Path of the scope in the file descriptor (empty at file level).
    path: Vec<i32>,
    messages: &'a [DescriptorProto],
    message_tag: i32,
    fields: &'a [FieldDescriptorProto],
    extensions: &'a [FieldDescriptorProto],
    extension_tag: i32,
    oneofs: &'a [OneofDescriptorProto],
}

struct Printer<'a> {
    out: String,
    style: Style,
    proto3: bool,
    pool: &'a DescriptorPool,
    options_root: Option<DynamicMessage>,
}

impl Printer<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn file(&mut self, fdp: &FileDescriptorProto) {
        // protox and protoc leave `syntax` unset for proto2; it is written all the same.
        let syntax = match fdp.syntax() {
            "" => "proto2",
            other => other,
        };
        self.line(0, &format!("syntax = {};", quote(syntax)));
        if !fdp.package().is_empty() {
            self.line(0, &format!("package {};", fdp.package()));
        }
        let mut imports: Vec<(String, &str)> = fdp
            .dependency
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let i = i as i32;
                let kind = if fdp.public_dependency.contains(&i) {
                    "public "
                } else if fdp.weak_dependency.contains(&i) {
                    "weak "
                } else {
                    ""
                };
                (name.clone(), kind)
            })
            .collect();
        if self.style == Style::Normalized {
            imports.sort();
            imports.dedup();
        }
        if !imports.is_empty() {
            self.out.push('\n');
        }
        for (name, kind) in imports {
            self.line(0, &format!("import {kind}{};", quote(&name)));
        }
        let options = self.options_statements(&[tag::FILE_OPTIONS]);
        if !options.is_empty() {
            self.out.push('\n');
        }
        for option in options {
            self.line(0, &option);
        }
        let scope = Scope {
            name: fdp.package().to_owned(),
            path: Vec::new(),
            messages: &fdp.message_type,
            message_tag: tag::FILE_MESSAGE,
            fields: &[],
            extensions: &fdp.extension,
            extension_tag: tag::FILE_EXTENSION,
            oneofs: &[],
        };
        self.scope_body(&scope, 0, true);
        for (i, e) in fdp.enum_type.iter().enumerate() {
            self.out.push('\n');
            self.enumeration(e, &[tag::FILE_ENUM, i as i32], 0);
        }
        for (i, s) in fdp.service.iter().enumerate() {
            self.out.push('\n');
            self.service(s, &[tag::FILE_SERVICE, i as i32]);
        }
    }

    /// Messages, fields and extensions of a scope, interleaved so that the entry message of a
    /// map field and the message of a group land where the field is.
    fn scope_body(&mut self, scope: &Scope<'_>, depth: usize, top: bool) {
        let mut fields_done = vec![false; scope.fields.len()];
        let mut extensions_next = 0;
        for (i, message) in scope.messages.iter().enumerate() {
            let full = join(&scope.name, message.name());
            let dotted = format!(".{full}");
            let tied_field = scope.fields.iter().position(|f| {
                f.type_name() == dotted && (f.r#type() == Type::Group || is_map_entry(message))
            });
            let tied_extension = scope
                .extensions
                .iter()
                .position(|f| f.r#type() == Type::Group && f.type_name() == dotted);
            if let Some(f) = tied_field {
                self.fields_until(scope, &mut fields_done, Some(f), depth);
            } else if let Some(e) = tied_extension {
                self.extensions_until(scope, &mut extensions_next, e + 1, depth, top);
            } else if !is_map_entry(message) {
                let mut path = scope.path.clone();
                path.extend([scope.message_tag, i as i32]);
                if top {
                    self.out.push('\n');
                }
                self.message(message, &full, &path, depth);
            }
        }
        self.fields_until(scope, &mut fields_done, None, depth);
        let all = scope.extensions.len();
        self.extensions_until(scope, &mut extensions_next, all, depth, top);
    }

    /// Prints the fields not yet printed up to index `until` (all of them for `None`), a oneof
    /// whole at its first member.
    fn fields_until(
        &mut self,
        scope: &Scope<'_>,
        done: &mut [bool],
        until: Option<usize>,
        depth: usize,
    ) {
        let last = until.unwrap_or(scope.fields.len().saturating_sub(1));
        if scope.fields.is_empty() {
            return;
        }
        for i in 0..=last {
            if done[i] {
                continue;
            }
            let field = &scope.fields[i];
            match field.oneof_index {
                Some(oneof) if !field.proto3_optional() => {
                    let name = scope
                        .oneofs
                        .get(oneof as usize)
                        .map(|o| o.name().to_owned())
                        .unwrap_or_default();
                    self.line(depth, &format!("oneof {name} {{"));
                    let mut path = scope.path.clone();
                    path.extend([tag::MESSAGE_ONEOF, oneof, tag::ONEOF_OPTIONS]);
                    for option in self.options_statements(&path) {
                        self.line(depth + 1, &option);
                    }
                    for (j, member) in scope.fields.iter().enumerate().skip(i) {
                        if member.oneof_index == Some(oneof) && !member.proto3_optional() {
                            done[j] = true;
                            self.field(scope, member, j, tag::MESSAGE_FIELD, depth + 1, true);
                        }
                    }
                    self.line(depth, "}");
                }
                _ => {
                    done[i] = true;
                    self.field(scope, field, i, tag::MESSAGE_FIELD, depth, false);
                }
            }
        }
    }

    /// Prints the extensions from `*next` to `until` (exclusive), consecutive ones with the same
    /// extendee in one `extend` block.
    fn extensions_until(
        &mut self,
        scope: &Scope<'_>,
        next: &mut usize,
        until: usize,
        depth: usize,
        top: bool,
    ) {
        while *next < until {
            let extendee = scope.extensions[*next].extendee().to_owned();
            let extendee = self.resolve_extendee(scope, *next, &extendee);
            if top {
                self.out.push('\n');
            }
            self.line(depth, &format!("extend {extendee} {{"));
            while *next < until
                && self.resolve_extendee(scope, *next, scope.extensions[*next].extendee())
                    == extendee
            {
                let field = &scope.extensions[*next];
                self.field(scope, field, *next, scope.extension_tag, depth + 1, false);
                *next += 1;
            }
            self.line(depth, "}");
        }
    }

    /// The extendee of extension `index` of a scope, fully qualified.
    fn resolve_extendee(&self, scope: &Scope<'_>, index: usize, raw: &str) -> String {
        let field = &scope.extensions[index];
        let full = join(&scope.name, field.name());
        match self.pool.get_extension_by_name(&full) {
            Some(ext) => format!(".{}", ext.containing_message().full_name()),
            None => raw.to_owned(),
        }
    }

    fn message(&mut self, message: &DescriptorProto, full: &str, path: &[i32], depth: usize) {
        self.line(depth, &format!("message {} {{", message.name()));
        self.message_body(message, full, path, depth + 1);
        self.line(depth, "}");
    }

    fn message_body(&mut self, message: &DescriptorProto, full: &str, path: &[i32], depth: usize) {
        let mut options_path = path.to_vec();
        options_path.push(tag::MESSAGE_OPTIONS);
        for option in self.options_statements(&options_path) {
            self.line(depth, &option);
        }
        if !message.reserved_range.is_empty() {
            let ranges: Vec<String> = message
                .reserved_range
                .iter()
                .map(|r| message_range(r.start(), r.end()))
                .collect();
            self.line(depth, &format!("reserved {};", ranges.join(", ")));
        }
        if !message.reserved_name.is_empty() {
            let names: Vec<String> = message.reserved_name.iter().map(|n| quote(n)).collect();
            self.line(depth, &format!("reserved {};", names.join(", ")));
        }
        let scope = Scope {
            name: full.to_owned(),
            path: path.to_vec(),
            messages: &message.nested_type,
            message_tag: tag::MESSAGE_NESTED,
            fields: &message.field,
            extensions: &message.extension,
            extension_tag: tag::MESSAGE_EXTENSION,
            oneofs: &message.oneof_decl,
        };
        self.scope_body(&scope, depth, false);
        for (i, e) in message.enum_type.iter().enumerate() {
            let mut p = path.to_vec();
            p.extend([tag::MESSAGE_ENUM, i as i32]);
            self.enumeration(e, &p, depth);
        }
        for (i, r) in message.extension_range.iter().enumerate() {
            let mut p = path.to_vec();
            p.extend([
                tag::MESSAGE_EXTENSION_RANGE,
                i as i32,
                tag::EXTENSION_RANGE_OPTIONS,
            ]);
            let options = self.options_inline(&p, Vec::new());
            self.line(
                depth,
                &format!("extensions {}{options};", message_range(r.start(), r.end())),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        scope: &Scope<'_>,
        field: &FieldDescriptorProto,
        index: usize,
        field_tag: i32,
        depth: usize,
        in_oneof: bool,
    ) {
        let mut path = scope.path.clone();
        path.extend([field_tag, index as i32]);
        let is_extension = field_tag != tag::MESSAGE_FIELD;
        let full = join(&scope.name, field.name());
        let resolved: Option<Kind> = if is_extension {
            self.pool.get_extension_by_name(&full).map(|e| e.kind())
        } else {
            self.pool
                .get_message_by_name(&scope.name)
                .and_then(|m| m.get_field(field.number() as u32))
                .map(|f| f.kind())
        };
        let mut extra = Vec::new();
        if let Some(default) = &field.default_value {
            let value = match field.r#type() {
                Type::String => quote(default),
                Type::Bytes => format!("\"{default}\""),
                Type::Float | Type::Double
                    if default.bytes().all(|b| b.is_ascii_digit() || b == b'-') =>
                {
                    // protox writes 7e22 as 70000000000000000000000, which it would read back
                    // as an integer too large; as a float literal it is the same value.
                    format!("{default}.0")
                }
                _ => default.clone(),
            };
            extra.push(("default".to_owned(), value));
        }
        if !is_extension
            && let Some(json_name) = &field.json_name
            && *json_name != default_json_name(field.name())
        {
            extra.push(("json_name".to_owned(), quote(json_name)));
        }
        let mut options_path = path.clone();
        options_path.push(tag::FIELD_OPTIONS);
        let options = self.options_inline(&options_path, extra);
        // A map field, written with its entry message's key and value types.
        if let Some(Kind::Message(entry)) = &resolved
            && entry.is_map_entry()
            && field.label() == Label::Repeated
        {
            let key = type_name_of(&entry.map_entry_key_field());
            let value = type_name_of(&entry.map_entry_value_field());
            self.line(
                depth,
                &format!(
                    "map<{key}, {value}> {} = {}{options};",
                    field.name(),
                    field.number()
                ),
            );
            return;
        }
        let label = if in_oneof {
            ""
        } else if self.proto3 {
            match field.label() {
                Label::Repeated => "repeated ",
                _ if field.proto3_optional() => "optional ",
                _ => "",
            }
        } else {
            match field.label() {
                Label::Optional => "optional ",
                Label::Required => "required ",
                Label::Repeated => "repeated ",
            }
        };
        if field.r#type() == Type::Group {
            let dotted = match &resolved {
                Some(Kind::Message(m)) => format!(".{}", m.full_name()),
                _ => field.type_name().to_owned(),
            };
            let found = scope
                .messages
                .iter()
                .enumerate()
                .find(|(_, m)| format!(".{}", join(&scope.name, m.name())) == dotted);
            if let Some((i, group)) = found {
                self.line(
                    depth,
                    &format!(
                        "{label}group {} = {}{options} {{",
                        group.name(),
                        field.number()
                    ),
                );
                let mut group_path = scope.path.clone();
                group_path.extend([scope.message_tag, i as i32]);
                let group_full = join(&scope.name, group.name());
                self.message_body(group, &group_full, &group_path, depth + 1);
                self.line(depth, "}");
                return;
            }
        }
        let type_name = match (&resolved, field.r#type()) {
            (Some(Kind::Message(m)), _) => format!(".{}", m.full_name()),
            (Some(Kind::Enum(e)), _) => format!(".{}", e.full_name()),
            (_, Type::Message | Type::Enum | Type::Group) => field.type_name().to_owned(),
            (_, t) => scalar_name(t).to_owned(),
        };
        self.line(
            depth,
            &format!(
                "{label}{type_name} {} = {}{options};",
                field.name(),
                field.number()
            ),
        );
    }

    fn enumeration(&mut self, e: &EnumDescriptorProto, path: &[i32], depth: usize) {
        self.line(depth, &format!("enum {} {{", e.name()));
        let mut options_path = path.to_vec();
        options_path.push(tag::ENUM_OPTIONS);
        for option in self.options_statements(&options_path) {
            self.line(depth + 1, &option);
        }
        if !e.reserved_range.is_empty() {
            let ranges: Vec<String> = e
                .reserved_range
                .iter()
                .map(|r| range(r.start(), r.end()))
                .collect();
            self.line(depth + 1, &format!("reserved {};", ranges.join(", ")));
        }
        if !e.reserved_name.is_empty() {
            let names: Vec<String> = e.reserved_name.iter().map(|n| quote(n)).collect();
            self.line(depth + 1, &format!("reserved {};", names.join(", ")));
        }
        for (i, value) in e.value.iter().enumerate() {
            let mut value_path = path.to_vec();
            value_path.extend([tag::ENUM_VALUE, i as i32, tag::ENUM_VALUE_OPTIONS]);
            let options = self.options_inline(&value_path, Vec::new());
            self.line(
                depth + 1,
                &format!("{} = {}{options};", value.name(), value.number()),
            );
        }
        self.line(depth, "}");
    }

    fn service(&mut self, s: &ServiceDescriptorProto, path: &[i32]) {
        self.line(0, &format!("service {} {{", s.name()));
        let mut options_path = path.to_vec();
        options_path.push(tag::SERVICE_OPTIONS);
        for option in self.options_statements(&options_path) {
            self.line(1, &option);
        }
        for (i, m) in s.method.iter().enumerate() {
            let input = self.qualified_type(m.input_type());
            let output = self.qualified_type(m.output_type());
            let client = if m.client_streaming() { "stream " } else { "" };
            let server = if m.server_streaming() { "stream " } else { "" };
            let mut method_path = path.to_vec();
            method_path.extend([tag::SERVICE_METHOD, i as i32, tag::METHOD_OPTIONS]);
            let options = self.options_statements(&method_path);
            let head = format!(
                "rpc {}({client}{input}) returns ({server}{output})",
                m.name()
            );
            if options.is_empty() {
                self.line(1, &format!("{head};"));
            } else {
                self.line(1, &format!("{head} {{"));
                for option in options {
                    self.line(2, &option);
                }
                self.line(1, "}");
            }
        }
        self.line(0, "}");
    }

    /// A type name as written in a method: fully qualified when the pool knows it.
    fn qualified_type(&self, name: &str) -> String {
        let bare = name.strip_prefix('.').unwrap_or(name);
        match self.pool.get_message_by_name(bare) {
            Some(m) => format!(".{}", m.full_name()),
            None => name.to_owned(),
        }
    }

    /// The options message at `path` in the file descriptor, if set.
    fn options_list(&self, path: &[i32]) -> Vec<(String, String)> {
        let Some(root) = &self.options_root else {
            return Vec::new();
        };
        let Some(options) = find(root, path) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (field, value) in options.fields() {
            if matches!(
                field.name(),
                "uninterpreted_option" | "features" | "map_entry"
            ) {
                continue;
            }
            push_option(&mut out, field.name().to_owned(), value, &field.kind());
        }
        for (extension, value) in options.extensions() {
            push_option(
                &mut out,
                format!("({})", extension.full_name()),
                value,
                &extension.kind(),
            );
        }
        if self.style == Style::Normalized {
            out.sort_by(|a, b| a.0.cmp(&b.0));
        }
        out
    }

    /// `option name = value;` statements for the options at `path`.
    fn options_statements(&self, path: &[i32]) -> Vec<String> {
        self.options_list(path)
            .into_iter()
            .map(|(name, value)| format!("option {name} = {value};"))
            .collect()
    }

    /// ` [name = value, …]` for the options at `path`, after the `extra` pseudo-options
    /// (`default`, `json_name`); empty when there are none.
    fn options_inline(&self, path: &[i32], extra: Vec<(String, String)>) -> String {
        let mut all = extra;
        all.extend(self.options_list(path));
        if self.style == Style::Normalized {
            all.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if all.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = all
            .into_iter()
            .map(|(name, value)| format!("{name} = {value}"))
            .collect();
        format!(" [{}]", parts.join(", "))
    }
}

/// The message at a descriptor path (`[4, 0, 2, 1, 8]`: the options of field 1 of message 0).
fn find<'m>(message: &'m DynamicMessage, path: &[i32]) -> Option<&'m DynamicMessage> {
    use std::borrow::Cow;
    match path {
        [] => Some(message),
        [number] => match message.get_field_by_number(*number as u32)? {
            Cow::Borrowed(Value::Message(m)) => Some(m),
            _ => None,
        },
        [number, index, rest @ ..] => match message.get_field_by_number(*number as u32)? {
            Cow::Borrowed(Value::List(items)) => match items.get(*index as usize)? {
                Value::Message(m) => find(m, rest),
                _ => None,
            },
            _ => None,
        },
    }
}

/// Adds one `(name, value)` per element of a repeated option.
fn push_option(out: &mut Vec<(String, String)>, name: String, value: &Value, kind: &Kind) {
    match value {
        Value::List(items) => {
            for item in items {
                out.push((name.clone(), option_value(item, kind)));
            }
        }
        other => out.push((name, option_value(other, kind))),
    }
}

/// An option value as written after `=`.
fn option_value(value: &Value, kind: &Kind) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::I32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::F32(f) => float(f64::from(*f), format!("{f:?}")),
        Value::F64(f) => float(*f, format!("{f:?}")),
        Value::String(s) => quote(s),
        Value::Bytes(b) => quote_bytes(b),
        Value::EnumNumber(n) => match kind {
            Kind::Enum(e) => e
                .get_value(*n)
                .map_or_else(|| n.to_string(), |v| v.name().to_owned()),
            _ => n.to_string(),
        },
        Value::Message(m) => aggregate(m),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(|v| option_value(v, kind)).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Map(_) => "{}".to_owned(),
    }
}

/// A float literal: `inf`, `-inf`, `nan`, or the shortest text that reads back as the value.
fn float(value: f64, text: String) -> String {
    if value.is_nan() {
        "nan".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        text
    }
}

/// A message-valued option as a text-format aggregate: `{ a: 1 b { c: "x" } [ext.name]: 2 }`.
fn aggregate(message: &DynamicMessage) -> String {
    let mut parts = Vec::new();
    for (field, value) in message.fields() {
        let name = if field.is_group() {
            match field.kind() {
                Kind::Message(m) => m.name().to_owned(),
                _ => field.name().to_owned(),
            }
        } else {
            field.name().to_owned()
        };
        aggregate_entry(&mut parts, &name, value, &field);
    }
    for (extension, value) in message.extensions() {
        let name = format!("[{}]", extension.full_name());
        let kind = extension.kind();
        match value {
            Value::List(items) => {
                for item in items {
                    parts.push(text_entry(&name, item, &kind));
                }
            }
            other => parts.push(text_entry(&name, other, &kind)),
        }
    }
    if parts.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", parts.join(" "))
    }
}

fn aggregate_entry(parts: &mut Vec<String>, name: &str, value: &Value, field: &FieldDescriptor) {
    let kind = field.kind();
    match value {
        // A repeated field as a list (`tags: ["a", "b"]`), as Confluent writes the options of a
        // descriptor.
        Value::List(items) if !items.is_empty() => {
            let values: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::Message(m) => aggregate(m),
                    other => option_value(other, &kind),
                })
                .collect();
            parts.push(format!("{name}: [{}]", values.join(", ")));
        }
        Value::List(_) => {}
        Value::Map(map) => {
            let Kind::Message(entry) = &kind else {
                return;
            };
            let key_kind = entry.map_entry_key_field().kind();
            let value_kind = entry.map_entry_value_field().kind();
            let mut entries: Vec<(&MapKey, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            for (k, v) in entries {
                let key = option_value(&map_key_value(k), &key_kind);
                let value = text_entry("value", v, &value_kind);
                parts.push(format!("{name} {{ key: {key} {value} }}"));
            }
        }
        other => parts.push(text_entry(name, other, &kind)),
    }
}

/// One `name: value` (or `name { … }`) of a text-format aggregate.
fn text_entry(name: &str, value: &Value, kind: &Kind) -> String {
    match value {
        Value::Message(m) => format!("{name} {}", aggregate(m)),
        other => format!("{name}: {}", option_value(other, kind)),
    }
}

fn map_key_value(key: &MapKey) -> Value {
    match key {
        MapKey::Bool(b) => Value::Bool(*b),
        MapKey::I32(n) => Value::I32(*n),
        MapKey::I64(n) => Value::I64(*n),
        MapKey::U32(n) => Value::U32(*n),
        MapKey::U64(n) => Value::U64(*n),
        MapKey::String(s) => Value::String(s.clone()),
    }
}

/// The type of a field as written in `.proto` source: a scalar keyword or `.full.Name`.
fn type_name_of(field: &FieldDescriptor) -> String {
    match field.kind() {
        Kind::Message(m) => format!(".{}", m.full_name()),
        Kind::Enum(e) => format!(".{}", e.full_name()),
        Kind::Double => "double".to_owned(),
        Kind::Float => "float".to_owned(),
        Kind::Int32 => "int32".to_owned(),
        Kind::Int64 => "int64".to_owned(),
        Kind::Uint32 => "uint32".to_owned(),
        Kind::Uint64 => "uint64".to_owned(),
        Kind::Sint32 => "sint32".to_owned(),
        Kind::Sint64 => "sint64".to_owned(),
        Kind::Fixed32 => "fixed32".to_owned(),
        Kind::Fixed64 => "fixed64".to_owned(),
        Kind::Sfixed32 => "sfixed32".to_owned(),
        Kind::Sfixed64 => "sfixed64".to_owned(),
        Kind::Bool => "bool".to_owned(),
        Kind::String => "string".to_owned(),
        Kind::Bytes => "bytes".to_owned(),
    }
}

/// The keyword of a scalar type.
fn scalar_name(t: Type) -> &'static str {
    match t {
        Type::Double => "double",
        Type::Float => "float",
        Type::Int64 => "int64",
        Type::Uint64 => "uint64",
        Type::Int32 => "int32",
        Type::Fixed64 => "fixed64",
        Type::Fixed32 => "fixed32",
        Type::Bool => "bool",
        Type::String => "string",
        Type::Bytes => "bytes",
        Type::Uint32 => "uint32",
        Type::Sfixed32 => "sfixed32",
        Type::Sfixed64 => "sfixed64",
        Type::Sint32 => "sint32",
        Type::Sint64 => "sint64",
        Type::Group | Type::Message | Type::Enum => "",
    }
}

/// protoc's default JSON name: `foo_bar` → `fooBar`.
pub(crate) fn default_json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `start to end` (inclusive), or `start` alone.
fn range(start: i32, end: i32) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start} to {end}")
    }
}

/// A message range (end exclusive in the descriptor), `max` for the largest field number
/// (536870911, or 2147483646 in a message set).
fn message_range(start: i32, end: i32) -> String {
    let last = end - 1;
    if start != last && (last == 536_870_911 || last == 2_147_483_646) {
        format!("{start} to max")
    } else {
        range(start, last)
    }
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

fn is_map_entry(message: &DescriptorProto) -> bool {
    message.options.as_ref().is_some_and(|o| o.map_entry())
}

/// A string literal with C escapes; UTF-8 text that is not a control character stays as it is.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A bytes literal: printable ASCII as is, every other byte as an octal escape.
fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            b => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Style::Canonical => "canonical",
            Style::Normalized => "normalized",
        })
    }
}
