//! Opening, migrating, the life of a run, history, and what the database never holds — on both
//! backends.

use cookie_audit_store::{Location, RunId, RunStatus, SCHEMA_VERSION, Store, StoreError};

use crate::backends::{Backend, TestDb};
use crate::support::{self, day};

const SITE: &str = "council.test";
const URL: &str = "https://www.council.test/";

on_both_backends!(
    opening_twice_migrates_once,
    a_database_from_a_newer_version_is_refused_untouched,
    a_run_goes_from_running_to_complete_once,
    failed_and_unfinished_runs_are_never_previous,
    history_lists_runs_oldest_first_with_counts,
    cookie_values_never_reach_the_database_even_with_show_values,
    two_stores_on_one_database_take_turns,
);

async fn opening_twice_migrates_once(db: TestDb) {
    let store = db.open().await;
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    drop(store);
    let store = db.open().await;
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    store.integrity_check().await.unwrap();

    let versions = db
        .sql("SELECT version FROM schema_version ORDER BY version")
        .await;
    let expected: Vec<String> = (1..=SCHEMA_VERSION).map(|v| v.to_string()).collect();
    assert_eq!(versions, expected);
    if db.backend == Backend::Sqlite {
        assert_eq!(
            db.sql("PRAGMA journal_mode").await,
            ["wal"],
            "the database stays in WAL mode for every later opener"
        );
    }
}

async fn a_database_from_a_newer_version_is_refused_untouched(db: TestDb) {
    drop(db.open().await);
    db.sql(&format!(
        "INSERT INTO schema_version (version, applied_at) VALUES ({}, {})",
        SCHEMA_VERSION + 1,
        match db.backend {
            Backend::Sqlite => "'later'",
            Backend::Postgres => "now()",
        }
    ))
    .await;
    let error = Store::open(&db.location).await.unwrap_err();
    assert!(
        matches!(error, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1),
        "{error}"
    );
    assert!(
        error.to_string().contains(&db.location.to_string()),
        "{error}"
    );
    assert!(
        error.to_string().contains("upgrade cookie-audit"),
        "{error}"
    );
    // Untouched: still exactly the versions it had.
    assert_eq!(
        db.count("SELECT COUNT(*) FROM schema_version").await,
        i64::from(SCHEMA_VERSION) + 1
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "these are not the pages you are looking for ".repeat(100),
    )
    .unwrap();
    let error = Store::open(&path).await.unwrap_err();
    assert!(error.to_string().contains("notes.txt"), "{error}");
}

#[tokio::test]
async fn an_empty_path_is_refused_not_opened_as_a_temporary_database() {
    let error = Store::open(Location::parse("")).await.unwrap_err();
    assert!(matches!(error, StoreError::BadLocation { .. }), "{error}");
}

async fn a_run_goes_from_running_to_complete_once(db: TestDb) {
    let store = db.open().await;
    let run = store.begin_run(SITE, URL, day(0)).await.unwrap();
    assert_eq!(store.status(run).await.unwrap(), Some(RunStatus::Running));
    assert!(store.report(run).await.unwrap().is_none());

    let report = support::clean_report(day(0));
    store.complete_run(run, &report).await.unwrap();
    assert_eq!(store.status(run).await.unwrap(), Some(RunStatus::Complete));
    assert_eq!(store.report(run).await.unwrap().unwrap(), report);

    let again = store.complete_run(run, &report).await.unwrap_err();
    assert!(
        matches!(
            again,
            StoreError::RunNotRunning {
                status: RunStatus::Complete,
                ..
            }
        ),
        "{again}"
    );
    assert!(
        again.to_string().contains(&format!("run {}", run.0)),
        "{again}"
    );
    assert!(matches!(
        store.fail_run(run, "late").await,
        Err(StoreError::RunNotRunning { .. })
    ));
    assert!(matches!(
        store.complete_run(RunId(999), &report).await,
        Err(StoreError::RunNotFound { .. })
    ));
    assert!(matches!(
        store.fail_run(RunId(999), "x").await,
        Err(StoreError::RunNotFound { .. })
    ));
    // A refused completion wrote nothing.
    assert_eq!(
        db.count("SELECT COUNT(*) FROM observed_cookies").await,
        report.observed.len() as i64
    );
}

