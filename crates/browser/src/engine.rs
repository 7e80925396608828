//! The browser engine: one Chromium per scan, a pool of tabs, and the visit of one page.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::{Browser, Page};
use cookie_audit_crawl::html;
use cookie_audit_crawl::net::Guard;
use cookie_audit_crawl::record::{PageRef, Setter};
use cookie_audit_crawl::{CrawlContext, CrawlOptions, Engine, PageTask, PageVisit, VisitStatus};
use cookie_audit_model::set_cookie::CookieRecord;
use cookie_audit_model::url_norm::host_of;
use cookie_audit_model::{BrowserInfo, CookieKey, EngineKind, LimitKind, ResolveRule};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{RwLock, Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use url::Url;

use crate::capture::{BINDING, Capture, jar_record};
use crate::error::{BrowserError, CallError};
use crate::launch::{ChromeProcess, LaunchOptions};
use crate::proxy::{MAX_REFUSALS_LISTED, Proxy};
use crate::tap::{RawEvent, Tap};

/// Tabs working in parallel unless `--tabs` says otherwise.
pub const DEFAULT_TABS: u32 = 4;
/// Quiet network time after load that counts as settled, unless `--settle-ms` says otherwise.
pub const DEFAULT_SETTLE_MS: u64 = 1500;
/// `--settle-ms` is capped here: longer waits find nothing a visitor would wait for.
pub const MAX_SETTLE_MS: u64 = 30_000;
/// A page that never goes quiet (polling, a live chat) is read this long after the settle time.
pub const SETTLE_CAP_EXTRA: Duration = Duration::from_secs(5);
/// Time for a DevTools command that is not a navigation.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

/// The cookie policy the browser runs with, for the report.
pub const COOKIE_POLICY: &str = "third-party cookies allowed, as in a visitor's default Chrome (profile cookie_controls_mode 0); fresh profile, no consent given (no clicks)";

/// The browser engine's own options (`--tabs`, `--settle-ms`). `BrowserSettings::default()` is
/// the documented default of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSettings {
    /// Tabs working in parallel, at least one.
    pub tabs: u32,
    /// Quiet network time after load that counts as settled, at most [`MAX_SETTLE_MS`].
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
    /// Quiet network time after load that counts as settled.
    pub settle: Duration,
    /// Time a page has to load.
    pub page_timeout: Duration,
    pub insecure: bool,
    /// `--resolve`, `--offline` and `--allow-private`: the guard proxy applies them as the HTTP
    /// client does.
    pub resolve: Vec<ResolveRule>,
    pub offline: bool,
    pub allow_private: bool,
    /// Appended to Chromium's own user agent so site operators can tell who visited.
    pub user_agent_suffix: String,
}

impl BrowserOptions {
    /// The options a crawl with these settings asks for, clamped to what the engine accepts.
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
            user_agent_suffix: network.user_agent.clone(),
        }
    }
}

/// One tab: a page target, its DevTools session and its events.
struct Tab {
    page: Page,
    session: String,
    events: mpsc::UnboundedReceiver<RawEvent>,
}

/// One running browser. Replaced as a whole when it crashes.
struct Running {
    generation: u64,
    process: tokio::sync::Mutex<ChromeProcess>,
    pid: u32,
    browser: Browser,
    handler: JoinHandle<()>,
    tap: Tap,
    user_agent: String,
    idle: Mutex<Vec<Tab>>,
}

impl Running {
    async fn start(
        options: &BrowserOptions,
        generation: u64,
        proxy: SocketAddr,
    ) -> Result<Running, BrowserError> {
        let mut process = ChromeProcess::start(&LaunchOptions {
            chrome: options.chrome.clone(),
            insecure: options.insecure,
            proxy,
        })
        .await?;
        match Self::connect(options, generation, &process).await {
            Ok((browser, handler, tap, user_agent)) => Ok(Running {
                generation,
                pid: process.pid(),
                process: tokio::sync::Mutex::new(process),
                browser,
                handler,
                tap,
                user_agent,
                idle: Mutex::new(Vec::new()),
            }),
            Err(e) => {
                process.kill().await;
                Err(e)
            }
        }
    }

