//! The visit of one page on one tab, step by step: navigate → settle (`settle.rs`) → classify
//! (`classify.rs`) → read the rendered DOM → record the cookies → leave the tab ready for the next
//! page (straight there when this one settled quietly, through about:blank otherwise).

use std::collections::HashSet;

use cookie_audit_crawl::html;
use cookie_audit_crawl::{CrawlContext, PageTask, PageVisit, VisitStatus};
use cookie_audit_model::url_norm::host_of;
use serde_json::{Value, json};
use tokio::time::Instant;
use url::Url;

use crate::capture::{BINDING, Capture};
use crate::classify::{DocumentFacts, classify};
use crate::engine::{BrowserEngine, COMMAND_TIMEOUT};
use crate::error::{CallError, DocumentError, NetError, VisitFailure};
use crate::running::{Running, Shown, Tab};
use crate::settle::{ACTIVITY_BINDING, Activity, Next, Settle, SettleEnd};
use crate::tap::RawEvent;

/// How long the page's main thread may take to answer before the engine stops waiting on it: a
/// page busy that long is still working, and the settle rule waits on (up to its cap).
const BARRIER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// A page visit that reached its end, and whether its tab can be reused.
pub(crate) struct Done {
    pub visit: PageVisit,
    pub reusable: bool,
}

/// What `Page.navigate` answered.
struct Navigation {
    /// The main document's request id.
    loader: Option<String>,
    error: Option<DocumentError>,
}

/// What a visit watches while the page settles: the capture, the settle rule, and what must not
/// be counted (a previous page's late requests when the tab went straight on). `Slot` is the
/// crawl's politeness slot (its type is the crawl's own).
struct Watch<Slot> {
    capture: Capture,
    settle: Settle,
    /// The politeness slot, held until the page loaded: politeness counts navigations.
    slot: Option<Slot>,
    /// The page the tab showed before, when it went straight on from it.
    previous_loader: Option<String>,
    /// Requests of that previous page: neither this page's cookies nor its activity.
    foreign: HashSet<String>,
    /// Decoded bytes of the main document so far: a 50 MB page or a gzip bomb is stopped at
    /// `--max-body-bytes`, as the HTTP engine stops reading it.
    document_bytes: u64,
    cut: bool,
}

/// What the event loop must do about one event, beyond what `Watch` updated itself.
enum Reaction {
    Nothing,
    /// The document passed `--max-body-bytes`: stop loading it.
    StopLoading,
    /// A dialog is open; `leave` for a `beforeunload` prompt (leaving is what a crawl does).
    AnswerDialog {
        leave: bool,
    },
}

impl<Slot> Watch<Slot> {
    /// Takes one event that arrived `now`.
    fn take(
        &mut self,
        event: &RawEvent,
        now: Instant,
        max_body: u64,
    ) -> Result<Reaction, VisitFailure> {
        let p = &event.params;
        let id = p.get("requestId").and_then(Value::as_str).unwrap_or("");
        let is_main = self.capture.main_request() == Some(id);
        if self.is_foreign(event, id, is_main) {
            return Ok(Reaction::Nothing);
        }
        self.capture.push(event);
        match event.method.as_str() {
            "Network.requestWillBeSent" => {
                // Only what goes over the network: Chromium's PDF viewer (`chrome-extension:`)
                // streams its document for ever, and `data:` or `blob:` URLs never wait.
                let url = p.pointer("/request/url").and_then(Value::as_str);
                if url.is_some_and(|u| u.starts_with("http:") || u.starts_with("https:")) {
                    self.settle.request_started(id, now);
                }
            }
            "Network.loadingFinished" | "Network.loadingFailed" => {
                self.settle.request_ended(id, now);
                if event.method == "Network.loadingFailed" && is_main {
                    // The document failed: its error page's load is not worth waiting for.
                    self.settle.loaded(now);
                }
            }
            "Network.dataReceived" if is_main && !self.cut => {
                self.document_bytes += p.get("dataLength").and_then(Value::as_u64).unwrap_or(0);
                if self.document_bytes > max_body {
                    self.cut = true;
                    self.settle.loaded(now);
                    return Ok(Reaction::StopLoading);
                }
            }
            // The previous visit's way back to about:blank may fire its load event late, after
            // this navigation began: only a load after this document's response counts.
            "Page.loadEventFired" if self.capture.main.status.is_some() => {
                self.settle.loaded(now);
                self.slot = None;
            }
            "Page.javascriptDialogOpening" => {
                let leave = p.get("type").and_then(Value::as_str) == Some("beforeunload");
                return Ok(Reaction::AnswerDialog { leave });
            }
            "Runtime.bindingCalled" => match p.get("name").and_then(Value::as_str) {
                Some(BINDING) => self.settle.wrote(now),
                Some(ACTIVITY_BINDING) => {
                    if let Some(report) = p
                        .get("payload")
                        .and_then(Value::as_str)
                        .and_then(Activity::parse)
                    {
                        self.settle.activity(&report, now);
                    }
                }
                _ => {}
            },
            "Inspector.targetCrashed" => return Err(VisitFailure::TabCrashed),
            "Inspector.detached" => return Err(VisitFailure::TabDetached),
            _ => {}
        }
        Ok(Reaction::Nothing)
    }

