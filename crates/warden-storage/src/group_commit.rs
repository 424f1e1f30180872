//! Group commit of registrations: concurrent [`GroupedRegistration`]s queue up,
//! and whichever of them takes the group's lead writes every one queued, in one
//! transaction with one read and one write statement (a query of several statements) and
//! one commit, while the next group gathers behind it.
//!
//! A registration costs a transaction of four round trips to SQLite's worker thread when
//! written alone; in a group of `n` they share four, and the commit's WAL frames. On SQLite
//! the versions of subjects that earlier groups read or wrote are not read again
//! ([`KnownVersions`]): a subject's history grows with every version, and reading all of it
//! for each group made the group's read the largest part of its transaction. On PostgreSQL,
//! whose replicas all write, a group reads every version only of the subjects a
//! registration was checked against, and of the others the newest version and those
//! holding one of the group's schemas. Each
//! registration's outcome is decided in the order it joined the group against the
//! versions as the group found them plus those the group wrote before it, exactly as a
//! sequence of transactions would decide it.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::{Postgres, Sqlite, Transaction};
use tokio::sync::oneshot;
use warden_core::{SchemaId, Subject, Version};

use crate::common::{next_version, refs_json, schema_id, version_column};
use crate::{
    GroupedOutcome, GroupedRegistration, Result, VersionRow, VersionsPublisher, VersionsWritten,
};

/// At most this many registrations are written in one group (each binds up to ten
/// parameters, far below SQLite's limit of 32,766).
const MAX_GROUP: usize = 256;

/// What a group wrote to each subject, as the registrations' publishers are told
/// ([`VersionsWritten`]); each backend's writer returns its kind with its rows.
#[derive(Debug)]
pub(crate) enum Publishing {
    /// Every version of each subject written to, as the commit left them (one process owns
    /// the database: SQLite).
    All(Published),
    /// The versions written to each subject; the group's other subjects are forgotten
    /// (other processes write too: PostgreSQL).
    Appended(Published),
}

impl Publishing {
    /// The versions, by subject.
    fn versions(&self) -> &Published {
        match self {
            Self::All(v) | Self::Appended(v) => v,
        }
    }

    /// What a subject's publisher is told of `rows`, its entry in [`Publishing::versions`].
    fn told<'a>(&self, rows: &'a [VersionRow]) -> VersionsWritten<'a> {
        match self {
            Self::All(_) => VersionsWritten::All(rows),
            Self::Appended(_) => VersionsWritten::Appended(rows),
        }
    }
}

/// A registration waiting for its group, and where its outcome goes.
struct Pending {
    registration: GroupedRegistration,
    answer: oneshot::Sender<Result<GroupedOutcome>>,
}

/// The queue of registrations waiting for a group, and the lead of the group being
/// written.
#[derive(Default)]
pub(crate) struct GroupQueue {
    waiting: std::sync::Mutex<Vec<Pending>>,
    lead: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for GroupQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupQueue").finish_non_exhaustive()
    }
}