    async fn connect(
        options: &BrowserOptions,
        generation: u64,
        process: &ChromeProcess,
    ) -> Result<(Browser, JoinHandle<()>, Tap, String), BrowserError> {
        let tap = Tap::start(process.ws_url()).await?;
        let config = HandlerConfig {
            // chromiumoxide ignores certificate errors unless told otherwise.
            ignore_https_errors: options.insecure,
            ignore_invalid_messages: true,
            viewport: None,
            context_ids: Vec::new(),
            request_timeout: options.page_timeout + COMMAND_TIMEOUT,
            request_intercept: false,
            cache_enabled: true,
        };
        let (browser, mut handler) = Browser::connect_with_config(tap.url.clone(), config)
            .await
            .map_err(|e| BrowserError::Connect {
                url: process.ws_url().to_string(),
                reason: e.to_string(),
            })?;
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if let Err(error) = event {
                    tracing::debug!(%error, generation, "the DevTools connection ended");
                    break;
                }
            }
        });
        let command = |method: &str, reason: CallError| BrowserError::Command {
            method: method.to_string(),
            reason: reason.to_string(),
        };
        let version = tap
            .call(None, "Browser.getVersion", json!({}), COMMAND_TIMEOUT)
            .await
            .map_err(|e| command("Browser.getVersion", e))?;
        // A visitor's browser downloads a PDF; ours must not fill the disk.
        tap.call(
            None,
            "Browser.setDownloadBehavior",
            json!({"behavior": "deny"}),
            COMMAND_TIMEOUT,
        )
        .await
        .map_err(|e| command("Browser.setDownloadBehavior", e))?;
        let product = version
            .get("product")
            .and_then(Value::as_str)
            .unwrap_or("Chromium/unknown");
        let agent = version
            .get("userAgent")
            .and_then(Value::as_str)
            .unwrap_or("")
            .replace("HeadlessChrome", "Chrome");
        let user_agent = format!("{agent} {}", options.user_agent_suffix)
            .trim()
            .to_string();
        tracing::info!(%product, "Chromium started");
        Ok((browser, handler, tap, user_agent))
    }

    /// A tab with the hook and listeners attached, on about:blank.
    async fn open_tab(&self) -> Result<Tab, CallError> {
        let page = self
            .browser
            .new_page("about:blank")
            .await
            .map_err(|e| CallError::Protocol {
                method: "Target.createTarget".into(),
                message: e.to_string(),
            })?;
        let session = page.session_id().as_ref().to_string();
        let events = self.tap.subscribe(&session);
        let sid = Some(session.as_str());
        for (method, params) in [
            ("Runtime.enable", json!({})),
            ("Network.enable", json!({})),
            ("Page.enable", json!({})),
            ("Runtime.addBinding", json!({"name": BINDING})),
            (
                "Page.addScriptToEvaluateOnNewDocument",
                json!({"source": include_str!("hook.js")}),
            ),
            (
                "Network.setUserAgentOverride",
                json!({"userAgent": self.user_agent, "acceptLanguage": "en-GB,en;q=0.9"}),
            ),
        ] {
            self.tap.call(sid, method, params, COMMAND_TIMEOUT).await?;
        }
        Ok(Tab {
            page,
            session,
            events,
        })
    }

    async fn close_tab(&self, tab: Tab) {
        self.tap.unsubscribe(&tab.session);
        let target = tab.page.target_id().as_ref().to_string();
        let _ = self
            .tap
            .call(
                None,
                "Target.closeTarget",
                json!({"targetId": target}),
                Duration::from_secs(5),
            )
            .await;
    }

    fn is_dead(&self) -> bool {
        self.tap.is_closed()
    }

    async fn stop(&self) {
        self.process.lock().await.kill().await;
        self.handler.abort();
    }
}

/// Why a visit could not finish.
enum Failure {
    /// The tab or the browser died: worth one retry on a fresh one.
    Crashed(String),
    /// The page itself failed; the tab is unusable and is closed.
    Page(PageVisit),
}

/// A page visit that reached its end, and whether its tab can be reused.
struct Done {
    visit: PageVisit,
    reusable: bool,
}

/// Headless Chromium driven over the DevTools protocol.
pub struct BrowserEngine {
    options: BrowserOptions,
    /// The SSRF guard every connection of Chromium goes through; it outlives browser restarts.
    proxy: Proxy,
    running: RwLock<Option<Arc<Running>>>,
    tabs: Semaphore,
    info: BrowserInfo,
    /// Cookies recorded from headers or script writes, over the whole crawl.
    accounted: Mutex<HashSet<CookieKey>>,
    /// Cookies seen only in the jar so far, with the first page (crawl order) they were seen on.
    jar_only: Mutex<BTreeMap<CookieKey, (PageRef, CookieRecord)>>,
    restarts: AtomicU32,
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
            options,
            proxy,
            running: RwLock::new(Some(Arc::new(running))),
            info: BrowserInfo {
                version,
                cookie_policy: COOKIE_POLICY.to_string(),
            },
            accounted: Mutex::default(),
            jar_only: Mutex::default(),
            restarts: AtomicU32::new(0),
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

