//! A schema compiled once for the serde encoder ([`super::ser`]): every step a value can
//! take, in one flat list, with references resolved to indices, logical types reduced to
//! the type they are written as (`logical::underlying`), union branches listed by index,
//! field defaults encoded beforehand and the names and symbols errors quote kept in text.
//!
//! The encoder walks this instead of apache-avro's `Schema`: no named-type look-up per
//! reference, no logical-type match per value, no default encoded per missing field.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use apache_avro::Schema;
use apache_avro::schema::RecordField;

use crate::avro::AvroSchema;
use crate::avro::compat::{Names, named_types};
use crate::avro::datum::{kind_name, write_default};
use crate::avro::logical::{Underlying, underlying};

/// Index of a [`Step`] in [`Plan::steps`].
pub(crate) type StepId = u32;

/// The compiled schema: `steps[0]` is the schema itself.
#[derive(Debug)]
pub(crate) struct Plan {
    steps: Vec<Step>,
}

/// One schema node as it is written (Avro spec, "Binary Encoding").
#[derive(Debug)]
pub(crate) enum Step {
    Null,
    Boolean,
    /// `int` and the logical types written as one (`date`, `time-millis`).
    Int,
    /// `long` and the logical types written as one (timestamps, `time-micros`).
    Long,
    Float,
    Double,
    /// `string`, or a `uuid` written as one; `read_back` holds the schema to decode a written
    /// value with when its reader checks more than the encoding (`logical::check_encoded`).
    String {
        read_back: Option<Box<Schema>>,
    },
    /// `bytes`, or a `decimal`, `big-decimal` or `uuid` written as bytes; `read_back` as for
    /// strings.
    Bytes {
        read_back: Option<Box<Schema>>,
    },
    /// A `fixed` of `size` bytes (also a `decimal`, `uuid` or `duration` written as one).
    Fixed {
        size: usize,
        name: Box<str>,
    },
    Enum(Box<EnumStep>),
    /// An array of this step's items.
    Array(StepId),
    /// A map of this step's values.
    Map(StepId),
    Union(Box<UnionStep>),
    Record(Box<RecordStep>),
    /// A reference that does not resolve (or a loop of them): a value that reaches it is
    /// left to the JSON route with this reason.
    Unresolved(Box<str>),
}

/// An enum's full name and symbols, by position.
#[derive(Debug)]
pub(crate) struct EnumStep {
    pub(crate) name: Box<str>,
    pub(crate) symbols: Vec<String>,
}

/// A union's branches in order, and what the encoder asks of them as a whole.
#[derive(Debug)]
pub(crate) struct UnionStep {
    pub(crate) branches: Vec<StepId>,
    /// The branches' names as an error lists them (`null, string`).
    pub(crate) expected: Box<str>,
    /// Whether a branch is an array (a sequence of `u8` is an array's, not bytes).
    pub(crate) has_array: bool,
    /// Whether a branch is a map (a serde map is written as one).
    pub(crate) has_map: bool,
    /// The index of the `null` branch, when every branch before it is a `boolean`, `int`,
    /// `long`, `float`, `double`, `bytes`, array or map (none takes a null or a string,
    /// none can fail to resolve): the branch the encoder's union choice would give a null,
    /// known without asking each branch. `None` otherwise.
    pub(crate) null: Option<u32>,
    /// The same for a string value: the index of the first plain `string` branch (no
    /// logical type to read back), when every branch before it is one of those or `null`.
    pub(crate) plain_string: Option<u32>,
}

/// A record: its names and fields in schema order.
#[derive(Debug)]
pub(crate) struct RecordStep {
    /// The full name, as errors give it.
    pub(crate) full_name: Box<str>,
    /// The name without its namespace, matched against a serde struct's name in a union.
    pub(crate) name: Box<str>,
    pub(crate) fields: Vec<FieldStep>,
    /// Field positions by name.
    pub(crate) lookup: HashMap<Box<str>, usize>,
}

