//! Avro reader/writer compatibility: a port of Java Avro's
//! `org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility` (Avro 1.11/1.12),
//! which Confluent's `AvroSchema.isBackwardCompatible` delegates to, with Confluent's
//! `Difference` messages (`client/.../avro/Difference.java`).
//!
//! The rules are the Avro specification's "Schema Resolution" as Java implements them:
//!
//! - primitives resolve to themselves and by promotion: `int` to `long`, `float`, `double`;
//!   `long` to `float`, `double`; `float` to `double`; `string` to `bytes` and back;
//! - named types (record, enum, fixed) need equal *unqualified* names, or a reader alias equal
//!   to the writer's full name (Java `schemaNameEquals`), else `NAME_MISMATCH`;
//! - a reader record field is matched by name or by one of its aliases; one the writer lacks
//!   needs a default (`READER_FIELD_MISSING_DEFAULT_VALUE`); writer-only fields are skipped;
//! - an enum needs every writer symbol unless the reader has a default
//!   (`MISSING_ENUM_SYMBOLS`); a fixed needs the same size (`FIXED_SIZE_MISMATCH`);
//! - every branch of a writer union must be readable; a reader union must have a branch that
//!   reads a non-union writer (both `MISSING_UNION_BRANCH`);
//! - arrays and maps recurse into items and values; anything else is `TYPE_MISMATCH`.
//!
//! Java ignores logical types, so this checker treats each one as its underlying type
//! (`decimal(10,2)` reads `decimal(12,2)`, as in Confluent). Named types used through
//! `Schema::Ref` are looked up in the schema itself and in the referenced named types, so a
//! type may be defined in one field and referenced from another, differently on each side.
//!
//! Paths and memoization follow Java exactly, including its quirks: a reader/writer pair is
//! computed once and its result (with the paths of its first visit) reused; a pair already
//! in progress counts as compatible, which ends recursion; the probes of union branches run
//! with a fresh location, and their own incompatibilities are not reported, only the
//! `MISSING_UNION_BRANCH` at the union.
//!
//! The cost is near-linear in the two schemas: enum symbols are compared through hash sets,
//! and a reader union finds the branches that can read a writer type through an index by
//! kind, name and size instead of probing every branch. Java probes the branches in order up
//! to the first that reads the writer, and memoizes each named pair it meets on the way, with
//! the paths of that probe. The branches the index rules out would each have failed without
//! looking deeper (a different kind, or a fixed or enum of another name or size), so they are
//! not run: they are recorded as skipped, and should one of those pairs be met again, it is
//! computed then as its probe would have computed it, and memoized as Java would have. The
//! record, array and map branches of a kind the writer has are probed as Java probes them
//! (a record of another name still has its fields compared), so two unions of many records
//! cost the product of their record counts; [`crate::SchemaLimits`] bounds the branches.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::rc::Rc;

use apache_avro::Schema;
use apache_avro::schema::{Alias, EnumSchema, Name, RecordField, RecordSchema};

use crate::avro::AvroSchema;
// A schema node with logical types resolved to what Java would see (it ignores them) and,
// after `Side::resolve`, references followed: a `Node::Ref` left then is a name no map knows,
// which a successful parse never leaves.
use crate::avro::logical::{Underlying as Node, underlying};
use crate::limits::{Interrupt, Interrupted, Poll};
use crate::violation::{Direction, Violation};

/// Every reason `reader` cannot read data written with `writer`, in the order Java's
/// `SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)` lists its
/// incompatibilities (Avro spec, "Schema Resolution").
///
/// Each [`Violation`] carries Java's `SchemaIncompatibilityType` as `rule`, Java's JSON-pointer
/// location in the reader schema as `path` (`/fields/1/type`), and Confluent's verbose message
/// (`Difference.error()`), whose `%s` placeholders Confluent's `SchemaValidatorBuilder` fills
/// with the reader's and the writer's role: `new`/`old` for [`Direction::NewReadsOld`]
/// (backward), `old`/`new` for [`Direction::OldReadsNew`] (forward).
///
/// One case is not an Avro incompatibility: a reader field that matches several writer fields
/// through its aliases makes Java throw, and Confluent reports the exception as the only
/// message. It comes back alone, with rule `AMBIGUOUS_READER_FIELD`.
pub fn check(reader: &AvroSchema, writer: &AvroSchema, direction: Direction) -> Vec<Violation> {
    check_until(reader, writer, direction, &Interrupt::never())
        .expect("a check that is never interrupted reaches its verdict")
}

