//! Confluent's normalized form of a `.proto` schema (`ProtobufSchemaUtils.toNormalizedString`),
//! as a rewrite of the wire element model ([`super::wire`]) before it is printed.
//!
//! What it does, after Confluent's `FormatContext(normalize = true)`: imports sorted and
//! deduplicated; options sorted by name at every level, custom option names resolved to full
//! names (`(.confluent.field_meta)` and `(confluent.field_meta).tags` become
//! `(confluent.field_meta)`), sub-field assignments turned into aggregates and merged for a
//! non-repeated extension (a repeated field of it gathers the values); aggregate keys sorted,
//! empty lists dropped, one-element lists unwrapped; numbers in options written as Java's
//! `DecimalFormat` does (`-2.0` → `-2`, at most three decimals); fields, oneofs (by their first
//! field), groups and enum values (by number, then name) sorted; reserved and extension ranges
//! one per statement, sorted; field, map value, rpc and extendee types fully qualified with a
//! leading dot; `extend` blocks grouped by extendee; `syntax` written for proto3 only.
//! Messages and enums keep their order (message indexes depend on it).
//!
//! Names resolve as Confluent's `Context.resolve` does: the name under the package and each
//! enclosing message, innermost first, then as written; against every type and extension of
//! the compiled pool (the schema, its references and the built-ins). A name that does not
//! resolve stays as written.

use prost_reflect::{DescriptorPool, Kind as FieldKind, MessageDescriptor};

use super::wire::{
    EnumElement, ExtendElement, FieldElement, Kind, MessageElement, OneOfElement, OptionElement,
    ProtoFileElement, Range, RpcElement, ServiceElement, TypeElement, Value, default_kind,
};

/// Rewrites `file` into its normalized form, resolving names against `pool`.
pub(crate) fn normalize(file: &ProtoFileElement, pool: &DescriptorPool) -> ProtoFileElement {
    let n = Normalizer {
        pool,
        package: file.package.clone().unwrap_or_default(),
        proto3: file.syntax.as_deref() == Some("proto3"),
    };
    let scope: Vec<String> = Vec::new();
    let mut out = file.clone();
    sort_dedup(&mut out.imports);
    sort_dedup(&mut out.public_imports);
    out.options = n.options(&file.options, &scope);
    out.types = file
        .types
        .iter()
        .map(|t| n.type_element(t, &scope))
        .collect();
    out.extends = n.extends(&file.extends, &scope);
    out.services = file.services.iter().map(|s| n.service(s, &scope)).collect();
    out
}

/// Only the custom options of `file` resolved and merged as [`normalize`] merges them (values
/// and the order of everything else kept): the form Warden compiles when the options as
/// written do not compile (`ProtobufSchema::parse_with`).
pub(crate) fn merge_options(file: &ProtoFileElement, pool: &DescriptorPool) -> ProtoFileElement {
    let n = Normalizer {
        pool,
        package: file.package.clone().unwrap_or_default(),
        proto3: file.syntax.as_deref() == Some("proto3"),
    };
    let mut out = file.clone();
    let scope: Vec<String> = Vec::new();
    out.options = n.merged(&file.options, &scope);
    for t in &mut out.types {
        n.merge_type(t, &scope);
    }
    for e in &mut out.extends {
        n.merge_fields(&mut e.fields, &scope);
    }
    for s in &mut out.services {
        s.options = n.merged(&s.options, &scope);
        for r in &mut s.rpcs {
            r.options = n.merged(&r.options, &scope);
        }
    }
    out
}

fn sort_dedup(items: &mut Vec<String>) {
    items.sort();
    items.dedup();
}

struct Normalizer<'a> {
    pool: &'a DescriptorPool,
    package: String,
    proto3: bool,
}

