//! The registry's in-memory caches, each bounded in bytes: `quick_cache`'s sharded
//! concurrent cache (CLOCK-Pro eviction: scan-resistant, a hit only sets a flag) with a
//! weigher that estimates what an entry holds in memory.
//! An entry heavier than a sixteenth of its cache's budget is not cached at all, so one
//! very large schema or request cannot push out everything else.

use std::hash::Hash;
use std::sync::Arc;

use serde_json::Value;
use warden_core::ParsedSchema;
use warden_core::api::SchemaReference;
use warden_storage::NewSchema;

use super::CachedSchema;

/// The memory budget of each of the registry's caches, in bytes of estimated heap use.
///
/// Each cache evicts its least useful entries to stay within its budget, and never takes
/// an entry weighing more than a sixteenth of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheBudget {
    /// Stored schemas by id: text, references, metadata, rule set and the rendered
    /// `GET /schemas/ids/{id}` body. Default 128 MiB. The rendered bodies of subject
    /// versions are a second cache with the same budget.
    pub schemas_bytes: u64,
    /// Parsed schemas for compatibility checks, each estimated at four times its canonical
    /// text plus 1 KiB. Default 128 MiB.
    pub parsed_bytes: u64,
    /// Known requests: the hash of a submission and the stored form of the schema it
    /// means, so a schema sent again is not parsed again. Default 32 MiB. The ids of
    /// stored schemas by identity fingerprint, the verdicts of compatibility checks, the
    /// submissions read from request bodies, and the answers by request are four more
    /// caches with the same budget each.
    pub requests_bytes: u64,
}

impl CacheBudget {
    /// The defaults: 128 MiB of stored schemas, 128 MiB of parsed schemas, 32 MiB of
    /// known requests.
    pub const DEFAULT: Self = Self {
        schemas_bytes: 128 * 1024 * 1024,
        parsed_bytes: 128 * 1024 * 1024,
        requests_bytes: 32 * 1024 * 1024,
    };
}

