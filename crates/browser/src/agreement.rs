//! Both engines held to what Chromium keeps. Each engine reports a cookie through the one
//! Set-Cookie parser (`cookie_audit_model::set_cookie`) from the headers it captured, so every odd
//! header read differently from the browser is a cookie reported that no visitor stores, or one
//! missed.
//!
//! Each case of the corpus (`testdata/set-cookie/agreement.txt`, read by [`corpus`]) is served
//! alone — over http by a raw server (so control characters, bare carriage returns and bytes that
//! are not UTF-8 reach the wire), or over https (what `Secure`, the prefixes, `SameSite=None` and
//! `Partitioned` need) — and:
//! - loaded by a real Chromium through the engine's own plumbing (the guard proxy, the DevTools
//!   tap) into an empty jar;
//! - read by the browser engine's capture path from the raw events of that load
//!   (`Capture::header_cookies`), which must also explain every cookie of the jar (or the engine
//!   would report a second, jar-only one);
//! - fetched by the HTTP engine's client (`HttpClient::get`, `set_cookie_lines`).
//!
//! Each engine's prediction must equal Chromium's jar: the same cookies, each with its name,
//! value, domain, host-only, path, Secure, HttpOnly, SameSite, session and expiry.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use chromiumoxide::Browser;
use chrono::{DateTime, Utc};
use cookie_audit_crawl::fetch::ACCEPT_HTML;
use cookie_audit_crawl::net::{ClientOptions, Guard, HttpClient};
use cookie_audit_fixtures::FixtureServer;
use cookie_audit_fixtures::raw::{Behaviour, RawServer, Step, response};
use cookie_audit_model::set_cookie::{SetCookieContext, interpret_set_cookie};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use url::Url;

use crate::capture::{Capture, jar_match_key, jar_record};
use crate::launch::{ChromeProcess, LaunchOptions, find_chrome};
use crate::proxy::Proxy;
use crate::tap::{RawEvent, Tap};

mod corpus;
mod kept;

use corpus::{Case, Scheme};
use kept::{Kept, same_jar};

/// Bounds each DevTools command and each page load.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long after the load event the document's raw headers may still come.
const EXTRA_INFO_GRACE: Duration = Duration::from_secs(2);

/// The host the lines are served from (mapped to 127.0.0.1): a council's, under the public
/// suffix `gov.uk`.
const HOST: &str = "www.odd.gov.uk";

/// The corpus file, read once (the servers' handlers are plain functions).
fn corpus() -> &'static [Case] {
    static CORPUS: OnceLock<Vec<Case>> = OnceLock::new();
    CORPUS.get_or_init(|| corpus::load().unwrap_or_else(|e| panic!("{e}")))
}

/// The `n`-th case served over `scheme`.
fn case(scheme: Scheme, n: usize) -> Option<&'static Case> {
    corpus().iter().filter(|c| c.scheme == scheme).nth(n)
}

/// `/c/N` as a number.
fn case_number(path: &str) -> Option<usize> {
    path.strip_prefix("/c/")?.parse().ok()
}

/// `/c/N` answers with the N-th https case (the TLS fixture).
async fn serve_secure(request: axum::extract::Request) -> axum::response::Response {
    let value = case_number(request.uri().path())
        .and_then(|n| case(Scheme::Https, n))
        .and_then(|c| http::HeaderValue::from_bytes(&c.bytes).ok());
    let mut response =
        axum::response::Response::new(axum::body::Body::from("<!DOCTYPE html><p>one cookie</p>"));
    match value {
        Some(value) => {
            let headers = response.headers_mut();
            headers.insert("content-type", "text/html".parse().unwrap());
            headers.insert("set-cookie", value);
        }
        None => *response.status_mut() = http::StatusCode::NOT_FOUND,
    }
    response
}

/// `/c/N` answers with the N-th http case as its only Set-Cookie, bytes as written.
fn serve(path: &str) -> Vec<Step> {
    let Some(case) = case_number(path).and_then(|n| case(Scheme::Http, n)) else {
        return vec![Step::Write(response("404 Not Found", &[], b""))];
    };
    let mut header = b"Set-Cookie: ".to_vec();
    header.extend_from_slice(&case.bytes);
    vec![Step::Write(response(
        "200 OK",
        &[b"Content-Type: text/html", &header],
        b"<!DOCTYPE html><p>one cookie</p>",
    ))]
}

