//! PostgreSQL's own faults: a server down at start, one that accepts and never answers, one that
//! goes away in the middle of a round and comes back, a network cut mid-operation; bad URLs;
//! workers migrating a new database together; and the two backends' schemas held equal. TLS as
//! libpq's `sslmode` says, against a server that takes TLS only.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cookie_audit_fixtures::partition::Partition;
use cookie_audit_fixtures::postgres::{TestPostgres, url_for};
use cookie_audit_fixtures::raw::{Behaviour, RawServer};
use cookie_audit_model::error_chain;
use cookie_audit_store::{
    Claim, ClaimRequest, Lease, LeaseLost, Location, OpenOptions, RoundId, RunStatus,
    SCHEMA_VERSION, Store, StoreError,
};

use crate::backends::{Backend, TestDb, fresh_postgres_database};
use crate::support::day;

/// Short bounds, so the faults below end in seconds.
fn impatient() -> OpenOptions {
    OpenOptions {
        connect_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(2),
        operation_timeout: Duration::from_secs(3),
        pool_size: 4,
    }
}

fn claim_of(site: &str) -> ClaimRequest {
    ClaimRequest {
        round: RoundId::parse("r1").unwrap(),
        site_id: site.into(),
        site_url: format!("https://{site}/"),
        worker: "w1".into(),
        started_at: day(0),
        lease: Lease::DEFAULT,
        max_attempts: 3,
    }
}

/// A port on 127.0.0.1 with nothing listening.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_server_down_at_start_is_a_clear_connect_error() {
    let url = url_for(closed_port(), "history").replace("postgres@", "audit:s3cret@");
    let started = Instant::now();
    let error = Store::open_with(Location::parse(&url), impatient())
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(error, StoreError::Connect { .. }), "{error:?}");
    assert!(error.is_unavailable());
    let message = error.to_string();
    assert!(
        message
            .starts_with("cannot connect to the history database postgres://audit:***@127.0.0.1:"),
        "{message}"
    );
    assert!(!format!("{error:?}").contains("s3cret"), "{error:?}");
}

#[tokio::test]
async fn a_server_that_accepts_and_never_answers_times_out() {
    let silent = RawServer::start("127.0.0.1:0".parse().unwrap(), Behaviour::Silent)
        .await
        .unwrap();
    let started = Instant::now();
    let error = Store::open_with(
        Location::parse(&url_for(silent.port(), "history")),
        impatient(),
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, StoreError::Timeout { .. }), "{error:?}");
    assert!(error.is_unavailable());
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(6),
        "bounded by the connect timeout: {took:?}"
    );
}

#[tokio::test]
async fn a_url_the_driver_cannot_read_is_a_bad_location() {
    for url in [
        "postgres://audit@db:notaport/history",
        "postgresql://audit@db/history?sslmode=sometimes",
        "postgresql://audit@db/history?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    ] {
        let error = Store::open(Location::parse(url)).await.unwrap_err();
        assert!(
            matches!(error, StoreError::BadLocation { .. }),
            "{url}: {error:?}"
        );
        assert!(!error.is_unavailable());
    }
}