    /// Whether an event belongs to the page the tab showed before this one. Before this page's
    /// response arrived, only its own request can be about it (its document does not exist yet);
    /// after it, requests the previous document started are still told apart by their loader.
    fn is_foreign(&mut self, event: &RawEvent, id: &str, is_main: bool) -> bool {
        if is_main {
            return false;
        }
        let responded = self.capture.main.status.is_some();
        match event.method.as_str() {
            "Runtime.bindingCalled" => !responded,
            "Network.requestWillBeSent" => {
                let loader = event.params.get("loaderId").and_then(Value::as_str);
                let previous =
                    self.previous_loader.is_some() && loader == self.previous_loader.as_deref();
                if previous || !responded {
                    self.foreign.insert(id.to_string());
                }
                previous || !responded
            }
            method if method.starts_with("Network.") => self.foreign.contains(id),
            _ => false,
        }
    }
}

impl BrowserEngine {
    /// One visit on one tab.
    pub(crate) async fn visit_once(
        &self,
        running: &Running,
        tab: &mut Tab,
        task: &PageTask,
        ctx: &CrawlContext,
    ) -> Result<Done, VisitFailure> {
        let url = &task.page.url;
        // Whatever the last page did after it was read is not this page's.
        while tab.events.try_recv().is_ok() {}
        let (straight_on, previous_loader) = match std::mem::replace(&mut tab.shown, Shown::Blank) {
            Shown::SettledPage { loader } => (true, loader),
            Shown::Blank => (false, None),
        };
        let slot = ctx.limiter.acquire(&host_of(url)).await;
        let started = Instant::now();
        let navigation = self.navigate(running, tab, url).await?;
        let mut watch = Watch {
            capture: Capture::new(navigation.loader.clone()),
            settle: Settle::new(
                started,
                self.options.settle,
                started + self.options.page_timeout,
            ),
            slot: Some(slot),
            previous_loader,
            foreign: HashSet::new(),
            document_bytes: 0,
            cut: false,
        };
        if navigation.error.is_some() {
            // A navigation that failed outright has nothing more to load.
            watch.settle.loaded(started);
        }
        let end = self.settle(running, tab, &mut watch, ctx, url).await?;
        drop(watch.slot.take());
        tracing::debug!(url = %url, ?end, straight_on, after_ms = started.elapsed().as_millis() as u64, "settled");
        self.count_visit(end, straight_on);
        let facts = self.document_facts(&watch.capture, navigation.error, end);
        let verdict = classify(&facts);
        let mut visit = PageVisit {
            final_url: verdict.final_url,
            status: verdict.status,
            outcome: verdict.outcome,
            links: Vec::new(),
            html: None,
        };
        if visit.outcome == VisitStatus::Loaded {
            if end == SettleEnd::LoadTimedOut {
                ctx.error(
                    url,
                    format!(
                        "the page did not finish loading within {}s; it was read as it was",
                        self.options.page_timeout.as_secs()
                    ),
                );
            }
            self.read_dom(running, tab, task, ctx, &mut visit, watch.cut)
                .await?;
        }
        self.record(running, &watch.capture, task, ctx).await?;
        let reusable = self.leave(running, tab, end, navigation.loader).await;
        Ok(Done { visit, reusable })
    }

