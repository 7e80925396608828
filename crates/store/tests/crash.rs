//! A worker that dies in the middle of `complete_run` — killed by the scheduler, out of memory,
//! aborted — must leave a database the next worker opens without error, in which the run it was
//! writing is not complete and holds no partial rows; and once its lease has run out, the next
//! worker of the round marks that run abandoned and audits the site again.
//!
//! The test re-runs this test binary as a child (selecting only [`crash_child`], which does
//! nothing unless [`CHILD_ENV`] is set). The child claims the site in a round and starts writing
//! a large report. On SQLite a watcher thread aborts it as soon as the write-ahead log grows,
//! i.e. while the transaction is under way and uncommitted pages are on disk; on PostgreSQL the
//! parent SIGKILLs it once the server shows its transaction inserting cookies.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cookie_audit_store::{
    ABANDONED, Claim, ClaimRequest, Lease, Location, RoundId, RunId, RunStatus, Store,
};

use crate::backends::{Backend, TestDb, postgres_client};
use crate::support::{self, day, observed, undeclared};

const CHILD_ENV: &str = "COOKIE_AUDIT_STORE_CRASH_CHILD_DB";
const ROUND: &str = "crash-round";
const SITE: &str = "council.test";
const URL: &str = "https://www.council.test/";
/// WAL growth that means the transaction is spilling pages: well past the few pages of
/// the claim's commit, well short of the whole report.
const SPILL_BYTES: u64 = 512 * 1024;
/// The child exits with this when the write finished before it could be killed.
const FINISHED_TOO_SOON: i32 = 42;

on_both_backends!(a_worker_killed_mid_write_leaves_a_usable_database_and_loses_its_lease);

