//! JSON Schema: parsing with in-memory references, canonical and normalized text, payload
//! validation, and Confluent's compatibility rules ([`compat`]).
//!
//! Validation uses the `jsonschema` crate, built without its network features: a `$ref` is
//! resolved inside the schema, against one of the schema's registered references, or against
//! the drafts' own meta-schemas that the crate embeds, and is never fetched.

pub mod compat;
mod model;
mod rules;
mod subset;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::schema::{ResolvedReference, SchemaError};
use crate::types::SchemaType;

pub use compat::{Difference, DifferenceType};
pub use subset::Verdict;

/// The base URI of a schema that declares no `$id`. Relative `$ref`s, and the names of
/// references, resolve against it (crates.md §3: the "base URI trick"), so a reference named
/// `address.json` is the document `mem://warden/address.json`. Confluent does the same with
/// `mem://input` (`JsonSchema.DEFAULT_BASE_URI`).
const ROOT_BASE_URI: &str = "mem://warden/__root__.json";

/// A JSON Schema draft, chosen by `$schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonSchemaDraft {
    /// `http://json-schema.org/draft-04/schema#`
    Draft4,
    /// `http://json-schema.org/draft-06/schema#`
    Draft6,
    /// `http://json-schema.org/draft-07/schema#`, also the draft of a schema without
    /// `$schema` or with a `$schema` Warden does not know (Confluent
    /// `SpecificationVersion.DRAFT_7` default in `JsonSchema.rawSchema()`).
    Draft7,
    /// `https://json-schema.org/draft/2019-09/schema`
    Draft201909,
    /// `https://json-schema.org/draft/2020-12/schema`
    Draft202012,
}

impl JsonSchemaDraft {
    /// The draft a `$schema` value names: http or https, with or without the trailing `#`.
    /// Anything else, and no `$schema` at all, is draft 7, as in Confluent.
    pub fn from_schema_keyword(value: Option<&Value>) -> Self {
        let Some(Value::String(uri)) = value else {
            return Self::Draft7;
        };
        let uri = uri.trim_end_matches('#');
        let uri = uri
            .strip_prefix("https://")
            .or_else(|| uri.strip_prefix("http://"))
            .unwrap_or(uri);
        match uri {
            "json-schema.org/draft-04/schema" => Self::Draft4,
            "json-schema.org/draft-06/schema" => Self::Draft6,
            "json-schema.org/draft/2019-09/schema" => Self::Draft201909,
            "json-schema.org/draft/2020-12/schema" => Self::Draft202012,
            _ => Self::Draft7,
        }
    }

    fn to_jsonschema(self) -> jsonschema::Draft {
        match self {
            Self::Draft4 => jsonschema::Draft::Draft4,
            Self::Draft6 => jsonschema::Draft::Draft6,
            Self::Draft7 => jsonschema::Draft::Draft7,
            Self::Draft201909 => jsonschema::Draft::Draft201909,
            Self::Draft202012 => jsonschema::Draft::Draft202012,
        }
    }

    /// The keyword that gives a schema its identifier (its base URI, or an anchor when it is
    /// only a fragment): `id` in draft 4, `$id` from draft 6 on.
    pub fn id_keyword(self) -> &'static str {
        match self {
            Self::Draft4 => "id",
            Self::Draft6 | Self::Draft7 | Self::Draft201909 | Self::Draft202012 => "$id",
        }
    }

    /// Whether this is draft 2019-09 or later (`$defs`, `$anchor`, `dependentRequired`,
    /// `unevaluated*`, `$ref` beside other keywords).
    fn is_modern(self) -> bool {
        matches!(self, Self::Draft201909 | Self::Draft202012)
    }
}

/// One reason a JSON document is not valid under a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// JSON pointer into the document, e.g. `/items/0/email`; empty for the document itself.
    pub instance_path: String,
    /// Where in the schema the failing keyword is, as a URI fragment through any `$ref`
    /// followed on the way, e.g. `#/properties/address/$ref/properties/zip/pattern`.
    pub schema_path: String,
    /// What is wrong, e.g. `"abc" is not a "email"`.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "{at}: {} (schema {})", self.message, self.schema_path)
    }
}

