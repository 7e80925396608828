//! What every part of a crawl shares: the configuration, the one client, the per-host limiter,
//! the jar, the recorder and the problem log. Engines receive it by reference.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use cookie_audit_model::{ConsentState, CrawlError, LimitHit, LimitKind};
use url::Url;

use crate::extras::{ExtraCookie, ExtraHeader, ExtrasScope};
use crate::jar::Jar;
use crate::net::{ClientOptions, FetchError, HttpClient};
use crate::options::CrawlOptions;
use crate::ratelimit::HostLimiter;
use crate::record::Recorder;
use crate::storage::StorageLog;
use tokio_util::sync::CancellationToken;

/// Reports crawl progress to whoever shows it (a progress bar, nothing in tests).
pub trait Progress: Send + Sync {
    /// A page finished: `done` pages of the `known` ones so far (visited and queued, within
    /// `--max-pages`; it grows as links are found).
    fn page_done(&self, url: &Url, done: u32, known: u32);
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
    /// The URL the crawl starts from (depth 0), as the caller gave it.
    pub start_url: Url,
    /// Host of the start URL, the reference for first/third party.
    pub host: String,
}

/// What one crawl (one run, for one consent state) shares between the loop and its engines, by
/// reference: the options, the one guarded client, per-host politeness, the cookie jar, the
/// recorder, and the log of errors and limits that becomes `crawl.errors` and `crawl.limits_hit`.
pub struct CrawlContext {
    /// What the crawl runs with; nothing changes it once the crawl has started.
    pub options: CrawlOptions,
    /// The audited site: where the crawl starts, and the host first and third party are judged by.
    pub site: Site,
    /// The one guarded client: every request the crawl itself makes (pages, redirect hops,
    /// resources, robots.txt, sitemaps) goes through it.
    pub http: HttpClient,
    /// Per-host politeness (`--rate`) and the global in-flight cap (`--concurrency`): every request
    /// to a host takes a slot, the browser engine's included, and every run of a site shares it.
    pub limiter: HostLimiter,
    /// The cookies earlier responses set, sent back on later requests as a browser would (the HTTP
    /// engine's fetches).
    pub jar: Jar,
    /// Where both engines record every cookie sighting of this run; the crawl turns it into the
    /// observed cookies at the end.
    pub recorder: Recorder,
    /// Told when each page is done: a progress bar in the CLI, [`NoProgress`] elsewhere.
    pub progress: Box<dyn Progress>,
    /// Cancelled to stop the crawl (Ctrl-C, SIGTERM): no new page is visited, pages in flight
    /// are abandoned, and the outcome covers what was visited. Shared with the site's other runs.
    pub cancel: CancellationToken,
    /// The web-storage keys pages write, shared by every run of the site.
    pub storage: Arc<StorageLog>,
    extras_scope: ExtrasScope,
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
    /// A context for crawling from `start_url`: the guarded client built from `options.network`, an
    /// empty jar, recorder and problem log. Fails only when the HTTP client cannot be built.
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
            cancel: CancellationToken::new(),
            storage: Arc::new(StorageLog::new(options.show_values)),
            extras_scope: ExtrasScope::new(options.scope, &start_url),
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

    /// A context for another run of the same site as another visitor (a consent state): its own
    /// recorder, jar and problem log, the same client and — politeness counts every request of
    /// every run — the same per-host limiter.
    pub fn for_run(&self, state: ConsentState, progress: Box<dyn Progress>) -> CrawlContext {
        CrawlContext {
            limiter: self.limiter.clone(),
            recorder: Recorder::for_run(&self.site.host, self.options.show_values, state),
            cancel: self.cancel.clone(),
            storage: self.storage.clone(),
            extras_scope: self.extras_scope.clone(),
            site: self.site.clone(),
            http: self.http.clone(),
            jar: Jar::new(),
            progress,
            options: self.options.clone(),
            problems: Mutex::new(Problems::default()),
            resources: Mutex::new(ResourceBudget::default()),
            resources_fetched: AtomicU32::new(0),
        }
    }

    /// The `--header`s and `--cookie`s a request to `url` carries: the user's, for the site's
    /// own hosts; nothing for anyone else.
    pub fn extras_for(&self, url: &Url) -> (&[ExtraHeader], &[ExtraCookie]) {
        if self.extras_scope.includes(url) {
            (&self.options.headers, &self.options.cookies)
        } else {
            (&[], &[])
        }
    }

    /// Whether the crawl was told to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Records a page or resource that failed, with why.
    pub fn error(&self, url: &Url, error: impl std::fmt::Display) {
        let mut problems = self.problems.lock().unwrap_or_else(|e| e.into_inner());
        problems.errors.push(CrawlError {
            url: url.to_string(),
            error: error.to_string(),
        });
    }

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

    /// Records a limit that cut something short, for `crawl.limits_hit`. The same limit for the
    /// same URL is noted once.
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

    /// Counts one embedded resource whose fetch was made (answered or not), for
    /// `crawl.resources_fetched`.
    pub fn resource_fetched(&self) {
        self.resources_fetched.fetch_add(1, Ordering::Relaxed);
    }

    /// Embedded resources fetched so far: the report's `crawl.resources_fetched`.
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
