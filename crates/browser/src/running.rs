//! One running browser — the Chromium process, its DevTools connection and tap, and its tabs —
//! and how it presents itself: as a visitor's desktop Chrome.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::target::CreateTargetParams;
use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::{Browser, Page};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::capture::{BINDING, STORAGE_BINDING};
use crate::engine::{BrowserOptions, COMMAND_TIMEOUT};
use crate::error::{BrowserError, CallError};
use crate::launch::{ChromeProcess, LaunchOptions, PROBE_PAGE};
use crate::settle::{ACTIVITY_BINDING, Settle};
use crate::tap::{RawEvent, Tap};
use url::Url;

/// The language a UK visitor's browser asks for.
const ACCEPT_LANGUAGE: &str = "en-GB,en;q=0.9";

/// What the tab showed when its last visit ended, which decides how the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shown {
    /// about:blank: a fresh tab, or one sent back there.
    Blank,
    /// A page that settled quietly (loaded, nothing in flight, nothing pending): the next page
    /// can be navigated to directly. Its loader id names the requests it might still make.
    SettledPage { loader: Option<String> },
}

/// One tab: a page target, its DevTools session and its events.
pub(crate) struct Tab {
    pub page: Page,
    pub session: String,
    pub events: mpsc::UnboundedReceiver<RawEvent>,
    pub shown: Shown,
}

/// One running browser. Replaced as a whole when it crashes.
pub(crate) struct Running {
    pub generation: u64,
    pub process: tokio::sync::Mutex<ChromeProcess>,
    pub pid: u32,
    browser: Browser,
    handler: JoinHandle<()>,
    pub tap: Tap,
    /// Chromium's own user agent as a visitor's Chrome sends it (no `HeadlessChrome`).
    pub user_agent: String,
    /// The client hints (`Sec-CH-UA`, `navigator.userAgentData`) that go with it, read from the
    /// browser itself at start; `Null` when it has none.
    client_hints: Value,
    /// The hook, with the settle horizon filled in.
    hook: String,
    /// `--cookie`s to set in each tab's jar, and whether `--header`s need request interception.
    cookies: Vec<Value>,
    intercept: bool,
    pub idle: Mutex<Vec<Tab>>,
}

