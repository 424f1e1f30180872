//! The registry application service: every operation of the REST API, independent of HTTP.
//!
//! One file per concern: reads of schemas and versions (`read`), registration, lookup and
//! compatibility checks (`register`), typed submissions (`submission`), references
//! (`references`), soft and hard deletes (`delete`), configs and modes (`config`), and
//! the caches bounded in bytes (`cache`).

mod answers;
mod associations;
mod cache;
mod config;
mod content;
mod contexts;
mod contract;
pub mod dek;
mod delete;
mod diff;
mod metadata;
mod read;
mod references;
mod register;
mod settings;
mod submission;
mod tags;
pub(crate) mod work;

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::Mutex;
use warden_core::{ParsedSchema, SchemaId, Subject};
use warden_storage::{NewSchema, SchemaStore, Scope, StoredSchema, VersionRow};

use crate::metrics::Metrics;
use cache::ByteCache;

pub(crate) use answers::AnswerSlot;
pub use associations::{
    Association, AssociationBatchResponse, AssociationFilter, AssociationGetRequest,
    AssociationInfo, AssociationInfoRequest, AssociationOp, AssociationOpRequest,
    AssociationRequest, AssociationResponse, AssociationResult, Lifecycle,
};
pub use cache::{CacheBudget, CacheWeights};
pub use contexts::SubjectPrefix;
pub use contract::validate_rule_set;
pub use diff::{ReadCheck, SubjectSummary};
pub use register::{Registered, SchemaOptions};
pub use submission::{ReferenceSpec, SchemaSubmission};
pub use work::WorkLimits;

/// A stored schema with its `GET /schemas/ids/{id}` body (JSON bytes), rendered at the
/// first read by id ([`Registry::by_id_body`]). Ids are immutable, so the stored row never
/// goes stale; an entry leaves the cache when a hard delete removes the schema, when the
/// versions using it change (the body's `ts` and `deleted`), or to keep the cache within
/// its budget. Parsed forms are kept apart, in a cache of their own: they are needed only
/// by compatibility checks and cost several times the schema's text in memory.
#[derive(Debug)]
pub struct CachedSchema {
    /// The stored row.
    pub stored: StoredSchema,
    /// JSON body of `GET /schemas/ids/{id}`, once rendered.
    by_id_body: std::sync::OnceLock<bytes::Bytes>,
}

impl CachedSchema {
    /// A stored row whose body is not rendered yet.
    pub(crate) fn new(stored: StoredSchema) -> Self {
        Self {
            stored,
            by_id_body: std::sync::OnceLock::new(),
        }
    }

    /// The bytes of the rendered `GET /schemas/ids/{id}` body, 0 before it is rendered.
    pub(crate) fn body_len(&self) -> usize {
        self.by_id_body.get().map_or(0, bytes::Bytes::len)
    }
}

/// The JSON bytes of a response body (the API's types always serialize).
pub(crate) fn json_bytes<T: serde::Serialize>(response: &T) -> bytes::Bytes {
    serde_json::to_vec(response)
        .expect("response bodies serialize")
        .into()
}

/// Which answer a rendered body of a subject version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Body {
    /// `GET /subjects/{subject}/versions/{version}`, also a lookup's answer.
    Version,
    /// `POST /subjects/{subject}/versions` of a schema the version already has.
    Registration,
}