/// One field of a record.
#[derive(Debug)]
pub(crate) struct FieldStep {
    pub(crate) name: Box<str>,
    pub(crate) step: StepId,
    /// `None` for a field without a default; the default's encoding (the union's first
    /// branch index included), or why it has none (`datum::write_default`'s message).
    pub(crate) default: Option<Result<Box<[u8]>, String>>,
    /// The address of the first serde key found equal to `name` (0 before). Serde's keys
    /// are `&'static str`, never freed and never changed: a key at this address and of this
    /// length is this field's name without comparing it. Set once, so that threads writing
    /// several Rust types of one record do not keep rewriting it.
    seen: AtomicUsize,
}

impl FieldStep {
    /// Whether serde's `key` names this field. The test by address is inlined; a key at
    /// another address (the first one, or another Rust type's) is compared as text out of
    /// line.
    #[inline(always)]
    pub(crate) fn is(&self, key: &'static str) -> bool {
        (key.as_ptr() as usize == self.seen.load(Ordering::Relaxed) && key.len() == self.name.len())
            || self.compare(key)
    }

    #[inline(never)]
    fn compare(&self, key: &'static str) -> bool {
        let same = *self.name == *key;
        if same {
            // Only the first: a slot already set keeps its key.
            let _ = self.seen.compare_exchange(
                0,
                key.as_ptr() as usize,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
        same
    }
}

impl Plan {
    /// Compiles `schema` (with the named types of its references).
    pub(crate) fn build(schema: &AvroSchema) -> Self {
        let mut builder = Builder {
            avro: schema,
            names: None,
            steps: Vec::new(),
            named: HashMap::new(),
        };
        builder.add(schema.schema());
        Self {
            steps: builder.steps,
        }
    }

    /// The step the schema itself is.
    #[inline]
    pub(crate) fn root(&self) -> &Step {
        &self.steps[0]
    }

    /// The step at `id`.
    #[inline]
    pub(crate) fn at(&self, id: StepId) -> &Step {
        &self.steps[id as usize]
    }
}

impl Step {
    /// The name of the type as errors give it (`datum::kind_name`); for
    /// [`Step::Unresolved`], why it did not resolve (no error names such a step: a value that
    /// reaches it is left to the JSON route first).
    pub(crate) fn kind_name(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            Step::Null => "null",
            Step::Boolean => "boolean",
            Step::Int => "int",
            Step::Long => "long",
            Step::Float => "float",
            Step::Double => "double",
            Step::String { .. } => "string",
            Step::Bytes { .. } => "bytes",
            Step::Array(_) => "array",
            Step::Map(_) => "map",
            Step::Union(_) => "union",
            Step::Fixed { name, .. } | Step::Unresolved(name) => name,
            Step::Enum(e) => &e.name,
            Step::Record(r) => &r.full_name,
        })
    }
}

struct Builder<'s> {
    avro: &'s AvroSchema,
    names: Option<Names<'s>>,
    steps: Vec<Step>,
    /// Named types already added, by the address of their definition.
    named: HashMap<*const Schema, StepId>,
}

