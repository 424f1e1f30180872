//! PostgreSQL's change log (`migrations/postgres/0007_change_log.sql`): how the replicas
//! of one database learn of each other's writes.
//!
//! Every write that can make another replica's memory stale appends a [`Change`] to the
//! `changes` table in its own transaction and announces it with `NOTIFY warden_change`
//! (`pg_notify` is delivered at commit, so a rolled-back write announces nothing). Each
//! replica runs one [`follow`] task that listens for the announcements and, besides, reads
//! the log after the last sequence number it saw: right after every (re)connection of its
//! listening connection, and once a second. A replica that missed announcements (the
//! connection was lost, PostgreSQL dropped it) therefore learns of every change within the
//! poll period after it can reach the database again, without forgetting what did not
//! change. Only a replica that could not read the log for longer than [`RETENTION`]/2 (rows
//! may have been pruned meanwhile) is told to forget everything.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use sqlx::{PgExecutor, PgPool};
use tokio::sync::broadcast;
use warden_core::{SchemaId, Subject};

use crate::common::schema_id;
use crate::{Eviction, Result};

/// The channel every change is announced on. The payload is `SEQ:KIND:PAYLOAD`, or `SEQ`
/// alone when the change's payload is too long for a notification (PostgreSQL's limit is
/// 8,000 bytes), in which case the listener reads the row.
pub(crate) const CHANNEL: &str = "warden_change";

/// How long rows stay in the log: a replica cut off for longer than half of this forgets
/// everything instead of replaying.
pub(crate) const RETENTION: Duration = Duration::from_secs(3600);

/// How often a replica reads the log for changes whose announcement it missed: the bound
/// on staleness once the database is reachable.
pub(crate) const POLL_EVERY: Duration = Duration::from_secs(1);

/// How far below the highest sequence number seen a read of the log starts. Numbers are
/// taken when a change is written and become visible at its commit, so a write that took
/// its number before another but committed after it shows up late; this many concurrent
/// writing transactions across all replicas are covered (each of which holds a pooled
/// connection, 16 per replica).
const WINDOW: i64 = 1024;

/// Appends a change to the log and announces it, as part of `executor`'s transaction.
const APPEND: &str = "WITH c AS (INSERT INTO changes (kind, payload) VALUES ($1, $2) \
     RETURNING seq, kind, payload) \
     SELECT pg_notify('warden_change', CASE WHEN octet_length(payload) <= 7000 \
     THEN seq::text || ':' || kind || ':' || payload ELSE seq::text END) FROM c";

/// [`APPEND`] for the subjects of a group of registrations (parameter `$n`, a text array),
/// without its leading `WITH`: the end of a statement whose `WITH` list comes before it.
/// Returns the changes' sequence numbers (one `bigint` column).
pub(crate) fn append_subjects_sql(n: usize) -> String {
    format!(
        "c AS (INSERT INTO changes (kind, payload) \
         SELECT 'subject', p FROM unnest(${n}::text[]) AS p RETURNING seq, kind, payload) \
         SELECT seq FROM c \
         WHERE pg_notify('warden_change', CASE WHEN octet_length(payload) <= 7000 \
         THEN seq::text || ':' || kind || ':' || payload ELSE seq::text END)::text = ''"
    )
}

/// The changes this replica wrote and tells its own memory of itself, by sequence number:
/// its [`follow`] task marks them applied without passing them on. Numbers are marked
/// before their transaction commits (so before they can be announced), unmarked at once when
/// the commit does not succeed (its outcome is then unknown here, and the announcement, if
/// it comes, must be passed on), and taken out when seen; any left are dropped once they
/// fall out of the follower's window. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnChanges(std::sync::Arc<std::sync::Mutex<BTreeSet<i64>>>);

/// Changes marked as this replica's own ([`OwnChanges::mark`]) until their commit
/// succeeded: dropped before [`Marked::committed`], it unmarks them.
pub(crate) struct Marked<'a> {
    own: &'a OwnChanges,
    seqs: &'a [i64],
}

impl Marked<'_> {
    /// The transaction committed: the changes stay marked.
    pub(crate) fn committed(mut self) {
        self.seqs = &[];
    }
}