/// [`check`] that gives up when `interrupt` is set.
///
/// Errors: [`Interrupted`] when the check stopped before its verdict.
pub fn check_until(
    reader: &AvroSchema,
    writer: &AvroSchema,
    direction: Direction,
    interrupt: &Interrupt,
) -> Result<Vec<Violation>, Interrupted> {
    let mut checker = Checker {
        reader: Side::new(reader),
        writer: Side::new(writer),
        memo: HashMap::default(),
        location: Vec::new(),
        base: 0,
        roles: direction.roles(),
        aborted: None,
        poll: Poll::new(interrupt),
        symbols: HashMap::default(),
        unions: HashMap::default(),
        branch_of: HashMap::default(),
        skipped: HashMap::default(),
    };
    let issues = checker.compatibility(Token::Root, reader.schema(), writer.schema());
    checker.poll.finish(match checker.aborted {
        Some(violation) => vec![violation],
        None => issues
            .iter()
            .map(|issue| issue.report(checker.roles))
            .collect(),
    })
}

/// Not an Avro incompatibility type: Java's `lookupWriterField` throws instead.
const AMBIGUOUS_READER_FIELD: &str = "AMBIGUOUS_READER_FIELD";

/// Java's `SchemaIncompatibilityType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    NameMismatch,
    FixedSizeMismatch,
    MissingEnumSymbols,
    ReaderFieldMissingDefaultValue,
    TypeMismatch,
    MissingUnionBranch,
}

impl Rule {
    fn as_str(self) -> &'static str {
        match self {
            Rule::NameMismatch => "NAME_MISMATCH",
            Rule::FixedSizeMismatch => "FIXED_SIZE_MISMATCH",
            Rule::MissingEnumSymbols => "MISSING_ENUM_SYMBOLS",
            Rule::ReaderFieldMissingDefaultValue => "READER_FIELD_MISSING_DEFAULT_VALUE",
            Rule::TypeMismatch => "TYPE_MISMATCH",
            Rule::MissingUnionBranch => "MISSING_UNION_BRANCH",
        }
    }
}

/// The details of an incompatibility, written out as Java's `Incompatibility.getMessage()`.
#[derive(Debug, Clone, Copy)]
enum Detail<'a> {
    /// The reader field's name.
    Field(&'a str),
    /// `reader type: INT not compatible with writer type: LONG`.
    Types(&'static str, &'static str),
    /// `expected: <writer full name>`.
    Expected(&'a Name),
    /// `expected: <writer size>, found: <reader size>`.
    Size(usize, usize),
    /// The writer symbols the reader lacks, sorted, as a Java `TreeSet` prints them.
    Symbols(&'a EnumSchema, &'a EnumSchema),
    /// `reader union lacking writer type: STRING`.
    UnionLacking(&'static str),
}

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Detail::Field(name) => f.write_str(name),
            Detail::Types(reader, writer) => {
                write!(
                    f,
                    "reader type: {reader} not compatible with writer type: {writer}"
                )
            }
            Detail::Expected(name) => write!(f, "expected: {}", name.fullname(None)),
            Detail::Size(expected, found) => write!(f, "expected: {expected}, found: {found}"),
            Detail::Symbols(reader, writer) => {
                let known = symbol_set(reader);
                let mut missing: Vec<&str> = writer
                    .symbols
                    .iter()
                    .map(String::as_str)
                    .filter(|s| !known.contains(s))
                    .collect();
                missing.sort_unstable();
                missing.dedup();
                write!(f, "[{}]", missing.join(", "))
            }
            Detail::UnionLacking(writer) => write!(f, "reader union lacking writer type: {writer}"),
        }
    }
}

/// An incompatibility as Java records it. Most are dropped (union probes), so the strings of
/// a [`Violation`] are only written for those reported.
#[derive(Debug, Clone)]
struct Issue<'a> {
    rule: Rule,
    /// The location after the root token.
    location: Rc<[Token]>,
    detail: Detail<'a>,
}

impl Issue<'_> {
    /// The [`Violation`], with Confluent's message (`Difference.error()`, placeholders filled
    /// as `SchemaValidatorBuilder.formatErrorMessages` does).
    fn report(&self, (reader, writer): (&str, &str)) -> Violation {
        let path = path(&self.location);
        let info = self.detail.to_string();
        let description = match self.rule {
            Rule::FixedSizeMismatch => format!(
                "The size of FIXED type field at path '{path}' in the {reader} schema does not \
                 match with the {writer} schema"
            ),
            Rule::TypeMismatch => format!(
                "The type (path '{path}') of a field in the {reader} schema does not match with \
                 the {writer} schema"
            ),
            Rule::NameMismatch => format!("The name of the schema has changed (path '{path}')"),
            Rule::MissingEnumSymbols => format!(
                "The {reader} schema is missing enum symbols '{info}' at path '{path}' in the \
                 {writer} schema"
            ),
            Rule::MissingUnionBranch => format!(
                "The {reader} schema is missing a type inside a union field at path '{path}' in \
                 the {writer} schema"
            ),
            Rule::ReaderFieldMissingDefaultValue => format!(
                "The field '{info}' at path '{path}' in the {reader} schema has no default value \
                 and is missing in the {writer} schema"
            ),
        };
        Violation::difference(self.rule.as_str(), path, &description, Some(&info))
    }
}

