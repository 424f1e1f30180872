//! JSON Schema compatibility: a port of the semantics of Confluent's JSON Schema diff
//! (`json-schema-provider/.../json/diff/{SchemaDiff, ObjectSchemaDiff, ArraySchemaDiff,
//! CombinedSchemaDiff, NumberSchemaDiff, StringSchemaDiff, EnumSchemaDiff, ConstSchemaDiff,
//! NotSchemaDiff, Context, Difference}.java`, 8.x).
//!
//! Confluent computes `SchemaDiff.compare(original, update)` and calls the update backward
//! compatible when every [`Difference`] found is in the policy's set of compatible changes
//! (`COMPATIBLE_CHANGES_STRICT`, or `COMPATIBLE_CHANGES_LENIENT` under the `LENIENT`
//! [`CompatibilityPolicy`]): every document valid under the original must stay valid under
//! the update. Backward compares old → new; forward compares new → old. In reader/writer terms
//! the writer is always the original and the reader the update.
//!
//! The rules, in short (each is a [`DifferenceType`], named as Confluent's `Difference.Type`):
//!
//! - **Types.** A different schema class is `TYPE_CHANGED`, except that anything may become
//!   the empty schema and `false` may become anything. `integer` → `number` is
//!   `TYPE_EXTENDED`, the reverse `TYPE_NARROWED`. An update that is `anyOf`/`oneOf` of several
//!   schemas, one of which the original is compatible with, is `SUM_TYPE_EXTENDED`; an
//!   original `allOf` one of whose members the update is compatible with is
//!   `PRODUCT_TYPE_NARROWED` (how `{"type":"string","enum":[…]}` → `{"type":"string"}` passes).
//! - **Objects and content models.** Open (`additionalProperties` absent or `true`, no
//!   `patternProperties`, `unevaluatedProperties` absent or `true`), closed, or partially open
//!   (a pattern property, or an `additionalProperties`/`unevaluatedProperties` schema). Adding
//!   a property to an open model is `OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL` (or
//!   `REQUIRED_…`, `REQUIRED_PROPERTY_WITH_DEFAULT_…`), incompatible unless its schema is empty
//!   (`PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL`); adding an optional one to a
//!   closed or partially open model is compatible, a required one needs a default. Removing a
//!   property is compatible from an open update, incompatible from a closed one unless the
//!   property was `false`; with a partially open model it is compatible when the model covers
//!   the property with a compatible schema. `required` added is `REQUIRED_ATTRIBUTE_ADDED`
//!   (compatible with a default); `additionalProperties` permitted or widened is compatible,
//!   forbidden or narrowed is not (both compatible under `LENIENT`).
//! - **Bounds.** `maxLength`, `maximum`, `exclusiveMaximum`, `maxItems`, `maxProperties`,
//!   `maxContains`: increased or removed is compatible, added or decreased is not; the `min…`
//!   bounds the other way round; `pattern`, `multipleOf` (reduced to a divisor is
//!   compatible), `uniqueItems`, `dependencies` likewise.
//! - **Values.** `enum` extended is compatible, narrowed or changed is not; a `const` change is
//!   `ENUM_ARRAY_CHANGED`.
//! - **Combined schemas.** `anyOf`/`oneOf` extended is compatible, narrowed is not; `allOf`
//!   narrowed is compatible, extended is not; the members are paired by a maximum matching of
//!   compatible pairs, and if the smaller side is not covered the change is
//!   `COMBINED_TYPE_SUBSCHEMAS_CHANGED`. `not` is compared the other way round.
//! - **Arrays.** `items` compared; tuple items added to a closed model or removed from an open
//!   one are compatible; `additionalItems` as `additionalProperties`.
//! - **References** (`$ref` to a definition or to another registered schema) are followed;
//!   a pair of schemas already being compared further up counts as compatible (recursive
//!   schemas), and each pair reached through a reference is compared once.
//!
//! Where this port does not copy Confluent's code exactly, a comment says why.
//!
//! The cost is linear in the two schemas (properties, `required`, `enum` values and
//! dependencies are compared through hash maps and sets) except for combined schemas:
//! Confluent pairs their members by comparing every member of one side with every member
//! of the other, and so does this port, so two `allOf` of n entries cost n² comparisons.
//! [`crate::SchemaLimits`] bounds the entries, and an [`Interrupt`] stops a check that runs
//! too long.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::Value;

use super::JsonSchema;
use super::model::{Additional, ArraySchema, Criterion, Kind, Model, NodeId, ObjectSchema};
use super::rules::{
    Bound, EXCLUSIVE_MAXIMUM, EXCLUSIVE_MINIMUM, MAX_CONTAINS, MAX_ITEMS, MAX_LENGTH,
    MAX_PROPERTIES, MAXIMUM, MIN_CONTAINS, MIN_ITEMS, MIN_LENGTH, MIN_PROPERTIES, MINIMUM,
};
use crate::limits::{Interrupt, Interrupted, Poll};
use crate::types::CompatibilityPolicy;
use crate::violation::{self, Direction, Violation};

pub use super::rules::DifferenceType;
use DifferenceType as T;

/// One change between an original schema and its update (Confluent's `Difference`). Its
/// path is a JSON pointer in URI-fragment form from the schema root, as Confluent writes it:
/// `#/` for the root, `#/properties/email`, `#/items/anyOf/1/maxLength`.
pub type Difference = violation::Difference<DifferenceType>;

