//! The browser's life: restarted after a crash with the page retried, killed with its whole
//! process group when the engine is dropped without a shutdown (a panic unwinding).

use std::time::{Duration, Instant};

use cookie_audit_browser::procs::group_members;
use cookie_audit_crawl::Engine;
use cookie_audit_fixtures::ashdown;

use crate::support::*;

fn wait_gone(pgid: u32) {
    let start = Instant::now();
    while !group_members(pgid).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "Chromium's processes are still alive: {:?}",
            group_members(pgid)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_browser_is_restarted_and_the_page_retried() {
    let server = ashdown::start().await.unwrap();
    let mut config = config(&server, 300);
    config.crawl.max_pages = 2;
    let engine = launch(&config).await;
    let pid = engine.browser_pid().await.unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let outcome = crawl_with(
        engine.clone(),
        &server.http_url(ashdown::ASHDOWN, "/"),
        config.crawl,
    )
    .await;
    assert_eq!(engine.restarts(), 1);
    assert!(
        outcome.stats.errors.is_empty(),
        "{:#?}",
        outcome.stats.errors
    );
    find(&outcome.observed, "ashdown_session");
    assert!(
        outcome
            .limitations
            .iter()
            .any(|l| l.contains("restarted 1 time"))
    );
    let new_pid = engine.browser_pid().await.unwrap();
    assert_ne!(new_pid, pid);
    wait_gone(pid);
    engine.shutdown().await;
    wait_gone(new_pid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_engine_kills_the_browser() {
    let server = ashdown::start().await.unwrap();
    let config = config(&server, 300);
    let engine = launch(&config).await;
    let pid = engine.browser_pid().await.unwrap();
    assert!(
        group_members(pid).len() > 1,
        "Chromium runs helpers in its group"
    );
    // What a panic unwinding through the pipeline does: no shutdown, just a drop.
    drop(engine);
    wait_gone(pid);
}
