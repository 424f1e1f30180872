//! The storage conformance suite: written once against `dyn SchemaStore`, run against
//! SQLite and against a real PostgreSQL started for each test.

use std::sync::Arc;

use warden_core::api::SchemaReference;
use warden_core::{
    CompatibilityLevel, CompatibilityPolicy, Context, Mode, SchemaId, SchemaType, Subject, Version,
};
use warden_storage::{
    AssociationKey, DeletedFilter, Error, Eviction, GroupedOutcome, GroupedRegistration, NewSchema,
    SchemaStore, Scope, StoredAssociation, StoredConfig, StoredDek, StoredKek, VersionRow,
    VersionsPublisher, VersionsWritten,
};
use warden_testkit::postgres::TempPostgres;

fn schema(text: &str) -> NewSchema {
    NewSchema {
        schema_type: SchemaType::Avro,
        schema: text.to_owned(),
        references: Vec::new(),
        metadata: None,
        rule_set: None,
        fingerprint: warden_core::fingerprint(SchemaType::Avro, text, &[], None, None),
    }
}

/// The outcome of [`register`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registered {
    /// The subject already had the schema as a live version; nothing was written.
    Existing { id: SchemaId, version: Version },
    /// A new version was written.
    New { id: SchemaId, version: Version },
}

/// Registers through the store's registration transaction, as the registry does with
/// compatibility off: the same schema already live is returned, else it is written.
async fn register(
    store: &dyn SchemaStore,
    subject: &str,
    schema: &NewSchema,
    explicit_id: Option<SchemaId>,
    explicit_version: Option<Version>,
) -> Result<Registered, Error> {
    let subject = sub(subject);
    let mut tx = store.begin_registration(&subject).await?;
    let (live, found) = tx.live_versions_and_id(&schema.fingerprint).await?;
    if let Some(id) = found
        && let Some(row) = live.iter().find(|r| r.schema_id == id)
        && explicit_version.is_none_or(|v| v == row.version)
    {
        return Ok(Registered::Existing {
            id,
            version: row.version,
        });
    }
    let (id, version) = tx
        .insert_schema_and_version(schema, explicit_id, explicit_version)
        .await?;
    tx.commit(&|_| {}).await?;
    Ok(Registered::New { id, version })
}

fn sub(name: &str) -> Subject {
    Subject::parse(name).unwrap()
}

fn v(n: i64) -> Version {
    Version::new(n).unwrap()
}

fn id(n: i64) -> SchemaId {
    SchemaId::new(n).unwrap()
}

/// `schema` as registered under a subject of `context` (its fingerprint scoped).
fn in_context(context: &str, schema: &NewSchema) -> NewSchema {
    let context = Context::parse(context).unwrap();
    NewSchema {
        fingerprint: context.scoped_fingerprint(schema.fingerprint.clone()),
        ..schema.clone()
    }
}