/// Every difference from `original` to `update` (Confluent `SchemaDiff.compare(original,
/// update)`), compatible ones included, in document order. The policy matters even here: the
/// rules that try alternatives (a member of a combined schema, a partially open content
/// model) ask whether a comparison was compatible under it.
pub fn diff(
    original: &JsonSchema,
    update: &JsonSchema,
    policy: CompatibilityPolicy,
) -> Vec<Difference> {
    diff_until(original, update, policy, &Interrupt::never())
        .expect("a diff that is never interrupted reaches its end")
}

/// [`diff`] that gives up when `interrupt` is set.
///
/// Errors: [`Interrupted`] when the diff stopped before its end.
pub fn diff_until(
    original: &JsonSchema,
    update: &JsonSchema,
    policy: CompatibilityPolicy,
    interrupt: &Interrupt,
) -> Result<Vec<Difference>, Interrupted> {
    let run = |max_depth: usize| {
        let mut differ = Differ {
            models: [original.model(), update.model()],
            policy,
            memo: HashMap::new(),
            in_progress: HashSet::new(),
            regexes: HashMap::new(),
            depth: 0,
            max_depth,
            poll: Poll::new(interrupt),
        };
        let differences = differ.compare((0, original.model().root()), (1, update.model().root()));
        differ.poll.finish(differences)
    };
    // The comparison recurses once per level of the schemas and of the references between
    // them, so it runs on a thread with a stack sized for that (reserved, not committed, until
    // used). Should no thread be available it runs here, to a shallower depth.
    let differences = std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("warden-json-diff".to_owned())
            .stack_size(DIFF_STACK_BYTES)
            .spawn_scoped(scope, || run(MAX_DEPTH))
        {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => run(INLINE_MAX_DEPTH),
        }
    })?;
    Ok(differences
        .into_iter()
        .map(|(kind, path)| Difference {
            kind,
            path: if path.is_empty() {
                "#/".to_owned()
            } else {
                format!("#{path}")
            },
        })
        .collect())
}

/// Every reason `reader` cannot read data written with `writer`: the incompatible
/// differences of `diff(writer, reader)` under `policy`, as [`Violation`]s. With
/// [`Direction::NewReadsOld`] (backward) the writer is the old schema and the reader the new
/// one, as in Confluent's `JsonSchema.isBackwardCompatible(previous)`; with
/// [`Direction::OldReadsNew`] (forward) the other way round.
pub fn check(
    reader: &JsonSchema,
    writer: &JsonSchema,
    direction: Direction,
    policy: CompatibilityPolicy,
) -> Vec<Violation> {
    check_until(reader, writer, direction, policy, &Interrupt::never())
        .expect("a check that is never interrupted reaches its verdict")
}

/// [`check`] that gives up when `interrupt` is set.
///
/// Errors: [`Interrupted`] when the check stopped before its verdict.
pub fn check_until(
    reader: &JsonSchema,
    writer: &JsonSchema,
    direction: Direction,
    policy: CompatibilityPolicy,
    interrupt: &Interrupt,
) -> Result<Vec<Violation>, Interrupted> {
    let differences = diff_until(writer, reader, policy, interrupt)?;
    Ok(violation::violations(&differences, direction, |kind| {
        kind.is_compatible(policy)
    }))
}

/// A node of one of the two models: 0 is the original's, 1 the update's. `not` compares the
/// other way round, so either model can be on either side.
type N = (usize, NodeId);

/// A difference with its path relative to the pair being compared (`""` for the pair itself).
type Rel = (DifferenceType, String);

/// How deep comparisons may nest before the rest is taken as compatible: a guard against
/// exhausting the stack on pathological reference chains (JSON nesting itself is bounded by
/// `serde_json`'s limit of 128 levels, so only chains of `$ref`s get this deep).
const MAX_DEPTH: usize = 10_000;

/// The stack of the comparison thread: enough for [`MAX_DEPTH`] levels in a debug build.
const DIFF_STACK_BYTES: usize = 256 << 20;

/// [`MAX_DEPTH`] when the comparison runs on the caller's stack (no thread could be started).
const INLINE_MAX_DEPTH: usize = 64;

struct Differ<'m> {
    models: [&'m Model; 2],
    policy: CompatibilityPolicy,
    /// Results of pairs reached through a reference (Confluent `Context.compareMemoized`).
    memo: HashMap<(N, N), Rc<Vec<Rel>>>,
    /// Pairs on the stack: meeting one again is a recursive cycle, taken as compatible.
    in_progress: HashSet<(N, N)>,
    regexes: HashMap<String, Option<fancy_regex::Regex>>,
    depth: usize,
    max_depth: usize,
    /// Stops the diff from outside.
    poll: Poll,
}

fn prefixed(segment: &str, diffs: Vec<Rel>) -> impl Iterator<Item = Rel> + '_ {
    diffs
        .into_iter()
        .map(move |(kind, path)| (kind, format!("/{segment}{path}")))
}