/// Java's `Incompatibility.getLocation()`: the tokens after the root, as a JSON pointer (no
/// token holds `~` or `/`, so none needs escaping).
fn path(tokens: &[Token]) -> String {
    use std::fmt::Write;
    if tokens.is_empty() {
        return "/".to_owned();
    }
    let mut path = String::new();
    for token in tokens {
        match token {
            // Only the first token of a location is a root.
            Token::Root => {}
            Token::Lit(s) => {
                path.push('/');
                path.push_str(s);
            }
            Token::Index(i) => {
                let _ = write!(path, "/{i}");
            }
        }
    }
    path
}

/// One step of Java's location stack.
#[derive(Debug, Clone, Copy)]
enum Token {
    /// The root reference token (`""`), left out of the path.
    Root,
    Lit(&'static str),
    Index(usize),
}

impl Node<'_> {
    /// Java's `Schema.Type` name, as it appears in messages.
    fn type_name(self) -> &'static str {
        match self {
            Node::Null => "NULL",
            Node::Boolean => "BOOLEAN",
            Node::Int => "INT",
            Node::Long => "LONG",
            Node::Float => "FLOAT",
            Node::Double => "DOUBLE",
            Node::Bytes => "BYTES",
            Node::String => "STRING",
            Node::Array(_) => "ARRAY",
            Node::Map(_) => "MAP",
            Node::Union(_) => "UNION",
            Node::Record(_) => "RECORD",
            Node::Enum(_) => "ENUM",
            Node::Fixed(_) => "FIXED",
            Node::Ref(_) => "UNRESOLVED",
        }
    }

    /// Whether the node is a named type, the only kind of node Java can visit twice with the
    /// same reader/writer pair (see [`Checker::compatibility`]).
    fn is_named(self) -> bool {
        matches!(
            self,
            Node::Record(_) | Node::Enum(_) | Node::Fixed(_) | Node::Ref(_)
        )
    }
}

/// The named types one side can refer to, keyed by full name.
pub(crate) type Names<'a> = HashMap<Cow<'a, Name>, &'a Schema>;

/// One schema of the pair and, built on the first `Schema::Ref` met, its named types.
struct Side<'a> {
    schema: &'a AvroSchema,
    names: Option<Names<'a>>,
    /// Each `Schema::Ref` node already resolved, by address.
    refs: HashMap<usize, (&'a Schema, Node<'a>), BuildFx>,
}

impl<'a> Side<'a> {
    fn new(schema: &'a AvroSchema) -> Self {
        Side {
            schema,
            names: None,
            refs: HashMap::default(),
        }
    }

    /// Follows a reference and maps a logical type to its underlying type (Java ignores
    /// logical types in `SchemaCompatibility`). Returns the defining node, whose address is
    /// the node's identity, and its view.
    fn resolve(&mut self, schema: &'a Schema) -> (&'a Schema, Node<'a>) {
        let node = underlying(schema);
        let Node::Ref(name) = node else {
            return (schema, node);
        };
        let key = address(schema);
        if let Some(&resolved) = self.refs.get(&key) {
            return resolved;
        }
        let schema_ref = self.schema;
        let names = self.names.get_or_insert_with(|| named_types(schema_ref));
        let definition: Option<&'a Schema> = names.get(name).copied();
        let resolved = match definition {
            Some(definition) if !matches!(definition, Schema::Ref { .. }) => {
                self.resolve(definition)
            }
            _ => (schema, node),
        };
        self.refs.insert(key, resolved);
        resolved
    }
}

/// Every named type defined in the schema or in its referenced named types, under its full
/// name and the full names of its aliases (apache-avro lets a reference use an alias).
pub(crate) fn named_types(schema: &AvroSchema) -> Names<'_> {
    let mut names = Names::new();
    let mut aliases = Vec::new();
    let mut stack: Vec<&Schema> = vec![schema.schema()];
    stack.extend(schema.named_types());
    while let Some(s) = stack.pop() {
        let (name, type_aliases) = match underlying(s) {
            Node::Record(record) => {
                stack.extend(record.fields.iter().map(|f| &f.schema));
                (&record.name, &record.aliases)
            }
            Node::Enum(e) => (&e.name, &e.aliases),
            Node::Fixed(fixed) => (&fixed.name, &fixed.aliases),
            Node::Array(items) => {
                stack.push(items);
                continue;
            }
            Node::Map(values) => {
                stack.push(values);
                continue;
            }
            Node::Union(union) => {
                stack.extend(union.variants());
                continue;
            }
            _ => continue,
        };
        names.entry(Cow::Borrowed(name)).or_insert(s);
        for alias in type_aliases.iter().flatten() {
            aliases.push((alias.fully_qualified_name(name.namespace()).into_owned(), s));
        }
    }
    // Definitions win over aliases.
    for (alias, s) in aliases {
        names.entry(Cow::Owned(alias)).or_insert(s);
    }
    names
}

