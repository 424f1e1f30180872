//! The registry application service: every operation of the REST API, independent of HTTP.
//!
//! One file per concern: reads of schemas and versions (`read`), registration, lookup and
//! compatibility checks (`register`), typed submissions (`submission`), references
//! (`references`), soft and hard deletes (`delete`), and configs and modes (`config`).

mod config;
mod delete;
mod read;
mod references;
mod register;
mod submission;

use std::collections::HashSet;
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::Mutex;
use warden_core::{ParsedSchema, SchemaId, Subject};
use warden_storage::{NewSchema, SchemaStore, Scope, StoredSchema};

use crate::metrics::Metrics;

pub use register::SchemaOptions;
pub use submission::{ReferenceSpec, SchemaSubmission};

/// A stored schema with its pre-rendered `GET /schemas/ids/{id}` body (JSON bytes). Ids are
/// immutable, so entries never go stale; they leave the cache only when a hard delete
/// removes the schema. Parsed forms are kept apart, in a bounded cache: they are needed only
/// by compatibility checks and cost several times the schema's text in memory.
#[derive(Debug)]
pub struct CachedSchema {
    /// The stored row.
    pub stored: StoredSchema,
    /// JSON body of `GET /schemas/ids/{id}`, rendered once.
    pub by_id_body: bytes::Bytes,
}

/// How many known requests are remembered (request → schema identity, about 2 KB each);
/// the cache is emptied when it is full, so unique junk requests cannot grow memory without
/// bound.
const CANDIDATE_CACHE_ENTRIES: usize = 4_096;

/// How many parsed schemas are kept for compatibility checks; emptied when full.
const PARSED_CACHE_ENTRIES: usize = 1_024;

/// The registry service. Cheap to share behind an `Arc`; holds the store and the caches of
/// stored and parsed schemas by id and of known submissions.
#[derive(Debug)]
pub struct Registry {
    store: Arc<dyn SchemaStore>,
    by_id: DashMap<SchemaId, Arc<CachedSchema>>,
    parsed: DashMap<SchemaId, Arc<ParsedSchema>>,
    candidates: DashMap<[u8; 32], Arc<NewSchema>>,
    /// Serializes deletes in this process.
    write_lock: Mutex<()>,
    metrics: Metrics,
}

impl Registry {
    /// A registry over `store`.
    pub fn new(store: Arc<dyn SchemaStore>) -> Self {
        Self {
            store,
            by_id: DashMap::new(),
            parsed: DashMap::new(),
            candidates: DashMap::new(),
            write_lock: Mutex::new(()),
            metrics: Metrics::new(),
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
    /// that another replica hard-deleted as soon as it announces them, and every
    /// `revalidate_every` checks every cached id against the store, in case an announcement
    /// was lost. Runs until the task is aborted.
    pub async fn keep_caches_coherent(self: Arc<Self>, revalidate_every: std::time::Duration) {
        let mut evictions = self.store.evictions();
        let mut tick = tokio::time::interval(revalidate_every);
        tick.tick().await;
        loop {
            let announced = async {
                match evictions.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ids = announced => match ids {
                    Ok(ids) => self.evict(&ids),
                    // Missed announcements: check everything now.
                    Err(_) => self.revalidate().await,
                },
                _ = tick.tick() => self.revalidate().await,
            }
        }
    }

    async fn revalidate(&self) {
        let cached: Vec<SchemaId> = self.by_id.iter().map(|e| *e.key()).collect();
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

    /// Forgets hard-deleted schemas, and every parsed request: a hard delete can free a
    /// version number that a later registration reuses for another schema.
    fn evict(&self, ids: &[SchemaId]) {
        for id in ids {
            self.by_id.remove(id);
            self.parsed.remove(id);
        }
        self.candidates.clear();
    }
}

/// The storage scope of an optional subject (`None` is the global scope).
fn scope(subject: Option<&Subject>) -> Scope<'_> {
    match subject {
        None => Scope::Global,
        Some(s) => Scope::Subject(s),
    }
}