impl Drop for Marked<'_> {
    fn drop(&mut self) {
        if !self.seqs.is_empty() {
            let mut own = self.own.lock();
            for seq in self.seqs {
                own.remove(seq);
            }
        }
    }
}

impl OwnChanges {
    /// Marks `seqs` as this replica's own, until the guard is dropped unless
    /// [`Marked::committed`] was called.
    pub(crate) fn mark<'a>(&'a self, seqs: &'a [i64]) -> Marked<'a> {
        self.lock().extend(seqs.iter().copied());
        Marked { own: self, seqs }
    }

    /// Whether `seq` was marked as this replica's own; unmarks it.
    fn take(&self, seq: i64) -> bool {
        self.lock().remove(&seq)
    }

    /// Unmarks every number up to `floor`.
    fn forget_through(&self, floor: i64) {
        let mut own = self.lock();
        *own = own.split_off(&(floor + 1));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<i64>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One entry of the change log: what another replica must forget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// A registration, soft or hard delete changed this subject's versions.
    Subject(Subject),
    /// The cached answers by id of these schemas are stale (hard-deleted, or the `deleted`
    /// flag of a soft delete).
    Evict(Vec<SchemaId>),
    /// IMPORT wrote a version again with another schema, which replaced these: what was
    /// resolved through references is stale, and the answers by id of these schemas. Kind
    /// `rewritten` (a kind the `changes` table's migration does not list: a replica of an
    /// earlier release skips it, and keeps what it resolved, as it did before).
    Rewritten(Vec<SchemaId>),
    /// A config, mode or context changed.
    Settings,
}

impl Change {
    fn kind(&self) -> &'static str {
        match self {
            Change::Subject(_) => "subject",
            Change::Evict(_) => "evict",
            Change::Rewritten(_) => "rewritten",
            Change::Settings => "settings",
        }
    }

    fn payload(&self) -> String {
        match self {
            Change::Subject(s) => s.as_str().to_owned(),
            Change::Evict(ids) | Change::Rewritten(ids) => ids
                .iter()
                .map(|id| crate::common::id_column(*id).to_string())
                .collect::<Vec<_>>()
                .join(","),
            Change::Settings => String::new(),
        }
    }

    /// The change a log row describes; `None` for a row this version does not know.
    fn parse(kind: &str, payload: &str) -> Option<Change> {
        match kind {
            "subject" => Subject::parse(payload).ok().map(Change::Subject),
            "evict" => Some(Change::Evict(ids(payload))),
            "rewritten" => Some(Change::Rewritten(ids(payload))),
            "settings" => Some(Change::Settings),
            _ => None,
        }
    }
}

/// The schema ids of an `evict` or `rewritten` row's payload (comma-separated).
fn ids(payload: &str) -> Vec<SchemaId> {
    payload
        .split(',')
        .filter_map(|s| s.parse::<i64>().ok())
        .filter_map(|key| schema_id(key).ok())
        .collect()
}

/// Appends `change` to the log and announces it when `executor`'s transaction commits.
pub(crate) async fn append<'e>(executor: impl PgExecutor<'e>, change: &Change) -> Result<()> {
    sqlx::query(APPEND)
        .bind(change.kind())
        .bind(change.payload())
        .execute(executor)
        .await?;
    Ok(())
}

/// Where a replica passes on what it learns: the store's broadcast channels, which the
/// registry's cache-coherence task reads.
#[derive(Debug, Clone)]
pub(crate) struct Sinks {
    pub(crate) evictions: broadcast::Sender<Eviction>,
    pub(crate) settings: broadcast::Sender<()>,
    pub(crate) subjects: broadcast::Sender<Option<Subject>>,
    /// Changes not to pass on: this replica's own, already applied.
    pub(crate) own: OwnChanges,
}

impl Sinks {
    fn deliver(&self, change: Change) {
        match change {
            Change::Subject(s) => drop(self.subjects.send(Some(s))),
            Change::Evict(ids) => drop(self.evictions.send(Eviction {
                ids,
                version_rewritten: false,
            })),
            Change::Rewritten(ids) => drop(self.evictions.send(Eviction {
                ids,
                version_rewritten: true,
            })),
            Change::Settings => drop(self.settings.send(())),
        }
    }

