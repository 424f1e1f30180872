//! State held in memory so that the reads every request makes do not touch the database:
//! configs and modes per scope (the mode before a write, the compatibility level and
//! metadata defaults before a registration or check, the alias of every
//! `/subjects/{subject}` URL), and the versions of each subject (every read of a version,
//! `latest`, lookups and the checks before a registration).
//!
//! Coherence: this process forgets what a write of its own changed (a subject's versions,
//! or every config and mode) as soon as the write returns, before it answers, so a read
//! after a write on the same process sees it. On SQLite, whose writes this process alone
//! makes one at a time, a registration instead replaces the subject's versions with those
//! its transaction left, while the store still holds its write lock, so the next
//! registration under the subject needs no read of them. On PostgreSQL, a registration
//! written in a group holds the versions held followed by the ones the group added, when
//! those follow them ([`VersionsCache::append`]); the store does not pass this process's
//! own announcements of those groups on. Other processes sharing a PostgreSQL database
//! learn of a change through the store's announcements
//! ([`settings_changes`](warden_storage::SchemaStore::settings_changes),
//! [`subject_changes`](warden_storage::SchemaStore::subject_changes)), which PostgreSQL
//! delivers from its change log: a lost announcement is read from the log within a second,
//! and normally a change shows here within a notification's delivery. A registration
//! that writes never relies on what is held here: its transaction reads the subject's live
//! versions again under the subject's lock and starts over when they changed. (One that
//! finds its schema live is answered from what is held, as a lookup is, and may be answered
//! from a kept answer: `answers.rs`.)
//!
//! A read that started before its key was forgotten does not put its (possibly old) answer
//! in memory: each forgetting moves the generation counter of the key's shard (one of 64,
//! by the key's hash; forgetting everything moves them all), and an answer is kept only if
//! its shard's counter has not moved since its read began. A write to one subject so no
//! longer throws away the reads of the others that overlapped it.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockWriteGuard};

use warden_core::{Mode, Subject};
use warden_storage::{Scope, StoredConfig, VersionRow, VersionsPublisher, VersionsWritten};

use super::Registry;
use crate::error::Result;

/// At most this many keys are held per map; reads of many unknown subjects empty the map
/// rather than grow it.
const MAX_KEYS: usize = 65_536;

/// Answers of the store by key, forgotten by key or all at once (see the module's notes).
#[derive(Debug)]
pub(super) struct Memo<K, V> {
    /// One generation counter per shard of keys (see the module's notes).
    generations: [AtomicU64; GENERATION_SHARDS],
    /// Every change made to the map (not a read kept in it), after it is made: see
    /// [`Memo::changes`].
    changes: AtomicU64,
    entries: RwLock<HashMap<K, V>>,
}