/// A server that refuses TCP without TLS, its certificate for `localhost` and 127.0.0.1 signed
/// by a CA of the test's own: each `sslmode` does what libpq's does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_as_sslmode_says() {
    let server = tokio::task::spawn_blocking(TestPostgres::start_tls)
        .await
        .unwrap()
        .expect("a TLS-only PostgreSQL server for the test");
    let ca = server.tls_ca().expect("its CA").display().to_string();
    let url = server
        .fresh_database()
        .expect("a database (createdb speaks TLS)");
    let open = |query: String| {
        let url = format!("{url}?{query}");
        async move { Store::open_with(Location::parse(&url), impatient()).await }
    };

    // Without TLS the server refuses: the error says so, as a database that is there.
    let error = open("sslmode=disable".into()).await.unwrap_err();
    assert!(
        error_chain(&error).contains("no encryption"),
        "{}",
        error_chain(&error)
    );

    // Encrypted, the certificate not checked: `prefer` (the default) and `require`.
    for query in ["sslmode=prefer", "sslmode=require", "application_name=x"] {
        let store = open(query.into())
            .await
            .unwrap_or_else(|e| panic!("{query}: {}", error_chain(&e)));
        assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    }

    // Checked against the CA: the certificate names 127.0.0.1.
    let store = open(format!("sslmode=verify-full&sslrootcert={ca}"))
        .await
        .unwrap_or_else(|e| panic!("verify-full: {}", error_chain(&e)));
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);

    // The system's roots do not know the test's CA.
    let error = open("sslmode=verify-full".into()).await.unwrap_err();
    assert!(
        error_chain(&error).to_lowercase().contains("certificate"),
        "{}",
        error_chain(&error)
    );

    // Reached by another name: verify-ca checks the chain only, verify-full the name too.
    let port = server.port();
    let other_name = |mode: &str| {
        format!(
            "postgres://postgres@db.example.invalid:{port}/postgres?hostaddr=127.0.0.1&sslmode={mode}&sslrootcert={ca}"
        )
    };
    let store = Store::open_with(Location::parse(&other_name("verify-ca")), impatient())
        .await
        .unwrap_or_else(|e| panic!("verify-ca: {}", error_chain(&e)));
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    let error = Store::open_with(Location::parse(&other_name("verify-full")), impatient())
        .await
        .unwrap_err();
    assert!(
        error_chain(&error).contains("not valid for name"),
        "{}",
        error_chain(&error)
    );
}

/// A server of the test's own, since it is stopped and started.
async fn own_server() -> TestPostgres {
    tokio::task::spawn_blocking(TestPostgres::start)
        .await
        .unwrap()
        .expect("a PostgreSQL server for the test")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_going_away_mid_round_fails_fast_and_recovers() {
    let server = own_server().await;
    let url = tokio::task::block_in_place(|| server.fresh_database()).unwrap();
    let store = Store::open_with(Location::parse(&url), impatient())
        .await
        .unwrap();
    let Claim::Won { run, .. } = store.claim(&claim_of("a.test")).await.unwrap() else {
        panic!("a fresh round's claim is won");
    };

    tokio::task::block_in_place(|| server.stop()).unwrap();
    for attempt in ["heartbeat", "fail"] {
        let started = Instant::now();
        let error = match attempt {
            "heartbeat" => store.heartbeat(run).await.unwrap_err(),
            _ => store
                .fail_run(run, "the database went away")
                .await
                .unwrap_err(),
        };
        assert!(error.is_unavailable(), "{attempt}: {error:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{attempt} took {:?}",
            started.elapsed()
        );
    }

    // Back again: the same store reconnects, and the run can be recorded as failed.
    tokio::task::block_in_place(|| server.restart()).unwrap();
    store
        .fail_run(run, "the database went away mid-audit")
        .await
        .unwrap();
    assert_eq!(store.status(run).await.unwrap(), Some(RunStatus::Failed));
    // And the round goes on: the site is claimed again, as attempt 2.
    assert!(matches!(
        store.claim(&claim_of("a.test")).await.unwrap(),
        Claim::Won { attempt: 2, .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_cut_mid_operation_times_out_and_heals() {
    let url = fresh_postgres_database().await;
    let database = url.rsplit('/').next().unwrap().to_string();
    let upstream = format!("127.0.0.1:{}", TestPostgres::shared().port());
    let link = Partition::start(upstream.parse().unwrap()).await.unwrap();
    let through_link = url_for(link.port(), &database);
    let store = Store::open_with(Location::parse(&through_link), impatient())
        .await
        .unwrap();
    let Claim::Won { run, .. } = store.claim(&claim_of("a.test")).await.unwrap() else {
        panic!("a fresh round's claim is won");
    };

    link.cut();
    let started = Instant::now();
    let error = store.heartbeat(run).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, StoreError::Timeout { .. }), "{error:?}");
    assert!(error.is_unavailable());
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(8),
        "bounded by the operation timeout: {took:?}"
    );
    // New connections hang too while cut: bounded by the connect timeout.
    let error = store.status(run).await.unwrap_err();
    assert!(error.is_unavailable(), "{error:?}");

    link.heal();
    store.heartbeat(run).await.unwrap();
    assert_eq!(store.status(run).await.unwrap(), Some(RunStatus::Running));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_opening_a_new_database_together_migrate_it_once() {
    let url = fresh_postgres_database().await;
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::open(Location::parse(&url)).await })
        })
        .collect();
    for open in opens {
        let store = open.await.unwrap().unwrap();
        assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    }
    let db = TestDb::existing(Backend::Postgres, Location::parse(&url));
    assert_eq!(
        db.count("SELECT COUNT(*) FROM schema_version").await,
        i64::from(SCHEMA_VERSION)
    );
}