/// A parsed JSON Schema with its references: the compiled validator (built once, here), the
/// subset validator when the schema is within its subset, and the schema model the
/// compatibility rules compare.
#[derive(Clone)]
pub struct JsonSchema {
    draft: JsonSchemaDraft,
    canonical: String,
    validator: Arc<jsonschema::Validator>,
    /// Warden's own validator for the keywords of `subset`; `None` outside them.
    subset: Option<Arc<subset::Subset>>,
    model: Arc<model::Model>,
}

impl fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonSchema")
            .field("draft", &self.draft)
            .field("canonical", &self.canonical)
            .finish_non_exhaustive()
    }
}

impl JsonSchema {
    /// Parses a JSON Schema. `references` is the transitive closure of the schema's
    /// references; each reference's `name` is the `$ref` URL as the schema writes it
    /// (`address.json`, `https://example.com/address.json`), resolved against the schema's
    /// `$id` (or `mem://warden/__root__.json` without one), as Confluent's
    /// `JsonSchema.loadPreviousDraft` registers them.
    ///
    /// The draft comes from `$schema` ([`JsonSchemaDraft::from_schema_keyword`]). The schema is
    /// validated against its draft's meta-schema, and every `$ref` must resolve: locally
    /// (`#/definitions/x`, an embedded `$id` or anchor), to a reference, or to a draft's
    /// meta-schema. Nothing is ever fetched over the network.
    ///
    /// Errors ([`SchemaError::Invalid`]): text that is not JSON (or nests deeper than
    /// `serde_json`'s limit of 128 levels), a reference that is not JSON Schema or not JSON, a
    /// meta-schema violation (the message names the failing location as `#/…`), a `$ref` that
    /// does not resolve, and a `pattern` that is not a regular expression.
    pub fn parse(text: &str, references: &[ResolvedReference]) -> Result<Self, SchemaError> {
        let root: Value = serde_json::from_str(text)
            .map_err(|e| SchemaError::Invalid(format!("not valid JSON: {e}")))?;
        // A document is an object or a boolean (`true` accepts everything, `false` nothing);
        // Confluent's `JsonSchema.rawSchema()` refuses anything else with this message.
        let found = match &root {
            Value::Object(_) | Value::Bool(_) => None,
            Value::Array(_) => Some("ARRAY"),
            Value::Number(_) => Some("NUMBER"),
            Value::String(_) => Some("STRING"),
            Value::Null => Some("NULL"),
        };
        if let Some(found) = found {
            return Err(SchemaError::Invalid(format!(
                "Invalid JSON schema: expected an object or boolean at the root, found {found}"
            )));
        }
        let draft = match &root {
            Value::Object(map) => JsonSchemaDraft::from_schema_keyword(map.get("$schema")),
            _ => JsonSchemaDraft::Draft7,
        };
        // References resolve against the schema's `$id`, as Confluent registers them
        // (`JsonSchema.loadPreviousDraft`), and also against the default base: before 2019-09 a
        // `$ref` beside `$id` makes the validator ignore that `$id`, as the drafts say.
        let mut bases = vec![root_base_uri(&root, draft)];
        if bases[0] != ROOT_BASE_URI {
            bases.push(ROOT_BASE_URI.to_owned());
        }
        let mut documents = Vec::with_capacity(references.len());
        for r in references {
            if r.schema_type != SchemaType::Json {
                return Err(SchemaError::Invalid(format!(
                    "reference {} is a {} schema, not JSON Schema",
                    r.name,
                    r.schema_type.as_str()
                )));
            }
            let value: Value = serde_json::from_str(&r.schema).map_err(|e| {
                SchemaError::Invalid(format!("reference {} is not valid JSON: {e}", r.name))
            })?;
            let mut uris: Vec<String> = Vec::with_capacity(bases.len());
            for base in &bases {
                let uri = resolve_uri(base, &r.name).ok_or_else(|| {
                    SchemaError::Invalid(format!("reference name {} is not a URI", r.name))
                })?;
                let uri = strip_fragment(&uri).to_owned();
                if !uris.contains(&uri) {
                    uris.push(uri);
                }
            }
            documents.push((uris, value));
        }
        let retriever = MemoryRetriever {
            documents: documents
                .iter()
                .flat_map(|(uris, value)| uris.iter().map(|uri| (uri.clone(), value.clone())))
                .collect(),
        };
        let validator = jsonschema::options()
            .with_draft(draft.to_jsonschema())
            .with_base_uri(ROOT_BASE_URI)
            .with_retriever(retriever)
            .build(&root)
            .map_err(|e| SchemaError::Invalid(build_error_message(&e)))?;
        let canonical = root.to_string();
        // A `$ref` into another document (a reference) is outside the subset.
        let subset = subset::Subset::compile(&root, draft).ok().map(Arc::new);
        let model = model::Model::build(root, draft, documents);
        Ok(Self {
            draft,
            canonical,
            validator: Arc::new(validator),
            subset,
            model: Arc::new(model),
        })
    }