/// The registry service. Cheap to share behind an `Arc`; holds the store and the caches of
/// stored and parsed schemas by id and of known submissions, each bounded in bytes
/// ([`CacheBudget`]), so unique junk requests cannot grow memory without bound.
#[derive(Debug)]
pub struct Registry {
    store: Arc<dyn SchemaStore>,
    by_id: ByteCache<SchemaId, Arc<CachedSchema>>,
    parsed: ByteCache<cache::ParsedKey, Arc<ParsedSchema>>,
    candidates: ByteCache<[u8; 32], Arc<NewSchema>>,
    /// Verdicts of compatibility checks without references: a candidate checked again
    /// against the same versions under the same level is answered without running the
    /// check. A hard delete that frees ids clears it ([`Registry::evict`]), as it does the
    /// candidates.
    verdicts: ByteCache<cache::VerdictKey, Arc<cache::Verdict>>,
    /// Moves at the start and at the end of every [`Registry::evict`] (odd while one runs):
    /// what was computed from the store's answers across one is not kept
    /// ([`Registry::keep_unless_evicted`]), and no kept answer is served after one
    /// ([`Registry::changes`]).
    evictions: std::sync::atomic::AtomicU64,
    /// Moves after every [`Registry::forget_usage`]: no answer kept by URL that holds a
    /// forgotten `GET /schemas/ids/{id}` body is served after it ([`Registry::changes`]),
    /// and no schema whose body was rendered across it is put back in `by_id`
    /// ([`Registry::by_id_body`]).
    usage_forgotten: std::sync::atomic::AtomicU64,
    /// Written by [`Registry::evict`] from its start to its end (one eviction at a time,
    /// `evictions` odd exactly while one runs), and by [`Registry::forget_usage`]; read by
    /// [`Registry::keep_unless_evicted`] and [`Registry::by_id_body`].
    evicting: std::sync::RwLock<()>,
    /// Rendered bodies of a subject version ([`Body`]), by subject and version row: a row
    /// (version, id, deleted flag, time) and the immutable schema of its id fix the body,
    /// so an entry never goes stale; a changed row is another key.
    version_bodies: ByteCache<(Subject, VersionRow, Body), bytes::Bytes>,
    /// The id the store answers for an identity fingerprint, once it answered one: a
    /// stored schema's row keeps its fingerprint until a hard delete removes it, which
    /// clears this cache ([`Registry::evict`]). Misses are not kept (another replica may
    /// store the schema at any time).
    ids_by_fingerprint: ByteCache<String, SchemaId>,
    /// Submissions by the request body they were read from
    /// ([`Registry::known_submission`]): reading is a function of the bytes alone, so an
    /// entry never goes stale.
    request_bodies: ByteCache<bytes::Bytes, Arc<cache::KnownBody>>,
    /// The bodies read once: a body enters `request_bodies` when it is read again.
    bodies_seen: cache::SeenOnce,
    /// Answers of registrations, lookups, compatibility checks and reads of a subject's
    /// version by request, each with the registry's changes when its request began
    /// ([`Registry::known_answer`]).
    answers: ByteCache<answers::AnswerKey, Arc<cache::KnownAnswer>>,
    /// The requests answered once: an answer is kept when its request comes again.
    answers_seen: cache::SeenOnce,
    /// Configs and modes read so far, per scope.
    settings: settings::SettingsCache,
    /// The versions of each subject read so far.
    versions: Arc<settings::VersionsCache>,
    contents: content::ContentKeys,
    /// Serializes deletes in this process.
    write_lock: Mutex<()>,
    /// Serializes association writes in this process (Confluent's `lockForAssociation`),
    /// so that the checks of one request (a STRONG association's subject has no other
    /// association, a WEAK one's has no STRONG one) see the writes of another. Across
    /// replicas sharing a PostgreSQL database, the unique index on resource id, resource
    /// type and association type still decides races on one resource.
    association_writes: Mutex<()>,
    /// The KMSes that shared KEKs' DEKs are created and unwrapped with, by `kmsType`.
    kms: Vec<Arc<dyn warden_core::encryption::Kms>>,
    metrics: Metrics,
    /// Limits on submitted schemas, and the slots and deadline of parses and checks.
    work: work::Work,
}

