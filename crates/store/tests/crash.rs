//! A process that dies in the middle of `complete_run` — killed by the scheduler, out of memory,
//! aborted — must leave a database the next audit opens without error, in which the run it was
//! writing is not complete and holds no partial rows.
//!
//! The test re-runs this test binary as a child (selecting only [`crash_child`], which does
//! nothing unless [`CHILD_ENV`] is set). The child begins a run and starts writing a large
//! report; a watcher thread aborts the process as soon as the write-ahead log grows, i.e. while
//! the transaction is under way and uncommitted pages are on disk.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cookie_audit_store::{RunId, RunStatus, Store};

use crate::support::{self, day, observed, undeclared};

const CHILD_ENV: &str = "COOKIE_AUDIT_STORE_CRASH_CHILD_DB";
const SITE: &str = "council.test";
const URL: &str = "https://www.council.test/";
/// WAL growth that means the transaction is spilling pages: well past the few pages of
/// `begin_run`'s commit, well short of the whole report.
const SPILL_BYTES: u64 = 512 * 1024;
/// The child exits with this when the write finished before the watcher caught it.
const FINISHED_TOO_SOON: i32 = 42;

fn wal_of(db: &Path) -> PathBuf {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

fn wal_len(wal: &Path) -> u64 {
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// Big enough that SQLite spills dirty pages to the WAL long before the commit (its page cache
/// holds about 2 MB), so the abort lands mid-transaction.
fn big_report() -> cookie_audit_model::Report {
    let cookies = 20_000;
    let mut observed_cookies = Vec::with_capacity(cookies);
    let mut findings = Vec::with_capacity(cookies);
    for i in 0..cookies {
        let name = format!("tracker_{i:05}");
        observed_cookies.push(observed(&name, "council.test", false));
        findings.push(undeclared(&name, "council.test"));
    }
    support::report(day(7), vec![], observed_cookies, findings)
}

/// The child's half. A no-op in an ordinary test run.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    let report = big_report();
    let mut store = Store::open(&path).unwrap();
    let run = store.begin_run(SITE, URL, day(7)).unwrap();
    let mut stdout = std::io::stdout();
    // On a line of its own: the harness has printed "test crash::crash_child ... " already.
    writeln!(stdout, "\nRUN {}", run.0).unwrap();
    stdout.flush().unwrap();

    let wal = wal_of(&path);
    let baseline = wal_len(&wal);
    std::thread::spawn(move || {
        loop {
            if wal_len(&wal) > baseline + SPILL_BYTES {
                std::process::abort();
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    });
    store.complete_run(run, &report).unwrap();
    std::process::exit(FINISHED_TOO_SOON);
}

#[test]
fn a_process_aborted_mid_write_leaves_a_usable_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cookie-audit.db");
    let first = {
        let mut store = Store::open(&path).unwrap();
        let run = store.begin_run(SITE, URL, day(0)).unwrap();
        store
            .complete_run(run, &support::clean_report(day(0)))
            .unwrap();
        run
    };

    let started = Instant::now();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash::crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_ne!(
        output.status.code(),
        Some(FINISHED_TOO_SOON),
        "the child finished writing before it could be aborted; raise big_report's size"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            output.status.signal(),
            Some(6),
            "the child should die of SIGABRT: {:?}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let crashed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RUN "))
        .and_then(|id| id.trim().parse().ok())
        .map(RunId)
        .unwrap_or_else(|| panic!("the child did not report its run: {stdout}"));
    eprintln!("child aborted mid-write after {:?}", started.elapsed());

    // The next audit: opens, checks, sees the crashed run as unfinished and compares with the
    // last complete run.
    let mut store = Store::open(&path).expect("a crashed writer's database opens");
    store.integrity_check().unwrap();
    assert_eq!(store.status(crashed).unwrap(), Some(RunStatus::Running));
    assert!(store.report(crashed).unwrap().is_none());
    let next = store.begin_run(SITE, URL, day(14)).unwrap();
    assert!(next > crashed);
    assert_eq!(
        store.previous_complete(SITE, next).unwrap().unwrap().id,
        first
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    for table in ["observed_cookies", "findings", "declared_cookies"] {
        let partial: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE run_id = ?1"),
                [crashed.0],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(partial, 0, "{table} kept rows of the aborted transaction");
    }
    store
        .complete_run(next, &support::clean_report(day(14)))
        .unwrap();
    let history = store.history(SITE).unwrap();
    assert_eq!(
        history.iter().map(|r| r.status).collect::<Vec<_>>(),
        [RunStatus::Complete, RunStatus::Running, RunStatus::Complete]
    );
}