impl Normalizer<'_> {
    /// `Context.resolve`: the first candidate `exists` accepts.
    fn resolve(
        &self,
        scope: &[String],
        name: &str,
        exists: impl Fn(&str) -> bool,
    ) -> Option<String> {
        if let Some(absolute) = name.strip_prefix('.') {
            return exists(absolute).then(|| absolute.to_owned());
        }
        let mut prefix: Vec<&str> = Vec::new();
        if !self.package.is_empty() {
            prefix.extend(self.package.split('.'));
        }
        prefix.extend(scope.iter().map(String::as_str));
        while !prefix.is_empty() {
            let candidate = format!("{}.{name}", prefix.join("."));
            if exists(&candidate) {
                return Some(candidate);
            }
            prefix.pop();
        }
        exists(name).then(|| name.to_owned())
    }

    fn resolve_type(&self, scope: &[String], name: &str) -> Option<String> {
        self.resolve(scope, name, |n| {
            self.pool.get_message_by_name(n).is_some() || self.pool.get_enum_by_name(n).is_some()
        })
    }

    fn resolve_extension(&self, scope: &[String], name: &str) -> Option<String> {
        self.resolve(scope, name, |n| {
            self.pool.get_extension_by_name(n).is_some()
        })
    }

    /// A type as `resolve(ctx, type)` writes it: `.full.Name`, or as written when unknown.
    fn qualified(&self, scope: &[String], name: &str) -> String {
        match self.resolve_type(scope, name) {
            Some(full) => format!(".{full}"),
            None => name.to_owned(),
        }
    }

    fn type_element(&self, t: &TypeElement, scope: &[String]) -> TypeElement {
        let mut inner = scope.to_vec();
        inner.push(t.name().to_owned());
        match t {
            TypeElement::Message(m) => TypeElement::Message(self.message(m, &inner)),
            TypeElement::Enum(e) => TypeElement::Enum(self.enumeration(e, &inner)),
        }
    }

    fn message(&self, m: &MessageElement, scope: &[String]) -> MessageElement {
        let mut fields: Vec<FieldElement> = m.fields.iter().map(|f| self.field(f, scope)).collect();
        fields.sort_by_key(|f| f.tag);
        let mut oneofs: Vec<OneOfElement> = m
            .oneofs
            .iter()
            .filter(|o| !o.fields.is_empty())
            .map(|o| {
                let mut fields: Vec<FieldElement> =
                    o.fields.iter().map(|f| self.field(f, scope)).collect();
                fields.sort_by_key(|f| f.tag);
                let mut groups = o.groups.clone();
                groups.sort_by_key(|g| g.tag);
                OneOfElement {
                    name: o.name.clone(),
                    fields,
                    groups,
                    options: self.options(&o.options, scope),
                }
            })
            .collect();
        oneofs.sort_by_key(|o| o.fields[0].tag);
        let mut groups = m.groups.clone();
        groups.sort_by_key(|g| g.tag);
        for g in &mut groups {
            g.fields = g.fields.iter().map(|f| self.field(f, scope)).collect();
            g.fields.sort_by_key(|f| f.tag);
        }
        let mut extensions: Vec<_> = m
            .extensions
            .iter()
            .flat_map(|e| {
                e.values.iter().map(|v| super::wire::ExtensionsElement {
                    values: vec![single(v)],
                    options: self.options(&e.options, scope),
                })
            })
            .collect();
        extensions.sort_by_key(|e| range_start(&e.values[0]));
        MessageElement {
            name: m.name.clone(),
            options: self.options(&m.options, scope),
            reserveds: split_sorted(&m.reserveds),
            fields,
            oneofs,
            groups,
            extensions,
            extends: self.extends(&m.extends, scope),
            nested: m
                .nested
                .iter()
                .map(|t| self.type_element(t, scope))
                .collect(),
        }
    }

    fn enumeration(&self, e: &EnumElement, scope: &[String]) -> EnumElement {
        let mut constants = e.constants.clone();
        for c in &mut constants {
            c.options = self.options(&c.options, scope);
        }
        let first_zero = constants.first().is_some_and(|c| c.tag == 0);
        constants.sort_by(|a, b| a.tag.cmp(&b.tag).then_with(|| a.name.cmp(&b.name)));
        if first_zero && self.proto3 && constants.first().is_some_and(|c| c.tag != 0) {
            // Differs from Confluent, whose sort puts a negative value first: a proto3 enum
            // must start with its zero value, or the text would not compile again.
            let zero = constants.iter().position(|c| c.tag == 0).expect("had one");
            let value = constants.remove(zero);
            constants.insert(0, value);
        }
        EnumElement {
            name: e.name.clone(),
            options: self.options(&e.options, scope),
            constants,
            reserveds: split_sorted(&e.reserveds),
        }
    }

    fn service(&self, s: &ServiceElement, scope: &[String]) -> ServiceElement {
        ServiceElement {
            name: s.name.clone(),
            options: self.options(&s.options, scope),
            rpcs: s
                .rpcs
                .iter()
                .map(|r| RpcElement {
                    request: self.qualified(scope, &r.request),
                    response: self.qualified(scope, &r.response),
                    options: self.options(&r.options, scope),
                    ..r.clone()
                })
                .collect(),
        }
    }

    /// `extend` blocks grouped by their resolved extendee, in first-seen order.
    fn extends(&self, extends: &[ExtendElement], scope: &[String]) -> Vec<ExtendElement> {
        let mut out: Vec<ExtendElement> = Vec::new();
        for e in extends {
            let name = self.qualified(scope, &e.name);
            let fields: Vec<FieldElement> = e.fields.iter().map(|f| self.field(f, scope)).collect();
            match out.iter_mut().find(|x| x.name == name) {
                Some(x) => x.fields.extend(fields),
                None => out.push(ExtendElement { name, fields }),
            }
        }
        for e in &mut out {
            e.fields.sort_by_key(|f| f.tag);
        }
        out
    }

    fn field(&self, f: &FieldElement, scope: &[String]) -> FieldElement {
        let mut out = f.clone();
        if let Some((key, value)) = map_types(&f.ty) {
            let value = match self.resolve_type(scope, value) {
                Some(full) => format!(".{full}"),
                None => value.to_owned(),
            };
            out.ty = format!("map<{key}, {value}>");
            out.label = None;
        } else if !is_scalar(&f.ty) {
            out.ty = self.qualified(scope, &f.ty);
            // A map-entry message (a schema given as a descriptor) is written as a map.
            if let Some(entry) = self
                .pool
                .get_message_by_name(out.ty.trim_start_matches('.'))
                .filter(MessageDescriptor::is_map_entry)
            {
                let key = kind_name(&entry.map_entry_key_field().kind());
                let value = kind_name(&entry.map_entry_value_field().kind());
                out.ty = format!("map<{key}, {value}>");
                out.label = None;
            }
        }
        if let Some(default) = &f.default
            && default_kind(&out.ty) == Some(Kind::Number)
        {
            let mut number = format_number(default);
            let float = matches!(out.ty.as_str(), "float" | "double");
            if float
                && number.parse::<i64>().is_err()
                && number.bytes().all(|b| b.is_ascii_digit() || b == b'-')
            {
                // Differs from Confluent: an integer past 64 bits is not read back as a float
                // default, so it is written as a float literal.
                number.push_str(".0");
            }
            out.default = Some(number);
        }
        out.options = self.options(&f.options, scope);
        out
    }

    fn merge_type(&self, t: &mut TypeElement, scope: &[String]) {
        let mut inner = scope.to_vec();
        inner.push(t.name().to_owned());
        match t {
            TypeElement::Message(m) => {
                m.options = self.merged(&m.options, &inner);
                self.merge_fields(&mut m.fields, &inner);
                for o in &mut m.oneofs {
                    o.options = self.merged(&o.options, &inner);
                    self.merge_fields(&mut o.fields, &inner);
                }
                for g in &mut m.groups {
                    self.merge_fields(&mut g.fields, &inner);
                }
                for e in &mut m.extensions {
                    e.options = self.merged(&e.options, &inner);
                }
                for e in &mut m.extends {
                    self.merge_fields(&mut e.fields, &inner);
                }
                for nested in &mut m.nested {
                    self.merge_type(nested, &inner);
                }
            }
            TypeElement::Enum(e) => {
                e.options = self.merged(&e.options, &inner);
                for c in &mut e.constants {
                    c.options = self.merged(&c.options, &inner);
                }
            }
        }
    }

    fn merge_fields(&self, fields: &mut [FieldElement], scope: &[String]) {
        for f in fields {
            f.options = self.merged(&f.options, scope);
        }
    }

    /// [`Normalizer::options`] without its value formatting, for compiling.
    fn merged(&self, options: &[OptionElement], scope: &[String]) -> Vec<OptionElement> {
        self.resolve_and_merge(options, scope)
    }

    /// `FormatContext.filterOptions` with `normalize`.
    fn options(&self, options: &[OptionElement], scope: &[String]) -> Vec<OptionElement> {
        let mut out = self.resolve_and_merge(options, scope);
        for o in &mut out {
            o.value = self.value(&o.value, true, scope);
        }
        out
    }

    /// Custom option names resolved, options sorted by name, the values of a non-repeated
    /// extension merged.
    fn resolve_and_merge(&self, options: &[OptionElement], scope: &[String]) -> Vec<OptionElement> {
        let mut resolved: Vec<OptionElement> = options
            .iter()
            .map(|o| {
                let mut o = o.clone();
                if o.parenthesized
                    && let Some(full) = self.resolve_extension(scope, &o.name)
                {
                    o.name = full;
                    o = transform(o);
                }
                o
            })
            .collect();
        resolved.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out: Vec<OptionElement> = Vec::new();
        let mut i = 0;
        while i < resolved.len() {
            let name = resolved[i].name.clone();
            let group: Vec<OptionElement> = resolved[i..]
                .iter()
                .take_while(|o| o.name == name)
                .cloned()
                .collect();
            i += group.len();
            let extension = self.pool.get_extension_by_name(&name);
            match extension {
                Some(ext) if !ext.is_list() => {
                    let container = match ext.kind() {
                        FieldKind::Message(m) => Some(m),
                        _ => None,
                    };
                    let merged = group
                        .into_iter()
                        .reduce(|a, b| merge_option(container.as_ref(), a, b))
                        .expect("a group is not empty");
                    out.push(merged);
                }
                _ => out.extend(group),
            }
        }
        out
    }

    /// Numbers formatted, aggregates sorted with their extension keys resolved, empty lists
    /// dropped from aggregates, one-element lists unwrapped below the top level.
    fn value(&self, value: &Value, top: bool, scope: &[String]) -> Value {
        match value {
            Value::Prim(Kind::Number, text) => Value::Prim(Kind::Number, format_number(text)),
            Value::Prim(..) | Value::Str(_) => value.clone(),
            Value::Option(inner) => Value::Option(Box::new(OptionElement {
                value: self.value(&inner.value, true, scope),
                ..(**inner).clone()
            })),
            Value::List(items) if !top && items.len() == 1 => self.value(&items[0], false, scope),
            Value::List(items) => {
                Value::List(items.iter().map(|v| self.value(v, false, scope)).collect())
            }
            Value::Map(entries) => {
                let mut out: Vec<(String, Value)> = Vec::new();
                for (key, v) in entries {
                    if matches!(v, Value::List(items) if items.is_empty()) {
                        continue;
                    }
                    let key = match key.strip_prefix('[').and_then(|k| k.strip_suffix(']')) {
                        Some(ext) => match self.resolve_extension(scope, ext) {
                            Some(full) => format!("[{full}]"),
                            None => key.clone(),
                        },
                        None => key.clone(),
                    };
                    if out.iter().any(|(k, _)| *k == key) {
                        continue;
                    }
                    out.push((key, self.value(v, false, scope)));
                }
                out.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Map(out)
            }
        }
    }
}

