//! The same tests against both backends. A test is an `async fn(TestDb)`;
//! [`on_both_backends!`] makes two `#[tokio::test]`s of it, `on_sqlite::NAME` and
//! `on_postgres::NAME`. PostgreSQL is a real server started by the tests themselves (one per test
//! binary, a fresh database per test): never skipped.

use cookie_audit_fixtures::postgres::TestPostgres;
use cookie_audit_store::{Location, Store};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// An empty history database of its own, and raw access for what the API does not show.
#[derive(Debug)]
pub(crate) struct TestDb {
    pub(crate) backend: Backend,
    pub(crate) location: Location,
    /// Keeps the SQLite file's directory.
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub(crate) async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let location = Location::Sqlite(dir.path().join("cookie-audit.db"));
                TestDb {
                    backend,
                    location,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => TestDb {
                backend,
                location: Location::Postgres(fresh_postgres_database().await),
                _dir: None,
            },
        }
    }

    /// A database made elsewhere (its directory, if any, is the caller's to keep).
    pub(crate) fn existing(backend: Backend, location: Location) -> TestDb {
        TestDb {
            backend,
            location,
            _dir: None,
        }
    }

    pub(crate) async fn open(&self) -> Store {
        Store::open(&self.location)
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}", self.location))
    }

    /// Runs one SQL statement on the database directly and returns the first column of every
    /// row as text (NULL as "NULL"). Statements are written to mean the same in both dialects.
    pub(crate) async fn sql(&self, statement: &str) -> Vec<String> {
        match &self.location {
            Location::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let mut s = conn.prepare(statement).unwrap();
                let mut rows = s.query([]).unwrap();
                let mut out = Vec::new();
                while let Some(row) = rows.next().unwrap() {
                    let value: rusqlite::types::Value = row.get(0).unwrap();
                    out.push(match value {
                        rusqlite::types::Value::Null => "NULL".into(),
                        rusqlite::types::Value::Integer(n) => n.to_string(),
                        rusqlite::types::Value::Real(x) => x.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Blob(b) => format!("{b:?}"),
                    });
                }
                out
            }
            Location::Postgres(url) => {
                let client = postgres_client(url).await;
                // The simple protocol returns every value as text, whatever its type.
                client
                    .simple_query(statement)
                    .await
                    .unwrap_or_else(|e| panic!("{statement}: {e}"))
                    .into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(row) => {
                            Some(row.get(0).unwrap_or("NULL").to_string())
                        }
                        _ => None,
                    })
                    .collect()
            }
        }
    }

    /// `sql` for one number.
    pub(crate) async fn count(&self, statement: &str) -> i64 {
        let rows = self.sql(statement).await;
        assert_eq!(rows.len(), 1, "{statement}: {rows:?}");
        rows[0].parse().unwrap()
    }
}

/// A connection outside the store, for tests that look under it.
pub(crate) async fn postgres_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    tokio::spawn(connection);
    client
}

/// A new database on the shared test server (started by the first test that asks).
pub(crate) async fn fresh_postgres_database() -> String {
    tokio::task::spawn_blocking(|| TestPostgres::shared().fresh_database())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("a database for the test: {e}"))
}

/// `on_both_backends!(a, b)` turns `async fn a(db: TestDb)` and `async fn b(db: TestDb)` into
/// the tests `on_sqlite::a`, `on_postgres::a`, `on_sqlite::b`, `on_postgres::b`.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let db = crate::backends::TestDb::new(crate::backends::Backend::Sqlite).await;
                    super::$test(db).await
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let db = crate::backends::TestDb::new(crate::backends::Backend::Postgres).await;
                    super::$test(db).await
                }
            )*
        }
    };
}
