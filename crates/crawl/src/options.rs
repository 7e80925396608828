//! What a crawl runs with: the runtime options, built once from flags or an audit config, and the
//! one place that holds their defaults.
//!
//! The report records these (`model::ScanConfig`, the wire type); the crawl never reads the
//! report's record back. Keeping the two apart lets the record stay stable while the runtime
//! types use what fits them (`Duration`, not seconds).

use std::time::Duration;

use cookie_audit_model::{ResolveRule, Scope};

use crate::extras::{ExtraCookie, ExtraHeader};
use crate::paths::PathFilter;

/// Options of one crawl. `CrawlOptions::default()` is the documented default of every field.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlOptions {
    /// Pages visited at most (`--max-pages`).
    pub max_pages: u32,
    /// Links followed at most this deep from the start URL (`--max-depth`).
    pub max_depth: u32,
    /// Requests in flight at once (`--concurrency`).
    pub concurrency: u32,
    /// Requests per second per host; 0 means no limit (`--rate`).
    pub rate: f64,
    /// Per-request timeout (`--timeout`), at least a second.
    pub timeout: Duration,
    /// Embedded resources fetched at most (HTTP engine, `--max-resources`).
    pub max_resources: u32,
    /// Largest body read, in bytes (`--max-body-bytes`).
    pub max_body_bytes: u64,
    /// Redirects followed per request (`--max-redirects`).
    pub max_redirects: u32,
    /// Distinct query strings followed per path (`--max-query-variants`).
    pub max_query_variants: u32,
    /// No new page is visited after this long (`--max-time`); `None`: no limit.
    pub max_time: Option<Duration>,
    /// Which hosts count as the site's pages (`--scope`).
    pub scope: Scope,
    /// Cookie or privacy pages given by the user (`--privacy-url`); discovery is skipped when set.
    pub privacy_urls: Vec<String>,
    /// robots.txt is not obeyed (`--ignore-robots`).
    pub ignore_robots: bool,
    /// Cookie values are kept in the report (`--show-values`).
    pub show_values: bool,
    /// Which of the site's pages are crawled (`--include-path`, `--exclude-path`).
    pub paths: PathFilter,
    /// Headers sent to the site's own hosts, never to a third party (`--header`).
    pub headers: Vec<ExtraHeader>,
    /// Cookies sent to the site's own hosts (`--cookie`); never recorded as observed.
    pub cookies: Vec<ExtraCookie>,
    /// How requests reach the network: the guard, names, TLS and who we say we are.
    pub network: NetworkOptions,
}

/// How every request of a crawl reaches the network (both engines apply these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkOptions {
    /// `--resolve HOST=ADDR` rules.
    pub resolve: Vec<ResolveRule>,
    /// Resolve only `--resolve` names; anything else fails without a DNS query (`--offline`).
    pub offline: bool,
    /// Allow private, loopback and link-local addresses (`--allow-private`).
    pub allow_private: bool,
    /// Accept invalid TLS certificates (`--insecure`).
    pub insecure: bool,
    /// The `User-Agent` header the HTTP engine sends (`--user-agent`).
    pub user_agent: String,
}

impl CrawlOptions {
    /// Pages visited unless `--max-pages` says otherwise. `scan --help` states each default below,
    /// and a test holds it to these values.
    pub const DEFAULT_MAX_PAGES: u32 = 200;
    /// Link depth unless `--max-depth` says otherwise.
    pub const DEFAULT_MAX_DEPTH: u32 = 6;
    /// Requests in flight at once unless `--concurrency` says otherwise.
    pub const DEFAULT_CONCURRENCY: u32 = 8;
    /// Requests per second per host unless `--rate` says otherwise: every request counts,
    /// robots.txt and resources included.
    pub const DEFAULT_RATE: f64 = 2.0;
    /// Per-request timeout unless `--timeout` says otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
    /// Embedded resources fetched in a whole crawl unless `--max-resources` says otherwise.
    pub const DEFAULT_MAX_RESOURCES: u32 = 500;
    /// 5 MiB of a body read unless `--max-body-bytes` says otherwise, counted after decompression.
    pub const DEFAULT_MAX_BODY_BYTES: u64 = 5 * 1024 * 1024;
    /// Redirects followed per request unless `--max-redirects` says otherwise.
    pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
    /// Distinct query strings followed per path unless `--max-query-variants` says otherwise: a
    /// calendar's endless "next month" stops there.
    pub const DEFAULT_MAX_QUERY_VARIANTS: u32 = 10;
}

impl Default for CrawlOptions {
    fn default() -> CrawlOptions {
        CrawlOptions {
            max_pages: Self::DEFAULT_MAX_PAGES,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            concurrency: Self::DEFAULT_CONCURRENCY,
            rate: Self::DEFAULT_RATE,
            timeout: Self::DEFAULT_TIMEOUT,
            max_resources: Self::DEFAULT_MAX_RESOURCES,
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            max_redirects: Self::DEFAULT_MAX_REDIRECTS,
            max_query_variants: Self::DEFAULT_MAX_QUERY_VARIANTS,
            max_time: None,
            scope: Scope::default(),
            privacy_urls: Vec::new(),
            ignore_robots: false,
            show_values: false,
            paths: PathFilter::default(),
            headers: Vec::new(),
            cookies: Vec::new(),
            network: NetworkOptions::default(),
        }
    }
}

impl Default for NetworkOptions {
    fn default() -> NetworkOptions {
        NetworkOptions {
            resolve: Vec::new(),
            offline: false,
            allow_private: false,
            insecure: false,
            user_agent: default_user_agent(),
        }
    }
}

/// The default user agent: who we are and where to read about it.
pub fn default_user_agent() -> String {
    format!(
        "cookie-audit/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_HOMEPAGE")
    )
}
