//! What the look-ups of a registration need to know of each stored schema, per schema id:
//! a 64-bit hash of what Confluent's `canLookup` compares besides the metadata (format,
//! text, references and rule set), and whether it is an Avro schema with references. The
//! look-ups of a submitted schema among a subject's versions (`can_lookup_among`,
//! `version_with_references_inlined`) pass over the versions that cannot match without
//! fetching each one's schema from the schema cache.
//!
//! An id's content never changes while the id exists, so a key stays right until the id is
//! removed ([`ContentKeys::forget`], with every hard delete). A missing key only means the
//! full comparison runs; equal keys always lead to it.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::RwLock;

use warden_core::SchemaId;
use warden_storage::{NewSchema, StoredSchema};

/// Keys kept at most (16 bytes each); past it the map starts again empty.
const MAX_KEYS: usize = 1 << 20;

/// What is known of one stored schema's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Content {
    /// The hash of its format, text, references and rule set.
    pub(super) key: u64,
    /// Whether it is an Avro schema with references.
    pub(super) avro_with_references: bool,
}

/// Content keys by schema id.
#[derive(Debug, Default)]
pub(super) struct ContentKeys {
    keys: RwLock<HashMap<SchemaId, Content>>,
}

impl ContentKeys {
    /// The key of a submitted schema.
    pub(super) fn of_new(schema: &NewSchema) -> u64 {
        key(
            schema.schema_type.as_str(),
            &schema.schema,
            &schema.references,
            schema.rule_set.as_ref(),
        )
    }

    /// What a stored schema's content is.
    pub(super) fn of_stored(schema: &StoredSchema) -> Content {
        Content {
            key: key(
                schema.schema_type.as_str(),
                &schema.schema,
                &schema.references,
                schema.rule_set.as_ref(),
            ),
            avro_with_references: schema.schema_type == warden_core::SchemaType::Avro
                && !schema.references.is_empty(),
        }
    }

    /// What schema `id`'s content is, when known.
    pub(super) fn get(&self, id: SchemaId) -> Option<Content> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .copied()
    }

    /// Keeps what schema `id`'s content is.
    pub(super) fn keep(&self, id: SchemaId, content: Content) {
        let mut keys = self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(id, content);
    }

    /// Forgets the keys of removed schemas (an id imported again may hold other content).
    pub(super) fn forget(&self, ids: &[SchemaId]) {
        let mut keys = self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in ids {
            keys.remove(id);
        }
    }
}

fn key(
    schema_type: &str,
    schema: &str,
    references: &[warden_core::api::SchemaReference],
    rule_set: Option<&serde_json::Value>,
) -> u64 {
    // Equal keys lead to the full comparison, so the hash needs speed more than resistance
    // to chosen collisions: foldhash, about ten times SipHash's speed on schema texts.
    let mut h = foldhash::quality::FixedState::with_seed(0).build_hasher();
    schema_type.hash(&mut h);
    schema.hash(&mut h);
    references.len().hash(&mut h);
    for r in references {
        r.name.hash(&mut h);
        r.subject.hash(&mut h);
        r.version.hash(&mut h);
    }
    rule_set.map(ToString::to_string).hash(&mut h);
    h.finish()
}