/// An enum's symbols as a set.
fn symbol_set(e: &EnumSchema) -> HashSet<&str> {
    e.symbols.iter().map(String::as_str).collect()
}

/// The state of one reader/writer pair (Java's memo map values).
#[derive(Debug)]
enum Memo<'a> {
    /// Java's `RECURSION_IN_PROGRESS`: met again, the pair counts as compatible.
    InProgress,
    Done(Vec<Issue<'a>>),
}

/// Java's `ReaderWriterCompatibilityChecker`.
struct Checker<'a> {
    reader: Side<'a>,
    writer: Side<'a>,
    /// Results by reader and writer node address (Java keys on object identity).
    memo: HashMap<(usize, usize), Memo<'a>, BuildFx>,
    /// Java's location stack, oldest token first.
    location: Vec<Token>,
    /// Where the current location starts: Java's union probes start a fresh stack.
    base: usize,
    /// Confluent's names for the reader's and the writer's schema, `("new", "old")` backward.
    roles: (&'static str, &'static str),
    /// Set when Java would have thrown; the check stops and reports only this.
    aborted: Option<Violation>,
    /// Stops the check from outside.
    poll: Poll,
    /// Each reader enum's symbols as a set, by node address.
    symbols: HashMap<usize, Rc<HashSet<&'a str>>, BuildFx>,
    /// Each reader union's index of branches, by node address.
    unions: HashMap<usize, Rc<UnionIndex<'a>>, BuildFx>,
    /// For each (resolved) reader union branch, by node address: the unions it is a branch
    /// of (by address) and its position there.
    branch_of: HashMap<usize, Vec<(usize, usize)>, BuildFx>,
    /// The branches of a reader union (by address) that a writer node (by address) was not
    /// probed against because they could not read it; Java probed them, see the module
    /// documentation.
    skipped: HashMap<(usize, usize), Vec<Range<usize>>, BuildFx>,
}

/// The branches of a reader union by what they can read, built once per union.
#[derive(Debug, Default)]
struct UnionIndex<'a> {
    len: usize,
    /// The first branch of each primitive kind, by [`primitive_slot`].
    first_primitive: [Option<usize>; 8],
    /// Branches a writer of the same kind must be probed against: their fields, items or
    /// values decide.
    records: Vec<usize>,
    arrays: Vec<usize>,
    maps: Vec<usize>,
    /// Branches that are neither (a name no schema defines, which a successful parse never
    /// leaves): probed against every writer.
    others: Vec<usize>,
    /// Fixed branches by unqualified name and size, and by the name and namespace of each
    /// alias (as `check_names` matches aliases) and size.
    fixed: HashMap<(&'a str, usize), Vec<usize>>,
    fixed_aliases: HashMap<(&'a str, Option<&'a str>, usize), Vec<usize>>,
    /// Enum branches by unqualified name, and by the name and namespace of each alias.
    enums: HashMap<&'a str, Vec<usize>>,
    enum_aliases: HashMap<(&'a str, Option<&'a str>), Vec<usize>>,
}

/// The slot of a primitive kind in [`UnionIndex::first_primitive`].
fn primitive_slot(node: Node<'_>) -> Option<usize> {
    Some(match node {
        Node::Null => 0,
        Node::Boolean => 1,
        Node::Int => 2,
        Node::Long => 3,
        Node::Float => 4,
        Node::Double => 5,
        Node::Bytes => 6,
        Node::String => 7,
        _ => return None,
    })
}

/// The keys a named type's aliases are indexed under: each alias's name, and its namespace
/// or else the type's, empty counting as none (Java `schemaNameEquals`).
fn alias_keys<'a>(
    name: &'a Name,
    aliases: Option<&'a [Alias]>,
) -> impl Iterator<Item = (&'a str, Option<&'a str>)> {
    aliases.unwrap_or_default().iter().map(move |alias| {
        let namespace = alias
            .namespace()
            .or(name.namespace())
            .filter(|ns| !ns.is_empty());
        (alias.name(), namespace)
    })
}

