//! Audits beyond one machine (issue 19): workers of one round sharing a PostgreSQL history,
//! `--shard`, `--round`, leases, a database going away, and `cookie-audit rounds` — the real binary
//! against fixture sites and a real PostgreSQL on loopback.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use cookie_audit_audit::job::shard::shard_of;
use cookie_audit_fixtures::multisite;
use cookie_audit_fixtures::postgres::{TestPostgres, url_for};
use serde_json::Value;

use super::sites::{self, SLOW};
use super::{Run, Workspace, binary, defaults, path_arg, run, site};

/// A fresh database on the test binary's shared PostgreSQL server.
async fn postgres_database() -> String {
    tokio::task::spawn_blocking(|| TestPostgres::shared().fresh_database())
        .await
        .unwrap()
        .expect("a PostgreSQL database for the test")
}

/// `cookie-audit audit` over `ws`'s config with the history at `db`, reports in `out`, the HTTP
/// engine and JSON on stdout, and `extra` flags.
fn audit_args(ws: &Workspace, db: &str, out: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "audit",
        "--config",
        &path_arg(&ws.config()),
        "--out-dir",
        &path_arg(&ws.path(out)),
        "--db",
        db,
        "--engine",
        "http",
        "--format",
        "json",
    ]
    .map(String::from)
    .into();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

async fn audit(ws: &Workspace, db: &str, out: &str, extra: &[&str]) -> Run {
    run(&audit_args(ws, db, out, extra), ws.dir.path()).await
}

/// `cookie-audit rounds …` as JSON.
async fn rounds(ws: &Workspace, args: &[&str]) -> Value {
    let mut all: Vec<String> = vec!["rounds".into()];
    all.extend(args.iter().map(|s| s.to_string()));
    all.extend(["--format".into(), "json".into()]);
    let shown = run(&all, ws.dir.path()).await;
    assert_eq!(shown.code, 0, "{shown:?}");
    shown.json()
}

/// The multisite fixture's `count` sites in `ws`'s config.
async fn many_sites(ws: &Workspace, count: usize) -> cookie_audit_fixtures::FixtureServer {
    let server = multisite::start(count, 4).await.unwrap();
    let mut config = defaults(&server.resolve_args(), "rate = 20");
    for host in multisite::hosts(count) {
        config.push_str(&site(&server.http_url(&host, "/"), ""));
    }
    ws.write_config(&config);
    server
}

/// Requests each host received: a full audit of a multisite site is `requests_per_site(4)`.
fn requests_by_host(server: &cookie_audit_fixtures::FixtureServer) -> BTreeMap<String, u32> {
    let mut by_host = BTreeMap::new();
    for served in server.log.all() {
        *by_host.entry(served.host).or_default() += 1;
    }
    by_host
}