impl<'m> Differ<'m> {
    fn kind(&self, n: N) -> &'m Kind {
        &self.models[n.0].node(n.1).kind
    }

    fn compatible(&self, diffs: &[Rel]) -> bool {
        diffs
            .iter()
            .all(|(kind, _)| kind.is_compatible(self.policy))
    }

    /// `SchemaDiff.compare` for two present schemas.
    fn compare(&mut self, original: N, update: N) -> Vec<Rel> {
        let (o, o_ref) = self.models[original.0].deref(original.1);
        let (u, u_ref) = self.models[update.0].deref(update.1);
        let (o, u) = ((original.0, o), (update.0, u));
        if self.poll.stop() || self.in_progress.contains(&(o, u)) || self.depth >= self.max_depth {
            return Vec::new();
        }
        let through_reference = o_ref || u_ref;
        if through_reference && let Some(done) = self.memo.get(&(o, u)) {
            return done.as_ref().clone();
        }
        self.in_progress.insert((o, u));
        self.depth += 1;
        let result = self.compare_schemas(o, u);
        self.depth -= 1;
        self.in_progress.remove(&(o, u));
        if through_reference {
            self.memo.insert((o, u), Rc::new(result.clone()));
        }
        result
    }

    /// `SchemaDiff.compare(ctx, original, update)` where either may be absent.
    fn compare_optional(&mut self, original: Option<N>, update: Option<N>) -> Vec<Rel> {
        match (original, update) {
            (None, None) => Vec::new(),
            (None, Some(_)) => vec![(T::SchemaAdded, String::new())],
            (Some(_), None) => vec![(T::SchemaRemoved, String::new())],
            (Some(o), Some(u)) => self.compare(o, u),
        }
    }

    fn compare_schemas(&mut self, o: N, u: N) -> Vec<Rel> {
        let (o_kind, u_kind) = (self.kind(o), self.kind(u));
        match (o_kind, u_kind) {
            (Kind::Combined(..), Kind::Combined(..)) => {}
            (_, Kind::Combined(criterion, subs)) => {
                // Singleton unions, and an update that is a sum with one member compatible.
                if subs.len() == 1 {
                    let diffs = self.compare(o, (u.0, subs[0]));
                    if self.compatible(&diffs) {
                        return diffs;
                    }
                } else if matches!(criterion, Criterion::Any | Criterion::One) {
                    for sub in subs {
                        let mut diffs = self.compare(o, (u.0, *sub));
                        if self.compatible(&diffs) {
                            diffs.push((T::SumTypeExtended, String::new()));
                            return diffs;
                        }
                    }
                }
            }
            (Kind::Combined(criterion, subs), _) => {
                // Singleton unions, and an original that is a product with one member the
                // update is compatible with.
                if subs.len() == 1 {
                    let diffs = self.compare((o.0, subs[0]), u);
                    if self.compatible(&diffs) {
                        return diffs;
                    }
                } else if *criterion == Criterion::All {
                    for sub in subs {
                        let mut diffs = self.compare((o.0, *sub), u);
                        if self.compatible(&diffs) {
                            diffs.push((T::ProductTypeNarrowed, String::new()));
                            return diffs;
                        }
                    }
                }
            }
            _ => {}
        }
        if o_kind.class() != u_kind.class() {
            // TrueSchema extends EmptySchema: anything may become empty; false may become
            // anything.
            if matches!(o_kind, Kind::False) || u_kind.is_empty_schema() {
                return Vec::new();
            }
            // Kafka Connect decimals: both encoded as bytes are the same type.
            let (o_node, u_node) = (self.models[o.0].node(o.1), self.models[u.0].node(u.1));
            if o_node.connect_bytes && u_node.connect_bytes {
                return Vec::new();
            }
            return vec![(T::TypeChanged, String::new())];
        }
        let mut out = Vec::new();
        let (o_node, u_node) = (self.models[o.0].node(o.1), self.models[u.0].node(u.1));
        if o_node.id != u_node.id {
            out.push((T::IdChanged, String::new()));
        }
        if o_node.title != u_node.title {
            out.push((T::TitleChanged, String::new()));
        }
        if o_node.description != u_node.description {
            out.push((T::DescriptionChanged, String::new()));
        }
        if o_node.default != u_node.default {
            out.push((T::DefaultChanged, String::new()));
        }
        match (o_kind, u_kind) {
            (Kind::String(a), Kind::String(b)) => {
                bound(
                    &mut out,
                    "maxLength",
                    a.max_length,
                    b.max_length,
                    MAX_LENGTH,
                );
                bound(
                    &mut out,
                    "minLength",
                    a.min_length,
                    b.min_length,
                    MIN_LENGTH,
                );
                match (&a.pattern, &b.pattern) {
                    (None, Some(_)) => out.push((T::PatternAdded, "/pattern".into())),
                    (Some(_), None) => out.push((T::PatternRemoved, "/pattern".into())),
                    (Some(x), Some(y)) if x != y => {
                        out.push((T::PatternChanged, "/pattern".into()));
                    }
                    _ => {}
                }
            }
            (Kind::Number(a), Kind::Number(b)) => {
                bound(&mut out, "maximum", a.maximum, b.maximum, MAXIMUM);
                bound(&mut out, "minimum", a.minimum, b.minimum, MINIMUM);
                // Confluent compares the original's exclusiveMaximum with the update's
                // `maximum` when deciding "decreased" (a slip); this compares the limits.
                bound(
                    &mut out,
                    "exclusiveMaximum",
                    a.exclusive_maximum,
                    b.exclusive_maximum,
                    EXCLUSIVE_MAXIMUM,
                );
                bound(
                    &mut out,
                    "exclusiveMinimum",
                    a.exclusive_minimum,
                    b.exclusive_minimum,
                    EXCLUSIVE_MINIMUM,
                );
                if let Some(kind) = multiple_of(a.multiple_of, b.multiple_of) {
                    out.push((kind, "/multipleOf".into()));
                }
                if a.integer != b.integer {
                    out.push((
                        if a.integer {
                            T::TypeExtended
                        } else {
                            T::TypeNarrowed
                        },
                        String::new(),
                    ));
                }
            }
            (Kind::Const(a), Kind::Const(b)) if a != b => {
                out.push((T::EnumArrayChanged, "/const".into()));
            }
            (Kind::Enum(a), Kind::Enum(b)) => {
                // everit keeps the values in a set: order does not matter.
                let (set_a, set_b) = (ValueSet::new(a), ValueSet::new(b));
                let (a_in_b, b_in_a) = (set_b.contains_all(a), set_a.contains_all(b));
                if !(b_in_a && a_in_b) {
                    let kind = if a_in_b {
                        T::EnumArrayExtended
                    } else if b_in_a {
                        T::EnumArrayNarrowed
                    } else {
                        T::EnumArrayChanged
                    };
                    out.push((kind, "/enum".into()));
                }
            }
            (Kind::Combined(oc, os), Kind::Combined(uc, us)) => {
                self.combined(&mut out, o.0, *oc, os, u.0, *uc, us);
            }
            (Kind::Not(a), Kind::Not(b)) => {
                // The wrapped schemas compare the other way round.
                let diffs = self.compare((u.0, *b), (o.0, *a));
                let kind = if self.compatible(&diffs) {
                    T::NotTypeNarrowed
                } else {
                    T::NotTypeExtended
                };
                out.push((kind, "/not".into()));
            }
            (Kind::Object(a), Kind::Object(b)) => self.object(&mut out, o.0, a, u.0, b),
            (Kind::Array(a), Kind::Array(b)) => self.array(&mut out, o.0, a, u.0, b),
            _ => {}
        }
        out
    }

    /// `CombinedSchemaDiff.compare`.
    #[allow(clippy::too_many_arguments)]
    fn combined(
        &mut self,
        out: &mut Vec<Rel>,
        om: usize,
        oc: Criterion,
        os: &[NodeId],
        um: usize,
        uc: Criterion,
        us: &[NodeId],
    ) {
        let criteria = if oc == uc {
            None
        } else if uc == Criterion::Any
            || (os.len() == 1 && us.len() == 1)
            || (os.len() == 1 && uc == Criterion::One)
            || (us.len() == 1 && oc == Criterion::All)
        {
            Some(T::CombinedTypeExtended)
        } else {
            Some(T::CombinedTypeChanged)
        };
        if let Some(kind) = criteria {
            out.push((kind, String::new()));
            if kind == T::CombinedTypeChanged {
                return;
            }
        }
        // Duplicate members collapse, as in Confluent's LinkedHashSet<JsonSchema>.
        let originals = self.distinct(om, os);
        let updates = self.distinct(um, us);
        if originals.len() < updates.len() {
            out.push((
                if uc == Criterion::All {
                    T::ProductTypeExtended
                } else {
                    T::SumTypeExtended
                },
                String::new(),
            ));
        } else if originals.len() > updates.len() {
            out.push((
                if oc == Criterion::All {
                    T::ProductTypeNarrowed
                } else {
                    T::SumTypeNarrowed
                },
                String::new(),
            ));
        }
        let mut edges: Vec<Vec<(usize, Vec<Rel>)>> = Vec::with_capacity(originals.len());
        for o in &originals {
            if self.poll.stopped() {
                // Whatever is found from here on is not reported.
                return;
            }
            let mut compatible = Vec::new();
            for (j, u) in updates.iter().enumerate() {
                let diffs = self.compare((om, *o), (um, *u));
                if self.compatible(&diffs) {
                    compatible.push((j, diffs));
                }
            }
            // Try the closest pairs first, so an unchanged member pairs with itself.
            compatible.sort_by_key(|(_, diffs)| diffs.len());
            edges.push(compatible);
        }
        let matching = maximum_matching(&edges, updates.len());
        let matched = matching.iter().filter(|m| m.is_some()).count();
        for (i, m) in matching.iter().enumerate() {
            if let Some(k) = m {
                let diffs = edges[i][*k].1.clone();
                out.extend(prefixed(&format!("{}/{i}", oc.keyword()), diffs));
            }
        }
        if matched < originals.len().min(updates.len()) {
            out.push((T::CombinedTypeSubschemasChanged, String::new()));
        }
    }

    fn distinct(&self, model: usize, subs: &[NodeId]) -> Vec<NodeId> {
        let mut seen = HashSet::new();
        subs.iter()
            .copied()
            .filter(|s| seen.insert(self.models[model].fingerprint(*s)))
            .collect()
    }

    /// `ObjectSchemaDiff.compare`: required, properties, dependencies, additional and
    /// unevaluated properties, then the size bounds.
    fn object(
        &mut self,
        out: &mut Vec<Rel>,
        om: usize,
        a: &ObjectSchema,
        um: usize,
        b: &ObjectSchema,
    ) {
        let (a_properties, b_properties) = (by_name(&a.properties), by_name(&b.properties));
        let (a_required, b_required) = (NameSet::new(&a.required), NameSet::new(&b.required));
        for (name, _) in &a.properties {
            if !b_properties.contains_key(name.as_str()) {
                continue;
            }
            let was = a_required.contains(name.as_str());
            let is = b_required.contains(name.as_str());
            let kind = match (was, is) {
                (true, false) => T::RequiredAttributeRemoved,
                (false, true) if has_default(b, name) => T::RequiredAttributeWithDefaultAdded,
                (false, true) => T::RequiredAttributeAdded,
                _ => continue,
            };
            out.push((kind, format!("/required/{name}")));
        }

        for (name, o_schema) in &a.properties {
            let path = format!("properties/{name}");
            match b_properties.get(name.as_str()) {
                Some(&u_schema) => {
                    let diffs = self.compare((om, *o_schema), (um, u_schema));
                    out.extend(prefixed(&path, diffs));
                }
                None => {
                    // Only the update's content model matters for a removal.
                    if is_open(self.models[um], b) {
                        out.push((T::PropertyRemovedFromOpenContentModel, format!("/{path}")));
                    } else if let Some(partial) = self.partial(um, b, name) {
                        let diffs = self.compare((om, *o_schema), (um, partial));
                        let kind = if self.compatible(&diffs) {
                            T::PropertyRemovedIsCoveredByPartiallyOpenContentModel
                        } else {
                            T::PropertyRemovedNotCoveredByPartiallyOpenContentModel
                        };
                        out.extend(prefixed(&path, diffs));
                        out.push((kind, format!("/{path}")));
                    } else if matches!(self.kind((om, *o_schema)), Kind::False) {
                        out.push((
                            T::PropertyWithFalseRemovedFromClosedContentModel,
                            format!("/{path}"),
                        ));
                    } else {
                        out.push((T::PropertyRemovedFromClosedContentModel, format!("/{path}")));
                    }
                }
            }
        }
        for (name, u_schema) in &b.properties {
            if a_properties.contains_key(name.as_str()) {
                continue;
            }
            let path = format!("properties/{name}");
            let required = b_required.contains(name.as_str());
            let default = has_default(b, name);
            // Only the original's content model matters for an addition.
            if is_open(self.models[om], a) {
                let kind = if self.kind((um, *u_schema)).is_empty_schema() {
                    T::PropertyWithEmptySchemaAddedToOpenContentModel
                } else if required && default {
                    T::RequiredPropertyWithDefaultAddedToOpenContentModel
                } else if required {
                    T::RequiredPropertyAddedToOpenContentModel
                } else {
                    T::OptionalPropertyAddedToOpenContentModel
                };
                out.push((kind, format!("/{path}")));
            } else {
                if let Some(partial) = self.partial(om, a, name) {
                    let diffs = self.compare((om, partial), (um, *u_schema));
                    let kind = if self.compatible(&diffs) {
                        T::PropertyAddedIsCoveredByPartiallyOpenContentModel
                    } else {
                        T::PropertyAddedNotCoveredByPartiallyOpenContentModel
                    };
                    out.extend(prefixed(&path, diffs));
                    out.push((kind, format!("/{path}")));
                }
                // For closed and partially open models alike.
                let kind = match (required, default) {
                    (true, true) => T::RequiredPropertyWithDefaultAddedToUnopenContentModel,
                    (true, false) => T::RequiredPropertyAddedToUnopenContentModel,
                    (false, _) => T::OptionalPropertyAddedToUnopenContentModel,
                };
                out.push((kind, format!("/{path}")));
            }
        }

        let (a_deps, b_deps) = (
            by_name(&a.property_dependencies),
            by_name(&b.property_dependencies),
        );
        for name in union_keys(&a.property_dependencies, &b.property_dependencies) {
            let was = a_deps.get(name.as_str());
            let is = b_deps.get(name.as_str());
            let kind = match (was, is) {
                (_, None) => Some(T::DependencyArrayRemoved),
                (None, Some(_)) => Some(T::DependencyArrayAdded),
                (Some(x), Some(y)) => {
                    let (xs, ys) = (NameSet::new(x), NameSet::new(y));
                    let x_in_y = x.iter().all(|v| ys.contains(v));
                    let y_in_x = y.iter().all(|v| xs.contains(v));
                    if x_in_y && y_in_x {
                        None
                    } else if x_in_y {
                        Some(T::DependencyArrayExtended)
                    } else if y_in_x {
                        Some(T::DependencyArrayNarrowed)
                    } else {
                        Some(T::DependencyArrayChanged)
                    }
                }
            };
            if let Some(kind) = kind {
                out.push((kind, format!("/dependencies/{name}")));
            }
        }
        let (a_deps, b_deps) = (
            by_name(&a.schema_dependencies),
            by_name(&b.schema_dependencies),
        );
        for name in union_keys(&a.schema_dependencies, &b.schema_dependencies) {
            let path = format!("dependencies/{name}");
            match (a_deps.get(name.as_str()), b_deps.get(name.as_str())) {
                (_, None) => out.push((T::DependencySchemaRemoved, format!("/{path}"))),
                (None, Some(_)) => out.push((T::DependencySchemaAdded, format!("/{path}"))),
                (Some(x), Some(y)) => {
                    let diffs = self.compare((om, *x), (um, *y));
                    out.extend(prefixed(&path, diffs));
                }
            }
        }

        self.additional(
            out,
            "additionalProperties",
            (om, a.additional),
            (um, b.additional),
            [
                T::AdditionalPropertiesAdded,
                T::AdditionalPropertiesRemoved,
                T::AdditionalPropertiesNarrowed,
                T::AdditionalPropertiesExtended,
            ],
        );
        self.unevaluated(
            out,
            "unevaluatedProperties",
            (om, a.unevaluated),
            (um, b.unevaluated),
            [
                T::UnevaluatedPropertiesAdded,
                T::UnevaluatedPropertiesRemoved,
                T::UnevaluatedPropertiesNarrowed,
                T::UnevaluatedPropertiesExtended,
            ],
        );
        bound(
            out,
            "maxProperties",
            a.max_properties,
            b.max_properties,
            MAX_PROPERTIES,
        );
        bound(
            out,
            "minProperties",
            a.min_properties,
            b.min_properties,
            MIN_PROPERTIES,
        );
    }

    /// The schema a partially open object model gives `name`: the first pattern property
    /// whose regex finds a match in it, else the `additionalProperties` schema, else (with
    /// `additionalProperties` absent) an `unevaluatedProperties` schema other than `true` and
    /// `false`.
    fn partial(&mut self, model: usize, object: &ObjectSchema, name: &str) -> Option<NodeId> {
        for (pattern, schema) in &object.pattern_properties {
            let regex = self
                .regexes
                .entry(pattern.clone())
                .or_insert_with(|| fancy_regex::Regex::new(pattern).ok());
            if regex
                .as_ref()
                .is_some_and(|r| r.is_match(name).unwrap_or(false))
            {
                return Some(*schema);
            }
        }
        if let Some(schema) = object.additional.schema {
            return Some(schema);
        }
        if object.additional.permits
            && let Some(schema) = object.unevaluated
        {
            let kind = self.kind((model, schema));
            if !matches!(kind, Kind::False) && !kind.is_empty_schema() {
                return Some(schema);
            }
        }
        None
    }

    /// `additionalProperties` / `additionalItems`. `kinds`: permitted now, forbidden now,
    /// schema added (narrowed), schema removed (extended).
    fn additional(
        &mut self,
        out: &mut Vec<Rel>,
        keyword: &str,
        (om, a): (usize, Additional),
        (um, b): (usize, Additional),
        [added, removed, narrowed, extended]: [DifferenceType; 4],
    ) {
        if a.permits != b.permits {
            out.push((
                if b.permits { added } else { removed },
                format!("/{keyword}"),
            ));
        } else {
            match (a.schema, b.schema) {
                (None, Some(_)) => out.push((narrowed, format!("/{keyword}"))),
                (Some(_), None) => out.push((extended, format!("/{keyword}"))),
                (Some(x), Some(y)) => {
                    let diffs = self.compare((om, x), (um, y));
                    out.extend(prefixed(keyword, diffs));
                }
                (None, None) => {}
            }
        }
    }

    /// `unevaluatedProperties` / `unevaluatedItems` (Confluent `compareUnevaluatedItems`).
    /// `kinds`: allowed again, forbidden, narrowed, extended.
    fn unevaluated(
        &mut self,
        out: &mut Vec<Rel>,
        keyword: &str,
        (om, a): (usize, Option<NodeId>),
        (um, b): (usize, Option<NodeId>),
        [added, removed, narrowed, extended]: [DifferenceType; 4],
    ) {
        let path = format!("/{keyword}");
        let is_false = |d: &Self, n: N| matches!(d.kind(n), Kind::False);
        let is_empty = |d: &Self, n: N| d.kind(n).is_empty_schema();
        match (a, b) {
            (None, None) => {}
            (None, Some(y)) => out.push((
                if is_false(self, (um, y)) {
                    removed
                } else {
                    narrowed
                },
                path,
            )),
            (Some(x), None) => out.push((
                if is_false(self, (om, x)) {
                    added
                } else {
                    extended
                },
                path,
            )),
            (Some(x), Some(y)) => {
                let (x, y) = ((om, x), (um, y));
                if is_false(self, x) && !is_false(self, y) {
                    out.push((added, path));
                } else if !is_false(self, x) && is_false(self, y) {
                    out.push((removed, path));
                } else if is_empty(self, x) && !is_empty(self, y) {
                    out.push((narrowed, path));
                } else if !is_empty(self, x) && is_empty(self, y) {
                    out.push((extended, path));
                } else {
                    let diffs = self.compare(x, y);
                    out.extend(prefixed(keyword, diffs));
                }
            }
        }
    }

    /// `ArraySchemaDiff.compare`: `items`, tuple items, `additionalItems`,
    /// `unevaluatedItems`, then the bounds.
    fn array(
        &mut self,
        out: &mut Vec<Rel>,
        om: usize,
        a: &ArraySchema,
        um: usize,
        b: &ArraySchema,
    ) {
        let diffs =
            self.compare_optional(a.all_items.map(|x| (om, x)), b.all_items.map(|y| (um, y)));
        out.extend(prefixed("items", diffs));

        let common = a.item_schemas.len().min(b.item_schemas.len());
        for i in 0..common {
            let diffs = self.compare((om, a.item_schemas[i]), (um, b.item_schemas[i]));
            out.extend(prefixed(&format!("items/{i}"), diffs));
        }
        for (i, o_item) in a.item_schemas.iter().enumerate().skip(common) {
            let path = format!("items/{i}");
            if is_open_array(self.models[um], b) {
                out.push((T::ItemRemovedFromOpenContentModel, format!("/{path}")));
            } else if let Some(partial) = partial_array(self.models[um], b) {
                let diffs = self.compare((om, *o_item), (um, partial));
                let kind = if self.compatible(&diffs) {
                    T::ItemRemovedIsCoveredByPartiallyOpenContentModel
                } else {
                    T::ItemRemovedNotCoveredByPartiallyOpenContentModel
                };
                out.extend(prefixed(&path, diffs));
                out.push((kind, format!("/{path}")));
            } else if matches!(self.kind((om, *o_item)), Kind::False) {
                out.push((
                    T::ItemWithFalseRemovedFromClosedContentModel,
                    format!("/{path}"),
                ));
            } else {
                out.push((T::ItemRemovedFromClosedContentModel, format!("/{path}")));
            }
        }
        for (i, u_item) in b.item_schemas.iter().enumerate().skip(common) {
            let path = format!("items/{i}");
            if is_open_array(self.models[om], a) {
                let kind = if self.kind((um, *u_item)).is_empty_schema() {
                    T::ItemWithEmptySchemaAddedToOpenContentModel
                } else {
                    T::ItemAddedToOpenContentModel
                };
                out.push((kind, format!("/{path}")));
            } else if let Some(partial) = partial_array(self.models[om], a) {
                let diffs = self.compare((om, partial), (um, *u_item));
                let kind = if self.compatible(&diffs) {
                    T::ItemAddedIsCoveredByPartiallyOpenContentModel
                } else {
                    T::ItemAddedNotCoveredByPartiallyOpenContentModel
                };
                out.extend(prefixed(&path, diffs));
                out.push((kind, format!("/{path}")));
            } else {
                out.push((T::ItemAddedToClosedContentModel, format!("/{path}")));
            }
        }

        self.additional(
            out,
            "additionalItems",
            (om, a.additional),
            (um, b.additional),
            [
                T::AdditionalItemsAdded,
                T::AdditionalItemsRemoved,
                T::AdditionalItemsNarrowed,
                T::AdditionalItemsExtended,
            ],
        );
        self.unevaluated(
            out,
            "unevaluatedItems",
            (om, a.unevaluated),
            (um, b.unevaluated),
            [
                T::UnevaluatedItemsAdded,
                T::UnevaluatedItemsRemoved,
                T::UnevaluatedItemsNarrowed,
                T::UnevaluatedItemsExtended,
            ],
        );
        bound(out, "maxItems", a.max_items, b.max_items, MAX_ITEMS);
        bound(out, "minItems", a.min_items, b.min_items, MIN_ITEMS);
        if a.unique_items != b.unique_items {
            let kind = if a.unique_items {
                T::UniqueItemsRemoved
            } else {
                T::UniqueItemsAdded
            };
            out.push((kind, "/uniqueItems".into()));
        }
        bound(
            out,
            "maxContains",
            a.max_contains,
            b.max_contains,
            MAX_CONTAINS,
        );
        bound(
            out,
            "minContains",
            a.min_contains,
            b.min_contains,
            MIN_CONTAINS,
        );
    }
}