async fn failed_and_unfinished_runs_are_never_previous(db: TestDb) {
    let store = db.open().await;
    let first = store.begin_run(SITE, URL, day(0)).await.unwrap();
    store
        .complete_run(first, &support::clean_report(day(0)))
        .await
        .unwrap();
    let failed = store.begin_run(SITE, URL, day(1)).await.unwrap();
    store
        .fail_run(failed, "start URL unreachable")
        .await
        .unwrap();
    let _crashed = store.begin_run(SITE, URL, day(2)).await.unwrap();
    let other_site = store
        .begin_run("elsewhere.test", "https://elsewhere.test/", day(3))
        .await
        .unwrap();
    store
        .complete_run(other_site, &support::clean_report(day(3)))
        .await
        .unwrap();
    let current = store.begin_run(SITE, URL, day(4)).await.unwrap();

    let previous = store
        .previous_complete(SITE, current)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(previous.id, first);
    assert_eq!(previous.finished_at, day(0));
    assert_eq!(previous.cookies.len(), 2);
    assert!(
        store
            .previous_complete(SITE, first)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.latest_complete(SITE).await.unwrap().unwrap().id,
        first
    );
    assert!(store.latest_complete("never.test").await.unwrap().is_none());
}

async fn history_lists_runs_oldest_first_with_counts(db: TestDb) {
    let store = db.open().await;
    let first = store.begin_run(SITE, URL, day(0)).await.unwrap();
    store
        .begin_run("elsewhere.test", "https://elsewhere.test/", day(1))
        .await
        .unwrap();
    let second = store.begin_run(SITE, URL, day(7)).await.unwrap();
    let third = store.begin_run(SITE, URL, day(14)).await.unwrap();
    // Finished out of order: history keeps the order the runs began in.
    store
        .fail_run(third, "browser failed to start")
        .await
        .unwrap();
    store
        .complete_run(first, &support::clean_report(day(0)))
        .await
        .unwrap();
    let mut with_finding = support::clean_report(day(7));
    with_finding
        .observed
        .push(support::observed("_hjid", "council.test", false));
    with_finding
        .findings
        .push(support::undeclared("_hjid", "council.test"));
    let mut before_choice = support::undeclared("_hjid", "council.test");
    before_choice.code = cookie_audit_model::FindingCode::ConsentBeforeChoice;
    before_choice.kind = cookie_audit_model::FindingKind::Consent;
    with_finding.findings.push(before_choice);
    let coverage = cookie_audit_model::Coverage {
        pages_visited: 5,
        previous_pages_visited: 40,
        pages_revisited: 4,
    };
    with_finding.changes = Some(cookie_audit_model::Changes {
        coverage: Some(coverage),
        ..Default::default()
    });
    store.complete_run(second, &with_finding).await.unwrap();

    let history = store.history(SITE).await.unwrap();
    let ids: Vec<RunId> = history.iter().map(|r| r.id).collect();
    assert_eq!(ids, [first, second, third]);
    assert_eq!(
        history.iter().map(|r| r.status).collect::<Vec<_>>(),
        [RunStatus::Complete, RunStatus::Complete, RunStatus::Failed]
    );
    let counts = history[1].counts.as_ref().unwrap();
    assert_eq!(
        (counts.declared, counts.observed, counts.undeclared),
        (2, 3, 1)
    );
    assert_eq!(counts.medium, 2);
    assert_eq!(
        (counts.consent, counts.cmp_mismatch),
        (1, 0),
        "stored since version 3"
    );
    assert_eq!(history[1].coverage, Some(coverage));
    assert_eq!(
        history[0].coverage, None,
        "a first run has nothing to cover"
    );
    assert_eq!(history[0].counts.as_ref().unwrap().undeclared, 0);
    assert!(history[2].counts.is_none());
    assert_eq!(history[2].error.as_deref(), Some("browser failed to start"));
    assert_eq!(history[0].engine.as_deref(), Some("http"));
    assert_eq!(history[0].declaration_status.as_deref(), Some("found"));
    assert_eq!(history[0].declaration_hash, history[1].declaration_hash);
    assert_eq!(history[0].started_at, day(0));
    assert_eq!(history[0].finished_at, Some(day(0)));
    assert!(history[0].round.is_none(), "begun outside any round");
    assert_eq!(
        store.sites().await.unwrap(),
        ["council.test", "elsewhere.test"]
    );

    // history --format json serialises it.
    let json = serde_json::to_value(&history).unwrap();
    assert_eq!(json[0]["status"], "complete");
    assert_eq!(json[2]["status"], "failed");
}

