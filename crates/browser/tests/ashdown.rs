//! The Ashdown fixture scanned once by the browser: every case the HTTP engine cannot see, in
//! one crawl so the suite starts one Chromium for all of them.

use cookie_audit_crawl::CrawlOutcome;
use cookie_audit_fixtures::ashdown;
use cookie_audit_model::{CookieSource, EvidenceKind, Party, RejectReason};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ashdown_scan_sees_what_a_visitor_stores() {
    let server = ashdown::start().await.unwrap();
    // 800 ms of quiet: the page that writes a cookie 500 ms after load must be caught.
    let config = config(&server, 800);
    let outcome = crawl_with_browser(&server.http_url(ashdown::ASHDOWN, "/"), config).await;
    first_party_cookie_set_by_a_script_from_another_host(&outcome);
    cookie_written_after_set_timeout_500(&outcome);
    third_party_iframe_cookies_over_https(&outcome);
    tracking_pixel_cookie(&outcome);
    set_cookie_on_a_redirect_hop(&outcome);
    cookie_chromium_blocks_with_its_reason(&outcome);
    every_set_cookie_of_a_page_arrives(&outcome);
    declaration_table_rendered_by_javascript_is_read(&outcome);
    assert!(
        outcome.stats.errors.is_empty(),
        "{:#?}",
        outcome.stats.errors
    );
    let browser = outcome
        .browser
        .as_ref()
        .expect("browser info in the report");
    assert!(
        browser.version.starts_with("Chromium/"),
        "{}",
        browser.version
    );
    assert!(
        browser
            .cookie_policy
            .contains("third-party cookies allowed")
    );
}

fn first_party_cookie_set_by_a_script_from_another_host(outcome: &CrawlOutcome) {
    let nmstat = find(&outcome.observed, "nmstat");
    assert_eq!(nmstat.source, CookieSource::Script);
    assert_eq!(nmstat.party, Party::First);
    assert_eq!(nmstat.domain, ashdown::ASHDOWN);
    assert!(
        nmstat.set_by_url.contains("siteimproveanalytics.io:")
            && nmstat.set_by_url.ends_with("/js/siteanalyze_66356571.js"),
        "{}",
        nmstat.set_by_url
    );
    assert!(
        nmstat
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::Script
                && e.url.ends_with("/js/siteanalyze_66356571.js"))
    );
    assert!(nmstat.first_seen_page.ends_with("/analytics"));
    assert_eq!(nmstat.lifetime.seconds, Some(86_400_000));
}

fn cookie_written_after_set_timeout_500(outcome: &CrawlOutcome) {
    let late = find(&outcome.observed, "late_cookie");
    assert_eq!(late.source, CookieSource::Script);
    assert!(late.first_seen_page.ends_with("/later"));
    // Inline code: the page itself is the setter.
    assert!(late.set_by_url.ends_with("/later"), "{}", late.set_by_url);
}

fn third_party_iframe_cookies_over_https(outcome: &CrawlOutcome) {
    let visitor = find(&outcome.observed, "vh_visitor");
    assert_eq!(visitor.source, CookieSource::Http);
    assert_eq!(visitor.party, Party::Third);
    assert_eq!(visitor.domain, "videohost.com");
    assert!(visitor.secure && visitor.rejected.is_none(), "{visitor:#?}");
    assert!(visitor.set_by_url.starts_with("https://www.videohost.com:"));
    // Written by the iframe's own inline script: third party, set by the iframe's document.
    let js = find(&outcome.observed, "vh_js");
    assert_eq!(js.source, CookieSource::Script);
    assert_eq!(js.party, Party::Third);
    assert!(js.rejected.is_none());
    assert!(js.set_by_url.contains("www.videohost.com") && js.set_by_url.ends_with("/embed/42"));
}

fn tracking_pixel_cookie(outcome: &CrawlOutcome) {
    let px = find(&outcome.observed, "px_uid");
    assert_eq!((px.party, px.source), (Party::Third, CookieSource::Http));
    assert!(px.set_by_url.contains("/px.gif"));
    assert!(px.first_seen_page.ends_with("/pixel"));
}

fn set_cookie_on_a_redirect_hop(outcome: &CrawlOutcome) {
    let hop = find(&outcome.observed, "went_via");
    assert!(hop.set_by_url.ends_with("/go"), "{}", hop.set_by_url);
    let response = hop
        .evidence
        .iter()
        .find(|e| e.kind == EvidenceKind::Response)
        .unwrap();
    assert_eq!(response.status, Some(302));
    assert_eq!(response.note.as_deref(), Some("redirect hop 1"));
}

fn cookie_chromium_blocks_with_its_reason(outcome: &CrawlOutcome) {
    let lax = find(&outcome.observed, "px_lax");
    let rejected = lax
        .rejected
        .as_ref()
        .expect("Chromium refuses a cross-site Lax cookie");
    assert_eq!(rejected.reason, RejectReason::BlockedByBrowser);
    assert!(
        rejected.message.contains("SameSiteLax"),
        "{}",
        rejected.message
    );
}

/// No silent loss: every Set-Cookie of `/many` (its own and its ten images') is recorded.
fn every_set_cookie_of_a_page_arrives(outcome: &CrawlOutcome) {
    for name in ashdown::many_cookie_names() {
        let cookie = find(&outcome.observed, &name);
        assert_eq!(cookie.source, CookieSource::Http);
        assert!(cookie.rejected.is_none());
    }
}

fn declaration_table_rendered_by_javascript_is_read(outcome: &CrawlOutcome) {
    let cookies_page = outcome
        .declaration_sources
        .iter()
        .find(|s| s.url.path() == "/cookies")
        .expect("the cookie page was read");
    let html = cookies_page.html.as_deref().unwrap();
    let url = cookies_page.url.clone();
    let extraction = cookie_audit_declared::extract_declarations(html, &url);
    let names: Vec<&str> = extraction.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["ashdown_session", "nmstat", "late_cookie", "_ga"],
        "{html}"
    );
}