/// `ProtobufSchema.transform`: `(a).b.c = 1` as `(a) = { b: { c: 1 } }`.
fn transform(option: OptionElement) -> OptionElement {
    fn to_map(inner: OptionElement) -> Value {
        let value = match inner.value {
            Value::Option(nested) => to_map(*nested),
            other => other,
        };
        Value::Map(vec![(inner.name, value)])
    }
    match option.value {
        Value::Option(inner) => OptionElement {
            value: to_map(*inner),
            ..option
        },
        _ => option,
    }
}

/// `FormatContext.mergeOption`.
fn merge_option(
    container: Option<&MessageDescriptor>,
    existing: OptionElement,
    replacement: OptionElement,
) -> OptionElement {
    let replacement = transform(replacement);
    match (existing.value, replacement.value) {
        (Value::Map(a), Value::Map(b)) => OptionElement {
            value: Value::Map(merge_maps(container, a, b)),
            ..replacement
        },
        (_, value) => OptionElement {
            value,
            ..replacement
        },
    }
}

/// `FormatContext.mergeOptionMaps`.
fn merge_maps(
    container: Option<&MessageDescriptor>,
    existing: Vec<(String, Value)>,
    replacement: Vec<(String, Value)>,
) -> Vec<(String, Value)> {
    let mut merged = existing;
    for (key, value) in replacement {
        let field = container.and_then(|m| m.get_field_by_name(&key));
        match merged.iter().position(|(k, _)| *k == key) {
            None => merged.push((key, value)),
            Some(i) => {
                let old = std::mem::replace(&mut merged[i].1, Value::List(Vec::new()));
                merged[i].1 = merge_values(field.as_ref(), old, value);
            }
        }
    }
    merged
}

