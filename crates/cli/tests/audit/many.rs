//! Fifty virtual sites (host names on 127.0.0.1) audited in one run.

use std::collections::HashMap;
use std::time::Duration;

use cookie_audit_fixtures::multisite;

use super::{Workspace, defaults, site};

const SITES: usize = 50;
const PAGES: u32 = 4;
const RATE: f64 = 10.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_sites_in_one_run_each_within_its_rate_limit() {
    let server = multisite::start(SITES, PAGES).await.unwrap();
    let ws = Workspace::new();
    let mut config = defaults(&server.resolve_args(), &format!("rate = {RATE}"));
    for host in multisite::hosts(SITES) {
        config.push_str(&site(&server.http_url(&host, "/"), ""));
    }
    ws.write_config(&config);

    let run = ws.audit(&["--sites-concurrency", "25"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let summary = run.json();
    assert_eq!(summary["complete"], SITES);
    for n in 1..=SITES {
        let id = format!("site{n:02}.gov.uk");
        let report = ws.report(&format!("{id}/latest.json"));
        assert_eq!(report["registrable_domain"], id.as_str());
        assert_eq!(report["crawl"]["pages_visited"], PAGES, "{id}");
        assert!(ws.out().join(&id).join("latest.html").is_file());
    }

    // Every request to a host counts (robots.txt, sitemap, pages), and they are spaced by the
    // rate even with 25 sites crawling at once.
    let mut by_host: HashMap<String, Vec<std::time::Instant>> = HashMap::new();
    for served in server.log.all() {
        by_host.entry(served.host).or_default().push(served.at);
    }
    assert_eq!(by_host.len(), SITES);
    let spacing = Duration::from_secs_f64(1.0 / RATE);
    for (host, mut times) in by_host {
        assert_eq!(
            times.len() as u32,
            multisite::requests_per_site(PAGES),
            "{host}"
        );
        times.sort();
        // When a request is logged differs from when it was sent by up to one interval of
        // jitter (25 sites share two cores here), so: never more than k + 1 requests in any
        // k intervals.
        for i in 0..times.len() {
            for j in i + 1..times.len() {
                let floor = spacing.mul_f64((j - i - 1) as f64);
                assert!(
                    times[j] - times[i] >= floor,
                    "{host}: requests {i} and {j} only {:?} apart",
                    times[j] - times[i]
                );
            }
        }
    }
}