/// Chromium as the engine drives it: through the guard proxy, its events read raw by the tap.
struct Chromium {
    process: ChromeProcess,
    tap: Tap,
    session: String,
    events: UnboundedReceiver<RawEvent>,
    handling: JoinHandle<()>,
    /// Keeps chromiumoxide's targets and sessions alive.
    _browser: Browser,
}

/// One load of a case.
struct Load {
    received_at: DateTime<Utc>,
    capture: Capture,
    /// `Storage.getCookies`, as DevTools sent it.
    jar: Vec<Value>,
    /// Chromium's reason when the navigation failed (a NUL byte in the head).
    error: Option<String>,
}

impl Chromium {
    async fn start(proxy: &Proxy) -> Chromium {
        let chrome = find_chrome(None).unwrap_or_else(|e| {
            panic!("this test needs Chromium: {e}. On Debian/Ubuntu: `apt-get install chromium`")
        });
        // The https fixture's certificate is self-signed; what a secure origin means for cookies
        // does not change.
        let process = ChromeProcess::start(&LaunchOptions {
            chrome,
            insecure: true,
            proxy: proxy.addr(),
        })
        .await
        .expect("Chromium starts");
        let tap = Tap::start(process.ws_url(), None)
            .await
            .expect("the tap connects");
        let (browser, mut handler) = Browser::connect(tap.url.clone())
            .await
            .expect("DevTools answers");
        let handling = tokio::spawn(async move { while handler.next().await.is_some() {} });
        let page = browser.new_page("about:blank").await.unwrap();
        let session = page.session_id().as_ref().to_string();
        let events = tap.subscribe(&session);
        for method in ["Network.enable", "Page.enable"] {
            tap.call(Some(&session), method, json!({}), STEP_TIMEOUT)
                .await
                .unwrap_or_else(|e| panic!("{method}: {e}"));
        }
        Chromium {
            process,
            tap,
            session,
            events,
            handling,
            _browser: browser,
        }
    }

