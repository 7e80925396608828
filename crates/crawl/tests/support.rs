//! Runs the crawl against a fixture server, reached by host name through `--resolve`.

use std::sync::Arc;

use cookie_audit_crawl::{CrawlContext, CrawlOutcome, HttpEngine, NoProgress, crawl};
use cookie_audit_fixtures::FixtureServer;
use cookie_audit_model::{EngineChoice, FailOn, ObservedCookie, ResolveRule, ScanConfig, Scope};
use url::Url;

/// A configuration for fixture tests: offline (only mapped names resolve), no rate limit, small
/// timeouts, every fixture host mapped to 127.0.0.1.
pub fn config(server: &FixtureServer) -> ScanConfig {
    ScanConfig {
        engine: EngineChoice::Http,
        max_pages: 100,
        max_depth: 6,
        concurrency: 8,
        rate: 0.0,
        timeout_secs: 5,
        max_resources: 500,
        max_body_bytes: 5 * 1024 * 1024,
        max_redirects: 10,
        max_query_variants: 10,
        scope: Scope::Registrable,
        privacy_urls: Vec::new(),
        resolve: server
            .resolve_args()
            .iter()
            .map(|r| {
                let (host, addr) = r.split_once('=').unwrap();
                ResolveRule {
                    host: host.to_string(),
                    addr: addr.parse().unwrap(),
                }
            })
            .collect(),
        insecure: true,
        offline: true,
        allow_private: false,
        user_agent: "cookie-audit-tests".into(),
        ignore_robots: false,
        show_values: false,
        fail_on: FailOn::None,
        tabs: None,
        settle_ms: None,
    }
}

pub async fn run(start: &str, config: ScanConfig) -> CrawlOutcome {
    let start = Url::parse(start).unwrap();
    let ctx = Arc::new(CrawlContext::new(config, start, Box::new(NoProgress)).unwrap());
    crawl(Arc::new(HttpEngine), ctx).await
}

pub fn cookie<'a>(outcome: &'a CrawlOutcome, name: &str) -> &'a ObservedCookie {
    outcome
        .observed
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} was not observed; saw {:?}", names(outcome)))
}

pub fn names(outcome: &CrawlOutcome) -> Vec<&str> {
    outcome.observed.iter().map(|c| c.name.as_str()).collect()
}