impl GroupQueue {
    /// Queues `registration` and waits for its outcome; takes the lead of a group when none
    /// is being written, and writes it with `write`, which returns what the group left and
    /// a guard (the write lock) held until every registration of the group is answered.
    ///
    /// What the group wrote to each subject is published to the publisher of the first of
    /// its registrations under the subject, as the writer's [`Publishing`] says, before any
    /// answer goes out; with [`Publishing::Appended`], the group's other subjects are
    /// forgotten first.
    /// A group that failed makes every subject of the group forgotten. A lead dropped
    /// before it answered (its request was cancelled) makes the subjects of its group
    /// forgotten and leaves its registrations [`GroupedOutcome::Declined`]: they register
    /// alone.
    pub(crate) async fn join<'a, F, Fut, G>(
        &'a self,
        registration: GroupedRegistration,
        write: F,
    ) -> Result<GroupedOutcome>
    where
        F: Fn(Vec<GroupedRegistration>) -> Fut,
        Fut: Future<Output = (Result<Written>, G)> + 'a,
    {
        let (answer, mut outcome) = oneshot::channel();
        self.lock_waiting().push(Pending {
            registration,
            answer,
        });
        loop {
            tokio::select! {
                biased;
                answered = &mut outcome => {
                    return answered.unwrap_or(Ok(GroupedOutcome::Declined));
                }
                _lead = self.lead.lock() => {
                    let group: Vec<_> = {
                        let mut waiting = self.lock_waiting();
                        let keep = waiting.len().saturating_sub(MAX_GROUP);
                        // The oldest first: they have waited longest.
                        let mut group = waiting.split_off(0);
                        *waiting = group.split_off(group.len() - keep);
                        group
                    };
                    if !group.is_empty() {
                        let unknown = ForgetOnDrop::new(&group);
                        let (written, held) =
                            write(group.iter().map(|p| p.registration.clone()).collect()).await;
                        match &written {
                            Ok((_, Publishing::Appended(published))) => {
                                unknown.forget_all_but(published);
                            }
                            // Published, or (a failed group) forgotten, by `answer_group`.
                            _ => unknown.disarm(),
                        }
                        answer_group(group, written);
                        drop(held);
                    }
                    // Ours was in this group or an earlier one: its answer is ready, or it
                    // waits for the next lead.
                }
            }
        }
    }

    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where a version row's schema id comes from: known, or written by the group's `n`th
/// write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Id(SchemaId),
    Written(usize),
}

/// A version row while the group is decided.
#[derive(Debug, Clone, Copy)]
struct Row {
    version: Version,
    schema: Slot,
    deleted: bool,
    created_at: i64,
}

impl Row {
    fn resolve(&self, ids: &[SchemaId]) -> VersionRow {
        VersionRow {
            version: self.version,
            schema_id: match self.schema {
                Slot::Id(id) => id,
                Slot::Written(n) => ids[n],
            },
            deleted: self.deleted,
            created_at: self.created_at,
        }
    }
}

/// A registration's outcome before the group's writes gave their ids.
enum Decided {
    Existing(Row),
    Changed(Vec<Row>),
    Written(usize, Version),
    Declined,
}

/// Where the schema of a version the group writes comes from.
enum Source<'g> {
    /// Stored before the group.
    Stored(SchemaId),
    /// Inserted by this write: the first of the group to register it.
    New(&'g crate::NewSchema),
    /// Inserted by an earlier write of the group (by fingerprint).
    Earlier(&'g str),
}

/// A version the group writes.
struct Write<'g> {
    subject: &'g Subject,
    version: Version,
    source: Source<'g>,
}

/// What a group does: each registration's decision, in order, and the versions it writes.
struct Plan<'g> {
    decided: Vec<Decided>,
    writes: Vec<Write<'g>>,
    rows: HashMap<Subject, Vec<Row>>,
    created_at: i64,
}

/// A row of the group's read: a version row (`version` set) of the subject `key`, or the
/// id of the stored schema whose fingerprint is `key`.
struct Found {
    key: String,
    version: Option<i32>,
    id: i64,
    deleted: bool,
    created_at: i64,
}