fn wal_of(db: &Path) -> PathBuf {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

fn wal_len(wal: &Path) -> u64 {
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// Big enough that SQLite spills dirty pages to the WAL long before the commit (its page cache
/// holds about 2 MB), and that PostgreSQL takes a visible while inserting it.
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

fn claim(worker: &str, lease: Lease) -> ClaimRequest {
    ClaimRequest {
        round: RoundId::parse(ROUND).unwrap(),
        site_id: SITE.into(),
        site_url: URL.into(),
        worker: worker.into(),
        started_at: day(7),
        lease,
        max_attempts: 3,
    }
}

/// The child's half. A no-op in an ordinary test run.
#[tokio::test]
async fn crash_child() {
    let Some(location) = std::env::var(CHILD_ENV).ok().map(|l| Location::parse(&l)) else {
        return;
    };
    let report = big_report();
    let store = Store::open(&location).await.unwrap();
    let Claim::Won { run, .. } = store.claim(&claim("doomed", Lease::DEFAULT)).await.unwrap()
    else {
        panic!("the child's claim was refused");
    };
    let mut stdout = std::io::stdout();
    // On a line of its own: the harness has printed "test crash::crash_child ... " already.
    writeln!(stdout, "\nRUN {}", run.0).unwrap();
    stdout.flush().unwrap();

    if let Location::Sqlite(path) = &location {
        let wal = wal_of(path);
        let baseline = wal_len(&wal);
        std::thread::spawn(move || {
            loop {
                if wal_len(&wal) > baseline + SPILL_BYTES {
                    std::process::abort();
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        });
    }
    store.complete_run(run, &report).await.unwrap();
    std::process::exit(FINISHED_TOO_SOON);
}

/// Starts the child and returns it with the run it claimed.
fn start_child(location: &Location) -> (Child, RunId, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash::crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD_ENV,
            match location {
                Location::Sqlite(path) => path.to_string_lossy().into_owned(),
                Location::Postgres(url) => url.clone(),
            },
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run the child");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let run = loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("the child did not report its run: {seen}");
        }
        if let Some(id) = line.trim().strip_prefix("RUN ") {
            break RunId(id.parse().unwrap());
        }
        seen.push_str(&line);
    };
    (child, run, stdout)
}

/// PostgreSQL: waits until the child's transaction is inserting cookies, then SIGKILLs it, then
/// waits until the server has noticed and rolled it back.
async fn kill_mid_write(url: &str, child: &mut Child) {
    let monitor = postgres_client(url).await;
    let ours = "datname = current_database() AND pid <> pg_backend_pid() \
                AND application_name = 'cookie-audit'";
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let writing: i64 = monitor
            .query_one(
                &format!(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE {ours}
                     AND xact_start IS NOT NULL AND query LIKE 'INSERT INTO observed_cookies%'"
                ),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if writing > 0 {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the child ended before it could be killed mid-write: {status}");
        }
        assert!(Instant::now() < deadline, "the child never started writing");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap();
    // The server rolls back a dead client's transaction when it notices the socket closed.
    loop {
        let open: i64 = monitor
            .query_one(
                &format!(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE {ours} AND xact_start IS NOT NULL"
                ),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the killed child's transaction stays open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_worker_killed_mid_write_leaves_a_usable_database_and_loses_its_lease(db: TestDb) {
    let first = {
        let store = db.open().await;
        let run = store.begin_run(SITE, URL, day(0)).await.unwrap();
        store
            .complete_run(run, &support::clean_report(day(0)))
            .await
            .unwrap();
        run
    };

    let (mut child, crashed, _stdout) = start_child(&db.location);
    if let Location::Postgres(url) = &db.location {
        kill_mid_write(url, &mut child).await;
    }
    let status = child.wait().unwrap();
    assert_ne!(
        status.code(),
        Some(FINISHED_TOO_SOON),
        "the child finished writing before it could be killed; raise big_report's size"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let expected = match db.backend {
            Backend::Sqlite => 6,   // SIGABRT, from its watcher
            Backend::Postgres => 9, // SIGKILL, from us
        };
        assert_eq!(status.signal(), Some(expected), "{status:?}");
    }

    // The next worker: opens, checks, sees the crashed run as unfinished, with no rows.
    let store = Store::open(&db.location)
        .await
        .expect("a crashed writer's database opens");
    store.integrity_check().await.unwrap();
    assert_eq!(
        store.status(crashed).await.unwrap(),
        Some(RunStatus::Running)
    );
    assert!(store.report(crashed).await.unwrap().is_none());
    for table in ["observed_cookies", "findings", "declared_cookies"] {
        let partial = db
            .count(&format!(
                "SELECT COUNT(*) FROM {table} WHERE run_id = {}",
                crashed.0
            ))
            .await;
        assert_eq!(partial, 0, "{table} kept rows of the aborted transaction");
    }

    // Within its lease the site is still the dead worker's...
    let held = store.claim(&claim("next", Lease::DEFAULT)).await.unwrap();
    assert!(
        matches!(&held, Claim::HeldElsewhere { run, worker: Some(w), .. } if *run == crashed && w == "doomed"),
        "{held:?}"
    );
    // ...and once its heartbeat is older than the lease, the next claim takes it over.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let taken = store
        .claim(&claim("next", Lease::new(Duration::from_secs(1))))
        .await
        .unwrap();
    let Claim::Won {
        run: next,
        attempt: 2,
        abandoned: Some(abandoned),
    } = taken
    else {
        panic!("the expired run was not taken over: {taken:?}");
    };
    assert_eq!(abandoned, crashed);
    assert!(next > crashed);
    assert_eq!(
        store
            .previous_complete(SITE, next)
            .await
            .unwrap()
            .unwrap()
            .id,
        first
    );
    store
        .complete_run(next, &support::clean_report(day(14)))
        .await
        .unwrap();
    let history = store.history(SITE).await.unwrap();
    assert_eq!(
        history.iter().map(|r| r.status).collect::<Vec<_>>(),
        [RunStatus::Complete, RunStatus::Failed, RunStatus::Complete]
    );
    assert_eq!(history[1].error.as_deref(), Some(ABANDONED));
    assert_eq!(history[1].worker.as_deref(), Some("doomed"));
}