impl<'a> UnionIndex<'a> {
    /// The positions, ascending, of the branches that may read `writer` (a node that is not
    /// a union); every other branch certainly cannot, and finds that without recursing.
    fn candidates(&self, writer: Node<'a>) -> Vec<usize> {
        let mut out: Vec<usize> = self.others.clone();
        let first_of = |slots: &[usize]| {
            slots
                .iter()
                .filter_map(|&slot| self.first_primitive[slot])
                .min()
        };
        match writer {
            // The reader kinds that read each writer primitive (`calculate`).
            Node::Null => out.extend(first_of(&[0])),
            Node::Boolean => out.extend(first_of(&[1])),
            Node::Int => out.extend(first_of(&[2, 3, 4, 5])),
            Node::Long => out.extend(first_of(&[3, 4, 5])),
            Node::Float => out.extend(first_of(&[4, 5])),
            Node::Double => out.extend(first_of(&[5])),
            Node::Bytes => out.extend(first_of(&[6, 7])),
            Node::String => out.extend(first_of(&[7, 6])),
            Node::Fixed(w) => {
                // A fixed of a matching name and the same size always reads it: the first
                // is enough.
                let by_name = self.fixed.get(&(w.name.name(), w.size));
                let by_alias = self
                    .fixed_aliases
                    .get(&(w.name.name(), w.name.namespace(), w.size));
                out.extend(
                    by_name
                        .and_then(|b| b.first().copied())
                        .into_iter()
                        .chain(by_alias.into_iter().flatten().copied())
                        .min(),
                );
            }
            Node::Enum(w) => {
                out.extend(self.enums.get(w.name.name()).into_iter().flatten());
                out.extend(
                    self.enum_aliases
                        .get(&(w.name.name(), w.name.namespace()))
                        .into_iter()
                        .flatten(),
                );
            }
            Node::Record(_) => out.extend(&self.records),
            Node::Array(_) => out.extend(&self.arrays),
            Node::Map(_) => out.extend(&self.maps),
            Node::Union(_) | Node::Ref(_) => out.extend(0..self.len),
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl<'a> Checker<'a> {
    /// Java's `getCompatibility(referenceToken, reader, writer, location)`.
    ///
    /// Java memoizes every pair by identity; here only pairs with a named type on one side
    /// are memoized. Other pairs are reached through a single parent pair (a record field,
    /// array items, map values or a union branch belong to one node), and a named pair is
    /// computed once, so they are never met twice and the results are the same.
    fn compatibility(
        &mut self,
        token: Token,
        reader: &'a Schema,
        writer: &'a Schema,
    ) -> Vec<Issue<'a>> {
        if self.aborted.is_some() || self.poll.stop() {
            return Vec::new();
        }
        self.location.push(token);
        let (reader, reader_node) = self.reader.resolve(reader);
        let (writer, writer_node) = self.writer.resolve(writer);
        let result = if reader_node.is_named() || writer_node.is_named() {
            let key = (address(reader), address(writer));
            match self.memo.get(&key) {
                // Break the recursion: compatible unless proven otherwise.
                Some(Memo::InProgress) => Vec::new(),
                Some(Memo::Done(result)) => result.clone(),
                None if self.was_skipped(key) => {
                    // Java met this pair first in a union probe, with the probe's fresh
                    // location, and memoized what it found then; it never recurses.
                    let base = std::mem::replace(&mut self.base, self.location.len() - 1);
                    let result = self.calculate(reader, reader_node, writer, writer_node);
                    self.base = base;
                    self.memo.insert(key, Memo::Done(result.clone()));
                    result
                }
                None => {
                    self.memo.insert(key, Memo::InProgress);
                    let result = self.calculate(reader, reader_node, writer, writer_node);
                    self.memo.insert(key, Memo::Done(result.clone()));
                    result
                }
            }
        } else {
            self.calculate(reader, reader_node, writer, writer_node)
        };
        self.location.pop();
        result
    }

    /// Whether the pair `(reader, writer)` (by address) is one of the union probes left out
    /// as certainly failing.
    fn was_skipped(&self, (reader, writer): (usize, usize)) -> bool {
        let Some(places) = self.branch_of.get(&reader) else {
            return false;
        };
        places.iter().any(|&(union, position)| {
            self.skipped
                .get(&(union, writer))
                .is_some_and(|ranges| ranges.iter().any(|r| r.contains(&position)))
        })
    }

    /// Records that `writer` was not probed against `branches` of the reader `union`.
    fn skip(&mut self, union: &Schema, branches: Range<usize>, writer: &Schema) {
        if !branches.is_empty() {
            self.skipped
                .entry((address(union), address(writer)))
                .or_default()
                .push(branches);
        }
    }

    /// The index of a reader union's branches, built on first use.
    fn union_index(&mut self, union: &'a Schema, branches: &'a [Schema]) -> Rc<UnionIndex<'a>> {
        let key = address(union);
        if let Some(index) = self.unions.get(&key) {
            return Rc::clone(index);
        }
        let mut index = UnionIndex {
            len: branches.len(),
            ..UnionIndex::default()
        };
        for (i, branch) in branches.iter().enumerate() {
            let (resolved, node) = self.reader.resolve(branch);
            self.branch_of
                .entry(address(resolved))
                .or_default()
                .push((key, i));
            if let Some(slot) = primitive_slot(node) {
                index.first_primitive[slot].get_or_insert(i);
                continue;
            }
            match node {
                Node::Fixed(f) => {
                    index
                        .fixed
                        .entry((f.name.name(), f.size))
                        .or_default()
                        .push(i);
                    for (name, namespace) in alias_keys(&f.name, f.aliases.as_deref()) {
                        let key = (name, namespace, f.size);
                        index.fixed_aliases.entry(key).or_default().push(i);
                    }
                }
                Node::Enum(e) => {
                    index.enums.entry(e.name.name()).or_default().push(i);
                    for alias in alias_keys(&e.name, e.aliases.as_deref()) {
                        index.enum_aliases.entry(alias).or_default().push(i);
                    }
                }
                Node::Record(_) => index.records.push(i),
                Node::Array(_) => index.arrays.push(i),
                Node::Map(_) => index.maps.push(i),
                _ => index.others.push(i),
            }
        }
        let index = Rc::new(index);
        self.unions.insert(key, Rc::clone(&index));
        index
    }

    /// Java's two-argument `getCompatibility(reader, writer)`, used to probe union branches:
    /// it starts from a fresh location.
    fn probe(&mut self, reader: &'a Schema, writer: &'a Schema) -> Vec<Issue<'a>> {
        let base = std::mem::replace(&mut self.base, self.location.len());
        let result = self.compatibility(Token::Root, reader, writer);
        self.base = base;
        result
    }