/// A numeric keyword compared as Confluent does: added, removed, increased, decreased.
fn bound(out: &mut Vec<Rel>, keyword: &str, a: Option<f64>, b: Option<f64>, kinds: Bound) {
    let [added, removed, increased, decreased] = kinds;
    let kind = match (a, b) {
        (None, Some(_)) => added,
        (Some(_), None) => removed,
        (Some(x), Some(y)) if x < y => increased,
        (Some(x), Some(y)) if x > y => decreased,
        _ => return,
    };
    out.push((kind, format!("/{keyword}")));
}

/// `multipleOf`: a multiple of the original is EXPANDED (fewer numbers pass), a divisor is
/// REDUCED, anything else CHANGED. Confluent divides `intValue()`s, which treats 10 and 10.0
/// as different and throws on fractions below one; this compares the numbers themselves.
fn multiple_of(a: Option<f64>, b: Option<f64>) -> Option<DifferenceType> {
    let divides = |x: f64, y: f64| {
        let q = y / x;
        q.is_finite() && (q - q.round()).abs() < 1e-9
    };
    match (a, b) {
        (None, None) => None,
        (None, Some(_)) => Some(T::MultipleOfAdded),
        (Some(_), None) => Some(T::MultipleOfRemoved),
        (Some(x), Some(y)) if x == y => None,
        (Some(x), Some(y)) if divides(x, y) => Some(T::MultipleOfExpanded),
        (Some(x), Some(y)) if divides(y, x) => Some(T::MultipleOfReduced),
        _ => Some(T::MultipleOfChanged),
    }
}