fn statuses(summary: &Value) -> BTreeMap<String, String> {
    summary["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .map(|s| {
            (
                s["site"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_shard_round_or_lease_is_a_usage_error_before_anything_runs() {
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}{}",
        defaults(&[], ""),
        site("http://www.unused.gov.uk/", "")
    ));
    for (flag, value, says) in [
        ("--shard", "3/3", "INDEX must be below 3"),
        ("--shard", "x/2", "`x` is not a whole number"),
        ("--shard", "1", "is not INDEX/COUNT"),
        ("--round", "two words", "is not a round id"),
        ("--lease", "0", "--lease"),
        ("--max-attempts", "0", "--max-attempts"),
    ] {
        let refused = ws.audit(&[flag, value]).await;
        assert_eq!(refused.code, 2, "{flag} {value}: {refused:?}");
        assert!(
            refused.stderr.contains(says),
            "{flag} {value}: {}",
            refused.stderr
        );
    }
    assert!(!ws.db().exists(), "nothing was opened");
    assert!(!ws.out().exists(), "nothing was written");
}

/// `--db` and `COOKIE_AUDIT_DB` take a PostgreSQL URL; a server that is down at start is a clear
/// error naming it (without its password), exit 2, before any site is fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_that_is_down_at_start_is_a_clear_error_and_exit_2() {
    let server = multisite::start(1, 2).await.unwrap();
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}{}",
        defaults(&server.resolve_args(), ""),
        site(&server.http_url(&multisite::host(1), "/"), "")
    ));
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = nobody.local_addr().unwrap().port();
    drop(nobody);
    let down = url_for(port, "history").replace("postgres@", "audit:s3cret@");
    let by_flag = audit(&ws, &down, "reports", &[]).await;
    let mut by_env = binary();
    let by_env = by_env
        .args([
            "audit",
            "--config",
            &path_arg(&ws.config()),
            "--engine",
            "http",
        ])
        .env("COOKIE_AUDIT_DB", &down)
        .current_dir(ws.dir.path())
        .output()
        .await
        .unwrap();
    let by_env = Run {
        code: by_env.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&by_env.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&by_env.stderr).into_owned(),
    };
    for refused in [&by_flag, &by_env] {
        assert_eq!(refused.code, 2, "{refused:?}");
        assert!(
            refused
                .stderr
                .contains("cannot connect to the history database postgres://audit:***@127.0.0.1:"),
            "{}",
            refused.stderr
        );
        assert!(!refused.stderr.contains("s3cret"), "{}", refused.stderr);
    }
    assert!(server.log.all().is_empty(), "no site was fetched");
    // --help shows the variable, never its value (a password).
    let help = binary()
        .args(["audit", "--help"])
        .env("COOKIE_AUDIT_DB", &down)
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("COOKIE_AUDIT_DB"), "{help}");
    assert!(!help.contains("s3cret"), "{help}");
}

/// An array job of three workers (`--shard 0/3` … `2/3`) sharing one round and one PostgreSQL:
/// each audits its shard, every site once; a worker retried on the round skips what it
/// finished; `rounds` and `history` read it all back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_audit_every_site_once_and_a_retried_worker_skips_what_is_complete() {
    const SITES: usize = 12;
    let ws = Workspace::new();
    let server = many_sites(&ws, SITES).await;
    let db = postgres_database().await;
    let (a, b, c) = tokio::join!(
        audit(
            &ws,
            &db,
            "reports-0",
            &["--round", "nightly-1", "--shard", "0/3"]
        ),
        audit(
            &ws,
            &db,
            "reports-1",
            &["--round", "nightly-1", "--shard", "1/3"]
        ),
        audit(
            &ws,
            &db,
            "reports-2",
            &["--round", "nightly-1", "--shard", "2/3"]
        ),
    );
    let mut audited = BTreeSet::new();
    for (index, worker) in [a, b, c].iter().enumerate() {
        assert_eq!(worker.code, 0, "{worker:?}");
        let summary = worker.json();
        assert_eq!(summary["round"], "nightly-1");
        assert_eq!(summary["shard"], format!("{index}/3"));
        for (site, status) in statuses(&summary) {
            assert_eq!(
                shard_of(&site, 3),
                index as u32,
                "{site} is not shard {index}'s"
            );
            assert_eq!(status, "complete", "{site}");
            assert!(audited.insert(site.clone()), "{site} audited twice");
        }
        // Each worker's summary file is its own.
        let file = ws.path(&format!("reports-{index}/last-run-shard-{index}-of-3.json"));
        assert!(file.is_file(), "{}", file.display());
    }
    assert_eq!(audited.len(), SITES, "every site is in one shard");
    let served = requests_by_host(&server);
    assert_eq!(served.len(), SITES);
    assert!(
        served
            .values()
            .all(|&n| n == multisite::requests_per_site(4)),
        "each site crawled exactly once: {served:?}"
    );

    // The scheduler retries worker 1: its sites are complete in the round, so nothing is fetched.
    let retry = audit(
        &ws,
        &db,
        "reports-1",
        &["--round", "nightly-1", "--shard", "1/3"],
    )
    .await;
    assert_eq!(retry.code, 0, "{retry:?}");
    let summary = retry.json();
    assert_eq!(summary["complete"], 0, "{summary:#}");
    assert_eq!(
        summary["skipped"],
        summary["sites"].as_array().unwrap().len()
    );
    for entry in summary["sites"].as_array().unwrap() {
        assert_eq!(entry["skipped"]["reason"], "already_complete", "{entry:#}");
    }
    assert_eq!(
        requests_by_host(&server),
        served,
        "the retry fetched nothing"
    );

    let progress = rounds(
        &ws,
        &[
            "nightly-1",
            "--db",
            &db,
            "--config",
            &path_arg(&ws.config()),
        ],
    )
    .await;
    assert_eq!(progress["complete"], SITES);
    assert_eq!(progress["failed"], 0, "{progress:#}");
    assert_eq!(progress["left"], 0, "{progress:#}");
    let workers: BTreeSet<&str> = progress["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["worker"].as_str().unwrap())
        .collect();
    assert_eq!(
        workers.len(),
        3,
        "three workers shared the round: {workers:?}"
    );
    let listing = rounds(&ws, &["--db", &db]).await;
    assert_eq!(listing["rounds"][0]["round"], "nightly-1");
    assert_eq!(listing["rounds"][0]["complete"], SITES);

    let history = run(
        &["history", "site01.gov.uk", "--db", &db, "--format", "json"].map(String::from),
        ws.dir.path(),
    )
    .await;
    assert_eq!(history.code, 0, "{history:?}");
    let runs = history.json()["runs"].clone();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(runs[0]["round"], "nightly-1");
}

