//! Shared by the browser tests: a real Chromium (never skipped), the fixture sites, a crawl.

use std::sync::Arc;

use cookie_audit_browser::{BrowserEngine, BrowserOptions, BrowserSettings, find_chrome};
use cookie_audit_crawl::{CrawlContext, CrawlOptions, CrawlOutcome, NoProgress, crawl};
use cookie_audit_fixtures::FixtureServer;
use cookie_audit_model::ObservedCookie;
use cookie_audit_model::url_norm::parse_start_url;

/// The browser, or a failure that says how to get one: these tests never skip.
pub(crate) fn chrome() -> std::path::PathBuf {
    find_chrome(None).unwrap_or_else(|e| {
        panic!("the browser tests need Chromium: {e}. On Debian/Ubuntu: `apt-get install chromium`")
    })
}

/// What a browser test crawls with.
#[derive(Debug, Clone)]
pub(crate) struct TestScan {
    pub crawl: CrawlOptions,
    pub browser: BrowserSettings,
}

/// A browser crawl of a fixture: offline, its hosts mapped, fast.
pub(crate) fn config(server: &FixtureServer, settle_ms: u64) -> TestScan {
    TestScan {
        crawl: CrawlOptions {
            max_pages: 60,
            timeout: std::time::Duration::from_secs(15),
            ..server.crawl_options()
        },
        browser: BrowserSettings {
            tabs: 4,
            settle: std::time::Duration::from_millis(settle_ms),
        },
    }
}

/// `RUST_LOG=cookie_audit_browser=debug` shows what the engine does.
pub(crate) fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

pub(crate) async fn launch(config: &TestScan) -> Arc<BrowserEngine> {
    logs();
    Arc::new(
        BrowserEngine::launch(BrowserOptions::new(
            chrome(),
            &config.crawl,
            &config.browser,
        ))
        .await
        .expect("Chromium starts"),
    )
}

/// Crawls `start` with the browser engine and shuts the browser down.
pub(crate) async fn crawl_with_browser(start: &str, config: TestScan) -> CrawlOutcome {
    let engine = launch(&config).await;
    let outcome = crawl_with(engine.clone(), start, config.crawl).await;
    cookie_audit_crawl::Engine::shutdown(&*engine).await;
    outcome
}

pub(crate) async fn crawl_with<E: cookie_audit_crawl::Engine>(
    engine: Arc<E>,
    start: &str,
    config: CrawlOptions,
) -> CrawlOutcome {
    let start = parse_start_url(start).unwrap();
    let ctx = Arc::new(CrawlContext::new(config, start, Box::new(NoProgress)).unwrap());
    crawl(engine, ctx).await
}

pub(crate) fn find<'a>(observed: &'a [ObservedCookie], name: &str) -> &'a ObservedCookie {
    observed.iter().find(|c| c.name == name).unwrap_or_else(|| {
        let names: Vec<&str> = observed.iter().map(|c| c.name.as_str()).collect();
        panic!("{name} was not observed; observed: {names:?}")
    })
}