fn has_default(object: &ObjectSchema, name: &str) -> bool {
    object
        .property_has_default
        .get(name)
        .copied()
        .unwrap_or(false)
}

/// Open: `additionalProperties` absent or `true`, no `patternProperties`, and
/// `unevaluatedProperties` absent or `true` (Confluent `ObjectSchemaDiff.isOpenContentModel`).
fn is_open(model: &Model, object: &ObjectSchema) -> bool {
    object.additional.permits
        && object.additional.schema.is_none()
        && object.pattern_properties.is_empty()
        && object
            .unevaluated
            .is_none_or(|u| model.node(u).kind.is_empty_schema())
}

/// `ArraySchemaDiff.isOpenContentModel`.
fn is_open_array(model: &Model, array: &ArraySchema) -> bool {
    array.additional.permits
        && array.additional.schema.is_none()
        && array
            .unevaluated
            .is_none_or(|u| model.node(u).kind.is_empty_schema())
}

/// `ArraySchemaDiff.schemaFromPartiallyOpenContentModel`.
fn partial_array(model: &Model, array: &ArraySchema) -> Option<NodeId> {
    if let Some(schema) = array.additional.schema {
        return Some(schema);
    }
    if array.additional.permits
        && let Some(u) = array.unevaluated
    {
        let kind = &model.node(u).kind;
        if !matches!(kind, Kind::False) && !kind.is_empty_schema() {
            return Some(u);
        }
    }
    None
}

