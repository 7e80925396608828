//! What a scan runs with, built once from flags or an audit config, and the record of it the
//! report keeps.

use std::path::PathBuf;

use cookie_audit_browser::BrowserSettings;
use cookie_audit_crawl::CrawlOptions;
use cookie_audit_model::{EngineChoice, FailOn, ScanConfig};

/// Everything one scan of one site needs besides its URL and knowledge base.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScanSettings {
    /// The engine asked for; `auto` is resolved when the scan starts.
    pub engine: EngineChoice,
    /// The crawl: budgets, politeness, scope, network.
    pub crawl: CrawlOptions,
    /// The browser engine's own settings (unused by the HTTP engine, still recorded).
    pub browser: BrowserSettings,
    /// When the command exits 1. Not a crawl option: only recorded and judged at the end.
    pub fail_on: FailOn,
    /// `--chrome`: the Chromium to run (else `$CHROME`, else `chromium` on PATH).
    pub chrome: Option<PathBuf>,
}

impl ScanSettings {
    /// The report's record of these settings (`Report::config`, the wire type).
    pub fn record(&self) -> ScanConfig {
        let crawl = &self.crawl;
        let network = &crawl.network;
        ScanConfig {
            engine: self.engine,
            max_pages: crawl.max_pages,
            max_depth: crawl.max_depth,
            concurrency: crawl.concurrency,
            rate: crawl.rate,
            timeout_secs: crawl.timeout.as_secs(),
            max_resources: crawl.max_resources,
            max_body_bytes: crawl.max_body_bytes,
            max_redirects: crawl.max_redirects,
            max_query_variants: crawl.max_query_variants,
            scope: crawl.scope,
            privacy_urls: crawl.privacy_urls.clone(),
            resolve: network.resolve.clone(),
            insecure: network.insecure,
            offline: network.offline,
            allow_private: network.allow_private,
            user_agent: network.user_agent.clone(),
            ignore_robots: crawl.ignore_robots,
            show_values: crawl.show_values,
            fail_on: self.fail_on,
            tabs: Some(self.browser.tabs),
            settle_ms: Some(self.browser.settle.as_millis() as u64),
            max_time_secs: crawl.max_time.map(|t| t.as_secs()),
        }
    }
}