    /// Java's `calculateCompatibility`.
    fn calculate(
        &mut self,
        reader: &'a Schema,
        reader_node: Node<'a>,
        writer: &'a Schema,
        writer_node: Node<'a>,
    ) -> Vec<Issue<'a>> {
        match (reader_node, writer_node) {
            (Node::Null, Node::Null)
            | (Node::Boolean, Node::Boolean)
            | (Node::Int, Node::Int)
            | (Node::Long, Node::Long)
            | (Node::Float, Node::Float)
            | (Node::Double, Node::Double)
            | (Node::Bytes, Node::Bytes)
            | (Node::String, Node::String) => Vec::new(),
            (Node::Array(r), Node::Array(w)) => self.compatibility(Token::Lit("items"), r, w),
            (Node::Map(r), Node::Map(w)) => self.compatibility(Token::Lit("values"), r, w),
            (Node::Fixed(r), Node::Fixed(w)) => {
                let mut result = self.check_names(&r.name, r.aliases.as_deref(), &w.name);
                if r.size != w.size {
                    result.push(self.issue_at(
                        "size",
                        Rule::FixedSizeMismatch,
                        Detail::Size(w.size, r.size),
                    ));
                }
                result
            }
            (Node::Enum(r), Node::Enum(w)) => {
                let mut result = self.check_names(&r.name, r.aliases.as_deref(), &w.name);
                if let Some(violation) = self.check_enum_symbols(r, w) {
                    result.push(violation);
                }
                result
            }
            (Node::Record(r), Node::Record(w)) => {
                let mut result = self.check_names(&r.name, r.aliases.as_deref(), &w.name);
                self.check_record_fields(r, writer, w, &mut result);
                result
            }
            (Node::Union(_), Node::Union(w)) => {
                // Each branch of the writer union must be readable.
                let mut result = Vec::new();
                for (i, branch) in w.variants().iter().enumerate() {
                    self.location.push(Token::Index(i));
                    if !self.probe(reader, branch).is_empty() {
                        let (_, branch_node) = self.writer.resolve(branch);
                        result.push(self.issue(
                            Rule::MissingUnionBranch,
                            Detail::UnionLacking(branch_node.type_name()),
                        ));
                    }
                    self.location.pop();
                }
                result
            }
            (Node::Ref(r), Node::Ref(w)) if r == w => Vec::new(),
            (_, Node::Union(w)) => {
                // A non-union reader must read every branch of the writer union.
                let mut result = Vec::new();
                for (i, branch) in w.variants().iter().enumerate() {
                    result.extend(self.compatibility(Token::Index(i), reader, branch));
                }
                result
            }
            (Node::Long, Node::Int)
            | (Node::Float, Node::Int | Node::Long)
            | (Node::Double, Node::Int | Node::Long | Node::Float)
            | (Node::Bytes, Node::String)
            | (Node::String, Node::Bytes) => Vec::new(),
            (Node::Union(r), _) => self.union_reads(reader, r.variants(), writer, writer_node),
            _ => vec![self.issue(
                Rule::TypeMismatch,
                Detail::Types(reader_node.type_name(), writer_node.type_name()),
            )],
        }
    }

    /// A reader union against a writer that is not a union: compatible when a branch reads
    /// it. Java probes every branch in order until one does; only the candidates can (see
    /// the module documentation). Kept out of [`Checker::calculate`], whose frame every
    /// level of a deep schema pays for.
    #[inline(never)]
    fn union_reads(
        &mut self,
        union: &'a Schema,
        branches: &'a [Schema],
        writer: &'a Schema,
        writer_node: Node<'a>,
    ) -> Vec<Issue<'a>> {
        let index = self.union_index(union, branches);
        let mut next = 0;
        for candidate in index.candidates(writer_node) {
            self.skip(union, next..candidate, writer);
            if self.probe(&branches[candidate], writer).is_empty() {
                return Vec::new();
            }
            next = candidate + 1;
        }
        self.skip(union, next..index.len, writer);
        vec![self.issue(
            Rule::MissingUnionBranch,
            Detail::UnionLacking(writer_node.type_name()),
        )]
    }

    /// Java's `checkSchemaNames` with `schemaNameEquals`: unqualified names equal, or a reader
    /// alias (qualified with the reader's namespace) equal to the writer's full name.
    fn check_names(
        &mut self,
        reader: &Name,
        reader_aliases: Option<&[Alias]>,
        writer: &'a Name,
    ) -> Vec<Issue<'a>> {
        if reader.name() == writer.name() {
            return Vec::new();
        }
        let alias_matches = reader_aliases.unwrap_or_default().iter().any(|alias| {
            let namespace = alias
                .namespace()
                .or(reader.namespace())
                .filter(|ns| !ns.is_empty());
            alias.name() == writer.name() && namespace == writer.namespace()
        });
        if alias_matches {
            return Vec::new();
        }
        vec![self.issue_at("name", Rule::NameMismatch, Detail::Expected(writer))]
    }

    /// Java's `checkReaderEnumContainsAllWriterEnumSymbols`: a writer symbol the reader lacks
    /// is an incompatibility, unless the reader enum has a default.
    fn check_enum_symbols(
        &mut self,
        reader: &'a EnumSchema,
        writer: &'a EnumSchema,
    ) -> Option<Issue<'a>> {
        let known = Rc::clone(
            self.symbols
                .entry(std::ptr::from_ref(reader) as usize)
                .or_insert_with(|| Rc::new(symbol_set(reader))),
        );
        let missing = writer.symbols.iter().any(|s| !known.contains(s.as_str()));
        let has_default = reader
            .default
            .as_ref()
            .is_some_and(|d| known.contains(d.as_str()));
        (missing && !has_default).then(|| {
            self.issue_at(
                "symbols",
                Rule::MissingEnumSymbols,
                Detail::Symbols(reader, writer),
            )
        })
    }

    /// Java's `checkReaderWriterRecordFields`.
    fn check_record_fields(
        &mut self,
        reader: &'a RecordSchema,
        writer: &'a Schema,
        writer_record: &'a RecordSchema,
        result: &mut Vec<Issue<'a>>,
    ) {
        self.location.push(Token::Lit("fields"));
        for (pos, field) in reader.fields.iter().enumerate() {
            self.location.push(Token::Index(pos));
            // Java's `lookupWriterField`: by name, then by each reader alias.
            let mut found = None;
            let mut matches = 0usize;
            for name in std::iter::once(&field.name).chain(&field.aliases) {
                if let Some(writer_field) = field_by_name(writer_record, name) {
                    found = Some(writer_field);
                    matches += 1;
                }
            }
            if matches > 1 {
                self.abort_ambiguous(field, pos, writer);
                self.location.pop();
                break;
            }
            match found {
                Some(writer_field) => {
                    let writer_field = &writer_record.fields[writer_field];
                    result.extend(self.compatibility(
                        Token::Lit("type"),
                        &field.schema,
                        &writer_field.schema,
                    ));
                }
                None if field.default.is_some() => {}
                None => {
                    let (_, field_node) = self.reader.resolve(&field.schema);
                    match field_node {
                        // Java compares a reader enum that has a default with the writer
                        // *record* here, which always yields a TYPE_MISMATCH at `.../type`.
                        Node::Enum(e) if e.default.is_some() => {
                            result.extend(self.compatibility(
                                Token::Lit("type"),
                                &field.schema,
                                writer,
                            ));
                        }
                        _ => result.push(self.issue(
                            Rule::ReaderFieldMissingDefaultValue,
                            Detail::Field(&field.name),
                        )),
                    }
                }
            }
            self.location.pop();
        }
        self.location.pop();
    }

    /// Java throws `AvroRuntimeException` from `lookupWriterField`; Confluent catches it and
    /// answers with one "Unexpected exception" message.
    fn abort_ambiguous(&mut self, field: &'a RecordField, pos: usize, writer: &Schema) {
        let (_, field_node) = self.reader.resolve(&field.schema);
        let writer_json = serde_json::to_string(writer).unwrap_or_default();
        self.aborted = Some(Violation {
            rule: AMBIGUOUS_READER_FIELD,
            path: path(self.location.get(self.base + 1..).unwrap_or_default()),
            message: format!(
                "Unexpected exception during compatibility check: Reader record field {} \
                 type:{} pos:{pos} matches multiple fields in writer record schema {writer_json}",
                field.name,
                field_node.type_name()
            ),
        });
    }

    /// An incompatibility one literal token below the current location (`name`, `size`,
    /// `symbols`).
    fn issue_at(&mut self, token: &'static str, rule: Rule, detail: Detail<'a>) -> Issue<'a> {
        self.location.push(Token::Lit(token));
        let issue = self.issue(rule, detail);
        self.location.pop();
        issue
    }

    /// An incompatibility at the current location.
    fn issue(&self, rule: Rule, detail: Detail<'a>) -> Issue<'a> {
        Issue {
            rule,
            location: self
                .location
                .get(self.base + 1..)
                .unwrap_or_default()
                .into(),
            detail,
        }
    }
}