/// The shards of a [`Memo`]'s generation counters.
const GENERATION_SHARDS: usize = 64;

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Self {
            generations: std::array::from_fn(|_| AtomicU64::new(0)),
            changes: AtomicU64::new(0),
            entries: RwLock::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    fn get(&self, key: &K) -> Option<V> {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// What `look` makes of the value of `key`, read in place (nothing is cloned but what
    /// `look` returns).
    fn peek<R>(&self, key: &K, look: impl FnOnce(&V) -> R) -> Option<R> {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .map(look)
    }

    /// The generation counter of `key`'s shard.
    fn counter(&self, key: &K) -> &AtomicU64 {
        let hash = foldhash::quality::FixedState::with_seed(0).hash_one(key);
        // The remainder is below GENERATION_SHARDS: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let shard = (hash % GENERATION_SHARDS as u64) as usize;
        &self.generations[shard]
    }

    /// The generation to pass to [`Self::keep`] for a read of `key` that begins now.
    fn generation(&self, key: &K) -> u64 {
        self.counter(key).load(Ordering::Acquire)
    }

    /// How many times something held was forgotten or replaced (a read kept is not a
    /// change): it moves after the change is made, so a reader that sees its new value
    /// reads the change too ([`Registry::changes`]).
    pub(super) fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Counts a change, made under `_entries`' lock.
    fn changed(&self, _entries: &RwLockWriteGuard<'_, HashMap<K, V>>) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<K, V>> {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps what a read that began at generation `read_at` found, unless something was
    /// forgotten since.
    fn keep(&self, key: K, value: V, read_at: u64) {
        let mut entries = self.write();
        // Checked under the lock that forgetting takes too, so it cannot slip between the
        // check and the insert.
        if self.generation(&key) != read_at {
            return;
        }
        Self::hold(&mut entries, key, value);
    }

    /// Inserts under the write lock, emptying a full map first.
    fn hold(entries: &mut HashMap<K, V>, key: K, value: V) {
        if entries.len() >= MAX_KEYS {
            entries.clear();
        }
        entries.insert(key, value);
    }

    /// Forgets `key`.
    pub(super) fn forget(&self, key: &K) {
        let mut entries = self.write();
        self.counter(key).fetch_add(1, Ordering::AcqRel);
        entries.remove(key);
        self.changed(&entries);
    }

    /// Replaces what is held of `key` with `value`, written by this process under the
    /// store's write lock (so no later write can have been published before it); reads
    /// that began before are not kept.
    fn publish(&self, key: K, value: V) {
        let mut entries = self.write();
        self.counter(&key).fetch_add(1, Ordering::AcqRel);
        Self::hold(&mut entries, key, value);
        self.changed(&entries);
    }

    /// Forgets everything.
    pub(super) fn clear(&self) {
        let mut entries = self.write();
        for counter in &self.generations {
            counter.fetch_add(1, Ordering::AcqRel);
        }
        entries.clear();
        self.changed(&entries);
    }
}

/// The config and mode of each scope read so far (`None` key: the registry-wide scope;
/// `None` value: the scope has none of its own), and the values made of them: the config
/// that applies above each context's subjects, and the config and mode in effect for each
/// subject (every registration, lookup and check reads both: three scopes each).
///
/// A subject without a config of its own shares the config above it (one `Arc` per
/// context), so that holding many subjects does not hold many copies of a large default
/// rule set. Every change forgets all of them ([`SettingsCache::clear`]); whatever forgets
/// one scope in the future must forget the values made of it too.
#[derive(Debug, Default)]
pub(super) struct SettingsCache {
    configs: Memo<Option<Subject>, Option<StoredConfig>>,
    modes: Memo<Option<Subject>, Option<Mode>>,
    /// By the scope of a subject's context (`None`: the default context).
    pub(super) configs_above: Memo<Option<Subject>, Arc<StoredConfig>>,
    pub(super) effective_configs: Memo<Subject, Arc<StoredConfig>>,
    pub(super) effective_modes: Memo<Subject, Mode>,
}

impl SettingsCache {
    /// Forgets every config and mode.
    ///
    /// The values made of the scopes' go after the scopes, and each after those it is made
    /// of: one made while the scopes are forgotten began before it was forgotten in turn
    /// and is not kept, and one made after reads the scopes again.
    pub(super) fn clear(&self) {
        self.configs.clear();
        self.modes.clear();
        self.configs_above.clear();
        self.effective_configs.clear();
        self.effective_modes.clear();
    }

    /// Every change made to the configs and modes held, and to the values made of them
    /// ([`Memo::changes`], summed).
    pub(super) fn changes(&self) -> u64 {
        self.configs
            .changes()
            .wrapping_add(self.modes.changes())
            .wrapping_add(self.configs_above.changes())
            .wrapping_add(self.effective_configs.changes())
            .wrapping_add(self.effective_modes.changes())
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Memo<K, V> {
    /// The value of `key`, from memory, or made by `make` and kept (unless something was
    /// forgotten since `make` began).
    ///
    /// Errors: `make`'s.
    pub(super) async fn get_or_make<F>(&self, key: &K, make: F) -> Result<V>
    where
        F: std::future::IntoFuture<Output = Result<V>>,
    {
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        let read_at = self.generation(key);
        let value = make.await?;
        self.keep(key.clone(), value.clone(), read_at);
        Ok(value)
    }
}

/// The versions of each subject read so far, soft-deleted ones included, in version order.
pub(super) type VersionsCache = Memo<Subject, Arc<[VersionRow]>>;

impl VersionsCache {
    /// Holds the versions held of `subject` followed by `added` (versions a committed write
    /// of this process added, each following the newest it found), when the first added one
    /// follows the newest held; forgets the subject otherwise (nothing held, or a version
    /// written in between). Either way, reads that began before are not kept.
    ///
    /// What is held then is as true as what was held: a read kept since the write's commit
    /// shows the added versions (they do not follow it), and every other change to the
    /// subject forgets it after its own commit, this process's writes at once and other
    /// processes' at their announcement.
    fn append(&self, subject: &Subject, added: &[VersionRow]) {
        let mut entries = self.write();
        self.counter(subject).fetch_add(1, Ordering::AcqRel);
        let consecutive = added
            .iter()
            .zip(added.iter().skip(1))
            .all(|(a, b)| b.version.get() == a.version.get() + 1);
        let follows = |held: &Arc<[VersionRow]>| {
            let next = held.last().map_or(1, |r| r.version.get() + 1);
            added.first().is_some_and(|a| a.version.get() == next)
        };
        match entries.get(subject) {
            Some(held) if consecutive && follows(held) => {
                let rows: Arc<[VersionRow]> = held.iter().chain(added).copied().collect();
                Self::hold(&mut entries, subject.clone(), rows);
            }
            _ => {
                entries.remove(subject);
            }
        }
        self.changed(&entries);
    }
}

fn key(scope: Scope<'_>) -> Option<Subject> {
    match scope {
        Scope::Global => None,
        Scope::Subject(s) => Some(s.clone()),
    }
}

impl Registry {
    /// The config set at `scope` itself (no fallback), from memory when known.
    ///
    /// Errors: the store's, on a miss.
    pub(super) async fn scope_config(&self, scope: Scope<'_>) -> Result<Option<StoredConfig>> {
        let memo = &self.settings.configs;
        let k = key(scope);
        if let Some(hit) = memo.get(&k) {
            return Ok(hit);
        }
        let read_at = memo.generation(&k);
        let config = self.store.config(scope).await?;
        memo.keep(k, config.clone(), read_at);
        Ok(config)
    }

    /// The `alias` of `subject`'s own config (no fallback; `None` when unset or empty),
    /// read in place in memory when known.
    ///
    /// Errors: the store's, on a miss.
    pub(super) async fn own_alias(&self, subject: &Subject) -> Result<Option<String>> {
        if let Some(alias) = self.known_own_alias(subject.clone()) {
            return Ok(alias);
        }
        Ok(alias_in(&self.scope_config(Scope::Subject(subject)).await?))
    }

    /// [`Registry::own_alias`] when the subject's own config is in memory (an absent
    /// config included); `None` when it would have to be read from the store.
    pub(crate) fn known_own_alias(&self, subject: Subject) -> Option<Option<String>> {
        self.settings.configs.peek(&Some(subject), alias_in)
    }

    /// The mode set at `scope` itself (no fallback), from memory when known.
    ///
    /// Errors: the store's, on a miss.
    pub(super) async fn scope_mode(&self, scope: Scope<'_>) -> Result<Option<Mode>> {
        let memo = &self.settings.modes;
        let k = key(scope);
        if let Some(hit) = memo.get(&k) {
            return Ok(hit);
        }
        let read_at = memo.generation(&k);
        let mode = self.store.mode(scope).await?;
        memo.keep(k, mode, read_at);
        Ok(mode)
    }

    /// Every version of `subject`, soft-deleted ones included, in version order (the
    /// store's `versions`), from memory when known.
    ///
    /// Errors: the store's, on a miss.
    pub(super) async fn subject_versions(&self, subject: &Subject) -> Result<Arc<[VersionRow]>> {
        let memo = &self.versions;
        let held = memo.get(subject);
        self.metrics
            .count_cache_lookup(crate::metrics::CacheName::Versions, held.is_some());
        if let Some(hit) = held {
            return Ok(hit);
        }
        let read_at = memo.generation(subject);
        let rows: Arc<[VersionRow]> = Arc::from(self.store.versions(subject).await?);
        memo.keep(subject.clone(), Arc::clone(&rows), read_at);
        Ok(rows)
    }

    /// Holds `rows` as `subject`'s versions: called by a registration's commit while the
    /// store still serializes writes ([`RegistrationTx::commit`](warden_storage::RegistrationTx::commit)).
    pub(super) fn versions_published(&self, subject: &Subject, rows: &[VersionRow]) {
        self.versions.publish(subject.clone(), Arc::from(rows));
    }

    /// Forgets what is held of `subject`'s versions: called after every write to them by
    /// this process, whatever its outcome (unless the write published them).
    pub(super) fn versions_changed(&self, subject: &Subject) {
        self.versions.forget(subject);
    }

    /// What a grouped registration tells of the versions it wrote ([`VersionsPublisher`]):
    /// every version is held as [`Registry::versions_published`] holds it; versions appended
    /// are held after those held, when they follow them ([`VersionsCache::append`]); an
    /// unknown outcome is [`Registry::versions_changed`].
    pub(super) fn versions_publisher(&self) -> VersionsPublisher {
        let versions = Arc::clone(&self.versions);
        Arc::new(move |subject, written| match written {
            VersionsWritten::All(rows) => versions.publish(subject.clone(), Arc::from(rows)),
            VersionsWritten::Appended(added) => versions.append(subject, added),
            VersionsWritten::Unknown => versions.forget(subject),
        })
    }
}

/// The alias a subject's own config sets (an empty one is none).
fn alias_in(config: &Option<StoredConfig>) -> Option<String> {
    config
        .as_ref()
        .and_then(|c| c.extra.alias.as_ref())
        .filter(|a| !a.is_empty())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(name: &str) -> Subject {
        Subject::parse(name).unwrap()
    }

    #[test]
    fn a_read_is_kept_unless_its_own_key_was_forgotten_since_it_began() {
        let memo: Memo<Subject, u32> = Memo::default();
        let (a, b) = (subject("a-value"), subject("b-value"));
        // Forgetting another subject (a write to it) does not discard this read.
        let read_at = memo.generation(&a);
        memo.forget(&b);
        memo.keep(a.clone(), 1, read_at);
        assert_eq!(memo.get(&a), Some(1));
        // Forgetting the subject itself does: the answer read may be older than the write.
        let read_at = memo.generation(&b);
        memo.forget(&b);
        memo.keep(b.clone(), 2, read_at);
        assert_eq!(memo.get(&b), None);
        // So does forgetting everything.
        let read_at = memo.generation(&b);
        memo.clear();
        memo.keep(b.clone(), 3, read_at);
        assert_eq!(memo.get(&b), None);
        // And a value published meanwhile wins over the read.
        let read_at = memo.generation(&a);
        memo.publish(a.clone(), 4);
        memo.keep(a.clone(), 5, read_at);
        assert_eq!(memo.get(&a), Some(4));
    }

    fn rows(versions: std::ops::RangeInclusive<u32>) -> Arc<[VersionRow]> {
        versions
            .map(|v| VersionRow {
                version: warden_core::Version::new(i64::from(v)).unwrap(),
                schema_id: warden_core::SchemaId::new(i64::from(v)).unwrap(),
                deleted: false,
                created_at: 0,
            })
            .collect()
    }

    #[test]
    fn versions_appended_are_held_only_after_the_versions_they_follow() {
        let memo = VersionsCache::default();
        let s = subject("s-value");
        let versions = |memo: &VersionsCache| {
            memo.get(&s)
                .map(|r| r.iter().map(|r| r.version.get()).collect::<Vec<_>>())
        };
        // Held: the added versions go after them, and a read that began before is not kept.
        memo.publish(s.clone(), rows(1..=2));
        let read_at = memo.generation(&s);
        memo.append(&s, &rows(3..=4));
        assert_eq!(versions(&memo), Some(vec![1, 2, 3, 4]));
        memo.keep(s.clone(), rows(1..=2), read_at);
        assert_eq!(versions(&memo), Some(vec![1, 2, 3, 4]));
        // A version written in between by another process (5): 6 does not follow 4.
        memo.append(&s, &rows(6..=6));
        assert_eq!(versions(&memo), None);
        // A read kept after the write's commit already shows what it added.
        memo.publish(s.clone(), rows(1..=7));
        memo.append(&s, &rows(7..=7));
        assert_eq!(versions(&memo), None);
        // Nothing held, or added versions with a gap between them.
        memo.append(&s, &rows(1..=1));
        assert_eq!(versions(&memo), None);
        memo.publish(s.clone(), rows(1..=1));
        memo.append(&s, &[rows(2..=2)[0], rows(4..=4)[0]]);
        assert_eq!(versions(&memo), None);
        // A subject without versions takes version 1.
        memo.publish(s.clone(), Arc::from(Vec::new()));
        memo.append(&s, &rows(1..=1));
        assert_eq!(versions(&memo), Some(vec![1]));
    }
}