    /// The draft the schema is written in.
    pub fn draft(&self) -> JsonSchemaDraft {
        self.draft
    }

    /// The schema as JSON.
    pub fn value(&self) -> &Value {
        self.model.root_value()
    }

    /// Confluent's `validateFields` check (`JsonSchema.validate(true)`): when the root is an
    /// object schema (everit's `ObjectSchema`: `type` absent or `object`, object keywords,
    /// no combinator or `$ref` wrapping it), none of its `properties` may start with `$$`.
    ///
    /// Errors ([`SchemaError::Invalid`]): everit's message for the first such property,
    /// `#: Field names cannot start with $$ prefix`.
    pub fn validate_field_names(&self) -> Result<(), SchemaError> {
        let Value::Object(root) = self.value() else {
            return Ok(());
        };
        let object_type = match root.get("type") {
            None => true,
            Some(Value::String(t)) => t == "object",
            Some(_) => false,
        };
        let wrapped = ["allOf", "anyOf", "oneOf", "not", "$ref", "if"]
            .iter()
            .any(|k| root.contains_key(*k));
        let Some(Value::Object(properties)) = root.get("properties") else {
            return Ok(());
        };
        if object_type && !wrapped && properties.keys().any(|k| k.starts_with("$$")) {
            return Err(SchemaError::Invalid(
                "#: Field names cannot start with $$ prefix".into(),
            ));
        }
        Ok(())
    }

    /// The schema as given minus insignificant whitespace, keys in their original order
    /// (Confluent's `JsonSchema.canonicalString()`: Jackson writes the parsed tree back
    /// compactly). This is the text stored and returned.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The normalized text (`normalize=true`): the canonical text with the keys of every
    /// object sorted, recursively (Confluent's `JsonSchema.normalize()`, which re-reads the
    /// schema with Jackson's `ORDER_MAP_ENTRIES_BY_KEYS`). Array order is kept.
    pub fn normalized(&self) -> String {
        sort_keys(self.value()).to_string()
    }