impl Registry {
    /// A registry over `store`, with the default cache budget ([`CacheBudget::DEFAULT`]).
    pub fn new(store: Arc<dyn SchemaStore>) -> Self {
        let budget = CacheBudget::DEFAULT;
        Self {
            store,
            by_id: ByteCache::new(budget.schemas_bytes, cache::schema_weight),
            parsed: ByteCache::new(budget.parsed_bytes, cache::parsed_weight),
            candidates: ByteCache::new(budget.requests_bytes, cache::request_weight),
            verdicts: ByteCache::new(budget.requests_bytes, cache::verdict_weight),
            evictions: std::sync::atomic::AtomicU64::new(0),
            usage_forgotten: std::sync::atomic::AtomicU64::new(0),
            evicting: std::sync::RwLock::new(()),
            version_bodies: ByteCache::new(budget.schemas_bytes, cache::body_weight),
            ids_by_fingerprint: ByteCache::new(budget.requests_bytes, cache::fingerprint_weight),
            request_bodies: ByteCache::new(budget.requests_bytes, cache::body_submission_weight),
            bodies_seen: cache::SeenOnce::default(),
            answers: ByteCache::new(budget.requests_bytes, cache::answer_weight),
            answers_seen: cache::SeenOnce::default(),
            settings: settings::SettingsCache::default(),
            versions: Arc::default(),
            contents: content::ContentKeys::default(),
            write_lock: Mutex::new(()),
            association_writes: Mutex::new(()),
            kms: Vec::new(),
            metrics: Metrics::new(),
            work: work::Work::default(),
        }
    }

    /// This registry with each cache bounded by `budget` instead of the default; call it
    /// before serving (the caches start empty).
    pub fn with_cache_budget(mut self, budget: CacheBudget) -> Self {
        self.by_id = ByteCache::new(budget.schemas_bytes, cache::schema_weight);
        self.parsed = ByteCache::new(budget.parsed_bytes, cache::parsed_weight);
        self.candidates = ByteCache::new(budget.requests_bytes, cache::request_weight);
        self.verdicts = ByteCache::new(budget.requests_bytes, cache::verdict_weight);
        self.version_bodies = ByteCache::new(budget.schemas_bytes, cache::body_weight);
        self.ids_by_fingerprint = ByteCache::new(budget.requests_bytes, cache::fingerprint_weight);
        self.request_bodies = ByteCache::new(budget.requests_bytes, cache::body_submission_weight);
        self.answers = ByteCache::new(budget.requests_bytes, cache::answer_weight);
        self
    }

    /// This registry with `kms` serving the KEKs of its `kmsType`: the DEK registry creates
    /// and unwraps the DEKs of shared KEKs with it (Confluent's KMS drivers on the server).
    pub fn with_kms(mut self, kms: Arc<dyn warden_core::encryption::Kms>) -> Self {
        self.kms.push(kms);
        self
    }

    /// The estimated bytes each cache holds now (pending evictions are run first).
    pub fn cache_weights(&self) -> CacheWeights {
        CacheWeights {
            schemas_bytes: self.by_id.weight(),
            parsed_bytes: self.parsed.weight(),
            requests_bytes: self.candidates.weight(),
            version_bodies_bytes: self.version_bodies.weight(),
            fingerprints_bytes: self.ids_by_fingerprint.weight(),
            verdicts_bytes: self.verdicts.weight(),
            request_bodies_bytes: self.request_bodies.weight(),
            answers_bytes: self.answers.weight(),
        }
    }

    /// The store, for readiness checks.
    pub fn store(&self) -> &Arc<dyn SchemaStore> {
        &self.store
    }

