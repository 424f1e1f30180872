//! Confluent's text form of a `.proto` schema.
//!
//! Confluent parses `.proto` source with square/wire's `ProtoParser` into a `ProtoFileElement`
//! (the source as written: type names as written, options as written, comments dropped) and
//! stores what its own printer makes of it (`ProtobufSchema.canonicalString()`, which is
//! `ProtobufSchemaUtils.toString`). This module does the same in two steps: [`parse`] reads
//! source the way wire's `ProtoParser`, `SyntaxReader` and `OptionReader` do into the element
//! model below, and [`print`] writes it the way `ProtobufSchemaUtils.toString` does: `syntax`,
//! `package`, a blank line and the imports (then the public ones; weak imports are dropped), a
//! blank line and the file options, a blank line and the top-level messages then enums, the
//! `extend` blocks, the services. In a message: reserved ranges, options, fields, oneofs,
//! groups, extension ranges, `extend` blocks, nested messages then nested enums, each group
//! after a blank line; options as written (`(a).b = 1`, aggregates as `{ k: v }` maps);
//! `default` and `json_name` after the other field options.
//!
//! The normalized form (`ProtobufSchemaUtils.toNormalizedString`) is printed by the same code
//! with [`Mode::Normalized`], which needs the names resolved: see [`super::normalize`].

use std::fmt::Write as _;

/// A label as written before a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    Optional,
    Required,
    Repeated,
}

impl Label {
    fn as_str(self) -> &'static str {
        match self {
            Label::Optional => "optional",
            Label::Required => "required",
            Label::Repeated => "repeated",
        }
    }
}

/// wire's `OptionElement.Kind` of a scalar value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Boolean,
    Number,
    Enum,
}

/// An option value (wire's `OptionElement` value and kind).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A string literal, unescaped.
    Str(String),
    /// A boolean, number or identifier, as written.
    Prim(Kind, String),
    /// An aggregate `{ k: v }`, keys in first-seen order (a repeated key gathers a list).
    Map(Vec<(String, Value)>),
    /// A list `[a, b]`.
    List(Vec<Value>),
    /// A sub-field assignment: `(a).b = 1` is `(a)` with the option `b = 1`.
    Option(Box<OptionElement>),
}