/// Decides each registration of `group` in order, as a transaction of its own would, on the
/// versions and fingerprints `found` and the versions `known` of the subjects the read left
/// out.
fn plan<'g>(
    group: &'g [GroupedRegistration],
    found: Vec<Found>,
    known: HashMap<Subject, Vec<VersionRow>>,
) -> Result<Plan<'g>> {
    // The group's subjects and fingerprints by name: the read gives back every version of
    // every subject, which must not each scan the group.
    let subjects: HashMap<&str, &'g Subject> = group
        .iter()
        .map(|r| (r.subject.as_str(), &r.subject))
        .collect();
    let fingerprints: HashMap<&str, &'g str> = group
        .iter()
        .map(|r| (r.schema.fingerprint.as_str(), r.schema.fingerprint.as_str()))
        .collect();
    let mut rows: HashMap<Subject, Vec<Row>> = known
        .into_iter()
        .map(|(subject, all)| {
            let all = all
                .into_iter()
                .map(|row| Row {
                    version: row.version,
                    schema: Slot::Id(row.schema_id),
                    deleted: row.deleted,
                    created_at: row.created_at,
                })
                .collect();
            (subject, all)
        })
        .collect();
    let mut slots: HashMap<&'g str, Slot> = HashMap::new();
    for f in found {
        let id = schema_id(f.id)?;
        match f.version {
            Some(version) => {
                let Some(subject) = subjects.get(f.key.as_str()) else {
                    continue;
                };
                rows.entry((*subject).clone()).or_default().push(Row {
                    version: crate::common::version(version)?,
                    schema: Slot::Id(id),
                    deleted: f.deleted,
                    created_at: f.created_at,
                });
            }
            None => {
                if let Some(fingerprint) = fingerprints.get(f.key.as_str()) {
                    slots.insert(fingerprint, Slot::Id(id));
                }
            }
        }
    }
    for all in rows.values_mut() {
        all.sort_unstable_by_key(|row| row.version);
        // A row the read gave twice (PostgreSQL's newest version holding a group's schema).
        all.dedup_by_key(|row| row.version);
    }
    let created_at = crate::common::now_millis();
    let mut writes = Vec::new();
    let mut decided = Vec::with_capacity(group.len());
    for r in group {
        let all = rows.entry(r.subject.clone()).or_default();
        let slot = slots.get(r.schema.fingerprint.as_str()).copied();
        // The newest live version holding the schema.
        if let Some(slot) = slot
            && let Some(row) = all
                .iter()
                .rev()
                .find(|row| !row.deleted && row.schema == slot)
        {
            decided.push(Decided::Existing(*row));
            continue;
        }
        let live: Vec<Row> = all.iter().filter(|row| !row.deleted).copied().collect();
        if let Some(checked) = &r.checked {
            let same = checked.len() == live.len()
                && checked.iter().zip(&live).all(|(c, l)| {
                    Slot::Id(c.schema_id) == l.schema
                        && c.version == l.version
                        && c.created_at == l.created_at
                });
            if !same {
                decided.push(Decided::Changed(live));
                continue;
            }
        }
        // A soft-deleted version of the same schema is removed for good when the schema
        // comes back: that is the lone transaction's work, as are references and contexts.
        if !r.subject.context().is_default()
            || !r.schema.references.is_empty()
            || slot.is_some_and(|s| all.iter().any(|row| row.deleted && row.schema == s))
        {
            decided.push(Decided::Declined);
            continue;
        }
        let Ok(version) = next_version(all.last().map(|row| version_column(row.version))) else {
            decided.push(Decided::Declined);
            continue;
        };
        let n = writes.len();
        let source = match slot {
            Some(Slot::Id(id)) => Source::Stored(id),
            Some(Slot::Written(_)) => Source::Earlier(r.schema.fingerprint.as_str()),
            None => {
                slots.insert(r.schema.fingerprint.as_str(), Slot::Written(n));
                Source::New(&r.schema)
            }
        };
        all.push(Row {
            version,
            schema: slot.unwrap_or(Slot::Written(n)),
            deleted: false,
            created_at,
        });
        writes.push(Write {
            subject: &r.subject,
            version,
            source,
        });
        decided.push(Decided::Written(n, version));
    }
    Ok(Plan {
        decided,
        writes,
        rows,
        created_at,
    })
}

impl Plan<'_> {
    /// Each registration's outcome, given the schema id of each write.
    fn outcomes(self, ids: &[SchemaId]) -> Vec<GroupedOutcome> {
        Self::resolve_decided(self.decided, ids)
    }

    fn resolve_decided(decided: Vec<Decided>, ids: &[SchemaId]) -> Vec<GroupedOutcome> {
        decided
            .into_iter()
            .map(|d| match d {
                Decided::Existing(row) => GroupedOutcome::Existing(row.resolve(ids)),
                Decided::Changed(live) => {
                    GroupedOutcome::Changed(live.iter().map(|row| row.resolve(ids)).collect())
                }
                Decided::Written(n, version) => GroupedOutcome::Written {
                    id: ids[n],
                    version,
                },
                Decided::Declined => GroupedOutcome::Declined,
            })
            .collect()
    }

    /// Each registration's outcome, given the schema id of each write, every version of
    /// each subject written to, and every version of each subject of the group (written to
    /// or not) as the group left them: the group must have read every version of its
    /// subjects.
    fn finish_all(self, ids: &[SchemaId]) -> (Vec<GroupedOutcome>, Published, Published) {
        let outcomes = Self::resolve_decided(self.decided, ids);
        let published = self
            .writes
            .iter()
            .filter_map(|w| {
                let all = self.rows.get(w.subject)?;
                Some((
                    w.subject.clone(),
                    all.iter().map(|row| row.resolve(ids)).collect(),
                ))
            })
            .collect();
        let every = self
            .rows
            .into_iter()
            .map(|(subject, all)| (subject, all.iter().map(|row| row.resolve(ids)).collect()))
            .collect();
        (outcomes, published, every)
    }
}