    /// Validates a document and returns every error, each with its instance path, schema path
    /// and message. The validator was compiled when the schema was parsed, so a cache of
    /// parsed schemas is a cache of compiled validators.
    pub fn validate(&self, value: &Value) -> Result<(), Vec<ValidationError>> {
        let errors: Vec<ValidationError> = self
            .validator
            .iter_errors(value)
            .map(|e| ValidationError {
                instance_path: e.instance_path().to_string(),
                schema_path: format!("#{}", e.evaluation_path()),
                message: e.to_string(),
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Whether a document is valid: [`JsonSchema::validate`] without collecting errors, by
    /// `jsonschema`'s short-circuiting check. (On a document already in memory it is faster
    /// than Warden's subset walk, which pays off on text: [`JsonSchema::subset_check_text`].)
    pub fn is_valid(&self, value: &Value) -> bool {
        self.validator.is_valid(value)
    }

    /// Whether Warden's own validator covers this schema (its keywords are within the subset
    /// `warden_core::json::subset` describes: `type`, `enum`, `const`, `properties`,
    /// `required`, `additionalProperties`, `items`, bounds, `pattern`, `format`, local
    /// `$ref`s, …). When it does not, the `subset_check_*` methods answer
    /// [`Verdict::Unknown`].
    pub fn has_subset_validator(&self) -> bool {
        self.subset.is_some()
    }

    /// Checks one JSON text (UTF-8 bytes, as `serde_json` writes them) against the schema as
    /// it is parsed, building no document: [`Verdict::Valid`] and [`Verdict::Invalid`] are
    /// the verdicts `jsonschema` gives (held to it by a differential test); text that is not
    /// JSON, a schema outside the subset, and corners the subset leaves to `jsonschema` are
    /// [`Verdict::Unknown`]. No error is built: ask [`JsonSchema::validate`] for one.
    pub fn subset_check_text(&self, text: &[u8]) -> Verdict {
        match &self.subset {
            Some(subset) => subset.check_slice(text),
            None => Verdict::Unknown,
        }
    }

    /// [`JsonSchema::subset_check_text`] for a Rust value, checked from its own `Serialize`
    /// calls, with no JSON written or read: the document checked is the one
    /// `serde_json::to_value(value)` would build, and [`Verdict::Valid`] and
    /// [`Verdict::Invalid`] are `jsonschema`'s verdicts on it. Shapes `serde_json` builds in
    /// ways the check does not follow (tuple and struct enum variants, map keys other than
    /// strings, chars, integers and unit variants, integers past 64 bits) are
    /// [`Verdict::Unknown`], as are `f32`s with a fraction (written in their shortest decimal
    /// form, which is not the widened `f64`) and an error raised by the value's own
    /// `Serialize`.
    pub fn subset_check_serde<T: serde::Serialize + ?Sized>(&self, value: &T) -> Verdict {
        match &self.subset {
            Some(subset) => subset.check_serde(value),
            None => Verdict::Unknown,
        }
    }

    /// [`JsonSchema::subset_check_text`] for a document already in memory.
    pub fn subset_check_value(&self, value: &Value) -> Verdict {
        match &self.subset {
            Some(subset) => subset.check_value(value),
            None => Verdict::Unknown,
        }
    }

    /// Whether `jsonschema` alone finds the document valid (the reference the subset
    /// validator is tested against).
    pub fn is_valid_by_jsonschema(&self, value: &Value) -> bool {
        self.validator.is_valid(value)
    }

    pub(crate) fn model(&self) -> &model::Model {
        &self.model
    }
}

/// Serves the references from memory; any other URI is refused, so a `$ref` that is neither
/// local nor a reference fails the parse and nothing is fetched.
struct MemoryRetriever {
    documents: HashMap<String, Value>,
}

impl jsonschema::Retrieve for MemoryRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let key = strip_fragment(uri.as_str());
        self.documents.get(key).cloned().ok_or_else(|| {
            format!(
                "'{key}' is neither inside the schema nor one of its references \
                 (Warden never fetches schemas)"
            )
            .into()
        })
    }
}

/// The message of a build error: meta-schema violations name the location in the schema.
fn build_error_message(e: &jsonschema::ValidationError<'_>) -> String {
    match e.kind() {
        jsonschema::error::ValidationErrorKind::Referencing(r) => {
            format!("unresolvable $ref: {r}")
        }
        _ => format!("{e} at '#{}'", e.instance_path()),
    }
}

/// The base URI of the root schema: its identifier ([`JsonSchemaDraft::id_keyword`])
/// resolved against [`ROOT_BASE_URI`].
pub(crate) fn root_base_uri(root: &Value, draft: JsonSchemaDraft) -> String {
    root.get(draft.id_keyword())
        .and_then(Value::as_str)
        .filter(|id| !id.starts_with('#'))
        .and_then(|id| resolve_uri(ROOT_BASE_URI, id))
        .map(|u| strip_fragment(&u).to_owned())
        .unwrap_or_else(|| ROOT_BASE_URI.to_owned())
}

/// Resolves `reference` against the absolute URI `base` (RFC 3986, as the validator does).
pub(crate) fn resolve_uri(base: &str, reference: &str) -> Option<String> {
    let base = jsonschema::uri::from_str(base).ok()?;
    jsonschema::uri::resolve_against(&base.borrow(), reference)
        .ok()
        .map(|u| u.as_str().to_owned())
}

pub(crate) fn strip_fragment(uri: &str) -> &str {
    uri.split_once('#').map_or(uri, |(before, _)| before)
}

/// A copy of `value` with the keys of every object sorted.
fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let mut out = Map::with_capacity(entries.len());
            for (k, v) in entries {
                out.insert(k.clone(), sort_keys(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod document_tests {
    use super::*;

    #[test]
    fn boolean_documents_are_schemas_and_other_scalars_are_not() {
        let t = JsonSchema::parse("true", &[]).unwrap();
        assert_eq!(t.canonical(), "true");
        assert!(t.is_valid(&serde_json::json!({"any": 1})));
        let f = JsonSchema::parse(" false ", &[]).unwrap();
        assert_eq!(f.canonical(), "false");
        assert!(!f.is_valid(&serde_json::json!(1)));
        for text in ["42", "\"x\"", "null", "[]"] {
            let e = JsonSchema::parse(text, &[]).unwrap_err();
            assert!(
                e.to_string()
                    .contains("expected an object or boolean at the root"),
                "{text}: {e}"
            );
        }
    }
}
