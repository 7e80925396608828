//! The browser engine: one Chromium per scan, a pool of tabs, and a retry when a tab or the
//! browser dies. The visit of one page is `visit.rs`; the running browser is `running.rs`.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cookie_audit_crawl::extras::{ExtraCookie, ExtraHeader, ExtrasScope};
use cookie_audit_crawl::net::Guard;
use cookie_audit_crawl::record::{PageRef, Setter};
use cookie_audit_crawl::{CrawlContext, CrawlOptions, Engine, PageTask, PageVisit};
use cookie_audit_model::set_cookie::CookieRecord;
use cookie_audit_model::{
    BrowserInfo, ConsentState, CookieKey, EngineKind, LimitKind, ResolveRule, Scope,
};
use serde_json::{Value, json};
use tokio::sync::{RwLock, Semaphore};
use url::Url;

use crate::capture::{jar_match_key, jar_record};
use crate::consent::{ConsentLook, ConsentPlan, ConsentProgress};
use crate::error::{BrowserError, CallError, VisitFailure};
use crate::proxy::{MAX_REFUSALS_LISTED, Proxy};
use crate::running::{Running, Tab};
use crate::settle::{Settle, SettleEnd};
use crate::visit::Done;

/// Tabs working in parallel unless `--tabs` says otherwise.
pub const DEFAULT_TABS: u32 = 4;
/// The quiet window of the settle rule (`settle.rs`) unless `--settle-ms` says otherwise: after
/// load, this long with the network quiet, no cookie or storage write and no timer due.
pub const DEFAULT_SETTLE_MS: u64 = 500;
/// `--settle-ms` is capped here: longer waits find nothing a visitor would wait for.
pub const MAX_SETTLE_MS: u64 = 30_000;
/// The most a consent step takes before the page settles again (`consent/choose.rs`: banner
/// wait, settings layer, two clicks and their checks, with room for slow answers).
const CONSENT_STEP_BUDGET: Duration = Duration::from_secs(40);
/// Time for a DevTools command that is not a navigation.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

/// The cookie policy the browser runs with, for the report.
pub const COOKIE_POLICY: &str = "third-party cookies allowed, as in a visitor's default Chrome (profile cookie_controls_mode 0); fresh profile, no consent given (no clicks)";

/// The browser engine's own options (`--tabs`, `--settle-ms`). `BrowserSettings::default()` is
/// the documented default of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSettings {
    /// Tabs working in parallel, at least one.
    pub tabs: u32,
    /// The settle rule's quiet window, at most [`MAX_SETTLE_MS`].
    pub settle: Duration,
}

impl Default for BrowserSettings {
    fn default() -> BrowserSettings {
        BrowserSettings {
            tabs: DEFAULT_TABS,
            settle: Duration::from_millis(DEFAULT_SETTLE_MS),
        }
    }
}

/// What the browser engine runs with: its own settings and the crawl's network options.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// The Chromium executable (see [`crate::find_chrome`]).
    pub chrome: PathBuf,
    /// Tabs working in parallel.
    pub tabs: u32,
    /// The settle rule's quiet window (`--settle-ms`).
    pub settle: Duration,
    /// Time a page has to load.
    pub page_timeout: Duration,
    pub insecure: bool,
    /// `--resolve`, `--offline` and `--allow-private`: the guard proxy applies them as the HTTP
    /// client does.
    pub resolve: Vec<ResolveRule>,
    pub offline: bool,
    pub allow_private: bool,
    /// What the run does with consent banners; `None`: nothing (the page is read as it comes).
    pub consent: Option<ConsentPlan>,
    /// `--header`s and `--cookie`s for the site's own hosts (`site` says which site).
    pub extras: SiteExtras,
}

/// What the user adds to the site's requests (`--header`, `--cookie`): the cookies are set in
/// each tab's jar for the site's domain before its first page, the headers added to the site's
/// requests (and to no one else's) through DevTools' request interception.
#[derive(Debug, Clone, Default)]
pub struct SiteExtras {
    /// The headers.
    pub headers: Vec<ExtraHeader>,
    /// The cookies.
    pub cookies: Vec<ExtraCookie>,
    /// The crawl's scope rule, which decides who is "the site".
    pub scope: Scope,
    /// The site's start URL; nothing is added without it.
    pub site: Option<Url>,
}

impl SiteExtras {
    /// Whether there is anything to add.
    pub(crate) fn any(&self) -> bool {
        self.site.is_some() && !(self.headers.is_empty() && self.cookies.is_empty())
    }