    async fn current(&self) -> Option<Arc<Running>> {
        self.running.read().await.clone()
    }

    /// The most one visit can take: the page timeout, the settle time and its cap, and the
    /// commands that read the page and return the tab to about:blank.
    fn visit_budget(&self) -> Duration {
        self.options.page_timeout + self.options.settle + SETTLE_CAP_EXTRA + COMMAND_TIMEOUT * 2
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

    async fn take_tab(&self, running: &Running) -> Result<Tab, CallError> {
        let idle = running.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match idle {
            Some(tab) => Ok(tab),
            None => running.open_tab().await,
        }
    }

    async fn visit_with_retry(&self, task: &PageTask, ctx: &CrawlContext) -> PageVisit {
        let _tab_permit = self.tabs.acquire().await.expect("never closed");
        let mut last_crash = String::new();
        for attempt in 0..2 {
            let Some(running) = self.current().await else {
                return PageVisit::failed("the browser was already shut down");
            };
            // Every step is bounded: chromiumoxide can wait forever for target events it failed
            // to decode (its issues 229 and 266), and a dead browser must not hang the crawl.
            let opened = tokio::time::timeout(COMMAND_TIMEOUT, self.take_tab(&running))
                .await
                .unwrap_or(Err(CallError::Timeout {
                    method: "Target.createTarget".into(),
                    secs: COMMAND_TIMEOUT.as_secs(),
                }));
            let outcome = match opened {
                Ok(mut tab) => {
                    let budget = self.visit_budget();
                    let outcome = match tokio::time::timeout(
                        budget,
                        self.visit_once(&running, &mut tab, task, ctx),
                    )
                    .await
                    {
                        Ok(outcome) => outcome,
                        Err(_) => Err(Failure::Crashed(format!(
                            "the tab did not finish the page within {}s",
                            budget.as_secs()
                        ))),
                    };
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
                Err(e) => Err(Failure::Crashed(format!("could not open a tab: {e}"))),
            };
            match outcome {
                Ok(done) => return done.visit,
                Err(Failure::Page(visit)) => return visit,
                Err(Failure::Crashed(why)) => {
                    tracing::warn!(url = %task.page.url, attempt, %why, "the browser or its tab crashed");
                    last_crash = why;
                    // A browser that cannot even open a tab is as good as dead: replace it.
                    let wedged = last_crash.starts_with("could not open a tab");
                    let dead =
                        wedged || running.is_dead() || running.process.lock().await.has_exited();
                    if dead && let Err(e) = self.restart(running.generation).await {
                        return PageVisit::failed(format!(
                            "the browser crashed ({last_crash}) and could not be restarted: {e}"
                        ));
                    }
                }
            }
        }
        PageVisit::failed(format!(
            "the browser crashed on this page twice (retried once): {last_crash}"
        ))
    }

    /// One visit on one tab: about:blank → the page → settled → read → about:blank.
    async fn visit_once(
        &self,
        running: &Running,
        tab: &mut Tab,
        task: &PageTask,
        ctx: &CrawlContext,
    ) -> Result<Done, Failure> {
        let url = &task.page.url;
        let tap = &running.tap;
        let sid = Some(tab.session.as_str());
        let crashed = |e: CallError| match e {
            CallError::Closed => Failure::Crashed(e.to_string()),
            other => Failure::Page(PageVisit::failed(other)),
        };
        // Whatever the last page left behind on the way to about:blank is not this page's.
        while tab.events.try_recv().is_ok() {}

        let host = host_of(url);
        let slot = ctx.limiter.acquire(&host).await;
        let started = Instant::now();
        let deadline = started + self.options.page_timeout;
        let navigated = tap
            .call(
                sid,
                "Page.navigate",
                json!({"url": url.as_str()}),
                self.options.page_timeout,
            )
            .await
            .map_err(crashed)?;
        let loader = navigated
            .get("loaderId")
            .and_then(Value::as_str)
            .map(str::to_string);
        let nav_error = navigated
            .get("errorText")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        let mut capture = Capture::new(loader);
        let mut slot = Some(slot);
        // A navigation that failed outright has nothing more to load.
        let mut load_at = nav_error.is_some().then(Instant::now);
        let mut inflight: HashSet<String> = HashSet::new();
        let mut quiet_since: Option<Instant> = Some(Instant::now());
        let mut timed_out = false;
        // Decoded bytes of the main document so far: a 50 MB page or a gzip bomb is stopped at
        // --max-body-bytes, as the HTTP engine stops reading it.
        let mut document_bytes: u64 = 0;
        let mut cut = false;
        loop {
            let wake = match load_at {
                None => deadline,
                Some(at) => {
                    let cap = at + self.options.settle + SETTLE_CAP_EXTRA;
                    match quiet_since {
                        Some(since) if inflight.is_empty() => {
                            (since + self.options.settle).min(cap)
                        }
                        _ => cap,
                    }
                }
            };
            let event = match tokio::time::timeout_at(wake, tab.events.recv()).await {
                Ok(Some(event)) => event,
                Ok(None) => {
                    return Err(Failure::Crashed("the connection to Chromium closed".into()));
                }
                Err(_) => {
                    if load_at.is_none() {
                        timed_out = true;
                    }
                    break;
                }
            };
            tracing::trace!(method = %event.method, "event");
            capture.push(&event);
            let id = event
                .params
                .get("requestId")
                .and_then(Value::as_str)
                .unwrap_or("");
            match event.method.as_str() {
                "Network.requestWillBeSent" => {
                    let url = event
                        .params
                        .pointer("/request/url")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if !url.starts_with("data:") && !url.starts_with("blob:") {
                        inflight.insert(id.to_string());
                    }
                }
                "Network.loadingFinished" | "Network.loadingFailed" => {
                    inflight.remove(id);
                    if event.method == "Network.loadingFailed"
                        && capture.main_request() == Some(id)
                        && load_at.is_none()
                    {
                        // The document failed: its error page's load is not worth waiting for.
                        load_at = Some(Instant::now());
                    }
                }
                "Network.dataReceived" if !cut && capture.main_request() == Some(id) => {
                    document_bytes += event
                        .params
                        .get("dataLength")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                    if document_bytes > ctx.options.max_body_bytes {
                        cut = true;
                        let _ = tap
                            .call(sid, "Page.stopLoading", json!({}), COMMAND_TIMEOUT)
                            .await;
                        ctx.body_truncated(url);
                        load_at.get_or_insert_with(Instant::now);
                    }
                }
                // The previous visit's way back to about:blank may fire its load event late, after
                // this navigation began: only a load after this document's response counts.
                "Page.loadEventFired" if load_at.is_none() && capture.main.status.is_some() => {
                    load_at = Some(Instant::now());
                    // Politeness counts navigations: the slot is held until the page loaded.
                    slot = None;
                }
                "Page.javascriptDialogOpening" => {
                    // alert() would block the page; a visitor who does not click sees nothing more.
                    let _ = tap
                        .call(
                            sid,
                            "Page.handleJavaScriptDialog",
                            json!({"accept": false}),
                            COMMAND_TIMEOUT,
                        )
                        .await;
                }
                "Inspector.targetCrashed" => {
                    return Err(Failure::Crashed("the tab crashed".into()));
                }
                "Inspector.detached" => {
                    return Err(Failure::Crashed("the tab was detached".into()));
                }
                _ => {}
            }
            if inflight.is_empty() {
                quiet_since.get_or_insert_with(Instant::now);
            } else {
                quiet_since = None;
            }
        }
        drop(slot);
        if timed_out {
            let _ = tap
                .call(sid, "Page.stopLoading", json!({}), COMMAND_TIMEOUT)
                .await;
        }

        let main = capture.main.clone();
        let status = main.status.or_else(|| capture.main_extra_status());
        let final_url = main
            .url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let mut visit = PageVisit {
            final_url: final_url.clone(),
            status,
            outcome: VisitStatus::Loaded,
            links: Vec::new(),
            html: None,
        };
        let error = main.error.clone().or(nav_error);
        // A tunnel the proxy did not open reaches Chromium only as ERR_TUNNEL_CONNECTION_FAILED:
        // the proxy knows why.
        let error = match (&error, capture.main_last_url()) {
            (Some(e), Some(last)) if e.contains("ERR_TUNNEL_CONNECTION_FAILED") => {
                self.proxy.tunnel_failure(&last).or(error)
            }
            _ => error,
        };
        let is_html = main
            .mime_type
            .as_deref()
            .is_none_or(|m| html::is_html(Some(m)));
        if let Some(verdict) = &main.proxy_verdict {
            // The proxy answered instead of the site (a refused or unreachable target): the page
            // failed as it does with the HTTP engine, with the guard's reason.
            visit.status = None;
            visit.final_url = None;
            visit.outcome = VisitStatus::Failed {
                error: verdict.clone(),
            };
        } else if status.is_none() {
            visit.outcome = VisitStatus::Failed {
                error: match (&error, timed_out) {
                    (Some(e), _) if e.starts_with("net::") => {
                        format!("the browser could not load the page: {e}")
                    }
                    // The proxy's own words, as the HTTP engine would say them.
                    (Some(e), _) => e.clone(),
                    (None, true) => format!(
                        "no response within {}s",
                        self.options.page_timeout.as_secs()
                    ),
                    (None, false) => "no response".to_string(),
                },
            };
        } else if main.status.is_none() && status.is_some_and(|s| (300..400).contains(&s)) {
            // Redirected, and no response ever ended the chain: a loop, or more hops than
            // Chromium follows (20).
            visit.outcome = VisitStatus::Failed {
                error: format!(
                    "the browser could not load the page: {}",
                    error.as_deref().unwrap_or("its redirects did not end")
                ),
            };
        } else if status.is_some_and(|s| s >= 400) {
            visit.outcome = VisitStatus::HttpError;
        } else if !is_html || (error.is_some() && main.mime_type.is_none()) {
            visit.outcome = VisitStatus::NotHtml {
                content_type: main
                    .mime_type
                    .clone()
                    .unwrap_or_else(|| "unknown (a download)".into()),
            };
        } else {
            if timed_out {
                ctx.error(
                    url,
                    format!(
                        "the page did not finish loading within {}s; it was read as it was",
                        self.options.page_timeout.as_secs()
                    ),
                );
            }
            let dom = tap
                .call(
                    sid,
                    "Runtime.evaluate",
                    json!({
                        // Cut in the page at --max-body-bytes (UTF-16 units, close enough): a
                        // 50 MB DOM never crosses the DevTools connection.
                        "expression": format!(
                            "(() => {{ const h = document.documentElement ? document.documentElement.outerHTML : ''; \
                             return [location.href, h.slice(0, {max}), h.length > {max}]; }})()",
                            max = ctx.options.max_body_bytes
                        ),
                        "returnByValue": true
                    }),
                    COMMAND_TIMEOUT,
                )
                .await
                .map_err(crashed)?;
            let values = dom.pointer("/result/value").and_then(Value::as_array);
            let href = values
                .and_then(|v| v.first())
                .and_then(Value::as_str)
                .and_then(|u| Url::parse(u).ok());
            let html = values
                .and_then(|v| v.get(1))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if !cut
                && values
                    .and_then(|v| v.get(2))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            {
                ctx.body_truncated(url);
            }
            let base = final_url.clone().or(href).unwrap_or_else(|| url.clone());
            let found = html::extract(&html, &base);
            if !found.nofollow {
                visit.links = found.links;
            }
            if task.keep_html {
                visit.html = Some(html);
            }
        }

        // Record: headers and script writes first, then what only the jar knows.
        let received_at = chrono::Utc::now();
        let keys = capture.record(ctx, &task.page, received_at);
        if capture.raw_fallbacks > 0 {
            tracing::debug!(url = %url, count = capture.raw_fallbacks, "events read from raw JSON");
        }
        self.accounted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(keys);
        let jar = tap
            .call(None, "Storage.getCookies", json!({}), COMMAND_TIMEOUT)
            .await
            .map_err(crashed)?;
        self.note_jar(&jar, &task.page);
        for refusal in self.proxy.claim_refusals(&capture.asked_authorities()) {
            ctx.error(&refusal.url, &refusal.reason);
        }

        // Back to about:blank: timers and late requests of this page stop here.
        let reusable = tap
            .call(
                sid,
                "Page.navigate",
                json!({"url": "about:blank"}),
                COMMAND_TIMEOUT,
            )
            .await
            .is_ok();
        Ok(Done { visit, reusable })
    }

    fn note_jar(&self, jar: &Value, page: &PageRef) {
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
            let key = record.key();
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