/// Two workers given the same sites and round at once (a misconfigured array job, or a retry
/// overlapping the original): each site is still audited once, the other worker skipping it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_given_the_same_sites_audit_each_site_once() {
    const SITES: usize = 6;
    let ws = Workspace::new();
    let server = many_sites(&ws, SITES).await;
    let db = postgres_database().await;
    let same = [
        "--round",
        "overlap",
        "--lease",
        "4",
        "--sites-concurrency",
        "2",
    ];
    let (a, b) = tokio::join!(
        audit(&ws, &db, "reports-a", &same),
        audit(&ws, &db, "reports-b", &same)
    );
    let mut complete = BTreeMap::new();
    for worker in [&a, &b] {
        assert_eq!(worker.code, 0, "{worker:?}");
        let summary = worker.json();
        assert_eq!(summary["sites"].as_array().unwrap().len(), SITES);
        for entry in summary["sites"].as_array().unwrap() {
            match entry["status"].as_str().unwrap() {
                "complete" => *complete.entry(entry["site"].to_string()).or_insert(0) += 1,
                "skipped" => assert_eq!(entry["skipped"]["reason"], "already_complete"),
                other => panic!("{other}: {entry:#}"),
            }
        }
    }
    assert_eq!(complete.len(), SITES, "{complete:?}");
    assert!(complete.values().all(|&n| n == 1), "{complete:?}");
    let served = requests_by_host(&server);
    assert!(
        served
            .values()
            .all(|&n| n == multisite::requests_per_site(4)),
        "each site crawled exactly once: {served:?}"
    );
}

