//! The hostile site, crawled in-process with the HTTP engine: every trap bounded and listed, and
//! nothing sent to an address the user did not allow.

use std::time::{Duration, Instant};

use cookie_audit_crawl::CrawlOptions;
use cookie_audit_crawl::CrawlOutcome;
use cookie_audit_fixtures::hostile::{
    ARCHIVE, HOSTILE, HostileSite, MANY_COOKIES, SECRET_VALUE, UNMAPPED,
};
use cookie_audit_model::RejectReason;

use crate::support::{config, cookie, run};

/// Small waits: every slow trap costs one timeout, and CI has two cores.
fn hostile_config(site: &HostileSite) -> CrawlOptions {
    let mut config = config(&site.server);
    config.timeout = Duration::from_secs(2);
    config.max_pages = 60;
    config.max_body_bytes = 1024 * 1024;
    config
}

fn errors_for<'a>(outcome: &'a CrawlOutcome, needle: &str) -> Vec<&'a str> {
    outcome
        .stats
        .errors
        .iter()
        .filter(|e| e.url.contains(needle))
        .map(|e| e.error.as_str())
        .collect()
}

fn has_error(outcome: &CrawlOutcome, url_part: &str, message_part: &str) -> bool {
    errors_for(outcome, url_part)
        .iter()
        .any(|e| e.contains(message_part))
}