/// The keys of `a` in order, then those of `b` that `a` lacks (each once).
fn union_keys<V>(a: &[(String, V)], b: &[(String, V)]) -> Vec<String> {
    let mut keys: Vec<String> = a.iter().map(|(k, _)| k.clone()).collect();
    let mut seen: HashSet<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
    for (k, _) in b {
        if seen.insert(k) {
            keys.push(k.clone());
        }
    }
    keys
}

/// Below this many entries a scan beats building a hash map (most objects have a few
/// properties, and a combined schema compares every pair of its members).
const SCAN_BELOW: usize = 16;

/// Named entries by name; the first of a repeated name wins, as a scan from the start finds.
fn by_name<V>(entries: &[(String, V)]) -> ByName<'_, V> {
    let map = (entries.len() >= SCAN_BELOW).then(|| {
        let mut map = HashMap::with_capacity(entries.len());
        for (k, v) in entries {
            map.entry(k.as_str()).or_insert(v);
        }
        map
    });
    ByName { entries, map }
}

/// Named entries looked up by name: a scan for a few, a hash map for many.
struct ByName<'a, V> {
    entries: &'a [(String, V)],
    map: Option<HashMap<&'a str, &'a V>>,
}

impl<'a, V> ByName<'a, V> {
    fn get(&self, name: &str) -> Option<&'a V> {
        match &self.map {
            Some(map) => map.get(name).copied(),
            None => self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| v),
        }
    }

    fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// A list of names asked for membership: a scan for a few, a hash set for many.