    async fn navigate(
        &self,
        running: &Running,
        tab: &Tab,
        url: &Url,
    ) -> Result<Navigation, VisitFailure> {
        let navigated = running
            .tap
            .call(
                Some(&tab.session),
                "Page.navigate",
                json!({"url": url.as_str()}),
                self.options.page_timeout,
            )
            .await?;
        let text = |key: &str| {
            navigated
                .get(key)
                .and_then(Value::as_str)
                .filter(|e| !e.is_empty())
                .map(str::to_string)
        };
        Ok(Navigation {
            loader: text("loaderId"),
            error: text("errorText").map(|e| DocumentError::from_devtools(&e, None)),
        })
    }

    /// Waits until the page settled (or was capped, or never loaded), taking every event.
    async fn settle(
        &self,
        running: &Running,
        tab: &mut Tab,
        watch: &mut Watch<impl Sized>,
        ctx: &CrawlContext,
        url: &Url,
    ) -> Result<SettleEnd, VisitFailure> {
        loop {
            let wake = match watch.settle.next(Instant::now()) {
                Next::Done(SettleEnd::Quiet) => {
                    if self.confirm_quiet(running, tab, watch, ctx, url).await? {
                        return Ok(SettleEnd::Quiet);
                    }
                    continue;
                }
                Next::Done(end) => {
                    if end == SettleEnd::LoadTimedOut {
                        self.stop_loading(running, tab).await;
                    }
                    return Ok(end);
                }
                Next::WaitUntil(at) => at,
            };
            match tokio::time::timeout_at(wake, tab.events.recv()).await {
                Ok(Some(event)) => self.react(running, tab, watch, ctx, url, event).await?,
                Ok(None) => return Err(VisitFailure::BrowserGone),
                Err(_) => {}
            }
        }
    }

    /// The rule says quiet; the page's main thread gets the last word. Evaluating in the page
    /// runs after everything it had queued (all its frames share that thread), and the hook
    /// reports its timers once more: whatever the page did until now is in the event queue when
    /// the answer arrives. Returns whether the page is still quiet after those events.
    async fn confirm_quiet(
        &self,
        running: &Running,
        tab: &mut Tab,
        watch: &mut Watch<impl Sized>,
        ctx: &CrawlContext,
        url: &Url,
    ) -> Result<bool, VisitFailure> {
        let asked = running
            .tap
            .call(
                Some(&tab.session),
                "Runtime.evaluate",
                json!({"expression": "globalThis.__cookieAuditFlush && globalThis.__cookieAuditFlush()"}),
                BARRIER_TIMEOUT,
            )
            .await;
        match asked {
            Err(CallError::Closed) => return Err(VisitFailure::BrowserGone),
            // Busy for that long: still working, as good as a write.
            Err(CallError::Timeout { .. }) => watch.settle.wrote(Instant::now()),
            // A context that went away (a late navigation) is not an answer either way.
            Err(_) | Ok(_) => {}
        }
        while let Ok(event) = tab.events.try_recv() {
            self.react(running, tab, watch, ctx, url, event).await?;
        }
        Ok(watch.settle.next(Instant::now()) == Next::Done(SettleEnd::Quiet))
    }

    async fn react(
        &self,
        running: &Running,
        tab: &Tab,
        watch: &mut Watch<impl Sized>,
        ctx: &CrawlContext,
        url: &Url,
        event: RawEvent,
    ) -> Result<(), VisitFailure> {
        tracing::trace!(method = %event.method, request = ?event.params.get("requestId"), "event");
        let sid = Some(tab.session.as_str());
        match watch.take(&event, Instant::now(), ctx.options.max_body_bytes)? {
            Reaction::Nothing => {}
            Reaction::StopLoading => {
                self.stop_loading(running, tab).await;
                ctx.body_truncated(url);
            }
            Reaction::AnswerDialog { leave } => {
                // alert() would block the page; a visitor who does not click sees nothing more.
                let _ = running
                    .tap
                    .call(
                        sid,
                        "Page.handleJavaScriptDialog",
                        json!({"accept": leave}),
                        COMMAND_TIMEOUT,
                    )
                    .await;
            }
        }
        Ok(())
    }

    async fn stop_loading(&self, running: &Running, tab: &Tab) {
        let _ = running
            .tap
            .call(
                Some(&tab.session),
                "Page.stopLoading",
                json!({}),
                COMMAND_TIMEOUT,
            )
            .await;
    }