    /// The headers a request to `url` gets: the user's for the site's hosts, with their
    /// cookies joined to the `Cookie` the request already carries (`cookie`); none otherwise.
    /// The cookies go in the header too: since Chromium 145 a `Cookie` header given to
    /// `Fetch.continueRequest` replaces the jar's, and the jar may not hold ours.
    pub(crate) fn headers_for(&self, url: &str, cookie: Option<&str>) -> Vec<(String, String)> {
        let (Some(site), Ok(url)) = (&self.site, Url::parse(url)) else {
            return Vec::new();
        };
        if !ExtrasScope::new(self.scope, site).includes(&url) {
            return Vec::new();
        }
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        if let Some(joined) = cookie_audit_crawl::extras::cookie_header(&self.cookies, cookie) {
            headers.push(("Cookie".to_string(), joined));
        }
        headers
    }

    /// `Network.setCookies` entries: each cookie for the site's registrable domain (or only its
    /// start host with `--scope host`), path `/`.
    pub(crate) fn devtools_cookies(&self) -> Vec<serde_json::Value> {
        let Some(site) = &self.site else {
            return Vec::new();
        };
        let host = cookie_audit_model::url_norm::host_of(site);
        self.cookies
            .iter()
            .map(|c| {
                let mut cookie = serde_json::json!({
                    "name": c.name, "value": c.value, "url": site.as_str(), "path": "/",
                });
                if self.scope == Scope::Registrable {
                    cookie["domain"] = serde_json::Value::String(
                        cookie_audit_model::domain::registrable_domain(&host),
                    );
                }
                cookie
            })
            .collect()
    }

    /// Whether a jar entry is one of ours (the same name and value), not the site's.
    pub(crate) fn is_ours(&self, name: &str, value: &str) -> bool {
        self.cookies
            .iter()
            .any(|c| c.name == name && c.value == value)
    }
}

impl BrowserOptions {
    /// The options a crawl with these settings asks for, clamped to what the engine accepts.
    /// The crawl's user agent is the HTTP engine's: the browser sends a visitor's Chrome's
    /// (docs/browser.md).
    pub fn new(
        chrome: PathBuf,
        crawl: &CrawlOptions,
        settings: &BrowserSettings,
    ) -> BrowserOptions {
        let network = &crawl.network;
        BrowserOptions {
            chrome,
            tabs: settings.tabs.max(1),
            settle: settings.settle.min(Duration::from_millis(MAX_SETTLE_MS)),
            page_timeout: crawl.timeout.max(Duration::from_secs(1)),
            insecure: network.insecure,
            resolve: network.resolve.clone(),
            offline: network.offline,
            allow_private: network.allow_private,
            consent: None,
            extras: SiteExtras {
                headers: crawl.headers.clone(),
                cookies: crawl.cookies.clone(),
                scope: crawl.scope,
                site: None,
            },
        }
    }
}

/// How the engine's visits went, for benchmarks and tests: how each wait ended, and how many
/// visits went straight on from the tab's previous page instead of through about:blank.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitStats {
    pub quiet: u32,
    pub capped: u32,
    pub load_timed_out: u32,
    pub straight_on: u32,
}

/// Headless Chromium driven over the DevTools protocol.
pub struct BrowserEngine {
    pub(crate) options: BrowserOptions,
    /// The SSRF guard every connection of Chromium goes through; it outlives browser restarts.
    pub(crate) proxy: Proxy,
    running: RwLock<Option<Arc<Running>>>,
    tabs: Semaphore,
    info: BrowserInfo,
    /// Cookies recorded from headers or script writes, over the whole crawl.
    pub(crate) accounted: Mutex<HashSet<CookieKey>>,
    /// Cookies seen only in the jar so far, with the first page (crawl order) they were seen on.
    jar_only: Mutex<BTreeMap<CookieKey, (PageRef, CookieRecord)>>,
    restarts: AtomicU32,
    stats: Mutex<VisitStats>,
    /// What this run saw of the consent banner and did with it.
    pub(crate) consent: Mutex<ConsentProgress>,
}