fn has_limit(outcome: &CrawlOutcome, limit: &str, url_part: &str) -> bool {
    outcome
        .stats
        .limits_hit
        .iter()
        .any(|l| l.limit.as_str() == limit && l.url.as_deref().unwrap_or("").contains(url_part))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_trap_is_bounded_listed_and_nothing_reaches_the_metadata_service() {
    let site = HostileSite::start().await.unwrap();
    let started = Instant::now();
    let outcome = run(&site.url("/"), hostile_config(&site)).await;
    let took = started.elapsed();
    let listing = format!(
        "{:#?}\n{:#?}",
        outcome.stats.errors, outcome.stats.limits_hit
    );

    // No hang: the slow traps cost a 2 s timeout each, in parallel.
    assert!(took < Duration::from_secs(90), "took {took:?}");
    assert_eq!(outcome.start_error, None);

    // The SSRF guard: plain, numeric, IPv4-mapped and IPv6 forms, links, images, an iframe and a
    // redirect hop — all refused and listed, and the traps saw no connection at all.
    assert_eq!(site.trap_connections(), vec![], "{listing}");
    let trap = format!("127.0.0.2:{}", site.trap_port());
    for path in ["/pixel.gif", "/pixel-short-form.gif", "/frame"] {
        assert!(
            has_error(
                &outcome,
                &format!("{trap}{path}"),
                "refused to connect to 127.0.0.2"
            ),
            "{path}: {listing}"
        );
    }
    assert!(
        has_error(
            &outcome,
            &format!("{trap}/latest/meta-data/"),
            "not followed"
        ),
        "{listing}"
    );
    assert!(
        has_error(&outcome, "/go/metadata", "refused to connect to 127.0.0.2"),
        "{listing}"
    );
    assert!(
        has_error(&outcome, "[::ffff:7f00:2]", "refused to connect"),
        "{listing}"
    );
    assert!(
        outcome
            .stats
            .errors
            .iter()
            .any(|e| e.url.starts_with("http://[::1]:")
                && e.url.ends_with("/pixel.gif")
                && e.error.contains("refused to connect to ::1")),
        "{listing}"
    );
    assert!(
        has_error(&outcome, "http://[::1]:", "refused to connect to ::1"),
        "{listing}"
    );
    assert!(
        has_error(&outcome, "file:///etc/passwd", "never fetched"),
        "{listing}"
    );
    assert!(
        has_error(&outcome, UNMAPPED, "has no --resolve mapping"),
        "{listing}"
    );
    assert!(
        has_error(
            &outcome,
            &format!("{UNMAPPED}:{}/tracker.js", site.server.http.port()),
            "offline"
        ),
        "{listing}"
    );

    // Slow and silent servers: each bounded by the timeout and listed.
    let silent = format!("{HOSTILE}:{}/", site.silent.port());
    assert!(has_error(&outcome, &silent, "timed out"), "{listing}");
    assert!(
        has_error(&outcome, "/drip-headers", "timed out"),
        "{listing}"
    );
    assert!(has_error(&outcome, "/drip", "timed out"), "{listing}");

    // Redirects.
    assert!(has_error(&outcome, "/loop/a", "redirect loop"), "{listing}");
    assert!(
        has_error(&outcome, "/chain/0", "more than 10 redirects"),
        "{listing}"
    );
    assert!(
        has_limit(&outcome, "max_redirects", "/chain/0"),
        "{listing}"
    );

    // Big bodies are cut at the cap, not read in full.
    for path in ["/huge", "/bomb", "/link-farm", "/sitemaps/big.xml"] {
        assert!(
            has_limit(&outcome, "max_body_bytes", path),
            "{path}: {listing}"
        );
    }
    let huge_requests = site.server.log.count(HOSTILE, "/huge");
    assert_eq!(huge_requests, 1, "read once, and cut");

    // Markup traps.
    assert!(
        has_limit(&outcome, "html_attributes", "/attributes"),
        "{listing}"
    );
    assert!(
        has_limit(&outcome, "links_per_page", "/link-farm"),
        "{listing}"
    );
    assert!(
        outcome
            .stats
            .limits_hit
            .iter()
            .any(|l| l.limit.as_str() == "frontier_urls"),
        "{listing}"
    );
    assert!(
        site.server.log.count(HOSTILE, "/farm/") <= 60,
        "farm pages are only what the page budget allows"
    );

    // robots.txt: the 1 MB one is read to its cap (its first rule holds, the last is never read),
    // the malformed one is listed.
    assert!(
        has_limit(&outcome, "robots_txt_size", "/robots.txt"),
        "{listing}"
    );
    assert_eq!(site.server.log.count(HOSTILE, "/robots-blocked"), 0);
    assert!(
        site.server.log.count(HOSTILE, "/robots-allowed") >= 1,
        "the rule past 500 KiB was not read"
    );
    assert!(
        has_error(&outcome, "shop.hostile.gov.uk", "lines that are not rules"),
        "{listing}"
    );

    // Sitemaps: nesting and size capped.
    assert!(
        has_limit(&outcome, "sitemap_depth", "/sitemaps/nest/3.xml"),
        "{listing}"
    );
    assert!(
        has_limit(&outcome, "sitemap_urls", "/sitemaps/big.xml"),
        "{listing}"
    );
    assert_eq!(site.server.log.count(HOSTILE, "/sitemaps/nest/4.xml"), 0);
    assert!(site.server.log.count(ARCHIVE, "/page/") > 0);
    assert!(has_limit(&outcome, "max_pages", ""), "{listing}");

    // Cookies: 200 on one response, an 8 KB one, odd lines, control characters.
    for i in 0..MANY_COOKIES {
        cookie(&outcome, &format!("many_{i:03}"));
    }
    let big = cookie(&outcome, "big_cookie");
    let rejection = big
        .rejected
        .as_ref()
        .expect("browsers refuse an 8 KB cookie");
    assert_eq!(rejection.reason, RejectReason::NameValuePairExceedsMaxSize);
    let raw = &big.malformed.as_ref().expect("kept as malformed").raw;
    assert!(raw.len() < 1024 && !raw.contains("bbbbbbbb"), "{raw}");
    assert!(!cookie(&outcome, "garbage_attrs").warnings.is_empty());
    assert!(
        outcome
            .observed
            .iter()
            .any(|c| c.name.is_empty() && c.value.length == "no_equals_sign_at_all".len()),
        "a line without `=` is a nameless cookie"
    );
    assert!(
        outcome.observed.iter().any(|c| c
            .rejected
            .as_ref()
            .is_some_and(|r| r.reason == RejectReason::NoCookieContent)),
        "`=` alone has no cookie content"
    );
    let overflow = cookie(&outcome, "expires_overflow");
    assert_eq!(overflow.lifetime.seconds, Some(i64::MAX));
    cookie(&outcome, "before_ctl");
    cookie(&outcome, "after_ctl");
    assert!(
        has_error(&outcome, "/control-chars", "control character"),
        "{listing}"
    );
    assert!(
        outcome
            .observed
            .iter()
            .all(|c| c.name != "metadata_credentials")
    );
    // Values stay redacted, however odd the page.
    let json = serde_json::to_string(&outcome.observed).unwrap();
    assert!(!json.contains(SECRET_VALUE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_encodings_are_decoded_and_their_links_followed() {
    let site = HostileSite::start().await.unwrap();
    let mut config = hostile_config(&site);
    config.max_pages = 5;
    let outcome = run(&site.url("/windows-1252"), config.clone()).await;
    assert_eq!(outcome.stats.pages_failed, 0, "{:#?}", outcome.stats.errors);
    assert_eq!(
        site.server.log.count(HOSTILE, "/caf%C3%A9-menu"),
        1,
        "a windows-1252 href is decoded before it is resolved"
    );
    let outcome = run(&site.url("/invalid-utf8"), config).await;
    assert_eq!(outcome.stats.pages_failed, 0, "{:#?}", outcome.stats.errors);
    assert_eq!(site.server.log.count(HOSTILE, "/after-invalid"), 1);
}
