//! The settle rule against a real Chromium, with the defaults: no late cookie lost, no wait for
//! nothing.

use cookie_audit_crawl::Engine;
use cookie_audit_fixtures::latchford;
use cookie_audit_model::{CookieSource, EngineChoice};
use url::Url;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latchford_scan_with_the_defaults_misses_no_late_cookie() {
    let server = latchford::start().await.unwrap();
    let config = cookie_audit_model::ScanConfig {
        // The defaults: the quiet window and the tabs are the engine's own.
        settle_ms: None,
        tabs: None,
        ..config(&server, EngineChoice::Browser, 0)
    };
    let engine = launch(&config).await;
    let outcome = crawl_with(
        engine.clone(),
        &server.http_url(latchford::LATCHFORD, "/"),
        config,
    )
    .await;
    let stats = engine.visit_stats();
    engine.shutdown().await;
    assert!(
        outcome.stats.errors.is_empty(),
        "{:#?}",
        outcome.stats.errors
    );
    for (name, page) in latchford::late_cookies() {
        let cookie = find(&outcome.observed, &name);
        assert_eq!(cookie.source, CookieSource::Script, "{name}");
        // Tabs go straight from one page to the next: each cookie is still its own page's.
        assert_eq!(
            Url::parse(&cookie.first_seen_page).unwrap().path(),
            page,
            "{name}"
        );
    }
    // A timer a minute away is not waited for: its page settled quietly without it.
    assert!(
        !outcome.observed.iter().any(|c| c.name == "far_timer"),
        "a visit waited a minute"
    );
    // Only the page that never stops writing was read at the cap.
    assert_eq!(stats.capped, 1, "{stats:?}");
    assert_eq!(stats.load_timed_out, 0, "{stats:?}");
    // Every page was visited (the cookie pages discovery tried too): all but one quietly.
    assert!(stats.quiet >= outcome.stats.pages_visited - 1, "{stats:?}");
    assert!(stats.straight_on > 0, "no tab went straight on: {stats:?}");
}