/// The schema ids a group's query gave back, checked: one per write, each below `2^31`.
fn written_ids(returned: Vec<i64>, writes: usize) -> Result<Vec<SchemaId>> {
    if returned.len() != writes {
        return Err(crate::Error::Corrupt(format!(
            "a group of {writes} writes gave {} schema ids",
            returned.len()
        )));
    }
    returned
        .into_iter()
        .map(|id| {
            if id > i64::from(i32::MAX) {
                return Err(crate::Error::IdsExhausted);
            }
            schema_id(id)
        })
        .collect()
}

/// Versions of some subjects, by subject, oldest first: every version, or those a group
/// wrote ([`Publishing`]).
type Published = HashMap<Subject, Vec<VersionRow>>;

/// What a group leaves: each registration's outcome, in order, and for each subject it
/// wrote to, every version as its commit left them (SQLite) or the versions it wrote
/// (PostgreSQL).
pub(crate) type Written = (Vec<GroupedOutcome>, Publishing);

/// The versions of the subjects recent groups read or wrote on SQLite, as their commits left
/// them, so that the next group reads only the versions of subjects it does not know.
///
/// One process owns a SQLite file and every write to it takes the store's write lock: an
/// entry stays true while only groups write. Any other write clears it
/// ([`KnownVersions::clear`], under the write lock); a group takes out the entries of its
/// subjects before it writes and puts them back only after its commit, so that a failed or
/// cancelled group leaves them unknown. At most [`KnownVersions::MAX_ROWS`] rows are kept.
#[derive(Debug, Default)]
pub(crate) struct KnownVersions {
    subjects: HashMap<Subject, Vec<VersionRow>>,
    rows: usize,
}

impl KnownVersions {
    /// Most version rows kept (about 24 bytes each, plus the subject's name); past it,
    /// everything is forgotten and read again as groups need it.
    const MAX_ROWS: usize = 200_000;

    /// Forgets every subject.
    pub(crate) fn clear(&mut self) {
        self.subjects.clear();
        self.rows = 0;
    }

    /// Takes out the versions of `subject`, when known.
    fn take(&mut self, subject: &Subject) -> Option<Vec<VersionRow>> {
        let rows = self.subjects.remove(subject)?;
        self.rows -= rows.len();
        Some(rows)
    }

    /// Keeps `rows` as every version of `subject`.
    fn keep(&mut self, subject: Subject, rows: Vec<VersionRow>) {
        if self.rows + rows.len() > Self::MAX_ROWS {
            self.clear();
        }
        self.rows += rows.len();
        if let Some(old) = self.subjects.insert(subject, rows) {
            self.rows -= old.len();
        }
    }
}