/// Table → its columns in order, for one backend.
async fn columns(db: &TestDb) -> BTreeMap<String, Vec<String>> {
    let tables = match db.backend {
        Backend::Sqlite => {
            db.sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .await
        }
        Backend::Postgres => {
            db.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
                .await
        }
    };
    let mut out = BTreeMap::new();
    for table in tables {
        let names = match db.backend {
            Backend::Sqlite => {
                db.sql(&format!(
                    "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
                ))
                .await
            }
            Backend::Postgres => {
                db.sql(&format!(
                    "SELECT column_name FROM information_schema.columns
                     WHERE table_schema = 'public' AND table_name = '{table}'
                     ORDER BY ordinal_position"
                ))
                .await
            }
        };
        out.insert(table, names);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_have_the_same_tables_and_columns() {
    let sqlite = TestDb::new(Backend::Sqlite).await;
    let postgres = TestDb::new(Backend::Postgres).await;
    drop(sqlite.open().await);
    drop(postgres.open().await);
    let (a, b) = (columns(&sqlite).await, columns(&postgres).await);
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        [
            "declared_cookies",
            "findings",
            "observed_cookies",
            "runs",
            "schema_version"
        ]
    );
    assert_eq!(a, b);
    assert!(a["runs"].contains(&"heartbeat_at".to_string()));
}

/// A worker cut off from the database for longer than its lease is told so by its heartbeat
/// keeper: by then another worker may hold the site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_cut_off_for_a_whole_lease_says_the_lease_expired() {
    let url = fresh_postgres_database().await;
    let database = url.rsplit('/').next().unwrap().to_string();
    let upstream = format!("127.0.0.1:{}", TestPostgres::shared().port());
    let link = Partition::start(upstream.parse().unwrap()).await.unwrap();
    let store = Store::open_with(
        Location::parse(&url_for(link.port(), &database)),
        impatient(),
    )
    .await
    .unwrap();
    let Claim::Won { run, .. } = store.claim(&claim_of("a.test")).await.unwrap() else {
        panic!("a fresh round's claim is won");
    };
    let lease = Lease::new(Duration::from_millis(1_200));
    let mut heartbeat = store.keep_alive(run, lease);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(heartbeat.lost().is_none(), "renewed while the link is up");

    link.cut();
    let lost = tokio::time::timeout(Duration::from_secs(15), heartbeat.until_lost())
        .await
        .expect("the keeper gives up within a renewal's timeout after the lease");
    let LeaseLost::Expired {
        run: lost_run,
        last_error,
    } = &lost
    else {
        panic!("{lost}");
    };
    assert_eq!(*lost_run, run);
    assert!(last_error.is_unavailable(), "{last_error}");
    assert!(lost.to_string().contains("ran out"), "{lost}");
}
