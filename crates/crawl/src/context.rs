//! What every part of a crawl shares: the configuration, the one client, the per-host limiter,
//! the jar, the recorder and the problem log. Engines receive it by reference.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use cookie_audit_model::{CrawlError, LimitHit, LimitKind};
use url::Url;

use crate::jar::Jar;
use crate::net::{ClientOptions, FetchError, HttpClient};
use crate::options::CrawlOptions;
use crate::ratelimit::HostLimiter;
use crate::record::Recorder;

/// Reports crawl progress to whoever shows it (a progress bar, nothing in tests).
pub trait Progress: Send + Sync {
    /// A page finished; `done` pages of at most `budget`.
    fn page_done(&self, url: &Url, done: u32, budget: u32);
}

/// Shows nothing.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn page_done(&self, _: &Url, _: u32, _: u32) {}
}

/// The audited site.
#[derive(Debug, Clone)]
pub struct Site {
    pub start_url: Url,
    /// Host of the start URL, the reference for first/third party.
    pub host: String,
}

pub struct CrawlContext {
    pub options: CrawlOptions,
    pub site: Site,
    pub http: HttpClient,
    pub limiter: HostLimiter,
    pub jar: Jar,
    pub recorder: Recorder,
    pub progress: Box<dyn Progress>,
    problems: Mutex<Problems>,
    resources: Mutex<ResourceBudget>,
    resources_fetched: AtomicU32,
}

impl std::fmt::Debug for CrawlContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrawlContext")
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Problems {
    errors: Vec<CrawlError>,
    limits: Vec<LimitHit>,
    limit_keys: HashSet<(LimitKind, Option<String>)>,
}

#[derive(Debug, Default)]
struct ResourceBudget {
    seen: HashSet<Url>,
    claimed: u32,
}

impl CrawlContext {
    pub fn new(
        options: CrawlOptions,
        start_url: Url,
        progress: Box<dyn Progress>,
    ) -> Result<CrawlContext, FetchError> {
        let http = HttpClient::new(&ClientOptions::new(&options.network, options.timeout))?;
        let host = cookie_audit_model::url_norm::host_of(&start_url);
        Ok(CrawlContext {
            limiter: HostLimiter::new(options.rate, options.concurrency),
            recorder: Recorder::new(&host, options.show_values),
            site: Site { start_url, host },
            http,
            jar: Jar::new(),
            progress,
            options,
            problems: Mutex::new(Problems::default()),
            resources: Mutex::new(ResourceBudget::default()),
            resources_fetched: AtomicU32::new(0),
        })
    }

    /// Records a page or resource that failed, with why.
    pub fn error(&self, url: &Url, error: impl std::fmt::Display) {
        let mut problems = self.problems.lock().unwrap_or_else(|e| e.into_inner());
        problems.errors.push(CrawlError {
            url: url.to_string(),
            error: error.to_string(),
        });
    }

    /// Records a limit that cut something short. The same limit for the same URL is noted once.
    /// The body of `url` was longer than `--max-body-bytes` and was cut there (either engine).
    pub fn body_truncated(&self, url: &Url) {
        self.limit(
            LimitKind::MaxBodyBytes,
            format!(
                "body longer than {} bytes; the rest was not read",
                self.options.max_body_bytes
            ),
            Some(url),
        );
    }

    pub fn limit(&self, limit: LimitKind, detail: impl Into<String>, url: Option<&Url>) {
        let mut problems = self.problems.lock().unwrap_or_else(|e| e.into_inner());
        let key = (limit, url.map(Url::to_string));
        if problems.limit_keys.insert(key) {
            problems.limits.push(LimitHit {
                limit,
                detail: detail.into(),
                url: url.map(Url::to_string),
            });
        }
    }

    /// Claims a subresource fetch: `false` when it was fetched already or the budget is spent.
    pub fn claim_resource(&self, url: &Url) -> bool {
        let mut budget = self.resources.lock().unwrap_or_else(|e| e.into_inner());
        if budget.seen.contains(url) {
            return false;
        }
        if budget.claimed >= self.options.max_resources {
            drop(budget);
            self.limit(
                LimitKind::MaxResources,
                format!(
                    "more embedded resources than --max-resources {}; the rest were not fetched",
                    self.options.max_resources
                ),
                None,
            );
            return false;
        }
        budget.seen.insert(url.clone());
        budget.claimed += 1;
        true
    }

    pub fn resource_fetched(&self) {
        self.resources_fetched.fetch_add(1, Ordering::Relaxed);
    }

    pub fn resources_fetched(&self) -> u32 {
        self.resources_fetched.load(Ordering::Relaxed)
    }

    /// Takes the errors and limits collected so far, sorted for a deterministic report.
    pub fn take_problems(&self) -> (Vec<CrawlError>, Vec<LimitHit>) {
        let mut problems = self.problems.lock().unwrap_or_else(|e| e.into_inner());
        let mut errors = std::mem::take(&mut problems.errors);
        let mut limits = std::mem::take(&mut problems.limits);
        errors.sort_by(|a, b| (&a.url, &a.error).cmp(&(&b.url, &b.error)));
        errors.dedup();
        // By name, as reports were always sorted.
        limits.sort_by(|a, b| {
            (a.limit.as_str(), &a.url, &a.detail).cmp(&(b.limit.as_str(), &b.url, &b.detail))
        });
        (errors, limits)
    }
}