struct NameSet<'a> {
    names: &'a [String],
    set: Option<HashSet<&'a str>>,
}

impl<'a> NameSet<'a> {
    fn new(names: &'a [String]) -> Self {
        let set = (names.len() >= SCAN_BELOW).then(|| names.iter().map(String::as_str).collect());
        Self { names, set }
    }

    fn contains(&self, name: &str) -> bool {
        match &self.set {
            Some(set) => set.contains(name),
            None => self.names.iter().any(|n| n == name),
        }
    }
}

/// A set of JSON values with `Value`'s equality (numbers by variant and value, objects
/// whatever their key order), for `enum` comparisons in linear time.
struct ValueSet<'a> {
    buckets: HashMap<u64, Vec<&'a Value>>,
}

impl<'a> ValueSet<'a> {
    fn new(values: &'a [Value]) -> Self {
        let mut buckets: HashMap<u64, Vec<&Value>> = HashMap::with_capacity(values.len());
        for value in values {
            buckets.entry(value_hash(value)).or_default().push(value);
        }
        Self { buckets }
    }

    fn contains(&self, value: &Value) -> bool {
        self.buckets
            .get(&value_hash(value))
            .is_some_and(|bucket| bucket.contains(&value))
    }

    /// Whether every one of `values` is in the set.
    fn contains_all(&self, values: &[Value]) -> bool {
        values.iter().all(|v| self.contains(v))
    }
}