/// `name = value` (wire's `OptionElement`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OptionElement {
    pub(crate) name: String,
    pub(crate) value: Value,
    pub(crate) parenthesized: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Range {
    Tag(i32),
    Span(i32, i32),
    Name(String),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct FieldElement {
    pub(crate) label: Option<Label>,
    pub(crate) ty: String,
    pub(crate) name: String,
    pub(crate) tag: i32,
    pub(crate) default: Option<String>,
    pub(crate) json_name: Option<String>,
    pub(crate) options: Vec<OptionElement>,
}

#[derive(Debug, Clone)]
pub(crate) struct GroupElement {
    pub(crate) label: Option<Label>,
    pub(crate) name: String,
    pub(crate) tag: i32,
    pub(crate) fields: Vec<FieldElement>,
}

#[derive(Debug, Clone)]
pub(crate) struct OneOfElement {
    pub(crate) name: String,
    pub(crate) fields: Vec<FieldElement>,
    pub(crate) groups: Vec<GroupElement>,
    pub(crate) options: Vec<OptionElement>,
}

#[derive(Debug, Clone)]
pub(crate) struct ExtensionsElement {
    pub(crate) values: Vec<Range>,
    pub(crate) options: Vec<OptionElement>,
}

#[derive(Debug, Clone)]
pub(crate) struct ExtendElement {
    pub(crate) name: String,
    pub(crate) fields: Vec<FieldElement>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct MessageElement {
    pub(crate) name: String,
    pub(crate) options: Vec<OptionElement>,
    pub(crate) reserveds: Vec<Vec<Range>>,
    pub(crate) fields: Vec<FieldElement>,
    pub(crate) oneofs: Vec<OneOfElement>,
    pub(crate) groups: Vec<GroupElement>,
    pub(crate) extensions: Vec<ExtensionsElement>,
    pub(crate) extends: Vec<ExtendElement>,
    pub(crate) nested: Vec<TypeElement>,
}

#[derive(Debug, Clone)]
pub(crate) struct EnumConstantElement {
    pub(crate) name: String,
    pub(crate) tag: i32,
    pub(crate) options: Vec<OptionElement>,
}

#[derive(Debug, Clone)]
pub(crate) struct EnumElement {
    pub(crate) name: String,
    pub(crate) options: Vec<OptionElement>,
    pub(crate) constants: Vec<EnumConstantElement>,
    pub(crate) reserveds: Vec<Vec<Range>>,
}

#[derive(Debug, Clone)]
pub(crate) enum TypeElement {
    Message(MessageElement),
    Enum(EnumElement),
}

impl TypeElement {
    pub(crate) fn name(&self) -> &str {
        match self {
            TypeElement::Message(m) => &m.name,
            TypeElement::Enum(e) => &e.name,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RpcElement {
    pub(crate) name: String,
    pub(crate) request: String,
    pub(crate) response: String,
    pub(crate) request_streaming: bool,
    pub(crate) response_streaming: bool,
    pub(crate) options: Vec<OptionElement>,
}

#[derive(Debug, Clone)]
pub(crate) struct ServiceElement {
    pub(crate) name: String,
    pub(crate) rpcs: Vec<RpcElement>,
    pub(crate) options: Vec<OptionElement>,
}

/// wire's `ProtoFileElement`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProtoFileElement {
    pub(crate) syntax: Option<String>,
    pub(crate) package: Option<String>,
    pub(crate) imports: Vec<String>,
    pub(crate) public_imports: Vec<String>,
    pub(crate) weak_imports: Vec<String>,
    pub(crate) types: Vec<TypeElement>,
    pub(crate) services: Vec<ServiceElement>,
    pub(crate) extends: Vec<ExtendElement>,
    pub(crate) options: Vec<OptionElement>,
}

/// Why wire would not read the source (the message only; Confluent answers 42201).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError(pub(crate) String);

type Result<T> = std::result::Result<T, SyntaxError>;

/// The largest field number, which `max` stands for (wire's `MAX_TAG_VALUE`).
pub(crate) const MAX_TAG_VALUE: i32 = 536_870_911;

/// Reads `.proto` source as wire's `ProtoParser.parse` does.
///
/// Errors: what wire refuses (a missing label in a proto2 field, a `map` with a label, an
/// unterminated string or comment, a token where another is expected).
pub(crate) fn parse(source: &str) -> Result<ProtoFileElement> {
    let mut parser = Parser {
        r: Reader {
            data: source.chars().collect(),
            pos: 0,
        },
        file: ProtoFileElement::default(),
        declarations: 0,
        depth: 0,
    };
    parser.file()?;
    Ok(parser.file)
}

struct Reader {
    data: Vec<char>,
    pos: usize,
}

impl Reader {
    fn err<T>(&self, message: impl Into<String>) -> Result<T> {
        Err(SyntaxError(message.into()))
    }

    fn exhausted(&mut self) -> Result<bool> {
        self.skip_whitespace()?;
        Ok(self.pos == self.data.len())
    }

    fn skip_whitespace(&mut self) -> Result<()> {
        while self.pos < self.data.len() {
            match self.data[self.pos] {
                ' ' | '\t' | '\r' | '\n' => self.pos += 1,
                '/' => self.comment()?,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    fn comment(&mut self) -> Result<()> {
        self.pos += 1;
        match self.data.get(self.pos) {
            Some('*') => {
                self.pos += 1;
                while self.pos + 1 < self.data.len() {
                    if self.data[self.pos] == '*' && self.data[self.pos + 1] == '/' {
                        self.pos += 2;
                        return Ok(());
                    }
                    self.pos += 1;
                }
                self.err("unterminated comment")
            }
            Some('/') => {
                while self.pos < self.data.len() && self.data[self.pos] != '\n' {
                    self.pos += 1;
                }
                Ok(())
            }
            _ => self.err("unexpected '/'"),
        }
    }

    fn peek_char(&mut self) -> Result<char> {
        self.skip_whitespace()?;
        match self.data.get(self.pos) {
            Some(&c) => Ok(c),
            None => self.err("unexpected end of file"),
        }
    }

    fn read_char(&mut self) -> Result<char> {
        let c = self.peek_char()?;
        self.pos += 1;
        Ok(c)
    }

    /// Consumes `c` when it is next.
    fn peek_is(&mut self, c: char) -> Result<bool> {
        if self.peek_char()? == c {
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn require(&mut self, c: char) -> Result<()> {
        let read = self.read_char()?;
        if read == c {
            Ok(())
        } else {
            self.err(format!("expected '{c}' but was '{read}'"))
        }
    }

    fn read_word(&mut self) -> Result<String> {
        self.skip_whitespace()?;
        let start = self.pos;
        while let Some(&c) = self.data.get(self.pos) {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        if start == self.pos {
            return self.err("expected a word");
        }
        Ok(self.data[start..self.pos].iter().collect())
    }

    fn read_name(&mut self) -> Result<String> {
        match self.peek_char()? {
            '(' => {
                self.pos += 1;
                let word = self.read_word()?;
                self.require(')')?;
                Ok(word)
            }
            '[' => {
                self.pos += 1;
                let word = self.read_word()?;
                self.require(']')?;
                Ok(word)
            }
            _ => self.read_word(),
        }
    }

    fn read_data_type(&mut self) -> Result<String> {
        let name = self.read_word()?;
        self.read_data_type_after(name)
    }

    fn read_data_type_after(&mut self, name: String) -> Result<String> {
        if name != "map" {
            return Ok(name);
        }
        self.require('<')?;
        let key = self.read_data_type()?;
        self.require(',')?;
        let value = self.read_data_type()?;
        self.require('>')?;
        Ok(format!("map<{key}, {value}>"))
    }

    fn read_int(&mut self) -> Result<i32> {
        let word = self.read_word()?;
        let parsed = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
            Some(hex) => i32::from_str_radix(hex, 16),
            None => word.parse::<i32>(),
        };
        parsed.or_else(|_| self.err(format!("expected an integer but was {word}")))
    }

    fn read_string(&mut self) -> Result<String> {
        match self.peek_char()? {
            '"' | '\'' => self.read_quoted_string(),
            _ => self.read_word(),
        }
    }

    fn read_quoted_string(&mut self) -> Result<String> {
        let mut quote = self.read_char()?;
        let mut out = String::new();
        while self.pos < self.data.len() {
            let mut c = self.data[self.pos];
            self.pos += 1;
            if c == quote {
                // Adjacent strings are concatenated.
                let next = self.peek_char_or_end()?;
                if next == Some('"') || next == Some('\'') {
                    quote = self.read_char()?;
                    continue;
                }
                return Ok(out);
            }
            if c == '\\' {
                let Some(&escaped) = self.data.get(self.pos) else {
                    return self.err("unexpected end of file");
                };
                self.pos += 1;
                c = match escaped {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    'x' | 'X' => self.numeric_escape(16, 2)?,
                    '0'..='7' => {
                        self.pos -= 1;
                        self.numeric_escape(8, 3)?
                    }
                    other => other,
                };
            }
            out.push(c);
        }
        self.err("unterminated string")
    }

    fn peek_char_or_end(&mut self) -> Result<Option<char>> {
        self.skip_whitespace()?;
        Ok(self.data.get(self.pos).copied())
    }

    fn numeric_escape(&mut self, radix: u32, len: usize) -> Result<char> {
        let end = (self.pos + len).min(self.data.len());
        let mut value: Option<u32> = None;
        while self.pos < end {
            match self.data[self.pos].to_digit(16) {
                Some(d) if d < radix => {
                    value = Some(value.map_or(d, |v| v * radix + d));
                    self.pos += 1;
                }
                _ => break,
            }
        }
        match value.and_then(char::from_u32) {
            Some(c) => Ok(c),
            None => self.err("expected a digit after \\x or \\X"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    File,
    Message,
    Enum,
    Rpc,
    Extend,
    Service,
}

enum Declaration {
    None,
    Field(FieldElement),
    OneOf(OneOfElement),
    Group(GroupElement),
    Type(TypeElement),
    Extensions(ExtensionsElement),
    Option(OptionElement),
    Extend(ExtendElement),
    Reserved(Vec<Range>),
    Service(ServiceElement),
    Rpc(RpcElement),
    Constant(EnumConstantElement),
}

struct Parser {
    r: Reader,
    file: ProtoFileElement,
    declarations: usize,
    /// Nesting of messages, groups and option values, bounded so that deep input is refused
    /// instead of overflowing the stack.
    depth: usize,
}

/// The deepest nesting read (protox refuses deeper files first).
const MAX_DEPTH: usize = 128;

impl Parser {
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.r.err("nesting too deep");
        }
        Ok(())
    }

    fn file(&mut self) -> Result<()> {
        loop {
            if self.r.exhausted()? {
                return Ok(());
            }
            match self.declaration(Context::File)? {
                Declaration::Type(t) => {
                    if self.file.types.iter().any(|d| d.name() == t.name()) {
                        return self.r.err(format!("{} is already defined", t.name()));
                    }
                    self.file.types.push(t);
                }
                Declaration::Service(s) => {
                    if self.file.services.iter().any(|d| d.name == s.name) {
                        return self.r.err(format!("{} is already defined", s.name));
                    }
                    self.file.services.push(s);
                }
                Declaration::Option(o) => self.file.options.push(o),
                Declaration::Extend(e) => self.file.extends.push(e),
                _ => {}
            }
        }
    }

    fn declaration(&mut self, context: Context) -> Result<Declaration> {
        let index = self.declarations;
        self.declarations += 1;
        if self.r.peek_is(';')? {
            return Ok(Declaration::None);
        }
        let label = self.r.read_word()?;
        let message_or_extend = matches!(context, Context::Message | Context::Extend);
        Ok(match label.as_str() {
            "package" if context == Context::File => {
                self.file.package = Some(self.r.read_name()?);
                self.r.require(';')?;
                Declaration::None
            }
            "import" if context == Context::File => {
                let peeked = self.r.peek_char()?;
                if peeked == '"' || peeked == '\'' {
                    let path = self.r.read_quoted_string()?;
                    self.file.imports.push(path);
                } else {
                    match self.r.read_string()?.as_str() {
                        "weak" => {
                            let path = self.r.read_quoted_string()?;
                            self.file.weak_imports.push(path);
                        }
                        "public" => {
                            let path = self.r.read_quoted_string()?;
                            self.file.public_imports.push(path);
                        }
                        _ => return self.r.err("expected quoted string"),
                    }
                }
                self.r.require(';')?;
                Declaration::None
            }
            "syntax" if context == Context::File => {
                if self.file.syntax.is_some() {
                    return self.r.err("too many syntax definitions");
                }
                self.r.require('=')?;
                if index != 0 {
                    return self
                        .r
                        .err("'syntax' element must be the first declaration in a file");
                }
                let syntax = self.r.read_quoted_string()?;
                if syntax != "proto2" && syntax != "proto3" {
                    return self.r.err(format!("unexpected syntax: {syntax}"));
                }
                self.file.syntax = Some(syntax);
                self.r.require(';')?;
                Declaration::None
            }
            "option" => {
                let option = self.option('=')?;
                self.r.require(';')?;
                Declaration::Option(option)
            }
            "reserved" => Declaration::Reserved(self.reserved()?),
            "message" if matches!(context, Context::File | Context::Message) => {
                Declaration::Type(TypeElement::Message(self.message()?))
            }
            "enum" if matches!(context, Context::File | Context::Message) => {
                Declaration::Type(TypeElement::Enum(self.enumeration()?))
            }
            "service" if context == Context::File => Declaration::Service(self.service()?),
            "extend" if matches!(context, Context::File | Context::Message) => {
                Declaration::Extend(self.extend()?)
            }
            "rpc" if context == Context::Service => Declaration::Rpc(self.rpc()?),
            "oneof" if context == Context::Message => Declaration::OneOf(self.oneof()?),
            "extensions" if context == Context::Message => {
                Declaration::Extensions(self.extensions()?)
            }
            _ if message_or_extend => self.field_declaration(&label)?,
            _ if context == Context::Enum => Declaration::Constant(self.constant(label)?),
            "edition" if context == Context::File => {
                return self.r.err("edition is not currently supported");
            }
            _ => return self.r.err(format!("unexpected label: {label}")),
        })
    }

    fn block<F>(&mut self, context: Context, mut each: F) -> Result<()>
    where
        F: FnMut(Declaration) -> Result<()>,
    {
        self.r.require('{')?;
        loop {
            if self.r.peek_is('}')? {
                return Ok(());
            }
            let declared = self.declaration(context)?;
            each(declared)?;
        }
    }

    fn message(&mut self) -> Result<MessageElement> {
        self.enter()?;
        let result = self.message_inner();
        self.depth -= 1;
        result
    }

    fn message_inner(&mut self) -> Result<MessageElement> {
        let mut m = MessageElement {
            name: self.r.read_name()?,
            ..MessageElement::default()
        };
        let mut declared = Vec::new();
        self.block(Context::Message, |d| {
            declared.push(d);
            Ok(())
        })?;
        for d in declared {
            match d {
                Declaration::Field(f) => m.fields.push(f),
                Declaration::OneOf(o) => m.oneofs.push(o),
                Declaration::Group(g) => m.groups.push(g),
                Declaration::Type(t) => m.nested.push(t),
                Declaration::Extensions(e) => m.extensions.push(e),
                Declaration::Option(o) => m.options.push(o),
                Declaration::Extend(e) => m.extends.push(e),
                Declaration::Reserved(r) => m.reserveds.push(r),
                _ => {}
            }
        }
        Ok(m)
    }

    fn extend(&mut self) -> Result<ExtendElement> {
        let name = self.r.read_name()?;
        let mut fields = Vec::new();
        self.block(Context::Extend, |d| {
            if let Declaration::Field(f) = d {
                fields.push(f);
            }
            Ok(())
        })?;
        Ok(ExtendElement { name, fields })
    }

    fn service(&mut self) -> Result<ServiceElement> {
        let name = self.r.read_name()?;
        let mut rpcs = Vec::new();
        let mut options = Vec::new();
        self.block(Context::Service, |d| {
            match d {
                Declaration::Rpc(r) => rpcs.push(r),
                Declaration::Option(o) => options.push(o),
                _ => {}
            }
            Ok(())
        })?;
        Ok(ServiceElement {
            name,
            rpcs,
            options,
        })
    }

    fn enumeration(&mut self) -> Result<EnumElement> {
        let name = self.r.read_name()?;
        let mut e = EnumElement {
            name,
            options: Vec::new(),
            constants: Vec::new(),
            reserveds: Vec::new(),
        };
        let mut declared = Vec::new();
        self.block(Context::Enum, |d| {
            declared.push(d);
            Ok(())
        })?;
        for d in declared {
            match d {
                Declaration::Constant(c) => e.constants.push(c),
                Declaration::Option(o) => e.options.push(o),
                Declaration::Reserved(r) => e.reserveds.push(r),
                _ => {}
            }
        }
        Ok(e)
    }

    fn field_declaration(&mut self, word: &str) -> Result<Declaration> {
        let proto3 = self.file.syntax.as_deref() == Some("proto3");
        let (label, ty) = match word {
            "required" => {
                if proto3 {
                    return self
                        .r
                        .err("'required' label forbidden in proto3 field declarations");
                }
                (Some(Label::Required), self.r.read_data_type()?)
            }
            "optional" => (Some(Label::Optional), self.r.read_data_type()?),
            "repeated" => (Some(Label::Repeated), self.r.read_data_type()?),
            _ => {
                let map = word == "map" && self.r.peek_char()? == '<';
                if !proto3 && !map {
                    return self.r.err(format!("unexpected label: {word}"));
                }
                (None, self.r.read_data_type_after(word.to_owned())?)
            }
        };
        if ty.starts_with("map<") && label.is_some() {
            return self.r.err("'map' type cannot have label");
        }
        if ty == "group" {
            return Ok(Declaration::Group(self.group(label)?));
        }
        Ok(Declaration::Field(self.field(label, ty)?))
    }

    fn field(&mut self, label: Option<Label>, ty: String) -> Result<FieldElement> {
        let name = self.r.read_name()?;
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            return self
                .r
                .err("field and constant names cannot start with a digit");
        }
        self.r.require('=')?;
        let tag = self.r.read_int()?;
        let mut options = self.options()?;
        let default = strip(&mut options, "default");
        let json_name = strip(&mut options, "json_name");
        self.r.require(';')?;
        Ok(FieldElement {
            label,
            ty,
            name,
            tag,
            default,
            json_name,
            options,
        })
    }

    fn oneof(&mut self) -> Result<OneOfElement> {
        let name = self.r.read_name()?;
        let mut o = OneOfElement {
            name,
            fields: Vec::new(),
            groups: Vec::new(),
            options: Vec::new(),
        };
        self.r.require('{')?;
        loop {
            if self.r.peek_is('}')? {
                return Ok(o);
            }
            match self.r.read_data_type()?.as_str() {
                "group" => {
                    let g = self.group(None)?;
                    o.groups.push(g);
                }
                "option" => {
                    let option = self.option('=')?;
                    o.options.push(option);
                    self.r.require(';')?;
                }
                ty => {
                    let f = self.field(None, ty.to_owned())?;
                    o.fields.push(f);
                }
            }
        }
    }

    fn group(&mut self, label: Option<Label>) -> Result<GroupElement> {
        self.enter()?;
        let result = self.group_inner(label);
        self.depth -= 1;
        result
    }

    fn group_inner(&mut self, label: Option<Label>) -> Result<GroupElement> {
        let name = self.r.read_word()?;
        self.r.require('=')?;
        let tag = self.r.read_int()?;
        let mut fields = Vec::new();
        self.r.require('{')?;
        loop {
            if self.r.peek_is('}')? {
                break;
            }
            let word = self.r.read_word()?;
            match self.field_declaration(&word)? {
                Declaration::Field(f) => fields.push(f),
                _ => return self.r.err("expected field declaration"),
            }
        }
        Ok(GroupElement {
            label,
            name,
            tag,
            fields,
        })
    }

    fn range_end(&mut self) -> Result<i32> {
        let word = self.r.read_word()?;
        if word == "max" {
            return Ok(MAX_TAG_VALUE);
        }
        word.parse::<i32>()
            .or_else(|_| self.r.err(format!("expected an integer but was {word}")))
    }

    fn reserved(&mut self) -> Result<Vec<Range>> {
        let mut values = Vec::new();
        loop {
            match self.r.peek_char()? {
                '"' | '\'' => values.push(Range::Name(self.r.read_quoted_string()?)),
                _ => {
                    let start = self.r.read_int()?;
                    match self.r.peek_char()? {
                        ',' | ';' => values.push(Range::Tag(start)),
                        _ => {
                            if self.r.read_word()? != "to" {
                                return self.r.err("expected ',', ';', or 'to'");
                            }
                            let end = self.range_end()?;
                            values.push(Range::Span(start, end));
                        }
                    }
                }
            }
            match self.r.read_char()? {
                ';' => break,
                ',' => continue,
                _ => return self.r.err("expected ',' or ';'"),
            }
        }
        Ok(values)
    }

    fn extensions(&mut self) -> Result<ExtensionsElement> {
        let mut values = Vec::new();
        let mut options = Vec::new();
        loop {
            let start = self.r.read_int()?;
            match self.r.peek_char()? {
                ',' | ';' | '[' => values.push(Range::Tag(start)),
                _ => {
                    if self.r.read_word()? != "to" {
                        return self.r.err("expected ',', ';', '[' or 'to'");
                    }
                    let end = self.range_end()?;
                    values.push(Range::Span(start, end));
                }
            }
            if self.r.peek_char()? == '[' {
                options.extend(self.options()?);
                self.r.require(';')?;
                break;
            }
            match self.r.read_char()? {
                ';' => break,
                ',' => continue,
                _ => return self.r.err("expected ',' or ';'"),
            }
        }
        Ok(ExtensionsElement { values, options })
    }

    fn constant(&mut self, name: String) -> Result<EnumConstantElement> {
        self.r.require('=')?;
        let tag = self.r.read_int()?;
        let options = self.options()?;
        self.r.require(';')?;
        Ok(EnumConstantElement { name, tag, options })
    }

    fn rpc(&mut self) -> Result<RpcElement> {
        let name = self.r.read_name()?;
        self.r.require('(')?;
        let (request, request_streaming) = self.rpc_type()?;
        self.r.require(')')?;
        if self.r.read_word()? != "returns" {
            return self.r.err("expected 'returns'");
        }
        self.r.require('(')?;
        let (response, response_streaming) = self.rpc_type()?;
        self.r.require(')')?;
        let mut options = Vec::new();
        if self.r.peek_is('{')? {
            loop {
                if self.r.peek_is('}')? {
                    break;
                }
                if let Declaration::Option(o) = self.declaration(Context::Rpc)? {
                    options.push(o);
                }
            }
        } else {
            self.r.require(';')?;
        }
        Ok(RpcElement {
            name,
            request,
            response,
            request_streaming,
            response_streaming,
            options,
        })
    }

    fn rpc_type(&mut self) -> Result<(String, bool)> {
        let word = self.r.read_word()?;
        if word == "stream" {
            Ok((self.r.read_data_type()?, true))
        } else {
            Ok((self.r.read_data_type_after(word)?, false))
        }
    }

    /// `[a = 1, b = 2]` after a field, enum value or extension range; empty when absent.
    fn options(&mut self) -> Result<Vec<OptionElement>> {
        let mut out = Vec::new();
        if !self.r.peek_is('[')? {
            return Ok(out);
        }
        loop {
            out.push(self.option('=')?);
            if self.r.peek_is(']')? {
                return Ok(out);
            }
            if !self.r.peek_is(',')? {
                return self.r.err("Expected ',' or ']");
            }
        }
    }

    /// wire's `OptionReader.readOption`.
    fn option(&mut self, separator: char) -> Result<OptionElement> {
        let first = self.r.peek_char()?;
        let extension = first == '[';
        let parenthesized = first == '(';
        let mut name = self.r.read_name()?;
        if extension {
            name = format!("[{name}]");
        }
        let mut sub_name = None;
        let mut c = self.r.read_char()?;
        if c == '.' {
            sub_name = Some(self.r.read_name()?);
            c = self.r.read_char()?;
        }
        if separator == ':' && c == '{' {
            self.r.pos -= 1;
        } else if c != separator {
            return self.r.err(format!("expected '{separator}' in option"));
        }
        let mut value = self.value()?;
        if let Some(sub) = sub_name {
            // `(a).b.c = 1` nests one option per name (wire 5+: `subNames.reversed()`).
            for part in sub.rsplit('.') {
                value = Value::Option(Box::new(OptionElement {
                    name: part.to_owned(),
                    value,
                    parenthesized: false,
                }));
            }
        }
        Ok(OptionElement {
            name,
            value,
            parenthesized,
        })
    }

    /// wire's `readKindAndValue`.
    fn value(&mut self) -> Result<Value> {
        let peeked = self.r.peek_char()?;
        match peeked {
            '{' => self.map(),
            '[' => self.list(),
            '"' | '\'' => Ok(Value::Str(self.r.read_string()?)),
            c if c.is_ascii_digit() || c == '-' => {
                Ok(Value::Prim(Kind::Number, self.r.read_word()?))
            }
            _ => {
                let word = self.r.read_word()?;
                let kind = if word == "true" || word == "false" {
                    Kind::Boolean
                } else {
                    Kind::Enum
                };
                Ok(Value::Prim(kind, word))
            }
        }
    }

    fn map(&mut self) -> Result<Value> {
        self.enter()?;
        let result = self.map_inner();
        self.depth -= 1;
        result
    }

    fn map_inner(&mut self) -> Result<Value> {
        self.r.require('{')?;
        let mut entries: Vec<(String, Value)> = Vec::new();
        loop {
            if self.r.peek_is('}')? {
                return Ok(Value::Map(entries));
            }
            let option = self.option(':')?;
            let name = option.name;
            match option.value {
                Value::Option(nested) => {
                    let slot = match entries.iter().position(|(k, _)| *k == name) {
                        Some(i) => i,
                        None => {
                            entries.push((name, Value::Map(Vec::new())));
                            entries.len() - 1
                        }
                    };
                    if let Value::Map(inner) = &mut entries[slot].1 {
                        put(inner, nested.name, nested.value);
                    }
                }
                value => match entries.iter().position(|(k, _)| *k == name) {
                    None => entries.push((name, value)),
                    Some(i) => {
                        let previous = std::mem::replace(&mut entries[i].1, Value::List(vec![]));
                        let mut list = match previous {
                            Value::List(items) => items,
                            other => vec![other],
                        };
                        match value {
                            Value::List(items) => list.extend(items),
                            other => list.push(other),
                        }
                        entries[i].1 = Value::List(list);
                    }
                },
            }
            self.r.peek_is(',')?;
        }
    }

    fn list(&mut self) -> Result<Value> {
        self.enter()?;
        let result = self.list_inner();
        self.depth -= 1;
        result
    }

    fn list_inner(&mut self) -> Result<Value> {
        self.r.require('[')?;
        let mut items = Vec::new();
        loop {
            if self.r.peek_is(']')? {
                return Ok(Value::List(items));
            }
            items.push(self.value()?);
            if self.r.peek_is(',')? {
                continue;
            }
            if self.r.peek_char()? != ']' {
                return self.r.err("expected ',' or ']'");
            }
        }
    }
}

/// A map's `put`: replaces the value of an existing key in place.
fn put(entries: &mut Vec<(String, Value)>, key: String, value: Value) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key, value)),
    }
}

/// Removes every option called `name` and returns the last one's value as text (wire's
/// `stripValue`: `default` and `json_name` are not options).
fn strip(options: &mut Vec<OptionElement>, name: &str) -> Option<String> {
    let mut result = None;
    options.retain(|o| {
        if o.name == name {
            result = Some(value_text(&o.value));
            false
        } else {
            true
        }
    });
    result
}

/// A value as Kotlin's `toString()` writes it (only scalars matter here).
fn value_text(value: &Value) -> String {
    match value {
        Value::Str(s) | Value::Prim(_, s) => s.clone(),
        other => format!("{other:?}"),
    }
}

// ------------------------------------------------------------------------------------ printing

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `ProtobufSchemaUtils.toString`: the canonical string.
    Canonical,
    /// `FormatContext(ignoreExtensions = true)`: `format=ignore_extensions`, without custom
    /// options (but `confluent.*`), extension ranges and `extend` blocks.
    IgnoreExtensions,
    /// Without any custom (`(name)`) option: the text Warden compiles when protox refuses the
    /// options Confluent does not check (not a Confluent format).
    WithoutCustomOptions,
    /// The printing half of `toNormalizedString`, for a file already normalized by
    /// [`super::normalize`]: `syntax` is written for proto3 only.
    Normalized,
}

/// Prints a file as `ProtobufSchemaUtils.toString` does.
pub(crate) fn print(file: &ProtoFileElement, mode: Mode) -> String {
    let p = Printer { mode };
    p.file(file)
}

struct Printer {
    mode: Mode,
}

impl Printer {
    fn ignore_extensions(&self) -> bool {
        self.mode == Mode::IgnoreExtensions
    }

    fn filter<'a>(&self, options: &'a [OptionElement]) -> Vec<&'a OptionElement> {
        options
            .iter()
            .filter(|o| match self.mode {
                Mode::IgnoreExtensions => !o.parenthesized || o.name.starts_with("confluent."),
                Mode::WithoutCustomOptions => !o.parenthesized,
                Mode::Canonical | Mode::Normalized => true,
            })
            .collect()
    }

    fn file(&self, f: &ProtoFileElement) -> String {
        let mut sb = String::new();
        if let Some(syntax) = &f.syntax
            && (self.mode != Mode::Normalized || syntax == "proto3")
        {
            let _ = writeln!(sb, "syntax = \"{syntax}\";");
        }
        if let Some(package) = &f.package {
            let _ = writeln!(sb, "package {package};");
        }
        if !f.imports.is_empty() || !f.public_imports.is_empty() {
            sb.push('\n');
            for i in &f.imports {
                let _ = writeln!(sb, "import \"{i}\";");
            }
            for i in &f.public_imports {
                let _ = writeln!(sb, "import public \"{i}\";");
            }
        }
        let options = self.filter(&f.options);
        if !options.is_empty() {
            sb.push('\n');
            for o in options {
                sb.push_str(&option_statement(o));
            }
        }
        if !f.types.is_empty() {
            sb.push('\n');
            self.types(&mut sb, &f.types, false);
        }
        if !self.ignore_extensions() && !f.extends.is_empty() {
            sb.push('\n');
            for e in &f.extends {
                sb.push_str(&self.extend(e));
            }
        }
        if !f.services.is_empty() {
            sb.push('\n');
            for s in &f.services {
                sb.push_str(&self.service(s));
            }
        }
        sb
    }

    /// Messages, then enums.
    fn types(&self, sb: &mut String, types: &[TypeElement], indent: bool) {
        let mut emit = |text: String| {
            if indent {
                append_indented(sb, &text);
            } else {
                sb.push_str(&text);
            }
        };
        for t in types {
            if let TypeElement::Message(m) = t {
                emit(self.message(m));
            }
        }
        for t in types {
            if let TypeElement::Enum(e) = t {
                emit(self.enumeration(e));
            }
        }
    }

    fn service(&self, s: &ServiceElement) -> String {
        let mut sb = format!("service {} {{", s.name);
        let options = self.filter(&s.options);
        if !options.is_empty() {
            sb.push('\n');
            for o in options {
                append_indented(&mut sb, &option_statement(o));
            }
        }
        if !s.rpcs.is_empty() {
            sb.push('\n');
            for r in &s.rpcs {
                append_indented(&mut sb, &self.rpc(r));
            }
        }
        sb.push_str("}\n");
        sb
    }

    fn rpc(&self, r: &RpcElement) -> String {
        let mut sb = format!("rpc {} (", r.name);
        if r.request_streaming {
            sb.push_str("stream ");
        }
        sb.push_str(&r.request);
        sb.push_str(") returns (");
        if r.response_streaming {
            sb.push_str("stream ");
        }
        sb.push_str(&r.response);
        sb.push(')');
        let options = self.filter(&r.options);
        if !options.is_empty() {
            sb.push_str(" {\n");
            for o in options {
                append_indented(&mut sb, &option_statement(o));
            }
            sb.push('}');
        }
        sb.push_str(";\n");
        sb
    }

    fn enumeration(&self, e: &EnumElement) -> String {
        let mut sb = format!("enum {} {{", e.name);
        if !e.reserveds.is_empty() {
            sb.push('\n');
            for r in &e.reserveds {
                append_indented(&mut sb, &reserved(r));
            }
        }
        if e.reserveds.is_empty() && (!e.options.is_empty() || !e.constants.is_empty()) {
            sb.push('\n');
        }
        for o in self.filter(&e.options) {
            append_indented(&mut sb, &option_statement(o));
        }
        for c in &e.constants {
            let mut line = format!("{} = {}", c.name, c.tag);
            let options = self.filter(&c.options);
            if !options.is_empty() {
                line.push(' ');
                append_options(&mut line, &options);
            }
            line.push_str(";\n");
            append_indented(&mut sb, &line);
        }
        sb.push_str("}\n");
        sb
    }

    fn message(&self, m: &MessageElement) -> String {
        let mut sb = format!("message {} {{", m.name);
        if !m.reserveds.is_empty() {
            sb.push('\n');
            for r in &m.reserveds {
                append_indented(&mut sb, &reserved(r));
            }
        }
        let options = self.filter(&m.options);
        if !options.is_empty() {
            sb.push('\n');
            for o in options {
                append_indented(&mut sb, &option_statement(o));
            }
        }
        if !m.fields.is_empty() {
            sb.push('\n');
            for f in &m.fields {
                append_indented(&mut sb, &self.field(f));
            }
        }
        if !m.oneofs.is_empty() {
            sb.push('\n');
            for o in &m.oneofs {
                append_indented(&mut sb, &self.oneof(o));
            }
        }
        if !m.groups.is_empty() {
            sb.push('\n');
            for g in &m.groups {
                append_indented(&mut sb, &self.group(g));
            }
        }
        if !self.ignore_extensions() && !m.extensions.is_empty() {
            sb.push('\n');
            for e in &m.extensions {
                let mut line = format!("extensions {}", ranges(&e.values));
                let options = self.filter(&e.options);
                if !options.is_empty() {
                    line.push(' ');
                    append_options(&mut line, &options);
                }
                line.push_str(";\n");
                append_indented(&mut sb, &line);
            }
        }
        if !self.ignore_extensions() && !m.extends.is_empty() {
            sb.push('\n');
            for e in &m.extends {
                append_indented(&mut sb, &self.extend(e));
            }
        }
        if !m.nested.is_empty() {
            sb.push('\n');
            self.types(&mut sb, &m.nested, true);
        }
        sb.push_str("}\n");
        sb
    }

    fn oneof(&self, o: &OneOfElement) -> String {
        let mut sb = format!("oneof {} {{", o.name);
        let options = self.filter(&o.options);
        if !options.is_empty() {
            sb.push('\n');
            for option in options {
                append_indented(&mut sb, &option_statement(option));
            }
        }
        if !o.fields.is_empty() {
            sb.push('\n');
            for f in &o.fields {
                append_indented(&mut sb, &self.field(f));
            }
        }
        if !o.groups.is_empty() {
            sb.push('\n');
            for g in &o.groups {
                append_indented(&mut sb, &self.group(g));
            }
        }
        sb.push_str("}\n");
        sb
    }

    fn group(&self, g: &GroupElement) -> String {
        let mut sb = String::new();
        if let Some(label) = g.label {
            sb.push_str(label.as_str());
            sb.push(' ');
        }
        let _ = write!(sb, "group {} = {} {{", g.name, g.tag);
        if !g.fields.is_empty() {
            sb.push('\n');
            for f in &g.fields {
                append_indented(&mut sb, &self.field(f));
            }
        }
        sb.push_str("}\n");
        sb
    }

    fn extend(&self, e: &ExtendElement) -> String {
        let mut sb = format!("extend {} {{", e.name);
        if !e.fields.is_empty() {
            sb.push('\n');
            for f in &e.fields {
                append_indented(&mut sb, &self.field(f));
            }
        }
        sb.push_str("}\n");
        sb
    }

    fn field(&self, f: &FieldElement) -> String {
        let mut sb = String::new();
        if let Some(label) = f.label {
            sb.push_str(label.as_str());
            sb.push(' ');
        }
        let _ = write!(sb, "{} {} = {}", f.ty, f.name, f.tag);
        let mut options: Vec<OptionElement> = f.options.clone();
        if let Some(default) = &f.default {
            let kind = match default_kind(&f.ty) {
                // Quoted so that protox reads it (Confluent writes it as a number).
                Some(Kind::Number)
                    if self.mode == Mode::WithoutCustomOptions && is_bytes(&f.ty) =>
                {
                    None
                }
                kind => kind,
            };
            let value = match kind {
                None => Value::Str(default.clone()),
                Some(kind) => Value::Prim(kind, default.clone()),
            };
            options.push(OptionElement {
                name: "default".to_owned(),
                value,
                parenthesized: false,
            });
        }
        if let Some(json_name) = &f.json_name {
            options.push(OptionElement {
                name: "json_name".to_owned(),
                value: Value::Str(json_name.clone()),
                parenthesized: false,
            });
        }
        let mut options = self.filter(&options);
        if self.mode == Mode::Normalized {
            // Normalized options are sorted by name, `default` and `json_name` among them.
            options.sort_by(|a, b| a.name.cmp(&b.name));
        }
        if !options.is_empty() {
            sb.push(' ');
            append_options(&mut sb, &options);
        }
        sb.push_str(";\n");
        sb
    }
}

fn is_bytes(ty: &str) -> bool {
    ty.rsplit('.').next() == Some("bytes")
}

/// The kind of a field's `default` (`ProtobufSchemaUtils.toKind`): `None` for a string.
///
/// A `bytes` default is a number to Confluent, written without quotes (`[default = joshua]`),
/// which protoc and protox do not read; such a text compiles through the retry without custom
/// options of [`super::ProtobufSchema::parse_with`], which quotes it.
pub(crate) fn default_kind(ty: &str) -> Option<Kind> {
    let simple = ty.rsplit('.').next().unwrap_or(ty);
    match simple {
        "string" => None,
        "bool" => Some(Kind::Boolean),
        "bytes" | "double" | "float" | "fixed32" | "fixed64" | "int32" | "int64" | "sfixed32"
        | "sfixed64" | "sint32" | "sint64" | "uint32" | "uint64" => Some(Kind::Number),
        _ => Some(Kind::Enum),
    }
}

fn reserved(values: &[Range]) -> String {
    format!("reserved {};\n", ranges(values))
}

fn ranges(values: &[Range]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            Range::Name(n) => format!("\"{n}\""),
            Range::Tag(t) => t.to_string(),
            Range::Span(start, end) => {
                if *end < MAX_TAG_VALUE {
                    format!("{start} to {end}")
                } else {
                    format!("{start} to max")
                }
            }
        })
        .collect();
    parts.join(", ")
}

