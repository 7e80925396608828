//! The one Set-Cookie parser (`cookie_audit_model::set_cookie`) judged against what Chromium
//! keeps. The HTTP engine reports a cookie by that parser alone, so every odd header it reads
//! differently from the browser is a cookie reported that no visitor stores, or one missed.
//!
//! Each case of the corpus (`testdata/set-cookie/agreement.txt`, read by [`corpus`]) is served
//! alone — over http by a raw server (so control characters and invalid UTF-8 reach the wire), or
//! over https (what `Secure`, the prefixes, `SameSite=None` and `Partitioned` need) — loaded by a
//! real Chromium through the engine's guard proxy into an empty jar, and the jar compared with the
//! parser's verdict: stored or not, and if stored its name, value, domain, host-only, path,
//! Secure, HttpOnly, SameSite, session and expiry.

use std::sync::OnceLock;
use std::time::Duration;

use chromiumoxide::Browser;
use chromiumoxide::cdp::browser_protocol::network::{Cookie, CookieSameSite};
use chrono::Utc;
use cookie_audit_crawl::net::Guard;
use cookie_audit_fixtures::FixtureServer;
use cookie_audit_fixtures::raw::{Behaviour, RawServer, Step, response};
use cookie_audit_model::set_cookie::{SameSite, SetCookieContext, interpret_set_cookie};
use futures::StreamExt;
use url::Url;

use crate::launch::{ChromeProcess, LaunchOptions, find_chrome};
use crate::proxy::Proxy;

mod corpus;

use corpus::{Case, Scheme};

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

/// What the parser says a browser stores for `line` set by `url`; `None` when it stores
/// nothing (refused, or a header that deletes).
fn expected(line: &[u8], url: &Url) -> Option<Kept> {
    // The engines read header bytes so: invalid UTF-8 replaced, never dropped.
    let text = String::from_utf8_lossy(line);
    let now = Utc::now();
    let record = interpret_set_cookie(
        &text,
        &SetCookieContext {
            request_url: url,
            server_date: None,
            received_at: now,
        },
    );
    if record.rejected.is_some() || record.lifetime.is_deletion() {
        return None;
    }
    let lifetime = record
        .lifetime
        .browser_capped_seconds
        .or(record.lifetime.seconds);
    Some(Kept {
        name: record.name,
        value: record.value,
        domain: record.domain,
        host_only: record.host_only,
        path: record.path,
        secure: record.secure,
        http_only: record.http_only,
        same_site: record.same_site.map(|s| match s {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }),
        expires_at: lifetime.map(|s| now.timestamp().saturating_add(s)),
    })
}

/// A cookie as the jar holds it, in the parser's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kept {
    name: String,
    value: String,
    domain: String,
    host_only: bool,
    path: String,
    secure: bool,
    http_only: bool,
    same_site: Option<&'static str>,
    /// Unix seconds; `None` for a session cookie.
    expires_at: Option<i64>,
}

fn kept(cookie: &Cookie) -> Kept {
    Kept {
        name: cookie.name.clone(),
        value: cookie.value.clone(),
        domain: cookie.domain.trim_start_matches('.').to_string(),
        host_only: !cookie.domain.starts_with('.'),
        path: cookie.path.clone(),
        secure: cookie.secure,
        http_only: cookie.http_only,
        same_site: cookie.same_site.as_ref().map(|s| match s {
            CookieSameSite::Strict => "Strict",
            CookieSameSite::Lax => "Lax",
            CookieSameSite::None => "None",
        }),
        expires_at: (!cookie.session).then_some(cookie.expires as i64),
    }
}

/// Equal, the expiry within a minute (the parser and Chromium read the clock at different
/// moments). A byte that is not UTF-8 is U+FFFD in the parser's strings (the engines read header
/// bytes so) and missing from DevTools' (which drops it): the rest must match.
fn agree(ours: &Kept, chromium: &Kept) -> bool {
    let ours = &Kept {
        name: ours.name.replace('\u{fffd}', ""),
        value: ours.value.replace('\u{fffd}', ""),
        ..ours.clone()
    };
    let expiry = match (ours.expires_at, chromium.expires_at) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 60,
        _ => false,
    };
    expiry
        && Kept {
            expires_at: None,
            ..ours.clone()
        } == Kept {
            expires_at: None,
            ..chromium.clone()
        }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parser_keeps_what_chromium_keeps() {
    let raw = RawServer::start("127.0.0.1:0".parse().unwrap(), Behaviour::Scripted(serve))
        .await
        .unwrap();
    let tls = FixtureServer::start(|_| axum::Router::new().fallback(serve_secure), &[HOST])
        .await
        .unwrap();
    let guard = Guard::new(
        [(HOST.to_string(), "127.0.0.1".parse().unwrap())],
        true,
        false,
    );
    let proxy = Proxy::start(guard, Duration::from_secs(5)).await.unwrap();
    let chrome = find_chrome(None).unwrap_or_else(|e| {
        panic!("this test needs Chromium: {e}. On Debian/Ubuntu: `apt-get install chromium`")
    });
    // The https fixture's certificate is self-signed; what a secure origin means for cookies
    // does not change.
    let mut process = ChromeProcess::start(&LaunchOptions {
        chrome,
        insecure: true,
        proxy: proxy.addr(),
    })
    .await
    .expect("Chromium starts");
    let (browser, mut handler) = Browser::connect(process.ws_url().to_string())
        .await
        .expect("DevTools answers");
    let handling = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let page = browser.new_page("about:blank").await.unwrap();

    // axum refuses what is not a header value: such a case belongs in the http section.
    for case in corpus().iter().filter(|c| c.scheme == Scheme::Https) {
        assert!(
            http::HeaderValue::from_bytes(&case.bytes).is_ok(),
            "{} line {}: an https case must be a valid header value",
            corpus::CORPUS_PATH,
            case.line
        );
    }
    // A case's number counts the cases of its own scheme before it (what `case` looks up).
    let (mut http_served, mut https_served) = (0usize, 0usize);
    let cases: Vec<(Url, &Case)> = corpus()
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
        .collect();
    let mut disagreements = Vec::new();
    for (url, case) in &cases {
        let line = case.bytes.as_slice();
        browser.clear_cookies().await.unwrap();
        page.goto(url.as_str()).await.unwrap();
        let jar: Vec<Kept> = browser
            .get_cookies()
            .await
            .unwrap()
            .iter()
            .map(kept)
            .collect();
        let ours = expected(line, url);
        let same = match (&ours, jar.as_slice()) {
            (None, []) => true,
            (Some(ours), [chromium]) => agree(ours, chromium),
            _ => false,
        };
        if !same {
            let shown: String = String::from_utf8_lossy(line).chars().take(80).collect();
            disagreements.push(format!(
                "line {} {url} `{}`:\n  parser:   {ours:?}\n  Chromium: {jar:?}",
                case.line,
                shown.escape_debug()
            ));
        }
    }
    drop(page);
    drop(browser);
    handling.abort();
    process.kill().await;
    assert!(
        disagreements.is_empty(),
        "{} of {} lines read differently:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}