impl Default for CacheBudget {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What each cache holds now, in the same estimated bytes as [`CacheBudget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheWeights {
    /// Stored schemas by id.
    pub schemas_bytes: u64,
    /// Parsed schemas.
    pub parsed_bytes: u64,
    /// Known requests.
    pub requests_bytes: u64,
    /// Rendered subject version bodies.
    pub version_bodies_bytes: u64,
    /// Ids of stored schemas by identity fingerprint.
    pub fingerprints_bytes: u64,
    /// Verdicts of compatibility checks.
    pub verdicts_bytes: u64,
    /// Submissions by the request body they were read from.
    pub request_bodies_bytes: u64,
    /// Answers by request (URL and body).
    pub answers_bytes: u64,
}

/// An entry may weigh at most this fraction of its cache's budget.
const ENTRY_SHARE: u64 = 16;

/// Fixed cost of an entry: the map slot, the `Arc`, the key and the cache's bookkeeping.
const ENTRY_OVERHEAD: u64 = 256;

/// A concurrent cache holding at most `budget` bytes, as `weigh` estimates them.
///
/// An entry's weight is taken when it is inserted and kept with it: a value that grows
/// later (a schema whose answer is rendered at its first read) is inserted again to be
/// weighed again.
pub(crate) struct ByteCache<K, V> {
    cache: quick_cache::sync::Cache<K, Weighed<V>, StoredWeight>,
    weigh: fn(&V) -> u64,
    max_entry: u64,
}

/// A value with the weight it had when inserted.
#[derive(Clone)]
struct Weighed<V> {
    value: V,
    weight: u64,
}

/// `quick_cache`'s weigher: the weight an entry was inserted with, which never changes
/// while the entry is held (as `quick_cache` requires).
#[derive(Clone)]
struct StoredWeight;

impl<K, V> quick_cache::Weighter<K, Weighed<V>> for StoredWeight {
    fn weight(&self, _: &K, entry: &Weighed<V>) -> u64 {
        entry.weight
    }
}

/// The entries a cache is sized for at first: its budget over this typical weight (the
/// table grows past it as entries come).
const TYPICAL_ENTRY: u64 = 4 * 1024;

impl<K, V> std::fmt::Debug for ByteCache<K, V>
where
    K: Hash + Eq,
    V: Clone,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteCache")
            .field("entries", &self.cache.len())
            .field("weighted_size", &self.cache.weight())
            .field("max_entry", &self.max_entry)
            .finish()
    }
}

impl<K, V> ByteCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// An empty cache of at most `budget` bytes.
    pub(crate) fn new(budget: u64, weigh: fn(&V) -> u64) -> Self {
        let estimated = usize::try_from(budget / TYPICAL_ENTRY)
            .unwrap_or(usize::MAX)
            .max(16);
        // As many shards as an entry may take shares of the budget, so that an entry at its
        // share still fits the shard it falls in (each holds an equal part of the budget).
        let options = quick_cache::OptionsBuilder::new()
            .estimated_items_capacity(estimated)
            .weight_capacity(budget)
            .shards(ENTRY_SHARE as usize)
            .build()
            .expect("every option is set");
        Self {
            cache: quick_cache::sync::Cache::with_options(
                options,
                StoredWeight,
                quick_cache::DefaultHashBuilder::default(),
                quick_cache::sync::DefaultLifecycle::default(),
            ),
            weigh,
            max_entry: budget / ENTRY_SHARE,
        }
    }

    /// The cached value of `key` (or of a key it is equivalent to).
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        Q: Hash + quick_cache::Equivalent<K> + ?Sized,
    {
        self.cache.get(key).map(|entry| entry.value)
    }

    /// Caches `value` (in place of what `key` held) unless it weighs more than this
    /// cache's per-entry share.
    pub(crate) fn insert(&self, key: K, value: V) {
        let weight = (self.weigh)(&value);
        if weight <= self.max_entry {
            self.cache.insert(key, Weighed { value, weight });
        } else {
            self.cache.remove(&key);
        }
    }

    /// Whether an entry weighing `weight` bytes may be cached (it is within the per-entry
    /// share).
    pub(crate) fn takes(&self, weight: u64) -> bool {
        weight <= self.max_entry
    }

    /// Forgets `key`.
    pub(crate) fn remove(&self, key: &K) {
        self.cache.remove(key);
    }

    /// Forgets everything cached so far.
    pub(crate) fn clear(&self) {
        self.cache.clear();
    }

    /// The keys cached now.
    pub(crate) fn keys(&self) -> Vec<K>
    where
        K: Clone,
    {
        self.cache.iter().map(|(key, _)| key).collect()
    }

    /// Estimated bytes held.
    pub(crate) fn weight(&self) -> u64 {
        self.cache.weight()
    }
}

/// A stored schema with its rendered body.
pub(crate) fn schema_weight(schema: &Arc<CachedSchema>) -> u64 {
    let stored = &schema.stored;
    ENTRY_OVERHEAD
        + stored.schema.len() as u64
        + schema.body_len() as u64
        + references_weight(&stored.references)
        + stored.metadata.as_ref().map_or(0, json_weight)
        + stored.rule_set.as_ref().map_or(0, json_weight)
}

/// An id by fingerprint: the entry, the fingerprint (64 hex digits, and a context's prefix)
/// and the id.
pub(crate) fn fingerprint_weight(_: &warden_core::SchemaId) -> u64 {
    ENTRY_OVERHEAD + 96
}

/// A rendered response body (its key, a subject and a version row, counted in the
/// overhead).
pub(crate) fn body_weight(body: &bytes::Bytes) -> u64 {
    ENTRY_OVERHEAD + body.len() as u64
}

/// What a compatibility check's verdict depends on, for a candidate and versions without
/// references: the candidate (its identity fingerprint fixes its text, metadata and rule
/// set), the level and policy it was checked under, whether `validateFields` worded the
/// summary, and the versions it was checked against (each row's version and id; an id's
/// schema changes only if a hard delete frees it, which clears the cache).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct VerdictKey {
    pub(crate) fingerprint: String,
    pub(crate) level: warden_core::CompatibilityLevel,
    pub(crate) policy: warden_core::CompatibilityPolicy,
    pub(crate) validate_fields: bool,
    pub(crate) earlier: Box<[(warden_core::Version, warden_core::SchemaId)]>,
}

/// A compatibility check's outcome: Confluent's verbose messages, and whether the
/// candidate is compatible.
#[derive(Debug)]
pub(crate) struct Verdict {
    pub(crate) messages: Vec<String>,
    pub(crate) compatible: bool,
    /// Bytes of the key it is cached under (its fingerprint and versions).
    pub(crate) key_bytes: usize,
}

/// A verdict with its key.
pub(crate) fn verdict_weight(verdict: &Arc<Verdict>) -> u64 {
    ENTRY_OVERHEAD
        + verdict.key_bytes as u64
        + verdict
            .messages
            .iter()
            .map(|m| 24 + m.len() as u64)
            .sum::<u64>()
}

/// What a parsed schema is cached under: a stored schema's id, or a submitted schema's
/// identity fingerprint (a compatibility check of a schema sent again parses nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ParsedKey {
    /// A stored schema.
    Id(warden_core::SchemaId),
    /// A submitted schema, by the fingerprint of its stored form.
    Request(String),
}

/// A parsed schema: its canonical text and the structures built from it.
pub(crate) fn parsed_weight(parsed: &Arc<ParsedSchema>) -> u64 {
    1024 + 4 * parsed.canonical().len() as u64
}

/// A known request's stored form (its key is a 32-byte hash).
pub(crate) fn request_weight(new: &Arc<NewSchema>) -> u64 {
    ENTRY_OVERHEAD
        + new.schema.len() as u64
        + new.fingerprint.len() as u64
        + references_weight(&new.references)
        + new.metadata.as_ref().map_or(0, json_weight)
        + new.rule_set.as_ref().map_or(0, json_weight)
}

/// A submission read from a request body, with the body it is cached under. Its tags are
/// not counted: a body with tags is not cached ([`super::Registry::keep_submission`]).
pub(crate) fn body_submission_weight(known: &Arc<KnownBody>) -> u64 {
    let submission = &known.submission;
    ENTRY_OVERHEAD
        + known.body_bytes as u64
        + submission.schema.len() as u64
        + submission
            .references
            .iter()
            .map(|r| reference_weight(&r.name, r.subject.as_str()))
            .sum::<u64>()
        + submission.metadata.as_ref().map_or(0, json_weight)
        + submission.rule_set.as_ref().map_or(0, json_weight)
}

/// The hashes of requests seen once (a body for the request-body cache, a URL and body for
/// the answers), so that one is cached the second time it comes, not the first: most
/// registrations send their body once, and caching those held about 30 MB more after
/// 10,000 of them (BENCHMARKS.md), while a serializer's lookup or registration comes again
/// at every start.
///
/// A fixed table of [`SeenOnce::SLOTS`] hashes (128 KiB, made at the first body, so an idle
/// server holds none of it), one per slot: two bodies that share a slot and come in turn
/// are not kept while they alternate. Answers never depend on it: the cache compares whole
/// bodies.
#[derive(Default)]
pub(crate) struct SeenOnce {
    slots: std::sync::OnceLock<Box<[std::sync::atomic::AtomicU64]>>,
    hasher: foldhash::fast::RandomState,
}

impl SeenOnce {
    /// Slots in the table.
    pub(crate) const SLOTS: usize = 16 * 1024;

    /// Whether `request` was seen before (its slot holds its hash); else notes it now.
    pub(crate) fn again<T: Hash + ?Sized>(&self, request: &T) -> bool {
        use std::hash::BuildHasher;
        use std::sync::atomic::Ordering;
        // Never 0, the empty slot.
        let hash = self.hasher.hash_one(request) | 1;
        let slots = self.slots.get_or_init(|| {
            (0..Self::SLOTS)
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect()
        });
        // The remainder is below SLOTS: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let slot = &slots[(hash % Self::SLOTS as u64) as usize];
        if slot.load(Ordering::Relaxed) == hash {
            return true;
        }
        slot.store(hash, Ordering::Relaxed);
        false
    }
}

impl std::fmt::Debug for SeenOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeenOnce")
            .field("made", &self.slots.get().is_some())
            .finish_non_exhaustive()
    }
}

/// What a request body was read as: the submission, and the body's length (its key's
/// weight).
#[derive(Debug)]
pub(crate) struct KnownBody {
    pub(crate) body_bytes: usize,
    pub(crate) submission: super::SchemaSubmission,
}

/// A request's answer ([`super::Registry::known_answer`]), with the registry's changes when
/// its request began.
#[derive(Debug)]
pub(crate) struct KnownAnswer {
    /// Moves forward when a later request makes the same answer.
    pub(crate) read_at: std::sync::atomic::AtomicU64,
    pub(crate) answer: bytes::Bytes,
    /// Bytes of its key (the URL's path and query, and the body).
    pub(crate) key_bytes: usize,
    /// The route that answered a read, with its metrics: set when the answer may be
    /// served before routing ([`super::Registry::kept_read`]).
    pub(crate) route: Option<Arc<crate::metrics::ReadRoute>>,
}

/// An answer with its key.
pub(crate) fn answer_weight(known: &Arc<KnownAnswer>) -> u64 {
    ENTRY_OVERHEAD + known.key_bytes as u64 + known.answer.len() as u64
}

/// The least an answer kept under this key weighs (its answer not counted): a request
/// whose key alone is over the per-entry share is neither looked up nor kept.
pub(crate) fn answer_key_weight(uri: &str, body: &[u8]) -> u64 {
    ENTRY_OVERHEAD + (uri.len() + body.len()) as u64
}

fn references_weight(references: &[SchemaReference]) -> u64 {
    references
        .iter()
        .map(|r| reference_weight(&r.name, &r.subject))
        .sum()
}

/// One reference: its entry, its name and its subject.
fn reference_weight(name: &str, subject: &str) -> u64 {
    64 + name.len() as u64 + subject.len() as u64
}

/// Heap held by a JSON value: a node's size plus its strings, keys and children.
fn json_weight(value: &Value) -> u64 {
    const NODE: u64 = 32;
    NODE + match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
        Value::String(s) => s.len() as u64,
        Value::Array(items) => items.iter().map(json_weight).sum(),
        Value::Object(map) => map
            .iter()
            .map(|(key, v)| NODE + key.len() as u64 + json_weight(v))
            .sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(len: usize) -> Arc<String> {
        Arc::new("x".repeat(len))
    }

    fn text_weight(s: &Arc<String>) -> u64 {
        s.len() as u64
    }

    #[test]
    fn many_distinct_entries_never_weigh_more_than_the_budget() {
        let cache = ByteCache::new(64 * 1024, text_weight);
        for i in 0..200u32 {
            cache.insert(i, text(2 * 1024));
        }
        let weight = cache.weight();
        assert!(weight <= 64 * 1024, "{weight} bytes cached");
        assert!(weight > 0, "nothing was cached");
    }

    #[test]
    fn an_entry_over_its_share_of_the_budget_is_not_cached() {
        let cache = ByteCache::new(64 * 1024, text_weight);
        cache.insert(1u32, text(4 * 1024));
        cache.insert(2u32, text(4 * 1024 + 1));
        assert!(cache.get(&1).is_some(), "an entry at its share is cached");
        assert!(cache.get(&2).is_none(), "an entry over its share is not");
        assert_eq!(cache.weight(), 4 * 1024);
    }

    #[test]
    fn an_entry_that_grows_keeps_its_weight_until_inserted_again() {
        fn lazy_weight(v: &Arc<std::sync::OnceLock<String>>) -> u64 {
            v.get().map_or(1, |s| s.len() as u64)
        }
        let cache = ByteCache::new(64 * 1024, lazy_weight);
        let value = Arc::new(std::sync::OnceLock::new());
        cache.insert(1u32, Arc::clone(&value));
        assert_eq!(cache.weight(), 1);
        // Grown while held (as a schema whose answer is rendered at its first read).
        value.set("x".repeat(100)).unwrap();
        assert_eq!(cache.weight(), 1, "weighed as inserted");
        cache.insert(1u32, Arc::clone(&value));
        assert_eq!(cache.weight(), 100, "weighed again");
        // Grown past its share: inserted again, it is no longer held.
        let big = Arc::new(std::sync::OnceLock::new());
        cache.insert(2u32, Arc::clone(&big));
        big.set("x".repeat(8 * 1024)).unwrap();
        cache.insert(2u32, big);
        assert!(cache.get(&2).is_none());
        cache.remove(&1);
        assert_eq!(cache.weight(), 0);
    }

    #[test]
    fn removed_and_cleared_entries_are_gone() {
        let cache = ByteCache::new(64 * 1024, text_weight);
        cache.insert(1u32, text(10));
        cache.insert(2u32, text(10));
        cache.remove(&1);
        assert!(cache.get(&1).is_none());
        assert_eq!(cache.keys(), vec![2]);
        cache.clear();
        assert!(cache.get(&2).is_none());
        assert_eq!(cache.weight(), 0);
    }
}
