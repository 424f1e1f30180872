//! [`SchemaSubmission`]: the typed body of a registration, lookup or compatibility check,
//! built at the HTTP edge from Confluent's `RegisterSchemaRequest`.

use serde_json::Value;
use warden_core::api::RegisterSchemaRequest;
use warden_core::tags::TagMap;
use warden_core::{Context, SchemaType, Subject, VersionSelector};

use crate::error::{Error, Result};

/// A schema submitted for register, lookup or a compatibility check, with every field
/// parsed: the format, and references with a typed subject and version.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaSubmission {
    /// The schema text as sent (may be empty; the registry answers 42201 "Empty schema"
    /// after checking the mode, as Confluent does).
    pub schema: String,
    /// The format (`AVRO` when `schemaType` is absent).
    pub schema_type: SchemaType,
    /// References, in the order given.
    pub references: Vec<ReferenceSpec>,
    /// Data-contract metadata in Confluent's canonical form (sorted, empty parts left out).
    pub metadata: Option<Value>,
    /// Data-contract rule set in Confluent's canonical form (rule defaults filled in).
    pub rule_set: Option<Value>,
    /// The id asked for; honoured only in IMPORT mode (42205 otherwise).
    pub id: Option<i64>,
    /// The version asked for; honoured only in IMPORT mode (ignored otherwise).
    pub version: Option<i64>,
    /// The context of the subject it is submitted under: its references name subjects of
    /// that context unless qualified, and its identity is the context's (each context has
    /// its own ids). The default context until `SchemaSubmission::under` places it.
    pub context: Context,
    /// Tags to write into the schema before registering it (`schemaTagsToAdd`).
    pub tags_to_add: TagMap,
    /// Tags to take out of it (`schemaTagsToRemove`).
    pub tags_to_remove: TagMap,
    /// `propagateSchemaTags`: the latest version's tags are written into the schema too.
    pub propagate_tags: bool,
    /// Checked with the config's `validateFields` (off until
    /// `SchemaSubmission::validating_fields` sets it): see
    /// `warden_core::schema::ParseOptions::validate_fields`.
    pub validate_fields: bool,
}

/// A reference as submitted: the name the schema uses, and the subject version it names
/// (`-1` is the latest live version, pinned at registration).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferenceSpec {
    /// Avro full name, Protobuf import path, or JSON Schema `$ref` URL.
    pub name: String,
    /// The subject the referenced schema is registered under.
    pub subject: Subject,
    /// The version under that subject.
    pub version: VersionSelector,
}

