//! What the history costs a worker, per site, on each backend: workers (each with its own
//! `Store`) claim every site of one round at once, and for each site they win read the previous
//! run and complete a typical report (30 cookies observed, 30 declared, 20 findings). Then one
//! worker renews a heartbeat 1,000 times.
//!
//! ```sh
//! cargo run --release -p cookie-audit-store --example store_bench -- [SITES] [WORKERS]
//! ```
//!
//! PostgreSQL is a throwaway server from the distribution's binaries (as in the tests: on
//! loopback, `fsync=off`); SQLite is a file in the temp dir (WAL, `synchronous=NORMAL`). Neither
//! flushes to disk at each commit, so the figures are the store's own cost, not the disk's.

#[path = "../tests/support.rs"]
#[allow(dead_code, reason = "the tests' report builders; the bench uses a few")]
mod support;

use std::time::{Duration, Instant};

use cookie_audit_fixtures::postgres::TestPostgres;
use cookie_audit_model::Report;
use cookie_audit_store::{Claim, ClaimRequest, Lease, Location, RoundId, Store};

fn typical_report() -> Report {
    let observed = (0..30)
        .map(|i| support::observed(&format!("cookie_{i:02}"), "council.test", false))
        .collect();
    let declared = (0..30)
        .map(|i| support::declared(&format!("cookie_{i:02}"), "1 year", i))
        .collect();
    let findings = (0..20)
        .map(|i| support::undeclared(&format!("cookie_{i:02}"), "council.test"))
        .collect();
    support::report(support::day(0), declared, observed, findings)
}

/// One worker's pass over the round; returns how many sites it won.
async fn worker(location: Location, name: String, sites: Vec<String>, report: Report) -> usize {
    let store = Store::open(&location).await.expect("open the history");
    let round = RoundId::parse("bench").unwrap();
    let mut won = 0;
    for site in sites {
        let request = ClaimRequest {
            round: round.clone(),
            site_id: site.clone(),
            site_url: format!("https://www.{site}/"),
            worker: name.clone(),
            started_at: support::day(0),
            lease: Lease::DEFAULT,
            max_attempts: 3,
        };
        if let Claim::Won { run, .. } = store.claim(&request).await.expect("claim") {
            store.previous_complete(&site, run).await.expect("previous");
            store.complete_run(run, &report).await.expect("complete");
            won += 1;
        }
    }
    won
}

async fn measure(label: &str, location: Location, sites: usize, workers: usize) {
    drop(Store::open(&location).await.expect("create the history"));
    let names: Vec<String> = (0..sites).map(|i| format!("site-{i:05}.test")).collect();
    let report = typical_report();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..workers {
        let mut order = names.clone();
        order.rotate_left(n * sites / workers);
        tasks.push(tokio::spawn(worker(
            location.clone(),
            format!("w{n}"),
            order,
            report.clone(),
        )));
    }
    let mut won = 0;
    for task in tasks {
        won += task.await.expect("a worker");
    }
    let wall = started.elapsed();
    assert_eq!(won, sites, "every site audited exactly once");

    let store = Store::open(&location).await.expect("open");
    let Claim::Won { run, .. } = store
        .claim(&ClaimRequest {
            round: RoundId::parse("heartbeats").unwrap(),
            site_id: "hb.test".into(),
            site_url: "https://hb.test/".into(),
            worker: "hb".into(),
            started_at: support::day(0),
            lease: Lease::DEFAULT,
            max_attempts: 1,
        })
        .await
        .expect("claim")
    else {
        panic!("a fresh round's claim is won");
    };
    let beats = 1_000;
    let hb_started = Instant::now();
    for _ in 0..beats {
        store.heartbeat(run).await.expect("heartbeat");
    }
    let per_beat = hb_started.elapsed() / beats;

    println!(
        "{label:<10} {sites:>6} sites {workers:>2} workers  {:>7.2} s  {:>8.0} sites/s  \
         {:>6.2} ms per site per worker  heartbeat {:>5.2} ms",
        wall.as_secs_f64(),
        sites as f64 / wall.as_secs_f64(),
        ms(wall * workers as u32 / sites as u32),
        ms(per_beat),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let sites: usize = args.next().map_or(2_000, |a| a.parse().expect("SITES"));
    let workers: usize = args.next().map_or(4, |a| a.parse().expect("WORKERS"));

    let dir = std::env::temp_dir().join(format!("store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let sqlite = Location::Sqlite(dir.join("history.db"));
    measure("sqlite", sqlite, sites, workers).await;
    let _ = std::fs::remove_dir_all(&dir);

    let server = tokio::task::spawn_blocking(TestPostgres::start)
        .await
        .unwrap()
        .expect("a PostgreSQL server");
    let url = tokio::task::spawn_blocking(move || {
        let url = server.fresh_database();
        (server, url)
    })
    .await
    .unwrap();
    let (_server, url) = (url.0, url.1.expect("a database"));
    measure("postgresql", Location::parse(&url), sites, workers).await;
}