impl std::fmt::Debug for BrowserEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserEngine")
            .field("options", &self.options)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl BrowserEngine {
    /// Starts Chromium. Fails when it cannot be started or spoken to: then nothing can be audited.
    pub async fn launch(options: BrowserOptions) -> Result<BrowserEngine, BrowserError> {
        let guard = Guard::new(
            options.resolve.iter().map(|r| (r.host.clone(), r.addr)),
            options.offline,
            options.allow_private,
        );
        // The HTTP client's connect bound: a refused or dead upstream answers well within the
        // page's own timeout.
        let connect_timeout = options.page_timeout.min(Duration::from_secs(10));
        let proxy = Proxy::start(guard, connect_timeout)
            .await
            .map_err(|source| BrowserError::Proxy { source })?;
        let running = Running::start(&options, 0, proxy.addr()).await?;
        let version = running
            .tap
            .call(None, "Browser.getVersion", json!({}), COMMAND_TIMEOUT)
            .await
            .ok()
            .and_then(|v| v.get("product").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        let version = match version.split_once('/') {
            Some((_, number)) => format!("Chromium/{number}"),
            None => format!("Chromium/{version}"),
        };
        Ok(BrowserEngine {
            tabs: Semaphore::new(options.tabs.max(1) as usize),
            info: BrowserInfo {
                version,
                cookie_policy: COOKIE_POLICY.to_string(),
                user_agent: running.user_agent.clone(),
            },
            options,
            proxy,
            running: RwLock::new(Some(Arc::new(running))),
            accounted: Mutex::default(),
            jar_only: Mutex::default(),
            restarts: AtomicU32::new(0),
            stats: Mutex::default(),
            consent: Mutex::default(),
        })
    }

    pub fn options(&self) -> &BrowserOptions {
        &self.options
    }

    /// The browser's process id (the leader of its process group), while it runs.
    pub async fn browser_pid(&self) -> Option<u32> {
        self.running.read().await.as_ref().map(|r| r.pid)
    }

    /// How many times the browser was restarted after a crash.
    pub fn restarts(&self) -> u32 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// What this run saw of the consent banner, and how its choice went (`options.consent`).
    pub fn consent_look(&self) -> ConsentLook {
        let state = self
            .options
            .consent
            .as_ref()
            .map_or(ConsentState::None, |plan| plan.state);
        self.consent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .look(state)
    }

    /// How the visits so far went.
    pub fn visit_stats(&self) -> VisitStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn count_visit(&self, end: SettleEnd, straight_on: bool) {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        match end {
            SettleEnd::Quiet => stats.quiet += 1,
            SettleEnd::Capped => stats.capped += 1,
            SettleEnd::LoadTimedOut => stats.load_timed_out += 1,
        }
        stats.straight_on += u32::from(straight_on);
    }

    async fn current(&self) -> Option<Arc<Running>> {
        self.running.read().await.clone()
    }

    /// The most one visit can take: the page timeout, the settle cap, and the commands that read
    /// the page and return the tab to about:blank.
    fn visit_budget(&self) -> Duration {
        let consent = if self.options.consent.is_some() {
            // Waiting for a banner, two clicks with their checks, the settings layer, and the
            // page settling again after the click.
            CONSENT_STEP_BUDGET + Settle::cap(self.options.settle)
        } else {
            Duration::ZERO
        };
        self.options.page_timeout + Settle::cap(self.options.settle) + COMMAND_TIMEOUT * 3 + consent
    }

    /// Replaces a dead browser, once per death however many tabs noticed it.
    async fn restart(&self, dead_generation: u64) -> Result<(), BrowserError> {
        let mut guard = self.running.write().await;
        if let Some(current) = guard.as_ref()
            && current.generation != dead_generation
        {
            return Ok(());
        }
        let Some(old) = guard.take() else {
            return Ok(());
        };
        old.stop().await;
        tracing::warn!(
            "Chromium died; starting a new one (session cookies set so far are gone from its jar, not from the report)"
        );
        let fresh = tokio::time::timeout(
            crate::launch::LAUNCH_TIMEOUT + COMMAND_TIMEOUT,
            Running::start(&self.options, dead_generation + 1, self.proxy.addr()),
        )
        .await
        .map_err(|_| BrowserError::Command {
            method: "restart".into(),
            reason: "a new Chromium did not start in time".into(),
        })??;
        *guard = Some(Arc::new(fresh));
        self.restarts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// An idle tab, or a new one. Every step is bounded: chromiumoxide can wait forever for
    /// target events it failed to decode (its issues 229 and 266).
    async fn take_tab(&self, running: &Running) -> Result<Tab, VisitFailure> {
        let idle = running.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(tab) = idle {
            return Ok(tab);
        }
        tokio::time::timeout(COMMAND_TIMEOUT, running.open_tab(None))
            .await
            .unwrap_or(Err(CallError::Timeout {
                method: "Target.createTarget".into(),
                secs: COMMAND_TIMEOUT.as_secs(),
            }))
            .map_err(VisitFailure::TabNotOpened)
    }

    /// One attempt on one tab, bounded as a whole; the tab goes back to the pool or is closed.
    async fn attempt(
        &self,
        running: &Running,
        task: &PageTask,
        ctx: &CrawlContext,
    ) -> Result<Done, VisitFailure> {
        let mut tab = self.take_tab(running).await?;
        let budget = self.visit_budget();
        let outcome = tokio::time::timeout(budget, self.visit_once(running, &mut tab, task, ctx))
            .await
            .unwrap_or(Err(VisitFailure::TimedOut {
                secs: budget.as_secs(),
            }));
        match &outcome {
            Ok(done) if done.reusable => running
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(tab),
            _ => running.close_tab(tab).await,
        }
        outcome
    }

    /// A visit, retried once on a fresh tab when the tab or the browser died (the browser is
    /// replaced first when it is gone or unusable).
    async fn visit_with_retry(&self, task: &PageTask, ctx: &CrawlContext) -> PageVisit {
        let _tab_permit = self.tabs.acquire().await.expect("never closed");
        let mut last_crash = None;
        for attempt in 0..2 {
            let Some(running) = self.current().await else {
                return PageVisit::failed("the browser was already shut down");
            };
            let failure = match self.attempt(&running, task, ctx).await {
                Ok(done) => return done.visit,
                Err(VisitFailure::Page(error)) => return PageVisit::failed(error),
                Err(crash) => crash,
            };
            tracing::warn!(url = %task.page.url, attempt, why = %failure, "the browser or its tab crashed");
            let dead = failure.browser_is_unusable()
                || running.is_dead()
                || running.process.lock().await.has_exited();
            if dead && let Err(e) = self.restart(running.generation).await {
                return PageVisit::failed(format!(
                    "the browser crashed ({failure}) and could not be restarted: {e}"
                ));
            }
            last_crash = Some(failure);
        }
        let why = last_crash.map(|f| f.to_string()).unwrap_or_default();
        PageVisit::failed(format!(
            "the browser crashed on this page twice (retried once): {why}"
        ))
    }

    pub(crate) fn note_jar(&self, jar: &Value, page: &PageRef) {
        let Some(cookies) = jar.get("cookies").and_then(Value::as_array) else {
            return;
        };
        let now = chrono::Utc::now();
        let accounted = self.accounted.lock().unwrap_or_else(|e| e.into_inner());
        let mut jar_only = self.jar_only.lock().unwrap_or_else(|e| e.into_inner());
        for cookie in cookies {
            let Some(record) = jar_record(cookie, now) else {
                continue;
            };
            if self.options.extras.is_ours(&record.name, &record.value) {
                // A --cookie we set ourselves: not the site's.
                continue;
            }
            let key = jar_match_key(&record);
            if accounted.contains(&key) {
                continue;
            }
            match jar_only.get(&key) {
                // The first page in crawl order (depth, then URL) keeps it.
                Some((seen, _)) if (seen.depth, &seen.url) <= (page.depth, &page.url) => {}
                _ => {
                    jar_only.insert(key, (page.clone(), record));
                }
            }
        }
    }
}

impl Engine for BrowserEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Browser
    }

    async fn visit(&self, task: PageTask, ctx: &CrawlContext) -> PageVisit {
        // Chromium refuses these before any request (net::ERR_UNSAFE_PORT); said in the HTTP
        // engine's words, so a report reads the same whichever engine ran.
        if let Some(port) = task
            .page
            .url
            .port()
            .filter(|p| cookie_audit_crawl::net::is_unsafe_port(*p))
        {
            return PageVisit::failed(cookie_audit_crawl::net::FetchError::UnsafePort { port });
        }
        self.visit_with_retry(&task, ctx).await
    }

    fn browser_info(&self) -> Option<BrowserInfo> {
        Some(self.info.clone())
    }

    fn limitations(&self) -> Vec<String> {
        match self.restarts() {
            0 => Vec::new(),
            n => vec![format!(
                "the browser crashed and was restarted {n} time(s); session cookies set before a restart were not sent to later pages"
            )],
        }
    }

    async fn crawl_finished(&self, ctx: &CrawlContext) {
        let (unclaimed, unlisted) = self.proxy.take_unclaimed();
        for refusal in unclaimed {
            // Chromium's own traffic (time, component and account services), or a page's request
            // made after its visit was read: not the site's doing as far as we can tell.
            tracing::debug!(url = %refusal.url, reason = %refusal.reason, "the browser's guard refused a request no page claimed");
        }
        if unlisted > 0 {
            ctx.limit(
                LimitKind::BrowserRefusals,
                format!(
                    "the browser's guard refused {unlisted} more requests than the {MAX_REFUSALS_LISTED} listed"
                ),
                None,
            );
        }
        // A cookie seen only in the jar may have been an HTTP or script cookie another tab had
        // not recorded yet when this tab read the jar: only what is still unexplained is a
        // jar-only cookie.
        let accounted = self
            .accounted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let pending = std::mem::take(&mut *self.jar_only.lock().unwrap_or_else(|e| e.into_inner()));
        for (key, (page, record)) in pending {
            if accounted.contains(&key) {
                continue;
            }
            ctx.recorder.record(&page, record, None, Setter::Jar);
        }
    }

    async fn shutdown(&self) {
        if let Some(running) = self.running.write().await.take() {
            running.stop().await;
        }
    }
}