fn option_statement(o: &OptionElement) -> String {
    format!("option {};\n", option_text(o))
}

/// `name = value` (`ProtobufSchemaUtils.toString(OptionElement)`).
fn option_text(o: &OptionElement) -> String {
    let mut sb = if o.parenthesized {
        format!("({})", o.name)
    } else {
        o.name.clone()
    };
    match &o.value {
        Value::Str(s) => {
            let _ = write!(sb, " = \"{}\"", escape_chars(s));
        }
        Value::Prim(_, text) => {
            let _ = write!(sb, " = {text}");
        }
        Value::Option(inner) => {
            sb.push('.');
            sb.push_str(&option_text(inner));
        }
        Value::Map(entries) => {
            sb.push_str(" = {\n");
            format_map(&mut sb, entries);
            sb.push('}');
        }
        Value::List(items) => {
            sb.push_str(" = ");
            let items: Vec<&Value> = items.iter().collect();
            append_list(&mut sb, &items);
        }
    }
    sb
}

fn format_map(sb: &mut String, entries: &[(String, Value)]) {
    let last = entries.len().saturating_sub(1);
    for (i, (key, value)) in entries.iter().enumerate() {
        let endl = if i != last { "," } else { "" };
        append_indented(sb, &format!("{key}: {}{endl}", map_or_list_value(value)));
    }
}