/// Writes one group on SQLite in `tx` (which holds SQLite's write lock) and commits it: one
/// statement reads the fingerprints' ids and the versions of the subjects `known` does not
/// hold, one query of several statements writes every schema and version. The versions of
/// the group's subjects are kept in `known` after the commit (or after the rollback of a
/// group that wrote nothing).
///
/// Errors: the database's, and [`Error::IdsExhausted`](crate::Error::IdsExhausted); the
/// transaction is then dropped, so nothing is written.
pub(crate) async fn write_group_sqlite(
    mut tx: Transaction<'static, Sqlite>,
    group: &[GroupedRegistration],
    known: &std::sync::Mutex<KnownVersions>,
) -> Result<Written> {
    use sqlx::Row as _;
    let (_, fingerprints) = keys(group);
    // The versions of subjects known from earlier groups are not read again; they are
    // taken out until this group has committed.
    let mut taken = HashMap::new();
    let mut unknown = Vec::new();
    {
        let mut known = known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut seen = std::collections::HashSet::new();
        for r in group {
            if !seen.insert(r.subject.as_str()) {
                continue;
            }
            match known.take(&r.subject) {
                Some(rows) => {
                    taken.insert(r.subject.clone(), rows);
                }
                None => unknown.push(r.subject.as_str()),
            }
        }
        unknown.sort_unstable();
    }
    let marks = |from: usize, n: usize| {
        (from..from + n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let fingerprints_sql = format!(
        "SELECT fingerprint, NULL, id, FALSE, 0 FROM schemas WHERE fingerprint IN ({})",
        marks(1 + unknown.len(), fingerprints.len()),
    );
    let sql = if unknown.is_empty() {
        fingerprints_sql
    } else {
        format!(
            "SELECT subject, version, schema_id, deleted, created_at FROM subject_versions
             WHERE subject IN ({})
             UNION ALL
             {fingerprints_sql}",
            marks(1, unknown.len()),
        )
    };
    // Its text depends on the group's size: not kept among the connection's prepared
    // statements, which would hold one per size.
    let mut query = sqlx::query(&sql).persistent(false);
    for key in unknown.iter().chain(&fingerprints) {
        query = query.bind(*key);
    }
    let mut found = Vec::new();
    for row in query.fetch_all(&mut *tx).await? {
        found.push(Found {
            key: row.try_get(0)?,
            version: row.try_get(1)?,
            id: row.try_get(2)?,
            deleted: row.try_get(3)?,
            created_at: row.try_get(4)?,
        });
    }
    let plan = plan(group, found, taken)?;
    let remember = |(outcomes, published, every): (Vec<GroupedOutcome>, Published, Published)| {
        let mut known = known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (subject, rows) in every {
            known.keep(subject, rows);
        }
        (outcomes, Publishing::All(published))
    };
    if plan.writes.is_empty() {
        tx.rollback().await?;
        return Ok(remember(plan.finish_all(&[])));
    }

    // Every write in one query: a version's schema id comes back for each.
    let mut sql = String::new();
    let mut binds: Vec<Bind<'_>> = Vec::new();
    for w in &plan.writes {
        let subject = mark(Bind::Text(w.subject.as_str().into()), &mut binds);
        let v = mark(Bind::Int(i64::from(version_column(w.version))), &mut binds);
        let at = mark(Bind::Int(plan.created_at), &mut binds);
        let schema_ref = match &w.source {
            Source::Stored(id) => mark(Bind::Int(crate::common::id_column(*id)), &mut binds),
            Source::Earlier(fp) => {
                let fp = mark(Bind::Text((*fp).into()), &mut binds);
                format!("(SELECT id FROM schemas WHERE fingerprint = {fp})")
            }
            Source::New(s) => {
                let cols = [
                    mark(Bind::Text(s.schema_type.as_str().into()), &mut binds),
                    mark(Bind::Text(s.schema.as_str().into()), &mut binds),
                    mark(Bind::Text(refs_json(s)?.into()), &mut binds),
                    mark(
                        Bind::Opt(s.metadata.as_ref().map(|m| m.to_string())),
                        &mut binds,
                    ),
                    mark(
                        Bind::Opt(s.rule_set.as_ref().map(|m| m.to_string())),
                        &mut binds,
                    ),
                    mark(Bind::Text(s.fingerprint.as_str().into()), &mut binds),
                    mark(Bind::Text(s.guid().to_string().into()), &mut binds),
                ];
                sql.push_str(&format!(
                    "INSERT INTO schemas (schema_type, schema, refs, metadata, rule_set, \
                     fingerprint, guid) VALUES ({});\n",
                    cols.join(", ")
                ));
                "last_insert_rowid()".to_owned()
            }
        };
        sql.push_str(&format!(
            "INSERT INTO subject_versions (subject, version, schema_id, deleted, created_at) \
             VALUES ({subject}, {v}, {schema_ref}, FALSE, {at}) RETURNING schema_id;\n"
        ));
    }
    // One text per group: never kept among the prepared statements (a multi-statement
    // program for hundreds of versions is large).
    let mut query = sqlx::query_scalar::<_, i64>(&sql).persistent(false);
    for bind in binds {
        query = match bind {
            Bind::Text(t) => query.bind(t.into_owned()),
            Bind::Int(i) => query.bind(i),
            Bind::Opt(o) => query.bind(o),
        };
    }
    let ids = written_ids(query.fetch_all(&mut *tx).await?, plan.writes.len())?;
    tx.commit().await?;
    Ok(remember(plan.finish_all(&ids)))
}

/// Writes one group on PostgreSQL and commits it: the subjects' advisory locks taken in one
/// statement (in key order, so that groups of several replicas never wait on each other in a cycle), one read of the fingerprints' ids and of the
/// subjects' versions a decision needs, one insert of the new schemas (in fingerprint order),
/// and one statement that inserts the versions and appends them to the change log for the
/// other replicas. Those changes' sequence numbers are marked in `own` before the commit
/// (and unmarked if it does not succeed), so that this replica's follower does not pass its
/// own writes on: the publishers are told of them. The outcomes come with the versions written to each subject
/// ([`Publishing::Appended`]).
///
/// Errors: the database's, and [`Error::IdsExhausted`](crate::Error::IdsExhausted); the
/// transaction is then dropped, so nothing is written.
pub(crate) async fn write_group_postgres(
    mut tx: Transaction<'static, Postgres>,
    group: &[GroupedRegistration],
    lock_space: i32,
    own: &crate::change_log::OwnChanges,
) -> Result<Written> {
    use sqlx::Row as _;
    let (subjects, fingerprints) = keys(group);
    sqlx::query(
        "SELECT pg_advisory_xact_lock($1, k)
         FROM (SELECT DISTINCT hashtext(s) AS k FROM unnest($2::text[]) AS s ORDER BY k) AS l",
    )
    .bind(lock_space)
    .bind(&subjects)
    .execute(&mut *tx)
    .await?;
    // Every version is read only of the subjects a registration was checked against; of
    // the others, the newest version (the next one's number) and those holding one of the
    // group's schemas (the answer of a registration already made, or a soft-deleted version
    // its registration removes) are all a decision needs. A subject's history grows with
    // every version, and reading all of it made the read the largest part of a group.
    //
    // The versions holding the group's schemas are found from the schemas, by the
    // `subject_versions_schema_id` index: a handful of rows. `OFFSET 0` keeps the lateral
    // subquery from being merged into a join, whose plan PostgreSQL may otherwise drive from
    // the subjects, reading every version of each and its schema (a plan it chose with
    // statistics of short histories, which made the read grow with every version written).
    let (whole, partial): (Vec<&str>, Vec<&str>) = subjects.iter().partition(|s| {
        group
            .iter()
            .any(|r| r.checked.is_some() && r.subject.as_str() == **s)
    });
    let mut found = Vec::new();
    for row in sqlx::query(
        "SELECT subject, version, schema_id, deleted, created_at FROM subject_versions
         WHERE subject = ANY($1)
         UNION ALL
         SELECT n.subject, n.version, n.schema_id, n.deleted, n.created_at
         FROM unnest($2::text[]) AS p(name)
         CROSS JOIN LATERAL (SELECT * FROM subject_versions WHERE subject = p.name
                             ORDER BY version DESC LIMIT 1) AS n
         UNION ALL
         SELECT v.subject, v.version, v.schema_id, v.deleted, v.created_at
         FROM schemas s
         CROSS JOIN LATERAL (SELECT * FROM subject_versions WHERE schema_id = s.id
                             AND subject = ANY($2) OFFSET 0) AS v
         WHERE s.fingerprint = ANY($3)
         UNION ALL
         SELECT fingerprint, NULL, id, FALSE, 0::bigint FROM schemas WHERE fingerprint = ANY($3)",
    )
    .bind(&whole)
    .bind(&partial)
    .bind(&fingerprints)
    .fetch_all(&mut *tx)
    .await?
    {
        found.push(Found {
            key: row.try_get(0)?,
            version: row.try_get(1)?,
            id: row.try_get(2)?,
            deleted: row.try_get(3)?,
            created_at: row.try_get(4)?,
        });
    }
    let plan = plan(group, found, HashMap::new())?;
    if plan.writes.is_empty() {
        tx.rollback().await?;
        return Ok((plan.outcomes(&[]), Publishing::Appended(HashMap::new())));
    }

    // The new schemas, in fingerprint order (concurrent groups insert them in the same
    // order); one committed meanwhile by another replica keeps its id.
    let mut new: Vec<&crate::NewSchema> = plan
        .writes
        .iter()
        .filter_map(|w| match w.source {
            Source::New(s) => Some(s),
            _ => None,
        })
        .collect();
    new.sort_unstable_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    let mut ids_of: HashMap<String, i64> = HashMap::new();
    if !new.is_empty() {
        let column = |f: &dyn Fn(&crate::NewSchema) -> Option<String>| -> Vec<Option<String>> {
            new.iter().map(|s| f(s)).collect()
        };
        let mut refs = Vec::with_capacity(new.len());
        for s in &new {
            refs.push(refs_json(s)?);
        }
        let inserted = sqlx::query(
            "INSERT INTO schemas (schema_type, schema, refs, metadata, rule_set, fingerprint, guid)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                  $6::text[], $7::text[])
             ON CONFLICT (fingerprint) DO NOTHING RETURNING id, fingerprint",
        )
        .bind(column(&|s| Some(s.schema_type.as_str().to_owned())))
        .bind(column(&|s| Some(s.schema.clone())))
        .bind(&refs)
        .bind(column(&|s| s.metadata.as_ref().map(|m| m.to_string())))
        .bind(column(&|s| s.rule_set.as_ref().map(|m| m.to_string())))
        .bind(column(&|s| Some(s.fingerprint.clone())))
        .bind(column(&|s| Some(s.guid().to_string())))
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| match &e {
            // sequence_generator_limit_exceeded: the identity passed 2^31-1.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("2200H") => {
                crate::Error::IdsExhausted
            }
            _ => crate::Error::Database(e),
        })?;
        for row in inserted {
            ids_of.insert(row.try_get(1)?, row.try_get::<i64, _>(0)?);
        }
        let missing: Vec<&str> = new
            .iter()
            .map(|s| s.fingerprint.as_str())
            .filter(|fp| !ids_of.contains_key(*fp))
            .collect();
        if !missing.is_empty() {
            for row in
                sqlx::query("SELECT id, fingerprint FROM schemas WHERE fingerprint = ANY($1)")
                    .bind(&missing)
                    .fetch_all(&mut *tx)
                    .await?
            {
                ids_of.insert(row.try_get(1)?, row.try_get::<i64, _>(0)?);
            }
        }
    }
    let mut returned = Vec::with_capacity(plan.writes.len());
    for w in &plan.writes {
        returned.push(match &w.source {
            Source::Stored(id) => crate::common::id_column(*id),
            Source::New(s) => ids_of.get(&s.fingerprint).copied().unwrap_or(-1),
            Source::Earlier(fp) => ids_of.get(*fp).copied().unwrap_or(-1),
        });
    }
    let ids = written_ids(returned, plan.writes.len())?;
    let versions: Vec<i32> = plan
        .writes
        .iter()
        .map(|w| version_column(w.version))
        .collect();
    let written_subjects: Vec<&str> = plan.writes.iter().map(|w| w.subject.as_str()).collect();
    let schema_ids: Vec<i64> = ids.iter().map(|id| crate::common::id_column(*id)).collect();
    let mut announced = written_subjects.clone();
    announced.sort_unstable();
    announced.dedup();
    // The versions and their announcement in one statement (a data-modifying `WITH` runs
    // whether or not the statement reads what it returns); it returns the changes' numbers.
    let seqs: Vec<i64> = sqlx::query_scalar(&format!(
        "WITH written AS (
             INSERT INTO subject_versions (subject, version, schema_id, deleted, created_at)
             SELECT s, v, i, FALSE, $4 FROM unnest($1::text[], $2::int[], $3::bigint[])
                 AS t(s, v, i)),
         {}",
        crate::change_log::append_subjects_sql(5)
    ))
    .bind(&written_subjects)
    .bind(&versions)
    .bind(&schema_ids)
    .bind(plan.created_at)
    .bind(&announced)
    .fetch_all(&mut *tx)
    .await?;
    let marked = own.mark(&seqs);
    tx.commit().await?;
    marked.committed();
    let mut appended = Published::new();
    for (w, id) in plan.writes.iter().zip(&ids) {
        appended
            .entry(w.subject.clone())
            .or_default()
            .push(VersionRow {
                version: w.version,
                schema_id: *id,
                deleted: false,
                created_at: plan.created_at,
            });
    }
    for rows in appended.values_mut() {
        rows.sort_unstable_by_key(|r| r.version);
    }
    Ok((plan.outcomes(&ids), Publishing::Appended(appended)))
}