    async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.tap
            .call(session, method, params, STEP_TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Loads `url` into an empty jar and reads the jar once the page has loaded.
    async fn load(&mut self, url: &Url) -> Load {
        self.call(None, "Storage.clearCookies", json!({})).await;
        while self.events.try_recv().is_ok() {}
        let received_at = Utc::now();
        let session = self.session.clone();
        let navigated = self
            .call(
                Some(&session),
                "Page.navigate",
                json!({"url": url.as_str()}),
            )
            .await;
        let loader = navigated
            .get("loaderId")
            .and_then(Value::as_str)
            .map(str::to_string);
        let error = navigated
            .get("errorText")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut capture = Capture::new(loader);
        let mut deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        let mut loaded = false;
        loop {
            // The document's raw headers travel apart from its other events and may come after
            // the load event (seen on a loaded machine): wait for them too, a little.
            if loaded && capture.main_extra_status().is_some() {
                break;
            }
            let event = if error.is_some() {
                // No page to wait for: take what already arrived.
                self.events.try_recv().ok()
            } else {
                tokio::time::timeout_at(deadline, self.events.recv())
                    .await
                    .ok()
                    .flatten()
            };
            let Some(event) = event else { break };
            capture.push(&event);
            if event.method == "Page.loadEventFired" && !loaded {
                loaded = true;
                deadline = deadline.min(tokio::time::Instant::now() + EXTRA_INFO_GRACE);
            }
        }
        let jar = self.call(None, "Storage.getCookies", json!({})).await;
        Load {
            received_at,
            capture,
            jar: jar
                .get("cookies")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            error,
        }
    }

    async fn stop(mut self) {
        self.handling.abort();
        self.process.kill().await;
    }
}

/// What the browser engine records from a load's headers and still holds; `Err` names a jar
/// cookie no header explains (the engine would report it a second time, as jar-only).
fn browser_engine_jar(load: &Load) -> Result<Vec<Kept>, String> {
    let cookies = load.capture.header_cookies(load.received_at);
    let explained: HashSet<_> = cookies.iter().map(|c| jar_match_key(&c.record)).collect();
    for cookie in &load.jar {
        let key = jar_record(cookie, load.received_at).map(|r| jar_match_key(&r));
        if !key.as_ref().is_some_and(|k| explained.contains(k)) {
            return Err(format!("the jar's {key:?} is explained by no header"));
        }
    }
    Ok(cookies
        .iter()
        .filter_map(|c| Kept::from_record(&c.record, load.received_at))
        .collect())
}

/// What the HTTP engine records from a fetch of `url` and a browser would keep.
async fn http_engine_jar(client: &HttpClient, url: &Url) -> Result<Vec<Kept>, String> {
    let response = client
        .get(url, None, ACCEPT_HTML)
        .await
        .map_err(|e| e.to_string())?;
    let ctx = SetCookieContext {
        request_url: url,
        server_date: response.server_date(),
        received_at: response.received_at,
    };
    Ok(response
        .set_cookie_lines()
        .iter()
        .filter_map(|line| Kept::from_record(&interpret_set_cookie(line, &ctx), ctx.received_at))
        .collect())
}

/// Every case's URL, numbered within its scheme (what [`case`] looks up).
fn case_urls<'a>(raw: &RawServer, tls: &FixtureServer) -> Vec<(Url, &'a Case)> {
    let (mut http_served, mut https_served) = (0usize, 0usize);
    corpus()
        .iter()
        .map(|case| {
            let slot = match case.scheme {
                Scheme::Http => &mut http_served,
                Scheme::Https => &mut https_served,
            };
            let n = *slot;
            *slot += 1;
            let url = match case.scheme {
                Scheme::Http => format!("http://{HOST}:{}/c/{n}", raw.port()),
                Scheme::Https => tls.https_url(HOST, &format!("/c/{n}")),
            };
            (Url::parse(&url).unwrap(), case)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_predict_chromiums_jar() {
    // axum refuses what is not a header value: such a case belongs in the http section.
    for case in corpus().iter().filter(|c| c.scheme == Scheme::Https) {
        assert!(
            http::HeaderValue::from_bytes(&case.bytes).is_ok(),
            "{} line {}: an https case must be a valid header value",
            corpus::CORPUS_PATH,
            case.line
        );
    }
    let raw = RawServer::start("127.0.0.1:0".parse().unwrap(), Behaviour::Scripted(serve))
        .await
        .unwrap();
    let tls = FixtureServer::start(|_| axum::Router::new().fallback(serve_secure), &[HOST])
        .await
        .unwrap();
    let resolve = [(HOST.to_string(), "127.0.0.1".parse().unwrap())];
    let proxy = Proxy::start(Guard::new(resolve.clone(), true, false), STEP_TIMEOUT)
        .await
        .unwrap();
    let client = HttpClient::new(&ClientOptions {
        timeout: STEP_TIMEOUT,
        user_agent: "cookie-audit-agreement".into(),
        insecure: true,
        offline: true,
        allow_private: false,
        resolve: resolve.into(),
    })
    .unwrap();
    let mut chromium = Chromium::start(&proxy).await;

    let cases = case_urls(&raw, &tls);
    let mut disagreements = Vec::new();
    for (url, case) in &cases {
        let load = chromium.load(url).await;
        let jar: Vec<Kept> = load.jar.iter().map(Kept::from_devtools).collect();
        let predictions = [
            ("browser engine", browser_engine_jar(&load)),
            ("HTTP engine", http_engine_jar(&client, url).await),
        ];
        for (engine, predicted) in predictions {
            let agrees = match &predicted {
                Ok(ours) => same_jar(ours, &jar),
                // A response Chromium refused whole (a NUL byte in the head) fails the engine's
                // fetch too: no cookie on either side.
                Err(_) => load.error.is_some() && jar.is_empty(),
            };
            if agrees {
                continue;
            }
            let shown: String = String::from_utf8_lossy(&case.bytes)
                .chars()
                .take(80)
                .collect();
            disagreements.push(format!(
                "line {} {url} `{}` — {engine}:\n  predicted: {predicted:?}\n  Chromium:  {jar:?}{}",
                case.line,
                shown.escape_debug(),
                load.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default(),
            ));
        }
    }
    chromium.stop().await;
    eprintln!(
        "{} cases, {} http and {} https, loaded in Chromium and read by both engines",
        cases.len(),
        cases
            .iter()
            .filter(|(_, c)| c.scheme == Scheme::Http)
            .count(),
        cases
            .iter()
            .filter(|(_, c)| c.scheme == Scheme::Https)
            .count(),
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements over {} cases:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}