impl<'s> Builder<'s> {
    /// Adds `schema` and what it holds; answers its index.
    fn add(&mut self, schema: &'s Schema) -> StepId {
        let schema = match self.follow(schema) {
            Ok(schema) => schema,
            Err(reason) => return self.push(Step::Unresolved(reason.into())),
        };
        let key: *const Schema = schema;
        if let Some(&id) = self.named.get(&key) {
            return id;
        }
        // Named types are registered before their contents, so a record that holds itself
        // (through a reference) points back here.
        let id = self.push(Step::Null);
        if matches!(
            underlying(schema),
            Underlying::Record(_) | Underlying::Enum(_) | Underlying::Fixed(_)
        ) {
            self.named.insert(key, id);
        }
        let step = match underlying(schema) {
            Underlying::Null => Step::Null,
            Underlying::Boolean => Step::Boolean,
            Underlying::Int => Step::Int,
            Underlying::Long => Step::Long,
            Underlying::Float => Step::Float,
            Underlying::Double => Step::Double,
            Underlying::String => Step::String {
                read_back: read_back(schema),
            },
            Underlying::Bytes => Step::Bytes {
                read_back: read_back(schema),
            },
            Underlying::Fixed(fixed) => Step::Fixed {
                size: fixed.size,
                name: fixed.name.fullname(None).into(),
            },
            Underlying::Enum(e) => Step::Enum(Box::new(EnumStep {
                name: e.name.fullname(None).into(),
                symbols: e.symbols.clone(),
            })),
            Underlying::Array(items) => Step::Array(self.add(items)),
            Underlying::Map(values) => Step::Map(self.add(values)),
            Underlying::Union(union) => {
                let variants = union.variants();
                let branches = variants.iter().map(|v| self.add(v)).collect();
                let expected: Vec<String> = variants.iter().map(kind_name).collect();
                // The first branch that is `wanted`, when no branch before it could take
                // the value first or fail to resolve.
                let first = |wanted: fn(&Schema) -> bool| {
                    let passed = |v: &Schema| {
                        matches!(
                            underlying(v),
                            Underlying::Null
                                | Underlying::Boolean
                                | Underlying::Int
                                | Underlying::Long
                                | Underlying::Float
                                | Underlying::Double
                                | Underlying::Bytes
                                | Underlying::Array(_)
                                | Underlying::Map(_)
                        )
                    };
                    let at = variants.iter().position(|v| wanted(v) || !passed(v))?;
                    wanted(&variants[at]).then_some(at as u32)
                };
                Step::Union(Box::new(UnionStep {
                    branches,
                    expected: expected.join(", ").into(),
                    has_array: variants.iter().any(|v| matches!(v, Schema::Array(_))),
                    has_map: variants.iter().any(|v| matches!(v, Schema::Map(_))),
                    null: first(|v| matches!(underlying(v), Underlying::Null)),
                    plain_string: first(|v| {
                        matches!(underlying(v), Underlying::String) && read_back(v).is_none()
                    }),
                }))
            }
            Underlying::Record(record) => {
                let fields = record
                    .fields
                    .iter()
                    .map(|field| FieldStep {
                        name: field.name.as_str().into(),
                        step: self.add(&field.schema),
                        default: self.default(field),
                        seen: AtomicUsize::new(0),
                    })
                    .collect();
                Step::Record(Box::new(RecordStep {
                    full_name: record.name.fullname(None).into(),
                    name: record.name.name().into(),
                    fields,
                    lookup: record
                        .lookup
                        .iter()
                        .map(|(name, &i)| (name.as_str().into(), i))
                        .collect(),
                }))
            }
            Underlying::Ref(_) => unreachable!("references are followed above"),
        };
        self.steps[id as usize] = step;
        id
    }

    fn push(&mut self, step: Step) -> StepId {
        let id = StepId::try_from(self.steps.len()).expect("fewer than 2^32 schema nodes");
        self.steps.push(step);
        id
    }

    /// Follows references to their definition.
    fn follow(&mut self, schema: &'s Schema) -> Result<&'s Schema, String> {
        let mut current = schema;
        for _ in 0..64 {
            let Schema::Ref { name } = current else {
                return Ok(current);
            };
            let avro = self.avro;
            let names = self.names.get_or_insert_with(|| named_types(avro));
            current = names
                .get(&Cow::Borrowed(name))
                .copied()
                .ok_or_else(|| format!("unknown type {name}"))?;
        }
        Err("reference loop".into())
    }

    fn default(&self, field: &RecordField) -> Option<Result<Box<[u8]>, String>> {
        field.default.as_ref()?;
        let mut out = Vec::new();
        Some(
            write_default(self.avro, field, &mut out)
                .map(|()| out.into_boxed_slice())
                .map_err(|e| e.message),
        )
    }
}

/// The schema to decode a written string or bytes value with, for the logical types whose
/// reader checks more than the encoding (`logical::check_encoded`).
fn read_back(schema: &Schema) -> Option<Box<Schema>> {
    matches!(schema, Schema::BigDecimal | Schema::Uuid(_)).then(|| Box::new(schema.clone()))
}
