//! Runs the crawl against a fixture server, reached by host name through `--resolve`.

use std::sync::Arc;

use cookie_audit_crawl::{CrawlContext, CrawlOptions, CrawlOutcome, HttpEngine, NoProgress, crawl};
use cookie_audit_fixtures::FixtureServer;
use cookie_audit_model::ObservedCookie;
use url::Url;

/// The fixture's test configuration: offline, every fixture host mapped to 127.0.0.1.
pub(crate) fn config(server: &FixtureServer) -> CrawlOptions {
    server.crawl_options()
}

pub(crate) async fn run(start: &str, config: CrawlOptions) -> CrawlOutcome {
    let start = Url::parse(start).unwrap();
    let ctx = Arc::new(CrawlContext::new(config, start, Box::new(NoProgress)).unwrap());
    crawl(Arc::new(HttpEngine), ctx).await
}

pub(crate) fn cookie<'a>(outcome: &'a CrawlOutcome, name: &str) -> &'a ObservedCookie {
    outcome
        .observed
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} was not observed; saw {:?}", names(outcome)))
}

pub(crate) fn names(outcome: &CrawlOutcome) -> Vec<&str> {
    outcome.observed.iter().map(|c| c.name.as_str()).collect()
}
