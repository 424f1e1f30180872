//! The storage conformance suite: written once against `dyn SchemaStore`, run against
//! SQLite and against a real PostgreSQL started for each test.

use std::sync::Arc;

use warden_core::api::SchemaReference;
use warden_core::{CompatibilityLevel, CompatibilityPolicy, Mode, SchemaId, SchemaType};
use warden_storage::{
    DeletedFilter, Error, NewSchema, Registered, Registration, SchemaStore, Scope, StoredConfig,
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

fn reg<'a>(
    subject: &'a str,
    schema: &'a NewSchema,
    explicit_id: Option<SchemaId>,
    explicit_version: Option<u32>,
) -> Registration<'a> {
    Registration {
        subject,
        schema,
        explicit_id,
        explicit_version,
        guard: None,
    }
}

fn id(n: i64) -> SchemaId {
    SchemaId::new(n).unwrap()
}

async fn registers_reuses_ids_and_numbers_versions(store: Arc<dyn SchemaStore>) {
    let a = schema(r#""int""#);
    let b = schema(r#""long""#);
    assert_eq!(
        store.register(reg("s", &a, None, None)).await.unwrap(),
        Registered::New {
            id: id(1),
            version: 1
        }
    );
    assert_eq!(
        store.register(reg("s", &a, None, None)).await.unwrap(),
        Registered::Existing {
            id: id(1),
            version: 1
        }
    );
    assert_eq!(
        store.register(reg("s", &b, None, None)).await.unwrap(),
        Registered::New {
            id: id(2),
            version: 2
        }
    );
    assert_eq!(
        store.register(reg("t", &a, None, None)).await.unwrap(),
        Registered::New {
            id: id(1),
            version: 1
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
        vec![("s".to_owned(), 1, false), ("t".to_owned(), 1, false)]
    );
    assert_eq!(
        store.subjects(None, DeletedFilter::Live).await.unwrap(),
        vec!["s", "t"]
    );
    assert_eq!(
        store
            .subjects(Some("t"), DeletedFilter::Live)
            .await
            .unwrap(),
        vec!["t"]
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
            tokio::spawn(async move { store.register(reg("race", &s, None, None)).await.unwrap() })
        })
        .collect();
    let mut new = 0;
    for t in futures::future::join_all(tasks).await {
        match t.unwrap() {
            Registered::New { id: i, version } => {
                new += 1;
                assert_eq!((i, version), (id(1), 1));
            }
            Registered::Existing { id: i, version } => assert_eq!((i, version), (id(1), 1)),
        }
    }
    assert_eq!(new, 1, "exactly one registration writes");
    assert_eq!(store.versions("race").await.unwrap().len(), 1);
}

async fn explicit_ids_and_versions_are_checked(store: Arc<dyn SchemaStore>) {
    let a = schema(r#""int""#);
    let b = schema(r#""long""#);
    assert_eq!(
        store
            .register(reg("s", &a, Some(id(10)), Some(3)))
            .await
            .unwrap(),
        Registered::New {
            id: id(10),
            version: 3
        }
    );
    assert!(matches!(
        store.register(reg("s", &b, Some(id(10)), Some(4))).await,
        Err(Error::IdConflict(_))
    ));
    assert!(matches!(
        store.register(reg("s", &a, Some(id(11)), Some(4))).await,
        Err(Error::IdConflict(_))
    ));
    assert!(matches!(
        store.register(reg("s", &b, Some(id(12)), Some(3))).await,
        Err(Error::VersionExists { .. })
    ));
    // Ids allocated afterwards do not collide with the imported one.
    match store.register(reg("t", &b, None, None)).await.unwrap() {
        Registered::New { id: i, .. } => assert!(i.get() > 10, "{i}"),
        other @ Registered::Existing { .. } => panic!("{other:?}"),
    }
}

async fn soft_and_hard_deletes(store: Arc<dyn SchemaStore>) {
    let a = schema(r#""int""#);
    let b = schema(r#""long""#);
    store.register(reg("s", &a, None, None)).await.unwrap();
    store.register(reg("s", &b, None, None)).await.unwrap();
    store.soft_delete("s", &[1]).await.unwrap();
    let rows = store.versions("s").await.unwrap();
    assert!(rows[0].deleted && !rows[1].deleted);
    assert_eq!(
        store
            .subjects(None, DeletedFilter::DeletedOnly)
            .await
            .unwrap(),
        Vec::<String>::new()
    );
    store.soft_delete("s", &[2]).await.unwrap();
    assert_eq!(
        store.subjects(None, DeletedFilter::Live).await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        store
            .subjects(None, DeletedFilter::DeletedOnly)
            .await
            .unwrap(),
        vec!["s"]
    );
    assert_eq!(
        store.all_versions(DeletedFilter::All).await.unwrap().len(),
        2
    );
    let removed = store.hard_delete("s", &[1, 2]).await.unwrap();
    assert_eq!(removed, vec![id(1), id(2)]);
    assert_eq!(store.schema_by_id(id(1)).await.unwrap(), None);
    assert!(!store.has_subjects().await.unwrap());
}

async fn references_are_recorded(store: Arc<dyn SchemaStore>) {
    store
        .register(reg("dep", &schema(r#""int""#), None, None))
        .await
        .unwrap();
    let mut user = schema(r#""Dep""#);
    user.references = vec![SchemaReference {
        name: "Dep".into(),
        subject: "dep".into(),
        version: 1,
    }];
    store
        .register(reg("user", &user, None, None))
        .await
        .unwrap();
    assert_eq!(
        store
            .referenced_by("dep", 1, DeletedFilter::Live)
            .await
            .unwrap(),
        vec![id(2)]
    );
    assert_eq!(
        store.schema_by_id(id(2)).await.unwrap().unwrap().references,
        user.references
    );
    store.soft_delete("user", &[1]).await.unwrap();
    assert!(
        store
            .referenced_by("dep", 1, DeletedFilter::Live)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .referenced_by("dep", 1, DeletedFilter::All)
            .await
            .unwrap(),
        vec![id(2)]
    );
}

async fn configs_and_modes(store: Arc<dyn SchemaStore>) {
    assert_eq!(store.config(Scope::Global).await.unwrap(), None);
    let full = StoredConfig {
        compatibility: Some(CompatibilityLevel::Full),
        ..StoredConfig::default()
    };
    store.set_config(Scope::Global, full).await.unwrap();
    store
        .set_config(
            Scope::Global,
            StoredConfig {
                normalize: Some(true),
                compatibility_policy: Some(CompatibilityPolicy::Lenient),
                ..StoredConfig::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.config(Scope::Global).await.unwrap(),
        Some(StoredConfig {
            compatibility: Some(CompatibilityLevel::Full),
            normalize: Some(true),
            compatibility_policy: Some(CompatibilityPolicy::Lenient),
        })
    );
    store.set_config(Scope::Subject("s"), full).await.unwrap();
    assert_eq!(
        store.delete_config(Scope::Subject("s")).await.unwrap(),
        Some(full)
    );
    assert_eq!(store.config(Scope::Subject("s")).await.unwrap(), None);

    store
        .set_mode(Scope::Subject("s"), Mode::Readonly)
        .await
        .unwrap();
    assert_eq!(
        store.mode(Scope::Subject("s")).await.unwrap(),
        Some(Mode::Readonly)
    );
    assert_eq!(store.mode(Scope::Global).await.unwrap(), None);
    assert_eq!(
        store.delete_mode(Scope::Subject("s")).await.unwrap(),
        Some(Mode::Readonly)
    );
    assert_eq!(store.delete_mode(Scope::Subject("s")).await.unwrap(), None);
}

/// Instantiates the suite for one backend: one test per case, each on a fresh store.
macro_rules! conformance {
    ($backend:ident, $open:expr) => {
        mod $backend {
            use super::*;
            conformance!(@case $open, registers_reuses_ids_and_numbers_versions);
            conformance!(@case $open, concurrent_identical_registrations_get_one_id_and_one_version);
            conformance!(@case $open, explicit_ids_and_versions_are_checked);
            conformance!(@case $open, soft_and_hard_deletes);
            conformance!(@case $open, references_are_recorded);
            conformance!(@case $open, configs_and_modes);
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
        store
            .register(reg("s", &schema(r#""int""#), None, None))
            .await
            .unwrap();
    }
    let store = warden_storage::open(&url).await.unwrap();
    assert_eq!(store.versions("s").await.unwrap().len(), 1);
}

#[tokio::test]
async fn postgres_data_survives_a_reopen_and_migrations_run_once() {
    let pg = tokio::task::spawn_blocking(TempPostgres::start)
        .await
        .unwrap();
    {
        let store = warden_storage::open(&pg.url()).await.unwrap();
        store
            .register(reg("s", &schema(r#""int""#), None, None))
            .await
            .unwrap();
    }
    let store = warden_storage::open(&pg.url()).await.unwrap();
    assert_eq!(store.versions("s").await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_postgres_fails_to_open() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
