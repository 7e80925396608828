//! Rounds shared by workers: claims, retries, leases, abandonment and progress — on both
//! backends, with workers that really race (several stores, each with its own connections).

use std::collections::BTreeMap;
use std::time::Duration;

use cookie_audit_store::{
    ABANDONED, Claim, ClaimRequest, Lease, LeaseLost, RoundId, RunStatus, SiteState, Store,
    StoreError,
};

use crate::backends::TestDb;
use crate::support::{self, day};

on_both_backends!(
    a_site_complete_in_a_round_is_skipped_on_retry,
    a_failed_site_is_claimed_again_up_to_the_attempts_allowed,
    a_fresh_lease_is_respected_and_an_expired_one_taken_over,
    workers_given_the_same_shard_audit_each_site_once,
    workers_racing_for_abandoned_runs_take_each_over_once,
    progress_shows_every_state_across_workers,
    the_heartbeat_keeps_a_lease_and_says_when_it_is_lost,
    failing_the_abandoned_runs_of_a_round_at_once,
);

const LEASE: Lease = Lease::DEFAULT;

fn round(id: &str) -> RoundId {
    RoundId::parse(id).unwrap()
}

fn request(round_id: &str, site: &str, worker: &str, lease: Lease) -> ClaimRequest {
    ClaimRequest {
        round: round(round_id),
        site_id: site.into(),
        site_url: format!("https://www.{site}/"),
        worker: worker.into(),
        started_at: day(0),
        lease,
        max_attempts: 3,
    }
}

async fn won(store: &Store, request: &ClaimRequest) -> cookie_audit_store::RunId {
    match store.claim(request).await.unwrap() {
        Claim::Won { run, .. } => run,
        other => panic!("{} was not won: {other:?}", request.site_id),
    }
}

async fn a_site_complete_in_a_round_is_skipped_on_retry(db: TestDb) {
    let store = db.open().await;
    let first = request("r1", "a.test", "w1", LEASE);
    let Claim::Won {
        run,
        attempt: 1,
        abandoned: None,
    } = store.claim(&first).await.unwrap()
    else {
        panic!("the first claim of a site is won");
    };
    assert_eq!(store.status(run).await.unwrap(), Some(RunStatus::Running));
    store
        .complete_run(run, &support::clean_report(day(0)))
        .await
        .unwrap();

    // The scheduler's retry of the same worker, and another worker: both skip it.
    for worker in ["w1", "w2"] {
        assert_eq!(
            store
                .claim(&request("r1", "a.test", worker, LEASE))
                .await
                .unwrap(),
            Claim::AlreadyComplete { run }
        );
    }
    // A new round audits it again, and compares with the last round's run.
    let next = won(&store, &request("r2", "a.test", "w1", LEASE)).await;
    assert_eq!(
        store
            .previous_complete("a.test", next)
            .await
            .unwrap()
            .unwrap()
            .id,
        run
    );
    let history = store.history("a.test").await.unwrap();
    assert_eq!(history[0].round, Some(round("r1")));
    assert_eq!(history[0].worker.as_deref(), Some("w1"));
    assert_eq!(history[1].round, Some(round("r2")));
}

async fn a_failed_site_is_claimed_again_up_to_the_attempts_allowed(db: TestDb) {
    let store = db.open().await;
    let ask = request("r1", "flaky.test", "w1", LEASE);
    for attempt in 1..=3 {
        let claim = store.claim(&ask).await.unwrap();
        let Claim::Won {
            run, attempt: a, ..
        } = claim
        else {
            panic!("attempt {attempt}: {claim:?}");
        };
        assert_eq!(a, attempt);
        store
            .fail_run(run, &format!("start URL unreachable ({attempt})"))
            .await
            .unwrap();
    }
    assert_eq!(
        store.claim(&ask).await.unwrap(),
        Claim::GaveUp {
            attempts: 3,
            last_error: Some("start URL unreachable (3)".into()),
            abandoned: None,
        }
    );
    // Allowing more tries again.
    let more = ClaimRequest {
        max_attempts: 4,
        ..ask.clone()
    };
    assert!(matches!(
        store.claim(&more).await.unwrap(),
        Claim::Won { attempt: 4, .. }
    ));
}