/// `formatOptionMapOrListValue`.
fn map_or_list_value(value: &Value) -> String {
    match value {
        Value::Str(s) => format!("\"{}\"", escape_chars(s)),
        Value::Prim(_, text) => text.clone(),
        Value::Map(entries) => {
            let mut sb = String::from("{\n");
            format_map(&mut sb, entries);
            sb.push('}');
            sb
        }
        Value::List(items) => {
            let mut sb = String::from("[\n");
            let last = items.len().saturating_sub(1);
            for (i, item) in items.iter().enumerate() {
                let endl = if i != last { "," } else { "" };
                append_indented(&mut sb, &format!("{}{endl}", map_or_list_value(item)));
            }
            sb.push(']');
            sb
        }
        Value::Option(inner) => option_text(inner),
    }
}

/// `appendOptions` for a list of values: `[v]`, or one per line.
fn append_list(sb: &mut String, items: &[&Value]) {
    if items.len() == 1 {
        let _ = write!(sb, "[{}]", map_or_list_value(items[0]));
        return;
    }
    sb.push_str("[\n");
    let count = items.len();
    for (i, item) in items.iter().enumerate() {
        let endl = if i + 1 < count { "," } else { "" };
        append_indented(sb, &format!("{}{endl}", map_or_list_value(item)));
    }
    sb.push(']');
}