    /// This process's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Keeps the caches coherent with other processes sharing the database: drops schemas
    /// that another replica hard-deleted as soon as it announces them (and everything
    /// resolved through references when its IMPORT wrote a version again), a subject's versions
    /// as soon as any replica announces a write to them (but this replica's grouped
    /// registrations, whose versions it holds as written), and configs and modes as soon as
    /// any replica announces a change of one (PostgreSQL: from the change log, which a
    /// replica that missed an announcement reads within a second); and every
    /// `revalidate_every` checks every cached id against the store. Versions, configs and
    /// modes are not dropped on that tick: every change to them is delivered, and dropping
    /// them all at once made every connection read them again at the same moment. Runs
    /// until the task is aborted.
    pub async fn keep_caches_coherent(self: Arc<Self>, revalidate_every: std::time::Duration) {
        let mut evictions = self.store.evictions();
        let mut settings = self.store.settings_changes();
        let mut subjects = self.store.subject_changes();
        let mut tick = tokio::time::interval(revalidate_every);
        tick.tick().await;
        loop {
            let announced = async {
                match evictions.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            let changed = async {
                match settings.as_mut() {
                    // A lag means missed announcements: dropping everything covers them.
                    Some(rx) => rx.recv().await.ok(),
                    None => std::future::pending().await,
                }
            };
            let written = async {
                match subjects.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                subject = written => match subject {
                    Ok(Some(subject)) => self.versions.forget(&subject),
                    // Cut off from the log: every kind of change may have been missed,
                    // rewrites included.
                    Ok(None) => {
                        self.settings.clear();
                        self.forget_rewrite(&[]);
                        self.revalidate().await;
                    }
                    // Missed announcements of subjects (the evictions' channel reports
                    // its own): forget every subject's versions.
                    Err(_) => {
                        self.versions.clear();
                        self.revalidate().await;
                    }
                },
                eviction = announced => match eviction {
                    Ok(e) if e.version_rewritten => self.forget_rewrite(&e.ids),
                    Ok(e) => self.evict(&e.ids),
                    // Missed announcements: check everything now, and drop what a missed
                    // rewrite would have.
                    Err(_) => {
                        self.forget_rewrite(&[]);
                        self.revalidate().await;
                    }
                },
                _ = changed => self.settings.clear(),
                _ = tick.tick() => self.revalidate().await,
            }
        }
    }

    async fn revalidate(&self) {
        let cached: Vec<SchemaId> = self.by_id.keys();
        match self.store.existing_ids(&cached).await {
            Ok(existing) => {
                let existing: HashSet<SchemaId> = existing.into_iter().collect();
                let gone: Vec<SchemaId> = cached
                    .into_iter()
                    .filter(|id| !existing.contains(id))
                    .collect();
                if !gone.is_empty() {
                    self.evict(&gone);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cache revalidation failed"),
        }
    }

    /// Read before the store (or a cache of it) is asked for what a cached result will
    /// rest on, for [`Registry::keep_unless_evicted`]: it moves at the start and at the end
    /// of each [`Registry::evict`], and is odd while one runs.
    pub(super) fn eviction_generation(&self) -> u64 {
        self.evictions.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Keeps `value` under `key` in `cache`, unless what it was computed from may predate
    /// a hard delete or an IMPORT overwrite: when an eviction ran or began since
    /// [`Registry::eviction_generation`] read `read_at`, or was running then. The check and
    /// the insert are made under `evicting`'s read side, which an eviction holds the write
    /// side of from start to end: an eviction either ends before the check (which then
    /// sees it) or begins after the insert (and clears the entry itself).
    pub(super) fn keep_unless_evicted<K, V>(
        &self,
        cache: &ByteCache<K, V>,
        read_at: u64,
        key: K,
        value: V,
    ) where
        K: std::hash::Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        let _no_eviction = self.evicting.read().unwrap_or_else(|p| p.into_inner());
        if read_at.is_multiple_of(2) && self.eviction_generation() == read_at {
            cache.insert(key, value);
        }
    }

    /// Forgets everything parsed or decided with a version's old schema, after an IMPORT
    /// wrote that version again with another one (Confluent's `register` in IMPORT mode
    /// puts the version's key again): a reference names a subject and version, so a schema
    /// that references it, stored or submitted, resolves to other content now, and so may
    /// its validity and its compatibility verdicts. Rare (a migration step), so it drops
    /// whole caches rather than tracking who references what.
    fn forget_resolutions(&self) {
        self.evict_with(&[], Parsed::All);
    }

    /// Forgets what another replica's IMPORT made stale when it wrote a version again,
    /// replacing the schemas `replaced`, as [`Registry::forget_resolutions`] does on the
    /// writing replica. The rewrite is announced before the subject's versions (in the same
    /// transaction), so every version held is dropped first: a reference resolved again
    /// must not meet the version's old schema here.
    fn forget_rewrite(&self, replaced: &[SchemaId]) {
        self.versions.clear();
        self.evict_with(replaced, Parsed::All);
    }

    /// Forgets hard-deleted schemas, and every parsed request: a hard delete can free a
    /// version number that a later registration reuses for another schema.
    fn evict(&self, ids: &[SchemaId]) {
        self.evict_with(ids, Parsed::Requests);
    }

    /// [`Registry::evict`], dropping the parsed schemas `parsed` names besides those of
    /// `ids`. One at a time, under `evicting`'s write side, with `evictions` odd from its
    /// start to its end (made even again even if it panics).
    fn evict_with(&self, ids: &[SchemaId], parsed: Parsed) {
        /// Moves `evictions` once more when the eviction ends, however it ends.
        struct Ended<'a>(&'a std::sync::atomic::AtomicU64);
        impl Drop for Ended<'_> {
            fn drop(&mut self) {
                // Nothing computed since the start is kept, and an answer made from what
                // was held before is not served from now on (`Registry::changes`).
                self.0.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            }
        }
        let _one_at_a_time = self.evicting.write().unwrap_or_else(|p| p.into_inner());
        self.evictions
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        // Dropped before the lock is released.
        let _ended = Ended(&self.evictions);
        self.contents.forget(ids);
        for id in ids {
            self.by_id.remove(id);
            self.parsed.remove(&cache::ParsedKey::Id(*id));
        }
        match parsed {
            Parsed::All => self.parsed.clear(),
            // A submitted schema's references may resolve to another schema now.
            Parsed::Requests => {
                for key in self.parsed.keys() {
                    if matches!(key, cache::ParsedKey::Request(_)) {
                        self.parsed.remove(&key);
                    }
                }
            }
        }
        self.candidates.clear();
        self.verdicts.clear();
        self.ids_by_fingerprint.clear();
        // An id freed by a hard delete may be imported again with another schema.
        self.version_bodies.clear();
    }
}

/// Which parsed schemas an eviction drops besides those of its ids.
#[derive(Debug, Clone, Copy)]
enum Parsed {
    /// Those of submitted schemas (a hard delete).
    Requests,
    /// All (an IMPORT overwrite: stored schemas may reference the version).
    All,
}

/// The storage scope of an optional subject (`None` is the global scope).
fn scope(subject: Option<&Subject>) -> Scope<'_> {
    match subject {
        None => Scope::Global,
        Some(s) => Scope::Subject(s),
    }
}