async fn a_fresh_lease_is_respected_and_an_expired_one_taken_over(db: TestDb) {
    let w1 = db.open().await;
    let w2 = db.open().await;
    let short = Lease::new(Duration::from_millis(1_500));
    let run = won(&w1, &request("r1", "a.test", "w1", short)).await;

    let held = w2
        .claim(&request("r1", "a.test", "w2", short))
        .await
        .unwrap();
    let Claim::HeldElsewhere {
        run: held_run,
        worker,
        heartbeat_at: Some(_),
    } = held
    else {
        panic!("{held:?}");
    };
    assert_eq!((held_run, worker.as_deref()), (run, Some("w1")));

    // Heartbeats keep it w1's past the lease...
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        w1.heartbeat(run).await.unwrap();
    }
    assert!(matches!(
        w2.claim(&request("r1", "a.test", "w2", short))
            .await
            .unwrap(),
        Claim::HeldElsewhere { .. }
    ));
    // ...and silence longer than the lease loses it.
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    let claim = w2
        .claim(&request("r1", "a.test", "w2", short))
        .await
        .unwrap();
    let Claim::Won {
        run: taken,
        attempt: 2,
        abandoned: Some(abandoned),
    } = claim
    else {
        panic!("{claim:?}");
    };
    assert_eq!(abandoned, run);
    assert_ne!(taken, run);

    // w1 learns it at its next heartbeat, and cannot complete what it no longer holds.
    let lost = w1.heartbeat(run).await.unwrap_err();
    assert!(lost.is_lease_lost(), "{lost}");
    assert!(matches!(
        lost,
        StoreError::RunNotRunning {
            status: RunStatus::Failed,
            ..
        }
    ));
    let late = w1
        .complete_run(run, &support::clean_report(day(0)))
        .await
        .unwrap_err();
    assert!(late.is_lease_lost(), "{late}");
    let history = w2.history("a.test").await.unwrap();
    assert_eq!(history[0].status, RunStatus::Failed);
    assert_eq!(history[0].error.as_deref(), Some(ABANDONED));
    assert_eq!(history[1].worker.as_deref(), Some("w2"));
}

/// Claims every site as a worker given `sites` would, and returns the runs it won by site.
async fn work_through(
    store: Store,
    worker: String,
    sites: Vec<String>,
    lease: Lease,
) -> Vec<(String, cookie_audit_store::RunId)> {
    let mut won = Vec::new();
    for site in sites {
        let ask = request("shard-0", &site, &worker, lease);
        if let Claim::Won { run, .. } = store.claim(&ask).await.unwrap() {
            won.push((site, run));
        }
    }
    won
}

/// Four workers, each with its own store, claiming the same 30 sites at the same time.
async fn race(db: &TestDb, sites: &[String], lease: Lease) -> BTreeMap<String, Vec<String>> {
    let mut workers = Vec::new();
    for n in 0..4 {
        let store = db.open().await;
        // Each starts at a different site, so they meet head-on as well as side by side.
        let mut order = sites.to_vec();
        order.rotate_left(n * 7);
        workers.push(tokio::spawn(work_through(
            store,
            format!("w{n}"),
            order,
            lease,
        )));
    }
    let mut by_site: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (n, worker) in workers.into_iter().enumerate() {
        for (site, _run) in worker.await.unwrap() {
            by_site.entry(site).or_default().push(format!("w{n}"));
        }
    }
    by_site
}

fn sites(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("site-{i:02}.test")).collect()
}

async fn workers_given_the_same_shard_audit_each_site_once(db: TestDb) {
    let sites = sites(30);
    let by_site = race(&db, &sites, LEASE).await;
    let twice: Vec<_> = by_site.iter().filter(|(_, w)| w.len() != 1).collect();
    assert!(twice.is_empty(), "claimed more than once: {twice:?}");
    assert_eq!(by_site.len(), sites.len(), "every site claimed");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM runs WHERE round_id = 'shard-0'")
            .await,
        30,
        "one run per site, no more"
    );
}

async fn workers_racing_for_abandoned_runs_take_each_over_once(db: TestDb) {
    let sites = sites(30);
    let store = db.open().await;
    let lease = Lease::new(Duration::from_millis(500));
    for site in &sites {
        won(&store, &request("shard-0", site, "dead", lease)).await;
    }
    // The first worker dies without a word; its leases run out.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let by_site = race(&db, &sites, lease).await;
    let twice: Vec<_> = by_site.iter().filter(|(_, w)| w.len() != 1).collect();
    assert!(twice.is_empty(), "taken over more than once: {twice:?}");
    assert_eq!(by_site.len(), sites.len());
    assert_eq!(
        db.count(&format!(
            "SELECT COUNT(*) FROM runs WHERE status = 'failed' AND error = '{ABANDONED}'"
        ))
        .await,
        30
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM runs WHERE status = 'running'")
            .await,
        30
    );
}