/// Every byte of a SQLite database and its WAL.
fn sqlite_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        if let Ok(more) = std::fs::read(&side) {
            bytes.extend(more);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn cookie_values_never_reach_the_database_even_with_show_values(db: TestDb) {
    let store = db.open().await;
    let run = store.begin_run(SITE, URL, day(0)).await.unwrap();
    let mut report = support::report(
        day(0),
        vec![support::declared("sid", "Session", 0)],
        vec![support::observed("sid", "council.test", true)],
        vec![],
    );
    let mut malformed = support::observed("", "council.test", true);
    malformed.malformed = Some(cookie_audit_model::Malformed {
        error: "no name".into(),
        raw: format!("{}; Path=/", support::SECRET),
    });
    report.observed.insert(0, malformed);
    assert!(report.config.show_values);
    assert!(report_json(&report).contains(support::SECRET));

    store.complete_run(run, &report).await.unwrap();
    let stored = store.report(run).await.unwrap().unwrap();
    assert!(stored.observed.iter().all(|o| o.value.value.is_none()));
    assert_eq!(
        stored.observed[1].value.sha256,
        report.observed[1].value.sha256
    );
    assert!(!report_json(&stored).contains(support::SECRET));
    drop(store);

    // Every row of every table, as text: no column holds it, however the server stores it.
    for table in ["runs", "observed_cookies", "declared_cookies", "findings"] {
        let rows = match db.backend {
            Backend::Sqlite => {
                // Every column of the row joined, via SQLite's own list of the table's columns.
                let columns = db
                    .sql(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .await;
                let joined = columns
                    .iter()
                    .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                db.sql(&format!("SELECT {joined} FROM {table}")).await
            }
            Backend::Postgres => db.sql(&format!("SELECT t::text FROM {table} t")).await,
        };
        assert!(!rows.is_empty() || table == "findings", "{table} has rows");
        for row in rows {
            assert!(!row.contains(support::SECRET), "{table}: {row}");
        }
    }
    if let Location::Sqlite(path) = &db.location {
        assert!(
            !contains(&sqlite_bytes(path), support::SECRET),
            "the secret is somewhere in the database files"
        );
    }
}

fn report_json(report: &cookie_audit_model::Report) -> String {
    serde_json::to_string(report).unwrap()
}

async fn two_stores_on_one_database_take_turns(db: TestDb) {
    let a = db.open().await;
    let b = db.open().await;
    let run_a = a
        .begin_run("a.test", "https://a.test/", day(0))
        .await
        .unwrap();
    let run_b = b
        .begin_run("b.test", "https://b.test/", day(0))
        .await
        .unwrap();
    assert_ne!(run_a, run_b);
    // Both completing at once.
    let report = support::clean_report(day(0));
    let (done_a, done_b) = tokio::join!(
        a.complete_run(run_a, &report),
        b.complete_run(run_b, &report)
    );
    done_a.unwrap();
    done_b.unwrap();
    assert_eq!(
        a.history("b.test").await.unwrap()[0].status,
        RunStatus::Complete
    );
    assert_eq!(
        b.history("a.test").await.unwrap()[0].status,
        RunStatus::Complete
    );
}

/// A history written by cookie-audit before PostgreSQL and rounds (schema version 1) opens with
/// this build, is migrated in place, and keeps every run.
#[tokio::test]
async fn a_history_of_schema_version_1_opens_and_keeps_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cookie-audit.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("data/sqlite-schema-v1.sql"))
            .unwrap();
        conn.execute_batch(
            "INSERT INTO runs (site_id, site_url, status, started_at, finished_at, engine,
                 declaration_status, declaration_hash, declared, observed, undeclared, stale,
                 misdescribed, high, medium, low, report_json)
             VALUES ('council.test', 'https://www.council.test/', 'complete',
                 '2025-06-01T02:00:00.000000Z', '2025-06-01T02:03:00.000000Z', 'http', 'found',
                 'abc123', 1, 1, 0, 0, 0, 0, 0, 0, NULL);
             INSERT INTO observed_cookies (run_id, name, domain, path, host_only, session,
                 lifetime_seconds, secure, http_only, same_site, partitioned, party, source,
                 set_by_url, first_seen_page, pages, value_length, value_sha256)
             VALUES (1, '_ga', 'council.test', '/', 0, 0, 63072000, 1, 0, 'lax', 0, 'first',
                 'http', 'https://www.council.test/', 'https://www.council.test/', 3, 26,
                 'a1b2c3d4e5f6');
             INSERT INTO runs (site_id, site_url, status, started_at)
             VALUES ('council.test', 'https://www.council.test/', 'running',
                 '2025-06-08T02:00:00.000000Z');
             INSERT INTO runs (site_id, site_url, status, started_at, finished_at, engine,
                 declaration_status, declaration_hash, declared, observed, undeclared, stale,
                 misdescribed, high, medium, low, report_json)
             VALUES ('consent.test', 'https://www.consent.test/', 'complete',
                 '2025-06-01T02:00:00.000000Z', '2025-06-01T02:03:00.000000Z', 'browser',
                 'found', 'def456', 1, 1, 0, 0, 0, 2, 1, 0,
                 '{\"summary\": {\"consent\": 2, \"cmp_mismatch\": 1}}');",
        )
        .unwrap();
    }
    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    store.integrity_check().await.unwrap();
    let history = store.history(SITE).await.unwrap();
    assert_eq!(
        history.iter().map(|r| r.status).collect::<Vec<_>>(),
        [RunStatus::Complete, RunStatus::Running]
    );
    assert_eq!(history[0].counts.as_ref().unwrap().observed, 1);
    let counts = store.history("consent.test").await.unwrap()[0]
        .counts
        .clone();
    let counts = counts.unwrap();
    assert_eq!(
        (counts.consent, counts.cmp_mismatch),
        (2, 1),
        "version 3 fills the consent counts from the stored report"
    );
    let unknown_states = "SELECT COUNT(*) FROM observed_cookies WHERE state_none IS NULL";
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = conn.query_row(unknown_states, [], |r| r.get(0)).unwrap();
    assert_eq!(
        rows, 1,
        "states of rows written before version 3 are unknown"
    );
    assert!(
        history
            .iter()
            .all(|r| r.round.is_none() && r.worker.is_none())
    );
    let previous = store.latest_complete(SITE).await.unwrap().unwrap();
    assert_eq!(previous.id, RunId(1));
    assert_eq!(previous.cookies[0].name, "_ga");
    assert_eq!(previous.declaration_hash, "abc123");

    // The old running run (a killed audit, before leases) is outside any round: it holds no
    // claim, and the site can be claimed in a round at once.
    let claim = store
        .claim(&cookie_audit_store::ClaimRequest {
            round: cookie_audit_store::RoundId::parse("first-round").unwrap(),
            site_id: SITE.into(),
            site_url: URL.into(),
            worker: "w1".into(),
            started_at: day(14),
            lease: cookie_audit_store::Lease::DEFAULT,
            max_attempts: 3,
        })
        .await
        .unwrap();
    assert!(
        matches!(claim, cookie_audit_store::Claim::Won { attempt: 1, .. }),
        "{claim:?}"
    );
}