#[cfg(test)]
impl Registry {
    /// A registry on a new SQLite database in a temporary directory, which lasts as long as
    /// the directory returned with it.
    pub(crate) async fn on_temporary_sqlite() -> (tempfile::TempDir, Self) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let registry = Self::new(warden_storage::open(&url).await.unwrap());
        (dir, registry)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    #[tokio::test]
    async fn nothing_read_across_an_eviction_is_kept() {
        let (_dir, registry) = Registry::on_temporary_sqlite().await;
        let id = SchemaId::new(7).unwrap();
        let cache = &registry.ids_by_fingerprint;
        let kept = |key: &str| cache.get(key).is_some();

        let read_at = registry.eviction_generation();
        registry.keep_unless_evicted(cache, read_at, "quiet".to_owned(), id);
        assert!(kept("quiet"), "nothing was evicted meanwhile");

        let read_at = registry.eviction_generation();
        registry.evict(&[]);
        registry.keep_unless_evicted(cache, read_at, "before".to_owned(), id);
        assert!(
            !kept("before"),
            "read before an eviction that has ended since"
        );
        assert!(
            !kept("quiet"),
            "the eviction cleared what was kept before it"
        );

        // An eviction under way (begun, not ended).
        registry.evictions.fetch_add(1, Ordering::AcqRel);
        let read_at = registry.eviction_generation();
        registry.keep_unless_evicted(cache, read_at, "during".to_owned(), id);
        assert!(!kept("during"), "read while an eviction was under way");
        registry.evictions.fetch_add(1, Ordering::AcqRel);

        let read_at = registry.eviction_generation();
        registry.keep_unless_evicted(cache, read_at, "after".to_owned(), id);
        assert!(kept("after"), "read once the eviction had ended");
    }
}