/// `FormatContext.mergeOptionValues`: a singular message field merges, a singular scalar is
/// replaced, a repeated (or unknown) field gathers distinct values.
fn merge_values(field: Option<&prost_reflect::FieldDescriptor>, a: Value, b: Value) -> Value {
    let singular = field.is_some_and(|f| !f.is_list() || f.is_map());
    let message = field.and_then(|f| match f.kind() {
        FieldKind::Message(m) if !f.is_map() => Some(m),
        _ => None,
    });
    if singular {
        if let (Value::Map(x), Value::Map(y), Some(m)) = (&a, &b, &message) {
            return Value::Map(merge_maps(Some(m), x.clone(), y.clone()));
        }
        return b;
    }
    let mut set: Vec<Value> = Vec::new();
    for v in [a, b] {
        let items = match v {
            Value::List(items) => items,
            other => vec![other],
        };
        for item in items {
            if !set.contains(&item) {
                set.push(item);
            }
        }
    }
    Value::List(set)
}

/// Reserved statements one value each, sorted by number (names last), then by text.
fn split_sorted(reserveds: &[Vec<Range>]) -> Vec<Vec<Range>> {
    let mut out: Vec<Range> = reserveds.iter().flatten().map(single).collect();
    out.sort_by(|a, b| {
        range_start(a)
            .cmp(&range_start(b))
            .then_with(|| range_text(a).cmp(&range_text(b)))
    });
    out.into_iter().map(|r| vec![r]).collect()
}

