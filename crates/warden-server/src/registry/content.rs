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
use warden_storage::{NewSchema, StoredSchema, VersionRow};

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

/// Content keys by schema id. A look-up passes over every version of a subject, so the map
/// hashes ids with foldhash, randomly seeded, which is faster than SipHash on integers.
#[derive(Debug, Default)]
pub(super) struct ContentKeys {
    keys: RwLock<HashMap<SchemaId, Content, foldhash::fast::RandomState>>,
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

    /// The versions of `rows` (oldest first) that a look-up must fetch, newest first, with
    /// what is known of their content: those whose content is unknown, or known and
    /// accepted by `may_match`. The keys are read once for all of them. For a schema that
    /// no version holds (a new registration), only the versions whose content is not known
    /// yet are returned: after a start, or those another replica wrote.
    pub(super) fn to_fetch<'r>(
        &self,
        rows: &'r [VersionRow],
        may_match: impl Fn(Content) -> bool,
    ) -> Vec<(&'r VersionRow, Option<Content>)> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rows.iter()
            .rev()
            .filter_map(|row| match keys.get(&row.schema_id) {
                Some(&known) if !may_match(known) => None,
                known => Some((row, known.copied())),
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use warden_core::Version;

    fn row(version: i64, id: i64) -> VersionRow {
        VersionRow {
            version: Version::new(version).unwrap(),
            schema_id: SchemaId::new(id).unwrap(),
            deleted: false,
            created_at: 0,
        }
    }

    fn content(key: u64) -> Content {
        Content {
            key,
            avro_with_references: false,
        }
    }

    #[test]
    fn a_look_up_fetches_the_versions_it_cannot_rule_out_newest_first() {
        let keys = ContentKeys::default();
        keys.keep(SchemaId::new(1).unwrap(), content(7));
        keys.keep(SchemaId::new(2).unwrap(), content(9));
        keys.keep(SchemaId::new(4).unwrap(), content(7));
        let rows = [row(1, 1), row(2, 2), row(3, 3), row(4, 4)];
        let fetched: Vec<(u32, Option<u64>)> = keys
            .to_fetch(&rows, |known| known.key == 7)
            .into_iter()
            .map(|(r, known)| (r.schema_id.get(), known.map(|c| c.key)))
            .collect();
        // Version 2's content is known to differ; version 3's is not known.
        assert_eq!(fetched, [(4, Some(7)), (3, None), (1, Some(7))]);
        // A schema no version holds: only the unknown version is fetched.
        let fetched: Vec<u32> = keys
            .to_fetch(&rows, |known| known.key == 8)
            .into_iter()
            .map(|(r, _)| r.schema_id.get())
            .collect();
        assert_eq!(fetched, [3]);
        keys.forget(&[SchemaId::new(2).unwrap()]);
        assert_eq!(keys.to_fetch(&rows, |known| known.key == 8).len(), 2);
    }
}