    /// Tells the registry to forget everything it holds from the database.
    fn forget_everything(&self) {
        let _ = self.subjects.send(None);
        let _ = self.settings.send(());
    }
}

/// What one replica has applied of the log.
#[derive(Debug)]
struct Follower {
    pool: PgPool,
    sinks: Sinks,
    /// Sequence numbers applied, down to `highest - WINDOW`.
    applied: BTreeSet<i64>,
    highest: i64,
    /// The last time the log was read through.
    read_at: Instant,
}

impl Follower {
    /// Applies the change numbered `seq` unless it already was, or is this replica's own.
    fn apply(&mut self, seq: i64, change: Option<Change>) {
        if seq <= self.highest - WINDOW || !self.applied.insert(seq) {
            return;
        }
        if let Some(change) = change
            && !self.sinks.own.take(seq)
        {
            self.sinks.deliver(change);
        }
        if seq > self.highest {
            self.highest = seq;
            let floor = self.highest - WINDOW;
            self.applied = self.applied.split_off(&(floor + 1));
            self.sinks.own.forget_through(floor);
        }
    }

    /// Applies an announcement: `SEQ:KIND:PAYLOAD`, or `SEQ` whose row is read.
    async fn announced(&mut self, payload: &str) -> Result<()> {
        let mut parts = payload.splitn(3, ':');
        let Some(Ok(seq)) = parts.next().map(str::parse::<i64>) else {
            return Ok(());
        };
        let change = match (parts.next(), parts.next()) {
            (Some(kind), Some(payload)) => Change::parse(kind, payload),
            _ => {
                let row: Option<(String, String)> =
                    sqlx::query_as("SELECT kind, payload FROM changes WHERE seq = $1")
                        .bind(seq)
                        .fetch_optional(&self.pool)
                        .await?;
                row.and_then(|(kind, payload)| Change::parse(&kind, &payload))
            }
        };
        self.apply(seq, change);
        Ok(())
    }