/// `n to n` written as `n`.
fn single(range: &Range) -> Range {
    match range {
        Range::Span(a, b) if a == b => Range::Tag(*a),
        other => other.clone(),
    }
}

fn range_start(range: &Range) -> i32 {
    match range {
        Range::Tag(t) | Range::Span(t, _) => *t,
        Range::Name(_) => i32::MAX,
    }
}

/// Kotlin's `toString()` of a reserved value (`IntRange` is `a..b`).
fn range_text(range: &Range) -> String {
    match range {
        Range::Tag(t) => t.to_string(),
        Range::Span(a, b) => format!("{a}..{b}"),
        Range::Name(n) => n.clone(),
    }
}

fn is_scalar(ty: &str) -> bool {
    matches!(
        ty,
        "bool"
            | "bytes"
            | "double"
            | "float"
            | "fixed32"
            | "fixed64"
            | "int32"
            | "int64"
            | "sfixed32"
            | "sfixed64"
            | "sint32"
            | "sint64"
            | "string"
            | "uint32"
            | "uint64"
    )
}

/// The key and value types of `map<K, V>`.
fn map_types(ty: &str) -> Option<(&str, &str)> {
    let inner = ty.strip_prefix("map<")?.strip_suffix('>')?;
    let (key, value) = inner.split_once(',')?;
    Some((key.trim(), value.trim()))
}

