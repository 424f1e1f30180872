//! Configs and modes held in memory, so that the reads every request makes (the mode before
//! a write, the compatibility level and metadata defaults before a registration or check,
//! the alias of every `/subjects/{subject}` URL) do not touch the database.
//!
//! Coherence: this process drops everything it holds after each of its own config or mode
//! writes, before answering the write, so a read after a write on the same process sees
//! it. Other processes sharing a PostgreSQL database learn of a change through the store's
//! [`settings_changes`](warden_storage::SchemaStore::settings_changes) announcements; a
//! lost announcement is covered by the periodic revalidation, which drops everything too,
//! so another replica's change shows here within the revalidation period
//! (`--cache-revalidate-secs`) at worst, and normally within a notification's delivery.
//!
//! A read that started before a drop does not put its (possibly old) answer in memory: each
//! drop moves a generation counter, and an answer is kept only if the counter has not moved
//! since its read began.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use warden_core::{Mode, Subject};
use warden_storage::{Scope, StoredConfig};

use super::Registry;
use crate::error::Result;

/// At most this many scopes are held per kind; a lookup of many unknown subjects empties
/// the map rather than growing it.
const MAX_SCOPES: usize = 65_536;

/// The config and mode of each scope read so far (`None` key: the registry-wide scope;
/// `None` value: the scope has none of its own).
#[derive(Debug, Default)]
pub(super) struct SettingsCache {
    generation: AtomicU64,
    configs: RwLock<HashMap<Option<Subject>, Option<StoredConfig>>>,
    modes: RwLock<HashMap<Option<Subject>, Option<Mode>>>,
}

fn key(scope: Scope<'_>) -> Option<Subject> {
    match scope {
        Scope::Global => None,
        Scope::Subject(s) => Some(s.clone()),
    }
}

/// Reads `map[key]`, tolerating a poisoned lock (the maps hold plain values).
fn get<V: Clone>(map: &RwLock<HashMap<Option<Subject>, V>>, key: &Option<Subject>) -> Option<V> {
    map.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(key)
        .cloned()
}

impl SettingsCache {
    /// The generation to pass to [`Self::keep_config`] or [`Self::keep_mode`] for a read
    /// that begins now.
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn keep<V>(
        &self,
        map: &RwLock<HashMap<Option<Subject>, V>>,
        key: Option<Subject>,
        value: V,
        read_at: u64,
    ) {
        let mut map = map.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Checked under the lock that `clear` takes too, so a drop cannot slip between the
        // check and the insert.
        if self.generation() != read_at {
            return;
        }
        if map.len() >= MAX_SCOPES {
            map.clear();
        }
        map.insert(key, value);
    }

    /// Forgets every config and mode.
    pub(super) fn clear(&self) {
        let mut configs = self
            .configs
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut modes = self
            .modes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        configs.clear();
        modes.clear();
    }
}

impl Registry {
    /// The config set at `scope` itself (no fallback), from memory when known.
    ///
    /// Errors: the store's, on a miss.
    pub(super) async fn scope_config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>> {
        let k = key(scope);
        if let Some(hit) = get(&self.settings.configs, &k) {
            return Ok(hit);
        }
        let read_at = self.settings.generation();
        let config = self.store.config(scope).await?;
        self.settings
            .keep(&self.settings.configs, k, config.clone(), read_at);
        Ok(config)
    }

    /// The mode set at `scope` itself (no fallback), from memory when known.
    ///
    /// Errors: the store's, on a miss.
    pub(super) async fn scope_mode(&self, scope: Scope<'_>) -> Result<Option<Mode>> {
        let k = key(scope);
        if let Some(hit) = get(&self.settings.modes, &k) {
            return Ok(hit);
        }
        let read_at = self.settings.generation();
        let mode = self.store.mode(scope).await?;
        self.settings.keep(&self.settings.modes, k, mode, read_at);
        Ok(mode)
    }
}