    /// What the main document did, with a tunnel the proxy did not open explained in the
    /// proxy's words (Chromium only says `ERR_TUNNEL_CONNECTION_FAILED`).
    fn document_facts(
        &self,
        capture: &Capture,
        navigation_error: Option<DocumentError>,
        end: SettleEnd,
    ) -> DocumentFacts {
        let error = capture.main.error.clone().or(navigation_error);
        let error = match (&error, capture.main_last_url()) {
            (
                Some(DocumentError::Net {
                    error: NetError::TunnelConnectionFailed,
                    ..
                }),
                Some(last),
            ) => self
                .proxy
                .tunnel_failure(&last)
                .map(DocumentError::Guard)
                .or(error),
            _ => error,
        };
        DocumentFacts {
            main: capture.main.clone(),
            raw_status: capture.main_extra_status(),
            error,
            load_timed_out: end == SettleEnd::LoadTimedOut,
            page_timeout: self.options.page_timeout,
        }
    }

    /// Reads the rendered DOM: its links feed the frontier, and a declaration page keeps it.
    async fn read_dom(
        &self,
        running: &Running,
        tab: &Tab,
        task: &PageTask,
        ctx: &CrawlContext,
        visit: &mut PageVisit,
        already_cut: bool,
    ) -> Result<(), VisitFailure> {
        let max = ctx.options.max_body_bytes;
        let dom = running
            .tap
            .call(
                Some(&tab.session),
                "Runtime.evaluate",
                json!({
                    // Cut in the page at --max-body-bytes (UTF-16 units, close enough): a 50 MB
                    // DOM never crosses the DevTools connection.
                    "expression": format!(
                        "(() => {{ const h = document.documentElement ? document.documentElement.outerHTML : ''; \
                         return [location.href, h.slice(0, {max}), h.length > {max}]; }})()"
                    ),
                    "returnByValue": true
                }),
                COMMAND_TIMEOUT,
            )
            .await?;
        let values = dom.pointer("/result/value").and_then(Value::as_array);
        let value = |i: usize| values.and_then(|v| v.get(i));
        let href = value(0)
            .and_then(Value::as_str)
            .and_then(|u| Url::parse(u).ok());
        let html = value(1).and_then(Value::as_str).unwrap_or("").to_string();
        if !already_cut && value(2).and_then(Value::as_bool).unwrap_or(false) {
            ctx.body_truncated(&task.page.url);
        }
        let base = visit
            .final_url
            .clone()
            .or(href)
            .unwrap_or_else(|| task.page.url.clone());
        let found = html::extract(&html, &base);
        if !found.nofollow {
            visit.links = found.links;
        }
        if task.keep_html {
            visit.html = Some(html);
        }
        Ok(())
    }

    /// Records headers and script writes, then notes what only the jar knows.
    async fn record(
        &self,
        running: &Running,
        capture: &Capture,
        task: &PageTask,
        ctx: &CrawlContext,
    ) -> Result<(), VisitFailure> {
        let keys = capture.record(ctx, &task.page, chrono::Utc::now());
        if capture.raw_fallbacks > 0 {
            tracing::debug!(url = %task.page.url, count = capture.raw_fallbacks, "events read from raw JSON");
        }
        self.accounted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(keys);
        let jar = running
            .tap
            .call(None, "Storage.getCookies", json!({}), COMMAND_TIMEOUT)
            .await?;
        self.note_jar(&jar, &task.page);
        for refusal in self.proxy.claim_refusals(&capture.asked_authorities()) {
            ctx.error(&refusal.url, &refusal.reason);
        }
        Ok(())
    }

    /// Leaves the tab ready for the next page. A page that settled quietly has nothing in flight
    /// and nothing pending: the next page navigates straight from it, and what it might still do
    /// is told apart by its loader. Any other goes back to about:blank, so its late requests and
    /// timers stop here. Returns whether the tab can be reused.
    async fn leave(
        &self,
        running: &Running,
        tab: &mut Tab,
        end: SettleEnd,
        loader: Option<String>,
    ) -> bool {
        if end == SettleEnd::Quiet {
            tab.shown = Shown::SettledPage { loader };
            return true;
        }
        tab.shown = Shown::Blank;
        running
            .tap
            .call(
                Some(&tab.session),
                "Page.navigate",
                json!({"url": "about:blank"}),
                COMMAND_TIMEOUT,
            )
            .await
            .is_ok()
    }
}