fn kind_name(kind: &FieldKind) -> String {
    match kind {
        FieldKind::Message(m) => format!(".{}", m.full_name()),
        FieldKind::Enum(e) => format!(".{}", e.full_name()),
        FieldKind::Double => "double".into(),
        FieldKind::Float => "float".into(),
        FieldKind::Int32 => "int32".into(),
        FieldKind::Int64 => "int64".into(),
        FieldKind::Uint32 => "uint32".into(),
        FieldKind::Uint64 => "uint64".into(),
        FieldKind::Sint32 => "sint32".into(),
        FieldKind::Sint64 => "sint64".into(),
        FieldKind::Fixed32 => "fixed32".into(),
        FieldKind::Fixed64 => "fixed64".into(),
        FieldKind::Sfixed32 => "sfixed32".into(),
        FieldKind::Sfixed64 => "sfixed64".into(),
        FieldKind::Bool => "bool".into(),
        FieldKind::String => "string".into(),
        FieldKind::Bytes => "bytes".into(),
    }
}

/// A number as Confluent's normalizer writes it: read as commons-lang's
/// `NumberUtils.createNumber` reads it (hex, a type suffix, a float when a float holds it),
/// written with Java's default `DecimalFormat` without grouping (at most three decimals, half
/// even). Text that is not a number (`inf`, `nan`) stays as written.
pub(crate) fn format_number(text: &str) -> String {
    let t = text.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let sign = if negative { "-" } else { "" };
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        return match u128::from_str_radix(hex, 16) {
            Ok(v) => format!("{sign}{v}"),
            Err(_) => text.to_owned(),
        };
    }
    let integral = !digits.is_empty()
        && digits
            .trim_end_matches(['l', 'L'])
            .bytes()
            .all(|b| b.is_ascii_digit());
    if integral {
        let body = digits.trim_end_matches(['l', 'L']).trim_start_matches('0');
        let body = if body.is_empty() { "0" } else { body };
        return if body == "0" {
            "0".to_owned()
        } else {
            format!("{sign}{body}")
        };
    }
    let (body, float_only) = match digits.strip_suffix(['f', 'F']) {
        Some(b) => (b, Some(true)),
        None => match digits.strip_suffix(['d', 'D']) {
            Some(b) => (b, Some(false)),
            None => (digits, None),
        },
    };
    if body.is_empty()
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return text.to_owned();
    }
    let Ok(double) = body.parse::<f64>() else {
        return text.to_owned();
    };
    let float = body.parse::<f32>().ok();
    let value = match (float_only, float) {
        (Some(true), Some(f)) => f64::from(f),
        (Some(false), _) => double,
        (None, Some(f))
            if f.is_finite() && (f != 0.0 || double == 0.0) && {
                f.to_string() == double.to_string()
            } =>
        {
            f64::from(f)
        }
        _ => double,
    };
    if !value.is_finite() {
        return text.to_owned();
    }
    let value = if negative { -value } else { value };
    let mut out = format!("{value:.3}");
    if out.contains('.') {
        out = out.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    if out == "-0" {
        // DecimalFormat writes negative zero as -0.
        return out;
    }
    out
}