    /// Reads the log after the last changes seen and applies what was missed; a replica
    /// that could not read it for half the retention forgets everything instead.
    async fn catch_up(&mut self) -> Result<()> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, kind, payload FROM changes WHERE seq > $1 ORDER BY seq")
                .bind(self.highest - WINDOW)
                .fetch_all(&self.pool)
                .await?;
        if self.read_at.elapsed() > RETENTION / 2 {
            tracing::warn!("the change log was out of reach too long; forgetting every cache");
            self.sinks.forget_everything();
        }
        for (seq, kind, payload) in rows {
            self.apply(seq, Change::parse(&kind, &payload));
        }
        self.read_at = Instant::now();
        Ok(())
    }

    /// Deletes the rows older than [`RETENTION`] (every replica does it now and then).
    async fn prune(&self) -> Result<()> {
        sqlx::query("DELETE FROM changes WHERE at < now() - make_interval(secs => $1)")
            .bind(RETENTION.as_secs_f64())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Listens for changes, opening the listening connection again whenever it is lost and
/// reading the log after each (re)connection and every [`POLL_EVERY`]. Runs until the
/// process ends.
///
/// `listener` already listens on [`CHANNEL`]; `highest` is the log's highest sequence
/// number when it started to, so that only later changes are applied.
pub(crate) async fn follow(pool: PgPool, mut listener: PgListener, highest: i64, sinks: Sinks) {
    let mut follower = Follower {
        pool,
        sinks,
        applied: BTreeSet::new(),
        highest,
        read_at: Instant::now(),
    };
    let mut poll = tokio::time::interval(POLL_EVERY);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut polls: u64 = 0;
    loop {
        tokio::select! {
            received = listener.try_recv() => match received {
                Ok(Some(n)) => {
                    if let Err(e) = follower.announced(n.payload()).await {
                        tracing::warn!(error = %e, "reading an announced change failed");
                    }
                }
                Ok(None) | Err(_) => {
                    tracing::warn!("lost the connection listening for changes; reconnecting");
                    listener = reconnect(&follower.pool).await;
                    // Listening again: whatever was committed meanwhile is in the log.
                    if let Err(e) = follower.catch_up().await {
                        tracing::warn!(error = %e, "reading the change log failed");
                    }
                }
            },
            _ = poll.tick() => {
                if let Err(e) = follower.catch_up().await {
                    tracing::warn!(error = %e, "reading the change log failed");
                }
                polls += 1;
                if polls.is_multiple_of(600) && let Err(e) = follower.prune().await {
                    tracing::warn!(error = %e, "pruning the change log failed");
                }
            }
        }
    }
}

/// A listening connection on [`CHANNEL`], retried every second until it is made.
async fn reconnect(pool: &PgPool) -> PgListener {
    loop {
        match listen(pool).await {
            Ok(listener) => return listener,
            Err(e) => {
                tracing::warn!(error = %e, "listening for changes failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Opens a connection listening on [`CHANNEL`].
pub(crate) async fn listen(pool: &PgPool) -> Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// The log's highest sequence number (0 when empty).
pub(crate) async fn highest(pool: &PgPool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM changes")
            .fetch_one(pool)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follower(highest: i64) -> (Follower, broadcast::Receiver<Option<Subject>>) {
        let (subjects, rx) = broadcast::channel(64);
        let sinks = Sinks {
            evictions: broadcast::channel(8).0,
            settings: broadcast::channel(8).0,
            subjects,
            own: OwnChanges::default(),
        };
        let pool = sqlx::postgres::PgPoolOptions::new()
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        let follower = Follower {
            pool,
            sinks,
            applied: BTreeSet::new(),
            highest,
            read_at: Instant::now(),
        };
        (follower, rx)
    }

    fn subject(name: &str) -> Option<Change> {
        Some(Change::Subject(Subject::parse(name).unwrap()))
    }

    #[tokio::test]
    async fn each_change_is_delivered_once_even_out_of_order_and_replayed() {
        let (mut f, mut rx) = follower(10);
        f.apply(12, subject("b"));
        f.apply(11, subject("a")); // committed after 12
        f.apply(12, subject("b")); // replayed by a read of the log
        f.apply(11, subject("a"));
        let got: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|s| s.unwrap().as_str().to_owned())
            .collect();
        assert_eq!(got, ["b", "a"]);
    }

    #[tokio::test]
    async fn changes_below_the_window_are_taken_as_applied() {
        let (mut f, mut rx) = follower(5000);
        f.apply(5000 - WINDOW, subject("old"));
        assert!(rx.try_recv().is_err());
        f.apply(5000 - WINDOW + 1, subject("late"));
        assert_eq!(rx.try_recv().unwrap().unwrap().as_str(), "late");
    }

    #[tokio::test]
    async fn a_replicas_own_changes_are_not_passed_on_and_others_still_are() {
        let (mut f, mut rx) = follower(10);
        f.sinks.own.mark(&[11, 13]).committed();
        // A transaction whose commit failed (or was cancelled) leaves its changes unmarked.
        drop(f.sinks.own.mark(&[12]));
        f.apply(11, subject("mine"));
        f.apply(12, subject("theirs"));
        f.apply(11, subject("mine")); // replayed by a read of the log
        f.apply(13, subject("mine-too"));
        let got: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|s| s.unwrap().as_str().to_owned())
            .collect();
        assert_eq!(got, ["theirs"]);
        // A number the follower never saw goes with the window.
        f.sinks.own.mark(&[14]).committed();
        f.apply(14 + WINDOW, subject("later"));
        assert!(!f.sinks.own.take(14));
    }

    #[test]
    fn a_change_survives_its_row_form() {
        for change in [
            Change::Settings,
            Change::Subject(Subject::parse(":.ctx:orders-value").unwrap()),
            Change::Evict(vec![SchemaId::new(3).unwrap(), SchemaId::new(41).unwrap()]),
            Change::Rewritten(vec![SchemaId::new(100).unwrap()]),
        ] {
            assert_eq!(
                Change::parse(change.kind(), &change.payload()),
                Some(change)
            );
        }
        assert_eq!(Change::parse("future", ""), None);
    }
}