/// A hash of a JSON value that equal values (`==`) share: integers by their variant and
/// value, floats by value with `-0.0` as `0.0`, objects independently of key order.
fn value_hash(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    match value {
        Value::Null => 0u8.hash(&mut hasher),
        Value::Bool(b) => (1u8, b).hash(&mut hasher),
        Value::Number(n) => {
            2u8.hash(&mut hasher);
            if let Some(u) = n.as_u64() {
                (0u8, u).hash(&mut hasher);
            } else if let Some(i) = n.as_i64() {
                (1u8, i).hash(&mut hasher);
            } else {
                let f = n.as_f64().unwrap_or_default();
                let f = if f == 0.0 { 0.0 } else { f };
                (2u8, f.to_bits()).hash(&mut hasher);
            }
        }
        Value::String(s) => (3u8, s).hash(&mut hasher),
        Value::Array(items) => {
            (4u8, items.len()).hash(&mut hasher);
            for item in items {
                value_hash(item).hash(&mut hasher);
            }
        }
        Value::Object(map) => {
            let entries = map.iter().fold(0u64, |sum, (k, v)| {
                let mut entry = std::collections::hash_map::DefaultHasher::new();
                (k, value_hash(v)).hash(&mut entry);
                sum.wrapping_add(entry.finish())
            });
            (5u8, map.len(), entries).hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// A maximum matching of a bipartite graph (Kuhn's augmenting paths): for each left vertex,
/// the index into its edge list of the edge used, if any.
fn maximum_matching<E>(edges: &[Vec<(usize, E)>], right: usize) -> Vec<Option<usize>> {
    fn augment<E>(
        left: usize,
        edges: &[Vec<(usize, E)>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
        choice: &mut [Option<usize>],
    ) -> bool {
        for (k, (r, _)) in edges[left].iter().enumerate() {
            if seen[*r] {
                continue;
            }
            seen[*r] = true;
            if owner[*r].is_none_or(|other| augment(other, edges, seen, owner, choice)) {
                owner[*r] = Some(left);
                choice[left] = Some(k);
                return true;
            }
        }
        false
    }
    let mut owner = vec![None; right];
    let mut choice = vec![None; edges.len()];
    for left in 0..edges.len() {
        let mut seen = vec![false; right];
        augment(left, edges, &mut seen, &mut owner, &mut choice);
    }
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_set_finds_values_as_equality_does() {
        let values: Vec<Value> =
            serde_json::from_str(r#"[1, 2.5, -0.0, "a", null, true, [1, 2], {"x": 1, "y": [2]}]"#)
                .unwrap();
        let set = ValueSet::new(&values);
        let probes: Vec<Value> = serde_json::from_str(
            r#"[1, 1.0, 2.5, 0.0, "a", "b", null, false, [1, 2], [2, 1], {"y": [2], "x": 1},
                {"x": 1}]"#,
        )
        .unwrap();
        for probe in &probes {
            assert_eq!(
                set.contains(probe),
                values.contains(probe),
                "{probe} as a scan finds it"
            );
        }
    }
}
