//! The settle rule against a real Chromium, with the defaults: no late cookie lost, no wait for
//! nothing; and the browser presents itself as a visitor's Chrome.

use cookie_audit_browser::BrowserSettings;
use cookie_audit_crawl::{CrawlOutcome, Engine};
use cookie_audit_fixtures::latchford;
use cookie_audit_model::CookieSource;
use url::Url;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latchford_scan_with_the_defaults_misses_no_late_cookie() {
    let server = latchford::start().await.unwrap();
    let config = TestScan {
        // The defaults: the quiet window and the tabs are the engine's own.
        browser: BrowserSettings::default(),
        ..config(&server, 0)
    };
    let engine = launch(&config).await;
    let outcome = crawl_with(
        engine.clone(),
        &server.http_url(latchford::LATCHFORD, "/"),
        config.crawl,
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
    // Only the page that never stops writing was read at the cap (not the PDF, whose viewer
    // streams for ever).
    assert_eq!(stats.capped, 1, "{stats:?}");
    assert_eq!(stats.load_timed_out, 0, "{stats:?}");
    // Every page was visited (the cookie pages discovery tried too): all but one quietly.
    assert!(stats.quiet >= outcome.stats.pages_visited - 1, "{stats:?}");
    assert!(stats.straight_on > 0, "no tab went straight on: {stats:?}");
    the_browser_presents_itself_as_a_visitors_chrome(&server, &outcome);
}

/// `/whoami` sent back what it saw in a beacon: no trace of automation or of headless Chromium,
/// client hints present, and the user agent the report records.
fn the_browser_presents_itself_as_a_visitors_chrome(
    server: &cookie_audit_fixtures::FixtureServer,
    outcome: &CrawlOutcome,
) {
    let beacon = server
        .log
        .all()
        .into_iter()
        .find(|s| s.path_and_query.starts_with("/beacon?"))
        .expect("/whoami sent its beacon");
    let query = Url::parse(&format!("https://x{}", beacon.path_and_query)).unwrap();
    let seen = |key: &str| -> String {
        query
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("{key} missing from {}", beacon.path_and_query))
    };
    assert_eq!(seen("webdriver"), "false");
    let recorded = &outcome.browser.as_ref().expect("browser info").user_agent;
    assert!(
        recorded.starts_with("Mozilla/5.0") && recorded.contains(" Chrome/"),
        "{recorded}"
    );
    assert_eq!(&seen("user_agent"), recorded);
    assert_eq!(&seen("server_user_agent"), recorded);
    for key in ["user_agent", "server_sec_ch_ua", "brands"] {
        assert!(!seen(key).contains("Headless"), "{key}: {}", seen(key));
    }
    assert!(
        seen("server_sec_ch_ua").contains("Chromium"),
        "client hints sent: {}",
        seen("server_sec_ch_ua")
    );
    assert!(seen("brands").contains("Chromium"), "{}", seen("brands"));
}