async fn progress_shows_every_state_across_workers(db: TestDb) {
    let w1 = db.open().await;
    let w2 = db.open().await;
    let short = Lease::new(Duration::from_millis(1_000));
    let r = "nightly";
    let complete = won(&w1, &request(r, "complete.test", "w1", LEASE)).await;
    w1.complete_run(complete, &support::clean_report(day(0)))
        .await
        .unwrap();
    let failed = won(&w2, &request(r, "failed.test", "w2", LEASE)).await;
    w2.fail_run(failed, "browser failed to start")
        .await
        .unwrap();
    let stalled = won(&w2, &request(r, "stalled.test", "w2", LEASE)).await;
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let live = won(&w1, &request(r, "live.test", "w1", LEASE)).await;
    // A site of another round, and one this list does not name.
    won(&w1, &request("other", "left.test", "w1", LEASE)).await;
    won(&w1, &request(r, "renamed.test", "w1", LEASE)).await;

    let listed: Vec<String> = [
        "complete.test",
        "failed.test",
        "stalled.test",
        "live.test",
        "left.test",
    ]
    .map(String::from)
    .into();
    let progress = w2.round_progress(&round(r), &listed, short).await.unwrap();
    assert_eq!(
        (
            progress.complete,
            progress.failed,
            progress.in_progress,
            progress.stalled,
            progress.left
        ),
        (1, 1, 1, 1, 1),
        "{progress:#?}"
    );
    let state = |site: &str| {
        progress
            .sites
            .iter()
            .find(|s| s.site_id == site)
            .unwrap()
            .clone()
    };
    assert_eq!(state("stalled.test").state, SiteState::Stalled);
    assert_eq!(state("stalled.test").run, Some(stalled));
    assert_eq!(state("live.test").run, Some(live));
    assert_eq!(state("live.test").worker.as_deref(), Some("w1"));
    assert_eq!(
        state("failed.test").error.as_deref(),
        Some("browser failed to start")
    );
    assert_eq!(state("left.test").state, SiteState::Left);
    assert_eq!(progress.unlisted, ["renamed.test"]);

    let rounds = w1.rounds().await.unwrap();
    let nightly = rounds.iter().find(|s| s.round == round(r)).unwrap();
    assert_eq!(
        (
            nightly.sites,
            nightly.complete,
            nightly.running,
            nightly.failed
        ),
        (5, 1, 3, 1)
    );
    assert!(nightly.last_activity_at >= nightly.started_at);
    assert_eq!(rounds.len(), 2);
}

async fn the_heartbeat_keeps_a_lease_and_says_when_it_is_lost(db: TestDb) {
    let w1 = db.open().await;
    let w2 = db.open().await;
    let lease = Lease::new(Duration::from_millis(1_600));
    let run = won(&w1, &request("r1", "a.test", "w1", lease)).await;
    let mut heartbeat = w1.keep_alive(run, lease);

    // Two leases long, nobody can take it.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(matches!(
            w2.claim(&request("r1", "a.test", "w2", lease))
                .await
                .unwrap(),
            Claim::HeldElsewhere { .. }
        ));
    }
    assert!(heartbeat.lost().is_none());

    // The run is taken away (as by a worker that judged it abandoned): the keeper says so.
    w2.fail_run(run, ABANDONED).await.unwrap();
    let lost = tokio::time::timeout(Duration::from_secs(5), heartbeat.until_lost())
        .await
        .expect("the loss is noticed within a few renewals");
    assert!(
        matches!(
            lost,
            LeaseLost::Taken {
                status: Some(RunStatus::Failed),
                ..
            }
        ),
        "{lost}"
    );
    assert!(heartbeat.lost().is_some());
    assert!(
        lost.to_string().contains(&format!("run {}", run.0)),
        "{lost}"
    );
}

async fn failing_the_abandoned_runs_of_a_round_at_once(db: TestDb) {
    let store = db.open().await;
    let lease = Lease::new(Duration::from_millis(300));
    let old_a = won(&store, &request("r1", "a.test", "w1", lease)).await;
    let old_b = won(&store, &request("r1", "b.test", "w1", lease)).await;
    let elsewhere = won(&store, &request("r2", "c.test", "w1", lease)).await;
    // Outside any round: no lease applies to it.
    let unleased = store
        .begin_run("d.test", "https://d.test/", day(0))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fresh = won(&store, &request("r1", "e.test", "w1", lease)).await;

    let mut failed = store.fail_abandoned(&round("r1"), lease).await.unwrap();
    failed.sort();
    assert_eq!(failed, [old_a, old_b]);
    for (run, status) in [
        (old_a, RunStatus::Failed),
        (fresh, RunStatus::Running),
        (elsewhere, RunStatus::Running),
        (unleased, RunStatus::Running),
    ] {
        assert_eq!(store.status(run).await.unwrap(), Some(status), "{run}");
    }
    assert!(
        store
            .fail_abandoned(&round("r1"), lease)
            .await
            .unwrap()
            .is_empty()
    );
}
