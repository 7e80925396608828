//! What a scan runs with, built once from flags or an audit config, and the record of it the
//! report keeps.

use std::path::PathBuf;

use cookie_audit_browser::BrowserSettings;
use cookie_audit_crawl::CrawlOptions;
use cookie_audit_model::redact::CookieValue;
use cookie_audit_model::{ConsentRuns, EngineChoice, FailOn, ScanConfig, SentValue};

use crate::ignore::IgnoreList;

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
    /// The consent runs (`--consent`, `--consent-pages`, `--consent-rules`).
    pub consent: ConsentSettings,
    /// `--ignore-file`: accepted findings, loaded and checked before the crawl.
    pub ignore: Option<IgnoreList>,
}

/// Which visits a browser scan makes besides the crawl, and with which rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentSettings {
    /// `--consent`: `all` by default (the HTTP engine can do only `none`).
    pub runs: ConsentRuns,
    /// `--consent-pages`: pages each choice run visits, the cookie page included.
    pub pages: u32,
    /// `--consent-rules`: rules tried before the built-in ones.
    pub rules: Option<PathBuf>,
}

impl ConsentSettings {
    /// Pages a choice run visits unless `--consent-pages` says otherwise.
    pub const DEFAULT_PAGES: u32 = 10;
}

impl Default for ConsentSettings {
    fn default() -> ConsentSettings {
        ConsentSettings {
            runs: ConsentRuns::default(),
            pages: ConsentSettings::DEFAULT_PAGES,
            rules: None,
        }
    }
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
            consent: Some(self.consent.runs),
            consent_pages: Some(self.consent.pages),
            include_paths: crawl.paths.include_texts(),
            exclude_paths: crawl.paths.exclude_texts(),
            // Credentials: the name, and the value only as a fingerprint, whatever --show-values.
            headers: crawl
                .headers
                .iter()
                .map(|h| SentValue {
                    name: h.name.clone(),
                    value: CookieValue::new(&h.value, false),
                })
                .collect(),
            cookies: crawl
                .cookies
                .iter()
                .map(|c| SentValue {
                    name: c.name.clone(),
                    value: CookieValue::new(&c.value, false),
                })
                .collect(),
            ignore_file: self
                .ignore
                .as_ref()
                .map(|list| list.path().display().to_string()),
        }
    }
}