/// The group's distinct subjects and fingerprints, sorted.
fn keys(group: &[GroupedRegistration]) -> (Vec<&str>, Vec<&str>) {
    let mut subjects: Vec<&str> = group.iter().map(|r| r.subject.as_str()).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let mut fingerprints: Vec<&str> = group
        .iter()
        .map(|r| r.schema.fingerprint.as_str())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    (subjects, fingerprints)
}

/// Adds a parameter to the group's write query; returns its placeholder.
fn mark<'g>(bind: Bind<'g>, binds: &mut Vec<Bind<'g>>) -> String {
    binds.push(bind);
    format!("${}", binds.len())
}

/// A parameter of the group's write query.
enum Bind<'a> {
    Text(std::borrow::Cow<'a, str>),
    Int(i64),
    Opt(Option<String>),
}

/// Answers every registration of a group: the outcomes of `written`, or, when the group
/// failed as a whole, [`GroupedOutcome::Declined`] (each registers alone). Versions are
/// published as the writer's [`Publishing`] says (or forgotten, after a failure) before
/// the answers go out.
fn answer_group(group: Vec<Pending>, written: Result<Written>) {
    match written {
        Ok((outcomes, publishing)) => {
            for (subject, rows) in publishing.versions() {
                if let Some(p) = group.iter().find(|p| &p.registration.subject == subject) {
                    (p.registration.publish)(subject, publishing.told(rows));
                }
            }
            for (p, outcome) in group.into_iter().zip(outcomes) {
                let _ = p.answer.send(Ok(outcome));
            }
        }
        Err(e) => {
            tracing::debug!(error = %e, size = group.len(), "a registration group failed; each registers alone");
            for p in group {
                (p.registration.publish)(&p.registration.subject, VersionsWritten::Unknown);
                let _ = p.answer.send(Ok(GroupedOutcome::Declined));
            }
        }
    }
}

/// Forgets what the publishers hold of a group's subjects when dropped before
/// [`ForgetOnDrop::disarm`]: a lead cancelled while its commit was in flight leaves the
/// outcome unknown.
struct ForgetOnDrop(Vec<(Subject, VersionsPublisher)>);

impl ForgetOnDrop {
    fn new(group: &[Pending]) -> Self {
        Self(
            group
                .iter()
                .map(|p| {
                    (
                        p.registration.subject.clone(),
                        Arc::clone(&p.registration.publish),
                    )
                })
                .collect(),
        )
    }

    fn disarm(mut self) {
        self.0.clear();
    }

    /// Forgets the subjects not in `published` now, and none when dropped.
    fn forget_all_but(mut self, published: &Published) {
        for (subject, publish) in self.0.drain(..) {
            if !published.contains_key(&subject) {
                publish(&subject, VersionsWritten::Unknown);
            }
        }
    }
}

impl Drop for ForgetOnDrop {
    fn drop(&mut self) {
        for (subject, publish) in &self.0 {
            publish(subject, VersionsWritten::Unknown);
        }
    }
}
