//! Content keys of stored schemas: a 64-bit hash of what Confluent's `canLookup` compares
//! besides the metadata (format, text, references and rule set), per schema id, so that the
//! look-up of a submitted schema among a subject's versions (`can_lookup_among`) passes over
//! the versions whose schema differs without fetching each one from the schema cache.
//!
//! An id's content never changes while the id exists, so a key stays right until the id is
//! removed ([`ContentKeys::forget`], with every hard delete). A missing key only means the
//! full comparison runs; equal keys always lead to it.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::RwLock;

use warden_core::SchemaId;
use warden_storage::{NewSchema, StoredSchema};

/// Keys kept at most (16 bytes each); past it the map starts again empty.
const MAX_KEYS: usize = 1 << 20;

/// Content keys by schema id.
#[derive(Debug, Default)]
pub(super) struct ContentKeys {
    keys: RwLock<HashMap<SchemaId, u64>>,
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

    /// The key of a stored schema.
    pub(super) fn of_stored(schema: &StoredSchema) -> u64 {
        key(
            schema.schema_type.as_str(),
            &schema.schema,
            &schema.references,
            schema.rule_set.as_ref(),
        )
    }

    /// The key of schema `id`, when known.
    pub(super) fn get(&self, id: SchemaId) -> Option<u64> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .copied()
    }

    /// Keeps the key of schema `id`.
    pub(super) fn keep(&self, id: SchemaId, key: u64) {
        let mut keys = self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(id, key);
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
    let mut h = std::hash::DefaultHasher::new();
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