async fn contexts_have_their_own_ids(store: Arc<dyn SchemaStore>) {
    let int = schema(r#""int""#);
    let long = schema(r#""long""#);
    let new_id = |r: Registered| match r {
        Registered::New { id, .. } => id,
        Registered::Existing { .. } => panic!("expected a new version: {r:?}"),
    };
    let default = new_id(register(&*store, "s", &int, None, None).await.unwrap());
    assert_eq!(default, id(1));
    // The same schema in a context is a schema of its own there, with the id 1 of its own.
    let ctx_int = in_context(".ctx", &int);
    let one = new_id(
        register(&*store, ":.ctx:s", &ctx_int, None, None)
            .await
            .unwrap(),
    );
    assert_eq!(one.get(), 1);
    assert_ne!(one, default, "ids of two contexts are two schemas");
    let two = new_id(
        register(&*store, ":.ctx:t", &in_context(".ctx", &long), None, None)
            .await
            .unwrap(),
    );
    assert_eq!(two.get(), 2);
    let other = new_id(
        register(
            &*store,
            ":.other:t",
            &in_context(".other", &long),
            None,
            None,
        )
        .await
        .unwrap(),
    );
    assert_eq!(other.get(), 1);
    // The default context's counter is its own.
    assert_eq!(
        new_id(register(&*store, "u", &long, None, None).await.unwrap()),
        id(2)
    );
    let names: Vec<String> = store
        .contexts()
        .await
        .unwrap()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(names, [".ctx", ".other"]);
    // Ids are read back in their context.
    let ctx = Context::parse(".ctx").unwrap();
    let read = store.schema_id_in(&ctx, id(2)).await.unwrap().unwrap();
    assert_eq!(read, two);
    assert_eq!(
        store.schema_by_id(read).await.unwrap().unwrap().schema,
        r#""long""#
    );
    assert_eq!(
        store.schema_by_id(one).await.unwrap().unwrap().schema,
        r#""int""#
    );
    let nowhere = Context::parse(".nowhere").unwrap();
    assert_eq!(store.schema_id_in(&nowhere, id(1)).await.unwrap(), None);
    assert_eq!(
        store.versions(&sub(":.ctx:s")).await.unwrap()[0].schema_id,
        one
    );
    assert_eq!(
        store.versions_of_schema(one).await.unwrap(),
        [(sub(":.ctx:s"), v(1), false)]
    );
    // Explicit ids (IMPORT mode) are ids of the subject's context; later ids follow them.
    let double = in_context(".ctx", &schema(r#""double""#));
    let ten = new_id(
        register(&*store, ":.ctx:d", &double, Some(id(10)), None)
            .await
            .unwrap(),
    );
    assert_eq!((ten.get(), ten.context_key()), (10, one.context_key()));
    let float = in_context(".ctx", &schema(r#""float""#));
    assert!(matches!(
        register(&*store, ":.ctx:f", &float, Some(id(10)), None).await,
        Err(Error::IdTaken(_))
    ));
    assert_eq!(
        new_id(
            register(&*store, ":.ctx:f", &float, None, None)
                .await
                .unwrap()
        )
        .get(),
        11
    );
    // References resolve in the referrer's context.
    let user = NewSchema {
        references: vec![SchemaReference {
            name: "int".into(),
            subject: "s".into(),
            version: 1,
        }],
        ..in_context(".ctx", &schema(r#"{"type":"array","items":"int"}"#))
    };
    let referrer_subject = sub(":.ctx:r");
    let mut tx = store.begin_registration(&referrer_subject).await.unwrap();
    tx.hold_references(&user.references).await.unwrap();
    let referrer = tx.find_or_insert_schema(&user, None).await.unwrap();
    tx.insert_version(referrer, None).await.unwrap();
    tx.commit(&|_| {}).await.unwrap();
    assert_eq!(
        store
            .referenced_by(&sub(":.ctx:s"), v(1), DeletedFilter::All)
            .await
            .unwrap(),
        [referrer]
    );
    assert!(
        store
            .referenced_by(&sub("s"), v(1), DeletedFilter::All)
            .await
            .unwrap()
            .is_empty()
    );
    // A context with versions stays; once they are gone it can be deleted.
    let other_ctx = Context::parse(".other").unwrap();
    assert!(!store.delete_context(&other_ctx).await.unwrap());
    store.soft_delete(&sub(":.other:t"), &[v(1)]).await.unwrap();
    assert!(!store.delete_context(&other_ctx).await.unwrap());
    let removed = store.hard_delete(&sub(":.other:t"), &[v(1)]).await.unwrap();
    assert_eq!(removed, [other]);
    assert!(store.delete_context(&other_ctx).await.unwrap());
    assert_eq!(store.contexts().await.unwrap(), [ctx]);
    assert_eq!(
        store
            .existing_ids(&[one, other, default])
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn registers_reuses_ids_and_numbers_versions(store: Arc<dyn SchemaStore>) {
    let a = schema(r#""int""#);
    let b = schema(r#""long""#);
    assert_eq!(
        register(&*store, "s", &a, None, None).await.unwrap(),
        Registered::New {
            id: id(1),
            version: v(1)
        }
    );
    assert_eq!(
        register(&*store, "s", &a, None, None).await.unwrap(),
        Registered::Existing {
            id: id(1),
            version: v(1)
        }
    );
    assert_eq!(
        register(&*store, "s", &b, None, None).await.unwrap(),
        Registered::New {
            id: id(2),
            version: v(2)
        }
    );
    assert_eq!(
        register(&*store, "t", &a, None, None).await.unwrap(),
        Registered::New {
            id: id(1),
            version: v(1)
        }
    );
    let stored = store.schema_by_id(id(2)).await.unwrap().unwrap();
    assert_eq!(stored.schema, r#""long""#);
    assert_eq!(store.schema_by_id(id(9)).await.unwrap(), None);
    assert_eq!(
        store
            .schema_id_by_fingerprint(&a.fingerprint)
            .await
            .unwrap(),
        Some(id(1))
    );
    assert_eq!(
        store.versions_of_schema(id(1)).await.unwrap(),
        vec![(sub("s"), v(1), false), (sub("t"), v(1), false)]
    );
    assert_eq!(
        store.subjects(None, DeletedFilter::Live).await.unwrap(),
        vec![sub("s"), sub("t")]
    );
    assert_eq!(
        store
            .subjects(Some("t"), DeletedFilter::Live)
            .await
            .unwrap(),
        vec![sub("t")]
    );
}

async fn concurrent_identical_registrations_get_one_id_and_one_version(
    store: Arc<dyn SchemaStore>,
) {
    let s = schema(r#"{"type":"record","name":"R","fields":[]}"#);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            let s = s.clone();
            tokio::spawn(async move { register(&*store, "race", &s, None, None).await.unwrap() })
        })
        .collect();
    let mut new = 0;
    for t in futures::future::join_all(tasks).await {
        match t.unwrap() {
            Registered::New { id: i, version } => {
                new += 1;
                assert_eq!((i, version), (id(1), v(1)));
            }
            Registered::Existing { id: i, version } => assert_eq!((i, version), (id(1), v(1))),
        }
    }
    assert_eq!(new, 1, "exactly one registration writes");
    assert_eq!(store.versions(&sub("race")).await.unwrap().len(), 1);
}

/// Registrations that arrive together are written in groups: the same schema sent by many
/// gives one version, distinct schemas get consecutive versions, a schema already stored
/// keeps its id under a new subject, and a registration checked against versions that have
/// changed writes nothing and is told the versions as they are.
async fn grouped_registrations_decide_as_one_transaction_each(store: Arc<dyn SchemaStore>) {
    let stored = schema(r#"{"type":"record","name":"Stored","fields":[]}"#);
    let stored_id = match register(&*store, "before", &stored, None, None)
        .await
        .unwrap()
    {
        Registered::New { id, .. } => id,
        other @ Registered::Existing { .. } => panic!("{other:?}"),
    };
    let publisher: VersionsPublisher = Arc::new(|_, _| {});
    let grouped =
        |subject: &str, s: &NewSchema, checked: Option<Vec<VersionRow>>| GroupedRegistration {
            subject: sub(subject),
            schema: Arc::new(s.clone()),
            checked,
            publish: Arc::clone(&publisher),
        };
    let same = schema(r#"{"type":"record","name":"Same","fields":[]}"#);
    let mut registrations: Vec<GroupedRegistration> =
        (0..16).map(|_| grouped("same", &same, None)).collect();
    registrations.extend((0..16).map(|i| {
        let s = schema(&format!(r#"{{"type":"record","name":"D{i}","fields":[]}}"#));
        grouped("distinct", &s, None)
    }));
    registrations.push(grouped("again", &stored, None));
    let outcomes = register_together(&store, registrations).await;
    assert!(
        !outcomes.contains(&GroupedOutcome::Declined),
        "every registration is written in a group: {outcomes:?}"
    );
    let written = |range: std::ops::Range<usize>| {
        outcomes[range]
            .iter()
            .filter_map(|o| match o {
                GroupedOutcome::Written { id, version } => Some((*id, *version)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        written(0..16).len(),
        1,
        "one version of the same schema: {outcomes:?}"
    );
    let same_id = written(0..16)[0].0;
    for o in &outcomes[0..16] {
        match o {
            GroupedOutcome::Written { .. } => {}
            GroupedOutcome::Existing(row) => {
                assert_eq!((row.schema_id, row.version), (same_id, v(1)))
            }
            other => panic!("{other:?}"),
        }
    }
    let mut versions: Vec<u32> = written(16..32).iter().map(|(_, v)| v.get()).collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=16).collect::<Vec<_>>());
    let stored_versions: Vec<(SchemaId, Version)> = store
        .versions(&sub("distinct"))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.schema_id, r.version))
        .collect();
    let mut answered = written(16..32);
    answered.sort_unstable_by_key(|(_, v)| *v);
    assert_eq!(
        stored_versions, answered,
        "the versions answered are those stored"
    );
    assert_eq!(
        written(32..33),
        vec![(stored_id, v(1))],
        "a stored schema keeps its id"
    );

    // Checked against no versions, while "distinct" has 16: nothing is written.
    let late = schema(r#"{"type":"record","name":"Late","fields":[]}"#);
    match store
        .register_grouped(grouped("distinct", &late, Some(Vec::new())))
        .await
        .unwrap()
    {
        GroupedOutcome::Changed(live) => assert_eq!(live.len(), 16),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.versions(&sub("distinct")).await.unwrap().len(), 16);
    let live = store.versions(&sub("distinct")).await.unwrap();
    match store
        .register_grouped(grouped("distinct", &late, Some(live)))
        .await
        .unwrap()
    {
        GroupedOutcome::Written { version, .. } => assert_eq!(version, v(17)),
        other => panic!("{other:?}"),
    }
}

/// A group decides on the versions as every write before it left them, deletes and lone
/// registrations included, not as an earlier group saw them.
async fn groups_see_the_writes_made_between_them(store: Arc<dyn SchemaStore>) {
    let publisher: VersionsPublisher = Arc::new(|_, _| {});
    let grouped = |s: &NewSchema, checked: Option<Vec<VersionRow>>| GroupedRegistration {
        subject: sub("between"),
        schema: Arc::new(s.clone()),
        checked,
        publish: Arc::clone(&publisher),
    };
    let numbered = |n: usize| schema(&format!(r#"{{"type":"record","name":"B{n}","fields":[]}}"#));
    let written = |outcome: GroupedOutcome| match outcome {
        GroupedOutcome::Written { version, .. } => version,
        other => panic!("{other:?}"),
    };
    for n in 1..=3 {
        let outcome = store.register_grouped(grouped(&numbered(n), None)).await;
        assert_eq!(written(outcome.unwrap()), v(n as i64));
    }
    // Soft-deleted in between: a check against the live versions (1 and 2) still holds.
    store.soft_delete(&sub("between"), &[v(3)]).await.unwrap();
    let live = store.versions(&sub("between")).await.unwrap()[..2].to_vec();
    let outcome = store
        .register_grouped(grouped(&numbered(4), Some(live)))
        .await;
    assert_eq!(written(outcome.unwrap()), v(4));
    // Removed in between: the version number is free again.
    store.hard_delete(&sub("between"), &[v(4)]).await.unwrap();
    let outcome = store.register_grouped(grouped(&numbered(5), None)).await;
    assert_eq!(written(outcome.unwrap()), v(4));
    // Written alone in between: the group numbers after it.
    register(&*store, "between", &numbered(6), None, None)
        .await
        .unwrap();
    let outcome = store.register_grouped(grouped(&numbered(7), None)).await;
    assert_eq!(written(outcome.unwrap()), v(6));
    // The schema of the soft-deleted version 3 again: not a live version, so not answered
    // as one (the store leaves its removal to a registration of its own).
    let outcome = store.register_grouped(grouped(&numbered(3), None)).await;
    assert_eq!(outcome.unwrap(), GroupedOutcome::Declined);
    let versions: Vec<(u32, bool)> = store
        .versions(&sub("between"))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.version.get(), r.deleted))
        .collect();
    assert_eq!(
        versions,
        vec![
            (1, false),
            (2, false),
            (3, true),
            (4, false),
            (5, false),
            (6, false)
        ]
    );
}

/// A group decides on a subject's whole history, however little of it the store reads: a
/// schema held by an old version is answered with that version, one held by a version
/// soft-deleted long ago is left to a registration of its own, and a new schema gets the
/// number after the newest version, live or not.
async fn groups_decide_on_the_whole_history(store: Arc<dyn SchemaStore>) {
    let publisher: VersionsPublisher = Arc::new(|_, _| {});
    let grouped = |s: &NewSchema| GroupedRegistration {
        subject: sub("history"),
        schema: Arc::new(s.clone()),
        checked: None,
        publish: Arc::clone(&publisher),
    };
    let numbered = |n: usize| schema(&format!(r#"{{"type":"record","name":"H{n}","fields":[]}}"#));
    let mut ids = Vec::new();
    for n in 1..=8 {
        match register(&*store, "history", &numbered(n), None, None)
            .await
            .unwrap()
        {
            Registered::New { id, version } => {
                assert_eq!(version, v(n as i64));
                ids.push(id);
            }
            other @ Registered::Existing { .. } => panic!("{other:?}"),
        }
    }
    store
        .soft_delete(&sub("history"), &[v(2), v(8)])
        .await
        .unwrap();
    // Concurrently, in one group or several: the schema of version 1, of the soft-deleted
    // version 2, of the newest live version (7), of the newest version (8, soft-deleted:
    // PostgreSQL's group read finds its row both as the newest and as holding the schema),
    // and a new schema.
    let schemas = [
        numbered(1),
        numbered(2),
        numbered(7),
        numbered(8),
        numbered(9),
    ];
    let outcomes = register_together(&store, schemas.iter().map(&grouped)).await;
    let existing = |o: &GroupedOutcome| match o {
        GroupedOutcome::Existing(row) => (row.schema_id, row.version),
        other => panic!("{other:?}"),
    };
    assert_eq!(existing(&outcomes[0]), (ids[0], v(1)), "{outcomes:?}");
    assert_eq!(outcomes[1], GroupedOutcome::Declined, "{outcomes:?}");
    assert_eq!(existing(&outcomes[2]), (ids[6], v(7)), "{outcomes:?}");
    assert_eq!(outcomes[3], GroupedOutcome::Declined, "{outcomes:?}");
    match outcomes[4] {
        GroupedOutcome::Written { version, .. } => assert_eq!(version, v(9)),
        ref other => panic!("{other:?}"),
    }
    // A schema stored under another subject keeps its id in this one.
    let outcome = store
        .register_grouped(GroupedRegistration {
            subject: sub("history-elsewhere"),
            ..grouped(&numbered(4))
        })
        .await
        .unwrap();
    assert_eq!(
        outcome,
        GroupedOutcome::Written {
            id: ids[3],
            version: v(1)
        }
    );
    let versions: Vec<(u32, bool)> = store
        .versions(&sub("history"))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.version.get(), r.deleted))
        .collect();
    let expected: Vec<(u32, bool)> = (1..=9).map(|n| (n, n == 2 || n == 8)).collect();
    assert_eq!(versions, expected);
}

/// Registers `registrations` concurrently (the store groups them as they come) and answers
/// their outcomes in the same order.
async fn register_together(
    store: &Arc<dyn SchemaStore>,
    registrations: impl IntoIterator<Item = GroupedRegistration>,
) -> Vec<GroupedOutcome> {
    let tasks: Vec<_> = registrations
        .into_iter()
        .map(|r| {
            let store = Arc::clone(store);
            tokio::spawn(async move { store.register_grouped(r).await.unwrap() })
        })
        .collect();
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

async fn explicit_ids_and_versions_are_checked(store: Arc<dyn SchemaStore>) {
    let a = schema(r#""int""#);
    let b = schema(r#""long""#);
    assert_eq!(
        register(&*store, "s", &a, Some(id(10)), Some(v(3)))
            .await
            .unwrap(),
        Registered::New {
            id: id(10),
            version: v(3)
        }
    );
    assert!(matches!(
        register(&*store, "s", &b, Some(id(10)), Some(v(4))).await,
        Err(Error::IdTaken(taken)) if taken == id(10)
    ));
    // The same schema under a second id is stored under that id too (Confluent keeps it).
    assert_eq!(
        register(&*store, "s", &a, Some(id(11)), Some(v(4)))
            .await
            .unwrap(),
        Registered::New {
            id: id(11),
            version: v(4)
        }
    );
    assert_eq!(
        store.schema_by_id(id(11)).await.unwrap().unwrap().schema,
        r#""int""#
    );
    // Asked again with that id, the schema is the copy.
    assert_eq!(
        register(&*store, "u", &a, Some(id(11)), Some(v(1)))
            .await
            .unwrap(),
        Registered::New {
            id: id(11),
            version: v(1)
        }
    );
    // An existing version imported again points at the schema sent.
    assert_eq!(
        register(&*store, "s", &b, Some(id(12)), Some(v(3)))
            .await
            .unwrap(),
        Registered::New {
            id: id(12),
            version: v(3)
        }
    );
    let rows = store.versions(&sub("s")).await.unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (r.version, r.schema_id, r.deleted))
            .collect::<Vec<_>>(),
        [(v(3), id(12), false), (v(4), id(11), false)]
    );
    assert!(store.schema_by_id(id(10)).await.unwrap().is_some());
    // Ids allocated afterwards do not collide with the imported one.
    match register(&*store, "t", &b, None, None).await.unwrap() {
        Registered::New { id: i, .. } => assert!(i.get() > 10, "{i}"),
        other @ Registered::Existing { .. } => panic!("{other:?}"),
    }
}

async fn soft_and_hard_deletes(store: Arc<dyn SchemaStore>) {
    let a = schema(r#""int""#);
    let b = schema(r#""long""#);
    register(&*store, "s", &a, None, None).await.unwrap();
    register(&*store, "s", &b, None, None).await.unwrap();
    store.soft_delete(&sub("s"), &[v(1)]).await.unwrap();
    let rows = store.versions(&sub("s")).await.unwrap();
    assert!(rows[0].deleted && !rows[1].deleted);
    assert_eq!(
        store
            .subjects(None, DeletedFilter::DeletedOnly)
            .await
            .unwrap(),
        Vec::<Subject>::new()
    );
    store.soft_delete(&sub("s"), &[v(2)]).await.unwrap();
    assert_eq!(
        store.subjects(None, DeletedFilter::Live).await.unwrap(),
        Vec::<Subject>::new()
    );
    assert_eq!(
        store
            .subjects(None, DeletedFilter::DeletedOnly)
            .await
            .unwrap(),
        vec![sub("s")]
    );
    assert_eq!(
        store.all_versions(DeletedFilter::All).await.unwrap().len(),
        2
    );
    let removed = store.hard_delete(&sub("s"), &[v(1), v(2)]).await.unwrap();
    assert_eq!(removed, vec![id(1), id(2)]);
    assert_eq!(store.schema_by_id(id(1)).await.unwrap(), None);
    assert!(!store.has_subjects().await.unwrap());
}

async fn references_are_recorded(store: Arc<dyn SchemaStore>) {
    let user = dep_and_user(&*store).await;
    register(&*store, "user", &user, None, None).await.unwrap();
    assert_eq!(
        store
            .referenced_by(&sub("dep"), v(1), DeletedFilter::Live)
            .await
            .unwrap(),
        vec![id(2)]
    );
    assert_eq!(
        store.schema_by_id(id(2)).await.unwrap().unwrap().references,
        user.references
    );
    store.soft_delete(&sub("user"), &[v(1)]).await.unwrap();
    assert!(
        store
            .referenced_by(&sub("dep"), v(1), DeletedFilter::Live)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .referenced_by(&sub("dep"), v(1), DeletedFilter::All)
            .await
            .unwrap(),
        vec![id(2)]
    );
}

/// A registration reads the subject's live versions and the id of its schema in one
/// statement, with the answers of the two reads it replaces; the versions it numbers after
/// include the soft-deleted ones; a new schema and its version written together leave what
/// the two writes would.
async fn one_read_gives_the_live_versions_and_the_schemas_id(store: Arc<dyn SchemaStore>) {
    let (a, b, c) = (
        schema(r#""int""#),
        schema(r#""long""#),
        schema(r#""string""#),
    );
    for s in [&a, &b, &c] {
        register(&*store, "p", s, None, None).await.unwrap();
    }
    store.soft_delete(&sub("p"), &[v(2)]).await.unwrap();
    let a_id = store
        .schema_id_by_fingerprint(&a.fingerprint)
        .await
        .unwrap();
    assert!(a_id.is_some());

    let subject = sub("p");
    let mut tx = store.begin_registration(&subject).await.unwrap();
    let (live, id) = tx.live_versions_and_id(&a.fingerprint).await.unwrap();
    let numbers: Vec<u32> = live.iter().map(|r| r.version.get()).collect();
    assert_eq!(numbers, [1, 3]);
    assert_eq!(id, a_id);
    assert_eq!(
        tx.schema_id_by_fingerprint(&a.fingerprint).await.unwrap(),
        a_id
    );
    let d = schema(r#""double""#);
    let (again, none) = tx.live_versions_and_id(&d.fingerprint).await.unwrap();
    assert_eq!(again, live);
    assert_eq!(none, None);
    // The schema and its version written together: what the two writes would leave.
    let (d_id, version) = tx.insert_schema_and_version(&d, None, None).await.unwrap();
    assert_eq!(version, v(4));
    let published = std::sync::Mutex::new(None);
    tx.commit(&|rows| *published.lock().unwrap() = Some(rows.to_vec()))
        .await
        .unwrap();
    let stored = store.versions(&subject).await.unwrap();
    assert_eq!(
        stored.last().map(|r| (r.version, r.schema_id, r.deleted)),
        Some((v(4), d_id, false))
    );
    if let Some(published) = published.into_inner().unwrap() {
        assert_eq!(
            published, stored,
            "the versions published are the versions stored"
        );
    }
    assert_eq!(
        store
            .schema_id_by_fingerprint(&d.fingerprint)
            .await
            .unwrap(),
        Some(d_id)
    );
    let row = store.schema_by_id(d_id).await.unwrap().unwrap();
    assert_eq!((row.schema.as_str(), row.guid), (r#""double""#, d.guid()));

    // A subject with no versions: none, and the id of a schema stored under another.
    let empty = sub("empty");
    let mut tx = store.begin_registration(&empty).await.unwrap();
    let (live, id) = tx.live_versions_and_id(&a.fingerprint).await.unwrap();
    assert!(live.is_empty());
    assert_eq!(id, a_id);
}

async fn a_dropped_registration_writes_nothing(store: Arc<dyn SchemaStore>) {
    let a = schema(r#""int""#);
    let subject = sub("refused");
    {
        let mut tx = store.begin_registration(&subject).await.unwrap();
        assert!(tx.live_versions().await.unwrap().is_empty());
        let id = tx.find_or_insert_schema(&a, None).await.unwrap();
        assert_eq!(tx.insert_version(id, None).await.unwrap(), v(1));
        // Refused (say, incompatible): dropped without commit.
    }
    assert!(store.versions(&subject).await.unwrap().is_empty());
    assert_eq!(
        store
            .schema_id_by_fingerprint(&a.fingerprint)
            .await
            .unwrap(),
        None,
        "the schema row is rolled back with the version"
    );
    assert!(!store.has_subjects().await.unwrap());
    // The subject is free again, and numbering starts over.
    assert_eq!(
        register(&*store, "refused", &a, None, None).await.unwrap(),
        Registered::New {
            id: store
                .schema_id_by_fingerprint(&a.fingerprint)
                .await
                .unwrap()
                .unwrap(),
            version: v(1)
        }
    );
}

async fn a_registration_holds_the_subject_until_it_ends(store: Arc<dyn SchemaStore>) {
    let a = schema(r#""int""#);
    let b = schema(r#""long""#);
    let subject = sub("locked");
    let mut first = store.begin_registration(&subject).await.unwrap();
    let id = first.find_or_insert_schema(&a, None).await.unwrap();
    first.insert_version(id, None).await.unwrap();
    let second = {
        let store = Arc::clone(&store);
        let b = b.clone();
        tokio::spawn(async move {
            let subject = sub("locked");
            let mut tx = store.begin_registration(&subject).await.unwrap();
            // Under the lock, the first registration is already committed.
            let live = tx.live_versions().await.unwrap();
            let id = tx.find_or_insert_schema(&b, None).await.unwrap();
            let version = tx.insert_version(id, None).await.unwrap();
            tx.commit(&|_| {}).await.unwrap();
            (live.len(), version)
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!second.is_finished(), "the second registration waits");
    first.commit(&|_| {}).await.unwrap();
    assert_eq!(second.await.unwrap(), (1, v(2)));
}

/// Registers `dep` version 1 and returns a schema `user` that references it (not yet
/// registered).
async fn dep_and_user(store: &dyn SchemaStore) -> NewSchema {
    register(store, "dep", &schema(r#""int""#), None, None)
        .await
        .unwrap();
    let mut user = schema(r#""Dep""#);
    user.references = vec![SchemaReference {
        name: "Dep".into(),
        subject: "dep".into(),
        version: 1,
    }];
    user
}

async fn a_referenced_version_is_never_deleted(store: Arc<dyn SchemaStore>) {
    let user = dep_and_user(&*store).await;
    register(&*store, "user", &user, None, None).await.unwrap();
    let referenced = |r: Result<_, Error>| matches!(r, Err(Error::Referenced { .. }));
    assert!(referenced(store.soft_delete(&sub("dep"), &[v(1)]).await));
    assert!(referenced(
        store.hard_delete(&sub("dep"), &[v(1)]).await.map(|_| ())
    ));
    assert!(
        !store.versions(&sub("dep")).await.unwrap()[0].deleted,
        "nothing changed"
    );
    // A soft-deleted referrer still blocks the hard delete, not the soft one.
    store.soft_delete(&sub("user"), &[v(1)]).await.unwrap();
    store.soft_delete(&sub("dep"), &[v(1)]).await.unwrap();
    assert!(referenced(
        store.hard_delete(&sub("dep"), &[v(1)]).await.map(|_| ())
    ));
}

/// Versions deleted together may reference each other (Confluent's `deleteSubject` ignores
/// referrers in the subject being deleted); a referrer outside the deletion, live for a soft
/// delete and live or soft-deleted for a hard one, still refuses it, and nothing changes.
async fn versions_that_reference_each_other_are_deleted_together(store: Arc<dyn SchemaStore>) {
    register(&*store, "s", &schema(r#""int""#), None, None)
        .await
        .unwrap();
    let mut derived = schema(r#""Base""#);
    derived.references = vec![SchemaReference {
        name: "Base".into(),
        subject: "s".into(),
        version: 1,
    }];
    register(&*store, "s", &derived, None, None).await.unwrap();
    // The same schema under another subject: a referrer outside the deletion.
    register(&*store, "t", &derived, None, None).await.unwrap();
    let referenced = |r: Result<_, Error>| matches!(r, Err(Error::Referenced { .. }));
    let live = |store: Arc<dyn SchemaStore>, name: &'static str| async move {
        let rows = store.versions(&sub(name)).await.unwrap();
        rows.iter().filter(|r| !r.deleted).count()
    };
    assert!(referenced(store.soft_delete(&sub("s"), &[v(1)]).await));
    assert!(referenced(
        store.soft_delete(&sub("s"), &[v(1), v(2)]).await
    ));
    assert_eq!(live(Arc::clone(&store), "s").await, 2, "nothing changed");
    store.soft_delete(&sub("t"), &[v(1)]).await.unwrap();
    store.soft_delete(&sub("s"), &[v(1), v(2)]).await.unwrap();
    assert_eq!(live(Arc::clone(&store), "s").await, 0);
    // `t`'s soft-deleted version still references `s` version 1 through the shared schema.
    assert!(referenced(
        store
            .hard_delete(&sub("s"), &[v(1), v(2)])
            .await
            .map(|_| ())
    ));
    assert_eq!(store.versions(&sub("s")).await.unwrap().len(), 2);
    // `t` still uses the schema: only `t`'s version goes.
    assert_eq!(store.hard_delete(&sub("t"), &[v(1)]).await.unwrap(), vec![]);
    assert!(referenced(
        store.hard_delete(&sub("s"), &[v(1)]).await.map(|_| ())
    ));
    assert_eq!(
        store.hard_delete(&sub("s"), &[v(1), v(2)]).await.unwrap(),
        vec![id(1), id(2)]
    );
    assert!(store.versions(&sub("s")).await.unwrap().is_empty());
    assert!(store.schema_by_id(id(1)).await.unwrap().is_none());
    assert!(store.schema_by_id(id(2)).await.unwrap().is_none());
}

/// Writes `schema` as a new version of `subject` (`explicit` in IMPORT mode), then removes
/// the soft-deleted versions it supersedes; returns its version and the versions removed.
async fn register_superseding(
    store: &dyn SchemaStore,
    subject: &str,
    schema: &NewSchema,
    explicit: Option<Version>,
) -> (SchemaId, Version, Vec<Version>) {
    let subject = sub(subject);
    let mut tx = store.begin_registration(&subject).await.unwrap();
    let id = tx.find_or_insert_schema(schema, None).await.unwrap();
    let version = tx.insert_version(id, explicit).await.unwrap();
    let removed = tx.remove_superseded(id, version).await.unwrap();
    tx.commit(&|_| {}).await.unwrap();
    (id, version, removed)
}

/// Registered again under a subject where it was soft-deleted, a schema gets a new version
/// and its soft-deleted versions below it go for good, except one that a schema, live or
/// soft-deleted, references (Confluent's `KafkaSchemaRegistry.register`).
async fn a_new_version_removes_the_unreferenced_soft_deleted_versions_of_its_schema(
    store: Arc<dyn SchemaStore>,
) {
    let (a, b) = (schema(r#""int""#), schema(r#""long""#));
    register(&*store, "s", &a, None, None).await.unwrap();
    register(&*store, "s", &b, None, None).await.unwrap();
    let mut referrer = schema(r#""B""#);
    referrer.references = vec![SchemaReference {
        name: "B".into(),
        subject: "s".into(),
        version: 2,
    }];
    register(&*store, "r", &referrer, None, None).await.unwrap();
    store.soft_delete(&sub("r"), &[v(1)]).await.unwrap();
    store.soft_delete(&sub("s"), &[v(1), v(2)]).await.unwrap();
    let rows = |store: Arc<dyn SchemaStore>| async move {
        let rows = store.versions(&sub("s")).await.unwrap();
        rows.iter()
            .map(|r| (r.version.get(), r.schema_id.get(), r.deleted))
            .collect::<Vec<_>>()
    };
    // Version 2 is referenced by a soft-deleted schema: it stays.
    let again = register_superseding(&*store, "s", &b, None).await;
    assert_eq!(again, (id(2), v(3), vec![]));
    // Version 1 is referenced by nothing: it goes.
    let again = register_superseding(&*store, "s", &a, None).await;
    assert_eq!(again, (id(1), v(4), vec![v(1)]));
    assert_eq!(
        rows(Arc::clone(&store)).await,
        vec![(2, 2, true), (3, 2, false), (4, 1, false)]
    );
    // Only versions below the new one go (an IMPORT version may be lower).
    store.soft_delete(&sub("s"), &[v(4)]).await.unwrap();
    let again = register_superseding(&*store, "s", &a, Some(v(1))).await;
    assert_eq!(again, (id(1), v(1), vec![]));
    assert_eq!(
        rows(Arc::clone(&store)).await,
        vec![(1, 1, false), (2, 2, true), (3, 2, false), (4, 1, true)]
    );
}

async fn a_registration_refuses_a_reference_deleted_before_it(store: Arc<dyn SchemaStore>) {
    let user = dep_and_user(&*store).await;
    store.soft_delete(&sub("dep"), &[v(1)]).await.unwrap();
    let subject = sub("user");
    let mut tx = store.begin_registration(&subject).await.unwrap();
    assert!(matches!(
        tx.hold_references(&user.references).await,
        Err(Error::ReferenceNotLive { .. })
    ));
}

async fn a_delete_waits_for_a_registration_holding_its_version(store: Arc<dyn SchemaStore>) {
    let user = dep_and_user(&*store).await;
    let subject = sub("user");
    let mut tx = store.begin_registration(&subject).await.unwrap();
    tx.hold_references(&user.references).await.unwrap();
    let delete = {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.soft_delete(&sub("dep"), &[v(1)]).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !delete.is_finished(),
        "the delete waits for the registration"
    );
    let id = tx.find_or_insert_schema(&user, None).await.unwrap();
    tx.insert_version(id, None).await.unwrap();
    tx.commit(&|_| {}).await.unwrap();
    assert!(
        matches!(delete.await.unwrap(), Err(Error::Referenced { .. })),
        "the delete sees the committed reference and refuses"
    );
    assert!(!store.versions(&sub("dep")).await.unwrap()[0].deleted);
}

async fn ids_stop_at_the_top_of_the_java_int_range(store: Arc<dyn SchemaStore>) {
    let top = SchemaId::new(i64::from(i32::MAX)).unwrap();
    assert_eq!(
        register(
            &*store,
            "imported",
            &schema(r#""int""#),
            Some(top),
            Some(v(1))
        )
        .await
        .unwrap(),
        Registered::New {
            id: top,
            version: v(1)
        }
    );
    let next = schema(r#""long""#);
    assert!(matches!(
        register(&*store, "next", &next, None, None).await,
        Err(Error::IdsExhausted)
    ));
    assert_eq!(
        store
            .schema_id_by_fingerprint(&next.fingerprint)
            .await
            .unwrap(),
        None,
        "nothing is written"
    );
    assert!(store.versions(&sub("next")).await.unwrap().is_empty());
    assert_eq!(
        store.all_versions(DeletedFilter::All).await.unwrap().len(),
        1,
        "the registry stays readable"
    );
}

fn association(
    guid: &str,
    resource_id: &str,
    association_type: &str,
    subject: &str,
) -> StoredAssociation {
    StoredAssociation {
        guid: guid.to_owned(),
        resource_name: "orders".to_owned(),
        resource_namespace: "lkc-1".to_owned(),
        resource_id: resource_id.to_owned(),
        resource_type: "topic".to_owned(),
        association_type: association_type.to_owned(),
        subject: subject.to_owned(),
        strong: false,
        frozen: false,
        created_at: 1_000,
        updated_at: 1_000,
    }
}

async fn associations_are_written_read_and_removed(store: Arc<dyn SchemaStore>) {
    let key = association("g1", "id-1", "key", "orders-k");
    let value = association("g2", "id-1", "value", "orders-v");
    let other = StoredAssociation {
        resource_name: "payments".to_owned(),
        resource_namespace: "lkc-2".to_owned(),
        ..association("g3", "id-2", "value", "orders-v")
    };
    store
        .write_associations(&[key.clone(), value.clone(), other.clone()], &[])
        .await
        .unwrap();
    let sorted = |mut rows: Vec<StoredAssociation>| {
        rows.sort_by(|a, b| a.guid.cmp(&b.guid));
        rows
    };
    let by_id = store
        .associations(AssociationKey::ResourceId("id-1"), None)
        .await
        .unwrap();
    assert_eq!(sorted(by_id), vec![key.clone(), value.clone()]);
    let by_subject = store
        .associations(AssociationKey::Subject("orders-v"), Some("topic"))
        .await
        .unwrap();
    assert_eq!(sorted(by_subject), vec![value.clone(), other.clone()]);
    assert!(
        store
            .associations(AssociationKey::Subject("orders-v"), Some("other"))
            .await
            .unwrap()
            .is_empty(),
        "another resource type"
    );
    let by_name = |name, namespace| {
        let store = Arc::clone(&store);
        async move {
            store
                .associations(AssociationKey::ResourceName { name, namespace }, None)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(by_name("orders", Some("lkc-1")).await, 2);
    assert_eq!(by_name("orders", Some("lkc-2")).await, 0);
    assert_eq!(by_name("payments", None).await, 1);
    let in_namespace = store
        .associations(AssociationKey::Namespace(Some("lkc-2")), None)
        .await
        .unwrap();
    assert_eq!(in_namespace, vec![other.clone()]);
    assert_eq!(
        store
            .associations(AssociationKey::Namespace(None), None)
            .await
            .unwrap()
            .len(),
        3
    );

    // A second row for the same resource id and association type is refused, and nothing
    // of that write lands.
    let duplicate = association("g4", "id-1", "key", "elsewhere");
    let fresh = association("g5", "id-3", "key", "fresh");
    let err = store
        .write_associations(&[fresh, duplicate], &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::AssociationExists { association_type, resource_name }
            if association_type == "key" && resource_name == "orders"),
        "{err:?}"
    );
    assert!(
        store
            .associations(AssociationKey::ResourceId("id-3"), None)
            .await
            .unwrap()
            .is_empty()
    );

    // An update keeps the creation time; a removal and an insert of the same type in one
    // write succeed.
    let updated = StoredAssociation {
        strong: true,
        frozen: true,
        created_at: 5_000,
        updated_at: 5_000,
        ..key.clone()
    };
    let replacement = association("g6", "id-1", "value", "orders-v2");
    store
        .write_associations(&[updated, replacement.clone()], &["g2".to_owned()])
        .await
        .unwrap();
    let rows = sorted(
        store
            .associations(AssociationKey::ResourceId("id-1"), None)
            .await
            .unwrap(),
    );
    assert_eq!(
        rows,
        vec![
            StoredAssociation {
                strong: true,
                frozen: true,
                updated_at: 5_000,
                ..key
            },
            replacement
        ]
    );
}

async fn guids_max_ids_and_registration_times(store: Arc<dyn SchemaStore>) {
    assert_eq!(store.max_schema_id(0).await.unwrap(), None);
    let a = schema(r#""int""#);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    register(&*store, "s", &a, None, None).await.unwrap();
    register(&*store, "t", &a, None, None).await.unwrap();
    register(&*store, "t", &schema(r#""long""#), None, None)
        .await
        .unwrap();
    let stored = store.schema_by_id(id(1)).await.unwrap().unwrap();
    let guid = warden_core::Guid::of_schema(r#""int""#, &[], None, None);
    assert_eq!(stored.guid, guid);
    assert_eq!(store.schema_ids_by_guid(&guid).await.unwrap(), vec![id(1)]);
    let unknown = warden_core::Guid::of_schema("nothing", &[], None, None);
    assert!(store.schema_ids_by_guid(&unknown).await.unwrap().is_empty());
    assert_eq!(store.max_schema_id(0).await.unwrap(), Some(id(2)));
    let rows = store.versions(&sub("t")).await.unwrap();
    assert!(rows.iter().all(|r| r.created_at >= before));
    assert!(rows[0].created_at <= rows[1].created_at);
}

async fn configs_and_modes(store: Arc<dyn SchemaStore>) {
    let s = sub("s");
    assert_eq!(store.config(Scope::Global).await.unwrap(), None);
    let full = StoredConfig {
        compatibility: Some(CompatibilityLevel::Full),
        ..StoredConfig::default()
    };
    store.set_config(Scope::Global, full.clone()).await.unwrap();
    // Every field as given: the registry merges updates itself, so a field can be cleared.
    let every = StoredConfig {
        compatibility: None,
        normalize: Some(true),
        compatibility_policy: Some(CompatibilityPolicy::Lenient),
        extra: warden_core::api::ConfigFields {
            alias: Some("target".into()),
            alias_for_deks: Some("keys".into()),
            validate_fields: Some(false),
            validate_new_schemas: Some(true),
            validate_rules: Some(false),
            compatibility_group: Some("major".into()),
            default_metadata: Some(serde_json::json!({"properties": {"a": "1"}})),
            override_metadata: Some(serde_json::json!({"tags": {"f": ["PII"]}})),
            default_rule_set: Some(serde_json::json!({"domainRules": [{"name": "r"}]})),
            override_rule_set: Some(serde_json::json!({"migrationRules": []})),
        },
    };
    store
        .set_config(Scope::Global, every.clone())
        .await
        .unwrap();
    assert_eq!(store.config(Scope::Global).await.unwrap(), Some(every));
    store
        .set_config(Scope::Subject(&s), full.clone())
        .await
        .unwrap();
    assert_eq!(
        store.delete_config(Scope::Subject(&s)).await.unwrap(),
        Some(full)
    );
    assert_eq!(store.config(Scope::Subject(&s)).await.unwrap(), None);

    store
        .set_mode(Scope::Subject(&s), Mode::Readonly)
        .await
        .unwrap();
    assert_eq!(
        store.mode(Scope::Subject(&s)).await.unwrap(),
        Some(Mode::Readonly)
    );
    assert_eq!(store.mode(Scope::Global).await.unwrap(), None);
    assert_eq!(
        store.delete_mode(Scope::Subject(&s)).await.unwrap(),
        Some(Mode::Readonly)
    );
    assert_eq!(store.delete_mode(Scope::Subject(&s)).await.unwrap(), None);
}

async fn modes_are_removed_by_prefix(store: Arc<dyn SchemaStore>) {
    let names = [":.ctx:", ":.ctx:a", ":.ctx:b", ":.ctxb:a", "a", "b_%"];
    store.set_mode(Scope::Global, Mode::Readonly).await.unwrap();
    for name in names {
        store
            .set_mode(Scope::Subject(&sub(name)), Mode::Import)
            .await
            .unwrap();
    }
    let left = |store: Arc<dyn SchemaStore>| async move {
        let mut left = Vec::new();
        for name in names {
            if store
                .mode(Scope::Subject(&sub(name)))
                .await
                .unwrap()
                .is_some()
            {
                left.push(name);
            }
        }
        left
    };
    // A context's prefix names its scope and its subjects, not a context that extends it.
    assert_eq!(store.delete_modes_under(":.ctx:").await.unwrap(), 3);
    assert_eq!(left(Arc::clone(&store)).await, [":.ctxb:a", "a", "b_%"]);
    // LIKE's wildcards are plain characters.
    assert_eq!(store.delete_modes_under("b%").await.unwrap(), 0);
    // The empty prefix names every subject scope, never the registry-wide one.
    assert_eq!(store.delete_modes_under("").await.unwrap(), 3);
    assert!(left(Arc::clone(&store)).await.is_empty());
    assert_eq!(
        store.mode(Scope::Global).await.unwrap(),
        Some(Mode::Readonly)
    );
}

/// Instantiates the suite for one backend: one test per case, each on a fresh store.
async fn keks_and_deks_are_written_read_and_removed(store: Arc<dyn SchemaStore>) {
    let kek = |name: &str| StoredKek {
        name: name.to_owned(),
        kms_type: "local-kms".into(),
        kms_key_id: "k1".into(),
        kms_props: [("region".to_owned(), "eu".to_owned())].into(),
        doc: None,
        shared: false,
        deleted: false,
        ts: 1,
    };
    store.write_kek(&kek("b"), true).await.unwrap();
    store.write_kek(&kek("a"), true).await.unwrap();
    let taken = store.write_kek(&kek("a"), true).await;
    assert!(
        matches!(&taken, Err(Error::KeyExists(n)) if n == "a"),
        "{taken:?}"
    );
    let names: Vec<String> = store
        .keks()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    let changed = StoredKek {
        doc: Some("d".into()),
        deleted: true,
        ts: 2,
        ..kek("a")
    };
    store.write_kek(&changed, false).await.unwrap();
    assert_eq!(store.kek("a").await.unwrap(), Some(changed));

    let dek = |subject: &str, version: i32| StoredDek {
        kek_name: "a".into(),
        subject: subject.to_owned(),
        algorithm: "AES256_GCM".into(),
        version,
        encrypted_key_material: "AAAA".into(),
        deleted: false,
        ts: 3,
    };
    for (subject, version) in [("t-value", 2), ("t-value", 1), ("s-value", 1)] {
        store.write_dek(&dek(subject, version), true).await.unwrap();
    }
    let taken = store.write_dek(&dek("t-value", 1), true).await;
    assert!(matches!(taken, Err(Error::KeyExists(_))), "{taken:?}");
    let keys: Vec<(String, i32)> = store
        .deks("a")
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.subject, d.version))
        .collect();
    assert_eq!(
        keys,
        [
            ("s-value".into(), 1),
            ("t-value".into(), 1),
            ("t-value".into(), 2)
        ]
    );
    let deleted = StoredDek {
        deleted: true,
        ..dek("t-value", 2)
    };
    store.write_dek(&deleted, false).await.unwrap();
    assert_eq!(
        store.dek("a", "t-value", "AES256_GCM", 2).await.unwrap(),
        Some(deleted)
    );
    assert_eq!(
        store.dek("a", "t-value", "AES256_SIV", 2).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .remove_deks("a", "t-value", Some("AES256_GCM"), Some(2))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.remove_deks("a", "t-value", None, None).await.unwrap(),
        1
    );
    assert_eq!(store.deks("a").await.unwrap().len(), 1);
    assert!(store.remove_kek("b").await.unwrap());
    assert!(!store.remove_kek("b").await.unwrap());
    assert_eq!(store.kek("b").await.unwrap(), None);
}

macro_rules! conformance {
    ($backend:ident, $open:expr) => {
        mod $backend {
            use super::*;
            conformance!(@case $open, registers_reuses_ids_and_numbers_versions);
            conformance!(@case $open, concurrent_identical_registrations_get_one_id_and_one_version);
            conformance!(@case $open, explicit_ids_and_versions_are_checked);
            conformance!(@case $open, grouped_registrations_decide_as_one_transaction_each);
            conformance!(@case $open, groups_see_the_writes_made_between_them);
            conformance!(@case $open, groups_decide_on_the_whole_history);
            conformance!(@case $open, soft_and_hard_deletes);
            conformance!(@case $open, references_are_recorded);
            conformance!(@case $open, contexts_have_their_own_ids);
            conformance!(@case $open, configs_and_modes);
            conformance!(@case $open, modes_are_removed_by_prefix);
            conformance!(@case $open, guids_max_ids_and_registration_times);
            conformance!(@case $open, a_dropped_registration_writes_nothing);
            conformance!(@case $open, one_read_gives_the_live_versions_and_the_schemas_id);
            conformance!(@case $open, a_registration_holds_the_subject_until_it_ends);
            conformance!(@case $open, a_referenced_version_is_never_deleted);
            conformance!(@case $open, versions_that_reference_each_other_are_deleted_together);
            conformance!(@case $open, a_new_version_removes_the_unreferenced_soft_deleted_versions_of_its_schema);
            conformance!(@case $open, a_registration_refuses_a_reference_deleted_before_it);
            conformance!(@case $open, a_delete_waits_for_a_registration_holding_its_version);
            conformance!(@case $open, ids_stop_at_the_top_of_the_java_int_range);
            conformance!(@case $open, associations_are_written_read_and_removed);
            conformance!(@case $open, keks_and_deks_are_written_read_and_removed);
        }
    };
    (@case $open:expr, $case:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $case() {
            let (store, _guard) = $open.await;
            super::$case(store).await;
        }
    };
}

/// Keeps a backend's resources (temporary directory, database server) alive.
type Keep = Box<dyn std::any::Any + Send>;

async fn sqlite() -> (Arc<dyn SchemaStore>, Keep) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
    (warden_storage::open(&url).await.unwrap(), Box::new(dir))
}

/// A real PostgreSQL 15, private to the test, on a free loopback port.
async fn postgres() -> (Arc<dyn SchemaStore>, Keep) {
    let pg = tokio::task::spawn_blocking(TempPostgres::start)
        .await
        .unwrap();
    let store = warden_storage::open(&pg.url()).await.unwrap();
    (store, Box::new(pg))
}

conformance!(sqlite_backend, sqlite());
conformance!(postgres_backend, postgres());

#[tokio::test]
async fn sqlite_data_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("reopen.db").display());
    {
        let store = warden_storage::open(&url).await.unwrap();
        register(&*store, "s", &schema(r#""int""#), None, None)
            .await
            .unwrap();
    }
    let store = warden_storage::open(&url).await.unwrap();
    assert_eq!(store.versions(&sub("s")).await.unwrap().len(), 1);
}

#[tokio::test]
async fn postgres_data_survives_a_reopen_and_migrations_run_once() {
    let pg = tokio::task::spawn_blocking(TempPostgres::start)
        .await
        .unwrap();
    {
        let store = warden_storage::open(&pg.url()).await.unwrap();
        register(&*store, "s", &schema(r#""int""#), None, None)
            .await
            .unwrap();
    }
    let store = warden_storage::open(&pg.url()).await.unwrap();
    assert_eq!(store.versions(&sub("s")).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_postgres_fails_to_open() {
    let port = warden_testkit::free_port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    assert!(matches!(
        warden_storage::open(&url).await,
        Err(Error::Database(_))
    ));
}

#[tokio::test]
async fn an_unknown_url_scheme_is_a_typed_error() {
    assert!(matches!(
        warden_storage::open("mysql://localhost/db").await,
        Err(Error::UnsupportedUrl(_))
    ));
}

/// Registers `a` again under a subject where it was soft-deleted (its old version goes)
/// through a transaction that read the versions; returns what the commit published and
/// the versions the store then reads.
async fn published_by_a_registration(
    store: &dyn SchemaStore,
) -> (
    Option<Vec<warden_storage::VersionRow>>,
    Vec<warden_storage::VersionRow>,
) {
    let (a, b) = (schema(r#""int""#), schema(r#""long""#));
    register(store, "p", &a, None, None).await.unwrap();
    register(store, "p", &b, None, None).await.unwrap();
    store.soft_delete(&sub("p"), &[v(1)]).await.unwrap();
    let subject = sub("p");
    let mut tx = store.begin_registration(&subject).await.unwrap();
    tx.live_versions().await.unwrap();
    let id = tx.find_or_insert_schema(&a, None).await.unwrap();
    let version = tx.insert_version(id, None).await.unwrap();
    assert_eq!(version, v(3));
    assert_eq!(tx.remove_superseded(id, version).await.unwrap(), vec![v(1)]);
    let published = std::sync::Mutex::new(None);
    tx.commit(&|rows| *published.lock().unwrap() = Some(rows.to_vec()))
        .await
        .unwrap();
    let stored = store.versions(&subject).await.unwrap();
    (published.into_inner().unwrap(), stored)
}

/// SQLite, written by this process alone, publishes the subject's versions as the commit
/// left them, registration times included, so the registry keeps them without reading.
#[tokio::test]
async fn sqlite_registration_publishes_the_versions_it_left() {
    let (store, _keep) = sqlite().await;
    let (published, stored) = published_by_a_registration(&*store).await;
    assert_eq!(
        stored
            .iter()
            .map(|r| (r.version.get(), r.deleted))
            .collect::<Vec<_>>(),
        [(2, false), (3, false)]
    );
    assert_eq!(published, Some(stored));
}

/// PostgreSQL, written by other processes too, publishes nothing: the registry reads the
/// versions again.
#[tokio::test]
async fn postgres_registration_publishes_nothing() {
    let (store, _keep) = postgres().await;
    let (published, stored) = published_by_a_registration(&*store).await;
    assert_eq!(stored.len(), 2);
    assert_eq!(published, None);
}

/// What one grouped registration of a third version tells its publisher, and the versions
/// the store then reads.
async fn published_by_a_grouped_registration(
    store: &dyn SchemaStore,
) -> (
    Vec<(&'static str, Vec<warden_storage::VersionRow>)>,
    Vec<warden_storage::VersionRow>,
) {
    let numbered = |n: usize| schema(&format!(r#"{{"type":"record","name":"G{n}","fields":[]}}"#));
    for n in 1..=2 {
        register(store, "grouped", &numbered(n), None, None)
            .await
            .unwrap();
    }
    let told = Arc::new(std::sync::Mutex::new(Vec::new()));
    let publish: VersionsPublisher = {
        let told = Arc::clone(&told);
        Arc::new(move |subject, written| {
            assert_eq!(subject, &sub("grouped"));
            told.lock().unwrap().push(match written {
                VersionsWritten::All(rows) => ("all", rows.to_vec()),
                VersionsWritten::Appended(rows) => ("appended", rows.to_vec()),
                VersionsWritten::Unknown => ("unknown", Vec::new()),
            });
        })
    };
    let outcome = store
        .register_grouped(GroupedRegistration {
            subject: sub("grouped"),
            schema: Arc::new(numbered(3)),
            checked: None,
            publish,
        })
        .await
        .unwrap();
    assert!(
        matches!(outcome, GroupedOutcome::Written { version, .. } if version == v(3)),
        "{outcome:?}"
    );
    let told = told.lock().unwrap().clone();
    (told, store.versions(&sub("grouped")).await.unwrap())
}

/// SQLite, written by this process alone, tells a group's publisher every version as the
/// commit left them.
#[tokio::test]
async fn sqlite_grouped_registration_publishes_every_version() {
    let (store, _keep) = sqlite().await;
    let (told, stored) = published_by_a_grouped_registration(&*store).await;
    assert_eq!(stored.len(), 3);
    assert_eq!(told, [("all", stored)]);
}

/// PostgreSQL, written by other replicas too, tells a group's publisher the version it
/// added (registration time included): the registry holds it after the versions it read.
#[tokio::test]
async fn postgres_grouped_registration_publishes_the_version_it_added() {
    let pg = tokio::task::spawn_blocking(TempPostgres::start)
        .await
        .unwrap();
    let store = warden_storage::open(&pg.url()).await.unwrap();
    let mut announced = store.subject_changes().unwrap();
    let (told, stored) = published_by_a_grouped_registration(&*store).await;
    assert_eq!(stored.len(), 3);
    assert_eq!(told, [("appended", stored[2..].to_vec())]);
    // This replica passes on the announcements of the two registrations made alone, and
    // not that of its group, whose publisher was told (other replicas still get it).
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let passed_on: Vec<_> = std::iter::from_fn(|| announced.try_recv().ok()).collect();
    assert_eq!(passed_on, [Some(sub("grouped")), Some(sub("grouped"))]);
    let logged = tokio::task::spawn_blocking(move || {
        pg.psql("SELECT count(*) FROM changes WHERE kind = 'subject' AND payload = 'grouped'")
    })
    .await
    .unwrap();
    assert_eq!(
        logged.trim(),
        "3",
        "every registration is in the change log"
    );
}

/// PostgreSQL: a version written again with another schema (IMPORT) is announced to the
/// other replicas as a rewrite, naming the schema it replaced; written again with the same
/// schema, it is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_version_written_again_with_another_schema_is_announced_as_a_rewrite() {
    let pg = tokio::task::spawn_blocking(TempPostgres::start)
        .await
        .unwrap();
    let writer = warden_storage::open(&pg.url()).await.unwrap();
    let other = warden_storage::open(&pg.url()).await.unwrap();
    let mut evictions = other.evictions().unwrap();
    let first = match register(&*writer, "s", &schema(r#""int""#), None, None)
        .await
        .unwrap()
    {
        Registered::New { id, .. } => id,
        existing @ Registered::Existing { .. } => panic!("{existing:?}"),
    };
    for _ in 0..2 {
        register(
            &*writer,
            "s",
            &schema(r#""long""#),
            Some(id(50)),
            Some(v(1)),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        next(&mut evictions).await,
        Eviction {
            ids: vec![first],
            version_rewritten: true,
        }
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        evictions.try_recv().is_err(),
        "the same schema written again is announced as a rewrite"
    );
}

/// Waits up to three seconds (three polls of the change log) for the next message.
async fn next<T: Clone>(rx: &mut tokio::sync::broadcast::Receiver<T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(3), rx.recv())
        .await
        .expect("nothing arrived within three seconds")
        .unwrap()
}

/// A replica that missed the announcement of a change (the change log has the row, the
/// `NOTIFY` never came, as when the listening connection was down) learns of it from the
/// log within the poll period, change by change rather than by forgetting everything; a
/// change it was told of arrives once, not again from the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_changes_whose_announcement_was_missed_are_read_from_the_change_log() {
    let pg = tokio::task::spawn_blocking(TempPostgres::start)
        .await
        .unwrap();
    let store = warden_storage::open(&pg.url()).await.unwrap();
    let mut subjects = store.subject_changes().unwrap();
    let mut evictions = store.evictions().unwrap();
    let mut settings = store.settings_changes().unwrap();
    let pg = Arc::new(pg);
    let writer = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || {
        writer.psql(
            "INSERT INTO changes (kind, payload) VALUES \
             ('subject', 'orders-value'), ('evict', '7,9'), ('settings', ''), \
             ('rewritten', '12')",
        )
    })
    .await
    .unwrap();
    assert_eq!(next(&mut subjects).await, Some(sub("orders-value")));
    assert_eq!(
        next(&mut evictions).await,
        Eviction {
            ids: vec![SchemaId::new(7).unwrap(), SchemaId::new(9).unwrap()],
            version_rewritten: false,
        }
    );
    assert_eq!(
        next(&mut evictions).await,
        Eviction {
            ids: vec![SchemaId::new(12).unwrap()],
            version_rewritten: true,
        }
    );
    next(&mut settings).await;

    register(&*store, "announced", &schema(r#""int""#), None, None)
        .await
        .unwrap();
    assert_eq!(next(&mut subjects).await, Some(sub("announced")));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert!(
        subjects.try_recv().is_err(),
        "a change already announced came again from the log"
    );
}