/// A slow site's audit in round `round` (SQLite unless `db` says), returned once its crawl has
/// served a few pages.
async fn worker_in_the_middle_of_a_crawl(
    ws: &Workspace,
    server: &cookie_audit_fixtures::FixtureServer,
    db: &str,
    extra: &[&str],
) -> tokio::process::Child {
    let mut child = binary()
        .args(audit_args(ws, db, "reports", extra))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start cookie-audit");
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.log.count(SLOW, "/page/") < 3 {
        assert!(Instant::now() < deadline, "the crawl never started");
        assert!(child.try_wait().unwrap().is_none(), "the audit ended early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child
}

fn slow_config(ws: &Workspace, server: &cookie_audit_fixtures::FixtureServer) {
    ws.write_config(&format!(
        "{}{}",
        defaults(&server.resolve_args(), "rate = 5\nmax_pages = 40"),
        site(&server.http_url(SLOW, "/"), "")
    ));
}

/// A worker SIGKILLed mid-crawl leaves its run `running`; restarted on the same round (the
/// scheduler's retry), the new worker waits out the lease, marks the run abandoned and audits
/// the site again as attempt 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_restarted_on_its_round_takes_its_site_over_once_the_lease_runs_out() {
    let server = sites::slow().await;
    let ws = Workspace::new();
    slow_config(&ws, &server);
    let db = path_arg(&ws.db());
    let round = ["--round", "r-kill", "--lease", "2"];
    let mut child = worker_in_the_middle_of_a_crawl(&ws, &server, &db, &round).await;
    child.start_kill().expect("SIGKILL");
    child.wait().await.unwrap();

    let started = Instant::now();
    let retry = audit(
        &ws,
        &db,
        "reports",
        &[&round[..], &["--max-pages", "2"][..]].concat(),
    )
    .await;
    assert_eq!(retry.code, 0, "{retry:?}");
    let entry = &retry.json()["sites"][0];
    assert_eq!(entry["status"], "complete", "{entry:#}");
    assert_eq!(entry["attempt"], 2, "{entry:#}");
    // It waited for the lease rather than taking a site another worker might still hold.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    let history = ws.history("slowshire.gov.uk", "json").await.json();
    let runs = history["runs"].as_array().unwrap();
    let seen: Vec<(&str, Option<&str>)> = runs
        .iter()
        .map(|r| (r["status"].as_str().unwrap(), r["error"].as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("failed", Some("abandoned: the worker stopped")),
            ("complete", None)
        ]
    );
    assert!(runs.iter().all(|r| r["round"] == "r-kill"));
}

/// PostgreSQL stopped in the middle of a round: the site in progress fails with the error, the
/// worker stops and exits 2 (so its scheduler retries it); once the server is back, the retry on
/// the same round takes the site over and completes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_going_away_mid_round_fails_the_site_and_the_retry_finishes_it() {
    let postgres = tokio::task::spawn_blocking(TestPostgres::start)
        .await
        .unwrap()
        .expect("a PostgreSQL server of its own");
    let db = postgres.url(cookie_audit_fixtures::postgres::SUPERUSER);
    let server = sites::slow().await;
    let ws = Workspace::new();
    slow_config(&ws, &server);
    let round = ["--round", "r-outage", "--lease", "3"];
    let child = worker_in_the_middle_of_a_crawl(&ws, &server, &db, &round).await;
    postgres.stop().expect("stop PostgreSQL");
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the worker stops on its own")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let summary: Value = serde_json::from_slice(&output.stdout).expect("the summary, as JSON");
    assert!(summary["stopped"].is_string(), "{summary:#}");
    let entry = &summary["sites"][0];
    assert_eq!(entry["status"], "failed", "{entry:#}");
    assert!(
        entry["error"]
            .as_str()
            .unwrap()
            .contains("history database"),
        "{entry:#}"
    );
    assert!(stderr.contains("--round r-outage"), "{stderr}");

    postgres.restart().expect("restart PostgreSQL");
    let retry = audit(
        &ws,
        &db,
        "reports",
        &[&round[..], &["--max-pages", "2"][..]].concat(),
    )
    .await;
    assert_eq!(retry.code, 0, "{retry:?}");
    let entry = &retry.json()["sites"][0];
    assert_eq!(
        (entry["status"].as_str(), entry["attempt"].as_u64()),
        (Some("complete"), Some(2))
    );
    let progress = rounds(&ws, &["r-outage", "--db", &db]).await;
    assert_eq!(progress["complete"], 1, "{progress:#}");
    assert_eq!(progress["sites"][0]["attempts"], 2, "{progress:#}");
}