impl Running {
    pub(crate) async fn start(
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
        match Self::connect(options, &process).await {
            Ok((browser, handler, tap, user_agent)) => Ok(Running {
                generation,
                pid: process.pid(),
                client_hints: read_client_hints(&browser, &tap, process.profile()).await,
                process: tokio::sync::Mutex::new(process),
                browser,
                handler,
                tap,
                user_agent,
                hook: hook_source(options.settle),
                cookies: options.extras.devtools_cookies(),
                intercept: options.extras.any(),
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
        process: &ChromeProcess,
    ) -> Result<(Browser, JoinHandle<()>, Tap, String), BrowserError> {
        // `--header`s reach the site's requests, and only those, by request interception:
        // answered in the tap itself, so a paused request never waits on a visit's loop.
        let extras = options.extras.clone();
        let interceptor: Option<crate::tap::Interceptor> = extras.any().then(|| {
            std::sync::Arc::new(move |url: &str, cookie: Option<&str>| {
                extras.headers_for(url, cookie)
            }) as _
        });
        let tap = Tap::start(process.ws_url(), interceptor).await?;
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
                    tracing::debug!(%error, "the DevTools connection ended");
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
        let user_agent = visitor_user_agent(
            version
                .get("userAgent")
                .and_then(Value::as_str)
                .unwrap_or(""),
        );
        tracing::info!(%product, %user_agent, "Chromium started");
        Ok((browser, handler, tap, user_agent))
    }

    /// A tab with the hook and listeners attached, on about:blank. Every tab is opened here; a
    /// `context` puts it in a browser context of its own (its own jar, storage and cache), for
    /// isolated runs of one site that share the browser.
    pub(crate) async fn open_tab(
        &self,
        context: Option<BrowserContextId>,
    ) -> Result<Tab, CallError> {
        let params = CreateTargetParams {
            browser_context_id: context,
            ..CreateTargetParams::new("about:blank")
        };
        let page = self
            .browser
            .new_page(params)
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
            ("Runtime.addBinding", json!({"name": ACTIVITY_BINDING})),
            ("Runtime.addBinding", json!({"name": STORAGE_BINDING})),
            (
                "Page.addScriptToEvaluateOnNewDocument",
                json!({"source": self.hook}),
            ),
        ] {
            self.tap.call(sid, method, params, COMMAND_TIMEOUT).await?;
        }
        if !self.cookies.is_empty() {
            // Set in the tab's own browser context, so a consent run's fresh context has them too.
            self.tap
                .call(
                    sid,
                    "Network.setCookies",
                    json!({"cookies": self.cookies}),
                    COMMAND_TIMEOUT,
                )
                .await?;
        }
        if self.intercept {
            let patterns = json!({"patterns": [{"urlPattern": "*", "requestStage": "Request"}]});
            self.tap
                .call(sid, "Fetch.enable", patterns, COMMAND_TIMEOUT)
                .await?;
        }
        let mut agent = json!({"userAgent": self.user_agent, "acceptLanguage": ACCEPT_LANGUAGE});
        if !self.client_hints.is_null() {
            // Without metadata an overridden user agent sends no client hints at all, which no
            // visitor's Chrome does.
            agent["userAgentMetadata"] = self.client_hints.clone();
        }
        self.tap
            .call(sid, "Network.setUserAgentOverride", agent, COMMAND_TIMEOUT)
            .await?;
        Ok(Tab {
            page,
            session,
            events,
            shown: Shown::Blank,
        })
    }

    pub(crate) async fn close_tab(&self, tab: Tab) {
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

    pub(crate) fn is_dead(&self) -> bool {
        self.tap.is_closed()
    }

    pub(crate) async fn stop(&self) {
        self.process.lock().await.kill().await;
        self.handler.abort();
    }
}

/// The hook with the settle horizon filled in: timers due later than the cap are not tracked.
fn hook_source(window: Duration) -> String {
    include_str!("hook.js").replace(
        "__COOKIE_AUDIT_HORIZON_MS__",
        &Settle::cap(window).as_millis().to_string(),
    )
}

/// Chromium's user agent as a visitor's Chrome sends it: headless Chromium names itself
/// `HeadlessChrome`, which sites (and consent libraries hiding from bots) read as a robot.
pub(crate) fn visitor_user_agent(browser_agent: &str) -> String {
    browser_agent.replace("HeadlessChrome", "Chrome")
}

/// The browser's own client hints, read before any override in a page of its own (the probe
/// page in the profile: a secure context), as `Network.setUserAgentOverride` takes them; brands
/// that say "Headless" are left out. `Null` when there are none (then none are sent).
async fn read_client_hints(browser: &Browser, tap: &Tap, profile: &Path) -> Value {
    let Ok(url) = Url::from_file_path(profile.join(PROBE_PAGE)) else {
        return Value::Null;
    };
    let probe = match tokio::time::timeout(COMMAND_TIMEOUT, browser.new_page(url.as_str())).await {
        Ok(Ok(page)) => page,
        Ok(Err(error)) => {
            tracing::warn!(%error, "could not open the client-hints probe; none are sent");
            return Value::Null;
        }
        Err(_) => {
            tracing::warn!("the client-hints probe did not open in time; none are sent");
            return Value::Null;
        }
    };
    let expression = "navigator.userAgentData ? navigator.userAgentData.getHighEntropyValues(\
        ['architecture','bitness','model','platformVersion','fullVersionList','wow64','formFactors']) : null";
    let answer = tap
        .call(
            Some(probe.session_id().as_ref()),
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
            COMMAND_TIMEOUT,
        )
        .await;
    let _ = tap
        .call(
            None,
            "Target.closeTarget",
            json!({"targetId": probe.target_id().as_ref()}),
            COMMAND_TIMEOUT,
        )
        .await;
    match answer {
        Ok(answer) => user_agent_metadata(answer.pointer("/result/value").unwrap_or(&Value::Null)),
        Err(error) => {
            tracing::warn!(%error, "could not read the browser's client hints; none are sent");
            Value::Null
        }
    }
}

/// `navigator.userAgentData.getHighEntropyValues(…)` → DevTools' `UserAgentMetadata`.
pub(crate) fn user_agent_metadata(values: &Value) -> Value {
    let Some(values) = values.as_object() else {
        return Value::Null;
    };
    let brands = |key: &str| -> Value {
        let list = values.get(key).and_then(Value::as_array);
        Value::Array(
            list.into_iter()
                .flatten()
                .filter(|b| {
                    !b.get("brand")
                        .and_then(Value::as_str)
                        .is_some_and(|name| name.contains("Headless"))
                })
                .cloned()
                .collect(),
        )
    };
    let text = |key: &str| values.get(key).and_then(Value::as_str).unwrap_or("");
    let mut metadata = json!({
        "brands": brands("brands"),
        "fullVersionList": brands("fullVersionList"),
        "platform": text("platform"),
        "platformVersion": text("platformVersion"),
        "architecture": text("architecture"),
        "model": text("model"),
        "mobile": values.get("mobile").and_then(Value::as_bool).unwrap_or(false),
        "bitness": text("bitness"),
        "wow64": values.get("wow64").and_then(Value::as_bool).unwrap_or(false),
    });
    if let Some(factors) = values.get("formFactors").filter(|f| f.is_array()) {
        metadata["formFactors"] = factors.clone();
    }
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_is_a_visitors_chrome() {
        assert_eq!(
            visitor_user_agent(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"
            ),
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
        );
    }

    #[test]
    fn client_hints_keep_the_browsers_own_values_without_headless_brands() {
        let values = json!({
            "architecture": "x86", "bitness": "64", "model": "", "platform": "Linux",
            "platformVersion": "", "mobile": false, "wow64": false, "formFactors": ["Desktop"],
            "brands": [{"brand": "Not:A-Brand", "version": "8"}, {"brand": "Chromium", "version": "156"},
                       {"brand": "HeadlessChrome", "version": "156"}],
            "fullVersionList": [{"brand": "Chromium", "version": "156.0.8078.114"}],
            "uaFullVersion": "156.0.8078.114"
        });
        let metadata = user_agent_metadata(&values);
        assert_eq!(
            metadata["brands"],
            json!([{"brand": "Not:A-Brand", "version": "8"}, {"brand": "Chromium", "version": "156"}])
        );
        assert_eq!(metadata["platform"], "Linux");
        assert_eq!(metadata["architecture"], "x86");
        assert_eq!(metadata["mobile"], false);
        assert_eq!(metadata["formFactors"], json!(["Desktop"]));
        // A browser without userAgentData gets no metadata, not an empty one.
        assert!(user_agent_metadata(&Value::Null).is_null());
    }
}