/// The position of the writer field named `name` (Java `Schema.getField`, which knows field
/// names only; apache-avro's `lookup` also holds field aliases).
fn field_by_name(record: &RecordSchema, name: &str) -> Option<usize> {
    match record.lookup.get(name) {
        Some(&i) if record.fields.get(i).is_some_and(|f| f.name == name) => Some(i),
        Some(_) => record.fields.iter().position(|f| f.name == name),
        None => None,
    }
}

/// A node's identity (Java compares schemas by reference in `SchemaCompatibility`).
fn address(schema: &Schema) -> usize {
    std::ptr::from_ref(schema) as usize
}

/// Hashes node addresses for the memo and reference maps: the multiply-rotate hash of rustc's
/// `FxHasher`, much cheaper than SipHash for integer keys, which are not attacker-chosen.
#[derive(Debug, Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
}

type BuildFx = std::hash::BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> AvroSchema {
        AvroSchema::parse(text, &[]).unwrap()
    }

    fn backward(new: &str, old: &str) -> Vec<(String, &'static str)> {
        check(&parse(new), &parse(old), Direction::NewReadsOld)
            .into_iter()
            .map(|v| (v.path, v.rule))
            .collect()
    }

    #[test]
    fn a_pair_skipped_in_a_union_probe_reports_later_with_the_probes_path_as_java_does() {
        // Java probes F against G inside the union (a fresh location) and memoizes the name
        // mismatch found there; field b reuses it, path and all.
        let old = r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":["null",{"type":"fixed","name":"G","size":4}]},
            {"name":"b","type":"G"}]}"#;
        let new = r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":["null",{"type":"fixed","name":"F","size":4}]},
            {"name":"b","type":"F"}]}"#;
        assert_eq!(
            backward(new, old),
            [
                ("/fields/0/type/1".to_owned(), "MISSING_UNION_BRANCH"),
                ("/name".to_owned(), "NAME_MISMATCH"),
            ]
        );
    }

    #[test]
    fn a_fixed_branch_whose_alias_matches_but_size_differs_does_not_hide_a_later_match() {
        let old = r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":{"type":"fixed","name":"C","size":8}}]}"#;
        let new = r#"{"type":"record","name":"R","fields":[{"name":"a","type":[
            {"type":"fixed","name":"B","size":4,"aliases":["C"]},
            {"type":"fixed","name":"C","namespace":"y","size":8}]}]}"#;
        assert_eq!(backward(new, old), []);
    }

    #[test]
    fn a_union_of_many_fixed_types_is_checked_in_linear_memory_and_time() {
        let union = |n: usize| {
            let branches: Vec<String> = std::iter::once("\"null\"".to_owned())
                .chain((0..n).map(|i| format!(r#"{{"type":"fixed","name":"F{i}","size":16}}"#)))
                .collect();
            format!(
                r#"{{"type":"record","name":"R","fields":[{{"name":"u","type":[{}]}}]}}"#,
                branches.join(",")
            )
        };
        let (old, new) = (parse(&union(5_000)), parse(&union(5_001)));
        let mut checker_memo = 0;
        let interrupt = Interrupt::never();
        let mut checker = Checker {
            reader: Side::new(&new),
            writer: Side::new(&old),
            memo: HashMap::default(),
            location: Vec::new(),
            base: 0,
            roles: Direction::NewReadsOld.roles(),
            aborted: None,
            poll: Poll::new(&interrupt),
            symbols: HashMap::default(),
            unions: HashMap::default(),
            branch_of: HashMap::default(),
            skipped: HashMap::default(),
        };
        assert!(
            checker
                .compatibility(Token::Root, new.schema(), old.schema())
                .is_empty()
        );
        checker_memo += checker.memo.len();
        // One entry per writer branch and its match, not one per pair (25 million).
        assert!(checker_memo < 20_000, "{checker_memo} memoized pairs");
        let narrower = check(&old, &new, Direction::NewReadsOld);
        assert_eq!(narrower.len(), 1);
        assert_eq!(narrower[0].path, "/fields/0/type/5001");
    }

    #[test]
    fn an_interrupted_check_answers_interrupted() {
        let schema = parse(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
        let past = Interrupt::at(std::time::Instant::now());
        // The interrupt is looked at every few hundred steps: a large enough schema sees it.
        let fields: Vec<String> = (0..1_000)
            .map(|i| format!(r#"{{"name":"f{i}","type":"int"}}"#))
            .collect();
        let large = parse(&format!(
            r#"{{"type":"record","name":"R","fields":[{}]}}"#,
            fields.join(",")
        ));
        assert_eq!(
            check_until(&large, &large, Direction::NewReadsOld, &past),
            Err(Interrupted)
        );
        assert_eq!(
            check_until(
                &schema,
                &schema,
                Direction::NewReadsOld,
                &Interrupt::never()
            ),
            Ok(Vec::new())
        );
    }
}