/// `appendOptions` for options in brackets: `[a = 1]`, or one per line.
fn append_options(sb: &mut String, options: &[&OptionElement]) {
    if options.len() == 1 {
        let _ = write!(sb, "[{}]", option_text(options[0]));
        return;
    }
    sb.push_str("[\n");
    let count = options.len();
    for (i, o) in options.iter().enumerate() {
        let endl = if i + 1 < count { "," } else { "" };
        append_indented(sb, &format!("{}{endl}", option_text(o)));
    }
    sb.push(']');
}

/// Every line of `value` indented by two spaces (Java's `split("\n")` drops trailing empty
/// lines; inner blank lines become two spaces).
fn append_indented(sb: &mut String, value: &str) {
    let mut lines: Vec<&str> = value.split('\n').collect();
    while lines.len() > 1 && lines.last() == Some(&"") {
        lines.pop();
    }
    if lines.len() == 1 && lines[0].is_empty() && value.ends_with('\n') {
        // Java's "\n".split("\n") is empty.
        return;
    }
    for line in lines {
        sb.push_str("  ");
        sb.push_str(line);
        sb.push('\n');
    }
}

/// `ProtobufSchemaUtils.escapeChars`.
fn escape_chars(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected texts from Confluent's `ProtobufSchemaTest` (input `.proto`, `canonicalString()`
    /// in `.canonical`, `normalize().canonicalString()` in `.normalized`).
    fn fixtures() -> Vec<(String, String, Option<String>, Option<String>)> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/confluent_protobuf_text"
        );
        let mut out = Vec::new();
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "proto"))
            .collect();
        names.sort();
        for path in names {
            let read = |ext: &str| std::fs::read_to_string(path.with_extension(ext)).ok();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            out.push((
                name,
                read("proto").expect("input"),
                read("canonical"),
                read("normalized"),
            ));
        }
        out
    }

    #[test]
    fn canonical_text_is_confluents() {
        let mut failures = Vec::new();
        for (name, input, canonical, _) in fixtures() {
            let Some(canonical) = canonical else { continue };
            let printed = print(&parse(&input).expect(&name), Mode::Canonical);
            if printed != canonical {
                failures.push(format!(
                    "{name}:\n--- expected\n{canonical}\n--- printed\n{printed}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn numbers_are_written_as_decimal_format_writes_them() {
        for (text, expected) in [
            ("-2.0", "-2"),
            ("10f", "10"),
            ("1.0f", "1"),
            ("1.23", "1.23"),
            ("1.23f", "1.23"),
            ("1.23456", "1.235"),
            ("10", "10"),
            ("0x10", "16"),
            ("inf", "inf"),
            ("-inf", "-inf"),
        ] {
            assert_eq!(
                super::super::normalize::format_number(text),
                expected,
                "{text}"
            );
        }
    }
}