impl SchemaSubmission {
    /// Parses Confluent's request body.
    ///
    /// The body's shapes and coercions (a `metadata` that is not an object, `"version": "1"`)
    /// were settled when it was read ([`warden_core::jackson`]).
    ///
    /// Errors: 400 for metadata or a rule set of a shape Jackson cannot map; 42201 for a
    /// `schemaType` other than
    /// `AVRO`, `PROTOBUF` or `JSON` (exact case, as Confluent), or a reference whose subject
    /// or version is invalid.
    pub fn from_request(request: RegisterSchemaRequest) -> Result<Self> {
        let schema_type = match request.schema_type.as_deref() {
            None => SchemaType::Avro,
            Some(t) => SchemaType::from_confluent_name(t)
                .ok_or_else(|| Error::InvalidSchema(format!("Invalid schema type {t}")))?,
        };
        let references = request
            .references
            .into_iter()
            .map(|r| {
                let invalid = |e: warden_core::types::ParseError| {
                    Error::InvalidSchema(format!("Invalid reference {}: {e}", r.name))
                };
                Ok(ReferenceSpec {
                    subject: Subject::parse(&r.subject).map_err(invalid)?,
                    version: VersionSelector::from_number(i64::from(r.version)).map_err(invalid)?,
                    name: r.name,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            schema: request.schema.unwrap_or_default(),
            schema_type,
            references,
            metadata: super::contract::canonical_metadata(request.metadata.as_ref())?,
            rule_set: super::contract::canonical_rule_set(request.rule_set.as_ref())?,
            id: request.id,
            version: request.version,
            context: Context::default_context(),
            tags_to_add: TagMap::from_list(&request.schema_tags_to_add),
            tags_to_remove: TagMap::from_list(&request.schema_tags_to_remove),
            propagate_tags: request.propagate_schema_tags == Some(true),
            validate_fields: false,
        })
    }

    /// The submission as made under `subject`, in the subject's context.
    pub(super) fn under(self, subject: &Subject) -> Self {
        Self {
            context: subject.context(),
            ..self
        }
    }

    /// The submission checked with Confluent's `validateFields` when `on`: the subject's
    /// config has it and the mode is not IMPORT (`AbstractSchemaRegistry
    /// .maybeValidateAndNormalizeSchema`, on registrations, lookups and compatibility checks).
    pub(super) fn validating_fields(self, on: bool) -> Self {
        Self {
            validate_fields: on,
            ..self
        }
    }

    /// A cache key of everything that decides which schema this submission means, read as
    /// new (`as_new`) or as stored: the SHA-256 of those fields, hashed as they are
    /// written (the schema is not copied); `None` when a reference floats (`-1`), since
    /// then the same text can mean another schema later.
    pub(super) fn identity_key(&self, normalize: bool, as_new: bool) -> Option<[u8; 32]> {
        use sha2::{Digest, Sha256};
        use std::fmt::Write as _;
        if self
            .references
            .iter()
            .any(|r| r.version == VersionSelector::Latest)
        {
            return None;
        }
        let mut hash = HashWriter(Sha256::new());
        hash.0.update([u8::from(as_new)]);
        // Fields apart by NUL; the context and a reference's name and subject, which may
        // hold any character, each after its length, so that no two submissions write the
        // same bytes.
        let context = self.context.name();
        let _ = write!(
            hash,
            "{normalize}\0{}\0{}:{context}{}\0{}\0",
            self.validate_fields,
            context.len(),
            self.schema_type.as_str(),
            self.references.len()
        );
        for r in &self.references {
            let subject = r.subject.as_str();
            let _ = write!(
                hash,
                "{}:{}{}:{}{}\0",
                r.name.len(),
                r.name,
                subject.len(),
                subject,
                r.version
            );
        }
        for part in [&self.metadata, &self.rule_set] {
            hash.0.update(b"\0");
            if let Some(value) = part {
                // Writing to a hasher cannot fail.
                let _ = serde_json::to_writer(&mut hash, value);
            }
        }
        hash.0.update(b"\0");
        hash.0.update(self.schema.as_bytes());
        Some(hash.0.finalize().into())
    }
}

impl super::Registry {
    /// The submission `body` was read as when it came before, if it is cached: a
    /// serializer sends the same lookup or registration body at every start, and reading
    /// it (JSON with the schema as an escaped string, Jackson's mapping, the canonical
    /// metadata and rule set) was a fifth of a lookup's CPU. Counted as the `request_body`
    /// cache in `warden_cache_requests_total`.
    pub(crate) fn known_submission(&self, body: &bytes::Bytes) -> Option<SchemaSubmission> {
        // A body over the per-entry share is never kept, so not looked for either.
        if !self.request_bodies.takes(body.len() as u64) {
            return None;
        }
        let known = self.request_bodies.get(body);
        self.metrics
            .count_cache_lookup(crate::metrics::CacheName::RequestBody, known.is_some());
        known.map(|known| known.submission.clone())
    }

    /// Caches what `body` was read as, for [`Self::known_submission`], when this is the
    /// second time it is read (not the first: see `cache::SeenOnce`). Only a body read
    /// without error is kept, as read (before it is placed under a subject), and not one
    /// with tags to add or remove (rare, and their weight is not estimated). The key is a
    /// copy of the body, so that it does not hold the connection's read buffer.
    pub(crate) fn keep_submission(&self, body: &[u8], submission: &SchemaSubmission) {
        // A body over the per-entry share is never kept: neither copied nor noted.
        if !self.request_bodies.takes(body.len() as u64)
            || !submission.tags_to_add.is_empty()
            || !submission.tags_to_remove.is_empty()
            || !self.bodies_seen.again(body)
        {
            return;
        }
        self.request_bodies.insert(
            bytes::Bytes::copy_from_slice(body),
            std::sync::Arc::new(super::cache::KnownBody {
                body_bytes: body.len(),
                submission: submission.clone(),
            }),
        );
    }
}

/// Feeds what is written to it to a SHA-256 hasher.
struct HashWriter(sha2::Sha256);

impl std::fmt::Write for HashWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        sha2::Digest::update(&mut self.0, s.as_bytes());
        Ok(())
    }
}

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(&mut self.0, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use warden_core::api::{RegisterSchemaRequest, SchemaReference};

    use super::*;

    fn submission(references: &[(&str, &str, i32)]) -> SchemaSubmission {
        SchemaSubmission::from_request(RegisterSchemaRequest {
            schema: Some(r#""string""#.to_owned()),
            references: references
                .iter()
                .map(|(name, subject, version)| SchemaReference {
                    name: (*name).to_owned(),
                    subject: (*subject).to_owned(),
                    version: *version,
                })
                .collect(),
            ..RegisterSchemaRequest::default()
        })
        .unwrap()
    }

    #[test]
    fn the_identity_key_tells_apart_what_may_mean_another_schema() {
        let key = |s: &SchemaSubmission| s.identity_key(false, false).unwrap();
        let two = submission(&[("a", "s", 1), ("b", "t", 2)]);
        assert_eq!(key(&two), key(&submission(&[("a", "s", 1), ("b", "t", 2)])));
        // Separators inside a name cannot make one list of references read as another.
        let one = submission(&[("a\u{1}s\u{1}1\u{2}b", "t", 2)]);
        assert_ne!(key(&two), key(&one));
        assert_ne!(key(&two), key(&submission(&[("a", "s", 1), ("b", "t", 3)])));
        // Read as new and as stored are two keys, so are normalized and not.
        assert_ne!(key(&two), two.identity_key(false, true).unwrap());
        assert_ne!(key(&two), two.identity_key(true, false).unwrap());
        // A floating reference has no key.
        assert_eq!(
            submission(&[("a", "s", -1)]).identity_key(false, false),
            None
        );
    }
}
