//! Opening, migrating, the life of a run, history, and what the database never holds.

use cookie_audit_store::{RunId, RunStatus, SCHEMA_VERSION, Store, StoreError};
use rusqlite::Connection;

use crate::support::{self, day};

const SITE: &str = "council.test";
const URL: &str = "https://www.council.test/";

fn db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cookie-audit.db");
    (dir, path)
}

#[test]
fn opening_twice_migrates_once() {
    let (_dir, path) = db();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store.integrity_check().unwrap();

    let conn = Connection::open(&path).unwrap();
    let versions: Vec<u32> = conn
        .prepare("SELECT version FROM schema_version ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        mode, "wal",
        "the database stays in WAL mode for every later opener"
    );
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let (_dir, path) = db();
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_version (version, applied_at) VALUES (?1, 'later')",
        [SCHEMA_VERSION + 1],
    )
    .unwrap();
    drop(conn);
    let error = Store::open(&path).unwrap_err();
    assert!(
        matches!(error, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1),
        "{error}"
    );
    assert!(error.to_string().contains("cookie-audit.db"), "{error}");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_naming_it() {
    let (dir, _) = db();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "these are not the pages you are looking for ".repeat(100),
    )
    .unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(error.to_string().contains("notes.txt"), "{error}");
}

#[test]
fn a_run_goes_from_running_to_complete_once() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    let run = store.begin_run(SITE, URL, day(0)).unwrap();
    assert_eq!(store.status(run).unwrap(), Some(RunStatus::Running));
    assert!(store.report(run).unwrap().is_none());

    let report = support::clean_report(day(0));
    store.complete_run(run, &report).unwrap();
    assert_eq!(store.status(run).unwrap(), Some(RunStatus::Complete));
    assert_eq!(store.report(run).unwrap().unwrap(), report);

    let again = store.complete_run(run, &report).unwrap_err();
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
        store.fail_run(run, "late"),
        Err(StoreError::RunNotRunning { .. })
    ));
    assert!(matches!(
        store.complete_run(RunId(999), &report),
        Err(StoreError::RunNotFound { .. })
    ));
    assert!(matches!(
        store.fail_run(RunId(999), "x"),
        Err(StoreError::RunNotFound { .. })
    ));
}

#[test]
fn failed_and_unfinished_runs_are_never_previous() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    let first = store.begin_run(SITE, URL, day(0)).unwrap();
    store
        .complete_run(first, &support::clean_report(day(0)))
        .unwrap();
    let failed = store.begin_run(SITE, URL, day(1)).unwrap();
    store.fail_run(failed, "start URL unreachable").unwrap();
    let _crashed = store.begin_run(SITE, URL, day(2)).unwrap();
    let other_site = store
        .begin_run("elsewhere.test", "https://elsewhere.test/", day(3))
        .unwrap();
    store
        .complete_run(other_site, &support::clean_report(day(3)))
        .unwrap();
    let current = store.begin_run(SITE, URL, day(4)).unwrap();

    let previous = store.previous_complete(SITE, current).unwrap().unwrap();
    assert_eq!(previous.id, first);
    assert_eq!(previous.finished_at, day(0));
    assert_eq!(previous.cookies.len(), 2);
    assert!(store.previous_complete(SITE, first).unwrap().is_none());
    assert_eq!(store.latest_complete(SITE).unwrap().unwrap().id, first);
    assert!(store.latest_complete("never.test").unwrap().is_none());
}

#[test]
fn history_lists_runs_oldest_first_with_counts() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    let first = store.begin_run(SITE, URL, day(0)).unwrap();
    store
        .begin_run("elsewhere.test", "https://elsewhere.test/", day(1))
        .unwrap();
    let second = store.begin_run(SITE, URL, day(7)).unwrap();
    let third = store.begin_run(SITE, URL, day(14)).unwrap();
    // Finished out of order: history keeps the order the runs began in.
    store.fail_run(third, "browser failed to start").unwrap();
    store
        .complete_run(first, &support::clean_report(day(0)))
        .unwrap();
    let mut with_finding = support::clean_report(day(7));
    with_finding
        .observed
        .push(support::observed("_hjid", "council.test", false));
    with_finding
        .findings
        .push(support::undeclared("_hjid", "council.test"));
    store.complete_run(second, &with_finding).unwrap();

    let history = store.history(SITE).unwrap();
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
    assert_eq!(counts.medium, 1);
    assert_eq!(history[0].counts.as_ref().unwrap().undeclared, 0);
    assert!(history[2].counts.is_none());
    assert_eq!(history[2].error.as_deref(), Some("browser failed to start"));
    assert_eq!(history[0].engine.as_deref(), Some("http"));
    assert_eq!(history[0].declaration_status.as_deref(), Some("found"));
    assert_eq!(history[0].declaration_hash, history[1].declaration_hash);
    assert_eq!(store.sites().unwrap(), ["council.test", "elsewhere.test"]);

    // history --format json serialises it.
    let json = serde_json::to_value(&history).unwrap();
    assert_eq!(json[0]["status"], "complete");
    assert_eq!(json[2]["status"], "failed");
}

/// Every byte of the database and its WAL.
fn database_bytes(path: &std::path::Path) -> Vec<u8> {
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

#[test]
fn cookie_values_never_reach_the_database_even_with_show_values() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).unwrap();
    let run = store.begin_run(SITE, URL, day(0)).unwrap();
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
    assert!(cookie_audit_report_json(&report).contains(support::SECRET));

    store.complete_run(run, &report).unwrap();
    let stored = store.report(run).unwrap().unwrap();
    assert!(stored.observed.iter().all(|o| o.value.value.is_none()));
    assert_eq!(
        stored.observed[1].value.sha256,
        report.observed[1].value.sha256
    );
    assert!(!cookie_audit_report_json(&stored).contains(support::SECRET));
    drop(store);
    assert!(
        !contains(&database_bytes(&path), support::SECRET),
        "the secret is somewhere in the database files"
    );
}

fn cookie_audit_report_json(report: &cookie_audit_model::Report) -> String {
    serde_json::to_string(report).unwrap()
}

#[test]
fn two_stores_on_one_file_take_turns() {
    let (_dir, path) = db();
    let mut a = Store::open(&path).unwrap();
    let mut b = Store::open(&path).unwrap();
    let run_a = a.begin_run("a.test", "https://a.test/", day(0)).unwrap();
    let run_b = b.begin_run("b.test", "https://b.test/", day(0)).unwrap();
    assert_ne!(run_a, run_b);
    b.complete_run(run_b, &support::clean_report(day(0)))
        .unwrap();
    a.complete_run(run_a, &support::clean_report(day(0)))
        .unwrap();
    assert_eq!(a.history("b.test").unwrap()[0].status, RunStatus::Complete);
    assert_eq!(b.history("a.test").unwrap()[0].status, RunStatus::Complete);
}
